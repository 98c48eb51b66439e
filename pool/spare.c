// SPDX-License-Identifier: GPL-2.0
/*
 * The per-node cache of split metadata.
 *
 * Nothing allocates under a node lock: a path that may split a 2M child
 * into frames locks the node through gpool_node_lock(), which fills the
 * node's cache of up to GPOOL_NR_SPARE struct gpool_frames first, with
 * GFP_KERNEL and the lock dropped.  Under the lock, gpool_frames_get() takes
 * one the caller made sure was there and gpool_frames_put() gives one back
 * (merging, unused preallocations), freeing it if the cache is full.  The
 * cached structures count in the node's meta_bytes.
 */
#include "pool_internal.h"
#include "spare.h"

/*
 * Lock @node with at least @nr_frames split metadata structures in its
 * spare cache, allocating them with the lock dropped.
 *
 * Return: 0 with the lock held, or -ENOMEM without it.
 */
int gpool_node_lock(struct gpool_node *node, unsigned int nr_frames)
{
	spin_lock(&node->lock);
	while (node->nr_spare < nr_frames) {
		struct gpool_frames *frames;

		spin_unlock(&node->lock);
		frames = kmalloc(sizeof(*frames), GFP_KERNEL);
		if (!frames)
			return -ENOMEM;
		spin_lock(&node->lock);
		if (node->nr_spare < GPOOL_NR_SPARE) {
			node->spare[node->nr_spare++] = frames;
			node->meta_bytes += sizeof(*frames);
		} else {
			kfree(frames);
		}
	}
	return 0;
}

void gpool_node_unlock(struct gpool_node *node)
{
	spin_unlock(&node->lock);
}

/* Take split metadata the caller made sure was cached. */
struct gpool_frames *gpool_frames_get(struct gpool_node *node)
{
	lockdep_assert_held(&node->lock);

	if (WARN_ON_ONCE(!node->nr_spare))
		return NULL;
	return node->spare[--node->nr_spare];
}

void gpool_frames_put(struct gpool_node *node, struct gpool_frames *frames)
{
	lockdep_assert_held(&node->lock);

	if (node->nr_spare < GPOOL_NR_SPARE) {
		node->spare[node->nr_spare++] = frames;
		return;
	}
	node->meta_bytes -= sizeof(*frames);
	kfree(frames);
}

/* Free the cache of a node that goes away with its pool. */
void gpool_spare_release(struct gpool_node *node)
{
	while (node->nr_spare)
		kfree(node->spare[--node->nr_spare]);
}
