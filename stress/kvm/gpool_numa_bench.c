// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_numa_bench: where each NUMA policy puts a file's memory, on the
 * pool and on the page cache, and threads pinned to each node touching
 * memory of each node (issue 13, item 4).
 *
 * 1. Pool placement.  For each policy of struct gpool_create_guest_memfd
 *    (GPOOL_NUMA_DEFAULT, _BIND, _PREFERRED, _INTERLEAVE), each target
 *    node (the two nodes of the pool; INTERLEAVE spreads over both) and
 *    each folio size (1G, 2M), a thread pinned with numa_run_on_node() to
 *    each node in turn creates a pool-backed guest_memfd of -g GiB
 *    (default 4) and fallocate()s all of it.  GPOOL_IOC_LIST_FILES then
 *    gives the bytes the file holds on each node, compared with what the
 *    policy asked:
 *
 *      default      all of it on the creating thread's node (the pool
 *                   takes numa_node_id() at creation)
 *      bind N       all of it on N, whoever creates it
 *      preferred N  all of it on N while N has room
 *      interleave   half on each node, within one unit (units alternate)
 *
 *    Reported: "on_target", the percent of the bytes that lie where the
 *    policy allows, "misplaced_units", the units of the file's folio size
 *    that lie anywhere else, and the MiB on each node ("node<N>_mib").  One more case per
 *    node and size asks PREFERRED for 1 GiB more than the preferred node
 *    can hold: the node must fill up and the rest fall back to the other.
 *
 * 2. move_pages().  The pool's host mappings are pfn mappings: no struct
 *    page for the caller, so move_pages(0, n, pages, NULL, status, 0)
 *    cannot say where they are.  It is called anyway over a faulted-in
 *    mapping of a 1 GiB MMAP | INIT_SHARED pool file (1G and 2M units,
 *    one address per 2 MiB) and the statuses it gives are reported: a
 *    finding, not a failure.  The page-cache comparison: a guest_memfd
 *    created without the pool (MMAP | INIT_SHARED, -p MiB, default 128),
 *    mbind() of its mapping before any fault (MPOL_BIND, MPOL_PREFERRED,
 *    MPOL_INTERLEAVE; none for the default, local, policy), faulted in by
 *    a thread pinned to each node, move_pages() status of every 4 KiB page
 *    compared with the policy in the same way.  A boot whose guest_memfds
 *    are all pool-backed (default backing) skips it.
 *
 * 3. Pinned threads.  A vCPU thread pinned to node A touches (writes one
 *    qword in every 4 KiB page of) 1 GiB of private pool memory of 1G
 *    units bound to node B, once to fault it in and once more, for A and
 *    B in both nodes; and a host thread pinned to A does the same through
 *    the mapping of a shared pool file (MMAP | INIT_SHARED) bound to B.
 *    A warm-up round, then -r rounds (default 5) interleaved over the four
 *    (A, B) pairs, median with min and max, the zeroer idle before each
 *    round (the memory arrives pre-zeroed); each round also checks that
 *    the file's memory is all on B.  QEMU emulates the nodes without any
 *    remote-access cost, so these times are labelled "emulated": they show
 *    that placement and pinning work, not what a remote node costs.
 *
 * Output: a table per part and "@result" lines (gpool_bench_util.h) of
 * section "numa".  Under TCG the whole run takes about 3 to 5 minutes, most
 * of it clearing the 4 GiB files of part 1 (each freed GiB is dirty); -g 2
 * halves part 1, -r 1 shortens part 3.  Needs two nodes with pool memory
 * and -g GiB of free 1G units on each (the bench boot has 5 GiB per node);
 * the pool is left as found, which the program asserts at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/falloc.h>
#include <linux/gpool.h>
#include <linux/mempolicy.h>
/*
 * Only <numa.h>: the selftest library's include/numaif.h would shadow
 * libnuma's and define get_mempolicy() a second time; mbind() and
 * move_pages() are called through syscall() below.
 */
#include <numa.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "gpool_util.h"
#include "gpool_bench_util.h"

