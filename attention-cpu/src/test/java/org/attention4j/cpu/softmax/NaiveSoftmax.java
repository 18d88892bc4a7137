package org.attention4j.cpu.softmax;

import org.attention4j.MaskedSoftmaxOp;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionCall;

/**
 * Test oracle: the masked softmax of spec 1.1/1.3 written directly, in fp64, over a visibility predicate.
 * Used until the reference tier lands and as an independent second opinion after.
 */
public final class NaiveSoftmax {
    /** Whether query token {@code i} of batch {@code b} sees key token {@code j} (already in range). */
    public interface Visible {
        boolean test(int b, int i, int j);
    }

    public final double[] out;
    public final double[] lse;

    private NaiveSoftmax(double[] out, double[] lse) {
        this.out = out;
        this.lse = lse;
    }

    /** The softmax family under the op's window, softcap, ALiBi and per-batch key ranges. */
    public static NaiveSoftmax of(AttentionCall call) {
        MaskedSoftmaxOp op = (MaskedSoftmaxOp) call.op();
        int sq = call.q().dim(1);
        return compute(call.q(), call.k(), call.v(), op.scale(call.headDim()), op.softcap(), (b, i, j) -> {
            int ks = call.keyStart(b), sk = call.keyEnd(b) - ks;
            int jr = j - ks;
            return jr >= 0 && jr < sk && jr >= op.firstKey(i, sq, sk) && jr < op.endKey(i, sq, sk);
        }, (b, h, i, j) -> {
            int ks = call.keyStart(b), sk = call.keyEnd(b) - ks;
            return op.alibiBias(op.alibiSlope(b, h, call.heads()), i, j - ks, sq, sk);
        });
    }

    /** An additive bias per (b, h, i, j). */
    public interface Bias {
        double at(int b, int h, int i, int j);
    }

    /** q {@code [B, Sq, H, D]} (or spatial, flattened), k/v {@code [B, Sk, Hkv, *]}. */
    public static NaiveSoftmax compute(Tensor q, Tensor k, Tensor v, double scale, double softcap, Visible vis, Bias bias) {
        int batch = q.dim(0), heads = q.dim(-2), d = q.dim(-1), kvHeads = k.dim(-2), dv = v.dim(-1);
        int sq = (int) (q.numel() / ((long) batch * heads * d));
        int sk = (int) (k.numel() / ((long) batch * kvHeads * d));
        float[] qa = q.toFloatArray(), ka = k.toFloatArray(), va = v.toFloatArray();
        double[] out = new double[batch * sq * heads * dv];
        double[] lse = new double[batch * heads * sq];
        double[] s = new double[sk];
        int group = heads / kvHeads;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int g = h / group;
                for (int i = 0; i < sq; i++) {
                    double mx = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < sk; j++) {
                        if (!vis.test(b, i, j)) {
                            s[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int e = 0; e < d; e++) {
                            dot += (double) qa[((b * sq + i) * heads + h) * d + e] * ka[((b * sk + j) * kvHeads + g) * d + e];
                        }
                        double x = scale * dot;
                        if (softcap > 0) x = softcap * Math.tanh(x / softcap);
                        x += bias.at(b, h, i, j);
                        s[j] = x;
                        mx = Math.max(mx, x);
                    }
                    int o = ((b * sq + i) * heads + h) * dv;
                    if (mx == Double.NEGATIVE_INFINITY) {
                        lse[(b * heads + h) * sq + i] = Double.POSITIVE_INFINITY;
                        continue;
                    }
                    double sum = 0;
                    for (int j = 0; j < sk; j++) {
                        if (s[j] == Double.NEGATIVE_INFINITY) continue;
                        double w = Math.exp(s[j] - mx);
                        sum += w;
                        for (int e = 0; e < dv; e++) out[o + e] += w * va[((b * sk + j) * kvHeads + g) * dv + e];
                    }
                    for (int e = 0; e < dv; e++) out[o + e] /= sum;
                    lse[(b * heads + h) * sq + i] = mx + Math.log(sum);
                }
            }
        }
        return new NaiveSoftmax(out, lse);
    }
}
