/* SPDX-License-Identifier: GPL-2.0 */
/*
 * policy.c: NUMA policies, one entry of a table per enum gpool_mode.
 * An entry says which of the pool's nodes an owner of that mode may use
 * and in what order they are tried, for reservations and allocations; a
 * new policy is a new entry.  Lowest layer: it calls no other file.
 */
#ifndef __GPOOL_POLICY_H
#define __GPOOL_POLICY_H

#include "pool_types.h"

struct gpool_policy_ops {
	/* Is @policy a valid policy of this mode? */
	bool (*valid)(const struct gpool_policy *policy);
	/*
	 * The nodes of @pool that @policy allows, in the order they should
	 * be tried, @cursor being the owner's interleave cursor.
	 * Return: the number of entries written to @nids.
	 */
	unsigned int (*nodes)(struct gpool *pool,
			      const struct gpool_policy *policy,
			      unsigned int cursor, unsigned int *nids);
	/*
	 * The first node ->nodes() would return, found without building the
	 * order; *@only tells whether it is the only one.
	 * Return: the node id, or -ENOENT if the policy allows no node.
	 */
	int (*first)(struct gpool *pool, const struct gpool_policy *policy,
		     unsigned int cursor, bool *only);
	/*
	 * Spread the owner over its nodes: a reservation is first shared
	 * evenly between them, and the cursor moves past the node of each
	 * allocation.
	 */
	bool spread;
};

const struct gpool_policy_ops *
gpool_policy_lookup(const struct gpool_policy *policy);

/* The nodes to try for one allocation of @owner, in policy order. */
static inline unsigned int gpool_owner_nodes(struct gpool_owner *owner,
					     unsigned int *nids)
{
	return owner->ops->nodes(owner->pool, &owner->policy,
				 READ_ONCE(owner->next), nids);
}

/*
 * The first node gpool_owner_nodes() would return, found without building
 * the order; *@only tells whether it is the only one.
 * Return: the node id, or -ENOENT if the policy allows no node of the pool.
 */
static inline int gpool_owner_first_node(struct gpool_owner *owner,
					 bool *only)
{
	return owner->ops->first(owner->pool, &owner->policy,
				 READ_ONCE(owner->next), only);
}

/* An allocation of @owner succeeded on node @nid. */
static inline void gpool_owner_placed(struct gpool_owner *owner,
				      unsigned int nid)
{
	if (owner->ops->spread)
		WRITE_ONCE(owner->next, nid + 1);
}

#endif /* __GPOOL_POLICY_H */
