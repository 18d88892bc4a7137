package org.attention4j.jmh;

import java.util.SplittableRandom;
import org.attention4j.Tensor;

/** Seeded benchmark inputs. */
final class Inputs {
    private Inputs() {
    }

    /** A contiguous F32 tensor of roughly unit-variance values. */
    static Tensor normal(SplittableRandom rnd, long... shape) {
        long n = 1;
        for (long x : shape) n *= x;
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = (float) ((rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() - 1.5) * 2);
        return Tensor.of(a, shape);
    }

    /** {@code log σ(x) / normalizer} gates for GLA. */
    static Tensor logSigmoidGates(SplittableRandom rnd, double normalizer, long... shape) {
        Tensor x = normal(rnd, shape);
        float[] g = x.toFloatArray();
        for (int i = 0; i < g.length; i++) g[i] = (float) (-Math.log1p(Math.exp(-g[i])) / normalizer);
        return Tensor.of(g, shape);
    }
}
