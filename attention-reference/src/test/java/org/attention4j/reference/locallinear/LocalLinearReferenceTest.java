package org.attention4j.reference.locallinear;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.attention4j.reference.Inputs.assertClose;
import static org.attention4j.reference.Inputs.maxAbsDiff;
import static org.attention4j.reference.Inputs.normal;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.attention4j.Attention;
import org.attention4j.DType;
import org.attention4j.FeatureMap;
import org.attention4j.KvCache;
import org.attention4j.LocalLinearAttention;
import org.attention4j.Tensor;
import org.attention4j.reference.ReferenceBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.reference.locallinear.LocalLinearForms.Lambda;
import org.junit.jupiter.api.Test;

/** Local linear attention through the facade against the forms of {@link LocalLinearForms}. */
class LocalLinearReferenceTest {
    private static final double TOL = 1e-5;
    private static final int B = 2, S = 9, H = 4, HKV = 2, D = 4, DV = 3;
    private static final double TAU = 1 / Math.sqrt(D);

    private final SplittableRandom rnd = new SplittableRandom(710);
    private final Tensor q = normal(rnd, B, S, H, D), k = normal(rnd, B, S, HKV, D), v = normal(rnd, B, S, HKV, DV);

    @Test
    void workedExampleOfSpecSevenOne() {
        // D = 1, τ = 1, λ = 0.1; query q_1 = 1; keys (0, 2); values (1, 3), on the line v = k + 1.
        Tensor wq = Tensor.of(new float[] {0.5f, 1f}, 1, 2, 1, 1);
        Tensor wk = Tensor.of(new float[] {0f, 2f}, 1, 2, 1, 1);
        Tensor wv = Tensor.of(new float[] {1f, 3f}, 1, 2, 1, 1);
        LocalLinearAttention op = Attention.localLinear().ridgeLambda(0.1).scale(1.0).deltaEps(0).build();
        float[] o = op.forward(wq, wk, wv).toFloatArray();
        assertThat(o[0]).as("o_0 = v_0").isCloseTo(1f, within(1e-6f));
        assertThat(o[1]).as("o_1").isCloseTo(2.1465f, within(5e-5f));
        // Identity values expose the weights: S_1 = (0.4268, 0.5732).
        float[] weights = op.forward(wq, wk, Tensor.of(new float[] {1f, 0f, 0f, 1f}, 1, 2, 1, 2)).toFloatArray();
        assertThat(weights[2]).isCloseTo(0.4268f, within(5e-5f));
        assertThat(weights[3]).isCloseTo(0.5732f, within(5e-5f));
        // Softmax (λ -> ∞) gives 2.7616; unregularized local linear regression (λ -> 0) gives q + 1 = 2.
        assertThat(Attention.localLinear().ridgeLambda(1e9).scale(1.0).build().forward(wq, wk, wv).toFloatArray()[1])
                .isCloseTo(2.7616f, within(5e-5f));
        assertThat(Attention.localLinear().ridgeLambda(1e-9).scale(1.0).build().forward(wq, wk, wv).toFloatArray()[1])
                .isCloseTo(2f, within(1e-6f));
    }

    @Test
    void agreesWithTheRidgeRegressionInterceptForScalarAndPerQueryLambda() {
        LocalLinearAttention op = Attention.localLinear().ridgeLambda(0.5).build();
        Tensor o = op.forward(q, k, v);
        assertThat(o.shape()).containsExactly(B, S, H, DV);
        assertThat(o.dtype()).isEqualTo(DType.F32);
        assertClose("scalar lambda", o, LocalLinearForms.run(q, k, v, true, Lambda.of(0.5), LocalLinearForms.regression(TAU)), TOL);

        float[] perQuery = new float[B * S];
        for (int i = 0; i < perQuery.length; i++) perQuery[i] = (float) Math.exp(4 * rnd.nextDouble() - 2);
        assertClose("lambda [B, S]", op.forward(q, k, v, Tensor.of(perQuery, B, S)),
                LocalLinearForms.run(q, k, v, true, (b, i, h) -> perQuery[b * S + i], LocalLinearForms.regression(TAU)), TOL);

        float[] perHead = new float[B * S * H];
        for (int i = 0; i < perHead.length; i++) perHead[i] = (float) Math.exp(4 * rnd.nextDouble() - 2);
        assertClose("lambda [B, S, H]", op.forward(q, k, v, Tensor.of(perHead, B, S, H)),
                LocalLinearForms.run(q, k, v, true, (b, i, h) -> perHead[(b * S + i) * H + h], LocalLinearForms.regression(TAU)), TOL);
    }

