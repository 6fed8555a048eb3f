/* cortex_m/matvec.c: the DSP loops of the int8 matrix-vector core of CONV_2D and FULLY_CONNECTED: rows of weights times one column of
 * (x - zp) values held as int16 (|x - zp| <= 255), bias added, one requantization per row (per-channel).
 * The depth is padded to a multiple of 4 with zero weights and zero column entries, so no loop has a tail.
 *
 * Cortex-M with the DSP extension: the generator also writes the weights pre-widened to int16, each group of 4
 * in the order 0, 2, 1, 3 (the column's order there, see cg_column_slot) and, for each block of 4 rows,
 * interleaved word by word (values 0, 2 of rows 0, 1, 2, 3, then values 1, 3 of rows 0..3, next group...), so one
 * pointer walks them with LDRD; each __smlad does two MACs. One column (FULLY_CONNECTED, a lone pixel): four rows
 * share every column load, per 32 MACs 10 LDRD and 16 SMLAD. A convolution passes two output pixels in one pair
 * column (cg_matvec2, cg_block4x2): 4 rows x 2 pixels, every weight load feeds both pixels, per 32 MACs 6 LDRD and
 * 16 SMLAD. Rows beyond the last block of 4 follow, one after another.
 * With int8 weights in flash (the generator's per-layer choice) see cg_matvec_int8 below; where the generator
 * fuses a layer (`fused`), its weights come as one stream with bias and requantization records and one asm runs a
 * pair through all its rows, requantizing in registers (cg_matvec2_fused, cg_matvec2_fused_int8). */

#define CG_ROW_CHUNK 32 /* rows per requantization call: fewer calls, a 256-byte stack buffer for a pair */

/* The offsets form of the requantization (cg_requantize_offset) reads one record per row here: the generator
 * writes the DSP build's `offsets` table as (multiplier, offset, right shift) triples, so a row costs one LDRD and
 * one LDR, shared by the two pixels of a pair; per output then the doubling, SMMLAR, the sign correction, a
 * shift (cg_requantize_doubled), the saturation and the store. */

/* the next row's record (advancing *record) and its sums of `pixels` (1 or 2) pixels (advancing *acc),
 * requantized into *a (and *b) */
static inline void cg_requantize_records(const int32_t **acc, const int32_t **record, int32_t pixels, int32_t *a,
                                         int32_t *b)
{
    int32_t multiplier, offset, shift, high;
    __asm__("ldrd %0, %1, [%3], #12\n\tldr %2, [%3, #-4]"
            : "=&r"(multiplier), "=&r"(offset), "=&r"(shift), "+r"(*record) : "m"(**record));
    if (pixels == 1) {
        __asm__("ldr %0, [%1], #4" : "=r"(*a), "+r"(*acc) : "m"(**acc));
    } else {
        __asm__("ldrd %0, %1, [%2], #8" : "=&r"(*a), "=&r"(*b), "+r"(*acc) : "m"(**acc));
    }
    __asm__("lsl %0, %0, #1\n\tsmmlar %1, %0, %2, %3\n\tsub %0, %1, %0, lsr #31\n\tasr %0, %0, %4"
            : "+&r"(*a), "=&r"(high) : "r"(multiplier), "r"(offset), "r"(shift));
    if (pixels == 2) {
        __asm__("lsl %0, %0, #1\n\tsmmlar %1, %0, %2, %3\n\tsub %0, %1, %0, lsr #31\n\tasr %0, %0, %4"
                : "+&r"(*b), "=&r"(high) : "r"(multiplier), "r"(offset), "r"(shift));
    }
}

/* x clamped to [lo, hi] without branches (GCC makes compares and branches of cg_clamp here) */
static inline int32_t cg_clamp_dsp(int32_t x, int32_t lo, int32_t hi)
{
    __asm__("cmp %0, %1\n\tit lt\n\tmovlt %0, %1\n\tcmp %0, %2\n\tit gt\n\tmovgt %0, %2"
            : "+r"(x) : "r"(lo), "r"(hi) : "cc");
    return x;
}

/* one row's output on this path (the rows after the last block) */
CG_MAYBE_UNUSED static inline int8_t cg_matvec_output(const cg_matvec_params *p, int32_t row, int32_t acc)
{
    if (p->offsets == NULL) {
        return cg_matvec_output_rounded(p, row, acc);
    }
    const int32_t *record = p->offsets + 3 * row, *sum = &acc;
    int32_t value, unused;
    cg_requantize_records(&sum, &record, 1, &value, &unused);
    return (int8_t)cg_clamp_dsp(value, p->act_min, p->act_max);
}

/* requantize rows row .. row + n - 1 of `pixels` (1 or 2) pixels; acc: per row the pixels' sums side by side */
static inline __attribute__((always_inline)) void cg_matvec_outputs_dsp(const cg_matvec_params *p, int32_t row,
                                                                        int32_t n, const int32_t *acc,
                                                                        int32_t pixels, int8_t *out_a,
                                                                        int8_t *out_b)
{
    if (p->offsets == NULL) {
        for (int32_t i = 0; i < n; i++, acc += pixels) {
            out_a[row + i] = cg_matvec_output_rounded(p, row + i, acc[0]);
            if (pixels == 2) {
                out_b[row + i] = cg_matvec_output_rounded(p, row + i, acc[1]);
            }
        }
        return;
    }
    const int32_t *record = p->offsets + 3 * row;
    const int32_t lo = p->act_min, hi = p->act_max;
    out_a += row;
    out_b += row;
    const int8_t *const end = out_a + n;
    int32_t a, b = 0;
    if (lo == -128 && hi == 127) {
        while (out_a < end) {
            cg_requantize_records(&acc, &record, pixels, &a, &b);
            *out_a++ = cg_saturate_int8(a);
            if (pixels == 2) {
                *out_b++ = cg_saturate_int8(b);
            }
        }
        return;
    }
    while (out_a < end) {
        cg_requantize_records(&acc, &record, pixels, &a, &b);
        *out_a++ = (int8_t)cg_clamp_dsp(a, lo, hi);
        if (pixels == 2) {
            *out_b++ = (int8_t)cg_clamp_dsp(b, lo, hi);
        }
    }
}

/* out of line, so that the requantization does not compete for registers with the multiply loops */
__attribute__((noinline)) static void cg_matvec_outputs(const cg_matvec_params *p, int32_t row, int32_t n,
                                                        const int32_t *acc, int8_t *out)
{
    cg_matvec_outputs_dsp(p, row, n, acc, 1, out, out);
}

__attribute__((noinline)) static void cg_matvec_outputs2(const cg_matvec_params *p, int32_t row, int32_t n,
                                                         const int32_t *acc, int8_t *out_a, int8_t *out_b)
{
    cg_matvec_outputs_dsp(p, row, n, acc, 2, out_a, out_b);
}

/* A pair column (two output pixels of a convolution) interleaves the two pixels' columns word by word: word j of
 * pixel a, then word j of pixel b, so one LDRD brings the same two values of both pixels. Pixel b's values start
 * one word in, and each pixel's words are 2 words apart. */
#define CG_PAIR_STEP 2
#define CG_PAIR_OFFSET(depth) 2

/* the next 4 column values (words x0, x1) against the next 4 weights of each of 4 rows: 5 LDRD, 8 SMLAD. The
 * weights of a block go word by word: rows 0 and 1 of word j (one LDRD), rows 2 and 3 of word j, then word j + 1 */
CG_MAYBE_UNUSED static inline void cg_quad_step(const int32_t **x, const int32_t **w, int32_t *acc0, int32_t *acc1,
                                                int32_t *acc2, int32_t *acc3)
{
    int32_t x0, x1, w0, w1;
    cg_load_two_words(x, &x0, &x1);
    cg_load_two_words(w, &w0, &w1);
    *acc0 = __smlad(w0, x0, *acc0);
    *acc1 = __smlad(w1, x0, *acc1);
    cg_load_two_words(w, &w0, &w1);
    *acc2 = __smlad(w0, x0, *acc2);
    *acc3 = __smlad(w1, x0, *acc3);
    cg_load_two_words(w, &w0, &w1);
    *acc0 = __smlad(w0, x1, *acc0);
    *acc1 = __smlad(w1, x1, *acc1);
    cg_load_two_words(w, &w0, &w1);
    *acc2 = __smlad(w0, x1, *acc2);
    *acc3 = __smlad(w1, x1, *acc3);
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

/* int16 index of column value k in a column whose words are `step` words apart (1: a plain column, CG_PAIR_STEP:
 * one pixel of a pair column, from that pixel's first value) */
CG_MAYBE_UNUSED static inline int32_t cg_column_index(int32_t k, int32_t step)
{
    const int32_t slot = cg_column_slot(k);
    return (slot & ~1) * step + (slot & 1);
}

/* column values k0 .. k0 + n - 1 = 0 (padded taps, the tail up to depth): whole groups a word at a time when k0
 * starts a group (a group's two words are at k * step and (k + 2) * step), one by one otherwise */
static void cg_column_zero(int16_t *column, int32_t k0, int32_t n, int32_t step)
{
    const int32_t zero = 0;
    int32_t i = 0;
    if ((k0 & 3) == 0) {
        int16_t *group = column + k0 * step;
        for (; i + 4 <= n; i += 4, group += 4 * step) {
            memcpy(group, &zero, 4);
            memcpy(group + 2 * step, &zero, 4);
        }
    }
    for (int32_t tail = n - i; tail > 0; tail--, i++) { /* count-down: GCC 12 misjudges `i < n` here */
        column[cg_column_index(k0 + i, step)] = 0;
    }
}

/* the 4 bytes of a word minus zp as int16 in the column's lane order: *even = values 0, 2 (SXTAB16), *odd =
 * values 1, 3 (SXTAB16 of the bytes rotated by 8, one instruction) */
static inline void cg_widen_bytes(int32_t bytes, int32_t minus_zp, int32_t *even, int32_t *odd)
{
    *even = __sxtab16(minus_zp, bytes);
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(*odd) : "r"(minus_zp), "r"(bytes));
}

/* the same from 4 bytes at x */
CG_MAYBE_UNUSED static inline void cg_widen_group(const int8_t *x, int32_t minus_zp, int32_t *even, int32_t *odd)
{
    int32_t bytes;
    memcpy(&bytes, x, 4);
    cg_widen_bytes(bytes, minus_zp, even, odd);
}

/* -zp in both halves of a word, the SXTAB16 addend */
CG_MAYBE_UNUSED static inline int32_t cg_minus_zp_pair(int32_t zp)
{
    return (int32_t)((uint32_t)(uint16_t)(int16_t)(-zp) * 0x00010001u);
}

/* column values k .. k + 3 (k a multiple of 4) = the bytes of `bytes` (value i in bits 8i .. 8i + 7) minus zp;
 * step: 1, or CG_PAIR_STEP */
CG_MAYBE_UNUSED static inline void cg_widen_word(uint32_t bytes, int32_t zp, int16_t *column, int32_t k, int32_t step)
{
    int32_t even, odd;
    cg_widen_bytes((int32_t)bytes, cg_minus_zp_pair(zp), &even, &odd);
    memcpy(column + k * step, &even, 4);
    memcpy(column + (k + 2) * step, &odd, 4);
}

