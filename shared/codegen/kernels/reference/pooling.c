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

/* acc plus the n bytes v[0], v[step], ..., v[(n - 1) * step] (one channel along a window row), two per step */
static inline int32_t cg_pool_sum_run(const int8_t *v, int32_t n, int32_t step, int32_t acc)
{
    for (; n >= 2; n -= 2, v += 2 * step) {
        acc += v[0] + v[step];
    }
    return n > 0 ? acc + v[0] : acc;
}

/* the largest of acc and the n bytes v[0], v[step], ..., v[(n - 1) * step] */
static inline int32_t cg_pool_max_run(const int8_t *v, int32_t n, int32_t step, int32_t acc)
{
    for (; n > 0; n--, v += step) {
        acc = v[0] > acc ? v[0] : acc;
    }
    return acc;
}

/* the average of `count` values that sum to `sum`, rounded half away from zero (0 for an empty window) */
static inline int32_t cg_pool_average(int32_t sum, int32_t count)
{
    if (count == 0) {
        return sum;
    }
    return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

/* output row oy from input rows y0..y1-1; input row r starts at rows + (r % ring_rows) * row_bytes (a whole
 * image: ring_rows = in_h; conv_pool_2d.c: a ring of the last filter_h rows). Channel by channel, each window row
 * a strided run: the inner loops do one load and one add (or compare) per input byte. */
static void cg_pool_row(const cg_pool_params *p, const int8_t *rows, int32_t ring_rows, int32_t y0, int32_t y1,
                        int8_t *out_row, int is_max)
{
    const int32_t channels = p->channels, row_bytes = p->in_w * channels;
    const int32_t first_slot = y0 % ring_rows;
    for (int32_t ox = 0; ox < p->out_w; ox++, out_row += channels) {
        int32_t x0, x1;
        cg_pool_window(ox, p->stride_w, p->pad_left, p->filter_w, p->in_w, &x0, &x1);
        const int32_t width = x1 - x0, count = (y1 - y0) * width;
        for (int32_t c = 0; c < channels; c++) {
            int32_t acc = is_max ? -128 : 0;
            int32_t slot = first_slot;
            for (int32_t iy = y0; iy < y1; iy++, slot = slot + 1 == ring_rows ? 0 : slot + 1) {
                const int8_t *run = rows + slot * row_bytes + x0 * channels + c;
                acc = is_max ? cg_pool_max_run(run, width, channels, acc) : cg_pool_sum_run(run, width, channels, acc);
            }
            if (!is_max) {
                acc = cg_pool_average(acc, count);
            }
            out_row[c] = (int8_t)cg_clamp(acc, p->act_min, p->act_max);
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
