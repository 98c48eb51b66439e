// SPDX-License-Identifier: GPL-2.0
/*
 * The table harness of table_model.h and the random model-based test.
 *
 * The model is one frame per page of each file.  An op's result is judged
 * by what the API promises, not by how table.c does it:
 *
 *  - populate backs the page with one unit (the order lookup reports) that
 *    covers only holes, or merges: *merged is set exactly when the unit
 *    of the page now covers pages that were backed before; no backed page
 *    ever changes frame;
 *  - punch frees exactly the backed pages of the range, each reported once
 *    by ops->freed; a failed punch frees a prefix of them and keeps the
 *    rest backed;
 *  - populate fails only when an allocation or a clear was made to fail;
 *  - convert keeps every frame where it is (no page changes frame, none
 *    is freed) and fails only when split metadata was made to fail.
 *
 * tm_check() then walks every chunk: the state against the file's size,
 * max_order and alignment, every page against the model and the lookup,
 * each unit against gpool_query() (pfn, order, owner), no frame backing
 * two pages of any file or being the thief's, no unit over pages of
 * mixed attributes, no unit left unmerged that the table should have
 * merged (all at home and of one attribute), the table's counters against a recount
 * and against the owner's held units in the pool, and gpool_check().
 */
#include <stdarg.h>

#include "../range.h"
#include "table_model.h"
#include "kselftest.h"

struct tm_counts tm_counts;

static int tm_clear(u64 pfn, unsigned int order)
{
	tm_counts.clear++;
	tm_counts.clear_pfn = pfn;
	tm_counts.clear_order = order;
	if (tm_counts.clear_fail) {
		tm_counts.clear_fail--;
		return -EIO;
	}
	return 0;
}

static bool tm_zeroer_holds(u64 __always_unused pfn)
{
	return false;
}

static void tm_zeroer_pause(void)
{
	tm_counts.pause++;
}

static void tm_zeroer_resume(void)
{
	tm_counts.resume++;
}

static void tm_freed(void *priv, u64 start, u64 end)
{
	struct tm_file *f = priv;
	u64 p;

	tm_counts.freed++;
	if (start >= end || start < f->op_start || end > f->op_end) {
		tm_fail(f->env, __LINE__, "freed [%llu, %llu) outside [%llu, %llu)",
			start, end, f->op_start, f->op_end);
		return;
	}
	for (p = start; p < end; p++) {
		if (test_bit(p, f->freed))
			tm_fail(f->env, __LINE__, "page %llu freed twice", p);
		__set_bit(p, f->freed);
	}
}

static void tm_resched(void)
{
	tm_counts.resched++;
}

/* Are the attributes of [start, start + nr) all the same? */
static bool tm_uniform(const struct tm_file *f, u64 start, u64 nr)
{
	bool first = test_bit(start, f->private);
	u64 p;

	for (p = start + 1; p < start + nr; p++)
		if (test_bit(p, f->private) != first)
			return false;
	return true;
}

static bool tm_fits(void *priv, u64 start, u64 nr_pages)
{
	struct tm_file *f = priv;

	if (!nr_pages || start + nr_pages > f->t.nr_pages) {
		tm_fail(f->env, __LINE__, "fits(%llu, %llu) outside the file",
			start, nr_pages);
		return false;
	}
	return tm_uniform(f, start, nr_pages);
}

static const struct gpool_table_ops tm_ops = {
	.clear = tm_clear,
	.zeroer_holds = tm_zeroer_holds,
	.zeroer_pause = tm_zeroer_pause,
	.zeroer_resume = tm_zeroer_resume,
	.freed = tm_freed,
	.resched = tm_resched,
	.fits = tm_fits,
};

