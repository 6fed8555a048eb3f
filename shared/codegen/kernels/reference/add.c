/* add.c: int8 ADD with 4-D broadcasting, as TFLite's reference integer Add: both inputs scaled to a common
 * 2^left_shift fixed-point scale, summed, requantized to the output. */

typedef struct {
    int32_t shape[4];       /* output shape, padded to 4-D */
    int32_t strides1[4];    /* element strides of input 1 (0 where broadcast) */
    int32_t strides2[4];
    int32_t in1_zp, in2_zp, out_zp, left_shift;
    int32_t in1_multiplier, in1_shift, in2_multiplier, in2_shift, out_multiplier, out_shift;
    int32_t act_min, act_max;
} cg_add_params;

CG_MAYBE_UNUSED static inline int8_t cg_add_one(const cg_add_params *p, int32_t a, int32_t b)
{
    const int32_t a_scaled = cg_requantize(cg_shift_left_wrap(a - p->in1_zp, p->left_shift),
                                           p->in1_multiplier, p->in1_shift);
    const int32_t b_scaled = cg_requantize(cg_shift_left_wrap(b - p->in2_zp, p->left_shift),
                                           p->in2_multiplier, p->in2_shift);
    const int32_t sum = cg_requantize(a_scaled + b_scaled, p->out_multiplier, p->out_shift) + p->out_zp;
    return (int8_t)cg_clamp(sum, p->act_min, p->act_max);
}

static void cg_add(const cg_add_params *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    int32_t n = 0;
    for (int32_t i0 = 0; i0 < p->shape[0]; i0++) {
        for (int32_t i1 = 0; i1 < p->shape[1]; i1++) {
            for (int32_t i2 = 0; i2 < p->shape[2]; i2++) {
                for (int32_t i3 = 0; i3 < p->shape[3]; i3++) {
                    const int32_t k1 = i0 * p->strides1[0] + i1 * p->strides1[1] + i2 * p->strides1[2] +
                                       i3 * p->strides1[3];
                    const int32_t k2 = i0 * p->strides2[0] + i1 * p->strides2[1] + i2 * p->strides2[2] +
                                       i3 * p->strides2[3];
                    out[n++] = cg_add_one(p, in1[k1], in2[k2]);
                }
            }
        }
    }
}
