/* cortex_m/depthwise_conv_2d.c: the SMLAD fast path of DEPTHWISE_CONV_2D (reference/depthwise_conv_2d.c
 * stays the fallback for what it does not take). */

/* The Cortex-M fast path (depth multiplier 1, an even channel count, no dilation, when the generator proves the
 * one-SMMLAR requantization exact): SMLAD multiplies two horizontal taps of one channel at once.
 *
 * Input: a ring of filter_h slots holds the input rows the current output row reads, each row padded with pad_left
 * columns of zero points in front and zero points after. Word (k, c / 2) of a slot holds padded columns 2k and
 * 2k + 1 of channels c and c + 1: x[2k][c], x[2k][c + 1], x[2k + 1][c], x[2k + 1][c + 1] (bytes, low first).
 * SXTB16 gives channel c's two taps as int16 lanes and, rotated by 8, channel c + 1's. The kernel multiplies x, not
 * x - zp: the generator folds -zp * sum(w) into the bias, exact because the padding holds zp. Each input byte is
 * stored once (filling a slot row: 4 loads, 4 PKH, 2 STRD per 8 channels and 2 columns), channels innermost.
 *
 * Weights: an output pixel whose first tap is at an even column reads words k, k + 1, ... with the taps as they
 * are (set 0: w0 w1 | w2 0 for a 3-wide filter); one at an odd column reads the same words with the taps moved
 * up one lane (set 1: 0 w0 | w1 w2). So output pixels 2m .. 2m + 3 of a stride-1 row read only words k .. k + 2
 * (loaded and sign-extended once for the four), and a stride-2 pixel shares a word with its neighbour. Weights and
 * biases are doubled, so the accumulator is the 2 acc the SMMLAR requantization takes.
 *
 * The floor, per channel and 3x3 output pixel (9 MACs): 9 taps need 5 multiplies (SMLAD does two) only where a
 * pair of taps from two filter rows or at an odd column sits in one register (a PKH per output here); from these
 * words' even-column pairs a filter row takes 2 (SMLAD and a halfword SMLAxy), so 6; the exact requantization
 * SMMLAR, the shift and SSAT (and a sign correction unless act_min >= out_zp), and the store: 10 instructions, 1.11
 * per MAC, with every operand already in a register (one per MAC only with 5 multiplies, or with the shift in SSAT's
 * immediate, a per-channel constant). The operands cost more: the taps must be loaded and sign-extended, and a
 * 3x3's weights do not stay in registers beside the accumulators and the pointers. The 4-pixel pass (70
 * instructions per channel and 36 MACs without the sign correction, 1.94 per MAC) comes within 2x of that floor;
 * the rest is filling the ring and the odd pixels (asm passes: stride 1 four pixels and a lone last one, stride 2
 * four and two pixels; the C form for the rest and at -O0). */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
    int32_t in_zp, act_min, act_max;
    int32_t sign_fix; /* the asm passes' requantization keeps the sign correction (0: exact without, depthwise_3x3.c) */
    int32_t pairs, sets, plane_w; /* pairs = filter_w / 2 + 1 words per filter row and set; weight sets (2 for an
                                    odd stride_w, 1 for an even one); word columns k per slot */
    /* per channel: its doubled bias (less zp * sum(w)) twice; per filter row, per set, `pairs` weight words (int16
     * tap pairs, doubled); multiplier, offset 2^(r-1) + out_zp * 2^r, right shift r; the edge bias: the doubled
     * bias plus the last filter column's products with the zero point, for a pixel whose last column is right
     * padding (the asm passes then skip that word). One pointer walks it. */
    const int32_t *channels;
} cg_depthwise_dsp_params;

/* GCC's pre-allocation scheduler interleaves the three filter rows of the C form, which needs more registers than
 * the core has (measured when the C form still ran whole rows: DS-CNN's depthwise 3.06 instead of 2.89 instructions
 * per MAC, MobileNet's stride 2 4.7 instead of 4.0) */
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

