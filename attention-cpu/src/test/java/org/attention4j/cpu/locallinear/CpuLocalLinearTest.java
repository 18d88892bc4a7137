package org.attention4j.cpu.locallinear;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attention4j.Attention;
import org.attention4j.DType;
import org.attention4j.LocalLinearAttention;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuBackend;
import org.attention4j.cpu.TestData;
import org.attention4j.cpu.vectorization.VectorizationProvider;
import org.attention4j.reference.ReferenceBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Local linear attention against the reference and spec 7.1's closed form in fp64 (uncentred statistics, Gaussian elimination) and its properties. */
class CpuLocalLinearTest {
    private static final SplittableRandom RND = TestData.random("CpuLocalLinearTest");

    record Case(String name, LocalLinearAttention op, int batch, int sq, int sk, int heads, int kvHeads, int d, int dv,
                DType dtype, boolean perQueryLambda, int[] keyStart, int[] keyEnd) {
        @Override
        public String toString() {
            return name + " " + dtype;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> cs = new ArrayList<>();
        cs.add(new Case("causal, default lambda", Attention.localLinear().build(), 2, 100, 100, 2, 2, 16, 16, DType.F32, false, null, null));
        cs.add(new Case("causal, lambda 0.1, Sq<Sk, GQA", Attention.localLinear().ridgeLambda(0.1).build(), 1, 40, 90, 4, 2, 8, 12, DType.F32, false, null, null));
        cs.add(new Case("non-causal Sq>Sk", Attention.localLinear().causal(false).ridgeLambda(1).build(), 1, 70, 50, 1, 1, 16, 8, DType.F32, false, null, null));
        cs.add(new Case("block-diagonal 4", Attention.localLinear().blockSize(4).ridgeLambda(0.5).build(), 1, 80, 80, 2, 1, 16, 16, DType.F32, false, null, null));
        cs.add(new Case("per-query lambda", Attention.localLinear().build(), 2, 60, 60, 2, 2, 8, 8, DType.F32, true, null, null));
        cs.add(new Case("decode, key ranges, empty row", Attention.localLinear().build(), 3, 2, 150, 2, 2, 32, 32, DType.F32, false,
                new int[] {10, 0, 7}, new int[] {150, 90, 7}));
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            cs.add(new Case("causal half storage", Attention.localLinear().build(), 1, 70, 70, 2, 2, 16, 16, t, false, null, null));
        }
        List<Arguments> args = new ArrayList<>();
        for (VectorizationProvider p : TestData.providers()) {
            for (Case c : cs) args.add(Arguments.of(c, p));
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} / {1}")
    @MethodSource("cases")
    void matchesClosedFormAndThreadCounts(Case c, VectorizationProvider provider) {
        Tensor q = TestData.tensor(RND, c.dtype, false, 1, c.batch, c.sq, c.heads, c.d);
        Tensor k = TestData.tensor(RND, c.dtype, true, 1, c.batch, c.sk, c.kvHeads, c.d);
        Tensor v = TestData.tensor(RND, c.dtype, false, 1, c.batch, c.sk, c.kvHeads, c.dv);
        Tensor lambda = null;
        if (c.perQueryLambda) {
            float[] l = new float[c.batch * c.sq * c.heads];
            for (int i = 0; i < l.length; i++) l[i] = (float) Math.exp(RND.nextDouble() * 6 - 3);
            lambda = Tensor.of(l, c.batch, c.sq, c.heads);
        }
        AttentionCall call = AttentionCall.builder(c.op, q, k, v).lambda(lambda).keyRange(c.keyStart, c.keyEnd).build();
        assertThat(new CpuBackend(1, provider).supports(call).supported()).isTrue();
        AttentionResult one = new CpuBackend(1, provider).forward(call);
        double[] want = closedForm(call);
        double tol = TestData.tolerance(c.dtype);
        assertThat(TestData.relativeL2(one.output().toFloatArray(), want)).isLessThan(tol);
        AttentionResult ref = new ReferenceBackend().forward(call);
        assertThat(TestData.relativeL2(one.output().toFloatArray(), ref.output().toFloatArray())).isLessThan(tol);
        for (int threads : new int[] {2, 3}) {
            AttentionResult r = new CpuBackend(threads, provider).forward(call);
            assertThat(r.output().toFloatArray()).as("output with %d threads", threads).isEqualTo(one.output().toFloatArray());
        }
    }

    /** Spec 7.1's worked example: D = 1, τ = 1, λ = 0.1, q_1 = 1, keys (0, 2), values (1, 3) gives o_1 = 2.1465; o_0 = v_0. */
    @Test
    void workedExample() {
        LocalLinearAttention op = Attention.localLinear().ridgeLambda(0.1).scale(1).deltaEps(0).build();
        Tensor q = Tensor.of(new float[] {0.3f, 1f}, 1, 2, 1, 1);
        Tensor k = Tensor.of(new float[] {0f, 2f}, 1, 2, 1, 1);
        Tensor v = Tensor.of(new float[] {1f, 3f}, 1, 2, 1, 1);
        for (VectorizationProvider p : TestData.providers()) {
            float[] o = new CpuBackend(1, p).forward(AttentionCall.builder(op, q, k, v).build()).output().toFloatArray();
            assertThat((double) o[0]).isCloseTo(1.0, within(1e-6));
            assertThat((double) o[1]).isCloseTo(2.1465, within(1e-4));
        }
    }

    /** λ → ∞ is softmax attention (spec 7.1). */
    @Test
    void hugeRidgeIsSoftmax() {
        Tensor q = TestData.tensor(RND, DType.F32, false, 1, 1, 50, 2, 16);
        Tensor k = TestData.tensor(RND, DType.F32, false, 1, 1, 50, 2, 16);
        Tensor v = TestData.tensor(RND, DType.F32, false, 1, 1, 50, 2, 16);
        CpuBackend cpu = new CpuBackend(2, VectorizationProvider.getInstance());
        float[] lla = cpu.forward(AttentionCall.builder(Attention.localLinear().ridgeLambda(1e9).build(), q, k, v).build()).output().toFloatArray();
        float[] sm = cpu.forward(AttentionCall.builder(Attention.softmax().causal(true).build(), q, k, v).build()).output().toFloatArray();
        assertThat(TestData.relativeL2(lla, sm)).isLessThan(1e-5);
    }

    /** The uncentred closed form of spec 7.1 in fp64, with Gaussian elimination (independent of the kernel's centred Cholesky). */
    static double[] closedForm(AttentionCall call) {
        LocalLinearAttention op = (LocalLinearAttention) call.op();
        int batch = call.batch(), sq = call.q().dim(1), heads = call.heads(), d = call.headDim(), dv = call.valueDim();
        int kvHeads = call.kvHeads(), skAll = call.k().dim(1);
        float[] qa = call.q().toFloatArray(), ka = call.k().toFloatArray(), va = call.v().toFloatArray();
        float[] lam = call.lambda() == null ? null : call.lambda().toFloatArray();
        double tau = op.scale(d);
        int blk = op.blockSize() > 0 ? op.blockSize() : d;
        double[] out = new double[batch * sq * heads * dv];
        for (int b = 0; b < batch; b++) {
            int ks = call.keyStart(b), sk = call.keyEnd(b) - ks;
            for (int h = 0; h < heads; h++) {
                int g = h / (heads / kvHeads);
                for (int i = 0; i < sq; i++) {
                    int end = op.causal() ? (int) Math.max(0, Math.min(sk, (long) i + sk - sq + 1)) : sk;
                    if (end == 0) continue;
                    double[] qi = new double[d];
                    for (int e = 0; e < d; e++) qi[e] = qa[((b * sq + i) * heads + h) * d + e];
                    double[] s = new double[end];
                    double m = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < end; j++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += qi[e] * ka[((b * skAll + ks + j) * kvHeads + g) * d + e];
                        s[j] = tau * dot;
                        m = Math.max(m, s[j]);
                    }
                    double omega = 0;
                    double[] muT = new double[d];
                    double[][] sigT = new double[d][d];
                    for (int j = 0; j < end; j++) {
                        double w = Math.exp(s[j] - m);
                        s[j] = w;
                        omega += w;
                        int kr = ((b * skAll + ks + j) * kvHeads + g) * d;
                        for (int x = 0; x < d; x++) {
                            muT[x] += w * ka[kr + x];
                            for (int y = 0; y < d; y++) sigT[x][y] += w * ka[kr + x] * ka[kr + y];
                        }
                    }
                    double lambda = lam == null ? op.ridgeLambda() : lam[(b * sq + i) * heads + h];
                    double[][] a = new double[d][d];
                    double[] mu = new double[d];
                    for (int x = 0; x < d; x++) {
                        mu[x] = muT[x] - omega * qi[x];
                        for (int y = 0; y < d; y++) {
                            double sig = sigT[x][y] - muT[x] * qi[y] - qi[x] * muT[y] + omega * qi[x] * qi[y];
                            a[x][y] = x / blk == y / blk ? sig : 0;
                        }
                        a[x][x] += lambda * omega;
                    }
                    double[] rho = gauss(a, mu);
                    double delta = omega;
                    for (int x = 0; x < d; x++) delta -= mu[x] * rho[x];
                    delta += op.deltaEps() * Math.signum(delta);
                    int o = ((b * sq + i) * heads + h) * dv;
                    for (int j = 0; j < end; j++) {
                        int kr = ((b * skAll + ks + j) * kvHeads + g) * d;
                        double ru = 0;
                        for (int x = 0; x < d; x++) ru += rho[x] * (ka[kr + x] - qi[x]);
                        double sij = s[j] * (1 - ru) / delta;
                        for (int e = 0; e < dv; e++) out[o + e] += sij * va[((b * skAll + ks + j) * kvHeads + g) * dv + e];
                    }
                }
            }
        }
        return out;
    }

    private static double[] gauss(double[][] a0, double[] rhs) {
        int n = rhs.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) a[i] = a0[i].clone();
        double[] x = rhs.clone();
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
            double[] t = a[c]; a[c] = a[p]; a[p] = t;
            double tx = x[c]; x[c] = x[p]; x[p] = tx;
            for (int r = c + 1; r < n; r++) {
                double f = a[r][c] / a[c][c];
                for (int k = c; k < n; k++) a[r][k] -= f * a[c][k];
                x[r] -= f * x[c];
            }
        }
        for (int r = n - 1; r >= 0; r--) {
            for (int k = r + 1; k < n; k++) x[r] -= a[r][k] * x[k];
            x[r] /= a[r][r];
        }
        return x;
    }
}