#define SECTION		"numa"
#define GIB		((uint64_t)1 << 30)
#define MIB		((uint64_t)1 << 20)
#define PAGE		((uint64_t)4096)
#define DATA_SLOT	10
#define DATA_GPA	(4ULL << 30)	/* 1G-aligned */
#define TOUCH_SIZE	GIB		/* part 3 */
#define EMULATED	"emulated: QEMU gives no remote latency"

static int ctl = -1;			/* /dev/gpool */
static int nodes[2];			/* the two pool nodes measured */
static uint64_t file_size = 4 * GIB;	/* -g */
static uint64_t pc_size = 128 * MIB;	/* -p */
static int rounds = 5;			/* -r */

static const char * const size_tag[GPOOL_NR_SIZES] = { "4K", "2M", "1G" };

/* ---- helpers ---- */

static long sys_mbind(void *addr, unsigned long len, int mode,
		      const unsigned long *nodemask, unsigned long maxnode)
{
	return syscall(__NR_mbind, addr, len, mode, nodemask, maxnode, 0);
}

static long sys_move_pages(unsigned long count, void **pages, int *status)
{
	return syscall(__NR_move_pages, 0, count, pages, NULL, status, 0);
}

/* Run the calling thread on @node's CPUs only; -1: on every CPU again. */
static void pin(int node)
{
	TEST_ASSERT(!numa_run_on_node(node), "numa_run_on_node(%d): %s", node,
		    strerror(errno));
}

/*
 * Before a round on node @nid: the background zeroer idle (on every node,
 * gpool_util.h), so that the memory is pre-zeroed and the zeroer shares
 * no CPU with the round.
 */
static void wait_for_zeroer(int nid)
{
	if (!gpool_wait_zeroer_idle(120 * 1000))
		printf("# node %d: the zeroer was not idle after 2 min\n", nid);
}

/*
 * Bytes node @nid could still promise to a new file of units @size (a
 * GPOOL_SIZE_*, 1G or 2M): free capacity (units with the zeroer count)
 * less what is reserved, a free 1G unit serving 512 2M units.
 */
static uint64_t node_room(int nid, int size)
{
	struct gpool_node_stats_args s;
	const struct gpool_size_stats *g, *m;
	int64_t r1g, r2m;
	int r = gpool_ctl_node_stats(ctl, nid, &s);

	TEST_ASSERT(!r, "NODE_STATS %d: %s", nid, strerror(-r));
	g = &s.size[GPOOL_SIZE_1G];
	m = &s.size[GPOOL_SIZE_2M];
	r1g = (int64_t)(g->free + g->zeroing) - (int64_t)g->reserved;
	if (r1g < 0)
		r1g = 0;
	if (size == GPOOL_SIZE_1G)
		return (uint64_t)r1g * GIB;
	r2m = (int64_t)(m->free + m->zeroing) - (int64_t)m->reserved + 512 * r1g;
	return r2m > 0 ? (uint64_t)r2m * (2 * MIB) : 0;
}

/*
 * Compare where @total bytes lie (@bytes[i] on nodes[i], @elsewhere on
 * other nodes) with at most @allowed[i] bytes the policy lets nodes[i]
 * hold: the percent of bytes where the policy allows them, and the
 * misplaced bytes in units of @unit.
 */
struct verdict {
	double on_target, misplaced_units;
};

static struct verdict judge(const uint64_t *bytes, uint64_t elsewhere,
			    const uint64_t *allowed, uint64_t total,
			    uint64_t unit)
{
	uint64_t mis = elsewhere;
	struct verdict v;
	int i;

	for (i = 0; i < 2; i++)
		if (bytes[i] > allowed[i])
			mis += bytes[i] - allowed[i];
	if (mis > total)
		mis = total;
	v.on_target = total ? 100.0 * (total - mis) / total : 0;
	v.misplaced_units = (double)mis / unit;
	return v;
}

static void report(const char *name, const char *cond, struct verdict v,
		   const uint64_t *bytes)
{
	char m[32];
	int i;

	bench_result1(SECTION, name, cond, "on_target", "percent", v.on_target);
	bench_result1(SECTION, name, cond, "misplaced_units", "count",
		      v.misplaced_units);
	/* In MiB: a result line has 6 significant digits. */
	for (i = 0; i < 2; i++) {
		snprintf(m, sizeof(m), "node%d_mib", nodes[i]);
		bench_result1(SECTION, name, cond, m, "MiB", (double)bytes[i] / MIB);
	}
}

