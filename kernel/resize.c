// SPDX-License-Identifier: GPL-2.0
/*
 * gpool: the pieces the pool is made of, and growing and shrinking it.
 *
 * The pool's memory is kept as pieces, each one range of the pool core
 * (gpool_add_range()):
 *
 *	boot, node 1:	[  1G  ][  1G  ][ 512M ]   split at 1 GiB boundaries
 *	grow, node 0:	[  1G  ]  [2M]  [2M]       from alloc_contig_pages()
 *
 * A piece is the unit of GPOOL_IOC_SHRINK: the pool core removes a range
 * only when none of it is in use, so boot memory is split at 1 GiB
 * boundaries rather than kept as one range per node.  Nothing is lost by
 * that: a 1G unit never spans a 1 GiB boundary, and a 2M unit never spans
 * a 2 MiB one.
 *
 * Growing takes memory from the buddy allocator; the pages are marked
 * PageReserved like boot memory, so that KVM never takes references on
 * them.  Shrinking clears a piece (it may hold what a guest wrote) and
 * hands it back to the buddy allocator: a grown piece with
 * free_contig_range(), a boot piece with free_reserved_page().  A frame
 * that went bad is PageHWPoison, and the page allocator keeps it out.  A
 * nomap pool has no struct page, so it can do neither.
 */
#define pr_fmt(fmt) "gpool: " fmt

#include <linux/gfp.h>
#include <linux/gpool.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include "../pool/pool.h"
#include "gpool_kernel.h"

#define PIECE_1G_PAGES	(SZ_1G >> PAGE_SHIFT)
#define PIECE_2M_PAGES	(SZ_2M >> PAGE_SHIFT)

struct gpool_piece {
	struct list_head link;	/* gpool_pieces, oldest first */
	u64 pfn;
	u64 nr_pages;
	int nid;
	bool grown;		/* from the buddy allocator, not from boot */
	bool out;		/* being taken out by gpool_shrink_take() */
};

/* Serialises every change of the pool's memory, and protects the list. */
static DEFINE_MUTEX(gpool_pieces_lock);
static LIST_HEAD(gpool_pieces);

/* A piece's metadata; KUnit makes it fail to test GROW's rollback. */
VISIBLE_IF_KUNIT void *gpool_piece_alloc(size_t size)
{
	KUNIT_STATIC_STUB_REDIRECT(gpool_piece_alloc, size);
	return kzalloc(size, GFP_KERNEL);
}

/* Add [pfn, pfn + nr_pages) to the pool as one piece. */
static int gpool_piece_add(int nid, u64 pfn, u64 nr_pages, bool grown)
{
	struct gpool_piece *p;
	int ret;

	lockdep_assert_held(&gpool_pieces_lock);
	p = gpool_piece_alloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	ret = gpool_add_range(gpool_system, nid, pfn, nr_pages, 0);
	if (ret) {
		kfree(p);
		return ret;
	}
	p->pfn = pfn;
	p->nr_pages = nr_pages;
	p->nid = nid;
	p->grown = grown;
	list_add_tail(&p->link, &gpool_pieces);
	return 0;
}

/*
 * Add a boot range, split at 1 GiB boundaries.  Called by gpool_init()
 * before anyone can use the pool: a failure leaves no pool at all.
 */
int __init gpool_add_boot_range(int nid, u64 pfn, u64 nr_pages)
{
	u64 end = pfn + nr_pages, next;
	int ret = 0;

	mutex_lock(&gpool_pieces_lock);
	for (; pfn < end; pfn = next) {
		next = min(ALIGN(pfn + 1, PIECE_1G_PAGES), end);
		ret = gpool_piece_add(nid, pfn, next - pfn, false);
		if (ret)
			break;
	}
	mutex_unlock(&gpool_pieces_lock);
	return ret;
}

/* gpool_init() failed: the pool is destroyed, and its pieces with it. */
void __init gpool_forget_boot_ranges(void)
{
	struct gpool_piece *p, *tmp;

	mutex_lock(&gpool_pieces_lock);
	list_for_each_entry_safe(p, tmp, &gpool_pieces, link) {
		list_del(&p->link);
		kfree(p);
	}
	mutex_unlock(&gpool_pieces_lock);
}

/* For GPOOL_IOC_INFO: a few hundred pieces per TiB at most. */
void gpool_pieces_info(u64 *boot_pages, unsigned int *nr_pieces)
{
	struct gpool_piece *p;

	*boot_pages = 0;
	*nr_pieces = 0;
	mutex_lock(&gpool_pieces_lock);
	list_for_each_entry(p, &gpool_pieces, link) {
		(*nr_pieces)++;
		if (!p->grown)
			*boot_pages += p->nr_pages;
	}
	mutex_unlock(&gpool_pieces_lock);
}

