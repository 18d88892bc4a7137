package org.attention4j;

import java.util.Arrays;
import org.attention4j.internal.Checks;
import org.jspecify.annotations.Nullable;

/**
 * The recurrent decode form of linear and gated attention (spec 3.6, 4.4): a fp32 state
 * {@code [B, H, Dk, Dv]} (and key sum {@code [B, H, Dk]} when normalizing) updated one token at a time.
 * Stepping through a sequence equals the forward pass over it. Not thread-safe.
 */
public final class LinearState {
    private final LinearFamilyOp op;
    private Tensor state;
    private Tensor keySum;

    LinearState(LinearFamilyOp op, int batch, int heads, int dk, int dv) {
        Checks.check(!op.reverse(), "reverse", "false for a decode state (reverse runs last token first)", true);
        Checks.check(op.cuSeqlens() == null, "cuSeqlens", "null for a decode state (one sequence per batch element)", "offsets");
        Checks.check(batch > 0 && heads > 0 && dk > 0 && dv > 0, "batch/heads/dk/dv", "all > 0",
                batch + "/" + heads + "/" + dk + "/" + dv);
        this.op = op;
        this.state = Tensor.zeros(DType.F32, batch, heads, dk, dv);
        this.keySum = op instanceof LinearAttention && ((LinearAttention) op).normalize()
                ? Tensor.zeros(DType.F32, batch, heads, dk) : null;
    }

    /** The current state {@code [B, H, Dk, Dv]} (fp32). */
    public Tensor state() { return state; }

    /** The running key sum {@code [B, H, Dk]} of normalized linear attention, else null. */
    public @Nullable Tensor keySum() { return keySum; }

    /** Replaces the state (e.g. with a forward pass's final state). */
    public LinearState setState(Tensor h) {
        Checks.shape(h, "state", state.shape(), "[B, H, Dk, Dv]");
        Checks.check(h.dtype() == DType.F32, "state", "dtype F32", h.dtype());
        this.state = h.copy();
        return this;
    }

    /** Replaces the key sum of normalized linear attention. */
    public LinearState setKeySum(Tensor z) {
        Checks.check(keySum != null, "keySum", "a normalized linear attention state", "an op without normalize");
        Checks.shape(z, "keySum", keySum.shape(), "[B, H, Dk]");
        this.keySum = z.copy();
        return this;
    }

    /** One linear-attention step: {@code q, k [B, H, Dk]}, {@code v [B, H, Dv]}; returns {@code o [B, H, Dv]}. */
    public Tensor step(Tensor q, Tensor k, Tensor v) {
        Checks.check(op instanceof LinearAttention, "g", "a gate for gated attention (call step(q, k, v, g))", "no gate");
        return step(q, k, v, null);
    }

    /** One gated step with {@code g [B, H, Dk]} or {@code [B, H]}; returns {@code o [B, H, Dv]}. */
    public Tensor step(Tensor q, Tensor k, Tensor v, @Nullable Tensor g) {
        long[] s = state.shape();
        Checks.shape(q, "q", new long[] {s[0], s[1], s[2]}, "[B, H, Dk]");
        Checks.shape(k, "k", new long[] {s[0], s[1], s[2]}, "[B, H, Dk]");
        Checks.shape(v, "v", new long[] {s[0], s[1], s[3]}, "[B, H, Dv]");
        Checks.sameDtype(q, "q", k, "k");
        Checks.sameDtype(q, "q", v, "v");
        Tensor q4 = q.contiguous().reshape(s[0], 1, s[1], s[2]);
        Tensor k4 = k.contiguous().reshape(s[0], 1, s[1], s[2]);
        Tensor v4 = v.contiguous().reshape(s[0], 1, s[1], s[3]);
        LinearOutput out;
        if (op instanceof GatedAttention) {
            Checks.notNull(g, "g");
            long[] vector = {s[0], s[1], s[2]};
            long[] scalar = {s[0], s[1]};
            if (!(Arrays.equals(g.shape(), vector) || Arrays.equals(g.shape(), scalar))) {
                throw Checks.mismatch("g", "shape " + Arrays.toString(vector) + " [B, H, Dk] (GLA) or "
                        + Arrays.toString(scalar) + " [B, H] (scalar gate)", "shape " + Arrays.toString(g.shape()));
            }
            Tensor g4 = g.rank() == 3 ? g.contiguous().reshape(s[0], 1, s[1], s[2])
                    : g.contiguous().reshape(s[0], 1, s[1]);
            out = ((GatedAttention) op).forward(q4, k4, v4, g4, state);
        } else {
            Checks.check(g == null, "g", "null for linear attention", "a gate");
            out = ((LinearAttention) op).forward(q4, k4, v4, state, keySum);
        }
        state = out.finalState();
        if (keySum != null) {
            keySum = out.finalKeySum();
        }
        return out.output().reshape(s[0], s[1], s[3]);
    }
}
