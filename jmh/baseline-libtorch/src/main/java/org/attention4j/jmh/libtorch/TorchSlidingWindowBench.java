package org.attention4j.jmh.libtorch;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** libtorch SDPA with a causal sliding-window mask of {@code window} keys, the shapes of {@code SlidingWindowBench}. */
@State(Scope.Benchmark)
public class TorchSlidingWindowBench extends TorchBenchmark {
    @Param("1")
    public int b;
    @Param("8")
    public int h;
    @Param({"4096", "8192"})
    public int s;
    @Param({"64", "128"})
    public int d;
    @Param("1024")
    public int window;

    @Setup
    public void setup() {
        boolean[] visible = new boolean[s * s];
        for (int i = 0; i < s; i++) {
            for (int j = Math.max(0, i - window + 1); j <= i; j++) {
                visible[i * s + j] = true;
            }
        }
        prepare(b, h, s, d, false, visible);
    }

    @Benchmark
    public long forward() {
        return attend();
    }
}
