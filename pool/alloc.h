/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc.c: allocation and freeing; which allocated unit is at a pfn, and
 * whose.  Node lock held.
 */
#ifndef __GPOOL_ALLOC_H
#define __GPOOL_ALLOC_H

#include "pool_types.h"

bool gpool_frame_allocated(struct gpool_node *node,
			   const struct gpool_section *sec,
			   const struct gpool_block *blk, unsigned int slot,
			   unsigned int idx);
int gpool_check_unit(const struct gpool_loc *loc, int lvl, u32 id);

#endif /* __GPOOL_ALLOC_H */
