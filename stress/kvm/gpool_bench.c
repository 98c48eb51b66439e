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
 * Pool memory is measured pre-zeroed: before each pool round the
 * benchmark waits for the background zeroer to clear the pool, as a host
 * would between VMs.  A benchmark, not a test: it asserts only that each
 * step worked.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
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
	return 0;
}
