// SPDX-License-Identifier: GPL-2.0
/*
 * gpool-demo: the phases a to e (demo.h), each a few guest commands,
 * conversions by the VMM and checks of KVM's mappings and of the pool.
 */
#include "demo.h"

/* -------------------------------------------------------------- phases */

__u64 pages(__u64 bytes)
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
		phase_fail(ph, "cannot read %s", GPOOL_SYSFS_DIR);
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

int phase_write(struct vm *vm, struct phase *ph)
{
	say("\n[a] guest writes pattern A to every page of %s slot 1\n",
	    vm->ordinary ? "shared" : "private");
	phase_begin(vm, ph, vm->ordinary ? "a write shared" : "a write private");
	if (guest_range(vm, ph, "a", GCMD_WRITE, 0, vm->size, KEY_A))
		return -1;
	phase_end(vm, ph, "a");
	return 0;
}

int phase_verify(struct vm *vm, struct phase *ph)
{
	say("\n[b] guest verifies pattern A\n");
	phase_begin(vm, ph, vm->ordinary ? "b verify shared" : "b verify private");
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

/* After R turned shared: the pool split the unit that backed it. */
static void check_split(struct vm *vm, struct phase *ph)
{
	__u64 sizes[8];
	long long splits = 0;
	int n;

	if (!vm->pool_present || ph->pool_after.present <= 0)
		return;
	pool_print_conv("[c] pool", "split", PF_NR_SPLITS, &ph->pool_before,
			&ph->pool_after);
	if (!pool_splits(vm))
		return;
	n = pool_sizes(&ph->pool_after, sizes, ARRAY_SIZE(sizes));
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

int phase_to_shared(struct vm *vm, struct phase *ph)
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
	check_split(vm, ph);
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

int phase_to_private(struct vm *vm, struct phase *ph)
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

int phase_final(struct vm *vm, struct phase *ph)
{
	say("\n[e] guest rewrites pattern A in R, verifies all of slot 1\n");
	phase_begin(vm, ph, "e final verify");
	if (guest_range(vm, ph, "e", GCMD_WRITE, CONV_OFF, CONV_LEN, KEY_A) ||
	    guest_range(vm, ph, "e", GCMD_VERIFY, 0, vm->size, KEY_A))
		return -1;
	phase_end(vm, ph, "e");
	return 0;
}

/* ------------------------------------------- an ordinary VM (-O) phases */

/* How the VMM's mapping of slot 1 was made: the pool's host_maps. */
static void show_host_maps(struct vm *vm, const char *tag)
{
	struct gpool_file_info *files;
	unsigned int nr, i;
	int fd;

	if (!vm->gpool)
		return;
	fd = gpool_ctl_open(NULL, false);
	if (fd < 0 || gpool_ctl_list_files(fd, &files, &nr)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (i = 0; i < nr; i++) {
		if (files[i].pid != (__u32)getpid() || files[i].size != vm->size)
			continue;
		say("[%s] VMM mapping of slot 1, as the pool made it: %llu 1G, %llu 2M, %llu 4K mappings\n",
		    tag, (unsigned long long)files[i].host_maps[GPOOL_SIZE_1G],
		    (unsigned long long)files[i].host_maps[GPOOL_SIZE_2M],
		    (unsigned long long)files[i].host_maps[GPOOL_SIZE_4K]);
	}
	free(files);
	close(fd);
}

/* Write pattern @key over [off, off + len) through the VMM's mapping. */
static void vmm_write_view(struct vm *vm, __u64 off, __u64 len, __u32 key)
{
	for (__u64 o = off; o < off + len; o += PAGE_SIZE)
		*(__u32 *)(vm->shared + o) = (__u32)(SLOT1_GPA + o) ^ key;
}

int phase_o_vmm(struct vm *vm, struct phase *ph)
{
	unsigned long bad;

	say("\n[c] the VMM reads slot 1 through its mapping, writes pattern C to R\n");
	phase_begin(vm, ph, "c VMM via mmap");
	bad = vmm_check_view(vm, "c", 0, vm->size, true, KEY_A);
	say("[c] VMM reads the guest's pattern A: %lu mismatches\n", bad);
	ph->bad += bad;
	show_host_maps(vm, "c");
	vmm_write_view(vm, CONV_OFF, CONV_LEN, KEY_C);
	if (guest_range(vm, ph, "c", GCMD_VERIFY, CONV_OFF, CONV_LEN, KEY_C) ||
	    guest_rest(vm, ph, "c", GCMD_VERIFY, KEY_A))
		return -1;
	phase_end(vm, ph, "c");
	vm->conv = ph;
	return 0;
}

int phase_o_punch(struct vm *vm, struct phase *ph)
{
	unsigned long bad;
	double t0;

	say("\n[d] punch R out of the guest_memfd: both sides read zero there\n");
	phase_begin(vm, ph, "d punch R");
	t0 = now_ms();
	if (fallocate(vm->gmem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      CONV_OFF, CONV_LEN) < 0) {
		pr_sys("fallocate(guest_memfd, PUNCH_HOLE, %#llx, %#llx)",
		       CONV_OFF, CONV_LEN);
		return -1;
	}
	ph->vmm_ms = now_ms() - t0;
	say("[d] PUNCH_HOLE: %.3f ms (unmaps the unit from the VMM and from KVM)\n",
	    ph->vmm_ms);
	if (guest_range(vm, ph, "d", GCMD_ZERO, CONV_OFF, CONV_LEN, 0) ||
	    guest_rest(vm, ph, "d", GCMD_VERIFY, KEY_A))
		return -1;
	bad = vmm_check_view(vm, "d", CONV_OFF, CONV_LEN, false, 0);
	say("[d] VMM reads R: %lu non-zero pages\n", bad);
	ph->bad += bad;
	phase_end(vm, ph, "d");
	show_host_maps(vm, "d");
	return 0;
}

int phase_o_refill(struct vm *vm, struct phase *ph)
{
	const struct phase *c = vm->conv;

	say("\n[e] allocate R again (the unit merges), guest rewrites it, verifies all\n");
	phase_begin(vm, ph, "e refill, verify");
	if (fallocate(vm->gmem_fd, FALLOC_FL_KEEP_SIZE, CONV_OFF, CONV_LEN) < 0) {
		pr_sys("fallocate(guest_memfd, KEEP_SIZE, %#llx, %#llx)",
		       CONV_OFF, CONV_LEN);
		return -1;
	}
	if (guest_range(vm, ph, "e", GCMD_WRITE, CONV_OFF, CONV_LEN, KEY_A) ||
	    guest_range(vm, ph, "e", GCMD_VERIFY, 0, vm->size, KEY_A))
		return -1;
	ph->bad += vmm_check_view(vm, "e", 0, vm->size, true, KEY_A);
	phase_end(vm, ph, "e");
	show_host_maps(vm, "e");
	if (vm->stats_per_vm && c && c->after.v[ST_1G] > 0 &&
	    ph->after.v[ST_1G] < c->after.v[ST_1G])
		phase_fail(ph, "KVM maps %lld 1G pages, %lld before the punch",
			   ph->after.v[ST_1G], c->after.v[ST_1G]);
	return 0;
}

/* ------------------------------------ in-place conversion (-I) phases */

int phase_i_to_shared(struct vm *vm, struct phase *ph)
{
	unsigned long bad;
	double t0;

	say("\n[c] convert R (offset %#llx, %llu page) to shared in place: KVM_SET_MEMORY_ATTRIBUTES2\n",
	    CONV_OFF, pages(CONV_LEN));
	phase_begin(vm, ph, "c shared in place");
	vm->conv = ph;
	t0 = now_ms();
	if (vm_convert(vm, CONV_OFF, CONV_LEN, 0))
		return -1;
	ph->vmm_ms = now_ms() - t0;
	say("[c] KVM_SET_MEMORY_ATTRIBUTES2(0): %.3f ms, nothing freed or allocated\n",
	    ph->vmm_ms);
	bad = vmm_check_view(vm, "c", CONV_OFF, CONV_LEN, true, KEY_A);
	say("[c] VMM reads R through its mapping: the guest's pattern A, %lu mismatches (contents kept)\n",
	    bad);
	ph->bad += bad;
	show_host_maps(vm, "c");
	vmm_write_view(vm, CONV_OFF, CONV_LEN, KEY_C);
	say("[c] VMM writes pattern C to R\n");
	if (guest_range(vm, ph, "c", GCMD_VERIFY, CONV_OFF, CONV_LEN, KEY_C) ||
	    guest_rest(vm, ph, "c", GCMD_VERIFY, KEY_A))
		return -1;
	phase_end(vm, ph, "c");
	check_split(vm, ph);
	return 0;
}

int phase_i_to_private(struct vm *vm, struct phase *ph)
{
	double t0;

	say("\n[d] convert R back to private in place\n");
	phase_begin(vm, ph, "d private in place");
	t0 = now_ms();
	if (vm_convert(vm, CONV_OFF, CONV_LEN, KVM_MEMORY_ATTRIBUTE_PRIVATE))
		return -1;
	ph->vmm_ms = now_ms() - t0;
	say("[d] KVM_SET_MEMORY_ATTRIBUTES2(PRIVATE): %.3f ms (the VMM's mapping of R is gone)\n",
	    ph->vmm_ms);
	/* The VMM's bytes are still there: nothing was freed or cleared. */
	if (guest_range(vm, ph, "d", GCMD_VERIFY, CONV_OFF, CONV_LEN, KEY_C) ||
	    guest_rest(vm, ph, "d", GCMD_VERIFY, KEY_A))
		return -1;
	phase_end(vm, ph, "d");
	check_merged(vm, ph);
	return 0;
}
