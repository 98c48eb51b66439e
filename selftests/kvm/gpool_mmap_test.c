// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_mmap_test: host mmap() of guest_memfd, as 6.18 defines it, on the
 * page cache ("plain": created without GUEST_MEMFD_FLAG_GPOOL, which is
 * pool memory too in a default-backing boot) and on the pool ("pool").
 *
 * Built with the upstream KVM selftest library (scripts/guest-image.sh).
 * Every case runs for both backings, on an ordinary VM (KVM_X86_DEFAULT_VM):
 *
 * mmap_supported     MMAP | INIT_SHARED: write, read back, a punched page
 *                    reads zero and the rest is kept (6.18's test);
 * fault_overflow     a fault past the file's size is SIGBUS;
 * fault_private      MMAP without INIT_SHARED: every access is SIGBUS;
 * mmap_cow           MAP_PRIVATE is EINVAL;
 * mmap_not_supported without MMAP, mmap() is ENODEV;
 * file_size          st_size and st_blksize;
 * collapse           MADV_HUGEPAGE works, MADV_COLLAPSE is EINVAL (6.18);
 *                    MADV_DONTNEED refaults the page cache and is EINVAL
 *                    on the pool's pfn mapping;
 * guest              the host writes through the mapping, a vCPU over a
 *                    guest_memfd-only memslot reads it and writes back, the
 *                    host reads that (6.18's guest test);
 * host_1g, host_2m,  the host faults a file in through the mapping: the
 * host_4k            pool maps a 1G unit with one PUD, a 2M unit with one
 *                    PMD (per-file counters, and the process's own fault
 *                    count); the page cache with 4K pages;
 * gmem_only_1g       a vCPU over a guest_memfd-only memslot of 1 GiB:
 *                    pages_1g is 1 on the pool;
 * plain_slot_1g      a vCPU over an ordinary memslot whose userspace_addr
 *                    is the mapping (QEMU's guest-memfd=on path): pages_1g
 *                    is 1 on the pool, since KVM follows the host's PUD;
 * punch_mapped       a punch inside a mapped 1G unit unmaps all of it from
 *                    the host, the hole reads zero, the rest is kept;
 * fork               a child shares the mapping; a punch in the parent
 *                    unmaps the child's view too (it reads zero);
 * vmsplice           the page cache can be pinned through the mapping; the
 *                    pool cannot (EFAULT: pfn mappings have no pages);
 * close_mapped       closing the fd keeps a mapping working; the memory
 *                    goes back to the pool at munmap();
 * mbind              mbind() of the mapping: the page cache takes a
 *                    policy (6.19); the pool refuses one (EOPNOTSUPP: its
 *                    placement is the file's creation policy), and both
 *                    take MPOL_DEFAULT.
 *
 * The pool's accounting is the same after every case.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/falloc.h>
#include <linux/gpool.h>
#include <linux/mempolicy.h>
#include <sys/syscall.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "gpool_util.h"
#include "gpool_stamp.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25	/* glibc 2.36 lacks it; <linux/mman.h> has it */
#endif

#define DATA_SLOT	10
#define DATA_GPA	(4ULL << 30)	/* 1G-aligned */
#define PAGE		4096UL
#define SHARED		(GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED)

static bool pool;	/* the backing of the current pass */
static int nid = -1;	/* a node with a free 1G unit, for "pool" */
static int ctl_fd = -1;	/* /dev/gpool */

/* A guest_memfd of @vm: pool-backed (bound to @nid) on the "pool" pass. */
static int gmem_create(struct kvm_vm *vm, uint64_t size, uint64_t flags,
		       unsigned int shift)
{
	return gpool_gmem_create(vm, size, flags, pool, shift, nid);
}

static bool file_info(uint64_t size, struct gpool_file_info *out)
{
	return gpool_file_info_of(ctl_fd, size, out);
}

/* Is @fd's memory in the pool?  Also in a default-backing boot, "plain". */
static bool pool_backed(uint64_t size)
{
	struct gpool_file_info fi;

	return ctl_fd >= 0 && file_info(size, &fi);
}

static uint64_t pool_allocated(void)
{
	return ctl_fd < 0 ? 0 : gpool_node_held(nid);
}

/* The guest's stamps, at DATA_GPA (gpool_stamp.h). */
static uint64_t run_cmd(struct kvm_vcpu *vcpu, uint64_t op, uint64_t size,
			uint64_t pattern)
{
	return gpool_stamp_run(vcpu, op, DATA_GPA, 0, size, pattern);
}

/* ---- the cases ---- */

static struct kvm_vm *vm_plain(void)
{
	return vm_create_barebones();
}

static void test_mmap_supported(void)
{
	struct kvm_vm *vm = vm_plain();
	uint64_t size = 4 * PAGE;
	int fd = gmem_create(vm, size, SHARED, GPOOL_FOLIO_SHIFT_4K);
	char *m = gpool_map_shared(fd, size);
	uint64_t i;

	memset(m, 0xaa, size);
	for (i = 0; i < size; i++)
		TEST_ASSERT_EQ((uint8_t)m[i], 0xaa);
	gpool_punch(fd, 0, PAGE);
	for (i = 0; i < size; i++)
		TEST_ASSERT_EQ((uint8_t)m[i], i < PAGE ? 0 : 0xaa);
	memset(m, 0x55, size);
	for (i = 0; i < size; i++)
		TEST_ASSERT_EQ((uint8_t)m[i], 0x55);
	munmap(m, size);
	close(fd);
	kvm_vm_free(vm);
}

static void test_fault_overflow(void)
{
	struct kvm_vm *vm = vm_plain();
	uint64_t size = 4 * PAGE, i;
	int fd = gmem_create(vm, size, SHARED, GPOOL_FOLIO_SHIFT_4K);
	char *m = mmap(NULL, 4 * size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	TEST_ASSERT(m != MAP_FAILED, "mmap of 4x the size: %s", strerror(errno));
	for (i = 0; i < 4 * size; i += PAGE)
		TEST_ASSERT(gpool_access_sigbus(m + i, true) == (i >= size),
			    "write at %#lx of a %#lx-byte file", i, size);
	munmap(m, 4 * size);
	close(fd);
	kvm_vm_free(vm);
}

static void test_fault_private(void)
{
	struct kvm_vm *vm = vm_plain();
	uint64_t size = 4 * PAGE, i;
	int fd = gmem_create(vm, size, GUEST_MEMFD_FLAG_MMAP,
			     GPOOL_FOLIO_SHIFT_4K);
	char *m = gpool_map_shared(fd, size);

	for (i = 0; i < size; i += PAGE) {
		TEST_ASSERT(gpool_access_sigbus(m + i, false), "read of private %#lx", i);
		TEST_ASSERT(gpool_access_sigbus(m + i, true), "write of private %#lx", i);
	}
	munmap(m, size);
	close(fd);
	kvm_vm_free(vm);
}

static void test_mmap_cow(void)
{
	struct kvm_vm *vm = vm_plain();
	int fd = gmem_create(vm, 4 * PAGE, SHARED, GPOOL_FOLIO_SHIFT_4K);
	void *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

	TEST_ASSERT(m == MAP_FAILED && errno == EINVAL,
		    "MAP_PRIVATE must fail with EINVAL: %p, %s", m, strerror(errno));
	close(fd);
	kvm_vm_free(vm);
}

static void test_mmap_not_supported(void)
{
	struct kvm_vm *vm = vm_plain();
	int fd = gmem_create(vm, 4 * PAGE, 0, GPOOL_FOLIO_SHIFT_4K);
	void *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	TEST_ASSERT(m == MAP_FAILED && errno == ENODEV,
		    "mmap without GUEST_MEMFD_FLAG_MMAP must fail with ENODEV: %p, %s",
		    m, strerror(errno));
	close(fd);
	kvm_vm_free(vm);
}

/*
 * As 6.18's test: MADV_HUGEPAGE is accepted, MADV_COLLAPSE is EINVAL (no
 * collapsing beyond what is shared).  MADV_DONTNEED then refaults on the
 * page cache; a pool mapping is a pfn mapping, which refuses it (EINVAL):
 * punch instead.
 */
static void test_collapse(void)
{
	uint64_t size = 4ULL << 20;
	struct kvm_vm *vm = vm_plain();
	int fd = gmem_create(vm, size, SHARED, GPOOL_FOLIO_SHIFT_2M);
	char *m = gpool_map_shared(fd, size);
	bool in_pool = pool_backed(size);
	int r;

	memset(m, 0x33, size);
	TEST_ASSERT(!madvise(m, size, MADV_HUGEPAGE), "MADV_HUGEPAGE: %s",
		    strerror(errno));
	r = madvise(m, size, MADV_COLLAPSE);
	TEST_ASSERT(r == -1 && errno == EINVAL,
		    "MADV_COLLAPSE must fail with EINVAL: %d, %s", r, strerror(errno));
	r = madvise(m, size, MADV_DONTNEED);
	if (in_pool)
		TEST_ASSERT(r == -1 && errno == EINVAL,
			    "MADV_DONTNEED of a pfn mapping: %d, %s", r, strerror(errno));
	else
		TEST_ASSERT(!r, "MADV_DONTNEED: %s", strerror(errno));
	/* The memory is the file's either way: the data is still there. */
	TEST_ASSERT_EQ((uint8_t)m[size - 1], 0x33);
	munmap(m, size);
	close(fd);
	kvm_vm_free(vm);
}

static void test_file_size(void)
{
	struct kvm_vm *vm = vm_plain();
	int fd = gmem_create(vm, 4 * PAGE, SHARED, GPOOL_FOLIO_SHIFT_4K);
	struct stat st;

	TEST_ASSERT(!fstat(fd, &st), "fstat: %s", strerror(errno));
	TEST_ASSERT_EQ(st.st_size, 4 * PAGE);
	TEST_ASSERT_EQ(st.st_blksize, PAGE);
	close(fd);
	kvm_vm_free(vm);
}

/*
 * An ordinary VM with @size bytes at DATA_GPA from a shared guest_memfd:
 * bound to the memslot (guest_memfd-only) or, with @plain_slot, only
 * mapped at the memslot's userspace_addr, as QEMU's guest-memfd=on does.
 */
static void mvm_create(struct stamp_vm *t, uint64_t size, unsigned int shift,
		       bool plain_slot)
{
	t->vm = vm_create_with_one_vcpu(&t->vcpu, stamp_guest_code);
	t->size = size;
	t->fd = gmem_create(t->vm, size, SHARED, shift);
	stamp_vm_bind(t, DATA_SLOT, DATA_GPA, plain_slot);
}

static void test_guest(void)
{
	struct stamp_vm t;
	uint64_t size = 4ULL << 20;

	mvm_create(&t, size, GPOOL_FOLIO_SHIFT_2M, false);
	host_write(t.map, 0, size, 0xaa00000000000000ULL);
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, STAMP_CHECK, size, 0xaa00000000000000ULL));
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, STAMP_WRITE, size, 0xff00000000000000ULL));
	TEST_ASSERT_EQ(0, host_bad(t.map, 0, size, 0xff00000000000000ULL));
	/* A fresh mapping sees the same memory (6.18 maps it again). */
	munmap(t.map, size);
	t.map = gpool_map_shared(t.fd, size);
	TEST_ASSERT_EQ(0, host_bad(t.map, 0, size, 0xff00000000000000ULL));
	stamp_vm_free(&t);
}

/*
 * Fault a whole file in through the mapping: what the pool mapped it with,
 * as the file's counters and this process's minor faults tell.
 */
static void test_host_file(struct kvm_vm *vm, uint64_t size, unsigned int shift)
{
	int fd = gmem_create(vm, size, SHARED, shift);
	uint64_t *m = gpool_map_shared(fd, size), want[GPOOL_NR_SIZES] = { 0 };
	int lvl, s;
	struct gpool_file_info fi;
	struct rusage r0, r1;
	long faults;

	/* What backs the file: the shift asked, or the default backing's. */
	if (!pool)
		shift = size >= (1ULL << 30) ? 30 : size >= (2ULL << 20) ? 21 : 12;
	lvl = gpool_size_of_shift(shift);
	TEST_ASSERT(!((uintptr_t)m & ((1ULL << shift) - 1)) || !pool_backed(size),
		    "a %lu-byte mapping at %p is not aligned to its unit", size, m);
	getrusage(RUSAGE_SELF, &r0);
	host_write(m, 0, size, 0x5a00000000000000ULL);
	getrusage(RUSAGE_SELF, &r1);
	faults = r1.ru_minflt - r0.ru_minflt;
	TEST_ASSERT_EQ(0, host_bad(m, 0, size, 0x5a00000000000000ULL));
	if (pool_backed(size)) {
		TEST_ASSERT(file_info(size, &fi), "file in LIST_FILES");
		want[lvl] = size >> shift;
		for (s = 0; s < GPOOL_NR_SIZES; s++)
			TEST_ASSERT(fi.host_maps[s] == want[s],
				    "%lu-byte file of %s units: %llu host mappings of %s, want %lu",
				    size, gpool_size_name[lvl],
				    (unsigned long long)fi.host_maps[s],
				    gpool_size_name[s], want[s]);
		TEST_ASSERT_EQ(fi.file_flags & (GPOOL_FILE_F_MMAP | GPOOL_FILE_F_SHARED),
			       GPOOL_FILE_F_MMAP | GPOOL_FILE_F_SHARED);
		/* One fault per unit, give or take the test's own. */
		TEST_ASSERT(faults <= (long)(size >> shift) + 8,
			    "%ld faults to touch %lu bytes of %s units", faults,
			    size, gpool_size_name[lvl]);
	} else {
		TEST_ASSERT(faults >= (long)(size / PAGE),
			    "page cache: %ld faults for %lu pages", faults,
			    size / PAGE);
	}
	munmap(m, size);
	close(fd);
}

static void test_host(uint64_t size, unsigned int shift)
{
	struct kvm_vm *vm = vm_plain();

	/* 4K page-cache faults are slow under emulation: 16 MiB show them. */
	if (!pool && size > (16ULL << 20))
		size = 16ULL << 20;
	test_host_file(vm, size, shift);
	kvm_vm_free(vm);
}

static void test_host_1g(void)
{
	test_host(1ULL << 30, GPOOL_FOLIO_SHIFT_1G);
}

static void test_host_2m(void)
{
	test_host(8ULL << 20, GPOOL_FOLIO_SHIFT_2M);
}

static void test_host_4k(void)
{
	test_host(64ULL << 10, GPOOL_FOLIO_SHIFT_4K);
}

/* A vCPU over 1 GiB of a shared guest_memfd: one 1G SPTE on the pool. */
static void test_vcpu_1g(bool plain_slot)
{
	uint64_t size = pool ? 1ULL << 30 : 64ULL << 20;
	struct stamp_vm t;

	mvm_create(&t, size, GPOOL_FOLIO_SHIFT_1G, plain_slot);
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, STAMP_WRITE, size, 0x3c00000000000000ULL));
	TEST_ASSERT_EQ(0, run_cmd(t.vcpu, STAMP_CHECK, size, 0x3c00000000000000ULL));
	TEST_ASSERT_EQ(0, host_bad(t.map, 0, size, 0x3c00000000000000ULL));
	if (pool)
		TEST_ASSERT(vm_get_stat(t.vm, "pages_1g") == 1,
			    "%s memslot over 1 GiB of pool memory: pages_1g %lu, pages_2m %lu",
			    plain_slot ? "plain" : "guest_memfd-only",
			    vm_get_stat(t.vm, "pages_1g"),
			    vm_get_stat(t.vm, "pages_2m"));
	else
		TEST_ASSERT_EQ(0, vm_get_stat(t.vm, "pages_1g"));
	stamp_vm_free(&t);
}

