package org.attention4j.reference.radial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.attention4j.reference.Close.TOL;

import org.attention4j.Attention;
import org.attention4j.AttentionOutput;
import org.attention4j.RadialAttention;
import org.attention4j.RadialModel;
import org.attention4j.Tensor;
import org.attention4j.reference.Close;
import org.attention4j.reference.Inputs;
import org.attention4j.reference.Naive;
import org.junit.jupiter.api.Test;

/**
 * Radial attention (spec section 6) through the facade against the brute-force formula with a token-level
 * mask built here: token (i, j) is attended iff its block pair is kept by the literal 6.2 construction
 * ({@link SpecRadialMask}) and {@code j} is below the batch element's key length.
 */
class RadialReferenceTest {

    private static Naive.Mask tokenMask(boolean[][] blocks, int bk, int[] keyLengths) {
        return (b, h, i, j) -> blocks[i / bk][j / bk] && (keyLengths == null || j < keyLengths[b]);
    }

    @Test
    void hunyuanWithTextAndPerBatchKeyPaddingIncludingFullyPaddedRows() {
        int frames = 4, p = 256, text = 40, bk = 64, s = frames * p + text;
        RadialAttention op = Attention.radial(frames, p).blockSize(bk).model(RadialModel.HUNYUAN).decayFactor(1.0).scale(0.5).build();
        // Batch 0: every key valid. Batch 1: 17 valid text tokens. Batch 2: only block 0 valid, so queries
        // whose kept blocks all lie past key 64 have no key left.
        int[] keyLengths = {s, frames * p + 17, 64};
        Tensor q = Inputs.random(1, 3, s, 2, 8), k = Inputs.random(2, 3, s, 1, 8), v = Inputs.random(3, 3, s, 1, 5);
        AttentionOutput r = op.forwardWithLse(q, k, v, keyLengths);
        boolean[][] blocks = SpecRadialMask.build(frames * p, frames, s, bk, 1.0, false);
        Naive.Result want = Naive.attention(q, k, v, 0.5, tokenMask(blocks, bk, keyLengths));
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);

        int emptyRows = 0;
        for (int i = 0; i < s; i++) {
            if (!blocks[i / bk][0]) {
                emptyRows++;
                for (int h = 0; h < 2; h++) {
                    assertThat(r.lse().get(2, h, i)).isEqualTo(Float.POSITIVE_INFINITY);
                    for (int d = 0; d < 5; d++) {
                        assertThat(r.output().get(2, i, h, d)).isEqualTo(0f);
                    }
                }
            }
        }
        assertThat(emptyRows).as("rows of batch 2 left without a valid key").isGreaterThan(0);
        for (float x : r.output().toFloatArray()) {
            assertThat(x).isNotNaN();
        }
        // Text rows are dense over the valid keys, video rows see the valid text: the padding must matter.
        Tensor unpadded = op.forward(q, k, v);
        assertThat(unpadded.get(1, s - 1, 0, 0)).isNotEqualTo(r.output().get(1, s - 1, 0, 0));
        assertThat(unpadded.get(0, s - 1, 0, 0)).isEqualTo(r.output().get(0, s - 1, 0, 0));
    }

    @Test
    void wanVideoOnlyWithFramesStraddlingBlocks() {
        int frames = 5, p = 100, bk = 64, s = frames * p;
        RadialAttention op = Attention.radial(frames, p).blockSize(bk).model(RadialModel.WAN).build();
        Tensor q = Inputs.random(4, 2, s, 2, 8), k = Inputs.random(5, 2, s, 1, 8), v = Inputs.random(6, 2, s, 1, 8);
        AttentionOutput r = op.forwardWithLse(q, k, v, null);
        Naive.Result want = Naive.attention(q, k, v, 1 / Math.sqrt(8), tokenMask(SpecRadialMask.build(s, frames, s, bk, 1.0, true), bk, null));
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
        Close.output(op.forward(q, k, v), want, TOL);
    }

    @Test
    void aBatchWithNoValidKeyIsAllZeroWithInfiniteLse() {
        int frames = 2, p = 64, bk = 64, s = frames * p + 10;
        RadialAttention op = Attention.radial(frames, p).blockSize(bk).model(RadialModel.HUNYUAN).build();
        Tensor q = Inputs.random(7, 2, s, 1, 4), k = Inputs.random(8, 2, s, 1, 4), v = Inputs.random(9, 2, s, 1, 4);
        AttentionOutput r = op.forwardWithLse(q, k, v, new int[] {s, 0});
        Naive.Result want = Naive.attention(q, k, v, 0.5, tokenMask(SpecRadialMask.build(frames * p, frames, s, bk, 1.0, false), bk, new int[] {s, 0}));
        Close.output(r.output(), want, TOL);
        Close.lse(r.lse(), want, TOL);
        for (int i = 0; i < s; i++) {
            assertThat(r.lse().get(1, 0, i)).isEqualTo(Float.POSITIVE_INFINITY);
        }
    }
}
