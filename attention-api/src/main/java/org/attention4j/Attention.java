package org.attention4j;

import org.attention4j.internal.Checks;
import org.attention4j.internal.Dispatcher;
import org.attention4j.spi.AttentionCall;
import org.jspecify.annotations.Nullable;

/**
 * The entry point: one static factory per operator family. Each returns a fluent builder of an immutable
 * operator; the operator runs every call on the best backend of this machine (CUDA, CPU, reference) and
 * checks that backend against the reference on first use.
 *
 * <pre>{@code
 * Tensor o = Attention.softmax().causal(true).build().forward(q, k, v);
 * }</pre>
 *
 * System properties: {@code attention4j.backend=reference|cpu|cuda} forces a backend;
 * {@code attention4j.verify=on_first_use|always|off} sets the verification policy.
 */
public final class Attention {
    /** A window side with no bound (FlashAttention's -1). */
    public static final int UNBOUNDED = MaskedSoftmaxOp.UNBOUNDED;

    private Attention() {
    }

    /** Scaled dot-product (softmax) attention. */
    public static SoftmaxAttention.Builder softmax() {
        return new SoftmaxAttention.Builder();
    }

    /** Sliding-window softmax attention with FlashAttention's {@code (left, right)}; -1 is unbounded. */
    public static SlidingWindowAttention.Builder slidingWindow(int left, int right) {
        return new SlidingWindowAttention.Builder(left, right);
    }

    /** Neighborhood attention with per-axis kernel sizes (one value for every axis, or one per axis). */
    public static NeighborhoodAttention.Builder neighborhood(int... kernel) {
        return new NeighborhoodAttention.Builder(kernel);
    }

    /** Radial attention over {@code frames x tokensPerFrame} video tokens. */
    public static RadialAttention.Builder radial(int frames, int tokensPerFrame) {
        return new RadialAttention.Builder(frames, tokensPerFrame);
    }

    /** Linear attention (plain, normalized, per-head decay). */
    public static LinearAttention.Builder linear() {
        return new LinearAttention.Builder();
    }

    /** Gated linear attention (GLA vector gates or scalar gates). */
    public static GatedAttention.Builder gated() {
        return new GatedAttention.Builder();
    }

    /** Local linear attention (LLA). */
    public static LocalLinearAttention.Builder localLinear() {
        return new LocalLinearAttention.Builder();
    }

    /**
     * Which backend would run {@code op} on these inputs, and why: every backend considered, whether it
     * supports the call, and its verification state. Runs nothing. For gated attention the gate shape
     * matters for no backend's choice, so q, k and v suffice.
     */
    public static Explanation explain(AttentionOp op, Tensor q, Tensor k, Tensor v) {
        Checks.notNull(op, "op");
        return Dispatcher.get().explain(AttentionCall.builder(op, q, k, v).build());
    }

    /** {@link #explain(AttentionOp, Tensor, Tensor, Tensor)} for a fully built call (backends' view). */
    public static Explanation explain(AttentionCall call) {
        return Dispatcher.get().explain(Checks.notNull(call, "call"));
    }

    /** The name of the backend that answered the calling thread's last operator call ({@code null} before any). */
    public static @Nullable String lastBackend() {
        return Dispatcher.lastBackend();
    }

    /**
     * Merges two partial results over disjoint key sets exactly (spec 0.4): the result equals one softmax
     * over the union. A partial whose row is empty (LSE {@code +inf} by our convention, or {@code -inf})
     * contributes nothing; if both are empty the row stays 0 with LSE {@code +inf}.
     */
    public static AttentionOutput mergeLse(AttentionOutput a, AttentionOutput b) {
        return LseMerge.merge(a, b);
    }
}
