// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_soak: random create, convert, punch, refill, close, grow and
 * shrink across several VMs with running vCPUs, the pool's accounting
 * checked after every step (issue #8, item 5).
 *
 * Built with the upstream KVM selftest library, like gpool_race_test.
 *
 *   gpool_soak [-s SEED] [-t SECONDS] [-n STEPS] [-v] [-R]
 *
 *   -s SEED     seed of the step sequence (default: from the clock).  It is
 *               printed first ("gpool_soak: seed S"), and every failure
 *               says "replay with -s S -n N".
 *   -t SECONDS  how long to run the random steps (default 30, 0 for no
 *               limit; with -n and without -t there is none, so that a
 *               replay runs all N steps).
 *   -n STEPS    stop after this many steps (default: no limit).  The
 *               teardown below follows the last step either way.
 *   -v          log every step.
 *   -R          never grow or shrink the pool.
 *   -M          a thread keeps moving the VMs' memslot 0 (code, descriptor
 *               tables, page tables, stacks: ordinary anonymous memory)
 *               from node to node with move_pages() while they run, to
 *               tell the host's page migration under a running guest
 *               from what the pool does.
 *   -P          the VMs' data memslots are plain 6.12 guest_memfds (page
 *               cache, not the pool): the same VMs and steps with the pool
 *               out of the guests' memory, to tell what the pool does from
 *               what KVM and the machine do.  The pool's counters must
 *               then stay as at start.
 *   -w OP=N[,OP=N...]
 *               the weight of step OP (a name below; 0: never), to narrow
 *               down a failure to some kinds of step.
 *
 * One PRNG (splitmix64-seeded xorshift64*) makes every choice, so a seed
 * replays the same operations in the same order, as long as the pool
 * answers the same: GROW may find no contiguous memory on one run and some
 * on the next, and a VM's first faults race the steps that follow.
 *
 * The VMs.  Up to MAX_VMS live KVM_X86_SW_PROTECTED_VMs, each with NR_VCPUS
 * vCPUs running in threads all the time.  Each VM's data memslot is one
 * pool-backed guest_memfd of 2 MiB, 16 MiB, 64 MiB or (only while some node
 * has a free, unreserved 1G unit) 1 GiB, with folio_shift 12 or 21 (or 30,
 * for 1 GiB only), GPOOL_NUMA_BIND to a random node that can reserve it.
 * The memslot is private; its shared view is an anonymous mapping aligned
 * like the GPA.  The guest walks a list of pages (the "touch list", in
 * the VM's own copy of the global @args): the first page of every 2M chunk
 * plus NR_EXTRA_TOUCH random pages (576 pages for 1 GiB, 65 for 2 MiB).
 * At every page it reads the first 8-byte word, which must be 0 or the
 * VM's signature | the page's GPA, and writes the latter; anything else
 * is a GUEST_ASSERT, which the vCPU thread reports as a failure.
 * Signatures are unique among the last 32768 VMs, so a frame that reaches
 * a VM uncleared, or a stale mapping of a frame another VM now owns, shows
 * up as a foreign value.
 *
 * Shared pages.  A gfn converted to shared is the VMM's memory, and a vCPU
 * fault racing the attribute change exits with KVM_EXIT_MEMORY_FAULT, so
 * the guest must never touch a page while the host converts it.  The host
 * keeps the list of shared ranges of each VM, and the guest's touch list
 * is the host's master list with every entry inside a shared range set to
 * 0 (skipped).  Before converting a range to shared, the host zeroes the
 * entries it covers (__atomic_store_n, a full barrier), reads the vCPUs'
 * pass counters and waits until each has gone up by 2: a vCPU bumps its
 * counter with a locked add (a full barrier) after each complete pass, so
 * after two bumps no access from a pass that could have read the old
 * entry is in flight.  Only then does it set the attribute and punch.
 * Back to private: attribute, allocate (or leave a hole), and only then
 * are the entries restored.  Private punches need none of this: the guest
 * may touch a private hole at any time (it faults a fresh, zeroed frame
 * in), and does, because punches pick visible pages half the time.
 *
 * The steps, chosen at random with weights among those possible:
 *   create      a VM (fewer than MAX_VMS live);
 *   destroy     a VM: stop word in the guest, join the vCPUs, check the
 *               file's LIST_FILES entry while it is quiescent, then
 *               kvm_vm_free() and close() of the guest_memfd in random
 *               order (closing first releases the file while the VM lives);
 *   to_shared   a random 4K page or 2M chunk, as above;
 *   to_private  one of the VM's shared ranges back, allocated 3 times in 4;
 *   punch       a random private 4K page or 2M chunk, the accounting
 *               checked right after the punch, refilled half the time;
 *   fill        fallocate() a private page, chunk or (small files) the
 *               whole file;
 *   grow        GPOOL_IOC_GROW 2 MiB on a random pool node, at most
 *               MAX_GROWN outstanding; ENOMEM/EBUSY/EINTR are counted;
 *   shrink      GPOOL_IOC_SHRINK 2 MiB on a node grown before; EBUSY/
 *               ENOMEM/EINTR are counted.  Neither is tried when
 *               GPOOL_IOC_INFO lacks GPOOL_INFO_F_CAN_RESIZE (nomap), nor
 *               after an EPERM (not CAP_SYS_ADMIN); any other error fails;
 *   list        GPOOL_IOC_LIST_FILES, checked as below.
 *
 * After every step (counters from GPOOL_IOC_NODE_STATS, the same numbers
 * as /sys/kernel/mm/gpool/node<N>/<size>/ but one snapshot per node: the
 * vCPUs fault and the zeroer runs while the soak reads, and sysfs files
 * read one at a time do not add up):
 *   - per node, sum over sizes of (allocated + reserved) * unit ==
 *     that sum at start + the sizes of the soak's live files bound to the
 *     node: a file accounts for exactly its size whatever it holds, a
 *     punched unit going back to its reservation;
 *   - per node, (free + zeroing + allocated) * unit summed + bad_pages *
 *     4K == nr_pages * 4K, and nr_pages == at start + what the soak grew
 *     minus what it shrank; total[4K] == nr_pages, total[2M] and total[1G]
 *     fit in it; zero <= free, split <= total, nr_splits and nr_merges
 *     never go down; with no bad pages, the reservations fit the free
 *     capacity (pool/resv.c's invariant);
 *   - GPOOL_IOC_INFO: nr_pages the sum of the nodes', node_mask as at
 *     start, nr_files (and sysfs nr_files) == files at start + live files;
 *   - the (allocated + reserved) bytes of all nodes added up from sysfs
 *     too, read again (up to 1000 times, 1 ms apart) while a read races
 *     with a fault.
 * LIST_FILES (the list step, and at every create and destroy): as many
 * entries as files at start + live files, in id order, every file that
 * existed at start and every live file of the soak present, each of ours
 * with its size, folio_shift, policy and pid, no bytes on other nodes, no
 * more on its node than its size, no unit larger than its folio_shift;
 * and for a file whose vCPUs have stopped, units * unit sizes == its
 * node_bytes.
 * At the end every VM is destroyed, what was grown is shrunk again
 * (retrying for 10 s), and the pool must be as at start: per node and
 * size the same allocated and reserved counts, the same nr_pages, the same
 * free + zeroing bytes (waiting up to 10 s), the same files, and sysfs
 * agreeing with the ioctl on every counter the zeroer does not move.
 *
 * Assumes nothing else creates or closes pool files, or resizes the pool,
 * while it runs (files open at start must stay open and idle).  Needs
 * /dev/gpool (mode 0600: root); skips without it or without a pool.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/falloc.h>
#include <linux/gpool.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "gpool_util.h"

#define DATA_SLOT	10
#define DATA_GPA	(4ULL << 30)	/* 1G-aligned */
#define NR_VCPUS	2
#define MAX_VMS		3
#define MAX_TOUCH	1024		/* touch list entries */
#define NR_EXTRA_TOUCH	64		/* random pages besides chunk starts */
#define MAX_SHARED	16		/* shared ranges per VM */
#define MAX_NODES	64

#define SOAK_4K		4096ULL
#define SOAK_2M		(2ULL << 20)
#define SOAK_1G		(1ULL << 30)
#define MAX_GROWN	(16ULL << 20)	/* GROW bytes outstanding, all nodes */
#define WAIT_SECONDS	60		/* for vCPU passes and joins */
/* WAIT_SECONDS times $GPOOL_TEST_SCALE (the debug kernel's is 3). */
static int wait_seconds = WAIT_SECONDS;

/*
 * Shared with the guest: each VM has its own copy (sync_global_to_guest()
 * at creation), which the host then reads and writes through its hva.
 * touch[] entries of 0 are skipped; pass[i] counts vCPU i's passes.
 */
struct guest_args {
	uint64_t sig;
	uint64_t stop;
	uint64_t nr_touch;
	uint64_t pass[NR_VCPUS];
	uint64_t touch[MAX_TOUCH];
};
static struct guest_args args;

static void guest_code(uint64_t id)
{
	volatile struct guest_args *a = &args;
	uint64_t k, n = a->nr_touch, passes = 0;

	while (!a->stop) {
		/* Exit now and then: see gpool_vcpu_thread(). */
		if (!(++passes % 64))
			GUEST_SYNC(passes);
		for (k = 0; k < n; k++) {
			/* vCPU 1 walks the other way round. */
			uint64_t gpa = a->touch[id ? n - 1 - k : k];
			volatile uint64_t *p = (volatile uint64_t *)gpa;
			uint64_t want = a->sig | gpa, v;

			if (!gpa)
				continue;
			v = *p;
			__GUEST_ASSERT(v == 0 || v == want,
				       "vCPU %lu: page %lx holds %lx, not 0 or %lx",
				       id, gpa, v, want);
			*p = want;
		}
		/* A locked add: every access of the pass is done before it. */
		__atomic_fetch_add(&a->pass[id], 1, __ATOMIC_SEQ_CST);
	}
	GUEST_DONE();
}

struct range {
	uint64_t off, len;	/* in the file (= GPA - DATA_GPA) */
};

struct soak_vm {
	bool live;
	unsigned int serial;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu[NR_VCPUS];
	pthread_t thread[NR_VCPUS];
	struct guest_args *g;	/* the guest's copy of args */
	int gmem_fd;
	int nid;
	unsigned int shift;
	uint64_t size, sig, id;
	void *map;		/* mmap of twice the size, for alignment */
	unsigned int nr_vis;
	uint64_t vis[MAX_TOUCH];	/* the master touch list */
	unsigned int nr_shared;
	struct range shared[MAX_SHARED];
	/* Memslot 0 (code, descriptor tables, page tables, stacks) */
	uint8_t *slot0;
	uint64_t slot0_len;
	uint8_t *snap;		/* as it was before the vCPUs first ran */
};

enum {
	OP_CREATE, OP_DESTROY, OP_TO_SHARED, OP_TO_PRIVATE, OP_PUNCH, OP_FILL,
	OP_GROW, OP_SHRINK, OP_LIST, NR_OPS
};
static const char * const op_names[NR_OPS] = {
	"create", "destroy", "to_shared", "to_private", "punch", "fill",
	"grow", "shrink", "list",
};
static unsigned int op_weights[NR_OPS] = {
	[OP_CREATE] = 6, [OP_DESTROY] = 3, [OP_TO_SHARED] = 15,
	[OP_TO_PRIVATE] = 12, [OP_PUNCH] = 20, [OP_FILL] = 8,
	[OP_GROW] = 4, [OP_SHRINK] = 4, [OP_LIST] = 5,
};

static uint64_t seed;
static uint64_t step;
static const char *cur_op = "setup";
static bool verbose;
static bool no_resize;		/* -R: never grow or shrink the pool */
static bool armed, finished;
static bool migrate_slot0;	/* -M */
static bool plain_gmem;		/* -P */
static uint64_t nr_migrated;

static int gpool_fd = -1;
static bool can_resize;
static uint64_t node_mask;
static int nodes[MAX_NODES], nr_nodes;

/* The pool at start. */
static struct gpool_node_stats_args start_stats[MAX_NODES];
static uint64_t start_held[MAX_NODES];	/* (allocated + reserved) bytes */
static uint64_t start_nr_files;
static uint64_t *start_ids;

/* What the soak changed. */
static struct soak_vm vms[MAX_VMS];
static unsigned int nr_live, next_serial;
static uint64_t grown[MAX_NODES];		/* GROW bytes not shrunk yet */
static uint64_t expect_pages[MAX_NODES];
static struct gpool_node_stats_args prev_stats[MAX_NODES];

static uint64_t nr_done[NR_OPS], nr_failed[NR_OPS];
static uint64_t nr_refill, nr_create_full, nr_handshakes, nr_no_range;

#define SOAK_ASSERT(cond, fmt, ...)						\
	TEST_ASSERT(cond, "step %lu (%s): " fmt "; replay with -s %lu -n %lu",	\
		    step, cur_op, ##__VA_ARGS__, seed, step)

/* Any failure (a TEST_ASSERT anywhere, a guest assert) exits: say how to replay. */
static void soak_atexit(void)
{
	if (!armed || finished)
		return;
	finished = true;
	fflush(stderr);
	printf("# gpool_soak: FAILED at step %lu (%s): replay with -s %lu -n %lu\n",
	       step, cur_op, seed, step);
	ksft_test_result_fail("soak\n");
	ksft_print_cnts();
	fflush(stdout);
}

/* splitmix64 seeds xorshift64*. */
static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	uint64_t z = s + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	rng_state = (z ^ (z >> 31)) ? : 1;
}

static uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Uniform enough in [0, n). */
static uint64_t rnd(uint64_t n)
{
	return n ? (rnd64() >> 11) % n : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the pool's counters ---- */

static void node_stats(int nid, struct gpool_node_stats_args *s)
{
	int ret = gpool_ctl_node_stats(gpool_fd, nid, s);

	SOAK_ASSERT(!ret, "GPOOL_IOC_NODE_STATS node %d: %s", nid, strerror(-ret));
}

static void pool_info(struct gpool_info_args *info)
{
	int ret = gpool_ctl_info(gpool_fd, info);

	SOAK_ASSERT(!ret, "GPOOL_IOC_INFO: %s", strerror(-ret));
}

/* Bytes promised or handed to files. */
static uint64_t held_bytes(const struct gpool_node_stats_args *s)
{
	struct gpool_bytes b;

	gpool_node_bytes(s, &b);
	return b.allocated + b.reserved;
}

/* Free capacity: units ready and units out with the zeroer. */
static uint64_t free_bytes(const struct gpool_node_stats_args *s)
{
	struct gpool_bytes b;

	gpool_node_bytes(s, &b);
	return b.free;
}

/*
 * Spare capacity per size, as pool/resv.c computes it: free capacity not
 * promised, a free larger unit counting for 512 smaller ones.
 */
static void headroom(const struct gpool_node_stats_args *s, int64_t *h)
{
	int l;

	for (l = GPOOL_NR_SIZES - 1; l >= 0; l--) {
		h[l] = (int64_t)(s->size[l].free + s->size[l].zeroing) -
		       (int64_t)s->size[l].reserved;
		if (l < GPOOL_NR_SIZES - 1 && h[l + 1] > 0)
			h[l] += h[l + 1] * 512;
	}
}

/* How many more units of size @sz the node could promise. */
static uint64_t resv_room(const struct gpool_node_stats_args *s, int sz)
{
	int64_t h[GPOOL_NR_SIZES], room;
	int l;

	headroom(s, h);
	room = h[sz];
	for (l = sz - 1; l >= 0; l--) {
		int64_t r = h[l] >> (9 * (sz - l));

		if (r < room)
			room = r;
	}
	return room > 0 ? room : 0;
}

static uint64_t live_bytes_on(int nid)
{
	uint64_t b = 0;
	int i;

	if (plain_gmem)
		return 0;
	for (i = 0; i < MAX_VMS; i++)
		if (vms[i].live && vms[i].nid == nid)
			b += vms[i].size;
	return b;
}

/* The soak's live files in the pool. */
static unsigned int nr_pool_files(void)
{
	return plain_gmem ? 0 : nr_live;
}

static void check_node(int nid, const struct gpool_node_stats_args *s)
{
	const struct gpool_node_stats_args *p = &prev_stats[nid];
	uint64_t mem = s->bad_pages * SOAK_4K;
	int64_t h[GPOOL_NR_SIZES];
	int l;

	SOAK_ASSERT(s->nr_pages == expect_pages[nid],
		    "node %d: nr_pages %llu, expected %lu", nid, s->nr_pages,
		    expect_pages[nid]);
	SOAK_ASSERT(s->size[GPOOL_SIZE_4K].total == s->nr_pages &&
		    s->size[GPOOL_SIZE_2M].total * 512 <= s->nr_pages &&
		    (s->size[GPOOL_SIZE_1G].total << 18) <= s->nr_pages,
		    "node %d: totals %llu/%llu/%llu of %llu pages", nid,
		    s->size[0].total, s->size[1].total, s->size[2].total, s->nr_pages);
	SOAK_ASSERT(s->bad_pages <= s->nr_pages, "node %d: %llu bad pages of %llu",
		    nid, s->bad_pages, s->nr_pages);
	SOAK_ASSERT(!s->size[GPOOL_SIZE_4K].split && !s->size[GPOOL_SIZE_4K].nr_splits,
		    "node %d: 4K units split", nid);
	for (l = 0; l < GPOOL_NR_SIZES; l++) {
		const struct gpool_size_stats *z = &s->size[l];

		SOAK_ASSERT(z->zero <= z->free && z->free + z->zeroing <= z->total &&
			    z->allocated <= z->total && z->split <= z->total,
			    "node %d %s: total %llu free %llu zero %llu zeroing %llu "
			    "allocated %llu split %llu", nid, gpool_size_name[l], z->total,
			    z->free, z->zero, z->zeroing, z->allocated, z->split);
		SOAK_ASSERT(z->nr_splits >= p->size[l].nr_splits &&
			    z->nr_merges >= p->size[l].nr_merges,
			    "node %d %s: nr_splits %llu -> %llu, nr_merges %llu -> %llu",
			    nid, gpool_size_name[l], p->size[l].nr_splits, z->nr_splits,
			    p->size[l].nr_merges, z->nr_merges);
		mem += (z->free + z->zeroing + z->allocated) * gpool_size_bytes[l];
	}
	SOAK_ASSERT(mem == s->nr_pages * SOAK_4K,
		    "node %d: free + zeroing + allocated + bad = %lu bytes, nr_pages %llu",
		    nid, mem, s->nr_pages);
	headroom(s, h);
	SOAK_ASSERT(s->bad_pages || (h[0] >= 0 && h[1] >= 0 && h[2] >= 0),
		    "node %d: reservations exceed free capacity (headroom %ld/%ld/%ld)",
		    nid, h[0], h[1], h[2]);
	SOAK_ASSERT(held_bytes(s) == start_held[nid] + live_bytes_on(nid),
		    "node %d: allocated + reserved = %lu bytes, expected %lu at start "
		    "+ %lu of live files (4K %llu+%llu, 2M %llu+%llu, 1G %llu+%llu)",
		    nid, held_bytes(s), start_held[nid], live_bytes_on(nid),
		    s->size[0].allocated, s->size[0].reserved, s->size[1].allocated,
		    s->size[1].reserved, s->size[2].allocated, s->size[2].reserved);
	prev_stats[nid] = *s;
}

static uint64_t sysfs_nr_files(void)
{
	return read_u64(GPOOL_SYSFS_DIR "/nr_files");
}

/*
 * The same sum from sysfs, over all nodes.  Files read one at a time race
 * with the vCPUs' faults (a unit moving from reserved to allocated, or
 * merging), so a mismatch is read again (for a second or two: the guest
 * faults only after a punch, or at its first pass) before it counts.
 */
static void check_sysfs_held(void)
{
	uint64_t want = 0, got = 0;
	int tries, i, l;

	for (i = 0; i < nr_nodes; i++)
		want += start_held[nodes[i]] + live_bytes_on(nodes[i]);
	for (tries = 0; tries < 1000; tries++) {
		got = 0;
		for (i = 0; i < nr_nodes; i++)
			for (l = 0; l < GPOOL_NR_SIZES; l++)
				got += (pool_stat(nodes[i], l, "allocated") +
					pool_stat(nodes[i], l, "reserved")) *
				       gpool_size_bytes[l];
		if (got == want)
			return;
		usleep(1000);
	}
	/* Say what NODE_STATS says now, too: is it sysfs or the pool? */
	for (i = 0; i < nr_nodes; i++) {
		struct gpool_node_stats_args st;

		node_stats(nodes[i], &st);
		ksft_print_msg("node %d now: NODE_STATS 4K %llu+%llu 2M %llu+%llu 1G %llu+%llu "
			       "(allocated+reserved), %lu bytes; expected %lu\n", nodes[i],
			       st.size[0].allocated, st.size[0].reserved,
			       st.size[1].allocated, st.size[1].reserved,
			       st.size[2].allocated, st.size[2].reserved, held_bytes(&st),
			       start_held[nodes[i]] + live_bytes_on(nodes[i]));
	}
	SOAK_ASSERT(got == want, "sysfs: allocated + reserved = %lu bytes, expected %lu",
		    got, want);
}

/* The accounting check, after every step. */
static void check_pool(void)
{
	struct gpool_node_stats_args s;
	struct gpool_info_args info;
	uint64_t pages = 0;
	int i;

	for (i = 0; i < nr_nodes; i++) {
		node_stats(nodes[i], &s);
		check_node(nodes[i], &s);
		pages += s.nr_pages;
	}
	pool_info(&info);
	SOAK_ASSERT(info.node_mask == node_mask, "node_mask %#llx, at start %#lx",
		    info.node_mask, node_mask);
	SOAK_ASSERT(info.nr_pages == pages, "INFO nr_pages %llu, nodes %lu",
		    info.nr_pages, pages);
	SOAK_ASSERT(info.nr_files == start_nr_files + nr_pool_files(),
		    "INFO nr_files %u, expected %lu + %u live", info.nr_files,
		    start_nr_files, nr_pool_files());
	SOAK_ASSERT(sysfs_nr_files() == start_nr_files + nr_pool_files(),
		    "sysfs nr_files %lu, expected %lu + %u live", sysfs_nr_files(),
		    start_nr_files, nr_pool_files());
	check_sysfs_held();
}

/* ---- GPOOL_IOC_LIST_FILES ---- */

/* Every pool file, in an array to free() (NULL if there are none). */
static struct gpool_file_info *list_files(uint64_t *nr)
{
	struct gpool_file_info *f;
	unsigned int n;
	int ret;

	ret = gpool_ctl_list_files(gpool_fd, &f, &n);
	SOAK_ASSERT(!ret, "GPOOL_IOC_LIST_FILES: %s", strerror(-ret));
	*nr = n;
	return f;
}

static const struct gpool_file_info *find_file(const struct gpool_file_info *f,
					       uint64_t nr, uint64_t id)
{
	uint64_t i;

	for (i = 0; i < nr; i++)
		if (f[i].id == id)
			return &f[i];
	return NULL;
}

/* One of the soak's files; @quiet: its vCPUs have stopped. */
static void check_file(const struct soak_vm *v, const struct gpool_file_info *e,
		       bool quiet)
{
	uint64_t units = 0;
	int l, n;

	SOAK_ASSERT(e->size == v->size && e->folio_shift == v->shift &&
		    e->numa_mode == GPOOL_NUMA_BIND && e->numa_nodes == 1ULL << v->nid &&
		    e->pid == (uint32_t)getpid() && !e->file_flags,
		    "vm%u: file %llu is size %llu shift %u mode %u nodes %#llx pid %u "
		    "flags %#x, not size %lu shift %u BIND %#llx pid %d",
		    v->serial, e->id, e->size, e->folio_shift, e->numa_mode,
		    e->numa_nodes, e->pid, e->file_flags, v->size, v->shift,
		    1ULL << v->nid, getpid());
	for (l = 0; l < GPOOL_NR_SIZES; l++) {
		SOAK_ASSERT(!e->units[l] || 12 + 9 * l <= v->shift,
			    "vm%u: file with folio_shift %u holds %llu %s units",
			    v->serial, v->shift, e->units[l], gpool_size_name[l]);
		units += e->units[l] * gpool_size_bytes[l];
	}
	for (n = 0; n < GPOOL_FILE_NR_NODES; n++)
		SOAK_ASSERT(n == v->nid ? e->node_bytes[n] <= v->size : !e->node_bytes[n],
			    "vm%u: file of %lu bytes bound to node %d holds %llu on node %d",
			    v->serial, v->size, v->nid, e->node_bytes[n], n);
	/* The counters are read without the file's lock: exact when quiet. */
	if (quiet)
		SOAK_ASSERT(units <= v->size &&
			    (v->nid >= GPOOL_FILE_NR_NODES || units == e->node_bytes[v->nid]),
			    "vm%u: file holds units of %lu bytes (%llu/%llu/%llu), node_bytes %llu",
			    v->serial, units, e->units[0], e->units[1], e->units[2],
			    v->nid < GPOOL_FILE_NR_NODES ? e->node_bytes[v->nid] : 0);
}

/*
 * The whole list: the files of start and the live ones of the soak, no
 * other; @quiet is the VM whose vCPUs have stopped, or NULL.
 */
static void check_files(const struct soak_vm *quiet)
{
	struct gpool_file_info *f;
	uint64_t nr, i;

	f = list_files(&nr);
	SOAK_ASSERT(nr == start_nr_files + nr_pool_files(),
		    "LIST_FILES: %lu files, expected %lu at start + %u live", nr,
		    start_nr_files, nr_pool_files());
	for (i = 0; i < nr; i++) {
		SOAK_ASSERT(!i || f[i].id > f[i - 1].id, "LIST_FILES: ids out of order");
		SOAK_ASSERT(!f[i].reserved[0] && !f[i].reserved[1] && !f[i].reserved[2] &&
			    !f[i].reserved[3], "LIST_FILES: file %llu: reserved not zero",
			    f[i].id);
	}
	for (i = 0; i < start_nr_files; i++)
		SOAK_ASSERT(find_file(f, nr, start_ids[i]),
			    "LIST_FILES: file %lu of start is gone", start_ids[i]);
	for (i = 0; i < MAX_VMS; i++) {
		const struct gpool_file_info *e;

		if (!vms[i].live || plain_gmem)
			continue;
		e = find_file(f, nr, vms[i].id);
		SOAK_ASSERT(e, "LIST_FILES: vm%u's file %lu is missing", vms[i].serial,
			    vms[i].id);
		check_file(&vms[i], e, quiet == &vms[i]);
	}
	free(f);
}

/* ---- VMs ---- */

static bool in_shared(const struct soak_vm *v, uint64_t off, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < v->nr_shared; i++)
		if (off < v->shared[i].off + v->shared[i].len &&
		    v->shared[i].off < off + len)
			return true;
	return false;
}

/* A counter of /proc/vmstat, or -1. */
static long long vmstat(const char *name)
{
	long long val = -1, v;
	char key[64];
	FILE *f = fopen("/proc/vmstat", "r");

	while (f && fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name)) {
			val = v;
			break;
		}
	if (f)
		fclose(f);
	return val;
}

/* Pages the host kernel migrated before the soak started. */
static long long start_migrated;

/* How many pages the host kernel migrated since the soak started. */
static void print_migrated(const char *tag)
{
	printf("# %s: the host kernel migrated %lld pages since the start (%lu by -M)\n",
	       tag, vmstat("pgmigrate_success") - start_migrated,
	       __atomic_load_n(&nr_migrated, __ATOMIC_RELAXED));
}

/*
 * A vCPU made no pass: say what it is doing, so that the report tells a
 * vCPU that exits in a loop (faults retried forever) from one that never
 * exits or sleeps in the kernel (gpool_report_stall()), and the passes
 * of its vCPUs over the same 2 s.
 */
static void report_stall(struct soak_vm *v)
{
	uint64_t pass0[NR_VCPUS];
	unsigned int i;
	char tag[16];

	for (i = 0; i < NR_VCPUS; i++)
		pass0[i] = __atomic_load_n(&v->g->pass[i], __ATOMIC_SEQ_CST);
	snprintf(tag, sizeof(tag), "vm%u", v->serial);
	gpool_report_stall(v->vm, tag);
	print_migrated("stall");
	/*
	 * Passes frozen while io_exits (a GUEST_SYNC every 64 passes) go up:
	 * the guest runs, but does not see the memory the host sees.
	 */
	for (i = 0; i < NR_VCPUS; i++)
		printf("# stall: vm%u vCPU %u passes %lu -> %lu, stop %lu\n", v->serial, i,
		       pass0[i], __atomic_load_n(&v->g->pass[i], __ATOMIC_SEQ_CST),
		       __atomic_load_n(&v->g->stop, __ATOMIC_SEQ_CST));
	fflush(stdout);
}

/* ---- -M: the host migrates the guests' ordinary memory ---- */

#define MIGRATE_BATCH	4096

/*
 * Move every page of each live VM's memslot 0 to the next node, round
 * after round.  The VM may be destroyed meanwhile: move_pages() of an
 * address no longer mapped only reports -EFAULT in its status.
 */
static void *migrator(void *arg)
{
	static void *pages[MIGRATE_BATCH];
	static int to[MIGRATE_BATCH], status[MIGRATE_BATCH];
	unsigned int round = 0, i, k;

	while (!__atomic_load_n(&finished, __ATOMIC_RELAXED)) {
		for (i = 0; i < MAX_VMS; i++) {
			uint8_t *base = __atomic_load_n(&vms[i].slot0, __ATOMIC_RELAXED);
			uint64_t n = __atomic_load_n(&vms[i].slot0_len, __ATOMIC_RELAXED) / SOAK_4K;

			if (!vms[i].live || !base)
				continue;
			n = min(n, (uint64_t)MIGRATE_BATCH);
			for (k = 0; k < n; k++) {
				pages[k] = base + k * SOAK_4K;
				to[k] = nodes[round % nr_nodes];
			}
			if (syscall(SYS_move_pages, 0, n, pages, to, status, 2 /* MPOL_MF_MOVE */) < 0)
				continue;
			for (k = 0; k < n; k++)
				if (status[k] >= 0)
					__atomic_fetch_add(&nr_migrated, 1, __ATOMIC_RELAXED);
		}
		round++;
		usleep(2000);
	}
	return NULL;
}

/* ---- a vCPU that exits other than through a ucall ---- */

/* Mark @gpa, a page table at @level, and the tables below it, in @is_pt. */
static void mark_pt(const struct soak_vm *v, uint64_t gpa, int level, uint8_t *is_pt)
{
	const uint64_t *e;
	int i;

	if (gpa + SOAK_4K > v->slot0_len || is_pt[gpa / SOAK_4K])
		return;
	is_pt[gpa / SOAK_4K] = level;
	if (level == 1)
		return;
	e = (const uint64_t *)(v->snap + gpa);
	for (i = 0; i < 512; i++)
		if ((e[i] & PTE_PRESENT_MASK) && !(e[i] & PTE_LARGE_MASK))
			mark_pt(v, PTE_GET_PA(e[i]), level - 1, is_pt);
}

/* What the page at @gpa of memslot 0 holds, as far as the soak knows. */
static const char *slot0_page_name(const struct soak_vm *v, uint64_t gpa,
				   const uint8_t *is_pt)
{
	struct kvm_vm *vm = v->vm;
	uint64_t args_gpa = addr_gva2gpa(vm, (vm_vaddr_t)&args) & ~(SOAK_4K - 1);
	uint64_t code_gpa = addr_gva2gpa(vm, (vm_vaddr_t)guest_code) & ~(SOAK_4K - 1);

	if (is_pt[gpa / SOAK_4K])
		return "page table";
	if (gpa == addr_gva2gpa(vm, vm->arch.idt))
		return "IDT";
	if (gpa == addr_gva2gpa(vm, vm->arch.gdt))
		return "GDT";
	if (gpa == addr_gva2gpa(vm, vm->arch.tss))
		return "TSS";
	if (gpa == addr_gva2gpa(vm, vm->handlers))
		return "handlers";
	if (gpa >= args_gpa && gpa < args_gpa + sizeof(args) + SOAK_4K)
		return "args (the host writes it)";
	if (gpa == code_gpa)
		return "guest_code";
	return "other";
}

/*
 * Compare memslot 0 with its snapshot from before the vCPUs ran, page by
 * page; page tables without their accessed and dirty bits.  A changed
 * descriptor table, page table or code page is memory corruption.
 */
static void diff_slot0(const struct soak_vm *v)
{
	uint64_t nr = v->slot0_len / SOAK_4K, pg, changed = 0;
	uint8_t *is_pt = calloc(nr, 1);

	TEST_ASSERT(is_pt, "calloc");
	mark_pt(v, v->vm->pgd, v->vm->pgtable_levels, is_pt);
	for (pg = 0; pg < nr; pg++) {
		const uint64_t *old = (const uint64_t *)(v->snap + pg * SOAK_4K);
		const uint64_t *cur = (const uint64_t *)(v->slot0 + pg * SOAK_4K);
		uint64_t mask = is_pt[pg] ? ~(uint64_t)(PTE_ACCESSED_MASK | PTE_DIRTY_MASK) : ~0ULL;
		unsigned int i, first = 512, nr_diff = 0;

		for (i = 0; i < 512; i++) {
			if (!((old[i] ^ cur[i]) & mask))
				continue;
			if (first == 512)
				first = i;
			nr_diff++;
		}
		if (!nr_diff)
			continue;
		if (changed++ < 48)
			printf("# exit: slot 0 gpa %#lx (%s): %u words changed, first +%#x: %#lx -> %#lx\n",
			       (uint64_t)(pg * SOAK_4K),
			       slot0_page_name(v, pg * SOAK_4K, is_pt), nr_diff,
			       first * 8, old[first], cur[first]);
	}
	printf("# exit: slot 0: %lu of %lu pages changed since the vCPUs started\n",
	       changed, nr);
	free(is_pt);
}

static void soak_bad_exit(struct kvm_vcpu *vcpu)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct kvm_run *run = vcpu->run;
	struct soak_vm *v = NULL;
	unsigned int i, k;

	for (i = 0; i < MAX_VMS; i++)
		if (vms[i].live && vms[i].vm == vcpu->vm)
			v = &vms[i];
	pthread_mutex_lock(&lock);
	printf("# exit: step %lu (%s): vCPU %u exited with %s (%u)\n", step, cur_op,
	       vcpu->id, exit_reason_str(run->exit_reason), run->exit_reason);
	print_migrated("exit");
	if (run->exit_reason == KVM_EXIT_MEMORY_FAULT)
		printf("# exit: memory fault gpa %#llx size %#llx flags %#llx\n",
		       run->memory_fault.gpa, run->memory_fault.size,
		       run->memory_fault.flags);
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		printf("# exit: internal error suberror %u, %u data words: %#llx %#llx %#llx %#llx\n",
		       run->internal.suberror, run->internal.ndata, run->internal.data[0],
		       run->internal.data[1], run->internal.data[2], run->internal.data[3]);
	if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		printf("# exit: hardware entry failure reason %#llx\n",
		       run->fail_entry.hardware_entry_failure_reason);
	if (!v) {
		printf("# exit: not a live VM of the soak\n");
		goto out;
	}
	printf("# exit: vm%u: %lu MiB, folio_shift %u, node %d; passes", v->serial,
	       v->size >> 20, v->shift, v->nid);
	for (i = 0; i < NR_VCPUS; i++)
		printf(" %lu", __atomic_load_n(&v->g->pass[i], __ATOMIC_SEQ_CST));
	printf("\n");
	for (i = 0; i < GPOOL_NR_KVM_STATS; i++)
		printf("# exit: vm%u %s %lld\n", v->serial, gpool_kvm_stat_names[i],
		       gpool_kvm_debugfs_stat(v->vm, gpool_kvm_stat_names[i]));
	if (v->g->sig != v->sig || v->g->nr_touch != v->nr_vis)
		printf("# exit: args changed: sig %#lx (was %#lx), nr_touch %lu (was %u)\n",
		       v->g->sig, v->sig, v->g->nr_touch, v->nr_vis);
	for (k = 0; k < v->nr_vis; k++)
		if (v->g->touch[k] && v->g->touch[k] != v->vis[k])
			printf("# exit: touch[%u] %#lx, not 0 or %#lx\n", k,
			       v->g->touch[k], v->vis[k]);
	diff_slot0(v);
out:
	fflush(stdout);
	pthread_mutex_unlock(&lock);
}

