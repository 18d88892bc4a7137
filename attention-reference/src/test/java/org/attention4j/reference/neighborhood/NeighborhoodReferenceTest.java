package org.attention4j.reference.neighborhood;

import static org.assertj.core.api.Assertions.assertThat;
import static org.attention4j.reference.Close.TOL;
import static org.attention4j.reference.Close.list;
import static org.attention4j.reference.Close.range;
import static org.attention4j.reference.Close.seenKeys;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.attention4j.Attention;
import org.attention4j.AttentionOutput;
import org.attention4j.DType;
import org.attention4j.NeighborhoodAttention;
import org.attention4j.Tensor;
import org.attention4j.reference.Close;
import org.attention4j.reference.Inputs;
import org.attention4j.reference.Naive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Neighborhood attention (spec section 5) through the facade: the worked examples of 5.4 key for key, the
 * properties of 5.3 on every small configuration in 1-D, 2-D and 3-D, and outputs against the brute-force
 * formula with the spec-text mask ({@link SpecNeighborhood}).
 */
class NeighborhoodReferenceTest {

    /** The key set of every query of a grid, read from uniform scores and one-hot values. */
    private static List<List<Integer>> seen(NeighborhoodAttention op, int... extent) {
        int tokens = 1;
        long[] qShape = new long[extent.length + 3], vShape = new long[extent.length + 3];
        qShape[0] = vShape[0] = 1;
        for (int a = 0; a < extent.length; a++) {
            tokens *= extent[a];
            qShape[1 + a] = vShape[1 + a] = extent[a];
        }
        qShape[extent.length + 1] = vShape[extent.length + 1] = 1;
        qShape[extent.length + 2] = 2;
        vShape[extent.length + 2] = tokens;
        Tensor q = Tensor.zeros(DType.F32, qShape);
        Tensor v = Inputs.oneHotValues(1, tokens, 1).reshape(vShape);
        Tensor o = op.forward(q, Inputs.random(1, qShape), v);
        List<List<Integer>> rows = new ArrayList<>();
        for (int t = 0; t < tokens; t++) {
            rows.add(seenKeys(o, 0, t, 0));
        }
        return rows;
    }

    @Test
    void spec54L8Kernel3() {
        assertThat(seen(Attention.neighborhood(3).build(), 8)).containsExactly(
                list(0, 1, 2), list(0, 1, 2), list(1, 2, 3), list(2, 3, 4),
                list(3, 4, 5), list(4, 5, 6), list(5, 6, 7), list(5, 6, 7));
    }

    @Test
    void spec54L8EvenKernel4() {
        assertThat(seen(Attention.neighborhood(4).build(), 8)).containsExactly(
                range(0, 3), range(0, 3), range(0, 3), range(1, 4), range(2, 5), range(3, 6), range(4, 7), range(4, 7));
    }

    @Test
    void spec54L8Kernel5Causal() {
        assertThat(seen(Attention.neighborhood(5).causal(true).build(), 8)).containsExactly(
                range(0, 0), range(0, 1), range(0, 2), range(0, 3), range(0, 4), range(1, 5), range(2, 6), range(3, 7));
    }

    @Test
    void spec54L10Kernel3Dilation2() {
        assertThat(seen(Attention.neighborhood(3).dilation(2).build(), 10)).containsExactly(
                list(0, 2, 4), list(1, 3, 5), list(0, 2, 4), list(1, 3, 5), list(2, 4, 6),
                list(3, 5, 7), list(4, 6, 8), list(5, 7, 9), list(4, 6, 8), list(5, 7, 9));
    }

    @Test
    void spec54L10Kernel3Dilation3WithUnequalGroups() {
        assertThat(seen(Attention.neighborhood(3).dilation(3).build(), 10)).containsExactly(
                list(0, 3, 6), list(1, 4, 7), list(2, 5, 8), list(0, 3, 6), list(1, 4, 7),
                list(2, 5, 8), list(3, 6, 9), list(1, 4, 7), list(2, 5, 8), list(3, 6, 9));
    }

    @Test
    void spec54L8Kernel4Stride2() {
        assertThat(seen(Attention.neighborhood(4).stride(2).build(), 8)).containsExactly(
                range(0, 3), range(0, 3), range(1, 4), range(1, 4), range(3, 6), range(3, 6), range(4, 7), range(4, 7));
    }

    @Test
    void spec54L8Kernel4Stride2Causal() {
        assertThat(seen(Attention.neighborhood(4).stride(2).causal(true).build(), 8)).containsExactly(
                list(0), list(0, 1), list(0, 1, 2), list(0, 1, 2, 3), list(2, 3, 4), list(2, 3, 4, 5), list(4, 5, 6), list(4, 5, 6, 7));
    }

