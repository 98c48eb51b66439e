/* SPDX-License-Identifier: GPL-2.0 */
/*
 * poolctl: parsing of command-line values.  Pure functions, no I/O: the
 * host unit tests (tests/test_parse.c) and the fuzzer (tests/fuzz_parse.c)
 * cover every one of them.
 *
 * Every parser takes a NUL-terminated string, returns 0 on success or
 * -EINVAL (malformed) or -ERANGE (well-formed but out of range), and on
 * failure points *why at a static, human-readable reason.  Nothing is
 * written to the result on failure.
 */
#ifndef POOLCTL_PARSE_H
#define POOLCTL_PARSE_H

#include <stdbool.h>
#include <linux/types.h>

#include "libgpool.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Nodes are 0 to 63: every node mask of the uAPI is a __u64. */
#define PC_MAX_NODES	GPOOL_MAX_NODES

/**
 * parse_size() - a size in bytes: decimal digits, then an optional binary
 * suffix K, M, G, T, P or E (either case; 1K = 1024)
 *
 * "4096", "2M", "1g" and "16383P" are sizes; "", "-1", "1.5G", "0x10",
 * "1GB", " 1G" and "16E" (2^64) are not.
 */
int parse_size(const char *s, __u64 *bytes, const char **why);

/* parse_node() - one node number, 0 to PC_MAX_NODES - 1, in decimal. */
int parse_node(const char *s, unsigned int *node, const char **why);

/**
 * struct nodelist - a parsed node list
 * @mask: the nodes named; every node for "all".
 * @all: the list was "all": the caller takes every node that exists,
 *	while an explicit node that does not exist is an error.
 */
struct nodelist {
	__u64 mask;
	bool all;
};

/**
 * parse_nodelist() - numactl's node list syntax: "all", or a comma-separated
 * list of nodes and ascending ranges, e.g. "0", "0,2-3", "1-1"
 */
int parse_nodelist(const char *s, struct nodelist *nl, const char **why);

/* parse_bool() - on/off, 1/0, yes/no, y/n, true/false, enable(d)/disable(d). */
int parse_bool(const char *s, bool *val, const char **why);

/* Numbers as sysfs prints them: gpool_parse_u64() of libgpool.h. */

#endif /* POOLCTL_PARSE_H */