bool tm_fail(struct tm_env *e, int line, const char *fmt, ...)
{
	va_list ap;

	if (!e->err) {
		fprintf(stderr, "# table: line %d: ", line);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
	e->err = -EIO;
	return false;
}

struct tm_env *tm_env_create(unsigned int range_flags)
{
	struct gpool_policy pol = { .mode = GPOOL_MODE_PREFERRED };
	struct tm_env *e = calloc(1, sizeof(*e));
	int nid;

	if (!e)
		abort();
	e->frame_of = calloc(TM_FRAMES, 1);
	e->pool = gpool_create();
	if (!e->frame_of || IS_ERR(e->pool))
		abort();
	if (gpool_add_range(e->pool, 0, TM_BASE, 2 * TM_PG_1G + 4 * TM_PG_2M,
			    range_flags) ||
	    gpool_add_range(e->pool, 1, TM_NODE1, TM_PG_1G + 4 * TM_PG_2M,
			    range_flags))
		tm_fail(e, __LINE__, "adding the ranges");
	for (nid = 0; nid < TM_NODES; nid++)
		gpool_node_stats(e->pool, nid, &e->initial[nid]);
	e->thief = gpool_owner_create(e->pool, &pol, GPOOL_ORDER_1G);
	if (IS_ERR(e->thief))
		abort();
	memset(&tm_counts, 0, sizeof(tm_counts));
	return e;
}

/* Reserve the file's size: its 1G part in 1G units, then 2M, then 4K. */
static int tm_reserve(struct tm_file *f)
{
	static const unsigned int orders[] = {
		GPOOL_ORDER_1G, GPOOL_ORDER_2M, GPOOL_ORDER_4K,
	};
	u64 left = f->t.nr_pages, part;
	unsigned int k;
	int ret;

	for (k = 0; k < ARRAY_SIZE(orders) && left; k++) {
		if (orders[k] > f->t.max_order)
			continue;
		part = ALIGN_DOWN(left, BIT_ULL(orders[k]));
		if (!part)
			continue;
		ret = gpool_reserve(f->owner, part << PAGE_SHIFT, orders[k]);
		if (ret)
			return ret;
		left -= part;
	}
	return 0;
}

int tm_add_file(struct tm_env *e, u64 nr_pages, unsigned int max_order,
		enum gpool_mode mode, int nid)
{
	struct gpool_policy pol = { .mode = mode, .preferred = nid };
	struct tm_file *f = &e->file[e->nr_files];
	int ret;

	if (e->nr_files == TM_FILES)
		return -ENOSPC;
	if (mode == GPOOL_MODE_INTERLEAVE)
		bitmap_set(pol.nodes, 0, TM_NODES);
	else
		__set_bit(nid, pol.nodes);
	f->owner = gpool_owner_create(e->pool, &pol, max_order);
	if (IS_ERR(f->owner))
		return PTR_ERR(f->owner);
	ret = gpool_table_init(&f->t, e->pool, f->owner, nr_pages, max_order,
			       &tm_ops, f);
	if (ret) {
		gpool_owner_destroy(f->owner);
		return ret;
	}
	ret = tm_reserve(f);
	if (ret) {
		gpool_table_destroy(&f->t);
		gpool_owner_destroy(f->owner);
		return ret;
	}
	f->env = e;
	f->frame = calloc(nr_pages, sizeof(*f->frame));
	f->freed = calloc(BITS_TO_LONGS(nr_pages), sizeof(long));
	f->private = calloc(BITS_TO_LONGS(nr_pages), sizeof(long));
	if (!f->frame || !f->freed || !f->private)
		abort();
	return e->nr_files++;
}

int tm_populate(struct tm_env *e, unsigned int fi, u64 index, bool *merged)
{
	struct tm_file *f = &e->file[fi];
	const struct gpool_chunk *c = &f->t.chunks[index / GPOOL_CHUNK_PAGES];
	u64 before = f->frame[index], pfn, n, s, base, p, home = 0;
	struct gpool_unit u;
	unsigned int order;
	bool old = false;
	int ret;

	/*
	 * A hole of a file that merges is refilled with the very frame it
	 * had (its chunk's home) if that is free and its 2M block already
	 * split, the file holding other frames of it.  Only on node 0, which
	 * always has capacity to spare: on a node whose capacity is all
	 * reserved, taking the frame may break another owner's reservation.
	 */
	if (!before && c->home < TM_NODE1 && c->state == GPOOL_CHUNK_4K &&
	    f->t.max_order >= GPOOL_ORDER_2M &&
	    gpool_query(e->pool, c->home + index % GPOOL_CHUNK_PAGES, &u)) {
		for (p = 0; p < GPOOL_CHUNK_PAGES; p++)
			if (c->pages[p] == c->home + p)
				home = c->home + index % GPOOL_CHUNK_PAGES;
	}
	*merged = false;
	f->op_start = 0;	/* populate never frees */
	f->op_end = 0;
	ret = gpool_table_populate(&f->t, index, merged);
	gpool_table_lookup(&f->t, index, &pfn, &order);
	if (ret) {
		TM_EXPECT(e, !*merged);
		TM_EXPECT(e, pfn == before);
		return ret;
	}
	if (!pfn) {
		tm_fail(e, __LINE__, "file %u page %llu: populated, no frame",
			fi, index);
		return ret;
	}
	if (before) {
		if (pfn != before || *merged)
			tm_fail(e, __LINE__, "file %u page %llu: backed by %llx, now %llx%s",
				fi, index, before, pfn,
				*merged ? ", merged" : "");
		return ret;
	}
	if (home && pfn != home && !e->injecting)
		tm_fail(e, __LINE__, "file %u page %llu: refilled with %llx, its home %llx is free",
			fi, index, pfn, home);
	/* The unit backing the page now: only holes, unless it merged. */
	n = BIT_ULL(order);
	s = ALIGN_DOWN(index, n);
	base = pfn - (index - s);
	if (s + n > f->t.nr_pages || !IS_ALIGNED(base, n)) {
		tm_fail(e, __LINE__, "file %u page %llu: unit %llx order %u",
			fi, index, base, order);
		return ret;
	}
	for (p = s; p < s + n; p++) {
		if (!f->frame[p])
			continue;
		old = true;
		if (f->frame[p] != base + p - s) {
			tm_fail(e, __LINE__, "file %u page %llu: frame %llx became %llx",
				fi, p, f->frame[p], base + p - s);
			return ret;
		}
	}
	if (old != *merged)
		tm_fail(e, __LINE__, "file %u page %llu: merged %d, unit order %u %s backed pages",
			fi, index, *merged, order,
			old ? "took in" : "took no");
	for (p = s; p < s + n; p++)
		f->frame[p] = base + p - s;
	return ret;
}

int tm_punch(struct tm_env *e, unsigned int fi, u64 start, u64 end)
{
	struct tm_file *f = &e->file[fi];
	u64 clip = min(end, f->t.nr_pages), hi = start, p;
	int ret;

	for (p = start; p < clip; p++)
		__clear_bit(p, f->freed);
	f->op_start = start;
	f->op_end = clip;
	ret = gpool_table_punch(&f->t, start, end);
	f->op_start = 0;
	f->op_end = 0;
	for (p = start; p < clip; p++) {
		if (!test_bit(p, f->freed))
			continue;
		if (!f->frame[p])
			tm_fail(e, __LINE__, "file %u page %llu: a hole reported freed",
				fi, p);
		f->frame[p] = 0;
		hi = p + 1;
	}
	/* A failed punch frees a prefix of the backed pages, all of them else. */
	for (p = start; p < (ret ? hi : clip); p++) {
		if (f->frame[p]) {
			tm_fail(e, __LINE__, "file %u punch [%llu, %llu) = %d: page %llu not freed",
				fi, start, end, ret, p);
			break;
		}
	}
	return ret;
}

int tm_convert(struct tm_env *e, unsigned int fi, u64 start, u64 end,
	       bool to_private)
{
	struct tm_file *f = &e->file[fi];
	u64 span_start = start, span_end, ms, me, p;
	u64 *before;
	int ret;

	end = min(end, f->t.nr_pages);
	if (start >= end)
		return 0;
	before = malloc(f->t.nr_pages * sizeof(*before));
	if (!before)
		abort();
	memcpy(before, f->frame, f->t.nr_pages * sizeof(*before));
	span_end = end;
	gpool_table_span(&f->t, &span_start, &span_end);
	f->op_start = 0;	/* a conversion never frees */
	f->op_end = 0;
	ret = gpool_table_split(&f->t, start, end);
	if (!ret) {
		if (to_private)
			bitmap_set(f->private, start, end - start);
		else
			bitmap_clear(f->private, start, end - start);
	}
	gpool_table_merge(&f->t, span_start, span_end, &ms, &me);
	if (ms < me && (ms > span_start || me < span_end) &&
	    (ms % GPOOL_CHUNK_PAGES || me % GPOOL_CHUNK_PAGES))
		tm_fail(e, __LINE__, "file %u: merged [%llu, %llu) is not whole units",
			fi, ms, me);
	for (p = 0; p < f->t.nr_pages; p++) {
		u64 pfn;
		unsigned int o;

		gpool_table_lookup(&f->t, p, &pfn, &o);
		if (pfn != before[p]) {
			tm_fail(e, __LINE__, "file %u convert [%llu, %llu): page %llu %llx -> %llx",
				fi, start, end, p, before[p], pfn);
			break;
		}
	}
	free(before);
	return ret;
}

/* The frame at @pfn is @who's: it must not be anyone else's already. */
static void tm_own(struct tm_env *e, u64 pfn, u64 n, u8 who)
{
	u64 i;

	if (pfn < TM_BASE || pfn + n > TM_BASE + TM_FRAMES) {
		tm_fail(e, __LINE__, "frame %llx outside the pool", pfn);
		return;
	}
	for (i = pfn - TM_BASE; i < pfn - TM_BASE + n; i++) {
		if (e->frame_of[i])
			tm_fail(e, __LINE__, "frame %llx held by %u and %u",
				TM_BASE + i, e->frame_of[i], who);
		e->frame_of[i] = who;
	}
}

/* A unit of the table: the pool must agree it is the owner's, as it. */
static void tm_unit(struct tm_env *e, struct tm_file *f, u64 pfn,
		    unsigned int order, u64 *units, u64 *bytes)
{
	struct gpool_unit u;
	u32 id = gpool_owner_id(f->owner);

	if (gpool_query(e->pool, pfn, &u) || u.pfn != pfn || u.order != order ||
	    (u.owner != id && (order || u.owner))) {
		tm_fail(e, __LINE__, "unit %llx order %u: pool %llx order %u owner %u, not %u",
			pfn, order, u.pfn, u.order, u.owner, id);
		return;
	}
	units[gpool_order_lvl(order)]++;
	if (u.nid >= 0 && u.nid < TM_NODES)
		bytes[u.nid] += PAGE_SIZE << order;
	else
		tm_fail(e, __LINE__, "unit %llx on node %d", pfn, u.nid);
}

/* Pages [s, s + n) of @f, backed from @pfn on (0: holes), against the model. */
static void tm_pages(struct tm_env *e, struct tm_file *f, u64 s, u64 n,
		     u64 pfn, unsigned int order)
{
	unsigned int fi = f - e->file, o;
	u64 i, got, want;

	for (i = 0; i < n; i++) {
		want = pfn ? pfn + i : 0;
		if (f->frame[s + i] != want)
			tm_fail(e, __LINE__, "file %u page %llu: model %llx, table %llx",
				fi, s + i, f->frame[s + i], want);
	}
	if (pfn)
		tm_own(e, pfn, n, 1 + fi);
	/* The lookup of the first and the last page. */
	for (i = 0; i < n; i += max_t(u64, n - 1, 1)) {
		want = pfn ? pfn + i : 0;
		gpool_table_lookup(&f->t, s + i, &got, &o);
		if (got != want || (pfn && o != order))
			tm_fail(e, __LINE__, "file %u page %llu: lookup %llx order %u, not %llx %u",
				fi, s + i, got, o, want, order);
	}
}

/*
 * Is @f the primary owner of the split unit of @order at @pfn, the one
 * that can merge it?  The first owner to allocate from a split unit
 * stays its primary (buddy.c, gpool_sec_claim()).
 */
static bool tm_primary(struct tm_file *f, u64 pfn, unsigned int order)
{
	struct gpool *pool = f->t.pool;
	struct gpool_loc loc;
	u32 primary = 0;

	read_lock(&pool->ranges_lock);
	if (!gpool_locate(pool, pfn, &loc))
		primary = order == GPOOL_ORDER_1G ? loc.sec->owner :
			  gpool_blk_owner(loc.sec, loc.blk);
	read_unlock(&pool->ranges_lock);
	return primary == gpool_owner_id(f->owner);
}

/* Is the window of chunk @ci whole 2M chunks of one 1G unit, unmerged? */
static bool tm_window_unmerged(struct tm_file *f, unsigned long ci)
{
	const struct gpool_table *t = &f->t;
	const struct gpool_chunk *c = &t->chunks[ci];
	unsigned long i;

	if (t->max_order < GPOOL_ORDER_1G || ci % GPOOL_WINDOW_CHUNKS ||
	    (ci + GPOOL_WINDOW_CHUNKS) * GPOOL_CHUNK_PAGES > t->nr_pages ||
	    !IS_ALIGNED(c->home, TM_PG_1G))
		return false;
	for (i = 0; i < GPOOL_WINDOW_CHUNKS; i++)
		if (c[i].state != GPOOL_CHUNK_2M ||
		    c[i].home != c->home + i * GPOOL_CHUNK_PAGES)
			return false;
	return tm_uniform(f, ci * GPOOL_CHUNK_PAGES, TM_PG_1G) &&
	       tm_primary(f, c->home, GPOOL_ORDER_1G);
}

/* A 4K chunk: every page, and it must not be one the table can merge. */
static void tm_chunk_4k(struct tm_env *e, struct tm_file *f, unsigned long ci,
			u64 n, u64 *units, u64 *bytes)
{
	const struct gpool_chunk *c = &f->t.chunks[ci];
	u64 cstart = ci * GPOOL_CHUNK_PAGES, i, nr = 0, at_home = 0;
	unsigned int fi = f - e->file;

	if (!c->pages || !c->home || !IS_ALIGNED(c->home, TM_PG_2M)) {
		tm_fail(e, __LINE__, "file %u chunk %lu: 4K, pages %p home %llx",
			fi, ci, c->pages, c->home);
		return;
	}
	for (i = 0; i < GPOOL_CHUNK_PAGES; i++) {
		u64 pfn = c->pages[i];

		if (i >= n) {
			if (pfn)
				tm_fail(e, __LINE__, "file %u chunk %lu: page %llu past the end",
					fi, ci, i);
			continue;
		}
		tm_pages(e, f, cstart + i, 1, pfn, GPOOL_ORDER_4K);
		if (!pfn)
			continue;
		nr++;
		at_home += pfn == c->home + i;
		tm_unit(e, f, pfn, GPOOL_ORDER_4K, units, bytes);
	}
	if (nr != c->nr_pages || !nr)
		tm_fail(e, __LINE__, "file %u chunk %lu: %llu pages, nr_pages %u",
			fi, ci, nr, c->nr_pages);
	if (at_home == GPOOL_CHUNK_PAGES && f->t.max_order >= GPOOL_ORDER_2M &&
	    tm_uniform(f, cstart, GPOOL_CHUNK_PAGES) &&
	    tm_primary(f, c->home, GPOOL_ORDER_2M))
		tm_fail(e, __LINE__, "file %u chunk %lu: all at home, not merged",
			fi, ci);
}

static const unsigned int tm_lvl_order[GPOOL_NR_LVLS] = {
	[GPOOL_LVL_4K] = GPOOL_ORDER_4K,
	[GPOOL_LVL_2M] = GPOOL_ORDER_2M,
	[GPOOL_LVL_1G] = GPOOL_ORDER_1G,
};

static void tm_check_file(struct tm_env *e, struct tm_file *f)
{
	const struct gpool_table *t = &f->t;
	u64 units[GPOOL_NR_LVLS] = { 0 }, bytes[TM_NODES] = { 0 };
	unsigned int fi = f - e->file, lvl;
	unsigned long ci;
	int nid;

	if (t->nr_chunks !=
	    (t->nr_pages + GPOOL_CHUNK_PAGES - 1) / GPOOL_CHUNK_PAGES)
		tm_fail(e, __LINE__, "file %u: %lu chunks", fi, t->nr_chunks);
	for (ci = 0; ci < t->nr_chunks && !e->err; ci++) {
		const struct gpool_chunk *c = &t->chunks[ci];
		u64 cstart = ci * GPOOL_CHUNK_PAGES;
		u64 n = min_t(u64, GPOOL_CHUNK_PAGES, t->nr_pages - cstart);
		unsigned long wci = ALIGN_DOWN(ci, GPOOL_WINDOW_CHUNKS);
		const struct gpool_chunk *w = &t->chunks[wci];

		if (c->state != GPOOL_CHUNK_4K && c->pages)
			tm_fail(e, __LINE__, "file %u chunk %lu: pages left",
				fi, ci);
		switch (c->state) {
		case GPOOL_CHUNK_EMPTY:
			tm_pages(e, f, cstart, n, 0, GPOOL_ORDER_4K);
			break;
		case GPOOL_CHUNK_4K:
			tm_chunk_4k(e, f, ci, n, units, bytes);
			break;
		case GPOOL_CHUNK_1G:
			if (t->max_order < GPOOL_ORDER_1G ||
			    (wci + GPOOL_WINDOW_CHUNKS) * GPOOL_CHUNK_PAGES >
			    t->nr_pages || w->state != GPOOL_CHUNK_1G ||
			    !IS_ALIGNED(w->home, TM_PG_1G) ||
			    c->home != w->home + (ci - wci) * GPOOL_CHUNK_PAGES) {
				tm_fail(e, __LINE__, "file %u chunk %lu: 1G, home %llx, at %llx",
					fi, ci, c->home, w->home);
				break;
			}
			if (ci == wci) {
				tm_unit(e, f, c->home, GPOOL_ORDER_1G, units,
					bytes);
				if (!tm_uniform(f, cstart, TM_PG_1G))
					tm_fail(e, __LINE__, "file %u chunk %lu: 1G, mixed",
						fi, ci);
			}
			tm_pages(e, f, cstart, n, c->home, GPOOL_ORDER_1G);
			break;
		case GPOOL_CHUNK_2M:
			if (t->max_order < GPOOL_ORDER_2M ||
			    n != GPOOL_CHUNK_PAGES || !c->home ||
			    !IS_ALIGNED(c->home, TM_PG_2M)) {
				tm_fail(e, __LINE__, "file %u chunk %lu: 2M, home %llx",
					fi, ci, c->home);
				break;
			}
			if (tm_window_unmerged(f, ci))
				tm_fail(e, __LINE__, "file %u chunk %lu: a 1G unit in 2M chunks",
					fi, ci);
			if (!tm_uniform(f, cstart, TM_PG_2M))
				tm_fail(e, __LINE__, "file %u chunk %lu: 2M, mixed",
					fi, ci);
			tm_unit(e, f, c->home, GPOOL_ORDER_2M, units, bytes);
			tm_pages(e, f, cstart, n, c->home, GPOOL_ORDER_2M);
			break;
		default:
			tm_fail(e, __LINE__, "file %u chunk %lu: state %u",
				fi, ci, c->state);
		}
	}
	if (e->err)
		return;

	/* The counters: a recount, and the owner's units in the pool. */
	for (lvl = 0; lvl < GPOOL_NR_LVLS; lvl++) {
		u64 held = 0;

		for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
			held += f->owner->node[nid].held[lvl];
		if (READ_ONCE(t->nr_units[lvl]) != units[lvl] ||
		    held != units[lvl])
			tm_fail(e, __LINE__, "file %u lvl %u: %llu units, recount %llu, pool %llu",
				fi, lvl, t->nr_units[lvl], units[lvl], held);
	}
	for (nid = 0; nid < GPOOL_MAX_NODES; nid++) {
		u64 want = nid < TM_NODES ? bytes[nid] : 0, held = 0;

		for (lvl = 0; lvl < GPOOL_NR_LVLS; lvl++)
			held += f->owner->node[nid].held[lvl] *
				(PAGE_SIZE << tm_lvl_order[lvl]);
		if (READ_ONCE(t->node_bytes[nid]) != want || held != want)
			tm_fail(e, __LINE__, "file %u node %d: %llu bytes, recount %llu, pool %llu",
				fi, nid, t->node_bytes[nid], want, held);
	}
}

int tm_check(struct tm_env *e)
{
	unsigned int i;

	memset(e->frame_of, 0, TM_FRAMES);
	for (i = 0; i < e->nr_thief; i++)
		tm_own(e, e->thief_unit[i].pfn,
		       BIT_ULL(e->thief_unit[i].order), TM_FILES + 1);
	for (i = 0; i < e->nr_files && !e->err; i++)
		tm_check_file(e, &e->file[i]);
	if (tm_counts.pause != tm_counts.resume)
		tm_fail(e, __LINE__, "zeroer paused %lu times, resumed %lu",
			tm_counts.pause, tm_counts.resume);
	if (gpool_check(e->pool))
		tm_fail(e, __LINE__, "gpool_check()");
	if (shim_nr_warnings())
		tm_fail(e, __LINE__, "%lu WARN(s)", shim_nr_warnings());
	return e->err;
}

int tm_thief_take(struct tm_env *e, u64 pfn, unsigned int order)
{
	struct gpool_unit *u = &e->thief_unit[e->nr_thief];
	int ret;

	if (e->nr_thief == TM_THIEF_UNITS)
		return -ENOSPC;
	ret = pfn ? gpool_alloc_exact(e->thief, pfn, order, u) :
		    gpool_alloc(e->thief, order, u);
	if (!ret)
		e->nr_thief++;
	return ret;
}

void tm_thief_give(struct tm_env *e, unsigned int i)
{
	struct gpool_unit *u = &e->thief_unit[i];

	if (gpool_free(e->thief, u->pfn, u->order))
		tm_fail(e, __LINE__, "thief: free %llx order %u", u->pfn,
			u->order);
	*u = e->thief_unit[--e->nr_thief];
}

/*
 * The same counters, but for those of the splits and merges ever made,
 * and for the zero state: what the files freed is dirty until cleared.
 */
static bool tm_stats_same(const struct gpool_stats *a,
			  const struct gpool_stats *b)
{
	struct gpool_stats x = *a, y = *b;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(x.lvl); i++) {
		x.lvl[i].nr_splits = 0;
		x.lvl[i].nr_merges = 0;
		x.lvl[i].zero = 0;
		y.lvl[i].nr_splits = 0;
		y.lvl[i].nr_merges = 0;
		y.lvl[i].zero = 0;
	}
	return !memcmp(&x, &y, sizeof(x));
}

