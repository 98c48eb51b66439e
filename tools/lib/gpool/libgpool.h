/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libgpool: reading the pool from userspace, for poolctl, the demo VMM, the
 * selftests and the stress programs.  Plain C, libc only, no global state
 * but the replaceable gpool_ioctl; every function returns 0 (or a count, an
 * fd) or -errno and never exits.
 *
 *   libgpool.c   the unit sizes, the counters' names, bytes, parsing
 *   ctl.c        the control file /dev/gpool: its ioctls
 *   sysfs.c      /sys/kernel/mm/gpool (docs/ABI/sysfs-kernel-mm-gpool)
 *
 * Every constant and structure comes from <linux/gpool.h>, the uAPI
 * header: the per-size tables are indexed by GPOOL_SIZE_*, the counters
 * are read into struct gpool_node_stats_args, from either source.
 */
#ifndef LIBGPOOL_H
#define LIBGPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/gpool.h>

#define GPOOL_CTL_DEV		"/dev/gpool"
#define GPOOL_SYSFS_DIR		"/sys/kernel/mm/gpool"

/* Nodes are 0 to 63: every node mask of the uAPI is a __u64. */
#define GPOOL_MAX_NODES		64

/* ---- unit sizes, indexed by GPOOL_SIZE_* ---- */

/* "4K", "2M", "1G": also the names of the node<N>/<size>/ directories. */
extern const char * const gpool_size_name[GPOOL_NR_SIZES];
/* GPOOL_FOLIO_SHIFT_4K, _2M, _1G. */
extern const unsigned int gpool_size_shift[GPOOL_NR_SIZES];
/* The size of one unit in bytes. */
extern const __u64 gpool_size_bytes[GPOOL_NR_SIZES];
/* GPOOL_SIZE_* largest first: 1G, 2M, 4K, as sysfs lists them. */
extern const int gpool_size_order[GPOOL_NR_SIZES];

/* The GPOOL_SIZE_* of folio shift @shift, or -EINVAL. */
int gpool_size_of_shift(unsigned int shift);

/* ---- the counters ---- */

/* A __u64 counter of a uAPI struct: its sysfs file name and offset. */
struct gpool_field {
	const char *name;
	unsigned int offset;
};

#define GPOOL_NR_NODE_FIELDS	3
#define GPOOL_NR_SIZE_FIELDS	9
/* nr_pages, bad_pages, poison_pending of struct gpool_node_stats_args. */
extern const struct gpool_field gpool_node_fields[GPOOL_NR_NODE_FIELDS];
/* total ... nr_merges of struct gpool_size_stats, in sysfs's order. */
extern const struct gpool_field gpool_size_fields[GPOOL_NR_SIZE_FIELDS];

static inline __u64 gpool_field_get(const void *base,
				    const struct gpool_field *f)
{
	return *(const __u64 *)((const char *)base + f->offset);
}

static inline __u64 *gpool_field_ptr(void *base, const struct gpool_field *f)
{
	return (__u64 *)((char *)base + f->offset);
}

/* A node's counters in bytes, every size added up. */
struct gpool_bytes {
	__u64 total;		/* nr_pages */
	__u64 free;		/* free + zeroing units */
	__u64 zero;		/* of free, known zero */
	__u64 zeroing;		/* of free, being zeroed */
	__u64 reserved;		/* promised to files, counted in free */
	__u64 allocated;	/* held by files */
	__u64 bad;		/* bad_pages */
	__u64 poison;		/* poison_pending */
};

void gpool_node_bytes(const struct gpool_node_stats_args *s,
		      struct gpool_bytes *b);

/* ---- parsing ---- */

/*
 * Read the decimal digits at *@sp into *@val and advance *@sp past them.
 * 0, -EINVAL if there is no digit, -ERANGE if the number does not fit in
 * 64 bits (all the digits are consumed either way; *@val is set on 0 only).
 */
int gpool_parse_decimal(const char **sp, __u64 *val);

/*
 * A plain decimal number as sysfs prints it: digits, at most one trailing
 * newline.  0, -EINVAL or -ERANGE, *@why a static reason on failure;
 * nothing is written to *@val on failure.
 */
