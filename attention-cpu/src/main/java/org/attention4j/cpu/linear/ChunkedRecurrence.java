package org.attention4j.cpu.linear;

import java.util.Arrays;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuThreads;
import org.attention4j.cpu.TensorReader;
import org.attention4j.cpu.TensorWriter;
import org.attention4j.cpu.vectorization.TileOps;
import org.attention4j.spi.AttentionResult;

/**
 * The one chunkwise core of the linear family (spec 3.5, 4.5): {@code S_t = Γ_t ⊙ S_{t-1} + k_t v_t^T},
 * {@code o_t = S_t^T (τ q_t)} evaluated chunk by chunk with matrix products. Linear attention, decayed
 * linear attention, scalar-gate GLA and GLA are thin configurations of it ({@link Gate}).
 *
 * <p>Per (sequence, head) work item and chunk of {@link #CHUNK} tokens: the inter-chunk part reads the
 * fp32 state, the intra-chunk part forms the causal score block {@code A}, and the state is decayed and
 * updated. Gates stay in log2 space, cumulated in fp32 inside each chunk, and only enter through
 * exponents of differences that are {@code <= 0} (so strong gates cannot overflow): vector gates use
 * GLA's secondary chunking with sub-chunks of {@link #SUB} tokens, a reference row per sub-chunk for the
 * off-diagonal blocks and exact per-element gate factors on the diagonal blocks. Gates must be {@code <= 0}
 * (callers check). Normalized linear attention keeps the running key sum {@code z} token by token, decayed
 * like the state.
 */
public final class ChunkedRecurrence {
    /** Tokens per chunk. */
    public static final int CHUNK = 64;
    /** Tokens per GLA sub-chunk. */
    static final int SUB = 16;
    /** Largest in-sub-chunk gate span (log2 units) for which GLA's diagonal blocks use the factored form. */
    static final float MAX_FACTORED_SPAN = 64f;
    private static final float LOG2E = (float) (1 / Math.log(2));

    /** How the state decays each step. */
    public enum Gate {
        /** Plain linear attention. */
        NONE,
        /** One log decay per token and head ({@code g [B, T, H]} or a per-head constant). */
        SCALAR,
        /** One log decay per token, head and key dimension ({@code g [B, T, H, Dk]}). */
        VECTOR
    }

    /** One call, described in the core's terms. */
    public static final class Spec {
        Tensor q, k, v, gate, h0, z0;
        Gate kind = Gate.NONE;
        float[] headDecay;
        boolean normalize, reverse;
        int[] cuSeqlens;
        double scale;

        public Spec(Tensor q, Tensor k, Tensor v, double scale) {
            this.q = q;
            this.k = k;
            this.v = v;
            this.scale = scale;
        }

        /** Gates {@code [B, T, H]} (scalar) or {@code [B, T, H, Dk]} (vector), natural log. */
        public Spec gate(Tensor g) {
            this.gate = g;
            this.kind = g.rank() == 4 ? Gate.VECTOR : Gate.SCALAR;
            return this;
        }

        /** A constant log decay per head. */
        public Spec headDecay(float[] decay) {
            this.headDecay = decay;
            this.kind = Gate.SCALAR;
            return this;
        }

        public Spec normalize(boolean normalize, Tensor z0) {
            this.normalize = normalize;
            this.z0 = z0;
            return this;
        }

        public Spec initialState(Tensor h0) {
            this.h0 = h0;
            return this;
        }

        public Spec order(boolean reverse, int[] cuSeqlens) {
            this.reverse = reverse;
            this.cuSeqlens = cuSeqlens;
            return this;
        }
    }

    private ChunkedRecurrence() {
    }

