package org.attention4j.cpu.neighborhood;

import static org.attention4j.cpu.softmax.OnlineSoftmax.KEY_TILE;

import java.util.Arrays;
import org.attention4j.NeighborhoodAttention;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuThreads;
import org.attention4j.cpu.TensorReader;
import org.attention4j.cpu.TensorWriter;
import org.attention4j.cpu.softmax.OnlineSoftmax;
import org.attention4j.cpu.vectorization.TileOps;
import org.attention4j.neighborhood.NeighborhoodRule;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * Fused neighborhood attention in 1-D, 2-D and 3-D (spec 5.8). Each dilation group is an independent grid
 * with dilation 1 ({@link NeighborhoodRule} in group coordinates). Two paths:
 *
 * <ul>
 *   <li>lanes (2-D and 3-D): one query per vector lane along the last axis; a work item is four neighbouring
 *       query lines of one (batch, head), which compute exactly their windows' scores (key line by key line,
 *       shifted vectors of transposed key lines), a lanewise softmax and the weighted sum of transposed values;
 *   <li>tiles (1-D, and grids whose last-axis windows jump by more than a vector): a work item is a box-shaped
 *       tile of queries; it reads (1-D) or gathers the union box of its queries' windows as key tiles and runs the
 *       online softmax over them with each row's exact range or box mask.
 * </ul>
 *
 * <p>Axes are handled as three, leading missing axes having extent 1, so one loop nest serves every rank.
 */
public final class NeighborhoodKernel {
    /** Rows per query tile (the online-softmax state's size). */
    private static final int TILE_ROWS = 64;
    /** Tokens per run when packing the lane path's blocks (one cache line of fp32 per feature row). */
    private static final int PACK_RUN = 16;
    /** Feature rows per slice of the lane path's scores. */
    private static final int LANE_FEATURES = 64;
    /** Most (key line, offset) pairs per run of the lane path's weighted sums. */
    private static final int LANE_PAIRS = 64;
    /** Query lines of the lane path that share their key lines' loads. */
    private static final int LANE_ROWS = 4;
    /** Key lines are laid out in multiples of this many keys (one AVX-512 vector). */
    private static final int LINE_QUANTUM = 16;

    private NeighborhoodKernel() {
    }

    public static Support supports(AttentionCall call) {
        if (!(call.op() instanceof NeighborhoodAttention)) {
            return Support.no("not a NeighborhoodAttention operator");
        }
        int n = call.spatialRank();
        if (n < 1 || n > 3) {
            return Support.no("neighborhood attention takes 1 to 3 spatial axes, got " + n);
        }
        long groups = 1;
        for (int dil : ((NeighborhoodAttention) call.op()).dilation(n)) groups *= dil;
        long width = Math.max(call.headDim(), (call.valueDim() + LINE_QUANTUM - 1) / LINE_QUANTUM * LINE_QUANTUM);
        long rows = (long) call.batch() * call.heads() * (call.keyTokens() + groups * KEY_TILE) * width;
        if (rows > Integer.MAX_VALUE - 8) {
            return Support.no("fp32 copies of Q/K/V would exceed one Java array (" + rows + " elements)");
        }
        return Support.yes();
    }

    /** Per-call geometry, padded to three axes. */
    private static final class Geometry {
        final int rank;
        final int[] ext = {1, 1, 1}, kernel = {1, 1, 1}, stride = {1, 1, 1}, dil = {1, 1, 1};
        final boolean[] causal = new boolean[3];
        final int groups;

        Geometry(NeighborhoodAttention op, Tensor q) {
            rank = q.rank() - 3;
            int[] k = op.kernel(rank), s = op.stride(rank), d = op.dilation(rank);
            boolean[] c = op.causal(rank);
            for (int a = 0; a < rank; a++) {
                int ax = 3 - rank + a;
                ext[ax] = q.dim(1 + a);
                kernel[ax] = k[a];
                stride[ax] = s[a];
                dil[ax] = d[a];
                causal[ax] = c[a];
            }
            groups = dil[0] * dil[1] * dil[2];
        }

        /** Group combination {@code gc} as per-axis group indices. */
        int[] group(int gc) {
            return new int[] {gc / (dil[1] * dil[2]), (gc / dil[2]) % dil[1], gc % dil[2]};
        }

        int groupLength(int ax, int g) {
            return NeighborhoodRule.groupLength(ext[ax], dil[ax], g);
        }

        int windowStart(int ax, int ig, int n) {
            return n == 1 && kernel[ax] == 1 ? 0 : NeighborhoodRule.groupStart(ig, n, kernel[ax], stride[ax], causal[ax]);
        }

        int windowEnd(int ax, int ig, int n) {
            return n == 1 && kernel[ax] == 1 ? 1 : NeighborhoodRule.groupEnd(ig, n, kernel[ax], stride[ax], causal[ax]);
        }

        /** Flat token index of original coordinates. */
        int token(int x0, int x1, int x2) {
            return (x0 * ext[1] + x1) * ext[2] + x2;
        }
    }