int gpool_parse_u64(const char *s, __u64 *val, const char **why);

/* ---- the control file ---- */

/*
 * The ioctl system call: 0 or -errno.  Tests replace it to play the
 * kernel; every function below calls it.
 */
extern int (*gpool_ioctl)(int fd, unsigned long req, void *arg);

/* Open @dev (NULL: GPOOL_CTL_DEV) read-only or read-write: an fd or -errno. */
int gpool_ctl_open(const char *dev, bool write);
/* GPOOL_IOC_INFO. */
int gpool_ctl_info(int fd, struct gpool_info_args *info);
/* GPOOL_IOC_NODE_STATS of @node: its counters at one instant. */
int gpool_ctl_node_stats(int fd, unsigned int node,
			 struct gpool_node_stats_args *s);
/*
 * GPOOL_IOC_NODE_STATS of every node of @mask into @s[node] (an array of
 * GPOOL_MAX_NODES); the other entries are zeroed.
 */
int gpool_ctl_nodes(int fd, __u64 mask, struct gpool_node_stats_args *s);
/*
 * GPOOL_IOC_LIST_FILES: every file, in a malloc()ed array the caller frees
 * (NULL when there are none).  Files may come and go meanwhile: it asks
 * again until they fit, -EAGAIN if they never do.
 */
int gpool_ctl_list_files(int fd, struct gpool_file_info **files,
			 unsigned int *nr);
/* GPOOL_IOC_GROW (@grow) or GPOOL_IOC_SHRINK of @bytes on @node. */
int gpool_ctl_resize(int fd, bool grow, unsigned int node, __u64 bytes);
/* GPOOL_IOC_SET_DEFAULT_BACKING. */
int gpool_ctl_set_default_backing(int fd, bool enable);

/* GPOOL_IOC_SET_ZEROING: start or stop the background zeroer. */
int gpool_ctl_set_zeroing(int fd, bool enable);

/* ---- sysfs ---- */

/**
 * struct gpool_sysfs_err - which file a sysfs read failed on, and why
 * @path: the file, relative to the directory.
 * @value: what it held, when it held no number.
 * @why: NULL if the file could not be read (the return value says why);
 *	else it held no number: a static reason, and the return value is
 *	-EINVAL or -ERANGE.
 */
struct gpool_sysfs_err {
	char path[64];
	char value[64];
	const char *why;
};

/* Open the directory @root (NULL: GPOOL_SYSFS_DIR): an fd or -errno. */
int gpool_sysfs_open(const char *root);
/*
 * Read the one-line file @path (relative to the directory @dfd, or
 * absolute with AT_FDCWD) into @buf, without its trailing newline.
 */
int gpool_sysfs_read(int dfd, const char *path, char *buf, size_t len);
/* The number in the file @path, strictly (gpool_parse_u64()); @err may be NULL. */
int gpool_sysfs_u64(int dfd, const char *path, __u64 *val,
		    struct gpool_sysfs_err *err);
/*
 * "node<nid>/<name>", or with @size a GPOOL_SIZE_* (not -1)
 * "node<nid>/<size>/<name>", into @buf: 0, or -ENAMETOOLONG.
 */
int gpool_sysfs_node_path(char *buf, size_t len, unsigned int nid, int size,
			  const char *name);
/* The number in gpool_sysfs_node_path(@nid, @size, @name). */
int gpool_sysfs_node_u64(int dfd, unsigned int nid, int size,
			 const char *name, __u64 *val,
			 struct gpool_sysfs_err *err);
/* The nodes with a node<N> directory under @dfd, as a mask. */
int gpool_sysfs_node_mask(int dfd, __u64 *mask);
/*
 * Every counter of node<nid>/ and its size directories into @s (zeroed
 * first, @s->node set): the numbers of GPOOL_IOC_NODE_STATS, each file
 * read at its own time.  Stops at the first file that fails.
 */
int gpool_sysfs_node_stats(int dfd, unsigned int nid,
			   struct gpool_node_stats_args *s,
			   struct gpool_sysfs_err *err);

#endif /* LIBGPOOL_H */
