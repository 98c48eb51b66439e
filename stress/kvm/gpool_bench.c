// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_bench: 1 GiB of guest memory on seven backings, side by side in
 * one run (`make bench`).
 *
 *   pool 1G     GUEST_MEMFD_FLAG_GPOOL, folio_shift 30    private memory of
 *   pool 2M     GUEST_MEMFD_FLAG_GPOOL, folio_shift 21    a SW_PROTECTED VM
 *   pool 4K     GUEST_MEMFD_FLAG_GPOOL, folio_shift 12
 *   6.12        guest_memfd as upstream has it (4K page cache)
 *   hugetlb 1G  MAP_HUGETLB memory, 1G pages              a plain memslot of
 *   hugetlb 2M  MAP_HUGETLB memory, 2M pages              a default VM, the
 *   THP         anonymous memory, MADV_HUGEPAGE           usual setup
 *
 * For each: the time a vCPU takes to touch every 4K page of the GiB the
 * first time, the page faults KVM took for it, the mappings KVM holds
 * afterwards (pages_4k/2m/1g), the time the same vCPU then takes to clear
 * the mapped GiB with rep stosq (the memset a fault-in is measured
 * against: G1 of performance-anchors.md), and for the guest_memfds the time of
 * fallocate(PUNCH_HOLE) over the whole GiB and of close() with the whole
 * GiB allocated (the VM still running).  The pool is measured twice:
 * pre-zeroed (its background zeroer finished) and clearing on the fault
 * path (the zeroer stopped with GPOOL_IOC_SET_ZEROING and every unit of
 * the node dirty); every other backing always clears on the fault path.
 * The zeroer is idle (finished, or stopped) before every round of any
 * kind.  A warm-up round, then ROUNDS rounds, each of every backing and
 * condition; median with min and max, ratios to 6.12, and the zeroer's
 * own CPU time per GiB it cleared (/proc/PID/stat of gpool_zero).
 *
 * A second table is the host's side (issue 11): a process faults in
 * 1 GiB through a mapping, of a shared pool-backed guest_memfd with 1G and
 * 2M units, a 6.18-style page-cache guest_memfd (4K), hugetlbfs 1G and 2M
 * pages and anonymous THP: time, the process's page faults, and the
 * mappings it got (the pool's host_maps; smaps for the others).
 *
 * A third table is conversion (issue 12): the latency of converting 4K,
 * 2M and 1G of a 1 GiB file (allocated, bound to a KVM_X86_SW_PROTECTED_VM)
 * from private to shared and back, in place (KVM_SET_MEMORY_ATTRIBUTES2 on
 * the file) on pool files of 1G and of 2M units and on the page cache, and
 * the 6.8 way on the pool (KVM_SET_MEMORY_ATTRIBUTES, then PUNCH_HOLE to
 * shared and fallocate() back to private, contents lost), with the pool's
 * splits and merges per round trip.  CONV_ROUNDS rounds after a warm-up,
 * interleaved; median with min and max.
 *
 * In the second and third tables pool memory is pre-zeroed: before each
 * pool round the benchmark waits for the background zeroer, as a host
 * would between VMs.  A benchmark, not a test: it asserts only that each
 * step worked.  It leaves the zeroer running.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/falloc.h>
#include <linux/gpool.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "gpool_util.h"
#include "gpool_bench_util.h"

#define DATA_SLOT	10
#define DATA_GPA	(4ULL << 30)
#define DATA_SIZE	(1ULL << 30)
#define ROUNDS		5
#define CONV_ROUNDS	5
/* How long the zeroer may take to clear a node's pool, in ms. */
#define ZEROER_WAIT_MS	(10 * 60 * 1000)

enum { BK_POOL, BK_GMEM, BK_HUGETLB, BK_THP };

struct backing {
	const char *name;
	int kind;
	unsigned int shift;
};

static const struct backing backings[] = {
	{ "pool 1G", BK_POOL, GPOOL_FOLIO_SHIFT_1G },
	{ "pool 2M", BK_POOL, GPOOL_FOLIO_SHIFT_2M },
	{ "pool 4K", BK_POOL, GPOOL_FOLIO_SHIFT_4K },
	{ "6.12", BK_GMEM, 0 },
	{ "hugetlb 1G", BK_HUGETLB, 30 },
	{ "hugetlb 2M", BK_HUGETLB, 21 },
	{ "THP", BK_THP, 21 },
};
#define NR_BACKINGS (sizeof(backings) / sizeof(backings[0]))

/*
 * The conditions of a fault-in: the pool's memory pre-zeroed by the
 * background zeroer, or dirty with the zeroer stopped, so that the
 * fault clears it; every other backing always clears on the fault path.
 */
enum { PRE_ZEROED, CLEARING, NR_CONDS };
static const char * const cond_names[NR_CONDS] = {
	"pre-zeroed", "clearing on fault",
};

struct sample {
	double touch_ms, punch_ms, close_ms, memset_ms;
	uint64_t faults, pages_4k, pages_2m, pages_1g;
	bool done;
};

static struct sample samples[NR_BACKINGS][NR_CONDS][ROUNDS];
/* The zeroer's CPU time per GiB it cleared, each round. */
static double zeroer_ms_per_gib[ROUNDS];
static int ctl_fd = -1;

/*
 * Touch every 4K page once (the fault-in), then, all of it mapped, clear
 * the whole GiB with one string store: the memset that G1 of
 * performance-anchors.md measures a fault-in against, by the same vCPU
 * over the same memory.
 */
static void guest_code(void)
{
	uint64_t off, n = DATA_SIZE / 8;
	void *p = (void *)DATA_GPA;

	for (off = 0; off < DATA_SIZE; off += 4096)
		*(volatile uint64_t *)(DATA_GPA + off) = off;
	GUEST_SYNC(0);
	asm volatile("rep stosq" : "+D" (p), "+c" (n) : "a" (0UL) : "memory");
	GUEST_DONE();
}

static double now_ms(void)
{
	return bench_now_ms();
}

static uint64_t vm_debugfs_stat(struct kvm_vm *vm, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/%s",
		 getpid(), vm->fd, name);
	return read_u64(path);
}

