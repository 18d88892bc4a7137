package org.attention4j;

import java.util.function.DoubleUnaryOperator;
import org.attention4j.internal.Checks;

/**
 * A feature map {@code φ} applied to queries and keys before linear attention (spec 3.2). It is a pre-op,
 * not part of the operator, as in fla where the layer applies it before the kernel:
 * <pre>{@code
 * FeatureMap phi = FeatureMap.eluPlusOne();
 * LinearOutput r = Attention.linear().normalize(true).build().forward(phi.apply(q), phi.apply(k), v);
 * }</pre>
 * Any {@code Tensor -> Tensor} function is a feature map, so Kotlin ({@code FeatureMap { x -> ... }}) and
 * Scala lambdas convert to it; {@link #of(DoubleUnaryOperator)} lifts an element-wise function.
 *
 * <p>Maps act on the last axis of any tensor ({@code [B, T, H, D]} for attention inputs) and return a new
 * contiguous tensor of the input's dtype; values are computed in fp64 and stored through fp32.
 */
@FunctionalInterface
public interface FeatureMap {
    /** {@code φ(x)}: a new tensor; element-wise maps keep the shape, {@link #dpfp(int)} widens the last axis. */
    Tensor apply(Tensor x);

    /** {@code φ(x) = x} (a copy, so callers may write the result). */
    static FeatureMap identity() {
        return of(x -> x);
    }

    /** {@code φ(x) = elu(x) + 1}: {@code x + 1} for {@code x > 0}, else {@code exp(x)}; always positive. */
    static FeatureMap eluPlusOne() {
        return of(x -> x > 0 ? x + 1 : Math.exp(x));
    }

    /** {@code φ(x) = max(x, 0)}. */
    static FeatureMap relu() {
        return of(x -> x > 0 ? x : 0.0);
    }

    /**
     * Deterministic parameter-free projection (Schlag et al. 2021; fla {@code DPFPFeatureMap}). With
     * {@code r = [relu(x), relu(-x)]} of length {@code 2D}, the output has length {@code 2D·ν}:
     * <pre>
     *   φ(x)[(j-1)·2D + i] = r[i] · r[(i - j) mod 2D]      for j = 1..ν, i = 0..2D-1
     * </pre>
     * (fla concatenates {@code r · roll(r, j)} for {@code j = 1..ν}; {@code roll} by {@code j} moves element
     * {@code i - j} to {@code i}.) Values are non-negative.
     *
     * @param nu the number of rolls {@code ν >= 1} (fla's default is 4)
     */
    static FeatureMap dpfp(int nu) {
        Checks.check(nu >= 1, "nu", ">= 1", nu);
        return x -> {
            Checks.notNull(x, "x");
            Checks.check(x.rank() >= 1, "x", "rank >= 1 (the map acts on the last axis)", x.rank());
            int d = x.dim(-1);
            int rows = d == 0 ? 0 : Math.toIntExact(x.numel() / d);
            int width = 2 * d;
            float[] in = x.toFloatArray();
            float[] out = new float[Math.multiplyExact(rows, Math.multiplyExact(width, nu))];
            double[] r = new double[width];
            for (int row = 0; row < rows; row++) {
                for (int i = 0; i < d; i++) {
                    double v = in[row * d + i];
                    r[i] = Math.max(v, 0);
                    r[d + i] = Math.max(-v, 0);
                }
                int base = row * width * nu;
                for (int j = 1; j <= nu; j++) {
                    for (int i = 0; i < width; i++) {
                        out[base + (j - 1) * width + i] = (float) (r[i] * r[Math.floorMod(i - j, width)]);
                    }
                }
            }
            long[] shape = x.shape();
            shape[shape.length - 1] = (long) width * nu;
            return Tensor.fromFloats(x.dtype(), out, shape);
        };
    }

    /** An element-wise map {@code φ(x)_i = f(x_i)}; {@code f} sees and returns doubles. */
    static FeatureMap of(DoubleUnaryOperator f) {
        Checks.notNull(f, "f");
        return x -> {
            Checks.notNull(x, "x");
            float[] v = x.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) f.applyAsDouble(v[i]);
            }
            return Tensor.fromFloats(x.dtype(), v, x.shape());
        };
    }
}
