// SPDX-License-Identifier: GPL-2.0
/*
 * gpool: the control file, /dev/gpool.
 *
 * A misc device, mode 0600, registered when the system has a pool.  Each
 * ioctl copies its argument in, checks it (flags and reserved words must be
 * zero), calls the code that does the work, and copies the argument back:
 *
 *	GPOOL_IOC_INFO			the pool as a whole
 *	GPOOL_IOC_NODE_STATS		one node's counters, one snapshot
 *	GPOOL_IOC_GROW			take memory from the buddy allocator
 *	GPOOL_IOC_SHRINK		give free pool memory back to it
 *	GPOOL_IOC_SET_DEFAULT_BACKING	pool-back every new guest_memfd
 *	GPOOL_IOC_LIST_FILES		the pool-backed guest_memfds
 *	GPOOL_IOC_SET_ZEROING		start or stop the background zeroer
 *
 * The four that change something need CAP_SYS_ADMIN, checked before the
 * argument is looked at.  docs/uapi.rst has the errors of each.
 */
#define pr_fmt(fmt) "gpool: " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/gpool.h>
#include <linux/init.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/gpool.h>

#include "../pool/pool.h"
#include "gpool_kernel.h"

#define gpool_ctl_zero(a)	(!memchr_inv((a), 0, sizeof(a)))

static long gpool_ctl_info(void __user *uarg)
{
	struct gpool_info_args args;
	struct gpool_stats stats;
	int nid;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || !gpool_ctl_zero(args.reserved))
		return -EINVAL;

	memset(&args, 0, sizeof(args));
	if (gpool_nomap)
		args.pool_flags |= GPOOL_INFO_F_NOMAP;
	if (gpool_default_backing_on())
		args.pool_flags |= GPOOL_INFO_F_DEFAULT_BACKING;
	if (gpool_can_resize())
		args.pool_flags |= GPOOL_INFO_F_CAN_RESIZE;
	args.pool_flags |= GPOOL_INFO_F_GMEM_ATTRIBUTES;
	if (gpool_zero_background())
		args.pool_flags |= GPOOL_INFO_F_ZEROING;
	for (nid = 0; nid < GPOOL_MAX_NODES; nid++) {
		if (gpool_node_stats(gpool_system, nid, &stats))
			continue;
		args.node_mask |= BIT_ULL(nid);
		args.nr_pages += stats.nr_pages;
	}
	gpool_pieces_info(&args.nr_boot_pages, &args.nr_ranges);
	args.metadata_bytes = gpool_meta_bytes(gpool_system);
	args.nr_files = gpool_files_count();

	return copy_to_user(uarg, &args, sizeof(args)) ? -EFAULT : 0;
}

static long gpool_ctl_node_stats(void __user *uarg)
{
	struct gpool_node_stats_args args;
	struct gpool_stats stats;
	int i, ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || !gpool_ctl_zero(args.reserved))
		return -EINVAL;
	for (i = 0; i < GPOOL_NR_SIZES; i++)
		if (!gpool_ctl_zero(args.size[i].unused))
			return -EINVAL;
	if (args.node >= GPOOL_MAX_NODES)
		return -EINVAL;
	ret = gpool_node_stats(gpool_system, args.node, &stats);
	if (ret)
		return ret;

	/* The uAPI's size index is the pool's: args.size[i] is stats.lvl[i]. */
	BUILD_BUG_ON(GPOOL_SIZE_4K != GPOOL_LVL_4K);
	BUILD_BUG_ON(GPOOL_SIZE_2M != GPOOL_LVL_2M);
	BUILD_BUG_ON(GPOOL_SIZE_1G != GPOOL_LVL_1G);
	BUILD_BUG_ON(GPOOL_NR_SIZES != GPOOL_NR_LVLS);

	memset(&args.nr_pages, 0, sizeof(args) -
	       offsetof(struct gpool_node_stats_args, nr_pages));
	args.nr_pages = stats.nr_pages;
	args.bad_pages = stats.bad_pages;
	args.poison_pending = stats.poison_pending;
	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		struct gpool_size_stats *s = &args.size[i];
		const struct gpool_lvl_stats *o = &stats.lvl[i];

		s->total = o->total;
		s->free = o->free;
		s->zero = o->zero;
		s->zeroing = o->zeroing;
		s->allocated = o->allocated;
		s->reserved = o->reserved;
		s->split = o->split;
		s->nr_splits = o->nr_splits;
		s->nr_merges = o->nr_merges;
	}
	return copy_to_user(uarg, &args, sizeof(args)) ? -EFAULT : 0;
}

