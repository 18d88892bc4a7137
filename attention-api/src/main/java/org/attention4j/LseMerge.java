package org.attention4j;

import java.util.Arrays;
import org.attention4j.internal.Checks;

/** The exact merge of partial attention results (spec 0.4); see {@link Attention#mergeLse}. */
public final class LseMerge {
    private LseMerge() {
    }

    /**
     * Merges {@code (o_a, lse_a)} and {@code (o_b, lse_b)}: outputs {@code [B, S..., H, Dv]}, LSE
     * {@code [B, H, S...]}.
     */
    public static AttentionOutput merge(AttentionOutput a, AttentionOutput b) {
        Checks.notNull(a, "a");
        Checks.notNull(b, "b");
        Tensor oa = a.output(), ob = b.output();
        if (!Arrays.equals(oa.shape(), ob.shape())) {
            throw Checks.mismatch("b.output", "shape " + Arrays.toString(oa.shape()), Arrays.toString(ob.shape()));
        }
        Checks.sameDtype(oa, "a.output", ob, "b.output");
        if (!Arrays.equals(a.lse().shape(), b.lse().shape())) {
            throw Checks.mismatch("b.lse", "shape " + Arrays.toString(a.lse().shape()), Arrays.toString(b.lse().shape()));
        }
        long batch = oa.size(0), heads = oa.size(-2), dv = oa.size(-1);
        long tokens = oa.numel() / (batch * heads * dv);
        long[] lseShape = lseShape(oa.shape());
        if (!Arrays.equals(a.lse().shape(), lseShape)) {
            throw Checks.mismatch("a.lse", "shape " + Arrays.toString(lseShape) + " [B, H, S...]", Arrays.toString(a.lse().shape()));
        }
        float[] va = oa.toFloatArray(), vb = ob.toFloatArray();
        float[] la = a.lse().toFloatArray(), lb = b.lse().toFloatArray();
        float[] out = new float[va.length];
        float[] lse = new float[la.length];
        for (long bb = 0; bb < batch; bb++) {
            for (long t = 0; t < tokens; t++) {
                for (long h = 0; h < heads; h++) {
                    int li = (int) ((bb * heads + h) * tokens + t);
                    double xa = Float.isInfinite(la[li]) ? Double.NEGATIVE_INFINITY : la[li];
                    double xb = Float.isInfinite(lb[li]) ? Double.NEGATIVE_INFINITY : lb[li];
                    double m = Math.max(xa, xb);
                    int oi = (int) (((bb * tokens + t) * heads + h) * dv);
                    if (m == Double.NEGATIVE_INFINITY) {
                        lse[li] = Float.POSITIVE_INFINITY;
                        continue; // both empty: output stays 0
                    }
                    double wa = Math.exp(xa - m), wb = Math.exp(xb - m);
                    double sum = wa + wb;
                    lse[li] = (float) (m + Math.log(sum));
                    for (int d = 0; d < dv; d++) {
                        out[oi + d] = (float) ((wa * va[oi + d] + wb * vb[oi + d]) / sum);
                    }
                }
            }
        }
        Tensor o = Tensor.fromFloats(oa.dtype(), out, oa.shape());
        return new AttentionOutput(o, Tensor.of(lse, lseShape));
    }

    /** The LSE shape {@code [B, H, S...]} of an output {@code [B, S..., H, Dv]}. */
    public static long[] lseShape(long[] outputShape) {
        int rank = outputShape.length;
        long[] s = new long[rank - 1];
        s[0] = outputShape[0];
        s[1] = outputShape[rank - 2];
        System.arraycopy(outputShape, 1, s, 2, rank - 3);
        return s;
    }
}
