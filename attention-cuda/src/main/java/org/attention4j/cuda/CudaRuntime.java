package org.attention4j.cuda;

import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceProperties;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion;
import static org.bytedeco.cuda.global.cudart.cudaDriverGetVersion;

import java.lang.System.Logger.Level;
import org.attention4j.cuda.global.attention4j;
import org.attention4j.spi.Support;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

/**
 * Probes the CUDA runtime, the device and src-native's library once (like Lucene's vectorization
 * provider), logs the outcome with its reason, and gives the rest of the backend error checking.
 */
public final class CudaRuntime {
    private static final System.Logger LOG = System.getLogger("org.attention4j");

    /** System property: keep src-native's own device-pointer checks on (debugging). */
    public static final String POINTER_CHECKS_PROPERTY = "attention4j.cuda.pointerChecks";

    /** Minimum compute capability the fat binary serves (sm_80). */
    static final int MIN_CC = 80;

    private CudaRuntime() {
    }

    /** The probe's outcome, computed on first use. */
    public static Support status() {
        return Holder.STATUS;
    }

    /** Human description of the device, or the reason there is none. */
    public static String device() {
        return Holder.DEVICE;
    }

    /** cuDNN's version, or why it did not load (cuDNN is optional: a later softmax path). */
    public static String cudnn() {
        return Holder.CUDNN;
    }

    /** Multiprocessors of device 0 (0 when unavailable). */
    public static int multiprocessors() {
        return Holder.SMS;
    }

    private static final class Holder {
        static String DEVICE = "none";
        static String CUDNN = "not probed";
        static int SMS = 0;
        static final Support STATUS = probe();

        private static Support probe() {
            Support s;
            try {
                s = probeOrThrow();
            } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
                s = Support.no("CUDA runtime or native library did not load: " + e);
            } catch (RuntimeException e) {
                s = Support.no("CUDA probe failed: " + e);
            }
            if (s.supported()) {
                CUDNN = probeCudnn();
                LOG.log(Level.INFO, "attention4j CUDA backend available: {0}, {1}", DEVICE, CUDNN);
            } else {
                LOG.log(Level.INFO, "attention4j CUDA backend unavailable: {0}", s.reason());
            }
            return s;
        }

        private static String probeCudnn() {
            try {
                Loader.load(org.bytedeco.cuda.global.cudnn.class);
                return "cuDNN " + org.bytedeco.cuda.global.cudnn.cudnnGetVersion();
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                return "cuDNN unavailable: " + e.getMessage();
            }
        }

        private static Support probeOrThrow() {
            Loader.load(org.bytedeco.cuda.global.cudart.class);
            int[] driver = new int[1], runtime = new int[1], count = new int[1];
            cudaDriverGetVersion(driver);
            cudaRuntimeGetVersion(runtime);
            int err = cudaGetDeviceCount(count);
            if (err != 0 || count[0] == 0) {
                return Support.no("no CUDA device (" + (err != 0 ? errorString(err) : "device count 0") + ", driver "
                        + driver[0] + ", runtime " + runtime[0] + ")");
            }
            try (cudaDeviceProp prop = new cudaDeviceProp()) {
                check(cudaGetDeviceProperties(prop, 0), "cudaGetDeviceProperties");
                int cc = prop.major() * 10 + prop.minor();
                SMS = prop.multiProcessorCount();
                DEVICE = prop.name().getString() + " (cc " + prop.major() + "." + prop.minor() + ", " + SMS + " SMs, "
                        + (prop.totalGlobalMem() >> 20) + " MiB, driver " + driver[0] + ", runtime " + runtime[0] + ")";
                if (cc < MIN_CC) {
                    return Support.no("compute capability " + prop.major() + "." + prop.minor() + " < 8.0 on " + DEVICE);
                }
            }
            try {
                Loader.load(attention4j.class);
            } catch (UnsatisfiedLinkError e) {
                return Support.no("the native library attention4j_native is not in this jar or did not load "
                        + "(the jar must be built where nvcc is installed): " + e.getMessage());
            }
            int v = attention4j.a4j_version();
            if (v != attention4j.A4J_VERSION) {
                return Support.no("native library version " + v + " does not match the binding's " + attention4j.A4J_VERSION);
            }
            // Java checks every tensor against its own exact allocation before a call, so the library's
            // per-call pointer-range checks (several microseconds each) would repeat that work.
            attention4j.a4j_set_pointer_checks(Boolean.getBoolean(POINTER_CHECKS_PROPERTY) ? 1 : 0);
            return Support.yes();
        }
    }

    static String errorString(int err) {
        BytePointer p = cudaGetErrorString(err);
        return (p == null ? "?" : p.getString()) + " (" + err + ")";
    }

    /** Throws a {@link CudaException} carrying the CUDA error string when {@code err != cudaSuccess}. */
    public static void check(int err, String what) {
        if (err != 0) {
            throw new CudaException(what + " failed: " + errorString(err), err);
        }
    }

    /** Throws a {@link CudaException} carrying the native library's message when {@code status != 0}. */
    public static void checkNative(int status, String what) {
        if (status != attention4j.A4J_SUCCESS) {
            BytePointer s = attention4j.a4j_status_string(status);
            BytePointer m = attention4j.a4j_last_error_message();
            throw new CudaException(what + " failed: " + (s == null ? "" : s.getString()) + ": " + (m == null ? "" : m.getString()),
                    status);
        }
    }
}
