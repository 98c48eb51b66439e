// SPDX-License-Identifier: GPL-2.0
/*
 * State transitions between 1G, 2M and 4K units.
 *
 * Every function here runs under the node lock, changes one section, block
 * or frame, and keeps the node counters in step.  None of them allocates:
 * split metadata comes from the node's spare cache, which the callers fill
 * before taking the lock.  Owner accounting is the callers' business.
 *
 * Each transition is O(1): at most a few bitmap words of a section or of a
 * split child are written, never one word per child.
 */
#include "pool_internal.h"
#include "pool_types.h"
#include "buddy.h"
#include "spare.h"

/*
 * Pick a set bit of @avail, preferring one also set (@want) or clear
 * (!@want) in @pref.  Return GPOOL_SLOTS if @avail is empty.
 */
unsigned int gpool_find_pref(const unsigned long *avail,
			     const unsigned long *pref, bool want)
{
	unsigned int i, any = GPOOL_SLOTS;

	for (i = 0; i < GPOOL_MAP_LONGS; i++) {
		unsigned long w = avail[i];
		unsigned long p;

		if (!w)
			continue;
		p = w & (want ? pref[i] : ~pref[i]);
		if (p)
			return i * BITS_PER_LONG + __ffs(p);
		if (any == GPOOL_SLOTS)
			any = i * BITS_PER_LONG + __ffs(w);
	}
	return any;
}

/*
 * The first owner to allocate from a split section becomes its primary.
 * Return: true if @id is (now) the primary owner of @sec.
 */
bool gpool_sec_claim(struct gpool_section *sec, u32 id)
{
	if (sec->owner == GPOOL_OWNER_NONE)
		sec->owner = id;
	return sec->owner == id;
}

void gpool_whole_add(struct gpool_node *node, struct gpool_section *sec,
		     bool zero)
{
	lockdep_assert_held(&node->lock);

	sec->state = GPOOL_SEC_FREE;
	sec->owner = GPOOL_OWNER_NONE;
	if (zero)
		sec->flags |= GPOOL_SEC_ZERO;
	else
		sec->flags &= ~GPOOL_SEC_ZERO;
	list_add_tail(&sec->whole, &node->whole[zero]);
	node->free[GPOOL_LVL_1G]++;
	node->zero[GPOOL_LVL_1G] += zero;
}

/* Take a FREE section off its list; the caller sets the new state. */
void gpool_whole_del(struct gpool_node *node, struct gpool_section *sec)
{
	lockdep_assert_held(&node->lock);

	list_del_init(&sec->whole);
	node->free[GPOOL_LVL_1G]--;
	node->zero[GPOOL_LVL_1G] -= !!(sec->flags & GPOOL_SEC_ZERO);
	sec->flags &= ~GPOOL_SEC_ZERO;
}

static void gpool_sec_lists(struct gpool_node *node, struct gpool_section *sec)
{
	if (sec->nr_avail) {
		if (list_empty(&sec->avail))
			list_add_tail(&sec->avail, &node->avail);
	} else {
		list_del_init(&sec->avail);
	}
	if (sec->nr_partial) {
		if (list_empty(&sec->partial))
			list_add_tail(&sec->partial, &node->partial);
	} else {
		list_del_init(&sec->partial);
	}
}

/* Free 1G unit -> 512 free 2M units.  The caller took it off its list. */
void gpool_sec_split_free(struct gpool_node *node, struct gpool_section *sec)
{
	bool zero = sec->flags & GPOOL_SEC_ZERO;

	lockdep_assert_held(&node->lock);

	gpool_whole_del(node, sec);
	sec->state = GPOOL_SEC_SPLIT;
	sec->owner = GPOOL_OWNER_NONE;
	bitmap_fill(sec->avail_map, GPOOL_SLOTS);
	if (zero)
		bitmap_fill(sec->zero_map, GPOOL_SLOTS);
	else
		bitmap_zero(sec->zero_map, GPOOL_SLOTS);
	bitmap_zero(sec->partial_map, GPOOL_SLOTS);
	bitmap_zero(sec->split_map, GPOOL_SLOTS);
	sec->nr_avail = GPOOL_SLOTS;
	sec->nr_zero = zero ? GPOOL_SLOTS : 0;
	sec->nr_partial = 0;
	sec->nr_split = 0;
	sec->nr_primary = 0;
	node->free[GPOOL_LVL_2M] += GPOOL_SLOTS;
	node->zero[GPOOL_LVL_2M] += sec->nr_zero;
	node->split[GPOOL_LVL_1G]++;
	node->nr_splits[GPOOL_LVL_1G]++;
	gpool_sec_lists(node, sec);
}

/* 512 free 2M units -> free 1G unit. */
static void gpool_sec_merge_free(struct gpool_node *node,
				 struct gpool_section *sec)
{
	bool zero = sec->nr_zero == GPOOL_SLOTS;

