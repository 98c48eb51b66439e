// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: the control file /dev/gpool and its ioctls
 * (include/uapi/linux/gpool.h), checked against the pool's own counters in
 * /sys/kernel/mm/gpool/.
 *
 * - the device: a misc character device, mode 0600, that exists exactly
 *   when the pool does;
 * - every ioctl: each of the 64 flag bits and each reserved word (for
 *   NODE_STATS each unused word too) is EINVAL; a bad pointer is EFAULT; an
 *   unknown number or a known number with a wrong size is ENOTTY;
 *   output-only fields are ignored on input; reserved words come back zero;
 * - INFO and NODE_STATS report what sysfs reports, node by node;
 * - GROW and SHRINK: their argument errors; in default mode what they add
 *   and take away, all or nothing, that grown memory backs files, that
 *   held memory cannot be shrunk, that boot memory can be shrunk and grown
 *   back; EOPNOTSUPP in nomap mode;
 * - SET_DEFAULT_BACKING: a guest_memfd created without the flag is
 *   pool-backed while it is on and not while it is off;
 * - LIST_FILES: the count alone, E2BIG without writing, creation order,
 *   every field of an entry, the units a file holds as it is allocated and
 *   punched, a child's pid and name;
 * - without CAP_SYS_ADMIN: EPERM for the three that change the pool, and
 *   the three that read it still work.
 *
 * Two fixtures: ctl, one test per behaviour, and each_ioctl, the argument
 * checks once per ioctl (variants info, node_stats, grow, shrink,
 * set_default_backing, list_files).  Both leave the pool as they found it:
 * the teardown closes the files a failed test left open, restores the
 * default backing, compares the counters with those at setup (sysfs for
 * those the background zeroer does not move, NODE_STATS for free capacity,
 * which it takes at one instant), and gives back or takes back memory a
 * failed test left grown or shrunk.  ctl's last test shrinks boot memory
 * and grows it back, so nr_boot_pages < nr_pages after it.
 *
 * Needs a guest booted with a pool (gpool=...) and root: skips without a
 * pool, and skips what needs CAP_SYS_ADMIN without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <linux/gpool.h>

#include "kselftest_harness.h"
#include "gpool_test.h"

#define GPOOL_DEV	"/dev/gpool"
#define MISC_MAJOR	10
#define PAGES_1G	(SZ_1G / SZ_4K)
#define PAGES_2M	(SZ_2M / SZ_4K)
#define MAX_FILES	8
#define CANARY		0xa5

/* Values swept through each reserved word: low, middle and high bits. */
static const int reserved_bits[] = { 0, 31, 32, 63 };

