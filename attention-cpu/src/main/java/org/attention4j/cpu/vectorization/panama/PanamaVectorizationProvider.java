package org.attention4j.cpu.vectorization.panama;

import jdk.incubator.vector.FloatVector;
import org.attention4j.cpu.vectorization.TileOps;
import org.attention4j.cpu.vectorization.VectorizationProvider;

/** Vector API kernels sized by the preferred species. Loaded only after the incubator module was found. */
public final class PanamaVectorizationProvider extends VectorizationProvider implements VectorizationProvider.Probe {
    private final TileOps ops = new PanamaTileOps();

    @Override
    public TileOps tileOps() {
        return ops;
    }

    @Override
    public String reason() {
        return "jdk.incubator.vector is present, preferred species " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits";
    }

    @Override
    public String unusableReason() {
        // Below 256 bits, or without C2 (which alone intrinsifies the Vector API), the scalar loops are faster.
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits < 256) {
            return "the preferred vector species has only " + bits + " bits";
        }
        String noC2 = c2Missing();
        return noC2 == null ? null : noC2 + ": the Vector API would not be compiled to vector instructions";
    }

    /** Why C2 will not compile this JVM's code (as Lucene checks), or null when it will or we cannot tell. */
    private static String c2Missing() {
        try {
            var bean = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (bean == null) {
                return null;
            }
            if ("false".equals(bean.getVMOption("UseCompiler").getValue())) {
                return "the JIT compiler is off (-Xint)";
            }
            boolean tiered = "true".equals(bean.getVMOption("TieredCompilation").getValue());
            int stopAt = Integer.parseInt(bean.getVMOption("TieredStopAtLevel").getValue());
            if (tiered && stopAt < 4) {
                return "C2 is disabled (TieredStopAtLevel=" + stopAt + ")";
            }
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
        return null;
    }
}
