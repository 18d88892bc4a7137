package org.attention4j.reference.neighborhood;

import org.attention4j.reference.Naive;

/**
 * NATTEN's neighborhood rule written for the tests from the text of spec 5.3, in the form of NATTEN's
 * reference mask (window start with the edge fix-up term, group length with the {@code L mod d} correction),
 * not the clamp form the library's {@code NeighborhoodRule} uses.
 */
final class SpecNeighborhood {
    private SpecNeighborhood() {
    }

    /** Whether query coordinate i sees key coordinate j on one axis. */
    static boolean visible(int i, int j, int length, int kernel, int stride, int dilation, boolean causal) {
        if (i % dilation != j % dilation) {
            return false; // different dilation groups never interact
        }
        int grp = i % dilation;
        int n = length / dilation + 1 - (grp + dilation - length % dilation) / dilation;
        int left = kernel / 2;
        int right = kernel / 2 + kernel % 2 - 1;
        int ig = i / dilation, jg = j / dilation;
        if (causal) {
            int leader = Math.min(ig / stride * stride + stride - 1, n - 1);
            return jg <= ig && leader - jg < kernel;
        }
        int leader = Math.min(ig / stride * stride + stride / 2, n - 1);
        int start = Math.max(leader - left, 0) + (leader + right >= n ? n - right - leader - 1 : 0);
        return jg >= start && jg < start + kernel;
    }

    /** The N-D mask over flat row-major tokens: the AND over axes (a box). */
    static Naive.Mask mask(int[] extent, int[] kernel, int[] stride, int[] dilation, boolean[] causal) {
        return (b, h, i, j) -> {
            int ri = i, rj = j;
            for (int a = extent.length - 1; a >= 0; a--) {
                if (!visible(ri % extent[a], rj % extent[a], extent[a], kernel[a], stride[a], dilation[a], causal[a])) {
                    return false;
                }
                ri /= extent[a];
                rj /= extent[a];
            }
            return true;
        };
    }
}
