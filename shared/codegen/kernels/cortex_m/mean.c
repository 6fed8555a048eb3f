/* cortex_m/mean.c: the SXTAB16 fast path of MEAN (reference/mean.c stays the fallback). */

/* MEAN over an inner (channel) count that is a multiple of 4, at most 256 reduced values, and a right shift of
 * 1 .. 21 (the generator checks all three): the 4 channels of a word summed over the whole run of `reduced`
 * pixels by cg_sum4_run (dsp.c; 256 values of -128 .. 127 fit a 16-bit lane), then reference/mean.c's
 * requantization in its one-SMMLAR form (cg_requantize_doubled: |sum - zp * count| <= 255 * 256 < 2^30), output
 * zero point folded into the offset, SSAT. Writes 4 channels of an outer slice after reading them, so it may run
 * in place as the reference loop does. */
CG_MAYBE_UNUSED static void cg_mean_dsp(const cg_mean_params *p, const int8_t *in, int8_t *out)
{
    const int32_t right_shift = -p->shift, minus_zp_sums = -2 * p->in_zp * p->reduced, multiplier = p->multiplier;
    const int32_t offset = (1 << (right_shift - 1)) + p->out_zp * (1 << right_shift); /* |.| < 2^29 */
#define CG_MEAN_OUT(sum) cg_saturate_int8(cg_requantize_doubled(2 * (sum) + minus_zp_sums, multiplier, offset, \
                                                                right_shift))
    for (int32_t o = 0; o < p->outer; o++, in += p->reduced * p->inner, out += p->inner) {
        for (int32_t c = 0; c < p->inner; c += 4) {
            int32_t even = 0, odd = 0; /* lanes: channels c, c + 2 and c + 1, c + 3 */
            cg_sum4_run(in + c, p->reduced, p->inner, &even, &odd);
            out[c] = CG_MEAN_OUT((int16_t)even); /* the 4 spelt out: a loop kept the sums on the stack */
            out[c + 1] = CG_MEAN_OUT((int16_t)odd);
            out[c + 2] = CG_MEAN_OUT(even >> 16);
            out[c + 3] = CG_MEAN_OUT(odd >> 16);
        }
    }
#undef CG_MEAN_OUT
}
