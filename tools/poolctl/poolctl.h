/* SPDX-License-Identifier: GPL-2.0 */
/*
 * poolctl: declarations shared by poolctl.c, the cmd_*.c files and the
 * host unit tests.
 *
 * Layers, bottom up:
 *   parse.c, format.c, json.c   pure parsing and formatting
 *   state.c                     the pool, through libgpool: /dev/gpool or
 *                               the sysfs fallback
 *   report.c                    output shared by several commands
 *   cmd_*.c                     one file per command group
 *   poolctl.c                   main, global options, the command table
 */
#ifndef POOLCTL_H
#define POOLCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/gpool.h>

#include "libgpool.h"

#include "format.h"
#include "json.h"
#include "parse.h"

/* Exit status. */
#define PC_OK		0	/* done */
#define PC_FAIL		1	/* the operation failed */
#define PC_USAGE	2	/* the command line is wrong */

#define PC_DEFAULT_DEVICE	"/dev/gpool"
#define PC_DEFAULT_SYSFS	"/sys/kernel/mm/gpool"

/* Global options. */
struct poolctl {
	const char *dev;	/* the control file, -d */
	const char *sysfs;	/* the sysfs directory, -s */
	bool json;		/* -j */
};

/**
 * struct pc_command - one entry of the command table
 * @name: what the user types.
 * @fn: runs the command on its arguments (after the name); returns PC_*.
 * @args: the synopsis of its arguments.
 * @help: one line for --help.
 */
struct pc_command {
	const char *name;
	int (*fn)(const struct poolctl *pc, int argc, char **argv);
	const char *args;
	const char *help;
};

int poolctl_main(int argc, char **argv);

/* Messages on stderr, prefixed "poolctl: ". */
void pc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error of command @cmd: the message, the synopsis; PC_USAGE. */
int pc_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What the sysfs fallback cannot know: flags of pc_state.have. */
#define PC_HAVE_DEFAULT_BACKING	(1U << 0)
#define PC_HAVE_NR_FILES	(1U << 1)
#define PC_HAVE_BOOT_PAGES	(1U << 2)
#define PC_HAVE_NR_RANGES	(1U << 3)
#define PC_HAVE_CAN_RESIZE	(1U << 4)
#define PC_HAVE_ZEROING		(1U << 5)
#define PC_HAVE_ALL		((1U << 6) - 1)

struct pc_node {
	unsigned int nid;
	struct gpool_node_stats_args s;
};

/**
 * struct pc_state - the pool as poolctl read it
 * @info: GPOOL_IOC_INFO, or what sysfs has of it (nr_pages summed over
 *	the nodes, node_mask from the node<N> directories).
 * @have: PC_HAVE_*: the fields of @info that are known.
 * @from_sysfs: read from sysfs, not from /dev/gpool.
 * @why_sysfs: with @from_sysfs: why the control file was not used.
 * @nr_nodes: entries of @node, one per node of @info.node_mask, ascending.
 * @node: per-node counters; through the control file each node's are one
 *	snapshot, through sysfs each file is read at its own time.
 */
struct pc_state {
	struct gpool_info_args info;
	unsigned int have;
	bool from_sysfs;
	char why_sysfs[128];
	unsigned int nr_nodes;
	struct pc_node node[PC_MAX_NODES];
};

/*
 * Reading the pool (state.c) goes through libgpool (libgpool.h): the
 * control file's ioctls, gpool_ioctl() that the host tests replace, the
 * sysfs files, the counters' names and the unit sizes.
 */

/* Read @st through the control file: 0 or -errno. */
int pc_load_dev(int fd, struct pc_state *st);
/* Read @st from the sysfs directory @root: 0 or -errno, @err says what. */
int pc_load_sysfs(const char *root, struct pc_state *st, char *err,
		  size_t errlen);
/*
 * Read the pool through the control file, else from sysfs (read-only).
 * Prints what went wrong; returns PC_OK or PC_FAIL.
 */
int pc_load(const struct poolctl *pc, struct pc_state *st);
/*
 * pc_load(), then the nodes of @arg (a node list; NULL: every node) in
 * @sel.  PC_OK, PC_FAIL, or PC_USAGE for a malformed list of command @cmd.
 */
int pc_load_select(const struct poolctl *pc, const char *cmd, const char *arg,
		   struct pc_state *st, __u64 *sel);
/* Tell on stderr that @st came from sysfs, if it did. */
void pc_note_source(const struct poolctl *pc, const struct pc_state *st);

/* report.c: show --json and stat --json, the nodes of @sel. */
void report_json(FILE *f, const struct pc_state *st, __u64 sel);

/* The commands, and the printing each does (pure, for the host tests). */
int cmd_show(const struct poolctl *pc, int argc, char **argv);
void show_print(FILE *f, const struct pc_state *st, __u64 sel,
		const char *source);
int cmd_stat(const struct poolctl *pc, int argc, char **argv);
void stat_print(FILE *f, const struct pc_state *st, __u64 sel);
int cmd_files(const struct poolctl *pc, int argc, char **argv);
void files_print(FILE *f, const struct gpool_file_info *files,
		 unsigned int nr);
void files_print_json(FILE *f, const struct gpool_file_info *files,
		      unsigned int nr);
int cmd_grow(const struct poolctl *pc, int argc, char **argv);
int cmd_shrink(const struct poolctl *pc, int argc, char **argv);
void resize_print(FILE *f, bool grow, unsigned int node, __u64 bytes,
		  const __u64 *before, const __u64 *after);
int cmd_default_backing(const struct poolctl *pc, int argc, char **argv);
int cmd_zeroing(const struct poolctl *pc, int argc, char **argv);

#endif /* POOLCTL_H */
