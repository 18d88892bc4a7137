package org.attention4j.cpu.softmax;

import java.util.Arrays;
import org.attention4j.cpu.vectorization.TileOps;

/**
 * The running state of FlashAttention's online softmax (spec 1.6) for one tile of query rows: scaled
 * queries, running max {@code m}, sum {@code l} and unnormalized output {@code acc}, all fp32. Key tiles
 * are visited one at a time as packed {@code K^T [D][KEY_TILE]} and {@code V [KEY_TILE][dvp]} blocks (or read
 * in place, {@link #visitInPlace});
 * the S x S score matrix never exists, only one {@code rows x KEY_TILE} block of it.
 *
 * <p>Scores are kept in log2 units ({@code log2 e} is folded into the query scale), so each logit costs
 * one {@code exp2}. Each row sees only the keys {@code lo[r] <= j < hi[r]}; the rest of a tile gets weight 0.
 * Used by the softmax, sliding-window, radial and neighborhood kernels.
 */
public final class OnlineSoftmax {
    /** Keys per packed tile (a multiple of 4 vectors for every species up to 512 bits). */
    public static final int KEY_TILE = 64;
    static final double LN2 = Math.log(2);
    static final double LOG2E = 1 / LN2;

    private final TileOps ops;
    private final int maxRows;
    private final int d;
    private final int dvp;
    /** Queries {@code [maxRows][d]}, pre-multiplied by {@code scale * log2 e}. */
    public final float[] q;
    /** Unnormalized outputs {@code [maxRows][dvp]}. */
    public final float[] acc;
    /** Running max per row, log2 units. */
    public final float[] m;
    /** Running sum of weights per row. */
    public final float[] l;
    /** First visible key per row (in the caller's key coordinates). */
    public final int[] lo;
    /** One past the last visible key per row. */
    public final int[] hi;
    /** ALiBi: the aligned query position {@code i + Sk - Sq} per row (non-causal form). */
    public final float[] aligned;
    private final float[] s;
    private final float[] alpha;
    private final float[] mask;
    private final float[] tileScratch;
    /** Rows per band of {@link #visitBanded}, and each band's column span. */
    private static final int BAND = 16;
    private final int[] bandFrom, bandTo;
    private int rows;
    private float softcap2;
    /** ALiBi slope per row, log2 units (rows of a GQA group belong to different heads). */
    private final float[] alibi2;
    private boolean anyAlibi;
    private boolean alibiCausal;

    public OnlineSoftmax(TileOps ops, int maxRows, int d, int dvp) {
        this.ops = ops;
        this.maxRows = maxRows;
        this.d = d;
        this.dvp = dvp;
        this.q = new float[maxRows * d];
        this.acc = new float[maxRows * dvp];
        this.m = new float[maxRows];
        this.l = new float[maxRows];
        this.lo = new int[maxRows];
        this.hi = new int[maxRows];
        this.aligned = new float[maxRows];
        this.s = new float[maxRows * KEY_TILE];
        this.alpha = new float[maxRows];
        this.mask = new float[maxRows * KEY_TILE];
        this.alibi2 = new float[maxRows];
        this.tileScratch = new float[ops.tileScratch()];
        this.bandFrom = new int[(maxRows + BAND - 1) / BAND];
        this.bandTo = new int[(maxRows + BAND - 1) / BAND];
    }

    public int maxRows() {
        return maxRows;
    }

    /** Padded value width of the accumulator rows. */
    public int dvp() {
        return dvp;
    }

    /**
     * Starts a tile of {@code rows} queries (the caller fills {@link #q}, {@link #lo}, {@link #hi}).
     * {@code softcap} and {@code alibiSlope} are in natural-log units (0 = off); with {@code alibiCausal}
     * the bias is {@code +slope * j}, else {@code -slope * |aligned[r] - j|}.
     */
    public void begin(int rows, double softcap, double alibiSlope, boolean alibiCausal) {
        this.rows = rows;
        this.softcap2 = (float) (softcap * LOG2E);
        Arrays.fill(alibi2, 0, rows, (float) (alibiSlope * LOG2E));
        this.anyAlibi = alibiSlope != 0;
        this.alibiCausal = alibiCausal;
        Arrays.fill(m, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, rows, 0f);
        Arrays.fill(acc, 0, rows * dvp, 0f);
    }

