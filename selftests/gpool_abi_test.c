// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_abi_test: the uAPI is frozen.  Every struct of <linux/gpool.h>
 * has the size, and every field the offset and size, written here; every
 * ioctl its number, every constant its value; and so do what the patch
 * series adds to KVM's uAPI (KVM_CAP_GUEST_MEMFD_FLAGS 244 in
 * <linux/kvm.h>, GUEST_MEMFD_FLAG_GPOOL bit 30).
 *
 * The expected values are numbers typed in, never computed from the
 * header: a change to include/uapi/linux/gpool.h that moves, resizes,
 * renumbers or retypes anything a binary already built relies on fails
 * here.  A deliberate extension (a reserved word given a name, a new
 * ioctl, a new flag) updates this file in the same commit, which makes
 * the ABI change visible in review (docs/uapi.rst).
 *
 * It needs no pool and no KVM: the values are those the test was
 * compiled with, the same header the kernel, poolctl and the other
 * selftests are built from.  It runs early (selftests/tests.list).
 */
#include <stddef.h>
#include <linux/kvm.h>
#include <linux/gpool.h>

#include "kselftest_harness.h"

struct field {
	const char *name;
	size_t offset, size;		/* from the header */
	size_t want_offset, want_size;	/* frozen */
};

#define FIELD(type, f, off, sz) \
	{ #f, offsetof(struct type, f), sizeof(((struct type *)0)->f), off, sz }

static void check_layout(struct __test_metadata *_metadata, const char *type,
			 size_t size, size_t want_size,
			 const struct field *fields, size_t nr)
{
	size_t i;

	EXPECT_EQ(want_size, size) TH_LOG("sizeof(struct %s)", type);
	for (i = 0; i < nr; i++) {
		EXPECT_EQ(fields[i].want_offset, fields[i].offset)
			TH_LOG("offsetof(struct %s, %s)", type, fields[i].name);
		EXPECT_EQ(fields[i].want_size, fields[i].size)
			TH_LOG("sizeof(struct %s.%s)", type, fields[i].name);
	}
}

#define CHECK_LAYOUT(type, want_size, ...) do {				\
	static const struct field f[] = { __VA_ARGS__ };		\
	check_layout(_metadata, #type, sizeof(struct type), want_size,	\
		     f, sizeof(f) / sizeof(f[0]));			\
} while (0)

