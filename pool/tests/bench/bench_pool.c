// SPDX-License-Identifier: GPL-2.0
/*
 * Budgets of the pool core, on simulated pools of any size (the core never
 * touches frames, so a 4 TiB pool costs only its metadata).
 *
 *   bench_pool meta              metadata bytes per GiB, unsplit and with
 *                                every 2M split into 4K frames
 *   bench_pool time GIB          ops/s per operation on a GIB pool
 *   bench_pool op GIB OP N       run N x OP through bench_op_OP() only;
 *                                run-bench.sh runs this under callgrind
 *                                with --toggle-collect=bench_op_OP
 *
 * OP: alloc4k free4k alloc2m free2m alloc1g free1g split merge claim query
 */
#include <time.h>

#include "../../pool.h"

#define PG_2M	512ULL
#define PG_1G	(512ULL * 512)
#define BASE	(64 * PG_1G)
#define NSEC_PER_SEC	1000000000.0

static struct gpool *pool;
static struct gpool_owner *owner;
static struct gpool_unit *units;
static u64 *pfns;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %d\n", what, err);
	exit(1);
}

static void setup(u64 gib)
{
	struct gpool_policy pol = { .mode = GPOOL_MODE_PREFERRED };
	int err;

	pool = gpool_create();
	if (IS_ERR(pool))
		die("create", -ENOMEM);
	err = gpool_add_range(pool, 0, BASE, gib * PG_1G, 0);
	if (err)
		die("add_range", err);
	owner = gpool_owner_create(pool, &pol, GPOOL_ORDER_1G);
	if (IS_ERR(owner))
		die("owner", PTR_ERR(owner));
}

static void teardown(void)
{
	gpool_owner_destroy(owner);
	gpool_destroy(pool);
}

/*
 * The measured operations: one pool call each.  They are called only
 * through op_fn()'s table, so each stays a function of its own, which
 * callgrind's --toggle-collect=bench_op_OP selects.
 */
#define BENCH_OP(name, expr)						\
	static int bench_op_##name(unsigned long i)			\
	{								\
		return expr;						\
	}

BENCH_OP(alloc4k, gpool_alloc(owner, 0, &units[i]))
BENCH_OP(free4k, gpool_free(owner, units[i].pfn, 0))
BENCH_OP(alloc2m, gpool_alloc(owner, 9, &units[i]))
BENCH_OP(free2m, gpool_free(owner, units[i].pfn, 9))
BENCH_OP(alloc1g, gpool_alloc(owner, 18, &units[i]))
BENCH_OP(free1g, gpool_free(owner, units[i].pfn, 18))
BENCH_OP(split, gpool_split(owner, pfns[i], 1,
			    &(struct gpool_split_info){ 0 }))
BENCH_OP(claim, gpool_alloc_exact(owner, pfns[i], 0, &units[i]))
BENCH_OP(merge, gpool_merge(owner, ALIGN_DOWN(pfns[i], PG_1G), 18,
			    &(struct gpool_merge_info){ 0 }))
BENCH_OP(query, gpool_query(pool, pfns[i], &units[i]))

static const char * const ops[] = {
	"alloc4k", "free4k", "alloc2m", "free2m", "alloc1g", "free1g",
	"split", "claim", "merge", "query",
};

static int (*op_fn(const char *op))(unsigned long i)
{
	static int (*const fns[])(unsigned long i) = {
		bench_op_alloc4k, bench_op_free4k, bench_op_alloc2m,
		bench_op_free2m, bench_op_alloc1g, bench_op_free1g,
		bench_op_split, bench_op_claim, bench_op_merge, bench_op_query,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(op, ops[i]))
			return fns[i];
	die(op, -EINVAL);
	return NULL;
}

static void check(int err, const char *what)
{
	if (err)
		die(what, err);
}

/*
 * Run @op @n times in steady state.  Only bench_op_*() is measured (by
 * time here, by callgrind's --toggle-collect in run-bench.sh); whatever
 * sets up or undoes each operation runs outside it.  The 4K and 2M
 * operations run back to back on fresh units; the 1G and conversion
 * operations cycle over the pool's 1G units, one conversion each.
 */
