/* cortex_m/depthwise_3x3.c: the asm passes of the DEPTHWISE_CONV_2D fast path for a 3x3 filter with the full int8
 * output range (depthwise_conv_2d.c: the ring of word columns, the weight sets and records they read, and the C
 * form of the same sums). Each pass takes at most 13 registers, what clang leaves besides its frame pointer. */

/* the start of a stride-1 filter row: X_k, X_k+1 into t0, t1, w0 w1 into t2 */
#define CG_DW_ROW_LOADS(S, ROR)                       \
    "ldr %[t0], [%[" S "]]\n\t"                       \
    "ldr %[t1], [%[" S "], %[in_c], lsl #1]\n\t"      \
    "sxtb16 %[t0], %[t0]" ROR "\n\t"                  \
    "sxtb16 %[t1], %[t1]" ROR "\n\t"                  \
    "ldr %[t2], [%[w]], #16\n\t"

/* 3x3 stride 1, four output pixels 2m .. 2m + 3 of one channel from words k, k + 1, k + 2 of each filter row, with
 * two weight words of the row: set 0's first pair (w0 w1) and set 1's second (w1 w2). Taps as int16 lanes, X_j =
 * (x[2j], x[2j + 1]): pixel 2m: SMLAD(X_k, w0 w1) + SMLABT(X_k+1, w1 w2) (x[2k + 2] w2); 2m + 1: SMLATB(X_k, w0 w1)
 * (x[2k + 1] w0) + SMLAD(X_k+1, w1 w2); 2m + 2, 2m + 3 the same one word on. Per row 3 loads, 3 SXTB16, 2 weight
 * loads and 8 multiplies for 12 MACs, in 3 scratch registers (t0, t1: taps, t2: a weight). ROR: "" for channel c,
 * ", ror #8" for c + 1. Word k + 1 is 2 in_c bytes after word k, k + 2 4 in_c; the weights of a row: set 0 (pairs 0,
 * 1), set 1 (16 bytes). PIXEL4: "" or CG_DW_PIXEL4, the 5-pixel pass's pixel 2m + 4 (word k + 2 with w0 w1, while
 * both are loaded). R2, R3: what pixels 2m + 2 and 2m + 3 add their first products to: "a2", "a3", or in the first
 * filter row "a0", the bias (pixel 2m's own sum starts after them), so no MOV copies the bias. */
#define CG_DW_QUAD_ROW(S, ROR, PIXEL4, R2, R3)        \
    CG_DW_ROW_LOADS(S, ROR)                           \
    "smlad %[a2], %[t1], %[t2], %[" R2 "]\n\t"        \
    "smlatb %[a3], %[t1], %[t2], %[" R3 "]\n\t"       \
    "smlad %[a0], %[t0], %[t2], %[a0]\n\t"            \
    "smlatb %[a1], %[t0], %[t2], %[a1]\n\t"           \
    "ldr %[t0], [%[" S "], %[in_c], lsl #2]\n\t"      \
    "sxtb16 %[t0], %[t0]" ROR "\n\t"                  \
    PIXEL4                                            \
    "ldr %[t2], [%[w], #-4]\n\t"                      \
    "smlabt %[a0], %[t1], %[t2], %[a0]\n\t"           \
    "smlad %[a1], %[t1], %[t2], %[a1]\n\t"            \
    "smlabt %[a2], %[t0], %[t2], %[a2]\n\t"           \
    "smlad %[a3], %[t0], %[t2], %[a3]\n\t"

#define CG_DW_PIXEL4 "smlad %[a4], %[t0], %[t2], %[a4]\n\t"

/* accumulator A's requantization (cg_requantize_doubled) in two steps, t0, t1 holding the multiplier and the offset,
 * then t0 the right shift: SMMLAR and the sign correction (CG_DW_ROUND_FIX, into t2 and back) or SMMLAR alone in
 * place (CG_DW_ROUND_NOFIX, where the generator drops the correction: `sign_fix` 0, exact when act_min >= out_zp as
 * in matvec's fused 2: a negative sum gives at most out_zp either way, which SSAT's -128 = act_min raises to
 * act_min); the shift and SSAT */
