/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HMAP_SHIM_LINUX_SCHED_H
#define _HMAP_SHIM_LINUX_SCHED_H

#include <linux/kernel.h>

struct mm_struct;
struct mem_cgroup;

struct task_struct {
	struct mm_struct *mm;
	struct mem_cgroup *active_memcg;
	char comm[16];
};

extern __thread struct task_struct hmap_shim_task;
#define current		(&hmap_shim_task)

/* Every thread of the harness is a task: no interrupt context here. */
#define in_task()	1
#define irqs_disabled()	0
#define softirq_count()	0
#define preemptible()	1

/* A point where the kernel may reschedule: must not be in an RCU reader. */
#define cond_resched()	({ might_sleep(); 0; })

/* Sleep for @j jiffies (real time: jiffies follow CLOCK_MONOTONIC). */
void hmap_shim_sleep_jiffies(unsigned long j);
#define schedule_timeout_uninterruptible(j) \
	({ might_sleep(); hmap_shim_sleep_jiffies(j); 0L; })

#endif
