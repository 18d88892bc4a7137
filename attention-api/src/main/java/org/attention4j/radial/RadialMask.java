package org.attention4j.radial;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.attention4j.RadialModel;
import org.attention4j.internal.Checks;

/**
 * The static block mask of radial attention (spec 6.2, {@code gen_log_mask_shrinked}), with this library's
 * convention for partial blocks: {@code nb = ceil(s / Bk)} blocks per side, the partial tail block is dense
 * like text, and frame tiles reaching past {@code nb} are clipped. Immutable; built once per configuration
 * and cached with a key of every input (unlike the anchor's process-global cache).
 */
public final class RadialMask {
    private static final ConcurrentMap<String, RadialMask> CACHE = new ConcurrentHashMap<>();

    private final int blockSize;
    private final int numBlocks;
    private final boolean[] kept; // row-major nb x nb
    private final int[][] keptColumns;

    private RadialMask(int blockSize, int numBlocks, boolean[] kept) {
        this.blockSize = blockSize;
        this.numBlocks = numBlocks;
        this.kept = kept;
        this.keptColumns = new int[numBlocks][];
        for (int a = 0; a < numBlocks; a++) {
            int c = 0;
            for (int b = 0; b < numBlocks; b++) if (kept[a * numBlocks + b]) c++;
            int[] cols = new int[c];
            c = 0;
            for (int b = 0; b < numBlocks; b++) if (kept[a * numBlocks + b]) cols[c++] = b;
            keptColumns[a] = cols;
        }
    }

    /**
     * The mask for {@code videoTokens} tokens in {@code frames} frames (frame-major, {@code P = videoTokens / frames}),
     * a total sequence of {@code seqLen} tokens (text after video), block size {@code blockSize}, decay
     * factor {@code decay} and {@code model}'s variant.
     */
    public static RadialMask of(int videoTokens, int frames, int seqLen, int blockSize, double decay, RadialModel model) {
        Checks.check(frames >= 1, "frames", ">= 1", frames);
        Checks.check(videoTokens >= frames, "videoTokens", ">= frames = " + frames, videoTokens);
        Checks.check(seqLen >= videoTokens, "seqLen", ">= videoTokens = " + videoTokens, seqLen);
        Checks.check(blockSize >= 1, "blockSize", ">= 1", blockSize);
        Checks.positiveFinite(decay, "decay");
        Checks.notNull(model, "model");
        String key = videoTokens + "/" + frames + "/" + seqLen + "/" + blockSize + "/" + Double.doubleToLongBits(decay) + "/" + model;
        return CACHE.computeIfAbsent(key, k -> build(videoTokens, frames, seqLen, blockSize, decay, model));
    }

    /** Block size in tokens. */
    public int blockSize() { return blockSize; }

    /** Blocks per side ({@code ceil(seqLen / blockSize)}). */
    public int numBlocks() { return numBlocks; }

    /** Whether query block {@code qb} attends key block {@code kb}. */
    public boolean kept(int qb, int kb) {
        return kept[qb * numBlocks + kb];
    }

    /** The kept key blocks of query block {@code qb}, ascending (a CSR row, spec 6.8). */
    public int[] keptBlocks(int qb) {
        return keptColumns[qb].clone();
    }

    /** Whether query token {@code i} attends key token {@code j} (before key padding). */
    public boolean visible(int i, int j) {
        return kept(i / blockSize, j / blockSize);
    }

    /** Kept blocks over all blocks. */
    public double density() {
        int c = 0;
        for (boolean b : kept) if (b) c++;
        return (double) c / kept.length;
    }

    /** Rows of '#' (kept) and '.' (dropped), one line per query block. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        for (int a = 0; a < numBlocks; a++) {
            for (int b = 0; b < numBlocks; b++) sb.append(kept(a, b) ? '#' : '.');
            sb.append('\n');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "RadialMask[" + numBlocks + "x" + numBlocks + " blocks of " + blockSize + ", density " + density() + "]";
    }

    /** Number of bits of {@code x} ({@code bitlen(0) = 0}). */
    static int bitLength(int x) {
        return 32 - Integer.numberOfLeadingZeros(x);
    }

    private static RadialMask build(int videoTokens, int frames, int seqLen, int bk, double decay, RadialModel model) {
        int p = videoTokens / frames;
        int nb = (seqLen + bk - 1) / bk;
        int border = videoTokens / bk;
        boolean[] m = new boolean[nb * nb];
        for (int a = 0; a < nb; a++) {
            for (int b = 0; b < nb; b++) {
                if (a >= border || b >= border) m[a * nb + b] = true;
            }
        }
        double pp = Math.pow(2, bitLength(p));
        int n = (p + bk - 1) / bk;
        for (int i = 0; i < frames; i++) {
            for (int j = 0; j < frames; j++) {
                boolean sink = model == RadialModel.WAN && j == 0;
                int d = Math.abs(i - j);
                int g = bitLength(d);
                double dl = pp / Math.pow(2, g);
                double width = d <= 1 ? p : Math.max(dl * decay, bk);
                boolean keep = sink || dl >= 128 || d % (int) Math.floor(128 / dl) == 0;
                // |c - r| <= width over integers is |c - r| <= floor(width).
                long w = sink ? Long.MAX_VALUE / 4 : (long) Math.floor(width);
                int rr = (int) (((long) i * p) % bk);
                int rc = (int) (((long) j * p) % bk);
                int rowBase = (int) (((long) i * p) / bk);
                int colBase = (int) (((long) j * p) / bk);
                for (int a = 0; a < n; a++) {
                    int ma = rowBase + a;
                    if (ma >= nb) break;
                    for (int b = 0; b < n; b++) {
                        int mb = colBase + b;
                        if (mb >= nb) break;
                        if (!keep) continue;
                        // Rows of pad block a in tile coordinates: r = R - rr for R in [a*bk, (a+1)*bk).
                        long rLo = Math.max((long) a * bk - rr, 0), rHi = Math.min((long) (a + 1) * bk - rr, p); // [rLo, rHi)
                        int dense = 0, nonzero = 0;
                        for (int x = 0; x < bk; x++) {
                            long c = (long) b * bk + x - rc; // tile column
                                int cnt = 0;
                            if (c >= 0 && c < p && rLo < rHi) {
                                long lo = Math.max(rLo, c - w), hi = Math.min(rHi, c + w + 1);
                                cnt = (int) Math.max(0, hi - lo);
                            }
                            double dens = (double) cnt / bk;
                            if (dens > 1.0 / 3) dense++;
                            if (dens > 0) nonzero++;
                        }
                        if (dense / (nonzero + 1e-9) > 0.6) {
                            m[ma * nb + mb] = true;
                        }
                    }
                }
            }
        }
        return new RadialMask(bk, nb, m);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RadialMask && ((RadialMask) o).blockSize == blockSize && Arrays.equals(((RadialMask) o).kept, kept);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(kept) * 31 + blockSize;
    }
}
