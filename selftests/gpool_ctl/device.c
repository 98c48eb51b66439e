// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: the device itself: a misc character device, mode 0600,
 * that exists exactly when the pool does, and ioctl numbers it does not
 * know.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ctl.h"

#define MISC_MAJOR	10

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
