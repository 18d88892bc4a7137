package org.attention4j.reference.softmax;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.attention4j.reference.Close.TOL;
import static org.attention4j.reference.Close.list;
import static org.attention4j.reference.Close.range;
import static org.attention4j.reference.Close.seenKeys;

import java.util.List;
import org.attention4j.Attention;
import org.attention4j.AttentionOutput;
import org.attention4j.DType;
import org.attention4j.SoftmaxAttention;
import org.attention4j.Tensor;
import org.attention4j.reference.Close;
import org.attention4j.reference.Inputs;
import org.attention4j.reference.Naive;
import org.attention4j.reference.ReferenceBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Softmax attention (spec section 1) through the facade against the brute-force formula, with masks and
 * biases written here from the spec text: causal is {@code j <= i + Sk - Sq} (bottom-right, 1.3), ALiBi is
 * {@code -slope |i + Sk - Sq - j|} non-causal and {@code +slope j} causal (1.2).
 */
class SoftmaxReferenceTest {

    /** Spec 1.3 causal, bottom-right: key j visible to query i iff j <= i + Sk - Sq. */
    static Naive.Mask causal(int sq, int sk) {
        return (b, h, i, j) -> j <= i + sk - sq;
    }

    @Test
    void causalSq2Sk5SeesTheWholePrefixOfItsAlignedPosition() {
        Tensor q = Tensor.zeros(DType.F32, 1, 2, 1, 4);
        Tensor o = Attention.softmax().causal(true).build().forward(q, Inputs.random(1, 1, 5, 1, 4), Inputs.oneHotValues(1, 5, 1));
        assertThat(seenKeys(o, 0, 0, 0)).isEqualTo(list(0, 1, 2, 3));
        assertThat(seenKeys(o, 0, 1, 0)).isEqualTo(list(0, 1, 2, 3, 4));
    }

