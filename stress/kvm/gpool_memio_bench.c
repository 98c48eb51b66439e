// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_memio_bench: a vCPU's memory bandwidth and per-block latency over
 * 1 GiB of guest memory on six backings, side by side in one run (issue 13
 * item 2: the guest-side run next to the fio jobs, the same four patterns).
 *
 *   pool 1G      guest_memfd, GUEST_MEMFD_FLAG_MMAP | INIT_SHARED | GPOOL,
 *   pool 2M      folio_shift 30 / 21, bound to a guest_memfd-only memslot
 *                (KVM_MEM_GUEST_MEMFD) of an ordinary VM, userspace_addr
 *                the file's mapping (1 GiB-aligned), as gpool_mmap_test's
 *                gmem_only_1g case does
 *   hugetlb 1G   anonymous MAP_HUGETLB memory of 1G / 2M pages
 *   hugetlb 2M
 *   THP          anonymous memory, MADV_HUGEPAGE
 *   4K anon      anonymous memory, MADV_NOHUGEPAGE: the baseline
 *
 * Every backing's 1 GiB sits at a 1 GiB-aligned host address, so that KVM
 * may map it with the largest page the backing has, at guest physical
 * DATA_GPA, which the guest maps to itself with 1G pages.  Each backing
 * gets a VM with one vCPU whose guest code, on the host's command, runs
 * one pattern over that memory and reports the TSC cycles it took:
 *
 *   seq read     the first SIZE bytes (-s, default 256 MiB), in 1 MiB
 *   seq write    blocks, every qword loaded (summed) or stored
 *   rand read    SIZE / 4 KiB blocks of 4 KiB at random 4 KiB-aligned
 *   rand write   offsets over the whole GiB (xorshift64, seeded per round
 *                and pattern, the same blocks for every backing of a round)
 *
 * and, for the random patterns, the cycles of each 4 KiB block, stored in
 * an array in a memslot of its own (outside the measured GiB) that the
 * host reads afterwards: p50, p99 and p99.9, which include the two rdtsc.
 * Cycles become time through the vCPU's KVM_GET_TSC_KHZ.  The guest's
 * loads are volatile and summed; the sum is reported back.
 *
 * First the guest writes one qword of every 4 KiB page of the GiB (the
 * first touch: its host time, KVM's page faults (debugfs pf_taken) and the
 * mappings KVM holds for the GiB afterwards (pages_1g/2m/4k, less what the
 * VM held before)), then runs each pattern once as a warm-up, then ROUNDS
 * (-r, default 5) interleaved rounds: for each round, for each backing,
 * the four patterns.  The six VMs are created once and kept for all the
 * rounds (6 GiB at once: 2 of the pool, 2 of hugetlb pages, 2 of ordinary
 * memory); with -n every backing's VM is created, touched, warmed up,
 * measured and freed within each round instead (one GiB at a time, the
 * first touch repeated every round).  The figures are the median with min
 * and max over the rounds; the tables add the ratio to "4K anon".
 *
 * The process runs on the pool node's CPUs (the pool files are bound to
 * that node; the other backings allocate there first).  Before every first
 * touch and every measured backing the pool's background zeroer must be
 * idle.  A backing whose memory cannot be had (hugetlb pages not reserved)
 * is skipped with a "# ... not available" line and no results; the pool
 * backings must work.  The pool's accounting is the same at the end as at
 * the start (every file closed, every VM freed).
 *
 * Under QEMU TCG (make bench) the times are emulated, not hardware times:
 * only the ratios between backings of the same run and the counts mean
 * anything, and TCG's softmmu TLB is 4 KiB-granular whatever the guest's
 * page size, so a backing shows only in the cost of the nested page walk
 * on each softmmu TLB miss.  Run time there: 1 to 2 minutes with the
 * defaults (15-20 s of it the 4K anon first touch, 262,144 KVM faults;
 * each pattern of each backing 0.1-0.5 s per round), scaling with -s and
 * -r; -n repeats the first touches in every round (about 20 s a round).
 *
 *   gpool_memio_bench [-r ROUNDS] [-s SIZE[K|M|G]] [-b BACKING] [-n] [-h]
 *
 * A benchmark, not a test: it asserts only that each step worked.
 */
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/gpool.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "gpool_util.h"
#include "gpool_bench_util.h"