    public static AttentionResult forward(AttentionCall call, TileOps ops, CpuThreads threads) {
        NeighborhoodAttention op = (NeighborhoodAttention) call.op();
        Tensor q = call.q();
        Geometry geo = new Geometry(op, q);
        int batch = call.batch(), heads = call.heads(), d = call.headDim(), dv = call.valueDim();
        int group = heads / call.kvHeads();
        int dvp = (dv + ops.lanes() - 1) / ops.lanes() * ops.lanes();
        int tokens = call.queryTokens();
        int[] te = queryTile(geo);
        // Work list: (group combination, tile) pairs; the tile grid depends on the group's lengths.
        int[] tileStart = new int[geo.groups + 1];
        for (int gc = 0; gc < geo.groups; gc++) {
            int[] g = geo.group(gc);
            int t = 1;
            for (int ax = 0; ax < 3; ax++) t *= ceilDiv(geo.groupLength(ax, g[ax]), te[ax]);
            tileStart[gc + 1] = tileStart[gc] + t;
        }
        int perHead = tileStart[geo.groups];
        int kvHeads = call.kvHeads();
        float qScale = (float) (op.scale(d) / Math.log(2));
        LaneGeometry[] lanes = laneGeometry(geo, ops.lanes(), call);
        TensorWriter out = new TensorWriter(q.dtype(), outShape(q, dv));
        float[] lse = call.needLse() ? new float[batch * heads * tokens] : null;
        if (lanes != null) {
            LanePacked lp = new LanePacked(call, geo, lanes, qScale, ops, threads);
            // Items: (batch, head, group combination, axis-0 index, block of LANE_ROWS axis-1 lines): consecutive
            // items of one head share most key and value lines in cache.
            int[] blockStart = new int[geo.groups + 1];
            for (int gc = 0; gc < geo.groups; gc++) {
                blockStart[gc + 1] = blockStart[gc] + lanes[gc].n[0] * ceilDiv(lanes[gc].n[1], LANE_ROWS);
            }
            int perBatch = blockStart[geo.groups];
            threads.forEach(batch * perBatch * heads, () -> new LaneWork(ops.lanes(), dv), (item, w) -> {
                int b = item / (perBatch * heads), h = item / perBatch % heads, rest = item % perBatch;
                int gc = 0;
                while (blockStart[gc + 1] <= rest) gc++;
                int blk = rest - blockStart[gc], per0 = ceilDiv(lanes[gc].n[1], LANE_ROWS);
                runLanes(geo, lanes[gc], w, ops, lp, b * heads + h, b * kvHeads + h / group, gc, b, h, blk / per0,
                        blk % per0 * LANE_ROWS, d, dv, heads, tokens, out, lse);
            });
            Tensor lseT = lse == null ? null : Tensor.of(lse, lseShape(q));
            return new AttentionResult(out.tensor(), lseT, null, null);
        }
        // Q, K^T and V per (batch, head, group) in group coordinates, each group's columns followed by KEY_TILE
        // zero columns: 1-D tiles then read K^T and V in place, and the box gathers copy runs instead of
        // transposing key by key.
        Packed kv = new Packed(call, geo, d, dvp, qScale, ops, threads);
        threads.forEach(batch * heads * perHead, () -> new Work(ops, d, dvp), (item, w) -> {
            // Tiles innermost: consecutive items of one head share most of their key boxes in cache.
            int b = item / (heads * perHead), h = item / perHead % heads, rest = item % perHead;
            int gc = 0;
            while (tileStart[gc + 1] <= rest) gc++;
            int[] g = geo.group(gc);
            int tile = rest - tileStart[gc];
            int[] n = {geo.groupLength(0, g[0]), geo.groupLength(1, g[1]), geo.groupLength(2, g[2])};
            int[] tilesPerAxis = {ceilDiv(n[0], te[0]), ceilDiv(n[1], te[1]), ceilDiv(n[2], te[2])};
            int[] t0 = {tile / (tilesPerAxis[1] * tilesPerAxis[2]) * te[0], (tile / tilesPerAxis[2]) % tilesPerAxis[1] * te[1],
                    tile % tilesPerAxis[2] * te[2]};
            int kvh = h / group;
            runTile(geo, w, kv, b * heads + h, b * kvHeads + kvh, gc, b, h, g, n, t0, te, d, dv, dvp, heads, tokens, out, lse);
        });
        Tensor lseT = lse == null ? null : Tensor.of(lse, lseShape(q));
        return new AttentionResult(out.tensor(), lseT, null, null);
    }

    /**
     * Query tile extents: 64 in 1-D and 4 x 4 x 4 in 3-D (balanced boxes measured best there). In 2-D, along
     * the last axis the smallest extent whose key span {@code t + k - 1} fills whole vectors (for k <= 16 one
     * vector: a row then wastes only {@code (t - 1) / (t + k - 1)} of a line); the remaining rows go to the
     * outer axis, where rows that see none of a key tile are skipped.
     */
    static int[] queryTile(Geometry geo) {
        if (geo.rank == 3) {
            return new int[] {4, 4, 4};
        }
        if (geo.rank == 1) {
            return new int[] {1, 1, TILE_ROWS};
        }
        int k2 = geo.kernel[2] + geo.stride[2] - 1;
        int span = (k2 + LINE_QUANTUM - 1) / LINE_QUANTUM * LINE_QUANTUM;
        int n2 = (geo.ext[2] + geo.dil[2] - 1) / geo.dil[2];
        int t2 = Math.max(1, Math.min(Math.min(TILE_ROWS, span - k2 + 1), n2));
        return new int[] {1, TILE_ROWS / t2, t2};
    }

