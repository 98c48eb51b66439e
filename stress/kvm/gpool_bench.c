// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_bench: 1 GiB of guest private memory on four backings, side by
 * side in one run (`make bench`).
 *
 *   pool 1G    GUEST_MEMFD_FLAG_GPOOL, folio_shift 30
 *   pool 2M    GUEST_MEMFD_FLAG_GPOOL, folio_shift 21
 *   pool 4K    GUEST_MEMFD_FLAG_GPOOL, folio_shift 12
 *   6.12       guest_memfd as upstream has it (4K page cache)
 *
 * For each: the time a vCPU takes to touch every 4K page of 1 GiB of
 * private memory the first time, the page faults KVM took for it, the
 * mappings KVM holds afterwards (pages_4k/2m/1g), the time of
 * fallocate(PUNCH_HOLE) over the whole GiB, and the time of close() of the
 * guest_memfd with the whole GiB allocated (the VM still running).  Each backing is measured
 * ROUNDS times, interleaved (A B C D A B C D ...); the table shows the
 * median with min and max, and the ratios to 6.12.
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
 * Pool memory is measured pre-zeroed: before each pool round the
 * benchmark waits for the background zeroer to clear the pool, as a host
 * would between VMs.  Every other source clears on the fault path (the
 * page cache, hugetlbfs and THP all do).  A benchmark, not a test: it
 * asserts only that each step worked.
 */
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

#define DATA_SLOT	10
#define DATA_GPA	(4ULL << 30)
#define DATA_SIZE	(1ULL << 30)
#define ROUNDS		3
#define CONV_ROUNDS	5

struct backing {
	const char *name;
	bool pool;
	unsigned int shift;
};

static const struct backing backings[] = {
	{ "pool 1G", true, GPOOL_FOLIO_SHIFT_1G },
	{ "pool 2M", true, GPOOL_FOLIO_SHIFT_2M },
	{ "pool 4K", true, GPOOL_FOLIO_SHIFT_4K },
	{ "6.12", false, 0 },
};
#define NR_BACKINGS (sizeof(backings) / sizeof(backings[0]))

struct sample {
	double touch_ms, punch_ms, close_ms;
	uint64_t faults, pages_4k, pages_2m, pages_1g;
};

static struct sample samples[NR_BACKINGS][ROUNDS];

static void guest_code(void)
{
	uint64_t off;

	for (off = 0; off < DATA_SIZE; off += 4096)
		*(volatile uint64_t *)(DATA_GPA + off) = off;
	GUEST_DONE();
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t vm_debugfs_stat(struct kvm_vm *vm, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/%s",
		 getpid(), vm->fd, name);
	return read_u64(path);
}

/* Wait (up to 2 min) until the node's free 1G and 2M units are all zero. */
static void wait_for_zeroer(int nid)
{
	int i;

	for (i = 0; i < 1200; i++) {
		if (pool_stat(nid, GPOOL_SIZE_1G, "zeroing") == 0 &&
		    pool_stat(nid, GPOOL_SIZE_2M, "zeroing") == 0 &&
		    pool_stat(nid, GPOOL_SIZE_1G, "zero") ==
		    pool_stat(nid, GPOOL_SIZE_1G, "free") &&
		    pool_stat(nid, GPOOL_SIZE_2M, "zero") ==
		    pool_stat(nid, GPOOL_SIZE_2M, "free"))
			return;
		usleep(100 * 1000);
	}
	printf("# node %d: the zeroer did not finish in 2 min\n", nid);
}

