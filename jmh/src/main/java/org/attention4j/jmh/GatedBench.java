package org.attention4j.jmh;

import org.attention4j.Attention;
import org.attention4j.GatedAttention;
import org.attention4j.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Gated linear attention from a zero state: {@code gate = vector} is GLA ({@code g [B, T, H, Dk]}),
 * {@code scalar} is simple GLA ({@code g [B, T, H]}).
 */
@State(Scope.Benchmark)
public class GatedBench extends KernelBenchmark {
    @Param("1")
    public int b;
    @Param("8")
    public int h;
    @Param({"1024", "8192"})
    public int s;
    @Param({"64", "128"})
    public int d;
    @Param({"vector", "scalar"})
    public String gate;

    private GatedAttention op;
    private Tensor q, k, v, g;

    @Setup
    public void setup() {
        forceBackend();
        q = Inputs.randn(1, b, s, h, d);
        k = Inputs.randn(2, b, s, h, d);
        v = Inputs.randn(3, b, s, h, d);
        switch (gate) {
            case "vector":
                g = Inputs.logGates(4, b, s, h, d);
                break;
            case "scalar":
                g = Inputs.logGates(4, b, s, h);
                break;
            default:
                throw new IllegalArgumentException("gate: expected vector or scalar, got " + gate);
        }
        op = Attention.gated().build();
        firstCall(() -> op.forward(q, k, v, g));
    }

    @Benchmark
    public Tensor forward() {
        return op.forward(q, k, v, g).output();
    }
}
