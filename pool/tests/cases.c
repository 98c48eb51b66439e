// SPDX-License-Identifier: GPL-2.0
/*
 * Behaviour cases of the pool core, one table for both worlds: built into
 * cases_test in userspace and #included by kernel/tests/pool_kunit.c.
 *
 * Pfns are made up: the pool never touches frames, so a case can manage
 * gigabytes at the cost of the metadata alone.  BASE is 1G-aligned.
 */
#include "../pool_internal.h"
#include "cases.h"

#define PG_2M		BIT_ULL(GPOOL_ORDER_2M)	/* frames per 2M */
#define PG_1G		BIT_ULL(GPOOL_ORDER_1G)	/* frames per 1G */
#define BASE		(16 * PG_1G)

/*
 * Checks log what failed and return false; a case then returns -EIO at
 * once, as kselftest's ASSERT_*() do:
 *
 *	if (!CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
 *	    !CHECK_EQ(u.order, GPOOL_ORDER_1G))
 *		return -EIO;
 */
static bool t_check(bool ok, const char *cond, int line)
{
	if (!ok)
		pr_err("gpool case: %s:%d: %s\n", __FILE__, line, cond);
	return ok;
}

static bool t_check_eq(long long a, long long b, const char *sa,
		       const char *sb, int line)
{
	if (a != b)
		pr_err("gpool case: %s:%d: %s == %lld, want %s == %lld\n",
		       __FILE__, line, sa, a, sb, b);
	return a == b;
}

#define CHECK(cond)	t_check((cond), #cond, __LINE__)
#define CHECK_EQ(a, b)							\
	t_check_eq((long long)(a), (long long)(b), #a, #b, __LINE__)

/* Add a range and remember it for the cleanup walk. */
static int t_range(struct gpool_test *t, int nid, u64 pfn, u64 nr_pages,
		   unsigned int flags)
{
	int err = gpool_add_range(t->pool, nid, pfn, nr_pages, flags);

	if (!err && t->nr_ranges < GPOOL_TEST_RANGES) {
		t->range[t->nr_ranges].pfn = pfn;
		t->range[t->nr_ranges].nr_pages = nr_pages;
		t->nr_ranges++;
	}
	return err;
}

static struct gpool_owner *t_owner(struct gpool_test *t, enum gpool_mode mode,
				   int preferred, unsigned long nodes)
{
	struct gpool_policy pol = {
		.mode = mode,
		.preferred = preferred,
		.nodes = { nodes },
	};
	struct gpool_owner *o;

	if (t->nr_owners == GPOOL_TEST_OWNERS)
		return NULL;
	o = gpool_owner_create(t->pool, &pol, GPOOL_ORDER_1G);
	if (IS_ERR(o))
		return NULL;
	t->owner[t->nr_owners++] = o;
	return o;
}

/* An owner bound to node 0. */
static struct gpool_owner *t_owner0(struct gpool_test *t)
{
	return t_owner(t, GPOOL_MODE_BIND, 0, BIT(0));
}

static int t_stats(struct gpool_test *t, int nid, struct gpool_stats *s)
{
	return gpool_node_stats(t->pool, nid, s);
}

/*
 * A 1G window and a cut one:
 *
 *  BASE                         BASE + 1G
 *  |<----------- 1G ----------->|<- 4M ->|
 *  +----------------------------+---+----+
 *  |   one free 1G unit         |2M |2M  |   node 0
 *  +----------------------------+---+----+
 *
 * and on node 1 two 2M blocks that end a window: they can never be 1G.
 */
static int case_range_add(struct gpool_test *t)
{
	struct gpool_stats s;

	if (!CHECK_EQ(t_range(t, 0, BASE, PG_1G + 2 * PG_2M, 0), 0) ||
	    !CHECK_EQ(t_range(t, 1, BASE + 3 * PG_1G - 2 * PG_2M, 2 * PG_2M, 0),
		      0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.nr_pages, PG_1G + 2 * PG_2M) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].total, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].total, 514) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].total, PG_1G + 1024) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].free, 2) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].free, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].zero, 0) ||
	    !CHECK_EQ(t_stats(t, 1, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].total, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].free, 2) ||
	    !CHECK(gpool_meta_bytes(t->pool) > 0))
		return -EIO;
	return 0;
}

static int case_range_bad_input(struct gpool_test *t)
{
	struct gpool_stats s;

	if (!CHECK_EQ(gpool_add_range(t->pool, -1, BASE, PG_1G, 0), -EINVAL) ||
	    !CHECK_EQ(gpool_add_range(t->pool, GPOOL_MAX_NODES, BASE, PG_1G, 0),
		      -EINVAL) ||
	    !CHECK_EQ(gpool_add_range(t->pool, 0, BASE + 1, PG_1G, 0),
		      -EINVAL) ||
	    !CHECK_EQ(gpool_add_range(t->pool, 0, BASE + 512, 0, 0), -EINVAL) ||
	    !CHECK_EQ(gpool_add_range(t->pool, 0, BASE, 100, 0), -EINVAL) ||
	    !CHECK_EQ(gpool_add_range(t->pool, 0, BASE, PG_1G, BIT(7)),
		      -EINVAL) ||
	    !CHECK_EQ(gpool_add_range(t->pool, 0, ALIGN_DOWN(U64_MAX, PG_2M),
				      PG_2M, 0), -EINVAL) ||
	    !CHECK_EQ(t_stats(t, 0, &s), -ENOENT))
		return -EIO;

	if (!CHECK_EQ(t_range(t, 0, BASE, PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_add_range(t->pool, 0, BASE + PG_1G - PG_2M,
				      2 * PG_2M, 0), -EEXIST) ||
	    !CHECK_EQ(gpool_add_range(t->pool, 1, BASE - PG_2M, 2 * PG_2M, 0),
		      -EEXIST) ||
	    !CHECK_EQ(gpool_add_range(t->pool, 0, BASE, PG_1G, 0), -EEXIST) ||
	    !CHECK_EQ(t_range(t, 0, BASE + PG_1G, PG_2M, 0), 0) ||
	    !CHECK_EQ(t_range(t, 0, BASE - PG_2M, PG_2M, 0), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.nr_pages, PG_1G + 2 * PG_2M) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].free, 2) ||
	    !CHECK_EQ(gpool_node_stats(t->pool, 99, &s), -ENOENT))
		return -EIO;
	return 0;
}

