package org.attention4j.jmh;

import java.util.Collection;
import java.util.Locale;
import org.attention4j.cpu.CpuThreads;
import org.attention4j.cpu.vectorization.VectorizationProvider;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the CPU benchmarks with short settings and prints one Markdown row per configuration: time per
 * call, GFLOP/s and the share of the Vector API FMA peak measured just before and after them.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp ... org.attention4j.jmh.Report [regex ...]</pre>
 */
public final class Report {
    private Report() {
    }

    public static void main(String[] args) throws RunnerException {
        ChainedOptionsBuilder opts = options();
        if (args.length == 0) {
            opts.include("SoftmaxBenchmark").include("LinearBenchmark").include("SparseBenchmark");
        }
        for (String a : args) {
            if (a.startsWith("-p")) {
                String[] kv = a.substring(2).split("=", 2);
                opts.param(kv[0], kv[1].split(","));
            } else {
                opts.include(a);
            }
        }
        // The machine may be shared: the peak is measured right before and right after the kernels, and the
        // kernels are reported against the higher of the two.
        double peakBefore = peak();
        Collection<RunResult> results = new Runner(opts.build()).run();
        double peakAfter = peak();
        double peak = Math.max(peakBefore, peakAfter);
        System.out.printf(Locale.ROOT, "%n%s, %d threads, %s%n", System.getProperty("java.vm.version"),
                CpuThreads.defaultThreads(), VectorizationProvider.getInstance());
        System.out.printf(Locale.ROOT, "Vector API FMA peak: %.1f GFLOP/s before, %.1f after%n%n", peakBefore, peakAfter);
        System.out.println("| benchmark | params | ms/call | GFLOP/s | of FMA peak |");
        System.out.println("|---|---|---|---|---|");
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            double ms = r.getPrimaryResult().getScore();
            double gflops = flops(p) / (ms * 1e6);
            String name = p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.', p.getBenchmark().lastIndexOf('.') - 1) + 1);
            StringBuilder ps = new StringBuilder();
            for (String k : p.getParamsKeys()) ps.append(k).append('=').append(p.getParam(k)).append(' ');
            System.out.printf(Locale.ROOT, "| %s | %s| %.2f | %.1f | %.0f%% |%n", name, ps, ms, gflops, 100 * gflops / peak);
        }
    }

    private static ChainedOptionsBuilder options() {
        return new OptionsBuilder()
                .forks(1)
                .warmupIterations(2).warmupTime(TimeValue.seconds(1))
                .measurementIterations(3).measurementTime(TimeValue.seconds(2))
                .jvmArgsAppend("--add-modules", "jdk.incubator.vector", "-Xmx8g");
    }

    /** The FMA peak in GFLOP/s, measured now. */
    private static double peak() throws RunnerException {
        RunResult r = new Runner(options().include(FmaPeakBenchmark.class.getSimpleName()).build()).runSingle();
        return FmaPeakBenchmark.flops(CpuThreads.defaultThreads()) / (r.getPrimaryResult().getScore() * 1e6);
    }

    static double flops(BenchmarkParams p) {
        String b = p.getBenchmark();
        if (b.contains("SoftmaxBenchmark")) {
            return SoftmaxBenchmark.flops(Integer.parseInt(p.getParam("s")), Integer.parseInt(p.getParam("d")),
                    Boolean.parseBoolean(p.getParam("causal")), Integer.parseInt(p.getParam("window")));
        }
        if (b.contains("LinearBenchmark")) {
            return LinearBenchmark.flops(Integer.parseInt(p.getParam("t")));
        }
        return SparseBenchmark.flops(p.getParam("shape"));
    }
}
