/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RCU from liburcu (the urcu-memb flavour, inlined with _LGPL_SOURCE).
 * Threads register themselves on their first read-side section. Pointer
 * accesses have the kernel's x86 semantics. With HMAP_SHIM_CHECKS
 * (the test builds), rcu_dereference() outside a reader and
 * rcu_dereference_protected() whose condition is false WARN, as with
 * CONFIG_PROVE_RCU, and so does sleeping inside a reader.
 */
#ifndef _HMAP_SHIM_LINUX_RCUPDATE_H
#define _HMAP_SHIM_LINUX_RCUPDATE_H

#include <urcu/urcu-memb.h>
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/kernel.h>

/* liburcu's own names for what the kernel spells differently. */
#undef rcu_dereference
#undef rcu_assign_pointer
#undef rcu_read_lock
#undef rcu_read_unlock
#undef synchronize_rcu
#undef rcu_barrier
#undef call_rcu

extern __thread bool hmap_shim_rcu_registered;
void hmap_shim_rcu_register(void);

static inline void rcu_read_lock(void)
{
	if (unlikely(!hmap_shim_rcu_registered))
		hmap_shim_rcu_register();
	urcu_memb_read_lock();
}

static inline void rcu_read_unlock(void)
{
	urcu_memb_read_unlock();
}

static inline bool rcu_read_lock_held(void)
{
	return hmap_shim_rcu_registered && urcu_memb_read_ongoing();
}

#define rcu_read_lock_bh	rcu_read_lock
#define rcu_read_unlock_bh	rcu_read_unlock
#define rcu_read_lock_sched	rcu_read_lock
#define rcu_read_unlock_sched	rcu_read_unlock

#ifdef HMAP_SHIM_CHECKS
#define __hmap_rcu_check(c, what) \
	do { if (unlikely(!(c))) hmap_shim_warn(__FILE__, __LINE__, what); } while (0)
#else
#define __hmap_rcu_check(c, what)	do { } while (0)
#endif

#define rcu_dereference_raw(p)		READ_ONCE(p)
#define rcu_access_pointer(p)		READ_ONCE(p)
#define rcu_dereference_check(p, c) ({					\
	typeof(p) ___p = READ_ONCE(p);					\
	__hmap_rcu_check((c) || rcu_read_lock_held(),			\
			 "suspicious rcu_dereference_check() usage");	\
	hmap_shim_preempt();						\
	___p; })
#define rcu_dereference(p)	rcu_dereference_check(p, 0)
#define rcu_dereference_bh(p)	rcu_dereference(p)
#define rcu_dereference_sched(p) rcu_dereference(p)
#define rcu_dereference_protected(p, c) ({				\
	__hmap_rcu_check(c, "suspicious rcu_dereference_protected() usage"); \
	(p); })
#define rcu_assign_pointer(p, v)	smp_store_release(&(p), (v))
#define RCU_INIT_POINTER(p, v)		WRITE_ONCE(p, v)
#define RCU_INITIALIZER(v)		(v)
#define rcu_replace_pointer(rcu_ptr, ptr, c) ({				\
	typeof(ptr) __tmp = rcu_dereference_protected((rcu_ptr), (c));	\
	rcu_assign_pointer((rcu_ptr), (ptr));				\
	__tmp; })

typedef void (*rcu_callback_t)(struct rcu_head *head);

void synchronize_rcu(void);
void rcu_barrier(void);
void call_rcu(struct rcu_head *head, rcu_callback_t func);
void hmap_shim_kvfree_rcu(void *p);
void hmap_shim_kfree_rcu_atomic(void *p, struct rcu_head *head);

#define kfree_rcu_mightsleep(p)		hmap_shim_kvfree_rcu(p)
/*
 * The headed kfree_rcu() never sleeps: callable under a spinlock. Its
 * fallback passes the rcu_head's offset as the callback, which the
 * callback thread tells from a function by its size (below 4096), as the
 * kernel's __is_kvfree_rcu_offset() does.
 */
#define kfree_rcu(p, field) do {					\
	typeof(p) ___p = (p);						\
									\
	BUILD_BUG_ON_MSG(offsetof(typeof(*___p), field) >= 4096,	\
			 "kfree_rcu(): rcu_head too far into the object");	\
	hmap_shim_kfree_rcu_atomic(___p, &___p->field);			\
} while (0)
#define kvfree_rcu_mightsleep(p)	hmap_shim_kvfree_rcu(p)
#define synchronize_rcu_expedited()	synchronize_rcu()

#endif /* _HMAP_SHIM_LINUX_RCUPDATE_H */
