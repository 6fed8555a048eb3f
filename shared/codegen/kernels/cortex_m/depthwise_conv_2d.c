/* cortex_m/depthwise_conv_2d.c: the SMLAD fast path of DEPTHWISE_CONV_2D (reference/depthwise_conv_2d.c
 * stays the fallback for what it does not take). */

/* The Cortex-M fast path (depth multiplier 1, an even channel count, no dilation, when the generator proves the
 * one-SMMLAR requantization exact): SMLAD multiplies two horizontal taps of one channel at once.
 *
 * Input: a ring of filter_h slots holds the input rows the current output row reads, each row padded with pad_left
 * columns of zero points in front and zero points after. Word (k, c / 2) of a slot holds padded columns 2k and
 * 2k + 1 of channels c and c + 1: x[2k][c], x[2k][c + 1], x[2k + 1][c], x[2k + 1][c + 1] (bytes, low first).
 * SXTAB16 with -zp gives channel c's two taps as int16 lanes and, rotated by 8, channel c + 1's (x - zp = 0 in
 * the padding). Each input byte is stored once: filling a slot row is 2 loads, 2 PKH and 2 stores per 4 channels
 * and 2 columns. Channels are innermost, so one pass walks every channel with post-incremented loads.
 *
 * Weights: an output pixel whose first tap is at an even column reads words k, k + 1, ... with the taps as they
 * are (set 0: w0 w1 | w2 0 for a 3-wide filter); one at an odd column reads the same words with the taps moved
 * up one lane (set 1: 0 w0 | w1 w2). So output pixels 2m and 2m + 1 of a stride-1 row share their input words
 * (loaded and sign-extended once for both), and a stride-2 pixel shares a word with its neighbour. Weights and
 * biases are doubled, so the accumulator is the 2 acc the SMMLAR requantization takes.
 *
 * The floor, per pair of channels and 3x3 output pixel (18 MACs): 9 taps a channel need 5 multiplies (SMLAD does
 * two), the exact requantization SMMLAR, a sign correction, a shift, SSAT, and the store 5 more: 20 instructions,
 * 1.11 per MAC, even with every operand already in a register. The pair pass below adds the loads and SXTAB16s:
 * 6 loads, 12 SXTAB16, 24 SMLAD (the 3rd tap's pair holds a 0), 16 LDRD of weights and requantization words and
 * 20 to requantize and store, per 2 pixels x 2 channels. */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
    int32_t in_zp, act_min, act_max;
    int32_t pairs, sets, plane_w; /* pairs = filter_w / 2 + 1 words per filter row and set; weight sets (1: no pixel
                                    starts at an odd column); word columns k per slot */
    /* per pair of channels c, c + 1 (c even): the doubled biases of c and c + 1; per filter row, per set, the
     * pairs weight words of c then of c + 1 (int16 tap pairs, doubled); then the requantization words: multiplier
     * and offset 2^(r-1) + out_zp * 2^r of c, of c + 1, right shifts r of c and c + 1. One pointer walks it. */
    const int32_t *channels;
} cg_depthwise_dsp_params;

/* GCC's pre-allocation scheduler interleaves the three filter rows of a pass, which needs more registers than the
 * core has (about 20 spill loads and stores a pass); one row after the other fits */
#if defined(__GNUC__) && !defined(__clang__)
#define CG_DW_NO_SCHED __attribute__((optimize("no-schedule-insns")))
#else
#define CG_DW_NO_SCHED
#endif

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

/* one word column from image pixels `left` and `right` (channels c, c + 1 at 2c); NULL: padding */
static void cg_depthwise_fill_edge(const cg_depthwise_dsp_params *p, const int8_t *left, const int8_t *right,
                                   int32_t zero_points, int32_t *column)
{
    for (int32_t i = 0; i < p->in_c / 2; i++) {
        int32_t a = zero_points, b = zero_points;
        if (left != NULL) {
            memcpy(&a, left + 2 * i, 2);
        }
        if (right != NULL) {
            memcpy(&b, right + 2 * i, 2);
        }
        column[i] = cg_pack_low(a, b);
    }
}

