/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpool_ctl_test: what its parts (the .c files here) share: the ioctl
 * wrappers, the pool's shape as INFO and NODE_STATS tell it, the
 * environment every test starts from and must leave behind, and the ctl
 * fixture that sets it up and tears it down.
 *
 * kselftest_harness.h keeps its list of fixtures static in each
 * translation unit and defines some of its functions without static, so
 * the tests of one binary must be one translation unit: gpool_ctl_test.c
 * includes every part, and each part includes this header (its guard
 * keeps that to once) for the definitions here, FIXTURE(ctl) among them.
 */
#ifndef GPOOL_CTL_H
#define GPOOL_CTL_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/kvm.h>
#include <linux/gpool.h>

#include "kselftest_harness.h"
#include "gpool_test.h"

#define GPOOL_DEV	"/dev/gpool"
#define PAGES_1G	(SZ_1G / SZ_4K)
#define PAGES_2M	(SZ_2M / SZ_4K)
#define MAX_FILES	8
#define CANARY		0xa5

/* Every ioctl argument, so one buffer can hold any of them. */
union ctl_arg {
	struct gpool_info_args info;
	struct gpool_node_stats_args stats;
	struct gpool_resize_args resize;
	struct gpool_default_backing_args backing;
	struct gpool_list_files_args list;
	struct gpool_zeroing_args zeroing;
};

/* The raw ioctl: 0 or -errno. */
static int __gpool_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* The ioctl, asserted to succeed. */
#define gpool_ioctl(fd, cmd, arg) do {					\
	int __ret = __gpool_ioctl(fd, cmd, arg);			\
									\
	ASSERT_EQ(0, __ret) TH_LOG("%s: %s", #cmd, strerror(-__ret));	\
} while (0)

static int node_stats(int fd, __u64 node, struct gpool_node_stats_args *s)
{
	memset(s, 0, sizeof(*s));
	s->node = node;
	return __gpool_ioctl(fd, GPOOL_IOC_NODE_STATS, s);
}

static int resize(int fd, unsigned long cmd, __u64 node, unsigned long long bytes)
{
	struct gpool_resize_args r = { .node = node, .bytes = bytes };

	return __gpool_ioctl(fd, cmd, &r);
}

/* GROW or SHRINK, asserted to succeed. */
#define resize_ok(fd, cmd, nid, bytes) do {				\
	int __ret = resize(fd, cmd, nid, bytes);			\
									\
	ASSERT_EQ(0, __ret) TH_LOG("%s %llu bytes on node %llu: %s", #cmd, \
				   (unsigned long long)(bytes),		\
				   (unsigned long long)(nid),		\
				   strerror(-__ret));			\
} while (0)

static int set_default_backing(int fd, __u64 enable)
{
	struct gpool_default_backing_args a = { .enable = enable };

	return __gpool_ioctl(fd, GPOOL_IOC_SET_DEFAULT_BACKING, &a);
}

static int set_zeroing(int fd, __u64 enable)
{
	struct gpool_zeroing_args a = { .enable = enable };

	return __gpool_ioctl(fd, GPOOL_IOC_SET_ZEROING, &a);
}

/*
 * An on/off switch (@set: set_default_backing(), set_zeroing()) refuses
 * every enable value but 0 and 1 with EINVAL, and changes nothing.
 */
#define EXPECT_SWITCH_REFUSES_BAD_ENABLE(e, set) do {			\
	static const __u64 __bad[] = {					\
		2, 3, 0x80000000, 0xffffffff, 1ULL << 32,		\
		(1ULL << 32) | 1, 1ULL << 63, (1ULL << 63) | 1, ~0ULL,	\
	};								\
	struct gpool_info_args __info = {};				\
	unsigned int __i;						\
									\
	for (__i = 0; __i < ARRAY_SIZE(__bad); __i++) {			\
		EXPECT_EQ(-EINVAL, set((e)->fd, __bad[__i]))		\
			TH_LOG("enable %#llx",				\
			       (unsigned long long)__bad[__i]);		\
	}								\
	gpool_ioctl((e)->fd, GPOOL_IOC_INFO, &__info);			\
	EXPECT_EQ((e)->start.info.pool_flags, __info.pool_flags);	\
} while (0)

