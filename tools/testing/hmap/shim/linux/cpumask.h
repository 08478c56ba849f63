/* SPDX-License-Identifier: GPL-2.0 */
/* The harness's CPUs are the per-CPU slots of <linux/percpu.h>. */
#ifndef _HMAP_SHIM_LINUX_CPUMASK_H
#define _HMAP_SHIM_LINUX_CPUMASK_H

#define NR_CPUS			CONFIG_NR_CPUS
#define nr_cpu_ids		NR_CPUS
#define num_possible_cpus()	NR_CPUS

#define for_each_possible_cpu(cpu) \
	for ((cpu) = 0; (cpu) < NR_CPUS; (cpu)++)
#define for_each_online_cpu(cpu)	for_each_possible_cpu(cpu)

unsigned int num_online_cpus(void);

#endif