int tm_env_destroy(struct tm_env *e)
{
	struct gpool_stats s;
	unsigned int i;
	int nid, err;

	for (i = 0; i < e->nr_files; i++) {
		struct tm_file *f = &e->file[i];
		u64 p;

		memset(f->freed, 0, BITS_TO_LONGS(f->t.nr_pages) * sizeof(long));
		f->op_end = f->t.nr_pages;
		gpool_table_destroy(&f->t);
		for (p = 0; p < f->t.nr_pages; p++)
			if (!!f->frame[p] != test_bit(p, f->freed))
				tm_fail(e, __LINE__, "destroy file %u: page %llu %s",
					i, p, f->frame[p] ? "not freed" :
					"a hole freed");
		if (gpool_owner_destroy(f->owner))
			tm_fail(e, __LINE__, "destroy file %u: owner busy", i);
		free(f->frame);
		free(f->freed);
		free(f->private);
	}
	while (e->nr_thief)
		tm_thief_give(e, 0);
	if (gpool_owner_destroy(e->thief))
		tm_fail(e, __LINE__, "thief busy");
	for (nid = 0; nid < TM_NODES; nid++)
		if (gpool_node_stats(e->pool, nid, &s) ||
		    !tm_stats_same(&s, &e->initial[nid]))
			tm_fail(e, __LINE__, "node %d: stats differ at the end",
				nid);
	if (gpool_check(e->pool))
		tm_fail(e, __LINE__, "gpool_check() at the end");
	if (gpool_destroy(e->pool))
		tm_fail(e, __LINE__, "gpool_destroy()");
	err = e->err;
	free(e->frame_of);
	free(e);
	return err;
}