/* 2 bytes at x, any alignment (as cg_load_word) */
static inline int32_t cg_depthwise_load2(const int8_t *x)
{
    int32_t half;
    __asm__("ldrh %0, %1" : "=r"(half) : "m"(*(const int16_t *)(const void *)x));
    return half;
}

/* the words of 4 channels from two adjacent columns' bytes a, b (pixels or zero points): 2 PKH */
static inline void cg_depthwise_pack_four(int32_t a, int32_t b, int32_t *column)
{
    column[0] = cg_pack_low(a, b);
    column[1] = cg_pack_high(a, b);
}

/* a word column from padding then pixel x (x_high) or from pixel x then padding (channels c, c + 1 at 2c): per 4
 * channels 1 load, 2 PKH, 1 STRD */
static void cg_depthwise_fill_edge(const int8_t *x, int32_t in_c, int32_t zero_points, int x_high,
                                   int32_t *column)
{
    const int8_t *const end = x + (in_c & ~3);
    if (x_high) {
        for (; x < end; x += 4, column += 2) {
            cg_depthwise_pack_four(zero_points, cg_load_word(x), column);
        }
    } else {
        for (; x < end; x += 4, column += 2) {
            cg_depthwise_pack_four(cg_load_word(x), zero_points, column);
        }
    }
    if (in_c & 2) { /* the last pair */
        column[0] = x_high ? cg_pack_low(zero_points, cg_depthwise_load2(x))
                           : cg_pack_low(cg_depthwise_load2(x), zero_points);
    }
}

/* a word column from two adjacent image pixels at x: per 8 channels 4 loads, 4 PKH, 2 STRD, 3 loop */
static void cg_depthwise_fill_inside(const int8_t *x, int32_t in_c, int32_t *column)
{
    for (const int8_t *const end = x + (in_c & ~7); x < end; x += 8, column += 4) {
        cg_depthwise_pack_four(cg_load_word(x), cg_load_word(x + in_c), column);
        cg_depthwise_pack_four(cg_load_word(x + 4), cg_load_word(x + in_c + 4), column + 2);
    }
    if (in_c & 4) {
        cg_depthwise_pack_four(cg_load_word(x), cg_load_word(x + in_c), column);
        x += 4;
        column += 2;
    }
    if (in_c & 2) { /* the last pair */
        column[0] = cg_pack_low(cg_depthwise_load2(x), cg_depthwise_load2(x + in_c));
    }
}

/* `pairs` word columns from pairs of image pixels from x on, in_c a multiple of 8: cg_depthwise_fill_inside's
 * loop for all of them, the pixels' bytes walked once (per 8 channels and 2 pixels 4 loads, 4 PKH, 2 STRD, 3 loop;
 * per column 3 more; one call a row instead of about 30 instructions of call and tails per column, which doubled
 * the cost of the 8- and 16-channel rows). A function of its own: inlined, it changed GCC's registers in the layer
 * loop (the 16-channel stride-2 layer 1 % more instructions). */
static __attribute__((noinline)) void cg_depthwise_fill_pairs(const int8_t *x, int32_t in_c, int32_t pairs,
                                                             int32_t *column)
{
    if (in_c == 8) { /* a pair of pixels is 16 bytes: one loop (the MobileNet's first depthwise layer) */
        for (const int8_t *const last = x + 16 * pairs; x < last; x += 16, column += 4) {
            cg_depthwise_pack_four(cg_load_word(x), cg_load_word(x + 8), column);
            cg_depthwise_pack_four(cg_load_word(x + 4), cg_load_word(x + 12), column + 2);
        }
        return;
    }
    for (const int8_t *const last = x + 2 * pairs * in_c; x < last; x += in_c) {
        for (const int8_t *const end = x + in_c; x < end; x += 8, column += 4) {
            cg_depthwise_pack_four(cg_load_word(x), cg_load_word(x + in_c), column);
            cg_depthwise_pack_four(cg_load_word(x + 4), cg_load_word(x + in_c + 4), column + 2);
        }
    }
}

