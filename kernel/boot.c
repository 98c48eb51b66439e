// SPDX-License-Identifier: GPL-2.0
/*
 * gpool: reserving the pool at boot.
 *
 *	gpool=[OPTION,...]SIZE			SIZE in all, split evenly over
 *						the online nodes
 *	gpool=[OPTION,...]NODE:SIZE[,NODE:SIZE...]	SIZE on each NODE
 *
 * OPTIONs: "nomap" (see below) and "default_backing" (every guest_memfd
 * uses the pool, not only those created with GUEST_MEMFD_FLAG_GPOOL).
 *
 * The memory is taken from memblock before the memory map exists and before
 * anything else can fragment it: setup_arch() calls gpool_reserve_boot()
 * once the NUMA nodes are known and before sparse_init().  Each node's share
 * is taken as 1 GiB-aligned GiBs, so that every one of them can be handed
 * out as a 1G folio, wherever the node has them (memory holes need not be
 * avoided by hand); only what does not fit that way, or the part of the
 * share below 1 GiB, becomes one 2 MiB-aligned range.  Adjacent pieces are
 * one range.
 *
 * Default mode: the range stays memblock memory, reserved.  It has struct
 * pages (PageReserved), stays in the direct map, and never reaches the buddy
 * allocator.
 *
 * nomap: the range is removed from memblock memory, so sparse_init() gives
 * its 128 MiB sections no memory map at all (pfn_valid() is false), and it
 * becomes E820_TYPE_RESERVED in the kernel's e820 table, so that it is not
 * "System RAM" to the rest of the kernel.  gpool_init() then takes it out of
 * the direct map, which init_mem_mapping() built before the nodes were
 * known.  The pool reaches the memory only through memremap(), to zero it.
 * KVM still maps it write-back: kvm_is_mmio_pfn() asks the firmware's e820
 * table, which keeps calling it RAM.
 *
 * The reservation is all or nothing: a malformed parameter, or a node that
 * cannot supply its share, leaves the system without a pool and says why.
 */
#define pr_fmt(fmt) "gpool: " fmt

#include <linux/gpool.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/memblock.h>
#include <linux/nodemask.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <asm/e820/api.h>

#include "gpool_kernel.h"

static char gpool_param[256] __initdata;
static bool gpool_param_too_long __initdata;

/* What gpool= asks for, per node. */
struct gpool_boot_request {
	int nid;
	u64 size;
};

static struct gpool_boot_request gpool_requests[MAX_NUMNODES] __initdata;
static int gpool_nr_requests __initdata;

/* What was reserved: at most a few pieces per node, adjacent ones merged. */
struct gpool_boot_range gpool_boot_ranges[GPOOL_MAX_BOOT_RANGES] __initdata;
int gpool_nr_boot_ranges __initdata;
bool gpool_boot_nomap __initdata;

static int __init gpool_early_param(char *s)
{
	if (!s)
		return -EINVAL;
	if (strscpy(gpool_param, s, sizeof(gpool_param)) < 0)
		gpool_param_too_long = true;
	return 0;
}
early_param("gpool", gpool_early_param);

/* Parse "SIZE" into @size: a non-zero multiple of @unit. */
static int __init gpool_parse_size(char *s, u64 unit, u64 *size)
{
	char *end;

	*size = memparse(s, &end);
	if (end == s || *end) {
		pr_err("gpool=: '%s' is not a size (e.g. 4G, 512M)\n", s);
		return -EINVAL;
	}
	if (!*size || !IS_ALIGNED(*size, unit)) {
		pr_err("gpool=: %s is not a non-zero multiple of %llu MiB\n",
		       s, unit >> 20);
		return -EINVAL;
	}
	return 0;
}

/* Split "SIZE" evenly over the online nodes. */
static int __init gpool_parse_total(char *s, u64 unit)
{
	u64 total, share;
	int nid, nr = num_online_nodes();

	if (gpool_parse_size(s, unit, &total))
		return -EINVAL;
	share = ALIGN_DOWN(div_u64(total, nr), unit);
	if (!share || share * nr != total) {
		pr_err("gpool=: %s does not split evenly into multiples of %llu MiB over %d nodes; give NODE:SIZE pairs\n",
		       s, unit >> 20, nr);
		return -EINVAL;
	}
	for_each_online_node(nid) {
		gpool_requests[gpool_nr_requests].nid = nid;
		gpool_requests[gpool_nr_requests].size = share;
		gpool_nr_requests++;
	}
	return 0;
}

/* Parse one "NODE:SIZE". */
static int __init gpool_parse_node(char *s, u64 unit)
{
	struct gpool_boot_request *r;
	char *colon = strchr(s, ':');
	int nid, i;

	*colon = '\0';
	if (kstrtoint(s, 10, &nid) || nid < 0 || nid >= MAX_NUMNODES ||
	    !node_online(nid)) {
		pr_err("gpool=: '%s' is not an online node\n", s);
		return -EINVAL;
	}
	for (i = 0; i < gpool_nr_requests; i++) {
		if (gpool_requests[i].nid == nid) {
			pr_err("gpool=: node %d is given twice\n", nid);
			return -EINVAL;
		}
	}
	r = &gpool_requests[gpool_nr_requests];
	if (gpool_parse_size(colon + 1, unit, &r->size))
		return -EINVAL;
	r->nid = nid;
	gpool_nr_requests++;
	return 0;
}

