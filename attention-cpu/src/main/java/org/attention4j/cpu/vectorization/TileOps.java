package org.attention4j.cpu.vectorization;

/**
 * The inner loops every CPU kernel is built from, on fp32 arrays. One implementation per provider: plain
 * Java loops ({@link ScalarTileOps}) or Vector API kernels (loaded only when the incubator module is
 * usable). Implementations are stateless and thread-safe.
 *
 * <p>Scores handled by {@link #exp2Shifted} are in log2 units: callers fold {@code log2 e} into the
 * softmax scale so that one {@code exp2} per logit remains (spec 1.6).
 */
public interface TileOps {
    /** Short description for logs, e.g. {@code "Vector API, 16 x fp32 lanes"}. */
    String description();

    /**
     * Float lanes per vector register. Callers pad the unit-stride extent of packed tiles to a multiple
     * of it so the vector loops need no tails.
     */
    int lanes();

    /**
     * {@code C[m x n] += A[m x k] B[k x n]}, all row-major with leading dimensions {@code lda, ldb, ldc}
     * (register-blocked: a broadcast element of A times vectors of a B row).
     */
    void matmulAdd(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                   float[] c, int cOff, int ldc);

    /** {@code C[m x n] = A[m x k] B[k x n]}: {@link #matmulAdd} without reading C first. */
    void matmul(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                float[] c, int cOff, int ldc);

    /**
     * {@code C[m x n] = A[m x k] B^T} with {@code B [n x k]} row-major: each element is the dot product of
     * an A row and a B row (queries against keys read in place, one key per row).
     */
    void matmulTransposedB(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc);

    /** {@code max(x[off .. off+n))}, {@code -inf} when every element is {@code -inf} or n is 0. */
    float max(float[] x, int off, int n);

    /**
     * In place {@code x[i] = 2^(x[i] - shift)}, with an exact 0 for {@code x[i] = -inf}; returns the sum.
     * {@code shift} is finite and {@code >=} every element.
     */
    float exp2Shifted(float[] x, int off, int n, float shift);

    /**
     * One online-softmax step (spec 1.6) for rows {@code [r0, r1)} of a score tile with leading dimension
     * {@code ld}, of which the first {@code n} columns are keys. With a {@code mask} (0 or {@code -inf} per
     * element, same layout) it is added first. Per row: {@code mNew = max(m, rowmax)}; the row becomes
     * {@code 2^(s - mNew)} (0 past column n); {@code alpha = 2^(m - mNew)} (0 from an empty start, exactly 1
     * when the max stays); {@code l = l * alpha + rowsum}; {@code m = mNew}. A row with no visible key in the
     * tile becomes 0 with {@code alpha = 1}.
     */
    default void onlineSoftmaxRows(float[] s, int r0, int r1, int ld, int n, float[] mask, float[] m, float[] l,
                                   float[] alpha) {
        for (int r = r0; r < r1; r++) {
            int row = r * ld;
            if (mask != null) axpy(1f, mask, row, s, row, n);
            java.util.Arrays.fill(s, row + n, row + ld, 0f);
            float mx = max(s, row, n);
            alpha[r] = 1f;
            if (mx == Float.NEGATIVE_INFINITY) {
                java.util.Arrays.fill(s, row, row + n, 0f);
                continue;
            }
            float mOld = m[r];
            float mNew = Math.max(mOld, mx);
            float al = mOld == mNew ? 1f : mOld == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp((mOld - mNew) * Math.log(2));
            float sum = exp2Shifted(s, row, n, mNew);
            l[r] = l[r] * al + sum;
            m[r] = mNew;
            alpha[r] = al;
        }
    }

    /**
     * {@link #onlineSoftmaxRows} for whole tiles ({@code n == ld}), with a caller's {@code scratch} of at least
     * {@link #tileScratch} floats: implementations may then keep every row statistic in vectors (one lane per
     * row) instead of reducing each row across lanes. Same results up to fp32 rounding of the sums.
     */
    default void onlineSoftmaxTile(float[] s, int r0, int r1, int ld, float[] mask, float[] m, float[] l, float[] alpha,
                                   float[] scratch) {
        onlineSoftmaxRows(s, r0, r1, ld, ld, mask, m, l, alpha);
    }

    /** Floats of scratch {@link #onlineSoftmaxTile} needs. */
    default int tileScratch() {
        return lanes() * (lanes() + 4);
    }

    /** In place {@code x[i] *= s}. */
    void scale(float[] x, int off, int n, float s);

    /** In place {@code x[i] = cap * tanh(x[i] / cap)} (softcap, spec 1.1). */
    void softcap(float[] x, int off, int n, float cap);

    /** In place {@code x[i] += base + step * i} (causal ALiBi: a bias linear in the key index). */
    void addRamp(float[] x, int off, int n, float base, float step);

    /** In place {@code x[i] -= slope * |i - center|} (non-causal ALiBi). */
    void subAbsDistance(float[] x, int off, int n, float center, float slope);

