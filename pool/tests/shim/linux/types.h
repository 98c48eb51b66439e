/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <linux/types.h> for the userspace build: pool.h includes it, and all of it
 * is already provided by the force-included shim/pool_internal.h.
 */
#include "../pool_internal.h"