/* input row `row` (in_w pixels of in_c bytes; NULL: a padding row) into the word columns of a ring slot that
 * touch the image; the others keep the zero points written once per call */
static void cg_depthwise_fill_row(const cg_depthwise_dsp_params *p, const int8_t *row, int32_t *slot)
{
    const int32_t words = p->in_c / 2, in_c = p->in_c;
    const int32_t zero_points = (int32_t)((uint32_t)(uint8_t)p->in_zp * 0x01010101u); /* x - zp = 0 */
    if (row == NULL) {
        for (int32_t i = 0; i < p->plane_w * words; i++) {
            slot[i] = zero_points;
        }
        return;
    }
    int32_t *column = slot + p->pad_left / 2 * words;
    int32_t ix = 0; /* the image column of the next word's low half */
    if (p->pad_left % 2 == 1) { /* padding, pixel 0 */
        cg_depthwise_fill_edge(p, NULL, row, zero_points, column);
        column += words;
        ix = 1;
    }
    for (; ix + 1 < p->in_w; ix += 2) { /* both pixels inside */
        const int8_t *x = row + ix * in_c;
        int32_t i = 0;
        for (; i + 2 <= words; i += 2, x += 4) {
            int32_t a, b;
            memcpy(&a, x, 4);
            memcpy(&b, x + in_c, 4);
            column[i] = cg_pack_low(a, b);
            column[i + 1] = cg_pack_high(a, b);
        }
        if (i < words) { /* in_c = 2 mod 4: the last pair */
            int32_t a = 0, b = 0;
            memcpy(&a, x, 2);
            memcpy(&b, x + in_c, 2);
            column[i] = cg_pack_low(a, b);
        }
        column += words;
    }
    if (ix < p->in_w) { /* the last pixel, padding */
        cg_depthwise_fill_edge(p, row + ix * in_c, NULL, zero_points, column);
    }
}

/* SXTB16 of the word's bytes 1 and 3 (rotated by 8, free in the instruction) */
static inline int32_t cg_sxtb16_ror8(int32_t word)
{
    int32_t extended;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(extended) : "r"(word));
    return extended;
}

/* a word's taps as int16 pairs: channel c's (c) and channel c + 1's (d) */
typedef struct {
    int32_t c, d;
} cg_depthwise_taps;

static inline cg_depthwise_taps cg_depthwise_extend(int32_t word)
{
    const cg_depthwise_taps taps = {__sxtb16(word), cg_sxtb16_ror8(word)};
    return taps;
}

/* one filter row of a 3-wide filter, one pixel, channels c and c + 1: taps 0, 1 (x01) and 2, 3 (x23) times the
 * row's weight words of c (w[0], w[1]) and of c + 1 (w[2], w[3]) */
static inline void cg_depthwise_row_3(cg_depthwise_taps x01, cg_depthwise_taps x23, const int32_t *w,
                                      int32_t *acc_c, int32_t *acc_d)
{
    *acc_c = __smlad(x01.c, w[0], *acc_c);
    *acc_c = __smlad(x23.c, w[1], *acc_c);
    *acc_d = __smlad(x01.d, w[2], *acc_d);
    *acc_d = __smlad(x23.d, w[3], *acc_d);
}

/* the requantized pixel values of channels c, c + 1 (full int8 output range), requantization words at q */
static inline void cg_depthwise_store_pair(int32_t acc_c, int32_t acc_d, const int32_t *q, int8_t *out)
{
    out[0] = cg_saturate_int8(cg_requantize_doubled(acc_c, q[0], q[1], q[4]));
    out[1] = cg_saturate_int8(cg_requantize_doubled(acc_d, q[2], q[3], q[5]));
}

/* one filter row for two output pixels and channels c, c + 1 (acc: c and c + 1 of pixel 0, then of pixel 1):
 * stride 1, pixels 2m and 2m + 1 read the same words s[0], s[next] with weight sets 0 and 1; stride 2, pixel 1
 * reads s[next], s[2 next] with set 0. w walks the row's weight words. */
