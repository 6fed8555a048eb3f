/* app_infer for every app: the features are the model's float input, so quantize them exactly as the host does
 * and run the generated model (model.h, the same interface whatever the app). */
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "model.h"
#include "quantize.h"

static int8_t model_input[MODEL_INPUT_SIZE];
static int8_t scores[MODEL_OUTPUT_SIZE];

int app_infer(const float *features, const int8_t **out)
{
    quantize_int8_buffer(features, model_input, MODEL_INPUT_SIZE, MODEL_INPUT_SCALE, MODEL_INPUT_ZERO_POINT);
    if (model_invoke(model_input, scores) != 0) {
        return 1;
    }
    *out = scores;
    return 0;
}
