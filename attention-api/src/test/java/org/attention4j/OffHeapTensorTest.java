package org.attention4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

class OffHeapTensorTest {
    @Test
    void wrapsADirectBufferWithoutCopyingInItsByteOrder() {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            ByteBuffer buf = ByteBuffer.allocateDirect(4 + 6 * 4).order(order);
            buf.position(4); // elements start after a 4-byte prefix
            for (int i = 0; i < 6; i++) buf.putFloat(4 + 4 * i, i * 0.5f);
            Tensor t = Tensor.of(buf, DType.F32, 2, 3);
            assertThat(t.toFloatArray()).as(order.toString()).containsExactly(0f, 0.5f, 1f, 1.5f, 2f, 2.5f);
            t.set(-7f, 1, 2);
            assertThat(buf.getFloat(4 + 5 * 4)).isEqualTo(-7f); // shared, not copied
            buf.order(order == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN).position(0);
            assertThat(t.get(1, 2)).isEqualTo(-7f); // the caller's later order and position changes don't leak in
        }
    }

    @Test
    void halfPrecisionAndViewsOverBuffers() {
        Tensor t = Tensor.allocateDirect(DType.BF16, 2, 3, 4);
        assertThat(t.storage().byteBufferOrNull().isDirect()).isTrue();
        assertThat(t.storage().floatArrayOrNull()).isNull();
        float[] vals = new float[24];
        for (int i = 0; i < 24; i++) vals[i] = i - 11.5f;
        t.copyFrom(Tensor.of(vals, 2, 3, 4));
        assertThat(t.toFloatArray()).containsExactly(Tensor.fromFloats(DType.BF16, vals, 2, 3, 4).toFloatArray());
        Tensor v = t.permute(2, 0, 1).slice(0, 1, 3);
        assertThat(v.get(1, 1, 2)).isEqualTo(t.get(1, 2, 2));
        Tensor f16 = Tensor.allocateDirect(DType.F16, 4).copyFrom(Tensor.of(new float[] {1, 2, 65504, 1e-8f}, 4));
        assertThat(f16.toFloatArray()).containsExactly(1, 2, 65504, DType.F16.round(1e-8f));
    }

    @Test
    void wrongSizesAndReadOnlyBuffersAreExplained() {
        ByteBuffer buf = ByteBuffer.allocateDirect(20);
        assertThatThrownBy(() -> Tensor.of(buf, DType.F32, 2, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("buffer: expected 24 remaining bytes (6 F32 elements of shape [2, 3]), got 20 bytes");
        assertThatThrownBy(() -> Storage.of(ByteBuffer.allocate(7), DType.F16))
                .hasMessage("buffer: expected a multiple of 2 remaining bytes (F16 elements), got 7 bytes");
        assertThatThrownBy(() -> Tensor.of((ByteBuffer) null, DType.F32, 1))
                .hasMessage("buffer: expected a non-null value, got null");
        Tensor ro = Tensor.of(ByteBuffer.allocate(8).asReadOnlyBuffer(), DType.F32, 2);
        assertThat(ro.get(1)).isZero();
        assertThatThrownBy(() -> ro.set(1f, 0)).isInstanceOf(ReadOnlyBufferException.class);
        assertThatThrownBy(() -> Tensor.allocateDirect(DType.F32, 1 << 16, 1 << 14))
                .hasMessageContaining("shape: expected at most 2147483647 bytes in one direct buffer, got 4294967296 bytes");
        assertThatThrownBy(() -> Tensor.allocateDirect(DType.F32, 2).copyFrom(Tensor.zeros(DType.F32, 3)))
                .hasMessage("source: expected shape [2], got shape [3]");
    }

    @Test
    void intShapesAndIndicesMatchTheLongOnes() {
        int b = 1, s = 2, h = 3, d = 4;
        Tensor t = Tensor.of(new float[24], b, s, h, d);
        assertThat(t.shape()).containsExactly(1L, 2L, 3L, 4L);
        t.set(5f, 0L, 1L, 2L, 3L);
        assertThat(t.get(0, 1, 2, 3)).isEqualTo(5f);
        assertThat(t.reshape(s, h * d).get(1, 11)).isEqualTo(5f);
        assertThat(t.slice(1, s - 1, s).get(0, 0, 2, 3)).isEqualTo(5f);
        assertThat(Tensor.zeros(DType.F16, s, d).dtype()).isEqualTo(DType.F16);
        assertThatThrownBy(() -> Tensor.of(new float[1], (int[]) null)).hasMessage("shape: expected a non-null value, got null");
    }
}
