package org.attention4j.tour;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.attention4j.Attention;
import org.attention4j.AttentionOp;
import org.attention4j.DType;
import org.attention4j.KvCache;
import org.attention4j.RadialModel;
import org.attention4j.SoftmaxAttention;
import org.attention4j.Tensor;
import org.attention4j.internal.Dispatcher;
import org.attention4j.spi.AttentionBackend;

/**
 * The main job: a tour of every operator on the best backend of this machine, printing operator, shape,
 * backend, time and the error against the reference. {@code --quick} uses small shapes (tests, CI).
 */
public final class Tour {
    /** One tour row. */
    public record Row(String operator, String shape, String backend, double millis, double relError, String note) {
    }

    private final boolean quick;
    private final PrintStream out;
    private final SplittableRandom rnd = new SplittableRandom(2026);

    public Tour(boolean quick, PrintStream out) {
        this.quick = quick;
        this.out = out;
    }

    public static void main(String[] args) {
        boolean quick = Arrays.asList(args).contains("--quick");
        new Tour(quick, System.out).run();
    }

    /** Runs every step and prints the table; returns the rows. */
    public List<Row> run() {
        List<Row> rows = new ArrayList<>();
        out.println("Attention4J tour" + (quick ? " (quick shapes)" : ""));
        for (AttentionBackend b : Dispatcher.get().backends()) {
            String avail = b.availability().supported() ? "available" : "unavailable: " + b.availability().reason();
            out.printf(Locale.ROOT, "  backend %-10s priority %3d  %s%n", b.name(), b.priority(), avail);
        }
        int s = quick ? 64 : 512;
        int d = quick ? 16 : 64;

        Tensor q = randn(1, s, 8, d), k = randn(1, s, 2, d), v = randn(1, s, 2, d);
        SoftmaxAttention causal = Attention.softmax().causal(true).build();
        rows.add(step("softmax causal GQA 8:2", shape(q), causal, q, k, v, () -> causal.forward(q, k, v)));
        var swa = Attention.slidingWindow(quick ? 15 : 127, 0).build();
        rows.add(step("sliding window (" + swa.windowLeft() + ",0)", shape(q), swa, q, k, v, () -> swa.forward(q, k, v)));

        // Decode: prefill s-1 tokens, then one query against the cache; checked against the forward's last row.
        KvCache cache = causal.newKvCache(1, s, 2, d);
        cache.append(k.slice(1, 0, s - 1), v.slice(1, 0, s - 1));
        Tensor qLast = q.slice(1, s - 1, s).contiguous();
        rows.add(step("softmax decode (KV cache)", "q[1, 1, 8, " + d + "] cache " + (s - 1) + "+1", causal, qLast,
                k, v, () -> cache.setLengths(s - 1).decode(qLast, k.slice(1, s - 1, s).contiguous(), v.slice(1, s - 1, s).contiguous()),
                () -> causal.forward(q, k, v).slice(1, s - 1, s).contiguous()));

        int side = quick ? 16 : 32;
        Tensor q2 = randn(1, side, side, 4, 32), k2 = randn(1, side, side, 4, 32), v2 = randn(1, side, side, 4, 32);
        var na = Attention.neighborhood(7, 7).dilation(1, 2).build();
        rows.add(step("neighborhood 2-D 7x7 dil (1,2)", shape(q2), na, q2, k2, v2, () -> na.forward(q2, k2, v2)));

        int frames = quick ? 4 : 8, perFrame = quick ? 64 : 128;
        Tensor q3 = randn(1, frames * perFrame, 4, 32), k3 = randn(1, frames * perFrame, 4, 32), v3 = randn(1, frames * perFrame, 4, 32);
        var radial = Attention.radial(frames, perFrame).blockSize(64).model(RadialModel.WAN).decayFactor(1.0).build();
        rows.add(step("radial (Wan, " + frames + " frames)", shape(q3), radial, q3, k3, v3, () -> radial.forward(q3, k3, v3)));

        int t = quick ? 64 : 1024;
        Tensor ql = randn(1, t, 4, d), kl = randn(1, t, 4, d), vl = randn(1, t, 4, d);
        var lin = Attention.linear().normalize(false).build();
        rows.add(step("linear", shape(ql), lin, ql, kl, vl, () -> lin.forward(ql, kl, vl, null).output()));
        Tensor g = logsigmoid(randn(1, t, 4, d), 16);
        var gla = Attention.gated().build();
        rows.add(step("gated (GLA)", shape(ql), gla, ql, kl, vl, () -> gla.forward(ql, kl, vl, g, null).output()));
        int sl = quick ? 32 : 256;
        Tensor qa = randn(1, sl, 2, 32), ka = randn(1, sl, 2, 32), va = randn(1, sl, 2, 32);
        var lla = Attention.localLinear().ridgeLambda(10).build();
        rows.add(step("local-linear (LLA)", shape(qa), lla, qa, ka, va, () -> lla.forward(qa, ka, va)));

        out.println();
        out.printf(Locale.ROOT, "%-32s %-28s %-10s %10s %12s%n", "operator", "shape", "backend", "time (ms)", "rel. error");
        for (Row r : rows) {
            if (r.note() != null) {
                out.printf(Locale.ROOT, "%-32s %-28s %-10s %10s %12s  %s%n", r.operator(), r.shape(), r.backend(), "-", "-", r.note());
            } else {
                out.printf(Locale.ROOT, "%-32s %-28s %-10s %10.2f %12.2e%n", r.operator(), r.shape(), r.backend(), r.millis(), r.relError());
            }
        }
        return rows;
    }

