package org.attention4j.cpu.softmax;

import static org.attention4j.cpu.softmax.OnlineSoftmax.KEY_TILE;
import static org.attention4j.cpu.softmax.OnlineSoftmax.LOG2E;

import org.attention4j.MaskedSoftmaxOp;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuThreads;
import org.attention4j.cpu.TensorReader;
import org.attention4j.cpu.TensorWriter;
import org.attention4j.cpu.vectorization.TileOps;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;

/**
 * Softmax-family forward for few query rows per batch element (decoding against a KV cache, spec 1.5).
 * Such a call does about 4 FLOPs per byte of K and V, so it is bound by reading them: keys and values are
 * read once, where they lie in the tensors' storage, instead of being packed into tiles first (a pack
 * writes and rereads the whole cache, {@link KeyTiles}). Heap fp32 with unit-stride rows is read directly;
 * other storage is widened one key tile at a time into a small per-thread buffer.
 *
 * <p>A work item is one batch element's chunk of keys over every kv head, so memory is read in storage
 * order; all query rows of a kv head's GQA group share each key. Long caches are cut into chunks of
 * {@link #chunkKeys} keys, computed independently and merged exactly by LSE (spec 0.4) in chunk order.
 * The chunks depend only on the shapes, never on the thread count, so results are the same bits for any pool.
 */
final class DecodeKernel {
    /** Query rows per batch element up to which this path is used (beyond, the packed tiles pay for themselves). */
    static final int MAX_QUERIES = 16;
    /**
     * Bytes of K and V (fp32 as computed) per chunk: the split cutoff. Forking and merging costs about
     * 10-20 us a call; measured on a 2-core EPYC with h = hkv = 8, d = 128 (8 KiB a key): splitting caches
     * of 128-256 keys into 1 MiB chunks made them 30-40% slower, from 512 keys on split and unsplit ran even.
     * 2 MiB (256 keys there) keeps a chunk ~10x its overhead and still gives a 4k-key cache 16 chunks.
     */
    static final int CHUNK_BYTES = 2 << 20;
    /** Most chunks per batch element (bounds the partial buffers; longer caches get longer chunks). */
    static final int MAX_CHUNKS = 256;

    private DecodeKernel() {
    }

    static boolean applies(AttentionCall call) {
        return call.q().rank() == 4 && call.q().dim(1) <= MAX_QUERIES;
    }

    /** Keys per chunk for these shapes: whole key tiles, at least {@link #CHUNK_BYTES} of K and V. */
    static int chunkKeys(int maxKeys, int kvHeads, int d, int dv) {
        long bytesPerKey = 4L * kvHeads * (d + dv);
        long keys = Math.max(KEY_TILE, (CHUNK_BYTES + bytesPerKey - 1) / bytesPerKey);
        keys = Math.max(keys, ((long) maxKeys + MAX_CHUNKS - 1) / MAX_CHUNKS);
        return (int) Math.min(Integer.MAX_VALUE - KEY_TILE, (keys + KEY_TILE - 1) / KEY_TILE * KEY_TILE);
    }

