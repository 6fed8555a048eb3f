/* pooling.c: int8 MAX_POOL_2D and AVERAGE_POOL_2D, as TFLite's reference integer pooling.
 * The window is clipped at the borders (padding never counts); the average rounds half away from zero. */

typedef struct {
    int32_t batches, in_h, in_w, channels, out_h, out_w;
    int32_t filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
    int32_t act_min, act_max;
} cg_pool_params;

/* clipped window [start, end) along one axis for output position `o` */
static inline void cg_pool_window(int32_t o, int32_t stride, int32_t pad, int32_t filter, int32_t in_size,
                                  int32_t *start, int32_t *end)
{
    const int32_t origin = o * stride - pad;
    const int32_t first = origin < 0 ? -origin : 0;
    const int32_t last = in_size - origin < filter ? in_size - origin : filter;
    *start = origin + first;
    *end = origin + last;
}

static void cg_pool_2d(const cg_pool_params *p, const int8_t *in, int8_t *out, int is_max)
{
    for (int32_t b = 0; b < p->batches; b++) {
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            int32_t y0, y1;
            cg_pool_window(oy, p->stride_h, p->pad_top, p->filter_h, p->in_h, &y0, &y1);
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                int32_t x0, x1;
                cg_pool_window(ox, p->stride_w, p->pad_left, p->filter_w, p->in_w, &x0, &x1);
                for (int32_t c = 0; c < p->channels; c++) {
                    int32_t acc = is_max ? -128 : 0;
                    int32_t count = 0;
                    for (int32_t iy = y0; iy < y1; iy++) {
                        for (int32_t ix = x0; ix < x1; ix++) {
                            const int32_t v = in[((b * p->in_h + iy) * p->in_w + ix) * p->channels + c];
                            acc = is_max ? (v > acc ? v : acc) : acc + v;
                            count++;
                        }
                    }
                    if (!is_max && count > 0) {
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    out[((b * p->out_h + oy) * p->out_w + ox) * p->channels + c] =
                        (int8_t)cg_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}