    private Row step(String name, String shape, AttentionOp op, Tensor q, Tensor k, Tensor v, Supplier<Tensor> run) {
        return step(name, shape, op, q, k, v, run, run);
    }

    /** Runs {@code run} on the best backend (timed), then {@code reference} on the reference backend, and compares. */
    private Row step(String name, String shape, AttentionOp op, Tensor q, Tensor k, Tensor v, Supplier<Tensor> run,
            Supplier<Tensor> reference) {
        out.printf(Locale.ROOT, "  running %-32s ...%n", name);
        String backend = "none";
        try {
            Tensor first = run.get(); // includes first-use verification
            long t0 = System.nanoTime();
            Tensor got = run.get();
            double ms = (System.nanoTime() - t0) / 1e6;
            backend = Attention.lastBackend();
            String prev = System.getProperty(Dispatcher.BACKEND_PROPERTY);
            Tensor want;
            System.setProperty(Dispatcher.BACKEND_PROPERTY, "reference");
            try {
                want = reference.get();
            } finally {
                if (prev == null) System.clearProperty(Dispatcher.BACKEND_PROPERTY);
                else System.setProperty(Dispatcher.BACKEND_PROPERTY, prev);
            }
            if (first.numel() != got.numel()) {
                throw new IllegalStateException("output size changed between calls");
            }
            return new Row(name, shape, backend, ms, relError(got, want), null);
        } catch (UnsupportedOperationException ex) {
            return new Row(name, shape, backend, Double.NaN, Double.NaN, "no backend: " + ex.getMessage());
        }
    }

    static double relError(Tensor got, Tensor want) {
        float[] a = got.toFloatArray(), b = want.toFloatArray();
        double maxErr = 0, maxRef = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i])) return Double.NaN;
            maxErr = Math.max(maxErr, Math.abs((double) a[i] - b[i]));
            maxRef = Math.max(maxRef, Math.abs(b[i]));
        }
        return maxRef == 0 ? maxErr : maxErr / maxRef;
    }

    private Tensor randn(long... shape) {
        int n = 1;
        for (long x : shape) n *= (int) x;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return Tensor.of(a, shape);
    }

    /** {@code logsigmoid(x) / normalizer}, GLA's gate parameterization (spec 4.2). */
    private static Tensor logsigmoid(Tensor x, double normalizer) {
        float[] a = x.toFloatArray();
        for (int i = 0; i < a.length; i++) {
            double z = a[i];
            a[i] = (float) ((z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z))) / normalizer);
        }
        return Tensor.of(a, x.shape());
    }

    private static String shape(Tensor t) {
        return "q" + Arrays.toString(t.shape()).replace(" ", "") + " " + (t.dtype() == DType.F32 ? "f32" : t.dtype());
    }
}
