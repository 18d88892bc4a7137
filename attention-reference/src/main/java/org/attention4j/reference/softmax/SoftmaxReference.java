package org.attention4j.reference.softmax;

import org.attention4j.MaskedSoftmaxOp;
import org.attention4j.reference.common.MaskedRows;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * Softmax and sliding-window attention (spec sections 1 and 2) as the oracle: every query row is a masked
 * softmax over the keys its window admits, in fp64.
 *
 * <p>Per-batch key ranges follow FlashAttention's KV-cache rules (spec 1.5): batch {@code b} sees keys
 * {@code keyStart[b] <= j < keyEnd[b]}, re-indexed to {@code j - keyStart[b]}, and the bottom-right
 * alignment, the window and the ALiBi column index all use that re-indexed key and
 * {@code Sk_b = keyEnd[b] - keyStart[b]}. The window and ALiBi conventions are the op's
 * ({@link MaskedSoftmaxOp#firstKey}, {@link MaskedSoftmaxOp#endKey}, {@link MaskedSoftmaxOp#alibiBias}),
 * shared with the fast tiers.
 */
public final class SoftmaxReference {
    private SoftmaxReference() {
    }

    public static Support supports(AttentionCall call) {
        if (!(call.op() instanceof MaskedSoftmaxOp)) {
            return Support.no("the softmax reference needs a MaskedSoftmaxOp, got " + call.op().getClass().getName());
        }
        if (call.spatialRank() != 1) {
            return Support.no("softmax attention takes [B, S, H, D] inputs, got rank " + call.q().rank());
        }
        return Support.yes();
    }

    public static AttentionResult forward(AttentionCall call) {
        MaskedSoftmaxOp op = (MaskedSoftmaxOp) call.op();
        int sq = call.queryTokens();
        int heads = call.heads();
        return MaskedRows.forward(call, op.softcap(), (b, i, h, keys) -> {
            int start = call.keyStart(b);
            int sk = call.keyEnd(b) - start;
            double slope = op.alibiSlope(b, h, heads);
            int end = op.endKey(i, sq, sk);
            for (int j = op.firstKey(i, sq, sk); j < end; j++) {
                keys.add(start + j, op.alibiBias(slope, i, j, sq, sk));
            }
        });
    }
}
