// SPDX-License-Identifier: GPL-2.0
/*
 * Owners and their accounting: creating and destroying owners, reserving,
 * and every transition of the units an owner holds (held[]) or was
 * promised (resv[]) on a node, with the node's allocated[] and resv[]
 * counts: resv.h inline for the allocation fast paths, here for freeing,
 * losing a frame and reserving.
 *
 * DOC: capacity invariant
 *
 * Per node, free[] counts free capacity by level (whole free 1G units, free
 * 2M units outside them, free 4K frames outside those) and resv[] counts
 * units promised to owners.  A promise of a small unit can be kept by
 * splitting a larger free unit, never the other way round, so the node can
 * keep all its promises exactly when
 *
 *	resv[1G] <= free[1G]
 *	resv[2M] <= free[2M] + 512 * (free[1G] - resv[1G])		=: cap2m
 *	resv[4K] <= free[4K] + 512 * (cap2m - resv[2M])
 *
 * Every allocation checks that the invariant still holds afterwards, taking
 * into account the reservation it consumes, so allocations without a
 * reservation only use capacity nobody was promised.  Freeing and merging
 * never lower the right-hand sides.  Only a frame going bad can break the
 * invariant, and then allocations against the lost capacity fail.
 */
#include "pool_internal.h"
#include "pool_types.h"
#include "buddy.h"
#include "policy.h"
#include "resv.h"

/*
 * Spare capacity of @node at each level after applying @df to free[] and
 * @dr to resv[]; negative if the invariant is broken at that level.
 */
static void gpool_headroom(const struct gpool_node *node, const s64 *df,
			   const s64 *dr, s64 *h)
{
	h[GPOOL_LVL_1G] = (s64)node->free[GPOOL_LVL_1G] + df[GPOOL_LVL_1G] -
			  (s64)node->resv[GPOOL_LVL_1G] - dr[GPOOL_LVL_1G];
	h[GPOOL_LVL_2M] = (s64)node->free[GPOOL_LVL_2M] + df[GPOOL_LVL_2M] -
			  (s64)node->resv[GPOOL_LVL_2M] - dr[GPOOL_LVL_2M];
	if (h[GPOOL_LVL_1G] > 0)
		h[GPOOL_LVL_2M] += h[GPOOL_LVL_1G] * GPOOL_SLOTS;
	h[GPOOL_LVL_4K] = (s64)node->free[GPOOL_LVL_4K] + df[GPOOL_LVL_4K] -
			  (s64)node->resv[GPOOL_LVL_4K] - dr[GPOOL_LVL_4K];
	if (h[GPOOL_LVL_2M] > 0)
		h[GPOOL_LVL_4K] += h[GPOOL_LVL_2M] * GPOOL_SLOTS;
}

/*
 * Would the capacity invariant hold with free[] += @df and resv[] += @dr?
 * Node lock held.
 */
bool gpool_feasible(const struct gpool_node *node, const s64 *df,
		    const s64 *dr)
{
	s64 h[GPOOL_NR_LVLS];

	lockdep_assert_held(&node->lock);

	gpool_headroom(node, df, dr, h);
	return h[GPOOL_LVL_1G] >= 0 && h[GPOOL_LVL_2M] >= 0 &&
	       h[GPOOL_LVL_4K] >= 0;
}

/* How many more units of level @lvl could be promised on @node. */
static u64 gpool_resv_room(const struct gpool_node *node, int lvl)
{
	static const s64 none[GPOOL_NR_LVLS];
	s64 h[GPOOL_NR_LVLS], room;
	int l;

	gpool_headroom(node, none, none, h);
	room = h[lvl];
	/* A unit of level lvl uses 512^(lvl - l) of the room at level l. */
	for (l = lvl - 1; l >= 0; l--)
		room = min(room, h[l] >> ((lvl - l) * GPOOL_SLOT_SHIFT));
	return room > 0 ? room : 0;
}

/*
 * Change of free[] (or resv[]) when one unit of level @from serves an
 * allocation of level @lvl: that unit goes, and breaking it down leaves
 * 511 units of every level from @from - 1 down to @lvl (the 512th of level
 * @lvl is the one allocated).
 */
static void gpool_lvl_delta(s64 *d, int lvl, int from)
{
	d[from]--;
	while (--from >= lvl)
		d[from] += GPOOL_SLOTS - 1;
}

/*
 * The general case of gpool_alloc_feasible(): would the invariant hold
 * after an allocation of level @lvl takes a free unit of level @src and
 * uses up a promised unit of level @rl (GPOOL_NR_LVLS: none)?
 */
