// SPDX-License-Identifier: GPL-2.0
/*
 * gpool: who may use the pool, and how much of it.
 *
 * Creating a guest_memfd needs only a VM, that is /dev/kvm; a pool-backed
 * one reserves its whole size at once.  Two sysctls, in the style of
 * vm.hugetlb_shm_group, let the administrator share the pool out:
 *
 *   vm.gpool_group           a group id: only its members (and holders of
 *                            CAP_SYS_ADMIN) may create pool-backed files.
 *                            -1 (the default): every /dev/kvm user may.
 *   vm.gpool_user_max_bytes  the most pool memory the files of one user
 *                            (real uid of the creating task) may hold
 *                            reserved at once; 0 (the default): no limit.
 *
 * Both apply to GUEST_MEMFD_FLAG_GPOOL and to default backing alike: with
 * the flag, creation fails (EPERM, EDQUOT); by default backing, a caller
 * outside the group gets a page-cache guest_memfd as without a pool, and
 * one over the limit gets EDQUOT.  A user's bytes are charged when a file
 * is created and given back when it is destroyed.
 */
#define pr_fmt(fmt) "gpool: " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/init.h>
#include <linux/mutex.h>
#include <linux/sysctl.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "gpool_kernel.h"

static int gpool_group = -1;
static unsigned long gpool_user_max_bytes;

/* Bytes each user's files hold, by kuid; absent means 0. */
static DEFINE_XARRAY(gpool_users);
static DEFINE_MUTEX(gpool_users_lock);

static int gpool_group_min = -1;

static struct ctl_table gpool_sysctls[] = {
	{
		.procname	= "gpool_group",
		.data		= &gpool_group,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &gpool_group_min,
		.extra2		= SYSCTL_INT_MAX,
	},
	{
		.procname	= "gpool_user_max_bytes",
		.data		= &gpool_user_max_bytes,
		.maxlen		= sizeof(unsigned long),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
};

bool gpool_may_create(void)
{
	int gid = READ_ONCE(gpool_group);
	kgid_t group;

	if (gid < 0)
		return true;
	group = make_kgid(&init_user_ns, gid);
	return (gid_valid(group) && in_group_p(group)) ||
	       capable(CAP_SYS_ADMIN);
}

int gpool_user_charge(kuid_t uid, u64 bytes)
{
	unsigned long limit = READ_ONCE(gpool_user_max_bytes);
	unsigned long key = __kuid_val(uid);
	u64 held;
	int ret;

	mutex_lock(&gpool_users_lock);
	held = xa_to_value(xa_load(&gpool_users, key) ?: xa_mk_value(0));
	if (limit && (bytes > limit || held > limit - bytes)) {
		mutex_unlock(&gpool_users_lock);
		return -EDQUOT;
	}
	ret = xa_err(xa_store(&gpool_users, key, xa_mk_value(held + bytes),
			      GFP_KERNEL));
	mutex_unlock(&gpool_users_lock);
	return ret;
}

void gpool_user_uncharge(kuid_t uid, u64 bytes)
{
	unsigned long key = __kuid_val(uid);
	u64 held;

	mutex_lock(&gpool_users_lock);
	held = xa_to_value(xa_load(&gpool_users, key) ?: xa_mk_value(0));
	if (WARN_ON_ONCE(held < bytes))
		bytes = held;
	if (held == bytes)
		xa_erase(&gpool_users, key);
	else
		xa_store(&gpool_users, key, xa_mk_value(held - bytes),
			 GFP_KERNEL);
	mutex_unlock(&gpool_users_lock);
}

static int __init gpool_access_init(void)
{
	if (!gpool_system)
		return 0;
	if (!register_sysctl("vm", gpool_sysctls))
		pr_warn("no vm.gpool_* sysctls: the pool is open to every /dev/kvm user\n");
	return 0;
}
late_initcall(gpool_access_init);
