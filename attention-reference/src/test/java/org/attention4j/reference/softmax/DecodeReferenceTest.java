package org.attention4j.reference.softmax;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.attention4j.reference.Close.TOL;

import org.attention4j.Attention;
import org.attention4j.AttentionOutput;
import org.attention4j.DType;
import org.attention4j.KvCache;
import org.attention4j.SlidingWindowAttention;
import org.attention4j.SlidingWindowCache;
import org.attention4j.SoftmaxAttention;
import org.attention4j.SoftmaxFamilyOp;
import org.attention4j.Tensor;
import org.attention4j.reference.Close;
import org.attention4j.reference.Inputs;
import org.attention4j.reference.Naive;
import org.junit.jupiter.api.Test;

/**
 * Decode forms of the softmax family (spec 1.5, 2.5) and the LSE merge (spec 0.4): a KV cache, a ring cache
 * and split key sets must give what one forward pass over the same keys gives, checked against the
 * facade's forward on the same prefix and against the brute-force formula.
 */
class DecodeReferenceTest {
    private static final int B = 2, H = 4, HKV = 2, D = 8, DV = 6;

    /** Rows {@code first..} of {@code want} against a {@code [B, n, H, Dv]} output and its {@code [B, H, n]} LSE. */
    private static void assertRows(AttentionOutput got, Naive.Result want, int first) {
        Tensor o = got.output();
        int n = o.dim(1);
        for (int b = 0; b < o.dim(0); b++) {
            for (int i = 0; i < n; i++) {
                for (int h = 0; h < o.dim(2); h++) {
                    double wl = want.lse(b, h, first + i);
                    float gl = got.lse().get(b, h, i);
                    if (Double.isInfinite(wl)) {
                        assertThat((double) gl).as("lse b=%d row=%d h=%d", b, first + i, h).isEqualTo(wl);
                    } else {
                        assertThat(Math.abs(gl - wl)).as("lse b=%d row=%d h=%d", b, first + i, h).isLessThanOrEqualTo(TOL * Math.max(1, Math.abs(wl)));
                    }
                    for (int d = 0; d < o.dim(3); d++) {
                        double w = want.out(b, first + i, h, d);
                        assertThat(Math.abs(o.get(b, i, h, d) - w)).as("out b=%d row=%d h=%d d=%d", b, first + i, h, d)
                                .isLessThanOrEqualTo(TOL * Math.max(1, Math.abs(w)));
                    }
                }
            }
        }
    }

