/* app_infer for every app: the features are the model's float input, so quantize them exactly as the host does
 * and run the generated model (model.h, the same interface whatever the app). */
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "model.h"
#include "quantize.h"

static int8_t model_input[MODEL_INPUT_SIZE];
static int8_t scores[MODEL_OUTPUT_SIZE];

/* Weak defaults of the optional app hooks (app.h): a GCC/Clang attribute, which both compilers used here have. */
__attribute__((weak)) uint16_t app_decide(const int8_t *model_scores)
{
    uint16_t best = 0;
    for (uint16_t i = 1; i < MODEL_OUTPUT_SIZE; i++) {
        if (model_scores[i] > model_scores[best]) {
            best = i;
        }
    }
    return best;
}

__attribute__((weak)) void app_stream_reset(void) {}

int app_infer(const float *features, const int8_t **out)
{
    quantize_int8_buffer(features, model_input, MODEL_INPUT_SIZE, MODEL_INPUT_SCALE, MODEL_INPUT_ZERO_POINT);
    if (model_invoke(model_input, scores) != 0) {
        return 1;
    }
    *out = scores;
    return 0;
}
