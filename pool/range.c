// SPDX-License-Identifier: GPL-2.0
/*
 * Pool lifetime, ranges and nodes: adding and removing frames, finding the
 * metadata of a pfn and locking its node.
 */
#include "pool_internal.h"
#include "pool_types.h"
#include "buddy.h"
#include "range.h"
#include "resv.h"
#include "spare.h"

struct gpool *gpool_create(void)
{
	struct gpool *pool;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	mutex_init(&pool->lock);
	rwlock_init(&pool->ranges_lock);
	INIT_LIST_HEAD(&pool->owners);
	return pool;
}

static void gpool_free_range(struct gpool_range *range)
{
	unsigned long i;

	for (i = 0; i < range->nr_blocks; i++)
		kfree(range->blocks[i].frames);
	kvfree(range->blocks);
	kvfree(range->sections);
	kfree(range);
}

static void gpool_free_node(struct gpool_node *node)
{
	struct gpool_poison *p, *tmp;

	gpool_spare_release(node);
	list_for_each_entry_safe(p, tmp, &node->poison, link) {
		kfree(p->frames);
		kfree(p);
	}
	list_for_each_entry_safe(p, tmp, &node->bad, link)
		kfree(p);
	kfree(node);
}

int gpool_destroy(struct gpool *pool)
{
	unsigned int i;

	mutex_lock(&pool->lock);
	if (pool->nr_owners) {
		mutex_unlock(&pool->lock);
		return -EBUSY;
	}
	mutex_unlock(&pool->lock);

	for (i = 0; i < pool->nr_ranges; i++)
		gpool_free_range(pool->ranges[i]);
	kfree(pool->ranges);
	for (i = 0; i < GPOOL_MAX_NODES; i++)
		if (pool->nodes[i])
			gpool_free_node(pool->nodes[i]);
	mutex_destroy(&pool->lock);
	kfree(pool);
	return 0;
}