/* Wait until the zeroer is idle on every node; say so if it is not. */
static void wait_for_zeroer(int nid)
{
	if (!gpool_wait_zeroer_idle(2 * 60 * 1000))
		printf("# node %d: the zeroer did not finish in 2 min\n", nid);
}

static void set_zeroing(bool on)
{
	int ret = gpool_ctl_set_zeroing(ctl_fd, on);

	TEST_ASSERT(!ret, "GPOOL_IOC_SET_ZEROING %d: %s", on, strerror(-ret));
}

/* The pid of the zeroer thread, gpool_zero; 0 if there is none. */
static pid_t zeroer_pid(void)
{
	char path[300], comm[32];
	struct dirent *d;
	pid_t pid = 0;
	DIR *dir = opendir("/proc");
	FILE *f;

	TEST_ASSERT(dir, "/proc: %s", strerror(errno));
	while (!pid && (d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "gpool_zero\n"))
			pid = atoi(d->d_name);
		fclose(f);
	}
	closedir(dir);
	return pid;
}

/* CPU time (user + system) of thread @pid so far, in ms. */
static double cpu_ms(pid_t pid)
{
	unsigned long utime, stime;
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	TEST_ASSERT(f, "%s: %s", path, strerror(errno));
	TEST_ASSERT(fgets(buf, sizeof(buf), f), "%s: empty", path);
	fclose(f);
	/* Fields 14 and 15, counted after the ")" that ends the name. */
	p = strrchr(buf, ')');
	TEST_ASSERT(p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&utime, &stime) == 2, "%s: no utime/stime", path);
	return (utime + stime) * 1e3 / sysconf(_SC_CLK_TCK);
}

/* Bytes of free 1G and 2M units on @nid not known to be zero. */
static uint64_t dirty_bytes(int nid)
{
	uint64_t d1 = pool_stat(nid, GPOOL_SIZE_1G, "free") -
		      pool_stat(nid, GPOOL_SIZE_1G, "zero");
	uint64_t d2 = pool_stat(nid, GPOOL_SIZE_2M, "free") -
		      pool_stat(nid, GPOOL_SIZE_2M, "zero");

	return (d1 << 30) + (d2 << 21);
}

/*
 * With the zeroer stopped, make every free unit of @nid dirty: take all
 * of the node's free capacity into one file and give it back.  Units
 * known to be zero are handed out without clearing, and come back dirty.
 */
static void dirty_node(int nid)
{
	struct gpool_node_stats_args st;
	struct gpool_create_guest_memfd args = {
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_1G,
		.numa_mode = GPOOL_NUMA_BIND,
		.numa_nodes = 1ULL << nid,
	};
	struct kvm_vm *vm;
	uint64_t bytes = 0;
	int s, fd, ret;

	ret = gpool_ctl_node_stats(ctl_fd, nid, &st);
	TEST_ASSERT(!ret, "NODE_STATS %d: %s", nid, strerror(-ret));
	for (s = 0; s < GPOOL_NR_SIZES; s++)
		bytes += (st.size[s].free - st.size[s].reserved) *
			 gpool_size_bytes[s];
	bytes &= ~((2ULL << 20) - 1);
	if (!bytes)
		return;
	args.size = bytes;
	vm = vm_create_barebones();
	fd = __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	TEST_ASSERT(fd >= 0, "a file of node %d's %lu free bytes: %s", nid,
		    bytes, strerror(errno));
	TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, bytes),
		    "allocate node %d: %s", nid, strerror(errno));
	close(fd);
	kvm_vm_free(vm);
}

