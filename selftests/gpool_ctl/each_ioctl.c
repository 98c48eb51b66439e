// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: the argument checks every ioctl makes, once per ioctl
 * (the each_ioctl fixture, one variant per ioctl): each of the 64 flag bits
 * and each reserved word (for NODE_STATS each unused word too) is EINVAL; a
 * bad pointer is EFAULT; a known number with a wrong size is ENOTTY.
 */
#include "ctl.h"

/* Values swept through each reserved word: low, middle and high bits. */
static const int reserved_bits[] = { 0, 31, 32, 63 };

/*
 * The per-ioctl argument checks, one variant per ioctl.  @changes: the
 * ioctl changes the pool (needs CAP_SYS_ADMIN, and its valid argument is
 * never issued as is).
 */
FIXTURE(each_ioctl) {
	struct ctl_env e;
};

FIXTURE_VARIANT(each_ioctl) {
	unsigned long cmd;
	unsigned int size;
	unsigned int reserved;		/* offset of reserved[] */
	unsigned int nr_reserved;
	bool changes;
};

#define IOCTL_VARIANT(name, _cmd, type, _changes)			\
	FIXTURE_VARIANT_ADD(each_ioctl, name) {				\
		.cmd = _cmd,						\
		.size = sizeof(type),					\
		.reserved = offsetof(type, reserved),			\
		.nr_reserved = sizeof(((type *)0)->reserved) / sizeof(__u64), \
		.changes = _changes,					\
	}

IOCTL_VARIANT(info, GPOOL_IOC_INFO, struct gpool_info_args, false);
IOCTL_VARIANT(node_stats, GPOOL_IOC_NODE_STATS, struct gpool_node_stats_args, false);
IOCTL_VARIANT(grow, GPOOL_IOC_GROW, struct gpool_resize_args, true);
IOCTL_VARIANT(shrink, GPOOL_IOC_SHRINK, struct gpool_resize_args, true);
IOCTL_VARIANT(set_default_backing, GPOOL_IOC_SET_DEFAULT_BACKING,
	      struct gpool_default_backing_args, true);
IOCTL_VARIANT(list_files, GPOOL_IOC_LIST_FILES, struct gpool_list_files_args, false);
IOCTL_VARIANT(set_zeroing, GPOOL_IOC_SET_ZEROING, struct gpool_zeroing_args, true);

FIXTURE_SETUP(each_ioctl)
{
	env_setup(_metadata, &self->e);
	if (!_metadata->exit_code && variant->changes)
		REQUIRE_ADMIN(&self->e);
}

FIXTURE_TEARDOWN(each_ioctl)
{
	env_teardown(_metadata, &self->e);
}

/*
 * An argument that passes every check: GROW and SHRINK 2 MiB on the first
 * node, SET_DEFAULT_BACKING and SET_ZEROING to what they already are,
 * LIST_FILES for the count.
 */
static void valid_arg(const struct ctl_env *e, unsigned long cmd,
		      union ctl_arg *a)
{
	memset(a, 0, sizeof(*a));
	switch (cmd) {
	case GPOOL_IOC_NODE_STATS:
		a->stats.node = e->first_nid;
		break;
	case GPOOL_IOC_GROW:
	case GPOOL_IOC_SHRINK:
		a->resize.node = e->first_nid;
		a->resize.bytes = SZ_2M;
		break;
	case GPOOL_IOC_SET_DEFAULT_BACKING:
		a->backing.enable = default_backing_at_setup(e);
		break;
	case GPOOL_IOC_SET_ZEROING:
		a->zeroing.enable = zeroing_at_setup(e);
		break;
	}
}

/* The flags word leads every argument. */
static __u64 *flags_of(union ctl_arg *a)
{
	return (__u64 *)a;
}

static __u64 *reserved_of(union ctl_arg *a, unsigned int off)
{
	return (__u64 *)((char *)a + off);
}

/* The valid argument works (a count-only LIST_FILES may be E2BIG). */
static void expect_valid_arg_works(struct __test_metadata *_metadata,
				   const struct ctl_env *e, unsigned long cmd)
{
	union ctl_arg a;
	int ret;

	valid_arg(e, cmd, &a);
	ret = __gpool_ioctl(e->fd, cmd, &a);
	if (cmd == GPOOL_IOC_LIST_FILES && ret == -E2BIG)
		ret = 0;
	ASSERT_EQ(0, ret) TH_LOG("the valid argument: %s", strerror(-ret));
}

