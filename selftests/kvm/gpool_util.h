/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the gpool programs built with the KVM selftest library
 * (selftests/kvm/, stress/kvm/): reading the pool's sysfs counters, through
 * libgpool (tools/lib/gpool: scripts/guest-image.sh links libgpool.a into
 * these programs).
 */
#ifndef SELFTEST_KVM_GPOOL_UTIL_H
#define SELFTEST_KVM_GPOOL_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "test_util.h"
#include "ucall_common.h"
#include "libgpool.h"

/*
 * A decimal value from a one-value file; 0 if the file does not exist.
 * The test fails if it exists but holds no number.
 */
static inline uint64_t read_u64(const char *path)
{
	__u64 v;
	int ret = gpool_sysfs_u64(AT_FDCWD, path, &v, NULL);

	if (ret == -ENOENT)
		return 0;
	TEST_ASSERT(!ret, "read %s: %s", path, strerror(-ret));
	return v;
}

/*
 * /sys/kernel/mm/gpool/node<nid>/<size>/<name>, @size a GPOOL_SIZE_*;
 * with @size -1, node<nid>/<name>.  0 if the file does not exist.
 */
static inline uint64_t pool_stat(int nid, int size, const char *name)
{
	char rel[64], path[96];

	TEST_ASSERT(!gpool_sysfs_node_path(rel, sizeof(rel), nid, size, name),
		    "node%d/%s: path too long", nid, name);
	snprintf(path, sizeof(path), GPOOL_SYSFS_DIR "/%s", rel);
	return read_u64(path);
}

/*
 * A node with a free, unreserved 1G unit, or -1.  Units out with the
 * background zeroer are free capacity too.
 */
static inline int node_with_free_1g(void)
{
	int nid;

	for (nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (pool_stat(nid, GPOOL_SIZE_1G, "free") +
		    pool_stat(nid, GPOOL_SIZE_1G, "zeroing") >
		    pool_stat(nid, GPOOL_SIZE_1G, "reserved"))
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