/* The random test. */

static const struct tm_variant {
	unsigned int range_flags;
	struct {
		u64 nr_pages;
		unsigned int max_order;
		enum gpool_mode mode;
		int nid;
	} file[TM_FILES];
} tm_variants[TM_NR_VARIANTS] = {
	{ 0, {
		{ TM_PG_1G + TM_PG_2M + 3, GPOOL_ORDER_1G,
		  GPOOL_MODE_PREFERRED, 0 },
		{ 3 * TM_PG_2M + 2, GPOOL_ORDER_2M, GPOOL_MODE_BIND, 1 },
		{ 2 * TM_PG_2M + 7, GPOOL_ORDER_4K, GPOOL_MODE_INTERLEAVE, 0 },
	} },
	{ GPOOL_RANGE_ZEROED, {
		{ TM_PG_1G, GPOOL_ORDER_1G, GPOOL_MODE_BIND, 1 },
		{ TM_PG_2M + 1, GPOOL_ORDER_1G, GPOOL_MODE_PREFERRED, 1 },
		{ 4 * TM_PG_2M, GPOOL_ORDER_2M, GPOOL_MODE_INTERLEAVE, 0 },
	} },
	{ 0, {
		{ TM_PG_1G + 2 * TM_PG_2M, GPOOL_ORDER_1G,
		  GPOOL_MODE_INTERLEAVE, 0 },
		{ 5 * TM_PG_2M - 1, GPOOL_ORDER_2M, GPOOL_MODE_PREFERRED, 0 },
		{ 3 * TM_PG_2M, GPOOL_ORDER_1G, GPOOL_MODE_BIND, 0 },
	} },
};

