package org.attention4j;

import org.jspecify.annotations.Nullable;

/**
 * The view every backend takes of the softmax family (softmax and sliding window): scaled dot products,
 * optional softcap and ALiBi, a local window with FlashAttention's bottom-right alignment (spec 1.3).
 */
public interface MaskedSoftmaxOp {
    /** A window side that is unbounded. */
    int UNBOUNDED = -1;

    /** Scale for head dim {@code d}. */
    double scale(int d);

    /** Softcap {@code c}; 0 disables it. Applied before masks and bias (spec 1.1). */
    double softcap();

    /** Keys visible to the left of the aligned query position, or {@link #UNBOUNDED}. */
    int windowLeft();

    /** Keys visible to the right of the aligned query position, or {@link #UNBOUNDED}. Causal is 0. */
    int windowRight();

    /** ALiBi slopes ({@code [H]} or {@code [B, H]} row-major), or {@code null}. */
    float @Nullable [] alibiSlopes();

    /** Whether the ALiBi slopes are per batch ({@code [B, H]}). */
    boolean alibiPerBatch();

    /** The slope for batch {@code b}, head {@code h}, given {@code H}; 0 without ALiBi. */
    default double alibiSlope(int b, int h, int heads) {
        float[] s = alibiSlopes();
        if (s == null) return 0;
        return alibiPerBatch() ? s[b * heads + h] : s[h];
    }

    /** Whether the mask is causal (window right side 0 and left unbounded or not). */
    default boolean causal() {
        return windowRight() == 0;
    }

    /**
     * The ALiBi bias of logit (i, j) for query position {@code i} of {@code sq} and key {@code j} of {@code sk}:
     * FlashAttention's conventions: {@code +slope * j} when the mask is plain causal (left unbounded, right 0),
     * else {@code -slope * |i + sk - sq - j|} (a causal sliding window is "local" in FlashAttention, not causal).
     * Both give the same output; the LSE differs by a per-row constant (spec 1.2).
     */
    default double alibiBias(double slope, int i, int j, int sq, int sk) {
        if (slope == 0) return 0;
        boolean plainCausal = windowLeft() < 0 && windowRight() == 0;
        return plainCausal ? slope * j : -slope * Math.abs((long) i + sk - sq - j);
    }

    /** First visible key of query {@code i} (bottom-right alignment); may exceed the last when the row is empty. */
    default int firstKey(int i, int sq, int sk) {
        int wl = windowLeft();
        long aligned = (long) i + sk - sq;
        return wl < 0 ? 0 : (int) Math.max(0, aligned - wl);
    }

    /** One past the last visible key of query {@code i}. */
    default int endKey(int i, int sq, int sk) {
        int wr = windowRight();
        long aligned = (long) i + sk - sq;
        return wr < 0 ? sk : (int) Math.max(0, Math.min(sk, aligned + wr + 1));
    }
}
