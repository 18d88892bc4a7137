package org.attention4j.cpu.vectorization;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.attention4j.cpu.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The linear family's chunk kernels ({@link TileOps#causalScores}) of the provider against the scalar provider's, for
 * chunk lengths inside, at and past the first key block (the 8-row and 4-row register blocks, partial last blocks),
 * with and without gates, at offsets and leading dimensions larger than the chunk.
 */
class ChunkOpsTest {
    private static final SplittableRandom RND = TestData.random("ChunkOpsTest");

    private static float[] random(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) RND.nextGaussian();
        return x;
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
}
