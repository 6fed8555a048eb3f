/* conv_pool_2d.c: CONV_2D followed by MAX_POOL_2D or AVERAGE_POOL_2D, fused: the convolution's output never
 * exists whole. Its rows go into a ring of filter_h rows; each pool output row is taken as soon as the conv rows
 * under its window are done (they are always the last filter_h computed). The int8 values pooled are exactly the
 * convolution's outputs, so the result equals the two ops run one after the other. Batch 1. */

/* scratch: the conv's (cg_conv_scratch_halves int16), then the ring (pool->filter_h conv rows, int8) */
static void cg_conv_pool_2d(const cg_conv_params *conv, const cg_pool_params *pool, int is_max, const int8_t *in,
                            int8_t *out, int16_t *scratch)
{
    int8_t *ring = (int8_t *)(void *)(scratch + cg_conv_scratch_halves(conv));
    const int32_t conv_row_bytes = conv->out_w * conv->matvec.rows;
    int32_t next_conv_row = 0;
    for (int32_t oy = 0; oy < pool->out_h; oy++) {
        int32_t y0, y1;
        cg_pool_window(oy, pool->stride_h, pool->pad_top, pool->filter_h, pool->in_h, &y0, &y1);
        for (; next_conv_row < y1; next_conv_row++) {
            cg_conv_row(conv, in, next_conv_row, ring + (next_conv_row % pool->filter_h) * conv_row_bytes, scratch);
        }
#if CG_DSP /* cortex_m/pooling.c: 4 channels a word (SSUB8, SEL) */
        if (is_max && (pool->channels & 3) == 0 && pool->act_min == -128 && pool->act_max == 127) {
            cg_max_pool_row_dsp(pool, ring, pool->filter_h, y0, y1, out + oy * pool->out_w * pool->channels);
            continue;
        }
#endif
        cg_pool_row(pool, ring, pool->filter_h, y0, y1, out + oy * pool->out_w * pool->channels, is_max);
    }
}
