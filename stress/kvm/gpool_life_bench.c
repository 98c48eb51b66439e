// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_life_bench: a guest_memfd's lifecycle at 1 to 8 GiB, and a storm
 * of conversions from several vCPUs at once (issue 13, items 5 and 6).
 *
 * 1. Lifecycle ("-p life").  For each case, a KVM_X86_SW_PROTECTED_VM
 *    (no vCPU, no memslot) and one guest_memfd:
 *
 *      pool 1G, N GiB     GUEST_MEMFD_FLAG_GPOOL, folio_shift 30,
 *      pool 2M, N GiB     folio_shift 21, N = 1, 2, 4, 8; both
 *                         GPOOL_NUMA_INTERLEAVE over the pool's nodes
 *                         (the bench boot has 5 GiB per node: 8 GiB
 *                         needs both)
 *      page cache, N GiB  no flag: 6.12's guest_memfd, 4K folios; N = 1
 *                         and 2 only (it is slow and takes the guest's
 *                         ordinary memory, which must have N GiB and
 *                         512 MiB more available, else the case is
 *                         skipped)
 *
 *    Each step is timed on its own: create (KVM_CREATE_GUEST_MEMFD: the
 *    pool reserves the whole size here), populate (fallocate() of the
 *    whole file: allocates every unit, maps nothing; no vCPU touches it),
 *    punch (PUNCH_HOLE | KEEP_SIZE over the whole file), then populate
 *    again (not timed), then close (the file with everything allocated;
 *    the VM lives on).  Reported in ms per GiB, with the units the file
 *    had after populating (GPOOL_IOC_LIST_FILES; for the page cache its
 *    4K pages, which is what 6.12 allocates) next to the file's 4K pages:
 *    a step whose cost follows the units is flat per GiB on the 1G pool,
 *    costs about 512 times the units on the 2M pool and 262,144 pages per
 *    GiB on the page cache.  The human table also gives microseconds per
 *    unit.  The pool's memory arrives pre-zeroed (the zeroer is idle before
 *    every case); the page cache clears each page as it allocates it.
 *
 * 2. Conversion storm ("-p storm").  A KVM_X86_SW_PROTECTED_VM with -v
 *    vCPUs (default 2) and one pool guest_memfd of 1 GiB per vCPU (1G
 *    units, GPOOL_NUMA_INTERLEAVE), all of it allocated and private,
 *    bound at GPA 4 GiB; vCPU i owns GiB i.  Each vCPU's guest loops:
 *    pick a random 4K-aligned range of its GiB, 4 KiB, 64 KiB or 2 MiB
 *    (xorshift64, seeded per round and vCPU: both modes of a round convert
 *    the same ranges), stamp its first and last qword while private, ask
 *    for it shared with the KVM_HC_MAP_GPA_RANGE hypercall
 *    (KVM_CAP_EXIT_HYPERCALL: the vCPU's thread gets a KVM_EXIT_HYPERCALL
 *    and converts, as a VMM does), check the stamps, stamp it again as
 *    shared, ask for it private again and check once more.  Two modes:
 *
 *      in place     a GUEST_MEMFD_FLAG_MMAP file (not INIT_SHARED: it
 *                   starts private), mapped by the host as the memslot's
 *                   userspace_addr; KVM_SET_MEMORY_ATTRIBUTES2 on the file
 *                   (EAGAIN retried; none expected on the pool).  The
 *                   guest checks that both stamps survive: contents kept.
 *      punch-style  the 6.8 flow on a file without MMAP, the shared side
 *                   anonymous memory at userspace_addr: to shared,
 *                   KVM_SET_MEMORY_ATTRIBUTES and PUNCH_HOLE of the
 *                   private range; to private, KVM_SET_MEMORY_ATTRIBUTES,
 *                   fallocate() of the private range again (as upstream's
 *                   private_mem_conversions_test does) and MADV_DONTNEED
 *                   of the shared side (as QEMU discards it).  The guest
 *                   checks that it reads zero each time: contents lost.
 *
 *    A round runs each mode for -t seconds (default 10; or -n round trips
 *    per vCPU): the host answers the first conversion to private after the
 *    deadline with "stop".  Reported: conversions per second (each way
 *    counts one, all vCPUs together), the pool's splits and merges per
 *    conversion (nr_splits and nr_merges of every size and node), and
 *    KVM's pages_1g/2m/4k after the storm, once every range is private
 *    again and each guest has read one qword of every 2 MiB of its GiB:
 *    the units merged back, so pages_1g should be one per vCPU again.
 *
 * Both parts: a warm-up round (the storm's is 2 s per mode), then -r
 * interleaved rounds (default 5); median with min and max.  The zeroer is
 * idle before every timed case and run (gpool_wait_zeroer_idle()).  The
 * pool's accounting is the same at the end as at the start (asserted).
 * Output: tables, and "@section" and "@result" lines (gpool_bench_util.h)
 * of sections "lifecycle" and "storm".
 *
 * Run time under QEMU TCG with the defaults: about 5 to 6 minutes.  The
 * lifecycle takes 3 to 4 of them, most of it clearing: every pool case
 * frees its N GiB dirty twice a round (the punch, whose memory the
 * untimed populate clears again, and the close, which the zeroer clears
 * before the next case), and the page cache allocates and frees 262,144
 * pages per GiB four times a round.  The storm takes about
 * 2 * (1 + -r) * -t seconds and some setup.  -p, -r and -t scale it.
 *
 *   gpool_life_bench [-p life|storm] [-r ROUNDS] [-t SECONDS] [-n TRIPS]
 *                    [-v VCPUS] [-h]
 *
 * Times are emulated (TCG): compare cases of the same run, and the counts.
 * A benchmark, not a test: it asserts only that each step worked.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/falloc.h>
#include <linux/gpool.h>
#include <linux/kvm_para.h>
#include <linux/sizes.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "gpool_util.h"
#include "gpool_bench_util.h"

#define GIB		((uint64_t)1 << 30)
#define MAX_VCPUS	16
#define ZEROER_WAIT_MS	(120 * 1000)

static int rounds = 5;
static int seconds = 10;
static uint64_t trips;		/* -n: round trips per vCPU, 0: by time */
static int nr_vcpus = 2;

static int ctl = -1;		/* /dev/gpool */
static uint64_t node_mask;	/* the nodes with pool memory now */

/* ---- the pool ---- */

static struct gpool_node_stats_args *pool_nodes(void)
{
	struct gpool_node_stats_args *s = calloc(GPOOL_MAX_NODES, sizeof(*s));
	int r;

	TEST_ASSERT(s, "calloc");
	r = gpool_ctl_nodes(ctl, node_mask, s);
	TEST_ASSERT(!r, "GPOOL_IOC_NODE_STATS: %s", strerror(-r));
	return s;
}

/* Bytes the pool could still reserve for a new file, every node. */
static uint64_t pool_avail(void)
{
	struct gpool_node_stats_args *s = pool_nodes();
	struct gpool_bytes b;
	uint64_t avail = 0;
	int n;

	for (n = 0; n < GPOOL_MAX_NODES; n++) {
		if (!(node_mask >> n & 1))
			continue;
		gpool_node_bytes(&s[n], &b);
		avail += b.free - b.reserved;
	}
	free(s);
	return avail;
}

/* nr_splits (@merges false) or nr_merges of every size of every node. */
static uint64_t pool_splits(bool merges)
{
	struct gpool_node_stats_args *s = pool_nodes();
	uint64_t sum = 0;
	int n, z;

	for (n = 0; n < GPOOL_MAX_NODES; n++)
		for (z = 0; z < GPOOL_NR_SIZES; z++)
			sum += merges ? s[n].size[z].nr_merges :
					s[n].size[z].nr_splits;
	free(s);
	return sum;
}

/* The zeroer idle; if it once does not get there, do not wait again. */
static void wait_zeroer(void)
{
	static bool stuck;

	if (stuck)
		return;
	if (!gpool_wait_zeroer_idle(ZEROER_WAIT_MS)) {
		printf("# the zeroer did not finish in %d s: not waiting for it again\n",
		       ZEROER_WAIT_MS / 1000);
		stuck = true;
	}
}

/*
 * A guest_memfd of @vm: from the pool with units up to 1 << @shift bytes,
 * interleaved over the pool's nodes, or (@shift 0) without the pool flag.
 * An fd or -1 with errno: the caller times the call and checks it after.
 */
static int gmem_create(struct kvm_vm *vm, uint64_t size, uint64_t flags,
		       unsigned int shift)
{
	struct gpool_create_guest_memfd args = {
		.size = size,
		.flags = flags,
	};

	if (shift) {
		args.flags |= GUEST_MEMFD_FLAG_GPOOL;
		args.folio_shift = shift;
		args.numa_mode = GPOOL_NUMA_INTERLEAVE;
		args.numa_nodes = node_mask;
	}
	return __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
}

/* Units of each size (GPOOL_SIZE_*) the pool file of @size holds now. */
static void file_units(uint64_t size, uint64_t units[GPOOL_NR_SIZES])
{
	struct gpool_file_info fi;

	TEST_ASSERT(gpool_file_info_of(ctl, size, &fi),
		    "LIST_FILES: no file of %lu bytes of this process", size);
	memcpy(units, fi.units, sizeof(fi.units));
}

static uint64_t units_bytes(const uint64_t units[GPOOL_NR_SIZES])
{
	uint64_t b = 0;
	int z;

	for (z = 0; z < GPOOL_NR_SIZES; z++)
		b += units[z] * gpool_size_bytes[z];
	return b;
}

/* A field of /proc/meminfo in kB, or -1. */
static long meminfo_kb(const char *field)
{
	char line[128];
	size_t len = strlen(field);
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			kb = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* ---- 1. lifecycle ---- */

enum { STEP_CREATE, STEP_POPULATE, STEP_PUNCH, STEP_CLOSE, NR_STEPS };

static const char * const step_name[NR_STEPS] = {
	"create", "populate", "punch", "close",
};

struct life_case {
	char name[32];
	unsigned int shift;		/* 0: the page cache */
	uint64_t size;
	bool avail;
	double *ms[NR_STEPS];		/* per round */
	double *nr_units;		/* per round */
	uint64_t units[GPOOL_NR_SIZES];	/* the last round's, by size */
};

#define MAX_LIFE_CASES	10
static struct life_case life[MAX_LIFE_CASES];
static int nr_life;

static void life_add(unsigned int shift, uint64_t gib, bool default_backing)
{
	struct life_case *c = &life[nr_life++];
	long avail_kb;
	int k;

	c->shift = shift;
	c->size = gib * GIB;
	snprintf(c->name, sizeof(c->name), "%s, %lu GiB",
		 shift == GPOOL_FOLIO_SHIFT_1G ? "pool 1G" :
		 shift == GPOOL_FOLIO_SHIFT_2M ? "pool 2M" : "page cache", gib);
	for (k = 0; k < NR_STEPS; k++) {
		c->ms[k] = calloc(rounds, sizeof(double));
		TEST_ASSERT(c->ms[k], "calloc");
	}
	c->nr_units = calloc(rounds, sizeof(double));
	TEST_ASSERT(c->nr_units, "calloc");
	c->avail = true;
	if (shift && pool_avail() < c->size) {
		printf("# %s: skipped, the pool cannot reserve it (%lu MiB free)\n",
		       c->name, pool_avail() >> 20);
		c->avail = false;
	} else if (!shift && default_backing) {
		printf("# %s: skipped, default backing is on (it would be pool memory)\n",
		       c->name);
		c->avail = false;
	} else if (!shift) {
		avail_kb = meminfo_kb("MemAvailable");
		if (avail_kb < 0 || (uint64_t)avail_kb * 1024 < c->size + (512ULL << 20)) {
			printf("# %s: skipped, MemAvailable is %ld MiB\n", c->name,
			       avail_kb / 1024);
			c->avail = false;
		}
	}
}

/* One case once; round @r, or the warm-up (-1), which records nothing. */
static void life_one(struct life_case *c, int r)
{
	uint64_t units[GPOOL_NR_SIZES] = { 0 }, z;
	double ms[NR_STEPS], t;
	struct kvm_vm *vm;
	int fd, ret, k;

	/* The page cache too: not against a zeroer still clearing the last case. */
	wait_zeroer();
	vm = vm_create_barebones_type(KVM_X86_SW_PROTECTED_VM);

	t = bench_now_ms();
	fd = gmem_create(vm, c->size, 0, c->shift);
	ms[STEP_CREATE] = bench_now_ms() - t;
	TEST_ASSERT(fd >= 0, "%s: KVM_CREATE_GUEST_MEMFD: %s", c->name, strerror(errno));

	t = bench_now_ms();
	ret = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, c->size);
	ms[STEP_POPULATE] = bench_now_ms() - t;
	TEST_ASSERT(!ret, "%s: populate: %s", c->name, strerror(errno));
	if (c->shift) {
		file_units(c->size, units);
		TEST_ASSERT(units_bytes(units) == c->size,
			    "%s: populated, the units hold %lu of %lu bytes", c->name,
			    units_bytes(units), c->size);
	} else {
		struct gpool_file_info fi;

		TEST_ASSERT(!gpool_file_info_of(ctl, c->size, &fi),
			    "%s: a file created without GUEST_MEMFD_FLAG_GPOOL is in the pool",
			    c->name);
		units[GPOOL_SIZE_4K] = c->size / 4096;
	}

	t = bench_now_ms();
	ret = fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, c->size);
	ms[STEP_PUNCH] = bench_now_ms() - t;
	TEST_ASSERT(!ret, "%s: punch: %s", c->name, strerror(errno));
	if (c->shift) {
		uint64_t left[GPOOL_NR_SIZES];

		file_units(c->size, left);
		TEST_ASSERT(!units_bytes(left), "%s: punched, %lu bytes left", c->name,
			    units_bytes(left));
	}

	ret = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, c->size);
	TEST_ASSERT(!ret, "%s: populate again: %s", c->name, strerror(errno));

	/* Closed with the VM alive: the file's release frees everything. */
	t = bench_now_ms();
	close(fd);
	ms[STEP_CLOSE] = bench_now_ms() - t;
	kvm_vm_free(vm);

	printf("# %s %d %-18s create %8.2f  populate %9.2f  punch %9.2f  close %9.2f ms\n",
	       r < 0 ? "warm-up" : "round", r + 1, c->name, ms[STEP_CREATE],
	       ms[STEP_POPULATE], ms[STEP_PUNCH], ms[STEP_CLOSE]);
	fflush(stdout);
	if (r < 0)
		return;
	for (k = 0; k < NR_STEPS; k++)
		c->ms[k][r] = ms[k] / (c->size / GIB);
	memcpy(c->units, units, sizeof(units));
	c->nr_units[r] = 0;
	for (z = 0; z < GPOOL_NR_SIZES; z++)
		c->nr_units[r] += units[z];
}

