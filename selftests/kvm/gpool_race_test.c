// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_race_test: vCPUs fault all over a pool unit while the host punches
 * and refills a page of the same unit.
 *
 * Built with the upstream KVM selftest library, like gpool_kvm_test.
 *
 * stale_1g   a 1 GiB file backed by one 1G unit.  Two vCPUs touch pages
 *            all over it (never the punched page) while the host thread
 *            punches one 4K page and refills it, over and over.  Right
 *            after each punch returns, the 1G unit is split (511 2M units
 *            and 512 4K ones), so a 1G SPTE in the VM can only be stale:
 *            it would still map the frame the punch just gave back to the
 *            pool.  The oracle reads the VM's pages_1g after every punch;
 *            any non-zero value fails the test.
 * stale_2m   the same with a 2 MiB file of one 2M unit and pages_2m.
 * stale_attr the page is converted to shared (KVM_SET_MEMORY_ATTRIBUTES)
 *            before the punch, to private after it, while the vCPUs fault:
 *            right after the attributes change, the 1G range has mixed
 *            attributes and KVM may not map it with a 1G SPTE.  This
 *            window is KVM's own (closed by kvm_arch_pre_set_memory_
 *            attributes() adding the huge ranges to the invalidation);
 *            the case keeps it closed for pool memory.
 * foreign    two VMs on one node: A (2M folios) punches and refills 4K
 *            pages, B (4K folios) refills pages of its own, taking the 4K
 *            frames A just freed.  Every guest checks that every page it
 *            reads holds zero or its own VM's signature: a stale mapping
 *            or an uncleared frame shows up as a foreign value.
 *
 * Each case runs for a number of punches (-i, default 1500; stale_attr a
 * fifth of it) or until its
 * time limit (-t seconds per case, default 60), whichever comes first, and
 * prints how many punches it made and how many stale mappings it saw.
 * A case in which a vCPU triple-faults (the emulator's KVM_EXIT_SHUTDOWN,
 * not an oracle of this test: see gpool_run_case()) runs once more,
 * and fails if it happens again or if its first run saw a stale mapping.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
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
#define NR_TOUCH	8		/* pages each vCPU cycles over */
#define PUNCH_OFFSET	0		/* the page the host punches */

/*
 * Shared with the guest (sync_global_to_guest()): where the pages are and
 * when to stop.  @sig is the VM's signature; a page holds zero or
 * sig | its own guest address.
 */
struct guest_args {
	uint64_t gpa, size, sig;
	uint64_t touch[NR_VCPUS][NR_TOUCH];
	uint64_t stop;
	uint64_t crash;		/* -x: vCPU 0 triple-faults at once */
	uint64_t hang;		/* -s: vCPU 0 does not stop */
};
static struct guest_args args;

static void guest_code(uint64_t id)
{
	volatile struct guest_args *a = &args;
	uint64_t k, pass;

	if (a->crash && !id) {
		/* An empty IDT: #UD cannot be delivered, nor can #DF. */
		struct desc_ptr none = { .size = 0, .address = 0 };

		asm volatile("lidt %0; ud2" : : "m"(none));
	}
	for (pass = 1; !a->stop || (a->hang && !id); pass++) {
		/* Exit now and then: see gpool_vcpu_thread(). */
		if (!(pass % 256))
			GUEST_SYNC(pass);
		for (k = 0; k < NR_TOUCH; k++) {
			volatile uint64_t *p = (uint64_t *)a->touch[id][k];
			uint64_t want = a->sig | (uint64_t)p, v = *p;

			__GUEST_ASSERT(v == 0 || v == want,
				       "page %lx holds %lx, not 0 or %lx",
				       (uint64_t)p, v, want);
			*p = want;
		}
	}
	GUEST_DONE();
}

struct test_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu[NR_VCPUS];
	pthread_t thread[NR_VCPUS];
	int gmem_fd;
	uint64_t size;
	void *map;		/* mmap of twice the size, for alignment */
};

/*
 * -x N: the first N VMs created have vCPU 0 triple-fault at once, to
 * show that a case runs again after one (gpool_run_case()) and fails
 * after two; run by hand (docs/testing.md, "The emulator").
 */
static unsigned int crash_runs;

/*
 * -s: vCPU 0 of the first VM keeps running when told to stop, to show
 * the stall report and the failure of gpool_join() by hand.
 */
static bool hang_once;

/* A VM whose memslot DATA_SLOT is a pool-backed file of @size, private. */

