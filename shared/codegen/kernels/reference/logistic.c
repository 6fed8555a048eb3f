/* logistic.c: int8 LOGISTIC, as TFLite's reference integer Logistic: input to Q4, gemmlowp logistic in Q0,
 * output = Q0 result / 2^23 - 128 (scale 1/256, zero point -128); inputs beyond the radius saturate. */

typedef struct {
    int32_t size, in_zp, input_range_radius, input_multiplier, input_left_shift;
} cg_logistic_params;

static void cg_logistic(const cg_logistic_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = in[i] - p->in_zp;
        int32_t value;
        if (x <= -p->input_range_radius) {
            value = -128;
        } else if (x >= p->input_range_radius) {
            value = 127;
        } else {
            const int32_t x_q4 = cg_requantize(x, p->input_multiplier, p->input_left_shift);
            /* logistic(a) = 1 / (1 + exp(-|a|)) for a > 0, 1 - that for a < 0, 1/2 at 0 */
            const int32_t magnitude = x_q4 > 0 ? x_q4 : -x_q4;
            const int32_t positive = cg_one_over_one_plus_x(cg_exp_on_negative_values(-magnitude, 4));
            const int32_t q0 = x_q4 == 0 ? (1 << 30) : (x_q4 > 0 ? positive : cg_sub_wrap(INT32_MAX, positive));
            value = cg_clamp(cg_rounding_divide_by_pot(q0, 31 - 8) - 128, -128, 127);
        }
        out[i] = (int8_t)value;
    }
}