/* ---- 1. pool placement ---- */

enum { POL_DEFAULT, POL_BIND, POL_PREFERRED, POL_INTERLEAVE, NR_POLICIES };

static const char * const pol_name[NR_POLICIES] = {
	"default", "bind", "preferred", "interleave",
};

static const unsigned int pol_gpool[NR_POLICIES] = {
	GPOOL_NUMA_DEFAULT, GPOOL_NUMA_BIND, GPOOL_NUMA_PREFERRED,
	GPOOL_NUMA_INTERLEAVE,
};

static const int pol_mpol[NR_POLICIES] = {
	MPOL_DEFAULT, MPOL_BIND, MPOL_PREFERRED, MPOL_INTERLEAVE,
};

/* What @pol with target nodes[@t] lets each node hold of @total bytes. */
static void allowed_of(int pol, int t, int creator, uint64_t total,
		       uint64_t unit, uint64_t *allowed)
{
	uint64_t half = (total / unit + 1) / 2 * unit;

	allowed[0] = allowed[1] = 0;
	switch (pol) {
	case POL_DEFAULT:
		allowed[creator] = total;
		break;
	case POL_BIND:
	case POL_PREFERRED:
		allowed[t] = total;
		break;
	case POL_INTERLEAVE:
		allowed[0] = allowed[1] = half;
		break;
	}
}

static void place_header(void)
{
	printf("\n%-28s %-22s %9s %9s %16s %9s %10s\n", "case", "cond",
	       "node0 MiB", "node1 MiB", "units 1G/2M/4K", "on_target",
	       "misplaced");
}

/*
 * Create a pool file of @size bytes and units @size_idx with @pol
 * (target nodes[@t]) from a thread on nodes[@creator], fallocate() all of
 * it, and report where it landed against at most @allowed[i] bytes on
 * nodes[i].
 */
static void place_one(struct kvm_vm *vm, const char *name, int pol, int t,
		      int creator, int size_idx, uint64_t size,
		      const uint64_t *allowed)
{
	struct gpool_create_guest_memfd args = {
		.size = size,
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = gpool_size_shift[size_idx],
		.numa_mode = pol_gpool[pol],
	};
	uint64_t unit = gpool_size_bytes[size_idx], held = 0, elsewhere = 0;
	uint64_t bytes[2];
	struct gpool_file_info fi;
	struct verdict v;
	char cond[64], units[48];
	int fd, n, s;

	if (pol == POL_INTERLEAVE)
		args.numa_nodes = (1ULL << nodes[0]) | (1ULL << nodes[1]);
	else if (pol != POL_DEFAULT)
		args.numa_nodes = 1ULL << nodes[t];

	pin(nodes[creator]);
	fd = __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	TEST_ASSERT(fd >= 0, "%s: KVM_CREATE_GUEST_MEMFD of %lu bytes: %s",
		    name, size, strerror(errno));
	TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size),
		    "%s: fallocate: %s", name, strerror(errno));
	pin(-1);
	TEST_ASSERT(gpool_file_info_of(ctl, size, &fi), "%s: not listed", name);
	close(fd);

	for (s = 0; s < GPOOL_NR_SIZES; s++)
		held += fi.units[s] * gpool_size_bytes[s];
	TEST_ASSERT_EQ(held, size);
	for (n = 0; n < GPOOL_FILE_NR_NODES; n++)
		if (n != nodes[0] && n != nodes[1])
			elsewhere += fi.node_bytes[n];
	bytes[0] = fi.node_bytes[nodes[0]];
	bytes[1] = fi.node_bytes[nodes[1]];
	v = judge(bytes, elsewhere, allowed, size, unit);

	snprintf(cond, sizeof(cond), "created on node%d", nodes[creator]);
	snprintf(units, sizeof(units), "%llu/%llu/%llu",
		 (unsigned long long)fi.units[GPOOL_SIZE_1G],
		 (unsigned long long)fi.units[GPOOL_SIZE_2M],
		 (unsigned long long)fi.units[GPOOL_SIZE_4K]);
	printf("%-28s %-22s %9llu %9llu %16s %8.1f%% %10.6g\n", name, cond,
	       (unsigned long long)(bytes[0] / MIB),
	       (unsigned long long)(bytes[1] / MIB), units, v.on_target,
	       v.misplaced_units);
	fflush(stdout);
	report(name, cond, v, bytes);
}