static int case_range_remove(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t);
	struct gpool_unit u;
	struct gpool_stats s;

	if (!CHECK(a) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_2M, &u), 0) ||
	    !CHECK_EQ(gpool_remove_range(t->pool, BASE, PG_1G), -EBUSY) ||
	    !CHECK_EQ(gpool_remove_range(t->pool, BASE, PG_2M), -ENOENT) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_2M), 0))
		return -EIO;
	/* The freed unit went back to a's reservation. */
	if (!CHECK_EQ(gpool_remove_range(t->pool, BASE, PG_1G), -EBUSY))
		return -EIO;
	gpool_unreserve(a);
	if (!CHECK_EQ(gpool_remove_range(t->pool, BASE, PG_1G), 0) ||
	    !CHECK_EQ(gpool_remove_range(t->pool, BASE, PG_1G), -ENOENT) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.nr_pages, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].free, 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &u), -ENOMEM))
		return -EIO;

	/* Grow again at runtime, split a bit, shrink again. */
	if (!CHECK_EQ(gpool_add_range(t->pool, 0, BASE, PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &u), 0) ||
	    !CHECK_EQ(gpool_mark_bad(t->pool, BASE + PG_1G - 1), 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_4K), 0))
		return -EIO;
	gpool_unreserve(a);
	if (!CHECK_EQ(gpool_remove_range(t->pool, BASE, PG_1G), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.bad_pages, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].free, 0))
		return -EIO;
	t->nr_ranges = 0;
	return 0;
}

static int case_alloc_1g(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t);
	struct gpool_unit u, v, q;
	struct gpool_stats s;

	if (!CHECK(a) ||
	    !CHECK_EQ(t_range(t, 0, BASE, 2 * PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
	    !CHECK_EQ(u.order, GPOOL_ORDER_1G) ||
	    !CHECK_EQ(u.nid, 0) ||
	    !CHECK_EQ(u.flags, 0) ||
	    !CHECK(IS_ALIGNED(u.pfn, PG_1G) && u.pfn >= BASE &&
		   u.pfn < BASE + 2 * PG_1G) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &v), 0) ||
	    !CHECK(u.pfn != v.pfn) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &q), -ENOMEM) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &q), -ENOMEM) ||
	    !CHECK_EQ(gpool_query(t->pool, u.pfn + 12345, &q), 0) ||
	    !CHECK_EQ(q.pfn, u.pfn) ||
	    !CHECK_EQ(q.order, GPOOL_ORDER_1G) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].allocated, 2) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_1G), 0) ||
	    !CHECK_EQ(gpool_free(a, v.pfn, GPOOL_ORDER_1G), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 2) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].reserved, 2) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].nr_splits, 0))
		return -EIO;
	return 0;
}

/*
 * One 4K allocation splits only as deep as needed:
 *
 *  |<----------------------------- 1G ----------------------------->|
 *  +----------+----------+----------+---- ... ----+----------+
 *  | 2M split |    2M    |    2M    |             |    2M    |
 *  |x.........|          |          |             |          |
 *  +----------+----------+----------+---- ... ----+----------+
 *
 *  1 x 4K allocated, 511 x 4K free, 511 x 2M free.  The next 4K comes from
 *  the same 2M, the next 2M from the same 1G; freeing all merges back.
 */
static int case_split_only_as_deep(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t);
	struct gpool_unit u, v, w;
	struct gpool_stats s;

	if (!CHECK(a) ||
	    !CHECK_EQ(t_range(t, 0, BASE, 2 * PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &u), 0) ||
	    !CHECK_EQ(u.order, GPOOL_ORDER_4K) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].split, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].free, 511) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].split, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].free, 511) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].allocated, 1))
		return -EIO;

	if (!CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &v), 0) ||
	    !CHECK_EQ(v.pfn / PG_2M, u.pfn / PG_2M) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_2M, &w), 0) ||
	    !CHECK_EQ(w.pfn / PG_1G, u.pfn / PG_1G) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].free, 510) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].free, 510))
		return -EIO;

	if (!CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_free(a, w.pfn, GPOOL_ORDER_2M), 0) ||
	    !CHECK_EQ(gpool_free(a, v.pfn, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 2) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].split, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].split, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].free, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].free, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].nr_merges, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].nr_merges, 1))
		return -EIO;
	return 0;
}

static int case_free_bad_input(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t), *b = t_owner0(t);
	struct gpool_unit u, v;

	if (!CHECK(a && b) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_2M, &u), 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn + 1, GPOOL_ORDER_2M), -EINVAL) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_4K), -ENOENT) ||
	    !CHECK_EQ(gpool_free(a, u.pfn + PG_2M, GPOOL_ORDER_2M), -ENOENT) ||
	    !CHECK_EQ(gpool_free(a, BASE, GPOOL_ORDER_1G), -ENOENT) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, 5), -EINVAL) ||
	    !CHECK_EQ(gpool_free(a, 0, GPOOL_ORDER_4K), -EINVAL) ||
	    !CHECK_EQ(gpool_free(a, BASE + PG_1G, GPOOL_ORDER_4K), -EINVAL) ||
	    !CHECK_EQ(gpool_free(b, u.pfn, GPOOL_ORDER_2M), -EPERM) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &v), 0) ||
	    !CHECK_EQ(gpool_free(b, v.pfn, GPOOL_ORDER_4K), -EPERM) ||
	    !CHECK_EQ(gpool_free(a, v.pfn ^ 1, GPOOL_ORDER_4K), -ENOENT) ||
	    !CHECK_EQ(gpool_free(a, v.pfn, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_free(a, v.pfn, GPOOL_ORDER_4K), -ENOENT) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_2M), 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_2M), -ENOENT))
		return -EIO;
	return 0;
}

/*
 * Converting one 4K frame X of a 1G unit to shared and back:
 *
 *  alloc:    [========================= 1G, owner a =========================]
 *
 *  split:    [2M][2M][2M][ 2M split into 4K ][2M] ... [2M]   511 x 2M + 512 x 4K
 *                        [4K][4K]...[X]...[4K]
 *
 *  free X:                          [ ]                      X free and dirty
 *  claim X:  gpool_alloc_exact(X)   [X]                      X a's again
 *  merge:    2M, then 1G            [========== 1G ==========]
 */