    static AttentionResult forward(AttentionCall call, TileOps ops, CpuThreads threads) {
        MaskedSoftmaxOp op = (MaskedSoftmaxOp) call.op();
        Tensor q = call.q();
        int batch = q.dim(0), sq = q.dim(1), heads = q.dim(2), d = q.dim(3);
        int kvHeads = call.kvHeads(), dv = call.valueDim();
        int group = heads / kvHeads;
        int rows = group * sq;
        int dvp = SoftmaxKernel.roundUp(dv, ops.lanes());
        int[] ks = new int[batch], sk = new int[batch];
        int maxKeys = 0;
        for (int b = 0; b < batch; b++) {
            ks[b] = call.keyStart(b);
            sk[b] = call.keyEnd(b) - ks[b];
            maxKeys = Math.max(maxKeys, sk[b]);
        }
        int chunkKeys = chunkKeys(maxKeys, kvHeads, d, dv);
        int chunks = Math.max(1, (maxKeys + chunkKeys - 1) / chunkKeys);

        Streams s = new Streams(call, op, (float) (op.scale(d) * LOG2E), ks, sk, group);
        TensorWriter out = new TensorWriter(q.dtype(), batch, sq, heads, dv);
        float[] lse = call.needLse() ? new float[batch * heads * sq] : null;
        if (chunks == 1) {
            threads.forEach(batch, () -> new Scratch(ops, kvHeads, rows, d, dv, dvp), (b, sc) -> {
                s.run(sc, b, 0, Integer.MAX_VALUE);
                for (int g = 0; g < kvHeads; g++) store(sc.st[g], b, g, group, sq, heads, dv, out, lse);
            });
        } else {
            // Partial (acc, m, l) per (batch, kv head, chunk), laid out as SoftmaxKernel.mergeChunks reads them.
            int stride = rows * dvp;
            int parts = Math.multiplyExact(batch * kvHeads, chunks);
            float[] pAcc = new float[Math.multiplyExact(parts, stride)];
            float[] pM = new float[parts * rows];
            float[] pL = new float[parts * rows];
            threads.forEach(batch * chunks, () -> new Scratch(ops, kvHeads, rows, d, dv, dvp), (work, sc) -> {
                int b = work / chunks, c = work % chunks;
                long from = (long) c * chunkKeys;
                s.run(sc, b, (int) from, (int) Math.min(Integer.MAX_VALUE, from + chunkKeys));
                for (int g = 0; g < kvHeads; g++) {
                    int w = (b * kvHeads + g) * chunks + c;
                    System.arraycopy(sc.st[g].acc, 0, pAcc, w * stride, stride);
                    System.arraycopy(sc.st[g].m, 0, pM, w * rows, rows);
                    System.arraycopy(sc.st[g].l, 0, pL, w * rows, rows);
                }
            });
            threads.forEach(batch * kvHeads, () -> new OnlineSoftmax(ops, rows, d, dvp), (item, st) -> {
                SoftmaxKernel.mergeChunks(st, rows, item * chunks, chunks, pAcc, pM, pL, stride, rows, ops);
                store(st, item / kvHeads, item % kvHeads, group, sq, heads, dv, out, lse);
            });
        }
        Tensor lseT = lse == null ? null : Tensor.of(lse, batch, heads, sq);
        return new AttentionResult(out.tensor(), lseT, null, null);
    }

    /** Writes kv head g's rows (row {@code hh * sq + i} is query i of head {@code g * group + hh}). */
    private static void store(OnlineSoftmax st, int b, int g, int group, int sq, int heads, int dv,
                              TensorWriter out, float[] lse) {
        int dvp = st.dvp();
        for (int hh = 0; hh < group; hh++) {
            int h = g * group + hh;
            for (int i = 0; i < sq; i++) {
                int r = hh * sq + i;
                out.write(((b * sq + i) * heads + h) * dv, st.acc, r * dvp, dv, st.outputScale(r));
                if (lse != null) lse[(b * heads + h) * sq + i] = st.lse(r);
            }
        }
    }

    /** Per worker: one online-softmax state per kv head, and tile buffers for storage not read in place. */
    private static final class Scratch {
        final OnlineSoftmax[] st;
        final float[] kBuf, vBuf;
        final TileOps ops;
        /** Partial-sum vectors {@code [rows][kvHeads][lanes keys][lanes]} of the key-major scores. */
        final float[] part;

        Scratch(TileOps ops, int kvHeads, int rows, int d, int dv, int dvp) {
            this.ops = ops;
            this.part = new float[rows * kvHeads * ops.lanes() * ops.lanes()];
            st = new OnlineSoftmax[kvHeads];
            for (int g = 0; g < kvHeads; g++) st[g] = new OnlineSoftmax(ops, rows, d, dvp);
            kBuf = new float[KEY_TILE * d];
            vBuf = new float[KEY_TILE * dv];
        }
    }

