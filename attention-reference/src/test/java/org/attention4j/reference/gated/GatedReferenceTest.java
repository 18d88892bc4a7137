package org.attention4j.reference.gated;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.attention4j.reference.Inputs.assertClose;
import static org.attention4j.reference.Inputs.logSigmoid;
import static org.attention4j.reference.Inputs.normal;
import static org.attention4j.reference.Inputs.token;

import java.util.SplittableRandom;
import org.attention4j.Attention;
import org.attention4j.DType;
import org.attention4j.FeatureMap;
import org.attention4j.GatedAttention;
import org.attention4j.LinearOutput;
import org.attention4j.LinearState;
import org.attention4j.Tensor;
import org.attention4j.reference.LinearForms;
import org.attention4j.reference.LinearForms.Flat;
import org.attention4j.reference.LinearForms.Gates;
import org.junit.jupiter.api.Test;

/** Gated linear attention (GLA and simple GLA) through the facade against the spec's forms written in the tests. */
class GatedReferenceTest {
    private static final double TOL = 1e-5;
    private static final int B = 2, T = 23, H = 2, K = 4, V = 3;
    private static final double TAU = 1 / Math.sqrt(K);

    private final SplittableRandom rnd = new SplittableRandom(4242);
    private final Tensor q = normal(rnd, B, T, H, K), k = normal(rnd, B, T, H, K), v = normal(rnd, B, T, H, V);
    private final Tensor h0 = normal(rnd, B, H, K, V);
    /** The GLA layer's gates: logsigmoid / 16. */
    private final Tensor gk = FeatureMap.of(x -> x / 16).apply(logSigmoid(rnd, 1, 0, B, T, H, K));
    private final Tensor gs = logSigmoid(rnd, 1, 0, B, T, H);

    private static void assertMatches(String what, LinearOutput got, Flat want) {
        assertClose(what + " output", got.output(), want.o(), TOL);
        assertClose(what + " final state", got.finalState(), want.state(), TOL);
        assertThat(got.finalKeySum()).isNull();
    }

    @Test
    void vectorGatesMatchTheParallelAndSecondaryChunkForms() {
        LinearOutput r = Attention.gated().build().forward(q, k, v, gk, h0);
        assertThat(r.output().shape()).containsExactly(B, T, H, V);
        assertMatches("parallel", r, LinearForms.run(q, k, v, Gates.of(gk), h0, null, null, LinearForms.parallel(TAU, false)));
        // C = 8 and 12 do not divide T = 23; sub-chunks of 4 give off-diagonal pairs inside each chunk.
        for (int chunk : new int[] {8, 12}) {
            assertMatches("chunk " + chunk, r, LinearForms.run(q, k, v, Gates.of(gk), h0, null, null, LinearForms.chunkGla(TAU, chunk, 4)));
        }
    }

    @Test
    void rawLogSigmoidGatesExerciseTheOverflowPaths() {
        int len = 80;
        Tensor lq = normal(rnd, 1, len, H, K), lk = normal(rnd, 1, len, H, K), lv = normal(rnd, 1, len, H, V);
        Tensor raw = logSigmoid(rnd, 3, -1, 1, len, H, K); // no /16
        Tensor state = normal(rnd, 1, H, K, V);
        float[] g = raw.toFloatArray();
        double deepest = 0;
        for (int h = 0; h < H; h++) {
            for (int d = 0; d < K; d++) {
                double cum = 0;
                for (int t = 0; t < 64; t++) cum += g[(t * H + h) * K + d];
                deepest = Math.min(deepest, cum);
            }
        }
        // Within the first 64-token chunk the cumulative log gate passes -88.7: exp(-b) is Inf in fp32, so only
        // the relative exponents of 4.5 can get through.
        assertThat(Float.isInfinite((float) Math.exp(-deepest))).as("exp(%s) overflows fp32", -deepest).isTrue();

        LinearOutput r = Attention.gated().build().forward(lq, lk, lv, raw, state);
        assertMatches("parallel", r, LinearForms.run(lq, lk, lv, Gates.of(raw), state, null, null, LinearForms.parallel(TAU, false)));
        for (int chunk : new int[] {64, 48}) {
            assertMatches("chunk " + chunk, r, LinearForms.run(lq, lk, lv, Gates.of(raw), state, null, null, LinearForms.chunkGla(TAU, chunk, 16)));
        }
    }

