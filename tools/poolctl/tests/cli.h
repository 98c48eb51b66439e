/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the command-line tests (test_cli.c, test_cli_dev.c): sizes and
 * substring checks of poolctl's output.  Include after kselftest_harness.h.
 */
#ifndef POOLCTL_TEST_CLI_H
#define POOLCTL_TEST_CLI_H

#include "helpers.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

#define EXPECT_HAS(hay, needle) \
	EXPECT_NE(NULL, strstr(hay, needle)) TH_LOG("'%s' lacks '%s'", hay, needle)
#define EXPECT_LACKS(hay, needle) \
	EXPECT_EQ(NULL, strstr(hay, needle)) TH_LOG("'%s' has '%s'", hay, needle)

#endif /* POOLCTL_TEST_CLI_H */
