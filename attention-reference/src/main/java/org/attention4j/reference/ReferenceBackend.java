package org.attention4j.reference;

import org.attention4j.reference.gated.GatedReference;
import org.attention4j.reference.linear.LinearReference;
import org.attention4j.reference.locallinear.LocalLinearReference;
import org.attention4j.reference.neighborhood.NeighborhoodReference;
import org.attention4j.reference.radial.RadialReference;
import org.attention4j.reference.softmax.SoftmaxReference;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * The oracle: every operator in plain Java with fp64 accumulation, written to read like the spec.
 * Slow by design; the dispatcher verifies the fast backends against it.
 */
public final class ReferenceBackend implements AttentionBackend {
    @Override public String name() { return "reference"; }
    @Override public int priority() { return 0; }
    @Override public boolean isReference() { return true; }

    @Override
    public Support supports(AttentionCall call) {
        switch (call.family()) {
            case SOFTMAX:
            case SLIDING_WINDOW:
                return SoftmaxReference.supports(call);
            case NEIGHBORHOOD:
                return NeighborhoodReference.supports(call);
            case RADIAL:
                return RadialReference.supports(call);
            case LINEAR:
            case GATED:
            case LOCAL_LINEAR:
                return Support.yes();
            default:
                return Support.no("the reference has no " + call.family() + " operator");
        }
    }

    @Override
    public AttentionResult forward(AttentionCall call) {
        switch (call.family()) {
            case SOFTMAX:
            case SLIDING_WINDOW:
                return SoftmaxReference.forward(call);
            case NEIGHBORHOOD:
                return NeighborhoodReference.forward(call);
            case RADIAL:
                return RadialReference.forward(call);
            case LINEAR:
                return LinearReference.forward(call);
            case GATED:
                return GatedReference.forward(call);
            case LOCAL_LINEAR:
                return LocalLinearReference.forward(call);
            default:
                throw new UnsupportedOperationException("the reference has no " + call.family() + " operator");
        }
    }
}
