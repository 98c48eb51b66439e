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
 * - memory_failure() on a frame a file holds, and GPOOL_IOC_GROW's
 *   rollback: gmem_kunit_mf.c;
 * - a punch invalidates KVM's mappings of every unit it splits, whole,
 *   before it changes anything;
 * - a conversion splits in place (no frame moves), invalidating the whole
 *   unit first, and merges back when the range is of one kind again;
 * - the counters GPOOL_IOC_LIST_FILES reports follow every split, merge
 *   and free;
 * - only VM types whose private memory needs no preparation by the
 *   architecture may have pool memory (not SEV, SEV-ES or SEV-SNP, which
 *   the emulated machine cannot create).
 *
 * Needs a boot with a pool (gpool=...); skips without one.
 */
#include <kunit/test.h>
#include <linux/gpool.h>
#include <linux/kvm.h>
#include <linux/kvm_gmem_backend.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#ifdef CONFIG_X86
#include <asm/memtype.h>
#endif
#include <uapi/linux/gpool.h>

#include "../../pool/pool.h"
#include "../../pool/table.h"
#include "../gpool_kernel.h"
#include "gmem_kunit.h"

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

u64 gmem_room(const struct gpool_stats *st, unsigned int size)
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

struct gpool_file *gmem_create(struct kunit *test, u64 size,
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
	struct gpool_file_info *info;
	struct gpool_file *gf;
	u32 nr;
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

	/* The flag alone: the defaults, 1G folios from the local node. */
	memset(&bad, 0, sizeof(bad));
	bad.size = SZ_2M;
	bad.flags = GUEST_MEMFD_FLAG_GPOOL;
	gf = gpool_file_create(&bad);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(gf), "flag alone: %ld",
			       PTR_ERR(gf));
	KUNIT_ASSERT_EQ(test, gpool_files_list(U32_MAX, &info, &nr), 0);
	/* The newest file is last. */
	KUNIT_ASSERT_GT(test, nr, 0);
	KUNIT_EXPECT_EQ(test, info[nr - 1].folio_shift, GPOOL_FOLIO_SHIFT_1G);
	KUNIT_EXPECT_EQ(test, info[nr - 1].numa_mode, GPOOL_NUMA_DEFAULT);
	kvfree(info);
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

/* The units of the newest file, of size @size (GPOOL_SIZE_*). */
static u64 gmem_units(struct kunit *test, int size)
{
	struct gpool_file_info fi;

	gmem_file_info(test, &fi);
	return fi.units[size];
}

/*
 * A mapper with attributes, for conversions: one bit per page (private),
 * and what the conversion invalidated.
 */
struct gmem_conv {
	struct gmem_inval inval;
	unsigned long *private;
	pgoff_t start, end;		/* what the commit sets */
	bool to_private;
	int commits;
};

static void gmem_conv_begin(void *data, pgoff_t start, pgoff_t end)
{
	gmem_inval_begin(&((struct gmem_conv *)data)->inval, start, end);
}

static void gmem_conv_end(void *data, pgoff_t start, pgoff_t end)
{
	gmem_inval_end(&((struct gmem_conv *)data)->inval, start, end);
}

static bool gmem_conv_attributes(void *data, pgoff_t start, pgoff_t end,
				 u64 *attrs)
{
	struct gmem_conv *c = data;
	bool first = test_bit(start, c->private);

	*attrs = first ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
	if (first)
		return find_next_zero_bit(c->private, end, start) >= end;
	return find_next_bit(c->private, end, start) >= end;
}

static const struct kvm_gmem_mapper gmem_conv_mapper = {
	.invalidate_begin = gmem_conv_begin,
	.invalidate_end = gmem_conv_end,
	.zap = gmem_inval_zap,
	.attributes = gmem_conv_attributes,
};

static int gmem_conv_commit(void *arg)
{
	struct gmem_conv *c = arg;

	c->commits++;
	if (c->to_private)
		bitmap_set(c->private, c->start, c->end - c->start);
	else
		bitmap_clear(c->private, c->start, c->end - c->start);
	return 0;
}

static void gmem_convert(struct kunit *test, struct gpool_file *gf,
			 struct gmem_conv *c, pgoff_t start, pgoff_t end,
			 bool to_private)
{
	c->start = start;
	c->end = end;
	c->to_private = to_private;
	KUNIT_ASSERT_EQ(test, gpool_file_convert(gf, start, end,
						 gmem_conv_commit, c), 0);
}