    private static long[] outShape(Tensor q, int dv) {
        long[] s = q.shape();
        s[s.length - 1] = dv;
        return s;
    }

    private static long[] lseShape(Tensor q) {
        long[] s = q.shape();
        long[] l = new long[s.length - 1];
        l[0] = s[0];
        l[1] = s[s.length - 2];
        System.arraycopy(s, 1, l, 2, s.length - 3);
        return l;
    }

    /** Per-worker buffers; the packed key box grows on demand. */
    private static final class Work {
        final OnlineSoftmax st;
        final int[][] ws = new int[3][64], we = new int[3][64];
        final int[] rowToken = new int[64];
        final int[] visible = new int[64];
        final float[] mask = new float[64 * KEY_TILE];
        float[] kt = new float[0], v = new float[0];
        final int d, dvp;

        Work(TileOps ops, int d, int dvp) {
            this.st = new OnlineSoftmax(ops, 64, d, dvp);
            this.d = d;
            this.dvp = dvp;
        }

        void ensureTiles(int tiles) {
            if (kt.length < tiles * d * KEY_TILE) {
                kt = new float[tiles * d * KEY_TILE];
                v = new float[tiles * KEY_TILE * dvp];
            }
        }
    }

    /**
     * Q (scaled) {@code [ld(gc)][d]} per (batch, head, group combination), K^T {@code [d][ld(gc)]} and V
     * {@code [ld(gc)][dvp]} per (batch, kv head, group combination), in fp32 and in group coordinates (last axis
     * fastest); columns past a group's {@code count(gc)} tokens are 0. Packing walks the tokens in storage order
     * with the heads innermost: per head, token rows lie H rows apart, and reading them head by head (as tiles
     * did) stalled on memory.
     */
    static final class Packed {
        final float[] q, kt, v;
        /** Per group combination: first column within a (batch, head) block, and token count. */
        final int[] colBase, count;
        final int cols, d, dvp;

        Packed(AttentionCall call, Geometry geo, int d, int dvp, float qScale, TileOps ops, CpuThreads threads) {
            this.d = d;
            this.dvp = dvp;
            colBase = new int[geo.groups + 1];
            count = new int[geo.groups];
            for (int gc = 0; gc < geo.groups; gc++) {
                int[] g = geo.group(gc);
                count[gc] = geo.groupLength(0, g[0]) * geo.groupLength(1, g[1]) * geo.groupLength(2, g[2]);
                colBase[gc + 1] = colBase[gc] + count[gc] + KEY_TILE;
            }
            cols = colBase[geo.groups];
            int batch = call.batch(), heads = call.heads(), kvHeads = call.kvHeads(), dv = call.valueDim();
            q = new float[batch * heads * cols * d];
            kt = new float[batch * kvHeads * cols * d];
            v = new float[batch * kvHeads * cols * dvp];
            TensorReader qr = new TensorReader(call.q()), kr = new TensorReader(call.k()), vr = new TensorReader(call.v());
            // Items: (batch, group combination, block of KEY_TILE group tokens).
            int[] blockStart = new int[geo.groups + 1];
            for (int gc = 0; gc < geo.groups; gc++) blockStart[gc + 1] = blockStart[gc] + ceilDiv(count[gc], KEY_TILE);
            int perBatch = blockStart[geo.groups];
            threads.forEach(batch * perBatch, () -> new float[kvHeads * KEY_TILE * d], (item, buf) -> {
                int b = item / perBatch, rest = item % perBatch;
                int gc = 0;
                while (blockStart[gc + 1] <= rest) gc++;
                int t0 = (rest - blockStart[gc]) * KEY_TILE, tn = Math.min(KEY_TILE, count[gc] - t0);
                int[] g = geo.group(gc);
                int n1 = geo.groupLength(1, g[1]), n2 = geo.groupLength(2, g[2]);
                for (int j = 0; j < tn; j++) {
                    int t = t0 + j;
                    int tok = tokenOf(geo, g, n1, n2, t);
                    for (int h = 0; h < heads; h++) {
                        qr.read(tokenPos(qr, geo, b, tok, h), qr.stride(-1), d, q, qOffset(b * heads + h, gc) + t * d, 1, qScale);
                    }
                    for (int h = 0; h < kvHeads; h++) {
                        kr.read(tokenPos(kr, geo, b, tok, h), kr.stride(-1), d, buf, (h * KEY_TILE + j) * d, 1, 1f);
                    }
                    for (int h = 0; h < kvHeads; h++) {
                        vr.read(tokenPos(vr, geo, b, tok, h), vr.stride(-1), dv, v, vOffset(b * kvHeads + h, gc) + t * dvp, 1, 1f);
                    }
                }
                for (int h = 0; h < kvHeads; h++) {
                    ops.transpose(tn, d, buf, h * KEY_TILE * d, d, kt, ktOffset(b * kvHeads + h, gc) + t0, ld(gc));
                }
            });
        }

