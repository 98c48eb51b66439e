// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - the table of a pool-backed file
 *
 * One entry (a chunk) per 2 MiB of the file:
 *
 *	file offset   0      2M     ...    1G     1G+2M  1G+4M
 *	chunk         [0]    [1]    ...    [512]  [513]  [514]
 *	state         1G     1G     ...    2M     4K     EMPTY
 *	home          H      H+512  ...    P      Q      R     (kept after punches)
 *
 * A 1 GiB-aligned window of the file that lies wholly inside it is backed
 * by one 1G unit if the file may take one and the pool has one; then by
 * 2M units; a chunk at the file's end, or a punched one, by 4K units.
 * Every chunk remembers the 2M-aligned frame it was last backed by (its
 * home): a hole is refilled with exactly the frame it had, when the pool
 * still has it, so that the units merge back.  docs/design/kernel.md
 * draws a conversion inside a 1G unit step by step.
 */
#include "pool_internal.h"
#include "table.h"

/* @n more (or fewer) units of @order in the table's counters. */
static void gpool_table_count_units(struct gpool_table *t,
				    unsigned int order, long n)
{
	int lvl = gpool_order_lvl(order);

	WRITE_ONCE(t->nr_units[lvl], t->nr_units[lvl] + n);
}

/* A unit of @order on @nid came into the table (@sign 1) or left (-1). */
static void gpool_table_count(struct gpool_table *t, int nid,
			      unsigned int order, int sign)
{
	u64 bytes = PAGE_SIZE << order;

	gpool_table_count_units(t, order, sign);
	if (nid < 0 || nid >= GPOOL_MAX_NODES)
		return;
	WRITE_ONCE(t->node_bytes[nid], sign > 0 ? t->node_bytes[nid] + bytes :
						  t->node_bytes[nid] - bytes);
}

static void gpool_table_resched(struct gpool_table *t)
{
	if (t->ops->resched)
		t->ops->resched();
}

/* Free a unit of the table, keeping the counters. */
static int gpool_table_free_unit(struct gpool_table *t, u64 pfn,
				 unsigned int order)
{
	struct gpool_unit unit;
	int nid, ret;

	nid = gpool_query(t->pool, pfn, &unit) ? -1 : unit.nid;
	ret = gpool_free(t->owner, pfn, order);
	if (!ret)
		gpool_table_count(t, nid, order, -1);
	return ret;
}

/* Pages [start, end) are no longer backed. */
static void gpool_table_freed(struct gpool_table *t, u64 start, u64 end)
{
	if (t->ops->freed)
		t->ops->freed(t->priv, start, end);
}

/* Allocate a unit (the exact one at @want first, if any) and clear it. */
static int gpool_table_get_unit(struct gpool_table *t, unsigned int order,
				u64 want, struct gpool_unit *unit)
{
	const struct gpool_table_ops *ops = t->ops;
	int ret = -EBUSY;

	/*
	 * The unit the background zeroer is clearing is taken back from it
	 * rather than waited for: the zeroer runs at nice 19, and gives a
	 * unit back dirty (cleared here, at this task's priority) as soon
	 * as it is paused.  A home unit that is allocated (to another page
	 * of this file, or to another owner) or bad will not come back:
	 * take any unit, at once.
	 */
	if (want) {
		ret = gpool_alloc_exact(t->owner, want, order, unit);
		if (ret == -EBUSY && ops->zeroer_holds(want)) {
			ops->zeroer_pause();
			ret = gpool_alloc_exact(t->owner, want, order, unit);
			ops->zeroer_resume();
		}
	}
	if (ret) {
		ret = gpool_alloc(t->owner, order, unit);
		/* All the capacity left is out with the zeroer. */
		if (ret == -EAGAIN) {
			ops->zeroer_pause();
			ret = gpool_alloc(t->owner, order, unit);
			ops->zeroer_resume();
		}
	}
	if (ret)
		return ret;
	if (!(unit->flags & GPOOL_UNIT_ZERO)) {
		ret = ops->clear(unit->pfn, order);
		if (ret) {
			gpool_free(t->owner, unit->pfn, order);
			return ret;
		}
	}
	gpool_table_count(t, unit->nid, order, 1);
	return 0;
}