static u64 tm_rng_state;

/* A 64-bit LCG with a xorshift on its output: enough for a test. */
static u64 tm_rng(void)
{
	tm_rng_state = tm_rng_state * 6364136223846793005ULL +
		       1442695040888963407ULL;
	return tm_rng_state ^ (tm_rng_state >> 29);
}

static u64 tm_below(u64 n)
{
	return (tm_rng() >> 11) % n;
}

/* A page to populate: anywhere, or near the last punch, to refill it. */
static u64 tm_pick_page(struct tm_file *f, u64 near)
{
	if (tm_below(2))
		return tm_below(f->t.nr_pages);
	near = ALIGN_DOWN(near, GPOOL_CHUNK_PAGES) + tm_below(GPOOL_CHUNK_PAGES);
	return min(near, f->t.nr_pages - 1);
}

/* A range to punch: one page, inside a chunk, across chunks, a window... */
static void tm_pick_range(struct tm_file *f, u64 *start, u64 *end)
{
	u64 nr = f->t.nr_pages, s = tm_below(nr), len;

	switch (tm_below(8)) {
	case 0:
	case 1:
		len = 1;
		break;
	case 2:
		len = 1 + tm_below(GPOOL_CHUNK_PAGES - s % GPOOL_CHUNK_PAGES);
		break;
	case 3:
	case 4:
		len = 1 + tm_below(3 * GPOOL_CHUNK_PAGES);
		break;
	case 5:
		s = ALIGN_DOWN(s, GPOOL_CHUNK_PAGES);
		len = GPOOL_CHUNK_PAGES * (1 + tm_below(2));
		break;
	case 6:
		s = ALIGN_DOWN(s, GPOOL_WINDOW_PAGES);
		len = GPOOL_WINDOW_PAGES;
		break;
	default:
		len = tm_below(2) ? nr - s + tm_below(3) : nr;
		s = len == nr ? 0 : s;
		break;
	}
	*start = s;
	*end = s + len;
}