static void life_report(void)
{
	struct bench_stat st;
	char note[1024], u[48];
	int i, k;

	printf("\nlifecycle: ms per GiB, median (min-max) over %d rounds\n", rounds);
	printf("%-18s %18s %10s", "case", "units 1G/2M/4K", "4K pages");
	for (k = 0; k < NR_STEPS; k++)
		printf(" %22s", step_name[k]);
	printf("\n");
	for (i = 0; i < nr_life; i++) {
		struct life_case *c = &life[i];

		if (!c->avail)
			continue;
		snprintf(u, sizeof(u), "%lu/%lu/%lu", c->units[GPOOL_SIZE_1G],
			 c->units[GPOOL_SIZE_2M], c->units[GPOOL_SIZE_4K]);
		printf("%-18s %18s %10lu", c->name, c->shift ? u : "-/-/(pages)",
		       c->size / 4096);
		for (k = 0; k < NR_STEPS; k++) {
			char cell[40];

			st = bench_stat_of(c->ms[k], rounds);
			snprintf(cell, sizeof(cell), "%.3f (%.3f-%.3f)", st.median,
				 st.min, st.max);
			printf(" %22s", cell);
		}
		printf("\n");
	}

	printf("\nlifecycle: microseconds per unit (page-cache units are 4K pages), median\n");
	printf("%-18s %10s", "case", "units");
	for (k = 0; k < NR_STEPS; k++)
		printf(" %12s", step_name[k]);
	printf("\n");
	for (i = 0; i < nr_life; i++) {
		struct life_case *c = &life[i];
		double n;

		if (!c->avail)
			continue;
		n = bench_stat_of(c->nr_units, rounds).median;
		printf("%-18s %10.0f", c->name, n);
		for (k = 0; k < NR_STEPS; k++) {
			st = bench_stat_of(c->ms[k], rounds);
			printf(" %12.3f", n ? st.median * (c->size / GIB) * 1e3 / n : 0);
		}
		printf("\n");
	}

	snprintf(note, sizeof(note),
		 "QEMU TCG: emulated times, compare cases of the same run; a "
		 "KVM_X86_SW_PROTECTED_VM without vCPUs; pool files interleaved over "
		 "the pool's nodes, memory pre-zeroed (zeroer idle before each case); "
		 "the page cache (6.12 guest_memfd, 4K folios) clears as it allocates; "
		 "populate = fallocate of the whole file, nothing mapped; close with "
		 "everything allocated, the VM alive; units after populate "
		 "(GPOOL_IOC_LIST_FILES; the page cache's are its 4K pages); "
		 "a warm-up round, then %d interleaved rounds", rounds);
	printf("\n@section {\"section\":\"lifecycle\",\"title\":\"Create, populate, punch "
	       "and close of 1 to 8 GiB guest_memfds: time per GiB\","
	       "\"baseline\":\"page cache\",\"note\":\"");
	bench_json_str(note);
	printf("\"}\n");
	for (i = 0; i < nr_life; i++) {
		struct life_case *c = &life[i];

		if (!c->avail)
			continue;
		for (k = 0; k < NR_STEPS; k++)
			bench_result_v("lifecycle", c->name, NULL, step_name[k], "ms/GiB",
				       c->ms[k], rounds);
		bench_result_v("lifecycle", c->name, NULL, "units", "count",
			       c->nr_units, rounds);
		bench_result1("lifecycle", c->name, NULL, "pages_4k_equiv", "count",
			      c->size / 4096);
	}
}

