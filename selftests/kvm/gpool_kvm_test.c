// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_kvm_test: a vCPU over pool-backed guest_memfd.
 *
 * Built with the upstream KVM selftest library (scripts/guest-image.sh
 * links this file into tools/testing/selftests/kvm of the tree).
 *
 * huge_mappings   a guest touching 1 GiB of private pool memory is mapped
 *                 with one 1G SPTE (folio_shift 30) or 512 2M SPTEs (21);
 * convert_4k      one 4K page converted to shared and back: the 1G unit
 *                 splits, the shared page is the VMM's memory, the page
 *                 comes back zeroed, the unit merges again and the guest
 *                 is mapped with one 1G SPTE again;
 * no_leak_1g,     what one VM wrote is zero for the next VM, which gets
 * no_leak_2m,     the very same frames, as 1G, 2M or 4K units: the node's
 * no_leak_4k      free capacity proves that it does (test_no_leak()).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/falloc.h>
#include <linux/gpool.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "gpool_util.h"

#define DATA_SLOT	10
#define DATA_GPA	(4ULL << 30)	/* 1G-aligned */
#define DATA_SIZE	(1ULL << 30)
#define CONV_OFFSET	((2ULL << 20) + 4096)	/* a 4K page inside the 1G */
#define PATTERN_A	0x5a5a5a5a00000000ULL
#define PATTERN_B	0xc3c3c3c300000000ULL

enum { CMD_WRITE = 1, CMD_CHECK, CMD_WRITE_PAGE, CMD_ZERO_PAGE, CMD_COUNT_NONZERO };

/*
 * The guest: the host writes a command into the guest's copy of @cmd
 * (sync_global_to_guest()); the guest reports each one's result with
 * GUEST_SYNC(result).  Only
 * the first and last qword of every 4K page are written and checked: that
 * catches a wrong frame or stale data at every page without spending
 * seconds of emulated time on memset.
 */
struct cmd {
	uint64_t op, gpa, size, pattern;
};
static struct cmd cmd;

static uint64_t guest_run(struct cmd *c)
{
	uint64_t bad = 0, off;

	for (off = 0; off < c->size; off += 4096) {
		volatile uint64_t *first = (uint64_t *)(c->gpa + off);
		volatile uint64_t *last = (uint64_t *)(c->gpa + off + 4088);
		uint64_t want = c->pattern | (c->gpa + off);

		switch (c->op) {
		case CMD_WRITE:
		case CMD_WRITE_PAGE:
			*first = want;
			*last = ~want;
			break;
		case CMD_CHECK:
			bad += *first != want || *last != ~want;
			break;
		case CMD_ZERO_PAGE:
		case CMD_COUNT_NONZERO:
			bad += *first || *last;
			break;
		}
	}
	return bad;
}

static void guest_code(void)
{
	for (;;)
		GUEST_SYNC(guest_run(&cmd));
}

/* Run one command in the guest; returns its result. */
static uint64_t run_cmd(struct kvm_vcpu *vcpu, uint64_t op, uint64_t gpa,
			uint64_t size, uint64_t pattern)
{
	cmd = (struct cmd){ op, gpa, size, pattern };
	sync_global_to_guest(vcpu->vm, cmd);
	return gpool_vcpu_sync(vcpu);
}

struct test_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int gmem_fd;
	uint64_t size;		/* of the guest_memfd, at DATA_GPA */
	void *map;		/* mmap of twice the size, for alignment */
	uint64_t *shared;	/* the shared view, aligned like the GPA */
};

/* A pool-backed guest_memfd of @size bytes of @vm, bound to node @nid. */
static int gmem_create(struct kvm_vm *vm, uint64_t size, int nid,
		       unsigned int shift)
{
	struct gpool_create_guest_memfd args = {
		.size = size,
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = shift,
		.numa_mode = GPOOL_NUMA_BIND,
		.numa_nodes = 1ULL << nid,
	};
	int fd = __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);

	TEST_ASSERT(fd >= 0, "KVM_CREATE_GUEST_MEMFD with the pool, %lu bytes on "
		    "node %d: %s", size, nid, strerror(errno));
	return fd;
}

/*
 * A VM whose memory at DATA_GPA is @size bytes (a power of two, 2M at
 * least) of a pool-backed guest_memfd bound to @nid, all of it private.
 */
