/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpool-demo - a tiny KVM VMM exercising guest_memfd private memory.
 *
 * demo.h: what the parts share.  main.c: main(), options, output,
 * summary; vm.c: KVM setup and teardown; guest.c: the guest code and the
 * vCPU runs; phases.c: the phases; pool_view.c: the pool, read through
 * libgpool (tools/lib/gpool).
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
 * With -O the VM is an ordinary one (KVM_X86_DEFAULT_VM) whose slot 1 is
 * all shared guest_memfd, as 6.18 allows: the file is created with
 * GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED, mmap()ed as the
 * VMM's view, bound guest_memfd-only, and the phases become
 *   a, b as above (the memory is shared, not private);
 *   c. the VMM reads the guest's pattern through its mapping, writes
 *      pattern C to R there, and the guest must see it; the pool's
 *      host_maps show how the VMM's mapping was made (one 1G mapping);
 *   d. R is punched: both sides read zero there and pattern A elsewhere;
 *   e. R is allocated again (the unit merges), the guest rewrites and
 *      verifies everything, and KVM maps it huge again.
 *
 * With -I the VM is a KVM_X86_SW_PROTECTED_VM whose slot 1 converts in
 * place: the file is created with GUEST_MEMFD_FLAG_MMAP (private), mmap()ed
 * as the VMM's view and bound guest_memfd-only, so its shared/private state
 * is the file's, and the phases become
 *   a, b as above;
 *   c. R is converted to shared with KVM_SET_MEMORY_ATTRIBUTES2 on the
 *      guest_memfd: the VMM reads the guest's pattern A there (contents
 *      kept), writes pattern C, and the guest sees C in R and A elsewhere;
 *      the pool split its unit in place, and its host_maps show R mapped
 *      with one 4K page;
 *   d. R is converted back to private: the guest still reads C in R (kept
 *      again), every split merged back, and KVM maps the memory huge again;
 *   e. as above.
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
#ifndef GPOOL_DEMO_H
#define GPOOL_DEMO_H

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

#include "libgpool.h"

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
#define MAX_SHOWN_BAD		4
#define POOL_MAX_NODES		32
#define POOL_MAX_ROWS		(POOL_MAX_NODES * 3)	/* node x 1G/2M/4K */

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(cond)	((void)sizeof(char[1 - 2 * !!(cond)]))
#define __printf(a, b)		__attribute__((format(printf, a, b)))

enum { ST_4K, ST_2M, ST_1G, ST_EXITS, NR_STATS };

struct kstats {
	long long v[NR_STATS];		/* -1: not available */
};

/* The columns of the compact pool table, files of node<N>/<size>/. */
enum {
	PF_TOTAL, PF_FREE, PF_ALLOCATED, PF_RESERVED, PF_SPLIT, PF_NR_SPLITS,
	PF_NR_MERGES, NR_PF
};

/* Files of node<N>/. */
enum { PN_NR_PAGES, PN_BAD_PAGES, PN_POISON_PENDING, NR_PN };

struct pool_row {			/* node<nid>/<size>/ */
	int nid;
	const char *size;		/* directory name: gpool_size_name[] */
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
	bool ordinary;			/* -O */
	bool in_place;			/* -I */
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
	bool ordinary;			/* -O: KVM_X86_DEFAULT_VM, shared slot 1 */
	bool in_place;			/* -I: convert with ATTRIBUTES2 */
};

extern bool quiet;

/* guest.c: the guest code, loaded at CODE_GPA. */
extern const unsigned char guest_code[];
extern const size_t guest_code_size;

/* main.c */
void __printf(1, 2) say(const char *fmt, ...);
void __printf(2, 3) out(bool always, const char *fmt, ...);
void __printf(1, 2) pr_err(const char *fmt, ...);
void __printf(1, 2) pr_sys(const char *fmt, ...);
double now_ms(void);
void fmt_ll(char *buf, size_t len, long long v);
void fmt_delta(char *buf, size_t len, long long a, long long b);
long long read_ll(const char *path);
bool is_dir(const char *path);

/* vm.c */
void stats_locate(struct vm *vm);
void stats_read(const struct vm *vm, struct kstats *s);
void stats_print(const char *tag, const struct phase *ph);
int vm_open_kvm(struct vm *vm);
int vm_check_caps(int fd, bool system, bool ordinary);
int vm_create(struct vm *vm);
int vm_choose_backing(struct vm *vm, const struct opts *o);
int vm_set_attributes(struct vm *vm, __u64 gpa, __u64 size, __u64 attrs);
int vm_convert(struct vm *vm, __u64 off, __u64 size, __u64 attrs);
int vm_setup_slot0(struct vm *vm);
const char *folio_name(unsigned int shift);
int vm_setup_slot1(struct vm *vm);
int vm_create_vcpu(struct vm *vm);
int vm_destroy(struct vm *vm);

/* guest.c */
int guest_cmd(struct vm *vm, struct phase *ph, __u32 cmd, __u64 gpa,
	      __u64 npages, __u32 key, unsigned long *bad);
int guest_wait_ready(struct vm *vm);

/* phases.c */
__u64 pages(__u64 bytes);
int phase_write(struct vm *vm, struct phase *ph);
int phase_verify(struct vm *vm, struct phase *ph);
int phase_to_shared(struct vm *vm, struct phase *ph);
int phase_to_private(struct vm *vm, struct phase *ph);
int phase_final(struct vm *vm, struct phase *ph);
int phase_o_vmm(struct vm *vm, struct phase *ph);
int phase_o_punch(struct vm *vm, struct phase *ph);
int phase_o_refill(struct vm *vm, struct phase *ph);
int phase_i_to_shared(struct vm *vm, struct phase *ph);
int phase_i_to_private(struct vm *vm, struct phase *ph);

/* pool_view.c */
int pool_read(struct pool_snap *s);
long long pool_dsum(const struct pool_snap *a, const struct pool_snap *b,
		    __u64 bytes, int f);
int pool_sizes(const struct pool_snap *s, __u64 *sizes, int max);
const char *pool_size_name(const struct pool_snap *s, __u64 bytes);
long long pool_held(const struct pool_snap *s);
void pool_print_table(bool always, const char *pfx, const char *title,
		      const struct pool_snap *s);
int pool_print_changes(bool always, const char *pfx,
		       const struct pool_snap *a,
		       const struct pool_snap *b);
void pool_print_conv(const char *pfx, const char *what, int f,
		     const struct pool_snap *a,
		     const struct pool_snap *b);
bool pool_returned(const struct pool_snap *a, const struct pool_snap *b,
		   char *why, size_t len);

#endif /* GPOOL_DEMO_H */
