// SPDX-License-Identifier: GPL-2.0
/*
 * hmap module: sets up the map core. The front ends (/dev/hmap, debugfs)
 * are registered here as they are added.
 */

#include <linux/module.h>

#include "hmap_internal.h"

static int __init hmap_init(void)
{
	return hmap_core_init();
}

static void __exit hmap_exit(void)
{
	hmap_core_exit();
}

module_init(hmap_init);
module_exit(hmap_exit);

MODULE_DESCRIPTION("In-kernel hash map with RCU lookups and incremental resizing");
MODULE_LICENSE("GPL");
