// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_mmap_race_test: host faults through the mapping of a shared pool
 * file, and vCPUs, race a punch of one page of the same 1G unit.
 *
 * Built with the upstream KVM selftest library, like gpool_race_test, on
 * an ordinary VM (KVM_X86_DEFAULT_VM) over a 1 GiB file of one 1G unit
 * created with GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED.
 *
 * Two host threads touch pages all over the mapping (never in the punched
 * page's 2M), writing and checking a signature; the main thread writes a
 * page of a 2M region not split yet (so the write maps it with one PMD,
 * or in the first round the whole unit with one PUD), punches it, reads
 * it back (which refills it), punches it again and allocates it again,
 * which merges the unit and drops its mappings, over and over.
 * The oracles:
 *
 * - right after the punch, reading the punched page must fault (the
 *   reading thread's minor fault count, RUSAGE_THREAD, goes up by exactly
 *   one) and read zero: any mapping left over from before the punch, a
 *   stale PUD of the whole unit among them, would be read without a
 *   fault, and would reach the frame the punch freed;
 * - every page a thread or a vCPU reads holds zero or its own signature;
 * - with vCPUs: right after the punch the VM's pages_1g is zero, since a
 *   1G SPTE could only map the unit as it was before the punch.
 *
 * host_1g        host threads only;
 * gmem_only_1g   and two vCPUs over a memslot bound to the file;
 * plain_slot_1g  and two vCPUs over an ordinary memslot whose
 *                userspace_addr is the mapping (QEMU's guest-memfd=on):
 *                KVM hears of the punch through its MMU notifier;
 * convert_1g     the same racers as gmem_only_1g, in a
 *                KVM_X86_SW_PROTECTED_VM, but the main thread converts the
 *                page to private in place (KVM_SET_MEMORY_ATTRIBUTES2)
 *                instead of punching it, and back to shared.  Right after
 *                the conversion to private, reading the page must be
 *                SIGBUS (a mapping left over from before it, a stale PUD
 *                of the whole unit among them, would be read) and
 *                pages_1g must be zero (the unit is split); back to
 *                shared, the page must hold what was written before:
 *                contents are kept.
 *
 * convert_punch_1g  convert_1g with one more racer: a thread that punches
 *                a page of another 2M region of the unit and refills it,
 *                over and over, while the main thread converts.  Right
 *                after each punch, pages_1g must be zero and the punched
 *                page must read zero; the conversions' oracles hold as in
 *                convert_1g, whichever of the two split the unit last and
 *                whichever merges it.
 *
 * Each case runs -i punches or conversions (default 300) or -t seconds
 * (default 30), whichever comes first, and fails unless at least half of
 * them found their region mapped huge (so that they had a huge mapping to
 * break).  A case in which a vCPU triple-faults (the emulator's
 * KVM_EXIT_SHUTDOWN: see gpool_run_case()) runs once more, and fails
 * if it happens again or if its first run saw a stale mapping.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/falloc.h>
#include <linux/gpool.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "gpool_util.h"

#define DATA_SLOT	10
#define DATA_GPA	(4ULL << 30)	/* 1G-aligned */
#define SIZE		(1ULL << 30)
#define NR_RACERS	2		/* host threads, and vCPUs */
#define NR_TOUCH	8		/* pages each one cycles over */
#define PUNCH		0ULL		/* the punched page's offset */
#define HOST_SIG	0x4848000000000000ULL
#define GUEST_SIG	0x4747000000000000ULL
/* The punching racer's page: in no racer's pages, 2M region 300. */
#define RACE_PUNCH	((300ULL << 21) + 32 * 4096)

/* Offsets each racer touches: none in the punched page's 2M. */
static uint64_t touch_offset(int who, int k)
{
	return k * (SIZE / NR_TOUCH) + (2ULL << 20) + (1 + who + 2 * k) * 4096;
}

struct guest_args {
	uint64_t touch[NR_RACERS][NR_TOUCH];
	uint64_t stop;
};
static struct guest_args args;

static void guest_code(uint64_t id)
{
	volatile struct guest_args *a = &args;
	uint64_t k, pass;

	for (pass = 1; !a->stop; pass++) {
		/* Exit now and then: see gpool_vcpu_thread(). */
		if (!(pass % 256))
			GUEST_SYNC(pass);
		for (k = 0; k < NR_TOUCH; k++) {
			volatile uint64_t *p = (uint64_t *)a->touch[id][k];
			uint64_t want = GUEST_SIG | (uint64_t)p, v = *p;

			__GUEST_ASSERT(v == 0 || v == want,
				       "page %lx holds %lx, not 0 or %lx",
				       (uint64_t)p, v, want);
			*p = want;
		}
	}
	GUEST_DONE();
}

static int ctl_fd = -1;
static volatile uint64_t *map;
static volatile bool stop_host;
static uint64_t host_bad;	/* pages a host thread found foreign */

static void *host_thread(void *arg)
{
	int who = (int)(uintptr_t)arg, k;

	while (!stop_host) {
		for (k = 0; k < NR_TOUCH; k++) {
			uint64_t off = touch_offset(who, k) + 8 * 64;
			volatile uint64_t *p = map + off / 8;
			uint64_t want = HOST_SIG | off, v = *p;

			if (v && v != want)
				__atomic_add_fetch(&host_bad, 1, __ATOMIC_RELAXED);
			*p = want;
		}
	}
	return NULL;
}

/* The file's host mapping counts (GPOOL_IOC_LIST_FILES host_maps). */
static void host_maps(__u64 *out)
{
	struct gpool_file_info *files;
	unsigned int nr, i, found = 0;

	TEST_ASSERT(!gpool_ctl_list_files(ctl_fd, &files, &nr), "LIST_FILES");
	for (i = 0; i < nr; i++) {
		if (files[i].size == SIZE && files[i].pid == (__u32)getpid()) {
			memcpy(out, files[i].host_maps, sizeof(files[i].host_maps));
			found++;
		}
	}
	free(files);
	TEST_ASSERT_EQ(found, 1);
}

static uint64_t iterations = 300;
static int time_limit = 30;

enum { HOST_ONLY, GMEM_ONLY, PLAIN_SLOT, CONVERT, CONVERT_PUNCH };

static struct kvm_vm *punch_vm;
static int punch_fd;
static uint64_t punch_rounds, punch_stale;

/*
 * The punching racer of convert_punch_1g: punch RACE_PUNCH, check that
 * the VM maps nothing 1G and that the page reads zero, refill it.
 */
static void *punch_thread(void *arg)
{
	while (!stop_host) {
		uint64_t v;

		gpool_fallocate_page(punch_fd, RACE_PUNCH, true);
		if (vm_get_stat(punch_vm, "pages_1g"))
			punch_stale++;
		v = map[RACE_PUNCH / 8];
		if (v) {
			if (!punch_stale)
				ksft_print_msg("punch %lu: the punched page holds %#lx\n",
					       punch_rounds, v);
			punch_stale++;
		}
		map[RACE_PUNCH / 8] = HOST_SIG | RACE_PUNCH;
		gpool_fallocate_page(punch_fd, RACE_PUNCH, true);
		gpool_fallocate_page(punch_fd, RACE_PUNCH, false);
		punch_rounds++;
		usleep(300);
	}
	return NULL;
}

/*
 * Convert the page at @off of @fd to private, then check that nothing maps
 * it any more: the host's read is SIGBUS and @vm has no 1G SPTE.  Back to
 * shared, it must hold @want.  Returns whether a check failed.
 */
static bool convert_round(struct kvm_vm *vm, int fd, uint64_t off,
			  uint64_t want, const char *name, uint64_t n)
{
	bool readable, spte;
	uint64_t v;
	int r;

	r = gpool_convert(fd, off, 4096, KVM_MEMORY_ATTRIBUTE_PRIVATE, NULL);
	TEST_ASSERT(!r, "%s: convert %#lx to private: %s", name, off,
		    strerror(-r));
	spte = vm_get_stat(vm, "pages_1g");
	readable = !gpool_access_sigbus((char *)map + off, false);
	r = gpool_convert(fd, off, 4096, 0, NULL);
	TEST_ASSERT(!r, "%s: convert %#lx to shared: %s", name, off,
		    strerror(-r));
	v = map[off / 8];
	if (spte || readable || v != want) {
		ksft_print_msg("%s: conversion %lu at %#lx: pages_1g %s, private page %s, holds %#lx after the round trip, not %#lx\n",
			       name, n, off, spte ? "not 0" : "0",
			       readable ? "readable" : "SIGBUS", v, want);
		return true;
	}
	return false;
}

/* Returns the number of stale mappings seen. */
static uint64_t test_race(int nid, int mode, const char *name)
{
	struct gpool_create_guest_memfd cargs = {
		.size = SIZE,
		.flags = GUEST_MEMFD_FLAG_GPOOL | GUEST_MEMFD_FLAG_MMAP |
			 GUEST_MEMFD_FLAG_INIT_SHARED,
		.folio_shift = GPOOL_FOLIO_SHIFT_1G,
		.numa_mode = GPOOL_NUMA_BIND,
		.numa_nodes = 1ULL << nid,
	};
	uint64_t n, stale = 0, huge = 0, max = iterations;
	unsigned int shutdowns = gpool_shutdown_count();
	bool convert = mode == CONVERT || mode == CONVERT_PUNCH;
	struct kvm_vcpu *vcpu[NR_RACERS];
	pthread_t host[NR_RACERS], vthr[NR_RACERS], puncher;
	__u64 before[GPOOL_NR_SIZES], after[GPOOL_NR_SIZES];
	struct rusage r0, r1;
	struct kvm_vm *vm;
	double end;
	int fd, i, k;

	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = convert ? KVM_X86_SW_PROTECTED_VM : KVM_X86_DEFAULT_VM,
	};

	vm = __vm_create_with_vcpus(shape, NR_RACERS, 0, guest_code, vcpu);
	fd = __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &cargs);
	TEST_ASSERT(fd >= 0, "KVM_CREATE_GUEST_MEMFD: %s", strerror(errno));
	map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(map != MAP_FAILED, "mmap: %s", strerror(errno));
	TEST_ASSERT(!((uintptr_t)map & (SIZE - 1)), "mapping %p not 1G-aligned",
		    map);
	if (mode != HOST_ONLY) {
		if (mode == GMEM_ONLY || convert)
			vm_set_user_memory_region2(vm, DATA_SLOT, KVM_MEM_GUEST_MEMFD,
						   DATA_GPA, SIZE, (void *)map, fd, 0);
		else
			vm_set_user_memory_region(vm, DATA_SLOT, 0, DATA_GPA, SIZE,
						  (void *)map);
		virt_map_level(vm, DATA_GPA, DATA_GPA, SIZE, PG_LEVEL_1G);
		memset(&args, 0, sizeof(args));
		for (i = 0; i < NR_RACERS; i++) {
			for (k = 0; k < NR_TOUCH; k++)
				args.touch[i][k] = DATA_GPA + touch_offset(i, k);
			vcpu_args_set(vcpu[i], 1, i);
		}
		sync_global_to_guest(vm, args);
		for (i = 0; i < NR_RACERS; i++)
			pthread_create(&vthr[i], NULL, gpool_vcpu_thread, vcpu[i]);
	}
	stop_host = false;
	host_bad = 0;
	for (i = 0; i < NR_RACERS; i++)
		pthread_create(&host[i], NULL, host_thread, (void *)(uintptr_t)i);
	punch_rounds = punch_stale = 0;
	if (mode == CONVERT_PUNCH) {
		/*
		 * The selftest library opens the VM's stats fd on the first
		 * vm_get_stat(), without a lock: do it before two threads
		 * read stats.
		 */
		vm_get_stat(vm, "pages_1g");
		punch_vm = vm;
		punch_fd = fd;
		pthread_create(&puncher, NULL, punch_thread, NULL);
	}

	end = gpool_now() + time_limit;
	for (n = 0; n < max && gpool_now() < end &&
	     gpool_shutdown_count() == shutdowns; n++) {
		/*
		 * A new 2M region every round (none the racers touch): page
		 * tables are not freed when a mapping is zapped, so once a
		 * region's huge mapping was split its PMD table stays, and
		 * only a region not split yet can be mapped huge again.  The
		 * first round has the whole unit's PUD.
		 */
		uint64_t r = n % 512, punch, v;
		__u64 pre[GPOOL_NR_SIZES];
		bool bad_spte, bad_count;
		long faulted;

		if (r % 64 == 1 || r == RACE_PUNCH >> 21)
			r++;
		punch = r << 21;
		host_maps(pre);
		getrusage(RUSAGE_THREAD, &r0);
		map[punch / 8] = HOST_SIG | 1;
		getrusage(RUSAGE_THREAD, &r1);
		faulted = r1.ru_minflt - r0.ru_minflt;
		if (convert) {
			host_maps(before);
			if (faulted &&
			    before[GPOOL_SIZE_1G] + before[GPOOL_SIZE_2M] >
			    pre[GPOOL_SIZE_1G] + pre[GPOOL_SIZE_2M])
				huge++;
			stale += convert_round(vm, fd, punch, HOST_SIG | 1,
					       name, n);
			if (!(n % 4))
				usleep(500);
			continue;
		}
		gpool_fallocate_page(fd, punch, true);
		bad_spte = mode != HOST_ONLY && vm_get_stat(vm, "pages_1g");
		host_maps(before);
		if (faulted && before[GPOOL_SIZE_1G] + before[GPOOL_SIZE_2M] >
			       pre[GPOOL_SIZE_1G] + pre[GPOOL_SIZE_2M])
			huge++;
		/* This thread's own faults: the read must take exactly one. */
		getrusage(RUSAGE_THREAD, &r0);
		v = map[punch / 8];
		getrusage(RUSAGE_THREAD, &r1);
		host_maps(after);
		bad_count = r1.ru_minflt - r0.ru_minflt != 1;
		if (bad_spte || v || bad_count) {
			if (!stale)
				ksft_print_msg("%s: punch %lu at %#lx: pages_1g %lu, the punched page holds %#lx after %ld faults, host maps 1G/2M/4K %llu/%llu/%llu -> %llu/%llu/%llu\n",
					       name, n, punch, mode != HOST_ONLY ?
					       vm_get_stat(vm, "pages_1g") : 0, v,
					       r1.ru_minflt - r0.ru_minflt,
					       before[2], before[1], before[0],
					       after[2], after[1], after[0]);
			stale++;
		}
		/*
		 * Reading the page refilled it through the fault; punch it
		 * again and refill it with fallocate(), which merges the unit
		 * back to 1G and drops every mapping of it, so that vCPUs map
		 * it with one 1G SPTE before the next punch.
		 */
		gpool_fallocate_page(fd, punch, true);
		if (mode != HOST_ONLY && vm_get_stat(vm, "pages_1g"))
			stale++;
		gpool_fallocate_page(fd, punch, false);
		if (!(n % 4))
			usleep(500);
	}
	stop_host = true;
	for (i = 0; i < NR_RACERS; i++)
		gpool_join(vm, host[i], "host thread", i, GPOOL_STOP_SECONDS);
	if (mode == CONVERT_PUNCH)
		gpool_join(vm, puncher, "punch thread", 0, GPOOL_STOP_SECONDS);
	if (mode != HOST_ONLY) {
		uint64_t one = 1;

		memcpy(addr_gva2hva(vm, (vm_vaddr_t)&args.stop), &one, sizeof(one));
		for (i = 0; i < NR_RACERS; i++)
			gpool_join(vm, vthr[i], "vCPU", i, GPOOL_STOP_SECONDS);
	}
	kvm_vm_free(vm);
	munmap((void *)map, SIZE);
	close(fd);
	ksft_print_msg("%s: %lu punches or conversions, %lu stale mappings, %lu foreign values, "
		       "%lu punches of a hugely mapped region\n",
		       name, n, stale, host_bad, huge);
	if (mode == CONVERT_PUNCH) {
		ksft_print_msg("%s: %lu racing punches, %lu stale mappings after them\n",
			       name, punch_rounds, punch_stale);
		stale += punch_stale;
	}
	if (gpool_shutdown_count() != shutdowns)
		return stale + host_bad;	/* cut short: the case runs again */
	TEST_ASSERT(mode != CONVERT_PUNCH || punch_rounds >= n / 4,
		    "%s: only %lu racing punches in %lu conversions", name,
		    punch_rounds, n);
	TEST_ASSERT(n >= max / 10, "%s: only %lu punches in %d s", name, n,
		    time_limit);
	TEST_ASSERT(huge >= n / 2, "%s: only %lu of %lu punches found their region mapped huge",
		    name, huge, n);
	return stale + host_bad;
}