static void placement(void)
{
	static const int sizes[] = { GPOOL_SIZE_1G, GPOOL_SIZE_2M };
	struct kvm_vm *vm = vm_create_barebones_type(KVM_X86_SW_PROTECTED_VM);
	uint64_t allowed[2];
	char name[64];
	size_t si;
	int pol, t, c;

	printf("\n1. pool placement: a %lu GiB file per case, fallocate()d whole "
	       "by a thread pinned to the creating node\n", file_size / GIB);
	place_header();
	for (si = 0; si < ARRAY_SIZE(sizes); si++) {
		int sz = sizes[si];
		uint64_t unit = gpool_size_bytes[sz];

		for (pol = 0; pol < NR_POLICIES; pol++) {
			/* DEFAULT and INTERLEAVE have no target node. */
			int nr_t = pol == POL_BIND || pol == POL_PREFERRED ? 2 : 1;

			for (t = 0; t < nr_t; t++) {
				for (c = 0; c < 2; c++) {
					if (pol == POL_DEFAULT)
						snprintf(name, sizeof(name), "default %s",
							 size_tag[sz]);
					else if (pol == POL_INTERLEAVE)
						snprintf(name, sizeof(name),
							 "interleave node%d+%d %s",
							 nodes[0], nodes[1], size_tag[sz]);
					else
						snprintf(name, sizeof(name), "%s node%d %s",
							 pol_name[pol], nodes[t],
							 size_tag[sz]);
					allowed_of(pol, t, c, file_size, unit, allowed);
					place_one(vm, name, pol, t, c, sz, file_size,
						  allowed);
				}
			}
		}
		/*
		 * PREFERRED beyond the preferred node's room: the node fills
		 * up, the other node takes the rest.
		 */
		for (t = 0; t < 2; t++) {
			uint64_t room = node_room(nodes[t], sz);
			uint64_t size = room + GIB;

			if (node_room(nodes[!t], sz) < GIB) {
				printf("# preferred node%d %s over capacity: node%d has "
				       "no free GiB, skipped\n", nodes[t], size_tag[sz],
				       nodes[!t]);
				continue;
			}
			snprintf(name, sizeof(name), "preferred node%d %s over room",
				 nodes[t], size_tag[sz]);
			allowed[t] = size;
			allowed[!t] = GIB;
			printf("# %s: %lu MiB asked, node%d has room for %lu MiB\n",
			       name, size / MIB, nodes[t], room / MIB);
			place_one(vm, name, POL_PREFERRED, t, t, sz, size, allowed);
		}
	}
	kvm_vm_free(vm);
}

/* ---- 2. move_pages(): the pool's pfn mappings, and the page cache ---- */

struct status_count {
	uint64_t node[2], elsewhere, enoent, efault, other;
};

/* move_pages() status of @n addresses @step bytes apart from @m. */
static void page_status(char *m, uint64_t n, uint64_t step,
			struct status_count *sc)
{
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));
	uint64_t i;

	TEST_ASSERT(pages && status, "calloc");
	memset(sc, 0, sizeof(*sc));
	for (i = 0; i < n; i++) {
		pages[i] = m + i * step;
		status[i] = -12345;
	}
	TEST_ASSERT(!sys_move_pages(n, pages, status), "move_pages: %s",
		    strerror(errno));
	for (i = 0; i < n; i++) {
		if (status[i] == nodes[0])
			sc->node[0]++;
		else if (status[i] == nodes[1])
			sc->node[1]++;
		else if (status[i] >= 0)
			sc->elsewhere++;
		else if (status[i] == -ENOENT)
			sc->enoent++;
		else if (status[i] == -EFAULT)
			sc->efault++;
		else
			sc->other++;
	}
	free(pages);
	free(status);
}

