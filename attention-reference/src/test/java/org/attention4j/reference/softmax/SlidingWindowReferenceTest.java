package org.attention4j.reference.softmax;

import static org.assertj.core.api.Assertions.assertThat;
import static org.attention4j.reference.Close.TOL;
import static org.attention4j.reference.Close.list;
import static org.attention4j.reference.Close.seenKeys;

import java.util.ArrayList;
import java.util.List;
import org.attention4j.Attention;
import org.attention4j.AttentionOutput;
import org.attention4j.DType;
import org.attention4j.Tensor;
import org.attention4j.reference.Close;
import org.attention4j.reference.Inputs;
import org.attention4j.reference.Naive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Sliding-window attention (spec section 2) through the facade. The window written here from spec 2.1:
 * query i sits at {@code i' = i + Sk - Sq} and sees {@code i' - left <= j <= i' + right}, a negative side
 * being unbounded; truncated at the edges, never shifted.
 */
class SlidingWindowReferenceTest {

    static Naive.Mask window(int sq, int sk, int left, int right) {
        return (b, h, i, j) -> {
            int at = i + sk - sq;
            return (left < 0 || j >= at - left) && (right < 0 || j <= at + right);
        };
    }

    /** The keys each query row sees, with uniform scores and one-hot values. */
    private static List<List<Integer>> seen(int sq, int sk, int left, int right, boolean causal) {
        Tensor o = Attention.slidingWindow(left, right).causal(causal).build()
                .forward(Tensor.zeros(DType.F32, 1, sq, 1, 2), Inputs.random(1, 1, sk, 1, 2), Inputs.oneHotValues(1, sk, 1));
        List<List<Integer>> rows = new ArrayList<>();
        for (int i = 0; i < sq; i++) {
            rows.add(seenKeys(o, 0, i, 0));
        }
        return rows;
    }

    @Test
    void spec13Window21NonCausal() {
        assertThat(seen(5, 5, 2, 1, false)).containsExactly(
                list(0, 1), list(0, 1, 2), list(0, 1, 2, 3), list(1, 2, 3, 4), list(2, 3, 4));
    }

    @Test
    void spec13CausalWithLeftWindow2() {
        assertThat(seen(5, 5, 2, Attention.UNBOUNDED, true)).containsExactly(
                list(0), list(0, 1), list(0, 1, 2), list(1, 2, 3), list(2, 3, 4));
    }

    @Test
    void spec13Sq3Sk6Window11() {
        assertThat(seen(3, 6, 1, 1, false)).containsExactly(list(2, 3, 4), list(3, 4, 5), list(4, 5));
    }

    @Test
    void window00SeesOnlyTheAlignedKeyAndNothingAboveTheKeys() {
        assertThat(seen(4, 6, 0, 0, false)).containsExactly(list(2), list(3), list(4), list(5));
        assertThat(seen(6, 4, 0, 0, false)).containsExactly(list(), list(), list(0), list(1), list(2), list(3));
    }

    @ParameterizedTest(name = "Sq={0} Sk={1} window=({2},{3})")
    @CsvSource({
            "7, 7, 2, 0", "4, 9, 3, 0", "9, 4, 1, 0",       // (w, 0); Sq > Sk has empty rows
            "7, 7, 2, 2", "5, 8, 1, 1", "8, 5, 2, 2",       // (w, w)
            "6, 6, 0, 0", "4, 7, 0, 0", "7, 4, 0, 0",       // (0, 0): diagonal only
            "6, 9, -1, 1", "9, 6, 2, -1", "6, 6, -1, -1",   // unbounded sides
            "6, 6, 3, 1", "5, 9, 0, 3"})
    void matchesTheFormula(int sq, int sk, int left, int right) {
        Tensor q = Inputs.random(10, 2, sq, 4, 8);
        Tensor k = Inputs.random(11, 2, sk, 2, 8);
        Tensor v = Inputs.random(12, 2, sk, 2, 5);
        AttentionOutput r = Attention.slidingWindow(left, right).scale(0.6).build().forwardWithLse(q, k, v);
        Naive.Result want = Naive.attention(q, k, v, 0.6, window(sq, sk, left, right));
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
        for (float x : r.output().toFloatArray()) {
            assertThat(x).isNotNaN();
        }
    }

    @ParameterizedTest(name = "Sq={0} Sk={1}")
    @CsvSource({"6, 6", "4, 7", "7, 4"})
    void windowsAtLeastTheExtentEqualUnboundedOnes(int sq, int sk) {
        Tensor q = Inputs.random(20, 1, sq, 2, 8);
        Tensor k = Inputs.random(21, 1, sk, 2, 8);
        Tensor v = Inputs.random(22, 1, sk, 2, 4);
        Naive.Result full = Naive.attention(q, k, v, 0.5, Naive.ALL);
        Naive.Result causal = Naive.attention(q, k, v, 0.5, SoftmaxReferenceTest.causal(sq, sk));
        int wide = Math.max(sq, sk);
        AttentionOutput r = Attention.slidingWindow(wide, wide + 5).scale(0.5).build().forwardWithLse(q, k, v);
        Close.output(r.output(), full, TOL);
        Close.lse(r.lse(), full, TOL);
        AttentionOutput rc = Attention.slidingWindow(wide, 0).scale(0.5).build().forwardWithLse(q, k, v);
        Close.output(rc.output(), causal, TOL);
        Close.lse(rc.lse(), causal, TOL);
        Close.output(Attention.softmax().causal(true).scale(0.5).build().forward(q, k, v), causal, TOL);
    }

    @Test
    void softcapAndGqaInsideAWindow() {
        Tensor q = Inputs.random(30, 2, 8, 6, 8);
        Tensor k = Inputs.random(31, 2, 8, 2, 8);
        Tensor v = Inputs.random(32, 2, 8, 2, 8);
        AttentionOutput r = Attention.slidingWindow(2, 1).scale(2.5).softcap(2).build().forwardWithLse(q, k, v);
        Naive.Result want = Naive.attention(q, k, v, 2.5, 2, window(8, 8, 2, 1), Naive.NO_BIAS);
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
    }

    @Test
    void alibiInsideAWindow() {
        int sq = 6, sk = 9;
        float[] slopes = {0.7f, 0.2f};
        Tensor q = Inputs.random(40, 1, sq, 2, 8);
        Tensor k = Inputs.random(41, 1, sk, 1, 8);
        Tensor v = Inputs.random(42, 1, sk, 1, 4);
        Naive.Bias distance = (b, h, i, j) -> -slopes[h] * Math.abs(i + sk - sq - j);
        // Two-sided window: FlashAttention's non-causal bias, LSE included.
        AttentionOutput r = Attention.slidingWindow(2, 2).alibiSlopes(slopes).build().forwardWithLse(q, k, v);
        Naive.Result want = Naive.attention(q, k, v, 1 / Math.sqrt(8), 0, window(sq, sk, 2, 2), distance);
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
        // Left-only window: the bias conventions differ by a per-row constant, so only the output is fixed.
        Tensor o = Attention.slidingWindow(3, 0).alibiSlopes(slopes).build().forward(q, k, v);
        Close.output(o, Naive.attention(q, k, v, 1 / Math.sqrt(8), 0, window(sq, sk, 3, 0), distance), TOL);
    }

    @ParameterizedTest(name = "kernel={0}")
    @CsvSource({"2", "3", "4", "5", "9"})
    void causalWindowKMinus1EqualsOneDimensionalCausalNeighborhoodAttention(int kernel) {
        int len = 9;
        Tensor q = Inputs.random(50, 2, len, 4, 8);
        Tensor k = Inputs.random(51, 2, len, 2, 8);
        Tensor v = Inputs.random(52, 2, len, 2, 6);
        AttentionOutput swa = Attention.slidingWindow(kernel - 1, 0).scale(0.5).build().forwardWithLse(q, k, v);
        AttentionOutput na = Attention.neighborhood(kernel).causal(true).scale(0.5).build().forwardWithLse(q, k, v);
        // Spec 2.4: both see [max(0, i - k + 1), i].
        Naive.Result want = Naive.attention(q, k, v, 0.5, (b, h, i, j) -> j <= i && j >= i - kernel + 1);
        Close.output(swa.output(), want, TOL);
        Close.lse(swa.lse(), want, TOL);
        Close.output(na.output(), want, TOL);
        Close.lse(na.lse(), want, TOL);
    }
}
