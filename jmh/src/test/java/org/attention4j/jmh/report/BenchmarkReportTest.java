package org.attention4j.jmh.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The formatter reads JMH's JSON and puts each ratio the right way round. */
class BenchmarkReportTest {
    /**
     * A JMH-shaped result file: FMA peak 400 GFLOP/s (best iteration of two measurements), read 40 GB/s, softmax at
     * 200 ms (ours), 400 ms (libtorch), 4 s (ND4J); decode at 6.4 ms (libtorch 12.8 ms); one linear row of a run
     * before {@code variant} existed and one normalized; local linear, a recurrent GLA step and a 1-D neighborhood.
     */
    private static final String JSON = "[\n"
            + row("org.attention4j.jmh.MachinePeakBench.fma", "", "thrpt", 1000, "ops/s",
                    ", \"secondaryMetrics\": {\"flop\": {\"score\": 3.0E11, \"scoreUnit\": \"ops/s\", \"rawData\": [[2.0E11, 4.0E11, 3.0E11]]},"
                            + " \"bytes\": {\"score\": \"NaN\", \"scoreUnit\": \"ops/s\"}}") + ",\n"
            + row("org.attention4j.jmh.MachinePeakBench.fma", "", "thrpt", 1000, "ops/s",
                    ", \"secondaryMetrics\": {\"flop\": {\"score\": 1.5E11, \"scoreUnit\": \"ops/s\", \"rawData\": [[1.0E11, 2.0E11]]}}") + ",\n"
            + row("org.attention4j.jmh.MachinePeakBench.read", "", "thrpt", 10, "ops/s",
                    ", \"secondaryMetrics\": {\"bytes\": {\"score\": 4.0E10, \"scoreUnit\": \"ops/s\", \"rawData\": [[4.0E10]]}}") + ",\n"
            + row("org.attention4j.jmh.SoftmaxBench.forward", softmaxParams(", \"backend\": \"cpu\""), "avgt", 200, "ms/op", "") + ",\n"
            + row("org.attention4j.jmh.libtorch.TorchSoftmaxBench.forward", softmaxParams(""), "avgt", 0.4, "s/op", "") + ",\n"
            + row("org.attention4j.jmh.nd4j.Nd4jSoftmaxBench.forward", softmaxParams(""), "avgt", 4000, "ms/op", "") + ",\n"
            + row("org.attention4j.jmh.DecodeBench.step", decodeParams(", \"backend\": \"cpu\""), "avgt", 6.4, "ms/op", "") + ",\n"
            + row("org.attention4j.jmh.libtorch.TorchDecodeBench.step", decodeParams(""), "avgt", 12.8, "ms/op", "") + ",\n"
            + row("org.attention4j.jmh.LinearBench.forward", "\"params\": {\"b\": \"1\", \"backend\": \"cpu\", \"d\": \"64\", "
                    + "\"h\": \"8\", \"s\": \"1024\"}, ", "avgt", 1, "ms/op", "") + ",\n"
            + row("org.attention4j.jmh.LinearBench.forward", "\"params\": {\"b\": \"1\", \"backend\": \"cpu\", \"d\": \"64\", "
                    + "\"h\": \"8\", \"s\": \"1024\", \"variant\": \"normalized\"}, ", "avgt", 2, "ms/op", "") + ",\n"
            + row("org.attention4j.jmh.LocalLinearBench.forward", "\"params\": {\"b\": \"1\", \"backend\": \"cpu\", \"d\": \"64\", "
                    + "\"h\": \"8\", \"s\": \"1024\"}, ", "avgt", 296, "ms/op", "") + ",\n"
            + row("org.attention4j.jmh.RecurrentStepBench.step", "\"params\": {\"b\": \"1\", \"backend\": \"cpu\", \"d\": \"128\", "
                    + "\"gate\": \"vector\", \"h\": \"8\"}, ", "avgt", 0.1, "ms/op", "") + ",\n"
            + row("org.attention4j.jmh.NeighborhoodBench.forward", "\"params\": {\"b\": \"1\", \"backend\": \"cpu\", \"d\": \"64\", "
                    + "\"grid\": \"8192/255\", \"h\": \"8\"}, ", "avgt", 40, "ms/op", "") + "\n"
            + "]\n";