static void status_results(const char *name, const char *cond,
			   const struct status_count *sc)
{
	char m[32];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(m, sizeof(m), "status_node%d", nodes[i]);
		bench_result1(SECTION, name, cond, m, "count", sc->node[i]);
	}
	bench_result1(SECTION, name, cond, "status_enoent", "count", sc->enoent);
	bench_result1(SECTION, name, cond, "status_efault", "count", sc->efault);
	bench_result1(SECTION, name, cond, "status_other", "count",
		      sc->other + sc->elsewhere);
}

/* move_pages() over a faulted-in mapping of a shared pool file on nodes[1]. */
static void pool_move_pages(int size_idx)
{
	struct kvm_vm *vm = vm_create_barebones();
	int fd = gpool_gmem_create(vm, GIB, GUEST_MEMFD_FLAG_MMAP |
				   GUEST_MEMFD_FLAG_INIT_SHARED, true,
				   gpool_size_shift[size_idx], nodes[1]);
	char *m = gpool_map_shared(fd, GIB);
	uint64_t allowed[2] = { 0, GIB }, bytes[2], n = GIB / (2 * MIB), i;
	struct gpool_file_info fi;
	struct status_count sc;
	char name[48], cond[64];
	struct verdict v;

	for (i = 0; i < n; i++)
		m[i * 2 * MIB] = 1;
	page_status(m, n, 2 * MIB, &sc);
	TEST_ASSERT(gpool_file_info_of(ctl, GIB, &fi), "pool file not listed");
	bytes[0] = fi.node_bytes[nodes[0]];
	bytes[1] = fi.node_bytes[nodes[1]];
	v = judge(bytes, GIB - bytes[0] - bytes[1], allowed, GIB,
		  gpool_size_bytes[size_idx]);

	snprintf(name, sizeof(name), "move_pages pool %s", size_tag[size_idx]);
	snprintf(cond, sizeof(cond), "pfn mapping, bind node%d, one page per 2M",
		 nodes[1]);
	printf("%-22s %lu addresses: node%d %lu, node%d %lu, -ENOENT %lu, "
	       "-EFAULT %lu, other %lu; control file: %.1f%% on node%d, "
	       "host maps 1G/2M/4K %llu/%llu/%llu\n", name, n, nodes[0],
	       sc.node[0], nodes[1], sc.node[1], sc.enoent, sc.efault,
	       sc.other + sc.elsewhere, v.on_target, nodes[1],
	       (unsigned long long)fi.host_maps[GPOOL_SIZE_1G],
	       (unsigned long long)fi.host_maps[GPOOL_SIZE_2M],
	       (unsigned long long)fi.host_maps[GPOOL_SIZE_4K]);
	fflush(stdout);
	status_results(name, cond, &sc);
	bench_result1(SECTION, name, cond, "on_target", "percent", v.on_target);

	munmap(m, GIB);
	close(fd);
	kvm_vm_free(vm);
}

/*
 * A page-cache guest_memfd of pc_size bytes, mbind() of its mapping with
 * @pol (target nodes[@t]), faulted in by a thread on nodes[@creator]:
 * move_pages() of every page against the policy.  False if the file is
 * pool-backed (a default-backing boot): no page cache to compare.
 */
