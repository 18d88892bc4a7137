package org.attention4j;

import org.attention4j.internal.Checks;

/**
 * An attention output with its log-sum-exp.
 *
 * @param output {@code [B, S..., H, Dv]}
 * @param lse    {@code [B, H, Sq]} fp32 (spatial operators: {@code [B, H, X...]}, heads first like FlashAttention; NATTEN's
 *               heads-last LSE is {@code lse.permute(0, 2, .., 1)}); {@code +inf} for empty rows
 */
public record AttentionOutput(Tensor output, Tensor lse) {
    public AttentionOutput {
        Checks.notNull(output, "output");
        Checks.notNull(lse, "lse");
    }

    /** Kotlin destructuring: {@code val (o, lse) = op.forwardWithLse(q, k, v)}. */
    public Tensor component1() {
        return output;
    }

    /** Kotlin destructuring: the LSE. */
    public Tensor component2() {
        return lse;
    }
}
