// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_hold_files: hold pool-backed guest_memfds open, for a test that
 * looks at them from outside (poolctl_cli_test.sh, case_files_open).  Not
 * a test itself: selftests/Makefile builds it as a helper.
 *
 *   gpool_hold_files READY
 *
 * Creates a KVM_X86_SW_PROTECTED_VM with two pool-backed guest_memfds,
 * each partly allocated, so that their units, nodes and policies show:
 *
 *   4 MiB, 2M folios, bound to the first pool node, all allocated (2 2M units)
 *   2 MiB, 4K folios, default policy, its first 1 MiB allocated (256 4K units)
 *
 * then writes the number of files it holds to READY (through a rename,
 * so that a reader sees all of it or nothing) and waits to be killed.
 * Exits 1, saying why on stderr, if it cannot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <linux/gpool.h>

#define MIB (1ULL << 20)

static void die(const char *what)
{
	fprintf(stderr, "gpool_hold_files: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The first node of the pool (a nodeN directory in sysfs), or -1. */
static int first_pool_node(void)
{
	char path[64];
	struct stat st;
	int nid;

	for (nid = 0; nid < 64; nid++) {
		snprintf(path, sizeof(path), "/sys/kernel/mm/gpool/node%d", nid);
		if (!stat(path, &st))
			return nid;
	}
	return -1;
}

static int hold(int vm, unsigned long long size, unsigned int shift,
		unsigned int numa_mode, unsigned long long nodes,
		unsigned long long allocate)
{
	struct gpool_create_guest_memfd args = {
		.size = size,
		.flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = shift,
		.numa_mode = numa_mode,
		.numa_nodes = nodes,
	};
	int fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);

	if (fd < 0)
		die("KVM_CREATE_GUEST_MEMFD with the pool");
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, allocate))
		die("fallocate");
	return fd;
}

int main(int argc, char **argv)
{
	char tmp[4096];
	int kvm, vm, nid;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: gpool_hold_files READY\n");
		return 2;
	}
	nid = first_pool_node();
	if (nid < 0) {
		errno = ENOENT;
		die("no node in /sys/kernel/mm/gpool");
	}
	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		die("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	if (vm < 0)
		die("KVM_CREATE_VM");
	hold(vm, 4 * MIB, GPOOL_FOLIO_SHIFT_2M, GPOOL_NUMA_BIND, 1ULL << nid, 4 * MIB);
	hold(vm, 2 * MIB, GPOOL_FOLIO_SHIFT_4K, GPOOL_NUMA_DEFAULT, 0, 1 * MIB);

	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "2\n") < 0 || fclose(f) || rename(tmp, argv[1]))
		die(argv[1]);
	for (;;)
		pause();
}
