// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl files (or ps): one row per pool-backed guest_memfd, in creation
 * order (GPOOL_IOC_LIST_FILES):
 *
 *	ID     PID     COMM              SIZE FOLIO NUMA          1G/2M/4K ...
 *	7      912     qemu-system-x86   4.0G 1G    bind:0-1      3/512/0  ...
 *
 * SIZE is the file's size, all of it reserved from the pool; 1G/2M/4K are
 * the units it holds now, NODES the bytes they take on each node.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poolctl.h"

static __u64 file_held_bytes(const struct gpool_file_info *fi)
{
	__u64 bytes = 0;
	int i;

	for (i = 0; i < GPOOL_NR_SIZES; i++)
		bytes += fi->units[i] << gpool_size_shift[i];
	return bytes;
}

/* Bytes held on nodes beyond GPOOL_FILE_NR_NODES - 1. */
static __u64 file_other_bytes(const struct gpool_file_info *fi)
{
	__u64 held = file_held_bytes(fi), listed = 0;
	int n;

	for (n = 0; n < GPOOL_FILE_NR_NODES; n++)
		listed += fi->node_bytes[n];
	return held > listed ? held - listed : 0;
}

static const char *file_numa(char *buf, size_t len,
			     const struct gpool_file_info *fi)
{
	char mode[FMT_SIZE_LEN], nodes[FMT_NODEMASK_LEN];

	fmt_numa_mode(mode, fi->numa_mode);
	if (fi->numa_nodes)
		snprintf(buf, len, "%s:%s", mode,
			 fmt_nodemask(nodes, fi->numa_nodes));
	else
		snprintf(buf, len, "%s", mode);
	return buf;
}

/* "default", "mmap", "shared", comma-separated, or "-". */
static char *file_flags(char *buf, size_t len, __u32 flags)
{
	static const struct {
		__u32 bit;
		const char *name;
	} names[] = {
		{ GPOOL_FILE_F_DEFAULT_BACKED, "default" },
		{ GPOOL_FILE_F_MMAP, "mmap" },
		{ GPOOL_FILE_F_SHARED, "shared" },
	};
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			used += snprintf(buf + used, used < len ? len - used : 0,
					 "%s%s", used ? "," : "", names[i].name);
	if (!used)
		snprintf(buf, len, "-");
	return buf;
}

static void file_row(FILE *f, const struct gpool_file_info *fi)
{
	char pid[16], comm[FMT_COMM_LEN], size[FMT_SIZE_LEN], sz[FMT_SIZE_LEN];
	char folio[FMT_SIZE_LEN], numa[FMT_SIZE_LEN + FMT_NODEMASK_LEN];
	char units[80], flags[32];
	__u64 other = file_other_bytes(fi);
	bool any = false;
	int n;

	if (fi->pid)
		snprintf(pid, sizeof(pid), "%u", fi->pid);
	else
		snprintf(pid, sizeof(pid), "-");
	snprintf(units, sizeof(units), "%llu/%llu/%llu",
		 fi->units[GPOOL_SIZE_1G], fi->units[GPOOL_SIZE_2M],
		 fi->units[GPOOL_SIZE_4K]);
	fprintf(f, "%-6llu %-7s %-16s %6s %-5s %-14s %-14s %-8s ", fi->id, pid,
		fmt_comm(comm, fi->comm), fmt_size(size, fi->size),
		fmt_folio_shift(folio, fi->folio_shift),
		file_numa(numa, sizeof(numa), fi), units,
		file_flags(flags, sizeof(flags), fi->file_flags));
	for (n = 0; n < GPOOL_FILE_NR_NODES; n++) {
		if (!fi->node_bytes[n])
			continue;
		fprintf(f, "%s%d:%s", any ? "," : "", n,
			fmt_size(sz, fi->node_bytes[n]));
		any = true;
	}
	if (other) {
		fprintf(f, "%s%d+:%s", any ? "," : "", GPOOL_FILE_NR_NODES,
			fmt_size(sz, other));
		any = true;
	}
	fprintf(f, "%s\n", any ? "" : "-");
}

