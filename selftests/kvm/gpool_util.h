/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the gpool programs built with the KVM selftest library
 * (selftests/kvm/, stress/kvm/): reading the pool's sysfs counters, through
 * libgpool (tools/lib/gpool: scripts/guest-image.sh links libgpool.a into
 * these programs).
 */
#ifndef SELFTEST_KVM_GPOOL_UTIL_H
#define SELFTEST_KVM_GPOOL_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/falloc.h>
#include <linux/gpool.h>

#include "kvm_util.h"
#include "test_util.h"
#include "ucall_common.h"
#include "libgpool.h"

/*
 * A decimal value from a one-value file; 0 if the file does not exist.
 * The test fails if it exists but holds no number.
 */
static inline uint64_t read_u64(const char *path)
{
	__u64 v;
	int ret = gpool_sysfs_u64(AT_FDCWD, path, &v, NULL);

	if (ret == -ENOENT)
		return 0;
	TEST_ASSERT(!ret, "read %s: %s", path, strerror(-ret));
	return v;
}

/*
 * /sys/kernel/mm/gpool/node<nid>/<size>/<name>, @size a GPOOL_SIZE_*;
 * with @size -1, node<nid>/<name>.  0 if the file does not exist.
 */
static inline uint64_t pool_stat(int nid, int size, const char *name)
{
	char rel[64], path[96];

	TEST_ASSERT(!gpool_sysfs_node_path(rel, sizeof(rel), nid, size, name),
		    "node%d/%s: path too long", nid, name);
	snprintf(path, sizeof(path), GPOOL_SYSFS_DIR "/%s", rel);
	return read_u64(path);
}

/*
 * A node with a free, unreserved 1G unit, or -1.  Units out with the
 * background zeroer are free capacity too.
 */
static inline int node_with_free_1g(void)
{
	int nid;

	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (pool_stat(nid, GPOOL_SIZE_1G, "free") +
		    pool_stat(nid, GPOOL_SIZE_1G, "zeroing") >
		    pool_stat(nid, GPOOL_SIZE_1G, "reserved"))
			return nid;
	return -1;
}

/*
 * Run @vcpu until its guest's next GUEST_SYNC and return the value it
 * synced; a guest assert or any other exit fails the test.
 */
static inline uint64_t gpool_vcpu_sync(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		return uc.args[1];
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("unexpected ucall %lu", uc.cmd);
	}
	return ~0ULL;
}

/*
 * Called by gpool_vcpu_thread() when a vCPU exits other than through a
 * ucall, before the test fails, to say more about it (gpool_soak sets it).
 */
static void (*gpool_bad_exit_hook)(struct kvm_vcpu *vcpu);

/*
 * KVM's own record of the last exits, for a vCPU that exits other than
 * through a ucall (a KVM_EXIT_SHUTDOWN, above all: after a shutdown
 * intercept KVM on SVM resets the vCPU, so its registers say nothing, but
 * the kvm_exit event of the shutdown still has the RIP, and the events
 * before it what the guest did last).  On kernels with tracepoints (the
 * debug kernel), gpool_trace_start() records kvm_exit, kvm_entry,
 * kvm_page_fault and the injections in the ring buffer, and
 * gpool_trace_dump() stops it and prints the buffer's last @lines events.
 * Both do nothing where there is no tracefs.
 */
#define GPOOL_TRACEFS	"/sys/kernel/debug/tracing"

static inline bool gpool_trace_write(const char *file, const char *val)
{
	char path[128];
	int fd, n;

	snprintf(path, sizeof(path), GPOOL_TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return false;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (int)strlen(val);
}

static inline bool gpool_trace_start(void)
{
	static const char * const events[] = {
		"kvm/kvm_exit", "kvm/kvm_entry", "kvm/kvm_page_fault",
		"kvm/kvm_inj_exception", "kvm/kvm_inj_virq",
	};
	char file[64];
	size_t i;

	if (access(GPOOL_TRACEFS "/events/kvm/kvm_exit/enable", W_OK))
		return false;
	gpool_trace_write("tracing_on", "0");
	gpool_trace_write("buffer_size_kb", "4096");
	gpool_trace_write("trace", "");
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(file, sizeof(file), "events/%s/enable", events[i]);
		gpool_trace_write(file, "1");
	}
	return gpool_trace_write("tracing_on", "1");
}

/*
 * Print the last @lines lines of file @path (those that start with '#'
 * left out if @skip_comments), each after "# @what: ".  Returns how many
 * lines the file had, or -1 if it cannot be read.
 */
