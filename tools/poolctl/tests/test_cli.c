// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the whole command line (poolctl_main()): exit status,
 * output and messages against a fake sysfs tree, usage errors, help and
 * version.  test_cli_dev.c tests it against a mock of /dev/gpool.
 */
#include "kselftest_harness.h"
#include "cli.h"

/* ---- through sysfs ---- */

FIXTURE(sysfs) {
	char *root;
};

FIXTURE_SETUP(sysfs)
{
	self->root = fake_root();
	fake_sysfs(self->root, "default", 2, true);
}

FIXTURE_TEARDOWN(sysfs)
{
	fake_cleanup(self->root);
}

TEST_F(sysfs, show_falls_back_and_says_so)
{
	struct run r;

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, NULL);
	ASSERT_EQ(PC_OK, r.rc) TH_LOG("%s", r.err);
	EXPECT_HAS(r.out, "mode             default\n");
	EXPECT_HAS(r.out, "default backing  on\n");
	EXPECT_HAS(r.out, "zeroing          when allocated\n");
	EXPECT_HAS(r.out, "files open       2\n");
	EXPECT_HAS(r.out, "metadata         52K\n");
	EXPECT_HAS(r.out, "size             7.0G\n");
	EXPECT_HAS(r.out, "resizable        unknown\n");
	EXPECT_HAS(r.out, "read-only");
	EXPECT_HAS(r.out, "/nonexistent: No such file or directory");
	EXPECT_HAS(r.out, "\n0          3.0G");
	EXPECT_HAS(r.out, "\n1          4.0G");
	EXPECT_HAS(r.out, "\nall        7.0G");
	EXPECT_HAS(r.out, "\n1    2M         2100      2101");
	/* node1x, node64, nodes: not nodes */
	EXPECT_LACKS(r.out, "\n64 ");
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "show", "1",
		    NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_LACKS(r.out, "\n0 ");
	EXPECT_HAS(r.out, "\n1          4.0G");
	run_free(&r);
}

TEST_F(sysfs, stat_equals_the_files)
{
	char line[128];
	unsigned int n;
	struct run r;
	int i, f;

	run_poolctl(&r, "--device=/nonexistent", "--sysfs", self->root,
		    "stat", NULL);
	ASSERT_EQ(PC_OK, r.rc) TH_LOG("%s", r.err);
	EXPECT_HAS(r.err, "note: read from");
	EXPECT_HAS(r.out, "nomap 0\n");
	EXPECT_HAS(r.out, "default_backing 1\n");
	EXPECT_HAS(r.out, "background_zeroing 0\n");
	EXPECT_HAS(r.out, "nr_files 2\n");
	EXPECT_HAS(r.out, "nr_pages 1835008\n");
	EXPECT_LACKS(r.out, "can_resize");
	EXPECT_LACKS(r.out, "nr_ranges");
	for (n = 0; n < 2; n++) {
		snprintf(line, sizeof(line), "node%u.bad_pages %u\n", n, n);
		EXPECT_HAS(r.out, line);
		snprintf(line, sizeof(line), "node%u.poison_pending %u\n", n,
			 2 * n);
		EXPECT_HAS(r.out, line);
		for (i = 0; i < GPOOL_NR_SIZES; i++) {
			for (f = 0; f < GPOOL_NR_SIZE_FIELDS; f++) {
				snprintf(line, sizeof(line),
					 "node%u.%s.%s %llu\n", n,
					 gpool_size_name[i],
					 gpool_size_fields[f].name,
					 fake_size_value(n, i, f));
				EXPECT_HAS(r.out, line);
			}
		}
	}
	run_free(&r);
}

TEST_F(sysfs, stat_node_lists)
{
	struct run r;

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "stat", "1",
		    NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_HAS(r.out, "node1.1G.free");
	EXPECT_LACKS(r.out, "node0.");
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "stat", "all",
		    NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_HAS(r.out, "node0.1G.free");
	EXPECT_HAS(r.out, "node1.1G.free");
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "stat",
		    "0,5-6", NULL);
	ASSERT_EQ(PC_FAIL, r.rc);
	EXPECT_STREQ("", r.out);
	EXPECT_HAS(r.err, "no pool memory on node 5-6 (pool nodes: 0-1)");
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "stat", "1-0",
		    NULL);
	ASSERT_EQ(PC_USAGE, r.rc);
	EXPECT_HAS(r.err, "bad node list '1-0': descending range");
	run_free(&r);
}