/* Every ioctl argument, so one buffer can hold any of them. */
union ctl_arg {
	struct gpool_info_args info;
	struct gpool_node_stats_args stats;
	struct gpool_resize_args resize;
	struct gpool_default_backing_args backing;
	struct gpool_list_files_args list;
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

/* The fields of struct gpool_size_stats, by their sysfs names. */
static const struct {
	const char *name;
	size_t off;
} size_fields[] = {
#define SIZE_FIELD(f) { #f, offsetof(struct gpool_size_stats, f) }
	SIZE_FIELD(total), SIZE_FIELD(free), SIZE_FIELD(zero),
	SIZE_FIELD(zeroing), SIZE_FIELD(allocated), SIZE_FIELD(reserved),
	SIZE_FIELD(split), SIZE_FIELD(nr_splits), SIZE_FIELD(nr_merges),
#undef SIZE_FIELD
};

static __u64 size_field(const struct gpool_size_stats *s, int i)
{
	return *(const __u64 *)((const char *)s + size_fields[i].off);
}

/* Node @nid's sysfs counters, in NODE_STATS's layout. */
static void read_node_sysfs(int nid, struct gpool_node_stats_args *s)
{
	int sz, i;

	memset(s, 0, sizeof(*s));
	s->node = nid;
	s->nr_pages = node_stat(nid, "nr_pages");
	s->bad_pages = node_stat(nid, "bad_pages");
	s->poison_pending = node_stat(nid, "poison_pending");
	for (sz = 0; sz < GPOOL_NR_SIZES; sz++)
		for (i = 0; i < (int)ARRAY_SIZE(size_fields); i++)
			*(__u64 *)((char *)&s->size[sz] + size_fields[i].off) =
				stat_of(nid, sz, size_fields[i].name);
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

/* A node with a free 1G unit nobody has reserved, or -1. */
static int node_with_free_1g_unit(const struct pool_shape *p)
{
	const struct gpool_size_stats *g;
	int nid;

	for (nid = 0; nid < MAX_NODES; nid++) {
		g = &p->node[nid].size[GPOOL_SIZE_1G];
		if ((p->info.node_mask & (1ULL << nid)) &&
		    g->free + g->zeroing > g->reserved)
			return nid;
	}
	return -1;
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

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

static bool is_canary(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != CANARY)
			return false;
	return true;
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

/* The device node, with or without a pool. */
TEST(device_node)
{
	bool dev = !access(GPOOL_DEV, F_OK), sys = pool_exists();
	struct stat st;

	if (!dev && !sys)
		SKIP(return, "no pool: boot with gpool=...");
	ASSERT_EQ(sys, dev) TH_LOG(GPOOL_SYSFS " %s, " GPOOL_DEV " %s",
				   sys ? "exists" : "missing",
				   dev ? "exists" : "missing");
	ASSERT_EQ(0, stat(GPOOL_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(MISC_MAJOR, (int)major(st.st_rdev));
	EXPECT_EQ(0600U, st.st_mode & 07777);
}

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

/*
 * The per-ioctl argument checks, one variant per ioctl.  @changes: the
 * ioctl changes the pool (needs CAP_SYS_ADMIN, and its valid argument is
 * never issued as is).
 */
FIXTURE(each_ioctl) {
	struct ctl_env e;
};

FIXTURE_VARIANT(each_ioctl) {
	unsigned long cmd;
	unsigned int size;
	unsigned int reserved;		/* offset of reserved[] */
	unsigned int nr_reserved;
	bool changes;
};

#define IOCTL_VARIANT(name, _cmd, type, _changes)			\
	FIXTURE_VARIANT_ADD(each_ioctl, name) {				\
		.cmd = _cmd,						\
		.size = sizeof(type),					\
		.reserved = offsetof(type, reserved),			\
		.nr_reserved = sizeof(((type *)0)->reserved) / sizeof(__u64), \
		.changes = _changes,					\
	}

IOCTL_VARIANT(info, GPOOL_IOC_INFO, struct gpool_info_args, false);
IOCTL_VARIANT(node_stats, GPOOL_IOC_NODE_STATS, struct gpool_node_stats_args, false);
IOCTL_VARIANT(grow, GPOOL_IOC_GROW, struct gpool_resize_args, true);
IOCTL_VARIANT(shrink, GPOOL_IOC_SHRINK, struct gpool_resize_args, true);
IOCTL_VARIANT(set_default_backing, GPOOL_IOC_SET_DEFAULT_BACKING,
	      struct gpool_default_backing_args, true);
IOCTL_VARIANT(list_files, GPOOL_IOC_LIST_FILES, struct gpool_list_files_args, false);

FIXTURE_SETUP(each_ioctl)
{
	env_setup(_metadata, &self->e);
	if (!_metadata->exit_code && variant->changes)
		REQUIRE_ADMIN(&self->e);
}

FIXTURE_TEARDOWN(each_ioctl)
{
	env_teardown(_metadata, &self->e);
}

/*
 * An argument that passes every check: GROW and SHRINK 2 MiB on the first
 * node, SET_DEFAULT_BACKING to what it already is, LIST_FILES for the count.
 */
static void valid_arg(const struct ctl_env *e, unsigned long cmd,
		      union ctl_arg *a)
{
	memset(a, 0, sizeof(*a));
	switch (cmd) {
	case GPOOL_IOC_NODE_STATS:
		a->stats.node = e->first_nid;
		break;
	case GPOOL_IOC_GROW:
	case GPOOL_IOC_SHRINK:
		a->resize.node = e->first_nid;
		a->resize.bytes = SZ_2M;
		break;
	case GPOOL_IOC_SET_DEFAULT_BACKING:
		a->backing.enable = default_backing_at_setup(e);
		break;
	}
}

/* The flags word leads every argument. */
static __u64 *flags_of(union ctl_arg *a)
{
	return (__u64 *)a;
}

static __u64 *reserved_of(union ctl_arg *a, unsigned int off)
{
	return (__u64 *)((char *)a + off);
}

/* The valid argument works (a count-only LIST_FILES may be E2BIG). */
static void expect_valid_arg_works(struct __test_metadata *_metadata,
				   const struct ctl_env *e, unsigned long cmd)
{
	union ctl_arg a;
	int ret;

	valid_arg(e, cmd, &a);
	ret = __gpool_ioctl(e->fd, cmd, &a);
	if (cmd == GPOOL_IOC_LIST_FILES && ret == -E2BIG)
		ret = 0;
	ASSERT_EQ(0, ret) TH_LOG("the valid argument: %s", strerror(-ret));
}

TEST_F(each_ioctl, flags_sweep)
{
	union ctl_arg a;
	int bit;

	if (!variant->changes)
		expect_valid_arg_works(_metadata, &self->e, variant->cmd);
	for (bit = 0; bit < 64; bit++) {
		valid_arg(&self->e, variant->cmd, &a);
		*flags_of(&a) = 1ULL << bit;
		EXPECT_EQ(-EINVAL, __gpool_ioctl(self->e.fd, variant->cmd, &a))
			TH_LOG("flag bit %d", bit);
	}
}

TEST_F(each_ioctl, reserved_sweep)
{
	union ctl_arg a;
	unsigned int w, b, i, j;

	if (!variant->changes)
		expect_valid_arg_works(_metadata, &self->e, variant->cmd);
	for (w = 0; w < variant->nr_reserved; w++) {
		for (b = 0; b < ARRAY_SIZE(reserved_bits); b++) {
			valid_arg(&self->e, variant->cmd, &a);
			reserved_of(&a, variant->reserved)[w] = 1ULL << reserved_bits[b];
			EXPECT_EQ(-EINVAL, __gpool_ioctl(self->e.fd, variant->cmd, &a))
				TH_LOG("reserved[%u] bit %d", w, reserved_bits[b]);
		}
	}
	if (variant->cmd != GPOOL_IOC_NODE_STATS)
		return;
	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		for (j = 0; j < ARRAY_SIZE(a.stats.size[i].unused); j++) {
			for (b = 0; b < ARRAY_SIZE(reserved_bits); b++) {
				valid_arg(&self->e, variant->cmd, &a);
				a.stats.size[i].unused[j] = 1ULL << reserved_bits[b];
				EXPECT_EQ(-EINVAL, __gpool_ioctl(self->e.fd,
								 variant->cmd, &a))
					TH_LOG("size[%u].unused[%u] bit %d", i, j,
					       reserved_bits[b]);
			}
		}
	}
}

/*
 * EFAULT for NULL, for an unmapped page, for an argument that runs into
 * one, and, for the ioctls that write the argument back, for a read-only
 * one.
 */
TEST_F(each_ioctl, bad_pointer_is_efault)
{
	const long page = sysconf(_SC_PAGESIZE);
	const unsigned long cmd = variant->cmd;
	union ctl_arg a;
	char *map, *arg;

	EXPECT_EQ(-EFAULT, __gpool_ioctl(self->e.fd, cmd, NULL));

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + page, page));
	EXPECT_EQ(-EFAULT, __gpool_ioctl(self->e.fd, cmd, map + page));

	/* All but the last word readable. */
	valid_arg(&self->e, cmd, &a);
	arg = map + page - variant->size + sizeof(__u64);
	memcpy(arg, &a, variant->size - sizeof(__u64));
	EXPECT_EQ(-EFAULT, __gpool_ioctl(self->e.fd, cmd, arg));

	if (_IOC_DIR(cmd) & _IOC_READ) {
		memcpy(map, &a, variant->size);
		ASSERT_EQ(0, mprotect(map, page, PROT_READ));
		EXPECT_EQ(-EFAULT, __gpool_ioctl(self->e.fd, cmd, map))
			TH_LOG("read-only argument");
	}
	munmap(map, page);
}

static unsigned long with_size(unsigned long cmd, unsigned int size)
{
	return (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
	       ((unsigned long)size << _IOC_SIZESHIFT);
}

/* The ioctl's number with any other size in it is no ioctl at all. */
TEST_F(each_ioctl, wrong_size_is_enotty)
{
	const unsigned int size = variant->size;
	const unsigned int wrong[] = {
		0, sizeof(__u64), size - sizeof(__u64), size + sizeof(__u64),
		2 * size,
	};
	union {
		union ctl_arg a;
		char bytes[4096];
	} buf;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(wrong); i++) {
		memset(&buf, 0, sizeof(buf));
		valid_arg(&self->e, variant->cmd, &buf.a);
		EXPECT_EQ(-ENOTTY, __gpool_ioctl(self->e.fd,
						 with_size(variant->cmd, wrong[i]),
						 &buf))
			TH_LOG("size %u instead of %u", wrong[i], size);
	}
}

/* Numbers after the last ioctl, with the magic of ours. */
TEST_F(ctl, unknown_ioctl_is_enotty)
{
	const unsigned long cmds[] = {
		_IO(GPOOL_IOC_MAGIC, 0x06),
		_IOWR(GPOOL_IOC_MAGIC, 0x06, struct gpool_info_args),
		_IOW(GPOOL_IOC_MAGIC, 0x07, struct gpool_resize_args),
		_IOR(GPOOL_IOC_MAGIC, 0x80, __u64),
		_IOWR(GPOOL_IOC_MAGIC, 0xff, struct gpool_list_files_args),
	};
	char buf[4096] = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-ENOTTY, __gpool_ioctl(self->e.fd, cmds[i], buf))
			TH_LOG("cmd %#lx", cmds[i]);
	}
}

