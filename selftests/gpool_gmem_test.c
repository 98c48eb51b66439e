// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_gmem_test: the KVM_CREATE_GUEST_MEMFD contract of pool-backed
 * guest_memfd, and what it does to the pool, as the pool's own counters in
 * /sys/kernel/mm/gpool/ show it.
 *
 * - every flag bit and every word of reserved[] is swept: only what
 *   docs/uapi.rst allows is accepted, the rest is EINVAL; every flag
 *   KVM_CAP_GUEST_MEMFD_FLAGS reports is valid alone;
 * - creation reserves the whole size, all or nothing, and close gives it
 *   all back;
 * - fallocate() punches split a 1G unit only as deep as needed and
 *   re-allocation merges it again;
 * - fallocate() keeps 6.12's error codes.
 *
 * Needs a guest booted with a pool (gpool=...): skips without one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <linux/gpool.h>

#include "kselftest_harness.h"
#include "gpool_test.h"

FIXTURE(gmem) {
	int kvm_fd;
	int vm_fd;
	struct pool_counts before;
	unsigned long long free_before;	/* gp_free_now() */
};

FIXTURE_SETUP(gmem)
{
	if (access("/sys/kernel/mm/gpool", F_OK))
		SKIP(return, "no pool: boot with gpool=...");
	self->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->kvm_fd, 0);
	self->vm_fd = ioctl(self->kvm_fd, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	ASSERT_GE(self->vm_fd, 0);
	snapshot(&self->before);
	self->free_before = gp_free_now();
}

/* Nothing a test does may leave the pool changed once its files close. */
FIXTURE_TEARDOWN(gmem)
{
	struct pool_counts after;
	int nid, s;

	if (access("/sys/kernel/mm/gpool", F_OK))
		return;
	close(self->vm_fd);
	close(self->kvm_fd);
	snapshot(&after);
	for (nid = 0; nid < MAX_NODES; nid++) {
		for (s = 0; s < NR_SIZES; s++) {
			EXPECT_EQ(self->before.allocated[nid][s],
				  after.allocated[nid][s])
				TH_LOG("node%d/%s/allocated", nid, sizes[s]);
			EXPECT_EQ(self->before.reserved[nid][s],
				  after.reserved[nid][s])
				TH_LOG("node%d/%s/reserved", nid, sizes[s]);
		}
	}
	EXPECT_EQ(self->free_before, gp_free_now());
}

/* What KVM_CAP_GUEST_MEMFD_FLAGS says for each kind of VM (6.18 + gpool). */
TEST_F(gmem, cap_reports_the_flag)
{
	int vm0;

	/*
	 * Private memory (SW_PROTECTED): INIT_SHARED too, since its files
	 * convert in place (KVM_SET_MEMORY_ATTRIBUTES2).
	 */
	EXPECT_EQ((long long)(GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED |
			      GUEST_MEMFD_FLAG_GPOOL),
		  ioctl(self->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS));
	/* An ordinary VM may keep all its memory in a shared guest_memfd. */
	vm0 = ioctl(self->kvm_fd, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	ASSERT_GE(vm0, 0);
	EXPECT_EQ((long long)(GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED |
			      GUEST_MEMFD_FLAG_GPOOL),
		  ioctl(vm0, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS));
	EXPECT_EQ(1, ioctl(vm0, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD));
	close(vm0);
}

/*
 * Every flag bit alone, every word of reserved[] zero, on both VM types:
 * valid exactly when KVM_CAP_GUEST_MEMFD_FLAGS reports it (upstream's
 * guest_memfd_test and VMMs probe flags this way), EINVAL otherwise.
 */
TEST_F(gmem, flag_sweep)
{
	static const unsigned long types[] = {
		KVM_X86_SW_PROTECTED_VM, KVM_X86_DEFAULT_VM,
	};
	struct gpool_create_guest_memfd args;
	unsigned int t;
	long long cap;
	int bit, fd, vm;

	for (t = 0; t < 2; t++) {
		vm = ioctl(self->kvm_fd, KVM_CREATE_VM, types[t]);
		ASSERT_GE(vm, 0);
		cap = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);
		ASSERT_TRUE((cap & GUEST_MEMFD_FLAG_GPOOL) != 0);
		for (bit = 0; bit < 64; bit++) {
			memset(&args, 0, sizeof(args));
			args.size = SZ_2M;
			args.flags = 1ULL << bit;
			fd = create_gmem(vm, &args);
			if (cap & args.flags) {
				EXPECT_GE(fd, 0) TH_LOG("VM type %lu, bit %d: %s",
							types[t], bit, strerror(-fd));
				if (fd >= 0)
					close(fd);
			} else {
				EXPECT_EQ(-EINVAL, fd)
					TH_LOG("VM type %lu, flag bit %d", types[t], bit);
			}
		}
		close(vm);
	}
}

