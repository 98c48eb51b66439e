// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_plane_test: the control plane and the data plane at once (issue
 * #8, item 4: punch vs close vs LIST_FILES vs GROW/SHRINK vs
 * SET_DEFAULT_BACKING vs file creation, from several threads).
 *
 * Seven threads run for a bounded time (GPOOL_PLANE_SECONDS, default 20)
 * and a bounded number of iterations, each doing one kind of operation:
 *
 *   files    2M- and 4K-folio files of 4 MiB bound to the second node:
 *            create, populate, punch random 4K pages, refill, close;
 *   1g       1 GiB files with 1G folios bound to the first node, whenever
 *            NODE_STATS shows a free 1G unit nobody reserved (ENOMEM is
 *            counted, not an error);
 *   list     GPOOL_IOC_LIST_FILES with a buffer grown on E2BIG (and
 *            sometimes shrunk to force E2BIG), every entry checked;
 *   resize   GROW of 2 MiB on the second node, then SHRINK of 2 MiB
 *            (ENOMEM and EBUSY counted); in a pool without
 *            GPOOL_INFO_F_CAN_RESIZE it only checks that both are
 *            EOPNOTSUPP;
 *   toggle   SET_DEFAULT_BACKING on and off, checked against INFO and
 *            sysfs;
 *   plain    guest_memfds created without the flag: LIST_FILES shows them
 *            exactly when default backing was on at creation, and they
 *            work either way;
 *   stats    INFO and NODE_STATS, checking the relations between the
 *            counters of a node (taken at one instant) and of the pool.
 *
 * Every call's error must be one docs/uapi.rst gives for it; anything else
 * fails the test.  Threads never use the harness's macros (an ASSERT would
 * longjmp across threads): they record failures, and the main thread
 * reports them after the join.  At the end the default backing is what
 * sysfs said at the start, grown memory is shrunk back, and the teardown
 * compares the pool with the start.
 *
 * Needs a guest booted with a pool (a missing pool is a failure) and
 * CAP_SYS_ADMIN.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <linux/gpool.h>

#include "kselftest_harness.h"
#include "gpool_test.h"

#ifndef GPOOL_DEV
#define GPOOL_DEV	"/dev/gpool"
#endif

#define PL_DEFAULT_SECONDS	20
#define PL_MAX_SECONDS		240	/* the harness timeout is 300 s */
#define PL_MAX_ITERS		1000000UL
#define PL_FILE_SIZE		(2 * SZ_2M)
#define PL_PLAIN_SIZE		SZ_2M
#define PL_PLAIN_COMM		"gpool_plain"
#define PL_MAX_GROWN		4	/* 2 MiB pieces grown and not shrunk */
#define PL_NR_MSGS		8
#define PL_CANARY		0x5a
#define PL_WAIT_MS		5000

static const int keep = FALLOC_FL_KEEP_SIZE;
static const int punch = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;

/* What each thread counts; printed at the end. */
enum pl_count {
	C_FILES, C_FILES_ENOMEM, C_PUNCHES, C_FALLOC_ENOMEM,
	C_1G_TRIES, C_1G_FILES, C_1G_ENOMEM, C_1G_NO_UNIT,
	C_LISTS, C_LIST_E2BIG, C_LIST_ENTRIES, C_LIST_ENOMEM, C_LIST_TRANSIENT,
	C_GROWS, C_GROW_OK, C_GROW_ENOMEM, C_SHRINKS, C_SHRINK_OK, C_SHRINK_EBUSY,
	C_TOGGLES,
	C_PLAIN, C_PLAIN_POOL, C_PLAIN_CACHE, C_PLAIN_ENOMEM,
	C_STATS, C_STATS_SUMMED,
	NR_COUNTS
};

static const char * const pl_count_names[NR_COUNTS] = {
	[C_FILES] = "files: files created, used and closed",
	[C_FILES_ENOMEM] = "files: creations that were ENOMEM",
	[C_PUNCHES] = "files+1g: punches",
	[C_FALLOC_ENOMEM] = "files+1g+plain: fallocate() ENOMEM or EINTR",
	[C_1G_TRIES] = "1g: iterations",
	[C_1G_FILES] = "1g: 1 GiB files created, used and closed",
	[C_1G_ENOMEM] = "1g: creations that were ENOMEM",
	[C_1G_NO_UNIT] = "1g: iterations without a free 1G unit",
	[C_LISTS] = "list: LIST_FILES calls",
	[C_LIST_E2BIG] = "list: of which E2BIG",
	[C_LIST_ENTRIES] = "list: entries checked",
	[C_LIST_ENOMEM] = "list: of which ENOMEM",
	[C_LIST_TRANSIENT] = "list: entries whose counts were right when read again",
	[C_GROWS] = "resize: GROW calls",
	[C_GROW_OK] = "resize: of which succeeded",
	[C_GROW_ENOMEM] = "resize: of which ENOMEM or EINTR",
	[C_SHRINKS] = "resize: SHRINK calls",
	[C_SHRINK_OK] = "resize: of which succeeded",
	[C_SHRINK_EBUSY] = "resize: of which EBUSY or EINTR",
	[C_TOGGLES] = "toggle: SET_DEFAULT_BACKING changes",
	[C_PLAIN] = "plain: files without the flag created and closed",
	[C_PLAIN_POOL] = "plain: of which pool-backed",
	[C_PLAIN_CACHE] = "plain: of which page-cache backed",
	[C_PLAIN_ENOMEM] = "plain: creations that were ENOMEM",
	[C_STATS] = "stats: INFO + NODE_STATS snapshots",
	[C_STATS_SUMMED] = "stats: of which with no resize in flight (sum checked)",
};

