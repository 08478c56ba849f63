/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HMAP_SHIM_LINUX_KTIME_H
#define _HMAP_SHIM_LINUX_KTIME_H

#include <time.h>
#include <linux/types.h>

#define NSEC_PER_USEC	1000L
#define NSEC_PER_MSEC	1000000L
#define NSEC_PER_SEC	1000000000L

static inline u64 ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

#endif