/* The flag alone (reserved[] zero): 1G folios, the local node first. */
TEST_F(gmem, flag_alone_takes_defaults)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
	};
	struct gpool_file_info info[8];
	struct gpool_list_files_args list = {
		.nr_files = 8, .files = (uintptr_t)info,
	};
	int fd, ctl, i, found = 0;

	fd = create_gmem(self->vm_fd, &args);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	ctl = open("/dev/gpool", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(ctl, 0);
	ASSERT_EQ(0, ioctl(ctl, GPOOL_IOC_LIST_FILES, &list));
	for (i = 0; i < (int)list.nr_files && i < 8; i++) {
		if (info[i].size != SZ_2M || info[i].pid != (__u32)getpid())
			continue;
		EXPECT_EQ(GPOOL_FOLIO_SHIFT_1G, (int)info[i].folio_shift);
		EXPECT_EQ(GPOOL_NUMA_DEFAULT, (int)info[i].numa_mode);
		found++;
	}
	EXPECT_EQ(1, found);
	close(ctl);
	close(fd);
}

/* Every word of reserved[], without the flag and with it. */
TEST_F(gmem, reserved_sweep)
{
	static const int bits[] = { 0, 1, 31, 32, 63 };
	struct kvm_create_guest_memfd plain;
	struct gpool_create_guest_memfd args;
	unsigned int w, b;

	for (w = 0; w < 6; w++) {
		for (b = 0; b < sizeof(bits) / sizeof(bits[0]); b++) {
			memset(&plain, 0, sizeof(plain));
			plain.size = SZ_2M;
			plain.reserved[w] = 1ULL << bits[b];
			EXPECT_EQ(-EINVAL, create_gmem(self->vm_fd,
					(struct gpool_create_guest_memfd *)&plain))
				TH_LOG("no flag, reserved[%u] bit %d", w, bits[b]);
		}
	}
	for (w = 0; w < 4; w++) {
		for (b = 0; b < sizeof(bits) / sizeof(bits[0]); b++) {
			memset(&args, 0, sizeof(args));
			args.size = SZ_2M;
			args.flags = GUEST_MEMFD_FLAG_GPOOL;
			args.folio_shift = GPOOL_FOLIO_SHIFT_2M;
			args.reserved[w] = 1ULL << bits[b];
			EXPECT_EQ(-EINVAL, create_gmem(self->vm_fd, &args))
				TH_LOG("flag, reserved[%u] bit %d", w + 2, bits[b]);
		}
	}
}

TEST_F(gmem, folio_shift_values)
{
	static const unsigned int good[] = { 12, 21, 30 };
	static const unsigned int bad[] = { 1, 11, 13, 20, 22, 29, 31, 64,
					    0xffffffff };
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
	};
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		args.folio_shift = good[i];
		fd = create_gmem(self->vm_fd, &args);
		EXPECT_GE(fd, 0) TH_LOG("folio_shift %u", good[i]);
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		args.folio_shift = bad[i];
		EXPECT_EQ(-EINVAL, create_gmem(self->vm_fd, &args))
			TH_LOG("folio_shift %u", bad[i]);
	}
}

TEST_F(gmem, numa_arguments)
{
	static const struct { unsigned int mode; unsigned long long nodes; } bad[] = {
		{ GPOOL_NUMA_DEFAULT, 1 },	/* DEFAULT takes no nodes */
		{ GPOOL_NUMA_BIND, 0 },		/* BIND needs nodes */
		{ GPOOL_NUMA_INTERLEAVE, 0 },
		{ GPOOL_NUMA_PREFERRED, 0 },	/* PREFERRED needs one node */
		{ GPOOL_NUMA_PREFERRED, 3 },
		{ GPOOL_NUMA_BIND, 1ULL << 40 },	/* no pool memory there */
		{ GPOOL_NUMA_PREFERRED, 1ULL << 63 },
		{ 4, 1 },			/* unknown mode */
		{ 0xffffffff, 1 },
	};
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		args.numa_mode = bad[i].mode;
		args.numa_nodes = bad[i].nodes;
		EXPECT_EQ(-EINVAL, create_gmem(self->vm_fd, &args))
			TH_LOG("mode %u nodes %#llx", bad[i].mode, bad[i].nodes);
	}
}