TEST_F(ctl, info_matches_sysfs)
{
	const __u64 known = GPOOL_INFO_F_NOMAP | GPOOL_INFO_F_DEFAULT_BACKING |
			    GPOOL_INFO_F_CAN_RESIZE;
	struct gpool_info_args info = {};
	unsigned long long pages = 0, v;
	char mode[32];
	bool nomap;
	int nid;
	unsigned int w;

	gpool_ioctl(self->e.fd, GPOOL_IOC_INFO, &info);

	ASSERT_EQ(0, read_str(GPOOL_SYSFS "/mode", mode, sizeof(mode)));
	nomap = !strcmp(mode, "nomap\n");
	EXPECT_EQ(nomap, !!(info.pool_flags & GPOOL_INFO_F_NOMAP));
	EXPECT_EQ(!nomap, !!(info.pool_flags & GPOOL_INFO_F_CAN_RESIZE));
	ASSERT_EQ(0, read_ull(GPOOL_SYSFS "/default_backing", &v));
	EXPECT_EQ(v == 1, !!(info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING));
	EXPECT_EQ(0ULL, info.pool_flags & ~known);

	for (nid = 0; nid < MAX_NODES; nid++) {
		EXPECT_EQ(node_dir_exists(nid), !!(info.node_mask & (1ULL << nid)))
			TH_LOG("node %d", nid);
		if (node_dir_exists(nid))
			pages += node_stat(nid, "nr_pages");
	}
	EXPECT_EQ(pages, info.nr_pages);
	/*
	 * Boot memory is part of the pool, in whole 2 MiB blocks; it is less
	 * than the whole once shrink_boot_memory_and_grow_back has run in
	 * this boot.
	 */
	EXPECT_LE(info.nr_boot_pages, info.nr_pages);
	EXPECT_EQ(0ULL, info.nr_boot_pages % PAGES_2M);
	EXPECT_LT(0ULL, info.metadata_bytes);
	EXPECT_LT(0U, info.nr_ranges);
	ASSERT_EQ(0, read_ull(GPOOL_SYSFS "/nr_files", &v));
	EXPECT_EQ(v, info.nr_files);
	for (w = 0; w < ARRAY_SIZE(info.reserved); w++) {
		EXPECT_EQ(0ULL, info.reserved[w]) TH_LOG("reserved[%u]", w);
	}
}

/* Garbage in the output fields of INFO and NODE_STATS changes nothing. */
TEST_F(ctl, output_fields_ignored_on_input)
{
	struct gpool_node_stats_args sref, stats;
	struct gpool_info_args ref = {}, info;
	int nid = self->e.first_nid, sz;

	gpool_ioctl(self->e.fd, GPOOL_IOC_INFO, &ref);
	memset(&info, CANARY, sizeof(info));
	info.flags = 0;
	memset(info.reserved, 0, sizeof(info.reserved));
	gpool_ioctl(self->e.fd, GPOOL_IOC_INFO, &info);
	EXPECT_EQ(ref.pool_flags, info.pool_flags);
	EXPECT_EQ(ref.node_mask, info.node_mask);
	EXPECT_EQ(ref.nr_pages, info.nr_pages);
	EXPECT_EQ(ref.nr_boot_pages, info.nr_boot_pages);
	EXPECT_EQ(ref.nr_ranges, info.nr_ranges);
	EXPECT_EQ(ref.nr_files, info.nr_files);
	EXPECT_LT(0ULL, info.metadata_bytes);
	EXPECT_NE(0xa5a5a5a5a5a5a5a5ULL, info.metadata_bytes);
	EXPECT_TRUE(all_zero(info.reserved, sizeof(info.reserved)));

	ASSERT_EQ(0, node_stats(self->e.fd, nid, &sref));
	memset(&stats, CANARY, sizeof(stats));
	stats.flags = 0;
	stats.node = nid;
	for (sz = 0; sz < GPOOL_NR_SIZES; sz++)
		memset(stats.size[sz].unused, 0, sizeof(stats.size[sz].unused));
	memset(stats.reserved, 0, sizeof(stats.reserved));
	gpool_ioctl(self->e.fd, GPOOL_IOC_NODE_STATS, &stats);
	EXPECT_EQ(sref.nr_pages, stats.nr_pages);
	EXPECT_EQ(sref.bad_pages, stats.bad_pages);
	EXPECT_EQ(sref.poison_pending, stats.poison_pending);
	for (sz = 0; sz < GPOOL_NR_SIZES; sz++) {
		EXPECT_EQ(sref.size[sz].total, stats.size[sz].total);
		EXPECT_EQ(sref.size[sz].allocated, stats.size[sz].allocated);
		EXPECT_EQ(sref.size[sz].reserved, stats.size[sz].reserved);
		EXPECT_EQ(sref.size[sz].split, stats.size[sz].split);
		EXPECT_EQ(sref.size[sz].free + sref.size[sz].zeroing,
			  stats.size[sz].free + stats.size[sz].zeroing);
		EXPECT_TRUE(all_zero(stats.size[sz].unused,
				     sizeof(stats.size[sz].unused)));
	}
	EXPECT_TRUE(all_zero(stats.reserved, sizeof(stats.reserved)));
}

static unsigned long long sysfs_nr_files(void)
{
	return sysfs_ull(GPOOL_SYSFS "/nr_files");
}

static __u32 info_nr_files(int fd)
{
	struct gpool_info_args info = {};

	return __gpool_ioctl(fd, GPOOL_IOC_INFO, &info) ? ~0U : info.nr_files;
}

/* nr_files follows pool-backed guest_memfds as they open and close. */
TEST_F(ctl, info_counts_files)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	const __u32 n0 = self->e.start.info.nr_files;
	int fd[2], i;

	for (i = 0; i < 2; i++) {
		fd[i] = new_file(&self->e, &args);
		ASSERT_GE(fd[i], 0) TH_LOG("%s", strerror(-fd[i]));
		EXPECT_EQ(n0 + i + 1, info_nr_files(self->e.fd));
		EXPECT_EQ(n0 + i + 1, sysfs_nr_files());
	}
	close_file(&self->e, fd[1]);
	EXPECT_EQ(n0 + 1, info_nr_files(self->e.fd));
	EXPECT_EQ(n0 + 1, sysfs_nr_files());
	close_file(&self->e, fd[0]);
	EXPECT_EQ(n0, info_nr_files(self->e.fd));
	EXPECT_EQ(n0, sysfs_nr_files());
}

/*
 * Every counter of every node equals its sysfs file.  NODE_STATS is read
 * before and after the files; when the two agree, nothing moved while the
 * files were read and all of them must match, free and zeroing included.
 */
