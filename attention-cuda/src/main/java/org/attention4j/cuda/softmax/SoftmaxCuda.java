package org.attention4j.cuda.softmax;

import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

import org.attention4j.DType;
import org.attention4j.MaskedSoftmaxOp;
import org.attention4j.cuda.CudaRuntime;
import org.attention4j.cuda.CudaTensor;
import org.attention4j.cuda.DeviceBuffer;
import org.attention4j.cuda.global.attention4j;
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
        try (DeviceBuffer alibi = slopes == null ? null : upload(slopes);
             DeviceBuffer start = keyStart == null ? null : upload(keyStart);
             DeviceBuffer end = keyEnd == null ? null : upload(keyEnd)) {
            Pointer alibiP = alibi == null ? null : alibi.pointer();
            long alibiStride = op.alibiPerBatch() ? h : 0;
            int wl = op.windowLeft(), wr = op.windowRight();
            int causal = wl < 0 && wr == 0 ? 1 : 0;
            IntPointer startP = start == null ? null : new IntPointer(start.pointer());
            IntPointer endP = end == null ? null : new IntPointer(end.pointer());
            FloatPointer lseP = lse == null ? null : new FloatPointer(lse.pointer());
            FloatPointer alibiF = alibiP == null ? null : new FloatPointer(alibiP);
            long[] qs = q.strides(), ks = k.strides(), vs = v.strides(), os = out.strides();
            int status;
            if (useDecode(sq, h, hkv, sk)) {
                long wsBytes = decodeWorkspaceBytes(q.dtype(), mode, b, sq, sk, h, hkv, d, dv);
                DeviceBuffer ws = wsBytes == 0 ? null : workspace(wsBytes);
                status = attention4j.a4j_softmax_decode(dtypeCode(q.dtype()), modeCode(mode),
                        q.pointer(), qs[0], qs[1], qs[2], k.pointer(), ks[0], ks[1], ks[2], v.pointer(), vs[0], vs[1], vs[2],
                        out.pointer(), os[0], os[1], os[2], lseP, b, sq, sk, h, hkv, d, dv,
                        (float) op.scale(d), (float) op.softcap(), causal, wl, wr, alibiF, alibiStride, startP, endP,
                        0, ws == null ? null : ws.pointer(), wsBytes, null);
                CudaRuntime.checkNative(status, "a4j_softmax_decode");
            } else {
                status = attention4j.a4j_softmax_forward(dtypeCode(q.dtype()), modeCode(mode),
                        q.pointer(), qs[0], qs[1], qs[2], k.pointer(), ks[0], ks[1], ks[2], v.pointer(), vs[0], vs[1], vs[2],
                        out.pointer(), os[0], os[1], os[2], lseP, b, sq, sk, h, hkv, d, dv,
                        (float) op.scale(d), (float) op.softcap(), causal, wl, wr, alibiF, alibiStride, startP, endP, null);
                CudaRuntime.checkNative(status, "a4j_softmax_forward");
            }
            if (alibi != null || start != null || end != null) {
                // Inputs uploaded here are freed on return: finish the kernels that read them first.
                CudaRuntime.check(org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize");
            }
        }
    }

    /**
     * Split-KV partials live in a per-thread buffer that only grows: a decode step then pays no allocation
     * (kernels of one thread run in order on the default stream, so reuse is safe).
     */
    private static final ThreadLocal<DeviceBuffer> WORKSPACE = new ThreadLocal<>();

    private static DeviceBuffer workspace(long bytes) {
        DeviceBuffer ws = WORKSPACE.get();
        if (ws == null || ws.bytes() < bytes) {
            if (ws != null) {
                CudaRuntime.check(org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize");
                ws.close();
            }
            ws = DeviceBuffer.allocate(Math.max(bytes, 1L << 20));
            WORKSPACE.set(ws);
        }
        return ws;
    }

    private static long decodeWorkspaceBytes(DType dt, Fp32Mode mode, int b, int sq, int sk, int h, int hkv, int d, int dv) {
        try (SizeTPointer bytes = new SizeTPointer(1); IntPointer splits = new IntPointer(1)) {
            CudaRuntime.checkNative(attention4j.a4j_softmax_decode_workspace_size(dtypeCode(dt), modeCode(mode), b, sq, sk, h, hkv,
                    d, dv, 0, bytes, splits), "a4j_softmax_decode_workspace_size");
            return bytes.get();
        }
    }

    private static DeviceBuffer upload(float[] a) {
        try (FloatPointer p = new FloatPointer(a)) {
            return upload(p, 4L * a.length);
        }
    }

    private static DeviceBuffer upload(int[] a) {
        try (IntPointer p = new IntPointer(a)) {
            return upload(p, 4L * a.length);
        }
    }

    private static DeviceBuffer upload(Pointer host, long bytes) {
        DeviceBuffer buf = DeviceBuffer.allocate(bytes);
        try {
            CudaRuntime.check(cudaMemcpy(buf.pointer(), host, bytes, cudaMemcpyHostToDevice), "cudaMemcpy H2D");
        } catch (RuntimeException e) {
            buf.close();
            throw e;
        }
        return buf;
    }
}
