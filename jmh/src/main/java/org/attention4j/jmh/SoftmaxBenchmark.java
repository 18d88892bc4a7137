package org.attention4j.jmh;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.attention4j.Attention;
import org.attention4j.AttentionOp;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuBackend;
import org.attention4j.spi.AttentionCall;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * CPU softmax-family forward, fp32 {@code [1, S, 8, D]}, called on the backend directly (no dispatch or
 * verification). {@code window} < 0 is dense attention; otherwise a sliding window {@code (window, 0)} or,
 * non-causal, {@code (window, window)}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SoftmaxBenchmark {
    static final int HEADS = 8;

    @Param({"64", "128"})
    public int d;
    @Param({"1024", "2048", "4096", "8192"})
    public int s;
    @Param({"false", "true"})
    public boolean causal;
    @Param({"-1"})
    public int window;

    private CpuBackend backend;
    private AttentionCall call;

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(42);
        Tensor q = Inputs.normal(rnd, 1, s, HEADS, d), k = Inputs.normal(rnd, 1, s, HEADS, d), v = Inputs.normal(rnd, 1, s, HEADS, d);
        AttentionOp op = window < 0 ? Attention.softmax().causal(causal).build()
                : Attention.slidingWindow(window, causal ? 0 : window).build();
        call = AttentionCall.builder(op, q, k, v).build();
        backend = new CpuBackend();
    }

    /** Useful FLOPs (FlashAttention convention: 4 * visible pairs * D, causal pairs counted exactly). */
    static double flops(int s, int d, boolean causal, int window) {
        double pairs = 0;
        for (long i = 0; i < s; i++) {
            long lo = window < 0 ? 0 : Math.max(0, i - window);
            long hi = causal ? i + 1 : window < 0 ? s : Math.min(s, i + window + 1);
            pairs += hi - lo;
        }
        return 4.0 * HEADS * pairs * d;
    }

    @Benchmark
    public Tensor forward() {
        return backend.forward(call).output();
    }
}