    @Test
    void causalSq5Sk2LeavesRowsZeroToTwoEmptyWithZeroOutputAndInfiniteLse() {
        Tensor q = Inputs.random(2, 1, 5, 2, 4);
        Tensor k = Inputs.random(3, 1, 2, 2, 4);
        AttentionOutput r = Attention.softmax().causal(true).build().forwardWithLse(q, k, Inputs.oneHotValues(1, 2, 2));
        Tensor zq = Tensor.zeros(DType.F32, 1, 5, 2, 4);
        Tensor uniform = Attention.softmax().causal(true).build().forward(zq, k, Inputs.oneHotValues(1, 2, 2));
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i <= 2; i++) {
                for (int d = 0; d < 2; d++) {
                    assertThat(r.output().get(0, i, h, d)).as("empty row %d output", i).isEqualTo(0f);
                }
                assertThat(r.lse().get(0, h, i)).as("empty row %d LSE", i).isEqualTo(Float.POSITIVE_INFINITY);
            }
            assertThat(seenKeys(uniform, 0, 3, h)).isEqualTo(list(0));
            assertThat(seenKeys(uniform, 0, 4, h)).isEqualTo(list(0, 1));
            assertThat(r.lse().get(0, h, 3)).isFinite();
        }
        for (float x : r.output().toFloatArray()) {
            assertThat(x).isNotNaN();
        }
        for (float x : r.lse().toFloatArray()) {
            assertThat(x).isNotNaN();
        }
    }

    @ParameterizedTest(name = "B={0} Sq={1} Sk={2} H={3} Hkv={4} D={5} Dv={6} causal={7}")
    @CsvSource({
            "2, 7, 7, 6, 2, 8, 8, false",   // GQA 6:2
            "2, 7, 7, 6, 2, 8, 8, true",
            "1, 5, 9, 6, 1, 4, 4, true",    // MQA, Sq < Sk
            "1, 9, 5, 6, 1, 4, 4, true",    // MQA, Sq > Sk: empty rows at the top
            "2, 4, 11, 2, 2, 8, 3, false",  // Dk != Dv, Sq < Sk
            "2, 11, 4, 4, 2, 3, 8, true",   // Dk != Dv, Sq > Sk
            "1, 1, 6, 3, 3, 5, 5, true"})   // one decode row
    void matchesTheFormula(int batch, int sq, int sk, int heads, int kvHeads, int dim, int dv, boolean causal) {
        Tensor q = Inputs.random(10, batch, sq, heads, dim);
        Tensor k = Inputs.random(11, batch, sk, kvHeads, dim);
        Tensor v = Inputs.random(12, batch, sk, kvHeads, dv);
        AttentionOutput r = Attention.softmax().causal(causal).scale(0.7).build().forwardWithLse(q, k, v);
        Naive.Result want = Naive.attention(q, k, v, 0.7, causal ? causal(sq, sk) : Naive.ALL);
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
        assertThat(r.output().shape()).containsExactly(batch, sq, heads, dv);
        assertThat(r.output().dtype()).isEqualTo(DType.F32);
        assertThat(r.lse().dtype()).isEqualTo(DType.F32);
    }

    @Test
    void defaultScaleIsOneOverSqrtHeadDim() {
        Tensor q = Inputs.random(20, 1, 6, 2, 9);
        Tensor k = Inputs.random(21, 1, 6, 2, 9);
        Tensor v = Inputs.random(22, 1, 6, 2, 5);
        Tensor o = Attention.softmax().build().forward(q, k, v);
        Close.output(o, Naive.attention(q, k, v, 1 / 3.0, Naive.ALL), TOL);
    }

    @Test
    void softcapIsAppliedToTheScaledLogitsBeforeTheMask() {
        Tensor q = Inputs.random(30, 2, 6, 4, 8);
        Tensor k = Inputs.random(31, 2, 8, 2, 8);
        Tensor v = Inputs.random(32, 2, 8, 2, 8);
        // Scale 3 pushes |s| past the cap so the tanh saturates and the result differs from no softcap.
        AttentionOutput r = Attention.softmax().causal(true).scale(3).softcap(1.5).build().forwardWithLse(q, k, v);
        Naive.Result want = Naive.attention(q, k, v, 3, 1.5, causal(6, 8), Naive.NO_BIAS);
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
        Naive.Result uncapped = Naive.attention(q, k, v, 3, 0, causal(6, 8), Naive.NO_BIAS);
        assertThat(Math.abs(uncapped.lse(0, 0, 5) - want.lse(0, 0, 5))).isGreaterThan(1e-2);
    }

    @Test
    void softcapComesBeforeTheAlibiBias() {
        float[] slopes = {2.0f, 1.5f};
        Tensor q = Inputs.random(33, 1, 5, 2, 8);
        Tensor k = Inputs.random(34, 1, 7, 1, 8);
        Tensor v = Inputs.random(35, 1, 7, 1, 4);
        AttentionOutput r = Attention.softmax().scale(3).softcap(0.5).alibiSlopes(slopes).build().forwardWithLse(q, k, v);
        Naive.Bias bias = (b, h, i, j) -> -slopes[h] * Math.abs(i + 7 - 5 - j);
        Naive.Result want = Naive.attention(q, k, v, 3, 0.5, Naive.ALL, bias);
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
    }

    @Test
    void alibiNonCausalUsesTheDistanceToTheAlignedPosition() {
        int sq = 5, sk = 9;
        float[] slopes = {0.5f, 0.25f, 0.125f, 0.0625f};
        Tensor q = Inputs.random(40, 2, sq, 4, 8);
        Tensor k = Inputs.random(41, 2, sk, 2, 8);
        Tensor v = Inputs.random(42, 2, sk, 2, 6);
        AttentionOutput r = Attention.softmax().scale(0.4).alibiSlopes(slopes).build().forwardWithLse(q, k, v);
        Naive.Result want = Naive.attention(q, k, v, 0.4, 0, Naive.ALL,
                (b, h, i, j) -> -slopes[h] * Math.abs(i + sk - sq - j));
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
    }

    @Test
    void alibiCausalAddsSlopeTimesColumnAndItsLseCarriesThatConvention() {
        int sq = 6, sk = 9;
        float[] slopes = {0.5f, 0.25f, 0.125f, 0.0625f};
        Tensor q = Inputs.random(50, 2, sq, 4, 8);
        Tensor k = Inputs.random(51, 2, sk, 2, 8);
        Tensor v = Inputs.random(52, 2, sk, 2, 6);
        AttentionOutput r = Attention.softmax().causal(true).scale(0.4).alibiSlopes(slopes).build().forwardWithLse(q, k, v);
        Naive.Result want = Naive.attention(q, k, v, 0.4, 0, causal(sq, sk), (b, h, i, j) -> slopes[h] * j);
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
        // The distance form differs from FA's column form by the per-row constant slope * i': same output, LSE shifted.
        Naive.Result distance = Naive.attention(q, k, v, 0.4, 0, causal(sq, sk),
                (b, h, i, j) -> -slopes[h] * Math.abs(i + sk - sq - j));
        Close.output(r.output(), distance, TOL);
        int i = 4, h = 1;
        assertThat((double) r.lse().get(1, h, i)).isCloseTo(distance.lse(1, h, i) + slopes[h] * (i + sk - sq),
                offset(1e-5));
    }

    @Test
    void alibiSlopesPerBatchElement() {
        int sq = 4, sk = 4;
        float[] slopes = {0.5f, 0.1f, 1.0f, 0.3f}; // [B=2, H=2]
        Tensor q = Inputs.random(60, 2, sq, 2, 8);
        Tensor k = Inputs.random(61, 2, sk, 1, 8);
        Tensor v = Inputs.random(62, 2, sk, 1, 4);
        AttentionOutput r = Attention.softmax().causal(true).alibiSlopesPerBatch(slopes).build().forwardWithLse(q, k, v);
        Naive.Result want = Naive.attention(q, k, v, 1 / Math.sqrt(8), 0, causal(sq, sk),
                (b, h, i, j) -> slopes[b * 2 + h] * j);
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
    }

    @Test
    void stridedViewsAreReadInPlace() {
        int b = 2, s = 7, h = 4, hkv = 2, d = 8, dv = 5;
        // [B, H, S, D] storage seen as [B, S, H, D]; v is a slice of a wider tensor (offset and padding).
        Tensor q = Inputs.random(70, b, h, s, d).permute(0, 2, 1, 3);
        Tensor k = Inputs.random(71, b, hkv, s, d).permute(0, 2, 1, 3);
        Tensor v = Inputs.random(72, b, s + 3, hkv, dv + 2).slice(1, 2, 2 + s).slice(3, 1, 1 + dv);
        assertThat(q.isContiguous()).isFalse();
        assertThat(v.isContiguous()).isFalse();
        AttentionOutput r = Attention.softmax().causal(true).scale(0.3).build().forwardWithLse(q, k, v);
        Naive.Result want = Naive.attention(q, k, v, 0.3, causal(s, s));
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
        Close.output(Attention.softmax().causal(true).scale(0.3).build().forward(q.contiguous(), k.contiguous(), v.contiguous()), want, TOL);
    }

    @ParameterizedTest
    @CsvSource({"F16, 0.001", "BF16, 0.008"})
    void halfPrecisionInputsGiveOutputsOfTheirDtypeRoundedFromTheFormula(DType dtype, double outTol) {
        Tensor q = Inputs.random(dtype, 80, 2, 6, 4, 16);
        Tensor k = Inputs.random(dtype, 81, 2, 9, 2, 16);
        Tensor v = Inputs.random(dtype, 82, 2, 9, 2, 8);
        AttentionOutput r = Attention.softmax().causal(true).build().forwardWithLse(q, k, v);
        assertThat(r.output().dtype()).isEqualTo(dtype);
        assertThat(r.lse().dtype()).isEqualTo(DType.F32);
        // The formula on the same (already rounded) inputs; the output then only carries one rounding to dtype.
        Naive.Result want = Naive.attention(q, k, v, 0.25, causal(6, 9));
        Close.output(r.output(), want, outTol);
        Close.lse(r.lse(), want, TOL);
    }

    @Test
    void onlyTheRequestedQueryRowsAreComputed() {
        SoftmaxAttention op = Attention.softmax().causal(true).build();
        Tensor q = Inputs.random(90, 2, 6, 2, 4);
        Tensor k = Inputs.random(91, 2, 6, 2, 4);
        Tensor v = Inputs.random(92, 2, 6, 2, 4);
        boolean[] rows = {false, true, false, false, true, false};
        AttentionCall call = AttentionCall.builder(op, q, k, v).needLse(true).queryRows(rows).build();
        AttentionResult r = new ReferenceBackend().forward(call);
        Naive.Result want = Naive.attention(q, k, v, 0.5, causal(6, 6));
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 6; i++) {
                for (int h = 0; h < 2; h++) {
                    double lse = r.lse().get(b, h, i);
                    assertThat(lse).isCloseTo(rows[i] ? want.lse(b, h, i) : 0, offset(1e-5));
                    for (int d = 0; d < 4; d++) {
                        assertThat((double) r.output().get(b, i, h, d))
                                .isCloseTo(rows[i] ? want.out(b, i, h, d) : 0, offset(1e-5));
                    }
                }
            }
        }
    }

    @Test
    void everyQuerySeesItsCausalPrefixWhenSqEqualsSk() {
        Tensor o = Attention.softmax().causal(true).build()
                .forward(Tensor.zeros(DType.F32, 1, 6, 1, 2), Inputs.random(100, 1, 6, 1, 2), Inputs.oneHotValues(1, 6, 1));
        for (int i = 0; i < 6; i++) {
            List<Integer> seen = seenKeys(o, 0, i, 0);
            assertThat(seen).isEqualTo(range(0, i));
        }
    }
}
