package org.attention4j;

import java.util.Arrays;
import org.attention4j.internal.Checks;
import org.attention4j.internal.Dispatcher;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.jspecify.annotations.Nullable;

/** Shared body of {@link LinearAttention} and {@link GatedAttention}: one recurrence, different decays. */
public abstract class LinearFamilyOp extends AttentionOp {
    private final boolean reverse;
    private final int[] cuSeqlens;

    LinearFamilyOp(Double scale, VerifyPolicy verify, boolean reverse, int[] cuSeqlens) {
        super(scale, verify);
        this.reverse = reverse;
        this.cuSeqlens = cuSeqlens;
    }

    /** Whether tokens are processed from last to first (anti-causal, spec 4.3). */
    public boolean reverse() { return reverse; }

    /** Sequence offsets of a variable-length batch ({@code B} must be 1), or null. */
    public int @Nullable [] cuSeqlens() { return cuSeqlens == null ? null : cuSeqlens.clone(); }

    /** Number of sequences: {@code cuSeqlens.length - 1}, or the batch size. */
    public int sequences(int batch) {
        return cuSeqlens == null ? batch : cuSeqlens.length - 1;
    }

    String sharedConfig() {
        return scaleConfig() + (reverse ? ",reverse" : "") + (cuSeqlens != null ? ",cuSeqlens=" + Arrays.toString(cuSeqlens) : "");
    }

    LinearOutput run(AttentionCall call) {
        AttentionResult r = Dispatcher.get().run(call);
        return new LinearOutput(r.output(), r.finalState(), r.finalKeySum());
    }

    /** Validates q, k, v (and h0) and returns the call builder. */
    AttentionCall.Builder validate(Tensor q, Tensor k, Tensor v, @Nullable Tensor h0) {
        // validateQkv accepts spatial ranks for neighborhood and radial; the linear family is sequences only.
        Checks.rank(q, "q", 4, "[B, T, H, Dk]");
        SoftmaxFamilyOp.validateQkv(q, k, v, true);
        int b = q.dim(0), t = q.dim(1), h = q.dim(2), dk = q.dim(3), dv = v.dim(3);
        Checks.check(k.dim(2) == h, "k", "H = " + h + " heads (the linear family has one state per head; no GQA)", k.dim(2));
        if (cuSeqlens != null) {
            Checks.check(b == 1, "q", "batch B = 1 with cuSeqlens (sequences are concatenated)", b);
            Checks.check(cuSeqlens[cuSeqlens.length - 1] == t, "cuSeqlens", "last offset = T = " + t,
                    cuSeqlens[cuSeqlens.length - 1]);
        }
        int n = sequences(b);
        if (h0 != null) {
            Checks.shape(h0, "initialState", new long[] {n, h, dk, dv}, "[N, H, Dk, Dv]");
            Checks.check(h0.dtype() == DType.F32, "initialState", "dtype F32 (states are fp32)", h0.dtype());
        }
        return AttentionCall.builder(this, q, k, v).initialState(h0);
    }

    static int[] checkCuSeqlens(int[] offsets) {
        Checks.notNull(offsets, "cuSeqlens");
        Checks.check(offsets.length >= 2, "cuSeqlens", "at least 2 offsets [0, ..., T]", Arrays.toString(offsets));
        Checks.check(offsets[0] == 0, "cuSeqlens[0]", "0", offsets[0]);
        for (int i = 1; i < offsets.length; i++) {
            if (offsets[i] < offsets[i - 1]) {
                throw Checks.mismatch("cuSeqlens[" + i + "]", "non-decreasing offsets (>= " + offsets[i - 1] + ")",
                        String.valueOf(offsets[i]));
            }
        }
        return offsets.clone();
    }
}
