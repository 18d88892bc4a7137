package org.attention4j;

import org.attention4j.internal.Checks;
import org.attention4j.spi.AttentionCall;
import org.jspecify.annotations.Nullable;

/**
 * Gated linear attention (spec section 4): {@code S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T},
 * {@code o_t = S_t^T (scale q_t)} with log-space gates {@code g [B, T, H, Dk]} (GLA) or a scalar gate per
 * token and head {@code g [B, T, H]} (simple GLA). Gates are not required to be {@code <= 0} (as in the
 * anchors) but must be finite.
 */
public final class GatedAttention extends LinearFamilyOp {
    private GatedAttention(Builder b) {
        super(b.scale, b.verify, b.reverse, b.cuSeqlens);
    }

    @Override public Family family() { return Family.GATED; }

    @Override
    public String config() {
        return sharedConfig();
    }

    /** Forward with gates {@code g} from {@code h0 [N, H, Dk, Dv]} (nullable: zeros). */
    public LinearOutput forward(Tensor q, Tensor k, Tensor v, Tensor g, @Nullable Tensor h0) {
        return run(validateCall(q, k, v, g, h0));
    }

    /** Forward with gates {@code g} from a zero state. */
    public LinearOutput forward(Tensor q, Tensor k, Tensor v, Tensor g) {
        return forward(q, k, v, g, null);
    }

    AttentionCall validateCall(Tensor q, Tensor k, Tensor v, Tensor g, @Nullable Tensor h0) {
        AttentionCall.Builder b = validate(q, k, v, h0);
        Checks.notNull(g, "g");
        long[] vec = {q.size(0), q.size(1), q.size(2), q.size(3)};
        long[] scalar = {q.size(0), q.size(1), q.size(2)};
        if (!(java.util.Arrays.equals(g.shape(), vec) || java.util.Arrays.equals(g.shape(), scalar))) {
            throw Checks.mismatch("g", "shape " + java.util.Arrays.toString(vec) + " [B, T, H, Dk] (GLA) or "
                    + java.util.Arrays.toString(scalar) + " [B, T, H] (scalar gate)", "shape " + java.util.Arrays.toString(g.shape()));
        }
        Checks.allFinite(g, "g");
        return b.gate(g).build();
    }

    /** A recurrent decode state {@code [batch, heads, dk, dv]}, zero-initialized. */
    public LinearState newState(int batch, int heads, int dk, int dv) {
        return new LinearState(this, batch, heads, dk, dv);
    }

    /** Builder: {@code Attention.gated().scale(s).build()}. */
    public static final class Builder extends OpBuilder<Builder> {
        private boolean reverse;
        private int[] cuSeqlens;

        Builder() {
        }

        public Builder reverse(boolean reverse) {
            this.reverse = reverse;
            return this;
        }

        public Builder cuSeqlens(int... offsets) {
            this.cuSeqlens = checkCuSeqlens(offsets);
            return this;
        }

        @Override
        Builder self() {
            return this;
        }

        public GatedAttention build() {
            return new GatedAttention(this);
        }
    }
}
