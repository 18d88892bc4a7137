package org.attention4j.cpu.locallinear;

/** In-place fp64 Cholesky solve of one diagonal block of a symmetric positive definite row-major matrix. */
final class Cholesky {
    private Cholesky() {
    }

    /**
     * Solves {@code A[b0:b0+n, b0:b0+n] x = rhs[b0:b0+n]} into {@code x[b0:b0+n]}, overwriting the block's
     * lower triangle with its Cholesky factor. {@code A} has leading dimension {@code ld}.
     */
    static void solve(double[] a, int ld, int b0, int n, double[] rhs, double[] x) {
        for (int j = 0; j < n; j++) {
            int rj = (b0 + j) * ld + b0;
            double diag = a[rj + j];
            for (int p = 0; p < j; p++) diag -= a[rj + p] * a[rj + p];
            // λω > 0 keeps the block positive definite in exact arithmetic; guard against rounding.
            double ljj = Math.sqrt(Math.max(diag, Double.MIN_NORMAL));
            a[rj + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                int ri = (b0 + i) * ld + b0;
                double sum = a[ri + j];
                for (int p = 0; p < j; p++) sum -= a[ri + p] * a[rj + p];
                a[ri + j] = sum / ljj;
            }
        }
        for (int i = 0; i < n; i++) {
            int ri = (b0 + i) * ld + b0;
            double sum = rhs[b0 + i];
            for (int p = 0; p < i; p++) sum -= a[ri + p] * x[b0 + p];
            x[b0 + i] = sum / a[ri + i];
        }
        for (int i = n - 1; i >= 0; i--) {
            double sum = x[b0 + i];
            for (int p = i + 1; p < n; p++) sum -= a[(b0 + p) * ld + b0 + i] * x[b0 + p];
            x[b0 + i] = sum / a[(b0 + i) * ld + b0 + i];
        }
    }
}
