/* fully_connected.c: int8 FULLY_CONNECTED (per-tensor or per-channel), as TFLite's reference FullyConnected.
 * The inner product is cg_dot_s8 (dot_product.c), shared with CONV_2D. */

typedef struct {
    int32_t batches, in_n, out_n;
    int32_t in_zp, out_zp, act_min, act_max;
    const int8_t *weights;      /* (out_n, in_n) */
    const int32_t *bias;        /* (out_n,) */
    const int32_t *multipliers; /* (out_n,) */
    const int32_t *shifts;      /* (out_n,) */
} cg_fully_connected_params;

static void cg_fully_connected(const cg_fully_connected_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = in + b * p->in_n;
        for (int32_t o = 0; o < p->out_n; o++) {
            int32_t acc = p->bias[o] + cg_dot_s8(p->weights + o * p->in_n, x, p->in_n, p->in_zp);
            acc = cg_requantize(acc, p->multipliers[o], p->shifts[o]) + p->out_zp;
            out[b * p->out_n + o] = (int8_t)cg_clamp(acc, p->act_min, p->act_max);
        }
    }
}
