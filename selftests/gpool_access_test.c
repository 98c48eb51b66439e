// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_access_test: who may use the pool (vm.gpool_group) and how much of
 * it one user may hold (vm.gpool_user_max_bytes), with the flag and by
 * default backing (docs/admin-guide.rst, "Who may use the pool").
 *
 * The unprivileged side runs in a forked child that opens /dev/kvm and
 * creates its VM as root, then drops to uid/gid 4243 (with or without the
 * allowed group as a supplementary group), losing every capability, and
 * only then asks for guest_memfds.  Each test restores both sysctls and
 * leaves the pool's accounting as it found it.
 *
 * Needs a guest booted with a pool: a missing pool is a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <linux/kvm.h>
#include <linux/gpool.h>

#include "kselftest_harness.h"
#include "gpool_test.h"

#define SYSCTL_GROUP	"/proc/sys/vm/gpool_group"
#define SYSCTL_LIMIT	"/proc/sys/vm/gpool_user_max_bytes"
#define ALLOWED_GID	4242
#define USER_ID		4243

static void write_sysctl(struct __test_metadata *_metadata, const char *path,
			 const char *val)
{
	int fd = open(path, O_WRONLY);

	ASSERT_GE(fd, 0) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ((ssize_t)strlen(val), write(fd, val, strlen(val)))
		TH_LOG("%s <- %s: %s", path, val, strerror(errno));
	close(fd);
}

static unsigned long long nr_files(void)
{
	return sysfs_ull(GPOOL_SYSFS "/nr_files");
}

