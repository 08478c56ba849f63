/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The counters of HMAP_IOC_STATS, one line each: the one list that the
 * counters of struct hmap_map_stats, the kernel's struct hmap_stats and
 * per-CPU counters, the debugfs files and `hmapctl stats` (text and JSON)
 * are all made from. Adding a counter is adding a line here (and counting
 * it where it happens).
 *
 * No include guard: define HMAP_STAT(name) as what one line should
 * become, include this file, and #undef HMAP_STAT, as in
 *
 *	#define HMAP_STAT(name)	__u64 name
 *	#include <linux/hmap_stats.h>
 *	#undef HMAP_STAT
 *
 * Each line ends with a semicolon, so that it can declare a member or be
 * a statement.
 *
 * ABI: in struct hmap_map_stats each counter is a __u64, in this order,
 * from the end of @noverflow to the end of the struct. A new counter is a
 * new last line (a caller sees from the @argsz the kernel writes back
 * which counters it filled); never reorder, rename or remove one. A name
 * must not be one that a map's debugfs directory or `hmapctl stats` has
 * for something else (entries, buckets, load_factor, ...): hmap_debugfs.c
 * and hmapctl do not build then.
 * Counters only grow, but for the three gauges, which tell how much there
 * is now.
 */
#ifndef HMAP_STAT
#error "define HMAP_STAT(name) before including <linux/hmap_stats.h>"
#endif

HMAP_STAT(grows);		/* grows (doubling) started */
HMAP_STAT(same_size_grows);	/* same-size grows started */
HMAP_STAT(shrinks);		/* shrinks (halving) started */
HMAP_STAT(evacuated_by_writers);	/* old buckets evacuated by writes */
HMAP_STAT(evacuated_by_background);	/* ... and by the background worker */
HMAP_STAT(arrays_alloced);	/* bucket arrays allocated */
HMAP_STAT(arrays_freed);	/* bucket arrays freed */
HMAP_STAT(overflow_alloced);	/* overflow buckets allocated */
HMAP_STAT(overflow_freed);	/* overflow buckets freed */
HMAP_STAT(elems_alloced);	/* elements (key + value) allocated */
HMAP_STAT(elems_freed);		/* ... freed, or queued for a grace period */
HMAP_STAT(alloc_failures);	/* allocations that failed */
HMAP_STAT(bytes);		/* gauge: bytes the map holds, as allocated */
HMAP_STAT(pending_frees);	/* gauge: arrays waiting for a grace period */
HMAP_STAT(lookups);		/* lookups: hits + misses */
HMAP_STAT(hits);		/* lookups that found their key */
HMAP_STAT(misses);		/* lookups that did not */
HMAP_STAT(inserts);		/* updates that inserted a key */
HMAP_STAT(updates);		/* updates that replaced a value */
HMAP_STAT(deletes);		/* keys deleted one by one (not by clear) */
HMAP_STAT(open_cursors);	/* gauge: in-kernel iterators not stopped */