#define CG_DW_ROUND_FIX(A) "smmlar %[t2], %[" A "], %[t0], %[t1]\n\t" "sub %[" A "], %[t2], %[" A "], lsr #31\n\t"
#define CG_DW_ROUND_NOFIX(A) "smmlar %[" A "], %[" A "], %[t0], %[t1]\n\t"

/* BODY(ROUND) with the requantization of the layer (fix: its sign_fix), the form without the correction compiled
 * only where a fast-path layer of the model takes it (the generator's CG_DW_NO_SIGN_FIX), the form with it where
 * one does (CG_DW_SIGN_FIX) or none of them drops it */
#if defined(CG_DW_SIGN_FIX) || !defined(CG_DW_NO_SIGN_FIX)
#define CG_DW_WITH_FIX(BODY) BODY(CG_DW_ROUND_FIX)
#else
#define CG_DW_WITH_FIX(BODY)
#endif
#if defined(CG_DW_NO_SIGN_FIX)
#define CG_DW_WITHOUT_FIX(BODY) BODY(CG_DW_ROUND_NOFIX)
#else
#define CG_DW_WITHOUT_FIX(BODY)
#endif
#define CG_DW_ROUNDING(fix, BODY) \
    if (fix) {                    \
        CG_DW_WITH_FIX(BODY)      \
    } else {                      \
        CG_DW_WITHOUT_FIX(BODY)   \
    }
#define CG_DW_SHIFT_SATURATE(A) "asr %[" A "], %[" A "], %[t0]\n\t" "ssat %[" A "], #8, %[" A "]\n\t"

/* 3x3 stride 2, four output pixels of one channel from words k .. k + 4 of each row (pixel i: words k + i, k + i + 1
 * with set 0, w0 w1 and w2 0, held in t0, t1), last word first: per filter row 1 LDRD of weights, 5 loads, 5 SXTB16,
 * 8 SMLAD for 12 MACs and one ADD (word k + 3, 6 in_c bytes on, has no scaled-register form: its address goes
 * through t2). PIXEL4 unused (CG_DW_QUAD_ROW's signature); R2, R3 as there (pixels 2, 3 start before 0 and 1). */
#define CG_DW_QUAD2_ROW(S, ROR, PIXEL4, R2, R3)       \
    "ldrd %[t0], %[t1], [%[w]], #8\n\t"               \
    "ldr %[t2], [%[" S "], %[in_c], lsl #3]\n\t"      \
    "sxtb16 %[t2], %[t2]" ROR "\n\t"                  \
    "smlad %[a3], %[t2], %[t1], %[" R3 "]\n\t"        \
    "add %[t2], %[" S "], %[in_c], lsl #2\n\t"        \
    "ldr %[t2], [%[t2], %[in_c], lsl #1]\n\t"         \
    "sxtb16 %[t2], %[t2]" ROR "\n\t"                  \
    "smlad %[a3], %[t2], %[t0], %[a3]\n\t"            \
    "smlad %[a2], %[t2], %[t1], %[" R2 "]\n\t"        \
    "ldr %[t2], [%[" S "], %[in_c], lsl #2]\n\t"      \
    "sxtb16 %[t2], %[t2]" ROR "\n\t"                  \
    "smlad %[a2], %[t2], %[t0], %[a2]\n\t"            \
    "smlad %[a1], %[t2], %[t1], %[a1]\n\t"            \
    "ldr %[t2], [%[" S "], %[in_c], lsl #1]\n\t"      \
    "sxtb16 %[t2], %[t2]" ROR "\n\t"                  \
    "smlad %[a1], %[t2], %[t0], %[a1]\n\t"            \
    "smlad %[a0], %[t2], %[t1], %[a0]\n\t"            \
    "ldr %[t2], [%[" S "]]\n\t"                       \
    "sxtb16 %[t2], %[t2]" ROR "\n\t"                  \
    "smlad %[a0], %[t2], %[t0], %[a0]\n\t"

