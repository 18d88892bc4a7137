package org.attention4j.reference.linear;

import java.util.Arrays;
import org.attention4j.LinearFamilyOp;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;

/**
 * The one state-passing recurrence of the linear family (spec 3.1, 3.6), in fp64. Linear, decayed linear,
 * scalar-gate and vector-gate GLA differ only in the {@link LogDecay} they pass. For every sequence and
 * head, token by token (last to first with {@code reverse}):
 * <pre>
 *   S ← diag(exp(γ_t)) S + k_t v_tᵀ          z ← exp(γ_t) ⊙ z + k_t        (z only when normalizing)
 *   o_t = Sᵀ (τ q_t)                          o_t ← o_t / (⟨τ q_t, z⟩ + 1e-10)
 * </pre>
 * The decay multiplies the state before the current token is added, so token t is never decayed, and the
 * query reads the state after the update. A sequence is a batch row, or one {@code cuSeqlens} segment of
 * the single batch row; each starts from its own initial state (zeros when none) and returns its own
 * final state, so nothing crosses a boundary.
 */
public final class StatePassing {
    /** The denominator offset of fla's {@code normalize_with_z_state}. */
    public static final double NORMALIZER_EPS = 1e-10;

    private StatePassing() {
    }

    /** Log decay {@code γ} of state row {@code d} (a key dimension) at token {@code t} of batch row {@code b}, head {@code h}. */
    @FunctionalInterface
    public interface LogDecay {
        /** Plain linear attention: {@code exp(0) = 1} exactly. */
        LogDecay NONE = (b, t, h, d) -> 0.0;

        double of(int b, int t, int h, int d);
    }

    /**
     * Runs the recurrence over a validated linear-family call.
     *
     * @return output {@code [B, T, H, Dv]} in q's dtype, final state {@code [N, H, Dk, Dv]} fp32 and, when
     *         normalizing, final key sum {@code [N, H, Dk]} fp32
     */
    public static AttentionResult run(AttentionCall call, LogDecay decay, boolean normalize) {
        LinearFamilyOp op = (LinearFamilyOp) call.op();
        int batch = call.batch(), len = call.q().dim(1), heads = call.heads();
        int dk = call.headDim(), dv = call.valueDim();
        float[] q = call.q().toFloatArray(), k = call.k().toFloatArray(), v = call.v().toFloatArray();
        float[] h0 = call.initialState() == null ? null : call.initialState().toFloatArray();
        float[] z0 = call.initialKeySum() == null ? null : call.initialKeySum().toFloatArray();
        int[] cu = op.cuSeqlens();
        int sequences = op.sequences(batch);
        double tau = op.scale(dk);

        float[] out = new float[batch * len * heads * dv];
        float[] finalState = new float[sequences * heads * dk * dv];
        float[] finalKeySum = normalize ? new float[sequences * heads * dk] : null;
        double[] s = new double[dk * dv];
        double[] z = new double[dk];
        double[] o = new double[dv];
        for (int n = 0; n < sequences; n++) {
            int b = cu == null ? n : 0;
            int start = cu == null ? 0 : cu[n];
            int end = cu == null ? len : cu[n + 1];
            for (int h = 0; h < heads; h++) {
                int stateAt = (n * heads + h) * dk * dv;
                int sumAt = (n * heads + h) * dk;
                for (int i = 0; i < s.length; i++) {
                    s[i] = h0 == null ? 0 : h0[stateAt + i];
                }
                for (int d = 0; d < dk; d++) {
                    z[d] = z0 == null ? 0 : z0[sumAt + d];
                }
                for (int step = 0; step < end - start; step++) {
                    int t = op.reverse() ? end - 1 - step : start + step;
                    int qkAt = ((b * len + t) * heads + h) * dk;
                    int vAt = ((b * len + t) * heads + h) * dv;
                    for (int d = 0; d < dk; d++) {
                        double keep = Math.exp(decay.of(b, t, h, d));
                        double kd = k[qkAt + d];
                        for (int e = 0; e < dv; e++) {
                            s[d * dv + e] = keep * s[d * dv + e] + kd * v[vAt + e];
                        }
                        z[d] = keep * z[d] + kd;
                    }
                    Arrays.fill(o, 0);
                    double den = NORMALIZER_EPS;
                    for (int d = 0; d < dk; d++) {
                        double qd = tau * q[qkAt + d];
                        for (int e = 0; e < dv; e++) {
                            o[e] += qd * s[d * dv + e];
                        }
                        den += qd * z[d];
                    }
                    for (int e = 0; e < dv; e++) {
                        out[vAt + e] = (float) (normalize ? o[e] / den : o[e]);
                    }
                }
                for (int i = 0; i < s.length; i++) {
                    finalState[stateAt + i] = (float) s[i];
                }
                if (normalize) {
                    for (int d = 0; d < dk; d++) {
                        finalKeySum[sumAt + d] = (float) z[d];
                    }
                }
            }
        }
        return new AttentionResult(
                Tensor.fromFloats(call.dtype(), out, batch, len, heads, dv),
                null,
                Tensor.of(finalState, sequences, heads, dk, dv),
                normalize ? Tensor.of(finalKeySum, sequences, heads, dk) : null);
    }
}
