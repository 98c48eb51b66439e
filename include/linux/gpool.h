/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpool: what the rest of the kernel calls.  The kernel build links this
 * file into include/linux/ (see scripts/kernel.sh); the pool core's own API
 * is pool/pool.h.
 */
#ifndef _LINUX_GPOOL_H
#define _LINUX_GPOOL_H

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/types.h>

struct gpool_create_guest_memfd;
struct kvm_gmem_backend;

#ifdef CONFIG_GPOOL

/*
 * Reserve the boot pool from memblock, as the gpool= parameter asks.
 * Called by setup_arch() once NUMA nodes are known and before the memory
 * map is allocated, so that a "nomap" pool never gets struct pages.
 */
void __init gpool_reserve_boot(void);

/*
 * guest_memfd backing (kernel/gmem.c).  A pool-backed guest_memfd keeps
 * its memory in the pool instead of the page cache: gpool_gmem_create()
 * checks the arguments (struct gpool_create_guest_memfd), reserves the
 * whole size and returns the file's backend, whose operations
 * (<linux/kvm_gmem_backend.h>) guest_memfd.c calls from then on.
 * gpool_gmem_supported_flags() is GUEST_MEMFD_FLAG_GPOOL if the system
 * has a pool; gpool_gmem_default_backing() says whether every guest_memfd
 * should be pool-backed.
 */
u64 gpool_gmem_supported_flags(void);
bool gpool_gmem_default_backing(void);
struct kvm_gmem_backend *
gpool_gmem_create(const struct gpool_create_guest_memfd *args);

/*
 * memory_failure() on a frame of the pool: take it out of service, and if
 * a guest_memfd holds it, unmap it and fail the guest's accesses with
 * -EHWPOISON.  Returns -ENOENT if @pfn is not the pool's.
 */
int gpool_memory_failure(unsigned long pfn, int flags);

#else /* !CONFIG_GPOOL */

/* Without the pool no file is ever pool-backed: creation fails. */
static inline u64 gpool_gmem_supported_flags(void)
{
	return 0;
}

static inline bool gpool_gmem_default_backing(void)
{
	return false;
}

static inline struct kvm_gmem_backend *
gpool_gmem_create(const struct gpool_create_guest_memfd *args)
{
	return ERR_PTR(-EINVAL);
}

static inline void gpool_reserve_boot(void)
{
}

static inline int gpool_memory_failure(unsigned long pfn, int flags)
{
	return -ENOENT;
}

#endif /* CONFIG_GPOOL */

#endif /* _LINUX_GPOOL_H */
