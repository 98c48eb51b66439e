// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_env_test: the guest is the machine the other tests assume.
 *
 * Every other gpool test takes for granted a KVM that can run private
 * memory (KVM_X86_SW_PROTECTED_VM with guest_memfd), two NUMA nodes, and
 * KVM's mapping-size statistics in debugfs.  If the harness ever boots a
 * guest without one of them, those tests would skip or pass vacuously; this
 * test fails instead, and says which assumption broke.
 *
 * The pool too is asserted, not assumed: the boot.* cases compare it with
 * the gpool= parameter on /proc/cmdline (kernel/boot.c).  A boot that asks
 * for a pool must have one, in the mode it asks for (nomap or not), with
 * default backing as asked, and with exactly the size asked on each node;
 * a plain guest_memfd (no GUEST_MEMFD_FLAG_GPOOL) must be pool-backed when
 * default_backing is asked for and must not be otherwise.  A boot without
 * gpool= must have no pool.  scripts/guest-init.sh runs this test first in
 * every boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/falloc.h>
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

/*
 * What gpool= on the kernel command line asks for: options, then SIZE (over
 * all online nodes) or NODE:SIZE pairs, as kernel/boot.c parses it.
 */
struct pool_request {
	bool asked;			/* the command line has gpool= */
	char param[256];		/* its value, for messages */
	bool nomap;
	bool default_backing;
	unsigned long long bytes[MAX_NODES];	/* asked for on each node */
	unsigned long long node_mask;
	unsigned long long total;
};

/* A size as memparse() reads it: a number, then an optional K/M/G/T/P/E. */
static int parse_size(const char *s, unsigned long long *size)
{
	const char *suffixes = "KMGTPE";
	const char *p;
	char *end;

	errno = 0;
	*size = strtoull(s, &end, 0);
	if (end == s || errno)
		return -EINVAL;
	if (*end) {
		p = strchr(suffixes, *end & ~0x20);
		if (!p || end[1])
			return -EINVAL;
		*size <<= 10 * (p - suffixes + 1);
	}
	return *size ? 0 : -EINVAL;
}

