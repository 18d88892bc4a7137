package org.attention4j.reference.locallinear;

import org.attention4j.Tensor;

/**
 * LLA written independently of the library, per query row, in fp64 with Gaussian elimination (the
 * reference uses Cholesky on centred moments): the ridge regression whose intercept LLA is (spec 7.1), the
 * naive anchor's closed form with uncentred moments and block-diagonal option, and softmax attention.
 */
final class LocalLinearForms {
    private LocalLinearForms() {
    }

    /** A per-row oracle: output {@code [Dv]} of query {@code q} over {@code keys [n][D]}, {@code values [n][Dv]}. */
    @FunctionalInterface
    interface RowForm {
        double[] apply(double[] q, double[][] keys, double[][] values, double lambda);
    }

    /**
     * The intercept {@code b} of {@code argmin ½ Σ_j p_j ‖v_j - b - W (k_j - q)‖² + ½ λ ‖W‖²} with softmax weights
     * {@code p_j} of {@code τ⟨q, k_j⟩}, solved from the normal equations in {@code θ = [b; Wᵀ]}.
     */
    static RowForm regression(double tau) {
        return (q, keys, values, lambda) -> {
            int n = keys.length, d = q.length, dv = values[0].length;
            double[] p = softmaxWeights(q, keys, tau);
            double[][] m = new double[d + 1][d + 1];
            double[][] rhs = new double[d + 1][dv];
            for (int j = 0; j < n; j++) {
                double[] x = new double[d + 1];
                x[0] = 1;
                for (int c = 0; c < d; c++) x[c + 1] = keys[j][c] - q[c];
                for (int r = 0; r <= d; r++) {
                    for (int c = 0; c <= d; c++) m[r][c] += p[j] * x[r] * x[c];
                    for (int e = 0; e < dv; e++) rhs[r][e] += p[j] * x[r] * values[j][e];
                }
            }
            for (int c = 1; c <= d; c++) m[c][c] += lambda;
            return solve(m, rhs)[0];
        };
    }

    /**
     * The anchor's closed form ({@code flashlla/ops/naive.py}): {@code μ̃ = Σ w k}, {@code Σ = Σ̃ - μ̃qᵀ - qμ̃ᵀ + ω qqᵀ}
     * kept in diagonal blocks of {@code block}, {@code ρ = (Σ + λωI)⁻¹ μ} per block,
     * {@code δ = ω - ⟨μ, ρ⟩ + ε sgn}, {@code S_j = w_j (1 - ⟨ρ, k_j⟩ + ⟨ρ, q⟩) / δ}.
     */
    static RowForm anchorClosedForm(double tau, int block, double eps) {
        return (q, keys, values, lambda) -> {
            int n = keys.length, d = q.length, dv = values[0].length;
            double[] w = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (double[] k : keys) max = Math.max(max, tau * dot(q, k));
            double omega = 0;
            for (int j = 0; j < n; j++) {
                w[j] = Math.exp(tau * dot(q, keys[j]) - max);
                omega += w[j];
            }
            double[] muTilde = new double[d];
            double[][] sigmaTilde = new double[d][d];
            for (int j = 0; j < n; j++) {
                for (int r = 0; r < d; r++) {
                    muTilde[r] += w[j] * keys[j][r];
                    for (int c = 0; c < d; c++) sigmaTilde[r][c] += w[j] * keys[j][r] * keys[j][c];
                }
            }
            double[] mu = new double[d];
            for (int r = 0; r < d; r++) mu[r] = muTilde[r] - omega * q[r];
            double[] rho = new double[d];
            for (int b0 = 0; b0 < d; b0 += block) {
                double[][] a = new double[block][block];
                double[][] rhs = new double[block][1];
                for (int r = 0; r < block; r++) {
                    for (int c = 0; c < block; c++) {
                        int gr = b0 + r, gc = b0 + c;
                        a[r][c] = sigmaTilde[gr][gc] - muTilde[gr] * q[gc] - q[gr] * muTilde[gc] + omega * q[gr] * q[gc];
                    }
                    a[r][r] += lambda * omega;
                    rhs[r][0] = mu[b0 + r];
                }
                double[][] x = solve(a, rhs);
                for (int r = 0; r < block; r++) rho[b0 + r] = x[r][0];
            }
            double delta = omega - dot(mu, rho);
            delta += eps * Math.signum(delta);
            double[] o = new double[dv];
            for (int j = 0; j < n; j++) {
                double s = w[j] * (1 - dot(rho, keys[j]) + dot(rho, q)) / delta;
                for (int e = 0; e < dv; e++) o[e] += s * values[j][e];
            }
            return o;
        };
    }

