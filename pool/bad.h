/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bad.c: bad frames, pending (node->poison) and out of service (node->bad).
 * Node lock held.
 */
#ifndef __GPOOL_BAD_H
#define __GPOOL_BAD_H

#include "pool_types.h"

bool gpool_poison_in(struct gpool_node *node, u64 pfn, u64 nr_pages);
bool gpool_bad_in(struct gpool_node *node, u64 pfn, u64 nr_pages);
void gpool_free_poisoned(struct gpool_node *node, struct gpool_owner *owner,
			 struct gpool_loc *loc, int lvl);

#endif /* __GPOOL_BAD_H */