    /** Whether the fp32 head-major copies of the inputs fit Java arrays; null if they do, else why not. */
    public static String tooLarge(org.attention4j.spi.AttentionCall call) {
        long elements = (long) call.batch() * call.heads() * call.q().dim(1) * Math.max(call.headDim(), call.valueDim());
        return elements > Integer.MAX_VALUE - 8 ? "fp32 copies of the inputs would exceed one Java array (" + elements + " elements)" : null;
    }

    public static AttentionResult forward(Spec spec, TileOps ops, CpuThreads threads) {
        int batch = spec.q.dim(0), t = spec.q.dim(1), heads = spec.q.dim(2), dk = spec.q.dim(3), dv = spec.v.dim(3);
        int dvp = (dv + ops.lanes() - 1) / ops.lanes() * ops.lanes();
        int seqs = spec.cuSeqlens == null ? batch : spec.cuSeqlens.length - 1;
        TensorWriter out = new TensorWriter(spec.q.dtype(), batch, t, heads, dv);
        float[] finalState = new float[seqs * heads * dk * dv];
        float[] finalKeySum = spec.normalize ? new float[seqs * heads * dk] : null;
        Inputs in = new Inputs(spec, threads);
        threads.forEach(seqs * heads, () -> new Work(dk, dvp), (item, w) -> {
            int n = item / heads, h = item % heads;
            int b = spec.cuSeqlens == null ? n : 0;
            int start = spec.cuSeqlens == null ? 0 : spec.cuSeqlens[n];
            int end = spec.cuSeqlens == null ? t : spec.cuSeqlens[n + 1];
            runSequence(spec, in, ops, w, n, b, h, start, end, dk, dv, dvp, out, finalState, finalKeySum);
        });
        Tensor fs = Tensor.of(finalState, seqs, heads, dk, dv);
        Tensor fz = finalKeySum == null ? null : Tensor.of(finalKeySum, seqs, heads, dk);
        return new AttentionResult(out.tensor(), null, fs, fz);
    }

    /**
     * The inputs as fp32 head-major copies {@code [B][H][T][W]}: a work item (sequence, head) then streams
     * contiguous rows instead of one row per token strided by {@code H * W} (which measured about 30% of the
     * GLA forward at H = 4). Made once per call, in parallel, reading each token's heads in storage order.
     */
    private static final class Inputs {
        final float[] q, k, v, g;
        final TensorReader h0, z0;
        final int heads, tokens;

        Inputs(Spec s, CpuThreads threads) {
            heads = s.q.dim(2);
            tokens = s.q.dim(1);
            q = headMajor(s.q, threads);
            k = headMajor(s.k, threads);
            v = headMajor(s.v, threads);
            g = s.gate == null ? null : headMajor(s.gate, threads);
            h0 = s.h0 == null ? null : new TensorReader(s.h0);
            z0 = s.z0 == null ? null : new TensorReader(s.z0);
        }

        /** Offset of row (b, h, pos) in a head-major copy of rows {@code width} wide. */
        int row(int b, int h, int pos, int width) {
            return ((b * heads + h) * tokens + pos) * width;
        }

        /** {@code [B, T, H(, W)]} to fp32 {@code [B][H][T][W]} (W = 1 for rank 3). */
        static float[] headMajor(Tensor x, CpuThreads threads) {
            TensorReader r = new TensorReader(x);
            int batch = x.dim(0), t = x.dim(1), heads = x.dim(2), width = x.rank() == 4 ? x.dim(3) : 1;
            long wStride = x.rank() == 4 ? r.stride(3) : 1;
            float[] out = new float[Math.multiplyExact(Math.multiplyExact(batch * heads, t), width)];
            int blocks = (t + CHUNK - 1) / CHUNK;
            threads.forEach(batch * blocks, () -> null, (item, unused) -> {
                int b = item / blocks, t0 = (item % blocks) * CHUNK;
                for (int pos = t0; pos < Math.min(t, t0 + CHUNK); pos++) {
                    for (int h = 0; h < heads; h++) {
                        long at = r.offset() + b * r.stride(0) + pos * r.stride(1) + h * r.stride(2);
                        r.read(at, wStride, width, out, ((b * heads + h) * t + pos) * width, 1, 1f);
                    }
                }
            });
            return out;
        }
    }

