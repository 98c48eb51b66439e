/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resv.c: owners and their accounting.  Every change of an owner's held[]
 * and resv[] counts (and of the node's allocated[] and resv[] with them)
 * is made here or by the inline helpers below, which the allocation fast
 * paths use; resv.c explains the capacity invariant.  All of them run
 * under the node lock.
 */
#ifndef __GPOOL_RESV_H
#define __GPOOL_RESV_H

#include "pool_types.h"
#include "buddy.h"

bool gpool_feasible(const struct gpool_node *node, const s64 *df,
		    const s64 *dr);
bool gpool_alloc_feasible_slow(const struct gpool_node *node, int lvl,
			       int src, int rl);
bool gpool_resv_gather(struct gpool_node *node, struct gpool_owner_node *on,
		       int lvl, int src);
void gpool_free_whole(struct gpool_node *node, struct gpool_owner *owner,
		      struct gpool_section *sec);
void gpool_free_child(struct gpool_node *node, struct gpool_owner *owner,
		      struct gpool_section *sec, unsigned int slot);
void gpool_free_frame(struct gpool_node *node, struct gpool_owner *owner,
		      struct gpool_section *sec, unsigned int slot,
		      unsigned int idx);
void gpool_frame_lose(struct gpool_node *node, struct gpool_owner *owner,
		      struct gpool_block *blk, unsigned int idx);

/*
 * Level of the promised unit that an allocation of level @lvl uses up: @lvl
 * if the owner has one on this node, else the smallest larger level it has
 * one of, which is broken up; GPOOL_NR_LVLS if it has none.
 */
static inline int gpool_resv_lvl(const struct gpool_owner_node *on, int lvl)
{
	while (lvl < GPOOL_NR_LVLS && !on->resv[lvl])
		lvl++;
	return lvl;
}

/*
 * Can an allocation of level @lvl take a free unit of level @src and use up
 * a promised unit of level @rl (GPOOL_NR_LVLS: none)?
 */
static inline bool gpool_alloc_feasible(const struct gpool_node *node,
					int lvl, int src, int rl)
{
	/*
	 * Using up a promised unit of the level of the free unit taken
	 * lowers both sides of one inequality by one, so the invariant holds
	 * afterwards if it held before, which it does unless frames went bad.
	 */
	if (src == lvl && rl == lvl && !node->bad_pages)
		return true;
	/*
	 * Nothing promised on the node: the invariant is 0 <= free[], and
	 * taking a free unit apart keeps every free[] >= 0.
	 */
	if (!(node->resv[GPOOL_LVL_4K] | node->resv[GPOOL_LVL_2M] |
	      node->resv[GPOOL_LVL_1G]))
		return true;
	return gpool_alloc_feasible_slow(node, lvl, src, rl);
}

/* Use up the promised unit of level @rl for an allocation of level @lvl. */
static inline void gpool_resv_draw(struct gpool_node *node,
				   struct gpool_owner_node *on, int lvl, int rl)
{
	if (rl == GPOOL_NR_LVLS)
		return;
	node->resv[rl]--;
	on->resv[rl]--;
	while (--rl >= lvl) {
		node->resv[rl] += GPOOL_SLOTS - 1;
		on->resv[rl] += GPOOL_SLOTS - 1;
	}
}

/*
 * Does the owner have promises only smaller than @lvl on this node?  An
 * allocation of level @lvl then gathers them (gpool_resv_gather()).
 */
static inline bool gpool_resv_below(const struct gpool_owner_node *on,
				    int lvl)
{
	return lvl > GPOOL_LVL_4K &&
	       (on->resv[GPOOL_LVL_4K] | on->resv[GPOOL_LVL_2M]);
}

/*
 * An allocation of level @lvl takes a free unit of level @src: check that
 * the invariant still holds afterwards and use up the owner's promise it
 * draws on.  Return: false, with nothing changed, if it would not hold.
 */
static inline bool gpool_resv_charge(struct gpool_node *node,
				     struct gpool_owner_node *on, int lvl,
				     int src)
{
	int rl = gpool_resv_lvl(on, lvl);

	if (rl == GPOOL_NR_LVLS && gpool_resv_below(on, lvl))
		return gpool_resv_gather(node, on, lvl, src);
	if (!gpool_alloc_feasible(node, lvl, src, rl))
		return false;
	gpool_resv_draw(node, on, lvl, rl);
	return true;
}

/* The owner of @on now holds one more unit of level @lvl. */
static inline void gpool_held_take(struct gpool_node *node,
				   struct gpool_owner_node *on, int lvl)
{
	node->allocated[lvl]++;
	on->held[lvl]++;
}

/* The owner of @on no longer holds a unit of level @lvl. */
static inline void gpool_held_drop(struct gpool_node *node,
				   struct gpool_owner_node *on, int lvl)
{
	node->allocated[lvl]--;
	on->held[lvl]--;
}

/* A unit of level @lvl the owner holds became 512 of the level below. */
static inline void gpool_held_split(struct gpool_owner_node *on, int lvl)
{
	on->held[lvl]--;
	on->held[lvl - 1] += GPOOL_SLOTS;
}

/* 512 units below level @lvl the owner holds became one of level @lvl. */
static inline void gpool_held_merge(struct gpool_owner_node *on, int lvl)
{
	on->held[lvl - 1] -= GPOOL_SLOTS;
	on->held[lvl]++;
}

/*
 * A frame just taken by @id: the first allocated frame of a child decides
 * the child's primary owner; frames of other owners are marked in aux.
 */
static inline void gpool_frame_own(struct gpool_section *sec,
				   struct gpool_block *blk, unsigned int idx,
				   u32 id)
{
	if (gpool_blk_nr_alloc(blk) == 1)
		blk->owner = gpool_sec_claim(sec, id) ? GPOOL_OWNER_NONE : id;
	if (gpool_blk_owner(sec, blk) == id)
		blk->nr_primary++;
	else
		__set_bit(idx, blk->frames->aux);
}

#endif /* __GPOOL_RESV_H */