/*
 * Make the guest's touch list the master list minus the shared ranges.
 * If entries were taken out, wait until every vCPU has finished two more
 * passes: then none of them can still touch those pages.
 */
static void sync_touch(struct soak_vm *v)
{
	uint64_t p0[NR_VCPUS];
	bool hidden = false;
	unsigned int k, i;
	double end;

	for (k = 0; k < v->nr_vis; k++) {
		uint64_t want = in_shared(v, v->vis[k] - DATA_GPA, SOAK_4K) ? 0 : v->vis[k];
		uint64_t cur = __atomic_load_n(&v->g->touch[k], __ATOMIC_RELAXED);

		if (cur == want)
			continue;
		__atomic_store_n(&v->g->touch[k], want, __ATOMIC_SEQ_CST);
		hidden |= !want;
	}
	if (!hidden)
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < NR_VCPUS; i++)
		p0[i] = __atomic_load_n(&v->g->pass[i], __ATOMIC_SEQ_CST);
	end = now() + wait_seconds;
	for (i = 0; i < NR_VCPUS; i++) {
		while (__atomic_load_n(&v->g->pass[i], __ATOMIC_SEQ_CST) < p0[i] + 2) {
			if (now() >= end)
				report_stall(v);
			SOAK_ASSERT(now() < end, "vm%u vCPU %u: no pass in %d s",
				    v->serial, i, wait_seconds);
			usleep(100);
		}
	}
	nr_handshakes++;
}