static void test_gmem_only_1g(void)
{
	test_vcpu_1g(false);
}

static void test_plain_slot_1g(void)
{
	test_vcpu_1g(true);
}

static void test_punch_mapped(void)
{
	uint64_t size = pool ? 1ULL << 30 : 8ULL << 20;
	uint64_t hole = 2ULL << 20, hsize = 4 * PAGE;
	struct kvm_vm *vm = vm_plain();
	int fd = gmem_create(vm, size, SHARED, GPOOL_FOLIO_SHIFT_1G);
	uint64_t *m = gpool_map_shared(fd, size);
	struct gpool_file_info fi;

	host_write(m, 0, size, 0x7100000000000000ULL);
	gpool_punch(fd, hole, hsize);
	TEST_ASSERT_EQ(0, host_bad(m, 0, hole, 0x7100000000000000ULL));
	TEST_ASSERT_EQ(0, host_bad(m, hole, hsize, 0));
	TEST_ASSERT_EQ(0, host_bad(m, hole + hsize, size - hole - hsize,
				   0x7100000000000000ULL));
	if (pool) {
		/* The 1G PUD went; the rest came back at 2M and 4K. */
		TEST_ASSERT(file_info(size, &fi), "file in LIST_FILES");
		TEST_ASSERT_EQ(1, fi.host_maps[GPOOL_SIZE_1G]);
		TEST_ASSERT_EQ(511, fi.host_maps[GPOOL_SIZE_2M]);
		TEST_ASSERT_EQ(512, fi.host_maps[GPOOL_SIZE_4K]);
	}
	munmap(m, size);
	close(fd);
	kvm_vm_free(vm);
}

