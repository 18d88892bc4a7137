package org.attention4j.cpu.vectorization;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.attention4j.cpu.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The linear family's chunk kernels ({@link TileOps#causalScores}, {@link TileOps#causalOutput},
 * {@link TileOps#cumulativeRows}, {@link TileOps#mulExp2DiffPair}) of the provider against the scalar provider's, for chunk lengths inside, at and past the first key block (the 8-row and 4-row register blocks,
 * partial last blocks), with and without gates, panels of 4 vectors (one fused register panel) and fewer, at offsets
 * and leading dimensions larger than the chunk.
 */
class ChunkOpsTest {
    private static final SplittableRandom RND = TestData.random("ChunkOpsTest");

    private static float[] random(int n) {
        return TestData.gaussians(RND, n);
    }

    @Test
    void causalScoresMatchScalar() {
        TileOps ops = VectorizationProvider.getInstance().tileOps();
        Assumptions.assumeTrue(ops.lanes() > 1, "no vector provider in this JVM");
        TileOps ref = VectorizationProvider.scalar().tileOps();
        int w = ops.lanes();
        for (int m : new int[] {1, 5, 8, 11, w, w + 3, 2 * w + 7, 4 * w}) {
            for (int k : new int[] {3, 64}) {
                for (boolean gated : new boolean[] {false, true}) {
                    int width = (m + w - 1) / w * w, ldq = k + 5, ldkt = width + w, lda = width + 2 * w;
                    float[] q = random(3 + m * ldq), kt = random(7 + k * ldkt);
                    float[] g = null;
                    if (gated) {
                        g = new float[2 + width];
                        for (int i = 1; i < g.length - 2; i++) g[2 + i] = g[1 + i] - (float) Math.abs(RND.nextGaussian()) * 0.3f;
                    }
                    float[] a1 = random(11 + m * lda), a2 = a1.clone();
                    ops.causalScores(m, k, q, 3, ldq, kt, 7, ldkt, g, 2, a1, 11, lda);
                    ref.causalScores(m, k, q, 3, ldq, kt, 7, ldkt, g, 2, a2, 11, lda);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < m; j++) {
                            float x = a1[11 + i * lda + j], y = a2[11 + i * lda + j];
                            if (j > i) {
                                assertThat(x).as("m=%d k=%d gated=%b A[%d][%d] above the diagonal", m, k, gated, i, j).isZero();
                            } else {
                                assertThat(x).as("m=%d k=%d gated=%b A[%d][%d]", m, k, gated, i, j)
                                        .isCloseTo(y, org.assertj.core.api.Assertions.within(1e-4f * (1 + Math.abs(y))));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void causalOutputMatchesScalar() {
        TileOps ops = VectorizationProvider.getInstance().tileOps();
        Assumptions.assumeTrue(ops.lanes() > 1, "no vector provider in this JVM");
        TileOps ref = VectorizationProvider.scalar().tileOps();
        int w = ops.lanes();
        for (int m : new int[] {1, 3, 4, 5, 4 * w - 3, 4 * w}) {
            for (int n : new int[] {2 * w, 4 * w}) {
                for (int k : new int[] {5, 64}) {
                    int ldq = k + 3, lds = n + w, lda = 4 * w + 5, ldv = n + 2 * w, ldo = n + 3 * w;
                    float[] q = random(2 + m * ldq), st = random(4 + k * lds), v = random(6 + m * ldv);
                    float[] a = random(1 + m * lda);
                    for (int i = 0; i < m; i++) java.util.Arrays.fill(a, 1 + i * lda + i + 1, 1 + i * lda + m, 0f);
                    float[] o1 = random(9 + m * ldo), o2 = o1.clone();
                    ops.causalOutput(m, n, k, q, 2, ldq, st, 4, lds, a, 1, lda, v, 6, ldv, o1, 9, ldo);
                    ref.causalOutput(m, n, k, q, 2, ldq, st, 4, lds, a, 1, lda, v, 6, ldv, o2, 9, ldo);
                    for (int i = 0; i < o1.length; i++) {
                        assertThat(o1[i]).as("m=%d n=%d k=%d at %d", m, n, k, i)
                                .isCloseTo(o2[i], org.assertj.core.api.Assertions.within(1e-4f * (1 + Math.abs(o2[i]))));
                    }
                }
            }
        }
    }

    @Test
    void gateRowsMatchScalar() {
        TileOps ops = VectorizationProvider.getInstance().tileOps();
        Assumptions.assumeTrue(ops.lanes() > 1, "no vector provider in this JVM");
        TileOps ref = VectorizationProvider.scalar().tileOps();
        int w = ops.lanes();
        for (int rows : new int[] {1, 7, 64}) {
            for (int n : new int[] {3, w, 4 * w + 5}) {
                int ld = n + 7;
                float[] g = random(2 + rows * ld);
                for (int i = 0; i < g.length; i++) g[i] = -Math.abs(g[i]) * 0.7f;
                float[] c1 = random(5 + rows * ld), c2 = c1.clone();
                ops.cumulativeRows(rows, n, g, 2, ld, 1.4427f, c1, 5, ld);
                ref.cumulativeRows(rows, n, g, 2, ld, 1.4427f, c2, 5, ld);
                assertThat(c1).as("cumulativeRows rows=%d n=%d", rows, n).containsExactly(c2);
                // Cumulated gates against the last row: exponents in [-span, 0], as GLA's factored chunks use them.
                int last = 5 + (rows - 1) * ld;
                float[] k = random(3 + rows * ld), q = random(4 + rows * ld);
                float[] k1 = random(1 + rows * ld), k2 = k1.clone(), q1 = random(6 + rows * ld), q2 = q1.clone();
                ops.mulExp2DiffPair(rows, n, c1, last, c1, 5, ld, k, 3, ld, k1, 1, ld, q, 4, ld, q1, 6, ld);
                ref.mulExp2DiffPair(rows, n, c1, last, c1, 5, ld, k, 3, ld, k2, 1, ld, q, 4, ld, q2, 6, ld);
                for (int i = 0; i < k1.length; i++) {
                    assertThat(k1[i]).as("keys rows=%d n=%d at %d", rows, n, i)
                            .isCloseTo(k2[i], org.assertj.core.api.Assertions.within(1e-5f * (1 + Math.abs(k2[i]))));
                }
                for (int i = 0; i < q1.length; i++) {
                    assertThat(q1[i]).as("queries rows=%d n=%d at %d", rows, n, i)
                            .isCloseTo(q2[i], org.assertj.core.api.Assertions.within(1e-5f * (1 + Math.abs(q2[i]))));
                }
            }
        }
    }
}