	node->free[GPOOL_LVL_2M] -= GPOOL_SLOTS;
	node->zero[GPOOL_LVL_2M] -= sec->nr_zero;
	sec->nr_avail = 0;
	sec->nr_zero = 0;
	WARN_ON_ONCE(sec->nr_primary || sec->nr_split || sec->nr_partial);
	gpool_sec_lists(node, sec);
	node->split[GPOOL_LVL_1G]--;
	node->nr_merges[GPOOL_LVL_1G]++;
	gpool_whole_add(node, sec, zero);
}

/*
 * Allocated 1G unit -> 512 allocated 2M units of the same owner.  The
 * blocks are pristine and blk->owner == NONE means "the primary", so no
 * block is written.
 */
void gpool_sec_split_alloc(struct gpool_node *node, struct gpool_section *sec)
{
	lockdep_assert_held(&node->lock);

	sec->state = GPOOL_SEC_SPLIT;
	bitmap_zero(sec->avail_map, GPOOL_SLOTS);
	bitmap_zero(sec->zero_map, GPOOL_SLOTS);
	bitmap_zero(sec->partial_map, GPOOL_SLOTS);
	bitmap_zero(sec->split_map, GPOOL_SLOTS);
	sec->nr_avail = 0;
	sec->nr_zero = 0;
	sec->nr_partial = 0;
	sec->nr_split = 0;
	sec->nr_primary = GPOOL_SLOTS;
	node->allocated[GPOOL_LVL_1G]--;
	node->allocated[GPOOL_LVL_2M] += GPOOL_SLOTS;
	node->split[GPOOL_LVL_1G]++;
	node->nr_splits[GPOOL_LVL_1G]++;
}

/* 512 allocated 2M units of the primary -> allocated 1G unit. */
void gpool_sec_merge_alloc(struct gpool_node *node, struct gpool_section *sec)
{
	lockdep_assert_held(&node->lock);

	sec->state = GPOOL_SEC_ALLOC;
	sec->nr_primary = 0;
	node->allocated[GPOOL_LVL_2M] -= GPOOL_SLOTS;
	node->allocated[GPOOL_LVL_1G]++;
	node->split[GPOOL_LVL_1G]--;
	node->nr_merges[GPOOL_LVL_1G]++;
}

/*
 * Take the free 2M child @slot out of the free structures.
 * Return: whether it was known zero.
 */
bool gpool_child_take(struct gpool_node *node, struct gpool_section *sec,
		      unsigned int slot)
{
	bool zero;

	lockdep_assert_held(&node->lock);

	__clear_bit(slot, sec->avail_map);
	zero = test_bit(slot, sec->zero_map);
	__clear_bit(slot, sec->zero_map);
	sec->nr_avail--;
	sec->nr_zero -= zero;
	node->free[GPOOL_LVL_2M]--;
	node->zero[GPOOL_LVL_2M] -= zero;
	if (!sec->nr_avail)
		list_del_init(&sec->avail);
	return zero;
}

/* Make child @slot a free 2M unit; merge the section if it is all free. */
void gpool_child_put(struct gpool_node *node, struct gpool_section *sec,
		     unsigned int slot, bool zero)
{
	lockdep_assert_held(&node->lock);

	__set_bit(slot, sec->avail_map);
	if (zero)
		__set_bit(slot, sec->zero_map);
	if (!sec->nr_avail++)
		list_add_tail(&sec->avail, &node->avail);
	sec->nr_zero += zero;
	node->free[GPOOL_LVL_2M]++;
	node->zero[GPOOL_LVL_2M] += zero;
	if (sec->nr_avail == GPOOL_SLOTS && (sec->flags & GPOOL_SEC_WHOLE))
		gpool_sec_merge_free(node, sec);
}

static void gpool_partial_set(struct gpool_node *node,
			      struct gpool_section *sec, unsigned int slot)
{
	__set_bit(slot, sec->partial_map);
	if (!sec->nr_partial++)
		list_add_tail(&sec->partial, &node->partial);
}

static void gpool_partial_clear(struct gpool_section *sec, unsigned int slot)
{
	__clear_bit(slot, sec->partial_map);
	if (!--sec->nr_partial)
		list_del_init(&sec->partial);
}

/* Free 2M child -> 512 free 4K frames. */
void gpool_block_split_free(struct gpool_node *node, struct gpool_section *sec,
			    unsigned int slot, struct gpool_frames *frames)
{
	struct gpool_block *blk = gpool_sec_block(sec, slot);
	bool zero;

	lockdep_assert_held(&node->lock);

	zero = gpool_child_take(node, sec, slot);
	blk->frames = frames;
	bitmap_fill(frames->avail, GPOOL_SLOTS);
	if (zero)
		bitmap_fill(frames->aux, GPOOL_SLOTS);
	else
		bitmap_zero(frames->aux, GPOOL_SLOTS);
	blk->owner = GPOOL_OWNER_NONE;
	blk->nr_avail = GPOOL_SLOTS;
	blk->nr_zero = zero ? GPOOL_SLOTS : 0;
	blk->nr_primary = 0;
	blk->nr_bad = 0;
	__set_bit(slot, sec->split_map);
	sec->nr_split++;
	gpool_partial_set(node, sec, slot);
	node->free[GPOOL_LVL_4K] += GPOOL_SLOTS;
	node->zero[GPOOL_LVL_4K] += blk->nr_zero;
	node->split[GPOOL_LVL_2M]++;
	node->nr_splits[GPOOL_LVL_2M]++;
}