/* The online nodes, from /sys/devices/system/node/online ("0-1", "0,2-3"). */
static int online_nodes(unsigned long long *mask)
{
	char buf[256], *tok, *save;
	int ret, a, b;

	ret = read_str("/sys/devices/system/node/online", buf, sizeof(buf));
	if (ret)
		return ret;
	*mask = 0;
	for (tok = strtok_r(buf, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
		if (sscanf(tok, "%d-%d", &a, &b) != 2)
			b = a = atoi(tok);
		for (; a <= b && a < MAX_NODES; a++)
			*mask |= 1ULL << a;
	}
	return 0;
}

/* Parse @val, the value of gpool=, into @req; -EINVAL if malformed. */
static int parse_gpool_param(char *val, struct pool_request *req)
{
	unsigned long long online, size;
	char *tok, *save, *colon, *end;
	int nid, nr;

	for (;;) {
		if (!strncmp(val, "nomap,", 6)) {
			req->nomap = true;
			val += 6;
		} else if (!strncmp(val, "default_backing,", 16)) {
			req->default_backing = true;
			val += 16;
		} else {
			break;
		}
	}
	if (!strchr(val, ':')) {
		/* SIZE: an equal share on each online node. */
		if (parse_size(val, &size) || online_nodes(&online))
			return -EINVAL;
		nr = __builtin_popcountll(online);
		if (!nr || size % nr)
			return -EINVAL;
		for (nid = 0; nid < MAX_NODES; nid++)
			if (online & (1ULL << nid))
				req->bytes[nid] = size / nr;
	} else {
		for (tok = strtok_r(val, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			colon = strchr(tok, ':');
			if (!colon)
				return -EINVAL;
			*colon = '\0';
			nid = strtol(tok, &end, 10);
			if (end == tok || *end || nid < 0 || nid >= MAX_NODES ||
			    req->bytes[nid] || parse_size(colon + 1, &req->bytes[nid]))
				return -EINVAL;
		}
	}
	for (nid = 0; nid < MAX_NODES; nid++) {
		if (req->bytes[nid]) {
			req->node_mask |= 1ULL << nid;
			req->total += req->bytes[nid];
		}
	}
	return 0;
}

/*
 * The gpool= of /proc/cmdline: the last one before "--" (the kernel keeps
 * the last; what follows "--" is init's).
 */
static int read_request(struct pool_request *req)
{
	char cmdline[4096], *tok, *save, *val = NULL;
	int ret;

	memset(req, 0, sizeof(*req));
	ret = read_str("/proc/cmdline", cmdline, sizeof(cmdline));
	if (ret)
		return ret;
	for (tok = strtok_r(cmdline, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (!strcmp(tok, "--"))
			break;
		if (!strncmp(tok, "gpool=", 6))
			val = tok + 6;
	}
	if (!val)
		return 0;
	req->asked = true;
	snprintf(req->param, sizeof(req->param), "%s", val);
	return parse_gpool_param(val, req);
}

FIXTURE(boot) {
	struct pool_request req;
};

FIXTURE_SETUP(boot)
{
	ASSERT_EQ(0, read_request(&self->req))
		TH_LOG("cannot make sense of gpool=%s on /proc/cmdline", self->req.param);
}

FIXTURE_TEARDOWN(boot)
{
}

/* A pool exists exactly when gpool= asks for one, as big as it asks. */
TEST_F(boot, pool_as_asked)
{
	struct gpool_info_args info = {};
	bool nomap, backing;
	int fd;

	if (!self->req.asked) {
		EXPECT_FALSE(pool_exists()) TH_LOG("a pool, but no gpool= on the command line");
		EXPECT_NE(0, access("/dev/gpool", F_OK)) TH_LOG("/dev/gpool without a pool");
		return;
	}
	ASSERT_TRUE(pool_exists())
		TH_LOG("gpool=%s asks for a pool and there is none: the kernel log says why",
		       self->req.param);
	fd = open("/dev/gpool", O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0) TH_LOG("open /dev/gpool: %s", strerror(errno));
	ASSERT_EQ(0, gp_ioctl(fd, GPOOL_IOC_INFO, &info)) TH_LOG("GPOOL_IOC_INFO");
	close(fd);
	nomap = info.pool_flags & GPOOL_INFO_F_NOMAP;
	backing = info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING;
	EXPECT_EQ(self->req.nomap, nomap) TH_LOG("GPOOL_IOC_INFO pool_flags %#llx",
						(unsigned long long)info.pool_flags);
	EXPECT_EQ(self->req.default_backing, backing)
		TH_LOG("GPOOL_IOC_INFO pool_flags %#llx", (unsigned long long)info.pool_flags);
	EXPECT_EQ(self->req.node_mask, info.node_mask) TH_LOG("GPOOL_IOC_INFO node_mask");
	EXPECT_EQ(self->req.total / SZ_4K, info.nr_boot_pages)
		TH_LOG("GPOOL_IOC_INFO nr_boot_pages, gpool=%s", self->req.param);
	EXPECT_EQ(info.nr_boot_pages, info.nr_pages) TH_LOG("the pool grew before any test");
}

/* /sys/kernel/mm/gpool/mode: "nomap" for gpool=nomap,..., else "default". */
TEST_F(boot, mode)
{
	char mode[32];

	if (!self->req.asked)
		return;	/* no pool: boot.pool_as_asked checks that */
	ASSERT_EQ(0, read_str(GPOOL_SYSFS "/mode", mode, sizeof(mode)))
		TH_LOG(GPOOL_SYSFS "/mode is not readable");
	EXPECT_STREQ(self->req.nomap ? "nomap\n" : "default\n", mode)
		TH_LOG("gpool=%s", self->req.param);
}

/* /sys/kernel/mm/gpool/default_backing: 1 for gpool=default_backing,... */
TEST_F(boot, default_backing)
{
	if (!self->req.asked)
		return;
	EXPECT_EQ(self->req.default_backing, default_backing())
		TH_LOG("gpool=%s", self->req.param);
}

/* Each node asked for has exactly its share; no other node has a pool. */
TEST_F(boot, node_sizes)
{
	unsigned long long pages;
	int nid;

	if (!self->req.asked)
		return;
	for (nid = 0; nid < MAX_NODES; nid++) {
		if (!self->req.bytes[nid]) {
			EXPECT_FALSE(node_dir_exists(nid))
				TH_LOG("node%d has pool memory; gpool=%s gives it none",
				       nid, self->req.param);
			continue;
		}
		ASSERT_TRUE(node_dir_exists(nid))
			TH_LOG("no " GPOOL_SYSFS "/node%d; gpool=%s asks for %llu MiB there",
			       nid, self->req.param, self->req.bytes[nid] >> 20);
		pages = node_stat(nid, "nr_pages");
		EXPECT_EQ(self->req.bytes[nid], pages * SZ_4K)
			TH_LOG("node%d: %llu MiB in the pool, gpool=%s asks for %llu MiB",
			       nid, (pages * SZ_4K) >> 20, self->req.param,
			       self->req.bytes[nid] >> 20);
	}
}

/* Bytes of the pool's allocated and of its reserved units, all nodes. */
static void pool_use(unsigned long long *allocated, unsigned long long *reserved)
{
	struct pool_counts c;

	snapshot(&c);
	*allocated = units_bytes(c.allocated);
	*reserved = units_bytes(c.reserved);
}

/* Does LIST_FILES show a default-backed 2 MiB file of this process? */
static bool listed(struct __test_metadata *_metadata)
{
	struct gpool_list_files_args args = {};
	struct gpool_file_info *files;
	bool found = false;
	__u64 i, room;
	int fd, ret;

	fd = open("/dev/gpool", O_RDWR | O_CLOEXEC);
	EXPECT_GE(fd, 0) TH_LOG("open /dev/gpool: %s", strerror(errno));
	if (fd < 0)
		return false;
	ret = gp_ioctl(fd, GPOOL_IOC_LIST_FILES, &args);
	EXPECT_TRUE(!ret || ret == -E2BIG) TH_LOG("LIST_FILES: %s", strerror(-ret));
	room = args.nr_files + 4;
	files = calloc(room, sizeof(*files));
	EXPECT_NE(NULL, files);
	args = (struct gpool_list_files_args){ .nr_files = room,
					      .files = (uintptr_t)files };
	ret = files ? gp_ioctl(fd, GPOOL_IOC_LIST_FILES, &args) : -ENOMEM;
	EXPECT_EQ(0, ret) TH_LOG("LIST_FILES: %s", strerror(-ret));
	for (i = 0; !ret && i < args.nr_files; i++)
		found |= files[i].pid == (__u32)getpid() && files[i].size == SZ_2M &&
			 (files[i].file_flags & GPOOL_FILE_F_DEFAULT_BACKED);
	free(files);
	close(fd);
	return found;
}

/*
 * A guest_memfd created without GUEST_MEMFD_FLAG_GPOOL, and allocated, is
 * pool-backed exactly when the boot asks for default_backing: the pool's
 * allocated bytes grow by its size and LIST_FILES lists it.
 */
TEST_F(boot, plain_guest_memfd)
{
	struct kvm_create_guest_memfd args = { .size = SZ_2M };
	unsigned long long alloc0, resv0, alloc1, resv1, files0 = 0;
	bool pool = self->req.asked;
	bool pooled = pool && self->req.default_backing;
	int kvm_fd, vm_fd, fd;

	vm_fd = create_vm(&kvm_fd);
	ASSERT_GE(vm_fd, 0) TH_LOG("a KVM_X86_SW_PROTECTED_VM: %s", strerror(-vm_fd));
	if (pool) {
		pool_use(&alloc0, &resv0);
		files0 = sysfs_ull(GPOOL_SYSFS "/nr_files");
	}
	fd = ioctl(vm_fd, KVM_CREATE_GUEST_MEMFD, &args);
	ASSERT_GE(fd, 0) TH_LOG("KVM_CREATE_GUEST_MEMFD without the flag: %s",
				strerror(errno));
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, SZ_2M))
		TH_LOG("fallocate: %s", strerror(errno));
	if (pool) {
		pool_use(&alloc1, &resv1);
		EXPECT_EQ(alloc0 + (pooled ? SZ_2M : 0), alloc1)
			TH_LOG("%s: the pool's allocated bytes after fallocate() of a "
			       "2 MiB plain guest_memfd",
			       pooled ? "default_backing" : "no default_backing");
		EXPECT_EQ(resv0, resv1) TH_LOG("reserved bytes");
		EXPECT_EQ(files0 + pooled, sysfs_ull(GPOOL_SYSFS "/nr_files"))
			TH_LOG(GPOOL_SYSFS "/nr_files");
		EXPECT_EQ(pooled, listed(_metadata))
			TH_LOG("LIST_FILES lists the plain file as default-backed");
	}
	close(fd);
	close(vm_fd);
	close(kvm_fd);
	if (pool) {
		pool_use(&alloc1, &resv1);
		EXPECT_EQ(alloc0, alloc1) TH_LOG("allocated bytes after close");
		EXPECT_EQ(resv0, resv1) TH_LOG("reserved bytes after close");
	}
}

TEST_HARNESS_MAIN
