package org.attention4j.cpu.radial;

import static org.attention4j.cpu.softmax.OnlineSoftmax.KEY_TILE;

import org.attention4j.RadialAttention;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuThreads;
import org.attention4j.cpu.TensorReader;
import org.attention4j.cpu.TensorWriter;
import org.attention4j.cpu.softmax.KeyTiles;
import org.attention4j.cpu.softmax.OnlineSoftmax;
import org.attention4j.cpu.vectorization.TileOps;
import org.attention4j.radial.RadialMask;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * Radial attention (spec 6.8): block-sparse online softmax. Each (batch, head, query block) visits only
 * the key blocks kept in its CSR row of the cached {@link RadialMask}; inside a kept block every pair is
 * attended, so the only element mask is the per-batch key padding ({@code j < keyEnd[b]}).
 */
public final class RadialKernel {
    /** Query rows per work item (a mask block of 128 rows is two items). */
    private static final int QUERY_TILE = 64;

    private RadialKernel() {
    }

    public static Support supports(AttentionCall call, TileOps ops) {
        if (!(call.op() instanceof RadialAttention)) {
            return Support.no("not a RadialAttention operator");
        }
        if (call.q().rank() != 4) {
            return Support.no("radial attention takes [B, S, H, D] inputs");
        }
        int blk = ((RadialAttention) call.op()).blockSize();
        if (blk % KEY_TILE != 0) {
            return Support.no("mask block size " + blk + " is not a multiple of the key tile " + KEY_TILE);
        }
        int dvp = (call.valueDim() + ops.lanes() - 1) / ops.lanes() * ops.lanes();
        long packed = KeyTiles.packedElements(call.batch(), call.kvHeads(), call.keyTokens(), call.headDim(), dvp);
        if (packed > Integer.MAX_VALUE - 8) {
            return Support.no("packed K/V would exceed one Java array (" + packed + " elements)");
        }
        return Support.yes();
    }

    public static AttentionResult forward(AttentionCall call, TileOps ops, CpuThreads threads) {
        RadialAttention op = (RadialAttention) call.op();
        Tensor q = call.q();
        int batch = q.dim(0), s = q.dim(1), heads = q.dim(2), d = q.dim(3), dv = call.valueDim();
        int group = heads / call.kvHeads();
        int dvp = (dv + ops.lanes() - 1) / ops.lanes() * ops.lanes();
        RadialMask mask = op.blockMask(s);
        int blk = mask.blockSize();
        int[][] kept = new int[mask.numBlocks()][];
        for (int a = 0; a < kept.length; a++) kept[a] = mask.keptBlocks(a);
        int[] ks = new int[batch], ke = new int[batch];
        for (int b = 0; b < batch; b++) ke[b] = call.keyEnd(b);
        KeyTiles keys = KeyTiles.pack(call.k(), call.v(), ks, ke, dvp, threads);
        TensorReader qr = new TensorReader(q);
        TensorWriter out = new TensorWriter(q.dtype(), batch, s, heads, dv);
        float[] lse = call.needLse() ? new float[batch * heads * s] : null;
        float qScale = (float) (op.scale(d) / Math.log(2));
        int qTiles = (s + QUERY_TILE - 1) / QUERY_TILE;
        int tilesPerBlock = blk / KEY_TILE;
        threads.forEach(batch * heads * qTiles, () -> new OnlineSoftmax(ops, QUERY_TILE, d, dvp), (item, st) -> {
            int b = item / (heads * qTiles), h = (item / qTiles) % heads, qt = item % qTiles;
            int g = h / group;
            int i0 = qt * QUERY_TILE, rows = Math.min(QUERY_TILE, s - i0);
            int valid = keys.keys(b);
            for (int r = 0; r < rows; r++) {
                st.lo[r] = 0;
                st.hi[r] = valid;
                qr.read(qr.offset() + b * qr.stride(0) + (i0 + r) * qr.stride(1) + h * qr.stride(2), qr.stride(3), d, st.q, r * d, 1, qScale);
            }
            st.begin(rows, 0, 0, false);
            for (int kb : kept[i0 / blk]) {
                for (int t = kb * tilesPerBlock; t < (kb + 1) * tilesPerBlock && t * KEY_TILE < valid; t++) {
                    st.visit(keys.kt, keys.ktOffset(b, g, t), keys.v, keys.vOffset(b, g, t), t * KEY_TILE, KEY_TILE);
                }
            }
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                out.write(((b * s + i) * heads + h) * dv, st.acc, r * dvp, dv, st.outputScale(r));
                if (lse != null) lse[(b * heads + h) * s + i] = st.lse(r);
            }
        });
        Tensor lseT = lse == null ? null : Tensor.of(lse, batch, heads, s);
        return new AttentionResult(out.tensor(), lseT, null, null);
    }
}
