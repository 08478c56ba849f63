/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmap trace events: resizes and allocation failures.
 *
 *   echo 1 > /sys/kernel/tracing/events/hmap/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM hmap

#if !defined(_TRACE_HMAP_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_HMAP_H

#include <linux/hmap.h>
#include <linux/tracepoint.h>

#include "hmap_compat.h"	/* hmap_assign_str() */

/*
 * The kinds of resize, &enum hmap_resize_kind of the ABI header: exported
 * with TRACE_DEFINE_ENUM(), so that tools reading the event format see
 * their values, and printed by the names of HMAP_RESIZE_KINDS().
 */
TRACE_DEFINE_ENUM(HMAP_RESIZE_NONE);
TRACE_DEFINE_ENUM(HMAP_RESIZE_GROW);
TRACE_DEFINE_ENUM(HMAP_RESIZE_SAME);
TRACE_DEFINE_ENUM(HMAP_RESIZE_SHRINK);

#define hmap_show_resize_kind(kind)	\
	HMAP_RESIZE_KINDS(__print_symbolic, kind)

/*
 * hmap_resize_start - a resize began: its new array is allocated
 * @map: the map.
 * @kind: the resize, an &enum hmap_resize_kind (not %HMAP_RESIZE_NONE).
 * @old_B: log2 of the bucket count evacuated from.
 * @new_B: log2 of the bucket count evacuated to.
 * @entries: entries in the map.
 */
TRACE_EVENT(hmap_resize_start,
	    TP_PROTO(const void *map, unsigned int kind, unsigned int old_B,
		     unsigned int new_B, unsigned long entries),
	    TP_ARGS(map, kind, old_B, new_B, entries),
	    TP_STRUCT__entry(__field(const void *, map)
			     __field(unsigned int, kind)
			     __field(unsigned int, old_B)
			     __field(unsigned int, new_B)
			     __field(unsigned long, entries)),
	    TP_fast_assign(__entry->map = map;
			   __entry->kind = kind;
			   __entry->old_B = old_B;
			   __entry->new_B = new_B;
			   __entry->entries = entries;),
	    TP_printk("map=%p kind=%s B=%u->%u entries=%lu", __entry->map,
		      hmap_show_resize_kind(__entry->kind), __entry->old_B,
		      __entry->new_B, __entry->entries)
);

/*
 * hmap_resize_finish - the last old bucket was evacuated
 * @map: the map.
 * @kind: the resize, an &enum hmap_resize_kind (not %HMAP_RESIZE_NONE).
 * @old_B: log2 of the bucket count evacuated from.
 * @new_B: log2 of the bucket count evacuated to.
 * @entries: entries in the map.
 * @duration_ns: nanoseconds since the resize began.
 */
TRACE_EVENT(hmap_resize_finish,
	    TP_PROTO(const void *map, unsigned int kind, unsigned int old_B,
		     unsigned int new_B, unsigned long entries, u64 duration_ns),
	    TP_ARGS(map, kind, old_B, new_B, entries, duration_ns),
	    TP_STRUCT__entry(__field(const void *, map)
			     __field(unsigned int, kind)
			     __field(unsigned int, old_B)
			     __field(unsigned int, new_B)
			     __field(unsigned long, entries)
			     __field(u64, duration_ns)),
	    TP_fast_assign(__entry->map = map;
			   __entry->kind = kind;
			   __entry->old_B = old_B;
			   __entry->new_B = new_B;
			   __entry->entries = entries;
			   __entry->duration_ns = duration_ns;),
	    TP_printk("map=%p kind=%s B=%u->%u entries=%lu duration_ns=%llu",
		      __entry->map, hmap_show_resize_kind(__entry->kind),
		      __entry->old_B, __entry->new_B, __entry->entries,
		      __entry->duration_ns)
);

/*
 * hmap_alloc_fail - an allocation of the map failed
 * @map: the map.
 * @what: "element", "overflow bucket" or "bucket array".
 * @size: bytes asked for.
 */
TRACE_EVENT(hmap_alloc_fail,
	    TP_PROTO(const void *map, const char *what, size_t size),
	    TP_ARGS(map, what, size),
	    TP_STRUCT__entry(__field(const void *, map)
			     __string(what, what)
			     __field(size_t, size)),
	    TP_fast_assign(__entry->map = map;
			   hmap_assign_str(what, what);
			   __entry->size = size;),
	    TP_printk("map=%p what=%s size=%zu", __entry->map, __get_str(what),
		      __entry->size)
);

#endif /* _TRACE_HMAP_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE hmap
#include <trace/define_trace.h>
