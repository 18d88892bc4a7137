package org.attention4j;

import org.attention4j.internal.Checks;
import org.jspecify.annotations.Nullable;

/**
 * Output of a linear-family operator.
 *
 * @param output      {@code [B, T, H, Dv]} in q's dtype
 * @param finalState  {@code [N, H, Dk, Dv]} fp32 state after the last token (N = B, or the number of
 *                    sequences with variable-length batches); pass it back as the next call's initial state
 * @param finalKeySum {@code [N, H, Dk]} fp32 running key sum {@code z} of normalized linear attention, else null
 */
public record LinearOutput(Tensor output, Tensor finalState, @Nullable Tensor finalKeySum) {
    public LinearOutput {
        Checks.notNull(output, "output");
        Checks.notNull(finalState, "finalState");
    }

    /** Kotlin destructuring: {@code val (o, state) = op.forward(q, k, v, h0)}. */
    public Tensor component1() {
        return output;
    }

    /** Kotlin destructuring: the final state. */
    public Tensor component2() {
        return finalState;
    }

    /** Kotlin destructuring: the final key sum, when normalizing. */
    public @Nullable Tensor component3() {
        return finalKeySum;
    }
}