    /** Per-worker buffers for one chunk. */
    private static final class Work {
        final float[] q, k, v, o, kt, a, bs, bv, gn, zeros, state, z, tmp, qn, krow;

        Work(int dk, int dvp) {
            q = new float[CHUNK * dk];
            k = new float[CHUNK * dk];
            v = new float[CHUNK * dvp];
            o = new float[CHUNK * dvp];
            kt = new float[dk * CHUNK];
            a = new float[CHUNK * CHUNK];
            bs = new float[CHUNK];
            bv = new float[CHUNK * dk];
            gn = new float[Math.max(dk, CHUNK)];
            zeros = new float[Math.max(dk, CHUNK)];
            state = new float[dk * dvp];
            z = new float[dk];
            tmp = new float[CHUNK * dk];
            qn = new float[SUB * dk];
            krow = new float[dk];
        }
    }

    private static void runSequence(Spec spec, Inputs in, TileOps ops, Work w, int n, int b, int h, int start, int end,
                                    int dk, int dv, int dvp, TensorWriter out, float[] finalState, float[] finalKeySum) {
        float[] st = w.state;
        Arrays.fill(st, 0f);
        if (in.h0 != null) {
            TensorReader r = in.h0;
            for (int d = 0; d < dk; d++) {
                r.read(r.offset() + n * r.stride(0) + h * r.stride(1) + d * r.stride(2), r.stride(3), dv, st, d * dvp, 1, 1f);
            }
        }
        if (spec.normalize) {
            Arrays.fill(w.z, 0f);
            if (in.z0 != null) {
                TensorReader r = in.z0;
                r.read(r.offset() + n * r.stride(0) + h * r.stride(1), r.stride(2), dk, w.z, 0, 1, 1f);
            }
        }
        int len = end - start;
        float tau = (float) spec.scale;
        for (int c0 = 0; c0 < len; c0 += CHUNK) {
            int cn = Math.min(CHUNK, len - c0);
            load(spec, in, ops, w, b, h, start, end, c0, cn, dk, dv, dvp, tau);
            chunk(spec.kind, ops, w, cn, dk, dvp);
            if (spec.normalize) {
                // z decays with the state: z_t = exp(γ_h) z_{t-1} + k_t (one scalar per head; normalize is linear-only).
                float keep = spec.headDecay == null ? 1f : (float) Math.exp(spec.headDecay[h]);
                for (int a = 0; a < cn; a++) {
                    if (keep != 1f) ops.scale(w.z, 0, dk, keep);
                    ops.axpy(1f, w.k, a * dk, w.z, 0, dk);
                    float den = ops.dot(w.q, a * dk, w.z, 0, dk) + 1e-10f;
                    ops.scale(w.o, a * dvp, dv, 1f / den);
                }
            }
            int heads = spec.q.dim(2);
            int tokens = spec.q.dim(1);
            for (int a = 0; a < cn; a++) {
                int pos = position(spec.reverse, start, end, c0 + a);
                out.write(((b * tokens + pos) * heads + h) * dv, w.o, a * dvp, dv, 1f);
            }
        }
        int heads = spec.q.dim(2);
        for (int d = 0; d < dk; d++) {
            System.arraycopy(st, d * dvp, finalState, ((n * heads + h) * dk + d) * dv, dv);
        }
        if (finalKeySum != null) {
            System.arraycopy(w.z, 0, finalKeySum, (n * heads + h) * dk, dk);
        }
    }

    /** Storage position of step {@code t} of a sequence spanning {@code [start, end)}. */
    private static int position(boolean reverse, int start, int end, int t) {
        return reverse ? end - 1 - t : start + t;
    }

