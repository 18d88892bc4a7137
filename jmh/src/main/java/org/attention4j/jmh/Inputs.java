package org.attention4j.jmh;

import java.util.SplittableRandom;
import org.attention4j.Tensor;

/** Seeded benchmark inputs, so every run and every backend sees the same numbers. */
final class Inputs {
    private Inputs() {
    }

    /** Standard normal fp32 values of the given shape. */
    static Tensor randn(long seed, long... shape) {
        return Tensor.of(gaussian(seed, count(shape)), shape);
    }

    /** GLA-style log gates: {@code logsigmoid(x) / 16} of a standard normal x, so every gate is {@code < 0} and mild. */
    static Tensor logGates(long seed, long... shape) {
        float[] x = gaussian(seed, count(shape));
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (-Math.log1p(Math.exp(-x[i])) / 16);
        }
        return Tensor.of(x, shape);
    }

    static float[] gaussian(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static int count(long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return Math.toIntExact(n);
    }
}