static int case_convert_4k_in_1g(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t);
	struct gpool_split_info si;
	struct gpool_merge_info mi;
	struct gpool_unit u, q;
	struct gpool_stats s;
	u64 x, blk;

	if (!CHECK(a) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0))
		return -EIO;
	blk = u.pfn + 3 * PG_2M;
	x = blk + 7;

	if (!CHECK_EQ(gpool_split(a, x, 1, &si), 0) ||
	    !CHECK_EQ(si.nr_2m, 511) ||
	    !CHECK_EQ(si.nr_4k, 512) ||
	    !CHECK_EQ(gpool_query(t->pool, x, &q), 0) ||
	    !CHECK_EQ(q.order, GPOOL_ORDER_4K) ||
	    !CHECK_EQ(q.pfn, x) ||
	    !CHECK_EQ(gpool_query(t->pool, u.pfn + 1, &q), 0) ||
	    !CHECK_EQ(q.order, GPOOL_ORDER_2M) ||
	    !CHECK_EQ(q.pfn, u.pfn) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].allocated, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].allocated, 511) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].allocated, 512) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].split, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].split, 1))
		return -EIO;

	/* Splitting again around the same frame does nothing. */
	if (!CHECK_EQ(gpool_split(a, x, 1, &si), 0) ||
	    !CHECK_EQ(si.nr_2m + si.nr_4k, 0))
		return -EIO;

	if (!CHECK_EQ(gpool_free(a, x, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_query(t->pool, x, &q), -ENOENT) ||
	    !CHECK_EQ(gpool_merge(a, blk, GPOOL_ORDER_2M, &mi), -EBUSY) ||
	    !CHECK_EQ(gpool_merge(a, u.pfn, GPOOL_ORDER_1G, &mi), -EBUSY) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].reserved, 1))
		return -EIO;

	if (!CHECK_EQ(gpool_alloc_exact(a, x, GPOOL_ORDER_4K, &q), 0) ||
	    !CHECK_EQ(q.pfn, x) ||
	    !CHECK_EQ(q.flags, 0) ||
	    !CHECK_EQ(gpool_alloc_exact(a, x, GPOOL_ORDER_4K, &q), -EBUSY) ||
	    !CHECK_EQ(gpool_merge(a, blk, GPOOL_ORDER_2M, &mi), 0) ||
	    !CHECK_EQ(mi.order, GPOOL_ORDER_2M) ||
	    !CHECK_EQ(mi.nr_4k, 512) ||
	    !CHECK_EQ(gpool_merge(a, u.pfn, GPOOL_ORDER_1G, &mi), 0) ||
	    !CHECK_EQ(mi.order, GPOOL_ORDER_1G) ||
	    !CHECK_EQ(mi.nr_2m, 512) ||
	    !CHECK_EQ(gpool_query(t->pool, x, &q), 0) ||
	    !CHECK_EQ(q.order, GPOOL_ORDER_1G))
		return -EIO;

	/* Same again, merging straight to 1G from 4K. */
	if (!CHECK_EQ(gpool_split(a, x, 1, &si), 0) ||
	    !CHECK_EQ(gpool_free(a, x, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_alloc_exact(a, x, GPOOL_ORDER_4K, &q), 0) ||
	    !CHECK_EQ(gpool_merge(a, u.pfn, GPOOL_ORDER_1G, &mi), 0) ||
	    !CHECK_EQ(mi.nr_4k, 512) ||
	    !CHECK_EQ(mi.nr_2m, 512) ||
	    !CHECK_EQ(gpool_merge(a, u.pfn, GPOOL_ORDER_1G, &mi), 0) ||
	    !CHECK_EQ(mi.nr_4k + mi.nr_2m, 0))
		return -EIO;

	if (!CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].allocated, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].nr_splits, 2) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].nr_merges, 2) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].nr_merges, 2) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].reserved, 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_1G), 0))
		return -EIO;
	return 0;
}

/* Another owner takes the converted frame: the claim and merge fail. */
static int case_convert_claim_busy(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t), *b = t_owner0(t);
	struct gpool_split_info si;
	struct gpool_merge_info mi;
	struct gpool_unit u, v, q;
	u64 x;

	if (!CHECK(a && b) ||
	    !CHECK_EQ(t_range(t, 0, BASE, 2 * PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0))
		return -EIO;
	x = u.pfn + 100;
	if (!CHECK_EQ(gpool_split(a, x, 1, &si), 0) ||
	    !CHECK_EQ(gpool_free(a, x, GPOOL_ORDER_4K), 0))
		return -EIO;
	/* The only free 4K frame; b has no reservation but there is room. */
	if (!CHECK_EQ(gpool_alloc(b, GPOOL_ORDER_4K, &v), 0) ||
	    !CHECK_EQ(v.pfn, x) ||
	    !CHECK_EQ(gpool_alloc_exact(a, x, GPOOL_ORDER_4K, &q), -EBUSY) ||
	    !CHECK_EQ(gpool_merge(a, u.pfn, GPOOL_ORDER_2M, &mi), -EBUSY) ||
	    !CHECK_EQ(gpool_merge(a, u.pfn, GPOOL_ORDER_1G, &mi), -EBUSY) ||
	    !CHECK_EQ(gpool_free(a, x, GPOOL_ORDER_4K), -EPERM) ||
	    !CHECK_EQ(gpool_free(b, x, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_alloc_exact(a, x, GPOOL_ORDER_4K, &q), 0) ||
	    !CHECK_EQ(gpool_merge(a, u.pfn, GPOOL_ORDER_1G, &mi), 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_1G), 0))
		return -EIO;
	return 0;
}

static int case_split_2m_range(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t);
	struct gpool_split_info si;
	struct gpool_merge_info mi;
	struct gpool_unit u, q;
	u64 r = BASE + 4 * PG_2M;

	if (!CHECK(a) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
	    !CHECK_EQ(gpool_split(a, r, 2 * PG_2M, &si), 0) ||
	    !CHECK_EQ(si.nr_2m, 512) ||
	    !CHECK_EQ(si.nr_4k, 0) ||
	    !CHECK_EQ(gpool_query(t->pool, r + PG_2M + 5, &q), 0) ||
	    !CHECK_EQ(q.order, GPOOL_ORDER_2M) ||
	    !CHECK_EQ(q.pfn, r + PG_2M) ||
	    !CHECK_EQ(gpool_free(a, r, GPOOL_ORDER_2M), 0) ||
	    !CHECK_EQ(gpool_free(a, r + PG_2M, GPOOL_ORDER_2M), 0) ||
	    !CHECK_EQ(gpool_merge(a, BASE, GPOOL_ORDER_1G, &mi), -EBUSY) ||
	    !CHECK_EQ(gpool_alloc_exact(a, r, GPOOL_ORDER_2M, &q), 0) ||
	    !CHECK_EQ(gpool_alloc_exact(a, r + PG_2M, GPOOL_ORDER_2M, &q), 0) ||
	    !CHECK_EQ(gpool_merge(a, BASE, GPOOL_ORDER_1G, &mi), 0) ||
	    !CHECK_EQ(mi.nr_2m, 512) ||
	    !CHECK_EQ(mi.nr_4k, 0))
		return -EIO;
	/* A range with both ends inside 2M units splits two of them. */
	if (!CHECK_EQ(gpool_split(a, r + 1, 2 * PG_2M, &si), 0) ||
	    !CHECK_EQ(si.nr_2m, 510) ||
	    !CHECK_EQ(si.nr_4k, 1024) ||
	    !CHECK_EQ(gpool_merge(a, r, GPOOL_ORDER_2M, &mi), 0) ||
	    !CHECK_EQ(gpool_merge(a, BASE, GPOOL_ORDER_1G, &mi), 0) ||
	    !CHECK_EQ(mi.nr_4k, 512) ||
	    !CHECK_EQ(gpool_free(a, BASE, GPOOL_ORDER_1G), 0))
		return -EIO;
	return 0;
}

