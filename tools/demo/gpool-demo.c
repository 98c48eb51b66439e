// SPDX-License-Identifier: GPL-2.0
/*
 * gpool-demo - a tiny KVM VMM exercising guest_memfd private memory.
 *
 * It runs on an unmodified Linux 6.12 KVM (x86_64) and, once gpool backs
 * guest_memfd with its boot-reserved hugepage pool, shows the pool at work:
 * a 1 GiB unit mapped by KVM with one 1G SPTE, split to convert a single 4K
 * page to shared and merged back when the page becomes private again.
 *
 * Flow
 * ----
 * setup
 *   - open /dev/kvm and check KVM_CAP_VM_TYPES (KVM_X86_SW_PROTECTED_VM),
 *     KVM_CAP_GUEST_MEMFD, KVM_CAP_MEMORY_ATTRIBUTES (PRIVATE), then create
 *     a KVM_X86_SW_PROTECTED_VM;
 *   - choose the backing of slot 1: if KVM_CAP_GUEST_MEMFD_FLAGS on the VM
 *     reports GUEST_MEMFD_FLAG_GPOOL (and -P is not given), the guest_memfd
 *     is created with that flag and folio_shift -f SHIFT (default 30, 1G),
 *     default size 1 GiB; otherwise it is a plain guest_memfd, default size
 *     64 MiB;
 *   - slot 0: GPA 0, 2 MiB of anonymous memory (shared) holding the guest code;
 *   - slot 1: GPA 1 GiB, SIZE bytes of guest_memfd, plus an anonymous mapping
 *     for the shared view, aligned to 1 GiB like the GPA so that KVM does not
 *     forbid huge mappings for the slot.  All of slot 1 is then made PRIVATE
 *     with KVM_SET_MEMORY_ATTRIBUTES;
 *   - one vCPU in 32-bit protected mode, paging off, flat 4 GiB segments set
 *     through KVM_SET_SREGS, so the guest reaches every GPA below 4 GiB.
 *
 * guest <-> VMM protocol (the guest code is the byte array guest_code[])
 *   The guest reports with "out 0xf0, al" (a KVM_EXIT_IO); the VMM reads the
 *   report with KVM_GET_REGS, writes the next command with KVM_SET_REGS and
 *   resumes the vCPU, which executes the command and reports again:
 *     command: eax = GCMD_*, ebx = first GPA, ecx = number of 4K pages,
 *              edx = key (the pattern of a page is GPA ^ key);
 *     report:  eax = GSTAT_OK | command (GSTAT_BAD | command if unknown),
 *              esi = number of bad pages, edi = number of pages processed.
 *   GCMD_WRITE stores the pattern in the first dword of every page,
 *   GCMD_VERIFY counts pages whose first dword is not the pattern,
 *   GCMD_ZERO counts pages that are not entirely zero, GCMD_HALT executes hlt.
 *
 * phases (R = the one 4K page at offset 2M + 4K of slot 1)
 *   a. the guest writes pattern A to every page of slot 1 (private memory);
 *   b. the guest verifies pattern A: no mismatch allowed;
 *   c. R becomes shared (attributes 0, then the private page is punched out
 *      of the guest_memfd, as QEMU does: the pool splits the unit holding
 *      it); the guest writes and verifies pattern C in R and pattern A in the
 *      rest of slot 1, and the VMM must find exactly pattern C in its own
 *      mapping of R, while the private pages never show up in that mapping;
 *   d. R becomes private again: attributes PRIVATE, the VMM discards the
 *      shared page (MADV_DONTNEED) and allocates R in the guest_memfd again
 *      (fallocate), which is what lets the pool merge the unit back; the
 *      guest must see R entirely zero (freed memory never comes back) and
 *      pattern A everywhere else;
 *   e. the guest writes pattern A to R again and verifies all of slot 1.
 *
 * After each phase the VM's mapping counts (pages_4k/2m/1g) and exits are read
 * from /sys/kernel/debug/kvm/<pid>-<vmfd>/ (or the global files).  If
 * /sys/kernel/mm/gpool exists, its counters are shown as a compact table
 * before the run, as changes after each phase, and after the run; when the
 * pool backs slot 1, phase c must split a unit and phase d must merge it
 * back (and KVM must map R's 1G again), and after the VM and the guest_memfd
 * are closed the pool's allocated/reserved counts must be what they were
 * before the run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <linux/falloc.h>
#include <linux/gpool.h>
#include <linux/kvm.h>

#ifndef KVM_CAP_GUEST_MEMFD_FLAGS
#define KVM_CAP_GUEST_MEMFD_FLAGS	244
#endif

#define KiB			(1ULL << 10)
#define MiB			(1ULL << 20)
#define GiB			(1ULL << 30)
#define PAGE_SIZE		4096ULL

#define SLOT0_GPA		0ULL
#define SLOT0_SIZE		(2 * MiB)
#define CODE_GPA		0x1000ULL
#define SLOT1_GPA		(1 * GiB)
#define SLOT1_DEFAULT_PLAIN	(64 * MiB)	/* plain guest_memfd */
#define SLOT1_DEFAULT_POOL	(1 * GiB)	/* GUEST_MEMFD_FLAG_GPOOL */
#define SLOT1_MIN_SIZE		(4 * MiB)
#define SLOT1_MAX_SIZE		(4 * GiB - SLOT1_GPA)	/* 32-bit guest */
#define SLOT1_ALIGN		(2 * MiB)
#define CONV_OFF		(2 * MiB + PAGE_SIZE)	/* R, converted in c/d */
#define CONV_LEN		PAGE_SIZE

#define KEY_A			0x5a5a5a5aU
#define KEY_C			0xc3a5c3a5U

#define GUEST_PORT		0xf0
#define GSTAT_OK		0x600d0000U
#define GSTAT_BAD		0x0bad0000U
#define GCMD_READY		0	/* only ever reported, at start-up */
#define GCMD_WRITE		1
#define GCMD_VERIFY		2
#define GCMD_ZERO		3
#define GCMD_HALT		4

#define CR0_PE			(1ULL << 0)
#define CR0_ET			(1ULL << 4)

#define KVM_DEBUGFS		"/sys/kernel/debug/kvm"
#define GPOOL_SYSFS		"/sys/kernel/mm/gpool"
#define MAX_SHOWN_BAD		4
#define POOL_MAX_NODES		32
#define POOL_MAX_ROWS		(POOL_MAX_NODES * 3)	/* node x 1G/2M/4K */

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(cond)	((void)sizeof(char[1 - 2 * !!(cond)]))
#define __printf(a, b)		__attribute__((format(printf, a, b)))

/*
 * The guest, 32-bit code loaded at CODE_GPA.  Offsets on the left; the source
 * can be reassembled with "as --32" (.code32, .intel_syntax noprefix).
 */
