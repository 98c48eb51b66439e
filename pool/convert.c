// SPDX-License-Identifier: GPL-2.0
/*
 * Splitting and merging allocated units, for shared <-> private conversions
 * of guest memory, and looking up the unit that holds a frame.
 *
 * The owner keeps every frame throughout; only the unit sizes change, and
 * the kernel side remaps at the sizes reported here.
 */
#include "pool_internal.h"
#include "pool_types.h"
#include "alloc.h"
#include "bad.h"
#include "buddy.h"
#include "check.h"
#include "range.h"
#include "resv.h"
#include "spare.h"

/* Level of the allocated unit at @loc, or -ENOENT if it is not allocated. */
static int gpool_unit_lvl(const struct gpool_loc *loc)
{
	const struct gpool_section *sec = loc->sec;
	const struct gpool_block *blk = loc->blk;

	if (sec->state == GPOOL_SEC_ALLOC)
		return GPOOL_LVL_1G;
	if (sec->state != GPOOL_SEC_SPLIT)
		return -ENOENT;
	if (gpool_child_allocated(sec, blk, loc->slot))
		return GPOOL_LVL_2M;
	if (blk->frames &&
	    gpool_frame_allocated(loc->node, sec, blk, loc->slot, loc->idx))
		return GPOOL_LVL_4K;
	return -ENOENT;
}

/*
 * Who holds the allocated unit of level @lvl at @loc, if the pool knows:
 * a 4K frame marked in aux is some owner's other than the child's primary.
 */
static u32 gpool_unit_owner(const struct gpool_loc *loc, int lvl)
{
	if (lvl == GPOOL_LVL_1G)
		return loc->sec->owner;
	if (lvl == GPOOL_LVL_4K && test_bit(loc->idx, loc->blk->frames->aux))
		return GPOOL_OWNER_NONE;
	return gpool_blk_owner(loc->sec, loc->blk);
}

/*
 * The allocated unit at @loc must exist and be @id's.
 * Return: its level, -ENOENT or -EPERM.
 */
static int gpool_unit_owned(const struct gpool_loc *loc, u32 id)
{
	int lvl = gpool_unit_lvl(loc);
	int err;

	if (lvl < 0)
		return lvl;
	err = gpool_check_unit(loc, lvl, id);
	return err ? err : lvl;
}

/*
 * Is @b, in the section of @a, inside the allocated unit of level @lvl
 * that holds @a?
 */
static bool gpool_same_unit(const struct gpool_loc *a,
			    const struct gpool_loc *b, int lvl)
{
	if (lvl == GPOOL_LVL_1G)
		return true;
	return a->blk == b->blk && (lvl == GPOOL_LVL_2M || a->idx == b->idx);
}

/* Split the allocated 2M child at @slot into frames if it is one unit. */
static void gpool_split_child(struct gpool_node *node,
			      struct gpool_owner *owner,
			      struct gpool_section *sec, unsigned int slot,
			      struct gpool_split_info *info)
{
	struct gpool_owner_node *on = &owner->node[node->nid];

	if (!gpool_child_allocated(sec, gpool_sec_block(sec, slot), slot))
		return;
	gpool_block_split_alloc(node, sec, slot, gpool_frames_get(node));
	gpool_held_split(on, GPOOL_LVL_2M);
	info->nr_4k += GPOOL_SLOTS;
}

int gpool_split(struct gpool_owner *owner, u64 pfn, u64 nr_pages,
		struct gpool_split_info *info)
{
	struct gpool_owner_node *on;
	struct gpool *pool = owner->pool;
	struct gpool_loc first, last;
	struct gpool_section *sec;
	struct gpool_node *node;
	bool split_1g, split_first;
	int err, lvl;
	u64 end;

	info->nr_2m = 0;
	info->nr_4k = 0;
	if (!nr_pages || check_add_overflow(pfn, nr_pages, &end) ||
	    pfn >> GPOOL_ORDER_1G != (end - 1) >> GPOOL_ORDER_1G)
		return -EINVAL;

	err = gpool_lock_pfn(pool, pfn, 2, &first);
	if (err)
		return err;
	node = first.node;
	sec = first.sec;
	on = &owner->node[node->nid];
	/* Ranges are 2M-aligned: one 2M block lies in one range. */
	if (pfn >> GPOOL_ORDER_2M == (end - 1) >> GPOOL_ORDER_2M) {
		last = first;
		last.idx = (end - 1) & (GPOOL_SLOTS - 1);
	} else {
		err = gpool_locate(pool, end - 1, &last);
		if (!err && last.sec != sec)
			err = -EINVAL;
		if (err)
			goto out_unlock;
	}

	/* Both ends must lie in units of the owner. */
	lvl = gpool_unit_owned(&first, owner->id);
	if (lvl >= 0 && !gpool_same_unit(&first, &last, lvl))
		lvl = gpool_unit_owned(&last, owner->id);
	if (lvl < 0) {
		err = lvl;
		goto out_unlock;
	}

	split_1g = sec->state == GPOOL_SEC_ALLOC &&
		   (pfn != sec->pfn || end != sec->pfn + GPOOL_SEC_PAGES);
	if (split_1g) {
		gpool_sec_split_alloc(node, sec);
		gpool_held_split(on, GPOOL_LVL_1G);
	}
	split_first = !IS_ALIGNED(pfn, GPOOL_BLK_PAGES);
	if (split_first)
		gpool_split_child(node, owner, sec, first.slot, info);
	/* Both ends in one 2M child: it is split already. */
	if (!IS_ALIGNED(end, GPOOL_BLK_PAGES) &&
	    !(split_first && last.slot == first.slot))
		gpool_split_child(node, owner, sec, last.slot, info);
	if (split_1g)
		info->nr_2m = GPOOL_SLOTS - info->nr_4k / GPOOL_SLOTS;
out_unlock:
	gpool_unlock_pfn(pool, &first);
	gpool_debug_check(pool, pfn);
	return err;
}

