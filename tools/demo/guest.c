// SPDX-License-Identifier: GPL-2.0
/*
 * gpool-demo: the guest: its code, and the VMM's side of the protocol
 * (running the vCPU, one command at a time).
 */
#include "demo.h"

/*
 * The guest, 32-bit code loaded at CODE_GPA.  Offsets on the left; the source
 * can be reassembled with "as --32" (.code32, .intel_syntax noprefix).
 */
const unsigned char guest_code[] = {
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

const size_t guest_code_size = sizeof(guest_code);

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
int guest_cmd(struct vm *vm, struct phase *ph, __u32 cmd, __u64 gpa,
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

int guest_wait_ready(struct vm *vm)
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
