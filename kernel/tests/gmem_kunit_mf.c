// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite gpool_gmem, its cases of bad frames and of the pool's
 * pieces (gmem_kunit.c has the suite and the rest):
 *
 * - memory_failure() on a frame a file holds: the frame is never mapped
 *   again, and goes out of service when the file lets go of it; it never
 *   waits for a file that is busy (clearing a unit); and a punch that
 *   fails part-way keeps the marks of the frames the file still holds;
 * - GPOOL_IOC_GROW that runs out of metadata half-way takes out again the
 *   pieces it added, and clears them before they go back to the system
 *   (kernel/resize.c: files may have written to them meanwhile).
 *
 * The memory failure cases leave four bad frames in the pool for the rest
 * of the boot.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/gpool.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <uapi/linux/gpool.h>

#include "../../pool/pool.h"
#include "../../pool/table.h"
#include "../gpool_kernel.h"
#include "gmem_kunit.h"

/* The node with the most free pool memory, or -1. */
static int gmem_node_most_room(void)
{
	struct gpool_stats st;
	int nid, found = -1;
	u64 best = 0;

	for (nid = 0; nid < GPOOL_MAX_NODES; nid++) {
		if (!gpool_node_stats(gpool_system, nid, &st) &&
		    gmem_room(&st, 0) > best) {
			best = gmem_room(&st, 0);
			found = nid;
		}
	}
	return found;
}

/* The node a memory failure case runs on; skips without what it needs. */
static int gmem_mf_node(struct kunit *test)
{
	int nid;

	if (!IS_ENABLED(CONFIG_MEMORY_FAILURE))
		kunit_skip(test, "no CONFIG_MEMORY_FAILURE");
	nid = gmem_node_most_room();
	if (nid < 0)
		kunit_skip(test, "no free pool memory");
	return nid;
}

/*
 * A frame of a 2M unit goes bad: the unit is mapped 4K around it, the
 * frame itself fails with -EHWPOISON, and once punched it is out of
 * service and a refill gets another frame.  On the node with the most
 * room, as the bad frame keeps its 1 GiB window split for good.
 */
void gpool_gmem_test_memory_failure(struct kunit *test)
{
	struct gpool_stats st0, st1;
	pgoff_t mstart, mend;
	struct gpool_file *gf;
	u64 pfn, pfn2;
	int nid, order;

	nid = gmem_mf_node(test);
	gf = gmem_create(test, SZ_2M, GPOOL_FOLIO_SHIFT_2M, nid);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &pfn, &order), 0);
	KUNIT_ASSERT_EQ(test, order, GPOOL_ORDER_2M);
	KUNIT_ASSERT_EQ(test, gpool_node_stats(gpool_system, nid, &st0), 0);

#ifdef CONFIG_MEMORY_FAILURE
	KUNIT_ASSERT_EQ(test, memory_failure(pfn + 3, MF_SW_SIMULATED), 0);
#endif
	KUNIT_ASSERT_EQ(test, gpool_node_stats(gpool_system, nid, &st1), 0);
	KUNIT_EXPECT_EQ(test, st1.poison_pending, st0.poison_pending + 1);
	KUNIT_EXPECT_EQ(test, gpool_file_get_pfn(gf, 3, 3, &pfn2, &order),
			-EHWPOISON);
	/* The rest of the unit is still there, no longer mapped huge. */
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 4, 4, &pfn2, &order), 0);
	KUNIT_EXPECT_EQ(test, pfn2, pfn + 4);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_4K);

	KUNIT_ASSERT_EQ(test, gpool_file_punch(gf, 3, 4), 0);
	KUNIT_ASSERT_EQ(test, gpool_node_stats(gpool_system, nid, &st1), 0);
	KUNIT_EXPECT_EQ(test, st1.poison_pending, st0.poison_pending);
	KUNIT_EXPECT_EQ(test, st1.bad_pages, st0.bad_pages + 1);

	/* A refill cannot have the bad frame back, so nothing merges. */
	KUNIT_ASSERT_EQ(test, gpool_file_allocate(gf, 3, 4, &mstart, &mend), 0);
	KUNIT_EXPECT_GE(test, mstart, mend);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 3, 3, &pfn2, &order), 0);
	KUNIT_EXPECT_NE(test, pfn2, pfn + 3);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_4K);
	gpool_file_destroy(gf);
}

/* gpool_split_pages_alloc() that fails its third call. */
static int gmem_split_allocs;

static u64 *gmem_split_pages_fail_third(void)
{
	if (++gmem_split_allocs == 3)
		return NULL;
	return kmalloc_array(SZ_2M / SZ_4K, sizeof(u64), GFP_KERNEL_ACCOUNT);
}

/*
 * A punch that fails part-way keeps the bad-frame marks of the pages the
 * file still holds.  Two 2M units, a frame of the second bad; a punch
 * from inside the first to inside the second splits the first, frees its
 * tail, and fails (-ENOMEM) to split the second: its bad page still fails
 * with -EHWPOISON, and its other pages are still mapped.
 */
