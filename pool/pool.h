/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpool: allocator core for a dedicated guest-memory pool.
 *
 * The pool manages physical frames, identified by pfn, that were set aside
 * per NUMA node (usually at boot).  It hands them out as units of order 18
 * (1 GiB), 9 (2 MiB) and 0 (4 KiB), splits and merges them, and keeps all of
 * its state in metadata of its own: it never reads or writes the frames and
 * knows nothing about struct page, folios, files or KVM.  kernel/ maps pfns
 * to folios and does the zeroing.
 *
 * Who calls what (see docs/design/pool.md for the full contract):
 *
 *  - boot / hotplug:   gpool_add_range(), gpool_remove_range()
 *  - guest_memfd open: gpool_owner_create() + gpool_reserve()
 *  - fault, fallocate: gpool_alloc(), or gpool_alloc_exact() to get a given
 *                      pfn back before a merge
 *  - conversion:       gpool_split() around a range, gpool_free() of the
 *                      pieces; later gpool_merge()
 *  - mapping:          gpool_query() gives the order of the unit holding a pfn
 *  - close:            gpool_free() of everything, gpool_owner_destroy()
 *  - zeroing worker:   gpool_zero_begin() / gpool_zero_end()
 *  - memory_failure:   gpool_mark_bad()
 *
 * Locking: every function takes the locks it needs and may be called from
 * process context.  Functions that can split metadata allocate with
 * GFP_KERNEL *before* taking a spinlock, so none of them may be called from
 * atomic context.  No function sleeps with a pool lock held.
 *
 * Errors: -EINVAL for malformed arguments (alignment, order, size, unknown
 * pfn), -ENOENT when no allocated unit of that order starts at the pfn
 * (double free, wrong order), -EPERM when the unit belongs to another owner,
 * -EBUSY when a frame or range is not in the required state, -ENOMEM when
 * capacity or metadata is short, -EAGAIN when the only capacity is being
 * zeroed right now.  A failed call changes nothing.
 */
#ifndef __GPOOL_POOL_H
#define __GPOOL_POOL_H

#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/types.h>

/* Page orders of the three unit sizes. */
#define GPOOL_ORDER_4K		0
#define GPOOL_ORDER_2M		9
#define GPOOL_ORDER_1G		18

/**
 * enum gpool_lvl - the unit sizes, smallest first, indexing per-size arrays
 * @GPOOL_LVL_4K: units of order %GPOOL_ORDER_4K.
 * @GPOOL_LVL_2M: units of order %GPOOL_ORDER_2M.
 * @GPOOL_LVL_1G: units of order %GPOOL_ORDER_1G.
 * @GPOOL_NR_LVLS: the number of sizes.
 *
 * The index of &gpool_stats.lvl[] and of every per-size array of the pool.
 * A unit of one level is 512 units of the level below it, so the order of
 * a level is the level times %GPOOL_ORDER_2M.  The uAPI's GPOOL_SIZE_* have
 * the same values (checked where kernel/ copies the counters out).
 */
enum gpool_lvl {
	GPOOL_LVL_4K,
	GPOOL_LVL_2M,
	GPOOL_LVL_1G,
	GPOOL_NR_LVLS,
};

/**
 * gpool_order_lvl() - the level of the units of an order
 * @order: 0, 9 or 18.
 *
 * Return: the &enum gpool_lvl, or -EINVAL for any other order.
 */
static inline int gpool_order_lvl(unsigned int order)
{
	switch (order) {
	case GPOOL_ORDER_4K:
		return GPOOL_LVL_4K;
	case GPOOL_ORDER_2M:
		return GPOOL_LVL_2M;
	case GPOOL_ORDER_1G:
		return GPOOL_LVL_1G;
	}
	return -EINVAL;
}

/**
 * gpool_lvl_order() - the order of the units of a level
 * @lvl: an &enum gpool_lvl below %GPOOL_NR_LVLS.
 *
 * Return: 0, 9 or 18.
 */
static inline unsigned int gpool_lvl_order(int lvl)
{
	return lvl * GPOOL_ORDER_2M;
}

/* Node ids the pool accepts: 0 .. GPOOL_MAX_NODES - 1. */
#define GPOOL_MAX_NODES		64

struct gpool;
struct gpool_owner;

/**
 * enum gpool_mode - NUMA placement of an owner's reservations and units
 * @GPOOL_MODE_BIND: only nodes in &gpool_policy.nodes, lowest id first.
 * @GPOOL_MODE_PREFERRED: &gpool_policy.preferred first, then the nodes in
 *	&gpool_policy.nodes (all pool nodes if the mask is empty).
 * @GPOOL_MODE_INTERLEAVE: round-robin over &gpool_policy.nodes.
 */
