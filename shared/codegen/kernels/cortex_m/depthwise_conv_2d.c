/* cortex_m/depthwise_conv_2d.c: the SMLAD fast path of DEPTHWISE_CONV_2D (reference/depthwise_conv_2d.c
 * stays the fallback for what it does not take). */

/* The Cortex-M fast path (depth multiplier 1, no dilation, when the generator proves the one-SMMLAR
 * requantization exact): SMLAD multiplies two horizontal taps of one channel at once. A ring of filter_h slots
 * holds the input rows the current output row reads, each as tap-pair words: word (j, c) = (v[j][c], v[j + 1][c])
 * in int16 lanes, v = x - zp over the row padded with pad_left zeros in front and zeros after (plane_w columns
 * j), channels innermost, so one output pixel walks all channels with post-incremented loads and stores.
 * Each input row is widened once (4 channels x 2 columns: 2 loads, 4 SXTAB16, 4 PKH, 4 word stores). The
 * weights come as words of two taps (filter_w odd: the last word's upper tap 0), doubled, as is the bias, so the
 * accumulator is 2 acc, what the requantization takes. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
    int32_t in_zp, act_min, act_max;
    int32_t pairs, plane_w; /* pairs = (filter_w + 1) / 2 words per filter row; tap-pair columns per slot */
    const int32_t *weights; /* (in_c, filter_h, pairs) int16 pairs, doubled */
    const int32_t *requant; /* (in_c, 4): right shift r, doubled bias, multiplier, offset 2^(r-1) + out_zp * 2^r */
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

/* the int16 pairs (x - zp) of 4 channels' bytes: channels 0, 2 and 1, 3; a NULL pixel (padding) gives zeros */
static inline void cg_depthwise_widen4(const int8_t *x, int32_t minus_zp, int32_t *even, int32_t *odd)
{
    if (x == NULL) {
        *even = *odd = 0;
        return;
    }
    int32_t bytes;
    memcpy(&bytes, x, 4);
    *even = __sxtab16(minus_zp, bytes);
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(*odd) : "r"(minus_zp), "r"(bytes));
}

/* the words of 4 channels of one column from the two pixels' bytes (NULL: padding) */
static inline void cg_depthwise_column4(const int8_t *xa, const int8_t *xb, int32_t minus_zp, int32_t *out)
{
    int32_t a02, a13, b02, b13;
    cg_depthwise_widen4(xa, minus_zp, &a02, &a13);
    cg_depthwise_widen4(xb, minus_zp, &b02, &b13);
    out[0] = cg_pack_low(a02, b02);
    out[1] = cg_pack_low(a13, b13);
    out[2] = cg_pack_high(a02, b02);
    out[3] = cg_pack_high(a13, b13);
}

/* column j of a slot: every channel of the pixels j - pad_left (xa) and the next (xb); NULL: padding */
static void cg_depthwise_column(const cg_depthwise_dsp_params *p, const int8_t *xa, const int8_t *xb,
                                int32_t minus_zp, int32_t *out)
{
    const int32_t channels = p->in_c, quads = channels / 4 * 4;
    for (int32_t c = 0; c < quads; c += 4) {
        cg_depthwise_column4(xa == NULL ? NULL : xa + c, xb == NULL ? NULL : xb + c, minus_zp, out + c);
    }
    for (int32_t c = quads; c < channels; c++) { /* the channels after the last 4 */
        const uint32_t low = xa == NULL ? 0u : (uint16_t)(xa[c] - p->in_zp);
        const uint32_t high = xb == NULL ? 0u : (uint16_t)(xb[c] - p->in_zp);
        out[c] = (int32_t)(low | high << 16);
    }
}

/* input row `row` (in_w pixels of in_c bytes; NULL: a padding row) into the words of a ring slot: the columns
 * that touch the image, from pad_left - 1 (padding, pixel 0) to pad_left + in_w - 1 (last pixel, padding) */
static void cg_depthwise_widen_row(const cg_depthwise_dsp_params *p, const int8_t *row, int32_t *slot)
{
    const int32_t channels = p->in_c, last = p->in_w - 1;
    if (row == NULL) {
        memset(slot, 0, (size_t)(p->plane_w * channels) * sizeof(int32_t));
        return;
    }
    const int32_t minus_zp = (int32_t)((uint32_t)(uint16_t)(int16_t)(-p->in_zp) * 0x00010001u);
    int32_t *column = slot + p->pad_left * channels; /* column of pixel 0 and pixel 1 */
    if (p->pad_left > 0) {
        cg_depthwise_column(p, NULL, row, minus_zp, column - channels);
    }
    if (channels % 4 != 0) {
        for (int32_t ix = 0; ix < last; ix++, column += channels) {
            cg_depthwise_column(p, row + ix * channels, row + (ix + 1) * channels, minus_zp, column);
        }
    } else {
        const int8_t *x = row;
        for (int32_t n = last * channels / 4; n > 0; n--, x += 4, column += 4) { /* both pixels inside */
            cg_depthwise_column4(x, x + channels, minus_zp, column);
        }
    }
    cg_depthwise_column(p, row + last * channels, NULL, minus_zp, column);
}

