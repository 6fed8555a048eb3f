/* KWS on the device: a received clip of raw 8 kHz int16 PCM -> the fixed-window rule (window.c) -> MFCC through
 * CMSIS-DSP arm_mfcc_f32, mean normalisation and lifter (mfcc.c) -> int8 model input with the model's scale and
 * zero point -> the generated model -> 10 int8 scores. The board picks its own window, as kws/window.py does.
 *
 * Payload (fixed size, little-endian, written by kws/device.py clip_payloads): uint16 sample count n
 * (0..KWS_MAX_CLIP_SAMPLES), then KWS_MAX_CLIP_SAMPLES int16 words of which the first n are the clip (rest zero).
 * KWS_MAX_CLIP_SAMPLES fills the protocol's largest payload (16384 bytes = 8191 samples + the count). */
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "kws_config.h"
#include "mfcc.h"
#include "model.h"
#include "model_identity.h"
#include "window.h"

#define KWS_PAYLOAD_BYTES (2u * (1u + (uint32_t)KWS_MAX_CLIP_SAMPLES))

#if MODEL_INPUT_SIZE != KWS_N_FEATURES
#error "the generated model's input size is not KWS_N_FRAMES x KWS_N_MFCC (kws_config.h)"
#endif
#if MODEL_OUTPUT_SIZE != KWS_N_LABELS
#error "the generated model's output size is not KWS_N_LABELS"
#endif
#if KWS_MAX_CLIP_SAMPLES > 65535
#error "the clip's sample count is sent as uint16"
#endif

static int16_t clip[KWS_MAX_CLIP_SAMPLES];
static int16_t window_pcm[KWS_WINDOW_SAMPLES];
static float features_buffer[KWS_N_FEATURES];
static int mfcc_ready;

const app_info_t app_info = {
    .app_name = "kws",
    .model_name = MODEL_IDENTITY,
    .input_bytes = KWS_PAYLOAD_BYTES,
    .input_rank = 1,
    .input_shape = {1u + KWS_MAX_CLIP_SAMPLES, 0, 0, 0},
    .input_type = APP_INPUT_INT16,
    .feature_count = KWS_N_FEATURES,
    .output_count = MODEL_OUTPUT_SIZE,
};

static uint16_t read_u16(const uint8_t *p) { return (uint16_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8)); }

/* Features are the model's float inputs: (KWS_N_FRAMES, KWS_N_MFCC) frame-major, as kws.mfcc.compute_mfcc. */
int app_features(const uint8_t *raw, size_t raw_bytes, const float **features)
{
    if (raw == NULL || raw_bytes != KWS_PAYLOAD_BYTES) {
        return 1;
    }
    if (!mfcc_ready) {
        if (kws_mfcc_init() != 0) {
            return 1;
        }
        mfcc_ready = 1;
    }
    size_t n = read_u16(raw);
    if (n > KWS_MAX_CLIP_SAMPLES) {
        return 1;
    }
    for (size_t i = 0; i < n; i++) { /* bytes, not an int16 cast: the payload may sit at any address */
        clip[i] = (int16_t)read_u16(raw + 2u + 2u * i);
    }
    kws_window_extract(clip, n, window_pcm);
    if (kws_mfcc_compute(window_pcm, features_buffer) != 0) {
        return 1;
    }
    *features = features_buffer;
    return 0;
}
