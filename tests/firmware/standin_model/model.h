/* A hand-written stand-in for a generated model (tests only): what shared.codegen's NAME.h gives, with
 * NAME = model (MODEL_INPUT_SIZE, MODEL_OUTPUT_SIZE, MODEL_ARENA_SIZE, the input and output scale and zero point,
 * model_invoke), so the firmware can be tested before any real model exists.
 * Its Python twin is tests/firmware/standin.py. */
#ifndef MODEL_H
#define MODEL_H

#include <stdint.h>

#define MODEL_INPUT_SIZE 784
#define MODEL_OUTPUT_SIZE 10
#define MODEL_ARENA_SIZE 16
#define MODEL_INPUT_SCALE 0.00392156886f
#define MODEL_INPUT_ZERO_POINT (-128)
#define MODEL_OUTPUT_SCALE 0.25f
#define MODEL_OUTPUT_ZERO_POINT (-128)

int model_invoke(const int8_t *input, int8_t *output);

#endif /* MODEL_H */
