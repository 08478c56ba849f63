/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU variables, one copy per thread slot: a thread takes a free slot
 * (a "CPU") the first time it touches a per-CPU variable and gives it back
 * when it exits; counters left in a slot stay in the sums, as those of a
 * CPU gone offline do. Copies are NR_CPUS units of HMAP_PCPU_UNIT bytes
 * apart in one arena, so that this_cpu_add() is one add through the
 * thread's slot, as in the kernel; a static DEFINE_PER_CPU() variable is
 * only a name for its copies (section "hmap_percpu"), which live in the
 * arena too.
 */
#ifndef _HMAP_SHIM_LINUX_PERCPU_H
#define _HMAP_SHIM_LINUX_PERCPU_H

#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/types.h>

#define HMAP_PCPU_UNIT		(1UL << 20)

extern char *hmap_shim_pcpu_arena;
extern char __start_hmap_percpu[], __stop_hmap_percpu[];
extern __thread int hmap_shim_cpu;
int hmap_shim_claim_cpu(void);

static inline int raw_smp_processor_id(void)
{
	int cpu = hmap_shim_cpu;

	return likely(cpu >= 0) ? cpu : hmap_shim_claim_cpu();
}

#define smp_processor_id()	raw_smp_processor_id()
#define get_cpu()		raw_smp_processor_id()
#define put_cpu()		do { } while (0)

/* The address of CPU @cpu's copy of what @p points to in copy 0. */
static inline void *hmap_shim_pcpu_ptr(const void *p, int cpu)
{
	uintptr_t a = (uintptr_t)p;
	uintptr_t start = (uintptr_t)__start_hmap_percpu;

	if (unlikely(a - start < (uintptr_t)(__stop_hmap_percpu - __start_hmap_percpu)))
		a = a - start + (uintptr_t)hmap_shim_pcpu_arena;
	return (void *)(a + (uintptr_t)cpu * HMAP_PCPU_UNIT);
}

#define DEFINE_PER_CPU(type, name) \
	__attribute__((section("hmap_percpu"), aligned(64))) __typeof__(type) name
#define DECLARE_PER_CPU(type, name)	extern __typeof__(type) name

#define per_cpu_ptr(ptr, cpu) \
	((__typeof__(ptr))hmap_shim_pcpu_ptr((ptr), (cpu)))
#define this_cpu_ptr(ptr)	per_cpu_ptr(ptr, raw_smp_processor_id())
#define raw_cpu_ptr(ptr)	this_cpu_ptr(ptr)
#define per_cpu(var, cpu)	(*per_cpu_ptr(&(var), cpu))

/* Plain read-modify-writes: no other thread writes this slot. */
#define this_cpu_add(pcp, val) \
	do { *this_cpu_ptr(&(pcp)) += (val); } while (0)
#define this_cpu_sub(pcp, val)	this_cpu_add(pcp, -(val))
#define this_cpu_inc(pcp)	this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp)	this_cpu_add(pcp, -1)
#define this_cpu_read(pcp)	READ_ONCE(*this_cpu_ptr(&(pcp)))
#define this_cpu_write(pcp, val) WRITE_ONCE(*this_cpu_ptr(&(pcp)), val)
#define __this_cpu_add		this_cpu_add
#define __this_cpu_inc		this_cpu_inc
#define __this_cpu_dec		this_cpu_dec
#define __this_cpu_read		this_cpu_read
#define __this_cpu_write	this_cpu_write
#define raw_cpu_add		this_cpu_add

void __percpu *__alloc_percpu_gfp(size_t size, size_t align, gfp_t gfp);
void free_percpu(void __percpu *p);

#define alloc_percpu_gfp(type, gfp) \
	((type __percpu *)__alloc_percpu_gfp(sizeof(type), __alignof__(type), gfp))
#define alloc_percpu(type)	alloc_percpu_gfp(type, GFP_KERNEL)
#define __alloc_percpu(size, align) __alloc_percpu_gfp(size, align, GFP_KERNEL)

#endif /* _HMAP_SHIM_LINUX_PERCPU_H */