/* The last file in the list is the one just created: the VM's. */
static void record_file_id(struct soak_vm *v)
{
	struct gpool_file_info *f;
	uint64_t nr, i;

	f = list_files(&nr);
	SOAK_ASSERT(nr, "LIST_FILES: no file after creating vm%u's", v->serial);
	v->id = f[nr - 1].id;
	for (i = 0; i < start_nr_files; i++)
		SOAK_ASSERT(start_ids[i] != v->id, "vm%u: its file is not the newest",
			    v->serial);
	for (i = 0; i < MAX_VMS; i++)
		SOAK_ASSERT(!vms[i].live || &vms[i] == v || vms[i].id != v->id,
			    "vm%u: its file is not the newest", v->serial);
	check_file(v, &f[nr - 1], false);
	free(f);
}

/* Can node @nid reserve a file of @size with @shift? */
static bool node_fits(const struct gpool_node_stats_args *s, uint64_t size,
		      unsigned int shift)
{
	int64_t h[GPOOL_NR_SIZES];
	int sz = (shift - 12) / 9;

	headroom(s, h);
	/* 1 GiB only on a node with a free, unreserved 1G unit. */
	if (size == SOAK_1G && h[GPOOL_SIZE_1G] < 1)
		return false;
	return resv_room(s, sz) >= size / gpool_size_bytes[sz];
}