/* LIST_FILES into @room entries at @buf; the count in *@nr; -errno. */
static int list_files(int fd, struct gpool_file_info *buf, __u64 room,
		      __u64 *nr)
{
	struct gpool_list_files_args a = {
		.nr_files = room, .files = (uintptr_t)buf,
	};
	int ret;

	ret = __gpool_ioctl(fd, GPOOL_IOC_LIST_FILES, &a);
	*nr = a.nr_files;
	return ret;
}

/*
 * Free pool bytes on a node that a new reservation could take: free units
 * (those out with the zeroer included) at their size, less what is
 * already promised.
 */
static unsigned long long node_free_bytes(const struct gpool_node_stats_args *s)
{
	unsigned long long b = 0;
	int sz;

	for (sz = 0; sz < GPOOL_NR_SIZES; sz++)
		b += (s->size[sz].free + s->size[sz].zeroing) * size_bytes[sz];
	for (sz = 0; sz < GPOOL_NR_SIZES; sz++)
		b -= s->size[sz].reserved * size_bytes[sz];
	return b;
}

/*
 * Free bytes plus frames out of service (bad pages): what the node's
 * memory could hold if no frame had failed.  A shrink can give back a
 * piece with a bad frame in it (the KUnit suite leaves one), so that a
 * shrink and grow of a GiB heals it: capacity is what stays.
 */
static unsigned long long node_capacity_bytes(const struct gpool_node_stats_args *s)
{
	return node_free_bytes(s) + s->bad_pages * SZ_4K;
}

/* The size of the pool as INFO and NODE_STATS tell it. */
struct pool_shape {
	struct gpool_info_args info;
	struct gpool_node_stats_args node[MAX_NODES];
};

static int get_shape(int fd, struct pool_shape *p)
{
	int nid, ret;

	memset(p, 0, sizeof(*p));
	ret = __gpool_ioctl(fd, GPOOL_IOC_INFO, &p->info);
	for (nid = 0; !ret && nid < MAX_NODES; nid++)
		if (p->info.node_mask & (1ULL << nid))
			ret = node_stats(fd, nid, &p->node[nid]);
	return ret;
}

/* Nothing about the pool's memory changed between @a and @b. */
static void expect_same_shape(struct __test_metadata *_metadata,
			      const struct pool_shape *a,
			      const struct pool_shape *b)
{
	int nid, sz;

	EXPECT_EQ(a->info.node_mask, b->info.node_mask);
	EXPECT_EQ(a->info.nr_pages, b->info.nr_pages);
	EXPECT_EQ(a->info.nr_boot_pages, b->info.nr_boot_pages);
	EXPECT_EQ(a->info.nr_ranges, b->info.nr_ranges);
	for (nid = 0; nid < MAX_NODES; nid++) {
		if (!(a->info.node_mask & (1ULL << nid)))
			continue;
		EXPECT_EQ(a->node[nid].nr_pages, b->node[nid].nr_pages)
			TH_LOG("node %d", nid);
		for (sz = 0; sz < GPOOL_NR_SIZES; sz++) {
			EXPECT_EQ(a->node[nid].size[sz].total,
				  b->node[nid].size[sz].total)
				TH_LOG("node %d %s total", nid, sizes[sz]);
		}
		EXPECT_EQ(node_capacity_bytes(&a->node[nid]),
			  node_capacity_bytes(&b->node[nid]))
			TH_LOG("node %d free + bad bytes", nid);
	}
}

/* This thread's capabilities (raw capget(), no libcap); -errno. */
static int get_caps(struct __user_cap_header_struct *hdr,
		    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3])
{
	hdr->version = _LINUX_CAPABILITY_VERSION_3;
	hdr->pid = 0;
	return syscall(SYS_capget, hdr, data) ? -errno : 0;
}

static bool has_cap_sys_admin(void)
{
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	struct __user_cap_header_struct hdr;

	return !get_caps(&hdr, data) &&
	       (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
		CAP_TO_MASK(CAP_SYS_ADMIN));
}

