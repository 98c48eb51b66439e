// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite gpool_gmem: the guest_memfd glue (kernel/gmem.c) on the
 * system pool, below KVM.  What the selftests cannot see from userspace:
 *
 * - the max_order handed to KVM follows the unit and is clamped to the
 *   alignment of guest frame against host frame;
 * - a punch splits the unit, and refilling takes the very frames back,
 *   merges the unit and reports the merged range for KVM to zap;
 * - creation checks every argument, and destroying a file returns every
 *   unit and reservation to the pool;
 * - memory_failure() on a frame a file holds: the frame is never mapped
 *   again, and goes out of service when the file lets go of it; and it
 *   never waits for a file that is busy (clearing a unit);
 * - a punch invalidates KVM's mappings of every unit it splits, whole,
 *   before it changes anything;
 * - the counters GPOOL_IOC_LIST_FILES reports follow every split, merge
 *   and free;
 * - only VM types whose private memory needs no preparation by the
 *   architecture may have pool memory (not SEV, SEV-ES or SEV-SNP, which
 *   the emulated machine cannot create);
 * - GPOOL_IOC_GROW that runs out of metadata half-way takes out again the
 *   pieces it added, and clears them before they go back to the system
 *   (kernel/resize.c: files may have written to them meanwhile).
 *
 * Needs a boot with a pool (gpool=...); skips without one.  The memory
 * failure cases leave four bad frames in the pool for the rest of the
 * boot.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/gpool.h>
#include <linux/kthread.h>
#include <linux/kvm_gmem_backend.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <uapi/linux/gpool.h>

#include "../../pool/pool.h"
#include "../../pool/table.h"
#include "../gpool_kernel.h"

/* kvm_gmem_supported_flags(): KVM's own, declared for virt/kvm only. */
#if IS_BUILTIN(CONFIG_KVM) && IS_ENABLED(CONFIG_KVM_PRIVATE_MEM)
#include <linux/kvm_host.h>
#include "../../../../virt/kvm/kvm_mm.h"
#define GMEM_HAVE_KVM 1
#endif

/* The counters a test must leave as it found them. */
struct gmem_snap {
	u64 allocated[GPOOL_MAX_NODES][GPOOL_NR_LVLS];
	u64 reserved[GPOOL_MAX_NODES][GPOOL_NR_LVLS];
	u64 capacity;		/* free + zeroing + bad, in pages, all nodes */
};

static void gmem_snapshot(struct gmem_snap *s)
{
	struct gpool_stats st;
	int nid, o;

	memset(s, 0, sizeof(*s));
	for (nid = 0; nid < GPOOL_MAX_NODES; nid++) {
		if (gpool_node_stats(gpool_system, nid, &st))
			continue;
		/* A frame that goes bad is capacity no more, and no less. */
		s->capacity += st.bad_pages;
		for (o = 0; o < GPOOL_NR_LVLS; o++) {
			s->allocated[nid][o] = st.lvl[o].allocated;
			s->reserved[nid][o] = st.lvl[o].reserved;
			s->capacity += (st.lvl[o].free + st.lvl[o].zeroing)
				       << gpool_lvl_order(o);
		}
	}
}

static int gmem_init(struct kunit *test)
{
	struct gmem_snap *before;

	if (!gpool_system)
		kunit_skip(test, "no pool: boot with gpool=...");
	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	gmem_snapshot(before);
	test->priv = before;
	return 0;
}

static void gmem_exit(struct kunit *test)
{
	struct gmem_snap *before = test->priv, *after;

	if (!before)
		return;
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, after);
	gmem_snapshot(after);
	KUNIT_EXPECT_MEMEQ(test, before->allocated, after->allocated,
			   sizeof(after->allocated));
	KUNIT_EXPECT_MEMEQ(test, before->reserved, after->reserved,
			   sizeof(after->reserved));
	KUNIT_EXPECT_EQ(test, before->capacity, after->capacity);
}

/* Free pages in units of size index @size and larger nobody reserved. */
static u64 gmem_room(const struct gpool_stats *st, unsigned int size)
{
	u64 room = 0, have;
	int o;

	for (o = size; o < GPOOL_NR_LVLS; o++) {
		have = st->lvl[o].free + st->lvl[o].zeroing;
		if (have > st->lvl[o].reserved)
			room += (have - st->lvl[o].reserved) << gpool_lvl_order(o);
	}
	return room;
}

/* A node with room for @n units of size index @size, or -1. */
static int gmem_node_with(unsigned int size, u64 n)
{
	struct gpool_stats st;
	int nid;

	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (!gpool_node_stats(gpool_system, nid, &st) &&
		    gmem_room(&st, size) >= n << gpool_lvl_order(size))
			return nid;
	return -1;
}