static void test_fork(void)
{
	uint64_t size = 4ULL << 20;
	struct kvm_vm *vm = vm_plain();
	int fd = gmem_create(vm, size, SHARED, GPOOL_FOLIO_SHIFT_2M);
	uint64_t *m = gpool_map_shared(fd, size);
	int to_child[2], to_parent[2], status;
	char c = 0;
	pid_t pid;

	host_write(m, 0, size, 0x1100000000000000ULL);
	TEST_ASSERT(!pipe(to_child) && !pipe(to_parent), "pipe");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		/* The child sees the parent's data, writes its own. */
		if (host_bad(m, 0, size, 0x1100000000000000ULL))
			_exit(1);
		host_write(m, 0, size, 0x2200000000000000ULL);
		if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(2);
		/* The parent punched everything: this view is gone too. */
		_exit(host_bad(m, 0, size, 0) ? 3 : 0);
	}
	TEST_ASSERT_EQ(1, read(to_parent[0], &c, 1));
	TEST_ASSERT_EQ(0, host_bad(m, 0, size, 0x2200000000000000ULL));
	gpool_punch(fd, 0, size);
	TEST_ASSERT_EQ(1, write(to_child[1], &c, 1));
	TEST_ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
		    "child: status %#x (1: parent's data missing, 3: stale after punch)",
		    status);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	munmap(m, size);
	close(fd);
	kvm_vm_free(vm);
}

