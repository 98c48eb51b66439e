// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_conv_test: in-place conversion between shared and private on the
 * guest_memfd itself (KVM_SET_MEMORY_ATTRIBUTES2 on the file, as the
 * in-place conversion series defines it), on the page cache ("plain": a
 * file created without GUEST_MEMFD_FLAG_GPOOL; default backing leaves
 * mappable files there) and on the pool ("pool").
 *
 * Built with the upstream KVM selftest library (scripts/guest-image.sh).
 * Every case runs for both backings, in a KVM_X86_SW_PROTECTED_VM unless
 * it says otherwise.  The series' cases, written for this tree:
 *
 * init_private        MMAP alone: every page private, SIGBUS to the host;
 *                     one page converted shared is reachable, and keeps
 *                     what it was written across a round trip;
 * init_shared         MMAP | INIT_SHARED: shared, and to private and back
 *                     with the contents kept;
 * indexing            every page index of a 4-page file alone shared;
 * before_allocation_shared, before_allocation_private
 *                     converting a file nothing was allocated for yet;
 * unallocated_folios  mixed allocated and unallocated pages of an 8-page
 *                     file, converted as a whole: contents kept, holes 0;
 * truncate            a punch keeps the attributes; the refault is zero;
 * forked_accesses     converting to private unmaps the child's view too
 *                     (SIGBUS there); back to shared, the child sees the
 *                     contents;
 * elevated_refcount   a page pinned by vmsplice: converting the range, or
 *                     the page alone, is EAGAIN with error_offset at that
 *                     page, and nothing changes; unpinned, it converts and
 *                     keeps its contents (the pool's pfn mapping cannot be
 *                     pinned: vmsplice is EFAULT, the conversion works);
 * bad_input           every flag bit, reserved word and unsupported
 *                     attribute, misaligned, empty, overflowing and
 *                     out-of-file ranges, a bad pointer, a file without
 *                     MMAP, an ordinary VM's file asked for PRIVATE: the
 *                     documented errno and no change;
 *
 * and the pool's own:
 *
 * vcpu_4k_in_1g       a vCPU's 1 GiB (private, one 1G unit): converting 4K
 *                     in it splits the unit in place (1G into 2M units, one
 *                     2M into 4K: LIST_FILES units 0/511/512) and KVM maps
 *                     the rest at 2M and 4K (pages_1g 1, then 0); the host
 *                     reads the guest's bytes in the shared page and writes
 *                     its own; back to private the units merge (1/0/0),
 *                     pages_1g is 1 again and every byte is what was last
 *                     written, by the guest or the host; on the page cache
 *                     the same contents checks over 64 MiB;
 * vcpu_2m_in_1g       a 2M-aligned conversion splits only to 2M (0/512/0),
 *                     and merges back.
 *
 * The pool's accounting is the same after every case.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/gpool.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "gpool_util.h"
#include "gpool_stamp.h"

#define DATA_SLOT	10
#define DATA_GPA	(4ULL << 30)	/* 1G-aligned */
#define PAGE		STAMP_PAGE
#define PRIVATE		KVM_MEMORY_ATTRIBUTE_PRIVATE
#define MMAP		GUEST_MEMFD_FLAG_MMAP
#define SHARED		(GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED)

static bool pool;	/* the backing of the current pass */
static int nid = -1;	/* a node with a free 1G unit, for "pool" */
static int ctl_fd = -1;	/* /dev/gpool */

static int gmem_create(struct kvm_vm *vm, uint64_t size, uint64_t flags,
		       unsigned int shift)
{
	return gpool_gmem_create(vm, size, flags, pool, shift, nid);
}

static struct kvm_vm *vm_sw(void)
{
	return vm_create_barebones_type(KVM_X86_SW_PROTECTED_VM);
}

static void convert(int fd, uint64_t off, uint64_t size, uint64_t attrs)
{
	int r = gpool_convert(fd, off, size, attrs, NULL);

	TEST_ASSERT(!r, "convert [%#lx, +%#lx) to %s: %s", off, size,
		    attrs ? "private" : "shared", strerror(-r));
}

