/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private data structures of pool/.  Nothing outside pool/ (and its tests)
 * includes this file.  See docs/design/pool.md for the pictures.
 *
 * Types only: structures, constants, and inline accessors that compute a
 * field or an address.  What a file of pool/ offers the others is declared
 * in the header of the same name (buddy.c: buddy.h), logic included.
 *
 * A range added to the pool is cut into 1G windows ("sections") and 2M
 * "blocks".  Three levels of state, each only as detailed as needed:
 *
 *  - struct gpool_section, one per 1G window: either the window is one
 *    whole unit (free, allocated or being zeroed), or it is SPLIT and its
 *    512 children (2M slots) are described by the section's bitmaps.
 *  - struct gpool_block, one per 2M: the owner of an allocated 2M child, and
 *    counters of its frames when the child is split.
 *  - struct gpool_frames, only for a 2M child split into 4K frames: two bits
 *    per frame.
 *
 * All of it is protected by the lock of the node the range belongs to.
 */
#ifndef __GPOOL_POOL_TYPES_H
#define __GPOOL_POOL_TYPES_H

#include "pool.h"

#define GPOOL_SLOT_SHIFT	9		/* 512 children per unit */
#define GPOOL_SLOTS		BIT(GPOOL_SLOT_SHIFT)
#define GPOOL_MAP_LONGS		BITS_TO_LONGS(GPOOL_SLOTS)
#define GPOOL_SEC_PAGES		BIT_ULL(GPOOL_ORDER_1G)
#define GPOOL_BLK_PAGES		BIT_ULL(GPOOL_ORDER_2M)

/* Split metadata kept at hand per node so that no lock holder allocates. */
#define GPOOL_NR_SPARE		4

/* Owner ids start at 1; 0 means "none" (or "the section's primary"). */
#define GPOOL_OWNER_NONE	0

/* gpool_lvl_order(): the levels are GPOOL_SLOT_SHIFT orders apart. */
static_assert(GPOOL_SLOT_SHIFT == GPOOL_ORDER_2M, "2M level");
static_assert(2 * GPOOL_SLOT_SHIFT == GPOOL_ORDER_1G, "1G level");

/*
 * Per-frame state of a split 2M child, two bits per frame:
 *
 *	avail aux
 *	  1    0	free, dirty
 *	  1    1	free, known zero
 *	  0    0	allocated to the child's primary owner
 *	  0    1	allocated to another owner, or bad if on node->bad
 *
 * Bad frames are rare, so they are told apart from other owners' frames by
 * a list rather than by a third bit per frame.
 *
 * Exactly 128 bytes, so 2M children split to 4K cost 128 / 2M of metadata.
 */
struct gpool_frames {
	unsigned long avail[GPOOL_MAP_LONGS];
	unsigned long aux[GPOOL_MAP_LONGS];
};

/* gpool_block.flags */
#define GPOOL_BLK_ZEROING	BIT(0)	/* free child out for zeroing */

/*
 * One per 2M of a range.  While the section is one whole unit every block
 * of it is pristine (all zero), which is what makes splitting and merging a
 * 1G unit O(1).
 */
struct gpool_block {
	struct gpool_frames *frames;	/* non-NULL iff split into 4K frames */
	u32 owner;		/* owner, if not the section's primary */
	u16 nr_avail;		/* split: free frames */
	u16 nr_zero;		/* split: free frames known zero */
	u16 nr_primary;		/* split: frames allocated by the primary */
	u16 nr_bad;		/* split: bad frames */
	u16 flags;		/* GPOOL_BLK_* */
};

enum gpool_sec_state {
	GPOOL_SEC_FREE,		/* one free 1G unit, on node->whole[] */
	GPOOL_SEC_ALLOC,	/* one 1G unit allocated to ->owner */
	GPOOL_SEC_ZEROING,	/* one free 1G unit out for zeroing */
	GPOOL_SEC_SPLIT,	/* the children are managed one by one */
};