        /** Start of Q (row 0) of (batch * heads + head) {@code bh}, group combination gc. */
        int qOffset(int bh, int gc) {
            return (bh * cols + colBase[gc]) * d;
        }

        /** Columns of group combination gc's K^T rows (its tokens, then KEY_TILE zeros). */
        int ld(int gc) {
            return colBase[gc + 1] - colBase[gc];
        }

        /** Start of K^T of (batch * kvHeads + kv head) {@code bh}, group combination gc (the same layout as Q's). */
        int ktOffset(int bh, int gc) {
            return qOffset(bh, gc);
        }

        /** Start of V (row 0) of {@code bh}, gc. */
        int vOffset(int bh, int gc) {
            return (bh * cols + colBase[gc]) * dvp;
        }
    }

    /** Flat original token of group token {@code t} (group coordinates, last axis fastest) of group {@code g}. */
    private static int tokenOf(Geometry geo, int[] g, int n1, int n2, int t) {
        return geo.token((t / (n1 * n2)) * geo.dil[0] + g[0], (t / n2 % n1) * geo.dil[1] + g[1], (t % n2) * geo.dil[2] + g[2]);
    }

    /**
     * Lane path geometry of one group combination: its extents {@code n}, and per block of {@code w} queries of the
     * last axis the first key {@code base} of its first query's window, the lane shuffle {@code idx} (null where the
     * windows are one shifted vector), the longest window {@code kb} and the per-lane window lengths {@code lens}
     * (null when all are kb).
     */
    static final class LaneGeometry {
        final int[] n;
        final int[] base, kb;
        final int[][] idx, lens;

        LaneGeometry(int[] n, int blocks) {
            this.n = n;
            base = new int[blocks];
            kb = new int[blocks];
            idx = new int[blocks][];
            lens = new int[blocks][];
        }
    }

    /** Whether a call of {@code op} on queries shaped like {@code q} takes the lane path with {@code w} lanes. */
    static boolean usesLanes(NeighborhoodAttention op, Tensor q, int w) {
        return laneGeometry(new Geometry(op, q), w, 1, 1, 1, q.dim(-1), q.dim(-1)) != null;
    }

    static LaneGeometry[] laneGeometry(Geometry geo, int w, AttentionCall call) {
        return laneGeometry(geo, w, call.batch(), call.heads(), call.kvHeads(), call.headDim(), call.valueDim());
    }

    /**
     * The lane path (one query per vector lane along the last axis, scores of exactly each window's keys) serves
     * 2-D and 3-D grids whose last-axis windows in each block of {@code w} queries start within {@code w} keys of
     * the block's first window (any causality and clamped borders; strides below w per block), where at least half
     * of the lanes hold queries (else most would idle) and the transposed copies fit Java arrays; null elsewhere.
     */
    static LaneGeometry[] laneGeometry(Geometry geo, int w, int batch, int heads, int kvHeads, int d, int dv) {
        if (geo.rank < 2) {
            return null;
        }
        LaneGeometry[] out = new LaneGeometry[geo.groups];
        long floats = 0;
        for (int gc = 0; gc < geo.groups; gc++) {
            int[] g = geo.group(gc);
            int[] n = {geo.groupLength(0, g[0]), geo.groupLength(1, g[1]), geo.groupLength(2, g[2])};
            int blocks = ceilDiv(n[2], w);
            if (2 * n[2] < blocks * w) {
                return null;
            }
            // LanePacked's blocks of this group, Q^T and K^T or V^T per line, for the largest of the three arrays.
            floats += (long) n[0] * n[1] * ((long) Math.max(d, dv) * LanePacked.paddedLine(n[2], w) + LINE_QUANTUM);
            LaneGeometry lg = new LaneGeometry(n, blocks);
            for (int xb = 0; xb < blocks; xb++) {
                int x0 = xb * w;
                int base = geo.windowStart(2, x0, n[2]);
                int[] idx = new int[w], lens = new int[w];
                boolean identity = true, uniform = true;
                int kb = 0;
                for (int i = 0; i < w; i++) {
                    // Lanes past the line repeat its last query (their results are dropped).
                    int x = Math.min(x0 + i, n[2] - 1);
                    int st = geo.windowStart(2, x, n[2]);
                    idx[i] = st - base;
                    lens[i] = geo.windowEnd(2, x, n[2]) - st;
                    if (idx[i] < 0 || idx[i] >= w) {
                        return null;
                    }
                    identity &= idx[i] == i;
                    kb = Math.max(kb, lens[i]);
                }
                for (int i = 0; i < w; i++) uniform &= lens[i] == kb;
                lg.base[xb] = base;
                lg.kb[xb] = kb;
                lg.idx[xb] = identity ? null : idx;
                lg.lens[xb] = uniform ? null : lens;
            }
            out[gc] = lg;
        }
        if (LanePacked.ORIGIN + floats * batch * Math.max(heads, kvHeads) > Integer.MAX_VALUE - 8) {
            return null;
        }
        return out;
    }

