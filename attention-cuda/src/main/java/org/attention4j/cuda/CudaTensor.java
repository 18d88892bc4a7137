package org.attention4j.cuda;

import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

import java.util.Arrays;
import org.attention4j.DType;
import org.attention4j.Tensor;
import org.attention4j.internal.Checks;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * A contiguous row-major tensor in CUDA device memory. Users who keep q, k and v on the GPU call
 * {@link CudaAttention} with these and pay no copies between calls. Close it (try-with-resources) to free
 * the memory at once; a cleaner frees it otherwise.
 */
public final class CudaTensor implements AutoCloseable {
    private final DType dtype;
    private final long[] shape;
    private final DeviceBuffer buffer;

    private CudaTensor(DType dtype, long[] shape, DeviceBuffer buffer) {
        this.dtype = dtype;
        this.shape = shape;
        this.buffer = buffer;
    }

    /** Uninitialized device memory for a tensor of this dtype and shape. */
    public static CudaTensor allocate(DType dtype, long... shape) {
        Checks.notNull(dtype, "dtype");
        Checks.notNull(shape, "shape");
        long n = 1;
        for (int d = 0; d < shape.length; d++) {
            Checks.check(shape[d] >= 0, "shape[" + d + "]", "a non-negative extent", shape[d]);
            n = Math.multiplyExact(n, shape[d]);
        }
        return new CudaTensor(dtype, shape.clone(), DeviceBuffer.allocate(n * dtype.byteSize()));
    }

    /** A device copy of a host tensor (any strides; the device copy is contiguous, same dtype). */
    public static CudaTensor copyOf(Tensor host) {
        Checks.notNull(host, "host");
        CudaTensor t = allocate(host.dtype(), host.shape());
        try {
            t.copyFrom(host);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** Copies a host tensor of the same dtype and shape into this device tensor. */
    public void copyFrom(Tensor host) {
        Checks.notNull(host, "host");
        if (!Arrays.equals(host.shape(), shape)) {
            throw Checks.mismatch("host", "shape " + Arrays.toString(shape), Arrays.toString(host.shape()));
        }
        Checks.check(host.dtype() == dtype, "host", "dtype " + dtype, host.dtype());
        Tensor c = host.contiguous();
        long n = numel();
        if (n == 0) return;
        Pointer src;
        if (dtype == DType.F32) {
            float[] a = c.storage().floatArrayOrNull();
            src = a != null ? new FloatPointer(n).put(a, (int) c.offset(), (int) n) : new FloatPointer(c.toFloatArray());
        } else {
            short[] a = c.storage().shortArrayOrNull();
            if (a == null) {
                Tensor h = Tensor.zeros(dtype, shape);
                h.copyFrom(c.toFloatArray());
                a = h.storage().shortArrayOrNull();
                src = new ShortPointer(a);
            } else {
                src = new ShortPointer(n).put(a, (int) c.offset(), (int) n);
            }
        }
        try {
            CudaRuntime.check(cudaMemcpy(buffer.pointer(), src, n * dtype.byteSize(), cudaMemcpyHostToDevice), "cudaMemcpy H2D");
        } finally {
            src.close();
        }
    }

    /** A new host tensor holding this tensor's elements (synchronizes with the default stream). */
    public Tensor toHost() {
        Tensor out = Tensor.zeros(dtype, shape);
        long n = numel();
        if (n == 0) return out;
        if (dtype == DType.F32) {
            try (FloatPointer dst = new FloatPointer(n)) {
                CudaRuntime.check(cudaMemcpy(dst, buffer.pointer(), n * 4, cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
                dst.get(out.storage().floatArrayOrNull());
            }
        } else {
            try (ShortPointer dst = new ShortPointer(n)) {
                CudaRuntime.check(cudaMemcpy(dst, buffer.pointer(), n * 2, cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
                dst.get(out.storage().shortArrayOrNull());
            }
        }
        return out;
    }

    /** Sets every byte to 0xFF: NaN in F32, F16 and BF16 alike. */
    public void fillNaN() {
        CudaRuntime.check(org.bytedeco.cuda.global.cudart.cudaMemset(buffer.pointer(), 0xFF, numel() * dtype.byteSize()), "cudaMemset");
    }

    public DType dtype() { return dtype; }

    public long[] shape() { return shape.clone(); }

    public long size(int dim) { return shape[dim < 0 ? dim + shape.length : dim]; }

    public int rank() { return shape.length; }

    public long numel() {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    /** Row-major strides in elements. */
    public long[] strides() {
        return Tensor.contiguousStrides(shape);
    }

    /** The device pointer (for interop with other CUDA libraries on the same runtime). */
    public Pointer pointer() {
        return buffer.pointer();
    }

    @Override
    public void close() {
        buffer.close();
    }

    @Override
    public String toString() {
        return "CudaTensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
