package org.attention4j.reference.locallinear;

/** In-place fp64 Cholesky solve of one symmetric positive definite diagonal block, lower triangle only. */
final class Cholesky {
    private Cholesky() {
    }

    /**
     * Solves {@code A x = b} for the block {@code A[start..start+n)²}, of which only the lower triangle
     * ({@code a[r][c]}, {@code c <= r}) is read; it is overwritten with the factor {@code L}, {@code A = L Lᵀ}.
     * Reads {@code b[start..start+n)} and writes {@code x[start..start+n)}. A NaN pivot propagates (NaN
     * inputs give NaN outputs, as in every other operator).
     *
     * @return false if a pivot is not positive (NaN aside): the block is not positive definite in fp64
     */
    static boolean solveLower(double[][] a, int start, int n, double[] b, double[] x) {
        int end = start + n;
        for (int c = start; c < end; c++) {
            double pivot = a[c][c];
            for (int p = start; p < c; p++) {
                pivot -= a[c][p] * a[c][p];
            }
            if (pivot <= 0) {
                return false;
            }
            double diag = Math.sqrt(pivot);
            a[c][c] = diag;
            for (int r = c + 1; r < end; r++) {
                double sum = a[r][c];
                for (int p = start; p < c; p++) {
                    sum -= a[r][p] * a[c][p];
                }
                a[r][c] = sum / diag;
            }
        }
        for (int r = start; r < end; r++) {
            double sum = b[r];
            for (int p = start; p < r; p++) {
                sum -= a[r][p] * x[p];
            }
            x[r] = sum / a[r][r];
        }
        for (int r = end - 1; r >= start; r--) {
            double sum = x[r];
            for (int p = r + 1; p < end; p++) {
                sum -= a[p][r] * x[p];
            }
            x[r] = sum / a[r][r];
        }
        return true;
    }
}
