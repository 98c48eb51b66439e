// SPDX-License-Identifier: GPL-2.0
/*
 * gpool: backing a guest_memfd with the pool.
 *
 * A pool-backed guest_memfd has no page cache.  Its memory is a table with
 * one entry per 2 MiB of the file, saying which pool unit backs it
 * (pool/table.c, which the userspace harness runs too).  This file puts
 * the kernel around it:
 *
 * - creation: the arguments, the NUMA policy, the caller's right and
 *   limit (access.c), and a reservation of the whole size, all or nothing;
 * - the backend ops guest_memfd.c calls (<linux/kvm_gmem_backend.h>):
 *   get_pfn, allocate, punch, release and mmap, under the file's mutex,
 *   with KVM's and the host's mappings invalidated through the mapper
 *   around every change;
 * - the host's mappings of a shared file (mmap): a 1G unit is mapped with
 *   one PUD, a 2M unit with one PMD, both as pfn mappings (VM_PFNMAP);
 * - what the table cannot do in userspace: clearing a unit, taking units
 *   back from the background zeroer (zero.c), yielding the CPU, and the
 *   bad-frame marks (memfail.c).
 *
 * Units are allocated on first use (guest fault or fallocate) and zeroed
 * then unless the pool says they are known to be zero; the whole file size
 * was reserved from the pool when the file was created, so allocation only
 * fails if frames went bad.  The file's mutex serialises all of it; KVM's
 * vCPUs fault concurrently and guest_memfd's invalidate lock is not held on
 * the fault path.
 */
#define pr_fmt(fmt) "gpool: " fmt

#include <linux/cred.h>
#include <linux/export.h>
#include <linux/gpool.h>
#include <linux/kvm_gmem_backend.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pfn_t.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/xarray.h>
#include <uapi/linux/gpool.h>

#include "../pool/pool.h"
#include "gmem.h"
#include "gpool_kernel.h"

/* Pool-back guest_memfds created without the flag: gpool=default_backing,... */
bool gpool_default_backing;

u64 gpool_gmem_supported_flags(void)
{
	return gpool_system ? GUEST_MEMFD_FLAG_GPOOL : 0;
}
EXPORT_SYMBOL_GPL(gpool_gmem_supported_flags);

bool gpool_default_backing_on(void)
{
	return gpool_system && READ_ONCE(gpool_default_backing);
}

/*
 * Should a guest_memfd created without the flag be pool-backed?  Only if
 * the pool is the default backing and the caller may use the pool
 * (vm.gpool_group); otherwise it gets the page cache, as without a pool.
 */
bool gpool_gmem_default_backing(void)
{
	return gpool_default_backing_on() && gpool_may_create();
}
EXPORT_SYMBOL_GPL(gpool_gmem_default_backing);

/* The table's kernel part (struct gpool_table_ops). */
static void gpool_file_freed(void *priv, u64 start, u64 end)
{
	struct gpool_file *gf = priv;
	unsigned long i;
	void *entry;

	/* The pool took the bad frames of [start, end) out of service. */
	if (!xa_empty(&gf->poison))
		xa_for_each_range(&gf->poison, i, entry, start, end - 1)
			xa_erase(&gf->poison, i);
}

static void gpool_file_resched(void)
{
	cond_resched();
}

/*
 * The attributes guest_memfd.c keeps for [start, end): whether they are
 * all the same, and those of @start in *@attrs.  A file without a mapper
 * yet (KUnit's) is all of one kind: shared if it was created so.
 */
static bool gpool_file_attributes(struct gpool_file *gf, u64 start, u64 end,
				  u64 *attrs)
{
	const struct kvm_gmem_mapper *mapper = gpool_file_mapper(gf);

	if (!mapper || !mapper->attributes) {
		*attrs = gf->shared ? 0 : KVM_MEMORY_ATTRIBUTE_PRIVATE;
		return true;
	}
	return mapper->attributes(gf->backend.mapper_data, start, end, attrs);
}

/* A unit never spans shared and private pages: it is mapped whole. */
static bool gpool_file_fits(void *priv, u64 start, u64 nr_pages)
{
	u64 attrs;

	return gpool_file_attributes(priv, start, start + nr_pages, &attrs);
}

