/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HMAP_SHIM_LINUX_CACHE_H
#define _HMAP_SHIM_LINUX_CACHE_H

#include <linux/compiler.h>

#define L1_CACHE_BYTES		64
#define SMP_CACHE_BYTES		64
#define ____cacheline_aligned_in_smp	__attribute__((__aligned__(SMP_CACHE_BYTES)))

#endif