/* 3x3, the full int8 output range: output pixel `out` (in_c values) from the slots' words at its first tap
 * column (s0, s1, s2); per channel 6 loads, 5 LDRD (weights, requantization), 6 SMLAD, 5 to requantize */
__attribute__((noinline)) static void cg_depthwise_pixel_3x3(const cg_depthwise_dsp_params *p, const int32_t *s0,
                                                             const int32_t *s1, const int32_t *s2, int8_t *out)
{
    const int32_t *w = p->weights, *requant = p->requant;
    const int32_t next = 2 * p->in_c; /* the words of taps 2, 3 */
    int8_t *const end = out + p->in_c;
    for (; out < end; out++, s0++, s1++, s2++) {
        int32_t w0, w1, multiplier, offset, shift, bias;
        cg_load_two_words(&requant, &shift, &bias);
        cg_load_two_words(&w, &w0, &w1);
        int32_t acc = __smlad(s0[0], w0, bias);
        acc = __smlad(s0[next], w1, acc);
        cg_load_two_words(&w, &w0, &w1);
        acc = __smlad(s1[0], w0, acc);
        acc = __smlad(s1[next], w1, acc);
        cg_load_two_words(&w, &w0, &w1);
        acc = __smlad(s2[0], w0, acc);
        acc = __smlad(s2[next], w1, acc);
        cg_load_two_words(&requant, &multiplier, &offset);
        *out = cg_saturate_int8(cg_requantize_doubled(acc, multiplier, offset, shift));
    }
}

/* any filter, any activation range: output pixel `out` from the slots' words at its first tap column */
static void cg_depthwise_pixel(const cg_depthwise_dsp_params *p, const int32_t *const *taps, int8_t *out)
{
    const int32_t *w = p->weights, *requant = p->requant;
    for (int32_t c = 0; c < p->in_c; c++, requant += 4) {
        int32_t acc = requant[1];
        for (int32_t fy = 0; fy < p->filter_h; fy++) {
            for (int32_t k = 0; k < p->pairs; k++) {
                acc = __smlad(taps[fy][2 * k * p->in_c + c], *w++, acc);
            }
        }
        const int32_t value = cg_requantize_doubled(acc, requant[2], requant[3], requant[0]);
        out[c] = (int8_t)cg_clamp(value, p->act_min, p->act_max);
    }
}

/* slots: scratch of filter_h * plane_w * in_c words */
CG_MAYBE_UNUSED static void cg_depthwise_conv_2d_dsp(const cg_depthwise_dsp_params *p, const int8_t *in,
                                                     int8_t *out, int16_t *scratch)
{
    int32_t *slots = (int32_t *)(void *)scratch;
    const int32_t slot_words = p->plane_w * p->in_c, row_bytes = p->in_w * p->in_c;
    const int fast = p->filter_h == 3 && p->pairs == 2 && p->act_min == -128 && p->act_max == 127;
    memset(slots, 0, (size_t)(p->filter_h * slot_words) * sizeof(int32_t)); /* the padding columns stay 0 */
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *image = in + b * p->in_h * row_bytes;
        int32_t next_row = -p->pad_top; /* the first input row not yet in the ring */
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t *rows[CG_DW_MAX_FILTER_H];
            for (int32_t fy = 0; fy < p->filter_h; fy++) {
                const int32_t iy = iy0 + fy, slot = ((iy % p->filter_h) + p->filter_h) % p->filter_h;
                int32_t *words = slots + slot * slot_words;
                if (iy >= next_row) {
                    cg_depthwise_widen_row(p, iy >= 0 && iy < p->in_h ? image + iy * row_bytes : NULL, words);
                }
                rows[fy] = words;
            }
            next_row = iy0 + p->filter_h > next_row ? iy0 + p->filter_h : next_row;
            for (int32_t ox = 0; ox < p->out_w; ox++, out += p->in_c) {
                const int32_t column = ox * p->stride_w * p->in_c;
                if (fast) {
                    cg_depthwise_pixel_3x3(p, rows[0] + column, rows[1] + column, rows[2] + column, out);
                    continue;
                }
                const int32_t *taps[CG_DW_MAX_FILTER_H];
                for (int32_t fy = 0; fy < p->filter_h; fy++) {
                    taps[fy] = rows[fy] + column;
                }
                cg_depthwise_pixel(p, taps, out);
            }
        }
    }
}
