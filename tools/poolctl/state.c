// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: reading the pool, through /dev/gpool or from sysfs.
 *
 * The control file gives each node's counters as one snapshot
 * (GPOOL_IOC_NODE_STATS) and everything the pool knows; it is root's only.
 * /sys/kernel/mm/gpool/ is readable by everyone but has no nr_boot_pages,
 * nr_ranges or resize capability, and each file is read at its own time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "poolctl.h"

#define NODE_FIELD(f) { #f, offsetof(struct gpool_node_stats_args, f) }
#define SIZE_FIELD(f) { #f, offsetof(struct gpool_size_stats, f) }

const struct pc_field pc_node_fields[PC_NR_NODE_FIELDS] = {
	NODE_FIELD(nr_pages),
	NODE_FIELD(bad_pages),
	NODE_FIELD(poison_pending),
};

const struct pc_field pc_size_fields[PC_NR_SIZE_FIELDS] = {
	SIZE_FIELD(total),
	SIZE_FIELD(free),
	SIZE_FIELD(zero),
	SIZE_FIELD(zeroing),
	SIZE_FIELD(allocated),
	SIZE_FIELD(reserved),
	SIZE_FIELD(split),
	SIZE_FIELD(nr_splits),
	SIZE_FIELD(nr_merges),
};

static int pc_sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

int (*pc_ioctl)(int fd, unsigned long req, void *arg) = pc_sys_ioctl;

int pc_open(const struct poolctl *pc, bool write)
{
	int fd = open(pc->dev, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int pc_info(int fd, struct gpool_info_args *info)
{
	memset(info, 0, sizeof(*info));
	return pc_ioctl(fd, GPOOL_IOC_INFO, info);
}

int pc_node_stats(int fd, unsigned int node, struct gpool_node_stats_args *s)
{
	memset(s, 0, sizeof(*s));
	s->node = node;
	return pc_ioctl(fd, GPOOL_IOC_NODE_STATS, s);
}

int pc_list_files(int fd, struct gpool_file_info **files, unsigned int *nr)
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

		ret = pc_ioctl(fd, GPOOL_IOC_LIST_FILES, &args);
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

int pc_load_dev(int fd, struct pc_state *st)
{
	unsigned int n;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = pc_info(fd, &st->info);
	if (ret)
		return ret;
	st->have = PC_HAVE_ALL;
	for (n = 0; n < PC_MAX_NODES; n++) {
		struct pc_node *node = &st->node[st->nr_nodes];

		if (!(st->info.node_mask >> n & 1))
			continue;
		ret = pc_node_stats(fd, n, &node->s);
		if (ret)
			return ret;
		node->nid = n;
		st->nr_nodes++;
	}
	return 0;
}

/*
 * Read the one-line file @path under @dfd into @buf, without the newline.
 * 0 or -errno.
 */
static int sysfs_read(int dfd, const char *path, char *buf, size_t len)
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

static int sysfs_u64(int dfd, const char *path, __u64 *val, char *err,
		     size_t errlen, const char *root)
{
	const char *why;
	char buf[64];
	int ret;

	ret = sysfs_read(dfd, path, buf, sizeof(buf));
	if (ret) {
		snprintf(err, errlen, "%s/%s: %s", root, path, strerror(-ret));
		return ret;
	}
	ret = parse_u64(buf, val, &why);
	if (ret)
		snprintf(err, errlen, "%s/%s: '%s': %s", root, path, buf, why);
	return ret;
}

/* The node<N> directories under @dfd, as a mask. */
static int sysfs_node_mask(int dfd, __u64 *mask)
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
		unsigned int nid;
		const char *why;

		if (strncmp(de->d_name, "node", 4) ||
		    parse_node(de->d_name + 4, &nid, &why))
			continue;
		*mask |= 1ULL << nid;
	}
	closedir(dir);
	return 0;
}

