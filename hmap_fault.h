/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection at hmap's allocation sites: every allocation in the
 * module goes through hmap_fault_alloc(), which can fail it on demand
 * (lib/fault-inject.c; Documentation/fault-injection/fault-injection.rst).
 * Without CONFIG_FAULT_INJECTION it is the allocation and nothing else.
 */
#ifndef _HMAP_FAULT_H
#define _HMAP_FAULT_H

#include <linux/types.h>

/*
 * The allocation sites. Each has a name in hmap_fault_names[] (hmap_fault.c),
 * shown in /sys/kernel/debug/fail_hmap_alloc/injected.
 */
enum hmap_fault_site {
	HMAP_FAULT_MAP,		/* hmap_create(): struct hmap */
	HMAP_FAULT_PCPU,	/* hmap_create(): per-CPU statistics */
	HMAP_FAULT_TABLE,	/* a bucket array's header */
	HMAP_FAULT_BUCKETS,	/* the 2^B buckets (kvzalloc) */
	HMAP_FAULT_OVERFLOW,	/* one overflow bucket */
	HMAP_FAULT_ELEM,	/* one key and value */
	HMAP_FAULT_ITER_KEY,	/* hmap_iter_start(): the last key */
	HMAP_FAULT_DEV_FILE,	/* open("/dev/hmap") */
	HMAP_FAULT_DEV_LIST,	/* HMAP_IOC_LIST entries */
	HMAP_FAULT_DEV_OP_BUF,	/* key + value of a command, over the stack's */
	HMAP_FAULT_DEV_BOUNCE,	/* HMAP_IOC_DUMP's bounce buffer */
	HMAP_FAULT_REG_USER,	/* a user's quota record */
	HMAP_FAULT_REG_OBJ,	/* a map's registry entry */
	HMAP_FAULT_NR
};

#ifdef CONFIG_FAULT_INJECTION
bool hmap_should_fail_alloc(enum hmap_fault_site site, size_t size);
void hmap_fault_init(void);
void hmap_fault_exit(void);
void hmap_test_set_fault_sites(u32 sites, unsigned int percent);
long hmap_test_read_injected(enum hmap_fault_site site);
#else
static inline bool hmap_should_fail_alloc(enum hmap_fault_site site,
					  size_t size)
{
	return false;
}

static inline void hmap_fault_init(void) { }
static inline void hmap_fault_exit(void) { }
#endif

/**
 * hmap_fault_alloc() - an allocation that fault injection may fail
 * @site: the &enum hmap_fault_site of this allocation, without the
 *	HMAP_FAULT_ prefix.
 * @size: bytes asked for (for the fault_attr's "space" knob).
 * @alloc: the allocation expression; not evaluated when the site fails.
 *
 * Return: NULL when fault injection fails @site, else the value of @alloc.
 */
#define hmap_fault_alloc(site, size, alloc)				\
	(hmap_should_fail_alloc(HMAP_FAULT_##site, (size)) ? NULL : (alloc))

#endif /* _HMAP_FAULT_H */
