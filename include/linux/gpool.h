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
struct gpool_file;

/**
 * struct gpool_mapper - how the pool reaches KVM's mappings of a file
 * @invalidate_begin: drop every mapping of pages [start, end) of the file
 *	and keep new ones from being installed until @invalidate_end (KVM's
 *	mmu_invalidate_begin()/range_add()).  Called with the file's
 *	invalidate lock held (a punch) and the pool file's mutex.
 * @invalidate_end: end what @invalidate_begin started, same range.
 * @zap: drop every mapping of [start, end), taking the invalidate lock
 *	itself (memory failure).
 *
 * guest_memfd.c sets it with gpool_file_set_mapper() when it creates the
 * file.  Indexes are in 4 KiB pages of the file.
 */
struct gpool_mapper {
	void (*invalidate_begin)(void *data, pgoff_t start, pgoff_t end);
	void (*invalidate_end)(void *data, pgoff_t start, pgoff_t end);
	void (*zap)(void *data, pgoff_t start, pgoff_t end);
};

#ifdef CONFIG_GPOOL

/*
 * Reserve the boot pool from memblock, as the gpool= parameter asks.
 * Called by setup_arch() once NUMA nodes are known and before the memory
 * map is allocated, so that a "nomap" pool never gets struct pages.
 */
void __init gpool_reserve_boot(void);

/*
 * guest_memfd backing (kernel/gmem.c).  A pool-backed guest_memfd keeps a
 * struct gpool_file instead of page cache; virt/kvm/guest_memfd.c calls
 * these under its own locking (filemap_invalidate_lock).  A punch
 * invalidates KVM's mappings itself, through the file's gpool_mapper,
 * because only the pool knows which units the punch splits; a merge is
 * reported to the caller, which zaps the merged range.  Indexes are in
 * 4 KiB pages.
 */
u64 gpool_gmem_supported_flags(void);
bool gpool_gmem_default_backing(void);
struct gpool_file *gpool_file_create(const struct gpool_create_guest_memfd *args);
void gpool_file_destroy(struct gpool_file *gf);
int gpool_file_get_pfn(struct gpool_file *gf, pgoff_t index, u64 gfn,
		       u64 *pfn, int *max_order);
int gpool_file_allocate(struct gpool_file *gf, pgoff_t start, pgoff_t end,
			pgoff_t *merged_start, pgoff_t *merged_end);
int gpool_file_punch(struct gpool_file *gf, pgoff_t start, pgoff_t end);
void gpool_file_set_mapper(struct gpool_file *gf,
			   const struct gpool_mapper *mapper, void *data);

/*
 * memory_failure() on a frame of the pool: take it out of service, and if
 * a guest_memfd holds it, unmap it and fail the guest's accesses with
 * -EHWPOISON.  Returns -ENOENT if @pfn is not the pool's.
 */
int gpool_memory_failure(unsigned long pfn, int flags);

#else /* !CONFIG_GPOOL */

/*
 * Without the pool no file is ever pool-backed: creation fails, and the
 * rest is never reached (guest_memfd.c only calls it for a pool file).
 */
static inline u64 gpool_gmem_supported_flags(void)
{
	return 0;
}

static inline bool gpool_gmem_default_backing(void)
{
	return false;
}

static inline struct gpool_file *
gpool_file_create(const struct gpool_create_guest_memfd *args)
{
	return ERR_PTR(-EINVAL);
}

static inline void gpool_file_destroy(struct gpool_file *gf)
{
}

static inline int gpool_file_get_pfn(struct gpool_file *gf, pgoff_t index,
				     u64 gfn, u64 *pfn, int *max_order)
{
	return -EINVAL;
}

static inline int gpool_file_allocate(struct gpool_file *gf, pgoff_t start,
				      pgoff_t end, pgoff_t *merged_start,
				      pgoff_t *merged_end)
{
	*merged_start = *merged_end = 0;
	return -EOPNOTSUPP;
}

static inline int gpool_file_punch(struct gpool_file *gf, pgoff_t start,
				   pgoff_t end)
{
	return -EOPNOTSUPP;
}

static inline void gpool_file_set_mapper(struct gpool_file *gf,
					 const struct gpool_mapper *mapper,
					 void *data)
{
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