/* Memory for a plain memslot: hugetlbfs pages or THP, 1 GiB-aligned. */
static void *plain_memory(const struct backing *b, void **base, size_t *len)
{
	char *m;

	if (b->kind == BK_HUGETLB) {
		*len = DATA_SIZE;
		m = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			 (b->shift << MAP_HUGE_SHIFT), -1, 0);
		*base = m;
		return m;
	}
	*len = 2 * DATA_SIZE;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	*base = m;
	if (m == MAP_FAILED)
		return m;
	m = (char *)align_up((uint64_t)m, DATA_SIZE);
	madvise(m, DATA_SIZE, MADV_HUGEPAGE);
	return m;
}

/*
 * One fault-in of 1 GiB: a vCPU writes every 4K page of it once.  Pool
 * and 6.12 memory is the private memory of a KVM_X86_SW_PROTECTED_VM;
 * hugetlbfs and THP memory the ordinary memory of a default VM, through a
 * plain memslot, the usual non-confidential setup.  For the guest_memfds,
 * PUNCH_HOLE and close() of the whole GiB are timed too.
 */
static void run_one(const struct backing *b, int nid, struct sample *s)
{
	struct vm_shape shape = VM_SHAPE_DEFAULT;
	struct gpool_create_guest_memfd args = {
		.size = DATA_SIZE,
	};
	bool gmem = b->kind == BK_POOL || b->kind == BK_GMEM;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	void *map, *mem;
	size_t len;
	double t;
	int fd = -1;

	memset(s, 0, sizeof(*s));
	if (gmem) {
		shape.type = KVM_X86_SW_PROTECTED_VM;
		len = 2 * DATA_SIZE;
		map = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		/* The shared view is aligned like the GPA, or KVM maps nothing huge. */
		mem = map == MAP_FAILED ? map : (void *)align_up((uint64_t)map, DATA_SIZE);
	} else {
		mem = plain_memory(b, &map, &len);
	}
	if (mem == MAP_FAILED) {
		printf("# %s: not available (mmap: %s)\n", b->name, strerror(errno));
		return;
	}
	if (b->kind == BK_POOL) {
		args.flags = GUEST_MEMFD_FLAG_GPOOL;
		args.folio_shift = b->shift;
		args.numa_mode = GPOOL_NUMA_BIND;
		args.numa_nodes = 1ULL << nid;
	}
	vm = vm_create_shape_with_one_vcpu(shape, &vcpu, guest_code);
	if (gmem) {
		fd = __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
		TEST_ASSERT(fd >= 0, "KVM_CREATE_GUEST_MEMFD (%s): %s", b->name,
			    strerror(errno));
		vm_set_user_memory_region2(vm, DATA_SLOT, KVM_MEM_GUEST_MEMFD,
					   DATA_GPA, DATA_SIZE, mem, fd, 0);
		vm_mem_set_private(vm, DATA_GPA, DATA_SIZE);
	} else {
		vm_set_user_memory_region2(vm, DATA_SLOT, 0, DATA_GPA, DATA_SIZE,
					   mem, -1, 0);
	}
	virt_map_level(vm, DATA_GPA, DATA_GPA, DATA_SIZE, PG_LEVEL_1G);

	s->faults = vm_debugfs_stat(vm, "pf_taken");
	t = now_ms();
	vcpu_run(vcpu);
	s->touch_ms = now_ms() - t;
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	s->faults = vm_debugfs_stat(vm, "pf_taken") - s->faults;
	s->pages_4k = vm_get_stat(vm, "pages_4k");
	s->pages_2m = vm_get_stat(vm, "pages_2m");
	s->pages_1g = vm_get_stat(vm, "pages_1g");
	t = now_ms();
	vcpu_run(vcpu);
	s->memset_ms = now_ms() - t;
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);

	if (gmem) {
		t = now_ms();
		TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
				       0, DATA_SIZE), "punch: %s", strerror(errno));
		s->punch_ms = now_ms() - t;
		/*
		 * Populate again (not timed), then time closing the full file
		 * while the VM lives on: closed last, the file would also tear
		 * the VM down.
		 */
		TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, DATA_SIZE),
			    "allocate: %s", strerror(errno));
		t = now_ms();
		close(fd);
		s->close_ms = now_ms() - t;
	}
	kvm_vm_free(vm);
	munmap(map, len);
	s->done = true;
}

static int cmp_double(const void *a, const void *b)
{
	return bench_cmp_double(a, b);
}

/*
 * One round of every backing and condition (round 0 is the warm-up):
 * first, with the zeroer stopped and the node's pool all dirty, the pool
 * clearing on the fault path and every other backing (they always clear
 * there); then the zeroer is started, its CPU time measured until the
 * node is clean, and the pool measured pre-zeroed.  No round runs while
 * the zeroer works.
 */
