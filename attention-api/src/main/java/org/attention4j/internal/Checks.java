package org.attention4j.internal;

import java.util.Arrays;
import org.attention4j.DType;
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
        // Contiguous heap tensors are scanned in place: the check runs on every call (gates of a long
        // sequence are megabytes), so it must not copy them first.
        if (t.isContiguous()) {
            int off = Math.toIntExact(t.offset()), n = Math.toIntExact(t.numel());
            float[] f = t.storage().floatArrayOrNull();
            short[] h = t.storage().shortArrayOrNull();
            if (f != null) {
                for (int i = 0; i < n; i++) {
                    if (!Float.isFinite(f[off + i])) throw notFinite(t, arg, f[off + i], i);
                }
                return;
            }
            if (h != null) {
                // A 16-bit value is infinite or NaN exactly when its exponent bits are all ones.
                int exp = t.dtype() == DType.BF16 ? 0x7F80 : 0x7C00;
                for (int i = 0; i < n; i++) {
                    if ((h[off + i] & exp) == exp) throw notFinite(t, arg, t.storage().getFloat(off + i), i);
                }
                return;
            }
        }
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) throw notFinite(t, arg, v[i], i);
        }
    }

    private static IllegalArgumentException notFinite(Tensor t, String arg, float value, int flatIndex) {
        return mismatch(arg, "finite values", value + " at flat index " + flatIndex + " of shape " + Arrays.toString(t.shape()));
    }

    /**
     * The shared shape rules of {@code q [B, S..., H, D]}, {@code k [B, Sk..., Hkv, D]}, {@code v [B, Sk..., Hkv, Dv]}
     * for every tier (host tensors and device tensors alike). With {@code sameGrid}, k and v must have q's
     * sequence/spatial extents (neighborhood, radial, linear family) and rank 4 to 6 is allowed.
     */
    public static void qkv(long[] q, DType qd, long[] k, DType kd, long[] v, DType vd, boolean sameGrid) {
        int rank = q.length;
        if (rank < 4 || rank > 6 || (!sameGrid && rank != 4)) {
            throw mismatch("q", sameGrid ? "rank 4, 5 or 6 [B, X.., H, D]" : "rank 4 [B, S, H, D]",
                    "rank " + rank + " " + Arrays.toString(q));
        }
        check(k.length == rank, "k", "rank " + rank + " like q " + Arrays.toString(q), "rank " + k.length + " " + Arrays.toString(k));
        check(v.length == rank, "v", "rank " + rank + " like q " + Arrays.toString(q), "rank " + v.length + " " + Arrays.toString(v));
        if (kd != qd) throw mismatch("k", "dtype " + qd + " (same as q)", "dtype " + kd);
        if (vd != qd) throw mismatch("v", "dtype " + qd + " (same as q)", "dtype " + vd);
        check(q[0] == k[0], "k", "batch B = " + q[0] + " (dimension 0)", k[0]);
        check(q[0] == v[0], "v", "batch B = " + q[0] + " (dimension 0)", v[0]);
        for (int d = 1; d < rank - 2; d++) {
            if (sameGrid) {
                check(k[d] == q[d], "k", "the token grid of q (dimension " + d + " = " + q[d] + ")", Arrays.toString(k));
            }
            check(v[d] == k[d], "v", "the key extent of k (dimension " + d + " = " + k[d] + ")", Arrays.toString(v));
        }
        long h = q[rank - 2], hkv = k[rank - 2];
        check(v[rank - 2] == hkv, "v", "kv heads Hkv = " + hkv + " like k", v[rank - 2]);
        if (hkv <= 0 || h % hkv != 0) {
            throw mismatch("k", "kv heads Hkv dividing the query heads H = " + h, "Hkv = " + hkv);
        }
        check(k[rank - 1] == q[rank - 1], "k", "head dim D = " + q[rank - 1] + " like q", k[rank - 1]);
        check(q[rank - 1] > 0, "q", "head dim D > 0", q[rank - 1]);
        check(v[rank - 1] > 0, "v", "value head dim Dv > 0", v[rank - 1]);
        for (int d = 0; d < rank - 2; d++) {
            check(q[d] > 0, "q", "non-empty dimension " + d, Arrays.toString(q));
        }
        for (int d = 1; d < rank - 2; d++) {
            check(k[d] > 0, "k", "non-empty dimension " + d, Arrays.toString(k));
        }
    }

    /** Per-batch key ranges: {@code keyStart} may be null (zeros); {@code 0 <= start <= end <= sk} for each batch. */
    public static void keyRanges(int[] keyStart, int[] keyEnd, int batch, int sk) {
        if (keyEnd == null) {
            check(keyStart == null, "keyStart", "null when keyEnd is null", Arrays.toString(keyStart));
            return;
        }
        check(keyEnd.length == batch, "keyEnd", "length B = " + batch, keyEnd.length);
        if (keyStart != null) {
            check(keyStart.length == batch, "keyStart", "length B = " + batch, keyStart.length);
        }
        for (int i = 0; i < batch; i++) {
            int s = keyStart == null ? 0 : keyStart[i];
            int e = keyEnd[i];
            if (s < 0 || e < s || e > sk) {
                throw mismatch("keyStart[" + i + "]/keyEnd[" + i + "]", "0 <= start <= end <= Sk = " + sk, s + ", " + e);
            }
        }
    }
}
