// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: reading the pool, through /dev/gpool or from sysfs, with
 * libgpool (tools/lib/gpool), and the messages when that fails.
 *
 * The control file gives each node's counters as one snapshot
 * (GPOOL_IOC_NODE_STATS) and everything the pool knows; it is root's only.
 * /sys/kernel/mm/gpool/ is readable by everyone but has no nr_boot_pages,
 * nr_ranges or resize capability, and each file is read at its own time;
 * default_backing, background_zeroing and nr_files are optional (files
 * newer than the first sysfs ABI).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "poolctl.h"

int pc_load_dev(int fd, struct pc_state *st)
{
	unsigned int n;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = gpool_ctl_info(fd, &st->info);
	if (ret)
		return ret;
	st->have = PC_HAVE_ALL;
	for (n = 0; n < PC_MAX_NODES; n++) {
		struct pc_node *node = &st->node[st->nr_nodes];

		if (!(st->info.node_mask >> n & 1))
			continue;
		ret = gpool_ctl_node_stats(fd, n, &node->s);
		if (ret)
			return ret;
		node->nid = n;
		st->nr_nodes++;
	}
	return 0;
}

/* What the failed read of @e under @root was, in @err. */
static void sysfs_error(char *err, size_t errlen, const char *root,
			const struct gpool_sysfs_err *e, int ret)
{
	if (e->why)
		snprintf(err, errlen, "%s/%s: '%s': %s", root, e->path,
			 e->value, e->why);
	else
		snprintf(err, errlen, "%s/%s: %s", root, e->path,
			 strerror(-ret));
}

/*
 * An optional 0/1 file of the sysfs directory @dfd, @name: if it is there
 * and well-formed, @have is known and @flag of pool_flags is its value.
 */
static void sysfs_flag(int dfd, const char *name, struct pc_state *st,
		       unsigned int have, __u64 flag)
{
	const char *why;
	char buf[64];
	bool on;

	if (gpool_sysfs_read(dfd, name, buf, sizeof(buf)) ||
	    parse_bool(buf, &on, &why))
		return;
	st->have |= have;
	if (on)
		st->info.pool_flags |= flag;
}

int pc_load_sysfs(const char *root, struct pc_state *st, char *err,
		  size_t errlen)
{
	struct gpool_sysfs_err e;
	char buf[64];
	unsigned int n;
	__u64 v;
	int dfd, ret;

	memset(st, 0, sizeof(*st));
	st->from_sysfs = true;
	dfd = gpool_sysfs_open(root);
	if (dfd < 0) {
		snprintf(err, errlen, "%s: %s", root, strerror(-dfd));
		return dfd;
	}

	ret = gpool_sysfs_read(dfd, "mode", buf, sizeof(buf));
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
	ret = gpool_sysfs_u64(dfd, "metadata_bytes", &st->info.metadata_bytes,
			      &e);
	if (ret) {
		sysfs_error(err, errlen, root, &e, ret);
		goto out;
	}

	/* Newer than the first sysfs ABI: optional. */
	sysfs_flag(dfd, "default_backing", st, PC_HAVE_DEFAULT_BACKING,
		   GPOOL_INFO_F_DEFAULT_BACKING);
	sysfs_flag(dfd, "background_zeroing", st, PC_HAVE_ZEROING,
		   GPOOL_INFO_F_ZEROING);
	if (!gpool_sysfs_u64(dfd, "nr_files", &v, NULL) && v <= ~0U) {
		st->have |= PC_HAVE_NR_FILES;
		st->info.nr_files = v;
	}

	ret = gpool_sysfs_node_mask(dfd, &st->info.node_mask);
	if (ret) {
		snprintf(err, errlen, "%s: %s", root, strerror(-ret));
		goto out;
	}
	for (n = 0; n < PC_MAX_NODES; n++) {
		struct pc_node *node = &st->node[st->nr_nodes];

		if (!(st->info.node_mask >> n & 1))
			continue;
		node->nid = n;
		ret = gpool_sysfs_node_stats(dfd, n, &node->s, &e);
		if (ret) {
			sysfs_error(err, errlen, root, &e, ret);
			goto out;
		}
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

	fd = gpool_ctl_open(pc->dev, false);
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
