/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <linux/kernel.h> for the harness: the usual helpers, printk on stdio, and
 * WARN*() that report through hmap_shim_warn() (fatal in the tests, like
 * a splat in the serial log of make check).
 */
#ifndef _HMAP_SHIM_LINUX_KERNEL_H
#define _HMAP_SHIM_LINUX_KERNEL_H

#include <stdarg.h>
#include <stdio.h>
#include <linux/kconfig.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/limits.h>
#include <linux/build_bug.h>
#include <linux/minmax.h>
#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/bug.h>
#include <linux/math.h>
#include <linux/byteorder.h>
#include <linux/export.h>

#include <linux/stddef.h>
#define container_of(ptr, type, member) ({			\
	void *__mptr = (void *)(ptr);				\
	((type *)(__mptr - offsetof(type, member))); })

#define ARRAY_SIZE(arr)	(sizeof(arr) / sizeof((arr)[0]) + __must_be_array(arr))
#define ALIGN(x, a)		__ALIGN_KERNEL((x), (a))
#define __ALIGN_KERNEL(x, a)	__ALIGN_KERNEL_MASK(x, (typeof(x))(a) - 1)
#define __ALIGN_KERNEL_MASK(x, mask)	(((x) + (mask)) & ~(mask))
#define IS_ALIGNED(x, a)	(((x) & ((typeof(x))(a) - 1)) == 0)
#define PTR_ALIGN(p, a)		((typeof(p))ALIGN((unsigned long)(p), (a)))

#define printk(fmt, ...)	printf(fmt, ##__VA_ARGS__)
#define pr_fmt(fmt)		fmt
#define pr_err(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...)	do { } while (0)
#define pr_warn_once		pr_warn
#define pr_err_once		pr_err
#define pr_info_ratelimited	pr_info
#define pr_warn_ratelimited	pr_warn

#ifdef HMAP_SHIM_CHECKS
#define might_sleep()		hmap_shim_might_sleep(__FILE__, __LINE__)
#else
/* The benchmark's build, as a kernel without CONFIG_DEBUG_ATOMIC_SLEEP. */
#define might_sleep()		do { } while (0)
#endif
#define might_sleep_if(cond)	do { if (cond) might_sleep(); } while (0)
#define might_fault()		might_sleep()

void hmap_shim_might_sleep(const char *file, int line);

#endif /* _HMAP_SHIM_LINUX_KERNEL_H */
