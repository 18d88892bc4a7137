package org.attention4j.cpu.softmax;

import static org.attention4j.cpu.softmax.OnlineSoftmax.KEY_TILE;
import static org.attention4j.cpu.softmax.OnlineSoftmax.LN2;
import static org.attention4j.cpu.softmax.OnlineSoftmax.LOG2E;

import org.attention4j.MaskedSoftmaxOp;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuThreads;
import org.attention4j.cpu.TensorReader;
import org.attention4j.cpu.TensorWriter;
import org.attention4j.cpu.vectorization.TileOps;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * Softmax and sliding-window attention forward (spec 1, 2): FlashAttention's tiling over
 * (batch, head, query tile) work items, each streaming only the key tiles its rows can see (causal and
 * window bands skip the rest, spec 1.6 / 2.6). GQA heads share one packed copy of K and V.
 *
 * <p>Calls with few query rows (decoding) go to {@link DecodeKernel}, which reads K and V in place.
 * When there are too few query tiles to occupy the threads (decoding), each item's keys are cut into
 * fixed chunks computed independently and merged exactly by LSE (spec 0.4) in chunk order. The chunking
 * depends only on the shapes, never on the thread count, so results are the same bits for any pool.
 */
public final class SoftmaxKernel {
    /** Query rows per work item. */
    static final int QUERY_TILE = 64;
    /** Below this many (batch, head, query tile) items the keys are split into chunks. */
    static final int SPLIT_BELOW_ITEMS = 16;
    /** Key tiles per chunk when splitting. */
    static final int SPLIT_CHUNK_TILES = 8;
    /** Most chunks per item when splitting (bounds the partial buffers). */
    static final int MAX_CHUNKS = 64;

    private SoftmaxKernel() {
    }

    public static Support supports(AttentionCall call, TileOps ops) {
        if (!(call.op() instanceof MaskedSoftmaxOp)) {
            return Support.no("not a softmax-family operator");
        }
        if (call.q().rank() != 4) {
            return Support.no("softmax expects rank-4 [B, S, H, D] inputs");
        }
        if (DecodeKernel.applies(call)) {
            return Support.yes();
        }
        int dvp = roundUp(call.valueDim(), ops.lanes());
        long packed = KeyTiles.packedElements(call.batch(), call.kvHeads(), call.k().dim(1), call.headDim(), dvp);
        if (packed > Integer.MAX_VALUE - 8) {
            return Support.no("packed K/V would exceed one Java array (" + packed + " elements)");
        }
        return Support.yes();
    }

    public static AttentionResult forward(AttentionCall call, TileOps ops, CpuThreads threads) {
        if (DecodeKernel.applies(call)) {
            return DecodeKernel.forward(call, ops, threads);
        }
        MaskedSoftmaxOp op = (MaskedSoftmaxOp) call.op();
        Tensor q = call.q();
        int batch = q.dim(0), sq = q.dim(1), heads = q.dim(2), d = q.dim(3);
        int kvHeads = call.kvHeads(), dv = call.valueDim();
        int group = heads / kvHeads;
        int dvp = roundUp(dv, ops.lanes());
        int[] ks = new int[batch], ke = new int[batch];
        for (int b = 0; b < batch; b++) {
            ks[b] = call.keyStart(b);
            ke[b] = call.keyEnd(b);
        }
        KeyTiles keys = KeyTiles.pack(call.k(), call.v(), ks, ke, dvp, threads, ops);
        float qScale = (float) (op.scale(d) * LOG2E);
        double softcap = op.softcap();
        TensorReader qr = new TensorReader(q);
        TensorWriter out = new TensorWriter(q.dtype(), batch, sq, heads, dv);
        float[] lse = call.needLse() ? new float[batch * heads * sq] : null;

        int qTiles = (sq + QUERY_TILE - 1) / QUERY_TILE;
        int items = batch * heads * qTiles;
        int maxKeyTiles = 0;
        for (int b = 0; b < batch; b++) maxKeyTiles = Math.max(maxKeyTiles, (keys.keys(b) + KEY_TILE - 1) / KEY_TILE);
        // At most MAX_CHUNKS chunks of at least SPLIT_CHUNK_TILES tiles: a function of the shapes only.
        int chunkTiles = Math.max(SPLIT_CHUNK_TILES, (maxKeyTiles + MAX_CHUNKS - 1) / MAX_CHUNKS);
        int chunks = items < SPLIT_BELOW_ITEMS ? Math.max(1, (maxKeyTiles + chunkTiles - 1) / chunkTiles) : 1;

        Tile tile = new Tile(op, call, qr, keys, qScale, softcap, group, sq);
        if (chunks == 1) {
            threads.forEach(items, () -> new OnlineSoftmax(ops, QUERY_TILE, d, dvp), (item, st) -> {
                // Last query tiles first: under a causal mask they see the most keys, and taking them early
                // keeps the threads busy to the end (the order cannot change any result).
                int b = item / (heads * qTiles), h = (item / qTiles) % heads, qt = qTiles - 1 - item % qTiles;
                int rows = tile.run(st, b, h, qt, 0, Integer.MAX_VALUE);
                store(st, rows, b, h, qt * QUERY_TILE, sq, heads, dv, out, lse);
            });
        } else {
            // Split-KV: partial (acc, m, l) per (item, chunk), merged in chunk order.
            int tileRows = Math.min(QUERY_TILE, sq);
            int stride = tileRows * dvp;
            float[] pAcc = new float[items * chunks * stride];
            float[] pM = new float[items * chunks * tileRows];
            float[] pL = new float[items * chunks * tileRows];
            threads.forEach(items * chunks, () -> new OnlineSoftmax(ops, QUERY_TILE, d, dvp), (work, st) -> {
                int item = work / chunks, c = work % chunks;
                int b = item / (heads * qTiles), h = (item / qTiles) % heads, qt = item % qTiles;
                int rows = tile.run(st, b, h, qt, c * chunkTiles, (c + 1) * chunkTiles);
                System.arraycopy(st.acc, 0, pAcc, work * stride, rows * dvp);
                System.arraycopy(st.m, 0, pM, work * tileRows, rows);
                System.arraycopy(st.l, 0, pL, work * tileRows, rows);
            });
            threads.forEach(items, () -> new OnlineSoftmax(ops, QUERY_TILE, d, dvp), (item, st) -> {
                int b = item / (heads * qTiles), h = (item / qTiles) % heads, qt = item % qTiles;
                int rows = Math.min(QUERY_TILE, sq - qt * QUERY_TILE);
                mergeChunks(st, rows, item * chunks, chunks, pAcc, pM, pL, stride, tileRows, ops);
                store(st, rows, b, h, qt * QUERY_TILE, sq, heads, dv, out, lse);
            });
        }
        Tensor lseT = lse == null ? null : Tensor.of(lse, batch, heads, sq);
        return new AttentionResult(out.tensor(), lseT, null, null);
    }