static inline int gpool_print_tail(const char *path, unsigned int lines,
				   const char *what, bool skip_comments)
{
	char line[512], **ring = calloc(lines, sizeof(char *));
	unsigned int n = 0, i;
	FILE *f = fopen(path, "r");

	if (!f || !ring) {
		if (f)
			fclose(f);
		free(ring);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (skip_comments && line[0] == '#')
			continue;
		free(ring[n % lines]);
		ring[n++ % lines] = strdup(line);
	}
	fclose(f);
	for (i = n < lines ? 0 : n - lines; i < n; i++) {
		printf("# %s: %s", what, ring[i % lines] ? ring[i % lines] : "?\n");
		free(ring[i % lines]);
	}
	free(ring);
	fflush(stdout);
	return n;
}

static inline void gpool_trace_dump(unsigned int lines)
{
	if (!gpool_trace_write("tracing_on", "0"))
		return;
	printf("# trace: the last %u KVM events (or all there are)\n", lines);
	gpool_print_tail(GPOOL_TRACEFS "/trace", lines, "trace", true);
}

/*
 * A vCPU's exit that should have been a ucall (an I/O exit): anything else
 * is reported (gpool_bad_exit_hook, KVM's last events) and fails the test.
 */
static inline void gpool_report_bad_exit(struct kvm_vcpu *vcpu)
{
	if (gpool_bad_exit_hook)
		gpool_bad_exit_hook(vcpu);
	gpool_trace_dump(200);
}

static inline void gpool_assert_ucall_exit(struct kvm_vcpu *vcpu)
{
	if (vcpu->run->exit_reason != KVM_EXIT_IO)
		gpool_report_bad_exit(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
}

/*
 * The emulator's triple faults (docs/testing.md, "The emulator").  Under
 * QEMU's emulated nested SVM a guest now and then exits with
 * KVM_EXIT_SHUTDOWN, on plain 6.12 memory as on the pool's, with its
 * descriptor tables, page tables and stacks (ordinary memory, which no
 * test punches) intact.  A program whose cases do not test that (the
 * race tests: their oracles are KVM's counters and the values the vCPUs
 * and host threads read) sets gpool_shutdown_rerun: a vCPU thread that
 * sees the exit then reports it (gpool_bad_exit_hook, KVM's last events,
 * an "# emulator:" line that scripts/run-guest.py counts) and ends
 * instead of failing the program, and gpool_run_case() has the case
 * run once more.  A second triple fault in the same case fails it; so
 * does anything the first run's oracles saw, since its findings count.
 */
static bool gpool_shutdown_rerun;
static unsigned int gpool_shutdowns;

static inline unsigned int gpool_shutdown_count(void)
{
	return __atomic_load_n(&gpool_shutdowns, __ATOMIC_SEQ_CST);
}

/*
 * Run case @name, @run(@nid, @arg) returning what its oracles found, and
 * report it: it passes if they found nothing and no vCPU triple-faulted.
 * After the first triple fault the case runs again (tracing restarted),
 * what both runs found counts, and a second one fails it.
 */
static inline void gpool_run_case(const char *name,
				  uint64_t (*run)(int nid, const void *arg),
				  int nid, const void *arg)
{
	uint64_t found = 0;
	unsigned int start;
	int runs;

	for (runs = 0;; runs++) {
		start = gpool_shutdown_count();
		found += run(nid, arg);
		if (gpool_shutdown_count() == start)
			break;
		if (runs) {
			ksft_print_msg("emulator: %s: a vCPU triple-faulted in the rerun too; the case fails\n",
				       name);
			break;
		}
		ksft_print_msg("emulator: %s: a vCPU triple-faulted (KVM_EXIT_SHUTDOWN); the case runs again\n",
			       name);
		gpool_trace_start();
	}
	ksft_test_result(!found && gpool_shutdown_count() == start, "%s\n", name);
}

/*
 * Run a vCPU whose guest reports GUEST_SYNC now and then and GUEST_DONE at
 * the end, as the threads of gpool_race_test and gpool_soak do: back into
 * the guest after every sync, until done; a guest assert fails the test.
 * The periodic syncs matter: under TCG's nested SVM a vCPU that never
 * exits was once seen to ignore a remote TLB flush's IPI (and an NMI) for
 * minutes.
 */
static inline void *gpool_vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		if (gpool_shutdown_rerun &&
		    vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN) {
			gpool_report_bad_exit(vcpu);
			ksft_print_msg("emulator: vCPU %u exited with KVM_EXIT_SHUTDOWN\n",
				       vcpu->id);
			__atomic_add_fetch(&gpool_shutdowns, 1, __ATOMIC_SEQ_CST);
			return NULL;
		}
		gpool_assert_ucall_exit(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			continue;
		case UCALL_DONE:
			return NULL;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
	}
}

