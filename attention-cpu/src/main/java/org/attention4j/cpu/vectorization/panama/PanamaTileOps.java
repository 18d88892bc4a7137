package org.attention4j.cpu.vectorization.panama;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.attention4j.cpu.vectorization.TileOps;

/** Vector API inner loops (AVX-512: 16 fp32 lanes). Tails beyond whole vectors run as scalar loops. */
final class PanamaTileOps implements TileOps {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final float[] IOTA = new float[L];
    private static final float LOG2E = (float) (1 / Math.log(2));
    private static final double LN2 = Math.log(2);

    static {
        for (int i = 0; i < L; i++) {
            IOTA[i] = i;
        }
    }

    @Override
    public String description() {
        return "Vector API, " + L + " x fp32 lanes";
    }

    @Override
    public int lanes() {
        return L;
    }

    // ------------------------------------------------------------------ matmul

    @Override
    public void matmulAdd(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc) {
        gemm(true, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }

    @Override
    public void matmul(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc) {
        gemm(false, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }

    private static void gemm(boolean add, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc) {
        int j = 0;
        for (; j + 4 * L <= n; j += 4 * L) {
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                block4x4(add, k, a, aOff + i * lda, lda, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
            for (; i < m; i++) {
                block1x4(add, k, a, aOff + i * lda, b, bOff + j, ldb, c, cOff + i * ldc + j);
            }
        }
        // A remainder of 2 or 3 vectors as one panel: 8 or 12 accumulator chains where 4 x 1 blocks have 4, fewer
        // than the FMA pipes' latency covers (the causal chunk kernels' 32- and 48-wide triangles).
        if (n - j == 3 * L || n - j == 2 * L) {
            boolean three = n - j == 3 * L;
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                if (three) {
                    block4x3(add, k, a, aOff + i * lda, lda, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
                } else {
                    block4x2(add, k, a, aOff + i * lda, lda, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
                }
            }
            for (; i < m; i++) {
                for (int jj = j; jj < n; jj += L) {
                    block1x1(add, k, a, aOff + i * lda, b, bOff + jj, ldb, c, cOff + i * ldc + jj);
                }
            }
            return;
        }
        for (; j + L <= n; j += L) {
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                block4x1(add, k, a, aOff + i * lda, lda, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
            for (; i < m; i++) {
                block1x1(add, k, a, aOff + i * lda, b, bOff + j, ldb, c, cOff + i * ldc + j);
            }
        }
        if (j < n) {
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc;
                int ai = aOff + i * lda;
                if (!add) {
                    java.util.Arrays.fill(c, ci + j, ci + n, 0f);
                }
                for (int p = 0; p < k; p++) {
                    float av = a[ai + p];
                    int bp = bOff + p * ldb;
                    for (int jj = j; jj < n; jj++) {
                        c[ci + jj] += av * b[bp + jj];
                    }
                }
            }
        }
    }

    @Override
    public void matmulTransposedB(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float[] c, int cOff, int ldc) {
        int kv = k - k % L;
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * lda, ci = cOff + i * ldc;
            int j = 0;
            // Four B rows per pass: each A vector is loaded once for four dot products.
            for (; j + 4 <= n; j += 4) {
                int b0 = bOff + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
                FloatVector x0 = FloatVector.zero(SP), x1 = x0, x2 = x0, x3 = x0;
                for (int p = 0; p < kv; p += L) {
                    FloatVector av = FloatVector.fromArray(SP, a, ai + p);
                    x0 = av.fma(FloatVector.fromArray(SP, b, b0 + p), x0);
                    x1 = av.fma(FloatVector.fromArray(SP, b, b1 + p), x1);
                    x2 = av.fma(FloatVector.fromArray(SP, b, b2 + p), x2);
                    x3 = av.fma(FloatVector.fromArray(SP, b, b3 + p), x3);
                }
                float s0 = x0.reduceLanes(VectorOperators.ADD), s1 = x1.reduceLanes(VectorOperators.ADD);
                float s2 = x2.reduceLanes(VectorOperators.ADD), s3 = x3.reduceLanes(VectorOperators.ADD);
                for (int p = kv; p < k; p++) {
                    float av = a[ai + p];
                    s0 += av * b[b0 + p];
                    s1 += av * b[b1 + p];
                    s2 += av * b[b2 + p];
                    s3 += av * b[b3 + p];
                }
                c[ci + j] = s0;
                c[ci + j + 1] = s1;
                c[ci + j + 2] = s2;
                c[ci + j + 3] = s3;
            }
            for (; j < n; j++) {
                c[ci + j] = dot(a, ai, b, bOff + j * ldb, k);
            }
        }
    }

    /** The C block to accumulate into: loaded, or zero when C is overwritten. */
    private static FloatVector ld(boolean add, float[] c, int off) {
        return add ? FloatVector.fromArray(SP, c, off) : FloatVector.zero(SP);
    }

    /** 4 rows of A times 4 vectors of B: 16 accumulators stay in registers over the k loop. */
    private static void block4x4(boolean add, int k, float[] a, int a0, int lda, float[] b, int bp, int ldb, float[] c, int c0, int ldc) {
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector x00 = ld(add, c, c0), x01 = ld(add, c, c0 + L);
        FloatVector x02 = ld(add, c, c0 + 2 * L), x03 = ld(add, c, c0 + 3 * L);
        FloatVector x10 = ld(add, c, c1), x11 = ld(add, c, c1 + L);
        FloatVector x12 = ld(add, c, c1 + 2 * L), x13 = ld(add, c, c1 + 3 * L);
        FloatVector x20 = ld(add, c, c2), x21 = ld(add, c, c2 + L);
        FloatVector x22 = ld(add, c, c2 + 2 * L), x23 = ld(add, c, c2 + 3 * L);
        FloatVector x30 = ld(add, c, c3), x31 = ld(add, c, c3 + L);
        FloatVector x32 = ld(add, c, c3 + 2 * L), x33 = ld(add, c, c3 + 3 * L);
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int p = 0; p < k; p++, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(SP, b, bp);
            FloatVector b1 = FloatVector.fromArray(SP, b, bp + L);
            FloatVector b2 = FloatVector.fromArray(SP, b, bp + 2 * L);
            FloatVector b3 = FloatVector.fromArray(SP, b, bp + 3 * L);
            FloatVector av = FloatVector.broadcast(SP, a[a0 + p]);
            x00 = av.fma(b0, x00); x01 = av.fma(b1, x01); x02 = av.fma(b2, x02); x03 = av.fma(b3, x03);
            av = FloatVector.broadcast(SP, a[a1 + p]);
            x10 = av.fma(b0, x10); x11 = av.fma(b1, x11); x12 = av.fma(b2, x12); x13 = av.fma(b3, x13);
            av = FloatVector.broadcast(SP, a[a2 + p]);
            x20 = av.fma(b0, x20); x21 = av.fma(b1, x21); x22 = av.fma(b2, x22); x23 = av.fma(b3, x23);
            av = FloatVector.broadcast(SP, a[a3 + p]);
            x30 = av.fma(b0, x30); x31 = av.fma(b1, x31); x32 = av.fma(b2, x32); x33 = av.fma(b3, x33);
        }
        x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L); x03.intoArray(c, c0 + 3 * L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L); x13.intoArray(c, c1 + 3 * L);
        x20.intoArray(c, c2); x21.intoArray(c, c2 + L); x22.intoArray(c, c2 + 2 * L); x23.intoArray(c, c2 + 3 * L);
        x30.intoArray(c, c3); x31.intoArray(c, c3 + L); x32.intoArray(c, c3 + 2 * L); x33.intoArray(c, c3 + 3 * L);
    }

    private static void block4x3(boolean add, int k, float[] a, int a0, int lda, float[] b, int bp, int ldb, float[] c, int c0, int ldc) {
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector x00 = ld(add, c, c0), x01 = ld(add, c, c0 + L), x02 = ld(add, c, c0 + 2 * L);
        FloatVector x10 = ld(add, c, c1), x11 = ld(add, c, c1 + L), x12 = ld(add, c, c1 + 2 * L);
        FloatVector x20 = ld(add, c, c2), x21 = ld(add, c, c2 + L), x22 = ld(add, c, c2 + 2 * L);
        FloatVector x30 = ld(add, c, c3), x31 = ld(add, c, c3 + L), x32 = ld(add, c, c3 + 2 * L);
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int p = 0; p < k; p++, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(SP, b, bp);
            FloatVector b1 = FloatVector.fromArray(SP, b, bp + L);
            FloatVector b2 = FloatVector.fromArray(SP, b, bp + 2 * L);
            FloatVector av = FloatVector.broadcast(SP, a[a0 + p]);
            x00 = av.fma(b0, x00); x01 = av.fma(b1, x01); x02 = av.fma(b2, x02);
            av = FloatVector.broadcast(SP, a[a1 + p]);
            x10 = av.fma(b0, x10); x11 = av.fma(b1, x11); x12 = av.fma(b2, x12);
            av = FloatVector.broadcast(SP, a[a2 + p]);
            x20 = av.fma(b0, x20); x21 = av.fma(b1, x21); x22 = av.fma(b2, x22);
            av = FloatVector.broadcast(SP, a[a3 + p]);
            x30 = av.fma(b0, x30); x31 = av.fma(b1, x31); x32 = av.fma(b2, x32);
        }
        x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L);
        x20.intoArray(c, c2); x21.intoArray(c, c2 + L); x22.intoArray(c, c2 + 2 * L);
        x30.intoArray(c, c3); x31.intoArray(c, c3 + L); x32.intoArray(c, c3 + 2 * L);
    }

    private static void block4x2(boolean add, int k, float[] a, int a0, int lda, float[] b, int bp, int ldb, float[] c, int c0, int ldc) {
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector x00 = ld(add, c, c0), x01 = ld(add, c, c0 + L);
        FloatVector x10 = ld(add, c, c1), x11 = ld(add, c, c1 + L);
        FloatVector x20 = ld(add, c, c2), x21 = ld(add, c, c2 + L);
        FloatVector x30 = ld(add, c, c3), x31 = ld(add, c, c3 + L);
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int p = 0; p < k; p++, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(SP, b, bp);
            FloatVector b1 = FloatVector.fromArray(SP, b, bp + L);
            FloatVector av = FloatVector.broadcast(SP, a[a0 + p]);
            x00 = av.fma(b0, x00); x01 = av.fma(b1, x01);
            av = FloatVector.broadcast(SP, a[a1 + p]);
            x10 = av.fma(b0, x10); x11 = av.fma(b1, x11);
            av = FloatVector.broadcast(SP, a[a2 + p]);
            x20 = av.fma(b0, x20); x21 = av.fma(b1, x21);
            av = FloatVector.broadcast(SP, a[a3 + p]);
            x30 = av.fma(b0, x30); x31 = av.fma(b1, x31);
        }
        x00.intoArray(c, c0); x01.intoArray(c, c0 + L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
        x20.intoArray(c, c2); x21.intoArray(c, c2 + L);
        x30.intoArray(c, c3); x31.intoArray(c, c3 + L);
    }

    private static void block1x4(boolean add, int k, float[] a, int a0, float[] b, int bp, int ldb, float[] c, int c0) {
        FloatVector x0 = ld(add, c, c0), x1 = ld(add, c, c0 + L);
        FloatVector x2 = ld(add, c, c0 + 2 * L), x3 = ld(add, c, c0 + 3 * L);
        for (int p = 0; p < k; p++, bp += ldb) {
            FloatVector av = FloatVector.broadcast(SP, a[a0 + p]);
            x0 = av.fma(FloatVector.fromArray(SP, b, bp), x0);
            x1 = av.fma(FloatVector.fromArray(SP, b, bp + L), x1);
            x2 = av.fma(FloatVector.fromArray(SP, b, bp + 2 * L), x2);
            x3 = av.fma(FloatVector.fromArray(SP, b, bp + 3 * L), x3);
        }
        x0.intoArray(c, c0); x1.intoArray(c, c0 + L); x2.intoArray(c, c0 + 2 * L); x3.intoArray(c, c0 + 3 * L);
    }

    private static void block4x1(boolean add, int k, float[] a, int a0, int lda, float[] b, int bp, int ldb, float[] c, int c0, int ldc) {
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        FloatVector x0 = ld(add, c, c0), x1 = ld(add, c, c1);
        FloatVector x2 = ld(add, c, c2), x3 = ld(add, c, c3);
        for (int p = 0; p < k; p++, bp += ldb) {
            FloatVector bv = FloatVector.fromArray(SP, b, bp);
            x0 = FloatVector.broadcast(SP, a[a0 + p]).fma(bv, x0);
            x1 = FloatVector.broadcast(SP, a[a1 + p]).fma(bv, x1);
            x2 = FloatVector.broadcast(SP, a[a2 + p]).fma(bv, x2);
            x3 = FloatVector.broadcast(SP, a[a3 + p]).fma(bv, x3);
        }
        x0.intoArray(c, c0); x1.intoArray(c, c1); x2.intoArray(c, c2); x3.intoArray(c, c3);
    }

    private static void block1x1(boolean add, int k, float[] a, int a0, float[] b, int bp, int ldb, float[] c, int c0) {
        FloatVector x0 = ld(add, c, c0);
        for (int p = 0; p < k; p++, bp += ldb) {
            x0 = FloatVector.broadcast(SP, a[a0 + p]).fma(FloatVector.fromArray(SP, b, bp), x0);
        }
        x0.intoArray(c, c0);
    }

    // ------------------------------------------------------------------ row operations

    @Override
    public float max(float[] x, int off, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            FloatVector acc = FloatVector.fromArray(SP, x, off);
            for (i = L; i + L <= n; i += L) {
                acc = acc.max(FloatVector.fromArray(SP, x, off + i));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    @Override
    public float exp2Shifted(float[] x, int off, int n, float shift) {
        int i = 0;
        FloatVector sum = FloatVector.zero(SP);
        FloatVector sh = FloatVector.broadcast(SP, shift);
        for (; i + L <= n; i += L) {
            FloatVector e = exp2NonPositive(FloatVector.fromArray(SP, x, off + i).sub(sh));
            e.intoArray(x, off + i);
            sum = sum.add(e);
        }
        float s = sum.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp((x[off + i] - shift) * Math.log(2));
            x[off + i] = e;
            s += e;
        }
        return s;
    }

    /**
     * {@code 2^x} for {@code x <= 0} (and -inf): round-to-nearest split {@code x = n + f}, a degree-5
     * polynomial for {@code 2^f} on [-1/2, 1/2] (relative error below 3e-6), {@code n} added to the exponent
     * bits. Inputs are clamped at -127, where the exponent field reaches 0 and 1.0 becomes an exact +0, so
     * masked logits ({@code -inf}) weigh exactly nothing; inputs just above -127 give subnormal dust.
     */
    static FloatVector exp2NonPositive(FloatVector x) {
        FloatVector xc = x.max(-127f);
        // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits.
        FloatVector t = xc.add(12582912f);
        FloatVector f = xc.sub(t.sub(12582912f));
        FloatVector p = f.fma(FloatVector.broadcast(SP, 1.3333558146428443e-3f), FloatVector.broadcast(SP, 9.618129107628477e-3f));
        p = p.fma(f, FloatVector.broadcast(SP, 5.550410866482158e-2f));
        p = p.fma(f, FloatVector.broadcast(SP, 0.2402265069591007f));
        p = p.fma(f, FloatVector.broadcast(SP, 0.6931471805599453f));
        p = p.fma(f, FloatVector.broadcast(SP, 1f));
        IntVector ni = t.reinterpretAsInts().sub(0x4B400000);
        return p.reinterpretAsInts().add(ni.lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats();
    }

    @Override
    public void onlineSoftmaxRows(float[] s, int r0, int r1, int ld, int n, float[] mask, float[] m, float[] l,
                                  float[] alpha) {
        if (ld != 4 * L || n != ld) {
            TileOps.super.onlineSoftmaxRows(s, r0, r1, ld, n, mask, m, l, alpha);
            return;
        }
        for (int r = r0; r < r1; r++) {
            int o = r * ld;
            FloatVector mv = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < 4 * L; i += L) {
                FloatVector x = FloatVector.fromArray(SP, s, o + i);
                if (mask != null) {
                    x = x.add(FloatVector.fromArray(SP, mask, o + i));
                    x.intoArray(s, o + i);
                }
                mv = mv.max(x);
            }
            float mx = mv.reduceLanes(VectorOperators.MAX);
            alpha[r] = 1f;
            if (mx == Float.NEGATIVE_INFINITY) {
                java.util.Arrays.fill(s, o, o + ld, 0f);
                continue;
            }
            float mOld = m[r];
            float mNew = Math.max(mOld, mx);
            FloatVector sh = FloatVector.broadcast(SP, mNew);
            FloatVector acc = FloatVector.zero(SP);
            // One call site of exp2NonPositive keeps this method small enough for C2 to inline it (no boxing).
            for (int i = 0; i < 4 * L; i += L) {
                FloatVector e = exp2NonPositive(FloatVector.fromArray(SP, s, o + i).sub(sh));
                e.intoArray(s, o + i);
                acc = acc.add(e);
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            float al = mOld == mNew ? 1f : mOld == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp((mOld - mNew) * LN2);
            l[r] = l[r] * al + sum;
            m[r] = mNew;
            alpha[r] = al;
        }
    }

    /** Scratch layout of {@link #onlineSoftmaxTile}: L row vectors, then m, l, shift and alpha of L rows. */
    private static final int T_M = L * L, T_L = T_M + L, T_SHIFT = T_L + L, T_ALPHA = T_SHIFT + L;

    /**
     * L rows at a time with their statistics in vectors (lane i = row i): each row leaves the lane-wise max of
     * its four vectors, one fold tree ({@link #foldRows}) turns L of them into the L row maxima, and the same for
     * the sums. The per-row {@code reduceLanes}, scalar compares and {@code Math.exp} of {@link #onlineSoftmaxRows}
     * made the softmax step of a 64 x 64 tile cost 2.4 us single-threaded, as much as its 64 x 64 x 64 Q K^T.
     */
    @Override
    public void onlineSoftmaxTile(float[] s, int r0, int r1, int ld, float[] mask, float[] m, float[] l, float[] alpha,
                                  float[] scratch) {
        if (ld != 4 * L || scratch.length < T_ALPHA + L) {
            TileOps.super.onlineSoftmaxTile(s, r0, r1, ld, mask, m, l, alpha, scratch);
            return;
        }
        for (int g0 = r0; g0 < r1; g0 += L) {
            int cnt = Math.min(L, r1 - g0);
            if (cnt < 4) {
                // The folds cost the same for 1 row as for L: a few rows (decoding) reduce each row instead.
                onlineSoftmaxRows(s, g0, g0 + cnt, ld, ld, mask, m, l, alpha);
                continue;
            }
            for (int i = 0; i < cnt; i++) rowMax4(s, (g0 + i) * ld, mask, scratch, i * L);
            java.util.Arrays.fill(scratch, cnt * L, T_M, Float.NEGATIVE_INFINITY);
            foldRows(scratch, true);
            System.arraycopy(m, g0, scratch, T_M, cnt);
            java.util.Arrays.fill(scratch, T_M + cnt, T_L, Float.NEGATIVE_INFINITY);
            System.arraycopy(l, g0, scratch, T_L, cnt);
            java.util.Arrays.fill(scratch, T_L + cnt, T_SHIFT, 0f);
            tileShift(scratch);
            for (int i = 0; i < cnt; i++) rowExp4(s, (g0 + i) * ld, scratch[T_SHIFT + i], scratch, i * L);
            java.util.Arrays.fill(scratch, cnt * L, T_M, 0f);
            foldRows(scratch, false);
            tileSums(scratch);
            System.arraycopy(scratch, T_M, m, g0, cnt);
            System.arraycopy(scratch, T_L, l, g0, cnt);
            System.arraycopy(scratch, T_ALPHA, alpha, g0, cnt);
        }
    }

    /** Lane-wise max of a row's four vectors (the mask added and stored first) into {@code part[p ..]}. */
    private static void rowMax4(float[] s, int o, float[] mask, float[] part, int p) {
        FloatVector x0 = FloatVector.fromArray(SP, s, o), x1 = FloatVector.fromArray(SP, s, o + L);
        FloatVector x2 = FloatVector.fromArray(SP, s, o + 2 * L), x3 = FloatVector.fromArray(SP, s, o + 3 * L);
        if (mask != null) {
            x0 = x0.add(FloatVector.fromArray(SP, mask, o));
            x1 = x1.add(FloatVector.fromArray(SP, mask, o + L));
            x2 = x2.add(FloatVector.fromArray(SP, mask, o + 2 * L));
            x3 = x3.add(FloatVector.fromArray(SP, mask, o + 3 * L));
            x0.intoArray(s, o);
            x1.intoArray(s, o + L);
            x2.intoArray(s, o + 2 * L);
            x3.intoArray(s, o + 3 * L);
        }
        // A tree, not a chain: a Java-semantics vector max has a long latency.
        x0.max(x1).max(x2.max(x3)).intoArray(part, p);
    }

    /** A row's weights {@code 2^(s - shift)} in place; their lane-wise sums into {@code part[p ..]}. */
    private static void rowExp4(float[] s, int o, float shift, float[] part, int p) {
        FloatVector sh = FloatVector.broadcast(SP, shift);
        FloatVector acc = FloatVector.zero(SP);
        for (int i = 0; i < 4 * L; i += L) {
            FloatVector e = exp2NonPositive(FloatVector.fromArray(SP, s, o + i).sub(sh));
            e.intoArray(s, o + i);
            acc = acc.add(e);
        }
        acc.intoArray(part, p);
    }

    /** L rows' new max, exp shift (0 for a row that has seen no key) and rescale factor, from their old max and tile max. */
    private static void tileShift(float[] t) {
        FloatVector mOld = FloatVector.fromArray(SP, t, T_M);
        FloatVector mNew = mOld.max(FloatVector.fromArray(SP, t, 0));
        FloatVector shift = mNew.blend(0f, mNew.eq(Float.NEGATIVE_INFINITY));
        // Exactly 1 where the max stays (callers skip the rescale), 0 from an empty start (-inf clamps to 0).
        FloatVector al = exp2NonPositive(mOld.sub(shift)).blend(1f, mOld.eq(mNew));
        mNew.intoArray(t, T_M);
        shift.intoArray(t, T_SHIFT);
        al.intoArray(t, T_ALPHA);
    }

    /** {@code l = l * alpha + rowsum} for L rows. */
    private static void tileSums(float[] t) {
        FloatVector l = FloatVector.fromArray(SP, t, T_L);
        l.fma(FloatVector.fromArray(SP, t, T_ALPHA), FloatVector.fromArray(SP, t, 0)).intoArray(t, T_L);
    }

    /**
     * {@link #decodeFold}'s tree over {@code part[0 .. L * L)} with max or add: lane j of {@code part[0 .. L)} reduces
     * vector j. Kept apart from decodeFold's copy: one method serving both (an offset and the max flag) left decode
     * unchanged but made the D = 64, S = 1k softmax 8% slower non-causal and 2-6% causal (JMH, two alternating pairs).
     */
    private static void foldRows(float[] part, boolean max) {
        for (int t = 0, count = L / 2; count >= 1; t++, count /= 2) {
            VectorMask<Float> hi = HIGH[t];
            VectorShuffle<Float> swap = SWAP[t];
            for (int j = 0; j < count; j++) {
                FloatVector x = FloatVector.fromArray(SP, part, 2 * j * L);
                FloatVector y = FloatVector.fromArray(SP, part, (2 * j + 1) * L);
                FloatVector a = x.blend(y, hi), b = y.blend(x, hi).rearrange(swap);
                (max ? a.max(b) : a.add(b)).intoArray(part, j * L);
            }
        }
    }

    @Override
    public void scale(float[] x, int off, int n, float s) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(SP, x, off + i).mul(s).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= s;
        }
    }

    @Override
    public void softcap(float[] x, int off, int n, float cap) {
        int i = 0;
        float inv = 1f / cap;
        for (; i + L <= n; i += L) {
            FloatVector y = FloatVector.fromArray(SP, x, off + i).mul(inv);
            // tanh|y| = (1 - e) / (1 + e) with e = exp(-2|y|) in (0, 1]: no overflow for any y.
            FloatVector e = exp2NonPositive(y.abs().mul(-2f * LOG2E));
            FloatVector t = FloatVector.broadcast(SP, 1f).sub(e).div(e.add(1f));
            FloatVector signed = t.blend(t.neg(), y.lt(0f));
            signed.mul(cap).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = (float) (cap * Math.tanh(x[off + i] / cap));
        }
    }

    @Override
    public void addRamp(float[] x, int off, int n, float base, float step) {
        int i = 0;
        FloatVector iota = FloatVector.fromArray(SP, IOTA, 0);
        for (; i + L <= n; i += L) {
            FloatVector r = iota.add((float) i).mul(step).add(base);
            FloatVector.fromArray(SP, x, off + i).add(r).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] += base + step * i;
        }
    }

    @Override
    public void subAbsDistance(float[] x, int off, int n, float center, float slope) {
        int i = 0;
        FloatVector iota = FloatVector.fromArray(SP, IOTA, 0);
        for (; i + L <= n; i += L) {
            FloatVector d = iota.add(i - center).abs();
            FloatVector.fromArray(SP, x, off + i).sub(d.mul(slope)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] -= slope * Math.abs(i - center);
        }
    }

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        FloatVector av = FloatVector.broadcast(SP, a);
        for (; i + L <= n; i += L) {
            av.fma(FloatVector.fromArray(SP, x, xOff + i), FloatVector.fromArray(SP, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    @Override
    public float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(SP);
        for (; i + L <= n; i += L) {
            acc = FloatVector.fromArray(SP, x, xOff + i).fma(FloatVector.fromArray(SP, y, yOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += x[xOff + i] * y[yOff + i];
        }
        return s;
    }

    @Override
    public void mulExp2Diff(float[] x, int xOff, float[] p, int pOff, float[] m, int mOff, float[] out, int outOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector e = exp2NonPositive(FloatVector.fromArray(SP, p, pOff + i).sub(FloatVector.fromArray(SP, m, mOff + i)));
            FloatVector.fromArray(SP, x, xOff + i).mul(e).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = (float) (x[xOff + i] * Math.exp((p[pOff + i] - m[mOff + i]) * Math.log(2)));
        }
    }

    @Override
    public float gatedDot(float[] x, int xOff, float[] y, int yOff, float[] p, int pOff, float[] m, int mOff, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(SP);
        for (; i + L <= n; i += L) {
            FloatVector e = exp2NonPositive(FloatVector.fromArray(SP, p, pOff + i).sub(FloatVector.fromArray(SP, m, mOff + i)));
            acc = FloatVector.fromArray(SP, x, xOff + i).mul(FloatVector.fromArray(SP, y, yOff + i)).fma(e, acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += x[xOff + i] * y[yOff + i] * (float) Math.exp((p[pOff + i] - m[mOff + i]) * Math.log(2));
        }
        return s;
    }

    // ------------------------------------------------------------------ linear-family chunk kernels (issue 6)

    @Override
    public void scaleRowsExp2Diff(int rows, int n, float[] x, int xOff, int ldx, float[] p, int pOff, int ps, float[] m,
                                  int mOff, int ms, float[] out, int outOff, int ldo) {
        // L row factors per vector exp2, stored and read back as scalars: extracting them with FloatVector.lane(i) cost
        // about 11 cycles per vector of x (a 128 x 64 state decay took 1.4 us).
        float[] fs = new float[L];
        for (int r0 = 0; r0 < rows; r0 += L) {
            int cnt = Math.min(L, rows - r0);
            FloatVector pv, mv;
            if (cnt == L && (ps == 0 || ps == 1) && (ms == 0 || ms == 1)) {
                pv = ps == 0 ? FloatVector.broadcast(SP, p[pOff]) : FloatVector.fromArray(SP, p, pOff + r0);
                mv = ms == 0 ? FloatVector.broadcast(SP, m[mOff]) : FloatVector.fromArray(SP, m, mOff + r0);
            } else {
                float[] pd = new float[L], md = new float[L];
                for (int i = 0; i < cnt; i++) {
                    pd[i] = p[pOff + (r0 + i) * ps];
                    md[i] = m[mOff + (r0 + i) * ms];
                }
                pv = FloatVector.fromArray(SP, pd, 0);
                mv = FloatVector.fromArray(SP, md, 0);
            }
            exp2NonPositive(pv.sub(mv)).intoArray(fs, 0);
            for (int l = 0; l < cnt; l++) {
                FloatVector fr = FloatVector.broadcast(SP, fs[l]);
                int r = r0 + l;
                int xi = xOff + r * ldx, oi = outOff + r * ldo;
                int i = 0;
                for (; i + 2 * L <= n; i += 2 * L) {
                    FloatVector y0 = FloatVector.fromArray(SP, x, xi + i).mul(fr);
                    FloatVector y1 = FloatVector.fromArray(SP, x, xi + i + L).mul(fr);
                    y0.intoArray(out, oi + i);
                    y1.intoArray(out, oi + i + L);
                }
                for (; i + L <= n; i += L) {
                    FloatVector.fromArray(SP, x, xi + i).mul(fr).intoArray(out, oi + i);
                }
                for (; i < n; i++) {
                    out[oi + i] = x[xi + i] * fs[l];
                }
            }
        }
    }

    @Override
    public void mulExp2DiffRows(int rows, int n, float[] x, int xOff, int ldx, float[] p, int pOff, int ldp, float[] m,
                                int mOff, int ldm, float[] out, int outOff, int ldo) {
        for (int r = 0; r < rows; r++) {
            int xi = xOff + r * ldx, pi = pOff + r * ldp, mi = mOff + r * ldm, oi = outOff + r * ldo;
            int i = 0;
            for (; i + L <= n; i += L) {
                FloatVector e = exp2NonPositive(FloatVector.fromArray(SP, p, pi + i).sub(FloatVector.fromArray(SP, m, mi + i)));
                FloatVector.fromArray(SP, x, xi + i).mul(e).intoArray(out, oi + i);
            }
            for (; i < n; i++) {
                out[oi + i] = (float) (x[xi + i] * Math.exp((p[pi + i] - m[mi + i]) * LN2));
            }
        }
    }

    @Override
    public void transpose(int rows, int cols, float[] src, int sOff, int lds, float[] dst, int dOff, int ldd) {
        // L source rows at a time: each destination run of L is one gather (a column of the block) and one store; the
        // rest four rows per pass, four adjacent stores per destination row. (A 16 x 16 shuffle network did not compile
        // to register shuffles on JDK 17; for a 64 x 64 tile gathers and the four-row loop measured the same, for the
        // neighborhood's tall packing blocks the gathers were faster.)
        int i = 0;
        if (rows >= L) {
            int[] map = new int[L];
            for (int l = 0; l < L; l++) map[l] = l * lds;
            for (; i + L <= rows; i += L) {
                for (int j = 0; j < cols; j++) {
                    FloatVector.fromArray(SP, src, sOff + i * lds + j, map, 0).intoArray(dst, dOff + j * ldd + i);
                }
            }
        }
        for (; i + 4 <= rows; i += 4) {
            int s0 = sOff + i * lds, s1 = s0 + lds, s2 = s1 + lds, s3 = s2 + lds;
            for (int j = 0; j < cols; j++) {
                int d = dOff + j * ldd + i;
                float x0 = src[s0 + j], x1 = src[s1 + j], x2 = src[s2 + j], x3 = src[s3 + j];
                dst[d] = x0;
                dst[d + 1] = x1;
                dst[d + 2] = x2;
                dst[d + 3] = x3;
            }
        }
        for (; i < rows; i++) {
            int si = sOff + i * lds;
            for (int j = 0; j < cols; j++) {
                dst[dOff + j * ldd + i] = src[si + j];
            }
        }
    }

    @Override
    public void causalScores(int m, int k, float[] q, int qOff, int ldq, float[] kt, int ktOff, int ldkt, float[] g,
                             int gOff, float[] a, int aOff, int lda) {
        int width = (m + L - 1) / L * L;
        if (width > lda || width > ldkt) {
            gemm(false, m, m, k, q, qOff, ldq, kt, ktOff, ldkt, a, aOff, lda);
            for (int i = 0; i < m; i++) {
                int ai = aOff + i * lda;
                for (int j = 0; j <= i && g != null; j++) {
                    a[ai + j] *= (float) Math.exp((g[gOff + i] - g[gOff + j]) * LN2);
                }
                java.util.Arrays.fill(a, ai + i + 1, ai + m, 0f);
            }
            return;
        }
        // Blocks of 4 rows against the L-wide key blocks up to their diagonal block: the triangle only, each block one
        // register panel of 1-4 vectors. The first L rows see one key block: 8 rows at a time there, since a 4 x 1
        // panel's 4 FMA chains cannot cover the FMA latency.
        int i0 = 0;
        for (; i0 + 8 <= Math.min(m, L); i0 += 8) {
            block8x1(k, q, qOff + i0 * ldq, ldq, kt, ktOff, ldkt, a, aOff + i0 * lda, lda);
        }
        for (; i0 < m; i0 += 4) {
            int rows = Math.min(4, m - i0);
            gemm(false, rows, ((i0 + rows - 1) / L + 1) * L, k, q, qOff + i0 * ldq, ldq, kt, ktOff, ldkt, a, aOff + i0 * lda, lda);
        }
        FloatVector iota = FloatVector.fromArray(SP, IOTA, 0);
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * lda, diag = i - i % L;
            if (g != null) {
                FloatVector gi = FloatVector.broadcast(SP, g[gOff + i]);
                for (int j = 0; j <= diag; j += L) {
                    // Past the diagonal the exponent is positive; those lanes are zeroed below, so clamp it at 0.
                    FloatVector e = exp2NonPositive(gi.sub(FloatVector.fromArray(SP, g, gOff + j)).min(0f));
                    FloatVector.fromArray(SP, a, ai + j).mul(e).intoArray(a, ai + j);
                }
            }
            FloatVector d = FloatVector.fromArray(SP, a, ai + diag);
            d.blend(0f, iota.compare(VectorOperators.GT, i - diag)).intoArray(a, ai + diag);
            // Whole vectors (columns up to m rounded up may be written): Arrays.fill of the 16-48 floats cost about as
            // much as the row's diagonal-block work.
            for (int j = diag + L; j < m; j += L) {
                FloatVector.zero(SP).intoArray(a, ai + j);
            }
        }
    }

    /** 8 rows of A times one vector of B, C overwritten: 8 FMA chains where a 4 x 1 block has 4. */
    private static void block8x1(int k, float[] a, int a0, int lda, float[] b, int bp, int ldb, float[] c, int c0, int ldc) {
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        FloatVector x0 = FloatVector.zero(SP), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0;
        for (int p = 0; p < k; p++, bp += ldb) {
            FloatVector bv = FloatVector.fromArray(SP, b, bp);
            x0 = FloatVector.broadcast(SP, a[a0 + p]).fma(bv, x0);
            x1 = FloatVector.broadcast(SP, a[a1 + p]).fma(bv, x1);
            x2 = FloatVector.broadcast(SP, a[a2 + p]).fma(bv, x2);
            x3 = FloatVector.broadcast(SP, a[a3 + p]).fma(bv, x3);
            x4 = FloatVector.broadcast(SP, a[a4 + p]).fma(bv, x4);
            x5 = FloatVector.broadcast(SP, a[a5 + p]).fma(bv, x5);
            x6 = FloatVector.broadcast(SP, a[a6 + p]).fma(bv, x6);
            x7 = FloatVector.broadcast(SP, a[a7 + p]).fma(bv, x7);
        }
        x0.intoArray(c, c0);
        x1.intoArray(c, c0 + ldc);
        x2.intoArray(c, c0 + 2 * ldc);
        x3.intoArray(c, c0 + 3 * ldc);
        x4.intoArray(c, c0 + 4 * ldc);
        x5.intoArray(c, c0 + 5 * ldc);
        x6.intoArray(c, c0 + 6 * ldc);
        x7.intoArray(c, c0 + 7 * ldc);
    }

    @Override
    public void causalOutput(int m, int n, int k, float[] qg, int qOff, int ldq, float[] s, int sOff, int lds, float[] a,
                             int aOff, int lda, float[] v, int vOff, int ldv, float[] o, int oOff, int ldo) {
        if (n == 4 * L) {
            // One register panel per 4 rows accumulates both products before one store: the two-pass form stored O,
            // reloaded it for A V, and ran A V's short first blocks (k = 4, 8, ..) as separate calls.
            int i0 = 0;
            for (; i0 + 4 <= m; i0 += 4) {
                output4x4(k, qg, qOff + i0 * ldq, ldq, s, sOff, lds, i0 + 4, a, aOff + i0 * lda, lda, v, vOff, ldv, o,
                        oOff + i0 * ldo, ldo);
            }
            if (i0 < m) {
                gemm(false, m - i0, n, k, qg, qOff + i0 * ldq, ldq, s, sOff, lds, o, oOff + i0 * ldo, ldo);
                gemm(true, m - i0, n, m, a, aOff + i0 * lda, lda, v, vOff, ldv, o, oOff + i0 * ldo, ldo);
            }
            return;
        }
        gemm(false, m, n, k, qg, qOff, ldq, s, sOff, lds, o, oOff, ldo);
        // Blocks of 4 rows read A only up to their last row's diagonal (A is 0 above the diagonal).
        for (int i0 = 0; i0 < m; i0 += 4) {
            int rows = Math.min(4, m - i0);
            gemm(true, rows, n, i0 + rows, a, aOff + i0 * lda, lda, v, vOff, ldv, o, oOff + i0 * ldo, ldo);
        }
    }

    /**
     * Rows {@code [0, 4)} of {@code Q S + A V} over 4 vectors: k terms of Q S, then ka of A V, one store. The two loops
     * stay written out: one loop over two passes with the arrays chosen per pass made GLA D = 64, S = 1k 10x slower
     * (JMH, 1.26 -> 12.4 ms; C2 no longer kept the 16 accumulators in registers).
     */
    private static void output4x4(int k, float[] q, int q0, int ldq, float[] s, int sp, int lds, int ka, float[] a, int a0,
                                  int lda, float[] v, int vp, int ldv, float[] c, int c0, int ldc) {
        FloatVector z = FloatVector.zero(SP);
        FloatVector x00 = z, x01 = z, x02 = z, x03 = z, x10 = z, x11 = z, x12 = z, x13 = z;
        FloatVector x20 = z, x21 = z, x22 = z, x23 = z, x30 = z, x31 = z, x32 = z, x33 = z;
        int q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq;
        for (int p = 0; p < k; p++, sp += lds) {
            FloatVector b0 = FloatVector.fromArray(SP, s, sp);
            FloatVector b1 = FloatVector.fromArray(SP, s, sp + L);
            FloatVector b2 = FloatVector.fromArray(SP, s, sp + 2 * L);
            FloatVector b3 = FloatVector.fromArray(SP, s, sp + 3 * L);
            FloatVector av = FloatVector.broadcast(SP, q[q0 + p]);
            x00 = av.fma(b0, x00); x01 = av.fma(b1, x01); x02 = av.fma(b2, x02); x03 = av.fma(b3, x03);
            av = FloatVector.broadcast(SP, q[q1 + p]);
            x10 = av.fma(b0, x10); x11 = av.fma(b1, x11); x12 = av.fma(b2, x12); x13 = av.fma(b3, x13);
            av = FloatVector.broadcast(SP, q[q2 + p]);
            x20 = av.fma(b0, x20); x21 = av.fma(b1, x21); x22 = av.fma(b2, x22); x23 = av.fma(b3, x23);
            av = FloatVector.broadcast(SP, q[q3 + p]);
            x30 = av.fma(b0, x30); x31 = av.fma(b1, x31); x32 = av.fma(b2, x32); x33 = av.fma(b3, x33);
        }
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int p = 0; p < ka; p++, vp += ldv) {
            FloatVector b0 = FloatVector.fromArray(SP, v, vp);
            FloatVector b1 = FloatVector.fromArray(SP, v, vp + L);
            FloatVector b2 = FloatVector.fromArray(SP, v, vp + 2 * L);
            FloatVector b3 = FloatVector.fromArray(SP, v, vp + 3 * L);
            FloatVector av = FloatVector.broadcast(SP, a[a0 + p]);
            x00 = av.fma(b0, x00); x01 = av.fma(b1, x01); x02 = av.fma(b2, x02); x03 = av.fma(b3, x03);
            av = FloatVector.broadcast(SP, a[a1 + p]);
            x10 = av.fma(b0, x10); x11 = av.fma(b1, x11); x12 = av.fma(b2, x12); x13 = av.fma(b3, x13);
            av = FloatVector.broadcast(SP, a[a2 + p]);
            x20 = av.fma(b0, x20); x21 = av.fma(b1, x21); x22 = av.fma(b2, x22); x23 = av.fma(b3, x23);
            av = FloatVector.broadcast(SP, a[a3 + p]);
            x30 = av.fma(b0, x30); x31 = av.fma(b1, x31); x32 = av.fma(b2, x32); x33 = av.fma(b3, x33);
        }
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L); x03.intoArray(c, c0 + 3 * L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L); x13.intoArray(c, c1 + 3 * L);
        x20.intoArray(c, c2); x21.intoArray(c, c2 + L); x22.intoArray(c, c2 + 2 * L); x23.intoArray(c, c2 + 3 * L);
        x30.intoArray(c, c3); x31.intoArray(c, c3 + L); x32.intoArray(c, c3 + 2 * L); x33.intoArray(c, c3 + 3 * L);
    }

    @Override
    public void cumulativeRows(int rows, int n, float[] x, int xOff, int ldx, float s, float[] out, int outOff, int ldo) {
        for (int r = 0; r < rows; r++) {
            int xi = xOff + r * ldx, oi = outOff + r * ldo, pi = oi - ldo;
            int i = 0;
            for (; i + L <= n; i += L) {
                FloatVector g = FloatVector.fromArray(SP, x, xi + i).mul(s);
                (r == 0 ? g : FloatVector.fromArray(SP, out, pi + i).add(g)).intoArray(out, oi + i);
            }
            for (; i < n; i++) {
                float g = s * x[xi + i];
                out[oi + i] = r == 0 ? g : out[pi + i] + g;
            }
        }
    }

    @Override
    public void mulExp2DiffPair(int rows, int n, float[] p, int pOff, float[] m, int mOff, int ldm, float[] k, int kOff,
                                int ldk, float[] kOut, int kOutOff, int ldko, float[] q, int qOff, int ldq, float[] qOut,
                                int qOutOff, int ldqo) {
        // One exponential per element for both: the query factor is the key factor's reciprocal (a division costs
        // less than the polynomial, and the key factor is at least 2^-126, so it stays finite).
        FloatVector one = FloatVector.broadcast(SP, 1f);
        for (int r = 0; r < rows; r++) {
            int mi = mOff + r * ldm, ki = kOff + r * ldk, ko = kOutOff + r * ldko, qi = qOff + r * ldq, qo = qOutOff + r * ldqo;
            int i = 0;
            for (; i + L <= n; i += L) {
                FloatVector e = exp2NonPositive(FloatVector.fromArray(SP, p, pOff + i).sub(FloatVector.fromArray(SP, m, mi + i)));
                FloatVector.fromArray(SP, k, ki + i).mul(e).intoArray(kOut, ko + i);
                FloatVector.fromArray(SP, q, qi + i).mul(one.div(e)).intoArray(qOut, qo + i);
            }
            for (; i < n; i++) {
                float e = (float) Math.exp((p[pOff + i] - m[mi + i]) * LN2);
                kOut[ko + i] = k[ki + i] * e;
                qOut[qo + i] = q[qi + i] * (1f / e);
            }
        }
    }

    // ------------------------------------------------------------------ decode (DecodeKernel, issue 6)

    /** {@code SWAP[t]} exchanges lanes {@code i} and {@code i ^ 2^t}; {@code HIGH[t]}: lanes with bit t set. */
    private static final VectorShuffle<Float>[] SWAP;
    private static final VectorMask<Float>[] HIGH;

    static {
        int levels = Integer.numberOfTrailingZeros(L);
        @SuppressWarnings("unchecked")
        VectorShuffle<Float>[] swap = new VectorShuffle[levels];
        @SuppressWarnings("unchecked")
        VectorMask<Float>[] high = new VectorMask[levels];
        for (int t = 0; t < levels; t++) {
            int bit = 1 << t;
            swap[t] = VectorShuffle.fromOp(SP, i -> i ^ bit);
            boolean[] hi = new boolean[L];
            for (int i = 0; i < L; i++) hi[i] = (i & bit) != 0;
            high[t] = VectorMask.fromArray(SP, hi, 0);
        }
        SWAP = swap;
        HIGH = high;
    }

    /** Lane-wise partial sums of {@code a[ai ..] * b[bp ..]} over k elements ({@code k % L == 0}). */
    private static FloatVector partialDot(int k, float[] a, int ai, float[] b, int bp) {
        FloatVector x0 = FloatVector.zero(SP), x1 = x0;
        int p = 0;
        for (; p + 2 * L <= k; p += 2 * L) {
            x0 = FloatVector.fromArray(SP, a, ai + p).fma(FloatVector.fromArray(SP, b, bp + p), x0);
            x1 = FloatVector.fromArray(SP, a, ai + p + L).fma(FloatVector.fromArray(SP, b, bp + p + L), x1);
        }
        if (p < k) {
            x0 = FloatVector.fromArray(SP, a, ai + p).fma(FloatVector.fromArray(SP, b, bp + p), x0);
        }
        return x0.add(x1);
    }

    /**
     * One tree level: lanes i without bit t get {@code x[i] + x[i ^ 2^t]}, lanes with it
     * {@code y[i] + y[i ^ 2^t]} (x's and y's sums halve in width, interleaved in blocks of 2^t lanes).
     */
    private static FloatVector fold(FloatVector x, FloatVector y, int t) {
        VectorMask<Float> hi = HIGH[t];
        return x.blend(y, hi).add(y.blend(x, hi).rearrange(SWAP[t]));
    }

    @Override
    public void decodePartials(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, float[] part, int pOff, int ldp) {
        if (k % L != 0) {
            TileOps.super.decodePartials(m, k, a, aOff, lda, b, bOff, part, pOff, ldp);
            return;
        }
        for (int i = 0; i < m; i++) {
            partialDot(k, a, aOff + i * lda, b, bOff).intoArray(part, pOff + i * ldp);
        }
    }

    /**
     * L keys' partial-sum vectors folded by a lane-wise tree ({@link #fold}: log2 L levels, L - 1 folds in
     * all, in place) into one vector of their L dot products, lane j = key j. It is what lets the scores
     * walk keys token-major (every kv head of a key, then the next key) without one {@code reduceLanes}
     * per (key, head); measured against that per-key reduction it saved only a few percent of compute
     * (h = hkv = 8, d = 128, cache in L3), the gain of the decode path is the order of its reads.
     * Hand-unrolling this tree or {@link #partialDot} for L = 16 made C2 stop inlining them: 1.5x slower.
     */
    @Override
    public void decodeFold(float[] part, int pOff, float[] c, int cOff) {
        for (int t = 0, count = L / 2; count >= 1; t++, count /= 2) {
            for (int j = 0; j < count; j++) {
                FloatVector x = FloatVector.fromArray(SP, part, pOff + 2 * j * L);
                FloatVector y = FloatVector.fromArray(SP, part, pOff + (2 * j + 1) * L);
                fold(x, y, t).intoArray(part, pOff + j * L);
            }
        }
        FloatVector.fromArray(SP, part, pOff).intoArray(c, cOff);
    }

    // ------------------------------------------------------------------ neighborhood lanes

    /**
     * Interior blocks shuffle by the identity: one shuffle per key or value load costs less than a nullable
     * shuffle, which C2 does not intrinsify. The shuffles are written out in each kernel: through a helper
     * method, C2 at times compiled the helper on its own and called it without the intrinsic (3x slower).
     */
    private static final VectorShuffle<Float> IDENTITY = VectorShuffle.iota(SP, 0, 1, false);

    @Override
    public void laneScores(boolean add, int rows, int pairs, int n, int k, float[] q, int[] qOffs, int ldq, float[] kt, int kOff,
                           int kls, int ldk, int[] idx, float[] s, int[] sOffs) {
        VectorShuffle<Float> sh = idx == null ? IDENTITY : VectorShuffle.fromArray(SP, idx, 0);
        // One small method per register block (C2 stops inlining the Vector API into one large method); blocks of
        // four pairs run across line ends, so only the run's last pairs take the narrow kernels.
        int j = 0;
        if (rows == 4) {
            for (; j + 4 <= pairs; j += 4) {
                scores4x4(add, k, q, qOffs, ldq, kt, pair(kOff, kls, n, j), pair(kOff, kls, n, j + 1), pair(kOff, kls, n, j + 2),
                        pair(kOff, kls, n, j + 3), ldk, sh, s, sOffs, j * L);
            }
            for (; j < pairs; j++) scores4x1(add, k, q, qOffs, ldq, kt, pair(kOff, kls, n, j), ldk, sh, s, sOffs, j * L);
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (j = 0; j + 4 <= pairs; j += 4) {
                scores1x4(add, k, q, qOffs[r], ldq, kt, pair(kOff, kls, n, j), pair(kOff, kls, n, j + 1), pair(kOff, kls, n, j + 2),
                        pair(kOff, kls, n, j + 3), ldk, sh, s, sOffs[r] + j * L);
            }
            for (; j < pairs; j++) scores1x1(add, k, q, qOffs[r], ldq, kt, pair(kOff, kls, n, j), ldk, sh, s, sOffs[r] + j * L);
        }
    }

    /** Position of pair j (offset {@code j % n} of line {@code j / n}) of a run of key lines. */
    private static int pair(int off, int ls, int n, int j) {
        return off + (j / n) * ls + j % n;
    }

    /** Four query lines x four pairs: 16 accumulators, 4 query and 4 key loads per 16 FMAs. */
    private static void scores4x4(boolean add, int k, float[] q, int[] qOffs, int ldq, float[] kt, int k0, int k1, int k2, int k3, int ldk,
                                  VectorShuffle<Float> sh, float[] s, int[] sOffs, int sAdd) {
        int q0 = qOffs[0], q1 = qOffs[1], q2 = qOffs[2], q3 = qOffs[3];
        int s0 = sOffs[0] + sAdd, s1 = sOffs[1] + sAdd, s2 = sOffs[2] + sAdd, s3 = sOffs[3] + sAdd;
        FloatVector x00 = ld(add, s, s0), x01 = ld(add, s, s0 + L), x02 = ld(add, s, s0 + 2 * L), x03 = ld(add, s, s0 + 3 * L);
        FloatVector x10 = ld(add, s, s1), x11 = ld(add, s, s1 + L), x12 = ld(add, s, s1 + 2 * L), x13 = ld(add, s, s1 + 3 * L);
        FloatVector x20 = ld(add, s, s2), x21 = ld(add, s, s2 + L), x22 = ld(add, s, s2 + 2 * L), x23 = ld(add, s, s2 + 3 * L);
        FloatVector x30 = ld(add, s, s3), x31 = ld(add, s, s3 + L), x32 = ld(add, s, s3 + 2 * L), x33 = ld(add, s, s3 + 3 * L);
        for (int p = 0, qp = 0, kp = 0; p < k; p++, qp += ldq, kp += ldk) {
            FloatVector b0 = FloatVector.fromArray(SP, kt, k0 + kp).rearrange(sh);
            FloatVector b1 = FloatVector.fromArray(SP, kt, k1 + kp).rearrange(sh);
            FloatVector b2 = FloatVector.fromArray(SP, kt, k2 + kp).rearrange(sh);
            FloatVector b3 = FloatVector.fromArray(SP, kt, k3 + kp).rearrange(sh);
            FloatVector a = FloatVector.fromArray(SP, q, q0 + qp);
            x00 = a.fma(b0, x00); x01 = a.fma(b1, x01); x02 = a.fma(b2, x02); x03 = a.fma(b3, x03);
            a = FloatVector.fromArray(SP, q, q1 + qp);
            x10 = a.fma(b0, x10); x11 = a.fma(b1, x11); x12 = a.fma(b2, x12); x13 = a.fma(b3, x13);
            a = FloatVector.fromArray(SP, q, q2 + qp);
            x20 = a.fma(b0, x20); x21 = a.fma(b1, x21); x22 = a.fma(b2, x22); x23 = a.fma(b3, x23);
            a = FloatVector.fromArray(SP, q, q3 + qp);
            x30 = a.fma(b0, x30); x31 = a.fma(b1, x31); x32 = a.fma(b2, x32); x33 = a.fma(b3, x33);
        }
        x00.intoArray(s, s0); x01.intoArray(s, s0 + L); x02.intoArray(s, s0 + 2 * L); x03.intoArray(s, s0 + 3 * L);
        x10.intoArray(s, s1); x11.intoArray(s, s1 + L); x12.intoArray(s, s1 + 2 * L); x13.intoArray(s, s1 + 3 * L);
        x20.intoArray(s, s2); x21.intoArray(s, s2 + L); x22.intoArray(s, s2 + 2 * L); x23.intoArray(s, s2 + 3 * L);
        x30.intoArray(s, s3); x31.intoArray(s, s3 + L); x32.intoArray(s, s3 + 2 * L); x33.intoArray(s, s3 + 3 * L);
    }

    private static void scores4x1(boolean add, int k, float[] q, int[] qOffs, int ldq, float[] kt, int k0, int ldk, VectorShuffle<Float> sh,
                                  float[] s, int[] sOffs, int sAdd) {
        int q0 = qOffs[0], q1 = qOffs[1], q2 = qOffs[2], q3 = qOffs[3];
        FloatVector x0 = ld(add, s, sOffs[0] + sAdd), x1 = ld(add, s, sOffs[1] + sAdd);
        FloatVector x2 = ld(add, s, sOffs[2] + sAdd), x3 = ld(add, s, sOffs[3] + sAdd);
        for (int p = 0, qp = 0, kp = k0; p < k; p++, qp += ldq, kp += ldk) {
            FloatVector b = FloatVector.fromArray(SP, kt, kp).rearrange(sh);
            x0 = FloatVector.fromArray(SP, q, q0 + qp).fma(b, x0);
            x1 = FloatVector.fromArray(SP, q, q1 + qp).fma(b, x1);
            x2 = FloatVector.fromArray(SP, q, q2 + qp).fma(b, x2);
            x3 = FloatVector.fromArray(SP, q, q3 + qp).fma(b, x3);
        }
        x0.intoArray(s, sOffs[0] + sAdd); x1.intoArray(s, sOffs[1] + sAdd);
        x2.intoArray(s, sOffs[2] + sAdd); x3.intoArray(s, sOffs[3] + sAdd);
    }

    private static void scores1x4(boolean add, int k, float[] q, int q0, int ldq, float[] kt, int k0, int k1, int k2, int k3, int ldk,
                                  VectorShuffle<Float> sh, float[] s, int o) {
        FloatVector x0 = ld(add, s, o), x1 = ld(add, s, o + L), x2 = ld(add, s, o + 2 * L), x3 = ld(add, s, o + 3 * L);
        for (int p = 0, qp = q0, kp = 0; p < k; p++, qp += ldq, kp += ldk) {
            FloatVector a = FloatVector.fromArray(SP, q, qp);
            x0 = a.fma(FloatVector.fromArray(SP, kt, k0 + kp).rearrange(sh), x0);
            x1 = a.fma(FloatVector.fromArray(SP, kt, k1 + kp).rearrange(sh), x1);
            x2 = a.fma(FloatVector.fromArray(SP, kt, k2 + kp).rearrange(sh), x2);
            x3 = a.fma(FloatVector.fromArray(SP, kt, k3 + kp).rearrange(sh), x3);
        }
        x0.intoArray(s, o); x1.intoArray(s, o + L); x2.intoArray(s, o + 2 * L); x3.intoArray(s, o + 3 * L);
    }

    private static void scores1x1(boolean add, int k, float[] q, int q0, int ldq, float[] kt, int k0, int ldk, VectorShuffle<Float> sh,
                                  float[] s, int o) {
        FloatVector x0 = ld(add, s, o);
        for (int p = 0, qp = q0, kp = k0; p < k; p++, qp += ldq, kp += ldk) {
            x0 = FloatVector.fromArray(SP, q, qp).fma(FloatVector.fromArray(SP, kt, kp).rearrange(sh), x0);
        }
        x0.intoArray(s, o);
    }

    @Override
    public void laneSoftmax(int cnt, float[] s, int sOff, float[] ml, int mlOff) {
        FloatVector m = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < cnt; j++) m = m.max(FloatVector.fromArray(SP, s, sOff + j * L));
        // An all -inf lane shifts by 0: its weights come out exactly 0.
        FloatVector shift = m.blend(0f, m.eq(Float.NEGATIVE_INFINITY));
        FloatVector sum = FloatVector.zero(SP);
        for (int j = 0; j < cnt; j++) {
            FloatVector e = exp2NonPositive(FloatVector.fromArray(SP, s, sOff + j * L).sub(shift));
            e.intoArray(s, sOff + j * L);
            sum = sum.add(e);
        }
        m.intoArray(ml, mlOff);
        sum.intoArray(ml, mlOff + L);
    }

    @Override
    public void laneAccumulate(int rows, int pairs, int n, int m, float[] p, int[] pOffs, float[] vt, int vOff, int vls, int ldv,
                               int[] idx, float[] o, int[] oOffs, int ldo) {
        VectorShuffle<Float> sh = idx == null ? IDENTITY : VectorShuffle.fromArray(SP, idx, 0);
        // The accumulators stay in registers over the whole run of key lines.
        if (rows == 4) {
            int e = 0;
            for (; e + 4 <= m; e += 4) accumulate4x4(pairs, n, p, pOffs, vt, vOff + e * ldv, vls, ldv, sh, o, oOffs, e * ldo, ldo);
            for (; e < m; e++) accumulate4x1(pairs, n, p, pOffs, vt, vOff + e * ldv, vls, sh, o, oOffs, e * ldo);
            return;
        }
        for (int r = 0; r < rows; r++) {
            int e = 0;
            for (; e + 4 <= m; e += 4) {
                accumulate1x4(pairs, n, p, pOffs[r], vt, vOff + e * ldv, vls, ldv, sh, o, oOffs[r] + e * ldo, ldo);
            }
            for (; e < m; e++) accumulate1x1(pairs, n, p, pOffs[r], vt, vOff + e * ldv, vls, sh, o, oOffs[r] + e * ldo);
        }
    }

    /** Four query lines x four value features: 16 accumulators, 4 weight and 4 value loads per 16 FMAs. */
    private static void accumulate4x4(int pairs, int n, float[] p, int[] pOffs, float[] vt, int vOff, int vls, int ldv,
                                      VectorShuffle<Float> sh, float[] o, int[] oOffs, int oAdd, int ldo) {
        int p0 = pOffs[0], p1 = pOffs[1], p2 = pOffs[2], p3 = pOffs[3];
        int o0 = oOffs[0] + oAdd, o1 = oOffs[1] + oAdd, o2 = oOffs[2] + oAdd, o3 = oOffs[3] + oAdd;
        FloatVector x00 = FloatVector.fromArray(SP, o, o0), x01 = FloatVector.fromArray(SP, o, o0 + ldo);
        FloatVector x02 = FloatVector.fromArray(SP, o, o0 + 2 * ldo), x03 = FloatVector.fromArray(SP, o, o0 + 3 * ldo);
        FloatVector x10 = FloatVector.fromArray(SP, o, o1), x11 = FloatVector.fromArray(SP, o, o1 + ldo);
        FloatVector x12 = FloatVector.fromArray(SP, o, o1 + 2 * ldo), x13 = FloatVector.fromArray(SP, o, o1 + 3 * ldo);
        FloatVector x20 = FloatVector.fromArray(SP, o, o2), x21 = FloatVector.fromArray(SP, o, o2 + ldo);
        FloatVector x22 = FloatVector.fromArray(SP, o, o2 + 2 * ldo), x23 = FloatVector.fromArray(SP, o, o2 + 3 * ldo);
        FloatVector x30 = FloatVector.fromArray(SP, o, o3), x31 = FloatVector.fromArray(SP, o, o3 + ldo);
        FloatVector x32 = FloatVector.fromArray(SP, o, o3 + 2 * ldo), x33 = FloatVector.fromArray(SP, o, o3 + 3 * ldo);
        for (int j = 0, c = 0, line = vOff; j < pairs; j++) {
            int vp = line + c;
            FloatVector v0 = FloatVector.fromArray(SP, vt, vp).rearrange(sh);
            FloatVector v1 = FloatVector.fromArray(SP, vt, vp + ldv).rearrange(sh);
            FloatVector v2 = FloatVector.fromArray(SP, vt, vp + 2 * ldv).rearrange(sh);
            FloatVector v3 = FloatVector.fromArray(SP, vt, vp + 3 * ldv).rearrange(sh);
            FloatVector a = FloatVector.fromArray(SP, p, p0 + j * L);
            x00 = a.fma(v0, x00); x01 = a.fma(v1, x01); x02 = a.fma(v2, x02); x03 = a.fma(v3, x03);
            a = FloatVector.fromArray(SP, p, p1 + j * L);
            x10 = a.fma(v0, x10); x11 = a.fma(v1, x11); x12 = a.fma(v2, x12); x13 = a.fma(v3, x13);
            a = FloatVector.fromArray(SP, p, p2 + j * L);
            x20 = a.fma(v0, x20); x21 = a.fma(v1, x21); x22 = a.fma(v2, x22); x23 = a.fma(v3, x23);
            a = FloatVector.fromArray(SP, p, p3 + j * L);
            x30 = a.fma(v0, x30); x31 = a.fma(v1, x31); x32 = a.fma(v2, x32); x33 = a.fma(v3, x33);
            if (++c == n) {
                c = 0;
                line += vls;
            }
        }
        x00.intoArray(o, o0); x01.intoArray(o, o0 + ldo); x02.intoArray(o, o0 + 2 * ldo); x03.intoArray(o, o0 + 3 * ldo);
        x10.intoArray(o, o1); x11.intoArray(o, o1 + ldo); x12.intoArray(o, o1 + 2 * ldo); x13.intoArray(o, o1 + 3 * ldo);
        x20.intoArray(o, o2); x21.intoArray(o, o2 + ldo); x22.intoArray(o, o2 + 2 * ldo); x23.intoArray(o, o2 + 3 * ldo);
        x30.intoArray(o, o3); x31.intoArray(o, o3 + ldo); x32.intoArray(o, o3 + 2 * ldo); x33.intoArray(o, o3 + 3 * ldo);
    }

    private static void accumulate4x1(int pairs, int n, float[] p, int[] pOffs, float[] vt, int vOff, int vls,
                                      VectorShuffle<Float> sh, float[] o, int[] oOffs, int oAdd) {
        int p0 = pOffs[0], p1 = pOffs[1], p2 = pOffs[2], p3 = pOffs[3];
        int o0 = oOffs[0] + oAdd, o1 = oOffs[1] + oAdd, o2 = oOffs[2] + oAdd, o3 = oOffs[3] + oAdd;
        FloatVector x0 = FloatVector.fromArray(SP, o, o0), x1 = FloatVector.fromArray(SP, o, o1);
        FloatVector x2 = FloatVector.fromArray(SP, o, o2), x3 = FloatVector.fromArray(SP, o, o3);
        for (int j = 0, c = 0, line = vOff; j < pairs; j++) {
            FloatVector v0 = FloatVector.fromArray(SP, vt, line + c).rearrange(sh);
            x0 = FloatVector.fromArray(SP, p, p0 + j * L).fma(v0, x0);
            x1 = FloatVector.fromArray(SP, p, p1 + j * L).fma(v0, x1);
            x2 = FloatVector.fromArray(SP, p, p2 + j * L).fma(v0, x2);
            x3 = FloatVector.fromArray(SP, p, p3 + j * L).fma(v0, x3);
            if (++c == n) {
                c = 0;
                line += vls;
            }
        }
        x0.intoArray(o, o0); x1.intoArray(o, o1); x2.intoArray(o, o2); x3.intoArray(o, o3);
    }

    private static void accumulate1x4(int pairs, int n, float[] p, int p0, float[] vt, int vOff, int vls, int ldv,
                                      VectorShuffle<Float> sh, float[] o, int o0, int ldo) {
        FloatVector x0 = FloatVector.fromArray(SP, o, o0), x1 = FloatVector.fromArray(SP, o, o0 + ldo);
        FloatVector x2 = FloatVector.fromArray(SP, o, o0 + 2 * ldo), x3 = FloatVector.fromArray(SP, o, o0 + 3 * ldo);
        for (int j = 0, c = 0, line = vOff; j < pairs; j++) {
            int vp = line + c;
            FloatVector a = FloatVector.fromArray(SP, p, p0 + j * L);
            x0 = a.fma(FloatVector.fromArray(SP, vt, vp).rearrange(sh), x0);
            x1 = a.fma(FloatVector.fromArray(SP, vt, vp + ldv).rearrange(sh), x1);
            x2 = a.fma(FloatVector.fromArray(SP, vt, vp + 2 * ldv).rearrange(sh), x2);
            x3 = a.fma(FloatVector.fromArray(SP, vt, vp + 3 * ldv).rearrange(sh), x3);
            if (++c == n) {
                c = 0;
                line += vls;
            }
        }
        x0.intoArray(o, o0); x1.intoArray(o, o0 + ldo); x2.intoArray(o, o0 + 2 * ldo); x3.intoArray(o, o0 + 3 * ldo);
    }

    private static void accumulate1x1(int pairs, int n, float[] p, int p0, float[] vt, int vOff, int vls, VectorShuffle<Float> sh,
                                      float[] o, int o0) {
        FloatVector x0 = FloatVector.fromArray(SP, o, o0);
        for (int j = 0, c = 0, line = vOff; j < pairs; j++) {
            x0 = FloatVector.fromArray(SP, p, p0 + j * L).fma(FloatVector.fromArray(SP, vt, line + c).rearrange(sh), x0);
            if (++c == n) {
                c = 0;
                line += vls;
            }
        }
        x0.intoArray(o, o0);
    }
}
