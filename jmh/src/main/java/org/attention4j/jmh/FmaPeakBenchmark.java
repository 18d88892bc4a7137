package org.attention4j.jmh;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.attention4j.cpu.CpuThreads;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The machine's fp32 FMA ceiling as the Vector API reaches it: 12 independent accumulator chains of the
 * preferred species (enough to hide FMA latency), one chain set per thread of the same {@link CpuThreads}
 * pool the kernels use. {@link #flops()} is the work of one invocation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class FmaPeakBenchmark {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    static final long ITERATIONS = 20_000_000L;
    private CpuThreads pool;
    private float[] sink;

    @Setup
    public void setup() {
        pool = new CpuThreads(CpuThreads.defaultThreads());
        sink = new float[pool.threads()];
    }

    /** FLOPs of one invocation on {@code threads} threads. */
    static double flops(int threads) {
        return 2.0 * 12 * SP.length() * ITERATIONS * threads;
    }

    @Benchmark
    public float fmaPeak() {
        pool.forEach(pool.threads(), () -> null, (i, s) -> sink[i] = chains(ITERATIONS, i));
        return sink[0];
    }

    static float chains(long iters, float seed) {
        FloatVector m = FloatVector.broadcast(SP, 0.999999f), c = FloatVector.broadcast(SP, 1e-7f);
        FloatVector a0 = FloatVector.broadcast(SP, seed), a1 = a0.add(1), a2 = a0.add(2), a3 = a0.add(3), a4 = a0.add(4);
        FloatVector a5 = a0.add(5), a6 = a0.add(6), a7 = a0.add(7), a8 = a0.add(8), a9 = a0.add(9), a10 = a0.add(10), a11 = a0.add(11);
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c); a4 = a4.fma(m, c); a5 = a5.fma(m, c);
            a6 = a6.fma(m, c); a7 = a7.fma(m, c); a8 = a8.fma(m, c); a9 = a9.fma(m, c); a10 = a10.fma(m, c); a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}
