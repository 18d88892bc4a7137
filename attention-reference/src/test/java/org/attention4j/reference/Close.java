package org.attention4j.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.attention4j.Tensor;

/** Assertions comparing operator results with {@link Naive} results. */
public final class Close {
    /** The agreement demanded of the fp64 reference on fp32 inputs. */
    public static final double TOL = 1e-5;

    private Close() {
    }

    /** Every element within {@code tol * max(1, |want|)}; no NaN. */
    public static void output(Tensor got, Naive.Result want, double tol) {
        float[] g = got.toFloatArray();
        assertThat(g.length).as("output size").isEqualTo(want.out().length);
        for (int n = 0; n < g.length; n++) {
            double w = want.out()[n];
            if (Float.isNaN(g[n]) || Math.abs(g[n] - w) > tol * Math.max(1, Math.abs(w))) {
                fail("output[%d] = %s, expected %s (tolerance %s relative)", n, g[n], w, tol);
            }
        }
    }

    /** Finite LSE within {@code tol * max(1, |want|)}; an infinite expected LSE must be matched exactly. */
    public static void lse(Tensor got, Naive.Result want, double tol) {
        assertThat(got.shape()).as("lse shape [B, H, T]")
                .containsExactly(want.batch(), want.heads(), want.tokens());
        float[] g = got.toFloatArray();
        for (int n = 0; n < g.length; n++) {
            double w = want.lse()[n];
            boolean ok = Double.isInfinite(w) ? g[n] == w : Math.abs(g[n] - w) <= tol * Math.max(1, Math.abs(w));
            if (!ok) {
                fail("lse[%d] = %s, expected %s", n, g[n], w);
            }
        }
    }

    /**
     * The keys a query saw, read from an output computed with uniform scores and one-hot values
     * ({@link Inputs#oneHotValues}); asserts the weights are uniform over them (1 / count each).
     */
    public static List<Integer> seenKeys(Tensor out, int b, int token, int h) {
        int dv = out.dim(-1);
        int rank = out.rank();
        long[] idx = new long[rank];
        idx[0] = b;
        idx[rank - 2] = h;
        // token is flat over the spatial axes, row-major
        int rest = token;
        for (int a = rank - 3; a >= 1; a--) {
            idx[a] = rest % out.size(a);
            rest /= (int) out.size(a);
        }
        float[] row = new float[dv];
        for (int d = 0; d < dv; d++) {
            idx[rank - 1] = d;
            row[d] = out.get(idx);
        }
        List<Integer> seen = new ArrayList<>();
        for (int d = 0; d < dv; d++) {
            assertThat(row[d]).as("weight of key %d for query %d (row %s)", d, token, Arrays.toString(row)).isNotNaN();
            if (row[d] != 0) {
                seen.add(d);
            }
        }
        for (int d : seen) {
            assertThat((double) row[d]).as("uniform weight of key %d for query %d", d, token)
                    .isCloseTo(1.0 / seen.size(), Offset.offset(1e-6));
        }
        return seen;
    }

    /** {@code [from, from + 1, ..., to]}. */
    public static List<Integer> range(int from, int to) {
        List<Integer> r = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            r.add(i);
        }
        return r;
    }

    public static List<Integer> list(int... xs) {
        List<Integer> r = new ArrayList<>();
        for (int x : xs) {
            r.add(x);
        }
        return r;
    }
}
