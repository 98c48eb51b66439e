// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_lifetime_test: how long a pool-backed guest_memfd lives, and that
 * its pool memory comes back exactly once, when the last reference to the
 * file goes (issue #8, item 4, "File lifetime").
 *
 * - a forked child inherits the file; the parent closes its fd, its VM and
 *   /dev/kvm; the child punches and allocates, and the memory stays
 *   reserved until the child exits;
 * - the fd passed with SCM_RIGHTS: the receiver uses it after the sender
 *   closed its copy; an fd still in flight when both ends close, with and
 *   without a socket cycle that only the unix garbage collector frees;
 * - the VM and /dev/kvm closed while the file lives: fallocate() and
 *   LIST_FILES still work, and closing the file frees everything;
 * - binding: another VM's guest_memfd is EINVAL; an overlapping file range
 *   in the same VM is EINVAL (6.12's kvm_gmem_bind()), an overlapping
 *   guest-physical range EEXIST; disjoint ranges work; unbinding and
 *   binding again works;
 * - the file closed while bound to a live VM's memslot (6.12: the memslot
 *   holds no reference, so the memory comes back at close), and the VM
 *   closed while bound (the file pins the VM: the memory comes back when
 *   the file closes).
 *
 * Every test leaves the pool as it found it: the teardown compares INFO,
 * every node's NODE_STATS (free capacity as free + zeroing, taken at one
 * instant) and the sysfs counters with those at setup, polling for a few
 * seconds for releases that finish asynchronously.
 *
 * Needs a guest booted with a pool: a missing pool is a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <linux/gpool.h>

#include "kselftest_harness.h"
#include "gpool_test.h"

#ifndef GPOOL_DEV
#define GPOOL_DEV	"/dev/gpool"
#endif

#define LT_SIZE		(2 * SZ_2M)	/* the test file: two 2M units */
#define LT_NEED		(64 * SZ_2M)	/* free bytes the chosen node needs */
#define LT_MAX_FDS	16
#define LT_WAIT_MS	5000		/* asynchronous releases */

static const int keep = FALLOC_FL_KEEP_SIZE;
static const int punch = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;

/* A socket released with fds in flight somewhere runs the unix GC. */
static void lt_nudge_unix_gc(void)
{
	int sv[2];

	if (!socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		close(sv[0]);
		close(sv[1]);
	}
}

/*
 * On node @nid, @b holds @held bytes more than @a (allocated + reserved),
 * @alloc of them allocated.  A file's units and reservation always add up
 * to its size: punched units go back to its reservation.
 */
static void lt_expect_held(struct __test_metadata *_metadata,
			   const struct gp_state *a, const struct gp_state *b,
			   int nid, long long held, long long alloc)
{
	const struct gpool_node_stats_args *x = &a->node[nid];
	const struct gpool_node_stats_args *y = &b->node[nid];

	EXPECT_EQ(alloc, gp_bytes(y, GP_ALLOC) - gp_bytes(x, GP_ALLOC))
		TH_LOG("node %d: allocated bytes more than at the start", nid);
	EXPECT_EQ(held - alloc, gp_bytes(y, GP_RESV) - gp_bytes(x, GP_RESV))
		TH_LOG("node %d: reserved bytes more than at the start", nid);
}

/* The node with the most free, unreserved pool memory, if it has @need. */
static int lt_pick_node(const struct gp_state *st, long long need)
{
	long long best = -1, room;
	int nid, pick = -1;

	for (nid = 0; nid < MAX_NODES; nid++) {
		if (!(st->info.node_mask & (1ULL << nid)))
			continue;
		room = gp_bytes(&st->node[nid], GP_FREE) -
		       gp_bytes(&st->node[nid], GP_RESV);
		if (room >= need && room > best) {
			best = room;
			pick = nid;
		}
	}
	return pick;
}

/* LIST_FILES, growing the buffer on E2BIG; the caller frees; -errno. */
static int lt_list(int ctl, struct gpool_file_info **out, __u64 *nr)
{
	struct gpool_file_info *buf = NULL;
	struct gpool_list_files_args a;
	__u64 room = 0;
	int ret, tries;

	for (tries = 0; tries < 100; tries++) {
		memset(&a, 0, sizeof(a));
		a.nr_files = room;
		a.files = (uintptr_t)buf;
		ret = gp_ioctl(ctl, GPOOL_IOC_LIST_FILES, &a);
		if (ret != -E2BIG)
			break;
		room = a.nr_files + 4;
		free(buf);
		buf = calloc(room, sizeof(*buf));
		if (!buf)
			return -ENOMEM;
	}
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*nr = a.nr_files;
	return 0;
}