/* -errno of KVM_CREATE_GUEST_MEMFD (the fd closed again), or 0. */
static int try_create(int vm_fd, unsigned long long size, bool flag)
{
	struct gpool_create_guest_memfd args = { .size = size };
	int fd;

	if (flag) {
		args.flags = GUEST_MEMFD_FLAG_GPOOL;
		args.folio_shift = GPOOL_FOLIO_SHIFT_2M;
	}
	fd = create_gmem(vm_fd, &args);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/*
 * In a child: drop to USER_ID (in ALLOWED_GID if @in_group) with a VM made
 * as root, and create a 2M file with the flag (@flag) or without.  Returns
 * the errno of the creation (0 for success), and says in @pool_backed
 * whether the file was pool-backed; 100 and up if the child itself failed.
 */
static int as_user(bool in_group, bool flag, bool *pool_backed)
{
	struct gpool_create_guest_memfd args = { .size = SZ_2M };
	gid_t groups[1] = { ALLOWED_GID };
	unsigned long long files;
	int kvm_fd, vm_fd, fd, status, ret;
	pid_t pid;

	if (flag) {
		args.flags = GUEST_MEMFD_FLAG_GPOOL;
		args.folio_shift = GPOOL_FOLIO_SHIFT_2M;
	}
	pid = fork();
	if (!pid) {
		vm_fd = create_vm(&kvm_fd);
		if (vm_fd < 0)
			_exit(101);
		if (setgroups(in_group, groups) ||
		    setresgid(USER_ID, USER_ID, USER_ID) ||
		    setresuid(USER_ID, USER_ID, USER_ID))
			_exit(102);
		files = nr_files();
		fd = create_gmem(vm_fd, &args);
		if (fd < 0)
			_exit(-fd);
		/* 200: created and pool-backed; 0: created, page cache. */
		ret = nr_files() > files ? 200 : 0;
		close(fd);
		_exit(ret);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 199;
	ret = WEXITSTATUS(status);
	if (pool_backed)
		*pool_backed = ret == 200;
	return ret == 200 ? 0 : ret;
}

FIXTURE(access) {
	int kvm_fd;
	int vm_fd;
	struct pool_counts before;
};

FIXTURE_SETUP(access)
{
	ASSERT_TRUE(pool_exists()) TH_LOG("no pool: this boot should have one");
	ASSERT_EQ(0, access(SYSCTL_GROUP, W_OK)) TH_LOG("no vm.gpool_group");
	ASSERT_EQ(0, access(SYSCTL_LIMIT, W_OK)) TH_LOG("no vm.gpool_user_max_bytes");
	self->vm_fd = create_vm(&self->kvm_fd);
	ASSERT_GE(self->vm_fd, 0);
	snapshot(&self->before);
}

FIXTURE_TEARDOWN(access)
{
	struct pool_counts after;

	write_sysctl(_metadata, SYSCTL_GROUP, "-1");
	write_sysctl(_metadata, SYSCTL_LIMIT, "0");
	close(self->vm_fd);
	close(self->kvm_fd);
	snapshot(&after);
	EXPECT_EQ(0, memcmp(self->before.allocated, after.allocated,
			    sizeof(after.allocated)));
	EXPECT_EQ(0, memcmp(self->before.reserved, after.reserved,
			    sizeof(after.reserved)));
}

/* By default every /dev/kvm user may use the pool. */
TEST_F(access, open_by_default)
{
	char buf[32];

	ASSERT_EQ(0, read_str(SYSCTL_GROUP, buf, sizeof(buf)));
	EXPECT_STREQ("-1\n", buf);
	ASSERT_EQ(0, read_str(SYSCTL_LIMIT, buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf);
	EXPECT_EQ(0, as_user(false, true, NULL));
}

/* With a group set, the flag needs the group (or CAP_SYS_ADMIN). */
TEST_F(access, group_restricts_the_flag)
{
	write_sysctl(_metadata, SYSCTL_GROUP, "4242");
	EXPECT_EQ(EPERM, as_user(false, true, NULL));
	EXPECT_EQ(0, as_user(true, true, NULL));
	/* Root keeps CAP_SYS_ADMIN. */
	EXPECT_EQ(0, try_create(self->vm_fd, SZ_2M, true));
}

/* Group ids below -1 are refused and change nothing. */
TEST_F(access, group_below_minus_one)
{
	char buf[32];
	int fd;

	write_sysctl(_metadata, SYSCTL_GROUP, "4242");
	fd = open(SYSCTL_GROUP, O_WRONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, write(fd, "-2", 2));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	ASSERT_EQ(0, read_str(SYSCTL_GROUP, buf, sizeof(buf)));
	EXPECT_STREQ("4242\n", buf);
}

/*
 * Default backing follows the group: a member gets a pool-backed file, a
 * user outside it a page-cache one (and no error).
 */
TEST_F(access, group_and_default_backing)
{
	bool pooled = true;

	if (!default_backing()) {
		/* Without default backing, no flag means the page cache. */
		EXPECT_EQ(0, as_user(true, false, &pooled));
		EXPECT_FALSE(pooled);
		return;
	}
	write_sysctl(_metadata, SYSCTL_GROUP, "4242");
	EXPECT_EQ(0, as_user(false, false, &pooled));
	EXPECT_FALSE(pooled);
	EXPECT_EQ(0, as_user(true, false, &pooled));
	EXPECT_TRUE(pooled);
}

/* One user's files may hold at most vm.gpool_user_max_bytes at once. */
TEST_F(access, user_limit)
{
	struct gpool_create_guest_memfd args = {
		.size = 2 * SZ_2M,
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	int fd, fd2;

	write_sysctl(_metadata, SYSCTL_LIMIT, "4194304");
	fd = create_gmem(self->vm_fd, &args);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	EXPECT_EQ(-EDQUOT, try_create(self->vm_fd, SZ_2M, true));
	if (default_backing())
		EXPECT_EQ(-EDQUOT, try_create(self->vm_fd, SZ_2M, false));
	/* Another user has a limit of its own. */
	EXPECT_EQ(0, as_user(false, true, NULL));
	/* More than the limit at once: refused even with nothing held. */
	close(fd);
	args.size = 3 * SZ_2M;
	EXPECT_EQ(-EDQUOT, create_gmem(self->vm_fd, &args));
	/* Closing gives the bytes back. */
	args.size = 2 * SZ_2M;
	fd2 = create_gmem(self->vm_fd, &args);
	EXPECT_GE(fd2, 0);
	if (fd2 >= 0)
		close(fd2);
}

TEST_HARNESS_MAIN
