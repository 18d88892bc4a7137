package org.attention4j.cpu;

import org.attention4j.DType;
import org.attention4j.Tensor;

/** A new contiguous output tensor written from fp32 rows, rounded to its dtype. */
public final class TensorWriter {
    private final Tensor tensor;
    private final float[] f32;
    private final short[] half;
    private final boolean bf16;

    public TensorWriter(DType dtype, long... shape) {
        this.tensor = Tensor.zeros(dtype, shape);
        this.f32 = tensor.storage().floatArrayOrNull();
        this.half = tensor.storage().shortArrayOrNull();
        this.bf16 = dtype == DType.BF16;
    }

    public Tensor tensor() {
        return tensor;
    }

    /** {@code out[pos + i] = scale * src[sOff + i]} for {@code i < n} (row-major positions). */
    public void write(int pos, float[] src, int sOff, int n, float scale) {
        if (f32 != null) {
            if (scale == 1f) {
                System.arraycopy(src, sOff, f32, pos, n);
            } else {
                for (int i = 0; i < n; i++) {
                    f32[pos + i] = scale * src[sOff + i];
                }
            }
        } else if (bf16) {
            for (int i = 0; i < n; i++) {
                half[pos + i] = DType.floatToBf16(scale * src[sOff + i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                half[pos + i] = DType.floatToF16(scale * src[sOff + i]);
            }
        }
    }

    /** {@code out[pos] = x}. */
    public void set(int pos, float x) {
        if (f32 != null) {
            f32[pos] = x;
        } else {
            half[pos] = bf16 ? DType.floatToBf16(x) : DType.floatToF16(x);
        }
    }
}