static void life_part(bool default_backing)
{
	static const uint64_t gib[] = { 1, 2, 4, 8 };
	int i, r, g;

	/* Interleaved by size: pool 1G, pool 2M, page cache of 1 GiB, then 2... */
	for (g = 0; g < (int)ARRAY_SIZE(gib); g++) {
		life_add(GPOOL_FOLIO_SHIFT_1G, gib[g], default_backing);
		life_add(GPOOL_FOLIO_SHIFT_2M, gib[g], default_backing);
		if (gib[g] <= 2)
			life_add(0, gib[g], default_backing);
	}
	printf("\nlifecycle: create, populate, punch, close; a warm-up round, then %d rounds\n",
	       rounds);
	for (r = -1; r < rounds; r++)
		for (i = 0; i < nr_life; i++)
			if (life[i].avail)
				life_one(&life[i], r);
	life_report();
}

/* ---- 2. conversion storm ---- */

#define STORM_SLOT	10
#define STORM_GPA	(4ULL << 30)	/* 1G-aligned */
#define REGION		GIB		/* each vCPU's */
#define GPA_TO_SHARED	BIT_ULL(1)	/* the hypercall's flags: KVM passes them on */
#define STORM_STOP	1		/* the answer to a conversion to private: stop */
#define STORM_SIG	0x5354524d00000000ULL

