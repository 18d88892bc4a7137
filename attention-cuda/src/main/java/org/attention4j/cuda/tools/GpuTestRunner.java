package org.attention4j.cuda.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.attention4j.Attention;
import org.attention4j.AttentionOutput;
import org.attention4j.DType;
import org.attention4j.SoftmaxFamilyOp;
import org.attention4j.Tensor;
import org.attention4j.VerifyPolicy;
import org.attention4j.cuda.CudaBackend;
import org.attention4j.cuda.CudaRuntime;
import org.attention4j.internal.Dispatcher;
import org.attention4j.reference.ReferenceBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;

/**
 * Checks every CUDA path against the reference over the shape matrix of spec Appendix B (odd sizes, GQA,
 * Sq != Sk both ways, windows, fully masked rows, all dtypes), with fresh random inputs and poisoned
 * outputs. Runs on the GPU machine from the bundle; prints one line per case and {@code N passed, M failed}.
 */
public final class GpuTestRunner {
    private record Case(String name, int b, int sq, int sk, int h, int hkv, int d, int dv, SoftmaxFamilyOp op, boolean ranges) {
    }

    private GpuTestRunner() {
    }

    public static void main(String[] args) {
        long seed = args.length > 0 ? Long.parseLong(args[0]) : System.nanoTime();
        // The native library's own device-pointer range checks stay on here, to catch a Java-side slip.
        System.setProperty(CudaRuntime.POINTER_CHECKS_PROPERTY, "true");
        System.out.println("GPU test runner, seed " + seed + ", device " + CudaRuntime.device());
        if (!CudaRuntime.status().supported()) {
            System.out.println("CUDA backend unavailable: " + CudaRuntime.status().reason());
            System.out.println("0 passed, 1 failed");
            System.exit(1);
        }
        System.setProperty(Dispatcher.BACKEND_PROPERTY, "cuda");
        System.setProperty(CudaBackend.POISON_PROPERTY, "true");
        SplittableRandom rnd = new SplittableRandom(seed);
        ReferenceBackend ref = new ReferenceBackend();
        int passed = 0, failed = 0;
        for (DType dt : DType.values()) {
            for (Case c : cases()) {
                String label = String.format(Locale.ROOT, "%-5s %-34s B=%d Sq=%d Sk=%d H=%d/%d D=%d Dv=%d", dt, c.name, c.b, c.sq, c.sk,
                        c.h, c.hkv, c.d, c.dv);
                try {
                    double tol = dt == DType.F32 ? 1e-5 : dt == DType.F16 ? 5e-3 : 2e-2;
                    String err = check(c, dt, rnd, ref, tol);
                    if (err == null) {
                        passed++;
                        System.out.println("PASS " + label);
                    } else {
                        failed++;
                        System.out.println("FAIL " + label + ": " + err);
                    }
                } catch (RuntimeException e) {
                    failed++;
                    System.out.println("FAIL " + label + ": " + e);
                }
            }
        }
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        SoftmaxFamilyOp plain = Attention.softmax().verify(VerifyPolicy.OFF).build();
        SoftmaxFamilyOp causal = Attention.softmax().causal(true).verify(VerifyPolicy.OFF).build();
        int[][] shapes = {{1, 1, 1}, {2, 17, 17}, {1, 63, 65}, {1, 65, 63}, {2, 130, 257}, {1, 257, 130}, {1, 5, 300}, {1, 300, 5}};
        for (int[] s : shapes) {
            cs.add(new Case("plain", s[0], s[1], s[2], 4, 4, 64, 64, plain, false));
            cs.add(new Case("causal", s[0], s[1], s[2], 6, 2, 64, 64, causal, false));
        }
        for (int d : new int[] {32, 80, 96, 128, 160, 192, 256}) {
            cs.add(new Case("causal head dim", 1, 77, 129, 2, 1, d, d, causal, false));
        }
        cs.add(new Case("Dk != Dv", 1, 70, 90, 4, 2, 128, 64, causal, false));
        cs.add(new Case("Dk != Dv (2)", 1, 70, 90, 4, 2, 64, 256, plain, false));
        cs.add(new Case("MQA", 2, 40, 40, 8, 1, 64, 64, causal, false));
        for (int[] w : new int[][] {{16, 0}, {16, 16}, {0, 0}, {-1, 7}, {5, -1}}) {
            SoftmaxFamilyOp op = Attention.slidingWindow(w[0], w[1]).verify(VerifyPolicy.OFF).build();
            cs.add(new Case("window (" + w[0] + "," + w[1] + ")", 2, 150, 150, 4, 2, 64, 64, op, false));
            cs.add(new Case("window (" + w[0] + "," + w[1] + ") Sq>Sk", 1, 150, 40, 4, 2, 64, 64, op, false));
        }
        cs.add(new Case("softcap 5", 1, 90, 90, 4, 4, 64, 64, Attention.softmax().softcap(5).causal(true).verify(VerifyPolicy.OFF).build(), false));
        cs.add(new Case("alibi non-causal", 1, 90, 120, 4, 4, 64, 64,
                Attention.softmax().alibiSlopes(0.5f, 0.25f, 0.125f, 0.0625f).verify(VerifyPolicy.OFF).build(), false));
        cs.add(new Case("alibi causal", 1, 90, 120, 4, 4, 64, 64,
                Attention.softmax().causal(true).alibiSlopes(0.5f, 0.25f, 0.125f, 0.0625f).verify(VerifyPolicy.OFF).build(), false));
        cs.add(new Case("key ranges (cache) causal", 3, 4, 700, 8, 2, 128, 128, causal, true));
        cs.add(new Case("key ranges decode 1 row", 3, 1, 3000, 8, 2, 128, 128, causal, true));
        cs.add(new Case("key ranges decode window", 2, 1, 2000, 8, 8, 64, 64,
                Attention.slidingWindow(300, 0).verify(VerifyPolicy.OFF).build(), true));
        return cs;
    }