void gpool_gmem_test_failed_punch_keeps_marks(struct kunit *test)
{
	struct gpool_file *gf;
	pgoff_t bad = 512 + 3;
	int nid, order;
	u64 pfn, p1;

	nid = gmem_mf_node(test);
	gf = gmem_create(test, 2 * SZ_2M, GPOOL_FOLIO_SHIFT_2M, nid);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &pfn, &order), 0);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 512, 512, &p1, &order), 0);
	KUNIT_ASSERT_EQ(test, order, GPOOL_ORDER_2M);
#ifdef CONFIG_MEMORY_FAILURE
	KUNIT_ASSERT_EQ(test, memory_failure(p1 + 3, MF_SW_SIMULATED), 0);
#endif
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, bad, bad, &pfn, &order),
			-EHWPOISON);

	gmem_split_allocs = 0;
	kunit_activate_static_stub(test, gpool_split_pages_alloc,
				   gmem_split_pages_fail_third);
	KUNIT_EXPECT_EQ(test, gpool_file_punch(gf, 5, 512 + 10), -ENOMEM);
	kunit_deactivate_static_stub(test, gpool_split_pages_alloc);
	KUNIT_EXPECT_EQ(test, gmem_split_allocs, 3);

	KUNIT_EXPECT_EQ(test, gpool_file_get_pfn(gf, bad, bad, &pfn, &order),
			-EHWPOISON);
	KUNIT_EXPECT_EQ(test, gpool_file_get_pfn(gf, 512 + 4, 512 + 4, &pfn,
						 &order), 0);
	KUNIT_EXPECT_EQ(test, pfn, p1 + 4);
	gpool_file_destroy(gf);
}

/* memory_failure() in a thread of its own, so that a test can time it. */
struct gmem_mf {
	struct completion done;
	unsigned long pfn;
	int ret;
};

static int gmem_mf_thread(void *data)
{
	struct gmem_mf *mf = data;

#ifdef CONFIG_MEMORY_FAILURE
	mf->ret = memory_failure(mf->pfn, MF_SW_SIMULATED);
#endif
	complete(&mf->done);
	return 0;
}

/*
 * memory_failure() on @pfn while the caller holds some file's lock:
 * returns whether it came back within 10 s.  If not, @busy's lock is let
 * go (and false returned), so that the test fails rather than hangs.
 */
static bool gmem_mf_while_busy(struct kunit *test, struct gpool_file *busy,
			       unsigned long pfn, int *ret)
{
	struct gmem_mf *mf = kunit_kzalloc(test, sizeof(*mf), GFP_KERNEL);
	struct task_struct *t;
	bool in_time;

	if (!mf)
		return false;
	init_completion(&mf->done);
	mf->pfn = pfn;
	t = kthread_run(gmem_mf_thread, mf, "gpool-kunit-mf");
	if (IS_ERR(t))
		return false;
	in_time = wait_for_completion_timeout(&mf->done, 10 * HZ);
	if (!in_time) {
		gpool_file_test_unlock(busy);
		wait_for_completion(&mf->done);
		gpool_file_test_lock(busy);
	}
	*ret = mf->ret;
	return in_time;
}

/*
 * Memory failure never waits behind a file that is busy, as a fault is
 * while it clears a 1 GiB unit under the file's lock.  With a's lock
 * held, a frame of b goes bad: memory_failure() returns, and b's page
 * fails at once.  Then a frame of a goes bad: memory_failure() returns
 * while a is still busy, and a's page fails once a lets go of its lock.
 */
void gpool_gmem_test_memory_failure_never_waits(struct kunit *test)
{
	struct gpool_file *a, *b;
	bool b_in_time, a_in_time;
	int nid, order, ret_b = -1, ret_a = -1, ret, i;
	u64 pa, pb, pfn;

	nid = gmem_mf_node(test);
	a = gmem_create(test, SZ_2M, GPOOL_FOLIO_SHIFT_2M, nid);
	b = gmem_create(test, SZ_2M, GPOOL_FOLIO_SHIFT_2M, nid);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(a, 0, 0, &pa, &order), 0);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(b, 0, 0, &pb, &order), 0);

	/*
	 * Nothing below may assert while a's lock is held, nor take another
	 * file's lock (no path nests two files' locks; lockdep would say so).
	 */
	gpool_file_test_lock(a);
	b_in_time = gmem_mf_while_busy(test, a, pb + 3, &ret_b);
	a_in_time = gmem_mf_while_busy(test, a, pa + 5, &ret_a);
	gpool_file_test_unlock(a);
	/* b's mark was stored before memory failure returned. */
	ret = gpool_file_get_pfn(b, 3, 3, &pfn, &order);

	KUNIT_EXPECT_TRUE_MSG(test, b_in_time,
			      "memory failure of another file's frame waited for a busy file");
	KUNIT_EXPECT_EQ(test, ret_b, 0);
	KUNIT_EXPECT_EQ(test, ret, -EHWPOISON);
	KUNIT_EXPECT_TRUE_MSG(test, a_in_time,
			      "memory failure of a busy file's frame waited for it");
	KUNIT_EXPECT_EQ(test, ret_a, 0);
	/* a's poison work runs once the lock is free. */
	for (i = 0; i < 500; i++) {
		ret = gpool_file_get_pfn(a, 5, 5, &pfn, &order);
		if (ret == -EHWPOISON)
			break;
		msleep(20);
	}
	KUNIT_EXPECT_EQ(test, ret, -EHWPOISON);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(a, 6, 6, &pfn, &order), 0);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_4K);

	gpool_file_destroy(a);
	gpool_file_destroy(b);
}