static int case_split_bad_input(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t), *b = t_owner0(t);
	struct gpool_split_info si;
	struct gpool_unit u;

	if (!CHECK(a && b) ||
	    !CHECK_EQ(t_range(t, 0, BASE, 2 * PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
	    !CHECK_EQ(gpool_split(a, u.pfn + PG_1G - 1, 2, &si), -EINVAL) ||
	    !CHECK_EQ(gpool_split(a, u.pfn, 0, &si), -EINVAL) ||
	    !CHECK_EQ(gpool_split(a, U64_MAX, 2, &si), -EINVAL) ||
	    !CHECK_EQ(gpool_split(a, 0, 1, &si), -EINVAL) ||
	    !CHECK_EQ(gpool_split(b, u.pfn + 5, 1, &si), -EPERM) ||
	    !CHECK_EQ(gpool_split(a, (u.pfn ^ PG_1G) + 5, 1, &si), -ENOENT) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_1G), 0))
		return -EIO;
	return 0;
}

static int case_merge_bad_input(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t), *b = t_owner0(t);
	struct gpool_merge_info mi;
	struct gpool_split_info si;
	struct gpool_unit u, v;

	if (!CHECK(a && b) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G + 2 * PG_2M, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
	    !CHECK_EQ(gpool_merge(a, u.pfn, GPOOL_ORDER_2M, &mi), 0) ||
	    !CHECK_EQ(mi.order, GPOOL_ORDER_1G) ||
	    !CHECK_EQ(gpool_merge(b, u.pfn, GPOOL_ORDER_1G, &mi), -EBUSY) ||
	    !CHECK_EQ(gpool_merge(a, u.pfn + 1, GPOOL_ORDER_2M, &mi),
		      -EINVAL) ||
	    !CHECK_EQ(gpool_merge(a, u.pfn, GPOOL_ORDER_4K, &mi), -EINVAL) ||
	    !CHECK_EQ(gpool_merge(a, 0, GPOOL_ORDER_2M, &mi), -EINVAL))
		return -EIO;

	/* A 2M child given to another owner blocks the 1G merge. */
	if (!CHECK_EQ(gpool_split(a, u.pfn + 5 * PG_2M, PG_2M, &si), 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn + 5 * PG_2M, GPOOL_ORDER_2M), 0))
		return -EIO;
	gpool_unreserve(a);
	if (!CHECK_EQ(gpool_alloc(b, GPOOL_ORDER_2M, &v), 0))
		return -EIO;
	if (v.pfn != u.pfn + 5 * PG_2M) {
		/* b got the cut window; take the child explicitly. */
		if (!CHECK_EQ(gpool_free(b, v.pfn, GPOOL_ORDER_2M), 0) ||
		    !CHECK_EQ(gpool_alloc_exact(b, u.pfn + 5 * PG_2M,
						GPOOL_ORDER_2M, &v), 0))
			return -EIO;
	}
	if (!CHECK_EQ(gpool_merge(a, u.pfn, GPOOL_ORDER_1G, &mi), -EBUSY) ||
	    !CHECK_EQ(gpool_merge(b, u.pfn, GPOOL_ORDER_1G, &mi), -EBUSY) ||
	    !CHECK_EQ(gpool_merge(b, v.pfn, GPOOL_ORDER_2M, &mi), 0) ||
	    !CHECK_EQ(gpool_free(b, v.pfn, GPOOL_ORDER_2M), 0))
		return -EIO;

	/* The cut window can never be one 1G unit. */
	if (!CHECK_EQ(gpool_alloc_exact(a, BASE + PG_1G, GPOOL_ORDER_2M, &v),
		      0) ||
	    !CHECK_EQ(gpool_merge(a, BASE + PG_1G, GPOOL_ORDER_1G, &mi),
		      -EINVAL) ||
	    !CHECK_EQ(gpool_free(a, v.pfn, GPOOL_ORDER_2M), 0))
		return -EIO;
	return 0;
}

static int case_zero_state(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t);
	struct gpool_unit u, z;
	struct gpool_stats s;

	if (!CHECK(a) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G, GPOOL_RANGE_ZEROED), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
	    !CHECK_EQ(u.flags, GPOOL_UNIT_ZERO) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_1G), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
	    !CHECK_EQ(u.flags, 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_1G), 0))
		return -EIO;

	if (!CHECK_EQ(gpool_zero_begin(t->pool, 0, &z), 0) ||
	    !CHECK_EQ(z.order, GPOOL_ORDER_1G) ||
	    !CHECK_EQ(z.pfn, BASE) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].zeroing, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), -EAGAIN) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &u), -EAGAIN) ||
	    !CHECK_EQ(gpool_zero_begin(t->pool, 0, &z), -ENOENT) ||
	    !CHECK_EQ(gpool_mark_bad(t->pool, BASE + 1), -EBUSY) ||
	    !CHECK_EQ(gpool_remove_range(t->pool, BASE, PG_1G), -EBUSY) ||
	    !CHECK_EQ(gpool_zero_end(t->pool, BASE, GPOOL_ORDER_2M, true),
		      -ENOENT) ||
	    !CHECK_EQ(gpool_zero_end(t->pool, BASE + 1, GPOOL_ORDER_1G, true),
		      -EINVAL) ||
	    !CHECK_EQ(gpool_zero_end(t->pool, BASE, GPOOL_ORDER_1G, true), 0) ||
	    !CHECK_EQ(gpool_zero_end(t->pool, BASE, GPOOL_ORDER_1G, true),
		      -ENOENT) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
	    !CHECK_EQ(u.flags, GPOOL_UNIT_ZERO) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_1G), 0) ||
	    !CHECK_EQ(gpool_zero_begin(t->pool, 1, &z), -ENOENT) ||
	    !CHECK_EQ(gpool_zero_begin(t->pool, -1, &z), -EINVAL))
		return -EIO;
	return 0;
}

