package org.attention4j.jmh;

import org.attention4j.Attention;
import org.attention4j.LinearState;
import org.attention4j.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One recurrent decode step of the linear family ({@link LinearState#step}): one token per sequence against a
 * fp32 state {@code [B, H, D, D]}, which every step reads and writes. {@code gate}: {@code none} is linear
 * attention, {@code scalar} simple GLA ({@code g [B, H]}), {@code vector} GLA ({@code g [B, H, D]}).
 */
@State(Scope.Benchmark)
public class RecurrentStepBench extends KernelBenchmark {
    @Param("1")
    public int b;
    @Param("8")
    public int h;
    @Param("128")
    public int d;
    @Param({"none", "scalar", "vector"})
    public String gate;

    private LinearState state;
    private Tensor q, k, v, g;

    @Setup
    public void setup() {
        forceBackend();
        q = Inputs.randn(1, b, h, d);
        k = Inputs.randn(2, b, h, d);
        v = Inputs.randn(3, b, h, d);
        switch (gate) {
            case "none":
                state = Attention.linear().build().newState(b, h, d, d);
                break;
            case "scalar":
                state = Attention.gated().build().newState(b, h, d, d);
                g = Inputs.logGates(4, b, h);
                break;
            case "vector":
                state = Attention.gated().build().newState(b, h, d, d);
                g = Inputs.logGates(4, b, h, d);
                break;
            default:
                throw new IllegalArgumentException("gate: expected none, scalar or vector, got " + gate);
        }
        firstCall(() -> state.step(q, k, v, g));
    }

    @Benchmark
    public Tensor step() {
        return state.step(q, k, v, g);
    }
}