enum { SYNC_READY = 1, SYNC_STOPPED };

/*
 * The guest's stamps of a range: its first qword and its last.  For 4 KiB
 * both are in one page, for 64K and 2M in the first and the last page.
 */
static void guest_stamp(uint64_t gpa, uint64_t size, uint64_t v)
{
	*(volatile uint64_t *)gpa = v;
	*(volatile uint64_t *)(gpa + size - 8) = v ^ size;
}

static void guest_check(uint64_t gpa, uint64_t size, uint64_t v, bool zero)
{
	uint64_t a = *(volatile uint64_t *)gpa;
	uint64_t b = *(volatile uint64_t *)(gpa + size - 8);
	uint64_t wa = zero ? 0 : v, wb = zero ? 0 : v ^ size;

	__GUEST_ASSERT(a == wa && b == wb,
		       "range %#lx +%#lx: first and last qword %#lx %#lx, want %#lx %#lx",
		       gpa, size, a, b, wa, wb);
}

static uint64_t guest_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* vCPU i: its GiB at @base; @inplace: the contents must survive. */
static void storm_guest(uint64_t base, uint64_t seed, uint64_t inplace)
{
	uint64_t s = seed, i, off, size, gpa, v, ret;

	/* Map the GiB (1G, private) before the clock starts. */
	for (off = 0; off < REGION; off += SZ_2M)
		*(volatile uint64_t *)(base + off) = 0;
	GUEST_SYNC(SYNC_READY);

	for (i = 0;; i++) {
		switch (guest_rand(&s) % 3) {
		case 0:
			size = SZ_4K;
			break;
		case 1:
			size = SZ_64K;
			break;
		default:
			size = SZ_2M;
			break;
		}
		off = guest_rand(&s) % ((REGION - size) / PAGE_SIZE + 1) * PAGE_SIZE;
		gpa = base + off;
		v = STORM_SIG ^ seed ^ (i << 12);

		guest_stamp(gpa, size, v);
		ret = __kvm_hypercall_map_gpa_range(gpa, size, GPA_TO_SHARED);
		__GUEST_ASSERT(!ret, "to shared: the host answered %lu", ret);
		guest_check(gpa, size, v, !inplace);

		guest_stamp(gpa, size, ~v);
		ret = __kvm_hypercall_map_gpa_range(gpa, size, 0);
		__GUEST_ASSERT(ret == 0 || ret == STORM_STOP,
			       "to private: the host answered %lu", ret);
		guest_check(gpa, size, ~v, !inplace);
		if (ret == STORM_STOP)
			break;
	}
	GUEST_SYNC(SYNC_STOPPED);

	/* Every range private again: the GiB mapped anew, 1G if it merged. */
	for (off = 0; off < REGION; off += SZ_2M)
		(void)*(volatile uint64_t *)(base + off);
	GUEST_DONE();
}

