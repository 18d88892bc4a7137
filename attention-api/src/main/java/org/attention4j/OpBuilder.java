package org.attention4j;

import org.attention4j.internal.Checks;

/**
 * Settings every operator builder has: the softmax/read-out scale and the verification policy.
 *
 * @param <B> the concrete builder, returned by every setter so calls chain
 */
public abstract class OpBuilder<B extends OpBuilder<B>> {
    Double scale;
    VerifyPolicy verify;

    OpBuilder() {
    }

    abstract B self();

    /** Scale; default {@code D^-1/2} (the spec default of every family). Must be finite. */
    public B scale(double scale) {
        this.scale = Checks.finite(scale, "scale");
        return self();
    }

    /** Verification policy for this operator (overrides {@code attention4j.verify}). */
    public B verify(VerifyPolicy policy) {
        this.verify = Checks.notNull(policy, "verify");
        return self();
    }
}
