// SPDX-License-Identifier: GPL-2.0
/*
 * gpool: memory failure of a pool frame (patch 0004 calls
 * gpool_memory_failure()).
 *
 * The pool takes the frame out of service for good (gpool_mark_bad()).
 * If a file holds it, the file remembers the page as bad, so that it is
 * never mapped again (get_pfn fails it with -EHWPOISON and KVM exits to
 * the VMM), and KVM's mappings of the unit holding it are dropped: a huge
 * mapping would still reach the frame.  The frame leaves service when the
 * file lets go of it.
 *
 * The pool names the file: gpool_query() gives the owner of the unit, and
 * only that file's table is searched.  Only a 4K frame that an owner took
 * out of a 2M child another owner is primary of has no name in the pool;
 * then every file is asked, as before.
 *
 * Memory failure never waits for a file's lock, which a fault holds
 * across clearing a unit (a second or more for 1 GiB): a file that is
 * busy gets the frame queued, and its poison work looks for it once the
 * lock is free.  A fault that maps the frame in between is zapped then;
 * one that samples KVM's invalidation sequence before the zap retries and
 * finds the page marked.  Files cannot go away meanwhile: destruction
 * leaves the registry (gpool_files_lock) and then cancels the work.
 */
#define pr_fmt(fmt) "gpool: " fmt

#include <linux/gpool.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "../pool/pool.h"
#include "gmem.h"
#include "gpool_kernel.h"

/* A bad frame for a file that was busy when memory failure asked it. */
struct gpool_poison_req {
	struct llist_node node;
	u64 pfn;
};

/*
 * If @gf holds frame @pfn, remember its page as bad, so that it is never
 * mapped again, and return the range of the unit holding it, whose
 * mappings KVM must drop.  The file's lock held; the caller zaps once it
 * has let go of the lock, as the zap takes the invalidate lock, which
 * ranks above it.
 */
static bool gpool_file_mark_poison(struct gpool_file *gf, u64 pfn,
				   pgoff_t *start, pgoff_t *end)
{
	unsigned int order;
	long index;
	u64 frame;

	lockdep_assert_held(&gf->lock);
	index = gpool_table_find(&gf->table, pfn);
	if (index < 0 ||
	    xa_err(xa_store(&gf->poison, index, xa_mk_value(1), GFP_KERNEL)))
		return false;
	gpool_table_lookup(&gf->table, index, &frame, &order);
	*start = ALIGN_DOWN(index, 1UL << order);
	*end = *start + (1UL << order);
	return true;
}

static void gpool_file_zap(struct gpool_file *gf, pgoff_t start, pgoff_t end)
{
	const struct kvm_gmem_mapper *mapper = gpool_file_mapper(gf);

	if (mapper)
		mapper->zap(gf->backend.mapper_data, start, end);
}

/*
 * With @gf's lock held: mark @pfn bad if @gf holds it, let go of the lock,
 * then drop KVM's mappings of its unit.  Returns whether @gf holds it.
 */
static bool gpool_file_poison_locked(struct gpool_file *gf, u64 pfn)
	__releases(&gf->lock)
{
	pgoff_t start, end;
	bool found;

	found = gpool_file_mark_poison(gf, pfn, &start, &end);
	mutex_unlock(&gf->lock);
	if (found)
		gpool_file_zap(gf, start, end);
	return found;
}

/*
 * The file was busy (a fault clearing a 1 GiB unit holds its lock for a
 * long time): look for the frames memory failure left here, now that the
 * lock can be waited for.
 */
static void gpool_file_poison_work(struct work_struct *work)
{
	struct gpool_file *gf = container_of(work, struct gpool_file,
					     poison_work);
	struct gpool_poison_req *req, *next;
	struct llist_node *list;

	list = llist_del_all(&gf->poison_pending);
	llist_for_each_entry_safe(req, next, list, node) {
		mutex_lock(&gf->lock);
		gpool_file_poison_locked(gf, req->pfn);
		kfree(req);
	}
}

void gpool_file_poison_init(struct gpool_file *gf)
{
	xa_init(&gf->poison);
	init_llist_head(&gf->poison_pending);
	INIT_WORK(&gf->poison_work, gpool_file_poison_work);
}

/* The file left the registry: no memory failure can reach it any more. */
void gpool_file_poison_drain(struct gpool_file *gf)
{
	struct gpool_poison_req *req, *next;

	cancel_work_sync(&gf->poison_work);
	llist_for_each_entry_safe(req, next,
				  llist_del_all(&gf->poison_pending), node)
		kfree(req);
}

/*
 * Frame @pfn, held by the owner numbered @owner (0: the pool cannot say
 * which), went bad: have its file remember it and drop KVM's mappings.
 */
static void gpool_file_poison(u64 pfn, u32 owner)
{
	struct gpool_poison_req *req;
	struct gpool_file *gf;

	mutex_lock(&gpool_files_lock);
	list_for_each_entry(gf, &gpool_files, link) {
		if (owner && gpool_owner_id(gf->table.owner) != owner)
			continue;
		if (!mutex_trylock(&gf->lock)) {
			req = kmalloc(sizeof(*req), GFP_KERNEL);
			if (req) {
				req->pfn = pfn;
				llist_add(&req->node, &gf->poison_pending);
				queue_work(system_unbound_wq,
					   &gf->poison_work);
				if (owner)
					break;
				continue;
			}
			/* No memory to queue it: wait, as a last resort. */
			mutex_lock(&gf->lock);
		}
		if (gpool_file_poison_locked(gf, pfn) || owner)
			break;
		cond_resched();
	}
	mutex_unlock(&gpool_files_lock);
}

int gpool_memory_failure(unsigned long pfn, int flags)
{
	struct gpool_unit unit;
	bool held;
	int ret;

	if (!gpool_system)
		return -ENOENT;
	ret = gpool_mark_bad(gpool_system, pfn);
	/* Its unit is out with the zeroer: have it back, then mark. */
	if (ret == -EBUSY) {
		gpool_zero_pause();
		ret = gpool_mark_bad(gpool_system, pfn);
		gpool_zero_resume();
	}
	/* -EINVAL: not a frame of the pool. */
	if (ret == -EINVAL)
		return -ENOENT;
	if (ret) {
		pr_err("memory failure at pfn %#lx: cannot take it out of the pool: %d\n",
		       pfn, ret);
		return ret;
	}
	/*
	 * A bad frame is never handed out again, so this answer holds: held
	 * by a file now, or out of service for good.
	 */
	held = !gpool_query(gpool_system, pfn, &unit);
	if (held)
		gpool_file_poison(pfn, unit.owner);
	pr_err("memory failure at pfn %#lx: %s\n", pfn,
	       held ? "guest memory: unmapped, the guest's next access exits with EHWPOISON" :
		      "free pool memory: out of service");
	return 0;
}