/* The file with @id (or, with @id ~0, the newest): 1 found, 0 not, -errno. */
static int lt_find_file(int ctl, __u64 id, struct gpool_file_info *f)
{
	struct gpool_file_info *buf = NULL;
	__u64 nr, i;
	int ret, found = 0;

	ret = lt_list(ctl, &buf, &nr);
	if (ret)
		return ret;
	for (i = 0; i < nr; i++) {
		if (buf[i].id == id || (id == ~0ULL && i == nr - 1)) {
			*f = buf[i];
			found = 1;
		}
	}
	free(buf);
	return found;
}

/* A pool-backed file of @size bound to @nid: the fd or -errno. */
static int lt_create(int vm_fd, unsigned long long size, unsigned int shift,
		     int nid)
{
	struct gpool_create_guest_memfd args = {
		.size = size, .flags = GUEST_MEMFD_FLAG_GPOOL,
		.folio_shift = shift, .numa_mode = GPOOL_NUMA_BIND,
		.numa_nodes = 1ULL << nid,
	};

	return create_gmem(vm_fd, &args);
}

/* KVM_SET_USER_MEMORY_REGION2 of a guest_memfd range: 0 or -errno. */
static int lt_bind(int vm_fd, __u32 slot, __u64 gpa, __u64 size, void *uaddr,
		   int gmem_fd, __u64 offset)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot, .flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)uaddr,
		.guest_memfd_offset = offset, .guest_memfd = gmem_fd,
	};

	return gp_ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION2, &r);
}

/* Delete a memslot (size 0), as the upstream selftests do. */
static int lt_unbind(int vm_fd, __u32 slot, __u64 gpa)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot, .flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = gpa, .guest_memfd = (__u32)-1,
	};

	return gp_ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION2, &r);
}

static bool lt_has_private_attr(int vm_fd)
{
	int r = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MEMORY_ATTRIBUTES);

	return r > 0 && (r & KVM_MEMORY_ATTRIBUTE_PRIVATE);
}

static int lt_set_attrs(int vm_fd, __u64 gpa, __u64 size, __u64 attrs)
{
	struct kvm_memory_attributes a = {
		.address = gpa, .size = size, .attributes = attrs,
	};

	return gp_ioctl(vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &a);
}

/* Room for the control message of up to four fds, aligned for it. */
union lt_cmsg {
	struct cmsghdr align;
	char buf[CMSG_SPACE(4 * sizeof(int))];
};