#define DATA_SLOT	10
#define DATA_GPA	(4ULL << 30)		/* 1G-aligned */
#define DATA_SIZE	(1ULL << 30)
#define LAT_SLOT	11
#define LAT_GPA		(DATA_GPA + DATA_SIZE)	/* outside the measured GiB */
#define SEQ_BLOCK	(1ULL << 20)
#define RAND_BLOCK	4096ULL
#define RAND_NR_BLOCKS	(DATA_SIZE / RAND_BLOCK)	/* a power of 2 */
#define PAGE		4096ULL

/* ---- the guest ---- */

enum { OP_NOP, OP_TOUCH, OP_SEQ_READ, OP_SEQ_WRITE, OP_RAND_READ, OP_RAND_WRITE };

/*
 * The host's command for the next run: written into the guest's copy
 * before every vcpu_run().  @bytes: the sequential patterns' length from
 * the start of the GiB; the random patterns do @bytes / RAND_BLOCK blocks.
 */
struct memio_cmd {
	uint64_t op;
	uint64_t bytes;
	uint64_t seed;
};

static struct memio_cmd memio_cmd;

static uint64_t read_block(uint64_t gva, uint64_t len)
{
	const volatile uint64_t *p = (const volatile uint64_t *)gva;
	uint64_t i, sum = 0;

	for (i = 0; i < len / 8; i++)
		sum += p[i];
	return sum;
}

static void write_block(uint64_t gva, uint64_t len, uint64_t v)
{
	volatile uint64_t *p = (volatile uint64_t *)gva;
	uint64_t i;

	for (i = 0; i < len / 8; i++)
		p[i] = v;
}

static uint64_t xorshift64(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/*
 * Run the commanded pattern, then GUEST_SYNC2(cycles, sum).  The random
 * patterns also store each block's cycles at LAT_GPA (identity-mapped).
 */
static void guest_code(void)
{
	uint64_t *lat = (uint64_t *)LAT_GPA;

	for (;;) {
		uint64_t op = READ_ONCE(memio_cmd.op);
		uint64_t bytes = READ_ONCE(memio_cmd.bytes);
		uint64_t x = READ_ONCE(memio_cmd.seed);
		uint64_t off, i, t, t0, t1, sum = 0;

		t0 = rdtsc();
		switch (op) {
		case OP_NOP:
			break;
		case OP_TOUCH:
			for (off = 0; off < DATA_SIZE; off += PAGE)
				*(volatile uint64_t *)(DATA_GPA + off) = off;
			break;
		case OP_SEQ_READ:
			for (off = 0; off < bytes; off += SEQ_BLOCK)
				sum += read_block(DATA_GPA + off, SEQ_BLOCK);
			break;
		case OP_SEQ_WRITE:
			for (off = 0; off < bytes; off += SEQ_BLOCK)
				write_block(DATA_GPA + off, SEQ_BLOCK, x);
			break;
		case OP_RAND_READ:
		case OP_RAND_WRITE:
			for (i = 0; i < bytes / RAND_BLOCK; i++) {
				x = xorshift64(x);
				off = (x & (RAND_NR_BLOCKS - 1)) * RAND_BLOCK;
				t = rdtsc();
				if (op == OP_RAND_READ)
					sum += read_block(DATA_GPA + off, RAND_BLOCK);
				else
					write_block(DATA_GPA + off, RAND_BLOCK, x);
				lat[i] = rdtsc() - t;
			}
			break;
		default:
			GUEST_FAIL("unknown op %lu", op);
		}
		t1 = rdtsc();
		GUEST_SYNC2(t1 - t0, sum);
	}
}

/* ---- the backings, the patterns ---- */

enum { K_POOL, K_HUGETLB, K_THP, K_ANON };

struct backing {
	const char *name;
	int kind;
	unsigned int shift;
};

static const struct backing backings[] = {
	{ "pool 1G", K_POOL, GPOOL_FOLIO_SHIFT_1G },
	{ "pool 2M", K_POOL, GPOOL_FOLIO_SHIFT_2M },
	{ "hugetlb 1G", K_HUGETLB, 30 },
	{ "hugetlb 2M", K_HUGETLB, 21 },
	{ "THP", K_THP, 21 },
	{ "4K anon", K_ANON, 12 },
};
#define NR_BACKINGS	(sizeof(backings) / sizeof(backings[0]))
#define BASELINE	(NR_BACKINGS - 1)	/* "4K anon" */

struct pattern {
	const char *name;	/* the results' cond */
	uint64_t op;
	bool random;
};

static const struct pattern patterns[] = {
	{ "seq read", OP_SEQ_READ, false },
	{ "seq write", OP_SEQ_WRITE, false },
	{ "rand read", OP_RAND_READ, true },
	{ "rand write", OP_RAND_WRITE, true },
};
#define NR_PATTERNS	(sizeof(patterns) / sizeof(patterns[0]))

/* The latency percentiles, in per mille. */
static const struct {
	const char *name;
	unsigned int pm;
} pcts[] = { { "p50", 500 }, { "p99", 990 }, { "p99.9", 999 } };
#define NR_PCTS		(sizeof(pcts) / sizeof(pcts[0]))

/* A backing's VM. */
struct mvm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int fd;			/* pool: the guest_memfd; else -1 */
	void *map;		/* pool: the file's mapping */
	void *reserve;		/* else: the 2 GiB the GiB was placed in */
	uint64_t *lat;		/* the host's view of the latency array */
	uint64_t tsc_khz;
};

