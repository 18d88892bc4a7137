package org.attention4j.cpu.softmax;

import static org.attention4j.cpu.softmax.OnlineSoftmax.KEY_TILE;

import java.util.Arrays;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuThreads;
import org.attention4j.cpu.TensorReader;
import org.attention4j.cpu.vectorization.TileOps;

/**
 * Keys and values of every (batch, kv head) packed once into fp32 tiles of {@link OnlineSoftmax#KEY_TILE}
 * keys: {@code K^T [D][KEY_TILE]} (so a query element broadcasts against a vector of keys) and
 * {@code V [KEY_TILE][dvp]} (zero-padded to whole vectors). Every GQA head and every query tile reads the
 * same packed copy. Batch {@code b} packs its valid keys {@code keyStart[b] .. keyEnd[b]-1}, re-indexed from 0.
 */
public final class KeyTiles {
    public final float[] kt;
    public final float[] v;
    private final int d;
    private final int dvp;
    private final int[] tileBase;
    private final int[] keys;

    /**
     * The calling thread's packed arrays of its previous call, reused when they are large enough: a new pair is
     * zeroed by the JVM on the caller's thread (4 MiB at D = 64, S = 1k, H = 8) and, as humongous G1 objects, adds
     * collections to every call. Arrays above {@link #REUSE_MAX_FLOATS} are not kept (their calls are long enough to
     * amortize the allocation), so an idle thread holds at most 2 x 16 MiB. Every element a kernel reads is written by
     * {@link #pack}, padding included, so stale contents never leak into a result.
     */
    private static final int REUSE_MAX_FLOATS = 4 << 20;
    private static final ThreadLocal<float[][]> REUSE = ThreadLocal.withInitial(() -> new float[2][]);

    private KeyTiles(int d, int dvp, int[] tileBase, int[] keys, int totalTiles) {
        this.d = d;
        this.dvp = dvp;
        this.tileBase = tileBase;
        this.keys = keys;
        float[][] kept = REUSE.get();
        this.kt = reusable(kept, 0, Math.multiplyExact(totalTiles, d * KEY_TILE));
        this.v = reusable(kept, 1, Math.multiplyExact(totalTiles, KEY_TILE * dvp));
    }

    private static float[] reusable(float[][] kept, int slot, int length) {
        if (length > REUSE_MAX_FLOATS) return new float[length];
        float[] a = kept[slot];
        if (a == null || a.length < length) {
            a = new float[length];
            kept[slot] = a;
        }
        return a;
    }

    /** Elements the packed copy would take, for size checks before allocating. */
    public static long packedElements(int batch, int kvHeads, int sk, int d, int dvp) {
        long tiles = (long) batch * kvHeads * ((sk + KEY_TILE - 1) / KEY_TILE);
        return tiles * KEY_TILE * Math.max(d, dvp);
    }

    /**
     * Packs {@code k [B, Sk, Hkv, D]} and {@code v [B, Sk, Hkv, Dv]} over per-batch key ranges
     * {@code [keyStart[b], keyEnd[b])} on {@code threads}.
     */
    public static KeyTiles pack(Tensor k, Tensor v, int[] keyStart, int[] keyEnd, int dvp, CpuThreads threads) {
        return pack(k, v, keyStart, keyEnd, dvp, threads, null);
    }

    /**
     * {@link #pack} that transposes heap fp32 keys with unit-stride rows a tile at a time with {@code ops} (null: one
     * element at a time, as for other storage).
     */
    public static KeyTiles pack(Tensor k, Tensor v, int[] keyStart, int[] keyEnd, int dvp, CpuThreads threads, TileOps ops) {
        int batch = k.dim(0), kvHeads = k.dim(2), d = k.dim(3), dv = v.dim(3);
        int[] tileBase = new int[batch];
        int[] keys = new int[batch];
        int total = 0;
        for (int b = 0; b < batch; b++) {
            keys[b] = keyEnd[b] - keyStart[b];
            tileBase[b] = total;
            total += kvHeads * ((keys[b] + KEY_TILE - 1) / KEY_TILE);
        }
        KeyTiles t = new KeyTiles(d, dvp, tileBase, keys, total);
        TensorReader kr = new TensorReader(k), vr = new TensorReader(v);
        long ks0 = kr.stride(0), ks1 = kr.stride(1), ks2 = kr.stride(2), ks3 = kr.stride(3);
        long vs0 = vr.stride(0), vs1 = vr.stride(1), vs2 = vr.stride(2), vs3 = vr.stride(3);
        // Heap fp32 rows within int range: K^T tiles by the provider's transpose instead of a strided store per element.
        float[] kArr = ops != null && ks3 == 1 && ks1 <= Integer.MAX_VALUE ? kr.f32ArrayOrNull() : null;
        // One work item per (batch, kv head); tiles of one item are contiguous in the packed arrays.
        threads.forEach(batch * kvHeads, () -> null, (item, unused) -> {
            int b = item / kvHeads, g = item % kvHeads;
            int n = keys[b];
            int tiles = (n + KEY_TILE - 1) / KEY_TILE;
            for (int tile = 0; tile < tiles; tile++) {
                int ktBase = t.ktOffset(b, g, tile), vBase = t.vOffset(b, g, tile);
                int cols = Math.min(KEY_TILE, n - tile * KEY_TILE);
                long j0 = keyStart[b] + (long) tile * KEY_TILE;
                if (kArr != null) {
                    ops.transpose(cols, d, kArr, (int) (kr.offset() + b * ks0 + j0 * ks1 + g * ks2), (int) ks1, t.kt, ktBase, KEY_TILE);
                }
                for (int c = 0; c < cols; c++) {
                    long j = j0 + c;
                    if (kArr == null) kr.read(kr.offset() + b * ks0 + j * ks1 + g * ks2, ks3, d, t.kt, ktBase + c, KEY_TILE, 1f);
                    vr.read(vr.offset() + b * vs0 + j * vs1 + g * vs2, vs3, dv, t.v, vBase + c * dvp, 1, 1f);
                    if (dv < dvp) Arrays.fill(t.v, vBase + c * dvp + dv, vBase + (c + 1) * dvp, 0f);
                }
                // The padding of a partial last tile (the arrays may hold an earlier call's keys): zero keys and values.
                if (cols < KEY_TILE) {
                    for (int e = 0; e < d; e++) Arrays.fill(t.kt, ktBase + e * KEY_TILE + cols, ktBase + (e + 1) * KEY_TILE, 0f);
                    Arrays.fill(t.v, vBase + cols * dvp, vBase + KEY_TILE * dvp, 0f);
                }
            }
        });
        return t;
    }

    /** Valid keys of batch {@code b}. */
    public int keys(int b) {
        return keys[b];
    }

    private int tileIndex(int b, int g, int tile) {
        return tileBase[b] + g * ((keys[b] + KEY_TILE - 1) / KEY_TILE) + tile;
    }

    /** Offset of tile {@code tile} of (batch {@code b}, kv head {@code g}) in {@link #kt}. */
    public int ktOffset(int b, int g, int tile) {
        return tileIndex(b, g, tile) * d * KEY_TILE;
    }

    /** Offset of that tile in {@link #v}. */
    public int vOffset(int b, int g, int tile) {
        return tileIndex(b, g, tile) * KEY_TILE * dvp;
    }
}