/* Send @n (up to four) fds with one byte of data: 0 or -errno. */
static int lt_send_fds(int sock, const int *fds, int n)
{
	union lt_cmsg cbuf = { 0 };
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

/* Receive one fd: the fd or -errno. */
static int lt_recv_fd(int sock)
{
	union lt_cmsg cbuf = { 0 };
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	n = recvmsg(sock, &msg, 0);
	if (n < 0)
		return -errno;
	if (n != 1)
		return -EPROTO;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

/* A command to a child that holds the file, and its protocol. */
struct lt_cmd {
	int op;
	int pad;
	__u64 off, len;
};

enum { LT_OP_EXIT, LT_OP_ALLOC, LT_OP_PUNCH };

/*
 * The child: fallocate() on @fd as told on @cmd, each result (0 or -errno)
 * on @rep, until told to exit or the parent goes.  No harness macros here:
 * an ASSERT would jump into the harness's frame in this process.
 */
static void __attribute__((noreturn)) lt_child_serve(int fd, int cmd, int rep)
{
	struct lt_cmd c;
	int ret;

	for (;;) {
		if (read(cmd, &c, sizeof(c)) != sizeof(c))
			_exit(2);
		if (c.op == LT_OP_EXIT) {
			close(fd);
			_exit(0);
		}
		ret = fallocate(fd, c.op == LT_OP_PUNCH ? punch : keep, c.off, c.len);
		ret = ret ? -errno : 0;
		if (write(rep, &ret, sizeof(ret)) != sizeof(ret))
			_exit(3);
	}
}

/* Have the child do @op: its result, or -EPIPE if it is gone. */
static int lt_child_do(int cmd, int rep, int op, __u64 off, __u64 len)
{
	struct lt_cmd c = { .op = op, .off = off, .len = len };
	int ret;

	if (write(cmd, &c, sizeof(c)) != sizeof(c))
		return -EPIPE;
	if (op == LT_OP_EXIT)
		return 0;
	if (read(rep, &ret, sizeof(ret)) != sizeof(ret))
		return -EPIPE;
	return ret;
}

FIXTURE(lifetime) {
	int ctl;			/* /dev/gpool */
	int kvm_fd;
	int vm_fd;			/* a KVM_X86_SW_PROTECTED_VM */
	int nid;			/* the node the files are bound to */
	int fds[LT_MAX_FDS];		/* closed by the teardown, or -1 */
	pid_t child;			/* killed by the teardown, or 0 */
	struct gp_state start;
};

static void lt_track(FIXTURE_DATA(lifetime) *self, int fd)
{
	int i;

	for (i = 0; i < LT_MAX_FDS; i++) {
		if (self->fds[i] < 0) {
			self->fds[i] = fd;
			return;
		}
	}
}

static void lt_close(FIXTURE_DATA(lifetime) *self, int fd)
{
	int i;

	for (i = 0; i < LT_MAX_FDS; i++)
		if (self->fds[i] == fd)
			self->fds[i] = -1;
	close(fd);
}

static void lt_close_vm(FIXTURE_DATA(lifetime) *self)
{
	if (self->vm_fd >= 0)
		close(self->vm_fd);
	if (self->kvm_fd >= 0)
		close(self->kvm_fd);
	self->vm_fd = -1;
	self->kvm_fd = -1;
}

/* Wait for the child to exit by itself; true if it exited with 0. */
static bool lt_reap(FIXTURE_DATA(lifetime) *self)
{
	int status = 0;
	pid_t pid = self->child;

	self->child = 0;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status);
}

FIXTURE_SETUP(lifetime)
{
	int i, ret;

	self->ctl = -1;
	self->kvm_fd = -1;
	self->vm_fd = -1;
	self->child = 0;
	for (i = 0; i < LT_MAX_FDS; i++)
		self->fds[i] = -1;
	ASSERT_EQ(0, access(GPOOL_SYSFS, F_OK))
		TH_LOG(GPOOL_SYSFS " is missing: this test runs only on boots with a pool");
	self->ctl = open(GPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->ctl, 0) TH_LOG("open " GPOOL_DEV ": %s", strerror(errno));
	self->vm_fd = create_vm(&self->kvm_fd);
	ASSERT_GE(self->vm_fd, 0) TH_LOG("KVM_CREATE_VM: %s", strerror(-self->vm_fd));
	ret = gp_get_state(self->ctl, &self->start);
	ASSERT_EQ(0, ret) TH_LOG("INFO or NODE_STATS: %s", strerror(-ret));
	self->nid = lt_pick_node(&self->start, LT_NEED);
	ASSERT_LE(0, self->nid) TH_LOG("no node has %llu MiB of free pool memory",
				       LT_NEED >> 20);
}

FIXTURE_TEARDOWN(lifetime)
{
	static struct gp_state end;
	int i;

	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	for (i = 0; i < LT_MAX_FDS; i++)
		if (self->fds[i] >= 0)
			lt_close(self, self->fds[i]);
	lt_close_vm(self);
	if (!gp_wait_state(self->ctl, &self->start, &end, LT_WAIT_MS, lt_nudge_unix_gc))
		TH_LOG("the pool is not back where it was after %d ms", LT_WAIT_MS);
	gp_expect_same(_metadata, &self->start, &end);
	close(self->ctl);
}

/*
 * The parent creates the file, forks, and lets go of the file, the VM and
 * /dev/kvm.  The child, the last holder, punches and allocates: the file
 * keeps its reservation until the child exits, and then all of it comes
 * back, once.
 */
TEST_F_TIMEOUT(lifetime, fork_child_keeps_file, 60)
{
	const int nid = self->nid;
	int fd, cmd[2], rep[2];
	struct gpool_file_info f;
	struct gp_state st;
	__u64 id;
	pid_t pid;

	fd = lt_create(self->vm_fd, LT_SIZE, GPOOL_FOLIO_SHIFT_2M, nid);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	lt_track(self, fd);
	ASSERT_EQ(1, lt_find_file(self->ctl, ~0ULL, &f));
	id = f.id;
	ASSERT_EQ(0, pipe(cmd));
	ASSERT_EQ(0, pipe(rep));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(cmd[1]);
		close(rep[0]);
		close(self->vm_fd);
		close(self->kvm_fd);
		close(self->ctl);
		lt_child_serve(fd, cmd[0], rep[1]);
	}
	self->child = pid;
	close(cmd[0]);
	close(rep[1]);

	/* The parent lets go; the child's copy keeps the file (and the VM). */
	lt_close(self, fd);
	lt_close_vm(self);
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, nid, LT_SIZE, 0);
	EXPECT_EQ(self->start.info.nr_files + 1, st.info.nr_files);
	ASSERT_EQ(1, lt_find_file(self->ctl, id, &f)) TH_LOG("the child's file");
	EXPECT_EQ((__u32)getpid(), f.pid) TH_LOG("the creator, not the holder");
	EXPECT_EQ(LT_SIZE, f.size);

	ASSERT_EQ(0, lt_child_do(cmd[1], rep[0], LT_OP_ALLOC, 0, LT_SIZE));
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, nid, LT_SIZE, LT_SIZE);

	/* One 4K out of the first 2M unit, and the whole second one. */
	ASSERT_EQ(0, lt_child_do(cmd[1], rep[0], LT_OP_PUNCH, SZ_4K, SZ_4K));
	ASSERT_EQ(0, lt_child_do(cmd[1], rep[0], LT_OP_PUNCH, SZ_2M, SZ_2M));
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, nid, LT_SIZE,
		       LT_SIZE - SZ_2M - SZ_4K);
	ASSERT_EQ(1, lt_find_file(self->ctl, id, &f));
	EXPECT_EQ(511ULL, f.units[GPOOL_SIZE_4K]);
	EXPECT_EQ(0ULL, f.units[GPOOL_SIZE_2M]);

	/* Refilled: the 4K units merge back into a 2M one. */
	ASSERT_EQ(0, lt_child_do(cmd[1], rep[0], LT_OP_ALLOC, 0, LT_SIZE));
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, nid, LT_SIZE, LT_SIZE);
	ASSERT_EQ(1, lt_find_file(self->ctl, id, &f));
	EXPECT_EQ(0ULL, f.units[GPOOL_SIZE_4K]);
	EXPECT_EQ(2ULL, f.units[GPOOL_SIZE_2M]);

	/* Still held: nothing came back while the child had the file. */
	lt_expect_held(_metadata, &self->start, &st, nid, LT_SIZE, LT_SIZE);

	ASSERT_EQ(0, lt_child_do(cmd[1], rep[0], LT_OP_EXIT, 0, 0));
	EXPECT_TRUE(lt_reap(self)) TH_LOG("the child failed");
	close(cmd[1]);
	close(rep[0]);
	EXPECT_TRUE(gp_wait_state(self->ctl, &self->start, &st, LT_WAIT_MS, NULL))
		TH_LOG("the pool is not back after the last holder exited");
	EXPECT_EQ(0, lt_find_file(self->ctl, id, &f));
}