/* gpool_section.flags */
#define GPOOL_SEC_WHOLE		BIT(0)	/* window fully in range: may be 1G */
#define GPOOL_SEC_ZERO		BIT(1)	/* FREE: known zero */

/*
 * One per 1G window of a range.  Windows cut by a range boundary are always
 * SPLIT and only have children in [lo, hi).
 *
 * Children of a SPLIT section:
 *
 *	avail_map	the child is one free 2M unit (zero_map: known zero)
 *	split_map	the child is split into 4K frames, blk->frames set
 *			(partial_map: some of them are free)
 *	GPOOL_BLK_ZEROING	the child is out for zeroing
 *	otherwise	the child is one allocated 2M unit
 *
 * The section's owner is its "primary" owner: the owner of a whole
 * allocated 1G unit, or the first owner to allocate from a split section.
 * Allocated children and split children held by the primary store
 * GPOOL_OWNER_NONE in blk->owner, so that splitting an allocated 1G unit
 * writes no block at all.
 */
struct gpool_section {
	struct list_head whole;		/* on node->whole[zero] while FREE */
	struct list_head avail;		/* on node->avail while nr_avail */
	struct list_head partial;	/* on node->partial while nr_partial */
	struct gpool_range *range;
	u64 pfn;			/* first frame of the 1G window */
	u32 owner;			/* primary owner */
	u16 lo;				/* first child inside the range */
	u16 hi;				/* last child inside the range + 1 */
	u16 nr_avail;			/* bits in avail_map */
	u16 nr_zero;			/* bits in zero_map */
	u16 nr_partial;			/* bits in partial_map */
	u16 nr_split;			/* children split into frames */
	u16 nr_primary;			/* 2M children allocated by owner */
	u8 state;			/* enum gpool_sec_state */
	u8 flags;			/* GPOOL_SEC_* */
	unsigned long avail_map[GPOOL_MAP_LONGS];
	unsigned long zero_map[GPOOL_MAP_LONGS];
	unsigned long partial_map[GPOOL_MAP_LONGS];
	unsigned long split_map[GPOOL_MAP_LONGS];
};

struct gpool_range {
	struct gpool_node *node;
	u64 start_pfn;
	u64 nr_pages;
	u64 sec_pfn;			/* start_pfn rounded down to 1G */
	unsigned long nr_sections;
	unsigned long nr_blocks;
	struct gpool_section *sections;
	struct gpool_block *blocks;	/* blocks[0] starts at start_pfn */
};

/*
 * A bad frame: on node->bad once out of service, or on node->poison while
 * still allocated, with the split metadata its 2M child will need on free.
 */
struct gpool_poison {
	struct list_head link;
	u64 pfn;
	struct gpool_frames *frames;
};

/*
 * Per-node state.  free[] counts capacity: units on the free structures plus
 * units out for zeroing.  The reservation invariant (gpool_feasible()) is
 * kept on free[] and resv[].
 */
struct gpool_node {
	spinlock_t lock;		/* all of this node's metadata */
	int nid;
	struct list_head whole[2];	/* FREE sections: [0] dirty, [1] zero */
	struct list_head avail;		/* SPLIT sections with free children */
	struct list_head partial;	/* sections with split children that
					 * have free frames
					 */
	struct list_head poison;	/* allocated, bad when freed */
	struct list_head bad;		/* out of service */
	u64 free[GPOOL_NR_LVLS];
	u64 zero[GPOOL_NR_LVLS];
	u64 zeroing[GPOOL_NR_LVLS];
	u64 resv[GPOOL_NR_LVLS];
	u64 total[GPOOL_NR_LVLS];	/* [GPOOL_LVL_4K]: the node's frames */
	u64 allocated[GPOOL_NR_LVLS];
	u64 split[GPOOL_NR_LVLS];
	u64 nr_splits[GPOOL_NR_LVLS];
	u64 nr_merges[GPOOL_NR_LVLS];
	u64 bad_pages;
	u64 nr_poison;
	size_t meta_bytes;		/* frames and poison records */
	unsigned int nr_spare;
	struct gpool_frames *spare[GPOOL_NR_SPARE];
};

