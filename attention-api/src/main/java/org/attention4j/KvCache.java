package org.attention4j;

import java.util.Arrays;
import org.attention4j.internal.Checks;

/**
 * A KV cache for softmax-family and local-linear decoding (spec 1.5, 7.5): keys {@code [B, capacity, Hkv, D]} and values
 * {@code [B, capacity, Hkv, Dv]} with per-batch lengths and left padding. New keys are appended at each
 * batch element's own length; queries align bottom-right with the valid keys, so one new query sees the
 * whole valid cache (or its window) and several new queries are causal among themselves when the op is.
 * Decoding equals the forward pass over the same prefix.
 *
 * <p>Not thread-safe: one cache per sequence group.
 */
public final class KvCache {
    private final AttentionOp op;
    private final Tensor keys;
    private final Tensor values;
    private final int[] lengths;
    private final int[] leftPad;

    KvCache(AttentionOp op, int batch, int capacity, int kvHeads, int headDim, int valueDim, DType dtype) {
        Checks.check(batch > 0, "batch", "> 0", batch);
        Checks.check(capacity > 0, "capacity", "> 0", capacity);
        Checks.check(kvHeads > 0, "kvHeads", "> 0", kvHeads);
        Checks.check(headDim > 0, "headDim", "> 0", headDim);
        Checks.check(valueDim > 0, "valueDim", "> 0", valueDim);
        Checks.notNull(dtype, "dtype");
        this.op = op;
        this.keys = Tensor.zeros(dtype, batch, capacity, kvHeads, headDim);
        this.values = Tensor.zeros(dtype, batch, capacity, kvHeads, valueDim);
        this.lengths = new int[batch];
        this.leftPad = new int[batch];
    }

    /** The operator this cache decodes with. */
    public AttentionOp op() { return op; }

    public int batch() { return lengths.length; }

    public int capacity() { return keys.dim(1); }

    /** Per-batch number of filled rows (including left padding). */
    public int[] lengths() { return lengths.clone(); }

    /** Per-batch left padding: rows before it are ignored (FlashAttention {@code cache_leftpad}). */
    public int[] leftPadding() { return leftPad.clone(); }

    /** The key storage {@code [B, capacity, Hkv, D]}; rows at or past a batch's length are unused. */
    public Tensor keys() { return keys; }

    /** The value storage {@code [B, capacity, Hkv, Dv]}. */
    public Tensor values() { return values; }

    /** Sets per-batch lengths of a cache whose storage was filled directly (FlashAttention {@code cache_seqlens}). */
    public KvCache setLengths(int... newLengths) {
        Checks.notNull(newLengths, "lengths");
        Checks.check(newLengths.length == batch(), "lengths", "length B = " + batch(), newLengths.length);
        for (int b = 0; b < newLengths.length; b++) {
            Checks.check(newLengths[b] >= leftPad[b] && newLengths[b] <= capacity(), "lengths[" + b + "]",
                    "in [leftPadding = " + leftPad[b] + ", capacity = " + capacity() + "]", newLengths[b]);
        }
        System.arraycopy(newLengths, 0, lengths, 0, lengths.length);
        return this;
    }

    /** Sets per-batch left padding; each must not exceed that batch element's length. */
    public KvCache setLeftPadding(int... pad) {
        Checks.notNull(pad, "leftPadding");
        Checks.check(pad.length == batch(), "leftPadding", "length B = " + batch(), pad.length);
        for (int b = 0; b < pad.length; b++) {
            Checks.check(pad[b] >= 0 && pad[b] <= lengths[b], "leftPadding[" + b + "]",
                    "in [0, length = " + lengths[b] + "]", pad[b]);
        }
        System.arraycopy(pad, 0, leftPad, 0, pad.length);
        return this;
    }

    /** Appends {@code k [B, Snew, Hkv, D]} and {@code v [B, Snew, Hkv, Dv]} at each batch element's length. */
    public KvCache append(Tensor k, Tensor v) {
        Checks.rank(k, "k", 4, "[B, Snew, Hkv, D]");
        Checks.rank(v, "v", 4, "[B, Snew, Hkv, Dv]");
        int snew = k.dim(1);
        Checks.shape(k, "k", new long[] {batch(), snew, keys.size(2), keys.size(3)}, "[B, Snew, Hkv, D]");
        Checks.shape(v, "v", new long[] {batch(), snew, values.size(2), values.size(3)}, "[B, Snew, Hkv, Dv]");
        for (int b = 0; b < batch(); b++) {
            if (lengths[b] + snew > capacity()) {
                throw Checks.mismatch("k", "at most " + (capacity() - lengths[b]) + " new rows for batch " + b
                        + " (capacity " + capacity() + ", length " + lengths[b] + ")", snew + " rows");
            }
        }
        for (int b = 0; b < batch(); b++) {
            int at = lengths[b];
            keys.slice(0, b, b + 1).slice(1, at, at + snew).copyFrom(k.slice(0, b, b + 1).toFloatArray());
            values.slice(0, b, b + 1).slice(1, at, at + snew).copyFrom(v.slice(0, b, b + 1).toFloatArray());
            lengths[b] = at + snew;
        }
        return this;
    }

    /** Attends {@code q [B, Sq, H, D]} over the valid cache rows; returns {@code [B, Sq, H, Dv]}. */
    public Tensor decode(Tensor q) {
        if (op instanceof LocalLinearAttention) {
            checkQuery(q);
            return ((LocalLinearAttention) op).forwardWithKeyRanges(q, keys, values, leftPad.clone(), lengths.clone());
        }
        return decodeWithLse(q).output();
    }

    /** {@link #decode(Tensor)} with the LSE {@code [B, H, Sq]}. */
    public AttentionOutput decodeWithLse(Tensor q) {
        Checks.check(op instanceof SoftmaxFamilyOp, "op", "a softmax-family op (local-linear attention has no LSE)", op.family());
        checkQuery(q);
        return ((SoftmaxFamilyOp) op).forwardWithKeyRanges(q, keys, values, leftPad, lengths);
    }

    private void checkQuery(Tensor q) {
        Checks.rank(q, "q", 4, "[B, Sq, H, D]");
        Checks.check(q.dtype() == keys.dtype(), "q", "dtype " + keys.dtype() + " (the cache's)", q.dtype());
    }

    /** Appends {@code kNew, vNew} and then decodes {@code q} (FlashAttention {@code flash_attn_with_kvcache}). */
    public Tensor decode(Tensor q, Tensor kNew, Tensor vNew) {
        append(kNew, vNew);
        return decode(q);
    }

    /** Empties the cache (lengths and padding to 0). */
    public KvCache reset() {
        Arrays.fill(lengths, 0);
        Arrays.fill(leftPad, 0);
        return this;
    }
}
