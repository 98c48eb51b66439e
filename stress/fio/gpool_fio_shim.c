// SPDX-License-Identifier: GPL-2.0
/*
 * gpool_fio_shim.so: an LD_PRELOAD shim that lets an unmodified fio (its
 * mmap engine) run over pool memory (issue 13 item 2, stress/fio/).
 *
 * A pool-backed guest_memfd is an anonymous inode: it has no name that
 * open() could find (/proc/self/fd/N gives ENXIO), so fio cannot be
 * pointed at one.  The shim gives it names:
 *
 *   /gpool/1G[/anything]   a pool guest_memfd of 1G units (folio_shift 30)
 *   /gpool/2M[/anything]   a pool guest_memfd of 2M units (folio_shift 21)
 *   /gpool/4K[/anything]   a pool guest_memfd of 4K units (folio_shift 12)
 *   /gpool/gmem[/anything] the kernel's own guest_memfd (page cache, 4K
 *                          folios; no GUEST_MEMFD_FLAG_GPOOL): the 6.18
 *                          baseline of a shared guest_memfd mapping
 *
 * The first open() of such a path in a process creates the file: it opens
 * /dev/kvm, creates a KVM_X86_DEFAULT_VM (kept open for the process's
 * life, as a guest_memfd needs its VM), and asks for
 * KVM_CREATE_GUEST_MEMFD with GUEST_MEMFD_FLAG_MMAP |
 * GUEST_MEMFD_FLAG_INIT_SHARED | GUEST_MEMFD_FLAG_GPOOL (struct
 * gpool_create_guest_memfd), so that mmap(MAP_SHARED) of it works and maps
 * 1G or 2M units with one PUD or PMD (docs/uapi.rst 2.1, docs/admin-guide.rst
 * "Pool memory for ordinary VMs").  /gpool/gmem is the same without
 * GUEST_MEMFD_FLAG_GPOOL (and so without a unit or a node); when the pool
 * is the default backing (gpool=default_backing) it is pool memory too.
 * That open and every later one of the same path return a dup() of the
 * file, which stays open until the process exits: fio's jobs run as
 * threads of one process (the job files' `thread`), so the unmeasured
 * prefault job and the measured job use the same memory, and a close and
 * reopen by fio keeps its contents, as with a real file.  Different paths
 * (/gpool/1G/a, /gpool/1G/b) are different files.
 *
 * Environment:
 *   GPOOL_FIO_SIZE   the file size in bytes, with an optional k, m, g or t
 *                    suffix (binary, as fio's size=); FIO_SIZE if unset.
 *                    With guest_memfd a multiple of the unit (1G, 2M, 4K).
 *   GPOOL_FIO_NODE   NUMA node of pool memory (GPOOL_NUMA_BIND), default 0;
 *                    -1 for GPOOL_NUMA_DEFAULT (the creating thread's node
 *                    first).  Not used by /gpool/gmem.
 *   GPOOL_FIO_SHIM_BACKING=memfd   back the paths with memfd_create()
 *                    instead (same interception, no KVM): how the shim is
 *                    tested on a host without a pool.  In this
 *                    mode the shim also refuses what guest_memfd refuses
 *                    (read/write: EINVAL; pread/pwrite/lseek: ESPIPE;
 *                    MAP_PRIVATE: EINVAL), so that a run on the host proves
 *                    fio does nothing to the file that the guest's kernel
 *                    would fail.
 *   GPOOL_FIO_SHIM_DEBUG=1   one stderr line per intercepted call.
 *
 * Each creation prints one line on stderr, e.g.
 *   gpool_fio_shim: /gpool/1G -> guest_memfd (1G units, node 0, 1073741824 bytes)
 * and at exit, for pool files, one line per file with the units it held
 * and the host mappings its faults made, by size (GPOOL_IOC_LIST_FILES of
 * /dev/gpool, read with libgpool): how fio's mappings were made.  fio 3.33's
 * mmap engine maps the whole file once per job and never unmaps it, so
 * the prefault job's mapping counts too: 1 GiB of 1G units shows 2.
 *
 * What is wrapped (the glibc 2.36 symbols Debian's fio 3.33 imports, from
 * `nm -D /usr/bin/fio`, and their aliases; dlsym(RTLD_NEXT) for the real
 * ones; every call that is not about a /gpool path or a descriptor the shim
 * returned goes straight through):
 *
 *   open open64 openat openat64 __open_2 __open64_2 __openat_2
 *   __openat64_2   a /gpool path: the dup() above.  O_TRUNC is EINVAL (the
 *                  file cannot be truncated), O_DIRECT is EINVAL (pool
 *                  memory cannot be pinned, docs/uapi.rst 2.1), O_CREAT|O_EXCL
 *                  is EEXIST, O_DIRECTORY is ENOTDIR; the access mode is not
 *                  checked (the file is always read-write).
 *   stat stat64 lstat lstat64 fstatat fstatat64 statx
 *                  a /gpool/<unit> path is a regular file of GPOOL_FIO_SIZE
 *                  bytes (mode 0600) before and after it is created, so fio
 *                  takes it as an existing, laid-out file and never lays it
 *                  out (which would ftruncate, fallocate and write() it);
 *                  /gpool and /gpool/<unit>/ are directories (0755).
 *   fstat fstat64, and fstatat/statx with AT_EMPTY_PATH
 *                  a shim descriptor: the kernel's answer with the file
 *                  type forced to regular and the size to GPOOL_FIO_SIZE
 *                  (a guest_memfd reports both already; kept so that any
 *                  backing answers alike).
 *   mkdir          of /gpool or /gpool/<unit>: EEXIST.  fio creates the
 *                  directories of a file name (create_work_dirs()); EEXIST is
 *                  what it expects of directories that exist.
 *   close          forgets the descriptor, then closes it.
 *   mmap mmap64    traced; MAP_PRIVATE refused in memfd mode (see above).
 *   ftruncate ftruncate64
 *                  to the file's own size: 0 without a call (faked: it
 *                  changes nothing); any other size EINVAL, as guest_memfd.
 *   fallocate fallocate64 posix_fallocate posix_fallocate64
 *                  a plain allocation inside the file is made with
 *                  FALLOC_FL_KEEP_SIZE added (guest_memfd allocates only
 *                  with it, and inside the file the two mean the same);
 *                  beyond the end EFBIG (the file cannot grow); other modes
 *                  go through.  posix_fallocate() never reaches glibc's
 *                  write()-based fallback.
 *   fsync fdatasync sync_file_range
 *                  0 without a call (faked: guest_memfd has no fsync and
 *                  fails it with EINVAL, but memory has nothing to write
 *                  back, as tmpfs's noop_fsync says).
 *   read write pread pread64 pwrite pwrite64 lseek lseek64
 *                  refused in memfd mode only (see above); with guest_memfd
 *                  the kernel refuses them itself.
 *   shmget shmat shmdt shmctl
 *                  not about pool memory: fio cannot start without a System
 *                  V shared memory segment, and the guest's kernel has no
 *                  CONFIG_SYSVIPC.  When the real shmget() fails with ENOSYS,
 *                  an IPC_PRIVATE segment is made of a memfd instead (see
 *                  "System V shared memory" below); otherwise they go
 *                  through.  So stress/fio/run-fio.sh preloads the shim for
 *                  every backing, and fio runs alike over all of them.
 *
 * What is not wrapped, and why fio's calls are harmless or avoided:
 *   posix_fadvise(SEQUENTIAL/RANDOM) at open and posix_madvise(
 *     SEQUENTIAL/RANDOM) of each mapping: fio 3.33 issues both only with
 *     fadvise_hint=1 (checked with strace); the job files say
 *     fadvise_hint=0.  Both would be accepted anyway: madvise() only sets
 *     VM_SEQ_READ/VM_RAND_READ, and 6.12's generic_fadvise() ignores
 *     advice on a pseudo filesystem's inode.
 *   posix_madvise(POSIX_MADV_DONTNEED) (invalidate): a no-op in glibc, and
 *     the job files say invalidate=0.
 *   msync: only with fsync=/direct=, which the job files do not set.  On a
 *     pool mapping MS_SYNC would fail with EINVAL (no fsync).
 *   readv writev preadv pwritev: not used by the mmap engine.
 *   dup, dup2, fcntl(F_DUPFD): a copy of a shim descriptor is not tracked
 *     (fio dups only stdin and stdout).
 *   __xstat and the other pre-2.33 stat entry points: fio built against
 *     glibc 2.36 calls stat64 and its siblings directly.
 *
 * Build (stress/fio/guest-install.sh, from scripts/guest-image.sh):
 *   gcc -shared -fPIC -O2 -Wall -Wextra -D_GNU_SOURCE -fvisibility=hidden
 *   -I include/uapi -isystem <uAPI headers>/include -I tools/lib/gpool
 *   stress/fio/gpool_fio_shim.c tools/lib/gpool/{libgpool,ctl}.c
 *   libgpool is compiled in with hidden visibility, so that fio sees only
 *   the wrappers; dlsym() is in glibc 2.34's libc itself.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <linux/kvm.h>
#include <linux/gpool.h>

#include "libgpool.h"

#define SHIM_EXPORT	__attribute__((visibility("default")))
#define PFX		"gpool_fio_shim: "
/* Descriptors the shim can track; fio holds a handful. */
#define MAX_FDS		4096