/* The frame and order get_pfn gives page @index (bound at gfn == index). */
static int gmem_order_at(struct kunit *test, struct gpool_file *gf,
			 pgoff_t index, u64 want_pfn)
{
	u64 pfn;
	int order;

	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, index, index, &pfn, &order), 0);
	KUNIT_EXPECT_EQ(test, pfn, want_pfn);
	return order;
}

/*
 * A conversion splits in place: converting 4K inside a private 1G unit
 * invalidates the whole window first, then leaves 2M units and one 4K
 * chunk with every frame where it was; converting it back merges the unit
 * again and invalidates it once more so that KVM maps it 1G.  A 2M-aligned
 * conversion splits only to 2M.  A populate never makes a unit over both
 * kinds.
 */
static void gpool_gmem_test_convert_in_place(struct kunit *test)
{
	const pgoff_t nr = SZ_1G >> PAGE_SHIFT, p = 1024 + 3;
	int nid = gmem_node_with(2, 1);
	struct gmem_conv c = {};
	struct gpool_file *gf;
	u64 base;
	int order;

	if (nid < 0)
		kunit_skip(test, "no free 1G unit");
	c.private = kunit_kzalloc(test, BITS_TO_LONGS(nr) * sizeof(long),
				  GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c.private);
	bitmap_fill(c.private, nr);
	gf = gmem_create(test, SZ_1G, GPOOL_FOLIO_SHIFT_1G, nid);
	gpool_file_set_mapper(gf, &gmem_conv_mapper, &c);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &base, &order), 0);
	KUNIT_ASSERT_EQ(test, order, GPOOL_ORDER_1G);

	/* 4K to shared: the window invalidated while still one unit. */
	c.inval.probe_pfn = base + p;
	gmem_convert(test, gf, &c, p, p + 1, false);
	KUNIT_EXPECT_EQ(test, c.commits, 1);
	KUNIT_EXPECT_EQ(test, c.inval.begins, 1);
	KUNIT_EXPECT_EQ(test, c.inval.start, 0);
	KUNIT_EXPECT_EQ(test, c.inval.end, nr);
	KUNIT_EXPECT_EQ(test, c.inval.probe_order, GPOOL_ORDER_1G);
	KUNIT_EXPECT_EQ(test, gmem_order_at(test, gf, p, base + p), GPOOL_ORDER_4K);
	KUNIT_EXPECT_EQ(test, gmem_order_at(test, gf, p + 1, base + p + 1),
			GPOOL_ORDER_4K);
	KUNIT_EXPECT_EQ(test, gmem_order_at(test, gf, 0, base), GPOOL_ORDER_2M);
	KUNIT_EXPECT_EQ(test, gmem_order_at(test, gf, nr - 1, base + nr - 1),
			GPOOL_ORDER_2M);
	KUNIT_EXPECT_EQ(test, gmem_units(test, GPOOL_SIZE_1G), 0);
	KUNIT_EXPECT_EQ(test, gmem_units(test, GPOOL_SIZE_2M), 511);
	KUNIT_EXPECT_EQ(test, gmem_units(test, GPOOL_SIZE_4K), 512);

	/* Back to private: merged, and the window invalidated again. */
	gmem_convert(test, gf, &c, p, p + 1, true);
	KUNIT_EXPECT_EQ(test, c.inval.begins, 3);
	KUNIT_EXPECT_EQ(test, c.inval.ends, 3);
	KUNIT_EXPECT_EQ(test, c.inval.start, 0);
	KUNIT_EXPECT_EQ(test, c.inval.end, nr);
	KUNIT_EXPECT_EQ(test, gmem_order_at(test, gf, p, base + p), GPOOL_ORDER_1G);
	KUNIT_EXPECT_EQ(test, gmem_units(test, GPOOL_SIZE_1G), 1);

	/* A 2M-aligned conversion: 2M units only. */
	gmem_convert(test, gf, &c, 1024, 1536, false);
	KUNIT_EXPECT_EQ(test, gmem_units(test, GPOOL_SIZE_2M), 512);
	KUNIT_EXPECT_EQ(test, gmem_units(test, GPOOL_SIZE_4K), 0);
	KUNIT_EXPECT_EQ(test, gmem_order_at(test, gf, 1024, base + 1024),
			GPOOL_ORDER_2M);
	gmem_convert(test, gf, &c, 1024, 1536, true);
	KUNIT_EXPECT_EQ(test, gmem_units(test, GPOOL_SIZE_1G), 1);

	/* Punched out and refilled over mixed attributes: never one unit. */
	KUNIT_ASSERT_EQ(test, gpool_file_punch(gf, 0, nr), 0);
	gmem_convert(test, gf, &c, p, p + 1, false);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &base, &order), 0);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_2M);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, p, p, &base, &order), 0);
	KUNIT_EXPECT_EQ(test, order, GPOOL_ORDER_4K);
	gpool_file_destroy(gf);
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
 * so only VM types whose memory needs no preparation (default and
 * KVM_X86_SW_PROTECTED_VM) may have it, with the flag or by default
 * backing (one function decides both): a SEV-SNP guest created under
 * gpool=default_backing gets the page cache and still launches.  MMAP is
 * for every VM, as 6.18, and INIT_SHARED for VMs without private memory
 * (as 6.18) or whose files convert in place (patch 0007: not SNP).
 */
