/* cortex_m/depthwise_conv_2d.c: the SMLAD fast path of DEPTHWISE_CONV_2D (reference/depthwise_conv_2d.c
 * stays the fallback for what it does not take). */

/* The Cortex-M fast path (depth multiplier 1, an even channel count, no dilation, when the generator proves the
 * one-SMMLAR requantization exact): SMLAD multiplies two horizontal taps of one channel at once. A ring of
 * filter_h slots holds the input rows the current output row reads as tap-pair bytes: word (j, c / 2) of a slot is
 * x[j][c], x[j][c + 1], x[j + 1][c], x[j + 1][c + 1] (bytes, low first) over the row padded with pad_left
 * columns of zero points in front and zero points after (plane_w columns j), so SXTAB16 with -zp gives channel c's
 * taps j, j + 1 as int16 lanes and, rotated by 8, channel c + 1's (x - zp = 0 in the padding): 4 bytes per pair of
 * taps, half the int16 form's RAM. Channels are innermost, so one output pixel walks every channel with
 * post-incremented loads and stores. Filling a slot row is 2 loads, 2 PKH and 2 stores per 4 channels. The
 * weights come as words of two taps (filter_w odd: the last word's upper tap 0), doubled, as is the bias, so the
 * accumulator is 2 acc, what the requantization takes. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
    int32_t in_zp, act_min, act_max;
    int32_t pairs, plane_w; /* pairs = (filter_w + 1) / 2 words per filter row; tap-pair columns per slot */
    /* per pair of channels c, c + 1 (c even): 4 requantization words of c, then of c + 1 (right shift r, doubled
     * bias, multiplier, offset 2^(r-1) + out_zp * 2^r), then the filter_h * pairs weight words of c, then of
     * c + 1 (int16 tap pairs, doubled): one pointer walks a pixel's channels */
    const int32_t *channels;
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

/* -zp in both int16 lanes, the SXTAB16 addend */
static inline int32_t cg_depthwise_minus_zp(const cg_depthwise_dsp_params *p)
{
    return (int32_t)((uint32_t)(uint16_t)(int16_t)(-p->in_zp) * 0x00010001u);
}

/* input row `row` (in_w pixels of in_c bytes; NULL: a padding row) into the words of a ring slot: the columns
 * that touch the image, from pad_left - 1 (padding, pixel 0) to pad_left + in_w - 1 (last pixel, padding) */
static void cg_depthwise_fill_row(const cg_depthwise_dsp_params *p, const int8_t *row, int32_t *slot)
{
    const int32_t words = p->in_c / 2, last = p->in_w - 1;
    const int32_t zero_points = (int32_t)((uint32_t)(uint8_t)p->in_zp * 0x01010101u); /* x - zp = 0 */
    if (row == NULL) {
        for (int32_t i = 0; i < p->plane_w * words; i++) {
            slot[i] = zero_points;
        }
        return;
    }
    int32_t *column = slot + p->pad_left * words; /* pixels 0 and 1 */
    if (p->pad_left > 0) {
        for (int32_t i = 0; i < words; i++) {
            int32_t b = 0;
            memcpy(&b, row + 2 * i, 2);
            column[i - words] = cg_pack_low(zero_points, b);
        }
    }
    const int8_t *x = row;
    for (int32_t ix = 0; ix < last; ix++) { /* both pixels inside */
        int32_t i = 0;
        for (; i + 2 <= words; i += 2, x += 4) {
            int32_t a, b;
            memcpy(&a, x, 4);
            memcpy(&b, x + p->in_c, 4);
            column[i] = cg_pack_low(a, b);
            column[i + 1] = cg_pack_high(a, b);
        }
        if (i < words) { /* in_c = 2 mod 4: the last pair */
            int32_t a = 0, b = 0;
            memcpy(&a, x, 2);
            memcpy(&b, x + p->in_c, 2);
            column[i] = cg_pack_low(a, b);
            x += 2;
        }
        column += words;
    }
    for (int32_t i = 0; i < words; i++) { /* the last pixel and the padding after it */
        int32_t a = 0;
        memcpy(&a, x + 2 * i, 2);
        column[i] = cg_pack_low(a, zero_points);
    }
}

/* SXTAB16 of the word's bytes 1 and 3 (rotated by 8, free in the instruction) */
static inline int32_t cg_sxtab16_ror8(int32_t addend, int32_t word)
{
    int32_t sum;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(sum) : "r"(addend), "r"(word));
    return sum;
}

/* one filter row of a 3x3 for channels c (acc_c) and c + 1 (acc_d): the words of taps 0, 1 (x01) and 2, 3 (x23);
 * w: channel c's two weight words of that row, channel c + 1's six words later */
