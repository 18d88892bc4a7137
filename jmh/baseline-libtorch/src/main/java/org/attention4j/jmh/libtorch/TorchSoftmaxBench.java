package org.attention4j.jmh.libtorch;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** libtorch's fused CPU SDPA, dense, on the shapes of {@code SoftmaxBench}. */
@State(Scope.Benchmark)
public class TorchSoftmaxBench extends TorchBenchmark {
    @Param("1")
    public int b;
    @Param("8")
    public int h;
    @Param({"1024", "2048", "4096", "8192"})
    public int s;
    @Param({"64", "128"})
    public int d;
    @Param({"false", "true"})
    public boolean causal;

    @Setup
    public void setup() {
        prepare(b, h, s, d, causal, null);
    }

    @Benchmark
    public long forward() {
        return attend();
    }
}
