/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mutexes on pthread mutexes; in the test builds lockdep_is_held() knows
 * the owner.
 */
#ifndef _HMAP_SHIM_LINUX_MUTEX_H
#define _HMAP_SHIM_LINUX_MUTEX_H

#include <pthread.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>

struct mutex {
	pthread_mutex_t m;
	struct lockdep_map dep_map;
};

#define DEFINE_MUTEX(name) \
	struct mutex name = { .m = PTHREAD_MUTEX_INITIALIZER }

static inline void mutex_init(struct mutex *lock)
{
	pthread_mutex_init(&lock->m, NULL);
	lock->dep_map.held = false;
}

static inline void mutex_destroy(struct mutex *lock)
{
	WARN_ON(lock->dep_map.held);
	pthread_mutex_destroy(&lock->m);
}

static inline void mutex_lock(struct mutex *lock)
{
	might_sleep();
	lockdep_assert_not_held(lock);	/* recursive locking */
	pthread_mutex_lock(&lock->m);
	hmap_shim_lock_acquired(&lock->dep_map);
}

static inline int mutex_trylock(struct mutex *lock)
{
	if (pthread_mutex_trylock(&lock->m))
		return 0;
	hmap_shim_lock_acquired(&lock->dep_map);
	return 1;
}

static inline void mutex_unlock(struct mutex *lock)
{
	hmap_shim_lock_released(&lock->dep_map);
	pthread_mutex_unlock(&lock->m);
}

/* By anyone: the benchmark build records no owner. */
static inline bool mutex_is_locked(struct mutex *lock)
{
	if (pthread_mutex_trylock(&lock->m))
		return true;
	pthread_mutex_unlock(&lock->m);
	return false;
}

#define mutex_lock_interruptible(lock)	(mutex_lock(lock), 0)
#define mutex_lock_killable(lock)	(mutex_lock(lock), 0)

#endif /* _HMAP_SHIM_LINUX_MUTEX_H */
