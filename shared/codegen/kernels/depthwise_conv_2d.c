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

#if CG_DSP
/* The Cortex-M fast path (depth multiplier 1, no dilation, when the generator proves the one-SMMLAR
 * requantization exact): SMLAD multiplies two taps of one channel at once, so the input is first turned
 * channel-planar. A ring of filter_h planes holds the input rows the current output row reads: plane row (slot,
 * c) is channel c of one input row as int16 (x - zp), pad_left zeros in front and zeros after, plane_w values.
 * Each input row is widened once (4 channels x 2 pixels per 2 loads, 4 SXTAB16, 4 PKH, 4 stores). The weights
 * come as words of two horizontal taps (filter_w odd: the last word's upper tap 0), doubled, as is the bias,
 * so the accumulator is 2 acc, what the requantization takes. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
    int32_t in_zp, act_min, act_max;
    int32_t pairs, plane_w; /* pairs = (filter_w + 1) / 2 words per filter row; int16 values per plane row */
    const int32_t *weights; /* (in_c, filter_h, pairs) int16 pairs, doubled */
    const int32_t *requant; /* (in_c, 4): multiplier, offset 2^(r-1) + out_zp * 2^r, right shift r, doubled bias */
} cg_depthwise_dsp_params;

#define CG_DW_MAX_FILTER_H 16 /* the generator takes the fast path only up to this filter height */

/* (low half of a, low half of b) and (high half of a, high half of b) */
static inline int32_t cg_pack_low(int32_t a, int32_t b)
{
    int32_t packed;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(packed) : "r"(a), "r"(b));
    return packed;
}

static inline int32_t cg_pack_high(int32_t a, int32_t b)
{
    int32_t packed;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(packed) : "r"(b), "r"(a));
    return packed;
}

/* input row `row` (in_w pixels of in_c bytes; NULL: a padding row, zeros) into the plane rows at `plane` */
static void cg_depthwise_widen_row(const cg_depthwise_dsp_params *p, const int8_t *row, int16_t *plane)
{
    const int32_t channels = p->in_c, width = p->in_w, plane_w = p->plane_w;
    int16_t *first = plane + p->pad_left;
    if (row == NULL) {
        for (int32_t c = 0; c < channels; c++) {
            memset(first + c * plane_w, 0, (size_t)width * sizeof(int16_t));
        }
        return;
    }
    const int32_t minus_zp = (int32_t)((uint32_t)(uint16_t)(int16_t)(-p->in_zp) * 0x00010001u);
    const int32_t quads = channels / 4 * 4, pixel_pairs = width / 2 * 2;
    for (int32_t c = 0; c < quads; c += 4) {
        int16_t *out = first + c * plane_w;
        const int8_t *x = row + c;
        for (int32_t ix = 0; ix < pixel_pairs; ix += 2, x += 2 * channels) {
            int32_t a, b;
            memcpy(&a, x, 4);
            memcpy(&b, x + channels, 4);
            const int32_t a02 = __sxtab16(minus_zp, a), b02 = __sxtab16(minus_zp, b);
            int32_t a13, b13;
            __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(a13) : "r"(minus_zp), "r"(a));
            __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(b13) : "r"(minus_zp), "r"(b));
            const int32_t c0 = cg_pack_low(a02, b02), c1 = cg_pack_low(a13, b13);
            const int32_t c2 = cg_pack_high(a02, b02), c3 = cg_pack_high(a13, b13);
            memcpy(out + ix, &c0, 4);
            memcpy(out + plane_w + ix, &c1, 4);
            memcpy(out + 2 * plane_w + ix, &c2, 4);
            memcpy(out + 3 * plane_w + ix, &c3, 4);
        }
    }
    for (int32_t c = 0; c < channels; c++) { /* the channels and the pixel left over */
        const int32_t from = c < quads ? pixel_pairs : 0;
        for (int32_t ix = from; ix < width; ix++) {
            first[c * plane_w + ix] = (int16_t)(row[ix * channels + c] - p->in_zp);
        }
    }
}

/* 2 acc of output pixel column `x` (plane offset of its first tap) of one channel: every filter row's pairs */
static inline int32_t cg_depthwise_sum(const cg_depthwise_dsp_params *p, const int16_t *const *rows,
                                       const int32_t *w, int32_t x, int32_t acc)
{
    for (int32_t fy = 0; fy < p->filter_h; fy++) {
        const int16_t *tap = rows[fy] + x;
        for (int32_t k = 0; k < p->pairs; k++) {
            acc = __smlad(cg_load_word(tap + 2 * k), *w++, acc);
        }
    }
    return acc;
}

/* one requantized output of the fast path */
static inline int8_t cg_depthwise_output(const cg_depthwise_dsp_params *p, int32_t acc, const int32_t *requant)
{
    const int32_t value = cg_requantize_doubled(acc, requant[0], requant[1], requant[2]);
    return (int8_t)cg_clamp(value, p->act_min, p->act_max);
}

/* 3x3, the full int8 output range: one output row, every channel, from the three ring slots r0, r1, r2 (channel
 * c's plane row c * plane_w values in); two output pixels per step (the six weight words of a channel stay in
 * registers; the second pixel's taps start stride_w values later) */
