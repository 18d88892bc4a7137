package org.attention4j.cpu.linear;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attention4j.Attention;
import org.attention4j.AttentionOp;
import org.attention4j.DType;
import org.attention4j.GatedAttention;
import org.attention4j.LinearAttention;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuBackend;
import org.attention4j.cpu.TestData;
import org.attention4j.cpu.vectorization.VectorizationProvider;
import org.attention4j.reference.ReferenceBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Linear, decayed, normalized, scalar-gate GLA and GLA chunk kernels against the reference and an fp64 recurrence. */
class CpuLinearTest {
    private static final SplittableRandom RND = TestData.random("CpuLinearTest");

    /** Gate inputs: none, scalar per token, or per key dim; {@code normalizer} divides logsigmoid (16 in GLA layers, 1 = strong). */
    enum Gates { NONE, SCALAR, VECTOR }

    record Case(String name, AttentionOp op, int batch, int t, int heads, int dk, int dv, DType dtype, boolean strided,
                Gates gates, double normalizer, boolean h0, boolean positive, double gateBias) {
        Case(String name, AttentionOp op, int batch, int t, int heads, int dk, int dv, DType dtype, boolean strided,
             Gates gates, double normalizer, boolean h0, boolean positive) {
            this(name, op, batch, t, heads, dk, dv, dtype, strided, gates, normalizer, h0, positive, 0);
        }

        @Override
        public String toString() {
            return name + " " + dtype;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> cs = new ArrayList<>();
        cs.add(new Case("plain, h0, strided", Attention.linear().build(), 2, 150, 2, 16, 24, DType.F32, true, Gates.NONE, 1, true, false));
        cs.add(new Case("normalized, z0", Attention.linear().normalize(true).build(), 1, 130, 2, 8, 8, DType.F32, false, Gates.NONE, 1, true, true));
        cs.add(new Case("normalized with decay", Attention.linear().normalize(true).decay(-0.05f, -0.3f).build(), 2, 100, 2, 8, 12, DType.F32, false, Gates.NONE, 1, true, true));
        cs.add(new Case("per-head decay, reverse", Attention.linear().decay(-0.1f, -0.7f).reverse(true).build(), 1, 140, 2, 16, 16, DType.F32, false, Gates.NONE, 1, true, false));
        cs.add(new Case("cuSeqlens with empty sequence", Attention.linear().cuSeqlens(0, 5, 70, 70, 200).build(), 1, 200, 2, 12, 20, DType.F32, false, Gates.NONE, 1, true, false));
        cs.add(new Case("scalar gate", Attention.gated().build(), 2, 137, 2, 32, 32, DType.F32, false, Gates.SCALAR, 16, true, false));
        cs.add(new Case("scalar gate, strong", Attention.gated().build(), 1, 150, 2, 16, 16, DType.F32, false, Gates.SCALAR, 1, false, false));
        cs.add(new Case("GLA, h0", Attention.gated().build(), 1, 200, 2, 32, 48, DType.F32, true, Gates.VECTOR, 16, true, false));
        cs.add(new Case("GLA, strong gates", Attention.gated().build(), 1, 160, 2, 24, 16, DType.F32, false, Gates.VECTOR, 1, true, false));
        // Pre-activations near -8: about -8 per token, so 16 tokens span ~180 in log2 units (the exact diagonal path).
        cs.add(new Case("GLA, very strong gates", Attention.gated().build(), 1, 100, 2, 16, 16, DType.F32, false, Gates.VECTOR, 1, true, false, -8));
        cs.add(new Case("scalar gate, very strong", Attention.gated().build(), 1, 100, 2, 16, 16, DType.F32, false, Gates.SCALAR, 1, true, false, -8));
        cs.add(new Case("GLA, reverse, cuSeqlens", Attention.gated().reverse(true).cuSeqlens(0, 33, 33, 180).build(), 1, 180, 3, 16, 8, DType.F32, false, Gates.VECTOR, 4, true, false));
        cs.add(new Case("plain D=128", Attention.linear().build(), 1, 130, 1, 128, 128, DType.F32, false, Gates.NONE, 1, false, false));
        // Head groups (staged chunk rows of adjacent heads): 5 heads split unevenly at 1-3 threads, and capped at 4
        // heads of D = 128; a strided one stages head by head.
        cs.add(new Case("normalized decay D=128, 5 heads", Attention.linear().normalize(true).decay(-0.01f, -0.02f, -0.05f, -0.1f, -0.3f).build(),
                1, 100, 5, 128, 128, DType.F32, false, Gates.NONE, 1, true, true));
        cs.add(new Case("GLA 5 heads, strided", Attention.gated().build(), 1, 90, 5, 32, 16, DType.F32, true, Gates.VECTOR, 16, true, false));
        cs.add(new Case("scalar gate 5 heads, reverse", Attention.gated().reverse(true).build(), 1, 77, 5, 16, 24, DType.F32, false, Gates.SCALAR, 4, false, false));
        // Full 64-token chunks at bench-like widths: whole register panels, v padded (80 = 5 x 16) in the GLA one.
        cs.add(new Case("GLA D=64, dv=80", Attention.gated().build(), 1, 150, 2, 64, 80, DType.F32, false, Gates.VECTOR, 16, true, false));
        cs.add(new Case("normalized with decay D=64", Attention.linear().normalize(true).decay(-0.02f, -0.2f).build(), 1, 140, 2, 64, 64, DType.F32, false, Gates.NONE, 1, true, true));
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            cs.add(new Case("GLA half storage", Attention.gated().build(), 1, 100, 2, 32, 32, t, false, Gates.VECTOR, 16, true, false));
            cs.add(new Case("plain half storage", Attention.linear().build(), 1, 90, 2, 16, 16, t, true, Gates.NONE, 1, false, false));
        }
        List<Arguments> args = new ArrayList<>();
        for (VectorizationProvider p : TestData.providers()) {
            for (Case c : cs) args.add(Arguments.of(c, p));
        }
        return args.stream();
    }

