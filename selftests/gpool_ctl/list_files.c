// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_ctl_test: GPOOL_IOC_LIST_FILES: the count alone, E2BIG without
 * writing, creation order, every field of an entry, the units a file holds
 * as it is allocated and punched, a child's pid and name.
 */
#include <signal.h>
#include <linux/falloc.h>

#include "ctl.h"

static bool is_canary(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != CANARY)
			return false;
	return true;
}

/* A node with a free 1G unit nobody has reserved, or -1. */
static int node_with_free_1g_unit(const struct pool_shape *p)
{
	const struct gpool_size_stats *g;
	int nid;

	for (nid = 0; nid < MAX_NODES; nid++) {
		g = &p->node[nid].size[GPOOL_SIZE_1G];
		if ((p->info.node_mask & (1ULL << nid)) &&
		    g->free + g->zeroing > g->reserved)
			return nid;
	}
	return -1;
}

TEST_F(ctl, list_files_count_only)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	const __u32 n0 = self->e.start.info.nr_files;
	struct gpool_list_files_args l = {};
	int i, fd;

	EXPECT_EQ(n0 ? -E2BIG : 0, __gpool_ioctl(self->e.fd, GPOOL_IOC_LIST_FILES, &l));
	EXPECT_EQ(n0, l.nr_files);
	for (i = 0; i < 2; i++) {
		fd = new_file(&self->e, &args);
		ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	}
	memset(&l, 0, sizeof(l));
	EXPECT_EQ(-E2BIG, __gpool_ioctl(self->e.fd, GPOOL_IOC_LIST_FILES, &l));
	EXPECT_EQ(n0 + 2, l.nr_files);
	EXPECT_EQ(0ULL, l.files);
	EXPECT_EQ(0ULL, l.reserved[0]);
	EXPECT_EQ(0ULL, l.reserved[1]);
}

/* One entry too few: E2BIG, the count, and not one byte written. */
TEST_F(ctl, list_files_e2big_writes_nothing)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	const __u32 n0 = self->e.start.info.nr_files;
	struct gpool_file_info *buf;
	__u64 nr;
	int i, fd;

	for (i = 0; i < 3; i++) {
		fd = new_file(&self->e, &args);
		ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	}
	buf = malloc((n0 + 3) * sizeof(*buf));
	ASSERT_NE(NULL, buf);
	memset(buf, CANARY, (n0 + 3) * sizeof(*buf));
	EXPECT_EQ(-E2BIG, list_files(self->e.fd, buf, n0 + 2, &nr));
	EXPECT_EQ(n0 + 3ULL, nr);
	EXPECT_TRUE(is_canary(buf, (n0 + 3) * sizeof(*buf)));
	free(buf);
}

static void expect_no_units(struct __test_metadata *_metadata,
			    const struct gpool_file_info *f)
{
	unsigned int i;

	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		EXPECT_EQ(0ULL, f->units[i]) TH_LOG("units[%u]", i);
	}
	for (i = 0; i < GPOOL_FILE_NR_NODES; i++) {
		EXPECT_EQ(0ULL, f->node_bytes[i]) TH_LOG("node_bytes[%u]", i);
	}
}

/*
 * Four files of every folio size and NUMA mode come back last, in the
 * order they were made, with what they were made with; the entries past
 * the count are not touched.
 */
