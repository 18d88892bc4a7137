package org.attention4j.cpu.locallinear;

import static org.attention4j.cpu.softmax.OnlineSoftmax.KEY_TILE;

import java.util.Arrays;
import org.attention4j.LocalLinearAttention;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuThreads;
import org.attention4j.cpu.TensorReader;
import org.attention4j.cpu.TensorWriter;
import org.attention4j.cpu.softmax.KeyTiles;
import org.attention4j.cpu.vectorization.TileOps;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * Local linear attention (spec 7) with streamed statistics and a direct solve instead of FlashLLA's
 * matrix-free CG. Per query row, over its visible key tiles:
 * <ol>
 *   <li>scores {@code s_j = τ q·k_j} (log2 units) and their max {@code m};</li>
 *   <li>weights {@code w_j = 2^(s_j - m)} and the statistics {@code ω = Σ w}, {@code μ = Σ w u},
 *       {@code Σ = Σ w u u^T} over centred keys {@code u_j = k_j - q} (accumulated centred, so no
 *       {@code Σ̃ - μ̃q^T - ...} cancellation), the D x D one as a tile matrix product;</li>
 *   <li>{@code ρ = (Σ + λωI)^{-1} μ} by a fp64 Cholesky factorization (per diagonal block with the
 *       block-diagonal option), {@code δ = ω - ⟨μ, ρ⟩ + ε sgn(δ)};</li>
 *   <li>{@code o = Σ_j w_j (1 - ⟨ρ, u_j⟩) / δ · v_j}.</li>
 * </ol>
 * Rows are independent, so work items are (batch, head, block of rows); results do not depend on threads.
 */
public final class LocalLinearKernel {
    /** Query rows per work item. */
    private static final int ROWS = 8;
    private static final double LN2 = Math.log(2);

    private LocalLinearKernel() {
    }

    public static Support supports(AttentionCall call, TileOps ops) {
        if (!(call.op() instanceof LocalLinearAttention)) {
            return Support.no("not a LocalLinearAttention operator");
        }
        if (call.q().rank() != 4) {
            return Support.no("local-linear attention takes [B, S, H, D] inputs");
        }
        int dvp = (call.valueDim() + ops.lanes() - 1) / ops.lanes() * ops.lanes();
        long packed = KeyTiles.packedElements(call.batch(), call.kvHeads(), call.k().dim(1), call.headDim(), dvp);
        if (packed > Integer.MAX_VALUE - 8) {
            return Support.no("packed K/V would exceed one Java array (" + packed + " elements)");
        }
        return Support.yes();
    }

    public static AttentionResult forward(AttentionCall call, TileOps ops, CpuThreads threads) {
        LocalLinearAttention op = (LocalLinearAttention) call.op();
        Tensor q = call.q();
        int batch = q.dim(0), sq = q.dim(1), heads = q.dim(2), d = q.dim(3), dv = call.valueDim();
        int group = heads / call.kvHeads();
        int dvp = (dv + ops.lanes() - 1) / ops.lanes() * ops.lanes();
        int[] ks = new int[batch], ke = new int[batch];
        for (int b = 0; b < batch; b++) {
            ks[b] = call.keyStart(b);
            ke[b] = call.keyEnd(b);
        }
        KeyTiles keys = KeyTiles.pack(call.k(), call.v(), ks, ke, dvp, threads);
        TensorReader qr = new TensorReader(q);
        TensorReader lr = call.lambda() == null ? null : new TensorReader(call.lambda());
        TensorWriter out = new TensorWriter(q.dtype(), batch, sq, heads, dv);
        double tau = op.scale(d);
        int blocks = (sq + ROWS - 1) / ROWS;
        int maxKeys = 0;
        for (int b = 0; b < batch; b++) maxKeys = Math.max(maxKeys, keys.keys(b));
        int scoreLen = Math.max(KEY_TILE, (maxKeys + KEY_TILE - 1) / KEY_TILE * KEY_TILE);
        threads.forEach(batch * heads * blocks, () -> new Work(d, dvp, scoreLen), (item, w) -> {
            int b = item / (heads * blocks), h = (item / blocks) % heads, blk = item % blocks;
            int sk = keys.keys(b);
            for (int i = blk * ROWS; i < Math.min(sq, (blk + 1) * ROWS); i++) {
                qr.read(qr.offset() + b * qr.stride(0) + i * qr.stride(1) + h * qr.stride(2), qr.stride(3), d, w.q, 0, 1, 1f);
                double lambda = lr == null ? op.ridgeLambda()
                        : lr.get(lr.offset() + b * lr.stride(0) + i * lr.stride(1) + h * lr.stride(2));
                int end = op.causal() ? (int) Math.max(0, Math.min(sk, (long) i + sk - sq + 1)) : sk;
                row(ops, keys, w, b, h / group, end, d, dvp, tau, lambda, op.deltaEps(), op.blockSize());
                out.write(((b * sq + i) * heads + h) * dv, w.o, 0, dv, 1f);
            }
        });
        return AttentionResult.of(out.tensor());
    }

