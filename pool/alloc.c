// SPDX-License-Identifier: GPL-2.0
/*
 * Allocating and freeing units: node choice by policy, choice of the
 * source unit and input validation; the owner's accounting is resv.c's.
 */
#include "pool_internal.h"
#include "pool_types.h"
#include "alloc.h"
#include "bad.h"
#include "buddy.h"
#include "check.h"
#include "policy.h"
#include "range.h"
#include "resv.h"
#include "spare.h"

/* "Pick any" for the slot and frame arguments of gpool_take(). */
#define GPOOL_ANY	GPOOL_SLOTS

/* Is frame @idx of a split child allocated (to anyone)?  Node lock held. */
bool gpool_frame_allocated(struct gpool_node *node,
			   const struct gpool_section *sec,
			   const struct gpool_block *blk, unsigned int slot,
			   unsigned int idx)
{
	if (test_bit(idx, blk->frames->avail))
		return false;
	if (!test_bit(idx, blk->frames->aux) || !blk->nr_bad)
		return true;
	return !gpool_bad_in(node, gpool_slot_pfn(sec, slot) + idx, 1);
}

/*
 * Choose where an allocation of level @lvl comes from: the smallest level
 * with a free unit, so larger units are split only when nothing smaller is
 * free.  Sets @sec.
 * Return: the source level, or -ENOENT.
 */
static int gpool_pick(struct gpool_node *node, int lvl,
		      struct gpool_section **sec)
{
	/* Known-zero 1G units are kept for 1G requests. */
	bool zero = lvl == GPOOL_LVL_1G;

	if (lvl == GPOOL_LVL_4K) {
		*sec = list_first_entry_or_null(&node->partial,
						struct gpool_section, partial);
		if (*sec)
			return GPOOL_LVL_4K;
	}
	if (lvl <= GPOOL_LVL_2M) {
		*sec = list_first_entry_or_null(&node->avail,
						struct gpool_section, avail);
		if (*sec)
			return GPOOL_LVL_2M;
	}
	*sec = list_first_entry_or_null(&node->whole[zero],
					struct gpool_section, whole);
	if (!*sec)
		*sec = list_first_entry_or_null(&node->whole[!zero],
						struct gpool_section, whole);
	return *sec ? GPOOL_LVL_1G : -ENOENT;
}

/*
 * Allocate a unit of level @lvl out of @sec, whose free unit of level @src
 * contains it; @slot and @idx may be GPOOL_ANY.  Node lock held, and a
 * spare frames structure cached if a 2M child must be split.
 */
static void gpool_take(struct gpool_node *node, struct gpool_owner *owner,
		       int lvl, int src, struct gpool_section *sec,
		       unsigned int slot, unsigned int idx,
		       struct gpool_unit *unit)
{
	struct gpool_block *blk;
	bool zero;

	lockdep_assert_held(&node->lock);

	if (src == GPOOL_LVL_1G) {
		if (lvl == GPOOL_LVL_1G) {
			zero = sec->flags & GPOOL_SEC_ZERO;
			gpool_whole_del(node, sec);
			sec->state = GPOOL_SEC_ALLOC;
			sec->owner = owner->id;
			unit->pfn = sec->pfn;
			goto out;
		}
		gpool_sec_split_free(node, sec);
	}
	if (slot == GPOOL_ANY) {
		if (src == GPOOL_LVL_4K)
			slot = find_first_bit(sec->partial_map, GPOOL_SLOTS);
		else if (!sec->nr_zero || sec->nr_zero == sec->nr_avail)
			slot = find_first_bit(sec->avail_map, GPOOL_SLOTS);
		else	/* zero 2M for 2M requests, dirty ones to split */
			slot = gpool_find_pref(sec->avail_map, sec->zero_map,
					       lvl == GPOOL_LVL_2M);
	}
	blk = gpool_sec_block(sec, slot);
	if (lvl == GPOOL_LVL_2M) {
		zero = gpool_child_take(node, sec, slot);
		if (gpool_sec_claim(sec, owner->id)) {
			blk->owner = GPOOL_OWNER_NONE;
			sec->nr_primary++;
		} else {
			blk->owner = owner->id;
		}
		unit->pfn = gpool_slot_pfn(sec, slot);
		goto out;
	}
	if (src != GPOOL_LVL_4K)
		gpool_block_split_free(node, sec, slot, gpool_frames_get(node));
	if (idx == GPOOL_ANY && !blk->nr_zero)
		idx = find_first_bit(blk->frames->avail, GPOOL_SLOTS);
	else if (idx == GPOOL_ANY)
		idx = gpool_find_pref(blk->frames->avail, blk->frames->aux,
				      true);
	zero = gpool_frame_take(node, sec, slot, idx);
	gpool_frame_own(sec, blk, idx, owner->id);
	unit->pfn = gpool_slot_pfn(sec, slot) + idx;
out:
	gpool_held_take(node, &owner->node[node->nid], lvl);
	unit->order = gpool_lvl_order(lvl);
	unit->nid = node->nid;
	unit->flags = zero ? GPOOL_UNIT_ZERO : 0;
	unit->owner = owner->id;
}