/* A constant and its frozen value, named in the message. */
#define EXPECT_VALUE(want, x) \
	EXPECT_EQ((unsigned long long)(want), (unsigned long long)(x)) TH_LOG("%s", #x)

TEST(create_guest_memfd)
{
	CHECK_LAYOUT(gpool_create_guest_memfd, 64,
		     FIELD(gpool_create_guest_memfd, size, 0, 8),
		     FIELD(gpool_create_guest_memfd, flags, 8, 8),
		     FIELD(gpool_create_guest_memfd, folio_shift, 16, 4),
		     FIELD(gpool_create_guest_memfd, numa_mode, 20, 4),
		     FIELD(gpool_create_guest_memfd, numa_nodes, 24, 8),
		     FIELD(gpool_create_guest_memfd, reserved, 32, 32));
	/* Passed to KVM_CREATE_GUEST_MEMFD as is: the same 64 bytes. */
	CHECK_LAYOUT(kvm_create_guest_memfd, 64,
		     FIELD(kvm_create_guest_memfd, size, 0, 8),
		     FIELD(kvm_create_guest_memfd, flags, 8, 8),
		     FIELD(kvm_create_guest_memfd, reserved, 16, 48));
	EXPECT_VALUE(0xc040aed4, KVM_CREATE_GUEST_MEMFD);
	EXPECT_VALUE(12, GPOOL_FOLIO_SHIFT_4K);
	EXPECT_VALUE(21, GPOOL_FOLIO_SHIFT_2M);
	EXPECT_VALUE(30, GPOOL_FOLIO_SHIFT_1G);
	EXPECT_VALUE(0, GPOOL_NUMA_DEFAULT);
	EXPECT_VALUE(1, GPOOL_NUMA_BIND);
	EXPECT_VALUE(2, GPOOL_NUMA_PREFERRED);
	EXPECT_VALUE(3, GPOOL_NUMA_INTERLEAVE);
}

/* What kernel/patches/0003 adds to KVM's uAPI. */
TEST(kvm_additions)
{
	EXPECT_VALUE(244, KVM_CAP_GUEST_MEMFD_FLAGS);
	EXPECT_VALUE(0x40000000ULL, GUEST_MEMFD_FLAG_GPOOL);
	/* 8 bytes wide, so that it combines with the other __u64 flags. */
	EXPECT_VALUE(8, sizeof(GUEST_MEMFD_FLAG_GPOOL));
	/* 0005, as 6.18. */
	EXPECT_VALUE(1, GUEST_MEMFD_FLAG_MMAP);
	EXPECT_VALUE(2, GUEST_MEMFD_FLAG_INIT_SHARED);
}

/* 0007, as the in-place conversion series (v7 to v13). */
TEST(memory_attributes2)
{
	CHECK_LAYOUT(kvm_memory_attributes2, 128,
		     FIELD(kvm_memory_attributes2, address, 0, 8),
		     FIELD(kvm_memory_attributes2, offset, 0, 8),
		     FIELD(kvm_memory_attributes2, size, 8, 8),
		     FIELD(kvm_memory_attributes2, attributes, 16, 8),
		     FIELD(kvm_memory_attributes2, flags, 24, 8),
		     FIELD(kvm_memory_attributes2, error_offset, 32, 8),
		     FIELD(kvm_memory_attributes2, reserved, 40, 88));
	EXPECT_VALUE(0xc080aed2, KVM_SET_MEMORY_ATTRIBUTES2);
	EXPECT_VALUE(8, KVM_MEMORY_ATTRIBUTE_PRIVATE);
}

TEST(info_args)
{
	CHECK_LAYOUT(gpool_info_args, 120,
		     FIELD(gpool_info_args, flags, 0, 8),
		     FIELD(gpool_info_args, pool_flags, 8, 8),
		     FIELD(gpool_info_args, node_mask, 16, 8),
		     FIELD(gpool_info_args, nr_pages, 24, 8),
		     FIELD(gpool_info_args, nr_boot_pages, 32, 8),
		     FIELD(gpool_info_args, metadata_bytes, 40, 8),
		     FIELD(gpool_info_args, nr_ranges, 48, 4),
		     FIELD(gpool_info_args, nr_files, 52, 4),
		     FIELD(gpool_info_args, reserved, 56, 64));
	EXPECT_VALUE(1, GPOOL_INFO_F_NOMAP);
	EXPECT_VALUE(2, GPOOL_INFO_F_DEFAULT_BACKING);
	EXPECT_VALUE(4, GPOOL_INFO_F_CAN_RESIZE);
	EXPECT_VALUE(8, GPOOL_INFO_F_GMEM_ATTRIBUTES);
	EXPECT_VALUE(16, GPOOL_INFO_F_ZEROING);
}

TEST(size_stats)
{
	CHECK_LAYOUT(gpool_size_stats, 96,
		     FIELD(gpool_size_stats, total, 0, 8),
		     FIELD(gpool_size_stats, free, 8, 8),
		     FIELD(gpool_size_stats, zero, 16, 8),
		     FIELD(gpool_size_stats, zeroing, 24, 8),
		     FIELD(gpool_size_stats, allocated, 32, 8),
		     FIELD(gpool_size_stats, reserved, 40, 8),
		     FIELD(gpool_size_stats, split, 48, 8),
		     FIELD(gpool_size_stats, nr_splits, 56, 8),
		     FIELD(gpool_size_stats, nr_merges, 64, 8),
		     FIELD(gpool_size_stats, unused, 72, 24));
	EXPECT_VALUE(0, GPOOL_SIZE_4K);
	EXPECT_VALUE(1, GPOOL_SIZE_2M);
	EXPECT_VALUE(2, GPOOL_SIZE_1G);
	EXPECT_VALUE(3, GPOOL_NR_SIZES);
}

TEST(node_stats_args)
{
	CHECK_LAYOUT(gpool_node_stats_args, 360,
		     FIELD(gpool_node_stats_args, flags, 0, 8),
		     FIELD(gpool_node_stats_args, node, 8, 8),
		     FIELD(gpool_node_stats_args, nr_pages, 16, 8),
		     FIELD(gpool_node_stats_args, bad_pages, 24, 8),
		     FIELD(gpool_node_stats_args, poison_pending, 32, 8),
		     FIELD(gpool_node_stats_args, size, 40, 288),
		     FIELD(gpool_node_stats_args, reserved, 328, 32));
}

TEST(resize_args)
{
	CHECK_LAYOUT(gpool_resize_args, 64,
		     FIELD(gpool_resize_args, flags, 0, 8),
		     FIELD(gpool_resize_args, node, 8, 8),
		     FIELD(gpool_resize_args, bytes, 16, 8),
		     FIELD(gpool_resize_args, reserved, 24, 40));
}

TEST(default_backing_args)
{
	CHECK_LAYOUT(gpool_default_backing_args, 32,
		     FIELD(gpool_default_backing_args, flags, 0, 8),
		     FIELD(gpool_default_backing_args, enable, 8, 8),
		     FIELD(gpool_default_backing_args, reserved, 16, 16));
}

TEST(zeroing_args)
{
	CHECK_LAYOUT(gpool_zeroing_args, 32,
		     FIELD(gpool_zeroing_args, flags, 0, 8),
		     FIELD(gpool_zeroing_args, enable, 8, 8),
		     FIELD(gpool_zeroing_args, reserved, 16, 16));
}

TEST(file_info)
{
	CHECK_LAYOUT(gpool_file_info, 240,
		     FIELD(gpool_file_info, id, 0, 8),
		     FIELD(gpool_file_info, pid, 8, 4),
		     FIELD(gpool_file_info, file_flags, 12, 4),
		     FIELD(gpool_file_info, comm, 16, 16),
		     FIELD(gpool_file_info, size, 32, 8),
		     FIELD(gpool_file_info, folio_shift, 40, 4),
		     FIELD(gpool_file_info, numa_mode, 44, 4),
		     FIELD(gpool_file_info, numa_nodes, 48, 8),
		     FIELD(gpool_file_info, units, 56, 24),
		     FIELD(gpool_file_info, node_bytes, 80, 128),
		     FIELD(gpool_file_info, host_maps, 208, 24),
		     FIELD(gpool_file_info, reserved, 232, 8));
	EXPECT_VALUE(16, GPOOL_FILE_NR_NODES);
	EXPECT_VALUE(1, GPOOL_FILE_F_DEFAULT_BACKED);
	EXPECT_VALUE(2, GPOOL_FILE_F_MMAP);
	EXPECT_VALUE(4, GPOOL_FILE_F_SHARED);
}

TEST(list_files_args)
{
	CHECK_LAYOUT(gpool_list_files_args, 40,
		     FIELD(gpool_list_files_args, flags, 0, 8),
		     FIELD(gpool_list_files_args, nr_files, 8, 8),
		     FIELD(gpool_list_files_args, files, 16, 8),
		     FIELD(gpool_list_files_args, reserved, 24, 16));
}

/* Direction, argument size, magic 0xB9 and number, as the kernel sees them. */
TEST(ioctl_numbers)
{
	EXPECT_VALUE(0xb9, GPOOL_IOC_MAGIC);
	EXPECT_VALUE(0xc078b900, GPOOL_IOC_INFO);
	EXPECT_VALUE(0xc168b901, GPOOL_IOC_NODE_STATS);
	EXPECT_VALUE(0x4040b902, GPOOL_IOC_GROW);
	EXPECT_VALUE(0x4040b903, GPOOL_IOC_SHRINK);
	EXPECT_VALUE(0x4020b904, GPOOL_IOC_SET_DEFAULT_BACKING);
	EXPECT_VALUE(0xc028b905, GPOOL_IOC_LIST_FILES);
	EXPECT_VALUE(0x4020b906, GPOOL_IOC_SET_ZEROING);
}

TEST_HARNESS_MAIN
