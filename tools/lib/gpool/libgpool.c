// SPDX-License-Identifier: GPL-2.0
/*
 * libgpool: the one table of unit sizes, the counters' names and offsets,
 * and the parsing of the numbers sysfs prints.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "libgpool.h"

const char * const gpool_size_name[GPOOL_NR_SIZES] = {
	[GPOOL_SIZE_4K] = "4K",
	[GPOOL_SIZE_2M] = "2M",
	[GPOOL_SIZE_1G] = "1G",
};

const unsigned int gpool_size_shift[GPOOL_NR_SIZES] = {
	[GPOOL_SIZE_4K] = GPOOL_FOLIO_SHIFT_4K,
	[GPOOL_SIZE_2M] = GPOOL_FOLIO_SHIFT_2M,
	[GPOOL_SIZE_1G] = GPOOL_FOLIO_SHIFT_1G,
};

const __u64 gpool_size_bytes[GPOOL_NR_SIZES] = {
	[GPOOL_SIZE_4K] = 1ULL << GPOOL_FOLIO_SHIFT_4K,
	[GPOOL_SIZE_2M] = 1ULL << GPOOL_FOLIO_SHIFT_2M,
	[GPOOL_SIZE_1G] = 1ULL << GPOOL_FOLIO_SHIFT_1G,
};

const int gpool_size_order[GPOOL_NR_SIZES] = {
	GPOOL_SIZE_1G, GPOOL_SIZE_2M, GPOOL_SIZE_4K,
};

int gpool_size_of_shift(unsigned int shift)
{
	int i;

	for (i = 0; i < GPOOL_NR_SIZES; i++)
		if (gpool_size_shift[i] == shift)
			return i;
	return -EINVAL;
}

#define NODE_FIELD(f) { #f, offsetof(struct gpool_node_stats_args, f) }
#define SIZE_FIELD(f) { #f, offsetof(struct gpool_size_stats, f) }

const struct gpool_field gpool_node_fields[GPOOL_NR_NODE_FIELDS] = {
	NODE_FIELD(nr_pages),
	NODE_FIELD(bad_pages),
	NODE_FIELD(poison_pending),
};

const struct gpool_field gpool_size_fields[GPOOL_NR_SIZE_FIELDS] = {
	SIZE_FIELD(total),
	SIZE_FIELD(free),
	SIZE_FIELD(zero),
	SIZE_FIELD(zeroing),
	SIZE_FIELD(allocated),
	SIZE_FIELD(reserved),
	SIZE_FIELD(split),
	SIZE_FIELD(nr_splits),
	SIZE_FIELD(nr_merges),
};

void gpool_node_bytes(const struct gpool_node_stats_args *s,
		      struct gpool_bytes *b)
{
	int i;

	memset(b, 0, sizeof(*b));
	b->total = s->nr_pages << GPOOL_FOLIO_SHIFT_4K;
	b->bad = s->bad_pages << GPOOL_FOLIO_SHIFT_4K;
	b->poison = s->poison_pending << GPOOL_FOLIO_SHIFT_4K;
	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		const struct gpool_size_stats *z = &s->size[i];
		unsigned int sh = gpool_size_shift[i];

		b->free += (z->free + z->zeroing) << sh;
		b->zero += z->zero << sh;
		b->zeroing += z->zeroing << sh;
		b->reserved += z->reserved << sh;
		b->allocated += z->allocated << sh;
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int gpool_parse_decimal(const char **sp, __u64 *val)
{
	const char *s = *sp;
	__u64 v = 0;
	int ret = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned int d = *s - '0';

		if (v > (~0ULL - d) / 10)
			ret = -ERANGE;
		else
			v = v * 10 + d;
	}
	*sp = s;
	if (!ret)
		*val = v;
	return ret;
}

int gpool_parse_u64(const char *s, __u64 *val, const char **why)
{
	__u64 v;
	int ret;

	ret = gpool_parse_decimal(&s, &v);
	if (ret == -EINVAL || (*s && strcmp(s, "\n"))) {
		*why = "not a decimal number";
		return -EINVAL;
	}
	if (ret == -ERANGE) {
		*why = "number too large for 64 bits";
		return ret;
	}
	*val = v;
	return 0;
}
