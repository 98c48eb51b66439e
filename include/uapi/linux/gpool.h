/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gpool uAPI: guest_memfd backed by the dedicated guest-memory pool.
 *
 * This header is the single source of gpool's constants and structures; the
 * kernel, poolctl and the selftests all include it.  See docs/uapi.rst.
 */
#ifndef _UAPI_LINUX_GPOOL_H
#define _UAPI_LINUX_GPOOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * KVM_CREATE_GUEST_MEMFD flag: back the file with the pool.
 *
 * Upstream allocates guest_memfd flags from bit 0 up (MMAP 0, INIT_SHARED 1,
 * the proposed NO_DIRECT_MAP 2).  KVM_CHECK_EXTENSION returns an int, so
 * KVM_CAP_GUEST_MEMFD_FLAGS cannot advertise bit 31 or above: bit 30 is the
 * highest bit that can be discovered and the last upstream would reach.
 */
#define GUEST_MEMFD_FLAG_GPOOL		(1ULL << 30)

/* gpool_create_guest_memfd.numa_mode */
#define GPOOL_NUMA_DEFAULT	0	/* the creating task's node first, then any */
#define GPOOL_NUMA_BIND		1	/* only the nodes in numa_nodes */
#define GPOOL_NUMA_PREFERRED	2	/* the one node in numa_nodes first, then any */
#define GPOOL_NUMA_INTERLEAVE	3	/* round-robin over numa_nodes */

/* gpool_create_guest_memfd.folio_shift */
#define GPOOL_FOLIO_SHIFT_4K	12
#define GPOOL_FOLIO_SHIFT_2M	21
#define GPOOL_FOLIO_SHIFT_1G	30

/**
 * struct gpool_create_guest_memfd - KVM_CREATE_GUEST_MEMFD argument with
 * GUEST_MEMFD_FLAG_GPOOL
 *
 * The same 64 bytes as struct kvm_create_guest_memfd, with names for the
 * words of reserved[] that the flag gives a meaning to.  Pass it to
 * KVM_CREATE_GUEST_MEMFD as is.
 *
 * @size: bytes; as for any guest_memfd.  The whole size is reserved from
 *	the pool at creation, all or nothing.
 * @flags: GUEST_MEMFD_FLAG_GPOOL, plus any other supported flag
 *	(GUEST_MEMFD_FLAG_MMAP, GUEST_MEMFD_FLAG_INIT_SHARED).
 * @folio_shift: log2 of the largest folio the file may use:
 *	GPOOL_FOLIO_SHIFT_4K, _2M or _1G; 0 means _1G, so that the flag
 *	alone (every word zero) is a valid request, with the defaults.
 *	(reserved[0], low half)
 * @numa_mode: GPOOL_NUMA_*.  (reserved[0], high half)
 * @numa_nodes: node mask for BIND, PREFERRED (exactly one node) and
 *	INTERLEAVE; must be 0 for DEFAULT.  (reserved[1])
 * @reserved: must be zero.  (reserved[2..5])
 */
struct gpool_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u32 folio_shift;
	__u32 numa_mode;
	__u64 numa_nodes;
	__u64 reserved[4];
};

/*
 * The control file: /dev/gpool, a misc character device (mode 0600) that
 * exists when the system has a pool.  Its ioctls read the pool's state and
 * change it; changes need CAP_SYS_ADMIN.  docs/uapi.rst, section 4, has
 * every ioctl's parameters and errors.
 *
 * Every argument starts with a __u64 flags word: unknown flags are EINVAL.  Every
 * reserved word must be zero on input, else EINVAL, and is zero on output,
 * so that a later flag can give it a meaning.  The argument is read,
 * checked, acted on as a whole or not at all, and written back.
 */
#define GPOOL_IOC_MAGIC		0xB9	/* unassigned in 6.12's ioctl-number.rst */

/* Indexes of the per-size arrays below. */
#define GPOOL_SIZE_4K		0
#define GPOOL_SIZE_2M		1
#define GPOOL_SIZE_1G		2
#define GPOOL_NR_SIZES		3

/* Nodes are numbered 0 to 63: every node mask is a __u64. */

/* Nodes whose share of a file GPOOL_IOC_LIST_FILES reports. */
#define GPOOL_FILE_NR_NODES	16

/* gpool_info_args.pool_flags */
#define GPOOL_INFO_F_NOMAP		(1U << 0) /* no struct page, no direct map */
#define GPOOL_INFO_F_DEFAULT_BACKING	(1U << 1) /* every guest_memfd uses the pool */
#define GPOOL_INFO_F_CAN_RESIZE		(1U << 2) /* GPOOL_IOC_GROW/SHRINK work */
/*
 * guest_memfds created with GUEST_MEMFD_FLAG_MMAP convert in place
 * (KVM_SET_MEMORY_ATTRIBUTES2 on the file, pool-backed or not): the way to
 * tell that cannot collide, while the in-place series' capability number is
 * not final (<linux/kvm.h>).
 */
