// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_failnth_test: every allocation a pool operation makes fails in
 * turn, and each failure is clean (issue #9 item 7, issue #8 item 2).
 *
 * fail-nth (Documentation/fault-injection/fault-injection.rst): writing N
 * to /proc/thread-self/fail-nth fails the N-th fault-injection point the
 * thread reaches next; reading it back gives 0 once the failure was
 * injected, else the points still to go.  For each operation below, with
 * n = 1, 2, 3, ... until the call runs through without reaching its n-th
 * point (at most MAX_NTH):
 *
 *	create		KVM_CREATE_GUEST_MEMFD with GUEST_MEMFD_FLAG_GPOOL:
 *			2 MiB 2M-folio, 4 MiB 4K-folio, and 1 GiB 1G-folio
 *			bound to a node with a free 1G unit;
 *	punch		fallocate(PUNCH_HOLE | KEEP_SIZE) splitting an
 *			allocated unit: a 4K page in the middle of a 2M unit
 *			and of a 1G unit, a 2M-aligned 2M range of a 1G unit,
 *			and a 2M range straddling two chunks of a 1G unit;
 *	refill		fallocate(KEEP_SIZE) of the punched range (merges);
 *	populate	the first fallocate(KEEP_SIZE) of a whole 2 MiB file,
 *			2M-folio and 4K-folio (chunk metadata);
 *	grow, shrink	GPOOL_IOC_GROW of 4 MiB and GPOOL_IOC_SHRINK of it
 *			(two 2 MiB pieces: a failure on the second one
 *			takes the first out again)
 *			(where INFO's GPOOL_INFO_F_CAN_RESIZE is set);
 *	list_files	GPOOL_IOC_LIST_FILES with three files open.
 *
 * Each injected failure must either fail the call with an errno
 * docs/uapi.rst gives for it (ENOMEM; EFAULT too where documented, if the
 * kernel has fail_usercopy; never EINTR), or be absorbed: the call
 * succeeds, and then the pool must be exactly as after an uninjected call.
 * The pool is compared after every step (INFO, and each node's NODE_STATS
 * taken at one instant: allocated and reserved units per size, free +
 * zeroing bytes, pages; polled for up to 5 s): a failed call leaves it as
 * it was (population and refills of more than a page may keep what they
 * allocated: "what was allocated stays"); the
 * operation then done without injection (a punch that failed must punch,
 * a refill refill) gives the state of a success; undoing it (close,
 * refill, shrink) gives the state before.  Counts of injection points are
 * logged; for the calls that must allocate (create, punch, grow,
 * list_files, 4K-folio population) at least one must have been reached,
 * and the setup checks that fail-nth fails an eventfd() at all.
 *
 * fail-nth counts every injection point in the call, also the kernel's
 * outside gpool (the anon inode, the file descriptor): those failures must
 * be just as clean.  The setup lets GFP_KERNEL allocations fail
 * (ignore-gfp-wait N in failslab and fail_page_alloc, min-order 0) and
 * silences every fail* capability (verbose 0: otherwise each failure
 * dumps a stack, which the runner takes for a splat); the teardown puts
 * every knob back.  The test locks its memory and pins itself to its CPU,
 * so that no page fault inside a call meets an injected failure and the
 * DEFAULT policy always prefers the same node.
 *
 * Needs root, debugfs at /sys/kernel/debug and CONFIG_FAULT_INJECTION,
 * CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS:
 * any of them missing is a failure.  Skips without a pool.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <linux/gpool.h>

#include "kselftest_harness.h"
#include "gpool_test.h"

#define GPOOL_DEV	"/dev/gpool"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define DEBUGFS		"/sys/kernel/debug"

#define SZ_1M		(1ULL << 20)
#define MAX_NTH		1500U	/* injection points tried per operation */
#define MAX_FILES	8
#define MAX_KNOBS	32
#define LIST_ROOM	16
#define SETTLE_TRIES	50	/* 100 ms apart: 5 s for the zeroer */

static const int keep = FALLOC_FL_KEEP_SIZE;
static const int punch = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;

/* The knobs every test needs, and what they are set to. */
static const struct {
	const char *path;	/* under DEBUGFS */
	const char *value;
} required_knobs[] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "failslab/verbose", "0" },
	{ "fail_page_alloc/verbose", "0" },
};

struct knob {
	char path[512];
	char saved[32];
};

/* What must balance: INFO, and each node's NODE_STATS at one instant. */
struct node_state {
	__u64 nr_pages;
	__u64 allocated[GPOOL_NR_SIZES];
	__u64 reserved[GPOOL_NR_SIZES];
	__u64 free_bytes;	/* free + zeroing, each unit at its size */
};

struct pool_state {
	__u64 node_mask;
	__u64 nr_pages;
	__u32 nr_ranges;
	__u32 nr_files;
	struct node_state node[MAX_NODES];
};

struct fn_env {
	int fail_fd;			/* /proc/thread-self/fail-nth */
	int ctl_fd;			/* /dev/gpool */
	int kvm_fd;
	int vm_fd;			/* a KVM_X86_SW_PROTECTED_VM */
	int files[MAX_FILES];		/* guest_memfds open now, or -1 */
	struct knob knobs[MAX_KNOBS];	/* saved, to restore in teardown */
	int nr_knobs;
	bool usercopy;			/* fail_usercopy: EFAULT can be injected */
	bool can_resize;
	__u64 node_mask;
	struct pool_state start;