    /** Loads chunk rows: τ q, k, zero-padded v, and the in-chunk cumulative log2 gates. */
    private static void load(Spec spec, Inputs in, TileOps ops, Work w, int b, int h, int start, int end, int c0, int cn,
                             int dk, int dv, int dvp, float tau) {
        float cum = 0f;
        for (int a = 0; a < cn; a++) {
            int pos = position(spec.reverse, start, end, c0 + a);
            System.arraycopy(in.q, in.row(b, h, pos, dk), w.q, a * dk, dk);
            System.arraycopy(in.k, in.row(b, h, pos, dk), w.k, a * dk, dk);
            System.arraycopy(in.v, in.row(b, h, pos, dv), w.v, a * dvp, dv);
            switch (spec.kind) {
                case SCALAR: {
                    float g = spec.headDecay != null ? spec.headDecay[h] : in.g[in.row(b, h, pos, 1)];
                    cum += g * LOG2E;
                    w.bs[a] = cum;
                    break;
                }
                case VECTOR: {
                    System.arraycopy(in.g, in.row(b, h, pos, dk), w.bv, a * dk, dk);
                    ops.scale(w.bv, a * dk, dk, LOG2E);
                    if (a > 0) {
                        ops.axpy(1f, w.bv, (a - 1) * dk, w.bv, a * dk, dk);
                    }
                    break;
                }
                default:
                    break;
            }
        }
        // Scaling after the copy keeps the reads plain copies and the multiply on vectors.
        ops.scale(w.q, 0, cn * dk, tau);
    }

    /** One chunk: output rows into {@code w.o} and the state update, spec 3.5 / 4.5. */
    private static void chunk(Gate kind, TileOps ops, Work w, int cn, int dk, int dvp) {
        float[] st = w.state;
        Arrays.fill(w.o, 0, cn * dvp, 0f);
        // Inter-chunk: O = (τQ ⊙ 2^b) S.
        float[] qg = w.q;
        if (kind == Gate.SCALAR) {
            System.arraycopy(w.q, 0, w.tmp, 0, cn * dk);
            for (int a = 0; a < cn; a++) ops.scale(w.tmp, a * dk, dk, (float) Math.exp(w.bs[a] / LOG2E));
            qg = w.tmp;
        } else if (kind == Gate.VECTOR) {
            for (int a = 0; a < cn; a++) ops.mulExp2Diff(w.q, a * dk, w.bv, a * dk, w.zeros, 0, w.tmp, a * dk, dk);
            qg = w.tmp;
        }
        ops.matmulAdd(cn, dvp, dk, qg, 0, dk, st, 0, dvp, w.o, 0, dvp);

        // Intra-chunk scores A (causal, lower triangle).
        Arrays.fill(w.a, 0, cn * CHUNK, 0f);
        if (kind == Gate.VECTOR) {
            glaScores(ops, w, cn, dk);
        } else {
            transpose(w.k, cn, dk, w.kt);
            ops.matmulAdd(cn, cn, dk, w.q, 0, dk, w.kt, 0, CHUNK, w.a, 0, CHUNK);
            for (int a = 0; a < cn; a++) {
                if (kind == Gate.SCALAR) {
                    Arrays.fill(w.gn, 0, a + 1, w.bs[a]);
                    ops.mulExp2Diff(w.a, a * CHUNK, w.gn, 0, w.bs, 0, w.a, a * CHUNK, a + 1);
                }
                Arrays.fill(w.a, a * CHUNK + a + 1, a * CHUNK + cn, 0f);
            }
        }
        ops.matmulAdd(cn, dvp, cn, w.a, 0, CHUNK, w.v, 0, dvp, w.o, 0, dvp);

        // State: S = 2^{b_last} ⊙ S + (K ⊙ 2^{b_last - b})^T V (plain linear reuses the transposed K of the scores).
        int last = cn - 1;
        if (kind == Gate.SCALAR) {
            float bl = w.bs[last];
            ops.scale(st, 0, dk * dvp, (float) Math.exp(bl / LOG2E));
            System.arraycopy(w.k, 0, w.tmp, 0, cn * dk);
            for (int a = 0; a < cn; a++) ops.scale(w.tmp, a * dk, dk, (float) Math.exp((bl - w.bs[a]) / LOG2E));
            transpose(w.tmp, cn, dk, w.kt);
        } else if (kind == Gate.VECTOR) {
            for (int d = 0; d < dk; d++) {
                ops.scale(st, d * dvp, dvp, (float) Math.exp(w.bv[last * dk + d] / LOG2E));
            }
            for (int a = 0; a < cn; a++) ops.mulExp2Diff(w.k, a * dk, w.bv, last * dk, w.bv, a * dk, w.tmp, a * dk, dk);
            transpose(w.tmp, cn, dk, w.kt);
        }
        ops.matmulAdd(dk, dvp, cn, w.kt, 0, CHUNK, w.v, 0, dvp, st, 0, dvp);
    }

