// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized model-based test: long random operation sequences applied to
 * the pool and to the reference model in model.c, checking every result,
 * every counter and gpool_check() after each step.
 *
 *   model_test [-s SEED] [-N SEEDS] [-n STEPS] [-l] [-R]
 *
 * First the fixed regression seeds of model_seeds.h run, each exactly as
 * recorded.  Then SEEDS random seeds SEED, SEED + 1, ... each run every
 * owner-policy variant for STEPS steps.  SEED comes from -s, else from the
 * environment (MODEL_SEED), else from the clock; it is printed.  A failure
 * prints the seed that failed; "-s THAT -N 1" replays it alone.  -l runs
 * ten times as many steps, -R leaves out the regression seeds.
 *
 * The defaults catch the feasibility bug fixed in c1003a5 (put back by
 * hand) in at least 99 of 100 runs with the random seeds alone; see
 * docs/testing.md.
 */
#include <time.h>
#include <unistd.h>

#include "seed_args.h"
#include "model.h"
#include "kselftest.h"

#define NR_VARIANTS	4
#define DEF_SEEDS	16
#define DEF_STEPS	2500

struct model_seed {
	u64 seed;
	unsigned int variant;
	unsigned long steps;
	const char *caught;
};

#include "model_seeds.h"

static u64 rng_state;

/* xorshift64*: small, fast, and the same everywhere. */
static u64 rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* splitmix64's finalizer: neighbouring seeds give unrelated streams. */
static u64 mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Run @steps random steps of @variant from @seed.
 * Return: 0, or the step that failed (from 1).
 */
static unsigned long run_variant(u64 seed, unsigned int variant,
				 unsigned long steps)
{
	struct model *m = model_create(variant);
	unsigned long i, failed;
	int err = 0;

	rng_state = mix(seed * NR_VARIANTS + variant) | 1;
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
	failed = model_nr_steps(m);
	model_destroy(m);
	if (err)
		return failed;
	/* Leaks and WARNs; a failed run leaves units the model missed. */
	return shim_check_clean("model") ? failed : 0;
}

int main(int argc, char **argv)
{
	unsigned long steps, nr_seeds, k;
	bool regress, failed = false;
	struct seed_args args;
	unsigned int v, i;
	u64 seed;

	if (!seed_args_parse(&args, argc, argv, "MODEL_SEED", DEF_STEPS, DEF_SEEDS))
		return KSFT_FAIL;
	seed = args.seed;
	nr_seeds = args.nr_seeds;
	steps = args.steps;
	regress = args.regress;

	ksft_print_header();
	ksft_print_msg("random seed %llu (replay with -s %llu)\n", seed, seed);
	ksft_print_msg("%lu seeds x %u variants x %lu steps\n", nr_seeds,
		       NR_VARIANTS, steps);
	ksft_set_plan((regress ? ARRAY_SIZE(model_seeds) : 0) + NR_VARIANTS);

	for (i = 0; regress && i < ARRAY_SIZE(model_seeds); i++) {
		const struct model_seed *r = &model_seeds[i];
		unsigned long at;

		if (failed) {
			ksft_test_result_skip("model.regress_%u: after a failure\n",
					      i);
			continue;
		}
		at = run_variant(r->seed, r->variant, r->steps);
		failed = at;
		if (at) {
			ksft_print_msg("this seed caught: %s\n", r->caught);
			ksft_test_result_fail("model.regress_%u seed %llu variant %u: step %lu\n",
					      i, r->seed, r->variant, at);
		} else {
			ksft_test_result_pass("model.regress_%u seed %llu variant %u (%s)\n",
					      i, r->seed, r->variant,
					      r->caught);
		}
	}

	for (v = 0; v < NR_VARIANTS; v++) {
		unsigned long at = 0;

		if (failed) {
			ksft_test_result_skip("model.variant_%u: after a failure\n",
					      v);
			continue;
		}
		for (k = 0; k < nr_seeds && !at; k++)
			at = run_variant(seed + k, v, steps);
		failed = at;
		if (at) {
			ksft_print_msg("replay with -s %llu -N 1\n",
				       seed + k - 1);
			ksft_test_result_fail("model.variant_%u seed %llu: step %lu\n",
					      v, seed + k - 1, at);
		} else {
			ksft_test_result_pass("model.variant_%u (%lu seeds x %lu steps)\n",
					      v, nr_seeds, steps);
		}
	}
	ksft_finished();
}
