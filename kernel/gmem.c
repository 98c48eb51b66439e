// SPDX-License-Identifier: GPL-2.0
/*
 * gpool: backing a guest_memfd with the pool.
 *
 * A pool-backed guest_memfd has no page cache.  Its memory is a table with
 * one entry per 2 MiB of the file (a "chunk"), saying which pool unit backs
 * it:
 *
 *	file offset  0        2M       4M             1G             1G+2M
 *	chunk        [0]      [1]      [2]  ...  [511][512]     [513]
 *	state        1G ----- 1G ----- 1G ...... 1G   2M        4K -> pages[512]
 *	home         H        H+512    H+1024         P         Q
 *
 * - CHUNK_1G: part of a 1 GiB unit that backs the whole 1 GiB-aligned
 *   window of the file the chunk is in; home is the chunk's 2M slice of it.
 * - CHUNK_2M: a 2 MiB unit.
 * - CHUNK_4K: split; pages[i] is the 4K unit backing page i (0 if a hole).
 * - CHUNK_EMPTY: nothing allocated.
 *
 * A chunk's home is the 2M-aligned pfn it was last backed by, and stays
 * when the chunk is split or punched.  When a hole in a split chunk is
 * filled again, the pool is first asked for exactly the home frame
 * (gpool_alloc_exact()), so that once the chunk is whole it can merge back
 * into a 2M unit, and a window of 2M units back into the 1G unit it came
 * from: a 4K conversion costs one split and one merge, not a 1G folio for
 * good.
 *
 * Units are allocated on first use (guest fault or fallocate) and zeroed
 * then unless the pool says they are known to be zero (kernel/zero.c clears
 * free memory in the background); the whole file size
 * was reserved from the pool when the file was created, so allocation only
 * fails if frames went bad.  The file's mutex serialises all of it; KVM's
 * vCPUs fault concurrently and guest_memfd's invalidate lock is not held on
 * the fault path.
 */
#define pr_fmt(fmt) "gpool: " fmt

#include <linux/cred.h>
#include <linux/export.h>
#include <linux/gpool.h>
#include <linux/kvm_gmem_backend.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <uapi/linux/gpool.h>

#include "../pool/pool.h"
#include "gpool_kernel.h"

#define CHUNK_PAGES	512UL		/* 4K pages per 2M chunk */
#define WINDOW_CHUNKS	512UL		/* 2M chunks per 1G window */
#define WINDOW_PAGES	(CHUNK_PAGES * WINDOW_CHUNKS)

enum gpool_chunk_state {
	CHUNK_EMPTY,
	CHUNK_4K,
	CHUNK_2M,
	CHUNK_1G,
};

struct gpool_chunk {
	u8 state;		/* enum gpool_chunk_state */
	u16 nr_pages;		/* CHUNK_4K: pages present */
	/*
	 * The 2M-aligned frame last backing the chunk (0 if never): for
	 * CHUNK_2M/1G the chunk's first frame, for CHUNK_4K and CHUNK_EMPTY
	 * the frames to ask for again so that the unit can merge.
	 */
	u64 home;
	u64 *pages;		/* CHUNK_4K: CHUNK_PAGES frames, 0 = hole */
};

struct gpool_file {
	struct mutex lock;	/* protects the table and the owner's units */
	struct gpool_owner *owner;
	pgoff_t nr_pages;	/* file size in 4K pages */
	unsigned int max_order;
	unsigned long nr_chunks;
	struct gpool_chunk *chunks;
	/* Indexes whose frame went bad while the file held it (hwpoison). */
	struct xarray poison;
	/*
	 * Frames that went bad while @lock was busy, for @poison_work to
	 * look for in the table (struct gpool_poison_req).
	 */
	struct llist_head poison_pending;
	struct work_struct poison_work;
	/*
	 * What guest_memfd.c knows the file by: the ops, and the mapper that
	 * reaches KVM's mappings (set by guest_memfd.c at creation, with
	 * smp_store_release(); see gpool_file_mapper()).
	 */
	struct kvm_gmem_backend backend;
	/*
	 * What the file holds, for GPOOL_IOC_LIST_FILES: units by size
	 * (GPOOL_SIZE_*) and bytes by node.  Written under @lock, read
	 * without it, so that listing never waits behind a file that is
	 * clearing a unit.
	 */
	u64 nr_units[GPOOL_NR_SIZES];
	u64 node_bytes[GPOOL_FILE_NR_NODES];

	/* For GPOOL_IOC_LIST_FILES; set at creation, then constant. */
	struct list_head link;	/* gpool_files, oldest first */
	u64 id;
	struct pid *pid;	/* the creating thread group */
	kuid_t uid;		/* charged for the size (vm.gpool_user_max_bytes) */
	char comm[TASK_COMM_LEN];
	u32 file_flags;		/* GPOOL_FILE_F_* */
	u32 numa_mode;
	u64 numa_nodes;
};

/* KVM's mappings of @gf, once guest_memfd.c has attached them. */
static const struct kvm_gmem_mapper *gpool_file_mapper(struct gpool_file *gf)
{
	/* Pairs with the store of guest_memfd.c: the mapper's data is set. */
	return smp_load_acquire(&gf->backend.mapper);
}

/* GPOOL_SIZE_* of a unit of @order. */
static unsigned int gpool_size_of(unsigned int order)
{
	BUILD_BUG_ON(GPOOL_SIZE_2M != 1 || GPOOL_SIZE_1G != 2);
	return order == GPOOL_ORDER_1G ? GPOOL_SIZE_1G :
	       order == GPOOL_ORDER_2M ? GPOOL_SIZE_2M : GPOOL_SIZE_4K;
}

/* @n more (or fewer) units of @order in the file's counters. */
static void gpool_count_units(struct gpool_file *gf, unsigned int order,
			      long n)
{
	unsigned int size = gpool_size_of(order);

	lockdep_assert_held(&gf->lock);
	WRITE_ONCE(gf->nr_units[size], gf->nr_units[size] + n);
}

