/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jiffies from CLOCK_MONOTONIC, at HZ, starting five minutes before the
 * 32-bit wrap as the kernel's do (INITIAL_JIFFIES).
 */
#ifndef _HMAP_SHIM_LINUX_JIFFIES_H
#define _HMAP_SHIM_LINUX_JIFFIES_H

#include <linux/kernel.h>
#include <linux/ktime.h>

#define HZ		CONFIG_HZ
#define INITIAL_JIFFIES	((unsigned long)(unsigned int)(-300 * HZ))

unsigned long hmap_shim_jiffies(void);
#define jiffies		hmap_shim_jiffies()

#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)
#define time_before_eq(a, b)	time_after_eq(b, a)

/* Whether @a is in [@b, @c). */
static inline bool time_in_range_open(unsigned long a, unsigned long b,
				      unsigned long c)
{
	return time_after_eq(a, b) && time_before(a, c);
}

static inline unsigned long msecs_to_jiffies(unsigned int m)
{
	return ((unsigned long)m * HZ + 999) / 1000;
}

static inline unsigned int jiffies_to_msecs(unsigned long j)
{
	return j * 1000 / HZ;
}

#endif
