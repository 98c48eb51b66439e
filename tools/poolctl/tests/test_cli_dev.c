// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the whole command line (poolctl_main()) against a mock of
 * /dev/gpool's ioctls that follows docs/uapi.rst (the device is /dev/null,
 * the ioctls go to mock_ioctl()): show, stat, files, grow/shrink,
 * default-backing and zeroing through the control file.
 */
#include "kselftest_harness.h"
#include "cli.h"

#define NR_IOCTLS	7

/* The kernel, as far as poolctl can see it. */
static struct {
	struct gpool_info_args info;
	struct gpool_node_stats_args node[PC_MAX_NODES];
	struct gpool_file_info files[256];
	unsigned int nr_files;
	unsigned int create_per_list;	/* files created after each E2BIG */
	int err[NR_IOCTLS];		/* fail ioctl number i with err[i] */
	unsigned int calls[NR_IOCTLS];
	unsigned int bad_args;		/* flags or reserved words sent */
	bool no_zeroer;			/* gpool_zero did not start at boot */
} mock;

static bool zeroed(const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--)
		if (*c++)
			return false;
	return true;
}

static void mock_add_file(void)
{
	struct gpool_file_info *f = &mock.files[mock.nr_files];

	memset(f, 0, sizeof(*f));
	f->id = 100 + mock.nr_files;
	f->pid = 4000 + mock.nr_files;
	snprintf(f->comm, sizeof(f->comm), "vm%u", mock.nr_files);
	f->size = GiB;
	f->folio_shift = GPOOL_FOLIO_SHIFT_1G;
	f->units[GPOOL_SIZE_1G] = 1;
	f->node_bytes[0] = GiB;
	mock.nr_files++;
	mock.info.nr_files = mock.nr_files;
}

static int mock_resize(struct gpool_resize_args *a, bool grow)
{
	struct gpool_node_stats_args *n;
	__u64 pages;

	if (a->flags || !zeroed(a->reserved, sizeof(a->reserved))) {
		mock.bad_args++;
		return -EINVAL;
	}
	if (!a->bytes || a->bytes % (2 * MiB) || a->node >= PC_MAX_NODES)
		return -EINVAL;
	n = &mock.node[a->node];
	pages = a->bytes >> 12;
	if (grow) {
		mock.info.node_mask |= 1ULL << a->node;
		n->node = a->node;
		n->nr_pages += pages;
		mock.info.nr_pages += pages;
		return 0;
	}
	if (!(mock.info.node_mask >> a->node & 1))
		return -ENOENT;
	if (pages > n->nr_pages)
		return -EBUSY;
	n->nr_pages -= pages;
	mock.info.nr_pages -= pages;
	return 0;
}

