/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel atomics on the compiler's __atomic builtins (fully ordered). */
#ifndef _HMAP_SHIM_LINUX_ATOMIC_H
#define _HMAP_SHIM_LINUX_ATOMIC_H

#include <linux/compiler.h>
#include <linux/types.h>

#define __HMAP_ATOMIC_OPS(pfx, t, v)					\
static inline v pfx##_read(const t *a)					\
{									\
	return __atomic_load_n(&a->counter, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_set(t *a, v i)					\
{									\
	__atomic_store_n(&a->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline v pfx##_add_return(v i, t *a)				\
{									\
	return __atomic_add_fetch(&a->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline v pfx##_fetch_add(v i, t *a)				\
{									\
	return __atomic_fetch_add(&a->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline void pfx##_add(v i, t *a)					\
{									\
	__atomic_add_fetch(&a->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_sub(v i, t *a)					\
{									\
	__atomic_sub_fetch(&a->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_inc(t *a)					\
{									\
	pfx##_add(1, a);						\
}									\
static inline void pfx##_dec(t *a)					\
{									\
	pfx##_sub(1, a);						\
}									\
static inline v pfx##_inc_return(t *a)					\
{									\
	return pfx##_add_return(1, a);					\
}									\
static inline v pfx##_dec_return(t *a)					\
{									\
	return pfx##_add_return(-1, a);					\
}									\
static inline bool pfx##_dec_and_test(t *a)				\
{									\
	return pfx##_add_return(-1, a) == 0;				\
}									\
static inline v pfx##_xchg(t *a, v i)					\
{									\
	return __atomic_exchange_n(&a->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline v pfx##_cmpxchg(t *a, v old, v new)			\
{									\
	__atomic_compare_exchange_n(&a->counter, &old, new, false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	return old;							\
}									\
static inline bool pfx##_add_unless(t *a, v i, v u)			\
{									\
	v c = __atomic_load_n(&a->counter, __ATOMIC_RELAXED);		\
									\
	do {								\
		if (c == u)						\
			return false;					\
	} while (!__atomic_compare_exchange_n(&a->counter, &c, c + i,	\
					      false, __ATOMIC_SEQ_CST,	\
					      __ATOMIC_RELAXED));	\
	return true;							\
}

__HMAP_ATOMIC_OPS(atomic, atomic_t, int)
__HMAP_ATOMIC_OPS(atomic_long, atomic_long_t, long)
__HMAP_ATOMIC_OPS(atomic64, atomic64_t, s64)

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC_LONG_INIT(i)	{ (i) }
#define ATOMIC64_INIT(i)	{ (i) }

#define xchg(p, v)		__atomic_exchange_n(p, v, __ATOMIC_SEQ_CST)
#define cmpxchg(p, o, n) ({						\
	typeof(*(p)) __o = (o);						\
	__atomic_compare_exchange_n(p, &__o, n, false,			\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	__o; })
#define smp_mb__before_atomic()	barrier()
#define smp_mb__after_atomic()	barrier()

#endif /* _HMAP_SHIM_LINUX_ATOMIC_H */