static const struct gpool_table_ops gpool_file_table_ops = {
	.clear		= gpool_zero_unit,
	.zeroer_holds	= gpool_zero_holds,
	.zeroer_pause	= gpool_zero_pause,
	.zeroer_resume	= gpool_zero_resume,
	.freed		= gpool_file_freed,
	.resched	= gpool_file_resched,
	.fits		= gpool_file_fits,
};

/* Is a frame of the @order-aligned block holding @index bad? */
static bool gpool_file_poisoned(struct gpool_file *gf, pgoff_t index,
				unsigned int order)
{
	unsigned long first = ALIGN_DOWN(index, 1UL << order);

	lockdep_assert_held(&gf->lock);
	/* The fault path asks on every huge mapping: almost always empty. */
	return !xa_empty(&gf->poison) &&
	       xa_find(&gf->poison, &first, first + (1UL << order) - 1,
		       XA_PRESENT);
}

int gpool_file_get_pfn(struct gpool_file *gf, pgoff_t index, u64 gfn,
		       u64 *pfn, int *max_order)
{
	unsigned int order;
	bool merged = false;
	int ret;

	if (index >= gf->table.nr_pages)
		return -EINVAL;

	mutex_lock(&gf->lock);
	/* A frame that went bad is never mapped again: KVM exits to the VMM. */
	if (xa_load(&gf->poison, index)) {
		mutex_unlock(&gf->lock);
		return -EHWPOISON;
	}
	ret = gpool_table_populate(&gf->table, index, &merged);
	if (!ret)
		gpool_table_lookup(&gf->table, index, pfn, &order);
	/*
	 * KVM maps a huge page only where the guest frame and the host frame
	 * are equally aligned; a memslot bound at an offset that breaks that
	 * gets smaller mappings of the same memory.  Nor may a huge mapping
	 * cover a bad frame of its unit.
	 */
	while (!ret && order && (!IS_ALIGNED(gfn ^ *pfn, 1ULL << order) ||
				 gpool_file_poisoned(gf, index, order)))
		order = order == GPOOL_ORDER_1G ? GPOOL_ORDER_2M : GPOOL_ORDER_4K;
	mutex_unlock(&gf->lock);
	if (ret)
		return ret;

	if (max_order)
		*max_order = order;
	return 0;
}

int gpool_file_allocate(struct gpool_file *gf, pgoff_t start, pgoff_t end,
			pgoff_t *merged_start, pgoff_t *merged_end)
{
	pgoff_t index = start, first = ULONG_MAX, last = 0;
	unsigned int order;
	int ret = 0;
	u64 pfn;

	mutex_lock(&gf->lock);
	while (index < end) {
		bool merged = false;

		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		ret = gpool_table_populate(&gf->table, index, &merged);
		if (ret)
			break;
		gpool_table_lookup(&gf->table, index, &pfn, &order);
		if (merged) {
			/* The whole unit now maps differently: report it. */
			first = min(first, ALIGN_DOWN(index, 1UL << order));
			last = max(last, ALIGN_DOWN(index, 1UL << order) +
					 (1UL << order));
		}
		index = ALIGN_DOWN(index, 1UL << order) + (1UL << order);
		if (need_resched()) {
			mutex_unlock(&gf->lock);
			cond_resched();
			mutex_lock(&gf->lock);
		}
	}
	mutex_unlock(&gf->lock);
	*merged_start = first;
	*merged_end = first == ULONG_MAX ? first : last;
	return ret;
}

/*
 * Free the units backing [start, end), splitting the units at either end
 * as deep as needed.  KVM's mappings of the whole units touched are
 * invalidated around it, under the file's mutex: a unit that a punch
 * splits may be mapped by one huge SPTE that a fault on any of its pages
 * installed, and KVM's fault path only retries a fault whose own gfn lies
 * in the range being invalidated.  Invalidating just the punched pages
 * would let a fault elsewhere in the unit, which got the unit's pfn and
 * order before the punch, install a huge SPTE over the frames the punch
 * frees; and with the mutex held no fault can change the table (merge a
 * unit) until the punch is done.  On failure (-ENOMEM for split metadata)
 * the pages freed so far stay freed and the rest stay backed, with their
 * bad-frame marks.
 */
