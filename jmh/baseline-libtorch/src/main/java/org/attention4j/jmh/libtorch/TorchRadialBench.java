package org.attention4j.jmh.libtorch;

import org.attention4j.RadialModel;
import org.attention4j.radial.RadialMask;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** libtorch SDPA with the radial mask of attention-api (Wan, decay 1), the shapes of {@code RadialBench}. */
@State(Scope.Benchmark)
public class TorchRadialBench extends TorchBenchmark {
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

    @Setup
    public void setup() {
        int s = frames * tokensPerFrame;
        RadialMask m = RadialMask.of(s, frames, s, block, 1.0, RadialModel.WAN);
        boolean[] visible = new boolean[s * s];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                visible[i * s + j] = m.visible(i, j);
            }
        }
        prepare(b, h, s, d, false, visible);
    }

    @Benchmark
    public long forward() {
        return attend();
    }
}
