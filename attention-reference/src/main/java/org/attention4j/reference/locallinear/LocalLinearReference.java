package org.attention4j.reference.locallinear;

import java.util.Arrays;
import org.attention4j.LocalLinearAttention;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;

/**
 * Local linear attention (spec 7.1-7.3, 7.5): for each query, the closed form of 7.1 with a direct fp64
 * Cholesky solve of {@code A_i = Σ_i + λ_i ω_i I} (the anchor's naive path; no CG).
 *
 * <p>Key set of query {@code i} in batch row {@code b}: the valid keys {@code keyStart(b) <= j < keyEnd(b)}
 * (all of {@code k} without key ranges). Causal rows keep those with {@code j - keyStart(b) <= i + Sk_b - Sq},
 * {@code Sk_b = keyEnd(b) - keyStart(b)}: bottom-right alignment, identical to the anchor's {@code row >= col}
 * when {@code Sq == Sk}, and the forward's last rows when a KV cache decodes. A row with no keys outputs 0.
 * Keys are centred at the query ({@code u_j = k_j - q_i}) before the moments are summed, which is the same
 * algebra as the anchor's {@code Σ̃ - μ̃qᵀ - qμ̃ᵀ + ωqqᵀ} without its cancellation.
 */
public final class LocalLinearReference {
    private LocalLinearReference() {
    }

    public static AttentionResult forward(AttentionCall call) {
        LocalLinearAttention op = (LocalLinearAttention) call.op();
        int batch = call.batch(), sq = call.q().dim(1), sk = call.k().dim(1);
        int heads = call.heads(), kvHeads = call.kvHeads(), group = heads / kvHeads;
        int d = call.headDim(), dv = call.valueDim();
        float[] q = call.q().toFloatArray(), k = call.k().toFloatArray(), v = call.v().toFloatArray();
        float[] lambda = call.lambda() == null ? null : call.lambda().toFloatArray();
        boolean[] rows = call.queryRows();
        Row row = new Row(d, dv, op.blockSize() == 0 ? d : op.blockSize(), op.scale(d), op.deltaEps());

        float[] out = new float[batch * sq * heads * dv];
        for (int b = 0; b < batch; b++) {
            int first = call.keyStart(b), end = call.keyEnd(b);
            for (int i = 0; i < sq; i++) {
                if (rows != null && !rows[i]) {
                    continue;
                }
                int last = op.causal() ? end - sq + i : end - 1;
                if (last < first) {
                    continue;
                }
                for (int h = 0; h < heads; h++) {
                    double ridge = lambda == null ? op.ridgeLambda() : lambda[(b * sq + i) * heads + h];
                    int qAt = ((b * sq + i) * heads + h) * d;
                    int kvHead = h / group;
                    if (!row.solve(q, qAt, k, v, (b * sk + first) * kvHeads + kvHead, kvHeads, last - first + 1, ridge,
                            out, ((b * sq + i) * heads + h) * dv)) {
                        throw new ArithmeticException("local-linear attention: A_i = Σ_i + λ ω_i I is not positive definite in fp64"
                                + " at batch " + b + ", query " + i + ", head " + h + " (λ = " + ridge
                                + "); the ridge is too small for these keys' scale");
                    }
                }
            }
        }
        return AttentionResult.of(Tensor.fromFloats(call.dtype(), out, batch, sq, heads, dv));
    }

    /** One query row's statistics and solve, with scratch reused across rows. */
    private static final class Row {
        private final int d, dv, block;
        private final double tau, eps;
        private final double[] mu, rho, o;
        private final double[][] a;
        private double[] weight = new double[0];
        private double[] keys = new double[0];

        Row(int d, int dv, int block, double tau, double eps) {
            this.d = d;
            this.dv = dv;
            this.block = block;
            this.tau = tau;
            this.eps = eps;
            this.mu = new double[d];
            this.rho = new double[d];
            this.o = new double[dv];
            this.a = new double[d][d];
        }

        /**
         * Writes {@code o_i} for the query at {@code q[qAt..]} over {@code n} consecutive keys, the first at
         * row {@code keyRow} of the flattened {@code [B·Sk·Hkv]} key rows, the next {@code stride} rows on.
         *
         * @return false if a Cholesky pivot was finite and not positive
         */
        boolean solve(float[] q, int qAt, float[] k, float[] v, int keyRow, int stride, int n, double lambda,
                      float[] out, int outAt) {
            if (weight.length < n) {
                weight = new double[n];
                keys = new double[n * d];
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                int kAt = (keyRow + j * stride) * d;
                double s = 0;
                for (int c = 0; c < d; c++) {
                    keys[j * d + c] = k[kAt + c] - (double) q[qAt + c];
                    s += (double) q[qAt + c] * k[kAt + c];
                }
                weight[j] = tau * s;
                max = Math.max(max, weight[j]);
            }
            double omega = 0;
            for (int j = 0; j < n; j++) {
                weight[j] = Math.exp(weight[j] - max);
                omega += weight[j];
            }
            Arrays.fill(mu, 0);
            for (double[] r : a) {
                Arrays.fill(r, 0);
            }
            for (int j = 0; j < n; j++) {
                double w = weight[j];
                for (int x = 0; x < d; x++) {
                    double wu = w * keys[j * d + x];
                    mu[x] += wu;
                    // Only the diagonal blocks of Σ are kept (the full matrix when block == d).
                    int blockStart = x - x % block;
                    for (int y = blockStart; y <= x; y++) {
                        a[x][y] += wu * keys[j * d + y];
                    }
                }
            }
            for (int x = 0; x < d; x++) {
                a[x][x] += lambda * omega;
            }
            for (int start = 0; start < d; start += block) {
                if (!Cholesky.solveLower(a, start, block, mu, rho)) {
                    return false;
                }
            }
            double delta = omega;
            for (int x = 0; x < d; x++) {
                delta -= mu[x] * rho[x];
            }
            // The naive anchor's floor: sgn(0) = 0 leaves an exact zero alone.
            delta += eps * Math.signum(delta);
            Arrays.fill(o, 0);
            for (int j = 0; j < n; j++) {
                double fit = 1;
                for (int x = 0; x < d; x++) {
                    fit -= rho[x] * keys[j * d + x];
                }
                double sij = weight[j] * fit / delta;
                int vAt = (keyRow + j * stride) * dv;
                for (int e = 0; e < dv; e++) {
                    o[e] += sij * v[vAt + e];
                }
            }
            for (int e = 0; e < dv; e++) {
                out[outAt + e] = (float) o[e];
            }
            return true;
        }
    }
}