/*
 * The fd goes to another process with SCM_RIGHTS; the sender closes its
 * copy, its VM and /dev/kvm before the receiver uses the file.
 */
TEST_F_TIMEOUT(lifetime, scm_rights_receiver_uses_file, 60)
{
	const int nid = self->nid;
	int fd, got = -1, sv[2], cmd[2], rep[2];
	struct gpool_file_info f;
	struct gp_state st;
	__u64 id;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, pipe(cmd));
	ASSERT_EQ(0, pipe(rep));
	/* Forked before the file exists: the child gets it only by message. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sv[0]);
		close(cmd[1]);
		close(rep[0]);
		close(self->vm_fd);
		close(self->kvm_fd);
		close(self->ctl);
		fd = lt_recv_fd(sv[1]);
		if (write(rep[1], &fd, sizeof(fd)) != sizeof(fd) || fd < 0)
			_exit(1);
		close(sv[1]);
		lt_child_serve(fd, cmd[0], rep[1]);
	}
	self->child = pid;
	close(sv[1]);
	close(cmd[0]);
	close(rep[1]);

	fd = lt_create(self->vm_fd, LT_SIZE, GPOOL_FOLIO_SHIFT_2M, nid);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	lt_track(self, fd);
	ASSERT_EQ(1, lt_find_file(self->ctl, ~0ULL, &f));
	id = f.id;
	ASSERT_EQ(0, lt_send_fds(sv[0], &fd, 1));
	lt_close(self, fd);
	lt_close_vm(self);
	close(sv[0]);

	ASSERT_EQ((ssize_t)sizeof(got), read(rep[0], &got, sizeof(got)));
	ASSERT_LE(0, got) TH_LOG("the receiver: %s", strerror(-got));
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, nid, LT_SIZE, 0);
	EXPECT_EQ(1, lt_find_file(self->ctl, id, &f));

	ASSERT_EQ(0, lt_child_do(cmd[1], rep[0], LT_OP_ALLOC, 0, LT_SIZE));
	ASSERT_EQ(0, lt_child_do(cmd[1], rep[0], LT_OP_PUNCH, 0, SZ_2M));
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, nid, LT_SIZE, LT_SIZE - SZ_2M);
	ASSERT_EQ(1, lt_find_file(self->ctl, id, &f));
	EXPECT_EQ(1ULL, f.units[GPOOL_SIZE_2M]);

	ASSERT_EQ(0, lt_child_do(cmd[1], rep[0], LT_OP_EXIT, 0, 0));
	EXPECT_TRUE(lt_reap(self)) TH_LOG("the receiver failed");
	close(cmd[1]);
	close(rep[0]);
	EXPECT_TRUE(gp_wait_state(self->ctl, &self->start, &st, LT_WAIT_MS, NULL));
	EXPECT_EQ(0, lt_find_file(self->ctl, id, &f));
}

/*
 * An fd sent and never received, then both ends closed: the queued
 * message is dropped with the receiving socket, and the file with it.
 */
