package org.attention4j.jmh.nd4j;

import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ND4J's {@code DotProductAttention} (nd4j-native, OpenBLAS) on fp32 {@code [B, H, D, S]} (its feature-first
 * layout), non-causal and scaled. It materializes the {@code [B, H, S, S]} weights, so the shapes stop at
 * S = 4096 (512 MiB of weights at H = 8).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.bytedeco.javacpp.maxbytes=8g", "-Dorg.bytedeco.javacpp.maxphysicalbytes=10g"})
@State(Scope.Benchmark)
public class Nd4jSoftmaxBench {
    @Param("1")
    public int b;
    @Param("8")
    public int h;
    @Param({"1024", "2048", "4096"})
    public int s;
    @Param({"64", "128"})
    public int d;
    @Param("false")
    public boolean causal;

    private INDArray q, k, v;

    @Setup
    public void setup() {
        if (causal) {
            throw new IllegalArgumentException("causal: ND4J's DotProductAttention has only a key mask, no causal form");
        }
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        Nd4j.getRandom().setSeed(2026);
        q = Nd4j.randn(DataType.FLOAT, b, h, d, s);
        k = Nd4j.randn(DataType.FLOAT, b, h, d, s);
        v = Nd4j.randn(DataType.FLOAT, b, h, d, s);
        checkRows(forward());
    }

    /**
     * Compares query rows 0, S/2 and S-1 of batch 0, head 0 with an fp64 computation, so the timed call is
     * known to compute scaled softmax attention.
     */
    private void checkRows(INDArray out) {
        float[][] qh = headZero(q), kh = headZero(k), vh = headZero(v), oh = headZero(out);
        for (int i : new int[] {0, s / 2, s - 1}) {
            double[] p = new double[s];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < s; j++) {
                double dot = 0;
                for (int c = 0; c < d; c++) {
                    dot += (double) qh[c][i] * kh[c][j];
                }
                p[j] = dot / Math.sqrt(d);
                max = Math.max(max, p[j]);
            }
            double sum = 0;
            for (int j = 0; j < s; j++) {
                p[j] = Math.exp(p[j] - max);
                sum += p[j];
            }
            double err = 0, norm = 0;
            for (int c = 0; c < d; c++) {
                double want = 0;
                for (int j = 0; j < s; j++) {
                    want += p[j] / sum * vh[c][j];
                }
                err += (want - oh[c][i]) * (want - oh[c][i]);
                norm += want * want;
            }
            if (!(Math.sqrt(err / norm) < 1e-3)) {
                throw new IllegalStateException("ND4J row " + i + " disagrees with the fp64 check: relative L2 " + Math.sqrt(err / norm));
            }
        }
    }

    /** Batch 0, head 0 as {@code [D][S]}. */
    private static float[][] headZero(INDArray t) {
        return t.slice(0).slice(0).toFloatMatrix();
    }

    @Benchmark
    public INDArray forward() {
        return Nd4j.nn().dotProductAttention(q, k, v, null, true);
    }
}