static bool any_free_1g(void)
{
	struct gpool_node_stats_args s;
	int64_t h[GPOOL_NR_SIZES];
	int i;

	for (i = 0; i < nr_nodes; i++) {
		node_stats(nodes[i], &s);
		headroom(&s, h);
		if (h[GPOOL_SIZE_1G] >= 1)
			return true;
	}
	return false;
}

static void op_create(void)
{
	static const uint64_t sizes[] = { SOAK_2M, 16ULL << 20, 64ULL << 20, SOAK_1G };
	static const unsigned int shifts_1g[] = { 12, 21, 30 };
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	struct gpool_create_guest_memfd cargs = { 0 };
	struct userspace_mem_region *region;
	struct gpool_node_stats_args s;
	int cand[MAX_NODES], nr_cand = 0, i, slot;
	uint64_t size, align, nr_chunks, k;
	struct soak_vm *v;
	unsigned int shift;

	for (slot = 0; vms[slot].live; slot++)
		;
	v = &vms[slot];
	/* Size and folio_shift first, then a node among those with room. */
	size = sizes[rnd(any_free_1g() ? 4 : 3)];
	if (size == SOAK_1G)
		shift = shifts_1g[rnd(3)];
	else
		shift = rnd(2) ? 21 : 12;
	for (i = 0; i < nr_nodes; i++) {
		node_stats(nodes[i], &s);
		if (node_fits(&s, size, shift))
			cand[nr_cand++] = nodes[i];
	}
	k = rnd(MAX_NODES);
	if (!nr_cand) {
		if (verbose)
			ksft_print_msg("step %lu: create: no node can reserve %lu MiB, shift %u\n",
				       step, size >> 20, shift);
		nr_create_full++;
		return;
	}

	memset(v, 0, sizeof(*v));
	v->serial = next_serial++;
	v->size = size;
	v->shift = shift;
	v->nid = cand[k % nr_cand];
	v->sig = (0x8000ULL | (v->serial & 0x7fff)) << 48;
	if (verbose)
		ksft_print_msg("step %lu: create vm%u: %lu MiB, folio_shift %u, node %d\n",
			       step, v->serial, size >> 20, shift, v->nid);

	cargs.size = size;
	if (!plain_gmem) {
		cargs.flags = GUEST_MEMFD_FLAG_GPOOL;
		cargs.folio_shift = shift;
		cargs.numa_mode = GPOOL_NUMA_BIND;
		cargs.numa_nodes = 1ULL << v->nid;
	}
	v->vm = __vm_create_with_vcpus(shape, NR_VCPUS, 0, guest_code, v->vcpu);
	v->gmem_fd = __vm_ioctl(v->vm, KVM_CREATE_GUEST_MEMFD, &cargs);
	if (v->gmem_fd < 0 && errno == ENOMEM) {
		/* A fault breaking a 1G unit may have taken the room. */
		ksft_print_msg("step %lu: create vm%u: ENOMEM (%lu MiB, shift %u, node %d)\n",
			       step, v->serial, size >> 20, shift, v->nid);
		kvm_vm_free(v->vm);
		nr_failed[OP_CREATE]++;
		return;
	}
	SOAK_ASSERT(v->gmem_fd >= 0, "KVM_CREATE_GUEST_MEMFD of %lu bytes, shift %u, node %d: %s",
		    size, shift, v->nid, strerror(errno));
	/* The shared view is aligned like the GPA, or KVM maps nothing huge. */
	align = size < SOAK_1G ? size : SOAK_1G;
	v->map = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(v->map != MAP_FAILED, "mmap");
	vm_set_user_memory_region2(v->vm, DATA_SLOT, KVM_MEM_GUEST_MEMFD, DATA_GPA, size,
				   (void *)align_up((uint64_t)v->map, align), v->gmem_fd, 0);
	vm_mem_set_private(v->vm, DATA_GPA, size);
	virt_map_level(v->vm, DATA_GPA, DATA_GPA, size,
		       size >= SOAK_1G ? PG_LEVEL_1G : PG_LEVEL_2M);

	/* The first page of every 2M chunk, and random others. */
	nr_chunks = size / SOAK_2M;
	for (k = 0; k < nr_chunks; k++)
		v->vis[v->nr_vis++] = DATA_GPA + k * SOAK_2M;
	for (k = 0; k < NR_EXTRA_TOUCH && v->nr_vis < MAX_TOUCH; k++) {
		uint64_t gpa = DATA_GPA + rnd(size / SOAK_4K) * SOAK_4K;
		unsigned int j;

		for (j = 0; j < v->nr_vis && v->vis[j] != gpa; j++)
			;
		if (j == v->nr_vis)
			v->vis[v->nr_vis++] = gpa;
	}
	memset(&args, 0, sizeof(args));
	args.sig = v->sig;
	args.nr_touch = v->nr_vis;
	memcpy(args.touch, v->vis, v->nr_vis * sizeof(v->vis[0]));
	sync_global_to_guest(v->vm, args);
	v->g = addr_gva2hva(v->vm, (vm_vaddr_t)&args);
	for (i = 0; i < NR_VCPUS; i++)
		vcpu_args_set(v->vcpu[i], 1, i);

	region = memslot2region(v->vm, 0);
	v->slot0 = region->host_mem;
	v->slot0_len = region->region.memory_size;
	v->snap = malloc(v->slot0_len);
	TEST_ASSERT(v->snap, "malloc");
	memcpy(v->snap, v->slot0, v->slot0_len);

	v->live = true;
	nr_live++;
	if (!plain_gmem)
		record_file_id(v);
	for (i = 0; i < NR_VCPUS; i++)
		SOAK_ASSERT(!pthread_create(&v->thread[i], NULL, gpool_vcpu_thread, v->vcpu[i]),
			    "pthread_create");
	nr_done[OP_CREATE]++;
}

