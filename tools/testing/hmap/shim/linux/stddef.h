/* SPDX-License-Identifier: GPL-2.0 */
/* As the kernel's <linux/stddef.h>. */
#ifndef _HMAP_SHIM_LINUX_STDDEF_H
#define _HMAP_SHIM_LINUX_STDDEF_H

#include <stddef.h>

#ifndef offsetof
#define offsetof(TYPE, MEMBER)	__builtin_offsetof(TYPE, MEMBER)
#endif
#define sizeof_field(TYPE, MEMBER)	sizeof((((TYPE *)0)->MEMBER))
#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER)	+ sizeof_field(TYPE, MEMBER))

#endif
