package org.attention4j;

import org.attention4j.internal.Checks;

/**
 * Per-head log decays {@code γ_h} for {@link LinearAttention.Builder#decay(float...)}, built exactly as the
 * anchors build them (spec 3.3). The anchors disagree, so each convention has its own helper:
 *
 * <ul>
 *   <li>{@link #lightning(int)}: OpenNLPLab Lightning Attention-2, {@code γ_h = -s_h} with the ALiBi slopes
 *       {@code s_h}. OpenNLPLab applies no scale, so build the op with {@code scale(1.0)} to reproduce it.</li>
 *   <li>{@link #flaLightning(int, int, int)}: fla's {@code lightning_attn} port, {@code γ_h = -(8/H)(1 - l/L) h},
 *       used with the default scale {@code Dk^-1/2}.</li>
 *   <li>{@link #retnet(int)}: RetNet retention (fla {@code chunk_retention}), {@code γ_h = log(1 - 2^(-5-h))},
 *       default scale.</li>
 * </ul>
 *
 * Each value is rounded to fp32 at the same points as the anchor's own code (Python doubles stored in an
 * fp32 tensor; fp32 tensor arithmetic), so the arrays are what the anchors feed their kernels, barring a
 * last-bit difference between Java's and the anchor's {@code pow} that survives the rounding to fp32.
 */
public final class Decays {
    private Decays() {
    }

    /**
     * OpenNLPLab Lightning decays {@code -s_h} ({@code lightning_attn/utils/utils.py::_build_slope_tensor}).
     * For {@code H} a power of two {@code s_h = 2^(-8(h+1)/H)} (H = 8: 0.5, 0.25, ..., 2^-8). Otherwise the
     * slopes of the power of two {@code P = 2^floor(log2 H)} are followed by every other slope of the list for
     * {@code 2P}, taking the first {@code H - P} of them (H = 12 ends with 0.707107, 0.353553, 0.176777,
     * 0.088388). Use with {@code scale(1.0)}.
     */
    public static float[] lightning(int heads) {
        Checks.check(heads > 0, "heads", "> 0", heads);
        double[] slopes = alibiSlopes(heads);
        float[] out = new float[heads];
        for (int h = 0; h < heads; h++) {
            out[h] = -(float) slopes[h];
        }
        return out;
    }

    /**
     * Lightning decays with the TNL / MiniMax per-layer scaling ({@code examples/module/tnl_attn.py}):
     * {@code s_h * (1 - layerIdx / (numLayers - 1) + 1e-5)}, the product taken in fp32 as in the anchor.
     * The last layer keeps a decay of {@code 1e-5 s_h}. Use with {@code scale(1.0)}.
     *
     * @param layerIdx  0-based layer index, {@code 0 <= layerIdx < numLayers}
     * @param numLayers at least 2 (the anchor divides by {@code numLayers - 1})
     */
    public static float[] lightning(int heads, int layerIdx, int numLayers) {
        Checks.check(numLayers >= 2, "numLayers", ">= 2 (the TNL factor divides by numLayers - 1)", numLayers);
        checkLayer(layerIdx, numLayers);
        float factor = (float) (1 - (double) layerIdx / (numLayers - 1) + 1e-5);
        float[] out = lightning(heads);
        for (int h = 0; h < heads; h++) {
            out[h] = out[h] * factor;
        }
        return out;
    }

    /**
     * fla {@code lightning_attn} decays ({@code fla/ops/lightning_attn/chunk.py}):
     * {@code γ_h = -(8/H)(1 - layerIdx/numLayers) * h}, the factor rounded to fp32 and multiplied by
     * {@code h} in fp32. For H = 8 at layer 0 this is 0, -1, ..., -7. Use with the default scale.
     */
    public static float[] flaLightning(int heads, int layerIdx, int numLayers) {
        Checks.check(heads > 0, "heads", "> 0", heads);
        Checks.check(numLayers >= 1, "numLayers", ">= 1", numLayers);
        checkLayer(layerIdx, numLayers);
        float rate = (float) (-(8.0 / heads * (1 - (double) layerIdx / numLayers)));
        float[] out = new float[heads];
        for (int h = 0; h < heads; h++) {
            out[h] = rate * h;
        }
        return out;
    }

    /**
     * RetNet decays {@code γ_h = log(1 - 2^(-5-h))} (fla {@code chunk_retention}), with {@code 1 - 2^(-5-h)}
     * rounded to fp32 before the log as fla does; from {@code h = 20} on that rounds to 1 and the decay is 0.
     * Use with the default scale.
     */
    public static float[] retnet(int heads) {
        Checks.check(heads > 0, "heads", "> 0", heads);
        float[] out = new float[heads];
        for (int h = 0; h < heads; h++) {
            float keep = (float) (1 - Math.pow(2, -5 - h));
            out[h] = (float) Math.log(keep);
        }
        return out;
    }

    /** The ALiBi slope list of {@code _build_slope_tensor}, in Python's double arithmetic. */
    private static double[] alibiSlopes(int n) {
        if (Integer.bitCount(n) == 1) {
            int log2 = Integer.numberOfTrailingZeros(n);
            double start = Math.pow(2, -Math.pow(2, -(log2 - 3)));
            double[] s = new double[n];
            for (int i = 0; i < n; i++) {
                s[i] = start * Math.pow(start, i);
            }
            return s;
        }
        int p = Integer.highestOneBit(n);
        double[] base = alibiSlopes(p);
        double[] doubled = alibiSlopes(2 * p);
        double[] s = new double[n];
        System.arraycopy(base, 0, s, 0, p);
        for (int i = 0; i < n - p; i++) {
            s[p + i] = doubled[2 * i];
        }
        return s;
    }

    private static void checkLayer(int layerIdx, int numLayers) {
        Checks.check(layerIdx >= 0 && layerIdx < numLayers, "layerIdx", "in [0, numLayers = " + numLayers + ")", layerIdx);
    }
}
