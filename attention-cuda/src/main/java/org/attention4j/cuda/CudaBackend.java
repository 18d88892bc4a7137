package org.attention4j.cuda;

import org.attention4j.DType;
import org.attention4j.Family;
import org.attention4j.MaskedSoftmaxOp;
import org.attention4j.cuda.softmax.SoftmaxCuda;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * Fused CUDA kernels from src-native. Host tensors are copied to the device and back for each call (use
 * {@link CudaAttention} with {@link CudaTensor}s to keep data on the GPU). Unavailable, with the probe's
 * reason, when there is no device, no runtime or no native library.
 */
public final class CudaBackend implements AttentionBackend {
    /** System property: fill outputs with NaN before each launch (GPU test runner). */
    public static final String POISON_PROPERTY = "attention4j.cuda.poison";

    /** Largest head dim the kernels instantiate. */
    static final int MAX_HEAD_DIM = 256;

    @Override public String name() { return "cuda"; }
    @Override public int priority() { return 300; }

    @Override
    public Support availability() {
        return CudaRuntime.status();
    }

    @Override
    public Support supports(AttentionCall call) {
        if (call.family() != Family.SOFTMAX && call.family() != Family.SLIDING_WINDOW) {
            return Support.no("no CUDA kernel for " + call.family() + " yet");
        }
        return supportsShape(call.headDim(), call.valueDim());
    }

    static Support supportsShape(int d, int dv) {
        if (d > MAX_HEAD_DIM || dv > MAX_HEAD_DIM) {
            return Support.no("head dims up to " + MAX_HEAD_DIM + " (got D = " + d + ", Dv = " + dv + ")");
        }
        return Support.yes();
    }

    @Override
    public AttentionResult forward(AttentionCall call) {
        MaskedSoftmaxOp op = (MaskedSoftmaxOp) call.op();
        DType dt = call.dtype();
        try (CudaTensor q = CudaTensor.copyOf(call.q());
             CudaTensor k = CudaTensor.copyOf(call.k());
             CudaTensor v = CudaTensor.copyOf(call.v());
             CudaTensor out = CudaTensor.allocate(dt, call.batch(), call.queryTokens(), call.heads(), call.valueDim());
             CudaTensor lse = call.needLse() ? CudaTensor.allocate(DType.F32, call.batch(), call.heads(), call.queryTokens()) : null) {
            if (Boolean.getBoolean(POISON_PROPERTY)) {
                // Test runners poison outputs so an element the kernel never writes shows up as NaN.
                out.fillNaN();
                if (lse != null) lse.fillNaN();
            }
            SoftmaxCuda.run(op, q, k, v, out, lse, call.keyStart(), call.keyEnd(), SoftmaxCuda.Fp32Mode.EXACT);
            return new AttentionResult(out.toHost(), lse == null ? null : lse.toHost(), null, null);
        }
    }
}
