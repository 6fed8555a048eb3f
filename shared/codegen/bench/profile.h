/* profile.h: the benchmark image's per-layer hook; NAME.c is built with -DNAME_LAYER_HOOK=bench_layer_done (the
 * generator's debug hook, see shared/codegen/README.md), so each layer reports its end to main.c. */
#ifndef BENCH_PROFILE_H
#define BENCH_PROFILE_H

#include <stddef.h>
#include <stdint.h>

void bench_layer_done(int op_index, const int8_t *data, size_t bytes);

#endif /* BENCH_PROFILE_H */