TEST_F(ctl, node_stats_match_sysfs)
{
	struct gpool_node_stats_args a, b, s;
	int nid, sz, i, try;
	unsigned int w;

	for (nid = 0; nid < MAX_NODES; nid++) {
		if (!(self->e.start.info.node_mask & (1ULL << nid)))
			continue;
		for (try = 0; try < 100; try++) {
			ASSERT_EQ(0, node_stats(self->e.fd, nid, &a));
			read_node_sysfs(nid, &s);
			ASSERT_EQ(0, node_stats(self->e.fd, nid, &b));
			if (!memcmp(&a, &b, sizeof(a)))
				break;
			usleep(100000);
		}
		ASSERT_LT(try, 100) TH_LOG("node %d never held still", nid);

		EXPECT_EQ(s.nr_pages, a.nr_pages) TH_LOG("node%d/nr_pages", nid);
		EXPECT_EQ(s.bad_pages, a.bad_pages) TH_LOG("node%d/bad_pages", nid);
		EXPECT_EQ(s.poison_pending, a.poison_pending)
			TH_LOG("node%d/poison_pending", nid);
		for (sz = 0; sz < GPOOL_NR_SIZES; sz++) {
			for (i = 0; i < (int)ARRAY_SIZE(size_fields); i++) {
				EXPECT_EQ(size_field(&s.size[sz], i),
					  size_field(&a.size[sz], i))
					TH_LOG("node%d/%s/%s", nid, sizes[sz],
					       size_fields[i].name);
			}
			for (w = 0; w < ARRAY_SIZE(a.size[sz].unused); w++) {
				EXPECT_EQ(0ULL, a.size[sz].unused[w]);
			}
		}
		for (w = 0; w < ARRAY_SIZE(a.reserved); w++) {
			EXPECT_EQ(0ULL, a.reserved[w]);
		}
	}
}

TEST_F(ctl, node_stats_bad_node)
{
	const __u64 too_big[] = {
		64, 65, 1024, 0x7fffffff, 0xffffffff, 1ULL << 32,
		(1ULL << 32) | self->e.first_nid, 1ULL << 63, ~0ULL,
	};
	struct gpool_node_stats_args s;
	unsigned int i;
	int nid;

	for (i = 0; i < ARRAY_SIZE(too_big); i++) {
		EXPECT_EQ(-EINVAL, node_stats(self->e.fd, too_big[i], &s))
			TH_LOG("node %#llx", (unsigned long long)too_big[i]);
	}
	for (nid = 0; nid < MAX_NODES; nid++) {
		if (!(self->e.start.info.node_mask & (1ULL << nid))) {
			EXPECT_EQ(-ENOENT, node_stats(self->e.fd, nid, &s))
				TH_LOG("node %d", nid);
		}
	}
}

/* A node id below 64 that the machine does not have, or -1. */
static int absent_node(void)
{
	char path[64];
	int nid;

	for (nid = MAX_NODES - 1; nid >= 0; nid--) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", nid);
		if (access(path, F_OK))
			return nid;
	}
	return -1;
}

TEST_F(ctl, resize_bad_arguments)
{
	static const unsigned long long bad_bytes[] = {
		0, 1, SZ_4K, SZ_2M - SZ_4K, SZ_2M + SZ_4K, SZ_1G + SZ_4K,
	};
	const int nid = self->e.first_nid, none = absent_node();
	const __u64 too_big[] = {
		64, 65, 0x7fffffff, 0xffffffff, 1ULL << 32,
		(1ULL << 32) | nid, 1ULL << 63, ~0ULL,
	};
	struct pool_shape a, b;
	unsigned int i;
	int n;

	REQUIRE_RESIZE(&self->e);
	ASSERT_EQ(0, get_shape(self->e.fd, &a));
	for (i = 0; i < ARRAY_SIZE(bad_bytes); i++) {
		EXPECT_EQ(-EINVAL, resize(self->e.fd, GPOOL_IOC_GROW, nid, bad_bytes[i]))
			TH_LOG("GROW %llu bytes", bad_bytes[i]);
		EXPECT_EQ(-EINVAL, resize(self->e.fd, GPOOL_IOC_SHRINK, nid, bad_bytes[i]))
			TH_LOG("SHRINK %llu bytes", bad_bytes[i]);
	}
	for (i = 0; i < ARRAY_SIZE(too_big); i++) {
		EXPECT_EQ(-EINVAL, resize(self->e.fd, GPOOL_IOC_GROW, too_big[i], SZ_2M))
			TH_LOG("GROW on node %#llx", (unsigned long long)too_big[i]);
		EXPECT_EQ(-EINVAL, resize(self->e.fd, GPOOL_IOC_SHRINK, too_big[i], SZ_2M))
			TH_LOG("SHRINK on node %#llx", (unsigned long long)too_big[i]);
	}
	if (none >= 0) {
		EXPECT_EQ(-EINVAL, resize(self->e.fd, GPOOL_IOC_GROW, none, SZ_2M))
			TH_LOG("GROW on node %d, which has no memory", none);
	}
	for (n = 0; n < MAX_NODES; n++) {
		if (!(self->e.start.info.node_mask & (1ULL << n))) {
			EXPECT_EQ(-ENOENT, resize(self->e.fd, GPOOL_IOC_SHRINK, n, SZ_2M))
				TH_LOG("SHRINK on node %d, not in the pool", n);
		}
	}
	ASSERT_EQ(0, get_shape(self->e.fd, &b));
	expect_same_shape(_metadata, &a, &b);
}

TEST_F(ctl, resize_unsupported_in_nomap)
{
	struct pool_shape a, b;

	REQUIRE_ADMIN(&self->e);
	if (!self->e.nomap)
		SKIP(return, "default mode: the grow and shrink tests cover it");
	EXPECT_FALSE(!!(self->e.start.info.pool_flags & GPOOL_INFO_F_CAN_RESIZE));
	ASSERT_EQ(0, get_shape(self->e.fd, &a));
	EXPECT_EQ(-EOPNOTSUPP, resize(self->e.fd, GPOOL_IOC_GROW,
				      self->e.first_nid, SZ_2M));
	EXPECT_EQ(-EOPNOTSUPP, resize(self->e.fd, GPOOL_IOC_SHRINK,
				      self->e.first_nid, SZ_2M));
	ASSERT_EQ(0, get_shape(self->e.fd, &b));
	expect_same_shape(_metadata, &a, &b);
}

/*
 * GROW 1 GiB: one more 1G unit on the node, and a file bound there that
 * needs it fails before and fits after.  SHRINK 1 GiB takes it all back.
 *
 * Whether a node has a whole free GiB that nothing unmovable sits in
 * depends on where early boot put its allocations (the debug kernel's
 * KASAN shadow fills a node's top GiBs): try every pool node, in order,
 * and fail only if none has one.  A node that cannot must leave the pool
 * as it was (ENOMEM is all or nothing).
 */
