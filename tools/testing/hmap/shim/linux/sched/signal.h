/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Signals: the harness's threads are never killed, as a kernel thread
 * is not (a killed caller's early exits are the guest tests' to try).
 */
#ifndef _HMAP_SHIM_LINUX_SCHED_SIGNAL_H
#define _HMAP_SHIM_LINUX_SCHED_SIGNAL_H

#include <linux/sched.h>

static inline bool fatal_signal_pending(struct task_struct *p)
{
	return false;
}

#endif
