package org.attention4j.jmh.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The formatter reads JMH's JSON and puts each ratio the right way round. */
class BenchmarkReportTest {
    /** A JMH-shaped result file: FMA peak 400 GFLOP/s (best iteration of two measurements), read 40 GB/s, softmax at 200 ms (ours), 400 ms (libtorch), 4 s (ND4J). */
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
            + row("org.attention4j.jmh.DecodeBench.step", "\"params\": {\"b\": \"1\", \"backend\": \"cpu\", \"d\": \"128\", "
                    + "\"h\": \"8\", \"hkv\": \"8\", \"s\": \"16384\"}, ", "avgt", 6.4, "ms/op", "") + "\n"
            + "]\n";

    private static String softmaxParams(String extra) {
        return "\"params\": {\"b\": \"1\"" + extra + ", \"causal\": \"false\", \"d\": \"128\", \"h\": \"8\", \"s\": \"4096\"}, ";
    }

    private static String row(String benchmark, String params, String mode, double score, String unit, String secondary) {
        return "{\"jmhVersion\": \"1.37\", \"benchmark\": \"" + benchmark + "\", \"mode\": \"" + mode + "\", \"threads\": 1, "
                + params + "\"primaryMetric\": {\"score\": " + score + ", \"scoreError\": \"NaN\", \"scoreUnit\": \"" + unit
                + "\", \"rawData\": [[" + score + "]]}" + secondary + "}";
    }

    @Test
    void softmaxRowShowsPeakShareAndSpeedupsOverTheBaselines() {
        List<Result> results = Result.all(Json.parse(JSON));
        assertThat(results).extracting(Result::impl).containsExactly("cpu", "cpu", "cpu", "cpu", "libtorch", "nd4j", "cpu");
        assertThat(results.get(4).shape()).isEqualTo(results.get(3).shape());
        String md = new BenchmarkReport(results).markdown();
        // 4·8·4096²·128 FLOPs = 68.7 GFLOP in 0.2 s = 344 GFLOP/s = 86% of 400.
        assertThat(md).contains("| 128 | 4096 | false | 200 | 344 | 86% | 20.5 | 172 | 2.00x | 17.2 | 20x | - | - |");
        assertThat(md).contains("| fp32 FMA peak, Vector API preferred species, registers only, all cores | 400 GFLOP/s | 300 / 400, 150 / 200 GFLOP/s |");
        // 2·16384·8·128·4 bytes = 134 MB in 6.4 ms = 21.0 GB/s = 52% of 40 GB/s.
        assertThat(md).contains("| 16384 | 8 / 8 | 128 | 6400 | 21.0 | 52% | 156 |");
        assertThat(md).contains("| softmax forward vs libtorch SDPA | >= 1.5x | 1 of 1 | 2.00x (D=128, S=4096) | 2.00x (D=128, S=4096) |");
        assertThat(md).contains("| sliding window, useful GFLOP/s vs dense | >= 70% | no result | - | - |");
    }
}
