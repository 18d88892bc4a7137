package org.attention4j.internal;

import java.util.Arrays;
import org.attention4j.Tensor;

/**
 * One place for argument validation. Every failure is an {@link IllegalArgumentException} whose message
 * names the argument, the expected value and the actual value, thrown before any backend runs.
 */
public final class Checks {
    private Checks() {
    }

    /** {@code "<arg>: expected <expected>, got <actual>"}. */
    public static IllegalArgumentException mismatch(String arg, String expected, String actual) {
        return new IllegalArgumentException(arg + ": expected " + expected + ", got " + actual);
    }

    public static <T> T notNull(T value, String arg) {
        if (value == null) {
            throw mismatch(arg, "a non-null value", "null");
        }
        return value;
    }

    public static void check(boolean ok, String arg, String expected, Object actual) {
        if (!ok) {
            throw mismatch(arg, expected, String.valueOf(actual));
        }
    }

    public static double finite(double x, String arg) {
        if (!Double.isFinite(x)) {
            throw mismatch(arg, "a finite number", String.valueOf(x));
        }
        return x;
    }

    public static double positiveFinite(double x, String arg) {
        if (!(Double.isFinite(x) && x > 0)) {
            throw mismatch(arg, "a finite number > 0", String.valueOf(x));
        }
        return x;
    }

    public static Tensor rank(Tensor t, String arg, int rank, String layout) {
        notNull(t, arg);
        if (t.rank() != rank) {
            throw mismatch(arg, "rank " + rank + " " + layout, "rank " + t.rank() + " " + Arrays.toString(t.shape()));
        }
        return t;
    }

    public static void dim(Tensor t, String arg, int dim, long expected, String what) {
        if (t.size(dim) != expected) {
            throw mismatch(arg, what + " = " + expected + " (dimension " + dim + ")",
                    t.size(dim) + " in shape " + Arrays.toString(t.shape()));
        }
    }

    public static void shape(Tensor t, String arg, long[] expected, String layout) {
        notNull(t, arg);
        if (!Arrays.equals(t.shape(), expected)) {
            throw mismatch(arg, "shape " + Arrays.toString(expected) + " " + layout, "shape " + Arrays.toString(t.shape()));
        }
    }

    public static void sameDtype(Tensor a, String argA, Tensor b, String argB) {
        if (a.dtype() != b.dtype()) {
            throw mismatch(argB, "dtype " + a.dtype() + " (same as " + argA + ")", "dtype " + b.dtype());
        }
    }

    /** Rejects NaN and infinities in a tensor that the anchors would accept unvalidated but that poison results. */
    public static void allFinite(Tensor t, String arg) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw mismatch(arg, "finite values", v[i] + " at flat index " + i + " of shape " + Arrays.toString(t.shape()));
            }
        }
    }
}
