/* SPDX-License-Identifier: GPL-2.0 */
/* Spinlocks on pthread mutexes (a holder never sleeps, so that is fine). */
#ifndef _HMAP_SHIM_LINUX_SPINLOCK_H
#define _HMAP_SHIM_LINUX_SPINLOCK_H

#include <pthread.h>
#include <linux/lockdep.h>

/* Spinlocks the thread holds, for might_sleep() (shim.c). */
extern __thread unsigned int hmap_shim_spinlocks_held;

/* @acquired: times taken, for tests that count them (__atomic). */
typedef struct {
	pthread_mutex_t m;
	struct lockdep_map dep_map;
	unsigned long acquired;
} spinlock_t;

#define DEFINE_SPINLOCK(name) \
	spinlock_t name = { .m = PTHREAD_MUTEX_INITIALIZER }

static inline void spin_lock_init(spinlock_t *lock)
{
	pthread_mutex_init(&lock->m, NULL);
	lock->dep_map.held = false;
	lock->acquired = 0;
}

static inline void spin_lock(spinlock_t *lock)
{
	pthread_mutex_lock(&lock->m);
	hmap_shim_lock_acquired(&lock->dep_map);
	hmap_shim_spinlocks_held++;
	__atomic_add_fetch(&lock->acquired, 1, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *lock)
{
	hmap_shim_spinlocks_held--;
	hmap_shim_lock_released(&lock->dep_map);
	pthread_mutex_unlock(&lock->m);
}

static inline int spin_trylock(spinlock_t *lock)
{
	if (pthread_mutex_trylock(&lock->m))
		return 0;
	hmap_shim_lock_acquired(&lock->dep_map);
	hmap_shim_spinlocks_held++;
	__atomic_add_fetch(&lock->acquired, 1, __ATOMIC_RELAXED);
	return 1;
}

/* Lockdep's nest_lock annotation: nothing to check here. */
#define spin_lock_nest_lock(l, nest)	spin_lock(l)
#define spin_lock_bh		spin_lock
#define spin_unlock_bh		spin_unlock
#define spin_lock_irq		spin_lock
#define spin_unlock_irq		spin_unlock
#define spin_lock_irqsave(l, f)		do { (f) = 0; spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f)	do { (void)(f); spin_unlock(l); } while (0)

#endif /* _HMAP_SHIM_LINUX_SPINLOCK_H */
