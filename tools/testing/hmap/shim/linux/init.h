/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HMAP_SHIM_LINUX_INIT_H
#define _HMAP_SHIM_LINUX_INIT_H

#include <linux/compiler.h>

#endif
