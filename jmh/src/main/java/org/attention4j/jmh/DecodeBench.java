package org.attention4j.jmh;

import org.attention4j.Attention;
import org.attention4j.DType;
import org.attention4j.KvCache;
import org.attention4j.SoftmaxAttention;
import org.attention4j.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One decode step: a single query token per sequence against a full fp32 KV cache of {@code s} rows. It does half
 * a FLOP per byte of K and V (times H / Hkv) and its K and V (128 MiB and more) do not fit the caches, so the
 * measure is GB/s of K and V against the machine's read bandwidth ({@link MachinePeakBench#read}).
 */
@State(Scope.Benchmark)
public class DecodeBench extends KernelBenchmark {
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

    private KvCache cache;
    private Tensor q;

    @Setup
    public void setup() {
        forceBackend();
        SoftmaxAttention op = Attention.softmax().causal(true).build();
        cache = op.newKvCache(b, s, hkv, d, d, DType.F32);
        cache.keys().copyFrom(Inputs.gaussian(2, b * s * hkv * d));
        cache.values().copyFrom(Inputs.gaussian(3, b * s * hkv * d));
        cache.setLengths(filled(b, s));
        q = Inputs.randn(1, b, 1, h, d);
        firstCall(() -> cache.decode(q));
    }

    private static int[] filled(int batch, int length) {
        int[] lengths = new int[batch];
        java.util.Arrays.fill(lengths, length);
        return lengths;
    }

    @Benchmark
    public Tensor step() {
        return cache.decode(q);
    }
}