static void gpool_gmem_test_vm_types(struct kunit *test)
{
#ifdef GMEM_HAVE_KVM
	static const struct {
		unsigned long type;
		bool private_mem;
		bool pool;
	} types[] = {
		{ KVM_X86_DEFAULT_VM, false, true },
		{ KVM_X86_SW_PROTECTED_VM, true, true },
		{ KVM_X86_SEV_VM, false, false },
		{ KVM_X86_SEV_ES_VM, false, false },
		{ KVM_X86_SNP_VM, true, false },
	};
	struct kvm *kvm = kunit_kzalloc(test, sizeof(*kvm), GFP_KERNEL);
	unsigned int i;
	u64 want;

	KUNIT_ASSERT_NOT_NULL(test, kvm);
	/* Without a VM (KVM_CHECK_EXTENSION on /dev/kvm): what any VM has. */
	KUNIT_EXPECT_EQ(test, kvm_gmem_supported_flags(NULL),
			(u64)(GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED |
			      GUEST_MEMFD_FLAG_GPOOL));
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		kvm->arch.vm_type = types[i].type;
		kvm->arch.has_private_mem = types[i].private_mem;
		want = GUEST_MEMFD_FLAG_MMAP;
		/* In-place conversion where nothing needs preparing: not SNP. */
		if (!types[i].private_mem || types[i].pool)
			want |= GUEST_MEMFD_FLAG_INIT_SHARED;
		if (types[i].pool)
			want |= GUEST_MEMFD_FLAG_GPOOL;
		KUNIT_EXPECT_EQ_MSG(test, kvm_gmem_supported_flags(kvm), want,
				    "VM type %lu", types[i].type);
	}
#else
	kunit_skip(test, "KVM with private memory is not built in");
#endif
}

/*
 * A host mapping of pool memory (mmap of a shared file) gets the memory
 * type PAT records for the frames: it must be write-back, as KVM's and the
 * zeroer's mappings are.  A nomap pool is not "System RAM", so only the
 * pool's own record makes it so (gpool_unmap_direct()); without it PAT
 * would map it UC-.
 */
static void gpool_gmem_test_host_memtype_wb(struct kunit *test)
{
#ifdef CONFIG_X86
	int nid = gmem_node_with(GPOOL_LVL_2M, 1);
	struct gpool_file *gf;
	u64 pfn;
	int order;

	/* Without PAT every pfn mapping takes the vma's type, write-back. */
	if (!pat_enabled())
		kunit_skip(test, "PAT is off: no memory type to check");
	if (nid < 0)
		kunit_skip(test, "no free 2M unit");
	gf = gmem_create(test, SZ_2M, GPOOL_FOLIO_SHIFT_2M, nid);
	KUNIT_ASSERT_EQ(test, gpool_file_get_pfn(gf, 0, 0, &pfn, &order), 0);
	KUNIT_EXPECT_FALSE_MSG(test, pat_pfn_immune_to_uc_mtrr(pfn),
			       "pool frame %#llx would be mapped uncached", pfn);
	KUNIT_EXPECT_FALSE(test, pat_pfn_immune_to_uc_mtrr(pfn + 511));
	gpool_file_destroy(gf);
#else
	kunit_skip(test, "PAT is x86's");
#endif
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
	KUNIT_CASE_SLOW(gpool_gmem_test_convert_in_place),
	KUNIT_CASE_SLOW(gpool_gmem_test_list_counters),
	KUNIT_CASE(gpool_gmem_test_vm_types),
	KUNIT_CASE(gpool_gmem_test_grow_rollback_clears),
	KUNIT_CASE(gpool_gmem_test_host_memtype_wb),
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
