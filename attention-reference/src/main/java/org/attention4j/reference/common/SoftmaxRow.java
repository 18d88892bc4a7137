package org.attention4j.reference.common;

import java.util.Arrays;

/**
 * One query row of masked softmax attention in fp64 (spec 1.1): logits {@code s_j = scale <q, k_j>}, then
 * the softcap {@code c tanh(s_j / c)}, then the key's bias; the keys not listed are the masked ones. Returns
 * the output row {@code sum_j softmax(s)_j v_j} and the natural-log LSE. A row whose key set is empty (or
 * whose logits are all {@code -inf}) outputs 0 with LSE {@code +inf}, never NaN (spec 1.3).
 */
public final class SoftmaxRow {
    private final TokenRows k;
    private final TokenRows v;
    private final double scale;
    private final double softcap;
    private double[] logits = new double[16];

    /** Keys and values of a call; {@code softcap <= 0} means no softcap. */
    public SoftmaxRow(TokenRows k, TokenRows v, double scale, double softcap) {
        this.k = k;
        this.v = v;
        this.scale = scale;
        this.softcap = softcap;
    }

    /**
     * Attends query row {@code q} over {@code keys} of batch {@code b}, key/value head {@code kvHead}; writes
     * the output row into {@code out} and returns the LSE.
     */
    public double attend(double[] q, int b, int kvHead, KeyList keys, double[] out) {
        Arrays.fill(out, 0);
        int n = keys.size();
        if (logits.length < n) {
            logits = new double[Math.max(n, 2 * logits.length)];
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < n; t++) {
            long row = k.row(b, keys.token(t), kvHead);
            double dot = 0;
            for (int d = 0; d < q.length; d++) {
                dot += q[d] * k.get(row, d);
            }
            double s = scale * dot;
            if (softcap > 0) {
                s = softcap * Math.tanh(s / softcap);
            }
            s += keys.bias(t);
            logits[t] = s;
            max = Math.max(max, s);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return Double.POSITIVE_INFINITY;
        }
        double sum = 0;
        for (int t = 0; t < n; t++) {
            double w = Math.exp(logits[t] - max);
            if (w == 0) {
                continue;
            }
            sum += w;
            long row = v.row(b, keys.token(t), kvHead);
            for (int d = 0; d < out.length; d++) {
                out[d] += w * v.get(row, d);
            }
        }
        for (int d = 0; d < out.length; d++) {
            out[d] /= sum;
        }
        return max + Math.log(sum);
    }
}
