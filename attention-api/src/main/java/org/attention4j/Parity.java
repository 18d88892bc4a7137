package org.attention4j;

import java.util.Arrays;
import java.util.Locale;
import org.attention4j.internal.Checks;
import org.attention4j.internal.Verifier;

/**
 * How far a tensor is from an expected one (another library's output, read with {@link Npy#read}), with the
 * measure the dispatcher verifies backends with: relative L2 error, plus the largest absolute difference
 * and where it is.
 *
 * <pre>{@code
 * Tensor o = Attention.softmax().causal(true).build().forward(Npy.read(q), Npy.read(k), Npy.read(v));
 * Parity.of(Npy.read(expected), o).require();   // throws with the numbers when outside the tolerance
 * }</pre>
 *
 * @param elements    number of elements compared
 * @param relL2Error  {@code ||actual - expected|| / ||expected||} (the plain norm of the difference when the
 *                    expected tensor is all zeros); NaN when a NaN differs from the expected value
 * @param maxAbsError largest {@code |actual - expected|} (NaN as above)
 * @param worstIndex  logical index of that largest difference (of the first mismatching NaN if any)
 * @param tolerance   the relative L2 tolerance that {@link #ok()} applies: the dispatcher's for the
 *                    expected tensor's dtype, unless given
 */
public record Parity(long elements, double relL2Error, double maxAbsError, long[] worstIndex, double tolerance) {
    public Parity {
        Checks.notNull(worstIndex, "worstIndex");
        worstIndex = worstIndex.clone();
    }

    /** Compares {@code actual} with {@code expected} (same shape, any dtypes and strides). */
    public static Parity of(Tensor expected, Tensor actual) {
        Checks.notNull(expected, "expected");
        return of(expected, actual, Verifier.tolerance(expected.dtype()));
    }

    /** {@link #of(Tensor, Tensor)} with an explicit relative L2 tolerance. */
    public static Parity of(Tensor expected, Tensor actual, double tolerance) {
        Checks.notNull(expected, "expected");
        Checks.notNull(actual, "actual");
        Checks.check(Double.isFinite(tolerance) && tolerance >= 0, "tolerance", "a finite value >= 0", tolerance);
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            throw Checks.mismatch("actual", "shape " + Arrays.toString(expected.shape()) + " like expected",
                    "shape " + Arrays.toString(actual.shape()));
        }
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        double num = 0, den = 0, maxAbs = 0;
        int worst = 0;
        boolean nanMismatch = false;
        for (int i = 0; i < e.length; i++) {
            boolean en = Float.isNaN(e[i]), an = Float.isNaN(a[i]);
            if (en || an) {
                if (en != an && !nanMismatch) {
                    nanMismatch = true;
                    worst = i;
                }
                continue;
            }
            if (e[i] == a[i]) {
                den += (double) e[i] * e[i];
                continue; // equal infinities included
            }
            double d = (double) a[i] - e[i];
            if (!nanMismatch && Math.abs(d) > maxAbs) {
                maxAbs = Math.abs(d);
                worst = i;
            }
            num += d * d;
            den += (double) e[i] * e[i];
        }
        double rel = den == 0 ? Math.sqrt(num) : Math.sqrt(num) / Math.sqrt(den);
        if (nanMismatch) {
            rel = Double.NaN;
            maxAbs = Double.NaN;
        }
        return new Parity(e.length, rel, maxAbs, unravel(worst, expected.shape()), tolerance);
    }

    /** Whether the relative L2 error is within the tolerance (false when a NaN differs). */
    public boolean ok() {
        return relL2Error <= tolerance;
    }

    /** This parity if {@link #ok()}, else an {@link AssertionError} with the numbers. */
    public Parity require() {
        if (!ok()) {
            throw new AssertionError("outside tolerance: " + this);
        }
        return this;
    }

    @Override
    public long[] worstIndex() {
        return worstIndex.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Parity p && p.elements == elements && Double.compare(p.relL2Error, relL2Error) == 0
                && Double.compare(p.maxAbsError, maxAbsError) == 0 && Arrays.equals(p.worstIndex, worstIndex)
                && Double.compare(p.tolerance, tolerance) == 0;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(elements) * 31 + Double.hashCode(relL2Error) * 17 + Arrays.hashCode(worstIndex);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "rel. L2 error %.3e (tolerance %.1e, %s), max |diff| %.3e at %s, %d elements",
                relL2Error, tolerance, ok() ? "ok" : "FAILED", maxAbsError, Arrays.toString(worstIndex), elements);
    }

    private static long[] unravel(long flat, long[] shape) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 0) return idx;
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }
}
