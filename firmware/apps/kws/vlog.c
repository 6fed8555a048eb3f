/* arm_vlog_f32 for the KWS MFCC, replacing CMSIS-DSP's FastMathFunctions/arm_vlog_f32.c (left out of
 * shared/cmsis_dsp.py mfcc_sources). CMSIS-DSP's scalar path calls the C library's logf, and newlib's (Cortex-M) and
 * glibc's (host twin) logf differ in the last bit for some inputs, so the device's MFCC was not bit-identical to the
 * host C twin's. This one uses only float32 +, -, *, / (correctly rounded everywhere, no FMA with
 * -ffp-contract=off), so every build gives the same bits; it stays within ~1 ulp of the true log, so the numpy MFCC
 * (np.log) still agrees within 1e-5 x the feature range (tests/kws/test_mfcc.py).
 *
 * Method: x = 2^k * m with m in [sqrt(2)/2, sqrt(2)); log(m) = log1p(f), f = m - 1, = 2 atanh(s), s = f / (2 + f),
 * |s| <= 0.1716; 2 atanh(s) = 2s + s R(z), z = s^2, R = 2z/3 + 2z^2/5 + 2z^3/7 + 2z^4/9 (next term < 1e-9
 * relative), and 2s = f - hf + s hf with hf = f^2/2 keeps the rounding error small; ln 2 is split in a part whose
 * products with k are exact and a small rest. arm_mfcc_f32 logs mel energies + 1e-6, so inputs are positive normal
 * numbers; zero, negative, subnormal, infinite and NaN inputs still get IEEE-style answers. */
#include <stdint.h>
#include <string.h>

#include "arm_math.h"

#define KWS_LN2_HI 0.693115234375f         /* ln 2 rounded to 12 significant bits: k * KWS_LN2_HI is exact */
#define KWS_LN2_LO 3.19461832987e-05f      /* ln 2 - KWS_LN2_HI */
#define KWS_SQRT_HALF_BITS 0x3F3504F3u     /* float32 bits of sqrt(2)/2 */

static uint32_t float_bits(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits;
}

static float bits_float(uint32_t bits)
{
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static float kws_logf(float x)
{
    uint32_t bits = float_bits(x);
    int32_t k = 0;
    if (x != x || bits == 0x7F800000u) {
        return x; /* NaN, +inf */
    }
    if (x <= 0.0f) {
        return x == 0.0f ? -1.0f / 0.0f : (x - x) / 0.0f; /* -inf for 0, NaN below */
    }
    if (bits < 0x00800000u) { /* subnormal: scale by 2^25 first */
        x *= 33554432.0f;
        bits = float_bits(x);
        k = -25;
    }
    /* exponent so that the mantissa m lands in [sqrt(2)/2, sqrt(2)) */
    uint32_t mantissa = bits & 0x007FFFFFu;
    int32_t exponent = (int32_t)(bits >> 23) - 127;
    if ((mantissa | 0x3F000000u) < KWS_SQRT_HALF_BITS) { /* m / 2 < sqrt(2)/2, i.e. m < sqrt(2): keep m */
        k += exponent;
        mantissa |= 0x3F800000u; /* m in [1, sqrt(2)) */
    } else {
        k += exponent + 1;
        mantissa |= 0x3F000000u; /* m / 2 in [sqrt(2)/2, 1) */
    }
    const float f = bits_float(mantissa) - 1.0f; /* exact (Sterbenz) */
    const float half_f2 = 0.5f * f * f;
    const float s = f / (2.0f + f);
    const float z = s * s;
    const float r = z * (2.0f / 3.0f + z * (2.0f / 5.0f + z * (2.0f / 7.0f + z * (2.0f / 9.0f))));
    const float kf = (float)k;
    return kf * KWS_LN2_HI + ((f - half_f2) + (s * (half_f2 + r) + kf * KWS_LN2_LO));
}

void arm_vlog_f32(const float32_t *pSrc, float32_t *pDst, uint32_t blockSize)
{
    for (uint32_t i = 0; i < blockSize; i++) {
        pDst[i] = kws_logf(pSrc[i]);
    }
}
