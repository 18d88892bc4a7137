package org.attention4j.cpu;

import org.attention4j.cpu.gated.GatedKernel;
import org.attention4j.cpu.linear.LinearKernel;
import org.attention4j.cpu.locallinear.LocalLinearKernel;
import org.attention4j.cpu.neighborhood.NeighborhoodKernel;
import org.attention4j.cpu.radial.RadialKernel;
import org.attention4j.cpu.softmax.SoftmaxKernel;
import org.attention4j.cpu.vectorization.TileOps;
import org.attention4j.cpu.vectorization.VectorizationProvider;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * The fast pure-Java backend: tiled, multi-threaded fp32 kernels over F32/F16/BF16 storage, with Vector
 * API inner loops when {@code jdk.incubator.vector} is usable ({@link VectorizationProvider}). Calls it
 * cannot run exactly are declined with the reason, so the dispatcher falls back to the reference.
 *
 * <p>Threads: {@code attention4j.cpu.threads} (default: available processors). Results do not depend on
 * the thread count.
 */
public final class CpuBackend implements AttentionBackend {
    private final CpuThreads threads;
    private final TileOps ops;

    /** The service-loaded backend: default thread count and the process-wide provider. */
    public CpuBackend() {
        this(CpuThreads.defaultThreads(), VectorizationProvider.getInstance());
    }

    /** A backend with its own pool of {@code threads} and the given provider (tests, benchmarks). */
    public CpuBackend(int threads, VectorizationProvider provider) {
        this.threads = CpuThreads.shared(threads);
        this.ops = provider.tileOps();
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 200;
    }

    /** Threads this backend spreads work over. */
    public int threads() {
        return threads.threads();
    }

    /** The inner-loop implementation in use. */
    public TileOps tileOps() {
        return ops;
    }

    @Override
    public Support supports(AttentionCall call) {
        switch (call.family()) {
            case SOFTMAX:
            case SLIDING_WINDOW:
                return SoftmaxKernel.supports(call, ops);
            case LINEAR:
                return LinearKernel.supports(call);
            case GATED:
                return GatedKernel.supports(call, ops);
            case NEIGHBORHOOD:
                return NeighborhoodKernel.supports(call);
            case RADIAL:
                return RadialKernel.supports(call, ops);
            case LOCAL_LINEAR:
                return LocalLinearKernel.supports(call, ops);
            default:
                return Support.no("the cpu backend has no " + call.family() + " kernel");
        }
    }

    @Override
    public AttentionResult forward(AttentionCall call) {
        switch (call.family()) {
            case SOFTMAX:
            case SLIDING_WINDOW:
                return SoftmaxKernel.forward(call, ops, threads);
            case LINEAR:
                return LinearKernel.forward(call, ops, threads);
            case GATED:
                return GatedKernel.forward(call, ops, threads);
            case NEIGHBORHOOD:
                return NeighborhoodKernel.forward(call, ops, threads);
            case RADIAL:
                return RadialKernel.forward(call, ops, threads);
            case LOCAL_LINEAR:
                return LocalLinearKernel.forward(call, ops, threads);
            default:
                throw new UnsupportedOperationException("the cpu backend has no " + call.family() + " kernel");
        }
    }
}
