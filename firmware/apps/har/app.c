/* HAR on the device: a received raw window (HAR_WINDOW_SAMPLES x 3 float32, x/y/z interleaved, m/s^2 at
 * HAR_SAMPLE_RATE_HZ, as WISDM records it) -> the model's float inputs exactly as har/ computes them on the host
 * (standardised features from features.c for the MLPs; the window itself for the CNN) -> int8 model input with
 * the model's scale and zero point -> the generated model -> 6 int8 scores -> the reported class: their sum over the
 * last HAR_SMOOTH_WINDOWS windows of the stream (smoothing.c; 1 = the window's own argmax). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app.h"
#include "har_config.h"
#include "har_features.h"
#include "smoothing.h"
#include "model.h"
#include "model_identity.h"

#define HAR_WINDOW_VALUES (HAR_WINDOW_SAMPLES * HAR_N_AXES)

#if HAR_MODEL_INPUT_FEATURES
#define HAR_MODEL_INPUTS HAR_N_FEATURES
#else
#define HAR_MODEL_INPUTS HAR_WINDOW_VALUES
#endif

#if MODEL_INPUT_SIZE != HAR_MODEL_INPUTS
#error "the generated model's input size does not match har_config.h (features or raw window)"
#endif
#if MODEL_OUTPUT_SIZE != HAR_N_CLASSES
#error "the generated model's output size is not HAR_N_CLASSES"
#endif

static float window[HAR_WINDOW_VALUES];
static float model_floats[HAR_MODEL_INPUTS];
static har_smoothing_t smoothing; /* zero-initialised: an empty stream */

const app_info_t app_info = {
    .app_name = "har",
    .model_name = MODEL_IDENTITY,
    .input_bytes = HAR_WINDOW_VALUES * sizeof(float),
    .input_rank = 2,
    .input_shape = {HAR_WINDOW_SAMPLES, HAR_N_AXES, 0, 0},
    .input_type = APP_INPUT_FLOAT32,
    .feature_count = HAR_MODEL_INPUTS,
    .output_count = MODEL_OUTPUT_SIZE,
};

/* Features here are the model's float inputs: standardised features (MLP) or the raw window (CNN), i.e. what
 * har.dataset.model_inputs() returns on the host. */
int app_features(const uint8_t *raw, size_t raw_bytes, const float **features)
{
    if (raw == NULL || raw_bytes != sizeof window) {
        return 1;
    }
    memcpy(window, raw, sizeof window); /* little-endian float32 on both sides; memcpy avoids unaligned loads */
#if HAR_MODEL_INPUT_FEATURES
    if (har_features_compute(window, model_floats) != 0) {
        return 1;
    }
    har_features_normalize(model_floats);
#else
    memcpy(model_floats, window, sizeof model_floats);
#endif
    *features = model_floats;
    return 0;
}

/* The class for this window: its scores summed with the stream's previous HAR_SMOOTH_WINDOWS - 1 (smoothing.c). */
uint16_t app_decide(const int8_t *scores)
{
    return har_smoothing_decide(&smoothing, scores, NULL);
}

void app_stream_reset(void)
{
    har_smoothing_reset(&smoothing);
}