/* Page @i of @m is reachable by the host exactly when @shared. */
static void expect_host(char *m, uint64_t i, bool shared)
{
	TEST_ASSERT(gpool_access_sigbus(m + i * PAGE, false) == !shared,
		    "page %lu: a read %s", i, shared ? "faults" : "works");
	TEST_ASSERT(gpool_access_sigbus(m + i * PAGE, true) == !shared,
		    "page %lu: a write %s", i, shared ? "faults" : "works");
}

/* The host's access to each of @n pages of @m, as @shared_mask says. */
static void expect_mask(char *m, uint64_t n, uint64_t shared_mask)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		expect_host(m, i, shared_mask & (1ULL << i));
}

/* Fill page @i of @m with @byte (the host, so the page must be shared). */
static void fill(char *m, uint64_t i, int byte)
{
	memset(m + i * PAGE, byte, PAGE);
}

static bool filled(const char *m, uint64_t i, int byte)
{
	uint64_t k;

	for (k = 0; k < PAGE; k++)
		if ((uint8_t)m[i * PAGE + k] != (uint8_t)byte)
			return false;
	return true;
}

/* A @n-page file of @vm with @flags, mapped: 4K units on the pool. */
struct small {
	struct kvm_vm *vm;
	int fd;
	uint64_t n;
	char *m;
};

static void small_create(struct small *s, uint64_t n, uint64_t flags)
{
	s->vm = vm_sw();
	s->n = n;
	s->fd = gmem_create(s->vm, n * PAGE, flags, GPOOL_FOLIO_SHIFT_4K);
	s->m = gpool_map_shared(s->fd, n * PAGE);
}

static void small_free(struct small *s)
{
	munmap(s->m, s->n * PAGE);
	close(s->fd);
	kvm_vm_free(s->vm);
}

/* ---- the series' cases ---- */

static void test_init_private(void)
{
	struct small s;

	small_create(&s, 4, MMAP);
	expect_mask(s.m, 4, 0);
	convert(s.fd, PAGE, PAGE, 0);
	expect_mask(s.m, 4, 0x2);
	fill(s.m, 1, 0x11);
	convert(s.fd, PAGE, PAGE, PRIVATE);
	expect_mask(s.m, 4, 0);
	convert(s.fd, 0, 4 * PAGE, 0);
	TEST_ASSERT(filled(s.m, 1, 0x11), "page 1 lost its contents");
	TEST_ASSERT(filled(s.m, 0, 0) && filled(s.m, 3, 0),
		    "pages never written are not zero");
	small_free(&s);
}

static void test_init_shared(void)
{
	struct small s;
	uint64_t i;

	small_create(&s, 4, SHARED);
	expect_mask(s.m, 4, 0xf);
	for (i = 0; i < 4; i++)
		fill(s.m, i, 0x20 + i);
	convert(s.fd, 0, 4 * PAGE, PRIVATE);
	expect_mask(s.m, 4, 0);
	convert(s.fd, 0, 4 * PAGE, 0);
	for (i = 0; i < 4; i++)
		TEST_ASSERT(filled(s.m, i, 0x20 + i), "page %lu changed", i);
	small_free(&s);
}

static void test_indexing(void)
{
	struct small s;
	uint64_t i;

	small_create(&s, 4, MMAP);
	for (i = 0; i < 4; i++) {
		convert(s.fd, i * PAGE, PAGE, 0);
		expect_mask(s.m, 4, 1ULL << i);
		fill(s.m, i, 0x40 + i);
		convert(s.fd, i * PAGE, PAGE, PRIVATE);
		expect_mask(s.m, 4, 0);
	}
	convert(s.fd, 0, 4 * PAGE, 0);
	for (i = 0; i < 4; i++)
		TEST_ASSERT(filled(s.m, i, 0x40 + i), "page %lu changed", i);
	small_free(&s);
}

static void test_before_allocation_shared(void)
{
	struct small s;

	small_create(&s, 4, MMAP);
	convert(s.fd, 0, 4 * PAGE, 0);
	expect_mask(s.m, 4, 0xf);
	TEST_ASSERT(filled(s.m, 2, 0), "a new page is not zero");
	small_free(&s);
}

