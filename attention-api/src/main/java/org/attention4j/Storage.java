package org.attention4j;

import java.nio.ByteBuffer;
import org.attention4j.internal.Checks;
import org.jspecify.annotations.Nullable;

/**
 * Flat host memory behind one or more {@link Tensor} views. Indices are element offsets.
 *
 * <p>Heap storages wrap Java arrays without copying; {@link #of(ByteBuffer, DType)} wraps a
 * {@link ByteBuffer} (a direct or memory-mapped one keeps large inputs off the Java heap). Other modules
 * may add storages by extending this class.
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
    public float @Nullable [] floatArrayOrNull() {
        return null;
    }

    /** The backing {@code short[]} when this is heap F16/BF16 storage, else {@code null}. */
    public short @Nullable [] shortArrayOrNull() {
        return null;
    }

    /**
     * The backing buffer when this storage is buffer-backed, else {@code null}: a duplicate sharing the
     * contents, element 0 at position 0, in the storage's byte order ({@link ByteBuffer#order()}).
     */
    public @Nullable ByteBuffer byteBufferOrNull() {
        return null;
    }

    /**
     * A storage over {@code buffer}'s bytes from its position to its limit, read and written in the
     * buffer's byte order as it is now (a direct buffer from {@link ByteBuffer#allocateDirect} is
     * big-endian until its order is set; {@link Tensor#allocateDirect} uses the native order). No copy: the
     * storage and the buffer share their contents; later changes to the buffer's position, limit or order
     * do not affect the storage. A read-only buffer gives a storage whose writes throw
     * {@link java.nio.ReadOnlyBufferException}.
     */
    public static Storage of(ByteBuffer buffer, DType dtype) {
        Checks.notNull(buffer, "buffer");
        Checks.notNull(dtype, "dtype");
        int bytes = buffer.remaining();
        if (bytes % dtype.byteSize() != 0) {
            throw Checks.mismatch("buffer", "a multiple of " + dtype.byteSize() + " remaining bytes (" + dtype + " elements)",
                    bytes + " bytes");
        }
        return new Buffer(buffer.slice().order(buffer.order()), dtype, null);
    }

    /**
     * {@link #of(ByteBuffer, DType)} over memory that {@code owner} frees when it is collected (a JavaCPP
     * pointer, an ND4J array): the storage keeps {@code owner} reachable, so the memory outlives every
     * tensor that views it. A buffer made by JNI's {@code NewDirectByteBuffer} does not do this by itself.
     */
    public static Storage of(ByteBuffer buffer, DType dtype, Object owner) {
        Checks.notNull(owner, "owner");
        Buffer b = (Buffer) of(buffer, dtype);
        return new Buffer(b.bytes, dtype, owner);
    }

    /**
     * The raw 16-bit pattern of element {@code i} of an F16/BF16 storage. Going through {@code float} would
     * set the quiet bit of a signalling NaN; file IO must copy bits exactly.
     */
    short getBits16(long i) {
        return dtype() == DType.BF16 ? DType.floatToBf16(getFloat(i)) : DType.floatToF16(getFloat(i));
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

        @Override short getBits16(long i) { return data[(int) i]; }
        @Override public short[] shortArrayOrNull() { return data; }
    }

    /** Elements in a {@link ByteBuffer} (heap, direct or mapped), addressed absolutely so views never move its position. */
    static final class Buffer extends Storage {
        final ByteBuffer bytes;
        final DType dtype;
        private final int shift;
        /** Held only so that the memory behind {@code bytes} stays allocated. */
        @SuppressWarnings("unused")
        private final @Nullable Object owner;

        Buffer(ByteBuffer bytes, DType dtype, @Nullable Object owner) {
            this.bytes = bytes;
            this.dtype = dtype;
            this.owner = owner;
            this.shift = dtype == DType.F32 ? 2 : 1;
        }

        @Override public DType dtype() { return dtype; }
        @Override public long size() { return bytes.capacity() >> shift; }

        @Override
        public float getFloat(long i) {
            int at = (int) i << shift;
            switch (dtype) {
                case F32: return bytes.getFloat(at);
                case BF16: return DType.bf16ToFloat(bytes.getShort(at));
                default: return DType.f16ToFloat(bytes.getShort(at));
            }
        }

        @Override
        public void setFloat(long i, float x) {
            int at = (int) i << shift;
            switch (dtype) {
                case F32: bytes.putFloat(at, x); break;
                case BF16: bytes.putShort(at, DType.floatToBf16(x)); break;
                default: bytes.putShort(at, DType.floatToF16(x)); break;
            }
        }

        @Override short getBits16(long i) { return bytes.getShort((int) i << 1); }

        @Override
        public ByteBuffer byteBufferOrNull() {
            return bytes.duplicate().order(bytes.order());
        }
    }
}
