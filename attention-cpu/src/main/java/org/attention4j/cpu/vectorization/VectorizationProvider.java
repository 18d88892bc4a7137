package org.attention4j.cpu.vectorization;

import java.lang.System.Logger.Level;
import java.util.Locale;

/**
 * Chooses, once per process, the implementation of the CPU kernels' inner loops (as Lucene's
 * {@code VectorizationProvider} does): Vector API kernels when {@code jdk.incubator.vector} is resolved
 * and usable, else plain Java loops. Logs which one is active and why.
 *
 * <p>{@code -Dattention4j.cpu.vector=false} forces the scalar loops (CI runs the suite once that way).
 * The Vector API classes live in {@code vectorization.panama} and are loaded by reflection only after the
 * probe succeeds, so this module runs on a JVM without the incubator module.
 */
public abstract class VectorizationProvider {
    /** System property: {@code false} forces the scalar provider. */
    public static final String VECTOR_PROPERTY = "attention4j.cpu.vector";
    private static final String PANAMA_CLASS = "org.attention4j.cpu.vectorization.panama.PanamaVectorizationProvider";
    private static final System.Logger LOG = System.getLogger("org.attention4j.cpu");

    /** The process-wide provider. */
    public static VectorizationProvider getInstance() {
        return Holder.INSTANCE;
    }

    /** The scalar provider, for tests that compare both. */
    public static VectorizationProvider scalar() {
        return Holder.SCALAR;
    }

    /** The inner loops. */
    public abstract TileOps tileOps();

    /** Why this provider was chosen. */
    public abstract String reason();

    @Override
    public String toString() {
        return tileOps().description() + " (" + reason() + ")";
    }

    private static final class Holder {
        static final VectorizationProvider SCALAR = new Fixed(new ScalarTileOps(), "scalar fallback");
        static final VectorizationProvider INSTANCE = lookup();
    }

    private static VectorizationProvider lookup() {
        VectorizationProvider p = probe();
        LOG.log(Level.INFO, "attention4j cpu kernels: {0}", p);
        return p;
    }

    private static VectorizationProvider probe() {
        String prop = System.getProperty(VECTOR_PROPERTY);
        if (prop != null && prop.trim().toLowerCase(Locale.ROOT).equals("false")) {
            return new Fixed(new ScalarTileOps(), VECTOR_PROPERTY + "=false");
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return new Fixed(new ScalarTileOps(),
                    "jdk.incubator.vector is not resolved; run with --add-modules jdk.incubator.vector for the Vector API kernels");
        }
        try {
            Class<?> c = Class.forName(PANAMA_CLASS);
            VectorizationProvider p = (VectorizationProvider) c.getDeclaredConstructor().newInstance();
            String unusable = ((Probe) p).unusableReason();
            if (unusable != null) {
                return new Fixed(new ScalarTileOps(), unusable);
            }
            return p;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return new Fixed(new ScalarTileOps(), "the Vector API provider failed to load: " + e);
        }
    }

    /** Implemented by the Vector API provider: null when usable, else why not. */
    public interface Probe {
        String unusableReason();
    }

    private static final class Fixed extends VectorizationProvider {
        private final TileOps ops;
        private final String reason;

        Fixed(TileOps ops, String reason) {
            this.ops = ops;
            this.reason = reason;
        }

        @Override public TileOps tileOps() { return ops; }
        @Override public String reason() { return reason; }
    }
}