static void test_before_allocation_private(void)
{
	struct small s;

	small_create(&s, 4, SHARED);
	convert(s.fd, 0, 4 * PAGE, PRIVATE);
	expect_mask(s.m, 4, 0);
	convert(s.fd, 0, 4 * PAGE, 0);
	TEST_ASSERT(filled(s.m, 2, 0), "a new page is not zero");
	small_free(&s);
}

static void test_unallocated_folios(void)
{
	static const uint64_t masks[] = { 0x01, 0x80, 0x5a, 0xa5, 0x0f, 0xff };
	unsigned int k;
	uint64_t i;

	for (k = 0; k < ARRAY_SIZE(masks); k++) {
		struct small s;

		small_create(&s, 8, SHARED);
		for (i = 0; i < 8; i++)
			if (masks[k] & (1ULL << i))
				fill(s.m, i, 0x60 + i);
		convert(s.fd, 0, 8 * PAGE, PRIVATE);
		expect_mask(s.m, 8, 0);
		convert(s.fd, 0, 8 * PAGE, 0);
		for (i = 0; i < 8; i++)
			TEST_ASSERT(filled(s.m, i, masks[k] & (1ULL << i) ?
					   0x60 + i : 0),
				    "layout %#lx: page %lu", masks[k], i);
		small_free(&s);
	}
}

static void test_truncate(void)
{
	struct small s;

	small_create(&s, 4, SHARED);
	fill(s.m, 0, 0x31);
	fill(s.m, 1, 0x32);
	fill(s.m, 2, 0x33);
	gpool_punch(s.fd, PAGE, PAGE);
	/* Still shared: the refault is a zero page. */
	expect_host(s.m, 1, true);
	TEST_ASSERT(filled(s.m, 1, 0), "a punched page is not zero");
	TEST_ASSERT(filled(s.m, 0, 0x31), "page 0 changed");
	/* A private page punched stays private, and comes back zero. */
	convert(s.fd, 2 * PAGE, PAGE, PRIVATE);
	gpool_punch(s.fd, 2 * PAGE, PAGE);
	expect_host(s.m, 2, false);
	convert(s.fd, 2 * PAGE, PAGE, 0);
	TEST_ASSERT(filled(s.m, 2, 0), "a punched private page is not zero");
	small_free(&s);
}