/* Everything the threads share. */
struct plane {
	int ctl;			/* /dev/gpool */
	int vm_fd;
	int nid_files;			/* node of the files and of resizing */
	int nid_1g;			/* node of the 1 GiB files */
	__u64 node_mask;
	__u64 pool_flags;		/* at the start */
	bool can_resize;
	unsigned long long deadline_ns;	/* CLOCK_MONOTONIC */
	int stop;
	unsigned long counts[NR_COUNTS];

	pthread_mutex_t lock;		/* msgs */
	int nr_fail;
	char msgs[PL_NR_MSGS][512];

	unsigned long resize_seq;	/* odd while GROW or SHRINK runs */
	long grown;			/* 2 MiB pieces grown, not shrunk */

	pthread_rwlock_t backing_lock;	/* held across a toggle */
	int backing;			/* what default backing is now */
};

static unsigned long long pl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void pl_count(struct plane *p, enum pl_count c)
{
	__atomic_add_fetch(&p->counts[c], 1, __ATOMIC_RELAXED);
}

static bool pl_running(struct plane *p, unsigned long iter)
{
	return !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE) &&
	       iter < PL_MAX_ITERS && pl_now_ns() < p->deadline_ns;
}

/* Record a failure (the first few messages are kept) and stop everyone. */
static void __attribute__((format(printf, 2, 3)))
pl_fail(struct plane *p, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&p->lock);
	if (p->nr_fail < PL_NR_MSGS) {
		va_start(ap, fmt);
		vsnprintf(p->msgs[p->nr_fail], sizeof(p->msgs[0]), fmt, ap);
		va_end(ap);
	}
	p->nr_fail++;
	pthread_mutex_unlock(&p->lock);
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
}

/* @err (0 or -errno) is 0 or one of @ok; else record a failure. */
static bool __pl_ok(struct plane *p, const char *what, int err,
		    const int *ok, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (err == ok[i])
			return true;
	pl_fail(p, "%s: %s (errno %d), not an error docs/uapi.rst gives for it",
		what, strerror(-err), -err);
	return false;
}