    /** Overrides row {@code r}'s ALiBi slope (natural-log units) after {@link #begin}, for rows of other heads. */
    public void setAlibiSlope(int r, double slope) {
        alibi2[r] = (float) (slope * LOG2E);
        anyAlibi |= slope != 0;
    }

    /** Key range {@code [from, to)} visible to at least one row; empty when {@code from >= to}. */
    public int unionFrom() {
        int f = Integer.MAX_VALUE;
        for (int r = 0; r < rows; r++) {
            if (lo[r] < hi[r]) f = Math.min(f, lo[r]);
        }
        return f;
    }

    public int unionTo() {
        int t = Integer.MIN_VALUE;
        for (int r = 0; r < rows; r++) {
            if (lo[r] < hi[r]) t = Math.max(t, hi[r]);
        }
        return t;
    }

    /**
     * Folds one key tile into the state: keys {@code j0 .. j0+n-1} ({@code n <= KEY_TILE}), packed
     * {@code kt[ktOff + dd * KEY_TILE + c]} and {@code v[vOff + c * dvp + e]}. Unused tile columns must be 0.
     * Callers may pass {@code n = KEY_TILE} for a zero-padded partial tile when every row's {@code hi}
     * excludes the padding.
     */
    public void visit(float[] kt, int ktOff, float[] v, int vOff, int j0, int n) {
        visit(kt, ktOff, KEY_TILE, v, vOff, j0, n);
    }

    /** {@link #visit} with K^T rows {@code ldk} apart ({@code kt[ktOff + dd * ldk + c]}), e.g. read in place. */
    public void visit(float[] kt, int ktOff, int ldk, float[] v, int vOff, int j0, int n) {
        if (n == KEY_TILE && softcap2 == 0 && !anyAlibi && rows > BAND && !allRowsSeeAll(j0)) {
            visitBanded(kt, ktOff, ldk, v, vOff, j0);
            return;
        }
        ops.matmul(rows, KEY_TILE, d, q, 0, d, kt, ktOff, ldk, s, 0, KEY_TILE);
        softmaxAndAccumulate(j0, n, v, vOff, dvp, dvp);
    }

    /**
     * A boundary tile (causal diagonal, window edges) by bands of {@link #BAND} rows: {@code Q K^T} and {@code P V}
     * only over the span of columns some row of the band sees (whole vectors), the rest of its score rows zeroed and
     * masked. Of a causal diagonal tile this computes 5/8 of the products, with the same weights; single-thread CPU
     * time of a causal S = 1k call 5% (D = 64) and 2% (D = 128) lower.
     */
    private void visitBanded(float[] kt, int ktOff, int ldk, float[] v, int vOff, int j0) {
        int w = ops.lanes();
        float[] rangeMask = rangeMask(j0);
        for (int g = 0, g0 = 0; g0 < rows; g++, g0 += BAND) {
            int g1 = Math.min(rows, g0 + BAND);
            int a = KEY_TILE, b = 0;
            for (int r = g0; r < g1; r++) {
                int ra = Math.max(lo[r] - j0, 0), rb = Math.min(hi[r] - j0, KEY_TILE);
                if (ra < rb) {
                    a = Math.min(a, ra);
                    b = Math.max(b, rb);
                }
            }
            if (a >= b) {
                a = 0;
                b = 0;
            } else {
                a = a / w * w;
                b = Math.min(KEY_TILE, (b + w - 1) / w * w);
            }
            bandFrom[g] = a;
            bandTo[g] = b;
            for (int r = g0; r < g1; r++) {
                Arrays.fill(s, r * KEY_TILE, r * KEY_TILE + a, 0f);
                Arrays.fill(s, r * KEY_TILE + b, (r + 1) * KEY_TILE, 0f);
            }
            if (a < b) ops.matmul(g1 - g0, b - a, d, q, g0 * d, d, kt, ktOff + a, ldk, s, g0 * KEY_TILE + a, KEY_TILE);
        }
        ops.onlineSoftmaxTile(s, 0, rows, KEY_TILE, rangeMask, m, l, alpha, tileScratch);
        boolean rescale = false;
        for (int r = 0; r < rows; r++) rescale |= alpha[r] != 1f;
        finishTile(0, rows, rescale, null, 0, 0, 0, 0);
        for (int g = 0, g0 = 0; g0 < rows; g++, g0 += BAND) {
            int a = bandFrom[g], b = bandTo[g];
            // Weights outside [a, b) are 0: the product over the band is the whole P V of these rows.
            if (a < b) {
                ops.matmulAdd(Math.min(BAND, rows - g0), dvp, b - a, s, g0 * KEY_TILE + a, KEY_TILE, v, vOff + a * dvp, dvp,
                        acc, g0 * dvp, dvp);
            }
        }
    }

