package org.attention4j.reference.linear;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.attention4j.reference.Inputs.assertClose;
import static org.attention4j.reference.Inputs.maxAbsDiff;
import static org.attention4j.reference.Inputs.normal;
import static org.attention4j.reference.Inputs.token;

import java.util.SplittableRandom;
import org.attention4j.Attention;
import org.attention4j.DType;
import org.attention4j.Decays;
import org.attention4j.FeatureMap;
import org.attention4j.LinearAttention;
import org.attention4j.LinearOutput;
import org.attention4j.LinearState;
import org.attention4j.Tensor;
import org.attention4j.reference.LinearForms;
import org.attention4j.reference.LinearForms.Flat;
import org.attention4j.reference.LinearForms.Gates;
import org.junit.jupiter.api.Test;

/** Linear attention through the facade (reference backend) against the spec's forms written in the tests. */
class LinearReferenceTest {
    private static final double TOL = 1e-5;
    private static final int B = 2, T = 13, H = 2, K = 4, V = 3;
    private static final double TAU = 1 / Math.sqrt(K);

    private final SplittableRandom rnd = new SplittableRandom(20260301);
    private final Tensor q = normal(rnd, B, T, H, K), k = normal(rnd, B, T, H, K), v = normal(rnd, B, T, H, V);
    private final Tensor h0 = normal(rnd, B, H, K, V);

    private static void assertMatches(String what, LinearOutput got, Flat want, boolean keySum) {
        assertClose(what + " output", got.output(), want.o(), TOL);
        assertClose(what + " final state", got.finalState(), want.state(), TOL);
        if (keySum) {
            assertClose(what + " final key sum", got.finalKeySum(), want.keySum(), TOL);
        } else {
            assertThat(got.finalKeySum()).as(what + " key sum without normalize").isNull();
        }
    }

    @Test
    void plainLinearMatchesTheParallelAndChunkForms() {
        LinearOutput r = Attention.linear().build().forward(q, k, v, h0);
        assertThat(r.output().dtype()).isEqualTo(DType.F32);
        assertThat(r.output().shape()).containsExactly(B, T, H, V);
        assertThat(r.finalState().shape()).containsExactly(B, H, K, V);
        assertMatches("parallel", r, LinearForms.run(q, k, v, Gates.NONE, h0, null, null, LinearForms.parallel(TAU, false)), false);
        // Chunk sizes 4 and 5 leave a partial last chunk of T = 13.
        for (int chunk : new int[] {4, 5}) {
            assertMatches("chunk " + chunk, r, LinearForms.run(q, k, v, Gates.NONE, h0, null, null, LinearForms.chunkScalar(TAU, chunk)), false);
        }
        Flat zeroState = LinearForms.run(q, k, v, Gates.NONE, null, null, null, LinearForms.parallel(TAU, false));
        assertMatches("no initial state", Attention.linear().build().forward(q, k, v), zeroState, false);
    }

    @Test
    void flaDecaysWithDefaultScaleMatchTheChunkForm() {
        for (float[] gamma : new float[][] {Decays.retnet(H), Decays.flaLightning(H, 1, 4)}) {
            LinearOutput r = Attention.linear().decay(gamma).build().forward(q, k, v, h0);
            assertMatches("parallel", r, LinearForms.run(q, k, v, Gates.perHead(gamma), h0, null, null, LinearForms.parallel(TAU, false)), false);
            assertMatches("chunk 5", r, LinearForms.run(q, k, v, Gates.perHead(gamma), h0, null, null, LinearForms.chunkScalar(TAU, 5)), false);
        }
    }

