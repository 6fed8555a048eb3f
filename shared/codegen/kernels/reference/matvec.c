/* matvec.c: the int8 matrix-vector core of CONV_2D and FULLY_CONNECTED: rows of weights times one column of
 * (x - zp) values held as int16 (|x - zp| <= 255), bias added, one requantization per row (per-channel).
 * The depth is padded to a multiple of 4 with zero weights and zero column entries, so no loop has a tail.
 * Here: the parameters, the requantization (TFLite's arithmetic, portable C) and the portable loops: plain int8
 * weights (row-major), 4 rows x 2 pixels per weight pass; cortex_m/matvec.c replaces the loops (cg_matvec,
 * cg_matvec2, the column fill and the offsets-form requantization) on a DSP core. */

typedef struct {
    int32_t rows, depth; /* depth: multiple of 4 */
    int32_t out_zp, act_min, act_max;
    const void *weights; /* (rows, depth) int8 row-major; the DSP build: int32 words, see cortex_m/matvec.c */
    int32_t int8_weights; /* DSP build: 1 = int8 weights widened in registers (SXTB16), 0 = int16 pairs */
    int32_t fused; /* DSP build: 0, or the weights are cortex_m/matvec.c's fused stream (1; 2: no sign correction) */
    const int32_t *bias;        /* (rows,); NULL in the DSP build of a fused layer (in the stream) */
    const int32_t *multipliers;  /* (rows,) */
    const int32_t *right_shifts; /* (rows,) max(-shift, 0) of TFLite's per-channel shift */
    /* either (cg_requantize_offset, when the generator proves it exact for every row) */
    const int32_t *offsets; /* (rows,) 2^(r - 1) + out_zp * 2^r for the right shift r; the DSP build: (rows, 3)
                             * records (multiplier, offset, right shift), see cortex_m/matvec.c */
    /* or (cg_requantize_rounded; offsets NULL) */
    const int32_t *left_shifts; /* (rows,) max(shift, 0), split ahead: no branch */
    const int64_t *roundings;   /* (rows,) 2^30 + (right shift r > 0 ? 2^(30 + r) : 0) */
} cg_matvec_params;

/* cg_requantize_split (TFLite MultiplyByQuantizedMultiplier) with both roundings in one 64-bit sum, for a
 * multiplier >= 0 and rounding = 2^30 + (r > 0 ? 2^(30 + r) : 0). With p = (x << l) * multiplier, TFLite's
 * high = floor((p + 2^30) / 2^31) and, for r > 0, RoundingDivideByPOT(high, r) = floor((high + 2^(r-1) - [high < 0])
 * / 2^r) (ties away from zero); floor((floor(a / 2^31) + c) / 2^r) = floor((a + c * 2^31) / 2^(31 + r)), so the result
 * is the high word of p + rounding - [high < 0] * 2^31, shifted right by r - 1. [high < 0] may be replaced by
 * [x << l < 0]: they differ only when high = 0, where both give 0. |p| <= 2^62, so the sum never overflows. */
CG_MAYBE_UNUSED static inline int32_t cg_requantize_rounded(int32_t x, int32_t multiplier, int32_t left_shift,
                                                            int32_t right_shift, int64_t rounding)
{
    const int32_t shifted = cg_shift_left_wrap(x, left_shift);
    const int64_t sum = (int64_t)shifted * multiplier + rounding;
    if (right_shift == 0) {
        return (int32_t)(sum >> 31);
    }
    const int64_t negative = shifted < 0 ? ((int64_t)1 << 31) : 0;
    return (int32_t)((sum - negative) >> 32) >> (right_shift - 1);
}

/* the general form (offsets NULL): TFLite's requantization, the output zero point, the activation range */
CG_MAYBE_UNUSED static inline int8_t cg_matvec_output_rounded(const cg_matvec_params *p, int32_t row, int32_t acc)
{
    acc = cg_requantize_rounded(acc, p->multipliers[row], p->left_shifts[row], p->right_shifts[row],
                                p->roundings[row]) + p->out_zp;
    return (int8_t)cg_clamp(acc, p->act_min, p->act_max);
}

#if !CG_DSP /* the portable loops; cortex_m/matvec.c has the DSP ones (and its own requantization loops) */
/* a pair column (two output pixels) is two plain columns, one after the other: GCC -O3 vectorizes each pixel's
 * dot products on the host, and the Cortex-M build without DSP keeps one load per value */
#define CG_PAIR_STEP 1
#define CG_PAIR_OFFSET(depth) (depth)
#define CG_ROW_CHUNK 32 /* rows per requantization call */

CG_MAYBE_UNUSED static inline int8_t cg_matvec_output(const cg_matvec_params *p, int32_t row, int32_t acc)
{
    if (p->offsets == NULL) {
        return cg_matvec_output_rounded(p, row, acc);
    }
    const int32_t value = cg_requantize_offset(acc, p->multipliers[row], p->offsets[row], p->right_shifts[row]);
    return (int8_t)cg_clamp(value, p->act_min, p->act_max);
}

/* requantize and store rows row .. row + n - 1 (acc: n values); out of line, so that the requantization does not
 * compete for registers with the multiply loops. The offsets form gets its own loops (no per-row test). */
