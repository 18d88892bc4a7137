package org.attention4j;

/**
 * Scaled dot-product attention (spec section 1): {@code o = softmax(scale * q k^T [+ softcap, ALiBi,
 * causal mask]) v}, GQA/MQA from k's heads, {@code Sq != Sk}, {@code Dk != Dv}. Causal masks align
 * bottom-right when {@code Sq != Sk} (FlashAttention >= 2.1); a row with no visible key outputs 0 with
 * LSE {@code +inf}.
 */
public final class SoftmaxAttention extends SoftmaxFamilyOp {
    private final boolean causal;

    private SoftmaxAttention(Builder b) {
        super(b);
        this.causal = b.causal;
    }

    @Override public Family family() { return Family.SOFTMAX; }
    @Override public boolean causal() { return causal; }
    @Override public int windowLeft() { return UNBOUNDED; }
    @Override public int windowRight() { return causal ? 0 : UNBOUNDED; }

    @Override
    public String config() {
        return "causal=" + causal + "," + sharedConfig();
    }

    /** Builder: {@code Attention.softmax().causal(true).scale(0.125).build()}. */
    public static final class Builder extends SoftmaxFamilyBuilder<Builder> {
        private boolean causal;

        Builder() {
        }

        @Override Builder self() { return this; }

        /** Causal mask, bottom-right aligned. Default false. */
        public Builder causal(boolean causal) {
            this.causal = causal;
            return this;
        }

        public SoftmaxAttention build() {
            return new SoftmaxAttention(this);
        }
    }
}
