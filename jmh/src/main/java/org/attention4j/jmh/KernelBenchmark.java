package org.attention4j.jmh;

import java.util.concurrent.TimeUnit;
import org.attention4j.Attention;
import org.attention4j.cpu.vectorization.VectorizationProvider;
import org.attention4j.internal.Dispatcher;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every operator benchmark shares: time per forward call through the public facade, so what a user's call
 * costs (argument checks, dispatch, the kernel), one forked JVM with the Vector API module (the CPU kernels'
 * fast path) and first-use verification off (it would time the reference too). {@code bin/bench-cpu} sets the
 * iteration counts for the recorded run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Dattention4j.verify=off", "-Xmx3g"})
public abstract class KernelBenchmark {
    /** The backend that must answer: {@code cpu}, or {@code reference} for the oracle's figures. */
    @Param("cpu")
    public String backend;

    /**
     * Forces {@link #backend} for this JVM; the dispatcher then fails loudly if it cannot run a call. The CPU
     * figures must come from the Vector API kernels, never from the scalar fallback.
     */
    protected final void forceBackend() {
        System.setProperty(Dispatcher.BACKEND_PROPERTY, backend);
        VectorizationProvider provider = VectorizationProvider.getInstance();
        if ("cpu".equals(backend) && provider.tileOps().getClass() == VectorizationProvider.scalar().tileOps().getClass()) {
            throw new IllegalStateException("the cpu kernels run their scalar fallback: " + provider);
        }
    }

    /**
     * The setup's first call, forced onto {@link #backend} and checked to have been served by it. For {@code cpu} the
     * timed calls then run unforced, as a user's do, whenever the dispatcher picks cpu by itself (any machine without
     * a usable GPU): a forced backend has its support check run twice per call, and for GLA that check scans every
     * gate (at S = 4096, D = 128 the forced facade took 42 ms, the unforced 32 ms, the kernel alone 21 ms).
     */
    protected final void firstCall(Runnable call) {
        call.run();
        checkServedBy();
        if ("cpu".equals(backend)) {
            System.clearProperty(Dispatcher.BACKEND_PROPERTY);
            call.run();
            if (!backend.equals(Attention.lastBackend())) {
                System.err.println("attention4j jmh: the dispatcher picks " + Attention.lastBackend()
                        + " unforced; timing with " + Dispatcher.BACKEND_PROPERTY + "=" + backend + " (two support checks per call)");
                System.setProperty(Dispatcher.BACKEND_PROPERTY, backend);
            }
        }
    }

    /** Fails the trial unless the last call ran on {@link #backend} (a silent fallback would time the wrong code). */
    private void checkServedBy() {
        String served = Attention.lastBackend();
        if (!backend.equals(served)) {
            throw new IllegalStateException("expected backend " + backend + " to answer, got " + served);
        }
    }
}