bool gpool_can_resize(void)
{
	return IS_ENABLED(CONFIG_CONTIG_ALLOC) && !gpool_nomap;
}

/* Clear a piece's memory: it may hold what a guest wrote. */
static void gpool_piece_clear(u64 pfn, u64 nr_pages)
{
	u64 i;

	for (i = 0; i < nr_pages; i++) {
		/* A bad frame is never read or written (nor freed, below). */
		if (!PageHWPoison(pfn_to_page(pfn + i)))
			clear_page(pfn_to_kaddr(pfn + i));
		if (!((i + 1) % PIECE_2M_PAGES))
			cond_resched();
	}
}

/*
 * Called with every block about to go back to the system: KUnit checks
 * there that what leaves the pool was cleared.
 */
VISIBLE_IF_KUNIT void gpool_block_leaving(u64 pfn, u64 nr_pages)
{
	KUNIT_STATIC_STUB_REDIRECT(gpool_block_leaving, pfn, nr_pages);
}

/* Give a block of memory, not (or no longer) in the pool, to the system. */
static void gpool_block_release(u64 pfn, u64 nr_pages, bool grown)
{
	u64 i;

	gpool_block_leaving(pfn, nr_pages);
	if (grown) {
		for (i = 0; i < nr_pages; i++)
			ClearPageReserved(pfn_to_page(pfn + i));
		free_contig_range(pfn, nr_pages);
		return;
	}
	for (i = 0; i < nr_pages; i++) {
		free_reserved_page(pfn_to_page(pfn + i));
		if (!((i + 1) % PIECE_2M_PAGES))
			cond_resched();
	}
}

/*
 * A piece out of the pool (off every list) goes back to the system:
 * cleared first, since guests had it.
 */
static void gpool_piece_leave(struct gpool_piece *p)
{
	gpool_piece_clear(p->pfn, p->nr_pages);
	gpool_block_release(p->pfn, p->nr_pages, p->grown);
	kfree(p);
}

/* Blocks taken from the buddy allocator by GPOOL_IOC_GROW, not yet added. */
struct gpool_grow_block {
	u64 pfn;
	u64 nr_pages;
};

#ifdef CONFIG_CONTIG_ALLOC
/* Take one 1 GiB- or 2 MiB-aligned block from the buddy allocator. */
static int gpool_grow_block(int nid, struct gpool_grow_block *b)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN |
			  __GFP_RETRY_MAYFAIL;
	struct page *page;
	u64 i;

	page = alloc_contig_pages(b->nr_pages, gfp, nid, NULL);
	if (!page)
		return -ENOMEM;
	b->pfn = page_to_pfn(page);
	/* Like boot memory: KVM must not take references on these pages. */
	for (i = 0; i < b->nr_pages; i++)
		SetPageReserved(page + i);
	return 0;
}
#else
static int gpool_grow_block(int nid, struct gpool_grow_block *b)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * The checks GPOOL_IOC_GROW and GPOOL_IOC_SHRINK share, in the order
 * docs/uapi.rst gives their errors.  @node comes from userspace as is.
 */
static int gpool_resize_check(u64 node, u64 bytes)
{
	if (node >= min(GPOOL_MAX_NODES, MAX_NUMNODES) || !bytes ||
	    !IS_ALIGNED(bytes, SZ_2M))
		return -EINVAL;
	return gpool_can_resize() ? 0 : -EOPNOTSUPP;
}

bool gpool_node_known(int nid)
{
	struct gpool_stats stats;

	return gpool_system && !gpool_node_stats(gpool_system, nid, &stats);
}

/*
 * Take every block from the buddy allocator first and only then add them
 * to the pool, so that a failure to get memory (the likely one) undoes
 * nothing the pool has seen.
 */