TEST_F(each_ioctl, flags_sweep)
{
	union ctl_arg a;
	int bit;

	if (!variant->changes)
		expect_valid_arg_works(_metadata, &self->e, variant->cmd);
	for (bit = 0; bit < 64; bit++) {
		valid_arg(&self->e, variant->cmd, &a);
		*flags_of(&a) = 1ULL << bit;
		EXPECT_EQ(-EINVAL, __gpool_ioctl(self->e.fd, variant->cmd, &a))
			TH_LOG("flag bit %d", bit);
	}
}

TEST_F(each_ioctl, reserved_sweep)
{
	union ctl_arg a;
	unsigned int w, b, i, j;

	if (!variant->changes)
		expect_valid_arg_works(_metadata, &self->e, variant->cmd);
	for (w = 0; w < variant->nr_reserved; w++) {
		for (b = 0; b < ARRAY_SIZE(reserved_bits); b++) {
			valid_arg(&self->e, variant->cmd, &a);
			reserved_of(&a, variant->reserved)[w] = 1ULL << reserved_bits[b];
			EXPECT_EQ(-EINVAL, __gpool_ioctl(self->e.fd, variant->cmd, &a))
				TH_LOG("reserved[%u] bit %d", w, reserved_bits[b]);
		}
	}
	if (variant->cmd != GPOOL_IOC_NODE_STATS)
		return;
	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		for (j = 0; j < ARRAY_SIZE(a.stats.size[i].unused); j++) {
			for (b = 0; b < ARRAY_SIZE(reserved_bits); b++) {
				valid_arg(&self->e, variant->cmd, &a);
				a.stats.size[i].unused[j] = 1ULL << reserved_bits[b];
				EXPECT_EQ(-EINVAL, __gpool_ioctl(self->e.fd,
								 variant->cmd, &a))
					TH_LOG("size[%u].unused[%u] bit %d", i, j,
					       reserved_bits[b]);
			}
		}
	}
}

/*
 * EFAULT for NULL, for an unmapped page, for an argument that runs into
 * one, and, for the ioctls that write the argument back, for a read-only
 * one.
 */
TEST_F(each_ioctl, bad_pointer_is_efault)
{
	const long page = sysconf(_SC_PAGESIZE);
	const unsigned long cmd = variant->cmd;
	union ctl_arg a;
	char *map, *arg;

	EXPECT_EQ(-EFAULT, __gpool_ioctl(self->e.fd, cmd, NULL));

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + page, page));
	EXPECT_EQ(-EFAULT, __gpool_ioctl(self->e.fd, cmd, map + page));

	/* All but the last word readable. */
	valid_arg(&self->e, cmd, &a);
	arg = map + page - variant->size + sizeof(__u64);
	memcpy(arg, &a, variant->size - sizeof(__u64));
	EXPECT_EQ(-EFAULT, __gpool_ioctl(self->e.fd, cmd, arg));

	if (_IOC_DIR(cmd) & _IOC_READ) {
		memcpy(map, &a, variant->size);
		ASSERT_EQ(0, mprotect(map, page, PROT_READ));
		EXPECT_EQ(-EFAULT, __gpool_ioctl(self->e.fd, cmd, map))
			TH_LOG("read-only argument");
	}
	munmap(map, page);
}

static unsigned long with_size(unsigned long cmd, unsigned int size)
{
	return (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
	       ((unsigned long)size << _IOC_SIZESHIFT);
}

/* The ioctl's number with any other size in it is no ioctl at all. */
TEST_F(each_ioctl, wrong_size_is_enotty)
{
	const unsigned int size = variant->size;
	const unsigned int wrong[] = {
		0, sizeof(__u64), size - sizeof(__u64), size + sizeof(__u64),
		2 * size,
	};
	union {
		union ctl_arg a;
		char bytes[4096];
	} buf;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(wrong); i++) {
		memset(&buf, 0, sizeof(buf));
		valid_arg(&self->e, variant->cmd, &buf.a);
		EXPECT_EQ(-ENOTTY, __gpool_ioctl(self->e.fd,
						 with_size(variant->cmd, wrong[i]),
						 &buf))
			TH_LOG("size %u instead of %u", wrong[i], size);
	}
}