    /** The inputs of one call and the streaming loop over a batch element's keys. */
    private static final class Streams {
        final MaskedSoftmaxOp op;
        final AttentionCall call;
        final TensorReader qr, kr, vr;
        final float[] kArr, vArr;
        final float qScale;
        final int[] ks, sk;
        final int group, sq, d, dv, kvHeads;

        Streams(AttentionCall call, MaskedSoftmaxOp op, float qScale, int[] ks, int[] sk, int group) {
            this.op = op;
            this.call = call;
            this.qr = new TensorReader(call.q());
            this.kr = new TensorReader(call.k());
            this.vr = new TensorReader(call.v());
            // In place only when rows are unit-stride fp32 on the heap; else one tile at a time is widened.
            this.kArr = kr.stride(3) == 1 ? kr.f32ArrayOrNull() : null;
            this.vArr = vr.stride(3) == 1 ? vr.f32ArrayOrNull() : null;
            this.qScale = qScale;
            this.ks = ks;
            this.sk = sk;
            this.group = group;
            this.sq = call.q().dim(1);
            this.d = call.headDim();
            this.dv = call.valueDim();
            this.kvHeads = call.kvHeads();
        }

        /** Folds batch b's keys {@code [from, to)} (re-indexed from keyStart) into every kv head's state. */
        void run(Scratch sc, int b, int from, int to) {
            int n = sk[b];
            boolean plainCausalAlibi = op.windowLeft() < 0 && op.windowRight() == 0;
            int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
            for (int g = 0; g < kvHeads; g++) {
                OnlineSoftmax st = sc.st[g];
                for (int hh = 0; hh < group; hh++) {
                    int h = g * group + hh;
                    long qBase = qr.offset() + b * qr.stride(0) + h * qr.stride(2);
                    for (int i = 0; i < sq; i++) {
                        int r = hh * sq + i;
                        st.lo[r] = op.firstKey(i, sq, n);
                        st.hi[r] = op.endKey(i, sq, n);
                        st.aligned[r] = (float) ((long) i + n - sq);
                        qr.read(qBase + i * qr.stride(1), qr.stride(3), d, st.q, r * d, 1, qScale);
                    }
                }
                st.begin(group * sq, op.softcap(), 0, plainCausalAlibi);
                for (int hh = 0; hh < group; hh++) {
                    double slope = op.alibiSlope(b, g * group + hh, call.heads());
                    for (int i = 0; i < sq; i++) st.setAlibiSlope(hh * sq + i, slope);
                }
                lo = Math.min(lo, st.unionFrom());
                hi = Math.max(hi, st.unionTo());
            }
            lo = Math.max(lo, from);
            hi = Math.min(hi, to);
            if (kArr != null && vArr != null) {
                runInPlace(sc, b, lo, hi);
                return;
            }
            long ks0 = kr.stride(0), ks1 = kr.stride(1), ks2 = kr.stride(2), ks3 = kr.stride(3);
            long vs0 = vr.stride(0), vs1 = vr.stride(1), vs2 = vr.stride(2), vs3 = vr.stride(3);
            // Tiles start at the first visible key of the chunk: in place, nothing needs aligning.
            for (int j0 = lo; j0 < hi; j0 += KEY_TILE) {
                int cols = Math.min(KEY_TILE, hi - j0);
                long key = ks[b] + (long) j0;
                for (int g = 0; g < kvHeads; g++) {
                    long kPos = kr.offset() + b * ks0 + key * ks1 + g * ks2;
                    long vPos = vr.offset() + b * vs0 + key * vs1 + g * vs2;
                    float[] kSrc = kArr, vSrc = vArr;
                    int kOff = (int) kPos, ldk = (int) ks1, vOff = (int) vPos, ldv = (int) vs1;
                    if (kSrc == null) {
                        for (int c = 0; c < cols; c++) kr.read(kPos + c * ks1, ks3, d, sc.kBuf, c * d, 1, 1f);
                        kSrc = sc.kBuf;
                        kOff = 0;
                        ldk = d;
                    }
                    if (vSrc == null) {
                        for (int c = 0; c < cols; c++) vr.read(vPos + c * vs1, vs3, dv, sc.vBuf, c * dv, 1, 1f);
                        vSrc = sc.vBuf;
                        vOff = 0;
                        ldv = dv;
                    }
                    sc.st[g].visitInPlace(kSrc, kOff, ldk, vSrc, vOff, ldv, dv, j0, cols);
                }
            }
        }