    /**
     * Q^T (scaled), K^T and V^T for the lane path: per (batch, head or kv head, group combination) and grid line
     * of the last axis a feature-major block {@code [feature][n2p]} (the line's queries or keys, zero-padded to
     * {@code n2p >= n2 + w}: a shifted vector never leaves its block). Blocks are {@code F * n2p + 16} floats apart
     * (F the feature count) so that equal positions of neighbouring lines fall in different cache sets.
     */
    static final class LanePacked {
        /**
         * Blocks start this many floats into the arrays: behind HotSpot's 16-byte array header, in a large array
         * (which G1 places at a region start) they then begin on a cache line, and so do the query vectors.
         */
        static final int ORIGIN = 12;
        final float[] q, kt, vt;
        /** Per group combination: padded line length, first float of its blocks per (batch, head). */
        final int[] n2p, baseD, baseV;
        final int totalD, totalV, d, dv;

        LanePacked(AttentionCall call, Geometry geo, LaneGeometry[] lanes, float qScale, TileOps ops, CpuThreads threads) {
            int w = ops.lanes();
            d = call.headDim();
            dv = call.valueDim();
            n2p = new int[geo.groups];
            baseD = new int[geo.groups + 1];
            baseV = new int[geo.groups + 1];
            for (int gc = 0; gc < geo.groups; gc++) {
                int[] n = lanes[gc].n;
                n2p[gc] = paddedLine(n[2], w);
                baseD[gc + 1] = baseD[gc] + n[0] * n[1] * lineStride(gc, d);
                baseV[gc + 1] = baseV[gc] + n[0] * n[1] * lineStride(gc, dv);
            }
            totalD = baseD[geo.groups];
            totalV = baseV[geo.groups];
            int batch = call.batch(), heads = call.heads(), kvHeads = call.kvHeads();
            q = new float[ORIGIN + batch * heads * totalD];
            kt = new float[ORIGIN + batch * kvHeads * totalD];
            vt = new float[ORIGIN + batch * kvHeads * totalV];
            TensorReader qr = new TensorReader(call.q()), kr = new TensorReader(call.k()), vr = new TensorReader(call.v());
            int[] lineStart = new int[geo.groups + 1];
            for (int gc = 0; gc < geo.groups; gc++) lineStart[gc + 1] = lineStart[gc] + lanes[gc].n[0] * lanes[gc].n[1];
            int perBatch = lineStart[geo.groups];
            // Items: (batch, group combination, line). Runs of PACK_RUN tokens are read in storage order with the
            // heads innermost, then written out per head and feature as whole runs: writing each row straight into
            // its column touched every feature's cache line of every head for each token, more than L1 holds.
            int width = Math.max(d, dv);
            threads.forEach(batch * perBatch, () -> new float[PACK_RUN * heads * width], (item, buf) -> {
                int b = item / perBatch, rest = item % perBatch;
                int gc = 0;
                while (lineStart[gc + 1] <= rest) gc++;
                int line = rest - lineStart[gc];
                int[] g = geo.group(gc), n = lanes[gc].n;
                for (int x0 = 0; x0 < n[2]; x0 += PACK_RUN) {
                    int tn = Math.min(PACK_RUN, n[2] - x0);
                    pack(qr, geo, g, n, b, line, x0, tn, heads, d, qScale, buf, q, dBlock(b * heads, gc) + line * lineStride(gc, d),
                            totalD, n2p[gc], ops);
                    pack(kr, geo, g, n, b, line, x0, tn, kvHeads, d, 1f, buf, kt, dBlock(b * kvHeads, gc) + line * lineStride(gc, d),
                            totalD, n2p[gc], ops);
                    pack(vr, geo, g, n, b, line, x0, tn, kvHeads, dv, 1f, buf, vt, vBlock(b * kvHeads, gc) + line * lineStride(gc, dv),
                            totalV, n2p[gc], ops);
                }
            });
        }

        /**
         * Tokens {@code x0 .. x0+tn} of a line, every head's row, into positions {@code x0..} of the heads' blocks
         * (block of head 0 at {@code off}, {@code perHead} apart, feature rows {@code ld} apart).
         */
        private static void pack(TensorReader r, Geometry geo, int[] g, int[] n, int b, int line, int x0, int tn, int heads, int f,
                                 float scale, float[] buf, float[] dst, int off, int perHead, int ld, TileOps ops) {
            for (int j = 0; j < tn; j++) {
                int tok = tokenOf(geo, g, n[1], n[2], line * n[2] + x0 + j);
                for (int h = 0; h < heads; h++) {
                    r.read(tokenPos(r, geo, b, tok, h), r.stride(-1), f, buf, (j * heads + h) * f, 1, scale);
                }
            }
            for (int h = 0; h < heads; h++) ops.transpose(tn, f, buf, h * f, heads * f, dst, off + h * perHead + x0, ld);
        }

