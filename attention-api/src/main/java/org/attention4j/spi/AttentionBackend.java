package org.attention4j.spi;

/**
 * A provider of attention kernels, found with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/org.attention4j.spi.AttentionBackend}). Implementations must have a public
 * no-argument constructor that never throws: a backend that cannot load (no GPU, no native library)
 * reports why from {@link #availability()} and is skipped.
 */
public interface AttentionBackend {
    /** Short lower-case name used by {@code attention4j.backend} ({@code reference}, {@code cpu}, {@code cuda}). */
    String name();

    /** Higher runs first. Conventions: cuda 300, cpu 200, reference 0. */
    int priority();

    /** Whether the backend loaded on this machine; probed once. */
    default Support availability() {
        return Support.yes();
    }

    /** Whether this backend can run {@code call} (already validated by the facade). */
    Support supports(AttentionCall call);

    /**
     * Runs the call. Called only after {@link #supports} said yes. Must not keep references to the inputs.
     * Decode forms arrive here too, as forward calls over a KV cache with per-batch key ranges.
     */
    AttentionResult forward(AttentionCall call);

    /** Whether this backend is the oracle the others are verified against. Exactly one should be. */
    default boolean isReference() {
        return false;
    }
}
