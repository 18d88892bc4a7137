package org.attention4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.attention4j.internal.Checks;

/**
 * A strided view over host {@link Storage}: dtype, shape and strides in elements, and an offset.
 *
 * <p>The view's metadata is immutable; the elements are not (outputs are written in place, like a Java
 * array). Logical layout of attention inputs is {@code [B, S, H, D]}; a {@code [B, H, S, D]} tensor is
 * the same storage seen through {@link #permute(int...)}, not a copy.
 *
 * <p>Factories and methods taking a shape or an index come in {@code long...} and {@code int...} forms so
 * that Kotlin {@code Int} and Scala {@code Int} values pass without conversion.
 */
public final class Tensor {
    private final Storage storage;
    private final long[] shape;
    private final long[] strides;
    private final long offset;

    private Tensor(Storage storage, long[] shape, long[] strides, long offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    // ---------------------------------------------------------------- creation

    /** An F32 contiguous row-major tensor over {@code data} (no copy). The length must equal the shape's product. */
    public static Tensor of(float[] data, long... shape) {
        Checks.notNull(data, "data");
        long n = checkShape(shape);
        if (data.length != n) {
            throw Checks.mismatch("data", "length " + n + " (product of shape " + Arrays.toString(shape) + ")",
                    "length " + data.length);
        }
        return new Tensor(new Storage.F32(data), shape.clone(), contiguousStrides(shape), 0);
    }

    /** An F16 tensor over IEEE binary16 bit patterns (no copy). */
    public static Tensor ofF16(short[] bits, long... shape) {
        return ofHalf(DType.F16, bits, shape);
    }

    /** A BF16 tensor over bfloat16 bit patterns (no copy). */
    public static Tensor ofBF16(short[] bits, long... shape) {
        return ofHalf(DType.BF16, bits, shape);
    }

    private static Tensor ofHalf(DType dtype, short[] bits, long[] shape) {
        Checks.notNull(bits, "bits");
        long n = checkShape(shape);
        if (bits.length != n) {
            throw Checks.mismatch("bits", "length " + n + " (product of shape " + Arrays.toString(shape) + ")",
                    "length " + bits.length);
        }
        return new Tensor(new Storage.Half(dtype, bits), shape.clone(), contiguousStrides(shape), 0);
    }

    /** {@link #of(float[], long...)} with an {@code int} shape. */
    public static Tensor of(float[] data, int... shape) {
        return of(data, widen(shape, "shape"));
    }

    /** {@link #ofF16(short[], long...)} with an {@code int} shape. */
    public static Tensor ofF16(short[] bits, int... shape) {
        return ofF16(bits, widen(shape, "shape"));
    }

    /** {@link #ofBF16(short[], long...)} with an {@code int} shape. */
    public static Tensor ofBF16(short[] bits, int... shape) {
        return ofBF16(bits, widen(shape, "shape"));
    }

    /**
     * A contiguous row-major tensor over {@code buffer}'s bytes from its position to its limit, without
     * copying: the elements stay where the buffer keeps them (off the Java heap for a direct or mapped
     * buffer). Elements are read in the buffer's byte order as it is now (see {@link Storage#of}); the
     * remaining bytes must be exactly {@code product(shape) * dtype.byteSize()}.
     */
    public static Tensor of(ByteBuffer buffer, DType dtype, long... shape) {
        Checks.notNull(buffer, "buffer");
        Checks.notNull(dtype, "dtype");
        long n = checkShape(shape);
        long bytes = n * dtype.byteSize();
        if (buffer.remaining() != bytes) {
            throw Checks.mismatch("buffer", bytes + " remaining bytes (" + n + " " + dtype + " elements of shape "
                    + Arrays.toString(shape) + ")", buffer.remaining() + " bytes");
        }
        return new Tensor(Storage.of(buffer, dtype), shape.clone(), contiguousStrides(shape), 0);
    }

    /** {@link #of(ByteBuffer, DType, long...)} with an {@code int} shape. */
    public static Tensor of(ByteBuffer buffer, DType dtype, int... shape) {
        return of(buffer, dtype, widen(shape, "shape"));
    }

    /**
     * A new zero-filled contiguous tensor in off-heap memory (a direct buffer in the platform's byte order),
     * for inputs too large to keep on the Java heap. At most {@code Integer.MAX_VALUE} bytes (one buffer).
     */
    public static Tensor allocateDirect(DType dtype, long... shape) {
        Checks.notNull(dtype, "dtype");
        long n = checkShape(shape);
        long bytes = n * dtype.byteSize();
        if (bytes > Integer.MAX_VALUE) {
            throw Checks.mismatch("shape", "at most " + Integer.MAX_VALUE + " bytes in one direct buffer",
                    bytes + " bytes for " + dtype + " " + Arrays.toString(shape));
        }
        ByteBuffer buffer = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
        return of(buffer, dtype, shape);
    }

    /** {@link #allocateDirect(DType, long...)} with an {@code int} shape. */
    public static Tensor allocateDirect(DType dtype, int... shape) {
        return allocateDirect(dtype, widen(shape, "shape"));
    }

    /** A new zero-filled contiguous tensor. */
    public static Tensor zeros(DType dtype, long... shape) {
        Checks.notNull(dtype, "dtype");
        long n = checkShape(shape);
        return new Tensor(Storage.allocate(dtype, n), shape.clone(), contiguousStrides(shape), 0);
    }

    /** {@link #zeros(DType, long...)} with an {@code int} shape. */
    public static Tensor zeros(DType dtype, int... shape) {
        return zeros(dtype, widen(shape, "shape"));
    }

    /** A new contiguous tensor of {@code dtype} holding {@code data} rounded to that type. */
    public static Tensor fromFloats(DType dtype, float[] data, long... shape) {
        Checks.notNull(data, "data");
        Tensor t = zeros(dtype, shape);
        if (data.length != t.numel()) {
            throw Checks.mismatch("data", "length " + t.numel(), "length " + data.length);
        }
        for (int i = 0; i < data.length; i++) {
            t.storage.setFloat(i, data[i]);
        }
        return t;
    }

    /** {@link #fromFloats(DType, float[], long...)} with an {@code int} shape. */
    public static Tensor fromFloats(DType dtype, float[] data, int... shape) {
        return fromFloats(dtype, data, widen(shape, "shape"));
    }

    /** A view with explicit strides and offset over an existing storage (for backends and interop). */
    public static Tensor view(Storage storage, long offset, long[] shape, long[] strides) {
        Checks.notNull(storage, "storage");
        checkShape(shape);
        Checks.notNull(strides, "strides");
        if (strides.length != shape.length) {
            throw Checks.mismatch("strides", "length " + shape.length, "length " + strides.length);
        }
        long lo = offset, hi = offset;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) {
                lo = hi = offset;
                break;
            }
            long span = (shape[d] - 1) * strides[d];
            if (span < 0) lo += span; else hi += span;
        }
        if (lo < 0 || hi >= Math.max(storage.size(), 1) && numelOf(shape) > 0) {
            throw Checks.mismatch("strides", "a view inside storage of size " + storage.size(),
                    "elements " + lo + ".." + hi);
        }
        return new Tensor(storage, shape.clone(), strides.clone(), offset);
    }

    // ---------------------------------------------------------------- metadata

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    /** Extent of dimension {@code dim}; negative indices count from the end. */
    public long size(int dim) {
        return shape[normDim(dim)];
    }

    /** {@link #size(int)} as an int, for kernels. */
    public int dim(int dim) {
        return Math.toIntExact(shape[normDim(dim)]);
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** A copy of the strides, in elements. */
    public long[] strides() {
        return strides.clone();
    }

    /** Stride of dimension {@code dim}, in elements. */
    public long stride(int dim) {
        return strides[normDim(dim)];
    }

    /** Offset of the first element in the storage, in elements. */
    public long offset() {
        return offset;
    }

    /** The element type. */
    public DType dtype() {
        return storage.dtype();
    }

    /** The storage behind this view. */
    public Storage storage() {
        return storage;
    }

    /** Product of the shape. */
    public long numel() {
        return numelOf(shape);
    }

    /** Whether this view is row-major contiguous from its offset. */
    public boolean isContiguous() {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    // ---------------------------------------------------------------- element access

    /** Storage index of a logical index. */
    public long index(long... idx) {
        if (idx.length != shape.length) {
            throw Checks.mismatch("idx", "rank " + shape.length, "rank " + idx.length);
        }
        long p = offset;
        for (int d = 0; d < idx.length; d++) {
            if (idx[d] < 0 || idx[d] >= shape[d]) {
                throw new IndexOutOfBoundsException("idx[" + d + "] = " + idx[d] + " outside [0, " + shape[d] + ")");
            }
            p += idx[d] * strides[d];
        }
        return p;
    }

    /** Element at a logical index, widened to float. */
    public float get(long... idx) {
        return storage.getFloat(index(idx));
    }

    /** {@link #get(long...)} with an {@code int} index (also Kotlin's {@code t[b, s, h, d]}). */
    public float get(int... idx) {
        return get(widen(idx, "idx"));
    }

    /** Stores {@code x} at a logical index (rounded to the dtype). */
    public void set(float x, long... idx) {
        storage.setFloat(index(idx), x);
    }

    /** A new row-major float array of the logical elements (widened to float). */
    public float[] toFloatArray() {
        long n = numel();
        float[] out = new float[Math.toIntExact(n)];
        float[] heap = storage.floatArrayOrNull();
        if (heap != null && isContiguous()) {
            System.arraycopy(heap, (int) offset, out, 0, out.length);
            return out;
        }
        int rank = shape.length;
        long[] idx = new long[rank];
        long p = offset;
        for (int i = 0; i < out.length; i++) {
            out[i] = storage.getFloat(p);
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                p += strides[d];
                if (idx[d] < shape[d]) {
                    break;
                }
                p -= idx[d] * strides[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    /**
     * Writes {@code source}'s elements into this view (same shape, any dtypes and strides), rounding to this
     * dtype; returns this. Fills an {@link #allocateDirect off-heap} tensor from a heap one, for example.
     */
    public Tensor copyFrom(Tensor source) {
        Checks.notNull(source, "source");
        if (!Arrays.equals(source.shape, shape)) {
            throw Checks.mismatch("source", "shape " + Arrays.toString(shape), "shape " + Arrays.toString(source.shape));
        }
        copyFrom(source.toFloatArray());
        return this;
    }

    /** Writes {@code values} (row-major logical order) into this view, rounding to the dtype. */
    public void copyFrom(float[] values) {
        Checks.notNull(values, "values");
        if (values.length != numel()) {
            throw Checks.mismatch("values", "length " + numel(), "length " + values.length);
        }
        int rank = shape.length;
        long[] idx = new long[rank];
        long p = offset;
        for (int i = 0; i < values.length; i++) {
            storage.setFloat(p, values[i]);
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                p += strides[d];
                if (idx[d] < shape[d]) {
                    break;
                }
                p -= idx[d] * strides[d];
                idx[d] = 0;
            }
        }
    }

    // ---------------------------------------------------------------- views and copies

    /** A view with dimensions reordered: {@code permute(0, 2, 1, 3)} turns {@code [B,S,H,D]} into {@code [B,H,S,D]}. */
    public Tensor permute(int... dims) {
        Checks.notNull(dims, "dims");
        if (dims.length != shape.length) {
            throw Checks.mismatch("dims", "a permutation of " + shape.length + " dimensions", Arrays.toString(dims));
        }
        boolean[] seen = new boolean[dims.length];
        long[] ns = new long[dims.length];
        long[] nst = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = dims[i];
            if (d < 0 || d >= dims.length || seen[d]) {
                throw Checks.mismatch("dims", "a permutation of 0.." + (dims.length - 1), Arrays.toString(dims));
            }
            seen[d] = true;
            ns[i] = shape[d];
            nst[i] = strides[d];
        }
        return new Tensor(storage, ns, nst, offset);
    }

    /** A view with two dimensions swapped. */
    public Tensor transpose(int a, int b) {
        int[] p = new int[shape.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        a = normDim(a);
        b = normDim(b);
        p[a] = b;
        p[b] = a;
        return permute(p);
    }

    /** A view of {@code [start, end)} along {@code dim}. */
    public Tensor slice(int dim, long start, long end) {
        int d = normDim(dim);
        if (start < 0 || end < start || end > shape[d]) {
            throw Checks.mismatch("start/end", "0 <= start <= end <= " + shape[d], start + ", " + end);
        }
        long[] ns = shape.clone();
        ns[d] = end - start;
        return new Tensor(storage, ns, strides.clone(), offset + start * strides[d]);
    }

    /** {@link #slice(int, long, long)} with {@code int} bounds (Kotlin and Scala {@code Int}). */
    public Tensor slice(int dim, int start, int end) {
        return slice(dim, (long) start, (long) end);
    }

    /** A view with a new shape of the same element count; the tensor must be contiguous. */
    public Tensor reshape(long... newShape) {
        long n = checkShape(newShape);
        if (n != numel()) {
            throw Checks.mismatch("newShape", "element count " + numel(), Arrays.toString(newShape) + " (" + n + ")");
        }
        if (!isContiguous()) {
            throw Checks.mismatch("this", "a contiguous tensor (reshape never copies; call contiguous() first)",
                    "strides " + Arrays.toString(strides));
        }
        return new Tensor(storage, newShape.clone(), contiguousStrides(newShape), offset);
    }

    /** {@link #reshape(long...)} with an {@code int} shape. */
    public Tensor reshape(int... newShape) {
        return reshape(widen(newShape, "newShape"));
    }

    /** This tensor if contiguous, else a contiguous copy of the same dtype. */
    public Tensor contiguous() {
        return isContiguous() ? this : to(dtype(), true);
    }

    /** A contiguous copy converted to {@code target} (round to nearest even); {@code this} if already that dtype and contiguous. */
    public Tensor to(DType target) {
        Checks.notNull(target, "target");
        if (target == dtype() && isContiguous()) {
            return this;
        }
        return to(target, true);
    }

    /** A new contiguous copy (always a copy). */
    public Tensor copy() {
        return to(dtype(), true);
    }

    private Tensor to(DType target, boolean copy) {
        Tensor out = zeros(target, shape);
        float[] vals = toFloatArray();
        for (int i = 0; i < vals.length; i++) {
            out.storage.setFloat(i, vals[i]);
        }
        return out;
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype() + " " + Arrays.toString(shape) + (isContiguous() ? "" : " strides " + Arrays.toString(strides)) + "]";
    }

    // ---------------------------------------------------------------- helpers

    private int normDim(int dim) {
        int d = dim < 0 ? dim + shape.length : dim;
        if (d < 0 || d >= shape.length) {
            throw Checks.mismatch("dim", "in [" + -shape.length + ", " + shape.length + ")", String.valueOf(dim));
        }
        return d;
    }

    private static long[] widen(int[] xs, String arg) {
        Checks.notNull(xs, arg);
        long[] r = new long[xs.length];
        for (int i = 0; i < xs.length; i++) {
            r[i] = xs[i];
        }
        return r;
    }

    /** Row-major strides of {@code shape}. */
    public static long[] contiguousStrides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    private static long numelOf(long[] shape) {
        long n = 1;
        for (long x : shape) {
            n *= x;
        }
        return n;
    }

    private static long checkShape(long[] shape) {
        Checks.notNull(shape, "shape");
        long n = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0) {
                throw Checks.mismatch("shape[" + d + "]", "a non-negative extent", String.valueOf(shape[d]));
            }
            n = Math.multiplyExact(n, shape[d]);
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw Checks.mismatch("shape", "at most " + (Integer.MAX_VALUE - 8) + " elements for host storage",
                    n + " elements " + Arrays.toString(shape));
        }
        return n;
    }
}