    /**
     * {@link #visit} over keys and values where they lie, without a packed copy (decoding streams a KV
     * cache once): key {@code c < n <= KEY_TILE} is {@code k[kOff + c * ldk + 0 .. d)}, its value
     * {@code v[vOff + c * ldv + 0 .. dv)}.
     */
    public void visitInPlace(float[] k, int kOff, int ldk, float[] v, int vOff, int ldv, int dv, int j0, int n) {
        ops.matmulTransposedB(rows, n, d, q, 0, d, k, kOff, ldk, s, 0, KEY_TILE);
        softmaxAndAccumulate(j0, n, v, vOff, ldv, dv);
    }

    /**
     * The {@code rows x KEY_TILE} score tile (leading dimension {@link #KEY_TILE}) for callers that compute
     * scores themselves (decoding walks keys token-major over every kv head): fill columns {@code [0, n)} with
     * {@code q . k}, call {@link #weights}, then add {@code P V} to {@link #acc} from this tile.
     */
    float[] scoreTile() {
        return s;
    }

    /**
     * {@link #visitInPlace} without its {@code P V} product: the online-softmax step over the caller's score
     * tile for keys {@code j0 .. j0+n-1}; {@link #acc} is rescaled and the tile then holds the weights (0 past
     * column n and outside each row's range).
     */
    void weights(int j0, int n) {
        softmaxAndAccumulate(j0, n, null, 0, 0, 0);
    }

    /**
     * The online-softmax step over the score tile {@code s}, then {@code acc += P V} over {@code cols} value
     * columns ({@code v == null}: the caller adds {@code P V}).
     */
    private void softmaxAndAccumulate(int j0, int n, float[] v, int vOff, int ldv, int cols) {
        boolean rescale = false;
        if (n == KEY_TILE && softcap2 == 0 && !anyAlibi) {
            // No bias: one fused vector pass per row; boundary tiles (causal diagonal, window edges) add a
            // 0 / -inf mask of each row's range instead of running per-row loops with scalar tails.
            float[] rangeMask = allRowsSeeAll(j0) ? null : rangeMask(j0);
            ops.onlineSoftmaxTile(s, 0, rows, KEY_TILE, rangeMask, m, l, alpha, tileScratch);
            for (int r = 0; r < rows; r++) rescale |= alpha[r] != 1f;
            finishTile(0, rows, rescale, v, vOff, ldv, cols, n);
            return;
        }
        for (int r = 0; r < rows; r++) {
            int row = r * KEY_TILE;
            int a = Math.max(lo[r] - j0, 0);
            int b = Math.min(hi[r] - j0, n);
            if (a >= b) {
                Arrays.fill(s, row, row + KEY_TILE, 0f);
                alpha[r] = 1f;
                continue;
            }
            int len = b - a;
            if (softcap2 > 0) {
                ops.softcap(s, row + a, len, softcap2);
            }
            float slope = alibi2[r];
            if (slope != 0) {
                if (alibiCausal) {
                    ops.addRamp(s, row + a, len, slope * (j0 + a), slope);
                } else {
                    ops.subAbsDistance(s, row + a, len, aligned[r] - j0 - a, slope);
                }
            }
            float mx = ops.max(s, row + a, len);
            float mOld = m[r];
            float mNew = Math.max(mOld, mx);
            float al = rescale(mOld, mNew);
            float sum = ops.exp2Shifted(s, row + a, len, mNew);
            if (a > 0) Arrays.fill(s, row, row + a, 0f);
            if (b < KEY_TILE) Arrays.fill(s, row + b, row + KEY_TILE, 0f);
            l[r] = l[r] * al + sum;
            m[r] = mNew;
            alpha[r] = al;
            rescale |= al != 1f;
        }
        finishTile(0, rows, rescale, v, vOff, ldv, cols, n);
    }