    @Test
    void scalarGatesMatchTheSimpleGlaForms() {
        LinearOutput r = Attention.gated().build().forward(q, k, v, gs, h0);
        assertMatches("parallel", r, LinearForms.run(q, k, v, Gates.of(gs), h0, null, null, LinearForms.parallel(TAU, false)));
        assertMatches("chunk 5", r, LinearForms.run(q, k, v, Gates.of(gs), h0, null, null, LinearForms.chunkScalar(TAU, 5)));
        assertMatches("vector chunk 16", r, LinearForms.run(q, k, v, Gates.of(gs), h0, null, null, LinearForms.chunkGla(TAU, 16, 4)));
    }

    @Test
    void workedExampleOfSpecFourOne() {
        double q0 = 0.5, q1 = -1.5, k0 = 2, k1 = 0.7, v0 = 1.2, v1 = -0.4, g0 = -0.3, g1 = -1.1, s0 = 0.8, tau = 0.5;
        Tensor tq = Tensor.of(new float[] {(float) q0, (float) q1}, 1, 2, 1, 1);
        Tensor tk = Tensor.of(new float[] {(float) k0, (float) k1}, 1, 2, 1, 1);
        Tensor tv = Tensor.of(new float[] {(float) v0, (float) v1}, 1, 2, 1, 1);
        Tensor tg = Tensor.of(new float[] {(float) g0, (float) g1}, 1, 2, 1, 1);
        Tensor ts = Tensor.of(new float[] {(float) s0}, 1, 1, 1, 1);
        LinearOutput r = Attention.gated().scale(tau).build().forward(tq, tk, tv, tg, ts);
        float[] o = r.output().toFloatArray();
        // g_0 decays only the initial state; g_1 decays everything before token 1.
        assertThat((double) o[0]).isCloseTo(tau * q0 * (Math.exp(g0) * s0 + k0 * v0), within(1e-6));
        assertThat((double) o[1]).isCloseTo(tau * q1 * (Math.exp(g0 + g1) * s0 + Math.exp(g1) * k0 * v0 + k1 * v1), within(1e-6));
        assertThat((double) r.finalState().get(0, 0, 0, 0))
                .isCloseTo(Math.exp(g0 + g1) * s0 + Math.exp(g1) * k0 * v0 + k1 * v1, within(1e-6));
    }

    @Test
    void reverseIsTheAntiCausalMirror() {
        LinearOutput r = Attention.gated().reverse(true).build().forward(q, k, v, gk, h0);
        assertMatches("mirrored parallel", r,
                LinearForms.run(q, k, v, Gates.of(gk), h0, null, null, LinearForms.mirrored(LinearForms.parallel(TAU, false))));
        assertMatches("mirrored chunk", r,
                LinearForms.run(q, k, v, Gates.of(gk), h0, null, null, LinearForms.mirrored(LinearForms.chunkGla(TAU, 8, 4))));
    }