struct storm_vcpu {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	uint64_t conv;		/* conversions, either way */
	uint64_t trips;		/* round trips */
	uint64_t eagain;	/* KVM_SET_MEMORY_ATTRIBUTES2 retries */
	double end_ms;		/* when the guest stopped */
};

static struct {
	struct kvm_vm *vm;
	int fd;
	uint64_t size;
	bool inplace;
	char *hva;		/* the memslot's userspace_addr */
	double deadline_ms;
	uint64_t max_trips;
	/* The vCPU threads and the main thread, at each GUEST_SYNC. */
	pthread_barrier_t sync;
	struct storm_vcpu v[MAX_VCPUS];
} storm;

/* Convert the range of a KVM_HC_MAP_GPA_RANGE exit as the mode does. */
static void storm_convert(struct storm_vcpu *sv, struct kvm_run *run)
{
	uint64_t gpa = run->hypercall.args[0];
	uint64_t size = run->hypercall.args[1] * PAGE_SIZE;
	bool shared = run->hypercall.args[2] & GPA_TO_SHARED;
	uint64_t off = gpa - STORM_GPA, err_off;
	int r, tries;

	TEST_ASSERT(run->hypercall.nr == KVM_HC_MAP_GPA_RANGE,
		    "hypercall %llu, want KVM_HC_MAP_GPA_RANGE", run->hypercall.nr);
	TEST_ASSERT(gpa >= STORM_GPA && off < storm.size && size <= storm.size - off,
		    "range %#lx +%#lx outside the file", gpa, size);
	if (storm.inplace) {
		for (tries = 0;; tries++) {
			r = gpool_convert(storm.fd, off, size,
					  shared ? 0 : KVM_MEMORY_ATTRIBUTE_PRIVATE,
					  &err_off);
			if (r != -EAGAIN || tries >= 10000)
				break;
			sv->eagain++;
			sched_yield();
		}
		TEST_ASSERT(!r, "KVM_SET_MEMORY_ATTRIBUTES2 [%#lx +%#lx) to %s: %s "
			    "(error_offset %#lx, %d tries)", off, size,
			    shared ? "shared" : "private", strerror(-r), err_off, tries);
	} else if (shared) {
		vm_mem_set_shared(storm.vm, gpa, size);
		gpool_punch(storm.fd, off, size);
	} else {
		vm_mem_set_private(storm.vm, gpa, size);
		TEST_ASSERT(!fallocate(storm.fd, FALLOC_FL_KEEP_SIZE, off, size),
			    "allocate [%#lx +%#lx): %s", off, size, strerror(errno));
		TEST_ASSERT(!madvise(storm.hva + off, size, MADV_DONTNEED),
			    "MADV_DONTNEED of the shared side: %s", strerror(errno));
	}
	sv->conv++;
	run->hypercall.ret = 0;
	if (!shared) {
		sv->trips++;
		if (storm.max_trips ? sv->trips >= storm.max_trips :
				      bench_now_ms() >= storm.deadline_ms)
			run->hypercall.ret = STORM_STOP;
	}
}

static void *storm_thread(void *arg)
{
	struct storm_vcpu *sv = arg;
	struct kvm_run *run = sv->vcpu->run;
	struct ucall uc;

	for (;;) {
		vcpu_run(sv->vcpu);
		if (run->exit_reason == KVM_EXIT_HYPERCALL) {
			storm_convert(sv, run);
			continue;
		}
		gpool_assert_ucall_exit(sv->vcpu);
		switch (get_ucall(sv->vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] == SYNC_STOPPED)
				sv->end_ms = bench_now_ms();
			/* The main thread works between the two. */
			pthread_barrier_wait(&storm.sync);
			pthread_barrier_wait(&storm.sync);
			break;
		case UCALL_DONE:
			return NULL;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
	}
}