static const unsigned char guest_code[] = {
	/* 00 start:                                                        */
	0xb8, 0x00, 0x00, 0x0d, 0x60,	/* mov  eax, 0x600d0000 (READY)  */
	/* 05 report:                                                       */
	0xe6, 0xf0,			/* out  0xf0, al  -> KVM_EXIT_IO    */
	0x31, 0xf6,			/* xor  esi, esi                    */
	0x31, 0xff,			/* xor  edi, edi                    */
	0x83, 0xf8, 0x01,		/* cmp  eax, GCMD_WRITE             */
	0x74, 0x19,			/* je   do_write (0x29)             */
	0x83, 0xf8, 0x02,		/* cmp  eax, GCMD_VERIFY            */
	0x74, 0x2b,			/* je   do_verify (0x40)            */
	0x83, 0xf8, 0x03,		/* cmp  eax, GCMD_ZERO              */
	0x74, 0x40,			/* je   do_zero (0x5a)              */
	0x83, 0xf8, 0x04,		/* cmp  eax, GCMD_HALT              */
	0x74, 0x07,			/* je   do_halt (0x26)              */
	0x0d, 0x00, 0x00, 0xad, 0x0b,	/* or   eax, 0x0bad0000             */
	0xeb, 0xdf,			/* jmp  report (0x05)               */
	/* 26 do_halt:                                                      */
	0xf4,				/* hlt  -> KVM_EXIT_HLT             */
	0xeb, 0xfd,			/* jmp  do_halt (0x26)              */
	/* 29 do_write:                                                     */
	0x85, 0xc9,			/* test ecx, ecx                    */
	0x74, 0x52,			/* je   done (0x7f)                 */
	/* 2d w_loop:                                                       */
	0x89, 0xdd,			/* mov  ebp, ebx                    */
	0x31, 0xd5,			/* xor  ebp, edx                    */
	0x89, 0x2b,			/* mov  [ebx], ebp                  */
	0x81, 0xc3, 0x00, 0x10, 0x00, 0x00, /* add ebx, 0x1000              */
	0x47,				/* inc  edi                         */
	0x39, 0xcf,			/* cmp  edi, ecx                    */
	0x72, 0xef,			/* jb   w_loop (0x2d)               */
	0xeb, 0x3f,			/* jmp  done (0x7f)                 */
	/* 40 do_verify:                                                    */
	0x85, 0xc9,			/* test ecx, ecx                    */
	0x74, 0x3b,			/* je   done (0x7f)                 */
	/* 44 v_loop:                                                       */
	0x89, 0xdd,			/* mov  ebp, ebx                    */
	0x31, 0xd5,			/* xor  ebp, edx                    */
	0x39, 0x2b,			/* cmp  [ebx], ebp                  */
	0x74, 0x01,			/* je   v_ok (0x4d)                 */
	0x46,				/* inc  esi                         */
	/* 4d v_ok:                                                         */
	0x81, 0xc3, 0x00, 0x10, 0x00, 0x00, /* add ebx, 0x1000              */
	0x47,				/* inc  edi                         */
	0x39, 0xcf,			/* cmp  edi, ecx                    */
	0x72, 0xec,			/* jb   v_loop (0x44)               */
	0xeb, 0x25,			/* jmp  done (0x7f)                 */
	/* 5a do_zero:                                                      */
	0x85, 0xc9,			/* test ecx, ecx                    */
	0x74, 0x21,			/* je   done (0x7f)                 */
	/* 5e z_page:                                                       */
	0x31, 0xed,			/* xor  ebp, ebp                    */
	/* 60 z_dword:                                                      */
	0x83, 0x3c, 0x2b, 0x00,		/* cmp  dword [ebx + ebp], 0        */
	0x75, 0x0d,			/* jne  z_bad (0x73)                */
	0x83, 0xc5, 0x04,		/* add  ebp, 4                      */
	0x81, 0xfd, 0x00, 0x10, 0x00, 0x00, /* cmp ebp, 0x1000              */
	0x72, 0xef,			/* jb   z_dword (0x60)              */
	0xeb, 0x01,			/* jmp  z_next (0x74)               */
	/* 73 z_bad:                                                        */
	0x46,				/* inc  esi                         */
	/* 74 z_next:                                                       */
	0x81, 0xc3, 0x00, 0x10, 0x00, 0x00, /* add ebx, 0x1000              */
	0x47,				/* inc  edi                         */
	0x39, 0xcf,			/* cmp  edi, ecx                    */
	0x72, 0xdf,			/* jb   z_page (0x5e)               */
	/* 7f done:                                                         */
	0x0d, 0x00, 0x00, 0x0d, 0x60,	/* or   eax, 0x600d0000             */
	0xe9, 0x7c, 0xff, 0xff, 0xff,	/* jmp  report (0x05)               */
};

enum { ST_4K, ST_2M, ST_1G, ST_EXITS, NR_STATS };

static const char *const stat_names[NR_STATS] = {
	"pages_4k", "pages_2m", "pages_1g", "exits",
};

struct kstats {
	long long v[NR_STATS];		/* -1: not available */
};

/* The columns of the compact pool table, files of node<N>/<size>/. */
enum {
	PF_TOTAL, PF_FREE, PF_ALLOCATED, PF_RESERVED, PF_SPLIT, PF_NR_SPLITS,
	PF_NR_MERGES, NR_PF
};

static const char *const pool_fields[NR_PF] = {
	"total", "free", "allocated", "reserved", "split", "nr_splits",
	"nr_merges",
};

/* Files of node<N>/. */
enum { PN_NR_PAGES, PN_BAD_PAGES, PN_POISON_PENDING, NR_PN };

static const char *const pool_node_fields[NR_PN] = {
	"nr_pages", "bad_pages", "poison_pending",
};

struct pool_row {			/* node<nid>/<size>/ */
	int nid;
	char size[8];			/* directory name: "1G", "2M", "4K" */
	__u64 bytes;			/* the size it names */
	long long v[NR_PF];		/* -1: unreadable */
};

struct pool_node {			/* node<nid>/ */
	int nid;
	long long v[NR_PN];		/* -1: unreadable */
};

/* One reading of /sys/kernel/mm/gpool. */
struct pool_snap {
	int present;			/* 1, 0 (no pool) or -errno */
	bool truncated;			/* more nodes or sizes than fit */
	char mode[32];
	long long metadata_bytes;	/* -1: unreadable */
	int nr_nodes, nr_rows;
	struct pool_node node[POOL_MAX_NODES];
	struct pool_row row[POOL_MAX_ROWS];	/* by node, largest size first */
};

struct phase {
	const char *name;
	double guest_ms;		/* time spent running guest commands */
	double vmm_ms;			/* time of VMM-side conversions, or < 0 */
	unsigned long uexits;		/* exits to this VMM */
	unsigned long bad;		/* mismatches detected */
	char fail[160];			/* first failed check, or empty */
	struct kstats before, after;
	struct pool_snap pool_before, pool_after;
};

struct opts {
	__u64 size;			/* -s; 0: default for the backing */
	unsigned int folio_shift;	/* -f; 0: not given */
	bool plain;			/* -P */
};

struct vm {
	int kvm_fd, vm_fd, vcpu_fd, gmem_fd;
	struct kvm_run *run;
	size_t run_size;
	void *slot0;			/* host view of slot 0 */
	unsigned char *shared;		/* host (shared) view of slot 1 */
	__u64 size;			/* size of slot 1 */
	unsigned long uexits;		/* all exits to this VMM */
	char stats_dir[128];		/* empty: no statistics */
	bool stats_per_vm;
	bool pool_present;		/* /sys/kernel/mm/gpool exists */
	bool gpool_flag;		/* created with GUEST_MEMFD_FLAG_GPOOL */
	bool gpool;			/* the pool backs slot 1 (flag or default) */
	unsigned int folio_shift;	/* if gpool */
	const char *backing;		/* how slot 1 is backed, and why */
	const struct phase *conv;	/* phase c, for phase d's checks */
};

static bool quiet;

/* ---------------------------------------------------------------- output */