static int sysfs_load_node(int dfd, struct pc_node *node, char *err,
			   size_t errlen, const char *root)
{
	char path[64];
	int i, f, ret;

	for (f = 0; f < PC_NR_NODE_FIELDS; f++) {
		const struct pc_field *fl = &pc_node_fields[f];

		snprintf(path, sizeof(path), "node%u/%s", node->nid, fl->name);
		ret = sysfs_u64(dfd, path, (__u64 *)((char *)&node->s +
				fl->offset), err, errlen, root);
		if (ret)
			return ret;
	}
	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		for (f = 0; f < PC_NR_SIZE_FIELDS; f++) {
			const struct pc_field *fl = &pc_size_fields[f];

			snprintf(path, sizeof(path), "node%u/%s/%s", node->nid,
				 pc_size_name[i], fl->name);
			ret = sysfs_u64(dfd, path, (__u64 *)((char *)
					&node->s.size[i] + fl->offset),
					err, errlen, root);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int pc_load_sysfs(const char *root, struct pc_state *st, char *err,
		  size_t errlen)
{
	const char *why;
	char buf[64];
	unsigned int n;
	__u64 v;
	bool on;
	int dfd, ret;

	memset(st, 0, sizeof(*st));
	st->from_sysfs = true;
	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", root, strerror(-ret));
		return ret;
	}

	ret = sysfs_read(dfd, "mode", buf, sizeof(buf));
	if (ret) {
		snprintf(err, errlen, "%s/mode: %s", root, strerror(-ret));
		goto out;
	}
	if (!strcmp(buf, "nomap")) {
		st->info.pool_flags |= GPOOL_INFO_F_NOMAP;
	} else if (strcmp(buf, "default")) {
		snprintf(err, errlen, "%s/mode: unknown mode '%s'", root, buf);
		ret = -EINVAL;
		goto out;
	}
	ret = sysfs_u64(dfd, "metadata_bytes", &st->info.metadata_bytes, err,
			errlen, root);
	if (ret)
		goto out;

	/* Newer than the first sysfs ABI: optional. */
	if (!sysfs_read(dfd, "default_backing", buf, sizeof(buf)) &&
	    !parse_bool(buf, &on, &why)) {
		st->have |= PC_HAVE_DEFAULT_BACKING;
		if (on)
			st->info.pool_flags |= GPOOL_INFO_F_DEFAULT_BACKING;
	}
	if (!sysfs_read(dfd, "nr_files", buf, sizeof(buf)) &&
	    !parse_u64(buf, &v, &why) && v <= ~0U) {
		st->have |= PC_HAVE_NR_FILES;
		st->info.nr_files = v;
	}

	ret = sysfs_node_mask(dfd, &st->info.node_mask);
	if (ret) {
		snprintf(err, errlen, "%s: %s", root, strerror(-ret));
		goto out;
	}
	for (n = 0; n < PC_MAX_NODES; n++) {
		struct pc_node *node = &st->node[st->nr_nodes];

		if (!(st->info.node_mask >> n & 1))
			continue;
		node->nid = n;
		node->s.node = n;
		ret = sysfs_load_node(dfd, node, err, errlen, root);
		if (ret)
			goto out;
		st->info.nr_pages += node->s.nr_pages;
		st->nr_nodes++;
	}
out:
	close(dfd);
	return ret;
}

int pc_load(const struct poolctl *pc, struct pc_state *st)
{
	char err[256];
	int fd, ret;

	fd = pc_open(pc, false);
	if (fd >= 0) {
		ret = pc_load_dev(fd, st);
		close(fd);
		if (!ret)
			return PC_OK;
		/* A kernel whose control file lacks the ioctl: use sysfs. */
		if (ret != -ENOTTY) {
			pc_err("%s: reading the pool: %s", pc->dev,
			       strerror(-ret));
			return PC_FAIL;
		}
	} else {
		ret = fd;
	}
	if (pc_load_sysfs(pc->sysfs, st, err, sizeof(err))) {
		pc_err("%s: %s", pc->dev, strerror(-ret));
		pc_err("%s", err);
		pc_err("%s", explain_open(-ret));
		return PC_FAIL;
	}
	snprintf(st->why_sysfs, sizeof(st->why_sysfs), "%s: %s", pc->dev,
		 strerror(-ret));
	return PC_OK;
}

int pc_load_select(const struct poolctl *pc, const char *cmd, const char *arg,
		   struct pc_state *st, __u64 *sel)
{
	struct nodelist nl = { .mask = ~0ULL, .all = true };
	const char *why;
	char buf[FMT_NODEMASK_LEN], have[FMT_NODEMASK_LEN];
	__u64 missing;
	int ret;

	if (arg && parse_nodelist(arg, &nl, &why))
		return pc_usage_error(cmd, "bad node list '%s': %s", arg, why);
	ret = pc_load(pc, st);
	if (ret)
		return ret;
	missing = nl.mask & ~st->info.node_mask;
	if (!nl.all && missing) {
		pc_err("no pool memory on node %s (pool nodes: %s)",
		       fmt_nodemask(buf, missing),
		       st->info.node_mask ? fmt_nodemask(have, st->info.node_mask)
					  : "none");
		return PC_FAIL;
	}
	*sel = nl.mask & st->info.node_mask;
	return PC_OK;
}

void pc_note_source(const struct poolctl *pc, const struct pc_state *st)
{
	if (st->from_sysfs)
		pc_err("note: read from %s (%s); each counter read on its own",
		       pc->sysfs, st->why_sysfs);
}

void pc_node_bytes(const struct gpool_node_stats_args *s, struct pc_bytes *b)
{
	int i;

	memset(b, 0, sizeof(*b));
	b->total = s->nr_pages << GPOOL_FOLIO_SHIFT_4K;
	b->bad = s->bad_pages << GPOOL_FOLIO_SHIFT_4K;
	b->poison = s->poison_pending << GPOOL_FOLIO_SHIFT_4K;
	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		const struct gpool_size_stats *z = &s->size[i];
		unsigned int sh = pc_size_shift[i];

		b->free += (z->free + z->zeroing) << sh;
		b->zero += z->zero << sh;
		b->zeroing += z->zeroing << sh;
		b->reserved += z->reserved << sh;
		b->allocated += z->allocated << sh;
	}
}