/* The fortified entry points (<bits/fcntl2.h>): no header declares them. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* The names under /gpool/ and what each stands for. */
struct unit {
	const char *name;
	unsigned int shift;	/* GPOOL_FOLIO_SHIFT_*: the largest folio */
	bool pool;		/* GUEST_MEMFD_FLAG_GPOOL */
};

static const struct unit units[] = {
	{ "1G", GPOOL_FOLIO_SHIFT_1G, true },
	{ "2M", GPOOL_FOLIO_SHIFT_2M, true },
	{ "4K", GPOOL_FOLIO_SHIFT_4K, true },
	/* The kernel's own guest_memfd: the page cache, 4K folios. */
	{ "gmem", GPOOL_FOLIO_SHIFT_4K, false },
};

struct pool_file {
	struct pool_file *next;
	char path[256];
	const struct unit *unit;
	uint64_t size;
	int fd;			/* the guest_memfd or memfd, never closed */
	pid_t pid;		/* the process that created it */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct pool_file *files;		/* under lock */
static int vm_fd = -1;			/* under lock */
static struct pool_file *fd_file[MAX_FDS];	/* atomic */

/* ---- the real functions ---- */

static void *resolve(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		fprintf(stderr, PFX "%s not found in the next library: %s\n",
			name, dlerror());
		abort();
	}
	return p;
}