TEST_F_TIMEOUT(lifetime, scm_rights_in_flight_released, 60)
{
	struct gpool_file_info f;
	struct gp_state st;
	int fd, sv[2];
	__u64 id;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	fd = lt_create(self->vm_fd, LT_SIZE, GPOOL_FOLIO_SHIFT_2M, self->nid);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	lt_track(self, fd);
	ASSERT_EQ(1, lt_find_file(self->ctl, ~0ULL, &f));
	id = f.id;
	ASSERT_EQ(0, fallocate(fd, keep, 0, SZ_2M));
	ASSERT_EQ(0, lt_send_fds(sv[0], &fd, 1));
	lt_close(self, fd);
	lt_close_vm(self);

	/* In flight, the file is still alive. */
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, self->nid, LT_SIZE, SZ_2M);
	EXPECT_EQ(1, lt_find_file(self->ctl, id, &f));

	close(sv[0]);
	close(sv[1]);
	EXPECT_TRUE(gp_wait_state(self->ctl, &self->start, &st, LT_WAIT_MS, lt_nudge_unix_gc))
		TH_LOG("an in-flight file outlived both socket ends");
	EXPECT_EQ(0, lt_find_file(self->ctl, id, &f));
}

/*
 * The receiving socket itself in flight in its own queue, with the file:
 * a cycle that only the unix garbage collector (a work item) breaks.
 */
TEST_F_TIMEOUT(lifetime, scm_rights_in_flight_cycle_collected, 60)
{
	struct gpool_file_info f;
	struct gp_state st;
	int fd, sv[2], fds[2];
	__u64 id;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fd = lt_create(self->vm_fd, LT_SIZE, GPOOL_FOLIO_SHIFT_4K, self->nid);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	lt_track(self, fd);
	ASSERT_EQ(1, lt_find_file(self->ctl, ~0ULL, &f));
	id = f.id;
	ASSERT_EQ(0, fallocate(fd, keep, 0, LT_SIZE));
	fds[0] = sv[1];
	fds[1] = fd;
	ASSERT_EQ(0, lt_send_fds(sv[0], fds, 2));
	lt_close(self, fd);
	lt_close_vm(self);
	close(sv[1]);		/* alive: its own queue holds it */

	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, self->nid, LT_SIZE, LT_SIZE);
	EXPECT_EQ(1, lt_find_file(self->ctl, id, &f));

	close(sv[0]);
	EXPECT_TRUE(gp_wait_state(self->ctl, &self->start, &st, LT_WAIT_MS, lt_nudge_unix_gc))
		TH_LOG("the unix GC did not free an in-flight cycle's file");
	EXPECT_EQ(0, lt_find_file(self->ctl, id, &f));
}

