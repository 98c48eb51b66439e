/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest and a host that stamp memory, for the gpool tests that check
 * contents across mappings (gpool_mmap_test, gpool_conv_test): the first
 * and the last qword of every 4 KiB page get PATTERN | offset (and
 * offset + 1), so that a page of the wrong place, of the wrong time or of
 * nobody (zero) is told apart.  The guest runs one command per
 * gpool_stamp_run() and reports how many qwords were wrong.
 */
#ifndef SELFTEST_KVM_GPOOL_STAMP_H
#define SELFTEST_KVM_GPOOL_STAMP_H

#include <stdint.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "gpool_util.h"

#define STAMP_PAGE	4096UL

struct stamp_cmd {
	uint64_t op, base, off, size, pattern;
};
static struct stamp_cmd stamp_cmd;

enum { STAMP_WRITE = 1, STAMP_CHECK };

static inline uint64_t stamp(uint64_t pattern, uint64_t where)
{
	return pattern | where;
}

/*
 * The guest: stamp, or count the wrong stamps of, [off, off + size) of the
 * memory at guest physical address base (identity-mapped).
 */
static void __attribute__((unused)) stamp_guest_code(void)
{
	uint64_t off, bad;

	for (;;) {
		bad = 0;
		for (off = stamp_cmd.off; off < stamp_cmd.off + stamp_cmd.size;
		     off += STAMP_PAGE) {
			uint64_t *a = (uint64_t *)(stamp_cmd.base + off);
			uint64_t *b = a + STAMP_PAGE / 8 - 1;

			if (stamp_cmd.op == STAMP_WRITE) {
				*a = stamp(stamp_cmd.pattern, off);
				*b = stamp(stamp_cmd.pattern, off + 1);
			} else {
				bad += *a != stamp(stamp_cmd.pattern, off);
				bad += *b != stamp(stamp_cmd.pattern, off + 1);
			}
		}
		GUEST_SYNC(bad);
	}
}

/*
 * Have the guest run @op over [off, off + size) of the memory at @base with
 * @pattern.  Return: the wrong qwords (0 for a write).
 */
static inline uint64_t gpool_stamp_run(struct kvm_vcpu *vcpu, uint64_t op,
				       uint64_t base, uint64_t off,
				       uint64_t size, uint64_t pattern)
{
	stamp_cmd = (struct stamp_cmd){ op, base, off, size, pattern };
	sync_global_to_guest(vcpu->vm, stamp_cmd);
	return gpool_vcpu_sync(vcpu);
}

/*
 * A VM with one vCPU running stamp_guest_code() and @size bytes of the
 * guest_memfd @fd, mapped by the host at @map, in memslot @slot at @gpa.
 */
struct stamp_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int fd;
	uint64_t size;
	uint64_t *map;
};

/*
 * Map the file into the host and give it to the guest: bound to the
 * memslot (guest_memfd-only), or with @plain_slot only at the memslot's
 * userspace_addr (QEMU's guest-memfd=on); identity-mapped in the guest.
 */
static inline void stamp_vm_bind(struct stamp_vm *t, uint32_t slot,
				 uint64_t gpa, bool plain_slot)
{
	t->map = gpool_map_shared(t->fd, t->size);
	if (plain_slot)
		vm_set_user_memory_region(t->vm, slot, 0, gpa, t->size, t->map);
	else
		vm_set_user_memory_region2(t->vm, slot, KVM_MEM_GUEST_MEMFD,
					   gpa, t->size, t->map, t->fd, 0);
	virt_map_level(t->vm, gpa, gpa, t->size,
		       t->size >= (1ULL << 30) ? PG_LEVEL_1G : PG_LEVEL_2M);
}

static inline void stamp_vm_free(struct stamp_vm *t)
{
	kvm_vm_free(t->vm);
	munmap(t->map, t->size);
	close(t->fd);
}

/* The host's side: stamp [off, off + size) of a mapping @m of the memory. */
static inline void host_write(uint64_t *m, uint64_t off, uint64_t size,
			      uint64_t pattern)
{
	uint64_t end = off + size;

	for (; off < end; off += STAMP_PAGE) {
		m[off / 8] = stamp(pattern, off);
		m[(off + STAMP_PAGE) / 8 - 1] = stamp(pattern, off + 1);
	}
}

/* Wrong stamps in [off, off + size) of @m; @pattern 0: must read zero. */
static inline uint64_t host_bad(const uint64_t *m, uint64_t off, uint64_t size,
				uint64_t pattern)
{
	uint64_t bad = 0, end = off + size;

	for (; off < end; off += STAMP_PAGE) {
		bad += m[off / 8] != (pattern ? stamp(pattern, off) : 0);
		bad += m[(off + STAMP_PAGE) / 8 - 1] !=
		       (pattern ? stamp(pattern, off + 1) : 0);
	}
	return bad;
}

#endif /* SELFTEST_KVM_GPOOL_STAMP_H */