/*
 * Regression: the 2M child of a bad frame stays split, and the pool hands
 * out its free 4K frames first.  A 4K-folio file whose pages landed there
 * used to wait 100 ms for each later page, whose "home" frame another page
 * had taken: hours for a GiB.  16 MiB must now fill well within KUnit's
 * timeout, and give back every frame.
 */
void gpool_gmem_test_regression_4k_after_bad_frame(struct kunit *test)
{
	pgoff_t mstart, mend;
	struct gpool_stats st;
	struct gpool_file *gf;
	int nid;

	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (!gpool_node_stats(gpool_system, nid, &st) && st.bad_pages)
			break;
	if (nid == GPOOL_MAX_NODES)
		kunit_skip(test, "no bad frame in the pool");
	gf = gmem_create(test, SZ_16M, GPOOL_FOLIO_SHIFT_4K, nid);
	KUNIT_EXPECT_EQ(test, gpool_file_allocate(gf, 0, SZ_16M >> PAGE_SHIFT,
						  &mstart, &mend), 0);
	gpool_file_destroy(gf);
}

static int gmem_piece_allocs;
static u64 gmem_dirty_pfn, gmem_dirty_pages, gmem_checked, gmem_unclear;

/*
 * GPOOL_IOC_GROW's second piece gets no metadata.  The first is in the
 * pool by then: write over it first, as a guest would have written to
 * frames a file took from it and punched.
 */
static void *gmem_piece_alloc_fail_second(size_t size)
{
	u64 i;

	if (++gmem_piece_allocs < 2)
		return kzalloc(size, GFP_KERNEL);
	gpool_test_newest_piece(&gmem_dirty_pfn, &gmem_dirty_pages);
	for (i = 0; i < gmem_dirty_pages; i++)
		memset(pfn_to_kaddr(gmem_dirty_pfn + i), 0xa5, PAGE_SIZE);
	return NULL;
}

/*
 * The written piece, leaving the pool, must be clear.  (The block that
 * never got in goes back as the buddy allocator gave it.)
 */
static void gmem_block_leaving(u64 pfn, u64 nr_pages)
{
	u64 i;

	if (pfn != gmem_dirty_pfn)
		return;
	for (i = 0; i < nr_pages; i++) {
		gmem_checked++;
		if (memchr_inv(pfn_to_kaddr(pfn + i), 0, PAGE_SIZE))
			gmem_unclear++;
	}
}

/*
 * A GROW of two 2M blocks whose second piece gets no metadata fails with
 * -ENOMEM and takes the first piece out again, cleared; the pool's
 * capacity is as before (gmem_exit()).  The zeroer is paused throughout,
 * so that only the rollback can clear the piece.
 */
void gpool_gmem_test_grow_rollback_clears(struct kunit *test)
{
	u64 boot0, boot1;
	unsigned int nr0, nr1;
	int nid, ret;

	if (!gpool_can_resize())
		kunit_skip(test, "the pool cannot grow (nomap)");
	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (gpool_node_known(nid) && node_state(nid, N_MEMORY))
			break;
	KUNIT_ASSERT_LT_MSG(test, nid, GPOOL_MAX_NODES, "no pool node with memory");

	gpool_pieces_info(&boot0, &nr0);
	gmem_piece_allocs = 0;
	gmem_dirty_pfn = 0;
	gmem_checked = 0;
	gmem_unclear = 0;
	gpool_zero_pause();
	kunit_activate_static_stub(test, gpool_piece_alloc,
				   gmem_piece_alloc_fail_second);
	kunit_activate_static_stub(test, gpool_block_leaving,
				   gmem_block_leaving);
	ret = gpool_grow(nid, 2 * SZ_2M);
	kunit_deactivate_static_stub(test, gpool_block_leaving);
	kunit_deactivate_static_stub(test, gpool_piece_alloc);
	gpool_zero_resume();
	gpool_pieces_info(&boot1, &nr1);

	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	KUNIT_ASSERT_EQ_MSG(test, gmem_piece_allocs, 2,
			    "GROW did not get as far as its second piece");
	KUNIT_EXPECT_EQ(test, gmem_dirty_pages, SZ_2M / PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, gmem_checked, SZ_2M / PAGE_SIZE);
	KUNIT_EXPECT_EQ_MSG(test, gmem_unclear, 0,
			    "pages left the pool holding what was written");
	KUNIT_EXPECT_EQ(test, nr1, nr0);
	KUNIT_EXPECT_EQ(test, boot1, boot0);
}
