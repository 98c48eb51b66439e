// SPDX-License-Identifier: GPL-2.0
/*
 * libgpool: the control file /dev/gpool.  Its ioctls give each node's
 * counters as one snapshot and everything the pool knows; the file is
 * root's only (mode 0600).  docs/uapi.rst, section 4.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "libgpool.h"

static int gpool_sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

int (*gpool_ioctl)(int fd, unsigned long req, void *arg) = gpool_sys_ioctl;

int gpool_ctl_open(const char *dev, bool write)
{
	int fd = open(dev ? dev : GPOOL_CTL_DEV,
		      (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int gpool_ctl_info(int fd, struct gpool_info_args *info)
{
	memset(info, 0, sizeof(*info));
	return gpool_ioctl(fd, GPOOL_IOC_INFO, info);
}

int gpool_ctl_node_stats(int fd, unsigned int node,
			 struct gpool_node_stats_args *s)
{
	memset(s, 0, sizeof(*s));
	s->node = node;
	return gpool_ioctl(fd, GPOOL_IOC_NODE_STATS, s);
}

int gpool_ctl_nodes(int fd, __u64 mask, struct gpool_node_stats_args *s)
{
	unsigned int n;
	int ret;

	memset(s, 0, GPOOL_MAX_NODES * sizeof(*s));
	for (n = 0; n < GPOOL_MAX_NODES; n++) {
		if (!(mask >> n & 1))
			continue;
		ret = gpool_ctl_node_stats(fd, n, &s[n]);
		if (ret)
			return ret;
	}
	return 0;
}

int gpool_ctl_list_files(int fd, struct gpool_file_info **files,
			 unsigned int *nr)
{
	struct gpool_file_info *buf = NULL;
	__u64 room = 0;
	int tries, ret;

	/*
	 * Ask for the count, make room for it and a few more, ask again:
	 * files may be created in between, so go round until they fit.
	 */
	for (tries = 0; tries < 64; tries++) {
		struct gpool_list_files_args args = {
			.nr_files = room,
			.files = (unsigned long)buf,
		};
		void *p;

		ret = gpool_ioctl(fd, GPOOL_IOC_LIST_FILES, &args);
		if (!ret) {
			if (args.nr_files > room) {
				/* The kernel wrote more than it had room for? */
				free(buf);
				return -EPROTO;
			}
			if (!args.nr_files) {
				free(buf);
				buf = NULL;
			}
			*files = buf;
			*nr = args.nr_files;
			return 0;
		}
		if (ret != -E2BIG)
			break;
		if (args.nr_files <= room) {
			/* E2BIG although they would fit. */
			ret = -EPROTO;
			break;
		}
		if (args.nr_files > UINT_MAX - 8) {
			/* More files than *nr can count. */
			ret = -EPROTO;
			break;
		}
		room = args.nr_files + 8;
		p = realloc(buf, room * sizeof(*buf));
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		buf = p;
	}
	free(buf);
	/* Still growing after 64 rounds. */
	return ret == -E2BIG ? -EAGAIN : ret;
}

int gpool_ctl_resize(int fd, bool grow, unsigned int node, __u64 bytes)
{
	struct gpool_resize_args args = { .node = node, .bytes = bytes };

	return gpool_ioctl(fd, grow ? GPOOL_IOC_GROW : GPOOL_IOC_SHRINK, &args);
}

int gpool_ctl_set_default_backing(int fd, bool enable)
{
	struct gpool_default_backing_args args = { .enable = enable };

	return gpool_ioctl(fd, GPOOL_IOC_SET_DEFAULT_BACKING, &args);
}

int gpool_ctl_set_zeroing(int fd, bool enable)
{
	struct gpool_zeroing_args args = { .enable = enable };

	return gpool_ioctl(fd, GPOOL_IOC_SET_ZEROING, &args);
}
