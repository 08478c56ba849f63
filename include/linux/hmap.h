/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmap - an in-kernel hash map with RCU lookups and incremental resizing
 *
 * This is the in-kernel API. The layout follows Go's classic map (buckets of
 * eight slots with a tag byte per slot and overflow chains); lookups are
 * lock-free under RCU. A write takes one of the map's striped spinlocks
 * (up to 16, chosen by the key's hash), so writers of keys in different
 * stripes run in parallel, and the same key's writes are serialized;
 * every lock of the map is taken only briefly, to start or end a resize
 * and by calls on the whole map (hmap_clear(), hmap_get_stats() ...).
 * Writers may run in any context for a map created with
 * %HMAP_F_ATOMIC. The count is exact: an insert never takes the map past
 * max_entries (-E2BIG), however many writers race. The table grows,
 * compacts and shrinks a couple of buckets at a time on every write, and
 * a background worker finishes each resize. hmap_destroy() must not race
 * with any other call on the map: stop every writer (and, for an
 * %HMAP_F_ATOMIC map, the timers and interrupts that write) first.
 * See Documentation/hmap.rst.
 */
#ifndef _LINUX_HMAP_H
#define _LINUX_HMAP_H

#include <linux/bits.h>
#include <linux/types.h>
#include <uapi/linux/hmap.h>

struct hmap;

/* Slots per bucket. */
#define HMAP_BUCKET_SLOTS_ABI	8

/* Largest key and value a map may be created for. */
#define HMAP_KEY_SIZE_MAX	512U
#define HMAP_VALUE_SIZE_MAX	65536U
/* Largest max_entries a map may be created for. */
#define HMAP_MAX_ENTRIES_MAX	BIT(26)

/*
 * Flags for hmap_update() come from the ABI header, with bpf(2)
 * BPF_ANY/NOEXIST/EXIST semantics: HMAP_ANY (create or replace),
 * HMAP_NOEXIST (create only: -EEXIST if present), HMAP_EXIST (replace only:
 * -ENOENT if absent).
 */

/*
 * Flags of &struct hmap_params, chosen at creation. Zero is the behaviour of
 * the API before the field existed, so callers that zero-initialize their
 * params (designated initializers do) keep it; hmap_create() refuses a flag
 * it does not know with -EINVAL, so a caller can test for one at run time.
 *
 * HMAP_F_ATOMIC: writers (hmap_update(), hmap_delete()) may run in any
 * context but NMI: process, softirq or hardirq, with interrupts on or
 * off, and never sleep (on PREEMPT_RT, where the map's spinlocks sleep,
 * not in hard interrupt context nor with interrupts or preemption
 * disabled: see the concurrency contract in hmap_core.c). On every
 * kernel, never with a raw_spinlock_t held (the scheduler's locks, as in
 * a tracepoint inside the scheduler: a write may wake a kworker). Elements
 * and, past a small reserve (filled at creation), overflow buckets are
 * allocated with GFP_ATOMIC | __GFP_NOWARN, so an update may fail with
 * -ENOMEM where a GFP_KERNEL one would have waited for memory. Bucket
 * arrays come from a worker; until a due grow's array is there, inserts
 * go on into overflow chains, and once its allocation failed, up to
 * eight times the grow's load, past which they fail with -ENOMEM until an
 * array comes. A delete never
 * fails for want of memory: when the evacuation of the key's old chain
 * cannot get buckets, it deletes the key in place.
 *
 * Without it, writers must run in process context and may sleep, never
 * under any of the map's locks: in the allocator (GFP_KERNEL, direct
 * reclaim included), and, once a grow's array failed and the map is at
 * eight times the grow's load, uninterruptibly for up to 20 ms (the rest
 * of the hold-off after a failed array) and for as long as another
 * task's allocation of that array takes (no bound but the allocator's);
 * and a delete, or an update that replaces a value, for a grace period
 * when kfree_rcu() finds no memory to defer the old element's free
 * (kfree_rcu_mightsleep() calls synchronize_rcu()). Such a map's writers
 * hold their stripe with interrupts on, so hmap_get_stats() of it takes
 * the map's locks only in process context with interrupts and softirqs
 * on; elsewhere it reads each field without them.
 */
#define HMAP_F_ATOMIC		BIT(0)
/*
 * HMAP_F_JHASH: keys are hashed as rhashtable hashes them by default
 * (<linux/jhash.h>: jhash2() of the key's 32-bit words if its length is
 * a multiple of 4, else jhash()) under the map's random seed, spread to
 * 64 bits, instead of SipHash-1-3, in fewer instructions per key; but
 * jhash is no keyed PRF: it does not keep whoever chooses the keys from
 * making them collide (they then share one bucket's overflow chain, which
 * every operation on them walks). Only for maps whose keys no untrusted
 * party chooses: a map made through /dev/hmap always hashes with SipHash
 * (its ioctl has no way to ask for this). Hashes have 32 bits of entropy,
 * so keys whose jhash is equal share every hash bit: lookups tell them
 * apart by the key, and hmap_dump() hands them over in one batch, so a
 * dump with a small @room meets -ENOSPC in practice (some hundred pairs
 * at 10^6 entries; a room of 5 or more covers every size a map reaches).
 * A version 2 hmap refuses the flag (-EINVAL; hmap_params_valid() says
 * so at run time).
 */
#define HMAP_F_JHASH		BIT(1)
/* Every flag this version of hmap knows. */
#define HMAP_F_ALL		(HMAP_F_ATOMIC | HMAP_F_JHASH)

/*
 * The version of this in-kernel API, for code built against one header to
 * test at compile time what it has:
 *
 *   1  &struct hmap_params of four fields (16 bytes, %HMAP_PARAMS_SIZE_VER1)
 *   2  @flags (%HMAP_F_ATOMIC: writers in any context), 20 bytes; the
 *      functions that take the struct are exported with its size
 *      (hmap_create_sized() ...), which the inline wrappers below pass
 *   3  %HMAP_F_JHASH (the struct is as in 2: a version 2 hmap refuses
 *      the flag with -EINVAL)
 *
 * The struct only grows at its end. hmap reads a caller's struct by the
 * size it was built with, as copy_struct_from_user() does: an older one
 * with the new fields zero (which means what the API did before them),
 * a newer one if what this version does not know is zero (else -E2BIG),
 * and hmap_get_params() writes no byte past the caller's struct. A module
 * built against version 1 calls hmap_create(), which version 2 no longer
 * exports: it fails to load (unknown symbol) rather than be misread.
 */
#define HMAP_API_VERSION	3
#define HMAP_PARAMS_SIZE_VER1	16
#define HMAP_PARAMS_SIZE_VER2	20

/**
 * struct hmap_params - what a map is created with
 * @key_size: largest key in bytes (1..%HMAP_KEY_SIZE_MAX); keys are byte
 *	strings of 1..@key_size bytes.
 * @value_size: largest value in bytes (1..%HMAP_VALUE_SIZE_MAX); values are
 *	byte strings of 0..@value_size bytes.
 * @max_entries: most entries the map holds (1..%HMAP_MAX_ENTRIES_MAX);
 *	inserting beyond it fails with -E2BIG.
 * @capacity_hint: entries to size the first bucket array for (0 for the
 *	smallest); clamped to @max_entries.
 * @flags: %HMAP_F_ATOMIC, %HMAP_F_JHASH, both or 0 (0: writers in
 *	process context, which may sleep; keys hashed with SipHash-1-3).
 *
 * Zero-initialize it (or use designated initializers): a field added
 * later means what the API did before it when zero. Versioned by its size:
 * see %HMAP_API_VERSION.
 */
struct hmap_params {
	/* HMAP_PARAMS_SIZE_VER1 */
	u32 key_size;
	u32 value_size;
	u32 max_entries;
	u32 capacity_hint;
	/* HMAP_PARAMS_SIZE_VER2 */
	u32 flags;
};

/*
 * The name of each &enum hmap_resize_kind, the one spelling that debugfs
 * and the trace events print (hmapctl, in user space, keeps the same by
 * the enum): HMAP_RESIZE_KINDS(fn, arg) is fn(arg, { kind, "name" }, ...)
 * with a pair for every kind, such as __print_symbolic() takes.
 */
#define HMAP_RESIZE_KINDS(fn, arg)					\
	fn(arg, { HMAP_RESIZE_NONE, "none" }, { HMAP_RESIZE_GROW, "grow" }, \
	   { HMAP_RESIZE_SAME, "same-size" }, { HMAP_RESIZE_SHRINK, "shrink" })

/**
 * struct hmap_stats - a snapshot of a map's counters
 * @count: entries in the map.
 * @B: log2 of the number of buckets writes go to.
 * @old_B: log2 of the bucket count being evacuated from (valid while
 *	@resizing is not %HMAP_RESIZE_NONE).
 * @resizing: the resize in progress, an &enum hmap_resize_kind.
 * @__pad: zero.
 * @nevacuate: old buckets below this index are all evacuated.
 * @noverflow: overflow buckets in the array writes go to.
 *
 * Then, to the end of the struct, one u64 per line of
 * <uapi/linux/hmap_stats.h> (@grows ... @open_cursors), in its order, each
 * summed over the CPUs.
 */
struct hmap_stats {
	u64 count;
	u32 B;
	u32 old_B;
	u32 resizing;
	u32 __pad;
	u64 nevacuate;
	u64 noverflow;
#define HMAP_STAT(name)	u64 name
#include <uapi/linux/hmap_stats.h>
#undef HMAP_STAT
};

/* Chain lengths above this are counted together in a histogram. */
#define HMAP_HIST_CHAIN_MAX	8

/**
 * struct hmap_histogram - how full the buckets of the current array are
 * @slots: buckets (heads and overflow buckets alike) holding 0, 1, ... 8
 *	entries.
 * @chains: chains of 1, 2, ... buckets (index = overflow buckets), the
 *	last one counting every longer chain too.
 * @buckets: buckets in the array.
 */
struct hmap_histogram {
	u64 slots[HMAP_BUCKET_SLOTS_ABI + 1];
	u64 chains[HMAP_HIST_CHAIN_MAX + 1];
	u64 buckets;
};

/**
 * struct hmap_global_stats - counters summed over every map
 * @maps: maps created and not yet freed (hmap_destroy() frees after a
 *	grace period).
 * @arrays: bucket arrays allocated minus freed.
 * @overflow: overflow buckets allocated minus freed.
 * @elems: elements allocated minus freed.
 * @bytes: bytes held by all maps.
 * @alloc_failures: allocations that failed, in any map.
 *
 * Every field is a long: the same struct holds the per-CPU counts, which
 * hmap_global_stats() sums field by field.
 */
struct hmap_global_stats {
	long maps;
	long arrays;
	long overflow;
	long elems;
	long bytes;
	long alloc_failures;
};

/**
 * struct hmap_iter - a cursor over a map in hash order
 * @map: the map walked.
 * @pos: the bit-reversed hash of the last entry returned, or where the
 *	next bucket to look at starts.
 * @last_len: length of @last_key.
 * @have_last: whether @last_key holds the last key returned at @pos.
 * @done: the walk reached the end.
 * @last_key: the last key returned (key_size bytes, allocated).
 *
 * The position is a point in bit-reversed hash order plus the last key
 * returned, not a pointer into the table, so the cursor stays valid across
 * sleeps and across any number of resizes. Set up by hmap_iter_start(),
 * advanced by hmap_iter_next(), released by hmap_iter_stop(). Its fields
 * are private to hmap.
 */
struct hmap_iter {
	struct hmap *map;
	u64 pos;
	u32 last_len;
	bool have_last;
	bool done;
	u8 *last_key;
};

bool hmap_params_valid_sized(const struct hmap_params *params, size_t size);
struct hmap *hmap_create_sized(const struct hmap_params *params, size_t size);
void hmap_get_params_sized(const struct hmap *map, struct hmap_params *params,
			   size_t size);
size_t hmap_max_bytes_sized(const struct hmap_params *params, size_t size);

/* The functions of &struct hmap_params, with the caller's sizeof(). */
static inline bool hmap_params_valid(const struct hmap_params *params)
{
	return hmap_params_valid_sized(params, sizeof(*params));
}

static inline struct hmap *hmap_create(const struct hmap_params *params)
{
	return hmap_create_sized(params, sizeof(*params));
}

static inline void hmap_get_params(const struct hmap *map,
				   struct hmap_params *params)
{
	hmap_get_params_sized(map, params, sizeof(*params));
}

static inline size_t hmap_max_bytes(const struct hmap_params *params)
{
	return hmap_max_bytes_sized(params, sizeof(*params));
}

void hmap_destroy(struct hmap *map);

void *hmap_lookup_rcu(struct hmap *map, const void *key, u32 key_len,
		      u32 *value_len);
int hmap_lookup(struct hmap *map, const void *key, u32 key_len,
		void *value, u32 *value_len);
int hmap_update(struct hmap *map, const void *key, u32 key_len,
		const void *value, u32 value_len, u64 flags);
int hmap_delete(struct hmap *map, const void *key, u32 key_len);
int hmap_clear(struct hmap *map);
int hmap_shrink_to_fit(struct hmap *map);
u64 hmap_count(const struct hmap *map);
void hmap_get_stats(struct hmap *map, struct hmap_stats *stats);
int hmap_get_histogram(struct hmap *map, struct hmap_histogram *hist);
void hmap_global_stats(struct hmap_global_stats *gs);

int hmap_iter_start(struct hmap *map, struct hmap_iter *iter);
int hmap_iter_next(struct hmap_iter *iter, void *key, u32 *key_len,
		   void *value, u32 *value_len);
void hmap_iter_stop(struct hmap_iter *iter);

/**
 * typedef hmap_dump_fn - receives one entry of hmap_dump()
 * @ctx: the caller's context.
 * @i: index of the entry in this batch.
 * @key: the key.
 * @key_len: its length.
 * @value: the value.
 * @value_len: its length.
 *
 * Called under rcu_read_lock(): must not sleep; copy what it needs.
 */
typedef void (*hmap_dump_fn)(void *ctx, u32 i, const void *key, u32 key_len,
			     const void *value, u32 value_len);

int hmap_dump(struct hmap *map, u64 *cursor, bool *done, u32 room,
	      u32 *count, hmap_dump_fn fn, void *ctx);
u64 hmap_dump_cursor_encode(const struct hmap *map, u64 pos);
int hmap_dump_cursor_decode(const struct hmap *map, u64 cursor, u64 *pos);

#endif /* _LINUX_HMAP_H */