static void __printf(1, 2) say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* say(), or printf() if @always: for what the summary shows even with -q. */
static void __printf(2, 3) out(bool always, const char *fmt, ...)
{
	va_list ap;

	if (quiet && !always)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void __printf(1, 2) pr_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("gpool-demo: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Like pr_err(), with ": strerror(errno)" appended. */
static void __printf(1, 2) pr_sys(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fflush(stdout);
	fputs("gpool-demo: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
}

static double now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void fmt_ll(char *buf, size_t len, long long v)
{
	if (v < 0)
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%lld", v);
}

static void fmt_delta(char *buf, size_t len, long long a, long long b)
{
	if (a < 0 || b < 0)
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%+lld", b - a);
}

/* ----------------------------------------------------------------- files */

/* Read a small text file; newlines become spaces, trailing blanks dropped. */
static int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	if (close(fd) < 0 && n >= 0)
		return -errno;
	if (n < 0)
		return -err;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\t')
			buf[i] = ' ';
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return 0;
}

static long long read_ll(const char *path)
{
	char buf[64], *end;
	long long v;

	if (read_text(path, buf, sizeof(buf)))
		return -1;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf || v < 0)
		return -1;
	return v;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* snprintf() into a path buffer; -1 if it does not fit. */
static int __printf(3, 4) fmt_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ------------------------------------------------------------- KVM stats */

static void stats_locate(struct vm *vm)
{
	char path[sizeof(vm->stats_dir) + 32];

	snprintf(vm->stats_dir, sizeof(vm->stats_dir), "%s/%d-%d",
		 KVM_DEBUGFS, (int)getpid(), vm->vm_fd);
	snprintf(path, sizeof(path), "%s/pages_4k", vm->stats_dir);
	if (access(path, R_OK) == 0) {
		vm->stats_per_vm = true;
		say("[stats] per-VM debugfs: %s\n", vm->stats_dir);
		return;
	}
	say("[stats] %s not found\n", vm->stats_dir);

	snprintf(vm->stats_dir, sizeof(vm->stats_dir), "%s", KVM_DEBUGFS);
	if (access(KVM_DEBUGFS "/pages_4k", R_OK) == 0) {
		say("[stats] falling back to GLOBAL counters in %s (sum over all VMs)\n",
		    vm->stats_dir);
		return;
	}
	vm->stats_dir[0] = '\0';
	say("[stats] %s/pages_4k not readable either (debugfs not mounted?): no statistics\n",
	    KVM_DEBUGFS);
}

static void stats_read(const struct vm *vm, struct kstats *s)
{
	char path[sizeof(vm->stats_dir) + 32];

	for (int i = 0; i < NR_STATS; i++) {
		s->v[i] = -1;
		if (!vm->stats_dir[0])
			continue;
		snprintf(path, sizeof(path), "%s/%s", vm->stats_dir, stat_names[i]);
		s->v[i] = read_ll(path);
	}
}

static void stats_print(const char *tag, const struct phase *ph)
{
	char v[3][24], d[24];

	for (int i = 0; i < 3; i++)
		fmt_ll(v[i], sizeof(v[i]), ph->after.v[ST_4K + i]);
	fmt_delta(d, sizeof(d), ph->before.v[ST_EXITS], ph->after.v[ST_EXITS]);
	say("[%s] KVM mappings: 4K %s, 2M %s, 1G %s; KVM exits %s, VMM exits %lu\n",
	    tag, v[0], v[1], v[2], d, ph->uexits);
}

/* "64M", "1G", "4096": bytes; K/M/G suffix. */
static int parse_size(const char *s, __u64 *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return -1;
	}
	if (shift && end[1] != '\0')
		return -1;
	if (v > (~0ULL >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* --------------------------------------------------------- gpool sysfs */

/* "node<N>" -> N, or -1. */
static int pool_node_id(const char *name)
{
	char *end;
	long v;

	if (strncmp(name, "node", 4) || name[4] < '0' || name[4] > '9')
		return -1;
	errno = 0;
	v = strtol(name + 4, &end, 10);
	if (errno || *end || v > INT_MAX)
		return -1;
	return v;
}

/* Read node<nid>/ and its <size>/ directories into @s. */
static int pool_read_node(struct pool_snap *s, int nid, const char *dir)
{
	char path[PATH_MAX];
	struct pool_node *n;
	struct dirent *de;
	int ret = 0;
	DIR *d;

	if (s->nr_nodes == POOL_MAX_NODES) {
		s->truncated = true;
		return 0;
	}
	n = &s->node[s->nr_nodes++];
	n->nid = nid;
	for (int i = 0; i < NR_PN; i++)
		n->v[i] = fmt_path(path, sizeof(path), "%s/%s", dir,
				   pool_node_fields[i]) ? -1 : read_ll(path);

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		struct pool_row *r;
		__u64 bytes;

		/* Every directory named like a size ("1G", "2M", "4K"). */
		if (parse_size(de->d_name, &bytes) || !bytes ||
		    strlen(de->d_name) >= sizeof(r->size))
			continue;
		if (fmt_path(path, sizeof(path), "%s/%s", dir, de->d_name) ||
		    !is_dir(path))
			continue;
		if (s->nr_rows == POOL_MAX_ROWS) {
			s->truncated = true;
			continue;
		}
		r = &s->row[s->nr_rows++];
		r->nid = nid;
		r->bytes = bytes;
		snprintf(r->size, sizeof(r->size), "%s", de->d_name);
		for (int i = 0; i < NR_PF; i++)
			r->v[i] = fmt_path(path, sizeof(path), "%s/%s/%s", dir,
					   de->d_name, pool_fields[i]) ?
				  -1 : read_ll(path);
	}
	if (errno)
		ret = -errno;
	if (closedir(d) < 0 && !ret)
		ret = -errno;
	return ret;
}

static int pool_row_cmp(const void *a, const void *b)
{
	const struct pool_row *x = a, *y = b;

	if (x->nid != y->nid)
		return x->nid < y->nid ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return 0;
}

static int pool_node_cmp(const void *a, const void *b)
{
	const struct pool_node *x = a, *y = b;

	return (x->nid > y->nid) - (x->nid < y->nid);
}

/*
 * Read /sys/kernel/mm/gpool: mode, metadata_bytes and every node<N>/ and
 * node<N>/<size>/ found there.  s->present is 1, 0 if there is no pool, or
 * -errno (reported) if the directory cannot be read.
 */
static int pool_read(struct pool_snap *s)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = 0, nid;
	DIR *d;

	memset(s, 0, sizeof(*s));
	if (!is_dir(GPOOL_SYSFS))
		return 0;
	if (read_text(GPOOL_SYSFS "/mode", s->mode, sizeof(s->mode)))
		snprintf(s->mode, sizeof(s->mode), "n/a");
	s->metadata_bytes = read_ll(GPOOL_SYSFS "/metadata_bytes");

	d = opendir(GPOOL_SYSFS);
	if (!d) {
		ret = -errno;
		goto out;
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		nid = pool_node_id(de->d_name);
		if (nid < 0)
			continue;
		if (!fmt_path(path, sizeof(path), "%s/%s", GPOOL_SYSFS,
			      de->d_name) && is_dir(path))
			ret = pool_read_node(s, nid, path);
	}
	if (!ret && errno)
		ret = -errno;
	if (closedir(d) < 0 && !ret)
		ret = -errno;
out:
	if (ret) {
		errno = -ret;
		pr_sys("reading %s", GPOOL_SYSFS);
		s->present = ret;
		return ret;
	}
	qsort(s->node, s->nr_nodes, sizeof(*s->node), pool_node_cmp);
	qsort(s->row, s->nr_rows, sizeof(*s->row), pool_row_cmp);
	s->present = 1;
	return 1;
}

static const struct pool_row *pool_find_row(const struct pool_snap *s, int nid,
					    __u64 bytes)
{
	for (int i = 0; i < s->nr_rows; i++)
		if (s->row[i].nid == nid && s->row[i].bytes == bytes)
			return &s->row[i];
	return NULL;
}

static const struct pool_node *pool_find_node(const struct pool_snap *s,
					      int nid)
{
	for (int i = 0; i < s->nr_nodes; i++)
		if (s->node[i].nid == nid)
			return &s->node[i];
	return NULL;
}

/* Field @f of the @bytes rows summed over all nodes; -1 if unreadable. */
static long long pool_sum(const struct pool_snap *s, __u64 bytes, int f)
{
	long long sum = 0;

	for (int i = 0; i < s->nr_rows; i++) {
		if (s->row[i].bytes != bytes)
			continue;
		if (s->row[i].v[f] < 0)
			return -1;
		sum += s->row[i].v[f];
	}
	return sum;
}

/* The change of pool_sum() from @a to @b; LLONG_MIN if unreadable. */
static long long pool_dsum(const struct pool_snap *a, const struct pool_snap *b,
			   __u64 bytes, int f)
{
	long long x = pool_sum(a, bytes, f), y = pool_sum(b, bytes, f);

	return x < 0 || y < 0 ? LLONG_MIN : y - x;
}

/* The distinct sizes of @s, largest first; returns how many. */
static int pool_sizes(const struct pool_snap *s, __u64 *sizes, int max)
{
	int n = 0, i, j;

	for (i = 0; i < s->nr_rows; i++) {
		for (j = 0; j < n && sizes[j] != s->row[i].bytes; j++)
			;
		if (j < n || n == max)
			continue;
		for (j = n++; j > 0 && sizes[j - 1] < s->row[i].bytes; j--)
			sizes[j] = sizes[j - 1];
		sizes[j] = s->row[i].bytes;
	}
	return n;
}

/* The directory name of a size, as the snapshot spells it. */
static const char *pool_size_name(const struct pool_snap *s, __u64 bytes)
{
	for (int i = 0; i < s->nr_rows; i++)
		if (s->row[i].bytes == bytes)
			return s->row[i].size;
	return "?";
}

/* Bytes the pool has allocated or reserved, all nodes and sizes. */
static long long pool_held(const struct pool_snap *s)
{
	long long held = 0;

	for (int i = 0; i < s->nr_rows; i++) {
		const struct pool_row *r = &s->row[i];

		if (r->v[PF_ALLOCATED] < 0 || r->v[PF_RESERVED] < 0)
			return -1;
		held += (r->v[PF_ALLOCATED] + r->v[PF_RESERVED]) * r->bytes;
	}
	return held;
}

static void pool_print_header(bool always, const char *pfx)
{
	out(always, "%s  node size", pfx);
	for (int i = 0; i < NR_PF; i++)
		out(always, " %10s", pool_fields[i]);
	out(always, "\n");
}

/*
 * The compact table, after a @title line: one line per node and size, then
 * one per node; every line starts with @pfx.
 */
static void pool_print_table(bool always, const char *pfx, const char *title,
			     const struct pool_snap *s)
{
	char v[NR_PN][24];

	out(always, "%s %s: mode %s, metadata_bytes %lld, %d node%s\n", pfx,
	    title, s->mode, s->metadata_bytes, s->nr_nodes,
	    s->nr_nodes == 1 ? "" : "s");
	pool_print_header(always, pfx);
	for (int i = 0; i < s->nr_rows; i++) {
		const struct pool_row *r = &s->row[i];

		out(always, "%s  %4d %4s", pfx, r->nid, r->size);
		for (int f = 0; f < NR_PF; f++) {
			fmt_ll(v[0], sizeof(v[0]), r->v[f]);
			out(always, " %10s", v[0]);
		}
		out(always, "\n");
	}
	for (int i = 0; i < s->nr_nodes; i++) {
		for (int f = 0; f < NR_PN; f++)
			fmt_ll(v[f], sizeof(v[f]), s->node[i].v[f]);
		out(always, "%s  node%d: nr_pages %s, bad_pages %s, poison_pending %s\n",
		    pfx, s->node[i].nid, v[PN_NR_PAGES], v[PN_BAD_PAGES],
		    v[PN_POISON_PENDING]);
	}
	if (s->truncated)
		out(always, "%s  (more nodes or sizes than shown)\n", pfx);
}

/*
 * The rows of the compact table that changed from @a to @b, as differences;
 * likewise for the node files and metadata_bytes.  Returns the number of
 * lines printed.
 */
static int pool_print_changes(bool always, const char *pfx,
			      const struct pool_snap *a,
			      const struct pool_snap *b)
{
	bool header = false;
	char d[NR_PN][24];
	int lines = 0;

	if (a->metadata_bytes != b->metadata_bytes) {
		fmt_delta(d[0], sizeof(d[0]), a->metadata_bytes,
			  b->metadata_bytes);
		out(always, "%s metadata_bytes %s\n", pfx, d[0]);
		lines++;
	}
	for (int i = 0; i < b->nr_rows; i++) {
		const struct pool_row *r = &b->row[i];
		const struct pool_row *o = pool_find_row(a, r->nid, r->bytes);
		bool changed = !o;

		for (int f = 0; o && f < NR_PF; f++)
			changed |= o->v[f] != r->v[f];
		if (!changed)
			continue;
		if (!header) {
			pool_print_header(always, pfx);
			header = true;
		}
		out(always, "%s  %4d %4s", pfx, r->nid, r->size);
		for (int f = 0; f < NR_PF; f++) {
			if (o && o->v[f] == r->v[f])
				snprintf(d[0], sizeof(d[0]), "0");
			else
				fmt_delta(d[0], sizeof(d[0]), o ? o->v[f] : -1,
					  r->v[f]);
			out(always, " %10s", d[0]);
		}
		lines++;
		out(always, "%s\n", o ? "" : "  (new)");
	}
	for (int i = 0; i < a->nr_rows; i++) {
		if (pool_find_row(b, a->row[i].nid, a->row[i].bytes))
			continue;
		out(always, "%s  %4d %4s  (gone)\n", pfx, a->row[i].nid,
		    a->row[i].size);
		lines++;
	}
	for (int i = 0; i < b->nr_nodes; i++) {
		const struct pool_node *n = &b->node[i];
		const struct pool_node *o = pool_find_node(a, n->nid);

		if (o && !memcmp(o->v, n->v, sizeof(n->v)))
			continue;
		for (int f = 0; f < NR_PN; f++)
			fmt_delta(d[f], sizeof(d[f]), o ? o->v[f] : -1, n->v[f]);
		out(always, "%s  node%d: nr_pages %s, bad_pages %s, poison_pending %s\n",
		    pfx, n->nid, d[PN_NR_PAGES], d[PN_BAD_PAGES],
		    d[PN_POISON_PENDING]);
		lines++;
	}
	if (!lines)
		out(always, "%s no change\n", pfx);
	return lines;
}

/*
 * One line, all nodes summed: @f (nr_splits or nr_merges) and allocated for
 * every size, e.g. "nr_splits 1G +1 2M +1 4K +0; allocated 1G -1 ...".
 */
static void pool_print_conv(const char *pfx, const char *what, int f,
			    const struct pool_snap *a,
			    const struct pool_snap *b)
{
	const int fields[] = { f, PF_ALLOCATED };
	__u64 sizes[8];
	int n = pool_sizes(b, sizes, ARRAY_SIZE(sizes));
	char d[24];

	say("%s %s, all nodes:", pfx, what);
	for (int k = 0; k < (int)ARRAY_SIZE(fields); k++) {
		say("%s %s", k ? ";" : "", pool_fields[fields[k]]);
		for (int i = 0; i < n; i++) {
			long long v = pool_dsum(a, b, sizes[i], fields[k]);

			if (v == LLONG_MIN)
				snprintf(d, sizeof(d), "n/a");
			else
				snprintf(d, sizeof(d), "%+lld", v);
			say(" %s %s", pool_size_name(b, sizes[i]), d);
		}
	}
	say("\n");
}

/*
 * Are allocated and reserved of every node and size in @b what they were in
 * @a?  If not, say which in @why.
 */
static bool pool_returned(const struct pool_snap *a, const struct pool_snap *b,
			  char *why, size_t len)
{
	static const int fields[] = { PF_ALLOCATED, PF_RESERVED };

	for (int i = 0; i < a->nr_rows; i++) {
		const struct pool_row *r = &a->row[i];
		const struct pool_row *o = pool_find_row(b, r->nid, r->bytes);

		if (!o) {
			snprintf(why, len, "node%d/%s is gone", r->nid, r->size);
			return false;
		}
		for (int k = 0; k < (int)ARRAY_SIZE(fields); k++) {
			int f = fields[k];

			if (r->v[f] >= 0 && o->v[f] == r->v[f])
				continue;
			snprintf(why, len, "node%d/%s/%s %lld before the run, %lld after",
				 r->nid, r->size, pool_fields[f], r->v[f], o->v[f]);
			return false;
		}
	}
	if (a->nr_rows != b->nr_rows) {
		snprintf(why, len, "%d node/size directories before the run, %d after",
			 a->nr_rows, b->nr_rows);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------- KVM setup */

static int kvm_cap(int fd, long cap, const char *name)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	if (r < 0)
		pr_sys("KVM_CHECK_EXTENSION(%s)", name);
	return r;
}

static int vm_open_kvm(struct vm *vm)
{
	int r;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		pr_sys("open /dev/kvm");
		return -1;
	}
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		pr_err("KVM_GET_API_VERSION returned %d, expected %d", r,
		       KVM_API_VERSION);
		return -1;
	}
	return 0;
}

/* Capabilities on the system fd, and again on the VM fd once it exists. */
static int vm_check_caps(int fd, bool system)
{
	const char *where = system ? "/dev/kvm" : "VM fd";
	int types = 0, gmem, attrs, mem2;

	if (system) {
		types = kvm_cap(fd, KVM_CAP_VM_TYPES, "KVM_CAP_VM_TYPES");
		if (types < 0)
			return -1;
		if (!(types & (1 << KVM_X86_SW_PROTECTED_VM))) {
			pr_err("KVM_CAP_VM_TYPES = %#x lacks KVM_X86_SW_PROTECTED_VM (%d)",
			       types, KVM_X86_SW_PROTECTED_VM);
			pr_err("it needs CONFIG_KVM_SW_PROTECTED_VM=y and the TDP MMU (npt/ept on)");
			return -1;
		}
	}
	mem2 = kvm_cap(fd, KVM_CAP_USER_MEMORY2, "KVM_CAP_USER_MEMORY2");
	gmem = kvm_cap(fd, KVM_CAP_GUEST_MEMFD, "KVM_CAP_GUEST_MEMFD");
	attrs = kvm_cap(fd, KVM_CAP_MEMORY_ATTRIBUTES, "KVM_CAP_MEMORY_ATTRIBUTES");
	if (mem2 < 0 || gmem < 0 || attrs < 0)
		return -1;
	if (system)
		say("[setup] %s: VM types %#x (SW_PROTECTED_VM ok)\n", where, types);
	say("[setup] %s: USER_MEMORY2 %d, GUEST_MEMFD %d, MEMORY_ATTRIBUTES %#x\n",
	    where, mem2, gmem, attrs);
	if (mem2 <= 0 || gmem <= 0) {
		pr_err("%s: KVM_CAP_USER_MEMORY2/KVM_CAP_GUEST_MEMFD not supported",
		       where);
		return -1;
	}
	if (!(attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE)) {
		pr_err("%s: KVM_CAP_MEMORY_ATTRIBUTES = %#x lacks PRIVATE (%#llx)",
		       where, attrs, KVM_MEMORY_ATTRIBUTE_PRIVATE);
		return -1;
	}
	return 0;
}

static int vm_create(struct vm *vm)
{
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	if (vm->vm_fd < 0) {
		pr_sys("KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM)");
		return -1;
	}
	say("[setup] VM fd %d, type %d (KVM_X86_SW_PROTECTED_VM)\n",
	    vm->vm_fd, KVM_X86_SW_PROTECTED_VM);
	return vm_check_caps(vm->vm_fd, false);
}

/*
 * Back slot 1 with the pool if KVM offers GUEST_MEMFD_FLAG_GPOOL for this VM
 * (unknown capabilities read as 0 on kernels without it) and -P was not
 * given; then settle the default size.
 */
static int vm_choose_backing(struct vm *vm, const struct opts *o)
{
	int flags = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION,
			  KVM_CAP_GUEST_MEMFD_FLAGS);
	bool avail;

	if (flags < 0) {
		pr_sys("KVM_CHECK_EXTENSION(KVM_CAP_GUEST_MEMFD_FLAGS)");
		return -1;
	}
	avail = flags & GUEST_MEMFD_FLAG_GPOOL;
	say("[setup] VM fd: GUEST_MEMFD_FLAGS %#x (GUEST_MEMFD_FLAG_GPOOL %s)\n",
	    flags, avail ? "supported" : "not supported");

	if (!avail && !o->plain && o->folio_shift) {
		pr_err("-f needs GUEST_MEMFD_FLAG_GPOOL, which KVM does not report (KVM_CAP_GUEST_MEMFD_FLAGS = %#x)",
		       flags);
		return -1;
	}
	if (o->plain) {
		vm->backing = "plain guest_memfd (-P)";
	} else if (avail) {
		vm->gpool_flag = true;
		vm->gpool = true;
		vm->folio_shift = o->folio_shift ? o->folio_shift :
				  GPOOL_FOLIO_SHIFT_1G;
		vm->backing = "gpool (GUEST_MEMFD_FLAG_GPOOL)";
	} else {
		vm->backing = "plain guest_memfd (KVM has no GUEST_MEMFD_FLAG_GPOOL)";
	}
	vm->size = o->size ? o->size : vm->gpool_flag ? SLOT1_DEFAULT_POOL :
						       SLOT1_DEFAULT_PLAIN;
	return 0;
}