/* Allocation failed for lack of capacity: is it only out for zeroing? */
static int gpool_nomem(const struct gpool_node *node)
{
	int l;

	for (l = 0; l < GPOOL_NR_LVLS; l++)
		if (node->zeroing[l])
			return -EAGAIN;
	return -ENOMEM;
}

static int gpool_alloc_node(struct gpool_owner *owner, struct gpool_node *node,
			    int lvl, struct gpool_unit *unit)
{
	struct gpool_owner_node *on = &owner->node[node->nid];
	struct gpool_section *sec;
	int src, err;

	err = gpool_node_lock(node, lvl == GPOOL_LVL_4K);
	if (err)
		return err;
	src = gpool_pick(node, lvl, &sec);
	if (src < 0 || !gpool_resv_charge(node, on, lvl, src)) {
		err = gpool_nomem(node);
		goto out_unlock;
	}
	gpool_take(node, owner, lvl, src, sec, GPOOL_ANY, GPOOL_ANY, unit);
out_unlock:
	gpool_node_unlock(node);
	return err;
}

/*
 * Does the owner hold a reservation on this node?  Any promise serves an
 * allocation of any level: a larger one is broken up, smaller ones are
 * gathered (resv.h).
 */
static bool gpool_has_resv(const struct gpool_owner_node *on)
{
	int l;

	for (l = 0; l < GPOOL_NR_LVLS; l++)
		if (READ_ONCE(on->resv[l]))
			return true;
	return false;
}

/* Try node @nid; on success, move the interleave cursor past it. */
static int gpool_alloc_try(struct gpool_owner *owner, unsigned int nid,
			   int lvl, struct gpool_unit *unit)
{
	int err = gpool_alloc_node(owner, gpool_node_get(owner->pool, nid),
				   lvl, unit);

	if (!err)
		gpool_owner_placed(owner, nid);
	return err;
}

/*
 * Try the nodes of the owner's policy, those where it holds a reservation
 * first, each group in policy order.  Node @skip was tried
 * already and failed with @err (GPOOL_MAX_NODES: none was).
 */
static int gpool_alloc_ordered(struct gpool_owner *owner, int lvl,
			       struct gpool_unit *unit, unsigned int skip,
			       int err)
{
	unsigned int nids[GPOOL_MAX_NODES], order[GPOOL_MAX_NODES];
	unsigned int nr, nr_resv = 0, nr_other = 0, i;

	nr = gpool_owner_nodes(owner, nids);
	for (i = 0; i < nr; i++) {
		if (gpool_has_resv(&owner->node[nids[i]]))
			order[nr_resv++] = nids[i];
		else
			nids[nr_other++] = nids[i];
	}
	memcpy(order + nr_resv, nids, nr_other * sizeof(*nids));

	for (i = 0; i < nr; i++) {
		int ret;

		/*
		 * A promised node that is only short of what the zeroer holds
		 * gets the unit once the caller pauses the zeroer: taking it
		 * from a node without a promise would leave the promise
		 * standing and the owner holding more than it reserved.
		 */
		if (i == nr_resv && nr_resv && err == -EAGAIN)
			return err;
		if (order[i] == skip)
			continue;
		ret = gpool_alloc_try(owner, order[i], lvl, unit);
		if (!ret)
			return 0;
		if (err != -EAGAIN)
			err = ret;
	}
	return err;
}

static int gpool_alloc_unit(struct gpool_owner *owner, unsigned int order,
			    struct gpool_unit *unit)
{
	int lvl = gpool_order_lvl(order);
	bool only;
	int nid, err;

	if (lvl < 0 || order > owner->max_order)
		return -EINVAL;

	/*
	 * The policy's first node comes first in the full order too if the
	 * owner holds a reservation on it (such nodes come first,
	 * in policy order), and it is the whole order if the policy allows
	 * no other node.  Then try it without building the order.
	 */
	nid = gpool_owner_first_node(owner, &only);
	if (nid < 0)
		return -ENOMEM;
	if (!only && !gpool_has_resv(&owner->node[nid]))
		return gpool_alloc_ordered(owner, lvl, unit, GPOOL_MAX_NODES,
					   -ENOMEM);
	err = gpool_alloc_try(owner, nid, lvl, unit);
	if (!err || only)
		return err;
	return gpool_alloc_ordered(owner, lvl, unit, nid, err);
}