        /** Padded length of a line of n2 queries or keys: shifted vectors of w lanes stay inside it. */
        static int paddedLine(int n2, int w) {
            return (n2 + w + LINE_QUANTUM - 1) / LINE_QUANTUM * LINE_QUANTUM;
        }

        int lineStride(int gc, int f) {
            return f * n2p[gc] + LINE_QUANTUM;
        }

        /** First float of Q^T or K^T of (batch, head) {@code bh}, group combination gc. */
        int dBlock(int bh, int gc) {
            return ORIGIN + bh * totalD + baseD[gc];
        }

        /** First float of V^T of (batch, kv head) {@code bh}, group combination gc. */
        int vBlock(int bh, int gc) {
            return ORIGIN + bh * totalV + baseV[gc];
        }
    }

    /** Per-worker buffers of the lane path, grown on demand. */
    private static final class LaneWork {
        final int w;
        float[] s = new float[0];
        final float[] ml, o, row;
        final int[] s1 = new int[LANE_ROWS], e1 = new int[LANE_ROWS], qOffs = new int[LANE_ROWS];
        final int[] rq = new int[LANE_ROWS], rs = new int[LANE_ROWS], ro = new int[LANE_ROWS];

        LaneWork(int w, int dv) {
            this.w = w;
            ml = new float[LANE_ROWS * 2 * w];
            o = new float[LANE_ROWS * dv * w];
            row = new float[dv];
            for (int r = 0; r < LANE_ROWS; r++) ro[r] = r * dv * w;
        }

        void ensure(int floats) {
            if (s.length < floats) s = new float[floats];
        }
    }

