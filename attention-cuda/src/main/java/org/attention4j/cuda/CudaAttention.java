package org.attention4j.cuda;

import java.lang.System.Logger.Level;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.attention4j.DType;
import org.attention4j.SoftmaxFamilyOp;
import org.attention4j.Tensor;
import org.attention4j.VerifyPolicy;
import org.attention4j.cuda.softmax.SoftmaxCuda;
import org.attention4j.internal.Checks;
import org.attention4j.internal.Dispatcher;
import org.attention4j.internal.Verifier;
import org.attention4j.reference.ReferenceBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * The device-resident entry point: the same operators as the facade, on {@link CudaTensor}s that stay on
 * the GPU between calls (no host copies). The first call per (operator config, shape class) is still
 * verified against the reference on sampled rows (copying the inputs to the host once); a mismatch logs a
 * warning and the reference's answer is returned instead, as the dispatcher does for host tensors.
 */
public final class CudaAttention {
    private static final System.Logger LOG = System.getLogger("org.attention4j");
    private static final ConcurrentMap<String, Boolean> TRUSTED = new ConcurrentHashMap<>();
    private static final ReferenceBackend ORACLE = new ReferenceBackend();
    private static final SplittableRandom SEEDS = new SplittableRandom();

    /** Output and LSE on the device. */
    public record Output(CudaTensor output, CudaTensor lse) implements AutoCloseable {
        @Override
        public void close() {
            output.close();
            if (lse != null) lse.close();
        }
    }

    private CudaAttention() {
    }

    /** {@code [B, Sq, H, Dv]} on the device, fp32 inputs computed exactly. */
    public static CudaTensor forward(SoftmaxFamilyOp op, CudaTensor q, CudaTensor k, CudaTensor v) {
        return run(op, q, k, v, null, null, false, SoftmaxCuda.Fp32Mode.EXACT).output();
    }

    /**
     * As {@link #forward(SoftmaxFamilyOp, CudaTensor, CudaTensor, CudaTensor)} with an explicit fp32 mode:
     * {@code TF32} or {@code BF16} trade accuracy (about 1e-3 and 1e-2 relative) for tensor-core speed.
     * Reduced-precision results are checked with the tolerance of the precision asked for.
     */
    public static CudaTensor forward(SoftmaxFamilyOp op, CudaTensor q, CudaTensor k, CudaTensor v, SoftmaxCuda.Fp32Mode mode) {
        return run(op, q, k, v, null, null, false, Checks.notNull(mode, "mode")).output();
    }

    /** Output and LSE {@code [B, H, Sq]} (F32) on the device. */
    public static Output forwardWithLse(SoftmaxFamilyOp op, CudaTensor q, CudaTensor k, CudaTensor v) {
        return run(op, q, k, v, null, null, true, SoftmaxCuda.Fp32Mode.EXACT);
    }

    /**
     * Decode against a device KV cache {@code [B, capacity, Hkv, D]}: batch {@code b} sees cache rows
     * {@code keyStart[b] <= j < keyEnd[b]} ({@code keyStart} nullable), aligned bottom-right (spec 1.5);
     * long caches are split across the GPU and merged exactly.
     */
    public static Output decode(SoftmaxFamilyOp op, CudaTensor q, CudaTensor kCache, CudaTensor vCache, int[] keyStart, int[] keyEnd) {
        Checks.notNull(keyEnd, "keyEnd");
        return run(op, q, kCache, vCache, keyStart, keyEnd, true, SoftmaxCuda.Fp32Mode.EXACT);
    }

