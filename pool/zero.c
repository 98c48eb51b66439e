// SPDX-License-Identifier: GPL-2.0
/*
 * Background zeroing.
 *
 * DOC: zero state
 *
 * Every free unit is either known zero or dirty.  Frames of a new range are
 * dirty unless the range was added with GPOOL_RANGE_ZEROED; a freed unit is
 * always dirty; a unit becomes known zero only through gpool_zero_end().
 * Splitting passes the state on to the parts; a merged unit is known zero
 * only if all of its parts were.  gpool_alloc() reports the state of the
 * unit it hands out, so nobody receives another owner's data unknowingly.
 *
 *	free, dirty --gpool_zero_begin()--> zeroing --gpool_zero_end()--> free, zero
 *	     ^                                                               |
 *	     +---------------- gpool_free() <-- allocated <-- gpool_alloc() -+
 *
 * A unit out for zeroing still counts as free capacity, so reservations stay
 * valid; an allocation that finds nothing else free fails with -EAGAIN.
 */
#include "pool_internal.h"
#include "pool_types.h"
#include "buddy.h"
#include "check.h"
#include "range.h"

int gpool_zero_begin(struct gpool *pool, int nid, struct gpool_unit *unit)
{
	struct gpool_section *sec;
	struct gpool_node *node;
	unsigned int slot;
	int err = 0;

	if (nid < 0 || nid >= GPOOL_MAX_NODES)
		return -EINVAL;
	node = gpool_node_get(pool, nid);
	if (!node)
		return -ENOENT;

	spin_lock(&node->lock);
	sec = list_first_entry_or_null(&node->whole[0], struct gpool_section,
				       whole);
	if (sec) {
		gpool_whole_del(node, sec);
		sec->state = GPOOL_SEC_ZEROING;
		node->free[GPOOL_LVL_1G]++;
		node->zeroing[GPOOL_LVL_1G]++;
		unit->pfn = sec->pfn;
		unit->order = GPOOL_ORDER_1G;
		goto out_unit;
	}
	/* Dirty free 2M units: scan, this is the background worker. */
	list_for_each_entry(sec, &node->avail, avail) {
		if (sec->nr_avail == sec->nr_zero)
			continue;
		slot = gpool_find_pref(sec->avail_map, sec->zero_map, false);
		gpool_child_take(node, sec, slot);
		gpool_sec_block(sec, slot)->flags |= GPOOL_BLK_ZEROING;
		node->free[GPOOL_LVL_2M]++;
		node->zeroing[GPOOL_LVL_2M]++;
		unit->pfn = gpool_slot_pfn(sec, slot);
		unit->order = GPOOL_ORDER_2M;
		goto out_unit;
	}
	err = -ENOENT;
	goto out_unlock;
out_unit:
	unit->nid = nid;
	unit->flags = 0;
out_unlock:
	spin_unlock(&node->lock);
	gpool_debug_check(pool, err ? U64_MAX : unit->pfn);
	return err;
}

int gpool_zero_end(struct gpool *pool, u64 pfn, unsigned int order,
		   bool zeroed)
{
	int lvl = gpool_order_lvl(order);
	struct gpool_node *node;
	struct gpool_loc loc;
	int err;

	if (lvl < GPOOL_LVL_2M || !IS_ALIGNED(pfn, 1ULL << order))
		return -EINVAL;

	read_lock(&pool->ranges_lock);
	err = gpool_locate(pool, pfn, &loc);
	if (err)
		goto out_unlock_ranges;
	node = loc.node;
	spin_lock(&node->lock);
	if (lvl == GPOOL_LVL_1G && loc.sec->state == GPOOL_SEC_ZEROING) {
		node->zeroing[GPOOL_LVL_1G]--;
		node->free[GPOOL_LVL_1G]--;
		gpool_whole_add(node, loc.sec, zeroed);
	} else if (lvl == GPOOL_LVL_2M &&
		   loc.sec->state == GPOOL_SEC_SPLIT &&
		   (loc.blk->flags & GPOOL_BLK_ZEROING)) {
		loc.blk->flags &= ~GPOOL_BLK_ZEROING;
		node->zeroing[GPOOL_LVL_2M]--;
		node->free[GPOOL_LVL_2M]--;
		gpool_child_put(node, loc.sec, loc.slot, zeroed);
	} else {
		err = -ENOENT;
	}
	spin_unlock(&node->lock);
out_unlock_ranges:
	read_unlock(&pool->ranges_lock);
	gpool_debug_check(pool, pfn);
	return err;
}