struct gpool_policy_ops;

struct gpool_owner_node {
	u64 resv[GPOOL_NR_LVLS];	/* units promised, not allocated */
	u64 held[GPOOL_NR_LVLS];	/* units allocated */
};

struct gpool_owner {
	struct gpool *pool;
	struct list_head link;		/* on pool->owners */
	u32 id;
	unsigned int max_order;
	unsigned int next;		/* interleave cursor */
	struct gpool_policy policy;
	const struct gpool_policy_ops *ops;	/* policy.c: policy->mode's */
	/* Each entry is protected by the lock of that node. */
	struct gpool_owner_node node[GPOOL_MAX_NODES];
};

/*
 * Lock order: pool->lock (mutex) -> pool->ranges_lock -> node->lock.
 * Only gpool_check() holds more than one node lock, in node id order.
 */
struct gpool {
	struct mutex lock;		/* ranges[] and owners writers */
	rwlock_t ranges_lock;		/* ranges[] against lookups */
	struct gpool_range **ranges;	/* sorted by start_pfn */
	unsigned int nr_ranges;
	struct gpool_node *nodes[GPOOL_MAX_NODES];
	/*
	 * The nodes[] that are set, as a bitmap: what policy.c masks a
	 * policy with on every allocation, which a walk of nodes[] would
	 * make several hundred instructions dearer.  Set after nodes[nid].
	 */
	DECLARE_BITMAP(node_mask, GPOOL_MAX_NODES);
	struct list_head owners;
	unsigned int nr_owners;
	u32 next_owner_id;
	size_t meta_bytes;		/* ranges and nodes, under ->lock */
	/* Operations seen by gpool_debug_check(), under ->lock. */
	unsigned long debug_ops;
};

/* Where a pfn lives; filled by gpool_locate(). */
struct gpool_loc {
	struct gpool_node *node;
	struct gpool_section *sec;
	struct gpool_block *blk;
	unsigned int slot;		/* 2M child of the section */
	unsigned int idx;		/* 4K frame of the child */
};

static inline struct gpool_block *gpool_sec_block(struct gpool_section *sec,
						  unsigned int slot)
{
	u64 pfn = sec->pfn + ((u64)slot << GPOOL_ORDER_2M);

	return &sec->range->blocks[(pfn - sec->range->start_pfn) >>
				   GPOOL_ORDER_2M];
}

static inline u64 gpool_slot_pfn(const struct gpool_section *sec,
				 unsigned int slot)
{
	return sec->pfn + ((u64)slot << GPOOL_ORDER_2M);
}

static inline bool gpool_sec_whole(const struct gpool_section *sec)
{
	return sec->state != GPOOL_SEC_SPLIT;
}

/* Allocated frames of a split child. */
static inline unsigned int gpool_blk_nr_alloc(const struct gpool_block *blk)
{
	return GPOOL_SLOTS - blk->nr_avail - blk->nr_bad;
}

/* Owner of an allocated child, or primary owner of a split one. */
static inline u32 gpool_blk_owner(const struct gpool_section *sec,
				  const struct gpool_block *blk)
{
	return blk->owner ? blk->owner : sec->owner;
}

/* Is a child of a SPLIT section one allocated 2M unit? */
static inline bool gpool_child_allocated(const struct gpool_section *sec,
					 const struct gpool_block *blk,
					 unsigned int slot)
{
	return slot >= sec->lo && slot < sec->hi &&
	       !test_bit(slot, sec->avail_map) && !blk->frames &&
	       !(blk->flags & GPOOL_BLK_ZEROING);
}

/* Nodes are published once, fully initialised, and live as long as the pool. */
static inline struct gpool_node *gpool_node_get(struct gpool *pool,
						unsigned int nid)
{
	/* Pairs with smp_store_release() in gpool_add_range(). */
	return smp_load_acquire(&pool->nodes[nid]);
}

#endif /* __GPOOL_POOL_TYPES_H */