int gpool_file_punch(struct gpool_file *gf, pgoff_t start, pgoff_t end)
{
	const struct kvm_gmem_mapper *mapper;
	u64 span_start = start, span_end;
	int ret;

	end = min_t(u64, end, gf->table.nr_pages);
	if (start >= end)
		return 0;
	span_end = end;
	mutex_lock(&gf->lock);
	mapper = gpool_file_mapper(gf);
	gpool_table_span(&gf->table, &span_start, &span_end);
	if (mapper)
		mapper->invalidate_begin(gf->backend.mapper_data, span_start,
					 span_end);
	ret = gpool_table_punch(&gf->table, start, end);
	if (mapper)
		mapper->invalidate_end(gf->backend.mapper_data, span_start,
				       span_end);
	mutex_unlock(&gf->lock);
	/* Freed memory is dirty: have it cleared before anyone needs it. */
	gpool_zero_kick();
	return ret;
}

/*
 * Convert [start, end) in place (KVM_SET_MEMORY_ATTRIBUTES2), under the
 * file's mutex: drop the host's and KVM's mappings of the whole units the
 * range touches, split those units so that the range is whole units (1G
 * into 2M, and the 2M units at either end into 4K; no frame is freed,
 * moved or cleared), let guest_memfd record the new attributes, and merge
 * back the units of the span that are of one kind again.  Nothing can map
 * the span in between (the invalidation holds off KVM's faults; the host's
 * fault takes the mutex), and afterwards every mapping is made anew at the
 * new unit sizes.  Merged units are invalidated once more, as allocate
 * does, so that KVM maps them huge.  No pin can hold the memory (the host
 * mapping is a pfn mapping), so nothing is left to check, and the
 * direction does not matter here: the attributes decide what merges.
 */
int gpool_file_convert(struct gpool_file *gf, pgoff_t start, pgoff_t end,
		       int (*commit)(void *arg), void *arg)
{
	const struct kvm_gmem_mapper *mapper = gpool_file_mapper(gf);
	u64 span_start = start, span_end = end, merged_start, merged_end;
	int ret;

	if (WARN_ON_ONCE(!mapper) || end > gf->table.nr_pages || start >= end)
		return -EINVAL;

	mutex_lock(&gf->lock);
	gpool_table_span(&gf->table, &span_start, &span_end);
	mapper->invalidate_begin(gf->backend.mapper_data, span_start, span_end);
	ret = gpool_table_split(&gf->table, start, end);
	if (!ret)
		ret = commit(arg);
	gpool_table_merge(&gf->table, span_start, span_end, &merged_start,
			  &merged_end);
	mapper->invalidate_end(gf->backend.mapper_data, span_start, span_end);
	mutex_unlock(&gf->lock);

	if (merged_start < merged_end) {
		mapper->invalidate_begin(gf->backend.mapper_data, merged_start,
					 merged_end);
		mapper->invalidate_end(gf->backend.mapper_data, merged_start,
				       merged_end);
	}
	return ret;
}

/* Reserve the whole file, with the largest units the pool can promise. */
static int gpool_file_reserve(struct gpool_file *gf)
{
	struct gpool_owner *owner = gf->table.owner;
	u64 bytes = gf->table.nr_pages << PAGE_SHIFT;
	static const unsigned int orders[] = {
		GPOOL_ORDER_1G, GPOOL_ORDER_2M, GPOOL_ORDER_4K,
	};
	unsigned int top, k;
	int ret = -ENOMEM;

	/* Try 1G units for the 1G part first, then settle for smaller. */
	for (top = 0; top < ARRAY_SIZE(orders); top++) {
		u64 left = bytes;

		if (orders[top] > gf->table.max_order)
			continue;
		for (k = top; k < ARRAY_SIZE(orders) && left; k++) {
			u64 unit = PAGE_SIZE << orders[k];
			u64 part = k == ARRAY_SIZE(orders) - 1 ? left :
				   ALIGN_DOWN(left, unit);

			if (!part)
				continue;
			ret = gpool_reserve(owner, part, orders[k]);
			if (ret)
				break;
			left -= part;
		}
		if (!ret)
			return 0;
		gpool_unreserve(owner);
	}
	return ret;
}

