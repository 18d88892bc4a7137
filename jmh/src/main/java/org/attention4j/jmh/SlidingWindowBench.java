package org.attention4j.jmh;

import org.attention4j.Attention;
import org.attention4j.SlidingWindowAttention;
import org.attention4j.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Causal sliding-window attention (Mistral style): each query sees its {@code window} latest keys, itself included. */
@State(Scope.Benchmark)
public class SlidingWindowBench extends KernelBenchmark {
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

    private SlidingWindowAttention op;
    private Tensor q, k, v;

    @Setup
    public void setup() {
        forceBackend();
        q = Inputs.randn(1, b, s, h, d);
        k = Inputs.randn(2, b, s, h, d);
        v = Inputs.randn(3, b, s, h, d);
        op = Attention.slidingWindow(window - 1, 0).build();
        firstCall(() -> op.forward(q, k, v));
    }

    @Benchmark
    public Tensor forward() {
        return op.forward(q, k, v);
    }
}
