package org.attention4j;

import java.util.Arrays;
import org.attention4j.internal.Checks;
import org.attention4j.internal.Dispatcher;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;

/**
 * Neighborhood attention on 1-D, 2-D or 3-D token grids (spec section 5, NATTEN's rule): each query
 * attends a box of keys, per axis {@code kernel} wide, with {@code stride}, {@code dilation} and an
 * optional causal flag. Layout {@code [B, X, (Y, (Z,)) H, D]}; the rank of q picks 1/2/3-D. Settings given
 * as one value apply to every axis.
 */
public final class NeighborhoodAttention extends AttentionOp {
    private final int[] kernel;
    private final int[] stride;
    private final int[] dilation;
    private final boolean[] causal;

    private NeighborhoodAttention(Builder b) {
        super(b.scale, b.verify);
        this.kernel = b.kernel;
        this.stride = b.stride;
        this.dilation = b.dilation;
        this.causal = b.causal;
    }

    @Override public Family family() { return Family.NEIGHBORHOOD; }

    @Override
    public String config() {
        return "kernel=" + Arrays.toString(kernel) + ",stride=" + Arrays.toString(stride) + ",dilation="
                + Arrays.toString(dilation) + ",causal=" + Arrays.toString(causal) + "," + scaleConfig();
    }

    /** Per-axis kernel sizes for an {@code n}-D grid (a single value broadcast). */
    public int[] kernel(int n) { return expand(kernel, n); }
    public int[] stride(int n) { return expand(stride, n); }
    public int[] dilation(int n) { return expand(dilation, n); }

    public boolean[] causal(int n) {
        if (causal.length == n) return causal.clone();
        boolean[] r = new boolean[n];
        Arrays.fill(r, causal[0]);
        return r;
    }

    private static int[] expand(int[] a, int n) {
        if (a.length == n) return a.clone();
        int[] r = new int[n];
        Arrays.fill(r, a[0]);
        return r;
    }

    /** Output {@code [B, X.., H, Dv]}. */
    public Tensor forward(Tensor q, Tensor k, Tensor v) {
        return Dispatcher.get().run(validate(q, k, v).build()).output();
    }

    /** Output and LSE {@code [B, H, X..]} (heads first, as for every family). */
    public AttentionOutput forwardWithLse(Tensor q, Tensor k, Tensor v) {
        AttentionResult r = Dispatcher.get().run(validate(q, k, v).needLse(true).build());
        return new AttentionOutput(r.output(), r.lse());
    }

    AttentionCall.Builder validate(Tensor q, Tensor k, Tensor v) {
        SoftmaxFamilyOp.validateQkv(q, k, v, true);
        int n = q.rank() - 3;
        checkLength(kernel.length, n, "kernel");
        checkLength(stride.length, n, "stride");
        checkLength(dilation.length, n, "dilation");
        checkLength(causal.length, n, "causal");
        int[] ks = kernel(n), ss = stride(n), ds = dilation(n);
        for (int a = 0; a < n; a++) {
            long extent = q.size(1 + a);
            if ((long) ks[a] * ds[a] > extent) {
                throw Checks.mismatch("kernel[" + a + "] * dilation[" + a + "]", "<= the grid extent " + extent + " of axis " + a,
                        ks[a] + " * " + ds[a] + " = " + (long) ks[a] * ds[a]);
            }
            if (ss[a] > ks[a]) {
                throw Checks.mismatch("stride[" + a + "]", "<= kernel[" + a + "] = " + ks[a], String.valueOf(ss[a]));
            }
        }
        return AttentionCall.builder(this, q, k, v);
    }

    private static void checkLength(int len, int n, String arg) {
        if (len != 1 && len != n) {
            throw Checks.mismatch(arg, "1 or " + n + " values (one per axis of the " + n + "-D grid)", len + " values");
        }
    }

    /** Builder: {@code Attention.neighborhood(7, 7).stride(1).dilation(2).causal(false).build()}. */
    public static final class Builder extends OpBuilder<Builder> {
        private final int[] kernel;
        private int[] stride = {1};
        private int[] dilation = {1};
        private boolean[] causal = {false};

        Builder(int... kernel) {
            this.kernel = positive(kernel, "kernel", 2, "an int >= 2");
        }

        /** Stride per axis (each >= 1 and <= kernel); default 1. */
        public Builder stride(int... stride) {
            this.stride = positive(stride, "stride", 1, "an int >= 1");
            return this;
        }

        /** Dilation per axis (each >= 1, kernel x dilation <= extent); default 1. */
        public Builder dilation(int... dilation) {
            this.dilation = positive(dilation, "dilation", 1, "an int >= 1");
            return this;
        }

        /** Causal flag per axis; default false. */
        public Builder causal(boolean... causal) {
            Checks.notNull(causal, "causal");
            Checks.check(causal.length >= 1 && causal.length <= 3, "causal", "1 to 3 flags", causal.length);
            this.causal = causal.clone();
            return this;
        }

        @Override
        Builder self() {
            return this;
        }

        public NeighborhoodAttention build() {
            if (stride.length > 1 && kernel.length > 1 && stride.length != kernel.length) {
                throw Checks.mismatch("stride", kernel.length + " values like kernel", stride.length + " values");
            }
            return new NeighborhoodAttention(this);
        }

        private static int[] positive(int[] xs, String arg, int min, String what) {
            Checks.notNull(xs, arg);
            Checks.check(xs.length >= 1 && xs.length <= 3, arg, "1 to 3 values (one per axis)", xs.length);
            for (int i = 0; i < xs.length; i++) {
                if (xs[i] < min) {
                    throw Checks.mismatch(arg + "[" + i + "]", what, String.valueOf(xs[i]));
                }
            }
            return xs.clone();
        }
    }
}
