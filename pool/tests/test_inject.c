// SPDX-License-Identifier: GPL-2.0
/*
 * Every allocation the pool makes is failed in turn (shim_fail_after()):
 * each call must then return -ENOMEM, leave the pool exactly as it was
 * (same counters, gpool_check() clean) and leak nothing.
 */
#include "kselftest_harness.h"
#include "../pool.h"

#define PG_2M	512ULL
#define PG_1G	(512ULL * 512)
#define BASE	(16 * PG_1G)

FIXTURE(inject)
{
	struct gpool *pool;
	struct gpool_owner *a;
};

FIXTURE_SETUP(inject)
{
	struct gpool_policy pol = { .mode = GPOOL_MODE_PREFERRED };

	self->pool = gpool_create();
	ASSERT_FALSE(IS_ERR(self->pool));
	ASSERT_EQ(0, gpool_add_range(self->pool, 0, BASE, PG_1G + PG_2M, 0));
	self->a = gpool_owner_create(self->pool, &pol, GPOOL_ORDER_1G);
	ASSERT_FALSE(IS_ERR(self->a));
}

FIXTURE_TEARDOWN(inject)
{
	shim_fail_after(-1);
	EXPECT_EQ(0, gpool_owner_destroy(self->a));
	EXPECT_EQ(0, gpool_destroy(self->pool));
	EXPECT_EQ(0, shim_check_clean("inject"));
}

static void snapshot(struct gpool *pool, struct gpool_stats *s)
{
	memset(s, 0, sizeof(*s));
	gpool_node_stats(pool, 0, s);
}

/*
 * Run @op with the n-th allocation failing, for n = 0, 1, ... until it
 * succeeds; every failure must be a clean -ENOMEM.
 */
#define INJECT(op)							\
	do {								\
		struct gpool_stats before, after;			\
		long n;							\
		int err;						\
									\
		for (n = 0; n < 64; n++) {				\
			snapshot(self->pool, &before);			\
			shim_fail_after(n);				\
			err = (op);					\
			shim_fail_after(-1);				\
			if (!err)					\
				break;					\
			ASSERT_EQ(-ENOMEM, err);			\
			snapshot(self->pool, &after);			\
			ASSERT_EQ(0, memcmp(&before, &after,		\
					    sizeof(before)));		\
			ASSERT_EQ(0, gpool_check(self->pool));		\
		}							\
		ASSERT_EQ(0, err);					\
		ASSERT_EQ(0, gpool_check(self->pool));			\
		ASSERT_EQ(0, shim_nr_warnings());			\
	} while (0)

TEST_F(inject, add_range)
{
	INJECT(gpool_add_range(self->pool, 1, BASE + 4 * PG_1G, PG_1G, 0));
	INJECT(gpool_add_range(self->pool, 1, BASE + 8 * PG_1G, PG_2M, 0));
	ASSERT_EQ(0, gpool_remove_range(self->pool, BASE + 8 * PG_1G, PG_2M));
}

TEST_F(inject, owner_create)
{
	struct gpool_policy pol = { .mode = GPOOL_MODE_PREFERRED };
	struct gpool_owner *b = NULL;

	INJECT(IS_ERR(b = gpool_owner_create(self->pool, &pol, 0)) ?
	       (int)PTR_ERR(b) : 0);
	ASSERT_EQ(0, gpool_owner_destroy(b));
}

TEST_F(inject, alloc_4k_split_merge)
{
	struct gpool_split_info si;
	struct gpool_merge_info mi;
	struct gpool_unit u, v;

	INJECT(gpool_alloc(self->a, GPOOL_ORDER_4K, &u));
	ASSERT_EQ(0, gpool_free(self->a, u.pfn, GPOOL_ORDER_4K));
	INJECT(gpool_alloc(self->a, GPOOL_ORDER_1G, &u));
	INJECT(gpool_split(self->a, u.pfn + 700, PG_2M, &si));
	ASSERT_EQ(1024, si.nr_4k);
	ASSERT_EQ(510, si.nr_2m);
	ASSERT_EQ(0, gpool_free(self->a, u.pfn + 700, GPOOL_ORDER_4K));
	INJECT(gpool_alloc_exact(self->a, u.pfn + 700, GPOOL_ORDER_4K, &v));
	INJECT(gpool_merge(self->a, u.pfn, GPOOL_ORDER_1G, &mi));
	ASSERT_EQ(0, gpool_free(self->a, u.pfn, GPOOL_ORDER_1G));
}

TEST_F(inject, mark_bad)
{
	struct gpool_unit u;

	INJECT(gpool_mark_bad(self->pool, BASE + PG_1G + 3));
	ASSERT_EQ(0, gpool_alloc(self->a, GPOOL_ORDER_1G, &u));
	INJECT(gpool_mark_bad(self->pool, u.pfn + 3));
	ASSERT_EQ(0, gpool_free(self->a, u.pfn, GPOOL_ORDER_1G));
}

TEST_F(inject, check)
{
	INJECT(gpool_check(self->pool));
}

TEST_HARNESS_MAIN
