package org.attention4j.reference.radial;

import java.util.Arrays;

/**
 * The radial block mask built for the tests literally from the pseudocode of spec 6.2, token by token: each
 * frame pair's {@code P x P} tile is materialized, placed at its sub-block offset in a zero pad, cropped,
 * and shrunk block by block with the column-density rule; plus this library's convention for a partial
 * tail block ({@code nb = ceil(s / Bk)}, tiles clipped at {@code nb}). Slow (O(F^2 P^2)): small P only.
 */
final class SpecRadialMask {
    private SpecRadialMask() {
    }

    static int bitLength(int x) {
        int n = 0;
        while (x > 0) {
            n++;
            x >>= 1;
        }
        return n;
    }

    /** {@code [nb][nb]} kept blocks. */
    static boolean[][] build(int videoTokens, int frames, int seqLen, int bk, double delta, boolean wan) {
        int p = videoTokens / frames;
        int nb = (seqLen + bk - 1) / bk;
        int border = videoTokens / bk;
        boolean[][] m = new boolean[nb][nb];
        for (int a = 0; a < nb; a++) {
            for (int b = 0; b < nb; b++) {
                m[a][b] = a >= border || b >= border;
            }
        }
        double pp = 1 << bitLength(p);
        int n = (p + bk - 1) / bk;
        for (int i = 0; i < frames; i++) {
            for (int j = 0; j < frames; j++) {
                boolean[][] tile = new boolean[p][p];
                if (wan && j == 0) {
                    for (boolean[] row : tile) Arrays.fill(row, true);
                } else {
                    int d = Math.abs(i - j);
                    int g = bitLength(d);
                    double width = d <= 1 ? p : Math.max(pp / (1 << g) * delta, bk);
                    double dl = pp / (1 << g);
                    boolean keep = dl >= 128 || d % (int) (128 / dl) == 0;
                    for (int r = 0; r < p; r++) {
                        for (int c = 0; c < p; c++) {
                            tile[r][c] = keep && Math.abs(c - r) <= width;
                        }
                    }
                }
                int rr = (i * p) % bk, rc = (j * p) % bk;
                boolean[][] pad = new boolean[rr + n * bk][rc + n * bk];
                for (int r = 0; r < p; r++) {
                    System.arraycopy(tile[r], 0, pad[rr + r], rc, p);
                }
                for (int a = 0; a < n; a++) {
                    for (int b = 0; b < n; b++) {
                        int high = 0, nonzero = 0;
                        for (int c = 0; c < bk; c++) {
                            int count = 0;
                            for (int r = 0; r < bk; r++) {
                                if (pad[a * bk + r][b * bk + c]) count++;
                            }
                            double density = (double) count / bk;
                            if (density > 1.0 / 3) high++;
                            if (density > 0) nonzero++;
                        }
                        int qa = i * p / bk + a, kb = j * p / bk + b;
                        if (qa < nb && kb < nb && high / (nonzero + 1e-9) > 0.6) {
                            m[qa][kb] = true;
                        }
                    }
                }
            }
        }
        return m;
    }

    static double density(boolean[][] m) {
        int kept = 0;
        for (boolean[] row : m) for (boolean x : row) if (x) kept++;
        return (double) kept / (m.length * m.length);
    }
}