/* A unit of @order on @nid came into the file (@sign 1) or left (-1). */
static void gpool_count_bytes(struct gpool_file *gf, int nid,
			      unsigned int order, int sign)
{
	u64 bytes = PAGE_SIZE << order;

	lockdep_assert_held(&gf->lock);
	gpool_count_units(gf, order, sign);
	if (nid < 0 || nid >= GPOOL_FILE_NR_NODES)
		return;
	WRITE_ONCE(gf->node_bytes[nid], sign > 0 ? gf->node_bytes[nid] + bytes :
						   gf->node_bytes[nid] - bytes);
}

/* Free a unit of the file, keeping the file's counters. */
static int gpool_file_free_unit(struct gpool_file *gf, u64 pfn,
				unsigned int order)
{
	struct gpool_unit unit;
	int nid, ret;

	nid = gpool_query(gpool_system, pfn, &unit) ? -1 : unit.nid;
	ret = gpool_free(gf->owner, pfn, order);
	if (!ret)
		gpool_count_bytes(gf, nid, order, -1);
	return ret;
}

/* Every pool-backed file, for the control file. */
static DEFINE_MUTEX(gpool_files_lock);
static LIST_HEAD(gpool_files);
static unsigned int gpool_nr_files;
static u64 gpool_files_next_id = 1;

/* Pool-back guest_memfds created without the flag: gpool=default_backing,... */
bool gpool_default_backing;

u64 gpool_gmem_supported_flags(void)
{
	return gpool_system ? GUEST_MEMFD_FLAG_GPOOL : 0;
}
EXPORT_SYMBOL_GPL(gpool_gmem_supported_flags);

bool gpool_default_backing_on(void)
{
	return gpool_system && READ_ONCE(gpool_default_backing);
}

/*
 * Should a guest_memfd created without the flag be pool-backed?  Only if
 * the pool is the default backing and the caller may use the pool
 * (vm.gpool_group); otherwise it gets the page cache, as without a pool.
 */
bool gpool_gmem_default_backing(void)
{
	return gpool_default_backing_on() && gpool_may_create();
}
EXPORT_SYMBOL_GPL(gpool_gmem_default_backing);

/* Allocate a unit (the exact one at @want first, if any) and clear it. */
static int gpool_file_get_unit(struct gpool_file *gf, unsigned int order,
			       u64 want, struct gpool_unit *unit)
{
	int ret = -EBUSY;

	/*
	 * The unit the background zeroer is clearing is taken back from it
	 * rather than waited for: the zeroer runs at nice 19, and gives a
	 * unit back dirty (cleared here, at this task's priority) as soon
	 * as it is paused.  A home unit that is allocated (to another page
	 * of this file, or to another owner) or bad will not come back:
	 * take any unit, at once.
	 */
	if (want) {
		ret = gpool_alloc_exact(gf->owner, want, order, unit);
		if (ret == -EBUSY && gpool_zero_holds(want)) {
			gpool_zero_pause();
			ret = gpool_alloc_exact(gf->owner, want, order, unit);
			gpool_zero_resume();
		}
	}
	if (ret) {
		ret = gpool_alloc(gf->owner, order, unit);
		/* All the capacity left is out with the zeroer. */
		if (ret == -EAGAIN) {
			gpool_zero_pause();
			ret = gpool_alloc(gf->owner, order, unit);
			gpool_zero_resume();
		}
	}
	if (ret)
		return ret;
	if (!(unit->flags & GPOOL_UNIT_ZERO)) {
		ret = gpool_zero_unit(unit->pfn, order);
		if (ret) {
			gpool_free(gf->owner, unit->pfn, order);
			return ret;
		}
	}
	gpool_count_bytes(gf, unit->nid, order, 1);
	return 0;
}

static struct gpool_chunk *gpool_window(struct gpool_file *gf, pgoff_t index)
{
	return &gf->chunks[ALIGN_DOWN(index, WINDOW_PAGES) / CHUNK_PAGES];
}

/* Can the 1G window holding @index be one 1G unit? */
static bool gpool_window_fits(struct gpool_file *gf, pgoff_t index)
{
	pgoff_t start = ALIGN_DOWN(index, WINDOW_PAGES);
	struct gpool_chunk *c = gpool_window(gf, index);
	unsigned long i;

	if (gf->max_order < GPOOL_ORDER_1G || start + WINDOW_PAGES > gf->nr_pages)
		return false;
	for (i = 0; i < WINDOW_CHUNKS; i++)
		if (c[i].state != CHUNK_EMPTY)
			return false;
	return true;
}

/* The 1G unit the window's chunks last came from, if they agree on one. */
static u64 gpool_window_home(struct gpool_file *gf, pgoff_t index)
{
	struct gpool_chunk *c = gpool_window(gf, index);
	u64 home = c[0].home;
	unsigned long i;

	if (!home || !IS_ALIGNED(home, WINDOW_PAGES))
		return 0;
	for (i = 1; i < WINDOW_CHUNKS; i++)
		if (c[i].home != home + i * CHUNK_PAGES)
			return 0;
	return home;
}

static void gpool_set_window(struct gpool_file *gf, pgoff_t index, u64 pfn)
{
	struct gpool_chunk *c = gpool_window(gf, index);
	unsigned long i;

	for (i = 0; i < WINDOW_CHUNKS; i++) {
		c[i].state = CHUNK_1G;
		c[i].home = pfn + i * CHUNK_PAGES;
	}
}

/*
 * A window whose chunks are all 2M units of one 1G-aligned run, held by
 * this file, merges back into the 1G unit.
 */
static bool gpool_try_merge_1g(struct gpool_file *gf, pgoff_t index)
{
	struct gpool_chunk *c = gpool_window(gf, index);
	struct gpool_merge_info info;
	unsigned long i;
	u64 home;

	if (gf->max_order < GPOOL_ORDER_1G ||
	    ALIGN_DOWN(index, WINDOW_PAGES) + WINDOW_PAGES > gf->nr_pages)
		return false;
	home = gpool_window_home(gf, index);
	if (!home)
		return false;
	for (i = 0; i < WINDOW_CHUNKS; i++)
		if (c[i].state != CHUNK_2M)
			return false;
	if (gpool_merge(gf->owner, home, GPOOL_ORDER_1G, &info))
		return false;
	gpool_set_window(gf, index, home);
	gpool_count_units(gf, GPOOL_ORDER_2M, -(long)WINDOW_CHUNKS);
	gpool_count_units(gf, GPOOL_ORDER_1G, 1);
	return true;
}