TEST_F(ctl, list_files_entries)
{
	const __u64 all = self->e.start.info.node_mask;
	const int first = self->e.first_nid, last = self->e.last_nid;
	struct gpool_create_guest_memfd made[] = {
		{ .size = SZ_2M, .folio_shift = GPOOL_FOLIO_SHIFT_4K,
		  .numa_mode = GPOOL_NUMA_DEFAULT },
		{ .size = 2 * SZ_2M, .folio_shift = GPOOL_FOLIO_SHIFT_2M,
		  .numa_mode = GPOOL_NUMA_PREFERRED, .numa_nodes = 1ULL << first },
		{ .size = SZ_2M, .folio_shift = GPOOL_FOLIO_SHIFT_1G,
		  .numa_mode = GPOOL_NUMA_INTERLEAVE, .numa_nodes = all },
		{ .size = SZ_2M, .folio_shift = GPOOL_FOLIO_SHIFT_2M,
		  .numa_mode = GPOOL_NUMA_BIND, .numa_nodes = 1ULL << last },
	};
	const unsigned int n0 = self->e.start.info.nr_files, mine = ARRAY_SIZE(made);
	const unsigned int room = n0 + mine + 3;
	struct gpool_file_info *buf, *f;
	char comm[16] = "";
	unsigned int i, w;
	__u64 nr;
	int fd;

	ASSERT_EQ(0, prctl(PR_GET_NAME, comm));
	for (i = 0; i < mine; i++) {
		made[i].flags = GUEST_MEMFD_FLAG_GPOOL;
		fd = new_file(&self->e, &made[i]);
		ASSERT_GE(fd, 0) TH_LOG("file %u: %s", i, strerror(-fd));
	}
	buf = malloc(room * sizeof(*buf));
	ASSERT_NE(NULL, buf);
	memset(buf, CANARY, room * sizeof(*buf));
	EXPECT_EQ(0, list_files(self->e.fd, buf, room, &nr));
	EXPECT_EQ((__u64)n0 + mine, nr);
	if (nr != n0 + mine) {
		free(buf);
		return;
	}
	EXPECT_TRUE(is_canary(&buf[nr], (room - nr) * sizeof(*buf)));
	for (i = 1; i < nr; i++) {
		EXPECT_LT(buf[i - 1].id, buf[i].id) TH_LOG("entry %u", i);
	}

	for (i = 0; i < mine; i++) {
		f = &buf[n0 + i];
		EXPECT_EQ((__u32)getpid(), f->pid) TH_LOG("file %u", i);
		EXPECT_EQ(0U, f->file_flags) TH_LOG("file %u", i);
		EXPECT_NE(NULL, memchr(f->comm, '\0', sizeof(f->comm)));
		EXPECT_EQ(0, strncmp(comm, f->comm, sizeof(f->comm)))
			TH_LOG("file %u: comm %.16s, not %s", i, f->comm, comm);
		EXPECT_EQ(made[i].size, f->size) TH_LOG("file %u", i);
		EXPECT_EQ(made[i].folio_shift, f->folio_shift) TH_LOG("file %u", i);
		EXPECT_EQ(made[i].numa_mode, f->numa_mode) TH_LOG("file %u", i);
		EXPECT_EQ(made[i].numa_nodes, f->numa_nodes) TH_LOG("file %u", i);
		expect_no_units(_metadata, f);
		for (w = 0; w < ARRAY_SIZE(f->reserved); w++) {
			EXPECT_EQ(0ULL, f->reserved[w]) TH_LOG("file %u", i);
		}
	}
	free(buf);
}

/*
 * The units a file holds now: @n[GPOOL_SIZE_*], all of them on node @nid,
 * and node_bytes adding up to the units.
 */
static void expect_units(struct __test_metadata *_metadata, int ctl_fd,
			 const __u64 n[GPOOL_NR_SIZES], int nid)
{
	unsigned long long bytes = 0, sum = 0;
	struct gpool_file_info f;
	unsigned int i;

	last_file(_metadata, ctl_fd, &f);
	EXPECT_EQ((__u32)getpid(), f.pid);
	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		EXPECT_EQ(n[i], f.units[i]) TH_LOG("units[%s]", sizes[i]);
		bytes += f.units[i] * size_bytes[i];
	}
	for (i = 0; i < GPOOL_FILE_NR_NODES; i++) {
		sum += f.node_bytes[i];
		if ((int)i != nid) {
			EXPECT_EQ(0ULL, f.node_bytes[i]) TH_LOG("node_bytes[%u]", i);
		}
	}
	EXPECT_EQ(bytes, f.node_bytes[nid]);
	EXPECT_EQ(bytes, sum);
}

/* A 1 GiB file: no unit, then one 1G unit, then 511 2M + 511 4K. */
TEST_F_TIMEOUT(ctl, list_files_units_1g, 120)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_1G, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_1G, .numa_mode = GPOOL_NUMA_BIND,
	};
	const int keep = FALLOC_FL_KEEP_SIZE;
	const int punch = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;
	int nid, fd;

	nid = node_with_free_1g_unit(&self->e.start);
	if (nid < 0)
		SKIP(return, "no free 1G unit in the pool");
	ASSERT_LT(nid, GPOOL_FILE_NR_NODES);
	args.numa_nodes = 1ULL << nid;
	fd = new_file(&self->e, &args);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));

	expect_units(_metadata, self->e.fd, (const __u64[]){ 0, 0, 0 }, nid);
	ASSERT_EQ(0, fallocate(fd, keep, 0, SZ_1G)) TH_LOG("%s", strerror(errno));
	expect_units(_metadata, self->e.fd, (const __u64[]){ 0, 0, 1 }, nid);
	ASSERT_EQ(0, fallocate(fd, punch, 0, SZ_4K)) TH_LOG("%s", strerror(errno));
	expect_units(_metadata, self->e.fd, (const __u64[]){ 511, 511, 0 }, nid);
	close_file(&self->e, fd);
}