    /** Exact LSE merge (spec 0.4, max-shifted form) of chunk partials into {@code st}. */
    static void mergeChunks(OnlineSoftmax st, int rows, int first, int chunks, float[] pAcc, float[] pM,
                                    float[] pL, int stride, int tileRows, TileOps ops) {
        int dvp = st.dvp();
        for (int r = 0; r < rows; r++) {
            float mMax = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < chunks; c++) {
                int w = first + c;
                if (pL[w * tileRows + r] > 0) mMax = Math.max(mMax, pM[w * tileRows + r]);
            }
            float lSum = 0f;
            java.util.Arrays.fill(st.acc, r * dvp, (r + 1) * dvp, 0f);
            if (mMax != Float.NEGATIVE_INFINITY) {
                for (int c = 0; c < chunks; c++) {
                    int w = first + c;
                    float lc = pL[w * tileRows + r];
                    if (lc <= 0) continue;
                    float wgt = (float) Math.exp((pM[w * tileRows + r] - mMax) * LN2);
                    lSum += lc * wgt;
                    ops.axpy(wgt, pAcc, w * stride + r * dvp, st.acc, r * dvp, dvp);
                }
            }
            st.m[r] = mMax;
            st.l[r] = lSum;
        }
    }

    private static void store(OnlineSoftmax st, int rows, int b, int h, int i0, int sq, int heads, int dv,
                              TensorWriter out, float[] lse) {
        int dvp = st.dvp();
        for (int r = 0; r < rows; r++) {
            int i = i0 + r;
            out.write(((b * sq + i) * heads + h) * dv, st.acc, r * dvp, dv, st.outputScale(r));
            if (lse != null) {
                lse[(b * heads + h) * sq + i] = st.lse(r);
            }
        }
    }

    /** Fills and runs one query tile; shared by the plain and split paths. */
    private static final class Tile {
        final MaskedSoftmaxOp op;
        final AttentionCall call;
        final TensorReader qr;
        final KeyTiles keys;
        final float qScale;
        final double softcap;
        final int group, sq, d;
        final long qs0, qs1, qs2, qs3;

        Tile(MaskedSoftmaxOp op, AttentionCall call, TensorReader qr, KeyTiles keys, float qScale, double softcap,
             int group, int sq) {
            this.op = op;
            this.call = call;
            this.qr = qr;
            this.keys = keys;
            this.qScale = qScale;
            this.softcap = softcap;
            this.group = group;
            this.sq = sq;
            this.d = call.headDim();
            this.qs0 = qr.stride(0);
            this.qs1 = qr.stride(1);
            this.qs2 = qr.stride(2);
            this.qs3 = qr.stride(3);
        }

        /** Runs query tile {@code qt} of (b, h) over key tiles {@code [tFrom, tTo)}; returns its row count. */
        int run(OnlineSoftmax st, int b, int h, int qt, int tFrom, int tTo) {
            int i0 = qt * QUERY_TILE;
            int rows = Math.min(QUERY_TILE, sq - i0);
            int sk = keys.keys(b);
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                st.lo[r] = op.firstKey(i, sq, sk);
                st.hi[r] = op.endKey(i, sq, sk);
                st.aligned[r] = (float) ((long) i + sk - sq);
                qr.read(qr.offset() + b * qs0 + i * qs1 + h * qs2, qs3, d, st.q, r * d, 1, qScale);
            }
            double slope = op.alibiSlope(b, h, call.heads());
            // FlashAttention's column-only ALiBi applies to plain causal masks only, not causal windows (spec 1.2).
            st.begin(rows, softcap, slope, op.windowLeft() < 0 && op.windowRight() == 0);
            int from = st.unionFrom(), to = st.unionTo();
            if (from >= to) {
                return rows;
            }
            int g = h / group;
            int t0 = Math.max(from / KEY_TILE, tFrom);
            int t1 = Math.min((to - 1) / KEY_TILE + 1, tTo);
            for (int t = t0; t < t1; t++) {
                // A last, partial tile is zero-padded and past every row's range: visiting it whole keeps the vector path.
                st.visit(keys.kt, keys.ktOffset(b, g, t), keys.v, keys.vOffset(b, g, t), t * KEY_TILE, KEY_TILE);
            }
            return rows;
        }
    }

    static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }
}
