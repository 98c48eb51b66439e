// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: the control file /dev/gpool and its ioctls
 * (include/uapi/linux/gpool.h), checked against the pool's own counters in
 * /sys/kernel/mm/gpool/.
 *
 * - the device: a misc character device, mode 0600, that exists exactly
 *   when the pool does;
 * - every ioctl: each of the 64 flag bits and each reserved word (for
 *   NODE_STATS each unused word too) is EINVAL; a bad pointer is EFAULT; an
 *   unknown number or a known number with a wrong size is ENOTTY;
 *   output-only fields are ignored on input; reserved words come back zero;
 * - INFO and NODE_STATS report what sysfs reports, node by node;
 * - GROW and SHRINK: their argument errors; in default mode what they add
 *   and take away, all or nothing, that grown memory backs files, that
 *   held memory cannot be shrunk, that boot memory can be shrunk and grown
 *   back; EOPNOTSUPP in nomap mode;
 * - SET_DEFAULT_BACKING: a guest_memfd created without the flag is
 *   pool-backed while it is on and not while it is off;
 * - SET_ZEROING: while the zeroer is stopped freed memory stays dirty and
 *   is cleared when it is allocated; started, it clears it;
 * - LIST_FILES: the count alone, E2BIG without writing, creation order,
 *   every field of an entry, the units a file holds as it is allocated and
 *   punched, a child's pid and name;
 * - without CAP_SYS_ADMIN: EPERM for the four that change the pool, and
 *   the three that read it still work.
 *
 * Two fixtures: ctl, one test per behaviour, and each_ioctl, the argument
 * checks once per ioctl (variants info, node_stats, grow, shrink,
 * set_default_backing, list_files, set_zeroing).  Both leave the pool as
 * they found it: the teardown closes the files a failed test left open,
 * restores the default backing and background zeroing, compares the
 * counters with those at setup (sysfs for those the background zeroer does
 * not move, NODE_STATS for free capacity, which it takes at one instant),
 * and gives back or takes back memory a failed test left grown or shrunk.  ctl's last test shrinks boot memory
 * and grows it back, so nr_boot_pages < nr_pages after it.
 *
 * Needs a guest booted with a pool (gpool=...) and root: skips without a
 * pool, and skips what needs CAP_SYS_ADMIN without it.
 *
 * One file a part, in gpool_ctl/, included below in the order the tests
 * run (the order scripts/test-manifest lists them in):
 *
 *   ctl.h              what the parts share: the ioctl wrappers, the pool's
 *                      shape, the environment, the ctl fixture
 *   device.c           the device node; unknown ioctl numbers
 *   each_ioctl.c       the each_ioctl fixture: every ioctl's argument checks
 *   info.c             GPOOL_IOC_INFO
 *   node_stats.c       GPOOL_IOC_NODE_STATS
 *   resize.c           GPOOL_IOC_GROW and GPOOL_IOC_SHRINK
 *   default_backing.c  GPOOL_IOC_SET_DEFAULT_BACKING
 *   zeroing.c          GPOOL_IOC_SET_ZEROING
 *   list_files.c       GPOOL_IOC_LIST_FILES
 *   unprivileged.c     without CAP_SYS_ADMIN
 *   resize_boot.c      shrinking boot memory: last, see above
 *
 * They are one translation unit, not several linked together:
 * kselftest_harness.h keeps its list of fixtures static in each unit,
 * defines _fixture_global, __run_test and __wait_for_test in every unit
 * that includes it, and a fixture's tests must see its static object.
 * The harness runs fixtures, and a fixture's tests, in the order they are
 * defined, so the order of the includes is the order of the tests.
 */
#include "gpool_ctl/ctl.h"

#include "gpool_ctl/device.c"
#include "gpool_ctl/each_ioctl.c"
#include "gpool_ctl/info.c"
#include "gpool_ctl/node_stats.c"
#include "gpool_ctl/resize.c"
#include "gpool_ctl/default_backing.c"
#include "gpool_ctl/zeroing.c"
#include "gpool_ctl/list_files.c"
#include "gpool_ctl/unprivileged.c"
#include "gpool_ctl/resize_boot.c"

TEST_HARNESS_MAIN