/*
 * A vCPU thread that does not stop (docs/testing.md, "The emulator": the
 * freeze).  gpool_join_vcpu() waits for it a bounded time; if it has not
 * returned by then, gpool_report_stall() says what the program's threads
 * and the VM are doing, so that the report tells a vCPU that exits in a
 * loop (faults KVM retries forever: pf_taken climbing alone; a mapping KVM
 * finds present: pf_spurious with it) from one that never exits or
 * sleeps in the kernel, and the test fails rather than hang until the
 * runner kills it.
 */
/* How long a thread told to stop may take, even on the debug kernel. */
#define GPOOL_STOP_SECONDS	120

static const char *const gpool_kvm_stat_names[] = {
	"exits", "pf_taken", "pf_fixed", "pf_spurious", "pf_emulate",
	"pf_mmio_spte_created", "pf_guest", "io_exits", "mmio_exits",
	"irq_exits", "signal_exits", "halt_exits", "insn_emulation",
	"insn_emulation_fail", "nmi_injections", "irq_injections",
	"hypercalls", "request_irq_exits",
};

#define GPOOL_NR_KVM_STATS \
	(sizeof(gpool_kvm_stat_names) / sizeof(gpool_kvm_stat_names[0]))

/*
 * One counter of KVM's debugfs statistics for @vm (summed over its
 * vCPUs); -1 where there is none (no debugfs).
 */
static inline long long gpool_kvm_debugfs_stat(struct kvm_vm *vm,
					       const char *name)
{
	char path[128];
	long long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/%s",
		 getpid(), vm->fd, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* The first line of /proc/self/task/@tid/@file, without its newline. */
static inline void gpool_task_line(const char *tid, const char *file,
				   char *buf, int len)
{
	char path[300];
	FILE *f;

	buf[0] = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%s/%s", tid, file);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
}

/*
 * "# stall:" lines: every thread of the program (its state, wait channel
 * and CPU time), then each of @vm's KVM counters 2 s apart, as @tag.
 */
static inline void gpool_report_stall(struct kvm_vm *vm, const char *tag)
{
	long long before[GPOOL_NR_KVM_STATS];
	struct dirent *d;
	unsigned int i;
	DIR *dir;

	for (i = 0; i < GPOOL_NR_KVM_STATS; i++)
		before[i] = gpool_kvm_debugfs_stat(vm, gpool_kvm_stat_names[i]);
	dir = opendir("/proc/self/task");
	while (dir && (d = readdir(dir))) {
		char stat[512], wchan[64];

		if (d->d_name[0] == '.')
			continue;
		gpool_task_line(d->d_name, "stat", stat, sizeof(stat));
		gpool_task_line(d->d_name, "wchan", wchan, sizeof(wchan));
		printf("# stall: task %s: %.60s wchan %s\n", d->d_name,
		       strchr(stat, ')') ? strchr(stat, ')') + 2 : stat, wchan);
	}
	if (dir)
		closedir(dir);
	sleep(2);
	for (i = 0; i < GPOOL_NR_KVM_STATS; i++)
		printf("# stall: %s %s %lld -> %lld\n", tag,
		       gpool_kvm_stat_names[i], before[i],
		       gpool_kvm_debugfs_stat(vm, gpool_kvm_stat_names[i]));
	fflush(stdout);
}

/*
 * Join @thread (@kind @id: a vCPU, or a host thread racing @vm's
 * vCPUs), which was told to stop, within @seconds.  If it does not
 * return, report the stall (with KVM's last events, if tracing) and fail
 * the test.
 */
static inline void gpool_join(struct kvm_vm *vm, pthread_t thread,
			      const char *kind, unsigned int id, int seconds)
{
	struct timespec ts;
	char tag[32];
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	ret = pthread_timedjoin_np(thread, NULL, &ts);
	if (!ret)
		return;
	snprintf(tag, sizeof(tag), "vm%d", vm->fd);
	gpool_report_stall(vm, tag);
	gpool_trace_dump(200);
	TEST_FAIL("%s %u did not stop in %d s: %s", kind, id, seconds,
		  strerror(ret));
}

/* ---- guest_memfds of the tests: create, find, map, punch, fault ---- */

/*
 * A guest_memfd of @vm, @size bytes, with @flags: from the pool if @pool
 * (units up to 1 << @shift bytes, bound to node @nid), else as KVM backs a
 * file without GUEST_MEMFD_FLAG_GPOOL (the page cache, or the pool in a
 * default-backing boot).  The test fails if KVM refuses.
 */
static inline int gpool_gmem_create(struct kvm_vm *vm, uint64_t size,
				    uint64_t flags, bool pool,
				    unsigned int shift, int nid)
{
	struct gpool_create_guest_memfd args = {
		.size = size,
		.flags = flags,
	};
	int fd;

	if (pool) {
		args.flags |= GUEST_MEMFD_FLAG_GPOOL;
		args.folio_shift = shift;
		args.numa_mode = GPOOL_NUMA_BIND;
		args.numa_nodes = 1ULL << nid;
	}
	fd = __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	TEST_ASSERT(fd >= 0, "KVM_CREATE_GUEST_MEMFD(%s, %#lx, %lu bytes): %s",
		    pool ? "pool" : "plain", flags, size, strerror(errno));
	return fd;
}

/* The pool's record of this process's newest file of @size bytes. */
static inline bool gpool_file_info_of(int ctl_fd, uint64_t size,
				      struct gpool_file_info *out)
{
	struct gpool_file_info *files;
	unsigned int nr, i;
	bool found = false;

	memset(out, 0, sizeof(*out));
	TEST_ASSERT(!gpool_ctl_list_files(ctl_fd, &files, &nr), "LIST_FILES");
	for (i = 0; i < nr; i++) {
		if (files[i].size == size && files[i].pid == (__u32)getpid()) {
			*out = files[i];
			found = true;
		}
	}
	free(files);
	return found;
}

/* Units allocated or reserved on node @nid: what every test gives back. */
static inline uint64_t gpool_node_held(int nid)
{
	uint64_t n = 0;
	int s;

	for (s = 0; s < GPOOL_NR_SIZES; s++)
		n += pool_stat(nid, s, "allocated") + pool_stat(nid, s, "reserved");
	return n;
}

static inline void *gpool_map_shared(int fd, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap(MAP_SHARED) of %lu bytes: %s", size,
		    strerror(errno));
	return p;
}

