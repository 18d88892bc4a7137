package org.attention4j.cpu.linear;

import org.attention4j.Tensor;

/** Test oracle: the token-by-token recurrence of spec 3.1 / 3.2 / 4.1 in fp64 (the key sum decays like the state). */
public final class NaiveLinear {
    public final double[] out;
    public final double[] state;
    public final double[] keySum;

    private NaiveLinear(double[] out, double[] state, double[] keySum) {
        this.out = out;
        this.state = state;
        this.keySum = keySum;
    }

    /** Log decay of step at storage position {@code pos} for (b, h) and key dim d. */
    public interface Decay {
        double at(int b, int pos, int h, int d);
    }

    public static NaiveLinear run(Tensor q, Tensor k, Tensor v, Decay decay, double scale, boolean normalize,
                                  boolean reverse, int[] cuSeqlens, Tensor h0, Tensor z0) {
        int batch = q.dim(0), t = q.dim(1), heads = q.dim(2), dk = q.dim(3), dv = v.dim(3);
        float[] qa = q.toFloatArray(), ka = k.toFloatArray(), va = v.toFloatArray();
        float[] s0 = h0 == null ? null : h0.toFloatArray();
        float[] zi = z0 == null ? null : z0.toFloatArray();
        int seqs = cuSeqlens == null ? batch : cuSeqlens.length - 1;
        double[] out = new double[batch * t * heads * dv];
        double[] fs = new double[seqs * heads * dk * dv];
        double[] fz = new double[seqs * heads * dk];
        for (int n = 0; n < seqs; n++) {
            int b = cuSeqlens == null ? n : 0;
            int start = cuSeqlens == null ? 0 : cuSeqlens[n], end = cuSeqlens == null ? t : cuSeqlens[n + 1];
            for (int h = 0; h < heads; h++) {
                double[] s = new double[dk * dv];
                double[] z = new double[dk];
                int base = (n * heads + h) * dk;
                for (int i = 0; i < dk * dv; i++) s[i] = s0 == null ? 0 : s0[base * dv + i];
                for (int d = 0; d < dk; d++) z[d] = zi == null ? 0 : zi[base + d];
                for (int step = 0; step < end - start; step++) {
                    int pos = reverse ? end - 1 - step : start + step;
                    int row = (b * t + pos) * heads + h;
                    for (int d = 0; d < dk; d++) {
                        double f = decay == null ? 1 : Math.exp(decay.at(b, pos, h, d));
                        for (int e = 0; e < dv; e++) {
                            s[d * dv + e] = f * s[d * dv + e] + (double) ka[row * dk + d] * va[row * dv + e];
                        }
                        z[d] = f * z[d] + ka[row * dk + d];
                    }
                    double den = 0;
                    for (int d = 0; d < dk; d++) den += scale * qa[row * dk + d] * z[d];
                    for (int e = 0; e < dv; e++) {
                        double o = 0;
                        for (int d = 0; d < dk; d++) o += scale * qa[row * dk + d] * s[d * dv + e];
                        out[row * dv + e] = normalize ? o / (den + 1e-10) : o;
                    }
                }
                System.arraycopy(s, 0, fs, base * dv, dk * dv);
                System.arraycopy(z, 0, fz, base, dk);
            }
        }
        return new NaiveLinear(out, fs, fz);
    }
}
