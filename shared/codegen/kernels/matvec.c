/* matvec.c: the int8 matrix-vector core of CONV_2D and FULLY_CONNECTED: rows of weights times one column of
 * (x - zp) values held as int16 (|x - zp| <= 255), bias added, one requantization per row (per-channel).
 * The depth is padded to a multiple of 4 with zero weights and zero column entries, so no loop has a tail.
 *
 * Cortex-M with the DSP extension: the generator also writes the weights pre-widened to int16, each group of 4
 * in the order 0, 2, 1, 3 (the column's order there, see cg_column_slot) and, for each block of 4 rows,
 * interleaved group by group (4 values of row 0, of row 1, of row 2, of row 3, next group...), so one
 * pointer walks them with LDRD; each __smlad does two MACs and four rows share every column load: per 32 MACs,
 * 10 LDRD and 16 SMLAD. Rows beyond the last block of 4 follow, one after another. A convolution passes two
 * columns (two output pixels, cg_matvec2): each pair of rows of a block against both columns, so every weight
 * load feeds both, per 32 MACs 8 LDRD and 16 SMLAD.
 * Elsewhere: plain int8 weights (row-major), the same 4-row blocking. */

#if defined(__ARM_FEATURE_DSP) && !defined(CG_NO_DSP)
#define CG_DSP 1
typedef int32_t cg_weight_t; /* two int16 weights per word, even index in the low half */

/* LDRD with post-increment: the next two words (four int16 values) into *low and *high. GCC splits 64-bit loads
 * into two LDRs whose halves feed SMLAD, so the one load instruction is asked for explicitly. */
CG_MAYBE_UNUSED static inline void cg_load_two_words(const int32_t **pointer, int32_t *low, int32_t *high)
{
    __asm__("ldrd %0, %1, [%2], #8" : "=r"(*low), "=r"(*high), "+r"(*pointer) : "m"(**pointer), "m"((*pointer)[1]));
}

/* LDRD with a 24-byte post-increment: the second row of a pair inside a block of 4 interleaved rows, after the
 * first row's cg_load_two_words, moves the pointer to the pair's next group (see cg_pair_step) */
CG_MAYBE_UNUSED static inline void cg_load_two_words_skip(const int32_t **pointer, int32_t *low, int32_t *high)
{
    __asm__("ldrd %0, %1, [%2], #24" : "=r"(*low), "=r"(*high), "+r"(*pointer) : "m"(**pointer), "m"((*pointer)[1]));
}
#else
#define CG_DSP 0
typedef int8_t cg_weight_t;
#endif