/* the input zero point in each byte of a word (x - zp = 0) */
static inline int32_t cg_depthwise_zero_points(const cg_depthwise_dsp_params *p)
{
    return (int32_t)((uint32_t)(uint8_t)p->in_zp * 0x01010101u);
}

/* words [from, end) of a slot set to the zero points, two a step */
static void cg_depthwise_fill_zero(int32_t *from, int32_t *const end, int32_t zero_points)
{
    if ((end - from) % 2 == 1) {
        *from++ = zero_points;
    }
    for (; from < end; from += 2) {
        from[0] = zero_points;
        from[1] = zero_points;
    }
}

/* input row `row` (in_w pixels of in_c bytes; NULL: a padding row) into the word columns of a ring slot that
 * touch the image; the others keep the zero points written once per call */
static void cg_depthwise_fill_row(const cg_depthwise_dsp_params *p, const int8_t *row, int32_t *slot)
{
    const int32_t words = p->in_c / 2, in_c = p->in_c;
    const int32_t zero_points = cg_depthwise_zero_points(p);
    if (row == NULL) {
        cg_depthwise_fill_zero(slot, slot + p->plane_w * words, zero_points);
        return;
    }
    int32_t *column = slot + p->pad_left / 2 * words;
    int32_t ix = 0; /* the image column of the next word's low half */
    if (p->pad_left % 2 == 1) { /* padding, pixel 0 */
        cg_depthwise_fill_edge(row, in_c, zero_points, 1, column);
        column += words;
        ix = 1;
    }
    if (in_c % 8 == 0) { /* every pair of pixels inside */
        const int32_t pairs = (p->in_w - ix) / 2;
        cg_depthwise_fill_pairs(row + ix * in_c, in_c, pairs, column);
        ix += 2 * pairs;
        column += pairs * words;
    }
    for (; ix + 1 < p->in_w; ix += 2, column += words) { /* both pixels inside (the rest of the channel counts) */
        cg_depthwise_fill_inside(row + ix * in_c, in_c, column);
    }
    if (ix < p->in_w) { /* the last pixel, padding */
        cg_depthwise_fill_edge(row + ix * in_c, in_c, zero_points, 0, column);
    }
}

/* SXTB16 of the word's bytes 1 and 3 (rotated by 8, free in the instruction) */
static inline int32_t cg_sxtb16_ror8(int32_t word)
{
    int32_t extended;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(extended) : "r"(word));
    return extended;
}

/* channel c's taps of a word as int16 lanes: bytes 0 and 2 (c even), 1 and 3 (c odd) */
static inline int32_t cg_depthwise_taps(int32_t word, int32_t odd)
{
    return odd ? cg_sxtb16_ror8(word) : __sxtb16(word);
}

/* one filter row of a 3x3, one channel, one or two output pixels: row s at the channel pair's word k; stride 1
 * (weight sets = 2): pixels 2m, 2m + 1 read words k, k + 1 with sets 0 and 1; stride 2 (sets = 1): pixel 1 reads
 * k + 1, k + 2 with set 0; one pixel: set 0. *w walks the channel's record. */
static inline __attribute__((always_inline)) void cg_depthwise_filter_row_3x3(const int32_t *s, int32_t next,
                                                                              const int32_t **w, int32_t *acc0,
                                                                              int32_t *acc1, int32_t odd,
                                                                              int32_t stride, int32_t pixels)
{
    const int32_t x0 = cg_depthwise_taps(s[0], odd), x1 = cg_depthwise_taps(s[next], odd);
    int32_t w0, w1;
    cg_load_two_words(w, &w0, &w1);
    *acc0 = __smlad(x1, w1, __smlad(x0, w0, *acc0));
    if (pixels == 2 && stride == 1) {
        cg_load_two_words(w, &w0, &w1);
        *acc1 = __smlad(x1, w1, __smlad(x0, w0, *acc1));
    } else if (pixels == 2) {
        *acc1 = __smlad(cg_depthwise_taps(s[2 * next], odd), w1, __smlad(x1, w0, *acc1));
    } else if (stride == 1) {
        *w += 2; /* set 1 */
    }
}

