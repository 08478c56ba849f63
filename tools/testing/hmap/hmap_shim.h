/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the user-space harness adds to the kernel API it imitates (shim/):
 * thread set-up, fault injection, replayable randomness, and counters the
 * tests read.
 */
#ifndef _HMAP_SHIM_H
#define _HMAP_SHIM_H

#include <linux/types.h>

/* Set up the shims (idempotent); hmap_core_init() needs it first. */
void hmap_shim_init(void);

/*
 * Fail allocations made by the calling thread: after @after more succeed,
 * the next @count fail (as a kernel allocation may). 0, 0 turns it off.
 */
void hmap_shim_fail_allocs(unsigned long after, unsigned long count);
/* Allocations the fault injection failed so far, all threads. */
unsigned long hmap_shim_failed_allocs(void);

/* Make get_random_bytes() a fixed sequence from @seed. */
void hmap_shim_seed_random(u64 seed);

/* Allocations (kmalloc, kvmalloc, kmem caches) not yet freed. */
long hmap_shim_live_allocs(void);

/*
 * Make kvfree_rcu_mightsleep() and kfree_rcu() find no memory for their
 * batch arrays (@fail), so that they take their fallbacks: a grace period
 * waited for, the object's own rcu_head. How many frees took them so far.
 */
void hmap_shim_kvfree_bulk_fails(bool fail);
unsigned long hmap_shim_kvfree_rcu_fallbacks(void);

/* WARN()s and failed lock or RCU checks so far; fatal unless turned off. */
unsigned long hmap_shim_warnings(void);
void hmap_shim_warn_fatal(bool fatal);

/*
 * In the calling thread, stall at one preemption point in @one_in (after
 * acquire loads and rcu_dereference()s); 0 turns them off.
 */
void hmap_shim_preempt_points(unsigned int one_in);

/* Register the calling thread with RCU now (else on first use). */
void hmap_shim_rcu_register(void);

/*
 * Move jiffies on by @j at once (wrapping around; a skip of -@j undoes
 * it): for what happens once a time stored in the map is half the range
 * of unsigned long ago, as after 2^31 jiffies on a 32-bit kernel. Timers
 * of delayed works go by CLOCK_MONOTONIC and do not move.
 */
void hmap_shim_jiffies_skip(unsigned long j);

/*
 * Stop jiffies where they are (@stop), or let them go on from the real
 * time again, jumping to it: for a case that must stay within a hold-off
 * kept in jiffies however slow the machine. Timers of delayed works go by
 * CLOCK_MONOTONIC and run on meanwhile. A thread reading jiffies as they
 * stop may see one tick more than they stopped at, once.
 */
void hmap_shim_jiffies_stop(bool stop);

#endif /* _HMAP_SHIM_H */
