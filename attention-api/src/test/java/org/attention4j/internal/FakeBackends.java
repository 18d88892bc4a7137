package org.attention4j.internal;

import java.util.concurrent.atomic.AtomicInteger;
import org.attention4j.Family;
import org.attention4j.MaskedSoftmaxOp;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/** Test backends: a naive softmax oracle, a correct fast one, a deliberately wrong one, and failing ones. */
final class FakeBackends {
    private FakeBackends() {
    }

    /** Plain softmax attention, no masks beyond causal, written directly from spec 1.1 (rank-4 inputs). */
    static Tensor naiveSoftmax(AttentionCall call, boolean[] rows) {
        MaskedSoftmaxOp op = (MaskedSoftmaxOp) call.op();
        Tensor q = call.q(), k = call.k(), v = call.v();
        int b = q.dim(0), sq = q.dim(1), h = q.dim(2), d = q.dim(3), sk = k.dim(1), dv = v.dim(3);
        int group = h / k.dim(2);
        Tensor o = Tensor.zeros(q.dtype(), b, sq, h, dv);
        double scale = op.scale(d);
        for (int bb = 0; bb < b; bb++)
            for (int i = 0; i < sq; i++) {
                if (rows != null && !rows[i]) continue;
                for (int hh = 0; hh < h; hh++) {
                    double[] s = new double[sk];
                    double m = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < sk; j++) {
                        boolean visible = !op.causal() || j <= i + sk - sq;
                        double dot = 0;
                        for (int x = 0; x < d; x++) dot += (double) q.get(bb, i, hh, x) * k.get(bb, j, hh / group, x);
                        s[j] = visible ? scale * dot : Double.NEGATIVE_INFINITY;
                        m = Math.max(m, s[j]);
                    }
                    if (m == Double.NEGATIVE_INFINITY) continue;
                    double sum = 0;
                    for (int j = 0; j < sk; j++) sum += Math.exp(s[j] - m);
                    for (int y = 0; y < dv; y++) {
                        double acc = 0;
                        for (int j = 0; j < sk; j++) acc += Math.exp(s[j] - m) / sum * v.get(bb, j, hh / group, y);
                        o.set((float) acc, bb, i, hh, y);
                    }
                }
            }
        return o;
    }

    static class Oracle implements AttentionBackend {
        final AtomicInteger calls = new AtomicInteger();
        @Override public String name() { return "reference"; }
        @Override public int priority() { return 0; }
        @Override public boolean isReference() { return true; }

        @Override
        public Support supports(AttentionCall call) {
            return call.family() == Family.SOFTMAX ? Support.yes() : Support.no("only softmax in this test oracle");
        }

        @Override
        public AttentionResult forward(AttentionCall call) {
            calls.incrementAndGet();
            return AttentionResult.of(naiveSoftmax(call, call.queryRows()));
        }
    }

    /** Correct results under another name and priority. */
    static class Fast extends Oracle {
        private final String name;
        private final int priority;

        Fast(String name, int priority) {
            this.name = name;
            this.priority = priority;
        }

        @Override public String name() { return name; }
        @Override public int priority() { return priority; }
        @Override public boolean isReference() { return false; }

        @Override
        public AttentionResult forward(AttentionCall call) {
            calls.incrementAndGet();
            return AttentionResult.of(naiveSoftmax(call, null));
        }
    }

    /** Adds 0.5 to every output element: plausible-looking and wrong. */
    static class Wrong extends Fast {
        Wrong() {
            super("wrong", 300);
        }

        @Override
        public AttentionResult forward(AttentionCall call) {
            calls.incrementAndGet();
            Tensor o = naiveSoftmax(call, null);
            float[] x = o.toFloatArray();
            for (int i = 0; i < x.length; i++) x[i] += 0.5f;
            return AttentionResult.of(Tensor.of(x, o.shape()));
        }
    }

    static class Throwing extends Fast {
        Throwing() {
            super("throwing", 250);
        }

        @Override
        public AttentionResult forward(AttentionCall call) {
            calls.incrementAndGet();
            throw new IllegalStateException("simulated native failure");
        }
    }

    static class Unavailable extends Fast {
        Unavailable() {
            super("gpu", 400);
        }

        @Override
        public Support availability() {
            return Support.no("no CUDA device");
        }
    }
}