    @Test
    void openNlpLabLightningWithScaleOneMatchesTheLightningTwoBlockForm() {
        for (float[] gamma : new float[][] {Decays.lightning(H), Decays.lightning(H, 1, 3)}) {
            LinearAttention op = Attention.linear().decay(gamma).scale(1.0).build();
            // Block 4 does not divide T = 13 (zero-padded last block); the state is exact only for whole blocks.
            assertClose("lightning-2 output", op.forward(q, k, v, h0).output(),
                    LinearForms.run(q, k, v, Gates.perHead(gamma), h0, null, null, LinearForms.lightning2(4)).o(), TOL);
            Tensor q12 = q.slice(1, 0, 12), k12 = k.slice(1, 0, 12), v12 = v.slice(1, 0, 12);
            assertMatches("lightning-2, whole blocks", op.forward(q12, k12, v12, h0),
                    LinearForms.run(q12, k12, v12, Gates.perHead(gamma), h0, null, null, LinearForms.lightning2(4)), false);
        }
    }

    @Test
    void normalizedLinearMatchesTheParallelFormWithKeySum() {
        FeatureMap phi = FeatureMap.eluPlusOne();
        Tensor fq = phi.apply(q), fk = phi.apply(k);
        Tensor positiveState = FeatureMap.of(Math::abs).apply(h0);
        Tensor z0 = FeatureMap.of(Math::abs).apply(normal(rnd, B, H, K));
        LinearOutput r = Attention.linear().normalize(true).build().forward(fq, fk, v, positiveState, z0);
        assertMatches("normalized", r, LinearForms.run(fq, fk, v, Gates.NONE, positiveState, z0, null, LinearForms.parallel(TAU, true)), true);

        float[] gamma = Decays.retnet(H);
        LinearOutput decayed = Attention.linear().normalize(true).decay(gamma).build().forward(fq, fk, v, positiveState, z0);
        assertMatches("normalized, decayed", decayed,
                LinearForms.run(fq, fk, v, Gates.perHead(gamma), positiveState, z0, null, LinearForms.parallel(TAU, true)), true);

        // DPFP widens the key dimension: K' = 2 K nu; the op only sees the mapped tensors.
        Tensor dq = FeatureMap.dpfp(3).apply(q), dk = FeatureMap.dpfp(3).apply(k);
        assertThat(dq.shape()).containsExactly(B, T, H, 2 * K * 3);
        assertMatches("dpfp", Attention.linear().normalize(true).build().forward(dq, dk, v),
                LinearForms.run(dq, dk, v, Gates.NONE, null, null, null, LinearForms.parallel(1 / Math.sqrt(2 * K * 3), true)), true);
    }

    @Test
    void normalizedStateCarriedAcrossTwoCallsEqualsOneCall() {
        Tensor fq = FeatureMap.eluPlusOne().apply(q), fk = FeatureMap.eluPlusOne().apply(k);
        LinearAttention op = Attention.linear().normalize(true).decay(Decays.retnet(H)).build();
        LinearOutput whole = op.forward(fq, fk, v);
        int split = 5;
        LinearOutput first = op.forward(fq.slice(1, 0, split), fk.slice(1, 0, split), v.slice(1, 0, split));
        LinearOutput second = op.forward(fq.slice(1, split, T), fk.slice(1, split, T), v.slice(1, split, T),
                first.finalState(), first.finalKeySum());
        assertClose("first part", first.output(), whole.output().slice(1, 0, split), TOL);
        assertClose("second part", second.output(), whole.output().slice(1, split, T), TOL);
        assertClose("final state", second.finalState(), whole.finalState(), TOL);
        assertClose("final key sum", second.finalKeySum(), whole.finalKeySum(), TOL);
        // Dropping z between the calls changes the result: the key sum is really carried.
        LinearOutput withoutZ = op.forward(fq.slice(1, split, T), fk.slice(1, split, T), v.slice(1, split, T), first.finalState());
        assertThat(maxAbsDiff(withoutZ.output(), whole.output().slice(1, split, T))).isGreaterThan(1e-3);
    }

