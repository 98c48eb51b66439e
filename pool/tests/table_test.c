// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the table of a pool-backed file (pool/table.c) on the harness
 * pool of table_model.h: deterministic cases, then the random model-based
 * test (table_model.c).
 *
 *   table_test [-s SEED] [-N SEEDS] [-n STEPS] [-l] [-R]
 *
 * As model_test: the fixed seeds below run first, each exactly as
 * recorded; then SEEDS random seeds SEED, SEED + 1, ... run every variant
 * for STEPS steps.  SEED comes from -s, else from the environment
 * (TABLE_SEED), else from the clock; it is printed, and "-s THAT -N 1"
 * replays a failure.  -l runs ten times as many steps, -R leaves out the
 * fixed seeds.  Every case and every run also checks, through
 * tm_env_destroy(), that destroying the tables gives the pool back as it
 * was.
 */
#include <time.h>
#include <unistd.h>

#include "seed_args.h"
#include "table_model.h"
#include "kselftest.h"

#define PG_2M		TM_PG_2M
#define PG_1G		TM_PG_1G
#define DEF_SEEDS	2
#define DEF_STEPS	300

#define EXPECT(cond)	TM_EXPECT(e, cond)

/* The frame backing page @index of file @fi, and the order of its unit. */
static u64 lk(struct tm_env *e, unsigned int fi, u64 index,
	      unsigned int *order)
{
	unsigned int o;
	u64 pfn;

	gpool_table_lookup(&e->file[fi].t, index, &pfn, order ? order : &o);
	return pfn;
}

/* Populate @index of file @fi: it must work, merging as @merge says. */
static void fill(struct tm_env *e, unsigned int fi, u64 index, bool merge)
{
	bool merged;

	if (tm_populate(e, fi, index, &merged) || merged != merge)
		tm_fail(e, __LINE__, "populate %u/%llu: merged %d, want %d", fi,
			index, merged, merge);
}

static u8 state(struct tm_env *e, unsigned int fi, unsigned long ci)
{
	return e->file[fi].t.chunks[ci].state;
}

static bool units(struct tm_env *e, unsigned int fi, u64 n4k, u64 n2m,
		  u64 n1g)
{
	const u64 *n = e->file[fi].t.nr_units;

	return n[GPOOL_LVL_4K] == n4k && n[GPOOL_LVL_2M] == n2m &&
	       n[GPOOL_LVL_1G] == n1g;
}

static bool span_is(struct tm_env *e, unsigned int fi, u64 s, u64 end,
		    u64 want_s, u64 want_end)
{
	gpool_table_span(&e->file[fi].t, &s, &end);
	return s == want_s && end == want_end;
}

/* The end of every case: the model agrees, and the pool comes back. */
static int done(struct tm_env *e)
{
	tm_check(e);
	return tm_env_destroy(e);
}

/* A 1G file takes one 1G unit, cleared once. */
static int case_populate_1g(void)
{
	struct tm_env *e = tm_env_create(0);
	int fi = tm_add_file(e, PG_1G, GPOOL_ORDER_1G, GPOOL_MODE_BIND, 0);
	unsigned int o;
	u64 pfn;

	fill(e, fi, 12345, false);
	pfn = lk(e, fi, 0, &o);
	EXPECT(o == GPOOL_ORDER_1G && IS_ALIGNED(pfn, PG_1G));
	EXPECT(lk(e, fi, PG_1G - 1, NULL) == pfn + PG_1G - 1);
	EXPECT(units(e, fi, 0, 0, 1));
	EXPECT(e->file[fi].t.node_bytes[0] == PAGE_SIZE << GPOOL_ORDER_1G);
	EXPECT(tm_counts.clear == 1 && tm_counts.clear_pfn == pfn &&
	       tm_counts.clear_order == GPOOL_ORDER_1G);
	fill(e, fi, PG_1G - 1, false);
	EXPECT(tm_counts.clear == 1);
	return done(e);
}