    @Test
    void spec54L9Kernel3Stride3IsBlocked() {
        assertThat(seen(Attention.neighborhood(3).stride(3).build(), 9)).containsExactly(
                range(0, 2), range(0, 2), range(0, 2), range(3, 5), range(3, 5), range(3, 5), range(6, 8), range(6, 8), range(6, 8));
    }

    /** Flat keys of the box rows x cols on a grid with {@code width} columns. */
    private static List<Integer> box(List<Integer> rows, List<Integer> cols, int width) {
        List<Integer> r = new ArrayList<>();
        for (int y : rows) {
            for (int x : cols) {
                r.add(y * width + x);
            }
        }
        return r;
    }

    @Test
    void spec54Grid5x5Kernel3x3() {
        List<List<Integer>> s = seen(Attention.neighborhood(3, 3).build(), 5, 5);
        assertThat(s.get(0 * 5 + 0)).isEqualTo(box(list(0, 1, 2), list(0, 1, 2), 5));
        assertThat(s.get(2 * 5 + 2)).isEqualTo(box(list(1, 2, 3), list(1, 2, 3), 5));
        assertThat(s.get(4 * 5 + 1)).isEqualTo(box(list(2, 3, 4), list(0, 1, 2), 5));
        assertThat(s.get(3 * 5 + 4)).isEqualTo(box(list(2, 3, 4), list(2, 3, 4), 5));
    }

    @Test
    void spec54Grid6x6DilatedCausalRows() {
        List<List<Integer>> s = seen(Attention.neighborhood(3, 3).dilation(2, 1).causal(true, false).build(), 6, 6);
        assertThat(s.get(0 * 6 + 0)).isEqualTo(box(list(0), list(0, 1, 2), 6));
        assertThat(s.get(3 * 6 + 3)).isEqualTo(box(list(1, 3), list(2, 3, 4), 6));
        assertThat(s.get(5 * 6 + 1)).isEqualTo(box(list(1, 3, 5), list(0, 1, 2), 6));
    }

    /**
     * Spec 5.3's properties and its exact key sets for one configuration: every query sees itself, never an
     * empty row, exactly prod(k) keys when no axis is causal, 1..prod(k) otherwise.
     */
    private static void checkProperties(int[] extent, int[] k, int[] s, int[] d, boolean[] c) {
        NeighborhoodAttention op = Attention.neighborhood(k).stride(s).dilation(d).causal(c).build();
        List<List<Integer>> rows = seen(op, extent);
        Naive.Mask spec = SpecNeighborhood.mask(extent, k, s, d, c);
        int volume = 1;
        boolean anyCausal = false;
        for (int a = 0; a < k.length; a++) {
            volume *= k[a];
            anyCausal |= c[a];
        }
        String cfg = Arrays.toString(extent) + " k" + Arrays.toString(k) + " s" + Arrays.toString(s)
                + " d" + Arrays.toString(d) + " causal" + Arrays.toString(c);
        for (int i = 0; i < rows.size(); i++) {
            List<Integer> keys = rows.get(i);
            assertThat(keys).as("%s: query %d sees itself", cfg, i).contains(i);
            if (anyCausal) {
                assertThat(keys.size()).as("%s: query %d key count", cfg, i).isBetween(1, volume);
            } else {
                assertThat(keys).as("%s: query %d key count", cfg, i).hasSize(volume);
            }
            List<Integer> want = new ArrayList<>();
            for (int j = 0; j < rows.size(); j++) {
                if (spec.visible(0, 0, i, j)) want.add(j);
            }
            assertThat(keys).as("%s: query %d keys", cfg, i).isEqualTo(want);
        }
    }

    @Test
    void propertiesOfSpec53OnEveryOneDimensionalConfigurationUpToLength12() {
        int configs = 0;
        for (int len = 2; len <= 12; len++) {
            for (int k = 2; k <= len; k++) {
                for (int d = 1; k * d <= len; d++) {
                    for (int s = 1; s <= k; s++) {
                        for (boolean c : new boolean[] {false, true}) {
                            checkProperties(new int[] {len}, new int[] {k}, new int[] {s}, new int[] {d}, new boolean[] {c});
                            configs++;
                        }
                    }
                }
            }
        }
        assertThat(configs).isGreaterThan(500);
    }

