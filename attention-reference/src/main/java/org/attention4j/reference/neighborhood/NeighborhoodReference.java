package org.attention4j.reference.neighborhood;

import org.attention4j.NeighborhoodAttention;
import org.attention4j.neighborhood.NeighborhoodRule;
import org.attention4j.reference.common.MaskedRows;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * Neighborhood attention on 1-D, 2-D and 3-D grids (spec section 5) as the oracle: each query attends the
 * box product of its per-axis windows from {@link NeighborhoodRule} (the rule every tier shares), stepping
 * by the axis' dilation. Output {@code [B, X..., H, Dv]}; LSE {@code [B, H, X...]}, heads first like every
 * family of this library (NATTEN returns {@code [B, X..., H]}).
 */
public final class NeighborhoodReference {
    private NeighborhoodReference() {
    }

    public static Support supports(AttentionCall call) {
        if (!(call.op() instanceof NeighborhoodAttention)) {
            return Support.no("the neighborhood reference needs a NeighborhoodAttention, got " + call.op().getClass().getName());
        }
        return Support.yes();
    }

    public static AttentionResult forward(AttentionCall call) {
        NeighborhoodAttention op = (NeighborhoodAttention) call.op();
        int n = call.spatialRank();
        int[] extent = new int[n];
        for (int a = 0; a < n; a++) {
            extent[a] = call.q().dim(1 + a);
        }
        int[] kernel = op.kernel(n), stride = op.stride(n), dilation = op.dilation(n);
        boolean[] causal = op.causal(n);
        int[] coord = new int[n], start = new int[n], end = new int[n], at = new int[n];
        return MaskedRows.forward(call, 0, (b, token, h, keys) -> {
            int rest = token;
            for (int a = n - 1; a >= 0; a--) {
                coord[a] = rest % extent[a];
                rest /= extent[a];
            }
            for (int a = 0; a < n; a++) {
                start[a] = NeighborhoodRule.windowStart(coord[a], extent[a], kernel[a], stride[a], dilation[a], causal[a]);
                end[a] = NeighborhoodRule.windowEnd(coord[a], extent[a], kernel[a], stride[a], dilation[a], causal[a]);
                if (start[a] >= end[a]) {
                    return; // cannot happen under NATTEN's rule (every query sees itself); kept as a guard
                }
                at[a] = start[a];
            }
            // Odometer over the box, last axis fastest, each axis stepping by its dilation.
            while (true) {
                int key = 0;
                for (int a = 0; a < n; a++) {
                    key = key * extent[a] + at[a];
                }
                keys.add(key);
                int a = n - 1;
                while (a >= 0) {
                    at[a] += dilation[a];
                    if (at[a] < end[a]) {
                        break;
                    }
                    at[a] = start[a];
                    a--;
                }
                if (a < 0) {
                    return;
                }
            }
        });
    }
}