/* Can the split child at @slot be merged back into @id's 2M unit? */
static bool gpool_child_mergeable(struct gpool_section *sec,
				  unsigned int slot, u32 id)
{
	struct gpool_block *blk = gpool_sec_block(sec, slot);

	return blk->frames && gpool_blk_owner(sec, blk) == id &&
	       blk->nr_primary == GPOOL_SLOTS;
}

static void gpool_merge_child(struct gpool_node *node,
			      struct gpool_owner *owner,
			      struct gpool_section *sec, unsigned int slot,
			      struct gpool_merge_info *info)
{
	struct gpool_owner_node *on = &owner->node[node->nid];

	gpool_block_merge_alloc(node, sec, slot);
	gpool_held_merge(on, GPOOL_LVL_2M);
	info->nr_4k += GPOOL_SLOTS;
}

/* Merge the 2M child at @loc; node lock held. */
static int gpool_merge_2m(struct gpool_node *node, struct gpool_owner *owner,
			  struct gpool_loc *loc, struct gpool_merge_info *info)
{
	struct gpool_section *sec = loc->sec;

	if (gpool_child_allocated(sec, loc->blk, loc->slot)) {
		if (gpool_blk_owner(sec, loc->blk) != owner->id)
			return -EBUSY;
		info->order = GPOOL_ORDER_2M;
		return 0;
	}
	if (!gpool_child_mergeable(sec, loc->slot, owner->id))
		return -EBUSY;
	if (gpool_poison_in(node, gpool_slot_pfn(sec, loc->slot),
			    GPOOL_BLK_PAGES))
		return -EHWPOISON;
	gpool_merge_child(node, owner, sec, loc->slot, info);
	info->order = GPOOL_ORDER_2M;
	return 0;
}

/*
 * Merge the whole section, whose 2M children must all be the primary's,
 * either as 2M units or split into frames all held by the primary; node
 * lock held.
 */
static int gpool_merge_1g(struct gpool_node *node, struct gpool_owner *owner,
			  struct gpool_section *sec,
			  struct gpool_merge_info *info)
{
	struct gpool_owner_node *on = &owner->node[node->nid];
	unsigned int slot;

	if (!(sec->flags & GPOOL_SEC_WHOLE))
		return -EINVAL;
	if (sec->owner != owner->id ||
	    sec->nr_primary + sec->nr_split != GPOOL_SLOTS)
		return -EBUSY;
	for_each_set_bit(slot, sec->split_map, GPOOL_SLOTS) {
		struct gpool_block *blk = gpool_sec_block(sec, slot);

		if (blk->owner != GPOOL_OWNER_NONE ||
		    blk->nr_primary != GPOOL_SLOTS)
			return -EBUSY;
	}
	if (gpool_poison_in(node, sec->pfn, GPOOL_SEC_PAGES))
		return -EHWPOISON;

	for_each_set_bit(slot, sec->split_map, GPOOL_SLOTS)
		gpool_merge_child(node, owner, sec, slot, info);
	gpool_sec_merge_alloc(node, sec);
	gpool_held_merge(on, GPOOL_LVL_1G);
	info->nr_2m = GPOOL_SLOTS;
	info->order = GPOOL_ORDER_1G;
	return 0;
}

int gpool_merge(struct gpool_owner *owner, u64 pfn, unsigned int order,
		struct gpool_merge_info *info)
{
	struct gpool *pool = owner->pool;
	int lvl = gpool_order_lvl(order);
	struct gpool_node *node;
	struct gpool_loc loc;
	int err;

	info->order = 0;
	info->nr_4k = 0;
	info->nr_2m = 0;
	if (lvl < GPOOL_LVL_2M || order > owner->max_order ||
	    !IS_ALIGNED(pfn, 1ULL << order))
		return -EINVAL;

	read_lock(&pool->ranges_lock);
	err = gpool_locate(pool, pfn, &loc);
	if (err)
		goto out_unlock_ranges;
	node = loc.node;
	spin_lock(&node->lock);
	if (loc.sec->state == GPOOL_SEC_ALLOC) {
		err = loc.sec->owner == owner->id ? 0 : -EBUSY;
		info->order = GPOOL_ORDER_1G;
	} else if (loc.sec->state != GPOOL_SEC_SPLIT) {
		err = -EBUSY;
	} else if (lvl == GPOOL_LVL_2M) {
		err = gpool_merge_2m(node, owner, &loc, info);
	} else {
		err = gpool_merge_1g(node, owner, loc.sec, info);
	}
	spin_unlock(&node->lock);
out_unlock_ranges:
	read_unlock(&pool->ranges_lock);
	gpool_debug_check(pool, pfn);
	if (err)
		info->order = 0;
	return err;
}

int gpool_query(struct gpool *pool, u64 pfn, struct gpool_unit *unit)
{
	struct gpool_loc loc;
	int lvl, err;

	read_lock(&pool->ranges_lock);
	err = gpool_locate(pool, pfn, &loc);
	if (err)
		goto out_unlock_ranges;
	spin_lock(&loc.node->lock);
	lvl = gpool_unit_lvl(&loc);
	if (lvl < 0) {
		err = lvl;
	} else {
		unit->order = gpool_lvl_order(lvl);
		unit->pfn = ALIGN_DOWN(pfn, 1ULL << unit->order);
		unit->nid = loc.node->nid;
		unit->flags = 0;
		unit->owner = gpool_unit_owner(&loc, lvl);
	}
	spin_unlock(&loc.node->lock);
out_unlock_ranges:
	read_unlock(&pool->ranges_lock);
	return err;
}
