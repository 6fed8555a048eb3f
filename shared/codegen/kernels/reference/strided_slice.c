/* strided_slice.c: int8 STRIDED_SLICE on a 4-D tensor (shapes padded on the left): per axis a first index, a step
 * (negative: backwards) and a count; the innermost axis at step 1 is one memcpy per row. */

typedef struct {
    int32_t in_shape[4];
    int32_t start[4], step[4], count[4];
} cg_strided_slice_params;

static void cg_strided_slice(const cg_strided_slice_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t i0 = 0; i0 < p->count[0]; i0++) {
        const int32_t j0 = p->start[0] + i0 * p->step[0];
        for (int32_t i1 = 0; i1 < p->count[1]; i1++) {
            const int32_t j1 = j0 * p->in_shape[1] + p->start[1] + i1 * p->step[1];
            for (int32_t i2 = 0; i2 < p->count[2]; i2++) {
                const int8_t *row = in + (j1 * p->in_shape[2] + p->start[2] + i2 * p->step[2]) * p->in_shape[3];
                if (p->step[3] == 1) {
                    memcpy(out, row + p->start[3], (size_t)p->count[3]);
                    out += p->count[3];
                    continue;
                }
                for (int32_t i3 = 0; i3 < p->count[3]; i3++) {
                    *out++ = row[p->start[3] + i3 * p->step[3]];
                }
            }
        }
    }
}
