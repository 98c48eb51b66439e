// SPDX-License-Identifier: GPL-2.0
/*
 * Bad frames (hardware poison).
 *
 * A bad frame is a frame of a split 2M child in state "bad" (see struct
 * gpool_frames): it is neither free nor allocated and it keeps its child
 * split for good, so the rest of the child is served as 4K units and the
 * rest of its 1G window as 2M units.
 *
 * A frame that goes bad while allocated stays with its owner until freed;
 * a struct gpool_poison remembers it, together with the split metadata its
 * 2M child will need then, so that freeing never has to allocate.
 */
#include "pool_internal.h"
#include "pool_types.h"
#include "bad.h"
#include "buddy.h"
#include "check.h"
#include "range.h"
#include "resv.h"
#include "spare.h"

static bool gpool_list_has(struct list_head *head, u64 pfn, u64 nr_pages)
{
	struct gpool_poison *p;

	list_for_each_entry(p, head, link)
		if (p->pfn >= pfn && p->pfn - pfn < nr_pages)
			return true;
	return false;
}

/* Is a frame in [@pfn, @pfn + @nr_pages) waiting to go bad? */
bool gpool_poison_in(struct gpool_node *node, u64 pfn, u64 nr_pages)
{
	lockdep_assert_held(&node->lock);

	return gpool_list_has(&node->poison, pfn, nr_pages);
}

/* Is a frame in [@pfn, @pfn + @nr_pages) out of service? */
bool gpool_bad_in(struct gpool_node *node, u64 pfn, u64 nr_pages)
{
	lockdep_assert_held(&node->lock);

	return gpool_list_has(&node->bad, pfn, nr_pages);
}

/* An allocated frame goes out of service instead of being freed. */
static void gpool_frame_bad(struct gpool_node *node,
			    struct gpool_owner *owner,
			    struct gpool_section *sec, unsigned int slot,
			    unsigned int idx, struct gpool_poison *p)
{
	struct gpool_block *blk = gpool_sec_block(sec, slot);

	lockdep_assert_held(&node->lock);

	gpool_frame_lose(node, owner, blk, idx);
	__set_bit(idx, blk->frames->aux);
	blk->nr_bad++;
	list_add_tail(&p->link, &node->bad);
	node->bad_pages++;
}

/*
 * Free the allocated unit at @loc, of level @lvl, which contains frames
 * waiting to go bad: split it so that each of them is a 4K unit, take those
 * out of service and free everything else.  Node lock held.
 */
void gpool_free_poisoned(struct gpool_node *node, struct gpool_owner *owner,
			 struct gpool_loc *loc, int lvl)
{
	struct gpool_owner_node *on = &owner->node[node->nid];
	struct gpool_section *sec = loc->sec;
	unsigned int slot, first, last, idx;
	struct gpool_poison *p, *tmp;
	u64 pfn, nr_pages;

	lockdep_assert_held(&node->lock);

	if (lvl == GPOOL_LVL_1G) {
		gpool_sec_split_alloc(node, sec);
		gpool_held_split(on, GPOOL_LVL_1G);
		first = 0;
		last = GPOOL_SLOTS - 1;
	} else {
		first = loc->slot;
		last = loc->slot;
	}
	pfn = gpool_slot_pfn(sec, first);
	if (lvl == GPOOL_LVL_4K)
		pfn += loc->idx;
	nr_pages = 1ULL << gpool_lvl_order(lvl);

	list_for_each_entry_safe(p, tmp, &node->poison, link) {
		struct gpool_block *blk;

		if (p->pfn < pfn || p->pfn - pfn >= nr_pages)
			continue;
		list_del(&p->link);
		node->nr_poison--;
		slot = (p->pfn - sec->pfn) >> GPOOL_ORDER_2M;
		blk = gpool_sec_block(sec, slot);
		if (!blk->frames) {
			gpool_block_split_alloc(node, sec, slot, p->frames);
			p->frames = NULL;
			gpool_held_split(on, GPOOL_LVL_2M);
		} else {
			gpool_frames_put(node, p->frames);
			p->frames = NULL;
		}
		gpool_frame_bad(node, owner, sec, slot,
				p->pfn & (GPOOL_SLOTS - 1), p);
	}
	if (lvl == GPOOL_LVL_4K)
		return;

	/* All frames of the unit are the owner's: primary, aux clear. */
	for (slot = first; slot <= last; slot++) {
		struct gpool_block *blk = gpool_sec_block(sec, slot);

		if (!blk->frames) {
			gpool_free_child(node, owner, sec, slot);
			continue;
		}
		for (idx = 0; idx < GPOOL_SLOTS; idx++)
			if (!test_bit(idx, blk->frames->avail) &&
			    !test_bit(idx, blk->frames->aux))
				gpool_free_frame(node, owner, sec, slot, idx);
	}
}

/* Take the free frame at @loc out of service; node lock held. */
static void gpool_isolate(struct gpool_node *node, struct gpool_loc *loc,
			  struct gpool_poison *p)
{
	struct gpool_section *sec = loc->sec;

	if (sec->state == GPOOL_SEC_FREE)
		gpool_sec_split_free(node, sec);
	if (!loc->blk->frames) {
		gpool_block_split_free(node, sec, loc->slot, p->frames);
		p->frames = NULL;
	}
	gpool_frame_take(node, sec, loc->slot, loc->idx);
	__set_bit(loc->idx, loc->blk->frames->aux);
	loc->blk->nr_bad++;
	list_add_tail(&p->link, &node->bad);
	node->bad_pages++;
}

int gpool_mark_bad(struct gpool *pool, u64 pfn)
{
	struct gpool_node *node;
	struct gpool_section *sec;
	struct gpool_block *blk;
	struct gpool_poison *p;
	struct gpool_loc loc;
	bool keep = true;
	int err;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->pfn = pfn;
	p->frames = kmalloc(sizeof(*p->frames), GFP_KERNEL);
	if (!p->frames) {
		err = -ENOMEM;
		goto out_free_poison;
	}

	err = gpool_lock_pfn(pool, pfn, 0, &loc);
	if (err)
		goto out_free_frames;
	node = loc.node;
	sec = loc.sec;
	blk = loc.blk;
	node->meta_bytes += sizeof(*p) + sizeof(*p->frames);

	if (sec->state == GPOOL_SEC_ZEROING ||
	    (sec->state == GPOOL_SEC_SPLIT && (blk->flags & GPOOL_BLK_ZEROING))) {
		err = -EBUSY;
		keep = false;
	} else if (gpool_poison_in(node, pfn, 1) || gpool_bad_in(node, pfn, 1)) {
		keep = false;
	} else if (sec->state == GPOOL_SEC_FREE ||
		   (sec->state == GPOOL_SEC_SPLIT &&
		    test_bit(loc.slot, sec->avail_map)) ||
		   (blk->frames && test_bit(loc.idx, blk->frames->avail))) {
		gpool_isolate(node, &loc, p);
		if (p->frames)
			gpool_frames_put(node, p->frames);
	} else {
		/* Allocated: it goes out of service when it is freed. */
		list_add_tail(&p->link, &node->poison);
		node->nr_poison++;
	}
	if (!keep)
		node->meta_bytes -= sizeof(*p) + sizeof(*p->frames);
	gpool_unlock_pfn(pool, &loc);
	gpool_debug_check(pool, pfn);
	if (keep)
		return 0;
out_free_frames:
	kfree(p->frames);
out_free_poison:
	kfree(p);
	return err;
}
