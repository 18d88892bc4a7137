package org.attention4j.reference;

import org.attention4j.Tensor;

/**
 * The linear family's equations written out independently of the library (spec 3.1, 3.2, 3.5, 4.1, 4.5),
 * per sequence and head, in fp64. These are the oracles the recurrence in {@code StatePassing} is tested
 * against; none of them runs the recurrence.
 */
public final class LinearForms {
    private LinearForms() {
    }

    /** Log decay of key row {@code d} at token {@code t} of batch row {@code b}, head {@code h}. */
    @FunctionalInterface
    public interface Gates {
        Gates NONE = (b, t, h, d) -> 0;

        double at(int b, int t, int h, int d);

        /** A [B, T, H, K] (GLA) or [B, T, H] (scalar) gate tensor. */
        static Gates of(Tensor g) {
            float[] x = g.toFloatArray();
            int len = g.dim(1), heads = g.dim(2);
            if (g.rank() == 4) {
                int dk = g.dim(3);
                return (b, t, h, d) -> x[((b * len + t) * heads + h) * dk + d];
            }
            return (b, t, h, d) -> x[(b * len + t) * heads + h];
        }

        static Gates perHead(float[] gamma) {
            return (b, t, h, d) -> gamma[h];
        }
    }

    /** One sequence of one head: q, k {@code [T][K]}, v {@code [T][V]}, log decays {@code [T][K]}, h0 {@code [K][V]}, z0 {@code [K]}. */
    public record Sequence(double[][] q, double[][] k, double[][] v, double[][] g, double[][] h0, double[] z0) {
        int len() { return q.length; }
        int dk() { return h0.length; }
        int dv() { return h0[0].length; }
    }

    /** Outputs {@code [T][V]}, final state {@code [K][V]}, final key sum {@code [K]}. */
    public record Result(double[][] o, double[][] state, double[] keySum) {
    }

    /** A per-sequence form. */
    @FunctionalInterface
    public interface Form {
        Result apply(Sequence s);
    }

    /** Flat results of a form over a whole call: o {@code [B, T, H, V]}, state {@code [N, H, K, V]}, key sum {@code [N, H, K]}. */
    public record Flat(double[] o, double[] state, double[] keySum) {
    }

    /** Runs {@code form} over every sequence (batch rows, or cuSeqlens segments of row 0) and head. */
    public static Flat run(Tensor qt, Tensor kt, Tensor vt, Gates gates, Tensor h0t, Tensor z0t, int[] cu, Form form) {
        int batch = qt.dim(0), len = qt.dim(1), heads = qt.dim(2), dk = qt.dim(3), dv = vt.dim(3);
        float[] q = qt.toFloatArray(), k = kt.toFloatArray(), v = vt.toFloatArray();
        float[] h0 = h0t == null ? null : h0t.toFloatArray();
        float[] z0 = z0t == null ? null : z0t.toFloatArray();
        int n = cu == null ? batch : cu.length - 1;
        double[] o = new double[batch * len * heads * dv];
        double[] state = new double[n * heads * dk * dv];
        double[] keySum = new double[n * heads * dk];
        for (int seq = 0; seq < n; seq++) {
            int b = cu == null ? seq : 0, start = cu == null ? 0 : cu[seq], end = cu == null ? len : cu[seq + 1];
            for (int h = 0; h < heads; h++) {
                int tl = end - start;
                double[][] sq = new double[tl][dk], sk = new double[tl][dk], sv = new double[tl][dv], sg = new double[tl][dk];
                for (int t = 0; t < tl; t++) {
                    int at = ((b * len + start + t) * heads + h);
                    for (int d = 0; d < dk; d++) {
                        sq[t][d] = q[at * dk + d];
                        sk[t][d] = k[at * dk + d];
                        sg[t][d] = gates.at(b, start + t, h, d);
                    }
                    for (int e = 0; e < dv; e++) sv[t][e] = v[at * dv + e];
                }
                double[][] s0 = new double[dk][dv];
                double[] zz = new double[dk];
                for (int d = 0; d < dk; d++) {
                    for (int e = 0; e < dv; e++) s0[d][e] = h0 == null ? 0 : h0[((seq * heads + h) * dk + d) * dv + e];
                    zz[d] = z0 == null ? 0 : z0[(seq * heads + h) * dk + d];
                }
                Result r = form.apply(new Sequence(sq, sk, sv, sg, s0, zz));
                for (int t = 0; t < tl; t++) {
                    for (int e = 0; e < dv; e++) o[((b * len + start + t) * heads + h) * dv + e] = r.o()[t][e];
                }
                for (int d = 0; d < dk; d++) {
                    for (int e = 0; e < dv; e++) state[((seq * heads + h) * dk + d) * dv + e] = r.state()[d][e];
                    keySum[(seq * heads + h) * dk + d] = r.keySum() == null ? 0 : r.keySum()[d];
                }
            }
        }
        return new Flat(o, state, keySum);
    }

