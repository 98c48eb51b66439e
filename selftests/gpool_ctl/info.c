// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: GPOOL_IOC_INFO reports what sysfs reports, counts the
 * pool-backed files, and ignores its output fields on input (NODE_STATS's
 * output fields checked here too).
 */
#include "ctl.h"

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

TEST_F(ctl, info_matches_sysfs)
{
	const __u64 known = GPOOL_INFO_F_NOMAP | GPOOL_INFO_F_DEFAULT_BACKING |
			    GPOOL_INFO_F_CAN_RESIZE |
			    GPOOL_INFO_F_GMEM_ATTRIBUTES | GPOOL_INFO_F_ZEROING;
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
	/* guest_memfd converts in place (KVM_SET_MEMORY_ATTRIBUTES2). */
	EXPECT_TRUE(!!(info.pool_flags & GPOOL_INFO_F_GMEM_ATTRIBUTES));
	ASSERT_EQ(0, read_ull(GPOOL_SYSFS "/background_zeroing", &v));
	EXPECT_EQ(v == 1, !!(info.pool_flags & GPOOL_INFO_F_ZEROING));
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