/* Bytes the pool holds over all nodes: no file can ever be larger. */
static u64 gpool_capacity(void)
{
	struct gpool_stats stats;
	u64 pages = 0;
	int nid;

	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (!gpool_node_stats(gpool_system, nid, &stats))
			pages += stats.nr_pages;
	return pages << PAGE_SHIFT;
}

/* Every node a policy names must have pool memory. */
static int gpool_file_check_nodes(u64 nodes)
{
	struct gpool_stats stats;
	int nid;

	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if ((nodes & BIT_ULL(nid)) &&
		    gpool_node_stats(gpool_system, nid, &stats))
			return -EINVAL;
	return 0;
}

static int gpool_file_policy(const struct gpool_create_guest_memfd *args,
			     struct gpool_policy *policy)
{
	u64 nodes = args->numa_nodes;
	int nid;

	memset(policy, 0, sizeof(*policy));
	switch (args->numa_mode) {
	case GPOOL_NUMA_DEFAULT:
		if (nodes)
			return -EINVAL;
		policy->mode = GPOOL_MODE_PREFERRED;
		policy->preferred = numa_node_id();
		return 0;
	case GPOOL_NUMA_BIND:
		policy->mode = GPOOL_MODE_BIND;
		break;
	case GPOOL_NUMA_PREFERRED:
		if (hweight64(nodes) != 1)
			return -EINVAL;
		policy->mode = GPOOL_MODE_PREFERRED;
		policy->preferred = __ffs64(nodes);
		/* Fall back to every node. */
		return gpool_file_check_nodes(nodes);
	case GPOOL_NUMA_INTERLEAVE:
		policy->mode = GPOOL_MODE_INTERLEAVE;
		break;
	default:
		return -EINVAL;
	}
	if (!nodes)
		return -EINVAL;
	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (nodes & BIT_ULL(nid))
			__set_bit(nid, policy->nodes);
	return gpool_file_check_nodes(nodes);
}

/*
 * Check a KVM_CREATE_GUEST_MEMFD argument that asks for the pool (or that
 * gets it by default) and build the file's backing.  Returns -EINVAL for
 * bad arguments and -ENOMEM when the pool cannot reserve the size.
 */
struct gpool_file *gpool_file_create(const struct gpool_create_guest_memfd *args)
{
	struct gpool_policy policy;
	struct gpool_owner *owner;
	struct gpool_file *gf;
	unsigned int max_order;
	int ret;

	if (!gpool_system)
		return ERR_PTR(-EINVAL);
	if (memchr_inv(args->reserved, 0, sizeof(args->reserved)))
		return ERR_PTR(-EINVAL);
	/*
	 * Zero words mean the defaults, 1G folios and the local node first,
	 * so that the flag alone is a valid request, as it must be for every
	 * flag KVM_CAP_GUEST_MEMFD_FLAGS reports.  Without the flag (default
	 * backing) the words must be zero.
	 */
	if (!(args->flags & GUEST_MEMFD_FLAG_GPOOL)) {
		if (args->folio_shift || args->numa_mode || args->numa_nodes)
			return ERR_PTR(-EINVAL);
		max_order = GPOOL_ORDER_1G;
	} else if (!args->folio_shift ||
		   args->folio_shift == GPOOL_FOLIO_SHIFT_1G) {
		max_order = GPOOL_ORDER_1G;
	} else if (args->folio_shift == GPOOL_FOLIO_SHIFT_2M) {
		max_order = GPOOL_ORDER_2M;
	} else if (args->folio_shift == GPOOL_FOLIO_SHIFT_4K) {
		max_order = GPOOL_ORDER_4K;
	} else {
		return ERR_PTR(-EINVAL);
	}
	ret = gpool_file_policy(args, &policy);
	if (ret)
		return ERR_PTR(ret);
	/*
	 * Before anything is sized by the request: a file larger than the
	 * whole pool can never be reserved, and its chunk table alone could
	 * exceed what kvmalloc() accepts.
	 */
	if (!gpool_may_create())
		return ERR_PTR(-EPERM);
	if (args->size > gpool_capacity())
		return ERR_PTR(-ENOMEM);

