/* concatenation.c: int8 CONCATENATION of inputs sharing one scale and zero point: a plain copy, seen as
 * (outer, axis * inner) blocks per input. */

typedef struct {
    int32_t n_inputs, outer;
    const int32_t *block_sizes; /* (n_inputs,) bytes per outer step: axis size of input i * inner */
} cg_concatenation_params;

static void cg_concatenation(const cg_concatenation_params *p, const int8_t *const *inputs, int8_t *out)
{
    for (int32_t o = 0; o < p->outer; o++) {
        for (int32_t i = 0; i < p->n_inputs; i++) {
            const int32_t block = p->block_sizes[i];
            memcpy(out, inputs[i] + o * block, (size_t)block);
            out += block;
        }
    }
}
