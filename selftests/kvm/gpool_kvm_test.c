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
 * no_leak         what one VM wrote is zero for the next VM that gets the
 *                 same frames.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	struct ucall uc;

	cmd = (struct cmd){ op, gpa, size, pattern };
	sync_global_to_guest(vcpu->vm, cmd);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		return uc.args[1];
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("unexpected ucall %lu", uc.cmd);
	}
	return ~0ULL;
}

struct test_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int gmem_fd;
	void *map;		/* mmap of twice the size, for alignment */
	uint64_t *shared;	/* the shared view, aligned like the GPA */
};

static void test_vm_create(struct test_vm *t, int nid, unsigned int shift)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	struct gpool_create_guest_memfd args = {
		.size = DATA_SIZE,
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = shift,
		.numa_mode = GPOOL_NUMA_BIND,
		.numa_nodes = 1ULL << nid,
	};

	t->vm = vm_create_shape_with_one_vcpu(shape, &t->vcpu, guest_code);
	t->gmem_fd = __vm_ioctl(t->vm, KVM_CREATE_GUEST_MEMFD, &args);
	TEST_ASSERT(t->gmem_fd >= 0, "KVM_CREATE_GUEST_MEMFD with the pool: %s",
		    strerror(errno));
	/*
	 * KVM allows no huge mapping anywhere in a memslot whose shared view
	 * is not aligned like its GPA, so the view is 1G-aligned (which
	 * vm_mem_add() cannot do for anonymous memory).
	 */
	t->map = mmap(NULL, 2 * DATA_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(t->map != MAP_FAILED, "mmap");
	t->shared = (uint64_t *)align_up((uint64_t)t->map, DATA_SIZE);
	vm_set_user_memory_region2(t->vm, DATA_SLOT, KVM_MEM_GUEST_MEMFD,
				   DATA_GPA, DATA_SIZE, t->shared, t->gmem_fd, 0);
	vm_mem_set_private(t->vm, DATA_GPA, DATA_SIZE);
	virt_map_level(t->vm, DATA_GPA, DATA_GPA, DATA_SIZE, PG_LEVEL_1G);
}

static void test_vm_free(struct test_vm *t)
{
	kvm_vm_free(t->vm);
	close(t->gmem_fd);
	munmap(t->map, 2 * DATA_SIZE);
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
	splits = pool_stat(nid, "1G", "nr_splits");
	merges = pool_stat(nid, "1G", "nr_merges");

	/* To shared, as QEMU does it: attributes, then punch the private page. */
	vm_mem_set_shared(t.vm, page, 4096);
	gmem_fallocate(&t, page, true);
	TEST_ASSERT_EQ(splits + 1, pool_stat(nid, "1G", "nr_splits"));
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_WRITE_PAGE, page, 4096, PATTERN_B));
	TEST_ASSERT_EQ(PATTERN_B | page, t.shared[CONV_OFFSET / 8]);
	/* The rest is still private, still pattern A, mapped smaller now. */
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_CHECK, DATA_GPA, CONV_OFFSET, PATTERN_A));
	TEST_ASSERT_EQ(0, vm_get_stat(t.vm, "pages_1g"));

	/* Back to private: the page is fresh memory, and the unit merges. */
	vm_mem_set_private(t.vm, page, 4096);
	gmem_fallocate(&t, page, false);
	TEST_ASSERT_EQ(merges + 1, pool_stat(nid, "1G", "nr_merges"));
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_ZERO_PAGE, page, 4096, 0));
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_WRITE_PAGE, page, 4096, PATTERN_A));
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_CHECK, DATA_GPA, DATA_SIZE, PATTERN_A));
	TEST_ASSERT_EQ(1, vm_get_stat(t.vm, "pages_1g"));
	test_vm_free(&t);
}

static void test_no_leak(int nid)
{
	struct test_vm t;

	test_vm_create(&t, nid, GPOOL_FOLIO_SHIFT_1G);
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_WRITE, DATA_GPA, DATA_SIZE, PATTERN_A));
	test_vm_free(&t);

	/*
	 * The frames may come back cleared on the fault path or by the
	 * background zeroer; either way not one qword of VM 1 may show.
	 */
	test_vm_create(&t, nid, GPOOL_FOLIO_SHIFT_1G);
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, CMD_COUNT_NONZERO, DATA_GPA, DATA_SIZE, 0));
	test_vm_free(&t);
}

int main(void)
{
	uint64_t alloc_before;
	int nid;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_GPOOL);
	nid = node_with_free_1g();
	TEST_REQUIRE(nid >= 0);
	ksft_set_plan(4);
	alloc_before = pool_stat(nid, "1G", "allocated") + pool_stat(nid, "2M", "allocated") +
		       pool_stat(nid, "4K", "allocated");

	test_huge_mappings(nid, GPOOL_FOLIO_SHIFT_1G);
	ksft_test_result_pass("huge_mappings_1g\n");
	test_huge_mappings(nid, GPOOL_FOLIO_SHIFT_2M);
	ksft_test_result_pass("huge_mappings_2m\n");
	test_convert_4k(nid);
	ksft_test_result_pass("convert_4k\n");
	test_no_leak(nid);
	ksft_test_result_pass("no_leak\n");

	TEST_ASSERT_EQ(alloc_before, pool_stat(nid, "1G", "allocated") +
		       pool_stat(nid, "2M", "allocated") + pool_stat(nid, "4K", "allocated"));
	ksft_finished();
}
