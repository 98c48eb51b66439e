// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl grow NODE SIZE, poolctl shrink NODE SIZE: move memory between
 * the page allocator and the pool on one node (GPOOL_IOC_GROW, _SHRINK),
 * all or nothing, and print the node's size before and after:
 *
 *	node 0: grew by 1.0G, 3.0G -> 4.0G
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "poolctl.h"

void resize_print(FILE *f, bool grow, unsigned int node, __u64 bytes,
		  const __u64 *before, const __u64 *after)
{
	char a[FMT_SIZE_LEN], b[FMT_SIZE_LEN], c[FMT_SIZE_LEN];

	fprintf(f, "node %u: %s by %s", node, grow ? "grew" : "shrank",
		fmt_size(a, bytes));
	if (before && after)
		fprintf(f, ", %s -> %s", fmt_size(b, *before),
			fmt_size(c, *after));
	else if (after)
		fprintf(f, ", now %s", fmt_size(c, *after));
	fputc('\n', f);
}

/* The node's bytes, or NULL if the control file cannot tell. */
static __u64 *node_total(int fd, unsigned int node, __u64 *bytes)
{
	struct gpool_node_stats_args s;
	int ret = gpool_ctl_node_stats(fd, node, &s);

	if (ret == -ENOENT) {
		/* Not a pool node (yet). */
		*bytes = 0;
		return bytes;
	}
	if (ret)
		return NULL;
	*bytes = s.nr_pages << GPOOL_FOLIO_SHIFT_4K;
	return bytes;
}

static int resize(const struct poolctl *pc, bool grow, int argc, char **argv)
{
	const char *cmd = grow ? "grow" : "shrink";
	struct gpool_info_args info;
	__u64 before, after, *pb, *pa;
	char size[FMT_SIZE_LEN], why[512];
	unsigned int node;
	const char *err;
	__u64 bytes;
	int fd, ret;

	if (argc != 2)
		return pc_usage_error(cmd, "expected NODE and SIZE");
	if (parse_node(argv[0], &node, &err))
		return pc_usage_error(cmd, "bad node '%s': %s", argv[0], err);
	if (parse_size(argv[1], &bytes, &err))
		return pc_usage_error(cmd, "bad size '%s': %s", argv[1], err);
	if (!bytes || bytes & ((1ULL << GPOOL_FOLIO_SHIFT_2M) - 1))
		return pc_usage_error(cmd, "bad size '%s': not a non-zero "
				      "multiple of 2M", argv[1]);

	fd = gpool_ctl_open(pc->dev, true);
	if (fd < 0) {
		pc_err("%s: %s", pc->dev, strerror(-fd));
		pc_err("%s", explain_open(-fd));
		return PC_FAIL;
	}
	/* Only to explain a failure: the kernel decides. */
	if (gpool_ctl_info(fd, &info))
		info.pool_flags = 0;
	pb = node_total(fd, node, &before);

	ret = gpool_ctl_resize(fd, grow, node, bytes);
	if (ret) {
		close(fd);
		pc_err("%s node %u by %s: %s", cmd, node,
		       fmt_size(size, bytes), strerror(-ret));
		explain_resize(why, sizeof(why), grow, -ret, node, bytes,
			       info.pool_flags & GPOOL_INFO_F_NOMAP);
		pc_err("%s", why);
		return PC_FAIL;
	}
	pa = node_total(fd, node, &after);
	close(fd);
	resize_print(stdout, grow, node, bytes, pb, pa);
	return PC_OK;
}

int cmd_grow(const struct poolctl *pc, int argc, char **argv)
{
	return resize(pc, true, argc, argv);
}

int cmd_shrink(const struct poolctl *pc, int argc, char **argv)
{
	return resize(pc, false, argc, argv);
}