#define GPOOL_INFO_F_GMEM_ATTRIBUTES	(1U << 3)
/* The background zeroer clears freed memory (GPOOL_IOC_SET_ZEROING). */
#define GPOOL_INFO_F_ZEROING		(1U << 4)

/**
 * struct gpool_info_args - GPOOL_IOC_INFO: the pool as a whole
 * @flags: in: 0.
 * @pool_flags: out: GPOOL_INFO_F_*.
 * @node_mask: out: the nodes that have, or had, pool memory; each has
 *	statistics (GPOOL_IOC_NODE_STATS).
 * @nr_pages: out: 4 KiB frames in the pool, every node.
 * @nr_boot_pages: out: of @nr_pages, frames reserved at boot (the rest
 *	came from GPOOL_IOC_GROW).
 * @metadata_bytes: out: memory the pool uses for its own bookkeeping.
 * @nr_ranges: out: pieces of memory the pool is made of: whole 1 GiB
 *	blocks, and the 2 MiB-aligned remainders.  GPOOL_IOC_SHRINK gives
 *	memory back a piece at a time.
 * @nr_files: out: pool-backed guest_memfds open now.
 * @reserved: zero.
 */
struct gpool_info_args {
	__u64 flags;
	__u64 pool_flags;
	__u64 node_mask;
	__u64 nr_pages;
	__u64 nr_boot_pages;
	__u64 metadata_bytes;
	__u32 nr_ranges;
	__u32 nr_files;
	__u64 reserved[8];
};

/**
 * struct gpool_size_stats - the counters of one unit size on one node, the
 * same numbers as /sys/kernel/mm/gpool/node<N>/<size>/ (docs/ABI)
 * @total: units of this size the node could hold if nothing were split.
 * @free: free units, excluding @zeroing; a free 1G unit is not also
 *	counted as 512 free 2M units.
 * @zero: of @free, the units known to be zero.
 * @zeroing: free units the background zeroer is clearing right now.
 * @allocated: units held by guest_memfds.
 * @reserved: units promised to guest_memfds and not allocated yet.
 * @split: units currently split into smaller units.
 * @nr_splits: splits of a unit of this size so far.
 * @nr_merges: merges into a unit of this size so far.
 * @unused: zero.
 */
struct gpool_size_stats {
	__u64 total;
	__u64 free;
	__u64 zero;
	__u64 zeroing;
	__u64 allocated;
	__u64 reserved;
	__u64 split;
	__u64 nr_splits;
	__u64 nr_merges;
	__u64 unused[3];
};

/**
 * struct gpool_node_stats_args - GPOOL_IOC_NODE_STATS: one node's
 * counters, all taken at one instant
 * @flags: in: 0.
 * @node: in: a node of gpool_info_args.node_mask.
 * @nr_pages: out: 4 KiB frames on the node.
 * @bad_pages: out: frames taken out of service (memory errors).
 * @poison_pending: out: bad frames still held by a guest_memfd.
 * @size: out: per unit size, indexed by GPOOL_SIZE_*.
 * @reserved: zero.
 */
struct gpool_node_stats_args {
	__u64 flags;
	__u64 node;
	__u64 nr_pages;
	__u64 bad_pages;
	__u64 poison_pending;
	struct gpool_size_stats size[GPOOL_NR_SIZES];
	__u64 reserved[4];
};

/**
 * struct gpool_resize_args - GPOOL_IOC_GROW and GPOOL_IOC_SHRINK
 * @flags: in: 0.
 * @node: in: the node to take memory from (grow) or give back on (shrink).
 * @bytes: in: how much; a non-zero multiple of 2 MiB.
 * @reserved: zero.
 *
 * GROW takes @bytes from the buddy allocator on @node: the whole GiBs as
 * 1 GiB-aligned blocks (each can serve a 1G unit), the rest as 2 MiB
 * blocks.  SHRINK gives @bytes of free pool memory on @node back to the
 * buddy allocator, whole pieces at a time, most recently added first.
 * Both are all or nothing.
 */
struct gpool_resize_args {
	__u64 flags;
	__u64 node;
	__u64 bytes;
	__u64 reserved[5];
};

/**
 * struct gpool_default_backing_args - GPOOL_IOC_SET_DEFAULT_BACKING
 * @flags: in: 0.
 * @enable: in: 1 to back every guest_memfd created from now on with the
 *	pool (as gpool=default_backing,... does at boot), 0 to stop.  Files
 *	already open keep their backing.
 * @reserved: zero.
 */
