/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixed regression seeds of model_test: each runs every time, exactly as
 * recorded (seed, owner-policy variant, steps), whatever the random seed.
 * Add one when a random run finds a bug: the seed and variant it printed,
 * the step it failed at rounded up, and what it caught.  fuzz/corpus/ has
 * the same streams as inputs (fuzz/gen-corpus.py, REGRESS).  Included by
 * model_test.c only.
 */
static const struct model_seed model_seeds[] = {
	/*
	 * c1003a5: gpool_alloc_feasible() skipped the capacity check when an
	 * allocation used a promised unit of the level it took, also on a
	 * node whose bad frames had broken the invariant, so the allocation
	 * succeeded there instead of going to the other node (or failing
	 * with -ENOMEM).  One seed per variant; each fails at the step
	 * noted with the skip put back.
	 */
	{ 2056, 3, 64, "c1003a5 feasibility with bad frames, 2M, step 19" },
	{ 2028, 1, 128, "c1003a5 feasibility with bad frames, 4K, step 84" },
	{ 2065, 2, 128, "c1003a5 feasibility with bad frames, 4K, step 85" },
	{ 2053, 0, 256, "c1003a5 feasibility with bad frames, 4K, step 147" },
};
