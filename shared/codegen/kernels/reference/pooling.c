/* pooling.c: int8 MAX_POOL_2D and AVERAGE_POOL_2D, as TFLite's reference integer pooling.
 * The window is clipped at the borders (padding never counts); the average rounds half away from zero. */

typedef struct {
    int32_t batches, in_h, in_w, channels, out_h, out_w;
    int32_t filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
    int32_t act_min, act_max;
} cg_pool_params;

/* clipped window [start, end) along one axis for output position `o` */
CG_MAYBE_UNUSED static inline void cg_pool_window(int32_t o, int32_t stride, int32_t pad, int32_t filter, int32_t in_size,
                                  int32_t *start, int32_t *end)
{
    const int32_t origin = o * stride - pad;
    const int32_t first = origin < 0 ? -origin : 0;
    const int32_t last = in_size - origin < filter ? in_size - origin : filter;
    *start = origin + first;
    *end = origin + last;
}

/* output row oy from input rows y0..y1-1; input row r starts at rows + (r % ring_rows) * row_bytes (a whole
 * image: ring_rows = in_h; conv_pool_2d.c: a ring of the last filter_h rows) */
static void cg_pool_row(const cg_pool_params *p, const int8_t *rows, int32_t ring_rows, int32_t y0, int32_t y1,
                        int8_t *out_row, int is_max)
{
    const int32_t row_bytes = p->in_w * p->channels;
    const int32_t first_slot = y0 % ring_rows;
    for (int32_t ox = 0; ox < p->out_w; ox++) {
        int32_t x0, x1;
        cg_pool_window(ox, p->stride_w, p->pad_left, p->filter_w, p->in_w, &x0, &x1);
        for (int32_t c = 0; c < p->channels; c++) {
            int32_t acc = is_max ? -128 : 0;
            int32_t count = 0;
            int32_t slot = first_slot;
            for (int32_t iy = y0; iy < y1; iy++, slot = slot + 1 == ring_rows ? 0 : slot + 1) {
                const int8_t *row = rows + slot * row_bytes;
                for (int32_t ix = x0; ix < x1; ix++) {
                    const int32_t v = row[ix * p->channels + c];
                    acc = is_max ? (v > acc ? v : acc) : acc + v;
                    count++;
                }
            }
            if (!is_max && count > 0) {
                acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
            }
            out_row[ox * p->channels + c] = (int8_t)cg_clamp(acc, p->act_min, p->act_max);
        }
    }
}

/* unused when every pool of the model is fused into its convolution (conv_pool_2d.c) */
CG_MAYBE_UNUSED static void cg_pool_2d(const cg_pool_params *p, const int8_t *in, int8_t *out, int is_max)
{
    const int32_t out_row_bytes = p->out_w * p->channels;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *image = in + b * p->in_h * p->in_w * p->channels;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            int32_t y0, y1;
            cg_pool_window(oy, p->stride_h, p->pad_top, p->filter_h, p->in_h, &y0, &y1);
            cg_pool_row(p, image, p->in_h, y0, y1, out, is_max);
            out += out_row_bytes;
        }
    }
}