enum gpool_mode {
	GPOOL_MODE_BIND,
	GPOOL_MODE_PREFERRED,
	GPOOL_MODE_INTERLEAVE,
};

/**
 * struct gpool_policy - NUMA policy of an owner
 * @mode: one of &enum gpool_mode.
 * @preferred: preferred node for %GPOOL_MODE_PREFERRED, ignored otherwise.
 * @nodes: node mask; see &enum gpool_mode.
 */
struct gpool_policy {
	enum gpool_mode mode;
	int preferred;
	DECLARE_BITMAP(nodes, GPOOL_MAX_NODES);
};

/* &gpool_unit.flags: the frames are known to be zero, no need to clear. */
#define GPOOL_UNIT_ZERO		BIT(0)

/**
 * struct gpool_unit - one unit handed out by (or looked up in) the pool
 * @pfn: first frame of the unit, aligned to its order.
 * @order: 0, 9 or 18.
 * @nid: node the frames belong to.
 * @flags: %GPOOL_UNIT_ZERO or 0.  Without %GPOOL_UNIT_ZERO the caller must
 *	clear the frames before anyone else sees them.
 * @owner: gpool_query() only: the gpool_owner_id() of the owner holding
 *	the unit, or 0 if the pool does not know which one (a 4K frame of a
 *	2M child several owners hold frames of, held by one of those that
 *	took its frames later).
 */
struct gpool_unit {
	u64 pfn;
	unsigned int order;
	int nid;
	unsigned int flags;
	u32 owner;
};

/**
 * struct gpool_split_info - what gpool_split() did
 * @nr_2m: allocated 2M units that the split created.
 * @nr_4k: allocated 4K units that the split created.
 */
struct gpool_split_info {
	unsigned int nr_2m;
	unsigned int nr_4k;
};

/**
 * struct gpool_merge_info - what gpool_merge() did
 * @order: order of the allocated unit that now contains the pfn.
 * @nr_4k: allocated 4K units merged away.
 * @nr_2m: allocated 2M units merged away.
 */
struct gpool_merge_info {
	unsigned int order;
	unsigned int nr_4k;
	unsigned int nr_2m;
};

/**
 * struct gpool_lvl_stats - counters of one node for one unit size
 * @total: units of this size the node could hold if nothing were split.
 * @free: free units of this size ready to be handed out (a free 1G unit is
 *	not also counted as 512 free 2M units).
 * @zero: of @free, the units known to be zero.
 * @zeroing: units taken out by gpool_zero_begin() and not yet returned.
 * @allocated: units of this size currently allocated.
 * @reserved: units of this size promised to owners and not allocated.
 * @split: units of this size currently split into smaller units.
 * @nr_splits: splits of a unit of this size performed so far.
 * @nr_merges: merges into a unit of this size performed so far.
 */
struct gpool_lvl_stats {
	u64 total;
	u64 free;
	u64 zero;
	u64 zeroing;
	u64 allocated;
	u64 reserved;
	u64 split;
	u64 nr_splits;
	u64 nr_merges;
};

/**
 * struct gpool_stats - counters of one node
 * @lvl: indexed by &enum gpool_lvl.
 * @nr_pages: frames managed by the node (@lvl[%GPOOL_LVL_4K].total).
 * @bad_pages: frames marked bad and out of service.
 * @poison_pending: allocated frames marked bad, waiting to be freed.
 */
struct gpool_stats {
	struct gpool_lvl_stats lvl[GPOOL_NR_LVLS];
	u64 nr_pages;
	u64 bad_pages;
	u64 poison_pending;
};

/**
 * gpool_create() - create an empty pool
 *
 * Return: the pool, or ERR_PTR(-ENOMEM).
 */
struct gpool *gpool_create(void);

/**
 * gpool_destroy() - free a pool and all of its metadata
 * @pool: pool with no owners left.
 *
 * Return: 0, or -EBUSY (and nothing is freed) while owners exist.
 */
int gpool_destroy(struct gpool *pool);

/* gpool_add_range() flags: the frames are known to be zero. */
#define GPOOL_RANGE_ZEROED	BIT(0)

/**
 * gpool_add_range() - give a range of frames to the pool
 * @pool: the pool.
 * @nid: NUMA node of the frames, below %GPOOL_MAX_NODES.
 * @start_pfn: first frame, 2M-aligned.
 * @nr_pages: number of frames, a non-zero multiple of 512.
 * @flags: %GPOOL_RANGE_ZEROED or 0.
 *
 * Every 1G-aligned 1G window that lies entirely inside the range can be
 * handed out as a 1G unit; the other parts serve 2M and 4K units.  Units
 * never span two ranges.
 *
 * Return: 0, -EINVAL for a bad node, alignment or size, -EEXIST if the range
 * overlaps one already in the pool, -ENOMEM.
 */
