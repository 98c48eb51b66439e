// SPDX-License-Identifier: GPL-2.0
/*
 * gpool: clearing memory.
 *
 * Nothing one guest wrote may reach another, so every unit the pool hands
 * out without GPOOL_UNIT_ZERO is cleared before it is used.  Clearing 1 GiB
 * is the dominant cost of faulting it in, so a low-priority kernel thread
 * clears dirty free units in the background (gpool_zero_begin() and
 * gpool_zero_end()): boot memory after boot, freed memory after every
 * free.  A unit the thread has cleared is handed out as known-zero and
 * costs nothing at fault time.
 *
 * While the thread holds a unit, the pool may answer -EAGAIN (or -EBUSY
 * for that very unit) to an allocation.  gpool_zero_pause() has the unit
 * back, if the thread holds one, and keeps it from taking another until
 * gpool_zero_resume(): an allocation that needs the unit takes it that
 * way and clears it itself, and resizing the pool needs whole ranges
 * idle.  The thread gives up its unit between two 2M pieces when paused
 * (cleared so far, but returned dirty), so a pause waits for at most one
 * 2M clear, whatever the thread's priority.
 *
 * The administrator may stop the thread (GPOOL_IOC_SET_ZEROING): to keep a
 * core quiet, or to measure faults that clear.  That is a pause of its own,
 * taken once and kept until the administrator resumes it.
 *
 * A nomap pool has no direct map.  memremap() would build and tear down a
 * vmalloc mapping (and, with PAT, a memory-type record) for every piece it
 * clears, several allocations per 4K unit; so a nomap pool is cleared
 * through one fixed window of 2 MiB instead, whose page tables are made at
 * init and kept: no allocation on the clearing path.
 */
#define pr_fmt(fmt) "gpool: " fmt

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "../pool/pool.h"
#include "gpool_kernel.h"

static struct task_struct *gpool_zeroer;
static DECLARE_WAIT_QUEUE_HEAD(gpool_zeroer_wq);	/* the thread waits */
static DECLARE_WAIT_QUEUE_HEAD(gpool_zeroed_wq);	/* pausers wait */
static bool gpool_zero_kicked;
/* gpool_zero_pause() callers; the thread takes no unit while non-zero. */
static atomic_t gpool_zero_paused = ATOMIC_INIT(0);
static bool gpool_zero_busy;	/* the thread holds a unit */
/* The unit the thread holds while gpool_zero_busy: first pfn, order. */
static u64 gpool_zero_cur_pfn;
static unsigned int gpool_zero_cur_order;

/* The nomap clearing window: 0 until set up (then memremap() is used). */
#define GPOOL_ZERO_WINDOW	(512UL << PAGE_SHIFT)
static unsigned long gpool_zero_window;
static DEFINE_MUTEX(gpool_zero_window_lock);
/* The administrator's pause (GPOOL_IOC_SET_ZEROING), under its lock. */
static DEFINE_MUTEX(gpool_zero_admin_lock);
static bool gpool_zero_stopped;

static int gpool_zero_pte_none(pte_t *pte, unsigned long addr, void *data)
{
	return 0;
}

/*
 * The window starts a page into its area, so that it is never 2M-aligned:
 * vmap_page_range() then maps it with 4K entries only, into page tables
 * that apply_to_page_range() made here and that unmapping never frees.
 */
static void __init gpool_zero_window_init(void)
{
	struct vm_struct *area;
	unsigned long addr;

	if (!gpool_nomap)
		return;
	area = get_vm_area(GPOOL_ZERO_WINDOW + PAGE_SIZE, VM_IOREMAP);
	if (!area)
		goto fail;
	addr = (unsigned long)area->addr + PAGE_SIZE;
	if (apply_to_page_range(&init_mm, addr, GPOOL_ZERO_WINDOW,
				gpool_zero_pte_none, NULL)) {
		free_vm_area(area);
		goto fail;
	}
	gpool_zero_window = addr;
	return;
fail:
	pr_warn("no clearing window: memremap() for every piece\n");
}

/*
 * Clear @len bytes of pages from @addr with clear_page(), as the page
 * allocator and hugetlb do: the architecture's fastest way to clear a
 * page, which memset() of the whole length is not (on x86 without FSRS it
 * is an unrolled loop of stores; under emulation a 1 GiB fault that
 * cleared with memset() took 2.6 s, with clear_page() 0.38 s).
 */
static void gpool_zero_pages(void *addr, u64 len)
{
	u64 off;

	for (off = 0; off < len; off += PAGE_SIZE)
		clear_page(addr + off);
}

/* Clear @len bytes (at most 2M) from frame @pfn. */
static int gpool_zero_piece(u64 pfn, u64 len)
{
	void *addr;
	int ret;

	if (!gpool_zero_window) {
		/* The direct map, when the frames have one. */
		addr = memremap(PFN_PHYS(pfn), len, MEMREMAP_WB);
		if (!addr)
			return -ENOMEM;
		gpool_zero_pages(addr, len);
		memunmap(addr);
		return 0;
	}
	mutex_lock(&gpool_zero_window_lock);
	ret = vmap_page_range(gpool_zero_window, gpool_zero_window + len,
			      PFN_PHYS(pfn), PAGE_KERNEL);
	if (!ret)
		gpool_zero_pages((void *)gpool_zero_window, len);
	vunmap_range(gpool_zero_window, gpool_zero_window + len);
	mutex_unlock(&gpool_zero_window_lock);
	return ret;
}

