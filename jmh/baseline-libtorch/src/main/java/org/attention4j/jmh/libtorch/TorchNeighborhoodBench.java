package org.attention4j.jmh.libtorch;

import java.util.Arrays;
import org.attention4j.neighborhood.NeighborhoodRule;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * libtorch SDPA with a neighborhood mask (NATTEN rule from attention-api) over the row-major flattened grid,
 * the shapes of {@code NeighborhoodBench} ({@code grid} is {@code "extents/kernel"}).
 */
@State(Scope.Benchmark)
public class TorchNeighborhoodBench extends TorchBenchmark {
    @Param("1")
    public int b;
    @Param("8")
    public int h;
    @Param({"8192/255", "64x64/13", "16x16x16/7"})
    public String grid;
    @Param({"64", "128"})
    public int d;

    @Setup
    public void setup() {
        String[] parts = grid.split("/");
        int[] ext = Arrays.stream(parts[0].split("x")).mapToInt(Integer::parseInt).toArray();
        int kernel = Integer.parseInt(parts[1]);
        int s = Arrays.stream(ext).reduce(1, (x, y) -> x * y);
        boolean[] visible = new boolean[s * s];
        int[] qc = new int[ext.length], kc = new int[ext.length];
        for (int i = 0; i < s; i++) {
            coordinates(i, ext, qc);
            for (int j = 0; j < s; j++) {
                coordinates(j, ext, kc);
                boolean all = true;
                for (int a = 0; a < ext.length && all; a++) {
                    all = NeighborhoodRule.visible(qc[a], kc[a], ext[a], kernel, 1, 1, false);
                }
                visible[i * s + j] = all;
            }
        }
        prepare(b, h, s, d, false, visible);
    }

    private static void coordinates(int flat, int[] ext, int[] out) {
        for (int a = ext.length - 1; a >= 0; a--) {
            out[a] = flat % ext[a];
            flat /= ext[a];
        }
    }

    @Benchmark
    public long forward() {
        return attend();
    }
}
