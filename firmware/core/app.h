/* What an app (firmware/apps/<app>/) gives the core: a description and two steps, raw input -> features -> scores.
 * The core owns the serial protocol, timing and buffers of raw input; the app owns its feature and score buffers.
 * See firmware/README.md, "Adding an app". */
#ifndef CORE_APP_H
#define CORE_APP_H

#include <stddef.h>
#include <stdint.h>

#define APP_MAX_RANK 4

typedef struct {
    const char *app_name;       /* "mnist", "kws", "har" */
    const char *model_name;     /* which model the generated code came from (e.g. the .tflite's file name) */
    uint32_t input_bytes;       /* exact size of one raw input in bytes (INFER/FEATURES payload) */
    uint8_t input_rank;         /* dimensions used in input_shape */
    uint16_t input_shape[APP_MAX_RANK]; /* raw input shape, e.g. 28 x 28 pixels or 8000 samples */
    uint8_t input_type;         /* APP_INPUT_* below: element type of the raw input */
    uint32_t feature_count;     /* float32 values app_features writes */
    uint32_t output_count;      /* int8 scores app_infer writes (one per class) */
} app_info_t;

enum { APP_INPUT_UINT8 = 0, APP_INPUT_INT16 = 1, APP_INPUT_FLOAT32 = 2 };

extern const app_info_t app_info;

/* raw: app_info.input_bytes bytes as the host sends them (little-endian for multi-byte types).
 * On success sets *features to app_info.feature_count floats (app-owned, valid until the next call), returns 0. */
int app_features(const uint8_t *raw, size_t raw_bytes, const float **features);

/* features: what app_features produced (the model's float input). Provided by core/model_infer.c for every
 * app: quantizes like the host and runs the generated model. On success sets *scores to app_info.output_count
 * int8 scores (valid until the next call), returns 0. */
int app_infer(const float *features, const int8_t **scores);

/* The class the board reports for this input (INFER's LABEL, the bulk record's label), from its int8 scores.
 * An app that decides over a stream of inputs (HAR: the sum of the last windows' scores) keeps that state itself
 * and clears it in app_stream_reset (the RESET request, or a new stream in the bulk run). Both are optional: the
 * core's weak defaults (core/model_infer.c) report the argmax of the scores (the first of equal ones) and keep no
 * state. */
uint16_t app_decide(const int8_t *scores);
void app_stream_reset(void);

#endif /* CORE_APP_H */