static int mock_ioctl(int fd, unsigned long req, void *arg)
{
	unsigned int nr = _IOC_NR(req);

	(void)fd;
	if (_IOC_TYPE(req) != GPOOL_IOC_MAGIC || nr >= NR_IOCTLS)
		return -ENOTTY;
	mock.calls[nr]++;
	if (mock.err[nr])
		return -mock.err[nr];

	switch (req) {
	case GPOOL_IOC_INFO: {
		struct gpool_info_args *a = arg;

		if (a->flags || !zeroed(a->reserved, sizeof(a->reserved))) {
			mock.bad_args++;
			return -EINVAL;
		}
		*a = mock.info;
		return 0;
	}
	case GPOOL_IOC_NODE_STATS: {
		struct gpool_node_stats_args *a = arg;

		if (a->flags || !zeroed(a->reserved, sizeof(a->reserved))) {
			mock.bad_args++;
			return -EINVAL;
		}
		if (a->node >= PC_MAX_NODES)
			return -EINVAL;
		if (!(mock.info.node_mask >> a->node & 1))
			return -ENOENT;
		*a = mock.node[a->node];
		return 0;
	}
	case GPOOL_IOC_GROW:
		return mock_resize(arg, true);
	case GPOOL_IOC_SHRINK:
		return mock_resize(arg, false);
	case GPOOL_IOC_SET_DEFAULT_BACKING: {
		struct gpool_default_backing_args *a = arg;

		if (a->flags || !zeroed(a->reserved, sizeof(a->reserved))) {
			mock.bad_args++;
			return -EINVAL;
		}
		if (a->enable > 1)
			return -EINVAL;
		mock.info.pool_flags &= ~GPOOL_INFO_F_DEFAULT_BACKING;
		if (a->enable)
			mock.info.pool_flags |= GPOOL_INFO_F_DEFAULT_BACKING;
		return 0;
	}
	case GPOOL_IOC_SET_ZEROING: {
		struct gpool_zeroing_args *a = arg;

		if (a->flags || !zeroed(a->reserved, sizeof(a->reserved))) {
			mock.bad_args++;
			return -EINVAL;
		}
		if (a->enable > 1)
			return -EINVAL;
		/* Accepted either way; without the thread it stays off. */
		mock.info.pool_flags &= ~GPOOL_INFO_F_ZEROING;
		if (a->enable && !mock.no_zeroer)
			mock.info.pool_flags |= GPOOL_INFO_F_ZEROING;
		return 0;
	}
	case GPOOL_IOC_LIST_FILES: {
		struct gpool_list_files_args *a = arg;
		unsigned int i;

		if (a->flags || !zeroed(a->reserved, sizeof(a->reserved)) ||
		    (a->nr_files && !a->files)) {
			mock.bad_args++;
			return -EINVAL;
		}
		if (a->nr_files < mock.nr_files) {
			a->nr_files = mock.nr_files;
			/* Files created before poolctl asks again. */
			for (i = 0; i < mock.create_per_list; i++)
				mock_add_file();
			if (mock.create_per_list)
				mock.create_per_list--;
			return -E2BIG;
		}
		if (mock.nr_files)
			memcpy((void *)(unsigned long)a->files, mock.files,
			       mock.nr_files * sizeof(mock.files[0]));
		a->nr_files = mock.nr_files;
		return 0;
	}
	}
	return -ENOTTY;
}

/*
 * Two nodes, 3G and 4G, counters as in the fake sysfs tree; the background
 * zeroer runs, as from boot.
 */
static void mock_init(void)
{
	unsigned int n;

	memset(&mock, 0, sizeof(mock));
	mock.info.pool_flags = GPOOL_INFO_F_CAN_RESIZE | GPOOL_INFO_F_ZEROING;
	mock.info.node_mask = 3;
	mock.info.metadata_bytes = 53248;
	mock.info.nr_ranges = 7;
	for (n = 0; n < 2; n++) {
		fake_node_stats(n, &mock.node[n]);
		mock.info.nr_pages += mock.node[n].nr_pages;
	}
	mock.info.nr_boot_pages = mock.info.nr_pages;
	gpool_ioctl = mock_ioctl;
}

/* ---- through the (mock) control file ---- */

TEST(dev_show_and_stat)
{
	struct run r;

	mock_init();
	run_poolctl(&r, "-d", "/dev/null", "-s", "/nonexistent", NULL);
	ASSERT_EQ(PC_OK, r.rc) TH_LOG("%s", r.err);
	EXPECT_STREQ("", r.err);
	EXPECT_HAS(r.out, "default backing  off\n");
	EXPECT_HAS(r.out, "zeroing          background\n");
	EXPECT_HAS(r.out, "files open       0\n");
	EXPECT_HAS(r.out, "size             7.0G (7.0G from boot, 0 grown) "
		   "in 7 ranges\n");
	EXPECT_HAS(r.out, "resizable        yes\n");
	EXPECT_HAS(r.out, "source           /dev/null\n");
	EXPECT_HAS(r.out, "\n1          4.0G");
	EXPECT_EQ(1, mock.calls[_IOC_NR(GPOOL_IOC_INFO)]);
	EXPECT_EQ(2, mock.calls[_IOC_NR(GPOOL_IOC_NODE_STATS)]);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "stat", "1", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("", r.err);
	EXPECT_HAS(r.out, "can_resize 1\n");
	EXPECT_HAS(r.out, "background_zeroing 1\n");
	EXPECT_HAS(r.out, "nr_boot_pages 1835008\n");
	EXPECT_HAS(r.out, "nr_ranges 7\n");
	EXPECT_HAS(r.out, "node1.2M.zeroing 2103\n");
	EXPECT_LACKS(r.out, "node0");
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "-j", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	ASSERT_TRUE(json_valid(r.out));
	EXPECT_HAS(r.out, "\"source\": \"ioctl\"");
	EXPECT_HAS(r.out, "\"background_zeroing\": true");
	EXPECT_HAS(r.out, "\"nr_ranges\": 7");
	run_free(&r);
	EXPECT_EQ(0, mock.bad_args);
}

