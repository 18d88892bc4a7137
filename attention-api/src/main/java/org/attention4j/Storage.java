package org.attention4j;

/**
 * Flat host memory behind one or more {@link Tensor} views. Indices are element offsets.
 *
 * <p>Heap storages wrap Java arrays without copying; {@link #of(java.nio.ByteBuffer, DType)} style
 * off-heap storages may be added by other modules by extending this class.
 */
public abstract class Storage {
    /** The element type. */
    public abstract DType dtype();

    /** Number of elements. */
    public abstract long size();

    /** Element {@code i} widened to float. */
    public abstract float getFloat(long i);

    /** Stores {@code x} at element {@code i}, rounding to {@link #dtype()}. */
    public abstract void setFloat(long i, float x);

    /** The backing {@code float[]} when this is heap F32 storage, else {@code null}. */
    public float[] floatArrayOrNull() {
        return null;
    }

    /** The backing {@code short[]} when this is heap F16/BF16 storage, else {@code null}. */
    public short[] shortArrayOrNull() {
        return null;
    }

    static Storage allocate(DType dtype, long size) {
        int n = Math.toIntExact(size);
        return dtype == DType.F32 ? new F32(new float[n]) : new Half(dtype, new short[n]);
    }

    static final class F32 extends Storage {
        final float[] data;

        F32(float[] data) {
            this.data = data;
        }

        @Override public DType dtype() { return DType.F32; }
        @Override public long size() { return data.length; }
        @Override public float getFloat(long i) { return data[(int) i]; }
        @Override public void setFloat(long i, float x) { data[(int) i] = x; }
        @Override public float[] floatArrayOrNull() { return data; }
    }

    static final class Half extends Storage {
        final DType dtype;
        final short[] data;

        Half(DType dtype, short[] data) {
            this.dtype = dtype;
            this.data = data;
        }

        @Override public DType dtype() { return dtype; }
        @Override public long size() { return data.length; }

        @Override
        public float getFloat(long i) {
            short h = data[(int) i];
            return dtype == DType.BF16 ? DType.bf16ToFloat(h) : DType.f16ToFloat(h);
        }

        @Override
        public void setFloat(long i, float x) {
            data[(int) i] = dtype == DType.BF16 ? DType.floatToBf16(x) : DType.floatToF16(x);
        }

        @Override public short[] shortArrayOrNull() { return data; }
    }
}
