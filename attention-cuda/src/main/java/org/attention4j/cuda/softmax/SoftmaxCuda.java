package org.attention4j.cuda.softmax;

import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

import org.attention4j.DType;
import org.attention4j.MaskedSoftmaxOp;
import org.attention4j.cuda.CudaRuntime;
import org.attention4j.cuda.CudaTensor;
import org.attention4j.cuda.DeviceBuffer;
import org.attention4j.cuda.global.attention4j;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Host side of the fused softmax-family kernels: fills the C ABI's arguments from a validated operator
 * and device tensors. Callers validate shapes first (nothing unchecked crosses JNI).
 */
public final class SoftmaxCuda {
    /** fp32 inputs: exact FFMA path (default), TF32 tensor cores, or bf16 tensor cores (both opt-in). */
    public enum Fp32Mode { EXACT, TF32, BF16 }

    private SoftmaxCuda() {
    }

    static int dtypeCode(DType d) {
        switch (d) {
            case F16: return attention4j.A4J_F16;
            case BF16: return attention4j.A4J_BF16;
            default: return attention4j.A4J_F32;
        }
    }

    static int modeCode(Fp32Mode m) {
        switch (m) {
            case TF32: return attention4j.A4J_COMPUTE_TF32;
            case BF16: return attention4j.A4J_COMPUTE_BF16;
            default: return attention4j.A4J_COMPUTE_EXACT;
        }
    }

    /**
     * Whether the split-KV decode kernel should serve this call: few query rows per kv head against a long
     * key range, where one CTA per (batch, head) would leave most SMs idle.
     */
    static boolean useDecode(int sq, int heads, int kvHeads, int sk) {
        return (long) sq * (heads / kvHeads) <= 64 && sk >= 256;
    }

    /**
     * Runs {@code out = softmax-attention(q, k, v)} on the default stream (asynchronous). {@code lse} is null
     * or F32 {@code [B, H, Sq]}; key ranges are null or length B.
     */
    public static void run(MaskedSoftmaxOp op, CudaTensor q, CudaTensor k, CudaTensor v, CudaTensor out, CudaTensor lse,
            int[] keyStart, int[] keyEnd, Fp32Mode mode) {
        int b = (int) q.size(0), sq = (int) q.size(1), h = (int) q.size(2), d = (int) q.size(3);
        int sk = (int) k.size(1), hkv = (int) k.size(2), dv = (int) v.size(3);
        float[] slopes = op.alibiSlopes();
        CallArgs args = CallArgs.upload(slopes, keyStart, keyEnd);
        long alibiStride = op.alibiPerBatch() ? h : 0;
        int wl = op.windowLeft(), wr = op.windowRight();
        int causal = wl < 0 && wr == 0 ? 1 : 0;
        long[] qs = q.strides(), ks = k.strides(), vs = v.strides(), os = out.strides();
        FloatPointer lseP = lse == null ? null : new FloatPointer(lse.pointer());
        int status;
        if (useDecode(sq, h, hkv, sk)) {
            long wsBytes = decodeWorkspaceBytes(q.dtype(), mode, b, sq, sk, h, hkv, d, dv);
            DeviceBuffer ws = wsBytes == 0 ? null : workspace(wsBytes);
            status = attention4j.a4j_softmax_decode(dtypeCode(q.dtype()), modeCode(mode),
                    q.pointer(), qs[0], qs[1], qs[2], k.pointer(), ks[0], ks[1], ks[2], v.pointer(), vs[0], vs[1], vs[2],
                    out.pointer(), os[0], os[1], os[2], lseP, b, sq, sk, h, hkv, d, dv,
                    (float) op.scale(d), (float) op.softcap(), causal, wl, wr, args.alibi, alibiStride, args.keyStart,
                    args.keyEnd, 0, ws == null ? null : ws.pointer(), wsBytes, null);
            CudaRuntime.checkNative(status, "a4j_softmax_decode");
        } else {
            status = attention4j.a4j_softmax_forward(dtypeCode(q.dtype()), modeCode(mode),
                    q.pointer(), qs[0], qs[1], qs[2], k.pointer(), ks[0], ks[1], ks[2], v.pointer(), vs[0], vs[1], vs[2],
                    out.pointer(), os[0], os[1], os[2], lseP, b, sq, sk, h, hkv, d, dv,
                    (float) op.scale(d), (float) op.softcap(), causal, wl, wr, args.alibi, alibiStride, args.keyStart,
                    args.keyEnd, null);
            CudaRuntime.checkNative(status, "a4j_softmax_forward");
        }
    }

