package org.attention4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ServiceLoader;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.attention4j.Attention;
import org.attention4j.DType;
import org.attention4j.GatedAttention;
import org.attention4j.Tensor;
import org.attention4j.VerifyPolicy;
import org.attention4j.cpu.vectorization.VectorizationProvider;
import org.attention4j.internal.Dispatcher;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionCall;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The backend as users meet it: service registration, the facade with verification, declines, settings. */
class CpuBackendTest {
    private static final SplittableRandom RND = TestData.random("CpuBackendTest");
    private static Dispatcher previous;

    @BeforeAll
    static void freshDispatcher() {
        previous = Dispatcher.install(null);
    }

    @AfterAll
    static void restore() {
        Dispatcher.install(previous);
    }

    @Test
    void registeredAsAService() {
        AttentionBackend cpu = null;
        for (AttentionBackend b : ServiceLoader.load(AttentionBackend.class)) {
            if (b.name().equals("cpu")) cpu = b;
        }
        assertThat(cpu).isInstanceOf(CpuBackend.class);
        assertThat(cpu.priority()).isEqualTo(200);
        assertThat(cpu.availability().supported()).isTrue();
    }

    private static Tensor rand(long... shape) {
        return TestData.tensor(RND, DType.F32, false, 1, shape);
    }

    /** Every family with a reference runs on the CPU backend through the facade and passes verification on each call. */
    @Test
    void facadeChoosesCpuAndVerificationPasses() {
        Tensor q = rand(2, 70, 4, 16), k = rand(2, 70, 2, 16), v = rand(2, 70, 2, 16);
        check(() -> Attention.softmax().causal(true).verify(VerifyPolicy.ALWAYS).build().forward(q, k, v));
        check(() -> Attention.slidingWindow(9, 3).verify(VerifyPolicy.ALWAYS).build().forwardWithLse(q, k, v).output());
        Tensor x = rand(1, 9, 11, 2, 16);
        check(() -> Attention.neighborhood(3, 5).dilation(2, 1).verify(VerifyPolicy.ALWAYS).build().forward(x, x, x));
        Tensor lq = rand(1, 90, 2, 16), lk = rand(1, 90, 2, 16), lv = rand(1, 90, 2, 16);
        check(() -> Attention.linear().verify(VerifyPolicy.ALWAYS).build().forward(lq, lk, lv).output());
        float[] g = new float[90 * 2 * 16];
        for (int i = 0; i < g.length; i++) g[i] = (float) -RND.nextDouble();
        Tensor gt = Tensor.of(g, 1, 90, 2, 16);
        check(() -> Attention.gated().verify(VerifyPolicy.ALWAYS).build().forward(lq, lk, lv, gt).output());
        check(() -> Attention.localLinear().ridgeLambda(0.5).verify(VerifyPolicy.ALWAYS).build().forward(lq, lk, lv));
        Tensor rq = rand(1, 520, 2, 16);
        check(() -> Attention.radial(4, 128).blockSize(64).verify(VerifyPolicy.ALWAYS).build().forward(rq, rq, rq, new int[] {500}));
    }

    private static void check(Supplier<Tensor> run) {
        Tensor out = run.get();
        assertThat(out).isNotNull();
        assertThat(Attention.lastBackend()).isEqualTo("cpu");
    }

    /** Positive log gates are declined with a reason, and the facade falls back to the reference. */
    @Test
    void declinesPositiveGatesAndTheReferenceAnswers() {
        Tensor q = rand(1, 20, 1, 8);
        float[] g = new float[20];
        g[7] = 0.5f;
        Tensor gt = Tensor.of(g, 1, 20, 1);
        GatedAttention op = Attention.gated().build();
        assertThat(new CpuBackend().supports(AttentionCall.builder(op, q, q, q).gate(gt).build()).reason()).contains("positive");
        op.forward(q, q, q, gt);
        assertThat(Attention.lastBackend()).isEqualTo("reference");
    }

    /** The in-place scan of contiguous gates reads exactly the view: its last element, nothing past either end. */
    @Test
    void scansContiguousGateViewsInPlace() {
        Tensor q = rand(1, 20, 2, 8);
        float[] g = new float[22 * 2 * 8];
        java.util.Arrays.fill(g, -0.1f);
        g[0] = 1f;
        g[g.length - 1] = 1f;
        GatedAttention op = Attention.gated().build();
        // A contiguous view of tokens [1, 21) of [1, 22, 2, 8]; the positive gates lie just outside it.
        Tensor inner = Tensor.of(g.clone(), 1, 22, 2, 8).slice(1, 1, 21);
        assertThat(inner.isContiguous()).isTrue();
        assertThat(new CpuBackend().supports(AttentionCall.builder(op, q, q, q).gate(inner).build()).supported()).isTrue();
        float[] last = g.clone();
        last[21 * 16 - 1] = 1e-3f;
        Tensor bad = Tensor.of(last, 1, 22, 2, 8).slice(1, 1, 21);
        assertThat(new CpuBackend().supports(AttentionCall.builder(op, q, q, q).gate(bad).build()).reason()).contains("positive");
    }