/* May one unit back the @nr_pages pages at @start (ops->fits)? */
static bool gpool_table_fits(const struct gpool_table *t, u64 start,
			     u64 nr_pages)
{
	return !t->ops->fits || t->ops->fits(t->priv, start, nr_pages);
}

static struct gpool_chunk *gpool_window(const struct gpool_table *t,
					u64 index)
{
	return &t->chunks[ALIGN_DOWN(index, GPOOL_WINDOW_PAGES) /
			  GPOOL_CHUNK_PAGES];
}

/* Does the 1G window holding @index lie inside a file that takes 1G units? */
static bool gpool_window_whole(const struct gpool_table *t, u64 index)
{
	return t->max_order >= GPOOL_ORDER_1G &&
	       ALIGN_DOWN(index, GPOOL_WINDOW_PAGES) + GPOOL_WINDOW_PAGES <=
	       t->nr_pages;
}

/* Can the 1G window holding @index be one 1G unit? */
static bool gpool_window_fits(const struct gpool_table *t, u64 index)
{
	struct gpool_chunk *c = gpool_window(t, index);
	unsigned long i;

	if (!gpool_window_whole(t, index))
		return false;
	for (i = 0; i < GPOOL_WINDOW_CHUNKS; i++)
		if (c[i].state != GPOOL_CHUNK_EMPTY)
			return false;
	return gpool_table_fits(t, ALIGN_DOWN(index, GPOOL_WINDOW_PAGES),
				GPOOL_WINDOW_PAGES);
}

/* The 1G unit the window's chunks last came from, if they agree on one. */
static u64 gpool_window_home(const struct gpool_table *t, u64 index)
{
	struct gpool_chunk *c = gpool_window(t, index);
	u64 home = c[0].home;
	unsigned long i;

	if (!home || !IS_ALIGNED(home, GPOOL_WINDOW_PAGES))
		return 0;
	for (i = 1; i < GPOOL_WINDOW_CHUNKS; i++)
		if (c[i].home != home + i * GPOOL_CHUNK_PAGES)
			return 0;
	return home;
}

static void gpool_set_window(struct gpool_table *t, u64 index, u64 pfn)
{
	struct gpool_chunk *c = gpool_window(t, index);
	unsigned long i;

	for (i = 0; i < GPOOL_WINDOW_CHUNKS; i++) {
		c[i].state = GPOOL_CHUNK_1G;
		c[i].home = pfn + i * GPOOL_CHUNK_PAGES;
	}
}

/*
 * A window whose chunks are all 2M units of one 1G-aligned run, held by
 * this file, merges back into the 1G unit.
 */
static bool gpool_try_merge_1g(struct gpool_table *t, u64 index)
{
	struct gpool_chunk *c = gpool_window(t, index);
	struct gpool_merge_info info;
	unsigned long i;
	u64 home;

	if (!gpool_window_whole(t, index))
		return false;
	home = gpool_window_home(t, index);
	if (!home)
		return false;
	for (i = 0; i < GPOOL_WINDOW_CHUNKS; i++)
		if (c[i].state != GPOOL_CHUNK_2M)
			return false;
	if (!gpool_table_fits(t, ALIGN_DOWN(index, GPOOL_WINDOW_PAGES),
			      GPOOL_WINDOW_PAGES))
		return false;
	if (gpool_merge(t->owner, home, GPOOL_ORDER_1G, &info))
		return false;
	gpool_set_window(t, index, home);
	gpool_table_count_units(t, GPOOL_ORDER_2M, -(long)GPOOL_WINDOW_CHUNKS);
	gpool_table_count_units(t, GPOOL_ORDER_1G, 1);
	return true;
}

