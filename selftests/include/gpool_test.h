/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kselftest_harness.h programs in selftests/: the
 * pool's sysfs counters (docs/ABI/sysfs-kernel-mm-gpool) and creating
 * pool-backed guest_memfds.  The pool is read through libgpool
 * (tools/lib/gpool, linked into every test): it returns -errno, and the
 * helpers here decide what a failure means.
 *
 * What a helper reads must be there.  read_str() and read_ull() return
 * -errno for the caller to assert on, and the ioctl wrappers return -errno
 * for tests that expect errors; every other helper that cannot read a
 * sysfs file or get the pool's state fails the test on the spot
 * (gpool_die(): a message naming the file, then exit with KSFT_FAIL, which
 * the harness reports as the test failing), rather than carry on with 0.
 */
#ifndef SELFTESTS_GPOOL_TEST_H
#define SELFTESTS_GPOOL_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <linux/kvm.h>
#include <linux/gpool.h>

#include "libgpool.h"

#define SZ_4K	(1ULL << 12)
#define SZ_2M	(1ULL << 21)
#define SZ_1G	(1ULL << 30)
#define MAX_NODES GPOOL_MAX_NODES

#define GPOOL_SYSFS	GPOOL_SYSFS_DIR

#ifndef KSFT_FAIL
#define KSFT_FAIL	1
#endif

/*
 * Fail the running test from a helper that has no _metadata: say why on
 * the test's output and exit its process.  The harness runs each test in
 * a process of its own and reports it failed; its teardown does not run.
 */
#define gpool_die(fmt, ...) do {						\
	fflush(stdout);								\
	fprintf(stderr, "# %s: " fmt "\n", __func__, ##__VA_ARGS__);		\
	fflush(stderr);								\
	exit(KSFT_FAIL);							\
} while (0)

/* libgpool's table of unit sizes: indexes GPOOL_SIZE_*, names as sysfs's. */
static const char * const * const sizes = gpool_size_name;
static const __u64 * const size_bytes = gpool_size_bytes;
enum {
	S4K = GPOOL_SIZE_4K,
	S2M = GPOOL_SIZE_2M,
	S1G = GPOOL_SIZE_1G,
	NR_SIZES = GPOOL_NR_SIZES
};

/* One snapshot of the counters that must balance. */
struct pool_counts {
	unsigned long long free[MAX_NODES][NR_SIZES];	/* incl. zeroing */
	unsigned long long allocated[MAX_NODES][NR_SIZES];
	unsigned long long reserved[MAX_NODES][NR_SIZES];
	unsigned long long total[MAX_NODES][NR_SIZES];
	unsigned long long nr_splits[MAX_NODES][NR_SIZES];
	unsigned long long nr_merges[MAX_NODES][NR_SIZES];
	unsigned long long nr_pages[MAX_NODES];
	bool node[MAX_NODES];
};

static inline bool pool_exists(void)
{
	return !access(GPOOL_SYSFS, F_OK);
}

