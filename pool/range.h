/* SPDX-License-Identifier: GPL-2.0 */
/*
 * range.c: the pool, its ranges and nodes; finding the metadata of a pfn and
 * locking its node.
 */
#ifndef __GPOOL_RANGE_H
#define __GPOOL_RANGE_H

#include "pool_types.h"

int gpool_locate(struct gpool *pool, u64 pfn, struct gpool_loc *loc);
int gpool_lock_pfn(struct gpool *pool, u64 pfn, unsigned int nr_frames,
		   struct gpool_loc *loc);
void gpool_unlock_pfn(struct gpool *pool, struct gpool_loc *loc);

#endif /* __GPOOL_RANGE_H */