/* one channel of a 3x3 (full int8 output range) for one or two output pixels: the doubled bias, three filter
 * rows, the requantization */
static inline __attribute__((always_inline)) void cg_depthwise_channel_3x3(const int32_t *s0, const int32_t *s1,
                                                                           const int32_t *s2, int32_t next,
                                                                           const int32_t **w, int8_t *out,
                                                                           int32_t in_c, int32_t odd,
                                                                           int32_t stride, int32_t pixels)
{
    int32_t acc0, acc1; /* pixels 0 and 1 */
    cg_load_two_words(w, &acc0, &acc1);
    cg_depthwise_filter_row_3x3(s0, next, w, &acc0, &acc1, odd, stride, pixels);
    cg_depthwise_filter_row_3x3(s1, next, w, &acc0, &acc1, odd, stride, pixels);
    cg_depthwise_filter_row_3x3(s2, next, w, &acc0, &acc1, odd, stride, pixels);
    int32_t multiplier, offset;
    cg_load_two_words(w, &multiplier, &offset);
    int32_t right_shift; /* and past the edge bias: one LDR */
    __asm__("ldr %0, [%1], #8" : "=r"(right_shift), "+r"(*w) : "m"(**w));
    out[0] = cg_saturate_int8(cg_requantize_doubled(acc0, multiplier, offset, right_shift));
    if (pixels == 2) {
        out[in_c] = cg_saturate_int8(cg_requantize_doubled(acc1, multiplier, offset, right_shift));
    }
}

/* 3x3, full int8 output range: one or two output pixels (2 x 9 MACs a channel) over every channel, stride 1 or 2;
 * s0, s1, s2: each filter row's word k of the first channel pair. The C form of the asm passes below (what runs
 * at -O0), and what they leave: a stride-2 row's last pixel. Channel by
 * channel, so that it needs no more registers than the core has: 7 pointers and counts, 2 accumulators, 2 taps,
 * 2 weights. */
static inline __attribute__((always_inline)) void cg_depthwise_pixels_3x3(const int32_t *w, const int32_t *s0,
                                                                          const int32_t *s1, const int32_t *s2,
                                                                          int8_t *out, int32_t in_c,
                                                                          int32_t stride, int32_t pixels)
{
    const int32_t next = in_c / 2; /* word k + 1 */
    for (int8_t *const end = out + in_c; out < end; out += 2, s0++, s1++, s2++) {
        cg_depthwise_channel_3x3(s0, s1, s2, next, &w, out, in_c, 0, stride, pixels);
        cg_depthwise_channel_3x3(s0, s1, s2, next, &w, out + 1, in_c, 1, stride, pixels);
    }
}

/* stride 1: the last output pixel's last filter column is right padding (its products are in the edge bias) */
static inline int cg_depthwise_edge(const cg_depthwise_dsp_params *p)
{
    return p->out_w - 1 + p->filter_w - 1 >= p->pad_left + p->in_w;
}

/* stride 1: rows of 4q + 1 pixels (q >= 1) whose last pixel has the edge bias end with the 5-pixel pass */
static int cg_depthwise_use_penta(const cg_depthwise_dsp_params *p)
{
    return p->stride_w == 1 && p->out_w % 4 == 1 && p->out_w > 1 && cg_depthwise_edge(p);
}

/* 3x3, full int8 output range, stride 1 or 2: a whole output row, two pixels a pass (a pair starts stride word
 * columns after the last), the last pixel of an odd width alone (its first tap at an even column: set 0) */
