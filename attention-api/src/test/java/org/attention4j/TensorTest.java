package org.attention4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorTest {
    private static float[] iota(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    @Test
    void ofWrapsWithoutCopyAndValidatesLength() {
        float[] data = iota(6);
        Tensor t = Tensor.of(data, 2, 3);
        assertThat(t.shape()).containsExactly(2, 3);
        assertThat(t.dtype()).isEqualTo(DType.F32);
        data[4] = 42;
        assertThat(t.get(1, 1)).isEqualTo(42);
        assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("data").hasMessageContaining("expected length 6").hasMessageContaining("got length 5");
        assertThatThrownBy(() -> Tensor.of(null, 1)).hasMessageContaining("data: expected a non-null value, got null");
        assertThatThrownBy(() -> Tensor.of(new float[0], 2, -1)).hasMessageContaining("shape[1]");
    }

    @Test
    void headsFirstViewSharesStorage() {
        // [B=2, S=3, H=4, D=5] seen as [B, H, S, D] without a copy.
        Tensor bshd = Tensor.of(iota(2 * 3 * 4 * 5), 2, 3, 4, 5);
        Tensor bhsd = bshd.permute(0, 2, 1, 3);
        assertThat(bhsd.shape()).containsExactly(2, 4, 3, 5);
        assertThat(bhsd.storage()).isSameAs(bshd.storage());
        assertThat(bhsd.isContiguous()).isFalse();
        for (int b = 0; b < 2; b++)
            for (int s = 0; s < 3; s++)
                for (int h = 0; h < 4; h++)
                    for (int d = 0; d < 5; d++)
                        assertThat(bhsd.get(b, h, s, d)).isEqualTo(((b * 3 + s) * 4 + h) * 5 + d);
        float[] flat = bhsd.toFloatArray();
        assertThat(flat[5]).isEqualTo(bshd.get(0, 1, 0, 0)); // second row of head 0 is token 1
        bhsd.set(-1f, 1, 2, 0, 3);
        assertThat(bshd.get(1, 0, 2, 3)).isEqualTo(-1f);
        assertThat(bhsd.contiguous().isContiguous()).isTrue();
        assertThat(bhsd.contiguous().toFloatArray()).containsExactly(bhsd.toFloatArray());
    }

    @Test
    void sliceReshapeAndConversion() {
        Tensor t = Tensor.of(iota(24), 2, 3, 4);
        Tensor s = t.slice(1, 1, 3);
        assertThat(s.shape()).containsExactly(2, 2, 4);
        assertThat(s.get(0, 0, 0)).isEqualTo(4);
        assertThatThrownBy(() -> t.permute(0, 2, 1).reshape(24)).hasMessageContaining("contiguous");
        assertThat(t.reshape(6, 4).get(5, 3)).isEqualTo(23);
        Tensor h = t.to(DType.BF16);
        assertThat(h.dtype()).isEqualTo(DType.BF16);
        assertThat(h.toFloatArray()).containsExactly(t.toFloatArray()); // small integers are exact in bf16
        Tensor r = Tensor.fromFloats(DType.F16, new float[] {1f / 3}, 1);
        assertThat(r.get(0)).isEqualTo(DType.F16.round(1f / 3));
        assertThat(Tensor.zeros(DType.F16, 2, 2).numel()).isEqualTo(4);
    }

    @Test
    void halfTensorsWrapBits() {
        short[] bits = {DType.floatToBf16(1.5f), DType.floatToBf16(-2f)};
        Tensor t = Tensor.ofBF16(bits, 2);
        assertThat(t.toFloatArray()).containsExactly(1.5f, -2f);
        t.set(3f, 1);
        assertThat(bits[1]).isEqualTo(DType.floatToBf16(3f));
        assertThat(Tensor.ofF16(new short[] {DType.floatToF16(0.5f)}, 1).get(0)).isEqualTo(0.5f);
    }
}