/* A split chunk whose every page is back at home merges into a 2M unit. */
static bool gpool_try_merge_2m(struct gpool_file *gf, struct gpool_chunk *c)
{
	struct gpool_merge_info info;
	unsigned long i;

	if (gf->max_order < GPOOL_ORDER_2M || c->nr_pages != CHUNK_PAGES)
		return false;
	for (i = 0; i < CHUNK_PAGES; i++)
		if (c->pages[i] != c->home + i)
			return false;
	if (gpool_merge(gf->owner, c->home, GPOOL_ORDER_2M, &info))
		return false;
	gpool_count_units(gf, GPOOL_ORDER_4K, -(long)CHUNK_PAGES);
	gpool_count_units(gf, GPOOL_ORDER_2M, 1);
	kfree(c->pages);
	c->pages = NULL;
	c->nr_pages = 0;
	c->state = CHUNK_2M;
	return true;
}

/* Fill a hole in (or create) a split chunk with one 4K unit. */
static int gpool_fill_4k(struct gpool_file *gf, struct gpool_chunk *c,
			 pgoff_t index, bool *merged)
{
	unsigned long i = index % CHUNK_PAGES;
	struct gpool_unit unit;
	int ret;

	if (c->state == CHUNK_EMPTY) {
		c->pages = kcalloc(CHUNK_PAGES, sizeof(*c->pages),
				   GFP_KERNEL_ACCOUNT);
		if (!c->pages)
			return -ENOMEM;
		c->state = CHUNK_4K;
	}
	/* Only a file that can merge needs its frames back at home. */
	ret = gpool_file_get_unit(gf, GPOOL_ORDER_4K,
				  gf->max_order >= GPOOL_ORDER_2M && c->home ?
				  c->home + i : 0, &unit);
	if (ret) {
		if (!c->nr_pages) {
			kfree(c->pages);
			c->pages = NULL;
			c->state = CHUNK_EMPTY;
		}
		return ret;
	}
	c->pages[i] = unit.pfn;
	c->nr_pages++;
	if (gpool_try_merge_2m(gf, c)) {
		*merged = true;
		gpool_try_merge_1g(gf, index);
	}
	return 0;
}

/* Back the page at @index, allocating as large a unit as fits. */
static int gpool_populate(struct gpool_file *gf, pgoff_t index, bool *merged)
{
	struct gpool_chunk *c = &gf->chunks[index / CHUNK_PAGES];
	pgoff_t chunk_start = ALIGN_DOWN(index, CHUNK_PAGES);
	struct gpool_unit unit;
	u64 home;
	int ret;

	lockdep_assert_held(&gf->lock);

	if (c->state == CHUNK_4K)
		return c->pages[index % CHUNK_PAGES] ? 0 :
		       gpool_fill_4k(gf, c, index, merged);
	if (c->state != CHUNK_EMPTY)
		return 0;

	if (gpool_window_fits(gf, index)) {
		home = gpool_window_home(gf, index);
		if (!gpool_file_get_unit(gf, GPOOL_ORDER_1G, home, &unit)) {
			gpool_set_window(gf, index, unit.pfn);
			return 0;
		}
	}
	if (gf->max_order >= GPOOL_ORDER_2M &&
	    chunk_start + CHUNK_PAGES <= gf->nr_pages &&
	    !gpool_file_get_unit(gf, GPOOL_ORDER_2M, c->home, &unit)) {
		c->state = CHUNK_2M;
		c->home = unit.pfn;
		if (gpool_try_merge_1g(gf, index))
			*merged = true;
		return 0;
	}
	ret = gpool_fill_4k(gf, c, index, merged);
	if (!ret && !c->home)
		c->home = ALIGN_DOWN(c->pages[index % CHUNK_PAGES], CHUNK_PAGES);
	return ret;
}

/* The frame backing @index and the order of the unit holding it. */
static void gpool_lookup(struct gpool_file *gf, pgoff_t index, u64 *pfn,
			 unsigned int *order)
{
	struct gpool_chunk *c = &gf->chunks[index / CHUNK_PAGES];

	switch (c->state) {
	case CHUNK_1G:
		*pfn = c->home + index % CHUNK_PAGES;
		*order = GPOOL_ORDER_1G;
		break;
	case CHUNK_2M:
		*pfn = c->home + index % CHUNK_PAGES;
		*order = GPOOL_ORDER_2M;
		break;
	default:
		*pfn = c->pages[index % CHUNK_PAGES];
		*order = GPOOL_ORDER_4K;
		break;
	}
}

/* Is a frame of the @order-aligned block holding @index bad? */
static bool gpool_file_poisoned(struct gpool_file *gf, pgoff_t index,
				unsigned int order)
{
	unsigned long first = ALIGN_DOWN(index, 1UL << order);

	lockdep_assert_held(&gf->lock);
	/* The fault path asks on every huge mapping: almost always empty. */
	return !xa_empty(&gf->poison) &&
	       xa_find(&gf->poison, &first, first + (1UL << order) - 1,
		       XA_PRESENT);
}

int gpool_file_get_pfn(struct gpool_file *gf, pgoff_t index, u64 gfn,
		       u64 *pfn, int *max_order)
{
	unsigned int order;
	bool merged = false;
	int ret;

	if (index >= gf->nr_pages)
		return -EINVAL;

	mutex_lock(&gf->lock);
	/* A frame that went bad is never mapped again: KVM exits to the VMM. */
	if (xa_load(&gf->poison, index)) {
		mutex_unlock(&gf->lock);
		return -EHWPOISON;
	}
	ret = gpool_populate(gf, index, &merged);
	if (!ret)
		gpool_lookup(gf, index, pfn, &order);
	/*
	 * KVM maps a huge page only where the guest frame and the host frame
	 * are equally aligned; a memslot bound at an offset that breaks that
	 * gets smaller mappings of the same memory.  Nor may a huge mapping
	 * cover a bad frame of its unit.
	 */
	while (!ret && order && (!IS_ALIGNED(gfn ^ *pfn, 1ULL << order) ||
				 gpool_file_poisoned(gf, index, order)))
		order = order == GPOOL_ORDER_1G ? GPOOL_ORDER_2M : GPOOL_ORDER_4K;
	mutex_unlock(&gf->lock);
	if (ret)
		return ret;

	if (max_order)
		*max_order = order;
	return 0;
}

