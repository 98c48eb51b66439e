/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Behaviour cases of the pool core, written against pool.h only.  The same
 * table runs in userspace (cases_test) and in the kernel (KUnit suite
 * gpool_core, kernel/tests/pool_kunit.c).
 */
#ifndef __GPOOL_TESTS_CASES_H
#define __GPOOL_TESTS_CASES_H

#include "../pool.h"

#define GPOOL_TEST_OWNERS	4
#define GPOOL_TEST_RANGES	8

/* Per-case environment; gpool_case_run() cleans up whatever is left. */
struct gpool_test {
	struct gpool *pool;
	struct gpool_owner *owner[GPOOL_TEST_OWNERS];
	unsigned int nr_owners;
	struct {
		u64 pfn;
		u64 nr_pages;
	} range[GPOOL_TEST_RANGES];
	unsigned int nr_ranges;
};

struct gpool_case {
	const char *name;
	int (*run)(struct gpool_test *t);	/* 0 or -EIO */
};

extern const struct gpool_case gpool_cases[];
extern const unsigned int gpool_nr_cases;

/*
 * Run one case with a fresh pool, check every invariant afterwards and
 * tear everything down.  Return: 0 or a negative errno.
 */
int gpool_case_run(const struct gpool_case *c);

#endif /* __GPOOL_TESTS_CASES_H */
