package org.attention4j.reference.gated;

import org.attention4j.reference.linear.StatePassing;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;

/**
 * Gated linear attention (spec 4): the state-passing core with data-dependent log gates, per key row
 * ({@code g [B, T, H, Dk]}, GLA) or one per token and head ({@code g [B, T, H]}, simple GLA).
 */
public final class GatedReference {
    private GatedReference() {
    }

    public static AttentionResult forward(AttentionCall call) {
        float[] g = call.gate().toFloatArray();
        int len = call.q().dim(1), heads = call.heads(), dk = call.headDim();
        StatePassing.LogDecay decay = call.gate().rank() == 4
                ? (b, t, h, d) -> g[((b * len + t) * heads + h) * dk + d]
                : (b, t, h, d) -> g[(b * len + t) * heads + h];
        return StatePassing.run(call, decay, false);
    }
}
