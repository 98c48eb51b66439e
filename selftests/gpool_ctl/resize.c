// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: GPOOL_IOC_GROW and GPOOL_IOC_SHRINK: their argument
 * errors; in default mode what they add and take away, all or nothing, that
 * grown memory backs files, that held memory cannot be shrunk; EOPNOTSUPP in
 * nomap mode.  Shrinking boot memory is resize_boot.c, the last part.
 */
#include "ctl.h"

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