    private static String check(Case c, DType dt, SplittableRandom rnd, ReferenceBackend ref, double tol) {
        Tensor q = randn(rnd, dt, c.b, c.sq, c.h, c.d), k = randn(rnd, dt, c.b, c.sk, c.hkv, c.d), v = randn(rnd, dt, c.b, c.sk, c.hkv, c.dv);
        int[] start = null, end = null;
        if (c.ranges) {
            start = new int[c.b];
            end = new int[c.b];
            for (int i = 0; i < c.b; i++) {
                end[i] = i == 0 ? c.sk : 1 + rnd.nextInt(c.sk);
                start[i] = i == 2 ? Math.min(end[i], 3) : 0; // left padding on one batch element
                if (i == 1 && c.b > 1) end[i] = 0; // an empty cache: rows must be 0 with LSE +inf
            }
        }
        AttentionOutput got = c.ranges ? c.op.forwardWithKeyRanges(q, k, v, start, end) : c.op.forwardWithLse(q, k, v);
        if (!"cuda".equals(Attention.lastBackend())) {
            return "answered by " + Attention.lastBackend();
        }
        AttentionResult want = ref.forward(AttentionCall.builder(c.op, q, k, v).keyRange(start, end).needLse(true).build());
        String e = rel(got.output(), want.output(), tol, "output");
        return e != null ? e : lse(got.lse(), want.lse(), dt == DType.F32 ? 1e-4 : 2e-2);
    }

    private static String rel(Tensor got, Tensor want, double tol, String what) {
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        double num = 0, den = 0;
        for (int i = 0; i < g.length; i++) {
            if (Float.isNaN(g[i])) return what + " NaN at " + i + " (unwritten or invalid)";
            num += ((double) g[i] - w[i]) * ((double) g[i] - w[i]);
            den += (double) w[i] * w[i];
        }
        double r = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        return r <= tol ? null : String.format(Locale.ROOT, "%s rel error %.3e > %.1e", what, r, tol);
    }

    private static String lse(Tensor got, Tensor want, double tol) {
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        for (int i = 0; i < g.length; i++) {
            boolean ok = Float.isInfinite(w[i]) ? g[i] == w[i] : Math.abs(g[i] - w[i]) <= tol * Math.max(1, Math.abs(w[i]));
            if (!ok) return "lse[" + i + "] = " + g[i] + ", expected " + w[i];
        }
        return null;
    }

    static Tensor randn(SplittableRandom rnd, DType dt, long... shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return Tensor.fromFloats(dt, a, shape);
    }
}