/* The first line of a one-value file, newline included; -errno. */
static inline int read_str(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* The decimal number in a one-value file (gpool_sysfs_u64()); -errno. */
static inline int read_ull(const char *path, unsigned long long *val)
{
	__u64 v;
	int ret;

	ret = gpool_sysfs_u64(AT_FDCWD, path, &v, NULL);
	if (!ret)
		*val = v;
	return ret;
}

/* The number in a sysfs file that must exist; fails the test if it cannot. */
static inline unsigned long long sysfs_ull(const char *path)
{
	unsigned long long v;
	int ret;

	ret = read_ull(path, &v);
	if (ret)
		gpool_die("cannot read %s: %s", path, strerror(-ret));
	return v;
}

/*
 * /sys/kernel/mm/gpool/node<nid>/<name>, or with a @size (GPOOL_SIZE_*,
 * not -1) node<nid>/<size>/<name>; fails the test if unreadable.
 */
static inline unsigned long long pool_file_ull(int nid, int size,
					       const char *name)
{
	char rel[64], path[96];

	if (gpool_sysfs_node_path(rel, sizeof(rel), nid, size, name))
		gpool_die("node%d/%s: path too long", nid, name);
	snprintf(path, sizeof(path), GPOOL_SYSFS "/%s", rel);
	return sysfs_ull(path);
}

/* /sys/kernel/mm/gpool/node<nid>/<name>; fails the test if unreadable. */
static inline unsigned long long node_stat(int nid, const char *name)
{
	return pool_file_ull(nid, -1, name);
}

/* /sys/kernel/mm/gpool/node<nid>/<size>/<name>; fails the test if unreadable. */
static inline unsigned long long stat_of(int nid, int size, const char *name)
{
	return pool_file_ull(nid, size, name);
}

/*
 * Is every guest_memfd pool-backed (/sys/kernel/mm/gpool/default_backing)?
 * Fails the test if there is no pool to ask.
 */
static inline bool default_backing(void)
{
	return sysfs_ull(GPOOL_SYSFS "/default_backing");
}

static inline bool node_dir_exists(int nid)
{
	char path[64];

	snprintf(path, sizeof(path), GPOOL_SYSFS "/node%d", nid);
	return !access(path, F_OK);
}

/*
 * Every node's counters (gpool_sysfs_node_stats()); fails the test if
 * there is no pool or a file is missing or holds no number.
 */
static inline void snapshot(struct pool_counts *c)
{
	struct gpool_node_stats_args st;
	struct gpool_sysfs_err e;
	int dfd, nid, s, ret;
	__u64 mask;

	if (!pool_exists())
		gpool_die("no pool: " GPOOL_SYSFS " does not exist");
	dfd = gpool_sysfs_open(GPOOL_SYSFS);
	if (dfd < 0)
		gpool_die("cannot open " GPOOL_SYSFS ": %s", strerror(-dfd));
	ret = gpool_sysfs_node_mask(dfd, &mask);
	if (ret)
		gpool_die("cannot list " GPOOL_SYSFS ": %s", strerror(-ret));
	memset(c, 0, sizeof(*c));
	for (nid = 0; nid < MAX_NODES; nid++) {
		c->node[nid] = mask >> nid & 1;
		if (!c->node[nid])
			continue;
		ret = gpool_sysfs_node_stats(dfd, nid, &st, &e);
		if (ret && e.why)
			gpool_die("cannot read " GPOOL_SYSFS "/%s: '%s': %s",
				  e.path, e.value, e.why);
		if (ret)
			gpool_die("cannot read " GPOOL_SYSFS "/%s: %s", e.path,
				  strerror(-ret));
		c->nr_pages[nid] = st.nr_pages;
		for (s = 0; s < NR_SIZES; s++) {
			const struct gpool_size_stats *z = &st.size[s];

			/* Units out with the zeroer are free capacity too. */
			c->free[nid][s] = z->free + z->zeroing;
			c->allocated[nid][s] = z->allocated;
			c->reserved[nid][s] = z->reserved;
			c->total[nid][s] = z->total;
			c->nr_splits[nid][s] = z->nr_splits;
			c->nr_merges[nid][s] = z->nr_merges;
		}
	}
	close(dfd);
}

/* Bytes over all nodes of one per-node, per-size unit count. */
static inline unsigned long long
units_bytes(const unsigned long long (*units)[NR_SIZES])
{
	unsigned long long b = 0;
	int nid, s;

	for (nid = 0; nid < MAX_NODES; nid++)
		for (s = 0; s < NR_SIZES; s++)
			b += units[nid][s] * size_bytes[s];
	return b;
}

/* Free pool bytes over all nodes, counting each free unit at its size. */
static inline unsigned long long free_bytes(const struct pool_counts *c)
{
	return units_bytes(c->free);
}

/* Reserved (promised, not allocated) bytes over all nodes. */
static inline unsigned long long reserved_bytes(const struct pool_counts *c)
{
	return units_bytes(c->reserved);
}

/* A node with a free, unreserved 1G unit, or -1. */
static inline int node_with_free_1g(const struct pool_counts *c)
{
	int nid;

	for (nid = 0; nid < MAX_NODES; nid++)
		if (c->node[nid] && c->free[nid][S1G] > c->reserved[nid][S1G])
			return nid;
	return -1;
}

/* KVM_CREATE_GUEST_MEMFD: the new fd, or -errno. */
static inline int create_gmem(int vm_fd, struct gpool_create_guest_memfd *args)
{
	int fd = ioctl(vm_fd, KVM_CREATE_GUEST_MEMFD, args);

	return fd < 0 ? -errno : fd;
}

/* A 1 GiB file bound to node @nid, with folios up to 1 << @shift. */
static inline int create_1g_bound(int vm_fd, int nid, unsigned int shift)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_1G, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = shift,
		.numa_mode = GPOOL_NUMA_BIND,
		.numa_nodes = 1ULL << nid,
	};

	return create_gmem(vm_fd, &args);
}