/* A split chunk whose every page is back at home merges into a 2M unit. */
static bool gpool_try_merge_2m(struct gpool_table *t, struct gpool_chunk *c)
{
	struct gpool_merge_info info;
	unsigned long i;

	if (t->max_order < GPOOL_ORDER_2M || c->nr_pages != GPOOL_CHUNK_PAGES)
		return false;
	for (i = 0; i < GPOOL_CHUNK_PAGES; i++)
		if (c->pages[i] != c->home + i)
			return false;
	if (!gpool_table_fits(t, (c - t->chunks) * GPOOL_CHUNK_PAGES,
			      GPOOL_CHUNK_PAGES))
		return false;
	if (gpool_merge(t->owner, c->home, GPOOL_ORDER_2M, &info))
		return false;
	gpool_table_count_units(t, GPOOL_ORDER_4K, -(long)GPOOL_CHUNK_PAGES);
	gpool_table_count_units(t, GPOOL_ORDER_2M, 1);
	kfree(c->pages);
	c->pages = NULL;
	c->nr_pages = 0;
	c->state = GPOOL_CHUNK_2M;
	return true;
}

/* Fill a hole in (or create) a split chunk with one 4K unit. */
static int gpool_fill_4k(struct gpool_table *t, struct gpool_chunk *c,
			 u64 index, bool *merged)
{
	unsigned long i = index % GPOOL_CHUNK_PAGES;
	struct gpool_unit unit;
	int ret;

	if (c->state == GPOOL_CHUNK_EMPTY) {
		c->pages = kcalloc(GPOOL_CHUNK_PAGES, sizeof(*c->pages),
				   GFP_KERNEL_ACCOUNT);
		if (!c->pages)
			return -ENOMEM;
		c->state = GPOOL_CHUNK_4K;
	}
	/* Only a file that can merge needs its frames back at home. */
	ret = gpool_table_get_unit(t, GPOOL_ORDER_4K,
				   t->max_order >= GPOOL_ORDER_2M && c->home ?
				   c->home + i : 0, &unit);
	if (ret) {
		if (!c->nr_pages) {
			kfree(c->pages);
			c->pages = NULL;
			c->state = GPOOL_CHUNK_EMPTY;
		}
		return ret;
	}
	c->pages[i] = unit.pfn;
	c->nr_pages++;
	if (gpool_try_merge_2m(t, c)) {
		*merged = true;
		gpool_try_merge_1g(t, index);
	}
	return 0;
}

int gpool_table_populate(struct gpool_table *t, u64 index, bool *merged)
{
	struct gpool_chunk *c = &t->chunks[index / GPOOL_CHUNK_PAGES];
	u64 chunk_start = ALIGN_DOWN(index, GPOOL_CHUNK_PAGES);
	struct gpool_unit unit;
	u64 home;
	int ret;

	if (c->state == GPOOL_CHUNK_4K)
		return c->pages[index % GPOOL_CHUNK_PAGES] ? 0 :
		       gpool_fill_4k(t, c, index, merged);
	if (c->state != GPOOL_CHUNK_EMPTY)
		return 0;

	if (gpool_window_fits(t, index)) {
		home = gpool_window_home(t, index);
		if (!gpool_table_get_unit(t, GPOOL_ORDER_1G, home, &unit)) {
			gpool_set_window(t, index, unit.pfn);
			return 0;
		}
	}
	if (t->max_order >= GPOOL_ORDER_2M &&
	    chunk_start + GPOOL_CHUNK_PAGES <= t->nr_pages &&
	    gpool_table_fits(t, chunk_start, GPOOL_CHUNK_PAGES) &&
	    !gpool_table_get_unit(t, GPOOL_ORDER_2M, c->home, &unit)) {
		c->state = GPOOL_CHUNK_2M;
		c->home = unit.pfn;
		if (gpool_try_merge_1g(t, index))
			*merged = true;
		return 0;
	}
	ret = gpool_fill_4k(t, c, index, merged);
	if (!ret && !c->home)
		c->home = ALIGN_DOWN(c->pages[index % GPOOL_CHUNK_PAGES],
				     GPOOL_CHUNK_PAGES);
	return ret;
}

