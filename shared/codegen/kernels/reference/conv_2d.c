/* conv_2d.c: int8 CONV_2D, per-channel requantization, as TFLite's reference ConvPerChannel.
 * Per output pixel, the receptive field is gathered into a column of (x - zp) int16 values (im2col; padded
 * taps become 0, exactly what skipping them gives), then matvec.c multiplies all output channels at once. */

typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w;
    int32_t filter_h, filter_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
    int32_t in_zp;
    int32_t triple; /* 3 columns in the scratch: a fused int8 layer may take 3 pixels a pass (cg_matvec3) */
    cg_matvec_params matvec; /* rows = output channels, depth = filter_h * filter_w * in_c padded to 4 */
    int32_t chunk; /* GCC's DSP build takes up to this many pixels a chunk (cortex_m/matvec.c cg_matvec_chunk) */
    int32_t gather; /* 0, or cg_conv_gather's shape (the generator ordered the weights' depth as it fills) */
} cg_conv_params;

#define CG_STAGE_BYTES 128 /* windows (or filter rows) up to this many bytes are staged on the stack at edges */

/* column: the pixel's first value, its words `step` words apart (1, or CG_PAIR_STEP in a pair column) */
static void cg_conv_fill_column(const cg_conv_params *p, const int8_t *image, int32_t iy0, int32_t ix0,
                                int16_t *column, int32_t step)
{
    const int32_t row_values = p->filter_w * p->in_c;
    if (p->dilation_w == 1 && ix0 >= 0 && ix0 + p->filter_w <= p->in_w && p->filter_w == p->in_w &&
        p->dilation_h == 1 && iy0 >= 0 && iy0 + p->filter_h <= p->in_h) {
        /* the filter spans whole rows (e.g. a (k, 1) kernel over a (T, 1, C) window): one contiguous run */
        cg_widen(image + iy0 * row_values, p->filter_h * row_values, p->in_zp, column, 0, step);
        cg_column_zero(column, p->filter_h * row_values, p->matvec.depth - p->filter_h * row_values, step);
        return;
    }
    int32_t k = 0;
    for (int32_t fy = 0; fy < p->filter_h; fy++) {
        const int32_t iy = iy0 + fy * p->dilation_h;
        for (int32_t fx = 0; fx < p->filter_w; fx++, k += p->in_c) {
            const int32_t ix = ix0 + fx * p->dilation_w;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                cg_column_zero(column, k, p->in_c, step);
            } else if (p->dilation_w == 1 && fx + 1 < p->filter_w && ix + 1 < p->in_w) {
                /* the taps from here to the row's last inside the image: contiguous in NHWC, one widening */
                const int32_t run = (p->in_w - ix < p->filter_w - fx ? p->in_w - ix : p->filter_w - fx);
                cg_widen(image + (iy * p->in_w + ix) * p->in_c, run * p->in_c, p->in_zp, column, k, step);
                fx += run - 1;
                k += (run - 1) * p->in_c;
            } else {
                cg_widen(image + (iy * p->in_w + ix) * p->in_c, p->in_c, p->in_zp, column, k, step);
            }
        }
    }
    cg_column_zero(column, k, p->matvec.depth - k, step);
}

/* n bytes from `from` to `to`, a word at a time (unaligned word accesses: one LDR/STR each on Cortex-M7) */
static inline void cg_copy_bytes(int8_t *to, const int8_t *from, int32_t n)
{
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        memcpy(to + i, from + i, 4);
    }
    for (; i < n; i++) {
        to[i] = from[i];
    }
}

/* filter row iy of the window whose first input column is ix0 (dilation 1) as filter_w * in_c bytes at to: the
 * input's bytes, the zero point at padding taps */
static void cg_conv_stage_row(const cg_conv_params *p, const int8_t *image, int32_t iy, int32_t ix0, int8_t *to)
{
    const int32_t row_values = p->filter_w * p->in_c;
    const int8_t zp = (int8_t)p->in_zp;
    int32_t first = ix0 < 0 ? -ix0 * p->in_c : 0; /* the bytes [first, last) lie inside the image */
    int32_t last = ix0 + p->filter_w > p->in_w ? (p->in_w - ix0) * p->in_c : row_values;
    if (iy < 0 || iy >= p->in_h || last <= first) {
        first = last = 0;
    }
    for (int32_t i = 0; i < first; i++) {
        to[i] = zp;
    }
    cg_copy_bytes(to + first, image + (iy * p->in_w + ix0) * p->in_c + first, last - first);
    for (int32_t i = last; i < row_values; i++) {
        to[i] = zp;
    }
}