static void test_vm_create(struct test_vm *t, int nid, unsigned int shift,
			   uint64_t size, uint64_t sig)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	struct gpool_create_guest_memfd cargs = {
		.size = size,
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = shift,
		.numa_mode = GPOOL_NUMA_BIND,
		.numa_nodes = 1ULL << nid,
	};
	uint64_t align = size < (1ULL << 30) ? size : 1ULL << 30;
	int i, k;

	t->size = size;
	t->vm = __vm_create_with_vcpus(shape, NR_VCPUS, 0, guest_code, t->vcpu);
	t->gmem_fd = __vm_ioctl(t->vm, KVM_CREATE_GUEST_MEMFD, &cargs);
	TEST_ASSERT(t->gmem_fd >= 0, "KVM_CREATE_GUEST_MEMFD with the pool: %s",
		    strerror(errno));
	/* The shared view is aligned like the GPA, or KVM maps nothing huge. */
	t->map = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(t->map != MAP_FAILED, "mmap");
	vm_set_user_memory_region2(t->vm, DATA_SLOT, KVM_MEM_GUEST_MEMFD,
				   DATA_GPA, size,
				   (void *)align_up((uint64_t)t->map, align),
				   t->gmem_fd, 0);
	vm_mem_set_private(t->vm, DATA_GPA, size);
	virt_map_level(t->vm, DATA_GPA, DATA_GPA, size,
		       size >= (1ULL << 30) ? PG_LEVEL_1G : PG_LEVEL_2M);

	/*
	 * Each vCPU touches NR_TOUCH pages spread over the file, none of them
	 * the punched page: after a punch, every 2M chunk is a separate fault.
	 */
	memset(&args, 0, sizeof(args));
	args.gpa = DATA_GPA;
	args.size = size;
	args.sig = sig;
	if (crash_runs) {
		crash_runs--;
		args.crash = 1;
	}
	args.hang = hang_once;
	hang_once = false;
	for (i = 0; i < NR_VCPUS; i++) {
		for (k = 0; k < NR_TOUCH; k++)
			args.touch[i][k] = DATA_GPA + k * (size / NR_TOUCH) +
					   (1 + i + 2 * k) * 4096;
		vcpu_args_set(t->vcpu[i], 1, i);
	}
	sync_global_to_guest(t->vm, args);
}

static void test_vm_start(struct test_vm *t)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		pthread_create(&t->thread[i], NULL, gpool_vcpu_thread, t->vcpu[i]);
}

/* Tell the guest to stop, wait for its vCPUs and free the VM. */
static void test_vm_stop(struct test_vm *t)
{
	uint64_t one = 1;
	int i;

	/* Only the stop word: the rest of the guest's copy is the VM's own. */
	memcpy(addr_gva2hva(t->vm, (vm_vaddr_t)&args.stop), &one, sizeof(one));
	for (i = 0; i < NR_VCPUS; i++)
		gpool_join(t->vm, t->thread[i], "vCPU", i, GPOOL_STOP_SECONDS);
	kvm_vm_free(t->vm);
	close(t->gmem_fd);
	munmap(t->map, 2 * t->size);
}

static uint64_t iterations = 1500;
static int time_limit = 60;

/*
 * Punch and refill one page of a file made of one huge unit while the
 * vCPUs fault all over it; after every punch, @stat (pages_1g or pages_2m)
 * must be zero.  Returns the number of stale mappings seen.
 */
static uint64_t test_stale(int nid, unsigned int shift, uint64_t size,
			   const char *stat, const char *name, bool convert)
{
	/* Conversions zap four times a round: fewer rounds (see main()). */
	uint64_t n, stale = 0, faults = 0, max = convert ? iterations / 5 : iterations;
	unsigned int shutdowns = gpool_shutdown_count();
	struct test_vm t;
	double end;

	test_vm_create(&t, nid, shift, size, 0x5a5a5a5a00000000ULL);
	test_vm_start(&t);
	end = gpool_now() + time_limit;
	for (n = 0; n < max && gpool_now() < end &&
	     gpool_shutdown_count() == shutdowns; n++) {
		if (convert) {
			vm_mem_set_shared(t.vm, DATA_GPA + PUNCH_OFFSET, 4096);
			if (vm_get_stat(t.vm, stat))
				stale++;
		}
		gpool_fallocate_page(t.gmem_fd, PUNCH_OFFSET, true);
		if (vm_get_stat(t.vm, stat))
			stale++;
		if (convert)
			vm_mem_set_private(t.vm, DATA_GPA + PUNCH_OFFSET, 4096);
		gpool_fallocate_page(t.gmem_fd, PUNCH_OFFSET, false);
		/* Let the vCPUs fault the merged unit in now and then. */
		if (!(n % 4))
			usleep(200);
		faults += !!vm_get_stat(t.vm, stat);
	}
	test_vm_stop(&t);
	ksft_print_msg("%s: %lu punches, %lu stale %s after a punch, "
		       "%lu huge mappings seen between punches\n",
		       name, n, stale, stat, faults);
	if (gpool_shutdown_count() != shutdowns)
		return stale;	/* cut short: the case runs again */
	TEST_ASSERT(n >= max / 10, "%s: only %lu punches in %d s", name, n, time_limit);
	/* The test must have raced something: vCPUs mapped the merged unit. */
	TEST_ASSERT(faults, "%s: the vCPUs never mapped the unit huge", name);
	return stale;
}

