/* softmax.c: int8 SOFTMAX (beta folded into the input multiplier), as TFLite's reference int8 Softmax:
 * differences to the row maximum in Q5, gemmlowp exp, sum in Q12, one reciprocal per row, output zp -128. */

typedef struct {
    int32_t rows, depth;
    int32_t input_multiplier, input_left_shift, diff_min;
} cg_softmax_params;

CG_MAYBE_UNUSED static inline int32_t cg_count_leading_zeros(uint32_t x)
{
    int32_t n = 0;
    while (n < 32 && (x & 0x80000000u) == 0) {
        x <<= 1;
        n++;
    }
    return n;
}

/* the rescaled difference in Q5: SaturatingRoundingDoublingHighMul(diff * 2^left_shift, multiplier) */
CG_MAYBE_UNUSED static inline int32_t cg_softmax_scaled_diff(const cg_softmax_params *p, int32_t diff)
{
    return cg_doubling_high_mul(cg_shift_left_wrap(diff, p->input_left_shift), p->input_multiplier);
}

static void cg_softmax(const cg_softmax_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + r * p->depth;
        int8_t *y = out + r * p->depth;
        int32_t max_value = -128;
        for (int32_t c = 0; c < p->depth; c++) {
            max_value = x[c] > max_value ? x[c] : max_value;
        }
        int32_t sum_of_exps = 0; /* Q12 */
        for (int32_t c = 0; c < p->depth; c++) {
            const int32_t diff = x[c] - max_value;
            if (diff >= p->diff_min) {
                const int32_t e = cg_exp_on_negative_values(cg_softmax_scaled_diff(p, diff), 5);
                sum_of_exps = cg_add_wrap(sum_of_exps, cg_rounding_divide_by_pot(e, 12));
            }
        }
        /* reciprocal of the sum: normalise to [1, 2), 1/(1+x), remember the exponent */
        const int32_t headroom_plus_one = cg_count_leading_zeros((uint32_t)sum_of_exps);
        const int32_t num_bits_over_unit = 12 - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        const int32_t shifted_scale = cg_one_over_one_plus_x(shifted_sum_minus_one);
        for (int32_t c = 0; c < p->depth; c++) {
            const int32_t diff = x[c] - max_value;
            int32_t value = -128;
            if (diff >= p->diff_min) {
                const int32_t e = cg_exp_on_negative_values(cg_softmax_scaled_diff(p, diff), 5);
                value = cg_rounding_divide_by_pot(cg_doubling_high_mul(shifted_scale, e), num_bits_over_unit + 31 - 8);
                value = cg_clamp(value - 128, -128, 127);
            }
            y[c] = (int8_t)value;
        }
    }
}