	gf = kzalloc(sizeof(*gf), GFP_KERNEL_ACCOUNT);
	if (!gf)
		return ERR_PTR(-ENOMEM);
	gf->uid = current_uid();
	ret = gpool_user_charge(gf->uid, args->size);
	if (ret)
		goto err_free_gf;
	mutex_init(&gf->lock);
	gpool_file_poison_init(gf);
	owner = gpool_owner_create(gpool_system, &policy, max_order);
	if (IS_ERR(owner)) {
		ret = PTR_ERR(owner);
		goto err_uncharge;
	}
	ret = gpool_table_init(&gf->table, gpool_system, owner,
			       args->size >> PAGE_SHIFT, max_order,
			       &gpool_file_table_ops, gf);
	if (ret)
		goto err_destroy_owner;
	ret = gpool_file_reserve(gf);
	if (ret)
		goto err_destroy_table;

	gf->pid = get_task_pid(current, PIDTYPE_TGID);
	get_task_comm(gf->comm, current);
	if (!(args->flags & GUEST_MEMFD_FLAG_GPOOL))
		gf->file_flags |= GPOOL_FILE_F_DEFAULT_BACKED;
	if (args->flags & GUEST_MEMFD_FLAG_MMAP)
		gf->file_flags |= GPOOL_FILE_F_MMAP;
	if (args->flags & GUEST_MEMFD_FLAG_INIT_SHARED) {
		gf->file_flags |= GPOOL_FILE_F_SHARED;
		gf->shared = true;
	}
	gf->numa_mode = args->numa_mode;
	gf->numa_nodes = args->numa_nodes;
	gpool_files_add(gf);
	return gf;

err_destroy_table:
	gpool_table_destroy(&gf->table);
err_destroy_owner:
	gpool_owner_destroy(owner);
err_uncharge:
	gpool_user_uncharge(gf->uid, args->size);
err_free_gf:
	kfree(gf);
	return ERR_PTR(ret);
}

/* Give every unit back to the pool and free the file's backing. */
void gpool_file_destroy(struct gpool_file *gf)
{
	gpool_files_del(gf);
	gpool_file_poison_drain(gf);
	put_pid(gf->pid);

	/* KVM dropped every mapping and binding of the file already. */
	WRITE_ONCE(gf->backend.mapper, NULL);
	gpool_file_punch(gf, 0, gf->table.nr_pages);
	xa_destroy(&gf->poison);
	gpool_table_destroy(&gf->table);
	WARN_ON_ONCE(gpool_owner_destroy(gf->table.owner));
	gpool_user_uncharge(gf->uid, gf->table.nr_pages << PAGE_SHIFT);
	kfree(gf);
}

/*
 * The backend of a pool-backed guest_memfd (<linux/kvm_gmem_backend.h>):
 * guest_memfd.c calls these through gpool_gmem_ops.
 */
static struct gpool_file *gpool_backend_file(struct kvm_gmem_backend *backend)
{
	return container_of(backend, struct gpool_file, backend);
}

static int gpool_gmem_get_pfn(struct kvm_gmem_backend *backend, pgoff_t index,
			      gfn_t gfn, kvm_pfn_t *pfn, int *max_order)
{
	u64 frame;
	int ret;

	ret = gpool_file_get_pfn(gpool_backend_file(backend), index, gfn,
				 &frame, max_order);
	if (!ret)
		*pfn = frame;
	return ret;
}

/*
 * Allocating can merge units that were split for a conversion back into
 * 2M or 1G ones.  The memory does not move, but KVM still maps it with
 * small SPTEs: invalidate the merged range, so that the next guest access
 * maps it as one huge page.
 */