/* Anonymous memory whose address is aligned to @align (a power of two). */
static void *mmap_aligned(size_t size, size_t align)
{
	size_t len = size + align, head, tail;
	unsigned char *p, *q;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	q = (unsigned char *)(((unsigned long)p + align - 1) & ~(align - 1));
	head = q - p;
	tail = len - head - size;
	if ((head && munmap(p, head) < 0) || (tail && munmap(q + size, tail) < 0)) {
		int err = errno;

		munmap(p, len);
		errno = err;
		return NULL;
	}
	return q;
}

static int vm_set_region(struct vm *vm, __u32 slot, __u32 flags, __u64 gpa,
			 __u64 size, void *hva, int gmem_fd)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (unsigned long)hva,
		.guest_memfd_offset = 0,
		.guest_memfd = gmem_fd < 0 ? 0 : gmem_fd,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION2, &r) < 0) {
		pr_sys("KVM_SET_USER_MEMORY_REGION2(slot %u, GPA %#llx, size %#llx)",
		       slot, gpa, size);
		return -1;
	}
	return 0;
}

static int vm_set_attributes(struct vm *vm, __u64 gpa, __u64 size, __u64 attrs)
{
	struct kvm_memory_attributes a = {
		.address = gpa,
		.size = size,
		.attributes = attrs,
	};

	if (ioctl(vm->vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &a) < 0) {
		pr_sys("KVM_SET_MEMORY_ATTRIBUTES(GPA %#llx, size %#llx, %s)",
		       gpa, size, attrs ? "PRIVATE" : "shared");
		return -1;
	}
	return 0;
}

