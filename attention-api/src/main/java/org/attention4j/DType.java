package org.attention4j;

/**
 * Element types of a {@link Tensor}. Storage may be half precision; every tier computes in fp32 or wider.
 *
 * <p>Conversions from {@code float} round to nearest, ties to even, and keep NaN and the infinities.
 */
public enum DType {
    /** IEEE 754 binary32. */
    F32(4),
    /** IEEE 754 binary16. */
    F16(2),
    /** bfloat16: the upper 16 bits of a binary32. */
    BF16(2);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Rounds {@code x} to this type and back, as storing it in a tensor of this type would. */
    public float round(float x) {
        switch (this) {
            case F16: return f16ToFloat(floatToF16(x));
            case BF16: return bf16ToFloat(floatToBf16(x));
            default: return x;
        }
    }

    /** Unit roundoff of this type (half an ulp at 1.0). */
    public double epsilon() {
        switch (this) {
            case F16: return 0x1p-11;
            case BF16: return 0x1p-8;
            default: return 0x1p-24;
        }
    }

    /** float to bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        bits += 0x7fff + lsb;
        return (short) (bits >>> 16);
    }

    /** bfloat16 bits to float (exact). */
    public static float bf16ToFloat(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    /** float to IEEE binary16 bits, round to nearest even, with subnormals, overflow to infinity and NaN kept. */
    public static short floatToF16(float x) {
        int bits = Float.floatToRawIntBits(x);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) {
            return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff));
        }
        if (abs >= 0x477ff000) {
            // >= 65520 rounds to infinity (65504 is the largest finite half).
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) {
            // Result is subnormal or zero: value = m * 2^-24 with m rounded to nearest even.
            if (abs < 0x33000000) {
                return (short) sign; // below half of the smallest subnormal (2^-25): rounds to zero
            }
            int exp = abs >>> 23;
            int mant = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - exp; // 113 - exp + 13
            int half = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        // Normal: rebias exponent (127 -> 15) and round the 13 dropped mantissa bits to nearest even.
        int rounded = abs - 0x38000000;
        int lsb = (rounded >>> 13) & 1;
        rounded += 0xfff + lsb;
        return (short) (sign | (rounded >>> 13));
    }

    /** IEEE binary16 bits to float (exact). */
    public static float f16ToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
