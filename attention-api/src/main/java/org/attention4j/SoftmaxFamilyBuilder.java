package org.attention4j;

import java.util.Arrays;
import org.attention4j.internal.Checks;

/** Settings shared by the softmax and sliding-window builders. */
public abstract class SoftmaxFamilyBuilder<B extends SoftmaxFamilyBuilder<B>> extends OpBuilder<B> {
    double softcap;
    float[] alibi;
    boolean alibiPerBatch;

    SoftmaxFamilyBuilder() {
    }

    /** Softcap {@code c > 0} ({@code c * tanh(s / c)} before masks); 0 turns it off. */
    public B softcap(double softcap) {
        Checks.check(Double.isFinite(softcap) && softcap >= 0, "softcap", "a finite value >= 0 (0 = off)", softcap);
        this.softcap = softcap;
        return self();
    }

    /** ALiBi slopes, one per query head ({@code [H]}); FlashAttention's bias conventions (spec 1.2). */
    public B alibiSlopes(float... slopes) {
        Checks.notNull(slopes, "alibiSlopes");
        for (int i = 0; i < slopes.length; i++) {
            Checks.check(Float.isFinite(slopes[i]), "alibiSlopes[" + i + "]", "a finite slope", slopes[i]);
        }
        this.alibi = slopes.length == 0 ? null : slopes.clone();
        this.alibiPerBatch = false;
        return self();
    }

    /** ALiBi slopes per batch element and head, {@code [B, H]} row-major. */
    public B alibiSlopesPerBatch(float[] slopes) {
        alibiSlopes(slopes);
        this.alibiPerBatch = alibi != null;
        return self();
    }

    static int checkWindow(int w, String arg) {
        if (w < MaskedSoftmaxOp.UNBOUNDED) {
            throw Checks.mismatch(arg, ">= 0, or -1 (Attention.UNBOUNDED) for an unbounded side", String.valueOf(w));
        }
        return w;
    }

    String sharedConfig() {
        StringBuilder sb = new StringBuilder(scale == null ? "scale=default" : "scale=" + scale);
        if (softcap > 0) sb.append(",softcap=").append(softcap);
        if (alibi != null) sb.append(alibiPerBatch ? ",alibi[B,H]=" : ",alibi[H]=").append(Arrays.hashCode(alibi));
        return sb.toString();
    }
}
