/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tools/include compiler.h of the source tarball (READ_ONCE(),
 * WRITE_ONCE(), likely(), __aligned ...), plus what the kernel's has and it
 * lacks.
 */
#ifndef _HMAP_SHIM_LINUX_COMPILER_H
#define _HMAP_SHIM_LINUX_COMPILER_H

#include_next <linux/compiler.h>
#include <asm/barrier.h>	/* tools/arch/x86: smp_load_acquire() ... */

/*
 * Preemption points: in the checking builds, a thread that turned them on
 * (hmap_shim_preempt_points()) may stall for a moment after each acquire
 * load and each rcu_dereference(), as a reader in the kernel may be
 * interrupted there, so that races with a writer on another CPU happen
 * often instead of once in a blue moon.
 */
#ifdef HMAP_SHIM_CHECKS
extern __thread unsigned int hmap_shim_preempt_on;
void hmap_shim_preempt_point(void);
#define hmap_shim_preempt()						\
	do {								\
		if (__builtin_expect(hmap_shim_preempt_on, 0))		\
			hmap_shim_preempt_point();			\
	} while (0)
#undef smp_load_acquire
#define smp_load_acquire(p) ({						\
	typeof(*p) ___p1 = READ_ONCE(*p);				\
	barrier();							\
	hmap_shim_preempt();						\
	___p1; })
#else
#define hmap_shim_preempt()	do { } while (0)
#endif

#define __percpu
#define __iomem
#define __rcu
#define __private
#define __exit
#define __initdata
#define __read_mostly
#define __cacheline_aligned	__aligned(64)
#define ____cacheline_aligned	__aligned(64)
#define __cold			__attribute__((__cold__))
#define __must_check		__attribute__((__warn_unused_result__))
#define __always_unused		__attribute__((__unused__))
#define __nocast
#define __safe

#ifndef __UNIQUE_ID
#define __UNIQUE_ID(prefix)	__PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)
#endif
#ifndef __PASTE
#define ___PASTE(a, b)		a##b
#define __PASTE(a, b)		___PASTE(a, b)
#endif

/* As in the kernel's <linux/compiler.h>, for its <linux/minmax.h>. */
#define is_signed_type(type)	(((type)(-1)) < (__force type)1)
#define is_unsigned_type(type)	(!is_signed_type(type))
#define statically_true(x)	(__builtin_constant_p(x) && (x))

#define data_race(expr)		(expr)
#define fallthrough		__attribute__((__fallthrough__))
#define ACCESS_PRIVATE(p, member)	((p)->member)

#endif /* _HMAP_SHIM_LINUX_COMPILER_H */