TEST_F_TIMEOUT(ctl, grow_1g_adds_usable_memory, 180)
{
	struct gpool_create_guest_memfd big = {
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_1G,
		.numa_mode = GPOOL_NUMA_BIND,
	};
	struct pool_shape a, b, c;
	int fd, n, nid, ret = -ENOMEM;

	REQUIRE_RESIZE(&self->e);
	ASSERT_EQ(0, get_shape(self->e.fd, &a));
	for (nid = 0; nid < MAX_NODES; nid++) {
		if (!(a.info.node_mask & (1ULL << nid)))
			continue;
		big.numa_nodes = 1ULL << nid;
		big.size = node_free_bytes(&a.node[nid]) + SZ_1G;
		fd = new_file(&self->e, &big);
		EXPECT_EQ(-ENOMEM, fd) TH_LOG("%llu bytes on node %d before GROW",
					      (unsigned long long)big.size, nid);
		if (fd >= 0)
			close_file(&self->e, fd);

		ret = resize(self->e.fd, GPOOL_IOC_GROW, nid, SZ_1G);
		if (ret != -ENOMEM)
			break;
		TH_LOG("node %d has no free, aligned GiB", nid);
		ASSERT_EQ(0, get_shape(self->e.fd, &b));
		expect_same_shape(_metadata, &a, &b);
	}
	ASSERT_EQ(0, ret) TH_LOG("GPOOL_IOC_GROW of 1 GiB failed on every node: %s",
				 strerror(-ret));

	ASSERT_EQ(0, get_shape(self->e.fd, &b));
	EXPECT_EQ(a.info.nr_pages + PAGES_1G, b.info.nr_pages);
	EXPECT_EQ(a.info.nr_boot_pages, b.info.nr_boot_pages);
	EXPECT_EQ(a.info.nr_ranges + 1, b.info.nr_ranges);
	EXPECT_EQ(a.node[nid].nr_pages + PAGES_1G, b.node[nid].nr_pages);
	EXPECT_EQ(a.node[nid].size[GPOOL_SIZE_1G].total + 1,
		  b.node[nid].size[GPOOL_SIZE_1G].total);
	EXPECT_EQ(node_free_bytes(&a.node[nid]) + SZ_1G,
		  node_free_bytes(&b.node[nid]));
	for (n = 0; n < MAX_NODES; n++) {
		if (n != nid) {
			EXPECT_EQ(a.node[n].nr_pages, b.node[n].nr_pages)
				TH_LOG("node %d", n);
		}
	}

	fd = new_file(&self->e, &big);
	EXPECT_GE(fd, 0) TH_LOG("%llu bytes on node %d after GROW: %s",
				(unsigned long long)big.size, nid, strerror(-fd));
	if (fd >= 0)
		close_file(&self->e, fd);

	resize_ok(self->e.fd, GPOOL_IOC_SHRINK, nid, SZ_1G);
	ASSERT_EQ(0, get_shape(self->e.fd, &c));
	expect_same_shape(_metadata, &a, &c);
}

/* GROW 2 MiB: one 2 MiB block, no 1G unit; SHRINK takes it back. */
TEST_F_TIMEOUT(ctl, grow_2m_and_shrink_back, 120)
{
	const int nid = self->e.first_nid;
	struct pool_shape a, b, c;

	REQUIRE_RESIZE(&self->e);
	ASSERT_EQ(0, get_shape(self->e.fd, &a));
	resize_ok(self->e.fd, GPOOL_IOC_GROW, nid, SZ_2M);
	ASSERT_EQ(0, get_shape(self->e.fd, &b));
	EXPECT_EQ(a.info.nr_pages + PAGES_2M, b.info.nr_pages);
	EXPECT_EQ(a.info.nr_boot_pages, b.info.nr_boot_pages);
	EXPECT_EQ(a.info.nr_ranges + 1, b.info.nr_ranges);
	EXPECT_EQ(a.node[nid].nr_pages + PAGES_2M, b.node[nid].nr_pages);
	EXPECT_EQ(a.node[nid].size[GPOOL_SIZE_1G].total,
		  b.node[nid].size[GPOOL_SIZE_1G].total);
	EXPECT_EQ(a.node[nid].size[GPOOL_SIZE_2M].total + 1,
		  b.node[nid].size[GPOOL_SIZE_2M].total);
	EXPECT_EQ(node_free_bytes(&a.node[nid]) + SZ_2M,
		  node_free_bytes(&b.node[nid]));

	resize_ok(self->e.fd, GPOOL_IOC_SHRINK, nid, SZ_2M);
	ASSERT_EQ(0, get_shape(self->e.fd, &c));
	expect_same_shape(_metadata, &a, &c);
}

/* 64 GiB cannot come from an 8 GiB machine: ENOMEM, and nothing taken. */
TEST_F_TIMEOUT(ctl, grow_is_all_or_nothing, 180)
{
	struct pool_shape a, b;

	REQUIRE_RESIZE(&self->e);
	ASSERT_EQ(0, get_shape(self->e.fd, &a));
	EXPECT_EQ(-ENOMEM, resize(self->e.fd, GPOOL_IOC_GROW, self->e.first_nid,
				  64 * SZ_1G));
	ASSERT_EQ(0, get_shape(self->e.fd, &b));
	expect_same_shape(_metadata, &a, &b);
}

/*
 * SHRINK more than the node's free pool memory: first more than the node
 * has at all, then, with 2 MiB of it reserved, exactly what it has.
 */
TEST_F_TIMEOUT(ctl, shrink_more_than_free_is_ebusy, 120)
{
	const int nid = self->e.first_nid;
	struct gpool_create_guest_memfd hold = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
		.numa_mode = GPOOL_NUMA_BIND, .numa_nodes = 1ULL << nid,
	};
	unsigned long long bytes;
	struct pool_shape a, b;
	int fd;

	REQUIRE_RESIZE(&self->e);
	ASSERT_EQ(0, get_shape(self->e.fd, &a));
	bytes = (node_free_bytes(&a.node[nid]) + SZ_2M) & ~(SZ_2M - 1);
	EXPECT_EQ(-EBUSY, resize(self->e.fd, GPOOL_IOC_SHRINK, nid, bytes))
		TH_LOG("%llu bytes off node %d", bytes, nid);
	ASSERT_EQ(0, get_shape(self->e.fd, &b));
	expect_same_shape(_metadata, &a, &b);

	fd = new_file(&self->e, &hold);
	ASSERT_GE(fd, 0) TH_LOG("2 MiB on node %d: %s", nid, strerror(-fd));
	ASSERT_EQ(0, get_shape(self->e.fd, &a));
	bytes = (a.node[nid].nr_pages * SZ_4K) & ~(SZ_2M - 1);
	EXPECT_EQ(-EBUSY, resize(self->e.fd, GPOOL_IOC_SHRINK, nid, bytes))
		TH_LOG("%llu bytes off node %d with 2 MiB reserved", bytes, nid);
	ASSERT_EQ(0, get_shape(self->e.fd, &b));
	expect_same_shape(_metadata, &a, &b);
	close_file(&self->e, fd);
}

/*
 * Grow 2 MiB and reserve all of the node's free memory: the growth cannot
 * be shrunk while the file holds it, and can once the file is closed.
 * 2 MiB, not 1 GiB: the point is the reservation, and the 1 GiB block the
 * tests before gave back may already hold unmovable pages.
 */