/* Split children inherit the zero state; a merge is zero only if all are. */
static int case_zero_2m(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t);
	struct gpool_unit u, v, z;
	struct gpool_stats s;

	if (!CHECK(a) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G + 2 * PG_2M,
			      GPOOL_RANGE_ZEROED), 0))
		return -EIO;
	/* Dirty one 2M of the cut window. */
	if (!CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_2M, &u), 0) ||
	    !CHECK_EQ(u.flags, GPOOL_UNIT_ZERO) ||
	    !CHECK(u.pfn >= BASE + PG_1G) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_2M), 0))
		return -EIO;
	/* The 1G unit is zero, so the worker finds the dirty 2M. */
	if (!CHECK_EQ(gpool_zero_begin(t->pool, 0, &z), 0) ||
	    !CHECK_EQ(z.order, GPOOL_ORDER_2M) ||
	    !CHECK_EQ(z.pfn, u.pfn) ||
	    !CHECK_EQ(gpool_zero_begin(t->pool, 0, &z), -ENOENT) ||
	    !CHECK_EQ(gpool_zero_end(t->pool, u.pfn, GPOOL_ORDER_2M, true),
		      0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].zero, 2) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].zero, 1))
		return -EIO;

	/* 4K from the zero 1G: a dirty 4K makes the merged 1G dirty. */
	if (!CHECK_EQ(gpool_alloc_exact(a, BASE, GPOOL_ORDER_4K, &v), 0) ||
	    !CHECK_EQ(v.flags, GPOOL_UNIT_ZERO) ||
	    !CHECK_EQ(gpool_free(a, v.pfn, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].zero, 0))
		return -EIO;
	return 0;
}

static int case_bad_free_frame(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t);
	struct gpool_unit u;
	struct gpool_stats s;
	u64 bad = BASE + PG_2M + 188;
	unsigned int i;

	if (!CHECK(a) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_mark_bad(t->pool, bad), 0) ||
	    !CHECK_EQ(gpool_mark_bad(t->pool, bad), 0) ||
	    !CHECK_EQ(gpool_mark_bad(t->pool, BASE + PG_1G), -EINVAL) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.bad_pages, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].free, 511) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].free, 511) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), -ENOMEM) ||
	    !CHECK_EQ(gpool_alloc_exact(a, bad, GPOOL_ORDER_4K, &u), -EBUSY) ||
	    !CHECK_EQ(gpool_alloc_exact(a, BASE + PG_2M, GPOOL_ORDER_2M, &u),
		      -EBUSY))
		return -EIO;
	for (i = 0; i < 511; i++) {
		if (!CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &u), 0) ||
		    !CHECK(u.pfn != bad) ||
		    !CHECK_EQ(u.pfn / PG_2M, bad / PG_2M))
			return -EIO;
	}
	if (!CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &u), 0) ||
	    !CHECK(u.pfn / PG_2M != bad / PG_2M) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_4K), 0))
		return -EIO;
	for (i = 0; i < PG_2M; i++)
		if (BASE + PG_2M + i != bad &&
		    !CHECK_EQ(gpool_free(a, BASE + PG_2M + i, GPOOL_ORDER_4K),
			      0))
			return -EIO;
	if (!CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.bad_pages, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].free, 511) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].free, 511))
		return -EIO;
	return 0;
}

static int case_bad_allocated(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t);
	struct gpool_split_info si;
	struct gpool_merge_info mi;
	struct gpool_unit u, v;
	struct gpool_stats s;
	unsigned int i;

	if (!CHECK(a) ||
	    !CHECK_EQ(t_range(t, 0, BASE, 2 * PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
	    !CHECK_EQ(gpool_mark_bad(t->pool, u.pfn + 5), 0) ||
	    !CHECK_EQ(gpool_mark_bad(t->pool, u.pfn + 6), 0) ||
	    !CHECK_EQ(gpool_mark_bad(t->pool, u.pfn + 5), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.poison_pending, 2) ||
	    !CHECK_EQ(s.bad_pages, 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_1G), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.poison_pending, 0) ||
	    !CHECK_EQ(s.bad_pages, 2) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].free, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].free, 511) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].free, 510) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].allocated +
		      s.lvl[GPOOL_LVL_2M].allocated +
		      s.lvl[GPOOL_LVL_4K].allocated, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].reserved, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].reserved, 511) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].reserved, 510))
		return -EIO;

	/* A frame going bad inside a split 2M blocks its merge. */
	if (!CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_2M, &v), 0) ||
	    !CHECK_EQ(gpool_split(a, v.pfn + 3, 1, &si), 0) ||
	    !CHECK_EQ(gpool_mark_bad(t->pool, v.pfn + 10), 0) ||
	    !CHECK_EQ(gpool_merge(a, v.pfn, GPOOL_ORDER_2M, &mi), -EHWPOISON))
		return -EIO;
	for (i = 0; i < PG_2M; i++)
		if (!CHECK_EQ(gpool_free(a, v.pfn + i, GPOOL_ORDER_4K), 0))
			return -EIO;
	if (!CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.bad_pages, 3) ||
	    !CHECK_EQ(s.poison_pending, 0))
		return -EIO;
	return 0;
}

/* Reservations are all or nothing and keep other owners out. */
static int case_resv_all_or_nothing(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t), *b = t_owner0(t);
	struct gpool_unit u, v;
	struct gpool_stats s;
	u64 gib = PG_1G << PAGE_SHIFT;

	if (!CHECK(a && b) ||
	    !CHECK_EQ(t_range(t, 0, BASE, 2 * PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_reserve(a, 3 * gib, GPOOL_ORDER_1G), -ENOMEM) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].reserved, 0) ||
	    !CHECK_EQ(gpool_reserve(a, 0, GPOOL_ORDER_1G), -EINVAL) ||
	    !CHECK_EQ(gpool_reserve(a, PAGE_SIZE + 1, GPOOL_ORDER_4K),
		      -EINVAL) ||
	    !CHECK_EQ(gpool_reserve(a, gib, 5), -EINVAL) ||
	    !CHECK_EQ(gpool_reserve(a, gib / 2, GPOOL_ORDER_1G), -EINVAL))
		return -EIO;

	if (!CHECK_EQ(gpool_reserve(a, 2 * gib, GPOOL_ORDER_1G), 0) ||
	    !CHECK_EQ(gpool_reserve(b, PAGE_SIZE, GPOOL_ORDER_4K), -ENOMEM) ||
	    !CHECK_EQ(gpool_alloc(b, GPOOL_ORDER_4K, &v), -ENOMEM) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &u), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].reserved, 1) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].reserved, 511) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].reserved, 511) ||
	    !CHECK_EQ(gpool_alloc(b, GPOOL_ORDER_4K, &v), -ENOMEM))
		return -EIO;
	gpool_unreserve(a);
	if (!CHECK_EQ(gpool_alloc(b, GPOOL_ORDER_4K, &v), 0) ||
	    !CHECK_EQ(gpool_free(b, v.pfn, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_4K), 0))
		return -EIO;
	return 0;
}

