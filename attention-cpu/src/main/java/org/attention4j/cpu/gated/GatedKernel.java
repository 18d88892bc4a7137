package org.attention4j.cpu.gated;

import org.attention4j.GatedAttention;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuThreads;
import org.attention4j.cpu.TensorReader;
import org.attention4j.cpu.linear.ChunkedRecurrence;
import org.attention4j.cpu.vectorization.TileOps;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * GLA with per-key-dimension gates {@code g [B, T, H, Dk]} and simple GLA with scalar gates
 * {@code g [B, T, H]} (spec 4): the chunked core of the linear family with GLA's secondary chunking.
 */
public final class GatedKernel {
    private GatedKernel() {
    }

    /** Gates per block of the in-place scan: the scan stops at the first block holding a positive gate. */
    private static final int SCAN_BLOCK = 1 << 16;

    public static Support supports(AttentionCall call, TileOps ops) {
        if (!(call.op() instanceof GatedAttention)) {
            return Support.no("not a GatedAttention operator");
        }
        String size = ChunkedRecurrence.tooLarge(call);
        if (size != null) {
            return Support.no(size);
        }
        Tensor g = call.gate();
        if (g == null) {
            return Support.no("no gate tensor");
        }
        // The chunk form keeps every gate factor an exponent <= 0; positive log gates grow the state.
        // Row by row (the last axis in one read) and a plain scan: a per-element index walk cost about a
        // quarter of a GLA forward call (8M gates at T = 8192, H = 8, K = 128).
        TensorReader r = new TensorReader(g);
        float[] heap = r.f32ArrayOrNull();
        if (heap != null && g.isContiguous()) {
            // In place, one pass: a row-by-row copy first doubled the cost of this scan, which runs before the kernel
            // (16 MB of gates at T = 8192, H = 8, K = 64), as a vector max per block: the scalar compare loop took
            // 1.1 ms there, the vector max 0.7 ms.
            if (anyPositive(heap, Math.toIntExact(r.offset()), Math.toIntExact(g.numel()), ops)) {
                return Support.no("positive log gates (a growing state)");
            }
            return Support.yes();
        }
        long[] shape = g.shape();
        int last = shape.length - 1, width = (int) shape[last];
        float[] row = new float[width];
        long[] idx = new long[last];
        for (long i = 0, rows = g.numel() / Math.max(width, 1); i < rows; i++) {
            long pos = r.offset();
            for (int d = 0; d < last; d++) pos += idx[d] * r.stride(d);
            r.read(pos, r.stride(last), width, row, 0, 1, 1f);
            if (anyPositive(row)) {
                return Support.no("positive log gates (a growing state)");
            }
            for (int d = last - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
        return Support.yes();
    }

    private static boolean anyPositive(float[] x) {
        boolean any = false;
        for (float v : x) any |= v > 0;
        return any;
    }

    private static boolean anyPositive(float[] x, int off, int n, TileOps ops) {
        for (int o = 0; o < n; o += SCAN_BLOCK) {
            // !(m <= 0) rather than m > 0: NaN gates are refused too (the facade rejects them before this).
            if (!(ops.max(x, off + o, Math.min(SCAN_BLOCK, n - o)) <= 0)) {
                return true;
            }
        }
        return false;
    }

    public static AttentionResult forward(AttentionCall call, TileOps ops, CpuThreads threads) {
        GatedAttention op = (GatedAttention) call.op();
        ChunkedRecurrence.Spec spec = new ChunkedRecurrence.Spec(call.q(), call.k(), call.v(), op.scale(call.headDim()))
                .gate(call.gate())
                .initialState(call.initialState())
                .order(op.reverse(), op.cuSeqlens());
        return ChunkedRecurrence.forward(spec, ops, threads);
    }
}