static inline void gpool_punch(int fd, uint64_t off, uint64_t len)
{
	TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
			       off, len),
		    "punch [%#lx, +%#lx): %s", off, len, strerror(errno));
}

static sigjmp_buf gpool_sigbus_jmp;

static inline void gpool_sigbus_handler(int sig)
{
	siglongjmp(gpool_sigbus_jmp, 1);
}

/*
 * Does reading (or writing) @p raise SIGBUS?  A write stores back what it
 * read, so that probing changes no contents.
 */
static inline bool gpool_access_sigbus(volatile char *p, bool write)
{
	struct sigaction sa = { .sa_handler = gpool_sigbus_handler }, old;
	bool hit;
	char v;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(gpool_sigbus_jmp, 1)) {
		hit = true;
	} else {
		v = *p;
		if (write)
			*p = v;
		hit = false;
	}
	sigaction(SIGBUS, &old, NULL);
	return hit;
}

/* Seconds on the monotonic clock. */
static inline double gpool_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Punch (@punch) or allocate the 4 KiB page at @offset of @fd. */
static inline void gpool_fallocate_page(int fd, uint64_t offset, bool punch)
{
	int mode = FALLOC_FL_KEEP_SIZE | (punch ? FALLOC_FL_PUNCH_HOLE : 0);

	TEST_ASSERT(!fallocate(fd, mode, offset, 4096),
		    "fallocate(%s) at %#lx: %s", punch ? "punch" : "allocate",
		    offset, strerror(errno));
}

/*
 * KVM_SET_MEMORY_ATTRIBUTES2 on guest_memfd @fd: 0 or -errno, and on
 * EAGAIN the busy page's offset in *@err_off (if not NULL).
 */
static inline int gpool_convert(int fd, uint64_t off, uint64_t size,
				uint64_t attrs, uint64_t *err_off)
{
	struct kvm_memory_attributes2 a = {
		.offset = off,
		.size = size,
		.attributes = attrs,
		.error_offset = 0xdead,
	};
	int r = ioctl(fd, KVM_SET_MEMORY_ATTRIBUTES2, &a);

	if (err_off)
		*err_off = a.error_offset;
	return r ? -errno : 0;
}