	/* The operation under test. */
	struct gpool_create_guest_memfd args;
	int fd;				/* the file it acts on */
	long ret;			/* what the call returned */
	unsigned long long off, len;	/* the fallocate() range */
	int grow_nid;
	unsigned long long grown;	/* bytes grown and not shrunk yet */
	__u64 nr_listed;
	struct gpool_file_info list[LIST_ROOM];
	__u64 ref_nr_listed;
	struct gpool_file_info ref_list[LIST_ROOM];
};

/*
 * One operation.  Every callback but @call runs without fault injection
 * and asserts that it succeeds; @call is the one system call under test
 * and does nothing else that enters the kernel.
 */
struct fn_op {
	const char *name;
	bool must_allocate;	/* the call always allocates something */
	bool efault;		/* docs/uapi.rst gives EFAULT for it */
	bool strict;		/* a failed call leaves the pool as it was */
	const int *errnos;	/* what an allocation failure may give; 0 ends */
	/* From the base state to the state the call starts from. */
	void (*prepare)(struct __test_metadata *_metadata, struct fn_env *e);
	long (*call)(struct fn_env *e);
	/* After the call succeeded: what it must have done. */
	void (*check)(struct __test_metadata *_metadata, struct fn_env *e);
	/*
	 * After it failed: do it again, without injection.  NULL: a failed
	 * call must be back in the base state (and @prepare be NULL).
	 */
	void (*finish)(struct __test_metadata *_metadata, struct fn_env *e);
	/* From the state after the call back to the base state. */
	void (*undo)(struct __test_metadata *_metadata, struct fn_env *e);
};

static int write_str(const char *path, const char *val)
{
	ssize_t n, len = strlen(val);
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	return n == len ? 0 : -EIO;
}

/* Arm fail-nth: the @n-th injection point from now on fails. */
static int fail_nth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len;

	len = snprintf(buf, sizeof(buf), "%u", n);
	return write(fd, buf, len) == len ? 0 : -errno;
}

/* Disarm it: the points it still had to go (0: it fired), or -errno. */
static long fail_nth_disarm(int fd)
{
	char buf[16];
	ssize_t n;
	long left;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		left = strtol(buf, NULL, 10);
	} else {
		left = n ? -errno : -EIO;
	}
	if (write(fd, "0", 1) != 1 && left >= 0)
		left = -errno;
	return left;
}

static int get_state(int ctl_fd, struct pool_state *s)
{
	struct gpool_node_stats_args ns;
	struct gpool_info_args info;
	int nid, sz;

	memset(s, 0, sizeof(*s));
	memset(&info, 0, sizeof(info));
	if (ioctl(ctl_fd, GPOOL_IOC_INFO, &info))
		return -errno;
	s->node_mask = info.node_mask;
	s->nr_pages = info.nr_pages;
	s->nr_ranges = info.nr_ranges;
	s->nr_files = info.nr_files;
	for (nid = 0; nid < MAX_NODES; nid++) {
		struct node_state *n = &s->node[nid];

		if (!(info.node_mask & (1ULL << nid)))
			continue;
		memset(&ns, 0, sizeof(ns));
		ns.node = nid;
		if (ioctl(ctl_fd, GPOOL_IOC_NODE_STATS, &ns))
			return -errno;
		n->nr_pages = ns.nr_pages;
		for (sz = 0; sz < GPOOL_NR_SIZES; sz++) {
			n->allocated[sz] = ns.size[sz].allocated;
			n->reserved[sz] = ns.size[sz].reserved;
			n->free_bytes += (ns.size[sz].free + ns.size[sz].zeroing) *
					 size_bytes[sz];
		}
	}
	return 0;
}

/* Does @got differ from @want?  If so, @why says where. */
static bool state_differs(const struct pool_state *want,
			  const struct pool_state *got, char *why, size_t len)
{
	int nid, sz;

#define DIFFERS(field, fmt, ...) do {					\
	if (want->field != got->field) {				\
		snprintf(why, len, fmt " is %llu, want %llu",		\
			 ##__VA_ARGS__,					\
			 (unsigned long long)got->field,		\
			 (unsigned long long)want->field);		\
		return true;						\
	}								\
} while (0)
	DIFFERS(node_mask, "INFO node_mask");
	DIFFERS(nr_pages, "INFO nr_pages");
	DIFFERS(nr_ranges, "INFO nr_ranges");
	DIFFERS(nr_files, "INFO nr_files");
	for (nid = 0; nid < MAX_NODES; nid++) {
		if (!(want->node_mask & (1ULL << nid)))
			continue;
		DIFFERS(node[nid].nr_pages, "node %d nr_pages", nid);
		for (sz = 0; sz < GPOOL_NR_SIZES; sz++) {
			DIFFERS(node[nid].allocated[sz], "node %d %s allocated",
				nid, sizes[sz]);
			DIFFERS(node[nid].reserved[sz], "node %d %s reserved",
				nid, sizes[sz]);
		}
		DIFFERS(node[nid].free_bytes, "node %d free + zeroing bytes", nid);
	}