/* one channel's four pixels (ROW: CG_DW_QUAD_ROW, stride 1, or CG_DW_QUAD2_ROW, stride 2; pixel i's output in_c
 * bytes after pixel i - 1's either way): the doubled bias, three filter rows, the requantization
 * (cg_requantize_doubled: SMMLAR, the sign correction, the shift; SSAT), pixel 0's store moving out to the next
 * channel */
#define CG_DW_QUAD_CHANNEL(ROW, ROR, ROUND)                                                              \
    "ldrd %[a0], %[a1], [%[w]], #8\n\t"                                                                  \
    ROW("s0", ROR, "", "a0", "a0") ROW("s1", ROR, "", "a2", "a3") ROW("s2", ROR, "", "a2", "a3")          \
    "ldrd %[t0], %[t1], [%[w]], #8\n\t"                                                                  \
    ROUND("a0") ROUND("a1") ROUND("a2") ROUND("a3")                                                      \
    "ldr %[t0], [%[w]], #8\n\t" /* the right shift, past the edge bias */                              \
    CG_DW_SHIFT_SATURATE("a0") CG_DW_SHIFT_SATURATE("a1") CG_DW_SHIFT_SATURATE("a2") CG_DW_SHIFT_SATURATE("a3") \
    "add %[t1], %[out], %[in_c]\n\t"                                                                     \
    "strb %[a1], [%[t1]]\n\t"                                                                            \
    "strb %[a3], [%[t1], %[in_c], lsl #1]\n\t"                                                           \
    "strb %[a2], [%[out], %[in_c], lsl #1]\n\t"                                                          \
    "strb %[a0], [%[out]], #1\n\t"

/* 3x3, full int8 output range: four output pixels over every channel (s0, s1, s2: each filter row's word k of the
 * first channel pair), stride 1 (ROW CG_DW_QUAD_ROW, pixels 2m .. 2m + 3 at k = m: 72 instructions per channel and
 * 36 MACs with the sign correction, 68 without) or stride 2 (CG_DW_QUAD2_ROW: 84, 80). The asm takes 13 registers
 * (4 accumulators, 3 scratch, 6 pointers and counts), what clang leaves besides its frame pointer. */
#define CG_DW_QUAD_LOOP(ROW, ROUND)                                                                           \
    for (int8_t *const end = out + in_c; out < end;) {                                                        \
        int32_t a0, a1, a2, a3, t0, t1, t2;                                                                   \
        __asm__(CG_DW_QUAD_CHANNEL(ROW, "", ROUND) CG_DW_QUAD_CHANNEL(ROW, ", ror #8", ROUND)                 \
                "add %[s0], %[s0], #4\n\t"                                                                    \
                "add %[s1], %[s1], #4\n\t"                                                                    \
                "add %[s2], %[s2], #4"                                                                        \
                : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [t0] "=&r"(t0),             \
                  [t1] "=&r"(t1), [t2] "=&r"(t2), [w] "+&r"(w), [s0] "+&r"(s0), [s1] "+&r"(s1),               \
                  [s2] "+&r"(s2), [out] "+&r"(out)                                                            \
                : [in_c] "r"(in_c)                                                                            \
                : "memory");                                                                                  \
    }
#define CG_DW_QUAD1_LOOP(ROUND) CG_DW_QUAD_LOOP(CG_DW_QUAD_ROW, ROUND)
#define CG_DW_QUAD2_LOOP(ROUND) CG_DW_QUAD_LOOP(CG_DW_QUAD2_ROW, ROUND)

#if defined(__OPTIMIZE__) /* the passes' asm: -O0 runs the C form (cg_depthwise_row_3x3) */
static inline __attribute__((always_inline)) void cg_depthwise_quad_3x3(const int32_t *w, const int32_t *s0,
                                                                        const int32_t *s1, const int32_t *s2,
                                                                        int8_t *out, int32_t in_c, int32_t fix)
{
    CG_DW_ROUNDING(fix, CG_DW_QUAD1_LOOP)
}