    /**
     * Up to LANE_ROWS consecutive axis-1 lines {@code y1a..} at axis-0 index {@code y0} (group coordinates) of head
     * {@code h}: per block of w queries along the last axis, the scores of every (key line, offset) of the union of
     * the lines' windows, a lanewise softmax and the weighted sum of V^T. Every key line goes through the four-line
     * kernels (its vectors loaded once for the four query lines); a line outside some query line's window gets
     * weight 0 there, which costs less than narrower kernels for the border key lines (measured). Missing lines
     * of a last, short block repeat the first one and are dropped.
     */
    private static void runLanes(Geometry geo, LaneGeometry lg, LaneWork w, TileOps ops, LanePacked lp, int qh, int bh, int gc,
                                 int b, int h, int y0, int y1a, int d, int dv, int heads, int tokens, TensorWriter out,
                                 float[] lse) {
        int[] n = lg.n;
        int[] g = geo.group(gc);
        int rows = Math.min(LANE_ROWS, n[1] - y1a), lanes = w.w;
        int s0 = geo.windowStart(0, y0, n[0]), e0 = geo.windowEnd(0, y0, n[0]);
        int u1 = Integer.MAX_VALUE, v1 = Integer.MIN_VALUE;
        for (int r = 0; r < LANE_ROWS; r++) {
            int y1 = y1a + Math.min(r, rows - 1);
            w.s1[r] = geo.windowStart(1, y1, n[1]);
            w.e1[r] = geo.windowEnd(1, y1, n[1]);
            u1 = Math.min(u1, w.s1[r]);
            v1 = Math.max(v1, w.e1[r]);
        }
        int span = v1 - u1;
        int n2p = lp.n2p[gc], lsD = lp.lineStride(gc, d), lsV = lp.lineStride(gc, dv);
        int qBase = lp.dBlock(qh, gc), kBase = lp.dBlock(bh, gc), vBase = lp.vBlock(bh, gc);
        for (int r = 0; r < LANE_ROWS; r++) w.qOffs[r] = qBase + (y0 * n[1] + y1a + Math.min(r, rows - 1)) * lsD;
        for (int xb = 0; xb < lg.base.length; xb++) {
            int x0 = xb * lanes, kb = lg.kb[xb], base = lg.base[xb];
            int[] idx = lg.idx[xb], lens = lg.lens[xb];
            int lineSlots = kb * lanes, cnt = (e0 - s0) * span * kb, rowCap = cnt * lanes;
            w.ensure(LANE_ROWS * rowCap);
            for (int a0 = s0; a0 < e0; a0++) {
                for (int r = 0; r < LANE_ROWS; r++) w.rs[r] = r * rowCap + (a0 - s0) * span * lineSlots;
                // Feature slices of LANE_FEATURES keep the four query lines' vectors and a key line's in L1.
                for (int p0 = 0; p0 < d; p0 += LANE_FEATURES) {
                    for (int r = 0; r < LANE_ROWS; r++) w.rq[r] = w.qOffs[r] + x0 + p0 * n2p;
                    ops.laneScores(p0 > 0, LANE_ROWS, span * kb, kb, Math.min(LANE_FEATURES, d - p0), lp.q, w.rq, n2p, lp.kt,
                            kBase + (a0 * n[1] + u1) * lsD + base + p0 * n2p, lsD, n2p, idx, w.s, w.rs);
                }
            }
            for (int r = 0; r < LANE_ROWS; r++) {
                int row = r * rowCap;
                for (int i0 = 0; i0 < e0 - s0; i0++) {
                    // Key lines outside this query line's window.
                    int at = row + i0 * span * lineSlots;
                    Arrays.fill(w.s, at, at + (w.s1[r] - u1) * lineSlots, Float.NEGATIVE_INFINITY);
                    Arrays.fill(w.s, at + (w.e1[r] - u1) * lineSlots, at + span * lineSlots, Float.NEGATIVE_INFINITY);
                }
                if (lens != null) {
                    // Short windows (causal starts, lines shorter than the kernel): offsets past a lane's window see nothing.
                    for (int j = 0; j < cnt; j++) {
                        int c = j % kb;
                        for (int i = 0; i < lanes; i++) {
                            if (c >= lens[i]) w.s[row + j * lanes + i] = Float.NEGATIVE_INFINITY;
                        }
                    }
                }
                ops.laneSoftmax(cnt, w.s, row, w.ml, r * 2 * lanes);
            }
            Arrays.fill(w.o, 0, LANE_ROWS * dv * lanes, 0f);
            // Runs of at most LANE_PAIRS pairs keep the four lines' weights in L1 across the value features.
            int linesPerRun = Math.max(1, LANE_PAIRS / kb);
            for (int a0 = s0; a0 < e0; a0++) {
                for (int l0 = 0; l0 < span; l0 += linesPerRun) {
                    int ln = Math.min(linesPerRun, span - l0);
                    for (int r = 0; r < LANE_ROWS; r++) w.rs[r] = r * rowCap + ((a0 - s0) * span + l0) * lineSlots;
                    ops.laneAccumulate(LANE_ROWS, ln * kb, kb, dv, w.s, w.rs, lp.vt, vBase + (a0 * n[1] + u1 + l0) * lsV + base, lsV,
                            n2p, idx, w.o, w.ro, lanes);
                }
            }
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < lanes && x0 + i < n[2]; i++) {
                    int tok = geo.token(y0 * geo.dil[0] + g[0], (y1a + r) * geo.dil[1] + g[1], (x0 + i) * geo.dil[2] + g[2]);
                    for (int e = 0; e < dv; e++) w.row[e] = w.o[(r * dv + e) * lanes + i];
                    float m = w.ml[r * 2 * lanes + i], l = w.ml[r * 2 * lanes + lanes + i];
                    out.write((((b * tokens) + tok) * heads + h) * dv, w.row, 0, dv, l > 0 ? 1f / l : 0f);
                    if (lse != null) {
                        lse[(b * heads + h) * tokens + tok] = OnlineSoftmax.lseOf(m, l);
                    }
                }
            }
        }
    }

    private static void runTile(Geometry geo, Work w, Packed kv, int qh, int bh, int gc, int b, int h, int[] g, int[] n, int[] t0,
                                int[] te, int d, int dv, int dvp, int heads, int tokens, TensorWriter out, float[] lse) {
        OnlineSoftmax st = w.st;
        int[] e = {Math.min(t0[0] + te[0], n[0]), Math.min(t0[1] + te[1], n[1]), Math.min(t0[2] + te[2], n[2])};
        int[] bs = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE};
        int[] be = {Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE};
        int rows = 0;
        for (int y0 = t0[0]; y0 < e[0]; y0++) {
            for (int y1 = t0[1]; y1 < e[1]; y1++) {
                for (int y2 = t0[2]; y2 < e[2]; y2++) {
                    int[] y = {y0, y1, y2};
                    for (int ax = 0; ax < 3; ax++) {
                        int s = geo.windowStart(ax, y[ax], n[ax]), en = geo.windowEnd(ax, y[ax], n[ax]);
                        w.ws[ax][rows] = s;
                        w.we[ax][rows] = en;
                        bs[ax] = Math.min(bs[ax], s);
                        be[ax] = Math.max(be[ax], en);
                    }
                    int tok = geo.token(y0 * geo.dil[0] + g[0], y1 * geo.dil[1] + g[1], y2 * geo.dil[2] + g[2]);
                    w.rowToken[rows] = tok;
                    System.arraycopy(kv.q, kv.qOffset(qh, gc) + ((y0 * n[1] + y1) * n[2] + y2) * d, st.q, rows * d, d);
                    rows++;
                }
            }
        }
        int[] wb = {be[0] - bs[0], be[1] - bs[1], be[2] - bs[2]};
        int boxKeys = wb[0] * wb[1] * wb[2];
        int tiles = ceilDiv(boxKeys, KEY_TILE);
        int ld = kv.ld(gc), ktBase = kv.ktOffset(bh, gc), vBase = kv.vOffset(bh, gc);
        st.begin(rows, 0, 0, false);
        if (geo.rank == 1) {
            // 1-D windows are contiguous runs of the box: the range path of the online softmax, over K^T and V
            // in place (the zero columns past the group keep the last tile's reads inside the array).
            for (int r = 0; r < rows; r++) {
                st.lo[r] = w.ws[2][r] - bs[2];
                st.hi[r] = w.we[2][r] - bs[2];
            }
            for (int tile = 0; tile < tiles; tile++) {
                int k0 = bs[2] + tile * KEY_TILE;
                // Columns past the box lie past every row's range: full tiles keep the vector path.
                st.visit(kv.kt, ktBase + k0, ld, kv.v, vBase + k0 * dvp, tile * KEY_TILE, KEY_TILE);
            }
        } else {
            w.ensureTiles(tiles);
            gatherBox(w, kv, ktBase, ld, vBase, n, bs, wb, tiles * KEY_TILE - boxKeys);
            for (int tile = 0; tile < tiles; tile++) {
                int k0 = tile * KEY_TILE, kn = Math.min(KEY_TILE, boxKeys - k0);
                buildMask(w, rows, bs, wb, k0, kn);
                st.visitMasked(w.kt, tile * d * KEY_TILE, w.v, tile * KEY_TILE * dvp, kn, w.mask, w.visible);
            }
        }
        for (int r = 0; r < rows; r++) {
            int tok = w.rowToken[r];
            out.write((((b * tokens) + tok) * heads + h) * dv, st.acc, r * dvp, dv, st.outputScale(r));
            if (lse != null) {
                lse[(b * heads + h) * tokens + tok] = st.lse(r);
            }
        }
    }

    /**
     * Copies the key box (group coordinates {@code bs + [0, wb)}, last axis fastest) into packed K^T and V tiles:
     * each box line is a run of K^T columns and V rows. The {@code tail} columns past the box are zeroed.
     */
    private static void gatherBox(Work w, Packed kv, int ktBase, int ld, int vBase, int[] n, int[] bs, int[] wb, int tail) {
        int d = w.d, dvp = w.dvp;
        int c = 0;
        for (int x0 = bs[0]; x0 < bs[0] + wb[0]; x0++) {
            for (int x1 = bs[1]; x1 < bs[1] + wb[1]; x1++) {
                int src = (x0 * n[1] + x1) * n[2] + bs[2];
                System.arraycopy(kv.v, vBase + src * dvp, w.v, c * dvp, wb[2] * dvp);
                // A line may straddle two key tiles.
                for (int done = 0; done < wb[2]; ) {
                    int tile = (c + done) / KEY_TILE, col = (c + done) % KEY_TILE;
                    int len = Math.min(wb[2] - done, KEY_TILE - col);
                    int dst = tile * d * KEY_TILE + col, s0 = ktBase + src + done;
                    for (int dd = 0; dd < d; dd++) System.arraycopy(kv.kt, s0 + dd * ld, w.kt, dst + dd * KEY_TILE, len);
                    done += len;
                }
                c += wb[2];
            }
        }
        if (tail > 0) {
            int last = (c / KEY_TILE) * d * KEY_TILE;
            for (int dd = 0; dd < d; dd++) Arrays.fill(w.kt, last + dd * KEY_TILE + KEY_TILE - tail, last + (dd + 1) * KEY_TILE, 0f);
            Arrays.fill(w.v, c * dvp, (c + tail) * dvp, 0f);
        }
    }

    /**
     * Mask of key tile {@code [k0, k0+kn)} of the box (flattened, last axis fastest): per row, the runs of
     * each box line inside the row's window are visible.
     */
    private static void buildMask(Work w, int rows, int[] bs, int[] wb, int k0, int kn) {
        int lineLen = wb[2];
        int firstLine = k0 / lineLen, lastLine = (k0 + kn - 1) / lineLen;
        for (int r = 0; r < rows; r++) {
            int row = r * KEY_TILE;
            Arrays.fill(w.mask, row, row + KEY_TILE, Float.NEGATIVE_INFINITY);
            int count = 0;
            int a2 = w.ws[2][r] - bs[2], b2 = w.we[2][r] - bs[2];
            for (int line = firstLine; line <= lastLine; line++) {
                int x0 = line / wb[1] + bs[0], x1 = line % wb[1] + bs[1];
                if (x0 < w.ws[0][r] || x0 >= w.we[0][r] || x1 < w.ws[1][r] || x1 >= w.we[1][r]) {
                    continue;
                }
                int from = Math.max(line * lineLen + a2 - k0, 0);
                int to = Math.min(line * lineLen + b2 - k0, kn);
                if (from < to) {
                    Arrays.fill(w.mask, row + from, row + to, 0f);
                    count += to - from;
                }
            }
            w.visible[r] = count;
        }
    }

    /** Storage position of the head row of flat token {@code tok} in batch {@code b}. */
    private static long tokenPos(TensorReader r, Geometry geo, int b, int tok, int h) {
        long pos = r.offset() + b * r.stride(0) + h * r.stride(-2);
        int rank = geo.rank;
        int rest = tok;
        for (int a = rank - 1; a >= 0; a--) {
            int ax = 3 - rank + a;
            int coord = rest % geo.ext[ax];
            rest /= geo.ext[ax];
            pos += coord * r.stride(1 + a);
        }
        return pos;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
