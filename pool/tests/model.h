/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reference model of the pool: one byte-sized state per 4K frame, no
 * splitting logic at all.  Drives a real pool with the same operations and
 * compares results, unit choices and every counter after each step.
 * Used by model_test (random sequences) and fuzz/fuzz_ops.c (libFuzzer).
 */
#ifndef __GPOOL_TESTS_MODEL_H
#define __GPOOL_TESTS_MODEL_H

#include "../pool.h"

/* One operation: 8 bytes, any value is valid (the fuzzer's encoding). */
#define MODEL_OP_BYTES	8

struct model;

/* Build a pool with the model topology; @variant picks owner policies. */
struct model *model_create(unsigned int variant);
void model_destroy(struct model *m);

/* Apply one operation to both; 0, or -1 after printing the mismatch. */
int model_step(struct model *m, const u8 *op);

/* Compare every allocated unit with gpool_query(); 0 or -1. */
int model_check_all(struct model *m);

/* Steps taken and units allocated, for progress output. */
unsigned long model_nr_steps(const struct model *m);
unsigned long model_nr_units(const struct model *m);

#endif /* __GPOOL_TESTS_MODEL_H */
