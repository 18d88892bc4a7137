package org.attention4j.reference;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.attention4j.DType;
import org.attention4j.Tensor;

/** Seeded test inputs and the comparison every reference test uses. */
public final class Inputs {
    private Inputs() {
    }

    /** A contiguous F32 tensor of standard normal values. */
    public static Tensor normal(SplittableRandom rnd, long... shape) {
        return Tensor.of(normals(rnd, size(shape)), shape);
    }

    /** Standard normal values. */
    public static float[] normals(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
            double u = 1 - rnd.nextDouble(), w = rnd.nextDouble();
            x[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w));
        }
        return x;
    }

    /** {@code log σ(scale·z + shift)} for standard normal z: the GLA layer's gate before its {@code /16}. */
    public static Tensor logSigmoid(SplittableRandom rnd, double scale, double shift, long... shape) {
        float[] x = normals(rnd, size(shape));
        for (int i = 0; i < x.length; i++) {
            double a = scale * x[i] + shift;
            x[i] = (float) -(Math.max(-a, 0) + Math.log1p(Math.exp(-Math.abs(a))));
        }
        return Tensor.of(x, shape);
    }

    public static int size(long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return Math.toIntExact(n);
    }

    public static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    /** Every element within {@code tol} times the largest expected magnitude. */
    public static void assertClose(String what, float[] actual, double[] expected, double tol) {
        assertThat(actual).as(what + " length").hasSize(expected.length);
        double scale = 0;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        assertThat(scale).as(what + " has a non-zero expectation (else the comparison proves nothing)").isPositive();
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            if (Double.isNaN(err)) {
                worst = Double.NaN;
                at = i;
                break;
            }
            if (err > worst) {
                worst = err;
                at = i;
            }
        }
        assertThat(worst / scale).as("%s: worst relative error at flat index %d (got %s, expected %s)", what, at,
                at < 0 ? "-" : actual[at], at < 0 ? "-" : expected[at]).isLessThanOrEqualTo(tol);
    }

    public static void assertClose(String what, Tensor actual, double[] expected, double tol) {
        assertClose(what, actual.toFloatArray(), expected, tol);
    }

    public static void assertClose(String what, Tensor actual, Tensor expected, double tol) {
        assertClose(what, actual.toFloatArray(), widen(expected.toFloatArray()), tol);
    }

    /** Token {@code t} of {@code [B, T, H, D]} as the {@code [B, H, D]} row a decode step takes. */
    public static Tensor token(Tensor x, int t) {
        return x.slice(1, t, t + 1).contiguous().reshape(x.size(0), x.size(2), x.size(3));
    }

    public static double maxAbsDiff(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

    /** An F32 contiguous tensor of uniform values in [-1, 1). */
    public static Tensor random(long seed, long... shape) {
        return Tensor.of(uniform(seed, shape), shape);
    }

    /** A tensor of {@code dtype} holding uniform values in [-1, 1) rounded to that type. */
    public static Tensor random(DType dtype, long seed, long... shape) {
        return Tensor.fromFloats(dtype, uniform(seed, shape), shape);
    }

    private static float[] uniform(long seed, long[] shape) {
        long n = 1;
        for (long x : shape) {
            n *= x;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (2 * rnd.nextDouble() - 1);
        }
        return a;
    }

    /**
     * Values {@code [B, Sk, Hkv, Sk]} whose row for key j is the one-hot vector e_j: an output row is then the
     * attention weights themselves, so it shows exactly which keys the query saw.
     */
    public static Tensor oneHotValues(int batch, int keys, int kvHeads) {
        float[] a = new float[batch * keys * kvHeads * keys];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < keys; j++) {
                for (int g = 0; g < kvHeads; g++) {
                    a[((b * keys + j) * kvHeads + g) * keys + j] = 1;
                }
            }
        }
        return Tensor.of(a, batch, keys, kvHeads, keys);
    }
}