static long gpool_ctl_resize(void __user *uarg, bool grow)
{
	struct gpool_resize_args args;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || !gpool_ctl_zero(args.reserved))
		return -EINVAL;
	return grow ? gpool_grow(args.node, args.bytes) :
		      gpool_shrink(args.node, args.bytes);
}

static long gpool_ctl_set_default_backing(void __user *uarg)
{
	struct gpool_default_backing_args args;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || !gpool_ctl_zero(args.reserved) || args.enable > 1)
		return -EINVAL;
	if (READ_ONCE(gpool_default_backing) != !!args.enable)
		pr_info("default backing %s by %s[%d]\n",
			args.enable ? "on" : "off", current->comm,
			task_tgid_vnr(current));
	WRITE_ONCE(gpool_default_backing, args.enable);
	return 0;
}

static long gpool_ctl_set_zeroing(void __user *uarg)
{
	struct gpool_zeroing_args args;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || !gpool_ctl_zero(args.reserved) || args.enable > 1)
		return -EINVAL;
	if (gpool_zero_set_background(args.enable))
		pr_info("background zeroing %s by %s[%d]\n",
			args.enable ? "on" : "off", current->comm,
			task_tgid_vnr(current));
	return 0;
}

static long gpool_ctl_list_files(void __user *uarg)
{
	struct gpool_list_files_args args;
	struct gpool_file_info *info = NULL;
	u32 nr;
	long ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || !gpool_ctl_zero(args.reserved))
		return -EINVAL;

	ret = gpool_files_list(min_t(u64, args.nr_files, U32_MAX), &info, &nr);
	if (!ret && nr &&
	    copy_to_user(u64_to_user_ptr(args.files), info,
			 array_size(nr, sizeof(*info))))
		ret = -EFAULT;
	kvfree(info);
	if (ret && ret != -E2BIG)
		return ret;
	args.nr_files = nr;
	if (copy_to_user(uarg, &args, sizeof(args)))
		return -EFAULT;
	return ret;
}

static long gpool_ctl_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case GPOOL_IOC_INFO:
		return gpool_ctl_info(uarg);
	case GPOOL_IOC_NODE_STATS:
		return gpool_ctl_node_stats(uarg);
	case GPOOL_IOC_GROW:
		return gpool_ctl_resize(uarg, true);
	case GPOOL_IOC_SHRINK:
		return gpool_ctl_resize(uarg, false);
	case GPOOL_IOC_SET_DEFAULT_BACKING:
		return gpool_ctl_set_default_backing(uarg);
	case GPOOL_IOC_LIST_FILES:
		return gpool_ctl_list_files(uarg);
	case GPOOL_IOC_SET_ZEROING:
		return gpool_ctl_set_zeroing(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations gpool_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = gpool_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice gpool_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "gpool",
	.fops = &gpool_ctl_fops,
	.mode = 0600,
};

static int __init gpool_ctl_init(void)
{
	int ret;

	if (!gpool_system)
		return 0;
	ret = misc_register(&gpool_ctl_dev);
	if (ret)
		pr_err("cannot register /dev/gpool: %d\n", ret);
	return ret;
}

/* After gpool_init() (subsys_initcall) has built the pool. */
device_initcall(gpool_ctl_init);
