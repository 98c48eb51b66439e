// SPDX-License-Identifier: GPL-2.0
/*
 * Implementations behind shim/pool_internal.h.  Each function says which
 * kernel facility it stands in for and where it is stricter.
 */
#include "pool_internal.h"

__thread int shim_atomic;

/* GPOOL_DEBUG: the pool checks each node it changed (check.h). */
bool shim_gpool_debug = true;

static unsigned long nr_warnings;
static long nr_allocated;
static size_t bytes_allocated;
static long fail_after = -1;
static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;

/* WARN(): print like the kernel does and count; tests fail on any count. */
void shim_warn(const char *file, int line, const char *cond)
{
	fprintf(stderr, "WARNING: at %s:%d: %s\n", file, line, cond);
	__atomic_add_fetch(&nr_warnings, 1, __ATOMIC_RELAXED);
}

unsigned long shim_nr_warnings(void)
{
	return __atomic_load_n(&nr_warnings, __ATOMIC_RELAXED);
}

/* might_sleep(): "BUG: sleeping function called from invalid context". */
void shim_might_sleep(const char *file, int line)
{
	if (shim_atomic)
		shim_warn(file, line, "sleeping in atomic context");
}

/* lockdep: an exclusive hold by this thread, or any shared one. */
bool lock_is_held(const struct lockdep_map *map)
{
	return __atomic_load_n(&map->readers, __ATOMIC_RELAXED) > 0 ||
	       (map->held && pthread_equal(map->owner, pthread_self()));
}

static void shim_map_init(struct lockdep_map *map)
{
	map->held = false;
	map->readers = 0;
}

static void shim_map_acquire(struct lockdep_map *map)
{
	map->owner = pthread_self();
	map->held = true;
}

/* Release an exclusive hold; false if this thread did not have one. */
static bool shim_map_release(struct lockdep_map *map)
{
	bool mine = map->held && pthread_equal(map->owner, pthread_self());

	map->held = false;
	return mine;
}

/* spin_lock(): a mutex that knows its owner; recursion is a deadlock. */
void spin_lock_init(spinlock_t *lock)
{
	pthread_mutex_init(&lock->m, NULL);
	shim_map_init(&lock->dep_map);
}

void spin_lock(spinlock_t *lock)
{
	if (lock_is_held(&lock->dep_map)) {
		shim_warn(__FILE__, __LINE__, "spinlock taken recursively");
		abort();
	}
	pthread_mutex_lock(&lock->m);
	shim_map_acquire(&lock->dep_map);
	shim_atomic++;
}

void spin_unlock(spinlock_t *lock)
{
	if (!shim_map_release(&lock->dep_map))
		shim_warn(__FILE__, __LINE__, "unlocking a spinlock not held");
	shim_atomic--;
	pthread_mutex_unlock(&lock->m);
}

/* rwlock_t: pthread rwlock; readers are counted, the writer is known. */
void rwlock_init(rwlock_t *lock)
{
	pthread_rwlock_init(&lock->rw, NULL);
	shim_map_init(&lock->dep_map);
}

void read_lock(rwlock_t *lock)
{
	pthread_rwlock_rdlock(&lock->rw);
	__atomic_add_fetch(&lock->dep_map.readers, 1, __ATOMIC_RELAXED);
	shim_atomic++;
}

void read_unlock(rwlock_t *lock)
{
	if (__atomic_sub_fetch(&lock->dep_map.readers, 1, __ATOMIC_RELAXED) < 0)
		shim_warn(__FILE__, __LINE__, "rwlock read-unlocked, no reader");
	shim_atomic--;
	pthread_rwlock_unlock(&lock->rw);
}

void write_lock(rwlock_t *lock)
{
	pthread_rwlock_wrlock(&lock->rw);
	shim_map_acquire(&lock->dep_map);
	shim_atomic++;
}

void write_unlock(rwlock_t *lock)
{
	if (!shim_map_release(&lock->dep_map))
		shim_warn(__FILE__, __LINE__, "rwlock write-unlocked by a non-writer");
	shim_atomic--;
	pthread_rwlock_unlock(&lock->rw);
}

/* struct mutex: may sleep, so taking it in atomic context warns. */
void mutex_init(struct mutex *lock)
{
	pthread_mutex_init(&lock->m, NULL);
	shim_map_init(&lock->dep_map);
}

void mutex_lock(struct mutex *lock)
{
	shim_might_sleep(__FILE__, __LINE__);
	pthread_mutex_lock(&lock->m);
	shim_map_acquire(&lock->dep_map);
}

void mutex_unlock(struct mutex *lock)
{
	if (!shim_map_release(&lock->dep_map))
		shim_warn(__FILE__, __LINE__, "mutex unlocked by a non-owner");
	pthread_mutex_unlock(&lock->m);
}

void mutex_destroy(struct mutex *lock)
{
	if (lock->dep_map.held)
		shim_warn(__FILE__, __LINE__, "destroying a held mutex");
	pthread_mutex_destroy(&lock->m);
}

/*
 * kmalloc(): malloc with a 16-byte header holding the size, so frees can
 * be counted.  A sleeping allocation (GFP_KERNEL) under a spinlock warns:
 * the pool must allocate before it locks.  After shim_fail_after(n), the
 * allocations following the first n successful ones fail.
 */
struct shim_hdr {
	size_t size;
	size_t magic;
};

#define SHIM_MAGIC	0x6770006c6c6f63ULL

void *shim_alloc(size_t size, unsigned int gfp, const char *file, int line)
{
	struct shim_hdr *h;

	if (gfp & __GFP_DIRECT_RECLAIM)
		shim_might_sleep(file, line);
	pthread_mutex_lock(&shim_lock);
	if (fail_after == 0) {
		pthread_mutex_unlock(&shim_lock);
		return NULL;
	}
	if (fail_after > 0)
		fail_after--;
	nr_allocated++;
	bytes_allocated += size;
	pthread_mutex_unlock(&shim_lock);

	h = malloc(sizeof(*h) + size);
	if (!h)
		abort();
	h->size = size;
	h->magic = SHIM_MAGIC;
	if (gfp & __GFP_ZERO)
		memset(h + 1, 0, size);
	else
		memset(h + 1, 0xa5, size);	/* like slub_debug poisoning */
	return h + 1;
}

void shim_free(const void *ptr)
{
	struct shim_hdr *h;

	if (!ptr)
		return;
	h = (struct shim_hdr *)ptr - 1;
	if (h->magic != SHIM_MAGIC) {
		shim_warn(__FILE__, __LINE__, "kfree of a bad pointer");
		abort();
	}
	h->magic = 0;
	pthread_mutex_lock(&shim_lock);
	nr_allocated--;
	bytes_allocated -= h->size;
	pthread_mutex_unlock(&shim_lock);
	free(h);
}

void shim_fail_after(long nr)
{
	pthread_mutex_lock(&shim_lock);
	fail_after = nr;
	pthread_mutex_unlock(&shim_lock);
}

long shim_nr_allocated(void)
{
	return nr_allocated;
}

size_t shim_bytes_allocated(void)
{
	return bytes_allocated;
}

/* 0 if no WARN fired and nothing is allocated; else report and -1. */
int shim_check_clean(const char *what)
{
	int ret = 0;

	if (shim_nr_warnings()) {
		fprintf(stderr, "%s: %lu warning(s)\n", what,
			shim_nr_warnings());
		ret = -1;
	}
	if (nr_allocated) {
		fprintf(stderr, "%s: %ld allocation(s) leaked\n", what,
			nr_allocated);
		ret = -1;
	}
	return ret;
}
