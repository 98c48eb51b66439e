// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized model-based test: long random operation sequences applied to
 * the pool and to the reference model in model.c, checking every result,
 * every counter and gpool_check() after each step.
 *
 *   model_test [-s SEED] [-n STEPS] [-l]
 *
 * The seed is printed; rerun with -s SEED to replay a failure.  -l runs
 * ten times as many steps per variant.
 */
#include <time.h>
#include <unistd.h>

#include "model.h"
#include "kselftest.h"

#define NR_VARIANTS	4

static u64 rng_state;

/* xorshift64*: small, fast, and the same everywhere. */
static u64 rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static int run_variant(unsigned int variant, unsigned long steps)
{
	struct model *m = model_create(variant);
	unsigned long i;
	int err = 0;

	for (i = 0; i < steps && !err; i++) {
		u64 r = rng();
		u8 op[MODEL_OP_BYTES];

		memcpy(op, &r, sizeof(op));
		err = model_step(m, op);
		if (!err && i % 1024 == 1023)
			err = model_check_all(m);
	}
	if (!err)
		err = model_check_all(m);
	model_destroy(m);
	return err;
}

int main(int argc, char **argv)
{
	unsigned long steps = 2500;
	u64 seed = time(NULL) ^ ((u64)getpid() << 32);
	unsigned int v;
	int opt;

	while ((opt = getopt(argc, argv, "s:n:l")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			steps = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			steps *= 10;
			break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-n STEPS] [-l]\n",
				argv[0]);
			return KSFT_FAIL;
		}
	}

	ksft_print_header();
	ksft_print_msg("random seed %llu (replay with -s %llu)\n", seed, seed);
	ksft_set_plan(NR_VARIANTS);
	for (v = 0; v < NR_VARIANTS; v++) {
		int err;

		rng_state = (seed + v) * 0x9e3779b97f4a7c15ULL | 1;
		err = run_variant(v, steps);
		if (!err && shim_check_clean("model"))
			err = -1;
		if (err)
			ksft_test_result_fail("model.variant_%u seed %llu\n", v,
					      seed);
		else
			ksft_test_result_pass("model.variant_%u (%lu steps)\n",
					      v, steps);
	}
	ksft_finished();
}