/* Past the last whole window 2M units, past the last whole chunk 4K. */
static int case_tail_units(void)
{
	struct tm_env *e = tm_env_create(0);
	int a = tm_add_file(e, PG_1G + PG_2M + 3, GPOOL_ORDER_1G,
			    GPOOL_MODE_PREFERRED, 0);
	int b = tm_add_file(e, PG_2M + PG_2M / 2, GPOOL_ORDER_1G,
			    GPOOL_MODE_PREFERRED, 1);
	unsigned int o;

	fill(e, a, 7, false);
	lk(e, a, 0, &o);
	EXPECT(o == GPOOL_ORDER_1G);
	fill(e, a, PG_1G + 9, false);
	lk(e, a, PG_1G, &o);
	EXPECT(o == GPOOL_ORDER_2M);
	fill(e, a, PG_1G + PG_2M + 1, false);
	lk(e, a, PG_1G + PG_2M + 1, &o);
	EXPECT(o == GPOOL_ORDER_4K && !lk(e, a, PG_1G + PG_2M, NULL));
	fill(e, a, PG_1G + PG_2M, false);
	fill(e, a, PG_1G + PG_2M + 2, false);
	EXPECT(units(e, a, 3, 1, 1));
	EXPECT(state(e, a, PG_1G / PG_2M + 1) == GPOOL_CHUNK_4K);

	/* Smaller than a window: never 1G, although it may take 1G. */
	fill(e, b, 0, false);
	lk(e, b, 0, &o);
	EXPECT(o == GPOOL_ORDER_2M);
	fill(e, b, PG_2M + 3, false);
	lk(e, b, PG_2M + 3, &o);
	EXPECT(o == GPOOL_ORDER_4K && units(e, b, 1, 1, 0));
	EXPECT(e->file[b].t.node_bytes[1] == (PG_2M + 1) * PAGE_SIZE);
	return done(e);
}

/* A file of max_order 2M or 4K never gets a larger unit. */
static int case_max_order(void)
{
	struct tm_env *e = tm_env_create(0);
	int a = tm_add_file(e, PG_1G, GPOOL_ORDER_2M, GPOOL_MODE_BIND, 0);
	int b = tm_add_file(e, 4 * PG_2M, GPOOL_ORDER_4K, GPOOL_MODE_BIND, 0);
	unsigned int o;
	u64 p;

	for (p = 0; p < PG_1G; p += PG_2M)
		fill(e, a, p + 5, false);
	lk(e, a, 0, &o);
	EXPECT(o == GPOOL_ORDER_2M && units(e, a, 0, PG_1G / PG_2M, 0));
	fill(e, b, 0, false);
	fill(e, b, PG_2M + 1, false);
	lk(e, b, 0, &o);
	EXPECT(o == GPOOL_ORDER_4K && units(e, b, 2, 0, 0));
	/* A whole 4K chunk at home stays 4K in such a file. */
	for (p = 0; p < PG_2M; p++)
		fill(e, b, p, false);
	EXPECT(state(e, b, 0) == GPOOL_CHUNK_4K && units(e, b, PG_2M + 1, 0, 0));
	return done(e);
}

/*
 * Punching one 4K page of a 1G unit: the window becomes 2M chunks, the
 * chunk of the page 4K chunks, only that frame is freed; refilling the
 * page takes that very frame back and merges back into the 1G unit.
 */