/* Index of the first range that ends after @pfn; ranges_lock held. */
static unsigned int gpool_range_index(struct gpool *pool, u64 pfn)
{
	unsigned int lo = 0, hi = pool->nr_ranges;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		struct gpool_range *r = pool->ranges[mid];

		if (r->start_pfn + r->nr_pages <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Find the metadata of @pfn.  The caller holds pool->ranges_lock for as long
 * as it uses @loc.
 *
 * Return: 0, or -EINVAL if the pool does not manage @pfn.
 */
int gpool_locate(struct gpool *pool, u64 pfn, struct gpool_loc *loc)
{
	struct gpool_range *range;
	unsigned int i;
	u64 off;

	lockdep_assert_held(&pool->ranges_lock);

	i = gpool_range_index(pool, pfn);
	if (i == pool->nr_ranges)
		return -EINVAL;
	range = pool->ranges[i];
	if (pfn < range->start_pfn)
		return -EINVAL;

	off = pfn - range->sec_pfn;
	loc->node = range->node;
	loc->sec = &range->sections[off >> GPOOL_ORDER_1G];
	loc->slot = (off >> GPOOL_ORDER_2M) & (GPOOL_SLOTS - 1);
	loc->idx = off & (GPOOL_SLOTS - 1);
	loc->blk = &range->blocks[(pfn - range->start_pfn) >> GPOOL_ORDER_2M];
	return 0;
}

/*
 * Find @pfn and lock its node with @nr_frames split metadata structures
 * cached.  The cache is filled with no lock held: ranges_lock is a spinning
 * lock too.  On success both pool->ranges_lock (read) and the node lock are
 * held; release them with gpool_unlock_pfn().
 *
 * Return: 0, -EINVAL if the pool does not manage @pfn, -ENOMEM.
 */
int gpool_lock_pfn(struct gpool *pool, u64 pfn, unsigned int nr_frames,
		   struct gpool_loc *loc)
{
	struct gpool_node *node;
	int err;

	for (;;) {
		read_lock(&pool->ranges_lock);
		err = gpool_locate(pool, pfn, loc);
		if (err) {
			read_unlock(&pool->ranges_lock);
			return err;
		}
		node = loc->node;
		if (gpool_node_lock_cached(node, nr_frames))
			return 0;
		read_unlock(&pool->ranges_lock);
		/* Nodes live as long as the pool. */
		err = gpool_node_lock(node, nr_frames);
		if (err)
			return err;
		spin_unlock(&node->lock);
	}
}

void gpool_unlock_pfn(struct gpool *pool, struct gpool_loc *loc)
{
	spin_unlock(&loc->node->lock);
	read_unlock(&pool->ranges_lock);
}

static struct gpool_node *gpool_node_alloc(int nid)
{
	struct gpool_node *node;

	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return NULL;
	spin_lock_init(&node->lock);
	node->nid = nid;
	INIT_LIST_HEAD(&node->whole[0]);
	INIT_LIST_HEAD(&node->whole[1]);
	INIT_LIST_HEAD(&node->avail);
	INIT_LIST_HEAD(&node->partial);
	INIT_LIST_HEAD(&node->poison);
	INIT_LIST_HEAD(&node->bad);
	return node;
}

static struct gpool_range *gpool_range_alloc(u64 start_pfn, u64 nr_pages)
{
	struct gpool_range *range;
	u64 end = start_pfn + nr_pages;

	range = kzalloc(sizeof(*range), GFP_KERNEL);
	if (!range)
		return NULL;
	range->start_pfn = start_pfn;
	range->nr_pages = nr_pages;
	range->sec_pfn = ALIGN_DOWN(start_pfn, GPOOL_SEC_PAGES);
	range->nr_sections = (ALIGN(end, GPOOL_SEC_PAGES) - range->sec_pfn) >>
			     GPOOL_ORDER_1G;
	range->nr_blocks = nr_pages >> GPOOL_ORDER_2M;
	range->sections = kvcalloc(range->nr_sections,
				   sizeof(*range->sections), GFP_KERNEL);
	if (!range->sections)
		goto err_free_range;
	range->blocks = kvcalloc(range->nr_blocks, sizeof(*range->blocks),
				 GFP_KERNEL);
	if (!range->blocks)
		goto err_free_sections;
	return range;

err_free_sections:
	kvfree(range->sections);
err_free_range:
	kfree(range);
	return NULL;
}

static size_t gpool_range_bytes(const struct gpool_range *range)
{
	return sizeof(*range) +
	       range->nr_sections * sizeof(*range->sections) +
	       range->nr_blocks * sizeof(*range->blocks);
}

/* Put every frame of a new range on the free structures; node lock held. */
static void gpool_range_link(struct gpool_node *node,
			     struct gpool_range *range, bool zero)
{
	u64 end = range->start_pfn + range->nr_pages;
	unsigned long i;

	lockdep_assert_held(&node->lock);

	for (i = 0; i < range->nr_sections; i++) {
		struct gpool_section *sec = &range->sections[i];
		u64 pfn = range->sec_pfn + (i << GPOOL_ORDER_1G);
		u64 lo = max(pfn, range->start_pfn);
		u64 hi = min(pfn + GPOOL_SEC_PAGES, end);

		INIT_LIST_HEAD(&sec->whole);
		INIT_LIST_HEAD(&sec->avail);
		INIT_LIST_HEAD(&sec->partial);
		sec->range = range;
		sec->pfn = pfn;
		sec->lo = (lo - pfn) >> GPOOL_ORDER_2M;
		sec->hi = (hi - pfn) >> GPOOL_ORDER_2M;
		if (sec->lo == 0 && sec->hi == GPOOL_SLOTS) {
			sec->flags = GPOOL_SEC_WHOLE;
			node->total[GPOOL_LVL_1G]++;
			gpool_whole_add(node, sec, zero);
			continue;
		}
		/* A cut window: a split section whose children are free. */
		sec->state = GPOOL_SEC_SPLIT;
		bitmap_set(sec->avail_map, sec->lo, sec->hi - sec->lo);
		if (zero)
			bitmap_set(sec->zero_map, sec->lo, sec->hi - sec->lo);
		sec->nr_avail = sec->hi - sec->lo;
		sec->nr_zero = zero ? sec->nr_avail : 0;
		node->free[GPOOL_LVL_2M] += sec->nr_avail;
		node->zero[GPOOL_LVL_2M] += sec->nr_zero;
		list_add_tail(&sec->avail, &node->avail);
	}
	node->total[GPOOL_LVL_2M] += range->nr_blocks;
	node->total[GPOOL_LVL_4K] += range->nr_pages;
}

int gpool_add_range(struct gpool *pool, int nid, u64 start_pfn, u64 nr_pages,
		    unsigned int flags)
{
	struct gpool_range *range, **ranges, **old;
	struct gpool_node *node, *new_node = NULL;
	unsigned int i;
	u64 end;
	int err;

	if (nid < 0 || nid >= GPOOL_MAX_NODES || flags & ~GPOOL_RANGE_ZEROED)
		return -EINVAL;
	if (!nr_pages || !IS_ALIGNED(start_pfn, GPOOL_BLK_PAGES) ||
	    !IS_ALIGNED(nr_pages, GPOOL_BLK_PAGES) ||
	    check_add_overflow(start_pfn, nr_pages, &end) ||
	    end > ALIGN_DOWN(U64_MAX, GPOOL_SEC_PAGES))
		return -EINVAL;

	mutex_lock(&pool->lock);
	i = gpool_range_index(pool, start_pfn);
	if (i < pool->nr_ranges && pool->ranges[i]->start_pfn < end) {
		err = -EEXIST;
		goto out_unlock;
	}

	err = -ENOMEM;
	node = pool->nodes[nid];
	if (!node) {
		new_node = gpool_node_alloc(nid);
		if (!new_node)
			goto out_unlock;
		node = new_node;
	}
	range = gpool_range_alloc(start_pfn, nr_pages);
	if (!range)
		goto err_free_node;
	range->node = node;
	ranges = kmalloc_array(pool->nr_ranges + 1, sizeof(*ranges),
			       GFP_KERNEL);
	if (!ranges)
		goto err_free_range;

	if (pool->nr_ranges) {
		memcpy(ranges, pool->ranges, i * sizeof(*ranges));
		memcpy(ranges + i + 1, pool->ranges + i,
		       (pool->nr_ranges - i) * sizeof(*ranges));
	}
	ranges[i] = range;

	write_lock(&pool->ranges_lock);
	spin_lock(&node->lock);
	gpool_range_link(node, range, flags & GPOOL_RANGE_ZEROED);
	spin_unlock(&node->lock);
	old = pool->ranges;
	pool->ranges = ranges;
	pool->nr_ranges++;
	if (new_node) {
		/* Publish it initialised to gpool_node_get(). */
		smp_store_release(&pool->nodes[nid], new_node);
		set_bit(nid, pool->node_mask);
	}
	write_unlock(&pool->ranges_lock);

	pool->meta_bytes += gpool_range_bytes(range) + sizeof(*ranges);
	if (new_node)
		pool->meta_bytes += sizeof(*new_node);
	mutex_unlock(&pool->lock);
	kfree(old);
	return 0;

err_free_range:
	gpool_free_range(range);
err_free_node:
	kfree(new_node);
out_unlock:
	mutex_unlock(&pool->lock);
	return err;
}

/*
 * Can @range leave its node?  Every frame must be free or bad, and the
 * capacity left must still cover the node's reservations.  If so, @df is
 * the capacity the range takes away.
 */
static bool gpool_range_removable(struct gpool_node *node,
				  struct gpool_range *range, s64 *df)
{
	static const s64 none[GPOOL_NR_LVLS];
	unsigned long i;
	unsigned int slot;

	lockdep_assert_held(&node->lock);

	for (i = 0; i < range->nr_sections; i++) {
		struct gpool_section *sec = &range->sections[i];

		if (sec->state == GPOOL_SEC_FREE) {
			df[GPOOL_LVL_1G]--;
			continue;
		}
		if (sec->state != GPOOL_SEC_SPLIT)
			return false;
		df[GPOOL_LVL_2M] -= sec->nr_avail;
		for (slot = sec->lo; slot < sec->hi; slot++) {
			struct gpool_block *blk = gpool_sec_block(sec, slot);

			if (test_bit(slot, sec->avail_map))
				continue;
			if (!blk->frames || gpool_blk_nr_alloc(blk))
				return false;
			df[GPOOL_LVL_4K] -= blk->nr_avail;
		}
	}
	/* Without free frames (all bad) the range takes no capacity away. */
	if (!(df[GPOOL_LVL_4K] | df[GPOOL_LVL_2M] | df[GPOOL_LVL_1G]))
		return true;
	return gpool_feasible(node, df, none);
}

/* Take every frame of @range off the free structures; node lock held. */
static void gpool_range_unlink(struct gpool_node *node,
			       struct gpool_range *range)
{
	struct gpool_poison *p, *tmp;
	unsigned long i;
	unsigned int slot;

	list_for_each_entry_safe(p, tmp, &node->bad, link) {
		if (p->pfn - range->start_pfn >= range->nr_pages)
			continue;
		list_del(&p->link);
		node->bad_pages--;
		node->meta_bytes -= sizeof(*p);
		kfree(p);
	}

	for (i = 0; i < range->nr_sections; i++) {
		struct gpool_section *sec = &range->sections[i];

		if (sec->state == GPOOL_SEC_FREE) {
			gpool_whole_del(node, sec);
			node->total[GPOOL_LVL_1G]--;
			continue;
		}
		if (sec->flags & GPOOL_SEC_WHOLE) {
			node->split[GPOOL_LVL_1G]--;
			node->total[GPOOL_LVL_1G]--;
		}
		node->free[GPOOL_LVL_2M] -= sec->nr_avail;
		node->zero[GPOOL_LVL_2M] -= sec->nr_zero;
		list_del_init(&sec->avail);
		list_del_init(&sec->partial);
		for (slot = sec->lo; slot < sec->hi; slot++) {
			struct gpool_block *blk = gpool_sec_block(sec, slot);

			if (!blk->frames)
				continue;
			node->free[GPOOL_LVL_4K] -= blk->nr_avail;
			node->zero[GPOOL_LVL_4K] -= blk->nr_zero;
			node->split[GPOOL_LVL_2M]--;
			/* gpool_free_range() frees the frames themselves. */
			node->meta_bytes -= sizeof(*blk->frames);
		}
	}
	node->total[GPOOL_LVL_2M] -= range->nr_blocks;
	node->total[GPOOL_LVL_4K] -= range->nr_pages;
}

int gpool_remove_range(struct gpool *pool, u64 start_pfn, u64 nr_pages)
{
	s64 df[GPOOL_NR_LVLS] = { 0 };
	struct gpool_range *range;
	struct gpool_node *node;
	unsigned int i;
	int err = 0;

	mutex_lock(&pool->lock);
	i = gpool_range_index(pool, start_pfn);
	if (i == pool->nr_ranges || pool->ranges[i]->start_pfn != start_pfn ||
	    pool->ranges[i]->nr_pages != nr_pages) {
		err = -ENOENT;
		goto out_unlock;
	}
	range = pool->ranges[i];
	node = range->node;

	write_lock(&pool->ranges_lock);
	spin_lock(&node->lock);
	if (!gpool_range_removable(node, range, df)) {
		err = -EBUSY;
	} else {
		gpool_range_unlink(node, range);
		memmove(pool->ranges + i, pool->ranges + i + 1,
			(pool->nr_ranges - i - 1) * sizeof(*pool->ranges));
		pool->nr_ranges--;
	}
	spin_unlock(&node->lock);
	write_unlock(&pool->ranges_lock);

	if (!err) {
		pool->meta_bytes -= gpool_range_bytes(range) +
				    sizeof(*pool->ranges);
		gpool_free_range(range);
	}
out_unlock:
	mutex_unlock(&pool->lock);
	return err;
}

size_t gpool_meta_bytes(struct gpool *pool)
{
	size_t bytes;
	unsigned int i;

	mutex_lock(&pool->lock);
	bytes = sizeof(*pool) + pool->meta_bytes;
	for (i = 0; i < GPOOL_MAX_NODES; i++) {
		struct gpool_node *node = pool->nodes[i];

		if (!node)
			continue;
		spin_lock(&node->lock);
		bytes += node->meta_bytes;
		spin_unlock(&node->lock);
	}
	mutex_unlock(&pool->lock);
	return bytes;
}
