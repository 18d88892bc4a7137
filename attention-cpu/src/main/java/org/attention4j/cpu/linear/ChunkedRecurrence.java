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

    /** Column panel width of the state (a multiple of every species' lane count). */
    private static final int PANEL = 64;
    /** Most floats of one token's row that a group stages per input (a group's four chunk tiles stay in L2). */
    private static final int GROUP_WIDTH = 512;

    public static AttentionResult forward(Spec spec, TileOps ops, CpuThreads threads) {
        int batch = spec.q.dim(0), t = spec.q.dim(1), heads = spec.q.dim(2), dk = spec.q.dim(3), dv = spec.v.dim(3);
        int dvp = (dv + ops.lanes() - 1) / ops.lanes() * ops.lanes();
        int seqs = spec.cuSeqlens == null ? batch : spec.cuSeqlens.length - 1;
        TensorWriter out = new TensorWriter(spec.q.dtype(), batch, t, heads, dv);
        float[] finalState = new float[seqs * heads * dk * dv];
        float[] finalKeySum = spec.normalize ? new float[seqs * heads * dk] : null;
        Inputs in = new Inputs(spec);
        // Work items are groups of adjacent heads of one sequence, run chunk by chunk together: as few groups per
        // sequence as still feed every thread, so each token's rows of a group are one wide contiguous read. Each
        // head's arithmetic is the same in any group, so results do not depend on the thread count.
        int perSeq = Math.min(heads, (threads.threads() + seqs - 1) / seqs);
        int group = Math.max(1, Math.min((heads + perSeq - 1) / perSeq, GROUP_WIDTH / Math.max(dk, dv)));
        int groups = (heads + group - 1) / group;
        boolean gates = spec.kind == Gate.VECTOR;
        threads.forEach(seqs * groups, () -> Work.of(dk, dv, dvp, group, gates), (item, w) -> {
            int n = item / groups, h0 = item % groups * group, hn = Math.min(group, heads - h0);
            int b = spec.cuSeqlens == null ? n : 0;
            int start = spec.cuSeqlens == null ? 0 : spec.cuSeqlens[n];
            int end = spec.cuSeqlens == null ? t : spec.cuSeqlens[n + 1];
            runGroup(spec, in, ops, w, n, b, h0, hn, start, end, dk, dv, dvp, out, finalState, finalKeySum);
        });
        Tensor fs = Tensor.of(finalState, seqs, heads, dk, dv);
        Tensor fz = finalKeySum == null ? null : Tensor.of(finalKeySum, seqs, heads, dk);
        return new AttentionResult(out.tensor(), null, fs, fz);
    }

    /**
     * The inputs, read chunk by chunk straight from the caller's tensors into per-worker buffers. (Full head-major
     * copies of q, k and v cost about a third of a D = 128 forward in memory traffic.)
     */
    private static final class Inputs {
        final TensorReader q, k, v, g, h0, z0;

        Inputs(Spec s) {
            q = new TensorReader(s.q);
            k = new TensorReader(s.k);
            v = new TensorReader(s.v);
            g = s.gate == null ? null : new TensorReader(s.gate);
            h0 = s.h0 == null ? null : new TensorReader(s.h0);
            z0 = s.z0 == null ? null : new TensorReader(s.z0);
        }

        /** Storage position of token (b, pos) of head h in a {@code [B, T, H(, W)]} tensor. */
        static long at(TensorReader r, int b, int pos, int h) {
            return r.offset() + b * r.stride(0) + pos * r.stride(1) + h * r.stride(2);
        }
    }

    /** Per-worker buffers: a head group's staged chunk rows and states, and one head's chunk tiles. */
    private static final class Work {
        final float[] q, k, v, o, kt, kwt, a, bs, bv, gn, zeros, tmp, qn, krow, qg, vw;
        final float[] ones = new float[CHUNK];
        /** The group's chunk rows, token-major: {@code [CHUNK][group * W]} (sq, sk, sg: W = dk; sv, so: W = dv). */
        final float[] sq, sk, sv, so, sg;
        /**
         * Per head of the group: the fp32 state, {@code [dk][dvp]} stored as column panels of {@link #PANEL} (each
         * {@code [dk][width]}, at {@code column * dk}), and the key sum. Whole-width rows of a D = 128 state are 512
         * bytes apart, and the readout's register panels then walked them through few L1 sets: 170-190 GFLOP/s for
         * {@code Q S} against 265 from panels.
         */
        final float[][] states, zs;
        /** The head being run: its entries of {@link #states} and {@link #zs}. */
        float[] state, z;

        private static final ThreadLocal<Work> LAST = new ThreadLocal<>();
        private final int dk, dv, dvp, group;
        private final boolean gates;

        /**
         * This thread's buffers of its last call when they have the same shape, else new ones: a D = 64, S = 1k call
         * spent about 3% of its time allocating (zeroing) them. Every buffer is written before it is read (v's padding
         * columns stay 0), so what a previous call left does not matter.
         */
        static Work of(int dk, int dv, int dvp, int group, boolean gates) {
            Work w = LAST.get();
            if (w == null || w.dk != dk || w.dv != dv || w.dvp != dvp || w.group != group || w.gates != gates) {
                w = new Work(dk, dv, dvp, group, gates);
                LAST.set(w);
            }
            return w;
        }

        private Work(int dk, int dv, int dvp, int group, boolean gates) {
            this.dk = dk;
            this.dv = dv;
            this.dvp = dvp;
            this.group = group;
            this.gates = gates;
            q = new float[CHUNK * dk];
            k = new float[CHUNK * dk];
            v = new float[CHUNK * dvp];
            o = new float[CHUNK * dvp];
            kt = new float[dk * CHUNK];
            kwt = new float[dk * CHUNK];
            qg = new float[CHUNK * dk];
            vw = new float[CHUNK * dvp];
            a = new float[CHUNK * CHUNK];
            bs = new float[CHUNK];
            bv = new float[CHUNK * dk];
            gn = new float[Math.max(dk, CHUNK)];
            zeros = new float[Math.max(dk, CHUNK)];
            Arrays.fill(ones, 1f);
            tmp = new float[CHUNK * dk];
            qn = new float[CHUNK * dk];
            krow = new float[dk];
            sq = new float[CHUNK * group * dk];
            sk = new float[CHUNK * group * dk];
            sg = new float[gates ? CHUNK * group * dk : 0];
            sv = new float[CHUNK * group * dv];
            so = new float[CHUNK * group * dv];
            states = new float[group][dk * dvp];
            zs = new float[group][dk];
        }
    }

    /** Heads {@code [h0, h0 + hn)} of sequence n over tokens {@code [start, end)}, chunk by chunk. */
    private static void runGroup(Spec spec, Inputs in, TileOps ops, Work w, int n, int b, int h0, int hn, int start, int end,
                                 int dk, int dv, int dvp, TensorWriter out, float[] finalState, float[] finalKeySum) {
        for (int j = 0; j < hn; j++) {
            int h = h0 + j;
            float[] st = w.states[j];
            Arrays.fill(st, 0f);
            if (in.h0 != null) {
                TensorReader r = in.h0;
                for (int c = 0; c < dv; c += PANEL) {
                    int wd = Math.min(PANEL, dvp - c);
                    for (int d = 0; d < dk; d++) {
                        long pos = r.offset() + n * r.stride(0) + h * r.stride(1) + d * r.stride(2) + c * r.stride(3);
                        r.read(pos, r.stride(3), Math.min(wd, dv - c), st, c * dk + d * wd, 1, 1f);
                    }
                }
            }
            Arrays.fill(w.zs[j], 0f);
            if (spec.normalize && in.z0 != null) {
                TensorReader r = in.z0;
                r.read(r.offset() + n * r.stride(0) + h * r.stride(1), r.stride(2), dk, w.zs[j], 0, 1, 1f);
            }
        }
        int heads = spec.q.dim(2), tokens = spec.q.dim(1);
        int len = end - start;
        for (int c0 = 0; c0 < len; c0 += CHUNK) {
            int cn = Math.min(CHUNK, len - c0);
            stage(spec, in, w, b, h0, hn, start, end, c0, cn, dk, dv);
            for (int j = 0; j < hn; j++) {
                w.state = w.states[j];
                w.z = w.zs[j];
                unpack(spec, in, ops, w, b, h0, hn, j, start, end, c0, cn, dk, dv, dvp);
                chunk(spec.kind, ops, w, cn, dk, dvp);
                if (spec.normalize) {
                    normalize(spec.kind, ops, w, cn, dk, dv, dvp, j * dk, hn * dk);
                }
                for (int a = 0; a < cn; a++) {
                    System.arraycopy(w.o, a * dvp, w.so, (a * hn + j) * dv, dv);
                }
            }
            // The output is a new contiguous [B, T, H, Dv]: the group's heads of a token are adjacent.
            for (int a = 0; a < cn; a++) {
                int pos = position(spec.reverse, start, end, c0 + a);
                out.write(((b * tokens + pos) * heads + h0) * dv, w.so, a * hn * dv, hn * dv, 1f);
            }
        }
        for (int j = 0; j < hn; j++) {
            int h = h0 + j;
            for (int c = 0; c < dv; c += PANEL) {
                int wd = Math.min(PANEL, dvp - c);
                for (int d = 0; d < dk; d++) {
                    System.arraycopy(w.states[j], c * dk + d * wd, finalState, ((n * heads + h) * dk + d) * dv + c, Math.min(wd, dv - c));
                }
            }
            if (finalKeySum != null) {
                System.arraycopy(w.zs[j], 0, finalKeySum, (n * heads + h) * dk, dk);
            }
        }
    }

    /**
     * Normalized linear attention (spec 3.2), z decaying like the state: {@code z_a = 2^{b_a} z + Σ_{j <= a}
     * 2^{b_a - b_j} k_j}, so {@code <τ q_a, z_a>} is the row sum of the chunk's scores plus {@code <Qg_a, z>}; then
     * {@code z = 2^{b_last} z + Σ_j 2^{b_last - b_j} k_j}, from the head's staged key rows ({@code w.sk} at
     * {@code kOff + j * ldk}). Runs after {@link #chunk}, which leaves A and Qg (scalar gates).
     */
    private static void normalize(Gate kind, TileOps ops, Work w, int cn, int dk, int dv, int dvp, int kOff, int ldk) {
        float[] qg = kind == Gate.SCALAR ? w.qg : w.q;
        for (int a = 0; a < cn; a++) {
            float den = ops.dot(w.a, a * CHUNK, w.ones, 0, a + 1) + ops.dot(qg, a * dk, w.z, 0, dk) + 1e-10f;
            ops.scale(w.o, a * dvp, dv, 1f / den);
        }
        float[] wk = w.ones;
        if (kind == Gate.SCALAR) {
            float bl = w.bs[cn - 1];
            ops.scale(w.z, 0, dk, (float) Math.exp(bl / LOG2E));
            for (int a = 0; a < cn; a++) w.gn[a] = (float) Math.exp((bl - w.bs[a]) / LOG2E);
            wk = w.gn;
        }
        // z += wk^T K over the staged key rows: one vector pass, where a dot per key dimension reduced across lanes.
        ops.matmulAdd(1, dk, cn, wk, 0, cn, w.sk, kOff, ldk, w.z, 0, dk);
    }

    /** Storage position of step {@code t} of a sequence spanning {@code [start, end)}. */
    private static int position(boolean reverse, int start, int end, int t) {
        return reverse ? end - 1 - t : start + t;
    }

    /**
     * Stages the group's rows of the chunk, token-major ({@code [CHUNK][hn * W]}), for q, k, v and vector gates. At
     * long sequences the rows come from memory {@code H * W} floats apart; where the group's heads are adjacent (the
     * usual {@code [B, T, H, W]} layout) each token is one plain copy of {@code hn * W} floats. Per-head rows of 256
     * bytes cost about a fixed latency each (6 ms of a D = 64, S = 8k forward for q, k and v on one core); a few times
     * wider rows cost about the same each, so a group of 4 heads reads about 4x faster.
     */
    private static void stage(Spec spec, Inputs in, Work w, int b, int h0, int hn, int start, int end, int c0, int cn,
                              int dk, int dv) {
        boolean rev = spec.reverse;
        stageRows(in.q, w.sq, b, h0, hn, dk, rev, start, end, c0, cn);
        stageRows(in.k, w.sk, b, h0, hn, dk, rev, start, end, c0, cn);
        stageRows(in.v, w.sv, b, h0, hn, dv, rev, start, end, c0, cn);
        if (spec.kind == Gate.VECTOR) {
            stageRows(in.g, w.sg, b, h0, hn, dk, rev, start, end, c0, cn);
        }
    }

    private static void stageRows(TensorReader r, float[] dst, int b, int h0, int hn, int width, boolean rev, int start,
                                  int end, int c0, int cn) {
        boolean adjacent = r.stride(3) == 1 && r.stride(2) == width;
        for (int a = 0; a < cn; a++) {
            int pos = position(rev, start, end, c0 + a);
            if (adjacent) {
                r.read(Inputs.at(r, b, pos, h0), 1, hn * width, dst, a * hn * width, 1, 1f);
            } else {
                for (int j = 0; j < hn; j++) {
                    r.read(Inputs.at(r, b, pos, h0 + j), r.stride(3), width, dst, (a * hn + j) * width, 1, 1f);
                }
            }
        }
    }

    /**
     * Head j's chunk tiles from the staged rows (in cache): τ q, v (zero-padded to dvp), k (as K^T when the gates are
     * scalar, else rows), and the in-chunk cumulative log2 gates.
     */
    private static void unpack(Spec spec, Inputs in, TileOps ops, Work w, int b, int h0, int hn, int j, int start, int end,
                               int c0, int cn, int dk, int dv, int dvp) {
        int ldk = hn * dk, ldv = hn * dv;
        for (int a = 0; a < cn; a++) {
            System.arraycopy(w.sq, a * ldk + j * dk, w.q, a * dk, dk);
            System.arraycopy(w.sv, a * ldv + j * dv, w.v, a * dvp, dv);
        }
        ops.scale(w.q, 0, cn * dk, (float) spec.scale);
        switch (spec.kind) {
            case SCALAR: {
                ops.transpose(cn, dk, w.sk, j * dk, ldk, w.kt, 0, CHUNK);
                float cum = 0f;
                int h = h0 + j;
                for (int a = 0; a < cn; a++) {
                    float g = spec.headDecay != null ? spec.headDecay[h]
                            : in.g.get(Inputs.at(in.g, b, position(spec.reverse, start, end, c0 + a), h));
                    cum += g * LOG2E;
                    w.bs[a] = cum;
                }
                break;
            }
            case VECTOR: {
                for (int a = 0; a < cn; a++) {
                    System.arraycopy(w.sk, a * ldk + j * dk, w.k, a * dk, dk);
                }
                // Cumulated log2 gates in one pass from the staged rows (was a copy, a scale and a row-by-row sum).
                ops.cumulativeRows(cn, dk, w.sg, j * dk, ldk, LOG2E, w.bv, 0, dk);
                break;
            }
            default:
                ops.transpose(cn, dk, w.sk, j * dk, ldk, w.kt, 0, CHUNK);
                break;
        }
    }

    /**
     * One chunk, spec 3.5 / 4.5: causal scores {@code A}, output rows {@code O = Qg S + A V} into {@code w.o}, then
     * the state {@code S = 2^{b_last} ⊙ S + Kw^T V}. Gate factors are {@code 2^x} of differences of cumulated log2
     * gates: scalar gates scale the rows of Q (readout) and V (state) and enter A as {@code 2^{b_i - b_j}}; vector
     * gates use a reference row (the chunk's last) when the chunk's gate span allows it, else sub-chunks.
     */
    private static void chunk(Gate kind, TileOps ops, Work w, int cn, int dk, int dvp) {
        float[] st = w.state, q = w.q, v = w.v;
        int last = cn - 1;
        switch (kind) {
            case NONE:
                ops.causalScores(cn, dk, q, 0, dk, w.kt, 0, CHUNK, null, 0, w.a, 0, CHUNK);
                readout(ops, cn, dk, dvp, q, st, w.a, v, w.o);
                update(ops, cn, dk, dvp, w.kt, v, st);
                break;
            case SCALAR:
                ops.causalScores(cn, dk, q, 0, dk, w.kt, 0, CHUNK, w.bs, 0, w.a, 0, CHUNK);
                ops.scaleRowsExp2Diff(cn, dk, q, 0, dk, w.bs, 0, 1, w.zeros, 0, 0, w.qg, 0, dk);
                readout(ops, cn, dk, dvp, w.qg, st, w.a, v, w.o);
                // (K ⊙ 2^{b_last - b})^T V as K^T (V ⊙ 2^{b_last - b}): the scores' K^T serves the state too.
                ops.scaleRowsExp2Diff(cn, dvp, v, 0, dvp, w.bs, last, 0, w.bs, 0, 1, w.vw, 0, dvp);
                decay(ops, dk, dvp, st, w.bs, last, 0, w.zeros);
                update(ops, cn, dk, dvp, w.kt, w.vw, st);
                break;
            default:
                vectorGateChunk(ops, w, cn, dk, dvp);
                break;
        }
    }

    /** The chunk with per-key-dimension gates (GLA). */
    private static void vectorGateChunk(TileOps ops, Work w, int cn, int dk, int dvp) {
        float[] st = w.state, q = w.q, k = w.k, v = w.v, bv = w.bv;
        int last = cn - 1;
        float span = 0f;
        for (int d = 0; d < dk; d++) span = Math.max(span, bv[d] - bv[last * dk + d]);
        // Kw = K ⊙ 2^{b_last - b} (state), as Kw^T.
        if (span <= MAX_FACTORED_SPAN) {
            // The last row as the reference for the whole chunk: A = (Q ⊙ 2^{b - b_last}) Kw^T, query factors within
            // [1, 2^span]. The readout Q ⊙ 2^b is the same Q ⊙ 2^{b - b_last} against the state decayed by 2^{b_last}
            // first, which the update needs anyway. The query factors are the key factors' reciprocals: one
            // exponential per element of Q and K in all.
            ops.mulExp2DiffPair(cn, dk, bv, last * dk, bv, 0, dk, k, 0, dk, w.tmp, 0, dk, q, 0, dk, w.qn, 0, dk);
            ops.transpose(cn, dk, w.tmp, 0, dk, w.kwt, 0, CHUNK);
            ops.causalScores(cn, dk, w.qn, 0, dk, w.kwt, 0, CHUNK, null, 0, w.a, 0, CHUNK);
            decay(ops, dk, dvp, st, bv, last * dk, 1, w.zeros);
            readout(ops, cn, dk, dvp, w.qn, st, w.a, v, w.o);
        } else {
            ops.mulExp2DiffRows(cn, dk, k, 0, dk, bv, last * dk, 0, bv, 0, dk, w.tmp, 0, dk);
            ops.transpose(cn, dk, w.tmp, 0, dk, w.kwt, 0, CHUNK);
            Arrays.fill(w.a, 0, cn * CHUNK, 0f);
            glaScores(ops, w, cn, dk);
            ops.mulExp2DiffRows(cn, dk, q, 0, dk, bv, 0, dk, w.zeros, 0, 0, w.qg, 0, dk);
            readout(ops, cn, dk, dvp, w.qg, st, w.a, v, w.o);
            decay(ops, dk, dvp, st, bv, last * dk, 1, w.zeros);
        }
        update(ops, cn, dk, dvp, w.kwt, v, st);
    }

    /** {@code O = Qg S + A V} for the chunk's rows, panel by panel of the state. */
    private static void readout(TileOps ops, int cn, int dk, int dvp, float[] qg, float[] st, float[] a, float[] v, float[] o) {
        for (int c = 0; c < dvp; c += PANEL) {
            int wd = Math.min(PANEL, dvp - c);
            ops.causalOutput(cn, wd, dk, qg, 0, dk, st, c * dk, wd, a, 0, CHUNK, v, c, dvp, o, c, dvp);
        }
    }

    /** {@code S += Kt V} (Kt {@code [dk][CHUNK]}), panel by panel of the state. */
    private static void update(TileOps ops, int cn, int dk, int dvp, float[] kt, float[] v, float[] st) {
        for (int c = 0; c < dvp; c += PANEL) {
            int wd = Math.min(PANEL, dvp - c);
            ops.matmulAdd(dk, wd, cn, kt, 0, CHUNK, v, c, dvp, st, c * dk, wd);
        }
    }

    /** State row d times {@code 2^(p[pOff + d * ps] - m[0])}, panel by panel. */
    private static void decay(TileOps ops, int dk, int dvp, float[] st, float[] p, int pOff, int ps, float[] m) {
        for (int c = 0; c < dvp; c += PANEL) {
            int wd = Math.min(PANEL, dvp - c);
            ops.scaleRowsExp2Diff(dk, wd, st, c * dk, wd, p, pOff, ps, m, 0, 0, st, c * dk, wd);
        }
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
}