/* The next definition of @name (libc's), looked up once. */
#define REAL(name)							\
	({								\
		static __typeof__(&name) real_;				\
		__typeof__(&name) p_ =					\
			__atomic_load_n(&real_, __ATOMIC_ACQUIRE);	\
		if (!p_) {						\
			p_ = (__typeof__(&name))resolve(#name);		\
			__atomic_store_n(&real_, p_, __ATOMIC_RELEASE);	\
		}							\
		p_;							\
	})

/* ---- configuration ---- */

static bool env_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v && !strcmp(v, value);
}

static bool use_memfd(void)
{
	return env_is("GPOOL_FIO_SHIM_BACKING", "memfd");
}

static bool debug(void)
{
	static int on = -1;

	if (on < 0)
		on = env_is("GPOOL_FIO_SHIM_DEBUG", "1");
	return on;
}

#define trace(...)							\
	do {								\
		if (debug())						\
			fprintf(stderr, PFX __VA_ARGS__);		\
	} while (0)

/* Say @why once per process, whatever fails how often. */
static void complain_once(const char *why, const char *what)
{
	static bool said;

	if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
		fprintf(stderr, PFX "%s: %s\n", why, what);
}

/*
 * The file size: GPOOL_FIO_SIZE, else FIO_SIZE (the job files' size=):
 * digits and an optional k, m, g or t (binary, as fio reads size=), with
 * an optional "iB" or "B" after it.  0 with errno EINVAL if unusable.
 */
static uint64_t file_size(const struct unit *u)
{
	const char *name = getenv("GPOOL_FIO_SIZE") ? "GPOOL_FIO_SIZE" : "FIO_SIZE";
	const char *s = getenv(name), *p;
	unsigned int mult = 0;
	uint64_t v;
	char *end;

	if (!s || !*s) {
		complain_once("set GPOOL_FIO_SIZE (or FIO_SIZE)", "no size");
		goto bad;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad_value;
	p = end;
	switch (*p) {
	case 'k': case 'K': mult = 10; break;
	case 'm': case 'M': mult = 20; break;
	case 'g': case 'G': mult = 30; break;
	case 't': case 'T': mult = 40; break;
	}
	if (mult) {
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
		else if (*p == 'b' || *p == 'B')
			p++;
	}
	if (*p || !v || v > (UINT64_MAX >> mult))
		goto bad_value;
	v <<= mult;
	if (v & 4095)
		goto bad_value;
	/*
	 * guest_memfd takes any page-aligned size, and backs what is not a
	 * whole unit with smaller ones: not what a run over 1G units means.
	 */
	if (!use_memfd() && (v & ((1ULL << u->shift) - 1))) {
		complain_once("the size is not a multiple of the unit", s);
		goto bad;
	}
	return v;
bad_value:
	complain_once("unusable size (bytes, k/m/g/t suffix, page-aligned)", s);
bad:
	errno = EINVAL;
	return 0;
}

/* GPOOL_FIO_NODE: a node for GPOOL_NUMA_BIND, or -1 for GPOOL_NUMA_DEFAULT. */
static int numa_node(void)
{
	const char *s = getenv("GPOOL_FIO_NODE");
	char *end;
	long n;

	if (!s || !*s)
		return 0;
	n = strtol(s, &end, 10);
	if (*end || n < -1 || n >= GPOOL_MAX_NODES) {
		complain_once("GPOOL_FIO_NODE is not a node or -1, using 0", s);
		return 0;
	}
	return n;
}

/* ---- names ---- */

enum kind { NOT_OURS, OUR_DIR, OUR_FILE };

/*
 * /gpool and /gpool/<unit>/ are directories; /gpool/<unit> and any name
 * under it are files of that unit.  Only absolute names are recognised.
 */
static enum kind classify(const char *path, const struct unit **unit)
{
	const char *p;
	size_t i, n;

	if (!path || strncmp(path, "/gpool", 6))
		return NOT_OURS;
	p = path + 6;
	if (!*p || !strcmp(p, "/"))
		return OUR_DIR;
	if (*p++ != '/')
		return NOT_OURS;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		n = strlen(units[i].name);
		if (!strncmp(p, units[i].name, n) && (!p[n] || p[n] == '/'))
			break;
	}
	if (i == sizeof(units) / sizeof(units[0]))
		return NOT_OURS;
	*unit = &units[i];
	p += n;
	if (!*p)
		return OUR_FILE;
	return p[1] ? OUR_FILE : OUR_DIR;
}

/* ---- creating the files ---- */

