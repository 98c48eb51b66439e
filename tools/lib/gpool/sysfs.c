// SPDX-License-Identifier: GPL-2.0
/*
 * libgpool: /sys/kernel/mm/gpool/ (docs/ABI/sysfs-kernel-mm-gpool).
 * Readable by everyone, but each file is read at its own time, and it has
 * no nr_boot_pages, nr_ranges or resize capability: the control file is
 * the one snapshot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libgpool.h"

int gpool_sysfs_open(const char *root)
{
	int fd = open(root ? root : GPOOL_SYSFS_DIR,
		      O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int gpool_sysfs_read(int dfd, const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

int gpool_sysfs_u64(int dfd, const char *path, __u64 *val,
		    struct gpool_sysfs_err *err)
{
	const char *why = NULL;
	char buf[64];
	int ret;

	ret = gpool_sysfs_read(dfd, path, buf, sizeof(buf));
	if (!ret)
		ret = gpool_parse_u64(buf, val, &why);
	if (ret && err) {
		snprintf(err->path, sizeof(err->path), "%s", path);
		snprintf(err->value, sizeof(err->value), "%s", why ? buf : "");
		err->why = why;
	}
	return ret;
}

int gpool_sysfs_node_path(char *buf, size_t len, unsigned int nid, int size,
			  const char *name)
{
	int n;

	if (size < 0)
		n = snprintf(buf, len, "node%u/%s", nid, name);
	else
		n = snprintf(buf, len, "node%u/%s/%s", nid,
			     gpool_size_name[size], name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int gpool_sysfs_node_u64(int dfd, unsigned int nid, int size,
			 const char *name, __u64 *val,
			 struct gpool_sysfs_err *err)
{
	char path[64];
	int ret;

	ret = gpool_sysfs_node_path(path, sizeof(path), nid, size, name);
	if (ret) {
		if (err) {
			snprintf(err->path, sizeof(err->path), "node%u/%s",
				 nid, name);
			err->value[0] = '\0';
			err->why = NULL;
		}
		return ret;
	}
	return gpool_sysfs_u64(dfd, path, val, err);
}

/* "<N>" of "node<N>", 0 to GPOOL_MAX_NODES - 1 in plain decimal; else -1. */
static int node_of_name(const char *name)
{
	const char *s = name + 4;
	__u64 v;

	if (strncmp(name, "node", 4) || gpool_parse_decimal(&s, &v) || *s ||
	    v >= GPOOL_MAX_NODES)
		return -1;
	return v;
}

int gpool_sysfs_node_mask(int dfd, __u64 *mask)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	*mask = 0;
	while ((de = readdir(dir))) {
		int nid = node_of_name(de->d_name);

		if (nid >= 0)
			*mask |= 1ULL << nid;
	}
	closedir(dir);
	return 0;
}

int gpool_sysfs_node_stats(int dfd, unsigned int nid,
			   struct gpool_node_stats_args *s,
			   struct gpool_sysfs_err *err)
{
	int i, f, ret;

	memset(s, 0, sizeof(*s));
	s->node = nid;
	for (f = 0; f < GPOOL_NR_NODE_FIELDS; f++) {
		const struct gpool_field *fl = &gpool_node_fields[f];

		ret = gpool_sysfs_node_u64(dfd, nid, -1, fl->name,
					   gpool_field_ptr(s, fl), err);
		if (ret)
			return ret;
	}
	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		for (f = 0; f < GPOOL_NR_SIZE_FIELDS; f++) {
			const struct gpool_field *fl = &gpool_size_fields[f];

			ret = gpool_sysfs_node_u64(dfd, nid, i, fl->name,
					gpool_field_ptr(&s->size[i], fl), err);
			if (ret)
				return ret;
		}
	}
	return 0;
}
