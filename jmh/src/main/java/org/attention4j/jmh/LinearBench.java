package org.attention4j.jmh;

import org.attention4j.Attention;
import org.attention4j.Decays;
import org.attention4j.LinearAttention;
import org.attention4j.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Causal linear attention, Dk = Dv = d, from a zero state. {@code variant}: {@code plain} is fla's
 * {@code linear_attn} without normalization, {@code normalized} divides by the running key sum, {@code decayed}
 * multiplies the state by RetNet's per-head decays ({@link Decays#retnet}) each step.
 */
@State(Scope.Benchmark)
public class LinearBench extends KernelBenchmark {
    @Param("1")
    public int b;
    @Param("8")
    public int h;
    @Param({"1024", "8192"})
    public int s;
    @Param({"64", "128"})
    public int d;
    @Param({"plain", "normalized", "decayed"})
    public String variant;

    private LinearAttention op;
    private Tensor q, k, v;

    @Setup
    public void setup() {
        forceBackend();
        q = Inputs.randn(1, b, s, h, d);
        k = Inputs.randn(2, b, s, h, d);
        v = Inputs.randn(3, b, s, h, d);
        switch (variant) {
            case "plain":
                op = Attention.linear().normalize(false).build();
                break;
            case "normalized":
                op = Attention.linear().normalize(true).build();
                break;
            case "decayed":
                op = Attention.linear().decay(Decays.retnet(h)).build();
                break;
            default:
                throw new IllegalArgumentException("variant: expected plain, normalized or decayed, got " + variant);
        }
        firstCall(() -> op.forward(q, k, v));
    }

    @Benchmark
    public Tensor forward() {
        return op.forward(q, k, v).output();
    }
}