/* column values k0 .. k0 + n - 1 = x[i] - zp: four at a time when k0 starts a group, one by one otherwise */
static void cg_widen(const int8_t *x, int32_t n, int32_t zp, int16_t *column, int32_t k0, int32_t step)
{
    const int32_t minus_zp = cg_minus_zp_pair(zp);
    int32_t i = 0;
    if ((k0 & 3) == 0) {
        int16_t *group = column + k0 * step;
        if (step == 1) { /* a plain column (FULLY_CONNECTED): 8 values a pass, 2 loads, 4 SXTAB16, 2 STRD */
            for (const int8_t *const end = x + (n & ~7); x + i < end; i += 8, group += 8) {
                int32_t a0, a1, b0, b1;
                cg_widen_group(x + i, minus_zp, &a0, &a1);
                cg_widen_group(x + i + 4, minus_zp, &b0, &b1);
                __asm__ volatile("strd %[a0], %[a1], [%[g]]\n\tstrd %[b0], %[b1], [%[g], #8]"
                                 :
                                 : [a0] "r"(a0), [a1] "r"(a1), [b0] "r"(b0), [b1] "r"(b1), [g] "r"(group)
                                 : "memory");
            }
        }
        for (; i + 4 <= n; i += 4, group += 4 * step) {
            int32_t even, odd;
            cg_widen_group(x + i, minus_zp, &even, &odd);
            memcpy(group, &even, 4);
            memcpy(group + 2 * step, &odd, 4);
        }
    }
    for (int32_t tail = n - i; tail > 0; tail--, i++) { /* count-down: GCC 12 misjudges `i < n` here */
        column[cg_column_index(k0 + i, step)] = (int16_t)(x[i] - zp);
    }
}

/* values k0 .. k0 + n - 1 (k0 and n multiples of 4) of both pixels of a pair column at once, from their bytes xa
 * and xb, into pixel a's words (column_a) and pixel b's (column_b = column_a + CG_PAIR_OFFSET): per 8 values
 * 2 loads, 4 SXTAB16, 4 stores. Out of line: inlined into the layer's loops, GCC spills inside this one. */
CG_MAYBE_UNUSED __attribute__((noinline)) static void cg_widen_pair(const int8_t *xa, const int8_t *xb, int32_t n,
                                                                    int32_t zp, int16_t *column_a,
                                                                    int16_t *column_b, int32_t k0)
{
    const int32_t minus_zp = cg_minus_zp_pair(zp);
    int16_t *group_a = column_a + k0 * CG_PAIR_STEP, *group_b = column_b + k0 * CG_PAIR_STEP;
    for (int32_t i = 0; i + 4 <= n; i += 4, group_a += 4 * CG_PAIR_STEP, group_b += 4 * CG_PAIR_STEP) {
        int32_t even, odd;
        cg_widen_group(xa + i, minus_zp, &even, &odd);
        memcpy(group_a, &even, 4);
        memcpy(group_a + 2 * CG_PAIR_STEP, &odd, 4);
        cg_widen_group(xb + i, minus_zp, &even, &odd);
        memcpy(group_b, &even, 4);
        memcpy(group_b + 2 * CG_PAIR_STEP, &odd, 4);
    }
}

/* one step of the 4x2 block: the same two values of both pixels (one LDRD of the pair column) against those of
 * rows 0, 1 (one LDRD) and rows 2, 3 (one LDRD): 3 LDRD, 8 SMLAD, 16 MACs */
#define CG_STEP_4X2                             \
    "ldrd %[xa], %[xb], [%[x]], #8\n\t"         \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"         \
    "smlad %[a0], %[w0], %[xa], %[a0]\n\t"      \
    "smlad %[b0], %[w0], %[xb], %[b0]\n\t"      \
    "smlad %[a1], %[w1], %[xa], %[a1]\n\t"      \
    "smlad %[b1], %[w1], %[xb], %[b1]\n\t"      \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"         \
    "smlad %[a2], %[w0], %[xa], %[a2]\n\t"      \
    "smlad %[b2], %[w0], %[xb], %[b2]\n\t"      \
    "smlad %[a3], %[w1], %[xa], %[a3]\n\t"      \
    "smlad %[b3], %[w1], %[xb], %[b3]\n\t"

/* the same step with one weight register (13 registers in all, for clang, which keeps r7 as its frame pointer):
 * 1 LDRD, 4 LDR, 8 SMLAD per 16 MACs */
#define CG_STEP_4X2_LDR                         \
    "ldrd %[xa], %[xb], [%[x]], #8\n\t"         \
    "ldr %[w0], [%[w]], #4\n\t"                 \
    "smlad %[a0], %[w0], %[xa], %[a0]\n\t"      \
    "smlad %[b0], %[w0], %[xb], %[b0]\n\t"      \
    "ldr %[w0], [%[w]], #4\n\t"                 \
    "smlad %[a1], %[w0], %[xa], %[a1]\n\t"      \
    "smlad %[b1], %[w0], %[xb], %[b1]\n\t"      \
    "ldr %[w0], [%[w]], #4\n\t"                 \
    "smlad %[a2], %[w0], %[xa], %[a2]\n\t"      \
    "smlad %[b2], %[w0], %[xb], %[b2]\n\t"      \
    "ldr %[w0], [%[w]], #4\n\t"                 \
    "smlad %[a3], %[w0], %[xa], %[a3]\n\t"      \
    "smlad %[b3], %[w0], %[xb], %[b3]\n\t"

/* a block of 4 rows against a pair column of `words` words per pixel (even), from bias; acc receives the sums of
 * rows 0..3 as pairs (pixel a, pixel b); returns the advanced weight pointer. Eight accumulators, four loaded
 * values and the two pointers take all 14 registers, so the asm keeps its two loop ends on the stack (pushed and
 * dropped inside it): 8 steps per loop test (3 instructions), the last words % 8 two at a time. Per 128 MACs:
 * 24 LDRD, 64 SMLAD, 3 loop instructions. clang (r7 is its frame pointer): the one-weight-register step, the loop
 * end reloaded into that register. GCC -O0 (a frame pointer too): C. */