/* Have the thief take the home frame of a hole, so that it cannot merge. */
static void tm_steal_home(struct tm_env *e, struct tm_file *f)
{
	u64 p = tm_below(f->t.nr_pages);
	struct gpool_chunk *c = &f->t.chunks[p / GPOOL_CHUNK_PAGES];

	if (f->frame[p] || !c->home)
		return;
	if (c->state == GPOOL_CHUNK_EMPTY && tm_below(2))
		tm_thief_take(e, c->home, GPOOL_ORDER_2M);
	else
		tm_thief_take(e, c->home + p % GPOOL_CHUNK_PAGES,
			      GPOOL_ORDER_4K);
}

/* One random step; the op must succeed unless a fault was injected. */
static void tm_step(struct tm_env *e, u64 *near)
{
	unsigned int fi = tm_below(e->nr_files), o;
	struct tm_file *f = &e->file[fi];
	bool inject = !tm_below(10), merged;
	u64 r = tm_below(100), s, end, p, pfn;
	long found;
	int ret = 0;

	e->injecting = inject;
	if (inject) {
		if (tm_below(4))
			shim_fail_after(tm_below(4));
		else
			tm_counts.clear_fail = 1;
	}
	if (r < 30) {
		ret = tm_populate(e, fi, tm_pick_page(f, *near), &merged);
	} else if (r < 42) {
		/* Fault in a chunk, now and then a window or the file. */
		s = ALIGN_DOWN(tm_pick_page(f, *near), GPOOL_CHUNK_PAGES);
		end = s + GPOOL_CHUNK_PAGES;
		if (!tm_below(8)) {
			s = ALIGN_DOWN(s, GPOOL_WINDOW_PAGES);
			end = s + GPOOL_WINDOW_PAGES;
		}
		for (p = s; p < min(end, f->t.nr_pages) && !ret && !e->err; p++)
			ret = tm_populate(e, fi, p, &merged);
	} else if (r < 60) {
		tm_pick_range(f, &s, &end);
		*near = s;
		ret = tm_punch(e, fi, s, end);
	} else if (r < 72) {
		/* Convert in place, and now and then straight back. */
		tm_pick_range(f, &s, &end);
		*near = s;
		merged = tm_below(2);
		ret = tm_convert(e, fi, s, end, merged);
		if (!ret && !tm_below(3))
			ret = tm_convert(e, fi, s, end, !merged);
	} else if (r < 78) {
		p = tm_below(f->t.nr_pages);
		gpool_table_lookup(&f->t, p, &pfn, &o);
		TM_EXPECT(e, pfn == f->frame[p]);
	} else if (r < 84) {
		p = tm_below(f->t.nr_pages);
		pfn = f->frame[p] ? f->frame[p] : TM_BASE + tm_below(TM_FRAMES);
		found = gpool_table_find(&f->t, pfn);
		if (found >= 0 ? f->frame[found] != pfn :
		    e->frame_of[pfn - TM_BASE] == 1 + fi)
			tm_fail(e, __LINE__, "file %u: find(%llx) = %ld", fi,
				pfn, found);
	} else if (r < 90) {
		tm_steal_home(e, f);
	} else if (r < 94) {
		tm_thief_take(e, 0, tm_below(4) ? GPOOL_ORDER_4K :
				    GPOOL_ORDER_2M);
	} else if (e->nr_thief) {
		tm_thief_give(e, tm_below(e->nr_thief));
	}
	shim_fail_after(-1);
	tm_counts.clear_fail = 0;
	e->injecting = false;
	if (ret && !inject)
		tm_fail(e, __LINE__, "file %u: op %llu failed: %d", fi, r, ret);
}

unsigned long tm_run(u64 seed, unsigned int variant, unsigned long steps)
{
	const struct tm_variant *v = &tm_variants[variant];
	unsigned long i, failed = 0;
	struct tm_env *e;
	u64 near = 0;

	tm_rng_state = seed * TM_NR_VARIANTS + variant;
	tm_rng();
	e = tm_env_create(v->range_flags);
	for (i = 0; i < TM_FILES && !e->err; i++)
		if (tm_add_file(e, v->file[i].nr_pages, v->file[i].max_order,
				v->file[i].mode, v->file[i].nid) < 0)
			tm_fail(e, __LINE__, "file %lu", i);
	for (i = 0; i < steps && !e->err; i++) {
		tm_step(e, &near);
		if (!e->err)
			tm_check(e);
		if (e->err)
			failed = i + 1;
	}
	if (tm_env_destroy(e) && !failed)
		failed = steps + 1;
	if (shim_check_clean("table model") && !failed)
		failed = steps + 1;
	return failed;
}
