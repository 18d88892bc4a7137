package org.attention4j.cpu.linear;

import org.attention4j.LinearAttention;
import org.attention4j.cpu.CpuThreads;
import org.attention4j.cpu.vectorization.TileOps;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/** Linear attention, normalized or with per-head decay (spec 3): the chunked core with a constant scalar gate. */
public final class LinearKernel {
    private LinearKernel() {
    }

    public static Support supports(AttentionCall call) {
        if (!(call.op() instanceof LinearAttention)) {
            return Support.no("not a LinearAttention operator");
        }
        String size = ChunkedRecurrence.tooLarge(call);
        if (size != null) {
            return Support.no(size);
        }
        LinearAttention op = (LinearAttention) call.op();
        float[] decay = op.decay();
        if (decay != null) {
            for (float g : decay) {
                if (g > 0) {
                    return Support.no("positive log decay (a growing state) " + g);
                }
            }
        }
        return Support.yes();
    }

    public static AttentionResult forward(AttentionCall call, TileOps ops, CpuThreads threads) {
        LinearAttention op = (LinearAttention) call.op();
        ChunkedRecurrence.Spec spec = new ChunkedRecurrence.Spec(call.q(), call.k(), call.v(), op.scale(call.headDim()))
                .initialState(call.initialState())
                .normalize(op.normalize(), call.initialKeySum())
                .order(op.reverse(), op.cuSeqlens());
        float[] decay = op.decay();
        if (decay != null) {
            spec.headDecay(decay);
        }
        return ChunkedRecurrence.forward(spec, ops, threads);
    }
}