/* Two VMs on @nid trade 4K frames; each guest sees only its own values. */
static void test_foreign(int nid)
{
	const uint64_t size = 16ULL << 20;
	unsigned int shutdowns = gpool_shutdown_count();
	struct test_vm a, b;
	uint64_t n, off;
	double end;

	/* B's guest args are set up last: keep each VM's copy its own. */
	test_vm_create(&a, nid, GPOOL_FOLIO_SHIFT_2M, size, 0xaaaa000000000000ULL);
	test_vm_create(&b, nid, GPOOL_FOLIO_SHIFT_4K, size, 0xbbbb000000000000ULL);
	test_vm_start(&a);
	test_vm_start(&b);
	srandom(1);
	end = gpool_now() + time_limit;
	for (n = 0; n < iterations && gpool_now() < end &&
	     gpool_shutdown_count() == shutdowns; n++) {
		/*
		 * A frees a 4K frame of a split 2M unit; B takes whatever 4K
		 * frame the pool gives first (split units first: A's), and A
		 * takes its own home frame back if it is still free.
		 */
		off = (random() % (size / 4096)) * 4096;
		gpool_fallocate_page(a.gmem_fd, off, true);
		gpool_fallocate_page(b.gmem_fd, off, true);
		gpool_fallocate_page(b.gmem_fd, off, false);
		gpool_fallocate_page(a.gmem_fd, off, false);
	}
	test_vm_stop(&a);
	test_vm_stop(&b);
	ksft_print_msg("foreign: %lu page trades between two VMs\n", n);
}

struct race_case {
	const char *name, *stat;	/* stat NULL: foreign */
	unsigned int shift;
	uint64_t size;
	bool convert;
};

/* One case of main(), for gpool_run_case(): the stale mappings seen. */
static uint64_t run_case(int nid, const void *arg)
{
	const struct race_case *c = arg;

	if (!c->stat) {
		test_foreign(nid);
		return 0;
	}
	return test_stale(nid, c->shift, c->size, c->stat, c->name, c->convert);
}

static uint64_t pool_allocated(int nid)
{
	return pool_stat(nid, GPOOL_SIZE_1G, "allocated") +
	       pool_stat(nid, GPOOL_SIZE_2M, "allocated") +
	       pool_stat(nid, GPOOL_SIZE_4K, "allocated");
}

/*
 * The default number of punches is a compromise.  On the code before
 * whole-unit invalidation, 1.7% to 5% of the punches left a stale huge
 * mapping, so 1500 find dozens.  More rounds mean more remote TLB flushes
 * of vCPUs in guest mode, and under TCG's nested SVM one boot was seen to
 * freeze on such a flush (docs/design/kernel.md, "Races").
 */
int main(int argc, char *argv[])
{
	static const struct race_case cases[] = {
		{ "stale_1g", "pages_1g", GPOOL_FOLIO_SHIFT_1G, 1ULL << 30, false },
		{ "stale_2m", "pages_2m", GPOOL_FOLIO_SHIFT_2M, 2ULL << 20, false },
		{ "stale_attr", "pages_1g", GPOOL_FOLIO_SHIFT_1G, 1ULL << 30, true },
		{ "foreign" },
	};
	uint64_t before;
	int opt, nid;
	size_t i;

	while ((opt = getopt(argc, argv, "i:st:x:")) != -1) {
		switch (opt) {
		case 'i':
			iterations = strtoull(optarg, NULL, 0);
			break;
		case 't':
			time_limit = atoi(optarg);
			break;
		case 's':
			hang_once = true;
			break;
		case 'x':
			crash_runs = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-i punches] [-s] [-t seconds] [-x triple faults]\n",
				argv[0]);
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
	ksft_set_plan(4);
	before = pool_allocated(nid);

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		gpool_run_case(cases[i].name, run_case, nid, &cases[i]);

	TEST_ASSERT_EQ(before, pool_allocated(nid));
	ksft_finished();
}