TEST_F_TIMEOUT(ctl, shrink_reserved_growth_is_ebusy, 180)
{
	const int nid = self->e.first_nid;
	struct gpool_create_guest_memfd all = {
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_1G,
		.numa_mode = GPOOL_NUMA_BIND, .numa_nodes = 1ULL << nid,
	};
	struct pool_shape a, b, c;
	int fd;

	REQUIRE_RESIZE(&self->e);
	ASSERT_EQ(0, get_shape(self->e.fd, &a));
	resize_ok(self->e.fd, GPOOL_IOC_GROW, nid, SZ_2M);
	ASSERT_EQ(0, get_shape(self->e.fd, &b));
	all.size = node_free_bytes(&b.node[nid]);
	fd = new_file(&self->e, &all);
	ASSERT_GE(fd, 0) TH_LOG("%llu bytes on node %d: %s",
				(unsigned long long)all.size, nid, strerror(-fd));

	ASSERT_EQ(0, get_shape(self->e.fd, &b));
	EXPECT_EQ(-EBUSY, resize(self->e.fd, GPOOL_IOC_SHRINK, nid, SZ_2M));
	ASSERT_EQ(0, get_shape(self->e.fd, &c));
	expect_same_shape(_metadata, &b, &c);

	close_file(&self->e, fd);
	resize_ok(self->e.fd, GPOOL_IOC_SHRINK, nid, SZ_2M);
	ASSERT_EQ(0, get_shape(self->e.fd, &c));
	expect_same_shape(_metadata, &a, &c);
}

TEST_F(ctl, default_backing_bad_enable)
{
	static const __u64 bad[] = {
		2, 3, 0x80000000, 0xffffffff, 1ULL << 32, (1ULL << 32) | 1,
		1ULL << 63, (1ULL << 63) | 1, ~0ULL,
	};
	struct gpool_info_args info = {};
	unsigned int i;

	REQUIRE_ADMIN(&self->e);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, set_default_backing(self->e.fd, bad[i]))
			TH_LOG("enable %#llx", (unsigned long long)bad[i]);
	}
	gpool_ioctl(self->e.fd, GPOOL_IOC_INFO, &info);
	EXPECT_EQ(self->e.start.info.pool_flags, info.pool_flags);
}

static unsigned long long sysfs_default_backing(void)
{
	return sysfs_ull(GPOOL_SYSFS "/default_backing");
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

TEST_F(ctl, default_backing_on)
{
	struct gpool_create_guest_memfd plain = { .size = SZ_2M };
	const __u32 n0 = self->e.start.info.nr_files;
	struct pool_counts a, b;
	struct gpool_info_args info = {};
	struct gpool_file_info f;
	int fd;

	REQUIRE_ADMIN(&self->e);
	ASSERT_EQ(0, set_default_backing(self->e.fd, 1));
	gpool_ioctl(self->e.fd, GPOOL_IOC_INFO, &info);
	EXPECT_TRUE(!!(info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING));
	EXPECT_EQ(1ULL, sysfs_default_backing());

	snapshot(&a);
	fd = new_file(&self->e, &plain);
	ASSERT_GE(fd, 0) TH_LOG("a plain 2 MiB guest_memfd: %s", strerror(-fd));
	snapshot(&b);
	EXPECT_EQ(n0 + 1, info_nr_files(self->e.fd));
	EXPECT_EQ(reserved_bytes(&a) + SZ_2M, reserved_bytes(&b));

	last_file(_metadata, self->e.fd, &f);
	EXPECT_EQ(GPOOL_FILE_F_DEFAULT_BACKED, f.file_flags);
	EXPECT_EQ((__u32)getpid(), f.pid);
	EXPECT_EQ(SZ_2M, f.size);
	EXPECT_EQ((__u32)GPOOL_FOLIO_SHIFT_1G, f.folio_shift);
	EXPECT_EQ((__u32)GPOOL_NUMA_DEFAULT, f.numa_mode);
	EXPECT_EQ(0ULL, f.numa_nodes);

	/* Files already open keep their backing. */
	ASSERT_EQ(0, set_default_backing(self->e.fd, 0));
	EXPECT_EQ(n0 + 1, info_nr_files(self->e.fd));
	close_file(&self->e, fd);
	EXPECT_EQ(n0, info_nr_files(self->e.fd));
}

TEST_F(ctl, default_backing_off)
{
	struct gpool_create_guest_memfd plain = { .size = SZ_2M };
	const __u32 n0 = self->e.start.info.nr_files;
	struct gpool_info_args info = {};
	struct pool_counts a, b;
	int fd;

	REQUIRE_ADMIN(&self->e);
	ASSERT_EQ(0, set_default_backing(self->e.fd, 0));
	gpool_ioctl(self->e.fd, GPOOL_IOC_INFO, &info);
	EXPECT_FALSE(!!(info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING));
	EXPECT_EQ(0ULL, sysfs_default_backing());

	snapshot(&a);
	fd = new_file(&self->e, &plain);
	ASSERT_GE(fd, 0) TH_LOG("a plain 2 MiB guest_memfd: %s", strerror(-fd));
	snapshot(&b);
	EXPECT_EQ(n0, info_nr_files(self->e.fd));
	EXPECT_EQ(n0, sysfs_nr_files());
	EXPECT_EQ(reserved_bytes(&a), reserved_bytes(&b));
	close_file(&self->e, fd);
}

TEST_F(ctl, list_files_count_only)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	const __u32 n0 = self->e.start.info.nr_files;
	struct gpool_list_files_args l = {};
	int i, fd;

	EXPECT_EQ(n0 ? -E2BIG : 0, __gpool_ioctl(self->e.fd, GPOOL_IOC_LIST_FILES, &l));
	EXPECT_EQ(n0, l.nr_files);
	for (i = 0; i < 2; i++) {
		fd = new_file(&self->e, &args);
		ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	}
	memset(&l, 0, sizeof(l));
	EXPECT_EQ(-E2BIG, __gpool_ioctl(self->e.fd, GPOOL_IOC_LIST_FILES, &l));
	EXPECT_EQ(n0 + 2, l.nr_files);
	EXPECT_EQ(0ULL, l.files);
	EXPECT_EQ(0ULL, l.reserved[0]);
	EXPECT_EQ(0ULL, l.reserved[1]);
}

/* One entry too few: E2BIG, the count, and not one byte written. */
TEST_F(ctl, list_files_e2big_writes_nothing)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	const __u32 n0 = self->e.start.info.nr_files;
	struct gpool_file_info *buf;
	__u64 nr;
	int i, fd;

	for (i = 0; i < 3; i++) {
		fd = new_file(&self->e, &args);
		ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	}
	buf = malloc((n0 + 3) * sizeof(*buf));
	ASSERT_NE(NULL, buf);
	memset(buf, CANARY, (n0 + 3) * sizeof(*buf));
	EXPECT_EQ(-E2BIG, list_files(self->e.fd, buf, n0 + 2, &nr));
	EXPECT_EQ(n0 + 3ULL, nr);
	EXPECT_TRUE(is_canary(buf, (n0 + 3) * sizeof(*buf)));
	free(buf);
}

static void expect_no_units(struct __test_metadata *_metadata,
			    const struct gpool_file_info *f)
{
	unsigned int i;

	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		EXPECT_EQ(0ULL, f->units[i]) TH_LOG("units[%u]", i);
	}
	for (i = 0; i < GPOOL_FILE_NR_NODES; i++) {
		EXPECT_EQ(0ULL, f->node_bytes[i]) TH_LOG("node_bytes[%u]", i);
	}
}

