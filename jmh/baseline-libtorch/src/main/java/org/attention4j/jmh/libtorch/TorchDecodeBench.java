package org.attention4j.jmh.libtorch;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * libtorch SDPA for one decode step: one query token against {@code s} cached keys and values, which it sees
 * all of (what a libtorch user calls per generated token), the shapes of {@code DecodeBench}.
 */
@State(Scope.Benchmark)
public class TorchDecodeBench extends TorchBenchmark {
    @Param("1")
    public int b;
    @Param("8")
    public int h;
    @Param("8")
    public int hkv;
    @Param({"16384", "32768"})
    public int s;
    @Param("128")
    public int d;

    @Setup
    public void setup() {
        if (hkv != h) {
            throw new IllegalArgumentException("hkv: expected h = " + h + " (the baseline has no grouped-query form), got " + hkv);
        }
        prepare(b, h, 1, s, d, false, null);
    }

    @Benchmark
    public long step() {
        return attend();
    }
}
