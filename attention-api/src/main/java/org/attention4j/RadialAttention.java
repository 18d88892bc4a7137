package org.attention4j;

import java.util.Arrays;
import org.attention4j.internal.Checks;
import org.attention4j.internal.Dispatcher;
import org.attention4j.radial.RadialMask;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.jspecify.annotations.Nullable;

/**
 * Radial attention (spec section 6): bidirectional softmax over a static O(n log n) block mask of
 * {@code frames x tokensPerFrame} video tokens (frame-major) followed by optional text tokens. Token
 * {@code (i, j)} is attended iff block {@code (i / blockSize, j / blockSize)} is kept and key {@code j} is
 * valid for the batch element. Inspect the mask with {@link #blockMask(int)}.
 */
public final class RadialAttention extends AttentionOp {
    private final int frames;
    private final int tokensPerFrame;
    private final int blockSize;
    private final RadialModel model;
    private final double decayFactor;

    private RadialAttention(Builder b) {
        super(b.scale, b.verify);
        this.frames = b.frames;
        this.tokensPerFrame = b.tokensPerFrame;
        this.blockSize = b.blockSize;
        this.model = b.model;
        this.decayFactor = b.decayFactor;
    }

    @Override public Family family() { return Family.RADIAL; }

    public int frames() { return frames; }
    public int tokensPerFrame() { return tokensPerFrame; }
    public int blockSize() { return blockSize; }
    public RadialModel model() { return model; }
    public double decayFactor() { return decayFactor; }

    /** Video tokens {@code frames * tokensPerFrame}. */
    public int videoTokens() { return frames * tokensPerFrame; }

    @Override
    public String config() {
        return "frames=" + frames + ",tokensPerFrame=" + tokensPerFrame + ",block=" + blockSize + ",model=" + model
                + ",decay=" + decayFactor + "," + scaleConfig();
    }

    /** The block mask for a sequence of {@code seqLen} tokens (video then text); cached per configuration. */
    public RadialMask blockMask(int seqLen) {
        Checks.check(seqLen >= videoTokens(), "seqLen", ">= frames * tokensPerFrame = " + videoTokens(), seqLen);
        return RadialMask.of(videoTokens(), frames, seqLen, blockSize, decayFactor, model);
    }

    /** Output {@code [B, S, H, Dv]} with every key valid. */
    public Tensor forward(Tensor q, Tensor k, Tensor v) {
        return Dispatcher.get().run(validate(q, k, v, null).build()).output();
    }

    /**
     * Output with a per-batch key-padding prefix: batch {@code b} sees only keys {@code j < keyLengths[b]}
     * (HunyuanVideo's text padding, applied per batch element rather than from batch 0 as the anchor does).
     */
    public Tensor forward(Tensor q, Tensor k, Tensor v, int[] keyLengths) {
        Checks.notNull(keyLengths, "keyLengths");
        return Dispatcher.get().run(validate(q, k, v, keyLengths).build()).output();
    }

    /** Output and LSE {@code [B, H, S]}; {@code keyLengths} may be null. */
    public AttentionOutput forwardWithLse(Tensor q, Tensor k, Tensor v, int @Nullable [] keyLengths) {
        AttentionResult r = Dispatcher.get().run(validate(q, k, v, keyLengths).needLse(true).build());
        return new AttentionOutput(r.output(), r.lse());
    }

    AttentionCall.Builder validate(Tensor q, Tensor k, Tensor v, int[] keyLengths) {
        SoftmaxFamilyOp.validateQkv(q, k, v, true);
        Checks.check(q.rank() == 4, "q", "rank 4 [B, S, H, D]", Arrays.toString(q.shape()));
        int s = q.dim(1);
        if (s < videoTokens()) {
            throw Checks.mismatch("q", "sequence length S >= frames * tokensPerFrame = " + videoTokens(), "S = " + s);
        }
        int[] end = null;
        if (keyLengths != null) {
            Checks.check(keyLengths.length == q.dim(0), "keyLengths", "length B = " + q.dim(0), keyLengths.length);
            for (int b = 0; b < keyLengths.length; b++) {
                Checks.check(keyLengths[b] >= 0 && keyLengths[b] <= s, "keyLengths[" + b + "]", "in [0, S = " + s + "]", keyLengths[b]);
            }
            end = keyLengths.clone();
        }
        return AttentionCall.builder(this, q, k, v).keyRange(null, end);
    }

    /** Builder: {@code Attention.radial(frames, tokensPerFrame).blockSize(128).model(RadialModel.WAN).decayFactor(1.0)}. */
    public static final class Builder extends OpBuilder<Builder> {
        private final int frames;
        private final int tokensPerFrame;
        private int blockSize = 128;
        private RadialModel model = RadialModel.WAN;
        private double decayFactor = 1.0;

        Builder(int frames, int tokensPerFrame) {
            Checks.check(frames >= 1, "frames", ">= 1", frames);
            Checks.check(tokensPerFrame >= 1, "tokensPerFrame", ">= 1", tokensPerFrame);
            Checks.check((long) frames * tokensPerFrame <= Integer.MAX_VALUE, "frames * tokensPerFrame", "<= 2^31 - 1",
                    (long) frames * tokensPerFrame);
            this.frames = frames;
            this.tokensPerFrame = tokensPerFrame;
        }

        /** Mask block size: 64 or 128 (the anchor's kernels support these); default 128. */
        public Builder blockSize(int blockSize) {
            Checks.check(blockSize == 64 || blockSize == 128, "blockSize", "64 or 128", blockSize);
            this.blockSize = blockSize;
            return this;
        }

        /** The model's mask variant; default WAN. */
        public Builder model(RadialModel model) {
            this.model = Checks.notNull(model, "model");
            return this;
        }

        /** Decay factor {@code δ > 0} scaling the band widths; default 1.0. */
        public Builder decayFactor(double decayFactor) {
            this.decayFactor = Checks.positiveFinite(decayFactor, "decayFactor");
            return this;
        }

        @Override
        Builder self() {
            return this;
        }

        public RadialAttention build() {
            return new RadialAttention(this);
        }
    }
}