/*
 * The VM fd and /dev/kvm closed first: the file pins the VM, so
 * fallocate() and LIST_FILES keep working, and closing the file frees
 * everything (and the VM).
 */
TEST_F_TIMEOUT(lifetime, vm_closed_file_lives, 60)
{
	const int nid = self->nid;
	struct gpool_file_info f;
	struct gp_state st;
	struct stat sb;
	__u64 id;
	int fd;

	fd = lt_create(self->vm_fd, LT_SIZE, GPOOL_FOLIO_SHIFT_2M, nid);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	lt_track(self, fd);
	ASSERT_EQ(1, lt_find_file(self->ctl, ~0ULL, &f));
	id = f.id;
	lt_close_vm(self);

	ASSERT_EQ(0, fallocate(fd, keep, 0, LT_SIZE)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, nid, LT_SIZE, LT_SIZE);
	ASSERT_EQ(1, lt_find_file(self->ctl, id, &f));
	EXPECT_EQ(LT_SIZE, f.size);
	EXPECT_EQ((__u32)GPOOL_FOLIO_SHIFT_2M, f.folio_shift);
	EXPECT_EQ(2ULL, f.units[GPOOL_SIZE_2M]);
	if (nid < GPOOL_FILE_NR_NODES) {
		EXPECT_EQ(LT_SIZE, f.node_bytes[nid]);
	}

	ASSERT_EQ(0, fallocate(fd, punch, 0, SZ_4K)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(1, lt_find_file(self->ctl, id, &f));
	EXPECT_EQ(511ULL, f.units[GPOOL_SIZE_4K]);
	EXPECT_EQ(1ULL, f.units[GPOOL_SIZE_2M]);
	ASSERT_EQ(0, fstat(fd, &sb));
	EXPECT_EQ((long long)LT_SIZE, (long long)sb.st_size);

	lt_close(self, fd);
	EXPECT_TRUE(gp_wait_state(self->ctl, &self->start, &st, LT_WAIT_MS, NULL));
	EXPECT_EQ(0, lt_find_file(self->ctl, id, &f));
}

/*
 * 6.12 binding rules on a pool file: it binds only to the VM that created
 * it (EINVAL elsewhere); two memslots may not share a range of the file
 * (kvm_gmem_bind(): EINVAL) nor of guest-physical memory (EEXIST);
 * disjoint ranges bind; a guest_memfd memslot cannot be changed, only
 * deleted; a deleted memslot's range binds again.
 */
TEST_F_TIMEOUT(lifetime, bind_rules, 60)
{
	const unsigned long long size = 4 * SZ_2M;
	const int nid = self->nid;
	int fd, fd_b, vm_b, kvm_b;
	struct gp_state st;
	void *mem;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	vm_b = create_vm(&kvm_b);
	ASSERT_LE(0, vm_b) TH_LOG("second VM: %s", strerror(-vm_b));
	lt_track(self, vm_b);
	lt_track(self, kvm_b);
	fd = lt_create(self->vm_fd, size, GPOOL_FOLIO_SHIFT_2M, nid);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	lt_track(self, fd);

	/* A's file in B: EINVAL; B's own file works. */
	EXPECT_EQ(-EINVAL, lt_bind(vm_b, 0, 0, SZ_2M, mem, fd, 0));
	fd_b = lt_create(vm_b, SZ_2M, GPOOL_FOLIO_SHIFT_2M, nid);
	ASSERT_LE(0, fd_b) TH_LOG("create in B: %s", strerror(-fd_b));
	lt_track(self, fd_b);
	EXPECT_EQ(0, lt_bind(vm_b, 0, 0, SZ_2M, mem, fd_b, 0));

	/* Slot 0: file [0, 4M) at GPA 0. */
	ASSERT_EQ(0, lt_bind(self->vm_fd, 0, 0, 2 * SZ_2M, mem, fd, 0));
	/* Another slot over file [2M, 4M), elsewhere in GPA: EINVAL. */
	EXPECT_EQ(-EINVAL, lt_bind(self->vm_fd, 1, SZ_1G, SZ_2M, mem, fd, SZ_2M));
	EXPECT_EQ(-EINVAL, lt_bind(self->vm_fd, 1, SZ_1G, 2 * SZ_2M, mem, fd, 0));
	EXPECT_EQ(-EINVAL, lt_bind(self->vm_fd, 1, SZ_1G, 2 * SZ_2M, mem, fd,
				   SZ_2M + SZ_4K));
	/* A disjoint file range over slot 0's GPA range: EEXIST. */
	EXPECT_EQ(-EEXIST, lt_bind(self->vm_fd, 1, SZ_2M, SZ_2M, mem, fd, 2 * SZ_2M));
	/* Disjoint in both: works. */
	EXPECT_EQ(0, lt_bind(self->vm_fd, 1, SZ_1G, 2 * SZ_2M, mem, fd, 2 * SZ_2M));
	/* A guest_memfd memslot is immutable: only deletion changes it. */
	EXPECT_EQ(-EINVAL, lt_bind(self->vm_fd, 1, SZ_1G, 2 * SZ_2M, mem, fd, 2 * SZ_2M));
	/* Beyond the file's end. */
	EXPECT_EQ(-EINVAL, lt_bind(self->vm_fd, 2, 2 * SZ_1G, SZ_2M, mem, fd, size));

	/* The file works with two live bindings. */
	ASSERT_EQ(0, fallocate(fd, keep, 0, size)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, fallocate(fd, punch, 2 * SZ_2M + SZ_4K, SZ_4K))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, nid, size + SZ_2M, size - SZ_4K);

	/* Unbind slot 0: its file range binds again, to a new slot and to 0. */
	EXPECT_EQ(0, lt_unbind(self->vm_fd, 0, 0));
	EXPECT_EQ(-EINVAL, lt_unbind(self->vm_fd, 0, 0)) TH_LOG("deleted twice");
	EXPECT_EQ(0, lt_bind(self->vm_fd, 2, 2 * SZ_1G, SZ_2M, mem, fd, 0));
	EXPECT_EQ(0, lt_bind(self->vm_fd, 0, 0, SZ_2M, mem, fd, SZ_2M));
	EXPECT_EQ(-EINVAL, lt_bind(self->vm_fd, 3, 3 * SZ_1G, SZ_2M, mem, fd, SZ_2M));
	ASSERT_EQ(0, fallocate(fd, keep, 0, size)) TH_LOG("%s", strerror(errno));

	/* B goes with its file; A's slots outlive A's file. */
	lt_close(self, fd_b);
	lt_close(self, vm_b);
	lt_close(self, kvm_b);
	lt_close(self, fd);
	EXPECT_TRUE(gp_wait_state(self->ctl, &self->start, &st, LT_WAIT_MS, NULL))
		TH_LOG("the pool is not back with A's slots still there");
	EXPECT_EQ(0, lt_unbind(self->vm_fd, 0, 0));
	EXPECT_EQ(0, lt_unbind(self->vm_fd, 1, SZ_1G));
	EXPECT_EQ(0, lt_unbind(self->vm_fd, 2, 2 * SZ_1G));
	munmap(mem, size);
}

