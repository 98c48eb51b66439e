// SPDX-License-Identifier: GPL-2.0
/*
 * Threads allocating, converting and freeing on two nodes at once, with a
 * zeroing thread, under the shim's owner-checking locks.  The pool must end
 * empty and consistent, and no lock assertion may fire.
 */
#include "kselftest_harness.h"
#include "../pool.h"

#define PG_2M		512ULL
#define PG_1G		(512ULL * 512)
#define BASE		(16 * PG_1G)
#define NR_THREADS	4
#define NR_ROUNDS	3000

struct worker {
	struct gpool *pool;
	struct gpool_owner *owner;
	unsigned int seed;
	int errors;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct gpool_unit held[64];
	unsigned int nr = 0, i;

	for (i = 0; i < NR_ROUNDS; i++) {
		unsigned int r = rand_r(&w->seed);
		struct gpool_split_info si;
		struct gpool_merge_info mi;
		struct gpool_unit *u, c;

		if (nr < 64 && r % 3) {
			unsigned int order = (r >> 4) % 9 ? 0 : 9;

			if ((r >> 8) % 50 == 0)
				order = 18;
			if (!gpool_alloc(w->owner, order, &held[nr]))
				nr++;
			continue;
		}
		if (!nr)
			continue;
		u = &held[(r >> 4) % nr];
		if (u->order == 18 && (r & 64)) {
			/* Convert one 4K frame and back. */
			if (gpool_split(w->owner, u->pfn + 9, 1, &si) ||
			    gpool_free(w->owner, u->pfn + 9, 0))
				w->errors++;
			/* Another thread may take the frame meanwhile. */
			if (!gpool_alloc_exact(w->owner, u->pfn + 9, 0, &c) &&
			    gpool_merge(w->owner, u->pfn, 18, &mi))
				w->errors++;
		}
		/* Free whatever units now make up the original one. */
		for (c.pfn = u->pfn; c.pfn < u->pfn + (1ULL << u->order);) {
			struct gpool_unit q;

			if (gpool_query(w->pool, c.pfn, &q)) {
				c.pfn++;
				continue;
			}
			if (gpool_free(w->owner, q.pfn, q.order))
				w->errors++;
			c.pfn = q.pfn + (1ULL << q.order);
		}
		*u = held[--nr];
	}
	while (nr) {
		nr--;
		if (gpool_free(w->owner, held[nr].pfn, held[nr].order))
			w->errors++;
	}
	return NULL;
}

TEST(threads_on_two_nodes)
{
	struct gpool_policy pol = { .mode = GPOOL_MODE_INTERLEAVE,
				    .nodes = { 3 } };
	struct worker w[NR_THREADS];
	pthread_t tid[NR_THREADS];
	struct gpool *pool;
	struct gpool_unit z;
	struct gpool_stats s;
	int i, n;

	pool = gpool_create();
	ASSERT_EQ(0, gpool_add_range(pool, 0, BASE, 2 * PG_1G, 0));
	ASSERT_EQ(0, gpool_add_range(pool, 1, BASE + 4 * PG_1G, 2 * PG_1G, 0));
	for (i = 0; i < NR_THREADS; i++) {
		w[i].pool = pool;
		w[i].owner = gpool_owner_create(pool, &pol, GPOOL_ORDER_1G);
		w[i].seed = i + 1;
		w[i].errors = 0;
		ASSERT_FALSE(IS_ERR(w[i].owner));
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, work, &w[i]));
	}
	for (n = 0; n < 200; n++)
		if (!gpool_zero_begin(pool, n & 1, &z))
			ASSERT_EQ(0, gpool_zero_end(pool, z.pfn, z.order, true));
	for (i = 0; i < NR_THREADS; i++) {
		ASSERT_EQ(0, pthread_join(tid[i], NULL));
		EXPECT_EQ(0, w[i].errors);
	}
	ASSERT_EQ(0, gpool_check(pool));
	for (n = 0; n < 2; n++) {
		ASSERT_EQ(0, gpool_node_stats(pool, n, &s));
		EXPECT_EQ(0, s.lvl[GPOOL_LVL_4K].allocated +
			  s.lvl[GPOOL_LVL_2M].allocated +
			  s.lvl[GPOOL_LVL_1G].allocated);
		EXPECT_EQ(2, s.lvl[GPOOL_LVL_1G].free +
			  s.lvl[GPOOL_LVL_1G].zeroing);
	}
	for (i = 0; i < NR_THREADS; i++)
		ASSERT_EQ(0, gpool_owner_destroy(w[i].owner));
	ASSERT_EQ(0, gpool_destroy(pool));
	ASSERT_EQ(0, shim_nr_warnings());
	ASSERT_EQ(0, shim_check_clean("threads"));
}

TEST_HARNESS_MAIN