/*
 * Four files of every folio size and NUMA mode come back last, in the
 * order they were made, with what they were made with; the entries past
 * the count are not touched.
 */
TEST_F(ctl, list_files_entries)
{
	const __u64 all = self->e.start.info.node_mask;
	const int first = self->e.first_nid, last = self->e.last_nid;
	struct gpool_create_guest_memfd made[] = {
		{ .size = SZ_2M, .folio_shift = GPOOL_FOLIO_SHIFT_4K,
		  .numa_mode = GPOOL_NUMA_DEFAULT },
		{ .size = 2 * SZ_2M, .folio_shift = GPOOL_FOLIO_SHIFT_2M,
		  .numa_mode = GPOOL_NUMA_PREFERRED, .numa_nodes = 1ULL << first },
		{ .size = SZ_2M, .folio_shift = GPOOL_FOLIO_SHIFT_1G,
		  .numa_mode = GPOOL_NUMA_INTERLEAVE, .numa_nodes = all },
		{ .size = SZ_2M, .folio_shift = GPOOL_FOLIO_SHIFT_2M,
		  .numa_mode = GPOOL_NUMA_BIND, .numa_nodes = 1ULL << last },
	};
	const unsigned int n0 = self->e.start.info.nr_files, mine = ARRAY_SIZE(made);
	const unsigned int room = n0 + mine + 3;
	struct gpool_file_info *buf, *f;
	char comm[16] = "";
	unsigned int i, w;
	__u64 nr;
	int fd;

	ASSERT_EQ(0, prctl(PR_GET_NAME, comm));
	for (i = 0; i < mine; i++) {
		made[i].flags = GUEST_MEMFD_FLAG_GPOOL;
		fd = new_file(&self->e, &made[i]);
		ASSERT_GE(fd, 0) TH_LOG("file %u: %s", i, strerror(-fd));
	}
	buf = malloc(room * sizeof(*buf));
	ASSERT_NE(NULL, buf);
	memset(buf, CANARY, room * sizeof(*buf));
	EXPECT_EQ(0, list_files(self->e.fd, buf, room, &nr));
	EXPECT_EQ((__u64)n0 + mine, nr);
	if (nr != n0 + mine) {
		free(buf);
		return;
	}
	EXPECT_TRUE(is_canary(&buf[nr], (room - nr) * sizeof(*buf)));
	for (i = 1; i < nr; i++) {
		EXPECT_LT(buf[i - 1].id, buf[i].id) TH_LOG("entry %u", i);
	}

	for (i = 0; i < mine; i++) {
		f = &buf[n0 + i];
		EXPECT_EQ((__u32)getpid(), f->pid) TH_LOG("file %u", i);
		EXPECT_EQ(0U, f->file_flags) TH_LOG("file %u", i);
		EXPECT_NE(NULL, memchr(f->comm, '\0', sizeof(f->comm)));
		EXPECT_EQ(0, strncmp(comm, f->comm, sizeof(f->comm)))
			TH_LOG("file %u: comm %.16s, not %s", i, f->comm, comm);
		EXPECT_EQ(made[i].size, f->size) TH_LOG("file %u", i);
		EXPECT_EQ(made[i].folio_shift, f->folio_shift) TH_LOG("file %u", i);
		EXPECT_EQ(made[i].numa_mode, f->numa_mode) TH_LOG("file %u", i);
		EXPECT_EQ(made[i].numa_nodes, f->numa_nodes) TH_LOG("file %u", i);
		expect_no_units(_metadata, f);
		for (w = 0; w < ARRAY_SIZE(f->reserved); w++) {
			EXPECT_EQ(0ULL, f->reserved[w]) TH_LOG("file %u", i);
		}
	}
	free(buf);
}

/*
 * The units a file holds now: @n[GPOOL_SIZE_*], all of them on node @nid,
 * and node_bytes adding up to the units.
 */
static void expect_units(struct __test_metadata *_metadata, int ctl_fd,
			 const __u64 n[GPOOL_NR_SIZES], int nid)
{
	unsigned long long bytes = 0, sum = 0;
	struct gpool_file_info f;
	unsigned int i;

	last_file(_metadata, ctl_fd, &f);
	EXPECT_EQ((__u32)getpid(), f.pid);
	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		EXPECT_EQ(n[i], f.units[i]) TH_LOG("units[%s]", sizes[i]);
		bytes += f.units[i] * size_bytes[i];
	}
	for (i = 0; i < GPOOL_FILE_NR_NODES; i++) {
		sum += f.node_bytes[i];
		if ((int)i != nid) {
			EXPECT_EQ(0ULL, f.node_bytes[i]) TH_LOG("node_bytes[%u]", i);
		}
	}
	EXPECT_EQ(bytes, f.node_bytes[nid]);
	EXPECT_EQ(bytes, sum);
}

/* A 1 GiB file: no unit, then one 1G unit, then 511 2M + 511 4K. */
TEST_F_TIMEOUT(ctl, list_files_units_1g, 120)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_1G, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_1G, .numa_mode = GPOOL_NUMA_BIND,
	};
	const int keep = FALLOC_FL_KEEP_SIZE;
	const int punch = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;
	int nid, fd;

	nid = node_with_free_1g_unit(&self->e.start);
	if (nid < 0)
		SKIP(return, "no free 1G unit in the pool");
	ASSERT_LT(nid, GPOOL_FILE_NR_NODES);
	args.numa_nodes = 1ULL << nid;
	fd = new_file(&self->e, &args);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));

	expect_units(_metadata, self->e.fd, (const __u64[]){ 0, 0, 0 }, nid);
	ASSERT_EQ(0, fallocate(fd, keep, 0, SZ_1G)) TH_LOG("%s", strerror(errno));
	expect_units(_metadata, self->e.fd, (const __u64[]){ 0, 0, 1 }, nid);
	ASSERT_EQ(0, fallocate(fd, punch, 0, SZ_4K)) TH_LOG("%s", strerror(errno));
	expect_units(_metadata, self->e.fd, (const __u64[]){ 511, 511, 0 }, nid);
	close_file(&self->e, fd);
}

/* Smaller folio limits: a 4 MiB file of 2M units, a 4K-only file. */
TEST_F(ctl, list_files_units_small)
{
	struct gpool_create_guest_memfd args = {
		.flags = GUEST_MEMFD_FLAG_GPOOL, .numa_mode = GPOOL_NUMA_BIND,
	};
	const int keep = FALLOC_FL_KEEP_SIZE;
	struct gpool_node_stats_args s;
	int nid, fd;

	for (nid = 0; nid < GPOOL_FILE_NR_NODES; nid++) {
		if (!(self->e.start.info.node_mask & (1ULL << nid)))
			continue;
		ASSERT_EQ(0, node_stats(self->e.fd, nid, &s));
		if (node_free_bytes(&s) >= 2 * SZ_2M)
			break;
	}
	if (nid == GPOOL_FILE_NR_NODES)
		SKIP(return, "no node has 4 MiB of free pool memory");
	args.numa_nodes = 1ULL << nid;

	args.size = 2 * SZ_2M;
	args.folio_shift = GPOOL_FOLIO_SHIFT_2M;
	fd = new_file(&self->e, &args);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, fallocate(fd, keep, 0, 2 * SZ_2M)) TH_LOG("%s", strerror(errno));
	expect_units(_metadata, self->e.fd, (const __u64[]){ 0, 2, 0 }, nid);
	close_file(&self->e, fd);

	args.size = SZ_2M;
	args.folio_shift = GPOOL_FOLIO_SHIFT_4K;
	fd = new_file(&self->e, &args);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, fallocate(fd, keep, 0, 2 * SZ_4K)) TH_LOG("%s", strerror(errno));
	expect_units(_metadata, self->e.fd, (const __u64[]){ 2, 0, 0 }, nid);
	close_file(&self->e, fd);
}

