package org.attention4j.jmh.report;

import java.util.Map;
import org.attention4j.RadialModel;
import org.attention4j.jmh.GridSpec;
import org.attention4j.neighborhood.NeighborhoodRule;
import org.attention4j.radial.RadialMask;

/**
 * What one benchmarked call does, from its JMH parameters: useful FLOPs, query tokens and the bytes a decode
 * step must move. The one place of the FLOP conventions (BENCHMARKS.md states them):
 * <ul>
 *   <li>softmax: {@code 4 B H Sq Sk D}, halved for causal (FlashAttention's convention);</li>
 *   <li>masked softmax (sliding window, neighborhood, radial): {@code 4 B H D} per visible (query, key) pair;</li>
 *   <li>linear family: the chunkwise algorithm with chunks of {@link #LINEAR_CHUNK} tokens, per head
 *       {@code 4 T Dk Dv} (inter-chunk readout {@code Q S} and state update {@code K^T V}) plus
 *       {@code c (c + 1) (Dk + Dv)} per chunk of {@code c} tokens (the causal score block {@code Q K^T} and
 *       {@code A V} over the lower triangle with its diagonal); gate and decay factors and the normalizer are not counted, so every variant
 *       (plain, normalized, decayed, GLA, simple GLA) is charged the same;</li>
 *   <li>local linear: per head and visible (query, key) pair {@code D^2 + 7 D + 2 Dv} (score, {@code μ}, the
 *       lower triangle of the symmetric {@code Σ}, the fit {@code <ρ, u>}, the output), per query row
 *       {@code D^3 / 3 + 2 D^2} (Cholesky factorization and two triangular solves); exponentials, centring
 *       and the ridge are not counted;</li>
 *   <li>KV-cache decode: {@code 4 B H S D} FLOPs; bytes of K and V read, {@code 2 B S Hkv D * 4} for fp32;</li>
 *   <li>recurrent step (linear family, one token): {@code 4 B H Dk Dv} FLOPs (state update and readout);
 *       bytes of the fp32 state read and written, {@code 2 B H Dk Dv * 4}.</li>
 * </ul>
 */
public record Workload(double flops, double tokens, double bytes) {
    /** Chunk length of the linear family's FLOP convention: fla's chunk and our CPU kernel's. */
    public static final int LINEAR_CHUNK = 64;

    /** The workload of a benchmark family's call with these parameters. */
    public static Workload of(String family, Map<String, String> p) {
        int b = integer(p, "b");
        int h = integer(p, "h");
        switch (family) {
            case "softmax": {
                int s = integer(p, "s"), d = integer(p, "d");
                return new Workload(softmaxFlops(b, h, s, s, d, Boolean.parseBoolean(p.get("causal"))), (double) b * s, 0);
            }
            case "slidingWindow": {
                int s = integer(p, "s"), d = integer(p, "d"), w = integer(p, "window");
                return new Workload(4.0 * b * h * d * slidingWindowPairs(s, w - 1, 0), (double) b * s, 0);
            }
            case "neighborhood": {
                GridSpec g = GridSpec.parse(p.get("grid"));
                return new Workload(4.0 * b * h * integer(p, "d") * neighborhoodPairs(g), (double) b * g.tokens(), 0);
            }
            case "radial": {
                int frames = integer(p, "frames"), s = frames * integer(p, "tokensPerFrame");
                return new Workload(4.0 * b * h * integer(p, "d") * radialPairs(s, frames, integer(p, "block")), (double) b * s, 0);
            }
            case "linear":
            case "gated": {
                int s = integer(p, "s"), d = integer(p, "d");
                return new Workload(b * h * chunkwiseLinearFlops(s, d, d), (double) b * s, 0);
            }
            case "localLinear": {
                int s = integer(p, "s"), d = integer(p, "d");
                return new Workload(b * h * localLinearFlops(s, d, d), (double) b * s, 0);
            }
            case "decode": {
                int s = integer(p, "s"), d = integer(p, "d");
                return new Workload(4.0 * b * h * s * d, b, 2.0 * b * s * integer(p, "hkv") * d * Float.BYTES);
            }
            case "recurrentStep": {
                int d = integer(p, "d");
                return new Workload(4.0 * b * h * d * d, b, 2.0 * b * h * d * d * Float.BYTES);
            }
            default:
                throw new IllegalArgumentException("family: no workload for " + family);
        }
    }

    /** {@code 4 B H Sq Sk D}, halved for causal. */
    public static double softmaxFlops(int b, int h, int sq, int sk, int d, boolean causal) {
        double f = 4.0 * b * h * sq * (double) sk * d;
        return causal ? f / 2 : f;
    }

    /** Visible (query, key) pairs of FlashAttention's window {@code (left, right)} with Sq = Sk = s. */
    public static long slidingWindowPairs(int s, int left, int right) {
        long pairs = 0;
        for (int i = 0; i < s; i++) {
            pairs += Math.min(i + right, s - 1) - Math.max(i - left, 0) + 1;
        }
        return pairs;
    }

    /** Visible pairs of a NATTEN neighborhood (stride and dilation 1): the box product of the per-axis windows. */
    public static long neighborhoodPairs(GridSpec g) {
        long pairs = 1;
        for (int length : g.extents()) {
            long axis = 0;
            for (int i = 0; i < length; i++) {
                axis += NeighborhoodRule.windowEnd(i, length, g.kernel(), 1, 1, false)
                        - NeighborhoodRule.windowStart(i, length, g.kernel(), 1, 1, false);
            }
            pairs *= axis;
        }
        return pairs;
    }

    /** Visible pairs of the radial mask (Wan, decay 1) over {@code s} video tokens and no text. */
    public static long radialPairs(int s, int frames, int block) {
        RadialMask m = RadialMask.of(s, frames, s, block, 1.0, RadialModel.WAN);
        long pairs = 0;
        for (int qb = 0; qb < m.numBlocks(); qb++) {
            for (int kb : m.keptBlocks(qb)) {
                pairs += (long) blockRows(qb, block, s) * blockRows(kb, block, s);
            }
        }
        return pairs;
    }

    private static int blockRows(int blockIndex, int block, int s) {
        return Math.min(block, s - blockIndex * block);
    }

    /** One head's chunkwise linear-attention FLOPs over {@code t} tokens (see the class comment). */
    public static double chunkwiseLinearFlops(int t, int dk, int dv) {
        double f = 4.0 * t * dk * dv;
        for (int c0 = 0; c0 < t; c0 += LINEAR_CHUNK) {
            int c = Math.min(LINEAR_CHUNK, t - c0);
            f += (double) c * (c + 1) * (dk + dv);
        }
        return f;
    }

    /** One head's causal local-linear FLOPs over {@code s} tokens (see the class comment). */
    public static double localLinearFlops(int s, int d, int dv) {
        double pairs = (double) s * (s + 1) / 2;
        return pairs * ((double) d * d + 7.0 * d + 2.0 * dv) + s * ((double) d * d * d / 3 + 2.0 * d * d);
    }

    private static int integer(Map<String, String> p, String name) {
        String v = p.get(name);
        if (v == null) {
            throw new IllegalArgumentException("params: missing " + name + " in " + p);
        }
        return Integer.parseInt(v);
    }
}