/* BIND places the reservation on the bound node, and only there. */
TEST_F(gmem, bind_reserves_on_the_node)
{
	struct gpool_create_guest_memfd args = {
		.size = 4 * SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
		.numa_mode = GPOOL_NUMA_BIND,
	};
	struct pool_counts during;
	int nid, other, fd;

	for (nid = 0; nid < MAX_NODES; nid++) {
		if (!self->before.node[nid])
			continue;
		args.numa_nodes = 1ULL << nid;
		fd = create_gmem(self->vm_fd, &args);
		ASSERT_GE(fd, 0) TH_LOG("node %d: %s", nid, strerror(-fd));
		snapshot(&during);
		EXPECT_EQ(self->before.reserved[nid][S2M] + 4,
			  during.reserved[nid][S2M]) TH_LOG("node %d", nid);
		for (other = 0; other < MAX_NODES; other++)
			if (other != nid)
				EXPECT_EQ(self->before.reserved[other][S2M],
					  during.reserved[other][S2M]);
		close(fd);
	}
}

/* More than the pool has: ENOMEM, and not one unit stays reserved. */
TEST_F(gmem, reservation_is_all_or_nothing)
{
	struct gpool_create_guest_memfd args = {
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_1G,
	};
	struct pool_counts during;
	int fd, fd2;

	args.size = free_bytes(&self->before) + SZ_2M;
	EXPECT_EQ(-ENOMEM, create_gmem(self->vm_fd, &args));
	snapshot(&during);
	EXPECT_EQ(0, memcmp(self->before.reserved, during.reserved,
			    sizeof(during.reserved)));

	/* Everything but 2M fits; then the next 4M does not. */
	args.size = free_bytes(&self->before) - SZ_2M;
	fd = create_gmem(self->vm_fd, &args);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	args.size = 2 * SZ_2M;
	EXPECT_EQ(-ENOMEM, create_gmem(self->vm_fd, &args));
	args.size = SZ_2M;
	fd2 = create_gmem(self->vm_fd, &args);
	EXPECT_GE(fd2, 0);
	close(fd2);
	close(fd);
}

/*
 * A size no pool could ever serve fails with ENOMEM before the kernel
 * allocates anything for it: no metadata sized by the request (which for
 * 1 << 62 bytes would be a 32 TiB table, and a WARNING from the
 * allocator, which the runner counts as a failure), nothing reserved.
 * Default backing takes the same path without the flag.
 */
TEST_F(gmem, huge_size_is_refused)
{
	static const unsigned long long huge[] = {
		1ULL << 62, 1ULL << 50, 0x7ffffffffffff000ULL,
	};
	struct gpool_create_guest_memfd args;
	struct pool_counts during;
	unsigned int i, with;
	int fd;

	for (with = 0; with < 2; with++) {
		if (!with && !default_backing())
			continue;
		for (i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
			memset(&args, 0, sizeof(args));
			args.size = huge[i];
			if (with) {
				args.flags = GUEST_MEMFD_FLAG_GPOOL;
				args.folio_shift = GPOOL_FOLIO_SHIFT_1G;
			}
			fd = create_gmem(self->vm_fd, &args);
			EXPECT_EQ(-ENOMEM, fd)
				TH_LOG("size %#llx, flag %u", huge[i], with);
			if (fd >= 0)
				close(fd);
		}
	}
	snapshot(&during);
	EXPECT_EQ(0, memcmp(self->before.reserved, during.reserved,
			    sizeof(during.reserved)));
}

/*
 * One 4K punched out of an allocated 1G unit: the unit splits into 511 2M
 * units and 512 4K units, one of which is freed; allocating the 4K again
 * takes the same frame and merges the unit back into 1G.
 *
 *   file  |<--------------------------- 1 GiB -------------------------->|
 *   before  [                        one 1G unit                         ]
 *   punch   [ 2M ][ 4K x 511 + hole ][ 2M ][ 2M ] ... 509 more 2M ...
 *   refill  [                        one 1G unit                         ]
 */
