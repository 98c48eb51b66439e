// SPDX-License-Identifier: GPL-2.0
/*
 * Counters for sysfs and debugfs.
 */
#include "pool_internal.h"
#include "pool_types.h"

int gpool_node_stats(struct gpool *pool, int nid, struct gpool_stats *stats)
{
	struct gpool_node *node;
	int l;

	if (nid < 0 || nid >= GPOOL_MAX_NODES)
		return -ENOENT;
	node = gpool_node_get(pool, nid);
	if (!node)
		return -ENOENT;

	spin_lock(&node->lock);
	for (l = 0; l < GPOOL_NR_LVLS; l++) {
		struct gpool_lvl_stats *o = &stats->lvl[l];

		o->total = node->total[l];
		o->free = node->free[l] - node->zeroing[l];
		o->zero = node->zero[l];
		o->zeroing = node->zeroing[l];
		o->allocated = node->allocated[l];
		o->reserved = node->resv[l];
		o->split = node->split[l];
		o->nr_splits = node->nr_splits[l];
		o->nr_merges = node->nr_merges[l];
	}
	stats->nr_pages = node->total[GPOOL_LVL_4K];
	stats->bad_pages = node->bad_pages;
	stats->poison_pending = node->nr_poison;
	spin_unlock(&node->lock);
	return 0;
}