static void test_vm_create_size(struct test_vm *t, int nid, unsigned int shift,
				uint64_t size)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};

	t->vm = vm_create_shape_with_one_vcpu(shape, &t->vcpu, guest_code);
	t->gmem_fd = gmem_create(t->vm, size, nid, shift);
	t->size = size;
	/*
	 * KVM allows no huge mapping anywhere in a memslot whose shared view
	 * is not aligned like its GPA, so the view is aligned to its size
	 * (which vm_mem_add() cannot do for anonymous memory).
	 */
	t->map = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(t->map != MAP_FAILED, "mmap");
	t->shared = (uint64_t *)align_up((uint64_t)t->map, size);
	vm_set_user_memory_region2(t->vm, DATA_SLOT, KVM_MEM_GUEST_MEMFD,
				   DATA_GPA, size, t->shared, t->gmem_fd, 0);
	vm_mem_set_private(t->vm, DATA_GPA, size);
	virt_map_level(t->vm, DATA_GPA, DATA_GPA, size,
		       size >= DATA_SIZE ? PG_LEVEL_1G : PG_LEVEL_2M);
}

static void test_vm_create(struct test_vm *t, int nid, unsigned int shift)
{
	test_vm_create_size(t, nid, shift, DATA_SIZE);
}

static void test_vm_free(struct test_vm *t)
{
	kvm_vm_free(t->vm);
	close(t->gmem_fd);
	munmap(t->map, 2 * t->size);
}

static void gmem_fallocate(struct test_vm *t, uint64_t gpa, bool punch)
{
	int mode = FALLOC_FL_KEEP_SIZE | (punch ? FALLOC_FL_PUNCH_HOLE : 0);

	TEST_ASSERT(!fallocate(t->gmem_fd, mode, gpa - DATA_GPA, 4096),
		    "fallocate(%s): %s", punch ? "punch" : "allocate",
		    strerror(errno));
}

static void test_huge_mappings(int nid, unsigned int shift)
{
	struct test_vm t;

	test_vm_create(&t, nid, shift);
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_WRITE, DATA_GPA, DATA_SIZE, PATTERN_A));
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_CHECK, DATA_GPA, DATA_SIZE, PATTERN_A));
	if (shift == GPOOL_FOLIO_SHIFT_1G) {
		TEST_ASSERT_EQ(1, vm_get_stat(t.vm, "pages_1g"));
	} else {
		TEST_ASSERT_EQ(0, vm_get_stat(t.vm, "pages_1g"));
		TEST_ASSERT(vm_get_stat(t.vm, "pages_2m") >= 512,
			    "pages_2m = %lu", vm_get_stat(t.vm, "pages_2m"));
	}
	test_vm_free(&t);
}

static void test_convert_4k(int nid)
{
	uint64_t page = DATA_GPA + CONV_OFFSET, splits, merges;
	struct test_vm t;

	test_vm_create(&t, nid, GPOOL_FOLIO_SHIFT_1G);
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_WRITE, DATA_GPA, DATA_SIZE, PATTERN_A));
	TEST_ASSERT_EQ(1, vm_get_stat(t.vm, "pages_1g"));
	splits = pool_stat(nid, GPOOL_SIZE_1G, "nr_splits");
	merges = pool_stat(nid, GPOOL_SIZE_1G, "nr_merges");

	/* To shared, as QEMU does it: attributes, then punch the private page. */
	vm_mem_set_shared(t.vm, page, 4096);
	gmem_fallocate(&t, page, true);
	TEST_ASSERT_EQ(splits + 1, pool_stat(nid, GPOOL_SIZE_1G, "nr_splits"));
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_WRITE_PAGE, page, 4096, PATTERN_B));
	TEST_ASSERT_EQ(PATTERN_B | page, t.shared[CONV_OFFSET / 8]);
	/* The rest is still private, still pattern A, mapped smaller now. */
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_CHECK, DATA_GPA, CONV_OFFSET, PATTERN_A));
	TEST_ASSERT_EQ(0, vm_get_stat(t.vm, "pages_1g"));

	/* Back to private: the page is fresh memory, and the unit merges. */
	vm_mem_set_private(t.vm, page, 4096);
	gmem_fallocate(&t, page, false);
	TEST_ASSERT_EQ(merges + 1, pool_stat(nid, GPOOL_SIZE_1G, "nr_merges"));
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_ZERO_PAGE, page, 4096, 0));
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_WRITE_PAGE, page, 4096, PATTERN_A));
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_CHECK, DATA_GPA, DATA_SIZE, PATTERN_A));
	TEST_ASSERT_EQ(1, vm_get_stat(t.vm, "pages_1g"));
	test_vm_free(&t);
}

