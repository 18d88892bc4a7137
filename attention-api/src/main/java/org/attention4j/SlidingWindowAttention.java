package org.attention4j;

/**
 * Softmax attention restricted to {@code max(0, i'-left) <= j <= min(Sk-1, i'+right)} with
 * {@code i' = i + Sk - Sq} (spec section 2, FlashAttention's {@code window_size}). {@code left} excludes
 * the query itself: a model's causal window of W keys is {@code (W - 1, 0)}. A side of
 * {@link MaskedSoftmaxOp#UNBOUNDED} (-1) is unbounded. Windows are truncated at the edges, never shifted.
 */
public final class SlidingWindowAttention extends SoftmaxFamilyOp {
    private final int left;
    private final int right;

    private SlidingWindowAttention(Builder b) {
        super(b);
        this.left = b.left;
        this.right = b.causal ? 0 : b.right;
    }

    @Override public Family family() { return Family.SLIDING_WINDOW; }
    @Override public int windowLeft() { return left; }
    @Override public int windowRight() { return right; }

    @Override
    public String config() {
        return "window=(" + left + "," + right + ")," + sharedConfig();
    }

    /**
     * A ring-buffer KV cache of capacity {@code left + 1} for token-by-token causal decoding (spec 2.5):
     * memory stays bounded however long the sequence runs. Requires a bounded left side.
     */
    public SlidingWindowCache newRingCache(int batch, int kvHeads, int headDim, int valueDim, DType dtype) {
        return new SlidingWindowCache(this, batch, kvHeads, headDim, valueDim, dtype);
    }

    /** Builder: {@code Attention.slidingWindow(left, right).scale(s).build()}. */
    public static final class Builder extends SoftmaxFamilyBuilder<Builder> {
        private final int left;
        private final int right;
        private boolean causal;

        Builder(int left, int right) {
            this.left = checkWindow(left, "left");
            this.right = checkWindow(right, "right");
        }

        @Override Builder self() { return this; }

        /** Forces {@code right = 0} (FlashAttention: causal implies window right 0). */
        public Builder causal(boolean causal) {
            this.causal = causal;
            return this;
        }

        public SlidingWindowAttention build() {
            return new SlidingWindowAttention(this);
        }
    }
}
