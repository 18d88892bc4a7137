package org.attention4j.neighborhood;

/**
 * NATTEN's neighborhood rule for one axis (spec 5.3), written once for every tier. A query at coordinate
 * {@code i} on an axis of length {@code L} sees the keys {@code j} with {@code j mod d == i mod d} and
 * {@code windowStart <= j < windowEnd}; in N dimensions the neighborhood is the box product of the axes.
 */
public final class NeighborhoodRule {
    private NeighborhoodRule() {
    }

    /** Length of dilation group {@code grp} on an axis of length {@code L}: {@code ceil((L - grp) / d)}. */
    public static int groupLength(int length, int dilation, int grp) {
        return (length - grp + dilation - 1) / dilation;
    }

    /** Keys left of the centre: {@code floor(k / 2)}. */
    public static int left(int kernel) {
        return kernel / 2;
    }

    /** Keys right of the centre: {@code floor(k / 2) + (k mod 2) - 1} (even kernels see one fewer on the right). */
    public static int right(int kernel) {
        return kernel / 2 + (kernel % 2) - 1;
    }

    /** First visible key coordinate (original coordinates) of query {@code i}. */
    public static int windowStart(int i, int length, int kernel, int stride, int dilation, boolean causal) {
        int grp = i % dilation;
        return groupStart(i / dilation, groupLength(length, dilation, grp), kernel, stride, causal) * dilation + grp;
    }

    /** One past the last visible key coordinate (original coordinates) of query {@code i}. */
    public static int windowEnd(int i, int length, int kernel, int stride, int dilation, boolean causal) {
        int grp = i % dilation;
        int end = groupEnd(i / dilation, groupLength(length, dilation, grp), kernel, stride, causal);
        return (end - 1) * dilation + grp + 1;
    }

    /** Whether query coordinate {@code i} sees key coordinate {@code j} on this axis. */
    public static boolean visible(int i, int j, int length, int kernel, int stride, int dilation, boolean causal) {
        if (i % dilation != j % dilation) {
            return false;
        }
        return j >= windowStart(i, length, kernel, stride, dilation, causal)
                && j < windowEnd(i, length, kernel, stride, dilation, causal);
    }

    /** Window start in group coordinates for group-query {@code ig} in a group of length {@code n}. */
    public static int groupStart(int ig, int n, int kernel, int stride, boolean causal) {
        if (causal) {
            int leader = Math.min((ig / stride) * stride + stride - 1, n - 1);
            return Math.max(leader - kernel + 1, 0);
        }
        return center(ig, n, kernel, stride) - left(kernel);
    }

    /** Window end (exclusive) in group coordinates. */
    public static int groupEnd(int ig, int n, int kernel, int stride, boolean causal) {
        if (causal) {
            return ig + 1;
        }
        return center(ig, n, kernel, stride) + right(kernel) + 1;
    }

    private static int center(int ig, int n, int kernel, int stride) {
        int leader = Math.min((ig / stride) * stride + stride / 2, n - 1);
        return Math.max(left(kernel), Math.min(leader, n - 1 - right(kernel)));
    }
}
