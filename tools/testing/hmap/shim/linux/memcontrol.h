/* SPDX-License-Identifier: GPL-2.0 */
/* No memory cgroups in the harness: every task is in none. */
#ifndef _HMAP_SHIM_LINUX_MEMCONTROL_H
#define _HMAP_SHIM_LINUX_MEMCONTROL_H

#include <linux/sched.h>

struct mem_cgroup;

static inline struct mem_cgroup *get_mem_cgroup_from_mm(struct mm_struct *mm)
{
	return NULL;
}

static inline void mem_cgroup_put(struct mem_cgroup *memcg)
{
}

#endif