static struct gpool_file *gmem_create(struct kunit *test, u64 size,
				      unsigned int shift, int nid)
{
	struct gpool_create_guest_memfd args = {
		.size = size,
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = shift,
		.numa_mode = GPOOL_NUMA_BIND,
		.numa_nodes = BIT_ULL(nid),
	};
	struct gpool_file *gf = gpool_file_create(&args);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(gf), "create: %ld", PTR_ERR(gf));
	return gf;
}

static void gpool_gmem_test_create_checks_arguments(struct kunit *test)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M,
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	struct gpool_create_guest_memfd bad;
	struct gpool_file *gf;
	int i;

	for (i = 0; i < ARRAY_SIZE(args.reserved); i++) {
		bad = args;
		bad.reserved[i] = 1;
		KUNIT_EXPECT_EQ(test, PTR_ERR(gpool_file_create(&bad)), -EINVAL);
	}
	bad = args;
	bad.folio_shift = 13;
	KUNIT_EXPECT_EQ(test, PTR_ERR(gpool_file_create(&bad)), -EINVAL);
	bad = args;
	bad.numa_mode = GPOOL_NUMA_INTERLEAVE + 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(gpool_file_create(&bad)), -EINVAL);
	bad = args;
	bad.numa_mode = GPOOL_NUMA_PREFERRED;
	bad.numa_nodes = 3;
	KUNIT_EXPECT_EQ(test, PTR_ERR(gpool_file_create(&bad)), -EINVAL);
	/* Without the flag (default backing) the words must stay zero. */
	bad = args;
	bad.flags = 0;
	KUNIT_EXPECT_EQ(test, PTR_ERR(gpool_file_create(&bad)), -EINVAL);
	/* More than the whole pool: nothing reserved (checked on exit). */
	bad = args;
	bad.size = SZ_1G * 1024ULL;
	KUNIT_EXPECT_EQ(test, PTR_ERR(gpool_file_create(&bad)), -ENOMEM);

	gf = gpool_file_create(&args);
	KUNIT_ASSERT_FALSE(test, IS_ERR(gf));
	gpool_file_destroy(gf);
}

static void gpool_gmem_test_max_order_follows_alignment(struct kunit *test)
{
	int nid = gmem_node_with(1, 1);
	struct gpool_file *gf;
	u64 pfn, pfn2;
	int order;

	if (nid < 0)
		kunit_skip(test, "no free 2M unit");
	gf = gmem_create(test, SZ_2M, GPOOL_FOLIO_SHIFT_2M, nid);

	/* A guest frame aligned like the host frame: one 2M mapping. */
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &pfn, &order), 0);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_2M);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(pfn, 512));
	KUNIT_EXPECT_EQ(test, gpool_file_get_pfn(gf, 5, 1029, &pfn2, &order), 0);
	KUNIT_EXPECT_EQ(test, pfn2, pfn + 5);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_2M);

	/* Misaligned by one frame: the same memory, mapped 4K. */
	KUNIT_EXPECT_EQ(test, gpool_file_get_pfn(gf, 5, 1030, &pfn2, &order), 0);
	KUNIT_EXPECT_EQ(test, pfn2, pfn + 5);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_4K);

	KUNIT_EXPECT_EQ(test, gpool_file_get_pfn(gf, 512, 512, &pfn2, &order),
			-EINVAL);
	gpool_file_destroy(gf);
}

static void gpool_gmem_test_folio_shift_caps_the_order(struct kunit *test)
{
	int nid = gmem_node_with(0, 512);
	struct gpool_file *gf;
	u64 pfn;
	int order;

	if (nid < 0)
		kunit_skip(test, "no 2 MiB of free pool memory");
	gf = gmem_create(test, SZ_2M, GPOOL_FOLIO_SHIFT_4K, nid);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &pfn, &order), 0);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_4K);
	gpool_file_destroy(gf);
}

