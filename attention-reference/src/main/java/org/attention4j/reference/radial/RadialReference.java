package org.attention4j.reference.radial;

import org.attention4j.RadialAttention;
import org.attention4j.radial.RadialMask;
import org.attention4j.reference.common.MaskedRows;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * Radial attention (spec section 6) as the oracle: query token {@code i} attends key token {@code j} iff
 * the block pair is kept by {@link RadialMask} (spec 6.2, with this library's partial-block convention) and
 * {@code j} is a valid key of the batch element ({@code keyStart[b] <= j < keyEnd[b]}; the facade sets only
 * the end, HunyuanVideo's text padding). Inside a kept block every token pair is attended. When the video
 * tokens fill whole blocks, text rows and columns are dense in the mask, so this equals the anchor's
 * execution (spec 6.4): video queries see their kept video blocks plus the valid text, text queries see every
 * valid key. Otherwise the partial block at the video/text border is dense like text (the library's
 * convention of 6.2, where the anchor fails). A row left with no valid key outputs 0 with LSE {@code +inf}.
 */
public final class RadialReference {
    private RadialReference() {
    }

    public static Support supports(AttentionCall call) {
        if (!(call.op() instanceof RadialAttention)) {
            return Support.no("the radial reference needs a RadialAttention, got " + call.op().getClass().getName());
        }
        if (call.spatialRank() != 1) {
            return Support.no("radial attention takes [B, S, H, D] inputs, got rank " + call.q().rank());
        }
        return Support.yes();
    }

    public static AttentionResult forward(AttentionCall call) {
        RadialAttention op = (RadialAttention) call.op();
        RadialMask mask = op.blockMask(call.queryTokens());
        int bs = mask.blockSize();
        int[][] keptByRow = new int[mask.numBlocks()][];
        return MaskedRows.forward(call, 0, (b, i, h, keys) -> {
            int qb = i / bs;
            if (keptByRow[qb] == null) {
                keptByRow[qb] = mask.keptBlocks(qb);
            }
            int lo = call.keyStart(b), hi = call.keyEnd(b);
            for (int kb : keptByRow[qb]) {
                int end = Math.min((kb + 1) * bs, hi);
                for (int j = Math.max(kb * bs, lo); j < end; j++) {
                    keys.add(j);
                }
            }
        });
    }
}
