/* relu.c: standalone int8 RELU / RELU6 / RELU_N1_TO_1, as TFLM's ReluQuantized: requantize to the output
 * scale, then clamp to the activation's range in output units. */

typedef struct {
    int32_t size, in_zp, out_zp, multiplier, shift, act_min, act_max;
} cg_relu_params;

static void cg_relu(const cg_relu_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t value = p->out_zp + cg_requantize(in[i] - p->in_zp, p->multiplier, p->shift);
        out[i] = (int8_t)cg_clamp(value, p->act_min, p->act_max);
    }
}