static double run(const char *op, u64 gib, unsigned long n)
{
	int (*fn)(unsigned long i) = op_fn(op);
	unsigned long i, nr = n, nr_1g = gib;
	struct gpool_split_info si;
	struct gpool_merge_info mi;
	struct gpool_unit tmp;
	double ns = 0;

	units = calloc(n, sizeof(*units));
	pfns = calloc(n, sizeof(*pfns));
	if (!strcmp(op, "alloc2m") || !strcmp(op, "free2m")) {
		n = min_t(unsigned long, n, gib * 512);
		nr = n;
	}
	if (!strcmp(op, "free4k") || !strcmp(op, "free2m")) {
		for (i = 0; i < n; i++)
			check(gpool_alloc(owner, op[4] == '4' ? 0 : 9,
					  &units[i]), "prep");
	}
	if (strstr(op, "1g") || !strcmp(op, "split") || !strcmp(op, "claim") ||
	    !strcmp(op, "merge") || !strcmp(op, "query")) {
		nr = min(nr_1g, n);
		for (i = 0; i < nr; i++) {
			check(gpool_alloc(owner, 18, &units[i]), "prep 1g");
			pfns[i] = units[i].pfn + 3 * PG_2M + 7;
		}
	}

	for (i = 0; i < n; i++) {
		unsigned long k = i % nr;
		struct timespec a, b;
		u64 pfn = pfns[k];

		/* Untimed preparation of operation i. */
		if (!strcmp(op, "alloc1g"))
			check(gpool_free(owner, units[k].pfn, 18), "prep free");
		if (!strcmp(op, "free1g") && i >= nr)
			check(gpool_alloc(owner, 18, &units[k]), "prep alloc");
		if (!strcmp(op, "claim") || !strcmp(op, "merge")) {
			check(gpool_split(owner, pfn, 1, &si), "prep split");
			check(gpool_free(owner, pfn, 0), "prep free");
		}
		if (!strcmp(op, "merge"))
			check(gpool_alloc_exact(owner, pfn, 0, &tmp), "claim");

		clock_gettime(CLOCK_MONOTONIC, &a);
		check(fn(strstr(op, "4k") || strstr(op, "2m") ? i : k), op);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns += (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);

		/* Untimed undo, so that the next operation finds the same. */
		if (!strcmp(op, "split") || !strcmp(op, "claim"))
			check(gpool_merge(owner, ALIGN_DOWN(pfn, PG_1G), 18,
					  &mi), "undo merge");
	}
	printf("%s %llu GiB: %lu ops\n", op, gib, n);
	free(units);
	free(pfns);
	return n * NSEC_PER_SEC / ns;
}

static void meta(void)
{
	static const u64 sizes[] = { 1, 64, 4096 };
	unsigned int s;

	printf("# metadata (bytes per GiB managed)\n");
	printf("%-8s %14s %14s\n", "pool", "unsplit", "all 2M split");
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		u64 gib = sizes[s], b;
		size_t unsplit, split = 0;
		struct gpool_unit u;

		setup(gib);
		unsplit = gpool_meta_bytes(pool);
		/* Worst case: one 4K frame claimed in every 2M block. */
		if (gib <= 64) {
			for (b = 0; b < gib * 512; b++)
				if (gpool_alloc_exact(owner, BASE + b * PG_2M + 1,
						      0, &u))
					die("claim in every 2M", -1);
			split = gpool_meta_bytes(pool);
			for (b = 0; b < gib * 512; b++)
				gpool_free(owner, BASE + b * PG_2M + 1, 0);
		}
		printf("%5llu GiB %14.0f %14.0f\n", gib,
		       (double)unsplit / gib, (double)split / gib);
		gpool_unreserve(owner);
		teardown();
	}
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc >= 2 && !strcmp(argv[1], "meta")) {
		meta();
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "time")) {
		u64 gib = strtoull(argv[2], NULL, 0);

		printf("# ops/s on a %llu GiB pool\n", gib);
		for (i = 0; i < ARRAY_SIZE(ops); i++) {
			unsigned long n = 1UL << 18;
			double r;

			setup(gib);
			r = run(ops[i], gib, n);
			printf("%-8s %12.0f ops/s\n", ops[i], r);
			gpool_unreserve(owner);
			/* Leave the units allocated: destroy drops them. */
			teardown();
		}
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "op")) {
		u64 gib = strtoull(argv[2], NULL, 0);

		setup(gib);
		run(argv[3], gib, strtoul(argv[4], NULL, 0));
		return 0;
	}
	fprintf(stderr, "usage: %s meta | time GIB | op GIB OP N\n", argv[0]);
	return 1;
}
