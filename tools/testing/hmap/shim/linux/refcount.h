/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refcount_t on the shim's atomic_t: the operations the core uses. Like
 * the kernel's, a count that would go from 0 to 1 or below 0 is a bug; here
 * it aborts, so that the native tests fail on it.
 */
#ifndef _HMAP_SHIM_LINUX_REFCOUNT_H
#define _HMAP_SHIM_LINUX_REFCOUNT_H

#include <stdbool.h>
#include <stdlib.h>
#include <linux/atomic.h>

typedef struct {
	atomic_t refs;
} refcount_t;

static inline void refcount_set(refcount_t *r, int n)
{
	atomic_set(&r->refs, n);
}

static inline void refcount_inc(refcount_t *r)
{
	if (atomic_add_return(1, &r->refs) <= 1)
		abort();
}

static inline bool refcount_dec_and_test(refcount_t *r)
{
	int n = atomic_add_return(-1, &r->refs);

	if (n < 0)
		abort();
	return n == 0;
}

#endif /* _HMAP_SHIM_LINUX_REFCOUNT_H */