/*
 * A 1G reservation keeps small allocations of others out of the 1G unit:
 *
 *  |<------------- 1G: reserved by a ------------->|<- b ->|
 *  +-----------------------------------------------+---+---+
 *  |                                               |2M |2M |
 *  +-----------------------------------------------+---+---+
 */
static int case_resv_protects_1g(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t), *b = t_owner0(t);
	struct gpool_unit u, v, w;

	if (!CHECK(a && b) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G + 2 * PG_2M, 0), 0) ||
	    !CHECK_EQ(gpool_reserve(a, PG_1G << PAGE_SHIFT, GPOOL_ORDER_1G),
		      0) ||
	    !CHECK_EQ(gpool_alloc(b, GPOOL_ORDER_2M, &v), 0) ||
	    !CHECK_EQ(gpool_alloc(b, GPOOL_ORDER_2M, &w), 0) ||
	    !CHECK_EQ(gpool_alloc(b, GPOOL_ORDER_2M, &u), -ENOMEM) ||
	    !CHECK_EQ(gpool_alloc(b, GPOOL_ORDER_4K, &u), -ENOMEM) ||
	    !CHECK_EQ(gpool_alloc_exact(b, BASE, GPOOL_ORDER_4K, &u),
		      -ENOMEM) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
	    !CHECK_EQ(u.pfn, BASE) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_1G), 0) ||
	    !CHECK_EQ(gpool_free(b, v.pfn, GPOOL_ORDER_2M), 0) ||
	    !CHECK_EQ(gpool_free(b, w.pfn, GPOOL_ORDER_2M), 0))
		return -EIO;
	return 0;
}

/*
 * An allocation whose owner has only smaller promises uses them up: a file
 * that punched the 512 4K pages of a chunk (credited back as 4K promises)
 * refills it with one 2M unit, and 512 2M promises cover a 1G unit.  With
 * the others' promises using all the room, a 2M unit that would break one
 * of them fails, and 4K allocations still succeed.
 */
static int case_resv_gathers_smaller(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t), *b = t_owner0(t);
	struct gpool_unit u, v;
	struct gpool_stats s;
	u64 gib = PG_1G << PAGE_SHIFT, mib2 = PG_2M << PAGE_SHIFT;

	if (!CHECK(a && b) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G + PG_2M, 0), 0) ||
	    !CHECK_EQ(gpool_reserve(a, mib2, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_2M, &u), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].reserved, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].reserved, 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_2M), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].reserved, 1))
		return -EIO;
	gpool_unreserve(a);

	/* 511 2M promises and 512 4K ones make one 1G unit. */
	if (!CHECK_EQ(gpool_reserve(a, gib - mib2, GPOOL_ORDER_2M), 0) ||
	    !CHECK_EQ(gpool_reserve(a, mib2, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].reserved, 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].reserved, 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_1G), 0))
		return -EIO;
	gpool_unreserve(a);

	/*
	 * b is promised the 1G unit and one 4K frame: a's 4K promise is
	 * kept by the other frames of the last 2M, which a 2M unit of a's
	 * would take.  Its 2M allocation fails; 4K ones succeed.
	 */
	if (!CHECK_EQ(gpool_reserve(b, gib, GPOOL_ORDER_1G), 0) ||
	    !CHECK_EQ(gpool_reserve(b, PAGE_SIZE, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_reserve(a, 2 * PAGE_SIZE, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_2M, &u), -ENOMEM) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &u), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &v), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_4K].reserved, 1) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_free(a, v.pfn, GPOOL_ORDER_4K), 0))
		return -EIO;
	return 0;
}

/*
 * An owner whose promised node is short only of what the zeroer holds
 * gets -EAGAIN (its caller pauses the zeroer and retries), not a unit of
 * a node it has no promise on: that would leave the promise standing and
 * the owner holding more than it reserved.
 */
static int case_resv_waits_for_zeroer(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner(t, GPOOL_MODE_PREFERRED, 0, 0);
	struct gpool_unit u, z;
	struct gpool_stats s;

	if (!CHECK(a) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G, 0), 0) ||
	    !CHECK_EQ(t_range(t, 1, BASE + PG_1G, PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_reserve(a, PG_2M << PAGE_SHIFT, GPOOL_ORDER_2M),
		      0) ||
	    !CHECK_EQ(gpool_zero_begin(t->pool, 0, &z), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_2M, &u), -EAGAIN) ||
	    !CHECK_EQ(t_stats(t, 1, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].allocated +
		      s.lvl[GPOOL_LVL_2M].allocated, 0) ||
	    !CHECK_EQ(gpool_zero_end(t->pool, z.pfn, z.order, false), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_2M, &u), 0) ||
	    !CHECK_EQ(u.nid, 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_2M].reserved, 0) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_2M), 0))
		return -EIO;
	return 0;
}

/* NUMA topology as a table: GiB and extra 2M blocks per node. */
static const struct {
	int nid;
	u64 nr_1g;
	u64 nr_2m;
} case_topology[] = {
	{ 0, 1, 2 },
	{ 1, 1, 0 },
	{ 2, 0, 4 },
};

static int t_topology(struct gpool_test *t)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(case_topology); i++) {
		u64 pfn = BASE + 4 * i * PG_1G;
		u64 nr = case_topology[i].nr_1g * PG_1G +
			 case_topology[i].nr_2m * PG_2M;

		if (!CHECK_EQ(t_range(t, case_topology[i].nid, pfn, nr, 0), 0))
			return -EIO;
	}
	return 0;
}

