/* relu.c: standalone int8 RELU and RELU6 as TFLM runs them. RELU (ReluQuantized) requantizes to the output
 * scale, then clamps to [zp_out + round(0 / scale), 127]. RELU6 (Relu6Quantized) does not requantize: it clamps
 * the raw input code to [input zp, quantized 6.0], whatever the output's parameters. */

typedef struct {
    int32_t size, requantize, in_zp, out_zp, multiplier, shift, act_min, act_max;
} cg_relu_params;

static void cg_relu(const cg_relu_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->size; i++) {
        int32_t value = in[i];
        if (p->requantize) {
            value = p->out_zp + cg_requantize(value - p->in_zp, p->multiplier, p->shift);
        }
        out[i] = (int8_t)cg_clamp(value, p->act_min, p->act_max);
    }
}
