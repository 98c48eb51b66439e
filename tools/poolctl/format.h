/* SPDX-License-Identifier: GPL-2.0 */
/*
 * poolctl: formatting of values and of error explanations.  Pure functions
 * over plain data, covered by the host unit tests (tests/test_format.c).
 */
#ifndef POOLCTL_FORMAT_H
#define POOLCTL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/gpool.h>

/* The unit sizes: gpool_size_name[] and the rest of libgpool's table. */
#include "libgpool.h"

#define FMT_SIZE_LEN	24
/**
 * fmt_size() - bytes in binary units for people, like "ls -lh": "0",
 * "512B", "4.0K", "1.5G", "10G", "512M", "16E"; rounded to nearest, one
 * decimal below 10, none from 10 on.
 * Return: @buf.
 */
const char *fmt_size(char buf[FMT_SIZE_LEN], __u64 bytes);

/* Enough for the longest list of 64 nodes, "0,2,4,...,62". */
#define FMT_NODEMASK_LEN	160
/**
 * fmt_nodemask() - a node mask in node list syntax ("0,2-3"), the form
 * parse_nodelist() reads; "" for the empty mask.
 * Return: @buf.
 */
const char *fmt_nodemask(char buf[FMT_NODEMASK_LEN], __u64 mask);

/* "default", "bind", "preferred", "interleave", or "mode<N>" if unknown. */
const char *fmt_numa_mode(char buf[FMT_SIZE_LEN], __u32 mode);
/* "4K", "2M", "1G", or "shift<N>" if unknown. */
const char *fmt_folio_shift(char buf[FMT_SIZE_LEN], __u32 shift);

#define FMT_COMM_LEN	17
/* A task name, NUL-terminated within 16 bytes, non-printable bytes as '?'. */
const char *fmt_comm(char buf[FMT_COMM_LEN], const char comm[16]);

/* What to do when /dev/gpool cannot be opened with errno @err. */
const char *explain_open(int err);

/*
 * explain_resize() - why GPOOL_IOC_GROW or _SHRINK failed with errno @err,
 * and what to do, in @buf.
 * @nomap: the pool is known to be nomap (GPOOL_INFO_F_NOMAP).
 */
void explain_resize(char *buf, size_t len, bool grow, int err,
		    unsigned int node, __u64 bytes, bool nomap);

/*
 * explain_set() - why an on/off switch of the pool failed with errno @err
 * (GPOOL_IOC_SET_DEFAULT_BACKING, GPOOL_IOC_SET_ZEROING), in @buf.
 * @what: the setting, as a sentence names it: "the default backing".
 */
void explain_set(char *buf, size_t len, int err, const char *what);

#endif /* POOLCTL_FORMAT_H */
