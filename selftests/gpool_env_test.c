// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_env_test: the guest is the machine the other tests assume.
 *
 * Every other gpool test takes for granted a KVM that can run private
 * memory (KVM_X86_SW_PROTECTED_VM with guest_memfd), two NUMA nodes, and
 * KVM's mapping-size statistics in debugfs.  If the harness ever boots a
 * guest without one of them, those tests would skip or pass vacuously; this
 * test fails instead, and says which assumption broke.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "gpool_test.h"

FIXTURE(kvm) {
	int kvm_fd;
};

FIXTURE_SETUP(kvm)
{
	self->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->kvm_fd, 0) TH_LOG("open /dev/kvm: %s", strerror(errno));
}

FIXTURE_TEARDOWN(kvm)
{
	close(self->kvm_fd);
}

TEST_F(kvm, api_version)
{
	EXPECT_EQ(KVM_API_VERSION, ioctl(self->kvm_fd, KVM_GET_API_VERSION, 0));
}

/* The private-memory VM type is what guest_memfd needs on x86 in 6.12. */
TEST_F(kvm, sw_protected_vm_type)
{
	int types = ioctl(self->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);
	__u64 attrs;
	int vm_fd;

	ASSERT_GE(types, 0);
	ASSERT_TRUE(types & (1 << KVM_X86_SW_PROTECTED_VM))
		TH_LOG("KVM_CAP_VM_TYPES = %#x: no KVM_X86_SW_PROTECTED_VM", types);

	vm_fd = ioctl(self->kvm_fd, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	ASSERT_GE(vm_fd, 0) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	EXPECT_EQ(1, ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD));
	attrs = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MEMORY_ATTRIBUTES);
	EXPECT_TRUE(!!(attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE))
		TH_LOG("KVM_CAP_MEMORY_ATTRIBUTES = %#llx", (unsigned long long)attrs);
	close(vm_fd);
}

TEST_F(kvm, guest_memfd_create)
{
	struct kvm_create_guest_memfd args = { .size = 2 << 20 };
	int vm_fd, fd;

	vm_fd = ioctl(self->kvm_fd, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	ASSERT_GE(vm_fd, 0);
	fd = ioctl(vm_fd, KVM_CREATE_GUEST_MEMFD, &args);
	ASSERT_GE(fd, 0) TH_LOG("KVM_CREATE_GUEST_MEMFD: %s", strerror(errno));
	close(fd);
	close(vm_fd);
}

/* KVM's mapping-size counters prove huge NPT mappings in later tests. */
TEST(kvm_mapping_stats)
{
	static const char * const files[] = { "pages_4k", "pages_2m", "pages_1g" };
	char path[128], buf[64];
	unsigned int i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s", files[i]);
		EXPECT_EQ(0, read_str(path, buf, sizeof(buf)))
			TH_LOG("%s is not readable: is debugfs mounted?", path);
	}
}

/* The harness boots two NUMA nodes with CPUs and memory on each. */
TEST(two_numa_nodes)
{
	char buf[64];

	ASSERT_EQ(0, read_str("/sys/devices/system/node/online", buf, sizeof(buf)));
	EXPECT_STREQ("0-1\n", buf);
	ASSERT_EQ(0, read_str("/sys/devices/system/node/node1/cpulist", buf,
			       sizeof(buf)));
	EXPECT_STREQ("1\n", buf);
}

/* 1 GiB pages exist on this CPU model (pdpe1gb), or no test could use them. */
TEST(cpu_has_1g_pages)
{
	char *line = NULL;
	size_t len = 0;
	bool found = false;
	FILE *f;

	f = fopen("/proc/cpuinfo", "r");
	ASSERT_NE(NULL, f);
	while (getline(&line, &len, f) > 0) {
		if (!strncmp(line, "flags", 5) && strstr(line, " pdpe1gb")) {
			found = true;
			break;
		}
	}
	free(line);
	fclose(f);
	EXPECT_TRUE(found);
}

TEST_HARNESS_MAIN
