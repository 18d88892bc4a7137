package org.attention4j;

import org.attention4j.internal.Checks;

/**
 * A ring buffer of the last {@code left + 1} keys and values for causal sliding-window decoding (spec 2.5):
 * bounded memory however long the sequence. One token per step for every batch element; the softmax over
 * the buffer is order-invariant, so ring order does not matter (ALiBi, which is position-dependent, is
 * therefore rejected here).
 */
public final class SlidingWindowCache {
    private final SoftmaxAttention ringOp;
    private final Tensor keys;
    private final Tensor values;
    private long steps;

    SlidingWindowCache(SlidingWindowAttention op, int batch, int kvHeads, int headDim, int valueDim, DType dtype) {
        Checks.check(op.windowLeft() >= 0, "left", "a bounded window (>= 0) for a ring cache", op.windowLeft());
        Checks.check(op.alibiSlopes() == null, "alibiSlopes", "none for a ring cache (ALiBi needs absolute positions; use KvCache)",
                "slopes");
        Checks.check(batch > 0, "batch", "> 0", batch);
        Checks.check(kvHeads > 0, "kvHeads", "> 0", kvHeads);
        Checks.check(headDim > 0, "headDim", "> 0", headDim);
        Checks.check(valueDim > 0, "valueDim", "> 0", valueDim);
        Checks.notNull(dtype, "dtype");
        SoftmaxAttention.Builder b = Attention.softmax().softcap(op.softcap());
        if (op.explicitScale() != null) b.scale(op.explicitScale());
        if (op.verifyPolicy() != null) b.verify(op.verifyPolicy());
        this.ringOp = b.build();
        int cap = op.windowLeft() + 1;
        this.keys = Tensor.zeros(dtype, batch, cap, kvHeads, headDim);
        this.values = Tensor.zeros(dtype, batch, cap, kvHeads, valueDim);
    }

    public int capacity() { return keys.dim(1); }

    /** Tokens seen so far. */
    public long steps() { return steps; }

    /**
     * Writes {@code k [B, 1, Hkv, D]}, {@code v [B, 1, Hkv, Dv]} into the ring and attends {@code q [B, 1, H, D]}
     * over the last {@code min(steps, left + 1)} tokens; returns {@code [B, 1, H, Dv]}.
     */
    public Tensor step(Tensor q, Tensor k, Tensor v) {
        return stepWithLse(q, k, v).output();
    }

    /** {@link #step} with the LSE. */
    public AttentionOutput stepWithLse(Tensor q, Tensor k, Tensor v) {
        int batch = keys.dim(0);
        Checks.shape(q, "q", new long[] {batch, 1, q == null ? 0 : q.size(2), keys.size(3)}, "[B, 1, H, D]");
        Checks.shape(k, "k", new long[] {batch, 1, keys.size(2), keys.size(3)}, "[B, 1, Hkv, D]");
        Checks.shape(v, "v", new long[] {batch, 1, values.size(2), values.size(3)}, "[B, 1, Hkv, Dv]");
        Checks.check(q.dtype() == keys.dtype(), "q", "dtype " + keys.dtype(), q.dtype());
        int slot = (int) (steps % capacity());
        keys.slice(1, slot, slot + 1).copyFrom(k.toFloatArray());
        values.slice(1, slot, slot + 1).copyFrom(v.toFloatArray());
        steps++;
        int valid = (int) Math.min(steps, capacity());
        int[] end = new int[batch];
        java.util.Arrays.fill(end, valid);
        return ringOp.forwardWithKeyRanges(q, keys, values, null, end);
    }

    public void reset() {
        steps = 0;
    }
}
