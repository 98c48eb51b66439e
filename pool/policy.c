// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA policies: which of the pool's nodes an owner uses, in what order.
 *
 * Each enum gpool_mode is one entry of gpool_policies[] (see policy.h for
 * what an entry provides).  gpool_owner_create() looks the owner's entry
 * up once; reservations (resv.c) and allocations (alloc.c) then call it
 * through the owner.  Only nodes the pool has are returned.
 */
#include "pool_internal.h"
#include "policy.h"

/*
 * Append the nodes of @mask to @nids[@nr...], from node @start upwards
 * and then from node 0 up to @start.
 * Return: the number of entries of @nids now.
 */
static unsigned int gpool_nodes_from(const unsigned long *mask,
				     unsigned int start, unsigned int *nids,
				     unsigned int nr)
{
	unsigned int n;

	for (n = find_next_bit(mask, GPOOL_MAX_NODES, start);
	     n < GPOOL_MAX_NODES;
	     n = find_next_bit(mask, GPOOL_MAX_NODES, n + 1))
		nids[nr++] = n;
	for_each_set_bit(n, mask, start)
		nids[nr++] = n;
	return nr;
}

/*
 * The first node gpool_nodes_from() would append; *@only tells whether it
 * is the only one.
 * Return: the node id, or -ENOENT if @mask is empty.
 */
static int gpool_first_from(unsigned long *mask, unsigned int start,
			    bool *only)
{
	unsigned int n = GPOOL_MAX_NODES;

	if (start)
		n = find_next_bit(mask, GPOOL_MAX_NODES, start);
	if (n >= GPOOL_MAX_NODES)
		n = find_first_bit(mask, GPOOL_MAX_NODES);
	if (n >= GPOOL_MAX_NODES)
		return -ENOENT;
	__clear_bit(n, mask);
	*only = bitmap_empty(mask, GPOOL_MAX_NODES);
	return n;
}

/* BIND and INTERLEAVE: the nodes of the mask, which must not be empty. */
static bool gpool_mask_valid(const struct gpool_policy *policy)
{
	return !bitmap_empty(policy->nodes, GPOOL_MAX_NODES);
}

static void gpool_mask_nodes(struct gpool *pool,
			     const struct gpool_policy *policy,
			     unsigned long *mask)
{
	bitmap_and(mask, pool->node_mask, policy->nodes, GPOOL_MAX_NODES);
}

/* BIND: the nodes of the mask, lowest id first. */
static unsigned int gpool_bind_nodes(struct gpool *pool,
				     const struct gpool_policy *policy,
				     unsigned int __always_unused cursor,
				     unsigned int *nids)
{
	DECLARE_BITMAP(mask, GPOOL_MAX_NODES);

	gpool_mask_nodes(pool, policy, mask);
	return gpool_nodes_from(mask, 0, nids, 0);
}

static int gpool_bind_first(struct gpool *pool,
			    const struct gpool_policy *policy,
			    unsigned int __always_unused cursor, bool *only)
{
	DECLARE_BITMAP(mask, GPOOL_MAX_NODES);

	gpool_mask_nodes(pool, policy, mask);
	return gpool_first_from(mask, 0, only);
}

/* INTERLEAVE: the nodes of the mask, round-robin from the cursor. */
static unsigned int gpool_interleave_nodes(struct gpool *pool,
					   const struct gpool_policy *policy,
					   unsigned int cursor,
					   unsigned int *nids)
{
	DECLARE_BITMAP(mask, GPOOL_MAX_NODES);

	gpool_mask_nodes(pool, policy, mask);
	return gpool_nodes_from(mask, cursor % GPOOL_MAX_NODES, nids, 0);
}

static int gpool_interleave_first(struct gpool *pool,
				  const struct gpool_policy *policy,
				  unsigned int cursor, bool *only)
{
	DECLARE_BITMAP(mask, GPOOL_MAX_NODES);

	gpool_mask_nodes(pool, policy, mask);
	return gpool_first_from(mask, cursor % GPOOL_MAX_NODES, only);
}

/*
 * PREFERRED: the preferred node first (if the pool has it), then the
 * nodes of the mask, or all nodes if the mask is empty, lowest id first.
 */
static bool gpool_preferred_valid(const struct gpool_policy *policy)
{
	return policy->preferred >= 0 && policy->preferred < GPOOL_MAX_NODES;
}

/*
 * The nodes other than the preferred one in @mask.
 * Return: whether the pool has the preferred node.
 */
static bool gpool_preferred_mask(struct gpool *pool,
				 const struct gpool_policy *policy,
				 unsigned long *mask)
{
	if (bitmap_empty(policy->nodes, GPOOL_MAX_NODES))
		bitmap_copy(mask, pool->node_mask, GPOOL_MAX_NODES);
	else
		gpool_mask_nodes(pool, policy, mask);
	if (!test_bit(policy->preferred, pool->node_mask))
		return false;
	__clear_bit(policy->preferred, mask);
	return true;
}

static unsigned int gpool_preferred_nodes(struct gpool *pool,
					  const struct gpool_policy *policy,
					  unsigned int __always_unused cursor,
					  unsigned int *nids)
{
	DECLARE_BITMAP(mask, GPOOL_MAX_NODES);
	unsigned int nr = 0;

	if (gpool_preferred_mask(pool, policy, mask))
		nids[nr++] = policy->preferred;
	return gpool_nodes_from(mask, 0, nids, nr);
}

static int gpool_preferred_first(struct gpool *pool,
				 const struct gpool_policy *policy,
				 unsigned int __always_unused cursor,
				 bool *only)
{
	DECLARE_BITMAP(mask, GPOOL_MAX_NODES);

	if (gpool_preferred_mask(pool, policy, mask)) {
		*only = bitmap_empty(mask, GPOOL_MAX_NODES);
		return policy->preferred;
	}
	return gpool_first_from(mask, 0, only);
}

static const struct gpool_policy_ops gpool_policies[] = {
	[GPOOL_MODE_BIND] = {
		.valid = gpool_mask_valid,
		.nodes = gpool_bind_nodes,
		.first = gpool_bind_first,
	},
	[GPOOL_MODE_PREFERRED] = {
		.valid = gpool_preferred_valid,
		.nodes = gpool_preferred_nodes,
		.first = gpool_preferred_first,
	},
	[GPOOL_MODE_INTERLEAVE] = {
		.valid = gpool_mask_valid,
		.nodes = gpool_interleave_nodes,
		.first = gpool_interleave_first,
		.spread = true,
	},
};

/* Return: the entry of @policy's mode, or NULL if @policy is not valid. */
const struct gpool_policy_ops *
gpool_policy_lookup(const struct gpool_policy *policy)
{
	const struct gpool_policy_ops *ops;

	if ((unsigned int)policy->mode >= ARRAY_SIZE(gpool_policies))
		return NULL;
	ops = &gpool_policies[policy->mode];
	if (!ops->valid || !ops->valid(policy))
		return NULL;
	return ops;
}
