package org.attention4j.tour;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.attention4j.Attention;
import org.attention4j.AttentionOp;
import org.attention4j.DType;
import org.attention4j.Explanation;
import org.attention4j.KvCache;
import org.attention4j.RadialModel;
import org.attention4j.SoftmaxAttention;
import org.attention4j.Tensor;
import org.attention4j.internal.Dispatcher;
import org.attention4j.spi.AttentionBackend;

/**
 * The main job: a tour of every operator on the best backend of this machine, printing operator, shape,
 * backend, time (median of up to 7 warm calls) and the error against the reference, then timing each
 * operator on every other backend that supports it. Shows progress as it goes, ends with a table, and writes the table ({@code tour.txt})
 * and a chart of the timings per backend ({@code tour-timings.png}) to the output directory.
 * Arguments: {@code --quick} for small shapes (tests, CI), {@code --out DIR} (default {@code target/tour}).
 */
public final class Tour {
    /**
     * One tour row: the best backend's time and error against the reference, and the time per call on
     * every backend that ran it ({@code timings}, best backend first).
     */
    public record Row(String operator, String shape, String backend, double millis, double relError, String note,
            Map<String, Double> timings) {
    }

    /** A step to run: the call on the default backend, and the same result computed for the reference. */
    private record Step(String name, String shape, AttentionOp op, Tensor q, Tensor k, Tensor v, Supplier<Tensor> run,
            Supplier<Tensor> reference) {
    }

    /** A phase that has run this long gets a progress line, and again after each further interval. */
    private static final long PROGRESS_EVERY_MS = 2000;

    private final boolean quick;
    private final PrintStream out;
    private final Path outDir;
    private final SplittableRandom rnd = new SplittableRandom(2026);
    private volatile String phase;
    private volatile long phaseStart;
    /** Set when a progress line broke the current step's line, so its results start a fresh one. */
    private volatile boolean lineBroken;

    public Tour(boolean quick, PrintStream out) {
        this(quick, out, Path.of("target", "tour"));
    }

    public Tour(boolean quick, PrintStream out, Path outDir) {
        this.quick = quick;
        this.out = out;
        this.outDir = outDir;
    }

