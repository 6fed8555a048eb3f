/* mean.c: int8 MEAN over one contiguous run of axes, seen as (outer, reduced, inner), as TFLM's integer
 * QuantizedMeanOrSum: sum, subtract zp * count, one requantization whose multiplier already holds 1/count. */

typedef struct {
    int32_t outer, reduced, inner;
    int32_t in_zp, out_zp, multiplier, shift;
} cg_mean_params;

CG_MAYBE_UNUSED static void cg_mean(const cg_mean_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t o = 0; o < p->outer; o++) {
        for (int32_t i = 0; i < p->inner; i++) {
            int32_t sum = 0;
            for (int32_t r = 0; r < p->reduced; r++) {
                sum += in[(o * p->reduced + r) * p->inner + i];
            }
            const int32_t centred = sum - p->in_zp * p->reduced;
            const int32_t value = cg_requantize(centred, p->multiplier, p->shift) + p->out_zp;
            out[o * p->inner + i] = (int8_t)cg_clamp(value, -128, 127);
        }
    }
}
