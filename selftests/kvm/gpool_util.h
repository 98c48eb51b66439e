/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the gpool programs built with the KVM selftest library
 * (selftests/kvm/, stress/kvm/): reading the pool's sysfs counters.
 */
#ifndef SELFTEST_KVM_GPOOL_UTIL_H
#define SELFTEST_KVM_GPOOL_UTIL_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kvm_util.h"
#include "test_util.h"
#include "ucall_common.h"

/* A decimal value from a one-value file; 0 if the file does not exist. */
static inline uint64_t read_u64(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	TEST_ASSERT(read(fd, buf, sizeof(buf) - 1) > 0, "read %s", path);
	close(fd);
	return strtoull(buf, NULL, 10);
}

/* /sys/kernel/mm/gpool/node<nid>/<size>/<name> */
static inline uint64_t pool_stat(int nid, const char *size, const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/kernel/mm/gpool/node%d/%s/%s",
		 nid, size, name);
	return read_u64(path);
}

/*
 * A node with a free, unreserved 1G unit, or -1.  Units out with the
 * background zeroer are free capacity too.
 */
static inline int node_with_free_1g(void)
{
	int nid;

	for (nid = 0; nid < 64; nid++)
		if (pool_stat(nid, "1G", "free") + pool_stat(nid, "1G", "zeroing") >
		    pool_stat(nid, "1G", "reserved"))
			return nid;
	return -1;
}

/*
 * Called by gpool_vcpu_thread() when a vCPU exits other than through a
 * ucall, before the test fails, to say more about it (gpool_soak sets it).
 */
static void (*gpool_bad_exit_hook)(struct kvm_vcpu *vcpu);

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
		if (vcpu->run->exit_reason != KVM_EXIT_IO && gpool_bad_exit_hook)
			gpool_bad_exit_hook(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
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

#endif /* SELFTEST_KVM_GPOOL_UTIL_H */