    @Test
    void propertiesOfSpec53OnTwoDimensionalGrids() {
        int[][] grids = {{5, 6}, {7, 4}};
        for (int[] g : grids) {
            for (int k0 = 2; k0 <= 4; k0++) {
                for (int k1 = 2; k1 <= 3; k1++) {
                    for (int d0 = 1; k0 * d0 <= g[0] && d0 <= 2; d0++) {
                        for (int d1 = 1; k1 * d1 <= g[1] && d1 <= 2; d1++) {
                            for (int s0 : new int[] {1, k0}) {
                                for (int mask = 0; mask < 4; mask++) {
                                    checkProperties(g, new int[] {k0, k1}, new int[] {s0, k1 == 3 ? 2 : 1}, new int[] {d0, d1},
                                            new boolean[] {(mask & 1) != 0, (mask & 2) != 0});
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void propertiesOfSpec53OnThreeDimensionalGrids() {
        int[] g = {5, 4, 6};
        int[][][] cases = {
                {{2, 2, 3}, {1, 1, 1}, {1, 1, 1}},
                {{3, 2, 2}, {1, 2, 1}, {1, 2, 3}},
                {{2, 3, 4}, {2, 3, 2}, {2, 1, 1}},
                {{5, 4, 3}, {1, 1, 3}, {1, 1, 2}},
                {{4, 2, 2}, {3, 1, 2}, {1, 1, 3}}};
        for (int[][] cs : cases) {
            for (int mask = 0; mask < 8; mask++) {
                checkProperties(g, cs[0], cs[1], cs[2], new boolean[] {(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0});
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "1-D even kernel, dilated, causal;     11;     4;     2;     2;     true",
            "1-D blocked, non-causal;              9;      3;     3;     1;     false",
            "2-D mixed causal, L mod d != 0;       7,5;    3,2;   1,2;   2,1;   true,false",
            "2-D mixed causal other way;           6,6;    2,3;   2,1;   1,2;   false,true",
            "3-D video-like (causal time);         4,5,3;  2,3,2; 1,2,1; 1,1,1; true,false,false",
            "3-D dilated, strided, even;           5,4,6;  2,2,3; 2,1,3; 2,2,1; false,true,true"})
    void outputsMatchTheFormulaWithGqa(String name, String grid, String kernel, String stride, String dilation, String causal) {
        int[] extent = ints(grid), k = ints(kernel), s = ints(stride), d = ints(dilation);
        String[] cs = causal.split(",");
        boolean[] c = new boolean[cs.length];
        for (int a = 0; a < cs.length; a++) c[a] = Boolean.parseBoolean(cs[a].trim());
        long[] qShape = shape(extent, 6, 8), kShape = shape(extent, 2, 8), vShape = shape(extent, 2, 5);
        Tensor q = Inputs.random(10, qShape), key = Inputs.random(11, kShape), v = Inputs.random(12, vShape);
        AttentionOutput r = Attention.neighborhood(k).stride(s).dilation(d).causal(c).scale(0.9).build().forwardWithLse(q, key, v);
        Naive.Result want = Naive.attention(q, key, v, 0.9, SpecNeighborhood.mask(extent, k, s, d, c));
        Close.output(r.output(), want, TOL);
        // LSE [B, H, X...]: heads first, then the grid.
        long[] lseShape = new long[extent.length + 2];
        lseShape[0] = 2;
        lseShape[1] = 6;
        for (int a = 0; a < extent.length; a++) lseShape[2 + a] = extent[a];
        assertThat(r.lse().shape()).containsExactly(lseShape);
        Close.lse(r.lse().reshape(2, 6, want.tokens()), want, TOL);
        assertThat(r.output().shape()).containsExactly(shape(extent, 6, 5));
    }

    @Test
    void defaultScaleAndStridedInputs() {
        // [B, H, X, Y, D] storage seen as [B, X, Y, H, D].
        Tensor q = Inputs.random(20, 1, 2, 5, 4, 8).permute(0, 2, 3, 1, 4);
        Tensor k = Inputs.random(21, 1, 1, 5, 4, 8).permute(0, 2, 3, 1, 4);
        Tensor v = Inputs.random(22, 1, 1, 5, 4, 3).permute(0, 2, 3, 1, 4);
        int[] extent = {5, 4}, kernel = {3, 2}, one = {1, 1};
        Tensor o = Attention.neighborhood(kernel).build().forward(q, k, v);
        Close.output(o, Naive.attention(q, k, v, 1 / Math.sqrt(8), SpecNeighborhood.mask(extent, kernel, one, one, new boolean[2])), TOL);
    }

    private static int[] ints(String csv) {
        String[] p = csv.split(",");
        int[] r = new int[p.length];
        for (int i = 0; i < p.length; i++) r[i] = Integer.parseInt(p[i].trim());
        return r;
    }

    private static long[] shape(int[] extent, int heads, int dim) {
        long[] s = new long[extent.length + 3];
        s[0] = 2;
        for (int a = 0; a < extent.length; a++) s[1 + a] = extent[a];
        s[extent.length + 1] = heads;
        s[extent.length + 2] = dim;
        return s;
    }
}