static int create_gmem(const struct unit *u, uint64_t size, int node)
{
	const __u64 need = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED |
			   (u->pool ? GUEST_MEMFD_FLAG_GPOOL : 0);
	struct gpool_create_guest_memfd args = {
		.size = size,
		.flags = need,
	};
	int fd, caps, e;

	/* Without the flag every other word must be zero. */
	if (u->pool) {
		args.folio_shift = u->shift;
		args.numa_mode = node < 0 ? GPOOL_NUMA_DEFAULT : GPOOL_NUMA_BIND;
		args.numa_nodes = node < 0 ? 0 : 1ULL << node;
	}

	if (vm_fd < 0) {
		int kvm = REAL(open)("/dev/kvm", O_RDWR | O_CLOEXEC);

		if (kvm < 0) {
			e = errno;
			fprintf(stderr, PFX "/dev/kvm: %s\n", strerror(e));
			errno = e;
			return -1;
		}
		/* The VM fd is O_CLOEXEC; the VM outlives the /dev/kvm fd. */
		vm_fd = ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
		e = errno;
		REAL(close)(kvm);
		if (vm_fd < 0) {
			fprintf(stderr, PFX "KVM_CREATE_VM: %s\n", strerror(e));
			errno = e;
			return -1;
		}
	}
	caps = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);
	if (caps < 0 || ((__u64)caps & need) != need) {
		fprintf(stderr, PFX "the VM does not take MMAP|INIT_SHARED%s "
			"(KVM_CAP_GUEST_MEMFD_FLAGS %#x)%s\n",
			u->pool ? "|GPOOL" : "", caps, u->pool ? ": no pool?" : "");
		errno = EOPNOTSUPP;
		return -1;
	}
	fd = ioctl(vm_fd, KVM_CREATE_GUEST_MEMFD, &args);
	if (fd < 0) {
		e = errno;
		fprintf(stderr, PFX "KVM_CREATE_GUEST_MEMFD (%s, %llu bytes): %s\n",
			u->name, (unsigned long long)size, strerror(e));
		errno = e;
		return -1;
	}
	/* A guest_memfd is created without O_CLOEXEC. */
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