    /** Per-worker buffers for one query row. */
    private static final class Work {
        final float[] q, qs, s, u, uwT, sigma, mu, w1, rho, coef, o, kq;
        final double[] a, rhoD, muD;

        Work(int d, int dvp, int scoreLen) {
            q = new float[d];
            qs = new float[d];
            s = new float[scoreLen];
            u = new float[KEY_TILE * d];
            uwT = new float[d * KEY_TILE];
            sigma = new float[d * d];
            mu = new float[d];
            w1 = new float[KEY_TILE];
            rho = new float[d];
            coef = new float[KEY_TILE];
            o = new float[dvp];
            kq = new float[KEY_TILE];
            a = new double[d * d];
            rhoD = new double[d];
            muD = new double[d];
        }
    }

    /** One query row {@code w.q} over keys {@code [0, end)} of (b, kv head g); the output lands in {@code w.o}. */
    private static void row(TileOps ops, KeyTiles keys, Work w, int b, int g, int end, int d, int dvp, double tau,
                            double lambda, double eps, int blockSize) {
        Arrays.fill(w.o, 0f);
        if (end <= 0) {
            return;
        }
        int tiles = (end + KEY_TILE - 1) / KEY_TILE;
        // 1. Scores in log2 units and their max.
        float qScale = (float) (tau / LN2);
        for (int e = 0; e < d; e++) w.qs[e] = w.q[e] * qScale;
        Arrays.fill(w.s, 0, tiles * KEY_TILE, 0f);
        for (int t = 0; t < tiles; t++) {
            ops.matmulAdd(1, KEY_TILE, d, w.qs, 0, d, keys.kt, keys.ktOffset(b, g, t), KEY_TILE, w.s, t * KEY_TILE, KEY_TILE);
        }
        float m = ops.max(w.s, 0, end);
        // 2. Weights and centred statistics.
        float omega = ops.exp2Shifted(w.s, 0, end, m);
        Arrays.fill(w.sigma, 0f);
        Arrays.fill(w.mu, 0f);
        for (int t = 0; t < tiles; t++) {
            int n = Math.min(KEY_TILE, end - t * KEY_TILE);
            int kt = keys.ktOffset(b, g, t);
            for (int e = 0; e < d; e++) {
                float qe = w.q[e];
                int src = kt + e * KEY_TILE;
                int dst = e * KEY_TILE;
                for (int c = 0; c < n; c++) {
                    float ue = keys.kt[src + c] - qe;
                    w.u[c * d + e] = ue;
                    w.uwT[dst + c] = ue * w.s[t * KEY_TILE + c];
                }
            }
            ops.matmulAdd(d, d, n, w.uwT, 0, KEY_TILE, w.u, 0, d, w.sigma, 0, d);
            ops.matmulAdd(1, d, n, w.s, t * KEY_TILE, KEY_TILE, w.u, 0, d, w.mu, 0, d);
        }
        // 3. ρ = (Σ + λωI)^{-1} μ in fp64, optionally per diagonal block.
        int blk = blockSize > 0 ? blockSize : d;
        double ridge = lambda * omega;
        for (int i = 0; i < d; i++) {
            w.muD[i] = w.mu[i];
            for (int j = 0; j < d; j++) {
                boolean sameBlock = i / blk == j / blk;
                w.a[i * d + j] = sameBlock ? w.sigma[i * d + j] : 0;
            }
            w.a[i * d + i] += ridge;
        }
        for (int b0 = 0; b0 < d; b0 += blk) {
            Cholesky.solve(w.a, d, b0, blk, w.muD, w.rhoD);
        }
        double delta = omega;
        for (int i = 0; i < d; i++) delta -= w.muD[i] * w.rhoD[i];
        delta += eps * Math.signum(delta);
        for (int i = 0; i < d; i++) w.rho[i] = (float) w.rhoD[i];
        float rhoQ = ops.dot(w.rho, 0, w.q, 0, d);
        // 4. o = Σ_j w_j (1 - ⟨ρ, k_j⟩ + ⟨ρ, q⟩) / δ · v_j.
        float invDelta = (float) (1 / delta);
        for (int t = 0; t < tiles; t++) {
            int n = Math.min(KEY_TILE, end - t * KEY_TILE);
            Arrays.fill(w.kq, 0f);
            ops.matmulAdd(1, KEY_TILE, d, w.rho, 0, d, keys.kt, keys.ktOffset(b, g, t), KEY_TILE, w.kq, 0, KEY_TILE);
            for (int c = 0; c < n; c++) {
                w.coef[c] = w.s[t * KEY_TILE + c] * (1f - w.kq[c] + rhoQ) * invDelta;
            }
            ops.matmulAdd(1, dvp, n, w.coef, 0, KEY_TILE, keys.v, keys.vOffset(b, g, t), dvp, w.o, 0, dvp);
        }
    }
}
