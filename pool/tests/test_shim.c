// SPDX-License-Identifier: GPL-2.0
/*
 * The shim must be stricter than the kernel; these tests make sure it is.
 * Each TEST runs in a forked child (kselftest_harness.h), so the counters
 * a test bumps on purpose do not leak into the others.
 */
#include "kselftest_harness.h"

TEST(lockdep_assert_held_checks_owner)
{
	spinlock_t lock;	/* the lock under test, guards nothing */

	spin_lock_init(&lock);
	lockdep_assert_held(&lock);
	ASSERT_EQ(1, shim_nr_warnings());
	spin_lock(&lock);
	lockdep_assert_held(&lock);
	ASSERT_EQ(1, shim_nr_warnings());
	spin_unlock(&lock);
}

TEST(sleeping_alloc_under_spinlock_warns)
{
	spinlock_t lock;	/* held only to enter atomic context */
	void *p;

	spin_lock_init(&lock);
	spin_lock(&lock);
	p = kmalloc(16, GFP_ATOMIC);
	ASSERT_EQ(0, shim_nr_warnings());
	kfree(p);
	p = kmalloc(16, GFP_KERNEL);
	ASSERT_EQ(1, shim_nr_warnings());
	spin_unlock(&lock);
	kfree(p);
}

TEST(sleeping_alloc_under_read_lock_warns)
{
	rwlock_t lock;
	void *p;

	rwlock_init(&lock);
	read_lock(&lock);
	lockdep_assert_held(&lock);
	p = kzalloc(16, GFP_KERNEL);
	read_unlock(&lock);
	ASSERT_EQ(1, shim_nr_warnings());
	kfree(p);
}

TEST(fail_after_and_leak_count)
{
	void *a, *b;

	shim_fail_after(1);
	a = kmalloc(8, GFP_KERNEL);
	b = kmalloc(8, GFP_KERNEL);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(NULL, b);
	shim_fail_after(-1);
	ASSERT_EQ(1, shim_nr_allocated());
	ASSERT_NE(0, shim_check_clean("expected leak"));
	kfree(a);
	ASSERT_EQ(0, shim_check_clean("shim"));
}

TEST(warn_on_counts_and_returns_condition)
{
	ASSERT_EQ(0, WARN_ON(0));
	ASSERT_EQ(1, WARN_ON_ONCE(2 > 1));
	ASSERT_EQ(1, shim_nr_warnings());
}

TEST_HARNESS_MAIN
