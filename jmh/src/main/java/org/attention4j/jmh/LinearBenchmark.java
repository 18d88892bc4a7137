package org.attention4j.jmh;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.attention4j.Attention;
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

/** Chunked linear attention, scalar-gate GLA and GLA forward, fp32 {@code [1, T, 8, 128]}. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LinearBenchmark {
    static final int HEADS = 8, DK = 128, DV = 128, CHUNK = 64;

    @Param({"linear", "simple_gla", "gla"})
    public String kind;
    @Param({"4096", "16384"})
    public int t;

    private CpuBackend backend;
    private AttentionCall call;

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(7);
        Tensor q = Inputs.normal(rnd, 1, t, HEADS, DK), k = Inputs.normal(rnd, 1, t, HEADS, DK), v = Inputs.normal(rnd, 1, t, HEADS, DV);
        switch (kind) {
            case "linear":
                call = AttentionCall.builder(Attention.linear().build(), q, k, v).build();
                break;
            case "simple_gla":
                call = AttentionCall.builder(Attention.gated().build(), q, k, v).gate(Inputs.logSigmoidGates(rnd, 16, 1, t, HEADS)).build();
                break;
            default:
                call = AttentionCall.builder(Attention.gated().build(), q, k, v).gate(Inputs.logSigmoidGates(rnd, 16, 1, t, HEADS, DK)).build();
        }
        backend = new CpuBackend();
    }

    /**
     * FLOPs of the chunk algorithm (spec 3.5) per token and head: {@code Q S} and the state update
     * ({@code 2 * 2 K V}) plus the intra-chunk {@code Q K^T} and {@code A V} ({@code 2 C (K + V)}).
     */
    static double flops(int t) {
        return (double) t * HEADS * (4.0 * DK * DV + 2.0 * CHUNK * (DK + DV));
    }

    @Benchmark
    public Tensor forward() {
        return backend.forward(call).output();
    }
}