    /**
     * The quadratic parallel form (spec 3.1, 4.1) with {@code G_t = Σ_{r<=t} g_r} per key row:
     * {@code o_t = τ Σ_{s<=t} Σ_d q_td k_sd exp(G_td - G_sd) v_s + τ Σ_d q_td exp(G_td) h0[d]}; with
     * {@code normalize}, divided by {@code τ⟨q_t, z_t⟩ + 1e-10} where z is the same sum with v = 1 (spec 3.2).
     */
    public static Form parallel(double tau, boolean normalize) {
        return s -> {
            int len = s.len(), dk = s.dk(), dv = s.dv();
            double[][] cum = new double[len][dk];
            for (int t = 0; t < len; t++) {
                for (int d = 0; d < dk; d++) cum[t][d] = s.g()[t][d] + (t > 0 ? cum[t - 1][d] : 0);
            }
            double[][] o = new double[len][dv];
            for (int t = 0; t < len; t++) {
                double den = 1e-10;
                for (int d = 0; d < dk; d++) {
                    double decay0 = Math.exp(cum[t][d]);
                    for (int e = 0; e < dv; e++) o[t][e] += tau * s.q()[t][d] * decay0 * s.h0()[d][e];
                    den += tau * s.q()[t][d] * decay0 * s.z0()[d];
                    for (int u = 0; u <= t; u++) {
                        double w = tau * s.q()[t][d] * s.k()[u][d] * Math.exp(cum[t][d] - cum[u][d]);
                        for (int e = 0; e < dv; e++) o[t][e] += w * s.v()[u][e];
                        den += w;
                    }
                }
                if (normalize) {
                    for (int e = 0; e < dv; e++) o[t][e] /= den;
                }
            }
            double[][] state = new double[dk][dv];
            double[] keySum = new double[dk];
            for (int d = 0; d < dk; d++) {
                double last = len == 0 ? 0 : cum[len - 1][d];
                keySum[d] = Math.exp(last) * s.z0()[d];
                for (int e = 0; e < dv; e++) state[d][e] = Math.exp(last) * s.h0()[d][e];
                for (int u = 0; u < len; u++) {
                    double w = Math.exp(last - cum[u][d]);
                    keySum[d] += w * s.k()[u][d];
                    for (int e = 0; e < dv; e++) state[d][e] += w * s.k()[u][d] * s.v()[u][e];
                }
            }
            return new Result(o, state, keySum);
        };
    }