/*
 * The file closed while bound to a memslot of a live VM.  In 6.12 the
 * memslot holds no reference to the file (kvm_gmem_bind() drops it), so
 * the close is the last reference: the file is released, its bindings
 * invalidated, and the pool has the memory back at once.  The VM goes on:
 * its memory attributes can change, the dead memslot can be deleted and
 * its range bound to a new file, and then the VM closes normally.
 */
TEST_F_TIMEOUT(lifetime, file_closed_while_bound, 60)
{
	const int nid = self->nid;
	const bool attrs = lt_has_private_attr(self->vm_fd);
	struct gpool_file_info f;
	struct gp_state st;
	int fd, fd2;
	void *mem;
	__u64 id;

	mem = mmap(NULL, LT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	fd = lt_create(self->vm_fd, LT_SIZE, GPOOL_FOLIO_SHIFT_2M, nid);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	lt_track(self, fd);
	ASSERT_EQ(1, lt_find_file(self->ctl, ~0ULL, &f));
	id = f.id;
	ASSERT_EQ(0, lt_bind(self->vm_fd, 0, 0, LT_SIZE, mem, fd, 0));
	ASSERT_EQ(0, fallocate(fd, keep, 0, LT_SIZE)) TH_LOG("%s", strerror(errno));
	if (attrs) {
		EXPECT_EQ(0, lt_set_attrs(self->vm_fd, 0, LT_SIZE,
					  KVM_MEMORY_ATTRIBUTE_PRIVATE));
	} else {
		TH_LOG("no KVM_MEMORY_ATTRIBUTE_PRIVATE: attributes not exercised");
	}
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, nid, LT_SIZE, LT_SIZE);

	lt_close(self, fd);
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	TH_LOG("closed while bound: node %d holds %lld allocated, %lld reserved bytes more than at the start",
	       nid, gp_bytes(&st.node[nid], GP_ALLOC) - gp_bytes(&self->start.node[nid], GP_ALLOC),
	       gp_bytes(&st.node[nid], GP_RESV) - gp_bytes(&self->start.node[nid], GP_RESV));
	EXPECT_TRUE(gp_wait_state(self->ctl, &self->start, &st, LT_WAIT_MS, NULL))
		TH_LOG("6.12: a memslot holds no file reference, the close frees the file");
	EXPECT_EQ(0, lt_find_file(self->ctl, id, &f));

	/* The VM and its dead memslot carry on. */
	if (attrs) {
		EXPECT_EQ(0, lt_set_attrs(self->vm_fd, 0, LT_SIZE, 0));
		EXPECT_EQ(0, lt_set_attrs(self->vm_fd, 0, LT_SIZE,
					  KVM_MEMORY_ATTRIBUTE_PRIVATE));
	}
	EXPECT_EQ(0, lt_unbind(self->vm_fd, 0, 0));
	fd2 = lt_create(self->vm_fd, LT_SIZE, GPOOL_FOLIO_SHIFT_2M, nid);
	ASSERT_LE(0, fd2) TH_LOG("create: %s", strerror(-fd2));
	lt_track(self, fd2);
	EXPECT_EQ(0, lt_bind(self->vm_fd, 0, 0, LT_SIZE, mem, fd2, 0));
	ASSERT_EQ(0, fallocate(fd2, keep, 0, LT_SIZE)) TH_LOG("%s", strerror(errno));

	/* This one closes with the VM still there too, then the VM goes. */
	lt_close(self, fd2);
	EXPECT_TRUE(gp_wait_state(self->ctl, &self->start, &st, LT_WAIT_MS, NULL));
	lt_close_vm(self);
	EXPECT_TRUE(gp_wait_state(self->ctl, &self->start, &st, LT_WAIT_MS, NULL))
		TH_LOG("the pool is not back after the VM was destroyed");
	munmap(mem, LT_SIZE);
}

