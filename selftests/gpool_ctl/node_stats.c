// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: GPOOL_IOC_NODE_STATS reports what sysfs reports, node
 * by node, and rejects a node that is not in the pool.
 */
#include "ctl.h"

/* The fields of struct gpool_size_stats, by their sysfs names. */
static const struct {
	const char *name;
	size_t off;
} size_fields[] = {
#define SIZE_FIELD(f) { #f, offsetof(struct gpool_size_stats, f) }
	SIZE_FIELD(total), SIZE_FIELD(free), SIZE_FIELD(zero),
	SIZE_FIELD(zeroing), SIZE_FIELD(allocated), SIZE_FIELD(reserved),
	SIZE_FIELD(split), SIZE_FIELD(nr_splits), SIZE_FIELD(nr_merges),
#undef SIZE_FIELD
};

static __u64 size_field(const struct gpool_size_stats *s, int i)
{
	return *(const __u64 *)((const char *)s + size_fields[i].off);
}

/* Node @nid's sysfs counters, in NODE_STATS's layout. */
static void read_node_sysfs(int nid, struct gpool_node_stats_args *s)
{
	int sz, i;

	memset(s, 0, sizeof(*s));
	s->node = nid;
	s->nr_pages = node_stat(nid, "nr_pages");
	s->bad_pages = node_stat(nid, "bad_pages");
	s->poison_pending = node_stat(nid, "poison_pending");
	for (sz = 0; sz < GPOOL_NR_SIZES; sz++)
		for (i = 0; i < (int)ARRAY_SIZE(size_fields); i++)
			*(__u64 *)((char *)&s->size[sz] + size_fields[i].off) =
				stat_of(nid, sz, size_fields[i].name);
}

/*
 * Every counter of every node equals its sysfs file.  NODE_STATS is read
 * before and after the files; when the two agree, nothing moved while the
 * files were read and all of them must match, free and zeroing included.
 */
TEST_F(ctl, node_stats_match_sysfs)
{
	struct gpool_node_stats_args a, b, s;
	int nid, sz, i, try;
	unsigned int w;

	for (nid = 0; nid < MAX_NODES; nid++) {
		if (!(self->e.start.info.node_mask & (1ULL << nid)))
			continue;
		for (try = 0; try < 100; try++) {
			ASSERT_EQ(0, node_stats(self->e.fd, nid, &a));
			read_node_sysfs(nid, &s);
			ASSERT_EQ(0, node_stats(self->e.fd, nid, &b));
			if (!memcmp(&a, &b, sizeof(a)))
				break;
			usleep(100000);
		}
		ASSERT_LT(try, 100) TH_LOG("node %d never held still", nid);

		EXPECT_EQ(s.nr_pages, a.nr_pages) TH_LOG("node%d/nr_pages", nid);
		EXPECT_EQ(s.bad_pages, a.bad_pages) TH_LOG("node%d/bad_pages", nid);
		EXPECT_EQ(s.poison_pending, a.poison_pending)
			TH_LOG("node%d/poison_pending", nid);
		for (sz = 0; sz < GPOOL_NR_SIZES; sz++) {
			for (i = 0; i < (int)ARRAY_SIZE(size_fields); i++) {
				EXPECT_EQ(size_field(&s.size[sz], i),
					  size_field(&a.size[sz], i))
					TH_LOG("node%d/%s/%s", nid, sizes[sz],
					       size_fields[i].name);
			}
			for (w = 0; w < ARRAY_SIZE(a.size[sz].unused); w++) {
				EXPECT_EQ(0ULL, a.size[sz].unused[w]);
			}
		}
		for (w = 0; w < ARRAY_SIZE(a.reserved); w++) {
			EXPECT_EQ(0ULL, a.reserved[w]);
		}
	}
}

TEST_F(ctl, node_stats_bad_node)
{
	const __u64 too_big[] = {
		64, 65, 1024, 0x7fffffff, 0xffffffff, 1ULL << 32,
		(1ULL << 32) | self->e.first_nid, 1ULL << 63, ~0ULL,
	};
	struct gpool_node_stats_args s;
	unsigned int i;
	int nid;

	for (i = 0; i < ARRAY_SIZE(too_big); i++) {
		EXPECT_EQ(-EINVAL, node_stats(self->e.fd, too_big[i], &s))
			TH_LOG("node %#llx", (unsigned long long)too_big[i]);
	}
	for (nid = 0; nid < MAX_NODES; nid++) {
		if (!(self->e.start.info.node_mask & (1ULL << nid))) {
			EXPECT_EQ(-ENOENT, node_stats(self->e.fd, nid, &s))
				TH_LOG("node %d", nid);
		}
	}
}