    /**
     * The chunkwise form with a scalar decay per token (spec 3.5): local inclusive cumsums {@code b_a} restart
     * at every chunk; inter-chunk part from the carried state, intra-chunk scores masked before the exponent.
     * The key rows' decays must be equal (row 0 is read). Exponential factors are rounded to fp32 as a kernel
     * holds them, so an overflow would show as Inf.
     */
    public static Form chunkScalar(double tau, int chunk) {
        return s -> {
            int len = s.len(), dk = s.dk(), dv = s.dv();
            double[][] state = copy(s.h0());
            double[][] o = new double[len][dv];
            for (int c0 = 0; c0 < len; c0 += chunk) {
                int n = Math.min(chunk, len - c0);
                double[] b = new double[n];
                for (int a = 0; a < n; a++) b[a] = s.g()[c0 + a][0] + (a > 0 ? b[a - 1] : 0);
                for (int a = 0; a < n; a++) {
                    double inter = f32exp(b[a]);
                    for (int d = 0; d < dk; d++) {
                        for (int e = 0; e < dv; e++) o[c0 + a][e] += tau * inter * s.q()[c0 + a][d] * state[d][e];
                    }
                    for (int u = 0; u <= a; u++) {
                        double score = tau * dot(s.q()[c0 + a], s.k()[c0 + u]) * f32exp(b[a] - b[u]);
                        for (int e = 0; e < dv; e++) o[c0 + a][e] += score * s.v()[c0 + u][e];
                    }
                }
                double[][] next = new double[dk][dv];
                for (int d = 0; d < dk; d++) {
                    for (int e = 0; e < dv; e++) {
                        next[d][e] = f32exp(b[n - 1]) * state[d][e];
                        for (int u = 0; u < n; u++) next[d][e] += f32exp(b[n - 1] - b[u]) * s.k()[c0 + u][d] * s.v()[c0 + u][e];
                    }
                }
                state = next;
            }
            return new Result(o, state, null);
        };
    }

    /**
     * The GLA chunkwise form with secondary chunking (spec 4.5): per-key-row local cumsums; off-diagonal
     * sub-chunk pairs factor through the query sub-chunk's first row {@code g_n} so both factors have
     * non-positive exponents; diagonal sub-chunks are element-wise. Exponential factors are rounded to fp32.
     */
    public static Form chunkGla(double tau, int chunk, int subChunk) {
        return s -> {
            int len = s.len(), dk = s.dk(), dv = s.dv();
            double[][] state = copy(s.h0());
            double[][] o = new double[len][dv];
            for (int c0 = 0; c0 < len; c0 += chunk) {
                int n = Math.min(chunk, len - c0);
                double[][] b = new double[n][dk];
                for (int a = 0; a < n; a++) {
                    for (int d = 0; d < dk; d++) b[a][d] = s.g()[c0 + a][d] + (a > 0 ? b[a - 1][d] : 0);
                }
                double[][] score = new double[n][n];
                for (int i0 = 0; i0 < n; i0 += subChunk) {
                    for (int j0 = 0; j0 <= i0; j0 += subChunk) {
                        for (int a = i0; a < Math.min(i0 + subChunk, n); a++) {
                            for (int u = j0; u < Math.min(j0 + subChunk, n); u++) {
                                if (j0 == i0 && u > a) continue;
                                double acc = 0;
                                for (int d = 0; d < dk; d++) {
                                    if (j0 < i0) {
                                        double gn = b[i0][d];
                                        acc += s.q()[c0 + a][d] * f32exp(b[a][d] - gn) * (s.k()[c0 + u][d] * f32exp(gn - b[u][d]));
                                    } else {
                                        acc += s.q()[c0 + a][d] * s.k()[c0 + u][d] * f32exp(b[a][d] - b[u][d]);
                                    }
                                }
                                score[a][u] = tau * acc;
                            }
                        }
                    }
                }
                for (int a = 0; a < n; a++) {
                    for (int e = 0; e < dv; e++) {
                        double acc = 0;
                        for (int d = 0; d < dk; d++) acc += tau * s.q()[c0 + a][d] * f32exp(b[a][d]) * state[d][e];
                        for (int u = 0; u <= a; u++) acc += score[a][u] * s.v()[c0 + u][e];
                        o[c0 + a][e] = acc;
                    }
                }
                double[][] next = new double[dk][dv];
                for (int d = 0; d < dk; d++) {
                    for (int e = 0; e < dv; e++) {
                        next[d][e] = f32exp(b[n - 1][d]) * state[d][e];
                        for (int u = 0; u < n; u++) next[d][e] += s.k()[c0 + u][d] * f32exp(b[n - 1][d] - b[u][d]) * s.v()[c0 + u][e];
                    }
                }
                state = next;
            }
            return new Result(o, state, null);
        };
    }

