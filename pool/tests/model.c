// SPDX-License-Identifier: GPL-2.0
/*
 * A trivially correct model of the pool: one struct mframe per 4K frame.
 * Units exist only as "frames with the same owner and order"; free space
 * has no structure at all.  What the pool must do is derived from frames:
 *
 *  - a free 1G unit is a 1G window entirely inside one range, all frames
 *    free; a free 2M unit is a 2M block, all frames free, not part of a free
 *    1G unit; every other free frame is a free 4K unit;
 *  - capacity and reservations follow the invariant in resv.c;
 *  - an allocation must come from the first node (policy order, nodes with
 *    a reservation first) that can serve it, out of the smallest free unit
 *    level that has anything, and must fail only if no node can serve it.
 *
 * After every step every counter of gpool_node_stats() is compared with
 * counters derived from the frames, and gpool_check() must pass.
 */
#include "../pool_internal.h"
#include "model.h"

#define PG_2M		512ULL
#define PG_1G		(512ULL * 512)
#define M_BASE		(16 * PG_1G)
#define M_FRAMES	(3 * PG_1G)
#define M_BLOCKS	(M_FRAMES / PG_2M)
#define M_NODES		2
#define M_OWNERS	2
#define M_ZEROING	4
#define M_MAX_BAD	16

enum { MF_NONE, MF_FREE, MF_ALLOC, MF_BAD, MF_ZEROING };
#define MFL_ZERO	1
#define MFL_PENDING	2

struct mframe {
	u8 state;
	u8 flags;
	u8 owner;
	u8 order;
};

/* The model's own ranges; sections are (range, 1G window) pairs. */
static const struct {
	int nid;
	u64 pfn;
	u64 nr;
} m_ranges[] = {
	{ 0, M_BASE, PG_1G + 2 * PG_2M },
	{ 1, M_BASE + 2 * PG_1G - 2 * PG_2M, PG_1G + 2 * PG_2M },
};

enum { MB_NONE, MB_FULLFREE, MB_ZEROING, MB_ALLOC2M, MB_PART1G, MB_SPLIT };
enum { MS_FREE, MS_ALLOC, MS_ZEROING, MS_SPLIT };

/* Counters a section adds to its node. */
struct mcount {
	s64 f[3];		/* capacity: free + zeroing */
	s64 zero[3];
	s64 zeroing[3];
	s64 alloc[3];
	s64 split[3];
	s64 bad;
	s64 pending;
};

struct msec {
	int nid;
	u64 pfn;		/* window */
	unsigned int lo, hi;	/* blocks of the window in the range */
	bool whole;
	u8 kind;
	struct mcount c;
};

struct mblk {
	u16 nfree, nzero, nbad, npend, n0;
	u8 kind;
	bool allzero;
	int sec;
};

struct model {
	struct gpool *pool;
	struct gpool_owner *owner[M_OWNERS];
	struct gpool_policy pol[M_OWNERS];
	unsigned int next[M_OWNERS];
	u64 resv[M_OWNERS][M_NODES][3];
	struct mframe *f;
	struct mblk blk[M_BLOCKS];
	struct msec sec[8];
	unsigned int nr_sec;
	struct mcount node[M_NODES];
	u64 nr_splits[M_NODES][3];
	u64 nr_merges[M_NODES][3];
	struct gpool_unit zeroing[M_ZEROING];
	unsigned int nr_zeroing;
	u64 freed[8];		/* recently freed pfns, for alloc_exact */
	unsigned int nr_freed;
	unsigned int nr_bad;
	unsigned long steps;
	unsigned long units;
};

