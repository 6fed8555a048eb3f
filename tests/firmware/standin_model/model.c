/* Stand-in model: score k = clamp(((sum of (x[i] - zero point) over i % 10 == k) >> 6) - 128, -128, 127). */
#include "model.h"

int model_invoke(const int8_t *input, int8_t *output)
{
    int32_t sums[MODEL_OUTPUT_SIZE] = {0};
    for (int32_t i = 0; i < MODEL_INPUT_SIZE; i++) {
        sums[i % MODEL_OUTPUT_SIZE] += (int32_t)input[i] - MODEL_INPUT_ZERO_POINT;
    }
    for (int32_t k = 0; k < MODEL_OUTPUT_SIZE; k++) {
        int32_t v = (sums[k] >> 6) - 128;
        output[k] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
    return 0;
}
