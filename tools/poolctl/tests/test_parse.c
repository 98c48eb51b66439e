// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of parse.c: sizes, node numbers, node lists, switches.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "../parse.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)
#define PiB (1ULL << 50)
#define EiB (1ULL << 60)

/* parse_size() of @s must give @want. */
#define SIZE_OK(s, want) do {						\
	__u64 _v = 0xdeadbeef;						\
	const char *_why = NULL;					\
	ASSERT_EQ(0, parse_size(s, &_v, &_why)) TH_LOG("'%s': %s", s, _why); \
	ASSERT_EQ((__u64)(want), _v) TH_LOG("'%s'", s);			\
} while (0)

/* parse_size() of @s must fail with @err, write nothing, say why. */
#define SIZE_BAD(s, err) do {						\
	__u64 _v = 0xdeadbeef;						\
	const char *_why = NULL;					\
	ASSERT_EQ(err, parse_size(s, &_v, &_why)) TH_LOG("'%s'", s);	\
	ASSERT_EQ(0xdeadbeef, _v);					\
	ASSERT_NE(NULL, _why);						\
} while (0)

TEST(size_plain_bytes)
{
	SIZE_OK("0", 0);
	SIZE_OK("1", 1);
	SIZE_OK("4096", 4096);
	SIZE_OK("2097152", 2 * MiB);
	SIZE_OK("007", 7);
	SIZE_OK("18446744073709551615", ~0ULL);
}

TEST(size_every_suffix_both_cases)
{
	SIZE_OK("1K", KiB);
	SIZE_OK("1k", KiB);
	SIZE_OK("3M", 3 * MiB);
	SIZE_OK("3m", 3 * MiB);
	SIZE_OK("1G", GiB);
	SIZE_OK("1g", GiB);
	SIZE_OK("2T", 2 * TiB);
	SIZE_OK("2t", 2 * TiB);
	SIZE_OK("5P", 5 * PiB);
	SIZE_OK("5p", 5 * PiB);
	SIZE_OK("1E", EiB);
	SIZE_OK("1e", EiB);
	SIZE_OK("0G", 0);
	SIZE_OK("1536M", 1536 * MiB);
}

TEST(size_largest_values)
{
	SIZE_OK("15E", 15 * EiB);
	SIZE_OK("16383P", 16383 * PiB);
	SIZE_OK("17179869183G", 17179869183ULL * GiB);
	SIZE_OK("18014398509481983K", 18014398509481983ULL * KiB);
}

TEST(size_overflow)
{
	const char *why = NULL;
	__u64 v;

	SIZE_BAD("16E", -ERANGE);
	SIZE_BAD("16e", -ERANGE);
	SIZE_BAD("16384P", -ERANGE);
	SIZE_BAD("17179869184G", -ERANGE);
	SIZE_BAD("18014398509481984K", -ERANGE);
	SIZE_BAD("18446744073709551616", -ERANGE);
	SIZE_BAD("99999999999999999999999999", -ERANGE);
	SIZE_BAD("99999999999999999999999999G", -ERANGE);
	ASSERT_EQ(-ERANGE, parse_size("16E", &v, &why));
	ASSERT_NE(NULL, strstr(why, "too large"));
}

TEST(size_negative)
{
	const char *why = NULL;
	__u64 v;

	SIZE_BAD("-1", -EINVAL);
	SIZE_BAD("-1G", -EINVAL);
	SIZE_BAD("-0", -EINVAL);
	ASSERT_EQ(-EINVAL, parse_size("-2M", &v, &why));
	ASSERT_NE(NULL, strstr(why, "negative"));
}