/*
 * The VM closed while its memslot binds the file: the file pins the VM,
 * keeps its memory and keeps working; the pool has it all back when the
 * file (and with it the VM) goes.
 */
TEST_F_TIMEOUT(lifetime, vm_closed_while_bound, 60)
{
	const int nid = self->nid;
	struct gpool_file_info f;
	struct gp_state st;
	void *mem;
	__u64 id;
	int fd;

	mem = mmap(NULL, LT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	fd = lt_create(self->vm_fd, LT_SIZE, GPOOL_FOLIO_SHIFT_2M, nid);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	lt_track(self, fd);
	ASSERT_EQ(1, lt_find_file(self->ctl, ~0ULL, &f));
	id = f.id;
	ASSERT_EQ(0, lt_bind(self->vm_fd, 0, 0, LT_SIZE, mem, fd, 0));
	ASSERT_EQ(0, fallocate(fd, keep, 0, SZ_2M)) TH_LOG("%s", strerror(errno));

	lt_close_vm(self);
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, nid, LT_SIZE, SZ_2M);
	EXPECT_EQ(self->start.info.nr_files + 1, st.info.nr_files);
	EXPECT_EQ(1, lt_find_file(self->ctl, id, &f));

	EXPECT_EQ(0, fallocate(fd, punch, 0, LT_SIZE)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, fallocate(fd, keep, 0, LT_SIZE)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, gp_get_state(self->ctl, &st));
	lt_expect_held(_metadata, &self->start, &st, nid, LT_SIZE, LT_SIZE);

	lt_close(self, fd);
	EXPECT_TRUE(gp_wait_state(self->ctl, &self->start, &st, LT_WAIT_MS, NULL))
		TH_LOG("the pool is not back after the file and its VM went");
	EXPECT_EQ(0, lt_find_file(self->ctl, id, &f));
	munmap(mem, LT_SIZE);
}

TEST_HARNESS_MAIN