static void join_vcpu(struct soak_vm *v, int i)
{
	struct timespec ts;
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_seconds;
	ret = pthread_timedjoin_np(v->thread[i], NULL, &ts);
	if (ret)
		report_stall(v);
	SOAK_ASSERT(!ret, "vm%u vCPU %d did not stop in %d s: %s", v->serial, i,
		    wait_seconds, strerror(ret));
}

static void destroy_vm(struct soak_vm *v)
{
	bool close_first = rnd(2);
	int i;

	if (verbose)
		ksft_print_msg("step %lu: destroy vm%u (%s first)\n", step, v->serial,
			       close_first ? "close" : "kvm_vm_free");
	__atomic_store_n(&v->g->stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < NR_VCPUS; i++)
		join_vcpu(v, i);
	/* Nothing touches the file now: its counters must add up. */
	check_files(v);
	if (close_first)
		close(v->gmem_fd);
	kvm_vm_free(v->vm);
	if (!close_first)
		close(v->gmem_fd);
	munmap(v->map, 2 * v->size);
	free(v->snap);
	v->live = false;
	nr_live--;
	check_files(NULL);
	nr_done[OP_DESTROY]++;
}

static struct soak_vm *pick_vm(void)
{
	uint64_t k = rnd(nr_live);
	int i;

