/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HMAP_SHIM_ASM_UNALIGNED_H
#define _HMAP_SHIM_ASM_UNALIGNED_H

#include <asm-generic/unaligned.h>	/* tools/include: get_unaligned() */
#include <linux/byteorder.h>

#define get_unaligned_le16(p)	le16_to_cpu(get_unaligned((const __le16 *)(p)))
#define get_unaligned_le32(p)	le32_to_cpu(get_unaligned((const __le32 *)(p)))
#define get_unaligned_le64(p)	le64_to_cpu(get_unaligned((const __le64 *)(p)))
#define put_unaligned_le16(v, p) put_unaligned(cpu_to_le16(v), (__le16 *)(p))
#define put_unaligned_le32(v, p) put_unaligned(cpu_to_le32(v), (__le32 *)(p))
#define put_unaligned_le64(v, p) put_unaligned(cpu_to_le64(v), (__le64 *)(p))

#endif
