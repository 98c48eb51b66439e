// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: GPOOL_IOC_SET_ZEROING.  Stopped, the background zeroer
 * leaves freed memory dirty, and a file that gets dirty units still reads
 * zero: the allocating thread (here a host fault through the file's
 * mapping) clears them.  Started again, the zeroer clears what is dirty.
 *
 * The oracle: the test makes every free 1G unit of one node dirty (a file
 * of all of them, a distinct non-zero word written into every 4K page),
 * so that the next file on that node can only get those units back; it
 * must read zero in every page, and the node's dirty bytes must drop by
 * exactly its size.
 */
#include "ctl.h"

/* How long the zeroer may take to clear a few GiB, debug kernels included. */
#define ZEROER_SECONDS	300

/* Bytes of the free 1G and 2M units of @nid not known to be zero. */
static unsigned long long dirty_bytes(struct __test_metadata *_metadata,
				      int fd, int nid)
{
	struct gpool_node_stats_args s;
	unsigned long long b = 0;
	int sz;

	EXPECT_EQ(0, node_stats(fd, nid, &s));
	for (sz = GPOOL_SIZE_2M; sz <= GPOOL_SIZE_1G; sz++)
		b += (s.size[sz].free - s.size[sz].zero + s.size[sz].zeroing) *
		     size_bytes[sz];
	return b;
}

/* The node with the fewest free unreserved 1G units (at least one). */
static int node_fewest_1g(struct __test_metadata *_metadata, int fd,
			  unsigned int *units)
{
	struct gpool_node_stats_args s;
	int nid, best = -1;
	__u64 n;

	*units = 0;
	for (nid = 0; nid < MAX_NODES; nid++) {
		if (node_stats(fd, nid, &s))
			continue;
		n = s.size[GPOOL_SIZE_1G].free > s.size[GPOOL_SIZE_1G].reserved ?
		    s.size[GPOOL_SIZE_1G].free - s.size[GPOOL_SIZE_1G].reserved : 0;
		if (n && (best < 0 || n < *units)) {
			best = nid;
			*units = n;
		}
	}
	return best;
}

/* A mapped file of @units 1G units bound to @nid; MAP_FAILED if not. */
static char *map_file(struct ctl_env *e, int nid, unsigned int units, int *fd)
{
	struct gpool_create_guest_memfd a = {
		.size = (__u64)units * SZ_1G,
		.flags = GUEST_MEMFD_FLAG_GPOOL | GUEST_MEMFD_FLAG_MMAP |
			 GUEST_MEMFD_FLAG_INIT_SHARED,
		.folio_shift = GPOOL_FOLIO_SHIFT_1G,
		.numa_mode = GPOOL_NUMA_BIND,
		.numa_nodes = 1ULL << nid,
	};

	*fd = new_file(e, &a);
	if (*fd < 0)
		return MAP_FAILED;
	return mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
}

/* A word no zeroed page holds, different in every page. */
static __u64 canary_word(__u64 off)
{
	return 0xa5a5a5a500000001ULL ^ off;
}

/*
 * Make every free 1G unit of a node dirty with the zeroer stopped; the
 * node and the number of units in *@nid and *@units.
 */
static void dirty_a_node(struct __test_metadata *_metadata,
			 struct ctl_env *e, int *nid, unsigned int *units)
{
	__u64 size, off;
	char *m;
	int fd;

	*nid = node_fewest_1g(_metadata, e->fd, units);
	ASSERT_LE(0, *nid) TH_LOG("no node has a free 1G unit");
	size = (__u64)*units * SZ_1G;
	m = map_file(e, *nid, *units, &fd);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("a %u GiB file on node %d: %s",
					*units, *nid, strerror(errno));
	for (off = 0; off < size; off += SZ_4K)
		*(volatile __u64 *)(m + off) = canary_word(off);
	munmap(m, size);
	close_file(e, fd);
	EXPECT_LE(size, dirty_bytes(_metadata, e->fd, *nid));
}

