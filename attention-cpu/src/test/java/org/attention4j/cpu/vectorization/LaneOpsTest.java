package org.attention4j.cpu.vectorization;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.SplittableRandom;
import org.attention4j.cpu.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The lane kernels of neighborhood attention ({@link TileOps#laneScores}, {@link TileOps#laneSoftmax},
 * {@link TileOps#laneAccumulate}): the provider's forms against the interface's scalar defaults at the provider's
 * lane count, over runs of several key lines (register blocks that cross line ends), one and four query lines,
 * and identity and clamped-border lane shuffles.
 */
class LaneOpsTest {
    private static final SplittableRandom RND = TestData.random("LaneOpsTest");

    /** The scalar defaults of TileOps at {@code ops}' lane count. */
    private static TileOps defaults(TileOps ops) {
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getName().equals("lanes")) {
                return ops.lanes();
            }
            if (m.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, m, args);
            }
            throw new UnsupportedOperationException(m.getName());
        };
        return (TileOps) Proxy.newProxyInstance(TileOps.class.getClassLoader(), new Class<?>[] {TileOps.class}, h);
    }

    private static float[] random(int n) {
        return TestData.gaussians(RND, n);
    }

    @Test
    void laneKernelsMatchScalarDefaults() {
        TileOps ops = VectorizationProvider.getInstance().tileOps();
        Assumptions.assumeTrue(ops.lanes() > 1, "no vector provider in this JVM");
        TileOps ref = defaults(ops);
        int w = ops.lanes(), k = 19, m = 11, ld = 3 * w, ls = k * ld + 5;
        int[] clamped = new int[w];
        for (int i = 0; i < w; i++) clamped[i] = Math.min(Math.max(i - 3, 0), w - 4);
        for (int[] idx : new int[][] {null, clamped}) {
            for (int rows : new int[] {1, 3, 4}) {
                for (int n : new int[] {3, 7}) {
                    for (int lines : new int[] {1, 2, 5}) {
                        int pairs = lines * n;
                        float[] q = random(4 * ls), kt = random(lines * ls + 2 * w), vt = random(lines * ls + 2 * w);
                        int[] qOffs = {0, ls + 1, 2 * ls + 2, 3 * ls + 3};
                        int[] sOffs = {0, pairs * w + 3, 2 * pairs * w + 6, 3 * pairs * w + 9};
                        float[] s1 = new float[4 * pairs * w + 16], s2 = s1.clone();
                        ops.laneScores(false, rows, pairs, n, k, q, qOffs, ld, kt, 2, ls, ld, idx, s1, sOffs);
                        ref.laneScores(false, rows, pairs, n, k, q, qOffs, ld, kt, 2, ls, ld, idx, s2, sOffs);
                        // A second slice of features added on top.
                        ops.laneScores(true, rows, pairs, n, 5, q, qOffs, ld, kt, 7, ls, ld, idx, s1, sOffs);
                        ref.laneScores(true, rows, pairs, n, 5, q, qOffs, ld, kt, 7, ls, ld, idx, s2, sOffs);
                        assertThat(TestData.relativeL2(s1, s2)).as("scores rows=%d n=%d lines=%d", rows, n, lines).isLessThan(1e-6);
                        float[] ml1 = new float[2 * w], ml2 = new float[2 * w];
                        ops.laneSoftmax(pairs, s1, sOffs[1], ml1, 0);
                        ref.laneSoftmax(pairs, s2, sOffs[1], ml2, 0);
                        assertThat(TestData.relativeL2(s1, s2)).isLessThan(1e-5);
                        assertThat(TestData.relativeL2(ml1, ml2)).isLessThan(1e-5);
                        float[] o1 = random(4 * m * w + 8), o2 = o1.clone();
                        int[] oOffs = {0, m * w + 2, 2 * m * w + 4, 3 * m * w + 8};
                        ops.laneAccumulate(rows, pairs, n, m, s1, sOffs, vt, 1, ls, ld, idx, o1, oOffs, w);
                        ref.laneAccumulate(rows, pairs, n, m, s2, sOffs, vt, 1, ls, ld, idx, o2, oOffs, w);
                        assertThat(TestData.relativeL2(o1, o2)).as("accumulate rows=%d n=%d lines=%d", rows, n, lines).isLessThan(1e-5);
                    }
                }
            }
        }
    }

    @Test
    void laneSoftmaxOfMaskedLanesIsZero() {
        for (TileOps ops : new TileOps[] {VectorizationProvider.getInstance().tileOps(), VectorizationProvider.scalar().tileOps()}) {
            int w = ops.lanes(), cnt = 5;
            float[] s = random(cnt * w);
            for (int j = 0; j < cnt; j++) s[j * w] = Float.NEGATIVE_INFINITY;
            s[w + (w > 1 ? 1 : 0)] = Float.NEGATIVE_INFINITY;
            float[] ml = new float[2 * w];
            ops.laneSoftmax(cnt, s, 0, ml, 0);
            for (int j = 0; j < cnt; j++) assertThat(s[j * w]).isEqualTo(0f);
            assertThat(ml[0]).isEqualTo(Float.NEGATIVE_INFINITY);
            assertThat(ml[w]).isEqualTo(0f);
            if (w > 1) {
                assertThat(s[w + 1]).isEqualTo(0f);
                double sum = 0;
                for (int j = 0; j < cnt; j++) sum += s[j * w + 1];
                assertThat(ml[w + 1]).isCloseTo((float) sum, org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }
    /**
     * {@link TileOps#onlineSoftmaxTile} (row statistics in vectors, L rows per group) against the row form over row
     * spans that start and end inside a group, a 0 / -inf mask with fully masked rows, rows with no key seen yet
     * (m = -inf) and rows whose max stays (alpha exactly 1).
     */
    @Test
    void onlineSoftmaxTileMatchesRows() {
        for (TileOps ops : new TileOps[] {VectorizationProvider.getInstance().tileOps(), VectorizationProvider.scalar().tileOps()}) {
            int ld = 64, rows = 64;
            for (int[] span : new int[][] {{0, 64}, {3, 37}, {17, 18}, {33, 36}, {0, 5}}) {
                for (boolean masked : new boolean[] {false, true}) {
                    float[] s = random(rows * ld), mask = new float[rows * ld];
                    float[] m = new float[rows], l = new float[rows];
                    for (int r = 0; r < rows; r++) {
                        // Every third row has seen no key yet; every fourth already holds a max above this tile's.
                        m[r] = r % 3 == 0 ? Float.NEGATIVE_INFINITY : r % 4 == 0 ? 10f : (float) RND.nextGaussian();
                        l[r] = m[r] == Float.NEGATIVE_INFINITY ? 0f : 1f + (float) RND.nextDouble();
                        for (int c = 0; c < ld; c++) {
                            // Row r sees keys [r % 7, ld - r % 5), rows 5 mod 11 none.
                            boolean vis = r % 11 != 5 && c >= r % 7 && c < ld - r % 5;
                            mask[r * ld + c] = vis ? 0f : Float.NEGATIVE_INFINITY;
                        }
                    }
                    float[] s2 = s.clone(), m2 = m.clone(), l2 = l.clone(), a1 = new float[rows], a2 = new float[rows];
                    float[] mk = masked ? mask : null;
                    ops.onlineSoftmaxTile(s, span[0], span[1], ld, mk, m, l, a1, new float[ops.tileScratch()]);
                    ops.onlineSoftmaxRows(s2, span[0], span[1], ld, ld, mk, m2, l2, a2);
                    for (int r = 0; r < rows; r++) {
                        boolean in = r >= span[0] && r < span[1];
                        assertThat(m[r]).as("m row %d", r).isEqualTo(m2[r]);
                        assertThat(l[r]).as("l row %d", r).isCloseTo(l2[r], org.assertj.core.data.Offset.offset(1e-4f * Math.max(1f, l2[r])));
                        if (in) {
                            assertThat(a1[r]).as("alpha row %d", r).isCloseTo(a2[r], org.assertj.core.data.Offset.offset(1e-5f));
                            // Exactly 1 where the max stays: callers skip the rescale on that.
                            if (a2[r] == 1f) assertThat(a1[r]).isEqualTo(1f);
                        }
                        for (int c = 0; c < ld; c++) {
                            int i = r * ld + c;
                            if (!in || s2[i] == 0f) {
                                assertThat(s[i]).as("s[%d][%d]", r, c).isEqualTo(s2[i]);
                            } else {
                                assertThat(s[i]).as("s[%d][%d]", r, c).isCloseTo(s2[i], org.assertj.core.data.Offset.offset(1e-5f * Math.max(1f, s2[i])));
                            }
                        }
                    }
                }
            }
        }
    }
}
