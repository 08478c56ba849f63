/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wait_var_event() and wake_up_var() on one pthread condition variable for
 * every variable: a wake-up wakes every waiter, which checks its condition
 * again (as the kernel's hashed wait queues may, too).
 */
#ifndef _HMAP_SHIM_LINUX_WAIT_BIT_H
#define _HMAP_SHIM_LINUX_WAIT_BIT_H

#include <pthread.h>
#include <linux/kernel.h>

extern pthread_mutex_t hmap_shim_var_lock;
extern pthread_cond_t hmap_shim_var_cond;

#define wait_var_event(var, condition)					\
do {									\
	might_sleep();							\
	pthread_mutex_lock(&hmap_shim_var_lock);			\
	while (!(condition))						\
		pthread_cond_wait(&hmap_shim_var_cond,			\
				  &hmap_shim_var_lock);			\
	pthread_mutex_unlock(&hmap_shim_var_lock);			\
} while (0)

static inline void wake_up_var(void *var)
{
	pthread_mutex_lock(&hmap_shim_var_lock);
	pthread_cond_broadcast(&hmap_shim_var_cond);
	pthread_mutex_unlock(&hmap_shim_var_lock);
}

#endif /* _HMAP_SHIM_LINUX_WAIT_BIT_H */
