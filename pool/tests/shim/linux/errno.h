/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <linux/errno.h>: pool.h includes it, and so does the C library's
 * <errno.h>, for the error numbers themselves.  Unlike its neighbours here
 * it cannot stand for the force-included shim/pool_internal.h (which is
 * what includes <errno.h>): it passes on to the system's header.
 */
#include_next <linux/errno.h>