typedef struct {
    int32_t rows, depth; /* depth: multiple of 4 */
    int32_t out_zp, act_min, act_max;
    const cg_weight_t *weights; /* (rows, depth) int8, or int16 pairs in the DSP layout above */
    const int32_t *bias;        /* (rows,) */
    const int32_t *multipliers;  /* (rows,) */
    const int32_t *left_shifts;  /* (rows,) max(shift, 0) of TFLite's per-channel shift, split ahead: no branch */
    const int32_t *right_shifts; /* (rows,) max(-shift, 0) */
    const int64_t *roundings;    /* (rows,) 2^30 + (right shift r > 0 ? 2^(30 + r) : 0), see cg_requantize_rounded */
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

CG_MAYBE_UNUSED static inline int8_t cg_matvec_output(const cg_matvec_params *p, int32_t row, int32_t acc)
{
    acc = cg_requantize_rounded(acc, p->multipliers[row], p->left_shifts[row], p->right_shifts[row],
                                p->roundings[row]) + p->out_zp;
    return (int8_t)cg_clamp(acc, p->act_min, p->act_max);
}

/* requantize and store rows row .. row + n - 1; out of line, so that the requantization does not compete for
 * registers with the caller's loop state (inlined, GCC spills inside the multiply loop) */
__attribute__((noinline)) static void cg_matvec_outputs(const cg_matvec_params *p, int32_t row, int32_t n,
                                                        const int32_t *acc, int8_t *out)
{
    for (int32_t i = 0; i < n; i++) {
        out[row + i] = cg_matvec_output(p, row + i, acc[i]);
    }
}

#if CG_DSP
#define CG_ROW_CHUNK 32 /* rows per requantization call: fewer calls, a 128-byte stack buffer */

/* one row's next 4 weights against 4 column values (x01, x23): one LDRD, two SMLAD */
CG_MAYBE_UNUSED static inline int32_t cg_row_step(const int32_t **w, int32_t x01, int32_t x23, int32_t acc)
{
    int32_t w01, w23;
    cg_load_two_words(w, &w01, &w23);
    return __smlad(w23, x23, __smlad(w01, x01, acc));
}

/* the next 4 column values against the next 4 weights of each of 4 rows: 5 LDRD, 8 SMLAD */
CG_MAYBE_UNUSED static inline void cg_quad_step(const int32_t **x, const int32_t **w, int32_t *acc0, int32_t *acc1,
                                                int32_t *acc2, int32_t *acc3)
{
    int32_t x01, x23;
    cg_load_two_words(x, &x01, &x23);
    *acc0 = cg_row_step(w, x01, x23, *acc0);
    *acc1 = cg_row_step(w, x01, x23, *acc1);
    *acc2 = cg_row_step(w, x01, x23, *acc2);
    *acc3 = cg_row_step(w, x01, x23, *acc3);
}

/* four rows against the column, `quads` groups of 4 values; returns the advanced weight pointer. The int16
 * column is read as words only through the asm loads, so no int32 lvalue aliases it. Kept out of line so the
 * loop has the registers to itself (no spills): per 64 MACs, 20 LDRD, 32 SMLAD, SUBS, BNE. */
__attribute__((noinline)) static const int32_t *cg_matvec_block4(const int32_t *w, const int32_t *x, int32_t quads,
                                                                 int32_t acc[4])
{
    int32_t acc0 = acc[0], acc1 = acc[1], acc2 = acc[2], acc3 = acc[3];
    for (int32_t fours = quads / 4; fours > 0; fours--) { /* unrolled by hand: GCC -O2 keeps a loop here */
        cg_quad_step(&x, &w, &acc0, &acc1, &acc2, &acc3);
        cg_quad_step(&x, &w, &acc0, &acc1, &acc2, &acc3);
        cg_quad_step(&x, &w, &acc0, &acc1, &acc2, &acc3);
        cg_quad_step(&x, &w, &acc0, &acc1, &acc2, &acc3);
    }
    for (int32_t rest = quads & 3; rest > 0; rest--) {
        cg_quad_step(&x, &w, &acc0, &acc1, &acc2, &acc3);
    }
    acc[0] = acc0;
    acc[1] = acc1;
    acc[2] = acc2;
    acc[3] = acc3;
    return w;
}

/* slot of column value k on the DSP path: in each group of 4 the order is 0, 2, 1, 3 (bits 0 and 1 of k
 * swapped), the lane order SXTAB16 produces; the generator orders the DSP weights the same way */
CG_MAYBE_UNUSED static inline int32_t cg_column_slot(int32_t k)
{
    return (k & ~3) | ((k & 1) << 1) | ((k >> 1) & 1);
}

/* column values k0 .. k0 + n - 1 = 0 (padded taps, the tail up to depth) */
static void cg_column_zero(int16_t *column, int32_t k0, int32_t n)
{
    const int32_t head = (4 - (k0 & 3)) & 3; /* values before the first whole group */
    const int32_t groups = n > head ? (n - head) / 4 : 0;
    for (int32_t i = 0; i < n; i++) { /* counted loops only: GCC 12 misjudges `k < end` forms here */
        if (i == head && groups > 0) {
            memset(column + k0 + i, 0, (size_t)groups * 4 * sizeof(int16_t)); /* whole groups: slots = places */
            i += groups * 4 - 1;
            continue;
        }
        column[cg_column_slot(k0 + i)] = 0;
    }
}

/* column values k0 .. k0 + n - 1 = x[i] - zp: four at a time with SXTAB16 (bytes 0,2, then rotated 1,3) when
 * k0 starts a group, one by one otherwise */
static void cg_widen(const int8_t *x, int32_t n, int32_t zp, int16_t *column, int32_t k0)
{
    const int32_t minus_zp = (int32_t)((uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u);
    int32_t i = 0;
    if ((k0 & 3) == 0) {
        for (; i + 4 <= n; i += 4) {
            uint32_t bytes;
            memcpy(&bytes, x + i, 4);
            const int32_t even = __sxtab16(minus_zp, (int32_t)bytes);
            const int32_t odd = __sxtab16(minus_zp, (int32_t)((bytes >> 8) | (bytes << 24)));
            memcpy(column + k0 + i, &even, 4);
            memcpy(column + k0 + i + 2, &odd, 4);
        }
    }
    for (int32_t tail = n - i; tail > 0; tail--, i++) { /* count-down: GCC 12 misjudges `i < n` here */
        column[cg_column_slot(k0 + i)] = (int16_t)(x[i] - zp);
    }
}

/* two rows (the pair at word offset 0 or 4 of a block of 4) against two columns: per 16 MACs 4 LDRD, 8 SMLAD
 * (the weights are loaded once for both columns). acc: row 0 and row 1 of column a, then of column b. */
CG_MAYBE_UNUSED static inline void cg_pair_step(const int32_t **xa, const int32_t **xb, const int32_t **w,
                                                int32_t acc[4])
{
    int32_t a01, a23, b01, b23, w01, w23;
    cg_load_two_words(xa, &a01, &a23);
    cg_load_two_words(xb, &b01, &b23);
    cg_load_two_words(w, &w01, &w23);
    acc[0] = __smlad(w23, a23, __smlad(w01, a01, acc[0]));
    acc[2] = __smlad(w23, b23, __smlad(w01, b01, acc[2]));
    cg_load_two_words_skip(w, &w01, &w23);
    acc[1] = __smlad(w23, a23, __smlad(w01, a01, acc[1]));
    acc[3] = __smlad(w23, b23, __smlad(w01, b01, acc[3]));
}

/* `pairs` pairs of rows (two per block of 4, blocks in order) against two columns; acc_a and acc_b receive the
 * sums of column a and column b, starting from bias */
__attribute__((noinline)) static void cg_matvec_pairs2(const int32_t *w, const int32_t *xa0, const int32_t *xb0,
                                                       int32_t quads, int32_t pairs, const int32_t *bias,
                                                       int32_t *acc_a, int32_t *acc_b)
{
    for (int32_t k = 0; k < pairs; k++) {
        const int32_t *xa = xa0, *xb = xb0, *wp = w + (k & 1) * 4; /* the pair's offset in its block */
        int32_t acc[4] = {bias[2 * k], bias[2 * k + 1], bias[2 * k], bias[2 * k + 1]};
        for (int32_t fours = quads / 4; fours > 0; fours--) {
            cg_pair_step(&xa, &xb, &wp, acc);
            cg_pair_step(&xa, &xb, &wp, acc);
            cg_pair_step(&xa, &xb, &wp, acc);
            cg_pair_step(&xa, &xb, &wp, acc);
        }
        for (int32_t rest = quads & 3; rest > 0; rest--) {
            cg_pair_step(&xa, &xb, &wp, acc);
        }
        acc_a[2 * k] = acc[0];
        acc_a[2 * k + 1] = acc[1];
        acc_b[2 * k] = acc[2];
        acc_b[2 * k + 1] = acc[3];
        if (k & 1) {
            w += quads * 8; /* a block of 4 rows: 8 words per group of 4 values */
        }
    }
}

/* the rows after the last block of 4, one by one, from weights w on */
static void cg_matvec_rest(const cg_matvec_params *p, const int32_t *w, const int32_t *x, int8_t *out)
{
    const int32_t quads = p->depth / 4;
    for (int32_t row = p->rows / 4 * 4; row < p->rows; row++) {
        int32_t acc = p->bias[row];
        const int32_t *xq = x;
        for (int32_t n = quads; n > 0; n--) {
            int32_t x01, x23, w01, w23;
            cg_load_two_words(&xq, &x01, &x23);
            cg_load_two_words(&w, &w01, &w23);
            acc = __smlad(w23, x23, __smlad(w01, x01, acc));
        }
        out[row] = cg_matvec_output(p, row, acc);
    }
}

/* two columns at once (two output pixels of a convolution): every block-of-4 weight is loaded once for both */
CG_MAYBE_UNUSED static void cg_matvec2(const cg_matvec_params *p, const int16_t *column_a, const int16_t *column_b,
                                       int8_t *out_a, int8_t *out_b)
{
    const int32_t *w = p->weights;
    const int32_t *xa = (const int32_t *)(const void *)column_a;
    const int32_t *xb = (const int32_t *)(const void *)column_b;
    const int32_t quads = p->depth / 4;
    const int32_t blocked_rows = p->rows / 4 * 4;
    int32_t acc_a[CG_ROW_CHUNK], acc_b[CG_ROW_CHUNK];
    for (int32_t row0 = 0; row0 < blocked_rows; row0 += CG_ROW_CHUNK) {
        const int32_t n = blocked_rows - row0 < CG_ROW_CHUNK ? blocked_rows - row0 : CG_ROW_CHUNK;
        cg_matvec_pairs2(w, xa, xb, quads, n / 2, p->bias + row0, acc_a, acc_b);
        w += n / 4 * quads * 8;
        cg_matvec_outputs(p, row0, n, acc_a, out_a);
        cg_matvec_outputs(p, row0, n, acc_b, out_b);
    }
    cg_matvec_rest(p, w, xa, out_a);
    cg_matvec_rest(p, w, xb, out_b);
}

static void cg_matvec(const cg_matvec_params *p, const int16_t *column, int8_t *out)
{
    const int32_t *w = p->weights;
    const int32_t *x = (const int32_t *)(const void *)column;
    const int32_t quads = p->depth / 4;
    const int32_t blocked_rows = p->rows / 4 * 4;
    int32_t acc[CG_ROW_CHUNK]; /* up to CG_ROW_CHUNK rows accumulated, then requantized in one call */
    for (int32_t row0 = 0; row0 < blocked_rows; row0 += CG_ROW_CHUNK) {
        const int32_t n = blocked_rows - row0 < CG_ROW_CHUNK ? blocked_rows - row0 : CG_ROW_CHUNK;
        for (int32_t i = 0; i < n; i += 4) {
            memcpy(acc + i, p->bias + row0 + i, 4 * sizeof(int32_t));
            w = cg_matvec_block4(w, x, quads, acc + i);
        }
        cg_matvec_outputs(p, row0, n, acc, out);
    }
    cg_matvec_rest(p, w, x, out);
}
#else
/* column values k0 .. k0 + n - 1 = 0 (padded taps, the tail up to depth) */
static void cg_column_zero(int16_t *column, int32_t k0, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        column[k0 + i] = 0;
    }
}

/* column values k0 .. k0 + n - 1 = x[i] - zp */
static void cg_widen(const int8_t *x, int32_t n, int32_t zp, int16_t *column, int32_t k0)
{
    for (int32_t i = 0; i < n; i++) {
        column[k0 + i] = (int16_t)(x[i] - zp);
    }
}

/* |w * (x - zp)| <= 128 * 255 < 2^15: int32 accumulators hold 2^16 terms */
static void cg_matvec(const cg_matvec_params *p, const int16_t *column, int8_t *out)
{
    const int32_t depth = p->depth;
    const int32_t blocked_rows = p->rows / 4 * 4;
    for (int32_t row = 0; row < blocked_rows; row += 4) {
        const int8_t *w0 = p->weights + row * depth, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
        int32_t acc0 = p->bias[row], acc1 = p->bias[row + 1], acc2 = p->bias[row + 2], acc3 = p->bias[row + 3];
        for (int32_t k = 0; k < depth; k++) {
            const int32_t x = column[k];
            acc0 += w0[k] * x;
            acc1 += w1[k] * x;
            acc2 += w2[k] * x;
            acc3 += w3[k] * x;
        }
        const int32_t acc[4] = {acc0, acc1, acc2, acc3};
        cg_matvec_outputs(p, row, 4, acc, out);
    }
    for (int32_t row = blocked_rows; row < p->rows; row++) {
        const int8_t *w = p->weights + row * depth;
        int32_t acc = p->bias[row];
        for (int32_t k = 0; k < depth; k++) {
            acc += w[k] * column[k];
        }
        out[row] = cg_matvec_output(p, row, acc);
    }
}

/* two columns: one after the other (the DSP build shares the weight loads) */
CG_MAYBE_UNUSED static void cg_matvec2(const cg_matvec_params *p, const int16_t *column_a, const int16_t *column_b,
                                       int8_t *out_a, int8_t *out_b)
{
    cg_matvec(p, column_a, out_a);
    cg_matvec(p, column_b, out_b);
}
#endif
