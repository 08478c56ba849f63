/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sliver of lockdep: with HMAP_SHIM_CHECKS (the test builds) every lock
 * records its owner thread, so that lockdep_assert_held() and
 * lockdep_is_held() (hence rcu_dereference_protected(p,
 * lockdep_is_held(...))) really check, and a failed check is a WARN.
 */
#ifndef _HMAP_SHIM_LINUX_LOCKDEP_H
#define _HMAP_SHIM_LINUX_LOCKDEP_H

#include <pthread.h>
#include <linux/bug.h>
#include <linux/types.h>

struct lock_class_key {
	int unused;
};

struct lockdep_map {
	pthread_t owner;
	bool held;
};

#ifdef HMAP_SHIM_CHECKS
static inline bool hmap_shim_lock_held(const struct lockdep_map *m)
{
	/* Atomic: hmap_table_held() asks about locks other threads hold. */
	return __atomic_load_n(&m->held, __ATOMIC_RELAXED) &&
	       pthread_equal(__atomic_load_n(&m->owner, __ATOMIC_RELAXED),
			     pthread_self());
}

static inline void hmap_shim_lock_acquired(struct lockdep_map *m)
{
	__atomic_store_n(&m->owner, pthread_self(), __ATOMIC_RELAXED);
	__atomic_store_n(&m->held, true, __ATOMIC_RELAXED);
}

static inline void hmap_shim_lock_released(struct lockdep_map *m)
{
	WARN_ON(!hmap_shim_lock_held(m));
	__atomic_store_n(&m->held, false, __ATOMIC_RELAXED);
}

#define lockdep_is_held(lock)		hmap_shim_lock_held(&(lock)->dep_map)
#define lockdep_assert_held(lock)	WARN_ON(!lockdep_is_held(lock))
#define lockdep_assert_not_held(lock)	WARN_ON(lockdep_is_held(lock))
#define lockdep_assert(cond)		WARN_ON(!(cond))
#else
/*
 * The benchmark build (no HMAP_SHIM_CHECKS) is a kernel without lockdep:
 * nothing recorded, nothing checked (hmap_table_held() would otherwise
 * walk every stripe on each assertion of a write).
 */
static inline void hmap_shim_lock_acquired(struct lockdep_map *m)
{
}

static inline void hmap_shim_lock_released(struct lockdep_map *m)
{
}

#define lockdep_is_held(lock)		({ (void)(lock); 1; })
#define lockdep_assert_held(lock)	((void)(lock))
#define lockdep_assert_not_held(lock)	((void)(lock))
#define lockdep_assert(cond)		do { } while (0)
#endif

#define lockdep_assert_held_once(lock)	lockdep_assert_held(lock)
#define lockdep_set_class(lock, key)	do { (void)(lock); (void)(key); } while (0)
#define lockdep_assert_once(cond)	lockdep_assert(cond)

#endif /* _HMAP_SHIM_LINUX_LOCKDEP_H */