#define MFAIL(m, fmt, ...)						\
	({								\
		fprintf(stderr, "model: step %lu: " fmt "\n",		\
			(m)->steps, ##__VA_ARGS__);			\
		-1;							\
	})

static int lvl_of(unsigned int order)
{
	return order == 0 ? 0 : order == 9 ? 1 : order == 18 ? 2 : -1;
}

static bool in_model(u64 pfn)
{
	return pfn >= M_BASE && pfn - M_BASE < M_FRAMES;
}

static struct mframe *fr(struct model *m, u64 pfn)
{
	return &m->f[pfn - M_BASE];
}

static bool in_pool(struct model *m, u64 pfn)
{
	return in_model(pfn) && fr(m, pfn)->state != MF_NONE;
}

static int nid_of(struct model *m, u64 pfn)
{
	return m->sec[m->blk[(pfn - M_BASE) / PG_2M].sec].nid;
}

static void count_add(struct mcount *d, const struct mcount *s, int sign)
{
	int l;

	for (l = 0; l < 3; l++) {
		d->f[l] += sign * s->f[l];
		d->zero[l] += sign * s->zero[l];
		d->zeroing[l] += sign * s->zeroing[l];
		d->alloc[l] += sign * s->alloc[l];
		d->split[l] += sign * s->split[l];
	}
	d->bad += sign * s->bad;
	d->pending += sign * s->pending;
}

/*
 * A free unit is known zero or dirty as a whole: merging parts of which
 * only some were zero makes a dirty unit, and splitting it passes "dirty"
 * on to all parts.  The frames forget that they were zero.
 */
static void forget_zero(struct model *m, u64 pfn, u64 nr)
{
	u64 i;

	for (i = 0; i < nr; i++)
		fr(m, pfn + i)->flags &= ~MFL_ZERO;
}

static void blk_scan(struct model *m, unsigned long b)
{
	struct mblk *k = &m->blk[b];
	u64 pfn = M_BASE + b * PG_2M;
	unsigned int i, n9 = 0, n18 = 0, nzeroing = 0;
	bool was_split = k->kind == MB_SPLIT, had_kind = k->kind != MB_NONE;
	bool is_split;

	k->nfree = 0;
	k->nzero = 0;
	k->nbad = 0;
	k->npend = 0;
	k->n0 = 0;
	if (fr(m, pfn)->state == MF_NONE) {
		k->kind = MB_NONE;
		return;
	}
	for (i = 0; i < PG_2M; i++) {
		struct mframe *x = fr(m, pfn + i);

		switch (x->state) {
		case MF_FREE:
			k->nfree++;
			k->nzero += !!(x->flags & MFL_ZERO);
			break;
		case MF_BAD:
			k->nbad++;
			break;
		case MF_ZEROING:
			nzeroing++;
			n18 += x->order == 18;
			break;
		case MF_ALLOC:
			k->npend += !!(x->flags & MFL_PENDING);
			k->n0 += x->order == 0;
			n9 += x->order == 9;
			n18 += x->order == 18;
			break;
		}
	}
	if (k->nfree == PG_2M && k->nzero && k->nzero != PG_2M) {
		forget_zero(m, pfn, PG_2M);
		k->nzero = 0;
	}
	k->allzero = k->nzero == PG_2M;
	if (k->nfree == PG_2M)
		k->kind = MB_FULLFREE;
	else if (n18 == PG_2M)
		k->kind = MB_PART1G;
	else if (nzeroing == PG_2M)
		k->kind = MB_ZEROING;
	else if (n9 == PG_2M)
		k->kind = MB_ALLOC2M;
	else
		k->kind = MB_SPLIT;
	is_split = k->kind == MB_SPLIT;
	if (had_kind && was_split != is_split) {
		int nid = m->sec[k->sec].nid;

		if (is_split)
			m->nr_splits[nid][1]++;
		else
			m->nr_merges[nid][1]++;
	}
}

static void sec_scan(struct model *m, unsigned int s)
{
	struct msec *x = &m->sec[s];
	unsigned long b0 = (x->pfn - M_BASE) / PG_2M;
	struct mcount c = { 0 };
	unsigned int i, nfull = 0, nzero = 0, n18 = 0, nzeroing18 = 0;
	bool was_split = x->kind == MS_SPLIT, is_split;

	for (i = x->lo; i < x->hi; i++) {
		struct mblk *k = &m->blk[b0 + i];

		nfull += k->kind == MB_FULLFREE;
		nzero += k->kind == MB_FULLFREE && k->allzero;
		if (k->kind == MB_PART1G) {
			n18++;
			nzeroing18 += fr(m, x->pfn + i * PG_2M)->state ==
				      MF_ZEROING;
		}
		c.bad += k->nbad;
		c.pending += k->npend;
	}
	if (x->whole && nfull == PG_2M && nzero && nzero != PG_2M) {
		forget_zero(m, x->pfn, PG_1G);
		for (i = x->lo; i < x->hi; i++) {
			m->blk[b0 + i].nzero = 0;
			m->blk[b0 + i].allzero = false;
		}
		nzero = 0;
	}
	if (x->whole && nfull == PG_2M) {
		x->kind = MS_FREE;
		c.f[2] = 1;
		c.zero[2] = nzero == PG_2M;
	} else if (x->whole && nzeroing18 == PG_2M) {
		x->kind = MS_ZEROING;
		c.f[2] = 1;
		c.zeroing[2] = 1;
	} else if (x->whole && n18 == PG_2M) {
		x->kind = MS_ALLOC;
		c.alloc[2] = 1;
	} else {
		x->kind = MS_SPLIT;
		c.split[2] = x->whole;
		for (i = x->lo; i < x->hi; i++) {
			struct mblk *k = &m->blk[b0 + i];

			switch (k->kind) {
			case MB_FULLFREE:
				c.f[1]++;
				c.zero[1] += k->allzero;
				break;
			case MB_ZEROING:
				c.f[1]++;
				c.zeroing[1]++;
				break;
			case MB_ALLOC2M:
				c.alloc[1]++;
				break;
			case MB_SPLIT:
				c.split[1]++;
				c.f[0] += k->nfree;
				c.zero[0] += k->nzero;
				c.alloc[0] += k->n0;
				break;
			}
		}
	}
	is_split = x->kind == MS_SPLIT;
	if (x->whole && was_split != is_split) {
		if (is_split)
			m->nr_splits[x->nid][2]++;
		else
			m->nr_merges[x->nid][2]++;
	}
	count_add(&m->node[x->nid], &x->c, -1);
	x->c = c;
	count_add(&m->node[x->nid], &x->c, 1);
}

/* Re-derive everything for the frames [pfn, pfn + nr). */
static void touch(struct model *m, u64 pfn, u64 nr)
{
	unsigned long b, first = (pfn - M_BASE) / PG_2M;
	unsigned long last = (pfn + nr - 1 - M_BASE) / PG_2M;
	int s = -1;

	for (b = first; b <= last; b++)
		blk_scan(m, b);
	for (b = first; b <= last; b++) {
		if (m->blk[b].kind == MB_NONE || m->blk[b].sec == s)
			continue;
		s = m->blk[b].sec;
		sec_scan(m, s);
	}
}

static void set_frames(struct model *m, u64 pfn, u64 nr, u8 state, u8 owner,
		       u8 order, u8 flags)
{
	u64 i;

	for (i = 0; i < nr; i++) {
		struct mframe *x = fr(m, pfn + i);

		x->state = state;
		x->owner = owner;
		x->order = order;
		x->flags = flags;
	}
}

struct model *model_create(unsigned int variant)
{
	struct model *m = calloc(1, sizeof(*m));
	unsigned int r, i, o;

	if (!m)
		return NULL;
	/* gpool_check() runs after every step: spare the per-operation one. */
	WRITE_ONCE(shim_gpool_debug, false);
	m->f = calloc(M_FRAMES, sizeof(*m->f));
	m->pool = gpool_create();
	if (!m->f || IS_ERR(m->pool))
		abort();
	for (r = 0; r < ARRAY_SIZE(m_ranges); r++) {
		u64 pfn = m_ranges[r].pfn, end = pfn + m_ranges[r].nr;
		u64 w;

		if (gpool_add_range(m->pool, m_ranges[r].nid, pfn,
				    m_ranges[r].nr, 0))
			abort();
		set_frames(m, pfn, m_ranges[r].nr, MF_FREE, 0, 0, 0);
		for (w = ALIGN_DOWN(pfn, PG_1G); w < end; w += PG_1G) {
			struct msec *x = &m->sec[m->nr_sec];
			u64 lo = max(w, pfn), hi = min(w + PG_1G, end);

			x->nid = m_ranges[r].nid;
			x->pfn = w;
			x->lo = (lo - w) / PG_2M;
			x->hi = (hi - w) / PG_2M;
			x->whole = x->lo == 0 && x->hi == 512;
			x->kind = x->whole ? MS_FREE : MS_SPLIT;
			for (i = x->lo; i < x->hi; i++)
				m->blk[(w - M_BASE) / PG_2M + i].sec =
					m->nr_sec;
			m->nr_sec++;
		}
	}
	for (i = 0; i < M_FRAMES / PG_2M; i++)
		if (m->f[i * PG_2M].state != MF_NONE)
			m->blk[i].kind = MB_FULLFREE;
	for (i = 0; i < m->nr_sec; i++)
		sec_scan(m, i);

	for (o = 0; o < M_OWNERS; o++) {
		struct gpool_policy *p = &m->pol[o];

		switch ((variant + o) % 4) {
		case 0:
			p->mode = GPOOL_MODE_BIND;
			p->nodes[0] = 3;
			break;
		case 1:
			p->mode = GPOOL_MODE_INTERLEAVE;
			p->nodes[0] = 3;
			break;
		case 2:
			p->mode = GPOOL_MODE_PREFERRED;
			p->preferred = 1;
			break;
		default:
			p->mode = GPOOL_MODE_BIND;
			p->nodes[0] = 1 << o;
			break;
		}
		m->owner[o] = gpool_owner_create(m->pool, p, GPOOL_ORDER_1G);
		if (IS_ERR(m->owner[o]))
			abort();
	}
	return m;
}

void model_destroy(struct model *m)
{
	u64 pfn;
	unsigned int i;

	for (i = 0; i < m->nr_zeroing; i++)
		gpool_zero_end(m->pool, m->zeroing[i].pfn, m->zeroing[i].order,
			       false);
	for (pfn = M_BASE; pfn < M_BASE + M_FRAMES; pfn++) {
		struct mframe *x = fr(m, pfn);
		u64 size;

		if (x->state != MF_ALLOC)
			continue;
		size = 1ULL << x->order;
		if (gpool_free(m->owner[x->owner], pfn, x->order))
			abort();
		pfn += size - 1;
	}
	for (i = 0; i < M_OWNERS; i++)
		gpool_owner_destroy(m->owner[i]);
	gpool_destroy(m->pool);
	free(m->f);
	free(m);
}

unsigned long model_nr_steps(const struct model *m)
{
	return m->steps;
}

unsigned long model_nr_units(const struct model *m)
{
	return m->units;
}

/* Node resv[] as the pool sees it. */
static void node_resv(struct model *m, int nid, s64 *r)
{
	unsigned int o;
	int l;

	for (l = 0; l < 3; l++) {
		r[l] = 0;
		for (o = 0; o < M_OWNERS; o++)
			r[l] += m->resv[o][nid][l];
	}
}

/* resv.c's invariant, written out again. */
static void headroom(struct model *m, int nid, const s64 *df, const s64 *dr,
		     s64 *h)
{
	s64 r[3], f[3];
	int l;

	node_resv(m, nid, r);
	for (l = 0; l < 3; l++) {
		f[l] = m->node[nid].f[l] + df[l];
		r[l] += dr[l];
	}
	h[2] = f[2] - r[2];
	h[1] = f[1] - r[1] + (h[2] > 0 ? h[2] * 512 : 0);
	h[0] = f[0] - r[0] + (h[1] > 0 ? h[1] * 512 : 0);
}

static bool feasible(struct model *m, int nid, const s64 *df, const s64 *dr)
{
	s64 h[3];

	headroom(m, nid, df, dr, h);
	return h[0] >= 0 && h[1] >= 0 && h[2] >= 0;
}

static void resv_use(struct model *m, int o, int nid, int lvl, s64 *dr)
{
	int l;
	u64 need, t;

	for (l = lvl; l < 3; l++)
		if (m->resv[o][nid][l])
			break;
	if (l < 3) {
		dr[l]--;
		while (--l >= lvl)
			dr[l] += 511;
		return;
	}
	/* Only smaller promises: use up what the unit covers, larger first. */
	need = 1ULL << (9 * lvl);
	for (l = lvl - 1; l >= 0; l--) {
		u64 per = 1ULL << (9 * l);

		t = need / per;
		if (t > m->resv[o][nid][l])
			t = m->resv[o][nid][l];
		dr[l] -= t;
		need -= t * per;
	}
}

static void resv_apply(struct model *m, int o, int nid, const s64 *dr)
{
	int l;

	for (l = 0; l < 3; l++)
		m->resv[o][nid][l] += dr[l];
}

static unsigned int policy_nodes(const struct gpool_policy *p,
				 unsigned int start, unsigned int *nids)
{
	unsigned int n, nr = 0;

	switch (p->mode) {
	case GPOOL_MODE_PREFERRED:
		nids[nr++] = p->preferred;
		for (n = 0; n < M_NODES; n++)
			if (n != (unsigned int)p->preferred)
				nids[nr++] = n;
		break;
	case GPOOL_MODE_INTERLEAVE:
		for (n = 0; n < GPOOL_MAX_NODES; n++) {
			unsigned int nid = (start + n) % GPOOL_MAX_NODES;

			if (nid < M_NODES && test_bit(nid, p->nodes))
				nids[nr++] = nid;
		}
		break;
	default:
		for (n = 0; n < M_NODES; n++)
			if (test_bit(n, p->nodes))
				nids[nr++] = n;
		break;
	}
	return nr;
}

/* Free units available now (capacity minus zeroing). */
static s64 avail(struct model *m, int nid, int l)
{
	return m->node[nid].f[l] - m->node[nid].zeroing[l];
}

/* Level of the free unit that holds free frame @pfn. */
static int free_lvl(struct model *m, u64 pfn)
{
	struct mblk *k = &m->blk[(pfn - M_BASE) / PG_2M];

	if (m->sec[k->sec].kind == MS_FREE)
		return 2;
	return k->kind == MB_FULLFREE ? 1 : 0;
}

static bool has_zeroing(struct model *m, int nid)
{
	return m->node[nid].zeroing[0] || m->node[nid].zeroing[1] ||
	       m->node[nid].zeroing[2];
}

static int op_alloc(struct model *m, int o, int lvl)
{
	unsigned int nids[GPOOL_MAX_NODES], nr, i, pass;
	unsigned int order = lvl * 9;
	s64 df[3], dr[3];
	struct gpool_unit u;
	int want = -1, src = 0, err, l;
	bool eagain = false;
	u64 j;

	nr = policy_nodes(&m->pol[o], m->next[o], nids);
	for (pass = 0; pass < 2 && want < 0; pass++) {
		/* A promised node short only of what is zeroing: -EAGAIN. */
		if (pass == 1 && eagain)
			break;
		for (i = 0; i < nr && want < 0; i++) {
			int nid = nids[i];
			bool has = false;

			for (l = 0; l < 3; l++)
				has |= m->resv[o][nid][l] != 0;
			if (has == pass)
				continue;
			memset(df, 0, sizeof(df));
			memset(dr, 0, sizeof(dr));
			for (src = lvl; src < 3; src++)
				if (avail(m, nid, src) > 0)
					break;
			if (src < 3) {
				df[src]--;
				for (l = src - 1; l >= lvl; l--)
					df[l] += 511;
				resv_use(m, o, nid, lvl, dr);
				if (feasible(m, nid, df, dr)) {
					want = nid;
					break;
				}
			}
			eagain |= has_zeroing(m, nid);
		}
	}

	err = gpool_alloc(m->owner[o], order, &u);
	if (want < 0) {
		if (err != (eagain ? -EAGAIN : -ENOMEM))
			return MFAIL(m, "alloc o%d order %u: %d, want failure %d",
				     o, order, err, eagain ? -EAGAIN : -ENOMEM);
		return 0;
	}
	if (err)
		return MFAIL(m, "alloc o%d order %u: %d, node %d could serve",
			     o, order, err, want);
	if (u.nid != want || u.order != order || !in_pool(m, u.pfn) ||
	    !IS_ALIGNED(u.pfn, 1ULL << order) || nid_of(m, u.pfn) != want)
		return MFAIL(m, "alloc o%d order %u: got pfn %llu nid %d, want nid %d",
			     o, order, u.pfn, u.nid, want);
	for (j = 0; j < (1ULL << order); j++) {
		struct mframe *x = fr(m, u.pfn + j);

		if (x->state != MF_FREE)
			return MFAIL(m, "alloc: pfn %llu not free", u.pfn + j);
		if ((u.flags & GPOOL_UNIT_ZERO) && !(x->flags & MFL_ZERO))
			return MFAIL(m, "alloc: pfn %llu dirty but ZERO",
				     u.pfn + j);
	}
	if (free_lvl(m, u.pfn) != src)
		return MFAIL(m, "alloc order %u: split a level %d unit, want %d",
			     order, free_lvl(m, u.pfn), src);
	resv_apply(m, o, want, dr);
	if (m->pol[o].mode == GPOOL_MODE_INTERLEAVE)
		m->next[o] = want + 1;
	set_frames(m, u.pfn, 1ULL << order, MF_ALLOC, o, order, 0);
	touch(m, u.pfn, 1ULL << order);
	return 0;
}

/* What gpool_free() must return. */
static int free_expect(struct model *m, int o, u64 pfn, unsigned int order)
{
	struct mframe *x;

	if (lvl_of(order) < 0 || !IS_ALIGNED(pfn, 1ULL << order) ||
	    !in_pool(m, pfn))
		return -EINVAL;
	x = fr(m, pfn);
	if (x->state != MF_ALLOC || x->order != order)
		return -ENOENT;
	return x->owner == o ? 0 : -EPERM;
}

/*
 * Free a unit in the model: frames waiting to go bad go bad, the rest is
 * credited to the owner's reservation: as one unit, or, if the unit held
 * poison, as 2M units and 4K frames around the bad frames.
 */
static void free_apply(struct model *m, int o, u64 pfn, unsigned int order)
{
	u64 size = 1ULL << order, chunk = min(size, PG_2M), b, i;
	int nid = nid_of(m, pfn);
	unsigned int pend = 0;

	for (i = 0; i < size; i++)
		pend += !!(fr(m, pfn + i)->flags & MFL_PENDING);
	for (b = 0; pend && b < size; b += chunk) {
		unsigned int p = 0;

		for (i = 0; i < chunk; i++)
			p += !!(fr(m, pfn + b + i)->flags & MFL_PENDING);
		if (order == 18 && !p)
			m->resv[o][nid][1]++;
		else
			m->resv[o][nid][0] += chunk - p;
	}
	if (!pend)
		m->resv[o][nid][lvl_of(order)]++;
	for (i = 0; i < size; i++) {
		struct mframe *x = fr(m, pfn + i);

		x->state = x->flags & MFL_PENDING ? MF_BAD : MF_FREE;
		x->flags = 0;
		x->owner = 0;
		x->order = 0;
	}
	touch(m, pfn, size);
	m->freed[m->nr_freed++ % ARRAY_SIZE(m->freed)] = pfn;
}

/* Pick an allocated unit near @arg, or return false. */
static bool pick_unit(struct model *m, u32 arg, u64 *pfn, unsigned int *order,
		      int *o)
{
	unsigned int tries;

	for (tries = 0; tries < 64; tries++) {
		u64 p = M_BASE + (arg + tries * 7919ULL * 4099) % M_FRAMES;
		struct mframe *x = fr(m, p);

		if (x->state != MF_ALLOC)
			continue;
		*order = x->order;
		*pfn = ALIGN_DOWN(p, 1ULL << x->order);
		*o = x->owner;
		return true;
	}
	return false;
}

static int op_free(struct model *m, const u8 *b, u32 arg)
{
	unsigned int order;
	u64 pfn;
	int o, want, err;

	if (!pick_unit(m, arg, &pfn, &order, &o))
		return 0;
	if (b[1] & 2)
		o ^= 1;
	if (b[1] & 4)
		order = (order + 9) % 27;
	if (b[1] & 8)
		pfn += b[7] % 3;
	want = free_expect(m, o, pfn, order);
	err = gpool_free(m->owner[o], pfn, order);
	if (err != want)
		return MFAIL(m, "free o%d pfn %llu order %u: %d, want %d", o,
			     pfn, order, err, want);
	if (!err)
		free_apply(m, o, pfn, order);
	return 0;
}

/* The pfn for alloc_exact/mark_bad/query: recently freed or anywhere. */
static u64 pick_pfn(struct model *m, const u8 *b, u32 arg)
{
	if ((b[7] & 3) && m->nr_freed)
		return m->freed[arg % min_t(unsigned int, m->nr_freed,
					    ARRAY_SIZE(m->freed))] +
		       (b[7] >> 2) % 4;
	return M_BASE - PG_2M + arg % (M_FRAMES + 2 * PG_2M);
}

static int op_alloc_exact(struct model *m, const u8 *b, u32 arg)
{
	int o = b[1] & 1, lvl = b[2] % 3, src, nid, want, err, l;
	unsigned int order = lvl * 9;
	u64 pfn = ALIGN_DOWN(pick_pfn(m, b, arg), 1ULL << order);
	s64 df[3] = { 0 }, dr[3] = { 0 };
	struct gpool_unit u;
	u64 i;

	if (b[1] & 8)
		pfn |= 1;
	if (!IS_ALIGNED(pfn, 1ULL << order) || !in_pool(m, pfn)) {
		want = -EINVAL;
		goto call;
	}
	nid = nid_of(m, pfn);
	want = 0;
	for (i = 0; i < (1ULL << order); i++)
		if (fr(m, pfn + i)->state != MF_FREE)
			want = -EBUSY;
	if (!want) {
		src = free_lvl(m, pfn);
		if (src < lvl) {
			want = -EBUSY;
			goto call;
		}
		df[src]--;
		for (l = src - 1; l >= lvl; l--)
			df[l] += 511;
		resv_use(m, o, nid, lvl, dr);
		if (!feasible(m, nid, df, dr))
			want = -ENOMEM;
	}
call:
	err = gpool_alloc_exact(m->owner[o], pfn, order, &u);
	if (err != want)
		return MFAIL(m, "alloc_exact o%d pfn %llu order %u: %d, want %d",
			     o, pfn, order, err, want);
	if (err)
		return 0;
	if (u.pfn != pfn || u.order != order)
		return MFAIL(m, "alloc_exact: wrong unit");
	for (i = 0; i < (1ULL << order); i++)
		if ((u.flags & GPOOL_UNIT_ZERO) &&
		    !(fr(m, pfn + i)->flags & MFL_ZERO))
			return MFAIL(m, "alloc_exact: dirty but ZERO");
	resv_apply(m, o, nid_of(m, pfn), dr);
	set_frames(m, pfn, 1ULL << order, MF_ALLOC, o, order, 0);
	touch(m, pfn, 1ULL << order);
	return 0;
}

/* Allocated unit containing @pfn: owner/order, or state error. */
static int unit_at(struct model *m, u64 pfn, int o)
{
	struct mframe *x = fr(m, pfn);

	if (x->state != MF_ALLOC)
		return -ENOENT;
	return x->owner == o ? 0 : -EPERM;
}

static int op_split(struct model *m, const u8 *b, u32 arg)
{
	struct gpool_split_info si;
	unsigned int order, nr_4k = 0;
	u64 pfn, start, end, nr, c;
	bool split_1g = false;
	int o, want, err;

	if (!pick_unit(m, arg, &start, &order, &o))
		return 0;
	if (b[1] & 2)
		o ^= 1;
	pfn = start + (b[6] | b[7] << 8) % (1ULL << order);
	nr = 1 + (b[5] | (b[2] << 8)) % (b[1] & 16 ? 4 * PG_2M : 700);
	if (b[1] & 32)
		nr = PG_2M * (1 + b[5] % 3);
	end = pfn + nr;
	if ((pfn >> 18) != ((end - 1) >> 18) || !in_pool(m, end - 1) ||
	    m->blk[(pfn - M_BASE) / PG_2M].sec !=
	    m->blk[(end - 1 - M_BASE) / PG_2M].sec) {
		want = -EINVAL;
	} else {
		want = unit_at(m, pfn, o);
		if (!want)
			want = unit_at(m, end - 1, o);
	}
	err = gpool_split(m->owner[o], pfn, nr, &si);
	if (err != want)
		return MFAIL(m, "split o%d [%llu +%llu): %d, want %d", o, pfn,
			     nr, err, want);
	if (err)
		return 0;
	if (fr(m, pfn)->order == 18 &&
	    (pfn != ALIGN_DOWN(pfn, PG_1G) || nr != PG_1G)) {
		u64 w = ALIGN_DOWN(pfn, PG_1G);

		for (c = 0; c < PG_1G; c++)
			fr(m, w + c)->order = 9;
		split_1g = true;
	}
	for (c = 0; c < 2; c++) {
		u64 q = c ? end - 1 : pfn, blk = ALIGN_DOWN(q, PG_2M);
		u64 bound = c ? end : pfn, i;

		if (IS_ALIGNED(bound, PG_2M) || fr(m, q)->order != 9)
			continue;
		for (i = 0; i < PG_2M; i++)
			fr(m, blk + i)->order = 0;
		nr_4k += 512;
	}
	if (si.nr_4k != nr_4k || si.nr_2m != (split_1g ? 512 - nr_4k / 512 : 0))
		return MFAIL(m, "split: reported %u/%u, want %u/%u", si.nr_2m,
			     si.nr_4k, split_1g ? 512 - nr_4k / 512 : 0, nr_4k);
	if (split_1g)
		touch(m, ALIGN_DOWN(pfn, PG_1G), PG_1G);
	else
		touch(m, ALIGN_DOWN(pfn, PG_2M), ALIGN(end, PG_2M) -
		      ALIGN_DOWN(pfn, PG_2M));
	return 0;
}

static int op_merge(struct model *m, const u8 *b, u32 arg)
{
	struct gpool_merge_info mi;
	unsigned int order, target = b[2] & 1 ? 18 : 9, nr_4k = 0;
	bool held = true, pend = false;
	u64 pfn, t, i;
	int o, err;

	if (!pick_unit(m, arg, &pfn, &order, &o))
		return 0;
	if (b[1] & 2)
		o ^= 1;
	t = ALIGN_DOWN(pfn, 1ULL << target);
	for (i = 0; i < (1ULL << target); i++) {
		struct mframe *x;

		if (!in_pool(m, t + i)) {
			held = false;
			break;
		}
		x = fr(m, t + i);
		held &= x->state == MF_ALLOC && x->owner == o;
		pend |= x->flags & MFL_PENDING;
	}
	err = gpool_merge(m->owner[o], t, target, &mi);
	if (order >= target && fr(m, t)->owner == o &&
	    fr(m, t)->state == MF_ALLOC) {
		if (err || mi.order != order || mi.nr_4k || mi.nr_2m)
			return MFAIL(m, "merge of merged unit: %d", err);
		return 0;
	}
	if (err) {
		if (err != -EBUSY && err != -EHWPOISON && err != -EINVAL)
			return MFAIL(m, "merge: %d", err);
		if (err == -EHWPOISON && !pend)
			return MFAIL(m, "merge: EHWPOISON without poison");
		return 0;
	}
	if (!held || pend)
		return MFAIL(m, "merge o%d %llu/%u succeeded, not all held", o,
			     t, target);
	for (i = 0; i < (1ULL << target); i += PG_2M)
		nr_4k += fr(m, t + i)->order == 0 ? 512 : 0;
	if (mi.order != target || mi.nr_4k != nr_4k ||
	    mi.nr_2m != (target == 18 ? 512 : 0))
		return MFAIL(m, "merge: reported %u/%u/%u", mi.order, mi.nr_4k,
			     mi.nr_2m);
	for (i = 0; i < (1ULL << target); i++)
		fr(m, t + i)->order = target;
	touch(m, t, 1ULL << target);
	return 0;
}

static int op_zero(struct model *m, const u8 *b, u32 arg)
{
	struct gpool_unit u;
	int nid = (b[1] >> 3) & 1, err;
	unsigned int s, i;
	bool want1g = false, want2m = false;

	if ((b[1] & 2) && m->nr_zeroing) {
		bool zeroed = b[1] & 4;

		i = arg % m->nr_zeroing;
		u = m->zeroing[i];
		err = gpool_zero_end(m->pool, u.pfn, u.order, zeroed);
		if (err)
			return MFAIL(m, "zero_end %llu: %d", u.pfn, err);
		set_frames(m, u.pfn, 1ULL << u.order, MF_FREE, 0, 0,
			   zeroed ? MFL_ZERO : 0);
		touch(m, u.pfn, 1ULL << u.order);
		m->zeroing[i] = m->zeroing[--m->nr_zeroing];
		err = gpool_zero_end(m->pool, u.pfn, u.order, zeroed);
		if (err != -ENOENT)
			return MFAIL(m, "zero_end twice: %d", err);
		return 0;
	}
	if (m->nr_zeroing == M_ZEROING)
		return 0;
	for (s = 0; s < m->nr_sec; s++) {
		struct msec *x = &m->sec[s];
		unsigned long b0 = (x->pfn - M_BASE) / PG_2M;

		if (x->nid != nid)
			continue;
		if (x->kind == MS_FREE && !x->c.zero[2])
			want1g = true;
		if (x->kind != MS_SPLIT)
			continue;
		for (i = x->lo; i < x->hi; i++)
			if (m->blk[b0 + i].kind == MB_FULLFREE &&
			    !m->blk[b0 + i].allzero)
				want2m = true;
	}
	err = gpool_zero_begin(m->pool, nid, &u);
	if (!want1g && !want2m) {
		if (err != -ENOENT)
			return MFAIL(m, "zero_begin: %d, want -ENOENT", err);
		return 0;
	}
	if (err || u.order != (want1g ? 18u : 9u) || nid_of(m, u.pfn) != nid)
		return MFAIL(m, "zero_begin: %d order %u", err, u.order);
	if (u.order == 18 ? m->sec[m->blk[(u.pfn - M_BASE) / PG_2M].sec].kind !=
	    MS_FREE : m->blk[(u.pfn - M_BASE) / PG_2M].kind != MB_FULLFREE)
		return MFAIL(m, "zero_begin: unit %llu not free", u.pfn);
	set_frames(m, u.pfn, 1ULL << u.order, MF_ZEROING, 0, u.order, 0);
	touch(m, u.pfn, 1ULL << u.order);
	m->zeroing[m->nr_zeroing++] = u;
	return 0;
}

static u64 resv_room(struct model *m, int nid, int lvl)
{
	static const s64 none[3];
	s64 h[3], room;
	int l;

	headroom(m, nid, none, none, h);
	room = h[lvl];
	for (l = lvl - 1; l >= 0; l--)
		room = min(room, h[l] >> ((lvl - l) * 9));
	return room > 0 ? room : 0;
}

static int op_reserve(struct model *m, const u8 *b, u32 arg)
{
	int o = b[1] & 1, lvl = b[2] % 3, err, want;
	u64 nr = 1 + arg % (lvl == 2 ? 3 : lvl == 1 ? 700 : 5000);
	unsigned int nids[GPOOL_MAX_NODES], cnt, i, n;
	u64 total = 0, got[M_NODES] = { 0 }, left = nr;

	if (b[1] & 2) {
		gpool_unreserve(m->owner[o]);
		memset(m->resv[o], 0, sizeof(m->resv[o]));
		return 0;
	}
	cnt = policy_nodes(&m->pol[o], 0, nids);
	for (i = 0; i < cnt; i++)
		total += resv_room(m, nids[i], lvl);
	want = total >= nr ? 0 : -ENOMEM;
	err = gpool_reserve(m->owner[o], nr << (PAGE_SHIFT + lvl * 9), lvl * 9);
	if (err != want)
		return MFAIL(m, "reserve o%d %llu x lvl %d: %d, want %d", o, nr,
			     lvl, err, want);
	if (err)
		return 0;
	if (m->pol[o].mode == GPOOL_MODE_INTERLEAVE) {
		for (i = 0; i < cnt; i++) {
			n = nids[i];
			got[n] = min(nr / cnt, resv_room(m, n, lvl));
			m->resv[o][n][lvl] += got[n];
			left -= got[n];
		}
	}
	for (i = 0; i < cnt && left; i++) {
		u64 t;

		n = nids[i];
		t = min(left, resv_room(m, n, lvl));
		m->resv[o][n][lvl] += t;
		left -= t;
	}
	return 0;
}

static int op_mark_bad(struct model *m, const u8 *b, u32 arg)
{
	u64 pfn = pick_pfn(m, b, arg);
	struct mframe *x;
	int want, err;

	if (m->nr_bad >= M_MAX_BAD)
		return 0;
	if (!in_pool(m, pfn)) {
		want = -EINVAL;
	} else {
		x = fr(m, pfn);
		want = x->state == MF_ZEROING ? -EBUSY : 0;
	}
	err = gpool_mark_bad(m->pool, pfn);
	if (err != want)
		return MFAIL(m, "mark_bad %llu: %d, want %d", pfn, err, want);
	if (err)
		return 0;
	x = fr(m, pfn);
	if (x->state == MF_FREE) {
		x->state = MF_BAD;
		x->flags = 0;
		m->nr_bad++;
	} else if (x->state == MF_ALLOC && !(x->flags & MFL_PENDING)) {
		x->flags |= MFL_PENDING;
		m->nr_bad++;
	}
	touch(m, pfn, 1);
	return 0;
}

static int check_query(struct model *m, u64 pfn)
{
	struct gpool_unit u;
	int err = gpool_query(m->pool, pfn, &u), want;
	struct mframe *x;

	if (!in_pool(m, pfn)) {
		want = -EINVAL;
	} else {
		x = fr(m, pfn);
		want = x->state == MF_ALLOC ? 0 : -ENOENT;
		if (!want && !err &&
		    (u.order != x->order ||
		     u.pfn != ALIGN_DOWN(pfn, 1ULL << x->order)))
			return MFAIL(m, "query %llu: %llu/%u, want order %u",
				     pfn, u.pfn, u.order, x->order);
	}
	if (err != want)
		return MFAIL(m, "query %llu: %d, want %d", pfn, err, want);
	return 0;
}

/* One counter of gpool_lvl_stats and what the model derives for it. */
struct mstat {
	const char *name;
	u64 got;
	s64 want;
};

static int check_stats(struct model *m)
{
	struct gpool_stats s;
	s64 r[3];
	int nid, l;
	unsigned int i;

	for (nid = 0; nid < M_NODES; nid++) {
		struct mcount *c = &m->node[nid];

		if (gpool_node_stats(m->pool, nid, &s))
			return MFAIL(m, "stats %d", nid);
		node_resv(m, nid, r);
		for (l = 0; l < GPOOL_NR_LVLS; l++) {
			struct gpool_lvl_stats *o = &s.lvl[l];
			const struct mstat st[] = {
				{ "free", o->free, c->f[l] - c->zeroing[l] },
				{ "zero", o->zero, c->zero[l] },
				{ "zeroing", o->zeroing, c->zeroing[l] },
				{ "allocated", o->allocated, c->alloc[l] },
				{ "split", o->split, c->split[l] },
				{ "reserved", o->reserved, r[l] },
				{ "nr_splits", o->nr_splits, m->nr_splits[nid][l] },
				{ "nr_merges", o->nr_merges, m->nr_merges[nid][l] },
			};

			for (i = 0; i < ARRAY_SIZE(st); i++)
				if (st[i].got != (u64)st[i].want)
					return MFAIL(m, "node %d lvl %d: %s %llu, want %lld",
						     nid, l, st[i].name,
						     st[i].got, st[i].want);
		}
		if (s.bad_pages != (u64)c->bad ||
		    s.poison_pending != (u64)c->pending)
			return MFAIL(m, "node %d: bad %llu/%lld pending %llu/%lld",
				     nid, s.bad_pages, c->bad,
				     s.poison_pending, c->pending);
	}
	return 0;
}

int model_check_all(struct model *m)
{
	u64 pfn;

	for (pfn = M_BASE; pfn < M_BASE + M_FRAMES; pfn += PG_2M / 4)
		if (check_query(m, pfn))
			return -1;
	return 0;
}

int model_step(struct model *m, const u8 *b)
{
	u32 arg = b[3] | b[4] << 8 | b[5] << 16 | (u32)b[6] << 24;
	int err;

	m->steps++;
	switch (b[0] % 16) {
	case 0 ... 4:
		/* 4K most often, 1G least. */
		err = op_alloc(m, b[1] & 1, b[2] % 8 < 4 ? 0 : b[2] % 8 < 7 ? 1 : 2);
		break;
	case 5 ... 7:
		err = op_free(m, b, arg);
		break;
	case 8:
		err = op_alloc_exact(m, b, arg);
		break;
	case 9:
		err = op_split(m, b, arg);
		break;
	case 10:
		err = op_merge(m, b, arg);
		break;
	case 11:
		err = op_zero(m, b, arg);
		break;
	case 12:
		err = op_reserve(m, b, arg);
		break;
	case 13:
		err = b[1] < 16 ? op_mark_bad(m, b, arg) : 0;
		break;
	default:
		err = check_query(m, pick_pfn(m, b, arg));
		break;
	}
	if (err)
		return err;
	if (check_stats(m))
		return -1;
	if (gpool_check(m->pool))
		return MFAIL(m, "gpool_check failed");
	if (shim_nr_warnings())
		return MFAIL(m, "WARN fired");
	m->units++;
	return 0;
}