static int case_punch_refill_1g(void)
{
	struct tm_env *e = tm_env_create(0);
	int fi = tm_add_file(e, PG_1G, GPOOL_ORDER_1G, GPOOL_MODE_BIND, 0);
	struct gpool_unit u;
	unsigned int o;
	unsigned long ci, n2m = 0, freed;
	u64 base;

	fill(e, fi, 0, false);
	base = lk(e, fi, 0, NULL);
	freed = tm_counts.freed;
	EXPECT(!tm_punch(e, fi, 700, 701));
	EXPECT(tm_counts.freed == freed + 1 &&
	       test_bit(700, e->file[fi].freed));
	for (ci = 0; ci < PG_1G / PG_2M; ci++)
		n2m += state(e, fi, ci) == GPOOL_CHUNK_2M;
	EXPECT(state(e, fi, 1) == GPOOL_CHUNK_4K && n2m == PG_1G / PG_2M - 1);
	EXPECT(units(e, fi, PG_2M - 1, PG_1G / PG_2M - 1, 0));
	EXPECT(e->file[fi].t.node_bytes[0] ==
	       (PAGE_SIZE << GPOOL_ORDER_1G) - PAGE_SIZE);
	EXPECT(!lk(e, fi, 700, NULL) &&
	       gpool_query(e->pool, base + 700, &u) == -ENOENT);
	EXPECT(lk(e, fi, 699, &o) == base + 699 && o == GPOOL_ORDER_4K);
	EXPECT(lk(e, fi, 5, &o) == base + 5 && o == GPOOL_ORDER_2M);
	EXPECT(e->file[fi].t.chunks[1].home == base + PG_2M);
	tm_check(e);

	fill(e, fi, 700, true);
	EXPECT(lk(e, fi, 700, &o) == base + 700 && o == GPOOL_ORDER_1G);
	EXPECT(units(e, fi, 0, 0, 1) && state(e, fi, 1) == GPOOL_CHUNK_1G &&
	       !e->file[fi].t.chunks[1].pages);
	return done(e);
}

/* The same one level down: a 2M unit of a file of max_order 2M. */
static int case_punch_refill_2m(void)
{
	struct tm_env *e = tm_env_create(0);
	int fi = tm_add_file(e, 2 * PG_2M, GPOOL_ORDER_2M, GPOOL_MODE_BIND, 1);
	unsigned int o;
	u64 base;

	fill(e, fi, PG_2M + 3, false);
	base = lk(e, fi, PG_2M, NULL);
	EXPECT(!tm_punch(e, fi, PG_2M + 3, PG_2M + 5));
	EXPECT(units(e, fi, PG_2M - 2, 0, 0));
	fill(e, fi, PG_2M + 4, false);
	fill(e, fi, PG_2M + 3, true);
	EXPECT(lk(e, fi, PG_2M + 3, &o) == base + 3 && o == GPOOL_ORDER_2M);
	EXPECT(units(e, fi, 0, 1, 0));
	return done(e);
}

/* A home frame someone else took: refilled elsewhere, not merged. */
static int case_refill_home_taken(void)
{
	struct tm_env *e = tm_env_create(0);
	int fi = tm_add_file(e, PG_1G, GPOOL_ORDER_1G, GPOOL_MODE_BIND, 0);
	unsigned int o;
	u64 base;

	fill(e, fi, 0, false);
	base = lk(e, fi, 0, NULL);
	EXPECT(!tm_punch(e, fi, 700, 701));
	EXPECT(!tm_thief_take(e, base + 700, GPOOL_ORDER_4K));
	fill(e, fi, 700, false);
	EXPECT(lk(e, fi, 700, &o) != base + 700 && o == GPOOL_ORDER_4K);
	EXPECT(e->file[fi].t.chunks[1].home == base + PG_2M);
	tm_check(e);

	/* Once it is free again, a second refill finds it at home. */
	EXPECT(!tm_punch(e, fi, 700, 701));
	tm_thief_give(e, 0);
	fill(e, fi, 700, true);
	EXPECT(lk(e, fi, 700, &o) == base + 700 && o == GPOOL_ORDER_1G);

	/* A whole 2M chunk: taken, another 2M, the window stays 2M units. */
	EXPECT(!tm_punch(e, fi, 3 * PG_2M, 4 * PG_2M));
	EXPECT(!tm_thief_take(e, base + 3 * PG_2M, GPOOL_ORDER_2M));
	fill(e, fi, 3 * PG_2M, false);
	EXPECT(lk(e, fi, 0, &o) == base && o == GPOOL_ORDER_2M);
	EXPECT(units(e, fi, 0, PG_1G / PG_2M, 0));
	return done(e);
}

