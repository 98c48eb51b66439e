/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit suite gpool_gmem: what its two files share (gmem_kunit.c has the
 * suite, gmem_kunit_mf.c the cases of bad frames and of GROW).
 */
#ifndef __GPOOL_GMEM_KUNIT_H
#define __GPOOL_GMEM_KUNIT_H

#include <kunit/test.h>
#include <linux/types.h>

struct gpool_file;
struct gpool_stats;

/* Free pages in units of size level @size and larger nobody reserved. */
u64 gmem_room(const struct gpool_stats *st, unsigned int size);
/* A pool-backed file of @size on node @nid; the case fails without one. */
struct gpool_file *gmem_create(struct kunit *test, u64 size,
			       unsigned int shift, int nid);

/* gmem_kunit_mf.c */
void gpool_gmem_test_memory_failure(struct kunit *test);
void gpool_gmem_test_memory_failure_never_waits(struct kunit *test);
void gpool_gmem_test_failed_punch_keeps_marks(struct kunit *test);
void gpool_gmem_test_regression_4k_after_bad_frame(struct kunit *test);
void gpool_gmem_test_grow_rollback_clears(struct kunit *test);

#endif /* __GPOOL_GMEM_KUNIT_H */