int gpool_add_range(struct gpool *pool, int nid, u64 start_pfn, u64 nr_pages,
		    unsigned int flags);

/**
 * gpool_remove_range() - take a range back out of the pool
 * @pool: the pool.
 * @start_pfn: first frame of a range added with gpool_add_range().
 * @nr_pages: its exact size.
 *
 * Return: 0, -ENOENT if no such range exists, -EBUSY if any frame of it is
 * allocated or being zeroed, or if the rest of the node could no longer
 * honour the reservations made on it.
 */
int gpool_remove_range(struct gpool *pool, u64 start_pfn, u64 nr_pages);

/**
 * gpool_owner_id() - the number gpool_query() names an owner by
 * @owner: the owner.
 *
 * Return: a number no other live owner of the pool has; never 0.
 */
u32 gpool_owner_id(const struct gpool_owner *owner);

/**
 * gpool_owner_create() - create an owner (one per guest_memfd file)
 * @pool: the pool.
 * @policy: NUMA policy; copied.
 * @max_order: largest order the owner will allocate: 0, 9 or 18.
 *
 * Return: the owner, ERR_PTR(-EINVAL) for a bad policy or order, or
 * ERR_PTR(-ENOMEM).
 */
struct gpool_owner *gpool_owner_create(struct gpool *pool,
				       const struct gpool_policy *policy,
				       unsigned int max_order);

/**
 * gpool_owner_destroy() - release the owner's reservation and free it
 * @owner: owner that no longer holds any unit.
 *
 * Return: 0, or -EBUSY (and nothing changes) while it holds units.
 */
int gpool_owner_destroy(struct gpool_owner *owner);

/**
 * gpool_reserve() - reserve capacity for an owner, all or nothing
 * @owner: the owner.
 * @size: bytes, a non-zero multiple of the unit size of @order.
 * @order: 0, 9 or 18: the size of the units the reservation guarantees.
 *
 * The units are spread over nodes according to the owner's policy.  A
 * reservation guarantees that the owner can later allocate that many units
 * of @order (or, by breaking them up, smaller ones) however other owners
 * allocate, barring frames that go bad.  Units an owner frees return to its
 * reservation, so a file that punches a hole can refill it.
 *
 * Return: 0, -EINVAL for a bad size or order, -ENOMEM with nothing reserved.
 */
int gpool_reserve(struct gpool_owner *owner, u64 size, unsigned int order);

/**
 * gpool_unreserve() - give back all of an owner's unused reservation
 * @owner: the owner.
 */
void gpool_unreserve(struct gpool_owner *owner);

/**
 * gpool_alloc() - allocate one unit
 * @owner: the owner; its reservation is used first.
 * @order: 0, 9 or 18, at most the owner's max_order.
 * @unit: filled in on success.
 *
 * Larger free units are split only as deep as needed; a free 1G unit known
 * to be zero is preferred for 1G requests and avoided for smaller ones.
 * Without a reservation the unit comes from capacity nobody reserved.
 *
 * Return: 0, -EINVAL for a bad order, -ENOMEM, or -EAGAIN if the only
 * capacity is being zeroed (retry after gpool_zero_end()).
 */
int gpool_alloc(struct gpool_owner *owner, unsigned int order,
		struct gpool_unit *unit);

/**
 * gpool_alloc_exact() - allocate the unit at a given pfn
 * @owner: the owner.
 * @pfn: first frame, aligned to @order.
 * @order: 0, 9 or 18, at most the owner's max_order.
 * @unit: filled in on success.
 *
 * Used to take a frame back after a conversion so that it can be merged
 * again.  Any node is accepted: the pfn decides.
 *
 * Return: 0, -EINVAL for a bad pfn or order, -EBUSY if the unit is not free
 * (allocated, bad, being zeroed), -ENOMEM if taking it would break another
 * owner's reservation.
 */
int gpool_alloc_exact(struct gpool_owner *owner, u64 pfn, unsigned int order,
		      struct gpool_unit *unit);

/**
 * gpool_free() - free a unit
 * @owner: the owner that holds it.
 * @pfn: first frame of the unit.
 * @order: its order as the pool reported it.
 *
 * The unit becomes free and dirty, merges with free neighbours up to 2M and
 * 1G, and returns to the owner's reservation.  A frame marked bad while
 * allocated goes out of service instead.
 *
 * Return: 0, -EINVAL for a pfn the pool does not manage or a bad order or
 * alignment, -ENOENT if no allocated unit of @order starts at @pfn, -EPERM
 * if it belongs to another owner.
 */
int gpool_free(struct gpool_owner *owner, u64 pfn, unsigned int order);

