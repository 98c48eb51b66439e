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

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* <linux/types.h>: same widths as x86-64 Linux; u64 is unsigned long long. */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef long long s64;
typedef unsigned int gfp_t;

#ifndef U64_MAX
#define U64_MAX		((u64)~0ULL)
#endif

/* <linux/gfp_types.h>: only the bits whose meaning the shim checks. */
#define __GFP_DIRECT_RECLAIM	0x1u	/* may sleep */
#define __GFP_ZERO		0x2u
#define __GFP_NOWARN		0x4u
#define GFP_KERNEL		(__GFP_DIRECT_RECLAIM)
#define GFP_ATOMIC		0u
#define GFP_NOWAIT		0u

/* <asm/page.h>: x86-64 4K pages. */
#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)

/* <linux/compiler.h> */
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif
#ifndef __maybe_unused
#define __maybe_unused	__attribute__((unused))
#endif

/* <asm/barrier.h>: C11 acquire/release, what the kernel promises. */
#define smp_load_acquire(p)	 __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	 __atomic_store_n(p, v, __ATOMIC_RELEASE)

/* <linux/build_bug.h> */
#define BUILD_BUG_ON(c)	_Static_assert(!(c), #c)

/* <linux/kernel.h>, <linux/align.h>, <linux/minmax.h> */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN(x, a)		ALIGN_DOWN((x) + (a) - 1, (a))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
/* Stricter than the kernel's: both sides must have the same type. */
#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b);	\
		     (void)(&_a == &_b); _a < _b ? _a : _b; })
#define max(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b);	\
		     (void)(&_a == &_b); _a > _b ? _a : _b; })
#define min_t(t, a, b)	min((t)(a), (t)(b))
#define swap(a, b) do {							\
	__typeof__(a) _t = (a);						\
	(a) = (b);							\
	(b) = _t;							\
} while (0)
#define max_t(t, a, b)	max((t)(a), (t)(b))
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

#define for_each_set_bit(bit, addr, size)				\
	for ((bit) = find_first_bit((addr), (size)); (bit) < (size);	\
	     (bit) = find_next_bit((addr), (size), (bit) + 1))

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

	for (i = 0; i < nbits; i++)
		n += test_bit(i, src);
	return n;
}

/* <linux/list.h>: list_del() poisons like the kernel's LIST_POISON. */
struct list_head {
	struct list_head *next, *prev;
};

#define LIST_POISON1	((struct list_head *)0x100)
#define LIST_POISON2	((struct list_head *)0x122)
#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

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
#define list_first_entry_or_null(ptr, type, member)			\
	(list_empty(ptr) ? NULL : list_first_entry(ptr, type, member))
#define list_next_entry(pos, member)					\
	list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_for_each_entry(pos, head, member)				\
	for (pos = list_first_entry(head, __typeof__(*pos), member);	\
	     &pos->member != (head);					\
	     pos = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_first_entry(head, __typeof__(*pos), member),	\
	     n = list_next_entry(pos, member);				\
	     &pos->member != (head);					\
	     pos = n, n = list_next_entry(n, member))

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
#define pr_debug(fmt, ...)	do { } while (0)

/*
 * <linux/spinlock.h>, <linux/rwlock.h>, <linux/mutex.h>: pthread locks that
 * remember who holds them, so lockdep_assert_held() really checks.  Holding
 * a spinlock or rwlock counts as atomic context for the calling thread
 * (shim_atomic), in which sleeping allocations and mutexes warn.
 */
extern __thread int shim_atomic;

typedef struct {
	pthread_mutex_t m;
	pthread_t owner;
	bool held;
} spinlock_t;

typedef struct {
	pthread_rwlock_t rw;
	int readers;		/* atomic */
	pthread_t writer;
	bool wheld;
} rwlock_t;

struct mutex {
	pthread_mutex_t m;
	pthread_t owner;
	bool held;
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
bool shim_spin_held(spinlock_t *lock);
bool shim_rw_held(rwlock_t *lock);
bool shim_mutex_held(struct mutex *lock);

/* lockdep's "held by this task"; readers of an rwlock are not tracked by
 * thread, so any reader (or the writer) satisfies it.
 */
#define lockdep_assert_held(l)						\
	WARN_ON(!_Generic((l),						\
			  spinlock_t *: shim_spin_held,			\
			  const spinlock_t *: shim_spin_held,		\
			  rwlock_t *: shim_rw_held,			\
			  struct mutex *: shim_mutex_held)((void *)(l)))

void shim_might_sleep(const char *file, int line);
#define might_sleep()	shim_might_sleep(__FILE__, __LINE__)

/*
 * <linux/slab.h>: malloc with a header, counted for leak checks, with
 * fault injection, and a warning for a sleeping allocation in atomic
 * context.  kv*() behave like k*() (no vmalloc fallback to emulate).
 */
void *shim_alloc(size_t size, gfp_t gfp, const char *file, int line);
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

static inline void *shim_alloc_array(size_t n, size_t size, gfp_t gfp,
				     const char *file, int line)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return shim_alloc(bytes, gfp, file, line);
}

/* Test controls, not kernel API. */
void shim_fail_after(long nr);		/* < 0: never fail */
long shim_nr_allocated(void);
size_t shim_bytes_allocated(void);
unsigned long shim_nr_warnings(void);
int shim_check_clean(const char *what);

#endif /* __GPOOL_POOL_INTERNAL_H */
