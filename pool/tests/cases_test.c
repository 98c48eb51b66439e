// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the shared case table (cases.c) in userspace, one TAP line per case.
 * A case fails if it returns an error, fires a WARN or leaks memory.
 */
#include "cases.h"
#include "kselftest.h"

int main(void)
{
	unsigned int i;

	ksft_print_header();
	ksft_set_plan(gpool_nr_cases);
	for (i = 0; i < gpool_nr_cases; i++) {
		const struct gpool_case *c = &gpool_cases[i];
		unsigned long warnings = shim_nr_warnings();
		int err = gpool_case_run(c);

		if (!err && shim_nr_warnings() != warnings)
			err = -EIO;
		if (!err && shim_check_clean(c->name))
			err = -EIO;
		if (err)
			ksft_test_result_fail("gpool_core.%s (%d)\n", c->name,
					      err);
		else
			ksft_test_result_pass("gpool_core.%s\n", c->name);
	}
	ksft_finished();
}