#undef DIFFERS
	return false;
}

/*
 * Wait up to 5 s for the pool to be in state @want; false (and @why) if it
 * never is.
 */
static bool settle(const struct fn_env *e, const struct pool_state *want,
		   char *why, size_t len)
{
	struct pool_state cur;
	int try, ret;

	for (try = 0; try < SETTLE_TRIES; try++) {
		if (try)
			usleep(100000);
		ret = get_state(e->ctl_fd, &cur);
		if (ret) {
			snprintf(why, len, "INFO or NODE_STATS: %s", strerror(-ret));
			return false;
		}
		if (!state_differs(want, &cur, why, len))
			return true;
	}
	return false;
}

/* The pool must be in state @want, else the test stops. */
static void assert_state(struct __test_metadata *_metadata, struct fn_env *e,
			 const struct pool_state *want, const char *op,
			 const char *when, unsigned int n)
{
	char why[160] = "";

	ASSERT_TRUE(settle(e, want, why, sizeof(why)))
		TH_LOG("%s, %s (fail-nth %u): %s", op, when, n, why);
}

/* A guest_memfd the teardown closes if the test does not. */
static void track_file(struct fn_env *e, int fd)
{
	int i;

	for (i = 0; i < MAX_FILES; i++) {
		if (e->files[i] < 0) {
			e->files[i] = fd;
			return;
		}
	}
}

static void close_file(struct fn_env *e, int fd)
{
	int i;

	for (i = 0; i < MAX_FILES; i++)
		if (e->files[i] == fd)
			e->files[i] = -1;
	close(fd);
}

/* A file of e->args, asserted to be created and tracked. */
static int new_file(struct __test_metadata *_metadata, struct fn_env *e)
{
	int fd = create_gmem(e->vm_fd, &e->args);

	ASSERT_LE(0, fd) TH_LOG("KVM_CREATE_GUEST_MEMFD of %llu bytes: %s",
				(unsigned long long)e->args.size, strerror(-fd));
	track_file(e, fd);
	return fd;
}

static int resize(int fd, unsigned long cmd, int nid, unsigned long long bytes)
{
	struct gpool_resize_args r = { .node = nid, .bytes = bytes };

	return ioctl(fd, cmd, &r) ? -errno : 0;
}

/* Save a knob, then write @value to it (NULL: only save it). */
static int knob_set(struct fn_env *e, const char *rel, const char *value)
{
	struct knob *k;
	int ret;

	if (e->nr_knobs == MAX_KNOBS)
		return -ENOSPC;
	k = &e->knobs[e->nr_knobs];
	snprintf(k->path, sizeof(k->path), DEBUGFS "/%s", rel);
	ret = read_str(k->path, k->saved, sizeof(k->saved));
	if (ret)
		return ret;
	e->nr_knobs++;
	return value ? write_str(k->path, value) : 0;
}

static void knobs_restore(struct fn_env *e)
{
	while (e->nr_knobs) {
		struct knob *k = &e->knobs[--e->nr_knobs];

		if (write_str(k->path, k->saved))
			fprintf(stderr, "# restoring %s to %s failed\n", k->path,
				k->saved);
	}
}

/* DEBUGFS/@dir/@file if it exists: saved, then set to @value (or not). */
static int optional_knob(struct fn_env *e, const char *dir, const char *file,
			 const char *value, char *rel, size_t len)
{
	char path[512];

	snprintf(rel, len, "%s/%s", dir, file);
	snprintf(path, sizeof(path), DEBUGFS "/%s", rel);
	if (access(path, F_OK))
		return 0;
	return knob_set(e, rel, value);
}

/*
 * The required knobs, then every other fault-injection capability that
 * fail-nth also reaches (fail_usercopy, fail_futex, ...): silenced, and
 * the "times" of each saved (an injected failure decrements it).  On
 * failure the knobs already changed are restored.
 */
static int knobs_setup(struct fn_env *e, char *why, size_t len)
{
	char rel[300];
	struct dirent *d;
	unsigned int i;
	DIR *dir;
	int ret;

	for (i = 0; i < ARRAY_SIZE(required_knobs); i++) {
		ret = knob_set(e, required_knobs[i].path, required_knobs[i].value);
		if (ret) {
			snprintf(why, len, DEBUGFS "/%s: %s", required_knobs[i].path,
				 strerror(-ret));
			goto err;
		}
	}
	dir = opendir(DEBUGFS);
	if (!dir) {
		ret = -errno;
		snprintf(why, len, DEBUGFS ": %s", strerror(-ret));
		goto err;
	}
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "fail", 4))
			continue;
		if (!strcmp(d->d_name, "fail_usercopy"))
			e->usercopy = true;
		ret = optional_knob(e, d->d_name, "times", NULL, rel, sizeof(rel));
		/* The two required ones are set already. */
		if (!ret && strcmp(d->d_name, "failslab") &&
		    strcmp(d->d_name, "fail_page_alloc"))
			ret = optional_knob(e, d->d_name, "verbose", "0", rel,
					    sizeof(rel));
		if (ret) {
			snprintf(why, len, DEBUGFS "/%s: %s", rel, strerror(-ret));
			closedir(dir);
			goto err;
		}
	}
	closedir(dir);
	return 0;