static void faultin_round(int nid, int r, pid_t zpid)
{
	struct sample warm, *s;
	uint64_t dirty;
	double cpu;
	size_t bi;
	int c;

	for (c = CLEARING; c >= PRE_ZEROED; c--) {
		if (c == CLEARING) {
			set_zeroing(false);
			dirty_node(nid);
		} else {
			dirty = dirty_bytes(nid);
			cpu = zpid ? cpu_ms(zpid) : 0;
			set_zeroing(true);
			if (!gpool_wait_zeroer_idle(ZEROER_WAIT_MS))
				printf("# node %d: the zeroer did not finish\n", nid);
			if (zpid && dirty && r)
				zeroer_ms_per_gib[r - 1] =
					(cpu_ms(zpid) - cpu) / (dirty / (double)(1ULL << 30));
		}
		for (bi = 0; bi < NR_BACKINGS; bi++) {
			if (backings[bi].kind != BK_POOL && c == PRE_ZEROED)
				continue;
			s = r ? &samples[bi][c][r - 1] : &warm;
			run_one(&backings[bi], nid, s);
			if (!s->done)
				continue;
			printf("# %s %-10s %-17s touch %9.1f ms, %7lu faults, pages 4k/2m/1g %lu/%lu/%lu\n",
			       r ? "round" : "warm-up", backings[bi].name, cond_names[c],
			       s->touch_ms, s->faults, s->pages_4k, s->pages_2m,
			       s->pages_1g);
			fflush(stdout);
		}
	}
}

/* The values of field @off of backing @bi under condition @c, one a round. */
static int field_values(size_t bi, int c, size_t off, double *v)
{
	int r, n = 0;

	for (r = 0; r < ROUNDS; r++)
		if (samples[bi][c][r].done)
			v[n++] = *(double *)((char *)&samples[bi][c][r] + off);
	return n;
}

static void faultin_table(void)
{
	static const struct {
		const char *metric;
		size_t off;
		bool gmem_only;
	} cols[] = {
		{ "touch", offsetof(struct sample, touch_ms), false },
		{ "punch", offsetof(struct sample, punch_ms), true },
		{ "close", offsetof(struct sample, close_ms), true },
		{ "memset", offsetof(struct sample, memset_ms), false },
	};
	struct bench_stat st[4];
	double v[ROUNDS], base = 0;
	size_t bi, k;
	int c, n;

	printf("\nfault-in of 1 GiB by a vCPU, %d rounds after a warm-up, interleaved\n"
	       "(memset: the same vCPU clearing the mapped GiB with rep stosq; touch/memset is G1's ratio)\n"
	       "%-11s %-17s %26s %9s %22s %22s %9s %15s %9s %8s\n", ROUNDS, "backing", "condition",
	       "touch ms: median (min-max)", "vs 6.12", "punch ms", "close ms",
	       "faults", "pages 1g/2m/4k", "memset ms", "/memset");
	n = field_values(3, CLEARING, offsetof(struct sample, touch_ms), v);
	if (n)
		base = bench_stat_of(v, n).median;
	printf("@section {\"section\":\"faultin\",\"title\":\"fault-in of 1 GiB by a vCPU (every 4K page written once)\","
	       "\"baseline\":\"6.12\",\"note\":\"pool and 6.12: private memory of a SW_PROTECTED VM; hugetlb and THP: a plain memslot of a default VM; "
	       "pre-zeroed = the pool's background zeroer finished; clearing on fault = zeroer stopped, every unit dirty; the zeroer idle before every round\"}\n");
	for (c = PRE_ZEROED; c < NR_CONDS; c++) {
		for (bi = 0; bi < NR_BACKINGS; bi++) {
			const struct sample *s0 = &samples[bi][c][0];
			char maps[48];

			n = field_values(bi, c, offsetof(struct sample, touch_ms), v);
			if (!n)
				continue;
			for (k = 0; k < 4; k++) {
				field_values(bi, c, cols[k].off, v);
				st[k] = bench_stat_of(v, n);
				if (cols[k].gmem_only && backings[bi].kind != BK_POOL &&
				    backings[bi].kind != BK_GMEM)
					continue;
				bench_result("faultin", backings[bi].name, cond_names[c],
					     cols[k].metric, "ms", st[k]);
			}
			bench_result1("faultin", backings[bi].name, cond_names[c],
				      "kvm_faults", "count", s0->faults);
			bench_result1("faultin", backings[bi].name, cond_names[c],
				      "pages_1g", "count", s0->pages_1g);
			bench_result1("faultin", backings[bi].name, cond_names[c],
				      "pages_2m", "count", s0->pages_2m);
			bench_result1("faultin", backings[bi].name, cond_names[c],
				      "pages_4k", "count", s0->pages_4k);
			snprintf(maps, sizeof(maps), "%lu/%lu/%lu", s0->pages_1g,
				 s0->pages_2m, s0->pages_4k);
			printf("%-11s %-17s %9.1f (%6.1f-%7.1f) %8.2fx", backings[bi].name,
			       cond_names[c], st[0].median, st[0].min, st[0].max,
			       st[0].median ? base / st[0].median : 0);
			if (backings[bi].kind == BK_POOL || backings[bi].kind == BK_GMEM)
				printf(" %9.2f (%9.2f) %9.2f (%9.2f)", st[1].median, st[1].max,
				       st[2].median, st[2].max);
			else
				printf(" %22s %22s", "-", "-");
			printf(" %9lu %15s %9.1f %7.2fx\n", s0->faults, maps,
			       st[3].median, st[3].median ? st[0].median / st[3].median : 0);
		}
	}
	n = 0;
	for (c = 0; c < ROUNDS; c++)
		if (zeroer_ms_per_gib[c] > 0)
			v[n++] = zeroer_ms_per_gib[c];
	if (n) {
		struct bench_stat z = bench_stat_of(v, n);

		printf("the zeroer's own CPU time: %.1f ms per GiB cleared (%.1f-%.1f)\n",
		       z.median, z.min, z.max);
		bench_result("faultin", "zeroer", "background", "cpu", "ms/GiB", z);
	}
}

