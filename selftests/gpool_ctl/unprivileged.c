// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: without CAP_SYS_ADMIN, EPERM for the four ioctls that
 * change the pool, and the three that read it still work.
 */
#include "ctl.h"

/* Take CAP_SYS_ADMIN out of the effective set (it stays permitted). */
static int drop_cap_sys_admin(void)
{
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	struct __user_cap_header_struct hdr;
	int ret;

	ret = get_caps(&hdr, data);
	if (ret)
		return ret;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* What an unprivileged child saw, 0 or -errno each. */
struct unpriv_result {
	int drop;
	int still_admin;
	int grow, shrink, backing_bad, backing_same, zeroing_bad, zeroing_same;
	int info, stats, list;
};

/*
 * A child without CAP_SYS_ADMIN in its effective set: EPERM for GROW,
 * SHRINK, SET_DEFAULT_BACKING and SET_ZEROING, checked before their
 * arguments (all but two of these are invalid); INFO, NODE_STATS and
 * LIST_FILES work on the
 * fd it inherited.
 */
TEST_F(ctl, unprivileged_child)
{
	const struct ctl_env *e = &self->e;
	struct unpriv_result *r;
	union ctl_arg a;
	int status;
	pid_t pid;

	REQUIRE_ADMIN(&self->e);
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	memset(r, 0x7f, sizeof(*r));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		r->drop = drop_cap_sys_admin();
		r->still_admin = has_cap_sys_admin();
		r->grow = resize(e->fd, GPOOL_IOC_GROW, e->first_nid, 0);
		r->shrink = resize(e->fd, GPOOL_IOC_SHRINK, e->first_nid, 0);
		r->backing_bad = set_default_backing(e->fd, 2);
		r->backing_same = set_default_backing(e->fd,
						      default_backing_at_setup(e));
		r->zeroing_bad = set_zeroing(e->fd, 2);
		r->zeroing_same = set_zeroing(e->fd, zeroing_at_setup(e));
		memset(&a, 0, sizeof(a));
		r->info = __gpool_ioctl(e->fd, GPOOL_IOC_INFO, &a.info);
		r->stats = node_stats(e->fd, e->first_nid, &a.stats);
		memset(&a, 0, sizeof(a));
		r->list = __gpool_ioctl(e->fd, GPOOL_IOC_LIST_FILES, &a.list);
		if (r->list == -E2BIG)
			r->list = 0;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_EQ(0, r->drop) TH_LOG("capset: %s", strerror(-r->drop));
	ASSERT_FALSE(r->still_admin) TH_LOG("CAP_SYS_ADMIN is still effective");
	EXPECT_EQ(-EPERM, r->grow);
	EXPECT_EQ(-EPERM, r->shrink);
	EXPECT_EQ(-EPERM, r->backing_bad);
	EXPECT_EQ(-EPERM, r->backing_same);
	EXPECT_EQ(-EPERM, r->zeroing_bad);
	EXPECT_EQ(-EPERM, r->zeroing_same);
	EXPECT_EQ(0, r->info) TH_LOG("INFO: %s", strerror(-r->info));
	EXPECT_EQ(0, r->stats) TH_LOG("NODE_STATS: %s", strerror(-r->stats));
	EXPECT_EQ(0, r->list) TH_LOG("LIST_FILES: %s", strerror(-r->list));
	EXPECT_TRUE(has_cap_sys_admin()) TH_LOG("the drop leaked to the test");
	munmap(r, sizeof(*r));
}