bool gpool_alloc_feasible_slow(const struct gpool_node *node, int lvl,
			       int src, int rl)
{
	s64 df[GPOOL_NR_LVLS] = { 0 }, dr[GPOOL_NR_LVLS] = { 0 };

	gpool_lvl_delta(df, lvl, src);
	if (rl < GPOOL_NR_LVLS)
		gpool_lvl_delta(dr, lvl, rl);
	return gpool_feasible(node, df, dr);
}

/*
 * An allocation of level @lvl by an owner whose promises on the node are
 * all smaller than @lvl: it uses up as many of them as the unit covers,
 * the larger first, and the rest of the unit comes from unpromised
 * capacity.  A file whose 4K frames were punched and credited back as 4K
 * promises refills the empty chunk with a 2M unit this way, holding no
 * more than it reserved.  Return: false, with nothing changed, if the
 * invariant would not hold afterwards (the caller falls back to a smaller
 * unit, which its promises cover).
 */
bool gpool_resv_gather(struct gpool_node *node, struct gpool_owner_node *on,
		       int lvl, int src)
{
	s64 df[GPOOL_NR_LVLS] = { 0 }, dr[GPOOL_NR_LVLS] = { 0 };
	u64 need = 1, t;
	int l;

	lockdep_assert_held(&node->lock);

	for (l = lvl - 1; l >= 0; l--) {
		need *= GPOOL_SLOTS;
		t = min_t(u64, need, on->resv[l]);
		dr[l] = -(s64)t;
		need -= t;
	}
	gpool_lvl_delta(df, lvl, src);
	if (!gpool_feasible(node, df, dr))
		return false;
	for (l = 0; l < lvl; l++) {
		node->resv[l] += dr[l];
		on->resv[l] += dr[l];
	}
	return true;
}

/*
 * The owner frees a unit of level @lvl it holds: it goes back to the
 * owner's reservation, so that a punched hole can be refilled.
 */
static void gpool_held_return(struct gpool_node *node,
			      struct gpool_owner_node *on, int lvl)
{
	lockdep_assert_held(&node->lock);

	gpool_held_drop(node, on, lvl);
	node->resv[lvl]++;
	on->resv[lvl]++;
}

/*
 * An allocated frame is about to be freed or go bad.  Frames of owners
 * other than the primary are only told apart from each other by count.
 */
static void gpool_frame_disown(struct gpool_block *blk, unsigned int idx)
{
	if (!test_bit(idx, blk->frames->aux))
		blk->nr_primary--;
	__clear_bit(idx, blk->frames->aux);
	if (gpool_blk_nr_alloc(blk) == 1)
		blk->owner = GPOOL_OWNER_NONE;
}

void gpool_free_whole(struct gpool_node *node, struct gpool_owner *owner,
		      struct gpool_section *sec)
{
	struct gpool_owner_node *on = &owner->node[node->nid];

	lockdep_assert_held(&node->lock);

	gpool_held_return(node, on, GPOOL_LVL_1G);
	gpool_whole_add(node, sec, false);
}

void gpool_free_child(struct gpool_node *node, struct gpool_owner *owner,
		      struct gpool_section *sec, unsigned int slot)
{
	struct gpool_owner_node *on = &owner->node[node->nid];
	struct gpool_block *blk = gpool_sec_block(sec, slot);

	lockdep_assert_held(&node->lock);

	if (blk->owner == GPOOL_OWNER_NONE)
		sec->nr_primary--;
	blk->owner = GPOOL_OWNER_NONE;
	gpool_held_return(node, on, GPOOL_LVL_2M);
	gpool_child_put(node, sec, slot, false);
}

void gpool_free_frame(struct gpool_node *node, struct gpool_owner *owner,
		      struct gpool_section *sec, unsigned int slot,
		      unsigned int idx)
{
	struct gpool_owner_node *on = &owner->node[node->nid];

	lockdep_assert_held(&node->lock);

	gpool_frame_disown(gpool_sec_block(sec, slot), idx);
	gpool_held_return(node, on, GPOOL_LVL_4K);
	gpool_frame_put(node, sec, slot, idx, false);
}

/*
 * An allocated frame leaves its owner without going back to its
 * reservation: it goes bad (bad.c does the rest).
 */
void gpool_frame_lose(struct gpool_node *node, struct gpool_owner *owner,
		      struct gpool_block *blk, unsigned int idx)
{
	lockdep_assert_held(&node->lock);

	gpool_frame_disown(blk, idx);
	gpool_held_drop(node, &owner->node[node->nid], GPOOL_LVL_4K);
}

u32 gpool_owner_id(const struct gpool_owner *owner)
{
	return owner->id;
}

