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
        // Below 256 bits (or without C2) the Vector API is slower than the auto-vectorized scalar loops.
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits < 256) {
            return "the preferred vector species has only " + bits + " bits";
        }
        return null;
    }
}
