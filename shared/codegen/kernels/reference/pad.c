/* pad.c: int8 PAD / PADV2 on a 4-D tensor: copy the input into the middle, fill the rest with `value`. */

typedef struct {
    int32_t in_shape[4], out_shape[4], before[4]; /* padded to 4-D */
    int32_t value;
} cg_pad_params;

static void cg_pad(const cg_pad_params *p, const int8_t *in, int8_t *out)
{
    int32_t n = 0;
    for (int32_t i0 = 0; i0 < p->out_shape[0]; i0++) {
        for (int32_t i1 = 0; i1 < p->out_shape[1]; i1++) {
            for (int32_t i2 = 0; i2 < p->out_shape[2]; i2++) {
                for (int32_t i3 = 0; i3 < p->out_shape[3]; i3++) {
                    const int32_t j0 = i0 - p->before[0], j1 = i1 - p->before[1];
                    const int32_t j2 = i2 - p->before[2], j3 = i3 - p->before[3];
                    const int inside = j0 >= 0 && j0 < p->in_shape[0] && j1 >= 0 && j1 < p->in_shape[1] &&
                                       j2 >= 0 && j2 < p->in_shape[2] && j3 >= 0 && j3 < p->in_shape[3];
                    out[n++] = inside ? in[((j0 * p->in_shape[1] + j1) * p->in_shape[2] + j2) * p->in_shape[3] + j3]
                                      : (int8_t)p->value;
                }
            }
        }
    }
}