int gpool_file_allocate(struct gpool_file *gf, pgoff_t start, pgoff_t end,
			pgoff_t *merged_start, pgoff_t *merged_end)
{
	pgoff_t index = start, first = ULONG_MAX, last = 0;
	unsigned int order;
	int ret = 0;
	u64 pfn;

	mutex_lock(&gf->lock);
	while (index < end) {
		bool merged = false;

		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		ret = gpool_populate(gf, index, &merged);
		if (ret)
			break;
		gpool_lookup(gf, index, &pfn, &order);
		if (merged) {
			/* The whole unit now maps differently: report it. */
			first = min(first, ALIGN_DOWN(index, 1UL << order));
			last = max(last, ALIGN_DOWN(index, 1UL << order) +
					 (1UL << order));
		}
		index = ALIGN_DOWN(index, 1UL << order) + (1UL << order);
		if (need_resched()) {
			mutex_unlock(&gf->lock);
			cond_resched();
			mutex_lock(&gf->lock);
		}
	}
	mutex_unlock(&gf->lock);
	*merged_start = first;
	*merged_end = first == ULONG_MAX ? first : last;
	return ret;
}

/* Turn a CHUNK_2M into a CHUNK_4K; the pool units must already be 4K. */
static void gpool_chunk_to_4k(struct gpool_file *gf, struct gpool_chunk *c,
			      u64 *pages)
{
	unsigned long i;

	gpool_count_units(gf, GPOOL_ORDER_2M, -1);
	gpool_count_units(gf, GPOOL_ORDER_4K, CHUNK_PAGES);

	for (i = 0; i < CHUNK_PAGES; i++)
		pages[i] = c->home + i;
	c->pages = pages;
	c->nr_pages = CHUNK_PAGES;
	c->state = CHUNK_4K;
}

/* A split chunk's page table; KUnit makes it fail to test a punch's failure. */
VISIBLE_IF_KUNIT u64 *gpool_split_pages_alloc(void)
{
	KUNIT_STATIC_STUB_REDIRECT(gpool_split_pages_alloc);
	return kmalloc_array(CHUNK_PAGES, sizeof(u64), GFP_KERNEL_ACCOUNT);
}

/*
 * Split the unit backing chunk @c so that [start, end) (clipped to the
 * unit) is made of whole units, and update the table the way the pool did
 * it: 1G into 2M chunks, and the chunks holding a boundary into 4K.
 */
