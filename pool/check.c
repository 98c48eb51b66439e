// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_check(): recompute every counter of every node from the metadata
 * and compare.  Slow (it visits every 2M block); for tests, and with
 * GPOOL_DEBUG (CONFIG_GPOOL_DEBUG) after one in GPOOL_DEBUG_EVERY of the
 * operations that change a node (gpool_debug_check(), check.h).
 */
#include "pool_internal.h"
#include "check.h"
#include "range.h"
#include "resv.h"

/* What the walk found on one node. */
struct gpool_tally {
	u64 free[GPOOL_NR_LVLS];
	u64 zero[GPOOL_NR_LVLS];
	u64 zeroing[GPOOL_NR_LVLS];
	u64 allocated[GPOOL_NR_LVLS];
	u64 split[GPOOL_NR_LVLS];
	u64 total[GPOOL_NR_LVLS];
	u64 bad_pages;
	u64 nr_frames;		/* split children: frames in use */
	u64 whole[2];		/* FREE sections, dirty and zero */
	u64 avail;		/* sections that must be on node->avail */
	u64 partial;		/* sections that must be on node->partial */
};

/* Log and report a broken invariant. */
#define GPOOL_FAILED(cond, fmt, ...)					\
	({								\
		bool __failed = !(cond);				\
									\
		if (__failed)						\
			pr_err("gpool: check failed: %s: " fmt "\n",	\
			       #cond, ##__VA_ARGS__);			\
		__failed;						\
	})

static unsigned int gpool_weight_and(const unsigned long *a,
				     const unsigned long *b, bool invert)
{
	unsigned int i, n = 0;

	for (i = 0; i < GPOOL_MAP_LONGS; i++)
		n += hweight_long(a[i] & (invert ? ~b[i] : b[i]));
	return n;
}

static bool gpool_block_pristine(const struct gpool_block *blk)
{
	return !blk->frames && !blk->owner && !blk->nr_avail &&
	       !blk->nr_zero && !blk->nr_primary && !blk->nr_bad &&
	       !blk->flags;
}

static int gpool_check_frames(struct gpool_section *sec, unsigned int slot,
			      struct gpool_block *blk, struct gpool_tally *t)
{
	const struct gpool_frames *f = blk->frames;
	unsigned int nr_alloc;

	if (GPOOL_FAILED(!blk->flags, "pfn %llu", gpool_slot_pfn(sec, slot)))
		return -EUCLEAN;
	if (GPOOL_FAILED(bitmap_weight(f->avail, GPOOL_SLOTS) == blk->nr_avail,
			 "pfn %llu", gpool_slot_pfn(sec, slot)))
		return -EUCLEAN;
	if (GPOOL_FAILED(gpool_weight_and(f->avail, f->aux, false) == blk->nr_zero,
			 "pfn %llu", gpool_slot_pfn(sec, slot)))
		return -EUCLEAN;
	if (GPOOL_FAILED(gpool_weight_and(f->aux, f->avail, true) ==
			 blk->nr_bad + gpool_blk_nr_alloc(blk) - blk->nr_primary,
			 "pfn %llu", gpool_slot_pfn(sec, slot)))
		return -EUCLEAN;
	if (GPOOL_FAILED(blk->nr_avail < GPOOL_SLOTS, "pfn %llu: not merged",
			 gpool_slot_pfn(sec, slot)))
		return -EUCLEAN;
	if (GPOOL_FAILED(test_bit(slot, sec->partial_map) == !!blk->nr_avail,
			 "pfn %llu", gpool_slot_pfn(sec, slot)))
		return -EUCLEAN;
	nr_alloc = gpool_blk_nr_alloc(blk);
	if (GPOOL_FAILED(blk->nr_primary <= nr_alloc, "pfn %llu",
			 gpool_slot_pfn(sec, slot)))
		return -EUCLEAN;
	if (GPOOL_FAILED(GPOOL_SLOTS - bitmap_weight(f->avail, GPOOL_SLOTS) -
			 gpool_weight_and(f->aux, f->avail, true) == blk->nr_primary,
			 "pfn %llu", gpool_slot_pfn(sec, slot)))
		return -EUCLEAN;
	if (GPOOL_FAILED(nr_alloc || !blk->owner, "pfn %llu",
			 gpool_slot_pfn(sec, slot)))
		return -EUCLEAN;
	if (GPOOL_FAILED(!nr_alloc || gpool_blk_owner(sec, blk), "pfn %llu",
			 gpool_slot_pfn(sec, slot)))
		return -EUCLEAN;
	t->free[GPOOL_LVL_4K] += blk->nr_avail;
	t->zero[GPOOL_LVL_4K] += blk->nr_zero;
	t->allocated[GPOOL_LVL_4K] += nr_alloc;
	t->bad_pages += blk->nr_bad;
	t->split[GPOOL_LVL_2M]++;
	t->nr_frames++;
	return 0;
}

static int gpool_check_split(struct gpool_section *sec, struct gpool_tally *t)
{
	unsigned int slot, nr_split = 0, nr_primary = 0;
	bool allocated = false;
	int err;

	if (GPOOL_FAILED(list_empty(&sec->whole), "pfn %llu", sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(bitmap_weight(sec->avail_map, GPOOL_SLOTS) == sec->nr_avail,
			 "pfn %llu", sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(gpool_weight_and(sec->zero_map, sec->avail_map, true) == 0,
			 "pfn %llu", sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(bitmap_weight(sec->zero_map, GPOOL_SLOTS) == sec->nr_zero,
			 "pfn %llu", sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(bitmap_weight(sec->partial_map, GPOOL_SLOTS) ==
			 sec->nr_partial, "pfn %llu", sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(list_empty(&sec->avail) == !sec->nr_avail, "pfn %llu",
			 sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(list_empty(&sec->partial) == !sec->nr_partial, "pfn %llu",
			 sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(!(sec->flags & GPOOL_SEC_WHOLE) ||
			 sec->nr_avail < GPOOL_SLOTS, "pfn %llu: not merged",
			 sec->pfn))
		return -EUCLEAN;
	t->avail += !!sec->nr_avail;
	t->partial += !!sec->nr_partial;
	t->free[GPOOL_LVL_2M] += sec->nr_avail;
	t->zero[GPOOL_LVL_2M] += sec->nr_zero;
	if (sec->flags & GPOOL_SEC_WHOLE)
		t->split[GPOOL_LVL_1G]++;

	for (slot = 0; slot < GPOOL_SLOTS; slot++) {
		struct gpool_block *blk;

		if (slot < sec->lo || slot >= sec->hi) {
			if (GPOOL_FAILED(!test_bit(slot, sec->avail_map) &&
					 !test_bit(slot, sec->partial_map),
					 "pfn %llu slot %u", sec->pfn, slot))
				return -EUCLEAN;
			continue;
		}
		blk = gpool_sec_block(sec, slot);
		if (test_bit(slot, sec->avail_map)) {
			if (GPOOL_FAILED(gpool_block_pristine(blk), "pfn %llu",
					 gpool_slot_pfn(sec, slot)))
				return -EUCLEAN;
		} else if (blk->flags & GPOOL_BLK_ZEROING) {
			if (GPOOL_FAILED(!blk->frames && !blk->owner, "pfn %llu",
					 gpool_slot_pfn(sec, slot)))
				return -EUCLEAN;
			t->free[GPOOL_LVL_2M]++;
			t->zeroing[GPOOL_LVL_2M]++;
		} else if (blk->frames) {
			if (GPOOL_FAILED(test_bit(slot, sec->split_map),
					 "pfn %llu", gpool_slot_pfn(sec, slot)))
				return -EUCLEAN;
			err = gpool_check_frames(sec, slot, blk, t);
			if (err)
				return err;
			nr_split++;
			allocated |= gpool_blk_nr_alloc(blk);
		} else {
			if (GPOOL_FAILED(!blk->nr_avail && !blk->nr_primary &&
					 !blk->nr_bad, "pfn %llu",
					 gpool_slot_pfn(sec, slot)))
				return -EUCLEAN;
			t->allocated[GPOOL_LVL_2M]++;
			nr_primary += !blk->owner;
			allocated = true;
		}
	}
	if (GPOOL_FAILED(nr_split == sec->nr_split, "pfn %llu", sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(bitmap_weight(sec->split_map, GPOOL_SLOTS) == nr_split,
			 "pfn %llu", sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(nr_primary == sec->nr_primary, "pfn %llu", sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(!allocated || sec->owner, "pfn %llu", sec->pfn))
		return -EUCLEAN;
	return 0;
}

static int gpool_check_section(struct gpool_range *range,
			       struct gpool_section *sec,
			       struct gpool_tally *t)
{
	bool whole = sec->lo == 0 && sec->hi == GPOOL_SLOTS;
	unsigned int slot;

	if (GPOOL_FAILED(sec->range == range, "pfn %llu", sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(!!(sec->flags & GPOOL_SEC_WHOLE) == whole, "pfn %llu",
			 sec->pfn))
		return -EUCLEAN;
	t->total[GPOOL_LVL_1G] += whole;
	if (sec->state == GPOOL_SEC_SPLIT)
		return gpool_check_split(sec, t);

	if (GPOOL_FAILED(whole, "pfn %llu: cut window is one unit", sec->pfn))
		return -EUCLEAN;
	if (GPOOL_FAILED(list_empty(&sec->avail) && list_empty(&sec->partial),
			 "pfn %llu", sec->pfn))
		return -EUCLEAN;
	for (slot = 0; slot < GPOOL_SLOTS; slot++)
		if (GPOOL_FAILED(gpool_block_pristine(gpool_sec_block(sec, slot)),
				 "pfn %llu slot %u", sec->pfn, slot))
			return -EUCLEAN;
	switch (sec->state) {
	case GPOOL_SEC_FREE:
		if (GPOOL_FAILED(!list_empty(&sec->whole) && !sec->owner,
				 "pfn %llu", sec->pfn))
			return -EUCLEAN;
		t->free[GPOOL_LVL_1G]++;
		t->zero[GPOOL_LVL_1G] += !!(sec->flags & GPOOL_SEC_ZERO);
		t->whole[!!(sec->flags & GPOOL_SEC_ZERO)]++;
		break;
	case GPOOL_SEC_ALLOC:
		if (GPOOL_FAILED(list_empty(&sec->whole) && sec->owner, "pfn %llu",
				 sec->pfn))
			return -EUCLEAN;
		t->allocated[GPOOL_LVL_1G]++;
		break;
	case GPOOL_SEC_ZEROING:
		if (GPOOL_FAILED(list_empty(&sec->whole), "pfn %llu", sec->pfn))
			return -EUCLEAN;
		t->free[GPOOL_LVL_1G]++;
		t->zeroing[GPOOL_LVL_1G]++;
		break;
	default:
		if (GPOOL_FAILED(false, "pfn %llu: state %u", sec->pfn, sec->state))
			return -EUCLEAN;
	}
	return 0;
}

static u64 gpool_list_len(const struct list_head *head)
{
	const struct list_head *pos;
	u64 n = 0;

	for (pos = head->next; pos != head; pos = pos->next)
		n++;
	return n;
}

static int gpool_check_node(struct gpool *pool, struct gpool_node *node,
			    struct gpool_tally *t)
{
	static const s64 none[GPOOL_NR_LVLS];
	struct gpool_owner *owner;
	struct gpool_poison *p;
	unsigned int i;
	u64 used = 0;
	int l, err;

	lockdep_assert_held(&node->lock);

	for (i = 0; i < pool->nr_ranges; i++) {
		struct gpool_range *range = pool->ranges[i];
		unsigned long s;

		if (range->node != node)
			continue;
		if (GPOOL_FAILED(!i || pool->ranges[i - 1]->start_pfn +
				 pool->ranges[i - 1]->nr_pages <= range->start_pfn,
				 "range %u", i))
			return -EUCLEAN;
		for (s = 0; s < range->nr_sections; s++) {
			err = gpool_check_section(range, &range->sections[s],
						  t);
			if (err)
				return err;
		}
		t->total[GPOOL_LVL_2M] += range->nr_blocks;
		t->total[GPOOL_LVL_4K] += range->nr_pages;
	}

	for (l = 0; l < GPOOL_NR_LVLS; l++) {
		u64 resv = 0, held = 0;

		if (GPOOL_FAILED(node->free[l] == t->free[l], "node %d lvl %d: %llu != %llu",
				 node->nid, l, node->free[l], t->free[l]))
			return -EUCLEAN;
		if (GPOOL_FAILED(node->zero[l] == t->zero[l], "node %d lvl %d",
				 node->nid, l))
			return -EUCLEAN;
		if (GPOOL_FAILED(node->zeroing[l] == t->zeroing[l], "node %d lvl %d",
				 node->nid, l))
			return -EUCLEAN;
		if (GPOOL_FAILED(node->allocated[l] == t->allocated[l],
				 "node %d lvl %d: %llu != %llu", node->nid, l,
				 node->allocated[l], t->allocated[l]))
			return -EUCLEAN;
		if (GPOOL_FAILED(node->split[l] == t->split[l], "node %d lvl %d",
				 node->nid, l))
			return -EUCLEAN;
		if (GPOOL_FAILED(node->total[l] == t->total[l], "node %d lvl %d",
				 node->nid, l))
			return -EUCLEAN;
		list_for_each_entry(owner, &pool->owners, link) {
			resv += owner->node[node->nid].resv[l];
			held += owner->node[node->nid].held[l];
		}
		if (GPOOL_FAILED(node->resv[l] == resv, "node %d lvl %d", node->nid,
				 l))
			return -EUCLEAN;
		if (GPOOL_FAILED(node->allocated[l] == held, "node %d lvl %d",
				 node->nid, l))
			return -EUCLEAN;
	}
	if (GPOOL_FAILED(node->bad_pages == t->bad_pages, "node %d", node->nid))
		return -EUCLEAN;
	if (GPOOL_FAILED(gpool_list_len(&node->whole[0]) == t->whole[0], "node %d",
			 node->nid))
		return -EUCLEAN;
	if (GPOOL_FAILED(gpool_list_len(&node->whole[1]) == t->whole[1], "node %d",
			 node->nid))
		return -EUCLEAN;
	if (GPOOL_FAILED(gpool_list_len(&node->avail) == t->avail, "node %d",
			 node->nid))
		return -EUCLEAN;
	if (GPOOL_FAILED(gpool_list_len(&node->partial) == t->partial, "node %d",
			 node->nid))
		return -EUCLEAN;
	if (GPOOL_FAILED(gpool_list_len(&node->poison) == node->nr_poison,
			 "node %d", node->nid))
		return -EUCLEAN;
	list_for_each_entry(p, &node->poison, link)
		used += sizeof(*p) + (p->frames ? sizeof(*p->frames) : 0);
	list_for_each_entry(p, &node->bad, link) {
		struct gpool_loc loc;

		if (GPOOL_FAILED(!gpool_locate(pool, p->pfn, &loc) &&
				 loc.node == node && loc.blk->frames &&
				 !test_bit(loc.idx, loc.blk->frames->avail) &&
				 test_bit(loc.idx, loc.blk->frames->aux),
				 "bad pfn %llu", p->pfn))
			return -EUCLEAN;
		used += sizeof(*p);
	}
	if (GPOOL_FAILED(gpool_list_len(&node->bad) == node->bad_pages, "node %d",
			 node->nid))
		return -EUCLEAN;
	used += (t->nr_frames + node->nr_spare) * sizeof(struct gpool_frames);
	if (GPOOL_FAILED(node->meta_bytes == used, "node %d: %zu != %llu",
			 node->nid, node->meta_bytes, used))
		return -EUCLEAN;
	/* Only frames going bad may break a promise made to an owner. */
	if (GPOOL_FAILED(node->bad_pages || gpool_feasible(node, none, none),
			 "node %d: reservations exceed capacity", node->nid))
		return -EUCLEAN;
	return 0;
}

/*
 * Check node @only, or every node if it is NULL, with @t as scratch.  The
 * caller holds pool->lock and pool->ranges_lock.
 */
static int gpool_check_nodes(struct gpool *pool, struct gpool_node *only,
			     struct gpool_tally *t)
{
	unsigned int n;
	int err = 0;

	for (n = 0; n < GPOOL_MAX_NODES && !err; n++) {
		struct gpool_node *node = pool->nodes[n];

		if (GPOOL_FAILED(test_bit(n, pool->node_mask) == !!node,
				 "node %u", n))
			return -EUCLEAN;
		if (!node || (only && node != only))
			continue;
		memset(t, 0, sizeof(*t));
		spin_lock(&node->lock);
		err = gpool_check_node(pool, node, t);
		spin_unlock(&node->lock);
	}
	return err;
}

int gpool_check(struct gpool *pool)
{
	struct gpool_tally *t;
	int err;

	t = kmalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	mutex_lock(&pool->lock);
	read_lock(&pool->ranges_lock);
	err = gpool_check_nodes(pool, NULL, t);
	read_unlock(&pool->ranges_lock);
	mutex_unlock(&pool->lock);
	kfree(t);
	return err;
}

int gpool_check_at(struct gpool *pool, u64 pfn)
{
	struct gpool_tally t;
	struct gpool_loc loc;
	int err;

	mutex_lock(&pool->lock);
	read_lock(&pool->ranges_lock);
	err = gpool_check_nodes(pool, gpool_locate(pool, pfn, &loc) ? NULL :
				loc.node, &t);
	read_unlock(&pool->ranges_lock);
	mutex_unlock(&pool->lock);
	return err;
}

int gpool_debug_check_at(struct gpool *pool, u64 pfn)
{
	bool due;

	mutex_lock(&pool->lock);
	due = !(pool->debug_ops++ % GPOOL_DEBUG_EVERY);
	mutex_unlock(&pool->lock);
	return due ? gpool_check_at(pool, pfn) : 0;
}