struct gpool_default_backing_args {
	__u64 flags;
	__u64 enable;
	__u64 reserved[2];
};

/**
 * struct gpool_zeroing_args - GPOOL_IOC_SET_ZEROING
 * @flags: in: 0.
 * @enable: in: 1 to let the background zeroer clear free memory (as it does
 *	from boot), 0 to stop it.  While it is stopped, memory freed stays
 *	dirty, and is cleared when it is allocated, by the allocating thread
 *	(a guest's fault, fallocate()).  Stopping waits for the zeroer to
 *	give back the unit it is clearing, at most one 2 MiB piece.
 * @reserved: zero.
 */
struct gpool_zeroing_args {
	__u64 flags;
	__u64 enable;
	__u64 reserved[2];
};

/* gpool_file_info.file_flags */
#define GPOOL_FILE_F_DEFAULT_BACKED	(1U << 0) /* created without the flag */
#define GPOOL_FILE_F_MMAP		(1U << 1) /* GUEST_MEMFD_FLAG_MMAP */
#define GPOOL_FILE_F_SHARED		(1U << 2) /* GUEST_MEMFD_FLAG_INIT_SHARED */

/**
 * struct gpool_file_info - one pool-backed guest_memfd
 * @id: a number that names the file for as long as the system runs.
 * @pid: the process (thread group) that created it, as the caller's pid
 *	namespace sees it; 0 if that namespace cannot see it.  The file may
 *	outlive the process (a passed file descriptor).
 * @file_flags: GPOOL_FILE_F_*.
 * @comm: the name of the creating thread, NUL-terminated.
 * @size: the file size in bytes, all of it reserved from the pool.
 * @folio_shift: the largest unit the file uses: GPOOL_FOLIO_SHIFT_*.
 * @numa_mode: its GPOOL_NUMA_* policy.
 * @numa_nodes: its policy's node mask.
 * @units: units the file holds now, by size (GPOOL_SIZE_*).
 * @node_bytes: bytes the file holds now on each of nodes 0 to
 *	GPOOL_FILE_NR_NODES - 1; the sum of @units is the whole.
 * @host_maps: host mappings (mmap) that faults have made so far, by size
 *	(GPOOL_SIZE_*): one per PTE, PMD or PUD installed, in any process.
 * @reserved: zero.
 */
struct gpool_file_info {
	__u64 id;
	__u32 pid;
	__u32 file_flags;
	char comm[16];
	__u64 size;
	__u32 folio_shift;
	__u32 numa_mode;
	__u64 numa_nodes;
	__u64 units[GPOOL_NR_SIZES];
	__u64 node_bytes[GPOOL_FILE_NR_NODES];
	__u64 host_maps[GPOOL_NR_SIZES];
	__u64 reserved[1];
};

/**
 * struct gpool_list_files_args - GPOOL_IOC_LIST_FILES
 * @flags: in: 0.
 * @nr_files: in: room at @files, in entries; out: the number of files.
 * @files: in: address of an array of struct gpool_file_info, or 0 with
 *	@nr_files 0 to ask for the count alone.
 * @reserved: zero.
 *
 * If the files do not fit (more than @nr_files), nothing is written to
 * @files, @nr_files is set to the count and the ioctl fails with E2BIG.
 * Entries come in creation order.
 */
struct gpool_list_files_args {
	__u64 flags;
	__u64 nr_files;
	__u64 files;
	__u64 reserved[2];
};

#define GPOOL_IOC_INFO		_IOWR(GPOOL_IOC_MAGIC, 0x00, struct gpool_info_args)
#define GPOOL_IOC_NODE_STATS	_IOWR(GPOOL_IOC_MAGIC, 0x01, struct gpool_node_stats_args)
#define GPOOL_IOC_GROW		_IOW(GPOOL_IOC_MAGIC, 0x02, struct gpool_resize_args)
#define GPOOL_IOC_SHRINK	_IOW(GPOOL_IOC_MAGIC, 0x03, struct gpool_resize_args)
#define GPOOL_IOC_SET_DEFAULT_BACKING \
	_IOW(GPOOL_IOC_MAGIC, 0x04, struct gpool_default_backing_args)
#define GPOOL_IOC_LIST_FILES	_IOWR(GPOOL_IOC_MAGIC, 0x05, struct gpool_list_files_args)
#define GPOOL_IOC_SET_ZEROING	_IOW(GPOOL_IOC_MAGIC, 0x06, struct gpool_zeroing_args)

#endif /* _UAPI_LINUX_GPOOL_H */