struct storm_sample {
	double conv_s, splits, merges;	/* per second; per conversion */
	uint64_t conv, eagain;
	double secs;
	uint64_t pages[GPOOL_NR_SIZES];	/* KVM's pages_4k/2m/1g after */
	uint64_t units[GPOOL_NR_SIZES];	/* the file's, after */
};

/* One run of a mode: @secs seconds (or @max_trips round trips per vCPU). */
static void storm_run(bool inplace, int round, double secs, uint64_t max_trips,
		      struct storm_sample *out)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	uint64_t s0, m0, s1, m1;
	void *anon = NULL;
	double t0, end = 0;
	int i;

	wait_zeroer();
	memset(out, 0, sizeof(*out));
	memset(storm.v, 0, sizeof(storm.v));
	storm.inplace = inplace;
	storm.size = nr_vcpus * REGION;
	storm.vm = __vm_create_with_vcpus(shape, nr_vcpus, 0, storm_guest, vcpus);
	vm_enable_cap(storm.vm, KVM_CAP_EXIT_HYPERCALL, BIT_ULL(KVM_HC_MAP_GPA_RANGE));
	storm.fd = gmem_create(storm.vm, storm.size,
			       inplace ? GUEST_MEMFD_FLAG_MMAP : 0,
			       GPOOL_FOLIO_SHIFT_1G);
	TEST_ASSERT(storm.fd >= 0, "KVM_CREATE_GUEST_MEMFD of %lu GiB: %s",
		    storm.size / GIB, strerror(errno));
	if (inplace) {
		/* Shared and private come from the file; a VMM maps it. */
		storm.hva = gpool_map_shared(storm.fd, storm.size);
	} else {
		/* The shared side, aligned like the GPA (as gpool_bench). */
		anon = mmap(NULL, storm.size + REGION, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		TEST_ASSERT(anon != MAP_FAILED, "mmap: %s", strerror(errno));
		storm.hva = (char *)align_up((uint64_t)anon, REGION);
	}
	vm_set_user_memory_region2(storm.vm, STORM_SLOT, KVM_MEM_GUEST_MEMFD,
				   STORM_GPA, storm.size, storm.hva, storm.fd, 0);
	/* In place the file's own attributes rule (it starts private). */
	if (!inplace)
		vm_mem_set_private(storm.vm, STORM_GPA, storm.size);
	TEST_ASSERT(!fallocate(storm.fd, FALLOC_FL_KEEP_SIZE, 0, storm.size),
		    "allocate %lu GiB: %s", storm.size / GIB, strerror(errno));
	virt_map_level(storm.vm, STORM_GPA, STORM_GPA, storm.size, PG_LEVEL_1G);

	TEST_ASSERT(!pthread_barrier_init(&storm.sync, NULL, nr_vcpus + 1),
		    "pthread_barrier_init");
	for (i = 0; i < nr_vcpus; i++) {
		/* The same ranges for both modes of a round. */
		uint64_t seed = (0x9e3779b97f4a7c15ULL * (round * MAX_VCPUS + i + 2)) | 1;

		storm.v[i].vcpu = vcpus[i];
		vcpu_args_set(vcpus[i], 3, STORM_GPA + i * REGION, seed,
			      (uint64_t)inplace);
		TEST_ASSERT(!pthread_create(&storm.v[i].thread, NULL, storm_thread,
					    &storm.v[i]), "pthread_create");
	}

	/* Every guest has mapped its GiB: start the clock. */
	pthread_barrier_wait(&storm.sync);
	s0 = pool_splits(false);
	m0 = pool_splits(true);
	storm.max_trips = max_trips;
	t0 = bench_now_ms();
	storm.deadline_ms = t0 + secs * 1e3;
	pthread_barrier_wait(&storm.sync);

	/* Every guest stopped, its last range private again. */
	pthread_barrier_wait(&storm.sync);
	s1 = pool_splits(false);
	m1 = pool_splits(true);
	for (i = 0; i < nr_vcpus; i++) {
		out->conv += storm.v[i].conv;
		out->eagain += storm.v[i].eagain;
		if (storm.v[i].end_ms > end)
			end = storm.v[i].end_ms;
	}
	pthread_barrier_wait(&storm.sync);
	for (i = 0; i < nr_vcpus; i++)
		pthread_join(storm.v[i].thread, NULL);
	pthread_barrier_destroy(&storm.sync);

	out->secs = (end - t0) / 1e3;
	out->conv_s = out->secs > 0 ? out->conv / out->secs : 0;
	out->splits = out->conv ? (double)(s1 - s0) / out->conv : 0;
	out->merges = out->conv ? (double)(m1 - m0) / out->conv : 0;
	out->pages[GPOOL_SIZE_4K] = vm_get_stat(storm.vm, "pages_4k");
	out->pages[GPOOL_SIZE_2M] = vm_get_stat(storm.vm, "pages_2m");
	out->pages[GPOOL_SIZE_1G] = vm_get_stat(storm.vm, "pages_1g");
	file_units(storm.size, out->units);

	kvm_vm_free(storm.vm);
	if (inplace)
		munmap(storm.hva, storm.size);
	else
		munmap(anon, storm.size + REGION);
	close(storm.fd);

	printf("# %s %d %-11s %8lu conversions in %6.2f s: %9.1f/s, splits %.3f, "
	       "merges %.3f per conversion, pages 1g/2m/4k %lu/%lu/%lu, "
	       "units 1G/2M/4K %lu/%lu/%lu, EAGAIN %lu\n",
	       round < 0 ? "warm-up" : "round", round + 1,
	       inplace ? "in place" : "punch-style",
	       out->conv, out->secs, out->conv_s, out->splits, out->merges,
	       out->pages[GPOOL_SIZE_1G], out->pages[GPOOL_SIZE_2M],
	       out->pages[GPOOL_SIZE_4K], out->units[GPOOL_SIZE_1G],
	       out->units[GPOOL_SIZE_2M], out->units[GPOOL_SIZE_4K], out->eagain);
	fflush(stdout);
}

