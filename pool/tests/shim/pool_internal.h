/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace replacement for pool/pool_internal.h.
 *
 * We make the include guard the same as pool/pool_internal.h and the
 * Makefile force-includes this file, so the kernel seam is never read in
 * the userspace build.  Everything below emulates just the part of the
 * kernel API that the pool/ sources use, and each item says what it approximates.
 * Where the emulation can be stricter than the kernel, it is: locks know
 * their owner, sleeping allocations under a spinlock warn, WARN_ON counts,
 * and allocations can be made to fail and are counted for leaks.
 */
#ifndef __GPOOL_POOL_INTERNAL_H
#define __GPOOL_POOL_INTERNAL_H

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* <linux/types.h>: same widths as x86-64 Linux; u64 is unsigned long long. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

#ifndef U64_MAX
#define U64_MAX		((u64)~0ULL)
#endif

/* <linux/gfp_types.h>: only the bits whose meaning the shim checks. */
#define __GFP_DIRECT_RECLAIM	0x1u	/* may sleep */
#define __GFP_ZERO		0x2u
#define __GFP_NOWARN		0x4u
#define GFP_KERNEL		(__GFP_DIRECT_RECLAIM)
#define GFP_KERNEL_ACCOUNT	GFP_KERNEL	/* no memcg here */
#define GFP_ATOMIC		0u
#define GFP_NOWAIT		0u

/* <asm/page.h>: x86-64 4K pages. */
#define PAGE_SHIFT	12
#define PAGE_SIZE	BIT(PAGE_SHIFT)

/* <linux/compiler.h> */
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
/* <linux/compiler_attributes.h> */
#define __always_unused	__attribute__((__unused__))
/* Relaxed atomics: never torn, never merged or invented, like the kernel's. */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* <asm/barrier.h>: C11 acquire/release, what the kernel promises. */
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
/* Orders every earlier access before the store, as in the kernel. */
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* <linux/build_bug.h> */
/* <kunit/static_stub.h>: KUnit stubs are the kernel's; tests/ inject faults. */
#define KUNIT_STATIC_STUB_REDIRECT(fn, args...) ((void)(fn))

#define BUILD_BUG_ON(c)		static_assert(!(c), #c)

/* <linux/kernel.h>, <linux/align.h>, <linux/minmax.h> */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN(x, a)		({ __typeof__(x) _m = (__typeof__(x))(a) - 1;	\
				   ((x) + _m) & ~_m; })
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
/* Stricter than the kernel's: both sides must have the same type. */
#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b);	\
		     (void)(&_a == &_b); _a < _b ? _a : _b; })
#define max(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b);	\
		     (void)(&_a == &_b); _a > _b ? _a : _b; })
#define min_t(type, a, b)	min((type)(a), (type)(b))
#define max_t(type, a, b)	max((type)(a), (type)(b))
#define container_of(ptr, type, member)					\
	((type *)((char *)(ptr) - offsetof(type, member)))

/* <linux/overflow.h> */
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)

/* <linux/err.h> */
#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x)	((unsigned long)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE(ptr); }

/* <linux/bits.h>, <linux/bitops.h>: non-atomic forms, as the pool uses. */
#define BITS_PER_LONG		64
#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits)	unsigned long name[BITS_TO_LONGS(bits)]

static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= BIT(nr % BITS_PER_LONG);
}

static inline void __clear_bit(unsigned long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] &= ~BIT(nr % BITS_PER_LONG);
}

/* The kernel's set_bit() is atomic; tests only use it single-threaded. */
#define set_bit(nr, addr)	__set_bit(nr, addr)
#define clear_bit(nr, addr)	__clear_bit(nr, addr)

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return addr[nr / BITS_PER_LONG] & BIT(nr % BITS_PER_LONG);
}

/* __ffs(0) is undefined in the kernel; here it aborts. */
static inline unsigned long __ffs(unsigned long word)
{
	if (!word)
		abort();
	return __builtin_ctzl(word);
}

static inline unsigned int hweight_long(unsigned long w)
{
	return __builtin_popcountl(w);
}

/* <linux/find.h>: word at a time, as lib/find_bit.c does. */
static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size,
					  unsigned long offset)
{
	unsigned long i = offset / BITS_PER_LONG, w;

	if (offset >= size)
		return size;
	w = addr[i] & (~0UL << (offset % BITS_PER_LONG));
	while (!w) {
		if (++i * BITS_PER_LONG >= size)
			return size;
		w = addr[i];
	}
	offset = i * BITS_PER_LONG + __builtin_ctzl(w);
	return offset < size ? offset : size;
}

static inline unsigned long find_first_bit(const unsigned long *addr,
					   unsigned long size)
{
	return find_next_bit(addr, size, 0);
}

/*
 * for_each_set_bit() through a cursor, so that each macro argument is
 * evaluated once; @bit is only ever assigned.
 */
struct shim_bit_iter {
	const unsigned long *map;
	unsigned long nbits;
	unsigned long from;
	unsigned long cur;
};

