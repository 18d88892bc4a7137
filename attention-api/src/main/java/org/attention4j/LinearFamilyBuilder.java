package org.attention4j;

/**
 * Settings shared by the linear and gated builders: direction and variable-length batches.
 *
 * @param <B> the concrete builder
 */
public abstract class LinearFamilyBuilder<B extends LinearFamilyBuilder<B>> extends OpBuilder<B> {
    boolean reverse;
    int[] cuSeqlens;

    LinearFamilyBuilder() {
    }

    /** Process tokens last to first (anti-causal, spec 4.3); default false. */
    public B reverse(boolean reverse) {
        this.reverse = reverse;
        return self();
    }

    /** Variable-length batch: offsets {@code [0, t1, ..., T]} with {@code B = 1}; the state resets at each boundary. */
    public B cuSeqlens(int... offsets) {
        this.cuSeqlens = LinearFamilyOp.checkCuSeqlens(offsets);
        return self();
    }
}