static inline __attribute__((always_inline)) void cg_depthwise_row_3x3(const cg_depthwise_dsp_params *p,
                                                                       const int32_t *const *rows, int8_t *out,
                                                                       int32_t stride)
{
    const int32_t in_c = p->in_c, step = stride * in_c / 2;
    const int32_t *s0 = rows[0], *s1 = rows[1], *s2 = rows[2];
    int32_t ox = 0;
#if defined(__OPTIMIZE__) /* -O0 keeps a frame pointer besides clang's: too few registers for the asm */
    for (; stride == 1 && ox + 4 <= p->out_w; ox += 4, s0 += 2 * step, s1 += 2 * step, s2 += 2 * step,
                                              out += 4 * in_c) {
        cg_depthwise_quad_3x3(p->channels, s0, s1, s2, out, in_c, p->sign_fix);
    }
    for (; stride == 2 && ox + 4 <= p->out_w; ox += 4, s0 += 2 * step, s1 += 2 * step, s2 += 2 * step,
                                              out += 4 * in_c) {
        cg_depthwise_quad_stride2_3x3(p->channels, s0, s1, s2, out, in_c, p->sign_fix);
    }
    if (ox + 2 <= p->out_w) { /* the pair left (rows of 4q + 2 or 4q + 3 pixels) */
        if (stride == 1) {
            cg_depthwise_pair_3x3(p->channels, s0, s1, s2, out, in_c, p->sign_fix);
        } else {
            cg_depthwise_pair_stride2_3x3(p->channels, s0, s1, s2, out, in_c, p->sign_fix);
        }
        ox += 2;
        s0 += step;
        s1 += step;
        s2 += step;
        out += 2 * in_c;
    }
#endif
    for (; ox + 2 <= p->out_w; ox += 2, s0 += step, s1 += step, s2 += step, out += 2 * in_c) {
        cg_depthwise_pixels_3x3(p->channels, s0, s1, s2, out, in_c, stride, 2);
    }
    if (ox < p->out_w) {
#if defined(__OPTIMIZE__)
        if (stride == 1) {
            cg_depthwise_lone_3x3(p->channels, s0, s1, s2, out, in_c, cg_depthwise_edge(p));
            return;
        }
#endif
        cg_depthwise_pixels_3x3(p->channels, s0, s1, s2, out, in_c, stride, 1);
    }
}

CG_DW_NO_SCHED static void cg_depthwise_row_3x3_stride1(const cg_depthwise_dsp_params *p,
                                                        const int32_t *const *rows, int8_t *out)
{
    cg_depthwise_row_3x3(p, rows, out, 1);
}

/* stride 1, rows of 4q + 1 pixels whose last has the edge bias (cg_depthwise_use_penta): 4-pixel passes, then the
 * last five in one pass. A row function of its own, chosen per layer: in cg_depthwise_row_3x3 GCC kept fewer
 * values in registers around the 4-pixel pass (the MobileNet's 48-pixel rows took 0.6 % more instructions). At -O0
 * the C form. */
CG_DW_NO_SCHED static void cg_depthwise_row_3x3_penta(const cg_depthwise_dsp_params *p, const int32_t *const *rows,
                                                      int8_t *out)
{
#if defined(__OPTIMIZE__)
    const int32_t in_c = p->in_c, step = in_c / 2;
    const int32_t *s0 = rows[0], *s1 = rows[1], *s2 = rows[2];
    for (int32_t ox = 5; ox < p->out_w; ox += 4, s0 += 2 * step, s1 += 2 * step, s2 += 2 * step, out += 4 * in_c) {
        cg_depthwise_quad_3x3(p->channels, s0, s1, s2, out, in_c, p->sign_fix);
    }
    cg_depthwise_penta_3x3(p->channels, s0, s1, s2, out, in_c, p->sign_fix);
#else
    cg_depthwise_row_3x3(p, rows, out, 1); /* the C form */
#endif
}

CG_DW_NO_SCHED static void cg_depthwise_row_3x3_stride2(const cg_depthwise_dsp_params *p,
                                                        const int32_t *const *rows, int8_t *out)
{
    cg_depthwise_row_3x3(p, rows, out, 2);
}