	for (i = 0; i < MAX_VMS; i++)
		if (vms[i].live && !k--)
			return &vms[i];
	return NULL;
}

/*
 * A random 4K page (half the time one the guest touches) or 2M chunk of
 * @v's file, clear of its shared ranges; false if none was found.
 */
static bool pick_range(struct soak_vm *v, struct range *r)
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		if (rnd(2)) {
			r->len = SOAK_2M;
			r->off = rnd(v->size / SOAK_2M) * SOAK_2M;
		} else {
			r->len = SOAK_4K;
			if (rnd(2))
				r->off = v->vis[rnd(v->nr_vis)] - DATA_GPA;
			else
				r->off = rnd(v->size / SOAK_4K) * SOAK_4K;
		}
		if (!in_shared(v, r->off, r->len))
			return true;
	}
	return false;
}

/* Every page of the file is shared, or nearly: nothing to do this step. */
static void no_range(const struct soak_vm *v, int op)
{
	if (verbose)
		ksft_print_msg("step %lu: vm%u %s: no private range found\n", step,
			       v->serial, op_names[op]);
	nr_failed[op]++;
	nr_no_range++;
}

static void gmem_fallocate(struct soak_vm *v, const struct range *r, bool punch)
{
	int mode = FALLOC_FL_KEEP_SIZE | (punch ? FALLOC_FL_PUNCH_HOLE : 0);

	SOAK_ASSERT(!fallocate(v->gmem_fd, mode, r->off, r->len),
		    "vm%u: fallocate(%s) %#lx+%#lx: %s", v->serial,
		    punch ? "punch" : "allocate", r->off, r->len, strerror(errno));
}