static void test_vmsplice(void)
{
	uint64_t size = 2ULL << 20;
	struct kvm_vm *vm = vm_plain();
	int fd = gmem_create(vm, size, SHARED, GPOOL_FOLIO_SHIFT_2M);
	char *m = gpool_map_shared(fd, size);
	struct iovec iov = { .iov_base = m, .iov_len = PAGE };
	int p[2];
	bool in_pool = pool_backed(size);
	ssize_t n;
	int err;

	memset(m, 0x42, size);
	TEST_ASSERT(!pipe(p), "pipe");
	n = vmsplice(p[1], &iov, 1, 0);
	err = errno;
	if (in_pool)
		TEST_ASSERT(n < 0 && err == EFAULT,
			    "vmsplice of pool memory: %zd (%s), want EFAULT", n,
			    n < 0 ? strerror(err) : "pinned");
	else
		TEST_ASSERT(n == PAGE, "vmsplice of page-cache guest_memfd: %zd, %s",
			    n, strerror(err));
	close(p[0]);
	close(p[1]);
	/* The page is still there, whatever vmsplice did. */
	TEST_ASSERT_EQ((uint8_t)m[0], 0x42);
	munmap(m, size);
	close(fd);
	kvm_vm_free(vm);
}

static void test_close_mapped(void)
{
	uint64_t size = 4ULL << 20, before = pool_allocated();
	struct kvm_vm *vm = vm_plain();
	int fd = gmem_create(vm, size, SHARED, GPOOL_FOLIO_SHIFT_2M);
	uint64_t *m = gpool_map_shared(fd, size);
	bool in_pool = pool_backed(size);

	host_write(m, 0, size, 0x6600000000000000ULL);
	close(fd);
	kvm_vm_free(vm);
	/* The mapping keeps the file, and the file the memory. */
	TEST_ASSERT_EQ(0, host_bad(m, 0, size, 0x6600000000000000ULL));
	if (in_pool)
		TEST_ASSERT(pool_allocated() > before, "memory went back while mapped");
	munmap(m, size);
	TEST_ASSERT_EQ(before, pool_allocated());
}

