// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: GPOOL_IOC_SET_DEFAULT_BACKING: a guest_memfd created
 * without the flag is pool-backed while it is on and not while it is off.
 */
#include "ctl.h"

TEST_F(ctl, default_backing_bad_enable)
{
	REQUIRE_ADMIN(&self->e);
	EXPECT_SWITCH_REFUSES_BAD_ENABLE(&self->e, set_default_backing);
}

static unsigned long long sysfs_default_backing(void)
{
	return sysfs_ull(GPOOL_SYSFS "/default_backing");
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