/* Wait until the zeroer has cleared every free unit of @nid. */
static bool wait_clean(struct __test_metadata *_metadata, int fd, int nid)
{
	int i;

	for (i = 0; i < ZEROER_SECONDS * 10; i++) {
		if (!dirty_bytes(_metadata, fd, nid))
			return true;
		usleep(100 * 1000);
	}
	return false;
}

TEST_F(ctl, zeroing_bad_enable)
{
	REQUIRE_ADMIN(&self->e);
	EXPECT_SWITCH_REFUSES_BAD_ENABLE(&self->e, set_zeroing);
}

TEST_F(ctl, zeroing_off_clears_on_allocation)
{
	struct gpool_info_args info = {};
	unsigned long long dirty, bad = 0, first = 0;
	unsigned int units;
	__u64 size, off, v;
	int nid, fd;
	char *m;

	REQUIRE_ADMIN(&self->e);
	ASSERT_TRUE(zeroing_at_setup(&self->e))
		TH_LOG("the background zeroer is not running at setup");
	ASSERT_EQ(0, set_zeroing(self->e.fd, 0));
	gpool_ioctl(self->e.fd, GPOOL_IOC_INFO, &info);
	EXPECT_FALSE(!!(info.pool_flags & GPOOL_INFO_F_ZEROING));
	EXPECT_EQ(0ULL, sysfs_ull(GPOOL_SYSFS "/background_zeroing"));
	/* Stopping twice is not an error. */
	EXPECT_EQ(0, set_zeroing(self->e.fd, 0));

	dirty_a_node(_metadata, &self->e, &nid, &units);
	size = (__u64)units * SZ_1G;
	dirty = dirty_bytes(_metadata, self->e.fd, nid);
	/* Stopped means stopped: nothing is cleared in the background. */
	sleep(1);
	EXPECT_EQ(dirty, dirty_bytes(_metadata, self->e.fd, nid));

	m = map_file(&self->e, nid, units, &fd);
	ASSERT_NE(MAP_FAILED, m) TH_LOG("the second file: %s", strerror(errno));
	for (off = 0; off < size; off += SZ_4K) {
		v = *(volatile __u64 *)(m + off) |
		    *(volatile __u64 *)(m + off + SZ_4K - 8);
		if (v && !bad++)
			first = off;
	}
	EXPECT_EQ(0ULL, bad) TH_LOG("%llu pages hold a word not zero, the first at offset %#llx",
				   bad, first);
	/* The file got the dirty units back, and its faults cleared them. */
	EXPECT_EQ(dirty - size, dirty_bytes(_metadata, self->e.fd, nid));
	munmap(m, size);
	close_file(&self->e, fd);

	ASSERT_EQ(0, set_zeroing(self->e.fd, 1));
	EXPECT_TRUE(wait_clean(_metadata, self->e.fd, nid))
		TH_LOG("node %d still has %llu dirty bytes after %d s", nid,
		       dirty_bytes(_metadata, self->e.fd, nid), ZEROER_SECONDS);
}

TEST_F(ctl, zeroing_on_clears_in_background)
{
	struct gpool_info_args info = {};
	unsigned int units;
	int nid;

	REQUIRE_ADMIN(&self->e);
	ASSERT_EQ(0, set_zeroing(self->e.fd, 0));
	dirty_a_node(_metadata, &self->e, &nid, &units);

	ASSERT_EQ(0, set_zeroing(self->e.fd, 1));
	gpool_ioctl(self->e.fd, GPOOL_IOC_INFO, &info);
	EXPECT_TRUE(!!(info.pool_flags & GPOOL_INFO_F_ZEROING));
	EXPECT_EQ(1ULL, sysfs_ull(GPOOL_SYSFS "/background_zeroing"));
	EXPECT_EQ(0, set_zeroing(self->e.fd, 1));
	EXPECT_TRUE(wait_clean(_metadata, self->e.fd, nid))
		TH_LOG("node %d still has %llu dirty bytes after %d s", nid,
		       dirty_bytes(_metadata, self->e.fd, nid), ZEROER_SECONDS);
}
