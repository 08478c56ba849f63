// SPDX-License-Identifier: GPL-2.0
/*
 * hmap module: sets up the map core, then the front ends (debugfs, fault
 * injection knobs, /dev/hmap), and tears them down in the opposite order.
 */

#include <linux/module.h>

#include "hmap_core.h"
#include "hmap_debugfs.h"
#include "hmap_dev.h"
#include "hmap_fault.h"

static int __init hmap_init(void)
{
	int err;

	err = hmap_core_init();
	if (err)
		return err;
	hmap_debugfs_init();
	hmap_fault_init();
	err = hmap_dev_init();
	if (err)
		goto debugfs_exit;
	return 0;

debugfs_exit:
	hmap_fault_exit();
	hmap_debugfs_exit();
	hmap_core_exit();
	return err;
}

static void __exit hmap_exit(void)
{
	hmap_dev_exit();
	hmap_fault_exit();
	hmap_debugfs_exit();
	hmap_core_exit();
}

module_init(hmap_init);
module_exit(hmap_exit);

MODULE_DESCRIPTION("In-kernel hash map with RCU lookups and incremental resizing");
MODULE_LICENSE("GPL");
MODULE_VERSION(HMAP_VERSION);