/*
 * Wait up to @timeout_ms until the background zeroer is idle on every node
 * of the pool: no unit out with it, and every free 1G and 2M unit known to
 * be zero (it clears those two sizes; free 4K units are cleared when they
 * are allocated).  True if it got there, false at the timeout (the zeroer
 * may have been stopped, GPOOL_IOC_SET_ZEROING).  Benchmarks wait before
 * each timed round, so that they measure pre-zeroed memory on CPUs the
 * zeroer does not share.
 *
 * Each counter is its own sysfs file, read at its own time: "zeroing" is
 * read before and after the others, so that a unit the zeroer takes out
 * between two reads (free down by one, zero not yet up) cannot look idle.
 */
static inline bool gpool_wait_zeroer_idle(unsigned int timeout_ms)
{
	double end = gpool_now() + timeout_ms / 1e3;
	__u64 mask = 0;
	bool idle;
	int dfd, nid, s, r;

	dfd = gpool_sysfs_open(NULL);
	TEST_ASSERT(dfd >= 0, "open " GPOOL_SYSFS_DIR ": %s", strerror(-dfd));
	r = gpool_sysfs_node_mask(dfd, &mask);
	TEST_ASSERT(!r, "the nodes of " GPOOL_SYSFS_DIR ": %s", strerror(-r));
	close(dfd);
	for (;;) {
		idle = true;
		for (nid = 0; idle && nid < GPOOL_MAX_NODES; nid++) {
			if (!(mask >> nid & 1))
				continue;
			for (s = GPOOL_SIZE_2M; idle && s <= GPOOL_SIZE_1G; s++)
				idle = !pool_stat(nid, s, "zeroing") &&
				       pool_stat(nid, s, "zero") ==
				       pool_stat(nid, s, "free") &&
				       !pool_stat(nid, s, "zeroing");
		}
		if (idle || gpool_now() >= end)
			return idle;
		usleep(100 * 1000);
	}
}

/*
 * What the pool holds, to compare the end of a benchmark or test with its
 * start: INFO's totals and every node's bytes.  Take both snapshots with
 * the zeroer idle, so that no unit is out with it; "free" counts units
 * being cleared anyway.
 */
struct gpool_holdings {
	struct gpool_info_args info;
	struct gpool_bytes node[GPOOL_MAX_NODES];
};

static inline void gpool_holdings(int ctl_fd, struct gpool_holdings *h)
{
	static struct gpool_node_stats_args st[GPOOL_MAX_NODES];
	int nid, r;

	memset(h, 0, sizeof(*h));
	memset(st, 0, sizeof(st));
	r = gpool_ctl_info(ctl_fd, &h->info);
	TEST_ASSERT(!r, "GPOOL_IOC_INFO: %s", strerror(-r));
	r = gpool_ctl_nodes(ctl_fd, h->info.node_mask, st);
	TEST_ASSERT(!r, "GPOOL_IOC_NODE_STATS: %s", strerror(-r));
	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (h->info.node_mask >> nid & 1)
			gpool_node_bytes(&st[nid], &h->node[nid]);
}

/*
 * The test fails unless the pool holds what it held at @a: the same size,
 * boot memory, ranges and files, and on every node the same bytes
 * allocated, reserved and free (every file closed, every unit back, a
 * grown piece given back, not boot memory).
 */
static inline void gpool_assert_holdings(const struct gpool_holdings *a,
					 const struct gpool_holdings *b)
{
	int nid;

	TEST_ASSERT(a->info.nr_pages == b->info.nr_pages &&
		    a->info.nr_boot_pages == b->info.nr_boot_pages &&
		    a->info.nr_ranges == b->info.nr_ranges &&
		    a->info.nr_files == b->info.nr_files,
		    "the pool: nr_pages %llu -> %llu, nr_boot_pages %llu -> %llu, "
		    "nr_ranges %u -> %u, nr_files %u -> %u",
		    a->info.nr_pages, b->info.nr_pages, a->info.nr_boot_pages,
		    b->info.nr_boot_pages, a->info.nr_ranges, b->info.nr_ranges,
		    a->info.nr_files, b->info.nr_files);
	for (nid = 0; nid < GPOOL_MAX_NODES; nid++) {
		const struct gpool_bytes *x = &a->node[nid], *y = &b->node[nid];

		TEST_ASSERT(x->allocated == y->allocated && x->reserved == y->reserved &&
			    x->free == y->free && x->total == y->total,
			    "node %d bytes: allocated %llu -> %llu, reserved %llu -> %llu, "
			    "free %llu -> %llu, total %llu -> %llu", nid, x->allocated,
			    y->allocated, x->reserved, y->reserved, x->free, y->free,
			    x->total, y->total);
	}
}

#endif /* SELFTEST_KVM_GPOOL_UTIL_H */