    /**
     * The small per-call inputs (ALiBi slopes, per-batch key ranges) live in a per-thread device buffer
     * that only grows, filled by an asynchronous copy on the default stream. A decode step then pays no
     * allocation and no synchronization: the copy is ordered after the kernels of this thread's previous
     * call that read the buffer, and a pageable source is staged before cudaMemcpyAsync returns.
     */
    private static final ThreadLocal<DeviceBuffer> ARGS = new ThreadLocal<>();
    /** The host side of {@link #ARGS}: reused, since the copy has staged it before cudaMemcpyAsync returns. */
    private static final ThreadLocal<BytePointer> ARGS_HOST = new ThreadLocal<>();

    private static final class CallArgs {
        static final CallArgs NONE = new CallArgs(null, null, null);
        final FloatPointer alibi;
        final IntPointer keyStart, keyEnd;

        private CallArgs(FloatPointer alibi, IntPointer keyStart, IntPointer keyEnd) {
            this.alibi = alibi;
            this.keyStart = keyStart;
            this.keyEnd = keyEnd;
        }

        /** Sections of 16-byte aligned size: slopes, then key starts, then key ends. */
        static CallArgs upload(float[] slopes, int[] keyStart, int[] keyEnd) {
            if (slopes == null && keyStart == null && keyEnd == null) {
                return NONE;
            }
            long aBytes = align16(slopes == null ? 0 : 4L * slopes.length);
            long sBytes = align16(keyStart == null ? 0 : 4L * keyStart.length);
            long eBytes = align16(keyEnd == null ? 0 : 4L * keyEnd.length);
            long total = aBytes + sBytes + eBytes;
            DeviceBuffer dev = grown(ARGS, total, 4096);
            BytePointer host = ARGS_HOST.get();
            if (host == null || host.capacity() < total) {
                if (host != null) {
                    host.close();
                }
                host = new BytePointer(Math.max(total, 4096));
                ARGS_HOST.set(host);
            }
            if (slopes != null) {
                new FloatPointer(host).put(slopes);
            }
            // Positions count elements of the pointer's type: the sections start at 16-byte multiples.
            if (keyStart != null) {
                new IntPointer(host).position(aBytes / 4).put(keyStart);
            }
            if (keyEnd != null) {
                new IntPointer(host).position((aBytes + sBytes) / 4).put(keyEnd);
            }
            CudaRuntime.check(cudaMemcpyAsync(dev.pointer(), host, total, cudaMemcpyHostToDevice, (CUstream_st) null),
                    "cudaMemcpyAsync H2D (call arguments)");
            Pointer d = dev.pointer();
            return new CallArgs(
                    slopes == null ? null : new FloatPointer(d),
                    keyStart == null ? null : new IntPointer(d).position(aBytes / 4),
                    keyEnd == null ? null : new IntPointer(d).position((aBytes + sBytes) / 4));
        }

        private static long align16(long n) {
            return (n + 15) & ~15L;
        }
    }

    /**
     * Split-KV partials live in a per-thread buffer that only grows: a decode step then pays no allocation
     * (kernels of one thread run in order on the default stream, so reuse is safe).
     */
    private static final ThreadLocal<DeviceBuffer> WORKSPACE = new ThreadLocal<>();

    private static DeviceBuffer workspace(long bytes) {
        return grown(WORKSPACE, bytes, 1L << 20);
    }

    /** This thread's buffer of {@code slot}, replaced by one of at least {@code bytes} (and {@code min}) when smaller. */
    private static DeviceBuffer grown(ThreadLocal<DeviceBuffer> slot, long bytes, long min) {
        DeviceBuffer buf = slot.get();
        if (buf == null || buf.bytes() < bytes) {
            if (buf != null) {
                // Earlier kernels of this thread may still use the old buffer.
                CudaRuntime.check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
                buf.close();
            }
            buf = DeviceBuffer.allocate(Math.max(bytes, min));
            slot.set(buf);
        }
        return buf;
    }

    /** Out-parameters of the workspace query, one pair per thread (no native allocation per decode step). */
    private static final ThreadLocal<SizeTPointer> WS_BYTES = ThreadLocal.withInitial(() -> new SizeTPointer(1));
    private static final ThreadLocal<IntPointer> WS_SPLITS = ThreadLocal.withInitial(() -> new IntPointer(1));

    private static long decodeWorkspaceBytes(DType dt, Fp32Mode mode, int b, int sq, int sk, int h, int hkv, int d, int dv) {
        SizeTPointer bytes = WS_BYTES.get();
        CudaRuntime.checkNative(attention4j.a4j_softmax_decode_workspace_size(dtypeCode(dt), modeCode(mode), b, sq, sk, h, hkv,
                d, dv, 0, bytes, WS_SPLITS.get()), "a4j_softmax_decode_workspace_size");
        return bytes.get();
    }
}