    private static String decodeParams(String extra) {
        return "\"params\": {\"b\": \"1\"" + extra + ", \"d\": \"128\", \"h\": \"8\", \"hkv\": \"8\", \"s\": \"16384\"}, ";
    }

    private static String softmaxParams(String extra) {
        return "\"params\": {\"b\": \"1\"" + extra + ", \"causal\": \"false\", \"d\": \"128\", \"h\": \"8\", \"s\": \"4096\"}, ";
    }

    private static String row(String benchmark, String params, String mode, double score, String unit, String secondary) {
        return "{\"jmhVersion\": \"1.37\", \"benchmark\": \"" + benchmark + "\", \"mode\": \"" + mode + "\", \"threads\": 1, "
                + params + "\"primaryMetric\": {\"score\": " + score + ", \"scoreError\": \"NaN\", \"scoreUnit\": \"" + unit
                + "\", \"rawData\": [[" + score + "]]}" + secondary + "}";
    }

    private static String markdown() {
        return new BenchmarkReport(Result.all(Json.parse(JSON))).markdown();
    }

    @Test
    void resultsArePairedByShapeAcrossImplementations() {
        List<Result> results = Result.all(Json.parse(JSON));
        assertThat(results).extracting(Result::impl)
                .containsExactly("cpu", "cpu", "cpu", "cpu", "libtorch", "nd4j", "cpu", "libtorch", "cpu", "cpu", "cpu", "cpu", "cpu");
        assertThat(results.get(4).shape()).isEqualTo(results.get(3).shape());
        assertThat(results.get(7).family()).isEqualTo("decode");
        assertThat(results.get(7).shape()).isEqualTo(results.get(6).shape());
    }

    @Test
    void softmaxRowShowsPeakShareAndSpeedupsOverTheBaselines() {
        String md = markdown();
        // 4·8·4096²·128 FLOPs = 68.7 GFLOP in 0.2 s = 344 GFLOP/s = 86% of 400.
        assertThat(md).contains("| 128 | 4096 | false | 200 | 344 | 86% | 20.5 | 172 | 2.00x | 17.2 | 20x | - | - |");
        assertThat(md).contains("| fp32 FMA peak, Vector API preferred species, registers only, all cores | 400 GFLOP/s | 300 / 400, 150 / 200 GFLOP/s |");
    }

    @Test
    void decodeRowsStateBandwidthFlopsAndTheLibtorchStep() {
        // 2·16384·8·128·4 bytes = 134 MB in 6.4 ms = 21.0 GB/s = 52% of 40 GB/s; 4·8·16384·128 FLOPs = 10.5 GFLOP/s.
        assertThat(markdown()).contains("| 16384 | 8 / 8 | 128 | 6400 | 21.0 | 52% | 10.5 | 156 | 12800 | 2.00x | - |");
        // 2·8·128·128·4 bytes of state moved in 100 µs = 10.5 GB/s; 4·8·128² FLOPs = 5.2 GFLOP/s.
        assertThat(markdown()).contains("| GLA | 1 / 8 | 128 | 100.0 | 10000 | 10.5 | 26% | 5.2 | 1% | - |");
    }

