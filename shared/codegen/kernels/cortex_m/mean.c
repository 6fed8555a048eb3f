/* cortex_m/mean.c: the SXTAB16 fast path of MEAN (reference/mean.c stays the fallback). */

/* MEAN over an inner (channel) count that is a multiple of 4, at most 256 reduced values, and a right shift of
 * 1 .. 21 (the generator checks all three): the 4 channels of a word summed over the whole run of `reduced`
 * pixels by cg_sum4_run (dsp.c; 256 values of -128 .. 127 fit a 16-bit lane), then reference/mean.c's
 * requantization in its one-SMMLAR form (cg_requantize_doubled: |sum - zp * count| <= 255 * 256 < 2^30), output
 * zero point folded into the offset, SSAT. Writes 4 channels of an outer slice after reading them, so it may run
 * in place as the reference loop does. */
CG_MAYBE_UNUSED static void cg_mean_dsp(const cg_mean_params *p, const int8_t *in, int8_t *out)
{
    const int32_t right_shift = -p->shift, zp_sum = p->in_zp * p->reduced;
    const int32_t offset = (1 << (right_shift - 1)) + p->out_zp * (1 << right_shift); /* |.| < 2^29 */
    for (int32_t o = 0; o < p->outer; o++, in += p->reduced * p->inner, out += p->inner) {
        for (int32_t c = 0; c < p->inner; c += 4) {
            int32_t even = 0, odd = 0, sums[4];
            cg_sum4_run(in + c, p->reduced, p->inner, &even, &odd);
            cg_sum4_lanes(even, odd, sums);
            for (int32_t k = 0; k < 4; k++) {
                out[c + k] = cg_saturate_int8(
                    cg_requantize_doubled(2 * (sums[k] - zp_sum), p->multiplier, offset, right_shift));
            }
        }
    }
}