/*
 * The child: name itself, make a 2 MiB pool-backed file on its own VM,
 * report the fd (or -errno) on @report, and keep the file open until
 * @hold reaches EOF.  It dies with the test if the test dies first.
 */
static void __attribute__((noreturn))
child_holds_file(int report, int hold, pid_t parent)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	int kvm_fd, vm_fd, fd;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	prctl(PR_SET_NAME, "gpool_child");
	vm_fd = create_vm(&kvm_fd);
	fd = vm_fd < 0 ? vm_fd : create_gmem(vm_fd, &args);
	if (write(report, &fd, sizeof(fd)) != sizeof(fd))
		_exit(1);
	while (read(hold, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* A file made by a child names the child, while the child keeps it. */
TEST_F(ctl, list_files_child_pid)
{
	const __u32 n0 = self->e.start.info.nr_files;
	const pid_t parent = getpid();
	int report[2], hold[2], child_fd = -1, status;
	struct gpool_file_info f;
	pid_t pid;

	ASSERT_EQ(0, pipe(report));
	ASSERT_EQ(0, pipe(hold));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(report[0]);
		close(hold[1]);
		child_holds_file(report[1], hold[0], parent);
	}
	close(report[1]);
	close(hold[0]);

	EXPECT_EQ((ssize_t)sizeof(child_fd), read(report[0], &child_fd, sizeof(child_fd)));
	EXPECT_GE(child_fd, 0) TH_LOG("the child's file: %s", strerror(-child_fd));
	if (child_fd >= 0) {
		EXPECT_EQ(n0 + 1, info_nr_files(self->e.fd));
		memset(&f, 0, sizeof(f));
		last_file(_metadata, self->e.fd, &f);
		EXPECT_EQ((__u32)pid, f.pid);
		EXPECT_EQ(0, strncmp("gpool_child", f.comm, sizeof(f.comm)))
			TH_LOG("comm %.16s", f.comm);
		EXPECT_EQ(SZ_2M, f.size);
	}

	close(hold[1]);		/* the child closes its file and exits */
	close(report[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(n0, info_nr_files(self->e.fd));
}

/* LIST_FILES cannot write the entries: EFAULT. */
TEST_F(ctl, list_files_bad_buffer_is_efault)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	const long page = sysconf(_SC_PAGESIZE);
	const unsigned int room = self->e.start.info.nr_files + 1;
	__u64 nr;
	void *map;
	int fd;

	ASSERT_LE(room * sizeof(struct gpool_file_info), (size_t)page);
	fd = new_file(&self->e, &args);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));

	map = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-EFAULT, list_files(self->e.fd, map, room, &nr))
		TH_LOG("read-only entries");
	ASSERT_EQ(0, munmap(map, page));
	EXPECT_EQ(-EFAULT, list_files(self->e.fd, map, room, &nr))
		TH_LOG("unmapped entries");
	close_file(&self->e, fd);
}

/* What an unprivileged child saw, 0 or -errno each. */
struct unpriv_result {
	int drop;
	int still_admin;
	int grow, shrink, backing_bad, backing_same;
	int info, stats, list;
};

/*
 * A child without CAP_SYS_ADMIN in its effective set: EPERM for GROW,
 * SHRINK and SET_DEFAULT_BACKING, checked before their arguments (all but
 * one of these are invalid); INFO, NODE_STATS and LIST_FILES work on the
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
	EXPECT_EQ(0, r->info) TH_LOG("INFO: %s", strerror(-r->info));
	EXPECT_EQ(0, r->stats) TH_LOG("NODE_STATS: %s", strerror(-r->stats));
	EXPECT_EQ(0, r->list) TH_LOG("LIST_FILES: %s", strerror(-r->list));
	EXPECT_TRUE(has_cap_sys_admin()) TH_LOG("the drop leaked to the test");
	munmap(r, sizeof(*r));
}

/*
 * Boot memory can be given back and grown again: everything but
 * nr_boot_pages returns to where it was.  Runs last: nr_boot_pages stays
 * lower for the rest of the boot, and a second run in the same boot
 * skips.
 */
TEST_F_TIMEOUT(ctl, shrink_boot_memory_and_grow_back, 180)
{
	struct pool_shape a, b, c;
	int nid, ret;

	REQUIRE_RESIZE(&self->e);
	ASSERT_EQ(0, get_shape(self->e.fd, &a));
	if (a.info.nr_boot_pages != a.info.nr_pages)
		SKIP(return, "the pool holds grown memory: SHRINK would take that");
	for (nid = 0; nid < MAX_NODES; nid++)
		if ((a.info.node_mask & (1ULL << nid)) &&
		    node_free_bytes(&a.node[nid]) > SZ_1G)
			break;
	if (nid == MAX_NODES)
		SKIP(return, "no node has more than 1 GiB of free pool memory");

	ret = resize(self->e.fd, GPOOL_IOC_SHRINK, nid, SZ_1G);
	self->e.boot_shrunk = !ret;
	ASSERT_EQ(0, ret) TH_LOG("SHRINK 1 GiB of boot memory on node %d: %s",
				 nid, strerror(-ret));
	ASSERT_EQ(0, get_shape(self->e.fd, &b));
	EXPECT_EQ(a.info.nr_pages - PAGES_1G, b.info.nr_pages);
	EXPECT_EQ(a.info.nr_boot_pages - PAGES_1G, b.info.nr_boot_pages);
	EXPECT_EQ(a.info.nr_ranges - 1, b.info.nr_ranges);
	EXPECT_EQ(a.node[nid].nr_pages - PAGES_1G, b.node[nid].nr_pages);
	EXPECT_EQ(a.node[nid].size[GPOOL_SIZE_1G].total - 1,
		  b.node[nid].size[GPOOL_SIZE_1G].total);
	EXPECT_EQ(node_capacity_bytes(&a.node[nid]) - SZ_1G,
		  node_capacity_bytes(&b.node[nid]));

	resize_ok(self->e.fd, GPOOL_IOC_GROW, nid, SZ_1G);
	ASSERT_EQ(0, get_shape(self->e.fd, &c));
	EXPECT_EQ(a.info.nr_boot_pages - PAGES_1G, c.info.nr_boot_pages);
	c.info.nr_boot_pages = a.info.nr_boot_pages;
	expect_same_shape(_metadata, &a, &c);
}

TEST_HARNESS_MAIN
