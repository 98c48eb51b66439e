/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A harness for the table of a pool-backed file (pool/table.c): a pool
 * of two nodes, up to TM_FILES files on it (each an owner, a reservation
 * for its size and a gpool_table), a "thief" owner that takes units from
 * under the files, recording table ops, and a per-page model of every
 * file (the frame backing each page, 0 for a hole).
 *
 * Every table call goes through tm_populate(), tm_punch() and tm_convert(),
 * which check its result against the model and update the model; tm_check() then
 * compares the whole table with the model, the pool and its counters.
 * A broken expectation is logged and kept in tm_env.err.
 */
#ifndef __GPOOL_TESTS_TABLE_MODEL_H
#define __GPOOL_TESTS_TABLE_MODEL_H

#include "../table.h"

#define TM_PG_2M	GPOOL_CHUNK_PAGES
#define TM_PG_1G	GPOOL_WINDOW_PAGES
#define TM_BASE		(16 * TM_PG_1G)
/* Node 0: two 1G windows and 4 blocks; node 1 from TM_BASE + 3G: one. */
#define TM_NODE1	(TM_BASE + 3 * TM_PG_1G)
#define TM_FRAMES	(4 * TM_PG_1G + 4 * TM_PG_2M)
#define TM_NODES	2
#define TM_FILES	3
#define TM_THIEF_UNITS	64

struct tm_file {
	struct gpool_table t;
	struct gpool_owner *owner;
	struct tm_env *env;
	u64 *frame;		/* the model: per page, 0 = hole */
	unsigned long *private;	/* per page: private (1) or shared */
	unsigned long *freed;	/* pages reported freed by the current op */
	u64 op_start, op_end;	/* where the current op may free pages */
};

struct tm_env {
	struct gpool *pool;
	struct gpool_stats initial[TM_NODES];
	struct tm_file file[TM_FILES];
	unsigned int nr_files;
	struct gpool_owner *thief;
	struct gpool_unit thief_unit[TM_THIEF_UNITS];
	unsigned int nr_thief;
	u8 *frame_of;		/* tm_check(): 1 + file, TM_FILES + 1 thief */
	bool injecting;		/* allocations may fail: not all is checked */
	int err;		/* 0 or -EIO after the first broken check */
};

/* What the table's ops saw, over all tables. */
struct tm_counts {
	unsigned long clear, pause, resume, resched, freed;
	u64 clear_pfn;		/* the last unit cleared */
	unsigned int clear_order;
	unsigned int clear_fail;	/* fail that many clears with -EIO */
};

extern struct tm_counts tm_counts;

/* A pool with the two nodes' ranges added with @range_flags. */
struct tm_env *tm_env_create(unsigned int range_flags);

/*
 * Add a file of @nr_pages with units up to @max_order, placed by @mode
 * (GPOOL_MODE_BIND and _PREFERRED: node @nid; _INTERLEAVE: both) and a
 * reservation for its size.  Return: its index, or a negative errno.
 */
int tm_add_file(struct tm_env *e, u64 nr_pages, unsigned int max_order,
		enum gpool_mode mode, int nid);

/* gpool_table_populate(), its result checked, the model updated. */
int tm_populate(struct tm_env *e, unsigned int fi, u64 index, bool *merged);

/* gpool_table_punch(), the freed pages checked, the model updated. */
int tm_punch(struct tm_env *e, unsigned int fi, u64 start, u64 end);

/*
 * A conversion of [start, end) to private (@to_private) or shared, as
 * kernel/gmem.c makes it: gpool_table_split() of the range, the new
 * attributes (the table's ops->fits reads them), gpool_table_merge() of
 * the units the range touched.  No frame may move, be freed or be taken.
 */
int tm_convert(struct tm_env *e, unsigned int fi, u64 start, u64 end,
	       bool to_private);

/* Compare every table with its model and the pool.  Return: tm_env.err. */
int tm_check(struct tm_env *e);

/*
 * Destroy the tables, their owners, the thief and the pool, checking
 * that everything came back.  Return: 0 or -EIO.
 */
int tm_env_destroy(struct tm_env *e);

/* A unit for the thief: @pfn with @order if @pfn, else any.  0 or errno. */
int tm_thief_take(struct tm_env *e, u64 pfn, unsigned int order);

/* Free the thief's unit @i (the last one moves to @i). */
void tm_thief_give(struct tm_env *e, unsigned int i);

/*
 * Log a broken expectation (@line: of table_model.c unless @fmt names
 * another file) and fail @e.  Return: false.
 */
bool tm_fail(struct tm_env *e, int line, const char *fmt, ...);

#define TM_EXPECT(e, cond)						\
	((void)((cond) || tm_fail((e), __LINE__, "%s: %s", __FILE__, #cond)))

/* Run @steps random steps of @variant from @seed: 0 or the failing step. */
unsigned long tm_run(u64 seed, unsigned int variant, unsigned long steps);

#define TM_NR_VARIANTS	3

#endif /* __GPOOL_TESTS_TABLE_MODEL_H */