static void test_forked_accesses(void)
{
	int to_child[2], to_parent[2], status;
	struct small s;
	char c = 0;
	pid_t pid;
	uint64_t i;

	small_create(&s, 4, SHARED);
	for (i = 0; i < 4; i++)
		fill(s.m, i, 0x70 + i);
	TEST_ASSERT(!pipe(to_child) && !pipe(to_parent), "pipe");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		/* Mapped in the child before the conversion: it must go. */
		if (!filled(s.m, 3, 0x73))
			_exit(1);
		if (write(to_parent[1], &c, 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		for (i = 0; i < 4; i++)
			if (!gpool_access_sigbus(s.m + i * PAGE, false))
				_exit(3);
		if (write(to_parent[1], &c, 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		for (i = 0; i < 4; i++)
			if (!filled(s.m, i, 0x70 + i))
				_exit(4);
		_exit(0);
	}
	TEST_ASSERT_EQ(1, read(to_parent[0], &c, 1));
	convert(s.fd, 0, 4 * PAGE, PRIVATE);
	TEST_ASSERT_EQ(1, write(to_child[1], &c, 1));
	TEST_ASSERT_EQ(1, read(to_parent[0], &c, 1));
	convert(s.fd, 0, 4 * PAGE, 0);
	TEST_ASSERT_EQ(1, write(to_child[1], &c, 1));
	TEST_ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
		    "child: status %#x (1: no data, 3: a private page reachable, 4: contents lost)",
		    status);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	small_free(&s);
}

static void test_elevated_refcount(void)
{
	struct small s;
	struct iovec iov;
	uint64_t err_off, i;
	ssize_t n;
	int p[2], r;

	small_create(&s, 4, SHARED);
	for (i = 0; i < 4; i++)
		fill(s.m, i, 0x50 + i);
	TEST_ASSERT(!pipe(p), "pipe");
	iov = (struct iovec){ .iov_base = s.m + 2 * PAGE, .iov_len = PAGE };
	n = vmsplice(p[1], &iov, 1, 0);
	if (pool) {
		/* A pfn mapping has no page to pin. */
		TEST_ASSERT(n < 0 && errno == EFAULT,
			    "vmsplice of pool memory: %zd, want EFAULT", n);
	} else {
		TEST_ASSERT(n == PAGE, "vmsplice: %zd, %s", n, strerror(errno));
		r = gpool_convert(s.fd, 0, 4 * PAGE, PRIVATE, &err_off);
		TEST_ASSERT(r == -EAGAIN && err_off == 2 * PAGE,
			    "range with a pinned page: %d, error_offset %#lx",
			    r, err_off);
		r = gpool_convert(s.fd, 2 * PAGE, PAGE, PRIVATE, &err_off);
		TEST_ASSERT(r == -EAGAIN && err_off == 2 * PAGE,
			    "the pinned page: %d, error_offset %#lx", r, err_off);
		/* Nothing changed: still shared, still there. */
		expect_mask(s.m, 4, 0xf);
		for (i = 0; i < 4; i++)
			TEST_ASSERT(filled(s.m, i, 0x50 + i), "page %lu", i);
	}
	close(p[0]);
	close(p[1]);
	convert(s.fd, 0, 4 * PAGE, PRIVATE);
	expect_mask(s.m, 4, 0);
	convert(s.fd, 0, 4 * PAGE, 0);
	for (i = 0; i < 4; i++)
		TEST_ASSERT(filled(s.m, i, 0x50 + i), "page %lu lost", i);
	small_free(&s);
}

static void expect_einval(int fd, struct kvm_memory_attributes2 *a,
			  const char *what)
{
	int r = ioctl(fd, KVM_SET_MEMORY_ATTRIBUTES2, a);

	TEST_ASSERT(r == -1 && errno == EINVAL, "%s: %d (%s), want EINVAL",
		    what, r, r ? strerror(errno) : "success");
}

static void test_bad_input(void)
{
	struct kvm_memory_attributes2 a, good = {
		.offset = 0, .size = 4 * PAGE, .attributes = PRIVATE,
	};
	struct kvm_vm *plain_vm;
	struct small s;
	unsigned int b, i;
	int fd, r;

	small_create(&s, 4, SHARED);
	fill(s.m, 1, 0x99);
	for (b = 0; b < 64; b++) {
		a = good;
		a.flags = 1ULL << b;
		expect_einval(s.fd, &a, "a flag bit");
		a = good;
		if (b == 3)	/* KVM_MEMORY_ATTRIBUTE_PRIVATE */
			continue;
		a.attributes = 1ULL << b;
		expect_einval(s.fd, &a, "an unsupported attribute");
	}
	for (i = 0; i < ARRAY_SIZE(good.reserved); i++) {
		a = good;
		a.reserved[i] = 1;
		expect_einval(s.fd, &a, "a reserved word");
	}
	a = good;
	a.offset = 1;
	expect_einval(s.fd, &a, "a misaligned offset");
	a = good;
	a.size = PAGE + 1;
	expect_einval(s.fd, &a, "a misaligned size");
	a = good;
	a.size = 0;
	expect_einval(s.fd, &a, "size 0");
	a = good;
	a.offset = -PAGE;
	a.size = 2 * PAGE;
	expect_einval(s.fd, &a, "an overflowing range");
	a = good;
	a.offset = 3 * PAGE;
	a.size = 2 * PAGE;
	expect_einval(s.fd, &a, "a range past the end");
	r = ioctl(s.fd, KVM_SET_MEMORY_ATTRIBUTES2, NULL);
	TEST_ASSERT(r == -1 && errno == EFAULT, "NULL: %d, %s", r, strerror(errno));
	/* Not on the VM: there, 6.12's KVM_SET_MEMORY_ATTRIBUTES stays. */
	r = ioctl(s.vm->fd, KVM_SET_MEMORY_ATTRIBUTES2, &good);
	TEST_ASSERT(r == -1 && errno == ENOTTY, "on the VM: %d, %s", r,
		    strerror(errno));
	/* Nothing of it changed anything. */
	expect_mask(s.m, 4, 0xf);
	TEST_ASSERT(filled(s.m, 1, 0x99), "page 1 changed");

	/* A file the host cannot map has no shared memory to convert to. */
	fd = gmem_create(s.vm, 4 * PAGE, 0, GPOOL_FOLIO_SHIFT_4K);
	a = good;
	expect_einval(fd, &a, "a file without MMAP");
	close(fd);

	/* An ordinary VM has no private memory. */
	plain_vm = vm_create_barebones();
	fd = gmem_create(plain_vm, 4 * PAGE, SHARED, GPOOL_FOLIO_SHIFT_4K);
	a = good;
	expect_einval(fd, &a, "PRIVATE in an ordinary VM");
	a.attributes = 0;
	TEST_ASSERT(!ioctl(fd, KVM_SET_MEMORY_ATTRIBUTES2, &a),
		    "shared in an ordinary VM: %s", strerror(errno));
	close(fd);
	kvm_vm_free(plain_vm);
	small_free(&s);
}

/* ---- a vCPU's memory converted inside a 1G unit ---- */

/* A SW_PROTECTED VM whose DATA_GPA is @size bytes of a private MMAP file. */
static void cvm_create(struct stamp_vm *t, uint64_t size)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};

	t->vm = vm_create_shape_with_one_vcpu(shape, &t->vcpu, stamp_guest_code);
	t->size = size;
	t->fd = gmem_create(t->vm, size, MMAP, GPOOL_FOLIO_SHIFT_1G);
	stamp_vm_bind(t, DATA_SLOT, DATA_GPA, false);
}

