package org.attention4j;

import java.util.Arrays;
import org.attention4j.internal.Checks;
import org.attention4j.internal.Dispatcher;
import org.attention4j.spi.AttentionCall;
import org.jspecify.annotations.Nullable;

/**
 * Local linear attention (spec section 7, FlashLLA): for each query, the intercept of a ridge-regularized
 * local linear regression of the values on the keys centred at the query, with softmax weights. Causal by
 * default (bottom-right aligned when {@code Sq != Sk}, like the rest of the library; the anchor is
 * self-attention only); the non-causal form (spec 7.3) is an extension. Layout {@code [B, S, H, D]}.
 */
public final class LocalLinearAttention extends AttentionOp {
    private final double ridgeLambda;
    private final double deltaEps;
    private final boolean causal;
    private final int blockSize;

    private LocalLinearAttention(Builder b) {
        super(b.scale, b.verify);
        this.ridgeLambda = b.ridgeLambda;
        this.deltaEps = b.deltaEps;
        this.causal = b.causal;
        this.blockSize = b.blockSize;
    }

    @Override public Family family() { return Family.LOCAL_LINEAR; }

    /** The scalar ridge {@code λ > 0} (used when no per-query tensor is given). */
    public double ridgeLambda() { return ridgeLambda; }

    /** {@code ε >= 0}: {@code δ <- δ + ε sgn(δ)} with {@code sgn(0) = 0} (the naive anchor's convention). */
    public double deltaEps() { return deltaEps; }

    public boolean causal() { return causal; }

    /** Block-diagonal covariance block size; 0 means the full {@code D x D} system. */
    public int blockSize() { return blockSize; }

    @Override
    public String config() {
        return "lambda=" + ridgeLambda + ",deltaEps=" + deltaEps + ",causal=" + causal
                + (blockSize > 0 ? ",block=" + blockSize : "") + "," + scaleConfig();
    }

    /** Output {@code [B, Sq, H, Dv]}. */
    public Tensor forward(Tensor q, Tensor k, Tensor v) {
        return forward(q, k, v, null);
    }

    /** Output with a per-query ridge {@code lambda [B, Sq]} or {@code [B, Sq, H]} (nullable: the scalar). */
    public Tensor forward(Tensor q, Tensor k, Tensor v, @Nullable Tensor lambda) {
        return Dispatcher.get().run(validate(q, k, v, lambda, null).build()).output();
    }

    Tensor forwardWithKeyRanges(Tensor q, Tensor k, Tensor v, int[] keyStart, int[] keyEnd) {
        return Dispatcher.get().run(validate(q, k, v, null, keyEnd).keyRange(keyStart, keyEnd).build()).output();
    }

    /** A KV cache for one-row decoding (spec 7.5): keys {@code [batch, capacity, kvHeads, headDim]}. */
    public KvCache newKvCache(int batch, int capacity, int kvHeads, int headDim, int valueDim, DType dtype) {
        return new KvCache(this, batch, capacity, kvHeads, headDim, valueDim, dtype);
    }

    AttentionCall.Builder validate(Tensor q, Tensor k, Tensor v, Tensor lambda, int[] keyEnd) {
        SoftmaxFamilyOp.validateQkv(q, k, v, false);
        int d = q.dim(3);
        if (blockSize > 0 && d % blockSize != 0) {
            throw Checks.mismatch("blockSize", "a divisor of the head dim D = " + d, String.valueOf(blockSize));
        }
        if (!causal && keyEnd == null) {
            // non-causal: any Sq, Sk
        } else if (keyEnd == null) {
            Checks.check(q.dim(1) <= k.dim(1), "q", "Sq <= Sk = " + k.dim(1) + " for causal LLA (no empty rows)",
                    "Sq = " + q.dim(1));
        }
        if (lambda != null) {
            long[] bs = {q.size(0), q.size(1)};
            long[] bsh = {q.size(0), q.size(1), q.size(2)};
            if (!(Arrays.equals(lambda.shape(), bs) || Arrays.equals(lambda.shape(), bsh))) {
                throw Checks.mismatch("lambda", "shape " + Arrays.toString(bs) + " [B, Sq] or " + Arrays.toString(bsh)
                        + " [B, Sq, H]", "shape " + Arrays.toString(lambda.shape()));
            }
            float[] vals = lambda.toFloatArray();
            for (int i = 0; i < vals.length; i++) {
                if (!(Float.isFinite(vals[i]) && vals[i] > 0)) {
                    throw Checks.mismatch("lambda", "finite values > 0 (the ridge keeps A_i positive definite)",
                            vals[i] + " at flat index " + i);
                }
            }
            return AttentionCall.builder(this, q, k, v).lambda(perQueryAndHead(vals, q.dim(0), q.dim(1), q.dim(2)));
        }
        return AttentionCall.builder(this, q, k, v);
    }

    /** The ridge as backends receive it (AttentionCall#lambda): fp32 {@code [B, Sq, H]}, a {@code [B, Sq]} one repeated per head. */
    private static Tensor perQueryAndHead(float[] vals, int batch, int sq, int heads) {
        if (vals.length == batch * sq * heads) {
            return Tensor.of(vals, batch, sq, heads);
        }
        float[] out = new float[batch * sq * heads];
        for (int row = 0; row < batch * sq; row++) {
            Arrays.fill(out, row * heads, (row + 1) * heads, vals[row]);
        }
        return Tensor.of(out, batch, sq, heads);
    }

    /** Builder: {@code Attention.localLinear().ridgeLambda(0.1).scale(s).deltaEps(1e-12).build()}. */
    public static final class Builder extends OpBuilder<Builder> {
        private double ridgeLambda = 10.0;
        private double deltaEps = 1e-12;
        private boolean causal = true;
        private int blockSize;

        Builder() {
        }

        /** Ridge {@code λ > 0}; default 10.0 (FlashLLA). */
        public Builder ridgeLambda(double lambda) {
            this.ridgeLambda = Checks.positiveFinite(lambda, "ridgeLambda");
            return this;
        }

        /** Sign-preserving floor on {@code δ}; default 1e-12. */
        public Builder deltaEps(double eps) {
            Checks.check(Double.isFinite(eps) && eps >= 0, "deltaEps", "a finite value >= 0", eps);
            this.deltaEps = eps;
            return this;
        }

        /** Causal (default) or the non-causal extension. */
        public Builder causal(boolean causal) {
            this.causal = causal;
            return this;
        }

        /** Block-diagonal approximation with blocks of {@code b} dims ({@code b | D}); 0 (default) is the full system. */
        public Builder blockSize(int b) {
            Checks.check(b >= 0, "blockSize", ">= 0 (0 = full)", b);
            this.blockSize = b;
            return this;
        }

        @Override
        Builder self() {
            return this;
        }

        public LocalLinearAttention build() {
            return new LocalLinearAttention(this);
        }
    }
}
