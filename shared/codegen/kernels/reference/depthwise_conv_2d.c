/* depthwise_conv_2d.c: int8 DEPTHWISE_CONV_2D with depth multiplier, as TFLite's DepthwiseConvPerChannel.
 * Output channel oc = ic * depth_multiplier + m; padded taps are skipped. Per output pixel, the channels are the
 * inner loop (contiguous in NHWC and in the filter), CG_DW_CHUNK of them accumulated at a time. */

typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, depth_multiplier;
    int32_t filter_h, filter_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
    int32_t in_zp, out_zp, act_min, act_max;
    const int8_t *weights;      /* (1, filter_h, filter_w, out_c) */
    const int32_t *bias;        /* (out_c,) */
    const int32_t *multipliers; /* (out_c,) */
    const int32_t *shifts;      /* (out_c,) TFLite's signed shifts */
    /* when the generator proves cg_requantize_offset exact for every channel (else both NULL): */
    const int32_t *offsets;      /* (out_c,) 2^(r - 1) + out_zp * 2^r for the right shift r */
    const int32_t *right_shifts; /* (out_c,) r = -shift */
} cg_depthwise_params;

#define CG_DW_CHUNK 64 /* output channels accumulated together (a 256-byte stack buffer) */

/* acc[i] += w[i] * (x[channel of oc0 + i] - zp) for one tap: x is the input pixel, w the tap's weights from oc0 */
static void cg_depthwise_tap(const cg_depthwise_params *p, const int8_t *x, const int8_t *w, int32_t oc0, int32_t n,
                             int32_t *acc)
{
    if (p->depth_multiplier == 1) {
        for (int32_t i = 0; i < n; i++) {
            acc[i] += w[i] * (x[oc0 + i] - p->in_zp);
        }
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        acc[i] += w[i] * (x[(oc0 + i) / p->depth_multiplier] - p->in_zp);
    }
}

/* out[oc0 + i] = acc[i] requantized, i < n. The offsets form (one 64-bit multiply, no branch) goes through a local
 * buffer, so no store can alias the tables it reads: GCC -O3 vectorizes that loop on a host whose vectors multiply
 * 32-bit lanes into 64 bits and shift each lane by its own count (AVX2); TFLite's general form stays scalar. */
static void cg_depthwise_outputs(const cg_depthwise_params *p, const int32_t *acc, int32_t oc0, int32_t n,
                                 int8_t *out)
{
    const int32_t act_min = p->act_min, act_max = p->act_max;
    if (p->offsets != NULL) {
        const int32_t *multipliers = p->multipliers + oc0, *offsets = p->offsets + oc0;
        const int32_t *right_shifts = p->right_shifts + oc0;
        int8_t values[CG_DW_CHUNK];
        for (int32_t i = 0; i < n; i++) {
            const int32_t value = cg_requantize_offset(acc[i], multipliers[i], offsets[i], right_shifts[i]);
            values[i] = (int8_t)cg_clamp(value, act_min, act_max);
        }
        memcpy(out + oc0, values, (size_t)n);
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        const int32_t value = cg_requantize(acc[i], p->multipliers[oc0 + i], p->shifts[oc0 + i]) + p->out_zp;
        out[oc0 + i] = (int8_t)cg_clamp(value, act_min, act_max);
    }
}

/* output channels oc0 .. oc0 + n - 1 of output pixel (oy, ox) of image b */
static void cg_depthwise_chunk(const cg_depthwise_params *p, const int8_t *image, int32_t oy, int32_t ox,
                               int32_t oc0, int32_t n, int8_t *out)
{
    const int32_t out_c = p->in_c * p->depth_multiplier;
    const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
    int32_t acc[CG_DW_CHUNK];
    for (int32_t i = 0; i < n; i++) {
        acc[i] = p->bias[oc0 + i];
    }
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
            const int8_t *taps = p->weights + (fy * p->filter_w + fx) * out_c + oc0;
            cg_depthwise_tap(p, image + (iy * p->in_w + ix) * p->in_c, taps, oc0, n, acc);
        }
    }
    cg_depthwise_outputs(p, acc, oc0, n, out);
}

CG_MAYBE_UNUSED static void cg_depthwise_conv_2d(const cg_depthwise_params *p, const int8_t *in, int8_t *out)
{
    const int32_t out_c = p->in_c * p->depth_multiplier;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *image = in + b * p->in_h * p->in_w * p->in_c;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            for (int32_t ox = 0; ox < p->out_w; ox++, out += out_c) {
                for (int32_t oc0 = 0; oc0 < out_c; oc0 += CG_DW_CHUNK) {
                    const int32_t n = out_c - oc0 < CG_DW_CHUNK ? out_c - oc0 : CG_DW_CHUNK;
                    cg_depthwise_chunk(p, image, oy, ox, oc0, n, out);
                }
            }
        }
    }
}
