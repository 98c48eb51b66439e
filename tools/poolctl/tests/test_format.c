// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of poolctl's output: format.c, json.c, and what show,
 * stat, files and grow/shrink print for a given pool state.
 */
#include "kselftest_harness.h"
#include "helpers.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)
#define KiB (1ULL << 10)

TEST(size_human)
{
	static const struct {
		__u64 bytes;
		const char *want;
	} cases[] = {
		{ 0, "0" },
		{ 1, "1B" },
		{ 1023, "1023B" },
		{ KiB, "1.0K" },
		{ 1536, "1.5K" },
		{ 4 * KiB, "4.0K" },
		{ 10 * KiB - 1, "10K" },	/* 9.999K rounds to 10 */
		{ 10 * KiB, "10K" },
		{ 53248, "52K" },
		{ 1023 * KiB, "1023K" },
		{ MiB - 1, "1.0M" },		/* 1023.999K */
		{ 2 * MiB, "2.0M" },
		{ 512 * MiB, "512M" },
		{ 1023 * MiB + 512 * KiB, "1.0G" },	/* 1023.5M */
		{ 1023 * MiB + 511 * KiB, "1023M" },
		{ GiB, "1.0G" },
		{ GiB + 51 * MiB, "1.0G" },	/* 1.0498G */
		{ GiB + 52 * MiB, "1.1G" },	/* 1.0508G */
		{ 3 * GiB, "3.0G" },
		{ 3 * GiB + 512 * MiB, "3.5G" },
		{ 60 * GiB, "60G" },
		{ 1ULL << 40, "1.0T" },
		{ 1ULL << 50, "1.0P" },
		{ 1ULL << 60, "1.0E" },
		{ 15ULL << 60, "15E" },
		{ ~0ULL, "16E" },
	};
	char buf[FMT_SIZE_LEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		EXPECT_STREQ(cases[i].want, fmt_size(buf, cases[i].bytes))
			TH_LOG("%llu bytes", cases[i].bytes);
}

TEST(nodemask_text)
{
	char buf[FMT_NODEMASK_LEN];

	ASSERT_STREQ("", fmt_nodemask(buf, 0));
	ASSERT_STREQ("0", fmt_nodemask(buf, 1));
	ASSERT_STREQ("0-1", fmt_nodemask(buf, 3));
	ASSERT_STREQ("0,2-3", fmt_nodemask(buf, 0xd));
	ASSERT_STREQ("63", fmt_nodemask(buf, 1ULL << 63));
	ASSERT_STREQ("0-63", fmt_nodemask(buf, ~0ULL));
	ASSERT_STREQ("0,63", fmt_nodemask(buf, 1ULL << 63 | 1));
	ASSERT_STREQ("1,3,5", fmt_nodemask(buf, 0x2a));
}

/* fmt_nodemask() writes what parse_nodelist() reads back. */
TEST(nodemask_round_trip)
{
	char buf[FMT_NODEMASK_LEN];
	__u64 x = 0x9e3779b97f4a7c15ULL;
	const char *why;
	int i;

	for (i = 0; i < 10000; i++) {
		struct nodelist nl;
		__u64 mask;

		/* xorshift64; a fixed seed, every run the same */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		mask = i < 64 ? 1ULL << i : x;
		if (!mask)
			continue;
		fmt_nodemask(buf, mask);
		ASSERT_EQ(0, parse_nodelist(buf, &nl, &why)) TH_LOG("%s", buf);
		ASSERT_EQ(mask, nl.mask) TH_LOG("%s", buf);
	}
	/* The longest list fits. */
	fmt_nodemask(buf, 0x5555555555555555ULL);
	ASSERT_EQ(0, strncmp(buf, "0,2,4,", 6));
	ASSERT_EQ(0, strcmp(buf + strlen(buf) - 3, ",62"));
}

TEST(names)
{
	char buf[FMT_SIZE_LEN];
	char comm[FMT_COMM_LEN];
	const char raw[16] = { 'q', 'e', 'm', 'u', '\n', (char)0xff, '\t', 'x',
			       'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };

	ASSERT_STREQ("default", fmt_numa_mode(buf, GPOOL_NUMA_DEFAULT));
	ASSERT_STREQ("bind", fmt_numa_mode(buf, GPOOL_NUMA_BIND));
	ASSERT_STREQ("preferred", fmt_numa_mode(buf, GPOOL_NUMA_PREFERRED));
	ASSERT_STREQ("interleave", fmt_numa_mode(buf, GPOOL_NUMA_INTERLEAVE));
	ASSERT_STREQ("mode4", fmt_numa_mode(buf, 4));
	ASSERT_STREQ("mode4294967295", fmt_numa_mode(buf, ~0U));
	ASSERT_STREQ("4K", fmt_folio_shift(buf, GPOOL_FOLIO_SHIFT_4K));
	ASSERT_STREQ("2M", fmt_folio_shift(buf, GPOOL_FOLIO_SHIFT_2M));
	ASSERT_STREQ("1G", fmt_folio_shift(buf, GPOOL_FOLIO_SHIFT_1G));
	ASSERT_STREQ("shift0", fmt_folio_shift(buf, 0));
	ASSERT_STREQ("shift4294967295", fmt_folio_shift(buf, ~0U));
	/* Not NUL-terminated within 16 bytes: all 16, then NUL. */
	ASSERT_STREQ("qemu???xabcdefgh", fmt_comm(comm, raw));
	ASSERT_STREQ("qemu", fmt_comm(comm, "qemu\0\0\0\0\0\0\0\0\0\0\0"));
	ASSERT_EQ(4096, gpool_size_bytes[GPOOL_SIZE_4K]);
	ASSERT_EQ(2 * MiB, gpool_size_bytes[GPOOL_SIZE_2M]);
	ASSERT_EQ(GiB, gpool_size_bytes[GPOOL_SIZE_1G]);
	ASSERT_STREQ("1G", gpool_size_name[gpool_size_order[0]]);
	ASSERT_STREQ("4K", gpool_size_name[gpool_size_order[2]]);
}

#define EXPECT_HAS(hay, needle) \
	EXPECT_NE(NULL, strstr(hay, needle)) TH_LOG("'%s' lacks '%s'", hay, needle)

TEST(explanations)
{
	char buf[512];

	explain_resize(buf, sizeof(buf), true, ENOMEM, 0, GiB, false);
	EXPECT_HAS(buf, "buddy allocator cannot supply 1 contiguous "
		   "1 GiB-aligned 1G block on node 0");
	explain_resize(buf, sizeof(buf), true, ENOMEM, 1, 3 * GiB + 4 * MiB,
		       false);
	EXPECT_HAS(buf, "3 contiguous 1 GiB-aligned 1G blocks and 2 2M "
		   "blocks on node 1");
	explain_resize(buf, sizeof(buf), true, ENOMEM, 0, 2 * MiB, false);
	EXPECT_HAS(buf, "1 contiguous 2M block on node 0");
	explain_resize(buf, sizeof(buf), true, EOPNOTSUPP, 0, GiB, true);
	EXPECT_HAS(buf, "the pool is nomap");
	explain_resize(buf, sizeof(buf), false, EOPNOTSUPP, 0, GiB, false);
	EXPECT_HAS(buf, "CONFIG_CONTIG_ALLOC");
	explain_resize(buf, sizeof(buf), false, EBUSY, 2, GiB, false);
	EXPECT_HAS(buf, "memory in use or reserved");
	EXPECT_HAS(buf, "node 2 has not 1.0G");
	explain_resize(buf, sizeof(buf), false, ENOENT, 5, GiB, false);
	EXPECT_HAS(buf, "node 5 has no pool memory");
	explain_resize(buf, sizeof(buf), true, EPERM, 0, GiB, false);
	EXPECT_HAS(buf, "CAP_SYS_ADMIN");
	explain_resize(buf, sizeof(buf), true, EINTR, 0, GiB, false);
	EXPECT_HAS(buf, "nothing changed");
	explain_resize(buf, sizeof(buf), true, EINVAL, 3, GiB, false);
	EXPECT_HAS(buf, "node 3 has no memory");
	explain_resize(buf, sizeof(buf), false, EIO, 0, 2 * GiB, false);
	EXPECT_STREQ("could not shrink node 0 by 2.0G", buf);
	/* Truncated, still terminated. */
	explain_resize(buf, 8, true, ENOMEM, 0, GiB, false);
	EXPECT_EQ(7, strlen(buf));

	EXPECT_HAS(explain_open(ENOENT), "boot with gpool=");
	EXPECT_HAS(explain_open(EACCES), "run as root");
	explain_set(buf, sizeof(buf), EPERM, "the default backing");
	EXPECT_STREQ("changing the default backing needs CAP_SYS_ADMIN: run "
		     "as root", buf);
	explain_set(buf, sizeof(buf), ENOTTY, "background zeroing");
	EXPECT_STREQ("this kernel's /dev/gpool cannot change background "
		     "zeroing (kernel and poolctl out of step?)", buf);
	explain_set(buf, sizeof(buf), EINVAL, "background zeroing");
	EXPECT_HAS(buf, "rejected");
	explain_set(buf, sizeof(buf), EIO, "background zeroing");
	EXPECT_STREQ("could not change background zeroing", buf);
	explain_set(buf, 8, EPERM, "background zeroing");
	EXPECT_EQ(7, strlen(buf));
}

TEST(json_writer)
{
	static const char want[] =
		"{\n"
		"  \"a\": 1,\n"
		"  \"s\": \"q\\\"b\\\\n\\n\\u0001\\u00ff\",\n"
		"  \"e\": {},\n"
		"  \"l\": [],\n"
		"  \"x\": [\n"
		"    true,\n"
		"    null,\n"
		"    -5,\n"
		"    {\n"
		"      \"k\": false\n"
		"    }\n"
		"  ],\n"
		"  \"n\": \"abc\"\n"
		"}\n";
	struct capture c;
	struct json j;
	char *out;

	json_init(&j, capture_start(&c));
	json_open(&j, NULL, '{');
	json_u64(&j, "a", 1);
	json_str(&j, "s", "q\"b\\n\n\x01\xff");
	json_open(&j, "e", '{');
	json_close(&j, '{');
	json_open(&j, "l", '[');
	json_close(&j, '[');
	json_open(&j, "x", '[');
	json_bool(&j, NULL, true);
	json_null(&j, NULL);
	json_s64(&j, NULL, -5);
	json_open(&j, NULL, '{');
	json_bool(&j, "k", false);
	json_close(&j, '}');
	json_close(&j, ']');
	json_strn(&j, "n", "abcdef", 3);
	json_close(&j, '{');
	json_finish(&j);
	out = capture_end(&c);
	ASSERT_STREQ(want, out);
	ASSERT_TRUE(json_valid(out));
	free(out);
}

/* The validator itself must say no. */
TEST(json_validator_rejects)
{
	ASSERT_TRUE(json_valid("{\"a\": [1, -2, \"x\", null]}\n"));
	ASSERT_FALSE(json_valid(""));
	ASSERT_FALSE(json_valid("{"));
	ASSERT_FALSE(json_valid("{\"a\": 1,}"));
	ASSERT_FALSE(json_valid("{\"a\" 1}"));
	ASSERT_FALSE(json_valid("[1 2]"));
	ASSERT_FALSE(json_valid("{} {}"));
	ASSERT_FALSE(json_valid("\"\x01\""));
	ASSERT_FALSE(json_valid("01"));
	ASSERT_FALSE(json_valid("{a: 1}"));
}

/*
 * A two-node pool in default mode, background zeroer running, read
 * through the control file:
 * node 0: 3G as three 1G units, 1 allocated, one split into 2M units
 * (256 allocated, 64 free of which 10 being zeroed), 1 reserved;
 * node 1: 1G, one free zero 1G unit, 3 bad frames, 1 poisoned.
 */
static void two_nodes(struct pc_state *st)
{
	struct gpool_size_stats *z;

	memset(st, 0, sizeof(*st));
	st->have = PC_HAVE_ALL;
	st->info.pool_flags = GPOOL_INFO_F_CAN_RESIZE | GPOOL_INFO_F_ZEROING;
	st->info.node_mask = 3;
	st->info.nr_pages = 4 * 262144;
	st->info.nr_boot_pages = 3 * 262144;
	st->info.metadata_bytes = 53248;
	st->info.nr_ranges = 2;
	st->info.nr_files = 1;
	st->nr_nodes = 2;

	st->node[0].nid = 0;
	st->node[0].s.nr_pages = 3 * 262144;
	z = &st->node[0].s.size[GPOOL_SIZE_1G];
	z->total = 3;
	z->free = 1;
	z->zero = 1;
	z->allocated = 1;
	z->reserved = 1;
	z->split = 1;
	z->nr_splits = 4;
	z->nr_merges = 3;
	z = &st->node[0].s.size[GPOOL_SIZE_2M];
	z->total = 1536;
	z->free = 54;
	z->zero = 50;
	z->zeroing = 10;
	z->allocated = 448;
	z = &st->node[0].s.size[GPOOL_SIZE_4K];
	z->total = 786432;

	st->node[1].nid = 1;
	st->node[1].s.nr_pages = 262144;
	st->node[1].s.bad_pages = 3;
	st->node[1].s.poison_pending = 1;
	z = &st->node[1].s.size[GPOOL_SIZE_1G];
	z->total = 1;
	z->free = 1;
	z->zero = 1;
	st->node[1].s.size[GPOOL_SIZE_2M].total = 512;
	st->node[1].s.size[GPOOL_SIZE_4K].total = 262144;
}

TEST(node_bytes)
{
	struct pc_state st;
	struct gpool_bytes b;

	two_nodes(&st);
	gpool_node_bytes(&st.node[0].s, &b);
	ASSERT_EQ(3 * GiB, b.total);
	/* free 1G + (54 free + 10 zeroing) 2M */
	ASSERT_EQ(GiB + 64 * 2 * MiB, b.free);
	ASSERT_EQ(GiB + 50 * 2 * MiB, b.zero);
	ASSERT_EQ(10 * 2 * MiB, b.zeroing);
	ASSERT_EQ(GiB, b.reserved);
	ASSERT_EQ(GiB + 448 * 2 * MiB, b.allocated);
	ASSERT_EQ(0, b.bad);
	gpool_node_bytes(&st.node[1].s, &b);
	ASSERT_EQ(3 * 4096, b.bad);
	ASSERT_EQ(4096, b.poison);
}

TEST(show_golden)
{
	static const char want[] =
		"mode             default\n"
		"default backing  off\n"
		"zeroing          background\n"
		"files open       1\n"
		"metadata         52K\n"
		"size             4.0G (3.0G from boot, 1.0G grown) in 2 ranges\n"
		"resizable        yes\n"
		"source           /dev/gpool\n"
		"\n"
		"NODE      TOTAL      FREE      ZERO  RESERVED ALLOCATED       BAD\n"
		"0          3.0G      1.1G      1.1G      1.0G      1.9G         0\n"
		"1          1.0G      1.0G      1.0G         0         0       12K\n"
		"all        4.0G      2.1G      2.1G      1.0G      1.9G       12K\n"
		"node 1: 4.0K poisoned while allocated, out of service when freed\n"
		"\n"
		"NODE SIZE      TOTAL      FREE      ZERO   ZEROING ALLOCATED  RESERVED     SPLIT\n"
		"0    1G            3         1         1         0         1         1         1\n"
		"0    2M         1536        54        50        10       448         0         0\n"
		"0    4K       786432         0         0         0         0         0         0\n"
		"1    1G            1         1         1         0         0         0         0\n"
		"1    2M          512         0         0         0         0         0         0\n"
		"1    4K       262144         0         0         0         0         0         0\n";
	struct pc_state st;
	struct capture c;
	char *out;

	two_nodes(&st);
	show_print(capture_start(&c), &st, 3, "/dev/gpool");
	out = capture_end(&c);
	ASSERT_STREQ(want, out);
	free(out);
}

TEST(show_one_node_and_unknowns)
{
	struct pc_state st;
	struct capture c;
	char *out;

	two_nodes(&st);
	/* As from sysfs without default_backing, background_zeroing 0. */
	st.have = PC_HAVE_NR_FILES | PC_HAVE_ZEROING;
	st.info.pool_flags = GPOOL_INFO_F_NOMAP;
	show_print(capture_start(&c), &st, 2, "sysfs");
	out = capture_end(&c);
	EXPECT_HAS(out, "mode             nomap\n");
	EXPECT_HAS(out, "default backing  unknown\n");
	EXPECT_HAS(out, "zeroing          when allocated\n");
	EXPECT_HAS(out, "size             4.0G\n");
	EXPECT_HAS(out, "resizable        unknown\n");
	EXPECT_HAS(out, "\n1          1.0G");
	/* One node: no "all" row, no node 0 rows. */
	EXPECT_EQ(NULL, strstr(out, "\nall "));
	EXPECT_EQ(NULL, strstr(out, "\n0 "));
	free(out);

	show_print(capture_start(&c), &st, 0, "sysfs");
	out = capture_end(&c);
	EXPECT_HAS(out, "no node has pool memory");
	free(out);

	st.have = 0;
	show_print(capture_start(&c), &st, 2, "sysfs");
	out = capture_end(&c);
	EXPECT_HAS(out, "zeroing          unknown\n");
	free(out);
}

TEST(stat_lines)
{
	static const char head[] =
		"nomap 0\n"
		"default_backing 0\n"
		"background_zeroing 1\n"
		"can_resize 1\n"
		"nr_files 1\n"
		"metadata_bytes 53248\n"
		"nr_pages 1048576\n"
		"nr_boot_pages 786432\n"
		"nr_ranges 2\n"
		"node0.nr_pages 786432\n"
		"node0.bad_pages 0\n"
		"node0.poison_pending 0\n"
		"node0.1G.total 3\n"
		"node0.1G.free 1\n"
		"node0.1G.zero 1\n"
		"node0.1G.zeroing 0\n"
		"node0.1G.allocated 1\n"
		"node0.1G.reserved 1\n"
		"node0.1G.split 1\n"
		"node0.1G.nr_splits 4\n"
		"node0.1G.nr_merges 3\n"
		"node0.2M.total 1536\n";
	static const char sysfs_head[] =
		"nomap 0\nmetadata_bytes 53248\n"
		"nr_pages 1048576\nnode1.nr_pages 262144\n";
	struct pc_state st;
	struct capture c;
	char *out, *line;
	int lines = 0;

	two_nodes(&st);
	stat_print(capture_start(&c), &st, 3);
	out = capture_end(&c);
	ASSERT_EQ(0, strncmp(out, head, strlen(head))) TH_LOG("%s", out);
	EXPECT_HAS(out, "\nnode0.2M.zeroing 10\n");
	EXPECT_HAS(out, "\nnode1.bad_pages 3\n");
	EXPECT_HAS(out, "\nnode1.poison_pending 1\n");
	EXPECT_HAS(out, "\nnode1.4K.total 262144\n");
	/* 9 pool lines, 2 nodes x (3 + 3 x 9) */
	for (line = out; (line = strchr(line, '\n')); line++)
		lines++;
	EXPECT_EQ(9 + 2 * 30, lines);
	free(out);

	/* From sysfs: what it cannot know is left out; node 1 only. */
	st.have = 0;
	stat_print(capture_start(&c), &st, 2);
	out = capture_end(&c);
	EXPECT_EQ(0, strncmp(out, sysfs_head, strlen(sysfs_head)));
	EXPECT_EQ(NULL, strstr(out, "node0"));
	EXPECT_EQ(NULL, strstr(out, "can_resize"));
	EXPECT_EQ(NULL, strstr(out, "default_backing"));
	EXPECT_EQ(NULL, strstr(out, "background_zeroing"));
	free(out);
}

TEST(state_json)
{
	struct pc_state st;
	struct capture c;
	char *out;

	two_nodes(&st);
	report_json(capture_start(&c), &st, 3);
	out = capture_end(&c);
	ASSERT_TRUE(json_valid(out)) TH_LOG("%s", out);
	EXPECT_EQ('{', out[0]);
	EXPECT_HAS(out, "\"source\": \"ioctl\"");
	EXPECT_HAS(out, "\"mode\": \"default\"");
	EXPECT_HAS(out, "\"default_backing\": false");
	EXPECT_HAS(out, "\"background_zeroing\": true");
	EXPECT_HAS(out, "\"can_resize\": true");
	EXPECT_HAS(out, "\"nr_boot_pages\": 786432");
	EXPECT_HAS(out, "\"node_mask\": \"0-1\"");
	EXPECT_HAS(out, "\"node\": 1,");
	EXPECT_HAS(out, "\"zeroing\": 10");
	EXPECT_HAS(out, "\"free\": 1207959552");	/* node 0 bytes */
	free(out);

	st.have = 0;
	st.from_sysfs = true;
	report_json(capture_start(&c), &st, 1);
	out = capture_end(&c);
	ASSERT_TRUE(json_valid(out)) TH_LOG("%s", out);
	EXPECT_HAS(out, "\"source\": \"sysfs\"");
	EXPECT_HAS(out, "\"default_backing\": null");
	EXPECT_HAS(out, "\"background_zeroing\": null");
	EXPECT_HAS(out, "\"nr_ranges\": null");
	EXPECT_EQ(NULL, strstr(out, "\"node\": 1"));
	free(out);

	report_json(capture_start(&c), &st, 0);
	out = capture_end(&c);
	ASSERT_TRUE(json_valid(out)) TH_LOG("%s", out);
	EXPECT_HAS(out, "\"nodes\": []");
	free(out);
}

static void two_files(struct gpool_file_info *f)
{
	memset(f, 0, 2 * sizeof(*f));
	f[0].id = 7;
	f[0].pid = 912;
	strcpy(f[0].comm, "qemu-system-x86");
	f[0].size = 4 * GiB;
	f[0].folio_shift = GPOOL_FOLIO_SHIFT_1G;
	f[0].numa_mode = GPOOL_NUMA_BIND;
	f[0].numa_nodes = 3;
	f[0].units[GPOOL_SIZE_1G] = 3;
	f[0].units[GPOOL_SIZE_2M] = 512;
	f[0].node_bytes[0] = 2 * GiB;
	f[0].node_bytes[1] = 2 * GiB;
	f[0].file_flags = GPOOL_FILE_F_MMAP | GPOOL_FILE_F_SHARED;
	f[0].host_maps[GPOOL_SIZE_1G] = 4;

	f[1].id = 8;
	f[1].pid = 0;
	memcpy(f[1].comm, "\"odd\"\tname\x01xxxxxx", 16);
	f[1].file_flags = GPOOL_FILE_F_DEFAULT_BACKED;
	f[1].size = 6 * MiB;
	f[1].folio_shift = GPOOL_FOLIO_SHIFT_2M;
	f[1].numa_mode = GPOOL_NUMA_DEFAULT;
	f[1].units[GPOOL_SIZE_2M] = 1;
	f[1].units[GPOOL_SIZE_4K] = 2;
	/* On node 20: beyond node_bytes[]. */
}

TEST(files_golden)
{
	static const char want[] =
		"ID     PID     COMM               SIZE FOLIO NUMA           1G/2M/4K       FLAGS    NODES\n"
		"7      912     qemu-system-x86    4.0G 1G    bind:0-1       3/512/0        mmap,shared 0:2.0G,1:2.0G\n"
		"8      -       \"odd\"?name?xxxxx   6.0M 2M    default        0/1/2          default  16+:2.0M\n";
	struct gpool_file_info f[2];
	struct capture c;
	char *out;

	two_files(f);
	files_print(capture_start(&c), f, 2);
	out = capture_end(&c);
	ASSERT_STREQ(want, out);
	free(out);

	files_print(capture_start(&c), f, 0);
	out = capture_end(&c);
	ASSERT_STREQ("no pool-backed guest_memfd is open\n", out);
	free(out);
}

TEST(files_json)
{
	struct gpool_file_info f[2];
	struct capture c;
	char *out;

	two_files(f);
	files_print_json(capture_start(&c), f, 2);
	out = capture_end(&c);
	ASSERT_TRUE(json_valid(out)) TH_LOG("%s", out);
	EXPECT_HAS(out, "\"files\": [");
	EXPECT_HAS(out, "\"id\": 7,");
	EXPECT_HAS(out, "\"comm\": \"qemu-system-x86\"");
	EXPECT_HAS(out, "\"comm\": \"\\\"odd\\\"\\tname\\u0001xxxxx\"");
	EXPECT_HAS(out, "\"numa_mode\": \"bind\"");
	EXPECT_HAS(out, "\"numa_nodes\": \"0-1\"");
	EXPECT_HAS(out, "\"default_backed\": true");
	EXPECT_HAS(out, "\"mmap\": true");
	EXPECT_HAS(out, "\"host_maps\": {");
	EXPECT_HAS(out, "\"held_bytes\": 4294967296");
	EXPECT_HAS(out, "\"other_node_bytes\": 2105344");
	EXPECT_HAS(out, "\"1\": 2147483648");
	EXPECT_HAS(out, "\"pid\": 912,");
	EXPECT_HAS(out, "\"pid\": 0,");
	free(out);

	/* pid is a __u32: above INT_MAX it is still a positive number. */
	f[0].pid = 0x80000000U;
	files_print_json(capture_start(&c), f, 1);
	out = capture_end(&c);
	ASSERT_TRUE(json_valid(out)) TH_LOG("%s", out);
	EXPECT_HAS(out, "\"pid\": 2147483648,");
	free(out);
	files_print(capture_start(&c), f, 1);
	out = capture_end(&c);
	EXPECT_HAS(out, "\n7      2147483648 qemu-system-x86 ");
	free(out);

	files_print_json(capture_start(&c), f, 0);
	out = capture_end(&c);
	ASSERT_STREQ("{\n  \"files\": []\n}\n", out);
	free(out);
}

TEST(resize_lines)
{
	__u64 before = 3 * GiB, after = 4 * GiB;
	struct capture c;
	char *out;

	resize_print(capture_start(&c), true, 0, GiB, &before, &after);
	out = capture_end(&c);
	EXPECT_STREQ("node 0: grew by 1.0G, 3.0G -> 4.0G\n", out);
	free(out);
	resize_print(capture_start(&c), false, 1, 512 * MiB, &after, &before);
	out = capture_end(&c);
	EXPECT_STREQ("node 1: shrank by 512M, 4.0G -> 3.0G\n", out);
	free(out);
	resize_print(capture_start(&c), true, 2, 2 * MiB, NULL, &after);
	out = capture_end(&c);
	EXPECT_STREQ("node 2: grew by 2.0M, now 4.0G\n", out);
	free(out);
	resize_print(capture_start(&c), true, 2, 2 * MiB, NULL, NULL);
	out = capture_end(&c);
	EXPECT_STREQ("node 2: grew by 2.0M\n", out);
	free(out);
}

TEST_HARNESS_MAIN