static int create_memfd(const char *path, uint64_t size)
{
	int fd = memfd_create(path, MFD_CLOEXEC), e;

	if (fd < 0)
		return -1;
	if (REAL(ftruncate)(fd, size)) {
		e = errno;
		REAL(close)(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The file named @path, created on first use.  Call with lock held. */
static struct pool_file *get_file(const char *path, const struct unit *u)
{
	struct pool_file *pf;
	int node, e;

	for (pf = files; pf; pf = pf->next)
		if (!strcmp(pf->path, path) && pf->pid == getpid())
			return pf;

	if (strlen(path) >= sizeof(pf->path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return NULL;
	strcpy(pf->path, path);
	pf->unit = u;
	pf->pid = getpid();
	pf->size = file_size(u);
	if (!pf->size)
		goto err;
	node = numa_node();
	pf->fd = use_memfd() ? create_memfd(path, pf->size) :
			       create_gmem(u, pf->size, node);
	if (pf->fd < 0)
		goto err;
	if (use_memfd())
		fprintf(stderr, PFX "%s -> memfd (%s asked, 4K pages, %llu bytes)\n",
			path, u->name, (unsigned long long)pf->size);
	else if (!u->pool)
		fprintf(stderr, PFX "%s -> guest_memfd (page cache, 4K, %llu bytes)\n",
			path, (unsigned long long)pf->size);
	else if (node < 0)
		fprintf(stderr, PFX "%s -> guest_memfd (%s units, any node, %llu bytes)\n",
			path, u->name, (unsigned long long)pf->size);
	else
		fprintf(stderr, PFX "%s -> guest_memfd (%s units, node %d, %llu bytes)\n",
			path, u->name, node, (unsigned long long)pf->size);
	pf->next = files;
	files = pf;
	return pf;
err:
	e = errno;
	free(pf);
	errno = e;
	return NULL;
}

static int pool_open(const char *path, int flags, enum kind kind,
		     const struct unit *u)
{
	struct pool_file *pf;
	int fd, e = 0;

	if (kind == OUR_DIR) {
		e = flags & O_DIRECTORY ? EOPNOTSUPP : EISDIR;
		goto out;
	}
	if (flags & O_DIRECTORY)
		e = ENOTDIR;
	else if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		e = EEXIST;
	else if (flags & (O_TRUNC | O_DIRECT))
		e = EINVAL;
	if (e)
		goto out;

	pthread_mutex_lock(&lock);
	pf = get_file(path, u);
	e = errno;
	pthread_mutex_unlock(&lock);
	if (!pf)
		goto out;
	fd = fcntl(pf->fd, flags & O_CLOEXEC ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (fd < 0) {
		e = errno;
		goto out;
	}
	if (fd >= MAX_FDS) {
		REAL(close)(fd);
		e = EMFILE;
		goto out;
	}
	__atomic_store_n(&fd_file[fd], pf, __ATOMIC_RELEASE);
	trace("open(%s, %#x) = %d\n", path, flags, fd);
	return fd;
out:
	trace("open(%s, %#x) = -1 (%s)\n", path, flags, strerror(e));
	errno = e;
	return -1;
}

static struct pool_file *our_fd(int fd)
{
	if (fd < 0 || fd >= MAX_FDS)
		return NULL;
	return __atomic_load_n(&fd_file[fd], __ATOMIC_ACQUIRE);
}

/* ---- open ---- */

static mode_t open_mode(int flags, va_list ap)
{
	return flags & (O_CREAT | O_TMPFILE) ? va_arg(ap, mode_t) : 0;
}

/* The open family, for an absolute or cwd-relative name (@dirfd). */
#define OPEN_BODY(call)							\
	do {								\
		const struct unit *u = NULL;				\
		enum kind k = classify(path, &u);			\
									\
		if (k != NOT_OURS)					\
			return pool_open(path, flags, k, u);		\
		return call;						\
	} while (0)

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(REAL(open)(path, flags, mode));
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(REAL(open64)(path, flags, mode));
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(REAL(openat)(dirfd, path, flags, mode));
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(REAL(openat64)(dirfd, path, flags, mode));
}

SHIM_EXPORT int __open_2(const char *path, int flags)
{
	OPEN_BODY(REAL(__open_2)(path, flags));
}

SHIM_EXPORT int __open64_2(const char *path, int flags)
{
	OPEN_BODY(REAL(__open64_2)(path, flags));
}

SHIM_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	OPEN_BODY(REAL(__openat_2)(dirfd, path, flags));
}

SHIM_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	OPEN_BODY(REAL(__openat64_2)(dirfd, path, flags));
}

SHIM_EXPORT int close(int fd)
{
	if (our_fd(fd)) {
		/* Forget it first: the number may be reused once closed. */
		__atomic_store_n(&fd_file[fd], NULL, __ATOMIC_RELEASE);
		trace("close(%d)\n", fd);
	}
	return REAL(close)(fd);
}

SHIM_EXPORT int mkdir(const char *path, mode_t mode)
{
	const struct unit *u;

	if (classify(path, &u) != NOT_OURS) {
		trace("mkdir(%s) = -1 (EEXIST)\n", path);
		errno = EEXIST;
		return -1;
	}
	return REAL(mkdir)(path, mode);
}

/* ---- stat ---- */

_Static_assert(sizeof(struct stat) == sizeof(struct stat64),
	       "struct stat and stat64 differ");

/* The fake inode of @path: what stat() says of a name not yet opened. */
static int fake_stat(const char *path, enum kind kind, const struct unit *u,
		     struct stat *st)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a of the name */
	const char *c;

	memset(st, 0, sizeof(*st));
	for (c = path; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	st->st_ino = h | 1;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_blksize = 4096;
	if (kind == OUR_DIR) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		trace("stat(%s): a directory\n", path);
		return 0;
	}
	st->st_size = file_size(u);
	if (!st->st_size) {
		trace("stat(%s) = -1 (EINVAL)\n", path);
		return -1;
	}
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	/* The whole size is reserved from the pool at creation. */
	st->st_blocks = st->st_size / 512;
	trace("stat(%s): a regular file of %lld bytes\n", path,
	      (long long)st->st_size);
	return 0;
}

/* A shim descriptor's real fstat(), as a regular file of its size. */
static int fix_stat(int fd, struct pool_file *pf, int ret, struct stat *st)
{
	if (ret)
		return ret;
	st->st_mode = (st->st_mode & ~S_IFMT) | S_IFREG;
	st->st_size = pf->size;
	trace("fstat(%d): a regular file of %llu bytes\n", fd,
	      (unsigned long long)pf->size);
	return 0;
}

#define STAT_BODY(call)							\
	do {								\
		const struct unit *u = NULL;				\
		enum kind k = classify(path, &u);			\
									\
		if (k != NOT_OURS)					\
			return fake_stat(path, k, u, (struct stat *)st); \
		return call;						\
	} while (0)

SHIM_EXPORT int stat(const char *restrict path, struct stat *restrict st)
{
	STAT_BODY(REAL(stat)(path, st));
}

SHIM_EXPORT int stat64(const char *restrict path, struct stat64 *restrict st)
{
	STAT_BODY(REAL(stat64)(path, st));
}

/* No symbolic links among the shim's names: lstat is stat. */
SHIM_EXPORT int lstat(const char *restrict path, struct stat *restrict st)
{
	STAT_BODY(REAL(lstat)(path, st));
}

SHIM_EXPORT int lstat64(const char *restrict path, struct stat64 *restrict st)
{
	STAT_BODY(REAL(lstat64)(path, st));
}

SHIM_EXPORT int fstat(int fd, struct stat *st)
{
	struct pool_file *pf = our_fd(fd);
	int ret = REAL(fstat)(fd, st);

	return pf ? fix_stat(fd, pf, ret, st) : ret;
}

SHIM_EXPORT int fstat64(int fd, struct stat64 *st)
{
	struct pool_file *pf = our_fd(fd);
	int ret = REAL(fstat64)(fd, st);

	return pf ? fix_stat(fd, pf, ret, (struct stat *)st) : ret;
}

/*
 * "" with AT_EMPTY_PATH: the descriptor itself.  (glibc declares the name
 * nonnull; the kernel takes NULL too.)
 */
static bool empty(const char *path)
{
	return !path || !*path;
}

#define FSTATAT_BODY(call)						\
	do {								\
		struct pool_file *pf;					\
		int ret;						\
									\
		if ((flags & AT_EMPTY_PATH) && empty(path) &&		\
		    (pf = our_fd(dirfd))) {				\
			ret = call;					\
			return fix_stat(dirfd, pf, ret, (struct stat *)st); \
		}							\
		STAT_BODY(call);					\
	} while (0)

SHIM_EXPORT int fstatat(int dirfd, const char *restrict path,
			struct stat *restrict st, int flags)
{
	FSTATAT_BODY(REAL(fstatat)(dirfd, path, st, flags));
}

SHIM_EXPORT int fstatat64(int dirfd, const char *restrict path,
			  struct stat64 *restrict st, int flags)
{
	FSTATAT_BODY(REAL(fstatat64)(dirfd, path, st, flags));
}

SHIM_EXPORT int statx(int dirfd, const char *restrict path, int flags,
		      unsigned int mask, struct statx *restrict stx)
{
	struct pool_file *pf;
	const struct unit *u = NULL;
	enum kind k;
	struct stat st;
	int ret;

	if ((flags & AT_EMPTY_PATH) && empty(path) && (pf = our_fd(dirfd))) {
		ret = REAL(statx)(dirfd, path, flags, mask, stx);
		if (!ret) {
			stx->stx_mode = (stx->stx_mode & ~S_IFMT) | S_IFREG;
			stx->stx_size = pf->size;
			trace("statx(%d): a regular file of %llu bytes\n",
			      dirfd, (unsigned long long)pf->size);
		}
		return ret;
	}
	k = classify(path, &u);
	if (k == NOT_OURS)
		return REAL(statx)(dirfd, path, flags, mask, stx);
	if (fake_stat(path, k, u, &st))
		return -1;
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = st.st_blksize;
	stx->stx_nlink = st.st_nlink;
	stx->stx_uid = st.st_uid;
	stx->stx_gid = st.st_gid;
	stx->stx_mode = st.st_mode;
	stx->stx_ino = st.st_ino;
	stx->stx_size = st.st_size;
	stx->stx_blocks = st.st_blocks;
	return 0;
}

/* ---- what guest_memfd refuses ---- */

static int ftruncate_pool(int fd, struct pool_file *pf, off64_t len)
{
	trace("ftruncate(%d, %lld)%s\n", fd, (long long)len,
	      (uint64_t)len == pf->size ? ": its size already, faked" : " = EINVAL");
	if ((uint64_t)len == pf->size)
		return 0;
	errno = EINVAL;
	return -1;
}

SHIM_EXPORT int ftruncate(int fd, off_t len)
{
	struct pool_file *pf = our_fd(fd);

	return pf ? ftruncate_pool(fd, pf, len) : REAL(ftruncate)(fd, len);
}

SHIM_EXPORT int ftruncate64(int fd, off64_t len)
{
	struct pool_file *pf = our_fd(fd);

	return pf ? ftruncate_pool(fd, pf, len) : REAL(ftruncate64)(fd, len);
}

/* 0 or an errno value. */
static int fallocate_pool(int fd, struct pool_file *pf, int mode, off64_t off,
			  off64_t len)
{
	int ret;

	if (!(mode & ~FALLOC_FL_KEEP_SIZE)) {
		if (off < 0 || len <= 0 || (uint64_t)off > pf->size ||
		    (uint64_t)len > pf->size - off) {
			trace("fallocate(%d, %#x, %lld, %lld) = EFBIG\n", fd,
			      mode, (long long)off, (long long)len);
			return off < 0 || len <= 0 ? EINVAL : EFBIG;
		}
		mode |= FALLOC_FL_KEEP_SIZE;
	}
	ret = REAL(fallocate64)(fd, mode, off, len) ? errno : 0;
	trace("fallocate(%d, %#x, %lld, %lld) = %s\n", fd, mode,
	      (long long)off, (long long)len, strerror(ret));
	return ret;
}

SHIM_EXPORT int fallocate(int fd, int mode, off_t off, off_t len)
{
	struct pool_file *pf = our_fd(fd);
	int e;

	if (!pf)
		return REAL(fallocate)(fd, mode, off, len);
	e = fallocate_pool(fd, pf, mode, off, len);
	if (!e)
		return 0;
	errno = e;
	return -1;
}

SHIM_EXPORT int fallocate64(int fd, int mode, off64_t off, off64_t len)
{
	struct pool_file *pf = our_fd(fd);
	int e;

	if (!pf)
		return REAL(fallocate64)(fd, mode, off, len);
	e = fallocate_pool(fd, pf, mode, off, len);
	if (!e)
		return 0;
	errno = e;
	return -1;
}

SHIM_EXPORT int posix_fallocate(int fd, off_t off, off_t len)
{
	struct pool_file *pf = our_fd(fd);

	return pf ? fallocate_pool(fd, pf, 0, off, len) :
		    REAL(posix_fallocate)(fd, off, len);
}

SHIM_EXPORT int posix_fallocate64(int fd, off64_t off, off64_t len)
{
	struct pool_file *pf = our_fd(fd);

	return pf ? fallocate_pool(fd, pf, 0, off, len) :
		    REAL(posix_fallocate64)(fd, off, len);
}

#define FAKE_SYNC(call)							\
	do {								\
		if (our_fd(fd)) {					\
			trace("%s(%d): nothing to write back, faked\n",	\
			      __func__, fd);				\
			return 0;					\
		}							\
		return call;						\
	} while (0)

SHIM_EXPORT int fsync(int fd)
{
	FAKE_SYNC(REAL(fsync)(fd));
}

SHIM_EXPORT int fdatasync(int fd)
{
	FAKE_SYNC(REAL(fdatasync)(fd));
}

SHIM_EXPORT int sync_file_range(int fd, off64_t off, off64_t len,
				unsigned int flags)
{
	FAKE_SYNC(REAL(sync_file_range)(fd, off, len, flags));
}

/* In memfd mode, fail as guest_memfd would (@err); else go through. */
#define REFUSE(err, call)						\
	do {								\
		if (our_fd(fd) && use_memfd()) {			\
			trace("%s(%d) = -1 (%s), as guest_memfd\n",	\
			      __func__, fd, strerror(err));		\
			errno = err;					\
			return -1;					\
		}							\
		return call;						\
	} while (0)

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	REFUSE(EINVAL, REAL(read)(fd, buf, n));
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	REFUSE(EINVAL, REAL(write)(fd, buf, n));
}

SHIM_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	REFUSE(ESPIPE, REAL(pread)(fd, buf, n, off));
}

