/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HMAP_SHIM_LINUX_STRING_H
#define _HMAP_SHIM_LINUX_STRING_H

#include <string.h>
#include <linux/types.h>

#define memzero_explicit(p, n)	explicit_bzero(p, n)
#define strscpy(d, s, n)	((ssize_t)snprintf(d, n, "%s", s))

#endif
