package org.attention4j;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.attention4j.internal.Dispatcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One test per validation rule: each bad argument throws IllegalArgumentException naming the argument,
 * the expected and the actual value, before any backend runs (the installed dispatcher has no backend,
 * so reaching it would throw UnsupportedOperationException instead).
 */
class ValidationTest {
    private static Dispatcher previous;

    @BeforeAll
    static void noBackends() {
        previous = Dispatcher.install(new Dispatcher(java.util.List.of()));
    }

    @AfterAll
    static void restore() {
        Dispatcher.install(previous);
    }

    private static Tensor t(long... shape) {
        return Tensor.zeros(DType.F32, shape);
    }

    @Test
    void nullTensor() {
        assertThatThrownBy(() -> Attention.softmax().build().forward(null, t(1, 2, 1, 4), t(1, 2, 1, 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("q: expected a non-null value, got null");
        assertThatThrownBy(() -> Attention.softmax().build().forward(t(1, 2, 1, 4), t(1, 2, 1, 4), null))
                .hasMessage("v: expected a non-null value, got null");
    }

    @Test
    void rankNotSupported() {
        assertThatThrownBy(() -> Attention.softmax().build().forward(t(2, 1, 4), t(2, 1, 4), t(2, 1, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("q: expected rank 4 [B, S, H, D], got rank 3 [2, 1, 4]");
        assertThatThrownBy(() -> Attention.neighborhood(3).build().forward(t(1, 4, 4, 4, 4, 1, 4), t(1, 4, 4, 4, 4, 1, 4), t(1, 4, 4, 4, 4, 1, 4)))
                .hasMessageStartingWith("q: expected rank 4, 5 or 6 [B, X.., H, D], got rank 7");
    }

    @Test
    void shapeMismatch() {
        assertThatThrownBy(() -> Attention.softmax().build().forward(t(1, 3, 2, 8), t(1, 5, 2, 4), t(1, 5, 2, 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("k: expected head dim D = 8 like q, got 4");
        assertThatThrownBy(() -> Attention.softmax().build().forward(t(2, 3, 2, 8), t(1, 5, 2, 8), t(1, 5, 2, 8)))
                .hasMessage("k: expected batch B = 2 (dimension 0), got 1");
        assertThatThrownBy(() -> Attention.softmax().build().forward(t(1, 3, 2, 8), t(1, 5, 2, 8), t(1, 4, 2, 8)))
                .hasMessageStartingWith("v: expected the key extent of k (dimension 1 = 5)");
        assertThatThrownBy(() -> Attention.softmax().build().forward(t(1, 3, 2, 8), t(1, 5, 2, 8),
                Tensor.zeros(DType.BF16, 1, 5, 2, 8))).hasMessage("v: expected dtype F32 (same as q), got dtype BF16");
    }

    @Test
    void headsNotDivisible() {
        assertThatThrownBy(() -> Attention.softmax().build().forward(t(1, 3, 6, 8), t(1, 3, 4, 8), t(1, 3, 4, 8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("k: expected kv heads Hkv dividing the query heads H = 6, got Hkv = 4");
    }

    @Test
    void kernelBelowTwo() {
        assertThatThrownBy(() -> Attention.neighborhood(1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("kernel[0]: expected an int >= 2, got 1");
    }

    @Test
    void strideAboveKernel() {
        assertThatThrownBy(() -> Attention.neighborhood(3).stride(4).build().forward(t(1, 8, 1, 4), t(1, 8, 1, 4), t(1, 8, 1, 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("stride[0]: expected <= kernel[0] = 3, got 4");
    }

    @Test
    void kernelTimesDilationAboveExtent() {
        assertThatThrownBy(() -> Attention.neighborhood(3, 3).dilation(1, 3).build()
                .forward(t(1, 8, 8, 1, 4), t(1, 8, 8, 1, 4), t(1, 8, 8, 1, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("kernel[1] * dilation[1]: expected <= the grid extent 8 of axis 1, got 3 * 3 = 9");
    }

    @Test
    void neighborhoodAxisCountsMustMatchTheGrid() {
        assertThatThrownBy(() -> Attention.neighborhood(3, 3).build().forward(t(1, 8, 1, 4), t(1, 8, 1, 4), t(1, 8, 1, 4)))
                .hasMessage("kernel: expected 1 or 1 values (one per axis of the 1-D grid), got 2 values");
        assertThatThrownBy(() -> Attention.neighborhood(3).build().forward(t(1, 8, 1, 4), t(1, 7, 1, 4), t(1, 7, 1, 4)))
                .hasMessageStartingWith("k: expected the token grid of q (dimension 1 = 8)");
    }

    @Test
    void nonFiniteScale() {
        assertThatThrownBy(() -> Attention.softmax().scale(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("scale: expected a finite number, got NaN");
        assertThatThrownBy(() -> Attention.neighborhood(3).scale(Double.POSITIVE_INFINITY))
                .hasMessage("scale: expected a finite number, got Infinity");
        assertThatThrownBy(() -> Attention.linear().scale(Double.NEGATIVE_INFINITY)).hasMessageStartingWith("scale:");
        assertThatThrownBy(() -> Attention.softmax().softcap(-1)).hasMessage("softcap: expected a finite value >= 0 (0 = off), got -1.0");
    }

    @Test
    void negativeWindowOtherThanUnbounded() {
        assertThatThrownBy(() -> Attention.slidingWindow(-2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("left: expected >= 0, or -1 (Attention.UNBOUNDED) for an unbounded side, got -2");
        assertThatThrownBy(() -> Attention.slidingWindow(3, -5)).hasMessageStartingWith("right: expected >= 0");
    }

    @Test
    void alibiAndKeyRanges() {
        assertThatThrownBy(() -> Attention.softmax().alibiSlopes(0.5f, 0.25f).build().forward(t(1, 2, 3, 4), t(1, 2, 3, 4), t(1, 2, 3, 4)))
                .hasMessage("alibiSlopes: expected [H] = 3 slopes, got 2 slopes");
        assertThatThrownBy(() -> Attention.softmax().alibiSlopes(Float.NaN)).hasMessage("alibiSlopes[0]: expected a finite slope, got NaN");
        assertThatThrownBy(() -> Attention.softmax().build().forwardWithKeyRanges(t(1, 2, 1, 4), t(1, 5, 1, 4), t(1, 5, 1, 4),
                new int[] {3}, new int[] {2})).hasMessage("keyStart[0]/keyEnd[0]: expected 0 <= start <= end <= Sk = 5, got 3, 2");
    }

    @Test
    void kvCache() {
        KvCache cache = Attention.softmax().build().newKvCache(2, 4, 1, 8);
        assertThatThrownBy(() -> cache.append(t(2, 5, 1, 8), t(2, 5, 1, 8)))
                .hasMessage("k: expected at most 4 new rows for batch 0 (capacity 4, length 0), got 5 rows");
        assertThatThrownBy(() -> cache.append(t(2, 1, 2, 8), t(2, 1, 2, 8))).hasMessageStartingWith("k: expected shape [2, 1, 1, 8]");
        assertThatThrownBy(() -> cache.setLengths(1, 9)).hasMessage("lengths[1]: expected in [leftPadding = 0, capacity = 4], got 9");
        assertThatThrownBy(() -> Attention.slidingWindow(Attention.UNBOUNDED, 0).build().newRingCache(1, 1, 4, 4, DType.F32))
                .hasMessage("left: expected a bounded window (>= 0) for a ring cache, got -1");
    }

    @Test
    void radialParameters() {
        assertThatThrownBy(() -> Attention.radial(4, 64).blockSize(32)).hasMessage("blockSize: expected 64 or 128, got 32");
        assertThatThrownBy(() -> Attention.radial(0, 64)).hasMessage("frames: expected >= 1, got 0");
        assertThatThrownBy(() -> Attention.radial(4, 64).decayFactor(0)).hasMessage("decayFactor: expected a finite number > 0, got 0.0");
        assertThatThrownBy(() -> Attention.radial(4, 64).build().forward(t(1, 200, 1, 8), t(1, 200, 1, 8), t(1, 200, 1, 8)))
                .hasMessage("q: expected sequence length S >= frames * tokensPerFrame = 256, got S = 200");
        assertThatThrownBy(() -> Attention.radial(2, 64).build().forward(t(2, 128, 1, 8), t(2, 128, 1, 8), t(2, 128, 1, 8), new int[] {1}))
                .hasMessage("keyLengths: expected length B = 2, got 1");
    }

    @Test
    void linearFamily() {
        Tensor q = t(1, 4, 2, 3), v = t(1, 4, 2, 5);
        assertThatThrownBy(() -> Attention.linear().build().forward(q, q, v, t(1, 2, 3, 4)))
                .hasMessage("initialState: expected shape [1, 2, 3, 5] [N, H, Dk, Dv], got shape [1, 2, 3, 4]");
        assertThatThrownBy(() -> Attention.gated().build().forward(q, q, v, t(1, 4, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("g: expected shape [1, 4, 2, 3] [B, T, H, Dk] (GLA) or [1, 4, 2] [B, T, H] (scalar gate), got shape [1, 4, 3]");
        Tensor badGate = Tensor.of(new float[] {0, Float.NaN, 0, 0, 0, 0, 0, 0}, 1, 4, 2);
        assertThatThrownBy(() -> Attention.gated().build().forward(q, q, v, badGate))
                .hasMessageStartingWith("g: expected finite values, got NaN at flat index 1");
        assertThatThrownBy(() -> Attention.linear().cuSeqlens(0, 3, 2)).hasMessage("cuSeqlens[2]: expected non-decreasing offsets (>= 3), got 2");
        assertThatThrownBy(() -> Attention.linear().cuSeqlens(0, 3).build().forward(q, q, v))
                .hasMessage("cuSeqlens: expected last offset = T = 4, got 3");
        assertThatThrownBy(() -> Attention.linear().decay(0f).build().forward(q, q, v))
                .hasMessage("decay: expected one log decay per head (H = 2), got 1");
        assertThatThrownBy(() -> Attention.linear().build().forward(q, t(1, 4, 1, 3), t(1, 4, 1, 5)))
                .hasMessageStartingWith("k: expected H = 2 heads");
    }

    @Test
    void localLinear() {
        assertThatThrownBy(() -> Attention.localLinear().ridgeLambda(0)).hasMessage("ridgeLambda: expected a finite number > 0, got 0.0");
        assertThatThrownBy(() -> Attention.localLinear().ridgeLambda(-1)).hasMessage("ridgeLambda: expected a finite number > 0, got -1.0");
        Tensor q = t(1, 4, 1, 4);
        Tensor lambda = Tensor.of(new float[] {1, 1, 0, 1}, 1, 4);
        assertThatThrownBy(() -> Attention.localLinear().build().forward(q, q, q, lambda))
                .hasMessage("lambda: expected finite values > 0 (the ridge keeps A_i positive definite), got 0.0 at flat index 2");
        assertThatThrownBy(() -> Attention.localLinear().build().forward(q, q, q, t(4)))
                .hasMessageStartingWith("lambda: expected shape [1, 4] [B, Sq] or [1, 4, 1] [B, Sq, H]");
        assertThatThrownBy(() -> Attention.localLinear().blockSize(3).build().forward(q, q, q))
                .hasMessage("blockSize: expected a divisor of the head dim D = 4, got 3");
    }

    @Test
    void gatesMustBeFiniteInEveryStorage() {
        Tensor q = t(1, 3, 1, 2);
        float[] g = {-0.1f, -0.2f, -0.3f, -0.4f, Float.NEGATIVE_INFINITY, -0.6f};
        assertThatThrownBy(() -> Attention.gated().build().forward(q, q, q, Tensor.of(g, 1, 3, 1, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("g: expected finite values, got -Infinity at flat index 4 of shape [1, 3, 1, 2]");
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            Tensor q16 = Tensor.zeros(dt, 1, 3, 1, 2);
            g[4] = -0.5f;
            g[1] = Float.NaN;
            assertThatThrownBy(() -> Attention.gated().build().forward(q16, q16, q16, Tensor.fromFloats(dt, g, 1, 3, 1, 2)))
                    .hasMessage("g: expected finite values, got NaN at flat index 1 of shape [1, 3, 1, 2]");
        }
        // A strided view takes the copying path and reports the logical index.
        Tensor wide = Tensor.of(new float[] {-1, -1, -1, -1, -1, -1, Float.NaN, -1, -1, -1, -1, -1}, 1, 3, 1, 4);
        assertThatThrownBy(() -> Attention.gated().build().forward(q, q, q, wide.slice(3, 2, 4)))
                .hasMessage("g: expected finite values, got NaN at flat index 2 of shape [1, 3, 1, 2]");
    }
}