#define pl_ok(p, what, err, ...)					\
	__pl_ok(p, what, err, (const int[]){ 0, ##__VA_ARGS__ },	\
		(int)(sizeof((const int[]){ 0, ##__VA_ARGS__ }) / sizeof(int)))

static unsigned int pl_rand(unsigned int *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 8) & 0xffffff;
}

static int pl_falloc(int fd, int mode, __u64 off, __u64 len)
{
	return fallocate(fd, mode, off, len) ? -errno : 0;
}

/* fallocate(), checked: false if the thread must stop. */
static bool pl_falloc_ok(struct plane *p, const char *what, int fd, int mode,
			 __u64 off, __u64 len)
{
	int ret = pl_falloc(fd, mode, off, len);

	if (ret == -ENOMEM || ret == -EINTR)
		pl_count(p, C_FALLOC_ENOMEM);
	return pl_ok(p, what, ret, -ENOMEM, -EINTR);
}

static int pl_node_stats(int ctl, int nid, struct gpool_node_stats_args *s)
{
	memset(s, 0, sizeof(*s));
	s->node = nid;
	return gp_ioctl(ctl, GPOOL_IOC_NODE_STATS, s);
}

static int pl_resize(int ctl, unsigned long cmd, int nid, __u64 bytes)
{
	struct gpool_resize_args r = { .node = nid, .bytes = bytes };

	return gp_ioctl(ctl, cmd, &r);
}

static int pl_set_backing(int ctl, __u64 enable)
{
	struct gpool_default_backing_args a = { .enable = enable };

	return gp_ioctl(ctl, GPOOL_IOC_SET_DEFAULT_BACKING, &a);
}

static int pl_sysfs_backing(void)
{
	unsigned long long v;

	return read_ull(GPOOL_SYSFS "/default_backing", &v) ? -1 : (int)v;
}

static bool pl_all_zero(const void *buf, size_t len)
{
	const unsigned char *c = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

static bool pl_is_canary(const void *buf, size_t len)
{
	const unsigned char *c = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != PL_CANARY)
			return false;
	return true;
}

/* A pool file of @size on @nid with folios up to 1 << @shift; fd/-errno. */
static int pl_create(struct plane *p, unsigned long long size,
		     unsigned int shift, int nid)
{
	struct gpool_create_guest_memfd args = {
		.size = size, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = shift, .numa_mode = GPOOL_NUMA_BIND,
		.numa_nodes = 1ULL << nid,
	};

	return create_gmem(p->vm_fd, &args);
}

/* Punch @n random 4K pages of a file of @size, then refill them. */
static bool pl_punch_refill(struct plane *p, unsigned int *seed, int fd,
			    unsigned long long size, int n)
{
	__u64 off;
	int k;

	for (k = 0; k < n; k++) {
		off = (pl_rand(seed) % (size / SZ_4K)) * SZ_4K;
		if (!pl_falloc_ok(p, "punch 4K", fd, punch, off, SZ_4K))
			return false;
		pl_count(p, C_PUNCHES);
		if (k % 2 && !pl_falloc_ok(p, "refill 4K", fd, keep, off, SZ_4K))
			return false;
	}
	/* One random 2M window out and back, then the whole file again. */
	off = (pl_rand(seed) % (size / SZ_2M)) * SZ_2M;
	if (!pl_falloc_ok(p, "punch 2M", fd, punch, off, SZ_2M))
		return false;
	pl_count(p, C_PUNCHES);
	return pl_falloc_ok(p, "refill", fd, keep, 0, size);
}

/* (a) 2M- and 4K-folio files on the files node. */
static void *pl_files(void *arg)
{
	struct plane *p = arg;
	unsigned int seed = 1;
	unsigned long i;
	int fd;
	bool ok;

	for (i = 0; pl_running(p, i); i++) {
		fd = pl_create(p, PL_FILE_SIZE, i % 2 ? GPOOL_FOLIO_SHIFT_4K :
					GPOOL_FOLIO_SHIFT_2M, p->nid_files);
		if (fd == -ENOMEM) {
			pl_count(p, C_FILES_ENOMEM);
			continue;
		}
		if (fd < 0) {
			pl_ok(p, "files: KVM_CREATE_GUEST_MEMFD", fd, -ENOMEM);
			break;
		}
		ok = pl_falloc_ok(p, "files: populate", fd, keep, 0, PL_FILE_SIZE) &&
		     pl_punch_refill(p, &seed, fd, PL_FILE_SIZE, 16);
		close(fd);
		if (!ok)
			break;
		pl_count(p, C_FILES);
	}
	return NULL;
}

/* (b) 1 GiB files of 1G folios on the 1g node, when a 1G unit is free. */
static void *pl_1g(void *arg)
{
	struct plane *p = arg;
	struct gpool_node_stats_args s;
	const struct gpool_size_stats *g = &s.size[GPOOL_SIZE_1G];
	unsigned int seed = 2;
	unsigned long i;
	int fd, ret;
	bool ok;

	for (i = 0; pl_running(p, i); i++) {
		pl_count(p, C_1G_TRIES);
		ret = pl_node_stats(p->ctl, p->nid_1g, &s);
		if (!pl_ok(p, "1g: NODE_STATS", ret))
			break;
		if (g->free + g->zeroing <= g->reserved) {
			pl_count(p, C_1G_NO_UNIT);
			usleep(20 * 1000);
			continue;
		}
		fd = pl_create(p, SZ_1G, GPOOL_FOLIO_SHIFT_1G, p->nid_1g);
		if (fd == -ENOMEM) {
			pl_count(p, C_1G_ENOMEM);
			usleep(5 * 1000);
			continue;
		}
		if (fd < 0) {
			pl_ok(p, "1g: KVM_CREATE_GUEST_MEMFD", fd, -ENOMEM);
			break;
		}
		ok = pl_falloc_ok(p, "1g: populate", fd, keep, 0, SZ_1G) &&
		     pl_punch_refill(p, &seed, fd, SZ_1G, 4);
		close(fd);
		if (!ok)
			break;
		pl_count(p, C_1G_FILES);
	}
	return NULL;
}

/* The whole list, grown on E2BIG; the caller frees *@out; -errno. */
static int pl_list_all(int ctl, struct gpool_file_info **out, __u64 *nr)
{
	struct gpool_file_info *buf = NULL, *nbuf;
	struct gpool_list_files_args a;
	__u64 room = 16;
	int ret = -E2BIG, tries;

	for (tries = 0; ret == -E2BIG && tries < 100; tries++) {
		nbuf = realloc(buf, room * sizeof(*buf));
		if (!nbuf) {
			ret = -ENOMEM;
			break;
		}
		buf = nbuf;
		memset(&a, 0, sizeof(a));
		a.nr_files = room;
		a.files = (uintptr_t)buf;
		ret = gp_ioctl(ctl, GPOOL_IOC_LIST_FILES, &a);
		room = a.nr_files + 8;
	}
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*nr = a.nr_files;
	return 0;
}

/*
 * The fields of a LIST_FILES entry that never change, and the order of
 * the entries; false (and a failure recorded) if one is wrong.
 */
static bool pl_check_static(struct plane *p, const struct gpool_file_info *f,
			    const struct gpool_file_info *prev)
{
	if (prev && prev->id >= f->id) {
		pl_fail(p, "list: id %llu after id %llu: not in creation order",
			(unsigned long long)f->id, (unsigned long long)prev->id);
		return false;
	}
	if (!f->size || f->size % SZ_4K ||
	    (f->folio_shift != GPOOL_FOLIO_SHIFT_4K &&
	     f->folio_shift != GPOOL_FOLIO_SHIFT_2M &&
	     f->folio_shift != GPOOL_FOLIO_SHIFT_1G) ||
	    f->numa_mode > GPOOL_NUMA_INTERLEAVE ||
	    (f->file_flags & ~(GPOOL_FILE_F_DEFAULT_BACKED | GPOOL_FILE_F_MMAP |
			       GPOOL_FILE_F_SHARED)) ||
	    !memchr(f->comm, '\0', sizeof(f->comm)) ||
	    !pl_all_zero(f->reserved, sizeof(f->reserved))) {
		pl_fail(p, "list: file %llu: size %llu folio_shift %u numa_mode %u flags %#x, or comm or reserved[] wrong",
			(unsigned long long)f->id, (unsigned long long)f->size,
			f->folio_shift, f->numa_mode, f->file_flags);
		return false;
	}
	if ((f->file_flags & GPOOL_FILE_F_DEFAULT_BACKED) &&
	    (f->folio_shift != GPOOL_FOLIO_SHIFT_1G ||
	     f->numa_mode != GPOOL_NUMA_DEFAULT || f->numa_nodes)) {
		pl_fail(p, "list: default-backed file %llu: folio_shift %u numa_mode %u nodes %#llx",
			(unsigned long long)f->id, f->folio_shift, f->numa_mode,
			(unsigned long long)f->numa_nodes);
		return false;
	}
	if ((f->units[GPOOL_SIZE_1G] && f->folio_shift < GPOOL_FOLIO_SHIFT_1G) ||
	    (f->units[GPOOL_SIZE_2M] && f->folio_shift < GPOOL_FOLIO_SHIFT_2M)) {
		pl_fail(p, "list: file %llu, folio_shift %u, holds units %llu/%llu/%llu (4K/2M/1G)",
			(unsigned long long)f->id, f->folio_shift,
			(unsigned long long)f->units[0],
			(unsigned long long)f->units[1],
			(unsigned long long)f->units[2]);
		return false;
	}
	return true;
}

/*
 * What a file holds: units that fit in its size, node_bytes that add up
 * to them (when every pool node is one GPOOL_FILE_NR_NODES covers), and
 * nothing on a node that is not in the pool or, for BIND, not in its
 * mask.  On a wrong entry, @why says what.
 */
static bool pl_counts_ok(const struct plane *p, const struct gpool_file_info *f,
			 char *why, size_t len)
{
	unsigned long long bytes = 0, on_nodes = 0;
	unsigned int sz, n;

	for (sz = 0; sz < GPOOL_NR_SIZES; sz++)
		bytes += f->units[sz] * size_bytes[sz];
	for (n = 0; n < GPOOL_FILE_NR_NODES; n++) {
		on_nodes += f->node_bytes[n];
		if (f->node_bytes[n] &&
		    (!(p->node_mask & (1ULL << n)) ||
		     (f->numa_mode == GPOOL_NUMA_BIND && !(f->numa_nodes & (1ULL << n))))) {
			snprintf(why, len, "file %llu (mode %u, nodes %#llx) holds %llu bytes on node %u",
				 (unsigned long long)f->id, f->numa_mode,
				 (unsigned long long)f->numa_nodes,
				 (unsigned long long)f->node_bytes[n], n);
			return false;
		}
	}
	if (bytes > f->size || on_nodes > bytes ||
	    (p->node_mask < (1ULL << GPOOL_FILE_NR_NODES) && on_nodes != bytes)) {
		snprintf(why, len, "file %llu of %llu bytes: units %llu/%llu/%llu (4K/2M/1G), %llu bytes, %llu bytes on nodes",
			 (unsigned long long)f->id, (unsigned long long)f->size,
			 (unsigned long long)f->units[0],
			 (unsigned long long)f->units[1],
			 (unsigned long long)f->units[2], bytes, on_nodes);
		return false;
	}
	return true;
}

/*
 * An entry whose counts do not add up.  They may have been read while the
 * file changed (a punch or a merge in another thread): list again, and
 * fail only if the file still shows the same wrong counts.  False if the
 * thread must stop.
 */
static bool pl_recheck(struct plane *p, const struct gpool_file_info *bad,
		       const char *why)
{
	struct gpool_file_info last = *bad, *buf, *f;
	char why2[256];
	__u64 nr, k;
	int tries, ret;

	for (tries = 0; tries < 3; tries++) {
		usleep(1000);
		ret = pl_list_all(p->ctl, &buf, &nr);
		if (ret == -ENOMEM)
			continue;
		if (!pl_ok(p, "list: LIST_FILES again", ret, -ENOMEM))
			return false;
		for (f = NULL, k = 0; k < nr; k++)
			if (buf[k].id == bad->id)
				f = &buf[k];
		if (!f || pl_counts_ok(p, f, why2, sizeof(why2))) {
			free(buf);
			pl_count(p, C_LIST_TRANSIENT);
			return true;	/* closed, or right now */
		}
		if (!memcmp(f->units, last.units, sizeof(last.units)) &&
		    !memcmp(f->node_bytes, last.node_bytes, sizeof(last.node_bytes))) {
			free(buf);
			pl_fail(p, "list: %s (and the same again 1 ms later)", why);
			return false;
		}
		last = *f;
		free(buf);
	}
	pl_count(p, C_LIST_TRANSIENT);
	return true;
}

/* (c) LIST_FILES with a buffer grown on E2BIG. */
static void *pl_list(void *arg)
{
	const size_t esz = sizeof(struct gpool_file_info);
	struct gpool_file_info *buf = NULL, *nbuf;
	struct gpool_list_files_args a;
	struct plane *p = arg;
	unsigned long i;
	__u64 room = 0, k;
	char why[256];
	int ret;

	for (i = 0; pl_running(p, i); i++) {
		if (buf)
			memset(buf, PL_CANARY, room * esz);
		memset(&a, 0, sizeof(a));
		a.nr_files = room;
		a.files = (uintptr_t)buf;
		ret = gp_ioctl(p->ctl, GPOOL_IOC_LIST_FILES, &a);
		pl_count(p, C_LISTS);
		if (ret == -E2BIG) {
			pl_count(p, C_LIST_E2BIG);
			if (a.nr_files <= room || (buf && !pl_is_canary(buf, room * esz))) {
				pl_fail(p, "list: E2BIG with room %llu, count %llu, or entries written",
					(unsigned long long)room,
					(unsigned long long)a.nr_files);
				break;
			}
			/* Exactly the count, or a little more: both race creations. */
			room = a.nr_files + (i % 2);
			nbuf = realloc(buf, room * esz);
			if (!nbuf) {
				pl_fail(p, "list: out of memory for %llu entries",
					(unsigned long long)room);
				break;
			}
			buf = nbuf;
			continue;
		}
		if (ret == -ENOMEM)
			pl_count(p, C_LIST_ENOMEM);
		if (!pl_ok(p, "list: LIST_FILES", ret, -ENOMEM))
			break;
		if (ret)
			continue;
		if (a.nr_files > room || !pl_all_zero(a.reserved, sizeof(a.reserved)) ||
		    (buf && !pl_is_canary(buf + a.nr_files, (room - a.nr_files) * esz))) {
			pl_fail(p, "list: %llu files in room for %llu, reserved[] set, or entries past the count written",
				(unsigned long long)a.nr_files, (unsigned long long)room);
			break;
		}
		for (k = 0; k < a.nr_files; k++) {
			if (!pl_check_static(p, &buf[k], k ? &buf[k - 1] : NULL))
				break;
			if (!pl_counts_ok(p, &buf[k], why, sizeof(why)) &&
			    !pl_recheck(p, &buf[k], why))
				break;
			pl_count(p, C_LIST_ENTRIES);
		}
		if (k < a.nr_files)
			break;
		/* Now and then one entry too few, to meet E2BIG again. */
		if (!(i % 8) && room)
			room = a.nr_files ? a.nr_files - 1 : 0;
		usleep(200);
	}
	free(buf);
	return NULL;
}

/* GROW or SHRINK of 2 MiB, marked in resize_seq for the stats thread. */
static int pl_resize_marked(struct plane *p, unsigned long cmd)
{
	int ret;

	__atomic_add_fetch(&p->resize_seq, 1, __ATOMIC_SEQ_CST);
	ret = pl_resize(p->ctl, cmd, p->nid_files, SZ_2M);
	__atomic_add_fetch(&p->resize_seq, 1, __ATOMIC_SEQ_CST);
	return ret;
}

/* One SHRINK of a piece we grew: false if the thread must stop. */
static bool pl_shrink_one(struct plane *p)
{
	int ret = pl_resize_marked(p, GPOOL_IOC_SHRINK);

	pl_count(p, C_SHRINKS);
	if (!ret) {
		pl_count(p, C_SHRINK_OK);
		__atomic_sub_fetch(&p->grown, 1, __ATOMIC_SEQ_CST);
	} else if (ret == -EBUSY || ret == -EINTR) {
		pl_count(p, C_SHRINK_EBUSY);
	}
	return pl_ok(p, "resize: SHRINK 2 MiB", ret, -EBUSY, -EINTR);
}

/* (d) GROW 2 MiB, then SHRINK 2 MiB, on the files node. */
static void *pl_resizer(void *arg)
{
	struct plane *p = arg;
	unsigned int seed = 4;
	unsigned long i;
	int ret;

	if (!p->can_resize) {
		ret = pl_resize(p->ctl, GPOOL_IOC_GROW, p->nid_files, SZ_2M);
		if (ret != -EOPNOTSUPP)
			pl_fail(p, "resize: GROW without CAN_RESIZE: %s, not EOPNOTSUPP",
				strerror(-ret));
		ret = pl_resize(p->ctl, GPOOL_IOC_SHRINK, p->nid_files, SZ_2M);
		if (ret != -EOPNOTSUPP)
			pl_fail(p, "resize: SHRINK without CAN_RESIZE: %s, not EOPNOTSUPP",
				strerror(-ret));
		return NULL;
	}
	for (i = 0; pl_running(p, i); i++) {
		if (__atomic_load_n(&p->grown, __ATOMIC_SEQ_CST) < PL_MAX_GROWN) {
			ret = pl_resize_marked(p, GPOOL_IOC_GROW);
			pl_count(p, C_GROWS);
			if (!ret) {
				pl_count(p, C_GROW_OK);
				__atomic_add_fetch(&p->grown, 1, __ATOMIC_SEQ_CST);
			} else if (ret == -ENOMEM || ret == -EINTR) {
				pl_count(p, C_GROW_ENOMEM);
			}
			if (!pl_ok(p, "resize: GROW 2 MiB", ret, -ENOMEM, -EINTR))
				break;
		}
		/* Let the files use the new piece for a moment. */
		usleep(pl_rand(&seed) % 20000);
		if (__atomic_load_n(&p->grown, __ATOMIC_SEQ_CST) > 0 && !pl_shrink_one(p))
			break;
		usleep(pl_rand(&seed) % 5000);
	}
	return NULL;
}

/* (e) SET_DEFAULT_BACKING on and off, every 50 to 150 ms. */
static void *pl_toggler(void *arg)
{
	struct gpool_info_args info;
	struct plane *p = arg;
	unsigned int seed = 5;
	unsigned long i;
	int want, ret, sys;

	for (i = 0; pl_running(p, i); i++) {
		usleep(50000 + pl_rand(&seed) % 100000);
		if (!pl_running(p, i))
			break;
		pthread_rwlock_wrlock(&p->backing_lock);
		want = !p->backing;
		ret = pl_set_backing(p->ctl, want);
		if (!ret)
			p->backing = want;
		memset(&info, 0, sizeof(info));
		if (!ret)
			ret = gp_ioctl(p->ctl, GPOOL_IOC_INFO, &info);
		sys = pl_sysfs_backing();
		pthread_rwlock_unlock(&p->backing_lock);
		if (!pl_ok(p, "toggle: SET_DEFAULT_BACKING or INFO", ret))
			break;
		if (!!(info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING) != want ||
		    sys != want) {
			pl_fail(p, "toggle: set %d, INFO pool_flags %#llx, sysfs %d",
				want, (unsigned long long)info.pool_flags, sys);
			break;
		}
		pl_count(p, C_TOGGLES);
	}
	return NULL;
}

/* This thread's pool files (by name): how many; *f the last; -errno. */
static int pl_my_plain_files(struct plane *p, struct gpool_file_info *f)
{
	struct gpool_file_info *buf;
	__u64 nr, k;
	int ret, n = 0;

	ret = pl_list_all(p->ctl, &buf, &nr);
	if (ret)
		return ret;
	for (k = 0; k < nr; k++) {
		if (buf[k].pid == (__u32)getpid() &&
		    !strncmp(buf[k].comm, PL_PLAIN_COMM, sizeof(buf[k].comm))) {
			*f = buf[k];
			n++;
		}
	}
	free(buf);
	return n;
}

/* (e) plain guest_memfds: pool-backed exactly when default backing is on. */
static void *pl_plain(void *arg)
{
	struct plane *p = arg;
	struct kvm_create_guest_memfd plain;
	struct gpool_file_info f;
	unsigned long long bytes;
	unsigned long i;
	int fd, expect, n, sz;
	bool ok, filled;

	prctl(PR_SET_NAME, PL_PLAIN_COMM);
	for (i = 0; pl_running(p, i); i++) {
		memset(&plain, 0, sizeof(plain));
		plain.size = PL_PLAIN_SIZE;
		pthread_rwlock_rdlock(&p->backing_lock);
		expect = p->backing;
		fd = create_gmem(p->vm_fd, (struct gpool_create_guest_memfd *)&plain);
		pthread_rwlock_unlock(&p->backing_lock);
		if (fd == -ENOMEM) {
			pl_count(p, C_PLAIN_ENOMEM);
			continue;
		}
		if (fd < 0) {
			pl_ok(p, "plain: KVM_CREATE_GUEST_MEMFD", fd, -ENOMEM);
			break;
		}
		filled = !pl_falloc(fd, keep, 0, PL_PLAIN_SIZE);
		memset(&f, 0, sizeof(f));
		/* Later toggles do not change a file's backing. */
		n = pl_my_plain_files(p, &f);
		ok = pl_ok(p, "plain: LIST_FILES", n < 0 ? n : 0, -ENOMEM);
		if (ok && n >= 0 && n != expect) {
			pl_fail(p, "plain: created with default backing %s, and LIST_FILES lists %d such files",
				expect ? "on" : "off", n);
			ok = false;
		}
		if (ok && n == 1) {
			for (bytes = 0, sz = 0; sz < GPOOL_NR_SIZES; sz++)
				bytes += f.units[sz] * size_bytes[sz];
			if (!(f.file_flags & GPOOL_FILE_F_DEFAULT_BACKED) ||
			    f.size != PL_PLAIN_SIZE ||
			    f.folio_shift != GPOOL_FOLIO_SHIFT_1G ||
			    f.numa_mode != GPOOL_NUMA_DEFAULT || f.numa_nodes ||
			    (filled && bytes != PL_PLAIN_SIZE)) {
				pl_fail(p, "plain: entry flags %#x size %llu folio_shift %u numa %u/%#llx, %llu bytes held (filled %d)",
					f.file_flags, (unsigned long long)f.size,
					f.folio_shift, f.numa_mode,
					(unsigned long long)f.numa_nodes, bytes, filled);
				ok = false;
			}
		}
		ok = ok && pl_falloc_ok(p, "plain: populate", fd, keep, 0, PL_PLAIN_SIZE) &&
		     pl_falloc_ok(p, "plain: punch", fd, punch, SZ_4K, SZ_4K) &&
		     pl_falloc_ok(p, "plain: refill", fd, keep, 0, PL_PLAIN_SIZE);
		close(fd);
		if (!ok)
			break;
		pl_count(p, C_PLAIN);
		pl_count(p, expect ? C_PLAIN_POOL : C_PLAIN_CACHE);
	}
	return NULL;
}

/*
 * The relations between one node's counters, all taken under its lock
 * (pool/check.c checks the same ones against a walk of the metadata):
 * zero units are free units; a 1G window is free, zeroing, allocated or
 * split; every 2M block is inside a whole 1G unit, or a 2M unit, or split;
 * every frame of a split block is a 4K unit or bad; and, with no bad
 * frame, the reservations fit the free capacity (docs/design/pool.md,
 * "the capacity invariant").
 */
static bool pl_check_node(struct plane *p, int nid,
			  const struct gpool_node_stats_args *s)
{
	const struct gpool_size_stats *g = &s->size[GPOOL_SIZE_1G];
	const struct gpool_size_stats *m = &s->size[GPOOL_SIZE_2M];
	const struct gpool_size_stats *k = &s->size[GPOOL_SIZE_4K];
	const __u64 f1 = g->free + g->zeroing, f2 = m->free + m->zeroing;
	const __u64 f4 = k->free + k->zeroing;
	long long cap2, cap4;
	int sz;

	for (sz = 0; sz < GPOOL_NR_SIZES; sz++) {
		if (s->size[sz].zero > s->size[sz].free ||
		    s->size[sz].split > s->size[sz].total ||
		    !pl_all_zero(s->size[sz].unused, sizeof(s->size[sz].unused))) {
			pl_fail(p, "stats: node %d %s: zero %llu > free %llu, split %llu > total %llu, or unused[] set",
				nid, sizes[sz], (unsigned long long)s->size[sz].zero,
				(unsigned long long)s->size[sz].free,
				(unsigned long long)s->size[sz].split,
				(unsigned long long)s->size[sz].total);
			return false;
		}
	}
	if (!pl_all_zero(s->reserved, sizeof(s->reserved)) ||
	    g->total != f1 + g->allocated + g->split ||
	    m->total != 512 * (f1 + g->allocated) + f2 + m->allocated + m->split ||
	    512 * m->split != f4 + k->allocated + s->bad_pages ||
	    s->nr_pages != k->total || s->nr_pages != 512 * m->total) {
		pl_fail(p, "stats: node %d: nr_pages %llu bad %llu; 1G total %llu free+zeroing %llu allocated %llu split %llu; 2M total %llu free+zeroing %llu allocated %llu split %llu; 4K total %llu free+zeroing %llu allocated %llu",
			nid, (unsigned long long)s->nr_pages,
			(unsigned long long)s->bad_pages,
			(unsigned long long)g->total, (unsigned long long)f1,
			(unsigned long long)g->allocated, (unsigned long long)g->split,
			(unsigned long long)m->total, (unsigned long long)f2,
			(unsigned long long)m->allocated, (unsigned long long)m->split,
			(unsigned long long)k->total, (unsigned long long)f4,
			(unsigned long long)k->allocated);
		return false;
	}
	if (s->bad_pages || s->poison_pending)
		return true;
	cap2 = (long long)f2 + 512 * ((long long)f1 - (long long)g->reserved);
	cap4 = (long long)f4 + 512 * (cap2 - (long long)m->reserved);
	if (g->reserved > f1 || (long long)m->reserved > cap2 ||
	    (long long)k->reserved > cap4) {
		pl_fail(p, "stats: node %d: reservations %llu/%llu/%llu (4K/2M/1G) exceed free capacity %llu/%llu/%llu",
			nid, (unsigned long long)k->reserved,
			(unsigned long long)m->reserved,
			(unsigned long long)g->reserved, (unsigned long long)f4,
			(unsigned long long)f2, (unsigned long long)f1);
		return false;
	}
	return true;
}

/* (f) INFO and NODE_STATS snapshots. */
static void *pl_stats(void *arg)
{
	const __u64 known = GPOOL_INFO_F_NOMAP | GPOOL_INFO_F_DEFAULT_BACKING |
			    GPOOL_INFO_F_CAN_RESIZE |
			    GPOOL_INFO_F_GMEM_ATTRIBUTES | GPOOL_INFO_F_ZEROING;
	const __u64 fixed = GPOOL_INFO_F_NOMAP | GPOOL_INFO_F_CAN_RESIZE |
			    GPOOL_INFO_F_GMEM_ATTRIBUTES;
	struct gpool_node_stats_args s;
	struct gpool_info_args info;
	struct plane *p = arg;
	unsigned long long sum;
	unsigned long i, seq0, seq1;
	int nid, absent = -1, ret;
	bool ok = true;

	for (nid = MAX_NODES - 1; nid >= 0 && absent < 0; nid--)
		if (!(p->node_mask & (1ULL << nid)))
			absent = nid;
	for (i = 0; ok && pl_running(p, i); i++) {
		seq0 = __atomic_load_n(&p->resize_seq, __ATOMIC_SEQ_CST);
		memset(&info, 0, sizeof(info));
		ret = gp_ioctl(p->ctl, GPOOL_IOC_INFO, &info);
		if (!pl_ok(p, "stats: INFO", ret))
			break;
		if (info.node_mask != p->node_mask ||
		    (info.pool_flags & fixed) != (p->pool_flags & fixed) ||
		    (info.pool_flags & ~known) ||
		    info.nr_boot_pages > info.nr_pages ||
		    info.nr_boot_pages % (SZ_2M / SZ_4K) ||
		    !info.metadata_bytes || !info.nr_ranges ||
		    !pl_all_zero(info.reserved, sizeof(info.reserved))) {
			pl_fail(p, "stats: INFO node_mask %#llx pool_flags %#llx nr_pages %llu nr_boot_pages %llu metadata %llu nr_ranges %u",
				(unsigned long long)info.node_mask,
				(unsigned long long)info.pool_flags,
				(unsigned long long)info.nr_pages,
				(unsigned long long)info.nr_boot_pages,
				(unsigned long long)info.metadata_bytes, info.nr_ranges);
			break;
		}
		sum = 0;
		for (nid = 0; ok && nid < MAX_NODES; nid++) {
			if (!(info.node_mask & (1ULL << nid)))
				continue;
			ret = pl_node_stats(p->ctl, nid, &s);
			ok = pl_ok(p, "stats: NODE_STATS", ret) &&
			     pl_check_node(p, nid, &s);
			sum += s.nr_pages;
		}
		if (!ok)
			break;
		if (absent >= 0) {
			ret = pl_node_stats(p->ctl, absent, &s);
			if (ret != -ENOENT) {
				pl_fail(p, "stats: NODE_STATS of node %d, not in the pool: %s, not ENOENT",
					absent, strerror(-ret));
				break;
			}
		}
		seq1 = __atomic_load_n(&p->resize_seq, __ATOMIC_SEQ_CST);
		if (seq0 == seq1 && !(seq0 & 1)) {
			pl_count(p, C_STATS_SUMMED);
			if (sum != info.nr_pages) {
				pl_fail(p, "stats: nodes hold %llu pages, INFO says %llu, no resize running",
					sum, (unsigned long long)info.nr_pages);
				break;
			}
		}
		pl_count(p, C_STATS);
		usleep(1000);
	}
	return NULL;
}

/* This thread's capabilities (raw capget(), no libcap). */
static bool pl_has_cap_sys_admin(void)
{
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return !syscall(SYS_capget, &hdr, data) &&
	       (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
		CAP_TO_MASK(CAP_SYS_ADMIN));
}

FIXTURE(plane) {
	int ctl;
	int kvm_fd;
	int vm_fd;
	int boot_backing;		/* sysfs default_backing at setup */
	struct plane p;
	struct gp_state start;
};

/* Shrink what the resizer grew and could not shrink; true when none. */
static bool pl_shrink_leftovers(struct plane *p, int ms)
{
	int waited, ret;

	for (waited = 0; p->grown > 0 && waited <= ms; ) {
		ret = pl_resize(p->ctl, GPOOL_IOC_SHRINK, p->nid_files, SZ_2M);
		if (!ret) {
			p->grown--;
			continue;
		}
		usleep(100 * 1000);
		waited += 100;
	}
	return p->grown <= 0;
}

FIXTURE_SETUP(plane)
{
	int ret;

	self->ctl = -1;
	self->kvm_fd = -1;
	self->vm_fd = -1;
	self->boot_backing = -1;
	ASSERT_EQ(0, access(GPOOL_SYSFS, F_OK))
		TH_LOG(GPOOL_SYSFS " is missing: this test runs only on boots with a pool");
	ASSERT_TRUE(pl_has_cap_sys_admin()) TH_LOG("needs CAP_SYS_ADMIN");
	self->ctl = open(GPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ctl) TH_LOG("open " GPOOL_DEV ": %s", strerror(errno));
	self->boot_backing = pl_sysfs_backing();
	ASSERT_LE(0, self->boot_backing) TH_LOG(GPOOL_SYSFS "/default_backing");
	self->vm_fd = create_vm(&self->kvm_fd);
	ASSERT_LE(0, self->vm_fd) TH_LOG("KVM_CREATE_VM: %s", strerror(-self->vm_fd));
	ret = gp_get_state(self->ctl, &self->start);
	ASSERT_EQ(0, ret) TH_LOG("INFO or NODE_STATS: %s", strerror(-ret));
	ASSERT_EQ(self->boot_backing,
		  !!(self->start.info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING));
}

FIXTURE_TEARDOWN(plane)
{
	static struct gp_state end;

	if (self->ctl < 0)
		return;
	EXPECT_TRUE(pl_shrink_leftovers(&self->p, 10000))
		TH_LOG("%ld grown 2 MiB pieces could not be shrunk", self->p.grown);
	if (self->boot_backing >= 0) {
		EXPECT_EQ(0, pl_set_backing(self->ctl, self->boot_backing))
			TH_LOG("restoring the default backing");
	}
	if (self->vm_fd >= 0)
		close(self->vm_fd);
	if (self->kvm_fd >= 0)
		close(self->kvm_fd);
	if (!gp_wait_state(self->ctl, &self->start, &end, PL_WAIT_MS, NULL))
		TH_LOG("the pool is not back where it was after %d ms", PL_WAIT_MS);
	EXPECT_EQ(self->start.info.pool_flags, end.info.pool_flags);
	gp_expect_same(_metadata, &self->start, &end);
	close(self->ctl);
}

static const struct {
	const char *name;
	void *(*fn)(void *arg);
} pl_threads[] = {
	{ "files", pl_files },
	{ "1g", pl_1g },
	{ "list", pl_list },
	{ "resize", pl_resizer },
	{ "toggle", pl_toggler },
	{ "plain", pl_plain },
	{ "stats", pl_stats },
};

#define PL_NR_THREADS	ARRAY_SIZE(pl_threads)

/* The seconds to run: GPOOL_PLANE_SECONDS, default 20, at most 240. */
static int pl_seconds(void)
{
	const char *env = getenv("GPOOL_PLANE_SECONDS");
	long v;

	if (!env || !*env)
		return PL_DEFAULT_SECONDS;
	v = strtol(env, NULL, 10);
	if (v < 1)
		return 1;
	return v > PL_MAX_SECONDS ? PL_MAX_SECONDS : v;
}

TEST_F_TIMEOUT(plane, concurrent_control_and_data, 300)
{
	const int seconds = pl_seconds();
	const unsigned long few = seconds >= 10 ? 10 : 1;
	const unsigned long many = seconds >= 10 ? 50 : 1;
	struct plane *p = &self->p;
	pthread_t tid[PL_NR_THREADS];
	unsigned int nr = 0, i;
	int ret = 0, nid;

	memset(p, 0, sizeof(*p));
	p->ctl = self->ctl;
	p->vm_fd = self->vm_fd;
	p->node_mask = self->start.info.node_mask;
	p->pool_flags = self->start.info.pool_flags;
	p->can_resize = p->pool_flags & GPOOL_INFO_F_CAN_RESIZE;
	p->backing = self->boot_backing;
	/* gpool=0:1G,1:2G: files and resizing on node 1, 1 GiB files on 0. */
	p->nid_1g = __builtin_ctzll(p->node_mask);
	p->nid_files = 63 - __builtin_clzll(p->node_mask);
	for (nid = 0; nid < 2; nid++)
		if (p->node_mask & (1ULL << nid))
			*(nid ? &p->nid_files : &p->nid_1g) = nid;
	if (p->pool_flags & GPOOL_INFO_F_NOMAP) {
		EXPECT_FALSE(p->can_resize) TH_LOG("a nomap pool cannot resize");
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_rwlock_init(&p->backing_lock, NULL);
	TH_LOG("%d s, %zu threads; files on node %d, 1 GiB files on node %d; %s",
	       seconds, PL_NR_THREADS, p->nid_files, p->nid_1g,
	       p->can_resize ? "GROW/SHRINK on" : "no CAN_RESIZE: GROW/SHRINK must be EOPNOTSUPP");

	p->deadline_ns = pl_now_ns() + seconds * 1000000000ULL;
	for (i = 0; i < PL_NR_THREADS; i++) {
		ret = pthread_create(&tid[i], NULL, pl_threads[i].fn, p);
		if (ret)
			break;
		nr++;
	}
	if (ret)
		__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < nr; i++)
		pthread_join(tid[i], NULL);
	ASSERT_EQ(0, ret) TH_LOG("pthread_create of %s: %s", pl_threads[nr].name,
				 strerror(ret));

	EXPECT_TRUE(pl_shrink_leftovers(p, 10000))
		TH_LOG("%ld grown 2 MiB pieces could not be shrunk", p->grown);
	EXPECT_EQ(0, pl_set_backing(self->ctl, self->boot_backing))
		TH_LOG("restoring the default backing");
	EXPECT_EQ(self->boot_backing, pl_sysfs_backing());

	for (i = 0; i < NR_COUNTS; i++)
		TH_LOG("%-56s %lu", pl_count_names[i], p->counts[i]);
	for (i = 0; i < PL_NR_MSGS && (int)i < p->nr_fail; i++)
		TH_LOG("failure: %s", p->msgs[i]);
	EXPECT_EQ(0, p->nr_fail) TH_LOG("%d failures in the threads", p->nr_fail);

	EXPECT_LE(few, p->counts[C_FILES]);
	EXPECT_LE(3UL, p->counts[C_1G_TRIES]);
	EXPECT_LE(many, p->counts[C_LISTS]);
	if (p->can_resize) {
		EXPECT_LE(3UL, p->counts[C_GROWS]);
		EXPECT_LE(1UL, p->counts[C_SHRINKS]);
	}
	EXPECT_LE(few, p->counts[C_TOGGLES]);
	EXPECT_LE(few, p->counts[C_PLAIN]);
	if (seconds >= 5) {
		EXPECT_LE(1UL, p->counts[C_PLAIN_POOL])
			TH_LOG("no plain file while default backing was on");
		EXPECT_LE(1UL, p->counts[C_PLAIN_CACHE])
			TH_LOG("no plain file while default backing was off");
	}
	EXPECT_LE(many, p->counts[C_STATS]);
	EXPECT_LE(1UL, p->counts[C_STATS_SUMMED]);
}

TEST_HARNESS_MAIN