TEST_F(sysfs, json)
{
	struct run r;

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "-j", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	ASSERT_TRUE(json_valid(r.out)) TH_LOG("%s", r.out);
	EXPECT_HAS(r.out, "\"source\": \"sysfs\"");
	EXPECT_HAS(r.out, "\"default_backing\": true");
	EXPECT_HAS(r.out, "\"background_zeroing\": false");
	EXPECT_HAS(r.out, "\"can_resize\": null");
	EXPECT_HAS(r.out, "\"node\": 1,");
	run_free(&r);

	/* Options after the command, too. */
	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "stat", "0",
		    "--json", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	ASSERT_TRUE(json_valid(r.out)) TH_LOG("%s", r.out);
	EXPECT_HAS(r.out, "\"node\": 0,");
	EXPECT_LACKS(r.out, "\"node\": 1,");
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "-j",
		    "default-backing", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("{\n  \"default_backing\": true\n}\n", r.out);
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "zeroing",
		    "--json", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("{\n  \"background_zeroing\": false\n}\n", r.out);
	run_free(&r);
}

TEST_F(sysfs, default_backing_read)
{
	struct run r;

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root,
		    "default-backing", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("on\n", r.out);
	run_free(&r);

	put_file(self->root, "default_backing", "0\n");
	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root,
		    "default-backing", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("off\n", r.out);
	run_free(&r);

	/* Changing it needs the control file. */
	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root,
		    "default-backing", "on", NULL);
	ASSERT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "/nonexistent: No such file or directory");
	run_free(&r);
}

TEST_F(sysfs, zeroing_read)
{
	struct run r;

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "zeroing",
		    NULL);
	ASSERT_EQ(PC_OK, r.rc) TH_LOG("%s", r.err);
	EXPECT_STREQ("off\n", r.out);
	EXPECT_HAS(r.err, "note: read from");
	run_free(&r);

	put_file(self->root, "background_zeroing", "1\n");
	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "zeroing",
		    NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("on\n", r.out);
	run_free(&r);

	/* Not 0 or 1: not known, as if the file were missing. */
	put_file(self->root, "background_zeroing", "2\n");
	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "zeroing",
		    NULL);
	ASSERT_EQ(PC_FAIL, r.rc);
	EXPECT_STREQ("", r.out);
	EXPECT_HAS(r.err, "no background_zeroing file");
	run_free(&r);

	/* Changing it needs the control file. */
	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "zeroing",
		    "off", NULL);
	ASSERT_EQ(PC_FAIL, r.rc);
	EXPECT_STREQ("", r.out);
	EXPECT_HAS(r.err, "/nonexistent: No such file or directory");
	EXPECT_HAS(r.err, "boot with gpool=");
	run_free(&r);
}

TEST_F(sysfs, missing_optional_files)
{
	char path[256];
	struct run r;

	snprintf(path, sizeof(path), "%s/default_backing", self->root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/background_zeroing", self->root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nr_files", self->root);
	unlink(path);
	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_HAS(r.out, "default backing  unknown\n");
	EXPECT_HAS(r.out, "zeroing          unknown\n");
	EXPECT_HAS(r.out, "files open       unknown\n");
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "stat", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_LACKS(r.out, "default_backing");
	EXPECT_LACKS(r.out, "background_zeroing");
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "-j", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_HAS(r.out, "\"background_zeroing\": null");
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "zeroing",
		    NULL);
	ASSERT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "no background_zeroing file");
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root,
		    "default-backing", NULL);
	ASSERT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "no default_backing file");
	run_free(&r);
}

TEST_F(sysfs, malformed_files)
{
	struct run r;

	put_file(self->root, "node1/2M/free", "x\n");
	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "stat", NULL);
	ASSERT_EQ(PC_FAIL, r.rc);
	EXPECT_STREQ("", r.out);
	EXPECT_HAS(r.err, "node1/2M/free: 'x': not a decimal number");
	run_free(&r);

	put_file(self->root, "mode", "weird\n");
	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, NULL);
	ASSERT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "unknown mode 'weird'");
	run_free(&r);
}

TEST_F(sysfs, nomap_mode)
{
	struct run r;

	put_file(self->root, "mode", "nomap\n");
	run_poolctl(&r, "-d", "/nonexistent", "-s", self->root, "stat", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_HAS(r.out, "nomap 1\n");
	run_free(&r);
}

TEST(no_pool_at_all)
{
	struct run r;

	run_poolctl(&r, "-d", "/nonexistent", "-s", "/nonexistent/gpool",
		    NULL);
	ASSERT_EQ(PC_FAIL, r.rc);
	EXPECT_STREQ("", r.out);
	EXPECT_HAS(r.err, "boot with gpool=");
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "files", NULL);
	ASSERT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "listing the files needs the control file");
	run_free(&r);

	run_poolctl(&r, "-d", "/nonexistent", "grow", "0", "1G", NULL);
	ASSERT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "boot with gpool=");
	run_free(&r);
}