void files_print(FILE *f, const struct gpool_file_info *files,
		 unsigned int nr)
{
	unsigned int i;

	if (!nr) {
		fprintf(f, "no pool-backed guest_memfd is open\n");
		return;
	}
	fprintf(f, "%-6s %-7s %-16s %6s %-5s %-14s %-14s %-8s %s\n", "ID",
		"PID", "COMM", "SIZE", "FOLIO", "NUMA", "1G/2M/4K", "FLAGS",
		"NODES");
	for (i = 0; i < nr; i++)
		file_row(f, &files[i]);
}

void files_print_json(FILE *f, const struct gpool_file_info *files,
		      unsigned int nr)
{
	char buf[FMT_NODEMASK_LEN], key[16];
	unsigned int i, n;
	struct json j;
	int k;

	json_init(&j, f);
	json_open(&j, NULL, '{');
	json_open(&j, "files", '[');
	for (i = 0; i < nr; i++) {
		const struct gpool_file_info *fi = &files[i];

		json_open(&j, NULL, '{');
		json_u64(&j, "id", fi->id);
		json_u64(&j, "pid", fi->pid);
		json_strn(&j, "comm", fi->comm, sizeof(fi->comm));
		json_u64(&j, "size", fi->size);
		json_str(&j, "folio", fmt_folio_shift(buf, fi->folio_shift));
		json_u64(&j, "folio_shift", fi->folio_shift);
		json_str(&j, "numa_mode", fmt_numa_mode(buf, fi->numa_mode));
		json_str(&j, "numa_nodes", fmt_nodemask(buf, fi->numa_nodes));
		json_bool(&j, "default_backed",
			  fi->file_flags & GPOOL_FILE_F_DEFAULT_BACKED);
		json_bool(&j, "mmap", fi->file_flags & GPOOL_FILE_F_MMAP);
		json_bool(&j, "shared", fi->file_flags & GPOOL_FILE_F_SHARED);
		json_open(&j, "host_maps", '{');
		for (k = 0; k < GPOOL_NR_SIZES; k++)
			json_u64(&j, gpool_size_name[gpool_size_order[k]],
				 fi->host_maps[gpool_size_order[k]]);
		json_close(&j, '{');
		json_open(&j, "units", '{');
		for (k = 0; k < GPOOL_NR_SIZES; k++)
			json_u64(&j, gpool_size_name[gpool_size_order[k]],
				 fi->units[gpool_size_order[k]]);
		json_close(&j, '{');
		json_u64(&j, "held_bytes", file_held_bytes(fi));
		json_open(&j, "node_bytes", '{');
		for (n = 0; n < GPOOL_FILE_NR_NODES; n++) {
			if (!fi->node_bytes[n])
				continue;
			snprintf(key, sizeof(key), "%u", n);
			json_u64(&j, key, fi->node_bytes[n]);
		}
		json_close(&j, '{');
		json_u64(&j, "other_node_bytes", file_other_bytes(fi));
		json_close(&j, '{');
	}
	json_close(&j, '[');
	json_close(&j, '{');
	json_finish(&j);
}

int cmd_files(const struct poolctl *pc, int argc, char **argv)
{
	struct gpool_file_info *files;
	unsigned int nr;
	int fd, ret;

	(void)argv;
	if (argc)
		return pc_usage_error("files", "too many arguments");
	fd = gpool_ctl_open(pc->dev, false);
	if (fd < 0) {
		pc_err("%s: %s", pc->dev, strerror(-fd));
		pc_err("%s; listing the files needs the control file",
		       explain_open(-fd));
		return PC_FAIL;
	}
	ret = gpool_ctl_list_files(fd, &files, &nr);
	close(fd);
	if (ret) {
		pc_err("%s: listing the files: %s", pc->dev, strerror(-ret));
		return PC_FAIL;
	}
	if (pc->json)
		files_print_json(stdout, files, nr);
	else
		files_print(stdout, files, nr);
	free(files);
	return PC_OK;
}