int gpool_alloc(struct gpool_owner *owner, unsigned int order,
		struct gpool_unit *unit)
{
	int err = gpool_alloc_unit(owner, order, unit);

	gpool_debug_check(owner->pool, err ? U64_MAX : unit->pfn);
	return err;
}

int gpool_alloc_exact(struct gpool_owner *owner, u64 pfn, unsigned int order,
		      struct gpool_unit *unit)
{
	struct gpool *pool = owner->pool;
	int lvl = gpool_order_lvl(order);
	struct gpool_owner_node *on;
	struct gpool_section *sec;
	struct gpool_node *node;
	struct gpool_loc loc;
	int src, err;

	if (lvl < 0 || order > owner->max_order ||
	    !IS_ALIGNED(pfn, 1ULL << order))
		return -EINVAL;

	err = gpool_lock_pfn(pool, pfn, lvl == GPOOL_LVL_4K, &loc);
	if (err)
		return err;
	node = loc.node;
	sec = loc.sec;
	on = &owner->node[node->nid];

	err = -EBUSY;
	if (sec->state == GPOOL_SEC_FREE)
		src = GPOOL_LVL_1G;
	else if (sec->state != GPOOL_SEC_SPLIT || lvl == GPOOL_LVL_1G)
		goto out_unlock;
	else if (test_bit(loc.slot, sec->avail_map))
		src = GPOOL_LVL_2M;
	else if (lvl == GPOOL_LVL_4K && loc.blk->frames &&
		 test_bit(loc.idx, loc.blk->frames->avail))
		src = GPOOL_LVL_4K;
	else
		goto out_unlock;

	if (!gpool_resv_charge(node, on, lvl, src)) {
		err = -ENOMEM;
		goto out_unlock;
	}
	gpool_take(node, owner, lvl, src, sec, loc.slot, loc.idx, unit);
	err = 0;
out_unlock:
	gpool_unlock_pfn(pool, &loc);
	gpool_debug_check(pool, pfn);
	return err;
}

/*
 * Is there an allocated unit of level @lvl at @loc, and is it @id's?
 * Return: 0, -ENOENT or -EPERM.
 */
int gpool_check_unit(const struct gpool_loc *loc, int lvl, u32 id)
{
	const struct gpool_section *sec = loc->sec;
	const struct gpool_block *blk = loc->blk;

	switch (lvl) {
	case GPOOL_LVL_1G:
		if (sec->state != GPOOL_SEC_ALLOC)
			return -ENOENT;
		return sec->owner == id ? 0 : -EPERM;
	case GPOOL_LVL_2M:
		if (sec->state != GPOOL_SEC_SPLIT ||
		    !gpool_child_allocated(sec, blk, loc->slot))
			return -ENOENT;
		return gpool_blk_owner(sec, blk) == id ? 0 : -EPERM;
	default:
		if (sec->state != GPOOL_SEC_SPLIT || !blk->frames ||
		    !gpool_frame_allocated(loc->node, sec, blk, loc->slot,
					   loc->idx))
			return -ENOENT;
		/* aux set: some owner other than the primary. */
		if (test_bit(loc->idx, blk->frames->aux))
			return gpool_blk_owner(sec, blk) != id ? 0 : -EPERM;
		return gpool_blk_owner(sec, blk) == id ? 0 : -EPERM;
	}
}

int gpool_free(struct gpool_owner *owner, u64 pfn, unsigned int order)
{
	struct gpool *pool = owner->pool;
	int lvl = gpool_order_lvl(order);
	struct gpool_node *node;
	struct gpool_loc loc;
	int err;

	if (lvl < 0 || !IS_ALIGNED(pfn, 1ULL << order))
		return -EINVAL;

	read_lock(&pool->ranges_lock);
	err = gpool_locate(pool, pfn, &loc);
	if (err)
		goto out_unlock_ranges;
	node = loc.node;
	spin_lock(&node->lock);
	err = gpool_check_unit(&loc, lvl, owner->id);
	if (err)
		goto out_unlock;
	if (unlikely(node->nr_poison) &&
	    gpool_poison_in(node, pfn, 1ULL << order))
		gpool_free_poisoned(node, owner, &loc, lvl);
	else if (lvl == GPOOL_LVL_1G)
		gpool_free_whole(node, owner, loc.sec);
	else if (lvl == GPOOL_LVL_2M)
		gpool_free_child(node, owner, loc.sec, loc.slot);
	else
		gpool_free_frame(node, owner, loc.sec, loc.slot, loc.idx);
out_unlock:
	spin_unlock(&node->lock);
out_unlock_ranges:
	read_unlock(&pool->ranges_lock);
	gpool_debug_check(pool, pfn);
	return err;
}
