/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HMAP_SHIM_LINUX_VERSION_H
#define _HMAP_SHIM_LINUX_VERSION_H

/*
 * For hmap_compat.h: the shims stand in for 6.1's API (the harness
 * compiles lib/ from linux-source-6.1), so the core takes 6.1's side of
 * every shim there (<asm/unaligned.h>, here shim/asm/unaligned.h). Only
 * compared with constants, so the sublevel is not clamped to 255 as the
 * kernel's KERNEL_VERSION() does.
 */
#define KERNEL_VERSION(a, b, c)	(((a) << 16) + ((b) << 8) + (c))
#define LINUX_VERSION_CODE	0x060100	/* KERNEL_VERSION(6, 1, 0) */

#endif