/* A backing's figures, each an array over the rounds. */
struct bres {
	bool selected, avail;
	struct mvm v;
	double *bw[NR_PATTERNS];		/* MiB/s */
	double *pct[NR_PATTERNS][NR_PCTS];	/* ns, random patterns */
	int nr_touch;				/* 1, or rounds with -n */
	double *touch_ms, *faults, *p1g, *p2m, *p4k;
	bool have_faults;
	uint64_t checksum;
};

static struct bres *res;	/* [NR_BACKINGS], malloc()ed: no big .bss */
static int rounds = 5;
static uint64_t bytes = 256ULL << 20;
static const char *filter;
static bool fresh;		/* -n */
static int nid;			/* the pool node */
static int ctl = -1;		/* /dev/gpool */
static uint64_t node_mask;	/* the pool's nodes */

static uint64_t lat_pages(void)
{
	return align_up(bytes / RAND_BLOCK * sizeof(uint64_t), PAGE) / PAGE;
}

/* ---- the pool: its nodes' counters, the zeroer ---- */

/*
 * Wait (up to 2 min) until the zeroer is idle (gpool_util.h).  If it does
 * not get there once (zeroing stopped?), do not wait again.
 */
static void wait_for_zeroer(void)
{
	static bool stuck;

	if (stuck || gpool_wait_zeroer_idle(2 * 60 * 1000))
		return;
	printf("# the zeroer did not finish in 2 min: not waiting for it again\n");
	stuck = true;
}

/* ---- a backing's VM ---- */

static uint64_t vm_debugfs_stat(struct kvm_vm *vm, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/%s",
		 getpid(), vm->fd, name);
	return read_u64(path);
}

static bool vm_debugfs_has(struct kvm_vm *vm, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/%s",
		 getpid(), vm->fd, name);
	return !access(path, R_OK);
}

/*
 * Give @b's GiB to a new VM at DATA_GPA and map it in the guest with 1G
 * pages, the latency array at LAT_GPA.  False (and a "# not available"
 * line) if the memory cannot be had; the pool must work.
 */