static void op_to_shared(struct soak_vm *v)
{
	struct range r;

	if (!pick_range(v, &r)) {
		no_range(v, OP_TO_SHARED);
		return;
	}
	if (verbose)
		ksft_print_msg("step %lu: vm%u %#lx+%#lx to shared\n", step, v->serial,
			       r.off, r.len);
	v->shared[v->nr_shared++] = r;
	sync_touch(v);
	/* As QEMU does it: attributes, then punch the private memory. */
	vm_mem_set_shared(v->vm, DATA_GPA + r.off, r.len);
	gmem_fallocate(v, &r, true);
	nr_done[OP_TO_SHARED]++;
}

static void op_to_private(struct soak_vm *v)
{
	unsigned int k = rnd(v->nr_shared);
	struct range r = v->shared[k];
	bool fill = rnd(4);

	if (verbose)
		ksft_print_msg("step %lu: vm%u %#lx+%#lx to private%s\n", step, v->serial,
			       r.off, r.len, fill ? ", allocated" : "");
	vm_mem_set_private(v->vm, DATA_GPA + r.off, r.len);
	if (fill)
		gmem_fallocate(v, &r, false);
	v->shared[k] = v->shared[--v->nr_shared];
	/* Private again: the guest may touch it (a hole faults in). */
	sync_touch(v);
	nr_done[OP_TO_PRIVATE]++;
}

static void op_punch(struct soak_vm *v)
{
	struct range r;
	bool refill;

	if (!pick_range(v, &r)) {
		no_range(v, OP_PUNCH);
		return;
	}
	refill = rnd(2);
	if (verbose)
		ksft_print_msg("step %lu: vm%u punch %#lx+%#lx%s\n", step, v->serial,
			       r.off, r.len, refill ? ", refill" : "");
	gmem_fallocate(v, &r, true);
	/* The punched units went back to the file's reservation. */
	check_pool();
	if (refill) {
		gmem_fallocate(v, &r, false);
		nr_refill++;
	}
	nr_done[OP_PUNCH]++;
}

static void op_fill(struct soak_vm *v)
{
	struct range r;

	if (v->size <= (64ULL << 20) && !v->nr_shared && !rnd(8)) {
		r.off = 0;
		r.len = v->size;
	} else if (!pick_range(v, &r)) {
		no_range(v, OP_FILL);
		return;
	}
	if (verbose)
		ksft_print_msg("step %lu: vm%u fill %#lx+%#lx\n", step, v->serial,
			       r.off, r.len);
	gmem_fallocate(v, &r, false);
	nr_done[OP_FILL]++;
}

static uint64_t total_grown(void)
{
	uint64_t b = 0;
	int i;

	for (i = 0; i < nr_nodes; i++)
		b += grown[nodes[i]];
	return b;
}

/* GPOOL_IOC_GROW or _SHRINK of 2 MiB on @nid; false if the pool said no. */
static bool resize(int nid, bool grow)
{
	int ret;

	ret = gpool_ctl_resize(gpool_fd, grow, nid, SOAK_2M);
	if (verbose)
		ksft_print_msg("step %lu: %s 2 MiB on node %d: %s\n", step,
			       grow ? "grow" : "shrink", nid, ret ? strerror(-ret) : "done");
	if (ret == -EPERM && !total_grown()) {
		/* Not CAP_SYS_ADMIN: the soak runs on without resizing. */
		ksft_print_msg("GPOOL_IOC_%s: EPERM, no more GROW/SHRINK\n",
			       grow ? "GROW" : "SHRINK");
		can_resize = false;
		return false;
	}
	if (ret) {
		SOAK_ASSERT(ret == -ENOMEM || ret == -EBUSY || ret == -EINTR,
			    "GPOOL_IOC_%s 2 MiB on node %d: %s", grow ? "GROW" : "SHRINK",
			    nid, strerror(-ret));
		return false;
	}
	if (grow) {
		grown[nid] += SOAK_2M;
		expect_pages[nid] += SOAK_2M / SOAK_4K;
	} else {
		grown[nid] -= SOAK_2M;
		expect_pages[nid] -= SOAK_2M / SOAK_4K;
	}
	return true;
}

static void op_grow(void)
{
	int nid = nodes[rnd(nr_nodes)];

	if (resize(nid, true))
		nr_done[OP_GROW]++;
	else
		nr_failed[OP_GROW]++;
}

/* Shrink on a node the soak grew (a random one of them). */
static void op_shrink(void)
{
	int cand[MAX_NODES], nr_cand = 0, i;

	for (i = 0; i < nr_nodes; i++)
		if (grown[nodes[i]])
			cand[nr_cand++] = nodes[i];
	if (resize(cand[rnd(nr_cand)], false))
		nr_done[OP_SHRINK]++;
	else
		nr_failed[OP_SHRINK]++;
}

static bool any_shared(void)
{
	int i;

	for (i = 0; i < MAX_VMS; i++)
		if (vms[i].live && vms[i].nr_shared)
			return true;
	return false;
}

/* A VM with shared ranges, for to_private. */
static struct soak_vm *pick_shared_vm(void)
{
	struct soak_vm *v;

	do {
		v = pick_vm();
	} while (!v->nr_shared);
	return v;
}

static bool op_possible(int op)
{
	switch (op) {
	case OP_CREATE:
		return nr_live < MAX_VMS;
	case OP_DESTROY:
	case OP_PUNCH:
	case OP_FILL:
		return nr_live;
	case OP_TO_SHARED:
		return nr_live;
	case OP_TO_PRIVATE:
		return any_shared();
	case OP_GROW:
		return can_resize && total_grown() < MAX_GROWN;
	case OP_SHRINK:
		return can_resize && total_grown();
	default:
		return true;
	}
}

static int pick_op(void)
{
	unsigned int sum = 0, w[NR_OPS];
	uint64_t k;
	int op;

	for (op = 0; op < NR_OPS; op++) {
		w[op] = op_possible(op) ? op_weights[op] : 0;
		/* With no VM, make one more likely. */
		if (op == OP_CREATE && !nr_live)
			w[op] *= 4;
		sum += w[op];
	}
	k = rnd(sum);
	for (op = 0; op < NR_OPS; op++) {
		if (k < w[op])
			return op;
		k -= w[op];
	}
	return OP_LIST;
}

static void run_step(int op)
{
	struct soak_vm *v;

	cur_op = op_names[op];
	switch (op) {
	case OP_CREATE:
		op_create();
		break;
	case OP_DESTROY:
		destroy_vm(pick_vm());
		break;
	case OP_TO_SHARED:
		v = pick_vm();
		if (v->nr_shared < MAX_SHARED)
			op_to_shared(v);
		else
			op_to_private(v);
		break;
	case OP_TO_PRIVATE:
		op_to_private(pick_shared_vm());
		break;
	case OP_PUNCH:
		op_punch(pick_vm());
		break;
	case OP_FILL:
		op_fill(pick_vm());
		break;
	case OP_GROW:
		op_grow();
		break;
	case OP_SHRINK:
		op_shrink();
		break;
	case OP_LIST:
		if (verbose)
			ksft_print_msg("step %lu: list\n", step);
		check_files(NULL);
		nr_done[OP_LIST]++;
		break;
	}
	check_pool();
}

/* ---- start and end ---- */

