// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite gpool_core: the pool core's shared case table, the very
 * cases pool/tests/cases_test runs in userspace, run against the kernel
 * build of pool/.
 *
 * The table is plain pool-API code and is built into this file, as
 * tools/testing/radix-tree does with lib/test_maple_tree.c.
 */
#include <kunit/test.h>

#include "../../pool/tests/cases.c"

static void gpool_case_desc(const struct gpool_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gpool_core, gpool_cases, gpool_case_desc);

static void gpool_core_test_case(struct kunit *test)
{
	const struct gpool_case *c = test->param_value;

	KUNIT_EXPECT_EQ_MSG(test, gpool_case_run(c), 0,
			    "case %s failed, see the log above", c->name);
}

static struct kunit_case gpool_core_test_cases[] = {
	KUNIT_CASE_PARAM(gpool_core_test_case, gpool_core_gen_params),
	{}
};

static struct kunit_suite gpool_core_test_suite = {
	.name = "gpool_core",
	.test_cases = gpool_core_test_cases,
};

kunit_test_suite(gpool_core_test_suite);

MODULE_DESCRIPTION("KUnit tests for the gpool allocator core");
MODULE_LICENSE("GPL");
