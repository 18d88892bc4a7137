package org.attention4j.cuda.tools;

import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaEventCreate;
import static org.bytedeco.cuda.global.cudart.cudaEventDestroy;
import static org.bytedeco.cuda.global.cudart.cudaEventElapsedTime;
import static org.bytedeco.cuda.global.cudart.cudaEventRecord;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToDevice;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.attention4j.Attention;
import org.attention4j.DType;
import org.attention4j.SoftmaxFamilyOp;
import org.attention4j.Tensor;
import org.attention4j.VerifyPolicy;
import org.attention4j.cuda.CudaRuntime;
import org.attention4j.cuda.CudaTensor;
import org.attention4j.cuda.DeviceBuffer;
import org.attention4j.cuda.softmax.SoftmaxCuda;
import org.bytedeco.cuda.cudart.CUevent_st;

/**
 * Times the CUDA kernels from Java with CUDA events (warm-up, then the median of timed calls) on
 * device-resident tensors, in FlashAttention's FLOP convention, and decode against the measured
 * device-to-device copy bandwidth. Writes JSON lines to the file named by the first argument.
 */
public final class GpuBenchRunner {
    private static final int WARM = 5, ITERS = 20;

    private GpuBenchRunner() {
    }

    public static void main(String[] args) throws IOException {
        Path outFile = Path.of(args.length > 0 ? args[0] : "a4j_bench.jsonl");
        boolean quick = Arrays.asList(args).contains("--quick");
        System.out.println("GPU bench runner, device " + CudaRuntime.device());
        if (!CudaRuntime.status().supported()) {
            System.out.println("CUDA backend unavailable: " + CudaRuntime.status().reason());
            System.exit(1);
        }
        List<String> json = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(1);
        double copyGBs = copyBandwidth();
        json.add(String.format(Locale.ROOT, "{\"op\":\"copy\",\"GBps\":%.1f}", copyGBs));
        System.out.printf(Locale.ROOT, "device-to-device copy: %.0f GB/s (read + write)%n", copyGBs);
        System.out.printf(Locale.ROOT, "%-8s %4s %6s %6s %3s %7s %10s %10s%n", "dtype", "D", "S", "B", "H", "causal", "ms", "TFLOP/s");
        int[] seqs = quick ? new int[] {1024} : new int[] {1024, 4096, 16384};
        for (int d : new int[] {64, 128}) {
            for (int s : seqs) {
                int b = 32768 / s, h = 16;
                try (CudaTensor q = CudaTensor.copyOf(randn(rnd, DType.BF16, b, s, h, d));
                     CudaTensor k = CudaTensor.copyOf(randn(rnd, DType.BF16, b, s, h, d));
                     CudaTensor v = CudaTensor.copyOf(randn(rnd, DType.BF16, b, s, h, d));
                     CudaTensor o = CudaTensor.allocate(DType.BF16, b, s, h, d)) {
                    for (boolean causal : new boolean[] {false, true}) {
                        SoftmaxFamilyOp op = Attention.softmax().causal(causal).verify(VerifyPolicy.OFF).build();
                        double ms = time(() -> SoftmaxCuda.run(op, q, k, v, o, null, null, null, SoftmaxCuda.Fp32Mode.EXACT));
                        double flops = 4.0 * b * h * (double) s * s * d / (causal ? 2 : 1);
                        double tf = flops / ms / 1e9;
                        System.out.printf(Locale.ROOT, "%-8s %4d %6d %6d %3d %7s %10.3f %10.1f%n", "bf16", d, s, b, h, causal, ms, tf);
                        json.add(String.format(Locale.ROOT, "{\"op\":\"softmax\",\"impl\":\"attention4j\",\"dtype\":\"bf16\",\"B\":%d,\"H\":%d,"
                                + "\"S\":%d,\"D\":%d,\"causal\":%s,\"ms\":%.4f,\"tflops\":%.2f}", b, h, s, d, causal, ms, tf));
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%n%-6s %7s %4s %4s %10s %10s %8s %12s %10s %8s%n", "B", "cache", "H", "Hkv", "ms", "GB/s",
                "of copy", "loop ms", "GB/s", "of copy");
        int[][] decode = quick ? new int[][] {{1, 4096}} : new int[][] {{1, 4096}, {1, 16384}, {1, 65536}, {8, 4096}, {8, 16384}, {16, 4096},
            {64, 4096}, {64, 16384}};
        int h = 32, hkv = 8, d = 128;
        for (int[] bl : decode) {
            int b = bl[0], len = bl[1];
            double bytes = 2.0 * b * len * hkv * d * 2;
            // Enough cache copies that a call's K and V are not served from the 50 MB L2 by the previous call.
            int copies = (int) Math.max(1, Math.ceil(400e6 / bytes));
            CudaTensor[] ks = new CudaTensor[copies], vs = new CudaTensor[copies];
            try (CudaTensor q = CudaTensor.copyOf(randn(rnd, DType.BF16, b, 1, h, d));
                 CudaTensor o = CudaTensor.allocate(DType.BF16, b, 1, h, d)) {
                for (int c = 0; c < copies; c++) {
                    ks[c] = CudaTensor.copyOf(randn(rnd, DType.BF16, b, len, hkv, d));
                    vs[c] = CudaTensor.copyOf(randn(rnd, DType.BF16, b, len, hkv, d));
                }
                SoftmaxFamilyOp op = Attention.softmax().causal(true).verify(VerifyPolicy.OFF).build();
                int[] next = {0};
                Runnable step = () -> {
                    int c = next[0]++ % copies;
                    SoftmaxCuda.run(op, q, ks[c], vs[c], o, null, null, null, SoftmaxCuda.Fp32Mode.EXACT);
                };
                double ms = time(step);
                // A decode loop: consecutive steps with no synchronization between them (the host runs ahead).
                double loopMs = timeLoop(step, Math.max(copies, 16));
                double gbs = bytes / ms / 1e6, loopGbs = bytes / loopMs / 1e6;
                System.out.printf(Locale.ROOT, "%-6d %7d %4d %4d %10.4f %10.0f %7.0f%% %12.4f %10.0f %7.0f%%%n", b, len, h, hkv, ms, gbs,
                        100 * gbs / copyGBs, loopMs, loopGbs, 100 * loopGbs / copyGBs);
                json.add(String.format(Locale.ROOT, "{\"op\":\"decode\",\"impl\":\"attention4j\",\"dtype\":\"bf16\",\"B\":%d,\"cache\":%d,\"H\":%d,"
                        + "\"Hkv\":%d,\"D\":%d,\"ms\":%.5f,\"GBps\":%.1f,\"fraction_of_copy\":%.3f,\"loop_ms\":%.5f,\"loop_GBps\":%.1f,"
                        + "\"loop_fraction_of_copy\":%.3f}", b, len, h, hkv, d, ms, gbs, gbs / copyGBs, loopMs, loopGbs, loopGbs / copyGBs));
            } finally {
                for (int c = 0; c < copies; c++) {
                    if (ks[c] != null) ks[c].close();
                    if (vs[c] != null) vs[c].close();
                }
            }
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(outFile, StandardCharsets.UTF_8))) {
            json.forEach(w::println);
        }
    }

    /** Median milliseconds of {@code ITERS} calls after {@code WARM} warm-ups, each bracketed by CUDA events. */
    static double time(Runnable call) {
        return medianMsPerCall(call, WARM, 1, ITERS);
    }

    /** Milliseconds per call of {@code calls} consecutive calls between two CUDA events (median of 11 runs). */
    static double timeLoop(Runnable call, int calls) {
        return medianMsPerCall(call, calls, calls, 11);
    }

    /**
     * After {@code warm} untimed calls, {@code samples} times: {@code calls} consecutive calls between two CUDA
     * events; the median of the per-call times.
     */
    private static double medianMsPerCall(Runnable call, int warm, int calls, int samples) {
        for (int i = 0; i < warm; i++) call.run();
        CudaRuntime.check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
        CUevent_st start = new CUevent_st(), stop = new CUevent_st();
        CudaRuntime.check(cudaEventCreate(start), "cudaEventCreate");
        CudaRuntime.check(cudaEventCreate(stop), "cudaEventCreate");
        try {
            double[] ms = new double[samples];
            float[] t = new float[1];
            for (int r = 0; r < samples; r++) {
                CudaRuntime.check(cudaEventRecord(start), "cudaEventRecord");
                for (int i = 0; i < calls; i++) call.run();
                CudaRuntime.check(cudaEventRecord(stop), "cudaEventRecord");
                CudaRuntime.check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
                CudaRuntime.check(cudaEventElapsedTime(t, start, stop), "cudaEventElapsedTime");
                ms[r] = t[0] / calls;
            }
            Arrays.sort(ms);
            return ms[samples / 2];
        } finally {
            cudaEventDestroy(start);
            cudaEventDestroy(stop);
        }
    }

    /** Device-to-device copy of 1 GiB, counting bytes read plus written (as ANCHORS.md does). */
    static double copyBandwidth() {
        long bytes = 1L << 30;
        try (DeviceBuffer a = DeviceBuffer.allocate(bytes); DeviceBuffer b = DeviceBuffer.allocate(bytes)) {
            double ms = time(() -> CudaRuntime.check(cudaMemcpy(b.pointer(), a.pointer(), bytes, cudaMemcpyDeviceToDevice), "cudaMemcpy D2D"));
            return 2.0 * bytes / ms / 1e6;
        }
    }

    static Tensor randn(SplittableRandom rnd, DType dt, long... shape) {
        return GpuTestRunner.randn(rnd, dt, shape);
    }
}