static int case_numa_policies(struct gpool_test *t)
{
	struct gpool_owner *bind1, *bind2, *pref, *ilv;
	struct gpool_unit u[6];
	struct gpool_stats s;
	unsigned int i;

	if (!CHECK_EQ(t_topology(t), 0))
		return -EIO;
	bind1 = t_owner(t, GPOOL_MODE_BIND, 0, BIT(1));
	bind2 = t_owner(t, GPOOL_MODE_BIND, 0, BIT(2));
	pref = t_owner(t, GPOOL_MODE_PREFERRED, 2, 0);
	ilv = t_owner(t, GPOOL_MODE_INTERLEAVE, 0, BIT(0) | BIT(1));
	if (!CHECK(bind1 && bind2 && pref && ilv))
		return -EIO;

	for (i = 0; i < 3; i++) {
		if (!CHECK_EQ(gpool_alloc(bind1, GPOOL_ORDER_2M, &u[i]), 0) ||
		    !CHECK_EQ(u[i].nid, 1))
			return -EIO;
	}
	for (i = 0; i < 3; i++)
		if (!CHECK_EQ(gpool_free(bind1, u[i].pfn, GPOOL_ORDER_2M), 0))
			return -EIO;
	gpool_unreserve(bind1);
	if (!CHECK_EQ(gpool_alloc(bind2, GPOOL_ORDER_1G, &u[0]), -ENOMEM))
		return -EIO;

	for (i = 0; i < 5; i++) {
		if (!CHECK_EQ(gpool_alloc(pref, GPOOL_ORDER_2M, &u[i]), 0) ||
		    !CHECK_EQ(u[i].nid, i < 4 ? 2 : 0))
			return -EIO;
	}
	for (i = 0; i < 5; i++)
		if (!CHECK_EQ(gpool_free(pref, u[i].pfn, GPOOL_ORDER_2M), 0))
			return -EIO;
	gpool_unreserve(pref);

	for (i = 0; i < 4; i++)
		if (!CHECK_EQ(gpool_alloc(ilv, GPOOL_ORDER_2M, &u[i]), 0))
			return -EIO;
	if (!CHECK(u[0].nid != u[1].nid && u[1].nid != u[2].nid &&
		   u[2].nid != u[3].nid))
		return -EIO;
	for (i = 0; i < 4; i++)
		if (!CHECK_EQ(gpool_free(ilv, u[i].pfn, GPOOL_ORDER_2M), 0))
			return -EIO;
	gpool_unreserve(ilv);

	if (!CHECK_EQ(gpool_reserve(ilv, 2 * (PG_1G << PAGE_SHIFT),
				    GPOOL_ORDER_1G), 0) ||
	    !CHECK_EQ(t_stats(t, 0, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].reserved, 1) ||
	    !CHECK_EQ(t_stats(t, 1, &s), 0) ||
	    !CHECK_EQ(s.lvl[GPOOL_LVL_1G].reserved, 1))
		return -EIO;
	/* Both 1G units are promised: bind1 can take 2M only on node 1... */
	if (!CHECK_EQ(gpool_alloc(bind1, GPOOL_ORDER_2M, &u[0]), -ENOMEM))
		return -EIO;
	/* ...and the interleaved owner gets one 1G unit per node. */
	if (!CHECK_EQ(gpool_alloc(ilv, GPOOL_ORDER_1G, &u[0]), 0) ||
	    !CHECK_EQ(gpool_alloc(ilv, GPOOL_ORDER_1G, &u[1]), 0) ||
	    !CHECK(u[0].nid != u[1].nid) ||
	    !CHECK_EQ(gpool_reserve(bind2, 4 * (PG_2M << PAGE_SHIFT),
				    GPOOL_ORDER_2M), 0) ||
	    !CHECK_EQ(gpool_reserve(bind2, PG_2M << PAGE_SHIFT, GPOOL_ORDER_2M),
		      -ENOMEM) ||
	    !CHECK_EQ(gpool_free(ilv, u[0].pfn, GPOOL_ORDER_1G), 0) ||
	    !CHECK_EQ(gpool_free(ilv, u[1].pfn, GPOOL_ORDER_1G), 0))
		return -EIO;
	return 0;
}

static int case_owner_lifecycle(struct gpool_test *t)
{
	struct gpool_policy pol = { .mode = GPOOL_MODE_BIND };
	struct gpool_owner *a, *small;
	struct gpool_unit u;

	if (!CHECK_EQ(t_range(t, 0, BASE, PG_1G, 0), 0) ||
	    !CHECK_EQ(PTR_ERR(gpool_owner_create(t->pool, &pol,
						 GPOOL_ORDER_1G)), -EINVAL))
		return -EIO;
	pol.mode = GPOOL_MODE_PREFERRED;
	pol.preferred = GPOOL_MAX_NODES;
	if (!CHECK_EQ(PTR_ERR(gpool_owner_create(t->pool, &pol,
						 GPOOL_ORDER_1G)), -EINVAL))
		return -EIO;
	pol.preferred = 0;
	if (!CHECK_EQ(PTR_ERR(gpool_owner_create(t->pool, &pol, 5)), -EINVAL))
		return -EIO;
	pol.mode = 42;
	if (!CHECK_EQ(PTR_ERR(gpool_owner_create(t->pool, &pol, 0)), -EINVAL))
		return -EIO;

	pol.mode = GPOOL_MODE_PREFERRED;
	small = gpool_owner_create(t->pool, &pol, GPOOL_ORDER_2M);
	if (!CHECK(!IS_ERR(small)))
		return -EIO;
	t->owner[t->nr_owners++] = small;
	if (!CHECK_EQ(gpool_alloc(small, GPOOL_ORDER_1G, &u), -EINVAL) ||
	    !CHECK_EQ(gpool_alloc(small, 3, &u), -EINVAL))
		return -EIO;

	a = gpool_owner_create(t->pool, &pol, GPOOL_ORDER_1G);
	if (!CHECK(!IS_ERR(a)) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_2M, &u), 0) ||
	    !CHECK_EQ(gpool_owner_destroy(a), -EBUSY) ||
	    !CHECK_EQ(gpool_destroy(t->pool), -EBUSY) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_2M), 0) ||
	    !CHECK_EQ(gpool_owner_destroy(a), 0))
		return -EIO;
	return 0;
}

static int case_query(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t);
	struct gpool_unit u, v, q;

	if (!CHECK(a) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_query(t->pool, BASE - 1, &q), -EINVAL) ||
	    !CHECK_EQ(gpool_query(t->pool, BASE + PG_1G, &q), -EINVAL) ||
	    !CHECK_EQ(gpool_query(t->pool, BASE, &q), -ENOENT) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_2M, &u), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_4K, &v), 0) ||
	    !CHECK_EQ(gpool_query(t->pool, u.pfn + PG_2M - 1, &q), 0) ||
	    !CHECK_EQ(q.pfn, u.pfn) ||
	    !CHECK_EQ(q.order, GPOOL_ORDER_2M) ||
	    !CHECK_EQ(gpool_query(t->pool, v.pfn, &q), 0) ||
	    !CHECK_EQ(q.order, GPOOL_ORDER_4K) ||
	    !CHECK_EQ(gpool_query(t->pool, v.pfn ^ 1, &q), -ENOENT) ||
	    !CHECK_EQ(gpool_free(a, u.pfn, GPOOL_ORDER_2M), 0) ||
	    !CHECK_EQ(gpool_free(a, v.pfn, GPOOL_ORDER_4K), 0))
		return -EIO;
	return 0;
}

