package org.attention4j.cpu.vectorization;

/** Plain Java loops, used when the Vector API is absent or disabled. */
final class ScalarTileOps implements TileOps {
    private static final double LN2 = Math.log(2);

    /** {@code 2^x}: the scalar path's softmax and gate exponentials. */
    private static double exp2(double x) {
        return Math.exp(x * LN2);
    }

    @Override
    public String description() {
        return "scalar fp32 loops";
    }

    @Override
    public int lanes() {
        return 1;
    }

    @Override
    public void matmulAdd(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc) {
        // i-p-j order keeps the innermost loop unit-stride on B and C (C2 auto-vectorizes it where it can).
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            int ai = aOff + i * lda;
            for (int p = 0; p < k; p++) {
                float av = a[ai + p];
                if (av == 0f) {
                    continue;
                }
                int bp = bOff + p * ldb;
                for (int j = 0; j < n; j++) {
                    c[ci + j] += av * b[bp + j];
                }
            }
        }
    }

    @Override
    public void matmul(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
        }
        matmulAdd(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }

    @Override
    public void matmulTransposedB(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                c[cOff + i * ldc + j] = dot(a, aOff + i * lda, b, bOff + j * ldb, k);
            }
        }
    }

    @Override
    public float max(float[] x, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    @Override
    public float exp2Shifted(float[] x, int off, int n, float shift) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) exp2(x[off + i] - shift);
            x[off + i] = e;
            sum += e;
        }
        return sum;
    }

    @Override
    public void scale(float[] x, int off, int n, float s) {
        for (int i = 0; i < n; i++) {
            x[off + i] *= s;
        }
    }

    @Override
    public void softcap(float[] x, int off, int n, float cap) {
        for (int i = 0; i < n; i++) {
            x[off + i] = (float) (cap * Math.tanh(x[off + i] / cap));
        }
    }

    @Override
    public void addRamp(float[] x, int off, int n, float base, float step) {
        for (int i = 0; i < n; i++) {
            x[off + i] += base + step * i;
        }
    }

    @Override
    public void subAbsDistance(float[] x, int off, int n, float center, float slope) {
        for (int i = 0; i < n; i++) {
            x[off + i] -= slope * Math.abs(i - center);
        }
    }

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    @Override
    public float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) {
            s += x[xOff + i] * y[yOff + i];
        }
        return s;
    }

    @Override
    public void mulExp2Diff(float[] x, int xOff, float[] p, int pOff, float[] m, int mOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = (float) (x[xOff + i] * exp2(p[pOff + i] - m[mOff + i]));
        }
    }

    @Override
    public float gatedDot(float[] x, int xOff, float[] y, int yOff, float[] p, int pOff, float[] m, int mOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) {
            s += x[xOff + i] * y[yOff + i] * (float) exp2(p[pOff + i] - m[mOff + i]);
        }
        return s;
    }

    // ------------------------------------------------------------------ linear-family chunk kernels (issue 6)

    @Override
    public void scaleRowsExp2Diff(int rows, int n, float[] x, int xOff, int ldx, float[] p, int pOff, int ps, float[] m,
                                  int mOff, int ms, float[] out, int outOff, int ldo) {
        for (int r = 0; r < rows; r++) {
            float f = (float) exp2(p[pOff + r * ps] - m[mOff + r * ms]);
            for (int i = 0; i < n; i++) {
                out[outOff + r * ldo + i] = x[xOff + r * ldx + i] * f;
            }
        }
    }

    @Override
    public void mulExp2DiffRows(int rows, int n, float[] x, int xOff, int ldx, float[] p, int pOff, int ldp, float[] m,
                                int mOff, int ldm, float[] out, int outOff, int ldo) {
        for (int r = 0; r < rows; r++) {
            mulExp2Diff(x, xOff + r * ldx, p, pOff + r * ldp, m, mOff + r * ldm, out, outOff + r * ldo, n);
        }
    }

    @Override
    public void transpose(int rows, int cols, float[] src, int sOff, int lds, float[] dst, int dOff, int ldd) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                dst[dOff + j * ldd + i] = src[sOff + i * lds + j];
            }
        }
    }

    @Override
    public void causalScores(int m, int k, float[] q, int qOff, int ldq, float[] kt, int ktOff, int ldkt, float[] g,
                             int gOff, float[] a, int aOff, int lda) {
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * lda;
            java.util.Arrays.fill(a, ai, ai + m, 0f);
            for (int p = 0; p < k; p++) {
                float qv = q[qOff + i * ldq + p];
                int kp = ktOff + p * ldkt;
                for (int j = 0; j <= i; j++) {
                    a[ai + j] += qv * kt[kp + j];
                }
            }
            if (g != null) {
                for (int j = 0; j <= i; j++) {
                    a[ai + j] *= (float) exp2(g[gOff + i] - g[gOff + j]);
                }
            }
        }
    }

    @Override
    public void causalOutput(int m, int n, int k, float[] qg, int qOff, int ldq, float[] s, int sOff, int lds, float[] a,
                             int aOff, int lda, float[] v, int vOff, int ldv, float[] o, int oOff, int ldo) {
        matmul(m, n, k, qg, qOff, ldq, s, sOff, lds, o, oOff, ldo);
        for (int i = 0; i < m; i++) {
            matmulAdd(1, n, i + 1, a, aOff + i * lda, lda, v, vOff, ldv, o, oOff + i * ldo, ldo);
        }
    }
}