/* A KVM_X86_SW_PROTECTED_VM on a fresh /dev/kvm fd; -errno. */
static inline int create_vm(int *kvm_fd)
{
	int vm_fd;

	*kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (*kvm_fd < 0)
		return -errno;
	vm_fd = ioctl(*kvm_fd, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	if (vm_fd < 0) {
		vm_fd = -errno;
		close(*kvm_fd);
		*kvm_fd = -1;
	}
	return vm_fd;
}

/*
 * The pool as GPOOL_IOC_INFO, GPOOL_IOC_NODE_STATS (each node at one
 * instant) and sysfs say it, for tests that compare the whole pool before
 * and after (gp_get_state(), gp_same(), gp_wait_state()).
 */

/* The ioctl (libgpool's gpool_ioctl()): 0 or -errno. */
static inline int gp_ioctl(int fd, unsigned long cmd, void *arg)
{
	return gpool_ioctl(fd, cmd, arg);
}

struct gp_state {
	struct gpool_info_args info;
	struct gpool_node_stats_args node[MAX_NODES];
	struct pool_counts sys;
};

static inline int gp_get_state(int ctl, struct gp_state *st)
{
	int ret;

	memset(st, 0, sizeof(*st));
	ret = gpool_ctl_info(ctl, &st->info);
	if (!ret)
		ret = gpool_ctl_nodes(ctl, st->info.node_mask, st->node);
	if (!ret)
		snapshot(&st->sys);
	return ret;
}

enum { GP_FREE, GP_ALLOC, GP_RESV };

/* Bytes of a node's free (free + zeroing), allocated or reserved units. */
static inline long long gp_bytes(const struct gpool_node_stats_args *s, int what)
{
	struct gpool_bytes b;

	gpool_node_bytes(s, &b);
	return what == GP_FREE ? b.free : what == GP_ALLOC ? b.allocated :
	       b.reserved;
}

/* Nothing the tests account for differs between @a and @b. */
static inline bool gp_same(const struct gp_state *a, const struct gp_state *b)
{
	int nid, sz;

	if (a->info.node_mask != b->info.node_mask ||
	    a->info.nr_pages != b->info.nr_pages ||
	    a->info.nr_boot_pages != b->info.nr_boot_pages ||
	    a->info.nr_ranges != b->info.nr_ranges ||
	    a->info.nr_files != b->info.nr_files)
		return false;
	for (nid = 0; nid < MAX_NODES; nid++) {
		const struct gpool_node_stats_args *x = &a->node[nid];
		const struct gpool_node_stats_args *y = &b->node[nid];

		if (!(a->info.node_mask & (1ULL << nid)))
			continue;
		if (x->nr_pages != y->nr_pages || x->bad_pages != y->bad_pages ||
		    gp_bytes(x, GP_FREE) != gp_bytes(y, GP_FREE))
			return false;
		for (sz = 0; sz < GPOOL_NR_SIZES; sz++)
			if (x->size[sz].total != y->size[sz].total ||
			    x->size[sz].allocated != y->size[sz].allocated ||
			    x->size[sz].reserved != y->size[sz].reserved)
				return false;
	}
	return !memcmp(a->sys.allocated, b->sys.allocated, sizeof(a->sys.allocated)) &&
	       !memcmp(a->sys.reserved, b->sys.reserved, sizeof(a->sys.reserved));
}

static inline bool gp_zeroer_idle(const struct gp_state *st)
{
	int nid, sz;

	for (nid = 0; nid < MAX_NODES; nid++)
		for (sz = 0; sz < GPOOL_NR_SIZES; sz++)
			if (st->node[nid].size[sz].zeroing)
				return false;
	return true;
}

/*
 * Poll for up to @ms until the pool is back to @start, with the background
 * zeroer idle; @end is the last state read.  Returns whether it is back;
 * fails the test if the state cannot be read.
 */
static inline bool gp_wait_state(int ctl, const struct gp_state *start,
				 struct gp_state *end, int ms, void (*nudge)(void))
{
	int waited, ret;

	for (waited = 0; ; waited += 50) {
		ret = gp_get_state(ctl, end);
		if (ret)
			gpool_die("GPOOL_IOC_INFO or GPOOL_IOC_NODE_STATS: %s",
				  strerror(-ret));
		if (gp_same(start, end) && (gp_zeroer_idle(end) || waited >= ms))
			return true;
		if (waited >= ms)
			return false;
		if (nudge && !(waited % 250))
			nudge();
		usleep(50 * 1000);
	}
}

/*
 * Free pool bytes (free + zeroing) over all nodes, each node read at one
 * instant with GPOOL_IOC_NODE_STATS.  The per-level sysfs files are read
 * one after the other, and the zeroer moving a unit between levels in
 * between tears the sum: compare this one instead.
 */
static inline unsigned long long gp_free_now(void)
{
	unsigned long long b = 0;
	struct gp_state st;
	int ctl, nid, ret;

	ctl = gpool_ctl_open(GPOOL_CTL_DEV, true);
	if (ctl < 0)
		gpool_die("open " GPOOL_CTL_DEV ": %s", strerror(-ctl));
	ret = gp_get_state(ctl, &st);
	close(ctl);
	if (ret)
		gpool_die("GPOOL_IOC_INFO or GPOOL_IOC_NODE_STATS: %s",
			  strerror(-ret));
	for (nid = 0; nid < MAX_NODES; nid++)
		if (st.info.node_mask & (1ULL << nid))
			b += gp_bytes(&st.node[nid], GP_FREE);
	return b;
}

#ifdef __KSELFTEST_HARNESS_H
/* Every accounted field of @b equals @a's. */
static inline void gp_expect_same(struct __test_metadata *_metadata,
				  const struct gp_state *a,
				  const struct gp_state *b)
{
	int nid, sz;

	EXPECT_EQ(a->info.node_mask, b->info.node_mask);
	EXPECT_EQ(a->info.nr_pages, b->info.nr_pages);
	EXPECT_EQ(a->info.nr_boot_pages, b->info.nr_boot_pages);
	EXPECT_EQ(a->info.nr_ranges, b->info.nr_ranges);
	EXPECT_EQ(a->info.nr_files, b->info.nr_files) TH_LOG("INFO nr_files");
	for (nid = 0; nid < MAX_NODES; nid++) {
		const struct gpool_node_stats_args *x = &a->node[nid];
		const struct gpool_node_stats_args *y = &b->node[nid];

		if (!(a->info.node_mask & (1ULL << nid)))
			continue;
		EXPECT_EQ(x->nr_pages, y->nr_pages) TH_LOG("node %d nr_pages", nid);
		EXPECT_EQ(x->bad_pages, y->bad_pages) TH_LOG("node %d bad_pages", nid);
		EXPECT_EQ(gp_bytes(x, GP_FREE), gp_bytes(y, GP_FREE))
			TH_LOG("node %d free + zeroing bytes", nid);
		for (sz = 0; sz < GPOOL_NR_SIZES; sz++) {
			EXPECT_EQ(x->size[sz].total, y->size[sz].total)
				TH_LOG("node %d %s total", nid, sizes[sz]);
			EXPECT_EQ(x->size[sz].allocated, y->size[sz].allocated)
				TH_LOG("node %d %s allocated", nid, sizes[sz]);
			EXPECT_EQ(x->size[sz].reserved, y->size[sz].reserved)
				TH_LOG("node %d %s reserved", nid, sizes[sz]);
			EXPECT_EQ(a->sys.allocated[nid][sz], b->sys.allocated[nid][sz])
				TH_LOG("sysfs node%d/%s/allocated", nid, sizes[sz]);
			EXPECT_EQ(a->sys.reserved[nid][sz], b->sys.reserved[nid][sz])
				TH_LOG("sysfs node%d/%s/reserved", nid, sizes[sz]);
		}
	}
}
#endif /* __KSELFTEST_HARNESS_H */

#endif /* SELFTESTS_GPOOL_TEST_H */