err:
	knobs_restore(e);
	return ret;
}

/*
 * fail-nth must work at all: eventfd()'s first injection point is the
 * kmalloc() of its context, GFP_KERNEL.
 */
static bool fail_nth_works(struct fn_env *e, char *why, size_t len)
{
	int ret, fd, err;
	long left;

	ret = fail_nth_arm(e->fail_fd, 1);
	fd = eventfd(0, EFD_CLOEXEC);
	err = errno;
	left = fail_nth_disarm(e->fail_fd);
	if (fd >= 0)
		close(fd);
	if (!ret && fd < 0 && err == ENOMEM && !left)
		return true;
	snprintf(why, len, "arming %s, eventfd() %s, read back %ld",
		 ret ? strerror(-ret) : "ok",
		 fd >= 0 ? "succeeded" : strerror(err), left);
	return false;
}

static void env_setup(struct __test_metadata *_metadata, struct fn_env *e)
{
	struct gpool_info_args info = { 0 };
	char why[512] = "";
	cpu_set_t cpus;
	int i, cpu, ret;

	memset(e, 0, sizeof(*e));
	e->fail_fd = -1;
	e->ctl_fd = -1;
	e->kvm_fd = -1;
	e->vm_fd = -1;
	e->fd = -1;
	for (i = 0; i < MAX_FILES; i++)
		e->files[i] = -1;
	ASSERT_TRUE(pool_exists()) TH_LOG("no pool: this boot should have one");

	e->fail_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, e->fail_fd) TH_LOG("open " FAIL_NTH ": %s (CONFIG_FAULT_INJECTION?)",
					strerror(errno));
	/* No page fault inside a call under test: it could be the one failed. */
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE))
		TH_LOG("mlockall: %s", strerror(errno));
	/* GPOOL_NUMA_DEFAULT prefers the caller's node: keep it the same. */
	cpu = sched_getcpu();
	ASSERT_LE(0, cpu) TH_LOG("sched_getcpu: %s", strerror(errno));
	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus))
		TH_LOG("pinning to CPU %d: %s", cpu, strerror(errno));

	e->ctl_fd = open(GPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, e->ctl_fd) TH_LOG("open " GPOOL_DEV ": %s", strerror(errno));
	ASSERT_EQ(0, ioctl(e->ctl_fd, GPOOL_IOC_INFO, &info))
		TH_LOG("GPOOL_IOC_INFO: %s", strerror(errno));
	e->can_resize = info.pool_flags & GPOOL_INFO_F_CAN_RESIZE;
	e->node_mask = info.node_mask;
	e->vm_fd = create_vm(&e->kvm_fd);
	ASSERT_LE(0, e->vm_fd) TH_LOG("KVM_CREATE_VM: %s", strerror(-e->vm_fd));
	ret = get_state(e->ctl_fd, &e->start);
	ASSERT_EQ(0, ret) TH_LOG("INFO or NODE_STATS: %s", strerror(-ret));

	/* Last: nothing may fail after the knobs changed without restoring them. */
	ret = knobs_setup(e, why, sizeof(why));
	/* CONFIG_FAILSLAB, _FAIL_PAGE_ALLOC, _FAULT_INJECTION_DEBUG_FS, debugfs */
	ASSERT_EQ(0, ret) TH_LOG("fault-injection knob %s", why);
	if (!fail_nth_works(e, why, sizeof(why))) {
		knobs_restore(e);
		ASSERT_TRUE(false) TH_LOG("fail-nth does not fail eventfd(): %s", why);
	}
}

/* Nothing in here asserts: the knobs must be restored whatever happened. */
static void env_teardown(struct __test_metadata *_metadata, struct fn_env *e)
{
	char why[160] = "";
	int i, ret;

	if (e->fail_fd < 0)
		return;
	fail_nth_disarm(e->fail_fd);
	knobs_restore(e);
	for (i = 0; i < MAX_FILES; i++)
		if (e->files[i] >= 0)
			close_file(e, e->files[i]);
	if (e->grown) {
		ret = resize(e->ctl_fd, GPOOL_IOC_SHRINK, e->grow_nid, e->grown);
		EXPECT_EQ(0, ret) TH_LOG("shrinking the %llu bytes the test grew: %s",
					 e->grown, strerror(-ret));
	}
	if (e->vm_fd >= 0)
		close(e->vm_fd);
	if (e->kvm_fd >= 0)
		close(e->kvm_fd);
	if (e->ctl_fd >= 0) {
		EXPECT_TRUE(settle(e, &e->start, why, sizeof(why)))
			TH_LOG("the pool is not as the test found it: %s", why);
		close(e->ctl_fd);
	}
	close(e->fail_fd);
}

static bool errno_ok(const struct fn_env *e, const struct fn_op *op, int err)
{
	const int *p;

	if (err == EFAULT && op->efault && e->usercopy)
		return true;
	for (p = op->errnos; *p; p++)
		if (*p == err)
			return true;
	return false;
}

