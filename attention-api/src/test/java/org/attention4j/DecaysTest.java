package org.attention4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class DecaysTest {
    @Test
    void lightningPowerOfTwoHeadsAreTheAlibiSlopesNegated() {
        float[] expected = new float[8];
        for (int h = 0; h < 8; h++) {
            expected[h] = -(float) Math.pow(2, -(h + 1)); // spec 3.3: 0.5, 0.25, ..., 2^-8
        }
        assertThat(Decays.lightning(8)).containsExactly(expected);
    }

    @Test
    void lightningOtherHeadCountsAppendEveryOtherSlopeOfTheNextPowerOfTwo() {
        float[] d = Decays.lightning(12);
        assertThat(d).hasSize(12);
        for (int h = 0; h < 8; h++) {
            assertThat(d[h]).isEqualTo(-(float) Math.pow(2, -(h + 1)));
        }
        assertThat(-d[8]).isCloseTo(0.707107f, within(1e-6f));
        assertThat(-d[9]).isCloseTo(0.353553f, within(1e-6f));
        assertThat(-d[10]).isCloseTo(0.176777f, within(1e-6f));
        assertThat(-d[11]).isCloseTo(0.088388f, within(1e-6f));
        assertThat(Decays.lightning(1)).containsExactly(-(float) Math.pow(2, -8));
    }

    @Test
    void lightningTnlLayerScaling() {
        float[] base = Decays.lightning(4);
        float[] first = Decays.lightning(4, 0, 5);
        float[] middle = Decays.lightning(4, 2, 5);
        float[] last = Decays.lightning(4, 4, 5);
        for (int h = 0; h < 4; h++) {
            assertThat(first[h]).isEqualTo(base[h] * (float) (1 + 1e-5));
            assertThat(middle[h]).isEqualTo(base[h] * (float) (0.5 + 1e-5));
            assertThat(last[h]).isEqualTo(base[h] * (float) 1e-5);
        }
        assertThatThrownBy(() -> Decays.lightning(4, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("numLayers").hasMessageContaining("1");
        assertThatThrownBy(() -> Decays.lightning(4, 5, 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("layerIdx").hasMessageContaining("5");
    }

    @Test
    void flaLightningLayerZeroIsMinusOneStepPerHeadForEightHeads() {
        // Head 0 is -rate * 0 = -0.0 in fla too; exp(-0.0) = 1.
        assertThat(Decays.flaLightning(8, 0, 24)).containsExactly(-0f, -1f, -2f, -3f, -4f, -5f, -6f, -7f);
        float[] d = Decays.flaLightning(8, 6, 24); // (1 - 6/24) = 0.75
        for (int h = 0; h < 8; h++) {
            assertThat(d[h]).isEqualTo(-0.75f * h);
        }
        assertThatThrownBy(() -> Decays.flaLightning(8, -1, 24))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("layerIdx").hasMessageContaining("-1");
    }

    @Test
    void retnetDecaysAreLogOfOneMinusTwoToTheMinusFiveMinusH() {
        float[] d = Decays.retnet(24);
        for (int h = 0; h < 20; h++) {
            assertThat((double) d[h]).isCloseTo(Math.log1p(-Math.pow(2, -5 - h)), within(Math.pow(2, -5 - h) * 1e-6 + 1e-12));
            assertThat(d[h]).isNegative();
        }
        // fla rounds 1 - 2^(-5-h) to fp32 first: 1 - 2^-25 is a tie that rounds to 1.
        assertThat(d[20]).isZero();
        assertThat(d[0]).isEqualTo((float) Math.log((float) (1 - 1.0 / 32)));
        assertThatThrownBy(() -> Decays.retnet(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("heads");
    }
}
