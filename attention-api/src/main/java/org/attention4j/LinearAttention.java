package org.attention4j;

import org.attention4j.internal.Checks;
import org.attention4j.spi.AttentionCall;
import org.jspecify.annotations.Nullable;

/**
 * Linear attention (spec 3.1-3.3): {@code S_t = exp(γ_h) S_{t-1} + k_t v_t^T}, {@code o_t = S_t^T (scale q_t)},
 * optionally normalized by {@code <scale q_t, z_t> + 1e-10} with the running key sum {@code z}
 * ({@code z_t = exp(γ_h) z_{t-1} + k_t}: with a decay the key sum decays like the state, so the normalized
 * output stays a weighted average of values; without one it is fla's {@code z_init + Σ k}). Per-head
 * log decays {@code γ_h} give Lightning Attention / RetNet ({@link Decays} builds both anchor conventions).
 * Feature maps are a separate pre-op ({@link FeatureMap}). Layout {@code [B, T, H, D]}; states fp32
 * {@code [B, H, Dk, Dv]}.
 */
public final class LinearAttention extends LinearFamilyOp {
    private final boolean normalize;
    private final float @Nullable [] decay;

    private LinearAttention(Builder b) {
        super(b.scale, b.verify, b.reverse, b.cuSeqlens);
        this.normalize = b.normalize;
        this.decay = b.decay;
    }

    @Override public Family family() { return Family.LINEAR; }

    /** Whether outputs are divided by {@code <scale q, z> + 1e-10}. */
    public boolean normalize() { return normalize; }

    /** Per-head log decays {@code γ_h} ({@code [H]}), or null for none. */
    public float @Nullable [] decay() { return decay == null ? null : decay.clone(); }

    @Override
    public String config() {
        return "normalize=" + normalize + (decay != null ? ",decay=" + java.util.Arrays.toString(decay) : "") + ","
                + sharedConfig();
    }

    /** Forward from a zero state. */
    public LinearOutput forward(Tensor q, Tensor k, Tensor v) {
        return forward(q, k, v, null, null);
    }

    /** Forward from {@code h0 [N, H, Dk, Dv]} (nullable: zeros). */
    public LinearOutput forward(Tensor q, Tensor k, Tensor v, @Nullable Tensor h0) {
        return forward(q, k, v, h0, null);
    }

    /** Forward from {@code h0} and, when normalizing, the key sum {@code z0 [N, H, Dk]} (both nullable). */
    public LinearOutput forward(Tensor q, Tensor k, Tensor v, @Nullable Tensor h0, @Nullable Tensor z0) {
        return run(validateCall(q, k, v, h0, z0));
    }

    AttentionCall validateCall(Tensor q, Tensor k, Tensor v, @Nullable Tensor h0, @Nullable Tensor z0) {
        AttentionCall.Builder b = validate(q, k, v, h0);
        if (decay != null) {
            Checks.check(decay.length == q.dim(2), "decay", "one log decay per head (H = " + q.dim(2) + ")", decay.length);
        }
        if (z0 != null) {
            Checks.check(normalize, "initialKeySum", "null unless normalize(true)", "a tensor");
            Checks.shape(z0, "initialKeySum", new long[] {sequences(q.dim(0)), q.dim(2), q.dim(3)}, "[N, H, Dk]");
            Checks.check(z0.dtype() == DType.F32, "initialKeySum", "dtype F32", z0.dtype());
        }
        return b.initialKeySum(z0).build();
    }

    /** A recurrent decode state {@code [batch, heads, dk, dv]} (plus {@code z} when normalizing), zero-initialized. */
    public LinearState newState(int batch, int heads, int dk, int dv) {
        return new LinearState(this, batch, heads, dk, dv);
    }

    /** Builder: {@code Attention.linear().normalize(false).scale(s).build()}. */
    public static final class Builder extends OpBuilder<Builder> {
        private boolean normalize;
        private float[] decay;
        private boolean reverse;
        private int[] cuSeqlens;

        Builder() {
        }

        /** Divide by {@code <scale q_t, z_t> + 1e-10} (fla {@code normalize}); default false. */
        public Builder normalize(boolean normalize) {
            this.normalize = normalize;
            return this;
        }

        /** Per-head log decays {@code γ_h} (state multiplied by {@code exp(γ_h)} each step); finite. */
        public Builder decay(float... logDecayPerHead) {
            Checks.notNull(logDecayPerHead, "decay");
            for (int i = 0; i < logDecayPerHead.length; i++) {
                Checks.check(Float.isFinite(logDecayPerHead[i]), "decay[" + i + "]", "a finite log decay", logDecayPerHead[i]);
            }
            this.decay = logDecayPerHead.length == 0 ? null : logDecayPerHead.clone();
            return this;
        }

        /** Process tokens last to first; default false. */
        public Builder reverse(boolean reverse) {
            this.reverse = reverse;
            return this;
        }

        /** Variable-length batch: offsets {@code [0, t1, ..., T]}; the state resets at each boundary. */
        public Builder cuSeqlens(int... offsets) {
            this.cuSeqlens = checkCuSeqlens(offsets);
            return this;
        }

        @Override
        Builder self() {
            return this;
        }

        public LinearAttention build() {
            return new LinearAttention(this);
        }
    }
}
