/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gpool uAPI: guest_memfd backed by the dedicated guest-memory pool.
 *
 * This header is the single source of gpool's constants and structures; the
 * kernel, poolctl and the selftests all include it.  See docs/uapi.rst.
 */
#ifndef _UAPI_LINUX_GPOOL_H
#define _UAPI_LINUX_GPOOL_H

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
 * @flags: GUEST_MEMFD_FLAG_GPOOL, plus any other supported flag.
 * @folio_shift: log2 of the largest folio the file may use:
 *	GPOOL_FOLIO_SHIFT_4K, _2M or _1G; required: 0 is invalid with the
 *	flag, so that the flag alone is never a valid request.
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

#endif /* _UAPI_LINUX_GPOOL_H */