/* gpool_table_span() widens to whole units: 1G, 2M, 4K. */
static int case_span(void)
{
	struct tm_env *e = tm_env_create(0);
	int a = tm_add_file(e, PG_1G, GPOOL_ORDER_1G, GPOOL_MODE_BIND, 0);
	int b = tm_add_file(e, 2 * PG_2M, GPOOL_ORDER_2M, GPOOL_MODE_BIND, 0);
	int c = tm_add_file(e, PG_2M, GPOOL_ORDER_4K, GPOOL_MODE_BIND, 0);

	fill(e, a, 0, false);
	EXPECT(span_is(e, a, 700, 701, 0, PG_1G));
	EXPECT(!tm_punch(e, a, 700, 701));
	EXPECT(!tm_punch(e, a, 3 * PG_2M, 4 * PG_2M));
	EXPECT(span_is(e, a, 700, 701, 700, 701));
	EXPECT(span_is(e, a, 5, 6, 0, PG_2M));
	EXPECT(span_is(e, a, 100, 700, 0, 700));
	EXPECT(span_is(e, a, 699, 2 * PG_2M + 6, 699, 3 * PG_2M));
	EXPECT(span_is(e, a, 3 * PG_2M + 1, 3 * PG_2M + 2, 3 * PG_2M + 1,
		       3 * PG_2M + 2));
	fill(e, b, 0, false);
	EXPECT(span_is(e, b, 3, 4, 0, PG_2M));
	EXPECT(span_is(e, b, 3, PG_2M + 1, 0, PG_2M + 1));
	fill(e, c, 3, false);
	EXPECT(span_is(e, c, 3, 9, 3, 9));
	return done(e);
}

/* gpool_table_find(): the page of a frame, -1 for anyone else's. */
static int case_find(void)
{
	struct tm_env *e = tm_env_create(0);
	int a = tm_add_file(e, PG_1G, GPOOL_ORDER_1G, GPOOL_MODE_BIND, 0);
	int b = tm_add_file(e, PG_2M + 1, GPOOL_ORDER_2M, GPOOL_MODE_BIND, 0);
	struct gpool_table *t = &e->file[a].t;
	unsigned long resched;
	u64 base;

	fill(e, a, 0, false);
	fill(e, b, PG_2M, false);
	base = lk(e, a, 0, NULL);
	resched = tm_counts.resched;
	EXPECT(gpool_table_find(t, base + 700) == 700);
	EXPECT(tm_counts.resched > resched);
	EXPECT(gpool_table_find(t, lk(e, b, PG_2M, NULL)) == -1);
	EXPECT(gpool_table_find(&e->file[b].t, base) == -1);
	EXPECT(gpool_table_find(t, base + PG_1G) == -1);
	EXPECT(!tm_punch(e, a, 700, 701));
	EXPECT(gpool_table_find(t, base + 700) == -1);
	EXPECT(gpool_table_find(t, base + 699) == 699);
	EXPECT(gpool_table_find(t, base + 5) == 5);
	EXPECT(gpool_table_find(t, base + PG_1G - 1) == PG_1G - 1);
	return done(e);
}

/*
 * Every allocation of a punch failed in turn, on a fresh table each time:
 * the pages freed before the failure are reported and gone, the rest stay
 * backed, the table and the pool agree, and a second punch finishes it.
 * Over 2M chunks the second split fails after the first chunks are freed.
 */
static int case_punch_fails_partway(void)
{
	static const unsigned int order[] = { GPOOL_ORDER_2M, GPOOL_ORDER_1G };
	unsigned int k, fails = 0, partial = 0;
	u64 s = 100, end = 3 * PG_2M + 100, p;
	int err = 0, ret;
	long n;

	for (k = 0; k < ARRAY_SIZE(order) && !err; k++) {
		for (n = 0, ret = -ENOMEM; n < 64 && ret && !err; n++) {
			struct tm_env *e = tm_env_create(0);
			int fi = tm_add_file(e, PG_1G, order[k],
					     GPOOL_MODE_BIND, 0);
			bool some = false;

			for (p = 0; p < 4 * PG_2M; p += PG_2M)
				fill(e, fi, p, false);
			shim_fail_after(n);
			ret = tm_punch(e, fi, s, end);
			shim_fail_after(-1);
			EXPECT(!ret || ret == -ENOMEM);
			for (p = s; p < end; p++)
				some |= test_bit(p, e->file[fi].freed);
			if (ret) {
				fails++;
				partial += some;
				EXPECT(lk(e, fi, end - 1, NULL));
				tm_check(e);
				EXPECT(!tm_punch(e, fi, s, end));
			}
			EXPECT(!lk(e, fi, s, NULL) && !lk(e, fi, end - 1, NULL));
			EXPECT(lk(e, fi, s - 1, NULL) && lk(e, fi, end, NULL));
			err = done(e);
		}
		if (ret)
			err = -EIO;
	}
	if (!err && (fails < 3 || !partial)) {
		ksft_print_msg("punch_fails_partway: %u failures, %u partial\n",
			       fails, partial);
		err = -EIO;
	}
	return err;
}