static void storm_part(void)
{
	static const char * const mode_name[2] = { "in place", "punch-style" };
	struct storm_sample *res[2], warm;
	double *v = calloc(rounds, sizeof(double));
	char cond[32], note[1024];
	int m, r, k;

	TEST_REQUIRE(kvm_check_cap(KVM_CAP_EXIT_HYPERCALL) & BIT(KVM_HC_MAP_GPA_RANGE));
	if (pool_avail() < nr_vcpus * REGION) {
		printf("# storm: skipped, %d GiB do not fit in the pool (%lu MiB free)\n",
		       nr_vcpus, pool_avail() >> 20);
		free(v);
		return;
	}
	for (m = 0; m < 2; m++) {
		res[m] = calloc(rounds, sizeof(*res[m]));
		TEST_ASSERT(res[m] && v, "calloc");
	}
	printf("\nstorm: %d vCPUs, %s per run; a warm-up run per mode, then %d rounds\n",
	       nr_vcpus, trips ? "-n round trips per vCPU" : "-t seconds", rounds);
	for (m = 0; m < 2; m++)
		storm_run(!m, -1, seconds < 2 ? seconds : 2,
			  trips ? (trips < 100 ? trips : 100) : 0, &warm);
	for (r = 0; r < rounds; r++)
		for (m = 0; m < 2; m++)
			storm_run(!m, r, seconds, trips, &res[m][r]);

	printf("\nstorm: %d vCPUs, random 4K/64K/2M ranges of each vCPU's GiB, to shared "
	       "and back; median (min-max) over %d rounds\n", nr_vcpus, rounds);
	printf("%-12s %28s %12s %12s %18s %18s %8s\n", "mode", "conversions/s",
	       "splits/conv", "merges/conv", "pages 1g/2m/4k", "units 1G/2M/4K",
	       "EAGAIN");
	for (m = 0; m < 2; m++) {
		struct storm_sample *last = &res[m][rounds - 1];
		struct bench_stat cs, ss, ms;
		char a[40], b[40], c[40];
		uint64_t eagain = 0;

		for (r = 0; r < rounds; r++) {
			v[r] = res[m][r].conv_s;
			eagain += res[m][r].eagain;
		}
		cs = bench_stat_of(v, rounds);
		for (r = 0; r < rounds; r++)
			v[r] = res[m][r].splits;
		ss = bench_stat_of(v, rounds);
		for (r = 0; r < rounds; r++)
			v[r] = res[m][r].merges;
		ms = bench_stat_of(v, rounds);
		snprintf(a, sizeof(a), "%.1f (%.1f-%.1f)", cs.median, cs.min, cs.max);
		snprintf(b, sizeof(b), "%lu/%lu/%lu", last->pages[GPOOL_SIZE_1G],
			 last->pages[GPOOL_SIZE_2M], last->pages[GPOOL_SIZE_4K]);
		snprintf(c, sizeof(c), "%lu/%lu/%lu", last->units[GPOOL_SIZE_1G],
			 last->units[GPOOL_SIZE_2M], last->units[GPOOL_SIZE_4K]);
		printf("%-12s %28s %12.3f %12.3f %18s %18s %8lu\n", mode_name[m], a,
		       ss.median, ms.median, b, c, eagain);
	}
	printf("(pages and units: the last round's, after the guests re-read their GiBs; "
	       "%d 1G pages and %d 1G units when everything merged back)\n",
	       nr_vcpus, nr_vcpus);

	snprintf(note, sizeof(note),
		 "QEMU TCG: emulated times; a KVM_X86_SW_PROTECTED_VM, one pool file "
		 "of 1 GiB per vCPU (1G units, all allocated, private), each vCPU "
		 "converting random 4K-aligned 4K/64K/2M ranges of its own GiB via "
		 "KVM_HC_MAP_GPA_RANGE exits, stamping and checking the first and last "
		 "qword each way; a conversion is one direction; in place = "
		 "KVM_SET_MEMORY_ATTRIBUTES2 on the file, contents kept; punch-style "
		 "= KVM_SET_MEMORY_ATTRIBUTES, punch to shared, fallocate and "
		 "MADV_DONTNEED of the anonymous shared side to private, contents "
		 "lost; %s per run; pages after = KVM's, once every range is private "
		 "and each guest re-read one qword per 2 MiB",
		 trips ? "a fixed number of round trips" : "a fixed time");
	printf("\n@section {\"section\":\"storm\",\"title\":\"Conversion storm: vCPUs "
	       "converting random ranges to shared and back concurrently\","
	       "\"baseline\":\"punch-style\",\"note\":\"");
	bench_json_str(note);
	printf("\"}\n");
	snprintf(cond, sizeof(cond), "%d vCPUs", nr_vcpus);
	for (m = 0; m < 2; m++) {
		static const struct {
			const char *metric, *unit;
		} met[] = {
			{ "conv_per_s", "/s" },
			{ "splits_per_conv", "ratio" },
			{ "merges_per_conv", "ratio" },
			{ "pages_1g_after", "count" },
			{ "pages_2m_after", "count" },
			{ "pages_4k_after", "count" },
		};

		for (k = 0; k < (int)ARRAY_SIZE(met); k++) {
			for (r = 0; r < rounds; r++) {
				struct storm_sample *s = &res[m][r];

				v[r] = k == 0 ? s->conv_s : k == 1 ? s->splits :
				       k == 2 ? s->merges :
				       k == 3 ? s->pages[GPOOL_SIZE_1G] :
				       k == 4 ? s->pages[GPOOL_SIZE_2M] :
						s->pages[GPOOL_SIZE_4K];
			}
			bench_result_v("storm", mode_name[m], cond, met[k].metric,
				       met[k].unit, v, rounds);
		}
	}
	free(res[0]);
	free(res[1]);
	free(v);
}

