package org.attention4j.spi;

import java.util.Arrays;
import org.attention4j.AttentionOp;
import org.attention4j.DType;
import org.attention4j.Family;
import org.attention4j.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * One validated invocation: the operator spec and its inputs. Built by the facade after validation, so
 * a backend can trust every invariant documented here.
 *
 * <p>Layouts: {@code q [B, S..., H, D]}, {@code k [B, Sk..., Hkv, D]}, {@code v [B, Sk..., Hkv, Dv]},
 * any strides. Optional inputs are {@code null} when absent.
 */
public final class AttentionCall {
    private final AttentionOp op;
    private final Tensor q, k, v;
    private final Tensor gate;
    private final Tensor initialState;
    private final Tensor initialKeySum;
    private final Tensor lambda;
    private final int[] keyStart;
    private final int[] keyEnd;
    private final boolean needLse;
    private final boolean[] queryRows;

    private AttentionCall(Builder b) {
        this.op = b.op;
        this.q = b.q;
        this.k = b.k;
        this.v = b.v;
        this.gate = b.gate;
        this.initialState = b.initialState;
        this.initialKeySum = b.initialKeySum;
        this.lambda = b.lambda;
        this.keyStart = b.keyStart;
        this.keyEnd = b.keyEnd;
        this.needLse = b.needLse;
        this.queryRows = b.queryRows;
    }

    public static Builder builder(AttentionOp op, Tensor q, Tensor k, Tensor v) {
        return new Builder(op, q, k, v);
    }

    /** A builder pre-filled with this call's fields. */
    public Builder toBuilder() {
        Builder b = new Builder(op, q, k, v);
        b.gate = gate;
        b.initialState = initialState;
        b.initialKeySum = initialKeySum;
        b.lambda = lambda;
        b.keyStart = keyStart;
        b.keyEnd = keyEnd;
        b.needLse = needLse;
        b.queryRows = queryRows;
        return b;
    }

    public AttentionOp op() { return op; }
    public Family family() { return op.family(); }
    public Tensor q() { return q; }
    public Tensor k() { return k; }
    public Tensor v() { return v; }
    public DType dtype() { return q.dtype(); }

    /** Gated family: {@code [B, T, H, Dk]} (GLA) or {@code [B, T, H]} (scalar gate), log space; else null. */
    public @Nullable Tensor gate() { return gate; }

    /** Linear family: {@code [N, H, Dk, Dv]} fp32 initial state, or null for zeros. */
    public @Nullable Tensor initialState() { return initialState; }

    /** Normalized linear attention: {@code [N, H, Dk]} initial key sum, or null for zeros. */
    public @Nullable Tensor initialKeySum() { return initialKeySum; }

    /** Local-linear: per-query ridge {@code [B, S, H]} fp32, or null to use the op's scalar. */
    public @Nullable Tensor lambda() { return lambda; }

    /**
     * Softmax family, radial and local-linear: per-batch first valid key (left padding), or null for 0. With
     * key ranges, keys {@code keyStart[b] <= j < keyEnd[b]} are valid and, for the softmax family and
     * local-linear, re-indexed to {@code j - keyStart[b]} with the causal/window alignment using
     * {@code Sk_b = keyEnd[b] - keyStart[b]} (FlashAttention's KV-cache semantics, spec 1.5). A row left
     * with no valid key outputs 0.
     */
    public int @Nullable [] keyStart() { return keyStart; }

    /** Per-batch exclusive end of the valid keys, or null for {@code Sk}. */
    public int @Nullable [] keyEnd() { return keyEnd; }

    /** Whether the caller asked for the LSE. */
    public boolean needLse() { return needLse; }

    /**
     * When non-null, only these query tokens (flattened over the query's sequence or spatial axes) need
     * correct output; used by the verifier to make the reference cheap. Backends may ignore it and
     * compute every row.
     */
    public boolean @Nullable [] queryRows() { return queryRows; }

    // ------------------------------------------------------------- shape helpers

    public int batch() { return q.dim(0); }

    /** Number of spatial/sequence axes (1 for sequences, 1..3 for neighborhood). */
    public int spatialRank() { return q.rank() - 3; }

    /** Query tokens per batch element (product of the spatial extents). */
    public int queryTokens() {
        int n = 1;
        for (int d = 1; d <= spatialRank(); d++) n *= q.dim(d);
        return n;
    }

    /** Key tokens per batch element. */
    public int keyTokens() {
        int n = 1;
        for (int d = 1; d <= spatialRank(); d++) n *= k.dim(d);
        return n;
    }

    public int heads() { return q.dim(-2); }
    public int kvHeads() { return k.dim(-2); }
    public int headDim() { return q.dim(-1); }
    public int valueDim() { return v.dim(-1); }

    /** Valid key range start for batch {@code b}. */
    public int keyStart(int b) { return keyStart == null ? 0 : keyStart[b]; }

    /** Valid key range end for batch {@code b}. */
    public int keyEnd(int b) { return keyEnd == null ? keyTokens() : keyEnd[b]; }

    /** A short description of the shape, for logs and explanations. */
    public String shapeText() {
        StringBuilder sb = new StringBuilder();
        sb.append("q").append(Arrays.toString(q.shape())).append(" k").append(Arrays.toString(k.shape()))
                .append(" v").append(Arrays.toString(v.shape())).append(' ').append(q.dtype());
        if (gate != null) sb.append(" g").append(Arrays.toString(gate.shape()));
        if (initialState != null) sb.append(" h0").append(Arrays.toString(initialState.shape()));
        if (keyEnd != null) sb.append(" keyEnd").append(Arrays.toString(keyEnd));
        if (keyStart != null) sb.append(" keyStart").append(Arrays.toString(keyStart));
        return sb.toString();
    }

    /** Builder used by the facade; backends normally only read calls. */
    public static final class Builder {
        private final AttentionOp op;
        private final Tensor q, k, v;
        private Tensor gate, initialState, initialKeySum, lambda;
        private int[] keyStart, keyEnd;
        private boolean needLse;
        private boolean[] queryRows;

        private Builder(AttentionOp op, Tensor q, Tensor k, Tensor v) {
            this.op = op;
            this.q = q;
            this.k = k;
            this.v = v;
        }

        public Builder gate(@Nullable Tensor g) { this.gate = g; return this; }
        public Builder initialState(@Nullable Tensor h0) { this.initialState = h0; return this; }
        public Builder initialKeySum(@Nullable Tensor z0) { this.initialKeySum = z0; return this; }
        public Builder lambda(@Nullable Tensor lambda) { this.lambda = lambda; return this; }
        public Builder keyRange(int @Nullable [] start, int @Nullable [] end) { this.keyStart = start; this.keyEnd = end; return this; }
        public Builder needLse(boolean needLse) { this.needLse = needLse; return this; }
        public Builder queryRows(boolean @Nullable [] rows) { this.queryRows = rows; return this; }

        public AttentionCall build() {
            return new AttentionCall(this);
        }
    }
}