static bool pc_one(int pol, int t, int creator)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct gpool_create_guest_memfd args = {
		.size = pc_size,
		.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
	};
	uint64_t n = pc_size / PAGE, allowed[2], bytes[2], i;
	unsigned long mask = 0;
	struct gpool_file_info fi;
	struct status_count sc;
	char name[64], cond[64];
	struct verdict v;
	char *m;
	int fd;

	fd = __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	TEST_ASSERT(fd >= 0, "KVM_CREATE_GUEST_MEMFD (page cache): %s",
		    strerror(errno));
	if (gpool_file_info_of(ctl, pc_size, &fi)) {
		close(fd);
		kvm_vm_free(vm);
		return false;
	}
	m = gpool_map_shared(fd, pc_size);
	if (pol == POL_INTERLEAVE)
		mask = (1UL << nodes[0]) | (1UL << nodes[1]);
	else if (pol != POL_DEFAULT)
		mask = 1UL << nodes[t];
	if (pol != POL_DEFAULT)
		TEST_ASSERT(!sys_mbind(m, pc_size, pol_mpol[pol], &mask,
				       8 * sizeof(mask)),
			    "mbind(%s) of a page-cache guest_memfd: %s",
			    pol_name[pol], strerror(errno));

	pin(nodes[creator]);
	for (i = 0; i < n; i++)
		m[i * PAGE] = 1;
	pin(-1);
	page_status(m, n, PAGE, &sc);
	munmap(m, pc_size);
	close(fd);
	kvm_vm_free(vm);

	bytes[0] = sc.node[0] * PAGE;
	bytes[1] = sc.node[1] * PAGE;
	allowed_of(pol, t, creator, pc_size, PAGE, allowed);
	/* Pages move_pages() could not place count as misplaced. */
	v = judge(bytes, pc_size - bytes[0] - bytes[1], allowed, pc_size, PAGE);

	if (pol == POL_DEFAULT)
		snprintf(name, sizeof(name), "page cache default 4K");
	else if (pol == POL_INTERLEAVE)
		snprintf(name, sizeof(name), "page cache interleave node%d+%d 4K",
			 nodes[0], nodes[1]);
	else
		snprintf(name, sizeof(name), "page cache %s node%d 4K",
			 pol_name[pol], nodes[t]);
	snprintf(cond, sizeof(cond), "faulted on node%d", nodes[creator]);
	printf("%-34s %-18s %9lu %9lu %8.1f%% %10.6g %8lu\n", name, cond,
	       bytes[0] / MIB, bytes[1] / MIB, v.on_target, v.misplaced_units,
	       sc.enoent + sc.efault + sc.other + sc.elsewhere);
	fflush(stdout);
	report(name, cond, v, bytes);
	if (sc.enoent + sc.efault + sc.other + sc.elsewhere)
		bench_result1(SECTION, name, cond, "status_unplaced", "count",
			      sc.enoent + sc.efault + sc.other + sc.elsewhere);
	return true;
}

static void move_pages_part(void)
{
	int pol, t, c;

	printf("\n2. move_pages(): the pool's pfn mappings (statuses as given), "
	       "then the page cache with mbind() per policy (%lu MiB files)\n",
	       pc_size / MIB);
	pool_move_pages(GPOOL_SIZE_1G);
	pool_move_pages(GPOOL_SIZE_2M);

	printf("\n%-34s %-18s %9s %9s %9s %10s %8s\n", "case", "cond",
	       "node0 MiB", "node1 MiB", "on_target", "misplaced", "unplaced");
	for (pol = 0; pol < NR_POLICIES; pol++) {
		int nr_t = pol == POL_BIND || pol == POL_PREFERRED ? 2 : 1;

		for (t = 0; t < nr_t; t++)
			for (c = 0; c < 2; c++)
				if (!pc_one(pol, t, c)) {
					printf("# guest_memfds are pool-backed "
					       "(default backing): no page cache "
					       "to compare\n");
					return;
				}
	}
}

/* ---- 3. threads pinned to a node, memory on a node ---- */

static void guest_code(void)
{
	uint64_t off;

	for (off = 0; off < TOUCH_SIZE; off += PAGE)
		*(volatile uint64_t *)(DATA_GPA + off) = off;
	GUEST_SYNC(1);
	for (off = 0; off < TOUCH_SIZE; off += PAGE)
		*(volatile uint64_t *)(DATA_GPA + off) = ~off;
	GUEST_DONE();
}

struct psample {
	double first_ms, second_ms, on_target;
};

/* The percent of the 1 GiB file on node @b, from the control file. */
static double file_on_node(int b)
{
	struct gpool_file_info fi;

	TEST_ASSERT(gpool_file_info_of(ctl, TOUCH_SIZE, &fi), "file not listed");
	return 100.0 * fi.node_bytes[b] / TOUCH_SIZE;
}