    /**
     * Gates longer than one scan block are scanned block by block: a positive gate in any block (first, middle, the
     * partial last one, at block edges) is found, and all-negative gates are accepted, on the vector and scalar paths.
     */
    @Test
    void declinesPositiveVectorGatesInAnyScanBlock() {
        int t = 1100, h = 2, k = 64; // 140800 gates: two full blocks of 65536 and a partial one
        Tensor q = rand(1, t, h, k);
        GatedAttention op = Attention.gated().build();
        float[] g = new float[t * h * k];
        java.util.Arrays.fill(g, -0.25f);
        for (VectorizationProvider provider : new VectorizationProvider[] {VectorizationProvider.getInstance(), VectorizationProvider.scalar()}) {
            CpuBackend cpu = new CpuBackend(1, provider);
            assertThat(cpu.supports(AttentionCall.builder(op, q, q, q).gate(Tensor.of(g.clone(), 1, t, h, k)).build()).supported()).isTrue();
            for (int at : new int[] {0, 65535, 65536, 70001, g.length - 1}) {
                float[] bad = g.clone();
                bad[at] = 1e-3f;
                assertThat(cpu.supports(AttentionCall.builder(op, q, q, q).gate(Tensor.of(bad, 1, t, h, k)).build()).reason())
                        .as("positive gate at %d, %s", at, provider).contains("positive");
            }
        }
    }

    /** The gate scan reads every element of a strided per-key gate tensor, the last one included. */
    @Test
    void declinesPositiveVectorGatesInAStridedView() {
        Tensor q = rand(1, 20, 2, 8);
        float[] g = new float[20 * 2 * 8];
        java.util.Arrays.fill(g, -0.1f);
        GatedAttention op = Attention.gated().build();
        // [B, H, T, K] storage seen as [B, T, H, K].
        Tensor ok = Tensor.of(g.clone(), 1, 2, 20, 8).transpose(1, 2);
        assertThat(new CpuBackend().supports(AttentionCall.builder(op, q, q, q).gate(ok).build()).supported()).isTrue();
        g[g.length - 1] = 1e-3f;
        Tensor bad = Tensor.of(g, 1, 2, 20, 8).transpose(1, 2);
        assertThat(new CpuBackend().supports(AttentionCall.builder(op, q, q, q).gate(bad).build()).reason()).contains("positive");
    }

    @Test
    void providerFollowsTheVectorProperty() {
        VectorizationProvider p = VectorizationProvider.getInstance();
        boolean disabled = "false".equals(System.getProperty(VectorizationProvider.VECTOR_PROPERTY));
        boolean moduleResolved = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        if (disabled || !moduleResolved) {
            assertThat(p.tileOps().lanes()).isEqualTo(1);
            assertThat(p.reason()).contains(disabled ? VectorizationProvider.VECTOR_PROPERTY : "jdk.incubator.vector");
        } else {
            assertThat(p.tileOps().lanes()).isGreaterThanOrEqualTo(8);
        }
        assertThat(VectorizationProvider.scalar().tileOps().lanes()).isEqualTo(1);
    }

    @Test
    void threadCountFromProperty() {
        String old = System.getProperty(CpuThreads.THREADS_PROPERTY);
        try {
            System.setProperty(CpuThreads.THREADS_PROPERTY, "3");
            assertThat(CpuThreads.defaultThreads()).isEqualTo(3);
            assertThat(new CpuBackend().threads()).isEqualTo(3);
            System.setProperty(CpuThreads.THREADS_PROPERTY, "zero");
            assertThat(CpuThreads.defaultThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
        } finally {
            if (old == null) System.clearProperty(CpuThreads.THREADS_PROPERTY);
            else System.setProperty(CpuThreads.THREADS_PROPERTY, old);
        }
    }

    /** A failing work item surfaces as the caller's exception, whichever thread ran it. */
    @Test
    void workerFailurePropagates() {
        CpuThreads pool = new CpuThreads(3);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> pool.forEach(50, () -> null, (i, s) -> {
            if (i == 37) throw new IllegalStateException("item 37");
        })).hasMessage("item 37");
    }
}
