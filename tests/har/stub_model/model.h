/* A stand-in for the generated model (tests/har only): the shared.codegen NAME.h contract with NAME = model.
 * model_invoke keeps a copy of its int8 input in stub_last_input so the test can check the app's quantization. */
#ifndef MODEL_H
#define MODEL_H

#include <stdint.h>

#ifndef MODEL_INPUT_SIZE
#define MODEL_INPUT_SIZE 27
#endif
#define MODEL_OUTPUT_SIZE 6
#define MODEL_ARENA_SIZE 16
#define MODEL_INPUT_SCALE 0.0312500000f
#define MODEL_INPUT_ZERO_POINT (-3)
#define MODEL_OUTPUT_SCALE 0.00390625f
#define MODEL_OUTPUT_ZERO_POINT (-128)

extern int8_t stub_last_input[MODEL_INPUT_SIZE];
int model_invoke(const int8_t *input, int8_t *output);

#endif /* MODEL_H */