SHIM_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	REFUSE(ESPIPE, REAL(pread64)(fd, buf, n, off));
}

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REFUSE(ESPIPE, REAL(pwrite)(fd, buf, n, off));
}

SHIM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	REFUSE(ESPIPE, REAL(pwrite64)(fd, buf, n, off));
}

SHIM_EXPORT off_t lseek(int fd, off_t off, int whence)
{
	REFUSE(ESPIPE, REAL(lseek)(fd, off, whence));
}

SHIM_EXPORT off64_t lseek64(int fd, off64_t off, int whence)
{
	REFUSE(ESPIPE, REAL(lseek64)(fd, off, whence));
}

/* ---- mmap ---- */

static void *mmap_pool(int fd, void *addr, size_t len, int prot, int flags,
		       off64_t off, void *(*real)(void *, size_t, int, int, int, off64_t))
{
	uintptr_t a;
	void *p;

	if (use_memfd() && (flags & MAP_TYPE) != MAP_SHARED &&
	    (flags & MAP_TYPE) != MAP_SHARED_VALIDATE) {
		trace("mmap(%d, %zu): MAP_PRIVATE = EINVAL, as guest_memfd\n",
		      fd, len);
		errno = EINVAL;
		return MAP_FAILED;
	}
	p = real(addr, len, prot, flags, fd, off);
	a = (uintptr_t)p;
	trace("mmap(%d, %zu bytes at %lld, prot %#x) = %p (%s-aligned)\n", fd,
	      len, (long long)off, prot, p, p == MAP_FAILED ? "not" :
	      !(a & ((1UL << 30) - 1)) ? "1G" :
	      !(a & ((1UL << 21) - 1)) ? "2M" : "4K");
	return p;
}