static inline bool shim_bit_iter_next(struct shim_bit_iter *it)
{
	it->cur = find_next_bit(it->map, it->nbits, it->from);
	it->from = it->cur + 1;
	return it->cur < it->nbits;
}

#define for_each_set_bit(bit, addr, size)				\
	for (struct shim_bit_iter __bi = { .map = (addr), .nbits = (size) }; \
	     shim_bit_iter_next(&__bi) && ((bit) = __bi.cur, true);)

/* <linux/bitmap.h>: sizes are multiples of BITS_PER_LONG in the pool. */
static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(long));
}

static inline void bitmap_fill(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0xff, BITS_TO_LONGS(nbits) * sizeof(long));
	if (nbits % BITS_PER_LONG)
		dst[nbits / BITS_PER_LONG] &= BIT(nbits % BITS_PER_LONG) - 1;
}

static inline void bitmap_set(unsigned long *map, unsigned int start,
			      unsigned int len)
{
	while (len--)
		__set_bit(start++, map);
}

static inline void bitmap_clear(unsigned long *map, unsigned int start,
				unsigned int len)
{
	while (len--)
		__clear_bit(start++, map);
}

static inline void bitmap_copy(unsigned long *dst, const unsigned long *src,
			       unsigned int nbits)
{
	memcpy(dst, src, BITS_TO_LONGS(nbits) * sizeof(long));
}

static inline void bitmap_and(unsigned long *dst, const unsigned long *a,
			      const unsigned long *b, unsigned int nbits)
{
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(nbits); i++)
		dst[i] = a[i] & b[i];
}

static inline bool bitmap_empty(const unsigned long *src, unsigned int nbits)
{
	return find_first_bit(src, nbits) >= nbits;
}

static inline unsigned int bitmap_weight(const unsigned long *src,
					 unsigned int nbits)
{
	unsigned int i, n = 0;

	for (i = 0; i < nbits / BITS_PER_LONG; i++)
		n += hweight_long(src[i]);
	if (nbits % BITS_PER_LONG)
		n += hweight_long(src[i] & (BIT(nbits % BITS_PER_LONG) - 1));
	return n;
}

/* <linux/list.h>: list_del() poisons like the kernel's LIST_POISON. */
struct list_head {
	struct list_head *next, *prev;
};

#define LIST_POISON1	((struct list_head *)0x100)
#define LIST_POISON2	((struct list_head *)0x122)

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void __list_add(struct list_head *new, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = new;
	new->next = next;
	new->prev = prev;
	prev->next = new;
}

static inline void list_add(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

static inline void __list_del_entry(struct list_head *entry)
{
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
}

static inline void list_del(struct list_head *entry)
{
	__list_del_entry(entry);
	entry->next = LIST_POISON1;
	entry->prev = LIST_POISON2;
}

static inline void list_del_init(struct list_head *entry)
{
	__list_del_entry(entry);
	INIT_LIST_HEAD(entry);
}

static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(ptr, type, member)				\
	list_entry((ptr)->next, type, member)
#define list_first_entry_or_null(ptr, type, member) ({			\
	struct list_head *__head = (ptr);				\
	list_empty(__head) ? NULL : list_first_entry(__head, type, member); \
})

/*
 * The iterators go through a cursor over the links, so that each macro
 * argument is evaluated once: @pos (and @n) are only ever assigned.  As in
 * the kernel, list_for_each_entry() reads the next link after the body, so
 * deleting @pos in it is a use of a poisoned pointer.
 */
struct shim_list_iter {
	struct list_head *head;
	struct list_head *link;
	struct list_head *next;
	size_t off;		/* of the list_head in the entry */
	void *tmp;		/* last entry given to @n of the safe form */
};

static inline struct shim_list_iter shim_list_iter(struct list_head *head,
						   size_t off)
{
	return (struct shim_list_iter){
		.head = head, .link = head, .next = head->next, .off = off,
	};
}

static inline void *shim_list_entry(const struct shim_list_iter *it,
				    struct list_head *link)
{
	return (char *)link - it->off;
}

/* list_for_each_entry(): follow ->next of the current link. */
static inline bool shim_list_iter_next(struct shim_list_iter *it)
{
	it->link = it->link->next;
	return it->link != it->head;
}

/* list_for_each_entry_safe(): the next link was read before the body. */
static inline bool shim_list_iter_next_safe(struct shim_list_iter *it)
{
	it->link = it->next;
	it->next = it->link->next;
	return it->link != it->head;
}

/* offsetof(typeof(*ptr), member) without naming @ptr twice. */
#define shim_offsetof(ptr_type, member)					\
	offsetof(__typeof__(*(ptr_type)NULL), member)

#define list_for_each_entry(pos, head, member)				\
	for (struct shim_list_iter __it =				\
		shim_list_iter((head), shim_offsetof(__typeof__(pos), member)); \
	     shim_list_iter_next(&__it) &&				\
	     ((pos) = shim_list_entry(&__it, __it.link), true);)