/*
 * Clear a unit.  The background thread's clear (@yield) gives up between
 * two 2M pieces as soon as someone pauses the thread: it runs at nice 19,
 * and on a busy host a 1G clear can take it very long, which nobody who
 * needs the unit, or the thread idle, should wait for.  -EAGAIN then, and
 * the unit goes back dirty.
 */
static int gpool_zero_range(u64 pfn, unsigned int order, bool yield)
{
	u64 nr = 1ULL << order, done;
	int ret;

	/* 2M at a time, so that a 1G clear can be rescheduled. */
	for (done = 0; done < nr; done += 512) {
		u64 len = min_t(u64, nr - done, 512) << PAGE_SHIFT;

		if (yield && atomic_read(&gpool_zero_paused))
			return -EAGAIN;
		ret = gpool_zero_piece(pfn + done, len);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

int gpool_zero_unit(u64 pfn, unsigned int order)
{
	return gpool_zero_range(pfn, order, false);
}

void gpool_zero_kick(void)
{
	if (!gpool_zeroer)
		return;
	WRITE_ONCE(gpool_zero_kicked, true);
	wake_up(&gpool_zeroer_wq);
}

/*
 * Take a dirty unit of @nid out to clear it, unless paused.  The busy flag
 * is set before the pause is checked, and gpool_zero_pause() raises the
 * pause before it looks at the flag, so that one of the two always sees
 * the other.
 */
static bool gpool_zero_take(int nid, struct gpool_unit *unit)
{
	WRITE_ONCE(gpool_zero_busy, true);
	smp_mb();	/* pairs with the barrier in gpool_zero_pause() */
	if (!atomic_read(&gpool_zero_paused) &&
	    !gpool_zero_begin(gpool_system, nid, unit)) {
		WRITE_ONCE(gpool_zero_cur_order, unit->order);
		WRITE_ONCE(gpool_zero_cur_pfn, unit->pfn);
		return true;
	}
	WRITE_ONCE(gpool_zero_busy, false);
	wake_up_all(&gpool_zeroed_wq);
	return false;
}

/* Clear every dirty free 1G and 2M unit of every node. */
static void gpool_zero_pass(void)
{
	struct gpool_unit unit;
	int nid, ret;

	for (nid = 0; nid < GPOOL_MAX_NODES; nid++) {
		while (!kthread_should_stop() && gpool_zero_take(nid, &unit)) {
			ret = gpool_zero_range(unit.pfn, unit.order, true);
			gpool_zero_end(gpool_system, unit.pfn, unit.order, !ret);
			WRITE_ONCE(gpool_zero_busy, false);
			wake_up_all(&gpool_zeroed_wq);
		}
	}
}

/*
 * Is frame @pfn in the unit the thread is clearing right now?  A hint for
 * whether waiting for it is worth it: the answer may be stale at once.
 */
bool gpool_zero_holds(u64 pfn)
{
	u64 first = READ_ONCE(gpool_zero_cur_pfn);

	return READ_ONCE(gpool_zero_busy) && first &&
	       pfn - first < 1ULL << READ_ONCE(gpool_zero_cur_order);
}

void gpool_zero_pause(void)
{
	atomic_inc(&gpool_zero_paused);
	if (!gpool_zeroer)
		return;
	smp_mb();	/* pairs with the barrier in gpool_zero_take() */
	wait_event(gpool_zeroed_wq, !READ_ONCE(gpool_zero_busy));
}

void gpool_zero_resume(void)
{
	if (atomic_dec_and_test(&gpool_zero_paused))
		gpool_zero_kick();
}

/* Does the background zeroer clear freed memory? */
bool gpool_zero_background(void)
{
	return gpool_zeroer && !READ_ONCE(gpool_zero_stopped);
}

/*
 * Start (@on) or stop the background zeroer for the administrator; true if
 * that changed anything.  Stopping waits for the unit it holds.
 */
bool gpool_zero_set_background(bool on)
{
	bool changed;

	mutex_lock(&gpool_zero_admin_lock);
	changed = READ_ONCE(gpool_zero_stopped) == on;
	if (changed) {
		WRITE_ONCE(gpool_zero_stopped, !on);
		if (on)
			gpool_zero_resume();
		else
			gpool_zero_pause();
	}
	mutex_unlock(&gpool_zero_admin_lock);
	return changed;
}

static int gpool_zeroer_fn(void *data)
{
	set_user_nice(current, MAX_NICE);
	while (!kthread_should_stop()) {
		WRITE_ONCE(gpool_zero_kicked, false);
		gpool_zero_pass();
		wait_event_interruptible(gpool_zeroer_wq,
					 READ_ONCE(gpool_zero_kicked) ||
					 kthread_should_stop());
	}
	return 0;
}

int __init gpool_zero_init(void)
{
	struct task_struct *t;

	gpool_zero_window_init();
	t = kthread_run(gpool_zeroer_fn, NULL, "gpool_zero");
	if (IS_ERR(t)) {
		pr_warn("no background zeroing (%ld): memory is cleared when allocated\n",
			PTR_ERR(t));
		return PTR_ERR(t);
	}
	gpool_zeroer = t;
	return 0;
}
