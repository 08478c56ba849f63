/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HMAP_SHIM_LINUX_BUG_H
#define _HMAP_SHIM_LINUX_BUG_H

#include <linux/compiler.h>

void hmap_shim_warn(const char *file, int line, const char *cond);
void __noreturn hmap_shim_bug(const char *file, int line, const char *cond);

#define WARN_ON(condition) ({						\
	bool __ret_warn = !!(condition);				\
	if (unlikely(__ret_warn))					\
		hmap_shim_warn(__FILE__, __LINE__, #condition);		\
	unlikely(__ret_warn);						\
})
#define WARN(condition, fmt...)		WARN_ON(condition)
#define WARN_ON_ONCE(condition)		WARN_ON(condition)
#define WARN_ONCE(condition, fmt...)	WARN_ON(condition)
#define BUG_ON(condition) do {						\
	if (unlikely(condition))					\
		hmap_shim_bug(__FILE__, __LINE__, #condition);		\
} while (0)
#define BUG()	hmap_shim_bug(__FILE__, __LINE__, "BUG()")

#endif /* _HMAP_SHIM_LINUX_BUG_H */