SHIM_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		       off_t off)
{
	if (our_fd(fd))
		return mmap_pool(fd, addr, len, prot, flags, off, REAL(mmap64));
	return REAL(mmap)(addr, len, prot, flags, fd, off);
}

SHIM_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
			 off64_t off)
{
	if (our_fd(fd))
		return mmap_pool(fd, addr, len, prot, flags, off, REAL(mmap64));
	return REAL(mmap64)(addr, len, prot, flags, fd, off);
}

/* ---- System V shared memory, for a kernel without it ---- */

/*
 * fio keeps its jobs' state in a System V segment (shmget(IPC_PRIVATE),
 * shmat, shmctl(IPC_RMID), shmdt at exit) and cannot start without one.
 * The guest's kernel is built without CONFIG_SYSVIPC, so shmget() fails
 * with ENOSYS there.  Then, and only then, the shim makes the segment of a
 * memfd: every shmat() maps it MAP_SHARED, so attaches share its memory,
 * and so do processes forked after an attach, which is all fio asks of it
 * (the id is private, nothing else can find it).  With a kernel that has
 * System V IPC nothing here is used.
 */
#define MAX_SHM		16
#define MAX_SHM_MAPS	64

static struct {
	int fd;			/* -1: free slot */
	size_t size;
	int nattch;
} shm_seg[MAX_SHM];
static struct {
	void *addr;
	size_t size;
	int id;
} shm_map[MAX_SHM_MAPS];
static bool shm_emulated;	/* under lock: a shmget() gave ENOSYS */

/* The emulated segment @id, or -1.  Call with lock held. */
static int shm_slot(int id)
{
	if (!shm_emulated || id < 1 || id > MAX_SHM || !shm_seg[id - 1].size)
		return -1;
	return id - 1;
}