/*
 * Run @op once without injection, to learn the state a success leaves,
 * then with the n-th injection point failed, for every n until the call
 * reaches fewer than n points.
 */
static void run_op(struct __test_metadata *_metadata, struct fn_env *e,
		   const struct fn_op *op)
{
	unsigned int n, points = 0, failed = 0, absorbed = 0, nomem = 0;
	struct pool_state base, before, after;
	long left;
	int ret;

	ret = get_state(e->ctl_fd, &base);
	ASSERT_EQ(0, ret) TH_LOG("INFO or NODE_STATS: %s", strerror(-ret));
	if (op->prepare)
		op->prepare(_metadata, e);
	ASSERT_EQ(0, get_state(e->ctl_fd, &before));
	e->ret = op->call(e);
	ASSERT_LE(0, e->ret) TH_LOG("%s without fault injection: %s", op->name,
				    strerror(-e->ret));
	if (op->check)
		op->check(_metadata, e);
	ASSERT_EQ(0, get_state(e->ctl_fd, &after));
	if (op->undo)
		op->undo(_metadata, e);
	assert_state(_metadata, e, &base, op->name, "undone", 0);

	for (n = 1; n <= MAX_NTH; n++) {
		assert_state(_metadata, e, &base, op->name, "at the start", n);
		if (op->prepare)
			op->prepare(_metadata, e);
		assert_state(_metadata, e, &before, op->name, "prepared", n);

		ret = fail_nth_arm(e->fail_fd, n);
		ASSERT_EQ(0, ret) TH_LOG("arming " FAIL_NTH ": %s", strerror(-ret));
		e->ret = op->call(e);
		left = fail_nth_disarm(e->fail_fd);
		ASSERT_LE(0, left) TH_LOG("reading " FAIL_NTH ": %s", strerror(-left));

		if (left) {
			/* Fewer than n points: nothing was injected. */
			points = n - left;
			ASSERT_LE(0, e->ret)
				TH_LOG("%s failed with nothing injected (fail-nth %u): %s",
				       op->name, n, strerror(-e->ret));
			if (op->check)
				op->check(_metadata, e);
			assert_state(_metadata, e, &after, op->name, "uninjected", n);
			if (op->undo)
				op->undo(_metadata, e);
			assert_state(_metadata, e, &base, op->name, "undone", n);
			break;
		}

		if (e->ret < 0) {
			failed++;
			nomem += e->ret == -ENOMEM;
			EXPECT_TRUE(errno_ok(e, op, -e->ret))
				TH_LOG("%s, point %u failed: %s (%ld): not in docs/uapi.rst",
				       op->name, n, strerror(-e->ret), -e->ret);
			if (op->strict)
				assert_state(_metadata, e, &before, op->name,
					     "failed", n);
			if (!op->finish)
				continue;
			op->finish(_metadata, e);
			assert_state(_metadata, e, &after, op->name,
				     "failed, then done again", n);
		} else {
			/* Absorbed: the state must be that of a success. */
			absorbed++;
			if (op->check)
				op->check(_metadata, e);
			assert_state(_metadata, e, &after, op->name,
				     "succeeded with a failure injected", n);
		}
		if (op->undo)
			op->undo(_metadata, e);
	}
	TH_LOG("%s: %u injection points; %u failed the call (%u ENOMEM), %u absorbed",
	       op->name, points, failed, nomem, absorbed);
	ASSERT_LE(n, MAX_NTH) TH_LOG("%s still reached injection point %u", op->name,
				     MAX_NTH);
	if (op->must_allocate) {
		ASSERT_LT(0U, points)
			TH_LOG("%s reached no injection point: fail-nth missed its allocations",
			       op->name);
	}
}

static const int only_enomem[] = { ENOMEM, 0 };

/* KVM_CREATE_GUEST_MEMFD */

static long call_create(struct fn_env *e)
{
	int fd = create_gmem(e->vm_fd, &e->args);

	if (fd >= 0)
		track_file(e, fd);
	return fd;
}

static void undo_create(struct __test_metadata *_metadata, struct fn_env *e)
{
	close_file(e, e->ret);
}

static const struct fn_op create_op = {
	.name = "KVM_CREATE_GUEST_MEMFD",
	.must_allocate = true,
	.efault = true,
	.strict = true,
	.errnos = only_enomem,
	.call = call_create,
	.undo = undo_create,
};

/* fallocate() */

static int fallocate_ok(struct __test_metadata *_metadata, struct fn_env *e,
			int mode)
{
	int ret = fallocate(e->fd, mode, e->off, e->len) ? -errno : 0;

	ASSERT_EQ(0, ret) TH_LOG("%s of %llu bytes at %llu: %s",
				 mode & FALLOC_FL_PUNCH_HOLE ? "punch" : "fallocate",
				 e->len, e->off, strerror(-ret));
	return ret;
}

static long call_punch(struct fn_env *e)
{
	return fallocate(e->fd, punch, e->off, e->len) ? -errno : 0;
}

static long call_fill(struct fn_env *e)
{
	return fallocate(e->fd, keep, e->off, e->len) ? -errno : 0;
}

