/* cortex_m/pooling.c: the SXTAB16 fast path of AVERAGE_POOL_2D and the SSUB8/SEL path of MAX_POOL_2D
 * (reference/pooling.c stays the fallback). */

/* AVERAGE_POOL_2D over a channel count that is a multiple of 4 and windows of at most 256 values (the generator
 * checks both): one word holds 4 channels of a pixel; SXTAB16 adds channels c, c + 2 to the two 16-bit lanes of
 * one sum and, rotated by 8, c + 1, c + 3 to another's (256 values of -128 .. 127 fit a lane). Per pixel of the
 * window and 4 channels: 1 load, 2 SXTAB16 and, two pixels a step, 1.5 of pointer and loop. A window whose rows
 * span the whole input width is one run of pixels. Writes each output pixel's 4 channels after reading them, so it
 * may run in place as the reference loop does. */
CG_MAYBE_UNUSED static void cg_avg_pool_2d_dsp(const cg_pool_params *p, const int8_t *in, int8_t *out)
{
    const int32_t channels = p->channels, row_bytes = p->in_w * channels;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *image = in + b * p->in_h * row_bytes;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            int32_t y0, y1;
            cg_pool_window(oy, p->stride_h, p->pad_top, p->filter_h, p->in_h, &y0, &y1);
            for (int32_t ox = 0; ox < p->out_w; ox++, out += channels) {
                int32_t x0, x1;
                cg_pool_window(ox, p->stride_w, p->pad_left, p->filter_w, p->in_w, &x0, &x1);
                const int32_t count = (y1 - y0) * (x1 - x0);
                /* runs of `run` pixels, `runs` of them row_bytes apart (whole rows: one run) */
                const int whole = x1 - x0 == p->in_w;
                const int32_t run = whole ? count : x1 - x0, runs = whole ? (count > 0) : y1 - y0;
                for (int32_t c = 0; c < channels; c += 4) {
                    int32_t even = 0, odd = 0; /* lanes: channels c, c + 2 and c + 1, c + 3 */
                    const int8_t *row = image + y0 * row_bytes + x0 * channels + c;
                    for (int32_t r = 0; r < runs; r++, row += row_bytes) {
                        cg_sum4_run(row, run, channels, &even, &odd);
                    }
                    int32_t sums[4];
                    cg_sum4_lanes(even, odd, sums);
                    for (int32_t k = 0; k < 4; k++) {
                        out[c + k] = (int8_t)cg_clamp(cg_pool_average(sums[k], count), p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}

/* one output row of MAX_POOL_2D over a channel count that is a multiple of 4 and the whole int8 range (the callers
 * check both), input rows y0 .. y1 - 1 in a ring of ring_rows rows (cg_pool_row's arguments): one word holds 4
 * channels of a pixel; SSUB8 sets the GE flag of each byte where the pixel's value is at least the running maximum,
 * SEL takes those bytes: per pixel of the window and 4 channels 1 load, SSUB8, SEL. Each output pixel's 4 channels
 * are written after their window is read, so it may run in place as the reference loop does. */
CG_MAYBE_UNUSED static void cg_max_pool_row_dsp(const cg_pool_params *p, const int8_t *rows, int32_t ring_rows,
                                                int32_t y0, int32_t y1, int8_t *out_row)
{
    const int32_t channels = p->channels, row_bytes = p->in_w * channels;
    for (int32_t ox = 0; ox < p->out_w; ox++, out_row += channels) {
        int32_t x0, x1;
        cg_pool_window(ox, p->stride_w, p->pad_left, p->filter_w, p->in_w, &x0, &x1);
        for (int32_t c = 0; c < channels; c += 4) {
            int32_t most = (int32_t)0x80808080u, flags; /* -128 in each byte */
            int32_t slot = y0 % ring_rows;
            for (int32_t iy = y0; iy < y1; iy++, slot = slot + 1 == ring_rows ? 0 : slot + 1) {
                const int8_t *pixel = rows + slot * row_bytes + x0 * channels + c;
                for (int32_t n = x1 - x0; n > 0; n--, pixel += channels) {
                    __asm__("ssub8 %[f], %[v], %[m]\n\tsel %[m], %[v], %[m]"
                            : [m] "+r"(most), [f] "=&r"(flags)
                            : [v] "r"(cg_load_word(pixel))
                            : "cc");
                }
            }
            memcpy(out_row + c, &most, 4);
        }
    }
}

/* MAX_POOL_2D with cg_max_pool_row_dsp, row by row (the reference cg_pool_2d's order) */
CG_MAYBE_UNUSED static void cg_max_pool_2d_dsp(const cg_pool_params *p, const int8_t *in, int8_t *out)
{
    const int32_t out_row_bytes = p->out_w * p->channels;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *image = in + b * p->in_h * p->in_w * p->channels;
        for (int32_t oy = 0; oy < p->out_h; oy++, out += out_row_bytes) {
            int32_t y0, y1;
            cg_pool_window(oy, p->stride_h, p->pad_top, p->filter_h, p->in_h, &y0, &y1);
            cg_max_pool_row_dsp(p, image, p->in_h, y0, y1, out);
        }
    }
}