    @Test
    void firstTokenOutputsItsValueForAnyLambda() {
        for (double lambda : new double[] {1e-3, 0.1, 10, 1e4}) {
            Tensor o = Attention.localLinear().ridgeLambda(lambda).deltaEps(0).build().forward(q, k, v);
            for (int b = 0; b < B; b++) {
                for (int h = 0; h < H; h++) {
                    for (int e = 0; e < DV; e++) {
                        assertThat(o.get(b, 0, h, e)).as("λ = %s, b %d, h %d", lambda, b, h)
                                .isCloseTo(v.get(b, 0, h / (H / HKV), e), within(1e-5f));
                    }
                }
            }
        }
    }

    @Test
    void weightsSumToOneCanBeNegativeAndAreCausal() {
        int n = 6;
        // Doubled inputs sharpen the softmax weights, which makes negative LLA weights likely.
        FeatureMap twice = FeatureMap.of(x -> 2 * x);
        Tensor wq = twice.apply(normal(rnd, 1, n, 1, 2)), wk = twice.apply(normal(rnd, 1, n, 1, 2));
        float[] eye = new float[n * n];
        for (int j = 0; j < n; j++) eye[j * n + j] = 1;
        Tensor weights = Attention.localLinear().ridgeLambda(0.1).build().forward(wq, wk, Tensor.of(eye, 1, n, 1, n));
        boolean negative = false;
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
                float s = weights.get(0, i, 0, j);
                if (j > i) {
                    assertThat(s).as("S[%d][%d] past the query", i, j).isZero();
                }
                negative |= s < 0;
                sum += s;
            }
            assertThat(sum).as("row %d", i).isCloseTo(1, within(1e-6));
        }
        assertThat(negative).as("some S_ij < 0").isTrue();
    }

    @Test
    void largeLambdaIsCausalSoftmax() {
        Tensor o = Attention.localLinear().ridgeLambda(1e9).build().forward(q, k, v);
        assertClose("λ = 1e9", o, LocalLinearForms.run(q, k, v, true, Lambda.of(1e9), LocalLinearForms.softmax(TAU)), 1e-6);
    }

    @Test
    void blockDiagonalOptionMatchesTheAnchorsClosedForm() {
        Tensor block2 = Attention.localLinear().ridgeLambda(0.3).blockSize(2).build().forward(q, k, v);
        assertClose("block 2", block2,
                LocalLinearForms.run(q, k, v, true, Lambda.of(0.3), LocalLinearForms.anchorClosedForm(TAU, 2, 1e-12)), TOL);
        Tensor full = Attention.localLinear().ridgeLambda(0.3).build().forward(q, k, v);
        assertClose("block D is the full system", Attention.localLinear().ridgeLambda(0.3).blockSize(D).build().forward(q, k, v), full, TOL);
        assertClose("full, anchor form", full,
                LocalLinearForms.run(q, k, v, true, Lambda.of(0.3), LocalLinearForms.anchorClosedForm(TAU, D, 1e-12)), TOL);
        assertThat(maxAbsDiff(block2, full)).as("block-diagonal differs from full").isGreaterThan(1e-3);
    }

    @Test
    void deltaEpsIsAddedWithTheSignOfDelta() {
        // One key: δ = λ / (|u|² + λ) > 0 and 1 - ⟨ρ, u⟩ = δ, so o_0 = v_0 δ / (δ + ε).
        double eps = 0.25, lambda = 2;
        Tensor o = Attention.localLinear().ridgeLambda(lambda).deltaEps(eps).build().forward(q, k, v);
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                double u2 = 0;
                for (int c = 0; c < D; c++) {
                    double u = k.get(b, 0, h / (H / HKV), c) - q.get(b, 0, h, c);
                    u2 += u * u;
                }
                double delta = lambda / (u2 + lambda);
                for (int e = 0; e < DV; e++) {
                    assertThat((double) o.get(b, 0, h, e)).isCloseTo(v.get(b, 0, h / (H / HKV), e) * delta / (delta + eps), within(1e-6));
                }
            }
        }
        assertClose("ε = 0.25 everywhere", o,
                LocalLinearForms.run(q, k, v, true, Lambda.of(lambda), LocalLinearForms.anchorClosedForm(TAU, D, eps)), TOL);
    }

    @Test
    void nonCausalExtensionUsesEveryKey() {
        Tensor kl = normal(rnd, B, 12, HKV, D), vl = normal(rnd, B, 12, HKV, DV);
        Tensor o = Attention.localLinear().causal(false).ridgeLambda(0.2).build().forward(q.slice(1, 0, 5), kl, vl);
        assertClose("non-causal, Sq = 5, Sk = 12", o,
                LocalLinearForms.run(q.slice(1, 0, 5), kl, vl, false, Lambda.of(0.2), LocalLinearForms.regression(TAU)), TOL);
    }

    @Test
    void causalWithFewerQueriesThanKeysAlignsBottomRight() {
        LocalLinearAttention op = Attention.localLinear().ridgeLambda(0.7).build();
        Tensor last3 = q.slice(1, S - 3, S);
        Tensor o = op.forward(last3, k, v);
        assertClose("the last rows of the square forward", o, op.forward(q, k, v).slice(1, S - 3, S), TOL);
        assertClose("regression over j <= i + Sk - Sq", o,
                LocalLinearForms.run(last3, k, v, true, Lambda.of(0.7), LocalLinearForms.regression(TAU)), TOL);
    }

    @Test
    void kvCacheDecodeEqualsTheForwardOverTheSamePrefix() {
        LocalLinearAttention op = Attention.localLinear().ridgeLambda(0.4).build();
        KvCache cache = op.newKvCache(B, 12, HKV, D, DV, DType.F32);
        cache.append(k.slice(1, 0, 6), v.slice(1, 0, 6)).setLeftPadding(2, 0);

        // Batch 0 holds keys 2..5 (left padding 2), batch 1 keys 0..5; one new query sees them all.
        Tensor qNew = q.slice(1, 5, 6);
        Tensor decoded = cache.decode(qNew);
        int[][] ranges = {{2, 6}, {0, 6}};
        for (int b = 0; b < B; b++) {
            int from = ranges[b][0], to = ranges[b][1];
            Tensor forward = op.forward(q.slice(0, b, b + 1).slice(1, from, to), k.slice(0, b, b + 1).slice(1, from, to),
                    v.slice(0, b, b + 1).slice(1, from, to));
            assertClose("batch " + b + " decode", decoded.slice(0, b, b + 1), forward.slice(1, to - from - 1, to - from), TOL);
        }

        // Two more tokens appended and decoded together: causal among themselves, as in the forward.
        Tensor two = cache.decode(q.slice(1, 6, 8), k.slice(1, 6, 8), v.slice(1, 6, 8));
        for (int b = 0; b < B; b++) {
            int from = ranges[b][0], to = 8;
            Tensor forward = op.forward(q.slice(0, b, b + 1).slice(1, from, to), k.slice(0, b, b + 1).slice(1, from, to),
                    v.slice(0, b, b + 1).slice(1, from, to));
            assertClose("batch " + b + " two-row decode", two.slice(0, b, b + 1), forward.slice(1, to - from - 2, to - from), TOL);
        }
    }

    @Test
    void rowsWithNoValidKeyOutputZero() {
        LocalLinearAttention op = Attention.localLinear().build();
        KvCache cache = op.newKvCache(B, 4, HKV, D, DV, DType.F32);
        cache.append(k.slice(1, 0, 2), v.slice(1, 0, 2)).setLeftPadding(2, 1);
        // Batch 0 has no valid key; batch 1 has one, which only the last of three queries can see.
        Tensor o = cache.decode(q.slice(1, 0, 3));
        for (int h = 0; h < H; h++) {
            for (int e = 0; e < DV; e++) {
                for (int i = 0; i < 3; i++) {
                    assertThat(o.get(0, i, h, e)).isZero();
                }
                assertThat(o.get(1, 0, h, e)).isZero();
                assertThat(o.get(1, 1, h, e)).isZero();
                assertThat(o.get(1, 2, h, e)).isCloseTo(v.get(1, 1, h / (H / HKV), e), within(1e-5f));
            }
        }
    }

    @Test
    void sampledQueryRowsAreTheFullForwardsRows() {
        // The verifier asks the reference for a few rows only; those rows must be exact and the rest are skipped.
        LocalLinearAttention op = Attention.localLinear().ridgeLambda(0.6).build();
        boolean[] rows = new boolean[S];
        rows[0] = rows[4] = rows[S - 1] = true;
        Tensor sampled = new ReferenceBackend().forward(AttentionCall.builder(op, q, k, v).queryRows(rows).build()).output();
        Tensor full = op.forward(q, k, v);
        for (int i = 0; i < S; i++) {
            if (rows[i]) {
                assertClose("row " + i, sampled.slice(1, i, i + 1), full.slice(1, i, i + 1), 0);
            } else {
                assertThat(sampled.slice(1, i, i + 1).toFloatArray()).as("skipped row %d", i).containsOnly(0f);
            }
        }
    }

    @Test
    void halfPrecisionInputsGiveOutputsInTheirDtype() {
        Tensor hq = q.to(DType.BF16), hk = k.to(DType.BF16), hv = v.to(DType.BF16);
        Tensor o = Attention.localLinear().ridgeLambda(1.0).build().forward(hq, hk, hv);
        assertThat(o.dtype()).isEqualTo(DType.BF16);
        assertClose("bf16 output (one bf16 rounding)", o,
                LocalLinearForms.run(hq, hk, hv, true, Lambda.of(1.0), LocalLinearForms.regression(TAU)), DType.BF16.epsilon());
    }

    @Test
    void badInputsAreRejectedNamingTheArgumentTheExpectedAndTheActualValue() {
        assertThatThrownBy(() -> Attention.localLinear().ridgeLambda(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("ridgeLambda:").hasMessageContaining("> 0").hasMessageContaining("0.0");
        assertThatThrownBy(() -> Attention.localLinear().ridgeLambda(-2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("ridgeLambda:").hasMessageContaining("-2.0");
        assertThatThrownBy(() -> Attention.localLinear().ridgeLambda(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("ridgeLambda:").hasMessageContaining("NaN");
        LocalLinearAttention op = Attention.localLinear().build();
        float[] lambda = new float[B * S];
        Arrays.fill(lambda, 1f);
        lambda[5] = 0f;
        assertThatThrownBy(() -> op.forward(q, k, v, Tensor.of(lambda, B, S)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("lambda:").hasMessageContaining("> 0")
                .hasMessageContaining("0.0 at flat index 5");
        lambda[5] = -1f;
        assertThatThrownBy(() -> op.forward(q, k, v, Tensor.of(lambda, B, S)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("lambda:").hasMessageContaining("-1.0");
        assertThatThrownBy(() -> op.forward(q, k, v, Tensor.of(new float[S], S)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("lambda:")
                .hasMessageContaining("[2, 9]").hasMessageContaining("[2, 9, 4]").hasMessageContaining("[9]");
        assertThatThrownBy(() -> Attention.localLinear().blockSize(3).build().forward(q, k, v))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("blockSize:").hasMessageContaining("D = 4").hasMessageContaining("3");
        assertThatThrownBy(() -> op.forward(q, k.slice(1, 0, 5), v.slice(1, 0, 5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("q:").hasMessageContaining("Sq <= Sk = 5").hasMessageContaining("Sq = 9");
        assertThatThrownBy(() -> Attention.localLinear().deltaEps(-1e-3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("deltaEps:").hasMessageContaining("-0.001");
    }
}
