package org.attention4j.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.attention4j.Attention;
import org.attention4j.Explanation;
import org.attention4j.SoftmaxAttention;
import org.attention4j.Tensor;
import org.attention4j.VerifyPolicy;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionCall;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DispatcherTest {
    private final List<LogRecord> warnings = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override public void publish(LogRecord r) { if (r.getLevel().intValue() >= Level.WARNING.intValue()) warnings.add(r); }
        @Override public void flush() { }
        @Override public void close() { }
    };
    private Dispatcher previous;
    private final SplittableRandom rnd = new SplittableRandom();

    @BeforeEach
    void setUp() {
        Logger.getLogger("org.attention4j").addHandler(capture);
        System.clearProperty(Dispatcher.BACKEND_PROPERTY);
        System.clearProperty(Dispatcher.VERIFY_PROPERTY);
    }

    @AfterEach
    void tearDown() {
        Logger.getLogger("org.attention4j").removeHandler(capture);
        System.clearProperty(Dispatcher.BACKEND_PROPERTY);
        System.clearProperty(Dispatcher.VERIFY_PROPERTY);
        if (previous != null) Dispatcher.install(previous);
    }

    private void use(AttentionBackend... backends) {
        Dispatcher prev = Dispatcher.install(new Dispatcher(List.of(backends)));
        if (previous == null) previous = prev;
    }

    private Tensor random(long... shape) {
        int n = 1;
        for (long s : shape) n *= s;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return Tensor.of(a, shape);
    }

    private static String messages(List<LogRecord> rs) {
        StringBuilder sb = new StringBuilder();
        for (LogRecord r : rs) sb.append(java.text.MessageFormat.format(r.getMessage(), r.getParameters())).append('\n');
        return sb.toString();
    }

    @Test
    void wrongBackendIsCaughtTheUserGetsTheRightAnswerAndAWarning() {
        FakeBackends.Oracle oracle = new FakeBackends.Oracle();
        FakeBackends.Wrong wrong = new FakeBackends.Wrong();
        use(wrong, oracle);
        Tensor q = random(2, 9, 4, 8), k = random(2, 11, 2, 8), v = random(2, 11, 2, 5);
        SoftmaxAttention op = Attention.softmax().causal(true).build();
        AttentionCall call = AttentionCall.builder(op, q, k, v).build();
        Tensor want = FakeBackends.naiveSoftmax(call, null);

        Tensor got = op.forward(q, k, v);
        assertThat(got.toFloatArray()).containsExactly(want.toFloatArray());
        assertThat(messages(warnings)).contains("wrong disagrees with the reference").contains("untrusted");

        // Second call: the wrong backend is not even run for this key.
        int before = wrong.calls.get();
        assertThat(op.forward(q, k, v).toFloatArray()).containsExactly(want.toFloatArray());
        assertThat(wrong.calls.get()).isEqualTo(before);
        Explanation e = Attention.explain(op, q, k, v);
        assertThat(e.chosen()).isEqualTo("reference");
        assertThat(e.entries().get(0).verification()).startsWith("untrusted: output relative L2 error");
    }

    @Test
    void correctBackendIsVerifiedOnceThenTrusted() {
        FakeBackends.Oracle oracle = new FakeBackends.Oracle();
        FakeBackends.Fast fast = new FakeBackends.Fast("cpu", 200);
        use(fast, oracle);
        SoftmaxAttention op = Attention.softmax().build();
        Tensor q = random(1, 20, 2, 8), k = random(1, 20, 2, 8), v = random(1, 20, 2, 8);
        assertThat(Attention.explain(op, q, k, v).entries().get(0).verification()).isEqualTo("not yet verified");
        op.forward(q, k, v);
        op.forward(random(1, 20, 2, 8), k, v);
        assertThat(fast.calls.get()).isEqualTo(2);
        assertThat(oracle.calls.get()).isEqualTo(1); // one verification, sampled rows only
        assertThat(warnings).isEmpty();
        Explanation e = Attention.explain(op, q, k, v);
        assertThat(e.chosen()).isEqualTo("cpu");
        assertThat(e.entries().get(0).verification()).isEqualTo("trusted");
        assertThat(e.entries().get(1).verification()).isEqualTo("oracle");
        // A different shape class (GQA ratio) is verified again.
        op.forward(random(1, 20, 4, 8), k, v);
        assertThat(oracle.calls.get()).isEqualTo(2);
    }

    @Test
    void policiesAlwaysAndOff() {
        FakeBackends.Oracle oracle = new FakeBackends.Oracle();
        FakeBackends.Wrong wrong = new FakeBackends.Wrong();
        use(wrong, oracle);
        Tensor q = random(1, 4, 1, 4);
        // OFF: the wrong backend is believed (that is what OFF means).
        SoftmaxAttention off = Attention.softmax().verify(VerifyPolicy.OFF).build();
        Tensor want = FakeBackends.naiveSoftmax(AttentionCall.builder(off, q, q, q).build(), null);
        assertThat(off.forward(q, q, q).get(0, 0, 0, 0)).isEqualTo(want.get(0, 0, 0, 0) + 0.5f);
        assertThat(oracle.calls.get()).isZero();
        // The property applies to ops without their own policy; an op's own setting wins.
        System.setProperty(Dispatcher.VERIFY_PROPERTY, "off");
        assertThat(Attention.softmax().build().forward(q, q, q).get(0, 0, 0, 0)).isEqualTo(want.get(0, 0, 0, 0) + 0.5f);
        assertThat(Attention.softmax().verify(VerifyPolicy.ALWAYS).build().forward(q, q, q).get(0, 0, 0, 0))
                .isEqualTo(want.get(0, 0, 0, 0));
        System.setProperty(Dispatcher.VERIFY_PROPERTY, "sometimes");
        assertThatThrownBy(() -> Attention.softmax().build().forward(q, q, q))
                .hasMessage("attention4j.verify: expected one of on_first_use, always, off, got sometimes");
    }

    @Test
    void alwaysVerifiesEveryCall() {
        FakeBackends.Oracle oracle = new FakeBackends.Oracle();
        use(new FakeBackends.Fast("cpu", 200), oracle);
        SoftmaxAttention op = Attention.softmax().verify(VerifyPolicy.ALWAYS).build();
        Tensor q = random(1, 3, 1, 4);
        op.forward(q, q, q);
        op.forward(q, q, q);
        op.forward(q, q, q);
        assertThat(oracle.calls.get()).isEqualTo(3);
    }

    @Test
    void failingAndUnavailableBackendsFallBack() {
        FakeBackends.Oracle oracle = new FakeBackends.Oracle();
        FakeBackends.Throwing throwing = new FakeBackends.Throwing();
        use(new FakeBackends.Unavailable(), throwing, oracle);
        Tensor q = random(1, 5, 2, 4);
        SoftmaxAttention op = Attention.softmax().build();
        Tensor o = op.forward(q, q, q);
        assertThat(o.toFloatArray()).containsExactly(FakeBackends.naiveSoftmax(AttentionCall.builder(op, q, q, q).build(), null).toFloatArray());
        assertThat(messages(warnings)).contains("throwing failed").contains("simulated native failure");
        Explanation e = Attention.explain(op, q, q, q);
        assertThat(e.entries()).extracting(Explanation.Entry::backend).containsExactly("gpu", "throwing", "reference");
        assertThat(e.entries().get(0).reason()).isEqualTo("unavailable: no CUDA device");
        assertThat(e.entries().get(1).verification()).contains("failed: java.lang.IllegalStateException");
        assertThat(e.toString()).contains("-> reference");
    }

    @Test
    void backendProperty() {
        FakeBackends.Oracle oracle = new FakeBackends.Oracle();
        FakeBackends.Fast fast = new FakeBackends.Fast("cpu", 200);
        use(new FakeBackends.Unavailable(), fast, oracle);
        Tensor q = random(1, 5, 2, 4);
        SoftmaxAttention op = Attention.softmax().build();
        System.setProperty(Dispatcher.BACKEND_PROPERTY, "reference");
        op.forward(q, q, q);
        assertThat(fast.calls.get()).isZero();
        assertThat(Attention.lastBackend()).isEqualTo("reference");
        assertThat(Attention.explain(op, q, q, q).chosen()).isEqualTo("reference");
        System.setProperty(Dispatcher.BACKEND_PROPERTY, "CPU");
        op.forward(q, q, q);
        assertThat(fast.calls.get()).isEqualTo(1);
        assertThat(Attention.lastBackend()).isEqualTo("cpu");
        System.setProperty(Dispatcher.BACKEND_PROPERTY, "gpu");
        assertThatThrownBy(() -> op.forward(q, q, q)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessage("attention4j.backend=gpu is unavailable: no CUDA device");
        System.setProperty(Dispatcher.BACKEND_PROPERTY, "tpu");
        assertThatThrownBy(() -> op.forward(q, q, q)).hasMessage("attention4j.backend=tpu names no backend on the class path; known: [gpu, cpu, reference]");
    }

    @Test
    void noBackendSupportsTheCall() {
        use(new FakeBackends.Oracle());
        Tensor q = random(1, 5, 1, 4);
        assertThatThrownBy(() -> Attention.slidingWindow(1, 1).build().forward(q, q, q))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("no backend supports SLIDING_WINDOW").hasMessageContaining("reference: only softmax in this test oracle");
    }
}