static int gpool_split_chunk(struct gpool_file *gf, pgoff_t ci, pgoff_t start,
			     pgoff_t end)
{
	struct gpool_chunk *c = &gf->chunks[ci];
	pgoff_t ustart, uend, s, e, i;
	struct gpool_split_info info;
	u64 *pages[2] = { NULL, NULL };
	bool window = c->state == CHUNK_1G;
	int ret, n = 0;

	ustart = window ? ALIGN_DOWN(ci * CHUNK_PAGES, WINDOW_PAGES) :
			  ci * CHUNK_PAGES;
	uend = ustart + (window ? WINDOW_PAGES : CHUNK_PAGES);
	s = max(start, ustart);
	e = min(end, uend);

	/* Preallocate before the pool changes: the split cannot be undone. */
	for (i = 0; i < 2; i++) {
		pages[i] = gpool_split_pages_alloc();
		if (!pages[i]) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	ret = gpool_split(gf->owner, gf->chunks[s / CHUNK_PAGES].home +
			  s % CHUNK_PAGES, e - s, &info);
	if (ret)
		goto out_free;

	if (window) {
		struct gpool_chunk *w = &gf->chunks[ustart / CHUNK_PAGES];

		for (i = 0; i < WINDOW_CHUNKS; i++)
			w[i].state = CHUNK_2M;
		gpool_count_units(gf, GPOOL_ORDER_1G, -1);
		gpool_count_units(gf, GPOOL_ORDER_2M, WINDOW_CHUNKS);
	}
	if (s % CHUNK_PAGES)
		gpool_chunk_to_4k(gf, &gf->chunks[s / CHUNK_PAGES], pages[n++]);
	if (e % CHUNK_PAGES && gf->chunks[e / CHUNK_PAGES].state != CHUNK_4K)
		gpool_chunk_to_4k(gf, &gf->chunks[e / CHUNK_PAGES], pages[n++]);
out_free:
	while (n < 2)
		kfree(pages[n++]);
	return ret;
}

/* The first page and the size in pages of the unit backing @index. */
static pgoff_t gpool_unit_of(struct gpool_file *gf, pgoff_t index,
			     pgoff_t *nr_pages)
{
	switch (gf->chunks[index / CHUNK_PAGES].state) {
	case CHUNK_1G:
		*nr_pages = WINDOW_PAGES;
		return ALIGN_DOWN(index, WINDOW_PAGES);
	case CHUNK_2M:
		*nr_pages = CHUNK_PAGES;
		return ALIGN_DOWN(index, CHUNK_PAGES);
	default:
		*nr_pages = 1;
		return index;
	}
}

/*
 * Widen [*start, *end) to the whole units it touches.  A unit that a punch
 * splits may be mapped by one huge SPTE that a fault on any of its pages
 * installed, and KVM's fault path only retries a fault whose own gfn lies
 * in the range being invalidated: invalidating just the punched pages
 * would let a fault elsewhere in the unit, which got the unit's pfn and
 * order before the punch, install a huge SPTE over the frames the punch
 * frees.  The caller holds the file's mutex, so no fault can change the
 * table (merge a unit) until the punch is done.
 */
static void gpool_unit_span(struct gpool_file *gf, pgoff_t *start,
			    pgoff_t *end)
{
	pgoff_t n;

	lockdep_assert_held(&gf->lock);
	*start = gpool_unit_of(gf, *start, &n);
	*end = gpool_unit_of(gf, *end - 1, &n) + n;
}

/* Forget the bad frames of [start, end): the pool took them out of service. */
static void gpool_file_unpoison(struct gpool_file *gf, pgoff_t start,
				pgoff_t end)
{
	unsigned long i;
	void *entry;

	if (!xa_empty(&gf->poison))
		xa_for_each_range(&gf->poison, i, entry, start, end - 1)
			xa_erase(&gf->poison, i);
}

/*
 * Free the units backing [start, end), splitting the units at either end
 * as deep as needed.  KVM's mappings of the whole units touched are
 * invalidated around it, under the file's mutex (see gpool_unit_span()).
 * On failure (-ENOMEM for split metadata) the pages freed so far stay
 * freed and the rest stay backed, with their bad-frame marks.
 */
int gpool_file_punch(struct gpool_file *gf, pgoff_t start, pgoff_t end)
{
	const struct kvm_gmem_mapper *mapper;
	pgoff_t ci, i, s, e, span_start, span_end;
	int ret = 0;

	end = min(end, gf->nr_pages);
	if (start >= end)
		return 0;
	mutex_lock(&gf->lock);
	mapper = gpool_file_mapper(gf);
	span_start = start;
	span_end = end;
	gpool_unit_span(gf, &span_start, &span_end);
	if (mapper)
		mapper->invalidate_begin(gf->backend.mapper_data, span_start,
					 span_end);
	for (ci = start / CHUNK_PAGES; ci * CHUNK_PAGES < end; ci++) {
		struct gpool_chunk *c = &gf->chunks[ci];
		pgoff_t cstart = ci * CHUNK_PAGES;

		if (c->state == CHUNK_1G) {
			pgoff_t wstart = ALIGN_DOWN(cstart, WINDOW_PAGES);

			if (start <= wstart && end >= wstart + WINDOW_PAGES) {
				struct gpool_chunk *w = gpool_window(gf, cstart);

				ret = gpool_file_free_unit(gf, w->home,
							   GPOOL_ORDER_1G);
				if (ret)
					break;
				for (i = 0; i < WINDOW_CHUNKS; i++)
					w[i].state = CHUNK_EMPTY;
				gpool_file_unpoison(gf, wstart, wstart + WINDOW_PAGES);
				ci = wstart / CHUNK_PAGES + WINDOW_CHUNKS - 1;
				cond_resched();
				continue;
			}
			ret = gpool_split_chunk(gf, ci, start, end);
			if (ret)
				break;
		}
		if (c->state == CHUNK_2M) {
			if (start <= cstart && end >= cstart + CHUNK_PAGES) {
				ret = gpool_file_free_unit(gf, c->home,
							   GPOOL_ORDER_2M);
				if (ret)
					break;
				c->state = CHUNK_EMPTY;
				gpool_file_unpoison(gf, cstart, cstart + CHUNK_PAGES);
				cond_resched();
				continue;
			}
			ret = gpool_split_chunk(gf, ci, start, end);
			if (ret)
				break;
		}
		if (c->state != CHUNK_4K)
			continue;
		s = max(start, cstart) - cstart;
		e = min(end, cstart + CHUNK_PAGES) - cstart;
		for (i = s; i < e; i++) {
			if (!c->pages[i])
				continue;
			ret = gpool_file_free_unit(gf, c->pages[i],
						   GPOOL_ORDER_4K);
			if (WARN_ON_ONCE(ret))
				break;
			c->pages[i] = 0;
			c->nr_pages--;
			gpool_file_unpoison(gf, cstart + i, cstart + i + 1);
		}
		if (!c->nr_pages) {
			kfree(c->pages);
			c->pages = NULL;
			c->state = CHUNK_EMPTY;
		}
		if (ret)
			break;
		/* One free per page of a split file: 268M of them for 1 TiB. */
		cond_resched();
	}
	if (mapper)
		mapper->invalidate_end(gf->backend.mapper_data, span_start,
				       span_end);
	mutex_unlock(&gf->lock);
	/* Freed memory is dirty: have it cleared before anyone needs it. */
	gpool_zero_kick();
	return ret;
}

/* The page of @gf that @pfn backs, or -1; the file's lock held. */
static long gpool_file_find(struct gpool_file *gf, u64 pfn)
{
	unsigned long ci, i;

	lockdep_assert_held(&gf->lock);
	for (ci = 0; ci < gf->nr_chunks; ci++) {
		struct gpool_chunk *c = &gf->chunks[ci];

		switch (c->state) {
		case CHUNK_1G:
		case CHUNK_2M:
			if (pfn >= c->home && pfn < c->home + CHUNK_PAGES)
				return ci * CHUNK_PAGES + pfn - c->home;
			break;
		case CHUNK_4K:
			for (i = 0; i < CHUNK_PAGES; i++)
				if (c->pages[i] == pfn)
					return ci * CHUNK_PAGES + i;
			break;
		}
		cond_resched();
	}
	return -1;
}

/*
 * If @gf holds frame @pfn, remember its page as bad, so that it is never
 * mapped again, and return the range of the unit holding it, whose
 * mappings KVM must drop (a 1G mapping would still reach the frame).  The
 * file's lock held; the caller zaps once it has let go of the lock, as
 * the zap takes the invalidate lock, which ranks above it.
 */
static bool gpool_file_mark_poison(struct gpool_file *gf, u64 pfn,
				   pgoff_t *start, pgoff_t *end)
{
	unsigned int order;
	long index;
	u64 frame;

	lockdep_assert_held(&gf->lock);
	index = gpool_file_find(gf, pfn);
	if (index < 0 ||
	    xa_err(xa_store(&gf->poison, index, xa_mk_value(1), GFP_KERNEL)))
		return false;
	gpool_lookup(gf, index, &frame, &order);
	*start = ALIGN_DOWN(index, 1UL << order);
	*end = *start + (1UL << order);
	return true;
}

static void gpool_file_zap(struct gpool_file *gf, pgoff_t start, pgoff_t end)
{
	const struct kvm_gmem_mapper *mapper = gpool_file_mapper(gf);

	if (mapper)
		mapper->zap(gf->backend.mapper_data, start, end);
}

/* A bad frame for a file that was busy when memory failure asked it. */
struct gpool_poison_req {
	struct llist_node node;
	u64 pfn;
};

/*
 * With @gf's lock held: mark @pfn bad if @gf holds it, let go of the lock,
 * then drop KVM's mappings of its unit.  Returns whether @gf holds it.
 */
static bool gpool_file_poison_locked(struct gpool_file *gf, u64 pfn)
	__releases(&gf->lock)
{
	pgoff_t start, end;
	bool found;

	found = gpool_file_mark_poison(gf, pfn, &start, &end);
	mutex_unlock(&gf->lock);
	if (found)
		gpool_file_zap(gf, start, end);
	return found;
}

/*
 * The file was busy (a fault clearing a 1 GiB unit holds its lock for a
 * long time): look for the frames memory failure left here, now that the
 * lock can be waited for.
 */
static void gpool_file_poison_work(struct work_struct *work)
{
	struct gpool_file *gf = container_of(work, struct gpool_file,
					     poison_work);
	struct gpool_poison_req *req, *next;
	struct llist_node *list;

	list = llist_del_all(&gf->poison_pending);
	llist_for_each_entry_safe(req, next, list, node) {
		mutex_lock(&gf->lock);
		gpool_file_poison_locked(gf, req->pfn);
		kfree(req);
	}
}

/* The file is going away: no memory failure can reach it any more. */
static void gpool_file_poison_drain(struct gpool_file *gf)
{
	struct gpool_poison_req *req, *next;

	cancel_work_sync(&gf->poison_work);
	llist_for_each_entry_safe(req, next,
				  llist_del_all(&gf->poison_pending), node)
		kfree(req);
}

/* Reserve the whole file, with the largest units the pool can promise. */
static int gpool_file_reserve(struct gpool_file *gf)
{
	u64 bytes = (u64)gf->nr_pages << PAGE_SHIFT;
	static const unsigned int orders[] = {
		GPOOL_ORDER_1G, GPOOL_ORDER_2M, GPOOL_ORDER_4K,
	};
	unsigned int top, k;
	int ret = -ENOMEM;

	/* Try 1G units for the 1G part first, then settle for smaller. */
	for (top = 0; top < ARRAY_SIZE(orders); top++) {
		u64 left = bytes;

		if (orders[top] > gf->max_order)
			continue;
		for (k = top; k < ARRAY_SIZE(orders) && left; k++) {
			u64 unit = PAGE_SIZE << orders[k];
			u64 part = k == ARRAY_SIZE(orders) - 1 ? left :
				   ALIGN_DOWN(left, unit);

			if (!part)
				continue;
			ret = gpool_reserve(gf->owner, part, orders[k]);
			if (ret)
				break;
			left -= part;
		}
		if (!ret)
			return 0;
		gpool_unreserve(gf->owner);
	}
	return ret;
}

/* Bytes the pool holds over all nodes: no file can ever be larger. */
static u64 gpool_capacity(void)
{
	struct gpool_stats stats;
	u64 pages = 0;
	int nid;

	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (!gpool_node_stats(gpool_system, nid, &stats))
			pages += stats.nr_pages;
	return pages << PAGE_SHIFT;
}

/* Every node a policy names must have pool memory. */
static int gpool_file_check_nodes(u64 nodes)
{
	struct gpool_stats stats;
	int nid;

	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if ((nodes & BIT_ULL(nid)) &&
		    gpool_node_stats(gpool_system, nid, &stats))
			return -EINVAL;
	return 0;
}

static int gpool_file_policy(const struct gpool_create_guest_memfd *args,
			     struct gpool_policy *policy)
{
	u64 nodes = args->numa_nodes;
	int nid;

	memset(policy, 0, sizeof(*policy));
	switch (args->numa_mode) {
	case GPOOL_NUMA_DEFAULT:
		if (nodes)
			return -EINVAL;
		policy->mode = GPOOL_MODE_PREFERRED;
		policy->preferred = numa_node_id();
		return 0;
	case GPOOL_NUMA_BIND:
		policy->mode = GPOOL_MODE_BIND;
		break;
	case GPOOL_NUMA_PREFERRED:
		if (hweight64(nodes) != 1)
			return -EINVAL;
		policy->mode = GPOOL_MODE_PREFERRED;
		policy->preferred = __ffs64(nodes);
		/* Fall back to every node. */
		return gpool_file_check_nodes(nodes);
	case GPOOL_NUMA_INTERLEAVE:
		policy->mode = GPOOL_MODE_INTERLEAVE;
		break;
	default:
		return -EINVAL;
	}
	if (!nodes)
		return -EINVAL;
	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (nodes & BIT_ULL(nid))
			__set_bit(nid, policy->nodes);
	return gpool_file_check_nodes(nodes);
}

/*
 * Check a KVM_CREATE_GUEST_MEMFD argument that asks for the pool (or that
 * gets it by default) and build the file's backing.  Returns -EINVAL for
 * bad arguments and -ENOMEM when the pool cannot reserve the size.
 */
struct gpool_file *gpool_file_create(const struct gpool_create_guest_memfd *args)
{
	struct gpool_policy policy;
	struct gpool_file *gf;
	unsigned int max_order;
	int ret;

	if (!gpool_system)
		return ERR_PTR(-EINVAL);
	if (memchr_inv(args->reserved, 0, sizeof(args->reserved)))
		return ERR_PTR(-EINVAL);
	/*
	 * With the flag, the caller must say how large a folio it wants
	 * (so that the flag alone, as 6.12's guest_memfd_test sweeps it,
	 * stays invalid).  Without it (default backing) the words must be
	 * zero and the defaults apply: 1G folios, local node first.
	 */
	if (!(args->flags & GUEST_MEMFD_FLAG_GPOOL)) {
		if (args->folio_shift || args->numa_mode || args->numa_nodes)
			return ERR_PTR(-EINVAL);
		max_order = GPOOL_ORDER_1G;
	} else if (args->folio_shift == GPOOL_FOLIO_SHIFT_1G) {
		max_order = GPOOL_ORDER_1G;
	} else if (args->folio_shift == GPOOL_FOLIO_SHIFT_2M) {
		max_order = GPOOL_ORDER_2M;
	} else if (args->folio_shift == GPOOL_FOLIO_SHIFT_4K) {
		max_order = GPOOL_ORDER_4K;
	} else {
		return ERR_PTR(-EINVAL);
	}
	ret = gpool_file_policy(args, &policy);
	if (ret)
		return ERR_PTR(ret);
	/*
	 * Before anything is sized by the request: a file larger than the
	 * whole pool can never be reserved, and its chunk table alone could
	 * exceed what kvmalloc() accepts.
	 */
	if (!gpool_may_create())
		return ERR_PTR(-EPERM);
	if (args->size > gpool_capacity())
		return ERR_PTR(-ENOMEM);

	gf = kzalloc(sizeof(*gf), GFP_KERNEL_ACCOUNT);
	if (!gf)
		return ERR_PTR(-ENOMEM);
	gf->uid = current_uid();
	ret = gpool_user_charge(gf->uid, args->size);
	if (ret)
		goto err_free_gf;
	mutex_init(&gf->lock);
	xa_init(&gf->poison);
	init_llist_head(&gf->poison_pending);
	INIT_WORK(&gf->poison_work, gpool_file_poison_work);
	gf->nr_pages = args->size >> PAGE_SHIFT;
	gf->max_order = max_order;
	gf->nr_chunks = DIV_ROUND_UP(gf->nr_pages, CHUNK_PAGES);
	gf->chunks = kvcalloc(gf->nr_chunks, sizeof(*gf->chunks),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!gf->chunks) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	gf->owner = gpool_owner_create(gpool_system, &policy, max_order);
	if (IS_ERR(gf->owner)) {
		ret = PTR_ERR(gf->owner);
		goto err_free_chunks;
	}
	ret = gpool_file_reserve(gf);
	if (ret)
		goto err_destroy_owner;

	gf->pid = get_task_pid(current, PIDTYPE_TGID);
	get_task_comm(gf->comm, current);
	if (!(args->flags & GUEST_MEMFD_FLAG_GPOOL))
		gf->file_flags |= GPOOL_FILE_F_DEFAULT_BACKED;
	gf->numa_mode = args->numa_mode;
	gf->numa_nodes = args->numa_nodes;
	mutex_lock(&gpool_files_lock);
	gf->id = gpool_files_next_id++;
	list_add_tail(&gf->link, &gpool_files);
	gpool_nr_files++;
	mutex_unlock(&gpool_files_lock);
	return gf;

err_destroy_owner:
	gpool_owner_destroy(gf->owner);
err_free_chunks:
	kvfree(gf->chunks);
err_uncharge:
	gpool_user_uncharge(gf->uid, args->size);
err_free_gf:
	kfree(gf);
	return ERR_PTR(ret);
}

/* Give every unit back to the pool and free the file's backing. */
void gpool_file_destroy(struct gpool_file *gf)
{
	mutex_lock(&gpool_files_lock);
	list_del(&gf->link);
	gpool_nr_files--;
	mutex_unlock(&gpool_files_lock);
	gpool_file_poison_drain(gf);
	put_pid(gf->pid);

	/* KVM dropped every mapping and binding of the file already. */
	WRITE_ONCE(gf->backend.mapper, NULL);
	gpool_file_punch(gf, 0, gf->nr_pages);
	xa_destroy(&gf->poison);
	WARN_ON_ONCE(gpool_owner_destroy(gf->owner));
	gpool_user_uncharge(gf->uid, (u64)gf->nr_pages << PAGE_SHIFT);
	kvfree(gf->chunks);
	kfree(gf);
}

/*
 * The backend of a pool-backed guest_memfd (<linux/kvm_gmem_backend.h>):
 * guest_memfd.c calls these through gpool_gmem_ops.
 */
static struct gpool_file *gpool_backend_file(struct kvm_gmem_backend *backend)
{
	return container_of(backend, struct gpool_file, backend);
}

static int gpool_gmem_get_pfn(struct kvm_gmem_backend *backend, pgoff_t index,
			      gfn_t gfn, kvm_pfn_t *pfn, int *max_order)
{
	u64 frame;
	int ret;

	ret = gpool_file_get_pfn(gpool_backend_file(backend), index, gfn,
				 &frame, max_order);
	if (!ret)
		*pfn = frame;
	return ret;
}

/*
 * Allocating can merge units that were split for a conversion back into
 * 2M or 1G ones.  The memory does not move, but KVM still maps it with
 * small SPTEs: invalidate the merged range, so that the next guest access
 * maps it as one huge page.
 */
static long gpool_gmem_allocate(struct kvm_gmem_backend *backend,
				pgoff_t start, pgoff_t end)
{
	struct gpool_file *gf = gpool_backend_file(backend);
	const struct kvm_gmem_mapper *mapper = gpool_file_mapper(gf);
	pgoff_t merged_start, merged_end;
	int ret;

	ret = gpool_file_allocate(gf, start, end, &merged_start, &merged_end);
	if (mapper && merged_start < merged_end) {
		mapper->invalidate_begin(backend->mapper_data, merged_start,
					 merged_end);
		mapper->invalidate_end(backend->mapper_data, merged_start,
				       merged_end);
	}
	return ret;
}

static long gpool_gmem_punch(struct kvm_gmem_backend *backend, pgoff_t start,
			     pgoff_t end)
{
	return gpool_file_punch(gpool_backend_file(backend), start, end);
}

static void gpool_gmem_release(struct kvm_gmem_backend *backend)
{
	gpool_file_destroy(gpool_backend_file(backend));
}

static const struct kvm_gmem_backend_ops gpool_gmem_ops = {
	.get_pfn	= gpool_gmem_get_pfn,
	.allocate	= gpool_gmem_allocate,
	.punch		= gpool_gmem_punch,
	.release	= gpool_gmem_release,
};

struct kvm_gmem_backend *
gpool_gmem_create(const struct gpool_create_guest_memfd *args)
{
	struct gpool_file *gf = gpool_file_create(args);

	if (IS_ERR(gf))
		return ERR_CAST(gf);
	gf->backend.ops = &gpool_gmem_ops;
	return &gf->backend;
}
EXPORT_SYMBOL_GPL(gpool_gmem_create);

unsigned int gpool_files_count(void)
{
	return READ_ONCE(gpool_nr_files);
}

/*
 * What GPOOL_IOC_LIST_FILES says of one file.  The counters are read
 * without the file's mutex: each is exact at some instant, and a file
 * that is changing may be described a moment apart.
 */
static void gpool_file_info(struct gpool_file *gf, struct gpool_file_info *info)
{
	unsigned int i;

	memset(info, 0, sizeof(*info));
	info->id = gf->id;
	info->pid = pid_vnr(gf->pid);
	info->file_flags = gf->file_flags;
	/* get_task_comm() left it NUL-terminated. */
	memcpy(info->comm, gf->comm, sizeof(info->comm));
	info->size = (u64)gf->nr_pages << PAGE_SHIFT;
	info->folio_shift = PAGE_SHIFT + gf->max_order;
	info->numa_mode = gf->numa_mode;
	info->numa_nodes = gf->numa_nodes;
	for (i = 0; i < GPOOL_NR_SIZES; i++)
		info->units[i] = READ_ONCE(gf->nr_units[i]);
	for (i = 0; i < GPOOL_FILE_NR_NODES; i++)
		info->node_bytes[i] = READ_ONCE(gf->node_bytes[i]);
}

/*
 * Describe every pool-backed file into a kernel buffer of @*nr entries;
 * -E2BIG, with @*nr set to the count, if @room is too small.  The caller
 * kvfree()s *@infop.
 */
int gpool_files_list(u32 room, struct gpool_file_info **infop, u32 *nr)
{
	struct gpool_file_info *info = NULL;
	struct gpool_file *gf;
	u32 i = 0;

	mutex_lock(&gpool_files_lock);
	*nr = gpool_nr_files;
	if (room < gpool_nr_files) {
		mutex_unlock(&gpool_files_lock);
		return -E2BIG;
	}
	if (gpool_nr_files) {
		info = kvmalloc_array(gpool_nr_files, sizeof(*info),
				      GFP_KERNEL);
		if (!info) {
			mutex_unlock(&gpool_files_lock);
			return -ENOMEM;
		}
	}
	list_for_each_entry(gf, &gpool_files, link)
		gpool_file_info(gf, &info[i++]);
	mutex_unlock(&gpool_files_lock);
	*infop = info;
	return 0;
}

/*
 * Frame @pfn, allocated to some file, went bad: find the file and have it
 * remember the frame and drop KVM's mappings of its unit.
 *
 * Memory failure never waits for a file's lock, which a fault holds
 * across clearing a unit (a second or more for 1 GiB): a file that is
 * busy gets the frame queued, and its poison work looks for it once the
 * lock is free.  A fault that maps the frame in between is zapped then;
 * one that samples KVM's invalidation sequence before the zap retries and
 * finds the page marked.  Files cannot go away meanwhile: destruction
 * takes gpool_files_lock and then cancels the work.
 */
static void gpool_file_poison(u64 pfn)
{
	struct gpool_poison_req *req;
	struct gpool_file *gf;

	mutex_lock(&gpool_files_lock);
	list_for_each_entry(gf, &gpool_files, link) {
		if (!mutex_trylock(&gf->lock)) {
			req = kmalloc(sizeof(*req), GFP_KERNEL);
			if (req) {
				req->pfn = pfn;
				llist_add(&req->node, &gf->poison_pending);
				queue_work(system_unbound_wq,
					   &gf->poison_work);
				continue;
			}
			/* No memory to queue it: wait, as a last resort. */
			mutex_lock(&gf->lock);
		}
		if (gpool_file_poison_locked(gf, pfn))
			break;
		cond_resched();
	}
	mutex_unlock(&gpool_files_lock);
}

#ifdef CONFIG_GPOOL_KUNIT_TEST
/* For KUnit: a mapper of its own, as guest_memfd.c sets one. */
void gpool_file_set_mapper(struct gpool_file *gf,
			   const struct kvm_gmem_mapper *mapper, void *data)
{
	gf->backend.mapper_data = data;
	/* As guest_memfd.c: the data before the mapper. */
	smp_store_release(&gf->backend.mapper, mapper);
}

/* For KUnit: hold a file's lock, as a fault does while it clears a unit. */
void gpool_file_test_lock(struct gpool_file *gf)
{
	mutex_lock(&gf->lock);
}

void gpool_file_test_unlock(struct gpool_file *gf)
{
	mutex_unlock(&gf->lock);
}
#endif

int gpool_memory_failure(unsigned long pfn, int flags)
{
	struct gpool_unit unit;
	bool held;
	int ret;

	if (!gpool_system)
		return -ENOENT;
	ret = gpool_mark_bad(gpool_system, pfn);
	/* Its unit is out with the zeroer: have it back, then mark. */
	if (ret == -EBUSY) {
		gpool_zero_pause();
		ret = gpool_mark_bad(gpool_system, pfn);
		gpool_zero_resume();
	}
	/* -EINVAL: not a frame of the pool. */
	if (ret == -EINVAL)
		return -ENOENT;
	if (ret) {
		pr_err("memory failure at pfn %#lx: cannot take it out of the pool: %d\n",
		       pfn, ret);
		return ret;
	}
	/*
	 * A bad frame is never handed out again, so this answer holds: held
	 * by a file now, or out of service for good.
	 */
	held = !gpool_query(gpool_system, pfn, &unit);
	if (held)
		gpool_file_poison(pfn);
	pr_err("memory failure at pfn %#lx: %s\n", pfn,
	       held ? "guest memory: unmapped, the guest's next access exits with EHWPOISON" :
		      "free pool memory: out of service");
	return 0;
}
