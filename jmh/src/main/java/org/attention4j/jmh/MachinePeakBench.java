package org.attention4j.jmh;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's ceilings as a Java program sees them, on every core at once: fp32 FMA throughput of the
 * Vector API's preferred species with operands in registers, and read bandwidth over arrays far larger
 * than the caches. Counters report FLOP/s and bytes/s summed over threads ({@code flop}, {@code bytes}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Threads(Threads.MAX)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class MachinePeakBench {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** FMA rounds per call: long enough that call overhead vanishes, short enough for many calls per iteration. */
    private static final int ROUNDS = 1 << 16;
    /** Independent accumulator chains, more than FMA latency times FMA ports, so the units never wait. */
    private static final int CHAINS = 12;
    /** Floats read per thread per call: 128 MiB, four times the last-level cache. */
    private static final int READ_FLOATS = 32 << 20;

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Work {
        public long flop;
        public long bytes;

        @Setup(Level.Iteration)
        public void clear() {
            flop = 0;
            bytes = 0;
        }
    }

    @State(Scope.Thread)
    public static class Buffer {
        float[] data;

        @Setup
        public void fill() {
            data = Inputs.gaussian(Thread.currentThread().getId(), READ_FLOATS);
        }
    }

    @Benchmark
    public float fma(Work work) {
        FloatVector m = FloatVector.broadcast(SPECIES, 0.999f);
        FloatVector c = FloatVector.broadcast(SPECIES, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(SPECIES, 0.10f), a1 = FloatVector.broadcast(SPECIES, 0.11f);
        FloatVector a2 = FloatVector.broadcast(SPECIES, 0.12f), a3 = FloatVector.broadcast(SPECIES, 0.13f);
        FloatVector a4 = FloatVector.broadcast(SPECIES, 0.14f), a5 = FloatVector.broadcast(SPECIES, 0.15f);
        FloatVector a6 = FloatVector.broadcast(SPECIES, 0.16f), a7 = FloatVector.broadcast(SPECIES, 0.17f);
        FloatVector a8 = FloatVector.broadcast(SPECIES, 0.18f), a9 = FloatVector.broadcast(SPECIES, 0.19f);
        FloatVector a10 = FloatVector.broadcast(SPECIES, 0.20f), a11 = FloatVector.broadcast(SPECIES, 0.21f);
        for (int r = 0; r < ROUNDS; r++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
        }
        work.flop += 2L * SPECIES.length() * CHAINS * ROUNDS;
        FloatVector sum = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        return sum.reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    public float read(Buffer buffer, Work work) {
        float[] x = buffer.data;
        int step = SPECIES.length();
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= x.length - 4 * step; i += 4 * step) {
            s0 = s0.add(FloatVector.fromArray(SPECIES, x, i));
            s1 = s1.add(FloatVector.fromArray(SPECIES, x, i + step));
            s2 = s2.add(FloatVector.fromArray(SPECIES, x, i + 2 * step));
            s3 = s3.add(FloatVector.fromArray(SPECIES, x, i + 3 * step));
        }
        float tail = 0;
        for (; i < x.length; i++) {
            tail += x[i];
        }
        work.bytes += 4L * x.length;
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD) + tail;
    }
}
