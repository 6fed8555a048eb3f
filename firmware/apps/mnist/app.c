/* MNIST on the device: a received 28 x 28 image (uint8 pixels, row-major as the host sends it) -> float pixels
 * exactly as mnist/ computes them on the host -> int8 model input with the model's scale and zero point ->
 * the generated model -> 10 int8 scores. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "mnist_config.h"
#include "model.h"

#if MODEL_INPUT_SIZE != MNIST_IMAGE_ROWS * MNIST_IMAGE_COLS
#error "the generated model's input is not one MNIST image (MNIST_IMAGE_ROWS x MNIST_IMAGE_COLS)"
#endif

static float pixels[MODEL_INPUT_SIZE];
static int8_t model_input[MODEL_INPUT_SIZE];
static int8_t scores[MODEL_OUTPUT_SIZE];

const app_info_t app_info = {
    .app_name = "mnist",
    .model_name = MNIST_MODEL_NAME,
    .input_bytes = MODEL_INPUT_SIZE,
    .input_rank = 2,
    .input_shape = {MNIST_IMAGE_ROWS, MNIST_IMAGE_COLS, 0, 0},
    .input_type = APP_INPUT_UINT8,
    .feature_count = MODEL_INPUT_SIZE,
    .output_count = MODEL_OUTPUT_SIZE,
};

int app_features(const uint8_t *raw, size_t raw_bytes, const float **features)
{
    if (raw_bytes != MODEL_INPUT_SIZE) {
        return 1;
    }
    /* float32 division, as mnist/pixels.py scale_pixels: uint8 -> float32 array / np.float32(255) */
    for (size_t i = 0; i < MODEL_INPUT_SIZE; i++) {
        pixels[i] = (float)raw[i] / MNIST_PIXEL_DIVISOR;
    }
    *features = pixels;
    return 0;
}

/* TFLite's QUANTIZE rule, q = clamp(round(x / scale) + zero_point, -128, 127) with round half away from zero
 * (std::round), written step by step in float32 exactly as the host computes it (shared/evaluate.py quantize:
 * sign(v) * floor(|v| + 0.5)), so even |v| just below 0.5, where floor(|v| + 0.5f) rounds up, agrees. */
static float round_half_away(float v)
{
    float magnitude = floorf(fabsf(v) + 0.5f);
    return v < 0.0f ? -magnitude : magnitude;
}

static int8_t quantize(float x)
{
    float q = round_half_away(x / MODEL_INPUT_SCALE) + (float)MODEL_INPUT_ZERO_POINT;
    if (q < -128.0f) {
        return -128;
    }
    if (q > 127.0f) {
        return 127;
    }
    return (int8_t)q;
}

int app_infer(const float *features, const int8_t **out)
{
    for (size_t i = 0; i < MODEL_INPUT_SIZE; i++) {
        model_input[i] = quantize(features[i]);
    }
    if (model_invoke(model_input, scores) != 0) {
        return 1;
    }
    *out = scores;
    return 0;
}
