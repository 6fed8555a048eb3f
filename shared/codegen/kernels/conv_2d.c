/* conv_2d.c: int8 CONV_2D, per-channel requantization, as TFLite's reference ConvPerChannel.
 * Padded taps are skipped (equivalent to reading the input zero point). */

typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
    int32_t filter_h, filter_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
    int32_t in_zp, out_zp, act_min, act_max;
    const int8_t *weights;      /* (out_c, filter_h, filter_w, in_c) */
    const int32_t *bias;        /* (out_c,) */
    const int32_t *multipliers; /* (out_c,) */
    const int32_t *shifts;      /* (out_c,) */
} cg_conv_params;

static void cg_conv_2d(const cg_conv_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t b = 0; b < p->batches; b++) {
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t iy0 = oy * p->stride_h - p->pad_top;
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    int32_t acc = p->bias[oc];
                    for (int32_t fy = 0; fy < p->filter_h; fy++) {
                        const int32_t iy = iy0 + fy * p->dilation_h;
                        if (iy < 0 || iy >= p->in_h) {
                            continue;
                        }
                        for (int32_t fx = 0; fx < p->filter_w; fx++) {
                            const int32_t ix = ix0 + fx * p->dilation_w;
                            if (ix < 0 || ix >= p->in_w) {
                                continue;
                            }
                            const int8_t *x = in + ((b * p->in_h + iy) * p->in_w + ix) * p->in_c;
                            const int8_t *w = p->weights + ((oc * p->filter_h + fy) * p->filter_w + fx) * p->in_c;
                            acc += cg_dot_s8(w, x, p->in_c, p->in_zp);
                        }
                    }
                    acc = cg_requantize(acc, p->multipliers[oc], p->shifts[oc]) + p->out_zp;
                    out[((b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] =
                        (int8_t)cg_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}