static int vm_setup_slot0(struct vm *vm)
{
	vm->slot0 = mmap_aligned(SLOT0_SIZE, SLOT0_SIZE);
	if (!vm->slot0) {
		pr_sys("mmap slot 0 (%llu bytes)", SLOT0_SIZE);
		return -1;
	}
	memcpy((unsigned char *)vm->slot0 + CODE_GPA, guest_code,
	       sizeof(guest_code));
	if (vm_set_region(vm, 0, 0, SLOT0_GPA, SLOT0_SIZE, vm->slot0, -1))
		return -1;
	say("[setup] slot 0: GPA %#llx-%#llx, %llu MiB anonymous (shared)\n",
	    SLOT0_GPA, SLOT0_GPA + SLOT0_SIZE - 1, SLOT0_SIZE / MiB);
	say("[setup] slot 0: guest code, %zu bytes at GPA %#llx\n",
	    sizeof(guest_code), CODE_GPA);
	return 0;
}

static const char *folio_name(unsigned int shift)
{
	return shift == GPOOL_FOLIO_SHIFT_1G ? "1G" :
	       shift == GPOOL_FOLIO_SHIFT_2M ? "2M" : "4K";
}

/*
 * Without the flag the pool may still back the file (gpool=default_backing):
 * then creating it has reserved the whole size from the pool.
 */
static void vm_check_default_backing(struct vm *vm, const struct pool_snap *a)
{
	struct pool_snap b;
	long long x, y;

	if (pool_read(&b) <= 0)
		return;
	x = pool_held(a);
	y = pool_held(&b);
	if (x < 0 || y < 0 || y - x < (long long)vm->size)
		return;
	vm->gpool = true;
	vm->folio_shift = GPOOL_FOLIO_SHIFT_1G;
	vm->backing = "gpool by default (gpool=default_backing), no flag";
}

static int vm_create_gmem(struct vm *vm)
{
	/*
	 * Without the flag only size is set: byte for byte the plain
	 * struct kvm_create_guest_memfd, so this serves both cases.
	 */
	struct gpool_create_guest_memfd g = { .size = vm->size };
	struct pool_snap before;
	int err;

	BUILD_BUG_ON(sizeof(g) != sizeof(struct kvm_create_guest_memfd));
	before.present = 0;
	if (vm->gpool_flag) {
		g.flags = GUEST_MEMFD_FLAG_GPOOL;
		g.folio_shift = vm->folio_shift;
		g.numa_mode = GPOOL_NUMA_DEFAULT;
		g.numa_nodes = 0;
	} else if (vm->pool_present) {
		pool_read(&before);
	}
	vm->gmem_fd = ioctl(vm->vm_fd, KVM_CREATE_GUEST_MEMFD, &g);
	if (vm->gmem_fd < 0) {
		err = errno;
		pr_sys("KVM_CREATE_GUEST_MEMFD(size %#llx, flags %#llx, folio_shift %u)",
		       g.size, g.flags, g.folio_shift);
		if (err == ENOMEM && vm->gpool_flag)
			pr_err("the pool cannot reserve %llu MiB: try a smaller -s, or -P",
			       vm->size / MiB);
		return -1;
	}
	if (!vm->gpool_flag && vm->pool_present && before.present > 0)
		vm_check_default_backing(vm, &before);
	if (vm->gpool)
		say("[setup] slot 1: backed by %s, folio_shift %u (%s folios)\n",
		    vm->backing, vm->folio_shift, folio_name(vm->folio_shift));
	else
		say("[setup] slot 1: backed by %s\n", vm->backing);
	return 0;
}

static int vm_setup_slot1(struct vm *vm)
{
	if (vm_create_gmem(vm))
		return -1;
	/* Same alignment as the GPA, or KVM disables huge mappings (lpage). */
	vm->shared = mmap_aligned(vm->size, SLOT1_GPA);
	if (!vm->shared) {
		pr_sys("mmap shared view of slot 1 (%llu bytes)", vm->size);
		return -1;
	}
	if (vm_set_region(vm, 1, KVM_MEM_GUEST_MEMFD, SLOT1_GPA, vm->size,
			  vm->shared, vm->gmem_fd))
		return -1;
	say("[setup] slot 1: GPA %#llx-%#llx, %llu MiB guest_memfd (fd %d), shared view at %p\n",
	    SLOT1_GPA, SLOT1_GPA + vm->size - 1, vm->size / MiB, vm->gmem_fd,
	    (void *)vm->shared);
	if (vm_set_attributes(vm, SLOT1_GPA, vm->size,
			      KVM_MEMORY_ATTRIBUTE_PRIVATE))
		return -1;
	say("[setup] slot 1: all %llu pages PRIVATE\n", vm->size / PAGE_SIZE);
	return 0;
}

static void flat_segment(struct kvm_segment *s, __u16 selector, __u8 type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = selector;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = 1;		/* 32-bit */
	s->s = 1;		/* code/data */
	s->g = 1;		/* 4K granularity */
}

static int vm_create_vcpu(struct vm *vm)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int size;

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0) {
		pr_sys("KVM_CREATE_VCPU");
		return -1;
	}
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < 0) {
		pr_sys("KVM_GET_VCPU_MMAP_SIZE");
		return -1;
	}
	if (size < (int)sizeof(struct kvm_run)) {
		pr_err("KVM_GET_VCPU_MMAP_SIZE returned %d", size);
		return -1;
	}
	vm->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		pr_sys("mmap kvm_run");
		return -1;
	}
	vm->run_size = size;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0) {
		pr_sys("KVM_GET_SREGS");
		return -1;
	}
	flat_segment(&sregs.cs, 0x08, 0xb);	/* code, execute/read, accessed */
	flat_segment(&sregs.ds, 0x10, 0x3);	/* data, read/write, accessed */
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.cr0 = CR0_PE | CR0_ET;		/* protected mode, no paging */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0) {
		pr_sys("KVM_SET_SREGS");
		return -1;
	}

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 0x2;			/* reserved bit; IF=0 */
	regs.rsp = SLOT0_SIZE;			/* unused */
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0) {
		pr_sys("KVM_SET_REGS");
		return -1;
	}
	say("[setup] vCPU 0: 32-bit protected mode, paging off, flat 4 GiB segments, rip %#llx\n",
	    CODE_GPA);
	return 0;
}

/* ------------------------------------------------------------ vCPU runs */

static void vcpu_dump(struct vm *vm)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0) {
		pr_sys("KVM_GET_REGS");
		return;
	}
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		pr_sys("KVM_GET_SREGS");
		return;
	}
	fprintf(stderr,
		"  rip %#llx rflags %#llx\n"
		"  rax %#llx rbx %#llx rcx %#llx rdx %#llx\n"
		"  rsi %#llx rdi %#llx rbp %#llx rsp %#llx\n"
		"  cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx efer %#llx\n"
		"  cs sel %#x base %#llx limit %#x type %#x db %u  ss sel %#x dpl %u\n",
		r.rip, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
		r.rbp, r.rsp, s.cr0, s.cr2, s.cr3, s.cr4, s.efer,
		s.cs.selector, s.cs.base, s.cs.limit, s.cs.type, s.cs.db,
		s.ss.selector, s.ss.dpl);
}