/* 3x3 stride 2, two output pixels of one channel from words k .. k + 2 of each row (pixel 0: k, k + 1, pixel 1:
 * k + 1, k + 2, set 0): per filter row 1 LDRD of weights, 3 loads, 3 SXTB16, 4 SMLAD for 6 MACs */
#define CG_DW_STRIDE2_ROW(S, ROR)                  \
    "ldrd %[t0], %[t1], [%[w]], #8\n\t"            \
    "ldr %[t2], [%[" S "]]\n\t"                    \
    "sxtb16 %[t2], %[t2]" ROR "\n\t"               \
    "smlad %[a0], %[t2], %[t0], %[a0]\n\t"         \
    "ldr %[t2], [%[" S "], %[in_c], lsl #1]\n\t"   \
    "sxtb16 %[t2], %[t2]" ROR "\n\t"               \
    "smlad %[a0], %[t2], %[t1], %[a0]\n\t"         \
    "smlad %[a1], %[t2], %[t0], %[a1]\n\t"         \
    "ldr %[t2], [%[" S "], %[in_c], lsl #2]\n\t"   \
    "sxtb16 %[t2], %[t2]" ROR "\n\t"               \
    "smlad %[a1], %[t2], %[t1], %[a1]\n\t"

/* 3x3 stride 1, two output pixels 2m, 2m + 1 of one channel from words k, k + 1 of each row (CG_DW_QUAD_ROW's
 * first half, the two weight words w0 w1 and w1 w2): per filter row 2 loads, 2 SXTB16, 2 weight loads and 4
 * multiplies for 6 MACs */
#define CG_DW_PAIR1_ROW(S, ROR)                    \
    CG_DW_ROW_LOADS(S, ROR)                        \
    "smlad %[a0], %[t0], %[t2], %[a0]\n\t"         \
    "smlatb %[a1], %[t0], %[t2], %[a1]\n\t"        \
    "ldr %[t2], [%[w], #-4]\n\t"                   \
    "smlabt %[a0], %[t1], %[t2], %[a0]\n\t"        \
    "smlad %[a1], %[t1], %[t2], %[a1]\n\t"

/* one channel's two pixels (ROW: CG_DW_STRIDE2_ROW or CG_DW_PAIR1_ROW; pixel 1's output in_c bytes after pixel
 * 0's): the doubled bias, three filter rows, the requantization, the stores */
#define CG_DW_PAIR_CHANNEL(ROW, ROR, ROUND)                                           \
    "ldrd %[a0], %[a1], [%[w]], #8\n\t"                                               \
    ROW("s0", ROR) ROW("s1", ROR) ROW("s2", ROR)                                      \
    "ldrd %[t0], %[t1], [%[w]], #8\n\t"                                               \
    ROUND("a0") ROUND("a1")                                                           \
    "ldr %[t0], [%[w]], #8\n\t" /* past the edge bias */                              \
    CG_DW_SHIFT_SATURATE("a0") CG_DW_SHIFT_SATURATE("a1") \
    "strb %[a1], [%[out], %[in_c]]\n\t"                                               \
    "strb %[a0], [%[out]], #1\n\t"

/* 3x3, full int8 output range: two output pixels over every channel (s0, s1, s2: each filter row's word k of the
 * first channel pair), stride 2 (ROW CG_DW_STRIDE2_ROW: 47 instructions per channel and 18 MACs with the sign
 * correction, 45 without) or stride 1 (CG_DW_PAIR1_ROW: 43, 41); 11 registers */