struct gpool_owner *gpool_owner_create(struct gpool *pool,
				       const struct gpool_policy *policy,
				       unsigned int max_order)
{
	const struct gpool_policy_ops *ops = gpool_policy_lookup(policy);
	struct gpool_owner *owner;

	if (gpool_order_lvl(max_order) < 0 || !ops)
		return ERR_PTR(-EINVAL);

	owner = kzalloc(sizeof(*owner), GFP_KERNEL);
	if (!owner)
		return ERR_PTR(-ENOMEM);
	owner->pool = pool;
	owner->max_order = max_order;
	owner->policy = *policy;
	owner->ops = ops;

	mutex_lock(&pool->lock);
	if (++pool->next_owner_id == GPOOL_OWNER_NONE)
		++pool->next_owner_id;
	owner->id = pool->next_owner_id;
	list_add_tail(&owner->link, &pool->owners);
	pool->nr_owners++;
	mutex_unlock(&pool->lock);
	return owner;
}

static bool gpool_owner_holds(const struct gpool_owner *owner)
{
	unsigned int n;
	int l;

	for (n = 0; n < GPOOL_MAX_NODES; n++)
		for (l = 0; l < GPOOL_NR_LVLS; l++)
			if (READ_ONCE(owner->node[n].held[l]))
				return true;
	return false;
}

int gpool_owner_destroy(struct gpool_owner *owner)
{
	struct gpool *pool = owner->pool;

	if (gpool_owner_holds(owner))
		return -EBUSY;
	gpool_unreserve(owner);

	mutex_lock(&pool->lock);
	list_del(&owner->link);
	pool->nr_owners--;
	mutex_unlock(&pool->lock);
	kfree(owner);
	return 0;
}

void gpool_unreserve(struct gpool_owner *owner)
{
	struct gpool *pool = owner->pool;
	unsigned int n;
	int l;

	for (n = 0; n < GPOOL_MAX_NODES; n++) {
		struct gpool_owner_node *on = &owner->node[n];
		struct gpool_node *node = gpool_node_get(pool, n);

		if (!node)
			continue;
		spin_lock(&node->lock);
		for (l = 0; l < GPOOL_NR_LVLS; l++) {
			node->resv[l] -= on->resv[l];
			on->resv[l] = 0;
		}
		spin_unlock(&node->lock);
	}
}

/* Promise up to @want units of @lvl on node @n; return how many. */
static u64 gpool_resv_take(struct gpool_owner *owner, unsigned int n,
			   int lvl, u64 want)
{
	struct gpool_node *node = gpool_node_get(owner->pool, n);
	u64 got;

	if (!node || !want)
		return 0;
	spin_lock(&node->lock);
	got = min(want, gpool_resv_room(node, lvl));
	node->resv[lvl] += got;
	owner->node[n].resv[lvl] += got;
	spin_unlock(&node->lock);
	return got;
}

static void gpool_resv_untake(struct gpool_owner *owner, unsigned int n,
			      int lvl, u64 nr)
{
	struct gpool_node *node = owner->pool->nodes[n];

	if (!nr)
		return;
	spin_lock(&node->lock);
	node->resv[lvl] -= nr;
	owner->node[n].resv[lvl] -= nr;
	spin_unlock(&node->lock);
}

int gpool_reserve(struct gpool_owner *owner, u64 size, unsigned int order)
{
	u64 got[GPOOL_MAX_NODES] = { 0 };
	unsigned int nids[GPOOL_MAX_NODES];
	unsigned int nr, i, live = 0;
	u64 want, left, share;
	int lvl = gpool_order_lvl(order);

	if (lvl < 0 || !size || size & ((PAGE_SIZE << order) - 1))
		return -EINVAL;
	want = size >> (PAGE_SHIFT + order);

	nr = owner->ops->nodes(owner->pool, &owner->policy, 0, nids);
	for (i = 0; i < nr; i++)
		live += !!gpool_node_get(owner->pool, nids[i]);
	left = want;
	/* Interleave: an even share per node first, the rest anywhere. */
	if (owner->ops->spread && live) {
		share = want / live;
		for (i = 0; i < nr; i++) {
			u64 t = gpool_resv_take(owner, nids[i], lvl, share);

			got[nids[i]] += t;
			left -= t;
		}
	}
	for (i = 0; i < nr && left; i++) {
		u64 t = gpool_resv_take(owner, nids[i], lvl, left);

		got[nids[i]] += t;
		left -= t;
	}
	if (!left)
		return 0;

	for (i = 0; i < nr; i++)
		gpool_resv_untake(owner, nids[i], lvl, got[nids[i]]);
	return -ENOMEM;
}