void gpool_table_lookup(const struct gpool_table *t, u64 index, u64 *pfn,
			unsigned int *order)
{
	const struct gpool_chunk *c = &t->chunks[index / GPOOL_CHUNK_PAGES];

	switch (c->state) {
	case GPOOL_CHUNK_1G:
		*pfn = c->home + index % GPOOL_CHUNK_PAGES;
		*order = GPOOL_ORDER_1G;
		break;
	case GPOOL_CHUNK_2M:
		*pfn = c->home + index % GPOOL_CHUNK_PAGES;
		*order = GPOOL_ORDER_2M;
		break;
	case GPOOL_CHUNK_4K:
		*pfn = c->pages[index % GPOOL_CHUNK_PAGES];
		*order = GPOOL_ORDER_4K;
		break;
	default:
		*pfn = 0;
		*order = GPOOL_ORDER_4K;
		break;
	}
}

/* Turn a 2M chunk into a 4K one; the pool units must already be 4K. */
static void gpool_chunk_to_4k(struct gpool_table *t, struct gpool_chunk *c,
			      u64 *pages)
{
	unsigned long i;

	gpool_table_count_units(t, GPOOL_ORDER_2M, -1);
	gpool_table_count_units(t, GPOOL_ORDER_4K, GPOOL_CHUNK_PAGES);

	for (i = 0; i < GPOOL_CHUNK_PAGES; i++)
		pages[i] = c->home + i;
	c->pages = pages;
	c->nr_pages = GPOOL_CHUNK_PAGES;
	c->state = GPOOL_CHUNK_4K;
}

u64 *gpool_split_pages_alloc(void)
{
	KUNIT_STATIC_STUB_REDIRECT(gpool_split_pages_alloc);
	return kmalloc_array(GPOOL_CHUNK_PAGES, sizeof(u64),
			     GFP_KERNEL_ACCOUNT);
}

/*
 * Split the unit backing chunk @ci so that [start, end) (clipped to the
 * unit) is made of whole units, and update the table the way the pool did
 * it: 1G into 2M chunks, and the chunks holding a boundary into 4K.
 */