static void report_memory_fault(struct vm *vm)
{
	struct kvm_run *run = vm->run;

	pr_err("KVM_EXIT_MEMORY_FAULT: flags %#llx (%s), gpa %#llx, size %#llx",
	       run->memory_fault.flags,
	       run->memory_fault.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE ?
	       "private" : "shared",
	       run->memory_fault.gpa, run->memory_fault.size);
}

static void report_exit(struct vm *vm)
{
	struct kvm_run *run = vm->run;

	switch (run->exit_reason) {
	case KVM_EXIT_MEMORY_FAULT:
		report_memory_fault(vm);
		break;
	case KVM_EXIT_SHUTDOWN:
		pr_err("KVM_EXIT_SHUTDOWN (triple fault)");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		pr_err("KVM_EXIT_FAIL_ENTRY: hardware_entry_failure_reason %#llx, cpu %u",
		       run->fail_entry.hardware_entry_failure_reason,
		       run->fail_entry.cpu);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		pr_err("KVM_EXIT_INTERNAL_ERROR: suberror %u, ndata %u",
		       run->internal.suberror, run->internal.ndata);
		for (__u32 i = 0; i < run->internal.ndata; i++) {
			if (i >= ARRAY_SIZE(run->internal.data))
				break;
			fprintf(stderr, "  data[%u] %#llx\n", i,
				run->internal.data[i]);
		}
		break;
	case KVM_EXIT_IO:
		pr_err("unexpected KVM_EXIT_IO: %s port %#x size %u count %u",
		       run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
		       run->io.port, run->io.size, run->io.count);
		break;
	case KVM_EXIT_MMIO:
		pr_err("KVM_EXIT_MMIO: %s %u bytes at GPA %#llx (no memslot there)",
		       run->mmio.is_write ? "write" : "read", run->mmio.len,
		       run->mmio.phys_addr);
		break;
	case KVM_EXIT_HLT:
		pr_err("unexpected KVM_EXIT_HLT");
		break;
	default:
		pr_err("unexpected exit reason %u", run->exit_reason);
		break;
	}
	vcpu_dump(vm);
}

static bool is_guest_report(const struct kvm_run *run)
{
	return run->exit_reason == KVM_EXIT_IO &&
	       run->io.direction == KVM_EXIT_IO_OUT &&
	       run->io.port == GUEST_PORT && run->io.size == 1 &&
	       run->io.count == 1;
}

/* Run the vCPU until the guest reports (@want_hlt: until it halts). */
static int vcpu_run(struct vm *vm, bool want_hlt)
{
	struct kvm_run *run = vm->run;

	for (;;) {
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* A memory fault exit comes with -EFAULT. */
			if (errno == EFAULT &&
			    run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
				report_memory_fault(vm);
				vcpu_dump(vm);
				return -1;
			}
			pr_sys("KVM_RUN (exit reason %u)", run->exit_reason);
			vcpu_dump(vm);
			return -1;
		}
		vm->uexits++;
		if (!want_hlt && is_guest_report(run))
			return 0;
		if (want_hlt && run->exit_reason == KVM_EXIT_HLT)
			return 0;
		report_exit(vm);
		return -1;
	}
}

/*
 * Run one guest command and return the number of bad pages in @bad.
 * The guest is parked on its "out"; KVM completes that instruction on the
 * next KVM_RUN, so only the general-purpose registers are changed here.
 */
static int guest_cmd(struct vm *vm, struct phase *ph, __u32 cmd, __u64 gpa,
		     __u64 npages, __u32 key, unsigned long *bad)
{
	struct kvm_regs r;
	double t0;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0) {
		pr_sys("KVM_GET_REGS");
		return -1;
	}
	r.rax = cmd;
	r.rbx = gpa;
	r.rcx = npages;
	r.rdx = key;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &r) < 0) {
		pr_sys("KVM_SET_REGS");
		return -1;
	}

	t0 = now_ms();
	if (vcpu_run(vm, cmd == GCMD_HALT))
		return -1;
	if (ph) {
		ph->guest_ms += now_ms() - t0;
		ph->uexits++;
	}
	if (cmd == GCMD_HALT)
		return 0;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0) {
		pr_sys("KVM_GET_REGS");
		return -1;
	}
	/* 32-bit guest: only the low halves of the registers are its. */
	if ((__u32)r.rax != (GSTAT_OK | cmd) || (__u32)r.rdi != npages) {
		pr_err("bad guest report for command %u: eax %#x (want %#x), %u of %llu pages done",
		       cmd, (__u32)r.rax, GSTAT_OK | cmd, (__u32)r.rdi, npages);
		vcpu_dump(vm);
		return -1;
	}
	*bad = (__u32)r.rsi;
	return 0;
}

static int guest_wait_ready(struct vm *vm)
{
	struct kvm_regs r;

	if (vcpu_run(vm, false))
		return -1;
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0) {
		pr_sys("KVM_GET_REGS");
		return -1;
	}
	if ((__u32)r.rax != (GSTAT_OK | GCMD_READY)) {
		pr_err("guest did not report ready: eax %#x", (__u32)r.rax);
		vcpu_dump(vm);
		return -1;
	}
	say("[guest] ready: eax %#x via KVM_EXIT_IO (out to port %#x)\n",
	    (__u32)r.rax, GUEST_PORT);
	return 0;
}

/* -------------------------------------------------------------- phases */

static __u64 pages(__u64 bytes)
{
	return bytes / PAGE_SIZE;
}