static void run_one(const struct backing *b, int nid, struct sample *s)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	struct gpool_create_guest_memfd args = {
		.size = DATA_SIZE,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	void *map, *shared;
	double t;
	int fd;

	if (b->pool) {
		args.flags = GUEST_MEMFD_FLAG_GPOOL;
		args.folio_shift = b->shift;
		args.numa_mode = GPOOL_NUMA_BIND;
		args.numa_nodes = 1ULL << nid;
		wait_for_zeroer(nid);
	}
	vm = vm_create_shape_with_one_vcpu(shape, &vcpu, guest_code);
	fd = __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	TEST_ASSERT(fd >= 0, "KVM_CREATE_GUEST_MEMFD (%s): %s", b->name,
		    strerror(errno));
	/* The shared view is aligned like the GPA, or KVM maps nothing huge. */
	map = mmap(NULL, 2 * DATA_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(map != MAP_FAILED, "mmap");
	shared = (void *)align_up((uint64_t)map, DATA_SIZE);
	vm_set_user_memory_region2(vm, DATA_SLOT, KVM_MEM_GUEST_MEMFD, DATA_GPA,
				   DATA_SIZE, shared, fd, 0);
	vm_mem_set_private(vm, DATA_GPA, DATA_SIZE);
	virt_map_level(vm, DATA_GPA, DATA_GPA, DATA_SIZE, PG_LEVEL_1G);

	s->faults = vm_debugfs_stat(vm, "pf_taken");
	t = now_ms();
	vcpu_run(vcpu);
	s->touch_ms = now_ms() - t;
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	s->faults = vm_debugfs_stat(vm, "pf_taken") - s->faults;
	s->pages_4k = vm_get_stat(vm, "pages_4k");
	s->pages_2m = vm_get_stat(vm, "pages_2m");
	s->pages_1g = vm_get_stat(vm, "pages_1g");

	t = now_ms();
	TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
			       0, DATA_SIZE), "punch: %s", strerror(errno));
	s->punch_ms = now_ms() - t;

	/*
	 * Populate again (not timed), then time closing the full file while
	 * the VM lives on: closed last, the file would also tear the VM down.
	 */
	TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, DATA_SIZE),
		    "allocate: %s", strerror(errno));
	t = now_ms();
	close(fd);
	s->close_ms = now_ms() - t;
	kvm_vm_free(vm);
	munmap(map, 2 * DATA_SIZE);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median, min and max of one field over the rounds of one backing. */
static void stats(size_t bi, size_t off, double *med, double *min, double *max)
{
	double v[ROUNDS];
	int r;

	for (r = 0; r < ROUNDS; r++)
		v[r] = *(double *)((char *)&samples[bi][r] + off);
	qsort(v, ROUNDS, sizeof(v[0]), cmp_double);
	*med = v[ROUNDS / 2];
	*min = v[0];
	*max = v[ROUNDS - 1];
}

static void print_row(const char *what, size_t off)
{
	double med[NR_BACKINGS], min, max;
	size_t bi;

	printf("%-22s", what);
	for (bi = 0; bi < NR_BACKINGS; bi++) {
		stats(bi, off, &med[bi], &min, &max);
		printf(" %9.1f (%7.1f-%7.1f)", med[bi], min, max);
	}
	printf("\n%-22s", "  6.12 / backing");
	for (bi = 0; bi < NR_BACKINGS; bi++)
		printf(" %25.1fx", med[NR_BACKINGS - 1] / (med[bi] ? med[bi] : 1e-3));
	printf("\n");
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
	size_t bi;
	int nid, r;

	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_GPOOL);
	nid = node_with_free_1g();
	TEST_REQUIRE(nid >= 0);

	printf("gpool_bench: 1 GiB of private guest memory, %d interleaved rounds, pool node %d\n",
	       ROUNDS, nid);
	for (r = 0; r < ROUNDS; r++) {
		for (bi = 0; bi < NR_BACKINGS; bi++) {
			run_one(&backings[bi], nid, &samples[bi][r]);
			printf("# round %d %-8s touch %9.1f ms, %7lu faults, punch %8.1f ms, close %8.1f ms\n",
			       r + 1, backings[bi].name, samples[bi][r].touch_ms,
			       samples[bi][r].faults, samples[bi][r].punch_ms,
			       samples[bi][r].close_ms);
			fflush(stdout);
		}
	}

	printf("\n%-22s", "ms: median (min-max)");
	for (bi = 0; bi < NR_BACKINGS; bi++)
		printf(" %25s", backings[bi].name);
	printf("\n");
	print_row("touch 1 GiB", offsetof(struct sample, touch_ms));
	print_row("PUNCH_HOLE 1 GiB", offsetof(struct sample, punch_ms));
	print_row("close 1 GiB file", offsetof(struct sample, close_ms));
	printf("%-22s", "KVM faults (round 1)");
	for (bi = 0; bi < NR_BACKINGS; bi++)
		printf(" %25lu", samples[bi][0].faults);
	printf("\n%-22s", "pages 4k/2m/1g");
	for (bi = 0; bi < NR_BACKINGS; bi++) {
		char m[32];

		snprintf(m, sizeof(m), "%lu/%lu/%lu", samples[bi][0].pages_4k,
			 samples[bi][0].pages_2m, samples[bi][0].pages_1g);
		printf(" %25s", m);
	}
	printf("\n");
	host_table(nid);
	conv_table(nid);
	return 0;
}