    private static Output run(SoftmaxFamilyOp op, CudaTensor q, CudaTensor k, CudaTensor v, int[] keyStart, int[] keyEnd,
            boolean lse, SoftmaxCuda.Fp32Mode mode) {
        Checks.notNull(op, "op");
        Checks.notNull(q, "q");
        Checks.notNull(k, "k");
        Checks.notNull(v, "v");
        Checks.qkv(q.shape(), q.dtype(), k.shape(), k.dtype(), v.shape(), v.dtype(), false);
        int b = (int) q.size(0), sq = (int) q.size(1), h = (int) q.size(2);
        float[] slopes = op.alibiSlopes();
        if (slopes != null) {
            int expected = op.alibiPerBatch() ? b * h : h;
            Checks.check(slopes.length == expected, "alibiSlopes", (op.alibiPerBatch() ? "[B, H] = " : "[H] = ") + expected + " slopes",
                    slopes.length + " slopes");
        }
        Checks.keyRanges(keyStart, keyEnd, b, (int) k.size(1));
        Support avail = CudaRuntime.status();
        if (!avail.supported()) {
            throw new UnsupportedOperationException("CUDA backend unavailable: " + avail.reason());
        }
        Support s = CudaBackend.supportsShape((int) q.size(3), (int) v.size(3));
        if (!s.supported()) {
            throw new UnsupportedOperationException("CUDA backend cannot run " + op + ": " + s.reason());
        }
        CudaTensor out = CudaTensor.allocate(q.dtype(), b, sq, h, v.size(3));
        CudaTensor l = null;
        try {
            // The LSE is always produced: the verifier checks it on first use.
            l = CudaTensor.allocate(DType.F32, b, h, sq);
            SoftmaxCuda.run(op, q, k, v, out, l, keyStart, keyEnd, mode);
            verifyOnFirstUse(op, q, k, v, keyStart, keyEnd, out, l, mode);
            if (!lse) {
                l.close();
                l = null;
            }
            return new Output(out, l);
        } catch (RuntimeException e) {
            out.close();
            if (l != null) l.close();
            throw e;
        }
    }

    private static void verifyOnFirstUse(SoftmaxFamilyOp op, CudaTensor q, CudaTensor k, CudaTensor v, int[] keyStart, int[] keyEnd,
            CudaTensor out, CudaTensor lse, SoftmaxCuda.Fp32Mode mode) {
        VerifyPolicy policy = op.verifyPolicy();
        if (policy == null) {
            String prop = System.getProperty(Dispatcher.VERIFY_PROPERTY);
            policy = prop == null || prop.isBlank() ? VerifyPolicy.ON_FIRST_USE : VerifyPolicy.parse(prop);
        }
        String key = op.config() + "|" + mode + "|" + Verifier.shapeClass(q.dtype(), q.shape(), k.shape(), v.shape(), keyEnd != null, true);
        if (policy == VerifyPolicy.OFF || (policy == VerifyPolicy.ON_FIRST_USE && TRUSTED.containsKey(key))) {
            return;
        }
        Tensor qh = q.toHost(), kh = k.toHost(), vh = v.toHost();
        // Reduced-precision modes are judged as if their inputs were of that precision.
        Tensor qr = mode == SoftmaxCuda.Fp32Mode.BF16 ? qh.to(DType.BF16).to(DType.F32) : qh;
        AttentionCall call = AttentionCall.builder(op, qr, kh, vh).keyRange(keyStart, keyEnd).needLse(true).build();
        AttentionResult got = new AttentionResult(out.toHost(), lse.toHost(), null, null);
        String err;
        synchronized (SEEDS) {
            err = Verifier.verify(call, got, ORACLE, SEEDS.split(), mode == SoftmaxCuda.Fp32Mode.EXACT ? q.dtype()
                    : mode == SoftmaxCuda.Fp32Mode.TF32 ? DType.F16 : DType.BF16);
        }
        if (err == null) {
            TRUSTED.put(key, Boolean.TRUE);
            return;
        }
        LOG.log(Level.WARNING, "attention4j CUDA kernel disagrees with the reference on {0}: {1}; answering with the reference", op, err);
        AttentionResult ref = ORACLE.forward(AttentionCall.builder(op, qh, kh, vh).keyRange(keyStart, keyEnd).needLse(true).build());
        out.copyFrom(ref.output());
        lse.copyFrom(ref.lse());
    }
}