static void gpool_gmem_test_punch_then_refill_merges(struct kunit *test)
{
	int nid = gmem_node_with(1, 1);
	struct gpool_stats st0, st1;
	pgoff_t mstart, mend;
	struct gpool_file *gf;
	u64 pfn, pfn2;
	int order;

	if (nid < 0)
		kunit_skip(test, "no free 2M unit");
	gf = gmem_create(test, SZ_2M, GPOOL_FOLIO_SHIFT_2M, nid);
	KUNIT_ASSERT_EQ(test, gpool_file_allocate(gf, 0, 512, &mstart, &mend), 0);
	KUNIT_EXPECT_GE(test, mstart, mend);	/* nothing merged */
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &pfn, &order), 0);
	KUNIT_ASSERT_EQ(test, order, GPOOL_ORDER_2M);
	KUNIT_ASSERT_EQ(test, gpool_node_stats(gpool_system, nid, &st0), 0);

	/* Punching page 1 splits the 2M unit into 4K units. */
	KUNIT_ASSERT_EQ(test, gpool_file_punch(gf, 1, 2), 0);
	KUNIT_ASSERT_EQ(test, gpool_node_stats(gpool_system, nid, &st1), 0);
	KUNIT_EXPECT_EQ(test, st1.lvl[GPOOL_LVL_2M].nr_splits, st0.lvl[GPOOL_LVL_2M].nr_splits + 1);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &pfn2, &order), 0);
	KUNIT_EXPECT_EQ(test, pfn2, pfn);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_4K);

	/* Refilling takes the same frame back and reports the merge. */
	KUNIT_ASSERT_EQ(test, gpool_file_allocate(gf, 1, 2, &mstart, &mend), 0);
	KUNIT_EXPECT_EQ(test, mstart, 0);
	KUNIT_EXPECT_EQ(test, mend, 512);
	KUNIT_ASSERT_EQ(test, gpool_node_stats(gpool_system, nid, &st1), 0);
	KUNIT_EXPECT_EQ(test, st1.lvl[GPOOL_LVL_2M].nr_merges, st0.lvl[GPOOL_LVL_2M].nr_merges + 1);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 1, 1, &pfn2, &order), 0);
	KUNIT_EXPECT_EQ(test, pfn2, pfn + 1);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_2M);
	gpool_file_destroy(gf);
}

static void gpool_gmem_test_1g_window(struct kunit *test)
{
	int nid = gmem_node_with(2, 1);
	struct gpool_file *gf;
	u64 pfn, pfn2;
	int order;

	if (nid < 0)
		kunit_skip(test, "no free 1G unit");
	gf = gmem_create(test, SZ_1G, GPOOL_FOLIO_SHIFT_1G, nid);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &pfn, &order), 0);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_1G);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(pfn, 1UL << GPOOL_ORDER_1G));
	/* Aligned to 2M but not 1G: 2M mappings of the 1G unit. */
	KUNIT_EXPECT_EQ(test, gpool_file_get_pfn(gf, 7, 512 + 7, &pfn2, &order), 0);
	KUNIT_EXPECT_EQ(test, pfn2, pfn + 7);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_2M);
	gpool_file_destroy(gf);
}

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
static void gpool_gmem_test_memory_failure(struct kunit *test)
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
static void gpool_gmem_test_failed_punch_keeps_marks(struct kunit *test)
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
static void gpool_gmem_test_memory_failure_never_waits(struct kunit *test)
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
static void gpool_gmem_test_regression_4k_after_bad_frame(struct kunit *test)
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

/* A mapper that records what a punch invalidates, and when. */
struct gmem_inval {
	struct gpool_file *gf;
	pgoff_t start, end;		/* of the last invalidate_begin */
	int begins, ends;
	u64 probe_pfn;			/* a frame of the unit being punched */
	int probe_order;		/* its unit's order at invalidate_begin */
};

static void gmem_inval_begin(void *data, pgoff_t start, pgoff_t end)
{
	struct gmem_inval *r = data;
	struct gpool_unit unit;

	r->start = start;
	r->end = end;
	r->begins++;
	/* Nothing may have changed yet: the unit is still whole. */
	r->probe_order = gpool_query(gpool_system, r->probe_pfn, &unit) ? -1 :
			 unit.order;
}

static void gmem_inval_end(void *data, pgoff_t start, pgoff_t end)
{
	struct gmem_inval *r = data;

	if (start == r->start && end == r->end)
		r->ends++;
}

static void gmem_inval_zap(void *data, pgoff_t start, pgoff_t end)
{
}

static const struct kvm_gmem_mapper gmem_inval_mapper = {
	.invalidate_begin = gmem_inval_begin,
	.invalidate_end = gmem_inval_end,
	.zap = gmem_inval_zap,
};

/*
 * A punch of one page invalidates the whole unit it splits, before it
 * splits it: a fault elsewhere in the unit may have the unit's order from
 * before the punch, and KVM only retries faults inside the invalidated
 * range.  Punching 4K out of a 1G unit invalidates the 1G window; out of a
 * 2M unit (now that the window is split), the 2M chunk; out of a 4K unit,
 * the page.
 */