    @Test
    void variableLengthBatchesEqualSeparateCalls() {
        int[] cu = {0, 4, 4, 11, 17};
        int n = cu.length - 1;
        Tensor vq = FeatureMap.eluPlusOne().apply(normal(rnd, 1, 17, H, K));
        Tensor vk = FeatureMap.eluPlusOne().apply(normal(rnd, 1, 17, H, K));
        Tensor vv = normal(rnd, 1, 17, H, V);
        Tensor states = normal(rnd, n, H, K, V);
        Tensor sums = FeatureMap.eluPlusOne().apply(normal(rnd, n, H, K));
        float[] gamma = Decays.retnet(H);
        LinearOutput all = Attention.linear().normalize(true).decay(gamma).cuSeqlens(cu).build().forward(vq, vk, vv, states, sums);
        assertThat(all.finalState().shape()).containsExactly(n, H, K, V);
        LinearAttention single = Attention.linear().normalize(true).decay(gamma).build();
        for (int i = 0; i < n; i++) {
            Tensor s0 = states.slice(0, i, i + 1), z0 = sums.slice(0, i, i + 1);
            if (cu[i] == cu[i + 1]) {
                // An empty sequence passes its initial state through untouched.
                assertThat(all.finalState().slice(0, i, i + 1).toFloatArray()).containsExactly(s0.toFloatArray());
                assertThat(all.finalKeySum().slice(0, i, i + 1).toFloatArray()).containsExactly(z0.toFloatArray());
                continue;
            }
            LinearOutput one = single.forward(vq.slice(1, cu[i], cu[i + 1]), vk.slice(1, cu[i], cu[i + 1]),
                    vv.slice(1, cu[i], cu[i + 1]), s0, z0);
            assertClose("sequence " + i + " output", all.output().slice(1, cu[i], cu[i + 1]), one.output(), TOL);
            assertClose("sequence " + i + " state", all.finalState().slice(0, i, i + 1), one.finalState(), TOL);
            assertClose("sequence " + i + " key sum", all.finalKeySum().slice(0, i, i + 1), one.finalKeySum(), TOL);
        }
    }

    @Test
    void reverseIsTheAntiCausalMirror() {
        float[] gamma = Decays.flaLightning(H, 2, 4);
        LinearOutput r = Attention.linear().decay(gamma).reverse(true).build().forward(q, k, v, h0);
        assertMatches("mirrored parallel", r,
                LinearForms.run(q, k, v, Gates.perHead(gamma), h0, null, null, LinearForms.mirrored(LinearForms.parallel(TAU, false))), false);
        assertMatches("mirrored chunk 3", r,
                LinearForms.run(q, k, v, Gates.perHead(gamma), h0, null, null, LinearForms.mirrored(LinearForms.chunkScalar(TAU, 3))), false);
        // Token 0 sees every later token in reverse mode and only itself causally.
        Tensor firstRowForward = Attention.linear().decay(gamma).build().forward(q, k, v, h0).output().slice(1, 0, 1);
        assertThat(maxAbsDiff(r.output().slice(1, 0, 1), firstRowForward)).isGreaterThan(1e-3);
    }

    @Test
    void decodeStateStepsEqualTheForward() {
        Tensor fq = FeatureMap.eluPlusOne().apply(q), fk = FeatureMap.eluPlusOne().apply(k);
        Tensor z0 = FeatureMap.eluPlusOne().apply(normal(rnd, B, H, K));
        LinearAttention op = Attention.linear().normalize(true).decay(Decays.lightning(H)).build();
        LinearOutput forward = op.forward(fq, fk, v, h0, z0);
        LinearState state = op.newState(B, H, K, V).setState(h0).setKeySum(z0);
        for (int t = 0; t < T; t++) {
            Tensor o = state.step(token(fq, t), token(fk, t), token(v, t));
            assertThat(o.shape()).containsExactly(B, H, V);
            assertClose("step " + t, o, forward.output().slice(1, t, t + 1), TOL);
        }
        assertClose("state after the last step", state.state(), forward.finalState(), TOL);
        assertClose("key sum after the last step", state.keySum(), forward.finalKeySum(), TOL);
    }