__attribute__((noinline)) static void cg_matvec_outputs(const cg_matvec_params *p, int32_t row, int32_t n,
                                                        const int32_t *acc, int8_t *out)
{
    if (p->offsets == NULL) {
        for (int32_t i = 0; i < n; i++) {
            out[row + i] = cg_matvec_output_rounded(p, row + i, acc[i]);
        }
        return;
    }
    const int32_t *multipliers = p->multipliers + row, *offsets = p->offsets + row, *shifts = p->right_shifts + row;
    out += row;
    if (p->act_min == -128 && p->act_max == 127) { /* the full int8 range: one saturation */
        for (int32_t i = 0; i < n; i++) {
            out[i] = cg_saturate_int8(cg_requantize_offset(acc[i], multipliers[i], offsets[i], shifts[i]));
        }
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        const int32_t value = cg_requantize_offset(acc[i], multipliers[i], offsets[i], shifts[i]);
        out[i] = (int8_t)cg_clamp(value, p->act_min, p->act_max);
    }
}

/* column values k0 .. k0 + n - 1 = 0 (padded taps, the tail up to depth); step: CG_PAIR_STEP (see the DSP path) */
static void cg_column_zero(int16_t *column, int32_t k0, int32_t n, int32_t step)
{
    for (int32_t i = 0; i < n; i++) {
        column[(k0 + i) * step] = 0;
    }
}

/* column values k0 .. k0 + n - 1 = x[i] - zp; step: CG_PAIR_STEP (see the DSP path) */
static void cg_widen(const int8_t *x, int32_t n, int32_t zp, int16_t *column, int32_t k0, int32_t step)
{
    for (int32_t i = 0; i < n; i++) {
        column[(k0 + i) * step] = (int16_t)(x[i] - zp);
    }
}

/* column values k .. k + 3 (k a multiple of 4) = the bytes of `bytes` (value i in bits 8i .. 8i + 7) minus zp;
 * step: CG_PAIR_STEP (see the DSP path) */
CG_MAYBE_UNUSED static inline void cg_widen_word(uint32_t bytes, int32_t zp, int16_t *column, int32_t k, int32_t step)
{
    for (int32_t i = 0; i < 4; i++) {
        column[(k + i) * step] = (int16_t)((int32_t)(((bytes >> (8 * i)) & 0xFFu) ^ 0x80u) - 0x80 - zp);
    }
}

/* values k0 .. k0 + n - 1 of both pixels of a pair column, from their bytes xa and xb: pixel a's into column_a,
 * pixel b's into column_b (column_a + CG_PAIR_OFFSET(depth)) */
CG_MAYBE_UNUSED static void cg_widen_pair(const int8_t *xa, const int8_t *xb, int32_t n, int32_t zp, int16_t *column_a,
                                          int16_t *column_b, int32_t k0)
{
    cg_widen(xa, n, zp, column_a, k0, 1);
    cg_widen(xb, n, zp, column_b, k0, 1);
}

/* |w * (x - zp)| <= 128 * 255 < 2^15: int32 accumulators hold 2^16 terms. One pixel's column: 4 rows per column
 * pass, requantized CG_ROW_CHUNK rows at a time. */
static void cg_matvec(const cg_matvec_params *p, const int16_t *column, int8_t *out)
{
    const int32_t depth = p->depth, rows = p->rows;
    const int8_t *w0 = (const int8_t *)p->weights; /* the next row's weights */
    int32_t acc[CG_ROW_CHUNK];
    for (int32_t row0 = 0; row0 < rows; row0 += CG_ROW_CHUNK) {
        const int32_t n = rows - row0 < CG_ROW_CHUNK ? rows - row0 : CG_ROW_CHUNK;
        int32_t i = 0;
        for (; i + 4 <= n; i += 4, w0 += 4 * depth) {
            const int8_t *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
            int32_t a0 = p->bias[row0 + i], a1 = p->bias[row0 + i + 1], a2 = p->bias[row0 + i + 2];
            int32_t a3 = p->bias[row0 + i + 3];
            for (int32_t k = 0; k < depth; k++) {
                const int32_t x = column[k];
                a0 += w0[k] * x;
                a1 += w1[k] * x;
                a2 += w2[k] * x;
                a3 += w3[k] * x;
            }
            acc[i] = a0;
            acc[i + 1] = a1;
            acc[i + 2] = a2;
            acc[i + 3] = a3;
        }
        for (int32_t rest = n & 3; rest > 0; rest--, i++, w0 += depth) { /* n & 3: GCC 12 misjudges `i < n` */
            int32_t a = p->bias[row0 + i];
            for (int32_t k = 0; k < depth; k++) {
                a += w0[k] * column[k];
            }
            acc[i] = a;
        }
        cg_matvec_outputs(p, row0, n, acc, out);
    }
}

/* two output pixels: one column after the other (the DSP build shares the weight loads) */
CG_MAYBE_UNUSED static void cg_matvec2(const cg_matvec_params *p, const int16_t *pair, int8_t *out_a, int8_t *out_b)
{
    cg_matvec(p, pair, out_a);
    cg_matvec(p, pair + CG_PAIR_OFFSET(p->depth), out_b);
}
#endif
