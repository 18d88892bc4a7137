package org.attention4j.cuda;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;

import java.lang.ref.Cleaner;
import org.bytedeco.javacpp.Pointer;

/**
 * Device memory freed deterministically by {@link #close()} (use try-with-resources), and by a cleaner as
 * the last resort when a buffer becomes unreachable without being closed.
 */
public final class DeviceBuffer implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Pointer pointer;
    private final long bytes;
    private final Cleaner.Cleanable cleanable;

    private DeviceBuffer(Pointer pointer, long bytes) {
        this.pointer = pointer;
        this.bytes = bytes;
        this.cleanable = CLEANER.register(this, new Free(pointer));
    }

    /** Allocates {@code bytes} (at least 1) of device memory. */
    public static DeviceBuffer allocate(long bytes) {
        Pointer p = new Pointer();
        CudaRuntime.check(cudaMalloc(p, Math.max(1, bytes)), "cudaMalloc(" + bytes + " bytes)");
        return new DeviceBuffer(p, bytes);
    }

    /** The device pointer (valid until {@link #close()}). */
    public Pointer pointer() {
        if (pointer.isNull()) {
            throw new IllegalStateException("device buffer already closed");
        }
        return pointer;
    }

    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        cleanable.clean();
    }

    private static final class Free implements Runnable {
        private final Pointer p;

        Free(Pointer p) {
            this.p = p;
        }

        @Override
        public void run() {
            if (!p.isNull()) {
                cudaFree(p);
                p.setNull();
            }
        }
    }
}