TEST(size_garbage)
{
	const char *why = NULL;
	__u64 v;

	SIZE_BAD("", -EINVAL);
	SIZE_BAD("G", -EINVAL);
	SIZE_BAD("a", -EINVAL);
	SIZE_BAD("+1", -EINVAL);
	SIZE_BAD(" 1G", -EINVAL);
	SIZE_BAD("1G ", -EINVAL);
	SIZE_BAD("1 G", -EINVAL);
	SIZE_BAD("1X", -EINVAL);
	SIZE_BAD("1GB", -EINVAL);
	SIZE_BAD("1GiB", -EINVAL);
	SIZE_BAD("1B", -EINVAL);
	SIZE_BAD("1GG", -EINVAL);
	SIZE_BAD("0x10", -EINVAL);
	SIZE_BAD("1.5G", -EINVAL);
	SIZE_BAD("1,5G", -EINVAL);
	SIZE_BAD("1G\n", -EINVAL);
	ASSERT_EQ(-EINVAL, parse_size("1.5G", &v, &why));
	ASSERT_NE(NULL, strstr(why, "whole number"));
	ASSERT_EQ(-EINVAL, parse_size("1X", &v, &why));
	ASSERT_NE(NULL, strstr(why, "suffix"));
	ASSERT_EQ(-EINVAL, parse_size("", &v, &why));
	ASSERT_STREQ("empty", why);
}

/* A suffix never rescues a garbage number, nor an overflow a bad suffix. */
TEST(size_error_precedence)
{
	SIZE_BAD("99999999999999999999X", -EINVAL);
	SIZE_BAD("x1G", -EINVAL);
}

#define NODE_OK(s, want) do {						\
	unsigned int _n = 99;						\
	const char *_why = NULL;					\
	ASSERT_EQ(0, parse_node(s, &_n, &_why)) TH_LOG("'%s': %s", s, _why); \
	ASSERT_EQ(want, _n);						\
} while (0)

#define NODE_BAD(s, err) do {						\
	unsigned int _n = 99;						\
	const char *_why = NULL;					\
	ASSERT_EQ(err, parse_node(s, &_n, &_why)) TH_LOG("'%s'", s);	\
	ASSERT_EQ(99, _n);						\
	ASSERT_NE(NULL, _why);						\
} while (0)

TEST(node_numbers)
{
	NODE_OK("0", 0);
	NODE_OK("1", 1);
	NODE_OK("63", 63);
	NODE_OK("007", 7);
	NODE_BAD("64", -ERANGE);
	NODE_BAD("4294967296", -ERANGE);
	NODE_BAD("99999999999999999999999", -ERANGE);
	NODE_BAD("", -EINVAL);
	NODE_BAD("-1", -EINVAL);
	NODE_BAD("a", -EINVAL);
	NODE_BAD("1a", -EINVAL);
	NODE_BAD("0,1", -EINVAL);
	NODE_BAD(" 1", -EINVAL);
	NODE_BAD("all", -EINVAL);
}

#define LIST_OK(s, want, want_all) do {					\
	struct nodelist _nl = { 0x5a5a, false };			\
	const char *_why = NULL;					\
	ASSERT_EQ(0, parse_nodelist(s, &_nl, &_why)) TH_LOG("'%s': %s", s, _why); \
	ASSERT_EQ((__u64)(want), _nl.mask) TH_LOG("'%s'", s);		\
	ASSERT_EQ(want_all, _nl.all);					\
} while (0)

#define LIST_BAD(s, err) do {						\
	struct nodelist _nl = { 0x5a5a, false };			\
	const char *_why = NULL;					\
	ASSERT_EQ(err, parse_nodelist(s, &_nl, &_why)) TH_LOG("'%s'", s); \
	ASSERT_EQ(0x5a5a, _nl.mask);					\
	ASSERT_NE(NULL, _why);						\
} while (0)

TEST(nodelist_valid)
{
	LIST_OK("0", 0x1, false);
	LIST_OK("5", 0x20, false);
	LIST_OK("0,2-3", 0xd, false);
	LIST_OK("3-3", 0x8, false);
	LIST_OK("0-1", 0x3, false);
	LIST_OK("1,0", 0x3, false);
	LIST_OK("0,0", 0x1, false);
	LIST_OK("63", 1ULL << 63, false);
	LIST_OK("62-63", 3ULL << 62, false);
	LIST_OK("0-63", ~0ULL, false);
	LIST_OK("all", ~0ULL, true);
}

