/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HMAP_SHIM_LINUX_GFP_H
#define _HMAP_SHIM_LINUX_GFP_H

#include <linux/types.h>

/* Only the bits the harness looks at; the values are its own. */
#define __GFP_DIRECT_RECLAIM	0x0001u	/* may sleep */
#define __GFP_ZERO		0x0100u
#define __GFP_NOWARN		0x0200u
#define __GFP_ACCOUNT		0x0400u
#define __GFP_NOFAIL		0x0800u
#define __GFP_NORETRY		0x1000u
#define __GFP_RETRY_MAYFAIL	0x2000u
#define __GFP_HIGH		0x4000u

#define GFP_KERNEL		(__GFP_DIRECT_RECLAIM)
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_ATOMIC		(__GFP_HIGH)
#define GFP_NOWAIT		0u
#define GFP_NOIO		(__GFP_DIRECT_RECLAIM)
#define GFP_NOFS		(__GFP_DIRECT_RECLAIM)

static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return gfp & __GFP_DIRECT_RECLAIM;
}

#endif
