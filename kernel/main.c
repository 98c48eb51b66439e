// SPDX-License-Identifier: GPL-2.0
/*
 * gpool: the system pool.
 *
 * gpool_reserve_boot() (boot.c) sets memory aside while the kernel still
 * runs on memblock; gpool_init() turns that reservation into the pool once
 * the slab allocator can hold the pool's metadata.
 */
#define pr_fmt(fmt) "gpool: " fmt

#include <linux/err.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/set_memory.h>
#include <asm/memtype.h>

#include "../pool/pool.h"
#include "gpool_kernel.h"

struct gpool *gpool_system;
bool gpool_nomap;

/*
 * init_mem_mapping() mapped every byte of RAM before NUMA was known, the
 * nomap ranges included; unmap them so that no stray kernel access can
 * reach guest memory.
 *
 * The ranges are no longer "System RAM", so PAT would give a host mapping
 * of them (mmap of a shared guest_memfd) the memory type of an unknown
 * physical range, UC-, while KVM and the zeroer use them write-back.  Record
 * them as write-back for good, as memremap() does for the time of a mapping.
 */
static int __init gpool_unmap_direct(const struct gpool_boot_range *r)
{
	unsigned long addr = (unsigned long)__va(r->start);
	int ret;

	ret = set_memory_np(addr, r->size >> PAGE_SHIFT);
	if (ret) {
		pr_err("node %d: cannot remove [mem %#018llx-%#018llx] from the direct map: %d\n",
		       r->nid, (u64)r->start, (u64)(r->start + r->size - 1), ret);
		return ret;
	}
	ret = memtype_reserve(r->start, r->start + r->size,
			      _PAGE_CACHE_MODE_WB, NULL);
	if (ret)
		pr_err("node %d: cannot make [mem %#018llx-%#018llx] write-back: %d\n",
		       r->nid, (u64)r->start, (u64)(r->start + r->size - 1), ret);
	return ret;
}

static int __init gpool_init(void)
{
	const struct gpool_boot_range *r;
	struct gpool *pool;
	int i, ret;

	if (!gpool_nr_boot_ranges)
		return 0;

	pool = gpool_create();
	if (IS_ERR(pool)) {
		pr_err("cannot create the pool: %ld; its memory stays reserved and unused\n",
		       PTR_ERR(pool));
		return PTR_ERR(pool);
	}

	/* Nobody can reach the pool before the initcalls that follow. */
	gpool_system = pool;
	for (i = 0; i < gpool_nr_boot_ranges; i++) {
		r = &gpool_boot_ranges[i];
		if (gpool_boot_nomap) {
			ret = gpool_unmap_direct(r);
			if (ret)
				goto err_destroy;
		}
		ret = gpool_add_boot_range(r->nid, PHYS_PFN(r->start),
					   r->size >> PAGE_SHIFT);
		if (ret) {
			pr_err("node %d: cannot add [mem %#018llx-%#018llx] to the pool: %d\n",
			       r->nid, (u64)r->start,
			       (u64)(r->start + r->size - 1), ret);
			goto err_destroy;
		}
	}

	gpool_nomap = gpool_boot_nomap;
	/* Without it memory is still cleared, only on the fault path. */
	gpool_zero_init();
	pr_info("pool ready: %d range(s), %llu KiB of metadata\n",
		gpool_nr_boot_ranges, (u64)gpool_meta_bytes(pool) >> 10);
	return 0;

err_destroy:
	gpool_forget_boot_ranges();
	gpool_system = NULL;
	gpool_destroy(pool);
	pr_err("no pool: its memory stays reserved and unused\n");
	return ret;
}
subsys_initcall(gpool_init);