/* What every test starts from and must leave behind. */
struct ctl_env {
	int fd;				/* /dev/gpool */
	int kvm_fd;
	int vm_fd;			/* a KVM_X86_SW_PROTECTED_VM */
	int files[MAX_FILES];		/* guest_memfds open now, or -1 */
	struct pool_shape start;	/* INFO and NODE_STATS at setup */
	struct pool_counts before;	/* sysfs at setup */
	int first_nid;			/* lowest node of info.node_mask */
	int last_nid;			/* highest */
	bool nomap;
	bool admin;			/* CAP_SYS_ADMIN */
	bool boot_shrunk;		/* the test moved boot memory */
};

static bool default_backing_at_setup(const struct ctl_env *e)
{
	return e->start.info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING;
}

static bool zeroing_at_setup(const struct ctl_env *e)
{
	return e->start.info.pool_flags & GPOOL_INFO_F_ZEROING;
}

/* A guest_memfd the teardown closes if the test does not. */
static int new_file(struct ctl_env *e, struct gpool_create_guest_memfd *args)
{
	int fd = create_gmem(e->vm_fd, args), i;

	if (fd < 0)
		return fd;
	for (i = 0; i < MAX_FILES; i++) {
		if (e->files[i] < 0) {
			e->files[i] = fd;
			return fd;
		}
	}
	close(fd);
	return -EMFILE;
}

static void close_file(struct ctl_env *e, int fd)
{
	int i;

	for (i = 0; i < MAX_FILES; i++)
		if (e->files[i] == fd)
			e->files[i] = -1;
	close(fd);
}

static void env_setup(struct __test_metadata *_metadata, struct ctl_env *e)
{
	__u64 mask;
	int i, ret;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->kvm_fd = -1;
	e->vm_fd = -1;
	for (i = 0; i < MAX_FILES; i++)
		e->files[i] = -1;
	if (!pool_exists() && access(GPOOL_DEV, F_OK))
		SKIP(return, "no pool: boot with gpool=...");
	ASSERT_TRUE(pool_exists()) TH_LOG(GPOOL_DEV " exists without a pool");
	e->fd = open(GPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(e->fd, 0) TH_LOG("open " GPOOL_DEV ": %s", strerror(errno));
	e->vm_fd = create_vm(&e->kvm_fd);
	ASSERT_GE(e->vm_fd, 0) TH_LOG("KVM_CREATE_VM: %s", strerror(-e->vm_fd));
	e->admin = has_cap_sys_admin();
	snapshot(&e->before);
	ret = get_shape(e->fd, &e->start);
	ASSERT_EQ(0, ret) TH_LOG("INFO or NODE_STATS: %s", strerror(-ret));
	mask = e->start.info.node_mask;
	ASSERT_NE(0ULL, mask);
	e->first_nid = __builtin_ctzll(mask);
	e->last_nid = 63 - __builtin_clzll(mask);
	e->nomap = e->start.info.pool_flags & GPOOL_INFO_F_NOMAP;
}

/*
 * The counters that do not race the background zeroer come from sysfs;
 * free capacity (free + zeroing, less reserved) from NODE_STATS, which
 * takes it at one instant.
 */
static void env_teardown(struct __test_metadata *_metadata, struct ctl_env *e)
{
	static struct pool_shape end;
	struct pool_counts after;
	long long diff;
	int nid, s, i, ret;

	if (e->fd < 0)
		return;
	for (i = 0; i < MAX_FILES; i++)
		if (e->files[i] >= 0)
			close_file(e, e->files[i]);
	if (e->admin) {
		EXPECT_EQ(0, set_default_backing(e->fd, default_backing_at_setup(e)))
			TH_LOG("restoring the default backing");
		EXPECT_EQ(0, set_zeroing(e->fd, zeroing_at_setup(e)))
			TH_LOG("restoring background zeroing");
	}
	close(e->vm_fd);
	close(e->kvm_fd);

	snapshot(&after);
	ret = get_shape(e->fd, &end);
	EXPECT_EQ(0, ret) TH_LOG("INFO or NODE_STATS: %s", strerror(-ret));
	if (ret) {
		close(e->fd);
		return;
	}
	EXPECT_EQ(e->start.info.pool_flags, end.info.pool_flags);
	EXPECT_EQ(e->start.info.node_mask, end.info.node_mask);
	EXPECT_EQ(e->start.info.nr_pages, end.info.nr_pages);
	if (!e->boot_shrunk) {
		EXPECT_EQ(e->start.info.nr_boot_pages, end.info.nr_boot_pages);
	}
	EXPECT_EQ(e->start.info.nr_ranges, end.info.nr_ranges);
	EXPECT_EQ(e->start.info.nr_files, end.info.nr_files);
	for (nid = 0; nid < MAX_NODES; nid++) {
		EXPECT_EQ(e->before.node[nid], after.node[nid]) TH_LOG("node%d", nid);
		EXPECT_EQ(e->before.nr_pages[nid], after.nr_pages[nid])
			TH_LOG("node%d/nr_pages", nid);
		for (s = 0; s < NR_SIZES; s++) {
			EXPECT_EQ(e->before.total[nid][s], after.total[nid][s])
				TH_LOG("node%d/%s/total", nid, sizes[s]);
			EXPECT_EQ(e->before.allocated[nid][s],
				  after.allocated[nid][s])
				TH_LOG("node%d/%s/allocated", nid, sizes[s]);
			EXPECT_EQ(e->before.reserved[nid][s],
				  after.reserved[nid][s])
				TH_LOG("node%d/%s/reserved", nid, sizes[s]);
		}
		EXPECT_EQ(node_capacity_bytes(&e->start.node[nid]),
			  node_capacity_bytes(&end.node[nid]))
			TH_LOG("node %d free bytes", nid);
	}

	/* Undo what a failed test left grown or shrunk, for the next one. */
	for (nid = 0; e->admin && nid < MAX_NODES; nid++) {
		diff = (long long)(end.node[nid].nr_pages -
				   e->start.node[nid].nr_pages);
		if (!diff)
			continue;
		ret = resize(e->fd, diff > 0 ? GPOOL_IOC_SHRINK : GPOOL_IOC_GROW,
			     nid, (diff > 0 ? diff : -diff) * SZ_4K);
		TH_LOG("node %d was left %lld pages %s: %s them back: %s", nid,
		       diff > 0 ? diff : -diff, diff > 0 ? "larger" : "smaller",
		       diff > 0 ? "shrank" : "grew", strerror(-ret));
	}
	close(e->fd);
}

#define REQUIRE_ADMIN(e) do {						\
	if (!(e)->admin)						\
		SKIP(return, "needs CAP_SYS_ADMIN");			\
} while (0)