        /**
         * Scores of keys {@code [j0, j0 + cols)} for every kv head, one whole token row after another: each
         * (key, head) leaves a vector of partial sums in {@code sc.part}, folded into scores every L keys.
         */
        private void keyMajorScores(Scratch sc, long kBase, long ldk, long ldkh, int j0, int cols, int rows) {
            TileOps ops = sc.ops;
            int w = ops.lanes(), blk = w * w, ldp = kvHeads * blk;
            float[] part = sc.part;
            for (int c0 = 0; c0 < cols; c0 += w) {
                int n = Math.min(w, cols - c0);
                for (int c = 0; c < n; c++) {
                    int kRow = (int) (kBase + (j0 + c0 + c) * ldk);
                    for (int g = 0; g < kvHeads; g++) {
                        ops.decodePartials(rows, d, sc.st[g].q, 0, d, kArr, kRow + (int) (g * ldkh), part, g * blk + c * w, ldp);
                    }
                }
                for (int g = 0; g < kvHeads; g++) {
                    float[] s = sc.st[g].scoreTile();
                    for (int r = 0; r < rows; r++) {
                        int o = r * ldp + g * blk;
                        if (n < w) java.util.Arrays.fill(part, o + n * w, o + blk, 0f);
                        ops.decodeFold(part, o, s, r * KEY_TILE + c0);
                    }
                }
            }
        }

        /**
         * {@link #run} over heap fp32 K and V read in place, token-major: per key tile, the scores of every
         * kv head one whole token row after another ({@link #keyMajorScores}; with {@code [B, S, Hkv, D]}
         * storage the tile's keys are one contiguous run of memory), each head's online-softmax step, then
         * {@code P V} token-major too: one axpy per (key, head, row), so V is also read in storage order.
         * Reading one kv head's keys down a tile instead strides by a whole token row (Hkv x D floats): the
         * reads become Hkv interleaved streams and ran at under half the machine's read bandwidth. Values in
         * blocks of 16 keys per head (small matmuls, accumulators loaded once per block) computed a little less
         * but hopped between 16 token rows: from DRAM a single-thread 16k-key step took 12% longer.
         */
        private void runInPlace(Scratch sc, int b, int lo, int hi) {
            long ldk = kr.stride(1), ldv = vr.stride(1), ldkh = kr.stride(2), ldvh = vr.stride(2);
            long kBase = kr.offset() + b * kr.stride(0) + ks[b] * ldk;
            long vBase = vr.offset() + b * vr.stride(0) + ks[b] * ldv;
            int rows = group * sq;
            for (int j0 = lo; j0 < hi; j0 += KEY_TILE) {
                int cols = Math.min(KEY_TILE, hi - j0);
                keyMajorScores(sc, kBase, ldk, ldkh, j0, cols, rows);
                for (int g = 0; g < kvHeads; g++) sc.st[g].weights(j0, cols);
                for (int c = 0; c < cols; c++) {
                    int vRow = (int) (vBase + (j0 + c) * ldv);
                    for (int g = 0; g < kvHeads; g++) {
                        OnlineSoftmax st = sc.st[g];
                        float[] p = st.scoreTile();
                        int dvp = st.dvp();
                        for (int r = 0; r < rows; r++) {
                            sc.ops.axpy(p[r * KEY_TILE + c], vArr, vRow + (int) (g * ldvh), st.acc, r * dvp, dv);
                        }
                    }
                }
            }
        }
    }
}