static long gpool_gmem_allocate(struct kvm_gmem_backend *backend,
				pgoff_t start, pgoff_t end)
{
	struct gpool_file *gf = gpool_backend_file(backend);
	const struct kvm_gmem_mapper *mapper = gpool_file_mapper(gf);
	pgoff_t merged_start, merged_end;
	int ret;

	ret = gpool_file_allocate(gf, start, end, &merged_start, &merged_end);
	if (mapper && merged_start < merged_end) {
		mapper->invalidate_begin(backend->mapper_data, merged_start,
					 merged_end);
		mapper->invalidate_end(backend->mapper_data, merged_start,
				       merged_end);
	}
	return ret;
}

static long gpool_gmem_punch(struct kvm_gmem_backend *backend, pgoff_t start,
			     pgoff_t end)
{
	return gpool_file_punch(gpool_backend_file(backend), start, end);
}

static void gpool_gmem_release(struct kvm_gmem_backend *backend)
{
	gpool_file_destroy(gpool_backend_file(backend));
}

/*
 * The host's mapping of a shared file.  Each fault maps what the unit
 * backing the page allows: one PUD for a 1G unit, one PMD for a 2M unit,
 * else one PTE, as pfn mappings, with or without struct pages, since 6.12
 * can map a PUD of memory only that way.  So nothing can pin the memory
 * through the mapping (GUP fails with EFAULT) and the page tables are its
 * only references: a punch takes the file's mutex, drops them through the
 * mapper's invalidate_begin (every process, every whole unit it changes),
 * and only then changes the units, while a fault looks the unit up and
 * maps it under the same mutex.  KVM memslots over the mapping hear of the
 * unmap through their MMU notifier.
 */
static vm_fault_t gpool_host_fault_order(struct vm_fault *vmf,
					 unsigned int order)
{
	struct gpool_file *gf = vmf->vma->vm_private_data;
	pgoff_t index = vmf->pgoff;
	unsigned int unit_order;
	bool merged = false;
	vm_fault_t ret;
	u64 pfn, attrs;
	int err;

	if (index >= gf->table.nr_pages)
		return VM_FAULT_SIGBUS;
	/* The core checked that the vma covers the block, equally aligned. */
	if (ALIGN_DOWN(index, 1UL << order) + (1UL << order) >
	    gf->table.nr_pages)
		return VM_FAULT_FALLBACK;

	/*
	 * Only shared pages are mapped.  A conversion changes the attributes
	 * under the file's mutex, after dropping the host's mappings of the
	 * units it touches, and no unit spans both kinds: the unit's order
	 * below is safe for the whole block.
	 */
	mutex_lock(&gf->lock);
	if (!gpool_file_attributes(gf, index, index + 1, &attrs) ||
	    (attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE)) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	if (xa_load(&gf->poison, index)) {
		ret = VM_FAULT_HWPOISON;
		goto out;
	}
	err = gpool_table_populate(&gf->table, index, &merged);
	if (err) {
		ret = vmf_error(err);
		goto out;
	}
	gpool_table_lookup(&gf->table, index, &pfn, &unit_order);
	if (order > unit_order ||
	    (order && gpool_file_poisoned(gf, index, order))) {
		ret = VM_FAULT_FALLBACK;
		goto out;
	}
	pfn -= index & ((1UL << order) - 1);
	/*
	 * Another thread's smaller fault in the same range may have put a
	 * page table where this huge entry would go, since the core checked
	 * it: map smaller then.  The insert is asked as a read fault either
	 * way: the entry is writable already (a shared mapping of a file
	 * without dirty tracking), and a write insert over an entry that is
	 * not this pfn's would WARN rather than fall back.
	 */
	switch (order) {
	case GPOOL_ORDER_1G:
		if (!pud_none(*vmf->pud) && !pud_leaf(*vmf->pud)) {
			ret = VM_FAULT_FALLBACK;
			break;
		}
		ret = vmf_insert_pfn_pud(vmf, __pfn_to_pfn_t(pfn, 0), false);
		break;
	case GPOOL_ORDER_2M:
		if (!pmd_none(*vmf->pmd) && !pmd_leaf(*vmf->pmd)) {
			ret = VM_FAULT_FALLBACK;
			break;
		}
		ret = vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, 0), false);
		break;
	default:
		ret = vmf_insert_pfn(vmf->vma, vmf->address & PAGE_MASK, pfn);
		break;
	}
	if (ret == VM_FAULT_NOPAGE)
		WRITE_ONCE(gf->host_maps[gpool_order_lvl(order)],
			   gf->host_maps[gpool_order_lvl(order)] + 1);
