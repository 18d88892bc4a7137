package org.attention4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ParityTest {
    @Test
    void measuresRelativeL2AndLocatesTheWorstElement() {
        Tensor want = Tensor.of(new float[] {3, 4, 0, 0}, 2, 2);
        Parity same = Parity.of(want, want.copy());
        assertThat(same.relL2Error()).isZero();
        assertThat(same.ok()).isTrue();
        Parity off = Parity.of(want, Tensor.of(new float[] {3, 4, 0, 0.5f}, 2, 2));
        assertThat(off.relL2Error()).isEqualTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(off.maxAbsError()).isEqualTo(0.5);
        assertThat(off.worstIndex()).containsExactly(1, 1);
        assertThat(off.ok()).isFalse(); // F32 tolerance 2e-3
        assertThatThrownBy(off::require).isInstanceOf(AssertionError.class).hasMessageContaining("at [1, 1]");
        assertThat(Parity.of(want, Tensor.of(new float[] {3, 4, 0, 0.5f}, 2, 2), 0.2).ok()).isTrue();
    }

    @Test
    void aNaNWhereAValueIsExpectedFails() {
        Tensor want = Tensor.of(new float[] {1, Float.NaN, Float.POSITIVE_INFINITY}, 3);
        assertThat(Parity.of(want, Tensor.of(new float[] {1, Float.NaN, Float.POSITIVE_INFINITY}, 3)).ok()).isTrue();
        Parity p = Parity.of(want, Tensor.of(new float[] {Float.NaN, Float.NaN, Float.POSITIVE_INFINITY}, 3));
        assertThat(p.ok()).isFalse();
        assertThat(p.worstIndex()).containsExactly(0);
    }

    @Test
    void shapesMustMatch() {
        assertThatThrownBy(() -> Parity.of(Tensor.zeros(DType.F32, 2, 3), Tensor.zeros(DType.F32, 3, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("actual: expected shape [2, 3] like expected, got shape [3, 2]");
    }
}