    /** Softmax attention {@code Σ_j p_j v_j}. */
    static RowForm softmax(double tau) {
        return (q, keys, values, lambda) -> {
            double[] p = softmaxWeights(q, keys, tau);
            double[] o = new double[values[0].length];
            for (int j = 0; j < keys.length; j++) {
                for (int e = 0; e < o.length; e++) o[e] += p[j] * values[j][e];
            }
            return o;
        };
    }

    /**
     * Applies {@code form} to every query row of {@code q [B, Sq, H, D]} over keys {@code k [B, Sk, Hkv, D]}:
     * all keys, or causally those with {@code j <= i + Sk - Sq}. {@code lambda} is read as {@code [B, Sq, H]}.
     */
    static double[] run(Tensor qt, Tensor kt, Tensor vt, boolean causal, Lambda lambda, RowForm form) {
        int batch = qt.dim(0), sq = qt.dim(1), heads = qt.dim(2), d = qt.dim(3);
        int sk = kt.dim(1), kvHeads = kt.dim(2), dv = vt.dim(3);
        float[] q = qt.toFloatArray(), k = kt.toFloatArray(), v = vt.toFloatArray();
        double[] out = new double[batch * sq * heads * dv];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < sq; i++) {
                for (int h = 0; h < heads; h++) {
                    int n = causal ? i + sk - sq + 1 : sk;
                    int kvh = h / (heads / kvHeads);
                    double[] qi = new double[d];
                    for (int c = 0; c < d; c++) qi[c] = q[((b * sq + i) * heads + h) * d + c];
                    double[][] keys = new double[n][d], values = new double[n][dv];
                    for (int j = 0; j < n; j++) {
                        for (int c = 0; c < d; c++) keys[j][c] = k[((b * sk + j) * kvHeads + kvh) * d + c];
                        for (int e = 0; e < dv; e++) values[j][e] = v[((b * sk + j) * kvHeads + kvh) * dv + e];
                    }
                    double[] o = form.apply(qi, keys, values, lambda.at(b, i, h));
                    System.arraycopy(o, 0, out, ((b * sq + i) * heads + h) * dv, dv);
                }
            }
        }
        return out;
    }

    /** The ridge of query {@code i} of batch row {@code b}, head {@code h}. */
    @FunctionalInterface
    interface Lambda {
        double at(int b, int i, int h);

        static Lambda of(double lambda) {
            return (b, i, h) -> lambda;
        }
    }

    private static double[] softmaxWeights(double[] q, double[][] keys, double tau) {
        double max = Double.NEGATIVE_INFINITY;
        for (double[] k : keys) max = Math.max(max, tau * dot(q, k));
        double[] p = new double[keys.length];
        double sum = 0;
        for (int j = 0; j < keys.length; j++) {
            p[j] = Math.exp(tau * dot(q, keys[j]) - max);
            sum += p[j];
        }
        for (int j = 0; j < p.length; j++) p[j] /= sum;
        return p;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Gaussian elimination with partial pivoting; {@code a} and {@code rhs} are consumed. */
    private static double[][] solve(double[][] a, double[][] rhs) {
        int n = a.length;
        for (int c = 0; c < n; c++) {
            int pivot = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
            }
            double[] t = a[c]; a[c] = a[pivot]; a[pivot] = t;
            t = rhs[c]; rhs[c] = rhs[pivot]; rhs[pivot] = t;
            for (int r = c + 1; r < n; r++) {
                double f = a[r][c] / a[c][c];
                for (int x = c; x < n; x++) a[r][x] -= f * a[c][x];
                for (int e = 0; e < rhs[r].length; e++) rhs[r][e] -= f * rhs[c][e];
            }
        }
        double[][] x = new double[n][rhs[0].length];
        for (int r = n - 1; r >= 0; r--) {
            for (int e = 0; e < rhs[r].length; e++) {
                double s = rhs[r][e];
                for (int c = r + 1; c < n; c++) s -= a[r][c] * x[c][e];
                x[r][e] = s / a[r][r];
            }
        }
        return x;
    }
}