static void do_punch(struct __test_metadata *_metadata, struct fn_env *e)
{
	fallocate_ok(_metadata, e, punch);
}

static void do_fill(struct __test_metadata *_metadata, struct fn_env *e)
{
	fallocate_ok(_metadata, e, keep);
}

/*
 * A failed punch leaves the file able to punch the range, then refill it.
 * Strict: each range here is split by one call into the pool before
 * anything is freed, and only the split allocates, so a failed punch has
 * freed nothing ("unchanged beyond the units already freed").
 */
static const struct fn_op punch_op = {
	.name = "punch",
	.must_allocate = true,
	.strict = true,
	.errnos = only_enomem,
	.call = call_punch,
	.finish = do_punch,
	.undo = do_fill,
};

/*
 * A failed refill of more than a page may keep the pages it allocated
 * (docs/uapi.rst: "what was allocated stays"): strict for one page only.
 */
static const struct fn_op refill_op = {
	.name = "refill",
	.errnos = only_enomem,
	.prepare = do_punch,
	.call = call_fill,
	.finish = do_fill,
};

static void populate_prepare(struct __test_metadata *_metadata, struct fn_env *e)
{
	e->fd = new_file(_metadata, e);
}

static void populate_undo(struct __test_metadata *_metadata, struct fn_env *e)
{
	close_file(e, e->fd);
	e->fd = -1;
}

/* A failed population keeps what it allocated (not strict). */
static const struct fn_op populate_op = {
	.name = "populate",
	.errnos = only_enomem,
	.prepare = populate_prepare,
	.call = call_fill,
	.finish = do_fill,
	.undo = populate_undo,
};

/*
 * GPOOL_IOC_GROW and GPOOL_IOC_SHRINK, of two pieces, so that a failure
 * after the first piece is in the pool goes through GROW's rollback.
 */
#define GROW_BYTES	(2 * SZ_2M)

static long call_grow(struct fn_env *e)
{
	int ret = resize(e->ctl_fd, GPOOL_IOC_GROW, e->grow_nid, GROW_BYTES);

	if (!ret)
		e->grown += GROW_BYTES;
	return ret;
}

static long call_shrink(struct fn_env *e)
{
	int ret = resize(e->ctl_fd, GPOOL_IOC_SHRINK, e->grow_nid, GROW_BYTES);

	if (!ret)
		e->grown -= GROW_BYTES;
	return ret;
}

static void do_grow(struct __test_metadata *_metadata, struct fn_env *e)
{
	int ret = call_grow(e);

	ASSERT_EQ(0, ret) TH_LOG("GPOOL_IOC_GROW of 4 MiB on node %d: %s",
				 e->grow_nid, strerror(-ret));
}

static void do_shrink(struct __test_metadata *_metadata, struct fn_env *e)
{
	int ret = call_shrink(e);

	ASSERT_EQ(0, ret) TH_LOG("GPOOL_IOC_SHRINK of 4 MiB on node %d: %s",
				 e->grow_nid, strerror(-ret));
}

static const struct fn_op grow_op = {
	.name = "GPOOL_IOC_GROW",
	.must_allocate = true,
	.efault = true,
	.strict = true,
	.errnos = only_enomem,
	.call = call_grow,
	.undo = do_shrink,
};

/* SHRINK allocates nothing of its own; EBUSY is its "nothing changed". */
static const int shrink_errnos[] = { EBUSY, 0 };

static const struct fn_op shrink_op = {
	.name = "GPOOL_IOC_SHRINK",
	.efault = true,
	.strict = true,
	.errnos = shrink_errnos,
	.prepare = do_grow,
	.call = call_shrink,
	.finish = do_shrink,
};

/* GPOOL_IOC_LIST_FILES */

static long call_list(struct fn_env *e)
{
	struct gpool_list_files_args a = {
		.nr_files = LIST_ROOM, .files = (uintptr_t)e->list,
	};
	int ret;

	memset(e->list, 0, sizeof(e->list));
	ret = ioctl(e->ctl_fd, GPOOL_IOC_LIST_FILES, &a) ? -errno : 0;
	e->nr_listed = a.nr_files;
	return ret;
}

/* The same files, described the same way, as the reference listing. */
static void check_list(struct __test_metadata *_metadata, struct fn_env *e)
{
	ASSERT_EQ(e->ref_nr_listed, e->nr_listed);
	ASSERT_EQ(0, memcmp(e->ref_list, e->list,
			    e->nr_listed * sizeof(e->list[0])))
		TH_LOG("LIST_FILES describes the files differently");
}

static void do_list(struct __test_metadata *_metadata, struct fn_env *e)
{
	long ret = call_list(e);

	ASSERT_EQ(0, ret) TH_LOG("GPOOL_IOC_LIST_FILES: %s", strerror(-ret));
	check_list(_metadata, e);
}

static const struct fn_op list_op = {
	.name = "GPOOL_IOC_LIST_FILES",
	.must_allocate = true,
	.efault = true,
	.strict = true,
	.errnos = only_enomem,
	.call = call_list,
	.check = check_list,
	.finish = do_list,
};