TEST(dev_enotty_falls_back_other_errors_fail)
{
	char *root = fake_root();
	struct run r;

	fake_sysfs(root, "default", 1, true);
	mock_init();
	mock.err[_IOC_NR(GPOOL_IOC_INFO)] = ENOTTY;
	run_poolctl(&r, "-d", "/dev/null", "-s", root, NULL);
	EXPECT_EQ(PC_OK, r.rc);
	EXPECT_HAS(r.out, "read-only");
	EXPECT_HAS(r.out, "Inappropriate ioctl");
	run_free(&r);

	mock.err[_IOC_NR(GPOOL_IOC_INFO)] = 0;
	mock.err[_IOC_NR(GPOOL_IOC_NODE_STATS)] = EIO;
	run_poolctl(&r, "-d", "/dev/null", "-s", root, NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_STREQ("", r.out);
	EXPECT_HAS(r.err, "/dev/null: reading the pool: Input/output error");
	run_free(&r);
	fake_cleanup(root);
}

TEST(dev_files)
{
	struct run r;
	char *p;
	int rows = 0;

	mock_init();
	run_poolctl(&r, "-d", "/dev/null", "files", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("no pool-backed guest_memfd is open\n", r.out);
	EXPECT_EQ(1, mock.calls[_IOC_NR(GPOOL_IOC_LIST_FILES)]);
	run_free(&r);

	/* Files appear while poolctl lists them: it asks until they fit. */
	mock_add_file();
	mock_add_file();
	mock_add_file();
	mock.create_per_list = 12;
	run_poolctl(&r, "-d", "/dev/null", "ps", NULL);
	ASSERT_EQ(PC_OK, r.rc) TH_LOG("%s", r.err);
	for (p = r.out; (p = strstr(p, " vm")); p++)
		rows++;
	EXPECT_EQ(mock.nr_files, rows);
	EXPECT_GT(mock.nr_files, 3 + 12);
	EXPECT_GT(mock.calls[_IOC_NR(GPOOL_IOC_LIST_FILES)], 2);
	EXPECT_HAS(r.out, "\n100    4000    vm0                1.0G 1G    "
		   "default        1/0/0          -        0:1.0G\n");
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "files", "-j", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	ASSERT_TRUE(json_valid(r.out));
	EXPECT_HAS(r.out, "\"comm\": \"vm2\"");
	run_free(&r);

	mock.err[_IOC_NR(GPOOL_IOC_LIST_FILES)] = EFAULT;
	run_poolctl(&r, "-d", "/dev/null", "files", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "listing the files: Bad address");
	run_free(&r);
	EXPECT_EQ(0, mock.bad_args);
}

TEST(dev_grow_shrink)
{
	struct run r;

	mock_init();
	run_poolctl(&r, "-d", "/dev/null", "grow", "0", "1G", NULL);
	ASSERT_EQ(PC_OK, r.rc) TH_LOG("%s", r.err);
	EXPECT_STREQ("node 0: grew by 1.0G, 3.0G -> 4.0G\n", r.out);
	EXPECT_EQ(4 * GiB >> 12, mock.node[0].nr_pages);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "shrink", "0", "1024M", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("node 0: shrank by 1.0G, 4.0G -> 3.0G\n", r.out);
	EXPECT_EQ(3 * GiB >> 12, mock.node[0].nr_pages);
	run_free(&r);

	/* A node without pool memory yet. */
	run_poolctl(&r, "-d", "/dev/null", "grow", "2", "2M", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("node 2: grew by 2.0M, 0 -> 2.0M\n", r.out);
	run_free(&r);

	/* More than the node has: nothing changes. */
	run_poolctl(&r, "-d", "/dev/null", "shrink", "0", "100G", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_STREQ("", r.out);
	EXPECT_HAS(r.err, "shrink node 0 by 100G: Device or resource busy\n");
	EXPECT_HAS(r.err, "memory in use or reserved");
	EXPECT_EQ(3 * GiB >> 12, mock.node[0].nr_pages);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "shrink", "9", "2M", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "node 9 has no pool memory");
	run_free(&r);
	EXPECT_EQ(0, mock.bad_args);
}

TEST(dev_resize_errors)
{
	struct run r;

	mock_init();
	mock.err[_IOC_NR(GPOOL_IOC_GROW)] = ENOMEM;
	run_poolctl(&r, "-d", "/dev/null", "grow", "1", "2G", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "grow node 1 by 2.0G: Cannot allocate memory");
	EXPECT_HAS(r.err, "cannot supply 2 contiguous 1 GiB-aligned 1G "
		   "blocks on node 1");
	run_free(&r);

	mock.err[_IOC_NR(GPOOL_IOC_GROW)] = EOPNOTSUPP;
	mock.info.pool_flags = GPOOL_INFO_F_NOMAP;
	run_poolctl(&r, "-d", "/dev/null", "grow", "0", "1G", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "the pool is nomap");
	run_free(&r);

	mock.info.pool_flags = 0;
	mock.err[_IOC_NR(GPOOL_IOC_SHRINK)] = EOPNOTSUPP;
	run_poolctl(&r, "-d", "/dev/null", "shrink", "0", "1G", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "CONFIG_CONTIG_ALLOC");
	run_free(&r);

	mock.err[_IOC_NR(GPOOL_IOC_SHRINK)] = EPERM;
	run_poolctl(&r, "-d", "/dev/null", "shrink", "0", "1G", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "Operation not permitted");
	EXPECT_HAS(r.err, "CAP_SYS_ADMIN");
	run_free(&r);
}

TEST(dev_default_backing)
{
	struct run r;

	mock_init();
	run_poolctl(&r, "-d", "/dev/null", "default-backing", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("off\n", r.out);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "default-backing", "on", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("default backing: off -> on\n", r.out);
	EXPECT_TRUE(mock.info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING);
	EXPECT_TRUE(mock.info.pool_flags & GPOOL_INFO_F_ZEROING);
	EXPECT_EQ(1, mock.calls[_IOC_NR(GPOOL_IOC_SET_DEFAULT_BACKING)]);
	EXPECT_EQ(0, mock.calls[_IOC_NR(GPOOL_IOC_SET_ZEROING)]);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "default-backing", NULL);
	EXPECT_STREQ("on\n", r.out);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "default-backing", "0", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("default backing: on -> off\n", r.out);
	EXPECT_FALSE(mock.info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING);
	run_free(&r);

	mock.err[_IOC_NR(GPOOL_IOC_SET_DEFAULT_BACKING)] = EPERM;
	run_poolctl(&r, "-d", "/dev/null", "default-backing", "on", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_STREQ("", r.out);
	EXPECT_HAS(r.err, "CAP_SYS_ADMIN");
	run_free(&r);
	EXPECT_EQ(0, mock.bad_args);
}

TEST(dev_zeroing)
{
	struct run r;

	mock_init();
	run_poolctl(&r, "-d", "/dev/null", "zeroing", NULL);
	ASSERT_EQ(PC_OK, r.rc) TH_LOG("%s", r.err);
	EXPECT_STREQ("on\n", r.out);
	EXPECT_STREQ("", r.err);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "-j", "zeroing", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("{\n  \"background_zeroing\": true\n}\n", r.out);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "zeroing", "off", NULL);
	ASSERT_EQ(PC_OK, r.rc) TH_LOG("%s", r.err);
	EXPECT_STREQ("background zeroing: on -> off\n", r.out);
	EXPECT_STREQ("", r.err);
	EXPECT_FALSE(mock.info.pool_flags & GPOOL_INFO_F_ZEROING);
	EXPECT_FALSE(mock.info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING);
	EXPECT_EQ(1, mock.calls[_IOC_NR(GPOOL_IOC_SET_ZEROING)]);
	EXPECT_EQ(0, mock.calls[_IOC_NR(GPOOL_IOC_SET_DEFAULT_BACKING)]);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "zeroing", NULL);
	EXPECT_STREQ("off\n", r.out);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "show", NULL);
	EXPECT_HAS(r.out, "zeroing          when allocated\n");
	run_free(&r);

	/* Asking for the state it is in succeeds and changes nothing. */
	run_poolctl(&r, "-d", "/dev/null", "zeroing", "disable", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("background zeroing: off -> off\n", r.out);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "zeroing", "1", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("background zeroing: off -> on\n", r.out);
	EXPECT_TRUE(mock.info.pool_flags & GPOOL_INFO_F_ZEROING);
	run_free(&r);

	/* Without INFO the change is printed without the state before. */
	mock.err[_IOC_NR(GPOOL_IOC_INFO)] = EIO;
	run_poolctl(&r, "-d", "/dev/null", "zeroing", "off", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("background zeroing: off\n", r.out);
	run_free(&r);
	mock.err[_IOC_NR(GPOOL_IOC_INFO)] = 0;

	mock.err[_IOC_NR(GPOOL_IOC_SET_ZEROING)] = EPERM;
	run_poolctl(&r, "-d", "/dev/null", "zeroing", "on", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_STREQ("", r.out);
	EXPECT_HAS(r.err, "background zeroing on: Operation not permitted\n");
	EXPECT_HAS(r.err, "changing background zeroing needs CAP_SYS_ADMIN");
	run_free(&r);

	mock.err[_IOC_NR(GPOOL_IOC_SET_ZEROING)] = ENOTTY;
	run_poolctl(&r, "-d", "/dev/null", "zeroing", "on", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "cannot change background zeroing (kernel and "
		   "poolctl out of step?)");
	run_free(&r);

	mock.err[_IOC_NR(GPOOL_IOC_SET_ZEROING)] = EINVAL;
	run_poolctl(&r, "-d", "/dev/null", "zeroing", "on", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_HAS(r.err, "the kernel rejected the request");
	run_free(&r);
	EXPECT_FALSE(mock.info.pool_flags & GPOOL_INFO_F_ZEROING);
	EXPECT_EQ(0, mock.bad_args);
}

/* The kernel accepts "on" but the zeroer never started: exit 1, say why. */
TEST(dev_zeroing_without_zeroer)
{
	struct run r;

	mock_init();
	mock.no_zeroer = true;
	mock.info.pool_flags &= ~GPOOL_INFO_F_ZEROING;
	run_poolctl(&r, "-d", "/dev/null", "zeroing", "on", NULL);
	EXPECT_EQ(PC_FAIL, r.rc);
	EXPECT_STREQ("", r.out);
	EXPECT_HAS(r.err, "background zeroing on: the kernel accepted it, but "
		   "it is still off\n");
	EXPECT_HAS(r.err, "did not start at boot");
	EXPECT_EQ(1, mock.calls[_IOC_NR(GPOOL_IOC_SET_ZEROING)]);
	run_free(&r);

	run_poolctl(&r, "-d", "/dev/null", "zeroing", "off", NULL);
	ASSERT_EQ(PC_OK, r.rc);
	EXPECT_STREQ("background zeroing: off -> off\n", r.out);
	run_free(&r);
	EXPECT_EQ(0, mock.bad_args);
}

TEST_HARNESS_MAIN
