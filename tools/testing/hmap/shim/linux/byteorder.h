/* SPDX-License-Identifier: GPL-2.0 */
/* Little-endian x86: the conversions are identities. */
#ifndef _HMAP_SHIM_LINUX_BYTEORDER_H
#define _HMAP_SHIM_LINUX_BYTEORDER_H

#include <endian.h>
#include <linux/types.h>

#if __BYTE_ORDER != __LITTLE_ENDIAN
#error "the hmap harness is for little-endian machines"

#define le16_to_cpup(p)	le16_to_cpu(*(p))
#define le32_to_cpup(p)	le32_to_cpu(*(p))
#define le64_to_cpup(p)	le64_to_cpu(*(p))

#endif

#define cpu_to_le16(x)	((__force __le16)(u16)(x))
#define cpu_to_le32(x)	((__force __le32)(u32)(x))
#define cpu_to_le64(x)	((__force __le64)(u64)(x))
#define le16_to_cpu(x)	((__force u16)(__le16)(x))
#define le32_to_cpu(x)	((__force u32)(__le32)(x))
#define le64_to_cpu(x)	((__force u64)(__le64)(x))


#define le16_to_cpup(p)	le16_to_cpu(*(p))
#define le32_to_cpup(p)	le32_to_cpu(*(p))
#define le64_to_cpup(p)	le64_to_cpu(*(p))

#endif
