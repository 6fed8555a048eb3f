/* dot_product.c: the int8 inner product of CONV_2D and FULLY_CONNECTED, with the Cortex-M DSP fast path. */

/* sum of w[i] * (x[i] - zp) over n channels; |w * (x - zp)| <= 128 * 255 < 2^15, int32 holds 2^16 terms */
static inline int32_t cg_dot_s8(const int8_t *w, const int8_t *x, int32_t n, int32_t zp)
{
    int32_t acc = 0;
    int32_t i = 0;
#if defined(__ARM_FEATURE_DSP)
    /* two multiply-adds per __smlad: x - zp as two int16 lanes (__sxtab16), weights sign-extended (__sxtb16);
     * bytes 1 and 3 reach lanes 0 and 2 through a rotate by 8 (one ROR; GCC 12's arm_acle.h has no __ror) */
    const int32_t minus_zp = (int32_t)((uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u);
    for (; i + 4 <= n; i += 4) {
        uint32_t w4, x4;
        memcpy(&w4, w + i, 4);
        memcpy(&x4, x + i, 4);
        const int32_t x_even = __sxtab16(minus_zp, (int32_t)x4);
        const int32_t x_odd = __sxtab16(minus_zp, (int32_t)((x4 >> 8) | (x4 << 24)));
        const int32_t w_even = __sxtb16((int32_t)w4);
        const int32_t w_odd = __sxtb16((int32_t)((w4 >> 8) | (w4 << 24)));
        acc = __smlad(w_even, x_even, acc);
        acc = __smlad(w_odd, x_odd, acc);
    }
#endif
    for (; i < n; i++) {
        acc += (int32_t)w[i] * ((int32_t)x[i] - zp);
    }
    return acc;
}