static int gpool_split_chunk(struct gpool_table *t, unsigned long ci,
			     u64 start, u64 end)
{
	struct gpool_chunk *c = &t->chunks[ci];
	bool window = c->state == GPOOL_CHUNK_1G;
	struct gpool_split_info info;
	u64 *pages[2] = { NULL, NULL };
	u64 ustart, uend, s, e, i;
	int ret, n = 0;

	ustart = window ? ALIGN_DOWN(ci * GPOOL_CHUNK_PAGES, GPOOL_WINDOW_PAGES) :
			  ci * GPOOL_CHUNK_PAGES;
	uend = ustart + (window ? GPOOL_WINDOW_PAGES : GPOOL_CHUNK_PAGES);
	s = max(start, ustart);
	e = min(end, uend);

	/* Preallocate before the pool changes: the split cannot be undone. */
	for (i = 0; i < 2; i++) {
		pages[i] = gpool_split_pages_alloc();
		if (!pages[i]) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	ret = gpool_split(t->owner, t->chunks[s / GPOOL_CHUNK_PAGES].home +
			  s % GPOOL_CHUNK_PAGES, e - s, &info);
	if (ret)
		goto out_free;

	if (window) {
		struct gpool_chunk *w = &t->chunks[ustart / GPOOL_CHUNK_PAGES];

		for (i = 0; i < GPOOL_WINDOW_CHUNKS; i++)
			w[i].state = GPOOL_CHUNK_2M;
		gpool_table_count_units(t, GPOOL_ORDER_1G, -1);
		gpool_table_count_units(t, GPOOL_ORDER_2M, GPOOL_WINDOW_CHUNKS);
	}
	if (s % GPOOL_CHUNK_PAGES)
		gpool_chunk_to_4k(t, &t->chunks[s / GPOOL_CHUNK_PAGES],
				  pages[n++]);
	if (e % GPOOL_CHUNK_PAGES &&
	    t->chunks[e / GPOOL_CHUNK_PAGES].state != GPOOL_CHUNK_4K)
		gpool_chunk_to_4k(t, &t->chunks[e / GPOOL_CHUNK_PAGES],
				  pages[n++]);
out_free:
	while (n < 2)
		kfree(pages[n++]);
	return ret;
}

/* The first page and the size in pages of the unit backing @index. */
static u64 gpool_unit_of(const struct gpool_table *t, u64 index,
			 u64 *nr_pages)
{
	switch (t->chunks[index / GPOOL_CHUNK_PAGES].state) {
	case GPOOL_CHUNK_1G:
		*nr_pages = GPOOL_WINDOW_PAGES;
		return ALIGN_DOWN(index, GPOOL_WINDOW_PAGES);
	case GPOOL_CHUNK_2M:
		*nr_pages = GPOOL_CHUNK_PAGES;
		return ALIGN_DOWN(index, GPOOL_CHUNK_PAGES);
	default:
		*nr_pages = 1;
		return index;
	}
}

void gpool_table_span(const struct gpool_table *t, u64 *start, u64 *end)
{
	u64 n;

	*start = gpool_unit_of(t, *start, &n);
	*end = gpool_unit_of(t, *end - 1, &n) + n;
}

/* Free the pages of a 4K chunk that lie in [start, end). */
static int gpool_punch_4k(struct gpool_table *t, unsigned long ci,
			  u64 start, u64 end)
{
	struct gpool_chunk *c = &t->chunks[ci];
	u64 cstart = ci * GPOOL_CHUNK_PAGES, s, e, i;
	int ret = 0;

	s = max(start, cstart) - cstart;
	e = min(end, cstart + GPOOL_CHUNK_PAGES) - cstart;
	for (i = s; i < e; i++) {
		if (!c->pages[i])
			continue;
		ret = gpool_table_free_unit(t, c->pages[i], GPOOL_ORDER_4K);
		if (WARN_ON_ONCE(ret))
			break;
		c->pages[i] = 0;
		c->nr_pages--;
		gpool_table_freed(t, cstart + i, cstart + i + 1);
	}
	if (!c->nr_pages) {
		kfree(c->pages);
		c->pages = NULL;
		c->state = GPOOL_CHUNK_EMPTY;
	}
	return ret;
}

int gpool_table_punch(struct gpool_table *t, u64 start, u64 end)
{
	unsigned long ci, i;
	int ret = 0;

	end = min(end, t->nr_pages);
	for (ci = start / GPOOL_CHUNK_PAGES; ci * GPOOL_CHUNK_PAGES < end; ci++) {
		struct gpool_chunk *c = &t->chunks[ci];
		u64 cstart = ci * GPOOL_CHUNK_PAGES;

		if (c->state == GPOOL_CHUNK_1G) {
			u64 wstart = ALIGN_DOWN(cstart, GPOOL_WINDOW_PAGES);

			if (start <= wstart && end >= wstart + GPOOL_WINDOW_PAGES) {
				struct gpool_chunk *w = gpool_window(t, cstart);

				ret = gpool_table_free_unit(t, w->home,
							    GPOOL_ORDER_1G);
				if (ret)
					break;
				for (i = 0; i < GPOOL_WINDOW_CHUNKS; i++)
					w[i].state = GPOOL_CHUNK_EMPTY;
				gpool_table_freed(t, wstart,
						  wstart + GPOOL_WINDOW_PAGES);
				ci = wstart / GPOOL_CHUNK_PAGES +
				     GPOOL_WINDOW_CHUNKS - 1;
				gpool_table_resched(t);
				continue;
			}
			ret = gpool_split_chunk(t, ci, start, end);
			if (ret)
				break;
		}
		if (c->state == GPOOL_CHUNK_2M) {
			if (start <= cstart && end >= cstart + GPOOL_CHUNK_PAGES) {
				ret = gpool_table_free_unit(t, c->home,
							    GPOOL_ORDER_2M);
				if (ret)
					break;
				c->state = GPOOL_CHUNK_EMPTY;
				gpool_table_freed(t, cstart,
						  cstart + GPOOL_CHUNK_PAGES);
				gpool_table_resched(t);
				continue;
			}
			ret = gpool_split_chunk(t, ci, start, end);
			if (ret)
				break;
		}
		if (c->state != GPOOL_CHUNK_4K)
			continue;
		ret = gpool_punch_4k(t, ci, start, end);
		if (ret)
			break;
		/* One free per page of a split file: 268M of them for 1 TiB. */
		gpool_table_resched(t);
	}
	return ret;
}

int gpool_table_split(struct gpool_table *t, u64 start, u64 end)
{
	u64 bounds[2] = { start, end }, n;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(bounds); i++) {
		u64 b = bounds[i];

		/* Each split leaves a smaller unit at b: at most two rounds. */
		while (b && b < t->nr_pages && gpool_unit_of(t, b, &n) != b) {
			ret = gpool_split_chunk(t, b / GPOOL_CHUNK_PAGES, start,
						end);
			if (ret)
				return ret;
		}
	}
	return 0;
}

