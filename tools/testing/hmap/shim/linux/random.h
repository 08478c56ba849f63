/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Random bytes from a generator the harness seeds: from getrandom(2), or
 * from HMAP_SHIM_SEED / hmap_shim_seed_random() so that a failing run (its
 * hash seeds, hence its bucket layout) can be replayed.
 */
#ifndef _HMAP_SHIM_LINUX_RANDOM_H
#define _HMAP_SHIM_LINUX_RANDOM_H

#include <linux/types.h>

void get_random_bytes(void *buf, size_t len);
u32 get_random_u32(void);
u64 get_random_u64(void);

#endif