    @Test
    void halfPrecisionInputsGiveOutputsInTheirDtypeAndStatesInFp32() {
        Tensor hq = q.to(DType.BF16), hk = k.to(DType.BF16), hv = v.to(DType.BF16);
        LinearOutput r = Attention.linear().build().forward(hq, hk, hv, h0);
        assertThat(r.output().dtype()).isEqualTo(DType.BF16);
        assertThat(r.finalState().dtype()).isEqualTo(DType.F32);
        Flat want = LinearForms.run(hq, hk, hv, Gates.NONE, h0, null, null, LinearForms.parallel(TAU, false));
        assertClose("bf16 output (one bf16 rounding)", r.output(), want.o(), DType.BF16.epsilon());
        assertClose("fp32 state from bf16 inputs", r.finalState(), want.state(), TOL);
    }

    /**
     * A BASED-style hybrid, composed by the caller from the pre-op and the operator: a global Taylor-kernel
     * linear attention over the tokens that left a sliding window, plus exact exp-kernel attention inside
     * the window, normalized together. The linear part sees keys and values shifted by the window, and a
     * ones column appended to v yields its denominator.
     */
    @Test
    void basedStyleTaylorLinearAttentionPlusSlidingWindow() {
        int window = 4;
        int taylorDim = 1 + K + K * K;
        double rootD = Math.sqrt(K);
        // φ(x) = [1, x / d^(1/4), vec(x xᵀ) / (sqrt(2) sqrt(d))], so <φ(q), φ(k)> = 1 + s + s²/2 with s = q·k / sqrt(d).
        FeatureMap taylor = x -> {
            float[] in = x.toFloatArray();
            int rows = in.length / K;
            float[] out = new float[rows * taylorDim];
            for (int r = 0; r < rows; r++) {
                out[r * taylorDim] = 1;
                for (int i = 0; i < K; i++) {
                    out[r * taylorDim + 1 + i] = (float) (in[r * K + i] / Math.sqrt(rootD));
                    for (int j = 0; j < K; j++) {
                        out[r * taylorDim + 1 + K + i * K + j] = (float) (in[r * K + i] * in[r * K + j] / (Math.sqrt(2) * rootD));
                    }
                }
            }
            return Tensor.of(out, B, T, H, taylorDim);
        };
        float[] qa = q.toFloatArray(), ka = k.toFloatArray(), va = v.toFloatArray();
        float[] fk = taylor.apply(k).toFloatArray();
        float[] shiftedK = new float[B * T * H * taylorDim];
        float[] shiftedV = new float[B * T * H * (V + 1)];
        for (int b = 0; b < B; b++) {
            for (int t = window; t < T; t++) {
                for (int h = 0; h < H; h++) {
                    int to = (b * T + t) * H + h, from = (b * T + t - window) * H + h;
                    System.arraycopy(fk, from * taylorDim, shiftedK, to * taylorDim, taylorDim);
                    System.arraycopy(va, from * V, shiftedV, to * (V + 1), V);
                    shiftedV[to * (V + 1) + V] = 1;
                }
            }
        }
        float[] global = Attention.linear().scale(1.0).build()
                .forward(taylor.apply(q), Tensor.of(shiftedK, B, T, H, taylorDim), Tensor.of(shiftedV, B, T, H, V + 1))
                .output().toFloatArray();

        double[] hybrid = new double[B * T * H * V];
        double[] direct = new double[B * T * H * V];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                for (int h = 0; h < H; h++) {
                    int row = (b * T + t) * H + h;
                    double[] num = new double[V], numDirect = new double[V];
                    double den = global[row * (V + 1) + V], denDirect = 0;
                    for (int e = 0; e < V; e++) num[e] = global[row * (V + 1) + e];
                    for (int s = 0; s <= t; s++) {
                        int key = (b * T + s) * H + h;
                        double score = 0;
                        for (int d = 0; d < K; d++) score += (double) qa[row * K + d] * ka[key * K + d] / rootD;
                        boolean inWindow = s > t - window;
                        double w = inWindow ? Math.exp(score) : 1 + score + score * score / 2;
                        if (inWindow) {
                            den += w;
                        }
                        denDirect += w;
                        for (int e = 0; e < V; e++) {
                            if (inWindow) num[e] += w * va[key * V + e];
                            numDirect[e] += w * va[key * V + e];
                        }
                    }
                    for (int e = 0; e < V; e++) {
                        hybrid[row * V + e] = num[e] / den;
                        direct[row * V + e] = numDirect[e] / denDirect;
                    }
                }
            }
        }
        float[] composed = new float[hybrid.length];
        for (int i = 0; i < hybrid.length; i++) composed[i] = (float) hybrid[i];
        assertClose("hybrid composed from linear attention", composed, direct, TOL);
    }

    @Test
    void badInputsAreRejectedNamingTheArgumentTheExpectedAndTheActualValue() {
        LinearAttention plain = Attention.linear().build();
        assertThatThrownBy(() -> plain.forward(q, k, v, Tensor.zeros(DType.F32, B, H, K, V + 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("initialState:").hasMessageContaining("[2, 2, 4, 3]").hasMessageContaining("[2, 2, 4, 4]");
        assertThatThrownBy(() -> plain.forward(q, k, v, h0.to(DType.BF16)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("initialState:").hasMessageContaining("F32").hasMessageContaining("BF16");
        assertThatThrownBy(() -> plain.forward(q, k, v, h0, Tensor.zeros(DType.F32, B, H, K)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("initialKeySum:").hasMessageContaining("normalize");
        assertThatThrownBy(() -> Attention.linear().normalize(true).build().forward(q, k, v, h0, Tensor.zeros(DType.F32, B, H, K + 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("initialKeySum:").hasMessageContaining("[2, 2, 4]").hasMessageContaining("[2, 2, 5]");
        assertThatThrownBy(() -> Attention.linear().decay(-1f, -2f, -3f).build().forward(q, k, v))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("decay:").hasMessageContaining("H = 2").hasMessageContaining("got 3");
        assertThatThrownBy(() -> Attention.linear().decay(-1f, Float.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("decay[1]:").hasMessageContaining("NaN");
        assertThatThrownBy(() -> Attention.linear().cuSeqlens(0, 5, T).build().forward(q, k, v))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("q:").hasMessageContaining("B = 1").hasMessageContaining("got 2");
        Tensor one = q.slice(0, 0, 1);
        assertThatThrownBy(() -> Attention.linear().cuSeqlens(0, 5, 12).build().forward(one, one, v.slice(0, 0, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("cuSeqlens:").hasMessageContaining("T = 13").hasMessageContaining("got 12");
        assertThatThrownBy(() -> Attention.linear().cuSeqlens(0, 5, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("cuSeqlens[2]:").hasMessageContaining("got 3");
        Tensor spatial = Tensor.zeros(DType.F32, 1, 2, 2, H, K);
        assertThatThrownBy(() -> plain.forward(spatial, spatial, Tensor.zeros(DType.F32, 1, 2, 2, H, V)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("q:").hasMessageContaining("rank 4").hasMessageContaining("rank 5");
        LinearState state = plain.newState(B, H, K, V);
        assertThatThrownBy(() -> state.step(token(q, 0), token(k, 0), token(v, 0), Tensor.zeros(DType.F32, B, H)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("g:").hasMessageContaining("null");
        assertThatThrownBy(() -> state.setState(Tensor.zeros(DType.F32, B, H, V, K)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("state:").hasMessageContaining("[2, 2, 4, 3]").hasMessageContaining("[2, 2, 3, 4]");
    }
}