static inline __attribute__((always_inline)) void cg_depthwise_row_pair(const int32_t *s, int32_t next,
                                                                        const int32_t **w, int32_t *acc,
                                                                        int32_t stride)
{
    const cg_depthwise_taps x0 = cg_depthwise_extend(s[0]), x1 = cg_depthwise_extend(s[next]);
    int32_t set0[4], set1[4];
    cg_load_two_words(w, &set0[0], &set0[1]);
    cg_load_two_words(w, &set0[2], &set0[3]);
    cg_depthwise_row_3(x0, x1, set0, &acc[0], &acc[1]);
    if (stride == 1) {
        cg_load_two_words(w, &set1[0], &set1[1]);
        cg_load_two_words(w, &set1[2], &set1[3]);
        cg_depthwise_row_3(x0, x1, set1, &acc[2], &acc[3]);
    } else {
        cg_depthwise_row_3(x1, cg_depthwise_extend(s[2 * next]), set0, &acc[2], &acc[3]);
    }
}

/* 3x3, full int8 output range, two output pixels a pass over every channel pair (2 x 2 x 9 = 36 MACs), stride 1
 * (weight sets = 2) or 2 (sets = 1); rows: each filter row's word k of the first channel pair */
static inline __attribute__((always_inline)) void cg_depthwise_pixels_3x3(const cg_depthwise_dsp_params *p,
                                                                          const int32_t *const *rows, int8_t *out,
                                                                          int32_t stride)
{
    const int32_t in_c = p->in_c, next = in_c / 2; /* next: word k + 1 */
    const int32_t *w = p->channels, *s0 = rows[0], *s1 = rows[1], *s2 = rows[2];
    int8_t *const end = out + in_c;
    for (; out < end; out += 2, s0++, s1++, s2++) {
        int32_t acc[4];
        cg_load_two_words(&w, &acc[0], &acc[1]);
        acc[2] = acc[0];
        acc[3] = acc[1];
        cg_depthwise_row_pair(s0, next, &w, acc, stride);
        cg_depthwise_row_pair(s1, next, &w, acc, stride);
        cg_depthwise_row_pair(s2, next, &w, acc, stride);
        int32_t q[6];
        cg_load_two_words(&w, &q[0], &q[1]);
        cg_load_two_words(&w, &q[2], &q[3]);
        cg_load_two_words(&w, &q[4], &q[5]);
        cg_depthwise_store_pair(acc[0], acc[1], q, out);
        cg_depthwise_store_pair(acc[2], acc[3], q, out + in_c);
    }
}

CG_DW_NO_SCHED __attribute__((noinline)) static void cg_depthwise_pixels_3x3_stride1(const cg_depthwise_dsp_params *p,
                                                                      const int32_t *const *rows, int8_t *out)
{
    cg_depthwise_pixels_3x3(p, rows, out, 1);
}

CG_DW_NO_SCHED __attribute__((noinline)) static void cg_depthwise_pixels_3x3_stride2(const cg_depthwise_dsp_params *p,
                                                                      const int32_t *const *rows, int8_t *out)
{
    cg_depthwise_pixels_3x3(p, rows, out, 2);
}

/* 3x3, full int8 output range, one output pixel from the words at its first tap (rows), weight set `set` */
__attribute__((noinline)) static void cg_depthwise_pixel_3x3(const cg_depthwise_dsp_params *p,
                                                             const int32_t *const *rows, int32_t set, int8_t *out)
{
    const int32_t next = p->in_c / 2, set_words = 4 * p->sets;
    const int32_t *s0 = rows[0], *s1 = rows[1], *s2 = rows[2];
    int8_t *const end = out + p->in_c;
    for (const int32_t *record = p->channels; out < end; out += 2, s0++, s1++, s2++, record += 8 + 3 * set_words) {
        int32_t acc_c = record[0], acc_d = record[1];
        const int32_t *w = record + 2 + 4 * set;
        cg_depthwise_row_3(cg_depthwise_extend(s0[0]), cg_depthwise_extend(s0[next]), w,
                           &acc_c, &acc_d);
        cg_depthwise_row_3(cg_depthwise_extend(s1[0]), cg_depthwise_extend(s1[next]),
                           w + set_words, &acc_c, &acc_d);
        cg_depthwise_row_3(cg_depthwise_extend(s2[0]), cg_depthwise_extend(s2[next]),
                           w + 2 * set_words, &acc_c, &acc_d);
        cg_depthwise_store_pair(acc_c, acc_d, record + 2 + 3 * set_words, out);
    }
}