    public static void main(String[] args) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true"); // the chart needs no display
        }
        List<String> a = Arrays.asList(args);
        int o = a.indexOf("--out");
        Path dir = o >= 0 && o + 1 < a.size() ? Path.of(a.get(o + 1)) : Path.of("target", "tour");
        new Tour(a.contains("--quick"), System.out, dir).run();
    }

    /** Runs every step with progress, prints the table, writes the table and the chart; returns the rows. */
    public List<Row> run() {
        List<Step> steps = new ArrayList<>();
        out.println("Attention4J tour" + (quick ? " (quick shapes)" : ""));
        for (AttentionBackend b : Dispatcher.get().backends()) {
            String avail = b.availability().supported() ? "available" : "unavailable: " + b.availability().reason();
            out.printf(Locale.ROOT, "  backend %-10s priority %3d  %s%n", b.name(), b.priority(), avail);
        }
        int s = quick ? 64 : 512;
        int d = quick ? 16 : 64;

        Tensor q = randn(1, s, 8, d), k = randn(1, s, 2, d), v = randn(1, s, 2, d);
        SoftmaxAttention causal = Attention.softmax().causal(true).build();
        steps.add(step("softmax causal GQA 8:2", shape(q), causal, q, k, v, () -> causal.forward(q, k, v)));
        var swa = Attention.slidingWindow(quick ? 15 : 127, 0).build();
        steps.add(step("sliding window (" + swa.windowLeft() + ",0)", shape(q), swa, q, k, v, () -> swa.forward(q, k, v)));

        // Decode: prefill s-1 tokens, then one query against the cache; checked against the forward's last row.
        KvCache cache = causal.newKvCache(1, s, 2, d);
        cache.append(k.slice(1, 0, s - 1), v.slice(1, 0, s - 1));
        Tensor qLast = q.slice(1, s - 1, s).contiguous();
        steps.add(new Step("softmax decode (KV cache)", "q[1, 1, 8, " + d + "] cache " + (s - 1) + "+1", causal, qLast,
                k, v, () -> cache.setLengths(s - 1).decode(qLast, k.slice(1, s - 1, s).contiguous(), v.slice(1, s - 1, s).contiguous()),
                () -> causal.forward(q, k, v).slice(1, s - 1, s).contiguous()));

        int side = quick ? 16 : 32;
        Tensor q2 = randn(1, side, side, 4, 32), k2 = randn(1, side, side, 4, 32), v2 = randn(1, side, side, 4, 32);
        var na = Attention.neighborhood(7, 7).dilation(1, 2).build();
        steps.add(step("neighborhood 2-D 7x7 dil (1,2)", shape(q2), na, q2, k2, v2, () -> na.forward(q2, k2, v2)));

        int frames = quick ? 4 : 8, perFrame = quick ? 64 : 128;
        Tensor q3 = randn(1, frames * perFrame, 4, 32), k3 = randn(1, frames * perFrame, 4, 32), v3 = randn(1, frames * perFrame, 4, 32);
        var radial = Attention.radial(frames, perFrame).blockSize(64).model(RadialModel.WAN).decayFactor(1.0).build();
        steps.add(step("radial (Wan, " + frames + " frames)", shape(q3), radial, q3, k3, v3, () -> radial.forward(q3, k3, v3)));

        int t = quick ? 64 : 1024;
        Tensor ql = randn(1, t, 4, d), kl = randn(1, t, 4, d), vl = randn(1, t, 4, d);
        var lin = Attention.linear().normalize(false).build();
        steps.add(step("linear", shape(ql), lin, ql, kl, vl, () -> lin.forward(ql, kl, vl, null).output()));
        Tensor g = logsigmoid(randn(1, t, 4, d), 16);
        var gla = Attention.gated().build();
        steps.add(step("gated (GLA)", shape(ql), gla, ql, kl, vl, () -> gla.forward(ql, kl, vl, g, null).output()));
        int sl = quick ? 32 : 256;
        Tensor qa = randn(1, sl, 2, 32), ka = randn(1, sl, 2, 32), va = randn(1, sl, 2, 32);
        var lla = Attention.localLinear().ridgeLambda(10).build();
        steps.add(step("local-linear (LLA)", shape(qa), lla, qa, ka, va, () -> lla.forward(qa, ka, va)));

        out.println(steps.size() + " steps; each on the best backend, against the reference, then on every other backend"
                + " that supports it");
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "tour-progress");
            th.setDaemon(true);
            return th;
        });
        ticker.scheduleAtFixedRate(this::reportLongPhase, PROGRESS_EVERY_MS, PROGRESS_EVERY_MS, TimeUnit.MILLISECONDS);
        List<Row> rows = new ArrayList<>();
        try {
            for (int i = 0; i < steps.size(); i++) {
                rows.add(run(steps.get(i), i + 1, steps.size()));
            }
        } finally {
            ticker.shutdownNow();
            phase = null;
        }
        String table = table(rows);
        out.println();
        out.print(table);
        try {
            Files.createDirectories(outDir);
            Path txt = outDir.resolve("tour.txt");
            Files.writeString(txt, table, StandardCharsets.UTF_8);
            out.println();
            out.println("table: " + txt.toAbsolutePath());
            Path png = outDir.resolve("tour-timings.png");
            if (ModuleLayer.boot().findModule("java.desktop").isPresent()) {
                TimingChart.write(rows, png, "Attention4J tour" + (quick ? " (quick shapes)" : "") + ": time per call and backend");
                out.println("chart: " + png.toAbsolutePath());
            } else {
                // A trimmed runtime (such as the GPU bundle's jlink JRE) has no AWT to draw with.
                out.println("chart: skipped (this Java runtime has no java.desktop module)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing the tour's table and chart to " + outDir, e);
        }
        return rows;
    }

    /** The final table: the best backend's row, then the time per call on each backend. */
    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-32s %-28s %-10s %10s %12s  %s%n", "operator", "shape", "backend", "time (ms)",
                "rel. error", "time per backend (ms)"));
        for (Row r : rows) {
            if (r.note() != null) {
                sb.append(String.format(Locale.ROOT, "%-32s %-28s %-10s %10s %12s  %s%n", r.operator(), r.shape(), r.backend(), "-", "-", r.note()));
                continue;
            }
            StringBuilder per = new StringBuilder();
            r.timings().forEach((b, ms) -> per.append(per.length() == 0 ? "" : ", ").append(b).append(' ')
                    .append(String.format(Locale.ROOT, "%.2f", ms)));
            sb.append(String.format(Locale.ROOT, "%-32s %-28s %-10s %10.2f %12.2e  %s%n", r.operator(), r.shape(), r.backend(),
                    r.millis(), r.relError(), per));
        }
        return sb.toString();
    }

    private static Step step(String name, String shape, AttentionOp op, Tensor q, Tensor k, Tensor v, Supplier<Tensor> run) {
        return new Step(name, shape, op, q, k, v, run, run);
    }

    /**
     * Runs the step on the best backend (warm-up with first-use verification, then timed), computes it on the
     * reference for the error, then times it on each other backend that supports it.
     */
    private Row run(Step st, int index, int total) {
        String prefix = String.format(Locale.ROOT, "[%d/%d] %-32s", index, total, st.name());
        out.print(prefix);
        out.flush();
        String backend = "none";
        Map<String, Double> timings = new LinkedHashMap<>();
        try {
            enter(st.name() + " (first call, verified against the reference)");
            Tensor first = st.run().get();
            backend = Attention.lastBackend();
            enter(st.name() + " on " + backend);
            Tensor got = st.run().get();
            double ms = medianMillis(st.run());
            timings.put(backend, ms);
            resumeLine(prefix);
            out.printf(Locale.ROOT, " %s %.2f ms", backend, ms);
            out.flush();
            if (first.numel() != got.numel()) {
                throw new IllegalStateException("output size changed between calls");
            }
            enter(st.name() + " on the reference (for the error)");
            Tensor want = onBackend("reference", st.reference());
            double err = relError(got, want);
            for (Explanation.Entry e : Attention.explain(st.op(), st.q(), st.k(), st.v()).entries()) {
                if (!e.available() || !e.supported() || timings.containsKey(e.backend())) continue;
                enter(st.name() + " on " + e.backend());
                onBackend(e.backend(), st.run()); // warm-up
                double other = medianMillis(() -> onBackend(e.backend(), st.run()));
                timings.put(e.backend(), other);
                resumeLine(prefix);
                out.printf(Locale.ROOT, ", %s %.2f ms", e.backend(), other);
                out.flush();
            }
            resumeLine(prefix);
            out.println();
            return new Row(st.name(), st.shape(), backend, ms, err, null, timings);
        } catch (UnsupportedOperationException ex) {
            out.println(" no backend");
            return new Row(st.name(), st.shape(), backend, Double.NaN, Double.NaN, "no backend: " + ex.getMessage(), Map.of());
        } finally {
            phase = null;
        }
    }

    /** Median time per call of {@code call} (already warm): up to 7 calls, fewer once 300 ms are spent. */
    static double medianMillis(Supplier<Tensor> call) {
        double[] times = new double[7];
        int n = 0;
        long start = System.nanoTime();
        while (n < times.length && (n == 0 || System.nanoTime() - start < 300_000_000L)) {
            long t0 = System.nanoTime();
            call.get();
            times[n++] = (System.nanoTime() - t0) / 1e6;
        }
        double[] done = Arrays.copyOf(times, n);
        Arrays.sort(done);
        return done[n / 2];
    }

    /** After a progress line, repeats the step's prefix on a new line so its results read as one row. */
    private void resumeLine(String prefix) {
        if (lineBroken) {
            lineBroken = false;
            out.printf(Locale.ROOT, "%n%s", prefix);
        }
    }

    private void enter(String what) {
        phaseStart = System.nanoTime();
        phase = what;
    }

    /** Called by the ticker: a phase running past the interval gets a line, so a slow reference never looks hung. */
    private void reportLongPhase() {
        String p = phase;
        long elapsedMs = (System.nanoTime() - phaseStart) / 1_000_000;
        if (p != null && elapsedMs >= PROGRESS_EVERY_MS) {
            out.printf(Locale.ROOT, "%n      ... %s: %d s", p, elapsedMs / 1000);
            out.flush();
            lineBroken = true;
        }
    }

    /** Runs {@code call} with {@code attention4j.backend} forced to {@code name}. */
    private static Tensor onBackend(String name, Supplier<Tensor> call) {
        String prev = System.getProperty(Dispatcher.BACKEND_PROPERTY);
        System.setProperty(Dispatcher.BACKEND_PROPERTY, name);
        try {
            return call.get();
        } finally {
            if (prev == null) System.clearProperty(Dispatcher.BACKEND_PROPERTY);
            else System.setProperty(Dispatcher.BACKEND_PROPERTY, prev);
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