#define REQUIRE_RESIZE(e) do {						\
	REQUIRE_ADMIN(e);						\
	if ((e)->nomap)							\
		SKIP(return, "nomap pool: GROW/SHRINK are EOPNOTSUPP "	\
			     "(resize_unsupported_in_nomap)");		\
} while (0)

static unsigned long long sysfs_nr_files(void)
{
	return sysfs_ull(GPOOL_SYSFS "/nr_files");
}

static __u32 info_nr_files(int fd)
{
	struct gpool_info_args info = {};

	return __gpool_ioctl(fd, GPOOL_IOC_INFO, &info) ? ~0U : info.nr_files;
}

/* The last file LIST_FILES reports (the newest), asserted to exist. */
static void last_file(struct __test_metadata *_metadata, int fd,
		      struct gpool_file_info *out)
{
	struct gpool_file_info *buf;
	__u64 room, nr;
	int ret;

	ret = list_files(fd, NULL, 0, &room);
	ASSERT_EQ(-E2BIG, ret) TH_LOG("%s with %llu files", strerror(-ret),
				      (unsigned long long)room);
	room += 4;
	buf = calloc(room, sizeof(*buf));
	ASSERT_NE(NULL, buf);
	ret = list_files(fd, buf, room, &nr);
	if (!ret && nr)
		*out = buf[nr - 1];
	free(buf);
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	ASSERT_LT(0ULL, nr);
}

/*
 * The fixture of one test per behaviour, defined before each_ioctl.c's so
 * that its tests run first.  They run in the order the parts define them,
 * and the parts come in gpool_ctl_test.c's order.
 */
FIXTURE(ctl) {
	struct ctl_env e;
};

FIXTURE_SETUP(ctl)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(ctl)
{
	env_teardown(_metadata, &self->e);
}

#endif /* GPOOL_CTL_H */