static bool mvm_create(const struct backing *b, struct mvm *v)
{
	int flags;
	void *m;
	int r;

	memset(v, 0, sizeof(*v));
	v->fd = -1;
	/* extra_mem_pages only sizes slot 0 for the latency array's page tables. */
	v->vm = __vm_create_with_one_vcpu(&v->vcpu, lat_pages(), guest_code);

	if (b->kind == K_POOL) {
		v->fd = gpool_gmem_create(v->vm, DATA_SIZE,
					  GUEST_MEMFD_FLAG_MMAP |
					  GUEST_MEMFD_FLAG_INIT_SHARED,
					  true, b->shift, nid);
		v->map = gpool_map_shared(v->fd, DATA_SIZE);
		TEST_ASSERT(!((uintptr_t)v->map & (DATA_SIZE - 1)),
			    "%s: the file's mapping %p is not 1 GiB-aligned",
			    b->name, v->map);
		vm_set_user_memory_region2(v->vm, DATA_SLOT, KVM_MEM_GUEST_MEMFD,
					   DATA_GPA, DATA_SIZE, v->map, v->fd, 0);
	} else {
		/* Place the GiB at a 1 GiB-aligned address in 2 GiB reserved. */
		v->reserve = mmap(NULL, 2 * DATA_SIZE, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		TEST_ASSERT(v->reserve != MAP_FAILED, "mmap of 2 GiB: %s",
			    strerror(errno));
		flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
		if (b->kind == K_HUGETLB)
			flags |= MAP_HUGETLB | (b->shift << MAP_HUGE_SHIFT);
		m = mmap(align_ptr_up(v->reserve, DATA_SIZE), DATA_SIZE,
			 PROT_READ | PROT_WRITE, flags, -1, 0);
		/* hugetlb pages of that size not reserved: say so. */
		if (m == MAP_FAILED)
			goto unavailable;
		/* No THP in the kernel: THP fails, 4K anon is 4K anyway. */
		if (b->kind == K_THP && madvise(m, DATA_SIZE, MADV_HUGEPAGE))
			goto unavailable;
		if (b->kind == K_ANON)
			madvise(m, DATA_SIZE, MADV_NOHUGEPAGE);
		vm_set_user_memory_region(v->vm, DATA_SLOT, 0, DATA_GPA,
					  DATA_SIZE, m);
	}
	virt_map_level(v->vm, DATA_GPA, DATA_GPA, DATA_SIZE, PG_LEVEL_1G);

	vm_userspace_mem_region_add(v->vm, VM_MEM_SRC_ANONYMOUS, LAT_GPA,
				    LAT_SLOT, lat_pages(), 0);
	virt_map(v->vm, LAT_GPA, LAT_GPA, lat_pages());
	v->lat = addr_gpa2hva(v->vm, LAT_GPA);

	r = __vcpu_ioctl(v->vcpu, KVM_GET_TSC_KHZ, NULL);
	TEST_ASSERT(r > 0, "KVM_GET_TSC_KHZ: %d, %s", r, strerror(errno));
	v->tsc_khz = r;
	return true;

unavailable:
	printf("# %s: not available (%s: %s)\n", b->name,
	       m == MAP_FAILED ? "mmap" : "madvise", strerror(errno));
	munmap(v->reserve, 2 * DATA_SIZE);
	kvm_vm_free(v->vm);
	memset(v, 0, sizeof(*v));
	v->fd = -1;
	return false;
}

/* Free the VM, then the memory: a pool file goes back when closed. */
static void mvm_free(struct mvm *v)
{
	kvm_vm_free(v->vm);
	if (v->fd >= 0) {
		munmap(v->map, DATA_SIZE);
		close(v->fd);
	} else {
		munmap(v->reserve, 2 * DATA_SIZE);
	}
	memset(v, 0, sizeof(*v));
	v->fd = -1;
}

/* One command in the guest: its cycles, and the sum it read. */
static uint64_t run_op(struct mvm *v, uint64_t op, uint64_t seed,
		       uint64_t *sum, double *host_ms)
{
	struct memio_cmd c = { .op = op, .bytes = bytes, .seed = seed };
	struct ucall uc;
	double t;

	write_guest_global(v->vm, memio_cmd, c);
	t = bench_now_ms();
	vcpu_run(v->vcpu);
	if (host_ms)
		*host_ms = bench_now_ms() - t;
	TEST_ASSERT_KVM_EXIT_REASON(v->vcpu, KVM_EXIT_IO);
	switch (get_ucall(v->vcpu, &uc)) {
	case UCALL_SYNC:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("unexpected ucall %lu", uc.cmd);
	}
	if (sum)
		*sum = uc.args[1];
	return uc.args[0];
}

/* Nonzero, different for every round (-1: the warm-up) and pattern. */
static uint64_t seed_of(int r, size_t p)
{
	return (0x9e3779b97f4a7c15ULL * ((uint64_t)(r + 2) * NR_PATTERNS + p)) | 1;
}

static double cycles_to_ns(const struct mvm *v, double cycles)
{
	return cycles * 1e6 / v->tsc_khz;
}

/* The first touch of the GiB, as figure @i of @br's first-touch arrays. */
static void first_touch(const struct backing *b, struct bres *br, int i)
{
	struct mvm *v = &br->v;
	uint64_t f0, g0, m0, k0;
	double ms;

	/* The guest's code, stack and page tables, mapped before the GiB. */
	run_op(v, OP_NOP, 0, NULL, NULL);
	br->have_faults = vm_debugfs_has(v->vm, "pf_taken");
	f0 = vm_debugfs_stat(v->vm, "pf_taken");
	g0 = vm_get_stat(v->vm, "pages_1g");
	m0 = vm_get_stat(v->vm, "pages_2m");
	k0 = vm_get_stat(v->vm, "pages_4k");
	run_op(v, OP_TOUCH, 0, NULL, &ms);
	br->touch_ms[i] = ms;
	br->faults[i] = (double)(int64_t)(vm_debugfs_stat(v->vm, "pf_taken") - f0);
	br->p1g[i] = (double)(int64_t)(vm_get_stat(v->vm, "pages_1g") - g0);
	br->p2m[i] = (double)(int64_t)(vm_get_stat(v->vm, "pages_2m") - m0);
	br->p4k[i] = (double)(int64_t)(vm_get_stat(v->vm, "pages_4k") - k0);
	br->nr_touch = i + 1;
	printf("# %-10s first touch %9.1f ms, %7.0f KVM faults, pages 1g/2m/4k %.0f/%.0f/%.0f\n",
	       b->name, ms, br->faults[i], br->p1g[i], br->p2m[i], br->p4k[i]);
	fflush(stdout);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The four patterns on @br's VM; figures of round @r, none for -1. */
static void measure(const struct backing *b, struct bres *br, int r)
{
	uint64_t n = bytes / RAND_BLOCK, cycles, sum, idx;
	struct mvm *v = &br->v;
	double host_ms, bw[NR_PATTERNS];
	size_t p, k;

	for (p = 0; p < NR_PATTERNS; p++) {
		cycles = run_op(v, patterns[p].op, seed_of(r, p), &sum, &host_ms);
		TEST_ASSERT(cycles, "%s %s: no cycles", b->name, patterns[p].name);
		br->checksum ^= sum;
		bw[p] = (double)bytes / (1 << 20) / (cycles_to_ns(v, cycles) / 1e9);
		if (r < 0)
			continue;
		br->bw[p][r] = bw[p];
		if (!patterns[p].random)
			continue;
		/* Sorted in place: the guest writes it afresh next time. */
		qsort(v->lat, n, sizeof(v->lat[0]), cmp_u64);
		for (k = 0; k < NR_PCTS; k++) {
			idx = (pcts[k].pm * n + 999) / 1000;
			br->pct[p][k][r] = cycles_to_ns(v, v->lat[idx ? idx - 1 : 0]);
		}
	}
	if (r < 0)
		printf("# warm-up %-10s MiB/s:", b->name);
	else
		printf("# round %d %-10s MiB/s:", r + 1, b->name);
	for (p = 0; p < NR_PATTERNS; p++)
		printf(" %s %.1f", patterns[p].name, bw[p]);
	/* The guest's TSC against the host's clock, for the last pattern. */
	printf("; %s guest %.1f ms, host %.1f ms\n", patterns[NR_PATTERNS - 1].name,
	       cycles_to_ns(v, cycles) / 1e6, host_ms);
	fflush(stdout);
}

/* ---- the run ---- */

static double *rounds_array(void)
{
	double *a = calloc(rounds, sizeof(*a));

	TEST_ASSERT(a, "calloc");
	return a;
}

static void alloc_results(void)
{
	size_t b, p, k;

	res = calloc(NR_BACKINGS, sizeof(*res));
	TEST_ASSERT(res, "calloc");
	for (b = 0; b < NR_BACKINGS; b++) {
		struct bres *br = &res[b];

		br->selected = !filter || strstr(backings[b].name, filter);
		br->v.fd = -1;
		for (p = 0; p < NR_PATTERNS; p++) {
			br->bw[p] = rounds_array();
			for (k = 0; k < NR_PCTS; k++)
				br->pct[p][k] = rounds_array();
		}
		br->touch_ms = rounds_array();
		br->faults = rounds_array();
		br->p1g = rounds_array();
		br->p2m = rounds_array();
		br->p4k = rounds_array();
	}
}

/* Create @b's VM and touch its GiB; false if it is not available. */
static bool bring_up(size_t b, int touch_idx)
{
	bool ok;

	if (backings[b].kind == K_POOL)
		wait_for_zeroer();
	ok = mvm_create(&backings[b], &res[b].v);
	TEST_ASSERT(ok || backings[b].kind != K_POOL, "%s: no memory",
		    backings[b].name);
	if (ok)
		first_touch(&backings[b], &res[b], touch_idx);
	return ok;
}

static void run(void)
{
	size_t b;
	int r;

	if (!fresh) {
		for (b = 0; b < NR_BACKINGS; b++)
			if (res[b].selected)
				res[b].avail = bring_up(b, 0);
		for (b = 0; b < NR_BACKINGS; b++)
			if (res[b].avail)
				measure(&backings[b], &res[b], -1);
	}
	for (r = 0; r < rounds; r++) {
		for (b = 0; b < NR_BACKINGS; b++) {
			if (!res[b].selected)
				continue;
			if (fresh && (!r || res[b].avail)) {
				bool ok = bring_up(b, r);

				TEST_ASSERT(ok || !r, "%s: available in round 1, not in round %d",
					    backings[b].name, r + 1);
				res[b].avail = ok;
				if (ok)
					measure(&backings[b], &res[b], -1);
			}
			if (!res[b].avail)
				continue;
			wait_for_zeroer();
			measure(&backings[b], &res[b], r);
			if (fresh)
				mvm_free(&res[b].v);
		}
	}
	for (b = 0; b < NR_BACKINGS; b++)
		if (res[b].avail && !fresh)
			mvm_free(&res[b].v);
	for (b = 0; b < NR_BACKINGS; b++)
		if (res[b].avail)
			printf("# %-10s guest checksum %#lx\n", backings[b].name,
			       res[b].checksum);
}

/* ---- the report ---- */

static void tables(void)
{
	struct bench_stat s, base = { 0 };
	bool have_base = res[BASELINE].avail;
	size_t b, p, k;

	printf("\nvCPU memory bandwidth over 1 GiB of guest memory (in the guest, rdtsc; "
	       "emulated), %d interleaved rounds after a warm-up; %lu MiB per pattern: "
	       "sequential in 1 MiB blocks, random in 4 KiB blocks over the GiB\n",
	       rounds, bytes >> 20);
	for (p = 0; p < NR_PATTERNS; p++) {
		printf("\n%-10s  %-32s %9s", patterns[p].name, "MiB/s: median (min-max)",
		       "/ 4K anon");
		if (patterns[p].random)
			printf("  %s", "ns per 4 KiB block, median over rounds: p50 / p99 / p99.9");
		printf("\n");
		if (have_base)
			base = bench_stat_of(res[BASELINE].bw[p], rounds);
		for (b = 0; b < NR_BACKINGS; b++) {
			char cell[48];

			if (!res[b].selected)
				continue;
			if (!res[b].avail) {
				printf("%-10s  %s\n", backings[b].name, "(not available)");
				continue;
			}
			s = bench_stat_of(res[b].bw[p], rounds);
			snprintf(cell, sizeof(cell), "%.1f (%.1f-%.1f)", s.median,
				 s.min, s.max);
			printf("%-10s  %-32s", backings[b].name, cell);
			if (have_base && base.median)
				printf(" %8.2fx", s.median / base.median);
			else
				printf(" %9s", "-");
			for (k = 0; patterns[p].random && k < NR_PCTS; k++)
				printf("%s%.0f", k ? " / " : "  ",
				       bench_stat_of(res[b].pct[p][k], rounds).median);
			printf("\n");
		}
	}

	printf("\nfirst touch of the GiB (a guest write to every 4 KiB page): host ms, "
	       "KVM faults, KVM's mappings of the GiB\n");
	printf("%-10s  %-32s %9s %20s\n", "backing", "ms: median (min-max)", "faults",
	       "pages 1g/2m/4k");
	for (b = 0; b < NR_BACKINGS; b++) {
		char cell[48], maps[48];

		if (!res[b].avail)
			continue;
		s = bench_stat_of(res[b].touch_ms, res[b].nr_touch);
		snprintf(cell, sizeof(cell), "%.1f (%.1f-%.1f)", s.median, s.min, s.max);
		snprintf(maps, sizeof(maps), "%.0f/%.0f/%.0f", res[b].p1g[0],
			 res[b].p2m[0], res[b].p4k[0]);
		printf("%-10s  %-32s %9.0f %20s\n", backings[b].name, cell,
		       res[b].have_faults ? res[b].faults[0] : -1, maps);
	}
}

static void results(void)
{
	size_t b, p, k;
	char note[512];

	snprintf(note, sizeof(note),
		 "QEMU TCG, nested SVM: emulated times, compare backings of the same run "
		 "only (TCG's softmmu TLB is 4 KiB-granular; a backing shows in the nested "
		 "page walk on its misses); guest maps the GiB with 1G pages; %lu MiB per "
		 "pattern, sequential from the start of the GiB in 1 MiB blocks, random "
		 "4 KiB blocks anywhere in it; per-block latency includes two rdtsc; "
		 "%s; first touch not in the bandwidth figures",
		 bytes >> 20, fresh ? "a new VM per backing every round" :
		 "one VM per backing for all rounds");
	printf("\n@section {\"section\":\"memio\",\"title\":\"vCPU memory bandwidth over "
	       "1 GiB of guest memory (in the guest, rdtsc)\",\"baseline\":\"4K anon\","
	       "\"note\":\"");
	bench_json_str(note);
	printf("\"}\n");
	for (b = 0; b < NR_BACKINGS; b++) {
		const char *name = backings[b].name;
		struct bres *br = &res[b];

		if (!br->avail)
			continue;
		for (p = 0; p < NR_PATTERNS; p++) {
			bench_result_v("memio", name, patterns[p].name, "bw", "MiB/s",
				       br->bw[p], rounds);
			for (k = 0; patterns[p].random && k < NR_PCTS; k++)
				bench_result_v("memio", name, patterns[p].name,
					       pcts[k].name, "ns", br->pct[p][k],
					       rounds);
		}
		bench_result_v("memio", name, "first touch", "touch", "ms",
			       br->touch_ms, br->nr_touch);
		bench_result_v("memio", name, "first touch", "pages_1g", "count",
			       br->p1g, br->nr_touch);
		bench_result_v("memio", name, "first touch", "pages_2m", "count",
			       br->p2m, br->nr_touch);
		bench_result_v("memio", name, "first touch", "pages_4k", "count",
			       br->p4k, br->nr_touch);
		if (br->have_faults)
			bench_result_v("memio", name, "first touch", "kvm_faults",
				       "count", br->faults, br->nr_touch);
	}
}

/*
 * Run on node @nid's CPUs, from /sys/devices/system/node/node<nid>/cpulist
 * ("0", "0-1", "0,2-3"): false if that cannot be done.
 */
static bool run_on_node(int nid)
{
	char path[64], buf[256], *p = buf;
	unsigned long a, b;
	cpu_set_t set;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", nid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	CPU_ZERO(&set);
	while (*p >= '0' && *p <= '9') {
		a = b = strtoul(p, &p, 10);
		if (*p == '-')
			b = strtoul(p + 1, &p, 10);
		for (; a <= b && a < CPU_SETSIZE; a++)
			CPU_SET(a, &set);
		if (*p == ',')
			p++;
	}
	return CPU_COUNT(&set) && !sched_setaffinity(0, sizeof(set), &set);
}

static void usage(const char *prog, int code)
{
	printf("usage: %s [-r ROUNDS] [-s SIZE[K|M|G]] [-b BACKING] [-n] [-h]\n"
	       "  -r ROUNDS  interleaved rounds after the warm-up (default 5)\n"
	       "  -s SIZE    bytes per pattern: sequential from the start of the GiB,\n"
	       "             random as SIZE/4K blocks; a multiple of 1M, at most 1G\n"
	       "             (default 256M)\n"
	       "  -b NAME    only the backings whose name contains NAME\n"
	       "             (pool 1G, pool 2M, hugetlb 1G, hugetlb 2M, THP, 4K anon)\n"
	       "  -n         a new VM per backing every round (one GiB at a time)\n"
	       "             instead of six VMs kept for the whole run\n", prog);
	exit(code);
}

int main(int argc, char *argv[])
{
	struct gpool_holdings before, after;
	struct gpool_info_args info;
	int opt, r;

	while ((opt = getopt(argc, argv, "r:s:b:nh")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 's':
			bytes = parse_size(optarg);	/* test_util.c */
			break;
		case 'b':
			filter = optarg;
			break;
		case 'n':
			fresh = true;
			break;
		case 'h':
			usage(argv[0], 0);
			break;
		default:
			usage(argv[0], 1);
		}
	}
	if (rounds < 1 || !bytes || bytes % SEQ_BLOCK || bytes > DATA_SIZE)
		usage(argv[0], 1);

	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_MMAP);
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_GPOOL);
	nid = node_with_free_1g();
	TEST_REQUIRE(nid >= 0);
	ctl = gpool_ctl_open(NULL, false);
	TEST_ASSERT(ctl >= 0, "open " GPOOL_CTL_DEV ": %s", strerror(-ctl));
	r = gpool_ctl_info(ctl, &info);
	TEST_ASSERT(!r, "GPOOL_IOC_INFO: %s", strerror(-r));
	node_mask = info.node_mask;
	/* The vCPU where the pool files are; the anonymous memory comes from there first. */
	if (!run_on_node(nid))
		printf("# could not run on node %d: the vCPU runs anywhere\n", nid);

	printf("gpool_memio_bench: 1 GiB per backing, %lu MiB per pattern, %d rounds, "
	       "pool node %d, %s\n", bytes >> 20, rounds, nid,
	       fresh ? "a new VM per backing every round" : "six VMs kept for all rounds");
	fflush(stdout);
	alloc_results();
	/* Both snapshots with the zeroer idle: no unit in flight. */
	wait_for_zeroer();
	gpool_holdings(ctl, &before);
	run();
	tables();
	results();

	/* Every unit back: the pool as at the start. */
	wait_for_zeroer();
	gpool_holdings(ctl, &after);
	gpool_assert_holdings(&before, &after);
	close(ctl);
	return 0;
}
