/* depthwise_conv_2d.c: int8 DEPTHWISE_CONV_2D with depth multiplier, as TFLite's DepthwiseConvPerChannel.
 * Output channel oc = ic * depth_multiplier + m; padded taps are skipped. */

typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, depth_multiplier;
    int32_t filter_h, filter_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
    int32_t in_zp, out_zp, act_min, act_max;
    const int8_t *weights;      /* (1, filter_h, filter_w, out_c) */
    const int32_t *bias;        /* (out_c,) */
    const int32_t *multipliers; /* (out_c,) */
    const int32_t *shifts;      /* (out_c,) */
} cg_depthwise_params;

CG_MAYBE_UNUSED static void cg_depthwise_conv_2d(const cg_depthwise_params *p, const int8_t *in, int8_t *out)
{
    const int32_t out_c = p->in_c * p->depth_multiplier;
    for (int32_t b = 0; b < p->batches; b++) {
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t iy0 = oy * p->stride_h - p->pad_top;
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                for (int32_t oc = 0; oc < out_c; oc++) {
                    const int32_t ic = oc / p->depth_multiplier;
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
                            const int32_t x = in[((b * p->in_h + iy) * p->in_w + ix) * p->in_c + ic];
                            const int32_t w = p->weights[(fy * p->filter_w + fx) * out_c + oc];
                            acc += w * (x - p->in_zp);
                        }
                    }
                    acc = cg_requantize(acc, p->multipliers[oc], p->shifts[oc]) + p->out_zp;
                    out[((b * p->out_h + oy) * p->out_w + ox) * out_c + oc] =
                        (int8_t)cg_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}