#define list_for_each_entry_safe(pos, n, head, member)			\
	for (struct shim_list_iter __it =				\
		shim_list_iter((head), shim_offsetof(__typeof__(pos), member)); \
	     shim_list_iter_next_safe(&__it) &&				\
	     ((pos) = shim_list_entry(&__it, __it.link),		\
	      __it.tmp = (n) = shim_list_entry(&__it, __it.next), true);)

/* <asm/bug.h>: WARNs are counted; every test fails if any fired. */
void shim_warn(const char *file, int line, const char *cond);
#define WARN_ON(c) ({							\
	bool __c = !!(c);						\
	if (unlikely(__c))						\
		shim_warn(__FILE__, __LINE__, #c);			\
	unlikely(__c);							\
})
#define WARN_ON_ONCE(c)	WARN_ON(c)

/* <linux/printk.h> */
#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_err(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)

/*
 * <linux/spinlock.h>, <linux/rwlock.h>, <linux/mutex.h>: pthread locks that
 * remember who holds them, so lockdep_assert_held() really checks.  Holding
 * a spinlock or rwlock counts as atomic context for the calling thread
 * (shim_atomic), in which sleeping allocations and mutexes warn.
 */
extern __thread int shim_atomic;

/* Every lock has one, as with lockdep: who holds it right now. */
struct lockdep_map {
	pthread_t owner;	/* of an exclusive hold */
	bool held;		/* exclusively, by owner */
	int readers;		/* shared holders (rwlock), atomic */
};

typedef struct {
	pthread_mutex_t m;
	struct lockdep_map dep_map;
} spinlock_t;

typedef struct {
	pthread_rwlock_t rw;
	struct lockdep_map dep_map;
} rwlock_t;

struct mutex {
	pthread_mutex_t m;
	struct lockdep_map dep_map;
};

void spin_lock_init(spinlock_t *lock);
void spin_lock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);
void rwlock_init(rwlock_t *lock);
void read_lock(rwlock_t *lock);
void read_unlock(rwlock_t *lock);
void write_lock(rwlock_t *lock);
void write_unlock(rwlock_t *lock);
void mutex_init(struct mutex *lock);
void mutex_lock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);
void mutex_destroy(struct mutex *lock);

/*
 * lockdep's "held by this task".  Readers of an rwlock are not tracked by
 * thread, so any reader (or the writer) satisfies it.
 */
bool lock_is_held(const struct lockdep_map *map);
#define lockdep_is_held(l)	lock_is_held(&(l)->dep_map)
#define lockdep_assert_held(l)	WARN_ON(!lockdep_is_held(l))

void shim_might_sleep(const char *file, int line);
#define might_sleep()	shim_might_sleep(__FILE__, __LINE__)

/*
 * <linux/slab.h>: malloc with a header, counted for leak checks, with
 * fault injection, and a warning for a sleeping allocation in atomic
 * context.  kv*() behave like k*() (no vmalloc fallback to emulate).
 */
void *shim_alloc(size_t size, unsigned int gfp, const char *file, int line);
void shim_free(const void *ptr);
#define kmalloc(s, g)		shim_alloc((s), (g), __FILE__, __LINE__)
#define kzalloc(s, g)		kmalloc((s), (g) | __GFP_ZERO)
#define kmalloc_array(n, s, g)	shim_alloc_array((n), (s), (g), __FILE__, __LINE__)
#define kcalloc(n, s, g)	kmalloc_array((n), (s), (g) | __GFP_ZERO)
#define kvmalloc(s, g)		kmalloc((s), (g))
#define kvzalloc(s, g)		kzalloc((s), (g))
#define kvcalloc(n, s, g)	kcalloc((n), (s), (g))
#define kfree(p)		shim_free(p)
#define kvfree(p)		shim_free(p)

static inline void *shim_alloc_array(size_t n, size_t size, unsigned int gfp,
				     const char *file, int line)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return shim_alloc(bytes, gfp, file, line);
}

/*
 * pool/pool_internal.h's GPOOL_DEBUG (CONFIG_GPOOL_DEBUG): on in the tests,
 * so that every operation checks the node it changed, unless a test turns
 * it off (the model checks everything after every step anyway); constant
 * off in the benchmark (built with NDEBUG), whose budgets count the pool
 * alone.
 */
/* Every operation here: the harness's nodes are small. */
#define GPOOL_DEBUG_EVERY	1
#ifdef NDEBUG
#define GPOOL_DEBUG	0
#else
extern bool shim_gpool_debug;
#define GPOOL_DEBUG	READ_ONCE(shim_gpool_debug)
#endif

/* Test controls, not kernel API. */
void shim_fail_after(long nr);		/* < 0: never fail */
long shim_nr_allocated(void);
size_t shim_bytes_allocated(void);
unsigned long shim_nr_warnings(void);
int shim_check_clean(const char *what);

#endif /* __GPOOL_POOL_INTERNAL_H */
