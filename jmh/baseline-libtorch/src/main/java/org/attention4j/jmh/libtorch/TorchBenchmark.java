package org.attention4j.jmh.libtorch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * libtorch's {@code scaled_dot_product_attention} on fp32 {@code [B, H, S, D]} (its native layout), with
 * one torch thread per core. Masked operators pass a boolean {@code [S, S]} mask, which is what a libtorch
 * user writes for them; their figures count only the mask's useful FLOPs, like ours.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
@State(Scope.Benchmark)
public abstract class TorchBenchmark {
    /** The javacpp that pytorch 2.10.0-1.5.13 was built against. */
    static final String JAVACPP_VERSION = "1.5.13";

    private Tensor q, k, v;
    private TensorOptional mask = new TensorOptional();
    private boolean causal;
    private final DoubleOptional defaultScale = new DoubleOptional();

    /** Random inputs; {@code visible} (nullable) is the row-major {@code [S, S]} mask, true where a query sees a key. */
    protected final void prepare(int b, int h, int s, int d, boolean causal, boolean[] visible) {
        prepare(b, h, s, s, d, causal, visible);
    }

    /** Random inputs of {@code sq} queries and {@code sk} keys; {@code visible} (nullable) is the row-major {@code [Sq, Sk]} mask. */
    protected final void prepare(int b, int h, int sq, int sk, int d, boolean causal, boolean[] visible) {
        String javacpp;
        try {
            javacpp = Loader.getVersion();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!JAVACPP_VERSION.equals(javacpp)) {
            throw new IllegalStateException("libtorch 2.10.0-1.5.13 needs javacpp " + JAVACPP_VERSION + ", got " + javacpp);
        }
        // OpenBLAS's own thread pool fights torch's intra-op threads; with it the medians move by 2x.
        if (!"1".equals(System.getenv("OPENBLAS_NUM_THREADS"))) {
            throw new IllegalStateException("run the libtorch baseline with OPENBLAS_NUM_THREADS=1 (bin/bench-cpu sets it)");
        }
        torch.set_num_threads(Runtime.getRuntime().availableProcessors());
        torch.manual_seed(2026);
        q = torch.randn(b, h, sq, d);
        k = torch.randn(b, h, sk, d);
        v = torch.randn(b, h, sk, d);
        this.causal = causal;
        if (visible != null) {
            if (visible.length != (long) sq * sk) {
                throw new IllegalArgumentException("mask: expected " + ((long) sq * sk) + " entries, got " + visible.length);
            }
            BytePointer bytes = new BytePointer(visible.length);
            for (int i = 0; i < visible.length; i++) {
                bytes.put(i, visible[i] ? (byte) 1 : (byte) 0);
            }
            mask = new TensorOptional(torch.from_blob(bytes, new long[] {sq, sk}, new TensorOptions(torch.ScalarType.Bool)).clone());
            bytes.close();
        }
        checkRows(sq, sk, d, visible);
    }

    /**
     * Compares query rows 0, S/2 and S-1 of batch 0, head 0 with an fp64 computation, so the timed call is
     * known to compute the masked attention that the FLOP count assumes.
     */
    private void checkRows(int sq, int sk, int d, boolean[] visible) {
        try (PointerScope scope = new PointerScope()) {
            Tensor o = torch.scaled_dot_product_attention(q, k, v, mask, 0.0, causal, defaultScale, false).contiguous();
            float[] qh = headZero(q, sq * d), kh = headZero(k, sk * d), vh = headZero(v, sk * d), oh = headZero(o, sq * d);
            for (int i : new int[] {0, sq / 2, sq - 1}) {
                double[] want = new double[d];
                double[] p = new double[sk];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < sk; j++) {
                    // libtorch's is_causal aligns the mask top-left; the benchmarks use it with Sq = Sk only.
                    boolean seen = visible != null ? visible[i * sk + j] : !causal || j <= i;
                    double dot = Double.NEGATIVE_INFINITY;
                    if (seen) {
                        dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += (double) qh[i * d + c] * kh[j * d + c];
                        }
                        dot /= Math.sqrt(d);
                    }
                    p[j] = dot;
                    max = Math.max(max, dot);
                }
                double sum = 0;
                for (int j = 0; j < sk; j++) {
                    p[j] = Math.exp(p[j] - max);
                    sum += p[j];
                }
                double err = 0, norm = 0;
                for (int c = 0; c < d; c++) {
                    for (int j = 0; j < sk; j++) {
                        want[c] += p[j] / sum * vh[j * d + c];
                    }
                    err += (want[c] - oh[i * d + c]) * (want[c] - oh[i * d + c]);
                    norm += want[c] * want[c];
                }
                if (!(Math.sqrt(err / norm) < 1e-3)) {
                    throw new IllegalStateException("libtorch SDPA row " + i + " disagrees with the fp64 check: relative L2 "
                            + Math.sqrt(err / norm));
                }
            }
        }
    }

    /** The first {@code n} floats of a contiguous fp32 tensor: batch 0, head 0 of {@code [B, H, S, D]}. */
    private static float[] headZero(Tensor t, int n) {
        float[] out = new float[n];
        new FloatPointer(t.contiguous().const_data_ptr()).get(out);
        return out;
    }

    /** One SDPA call; the output is freed when the scope closes. */
    protected final long attend() {
        try (PointerScope scope = new PointerScope()) {
            Tensor o = torch.scaled_dot_product_attention(q, k, v, mask, 0.0, causal, defaultScale, false);
            return o.numel();
        }
    }
}
