package org.attention4j.reference;

import java.util.SplittableRandom;
import org.attention4j.DType;
import org.attention4j.Tensor;

/** Seeded test inputs. */
public final class Inputs {
    private Inputs() {
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
