package org.attention4j.jmh.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.attention4j.jmh.GridSpec;

/**
 * Turns the JMH JSON files of one {@code bin/bench-cpu} run into the Markdown tables of BENCHMARKS.md:
 * GFLOP/s (useful FLOPs, {@link Workload}), tokens/s, and every ratio the performance targets name, each
 * against a figure of the same run (FMA peak, read bandwidth, libtorch, ND4J, the reference, our dense kernel).
 *
 * <p>{@code java -cp ... org.attention4j.jmh.report.BenchmarkReport jmh/target/jmh-results/*.json}
 */
public final class BenchmarkReport {
    private final List<Result> results;
    private final double peakFlops;
    private final double readBytes;
    private final List<Target> targets = new ArrayList<>();

    BenchmarkReport(List<Result> results) {
        this.results = results;
        peakFlops = rate("fma", "flop");
        readBytes = rate("read", "bytes");
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: BenchmarkReport <jmh-result.json>...");
            System.exit(2);
        }
        List<Result> all = new ArrayList<>();
        for (String a : args) {
            all.addAll(Result.all(Json.parse(Files.readString(Path.of(a)))));
        }
        System.out.print(new BenchmarkReport(all).markdown());
    }

    String markdown() {
        StringBuilder sb = new StringBuilder();
        machine(sb);
        softmax(sb);
        masked(sb);
        linearFamily(sb);
        localLinear(sb);
        decode(sb);
        recurrentStep(sb);
        targets(sb);
        return sb.toString();
    }

    // ---- sections ----

    private void machine(StringBuilder sb) {
        sb.append("### Machine ceilings (same run)\n\n");
        sb.append("Other processes can only lower a ceiling, so each is the best 1-s iteration of all its measurements in the run.\n\n");
        sb.append("| ceiling | best iteration | each measurement (mean / best) |\n|---|---|---|\n");
        sb.append("| fp32 FMA peak, Vector API preferred species, registers only, all cores | ").append(gflops(peakFlops))
                .append(" GFLOP/s | ").append(eachMeasurement("fma", "flop", 1e9)).append(" GFLOP/s |\n");
        sb.append("| read bandwidth, Vector API sum over 128 MiB per core, all cores | ").append(fmt(readBytes / 1e9, 1))
                .append(" GB/s | ").append(eachMeasurement("read", "bytes", 1e9)).append(" GB/s |\n\n");
        results.stream().map(Result::settings).distinct().forEach(s -> sb.append("- ").append(s).append('\n'));
        sb.append('\n');
    }

    private void softmax(StringBuilder sb) {
        Target peak = target("softmax forward, % of FMA peak", ">= 50%", 0.50, true);
        Target torch = target("softmax forward vs libtorch SDPA", ">= 1.5x", 1.5, false);
        Target nd4j = target("softmax forward vs ND4J DotProductAttention", ">= 20x", 20, false);
        sb.append("### Softmax forward (dense, B = 1, H = 8, fp32; FLOPs 4·B·H·S²·D, halved for causal)\n\n");
        sb.append("| D | S | causal | ms | GFLOP/s | % of peak | ktok/s | libtorch GFLOP/s | vs libtorch | ND4J GFLOP/s | vs ND4J | reference GFLOP/s | vs reference |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Result r : rows("softmax", "cpu")) {
            Workload w = Workload.of("softmax", r.params());
            double ours = w.flops() / r.secondsPerOp();
            Result lt = find("softmax", "libtorch", r.shape());
            Result nd = find("softmax", "nd4j", r.shape());
            Result ref = find("softmax", "reference", r.shape());
            String row = "D=" + r.params().get("d") + ", S=" + r.params().get("s") + (bool(r, "causal") ? ", causal" : "");
            peak.add(row, ours / peakFlops);
            if (lt != null) torch.add(row, lt.secondsPerOp() / r.secondsPerOp());
            if (nd != null) nd4j.add(row, nd.secondsPerOp() / r.secondsPerOp());
            sb.append(cells(r.params().get("d"), r.params().get("s"), r.params().get("causal"), ms(r.secondsPerOp()), gflops(ours),
                    pct(ours / peakFlops), ktok(w.tokens() / r.secondsPerOp()),
                    lt == null ? "-" : gflops(w.flops() / lt.secondsPerOp()), lt == null ? "-" : times(lt.secondsPerOp() / r.secondsPerOp()),
                    nd == null ? "-" : gflops(w.flops() / nd.secondsPerOp()), nd == null ? "-" : times(nd.secondsPerOp() / r.secondsPerOp()),
                    ref == null ? "-" : gflops(w.flops() / ref.secondsPerOp()), ref == null ? "-" : times(ref.secondsPerOp() / r.secondsPerOp())));
        }
        sb.append('\n');
    }

    private void masked(StringBuilder sb) {
        sb.append("### Masked softmax (useful FLOPs only: 4·B·H·D per visible query-key pair; B = 1, H = 8)\n\n");
        sb.append("\"vs dense\" divides useful GFLOP/s by our dense non-causal softmax at the same D and S (target >= 70%).\n\n");
        sb.append("| operator | shape | D | keys/query | ms | useful GFLOP/s | vs dense | % of peak | ktok/s | libtorch (mask) useful GFLOP/s | vs libtorch | vs reference |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        String[][] families = {
                {"slidingWindow", "sliding window"}, {"neighborhood", "neighborhood"}, {"radial", "radial"}};
        for (String[] f : families) {
            Target dense = target(f[1] + ", useful GFLOP/s vs dense", ">= 70%", 0.70, true);
            List<Result> rows = rows(f[0], "cpu");
            if (rows.isEmpty()) {
                sb.append(cells(f[1], "no result in this run", "", "", "", "", "", "", "", "", "", ""));
                continue;
            }
            for (Result r : rows) {
                Workload w = Workload.of(f[0], r.params());
                double ours = w.flops() / r.secondsPerOp();
                int s = (int) (w.tokens() / r.intParam("b"));
                Result dn = find("softmax", "cpu", shape(r.intParam("b"), r.intParam("h"), s, r.intParam("d"), false));
                Result lt = find(f[0], "libtorch", r.shape());
                Result ref = find(f[0], "reference", r.shape());
                double vsDense = dn == null ? Double.NaN : ours / (Workload.of("softmax", dn.params()).flops() / dn.secondsPerOp());
                String shapeText = describe(f[0], r);
                if (dn != null) dense.add(shapeText + ", D=" + r.params().get("d"), vsDense);
                double keys = w.flops() / (4.0 * r.intParam("b") * r.intParam("h") * r.intParam("d") * s);
                sb.append(cells(f[1], shapeText, r.params().get("d"), fmt(keys, 0), ms(r.secondsPerOp()), gflops(ours),
                        dn == null ? "-" : pct(vsDense), pct(ours / peakFlops), ktok(w.tokens() / r.secondsPerOp()),
                        lt == null ? "-" : gflops(w.flops() / lt.secondsPerOp()), lt == null ? "-" : times(lt.secondsPerOp() / r.secondsPerOp()),
                        ref == null ? "-" : times(ref.secondsPerOp() / r.secondsPerOp())));
            }
        }
        sb.append('\n');
    }

    private void linearFamily(StringBuilder sb) {
        sb.append("### Linear family (chunkwise useful FLOPs, chunk C = ").append(Workload.LINEAR_CHUNK)
                .append("; B = 1, H = 8, Dk = Dv = D)\n\n");
        sb.append("| operator | D | S | ms | GFLOP/s | % of peak | ktok/s | causal softmax (ours) ktok/s | libtorch causal SDPA ktok/s | vs libtorch | vs reference |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        Map<String, Target> perOperator = new LinkedHashMap<>();
        for (String name : LINEAR_OPERATORS) {
            perOperator.put(name, target(name + ", % of FMA peak", ">= 40%", 0.40, true));
        }
        for (String family : new String[] {"linear", "gated"}) {
            List<Result> rows = rows(family, "cpu");
            if (rows.isEmpty()) {
                sb.append(cells(family, "-", "no result in this run", "", "", "", "", "", "", "", ""));
            }
            for (Result r : rows) {
                Workload w = Workload.of(family, r.params());
                double ours = w.flops() / r.secondsPerOp();
                String name = linearOperator(family, r);
                perOperator.get(name).add("D=" + r.params().get("d") + ", S=" + r.params().get("s"), ours / peakFlops);
                String causal = shape(r.intParam("b"), r.intParam("h"), r.intParam("s"), r.intParam("d"), true);
                Result sm = find("softmax", "cpu", causal);
                Result lt = find("softmax", "libtorch", causal);
                Result ref = find(family, "reference", r.shape());
                sb.append(cells(name, r.params().get("d"), r.params().get("s"), ms(r.secondsPerOp()), gflops(ours), pct(ours / peakFlops),
                        ktok(w.tokens() / r.secondsPerOp()), sm == null ? "-" : ktok(w.tokens() / sm.secondsPerOp()),
                        lt == null ? "-" : ktok(w.tokens() / lt.secondsPerOp()), lt == null ? "-" : times(lt.secondsPerOp() / r.secondsPerOp()),
                        ref == null ? "-" : times(ref.secondsPerOp() / r.secondsPerOp())));
            }
        }
        sb.append('\n');
    }

    /** The linear-family operators in report order, each with its own issue-6 target row. */
    private static final String[] LINEAR_OPERATORS = {"linear", "normalized linear", "decayed linear", "simple GLA", "GLA"};

    /** {@code LinearBench}'s {@code variant} (absent before it existed: plain) or {@code GatedBench}'s {@code gate}. */
    private static String linearOperator(String family, Result r) {
        if (family.equals("gated")) {
            return "vector".equals(r.params().get("gate")) ? "GLA" : "simple GLA";
        }
        switch (r.params().getOrDefault("variant", "plain")) {
            case "normalized": return "normalized linear";
            case "decayed": return "decayed linear";
            default: return "linear";
        }
    }

    private void localLinear(StringBuilder sb) {
        sb.append("### Local linear attention (causal, ridge lambda 10; B = 1, H = 8; useful FLOPs per `Workload`)\n\n");
        sb.append("| D | S | ms | GFLOP/s | % of peak | ktok/s | causal softmax (ours), same shape, ms | LLA / causal softmax time | vs reference |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        List<Result> rows = rows("localLinear", "cpu");
        if (rows.isEmpty()) {
            sb.append(cells("-", "-", "no result in this run", "", "", "", "", "", ""));
        }
        for (Result r : rows) {
            Workload w = Workload.of("localLinear", r.params());
            double ours = w.flops() / r.secondsPerOp();
            Result sm = find("softmax", "cpu", shape(r.intParam("b"), r.intParam("h"), r.intParam("s"), r.intParam("d"), true));
            Result ref = find("localLinear", "reference", r.shape());
            sb.append(cells(r.params().get("d"), r.params().get("s"), ms(r.secondsPerOp()), gflops(ours), pct(ours / peakFlops),
                    ktok(w.tokens() / r.secondsPerOp()), sm == null ? "-" : ms(sm.secondsPerOp()),
                    sm == null ? "-" : fmt(r.secondsPerOp() / sm.secondsPerOp(), 1) + "x",
                    ref == null ? "-" : times(ref.secondsPerOp() / r.secondsPerOp())));
        }
        sb.append('\n');
    }

    private void decode(StringBuilder sb) {
        sb.append("### KV-cache decode (one query token against a full fp32 cache; bytes = K and V read)\n\n");
        sb.append("A step does half a FLOP per byte of K and V, so only memory bandwidth should bound it; the target counts it")
                .append(" memory-bound when it reads the cache at >= 70% of the measured read bandwidth.\n\n");
        sb.append("| cache S | H / Hkv | D | µs per step | K+V GB/s | % of read bandwidth | GFLOP/s | tokens/s | libtorch µs | vs libtorch | vs reference |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        Target bw = target("KV-cache decode, K+V read as % of measured read bandwidth", ">= 70% (memory-bound)", 0.70, true);
        List<Result> rows = rows("decode", "cpu");
        if (rows.isEmpty()) {
            sb.append(cells("-", "-", "-", "no result in this run", "", "", "", "", "", "", ""));
        }
        for (Result r : rows) {
            Workload w = Workload.of("decode", r.params());
            double gbs = w.bytes() / r.secondsPerOp();
            Result lt = find("decode", "libtorch", r.shape());
            Result ref = find("decode", "reference", r.shape());
            bw.add("S=" + r.params().get("s") + ", D=" + r.params().get("d"), gbs / readBytes);
            sb.append(cells(r.params().get("s"), r.params().get("h") + " / " + r.params().get("hkv"), r.params().get("d"),
                    fmt(r.secondsPerOp() * 1e6, 0), fmt(gbs / 1e9, 1), pct(gbs / readBytes), gflops(w.flops() / r.secondsPerOp()),
                    fmt(w.tokens() / r.secondsPerOp(), 0), lt == null ? "-" : fmt(lt.secondsPerOp() * 1e6, 0),
                    lt == null ? "-" : times(lt.secondsPerOp() / r.secondsPerOp()),
                    ref == null ? "-" : times(ref.secondsPerOp() / r.secondsPerOp())));
        }
        sb.append('\n');
    }

    private void recurrentStep(StringBuilder sb) {
        sb.append("### Recurrent decode step (linear family, one token; bytes = fp32 state read and written)\n\n");
        sb.append("| operator | B / H | D | µs per step | tokens/s | state GB/s | % of read bandwidth | GFLOP/s | % of peak | vs reference |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        List<Result> rows = rows("recurrentStep", "cpu");
        if (rows.isEmpty()) {
            sb.append(cells("-", "-", "-", "no result in this run", "", "", "", "", "", ""));
        }
        for (Result r : rows) {
            Workload w = Workload.of("recurrentStep", r.params());
            double flops = w.flops() / r.secondsPerOp();
            double gbs = w.bytes() / r.secondsPerOp();
            Result ref = find("recurrentStep", "reference", r.shape());
            String gate = r.params().get("gate");
            String name = "vector".equals(gate) ? "GLA" : "scalar".equals(gate) ? "simple GLA" : "linear";
            sb.append(cells(name, r.params().get("b") + " / " + r.params().get("h"), r.params().get("d"), fmt(r.secondsPerOp() * 1e6, 1),
                    fmt(w.tokens() / r.secondsPerOp(), 0), fmt(gbs / 1e9, 1), pct(gbs / readBytes), gflops(flops), pct(flops / peakFlops),
                    ref == null ? "-" : times(ref.secondsPerOp() / r.secondsPerOp())));
        }
        sb.append('\n');
    }

    private void targets(StringBuilder sb) {
        sb.append("### Targets (issue 6) against this run\n\n");
        sb.append("A target is met when every row measured against it meets the threshold.\n\n");
        sb.append("| target | threshold | met (rows meeting it) | worst row | best row |\n|---|---|---|---|---|\n");
        for (Target t : targets) {
            sb.append(t.row());
        }
        sb.append('\n');
    }

    // ---- lookups ----

    private List<Result> rows(String family, String impl) {
        List<Result> out = new ArrayList<>();
        for (Result r : results) {
            if (r.family().equals(family) && r.impl().equals(impl)) {
                out.add(r);
            }
        }
        return out;
    }

    private Result find(String family, String impl, String shape) {
        for (Result r : results) {
            if (r.family().equals(family) && r.impl().equals(impl) && r.shape().equals(shape)) {
                return r;
            }
        }
        return null;
    }

    /** The best iteration of every measurement of a machine ceiling in the run. */
    private double rate(String method, String counter) {
        double best = Double.NaN;
        for (Result r : peakResults(method)) {
            double x = r.bestRatesPerSecond().getOrDefault(counter, Double.NaN);
            if (!Double.isNaN(x) && (Double.isNaN(best) || x > best)) {
                best = x;
            }
        }
        return best;
    }

    private String eachMeasurement(String method, String counter, double unit) {
        List<String> parts = new ArrayList<>();
        for (Result r : peakResults(method)) {
            parts.add(fmt(r.ratesPerSecond().getOrDefault(counter, Double.NaN) / unit, 0) + " / "
                    + fmt(r.bestRatesPerSecond().getOrDefault(counter, Double.NaN) / unit, 0));
        }
        return String.join(", ", parts);
    }

    private List<Result> peakResults(String method) {
        List<Result> out = new ArrayList<>();
        for (Result r : results) {
            if (r.family().equals("machinePeak") && r.benchmark().endsWith("." + method)) {
                out.add(r);
            }
        }
        return out;
    }

    /** The shape key of a softmax benchmark (its parameters other than backend, sorted). */
    private static String shape(int b, int h, int s, int d, boolean causal) {
        Map<String, String> p = new TreeMap<>();
        p.put("b", Integer.toString(b));
        p.put("h", Integer.toString(h));
        p.put("s", Integer.toString(s));
        p.put("d", Integer.toString(d));
        p.put("causal", Boolean.toString(causal));
        return p.toString();
    }

    private static String describe(String family, Result r) {
        switch (family) {
            case "slidingWindow":
                return "S=" + r.params().get("s") + ", window " + r.params().get("window");
            case "neighborhood": {
                GridSpec g = GridSpec.parse(r.params().get("grid"));
                String extents = r.params().get("grid").split("/")[0];
                return g.extents().length + "-D " + extents + ", kernel " + g.kernel();
            }
            case "radial":
                return r.params().get("frames") + " x " + r.params().get("tokensPerFrame") + " tokens, block " + r.params().get("block");
            default:
                return r.shape();
        }
    }

    private static boolean bool(Result r, String name) {
        return Boolean.parseBoolean(r.params().get(name));
    }

    // ---- targets ----

    private Target target(String name, String threshold, double need, boolean fraction) {
        Target t = new Target(name, threshold, need, fraction);
        targets.add(t);
        return t;
    }

    /** A performance target and the rows measured against it. */
    private static final class Target {
        final String name, threshold;
        final double need;
        final boolean fraction;
        final List<String> rows = new ArrayList<>();
        final List<Double> values = new ArrayList<>();

        Target(String name, String threshold, double need, boolean fraction) {
            this.name = name;
            this.threshold = threshold;
            this.need = need;
            this.fraction = fraction;
        }

        void add(String row, double value) {
            rows.add(row);
            values.add(value);
        }

        String row() {
            if (values.isEmpty()) {
                return cells(name, threshold, "no result", "-", "-");
            }
            int worst = 0, best = 0, met = 0;
            for (int i = 0; i < values.size(); i++) {
                if (values.get(i) < values.get(worst)) worst = i;
                if (values.get(i) > values.get(best)) best = i;
                if (values.get(i) >= need) met++;
            }
            String metText = (met == values.size() ? "yes" : "no") + " (" + met + " of " + values.size() + ")";
            return cells(name, threshold, metText, show(values.get(worst)) + " (" + rows.get(worst) + ")",
                    show(values.get(best)) + " (" + rows.get(best) + ")");
        }

        private String show(double v) {
            return fraction ? pct(v) : times(v);
        }
    }

    // ---- formatting ----

    static String cells(String... values) {
        return "| " + String.join(" | ", values) + " |\n";
    }

    static String gflops(double flopsPerSecond) {
        double g = flopsPerSecond / 1e9;
        return fmt(g, g >= 100 ? 0 : 1);
    }

    static String pct(double fraction) {
        return Double.isNaN(fraction) ? "-" : fmt(100 * fraction, 0) + "%";
    }

    static String times(double ratio) {
        return fmt(ratio, ratio >= 10 ? 0 : 2) + "x";
    }

    static String ms(double seconds) {
        double m = seconds * 1e3;
        return fmt(m, m >= 100 ? 0 : m >= 10 ? 1 : 2);
    }

    static String ktok(double tokensPerSecond) {
        double k = tokensPerSecond / 1e3;
        return fmt(k, k >= 100 ? 0 : k >= 10 ? 1 : 2);
    }

    static String fmt(double v, int decimals) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
