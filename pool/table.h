/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The table of a pool-backed file: which unit backs each page, and the
 * transitions between them (split on punch, merge on refill), on top of
 * the pool API (pool.h).  kernel/gmem.c wraps it with locking, KVM's
 * mappings and bad-frame marks; tests/ runs it against the same pool in
 * userspace.  See docs/design/kernel.md, "A pool-backed guest_memfd".
 *
 * The caller serialises every call on one table (kernel/gmem.c: the
 * file's mutex); the counters may be read without it (READ_ONCE()).
 * Indexes are in 4 KiB pages of the file.
 */
#ifndef __GPOOL_TABLE_H
#define __GPOOL_TABLE_H

#include "pool.h"

#define GPOOL_CHUNK_PAGES	512UL	/* 4K pages per 2M chunk */
#define GPOOL_WINDOW_CHUNKS	512UL	/* 2M chunks per 1G window */
#define GPOOL_WINDOW_PAGES	(GPOOL_CHUNK_PAGES * GPOOL_WINDOW_CHUNKS)

enum gpool_chunk_state {
	GPOOL_CHUNK_EMPTY,
	GPOOL_CHUNK_4K,
	GPOOL_CHUNK_2M,
	GPOOL_CHUNK_1G,
};

/* One entry per 2 MiB of the file. */
struct gpool_chunk {
	u8 state;		/* enum gpool_chunk_state */
	u16 nr_pages;		/* GPOOL_CHUNK_4K: pages present */
	/*
	 * The 2M-aligned frame last backing the chunk (0 if never): for
	 * 2M and 1G chunks the chunk's first frame, for 4K and empty ones
	 * the frames to ask for again so that the unit can merge.
	 */
	u64 home;
	u64 *pages;		/* GPOOL_CHUNK_4K: one frame per page, 0 = hole */
};

/**
 * struct gpool_table_ops - what only the table's user can do
 * @clear: clear a unit the pool handed out dirty; 0 or -errno.
 * @zeroer_holds: is the background zeroer clearing the unit of @pfn?
 * @zeroer_pause: have the zeroer give back what it holds, and hold off
 *	until @zeroer_resume (calls nest).
 * @zeroer_resume: end a @zeroer_pause.
 * @freed: the units backing [start, end) went back to the pool (the
 *	kernel forgets its bad-frame marks there).  May be NULL.
 * @resched: a long loop may yield here (cond_resched()).  May be NULL.
 * @fits: may one unit back the @nr_pages pages at @start?  Not if their
 *	attributes differ (shared and private): a unit is mapped whole.
 *	May be NULL (always).
 */
struct gpool_table_ops {
	int (*clear)(u64 pfn, unsigned int order);
	bool (*zeroer_holds)(u64 pfn);
	void (*zeroer_pause)(void);
	void (*zeroer_resume)(void);
	void (*freed)(void *priv, u64 start, u64 end);
	void (*resched)(void);
	bool (*fits)(void *priv, u64 start, u64 nr_pages);
};

/**
 * struct gpool_table - the backing of one file
 * @pool: the pool the units come from.
 * @owner: the file's owner in @pool (reserved for the file's size).
 * @nr_pages: the file's size.
 * @max_order: the largest unit the file takes: GPOOL_ORDER_*.
 * @nr_chunks: entries in @chunks.
 * @chunks: one per 2 MiB of the file.
 * @nr_units: units the file holds, by GPOOL_LVL_*.
 * @node_bytes: bytes the file holds, by node.
 * @ops: the user's part.
 * @priv: the user's, for @ops->freed.
 */
struct gpool_table {
	struct gpool *pool;
	struct gpool_owner *owner;
	u64 nr_pages;
	unsigned int max_order;
	unsigned long nr_chunks;
	struct gpool_chunk *chunks;
	u64 nr_units[GPOOL_NR_LVLS];
	u64 node_bytes[GPOOL_MAX_NODES];
	const struct gpool_table_ops *ops;
	void *priv;
};

/*
 * Set up an empty table of @nr_pages pages; -ENOMEM without memory for
 * it.  gpool_table_destroy() frees everything it still holds.
 */
int gpool_table_init(struct gpool_table *t, struct gpool *pool,
		     struct gpool_owner *owner, u64 nr_pages,
		     unsigned int max_order, const struct gpool_table_ops *ops,
		     void *priv);
void gpool_table_destroy(struct gpool_table *t);

/*
 * Back page @index with as large a unit as fits, if nothing does yet.
 * *@merged is set if that merged units, which then map differently.
 */
int gpool_table_populate(struct gpool_table *t, u64 index, bool *merged);

/* The frame backing @index (0 if none) and the order of its unit. */
void gpool_table_lookup(const struct gpool_table *t, u64 index, u64 *pfn,
			unsigned int *order);

/* Widen [*start, *end) to the whole units it touches. */
void gpool_table_span(const struct gpool_table *t, u64 *start, u64 *end);

/*
 * Free the units backing [start, end), splitting the units at either end
 * as deep as needed.  On failure (-ENOMEM for split metadata) the pages
 * freed so far stay freed and the rest stay backed.
 */
int gpool_table_punch(struct gpool_table *t, u64 start, u64 end);

/*
 * Split the units at either end of [start, end) so that it is made of whole
 * units, in place: every frame stays where it is and stays the file's (for a
 * conversion between shared and private).  On failure (-ENOMEM for split
 * metadata) the units are as they were, or split at one end only.
 */
int gpool_table_split(struct gpool_table *t, u64 start, u64 end);

/*
 * Merge the units of [start, end), and the 1G windows holding them, where
 * ops->fits allows it and the frames are still those the units were split
 * from.  [*merged_start, *merged_end) says what now maps differently (empty
 * if *merged_start >= *merged_end).
 */
void gpool_table_merge(struct gpool_table *t, u64 start, u64 end,
		       u64 *merged_start, u64 *merged_end);

/* The page @pfn backs, or -1. */
long gpool_table_find(struct gpool_table *t, u64 pfn);

/* A split chunk's page list; KUnit makes it fail to test a punch's failure. */
u64 *gpool_split_pages_alloc(void);

#endif /* __GPOOL_TABLE_H */
