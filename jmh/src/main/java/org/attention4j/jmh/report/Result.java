package org.attention4j.jmh.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One JMH result row in the report's terms. {@code family} comes from the benchmark class
 * ({@code SoftmaxBench}, {@code TorchSoftmaxBench} and {@code Nd4jSoftmaxBench} are all {@code softmax}),
 * {@code impl} from its prefix ({@code libtorch}, {@code nd4j}) or else its {@code backend} parameter;
 * {@code shape} is every other parameter, so rows of different implementations on one shape share it.
 */
record Result(String benchmark, String family, String impl, Map<String, String> params, String shape,
              double secondsPerOp, Map<String, Double> ratesPerSecond, Map<String, Double> bestRatesPerSecond,
              String settings) {

    @SuppressWarnings("unchecked")
    static Result of(Map<String, Object> row) {
        String benchmark = (String) row.get("benchmark");
        String[] parts = benchmark.split("\\.");
        String cls = parts[parts.length - 2];
        Map<String, String> params = new LinkedHashMap<>();
        Object p = row.get("params");
        if (p != null) {
            ((Map<String, Object>) p).forEach((k, v) -> params.put(k, String.valueOf(v)));
        }
        String impl;
        String base = cls.endsWith("Bench") ? cls.substring(0, cls.length() - "Bench".length()) : cls;
        if (base.startsWith("Torch")) {
            impl = "libtorch";
            base = base.substring("Torch".length());
        } else if (base.startsWith("Nd4j")) {
            impl = "nd4j";
            base = base.substring("Nd4j".length());
        } else {
            impl = params.getOrDefault("backend", "cpu");
        }
        String family = Character.toLowerCase(base.charAt(0)) + base.substring(1);
        Map<String, String> shapeParams = new TreeMap<>(params);
        shapeParams.remove("backend");
        Map<String, Object> primary = (Map<String, Object>) row.get("primaryMetric");
        double seconds = Double.NaN;
        String unit = (String) primary.get("scoreUnit");
        if (unit.endsWith("/op")) {
            seconds = number(primary.get("score")) * secondsPer(unit.substring(0, unit.length() - 3));
        }
        Map<String, Double> rates = new LinkedHashMap<>();
        Map<String, Double> best = new LinkedHashMap<>();
        Object secondary = row.get("secondaryMetrics");
        if (secondary != null) {
            for (Map.Entry<String, Object> e : ((Map<String, Object>) secondary).entrySet()) {
                Map<String, Object> m = (Map<String, Object>) e.getValue();
                String u = (String) m.get("scoreUnit");
                if (u.startsWith("ops/")) {
                    double per = secondsPer(u.substring(4));
                    rates.put(e.getKey(), number(m.get("score")) / per);
                    best.put(e.getKey(), maxIteration(m.get("rawData")) / per);
                }
            }
        }
        String settings = "JDK " + row.getOrDefault("jdkVersion", "?") + " (" + row.getOrDefault("vmName", "?") + "), JMH "
                + row.getOrDefault("jmhVersion", "?") + ", " + count(row.get("forks")) + " fork, warm-up "
                + count(row.get("warmupIterations")) + " x " + row.getOrDefault("warmupTime", "?") + ", measurement "
                + count(row.get("measurementIterations")) + " x " + row.getOrDefault("measurementTime", "?");
        return new Result(benchmark, family, impl, Collections.unmodifiableMap(params), shapeParams.toString(), seconds,
                Collections.unmodifiableMap(rates), Collections.unmodifiableMap(best), settings);
    }

    @SuppressWarnings("unchecked")
    static List<Result> all(Object json) {
        return ((List<Object>) json).stream().map(r -> of((Map<String, Object>) r)).toList();
    }

    int intParam(String name) {
        return Integer.parseInt(params.get(name));
    }

    /** The best iteration of JMH's {@code rawData} (one list of iteration scores per fork). */
    @SuppressWarnings("unchecked")
    private static double maxIteration(Object rawData) {
        double max = Double.NaN;
        if (rawData instanceof List) {
            for (Object fork : (List<Object>) rawData) {
                for (Object v : (List<Object>) fork) {
                    double x = number(v);
                    if (!Double.isNaN(x) && (Double.isNaN(max) || x > max)) {
                        max = x;
                    }
                }
            }
        }
        return max;
    }

    private static String count(Object o) {
        return o instanceof Double ? Long.toString(Math.round((Double) o)) : "?";
    }

    private static double number(Object o) {
        if (o instanceof Double) {
            return (Double) o;
        }
        return Double.NaN; // JMH writes "NaN" as a string
    }

    private static double secondsPer(String unit) {
        switch (unit) {
            case "s": return 1;
            case "ms": return 1e-3;
            case "us": return 1e-6;
            case "ns": return 1e-9;
            case "min": return 60;
            default: throw new IllegalArgumentException("unit: unknown time unit " + unit);
        }
    }
}