struct race_case {
	const char *name;
	int mode;
};

/* One case of main(), for gpool_run_case(). */
static uint64_t run_case(int nid, const void *arg)
{
	const struct race_case *c = arg;

	return test_race(nid, c->mode, c->name);
}

static uint64_t pool_allocated(int nid)
{
	return pool_stat(nid, GPOOL_SIZE_1G, "allocated") +
	       pool_stat(nid, GPOOL_SIZE_2M, "allocated") +
	       pool_stat(nid, GPOOL_SIZE_4K, "allocated");
}

int main(int argc, char *argv[])
{
	static const struct race_case cases[] = {
		{ "host_1g", HOST_ONLY },
		{ "gmem_only_1g", GMEM_ONLY },
		{ "plain_slot_1g", PLAIN_SLOT },
		{ "convert_1g", CONVERT },
		{ "convert_punch_1g", CONVERT_PUNCH },
	};
	uint64_t before;
	int opt, nid;
	size_t i;

	while ((opt = getopt(argc, argv, "i:t:")) != -1) {
		switch (opt) {
		case 'i':
			iterations = strtoull(optarg, NULL, 0);
			break;
		case 't':
			time_limit = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-i punches] [-t seconds]\n", argv[0]);
			exit(KSFT_FAIL);
		}
	}

	ksft_print_header();
	gpool_shutdown_rerun = true;
	/* A vCPU's bad exit prints KVM's last events (gpool_trace_dump()). */
	if (gpool_trace_start())
		ksft_print_msg("KVM events traced, for a bad exit\n");
	TEST_ASSERT(kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_FLAG_GPOOL,
		    "KVM_CAP_GUEST_MEMFD_FLAGS does not report GUEST_MEMFD_FLAG_GPOOL");
	nid = node_with_free_1g();
	TEST_ASSERT(nid >= 0, "no node has a free 1G unit");
	ctl_fd = open("/dev/gpool", O_RDONLY);
	TEST_ASSERT(ctl_fd >= 0, "open /dev/gpool: %s", strerror(errno));
	ksft_set_plan(ARRAY_SIZE(cases));
	before = pool_allocated(nid);

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		gpool_run_case(cases[i].name, run_case, nid, &cases[i]);

	TEST_ASSERT_EQ(before, pool_allocated(nid));
	close(ctl_fd);
	ksft_finished();
}