/* ---- the host's side: 1 GiB faulted in through a mapping ---- */

enum { SRC_POOL, SRC_GMEM, SRC_HUGETLB, SRC_THP };

struct source {
	const char *name;
	int kind;
	unsigned int shift;
};

static const struct source sources[] = {
	{ "pool 1G", SRC_POOL, GPOOL_FOLIO_SHIFT_1G },
	{ "pool 2M", SRC_POOL, GPOOL_FOLIO_SHIFT_2M },
	{ "gmem 4K", SRC_GMEM, 12 },
	{ "hugetlb 1G", SRC_HUGETLB, 30 },
	{ "hugetlb 2M", SRC_HUGETLB, 21 },
	{ "THP", SRC_THP, 21 },
};
#define NR_SOURCES (sizeof(sources) / sizeof(sources[0]))

struct hsample {
	double ms;
	long faults;
	uint64_t maps[GPOOL_NR_SIZES];	/* by GPOOL_SIZE_* */
	bool failed;
};

static struct hsample hsamples[NR_SOURCES][ROUNDS];

/* A field of the smaps entry of the vma at @addr, in kB; -1 if none. */
static long smaps_kb(void *addr, const char *field)
{
	char line[256], want[32];
	unsigned long start, end;
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%s:", field);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)addr >= start && (uintptr_t)addr < end;
			continue;
		}
		if (in && !strncmp(line, want, strlen(want))) {
			kb = strtol(line + strlen(want), NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

static void host_one(const struct source *src, int nid, int ctl,
		     struct hsample *s)
{
	struct gpool_create_guest_memfd args = {
		.size = DATA_SIZE,
		.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
	};
	struct kvm_vm *vm = NULL;
	struct rusage r0, r1;
	uint64_t off;
	char *m;
	double t;
	int fd = -1;

	memset(s, 0, sizeof(*s));
	if (src->kind == SRC_POOL || src->kind == SRC_GMEM) {
		if (src->kind == SRC_POOL) {
			args.flags |= GUEST_MEMFD_FLAG_GPOOL;
			args.folio_shift = src->shift;
			args.numa_mode = GPOOL_NUMA_BIND;
			args.numa_nodes = 1ULL << nid;
			wait_for_zeroer(nid);
		}
		vm = vm_create_barebones();
		fd = __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
		TEST_ASSERT(fd >= 0, "KVM_CREATE_GUEST_MEMFD (%s): %s", src->name,
			    strerror(errno));
		m = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	} else if (src->kind == SRC_HUGETLB) {
		m = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			 (src->shift << MAP_HUGE_SHIFT), -1, 0);
	} else {
		/* THP: 2M-aligned anonymous memory, MADV_HUGEPAGE. */
		m = mmap(NULL, DATA_SIZE + (2ULL << 20), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m != MAP_FAILED) {
			m = (char *)align_up((uint64_t)m, 2ULL << 20);
			madvise(m, DATA_SIZE, MADV_HUGEPAGE);
		}
	}
	if (m == MAP_FAILED) {
		/* hugetlbfs without reserved pages of that size: say so. */
		s->failed = true;
		goto out;
	}

	getrusage(RUSAGE_SELF, &r0);
	t = now_ms();
	for (off = 0; off < DATA_SIZE; off += 4096)
		*(volatile uint64_t *)(m + off) = off;
	s->ms = now_ms() - t;
	getrusage(RUSAGE_SELF, &r1);
	s->faults = r1.ru_minflt - r0.ru_minflt + r1.ru_majflt - r0.ru_majflt;

	if (src->kind == SRC_POOL) {
		struct gpool_file_info *files;
		unsigned int nr, i;

		TEST_ASSERT(!gpool_ctl_list_files(ctl, &files, &nr), "LIST_FILES");
		for (i = 0; i < nr; i++)
			if (files[i].pid == (__u32)getpid())
				memcpy(s->maps, files[i].host_maps, sizeof(s->maps));
		free(files);
	} else if (src->kind == SRC_HUGETLB) {
		s->maps[gpool_size_of_shift(src->shift)] = DATA_SIZE >> src->shift;
	} else {
		long thp = src->kind == SRC_THP ? smaps_kb(m, "AnonHugePages") : 0;
		long rss = smaps_kb(m, "Rss");

		s->maps[GPOOL_SIZE_2M] = thp > 0 ? thp / 2048 : 0;
		s->maps[GPOOL_SIZE_4K] = rss > thp ? (rss - (thp > 0 ? thp : 0)) / 4 : 0;
	}
	munmap(m, DATA_SIZE);
out:
	if (fd >= 0)
		close(fd);
	if (vm)
		kvm_vm_free(vm);
}

static void host_table(int nid)
{
	double v[ROUNDS];
	size_t si;
	int r, ctl = open("/dev/gpool", O_RDONLY);

	TEST_ASSERT(ctl >= 0, "open /dev/gpool: %s", strerror(errno));
	printf("\nhost fault-in of 1 GiB through a mapping, %d interleaved rounds "
	       "(pool pre-zeroed; the others clear on the fault path)\n", ROUNDS);
	for (r = 0; r < ROUNDS; r++) {
		for (si = 0; si < NR_SOURCES; si++) {
			struct hsample *s = &hsamples[si][r];

			host_one(&sources[si], nid, ctl, s);
			if (s->failed)
				printf("# round %d %-10s mmap failed: %s\n", r + 1,
				       sources[si].name, strerror(errno));
			else
				printf("# round %d %-10s touch %9.1f ms, %7ld faults\n",
				       r + 1, sources[si].name, s->ms, s->faults);
			fflush(stdout);
		}
	}
	printf("@section {\"section\":\"host\",\"title\":\"host fault-in of 1 GiB through a mapping\","
	       "\"baseline\":\"gmem 4K\",\"note\":\"pool pre-zeroed; the others clear on the fault path\"}\n");
	printf("\n%-12s %22s %9s %9s %16s\n", "source", "ms: median (min-max)",
	       "vs gmem", "faults", "maps 1G/2M/4K");
	for (si = 0; si < NR_SOURCES; si++) {
		char maps[48];
		double gmed;

		if (hsamples[si][0].failed) {
			printf("%-12s %22s\n", sources[si].name, "(not available)");
			continue;
		}
		for (r = 0; r < ROUNDS; r++)
			v[r] = hsamples[2][r].ms;
		qsort(v, ROUNDS, sizeof(v[0]), cmp_double);
		gmed = v[ROUNDS / 2];
		for (r = 0; r < ROUNDS; r++)
			v[r] = hsamples[si][r].ms;
		qsort(v, ROUNDS, sizeof(v[0]), cmp_double);
		snprintf(maps, sizeof(maps), "%lu/%lu/%lu",
			 hsamples[si][0].maps[GPOOL_SIZE_1G],
			 hsamples[si][0].maps[GPOOL_SIZE_2M],
			 hsamples[si][0].maps[GPOOL_SIZE_4K]);
		bench_result_v("host", sources[si].name,
			       sources[si].kind == SRC_POOL ? "pre-zeroed" : "clearing on fault",
			       "touch", "ms", v, ROUNDS);
		bench_result1("host", sources[si].name, NULL, "faults", "count",
			      hsamples[si][0].faults);
		bench_result1("host", sources[si].name, NULL, "maps_1g", "count",
			      hsamples[si][0].maps[GPOOL_SIZE_1G]);
		bench_result1("host", sources[si].name, NULL, "maps_2m", "count",
			      hsamples[si][0].maps[GPOOL_SIZE_2M]);
		bench_result1("host", sources[si].name, NULL, "maps_4k", "count",
			      hsamples[si][0].maps[GPOOL_SIZE_4K]);
		printf("%-12s %9.1f (%5.1f-%6.1f) %8.1fx %9ld %16s\n",
		       sources[si].name, v[ROUNDS / 2], v[0], v[ROUNDS - 1],
		       v[ROUNDS / 2] ? gmed / v[ROUNDS / 2] : 0,
		       hsamples[si][0].faults, maps);
	}
	close(ctl);
}

/* ---- conversion: 4K, 2M and 1G of a 1 GiB file, and back ---- */

enum { CONV_INPLACE, CONV_PUNCH };

struct conv_method {
	const char *name;
	int how;
	bool pool;
	unsigned int shift;
};

static const struct conv_method conv_methods[] = {
	{ "pool 1G in place", CONV_INPLACE, true, GPOOL_FOLIO_SHIFT_1G },
	{ "pool 2M in place", CONV_INPLACE, true, GPOOL_FOLIO_SHIFT_2M },
	{ "pool 1G punch", CONV_PUNCH, true, GPOOL_FOLIO_SHIFT_1G },
	{ "page cache in place", CONV_INPLACE, false, 0 },
};
#define NR_CONV_METHODS (sizeof(conv_methods) / sizeof(conv_methods[0]))

/* What is converted: page 3 of the 2M unit at 512M, that unit, the file. */
static const struct {
	const char *name;
	uint64_t off, size;
} conv_sizes[] = {
	{ "4K", (512ULL << 20) + 3 * 4096, 4096 },
	{ "2M", 512ULL << 20, 2ULL << 20 },
	{ "1G", 0, DATA_SIZE },
};
#define NR_CONV_SIZES (sizeof(conv_sizes) / sizeof(conv_sizes[0]))

struct csample {
	double to_shared_ms, to_private_ms;
	uint64_t splits, merges;	/* pool, 2M and 1G levels, both ways */
};

static struct csample csamples[NR_CONV_METHODS][NR_CONV_SIZES][CONV_ROUNDS];

static uint64_t splits_merges(int nid, const char *name)
{
	return pool_stat(nid, GPOOL_SIZE_1G, name) +
	       pool_stat(nid, GPOOL_SIZE_2M, name);
}

/* One conversion of [off, off + size) to @private, the way @m does it. */
static double conv_once(const struct conv_method *m, struct kvm_vm *vm, int fd,
			uint64_t off, uint64_t size, bool private)
{
	double t = now_ms();
	int r;

	if (m->how == CONV_INPLACE) {
		r = gpool_convert(fd, off, size,
				  private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0, NULL);
		TEST_ASSERT(!r, "%s: convert: %s", m->name, strerror(-r));
	} else if (private) {
		vm_mem_set_private(vm, DATA_GPA + off, size);
		TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, off, size),
			    "allocate: %s", strerror(errno));
	} else {
		vm_mem_set_shared(vm, DATA_GPA + off, size);
		TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
				       off, size), "punch: %s", strerror(errno));
	}
	return now_ms() - t;
}