__attribute__((noinline)) static const int32_t *cg_block4x2(const int32_t *w, const int32_t *column,
                                                            int32_t words, const int32_t *bias, int32_t *acc,
                                                            int32_t blocks)
{
    for (; blocks > 0; blocks--, bias += 4, acc += 8) {
        const int32_t *x = column;
        int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        int32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3;
#if defined(__OPTIMIZE__) && !defined(__clang__)
        int32_t xa = (int32_t)(intptr_t)(x + words / 8 * 16); /* end of the 8-step loop */
        int32_t xb = (int32_t)(intptr_t)(x + words * 2);      /* end of the column */
        int32_t w0, w1;
        __asm__("strd %[xa], %[xb], [sp, #-8]!\n\t"
                "cmp %[x], %[xa]\n\t"
                "beq 2f\n"
                "1:\n\t"
                CG_STEP_4X2 CG_STEP_4X2 CG_STEP_4X2 CG_STEP_4X2 CG_STEP_4X2 CG_STEP_4X2 CG_STEP_4X2 CG_STEP_4X2
                "ldr %[xa], [sp]\n\t"
                "cmp %[x], %[xa]\n\t"
                "bne 1b\n"
                "2:\n\t"
                "ldr %[xb], [sp, #4]\n\t"
                "cmp %[x], %[xb]\n\t"
                "beq 4f\n"
                "3:\n\t"
                CG_STEP_4X2 CG_STEP_4X2
                "ldr %[xb], [sp, #4]\n\t"
                "cmp %[x], %[xb]\n\t"
                "bne 3b\n"
                "4:\n\t"
                "add sp, sp, #8"
                : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [b0] "+&r"(b0), [b1] "+&r"(b1),
                  [b2] "+&r"(b2), [b3] "+&r"(b3), [x] "+&r"(x), [w] "+&r"(w), [xa] "+&r"(xa), [xb] "+&r"(xb),
                  [w0] "=&r"(w0), [w1] "=&r"(w1)
                :
                : "cc", "memory");
#elif defined(__OPTIMIZE__)
        int32_t xa = (int32_t)(intptr_t)(x + words / 8 * 16); /* end of the 8-step loop */
        int32_t xb = (int32_t)(intptr_t)(x + words * 2);      /* end of the column */
        int32_t w0;
        __asm__("strd %[xa], %[xb], [sp, #-8]!\n\t"
                "cmp %[x], %[xa]\n\t"
                "beq 2f\n"
                "1:\n\t"
                CG_STEP_4X2_LDR CG_STEP_4X2_LDR CG_STEP_4X2_LDR CG_STEP_4X2_LDR
                CG_STEP_4X2_LDR CG_STEP_4X2_LDR CG_STEP_4X2_LDR CG_STEP_4X2_LDR
                "ldr %[w0], [sp]\n\t"
                "cmp %[x], %[w0]\n\t"
                "bne 1b\n"
                "2:\n\t"
                "ldr %[w0], [sp, #4]\n\t"
                "cmp %[x], %[w0]\n\t"
                "beq 4f\n"
                "3:\n\t"
                CG_STEP_4X2_LDR CG_STEP_4X2_LDR
                "ldr %[w0], [sp, #4]\n\t"
                "cmp %[x], %[w0]\n\t"
                "bne 3b\n"
                "4:\n\t"
                "add sp, sp, #8"
                : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [b0] "+&r"(b0), [b1] "+&r"(b1),
                  [b2] "+&r"(b2), [b3] "+&r"(b3), [x] "+&r"(x), [w] "+&r"(w), [xa] "+&r"(xa), [xb] "+&r"(xb),
                  [w0] "=&r"(w0)
                :
                : "cc", "memory");
#else /* -O0 keeps a frame pointer and spills: the same sums in C */
        for (int32_t n = words; n > 0; n--) {
            int32_t xa, xb, w0, w1;
            cg_load_two_words(&x, &xa, &xb);
            cg_load_two_words(&w, &w0, &w1);
            a0 = __smlad(w0, xa, a0);
            b0 = __smlad(w0, xb, b0);
            a1 = __smlad(w1, xa, a1);
            b1 = __smlad(w1, xb, b1);
            cg_load_two_words(&w, &w0, &w1);
            a2 = __smlad(w0, xa, a2);
            b2 = __smlad(w0, xb, b2);
            a3 = __smlad(w1, xa, a3);
            b3 = __smlad(w1, xb, b3);
        }
#endif
        acc[0] = a0;
        acc[1] = b0;
        acc[2] = a1;
        acc[3] = b1;
        acc[4] = a2;
        acc[5] = b2;
        acc[6] = a3;
        acc[7] = b3;
    }
    return w;
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

/* the same against a pair column: each weight word feeds both pixels */
static void cg_matvec_rest2(const cg_matvec_params *p, const int32_t *w, const int32_t *x, int8_t *out_a,
                            int8_t *out_b)
{
    for (int32_t row = p->rows / 4 * 4; row < p->rows; row++) {
        int32_t acc_a = p->bias[row], acc_b = acc_a;
        const int32_t *xq = x;
        for (int32_t n = p->depth / 2; n > 0; n--) {
            int32_t xa, xb;
            cg_load_two_words(&xq, &xa, &xb);
            const int32_t wj = *w++;
            acc_a = __smlad(wj, xa, acc_a);
            acc_b = __smlad(wj, xb, acc_b);
        }
        out_a[row] = cg_matvec_output(p, row, acc_a);
        out_b[row] = cg_matvec_output(p, row, acc_b);
    }
}

/* ---- fused blocks (the generator's choice where it holds: int16 weights, the offsets form exact, rows a multiple
 * of 4, the whole int8 range; `fused` in cg_matvec_params, ops/matvec.py fused_form). The weights come as one
 * stream, per block of 4 rows: the doubled bias of rows 0..3, each twice (8 words: both pixels' accumulators start
 * from it), the block's doubled weights (the int16 layout above), the 4 rows' records (multiplier, offset, right
 * shift). With weights and bias doubled the sums are the 2 acc that the offsets form takes (no doubling), and the
 * pair's multiply asm requantizes its 8 accumulators itself: no sums stored and read back, no call per 32 rows. */
#define CG_FUSED_BIAS_WORDS 8
#define CG_FUSED_RECORD_WORDS 12

#if defined(__OPTIMIZE__) /* only the asm forms (-O0 runs the C forms) take these two */
/* a pointer as the int32 an asm operand takes */
static inline int32_t cg_address(const void *pointer)
{
    return (int32_t)(intptr_t)pointer;
}

/* the address after `blocks` blocks of `block_words` words from w (computed as an address: GCC's bounds check of
 * a constant-propagated copy would see a table that is not fused) */
static inline int32_t cg_stream_end(const int32_t *w, int32_t blocks, int32_t block_words)
{
    return cg_address(w) + 4 * blocks * block_words;
}
#endif

/* the output of a row (q = 2 acc) from its record (C: the single column, -O0); the sign correction is always exact */
static inline int8_t cg_fused_output(const int32_t *record, int32_t q)
{
    return cg_saturate_int8(cg_requantize_doubled(q, record[0], record[1], record[2]));
}

/* one output in the asm, multiplier and offset in xb, w0, the shift in `sh`: SMMLAR (into t, then the sign
 * correction back into q; or in place without it: fused 2), the shift, SSAT, the store (post-incremented) */
#define CG_FUSED_OUT_FIX(q, out, sh, t)                                                                         \
    "smmlar " t ", " q ", %[xb], %[w0]\n\tsub " q ", " t ", " q ", lsr #31\n\tasr " q ", " q ", " sh "\n\t" \
    "ssat " q ", #8, " q "\n\tstrb " q ", [" out "], #1\n\t"
#define CG_FUSED_OUT_NOFIX(q, out, sh, t)                                                                  \
    "smmlar " q ", " q ", %[xb], %[w0]\n\tasr " q ", " q ", " sh "\n\tssat " q ", #8, " q "\n\tstrb " q \
    ", [" out "], #1\n\t"
/* one row of both pixels: its record (LDRD, LDR) from the stream, then the two outputs (pixel a's pointer in x,
 * pixel b's in xa) */
#define CG_FUSED_ROW(OUT, a, b, sh, t) \
    "ldrd %[xb], %[w0], [%[w]], #8\n\tldr " sh ", [%[w]], #4\n\t" OUT(a, "%[x]", sh, t) OUT(b, "%[xa]", sh, t)

/* rows 0..3 of both pixels with the 8 accumulators in registers, the pixels' output pointers loaded into x, xa
 * from the frame and stored back. 13 registers (clang; or with the sign correction's temporary): the accumulators,
 * the stream pointer, 2 output pointers, multiplier and offset take all; pixel b's rows 2, 3 wait on the stack
 * while rows 0, 1 use their registers for the shift and the temporary. GCC without the sign correction: the shift
 * in w1, nothing waits. */
#define CG_FUSED_ROWS_SPILL(OUT)                                                                                  \
    "strd %[b2], %[b3], [sp, #24]\n\t"                                                                            \
    "ldrd %[x], %[xa], [sp, #12]\n\t"                                                                             \
    CG_FUSED_ROW(OUT, "%[a0]", "%[b0]", "%[b2]", "%[b3]")                                                         \
    CG_FUSED_ROW(OUT, "%[a1]", "%[b1]", "%[b2]", "%[b3]")                                                         \
    "ldrd %[b2], %[b3], [sp, #24]\n\t"                                                                            \
    CG_FUSED_ROW(OUT, "%[a2]", "%[b2]", "%[a0]", "%[b0]")                                                         \
    CG_FUSED_ROW(OUT, "%[a3]", "%[b3]", "%[a0]", "%[b0]")                                                         \
    "strd %[x], %[xa], [sp, #12]\n\t"
#define CG_FUSED_ROWS_DIRECT(OUT)                                                                                 \
    "ldrd %[x], %[xa], [sp, #12]\n\t"                                                                             \
    CG_FUSED_ROW(OUT, "%[a0]", "%[b0]", "%[w1]", "") CG_FUSED_ROW(OUT, "%[a1]", "%[b1]", "%[w1]", "")             \
    CG_FUSED_ROW(OUT, "%[a2]", "%[b2]", "%[w1]", "") CG_FUSED_ROW(OUT, "%[a3]", "%[b3]", "%[w1]", "")             \
    "strd %[x], %[xa], [sp, #12]\n\t"

/* 16 copies of an asm step */
#define CG_TIMES16(S) S S S S S S S S S S S S S S S S

/* an asm's unrolled steps between the labels 1 and 6 that CG_ASM_ENTRY measures, then the loop test of a pass:
 * again from label 1 until x reaches the end of the column (frame [sp, 8]); scratch: a free register */
#define CG_UNROLLED_PASSES(STEPS, scratch) \
    "1:\n\t" STEPS "6:\n\tldr " scratch ", [sp, #8]\n\tcmp %[x], " scratch "\n\tbne 1b\n\t"

/* the entry into an asm's unrolled steps, from its frame's [sp, 4] (the first pass's steps) and stored back there:
 * the end of the steps (label 6) less that many steps' bytes (the steps between labels 1 and 6 over 2^shift steps),
 * with the Thumb bit; a and b are scratch registers */
#define CG_ASM_ENTRY(a, b, shift)                                                                                 \
    "adr.w " a ", 1f\n\tadr.w " b ", 6f\n\tsub " b ", " b ", " a "\n\tlsr " b ", " b ", #" shift "\n\t"          \
    "ldr " a ", [sp, #4]\n\tmul " b ", " b ", " a "\n\tadr.w " a ", 6f\n\tsub " a ", " a ", " b "\n\t"            \
    "orr " a ", " a ", #1\n\tstr " a ", [sp, #4]\n"

/* a block's start in the asm: the doubled bias of rows 0..3 into both pixels' accumulators, then the jump into the
 * unrolled steps (the entry at the frame's [sp, 4]) */
#define CG_FUSED_BIAS_ENTER                                                                                       \
    "ldrd %[a0], %[b0], [%[w]], #8\n\t"                                                                           \
    "ldrd %[a1], %[b1], [%[w]], #8\n\t"                                                                           \
    "ldrd %[a2], %[b2], [%[w]], #8\n\t"                                                                           \
    "ldrd %[a3], %[b3], [%[w]], #8\n\t"                                                                           \
    "ldr %[xa], [sp, #4]\n\t"                                                                                     \
    "bx %[xa]\n"

/* The whole pass of a pair column over all blocks, one asm, with its frame on the stack (pushed and dropped
 * inside): [sp] column, [sp, 4] entry into the unrolled steps, [sp, 8] end of the column, [sp, 12] and [sp, 16]
 * the two pixels' output pointers, [sp, 20] end of the stream, [sp, 24] the waiting accumulators. The multiply
 * loop is 32 steps unrolled; each block jumps into it so that the first pass runs `first` steps (words % 32, or
 * 32), every further pass 32, with one loop test per pass: no remainder loop. The entry is the end of the steps
 * less `first` steps' bytes (the 32 steps' bytes / 32, measured from their labels once per call). Per block then:
 * 4 LDRD of bias, LDR and BX to the entry, the steps, 3 per pass, 12 instructions per row of 2 outputs (16 with
 * the sign correction), 2 or 4 for the output pointers and the waiting accumulators, 3 for the block loop. */
#define CG_FUSED_ASM(STEP, ROWS)                                                                                  \
    "strd %[x], %[xa], [sp, #-32]!\n\t"                                                                           \
    "strd %[xb], %[w0], [sp, #8]\n\t"                                                                             \
    "strd %[a0], %[a1], [sp, #16]\n\t"                                                                            \
    CG_ASM_ENTRY("%[xa]", "%[xb]", "5")                                                                           \
    "5:\n\t"                                                                                                      \
    "ldr %[x], [sp]\n\t"                                                                                          \
    CG_FUSED_BIAS_ENTER                                                                                           \
    CG_UNROLLED_PASSES(CG_TIMES16(STEP) CG_TIMES16(STEP), "%[xa]")                                                \
    ROWS                                                                                                          \
    "ldr %[xa], [sp, #20]\n\t"                                                                                    \
    "cmp %[w], %[xa]\n\t"                                                                                         \
    "bne 5b\n\t"                                                                                                  \
    "add sp, sp, #32"

#if defined(__OPTIMIZE__) && !defined(__clang__)
#define CG_FUSED_OPERANDS                                                                                         \
    [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [b0] "=&r"(b0), [b1] "=&r"(b1),               \
        [b2] "=&r"(b2), [b3] "=&r"(b3), [x] "+&r"(x), [w] "+&r"(w), [xa] "+&r"(xa), [xb] "+&r"(xb),              \
        [w0] "+&r"(w0), [w1] "=&r"(w1)
#define CG_FUSED_STEP CG_STEP_4X2
#define CG_FUSED_ROWS_NOFIX CG_FUSED_ROWS_DIRECT(CG_FUSED_OUT_NOFIX)
#elif defined(__OPTIMIZE__)
#define CG_FUSED_OPERANDS                                                                                         \
    [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [b0] "=&r"(b0), [b1] "=&r"(b1),               \
        [b2] "=&r"(b2), [b3] "=&r"(b3), [x] "+&r"(x), [w] "+&r"(w), [xa] "+&r"(xa), [xb] "+&r"(xb), [w0] "+&r"(w0)
#define CG_FUSED_STEP CG_STEP_4X2_LDR
#define CG_FUSED_ROWS_NOFIX CG_FUSED_ROWS_SPILL(CG_FUSED_OUT_NOFIX)
#endif

/* the pair (pixels a, b) through all rows of a fused layer: `words` words per pixel in the pair column */
__attribute__((noinline)) static void cg_matvec2_fused(const cg_matvec_params *p, const int32_t *column,
                                                       int8_t *out_a, int8_t *out_b)
{
    const int32_t words = p->depth / 2, blocks = p->rows / 4;
    const int32_t *w = (const int32_t *)p->weights;
#if defined(__OPTIMIZE__)
    /* the frame's values: column, steps of the first pass, end of the column, output pointers, end of the stream */
    const int32_t *x = column;
    int32_t xa = (words - 1) % 32 + 1, xb = cg_address(column + words * 2), w0 = cg_address(out_a);
    int32_t a0 = cg_address(out_b), a1 = cg_stream_end(w, blocks, CG_FUSED_BIAS_WORDS + 4 * words +
                                                                   CG_FUSED_RECORD_WORDS);
    int32_t a2, a3, b0, b1, b2, b3;
#if !defined(__clang__)
    int32_t w1;
#endif
    if (p->fused == 2) {
        __asm__ volatile(CG_FUSED_ASM(CG_FUSED_STEP, CG_FUSED_ROWS_NOFIX) : CG_FUSED_OPERANDS : : "cc", "memory");
    } else {
        __asm__ volatile(CG_FUSED_ASM(CG_FUSED_STEP, CG_FUSED_ROWS_SPILL(CG_FUSED_OUT_FIX))
                         : CG_FUSED_OPERANDS
                         :
                         : "cc", "memory");
    }
#else /* -O0 keeps a frame pointer: the same sums and outputs in C */
    for (int32_t block = 0; block < blocks; block++) {
        int32_t acc[8]; /* rows 0..3 of pixel a, then of pixel b */
        for (int32_t i = 0; i < 4; i++) {
            acc[i] = acc[4 + i] = w[2 * i];
        }
        w += CG_FUSED_BIAS_WORDS;
        for (int32_t n = words; n > 0; n--, column += 2) {
            for (int32_t i = 0; i < 4; i++, w++) {
                acc[i] = __smlad(*w, column[0], acc[i]);
                acc[4 + i] = __smlad(*w, column[1], acc[4 + i]);
            }
        }
        column -= 2 * words;
        for (int32_t i = 0; i < 4; i++, w += 3) {
            *out_a++ = cg_fused_output(w, acc[i]);
            *out_b++ = cg_fused_output(w, acc[4 + i]);
        }
    }
#endif
}

/* ---- one column (FULLY_CONNECTED, a lone pixel) through a fused layer with int16 weights, one asm for all the
 * blocks of 4 rows (GCC and clang at -O2: 11 registers): per 4 column values 1 LDRD of the column, 4 LDRD of
 * weights, 8 SMLAD (13 instructions per 16 MACs, 0.81); per block 4 LDRD of bias (the pair's stream: each row's
 * doubled bias twice, the second word unused), LDR and BX into the 16 unrolled steps (the first pass runs quads % 16
 * of them), 3 per further pass, 6 per output (7 with the sign correction: record LDRD, LDR, SMMLAR, ASR, SSAT, STRB)
 * and 3 for the block loop. Its frame on the stack: [sp] column, [sp, 4] entry, [sp, 8] end of the column, [sp, 12]
 * end of the blocks. A FULLY_CONNECTED layer's stream may end with a block of 2 rows and one of 1 (ops/matvec.py
 * fused_block_rows; the same form, words of the block's rows interleaved), each one more asm of 2 or 1 rows: per
 * 4 values 1 + 2 LDRD and 4 SMLAD (0.88 per MAC), or 1 + 1 LDRD and 2 SMLAD (1.0). */
#define CG_STEP_4X1                             \
    "ldrd %[xa], %[xb], [%[x]], #8\n\t"         \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"         \
    "smlad %[a0], %[w0], %[xa], %[a0]\n\t"      \
    "smlad %[a1], %[w1], %[xa], %[a1]\n\t"      \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"         \
    "smlad %[a2], %[w0], %[xa], %[a2]\n\t"      \
    "smlad %[a3], %[w1], %[xa], %[a3]\n\t"      \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"         \
    "smlad %[a0], %[w0], %[xb], %[a0]\n\t"      \
    "smlad %[a1], %[w1], %[xb], %[a1]\n\t"      \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"         \
    "smlad %[a2], %[w0], %[xb], %[a2]\n\t"      \
    "smlad %[a3], %[w1], %[xb], %[a3]\n\t"
#define CG_STEP_2X1                             \
    "ldrd %[xa], %[xb], [%[x]], #8\n\t"         \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"         \
    "smlad %[a0], %[w0], %[xa], %[a0]\n\t"      \
    "smlad %[a1], %[w1], %[xa], %[a1]\n\t"      \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"         \
    "smlad %[a0], %[w0], %[xb], %[a0]\n\t"      \
    "smlad %[a1], %[w1], %[xb], %[a1]\n\t"
#define CG_STEP_1X1                             \
    "ldrd %[xa], %[xb], [%[x]], #8\n\t"         \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"         \
    "smlad %[a0], %[w0], %[xa], %[a0]\n\t"      \
    "smlad %[a0], %[w1], %[xb], %[a0]\n\t"

/* one output of the column: the record (multiplier, offset in xb, w0; shift in w1), SMMLAR (into xa, then the sign
 * correction; or in place), the shift, SSAT, the store */
#define CG_COLUMN_OUT_FIX(q)                                                                                      \
    "ldrd %[xb], %[w0], [%[w]], #8\n\tldr %[w1], [%[w]], #4\n\t"                                                \
    "smmlar %[xa], " q ", %[xb], %[w0]\n\tsub " q ", %[xa], " q ", lsr #31\n\tasr " q ", " q ", %[w1]\n\t"      \
    "ssat " q ", #8, " q "\n\tstrb " q ", [%[out]], #1\n\t"
#define CG_COLUMN_OUT_NOFIX(q)                                                                                    \
    "ldrd %[xb], %[w0], [%[w]], #8\n\tldr %[w1], [%[w]], #4\n\t"                                                \
    "smmlar " q ", " q ", %[xb], %[w0]\n\tasr " q ", " q ", %[w1]\n\tssat " q ", #8, " q "\n\t"                 \
    "strb " q ", [%[out]], #1\n\t"

/* a block's bias (each row's word twice: the second into xa, unused) and outputs, of 4, 2 or 1 rows */
#define CG_COLUMN_BIAS_4 CG_COLUMN_BIAS_2 "ldrd %[a2], %[xa], [%[w]], #8\n\tldrd %[a3], %[xa], [%[w]], #8\n\t"
#define CG_COLUMN_BIAS_2 CG_COLUMN_BIAS_1 "ldrd %[a1], %[xa], [%[w]], #8\n\t"
#define CG_COLUMN_BIAS_1 "ldrd %[a0], %[xa], [%[w]], #8\n\t"
#define CG_COLUMN_OUTS_4(OUT) OUT("%[a0]") OUT("%[a1]") OUT("%[a2]") OUT("%[a3]")
#define CG_COLUMN_OUTS_2(OUT) OUT("%[a0]") OUT("%[a1]")
#define CG_COLUMN_OUTS_1(OUT) OUT("%[a0]")

#define CG_COLUMN_ASM(STEP, BIAS, OUTS)                                                                           \
    "strd %[x], %[xa], [sp, #-16]!\n\t"                                                                           \
    "strd %[xb], %[w0], [sp, #8]\n\t"                                                                             \
    CG_ASM_ENTRY("%[xa]", "%[xb]", "4")                                                                           \
    "5:\n\t"                                                                                                      \
    "ldr %[x], [sp]\n\t"                                                                                          \
    BIAS                                                                                                          \
    "ldr %[xa], [sp, #4]\n\t"                                                                                     \
    "bx %[xa]\n"                                                                                                  \
    CG_UNROLLED_PASSES(CG_TIMES16(STEP), "%[xa]")                                                               \
    OUTS                                                                                                          \
    "ldr %[xa], [sp, #12]\n\t"                                                                                    \
    "cmp %[w], %[xa]\n\t"                                                                                         \
    "bne 5b\n\t"                                                                                                  \
    "add sp, sp, #16"

#define CG_COLUMN_OPERANDS                                                                                        \
    [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x] "+&r"(x), [w] "+&r"(w),                   \
        [xa] "+&r"(xa), [xb] "+&r"(xb), [w0] "+&r"(w0), [w1] "=&r"(w1), [out] "+&r"(out)

/* `blocks` blocks of `rows` (4, 2 or 1) rows from *stream against the column, outputs at *output (both advanced).
 * The asm forms are compiled only where the generator defines them for some layer of the model (CG_COLUMN_FIX,
 * CG_COLUMN_NOFIX: a fused FULLY_CONNECTED, or a fused conv that may have a lone pixel, with or without the sign
 * correction; CG_COLUMN_TAIL: a FULLY_CONNECTED's blocks of 2 and 1 rows): about 0.8 KB of code each. Otherwise,
 * and at -O0, the same sums and outputs in C. */
static inline __attribute__((always_inline)) void cg_column_blocks(const cg_matvec_params *p, const int32_t *column,
                                                                    int32_t rows, int32_t blocks,
                                                                    const int32_t **stream, int8_t **output)
{
    const int32_t quads = p->depth / 4;
    const int32_t *w = *stream;
    int8_t *out = *output;
#if defined(__OPTIMIZE__) && (defined(CG_COLUMN_FIX) || defined(CG_COLUMN_NOFIX))
    const int32_t *x = column; /* the frame's values: column, steps of the first pass, ends */
    int32_t xa = (quads - 1) % 16 + 1, xb = cg_address(column + quads * 2);
    int32_t w0 = cg_stream_end(w, blocks, rows * (5 + 2 * quads)), a0, a1, a2, a3, w1;
#define CG_COLUMN_RUN(R, OUT)                                                                                     \
    __asm__ volatile(CG_COLUMN_ASM(CG_STEP_##R##X1, CG_COLUMN_BIAS_##R, CG_COLUMN_OUTS_##R(OUT))                  \
                     : CG_COLUMN_OPERANDS : : "cc", "memory");                                                    \
    blocks = 0;
#if defined(CG_COLUMN_TAIL)
#define CG_COLUMN_ROWS(OUT)                                                                                       \
    if (rows == 4) {                                                                                              \
        CG_COLUMN_RUN(4, OUT)                                                                                     \
    } else if (rows == 2) {                                                                                       \
        CG_COLUMN_RUN(2, OUT)                                                                                     \
    } else {                                                                                                      \
        CG_COLUMN_RUN(1, OUT)                                                                                     \
    }
#else
#define CG_COLUMN_ROWS(OUT)                                                                                       \
    if (rows == 4) {                                                                                              \
        CG_COLUMN_RUN(4, OUT)                                                                                     \
    }
#endif
#if defined(CG_COLUMN_NOFIX)
    if (p->fused == 2) {
        CG_COLUMN_ROWS(CG_COLUMN_OUT_NOFIX)
    }
#endif
#if defined(CG_COLUMN_FIX)
    if (p->fused == 1) {
        CG_COLUMN_ROWS(CG_COLUMN_OUT_FIX)
    }
#endif
#undef CG_COLUMN_ROWS
#undef CG_COLUMN_RUN
#endif
    for (; blocks > 0; blocks--) { /* no asm form compiled for this block, or -O0 */
        int32_t acc[4];
        for (int32_t i = 0; i < rows; i++) {
            acc[i] = w[2 * i];
        }
        w += 2 * rows;
        const int32_t *xq = column;
        for (int32_t n = quads; n > 0; n--, w += 2 * rows) {
            int32_t x01, x23;
            cg_load_two_words(&xq, &x01, &x23);
            for (int32_t i = 0; i < rows; i++) {
                acc[i] = __smlad(w[rows + i], x23, __smlad(w[i], x01, acc[i]));
            }
        }
        for (int32_t i = 0; i < rows; i++, w += 3) {
            *out++ = cg_fused_output(w, acc[i]);
        }
    }
    *stream = w;
    *output = out;
}

/* one column through a fused layer (int16 weights): the blocks of 4 rows, then a FULLY_CONNECTED's blocks of 2
 * and 1 (ops/matvec.py fused_block_rows) */
static void cg_matvec_fused(const cg_matvec_params *p, const int32_t *column, int8_t *out)
{
    const int32_t *w = (const int32_t *)p->weights;
    if (p->rows >= 4) {
        cg_column_blocks(p, column, 4, p->rows / 4, &w, &out);
    }
    if (p->rows & 2) {
        cg_column_blocks(p, column, 2, 1, &w, &out);
    }
    if (p->rows & 1) {
        cg_column_blocks(p, column, 1, 1, &w, &out);
    }
}

/* ---- int8 weights in flash (the generator's choice per layer, --flash-budget): each row's groups of 4 int8
 * weights as one word, in natural order; SXTB16 of the word gives values 0, 2 (the column's even word) and of the
 * word rotated by 8 values 1, 3 (the odd word), so no reordering is needed. Rows go in blocks of 2, interleaved
 * word by word (group g of row 0, group g of row 1: one LDRD); an odd last row follows alone. */

/* the int16 pairs (values 0, 2) and (1, 3) of 4 int8 weights */
static inline void cg_widen_weights(int32_t word, int32_t *even, int32_t *odd)
{
    *even = __sxtb16(word);
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(*odd) : "r"(word));
}

/* one group of 4 values of rows 2i, 2i + 1 against a pair column (two pixels): 3 LDRD, 4 SXTB16, 8 SMLAD */
CG_MAYBE_UNUSED static inline void cg_group2x2_int8(const int32_t **w, const int32_t **x, int32_t acc[4])
{
    int32_t xa0, xb0, xa1, xb1, raw0, raw1, even, odd;
    cg_load_two_words(x, &xa0, &xb0);
    cg_load_two_words(x, &xa1, &xb1);
    cg_load_two_words(w, &raw0, &raw1);
    cg_widen_weights(raw0, &even, &odd);
    acc[0] = __smlad(odd, xa1, __smlad(even, xa0, acc[0]));
    acc[2] = __smlad(odd, xb1, __smlad(even, xb0, acc[2]));
    cg_widen_weights(raw1, &even, &odd);
    acc[1] = __smlad(odd, xa1, __smlad(even, xa0, acc[1]));
    acc[3] = __smlad(odd, xb1, __smlad(even, xb0, acc[3]));
}

/* one group of the 2x2 int8 block in asm: the pair column's 4 words (values 0, 2 then 1, 3 of pixels a and b), the
 * two rows' weight words, SXTB16 each into (0, 2) and, in place, (1, 3): 3 LDRD, 4 SXTB16, 8 SMLAD */
#define CG_STEP_2X2_INT8                        \
    "ldrd %[xa0], %[xb0], [%[x]], #8\n\t"       \
    "ldrd %[xa1], %[xb1], [%[x]], #8\n\t"       \
    "ldrd %[r0], %[r1], [%[w]], #8\n\t"         \
    "sxtb16 %[e], %[r0]\n\t"                    \
    "smlad %[a0], %[e], %[xa0], %[a0]\n\t"      \
    "smlad %[b0], %[e], %[xb0], %[b0]\n\t"      \
    "sxtb16 %[r0], %[r0], ror #8\n\t"           \
    "smlad %[a0], %[r0], %[xa1], %[a0]\n\t"     \
    "smlad %[b0], %[r0], %[xb1], %[b0]\n\t"     \
    "sxtb16 %[e], %[r1]\n\t"                    \
    "smlad %[a1], %[e], %[xa0], %[a1]\n\t"      \
    "smlad %[b1], %[e], %[xb0], %[b1]\n\t"      \
    "sxtb16 %[r1], %[r1], ror #8\n\t"           \
    "smlad %[a1], %[r1], %[xa1], %[a1]\n\t"     \
    "smlad %[b1], %[r1], %[xb1], %[b1]\n\t"

/* rows 2i, 2i + 1 against a pair column; acc receives (row 0: pixel a, pixel b), (row 1: pixel a, pixel b);
 * returns the advanced weight pointer. The asm (13 registers: GCC and clang alike) keeps its two loop ends on the
 * stack, 4 groups per loop test; per 64 MACs 12 LDRD, 16 SXTB16, 32 SMLAD, 3 loop instructions. -O0: C. */
__attribute__((noinline)) static const int32_t *cg_block2x2_int8(const int32_t *w, const int32_t *column,
                                                                 int32_t groups, const int32_t *bias, int32_t *acc,
                                                                 int32_t blocks)
{
    for (; blocks > 0; blocks--, bias += 2, acc += 4) {
        const int32_t *x = column;
        int32_t a0 = bias[0], a1 = bias[1], b0 = a0, b1 = a1;
#if defined(__OPTIMIZE__)
        int32_t xa0 = (int32_t)(intptr_t)(x + groups / 4 * 16); /* end of the 4-group loop */
        int32_t xb0 = (int32_t)(intptr_t)(x + groups * 4);      /* end of the column */
        int32_t xa1, xb1, r0, r1, e;
        __asm__("strd %[xa0], %[xb0], [sp, #-8]!\n\t"
                "cmp %[x], %[xa0]\n\t"
                "beq 2f\n"
                "1:\n\t"
                CG_STEP_2X2_INT8 CG_STEP_2X2_INT8 CG_STEP_2X2_INT8 CG_STEP_2X2_INT8
                "ldr %[e], [sp]\n\t"
                "cmp %[x], %[e]\n\t"
                "bne 1b\n"
                "2:\n\t"
                "ldr %[e], [sp, #4]\n\t"
                "cmp %[x], %[e]\n\t"
                "beq 4f\n"
                "3:\n\t"
                CG_STEP_2X2_INT8
                "ldr %[e], [sp, #4]\n\t"
                "cmp %[x], %[e]\n\t"
                "bne 3b\n"
                "4:\n\t"
                "add sp, sp, #8"
                : [a0] "+&r"(a0), [a1] "+&r"(a1), [b0] "+&r"(b0), [b1] "+&r"(b1), [x] "+&r"(x), [w] "+&r"(w),
                  [xa0] "+&r"(xa0), [xb0] "+&r"(xb0), [xa1] "=&r"(xa1), [xb1] "=&r"(xb1), [r0] "=&r"(r0),
                  [r1] "=&r"(r1), [e] "=&r"(e)
                :
                : "cc", "memory");
#else
        int32_t sums[4] = {a0, a1, b0, b1}; /* pixel a rows 0, 1, pixel b rows 0, 1 */
        for (int32_t n = groups; n > 0; n--) { /* every block runs all groups */
            cg_group2x2_int8(&w, &x, sums);
        }
        a0 = sums[0];
        a1 = sums[1];
        b0 = sums[2];
        b1 = sums[3];
#endif
        acc[0] = a0;
        acc[1] = b0;
        acc[2] = a1;
        acc[3] = b1;
    }
    return w;
}

/* rows 2i, 2i + 1 against one column: per group of 4 values 2 LDRD, 4 SXTB16, 4 SMLAD */
__attribute__((noinline)) static const int32_t *cg_block2_int8(const int32_t *w, const int32_t *x, int32_t groups,
                                                               const int32_t *bias, int32_t *acc)
{
    int32_t a0 = bias[0], a1 = bias[1];
    for (; groups > 0; groups--) {
        int32_t x0, x1, raw0, raw1, even, odd;
        cg_load_two_words(&x, &x0, &x1);
        cg_load_two_words(&w, &raw0, &raw1);
        cg_widen_weights(raw0, &even, &odd);
        a0 = __smlad(odd, x1, __smlad(even, x0, a0));
        cg_widen_weights(raw1, &even, &odd);
        a1 = __smlad(odd, x1, __smlad(even, x0, a1));
    }
    acc[0] = a0;
    acc[1] = a1;
    return w;
}

/* the odd last row (int8 weights) against a column whose words are `step` words apart (1, or CG_PAIR_STEP) */
static int32_t cg_last_row_int8(const int32_t *w, const int32_t *x, int32_t groups, int32_t step, int32_t acc)
{
    for (; groups > 0; groups--, x += 2 * step) {
        int32_t even, odd;
        cg_widen_weights(*w++, &even, &odd);
        acc = __smlad(odd, x[step], __smlad(even, x[0], acc));
    }
    return acc;
}

/* ---- fused blocks with int8 weights: per block of 2 rows the stream holds the bias of rows 0, 1, each twice (4
 * words), the 2 rows' int8 words (the layout above), their 2 records. The weights are not doubled (int8), so each
 * output takes one LSL more than on the int16 path. */
#define CG_FUSED_INT8_BIAS_WORDS 4
#define CG_FUSED_INT8_RECORD_WORDS 6

/* one output (LSL, SMMLAR into t, the sign correction back into q; or in place without it, the shift, SSAT, the
 * store), multiplier, offset and shift in r0, r1, e */
#define CG_FUSED_INT8_OUT_FIX(q, out)                                                                            \
    "lsl " q ", " q ", #1\n\tsmmlar %[xb1], " q ", %[r0], %[r1]\n\tsub " q ", %[xb1], " q ", lsr #31\n\t"        \
    "asr " q ", " q ", %[e]\n\tssat " q ", #8, " q "\n\tstrb " q ", [" out "], #1\n\t"
#define CG_FUSED_INT8_OUT_NOFIX(q, out)                                                                          \
    "lsl " q ", " q ", #1\n\tsmmlar " q ", " q ", %[r0], %[r1]\n\tasr " q ", " q ", %[e]\n\t"                    \
    "ssat " q ", #8, " q "\n\tstrb " q ", [" out "], #1\n\t"
#define CG_FUSED_INT8_ROW(OUT, a, b)                                                                             \
    "ldrd %[r0], %[r1], [%[w]], #8\n\tldr %[e], [%[w]], #4\n\t" OUT(a, "%[xa0]") OUT(b, "%[xb0]")

/* the pass of a pair column over all blocks of 2 rows, one asm (13 registers, GCC and clang alike), its frame as
 * CG_FUSED_ASM's ([sp] column, [sp, 4] entry, [sp, 8] end of the column, [sp, 12], [sp, 16] output pointers, [sp,
 * 20] end of the stream): 16 groups unrolled, entered so that the first pass runs groups % 16 (or 16) */
#define CG_FUSED_INT8_ASM(OUT)                                                                                    \
    "strd %[x], %[xa0], [sp, #-24]!\n\t"                                                                          \
    "strd %[xb0], %[xa1], [sp, #8]\n\t"                                                                           \
    "strd %[a0], %[a1], [sp, #16]\n\t"                                                                            \
    CG_ASM_ENTRY("%[xa0]", "%[xb0]", "4")                                                                         \
    "5:\n\t"                                                                                                      \
    "ldr %[x], [sp]\n\t"                                                                                          \
    "ldrd %[a0], %[b0], [%[w]], #8\n\t"                                                                           \
    "ldrd %[a1], %[b1], [%[w]], #8\n\t"                                                                           \
    "ldr %[xa0], [sp, #4]\n\t"                                                                                    \
    "bx %[xa0]\n"                                                                                                 \
    CG_UNROLLED_PASSES(CG_TIMES16(CG_STEP_2X2_INT8), "%[xa0]")                                                  \
    "ldrd %[xa0], %[xb0], [sp, #12]\n\t"                                                                          \
    CG_FUSED_INT8_ROW(OUT, "%[a0]", "%[b0]") CG_FUSED_INT8_ROW(OUT, "%[a1]", "%[b1]")                             \
    "strd %[xa0], %[xb0], [sp, #12]\n\t"                                                                          \
    "ldr %[xa0], [sp, #20]\n\t"                                                                                   \
    "cmp %[w], %[xa0]\n\t"                                                                                        \
    "bne 5b\n\t"                                                                                                  \
    "add sp, sp, #24"

#define CG_FUSED_INT8_OPERANDS                                                                                    \
    [a0] "+&r"(a0), [a1] "+&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [x] "+&r"(x), [w] "+&r"(w),                   \
        [xa0] "+&r"(xa0), [xb0] "+&r"(xb0), [xa1] "+&r"(xa1), [xb1] "=&r"(xb1), [r0] "=&r"(r0), [r1] "=&r"(r1),   \
        [e] "=&r"(e)

/* the pair (pixels a, b) through all rows of a fused layer with int8 weights */
__attribute__((noinline)) static void cg_matvec2_fused_int8(const cg_matvec_params *p, const int32_t *column,
                                                            int8_t *out_a, int8_t *out_b)
{
    const int32_t groups = p->depth / 4, blocks = p->rows / 2;
    const int32_t *w = (const int32_t *)p->weights;
#if defined(__OPTIMIZE__)
    const int32_t *x = column; /* the frame's values as in cg_matvec2_fused (groups of the first pass) */
    int32_t xa0 = (groups - 1) % 16 + 1, xb0 = cg_address(column + groups * 4), xa1 = cg_address(out_a);
    int32_t a0 = cg_address(out_b);
    int32_t a1 = cg_stream_end(w, blocks, CG_FUSED_INT8_BIAS_WORDS + 2 * groups + CG_FUSED_INT8_RECORD_WORDS);
    int32_t b0, b1, xb1, r0, r1, e;
    if (p->fused == 2) {
        __asm__ volatile(CG_FUSED_INT8_ASM(CG_FUSED_INT8_OUT_NOFIX) : CG_FUSED_INT8_OPERANDS : : "cc", "memory");
    } else {
        __asm__ volatile(CG_FUSED_INT8_ASM(CG_FUSED_INT8_OUT_FIX) : CG_FUSED_INT8_OPERANDS : : "cc", "memory");
    }
#else /* -O0: the same sums and outputs in C */
    for (int32_t block = 0; block < blocks; block++) {
        int32_t sums[4] = {w[0], w[2], w[1], w[3]}; /* pixel a rows 0, 1, pixel b rows 0, 1 */
        const int32_t *x = column;
        w += CG_FUSED_INT8_BIAS_WORDS;
        for (int32_t n = groups; n > 0; n--) {
            cg_group2x2_int8(&w, &x, sums);
        }
        for (int32_t i = 0; i < 2; i++, w += 3) {
            *out_a++ = cg_fused_output(w, 2 * sums[i]);
            *out_b++ = cg_fused_output(w, 2 * sums[2 + i]);
        }
    }
#endif
}

/* ---- three pixels (GCC -O2 only: 14 registers, r7 free; clang keeps r7 as frame pointer and takes pairs): rows
 * 0, 1 of a fused int8 block against a triple column, the three pixels' words per group in the order a0 b0 c0 a1
 * b1 c1 (even words: values 0, 2; odd: 1, 3; cg_widen with step 3). Each weight word is widened once for three
 * pixels: per group 1 LDRD of weights, 4 SXTB16, 3 LDRD of the column, 12 SMLAD (20 instructions per 24 MACs,
 * 0.83 per MAC; the pair's 2x2 takes 15 per 16, 0.94). The stream is the pair's (cg_matvec2_fused_int8): pixel c's
 * accumulators start from pixel a's bias word (MOV). */
#if defined(__OPTIMIZE__) && !defined(__clang__) && defined(CG_TRIPLE_PIXELS) /* a model with `triple` convs */
#define CG_MATVEC3 1
#define CG_STEP_2X3_INT8                                                                                          \
    "ldrd %[e0], %[e1], [%[w]], #8\n\t"                                                                           \
    "sxtb16 %[o0], %[e0], ror #8\n\tsxtb16 %[e0], %[e0]\n\t"                                                      \
    "sxtb16 %[o1], %[e1], ror #8\n\tsxtb16 %[e1], %[e1]\n\t"                                                      \
    "ldrd %[c0], %[c1], [%[x]], #8\n\t"                                                                           \
    "smlad %[a0], %[e0], %[c0], %[a0]\n\tsmlad %[a1], %[e1], %[c0], %[a1]\n\t"                                    \
    "smlad %[b0], %[e0], %[c1], %[b0]\n\tsmlad %[b1], %[e1], %[c1], %[b1]\n\t"                                    \
    "ldrd %[c0], %[c1], [%[x]], #8\n\t"                                                                           \
    "smlad %[d0], %[e0], %[c0], %[d0]\n\tsmlad %[d1], %[e1], %[c0], %[d1]\n\t"                                    \
    "smlad %[a0], %[o0], %[c1], %[a0]\n\tsmlad %[a1], %[o1], %[c1], %[a1]\n\t"                                    \
    "ldrd %[c0], %[c1], [%[x]], #8\n\t"                                                                           \
    "smlad %[b0], %[o0], %[c0], %[b0]\n\tsmlad %[b1], %[o1], %[c0], %[b1]\n\t"                                    \
    "smlad %[d0], %[o0], %[c1], %[d0]\n\tsmlad %[d1], %[o1], %[c1], %[d1]\n\t"

/* one output: multiplier, offset, shift in o0, o1, c0 (c1 the sign correction's temporary) */
#define CG_TRIPLE_OUT_FIX(q, out)                                                                                 \
    "lsl " q ", " q ", #1\n\tsmmlar %[c1], " q ", %[o0], %[o1]\n\tsub " q ", %[c1], " q ", lsr #31\n\t"          \
    "asr " q ", " q ", %[c0]\n\tssat " q ", #8, " q "\n\tstrb " q ", [" out "], #1\n\t"
#define CG_TRIPLE_OUT_NOFIX(q, out)                                                                               \
    "lsl " q ", " q ", #1\n\tsmmlar " q ", " q ", %[o0], %[o1]\n\tasr " q ", " q ", %[c0]\n\t"                   \
    "ssat " q ", #8, " q "\n\tstrb " q ", [" out "], #1\n\t"
#define CG_TRIPLE_ROW(OUT, a, b, d)                                                                               \
    "ldrd %[o0], %[o1], [%[w]], #8\n\tldr %[c0], [%[w]], #4\n\t" OUT(a, "%[x]") OUT(b, "%[e0]") OUT(d, "%[e1]")

/* the pass of a triple column over all blocks of 2 rows, one asm, its frame on the stack: [sp] column, [sp, 4]
 * entry, [sp, 8] end of the column, [sp, 12], [sp, 16], [sp, 20] output pointers, [sp, 24] end of the stream;
 * 16 groups unrolled, entered so that the first pass runs groups % 16 (or 16), as CG_FUSED_INT8_ASM */
#define CG_TRIPLE_ASM(OUT)                                                                                        \
    "strd %[x], %[e0], [sp, #-32]!\n\t"                                                                           \
    "strd %[e1], %[o0], [sp, #8]\n\t"                                                                             \
    "strd %[o1], %[c0], [sp, #16]\n\t"                                                                            \
    "str %[c1], [sp, #24]\n\t"                                                                                    \
    CG_ASM_ENTRY("%[e0]", "%[e1]", "4")                                                                           \
    "5:\n\t"                                                                                                      \
    "ldr %[x], [sp]\n\t"                                                                                          \
    "ldrd %[a0], %[b0], [%[w]], #8\n\t"                                                                           \
    "ldrd %[a1], %[b1], [%[w]], #8\n\t"                                                                           \
    "mov %[d0], %[a0]\n\t"                                                                                        \
    "mov %[d1], %[a1]\n\t"                                                                                        \
    "ldr %[e0], [sp, #4]\n\t"                                                                                     \
    "bx %[e0]\n"                                                                                                  \
    CG_UNROLLED_PASSES(CG_TIMES16(CG_STEP_2X3_INT8), "%[e0]")                                                   \
    "ldrd %[x], %[e0], [sp, #12]\n\t"                                                                             \
    "ldr %[e1], [sp, #20]\n\t"                                                                                    \
    CG_TRIPLE_ROW(OUT, "%[a0]", "%[b0]", "%[d0]") CG_TRIPLE_ROW(OUT, "%[a1]", "%[b1]", "%[d1]")                   \
    "strd %[x], %[e0], [sp, #12]\n\t"                                                                             \
    "str %[e1], [sp, #20]\n\t"                                                                                    \
    "ldr %[e0], [sp, #24]\n\t"                                                                                    \
    "cmp %[w], %[e0]\n\t"                                                                                         \
    "bne 5b\n\t"                                                                                                  \
    "add sp, sp, #32"

#define CG_TRIPLE_OPERANDS                                                                                        \
    [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [d0] "=&r"(d0), [d1] "=&r"(d1),               \
        [e0] "+&r"(e0), [e1] "+&r"(e1), [o0] "+&r"(o0), [o1] "+&r"(o1), [c0] "+&r"(c0), [c1] "+&r"(c1),          \
        [x] "+&r"(x), [w] "+&r"(w)

/* the triple column of three consecutive pixels of n values each (n a multiple of 4) from x: per 4 values of
 * the three, 3 loads, 6 SXTAB16, the 6 words a0 b0 c0 a1 b1 c1 stored in order */
static void cg_widen_triple(const int8_t *x, int32_t n, int32_t zp, int16_t *column)
{
    const int32_t minus_zp = cg_minus_zp_pair(zp);
    for (int32_t groups = n / 4; groups > 0; groups--, x += 4, column += 12) {
        int32_t words[6];
        cg_widen_group(x, minus_zp, &words[0], &words[3]);
        cg_widen_group(x + n, minus_zp, &words[1], &words[4]);
        cg_widen_group(x + 2 * n, minus_zp, &words[2], &words[5]);
        memcpy(column, words, sizeof(words));
    }
}

/* three output pixels of a fused int8 layer from their triple column (3 * depth int16 values) */
CG_MAYBE_UNUSED __attribute__((noinline)) static void cg_matvec3(const cg_matvec_params *p, const int16_t *triple, int8_t *out_a,
                                                 int8_t *out_b, int8_t *out_c)
{
    const int32_t groups = p->depth / 4, blocks = p->rows / 2;
    const int32_t *w = (const int32_t *)p->weights;
    const int32_t *x = (const int32_t *)(const void *)triple; /* the frame's values, as in cg_matvec2_fused */
    int32_t e0 = (groups - 1) % 16 + 1, e1 = cg_address(x + groups * 6), o0 = cg_address(out_a);
    int32_t o1 = cg_address(out_b), c0 = cg_address(out_c);
    int32_t c1 = cg_stream_end(w, blocks, CG_FUSED_INT8_BIAS_WORDS + 2 * groups + CG_FUSED_INT8_RECORD_WORDS);
    int32_t a0, a1, b0, b1, d0, d1;
    if (p->fused == 2) {
        __asm__ volatile(CG_TRIPLE_ASM(CG_TRIPLE_OUT_NOFIX) : CG_TRIPLE_OPERANDS : : "cc", "memory");
    } else {
        __asm__ volatile(CG_TRIPLE_ASM(CG_TRIPLE_OUT_FIX) : CG_TRIPLE_OPERANDS : : "cc", "memory");
    }
}
#endif

/* ---- int8 weights widened in RAM once per chunk of pixel pairs (GCC -O2 only, 14 registers; the generator's
 * `chunk` in cg_conv_params: a fused layer without the sign correction, depth <= 64, pairs a pass as cg_matvec2):
 * the conv fills the chunk's pair columns (at most `chunk` pixels) and doubles them (SADD16; |2 (x - zp)| <= 510),
 * then per block of 4 rows cg_chunk_block widens the rows' int8 words into one block of cg_matvec2_fused's int16
 * stream (the bias doubled, weights as they are: the doubled column makes the sums the 2 acc the offsets form
 * takes) and one asm runs that block over every pair of the chunk with the int16 4x2 step (0.69 instructions per
 * MAC instead of the int8 2x3's 0.83). The widening (per 4 values of 4 rows 2 LDRD, 8 SXTB16, 4 stores) is paid
 * once per block and chunk instead of an SXTB16 per 6 MACs. */
#if defined(__OPTIMIZE__) && !defined(__clang__) && defined(CG_CHUNK_PIXELS) /* a model with `chunk` convs */
#define CG_MATVEC_CHUNK 1

/* rows 0, 1 (block a of the int8 fused stream) and 2, 3 (block b) as one int16 fused block: the bias of each row
 * doubled, twice; per group the 8 words values 0, 2 of rows 0..3, then values 1, 3 (dsp_layout's order): 2 LDRD,
 * 8 SXTB16, 4 STRD; the 4 records */
static void cg_chunk_block(const int32_t *a, const int32_t *b, int32_t groups, int32_t *block)
{
    const int32_t *wa = a, *wb = b;
    int32_t *to = block;
    int32_t a0, a1, b0, b1, t0, t1;
    /* each block's 4 bias words (rows 0, 0, 1, 1) doubled, LDRD and STRD */
    __asm__ volatile("ldrd %[a0], %[a1], [%[wa]], #8\n\tldrd %[b0], %[b1], [%[wa]], #8\n\t"
            "lsl %[a0], %[a0], #1\n\tlsl %[a1], %[a1], #1\n\tlsl %[b0], %[b0], #1\n\tlsl %[b1], %[b1], #1\n\t"
            "strd %[a0], %[a1], [%[to]], #8\n\tstrd %[b0], %[b1], [%[to]], #8\n\t"
            "ldrd %[a0], %[a1], [%[wb]], #8\n\tldrd %[b0], %[b1], [%[wb]], #8\n\t"
            "lsl %[a0], %[a0], #1\n\tlsl %[a1], %[a1], #1\n\tlsl %[b0], %[b0], #1\n\tlsl %[b1], %[b1], #1\n\t"
            "strd %[a0], %[a1], [%[to]], #8\n\tstrd %[b0], %[b1], [%[to]], #8"
            : [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [wa] "+&r"(wa), [wb] "+&r"(wb),
              [to] "+&r"(to)
            :
            : "memory");
    for (int32_t n = groups; n > 0; n--) {
        __asm__ volatile("ldrd %[a0], %[a1], [%[wa]], #8\n\t"
                "ldrd %[b0], %[b1], [%[wb]], #8\n\t"
                "sxtb16 %[t0], %[a0]\n\tsxtb16 %[t1], %[a1]\n\tstrd %[t0], %[t1], [%[to]], #32\n\t"
                "sxtb16 %[t0], %[b0]\n\tsxtb16 %[t1], %[b1]\n\tstrd %[t0], %[t1], [%[to], #-24]\n\t"
                "sxtb16 %[t0], %[a0], ror #8\n\tsxtb16 %[t1], %[a1], ror #8\n\tstrd %[t0], %[t1], [%[to], #-16]\n\t"
                "sxtb16 %[t0], %[b0], ror #8\n\tsxtb16 %[t1], %[b1], ror #8\n\tstrd %[t0], %[t1], [%[to], #-8]"
                : [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [t0] "=&r"(t0), [t1] "=&r"(t1),
                  [wa] "+&r"(wa), [wb] "+&r"(wb), [to] "+&r"(to)
                :
                : "memory");
    }
    /* the records of rows 0, 1 then 2, 3 (6 words each) */
    __asm__ volatile("ldrd %[a0], %[a1], [%[wa]]\n\tldrd %[b0], %[b1], [%[wa], #8]\n\tldrd %[t0], %[t1], [%[wa], #16]\n\t"
            "strd %[a0], %[a1], [%[to]]\n\tstrd %[b0], %[b1], [%[to], #8]\n\tstrd %[t0], %[t1], [%[to], #16]\n\t"
            "ldrd %[a0], %[a1], [%[wb]]\n\tldrd %[b0], %[b1], [%[wb], #8]\n\tldrd %[t0], %[t1], [%[wb], #16]\n\t"
            "strd %[a0], %[a1], [%[to], #24]\n\tstrd %[b0], %[b1], [%[to], #32]\n\tstrd %[t0], %[t1], [%[to], #40]"
            : [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [t0] "=&r"(t0), [t1] "=&r"(t1)
            : [wa] "r"(wa), [wb] "r"(wb), [to] "r"(to)
            : "memory");
}

/* the pair column of the pixels at xa and xb (n values each, a multiple of 4) doubled, 2 (x - zp) in each lane
 * (cg_widen_pair's layout): per 4 values of both 2 loads, 4 SXTAB16, 4 SADD16, 2 STRD */
__attribute__((noinline)) static void cg_widen_pair_doubled(const int8_t *xa, const int8_t *xb, int32_t n,
                                                            int32_t zp, int16_t *pair)
{
    const int32_t minus_zp = cg_minus_zp_pair(zp);
    int32_t *to = (int32_t *)(void *)pair; /* written only by the asm */
    for (const int8_t *const end = xa + n; xa < end; xa += 4, xb += 4) {
        int32_t a0, a1, b0, b1;
        cg_widen_group(xa, minus_zp, &a0, &a1);
        cg_widen_group(xb, minus_zp, &b0, &b1);
        __asm__ volatile("sadd16 %[a0], %[a0], %[a0]\n\tsadd16 %[b0], %[b0], %[b0]\n\t"
                "sadd16 %[a1], %[a1], %[a1]\n\tsadd16 %[b1], %[b1], %[b1]\n\t"
                "strd %[a0], %[b0], [%[to]], #16\n\tstrd %[a1], %[b1], [%[to], #-8]"
                : [a0] "+&r"(a0), [a1] "+&r"(a1), [b0] "+&r"(b0), [b1] "+&r"(b1), [to] "+&r"(to)
                :
                : "memory");
    }
}

/* a column's n words (int16 pairs; n a multiple of 4) doubled in place: per 4 words 2 LDRD, 4 SADD16, 2 STRD */
static void cg_double_words(int16_t *column, int32_t n)
{
    int32_t *word = (int32_t *)(void *)column; /* read and written only by the asm */
    for (const int32_t *const end = word + n; word < end;) {
        int32_t x0, x1, x2, x3;
        __asm__ volatile("ldrd %[x0], %[x1], [%[w]]\n\tldrd %[x2], %[x3], [%[w], #8]\n\t"
                "sadd16 %[x0], %[x0], %[x0]\n\tsadd16 %[x1], %[x1], %[x1]\n\t"
                "sadd16 %[x2], %[x2], %[x2]\n\tsadd16 %[x3], %[x3], %[x3]\n\t"
                "strd %[x0], %[x1], [%[w]], #16\n\tstrd %[x2], %[x3], [%[w], #-8]"
                : [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [w] "+&r"(word)
                :
                : "memory");
    }
}

/* one row of both pixels, no sign correction: its record (multiplier, offset in xb, w0; shift in w1), the outputs
 * of pixel b at x + rows (xa) and of pixel a at x, post-incremented */
#define CG_CHUNK_ROW(a, b)                                                                                        \
    "ldrd %[xb], %[w0], [%[w]], #8\n\tldr %[w1], [%[w]], #4\n\t"                                                \
    "smmlar " a ", " a ", %[xb], %[w0]\n\tsmmlar " b ", " b ", %[xb], %[w0]\n\t"                                \
    "asr " a ", " a ", %[w1]\n\tasr " b ", " b ", %[w1]\n\tssat " a ", #8, " a "\n\tssat " b ", #8, " b "\n\t"   \
    "strb " b ", [%[x], %[xa]]\n\tstrb " a ", [%[x]], #1\n\t"

/* the block over every pair of the chunk, one asm, its frame on the stack: [sp] the block, [sp, 4] entry into the
 * 32 unrolled steps (the one pass runs words of them: depth <= 64), [sp, 8] end of the chunk's columns, [sp, 12]
 * pixel a's output of the pair, [sp, 16] rows (pixel b's output is rows further on), [sp, 20] the next pair's
 * column. Per pair: 4 LDRD of bias, LDR and BX to the entry, the steps, 10 instructions per row of 2 outputs, 7 for
 * the pointers and 4 for the loop. */
#define CG_CHUNK_ASM                                                                                              \
    "strd %[w], %[xa], [sp, #-24]!\n\t"                                                                           \
    "strd %[xb], %[w0], [sp, #8]\n\t"                                                                             \
    "str %[w1], [sp, #16]\n\t"                                                                                    \
    CG_ASM_ENTRY("%[xa]", "%[xb]", "5")                                                                           \
    "5:\n\t"                                                                                                      \
    "ldr %[w], [sp]\n\t"                                                                                          \
    CG_FUSED_BIAS_ENTER                                                                                           \
    "1:\n\t" CG_TIMES16(CG_STEP_4X2) CG_TIMES16(CG_STEP_4X2) "6:\n\t"                                             \
    "str %[x], [sp, #20]\n\t"                                                                                     \
    "ldrd %[x], %[xa], [sp, #12]\n\t"                                                                             \
    CG_CHUNK_ROW("%[a0]", "%[b0]") CG_CHUNK_ROW("%[a1]", "%[b1]")                                                 \
    CG_CHUNK_ROW("%[a2]", "%[b2]") CG_CHUNK_ROW("%[a3]", "%[b3]")                                                 \
    "add %[x], %[x], %[xa], lsl #1\n\t"                                                                           \
    "sub %[x], %[x], #4\n\t"                                                                                      \
    "str %[x], [sp, #12]\n\t"                                                                                     \
    "ldr %[x], [sp, #20]\n\t"                                                                                     \
    "ldr %[xa], [sp, #8]\n\t"                                                                                     \
    "cmp %[x], %[xa]\n\t"                                                                                         \
    "bne 5b\n\t"                                                                                                  \
    "add sp, sp, #24"

/* `pairs` pair columns of a chunk (doubled, one after the other) through all rows of a fused int8 layer; out:
 * the first pixel's outputs (pixel 2i's are 2i rows further on); block: scratch for one int16 block */
__attribute__((noinline)) static void cg_matvec_chunk(const cg_matvec_params *p, const int16_t *columns,
                                                      int32_t pairs, int8_t *out, int32_t *block)
{
    const int32_t groups = p->depth / 4, words = p->depth / 2, rows = p->rows;
    const int32_t stride = CG_FUSED_INT8_BIAS_WORDS + 2 * groups + CG_FUSED_INT8_RECORD_WORDS; /* a 2-row block */
    const int32_t *stream = (const int32_t *)p->weights;
    for (int32_t row = 0; row < rows; row += 4, stream += 2 * stride, out += 4) {
        cg_chunk_block(stream, stream + stride, groups, block);
        const int32_t *x = (const int32_t *)(const void *)columns, *w = block;
        int32_t xa = words, xb = cg_address(x + pairs * 2 * words), w0 = cg_address(out), w1 = rows;
        int32_t a0, a1, a2, a3, b0, b1, b2, b3;
        __asm__ volatile(CG_CHUNK_ASM
                         : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [b0] "=&r"(b0),
                           [b1] "=&r"(b1), [b2] "=&r"(b2), [b3] "=&r"(b3), [x] "+&r"(x), [w] "+&r"(w),
                           [xa] "+&r"(xa), [xb] "+&r"(xb), [w0] "+&r"(w0), [w1] "+&r"(w1)
                         :
                         : "cc", "memory");
    }
}
#endif

/* ---- one column (FULLY_CONNECTED, a lone pixel) through a fused layer with int8 weights, one asm for all the
 * blocks of 2 rows (GCC and clang at -O2: 10 registers): per group of 4 values 1 LDRD of the column (values 0, 2
 * and 1, 3), 1 LDRD of the 2 rows' words, 4 SXTB16, 4 SMLAD (10 instructions per 8 MACs); per block 2 LDRD of bias,
 * LDR and BX into the 16 unrolled groups, 3 per further pass, 7 per output (8 with the sign correction: record LDRD,
 * LDR, LSL, SMMLAR, ASR, SSAT, STRB), 3 for the block loop. Frame as CG_COLUMN_ASM's. A FULLY_CONNECTED layer's
 * stream may end with one row alone (an odd row count): its bias twice, its words, its record, run in C. */
#define CG_STEP_2X1_INT8                        \
    "ldrd %[x0], %[x1], [%[x]], #8\n\t"         \
    "ldrd %[r0], %[r1], [%[w]], #8\n\t"         \
    "sxtb16 %[e], %[r0]\n\t"                    \
    "smlad %[a0], %[e], %[x0], %[a0]\n\t"       \
    "sxtb16 %[r0], %[r0], ror #8\n\t"           \
    "smlad %[a0], %[r0], %[x1], %[a0]\n\t"      \
    "sxtb16 %[e], %[r1]\n\t"                    \
    "smlad %[a1], %[e], %[x0], %[a1]\n\t"       \
    "sxtb16 %[r1], %[r1], ror #8\n\t"           \
    "smlad %[a1], %[r1], %[x1], %[a1]\n\t"

/* one output: the record (multiplier, offset in r0, r1; shift in e), LSL, SMMLAR (into x0, then the sign
 * correction; or in place), the shift, SSAT, the store */
#define CG_COLUMN_INT8_OUT_FIX(q)                                                                                 \
    "ldrd %[r0], %[r1], [%[w]], #8\n\tldr %[e], [%[w]], #4\n\tlsl " q ", " q ", #1\n\t"                         \
    "smmlar %[x0], " q ", %[r0], %[r1]\n\tsub " q ", %[x0], " q ", lsr #31\n\tasr " q ", " q ", %[e]\n\t"       \
    "ssat " q ", #8, " q "\n\tstrb " q ", [%[out]], #1\n\t"
#define CG_COLUMN_INT8_OUT_NOFIX(q)                                                                               \
    "ldrd %[r0], %[r1], [%[w]], #8\n\tldr %[e], [%[w]], #4\n\tlsl " q ", " q ", #1\n\t"                         \
    "smmlar " q ", " q ", %[r0], %[r1]\n\tasr " q ", " q ", %[e]\n\tssat " q ", #8, " q "\n\t"                  \
    "strb " q ", [%[out]], #1\n\t"

#define CG_COLUMN_INT8_ASM(OUT)                                                                                   \
    "strd %[x], %[x0], [sp, #-16]!\n\t"                                                                           \
    "strd %[x1], %[r0], [sp, #8]\n\t"                                                                             \
    CG_ASM_ENTRY("%[x0]", "%[x1]", "4")                                                                           \
    "5:\n\t"                                                                                                      \
    "ldr %[x], [sp]\n\t"                                                                                          \
    "ldrd %[a0], %[x0], [%[w]], #8\n\t"                                                                           \
    "ldrd %[a1], %[x0], [%[w]], #8\n\t"                                                                           \
    "ldr %[x0], [sp, #4]\n\t"                                                                                     \
    "bx %[x0]\n"                                                                                                  \
    CG_UNROLLED_PASSES(CG_TIMES16(CG_STEP_2X1_INT8), "%[x0]")                                                   \
    OUT("%[a0]") OUT("%[a1]")                                                                                     \
    "ldr %[x0], [sp, #12]\n\t"                                                                                    \
    "cmp %[w], %[x0]\n\t"                                                                                         \
    "bne 5b\n\t"                                                                                                  \
    "add sp, sp, #16"

#define CG_COLUMN_INT8_OPERANDS                                                                                   \
    [a0] "=&r"(a0), [a1] "=&r"(a1), [x] "+&r"(x), [w] "+&r"(w), [x0] "+&r"(x0), [x1] "+&r"(x1),                   \
        [r0] "+&r"(r0), [r1] "=&r"(r1), [e] "=&r"(e), [out] "+&r"(out)

/* one column through a fused layer with int8 weights: the blocks of 2 rows, then a FULLY_CONNECTED's odd row; the
 * asm forms compiled as cg_column_blocks' (CG_COLUMN_INT8_FIX, CG_COLUMN_INT8_NOFIX), else C */
static void cg_matvec_fused_int8(const cg_matvec_params *p, const int32_t *column, int8_t *out)
{
    const int32_t groups = p->depth / 4;
    int32_t blocks = p->rows / 2;
    const int32_t *w = (const int32_t *)p->weights;
#if defined(__OPTIMIZE__) && (defined(CG_COLUMN_INT8_FIX) || defined(CG_COLUMN_INT8_NOFIX))
    const int32_t *x = column; /* the frame's values: column, groups of the first pass, ends */
    int32_t x0 = (groups - 1) % 16 + 1, x1 = cg_address(column + groups * 2);
    int32_t r0 = cg_stream_end(w, blocks, CG_FUSED_INT8_BIAS_WORDS + 2 * groups + CG_FUSED_INT8_RECORD_WORDS);
    int32_t a0, a1, r1, e;
#if defined(CG_COLUMN_INT8_NOFIX)
    if (p->fused == 2 && blocks > 0) {
        __asm__ volatile(CG_COLUMN_INT8_ASM(CG_COLUMN_INT8_OUT_NOFIX) : CG_COLUMN_INT8_OPERANDS : : "cc", "memory");
        blocks = 0;
    }
#endif
#if defined(CG_COLUMN_INT8_FIX)
    if (p->fused == 1 && blocks > 0) {
        __asm__ volatile(CG_COLUMN_INT8_ASM(CG_COLUMN_INT8_OUT_FIX) : CG_COLUMN_INT8_OPERANDS : : "cc", "memory");
        blocks = 0;
    }
#endif
#endif
    for (; blocks > 0; blocks--, out += 2) { /* no asm form compiled, or -O0 */
        const int32_t bias[2] = {w[0], w[2]};
        int32_t acc[2];
        w = cg_block2_int8(w + CG_FUSED_INT8_BIAS_WORDS, column, groups, bias, acc);
        for (int32_t i = 0; i < 2; i++, w += 3) {
            out[i] = cg_fused_output(w, 2 * acc[i]);
        }
    }
    if (p->rows & 1) { /* a FULLY_CONNECTED's odd last row */
        *out = cg_fused_output(w + 2 + groups, 2 * cg_last_row_int8(w + 2, column, groups, 1, w[0]));
    }
}

/* cg_matvec2 / cg_matvec with int8 weights: pair (two pixels, out_b set) or one column (out_b NULL) */
static void cg_matvec_int8(const cg_matvec_params *p, const int16_t *column, int8_t *out_a, int8_t *out_b)
{
    const int32_t *w = (const int32_t *)p->weights;
    const int32_t *x = (const int32_t *)(const void *)column;
    const int32_t groups = p->depth / 4, paired_rows = p->rows / 2 * 2;
    int32_t acc[2 * CG_ROW_CHUNK];
    for (int32_t row0 = 0; row0 < paired_rows; row0 += CG_ROW_CHUNK) {
        const int32_t n = paired_rows - row0 < CG_ROW_CHUNK ? paired_rows - row0 : CG_ROW_CHUNK;
        if (out_b != NULL) {
            w = cg_block2x2_int8(w, x, groups, p->bias + row0, acc, n / 2);
            cg_matvec_outputs2(p, row0, n, acc, out_a, out_b);
        } else {
            for (int32_t i = 0; i < n; i += 2) {
                w = cg_block2_int8(w, x, groups, p->bias + row0 + i, acc + i);
            }
            cg_matvec_outputs(p, row0, n, acc, out_a);
        }
    }
    if (p->rows & 1) {
        const int32_t row = p->rows - 1, step = out_b != NULL ? CG_PAIR_STEP : 1;
        out_a[row] = cg_matvec_output(p, row, cg_last_row_int8(w, x, groups, step, p->bias[row]));
        if (out_b != NULL) {
            out_b[row] = cg_matvec_output(p, row, cg_last_row_int8(w, x + 1, groups, step, p->bias[row]));
        }
    }
}

/* two output pixels of a convolution from their pair column: every weight is loaded once for both */
CG_MAYBE_UNUSED static void cg_matvec2(const cg_matvec_params *p, const int16_t *pair, int8_t *out_a, int8_t *out_b)
{
    const int32_t *x = (const int32_t *)(const void *)pair;
    if (p->fused) {
        if (p->int8_weights) {
            cg_matvec2_fused_int8(p, x, out_a, out_b);
        } else {
            cg_matvec2_fused(p, x, out_a, out_b);
        }
        return;
    }
    if (p->int8_weights) {
        cg_matvec_int8(p, pair, out_a, out_b);
        return;
    }
    const int32_t *w = (const int32_t *)p->weights;
    const int32_t words = p->depth / 2;
    const int32_t blocked_rows = p->rows / 4 * 4;
    int32_t acc[2 * CG_ROW_CHUNK]; /* per row (pixel a, pixel b) */
    for (int32_t row0 = 0; row0 < blocked_rows; row0 += CG_ROW_CHUNK) {
        const int32_t n = blocked_rows - row0 < CG_ROW_CHUNK ? blocked_rows - row0 : CG_ROW_CHUNK;
        w = cg_block4x2(w, x, words, p->bias + row0, acc, n / 4);
        cg_matvec_outputs2(p, row0, n, acc, out_a, out_b);
    }
    cg_matvec_rest2(p, w, x, out_a, out_b);
}

static void cg_matvec(const cg_matvec_params *p, const int16_t *column, int8_t *out)
{
    const int32_t *x = (const int32_t *)(const void *)column;
    if (p->fused) {
        if (p->int8_weights) {
            cg_matvec_fused_int8(p, x, out);
        } else {
            cg_matvec_fused(p, x, out);
        }
        return;
    }
    if (p->int8_weights) {
        cg_matvec_int8(p, column, out, NULL);
        return;
    }
    const int32_t *w = (const int32_t *)p->weights;
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
