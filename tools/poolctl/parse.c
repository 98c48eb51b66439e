// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: parsing of sizes, node numbers, node lists and switches.
 *
 * Strict on purpose: an administrator who types "1.5G", "1GB" or "0-" gets
 * an error and a reason, never a silent guess.  No locale, no strtoull()
 * (which accepts leading blanks, a sign and wraps "-1" to 2^64 - 1).
 * Digits are read by libgpool's gpool_parse_decimal(), which also parses
 * the numbers of sysfs (gpool_parse_u64()).
 */
#include <errno.h>
#include <string.h>

#include "libgpool.h"
#include "parse.h"

#define U64_MAX_VAL	(~0ULL)

static int suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K':
		return 10;
	case 'm': case 'M':
		return 20;
	case 'g': case 'G':
		return 30;
	case 't': case 'T':
		return 40;
	case 'p': case 'P':
		return 50;
	case 'e': case 'E':
		return 60;
	}
	return -1;
}

int parse_size(const char *s, __u64 *bytes, const char **why)
{
	__u64 v;
	int shift = 0;
	int ret;

	if (!*s) {
		*why = "empty";
		return -EINVAL;
	}
	if (*s == '-') {
		*why = "must not be negative";
		return -EINVAL;
	}
	ret = gpool_parse_decimal(&s, &v);
	if (ret == -EINVAL) {
		*why = "not a number (e.g. 4G, 512M, 2097152)";
		return ret;
	}
	if (*s == '.' || *s == ',') {
		*why = "not a whole number (use a smaller unit: 1536M, not 1.5G)";
		return -EINVAL;
	}
	if (*s) {
		shift = suffix_shift(*s);
		if (shift < 0 || s[1]) {
			*why = "unknown suffix (use K, M, G, T, P or E)";
			return -EINVAL;
		}
	}
	if (ret == -ERANGE || v > U64_MAX_VAL >> shift) {
		*why = "too large (the limit is 16E - 1 bytes)";
		return -ERANGE;
	}
	*bytes = v << shift;
	return 0;
}

int parse_node(const char *s, unsigned int *node, const char **why)
{
	__u64 v;
	int ret;

	if (!*s) {
		*why = "empty node number";
		return -EINVAL;
	}
	ret = gpool_parse_decimal(&s, &v);
	if (ret == -EINVAL || *s) {
		*why = "not a node number (0 to 63)";
		return -EINVAL;
	}
	if (ret == -ERANGE || v >= PC_MAX_NODES) {
		*why = "node out of range (0 to 63)";
		return -ERANGE;
	}
	*node = v;
	return 0;
}

/* One node of a list: digits, ended by ',', '-' or the end. */
static int take_node(const char **sp, unsigned int *node, const char **why)
{
	__u64 v;
	int ret;

	ret = gpool_parse_decimal(sp, &v);
	if (ret == -EINVAL) {
		if (!**sp || **sp == ',')
			*why = "missing node number";
		else
			*why = "not a node number (0 to 63)";
		return ret;
	}
	if (ret == -ERANGE || v >= PC_MAX_NODES) {
		*why = "node out of range (0 to 63)";
		return -ERANGE;
	}
	*node = v;
	return 0;
}

int parse_nodelist(const char *s, struct nodelist *nl, const char **why)
{
	__u64 mask = 0;
	int ret;

	if (!strcmp(s, "all")) {
		nl->mask = U64_MAX_VAL;
		nl->all = true;
		return 0;
	}
	if (!*s) {
		*why = "empty node list";
		return -EINVAL;
	}
	for (;;) {
		unsigned int first, last, n;

		if (*s == ',' || !*s) {
			*why = "empty element in node list";
			return -EINVAL;
		}
		ret = take_node(&s, &first, why);
		if (ret)
			return ret;
		last = first;
		if (*s == '-') {
			s++;
			ret = take_node(&s, &last, why);
			if (ret)
				return ret;
			if (last < first) {
				*why = "descending range (write 0-1, not 1-0)";
				return -EINVAL;
			}
		}
		for (n = first; n <= last; n++)
			mask |= 1ULL << n;
		if (!*s)
			break;
		if (*s != ',') {
			*why = "not a node list (e.g. 0, 0,2-3 or all)";
			return -EINVAL;
		}
		s++;
	}
	nl->mask = mask;
	nl->all = false;
	return 0;
}

int parse_bool(const char *s, bool *val, const char **why)
{
	static const char * const on[] = {
		"on", "1", "yes", "y", "true", "enable", "enabled",
	};
	static const char * const off[] = {
		"off", "0", "no", "n", "false", "disable", "disabled",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(on); i++) {
		if (!strcmp(s, on[i])) {
			*val = true;
			return 0;
		}
		if (!strcmp(s, off[i])) {
			*val = false;
			return 0;
		}
	}
	*why = "not on or off";
	return -EINVAL;
}
