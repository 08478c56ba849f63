/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels hmap builds on, 6.1 and 6.12, in one
 * place. Each shim says which kernel changed what; the code uses the
 * newest spelling where it can, and nothing else in hmap tests
 * LINUX_VERSION_CODE.
 */
#ifndef _HMAP_COMPAT_H
#define _HMAP_COMPAT_H

#include <linux/version.h>

/*
 * 6.12 moved the unaligned accessors (get_unaligned(),
 * get_unaligned_le64() ...) from <asm/unaligned.h> to <linux/unaligned.h>
 * ("move asm/unaligned.h to linux/unaligned.h").
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * 6.10 dropped the second argument of the trace events' __assign_str():
 * the source is the one __string() named ("tracing/treewide: Remove
 * second parameter of __assign_str()"). hmap_assign_str(dst, src) is
 * either; src must be __string()'s.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define hmap_assign_str(dst, src)	__assign_str(dst)
#else
#define hmap_assign_str(dst, src)	__assign_str(dst, src)
#endif

/*
 * 6.10 renamed KUNIT_ASSERT_FAILURE() to KUNIT_FAIL_AND_ABORT() ("kunit:
 * Rename KUNIT_ASSERT_FAILURE to KUNIT_FAIL_AND_ABORT for readability").
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
#define KUNIT_FAIL_AND_ABORT(test, fmt, ...) \
	KUNIT_ASSERT_FAILURE(test, fmt, ##__VA_ARGS__)
#endif

#endif /* _HMAP_COMPAT_H */
