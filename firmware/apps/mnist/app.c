/* MNIST on the device: a received 28 x 28 image (uint8 pixels, row-major as the host sends it) -> float pixels
 * exactly as mnist/ computes them on the host -> int8 model input with the model's scale and zero point ->
 * the generated model -> 10 int8 scores. */
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "mnist_config.h"
#include "model.h"
#include "model_identity.h"

#if MODEL_INPUT_SIZE != MNIST_IMAGE_ROWS * MNIST_IMAGE_COLS
#error "the generated model's input is not one MNIST image (MNIST_IMAGE_ROWS x MNIST_IMAGE_COLS)"
#endif

static float pixels[MODEL_INPUT_SIZE];

const app_info_t app_info = {
    .app_name = "mnist",
    .model_name = MODEL_IDENTITY,
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