static void setup(void)
{
	struct gpool_info_args info;
	struct gpool_file_info *f;
	uint64_t i;
	int nid;

	gpool_fd = gpool_ctl_open(GPOOL_CTL_DEV, true);
	TEST_ASSERT(gpool_fd >= 0, "no " GPOOL_CTL_DEV ": this boot should have a pool");
	pool_info(&info);
	node_mask = info.node_mask;
	can_resize = !no_resize && (info.pool_flags & GPOOL_INFO_F_CAN_RESIZE);
	for (nid = 0; nid < MAX_NODES; nid++) {
		if (!(node_mask & (1ULL << nid)))
			continue;
		nodes[nr_nodes++] = nid;
		node_stats(nid, &start_stats[nid]);
		prev_stats[nid] = start_stats[nid];
		start_held[nid] = held_bytes(&start_stats[nid]);
		expect_pages[nid] = start_stats[nid].nr_pages;
	}
	TEST_ASSERT(nr_nodes, "the pool has no node");
	f = list_files(&start_nr_files);
	start_ids = calloc(start_nr_files + 1, sizeof(*start_ids));
	TEST_ASSERT(start_ids, "calloc");
	for (i = 0; i < start_nr_files; i++)
		start_ids[i] = f[i].id;
	free(f);
	ksft_print_msg("pool: %d node(s) (mask %#lx), %llu MiB, flags %#llx%s, %lu file(s) open\n",
		       nr_nodes, node_mask, info.nr_pages >> 8, info.pool_flags,
		       can_resize ? "" : " (no GROW/SHRINK)", start_nr_files);
}

/* Sysfs agrees with the ioctl on what the zeroer does not change. */
static void check_sysfs(int nid, const struct gpool_node_stats_args *s)
{
	static const char * const names[] = { "total", "allocated", "reserved" };
	uint64_t pages = pool_stat(nid, -1, "nr_pages");
	int l, k;

	SOAK_ASSERT(pages == s->nr_pages, "node%d/nr_pages: sysfs %lu, ioctl %llu",
		    nid, pages, s->nr_pages);
	for (l = 0; l < GPOOL_NR_SIZES; l++) {
		const struct gpool_size_stats *z = &s->size[l];
		const uint64_t want[] = { z->total, z->allocated, z->reserved };

		for (k = 0; k < 3; k++) {
			uint64_t got = pool_stat(nid, l, names[k]);

			SOAK_ASSERT(got == want[k], "node%d/%s/%s: sysfs %lu, ioctl %lu",
				    nid, gpool_size_name[l], names[k], got, want[k]);
		}
	}
}

static void teardown(void)
{
	struct gpool_node_stats_args s;
	double end;
	bool same;
	int i, l;

	cur_op = "teardown";
	for (i = 0; i < MAX_VMS; i++) {
		if (vms[i].live) {
			destroy_vm(&vms[i]);
			check_pool();
		}
	}
	/* Give back what was grown; a piece may be out with the zeroer. */
	end = now() + 10;
	while (total_grown()) {
		for (i = 0; i < nr_nodes; i++)
			if (grown[nodes[i]])
				resize(nodes[i], false);
		check_pool();
		if (!total_grown())
			break;
		SOAK_ASSERT(now() < end, "could not shrink %lu grown bytes in 10 s",
			    total_grown());
		usleep(100 * 1000);
	}
	check_files(NULL);

	/* The pool as at start. */
	end = now() + 10;
	do {
		same = true;
		for (i = 0; i < nr_nodes; i++) {
			node_stats(nodes[i], &s);
			same &= free_bytes(&s) == free_bytes(&start_stats[nodes[i]]);
		}
		if (!same)
			usleep(100 * 1000);
	} while (!same && now() < end);
	for (i = 0; i < nr_nodes; i++) {
		const struct gpool_node_stats_args *a = &start_stats[nodes[i]];
		int nid = nodes[i];

		node_stats(nid, &s);
		check_node(nid, &s);
		SOAK_ASSERT(s.nr_pages == a->nr_pages, "node %d: nr_pages %llu, at start %llu",
			    nid, s.nr_pages, a->nr_pages);
		for (l = 0; l < GPOOL_NR_SIZES; l++)
			SOAK_ASSERT(s.size[l].allocated == a->size[l].allocated &&
				    s.size[l].reserved == a->size[l].reserved,
				    "node %d %s: allocated %llu reserved %llu, at start %llu %llu",
				    nid, gpool_size_name[l], s.size[l].allocated, s.size[l].reserved,
				    a->size[l].allocated, a->size[l].reserved);
		SOAK_ASSERT(free_bytes(&s) == free_bytes(a),
			    "node %d: free + zeroing %lu bytes, at start %lu", nid,
			    free_bytes(&s), free_bytes(a));
		check_sysfs(nid, &s);
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-s seed] [-t seconds] [-n steps] [-v] [-R] [-M] [-P] [-w op=n,...]\n",
		argv0);
	exit(KSFT_FAIL);
}

/* -w create=6,punch=0: the weights of some steps. */
static bool parse_weights(char *list)
{
	char *item, *save = NULL;
	int op;

	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq)
			return false;
		*eq = 0;
		for (op = 0; op < NR_OPS && strcmp(op_names[op], item); op++)
			;
		if (op == NR_OPS)
			return false;
		op_weights[op] = strtoul(eq + 1, NULL, 0);
	}
	return true;
}

int main(int argc, char *argv[])
{
	uint64_t max_steps = 0;
	struct timespec ts;
	bool have_seed = false;
	int opt, seconds = -1, op;
	double t0, end;

	if (getenv("GPOOL_TEST_SCALE"))
		wait_seconds *= max(atoi(getenv("GPOOL_TEST_SCALE")), 1);
	while ((opt = getopt(argc, argv, "s:t:n:vRMPw:")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			have_seed = true;
			break;
		case 't':
			seconds = atoi(optarg);
			break;
		case 'n':
			max_steps = strtoull(optarg, NULL, 0);
			break;
		case 'v':
			verbose = true;
			break;
		case 'R':
			no_resize = true;
			break;
		case 'M':
			migrate_slot0 = true;
			break;
		case 'P':
			plain_gmem = true;
			break;
		case 'w':
			if (!parse_weights(optarg))
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
	if (seconds < 0)
		seconds = max_steps ? 0 : 30;
	if (!have_seed) {
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec) ^
		       ((uint64_t)getpid() << 32);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("gpool_soak: seed %lu\n", seed);
	gpool_bad_exit_hook = soak_bad_exit;
	if (gpool_trace_start())
		printf("gpool_soak: KVM events traced, for a bad exit\n");
	rng_seed(seed);

	ksft_print_header();
	TEST_ASSERT(kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(KVM_X86_SW_PROTECTED_VM), "no KVM_X86_SW_PROTECTED_VM");
	TEST_ASSERT(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_GPOOL, "no GUEST_MEMFD_FLAG_GPOOL");
	setup();
	ksft_set_plan(1);
	atexit(soak_atexit);
	armed = true;
	check_pool();
	start_migrated = vmstat("pgmigrate_success");
	if (migrate_slot0) {
		pthread_t t;

		TEST_ASSERT(!pthread_create(&t, NULL, migrator, NULL), "pthread_create");
		pthread_detach(t);
	}

	t0 = now();
	end = seconds ? t0 + seconds : 0;
	for (step = 1; (!max_steps || step <= max_steps) && (!end || now() < end); step++) {
		op = pick_op();
		run_step(op);
	}
	step--;
	ksft_print_msg("%lu steps in %.1f s\n", step, now() - t0);
	ksft_print_msg("the host kernel migrated %lld pages (%lu of memslot 0 by -M)\n",
		       vmstat("pgmigrate_success") - start_migrated, nr_migrated);
	teardown();

	ksft_print_msg("seed %lu: create %lu (no room %lu, ENOMEM %lu), destroy %lu, "
		       "to_shared %lu, to_private %lu, punch %lu (refilled %lu), fill %lu, "
		       "grow %lu (failed %lu), shrink %lu (failed %lu), list %lu, "
		       "no private range %lu, handshakes %lu\n",
		       seed, nr_done[OP_CREATE], nr_create_full, nr_failed[OP_CREATE],
		       nr_done[OP_DESTROY], nr_done[OP_TO_SHARED], nr_done[OP_TO_PRIVATE],
		       nr_done[OP_PUNCH], nr_refill, nr_done[OP_FILL], nr_done[OP_GROW],
		       nr_failed[OP_GROW], nr_done[OP_SHRINK], nr_failed[OP_SHRINK],
		       nr_done[OP_LIST], nr_no_range, nr_handshakes);
	finished = true;
	ksft_test_result(true, "soak\n");
	ksft_finished();
}
