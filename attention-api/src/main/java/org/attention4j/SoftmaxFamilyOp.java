package org.attention4j;

import java.util.Arrays;
import org.attention4j.internal.Checks;
import org.attention4j.internal.Dispatcher;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.jspecify.annotations.Nullable;

/** Shared body of {@link SoftmaxAttention} and {@link SlidingWindowAttention}. */
public abstract class SoftmaxFamilyOp extends AttentionOp implements MaskedSoftmaxOp {
    private final double softcap;
    private final float[] alibi;
    private final boolean alibiPerBatch;
    private final String sharedConfig;

    SoftmaxFamilyOp(SoftmaxFamilyBuilder<?> b) {
        super(b.scale, b.verify);
        this.softcap = b.softcap;
        this.alibi = b.alibi;
        this.alibiPerBatch = b.alibiPerBatch;
        this.sharedConfig = b.sharedConfig();
    }

    @Override public double softcap() { return softcap; }
    @Override public float @Nullable [] alibiSlopes() { return alibi == null ? null : alibi.clone(); }
    @Override public boolean alibiPerBatch() { return alibiPerBatch; }

    @Override
    public double alibiSlope(int b, int h, int heads) {
        if (alibi == null) return 0;
        return alibiPerBatch ? alibi[b * heads + h] : alibi[h];
    }

    String sharedConfig() {
        return sharedConfig;
    }

    /** Attention output {@code [B, Sq, H, Dv]} in q's dtype. */
    public Tensor forward(Tensor q, Tensor k, Tensor v) {
        return run(validate(q, k, v, null, null).build()).output();
    }

    /** Output and the LSE {@code [B, H, Sq]} (fp32, natural log, {@code +inf} on empty rows). */
    public AttentionOutput forwardWithLse(Tensor q, Tensor k, Tensor v) {
        AttentionResult r = run(validate(q, k, v, null, null).needLse(true).build());
        return new AttentionOutput(r.output(), r.lse());
    }

    /**
     * Forward over per-batch key ranges: batch {@code b} sees keys {@code keyStart[b] <= j < keyEnd[b]},
     * re-indexed from {@code keyStart[b]} for the causal/window alignment (FlashAttention KV-cache rules).
     * {@code keyStart} may be null (all zero).
     */
    public AttentionOutput forwardWithKeyRanges(Tensor q, Tensor k, Tensor v, int @Nullable [] keyStart, int[] keyEnd) {
        Checks.notNull(keyEnd, "keyEnd");
        AttentionResult r = run(validate(q, k, v, keyStart, keyEnd).needLse(true).build());
        return new AttentionOutput(r.output(), r.lse());
    }

    /**
     * A KV cache for decoding: {@code [batch, capacity, kvHeads, headDim]} keys and
     * {@code [.., valueDim]} values of {@code dtype}, with per-batch lengths and left padding.
     */
    public KvCache newKvCache(int batch, int capacity, int kvHeads, int headDim, int valueDim, DType dtype) {
        return new KvCache(this, batch, capacity, kvHeads, headDim, valueDim, dtype);
    }

    /** {@link #newKvCache(int, int, int, int, int, DType)} with F32 storage and {@code valueDim == headDim}. */
    public KvCache newKvCache(int batch, int capacity, int kvHeads, int headDim) {
        return newKvCache(batch, capacity, kvHeads, headDim, headDim, DType.F32);
    }

    AttentionResult run(AttentionCall call) {
        return Dispatcher.get().run(call);
    }

    /** Validates a softmax-family call and returns its builder. */
    AttentionCall.Builder validate(Tensor q, Tensor k, Tensor v, int[] keyStart, int[] keyEnd) {
        validateQkv(q, k, v, false);
        int b = q.dim(0);
        int h = q.dim(2);
        if (alibi != null) {
            int expected = alibiPerBatch ? b * h : h;
            if (alibi.length != expected) {
                throw Checks.mismatch("alibiSlopes", (alibiPerBatch ? "[B, H] = " : "[H] = ") + expected + " slopes",
                        alibi.length + " slopes");
            }
        }
        Checks.keyRanges(keyStart, keyEnd, b, k.dim(1));
        return AttentionCall.builder(this, q, k, v).keyRange(keyStart == null ? null : keyStart.clone(),
                keyEnd == null ? null : keyEnd.clone());
    }

    /**
     * Common checks for {@code q [B, S..., H, D]}, {@code k [B, Sk..., Hkv, D]}, {@code v [B, Sk..., Hkv, Dv]}.
     * With {@code sameGrid}, k and v must have q's sequence/spatial extents (neighborhood, radial).
     */
    static void validateQkv(Tensor q, Tensor k, Tensor v, boolean sameGrid) {
        Checks.notNull(q, "q");
        Checks.notNull(k, "k");
        Checks.notNull(v, "v");
        Checks.qkv(q.shape(), q.dtype(), k.shape(), k.dtype(), v.shape(), v.dtype(), sameGrid);
    }
}