/* 512 free 4K frames -> free 2M child. */
static void gpool_block_merge_free(struct gpool_node *node,
				   struct gpool_section *sec,
				   unsigned int slot, struct gpool_block *blk)
{
	bool zero = blk->nr_zero == GPOOL_SLOTS;

	node->free[GPOOL_LVL_4K] -= GPOOL_SLOTS;
	node->zero[GPOOL_LVL_4K] -= blk->nr_zero;
	node->split[GPOOL_LVL_2M]--;
	node->nr_merges[GPOOL_LVL_2M]++;
	gpool_frames_put(node, blk->frames);
	blk->frames = NULL;
	blk->owner = GPOOL_OWNER_NONE;
	blk->nr_avail = 0;
	blk->nr_zero = 0;
	WARN_ON_ONCE(blk->nr_primary || blk->nr_bad);
	__clear_bit(slot, sec->split_map);
	sec->nr_split--;
	gpool_partial_clear(sec, slot);
	gpool_child_put(node, sec, slot, zero);
}

/*
 * Allocated 2M child -> 512 allocated 4K frames of the same owner, who
 * becomes the child's primary owner.
 */
void gpool_block_split_alloc(struct gpool_node *node,
			     struct gpool_section *sec, unsigned int slot,
			     struct gpool_frames *frames)
{
	struct gpool_block *blk = gpool_sec_block(sec, slot);

	lockdep_assert_held(&node->lock);

	blk->frames = frames;
	bitmap_zero(frames->avail, GPOOL_SLOTS);
	bitmap_zero(frames->aux, GPOOL_SLOTS);
	blk->nr_avail = 0;
	blk->nr_zero = 0;
	blk->nr_primary = GPOOL_SLOTS;
	blk->nr_bad = 0;
	if (blk->owner == GPOOL_OWNER_NONE)
		sec->nr_primary--;
	__set_bit(slot, sec->split_map);
	sec->nr_split++;
	node->allocated[GPOOL_LVL_2M]--;
	node->allocated[GPOOL_LVL_4K] += GPOOL_SLOTS;
	node->split[GPOOL_LVL_2M]++;
	node->nr_splits[GPOOL_LVL_2M]++;
}

/* 512 4K frames allocated by the child's primary -> allocated 2M child. */
void gpool_block_merge_alloc(struct gpool_node *node,
			     struct gpool_section *sec, unsigned int slot)
{
	struct gpool_block *blk = gpool_sec_block(sec, slot);

	lockdep_assert_held(&node->lock);

	gpool_frames_put(node, blk->frames);
	blk->frames = NULL;
	blk->nr_primary = 0;
	if (blk->owner == GPOOL_OWNER_NONE)
		sec->nr_primary++;
	__clear_bit(slot, sec->split_map);
	sec->nr_split--;
	node->allocated[GPOOL_LVL_4K] -= GPOOL_SLOTS;
	node->allocated[GPOOL_LVL_2M]++;
	node->split[GPOOL_LVL_2M]--;
	node->nr_merges[GPOOL_LVL_2M]++;
}

/*
 * Take free frame @idx of split child @slot.
 * Return: whether it was known zero.
 */
bool gpool_frame_take(struct gpool_node *node, struct gpool_section *sec,
		      unsigned int slot, unsigned int idx)
{
	struct gpool_block *blk = gpool_sec_block(sec, slot);
	bool zero;

	lockdep_assert_held(&node->lock);

	__clear_bit(idx, blk->frames->avail);
	zero = test_bit(idx, blk->frames->aux);
	__clear_bit(idx, blk->frames->aux);
	blk->nr_avail--;
	blk->nr_zero -= zero;
	node->free[GPOOL_LVL_4K]--;
	node->zero[GPOOL_LVL_4K] -= zero;
	if (!blk->nr_avail)
		gpool_partial_clear(sec, slot);
	return zero;
}

/* Make frame @idx free; merge the child if all its frames are free. */
void gpool_frame_put(struct gpool_node *node, struct gpool_section *sec,
		     unsigned int slot, unsigned int idx, bool zero)
{
	struct gpool_block *blk = gpool_sec_block(sec, slot);

	lockdep_assert_held(&node->lock);

	__set_bit(idx, blk->frames->avail);
	if (zero)
		__set_bit(idx, blk->frames->aux);
	else
		__clear_bit(idx, blk->frames->aux);
	if (!blk->nr_avail++)
		gpool_partial_set(node, sec, slot);
	blk->nr_zero += zero;
	node->free[GPOOL_LVL_4K]++;
	node->zero[GPOOL_LVL_4K] += zero;
	if (blk->nr_avail == GPOOL_SLOTS)
		gpool_block_merge_free(node, sec, slot, blk);
}