    @Test
    void variableLengthBatchesEqualSeparateCalls() {
        int[] cu = {0, 9, 10, 23};
        Tensor one = q.slice(0, 0, 1), kOne = k.slice(0, 0, 1), vOne = v.slice(0, 0, 1), gOne = gk.slice(0, 0, 1);
        Tensor states = normal(rnd, cu.length - 1, H, K, V);
        LinearOutput all = Attention.gated().cuSeqlens(cu).build().forward(one, kOne, vOne, gOne, states);
        for (int i = 0; i + 1 < cu.length; i++) {
            LinearOutput part = Attention.gated().build().forward(one.slice(1, cu[i], cu[i + 1]), kOne.slice(1, cu[i], cu[i + 1]),
                    vOne.slice(1, cu[i], cu[i + 1]), gOne.slice(1, cu[i], cu[i + 1]), states.slice(0, i, i + 1));
            assertClose("sequence " + i + " output", all.output().slice(1, cu[i], cu[i + 1]), part.output(), TOL);
            assertClose("sequence " + i + " state", all.finalState().slice(0, i, i + 1), part.finalState(), TOL);
        }
    }

    @Test
    void decodeStateStepsEqualTheForward() {
        for (Tensor g : new Tensor[] {gk, gs}) {
            GatedAttention op = Attention.gated().build();
            LinearOutput forward = op.forward(q, k, v, g, h0);
            LinearState state = op.newState(B, H, K, V).setState(h0);
            assertThat(state.keySum()).isNull();
            for (int t = 0; t < T; t++) {
                Tensor gt = g.slice(1, t, t + 1).contiguous();
                gt = g.rank() == 4 ? gt.reshape(B, H, K) : gt.reshape(B, H);
                Tensor o = state.step(token(q, t), token(k, t), token(v, t), gt);
                assertClose("step " + t + " with g" + java.util.Arrays.toString(g.shape()), o, forward.output().slice(1, t, t + 1), TOL);
            }
            assertClose("state after the last step", state.state(), forward.finalState(), TOL);
        }
    }

    @Test
    void positiveGatesAreAcceptedAndGrowTheState() {
        Tensor growing = FeatureMap.of(x -> Math.abs(x) / 4).apply(gk);
        LinearOutput r = Attention.gated().build().forward(q, k, v, growing, h0);
        assertMatches("parallel", r, LinearForms.run(q, k, v, Gates.of(growing), h0, null, null, LinearForms.parallel(TAU, false)));
    }

    @Test
    void badInputsAreRejectedNamingTheArgumentTheExpectedAndTheActualValue() {
        GatedAttention op = Attention.gated().build();
        assertThatThrownBy(() -> op.forward(q, k, v, Tensor.zeros(DType.F32, B, T, H, K + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("g:")
                .hasMessageContaining("[2, 23, 2, 4]").hasMessageContaining("[2, 23, 2]").hasMessageContaining("[2, 23, 2, 5]");
        Tensor nan = gk.copy();
        nan.set(Float.NaN, 1, 3, 0, 2);
        assertThatThrownBy(() -> op.forward(q, k, v, nan))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("g:").hasMessageContaining("finite").hasMessageContaining("NaN");
        Tensor inf = gs.copy();
        inf.set(Float.NEGATIVE_INFINITY, 0, 0, 1);
        assertThatThrownBy(() -> op.forward(q, k, v, inf))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("g:").hasMessageContaining("-Infinity");
        assertThatThrownBy(() -> op.forward(q, k, v, gk, Tensor.zeros(DType.F32, B + 1, H, K, V)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("initialState:").hasMessageContaining("[2, 2, 4, 3]").hasMessageContaining("[3, 2, 4, 3]");
        assertThatThrownBy(() -> op.forward(q, k, v, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("g:").hasMessageContaining("null");
        LinearState state = op.newState(B, H, K, V);
        assertThatThrownBy(() -> state.step(token(q, 0), token(k, 0), token(v, 0), Tensor.zeros(DType.F32, B, H, K + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("g:")
                .hasMessageContaining("[2, 2, 4]").hasMessageContaining("[2, 2]").hasMessageContaining("[2, 2, 5]");
        assertThatThrownBy(() -> state.step(token(q, 0), token(k, 0), token(v, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("g:");
        assertThatThrownBy(() -> Attention.gated().reverse(true).build().newState(B, H, K, V))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("reverse:");
    }
}