static inline void cg_depthwise_row_3x3(int32_t x01, int32_t x23, int32_t minus_zp, const int32_t *w,
                                        int32_t *acc_c, int32_t *acc_d)
{
    *acc_c = __smlad(__sxtab16(minus_zp, x01), w[0], *acc_c);
    *acc_c = __smlad(__sxtab16(minus_zp, x23), w[1], *acc_c);
    *acc_d = __smlad(cg_sxtab16_ror8(minus_zp, x01), w[6], *acc_d);
    *acc_d = __smlad(cg_sxtab16_ror8(minus_zp, x23), w[7], *acc_d);
}

/* 3x3, the full int8 output range: output pixel `out` (in_c values) from the slots' words at its first tap
 * column (s0, s1, s2); per pair of channels 6 loads, 12 SXTAB16, 12 SMLAD, 20 words of weights and
 * requantization, 10 to requantize */
__attribute__((noinline)) static void cg_depthwise_pixel_3x3(const cg_depthwise_dsp_params *p, const int32_t *s0,
                                                             const int32_t *s1, const int32_t *s2, int8_t *out)
{
    const int32_t *record = p->channels;
    const int32_t next = p->in_c, minus_zp = cg_depthwise_minus_zp(p); /* next: the words of taps 2, 3 */
    int8_t *const end = out + p->in_c;
    for (; out < end; out += 2, s0++, s1++, s2++, record += 20) {
        int32_t acc_c = record[1], acc_d = record[5];
        const int32_t *w = record + 8;
        cg_depthwise_row_3x3(s0[0], s0[next], minus_zp, w, &acc_c, &acc_d);
        cg_depthwise_row_3x3(s1[0], s1[next], minus_zp, w + 2, &acc_c, &acc_d);
        cg_depthwise_row_3x3(s2[0], s2[next], minus_zp, w + 4, &acc_c, &acc_d);
        out[0] = cg_saturate_int8(cg_requantize_doubled(acc_c, record[2], record[3], record[0]));
        out[1] = cg_saturate_int8(cg_requantize_doubled(acc_d, record[6], record[7], record[4]));
    }
}

/* any filter, any activation range: output pixel `out` from the slots' words at its first tap column */
static void cg_depthwise_pixel(const cg_depthwise_dsp_params *p, const int32_t *const *taps, int8_t *out)
{
    const int32_t minus_zp = cg_depthwise_minus_zp(p), taps_per_channel = p->filter_h * p->pairs;
    for (int32_t c = 0; c < p->in_c; c++) {
        const int32_t *record = p->channels + c / 2 * (8 + 2 * taps_per_channel);
        const int32_t *requant = record + 4 * (c & 1), *w = record + 8 + taps_per_channel * (c & 1);
        int32_t acc = requant[1];
        for (int32_t fy = 0; fy < p->filter_h; fy++) {
            for (int32_t k = 0; k < p->pairs; k++) {
                const int32_t word = taps[fy][k * p->in_c + c / 2];
                const int32_t taps_c = c & 1 ? cg_sxtab16_ror8(minus_zp, word) : __sxtab16(minus_zp, word);
                acc = __smlad(taps_c, *w++, acc);
            }
        }
        const int32_t value = cg_requantize_doubled(acc, requant[2], requant[3], requant[0]);
        out[c] = (int8_t)cg_clamp(value, p->act_min, p->act_max);
    }
}

/* slots: scratch of filter_h * plane_w * in_c / 2 words */
CG_MAYBE_UNUSED static void cg_depthwise_conv_2d_dsp(const cg_depthwise_dsp_params *p, const int8_t *in,
                                                     int8_t *out, int16_t *scratch)
{
    int32_t *slots = (int32_t *)(void *)scratch;
    const int32_t slot_words = p->plane_w * p->in_c / 2, row_bytes = p->in_w * p->in_c;
    const int fast = p->filter_h == 3 && p->pairs == 2 && p->act_min == -128 && p->act_max == 127;
    for (int32_t fy = 0; fy < p->filter_h; fy++) { /* every column zero points: the padding columns stay so */
        cg_depthwise_fill_row(p, NULL, slots + fy * slot_words);
    }
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
                    cg_depthwise_fill_row(p, iy >= 0 && iy < p->in_h ? image + iy * row_bytes : NULL, words);
                }
                rows[fy] = words;
            }
            next_row = iy0 + p->filter_h > next_row ? iy0 + p->filter_h : next_row;
            for (int32_t ox = 0; ox < p->out_w; ox++, out += p->in_c) {
                const int32_t column = ox * p->stride_w * p->in_c / 2;
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