/* The guest checks the stamps of @pattern in [off, off + size). */
static uint64_t guest_bad(struct stamp_vm *t, uint64_t off, uint64_t size,
			  uint64_t pattern)
{
	return gpool_stamp_run(t->vcpu, STAMP_CHECK, DATA_GPA, off, size,
			       pattern);
}

/* The pool: the file's units by size are @u1g/@u2m/@u4k. */
static void expect_units(struct stamp_vm *t, uint64_t u1g, uint64_t u2m,
			 uint64_t u4k, const char *when)
{
	struct gpool_file_info fi;

	if (!pool)
		return;
	TEST_ASSERT(gpool_file_info_of(ctl_fd, t->size, &fi), "LIST_FILES");
	TEST_ASSERT(fi.units[GPOOL_SIZE_1G] == u1g &&
		    fi.units[GPOOL_SIZE_2M] == u2m &&
		    fi.units[GPOOL_SIZE_4K] == u4k,
		    "%s: units 1G/2M/4K %llu/%llu/%llu, want %lu/%lu/%lu", when,
		    (unsigned long long)fi.units[GPOOL_SIZE_1G],
		    (unsigned long long)fi.units[GPOOL_SIZE_2M],
		    (unsigned long long)fi.units[GPOOL_SIZE_4K], u1g, u2m, u4k);
}

static void expect_pages_1g(struct stamp_vm *t, uint64_t want, const char *when)
{
	if (!pool)
		return;
	TEST_ASSERT(vm_get_stat(t->vm, "pages_1g") == want,
		    "%s: pages_1g %lu (pages_2m %lu), want %lu", when,
		    vm_get_stat(t->vm, "pages_1g"),
		    vm_get_stat(t->vm, "pages_2m"), want);
}