/*
 * gpool_query() names the owner of a unit (gpool_owner_id()), or 0 for a
 * 4K frame that another owner took out of a child whose primary owner is
 * someone else: the pool keeps one owner per child and one bit per frame.
 */
static int case_query_owner(struct gpool_test *t)
{
	struct gpool_owner *a = t_owner0(t), *b = t_owner0(t);
	struct gpool_split_info si;
	struct gpool_unit u, v, q;
	u64 x;

	if (!CHECK(a) || !CHECK(b) ||
	    !CHECK(gpool_owner_id(a) != gpool_owner_id(b)) ||
	    !CHECK(gpool_owner_id(a) && gpool_owner_id(b)) ||
	    !CHECK_EQ(t_range(t, 0, BASE, PG_1G, 0), 0) ||
	    !CHECK_EQ(gpool_alloc(a, GPOOL_ORDER_1G, &u), 0) ||
	    !CHECK_EQ(u.owner, gpool_owner_id(a)) ||
	    !CHECK_EQ(gpool_query(t->pool, u.pfn + 5, &q), 0) ||
	    !CHECK_EQ(q.owner, gpool_owner_id(a)))
		return -EIO;
	x = u.pfn + PG_2M + 7;
	if (!CHECK_EQ(gpool_split(a, x, 1, &si), 0) ||
	    !CHECK_EQ(gpool_free(a, x, GPOOL_ORDER_4K), 0) ||
	    !CHECK_EQ(gpool_query(t->pool, u.pfn, &q), 0) ||
	    !CHECK_EQ(q.order, GPOOL_ORDER_2M) ||
	    !CHECK_EQ(q.owner, gpool_owner_id(a)) ||
	    !CHECK_EQ(gpool_query(t->pool, x + 1, &q), 0) ||
	    !CHECK_EQ(q.owner, gpool_owner_id(a)) ||
	    !CHECK_EQ(gpool_query(t->pool, x, &q), -ENOENT))
		return -EIO;
	/* The only free frame, a's promise dropped: b gets it. */
	gpool_unreserve(a);
	if (!CHECK_EQ(gpool_alloc(b, GPOOL_ORDER_4K, &v), 0) ||
	    !CHECK_EQ(v.pfn, x) ||
	    !CHECK_EQ(v.owner, gpool_owner_id(b)) ||
	    !CHECK_EQ(gpool_query(t->pool, x, &q), 0) ||
	    !CHECK_EQ(q.owner, 0) ||
	    !CHECK_EQ(gpool_free(b, x, GPOOL_ORDER_4K), 0))
		return -EIO;
	gpool_unreserve(b);
	if (!CHECK_EQ(gpool_alloc_exact(a, x, GPOOL_ORDER_4K, &v), 0) ||
	    !CHECK_EQ(gpool_query(t->pool, x, &q), 0) ||
	    !CHECK_EQ(q.owner, gpool_owner_id(a)))
		return -EIO;
	return 0;
}

const struct gpool_case gpool_cases[] = {
	{ "range_add", case_range_add },
	{ "range_bad_input", case_range_bad_input },
	{ "range_remove", case_range_remove },
	{ "alloc_1g", case_alloc_1g },
	{ "split_only_as_deep", case_split_only_as_deep },
	{ "free_bad_input", case_free_bad_input },
	{ "convert_4k_in_1g", case_convert_4k_in_1g },
	{ "convert_claim_busy", case_convert_claim_busy },
	{ "split_2m_range", case_split_2m_range },
	{ "split_bad_input", case_split_bad_input },
	{ "merge_bad_input", case_merge_bad_input },
	{ "zero_state", case_zero_state },
	{ "zero_2m", case_zero_2m },
	{ "bad_free_frame", case_bad_free_frame },
	{ "bad_allocated", case_bad_allocated },
	{ "resv_all_or_nothing", case_resv_all_or_nothing },
	{ "resv_protects_1g", case_resv_protects_1g },
	{ "numa_policies", case_numa_policies },
	{ "owner_lifecycle", case_owner_lifecycle },
	{ "resv_gathers_smaller", case_resv_gathers_smaller },
	{ "resv_waits_for_zeroer", case_resv_waits_for_zeroer },
	{ "query", case_query },
	{ "query_owner", case_query_owner },
};

const unsigned int gpool_nr_cases = ARRAY_SIZE(gpool_cases);

/* Free whatever a case left allocated, whoever holds it. */
static void gpool_case_cleanup(struct gpool_test *t)
{
	struct gpool_stats s;
	unsigned int i, o;
	int nid;

	for (nid = 0; nid < GPOOL_MAX_NODES; nid++) {
		if (gpool_node_stats(t->pool, nid, &s))
			continue;
		if (!s.lvl[GPOOL_LVL_4K].allocated &&
		    !s.lvl[GPOOL_LVL_2M].allocated &&
		    !s.lvl[GPOOL_LVL_1G].allocated)
			continue;
		for (i = 0; i < t->nr_ranges; i++) {
			u64 pfn = t->range[i].pfn;
			u64 end = pfn + t->range[i].nr_pages;
			struct gpool_unit q;

			while (pfn < end) {
				if (gpool_query(t->pool, pfn, &q)) {
					pfn++;
					continue;
				}
				for (o = 0; o < t->nr_owners; o++)
					if (!gpool_free(t->owner[o], q.pfn,
							q.order))
						break;
				pfn = q.pfn + (1ULL << q.order);
			}
		}
		break;
	}
	for (o = 0; o < t->nr_owners; o++)
		gpool_owner_destroy(t->owner[o]);
}

int gpool_case_run(const struct gpool_case *c)
{
	struct gpool_test *t;
	int err, ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->pool = gpool_create();
	if (IS_ERR(t->pool)) {
		err = PTR_ERR(t->pool);
		goto out_free;
	}
	err = c->run(t);
	ret = gpool_check(t->pool);
	if (!err)
		err = ret;
	gpool_case_cleanup(t);
	ret = gpool_destroy(t->pool);
	if (!err)
		err = ret;
out_free:
	kfree(t);
	return err;
}
