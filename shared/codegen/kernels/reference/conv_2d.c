/* conv_2d.c: int8 CONV_2D, per-channel requantization, as TFLite's reference ConvPerChannel.
 * Per output pixel, the receptive field is gathered into a column of (x - zp) int16 values (im2col; padded
 * taps become 0, exactly what skipping them gives), then matvec.c multiplies all output channels at once. */

typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w;
    int32_t filter_h, filter_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
    int32_t in_zp;
    cg_matvec_params matvec; /* rows = output channels, depth = filter_h * filter_w * in_c padded to 4 */
} cg_conv_params;

/* column: the pixel's first value, its words `step` words apart (1, or CG_PAIR_STEP in a pair column) */
static void cg_conv_fill_column(const cg_conv_params *p, const int8_t *image, int32_t iy0, int32_t ix0,
                                int16_t *column, int32_t step)
{
    const int32_t row_values = p->filter_w * p->in_c;
    const int row_inside = p->dilation_w == 1 && ix0 >= 0 && ix0 + p->filter_w <= p->in_w;
    if (row_inside && p->filter_w == p->in_w && p->dilation_h == 1 && iy0 >= 0 && iy0 + p->filter_h <= p->in_h) {
        /* the filter spans whole rows (e.g. a (k, 1) kernel over a (T, 1, C) window): one contiguous run */
        cg_widen(image + iy0 * row_values, p->filter_h * row_values, p->in_zp, column, 0, step);
        cg_column_zero(column, p->filter_h * row_values, p->matvec.depth - p->filter_h * row_values, step);
        return;
    }
    int32_t k = 0;
    for (int32_t fy = 0; fy < p->filter_h; fy++) {
        const int32_t iy = iy0 + fy * p->dilation_h;
        if (row_inside && iy >= 0 && iy < p->in_h) { /* the filter row's taps are contiguous in NHWC: one call */
            cg_widen(image + (iy * p->in_w + ix0) * p->in_c, row_values, p->in_zp, column, k, step);
            k += row_values;
            continue;
        }
        for (int32_t fx = 0; fx < p->filter_w; fx++, k += p->in_c) {
            const int32_t ix = ix0 + fx * p->dilation_w;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                cg_column_zero(column, k, p->in_c, step);
            } else {
                cg_widen(image + (iy * p->in_w + ix) * p->in_c, p->in_c, p->in_zp, column, k, step);
            }
        }
    }
    cg_column_zero(column, k, p->matvec.depth - k, step);
}

/* the pair column of output pixels ix0 and ix0 + stride_w (input columns): both windows' filter rows as one widening
 * when every filter row of both lies inside the image's columns and starts a group of 4 values, else pixel by pixel */
static void cg_conv_fill_pair(const cg_conv_params *p, const int8_t *image, int32_t iy0, int32_t ix0, int16_t *pair,
                              int16_t *column_b)
{
    const int32_t row_values = p->filter_w * p->in_c, ix1 = ix0 + p->stride_w;
    if (p->dilation_w != 1 || (row_values & 3) != 0 || ix0 < 0 || ix1 + p->filter_w > p->in_w) {
        cg_conv_fill_column(p, image, iy0, ix0, pair, CG_PAIR_STEP);
        cg_conv_fill_column(p, image, iy0, ix1, column_b, CG_PAIR_STEP);
        return;
    }
    const int32_t b_offset = p->stride_w * p->in_c;
    int32_t k = 0;
    for (int32_t fy = 0; fy < p->filter_h; fy++, k += row_values) {
        const int32_t iy = iy0 + fy * p->dilation_h;
        if (iy >= 0 && iy < p->in_h) {
            const int8_t *row = image + (iy * p->in_w + ix0) * p->in_c;
            cg_widen_pair(row, row + b_offset, row_values, p->in_zp, pair, column_b, k);
        } else {
            cg_column_zero(pair, k, row_values, CG_PAIR_STEP);
            cg_column_zero(column_b, k, row_values, CG_PAIR_STEP);
        }
    }
    cg_column_zero(pair, k, p->matvec.depth - k, CG_PAIR_STEP);
    cg_column_zero(column_b, k, p->matvec.depth - k, CG_PAIR_STEP);
}

/* int16 columns in the scratch: two (a pair column: two output pixels per weight pass) when a row has two pixels */
CG_MAYBE_UNUSED static inline int32_t cg_conv_columns(const cg_conv_params *p)
{
    return p->out_w >= 2 ? 2 : 1;
}

/* one output row oy of one image: out_row receives out_w * out_c values; column: cg_conv_columns columns */
static void cg_conv_row(const cg_conv_params *p, const int8_t *image, int32_t oy, int8_t *out_row, int16_t *column)
{
    const int32_t iy0 = oy * p->stride_h - p->pad_top, rows = p->matvec.rows;
    int16_t *column_b = column + CG_PAIR_OFFSET(p->matvec.depth);
    int32_t ox = 0;
    for (int32_t pairs = p->out_w / 2; pairs > 0; pairs--, ox += 2) { /* counted: GCC 12 misjudges `ox + 2 <=` */
        cg_conv_fill_pair(p, image, iy0, ox * p->stride_w - p->pad_left, column, column_b);
        cg_matvec2(&p->matvec, column, out_row + ox * rows, out_row + (ox + 1) * rows);
    }
    if (p->out_w & 1) {
        cg_conv_fill_column(p, image, iy0, ox * p->stride_w - p->pad_left, column, 1);
        cg_matvec(&p->matvec, column, out_row + ox * rows);
    }
}

/* column: scratch of cg_conv_columns * matvec.depth int16 values, 8-byte aligned; unused when every conv is
 * fused with a pool */
CG_MAYBE_UNUSED static void cg_conv_2d(const cg_conv_params *p, const int8_t *in, int8_t *out, int16_t *column)
{
    const int32_t out_row_bytes = p->out_w * p->matvec.rows;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *image = in + b * p->in_h * p->in_w * p->in_c;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            cg_conv_row(p, image, oy, out, column);
            out += out_row_bytes;
        }
    }
}
