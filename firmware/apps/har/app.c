/* HAR on the device: a received raw window (HAR_WINDOW_SAMPLES x 3 float32, x/y/z interleaved, m/s^2 at
 * HAR_SAMPLE_RATE_HZ, as WISDM records it) -> the model's float inputs exactly as har/ computes them on the host
 * (HAR_MODEL_INPUT: 1, standardised features from features.c for the MLPs; 0, the window itself for the CNN; 2, for
 * mlp_cnn1d, both in one tensor: the features zero-padded to HAR_FEATURE_ROWS rows of 3, then the window times
 * HAR_WINDOW_SCALE, har.model.combined_inputs) -> int8 model input with
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

#define HAR_INPUT_WINDOW 0
#define HAR_INPUT_FEATURES 1
#define HAR_INPUT_FEATURES_WINDOW 2
#define HAR_FEATURE_ROWS ((HAR_N_FEATURES + HAR_N_AXES - 1) / HAR_N_AXES)

#if HAR_MODEL_INPUT == HAR_INPUT_FEATURES
#define HAR_MODEL_INPUTS HAR_N_FEATURES
#elif HAR_MODEL_INPUT == HAR_INPUT_WINDOW
#define HAR_MODEL_INPUTS HAR_WINDOW_VALUES
#elif HAR_MODEL_INPUT == HAR_INPUT_FEATURES_WINDOW
#define HAR_MODEL_INPUTS (HAR_FEATURE_ROWS * HAR_N_AXES + HAR_WINDOW_VALUES)
#else
#error "HAR_MODEL_INPUT must be 0 (window), 1 (features) or 2 (features, then the scaled window)"
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

/* Features here are the model's float inputs: standardised features (MLP), the raw window (CNN) or both
 * (mlp_cnn1d), i.e. what har.dataset.model_inputs() returns on the host. */
int app_features(const uint8_t *raw, size_t raw_bytes, const float **features)
{
    if (raw == NULL || raw_bytes != sizeof window) {
        return 1;
    }
    memcpy(window, raw, sizeof window); /* little-endian float32 on both sides; memcpy avoids unaligned loads */
#if HAR_MODEL_INPUT == HAR_INPUT_WINDOW
    memcpy(model_floats, window, sizeof model_floats);
#else
    if (har_features_compute(window, model_floats) != 0) {
        return 1;
    }
    har_features_normalize(model_floats);
#endif
#if HAR_MODEL_INPUT == HAR_INPUT_FEATURES_WINDOW
    for (size_t i = HAR_N_FEATURES; i < HAR_FEATURE_ROWS * HAR_N_AXES; i++) {
        model_floats[i] = 0.0f; /* the padding of the last feature row */
    }
    /* one float32 multiply per value, as numpy does it in float32 (no sum, nothing to contract): bit-identical */
    for (size_t i = 0; i < HAR_WINDOW_VALUES; i++) {
        model_floats[HAR_FEATURE_ROWS * HAR_N_AXES + i] = window[i] * HAR_WINDOW_SCALE;
    }
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
