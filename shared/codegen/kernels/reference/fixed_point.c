/* fixed_point.c: TFLite's integer requantization rules (gemmlowp semantics), used by every arithmetic kernel.
 * Wrap-around products go through uint32_t so that no signed overflow (undefined in C) can happen where TFLite's
 * C++ relies on two's-complement wrapping. */

CG_MAYBE_UNUSED static inline int32_t cg_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* x * 2^exponent with two's-complement wrap, as TFLite's `x * (1 << left_shift)` on int32 */
CG_MAYBE_UNUSED static inline int32_t cg_shift_left_wrap(int32_t x, int32_t exponent)
{
    return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp SaturatingRoundingDoublingHighMul: (a * b * 2 + 2^31) / 2^32 rounded half away from zero;
 * the one overflow (INT32_MIN * INT32_MIN) saturates. */
CG_MAYBE_UNUSED static inline int32_t cg_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    int64_t product = (int64_t)a * (int64_t)b;
    int64_t nudge = product >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((product + nudge) / ((int64_t)1 << 31));
}

/* gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31 */
CG_MAYBE_UNUSED static inline int32_t cg_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier (double rounding): x * multiplier / 2^31 * 2^shift, for the multipliers of
 * the generated tables (0 <= multiplier < 2^31). With a non-negative multiplier the doubling high multiply never
 * saturates, and its round-half-away-from-zero of product / 2^31 equals floor((product + 2^30) / 2^31) for every
 * product (ties of negative products land on the side nearer zero in both forms), which costs fewer instructions. */
CG_MAYBE_UNUSED static inline int32_t cg_requantize_split(int32_t x, int32_t multiplier, int32_t left_shift, int32_t right_shift)
{
    const int64_t product = (int64_t)cg_shift_left_wrap(x, left_shift) * multiplier;
    const int32_t high = (int32_t)((product + ((int64_t)1 << 30)) >> 31);
    return cg_rounding_divide_by_pot(high, right_shift);
}

/* the same with TFLite's one signed shift (left_shift = max(shift, 0), right_shift = max(-shift, 0)) */
CG_MAYBE_UNUSED static inline int32_t cg_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    return cg_requantize_split(x, multiplier, shift > 0 ? shift : 0, shift > 0 ? 0 : -shift);
}

/* cg_requantize plus the output zero point, in fewer instructions, for a row (an output channel) whose TFLite
 * shift is negative (right shift 1 <= r <= 21, no left shift) and whose accumulators satisfy |acc| < 2^30 (the
 * generator checks |bias| + sum |w| * max |x - zp| < 2^30 for every row, or leaves offsets NULL). Then q = 2 acc is exact and TFLite's doubling high
 * multiply is h = floor((q * m + 2^31) / 2^32), SMMULR's rounding; the rounding divide by 2^r is floor((h + 2^(r-1)
 * - [h < 0]) / 2^r), where [h < 0] may be [q < 0] (they differ only where h = 0, and both give 0), and adding
 * zp * 2^r before the floor adds zp after it. offset = 2^(r-1) + zp * 2^r: one SMMLAR, one add, one shift; no
 * intermediate exceeds 2^31 for r <= 21. */
CG_MAYBE_UNUSED static inline int32_t cg_requantize_offset(int32_t acc, int32_t multiplier, int32_t offset,
                                                           int32_t right_shift)
{
    const int32_t q = cg_shift_left_wrap(acc, 1);
    const int32_t high = (int32_t)(((int64_t)offset * ((int64_t)1 << 32) + (int64_t)q * multiplier +
                                    ((int64_t)1 << 31)) >> 32); /* SMMLAR on a DSP core (cortex_m/dsp.c) */
    return (high - (q < 0)) >> right_shift;
}

/* gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent: x * 2^exponent, saturated to int32 */
CG_MAYBE_UNUSED static inline int32_t cg_saturating_shift_left(int32_t x, int32_t exponent)
{
    int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return cg_shift_left_wrap(x, exponent);
}

/* Two's-complement wrapping add/sub, as gemmlowp's FixedPoint operator+ / operator- on int32 */
CG_MAYBE_UNUSED static inline int32_t cg_add_wrap(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

CG_MAYBE_UNUSED static inline int32_t cg_sub_wrap(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* x clamped to the int8 range; written in two steps, the form GCC 12 and clang 14 turn into one SSAT on ARMv6 and
 * up (the nested conditional of cg_clamp stays compares and branches) */
CG_MAYBE_UNUSED static inline int8_t cg_saturate_int8(int32_t x)
{
    x = x < -128 ? -128 : x;
    x = x > 127 ? 127 : x;
    return (int8_t)x;
}
