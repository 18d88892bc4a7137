package org.attention4j.reference.linear;

import org.attention4j.LinearAttention;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;

/**
 * Linear attention (spec 3.1-3.3): the state-passing core with no decay, or with the op's constant per-head
 * log decay {@code γ_h} (Lightning, RetNet), optionally normalized by the key sum.
 */
public final class LinearReference {
    private LinearReference() {
    }

    public static AttentionResult forward(AttentionCall call) {
        LinearAttention op = (LinearAttention) call.op();
        float[] perHead = op.decay();
        StatePassing.LogDecay decay = perHead == null ? StatePassing.LogDecay.NONE : (b, t, h, d) -> perHead[h];
        return StatePassing.run(call, decay, op.normalize());
    }
}
