package org.attention4j.reference;

import org.attention4j.Tensor;

/**
 * Brute-force softmax attention written from the spec text (1.1, 0.5), in fp64, for tests: every (query,
 * key) pair is scored, the test's own mask predicate sets masked logits to -inf, and the test's own bias is
 * added after the softcap. Independent of the code under test: inputs are read as logical row-major floats
 * ({@link Tensor#toFloatArray()}), the sequence or spatial axes flattened into one token axis.
 */
public final class Naive {
    private Naive() {
    }

    /** Whether query token {@code i} of head {@code h} in batch {@code b} sees key token {@code j}. */
    @FunctionalInterface
    public interface Mask {
        boolean visible(int b, int h, int i, int j);
    }

    /** Additive bias of logit (i, j). */
    @FunctionalInterface
    public interface Bias {
        double of(int b, int h, int i, int j);
    }

    public static final Mask ALL = (b, h, i, j) -> true;
    public static final Bias NO_BIAS = (b, h, i, j) -> 0;

    /** Output {@code [B, T, H, Dv]} and LSE {@code [B, H, T]}, flat. */
    public record Result(double[] out, double[] lse, int batch, int tokens, int heads, int dv) {
        public double out(int b, int i, int h, int d) {
            return out[((b * tokens + i) * heads + h) * dv + d];
        }

        public double lse(int b, int h, int i) {
            return lse[(b * heads + h) * tokens + i];
        }
    }

    public static Result attention(Tensor q, Tensor k, Tensor v, double scale, Mask mask) {
        return attention(q, k, v, scale, 0, mask, NO_BIAS);
    }

    /** q {@code [B, Tq..., H, D]}, k {@code [B, Tk..., Hkv, D]}, v {@code [B, Tk..., Hkv, Dv]}. */
    public static Result attention(Tensor q, Tensor k, Tensor v, double scale, double softcap, Mask mask, Bias bias) {
        float[] qf = q.toFloatArray(), kf = k.toFloatArray(), vf = v.toFloatArray();
        int batch = q.dim(0), heads = q.dim(-2), kvHeads = k.dim(-2), dim = q.dim(-1), dv = v.dim(-1);
        int tq = (int) (q.numel() / ((long) batch * heads * dim));
        int tk = (int) (k.numel() / ((long) batch * kvHeads * dim));
        double[] out = new double[batch * tq * heads * dv];
        double[] lse = new double[batch * heads * tq];
        double[] s = new double[tk];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int g = h / (heads / kvHeads); // spec 0.5: query head h reads kv head floor(h / (H / Hkv))
                for (int i = 0; i < tq; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        double dot = 0;
                        for (int d = 0; d < dim; d++) {
                            dot += (double) qf[((b * tq + i) * heads + h) * dim + d] * kf[((b * tk + j) * kvHeads + g) * dim + d];
                        }
                        double x = scale * dot;
                        if (softcap > 0) {
                            x = softcap * Math.tanh(x / softcap);
                        }
                        x += bias.of(b, h, i, j);
                        s[j] = mask.visible(b, h, i, j) ? x : Double.NEGATIVE_INFINITY;
                        max = Math.max(max, s[j]);
                    }
                    int li = (b * heads + h) * tq + i;
                    if (max == Double.NEGATIVE_INFINITY) {
                        lse[li] = Double.POSITIVE_INFINITY; // spec 1.3: fully masked row -> output 0, LSE +inf
                        continue;
                    }
                    double l = 0;
                    for (int j = 0; j < tk; j++) {
                        l += Math.exp(s[j] - max);
                    }
                    for (int j = 0; j < tk; j++) {
                        double p = Math.exp(s[j] - max) / l;
                        for (int d = 0; d < dv; d++) {
                            out[((b * tq + i) * heads + h) * dv + d] += p * vf[((b * tk + j) * kvHeads + g) * dv + d];
                        }
                    }
                    lse[li] = max + Math.log(l);
                }
            }
        }
        return new Result(out, lse, batch, tq, heads, dv);
    }
}