int gpool_grow(u64 node, u64 bytes)
{
	u64 nr_pages = bytes >> PAGE_SHIFT, left;
	struct gpool_grow_block *blocks;
	unsigned int nr = 0, added = 0, i;
	struct gpool_piece *p;
	int nid = node, ret;
	bool new_node;

	ret = gpool_resize_check(node, bytes);
	if (ret)
		return ret;
	if (!node_state(nid, N_MEMORY))
		return -EINVAL;
	if (nr_pages > node_present_pages(nid))
		return -ENOMEM;

	nr = nr_pages / PIECE_1G_PAGES + (nr_pages % PIECE_1G_PAGES) /
					  PIECE_2M_PAGES;
	blocks = kvcalloc(nr, sizeof(*blocks), GFP_KERNEL);
	if (!blocks)
		return -ENOMEM;
	for (i = 0, left = nr_pages; i < nr; i++) {
		blocks[i].nr_pages = left >= PIECE_1G_PAGES ? PIECE_1G_PAGES :
							      PIECE_2M_PAGES;
		left -= blocks[i].nr_pages;
	}

	mutex_lock(&gpool_pieces_lock);
	for (i = 0; i < nr; i++) {
		if (fatal_signal_pending(current))
			ret = -EINTR;
		else
			ret = gpool_grow_block(nid, &blocks[i]);
		if (ret)
			goto out_release;
		cond_resched();
	}

	new_node = !gpool_node_known(nid);
	for (added = 0; added < nr; added++) {
		ret = gpool_piece_add(nid, blocks[added].pfn,
				      blocks[added].nr_pages, true);
		if (ret)
			break;
	}
	if (!ret) {
		mutex_unlock(&gpool_pieces_lock);
		kvfree(blocks);
		if (new_node)
			gpool_sysfs_add_node(nid);
		/* The blocks are dirty: have them cleared. */
		gpool_zero_kick();
		return 0;
	}

	/* Out of memory for metadata: blocks [added, nr) never got in... */
	for (i = added; i < nr; i++)
		gpool_block_release(blocks[i].pfn, blocks[i].nr_pages, true);
	/* ...and the pieces added before them come out again. */
	gpool_zero_pause();
	while (added--) {
		p = list_last_entry(&gpool_pieces, struct gpool_piece, link);
		if (gpool_remove_range(gpool_system, p->pfn, p->nr_pages)) {
			/* Reserved already by a new file. */
			pr_notice("node %d: grow failed (%d), %llu MiB stay in the pool\n",
				  nid, ret, p->nr_pages >> (20 - PAGE_SHIFT));
			break;
		}
		list_del(&p->link);
		/*
		 * A file may have allocated, written and freed frames of it
		 * meanwhile: it leaves as a shrunk piece does.
		 */
		gpool_piece_leave(p);
	}
	gpool_zero_resume();
	goto out_unlock;

out_release:
	while (i--)
		gpool_block_release(blocks[i].pfn, blocks[i].nr_pages, true);
out_unlock:
	mutex_unlock(&gpool_pieces_lock);
	kvfree(blocks);
	return ret;
}

/*
 * Take the newest free pieces of @nid that add up to @nr_pages out of the
 * pool, all or nothing, and move them onto @out.
 */
static int gpool_shrink_take(int nid, u64 nr_pages, struct list_head *out)
{
	struct gpool_piece *p, *tmp;
	u64 taken = 0;
	int ret;

	lockdep_assert_held(&gpool_pieces_lock);
	list_for_each_entry_reverse(p, &gpool_pieces, link) {
		if (taken == nr_pages)
			break;
		if (p->nid != nid || p->nr_pages > nr_pages - taken)
			continue;
		if (gpool_remove_range(gpool_system, p->pfn, p->nr_pages))
			continue;
		p->out = true;
		taken += p->nr_pages;
	}

	list_for_each_entry_safe(p, tmp, &gpool_pieces, link) {
		if (!p->out)
			continue;
		p->out = false;
		if (taken == nr_pages) {
			list_move_tail(&p->link, out);
			continue;
		}
		/* Not enough: put it back; the pool had it a moment ago. */
		ret = gpool_add_range(gpool_system, p->nid, p->pfn,
				      p->nr_pages, 0);
		if (ret) {
			/* Out of memory for metadata: it leaves, then. */
			pr_notice("node %d: %llu MiB left the pool (%d)\n",
				  p->nid, p->nr_pages >> (20 - PAGE_SHIFT), ret);
			list_move_tail(&p->link, out);
		}
	}
	return taken == nr_pages ? 0 : -EBUSY;
}

int gpool_shrink(u64 node, u64 bytes)
{
	struct gpool_piece *p, *tmp;
	LIST_HEAD(taken);
	int nid = node, ret;

	ret = gpool_resize_check(node, bytes);
	if (ret)
		return ret;
	if (!gpool_node_known(nid))
		return -ENOENT;

	/* A unit out with the background zeroer would keep its piece busy. */
	gpool_zero_pause();
	mutex_lock(&gpool_pieces_lock);
	ret = gpool_shrink_take(nid, bytes >> PAGE_SHIFT, &taken);
	mutex_unlock(&gpool_pieces_lock);
	gpool_zero_resume();

	/* Out of the pool, and cleared before anyone else sees it. */
	list_for_each_entry_safe(p, tmp, &taken, link)
		gpool_piece_leave(p);
	return ret;
}

#ifdef CONFIG_GPOOL_KUNIT_TEST
/* The newest piece; for a stub called by gpool_grow(), which holds the lock. */
void gpool_test_newest_piece(u64 *pfn, u64 *nr_pages)
{
	struct gpool_piece *p;

	lockdep_assert_held(&gpool_pieces_lock);
	p = list_last_entry(&gpool_pieces, struct gpool_piece, link);
	*pfn = p->pfn;
	*nr_pages = p->nr_pages;
}
#endif