/* A vCPU thread on node @a touches private pool memory on node @b. */
static void vcpu_round(int a, int b, struct psample *s)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	void *map;
	double t;
	int fd;

	wait_for_zeroer(b);
	pin(a);
	vm = vm_create_shape_with_one_vcpu(shape, &vcpu, guest_code);
	fd = gpool_gmem_create(vm, TOUCH_SIZE, 0, true, GPOOL_FOLIO_SHIFT_1G, b);
	/* The shared view is aligned like the GPA, as gpool_bench has it. */
	map = mmap(NULL, 2 * TOUCH_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(map != MAP_FAILED, "mmap");
	vm_set_user_memory_region2(vm, DATA_SLOT, KVM_MEM_GUEST_MEMFD, DATA_GPA,
				   TOUCH_SIZE,
				   (void *)align_up((uint64_t)map, TOUCH_SIZE),
				   fd, 0);
	vm_mem_set_private(vm, DATA_GPA, TOUCH_SIZE);
	virt_map_level(vm, DATA_GPA, DATA_GPA, TOUCH_SIZE, PG_LEVEL_1G);

	t = bench_now_ms();
	TEST_ASSERT_EQ(gpool_vcpu_sync(vcpu), 1);
	s->first_ms = bench_now_ms() - t;
	t = bench_now_ms();
	vcpu_run(vcpu);
	s->second_ms = bench_now_ms() - t;
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	pin(-1);
	s->on_target = file_on_node(b);
	close(fd);
	kvm_vm_free(vm);
	munmap(map, 2 * TOUCH_SIZE);
}

/* A host thread on node @a touches a shared pool file's mapping on @b. */
static void host_round(int a, int b, struct psample *s)
{
	struct kvm_vm *vm;
	uint64_t off;
	char *m;
	double t;
	int fd;

	wait_for_zeroer(b);
	pin(a);
	vm = vm_create_barebones();
	fd = gpool_gmem_create(vm, TOUCH_SIZE, GUEST_MEMFD_FLAG_MMAP |
			       GUEST_MEMFD_FLAG_INIT_SHARED, true,
			       GPOOL_FOLIO_SHIFT_1G, b);
	m = gpool_map_shared(fd, TOUCH_SIZE);
	t = bench_now_ms();
	for (off = 0; off < TOUCH_SIZE; off += PAGE)
		*(volatile uint64_t *)(m + off) = off;
	s->first_ms = bench_now_ms() - t;
	t = bench_now_ms();
	for (off = 0; off < TOUCH_SIZE; off += PAGE)
		*(volatile uint64_t *)(m + off) = ~off;
	s->second_ms = bench_now_ms() - t;
	pin(-1);
	s->on_target = file_on_node(b);
	munmap(m, TOUCH_SIZE);
	close(fd);
	kvm_vm_free(vm);
}

static void pinned_part(void)
{
	static const char * const who[2] = { "vcpu", "host" };
	struct psample (*smp)[2][4] = calloc(rounds, sizeof(*smp));
	struct psample warm;
	double v[3][64];
	int r, k, w, i;

	TEST_ASSERT(smp, "calloc");
	printf("\n3. a thread pinned to node A writes every 4K page of 1 GiB of "
	       "pool memory (1G units) bound to node B, twice; a warm-up round, "
	       "then %d interleaved rounds (" EMULATED ")\n", rounds);
	for (r = -1; r < rounds; r++) {
		for (k = 0; k < 4; k++) {
			int a = nodes[k / 2], b = nodes[k % 2];

			for (w = 0; w < 2; w++) {
				struct psample *s = r < 0 ? &warm : &smp[r][w][k];

				if (w == 0)
					vcpu_round(a, b, s);
				else
					host_round(a, b, s);
				printf("# %s %d %s node%d memory node%d: first %.1f ms, "
				       "second %.1f ms, %.1f%% on node%d\n",
				       r < 0 ? "warm-up" : "round", r + 1, who[w], a,
				       b, s->first_ms, s->second_ms, s->on_target, b);
				fflush(stdout);
			}
		}
	}

	printf("\n%-6s %-22s %28s %28s %10s\n", "thread", "cond",
	       "first touch ms: med (min-max)", "second touch ms: med (min-max)",
	       "on node B");
	for (w = 0; w < 2; w++) {
		for (k = 0; k < 4; k++) {
			int a = nodes[k / 2], b = nodes[k % 2];
			struct bench_stat f, sec, on;
			char cond[128], shortc[48];

			for (r = 0; r < rounds && r < 64; r++) {
				v[0][r] = smp[r][w][k].first_ms;
				v[1][r] = smp[r][w][k].second_ms;
				v[2][r] = smp[r][w][k].on_target;
			}
			i = r;
			f = bench_stat_of(v[0], i);
			sec = bench_stat_of(v[1], i);
			on = bench_stat_of(v[2], i);
			snprintf(shortc, sizeof(shortc), "%s node%d, memory node%d",
				 who[w], a, b);
			snprintf(cond, sizeof(cond), "%s; " EMULATED, shortc);
			printf("%-6s %-22s %12.1f (%6.1f-%6.1f) %12.1f (%6.1f-%6.1f) "
			       "%9.1f%%\n", who[w], shortc + strlen(who[w]) + 1,
			       f.median, f.min, f.max, sec.median, sec.min,
			       sec.max, on.min);
			bench_result(SECTION, w ? "host thread 1 GiB pool 1G" :
				     "vcpu thread 1 GiB pool 1G", cond,
				     "first_touch", "ms", f);
			bench_result(SECTION, w ? "host thread 1 GiB pool 1G" :
				     "vcpu thread 1 GiB pool 1G", cond,
				     "second_touch", "ms", sec);
			bench_result(SECTION, w ? "host thread 1 GiB pool 1G" :
				     "vcpu thread 1 GiB pool 1G", cond,
				     "on_target", "percent", on);
		}
	}
	free(smp);
}