static void gpool_gmem_test_punch_invalidates_whole_units(struct kunit *test)
{
	int nid = gmem_node_with(2, 1);
	struct gmem_inval r = {};
	struct gpool_file *gf;
	pgoff_t mstart, mend;
	u64 pfn;
	int order;

	if (nid < 0)
		kunit_skip(test, "no free 1G unit");
	gf = gmem_create(test, SZ_1G, GPOOL_FOLIO_SHIFT_1G, nid);
	gpool_file_set_mapper(gf, &gmem_inval_mapper, &r);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &pfn, &order), 0);
	KUNIT_ASSERT_EQ(test, order, GPOOL_ORDER_1G);

	/* 4K at 2M + 4K out of the 1G unit: the whole window. */
	r.probe_pfn = pfn + 513;
	KUNIT_ASSERT_EQ(test, gpool_file_punch(gf, 513, 514), 0);
	KUNIT_EXPECT_EQ(test, r.begins, 1);
	KUNIT_EXPECT_EQ(test, r.ends, 1);
	KUNIT_EXPECT_EQ(test, r.start, 0);
	KUNIT_EXPECT_EQ(test, r.end, SZ_1G >> PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, r.probe_order, GPOOL_ORDER_1G);

	/* 4K out of a 2M unit of the split window: that 2M chunk. */
	r.probe_pfn = pfn + 1024 + 7;
	KUNIT_ASSERT_EQ(test, gpool_file_punch(gf, 1024 + 7, 1024 + 8), 0);
	KUNIT_EXPECT_EQ(test, r.begins, 2);
	KUNIT_EXPECT_EQ(test, r.ends, 2);
	KUNIT_EXPECT_EQ(test, r.start, 1024);
	KUNIT_EXPECT_EQ(test, r.end, 1536);
	KUNIT_EXPECT_EQ(test, r.probe_order, GPOOL_ORDER_2M);

	/* A 4K unit, and a range spanning a 4K chunk into a 2M one. */
	KUNIT_ASSERT_EQ(test, gpool_file_punch(gf, 514, 515), 0);
	KUNIT_EXPECT_EQ(test, r.start, 514);
	KUNIT_EXPECT_EQ(test, r.end, 515);
	KUNIT_ASSERT_EQ(test, gpool_file_punch(gf, 1000, 1600), 0);
	KUNIT_EXPECT_EQ(test, r.start, 1000);
	KUNIT_EXPECT_EQ(test, r.end, 2048);
	KUNIT_EXPECT_EQ(test, r.begins, r.ends);

	/* Refilled, the window is one 1G unit again. */
	KUNIT_ASSERT_EQ(test, gpool_file_allocate(gf, 0, SZ_1G >> PAGE_SHIFT,
						  &mstart, &mend), 0);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &pfn, &order), 0);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_1G);
	gpool_file_destroy(gf);
}

/* The LIST_FILES entry of @gf (the newest file). */
static void gmem_file_info(struct kunit *test, struct gpool_file_info *out)
{
	struct gpool_file_info *info;
	u32 nr;

	KUNIT_ASSERT_EQ(test, gpool_files_list(U32_MAX, &info, &nr), 0);
	KUNIT_ASSERT_GE(test, nr, 1);
	*out = info[nr - 1];
	kvfree(info);
}

/*
 * LIST_FILES reads counters the file keeps as it allocates, splits,
 * merges and frees; they must say what the table says.
 */
