// SPDX-License-Identifier: GPL-2.0
/*
 * gpool: read-only statistics under /sys/kernel/mm/gpool/, one value per
 * file (docs/ABI/sysfs-kernel-mm-gpool):
 *
 *	/sys/kernel/mm/gpool/
 *	├── mode			default | nomap
 *	├── default_backing		0 | 1
 *	├── background_zeroing		0 | 1
 *	├── metadata_bytes
 *	├── nr_files			pool-backed guest_memfds
 *	└── node<N>/			one per node that has, or had, pool memory
 *	    ├── nr_pages  bad_pages  poison_pending
 *	    └── 1G/  2M/  4K/
 *	        └── total  free  zero  zeroing  allocated  reserved
 *	            split  nr_splits  nr_merges
 *
 * Every read takes a fresh snapshot of the node's counters; the files of
 * one directory are consistent with each other only if read in one go by a
 * tool that reads them quickly (poolctl uses the control file for an atomic
 * snapshot).
 */
#define pr_fmt(fmt) "gpool: " fmt

#include <linux/gpool.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/stddef.h>
#include <linux/sysfs.h>

#include "../pool/pool.h"
#include "gpool_kernel.h"

static const char * const gpool_size_names[GPOOL_NR_LVLS] = {
	[GPOOL_LVL_4K] = "4K",
	[GPOOL_LVL_2M] = "2M",
	[GPOOL_LVL_1G] = "1G",
};

struct gpool_sysfs_node {
	int nid;
	struct kobject *kobj;
	struct kobject *size_kobj[GPOOL_NR_LVLS];
};

static struct kobject *gpool_kobj;
static struct gpool_sysfs_node gpool_sysfs_nodes[GPOOL_MAX_NODES];
/* Entries below it are complete; published with release, read with acquire. */
static int gpool_sysfs_nr_nodes;
/* Serialises adding nodes: at boot, and when the pool grows onto a node. */
static DEFINE_MUTEX(gpool_sysfs_lock);

/* Find which node (and size, or -1 for the node directory) @kobj is. */
static struct gpool_sysfs_node *gpool_sysfs_lookup(struct kobject *kobj,
						   int *size)
{
	/* Pairs with the release in __gpool_sysfs_add_node(). */
	int nr = smp_load_acquire(&gpool_sysfs_nr_nodes);
	int i, l;

	for (i = 0; i < nr; i++) {
		struct gpool_sysfs_node *n = &gpool_sysfs_nodes[i];

		if (n->kobj == kobj) {
			*size = -1;
			return n;
		}
		for (l = 0; l < GPOOL_NR_LVLS; l++) {
			if (n->size_kobj[l] == kobj) {
				*size = l;
				return n;
			}
		}
	}
	return NULL;
}

struct gpool_stat_attr {
	struct kobj_attribute attr;
	/* Offset of the u64 in struct gpool_stats, or in gpool_lvl_stats. */
	size_t offset;
};

static ssize_t gpool_stat_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct gpool_stat_attr *sa = container_of(attr, struct gpool_stat_attr,
						  attr);
	struct gpool_sysfs_node *n;
	struct gpool_stats stats;
	const void *base;
	int size, ret;

	n = gpool_sysfs_lookup(kobj, &size);
	if (!n)
		return -ENOENT;
	ret = gpool_node_stats(gpool_system, n->nid, &stats);
	if (ret)
		return ret;
	base = size < 0 ? (const void *)&stats : (const void *)&stats.lvl[size];
	return sysfs_emit(buf, "%llu\n", *(const u64 *)(base + sa->offset));
}

struct gpool_stat_field {
	const char *name;
	size_t offset;
};

static const struct gpool_stat_field gpool_node_fields[] = {
	{ "nr_pages", offsetof(struct gpool_stats, nr_pages) },
	{ "bad_pages", offsetof(struct gpool_stats, bad_pages) },
	{ "poison_pending", offsetof(struct gpool_stats, poison_pending) },
};

static const struct gpool_stat_field gpool_size_fields[] = {
	{ "total", offsetof(struct gpool_lvl_stats, total) },
	{ "free", offsetof(struct gpool_lvl_stats, free) },
	{ "zero", offsetof(struct gpool_lvl_stats, zero) },
	{ "zeroing", offsetof(struct gpool_lvl_stats, zeroing) },
	{ "allocated", offsetof(struct gpool_lvl_stats, allocated) },
	{ "reserved", offsetof(struct gpool_lvl_stats, reserved) },
	{ "split", offsetof(struct gpool_lvl_stats, split) },
	{ "nr_splits", offsetof(struct gpool_lvl_stats, nr_splits) },
	{ "nr_merges", offsetof(struct gpool_lvl_stats, nr_merges) },
};

static struct gpool_stat_attr gpool_node_stat_attrs[ARRAY_SIZE(gpool_node_fields)];
static struct attribute *gpool_node_attrs[ARRAY_SIZE(gpool_node_fields) + 1];
static struct gpool_stat_attr gpool_size_stat_attrs[ARRAY_SIZE(gpool_size_fields)];
static struct attribute *gpool_size_attrs[ARRAY_SIZE(gpool_size_fields) + 1];

static const struct attribute_group gpool_node_group = {
	.attrs = gpool_node_attrs,
};

static const struct attribute_group gpool_size_group = {
	.attrs = gpool_size_attrs,
};

/* Fill one attribute group from its field table. */
static void __init gpool_init_attrs(const struct gpool_stat_field *fields,
				    struct gpool_stat_attr *sa,
				    struct attribute **attrs, int nr)
{
	int i;