    /** In place {@code y[i] += a * x[i]}. */
    void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code sum x[i] y[i]}. */
    float dot(float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code out[i] = x[i] * 2^(p[i] - m[i])} (gate factors; {@code p[i] - m[i] <= 127}). */
    void mulExp2Diff(float[] x, int xOff, float[] p, int pOff, float[] m, int mOff, float[] out, int outOff, int n);

    /** {@code sum x[i] y[i] 2^(p[i] - m[i])} (GLA's within-sub-chunk scores, spec 4.5). */
    float gatedDot(float[] x, int xOff, float[] y, int yOff, float[] p, int pOff, float[] m, int mOff, int n);

    // ------------------------------------------------------------------ linear-family chunk kernels
    // (ChunkedRecurrence, issue 6). Each is one call per chunk so the vector code sits in few, large methods.

    /**
     * {@code out[r][i] = x[r][i] * 2^(p[pOff + r * ps] - m[mOff + r * ms])} for {@code r < rows, i < n}: one gate
     * factor per row (a stride of 0 repeats one value); rows at {@code xOff + r * ldx} and {@code outOff + r * ldo}
     * (in place when they coincide). Exponents are {@code <= 127}.
     */
    void scaleRowsExp2Diff(int rows, int n, float[] x, int xOff, int ldx, float[] p, int pOff, int ps, float[] m, int mOff,
                           int ms, float[] out, int outOff, int ldo);

    /**
     * {@code out[r][i] = x[r][i] * 2^(p[r][i] - m[r][i])} for {@code r < rows, i < n}, element-wise gate factors with
     * row strides {@code ldp, ldm} (0 repeats one row). Exponents are {@code <= 127}.
     */
    void mulExp2DiffRows(int rows, int n, float[] x, int xOff, int ldx, float[] p, int pOff, int ldp, float[] m, int mOff,
                         int ldm, float[] out, int outOff, int ldo);

    /** {@code dst[j * ldd + i] = src[i * lds + j]} for {@code i < rows, j < cols}. */
    void transpose(int rows, int cols, float[] src, int sOff, int lds, float[] dst, int dOff, int ldd);

    /**
     * Causal chunk scores: for {@code i < m}, {@code A[i][j] = (Σ_p Q[i][p] Kt[p][j]) 2^(g[i] - g[j])} when
     * {@code j <= i} (factor 1 without {@code g}) and 0 when {@code i < j < m}. {@code Q [m x k]}, {@code Kt [k x m]}.
     * Columns of A and Kt up to m rounded up to {@link #lanes()} may be read or written (the buffers must be that
     * wide); {@code g} is non-increasing over {@code [0, m)} (cumulated log2 gates).
     */
    void causalScores(int m, int k, float[] q, int qOff, int ldq, float[] kt, int ktOff, int ldkt, float[] g, int gOff,
                      float[] a, int aOff, int lda);

    /**
     * Chunk output {@code O[i] = Σ_p Qg[i][p] S[p] + Σ_{j <= i} A[i][j] V[j]} for {@code i < m}, rows of n floats (a
     * multiple of {@link #lanes()}); O is overwritten. {@code A[i][j]} must be 0 for {@code i < j < m}.
     */
    void causalOutput(int m, int n, int k, float[] qg, int qOff, int ldq, float[] s, int sOff, int lds, float[] a, int aOff,
                      int lda, float[] v, int vOff, int ldv, float[] o, int oOff, int ldo);

    /**
     * Running row sums of scaled rows: {@code out[r][i] = out[r - 1][i] + s * x[r][i]} ({@code out[-1] = 0}) for
     * {@code r < rows, i < n}, the product rounded before the sum (in-chunk cumulated log2 gates).
     */
    default void cumulativeRows(int rows, int n, float[] x, int xOff, int ldx, float s, float[] out, int outOff, int ldo) {
        for (int r = 0; r < rows; r++) {
            int xi = xOff + r * ldx, oi = outOff + r * ldo, pi = oi - ldo;
            for (int i = 0; i < n; i++) {
                float g = s * x[xi + i];
                out[oi + i] = r == 0 ? g : out[pi + i] + g;
            }
        }
    }

    /**
     * GLA's key and query rows against one reference row {@code p} (n floats): {@code kOut[r][i] = k[r][i] 2^(p[i] -
     * m[r][i])} and {@code qOut[r][i] = q[r][i] 2^(m[r][i] - p[i])} for {@code r < rows, i < n}, rows of m, k, q, kOut
     * and qOut with their own strides. The first exponents must lie in {@code [-126, 0]} (the second factor is then
     * at most {@code 2^126}).
     */
    default void mulExp2DiffPair(int rows, int n, float[] p, int pOff, float[] m, int mOff, int ldm, float[] k, int kOff,
                                 int ldk, float[] kOut, int kOutOff, int ldko, float[] q, int qOff, int ldq, float[] qOut,
                                 int qOutOff, int ldqo) {
        mulExp2DiffRows(rows, n, k, kOff, ldk, p, pOff, 0, m, mOff, ldm, kOut, kOutOff, ldko);
        mulExp2DiffRows(rows, n, q, qOff, ldq, m, mOff, ldm, p, pOff, 0, qOut, qOutOff, ldqo);
    }

    // ------------------------------------------------------------------ decode (DecodeKernel, issue 6)

    /**
     * Decode's key-major scores, step 1: for one key {@code b[bOff .. bOff+k)} and m query rows
     * {@code a[aOff + i * lda ..]}, writes {@link #lanes} floats {@code part[pOff + i * ldp ..]} whose sum is
     * the dot product (vector partial sums: no horizontal reduction per key).
     */
    default void decodePartials(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, float[] part, int pOff, int ldp) {
        int w = lanes();
        for (int i = 0; i < m; i++) {
            int o = pOff + i * ldp;
            part[o] = dot(a, aOff + i * lda, b, bOff, k);
            java.util.Arrays.fill(part, o + 1, o + w, 0f);
        }
    }

    /**
     * Decode's key-major scores, step 2: {@code c[cOff + j] = sum of part[pOff + j * lanes() .. + lanes())}
     * for {@code j < lanes()} (the {@link #decodePartials} of lanes() consecutive keys); may overwrite part.
     */
    default void decodeFold(float[] part, int pOff, float[] c, int cOff) {
        int w = lanes();
        for (int j = 0; j < w; j++) {
            float s = 0;
            for (int l = 0; l < w; l++) s += part[pOff + j * w + l];
            c[cOff + j] = s;
        }
    }

    // ------------------------------------------------------------------ neighborhood lanes (NeighborhoodKernel)
    // One query per lane: w = lanes() consecutive queries of a grid line against a run of key lines, each
    // feature-major ({@code [feature][position]}, feature rows ldk apart, lines kls apart). Pair j is offset
    // {@code j % n} of line {@code j / n}; lane i reads it at position {@code j % n + idx[i]} of the line from the
    // run's base; idx == null means idx[i] = i (interior queries: one shifted vector), else idx[i] < w (clamped
    // border windows). Up to four query lines that see the same key lines share their loads.

    /**
     * For {@code r < rows, j < pairs, i < w}: {@code s[sOffs[r] + j * w + i] (+)=
     * sum_{p < k} q[qOffs[r] + p * ldq + i] * kt[kOff + (j / n) * kls + j % n + p * ldk + idx[i]]} (added to s when
     * {@code add}: long feature rows go in slices).
     */
    default void laneScores(boolean add, int rows, int pairs, int n, int k, float[] q, int[] qOffs, int ldq, float[] kt, int kOff,
                            int kls, int ldk, int[] idx, float[] s, int[] sOffs) {
        int w = lanes();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < pairs; j++) {
                for (int i = 0; i < w; i++) {
                    int kj = kOff + (j / n) * kls + j % n + (idx == null ? i : idx[i]);
                    float acc = add ? s[sOffs[r] + j * w + i] : 0;
                    for (int p = 0; p < k; p++) acc += q[qOffs[r] + p * ldq + i] * kt[kj + p * ldk];
                    s[sOffs[r] + j * w + i] = acc;
                }
            }
        }
    }

    /**
     * Lanewise softmax (log2 units) over {@code cnt} score vectors {@code s[sOff + j * w + i]}: per lane i the max
     * {@code m}, then {@code s = 2^(s - m)} in place (0 for {@code -inf}) and {@code ml[mlOff + i] = m},
     * {@code ml[mlOff + w + i] = sum}; a lane whose scores are all {@code -inf} gets weights 0 and sum 0.
     */
    default void laneSoftmax(int cnt, float[] s, int sOff, float[] ml, int mlOff) {
        int w = lanes();
        for (int i = 0; i < w; i++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cnt; j++) m = Math.max(m, s[sOff + j * w + i]);
            float shift = m == Float.NEGATIVE_INFINITY ? 0f : m;
            float sum = 0;
            for (int j = 0; j < cnt; j++) {
                float x = s[sOff + j * w + i];
                float e = x == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp((x - shift) * Math.log(2));
                s[sOff + j * w + i] = e;
                sum += e;
            }
            ml[mlOff + i] = m;
            ml[mlOff + w + i] = sum;
        }
    }

    /**
     * For {@code r < rows, e < m, i < w}: {@code o[oOffs[r] + e * ldo + i] +=
     * sum_{j < pairs} p[pOffs[r] + j * w + i] * vt[vOff + (j / n) * vls + j % n + e * ldv + idx[i]]}.
     */
    default void laneAccumulate(int rows, int pairs, int n, int m, float[] p, int[] pOffs, float[] vt, int vOff, int vls, int ldv,
                                int[] idx, float[] o, int[] oOffs, int ldo) {
        int w = lanes();
        for (int r = 0; r < rows; r++) {
            for (int e = 0; e < m; e++) {
                for (int i = 0; i < w; i++) {
                    int vi = vOff + e * ldv + (idx == null ? i : idx[i]);
                    float acc = o[oOffs[r] + e * ldo + i];
                    for (int j = 0; j < pairs; j++) acc += p[pOffs[r] + j * w + i] * vt[vi + (j / n) * vls + j % n];
                    o[oOffs[r] + e * ldo + i] = acc;
                }
            }
        }
    }
}