/**
 * gpool_split() - split allocated units so that a range is made of units
 * @owner: the owner holding the range.
 * @pfn: first frame of the range.
 * @nr_pages: size of the range; it must not cross a 1G boundary.
 * @info: filled in with what was created.
 *
 * After the call, @pfn and @pfn + @nr_pages are unit boundaries, and the
 * rest stays as large as possible: a 1G unit becomes 2M units, and only the
 * 2M units that contain a boundary become 4K units.  For one 4K frame in a
 * 1G unit that is 511 2M units plus 512 4K units.  Nothing changes if the
 * boundaries already exist.  Ownership does not change.
 *
 * Return: 0, -EINVAL for a bad range, -ENOENT if the first or last frame of
 * the range is not allocated, -EPERM if it belongs to another owner,
 * -ENOMEM.
 */
int gpool_split(struct gpool_owner *owner, u64 pfn, u64 nr_pages,
		struct gpool_split_info *info);

/**
 * gpool_merge() - merge allocated units back into one unit of @order
 * @owner: the owner.
 * @pfn: first frame of the merged unit, aligned to @order.
 * @order: 9 or 18.
 * @info: filled in with what was merged.
 *
 * Every frame of the target must be allocated to @owner.  For order 18 the
 * 2M parts may themselves be split into 4K units held by @owner; they are
 * merged first.  Merging an already merged unit succeeds and merges nothing.
 *
 * Return: 0, -EINVAL for a bad pfn or order or a 1G window that can never
 * be one unit, -EBUSY if some frame is free, being zeroed or held by
 * another owner, -EHWPOISON if a frame in it was marked bad.
 */
int gpool_merge(struct gpool_owner *owner, u64 pfn, unsigned int order,
		struct gpool_merge_info *info);

/**
 * gpool_query() - look up the allocated unit containing a frame
 * @pool: the pool.
 * @pfn: any frame of the unit.
 * @unit: filled in with the unit's first pfn, order, node and owner.
 *
 * Constant time apart from a binary search over the pool's ranges.
 *
 * Return: 0, -EINVAL if the pool does not manage @pfn, -ENOENT if the frame
 * is not allocated.
 */
int gpool_query(struct gpool *pool, u64 pfn, struct gpool_unit *unit);

/**
 * gpool_zero_begin() - take a dirty free unit out to zero it
 * @pool: the pool.
 * @nid: node to look at.
 * @unit: filled in with the unit (1G preferred, else 2M).
 *
 * The unit stays counted as free capacity but cannot be allocated until
 * gpool_zero_end().  The caller zeroes it without any pool lock held.
 *
 * Return: 0, -EINVAL for a bad node, -ENOENT if no dirty free 1G or 2M unit
 * exists.
 */
int gpool_zero_begin(struct gpool *pool, int nid, struct gpool_unit *unit);

/**
 * gpool_zero_end() - return a unit taken by gpool_zero_begin()
 * @pool: the pool.
 * @pfn: the unit's first frame.
 * @order: the unit's order.
 * @zeroed: true if the caller zeroed every frame; false to return it dirty.
 *
 * Return: 0, -EINVAL for a bad pfn or order, -ENOENT if the unit was not
 * being zeroed.
 */
int gpool_zero_end(struct gpool *pool, u64 pfn, unsigned int order,
		   bool zeroed);

/**
 * gpool_mark_bad() - take a frame out of service for good
 * @pool: the pool.
 * @pfn: the frame.
 *
 * A free frame is isolated at once; its 1G and 2M units are split so that
 * the other frames stay in service as smaller units.  An allocated frame
 * is isolated when it is freed and its unit can no longer be merged.
 *
 * Return: 0 (also if already bad), -EINVAL if the pool does not manage
 * @pfn, -EBUSY if its unit is being zeroed, -ENOMEM.
 */
int gpool_mark_bad(struct gpool *pool, u64 pfn);

/**
 * gpool_node_stats() - read the counters of one node
 * @pool: the pool.
 * @nid: the node.
 * @stats: filled in, consistent as of one instant.
 *
 * Return: 0, or -ENOENT if the node never had a range.
 */
int gpool_node_stats(struct gpool *pool, int nid, struct gpool_stats *stats);

/**
 * gpool_meta_bytes() - bytes of metadata the pool has allocated
 * @pool: the pool.
 *
 * Return: the total, including cached split metadata.
 */
size_t gpool_meta_bytes(struct gpool *pool);

/**
 * gpool_check() - verify every internal invariant (debug, slow)
 * @pool: the pool.
 *
 * Walks all metadata and compares it with the counters, lists and owner
 * accounting.  Takes the pool mutex, so it may sleep.
 *
 * Return: 0, or -EUCLEAN after logging the first inconsistency.
 */
int gpool_check(struct gpool *pool);

#endif /* __GPOOL_POOL_H */