/* any filter, any activation range: output pixel `out` from the slots' words at its first tap (taps), set `set` */
static void cg_depthwise_pixel(const cg_depthwise_dsp_params *p, const int32_t *const *taps, int32_t set,
                               int8_t *out)
{
    const int32_t next = p->in_c / 2, row_words = 2 * p->sets * p->pairs;
    const int32_t record_words = 8 + p->filter_h * row_words;
    for (int32_t c = 0; c < p->in_c; c++) {
        const int32_t *record = p->channels + c / 2 * record_words, odd = c & 1;
        const int32_t *w = record + 2 + (2 * set + odd) * p->pairs, *q = record + 2 + p->filter_h * row_words;
        int32_t acc = record[odd];
        for (int32_t fy = 0; fy < p->filter_h; fy++, w += row_words) {
            for (int32_t k = 0; k < p->pairs; k++) {
                const int32_t word = taps[fy][k * next + c / 2];
                acc = __smlad(odd ? cg_sxtb16_ror8(word) : __sxtb16(word), w[k], acc);
            }
        }
        const int32_t value = cg_requantize_doubled(acc, q[2 * odd], q[2 * odd + 1], q[4 + odd]);
        out[c] = (int8_t)cg_clamp(value, p->act_min, p->act_max);
    }
}

/* one output row: pixel ox's first tap is at padded column ox * stride_w, word column ox * stride_w / 2, weight
 * set ox * stride_w % 2; rows: each filter row's slot */
static void cg_depthwise_row(const cg_depthwise_dsp_params *p, const int32_t *const *rows, int8_t *out)
{
    const int32_t words = p->in_c / 2;
    const int fast = p->filter_h == 3 && p->filter_w == 3 && p->act_min == -128 && p->act_max == 127;
    int32_t ox = 0;
    if (fast && (p->stride_w == 1 || p->stride_w == 2)) {
        for (; ox + 2 <= p->out_w; ox += 2, out += 2 * p->in_c) {
            const int32_t *taps[3];
            for (int32_t fy = 0; fy < 3; fy++) {
                taps[fy] = rows[fy] + ox * p->stride_w / 2 * words;
            }
            if (p->stride_w == 1) {
                cg_depthwise_pixels_3x3_stride1(p, taps, out);
            } else {
                cg_depthwise_pixels_3x3_stride2(p, taps, out);
            }
        }
    }
    for (; ox < p->out_w; ox++, out += p->in_c) {
        const int32_t column = ox * p->stride_w;
        const int32_t *taps[CG_DW_MAX_FILTER_H];
        for (int32_t fy = 0; fy < p->filter_h; fy++) {
            taps[fy] = rows[fy] + column / 2 * words;
        }
        if (fast) {
            cg_depthwise_pixel_3x3(p, taps, column % 2, out);
        } else {
            cg_depthwise_pixel(p, taps, column % 2, out);
        }
    }
}

/* slots: scratch of filter_h * plane_w * in_c / 2 words */
CG_MAYBE_UNUSED static void cg_depthwise_conv_2d_dsp(const cg_depthwise_dsp_params *p, const int8_t *in,
                                                     int8_t *out, int16_t *scratch)
{
    int32_t *slots = (int32_t *)(void *)scratch;
    const int32_t slot_words = p->plane_w * p->in_c / 2, row_bytes = p->in_w * p->in_c;
    for (int32_t fy = 0; fy < p->filter_h; fy++) { /* every column zero points: the padding columns stay so */
        cg_depthwise_fill_row(p, NULL, slots + fy * slot_words);
    }
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *image = in + b * p->in_h * row_bytes;
        int32_t next_row = -p->pad_top; /* the first input row not yet in the ring */
        for (int32_t oy = 0; oy < p->out_h; oy++, out += p->out_w * p->in_c) {
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
            cg_depthwise_row(p, rows, out);
        }
    }
}