/* any filter, any activation range: output pixel `out` from the slots' words at its first tap (taps), set `set` */
static void cg_depthwise_pixel(const cg_depthwise_dsp_params *p, const int32_t *const *taps, int32_t set,
                               int8_t *out)
{
    const int32_t next = p->in_c / 2, row_words = p->sets * p->pairs;
    const int32_t record_words = 6 + p->filter_h * row_words;
    for (int32_t c = 0; c < p->in_c; c++) {
        const int32_t *record = p->channels + c * record_words, *w = record + 2 + set * p->pairs;
        const int32_t *q = record + 2 + p->filter_h * row_words;
        int32_t acc = record[0];
        for (int32_t fy = 0; fy < p->filter_h; fy++, w += row_words) {
            for (int32_t k = 0; k < p->pairs; k++) {
                acc = __smlad(cg_depthwise_taps(taps[fy][k * next + c / 2], c & 1), w[k], acc);
            }
        }
        out[c] = (int8_t)cg_clamp(cg_requantize_doubled(acc, q[0], q[1], q[2]), p->act_min, p->act_max);
    }
}

/* one output row, any filter and activation range: pixel ox's first tap is at padded column ox * stride_w, word
 * column ox * stride_w / 2, weight set ox * stride_w % 2; rows: each filter row's slot */
static void cg_depthwise_row(const cg_depthwise_dsp_params *p, const int32_t *const *rows, int8_t *out)
{
    for (int32_t ox = 0; ox < p->out_w; ox++, out += p->in_c) {
        const int32_t column = ox * p->stride_w;
        const int32_t *taps[CG_DW_MAX_FILTER_H];
        for (int32_t fy = 0; fy < p->filter_h; fy++) {
            taps[fy] = rows[fy] + column / 2 * (p->in_c / 2);
        }
        cg_depthwise_pixel(p, taps, column % 2, out);
    }
}

/* slots: scratch of filter_h * plane_w * in_c / 2 words */
CG_MAYBE_UNUSED static void cg_depthwise_conv_2d_dsp(const cg_depthwise_dsp_params *p, const int8_t *in,
                                                     int8_t *out, int16_t *scratch)
{
    int32_t *slots = (int32_t *)(void *)scratch;
    const int32_t slot_words = p->plane_w * p->in_c / 2, row_bytes = p->in_w * p->in_c, filter_h = p->filter_h;
    const int fast = p->filter_h == 3 && p->filter_w == 3 && p->act_min == -128 && p->act_max == 127;
    const int penta = fast && cg_depthwise_use_penta(p);
    /* the word columns cg_depthwise_fill_row does not write (padding only) get their zero points once */
    const int32_t words = p->in_c / 2, first = p->pad_left / 2, last = first + (p->pad_left % 2 + p->in_w + 1) / 2;
    const int32_t zero_points = cg_depthwise_zero_points(p);
    for (int32_t *slot = slots; slot < slots + filter_h * slot_words; slot += slot_words) {
        cg_depthwise_fill_zero(slot, slot + first * words, zero_points);
        cg_depthwise_fill_zero(slot + last * words, slot + slot_words, zero_points);
    }
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *image = in + b * p->in_h * row_bytes;
        int32_t next_row = -p->pad_top; /* the first input row not yet in the ring */
        for (int32_t oy = 0; oy < p->out_h; oy++, out += p->out_w * p->in_c) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t *rows[CG_DW_MAX_FILTER_H];
            for (int32_t fy = 0; fy < filter_h; fy++) {
                const int32_t iy = iy0 + fy, slot = ((iy % filter_h) + filter_h) % filter_h;
                int32_t *words = slots + slot * slot_words;
                if (iy >= next_row) {
                    cg_depthwise_fill_row(p, iy >= 0 && iy < p->in_h ? image + iy * row_bytes : NULL, words);
                }
                rows[fy] = words;
            }
            next_row = iy0 + filter_h > next_row ? iy0 + filter_h : next_row;
            if (penta) {
                cg_depthwise_row_3x3_penta(p, rows, out);
            } else if (fast && p->stride_w == 1) {
                cg_depthwise_row_3x3_stride1(p, rows, out);
            } else if (fast && p->stride_w == 2) {
                cg_depthwise_row_3x3_stride2(p, rows, out);
            } else {
                cg_depthwise_row(p, rows, out);
            }
        }
    }
}
