/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.c: the invariants of the metadata, gpool_check(), and the debug
 * check that the operations above it run when GPOOL_DEBUG is set
 * (CONFIG_GPOOL_DEBUG in the kernel; pool_internal.h defines it).  It
 * calls range.c and resv.c, and is called by the files that change units.
 */
#ifndef __GPOOL_CHECK_H
#define __GPOOL_CHECK_H

#include "pool_types.h"

/*
 * gpool_check() of the node of @pfn only, or of every node if the pool
 * does not manage @pfn, without allocating.  Takes the pool mutex.
 * Return: 0, or -EUCLEAN after logging the first inconsistency.
 */
int gpool_check_at(struct gpool *pool, u64 pfn);

/*
 * gpool_check_at() of one call in GPOOL_DEBUG_EVERY (pool_internal.h);
 * 0 for the others.
 */
int gpool_debug_check_at(struct gpool *pool, u64 pfn);

/*
 * After an operation that may have changed the node of @pfn (U64_MAX: any
 * node), with no lock held: with GPOOL_DEBUG, check that node (one
 * operation in GPOOL_DEBUG_EVERY) and warn once if it is inconsistent.
 * Compiled out otherwise.
 */
static inline void gpool_debug_check(struct gpool *pool, u64 pfn)
{
	if (GPOOL_DEBUG)
		WARN_ON_ONCE(gpool_debug_check_at(pool, pfn));
}

#endif /* __GPOOL_CHECK_H */
