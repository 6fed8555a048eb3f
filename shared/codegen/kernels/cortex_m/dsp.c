/* cortex_m/dsp.c: small helpers of the DSP fast paths (ARMv7E-M: LDRD, SMMLAR), pasted when CG_DSP. */

/* LDRD with post-increment: the next two words (four int16 values) into *low and *high. GCC splits 64-bit loads
 * into two LDRs whose halves feed SMLAD, so the one load instruction is asked for explicitly. */
CG_MAYBE_UNUSED static inline void cg_load_two_words(const int32_t **pointer, int32_t *low, int32_t *high)
{
    __asm__("ldrd %0, %1, [%2], #8" : "=r"(*low), "=r"(*high), "+r"(*pointer) : "m"(**pointer), "m"((*pointer)[1]));
}

/* the 4 bytes at x, any alignment (the Cortex-M7 loads unaligned words): memcpy would do, but clang turns it into
 * byte loads and ORs */
CG_MAYBE_UNUSED static inline int32_t cg_load_word(const int8_t *x)
{
    int32_t word;
    __asm__("ldr %0, %1" : "=r"(word) : "m"(*(const int32_t *)(const void *)x));
    return word;
}

/* the 4 channels of n pixels at v, v + step, ..., v + (n - 1) * step (any alignment) added by SXTAB16 into two
 * sums of 16-bit lanes: *even gets channels 0 and 2 (low, high lane), *odd channels 1 and 3 (the word rotated by
 * 8). Two pixels a step: 2 loads, 4 SXTAB16. The caller bounds each lane to 256 values of -128 .. 127. */
CG_MAYBE_UNUSED static inline void cg_sum4_run(const int8_t *v, int32_t n, int32_t step, int32_t *even, int32_t *odd)
{
    int32_t e = *even, o = *odd;
    for (const int8_t *const end = v + (n & ~1) * step; v < end; v += 2 * step) {
        const int32_t w0 = cg_load_word(v), w1 = cg_load_word(v + step);
        e = __sxtab16(__sxtab16(e, w0), w1);
        __asm__("sxtab16 %0, %0, %1, ror #8\n\t"
                "sxtab16 %0, %0, %2, ror #8" : "+r"(o) : "r"(w0), "r"(w1));
    }
    if (n & 1) {
        const int32_t w = cg_load_word(v);
        e = __sxtab16(e, w);
        __asm__("sxtab16 %0, %0, %1, ror #8" : "+r"(o) : "r"(w));
    }
    *even = e;
    *odd = o;
}

/* the 4 channel sums of cg_sum4_run's lanes, in channel order */
CG_MAYBE_UNUSED static inline void cg_sum4_lanes(int32_t even, int32_t odd, int32_t sums[4])
{
    sums[0] = (int16_t)even;
    sums[1] = (int16_t)odd;
    sums[2] = even >> 16;
    sums[3] = odd >> 16;
}

/* TFLite's requantization of a doubled accumulator q = 2 acc (|acc| < 2^30, right shift 1 <= r <= 21) plus the
 * output zero point, with offset = 2^(r-1) + zp * 2^r: SMMLAR, the sign correction, a shift (see fixed_point.c,
 * cg_requantize_offset, for the proof) */
CG_MAYBE_UNUSED static inline int32_t cg_requantize_doubled(int32_t q, int32_t multiplier, int32_t offset,
                                                            int32_t right_shift)
{
    int32_t high;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(high) : "r"(q), "r"(multiplier), "r"(offset));
    return (high - (int32_t)((uint32_t)q >> 31)) >> right_shift;
}

/* x clamped to the int8 range: one SSAT. The portable cg_saturate_int8 (reference/fixed_point.c) becomes compares
 * and branches inside GCC 12's loops, so the kernels pasted after this file (the DSP build only) call this one. */
CG_MAYBE_UNUSED static inline int8_t cg_saturate_int8_dsp(int32_t x)
{
    int32_t saturated;
    __asm__("ssat %0, #8, %1" : "=r"(saturated) : "r"(x));
    return (int8_t)saturated;
}
#define cg_saturate_int8(x) cg_saturate_int8_dsp(x)