/* ---- no_leak: the node's free capacity, from GPOOL_IOC_NODE_STATS ---- */

static int gpool_fd = -1;

/* Node @nid's counters, all taken at one instant. */
static void node_stats(int nid, struct gpool_node_stats_args *s)
{
	memset(s, 0, sizeof(*s));
	s->node = nid;
	TEST_ASSERT(!ioctl(gpool_fd, GPOOL_IOC_NODE_STATS, s),
		    "GPOOL_IOC_NODE_STATS node %d: %s", nid, strerror(errno));
}

static uint64_t unit_bytes(int sz)
{
	return 4096ULL << (9 * sz);	/* GPOOL_SIZE_4K, _2M, _1G */
}

/* Free memory, promised or not: free units and units out with the zeroer. */
static uint64_t free_bytes(const struct gpool_node_stats_args *s)
{
	uint64_t b = 0;
	int sz;

	for (sz = 0; sz < GPOOL_NR_SIZES; sz++)
		b += (s->size[sz].free + s->size[sz].zeroing) * unit_bytes(sz);
	return b;
}

/*
 * Free memory nobody was promised, in bytes: what one more file could
 * reserve on the node in 4K units (the capacity invariant of pool/resv.c,
 * a free larger unit counting for 512 smaller ones).
 */
static uint64_t unpromised_bytes(const struct gpool_node_stats_args *s)
{
	int64_t h = 0;
	int sz;

	for (sz = GPOOL_NR_SIZES - 1; sz >= 0; sz--)
		h = (int64_t)(s->size[sz].free + s->size[sz].zeroing) -
		    (int64_t)s->size[sz].reserved + (h > 0 ? h * 512 : 0);
	return h > 0 ? h * 4096 : 0;
}

/* The free memory of node @nid, and (if @alloc) its allocated units by size. */
static uint64_t node_free(int nid, uint64_t *alloc)
{
	struct gpool_node_stats_args s;
	int sz;

	node_stats(nid, &s);
	for (sz = 0; alloc && sz < GPOOL_NR_SIZES; sz++)
		alloc[sz] = s.size[sz].allocated;
	return free_bytes(&s);
}

/*
 * @t's guest touched all its memory: the node has nothing free left, and
 * the units the touch allocated (counted from @alloc) are all of @t's
 * memory, in units of @sz and no other size.
 */
static void assert_took_all(struct test_vm *t, int nid, int sz,
			    const uint64_t *alloc, const char *who)
{
	uint64_t now[GPOOL_NR_SIZES];
	int i;

	TEST_ASSERT_EQ(0, node_free(nid, now));
	for (i = 0; i < GPOOL_NR_SIZES; i++)
		TEST_ASSERT(now[i] - alloc[i] == (i == sz ? t->size / unit_bytes(sz) : 0),
			    "%s: %lu more allocated units of size %d, expected %lu",
			    who, now[i] - alloc[i], i,
			    i == sz ? t->size / unit_bytes(sz) : 0);
}

/*
 * What VM 1 wrote must not show in VM 2, and VM 2 must really have VM 1's
 * frames, or reading zero proves nothing.  No interface names the frames
 * a file got, so the test makes the node's free memory say it:
 *
 *   1. VM 1's file, bound to @nid, reserves @size bytes of units of @sz.
 *   2. A filler file, bound to @nid too, reserves every byte of the
 *      node nobody was promised and allocates it (fallocate): now the
 *      only free memory on the node is VM 1's promise, @size bytes.
 *   3. VM 1's guest writes all its memory: the node has no free memory
 *      left, and VM 1 took @size bytes of units of @sz.
 *   4. VM 1 goes: the node's free memory is @size bytes again, and since
 *      the filler still holds all the rest, they are VM 1's frames.
 *   5. VM 2's file of @size bytes, bound to @nid, and its guest reads all
 *      of it: the node has no free memory left, so VM 2 holds exactly the
 *      frames VM 1 held, every one of them, as units of @sz.
 *
 * Frames do not move and nothing else allocates on the node while the
 * test runs (the runner runs one test at a time; every other VM memory
 * here is anonymous), so each frame VM 1 wrote backs some page of VM 2,
 * whose guest checks the first and last qword of every page.  The frames
 * may come back cleared on the fault path or by the background zeroer;
 * either way not one qword of VM 1 may show.
 */
