package org.attention4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.attention4j.DType;
import org.attention4j.Tensor;
import org.attention4j.cpu.vectorization.VectorizationProvider;

/** Random inputs, tolerances and comparisons shared by the CPU kernel tests. */
public final class TestData {
    private TestData() {
    }

    /** A fresh seed per run, printed so a failure can be replayed with {@code -Dattention4j.test.seed}. */
    public static SplittableRandom random(String test) {
        String fixed = System.getProperty("attention4j.test.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime();
        System.out.println(test + ": seed " + seed + " (replay with -Dattention4j.test.seed=" + seed + ")");
        return new SplittableRandom(seed);
    }

    /**
     * A tensor of {@code shape} with values uniform in [-amp, amp], stored as {@code dtype}. With
     * {@code strided}, the storage is laid out with dims 1 and 2 swapped (a [B, H, S, D] buffer seen as
     * [B, S, H, D]) so kernels see non-contiguous strides.
     */
    public static Tensor tensor(SplittableRandom rnd, DType dtype, boolean strided, double amp, long... shape) {
        int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] vals = new float[n];
        for (int i = 0; i < n; i++) {
            vals[i] = (float) ((rnd.nextDouble() * 2 - 1) * amp);
        }
        if (!strided || shape.length < 3) {
            return Tensor.fromFloats(dtype, vals, shape);
        }
        long[] swapped = shape.clone();
        swapped[1] = shape[2];
        swapped[2] = shape[1];
        return Tensor.fromFloats(dtype, vals, swapped).transpose(1, 2);
    }

    /** {@code n} standard normal floats (operands of the tile kernels' provider-against-scalar tests). */
    public static float[] gaussians(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    /** Relative tolerance of a kernel output stored as {@code dtype} (fp32 compute; half-precision output rounding). */
    public static double tolerance(DType dtype) {
        switch (dtype) {
            case F16: return 2e-3;
            case BF16: return 1.2e-2;
            default: return 2e-4;
        }
    }

    /** Relative L2 error of {@code got} against {@code want} (absolute when want is all zero). */
    public static double relativeL2(float[] got, double[] want) {
        assertThat(got.length).isEqualTo(want.length);
        double num = 0, den = 0;
        for (int i = 0; i < got.length; i++) {
            assertThat(Float.isNaN(got[i])).as("NaN at %d", i).isFalse();
            double d = got[i] - want[i];
            num += d * d;
            den += want[i] * want[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    public static double relativeL2(float[] got, float[] want) {
        double[] w = new double[want.length];
        for (int i = 0; i < w.length; i++) w[i] = want[i];
        return relativeL2(got, w);
    }

    public static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    /** Asserts LSE values agree to {@code tol * max(1, |want|)}, with matching infinities. */
    public static void assertLse(float[] got, double[] want, double tol) {
        assertThat(got.length).isEqualTo(want.length);
        for (int i = 0; i < got.length; i++) {
            if (Double.isInfinite(want[i])) {
                assertThat(got[i]).as("lse[%d]", i).isEqualTo((float) want[i]);
            } else {
                assertThat((double) got[i]).as("lse[%d]", i).isCloseTo(want[i],
                        org.assertj.core.data.Offset.offset(tol * Math.max(1, Math.abs(want[i]))));
            }
        }
    }

    /** The providers under test: the process-wide one and, when that is vectorized, the scalar one too. */
    public static VectorizationProvider[] providers() {
        VectorizationProvider p = VectorizationProvider.getInstance();
        return p == VectorizationProvider.scalar() || p.tileOps().lanes() == 1
                ? new VectorizationProvider[] {p}
                : new VectorizationProvider[] {p, VectorizationProvider.scalar()};
    }
}