/* A VM with @m's file of 1 GiB, all of it allocated and private. */
static void conv_round(const struct conv_method *m, int nid,
		       struct csample *out)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	uint64_t flags = m->how == CONV_INPLACE ? GUEST_MEMFD_FLAG_MMAP : 0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	void *map;
	size_t k;
	int fd;

	if (m->pool)
		wait_for_zeroer(nid);
	vm = vm_create_shape_with_one_vcpu(shape, &vcpu, guest_code);
	fd = gpool_gmem_create(vm, DATA_SIZE, flags, m->pool, m->shift, nid);
	map = mmap(NULL, 2 * DATA_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(map != MAP_FAILED, "mmap");
	vm_set_user_memory_region2(vm, DATA_SLOT, KVM_MEM_GUEST_MEMFD, DATA_GPA,
				   DATA_SIZE,
				   (void *)align_up((uint64_t)map, DATA_SIZE),
				   fd, 0);
	if (m->how == CONV_PUNCH)
		vm_mem_set_private(vm, DATA_GPA, DATA_SIZE);
	TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, DATA_SIZE),
		    "allocate: %s", strerror(errno));
	for (k = 0; k < NR_CONV_SIZES; k++) {
		uint64_t s0 = splits_merges(nid, "nr_splits");
		uint64_t m0 = splits_merges(nid, "nr_merges");

		out[k].to_shared_ms = conv_once(m, vm, fd, conv_sizes[k].off,
						conv_sizes[k].size, false);
		out[k].to_private_ms = conv_once(m, vm, fd, conv_sizes[k].off,
						 conv_sizes[k].size, true);
		out[k].splits = splits_merges(nid, "nr_splits") - s0;
		out[k].merges = splits_merges(nid, "nr_merges") - m0;
	}
	close(fd);
	kvm_vm_free(vm);
	munmap(map, 2 * DATA_SIZE);
}