    private static Tensor positive(Tensor t) {
        float[] x = t.toFloatArray();
        for (int i = 0; i < x.length; i++) x[i] = Math.abs(x[i]) + 0.05f;
        return Tensor.fromFloats(t.dtype(), x, t.shape());
    }

    @ParameterizedTest(name = "{0} / {1}")
    @MethodSource("cases")
    void matchesRecurrenceAndThreadCounts(Case c, VectorizationProvider provider) {
        Tensor q = TestData.tensor(RND, c.dtype, c.strided, 1, c.batch, c.t, c.heads, c.dk);
        Tensor k = TestData.tensor(RND, c.dtype, c.strided, 1, c.batch, c.t, c.heads, c.dk);
        Tensor v = TestData.tensor(RND, c.dtype, c.strided, 1, c.batch, c.t, c.heads, c.dv);
        if (c.positive) {
            q = positive(q);
            k = positive(k);
        }
        int[] cu = c.op instanceof LinearAttention ? ((LinearAttention) c.op).cuSeqlens() : ((GatedAttention) c.op).cuSeqlens();
        int seqs = cu == null ? c.batch : cu.length - 1;
        Tensor h0 = c.h0 ? TestData.tensor(RND, DType.F32, false, 1, seqs, c.heads, c.dk, c.dv) : null;
        Tensor z0 = c.positive ? positive(TestData.tensor(RND, DType.F32, false, 1, seqs, c.heads, c.dk)) : null;
        Tensor g = null;
        if (c.gates != Gates.NONE) {
            long[] shape = c.gates == Gates.VECTOR ? new long[] {c.batch, c.t, c.heads, c.dk} : new long[] {c.batch, c.t, c.heads};
            Tensor x = TestData.tensor(RND, DType.F32, false, 4, shape);
            float[] gx = x.toFloatArray();
            for (int i = 0; i < gx.length; i++) gx[i] = (float) (-Math.log1p(Math.exp(-(gx[i] + c.gateBias))) / c.normalizer);
            g = Tensor.of(gx, shape);
        }
        AttentionCall call = AttentionCall.builder(c.op, q, k, v).gate(g).initialState(h0).initialKeySum(z0).build();
        assertThat(new CpuBackend(1, provider).supports(call).supported()).isTrue();

        float[] gv = g == null ? null : g.toFloatArray();
        float[] decay = c.op instanceof LinearAttention ? ((LinearAttention) c.op).decay() : null;
        int heads = c.heads, t = c.t, dk = c.dk;
        NaiveLinear.Decay dec = gv != null
                ? (c.gates == Gates.VECTOR ? (b, pos, h, d) -> gv[((b * t + pos) * heads + h) * dk + d]
                                           : (b, pos, h, d) -> gv[(b * t + pos) * heads + h])
                : decay != null ? (b, pos, h, d) -> decay[h] : null;
        boolean normalize = c.op instanceof LinearAttention && ((LinearAttention) c.op).normalize();
        boolean reverse = c.op instanceof LinearAttention ? ((LinearAttention) c.op).reverse() : ((GatedAttention) c.op).reverse();
        NaiveLinear want = NaiveLinear.run(q, k, v, dec, c.op.scale(c.dk), normalize, reverse, cu, h0, z0);
        AttentionResult ref = new ReferenceBackend().forward(call);

        AttentionResult one = new CpuBackend(1, provider).forward(call);
        assertThat(one.output().dtype()).isEqualTo(c.dtype);
        double tol = TestData.tolerance(c.dtype);
        assertThat(TestData.relativeL2(one.output().toFloatArray(), ref.output().toFloatArray())).isLessThan(tol);
        assertThat(TestData.relativeL2(one.output().toFloatArray(), want.out)).isLessThan(tol);
        assertThat(one.finalState().shape()).containsExactly(seqs, c.heads, c.dk, c.dv);
        assertThat(TestData.relativeL2(one.finalState().toFloatArray(), ref.finalState().toFloatArray())).isLessThan(2e-4);
        assertThat(TestData.relativeL2(one.finalState().toFloatArray(), want.state)).isLessThan(2e-4);
        if (normalize) {
            assertThat(TestData.relativeL2(one.finalKeySum().toFloatArray(), ref.finalKeySum().toFloatArray())).isLessThan(2e-4);
        } else {
            assertThat(one.finalKeySum()).isNull();
        }
        for (int threads : new int[] {2, 3}) {
            AttentionResult r = new CpuBackend(threads, provider).forward(call);
            assertThat(r.output().toFloatArray()).as("output with %d threads", threads).isEqualTo(one.output().toFloatArray());
            assertThat(r.finalState().toFloatArray()).as("state with %d threads", threads).isEqualTo(one.finalState().toFloatArray());
        }
    }
}
