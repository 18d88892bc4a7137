package org.attention4j.cpu;

import org.attention4j.DType;
import org.attention4j.Storage;
import org.attention4j.Tensor;

/**
 * Reads elements of a strided tensor as fp32, with fast paths for heap F32/F16/BF16 storage.
 * Positions are storage indices: {@code offset() + sum(idx[d] * stride(d))}.
 */
public final class TensorReader {
    private final float[] f32;
    private final short[] half;
    private final boolean bf16;
    private final Storage storage;
    private final long offset;
    private final long[] strides;

    public TensorReader(Tensor t) {
        this.storage = t.storage();
        this.f32 = storage.floatArrayOrNull();
        this.half = f32 == null ? storage.shortArrayOrNull() : null;
        this.bf16 = t.dtype() == DType.BF16;
        this.offset = t.offset();
        this.strides = t.strides();
    }

    public long offset() {
        return offset;
    }

    public long stride(int dim) {
        return strides[dim < 0 ? dim + strides.length : dim];
    }

    /** The heap fp32 array behind the tensor, for kernels that read it in place; null for other storage. */
    public float[] f32ArrayOrNull() {
        return f32;
    }

    /** Element at storage position {@code pos}. */
    public float get(long pos) {
        if (f32 != null) {
            return f32[(int) pos];
        }
        if (half != null) {
            short h = half[(int) pos];
            return bf16 ? DType.bf16ToFloat(h) : DType.f16ToFloat(h);
        }
        return storage.getFloat(pos);
    }

    /** {@code dst[dOff + i * dStep] = scale * x[pos + i * step]} for {@code i < n}. */
    public void read(long pos, long step, int n, float[] dst, int dOff, int dStep, float scale) {
        if (f32 != null) {
            int p = (int) pos;
            int s = (int) step;
            if (s == 1 && dStep == 1) {
                // Unit strides: a copy, or a loop simple enough for C2 to vectorize.
                if (scale == 1f) {
                    System.arraycopy(f32, p, dst, dOff, n);
                } else {
                    for (int i = 0; i < n; i++) {
                        dst[dOff + i] = scale * f32[p + i];
                    }
                }
            } else if (scale == 1f) {
                for (int i = 0; i < n; i++) {
                    dst[dOff + i * dStep] = f32[p + i * s];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    dst[dOff + i * dStep] = scale * f32[p + i * s];
                }
            }
        } else if (half != null) {
            int p = (int) pos;
            int s = (int) step;
            if (bf16 && s == 1 && dStep == 1) {
                for (int i = 0; i < n; i++) {
                    dst[dOff + i] = scale * Float.intBitsToFloat((half[p + i] & 0xffff) << 16);
                }
            } else if (bf16) {
                for (int i = 0; i < n; i++) {
                    dst[dOff + i * dStep] = scale * Float.intBitsToFloat((half[p + i * s] & 0xffff) << 16);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    dst[dOff + i * dStep] = scale * DType.f16ToFloat(half[p + i * s]);
                }
            }
        } else {
            for (int i = 0; i < n; i++) {
                dst[dOff + i * dStep] = scale * storage.getFloat(pos + i * step);
            }
        }
    }
}