/* A populate whose allocation or clear fails changes nothing. */
static int case_populate_fails(void)
{
	static const unsigned int order[] = {
		GPOOL_ORDER_4K, GPOOL_ORDER_2M, GPOOL_ORDER_1G,
	};
	unsigned int k;
	bool merged;
	int ret = 0;
	long n;

	for (k = 0; k < ARRAY_SIZE(order) && !ret; k++) {
		struct tm_env *e = tm_env_create(0);
		int fi = tm_add_file(e, PG_1G, order[k], GPOOL_MODE_BIND, 0);

		for (n = 0, ret = -ENOMEM; n < 64 && ret && !e->err; n++) {
			e->injecting = true;
			shim_fail_after(n);
			ret = tm_populate(e, fi, 5, &merged);
			shim_fail_after(-1);
			e->injecting = false;
			EXPECT(!ret || ret == -ENOMEM);
			tm_check(e);
		}
		EXPECT(!ret);
		EXPECT(!tm_punch(e, fi, 5, 6));
		tm_counts.clear_fail = 1;
		EXPECT(tm_populate(e, fi, 5, &merged) == -EIO);
		EXPECT(!tm_counts.clear_fail);
		fill(e, fi, 5, order[k] > GPOOL_ORDER_4K);
		ret = done(e);
	}
	return ret;
}

/* Only units the pool hands out dirty are cleared. */
static int case_clear_dirty_only(void)
{
	struct tm_env *e = tm_env_create(GPOOL_RANGE_ZEROED);
	int fi = tm_add_file(e, PG_1G, GPOOL_ORDER_1G, GPOOL_MODE_BIND, 0);

	fill(e, fi, 0, false);
	EXPECT(tm_counts.clear == 0);
	EXPECT(!tm_punch(e, fi, 0, PG_1G));
	fill(e, fi, 0, false);
	EXPECT(tm_counts.clear == 1 &&
	       tm_counts.clear_order == GPOOL_ORDER_1G);
	return done(e);
}

/*
 * Three files, split, merged, a home stolen, a failed punch left as it
 * is: destroying them frees every page (ops->freed) and leaves the pool
 * as it was; the long punches rescheduled, the zeroer was never paused.
 */
static int case_destroy_returns_all(void)
{
	struct tm_env *e = tm_env_create(0);
	int a = tm_add_file(e, PG_1G + PG_2M + 3, GPOOL_ORDER_1G,
			    GPOOL_MODE_INTERLEAVE, 0);
	int b = tm_add_file(e, 3 * PG_2M + 2, GPOOL_ORDER_2M,
			    GPOOL_MODE_BIND, 1);
	int c = tm_add_file(e, PG_2M + 7, GPOOL_ORDER_4K,
			    GPOOL_MODE_PREFERRED, 1);
	u64 p;

	fill(e, a, 0, false);
	fill(e, a, PG_1G + PG_2M + 2, false);
	EXPECT(!tm_punch(e, a, 1000, 1001));
	EXPECT(!tm_thief_take(e, lk(e, a, 999, NULL) + 1, GPOOL_ORDER_4K));
	fill(e, a, 1000, false);
	for (p = 0; p < 3 * PG_2M + 2; p += 100)
		fill(e, b, p, false);
	EXPECT(!tm_punch(e, b, 10, PG_2M + 20));
	fill(e, c, PG_2M + 6, false);
	fill(e, c, 3, false);
	EXPECT(!tm_thief_take(e, 0, GPOOL_ORDER_2M));
	shim_fail_after(0);
	EXPECT(tm_punch(e, a, PG_2M + 5, 5 * PG_2M + 7) == -ENOMEM);
	EXPECT(!lk(e, a, 3 * PG_2M, NULL) && lk(e, a, 5 * PG_2M, NULL));
	shim_fail_after(-1);
	tm_check(e);
	EXPECT(tm_counts.resched > 0 && tm_counts.pause == 0);
	return done(e);
}