/* ---- main ---- */

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-g GiB] [-p MiB] [-r rounds] [-h]\n"
		"  -g GiB     size of each placement file (default 4, at least 2)\n"
		"  -p MiB     size of each page-cache file (default 128)\n"
		"  -r rounds  timed rounds of the pinned threads (default 5, max 64)\n"
		"  -h         this help\n", argv0);
}

int main(int argc, char **argv)
{
	struct gpool_info_args info;
	struct gpool_holdings before, after;
	int opt, nid, nr = 0, i, r;

	while ((opt = getopt(argc, argv, "g:p:r:h")) != -1) {
		switch (opt) {
		case 'g':
			file_size = strtoull(optarg, NULL, 0) * GIB;
			break;
		case 'p':
			pc_size = strtoull(optarg, NULL, 0) * MIB;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 1;
		}
	}
	if (file_size < 2 * GIB || !pc_size || rounds < 1 || rounds > 64) {
		usage(argv[0]);
		return 1;
	}

	TEST_REQUIRE(numa_available() >= 0);
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_GPOOL);
	ctl = gpool_ctl_open(NULL, false);
	TEST_REQUIRE(ctl >= 0);
	r = gpool_ctl_info(ctl, &info);
	TEST_ASSERT(!r, "GPOOL_IOC_INFO: %s", strerror(-r));
	for (nid = 0; nid < GPOOL_FILE_NR_NODES && nr < 2; nid++)
		if ((info.node_mask & (1ULL << nid)) && nid <= numa_max_node())
			nodes[nr++] = nid;
	__TEST_REQUIRE(nr == 2, "two nodes with pool memory");
	for (i = 0; i < 2; i++)
		__TEST_REQUIRE(node_room(nodes[i], GPOOL_SIZE_1G) >= file_size,
			       "%lu GiB of free 1G units on node %d (-g)",
			       file_size / GIB, nodes[i]);

	printf("@section {\"section\":\"" SECTION "\",\"title\":\"NUMA placement "
	       "of pool and page-cache guest_memfds per policy, and threads pinned "
	       "per node\",\"note\":\"pool files of %lu GiB fallocated by a thread "
	       "pinned to the creating node; on_target = percent of bytes where the "
	       "policy allows (interleave: each node within one unit of half); "
	       "page cache: %lu MiB, mbind() before faulting, move_pages() status; "
	       "move_pages() on pool mappings (pfn maps) reported as given; pinned "
	       "times are %s\"}\n", file_size / GIB, pc_size / MIB, EMULATED);
	printf("gpool_numa_bench: nodes %d and %d\n", nodes[0], nodes[1]);
	gpool_holdings(ctl, &before);

	placement();
	move_pages_part();
	pinned_part();

	gpool_holdings(ctl, &after);
	gpool_assert_holdings(&before, &after);
	printf("\ngpool_numa_bench: the pool is as found\n");
	close(ctl);
	return 0;
}