    @Test
    void linearVariantsLocalLinearAndNeighborhoodRanksAreNamed() {
        String md = markdown();
        // A row without variant (recorded before it existed) is plain linear: 202 GFLOP in 1 ms is 51% of 400.
        assertThat(md).contains("| linear | 64 | 1024 | 1.00 | 202 | 51% | 1024 | - | - | - | - |");
        assertThat(md).contains("| normalized linear | 64 | 1024 | 2.00 | 101 | 25% | 512 | - | - | - | - |");
        // 8 heads x 2.55 GFLOP (Workload.localLinearFlops) in 296 ms.
        assertThat(md).contains("| 64 | 1024 | 296 | 68.9 | 17% | 3.46 | - | - | - |");
        assertThat(md).contains("| neighborhood | 1-D 8192, kernel 255 | 64 | 255 | 40.0 | 107 | - |");
    }

    @Test
    void everyIssueSixTargetGetsARowSayingWhetherItIsMet() {
        String md = markdown();
        assertThat(md).contains("| softmax forward, % of FMA peak | >= 50% | yes (1 of 1) | 86% (D=128, S=4096) | 86% (D=128, S=4096) |");
        assertThat(md).contains("| softmax forward vs libtorch SDPA | >= 1.5x | yes (1 of 1) | 2.00x (D=128, S=4096) | 2.00x (D=128, S=4096) |");
        assertThat(md).contains("| softmax forward vs ND4J DotProductAttention | >= 20x | yes (1 of 1) |");
        assertThat(md).contains("| sliding window, useful GFLOP/s vs dense | >= 70% | no result | - | - |");
        assertThat(md).contains("| neighborhood, useful GFLOP/s vs dense | >= 70% | no result | - | - |");
        assertThat(md).contains("| radial, useful GFLOP/s vs dense | >= 70% | no result | - | - |");
        assertThat(md).contains("| linear, % of FMA peak | >= 40% | yes (1 of 1) | 51% (D=64, S=1024) |");
        assertThat(md).contains("| normalized linear, % of FMA peak | >= 40% | no (0 of 1) | 25% (D=64, S=1024) |");
        assertThat(md).contains("| decayed linear, % of FMA peak | >= 40% | no result | - | - |");
        assertThat(md).contains("| simple GLA, % of FMA peak | >= 40% | no result | - | - |");
        assertThat(md).contains("| GLA, % of FMA peak | >= 40% | no result | - | - |");
        assertThat(md).contains("| KV-cache decode, K+V read as % of measured read bandwidth | >= 70% (memory-bound) | no (0 of 1) "
                + "| 52% (S=16384, D=128) | 52% (S=16384, D=128) |");
    }

    /** The run recorded in BENCHMARKS.md (2026-11-24 05:51), from before variants, block sizes and the step existed. */
    @Test
    void theRecordedRunStillFormatsToTheRowsBenchmarksMdShows() throws IOException {
        Path dir = Path.of("..", "perf", "cpu", "2026-11-24-bench-cpu");
        assumeTrue(Files.isDirectory(dir), "the recorded run's JSON lies under the repository's perf/");
        List<Result> results = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                results.addAll(Result.all(Json.parse(Files.readString(f))));
            }
        }
        String md = new BenchmarkReport(results).markdown();
        assertThat(md).contains("| 64 | 1024 | false | 7.68 | 279 | 49% | 133 | 211 | 1.32x | 16.2 | 17x | 3.6 | 77x |");
        assertThat(md).contains("| radial | 8 x 512 tokens, block 64 | 64 | 3376 | 93.5 | 303 | 100% | 54% | 43.8 | 141 | 2.15x | 89x |");
        assertThat(md).contains("| linear | 64 | 1024 | 1.46 | 139 | 25% | 703 | 229 | 131 | 5.35x | 16x |");
        assertThat(md).contains("| 16384 | 8 / 8 | 128 | 22558 | 5.9 | 11% |");
        assertThat(md).contains("| softmax forward, % of FMA peak | >= 50% | no (8 of 12) | 42% (D=64, S=1024, causal) | 66% (D=128, S=8192) |");
        assertThat(md).contains("| radial, useful GFLOP/s vs dense | >= 70% | yes (4 of 4) |");
    }
}
