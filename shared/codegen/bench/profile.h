/* profile.h: included ahead of NAME.c in the benchmark image (-include), which is built with
 * -DCG_LAYER_DONE=bench_layer_done, so each layer reports its end to main.c. */
#ifndef BENCH_PROFILE_H
#define BENCH_PROFILE_H

void bench_layer_done(int op_index);

#endif /* BENCH_PROFILE_H */