	for (i = 0; i < nr; i++) {
		sysfs_attr_init(&sa[i].attr.attr);
		sa[i].attr.attr.name = fields[i].name;
		sa[i].attr.attr.mode = 0444;
		sa[i].attr.show = gpool_stat_show;
		sa[i].offset = fields[i].offset;
		attrs[i] = &sa[i].attr.attr;
	}
	attrs[nr] = NULL;
}

static ssize_t mode_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", gpool_nomap ? "nomap" : "default");
}

static struct kobj_attribute gpool_attr_mode = __ATTR_RO(mode);

static ssize_t metadata_bytes_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n", gpool_meta_bytes(gpool_system));
}

static struct kobj_attribute gpool_attr_metadata_bytes = __ATTR_RO(metadata_bytes);

static ssize_t default_backing_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", gpool_default_backing_on());
}

static struct kobj_attribute gpool_attr_default_backing = __ATTR_RO(default_backing);

static ssize_t background_zeroing_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", gpool_zero_background());
}

static struct kobj_attribute gpool_attr_background_zeroing =
	__ATTR_RO(background_zeroing);

static ssize_t nr_files_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", gpool_files_count());
}

static struct kobj_attribute gpool_attr_nr_files = __ATTR_RO(nr_files);

static struct attribute *gpool_top_attrs[] = {
	&gpool_attr_mode.attr,
	&gpool_attr_default_backing.attr,
	&gpool_attr_background_zeroing.attr,
	&gpool_attr_metadata_bytes.attr,
	&gpool_attr_nr_files.attr,
	NULL,
};

static const struct attribute_group gpool_top_group = {
	.attrs = gpool_top_attrs,
};

static int __gpool_sysfs_add_node(int nid)
{
	struct gpool_sysfs_node *n = &gpool_sysfs_nodes[gpool_sysfs_nr_nodes];
	char name[16];
	int l;

	lockdep_assert_held(&gpool_sysfs_lock);
	snprintf(name, sizeof(name), "node%d", nid);
	n->nid = nid;
	n->kobj = kobject_create_and_add(name, gpool_kobj);
	if (!n->kobj)
		return -ENOMEM;
	/*
	 * Counted now, before any file of it exists, so that a failure
	 * below unwinds this node too and so that its files find it.
	 */
	/* Pairs with the acquire in gpool_sysfs_lookup(). */
	smp_store_release(&gpool_sysfs_nr_nodes, gpool_sysfs_nr_nodes + 1);
	if (sysfs_create_group(n->kobj, &gpool_node_group))
		return -ENOMEM;
	for (l = 0; l < GPOOL_NR_LVLS; l++) {
		n->size_kobj[l] = kobject_create_and_add(gpool_size_names[l],
							 n->kobj);
		if (!n->size_kobj[l] ||
		    sysfs_create_group(n->size_kobj[l], &gpool_size_group))
			return -ENOMEM;
	}
	return 0;
}

void gpool_sysfs_add_node(int nid)
{
	int i, ret = 0;

	mutex_lock(&gpool_sysfs_lock);
	if (!gpool_kobj)
		goto out_unlock;
	for (i = 0; i < gpool_sysfs_nr_nodes; i++)
		if (gpool_sysfs_nodes[i].nid == nid)
			goto out_unlock;
	ret = __gpool_sysfs_add_node(nid);
out_unlock:
	mutex_unlock(&gpool_sysfs_lock);
	/* The pool itself is fine; only its statistics are missing. */
	if (ret)
		pr_err("cannot create /sys/kernel/mm/gpool/node%d: %d\n",
		       nid, ret);
}

static void __init gpool_sysfs_unwind(void)
{
	int i, l;

	for (i = gpool_sysfs_nr_nodes - 1; i >= 0; i--) {
		for (l = 0; l < GPOOL_NR_LVLS; l++)
			kobject_put(gpool_sysfs_nodes[i].size_kobj[l]);
		kobject_put(gpool_sysfs_nodes[i].kobj);
	}
	gpool_sysfs_nr_nodes = 0;
	kobject_put(gpool_kobj);
	gpool_kobj = NULL;
}

static int __init gpool_sysfs_init(void)
{
	struct gpool_stats stats;
	int nid, ret;

	if (!gpool_system)
		return 0;

	gpool_init_attrs(gpool_node_fields, gpool_node_stat_attrs,
			 gpool_node_attrs, ARRAY_SIZE(gpool_node_fields));
	gpool_init_attrs(gpool_size_fields, gpool_size_stat_attrs,
			 gpool_size_attrs, ARRAY_SIZE(gpool_size_fields));
	mutex_lock(&gpool_sysfs_lock);
	gpool_kobj = kobject_create_and_add("gpool", mm_kobj);
	if (!gpool_kobj) {
		mutex_unlock(&gpool_sysfs_lock);
		return -ENOMEM;
	}
	ret = sysfs_create_group(gpool_kobj, &gpool_top_group);
	if (ret)
		goto err_unwind;
	for (nid = 0; nid < GPOOL_MAX_NODES; nid++) {
		if (gpool_node_stats(gpool_system, nid, &stats))
			continue;
		ret = __gpool_sysfs_add_node(nid);
		if (ret)
			goto err_unwind;
	}
	mutex_unlock(&gpool_sysfs_lock);
	return 0;

err_unwind:
	pr_err("cannot create /sys/kernel/mm/gpool: %d\n", ret);
	gpool_sysfs_unwind();
	mutex_unlock(&gpool_sysfs_lock);
	return ret;
}

/* After gpool_init() (subsys_initcall) has built the pool. */
late_initcall(gpool_sysfs_init);
