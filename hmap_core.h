/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map core's setup and teardown of what all maps share (workqueue,
 * bucket cache), for the module (hmap_mod.c) and the core's user-space
 * build (tools/testing/hmap). The rest of the core is <linux/hmap.h>, and
 * its internals hmap_internal.h.
 */
#ifndef _HMAP_CORE_H
#define _HMAP_CORE_H

#include <linux/init.h>

int __init hmap_core_init(void);
void hmap_core_exit(void);

#endif /* _HMAP_CORE_H */