static void gpool_gmem_test_list_counters(struct kunit *test)
{
	int nid = gmem_node_with(2, 1);
	struct gpool_file_info info;
	struct gpool_file *gf;
	pgoff_t mstart, mend;

	if (nid < 0 || nid >= GPOOL_FILE_NR_NODES)
		kunit_skip(test, "no free 1G unit");
	gf = gmem_create(test, SZ_1G, GPOOL_FOLIO_SHIFT_1G, nid);
	KUNIT_ASSERT_EQ(test, gpool_file_allocate(gf, 0, SZ_1G >> PAGE_SHIFT,
						  &mstart, &mend), 0);
	gmem_file_info(test, &info);
	KUNIT_EXPECT_EQ(test, info.units[GPOOL_SIZE_1G], 1);
	KUNIT_EXPECT_EQ(test, info.units[GPOOL_SIZE_2M], 0);
	KUNIT_EXPECT_EQ(test, info.node_bytes[nid], SZ_1G);

	/* One 4K out: 511 2M units, 511 4K units. */
	KUNIT_ASSERT_EQ(test, gpool_file_punch(gf, 513, 514), 0);
	gmem_file_info(test, &info);
	KUNIT_EXPECT_EQ(test, info.units[GPOOL_SIZE_1G], 0);
	KUNIT_EXPECT_EQ(test, info.units[GPOOL_SIZE_2M], 511);
	KUNIT_EXPECT_EQ(test, info.units[GPOOL_SIZE_4K], 511);
	KUNIT_EXPECT_EQ(test, info.node_bytes[nid], SZ_1G - SZ_4K);

	/* Back, merged: one 1G unit again. */
	KUNIT_ASSERT_EQ(test, gpool_file_allocate(gf, 513, 514, &mstart, &mend), 0);
	gmem_file_info(test, &info);
	KUNIT_EXPECT_EQ(test, info.units[GPOOL_SIZE_1G], 1);
	KUNIT_EXPECT_EQ(test, info.units[GPOOL_SIZE_2M], 0);
	KUNIT_EXPECT_EQ(test, info.units[GPOOL_SIZE_4K], 0);
	KUNIT_EXPECT_EQ(test, info.node_bytes[nid], SZ_1G);

	/* Everything out. */
	KUNIT_ASSERT_EQ(test, gpool_file_punch(gf, 0, SZ_1G >> PAGE_SHIFT), 0);
	gmem_file_info(test, &info);
	KUNIT_EXPECT_EQ(test, info.units[GPOOL_SIZE_1G] + info.units[GPOOL_SIZE_2M] +
			info.units[GPOOL_SIZE_4K], 0);
	KUNIT_EXPECT_EQ(test, info.node_bytes[nid], 0);
	gpool_file_destroy(gf);
}

/*
 * Pool memory has no folio for the architecture to prepare or populate,
 * so only KVM_X86_SW_PROTECTED_VM may have it, with the flag or by
 * default backing (one function decides both): a SEV-SNP guest created
 * under gpool=default_backing gets the page cache and still launches.
 */
static void gpool_gmem_test_vm_types(struct kunit *test)
{
#ifdef GMEM_HAVE_KVM
	static const struct {
		unsigned long type;
		bool pool;
	} types[] = {
		{ KVM_X86_DEFAULT_VM, false },
		{ KVM_X86_SW_PROTECTED_VM, true },
		{ KVM_X86_SEV_VM, false },
		{ KVM_X86_SEV_ES_VM, false },
		{ KVM_X86_SNP_VM, false },
	};
	struct kvm *kvm = kunit_kzalloc(test, sizeof(*kvm), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, kvm);
	/* Without a VM (KVM_CHECK_EXTENSION on /dev/kvm): what the pool has. */
	KUNIT_EXPECT_EQ(test, kvm_gmem_supported_flags(NULL),
			(u64)GUEST_MEMFD_FLAG_GPOOL);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		kvm->arch.vm_type = types[i].type;
		KUNIT_EXPECT_EQ_MSG(test, kvm_gmem_supported_flags(kvm),
				    types[i].pool ? (u64)GUEST_MEMFD_FLAG_GPOOL : 0,
				    "VM type %lu", types[i].type);
	}
#else
	kunit_skip(test, "KVM with private memory is not built in");
#endif
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
static void gpool_gmem_test_grow_rollback_clears(struct kunit *test)
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

static struct kunit_case gpool_gmem_test_cases[] = {
	KUNIT_CASE(gpool_gmem_test_create_checks_arguments),
	KUNIT_CASE_SLOW(gpool_gmem_test_max_order_follows_alignment),
	KUNIT_CASE(gpool_gmem_test_folio_shift_caps_the_order),
	KUNIT_CASE(gpool_gmem_test_punch_then_refill_merges),
	KUNIT_CASE_SLOW(gpool_gmem_test_1g_window),
	KUNIT_CASE(gpool_gmem_test_memory_failure),
	KUNIT_CASE_SLOW(gpool_gmem_test_memory_failure_never_waits),
	KUNIT_CASE(gpool_gmem_test_failed_punch_keeps_marks),
	KUNIT_CASE(gpool_gmem_test_regression_4k_after_bad_frame),
	KUNIT_CASE_SLOW(gpool_gmem_test_punch_invalidates_whole_units),
	KUNIT_CASE_SLOW(gpool_gmem_test_list_counters),
	KUNIT_CASE(gpool_gmem_test_vm_types),
	KUNIT_CASE(gpool_gmem_test_grow_rollback_clears),
	{}
};

static struct kunit_suite gpool_gmem_test_suite = {
	.name = "gpool_gmem",
	.init = gmem_init,
	.exit = gmem_exit,
	.test_cases = gpool_gmem_test_cases,
};

kunit_test_suite(gpool_gmem_test_suite);

MODULE_DESCRIPTION("KUnit tests for gpool's guest_memfd glue");
MODULE_LICENSE("GPL");