/* A node with a free, unreserved 1G unit to bind to: every boot has one. */
#define BIND_TO_FREE_1G(e) do {						\
	struct pool_counts __c;						\
	int __nid;							\
									\
	snapshot(&__c);							\
	__nid = node_with_free_1g(&__c);				\
	ASSERT_LE(0, __nid) TH_LOG("no free 1G unit in the pool");	\
	(e)->args.numa_mode = GPOOL_NUMA_BIND;				\
	(e)->args.numa_nodes = 1ULL << __nid;				\
} while (0)

/* (a) creation */

FIXTURE(create) {
	struct fn_env e;
};

FIXTURE_VARIANT(create) {
	__u64 size;
	__u32 folio_shift;
	bool bind_1g;		/* bound to a node with a free 1G unit */
};

FIXTURE_VARIANT_ADD(create, file_2m_2m_folio) {
	.size = SZ_2M, .folio_shift = GPOOL_FOLIO_SHIFT_2M,
};

FIXTURE_VARIANT_ADD(create, file_4m_4k_folio) {
	.size = 2 * SZ_2M, .folio_shift = GPOOL_FOLIO_SHIFT_4K,
};

FIXTURE_VARIANT_ADD(create, file_1g_1g_folio) {
	.size = SZ_1G, .folio_shift = GPOOL_FOLIO_SHIFT_1G, .bind_1g = true,
};

FIXTURE_SETUP(create)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(create)
{
	env_teardown(_metadata, &self->e);
}

TEST_F_TIMEOUT(create, each_allocation_fails, 120)
{
	struct fn_env *e = &self->e;

	e->args.size = variant->size;
	e->args.flags = GUEST_MEMFD_FLAG_GPOOL;
	e->args.folio_shift = variant->folio_shift;
	if (variant->bind_1g)
		BIND_TO_FREE_1G(e);
	run_op(_metadata, e, &create_op);
}

/* (b) punching a hole that splits a unit, (c) refilling it */

FIXTURE(split) {
	struct fn_env e;
};

FIXTURE_VARIANT(split) {
	__u64 size;		/* of the file, all allocated first */
	__u32 folio_shift;	/* its one unit: 2M or 1G */
	unsigned long long off, len;	/* the hole */
};

FIXTURE_VARIANT_ADD(split, page_of_2m_unit) {
	.size = SZ_2M, .folio_shift = GPOOL_FOLIO_SHIFT_2M,
	.off = SZ_1M, .len = SZ_4K,
};

FIXTURE_VARIANT_ADD(split, page_of_1g_unit) {
	.size = SZ_1G, .folio_shift = GPOOL_FOLIO_SHIFT_1G,
	.off = SZ_1G / 2 + SZ_1M, .len = SZ_4K,
};

FIXTURE_VARIANT_ADD(split, aligned_2m_of_1g_unit) {
	.size = SZ_1G, .folio_shift = GPOOL_FOLIO_SHIFT_1G,
	.off = SZ_1G / 2, .len = SZ_2M,
};

/* Splits the 1G unit and the two 2M chunks the range straddles. */
FIXTURE_VARIANT_ADD(split, straddling_2m_of_1g_unit) {
	.size = SZ_1G, .folio_shift = GPOOL_FOLIO_SHIFT_1G,
	.off = SZ_1G / 2 + SZ_1M, .len = SZ_2M,
};

FIXTURE_SETUP(split)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(split)
{
	env_teardown(_metadata, &self->e);
}

static unsigned long long allocated_units(const struct pool_state *s, int sz)
{
	unsigned long long n = 0;
	int nid;

	for (nid = 0; nid < MAX_NODES; nid++)
		n += s->node[nid].allocated[sz];
	return n;
}

/* The file of the variant, allocated whole: one unit of its folio size. */
static void split_file(struct __test_metadata *_metadata, struct fn_env *e,
		       __u64 size, __u32 shift, unsigned long long off,
		       unsigned long long len)
{
	int sz = shift == GPOOL_FOLIO_SHIFT_1G ? GPOOL_SIZE_1G : GPOOL_SIZE_2M;
	struct pool_state a, b;

	e->args.size = size;
	e->args.flags = GUEST_MEMFD_FLAG_GPOOL;
	e->args.folio_shift = shift;
	e->fd = new_file(_metadata, e);
	ASSERT_EQ(0, get_state(e->ctl_fd, &a));
	e->off = 0;
	e->len = size;
	fallocate_ok(_metadata, e, keep);
	ASSERT_EQ(0, get_state(e->ctl_fd, &b));
	ASSERT_EQ(allocated_units(&a, sz) + 1, allocated_units(&b, sz))
		TH_LOG("the file is not one %s unit", sizes[sz]);
	e->off = off;
	e->len = len;
}

static void split_close(struct __test_metadata *_metadata, struct fn_env *e)
{
	close_file(e, e->fd);
	e->fd = -1;
	assert_state(_metadata, e, &e->start, "close", "all closed", 0);
}

TEST_F_TIMEOUT(split, punch, 120)
{
	if (variant->folio_shift == GPOOL_FOLIO_SHIFT_1G)
		BIND_TO_FREE_1G(&self->e);
	split_file(_metadata, &self->e, variant->size, variant->folio_shift,
		   variant->off, variant->len);
	run_op(_metadata, &self->e, &punch_op);
	split_close(_metadata, &self->e);
}

