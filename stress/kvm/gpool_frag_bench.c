// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_frag_bench: 1 GiB of contiguous memory, asked for while the rest
 * of memory is being fragmented, from three sources (issue 13, item 3):
 *
 *   pool             a pool-backed guest_memfd of 1 GiB with 1G units,
 *                    bound to a node, fallocate()d whole: the pool reserved
 *                    its memory at boot; success means the file got one 1G
 *                    unit (the zeroer idle first: pre-zeroed, as a host
 *                    would have it between VMs)
 *   hugetlb runtime  the node's /sys/devices/system/node/node<N>/hugepages/
 *                    hugepages-1048576kB/nr_hugepages raised by one, on
 *                    the node of the pool and GROW requests (a gigantic
 *                    page allocated at run time: alloc_contig_pages(),
 *                    which needs CONFIG_CONTIG_ALLOC) and read back;
 *                    lowered again
 *   GROW             GPOOL_IOC_GROW of 1 GiB on the node (alloc_contig too),
 *                    then GPOOL_IOC_SHRINK of it (timed as "SHRINK": it
 *                    clears the piece, and may wait for the zeroer)
 *
 * Each request takes its GiB and gives it back at once, so that success
 * says whether a contiguous, aligned GiB could be had at that moment, not
 * how much memory is free.  Per epoch, -r requests per source (default 4),
 * interleaved (pool, hugetlb, GROW, pool, ...) and alternating between the
 * pool's nodes; reported: the success rate, the latency of the successes
 * (median, min, max; of the failures too, as "fail_latency"), and, taken
 * just before the requests, /proc/buddyinfo's free blocks of the highest
 * order (10: 4 MiB) per node, /proc/pagetypeinfo's unmovable pageblocks
 * per node and MemFree.
 *
 * Epoch 0 is before any churn.  Then child processes churn memory for -t
 * seconds in all (default 120), split into -e epochs (default 4); each
 * epoch's requests are made while the churn goes on.  A last epoch follows
 * once the churn is stopped and its files removed, to show what stays
 * fragmented.  The churn stays within a budget (-m MiB; default a quarter
 * of MemAvailable, at most 1 GiB): each worker fills its share and then
 * keeps freeing and allocating random parts of it, so that what is free
 * ends up scattered.  -t counts the requests' time too.  The workers:
 *
 *   pagecache   files of 64 KiB to 4 MiB written and deleted on a tmpfs
 *               (page cache: movable)
 *   fio         if /usr/bin/fio or /bin/fio runs: a fio job writing files
 *               on the tmpfs, unlinked after each loop (page cache)
 *   slab        empty tmpfs files created and deleted: inodes and dentries
 *               (slab: unmovable and reclaimable, but pinned by the files)
 *   pagetables  one 4 KiB page touched in random 2 MiB slots of a sparse
 *               anonymous mapping (THP off): each costs a page-table page
 *               (unmovable); a slot is freed by mapping it anew
 *   pipes       pipes filled to capacity (pipe buffers: GFP_HIGHUSER,
 *               unmovable)
 *   sockets     AF_UNIX socket pairs with unread data queued (skbs:
 *               unmovable)
 *
 * The workers run at nice 19 with oom_score_adj 1000 (the benchmark itself
 * at -1000), and die with it (PR_SET_PDEATHSIG).  At the end every worker
 * is killed and reaped, the tmpfs files are removed, nr_hugepages is as it
 * was and the pool's pages, files and held units are as at the start: the
 * program asserts all of it.  SIGINT and SIGTERM clean up the same way.
 *
 * Under TCG the default run takes about 3 to 6 minutes: 120 s of churn
 * (the requests of epochs 1 to 4 included) and the requests before and
 * after it (GROW, SHRINK and the runtime hugetlb page may each take
 * seconds to migrate or clear a GiB; the pool waits for the zeroer).  Run longer with e.g.
 * "-t 1800 -e 10"; "-t 20 -e 2 -r 2" is a quick check.  -P runs without the
 * pool (churn and hugetlb only), to try the churn on any machine.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/falloc.h>
#include <linux/gpool.h>
#include <linux/magic.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "gpool_util.h"
#include "gpool_bench_util.h"

#define SECTION		"frag"
#define GIB		((uint64_t)1 << 30)
#define MIB		((uint64_t)1 << 20)
#define KIB		((uint64_t)1 << 10)
#define MAX_K		64		/* requests per epoch */
#define MAX_EPOCHS	62		/* -e, plus epoch 0 and the last */
#define MAX_NODES	8		/* nodes buddyinfo is kept for */
#define HUGETLB_1G	"/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
#define HUGETLB_1G_NODE	"/sys/devices/system/node/node%d/hugepages/" \
			"hugepages-1048576kB/nr_hugepages"

