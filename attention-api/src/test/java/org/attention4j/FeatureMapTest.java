package org.attention4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class FeatureMapTest {
    private static final Tensor X = Tensor.of(new float[] {-1f, 0f, 2f, -0.5f}, 1, 1, 2, 2);

    @Test
    void identityReturnsAnIndependentCopy() {
        Tensor y = FeatureMap.identity().apply(X);
        assertThat(y.shape()).containsExactly(1, 1, 2, 2);
        assertThat(y.toFloatArray()).containsExactly(X.toFloatArray());
        y.set(9f, 0, 0, 0, 0);
        assertThat(X.get(0, 0, 0, 0)).isEqualTo(-1f);
    }

    @Test
    void eluPlusOneAndRelu() {
        assertThat(FeatureMap.eluPlusOne().apply(X).toFloatArray())
                .containsExactly((float) Math.exp(-1), 1f, 3f, (float) Math.exp(-0.5));
        assertThat(FeatureMap.relu().apply(X).toFloatArray()).containsExactly(0f, 0f, 2f, 0f);
    }

    @Test
    void dpfpMultipliesTheSplitReluVectorByItsRolls() {
        // r = [relu(x), relu(-x)] = [1, 3, 0, 0, 0, 2]; block j holds r[i] * r[(i - j) mod 6].
        Tensor x = Tensor.of(new float[] {1f, 3f, -2f}, 1, 1, 1, 3);
        Tensor y = FeatureMap.dpfp(2).apply(x);
        assertThat(y.shape()).containsExactly(1, 1, 1, 12);
        assertThat(y.toFloatArray()).containsExactly(2f, 3f, 0f, 0f, 0f, 0f, 0f, 6f, 0f, 0f, 0f, 0f);
        assertThatThrownBy(() -> FeatureMap.dpfp(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nu").hasMessageContaining("0");
    }

    @Test
    void userMapsKeepShapeAndDtype() {
        Tensor half = X.to(DType.BF16);
        Tensor y = FeatureMap.of(v -> v * v + 0.25).apply(half);
        assertThat(y.dtype()).isEqualTo(DType.BF16);
        assertThat(y.shape()).containsExactly(1, 1, 2, 2);
        assertThat(y.toFloatArray()).containsExactly(1.25f, 0.25f, 4.25f, 0.5f);
        FeatureMap lambda = t -> FeatureMap.relu().apply(FeatureMap.of(v -> -v).apply(t));
        assertThat(lambda.apply(X).toFloatArray()[0]).isCloseTo(1f, within(0f));
    }
}