    /**
     * GLA scores with secondary chunking. For query sub-chunk i with reference {@code g_n} (its first row):
     * {@code A = (Q ⊙ 2^{b_q - g_n}) (K ⊙ 2^{g_n - b_k})^T}. Against earlier sub-chunks both exponents are
     * {@code <= 0}. Inside the sub-chunk the key factor {@code 2^{g_n - b_k}} is {@code >= 1}; it is used only
     * while the sub-chunk's gate span stays below {@link #MAX_FACTORED_SPAN} (no overflow, and the query
     * factor no smaller than {@code 2^-64}), else those scores are the exact {@code Σ_d q k 2^{b_q - b_k}}.
     * Layer-normalized gates always take the factored path; raw log-sigmoid gates often need the exact one.
     */
    private static void glaScores(TileOps ops, Work w, int cn, int dk) {
        for (int r0 = 0; r0 < cn; r0 += SUB) {
            int r1 = Math.min(r0 + SUB, cn);
            float span = 0f;
            for (int d = 0; d < dk; d++) span = Math.max(span, w.bv[r0 * dk + d] - w.bv[(r1 - 1) * dk + d]);
            boolean factored = span <= MAX_FACTORED_SPAN;
            int keys = factored ? r1 : r0;
            if (keys > 0) {
                System.arraycopy(w.bv, r0 * dk, w.gn, 0, dk);
                for (int a = r0; a < r1; a++) ops.mulExp2Diff(w.q, a * dk, w.bv, a * dk, w.gn, 0, w.qn, (a - r0) * dk, dk);
                for (int s = 0; s < keys; s++) {
                    ops.mulExp2Diff(w.k, s * dk, w.gn, 0, w.bv, s * dk, w.krow, 0, dk);
                    for (int d = 0; d < dk; d++) w.kt[d * CHUNK + s] = w.krow[d];
                }
                ops.matmul(r1 - r0, keys, dk, w.qn, 0, dk, w.kt, 0, CHUNK, w.a, r0 * CHUNK, CHUNK);
            }
            for (int a = r0; a < r1; a++) {
                if (factored) {
                    java.util.Arrays.fill(w.a, a * CHUNK + a + 1, a * CHUNK + r1, 0f);
                    continue;
                }
                for (int s = r0; s <= a; s++) {
                    w.a[a * CHUNK + s] = ops.gatedDot(w.q, a * dk, w.k, s * dk, w.bv, a * dk, w.bv, s * dk, dk);
                }
            }
        }
    }

    /** {@code dst[d * CHUNK + a] = src[a * dk + d]}. */
    private static void transpose(float[] src, int rows, int dk, float[] dst) {
        for (int a = 0; a < rows; a++) {
            for (int d = 0; d < dk; d++) {
                dst[d * CHUNK + a] = src[a * dk + d];
            }
        }
    }
}