/* ---- options and state ---- */

static double churn_secs = 120;		/* -t */
static int nr_epochs = 4;		/* -e */
static int nr_req = 4;			/* -r */
static uint64_t budget;			/* -m, bytes */
static uint64_t seed;			/* -s */
static bool no_pool;			/* -P */

static pid_t parent;
static char churn_dir[64];
static int ctl = -1;			/* /dev/gpool */
static struct kvm_vm *vm;		/* owner of the pool files */
static int pool_nodes[GPOOL_MAX_NODES], nr_pool_nodes;
static bool can_grow;
static uint64_t grown[GPOOL_MAX_NODES];	/* GROW not shrunk yet, for cleanup */
static long hugetlb_orig = -1;		/* nr_hugepages at start; -1: none */
static char hugetlb_note[96];

/* ---- small helpers ---- */

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double now_s(void)
{
	return bench_now_ms() / 1e3;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* The 1G nr_hugepages of node @nid, or of all nodes with @nid -1. */
static const char *hugetlb_path(int nid)
{
	static char path[128];

	if (nid < 0)
		return HUGETLB_1G;
	snprintf(path, sizeof(path), HUGETLB_1G_NODE, nid);
	return path;
}

static long hugetlb_read_node(int nid)
{
	char buf[32];
	long v;
	int fd = open(hugetlb_path(nid), O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	v = strtol(buf, NULL, 10);
	return v;
}

static int hugetlb_write_node(int nid, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	return write_str(hugetlb_path(nid), buf);
}

static long hugetlb_read(void)
{
	return hugetlb_read_node(-1);
}

static int hugetlb_write(long v)
{
	return hugetlb_write_node(-1, v);
}

/* A field of /proc/meminfo, in kB; 0 if absent. */
static uint64_t meminfo_kb(const char *field)
{
	char line[128];
	uint64_t v = 0;
	size_t len = strlen(field);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			v = strtoull(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Free blocks of the highest order (the last column), by node. */
static void read_buddy(uint64_t *blocks, bool *seen)
{
	char line[512], zone[32];
	int nid, pos;
	FILE *f = fopen("/proc/buddyinfo", "r");

	memset(blocks, 0, MAX_NODES * sizeof(*blocks));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;
		uint64_t last = 0;

		if (sscanf(line, "Node %d, zone %31s %n", &nid, zone, &pos) < 2 ||
		    nid < 0 || nid >= MAX_NODES)
			continue;
		for (p = line + pos;; p = end) {
			uint64_t v = strtoull(p, &end, 10);

			if (end == p)
				break;
			last = v;
		}
		blocks[nid] += last;
		seen[nid] = true;
	}
	fclose(f);
}

/*
 * Pageblocks of migrate type Unmovable, by node: the "Number of blocks
 * type" table of /proc/pagetypeinfo (one per node), whose rows are
 * "Node N, zone Z" and a count per type, in the header's order.
 */
static void read_unmovable(uint64_t *blocks)
{
	char line[512], zone[32], tok[32];
	int nid, pos, col = -1, i;
	FILE *f = fopen("/proc/pagetypeinfo", "r");

	memset(blocks, 0, MAX_NODES * sizeof(*blocks));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;
		uint64_t v = 0;

		if (!strncmp(line, "Number of blocks type", 21)) {
			p = line + 21;
			for (i = 0; sscanf(p, "%31s%n", tok, &pos) == 1; i++, p += pos)
				if (!strcmp(tok, "Unmovable"))
					col = i;
			continue;
		}
		/* The free-page rows ("zone DMA, type Unmovable") are not it. */
		if (col < 0 || strstr(line, "type") ||
		    sscanf(line, "Node %d, zone %31s %n", &nid, zone, &pos) < 2 ||
		    nid < 0 || nid >= MAX_NODES)
			continue;
		p = line + pos;
		for (i = 0; i <= col; i++, p = end) {
			v = strtoull(p, &end, 10);
			if (end == p)
				break;
		}
		if (i > col)
			blocks[nid] += v;
	}
	fclose(f);
}

/*
 * Before a round on node @nid: the background zeroer idle (on every node,
 * gpool_util.h), so that the memory is pre-zeroed and the zeroer shares
 * no CPU with the round.
 */
static void wait_for_zeroer(int nid)
{
	if (!gpool_wait_zeroer_idle(120 * 1000))
		printf("# node %d: the zeroer was not idle after 2 min\n", nid);
}

/* ---- the churn workers (child processes) ---- */

static char fill[64 * 1024];

static void path_of(char *buf, size_t len, const char *sub, unsigned int i)
{
	snprintf(buf, len, "%s/%s/%02u/%u", churn_dir, sub, i % 16, i);
}

/* Files of 64 KiB to 4 MiB written and deleted: page cache. */
static void churn_pagecache(uint64_t share, uint64_t *rs)
{
	enum { NR = 512 };
	static uint64_t size[NR];
	uint64_t used = 0;
	char path[128];

	for (;;) {
		unsigned int i = xorshift(rs) % NR;
		uint64_t sz = (1 + xorshift(rs) % 64) * sizeof(fill), done = 0;
		int fd;

		path_of(path, sizeof(path), "pc", i);
		if (size[i]) {
			unlink(path);
			used -= size[i];
			size[i] = 0;
			continue;
		}
		if (used + sz > share)
			continue;
		fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		if (fd < 0) {
			usleep(10000);
			continue;
		}
		while (done < sz) {
			ssize_t n = write(fd, fill, sizeof(fill));

			if (n <= 0)
				break;
			done += n;
		}
		close(fd);
		size[i] = done;
		used += done;
	}
}

/* Empty files created and deleted: inodes and dentries. */
static void churn_slab(uint64_t share, uint64_t *rs)
{
	unsigned int nr = share / KIB;
	unsigned char *have;
	char path[128];

	if (nr > 200000)
		nr = 200000;
	if (nr < 16)
		nr = 16;
	have = calloc(nr, 1);
	if (!have)
		_exit(1);
	for (;;) {
		unsigned int i = xorshift(rs) % nr;
		int fd;

		path_of(path, sizeof(path), "slab", i);
		if (have[i]) {
			unlink(path);
			have[i] = 0;
			continue;
		}
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		if (fd < 0) {
			usleep(10000);
			continue;
		}
		close(fd);
		have[i] = 1;
	}
}

/*
 * One page in random 2 MiB slots of a sparse mapping: a page-table page
 * each.  At most a quarter of the slots are live at once, so that freed
 * page tables leave holes between live ones.
 */
static void churn_pagetables(uint64_t share, uint64_t *rs)
{
	uint64_t maxlive = share / (8 * KIB), nslots = 4 * maxlive, nlive = 0;
	unsigned char *live = calloc(nslots ? nslots : 1, 1);
	char *base;

	if (!live || !maxlive)
		_exit(1);
	/* Without THP, so that a touch costs a page table, not 2 MiB. */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	base = mmap(NULL, (nslots + 1) * 2 * MIB, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		_exit(1);
	base = (char *)(((uintptr_t)base + 2 * MIB - 1) & ~(uintptr_t)(2 * MIB - 1));
	for (;;) {
		uint64_t i = xorshift(rs) % nslots;
		char *p = base + i * 2 * MIB;

		if (live[i]) {
			/* A new mapping over the slot frees its page and table. */
			if (mmap(p, 2 * MIB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				 MAP_FIXED, -1, 0) == MAP_FAILED)
				_exit(1);
			live[i] = 0;
			nlive--;
		} else if (nlive < maxlive) {
			p[(xorshift(rs) % 512) * 4096] = 1;
			live[i] = 1;
			nlive++;
		}
	}
}

/* Raise the descriptor limit to @want if possible; return what it is. */
static uint64_t fd_limit(uint64_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 256;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		getrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur;
}

/*
 * Pipes (@sockets false) or AF_UNIX socket pairs, each filled until the
 * writer would block, and closed again at random.
 */
static void churn_fds(uint64_t share, uint64_t *rs, bool sockets)
{
	uint64_t per = sockets ? 320 * KIB : 68 * KIB;
	uint64_t max = share / per, n = 0, lim, i;
	int (*fds)[2];

	if (max < 1)
		max = 1;
	lim = fd_limit(2 * max + 64);
	if (2 * max + 64 > lim)
		max = lim > 96 ? (lim - 64) / 2 : 16;
	fds = malloc(2 * max * sizeof(*fds));
	if (!fds)
		_exit(1);
	for (i = 0; i < 2 * max; i++)
		fds[i][0] = fds[i][1] = -1;
	for (;;) {
		int *f;

		i = xorshift(rs) % (2 * max);
		f = fds[i];
		if (f[0] >= 0) {
			close(f[0]);
			close(f[1]);
			f[0] = f[1] = -1;
			n--;
			continue;
		}
		if (n >= max)
			continue;
		if (sockets ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, f) :
			      pipe2(f, O_NONBLOCK)) {
			f[0] = f[1] = -1;
			usleep(10000);
			continue;
		}
		/* Pipe buffers are pages of 4 KiB; skbs of up to 64 KiB. */
		while (write(f[1], fill, sockets ? sizeof(fill) : 4096) > 0)
			;
		n++;
	}
}

static void churn_pipes(uint64_t share, uint64_t *rs)
{
	churn_fds(share, rs, false);
}

static void churn_sockets(uint64_t share, uint64_t *rs)
{
	churn_fds(share, rs, true);
}

static const char *fio_path;
/* stress/fio/guest-install.sh puts it there. */
#define FIO_SHIM	"/usr/lib/gpool/gpool_fio_shim.so"

/* fio writing files on the tmpfs, unlinking them after each loop. */
static void churn_fio(uint64_t share, uint64_t *rs)
{
	char dir[96], size[32], log[96];
	int fd;

	snprintf(dir, sizeof(dir), "--directory=%s/fio", churn_dir);
	snprintf(size, sizeof(size), "--size=%lum", share / MIB ? share / MIB : 1);
	/* Its output, for the report if it dies early (gpool_print_tail()). */
	snprintf(log, sizeof(log), "%s/fio.log", churn_dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	/*
	 * fio keeps its jobs' state in a System V segment, and the guest's
	 * kernel has no SysV IPC: stress/fio's shim emulates shmget() with a
	 * memfd (and does nothing else for files that are not /gpool/...).
	 */
	if (!access(FIO_SHIM, R_OK))
		setenv("LD_PRELOAD", FIO_SHIM, 1);
	execl(fio_path, "fio", "--name=frag", dir, size, "--nrfiles=16",
	      "--rw=randwrite", "--bs=16k", "--ioengine=psync",
	      "--file_service_type=random", "--loops=1000000",
	      "--unlink_each_loop=1", "--thread", (char *)NULL);
	_exit(127);
}

struct worker {
	const char *name;
	void (*fn)(uint64_t share, uint64_t *rs);
	unsigned int percent;		/* of the budget */
	pid_t pid;
	bool died;			/* before it was stopped */
	int status;
};

enum { W_PAGECACHE, W_FIO, W_SLAB, W_PAGETABLES, W_PIPES, W_SOCKETS, NR_WORKERS };

static struct worker workers[NR_WORKERS] = {
	[W_PAGECACHE]	= { "pagecache", churn_pagecache, 40 },
	[W_FIO]		= { "fio", churn_fio, 0 },
	[W_SLAB]	= { "slab", churn_slab, 10 },
	[W_PAGETABLES]	= { "pagetables", churn_pagetables, 15 },
	[W_PIPES]	= { "pipes", churn_pipes, 20 },
	[W_SOCKETS]	= { "sockets", churn_sockets, 15 },
};

static void start_worker(struct worker *w, unsigned int idx)
{
	uint64_t rs = seed * 0x9e3779b97f4a7c15ULL + idx + 1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (pid) {
		w->pid = pid;
		return;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* Nothing of the parent's: no VM, no pool file, no control file. */
	close_range(3, ~0U, 0);
	write_str("/proc/self/oom_score_adj", "1000");
	setpriority(PRIO_PROCESS, 0, 19);
	w->fn(budget / 100 * w->percent, &rs);
	_exit(0);
}

/* Note workers that exited before being told to. */
static void check_workers(void)
{
	int i, st;

	for (i = 0; i < NR_WORKERS; i++) {
		struct worker *w = &workers[i];

		if (w->pid > 0 && waitpid(w->pid, &st, WNOHANG) == w->pid) {
			w->pid = 0;
			w->died = true;
			w->status = st;
			printf("# worker %s exited early: %s %d\n", w->name,
			       WIFSIGNALED(st) ? "signal" : "status",
			       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			if (i == W_FIO) {
				char log[128];

				snprintf(log, sizeof(log), "%s/fio.log", churn_dir);
				gpool_print_tail(log, 8, "  fio.log", false);
			}
		}
	}
}

static void stop_workers(void)
{
	bool any = false;
	int i;

	check_workers();
	for (i = 0; i < NR_WORKERS; i++)
		if (workers[i].pid > 0) {
			kill(workers[i].pid, SIGTERM);
			any = true;
		}
	if (any)
		usleep(300 * 1000);
	for (i = 0; i < NR_WORKERS; i++) {
		if (workers[i].pid <= 0)
			continue;
		kill(workers[i].pid, SIGKILL);
		waitpid(workers[i].pid, NULL, 0);
		workers[i].pid = 0;
	}
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void remove_churn_dir(void)
{
	if (churn_dir[0])
		nftw(churn_dir, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

static void make_churn_dir(void)
{
	static const char * const subs[] = { "pc", "slab" };
	char path[128];
	size_t s;
	int i;

	snprintf(churn_dir, sizeof(churn_dir), "/tmp/gpool_frag.%d", parent);
	TEST_ASSERT(!mkdir(churn_dir, 0700), "mkdir %s: %s", churn_dir,
		    strerror(errno));
	for (s = 0; s < 2; s++) {
		snprintf(path, sizeof(path), "%s/%s", churn_dir, subs[s]);
		TEST_ASSERT(!mkdir(path, 0700), "mkdir %s", path);
		for (i = 0; i < 16; i++) {
			snprintf(path, sizeof(path), "%s/%s/%02d", churn_dir,
				 subs[s], i);
			TEST_ASSERT(!mkdir(path, 0700), "mkdir %s", path);
		}
	}
	snprintf(path, sizeof(path), "%s/fio", churn_dir);
	TEST_ASSERT(!mkdir(path, 0700), "mkdir %s", path);
}

/* Everything the program changed, put back; also on a failed assert. */
static void cleanup(void)
{
	int nid;

	if (getpid() != parent)
		return;
	stop_workers();
	remove_churn_dir();
	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (grown[nid] && !gpool_ctl_resize(ctl, false, nid, grown[nid]))
			grown[nid] = 0;
	if (hugetlb_orig >= 0 && hugetlb_read() != hugetlb_orig)
		hugetlb_write(hugetlb_orig);
}

static void on_signal(int sig)
{
	cleanup();
	_exit(128 + sig);
}

/* Is @path a fio that runs (a static guest may carry a broken one)? */
static bool fio_works(const char *path)
{
	pid_t pid;
	int st;

	if (access(path, X_OK))
		return false;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return false;
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execl(path, "fio", "--version", (char *)NULL);
		_exit(127);
	}
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st);
}

/* ---- the requests ---- */

enum { SRC_POOL, SRC_HUGETLB, SRC_GROW, SRC_SHRINK, NR_SRC };

static const char * const src_name[NR_SRC] = {
	"pool", "hugetlb runtime", "GROW", "SHRINK",
};

struct epoch {
	char cond[64];
	double t;			/* seconds since the churn started */
	uint64_t memfree_kb;
	uint64_t order10[MAX_NODES], unmovable[MAX_NODES];
	int n[NR_SRC], ok[NR_SRC];
	double ok_ms[NR_SRC][MAX_K], fail_ms[NR_SRC][MAX_K];
};

static struct epoch epochs[MAX_EPOCHS];
static bool node_seen[MAX_NODES];

static void record(struct epoch *ep, int src, bool ok, double ms)
{
	ep->n[src]++;
	if (ok)
		ep->ok_ms[src][ep->ok[src]++] = ms;
	else
		ep->fail_ms[src][ep->n[src] - ep->ok[src] - 1] = ms;
}

/* A 1 GiB pool file of one 1G unit on @nid, fallocate()d, closed. */
static void req_pool(struct epoch *ep, int nid)
{
	struct gpool_create_guest_memfd args = {
		.size = GIB,
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_1G,
		.numa_mode = GPOOL_NUMA_BIND,
		.numa_nodes = 1ULL << nid,
	};
	struct gpool_file_info fi;
	double t;
	bool ok;
	int fd;

	wait_for_zeroer(nid);
	t = bench_now_ms();
	fd = __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	if (fd < 0) {
		TEST_ASSERT(errno == ENOMEM, "KVM_CREATE_GUEST_MEMFD: %s",
			    strerror(errno));
		record(ep, SRC_POOL, false, bench_now_ms() - t);
		return;
	}
	/* The file's memory is reserved: filling it cannot run short. */
	TEST_ASSERT(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, GIB),
		    "fallocate of a pool file: %s", strerror(errno));
	t = bench_now_ms() - t;
	ok = gpool_file_info_of(ctl, GIB, &fi) && fi.units[GPOOL_SIZE_1G] == 1;
	close(fd);
	record(ep, SRC_POOL, ok, t);
}

/*
 * One more runtime 1 GiB hugetlb page on node @nid, and back.  On the
 * node's own nr_hugepages, as GROW asks for its node: the global file
 * would try every node in turn until one has a free GiB, which GROW (and
 * a VM bound to a node) cannot.
 */
static void req_hugetlb(struct epoch *ep, int nid)
{
	long n0 = hugetlb_read_node(nid), n1;
	double t;
	int r;

	TEST_ASSERT(n0 >= 0, "read %s", hugetlb_path(nid));
	t = bench_now_ms();
	r = hugetlb_write_node(nid, n0 + 1);
	t = bench_now_ms() - t;
	n1 = hugetlb_read_node(nid);
	if (r && !hugetlb_note[0])
		snprintf(hugetlb_note, sizeof(hugetlb_note),
			 "writing nr_hugepages failed: %s", strerror(-r));
	record(ep, SRC_HUGETLB, n1 == n0 + 1, t);
	if (n1 != n0) {
		TEST_ASSERT(!hugetlb_write_node(nid, n0) &&
			    hugetlb_read_node(nid) == n0,
			    "node %d nr_hugepages (1G) not back to %ld", nid, n0);
	}
}

/* GPOOL_IOC_GROW of 1 GiB on @nid, and GPOOL_IOC_SHRINK of it. */
static void req_grow(struct epoch *ep, int nid)
{
	double t = bench_now_ms();
	int r = gpool_ctl_resize(ctl, true, nid, GIB), tries;

	t = bench_now_ms() - t;
	if (r == -ENOMEM) {
		record(ep, SRC_GROW, false, t);
		return;
	}
	TEST_ASSERT(!r, "GPOOL_IOC_GROW of 1 GiB on node %d: %s", nid,
		    strerror(-r));
	record(ep, SRC_GROW, true, t);
	grown[nid] += GIB;

	/* EBUSY while the zeroer holds part of the piece: try again. */
	t = bench_now_ms();
	for (tries = 0;; tries++) {
		r = gpool_ctl_resize(ctl, false, nid, GIB);
		if (r != -EBUSY || tries >= 300)
			break;
		usleep(100 * 1000);
	}
	t = bench_now_ms() - t;
	TEST_ASSERT(!r, "GPOOL_IOC_SHRINK of 1 GiB on node %d: %s", nid,
		    strerror(-r));
	grown[nid] -= GIB;
	record(ep, SRC_SHRINK, true, t);
}

static void measure(struct epoch *ep, const char *cond, double t0)
{
	int k;

	snprintf(ep->cond, sizeof(ep->cond), "%s", cond);
	ep->t = t0 ? now_s() - t0 : 0;
	ep->memfree_kb = meminfo_kb("MemFree");
	read_buddy(ep->order10, node_seen);
	read_unmovable(ep->unmovable);
	for (k = 0; k < nr_req; k++) {
		int nid = nr_pool_nodes ? pool_nodes[k % nr_pool_nodes] : 0;

		if (!no_pool)
			req_pool(ep, nid);
		if (hugetlb_orig >= 0)
			req_hugetlb(ep, nid);
		if (can_grow)
			req_grow(ep, nid);
	}
	printf("# %-30s t=%6.0fs MemFree %6lu MiB: pool %d/%d, hugetlb %d/%d, "
	       "GROW %d/%d\n", ep->cond, ep->t, ep->memfree_kb / 1024,
	       ep->ok[SRC_POOL], ep->n[SRC_POOL], ep->ok[SRC_HUGETLB],
	       ep->n[SRC_HUGETLB], ep->ok[SRC_GROW], ep->n[SRC_GROW]);
	fflush(stdout);
}

/* ---- the report ---- */

static void src_results(const char *cond, int src, int n, int ok,
			const double *ok_ms, const double *fail_ms)
{
	double rate = n ? 100.0 * ok / n : 0;
	struct bench_stat s = { rate, rate, rate, n };

	if (!n)
		return;
	if (src != SRC_SHRINK)
		bench_result(SECTION, src_name[src], cond, "success", "percent", s);
	if (ok)
		bench_result_v(SECTION, src_name[src], cond, "latency", "ms",
			       ok_ms, ok);
	if (n > ok)
		bench_result_v(SECTION, src_name[src], cond, "fail_latency", "ms",
			       fail_ms, n - ok);
}

static void cell(char *buf, size_t len, const struct epoch *ep, int src)
{
	struct bench_stat s = bench_stat_of(ep->ok_ms[src], ep->ok[src]);

	if (!ep->n[src])
		snprintf(buf, len, "-");
	else if (!ep->ok[src])
		snprintf(buf, len, "0/%d", ep->n[src]);
	else
		snprintf(buf, len, "%d/%d %.0f (%.0f-%.0f)", ep->ok[src],
			 ep->n[src], s.median, s.min, s.max);
}

static void report(int nr, const char *note)
{
	static double all_ok[NR_SRC][MAX_K * MAX_EPOCHS];
	static double all_fail[NR_SRC][MAX_K * MAX_EPOCHS];
	int fail_all[NR_SRC] = { 0 }, ok_all[NR_SRC] = { 0 };
	char c[NR_SRC][48], o10[48], unm[48], cond[64];
	int e, s, nid, i;

	printf("\n%-28s %6s %8s %14s %14s %-22s %-22s %-22s %-18s\n", "epoch",
	       "t (s)", "MemFree", "order10/node", "unmov pb/node",
	       "pool ok/n ms", "hugetlb ok/n ms", "GROW ok/n ms", "SHRINK ms");
	for (e = 0; e < nr; e++) {
		const struct epoch *ep = &epochs[e];
		size_t l1 = 0, l2 = 0;

		o10[0] = unm[0] = 0;
		for (nid = 0; nid < MAX_NODES; nid++) {
			if (!node_seen[nid])
				continue;
			l1 += snprintf(o10 + l1, sizeof(o10) - l1, "%s%lu",
				       l1 ? "/" : "", ep->order10[nid]);
			l2 += snprintf(unm + l2, sizeof(unm) - l2, "%s%lu",
				       l2 ? "/" : "", ep->unmovable[nid]);
		}
		for (s = 0; s < NR_SRC; s++)
			cell(c[s], sizeof(c[s]), ep, s);
		printf("%-28s %6.0f %4lu MiB %14s %14s %-22s %-22s %-22s %-18s\n",
		       ep->cond, ep->t, ep->memfree_kb / 1024, o10, unm, c[0], c[1],
		       c[2], c[3]);
	}

	printf("@section {\"section\":\"" SECTION "\",\"title\":\"1 GiB units "
	       "under fragmentation: the boot pool, a runtime hugetlb page, "
	       "GPOOL_IOC_GROW\",\"note\":\"%s\"}\n", note);
	for (e = 0; e < nr; e++) {
		const struct epoch *ep = &epochs[e];

		for (s = 0; s < NR_SRC; s++)
			src_results(ep->cond, s, ep->n[s], ep->ok[s], ep->ok_ms[s],
				    ep->fail_ms[s]);
		for (nid = 0; nid < MAX_NODES; nid++) {
			char name[32];

			if (!node_seen[nid])
				continue;
			snprintf(name, sizeof(name), "buddyinfo node%d", nid);
			bench_result1(SECTION, name, ep->cond, "buddy_order10",
				      "count", ep->order10[nid]);
			bench_result1(SECTION, name, ep->cond,
				      "unmovable_pageblocks", "count",
				      ep->unmovable[nid]);
		}
		bench_result1(SECTION, "memory", ep->cond, "memfree", "MiB",
			      ep->memfree_kb / 1024.0);
	}
	/* Every epoch under churn together. */
	for (e = 1; e <= nr_epochs && e < nr; e++) {
		const struct epoch *ep = &epochs[e];

		for (s = 0; s < NR_SRC; s++) {
			for (i = 0; i < ep->ok[s]; i++)
				all_ok[s][ok_all[s]++] = ep->ok_ms[s][i];
			for (i = 0; i < ep->n[s] - ep->ok[s]; i++)
				all_fail[s][fail_all[s]++] = ep->fail_ms[s][i];
		}
	}
	snprintf(cond, sizeof(cond), "epochs 1-%d under churn", nr_epochs);
	for (s = 0; s < NR_SRC; s++)
		src_results(cond, s, ok_all[s] + fail_all[s], ok_all[s],
			    all_ok[s], all_fail[s]);
}

/* ---- main ---- */

static void usage(const char *argv0)
{
	printf("usage: %s [-t seconds] [-e epochs] [-r requests] [-m MiB] "
	       "[-s seed] [-P] [-h]\n"
	       "  -t seconds  churn time in all (default 120)\n"
	       "  -e epochs   churn epochs, each followed by requests (default 4)\n"
	       "  -r n        requests per source per epoch (default 4, max %d)\n"
	       "  -m MiB      churn budget (default MemAvailable / 4, at most 1024)\n"
	       "  -s seed     of the workers' random choices (default: the clock)\n"
	       "  -P          without the pool: churn and hugetlb only\n"
	       "  -h          this help\n", argv0, MAX_K);
}

int main(int argc, char **argv)
{
	struct gpool_holdings before, after;
	struct gpool_info_args info;
	struct sigaction sa = { .sa_handler = on_signal };
	char note[1024], cond[64];
	double t0, per;
	size_t len;
	int opt, e, nid, i, r, nr;
	struct statfs sfs;

	seed = time(NULL);
	while ((opt = getopt(argc, argv, "t:e:r:m:s:Ph")) != -1) {
		switch (opt) {
		case 't':
			churn_secs = atof(optarg);
			break;
		case 'e':
			nr_epochs = atoi(optarg);
			break;
		case 'r':
			nr_req = atoi(optarg);
			break;
		case 'm':
			budget = strtoull(optarg, NULL, 0) * MIB;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'P':
			no_pool = true;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 1;
		}
	}
	if (churn_secs < 0 || nr_epochs < 1 || nr_epochs > MAX_EPOCHS - 2 ||
	    nr_req < 1 || nr_req > MAX_K) {
		usage(argv[0]);
		return 1;
	}
	parent = getpid();

	if (!no_pool) {
		TEST_REQUIRE(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) &
			     GUEST_MEMFD_FLAG_GPOOL);
		ctl = gpool_ctl_open(NULL, true);
		TEST_REQUIRE(ctl >= 0);
		r = gpool_ctl_info(ctl, &info);
		TEST_ASSERT(!r, "GPOOL_IOC_INFO: %s", strerror(-r));
		for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
			if (info.node_mask & (1ULL << nid))
				pool_nodes[nr_pool_nodes++] = nid;
		TEST_REQUIRE(nr_pool_nodes > 0);
		can_grow = info.pool_flags & GPOOL_INFO_F_CAN_RESIZE;
		vm = vm_create_barebones_type(KVM_X86_SW_PROTECTED_VM);
		gpool_holdings(ctl, &before);
	}
	hugetlb_orig = hugetlb_read();
	if (hugetlb_orig < 0)
		snprintf(hugetlb_note, sizeof(hugetlb_note),
			 "no %s", HUGETLB_1G);
	for (i = 0; i < 2 && !fio_path; i++)
		if (fio_works(i ? "/bin/fio" : "/usr/bin/fio"))
			fio_path = i ? "/bin/fio" : "/usr/bin/fio";
	if (fio_path) {
		workers[W_FIO].percent = 15;
		workers[W_PAGECACHE].percent = 25;
	}
	if (!budget) {
		budget = meminfo_kb("MemAvailable") * KIB / 4;
		if (budget > GIB)
			budget = GIB;
	}
	for (i = 0; i < (int)sizeof(fill); i++)
		fill[i] = 0x5a ^ i;

	/* The workers are the ones the OOM killer should pick. */
	write_str("/proc/self/oom_score_adj", "-1000");
	make_churn_dir();
	atexit(cleanup);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	printf("gpool_frag_bench: seed %lu, churn %.0f s in %d epochs, budget %lu "
	       "MiB, %d requests per source per epoch, %s%s\n", seed, churn_secs,
	       nr_epochs, budget / MIB, nr_req, fio_path ? "fio " : "no fio",
	       fio_path ? fio_path : "");
	if (!statfs("/tmp", &sfs) && sfs.f_type != TMPFS_MAGIC)
		printf("# /tmp is not a tmpfs: the page cache churn writes to it "
		       "anyway\n");
	if (!no_pool && !can_grow)
		printf("# GPOOL_INFO_F_CAN_RESIZE is clear: no GROW requests\n");
	if (hugetlb_note[0])
		printf("# hugetlb: %s\n", hugetlb_note);

	nr = 0;
	measure(&epochs[nr++], "before churn", 0);
	t0 = now_s();
	for (i = 0; i < NR_WORKERS; i++)
		if (workers[i].percent)
			start_worker(&workers[i], i);
	per = churn_secs / nr_epochs;
	for (e = 1; e <= nr_epochs; e++) {
		double until = t0 + e * per;

		while (now_s() < until)
			usleep(200 * 1000);
		check_workers();
		snprintf(cond, sizeof(cond), "epoch %d (t=%.0fs)", e, now_s() - t0);
		measure(&epochs[nr++], cond, t0);
	}
	stop_workers();
	remove_churn_dir();
	TEST_ASSERT(access(churn_dir, F_OK), "%s is still there", churn_dir);
	measure(&epochs[nr++], "after churn stopped", t0);

	len = snprintf(note, sizeof(note),
		       "churn: tmpfs page cache, %sslab (empty files), page tables, "
		       "pipe buffers, unix-socket queues within %lu MiB, nice 19, "
		       "for %.0f s in %d epochs, still running during each epoch's "
		       "requests; each request takes 1 GiB and gives it back at "
		       "once; pool pre-zeroed; latencies emulated (TCG)",
		       fio_path ? "fio, " : "", budget / MIB, churn_secs, nr_epochs);
	if (hugetlb_note[0])
		len += snprintf(note + len, sizeof(note) - len, "; hugetlb: %s",
				hugetlb_note);
	if (!no_pool && !can_grow)
		len += snprintf(note + len, sizeof(note) - len,
				"; no GROW: CAN_RESIZE clear");
	for (i = 0; i < NR_WORKERS; i++)
		if (workers[i].died)
			len += snprintf(note + len, sizeof(note) - len,
					"; worker %s died early (%s %d)",
					workers[i].name,
					WIFSIGNALED(workers[i].status) ? "signal" :
					"status",
					WIFSIGNALED(workers[i].status) ?
					WTERMSIG(workers[i].status) :
					WEXITSTATUS(workers[i].status));
	report(nr, note);

	/* As found: hugetlb, the pool. */
	if (hugetlb_orig >= 0)
		TEST_ASSERT(hugetlb_read() == hugetlb_orig,
			    "nr_hugepages (1G) %ld, was %ld", hugetlb_read(),
			    hugetlb_orig);
	if (!no_pool) {
		/* SHRINK gave back the grown piece, not boot memory. */
		gpool_holdings(ctl, &after);
		gpool_assert_holdings(&before, &after);
		kvm_vm_free(vm);
		close(ctl);
	}
	printf("\ngpool_frag_bench: workers reaped, files removed, "
	       "nr_hugepages and the pool as found\n");
	return 0;
}