static void conv_stats(size_t mi, size_t k, bool to_private, double *med,
		       double *min, double *max)
{
	double v[CONV_ROUNDS];
	int r;

	for (r = 0; r < CONV_ROUNDS; r++)
		v[r] = to_private ? csamples[mi][k][r].to_private_ms :
				    csamples[mi][k][r].to_shared_ms;
	qsort(v, CONV_ROUNDS, sizeof(v[0]), cmp_double);
	*med = v[CONV_ROUNDS / 2];
	*min = v[0];
	*max = v[CONV_ROUNDS - 1];
}

static void conv_table(int nid)
{
	struct csample warm[NR_CONV_SIZES];
	double med, min, max, in1g = 0, in2m = 0;
	size_t mi, k;
	int r;

	printf("\nconversion of part of a 1 GiB file (allocated, private, bound to a "
	       "SW_PROTECTED VM), private -> shared -> private; a warm-up round, "
	       "then %d interleaved rounds\n", CONV_ROUNDS);
	for (mi = 0; mi < NR_CONV_METHODS; mi++)
		conv_round(&conv_methods[mi], nid, warm);
	for (r = 0; r < CONV_ROUNDS; r++)
		for (mi = 0; mi < NR_CONV_METHODS; mi++) {
			struct csample c[NR_CONV_SIZES];

			conv_round(&conv_methods[mi], nid, c);
			for (k = 0; k < NR_CONV_SIZES; k++)
				csamples[mi][k][r] = c[k];
		}
	printf("\n%-20s %-4s %26s %26s %15s\n", "method", "size",
	       "to shared ms: med (min-max)", "to private ms: med (min-max)",
	       "splits/merges");
	for (mi = 0; mi < NR_CONV_METHODS; mi++) {
		for (k = 0; k < NR_CONV_SIZES; k++) {
			char sm[32], a[40], b[40];

			conv_stats(mi, k, false, &med, &min, &max);
			snprintf(a, sizeof(a), "%.3f (%.3f-%.3f)", med, min, max);
			conv_stats(mi, k, true, &med, &min, &max);
			snprintf(b, sizeof(b), "%.3f (%.3f-%.3f)", med, min, max);
			snprintf(sm, sizeof(sm), "%lu/%lu",
				 csamples[mi][k][0].splits, csamples[mi][k][0].merges);
			printf("%-20s %-4s %26s %26s %15s\n", conv_methods[mi].name,
			       conv_sizes[k].name, a, b, sm);
		}
	}
	printf("@section {\"section\":\"conv\",\"title\":\"conversion of part of a 1 GiB file, private -> shared -> private\","
	       "\"baseline\":\"%s\",\"note\":\"file allocated, bound to a SW_PROTECTED VM; cond = the size converted\"}\n",
	       conv_methods[NR_CONV_METHODS - 1].name);
	for (mi = 0; mi < NR_CONV_METHODS; mi++) {
		for (k = 0; k < NR_CONV_SIZES; k++) {
			struct bench_stat st;

			conv_stats(mi, k, false, &st.median, &st.min, &st.max);
			st.n = CONV_ROUNDS;
			bench_result("conv", conv_methods[mi].name, conv_sizes[k].name,
				     "to_shared", "ms", st);
			conv_stats(mi, k, true, &st.median, &st.min, &st.max);
			bench_result("conv", conv_methods[mi].name, conv_sizes[k].name,
				     "to_private", "ms", st);
			bench_result1("conv", conv_methods[mi].name, conv_sizes[k].name,
				      "splits", "count", csamples[mi][k][0].splits);
			bench_result1("conv", conv_methods[mi].name, conv_sizes[k].name,
				      "merges", "count", csamples[mi][k][0].merges);
		}
	}
	/* The target: 4K inside a 1G unit within 2x of 4K inside a 2M unit. */
	for (k = 0; k < 2; k++) {
		conv_stats(0, 0, k, &med, &min, &max);
		in1g += med;
		conv_stats(1, 0, k, &med, &min, &max);
		in2m += med;
	}
	printf("4K round trip inside a 1G unit / inside a 2M unit: %.2fx (target <= 2x)\n",
	       in2m ? in1g / in2m : 0);
}

int main(void)
{
	pid_t zpid;
	int nid, r;

	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_GPOOL);
	nid = node_with_free_1g();
	TEST_REQUIRE(nid >= 0);
	ctl_fd = open("/dev/gpool", O_RDWR);
	TEST_ASSERT(ctl_fd >= 0, "open /dev/gpool: %s", strerror(errno));
	zpid = zeroer_pid();
	if (!zpid)
		printf("# no gpool_zero thread: the zeroer's CPU time is not measured\n");

	printf("gpool_bench: 1 GiB of guest memory, %d interleaved rounds after a warm-up, pool node %d\n",
	       ROUNDS, nid);
	for (r = 0; r <= ROUNDS; r++)
		faultin_round(nid, r, zpid);
	faultin_table();
	host_table(nid);
	conv_table(nid);
	set_zeroing(true);
	close(ctl_fd);
	return 0;
}