/* Smaller folio limits: a 4 MiB file of 2M units, a 4K-only file. */
TEST_F(ctl, list_files_units_small)
{
	struct gpool_create_guest_memfd args = {
		.flags = GUEST_MEMFD_FLAG_GPOOL, .numa_mode = GPOOL_NUMA_BIND,
	};
	const int keep = FALLOC_FL_KEEP_SIZE;
	struct gpool_node_stats_args s;
	int nid, fd;

	for (nid = 0; nid < GPOOL_FILE_NR_NODES; nid++) {
		if (!(self->e.start.info.node_mask & (1ULL << nid)))
			continue;
		ASSERT_EQ(0, node_stats(self->e.fd, nid, &s));
		if (node_free_bytes(&s) >= 2 * SZ_2M)
			break;
	}
	if (nid == GPOOL_FILE_NR_NODES)
		SKIP(return, "no node has 4 MiB of free pool memory");
	args.numa_nodes = 1ULL << nid;

	args.size = 2 * SZ_2M;
	args.folio_shift = GPOOL_FOLIO_SHIFT_2M;
	fd = new_file(&self->e, &args);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, fallocate(fd, keep, 0, 2 * SZ_2M)) TH_LOG("%s", strerror(errno));
	expect_units(_metadata, self->e.fd, (const __u64[]){ 0, 2, 0 }, nid);
	close_file(&self->e, fd);

	args.size = SZ_2M;
	args.folio_shift = GPOOL_FOLIO_SHIFT_4K;
	fd = new_file(&self->e, &args);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, fallocate(fd, keep, 0, 2 * SZ_4K)) TH_LOG("%s", strerror(errno));
	expect_units(_metadata, self->e.fd, (const __u64[]){ 2, 0, 0 }, nid);
	close_file(&self->e, fd);
}

/*
 * The child: name itself, make a 2 MiB pool-backed file on its own VM,
 * report the fd (or -errno) on @report, and keep the file open until
 * @hold reaches EOF.  It dies with the test if the test dies first.
 */
static void __attribute__((noreturn))
child_holds_file(int report, int hold, pid_t parent)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	int kvm_fd, vm_fd, fd;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	prctl(PR_SET_NAME, "gpool_child");
	vm_fd = create_vm(&kvm_fd);
	fd = vm_fd < 0 ? vm_fd : create_gmem(vm_fd, &args);
	if (write(report, &fd, sizeof(fd)) != sizeof(fd))
		_exit(1);
	while (read(hold, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* A file made by a child names the child, while the child keeps it. */
TEST_F(ctl, list_files_child_pid)
{
	const __u32 n0 = self->e.start.info.nr_files;
	const pid_t parent = getpid();
	int report[2], hold[2], child_fd = -1, status;
	struct gpool_file_info f;
	pid_t pid;

	ASSERT_EQ(0, pipe(report));
	ASSERT_EQ(0, pipe(hold));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(report[0]);
		close(hold[1]);
		child_holds_file(report[1], hold[0], parent);
	}
	close(report[1]);
	close(hold[0]);

	EXPECT_EQ((ssize_t)sizeof(child_fd), read(report[0], &child_fd, sizeof(child_fd)));
	EXPECT_GE(child_fd, 0) TH_LOG("the child's file: %s", strerror(-child_fd));
	if (child_fd >= 0) {
		EXPECT_EQ(n0 + 1, info_nr_files(self->e.fd));
		memset(&f, 0, sizeof(f));
		last_file(_metadata, self->e.fd, &f);
		EXPECT_EQ((__u32)pid, f.pid);
		EXPECT_EQ(0, strncmp("gpool_child", f.comm, sizeof(f.comm)))
			TH_LOG("comm %.16s", f.comm);
		EXPECT_EQ(SZ_2M, f.size);
	}

	close(hold[1]);		/* the child closes its file and exits */
	close(report[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(n0, info_nr_files(self->e.fd));
}

/* LIST_FILES cannot write the entries: EFAULT. */
TEST_F(ctl, list_files_bad_buffer_is_efault)
{
	struct gpool_create_guest_memfd args = {
		.size = SZ_2M, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = GPOOL_FOLIO_SHIFT_2M,
	};
	const long page = sysconf(_SC_PAGESIZE);
	const unsigned int room = self->e.start.info.nr_files + 1;
	__u64 nr;
	void *map;
	int fd;

	ASSERT_LE(room * sizeof(struct gpool_file_info), (size_t)page);
	fd = new_file(&self->e, &args);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));

	map = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-EFAULT, list_files(self->e.fd, map, room, &nr))
		TH_LOG("read-only entries");
	ASSERT_EQ(0, munmap(map, page));
	EXPECT_EQ(-EFAULT, list_files(self->e.fd, map, room, &nr))
		TH_LOG("unmapped entries");
	close_file(&self->e, fd);
}