    /** Per row, 0 on its visible keys of the tile at {@code j0} and {@code -inf} elsewhere. */
    private float[] rangeMask(int j0) {
        for (int r = 0; r < rows; r++) {
            int row = r * KEY_TILE;
            int a = Math.min(Math.max(lo[r] - j0, 0), KEY_TILE);
            int b = Math.max(Math.min(hi[r] - j0, KEY_TILE), a);
            Arrays.fill(mask, row, row + a, Float.NEGATIVE_INFINITY);
            Arrays.fill(mask, row + a, row + b, 0f);
            Arrays.fill(mask, row + b, row + KEY_TILE, Float.NEGATIVE_INFINITY);
        }
        return mask;
    }

    private boolean allRowsSeeAll(int j0) {
        for (int r = 0; r < rows; r++) {
            if (lo[r] > j0 || hi[r] < j0 + KEY_TILE) return false;
        }
        return true;
    }

    /** Rescales rows {@code [r0, r1)} of the accumulators by {@code alpha} where the max moved, then {@code acc += P V}. */
    private void finishTile(int r0, int r1, boolean rescale, float[] v, int vOff, int ldv, int cols, int n) {
        if (rescale) {
            for (int r = r0; r < r1; r++) {
                if (alpha[r] != 1f) ops.scale(acc, r * dvp, dvp, alpha[r]);
            }
        }
        if (v != null) ops.matmulAdd(r1 - r0, cols, n, s, r0 * KEY_TILE, KEY_TILE, v, vOff, ldv, acc, r0 * dvp, dvp);
    }

    /**
     * {@link #visit} with an arbitrary mask: {@code mask[r * KEY_TILE + c]} is 0 (visible) or {@code -inf};
     * {@code visible[r]} counts the visible keys of row r in this tile. Used where the keys a row sees are
     * not one contiguous run of the tile (multi-dimensional neighborhoods). Only the span of rows that see
     * some key of the tile is computed, and a tile every such row sees whole skips the mask.
     */
    public void visitMasked(float[] kt, int ktOff, float[] v, int vOff, int n, float[] mask, int[] visible) {
        int r0 = 0, r1 = rows;
        while (r0 < r1 && visible[r0] == 0) r0++;
        while (r1 > r0 && visible[r1 - 1] == 0) r1--;
        if (r0 == r1) {
            return;
        }
        boolean whole = true;
        for (int r = r0; r < r1 && whole; r++) whole = visible[r] == n;
        ops.matmul(r1 - r0, KEY_TILE, d, q, r0 * d, d, kt, ktOff, KEY_TILE, s, r0 * KEY_TILE, KEY_TILE);
        if (n == KEY_TILE) {
            ops.onlineSoftmaxTile(s, r0, r1, KEY_TILE, whole ? null : mask, m, l, alpha, tileScratch);
        } else {
            ops.onlineSoftmaxRows(s, r0, r1, KEY_TILE, n, whole ? null : mask, m, l, alpha);
        }
        boolean rescale = false;
        for (int r = r0; r < r1; r++) rescale |= alpha[r] != 1f;
        finishTile(r0, r1, rescale, v, vOff, dvp, dvp, n);
    }

    /** {@code 2^(mOld - mNew)}: 1 without an exp when the max did not move (most tiles), 0 from an empty start. */
    private static float rescale(float mOld, float mNew) {
        if (mOld == mNew) return 1f;
        return mOld == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp((mOld - mNew) * LN2);
    }

    /** {@code 1 / l} for row {@code r}, or 0 for a row that saw no key (its output is 0). */
    public float outputScale(int r) {
        return l[r] > 0 ? 1f / l[r] : 0f;
    }

    /** Natural-log LSE of row {@code r}; {@code +inf} for a row that saw no key (spec 1.3). */
    public float lse(int r) {
        return lseOf(m[r], l[r]);
    }

    /** Natural-log LSE of a row with log2-unit max {@code m} and sum {@code l}; {@code +inf} when it saw no key. */
    public static float lseOf(float m, float l) {
        return l > 0 ? (float) (m * LN2 + Math.log(l)) : Float.POSITIVE_INFINITY;
    }
}