out:
	mutex_unlock(&gf->lock);
	return ret;
}

static vm_fault_t gpool_host_huge_fault(struct vm_fault *vmf,
					unsigned int order)
{
	if (order != GPOOL_ORDER_1G && order != GPOOL_ORDER_2M)
		return VM_FAULT_FALLBACK;
	return gpool_host_fault_order(vmf, order);
}

static vm_fault_t gpool_host_fault(struct vm_fault *vmf)
{
	return gpool_host_fault_order(vmf, GPOOL_ORDER_4K);
}

#ifdef CONFIG_NUMA
/*
 * mbind() of a pool file's mapping.  The pool places a file's units by the
 * policy the file was created with (numa_mode and numa_nodes, for the
 * whole file), and has no way to take another per range: refuse one, so
 * that no VMM believes its memory follows it.  MPOL_DEFAULT (no policy)
 * asks for nothing and is accepted.
 */
static int gpool_host_set_policy(struct vm_area_struct *vma,
				 struct mempolicy *mpol)
{
	return mpol ? -EOPNOTSUPP : 0;
}
#endif

static const struct vm_operations_struct gpool_host_vm_ops = {
	.fault		= gpool_host_fault,
	.huge_fault	= gpool_host_huge_fault,
#ifdef CONFIG_NUMA
	.set_policy	= gpool_host_set_policy,
#endif
};

static int gpool_gmem_mmap(struct kvm_gmem_backend *backend,
			   struct vm_area_struct *vma)
{
	/* The core's huge fault orders are the pool's unit orders. */
	BUILD_BUG_ON(PUD_ORDER != GPOOL_ORDER_1G);
	BUILD_BUG_ON(PMD_ORDER != GPOOL_ORDER_2M);

	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &gpool_host_vm_ops;
	vma->vm_private_data = gpool_backend_file(backend);
	return 0;
}

static int gpool_gmem_convert(struct kvm_gmem_backend *backend, pgoff_t start,
			      pgoff_t end, bool to_private,
			      int (*commit)(void *arg), void *arg)
{
	return gpool_file_convert(gpool_backend_file(backend), start, end,
				  commit, arg);
}

static const struct kvm_gmem_backend_ops gpool_gmem_ops = {
	.get_pfn	= gpool_gmem_get_pfn,
	.allocate	= gpool_gmem_allocate,
	.punch		= gpool_gmem_punch,
	.release	= gpool_gmem_release,
	.mmap		= gpool_gmem_mmap,
	.convert	= gpool_gmem_convert,
};

struct kvm_gmem_backend *
gpool_gmem_create(const struct gpool_create_guest_memfd *args)
{
	struct gpool_file *gf = gpool_file_create(args);

	if (IS_ERR(gf))
		return ERR_CAST(gf);
	gf->backend.ops = &gpool_gmem_ops;
	return &gf->backend;
}
EXPORT_SYMBOL_GPL(gpool_gmem_create);

#ifdef CONFIG_GPOOL_KUNIT_TEST
/* For KUnit: a mapper of its own, as guest_memfd.c sets one. */
void gpool_file_set_mapper(struct gpool_file *gf,
			   const struct kvm_gmem_mapper *mapper, void *data)
{
	gf->backend.mapper_data = data;
	/* As guest_memfd.c: the data before the mapper. */
	smp_store_release(&gf->backend.mapper, mapper);
}

/* For KUnit: hold a file's lock, as a fault does while it clears a unit. */
void gpool_file_test_lock(struct gpool_file *gf)
{
	mutex_lock(&gf->lock);
}

void gpool_file_test_unlock(struct gpool_file *gf)
{
	mutex_unlock(&gf->lock);
}
#endif
