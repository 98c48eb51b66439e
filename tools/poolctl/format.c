// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: formatting of sizes, node masks and names, and the explanations
 * printed when an ioctl fails.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "parse.h"

const char *fmt_size(char buf[FMT_SIZE_LEN], __u64 bytes)
{
	static const char units[] = "KMGTPE";
	unsigned int shift = 10;
	__u64 unit, whole, rem, tenths;

	if (!bytes) {
		snprintf(buf, FMT_SIZE_LEN, "0");
		return buf;
	}
	if (bytes < 1024) {
		snprintf(buf, FMT_SIZE_LEN, "%lluB", bytes);
		return buf;
	}
	while (shift < 60 && bytes >> (shift + 10))
		shift += 10;
	unit = 1ULL << shift;
	whole = bytes >> shift;
	rem = bytes & (unit - 1);
	if (whole < 10) {
		/* rem * 10 + unit / 2 < 10.5 * 2^60: no overflow. */
		tenths = whole * 10 + ((rem * 10 + unit / 2) >> shift);
		if (tenths < 100) {
			snprintf(buf, FMT_SIZE_LEN, "%llu.%llu%c", tenths / 10,
				 tenths % 10, units[shift / 10 - 1]);
			return buf;
		}
	}
	whole += rem >= unit / 2;
	if (whole >= 1024 && shift < 60) {
		/* 1023.5M and up round to 1.0G. */
		snprintf(buf, FMT_SIZE_LEN, "1.0%c", units[shift / 10]);
		return buf;
	}
	snprintf(buf, FMT_SIZE_LEN, "%llu%c", whole, units[shift / 10 - 1]);
	return buf;
}

const char *fmt_nodemask(char buf[FMT_NODEMASK_LEN], __u64 mask)
{
	size_t len = 0;
	unsigned int n = 0;

	buf[0] = '\0';
	while (n < PC_MAX_NODES) {
		unsigned int first;

		if (!(mask >> n & 1)) {
			n++;
			continue;
		}
		first = n;
		while (n + 1 < PC_MAX_NODES && (mask >> (n + 1) & 1))
			n++;
		len += snprintf(buf + len, FMT_NODEMASK_LEN - len,
				first == n ? "%s%u" : "%s%u-%u",
				len ? "," : "", first, n);
		n++;
	}
	return buf;
}

const char *fmt_numa_mode(char buf[FMT_SIZE_LEN], __u32 mode)
{
	static const char * const names[] = {
		[GPOOL_NUMA_DEFAULT] = "default",
		[GPOOL_NUMA_BIND] = "bind",
		[GPOOL_NUMA_PREFERRED] = "preferred",
		[GPOOL_NUMA_INTERLEAVE] = "interleave",
	};

	if (mode < ARRAY_SIZE(names) && names[mode])
		snprintf(buf, FMT_SIZE_LEN, "%s", names[mode]);
	else
		snprintf(buf, FMT_SIZE_LEN, "mode%u", mode);
	return buf;
}

const char *fmt_folio_shift(char buf[FMT_SIZE_LEN], __u32 shift)
{
	int i = gpool_size_of_shift(shift);

	if (i >= 0)
		snprintf(buf, FMT_SIZE_LEN, "%s", gpool_size_name[i]);
	else
		snprintf(buf, FMT_SIZE_LEN, "shift%u", shift);
	return buf;
}

const char *fmt_comm(char buf[FMT_COMM_LEN], const char comm[16])
{
	int i;

	for (i = 0; i < 16 && comm[i]; i++) {
		unsigned char c = comm[i];

		buf[i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	buf[i] = '\0';
	return buf;
}

const char *explain_open(int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return "there is no pool: boot with gpool=SIZE "
		       "(docs/admin-guide.rst), and mount devtmpfs on /dev";
	case EACCES:
	case EPERM:
		return "/dev/gpool is root's only (mode 0600): run as root";
	}
	return "cannot use the control file";
}

void explain_resize(char *buf, size_t len, bool grow, int err,
		    unsigned int node, __u64 bytes, bool nomap)
{
	const char *op = grow ? "grow" : "shrink";
	char sz[FMT_SIZE_LEN];
	__u64 gigs = bytes >> GPOOL_FOLIO_SHIFT_1G;
	__u64 twos = (bytes & ((1ULL << GPOOL_FOLIO_SHIFT_1G) - 1)) >>
		     GPOOL_FOLIO_SHIFT_2M;

	fmt_size(sz, bytes);
	switch (err) {
	case EPERM:
		snprintf(buf, len, "changing the pool needs CAP_SYS_ADMIN: "
			 "run as root");
		break;
	case EOPNOTSUPP:
		if (nomap)
			snprintf(buf, len, "the pool is nomap: its memory has "
				 "no struct pages and cannot move to or from "
				 "the page allocator; its size is fixed at "
				 "boot (change gpool= and reboot)");
		else
			snprintf(buf, len, "this kernel cannot %s the pool "
				 "(built without CONFIG_CONTIG_ALLOC); its "
				 "size is fixed at boot", op);
		break;
	case ENOMEM:
		if (gigs && twos)
			snprintf(buf, len, "the buddy allocator cannot supply "
				 "%llu contiguous 1 GiB-aligned 1G blocks and "
				 "%llu 2M blocks on node %u; free or compact "
				 "memory (echo 1 > /proc/sys/vm/compact_memory) "
				 "or grow by less", gigs, twos, node);
		else if (gigs)
			snprintf(buf, len, "the buddy allocator cannot supply "
				 "%llu contiguous 1 GiB-aligned 1G block%s on "
				 "node %u; free or compact memory (echo 1 > "
				 "/proc/sys/vm/compact_memory) or grow by less",
				 gigs, gigs == 1 ? "" : "s", node);
		else
			snprintf(buf, len, "the buddy allocator cannot supply "
				 "%llu contiguous 2M block%s on node %u; free "
				 "or compact memory (echo 1 > "
				 "/proc/sys/vm/compact_memory) or grow by less",
				 twos, twos == 1 ? "" : "s", node);
		break;
	case EBUSY:
		snprintf(buf, len, "memory in use or reserved: node %u has not "
			 "%s of free pool memory in whole pieces (1 GiB "
			 "blocks and 2 MiB-aligned remainders, given back "
			 "newest first); nothing changed", node, sz);
		break;
	case ENOENT:
		snprintf(buf, len, "node %u has no pool memory", node);
		break;
	case EINVAL:
		snprintf(buf, len, grow ?
			 "node %u has no memory, or the kernel rejected the "
			 "request (the size must be a non-zero multiple of 2M)" :
			 "the kernel rejected the request for node %u (the "
			 "size must be a non-zero multiple of 2M)", node);
		break;
	case EINTR:
		snprintf(buf, len, "interrupted by a signal; nothing changed");
		break;
	case ENOTTY:
		snprintf(buf, len, "this kernel's /dev/gpool cannot %s the "
			 "pool (kernel and poolctl out of step?)", op);
		break;
	default:
		snprintf(buf, len, "could not %s node %u by %s", op, node, sz);
		break;
	}
}

void explain_set(char *buf, size_t len, int err, const char *what)
{
	switch (err) {
	case EPERM:
		snprintf(buf, len, "changing %s needs CAP_SYS_ADMIN: run as "
			 "root", what);
		break;
	case ENOTTY:
		snprintf(buf, len, "this kernel's /dev/gpool cannot change %s "
			 "(kernel and poolctl out of step?)", what);
		break;
	case EINVAL:
		snprintf(buf, len, "the kernel rejected the request");
		break;
	default:
		snprintf(buf, len, "could not change %s", what);
		break;
	}
}