TEST_F_TIMEOUT(split, refill, 600)
{
	struct fn_op op = refill_op;

	if (variant->folio_shift == GPOOL_FOLIO_SHIFT_1G)
		BIND_TO_FREE_1G(&self->e);
	split_file(_metadata, &self->e, variant->size, variant->folio_shift,
		   variant->off, variant->len);
	op.strict = variant->len == SZ_4K;
	run_op(_metadata, &self->e, &op);
	split_close(_metadata, &self->e);
}

/* (f) the first population of a whole 2 MiB file */

FIXTURE(populate) {
	struct fn_env e;
};

FIXTURE_VARIANT(populate) {
	__u32 folio_shift;
	bool must_allocate;	/* 4K units: the chunk's page array */
};

FIXTURE_VARIANT_ADD(populate, file_2m_2m_folio) {
	.folio_shift = GPOOL_FOLIO_SHIFT_2M,
};

FIXTURE_VARIANT_ADD(populate, file_2m_4k_folio) {
	.folio_shift = GPOOL_FOLIO_SHIFT_4K, .must_allocate = true,
};

FIXTURE_SETUP(populate)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(populate)
{
	env_teardown(_metadata, &self->e);
}

TEST_F_TIMEOUT(populate, each_allocation_fails, 600)
{
	struct fn_op op = populate_op;
	struct fn_env *e = &self->e;

	e->args.size = SZ_2M;
	e->args.flags = GUEST_MEMFD_FLAG_GPOOL;
	e->args.folio_shift = variant->folio_shift;
	/*
	 * Bound to one node: with DEFAULT, a metadata allocation failed on
	 * the preferred node rightly sends the unit to the next node, which
	 * is a different (valid) state from the reference success.
	 */
	e->args.numa_mode = GPOOL_NUMA_BIND;
	e->args.numa_nodes = (e->node_mask & 2) ? 2 : e->node_mask & -e->node_mask;
	e->off = 0;
	e->len = SZ_2M;
	op.must_allocate = variant->must_allocate;
	run_op(_metadata, e, &op);
}

/* (d) GROW and SHRINK, (e) LIST_FILES */

FIXTURE(ctl) {
	struct fn_env e;
};

FIXTURE_SETUP(ctl)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(ctl)
{
	env_teardown(_metadata, &self->e);
}

/* Node 1 (the guest's second node), else the pool's highest. */
static int grow_node(const struct fn_env *e)
{
	if (e->node_mask & 2)
		return 1;
	return 63 - __builtin_clzll(e->node_mask);
}

TEST_F_TIMEOUT(ctl, grow, 180)
{
	if (!self->e.can_resize) {
		struct gpool_resize_args a = { .node = 0, .bytes = SZ_2M };

		/* nomap: the pool cannot resize, and says so. */
		EXPECT_EQ(-1, ioctl(self->e.ctl_fd, GPOOL_IOC_GROW, &a));
		EXPECT_EQ(EOPNOTSUPP, errno);
		return;
	}
	self->e.grow_nid = grow_node(&self->e);
	run_op(_metadata, &self->e, &grow_op);
}

TEST_F_TIMEOUT(ctl, shrink, 180)
{
	if (!self->e.can_resize) {
		struct gpool_resize_args a = { .node = 0, .bytes = SZ_2M };

		EXPECT_EQ(-1, ioctl(self->e.ctl_fd, GPOOL_IOC_SHRINK, &a));
		EXPECT_EQ(EOPNOTSUPP, errno);
		return;
	}
	self->e.grow_nid = grow_node(&self->e);
	run_op(_metadata, &self->e, &shrink_op);
}

TEST_F_TIMEOUT(ctl, list_files, 60)
{
	static const struct { __u64 size; __u32 shift; } files[] = {
		{ SZ_2M, GPOOL_FOLIO_SHIFT_2M },
		{ 2 * SZ_2M, GPOOL_FOLIO_SHIFT_4K },
		{ SZ_2M, GPOOL_FOLIO_SHIFT_1G },
	};
	struct fn_env *e = &self->e;
	unsigned int i;
	long ret;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		e->args.size = files[i].size;
		e->args.flags = GUEST_MEMFD_FLAG_GPOOL;
		e->args.folio_shift = files[i].shift;
		e->fd = new_file(_metadata, e);
	}
	/* The last one holds memory, so that its entry has units. */
	e->off = 0;
	e->len = SZ_2M;
	fallocate_ok(_metadata, e, keep);

	ret = call_list(e);
	ASSERT_EQ(0, ret) TH_LOG("GPOOL_IOC_LIST_FILES: %s", strerror(-ret));
	ASSERT_LE(ARRAY_SIZE(files), e->nr_listed);
	e->ref_nr_listed = e->nr_listed;
	memcpy(e->ref_list, e->list, sizeof(e->list));
	run_op(_metadata, e, &list_op);

	for (i = 0; i < MAX_FILES; i++)
		if (e->files[i] >= 0)
			close_file(e, e->files[i]);
	assert_state(_metadata, e, &e->start, "close", "all closed", 0);
}

TEST_HARNESS_MAIN
