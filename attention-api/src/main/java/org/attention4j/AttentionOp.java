package org.attention4j;

import org.jspecify.annotations.Nullable;

/**
 * An immutable operator specification: what to compute, independent of the inputs and of the backend.
 * Built with the fluent builders of {@link Attention}.
 */
public abstract class AttentionOp {
    private final @Nullable Double scale;
    private final @Nullable VerifyPolicy verify;

    AttentionOp(@Nullable Double scale, @Nullable VerifyPolicy verify) {
        this.scale = scale;
        this.verify = verify;
    }

    /** The operator family. */
    public abstract Family family();

    /**
     * A stable text of every setting that changes the result (used as the verification key and in
     * {@link Attention#explain}). Two ops with equal configs compute the same function.
     */
    public abstract String config();

    /** The explicit scale, or {@code null} for the spec default {@code D^-1/2}. */
    public @Nullable Double explicitScale() {
        return scale;
    }

    /** The scale used for query/key head dim {@code d}: the explicit one, else {@code d^-1/2}. */
    public double scale(int d) {
        return scale != null ? scale : 1.0 / Math.sqrt(d);
    }

    /** The explicit verification policy, or {@code null} to follow {@code attention4j.verify}. */
    public @Nullable VerifyPolicy verifyPolicy() {
        return verify;
    }

    String scaleConfig() {
        return scale == null ? "scale=default" : "scale=" + scale;
    }

    @Override
    public String toString() {
        return family() + "{" + config() + "}";
    }
}