SHIM_EXPORT int shmget(key_t key, size_t size, int flags)
{
	int id = REAL(shmget)(key, size, flags), i, fd;

	if (id >= 0 || errno != ENOSYS)
		return id;
	if (key != IPC_PRIVATE || !size) {
		errno = ENOSYS;
		return -1;
	}
	fd = memfd_create("gpool_fio_shim-shm", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (REAL(ftruncate)(fd, size)) {
		REAL(close)(fd);
		errno = ENOMEM;
		return -1;
	}
	pthread_mutex_lock(&lock);
	if (!shm_emulated) {
		fprintf(stderr, PFX "no System V shared memory (ENOSYS): "
			"shmget(IPC_PRIVATE) emulated with a memfd\n");
		shm_emulated = true;
	}
	for (i = 0; i < MAX_SHM && shm_seg[i].size; i++)
		;
	if (i < MAX_SHM) {
		shm_seg[i].fd = fd;
		shm_seg[i].size = size;
		shm_seg[i].nattch = 0;
	}
	pthread_mutex_unlock(&lock);
	if (i == MAX_SHM) {
		REAL(close)(fd);
		errno = ENOSPC;
		return -1;
	}
	trace("shmget(IPC_PRIVATE, %zu) = %d (emulated)\n", size, i + 1);
	return i + 1;
}

SHIM_EXPORT void *shmat(int id, const void *addr, int flags)
{
	void *p = MAP_FAILED;
	int i, m, e = EINVAL;

	pthread_mutex_lock(&lock);
	i = shm_slot(id);
	if (i < 0) {
		pthread_mutex_unlock(&lock);
		return REAL(shmat)(id, addr, flags);
	}
	for (m = 0; m < MAX_SHM_MAPS && shm_map[m].addr; m++)
		;
	if (addr || shm_seg[i].fd < 0 || m == MAX_SHM_MAPS)
		goto out;
	p = REAL(mmap64)(NULL, shm_seg[i].size, flags & SHM_RDONLY ? PROT_READ :
			 PROT_READ | PROT_WRITE, MAP_SHARED, shm_seg[i].fd, 0);
	if (p == MAP_FAILED) {
		e = errno;
		goto out;
	}
	shm_map[m].addr = p;
	shm_map[m].size = shm_seg[i].size;
	shm_map[m].id = id;
	shm_seg[i].nattch++;
out:
	pthread_mutex_unlock(&lock);
	trace("shmat(%d) = %p (emulated)\n", id, p);
	if (p == MAP_FAILED) {
		errno = e;
		return (void *)-1;
	}
	return p;
}

SHIM_EXPORT int shmdt(const void *addr)
{
	int m, i;

	pthread_mutex_lock(&lock);
	for (m = 0; shm_emulated && m < MAX_SHM_MAPS; m++)
		if (shm_map[m].addr && shm_map[m].addr == addr)
			break;
	if (!shm_emulated || m == MAX_SHM_MAPS) {
		pthread_mutex_unlock(&lock);
		return REAL(shmdt)(addr);
	}
	munmap(shm_map[m].addr, shm_map[m].size);
	i = shm_slot(shm_map[m].id);
	if (i >= 0 && !--shm_seg[i].nattch && shm_seg[i].fd < 0)
		shm_seg[i].size = 0;	/* removed and detached: free */
	shm_map[m].addr = NULL;
	pthread_mutex_unlock(&lock);
	trace("shmdt(%p) (emulated)\n", addr);
	return 0;
}

SHIM_EXPORT int shmctl(int id, int cmd, struct shmid_ds *buf)
{
	int i, ret = 0;

	pthread_mutex_lock(&lock);
	i = shm_slot(id);
	if (i < 0) {
		pthread_mutex_unlock(&lock);
		return REAL(shmctl)(id, cmd, buf);
	}
	switch (cmd) {
	case IPC_RMID:
		/* As System V: the memory stays while it is attached. */
		if (shm_seg[i].fd >= 0)
			REAL(close)(shm_seg[i].fd);
		shm_seg[i].fd = -1;
		if (!shm_seg[i].nattch)
			shm_seg[i].size = 0;	/* the slot is free */
		break;
	case IPC_STAT:
		memset(buf, 0, sizeof(*buf));
		buf->shm_segsz = shm_seg[i].size;
		buf->shm_nattch = shm_seg[i].nattch;
		buf->shm_perm.mode = 0600;
		break;
	default:
		ret = -1;
		errno = EINVAL;
	}
	pthread_mutex_unlock(&lock);
	trace("shmctl(%d, %d) = %d (emulated)\n", id, cmd, ret);
	return ret;
}

/* ---- at exit: how the pool files were mapped ---- */

/*
 * One line per guest_memfd this process created: the units it holds and
 * the host mappings (PUD, PMD, PTE) faults made of it in any process.  The
 * pool lists files with the creating pid, in creation order; ours are
 * matched to it by pid, size and unit, oldest first.
 */
static __attribute__((destructor)) void report(void)
{
	struct gpool_file_info *info = NULL;
	struct pool_file *pf, *order[64];
	unsigned int nr = 0, n = 0, i, j;
	bool used[64] = { false };
	int ctl, ret;

	if (use_memfd())
		return;
	for (pf = files; pf && n < 64; pf = pf->next)
		if (pf->pid == getpid() && pf->unit->pool)
			order[n++] = pf;	/* newest first */
	if (!n)
		return;
	ctl = gpool_ctl_open(NULL, false);
	if (ctl < 0) {
		fprintf(stderr, PFX "%s: %s (no host mapping counts)\n",
			GPOOL_CTL_DEV, strerror(-ctl));
		return;
	}
	ret = gpool_ctl_list_files(ctl, &info, &nr);
	REAL(close)(ctl);
	if (ret) {
		fprintf(stderr, PFX "GPOOL_IOC_LIST_FILES: %s\n", strerror(-ret));
		return;
	}
	for (i = n; i-- > 0; ) {
		pf = order[i];
		for (j = 0; j < nr && j < 64; j++) {
			if (used[j] || info[j].pid != (__u32)getpid() ||
			    info[j].size != pf->size ||
			    info[j].folio_shift != pf->unit->shift)
				continue;
			used[j] = true;
			fprintf(stderr, PFX "%s: pool file %llu: units 1G %llu 2M %llu 4K %llu; "
				"host mappings made 1G %llu 2M %llu 4K %llu\n",
				pf->path, (unsigned long long)info[j].id,
				(unsigned long long)info[j].units[GPOOL_SIZE_1G],
				(unsigned long long)info[j].units[GPOOL_SIZE_2M],
				(unsigned long long)info[j].units[GPOOL_SIZE_4K],
				(unsigned long long)info[j].host_maps[GPOOL_SIZE_1G],
				(unsigned long long)info[j].host_maps[GPOOL_SIZE_2M],
				(unsigned long long)info[j].host_maps[GPOOL_SIZE_4K]);
			break;
		}
	}
	free(info);
}
