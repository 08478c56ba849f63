/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A model of a map, and the operations that the native tests and the fuzz
 * target apply to the real map and the model alike, each result checked
 * against the model. Keys are numbered: key @id has its own length and
 * bytes (hm_key()), so that a key the map hands back names its id, and the
 * model is an array.
 */
#ifndef _HMAP_MODEL_H
#define _HMAP_MODEL_H

#include <linux/types.h>

#include "hmap_internal.h"

enum hm_op_kind {
	HM_UPDATE_ANY,
	HM_UPDATE_NOEXIST,
	HM_UPDATE_EXIST,
	HM_DELETE,
	HM_LOOKUP,
	HM_LOOKUP_RCU,
	HM_BAD_ARGS,		/* a write or lookup with a length out of range */
	HM_CLEAR,
	HM_SHRINK_TO_FIT,
	HM_BACKGROUND,		/* hmap_test_run_background() */
	HM_ITER_START,		/* (re)start the iterator walk */
	HM_ITER_STEP,		/* @arg steps of it */
	HM_DUMP_STEP,		/* one hmap_dump() call of room @arg */
	HM_CHECK,		/* every key, the count and the stats */
	HM_FAIL_NEXT,		/* the next op's allocations fail (@arg, @arg2) */
	HM_BULK_INSERT,		/* @arg inserts from @id on */
	HM_BULK_DELETE,		/* @arg deletes from @id on */
	HM_HISTOGRAM,
	HM_NR_OPS,
};

struct hm_op {
	u8 kind;
	u32 id;
	u32 arg;
	u32 arg2;
};

/* How a run is set up. */
struct hm_config {
	u32 key_size;		/* 1..HMAP_KEY_SIZE_MAX */
	u32 value_size;		/* 1..HMAP_VALUE_SIZE_MAX */
	u32 max_entries;
	u32 capacity_hint;
	u32 nids;		/* keys 0..nids - 1 */
	/*
	 * 0: the map's keyed SipHash. Otherwise keys hash to one of @hashes
	 * values (a chosen-hash function), so that chains, overflow buckets
	 * and equal hashes are the common case.
	 */
	u32 hashes;
	u32 flags;		/* &struct hmap_params flags (HMAP_F_JHASH) */
	bool background;	/* the worker runs beside the writes */
	u64 seed;		/* the map's hash seeds; 0 for random */
};

struct hm_key_state {
	bool live;
	u16 ver;		/* value version */
	u64 changed;		/* op number of its last insert or delete */
	u64 updated;		/* op number of its last value change */
	/* Times the walk of generation iter_gen (dump_gen) returned it. */
	u32 iter_gen;
	u32 dump_gen;
	u8 iter_seen;
	u8 dump_seen;
};

/*
 * A walk in progress: keys present for the whole walk so far (stable),
 * and how many of them it returned, so that its end is checked without
 * looking at every key (unless the check fails).
 */
struct hm_walk {
	bool on;
	u32 gen;
	u64 start;		/* op number it started at */
	u64 stable;
	u64 stable_seen;
	u64 walks;		/* walks completed */
};

struct hm_ctx {
	struct hm_config cfg;
	struct hmap *map;
	struct hm_key_state *keys;
	u64 count;
	u64 ops;		/* op number */
	unsigned long failures;	/* checks that failed */
	const char *first_failure;
	bool inject;		/* the op runs with failing allocations */

	/* The iterator walk. */
	struct hmap_iter iter;
	struct hm_walk iw;
	u64 iter_last_r;
	u32 iter_last_id;
	bool iter_have_last;

	/* The dump walk. */
	struct hm_walk dw;
	u64 dump_cursor;
	u64 dump_last_pos;

	/* Buffers. */
	u8 *kbuf, *vbuf, *vbuf2;
};

int hm_init(struct hm_ctx *c, const struct hm_config *cfg);
/* Checks everything, destroys the map, checks that nothing leaked. */
void hm_fini(struct hm_ctx *c);
void hm_apply(struct hm_ctx *c, const struct hm_op *op);
/* Every key, the count and the stats, against the model. */
void hm_check_all(struct hm_ctx *c);

/* Key @id's bytes, into @buf (key_size bytes); returns its length. */
u32 hm_key(const struct hm_ctx *c, u32 id, u8 *buf);

/* A random op from @r (a test's generator), weighted for a workload. */
void hm_random_op(struct hm_ctx *c, u64 (*rnd)(void *), void *rs,
		  struct hm_op *op, bool grow);

#define hm_fail(c, fmt, ...) \
	__hm_fail(c, __FILE__, __LINE__, fmt, ##__VA_ARGS__)
void __hm_fail(struct hm_ctx *c, const char *file, int line,
	       const char *fmt, ...) __printf(4, 5);

/* Abort on the first failure (the fuzz target), or count them (tests). */
extern bool hm_abort_on_failure;

#endif /* _HMAP_MODEL_H */