TEST_F(gmem, punch_splits_and_refill_merges)
{
	const int mode = FALLOC_FL_KEEP_SIZE;
	const int punch = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;
	struct pool_counts a, b;
	int nid, fd;

	nid = node_with_free_1g(&self->before);
	if (nid < 0)
		SKIP(return, "no free 1G unit in the pool");
	fd = create_1g_bound(self->vm_fd, nid, GPOOL_FOLIO_SHIFT_1G);
	ASSERT_GE(fd, 0);

	ASSERT_EQ(0, fallocate(fd, mode, 0, SZ_1G));
	snapshot(&a);
	EXPECT_EQ(self->before.allocated[nid][S1G] + 1, a.allocated[nid][S1G]);

	ASSERT_EQ(0, fallocate(fd, punch, SZ_2M + SZ_4K, SZ_4K));
	snapshot(&b);
	EXPECT_EQ(a.nr_splits[nid][S1G] + 1, b.nr_splits[nid][S1G]);
	EXPECT_EQ(a.allocated[nid][S1G] - 1, b.allocated[nid][S1G]);
	EXPECT_EQ(a.allocated[nid][S2M] + 511, b.allocated[nid][S2M]);
	EXPECT_EQ(a.allocated[nid][S4K] + 511, b.allocated[nid][S4K]);

	ASSERT_EQ(0, fallocate(fd, mode, SZ_2M + SZ_4K, SZ_4K));
	snapshot(&b);
	EXPECT_EQ(a.nr_merges[nid][S1G] + 1, b.nr_merges[nid][S1G]);
	EXPECT_EQ(a.allocated[nid][S1G], b.allocated[nid][S1G]);
	EXPECT_EQ(a.allocated[nid][S2M], b.allocated[nid][S2M]);
	EXPECT_EQ(a.allocated[nid][S4K], b.allocated[nid][S4K]);

	/* Punching the whole file frees the 1G unit as one. */
	ASSERT_EQ(0, fallocate(fd, punch, 0, SZ_1G));
	snapshot(&b);
	EXPECT_EQ(self->before.allocated[nid][S1G], b.allocated[nid][S1G]);
	close(fd);
}

/* A 2M folio limit: a 1 GiB file is 512 2M units, never a 1G one. */
TEST_F(gmem, folio_shift_2m_uses_2m_units)
{
	struct pool_counts a;
	int nid, fd;

	nid = node_with_free_1g(&self->before);
	if (nid < 0)
		SKIP(return, "no free 1G unit in the pool");
	fd = create_1g_bound(self->vm_fd, nid, GPOOL_FOLIO_SHIFT_2M);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, SZ_1G));
	snapshot(&a);
	EXPECT_EQ(self->before.allocated[nid][S1G], a.allocated[nid][S1G]);
	EXPECT_EQ(self->before.allocated[nid][S2M] + 512, a.allocated[nid][S2M]);
	close(fd);
}

/* fallocate() keeps 6.12's error codes on pool memory. */
TEST_F(gmem, fallocate_errors)
{
	struct gpool_create_guest_memfd args = {
		.size = 4 * SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_1G,
	};
	const int keep = FALLOC_FL_KEEP_SIZE;
	const int punch = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;
	int fd;

	fd = create_gmem(self->vm_fd, &args);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, fallocate(fd, 0, 0, SZ_4K));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, fallocate(fd, keep | FALLOC_FL_ZERO_RANGE, 0, SZ_4K));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, fallocate(fd, keep, 1, SZ_4K));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, fallocate(fd, punch, 0, SZ_4K - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, fallocate(fd, keep, 4 * SZ_2M, SZ_4K));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, fallocate(fd, punch, 4 * SZ_2M, SZ_4K));
	EXPECT_EQ(0, fallocate(fd, keep, 0, 4 * SZ_2M));
	EXPECT_EQ(0, fallocate(fd, punch, SZ_4K, 3 * SZ_4K));
	EXPECT_EQ(0, fallocate(fd, punch, 0, 4 * SZ_2M));
	close(fd);
}

TEST_HARNESS_MAIN
