package org.attention4j.internal;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.attention4j.DType;
import org.attention4j.Family;
import org.attention4j.LseMerge;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;

/**
 * Checks a backend's result against the reference on a sample of rows (DESIGN.md section 4): the first
 * and last query positions and a few random ones, across every batch element and head; for the linear
 * family (whose rows depend on all earlier tokens) the whole output and the final state.
 */
public final class Verifier {
    /** Query positions sampled besides the first and the last. */
    static final int RANDOM_ROWS = 4;

    private Verifier() {
    }

    /** Relative L2 tolerance for outputs computed from inputs of {@code dtype}. */
    public static double tolerance(DType dtype) {
        switch (dtype) {
            case BF16: return 4e-2;
            case F16: return 1e-2;
            default: return 2e-3;
        }
    }

    /** The verdict: {@code null} if the result matches, else what differed. */
    public static String verify(AttentionCall call, AttentionResult got, AttentionBackend oracle, SplittableRandom rnd) {
        return verify(call, got, oracle, rnd, call.dtype());
    }

    /** As {@link #verify(AttentionCall, AttentionResult, AttentionBackend, SplittableRandom)} with the tolerance of {@code precision}. */
    public static String verify(AttentionCall call, AttentionResult got, AttentionBackend oracle, SplittableRandom rnd, DType precision) {
        boolean rowwise = call.family().rowIndependent();
        int tokens = call.queryTokens();
        boolean[] rows = null;
        if (rowwise && tokens > RANDOM_ROWS + 2) {
            rows = new boolean[tokens];
            rows[0] = true;
            rows[tokens - 1] = true;
            for (int i = 0; i < RANDOM_ROWS; i++) {
                rows[rnd.nextInt(tokens)] = true;
            }
        }
        AttentionResult want = oracle.forward(call.toBuilder().queryRows(rows).build());
        double tol = tolerance(precision);
        String err = compareRows("output", got.output(), want.output(), rows, tol);
        if (err == null && call.needLse()) {
            err = compareLse(got.lse(), want.lse(), rows, tol);
        }
        if (err == null && !rowwise) {
            err = compareRows("finalState", got.finalState(), want.finalState(), null, tolerance(DType.F32) * 5);
            if (err == null && want.finalKeySum() != null) {
                err = compareRows("finalKeySum", got.finalKeySum(), want.finalKeySum(), null, tolerance(DType.F32));
            }
        }
        return err;
    }

    /** Relative L2 over the sampled query rows of {@code [B, T.., H, Dv]} tensors (all rows when null). */
    static String compareRows(String what, Tensor got, Tensor want, boolean[] rows, double tol) {
        if (got == null) {
            return what + " missing";
        }
        if (!Arrays.equals(got.shape(), want.shape())) {
            return what + " shape " + Arrays.toString(got.shape()) + ", expected " + Arrays.toString(want.shape());
        }
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        long batch = got.size(0);
        int tokens = rows == null ? 1 : rows.length;
        long rowLen = g.length / (batch * tokens);
        double num = 0, den = 0;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < tokens; t++) {
                if (rows != null && !rows[t]) continue;
                int base = (int) ((b * (long) tokens + t) * rowLen);
                for (int i = 0; i < rowLen; i++) {
                    float x = g[base + i], y = w[base + i];
                    if (Float.isNaN(x)) {
                        return what + " has NaN at flat index " + (base + i);
                    }
                    double d = (double) x - y;
                    num += d * d;
                    den += (double) y * y;
                }
            }
        }
        double rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
        if (den == 0) {
            rel = Math.sqrt(num);
        }
        return rel <= tol ? null : String.format("%s relative L2 error %.3e > tolerance %.1e", what, rel, tol);
    }

    static String compareLse(Tensor got, Tensor want, boolean[] rows, double tol) {
        if (got == null) {
            return "lse missing";
        }
        if (!Arrays.equals(got.shape(), want.shape())) {
            return "lse shape " + Arrays.toString(got.shape()) + ", expected " + Arrays.toString(want.shape());
        }
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        int tokens = rows == null ? g.length / (int) (got.size(0) * got.size(1)) : rows.length;
        for (int i = 0; i < g.length; i++) {
            if (rows != null && !rows[i % tokens]) continue;
            if (Float.isNaN(g[i]) || (Float.isInfinite(w[i]) != Float.isInfinite(g[i]))
                    || (Float.isFinite(w[i]) && Math.abs(g[i] - w[i]) > tol * Math.max(1, Math.abs(w[i])))) {
                return "lse[" + i + "] = " + g[i] + ", expected " + w[i];
            }
        }
        return null;
    }

    /**
     * The verification key's shape part: what changes code paths (head dims, GQA ratio, rank, relation of
     * Sq and Sk, tile alignment, optional inputs) but not the sizes themselves.
     */
    public static String shapeClass(AttentionCall call) {
        StringBuilder sb = new StringBuilder(shapeClass(call.dtype(), call.q().shape(), call.k().shape(), call.v().shape(),
                call.keyEnd() != null, call.needLse()));
        if (call.gate() != null) sb.append(call.gate().rank() == 4 ? ",gk" : ",g");
        if (call.initialState() != null) sb.append(",h0");
        if (call.initialKeySum() != null) sb.append(",z0");
        if (call.lambda() != null) sb.append(",lambda").append(call.lambda().rank());
        return sb.toString();
    }

    /** The shape class of {@code q [B, S.., H, D]}, {@code k}, {@code v} (shared by host and device paths). */
    public static String shapeClass(DType dtype, long[] q, long[] k, long[] v, boolean keyRanges, boolean lse) {
        int r = q.length;
        long sq = 1, sk = 1;
        for (int d = 1; d < r - 2; d++) {
            sq *= q[d];
            sk *= k[d];
        }
        StringBuilder sb = new StringBuilder();
        sb.append(dtype).append(",D=").append(q[r - 1]).append(",Dv=").append(v[r - 1])
                .append(",G=").append(q[r - 2] / k[r - 2]).append(",rank=").append(r)
                .append(sq == sk ? ",Sq=Sk" : sq < sk ? ",Sq<Sk" : ",Sq>Sk")
                .append(sq == 1 ? ",Sq=1" : "").append(sq % 64 == 0 ? ",Sq%64" : "").append(sk % 64 == 0 ? ",Sk%64" : "")
                .append(keyRanges ? ",ranges" : "").append(lse ? ",lse" : "");
        return sb.toString();
    }

    /** For tests: the LSE layout used everywhere. */
    static long[] lseShape(Tensor output) {
        return LseMerge.lseShape(output.shape());
    }
}
