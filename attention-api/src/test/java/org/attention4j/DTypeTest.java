package org.attention4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DTypeTest {
    /** Independent RNE rounding to a p-bit significand with exponent range [emin, emax], via BigDecimal-free double math. */
    private static double roundTo(double x, int precisionBits, int emin, int emax) {
        if (Double.isNaN(x) || Double.isInfinite(x) || x == 0) return x;
        double ax = Math.abs(x);
        int e = Math.getExponent(ax);
        if (e < emin) e = emin; // subnormal range: fixed quantum
        double quantum = Math.scalb(1.0, e - (precisionBits - 1));
        double q = ax / quantum;
        double fl = Math.floor(q);
        double rem = q - fl;
        double r = rem > 0.5 || (rem == 0.5 && ((long) fl & 1) == 1) ? fl + 1 : fl;
        double out = r * quantum;
        double max = Math.scalb(2.0 - Math.scalb(1.0, 1 - precisionBits), emax);
        double overflow = Math.scalb(2.0 - Math.scalb(1.0, -precisionBits), emax); // halfway to the next binade
        if (out > max) out = ax >= overflow ? Double.POSITIVE_INFINITY : max;
        return Math.copySign(out, x);
    }

    @Test
    void halfRoundsToNearestEvenIncludingSubnormalsAndOverflow() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            float x = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(x)) continue;
            float got = DType.f16ToFloat(DType.floatToF16(x));
            double want = roundTo(x, 11, -14, 15);
            assertThat((double) got).as("f16(%s)", x).isEqualTo(want);
        }
        assertThat(DType.f16ToFloat(DType.floatToF16(65504f))).isEqualTo(65504f);
        assertThat(DType.f16ToFloat(DType.floatToF16(65519.99f))).isEqualTo(65504f);
        assertThat(DType.f16ToFloat(DType.floatToF16(65520f))).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(DType.f16ToFloat(DType.floatToF16(0x1p-24f))).isEqualTo(0x1p-24f);
        assertThat(DType.f16ToFloat(DType.floatToF16(0x1p-25f))).isEqualTo(0f); // tie to even (zero)
        assertThat(DType.f16ToFloat(DType.floatToF16(0x1.8p-25f))).isEqualTo(0x1p-24f);
        assertThat(DType.floatToF16(-0f)).isEqualTo((short) 0x8000);
    }

    @Test
    void bf16RoundsToNearestEven() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int i = 0; i < 200_000; i++) {
            float x = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(x)) continue;
            float got = DType.bf16ToFloat(DType.floatToBf16(x));
            double want = roundTo(x, 8, -126, 127);
            assertThat((double) got).as("bf16(%s)", x).isEqualTo(want);
        }
        // 1 + 2^-8 is exactly halfway between 1 and 1 + 2^-7: ties to even (1).
        assertThat(DType.bf16ToFloat(DType.floatToBf16(1f + 0x1p-8f))).isEqualTo(1f);
        assertThat(DType.bf16ToFloat(DType.floatToBf16(1f + 0x1.8p-8f))).isEqualTo(1f + 0x1p-7f);
    }

    @Test
    void nanAndInfinitySurvive() {
        for (DType t : DType.values()) {
            assertThat(t.round(Float.NaN)).isNaN();
            assertThat(t.round(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
            assertThat(t.round(Float.NEGATIVE_INFINITY)).isEqualTo(Float.NEGATIVE_INFINITY);
        }
        // A NaN whose payload lives only in the low bits must not become infinity.
        float lowNaN = Float.intBitsToFloat(0x7f800001);
        assertThat(DType.bf16ToFloat(DType.floatToBf16(lowNaN))).isNaN();
        assertThat(DType.f16ToFloat(DType.floatToF16(lowNaN))).isNaN();
    }
}
