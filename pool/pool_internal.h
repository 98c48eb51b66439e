/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pool_internal.h
 *
 * Kernel headers required by the pool/ sources, and the one build option
 * they read.  The userspace test harness force-includes
 * pool/tests/shim/pool_internal.h, which uses the same include guard, so in
 * that build none of the lines below is read.
 */
#ifndef __GPOOL_POOL_INTERNAL_H
#define __GPOOL_POOL_INTERNAL_H

#include <linux/align.h>
#include <linux/array_size.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/kconfig.h>
#include <linux/limits.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/page.h>
#include <kunit/static_stub.h>

/*
 * Check the node an operation changed, one operation in GPOOL_DEBUG_EVERY
 * (check.h): a whole node's check after each of the thousands of 4K
 * operations a fault-injection sweep makes would double the debug boot.
 */
#define GPOOL_DEBUG		IS_ENABLED(CONFIG_GPOOL_DEBUG)
#define GPOOL_DEBUG_EVERY	64

#endif /* __GPOOL_POOL_INTERNAL_H */