#define CG_DW_PAIR_LOOP(ROW, ROUND)                                                                           \
    for (int8_t *const end = out + in_c; out < end;) {                                                        \
        int32_t a0, a1, t0, t1, t2;                                                                           \
        __asm__(CG_DW_PAIR_CHANNEL(ROW, "", ROUND) CG_DW_PAIR_CHANNEL(ROW, ", ror #8", ROUND)                 \
                "add %[s0], %[s0], #4\n\t"                                                                    \
                "add %[s1], %[s1], #4\n\t"                                                                    \
                "add %[s2], %[s2], #4"                                                                        \
                : [a0] "=&r"(a0), [a1] "=&r"(a1), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),             \
                  [w] "+&r"(w), [s0] "+&r"(s0), [s1] "+&r"(s1), [s2] "+&r"(s2), [out] "+&r"(out)              \
                : [in_c] "r"(in_c)                                                                            \
                : "memory");                                                                                  \
    }
#define CG_DW_STRIDE2_LOOP(ROUND) CG_DW_PAIR_LOOP(CG_DW_STRIDE2_ROW, ROUND)
#define CG_DW_PAIR1_LOOP(ROUND) CG_DW_PAIR_LOOP(CG_DW_PAIR1_ROW, ROUND)

static inline __attribute__((always_inline)) void cg_depthwise_pair_stride2_3x3(const int32_t *w, const int32_t *s0,
                                                                                const int32_t *s1,
                                                                                const int32_t *s2, int8_t *out,
                                                                                int32_t in_c, int32_t fix)
{
    CG_DW_ROUNDING(fix, CG_DW_STRIDE2_LOOP)
}

static inline __attribute__((always_inline)) void cg_depthwise_pair_3x3(const int32_t *w, const int32_t *s0,
                                                                        const int32_t *s1, const int32_t *s2,
                                                                        int8_t *out, int32_t in_c, int32_t fix)
{
    CG_DW_ROUNDING(fix, CG_DW_PAIR1_LOOP)
}

/* (after the stride-2 pair pass) */
static inline __attribute__((always_inline)) void cg_depthwise_quad_stride2_3x3(const int32_t *w, const int32_t *s0,
                                                                                const int32_t *s1,
                                                                                const int32_t *s2, int8_t *out,
                                                                                int32_t in_c, int32_t fix)
{
    CG_DW_ROUNDING(fix, CG_DW_QUAD2_LOOP)
}
#endif

/* 3x3 stride 1, one output pixel (the last of an odd row, set 0), channels c and c + 1 sharing the loaded words:
 * per filter row 2 loads, 4 SXTB16, 2 LDRD, 4 SMLAD. Records of 18 words (2 sets): channel c + 1's starts 72 bytes
 * after c's; row ROW's set-0 words at byte 8 + 16 ROW, the requantization words at 56 and 64, the edge bias at 68. */
#define CG_DW_LONE_ROW(S, ROW)                         \
    "ldr %[x1], [%[" S "], %[in_c], lsl #1]\n\t"       \
    "ldr %[x0], [%[" S "]], #4\n\t"                    \
    "ldrd %[w0], %[w1], [%[w], #8 + 16 * " ROW "]\n\t" \
    "sxtb16 %[t], %[x0]\n\t"                           \
    "smlad %[ac], %[t], %[w0], %[ac]\n\t"              \
    "sxtb16 %[t], %[x1]\n\t"                           \
    "smlad %[ac], %[t], %[w1], %[ac]\n\t"              \
    "ldrd %[w0], %[w1], [%[w], #80 + 16 * " ROW "]\n\t" \
    "sxtb16 %[t], %[x0], ror #8\n\t"                   \
    "smlad %[ad], %[t], %[w0], %[ad]\n\t"              \
    "sxtb16 %[t], %[x1], ror #8\n\t"                   \
    "smlad %[ad], %[t], %[w1], %[ad]\n\t"

/* the same pixel when its third filter column is right padding: those products are in the edge bias, so per
 * filter row only word k (set 0's first pair): 1 load, 2 weight loads, 2 SXTB16, 2 SMLAD */