static long sys_mbind(void *addr, unsigned long len, int mode,
		      const unsigned long *nodes, unsigned long maxnode)
{
	return syscall(__NR_mbind, addr, len, mode, nodes, maxnode, 0);
}

static void test_mbind(void)
{
	uint64_t size = 4ULL << 20;
	struct kvm_vm *vm = vm_plain();
	int fd = gmem_create(vm, size, SHARED, GPOOL_FOLIO_SHIFT_2M);
	char *m = gpool_map_shared(fd, size);
	unsigned long node0 = 1;
	bool in_pool = pool_backed(size);
	long r;

	r = sys_mbind(m, size, MPOL_BIND, &node0, 8 * sizeof(node0));
	if (in_pool)
		TEST_ASSERT(r == -1 && errno == EOPNOTSUPP,
			    "mbind(MPOL_BIND) of a pool mapping: %ld (%s), want EOPNOTSUPP",
			    r, r ? strerror(errno) : "accepted");
	else
		TEST_ASSERT(!r, "mbind(MPOL_BIND) of page-cache guest_memfd: %s",
			    strerror(errno));
	TEST_ASSERT(!sys_mbind(m, size, MPOL_DEFAULT, NULL, 0),
		    "mbind(MPOL_DEFAULT): %s", strerror(errno));
	memset(m, 0x5c, size);
	TEST_ASSERT_EQ((uint8_t)m[size - 1], 0x5c);
	munmap(m, size);
	close(fd);
	kvm_vm_free(vm);
}