static void __printf(2, 3) phase_fail(struct phase *ph, const char *fmt, ...)
{
	char msg[sizeof(ph->fail)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("phase %s: %s", ph->name, msg);
	if (!ph->fail[0])
		snprintf(ph->fail, sizeof(ph->fail), "%s", msg);
}

static void phase_begin(struct vm *vm, struct phase *ph, const char *name)
{
	memset(ph, 0, sizeof(*ph));
	ph->name = name;
	ph->vmm_ms = -1;
	stats_read(vm, &ph->before);
	if (vm->pool_present)
		pool_read(&ph->pool_before);
}

static void phase_end(struct vm *vm, struct phase *ph, const char *tag)
{
	char pfx[16];

	stats_read(vm, &ph->after);
	say("[%s] guest time %.3f ms%s\n", tag, ph->guest_ms,
	    ph->bad ? "  *** MISMATCHES ***" : "");
	stats_print(tag, ph);
	if (!vm->pool_present)
		return;
	if (pool_read(&ph->pool_after) <= 0 || ph->pool_before.present <= 0) {
		phase_fail(ph, "cannot read %s", GPOOL_SYSFS);
		return;
	}
	snprintf(pfx, sizeof(pfx), "[%s] pool:", tag);
	pool_print_changes(false, pfx, &ph->pool_before, &ph->pool_after);
}

/* One guest command over [off, off + len) of slot 1; bad pages add to ph->bad. */
static int guest_range(struct vm *vm, struct phase *ph, const char *tag,
		       __u32 cmd, __u64 off, __u64 len, __u32 key)
{
	static const char *const what[] = {
		[GCMD_WRITE] = "write", [GCMD_VERIFY] = "verify",
		[GCMD_ZERO] = "zero-check",
	};
	unsigned long bad = 0;
	double t0 = ph->guest_ms;

	if (!len)
		return 0;
	if (guest_cmd(vm, ph, cmd, SLOT1_GPA + off, pages(len), key, &bad))
		return -1;
	say("[%s] guest %-10s GPA %#llx-%#llx (%llu pages)", tag, what[cmd],
	    SLOT1_GPA + off, SLOT1_GPA + off + len - 1, pages(len));
	if (cmd == GCMD_ZERO)
		say(": %lu non-zero pages", bad);
	else if (cmd == GCMD_VERIFY)
		say(" vs GPA^%#x: %lu mismatches", key, bad);
	else
		say(" with GPA^%#x", key);
	say(", %.3f ms\n", ph->guest_ms - t0);
	if (bad)
		pr_err("phase %s: guest %s found %lu bad pages", tag, what[cmd], bad);
	ph->bad += bad;
	return 0;
}

/* The VMM's own look at slot 1 through the shared (userspace_addr) view. */
static unsigned long vmm_check_view(struct vm *vm, const char *tag, __u64 off,
				    __u64 len, bool pattern, __u32 key)
{
	unsigned long bad = 0;

	for (__u64 o = off; o < off + len; o += PAGE_SIZE) {
		__u32 got = *(__u32 *)(vm->shared + o);
		__u32 want = pattern ? (__u32)(SLOT1_GPA + o) ^ key : 0;

		if (got == want)
			continue;
		if (bad++ < MAX_SHOWN_BAD)
			pr_err("phase %s: shared view of GPA %#llx holds %#x, want %#x",
			       tag, SLOT1_GPA + o, got, want);
	}
	return bad;
}

static int phase_write(struct vm *vm, struct phase *ph)
{
	say("\n[a] guest writes pattern A to every page of private slot 1\n");
	phase_begin(vm, ph, "a write private");
	if (guest_range(vm, ph, "a", GCMD_WRITE, 0, vm->size, KEY_A))
		return -1;
	phase_end(vm, ph, "a");
	return 0;
}

static int phase_verify(struct vm *vm, struct phase *ph)
{
	say("\n[b] guest verifies pattern A\n");
	phase_begin(vm, ph, "b verify private");
	if (guest_range(vm, ph, "b", GCMD_VERIFY, 0, vm->size, KEY_A))
		return -1;
	phase_end(vm, ph, "b");
	return 0;
}

/* Does the pool back R with a unit larger than 4K, one it must split? */
static bool pool_splits(const struct vm *vm)
{
	return vm->gpool && vm->folio_shift > GPOOL_FOLIO_SHIFT_4K;
}

/* One guest command over all of slot 1 but R. */
static int guest_rest(struct vm *vm, struct phase *ph, const char *tag,
		      __u32 cmd, __u32 key)
{
	return guest_range(vm, ph, tag, cmd, 0, CONV_OFF, key) ||
	       guest_range(vm, ph, tag, cmd, CONV_OFF + CONV_LEN,
			   vm->size - CONV_OFF - CONV_LEN, key) ? -1 : 0;
}

static int phase_to_shared(struct vm *vm, struct phase *ph)
{
	__u64 gpa = SLOT1_GPA + CONV_OFF;
	unsigned long bad;
	double t0;

	say("\n[c] convert GPA %#llx-%#llx (R, %llu page) to shared\n", gpa,
	    gpa + CONV_LEN - 1, pages(CONV_LEN));
	phase_begin(vm, ph, "c to shared");
	vm->conv = ph;

	t0 = now_ms();
	if (vm_set_attributes(vm, gpa, CONV_LEN, 0))
		return -1;
	if (fallocate(vm->gmem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      CONV_OFF, CONV_LEN) < 0) {
		pr_sys("fallocate(guest_memfd, PUNCH_HOLE, %#llx, %#llx)",
		       CONV_OFF, CONV_LEN);
		return -1;
	}
	ph->vmm_ms = now_ms() - t0;
	say("[c] KVM_SET_MEMORY_ATTRIBUTES(0) + guest_memfd PUNCH_HOLE: %.3f ms\n",
	    ph->vmm_ms);

	if (guest_range(vm, ph, "c", GCMD_WRITE, CONV_OFF, CONV_LEN, KEY_C) ||
	    guest_range(vm, ph, "c", GCMD_VERIFY, CONV_OFF, CONV_LEN, KEY_C) ||
	    guest_rest(vm, ph, "c", GCMD_VERIFY, KEY_A))
		return -1;

	bad = vmm_check_view(vm, "c", CONV_OFF, CONV_LEN, true, KEY_C);
	say("[c] VMM reads the shared page through its mapping: %lu mismatches vs GPA^%#x\n",
	    bad, KEY_C);
	ph->bad += bad;

	bad = vmm_check_view(vm, "c", 0, CONV_OFF, false, 0) +
	      vmm_check_view(vm, "c", CONV_OFF + CONV_LEN,
			     vm->size - CONV_OFF - CONV_LEN, false, 0);
	say("[c] VMM view of the private pages: %lu non-zero (private data must not leak)\n",
	    bad);
	ph->bad += bad;
	phase_end(vm, ph, "c");

	if (!vm->pool_present || ph->pool_after.present <= 0)
		return 0;
	pool_print_conv("[c] pool", "split", PF_NR_SPLITS, &ph->pool_before,
			&ph->pool_after);
	if (pool_splits(vm)) {
		__u64 sizes[8];
		int n = pool_sizes(&ph->pool_after, sizes, ARRAY_SIZE(sizes));
		long long splits = 0;

		for (int i = 0; i < n; i++) {
			long long v = pool_dsum(&ph->pool_before, &ph->pool_after,
						sizes[i], PF_NR_SPLITS);

			if (v != LLONG_MIN)
				splits += v;
		}
		if (splits <= 0)
			phase_fail(ph, "no unit split for R (%s folios, nr_splits %+lld)",
				   folio_name(vm->folio_shift), splits);
	}
	return 0;
}

/*
 * After R is back: every split of phase c merged back in the pool, and KVM
 * maps the memory with as many huge pages as before the conversion.
 */
static void check_merged(struct vm *vm, struct phase *ph)
{
	const struct phase *c = vm->conv;
	__u64 sizes[8];
	int n;

	if (vm->pool_present && ph->pool_after.present > 0) {
		pool_print_conv("[d] pool", "merge", PF_NR_MERGES,
				&ph->pool_before, &ph->pool_after);
		n = pool_sizes(&ph->pool_after, sizes, ARRAY_SIZE(sizes));
		for (int i = 0; pool_splits(vm) && i < n; i++) {
			long long sp = pool_dsum(&c->pool_before, &c->pool_after,
						 sizes[i], PF_NR_SPLITS);
			long long mg = pool_dsum(&ph->pool_before, &ph->pool_after,
						 sizes[i], PF_NR_MERGES);

			if (sp != LLONG_MIN && mg == sp)
				continue;
			phase_fail(ph, "%s units: %lld split in c, %lld merged back in d",
				   pool_size_name(&ph->pool_after, sizes[i]),
				   sp, mg);
		}
	}

	if (!vm->stats_per_vm)
		return;
	for (int l = ST_1G; l >= ST_2M; l--) {
		long long was = c->before.v[l], now = ph->after.v[l];

		if (was <= 0 || now >= was)
			continue;
		phase_fail(ph, "KVM maps %lld %s pages, %lld before the conversion",
			   now, l == ST_1G ? "1G" : "2M", was);
	}
}

static int phase_to_private(struct vm *vm, struct phase *ph)
{
	__u64 gpa = SLOT1_GPA + CONV_OFF;
	double t0;

	say("\n[d] convert GPA %#llx-%#llx (R) back to private\n", gpa,
	    gpa + CONV_LEN - 1);
	phase_begin(vm, ph, "d back to private");

	t0 = now_ms();
	if (vm_set_attributes(vm, gpa, CONV_LEN, KVM_MEMORY_ATTRIBUTE_PRIVATE))
		return -1;
	if (madvise(vm->shared + CONV_OFF, CONV_LEN, MADV_DONTNEED) < 0) {
		pr_sys("madvise(shared view + %#llx, %#llx, MADV_DONTNEED)",
		       CONV_OFF, CONV_LEN);
		return -1;
	}
	/* Allocating R again is what lets the pool merge its unit back. */
	if (fallocate(vm->gmem_fd, FALLOC_FL_KEEP_SIZE, CONV_OFF, CONV_LEN) < 0) {
		pr_sys("fallocate(guest_memfd, KEEP_SIZE, %#llx, %#llx)",
		       CONV_OFF, CONV_LEN);
		return -1;
	}
	ph->vmm_ms = now_ms() - t0;
	say("[d] KVM_SET_MEMORY_ATTRIBUTES(PRIVATE) + MADV_DONTNEED + fallocate: %.3f ms\n",
	    ph->vmm_ms);

	if (guest_range(vm, ph, "d", GCMD_ZERO, CONV_OFF, CONV_LEN, 0) ||
	    guest_rest(vm, ph, "d", GCMD_VERIFY, KEY_A))
		return -1;
	phase_end(vm, ph, "d");
	check_merged(vm, ph);
	return 0;
}

static int phase_final(struct vm *vm, struct phase *ph)
{
	say("\n[e] guest rewrites pattern A in R, verifies all of slot 1\n");
	phase_begin(vm, ph, "e final verify");
	if (guest_range(vm, ph, "e", GCMD_WRITE, CONV_OFF, CONV_LEN, KEY_A) ||
	    guest_range(vm, ph, "e", GCMD_VERIFY, 0, vm->size, KEY_A))
		return -1;
	phase_end(vm, ph, "e");
	return 0;
}

/* ------------------------------------------------------------- summary */

/*
 * The pool after the run, what changed, and whether every unit the run
 * allocated or reserved went back.  Returns false if not, or if the pool
 * could not be read.
 */
static bool print_pool_summary(const struct pool_snap *before,
			       const struct pool_snap *after)
{
	char why[160];

	if (!before->present) {
		printf("gpool: %s not present\n", GPOOL_SYSFS);
		return true;
	}
	if (before->present < 0 || after->present <= 0) {
		printf("pool: cannot tell whether all memory was returned: error reading %s\n",
		       GPOOL_SYSFS);
		return false;
	}
	pool_print_table(true, "gpool", "after the run (VM and guest_memfd closed)",
			 after);
	printf("gpool changes over the run:\n");
	pool_print_changes(true, "gpool", before, after);
	if (!pool_returned(before, after, why, sizeof(why))) {
		printf("pool: NOT all memory returned: %s\n", why);
		return false;
	}
	printf("pool: all memory returned\n");
	return true;
}

static void print_summary(const struct vm *vm, const struct phase *ph, int n,
			  double total_ms)
{
	double guest = 0, vmm = 0;
	unsigned long ue = 0;
	long long ke = 0;
	char v[4][24];

	printf("\n==== gpool-demo summary\n");
	if (!vm->backing) {
		printf("slot 1: not set up\n");
	} else {
		printf("slot 1: %llu MiB guest_memfd at GPA %#llx (%llu pages), R at GPA %#llx\n",
		       vm->size / MiB, SLOT1_GPA, pages(vm->size),
		       SLOT1_GPA + CONV_OFF);
		printf("backing: %s", vm->backing);
		if (vm->gpool)
			printf(", folio_shift %u (%s folios)", vm->folio_shift,
			       folio_name(vm->folio_shift));
		printf("\n");
	}
	printf("stats: %s\n", !vm->stats_dir[0] ? "not available" :
	       vm->stats_per_vm ? vm->stats_dir : KVM_DEBUGFS " (GLOBAL, all VMs)");
	if (!n) {
		printf("no phase completed\n");
		goto out;
	}
	printf("%-18s %10s %9s %6s %9s %9s %8s %8s  %s\n", "phase", "guest ms",
	       "vmm ms", "uexits", "kexits", "pages_4k", "pages_2m", "pages_1g",
	       "result");
	for (int i = 0; i < n; i++) {
		const struct phase *p = &ph[i];
		char vmm_ms[16];

		fmt_delta(v[0], sizeof(v[0]), p->before.v[ST_EXITS],
			  p->after.v[ST_EXITS]);
		for (int j = 0; j < 3; j++)
			fmt_ll(v[j + 1], sizeof(v[j + 1]), p->after.v[ST_4K + j]);
		if (p->vmm_ms < 0)
			snprintf(vmm_ms, sizeof(vmm_ms), "-");
		else
			snprintf(vmm_ms, sizeof(vmm_ms), "%.3f", p->vmm_ms);
		printf("%-18s %10.3f %9s %6lu %9s %9s %8s %8s  %s",
		       p->name, p->guest_ms, vmm_ms, p->uexits, v[0], v[1], v[2],
		       v[3], p->bad || p->fail[0] ? "FAIL" : "ok");
		if (p->bad)
			printf(" (%lu bad pages)", p->bad);
		if (p->fail[0])
			printf(" (%s)", p->fail);
		printf("\n");
		guest += p->guest_ms;
		vmm += p->vmm_ms > 0 ? p->vmm_ms : 0;
		ue += p->uexits;
		if (ke >= 0 && p->before.v[ST_EXITS] >= 0 && p->after.v[ST_EXITS] >= 0)
			ke += p->after.v[ST_EXITS] - p->before.v[ST_EXITS];
		else
			ke = -1;
	}
	fmt_ll(v[0], sizeof(v[0]), ke);
	printf("%-18s %10.3f %9.3f %6lu %9s\n", "total (phases)", guest, vmm, ue,
	       v[0]);
out:
	printf("VMM exits in total (incl. start-up and halt): %lu; wall time %.3f ms\n",
	       vm->uexits, total_ms);
}

/* ------------------------------------------------------------- teardown */

static int xclose(int fd, const char *what)
{
	if (fd >= 0 && close(fd) < 0) {
		pr_sys("close %s", what);
		return -1;
	}
	return 0;
}

static int xmunmap(void *p, size_t len, const char *what)
{
	if (p && munmap(p, len) < 0) {
		pr_sys("munmap %s", what);
		return -1;
	}
	return 0;
}

static int vm_destroy(struct vm *vm)
{
	int ret = 0;

	ret |= xmunmap(vm->run, vm->run_size, "kvm_run");
	ret |= xclose(vm->vcpu_fd, "vCPU fd");
	ret |= xclose(vm->vm_fd, "VM fd");
	ret |= xclose(vm->gmem_fd, "guest_memfd");
	ret |= xmunmap(vm->shared, vm->size, "slot 1 shared view");
	ret |= xmunmap(vm->slot0, SLOT0_SIZE, "slot 0");
	ret |= xclose(vm->kvm_fd, "/dev/kvm");
	return ret ? -1 : 0;
}

/* ----------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gpool-demo [-s SIZE] [-f SHIFT | -P] [-q] [-h]\n"
		"  -s SIZE   guest_memfd slot size, suffix K/M/G, multiple of 2M,\n"
		"            %lluM..%lluM (default %lluM with the pool, %lluM without)\n"
		"  -f SHIFT  pool folio_shift: 30 (1G, default), 21 (2M) or 12 (4K);\n"
		"            needs GUEST_MEMFD_FLAG_GPOOL\n"
		"  -P        plain guest_memfd even if KVM offers GUEST_MEMFD_FLAG_GPOOL\n"
		"  -q        quiet: print only the summary\n"
		"  -h        this help\n",
		SLOT1_MIN_SIZE / MiB, SLOT1_MAX_SIZE / MiB,
		SLOT1_DEFAULT_POOL / MiB, SLOT1_DEFAULT_PLAIN / MiB);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	unsigned long v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt(argc, argv, "s:f:Pqh")) != -1) {
		switch (c) {
		case 's':
			if (parse_size(optarg, &o->size)) {
				pr_err("invalid size '%s'", optarg);
				return -1;
			}
			if (o->size % SLOT1_ALIGN || o->size < SLOT1_MIN_SIZE ||
			    o->size > SLOT1_MAX_SIZE) {
				pr_err("size %llu must be a multiple of 2M in [%lluM, %lluM]",
				       o->size, SLOT1_MIN_SIZE / MiB,
				       SLOT1_MAX_SIZE / MiB);
				return -1;
			}
			break;
		case 'f':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end ||
			    (v != GPOOL_FOLIO_SHIFT_1G && v != GPOOL_FOLIO_SHIFT_2M &&
			     v != GPOOL_FOLIO_SHIFT_4K)) {
				pr_err("invalid folio shift '%s': 30, 21 or 12", optarg);
				return -1;
			}
			o->folio_shift = v;
			break;
		case 'P':
			o->plain = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		pr_err("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return -1;
	}
	if (o->plain && o->folio_shift) {
		pr_err("-f and -P exclude each other");
		return -1;
	}
	return 0;
}

static int vm_setup(struct vm *vm, const struct opts *o)
{
	if (vm_open_kvm(vm) || vm_check_caps(vm->kvm_fd, true) ||
	    vm_create(vm) || vm_choose_backing(vm, o) || vm_setup_slot0(vm) ||
	    vm_setup_slot1(vm) || vm_create_vcpu(vm))
		return -1;
	stats_locate(vm);
	return 0;
}

static int run_phases(struct vm *vm, struct phase *ph, int *nr)
{
	int (*const fn[])(struct vm *, struct phase *) = {
		phase_write, phase_verify, phase_to_shared, phase_to_private,
		phase_final,
	};

	for (*nr = 0; *nr < (int)ARRAY_SIZE(fn); (*nr)++)
		if (fn[*nr](vm, &ph[*nr]))
			return -1;
	say("\n[guest] halt\n");
	return guest_cmd(vm, NULL, GCMD_HALT, 0, 0, 0, NULL);
}

int main(int argc, char **argv)
{
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .gmem_fd = -1 };
	/* Static: each phase holds two pool snapshots. */
	static struct pool_snap pool_before, pool_after;
	static struct phase ph[5];
	const char *why = "see the error above";
	int nr = 0, ret = 1;
	struct utsname u;
	struct opts o;
	double t0;

	if (parse_args(argc, argv, &o))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (uname(&u) < 0) {
		pr_sys("uname");
		return 1;
	}
	say("gpool-demo: guest_memfd private/shared demo, pid %d, kernel %s\n\n",
	    (int)getpid(), u.release);

	if (pool_read(&pool_before) > 0) {
		vm.pool_present = true;
		pool_print_table(false, "[pool]", "before the run", &pool_before);
	} else if (!pool_before.present) {
		say("[pool] %s not present (no gpool in this kernel); continuing\n",
		    GPOOL_SYSFS);
	}
	say("\n");

	t0 = now_ms();
	if (vm_setup(&vm, &o) || guest_wait_ready(&vm) ||
	    run_phases(&vm, ph, &nr))
		goto out;
	ret = 0;
	for (int i = 0; i < nr; i++) {
		if (ph[i].bad) {
			why = "data mismatch, see above";
			ret = 1;
		} else if (ph[i].fail[0] && !ret) {
			why = ph[i].fail;
			ret = 1;
		}
	}
out:
	/* Close the VM and the guest_memfd first: they hold the pool's units. */
	if (vm_destroy(&vm) && !ret) {
		why = "teardown error, see above";
		ret = 1;
	}
	if (pool_before.present > 0)
		pool_read(&pool_after);
	print_summary(&vm, ph, nr, now_ms() - t0);
	if (!print_pool_summary(&pool_before, &pool_after) && !ret) {
		why = "pool memory not returned";
		ret = 1;
	}
	printf("result: %s\n", ret ? "FAIL" : "PASS");
	if (ret)
		fprintf(stderr, "gpool-demo: FAILED (%s)\n", why);
	return ret;
}