/* the whole window of the pixel at input (iy0, ix0) (dilation 1 across) as depth bytes at to: its filter rows, the
 * zero point at padding taps and after the last tap (widened, all of them give 0); rows inside the image copied
 * straight */
static void cg_conv_stage_window(const cg_conv_params *p, const int8_t *image, int32_t iy0, int32_t ix0, int8_t *to)
{
    const int32_t row_values = p->filter_w * p->in_c, taps = p->filter_h * row_values;
    const int inside = ix0 >= 0 && ix0 + p->filter_w <= p->in_w && iy0 >= 0 &&
                       iy0 + (p->filter_h - 1) * p->dilation_h < p->in_h;
    for (int32_t fy = 0; fy < p->filter_h; fy++) {
        const int32_t iy = iy0 + fy * p->dilation_h;
        if (inside) {
            cg_copy_bytes(to + fy * row_values, image + (iy * p->in_w + ix0) * p->in_c, row_values);
        } else {
            cg_conv_stage_row(p, image, iy, ix0, to + fy * row_values);
        }
    }
    for (int32_t i = taps; i < p->matvec.depth; i++) {
        to[i] = (int8_t)p->in_zp;
    }
}

/* filter row iy of the window at input column ix0 as filter_w * in_c contiguous bytes: the input itself when the row
 * lies inside the image, else staged in `stage` (CG_STAGE_BYTES bytes); NULL when the whole row is padding */
static const int8_t *cg_conv_row_bytes(const cg_conv_params *p, const int8_t *image, int32_t iy, int32_t ix0,
                                       int8_t *stage)
{
    if (iy < 0 || iy >= p->in_h) {
        return NULL;
    }
    if (ix0 >= 0 && ix0 + p->filter_w <= p->in_w) {
        return image + (iy * p->in_w + ix0) * p->in_c;
    }
    cg_conv_stage_row(p, image, iy, ix0, stage);
    return stage;
}

