/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpool: a pool-backed guest_memfd, for the files of kernel/ that make one
 * (gmem.c: lifecycle and the backend ops; files.c: the registry and
 * GPOOL_IOC_LIST_FILES; memfail.c: memory failure) and nothing else.
 */
#ifndef __GPOOL_GMEM_H
#define __GPOOL_GMEM_H

#include <linux/kvm_gmem_backend.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "../pool/table.h"

struct pid;

struct gpool_file {
	/* Serialises every change of @table and of the owner's units. */
	struct mutex lock;
	/* Which unit backs each page (pool/table.c); its owner, counters. */
	struct gpool_table table;
	/* Indexes whose frame went bad while the file held it (hwpoison). */
	struct xarray poison;
	/*
	 * Frames that went bad while @lock was busy, for @poison_work to
	 * look for in the table (memfail.c).
	 */
	struct llist_head poison_pending;
	struct work_struct poison_work;
	/*
	 * What guest_memfd.c knows the file by: the ops, and the mapper that
	 * reaches KVM's mappings (set by guest_memfd.c at creation, with
	 * smp_store_release(); see gpool_file_mapper()).
	 */
	struct kvm_gmem_backend backend;

	/* For the registry and GPOOL_IOC_LIST_FILES; set at creation. */
	struct list_head link;	/* gpool_files, oldest first */
	u64 id;
	struct pid *pid;	/* the creating thread group */
	kuid_t uid;		/* charged for the size (vm.gpool_user_max_bytes) */
	char comm[TASK_COMM_LEN];
	u32 file_flags;		/* GPOOL_FILE_F_* */
	u32 numa_mode;
	u64 numa_nodes;
	/*
	 * Created with GUEST_MEMFD_FLAG_INIT_SHARED (GPOOL_FILE_F_SHARED).
	 * Which pages are shared now is guest_memfd.c's to say (the mapper's
	 * attributes); this is only for a file without a mapper (KUnit's).
	 */
	bool shared;
	/* Host mappings made by faults, per size (GPOOL_LVL_*), under @lock. */
	u64 host_maps[GPOOL_NR_LVLS];
};

/* KVM's mappings of @gf, once guest_memfd.c has attached them. */
static inline const struct kvm_gmem_mapper *
gpool_file_mapper(struct gpool_file *gf)
{
	/* Pairs with the store of guest_memfd.c: the mapper's data is set. */
	return smp_load_acquire(&gf->backend.mapper);
}

/* files.c: every pool-backed file. */
extern struct mutex gpool_files_lock;
extern struct list_head gpool_files;
void gpool_files_add(struct gpool_file *gf);
void gpool_files_del(struct gpool_file *gf);

/* memfail.c: bad frames of a file. */
void gpool_file_poison_init(struct gpool_file *gf);
void gpool_file_poison_drain(struct gpool_file *gf);

#endif /* __GPOOL_GMEM_H */