#define CG_DW_EDGE_ROW(S, ROW)                         \
    "ldr %[x0], [%[" S "]], #4\n\t"                    \
    "ldr %[w0], [%[w], #8 + 16 * " ROW "]\n\t"         \
    "ldr %[w1], [%[w], #80 + 16 * " ROW "]\n\t"        \
    "sxtb16 %[t], %[x0]\n\t"                           \
    "smlad %[ac], %[t], %[w0], %[ac]\n\t"              \
    "sxtb16 %[t], %[x0], ror #8\n\t"                   \
    "smlad %[ad], %[t], %[w1], %[ad]\n\t"

/* channel A's (ac, bytes at 0) or c + 1's (ad, 72) requantization and store */
#define CG_DW_LONE_STORE(A, BYTES, STORE)                      \
    "ldrd %[w0], %[w1], [%[w], #56 + " BYTES "]\n\t"           \
    "smmlar %[t], %[" A "], %[w0], %[w1]\n\t"                  \
    "sub %[" A "], %[t], %[" A "], lsr #31\n\t"                \
    "ldr %[w0], [%[w], #64 + " BYTES "]\n\t"                   \
    "asr %[" A "], %[" A "], %[w0]\n\t"                        \
    "ssat %[" A "], #8, %[" A "]\n\t"                          \
    STORE "\n\t"

/* both channels' requantization and stores, then the next channel pair */
#define CG_DW_LONE_STORES                                          \
    CG_DW_LONE_STORE("ac", "0", "strb %[ac], [%[out]]")            \
    CG_DW_LONE_STORE("ad", "72", "strb %[ad], [%[out], #1]")       \
    "add %[out], %[out], #2\n\t"                                  \
    "add %[w], %[w], #144"

#define CG_DW_LONE_OPERANDS                                                                                   \
    : [ac] "=&r"(ac), [ad] "=&r"(ad), [x0] "=&r"(x0), [x1] "=&r"(x1), [t] "=&r"(t), [w0] "=&r"(w0),          \
      [w1] "=&r"(w1), [w] "+&r"(w), [s0] "+&r"(s0), [s1] "+&r"(s1), [s2] "+&r"(s2), [out] "+&r"(out)         \
    : [in_c] "r"(in_c)                                                                                        \
    : "memory"

#if defined(__OPTIMIZE__) /* -O0 runs the C form */
/* 3x3 stride 1, full int8 output range: the last output pixel of an odd row over every channel (s0, s1, s2: each
 * filter row's word k of the first channel pair), 55 instructions per channel pair and 18 MACs, 40 when its third
 * column is right padding (edge); 13 registers */
static inline __attribute__((always_inline)) void cg_depthwise_lone_3x3(const int32_t *w, const int32_t *s0,
                                                                        const int32_t *s1, const int32_t *s2,
                                                                        int8_t *out, int32_t in_c, int edge)
{
    for (int8_t *const end = out + in_c; out < end;) {
        int32_t ac, ad, x0, x1, t, w0, w1;
        if (edge) {
            __asm__("ldr %[ac], [%[w], #68]\n\t"
                    "ldr %[ad], [%[w], #140]\n\t"
                    CG_DW_EDGE_ROW("s0", "0") CG_DW_EDGE_ROW("s1", "1") CG_DW_EDGE_ROW("s2", "2") CG_DW_LONE_STORES
                    CG_DW_LONE_OPERANDS);
        } else {
            __asm__("ldr %[ac], [%[w]]\n\t"
                    "ldr %[ad], [%[w], #72]\n\t"
                    CG_DW_LONE_ROW("s0", "0") CG_DW_LONE_ROW("s1", "1") CG_DW_LONE_ROW("s2", "2") CG_DW_LONE_STORES
                    CG_DW_LONE_OPERANDS);
        }
    }
}
#endif

/* 3x3 stride 1, five output pixels 2m .. 2m + 4 of one channel, the last with its third column right padding (the
 * edge bias): per filter row the 4-pixel row and one SMLAD more (15 MACs). Two asm statements, so that neither
 * needs more than 13 registers (the first: 5 accumulators, 3 scratch, w, s0, s1, s2, in_c; the compiler keeps out
 * elsewhere meanwhile): the doubled bias (pixel 4: the edge bias) and three filter rows; then the requantization
 * and the stores */
