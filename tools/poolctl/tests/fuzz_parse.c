// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target over parse.c (make fuzz): every parser, on any string,
 * must not crash, must leave its result alone on failure and give a
 * reason, and what it accepts must survive a round trip through the
 * formatters.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../format.h"
#include "../parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
		abort();						\
	}								\
} while (0)

static void fuzz_size(const char *s)
{
	char buf[FMT_SIZE_LEN], again[32];
	const char *why = NULL;
	__u64 v = 0x5a5a, w;
	int ret;

	ret = parse_size(s, &v, &why);
	if (ret) {
		CHECK(ret == -EINVAL || ret == -ERANGE);
		CHECK(v == 0x5a5a && why && *why);
		return;
	}
	/* As plain bytes it reads back the same. */
	snprintf(again, sizeof(again), "%llu", v);
	CHECK(!parse_size(again, &w, &why) && w == v);
	CHECK(strlen(fmt_size(buf, v)) < FMT_SIZE_LEN - 1);
}

static void fuzz_nodes(const char *s)
{
	char buf[FMT_NODEMASK_LEN];
	struct nodelist nl = { 0x5a5a, false }, back;
	const char *why = NULL;
	unsigned int node = 99;
	int ret;

	ret = parse_node(s, &node, &why);
	if (ret)
		CHECK(node == 99 && why);
	else
		CHECK(node < PC_MAX_NODES);

	ret = parse_nodelist(s, &nl, &why);
	if (ret) {
		CHECK(ret == -EINVAL || ret == -ERANGE);
		CHECK(nl.mask == 0x5a5a && why && *why);
		return;
	}
	CHECK(nl.mask);
	if (nl.all)
		return;
	fmt_nodemask(buf, nl.mask);
	CHECK(!parse_nodelist(buf, &back, &why));
	CHECK(back.mask == nl.mask && !back.all);
}

static void fuzz_other(const char *s)
{
	const char *why = NULL;
	__u64 v = 0x5a5a;
	bool b;

	if (gpool_parse_u64(s, &v, &why))
		CHECK(v == 0x5a5a && why);
	else
		CHECK(!parse_size(s, &v, &why) || strchr(s, '\n'));
	if (parse_bool(s, &b, &why))
		CHECK(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[96];

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_size(s);
	fuzz_nodes(s);
	fuzz_other(s);
	return 0;
}
