/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpool: declarations shared by the files of kernel/ and nothing else.
 */
#ifndef __GPOOL_KERNEL_H
#define __GPOOL_KERNEL_H

#include <linux/init.h>
#include <linux/types.h>
#include <linux/uidgid.h>

struct gpool;
struct gpool_file_info;

/* One range of the boot pool, as reserved by gpool_reserve_boot(). */
#define GPOOL_MAX_BOOT_RANGES	64

struct gpool_boot_range {
	phys_addr_t start;
	u64 size;
	int nid;
};

extern struct gpool_boot_range gpool_boot_ranges[] __initdata;
extern int gpool_nr_boot_ranges __initdata;
extern bool gpool_boot_nomap __initdata;

/*
 * The system pool: built from the boot reservation by gpool_init(), NULL if
 * there is none.  Set once, before any user can exist, and never freed.
 */
extern struct gpool *gpool_system;
/* True if the system pool's memory has no struct page (gpool=nomap,...). */
extern bool gpool_nomap;
/* Back guest_memfds created without GUEST_MEMFD_FLAG_GPOOL by the pool too. */
extern bool gpool_default_backing;

/* resize.c: the pieces of the pool; growing and shrinking it. */
int __init gpool_add_boot_range(int nid, u64 pfn, u64 nr_pages);
void __init gpool_forget_boot_ranges(void);
void gpool_pieces_info(u64 *boot_pages, unsigned int *nr_pieces);
bool gpool_can_resize(void);
bool gpool_node_known(int nid);
int gpool_grow(u64 node, u64 bytes);
int gpool_shrink(u64 node, u64 bytes);

/*
 * gmem.c: the pool-backed files.  guest_memfd.c reaches them through the
 * backend ops (gpool_gmem_create()); KUnit and the rest of kernel/ call
 * them directly.  Indexes are in 4 KiB pages of the file.
 */
struct gpool_create_guest_memfd;
struct gpool_file;
struct kvm_gmem_mapper;
struct gpool_file *gpool_file_create(const struct gpool_create_guest_memfd *args);
void gpool_file_destroy(struct gpool_file *gf);
int gpool_file_get_pfn(struct gpool_file *gf, pgoff_t index, u64 gfn,
		       u64 *pfn, int *max_order);
int gpool_file_allocate(struct gpool_file *gf, pgoff_t start, pgoff_t end,
			pgoff_t *merged_start, pgoff_t *merged_end);
int gpool_file_punch(struct gpool_file *gf, pgoff_t start, pgoff_t end);
int gpool_file_convert(struct gpool_file *gf, pgoff_t start, pgoff_t end,
		       int (*commit)(void *arg), void *arg);

/* gmem.c: the files, for the control file and sysfs. */
bool gpool_default_backing_on(void);
unsigned int gpool_files_count(void);
int gpool_files_list(u32 room, struct gpool_file_info **infop, u32 *nr);
#ifdef CONFIG_GPOOL_KUNIT_TEST
void gpool_file_set_mapper(struct gpool_file *gf,
			   const struct kvm_gmem_mapper *mapper, void *data);
void gpool_file_test_lock(struct gpool_file *gf);
void gpool_file_test_unlock(struct gpool_file *gf);
void *gpool_piece_alloc(size_t size);
void gpool_block_leaving(u64 pfn, u64 nr_pages);
void gpool_test_newest_piece(u64 *pfn, u64 *nr_pages);
#endif

/* access.c: vm.gpool_group and vm.gpool_user_max_bytes. */
bool gpool_may_create(void);
int gpool_user_charge(kuid_t uid, u64 bytes);
void gpool_user_uncharge(kuid_t uid, u64 bytes);

/* sysfs.c: a node that got pool memory after boot gets its directory. */
void gpool_sysfs_add_node(int nid);

/* zero.c: clearing memory, in the background and on demand. */
int gpool_zero_unit(u64 pfn, unsigned int order);
void gpool_zero_kick(void);
bool gpool_zero_holds(u64 pfn);
void gpool_zero_pause(void);
void gpool_zero_resume(void);
bool gpool_zero_background(void);
bool gpool_zero_set_background(bool on);
int __init gpool_zero_init(void);

#endif /* __GPOOL_KERNEL_H */