TEST(usage_errors)
{
	static const char * const cases[][5] = {
		{ "bogus" },
		{ "--bogus" },
		{ "-x" },
		{ "-d" },
		{ "--sysfs" },
		{ "grow" },
		{ "grow", "0" },
		{ "grow", "0", "1G", "2" },
		{ "grow", "64", "1G" },
		{ "grow", "x", "1G" },
		{ "grow", "0", "1M" },
		{ "grow", "0", "0" },
		{ "grow", "0", "3M" },
		{ "grow", "0", "1.5G" },
		{ "grow", "0", "16E" },
		{ "shrink", "0", "-2M" },
		{ "shrink", "-1", "2M" },
		{ "shrink", "0,1", "2M" },
		{ "default-backing", "maybe" },
		{ "default-backing", "on", "off" },
		{ "zeroing", "maybe" },
		{ "zeroing", "" },
		{ "zeroing", "off", "off" },
		{ "files", "x" },
		{ "ps", "x" },
		{ "show", "0", "1" },
		{ "show", "" },
		{ "stat", "a" },
		{ "stat", "64" },
		{ "help", "nope" },
		{ "help", "a", "b" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char * const *c = cases[i];
		struct run r;

		/* The device must not even be opened. */
		run_poolctl(&r, "-d", "/nonexistent", "-s", "/nonexistent",
			    c[0], c[1], c[2], c[3], NULL);
		EXPECT_EQ(PC_USAGE, r.rc) TH_LOG("case %u: %s %s", i, c[0],
						 c[1] ? c[1] : "");
		EXPECT_STREQ("", r.out);
		EXPECT_HAS(r.err, "Try 'poolctl --help'.");
		EXPECT_LACKS(r.err, "No such file");
		run_free(&r);
	}
}

TEST(usage_messages)
{
	struct run r;

	run_poolctl(&r, "grow", "0", "3M", NULL);
	EXPECT_EQ(PC_USAGE, r.rc);
	EXPECT_HAS(r.err, "grow: bad size '3M': not a non-zero multiple of 2M");
	EXPECT_HAS(r.err, "usage: poolctl [OPTION...] grow NODE SIZE\n");
	run_free(&r);

	run_poolctl(&r, "shrink", "0", "1GB", NULL);
	EXPECT_EQ(PC_USAGE, r.rc);
	EXPECT_HAS(r.err, "bad size '1GB': unknown suffix");
	run_free(&r);

	run_poolctl(&r, "zeroing", "maybe", NULL);
	EXPECT_EQ(PC_USAGE, r.rc);
	EXPECT_HAS(r.err, "poolctl: zeroing: 'maybe': not on or off\n");
	EXPECT_HAS(r.err, "usage: poolctl [OPTION...] zeroing [on|off]\n");
	run_free(&r);

	run_poolctl(&r, "frobnicate", NULL);
	EXPECT_EQ(PC_USAGE, r.rc);
	EXPECT_HAS(r.err, "unknown command 'frobnicate'");
	run_free(&r);

	run_poolctl(&r, "--bogus", NULL);
	EXPECT_HAS(r.err, "unknown option '--bogus'");
	run_free(&r);

	run_poolctl(&r, "-d", NULL);
	EXPECT_HAS(r.err, "option '-d' needs an argument");
	run_free(&r);
}

TEST(help_and_version)
{
	static const char * const names[] = {
		"show", "stat", "files", "ps", "grow", "shrink",
		"default-backing", "zeroing", "help",
	};
	unsigned int i;
	struct run r;

	run_poolctl(&r, "--help", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		char want[32];

		snprintf(want, sizeof(want), "\n  %s ", names[i]);
		EXPECT_HAS(r.out, want);
	}
	EXPECT_HAS(r.out, "--json");
	EXPECT_HAS(r.out, "Exit status");
	EXPECT_STREQ("", r.err);
	run_free(&r);

	run_poolctl(&r, "--version", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_EQ(0, strncmp(r.out, "poolctl ", 8));
	run_free(&r);

	run_poolctl(&r, "grow", "-h", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_HAS(r.out, "usage: poolctl [OPTION...] grow NODE SIZE\n");
	run_free(&r);

	run_poolctl(&r, "help", "default-backing", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_HAS(r.out, "default-backing [on|off]\n");
	run_free(&r);

	run_poolctl(&r, "zeroing", "--help", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_HAS(r.out, "usage: poolctl [OPTION...] zeroing [on|off]\n");
	EXPECT_HAS(r.out, "cleared in the background");
	run_free(&r);
}

TEST_HARNESS_MAIN