static const struct {
	const char *name;
	void (*fn)(void);
	bool pool_needs_1g;
} cases[] = {
	{ "mmap_supported", test_mmap_supported },
	{ "fault_overflow", test_fault_overflow },
	{ "fault_private", test_fault_private },
	{ "mmap_cow", test_mmap_cow },
	{ "mmap_not_supported", test_mmap_not_supported },
	{ "file_size", test_file_size },
	{ "collapse", test_collapse },
	{ "guest", test_guest },
	{ "host_1g", test_host_1g, true },
	{ "host_2m", test_host_2m },
	{ "host_4k", test_host_4k },
	{ "gmem_only_1g", test_gmem_only_1g, true },
	{ "plain_slot_1g", test_plain_slot_1g, true },
	{ "punch_mapped", test_punch_mapped, true },
	{ "fork", test_fork },
	{ "vmsplice", test_vmsplice },
	{ "close_mapped", test_close_mapped },
	{ "mbind", test_mbind },
};

#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
	unsigned int i, p;
	uint64_t before;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_MMAP);
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_GPOOL);
	nid = node_with_free_1g();
	TEST_REQUIRE(nid >= 0);
	ctl_fd = open("/dev/gpool", O_RDONLY);
	TEST_ASSERT(ctl_fd >= 0, "open /dev/gpool: %s", strerror(errno));
	ksft_set_plan(2 * NR_CASES);

	for (p = 0; p < 2; p++) {
		pool = p;
		for (i = 0; i < NR_CASES; i++) {
			before = pool_allocated();
			cases[i].fn();
			TEST_ASSERT(pool_allocated() == before,
				    "%s.%s: the pool's allocated+reserved went from %lu to %lu",
				    pool ? "pool" : "plain", cases[i].name, before,
				    pool_allocated());
			ksft_test_result_pass("%s.%s\n", pool ? "pool" : "plain",
					      cases[i].name);
		}
	}
	close(ctl_fd);
	ksft_finished();
}