static const struct {
	const char *name;
	int (*run)(void);
} cases[] = {
	{ "populate_1g", case_populate_1g },
	{ "tail_units", case_tail_units },
	{ "max_order", case_max_order },
	{ "punch_refill_1g", case_punch_refill_1g },
	{ "punch_refill_2m", case_punch_refill_2m },
	{ "refill_home_taken", case_refill_home_taken },
	{ "span", case_span },
	{ "find", case_find },
	{ "punch_fails_partway", case_punch_fails_partway },
	{ "populate_fails", case_populate_fails },
	{ "clear_dirty_only", case_clear_dirty_only },
	{ "destroy_returns_all", case_destroy_returns_all },
};

/*
 * Fixed seeds: seed, variant, steps, and what it caught: breakages of
 * table.c put in by hand, each found by this seed at the step noted.
 */
static const struct {
	u64 seed;
	unsigned int variant;
	unsigned long steps;
	const char *caught;
} table_seeds[] = {
	{ 1, 0, 64, "a whole 2M punch not reported freed, step 50; "
		    "chunk_to_4k miscounting 4K units, step 21; "
		    "punch_4k not counting pages, step 8" },
	{ 2, 0, 256, "a 4K refill not asking for its home, step 113; "
		     "find off by one in a 1G chunk, step 213" },
};

int main(int argc, char **argv)
{
	unsigned long steps, nr_seeds, k, at;
	bool regress, failed = false;
	struct seed_args args;
	unsigned int i, v, nr_regress;
	int err;
	u64 seed;

	if (!seed_args_parse(&args, argc, argv, "TABLE_SEED", DEF_STEPS, DEF_SEEDS))
		return KSFT_FAIL;
	seed = args.seed;
	nr_seeds = args.nr_seeds;
	steps = args.steps;
	regress = args.regress;

	ksft_print_header();
	ksft_print_msg("random seed %llu (replay with -s %llu)\n", seed, seed);
	nr_regress = regress ? ARRAY_SIZE(table_seeds) : 0;
	ksft_set_plan(ARRAY_SIZE(cases) + nr_regress + TM_NR_VARIANTS);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		err = cases[i].run();
		if (!err && shim_check_clean(cases[i].name))
			err = -EIO;
		if (err)
			ksft_test_result_fail("table.%s\n", cases[i].name);
		else
			ksft_test_result_pass("table.%s\n", cases[i].name);
	}

	for (i = 0; i < nr_regress; i++) {
		at = tm_run(table_seeds[i].seed, table_seeds[i].variant,
			    table_seeds[i].steps);
		if (at)
			ksft_test_result_fail("table.regress_%u seed %llu: step %lu (%s)\n",
					      i, table_seeds[i].seed, at,
					      table_seeds[i].caught);
		else
			ksft_test_result_pass("table.regress_%u seed %llu variant %u (%s)\n",
					      i, table_seeds[i].seed,
					      table_seeds[i].variant,
					      table_seeds[i].caught);
	}

	for (v = 0; v < TM_NR_VARIANTS; v++) {
		if (failed) {
			ksft_test_result_skip("table.model_%u: after a failure\n",
					      v);
			continue;
		}
		for (k = 0, at = 0; k < nr_seeds && !at; k++)
			at = tm_run(seed + k, v, steps);
		failed = at;
		if (at) {
			ksft_print_msg("replay with -s %llu -N 1\n",
				       seed + k - 1);
			ksft_test_result_fail("table.model_%u seed %llu: step %lu\n",
					      v, seed + k - 1, at);
		} else {
			ksft_test_result_pass("table.model_%u (%lu seeds x %lu steps)\n",
					      v, nr_seeds, steps);
		}
	}
	ksft_finished();
}