/* ---- main ---- */

static void usage(const char *prog, int code)
{
	printf("usage: %s [-p life|storm] [-r ROUNDS] [-t SECONDS] [-n TRIPS] [-v VCPUS] [-h]\n"
	       "  -p PART     only the lifecycle (life) or the conversion storm (storm)\n"
	       "  -r ROUNDS   interleaved rounds after the warm-up (default 5)\n"
	       "  -t SECONDS  storm: seconds per mode and round (default 10)\n"
	       "  -n TRIPS    storm: round trips per vCPU instead of a time\n"
	       "  -v VCPUS    storm: vCPUs, 1 GiB of pool memory each (default 2, at most %d)\n",
	       prog, MAX_VCPUS);
	exit(code);
}

int main(int argc, char *argv[])
{
	struct gpool_holdings before, after;
	struct gpool_node_stats_args *s0;
	struct gpool_info_args info;
	const char *part = NULL;
	int opt, n, r;

	while ((opt = getopt(argc, argv, "p:r:t:n:v:h")) != -1) {
		switch (opt) {
		case 'p':
			part = optarg;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 't':
			seconds = atoi(optarg);
			break;
		case 'n':
			trips = strtoull(optarg, NULL, 0);
			break;
		case 'v':
			nr_vcpus = atoi(optarg);
			break;
		case 'h':
			usage(argv[0], 0);
			break;
		default:
			usage(argv[0], 1);
		}
	}
	if (rounds < 1 || seconds < 1 || nr_vcpus < 1 || nr_vcpus > MAX_VCPUS ||
	    (part && strcmp(part, "life") && strcmp(part, "storm")))
		usage(argv[0], 1);

	TEST_REQUIRE(kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(KVM_X86_SW_PROTECTED_VM));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_GPOOL);
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_MMAP);
	ctl = gpool_ctl_open(NULL, false);
	TEST_ASSERT(ctl >= 0, "open " GPOOL_CTL_DEV ": %s", strerror(-ctl));
	r = gpool_ctl_info(ctl, &info);
	TEST_ASSERT(!r, "GPOOL_IOC_INFO: %s", strerror(-r));
	TEST_REQUIRE(info.pool_flags & GPOOL_INFO_F_GMEM_ATTRIBUTES);
	/* A node that had pool memory and has none is no target for INTERLEAVE. */
	s0 = calloc(GPOOL_MAX_NODES, sizeof(*s0));
	TEST_ASSERT(s0, "calloc");
	r = gpool_ctl_nodes(ctl, info.node_mask, s0);
	TEST_ASSERT(!r, "GPOOL_IOC_NODE_STATS: %s", strerror(-r));
	for (n = 0; n < GPOOL_MAX_NODES; n++)
		if ((info.node_mask >> n & 1) && s0[n].nr_pages)
			node_mask |= 1ULL << n;
	free(s0);
	TEST_REQUIRE(node_mask);

	printf("gpool_life_bench: %s; %d rounds; pool nodes %#lx, %lu MiB free\n",
	       part ? part : "lifecycle and storm", rounds, node_mask, pool_avail() >> 20);
	fflush(stdout);
	/* Both snapshots with the zeroer idle: no unit in flight. */
	wait_zeroer();
	gpool_holdings(ctl, &before);

	if (!part || !strcmp(part, "life"))
		life_part(info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING);
	if (!part || !strcmp(part, "storm")) {
		/* A vCPU's bad exit in the storm prints KVM's last events. */
		if (gpool_trace_start())
			printf("# storm: KVM events traced, for a bad exit\n");
		storm_part();
	}

	/* Every file closed, every VM freed: the pool as at the start. */
	wait_zeroer();
	gpool_holdings(ctl, &after);
	gpool_assert_holdings(&before, &after);
	close(ctl);
	return 0;
}
