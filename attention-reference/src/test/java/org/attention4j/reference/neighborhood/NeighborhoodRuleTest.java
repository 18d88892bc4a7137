package org.attention4j.reference.neighborhood;

import static org.assertj.core.api.Assertions.assertThat;

import org.attention4j.neighborhood.NeighborhoodRule;
import org.junit.jupiter.api.Test;

/**
 * The shared {@link NeighborhoodRule} of attention-api (used by every tier) against the spec-text rule,
 * exhaustively over every valid 1-D configuration up to L = 40: kernel 2..L, stride 1..kernel, dilation
 * with kernel * dilation <= L, both causal flags.
 */
class NeighborhoodRuleTest {

    @Test
    void agreesWithTheSpecRuleOnEveryValidConfigurationUpToLength40() {
        int configs = 0;
        for (int len = 2; len <= 40; len++) {
            for (int k = 2; k <= len; k++) {
                for (int d = 1; k * d <= len; d++) {
                    for (int s = 1; s <= k; s++) {
                        for (boolean causal : new boolean[] {false, true}) {
                            configs++;
                            for (int i = 0; i < len; i++) {
                                int start = NeighborhoodRule.windowStart(i, len, k, s, d, causal);
                                int end = NeighborhoodRule.windowEnd(i, len, k, s, d, causal);
                                int lo = -1, hi = -1;
                                for (int j = 0; j < len; j++) {
                                    boolean want = SpecNeighborhood.visible(i, j, len, k, s, d, causal);
                                    if (NeighborhoodRule.visible(i, j, len, k, s, d, causal) != want) {
                                        throw new AssertionError("L=" + len + " k=" + k + " s=" + s + " d=" + d + " causal=" + causal
                                                + " i=" + i + " j=" + j + ": expected " + want);
                                    }
                                    if (want) {
                                        if (lo < 0) lo = j;
                                        hi = j;
                                    }
                                }
                                // Start and end are the first visible key and one past the last.
                                assertThat(start).isEqualTo(lo);
                                assertThat(end).isEqualTo(hi + 1);
                            }
                        }
                    }
                }
            }
        }
        assertThat(configs).isGreaterThan(10_000);
    }
}
