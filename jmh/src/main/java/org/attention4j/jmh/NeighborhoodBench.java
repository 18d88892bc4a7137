package org.attention4j.jmh;

import org.attention4j.Attention;
import org.attention4j.NeighborhoodAttention;
import org.attention4j.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Neighborhood attention (NATTEN rule, stride and dilation 1) on a spatial grid {@code [B, X, (Y, (Z,)) H, D]}.
 * {@code grid} is {@code "extents/kernel"}, e.g. {@code "64x64/13"}: a 64 x 64 grid with a 13 x 13 window. One grid per
 * rank (1-D sequence, 2-D image, 3-D video), each at a token count that the dense softmax benchmark also runs, so
 * the report can set useful GFLOP/s against dense ones of the same size.
 */
@State(Scope.Benchmark)
public class NeighborhoodBench extends KernelBenchmark {
    @Param("1")
    public int b;
    @Param("8")
    public int h;
    @Param({"8192/255", "64x64/13", "16x16x16/7"})
    public String grid;
    @Param({"64", "128"})
    public int d;

    private NeighborhoodAttention op;
    private Tensor q, k, v;

    @Setup
    public void setup() {
        forceBackend();
        GridSpec g = GridSpec.parse(grid);
        q = Inputs.randn(1, g.shape(b, h, d));
        k = Inputs.randn(2, g.shape(b, h, d));
        v = Inputs.randn(3, g.shape(b, h, d));
        op = Attention.neighborhood(g.kernel()).build();
        firstCall(() -> op.forward(q, k, v));
    }

    @Benchmark
    public Tensor forward() {
        return op.forward(q, k, v);
    }
}