/* bytes p[0..3] as a word, value i in bits 8i .. 8i + 7 (GCC and clang make it one load on a little-endian core) */
static inline uint32_t cg_load_bytes(const int8_t *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* the column of the pixel at input (iy0, ix0) when each filter row is one group of 4 values (filter_w * in_c = 4,
 * dilation 1 across, rows of at least 4 bytes; the DS-CNN's 10x4 over one channel): a row inside the image is one
 * word of the input; at its left edge the row's first word moved up by the padding bytes, at its right edge its
 * last word moved down, the zero point in the freed bytes; rows above or below the image are zeros */
static void cg_conv_fill_words(const cg_conv_params *p, const int8_t *image, int32_t iy0, int32_t ix0,
                               int16_t *column, int32_t step)
{
    const int32_t row_bytes = p->in_w * p->in_c;
    int32_t start = ix0 * p->in_c; /* the window's first byte in its rows */
    if (start <= -4 || start >= row_bytes) { /* a window of padding only */
        cg_column_zero(column, 0, p->matvec.depth, step);
        return;
    }
    uint32_t up = 0, down = 0; /* bits the word moves */
    if (start < 0) {
        up = (uint32_t)(-8 * start);
        start = 0;
    } else if (start + 4 > row_bytes) {
        down = (uint32_t)(8 * (start + 4 - row_bytes));
        start = row_bytes - 4;
    }
    const int32_t zp = p->in_zp, filter_h = p->filter_h, dilation = p->dilation_h, in_h = p->in_h;
    const uint32_t zp4 = (uint32_t)(uint8_t)zp * 0x01010101u;
    const uint32_t pad = (zp4 & ((1u << up) - 1u)) | (zp4 & ~(0xFFFFFFFFu >> down));
    /* filter rows [inside, outside) lie inside the image */
    int32_t inside = iy0 < 0 ? (-iy0 + dilation - 1) / dilation : 0;
    int32_t outside = in_h - iy0 > 0 ? (in_h - iy0 + dilation - 1) / dilation : 0;
    inside = inside > filter_h ? filter_h : inside;
    outside = outside > filter_h ? filter_h : outside < inside ? inside : outside;
    cg_column_zero(column, 0, 4 * inside, step);
    const int32_t first = start + iy0 * row_bytes, row_step = dilation * row_bytes; /* filter row fy's offset */
    if (up == 0 && down == 0) {
        for (int32_t fy = inside; fy < outside; fy++) {
            cg_widen_word(cg_load_bytes(image + (first + fy * row_step)), zp, column, 4 * fy, step);
        }
    } else {
        for (int32_t fy = inside; fy < outside; fy++) {
            const uint32_t word = cg_load_bytes(image + (first + fy * row_step));
            cg_widen_word((word << up >> down) | pad, zp, column, 4 * fy, step);
        }
    }
    cg_column_zero(column, 4 * outside, 4 * (filter_h - outside), step);
}

/* byte i of row as the low byte of a word (the column's values are bytes of words, value j in bits 8j .. 8j + 7) */
static inline uint32_t cg_byte(const int8_t *row, int32_t i)
{
    return (uint8_t)row[i];
}

/* The window of a pixel into its column in the generator's `gather` order (ops/conv_2d.py gather_order): each filter
 * row's whole words first (one load and one widening of 4 values each), then the last bytes of every row packed 4
 * to a word, the zero point after the last (widened to 0, as the zero weights there). Straight-line code per shape
 * (the generator sets `gather` only for these): 1 = 3 rows of 9 values (3x3 over 3 channels), 2 = 5 rows of 3 (5x3
 * over 1 channel), 3 = 3 rows of 3 (3x3 over 1 channel). The rows: from `rows` (the window's first byte) `stride`
 * bytes apart, the input's rows or a staged window's. */
static void cg_conv_gather(int32_t shape, const int8_t *rows, int32_t stride, int32_t zp, int16_t *column,
                           int32_t step)
{
    const int8_t *r0 = rows, *r1 = rows + stride, *r2 = rows + 2 * stride;
    const uint32_t zp_byte = (uint8_t)zp;
    if (shape == 1) {
        cg_widen_word(cg_load_bytes(r0), zp, column, 0, step);
        cg_widen_word(cg_load_bytes(r0 + 4), zp, column, 4, step);
        cg_widen_word(cg_load_bytes(r1), zp, column, 8, step);
        cg_widen_word(cg_load_bytes(r1 + 4), zp, column, 12, step);
        cg_widen_word(cg_load_bytes(r2), zp, column, 16, step);
        cg_widen_word(cg_load_bytes(r2 + 4), zp, column, 20, step);
        cg_widen_word(cg_byte(r0, 8) | cg_byte(r1, 8) << 8 | cg_byte(r2, 8) << 16 | zp_byte << 24, zp, column, 24,
                      step);
    } else if (shape == 2) {
        const int8_t *r3 = r2 + stride, *r4 = r3 + stride;
        cg_widen_word(cg_byte(r0, 0) | cg_byte(r0, 1) << 8 | cg_byte(r0, 2) << 16 | cg_byte(r1, 0) << 24, zp, column,
                      0, step);
        cg_widen_word(cg_byte(r1, 1) | cg_byte(r1, 2) << 8 | cg_byte(r2, 0) << 16 | cg_byte(r2, 1) << 24, zp, column,
                      4, step);
        cg_widen_word(cg_byte(r2, 2) | cg_byte(r3, 0) << 8 | cg_byte(r3, 1) << 16 | cg_byte(r3, 2) << 24, zp, column,
                      8, step);
        cg_widen_word(cg_byte(r4, 0) | cg_byte(r4, 1) << 8 | cg_byte(r4, 2) << 16 | zp_byte << 24, zp, column, 12,
                      step);
    } else {
        cg_widen_word(cg_byte(r0, 0) | cg_byte(r0, 1) << 8 | cg_byte(r0, 2) << 16 | cg_byte(r1, 0) << 24, zp, column,
                      0, step);
        cg_widen_word(cg_byte(r1, 1) | cg_byte(r1, 2) << 8 | cg_byte(r2, 0) << 16 | cg_byte(r2, 1) << 24, zp, column,
                      4, step);
        cg_widen_word(cg_byte(r2, 2) | zp_byte * 0x01010100u, zp, column, 8, step);
    }
}

/* the column of the pixel at input (iy0, ix0) with `gather`: from the input where the window lies inside it, else
 * from the window staged on the stack (the zero point at the padding) */
static void cg_conv_gather_pixel(const cg_conv_params *p, const int8_t *image, int32_t iy0, int32_t ix0,
                                 int16_t *column, int32_t step)
{
    if (iy0 >= 0 && iy0 + p->filter_h <= p->in_h && ix0 >= 0 && ix0 + p->filter_w <= p->in_w) {
        cg_conv_gather(p->gather, image + (iy0 * p->in_w + ix0) * p->in_c, p->in_w * p->in_c, p->in_zp, column,
                       step);
        return;
    }
    int8_t stage[CG_STAGE_BYTES];
    cg_conv_stage_window(p, image, iy0, ix0, stage);
    cg_conv_gather(p->gather, stage, p->filter_w * p->in_c, p->in_zp, column, step);
}

/* the pair column of the output pixels whose windows start at input (iya, ixa) and (iyb, ixb); column_b: pixel b's
 * first value. Windows of at most CG_STAGE_BYTES values (first convs): both copied whole (zero points at the
 * padding) and widened in one pass; filter rows of whole groups of 4 values: both pixels' rows widened together,
 * from the input or, at the edges, from a staged copy of the row; else pixel by pixel. */
static void cg_conv_fill_pair(const cg_conv_params *p, const int8_t *image, int32_t iya, int32_t ixa, int32_t iyb,
                              int32_t ixb, int16_t *pair, int16_t *column_b)
{
    const int32_t row_values = p->filter_w * p->in_c;
    if (p->gather) {
        cg_conv_gather_pixel(p, image, iya, ixa, pair, CG_PAIR_STEP);
        cg_conv_gather_pixel(p, image, iyb, ixb, column_b, CG_PAIR_STEP);
        return;
    }
    if (p->dilation_w == 1 && row_values == 4 && p->in_w * p->in_c >= 4) { /* one word per filter row */
        cg_conv_fill_words(p, image, iya, ixa, pair, CG_PAIR_STEP);
        cg_conv_fill_words(p, image, iyb, ixb, column_b, CG_PAIR_STEP);
        return;
    }
    int8_t stage_a[CG_STAGE_BYTES], stage_b[CG_STAGE_BYTES];
    if (p->dilation_w == 1 && p->matvec.depth <= CG_STAGE_BYTES) { /* small windows (first convs): copied whole */
        cg_conv_stage_window(p, image, iya, ixa, stage_a);
        cg_conv_stage_window(p, image, iyb, ixb, stage_b);
        cg_widen_pair(stage_a, stage_b, p->matvec.depth, p->in_zp, pair, column_b, 0);
        return;
    }
    const int inside = ixa >= 0 && ixa + p->filter_w <= p->in_w && ixb >= 0 && ixb + p->filter_w <= p->in_w;
    if (p->dilation_w == 1 && (row_values & 3) == 0 && (inside || row_values <= CG_STAGE_BYTES)) {
        int32_t k = 0;
        for (int32_t fy = 0; fy < p->filter_h; fy++, k += row_values) {
            const int32_t dy = fy * p->dilation_h;
            const int8_t *a = cg_conv_row_bytes(p, image, iya + dy, ixa, stage_a);
            const int8_t *b = cg_conv_row_bytes(p, image, iyb + dy, ixb, stage_b);
            if (a != NULL && b != NULL) {
                cg_widen_pair(a, b, row_values, p->in_zp, pair, column_b, k);
            } else if (a != NULL) { /* pixel b's filter row is padding */
                cg_widen(a, row_values, p->in_zp, pair, k, CG_PAIR_STEP);
                cg_column_zero(column_b, k, row_values, CG_PAIR_STEP);
            } else if (b != NULL) {
                cg_column_zero(pair, k, row_values, CG_PAIR_STEP);
                cg_widen(b, row_values, p->in_zp, column_b, k, CG_PAIR_STEP);
            } else {
                cg_column_zero(pair, k, row_values, CG_PAIR_STEP);
                cg_column_zero(column_b, k, row_values, CG_PAIR_STEP);
            }
        }
        cg_column_zero(pair, k, p->matvec.depth - k, CG_PAIR_STEP);
        cg_column_zero(column_b, k, p->matvec.depth - k, CG_PAIR_STEP);
        return;
    }
    cg_conv_fill_column(p, image, iya, ixa, pair, CG_PAIR_STEP);
    cg_conv_fill_column(p, image, iyb, ixb, column_b, CG_PAIR_STEP);
}

/* int16 columns in the scratch: two (a pair column: two output pixels per weight pass) when an image has two pixels,
 * three where the generator set `triple` */
CG_MAYBE_UNUSED static inline int32_t cg_conv_columns(const cg_conv_params *p)
{
    return p->triple ? 3 : p->out_w * p->out_h >= 2 ? 2 : 1;
}

/* int16 values of the scratch this build uses: the columns, or on GCC's DSP build where the generator set `chunk`
 * the chunk's pair columns and one int16 fused block of 4 rows (8 bias words, 2 depth words of weights, 12 record
 * words; cortex_m/matvec.c cg_matvec_chunk), the generator's scratch (builds without chunks use its start only) */
CG_MAYBE_UNUSED static inline int32_t cg_conv_scratch_halves(const cg_conv_params *p)
{
#if defined(CG_MATVEC_CHUNK)
    if (p->chunk) {
        return p->chunk * p->matvec.depth + 2 * (20 + 2 * p->matvec.depth);
    }
#endif
    return cg_conv_columns(p) * p->matvec.depth;
}

#if defined(CG_MATVEC_CHUNK)
/* the first count & ~1 of cg_conv_pixels' pixels on GCC's DSP build, for a layer with `chunk` (pointwise or of
 * filter rows of one word; cortex_m/matvec.c cg_matvec_chunk): the pairs in chunks of at most `chunk` pixels, as
 * even as their count allows, every pair's column filled (all inputs of the chunk read) before any output of the
 * chunk is written */
__attribute__((noinline)) static void cg_conv_chunks(const cg_conv_params *p, const int8_t *image, int32_t oy,
                                                     int32_t ox, int32_t count, int8_t *out, int16_t *column,
                                                     int pointwise)
{
    const int32_t depth = p->matvec.depth, most = p->chunk / 2, rows = p->matvec.rows;
    int32_t *const block = (int32_t *)(void *)(column + p->chunk * depth);
    for (int32_t left = count / 2; left > 0;) {
        const int32_t pairs = (left + (left + most - 1) / most - 1) / ((left + most - 1) / most);
        if (pointwise) { /* the pairs' input pixels in a row: widened and doubled at once */
            const int8_t *x = image + (oy * p->out_w + ox) * p->in_c;
            for (int32_t i = 0; i < pairs; i++, x += 2 * p->in_c) {
                cg_widen_pair_doubled(x, x + p->in_c, p->in_c, p->in_zp, column + 2 * i * depth);
            }
            ox += 2 * pairs;
        } else { /* filter rows of one word: the words of pixel a, then b of each pair */
            for (int32_t i = 0; i < 2 * pairs; i++) {
                cg_conv_fill_words(p, image, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left,
                                   column + (i >> 1) * 2 * depth + (i & 1) * CG_PAIR_OFFSET(depth), CG_PAIR_STEP);
                if (++ox == p->out_w) {
                    oy++;
                    ox = 0;
                }
            }
            cg_double_words(column, pairs * depth);
        }
        oy += ox / p->out_w;
        ox %= p->out_w;
        cg_matvec_chunk(&p->matvec, column, pairs, out, block);
        out += 2 * pairs * rows;
        left -= pairs;
    }
}
#endif

/* `count` output pixels of one image in raster order from (oy, ox) on, written from out on; column:
 * cg_conv_columns columns. Pixels go in pairs (one weight pass for two), across row ends too. */
static void cg_conv_pixels(const cg_conv_params *p, const int8_t *image, int32_t oy, int32_t ox, int32_t count,
                           int8_t *out, int16_t *column)
{
    const int32_t rows = p->matvec.rows;
    int16_t *column_b = column + CG_PAIR_OFFSET(p->matvec.depth);
    /* 1x1, stride 1, unpadded: output pixel i reads input pixel i only, the pair column in one widening (the input's
     * pixels are whole groups of 4 values when in_c is a multiple of 4) */
    const int pointwise = p->filter_h == 1 && p->filter_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                          p->pad_top == 0 && p->pad_left == 0 && (p->in_c & 3) == 0;
#if defined(CG_MATVEC_CHUNK)
    if (p->chunk) { /* the pairs (out of line: its code here made GCC's pair loop below longer), the lone below */
        cg_conv_chunks(p, image, oy, ox, count, out, column, pointwise);
        ox += count & ~1;
        oy += ox / p->out_w;
        ox %= p->out_w;
        out += (count & ~1) * rows;
        count &= 1;
    }
#endif
#if defined(CG_MATVEC3)
    /* GCC -O2 DSP build, `triple` (fused, int8 weights; 1x1 stride 1 with out_c <= in_c, or filter rows of one word):
     * three pixels a pass, their columns interleaved word by word (pixel i's words from column + 2 i, 3 words
     * apart), then the pairs and the lone pixel below take the rest */
    if (pointwise && p->triple) {
        for (; count >= 3; count -= 3, out += 3 * rows) {
            const int8_t *x = image + (oy * p->out_w + ox) * p->in_c;
            cg_widen_triple(x, p->in_c, p->in_zp, column);
            ox += 3;
            oy += ox / p->out_w;
            ox %= p->out_w;
            cg_matvec3(&p->matvec, column, out, out + rows, out + 2 * rows);
        }
    } else if (p->triple) { /* filter rows of one word (the DS-CNN's first conv), pixels across row ends */
        for (; count >= 3; count -= 3, out += 3 * rows) {
            for (int32_t i = 0; i < 6; i += 2) {
                cg_conv_fill_words(p, image, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left,
                                   column + i, 3);
                if (++ox == p->out_w) {
                    oy++;
                    ox = 0;
                }
            }
            cg_matvec3(&p->matvec, column, out, out + rows, out + 2 * rows);
        }
    }
#endif
    for (int32_t pairs = count / 2; pairs > 0; pairs--, out += 2 * rows) { /* counted: GCC 12 misjudges `<=` */
        const int32_t iya = oy * p->stride_h - p->pad_top, ixa = ox * p->stride_w - p->pad_left;
        if (pointwise) { /* pixels p, p + 1 read input pixels p, p + 1 */
            const int8_t *x = image + (oy * p->out_w + ox) * p->in_c;
            cg_widen_pair(x, x + p->in_c, p->in_c, p->in_zp, column, column_b, 0); /* in_c = depth */
            ox += 2;
            oy += ox / p->out_w;
            ox %= p->out_w;
            cg_matvec2(&p->matvec, column, out, out + rows);
            continue;
        }
        if (++ox == p->out_w) { /* pixel b starts the next row */
            oy++;
            ox = 0;
        }
        cg_conv_fill_pair(p, image, iya, ixa, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left, column,
                          column_b);
        if (++ox == p->out_w) {
            oy++;
            ox = 0;
        }
        cg_matvec2(&p->matvec, column, out, out + rows);
    }
    if (count & 1) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
        if (p->gather) {
            cg_conv_gather_pixel(p, image, iy0, ix0, column, 1);
        } else {
            cg_conv_fill_column(p, image, iy0, ix0, column, 1);
        }
        cg_matvec(&p->matvec, column, out);
    }
}

/* one output row oy of one image: out_row receives out_w * out_c values; column: cg_conv_columns columns */
CG_MAYBE_UNUSED static void cg_conv_row(const cg_conv_params *p, const int8_t *image, int32_t oy, int8_t *out_row,
                                        int16_t *column)
{
    cg_conv_pixels(p, image, oy, 0, p->out_w, out_row, column);
}

/* column: scratch of cg_conv_columns * matvec.depth int16 values, 8-byte aligned; unused when every conv is
 * fused with a pool */
CG_MAYBE_UNUSED static void cg_conv_2d(const cg_conv_params *p, const int8_t *in, int8_t *out, int16_t *column)
{
    const int32_t pixels = p->out_h * p->out_w;
    for (int32_t b = 0; b < p->batches; b++) {
        cg_conv_pixels(p, in + b * p->in_h * p->in_w * p->in_c, 0, 0, pixels, out + b * pixels * p->matvec.rows,
                       column);
    }
}

/* cg_conv_2d of one image with the same pairs taken last to first (the lone last pixel first when the count is
 * odd): the memory plan may then put the output after its input (conv_2d.window_trail) */
CG_MAYBE_UNUSED static void cg_conv_2d_reverse(const cg_conv_params *p, const int8_t *in, int8_t *out,
                                               int16_t *column)
{
    const int32_t pixels = p->out_h * p->out_w;
    for (int32_t q = (pixels - 1) & ~1; q >= 0; q -= 2) {
        cg_conv_pixels(p, in, q / p->out_w, q % p->out_w, pixels - q < 2 ? 1 : 2, out + q * p->matvec.rows, column);
    }
}