static void test_no_leak(int nid, unsigned int shift, uint64_t size)
{
	int sz = shift == GPOOL_FOLIO_SHIFT_1G ? GPOOL_SIZE_1G :
		 shift == GPOOL_FOLIO_SHIFT_2M ? GPOOL_SIZE_2M : GPOOL_SIZE_4K;
	uint64_t alloc[GPOOL_NR_SIZES], filler_size, avail;
	struct gpool_node_stats_args s;
	struct kvm_vm *holder;
	struct test_vm t;
	int filler = -1;

	/* 1, 2. */
	test_vm_create_size(&t, nid, shift, size);
	node_stats(nid, &s);
	filler_size = unpromised_bytes(&s);
	holder = vm_create_barebones_type(KVM_X86_SW_PROTECTED_VM);
	if (filler_size) {
		filler = gmem_create(holder, filler_size, nid, GPOOL_FOLIO_SHIFT_1G);
		TEST_ASSERT(!fallocate(filler, FALLOC_FL_KEEP_SIZE, 0, filler_size),
			    "fallocate of the %lu-byte filler: %s", filler_size,
			    strerror(errno));
	}
	avail = node_free(nid, alloc);
	TEST_ASSERT(avail == size, "with the filler in, node %d has %lu bytes "
		    "free, expected VM 1's %lu alone", nid, avail, size);

	/* 3, 4. */
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_WRITE, DATA_GPA, size, PATTERN_A));
	assert_took_all(&t, nid, sz, alloc, "VM 1");
	test_vm_free(&t);
	avail = node_free(nid, alloc);
	TEST_ASSERT(avail == size, "after VM 1, node %d has %lu bytes free, "
		    "expected VM 1's %lu", nid, avail, size);

	/* 5. */
	test_vm_create_size(&t, nid, shift, size);
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_COUNT_NONZERO, DATA_GPA, size, 0));
	assert_took_all(&t, nid, sz, alloc, "VM 2");
	test_vm_free(&t);

	if (filler >= 0)
		close(filler);
	kvm_vm_free(holder);
}

int main(void)
{
	uint64_t alloc_before;
	int nid;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_GPOOL);
	nid = node_with_free_1g();
	TEST_REQUIRE(nid >= 0);
	gpool_fd = open("/dev/gpool", O_RDONLY);
	TEST_ASSERT(gpool_fd >= 0, "open /dev/gpool: %s", strerror(errno));
	ksft_set_plan(6);
	alloc_before = pool_stat(nid, GPOOL_SIZE_1G, "allocated") +
		       pool_stat(nid, GPOOL_SIZE_2M, "allocated") +
		       pool_stat(nid, GPOOL_SIZE_4K, "allocated");

	test_huge_mappings(nid, GPOOL_FOLIO_SHIFT_1G);
	ksft_test_result_pass("huge_mappings_1g\n");
	test_huge_mappings(nid, GPOOL_FOLIO_SHIFT_2M);
	ksft_test_result_pass("huge_mappings_2m\n");
	test_convert_4k(nid);
	ksft_test_result_pass("convert_4k\n");
	test_no_leak(nid, GPOOL_FOLIO_SHIFT_1G, DATA_SIZE);
	ksft_test_result_pass("no_leak_1g\n");
	test_no_leak(nid, GPOOL_FOLIO_SHIFT_2M, 64ULL << 20);
	ksft_test_result_pass("no_leak_2m\n");
	test_no_leak(nid, GPOOL_FOLIO_SHIFT_4K, 8ULL << 20);
	ksft_test_result_pass("no_leak_4k\n");

	TEST_ASSERT_EQ(alloc_before, pool_stat(nid, GPOOL_SIZE_1G, "allocated") +
		       pool_stat(nid, GPOOL_SIZE_2M, "allocated") +
		       pool_stat(nid, GPOOL_SIZE_4K, "allocated"));
	ksft_finished();
}
