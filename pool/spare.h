/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spare.c: the per-node cache of split metadata, and locking a node with
 * enough of it at hand.  Lowest layer: it calls no other file of pool/.
 */
#ifndef __GPOOL_SPARE_H
#define __GPOOL_SPARE_H

#include "pool_types.h"

int gpool_node_lock(struct gpool_node *node, unsigned int nr_frames);
void gpool_node_unlock(struct gpool_node *node);
struct gpool_frames *gpool_frames_get(struct gpool_node *node);
void gpool_frames_put(struct gpool_node *node, struct gpool_frames *frames);
void gpool_spare_release(struct gpool_node *node);

/*
 * Lock @node if its cache holds @nr_frames structures already; for callers
 * that hold another spinning lock and so cannot fill it.
 * Return: true with the node lock held, false without it.
 */
static inline bool gpool_node_lock_cached(struct gpool_node *node,
					  unsigned int nr_frames)
{
	spin_lock(&node->lock);
	if (node->nr_spare >= nr_frames)
		return true;
	spin_unlock(&node->lock);
	return false;
}

#endif /* __GPOOL_SPARE_H */