    /**
     * Lightning Attention-2's block form with a constant rate {@code rate = -g} (the sequence's decay, which
     * must be constant) and no scale (spec 3.5, second
     * listing): {@code o = ((QKᵀ) ⊙ diag) V + (Q kv) ⊙ q_decay}, {@code kv ← e^{-rate·BLOCK} kv + (K ⊙ k_decay)ᵀ V},
     * the last block zero-padded. Its {@code kv} is the recurrence's state decayed one step further
     * ({@code q_decay} starts at {@code e^0}), so it starts from {@code e^{-rate} h0} (OpenNLPLab has no initial
     * state) and the state returned is {@code e^{rate} kv}. The padded rows still decay kv, so that state is
     * the true final state only when the block divides T (OpenNLPLab returns none).
     */
    public static Form lightning2(int block) {
        return s -> {
            int len = s.len(), dk = s.dk(), dv = s.dv();
            double rate = len == 0 ? 0 : -s.g()[0][0];
            double[][] kv = copy(s.h0());
            for (double[] row : kv) {
                for (int e = 0; e < dv; e++) row[e] *= Math.exp(-rate);
            }
            double[][] o = new double[len][dv];
            for (int c0 = 0; c0 < len; c0 += block) {
                double[][] qb = new double[block][dk], kb = new double[block][dk], vb = new double[block][dv];
                for (int a = 0; a < block && c0 + a < len; a++) {
                    qb[a] = s.q()[c0 + a];
                    kb[a] = s.k()[c0 + a];
                    vb[a] = s.v()[c0 + a];
                }
                for (int a = 0; a < block && c0 + a < len; a++) {
                    for (int e = 0; e < dv; e++) {
                        double acc = 0;
                        for (int u = 0; u <= a; u++) acc += dot(qb[a], kb[u]) * Math.exp(-rate * (a - u)) * vb[u][e];
                        double inter = 0;
                        for (int d = 0; d < dk; d++) inter += qb[a][d] * kv[d][e];
                        o[c0 + a][e] = acc + inter * Math.exp(-rate * a);
                    }
                }
                double[][] next = new double[dk][dv];
                for (int d = 0; d < dk; d++) {
                    for (int e = 0; e < dv; e++) {
                        next[d][e] = Math.exp(-rate * block) * kv[d][e];
                        for (int u = 0; u < block; u++) next[d][e] += kb[u][d] * Math.exp(-rate * (block - u)) * vb[u][e];
                    }
                }
                kv = next;
            }
            for (double[] row : kv) {
                for (int e = 0; e < dv; e++) row[e] *= Math.exp(rate);
            }
            return new Result(o, kv, null);
        };
    }

    /** {@code form} applied to the time-reversed sequence, its outputs reversed back (the anti-causal mirror). */
    public static Form mirrored(Form form) {
        return s -> {
            Result r = form.apply(new Sequence(flip(s.q()), flip(s.k()), flip(s.v()), flip(s.g()), s.h0(), s.z0()));
            return new Result(flip(r.o()), r.state(), r.keySum());
        };
    }

    static double f32exp(double x) {
        return (float) Math.exp(x);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[][] copy(double[][] m) {
        double[][] c = new double[m.length][];
        for (int i = 0; i < m.length; i++) c[i] = m[i].clone();
        return c;
    }

    private static double[][] flip(double[][] m) {
        double[][] f = new double[m.length][];
        for (int i = 0; i < m.length; i++) f[i] = m[m.length - 1 - i];
        return f;
    }
}