void gpool_table_merge(struct gpool_table *t, u64 start, u64 end,
		       u64 *merged_start, u64 *merged_end)
{
	u64 first = U64_MAX, last = 0, i;
	unsigned long ci;

	end = min(end, t->nr_pages);
	if (start >= end)
		goto out;
	for (ci = start / GPOOL_CHUNK_PAGES; ci * GPOOL_CHUNK_PAGES < end; ci++) {
		struct gpool_chunk *c = &t->chunks[ci];

		if (c->state == GPOOL_CHUNK_4K && gpool_try_merge_2m(t, c)) {
			first = min(first, (u64)ci * GPOOL_CHUNK_PAGES);
			last = max(last, (u64)(ci + 1) * GPOOL_CHUNK_PAGES);
		}
		gpool_table_resched(t);
	}
	/* Then each 1G window the range touches, once. */
	for (i = ALIGN_DOWN(start, GPOOL_WINDOW_PAGES); i < end;
	     i += GPOOL_WINDOW_PAGES) {
		if (gpool_window(t, i)->state == GPOOL_CHUNK_2M &&
		    gpool_try_merge_1g(t, i)) {
			first = min(first, i);
			last = max(last, i + GPOOL_WINDOW_PAGES);
		}
	}
out:
	*merged_start = first;
	*merged_end = first == U64_MAX ? first : last;
}

long gpool_table_find(struct gpool_table *t, u64 pfn)
{
	unsigned long ci, i;

	for (ci = 0; ci < t->nr_chunks; ci++) {
		const struct gpool_chunk *c = &t->chunks[ci];

		gpool_table_resched(t);
		switch (c->state) {
		case GPOOL_CHUNK_1G:
		case GPOOL_CHUNK_2M:
			if (pfn >= c->home && pfn < c->home + GPOOL_CHUNK_PAGES)
				return ci * GPOOL_CHUNK_PAGES + pfn - c->home;
			break;
		case GPOOL_CHUNK_4K:
			for (i = 0; i < GPOOL_CHUNK_PAGES; i++)
				if (c->pages[i] == pfn)
					return ci * GPOOL_CHUNK_PAGES + i;
			break;
		}
	}
	return -1;
}

int gpool_table_init(struct gpool_table *t, struct gpool *pool,
		     struct gpool_owner *owner, u64 nr_pages,
		     unsigned int max_order, const struct gpool_table_ops *ops,
		     void *priv)
{
	memset(t, 0, sizeof(*t));
	t->nr_chunks = (nr_pages + GPOOL_CHUNK_PAGES - 1) / GPOOL_CHUNK_PAGES;
	t->chunks = kvcalloc(t->nr_chunks, sizeof(*t->chunks),
			     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!t->chunks)
		return -ENOMEM;
	t->pool = pool;
	t->owner = owner;
	t->nr_pages = nr_pages;
	t->max_order = max_order;
	t->ops = ops;
	t->priv = priv;
	return 0;
}

void gpool_table_destroy(struct gpool_table *t)
{
	WARN_ON_ONCE(gpool_table_punch(t, 0, t->nr_pages));
	kvfree(t->chunks);
	t->chunks = NULL;
}
