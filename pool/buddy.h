/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddy.c: state transitions between 1G, 2M and 4K units, node lock held.
 * Owner accounting is not done here (resv.h).
 */
#ifndef __GPOOL_BUDDY_H
#define __GPOOL_BUDDY_H

#include "pool_types.h"

void gpool_whole_add(struct gpool_node *node, struct gpool_section *sec,
		     bool zero);
void gpool_whole_del(struct gpool_node *node, struct gpool_section *sec);
void gpool_sec_split_free(struct gpool_node *node, struct gpool_section *sec);
void gpool_sec_split_alloc(struct gpool_node *node,
			   struct gpool_section *sec);
void gpool_sec_merge_alloc(struct gpool_node *node,
			   struct gpool_section *sec);
bool gpool_child_take(struct gpool_node *node, struct gpool_section *sec,
		      unsigned int slot);
void gpool_child_put(struct gpool_node *node, struct gpool_section *sec,
		     unsigned int slot, bool zero);
void gpool_block_split_free(struct gpool_node *node,
			    struct gpool_section *sec, unsigned int slot,
			    struct gpool_frames *frames);
void gpool_block_split_alloc(struct gpool_node *node,
			     struct gpool_section *sec, unsigned int slot,
			     struct gpool_frames *frames);
void gpool_block_merge_alloc(struct gpool_node *node,
			     struct gpool_section *sec, unsigned int slot);
bool gpool_frame_take(struct gpool_node *node, struct gpool_section *sec,
		      unsigned int slot, unsigned int idx);
void gpool_frame_put(struct gpool_node *node, struct gpool_section *sec,
		     unsigned int slot, unsigned int idx, bool zero);
bool gpool_sec_claim(struct gpool_section *sec, u32 id);
unsigned int gpool_find_pref(const unsigned long *avail,
			     const unsigned long *pref, bool want);

#endif /* __GPOOL_BUDDY_H */
