// SPDX-License-Identifier: GPL-2.0
/*
 * gpool-demo: the VM: KVM setup, the memory slots, the vCPU, KVM's
 * statistics, and the teardown.
 */
#include "demo.h"

static const char *const stat_names[NR_STATS] = {
	"pages_4k", "pages_2m", "pages_1g", "exits",
};

/* ------------------------------------------------------------- KVM stats */

void stats_locate(struct vm *vm)
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

void stats_read(const struct vm *vm, struct kstats *s)
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

void stats_print(const char *tag, const struct phase *ph)
{
	char v[3][24], d[24];

	for (int i = 0; i < 3; i++)
		fmt_ll(v[i], sizeof(v[i]), ph->after.v[ST_4K + i]);
	fmt_delta(d, sizeof(d), ph->before.v[ST_EXITS], ph->after.v[ST_EXITS]);
	say("[%s] KVM mappings: 4K %s, 2M %s, 1G %s; KVM exits %s, VMM exits %lu\n",
	    tag, v[0], v[1], v[2], d, ph->uexits);
}

/* ------------------------------------------------------------- KVM setup */

static int kvm_cap(int fd, long cap, const char *name)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	if (r < 0)
		pr_sys("KVM_CHECK_EXTENSION(%s)", name);
	return r;
}

int vm_open_kvm(struct vm *vm)
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
int vm_check_caps(int fd, bool system, bool ordinary)
{
	const char *where = system ? "/dev/kvm" : "VM fd";
	int types = 0, gmem, attrs, mem2;

	if (system && !ordinary) {
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
	if (system && !ordinary)
		say("[setup] %s: VM types %#x (SW_PROTECTED_VM ok)\n", where, types);
	say("[setup] %s: USER_MEMORY2 %d, GUEST_MEMFD %d, MEMORY_ATTRIBUTES %#x\n",
	    where, mem2, gmem, attrs);
	if (mem2 <= 0 || gmem <= 0) {
		pr_err("%s: KVM_CAP_USER_MEMORY2/KVM_CAP_GUEST_MEMFD not supported",
		       where);
		return -1;
	}
	/* An ordinary VM has no private memory: its guest_memfd is shared. */
	if (!ordinary && !(attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE)) {
		pr_err("%s: KVM_CAP_MEMORY_ATTRIBUTES = %#x lacks PRIVATE (%#llx)",
		       where, attrs, KVM_MEMORY_ATTRIBUTE_PRIVATE);
		return -1;
	}
	return 0;
}

int vm_create(struct vm *vm)
{
	unsigned long type = vm->ordinary ? KVM_X86_DEFAULT_VM :
					    KVM_X86_SW_PROTECTED_VM;
	const char *name = vm->ordinary ? "KVM_X86_DEFAULT_VM" :
					  "KVM_X86_SW_PROTECTED_VM";

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, type);
	if (vm->vm_fd < 0) {
		pr_sys("KVM_CREATE_VM(%s)", name);
		return -1;
	}
	say("[setup] VM fd %d, type %lu (%s)\n", vm->vm_fd, type, name);
	return vm_check_caps(vm->vm_fd, false, vm->ordinary);
}

/*
 * Back slot 1 with the pool if KVM offers GUEST_MEMFD_FLAG_GPOOL for this VM
 * (unknown capabilities read as 0 on kernels without it) and -P was not
 * given; then settle the default size.
 */
int vm_choose_backing(struct vm *vm, const struct opts *o)
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
	if (vm->ordinary && (~flags & (GUEST_MEMFD_FLAG_MMAP |
				       GUEST_MEMFD_FLAG_INIT_SHARED))) {
		pr_err("-O needs GUEST_MEMFD_FLAG_MMAP and _INIT_SHARED (6.18), which KVM does not report (%#x)",
		       flags);
		return -1;
	}

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

int vm_set_attributes(struct vm *vm, __u64 gpa, __u64 size, __u64 attrs)
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

int vm_setup_slot0(struct vm *vm)
{
	vm->slot0 = mmap_aligned(SLOT0_SIZE, SLOT0_SIZE);
	if (!vm->slot0) {
		pr_sys("mmap slot 0 (%llu bytes)", SLOT0_SIZE);
		return -1;
	}
	memcpy((unsigned char *)vm->slot0 + CODE_GPA, guest_code,
	       guest_code_size);
	if (vm_set_region(vm, 0, 0, SLOT0_GPA, SLOT0_SIZE, vm->slot0, -1))
		return -1;
	say("[setup] slot 0: GPA %#llx-%#llx, %llu MiB anonymous (shared)\n",
	    SLOT0_GPA, SLOT0_GPA + SLOT0_SIZE - 1, SLOT0_SIZE / MiB);
	say("[setup] slot 0: guest code, %zu bytes at GPA %#llx\n",
	    guest_code_size, CODE_GPA);
	return 0;
}

const char *folio_name(unsigned int shift)
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
	if (vm->ordinary)
		g.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
	else if (vm->in_place)
		g.flags = GUEST_MEMFD_FLAG_MMAP;	/* private, the file's */
	if (vm->gpool_flag) {
		g.flags |= GUEST_MEMFD_FLAG_GPOOL;
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

/*
 * A slot 1 whose VMM view is the guest_memfd's own mapping (placed
 * 1G-aligned by the kernel), the memslot taking every page from the file
 * (guest_memfd-only): an ordinary VM's (-O, all shared), or one that
 * converts in place (-I, private until converted).
 */
static int vm_setup_slot1_mapped(struct vm *vm)
{
	vm->shared = mmap(NULL, vm->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  vm->gmem_fd, 0);
	if (vm->shared == MAP_FAILED) {
		vm->shared = NULL;
		pr_sys("mmap(guest_memfd, MAP_SHARED, %llu bytes)", vm->size);
		return -1;
	}
	if (vm_set_region(vm, 1, KVM_MEM_GUEST_MEMFD, SLOT1_GPA, vm->size,
			  vm->shared, vm->gmem_fd))
		return -1;
	say("[setup] slot 1: GPA %#llx-%#llx, %llu MiB %s guest_memfd (fd %d), mapped by the VMM at %p\n",
	    SLOT1_GPA, SLOT1_GPA + vm->size - 1, vm->size / MiB,
	    vm->in_place ? "private" : "shared", vm->gmem_fd,
	    (void *)vm->shared);
	return 0;
}

/* KVM_SET_MEMORY_ATTRIBUTES2 on slot 1's guest_memfd (-I). */
int vm_convert(struct vm *vm, __u64 off, __u64 size, __u64 attrs)
{
	struct kvm_memory_attributes2 a = {
		.offset = off, .size = size, .attributes = attrs,
	};

	if (ioctl(vm->gmem_fd, KVM_SET_MEMORY_ATTRIBUTES2, &a) < 0) {
		int err = errno;

		pr_sys("KVM_SET_MEMORY_ATTRIBUTES2(guest_memfd, offset %#llx, size %#llx, %s)",
		       off, size, attrs ? "PRIVATE" : "shared");
		if (err == EAGAIN)
			pr_err("page at offset %#llx is still referenced",
			       (unsigned long long)a.error_offset);
		return -1;
	}
	return 0;
}

int vm_setup_slot1(struct vm *vm)
{
	if (vm_create_gmem(vm))
		return -1;
	if (vm->ordinary || vm->in_place)
		return vm_setup_slot1_mapped(vm);
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

int vm_create_vcpu(struct vm *vm)
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

int vm_destroy(struct vm *vm)
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
