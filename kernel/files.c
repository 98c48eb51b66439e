// SPDX-License-Identifier: GPL-2.0
/*
 * gpool: the registry of pool-backed files, for the control file
 * (GPOOL_IOC_LIST_FILES, GPOOL_IOC_INFO), sysfs and memory failure.
 *
 * Listing never waits for a file's mutex, which a fault holds across
 * clearing a unit: the counters a listing reports are written under the
 * mutex and read without it (READ_ONCE()), and everything else it reports
 * is set before the file joins the list.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/gpool.h>

#include "gmem.h"
#include "gpool_kernel.h"

/* Protects gpool_files, which holds every pool-backed file, oldest first. */
DEFINE_MUTEX(gpool_files_lock);
LIST_HEAD(gpool_files);
static unsigned int gpool_nr_files;
static u64 gpool_files_next_id = 1;

/* @gf is ready to be listed (and found by memory failure): number it. */
void gpool_files_add(struct gpool_file *gf)
{
	mutex_lock(&gpool_files_lock);
	gf->id = gpool_files_next_id++;
	list_add_tail(&gf->link, &gpool_files);
	WRITE_ONCE(gpool_nr_files, gpool_nr_files + 1);
	mutex_unlock(&gpool_files_lock);
}

/* Once this returns, no listing and no memory failure can reach @gf. */
void gpool_files_del(struct gpool_file *gf)
{
	mutex_lock(&gpool_files_lock);
	list_del(&gf->link);
	WRITE_ONCE(gpool_nr_files, gpool_nr_files - 1);
	mutex_unlock(&gpool_files_lock);
}

unsigned int gpool_files_count(void)
{
	return READ_ONCE(gpool_nr_files);
}

/*
 * What GPOOL_IOC_LIST_FILES says of one file.  The counters are read
 * without the file's mutex: each is exact at some instant, and a file
 * that is changing may be described a moment apart.
 */
static void gpool_file_info(struct gpool_file *gf, struct gpool_file_info *info)
{
	const struct gpool_table *t = &gf->table;
	unsigned int i;

	/* The table counts by the pool's size index, which is the uAPI's. */
	BUILD_BUG_ON((int)GPOOL_LVL_4K != GPOOL_SIZE_4K);
	BUILD_BUG_ON((int)GPOOL_LVL_2M != GPOOL_SIZE_2M);
	BUILD_BUG_ON((int)GPOOL_LVL_1G != GPOOL_SIZE_1G);
	BUILD_BUG_ON((int)GPOOL_NR_LVLS != GPOOL_NR_SIZES);
	BUILD_BUG_ON(GPOOL_FILE_NR_NODES > GPOOL_MAX_NODES);

	memset(info, 0, sizeof(*info));
	info->id = gf->id;
	info->pid = pid_vnr(gf->pid);
	info->file_flags = gf->file_flags;
	/* get_task_comm() left it NUL-terminated. */
	memcpy(info->comm, gf->comm, sizeof(info->comm));
	info->size = t->nr_pages << PAGE_SHIFT;
	info->folio_shift = PAGE_SHIFT + t->max_order;
	info->numa_mode = gf->numa_mode;
	info->numa_nodes = gf->numa_nodes;
	for (i = 0; i < GPOOL_NR_SIZES; i++)
		info->units[i] = READ_ONCE(t->nr_units[i]);
	for (i = 0; i < GPOOL_FILE_NR_NODES; i++)
		info->node_bytes[i] = READ_ONCE(t->node_bytes[i]);
	for (i = 0; i < GPOOL_NR_SIZES; i++)
		info->host_maps[i] = READ_ONCE(gf->host_maps[i]);
}

/*
 * Describe every pool-backed file into a kernel buffer of @*nr entries;
 * -E2BIG, with @*nr set to the count, if @room is too small.  The caller
 * kvfree()s *@infop.
 */
int gpool_files_list(u32 room, struct gpool_file_info **infop, u32 *nr)
{
	struct gpool_file_info *info = NULL;
	struct gpool_file *gf;
	u32 i = 0;

	mutex_lock(&gpool_files_lock);
	*nr = gpool_nr_files;
	if (room < gpool_nr_files) {
		mutex_unlock(&gpool_files_lock);
		return -E2BIG;
	}
	if (gpool_nr_files) {
		info = kvmalloc_array(gpool_nr_files, sizeof(*info),
				      GFP_KERNEL);
		if (!info) {
			mutex_unlock(&gpool_files_lock);
			return -ENOMEM;
		}
	}
	list_for_each_entry(gf, &gpool_files, link) {
		gpool_file_info(gf, &info[i++]);
		cond_resched();
	}
	mutex_unlock(&gpool_files_lock);
	*infop = info;
	return 0;
}
