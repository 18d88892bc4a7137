package org.attention4j.jmh.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.attention4j.RadialModel;
import org.attention4j.jmh.GridSpec;
import org.attention4j.neighborhood.NeighborhoodRule;
import org.attention4j.radial.RadialMask;
import org.junit.jupiter.api.Test;

/** The closed-form counts behind the reported GFLOP/s agree with brute-force counts of the masks. */
class WorkloadTest {
    @Test
    void slidingWindowPairsCountTheFlashAttentionWindow() {
        for (int[] c : new int[][] {{1, 0, 0}, {50, 7, 0}, {50, 0, 3}, {50, 9, 4}, {20, 30, 30}}) {
            int s = c[0], left = c[1], right = c[2];
            long brute = 0;
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < s; j++) {
                    if (j >= i - left && j <= i + right) brute++;
                }
            }
            assertThat(Workload.slidingWindowPairs(s, left, right)).as("s=%d left=%d right=%d", s, left, right).isEqualTo(brute);
        }
    }

    @Test
    void neighborhoodPairsMatchTheNattenRuleOnEveryAxis() {
        for (String grid : new String[] {"9x7/5", "5x4x6/3", "12/4", "6x6/6"}) {
            GridSpec g = GridSpec.parse(grid);
            int[] ext = g.extents();
            int n = (int) g.tokens();
            long brute = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    boolean all = true;
                    for (int a = ext.length - 1, fi = i, fj = j; a >= 0; fi /= ext[a], fj /= ext[a], a--) {
                        all &= NeighborhoodRule.visible(fi % ext[a], fj % ext[a], ext[a], g.kernel(), 1, 1, false);
                    }
                    if (all) brute++;
                }
            }
            assertThat(Workload.neighborhoodPairs(g)).as(grid).isEqualTo(brute);
        }
        // With every extent at least the kernel, each query sees a full kernel^rank box.
        assertThat(Workload.neighborhoodPairs(GridSpec.parse("64x64/13"))).isEqualTo(4096L * 13 * 13);
    }

    @Test
    void radialPairsCountTheVisibleTokensIncludingPartialBlocks() {
        int s = 4 * 100, frames = 4, block = 64; // 400 tokens: the last block is partial
        RadialMask m = RadialMask.of(s, frames, s, block, 1.0, RadialModel.WAN);
        long brute = 0;
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                if (m.visible(i, j)) brute++;
            }
        }
        assertThat(Workload.radialPairs(s, frames, block)).isEqualTo(brute);
        assertThat(brute).isLessThan((long) s * s);
    }

    @Test
    void chunkwiseLinearFlopsCountStateWorkAndTheCausalChunkTriangles() {
        int dk = 16, dv = 32;
        assertThat(Workload.chunkwiseLinearFlops(64, dk, dv)).isEqualTo(4.0 * 64 * dk * dv + 64 * 65 * (dk + dv));
        // A partial last chunk of 36 tokens.
        assertThat(Workload.chunkwiseLinearFlops(100, dk, dv))
                .isEqualTo(4.0 * 100 * dk * dv + 64 * 65 * (dk + dv) + 36 * 37 * (dk + dv));
    }

    @Test
    void softmaxCountsHalfTheFlopsWhenCausal() {
        Workload dense = Workload.of("softmax", Map.of("b", "2", "h", "3", "s", "10", "d", "4", "causal", "false"));
        Workload causal = Workload.of("softmax", Map.of("b", "2", "h", "3", "s", "10", "d", "4", "causal", "true"));
        assertThat(dense.flops()).isEqualTo(4.0 * 2 * 3 * 10 * 10 * 4);
        assertThat(causal.flops()).isEqualTo(dense.flops() / 2);
        assertThat(dense.tokens()).isEqualTo(20);
    }

    @Test
    void decodeReadsKeysAndValuesOnce() {
        Workload w = Workload.of("decode", Map.of("b", "1", "h", "8", "hkv", "2", "s", "1000", "d", "64"));
        assertThat(w.bytes()).isEqualTo(2.0 * 1000 * 2 * 64 * 4);
        assertThat(w.flops()).isEqualTo(4.0 * 8 * 1000 * 64);
        assertThat(w.tokens()).isEqualTo(1);
    }

    @Test
    void recurrentStepReadsAndWritesTheStateOnce() {
        Workload w = Workload.of("recurrentStep", Map.of("b", "2", "h", "8", "d", "128", "gate", "vector"));
        assertThat(w.bytes()).isEqualTo(2.0 * 2 * 8 * 128 * 128 * 4);
        assertThat(w.flops()).isEqualTo(4.0 * 2 * 8 * 128 * 128);
        assertThat(w.tokens()).isEqualTo(2);
    }

    @Test
    void localLinearCountsEveryCausalPairAndOneSolvePerQuery() {
        int s = 5, d = 4, dv = 3;
        double perPair = d * d + 7 * d + 2 * dv, perQuery = d * d * d / 3.0 + 2 * d * d;
        assertThat(Workload.localLinearFlops(s, d, dv)).isCloseTo(15 * perPair + 5 * perQuery, within(1e-9));
        Workload w = Workload.of("localLinear", Map.of("b", "1", "h", "8", "s", "1024", "d", "64"));
        assertThat(w.flops()).isCloseTo(8 * Workload.localLinearFlops(1024, 64, 64), within(1.0));
    }

    @Test
    void everyLinearVariantIsChargedTheChunkwiseFlops() {
        double plain = Workload.of("linear", Map.of("b", "1", "h", "8", "s", "1024", "d", "64")).flops();
        for (String variant : new String[] {"plain", "normalized", "decayed"}) {
            assertThat(Workload.of("linear", Map.of("b", "1", "h", "8", "s", "1024", "d", "64", "variant", variant)).flops())
                    .isEqualTo(plain);
        }
    }
}
