/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Workqueues on pthreads: each workqueue has worker threads that run its
 * ready works in order, delayed works when their time comes (jiffies), and
 * RCU works after a grace period (call_rcu()). As in the kernel, a work is
 * pending at most once, never runs on two workers at once, and
 * cancel_*_sync() returns with it neither pending nor running.
 */
#ifndef _HMAP_SHIM_LINUX_WORKQUEUE_H
#define _HMAP_SHIM_LINUX_WORKQUEUE_H

#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

struct work_struct;
struct workqueue_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	work_func_t func;
	struct workqueue_struct *wq;
	struct work_struct *next;	/* on the workqueue's ready list */
	bool pending;			/* on the ready list, a timer or RCU */
	bool queued;			/* on the ready list */
	/* The timer of a delayed work. */
	bool timer;			/* waiting for expires_ns */
	u64 expires_ns;
	struct work_struct *timer_next;
};

struct delayed_work {
	struct work_struct work;
};

struct rcu_work {
	struct work_struct work;
	struct rcu_head rcu;
};

#define WQ_UNBOUND		0x0002u
#define WQ_FREEZABLE		0x0004u
#define WQ_MEM_RECLAIM		0x0008u
#define WQ_HIGHPRI		0x0010u

#define INIT_WORK(w, f) \
	do { memset((w), 0, sizeof(*(w))); (w)->func = (f); } while (0)
#define INIT_DELAYED_WORK(dw, f) \
	do { memset((dw), 0, sizeof(*(dw))); (dw)->work.func = (f); } while (0)
#define INIT_RCU_WORK(rw, f) \
	do { memset((rw), 0, sizeof(*(rw))); (rw)->work.func = (f); } while (0)

static inline struct delayed_work *to_delayed_work(struct work_struct *work)
{
	return container_of(work, struct delayed_work, work);
}

static inline struct rcu_work *to_rcu_work(struct work_struct *work)
{
	return container_of(work, struct rcu_work, work);
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...);
void destroy_workqueue(struct workqueue_struct *wq);
void flush_workqueue(struct workqueue_struct *wq);
bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			unsigned long delay);
bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
		      unsigned long delay);
bool queue_rcu_work(struct workqueue_struct *wq, struct rcu_work *rw);
bool cancel_work_sync(struct work_struct *work);
bool cancel_delayed_work_sync(struct delayed_work *dw);
bool cancel_delayed_work(struct delayed_work *dw);
bool flush_work(struct work_struct *work);
bool flush_delayed_work(struct delayed_work *dw);

static inline bool work_pending(struct work_struct *work)
{
	return __atomic_load_n(&work->pending, __ATOMIC_RELAXED);
}

static inline bool delayed_work_pending(struct delayed_work *dw)
{
	return work_pending(&dw->work);
}

#endif /* _HMAP_SHIM_LINUX_WORKQUEUE_H */
