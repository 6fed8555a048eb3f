/* fixed_point_exp.c: gemmlowp's fixed-point exp(x) for x <= 0 and 1/(1+x) for x in [0,1), which TFLite's int8
 * SOFTMAX and LOGISTIC use. Q-formats: a value with k integer bits has raw = value * 2^(31-k). */

/* exp(x) on [-1/4, 0), Q0 in and out: Taylor series around -1/8 (gemmlowp's constants) */
static int32_t cg_exp_on_interval(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0 */
    const int32_t one_third = 715827883;             /* 1/3 in Q0 */
    const int32_t x = cg_add_wrap(a, 1 << 28);       /* a + 1/8 */
    const int32_t x2 = cg_doubling_high_mul(x, x);
    const int32_t x3 = cg_doubling_high_mul(x2, x);
    const int32_t x4 = cg_doubling_high_mul(x2, x2);
    const int32_t x4_over_4 = cg_rounding_divide_by_pot(x4, 2);
    const int32_t poly = cg_rounding_divide_by_pot(
        cg_add_wrap(cg_doubling_high_mul(cg_add_wrap(x4_over_4, x3), one_third), x2), 1);
    return cg_add_wrap(exp_minus_one_eighth,
                       cg_doubling_high_mul(exp_minus_one_eighth, cg_add_wrap(x, poly)));
}

/* exp(a) for a <= 0; `a` has `integer_bits` integer bits (5 for softmax, 4 for logistic), result in Q0 */
static int32_t cg_exp_on_negative_values(int32_t a, int32_t integer_bits)
{
    /* exp(-2^k) in Q0 for k = -2 .. 4 */
    static const int32_t exp_of_minus_pot[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t a_mod_quarter_minus_quarter = cg_sub_wrap(a & (one_quarter - 1), one_quarter);
    int32_t result = cg_exp_on_interval(cg_saturating_shift_left(a_mod_quarter_minus_quarter, integer_bits));
    const int32_t remainder = cg_sub_wrap(a_mod_quarter_minus_quarter, a);
    for (int32_t k = -2; k <= 4; k++) {
        if (integer_bits > k && (remainder & ((int32_t)1 << (fractional_bits + k))) != 0) {
            result = cg_doubling_high_mul(result, exp_of_minus_pot[k + 2]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1), Q0 in, Q0 out: three Newton-Raphson steps in Q2, as gemmlowp */
static int32_t cg_one_over_one_plus_x(int32_t a)
{
    /* half_denominator = (a + 1) / 2 in Q0, rounded as gemmlowp RoundingHalfSum */
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t one_q2 = 1 << 29;
    int32_t x = cg_add_wrap(1515870810, cg_doubling_high_mul(half_denominator, -1010580540)); /* 48/17 - 32/17 d */
    for (int32_t i = 0; i < 3; i++) {
        const int32_t half_denominator_times_x = cg_doubling_high_mul(half_denominator, x);
        const int32_t one_minus = cg_sub_wrap(one_q2, half_denominator_times_x);
        x = cg_add_wrap(x, cg_saturating_shift_left(cg_doubling_high_mul(x, one_minus), 2));
    }
    return cg_saturating_shift_left(x, 1);
}
