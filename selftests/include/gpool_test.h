/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kselftest_harness.h programs in selftests/: the
 * pool's sysfs counters (docs/ABI/sysfs-kernel-mm-gpool) and creating
 * pool-backed guest_memfds.
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

#define SZ_4K	(1ULL << 12)
#define SZ_2M	(1ULL << 21)
#define SZ_1G	(1ULL << 30)
#define MAX_NODES 64

#define GPOOL_SYSFS	"/sys/kernel/mm/gpool"

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

/* Indexes as GPOOL_SIZE_*; names as the sysfs directories. */
static const char * const sizes[] = { "4K", "2M", "1G" };
static const unsigned long long size_bytes[] = { SZ_4K, SZ_2M, SZ_1G };
enum { S4K, S2M, S1G, NR_SIZES };

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

static inline int read_ull(const char *path, unsigned long long *val)
{
	char buf[32];
	int ret;

	ret = read_str(path, buf, sizeof(buf));
	if (ret)
		return ret;
	if (!buf[0])
		return -EIO;
	*val = strtoull(buf, NULL, 10);
	return 0;
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

/* /sys/kernel/mm/gpool/node<nid>/<name>; fails the test if unreadable. */
static inline unsigned long long node_stat(int nid, const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), GPOOL_SYSFS "/node%d/%s", nid, name);
	return sysfs_ull(path);
}

/* /sys/kernel/mm/gpool/node<nid>/<size>/<name>; fails the test if unreadable. */
static inline unsigned long long stat_of(int nid, int size, const char *name)
{
	char rel[32];

	snprintf(rel, sizeof(rel), "%s/%s", sizes[size], name);
	return node_stat(nid, rel);
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

/* Every node's counters; fails the test if there is no pool or a file is missing. */
static inline void snapshot(struct pool_counts *c)
{
	int nid, s;

	if (!pool_exists())
		gpool_die("no pool: " GPOOL_SYSFS " does not exist");
	memset(c, 0, sizeof(*c));
	for (nid = 0; nid < MAX_NODES; nid++) {
		c->node[nid] = node_dir_exists(nid);
		if (!c->node[nid])
			continue;
		c->nr_pages[nid] = node_stat(nid, "nr_pages");
		for (s = 0; s < NR_SIZES; s++) {
			/* Units out with the zeroer are free capacity too. */
			c->free[nid][s] = stat_of(nid, s, "free") +
					  stat_of(nid, s, "zeroing");
			c->allocated[nid][s] = stat_of(nid, s, "allocated");
			c->reserved[nid][s] = stat_of(nid, s, "reserved");
			c->total[nid][s] = stat_of(nid, s, "total");
			c->nr_splits[nid][s] = stat_of(nid, s, "nr_splits");
			c->nr_merges[nid][s] = stat_of(nid, s, "nr_merges");
		}
	}
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

/* The ioctl: 0 or -errno. */
static inline int gp_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

struct gp_state {
	struct gpool_info_args info;
	struct gpool_node_stats_args node[MAX_NODES];
	struct pool_counts sys;
};

static inline int gp_get_state(int ctl, struct gp_state *st)
{
	int nid, ret;

	memset(st, 0, sizeof(*st));
	ret = gp_ioctl(ctl, GPOOL_IOC_INFO, &st->info);
	for (nid = 0; !ret && nid < MAX_NODES; nid++) {
		if (!(st->info.node_mask & (1ULL << nid)))
			continue;
		st->node[nid].node = nid;
		ret = gp_ioctl(ctl, GPOOL_IOC_NODE_STATS, &st->node[nid]);
	}
	if (!ret)
		snapshot(&st->sys);
	return ret;
}

enum { GP_FREE, GP_ALLOC, GP_RESV };

/* Bytes of a node's free (free + zeroing), allocated or reserved units. */
static inline long long gp_bytes(const struct gpool_node_stats_args *s, int what)
{
	unsigned long long b = 0;
	int sz;

	for (sz = 0; sz < GPOOL_NR_SIZES; sz++) {
		const struct gpool_size_stats *z = &s->size[sz];
		__u64 n = what == GP_FREE ? z->free + z->zeroing :
			  what == GP_ALLOC ? z->allocated : z->reserved;

		b += n * size_bytes[sz];
	}
	return b;
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

	ctl = open("/dev/gpool", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		gpool_die("open /dev/gpool: %s", strerror(errno));
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
