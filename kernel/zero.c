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
 * While the thread holds a unit, the pool may answer -EAGAIN to an
 * allocation that only that unit could satisfy; gpool_zero_wait() sleeps
 * until the thread returns a unit.  gpool_zero_pause() waits for the unit
 * it holds, if any, and keeps it from taking another until
 * gpool_zero_resume(): resizing the pool needs whole ranges idle.
 */
#define pr_fmt(fmt) "gpool: " fmt

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/wait.h>

#include "../pool/pool.h"
#include "gpool_kernel.h"

static struct task_struct *gpool_zeroer;
static DECLARE_WAIT_QUEUE_HEAD(gpool_zeroer_wq);	/* the thread waits */
static DECLARE_WAIT_QUEUE_HEAD(gpool_zeroed_wq);	/* allocators wait */
static atomic_t gpool_zero_gen = ATOMIC_INIT(0);	/* units returned */
static bool gpool_zero_kicked;
/* gpool_zero_pause() callers; the thread takes no unit while non-zero. */
static atomic_t gpool_zero_paused = ATOMIC_INIT(0);
static bool gpool_zero_busy;	/* the thread holds a unit */

int gpool_zero_unit(u64 pfn, unsigned int order)
{
	u64 nr = 1ULL << order, done;
	void *addr;

	/*
	 * memremap() gives the direct map when the frames have one and a
	 * write-back mapping of their own in nomap mode.  2M at a time keeps
	 * the mappings small and lets a 1G clear be rescheduled.
	 */
	for (done = 0; done < nr; done += 512) {
		u64 len = min_t(u64, nr - done, 512) << PAGE_SHIFT;

		addr = memremap(PFN_PHYS(pfn + done), len, MEMREMAP_WB);
		if (!addr)
			return -ENOMEM;
		memset(addr, 0, len);
		memunmap(addr);
		cond_resched();
	}
	return 0;
}

void gpool_zero_kick(void)
{
	if (!gpool_zeroer)
		return;
	WRITE_ONCE(gpool_zero_kicked, true);
	wake_up(&gpool_zeroer_wq);
}

int gpool_zero_gen_read(void)
{
	return atomic_read(&gpool_zero_gen);
}

int gpool_zero_wait(int gen, long timeout)
{
	long ret;

	if (!gpool_zeroer)
		return -ENOMEM;
	ret = wait_event_interruptible_timeout(gpool_zeroed_wq,
					       atomic_read(&gpool_zero_gen) != gen,
					       timeout);
	return ret < 0 ? ret : 0;
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
	    !gpool_zero_begin(gpool_system, nid, unit))
		return true;
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
			ret = gpool_zero_unit(unit.pfn, unit.order);
			gpool_zero_end(gpool_system, unit.pfn, unit.order, !ret);
			WRITE_ONCE(gpool_zero_busy, false);
			atomic_inc(&gpool_zero_gen);
			wake_up_all(&gpool_zeroed_wq);
		}
	}
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

	t = kthread_run(gpool_zeroer_fn, NULL, "gpool_zero");
	if (IS_ERR(t)) {
		pr_warn("no background zeroing (%ld): memory is cleared when allocated\n",
			PTR_ERR(t));
		return PTR_ERR(t);
	}
	gpool_zeroer = t;
	return 0;
}
