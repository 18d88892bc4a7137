package org.attention4j.jmh;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.attention4j.Attention;
import org.attention4j.AttentionOp;
import org.attention4j.RadialAttention;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuBackend;
import org.attention4j.radial.RadialMask;
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
 * Masked softmax families at 8192 tokens, 8 heads, D = 64, fp32: neighborhood 1-D/2-D/3-D and radial.
 * Compared per useful FLOP with dense softmax of the same token count.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SparseBenchmark {
    static final int HEADS = 8, D = 64;

    @Param({"na1d_k255", "na2d_k13", "na3d_k7", "radial_wan"})
    public String shape;

    private CpuBackend backend;
    private AttentionCall call;

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(3);
        long[] grid = grid(shape);
        long[] qs = new long[grid.length + 3];
        qs[0] = 1;
        System.arraycopy(grid, 0, qs, 1, grid.length);
        qs[grid.length + 1] = HEADS;
        qs[grid.length + 2] = D;
        Tensor q = Inputs.normal(rnd, qs), k = Inputs.normal(rnd, qs), v = Inputs.normal(rnd, qs);
        call = AttentionCall.builder(op(shape), q, k, v).build();
        backend = new CpuBackend();
    }

    static long[] grid(String shape) {
        switch (shape) {
            case "na1d_k255": return new long[] {8192};
            case "na2d_k13": return new long[] {64, 128};
            case "na3d_k7": return new long[] {8, 32, 32};
            default: return new long[] {8192};
        }
    }

    static AttentionOp op(String shape) {
        switch (shape) {
            case "na1d_k255": return Attention.neighborhood(255).build();
            case "na2d_k13": return Attention.neighborhood(13, 13).build();
            case "na3d_k7": return Attention.neighborhood(7, 7, 7).build();
            default: return radial();
        }
    }

    static RadialAttention radial() {
        return Attention.radial(16, 512).blockSize(128).decayFactor(1.0).build();
    }

    /** Useful FLOPs: 4 * H * D * (attended pairs). Non-causal NA rows see exactly prod(k) keys. */
    static double flops(String shape) {
        switch (shape) {
            case "na1d_k255": return 4.0 * HEADS * D * 8192 * 255;
            case "na2d_k13": return 4.0 * HEADS * D * 8192 * 169;
            case "na3d_k7": return 4.0 * HEADS * D * 8192 * 343;
            default: {
                RadialMask m = radial().blockMask(8192);
                double kept = m.density() * m.numBlocks() * m.numBlocks();
                return 4.0 * HEADS * D * kept * m.blockSize() * m.blockSize();
            }
        }
    }

    @Benchmark
    public Tensor forward() {
        return backend.forward(call).output();
    }
}