static int __init gpool_parse(void)
{
	char *s = gpool_param, *tok;
	u64 unit;

	if (gpool_param_too_long) {
		pr_err("gpool=: parameter longer than %zu characters\n",
		       sizeof(gpool_param) - 1);
		return -EINVAL;
	}
	for (;;) {
		if (!strncmp(s, "nomap,", 6)) {
			gpool_boot_nomap = true;
			s += 6;
		} else if (!strncmp(s, "default_backing,", 16)) {
			gpool_default_backing = true;
			s += 16;
		} else {
			break;
		}
	}
	/* A pool without struct pages must cover whole memory sections. */
	unit = gpool_boot_nomap ? SZ_128M : SZ_2M;

	if (!strchr(s, ':'))
		return gpool_parse_total(s, unit);

	while ((tok = strsep(&s, ","))) {
		if (!strchr(tok, ':')) {
			pr_err("gpool=: '%s' is not NODE:SIZE\n", tok);
			return -EINVAL;
		}
		if (gpool_parse_node(tok, unit))
			return -EINVAL;
	}
	return 0;
}

/* Whole 1 GiB windows inside [start, start + size). */
static u64 __init gpool_nr_1g(phys_addr_t start, u64 size)
{
	phys_addr_t first = ALIGN(start, SZ_1G);
	phys_addr_t last = ALIGN_DOWN(start + size, SZ_1G);

	return last > first ? (last - first) >> 30 : 0;
}

/* Record a reserved piece, merging it with an adjacent one of its node. */
static int __init gpool_add_piece(int nid, phys_addr_t start, u64 size)
{
	struct gpool_boot_range *r;
	int i;

	for (i = 0; i < gpool_nr_boot_ranges; i++) {
		r = &gpool_boot_ranges[i];
		if (r->nid != nid)
			continue;
		if (r->start + r->size == start) {
			r->size += size;
			return 0;
		}
		if (start + size == r->start) {
			r->start = start;
			r->size += size;
			return 0;
		}
	}
	if (gpool_nr_boot_ranges == GPOOL_MAX_BOOT_RANGES)
		return -ENOSPC;
	r = &gpool_boot_ranges[gpool_nr_boot_ranges++];
	r->nid = nid;
	r->start = start;
	r->size = size;
	return 0;
}

static phys_addr_t __init gpool_memblock_alloc(int nid, u64 size,
					       phys_addr_t align)
{
	/* NOLEAKTRACE: kmemleak must never scan guest memory. */
	return memblock_alloc_range_nid(size, align, 0,
					MEMBLOCK_ALLOC_NOLEAKTRACE, nid, true);
}

/*
 * Reserve @size on @nid: whole 1 GiB-aligned GiBs first, wherever the node
 * has them, then the rest as one range as aligned as it must be.
 */
static int __init gpool_reserve_node(int nid, u64 size)
{
	phys_addr_t min_align = gpool_boot_nomap ? SZ_128M : SZ_2M;
	phys_addr_t addr;

	while (size >= SZ_1G) {
		addr = gpool_memblock_alloc(nid, SZ_1G, SZ_1G);
		if (!addr)
			break;
		if (gpool_add_piece(nid, addr, SZ_1G)) {
			memblock_phys_free(addr, SZ_1G);
			return -ENOSPC;
		}
		size -= SZ_1G;
	}
	if (!size)
		return 0;
	addr = gpool_memblock_alloc(nid, size, min_align);
	if (!addr)
		return -ENOMEM;
	if (gpool_add_piece(nid, addr, size)) {
		memblock_phys_free(addr, size);
		return -ENOSPC;
	}
	return 0;
}

static void __init gpool_release_boot(void)
{
	int i;

	for (i = 0; i < gpool_nr_boot_ranges; i++)
		memblock_phys_free(gpool_boot_ranges[i].start,
				   gpool_boot_ranges[i].size);
	gpool_nr_boot_ranges = 0;
}

/* Take the ranges out of memblock memory and out of the kernel's e820. */
static void __init gpool_unmap_boot(void)
{
	struct gpool_boot_range *r;
	int i;

	for (i = 0; i < gpool_nr_boot_ranges; i++) {
		r = &gpool_boot_ranges[i];
		memblock_phys_free(r->start, r->size);
		memblock_remove(r->start, r->size);
		e820__range_update(r->start, r->size, E820_TYPE_RAM,
				   E820_TYPE_RESERVED);
	}
	e820__update_table(e820_table);
}

void __init gpool_reserve_boot(void)
{
	struct gpool_boot_range *r;
	int i;

	if (!gpool_param[0] && !gpool_param_too_long)
		return;

	if (gpool_parse()) {
		pr_err("not reserving a pool: malformed gpool= parameter\n");
		gpool_nr_requests = 0;
		gpool_boot_nomap = false;
		gpool_default_backing = false;
		return;
	}

	for (i = 0; i < gpool_nr_requests; i++) {
		int ret = gpool_reserve_node(gpool_requests[i].nid,
					     gpool_requests[i].size);

		if (ret) {
			pr_err("not reserving a pool: node %d has no free %llu MiB%s\n",
			       gpool_requests[i].nid,
			       gpool_requests[i].size >> 20,
			       ret == -ENOSPC ? " in few enough pieces" : "");
			gpool_release_boot();
			gpool_boot_nomap = false;
			gpool_default_backing = false;
			return;
		}
	}

	if (gpool_boot_nomap)
		gpool_unmap_boot();

	for (i = 0; i < gpool_nr_boot_ranges; i++) {
		r = &gpool_boot_ranges[i];
		pr_info("node %d: reserved %llu MiB at [mem %#018llx-%#018llx], %llu x 1G (%s)\n",
			r->nid, r->size >> 20, r->start, r->start + r->size - 1,
			gpool_nr_1g(r->start, r->size),
			gpool_boot_nomap ? "nomap: no struct page, not in the direct map" :
					   "struct pages, reserved");
	}
}
