// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: boot memory can be shrunk and grown back.  The last
 * part, and its test the last of the ctl fixture: it leaves nr_boot_pages
 * lower for the rest of the boot.
 */
#include "ctl.h"

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