TEST(nodelist_invalid)
{
	const char *why = NULL;
	struct nodelist nl;

	LIST_BAD("", -EINVAL);
	LIST_BAD("a", -EINVAL);
	LIST_BAD("1-0", -EINVAL);
	LIST_BAD("64", -ERANGE);
	LIST_BAD("0-64", -ERANGE);
	LIST_BAD("0,64", -ERANGE);
	LIST_BAD(",", -EINVAL);
	LIST_BAD("0,", -EINVAL);
	LIST_BAD(",0", -EINVAL);
	LIST_BAD("0,,1", -EINVAL);
	LIST_BAD("0-", -EINVAL);
	LIST_BAD("-1", -EINVAL);
	LIST_BAD("0--1", -EINVAL);
	LIST_BAD("0-1-2", -EINVAL);
	LIST_BAD("0 1", -EINVAL);
	LIST_BAD(" 0", -EINVAL);
	LIST_BAD("ALL", -EINVAL);
	LIST_BAD("all,0", -EINVAL);
	LIST_BAD("!0", -EINVAL);
	LIST_BAD("+0", -EINVAL);
	ASSERT_EQ(-EINVAL, parse_nodelist("1-0", &nl, &why));
	ASSERT_NE(NULL, strstr(why, "descending"));
	ASSERT_EQ(-ERANGE, parse_nodelist("64", &nl, &why));
	ASSERT_NE(NULL, strstr(why, "0 to 63"));
	ASSERT_EQ(-EINVAL, parse_nodelist("", &nl, &why));
	ASSERT_NE(NULL, strstr(why, "empty"));
	ASSERT_EQ(-EINVAL, parse_nodelist("0-", &nl, &why));
	ASSERT_NE(NULL, strstr(why, "missing"));
}

TEST(bool_words)
{
	static const char * const on[] = {
		"on", "1", "yes", "y", "true", "enable", "enabled",
	};
	static const char * const off[] = {
		"off", "0", "no", "n", "false", "disable", "disabled",
	};
	static const char * const bad[] = {
		"", "ON", "2", "of", "onn", " on", "on\n", "-1",
	};
	const char *why = NULL;
	unsigned int i;
	bool v;

	for (i = 0; i < ARRAY_SIZE(on); i++) {
		v = false;
		ASSERT_EQ(0, parse_bool(on[i], &v, &why)) TH_LOG("%s", on[i]);
		ASSERT_TRUE(v);
	}
	for (i = 0; i < ARRAY_SIZE(off); i++) {
		v = true;
		ASSERT_EQ(0, parse_bool(off[i], &v, &why)) TH_LOG("%s", off[i]);
		ASSERT_FALSE(v);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		v = true;
		ASSERT_EQ(-EINVAL, parse_bool(bad[i], &v, &why))
			TH_LOG("'%s'", bad[i]);
		ASSERT_TRUE(v);
	}
}

TEST(u64_sysfs_values)
{
	const char *why = NULL;
	__u64 v = 7;

	ASSERT_EQ(0, gpool_parse_u64("0\n", &v, &why));
	ASSERT_EQ(0, v);
	ASSERT_EQ(0, gpool_parse_u64("42", &v, &why));
	ASSERT_EQ(42, v);
	ASSERT_EQ(0, gpool_parse_u64("18446744073709551615\n", &v, &why));
	ASSERT_EQ(~0ULL, v);
	v = 7;
	ASSERT_EQ(-ERANGE, gpool_parse_u64("18446744073709551616", &v, &why));
	ASSERT_EQ(-EINVAL, gpool_parse_u64("", &v, &why));
	ASSERT_EQ(-EINVAL, gpool_parse_u64("\n", &v, &why));
	ASSERT_EQ(-EINVAL, gpool_parse_u64("1\n\n", &v, &why));
	ASSERT_EQ(-EINVAL, gpool_parse_u64("1G", &v, &why));
	ASSERT_EQ(-EINVAL, gpool_parse_u64("-1", &v, &why));
	ASSERT_EQ(-EINVAL, gpool_parse_u64(" 1", &v, &why));
	ASSERT_EQ(7, v);
}

TEST_HARNESS_MAIN