__attribute__((noinline)) static void cg_depthwise_row_3x3(const cg_depthwise_dsp_params *p, const int16_t *r0,
                                                           const int16_t *r1, const int16_t *r2, int8_t *out_row)
{
    const int32_t step = p->stride_w, channels = p->in_c, count = p->out_w;
    const int32_t *w = p->weights, *requant = p->requant;
    for (int32_t c = 0; c < channels; c++, w += 6, requant += 4) {
        const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], bias = requant[3];
        const int16_t *x0 = r0 + c * p->plane_w, *x1 = r1 + c * p->plane_w, *x2 = r2 + c * p->plane_w;
        int8_t *out = out_row + c;
        for (int32_t pairs = count / 2; pairs > 0; pairs--) {
            int32_t a = __smlad(cg_load_word(x0), w0, bias), b = __smlad(cg_load_word(x0 + step), w0, bias);
            a = __smlad(cg_load_word(x0 + 2), w1, a);
            b = __smlad(cg_load_word(x0 + step + 2), w1, b);
            a = __smlad(cg_load_word(x1), w2, a);
            b = __smlad(cg_load_word(x1 + step), w2, b);
            a = __smlad(cg_load_word(x1 + 2), w3, a);
            b = __smlad(cg_load_word(x1 + step + 2), w3, b);
            a = __smlad(cg_load_word(x2), w4, a);
            b = __smlad(cg_load_word(x2 + step), w4, b);
            a = __smlad(cg_load_word(x2 + 2), w5, a);
            b = __smlad(cg_load_word(x2 + step + 2), w5, b);
            out[0] = cg_saturate_int8(cg_requantize_doubled(a, requant[0], requant[1], requant[2]));
            out[channels] = cg_saturate_int8(cg_requantize_doubled(b, requant[0], requant[1], requant[2]));
            x0 += 2 * step;
            x1 += 2 * step;
            x2 += 2 * step;
            out += 2 * channels;
        }
        if (count & 1) {
            int32_t a = __smlad(cg_load_word(x0), w0, bias);
            a = __smlad(cg_load_word(x0 + 2), w1, a);
            a = __smlad(cg_load_word(x1), w2, a);
            a = __smlad(cg_load_word(x1 + 2), w3, a);
            a = __smlad(cg_load_word(x2), w4, a);
            a = __smlad(cg_load_word(x2 + 2), w5, a);
            *out = cg_saturate_int8(cg_requantize_doubled(a, requant[0], requant[1], requant[2]));
        }
    }
}

/* one output row of channel c, any filter; requant: the channel's multiplier, offset, right shift, doubled bias */
static void cg_depthwise_channel_row(const cg_depthwise_dsp_params *p, const int16_t *const *rows, int32_t c,
                                     int8_t *out)
{
    const int32_t *w = p->weights + c * p->filter_h * p->pairs;
    const int32_t *requant = p->requant + 4 * c;
    for (int32_t ox = 0; ox < p->out_w; ox++, out += p->in_c) {
        *out = cg_depthwise_output(p, cg_depthwise_sum(p, rows, w, ox * p->stride_w, requant[3]), requant);
    }
}

/* planes: scratch of filter_h * in_c * plane_w int16 values */
CG_MAYBE_UNUSED static void cg_depthwise_conv_2d_dsp(const cg_depthwise_dsp_params *p, const int8_t *in,
                                                     int8_t *out, int16_t *planes)
{
    const int32_t slot_values = p->in_c * p->plane_w, row_bytes = p->in_w * p->in_c;
    memset(planes, 0, (size_t)(p->filter_h * slot_values) * sizeof(int16_t)); /* the padding columns stay 0 */
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *image = in + b * p->in_h * row_bytes;
        int32_t next_row = -p->pad_top; /* the first input row not yet in the ring */
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int16_t *rows[CG_DW_MAX_FILTER_H];
            for (int32_t fy = 0; fy < p->filter_h; fy++) {
                const int32_t iy = iy0 + fy, slot = ((iy % p->filter_h) + p->filter_h) % p->filter_h;
                int16_t *plane = planes + slot * slot_values;
                if (iy >= next_row) {
                    cg_depthwise_widen_row(p, iy >= 0 && iy < p->in_h ? image + iy * row_bytes : NULL, plane);
                }
                rows[fy] = plane;
            }
            next_row = iy0 + p->filter_h > next_row ? iy0 + p->filter_h : next_row;
            int8_t *out_row = out + oy * p->out_w * p->in_c;
            if (p->filter_h == 3 && p->pairs == 2 && p->act_min == -128 && p->act_max == 127) {
                cg_depthwise_row_3x3(p, rows[0], rows[1], rows[2], out_row);
                continue;
            }
            for (int32_t c = 0; c < p->in_c; c++) {
                const int16_t *channel_rows[CG_DW_MAX_FILTER_H];
                for (int32_t fy = 0; fy < p->filter_h; fy++) {
                    channel_rows[fy] = rows[fy] + c * p->plane_w;
                }
                cg_depthwise_channel_row(p, channel_rows, c, out_row + c);
            }
        }
        out += p->out_h * p->out_w * p->in_c;
    }
}
#endif