static void test_vcpu_in_1g(uint64_t conv_off, uint64_t conv_size,
			    uint64_t u2m, uint64_t u4k)
{
	const uint64_t A = 0xa100000000000000ULL, B = 0xb200000000000000ULL;
	uint64_t size = pool ? 1ULL << 30 : 64ULL << 20;
	uint64_t splits, merges, end = conv_off + conv_size;
	struct stamp_vm t;

	cvm_create(&t, size);
	splits = pool_stat(nid, GPOOL_SIZE_1G, "nr_splits");
	merges = pool_stat(nid, GPOOL_SIZE_1G, "nr_merges");
	TEST_ASSERT_EQ(0, gpool_stamp_run(t.vcpu, STAMP_WRITE, DATA_GPA, 0, size, A));
	TEST_ASSERT_EQ(0, guest_bad(&t, 0, size, A));
	expect_units(&t, 1, 0, 0, "private");
	expect_pages_1g(&t, 1, "private");

	/* Part of it shared: split in place, every byte where it was. */
	convert(t.fd, conv_off, conv_size, 0);
	expect_units(&t, 0, u2m, u4k, "a part shared");
	TEST_ASSERT_EQ(0, guest_bad(&t, 0, size, A));
	expect_pages_1g(&t, 0, "a part shared");
	TEST_ASSERT_EQ(0, host_bad(t.map, conv_off, conv_size, A));
	host_write(t.map, conv_off, conv_size, B);
	TEST_ASSERT(gpool_access_sigbus((char *)t.map + (end % size), false),
		    "a private page is reachable by the host");

	/* All private again: merged, mapped 1G, the host's bytes kept. */
	convert(t.fd, conv_off, conv_size, PRIVATE);
	expect_units(&t, 1, 0, 0, "private again");
	TEST_ASSERT(gpool_access_sigbus((char *)t.map + conv_off, false),
		    "a page converted back is still reachable by the host");
	TEST_ASSERT_EQ(0, guest_bad(&t, 0, conv_off, A));
	TEST_ASSERT_EQ(0, guest_bad(&t, conv_off, conv_size, B));
	TEST_ASSERT_EQ(0, guest_bad(&t, end, size - end, A));
	expect_pages_1g(&t, 1, "private again");
	if (pool) {
		TEST_ASSERT_EQ(splits + 1, pool_stat(nid, GPOOL_SIZE_1G, "nr_splits"));
		TEST_ASSERT_EQ(merges + 1, pool_stat(nid, GPOOL_SIZE_1G, "nr_merges"));
	}
	stamp_vm_free(&t);
}

static void test_vcpu_4k_in_1g(void)
{
	/* Page 3 of the 2M unit in the middle. */
	test_vcpu_in_1g((pool ? 512ULL << 20 : 32ULL << 20) + 3 * PAGE, PAGE,
			511, 512);
}

static void test_vcpu_2m_in_1g(void)
{
	test_vcpu_in_1g(pool ? 512ULL << 20 : 32ULL << 20, 2ULL << 20, 512, 0);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "init_private", test_init_private },
	{ "init_shared", test_init_shared },
	{ "indexing", test_indexing },
	{ "before_allocation_shared", test_before_allocation_shared },
	{ "before_allocation_private", test_before_allocation_private },
	{ "unallocated_folios", test_unallocated_folios },
	{ "truncate", test_truncate },
	{ "forked_accesses", test_forked_accesses },
	{ "elevated_refcount", test_elevated_refcount },
	{ "bad_input", test_bad_input },
	{ "vcpu_4k_in_1g", test_vcpu_4k_in_1g },
	{ "vcpu_2m_in_1g", test_vcpu_2m_in_1g },
};

#define NR_CASES ARRAY_SIZE(cases)

int main(void)
{
	unsigned int i, p;
	uint64_t before;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_VM_TYPES) &
		     BIT(KVM_X86_SW_PROTECTED_VM));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_GPOOL);
	nid = node_with_free_1g();
	TEST_REQUIRE(nid >= 0);
	ctl_fd = open("/dev/gpool", O_RDONLY);
	TEST_ASSERT(ctl_fd >= 0, "open /dev/gpool: %s", strerror(errno));
	ksft_set_plan(2 * NR_CASES);

	for (p = 0; p < 2; p++) {
		pool = p;
		for (i = 0; i < NR_CASES; i++) {
			before = gpool_node_held(nid);
			cases[i].fn();
			TEST_ASSERT(gpool_node_held(nid) == before,
				    "%s.%s: the pool's allocated+reserved went from %lu to %lu",
				    pool ? "pool" : "plain", cases[i].name, before,
				    gpool_node_held(nid));
			ksft_test_result_pass("%s.%s\n", pool ? "pool" : "plain",
					      cases[i].name);
		}
	}
	close(ctl_fd);
	ksft_finished();
}
