package org.attention4j.jmh;

import org.attention4j.Attention;
import org.attention4j.RadialAttention;
import org.attention4j.RadialModel;
import org.attention4j.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Radial attention (Wan mask, decay 1) over {@code frames x tokensPerFrame} video tokens, no text tokens. Both
 * block sizes the anchor's kernels support: 128 is the builder's default, 64 the finer mask with more block edges.
 */
@State(Scope.Benchmark)
public class RadialBench extends KernelBenchmark {
    @Param("1")
    public int b;
    @Param("8")
    public int h;
    @Param({"8", "16"})
    public int frames;
    @Param("512")
    public int tokensPerFrame;
    @Param({"64", "128"})
    public int block;
    @Param({"64", "128"})
    public int d;

    private RadialAttention op;
    private Tensor q, k, v;

    @Setup
    public void setup() {
        forceBackend();
        int s = frames * tokensPerFrame;
        q = Inputs.randn(1, b, s, h, d);
        k = Inputs.randn(2, b, s, h, d);
        v = Inputs.randn(3, b, s, h, d);
        op = Attention.radial(frames, tokensPerFrame).blockSize(block).model(RadialModel.WAN).decayFactor(1.0).build();
        firstCall(() -> op.forward(q, k, v));
    }

    @Benchmark
    public Tensor forward() {
        return op.forward(q, k, v);
    }
}