    /** A one-row decode result against row {@code t} of a forward over the prefix. */
    private static void assertSameAsRow(AttentionOutput step, AttentionOutput prefix, int t) {
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                assertThat(step.lse().get(b, h, 0)).as("lse b=%d h=%d", b, h).isCloseTo(prefix.lse().get(b, h, t), offset(1e-5f));
                for (int d = 0; d < DV; d++) {
                    assertThat(step.output().get(b, 0, h, d)).as("out b=%d h=%d d=%d", b, h, d)
                            .isCloseTo(prefix.output().get(b, t, h, d), offset(1e-6f));
                }
            }
        }
    }

    private static Tensor rows(Tensor t, int from, int to) {
        return t.slice(1, from, to);
    }

    @Test
    void tokenByTokenDecodeEqualsTheForwardOnTheSamePrefix() {
        int len = 10;
        Tensor q = Inputs.random(1, B, len, H, D), k = Inputs.random(2, B, len, HKV, D), v = Inputs.random(3, B, len, HKV, DV);
        float[] slopes = {0.3f, 0.2f, 0.1f, 0.05f};
        for (SoftmaxFamilyOp op : new SoftmaxFamilyOp[] {
                Attention.softmax().causal(true).scale(0.4).build(),
                Attention.softmax().causal(true).scale(0.4).alibiSlopes(slopes).build(),
                Attention.slidingWindow(3, 0).scale(0.4).build()}) {
            boolean alibi = op.alibiSlopes() != null;
            int left = op.windowLeft();
            Naive.Result want = Naive.attention(q, k, v, 0.4, 0,
                    (b, h, i, j) -> j <= i && (left < 0 || j >= i - left),
                    alibi ? (b, h, i, j) -> slopes[h] * j : Naive.NO_BIAS);
            KvCache cache = op.newKvCache(B, 16, HKV, D, DV, DType.F32);
            for (int t = 0; t < len; t++) {
                cache.append(rows(k, t, t + 1), rows(v, t, t + 1));
                AttentionOutput step = cache.decodeWithLse(rows(q, t, t + 1));
                assertRows(step, want, t);
                AttentionOutput prefix = op.forwardWithLse(rows(q, 0, t + 1), rows(k, 0, t + 1), rows(v, 0, t + 1));
                assertSameAsRow(step, prefix, t);
            }
            assertThat(cache.lengths()).containsExactly(len, len);
        }
    }

    @Test
    void chunkedDecodeAlignsSeveralNewQueriesBottomRight() {
        int len = 10;
        Tensor q = Inputs.random(4, B, len, H, D), k = Inputs.random(5, B, len, HKV, D), v = Inputs.random(6, B, len, HKV, DV);
        for (SoftmaxFamilyOp op : new SoftmaxFamilyOp[] {
                Attention.softmax().causal(true).build(), Attention.slidingWindow(2, 0).build()}) {
            int left = op.windowLeft();
            Naive.Result want = Naive.attention(q, k, v, 1 / Math.sqrt(D), (b, h, i, j) -> j <= i && (left < 0 || j >= i - left));
            KvCache cache = op.newKvCache(B, len, HKV, D, DV, DType.F32);
            int at = 0;
            for (int chunk : new int[] {3, 1, 4, 2}) {
                cache.append(rows(k, at, at + chunk), rows(v, at, at + chunk));
                assertRows(cache.decodeWithLse(rows(q, at, at + chunk)), want, at);
                at += chunk;
            }
        }
    }

    @Test
    void perBatchLengthsSetOnAFilledCache() {
        int cap = 12;
        SoftmaxAttention op = Attention.softmax().causal(true).build();
        KvCache cache = op.newKvCache(B, cap, HKV, D, DV, DType.F32);
        Tensor keys = Inputs.random(7, B, cap, HKV, D), values = Inputs.random(8, B, cap, HKV, DV);
        cache.keys().copyFrom(keys.toFloatArray());
        cache.values().copyFrom(values.toFloatArray());
        int[] lengths = {5, 9};
        cache.setLengths(lengths);
        Tensor q = Inputs.random(9, B, 2, H, D);
        AttentionOutput got = cache.decodeWithLse(q);
        for (int b = 0; b < B; b++) {
            int sk = lengths[b];
            Tensor qb = q.slice(0, b, b + 1);
            Tensor kb = keys.slice(0, b, b + 1).slice(1, 0, sk), vb = values.slice(0, b, b + 1).slice(1, 0, sk);
            Naive.Result want = Naive.attention(qb, kb, vb, 1 / Math.sqrt(D), SoftmaxReferenceTest.causal(2, sk));
            assertRows(new AttentionOutput(got.output().slice(0, b, b + 1), got.lse().slice(0, b, b + 1)), want, 0);
            Close.output(op.forward(qb, kb, vb), want, TOL);
        }
        // Appending then lands at each batch element's own length.
        Tensor kNew = Inputs.random(10, B, 2, HKV, D), vNew = Inputs.random(11, B, 2, HKV, DV);
        Tensor o = cache.decode(q, kNew, vNew);
        assertThat(cache.lengths()).containsExactly(7, 11);
        for (int b = 0; b < B; b++) {
            int sk = lengths[b];
            float[] kAll = new float[(sk + 2) * HKV * D], vAll = new float[(sk + 2) * HKV * DV];
            System.arraycopy(keys.slice(0, b, b + 1).slice(1, 0, sk).toFloatArray(), 0, kAll, 0, sk * HKV * D);
            System.arraycopy(kNew.slice(0, b, b + 1).toFloatArray(), 0, kAll, sk * HKV * D, 2 * HKV * D);
            System.arraycopy(values.slice(0, b, b + 1).slice(1, 0, sk).toFloatArray(), 0, vAll, 0, sk * HKV * DV);
            System.arraycopy(vNew.slice(0, b, b + 1).toFloatArray(), 0, vAll, sk * HKV * DV, 2 * HKV * DV);
            Naive.Result want = Naive.attention(q.slice(0, b, b + 1), Tensor.of(kAll, 1, sk + 2, HKV, D),
                    Tensor.of(vAll, 1, sk + 2, HKV, DV), 1 / Math.sqrt(D), SoftmaxReferenceTest.causal(2, sk + 2));
            Close.output(o.slice(0, b, b + 1), want, TOL);
        }
    }

    @Test
    void leftPaddingIsSkippedAndKeysAreReindexedForMaskAndAlibi() {
        int cap = 10;
        float[] slopes = {0.5f, 0.25f, 0.125f, 0.0625f};
        SoftmaxAttention op = Attention.softmax().causal(true).alibiSlopes(slopes).build();
        KvCache cache = op.newKvCache(B, cap, HKV, D, DV, DType.F32);
        Tensor keys = Inputs.random(12, B, cap, HKV, D), values = Inputs.random(13, B, cap, HKV, DV);
        cache.keys().copyFrom(keys.toFloatArray());
        cache.values().copyFrom(values.toFloatArray());
        int[] lengths = {8, 10}, pad = {3, 1};
        cache.setLengths(lengths).setLeftPadding(pad);
        Tensor q = Inputs.random(14, B, 3, H, D);
        AttentionOutput got = cache.decodeWithLse(q);
        for (int b = 0; b < B; b++) {
            int sk = lengths[b] - pad[b];
            Tensor qb = q.slice(0, b, b + 1);
            Tensor kb = keys.slice(0, b, b + 1).slice(1, pad[b], lengths[b]), vb = values.slice(0, b, b + 1).slice(1, pad[b], lengths[b]);
            // Spec 1.5: keys re-indexed as j - leftpad; the causal alignment and ALiBi's column use that index.
            Naive.Result want = Naive.attention(qb, kb, vb, 1 / Math.sqrt(D), 0, SoftmaxReferenceTest.causal(3, sk),
                    (bb, h, i, j) -> slopes[h] * j);
            assertRows(new AttentionOutput(got.output().slice(0, b, b + 1), got.lse().slice(0, b, b + 1)), want, 0);
            Close.output(op.forward(qb, kb, vb), want, TOL);
        }
    }

    @Test
    void ringCacheEqualsTheWindowedForwardAtEveryStepPastWrapAround() {
        int len = 17, left = 3; // capacity 4: the ring wraps four times
        SlidingWindowAttention op = Attention.slidingWindow(left, 0).scale(0.8).softcap(1.0).build();
        Tensor q = Inputs.random(15, B, len, H, D), k = Inputs.random(16, B, len, HKV, D), v = Inputs.random(17, B, len, HKV, DV);
        Naive.Result want = Naive.attention(q, k, v, 0.8, 1.0, (b, h, i, j) -> j <= i && j >= i - left, Naive.NO_BIAS);
        AttentionOutput forward = op.forwardWithLse(q, k, v);
        Close.output(forward.output(), want, TOL);
        SlidingWindowCache ring = op.newRingCache(B, HKV, D, DV, DType.F32);
        assertThat(ring.capacity()).isEqualTo(left + 1);
        for (int t = 0; t < len; t++) {
            AttentionOutput step = ring.stepWithLse(rows(q, t, t + 1), rows(k, t, t + 1), rows(v, t, t + 1));
            assertRows(step, want, t);
        }
        assertThat(ring.steps()).isEqualTo(len);
    }

    @Test
    void mergingTwoDisjointKeyHalvesEqualsOneSoftmax() {
        int sq = 5, sk = 11, split = 4;
        Tensor q = Inputs.random(18, B, sq, H, D), k = Inputs.random(19, B, sk, HKV, D), v = Inputs.random(20, B, sk, HKV, DV);
        SoftmaxAttention op = Attention.softmax().build();
        Naive.Result want = Naive.attention(q, k, v, 1 / Math.sqrt(D), Naive.ALL);
        AttentionOutput a = op.forwardWithLse(q, rows(k, 0, split), rows(v, 0, split));
        AttentionOutput b = op.forwardWithLse(q, rows(k, split, sk), rows(v, split, sk));
        AttentionOutput merged = Attention.mergeLse(a, b);
        Close.output(merged.output(), want, TOL);
        Close.lse(merged.lse(), want, TOL);
        // The same split as per-batch key ranges over the whole key tensor, a different split point per batch.
        AttentionOutput ra = op.forwardWithKeyRanges(q, k, v, new int[] {0, 0}, new int[] {3, 8});
        AttentionOutput rb = op.forwardWithKeyRanges(q, k, v, new int[] {3, 8}, new int[] {sk, sk});
        AttentionOutput mr = Attention.mergeLse(ra, rb);
        Close.output(mr.output(), want, TOL);
        Close.lse(mr.lse(), want, TOL);
    }

    @Test
    void splitKvDecodeOfOneCausalQuery() {
        int sk = 9;
        Tensor q = Inputs.random(21, B, 1, H, D), k = Inputs.random(22, B, sk, HKV, D), v = Inputs.random(23, B, sk, HKV, DV);
        SoftmaxAttention op = Attention.softmax().causal(true).build();
        // One query aligned at Sk - 1 sees every key, so each slice's causal row sees the whole slice.
        Naive.Result want = Naive.attention(q, k, v, 1 / Math.sqrt(D), Naive.ALL);
        AttentionOutput merged = Attention.mergeLse(
                op.forwardWithKeyRanges(q, k, v, new int[] {0, 0}, new int[] {5, 2}),
                op.forwardWithKeyRanges(q, k, v, new int[] {5, 2}, new int[] {sk, sk}));
        Close.output(merged.output(), want, TOL);
        Close.lse(merged.lse(), want, TOL);
    }

    @Test
    void mergingWithAnEmptyHalfKeepsTheOtherAndTwoEmptyHalvesStayEmpty() {
        int sq = 3, sk = 6;
        Tensor q = Inputs.random(24, B, sq, H, D), k = Inputs.random(25, B, sk, HKV, D), v = Inputs.random(26, B, sk, HKV, DV);
        SoftmaxAttention op = Attention.softmax().build();
        Naive.Result want = Naive.attention(q, k, v, 1 / Math.sqrt(D), Naive.ALL);
        AttentionOutput full = op.forwardWithLse(q, k, v);
        AttentionOutput empty = op.forwardWithKeyRanges(q, k, v, new int[] {2, 4}, new int[] {2, 4});
        for (float x : empty.output().toFloatArray()) {
            assertThat(x).isEqualTo(0f);
        }
        for (float x : empty.lse().toFloatArray()) {
            assertThat(x).isEqualTo(Float.POSITIVE_INFINITY);
        }
        for (AttentionOutput m : new AttentionOutput[] {Attention.mergeLse(full, empty), Attention.mergeLse(empty, full)}) {
            Close.output(m.output(), want, TOL);
            Close.lse(m.lse(), want, TOL);
        }
        AttentionOutput none = Attention.mergeLse(empty, empty);
        for (float x : none.output().toFloatArray()) {
            assertThat(x).isEqualTo(0f);
        }
        for (float x : none.lse().toFloatArray()) {
            assertThat(x).isEqualTo(Float.POSITIVE_INFINITY);
        }
    }
}