#define CG_DW_PENTA_SUMS(ROR)                                                             \
    "ldr %[a4], [%[w], #68]\n\t"                                                          \
    "ldrd %[a0], %[a1], [%[w]], #8\n\t"                                                   \
    CG_DW_QUAD_ROW("s0", ROR, CG_DW_PIXEL4, "a0", "a0") CG_DW_QUAD_ROW("s1", ROR, CG_DW_PIXEL4, "a2", "a3") \
    CG_DW_QUAD_ROW("s2", ROR, CG_DW_PIXEL4, "a2", "a3")

#define CG_DW_PENTA_STORES(ROUND)                                                         \
    "ldrd %[t0], %[t1], [%[w]], #8\n\t"                                                   \
    ROUND("a0") ROUND("a1") ROUND("a2") ROUND("a3") ROUND("a4")                           \
    "ldr %[t0], [%[w]], #8\n\t" /* the right shift, past the edge bias */               \
    CG_DW_SHIFT_SATURATE("a0") CG_DW_SHIFT_SATURATE("a1") CG_DW_SHIFT_SATURATE("a2") CG_DW_SHIFT_SATURATE("a3") \
    CG_DW_SHIFT_SATURATE("a4") \
    "add %[t1], %[out], %[in_c]\n\t"                                                      \
    "strb %[a1], [%[t1]]\n\t"                                                             \
    "strb %[a3], [%[t1], %[in_c], lsl #1]\n\t"                                            \
    "strb %[a2], [%[out], %[in_c], lsl #1]\n\t"                                           \
    "strb %[a4], [%[out], %[in_c], lsl #2]\n\t"                                           \
    "strb %[a0], [%[out]], #1"

/* one channel (ROR: "" for c, ", ror #8" for c + 1) */
#define CG_DW_PENTA_CHANNEL(ROR, ROUND)                                                                        \
    __asm__(CG_DW_PENTA_SUMS(ROR)                                                                              \
            : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [a4] "=&r"(a4), [t0] "=&r"(t0), \
              [t1] "=&r"(t1), [t2] "=&r"(t2), [w] "+&r"(w)                                                     \
            : [s0] "r"(s0), [s1] "r"(s1), [s2] "r"(s2), [in_c] "r"(in_c)                                       \
            : "memory");                                                                                       \
    __asm__(CG_DW_PENTA_STORES(ROUND)                                                                          \
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [a4] "+&r"(a4), [t0] "=&r"(t0), \
              [t1] "=&r"(t1), [t2] "=&r"(t2), [w] "+&r"(w), [out] "+&r"(out)                                   \
            : [in_c] "r"(in_c)                                                                                 \
            : "memory")

/* 3x3 stride 1, full int8 output range: the last five output pixels 2m .. 2m + 4 of a row whose last pixel's third
 * column is right padding (the DS-CNN's rows of 5), over every channel (s0, s1, s2: each filter row's word k = m
 * of the first channel pair), 81 instructions per channel and 45 MACs (76 without the sign correction) instead of
 * the 4-pixel pass's 72 and the lone pixel's 27.5. One call per row. */
#if defined(__OPTIMIZE__) /* a function of its own, which -O0 could not build (the C form runs there) */
#define CG_DW_PENTA_LOOP(ROUND)                                                  \
    for (int8_t *const end = out + in_c; out < end; s0++, s1++, s2++) {          \
        int32_t a0, a1, a2, a3, a4, t0, t1, t2;                                  \
        CG_DW_PENTA_CHANNEL("", ROUND);                                          \
        CG_DW_PENTA_CHANNEL(", ror #8", ROUND);                                  \
    }

static __attribute__((noinline)) void cg_depthwise_penta_3x3(const int32_t *w, const int32_t *s0, const int32_t *s1,
                                                             const int32_t *s2, int8_t *out, int32_t in_c,
                                                             int32_t fix)
{
    CG_DW_ROUNDING(fix, CG_DW_PENTA_LOOP)
}
#endif
