/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmap internals, shared only by the map core (hmap_core.c, hmap_iter.c)
 * and its tests (the KUnit suites, tools/testing/hmap). Nothing outside
 * those may include this file: the module's other parts use <linux/hmap.h>,
 * and hmap_mod.c the core's setup in hmap_core.h.
 */
#ifndef _HMAP_INTERNAL_H
#define _HMAP_INTERNAL_H

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/hmap.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#define HMAP_BUCKET_SLOTS	HMAP_BUCKET_SLOTS_ABI

/*
 * Tag byte values below HMAP_MIN_TOPHASH are markers, as in Go's map; a real
 * tag below it is bumped by HMAP_MIN_TOPHASH.
 */
#define HMAP_EMPTY_REST		0 /* this slot and all later ones are empty */
#define HMAP_EMPTY_ONE		1 /* this slot is empty */
#define HMAP_EVACUATED_X	2 /* entry moved to the X (lower) new bucket */
#define HMAP_EVACUATED_Y	3 /* entry moved to the Y (upper) new bucket */
#define HMAP_EVACUATED_EMPTY	4 /* slot was empty when its bucket moved */
#define HMAP_MIN_TOPHASH	5

/* Grow above 13/2 entries per bucket, shrink below 13/8. */
#define HMAP_LOAD_NUM		13
#define HMAP_LOAD_DEN		2
#define HMAP_SHRINK_DEN		8

/*
 * Bytes of destroyed maps, and of tables hmap_clear() retired, that may
 * wait for their deferred free before hmap_destroy() or hmap_clear()
 * waits too: a quarter of the registry's default per-user limit
 * (max_bytes_per_user, 64 MiB), so that creating and destroying maps, or
 * clearing one, in a loop cannot pin much more than the limit allows.
 */
#define HMAP_DESTROY_PENDING_MAX	(16L << 20)
/*
 * Grows to arrays of 2^HMAP_PREALLOC_MIN_B buckets (80 KiB) or more get
 * their array allocated ahead, by a worker, once the map is three quarters
 * of the way to the grow: zeroing megabytes is not a write's job.
 */
#define HMAP_PREALLOC_MIN_B	10
/* Largest bucket array: 2^HMAP_B_MAX buckets (80 << 24 bytes < INT_MAX). */
#define HMAP_B_MAX		24
/*
 * Overflow buckets a map keeps ready for the writes under its lock
 * (&hmap.reserve): refilled with GFP_KERNEL outside the lock, by writers
 * that may sleep before they take it (an update, or a delete during a
 * resize: the writes that may need one), and for an %HMAP_F_ATOMIC map
 * by @prealloc_work once a write leaves fewer than half.
 */
#define HMAP_RESERVE		4
/*
 * Once the allocation of a due grow's array has failed (and until an
 * array comes), inserts go on into overflow chains up to
 * 2^HMAP_NOARRAY_SLACK times the grow's load (52 entries per bucket on
 * average, chains of about seven buckets); past it a writer that may
 * sleep tries an array itself, and an insert that gets none fails with
 * -ENOMEM: so that the chains, and the time a write holds its stripe lock
 * (with interrupts off in an %HMAP_F_ATOMIC map), stay bounded while the
 * allocator fails. An
 * allocation merely in flight (or a worker slow to run) caps nothing.
 */
#define HMAP_NOARRAY_SLACK	3
/*
 * How long after a failed allocation of a bucket array (a due resize's, or
 * the next grow's allocated ahead) no other array of that size is tried,
 * instead of paying for one large allocation with direct reclaim after
 * another while memory is short: writers below %HMAP_NOARRAY_SLACK (and
 * deletes, for a shrink's) go on without, an %HMAP_F_ATOMIC map's do not
 * ask @prealloc_work (which drops a request made then, as it drops one
 * for the array ahead), and a writer that may sleep past the cap sleeps
 * out the rest before it tries (the others wait for it; one that slept
 * and finds a newer failure fails instead of trying again). So a map tries
 * at most one array of a size per %HMAP_BG_RETRY after a failure, plus
 * the one in flight. The worker (@bg_work) waits as long to retry its
 * overflow buckets after an allocation failed, and at least as long to
 * look again at a resize that was held off (%HMAP_BG_BACKOFF_SHIFT).
 */
#define HMAP_BG_RETRY		max(1UL, msecs_to_jiffies(20))
/*
 * The worker's own look at a resize whose array failed backs off: after
 * the n-th failure in a row of an array it asked for itself (no write
 * asked meanwhile) it waits %HMAP_BG_RETRY << min(n - 1,
 * %HMAP_BG_BACKOFF_SHIFT) (20 ms doubling to about 5 s), so that an idle
 * map whose arrays keep failing tries one about every 5 s, not one per
 * %HMAP_BG_RETRY for ever; after a failure of an array a write asked for
 * it waits %HMAP_BG_RETRY, and writes still ask at most one per
 * %HMAP_BG_RETRY.
 */
#define HMAP_BG_BACKOFF_SHIFT	8
/*
 * Most lock stripes a map has (&hmap.stripes): writers to buckets of
 * different stripes run in parallel. A map has
 * min(%HMAP_STRIPES_MAX, the power of two at or above twice the possible
 * CPUs); hmap_lock_all() takes every one of them, so the bound also
 * keeps its holds short. (Lockdep counts the stripes, taken under their
 * nest lock, as one held lock: it sets no bound here.)
 */
#define HMAP_STRIPES_MAX	16

/**
 * struct hmap_elem - one entry: its full hash, key and value
 * @hash: the key's full 64-bit hash.
 * @key_len: key length in bytes.
 * @value_len: value length in bytes.
 * @data: the key, then the value at offset round_up(@key_len, 8).
 *
 * Never changed once published: an update publishes a new element and frees
 * the old one after a grace period, so readers never see a torn value.
 */
struct hmap_elem {
	u64 hash;
	u32 key_len;
	u32 value_len;
	u8 data[] __aligned(8);
};

/**
 * struct hmap_bucket - eight slots, their tag bytes, and an overflow link
 * @tophash: per slot, the top byte of the entry's hash or a marker.
 * @tophash_word: the same eight bytes, read at once by lookups.
 * @elems: per slot, the entry or NULL.
 * @overflow: next bucket of the chain, or NULL.
 */
struct hmap_bucket {
	union {
		u8 tophash[HMAP_BUCKET_SLOTS];
		__le64 tophash_word;	/* the eight tags at once, slot 0 lowest */
	};
	struct hmap_elem __rcu *elems[HMAP_BUCKET_SLOTS];
	struct hmap_bucket __rcu *overflow;
};

/**
 * struct hmap_table - one bucket array
 * @buckets: 2^@B buckets (the heads of the chains).
 * @next: the table this one is being evacuated into, or NULL.
 * @B: log2 of the bucket count.
 * @noverflow: overflow buckets allocated for this table (added to by
 *	writers of any stripe, hence atomic).
 * @noverflow_base: @noverflow when the resize that built this table
 *	finished (0 for a table made empty): the overflow buckets its
 *	entries needed then (and any that writes added during the resize).
 * @bytes: bytes of the bucket array allocation.
 * @clear_bytes: bytes hmap_clear() counted as pending frees when it
 *	retired this table (its @bytes; 0 for a table a resize retired),
 *	taken off the count once the table is freed.
 * @map: the owning map, for the deferred free.
 * @rwork: frees the table after a grace period.
 */
struct hmap_table {
	struct hmap_bucket *buckets;
	struct hmap_table __rcu *next;
	unsigned int B;
	atomic_long_t noverflow;
	unsigned long noverflow_base;
	size_t bytes;
	long clear_bytes;
	struct hmap *map;
	struct rcu_work rwork;
};

/**
 * typedef hmap_hash_fn - a replacement hash function, for tests only
 * @key: the key.
 * @key_len: its length in bytes.
 *
 * Return: the key's 64-bit hash.
 */
typedef u64 (*hmap_hash_fn)(const void *key, u32 key_len);

/* What hmap_test_set_alloc() sees being allocated. */
enum hmap_test_alloc {
	HMAP_TEST_ALLOC_ARRAY,		/* a bucket array, of 2^bits buckets */
	HMAP_TEST_ALLOC_OVERFLOW,	/* one overflow bucket (bits 0) */
};

/**
 * typedef hmap_test_alloc_fn - sees every bucket allocation, for tests only
 * @map: the map.
 * @what: the &enum hmap_test_alloc allocated.
 * @bits: log2 of the array's bucket count, or 0.
 * @gfp: the allocation's flags.
 * @ctx: what hmap_test_set_alloc() was given.
 *
 * Called before the allocation, in its context: under a stripe lock and
 * the state lock (&hmap.lock) for a GFP_ATOMIC overflow bucket, with
 * interrupts off (then it must not sleep), unlocked and in process
 * context for GFP_KERNEL ones and for arrays (then it may).
 *
 * Return: true to fail the allocation.
 */
typedef bool (*hmap_test_alloc_fn)(struct hmap *map, enum hmap_test_alloc what,
				   unsigned int bits, gfp_t gfp, void *ctx);

/*
 * struct hmap_pcpu - the map's counters, per CPU: bumped with this_cpu_add()
 * by lookups in any context and by writers and workers, never a shared
 * atomic; summed when read. One per line of <uapi/linux/hmap_stats.h>, in
 * its order, as at the end of &struct hmap_stats; lookups is never added
 * to, hmap_get_stats() derives it.
 * 64 bits on every architecture, so that no count wraps on a 32-bit kernel
 * (a 64-bit read there can tear while another CPU adds: a rare reading off
 * by a carry, never a wrap).
 */
struct hmap_pcpu {
#define HMAP_STAT(name)	s64 name
#include <uapi/linux/hmap_stats.h>
#undef HMAP_STAT
};

/**
 * struct hmap_stripe - one lock stripe of a map, on its own cache line
 * @lock: guards the buckets whose index has this stripe's number in its
 *	low bits (&hmap.stripe_mask), in every live array.
 */
struct hmap_stripe {
	spinlock_t lock;	/* this stripe's buckets */
} ____cacheline_aligned_in_smp;

/**
 * struct hmap - a map
 * @tbl: the oldest live table; readers start here and follow
 *	&hmap_table.next past evacuated buckets.
 * @lock: the map's state lock: the fields marked "(under @lock)" below,
 *	none of the buckets. A spinlock taken alone or innermost, under a
 *	stripe lock or hmap_lock_all(), with interrupts off, except under
 *	a stripe or hmap_lock_all() of a map without %HMAP_F_ATOMIC, whose
 *	locks are taken with interrupts on (see "Lock order" in
 *	hmap_core.c).
 * @resize_lock: the outer lock of hmap_lock_all(), which takes it and
 *	then every stripe lock (spin_lock_nest_lock()): what changes the
 *	tables (a resize's start and commit, hmap_clear()) holds all of
 *	them. No one takes it while holding a stripe.
 * @stripes: the bucket locks; a writer holds the one of its key's hash
 *	(hash & @stripe_mask), which covers its bucket in every live array.
 * @nstripes: stripes in use (a power of two, at most %HMAP_STRIPES_MAX).
 * @stripe_mask: stripe of a hash or bucket index: its low bits under
 *	this mask, which is min(@nstripes, 2^B of the smallest live array)
 *	- 1; changed only under hmap_lock_all().
 * @work_lock: serializes the process-context side, which sleeps and so
 *	runs outside @lock: the two works, hmap_shrink_to_fit() and the
 *	test hooks. Taken before @lock, never under it.
 * @count: entries in the map: an insert adds to it, exactly against
 *	max_entries (atomic_long_add_unless()), under its stripe lock. On a
 *	cache line of its own, away from what lookups read.
 * @resizing: the resize in progress (changed under hmap_lock_all(), so
 *	stable under any stripe lock).
 * @nevacuate: old buckets below this index are all evacuated (under the
 *	stripe of the bucket it points at, or every stripe; read racily
 *	with READ_ONCE()).
 * @params: what the map was created with.
 * @elem_gfp: the flags elements are allocated with, outside @lock:
 *	GFP_KERNEL, or GFP_ATOMIC for a map created with %HMAP_F_ATOMIC.
 * @elem_pad: bytes before each element: an rcu_head for an
 *	%HMAP_F_ATOMIC map (kfree_rcu() in any context), else 0.
 * @want_array: a resize was due and found no array: @prealloc_work is
 *	to allocate one and start it (under @lock; written with
 *	WRITE_ONCE(): deletes peek at it, hmap_delete_shrink_due()).
 * @want_ahead: hmap_maybe_prealloc() asks @prealloc_work for the next
 *	grow's array ahead (under @lock).
 * @array_busy: a bucket array for the spare is being allocated, outside
 *	@lock, by whoever set it (hmap_array_claim()): the one allocation of
 *	the spare a map has in flight; other writers go on into overflow
 *	chains meanwhile, or past %HMAP_NOARRAY_SLACK wait for it
 *	(wait_var_event(), woken by hmap_array_release()) (under @lock;
 *	read without it by those waiters).
 * @array_failed: the last allocation of an array for a due resize
 *	failed, and no array came since (under @lock).
 * @array_held_off: the last allocation of an array, for a due resize or
 *	ahead, failed at @array_failed_at, and that was not yet seen to be
 *	%HMAP_BG_RETRY ago (hmap_array_holdoff()) (under @lock).
 * @array_failed_B: the B of the last array whose allocation failed:
 *	inserts are capped (%HMAP_NOARRAY_SLACK) only when it is the due
 *	grow's (under @lock).
 * @array_failed_at: jiffies of that failure: no writer, nor
 *	@prealloc_work, tries another array of that size for %HMAP_BG_RETRY
 *	after it (under @lock).
 * @array_failures: allocations of an array that failed in a row (any
 *	size, due or ahead; a success resets it), at most
 *	%HMAP_BG_BACKOFF_SHIFT + 1: the worker's back-off
 *	(hmap_bg_backoff()). A failure of an array a write asked for sets
 *	it to 1; only the worker's own tries in a row count up (under
 *	@lock).
 * @bg_asked: the request for an array pending now (@want_array) is one
 *	the worker made when no write did; @prealloc_work consumes it with
 *	the request (under @lock).
 * @init_B: log2 of the bucket count the map was created with.
 * @full_elem_size: allocation size of an element with a key and value of
 *	the largest sizes.
 * @seed: the per-map random siphash key.
 * @cursor_key: the per-map random key of hmap_dump_cursor_encode(), so that no
 *	cursor user space sees tells a hash.
 * @hash_fn: test-only replacement of the hash function, normally NULL.
 * @background: whether the background worker may run (tests turn it off).
 * @dying: hmap_destroy() has begun: neither @bg_work nor @prealloc_work
 *	may be queued any more (under @lock).
 * @bg_work: evacuates beside the writers while a resize is in progress,
 *	and frees a spare array no grow came for.
 * @last_write: jiffies of the last write, for @bg_work.
 * @resize_start_ns: when the resize in progress began.
 * @resize_seq: resizes started since creation (written under every lock,
 *	read with READ_ONCE(): hmap_shrink_to_fit() counts the ones writers
 *	start while it evacuates).
 * @spare: the array of the next resize, allocated ahead by @prealloc_work
 *	or by a writer that may sleep, outside @lock (under @lock; never
 *	seen by readers until the resize starts).
 * @prealloc_work: allocates @spare, so that the write that starts a grow
 *	of a large map does not have to, and the array of a resize that
 *	found none (@want_array); then starts that resize.
 * @reserve: overflow buckets allocated ahead (GFP_KERNEL, outside @lock),
 *	linked through &hmap_bucket.overflow, for the writes and evacuations
 *	under @lock: the only source of those that may sleep (which refill it
 *	and retry when it is short), the first of an %HMAP_F_ATOMIC map's
 *	writers (which fall back to GFP_ATOMIC, and have @prealloc_work
 *	refill it).
 * @nreserve: buckets on @reserve (under @lock; read without it as a hint).
 * @reserve_need: the buckets the last write or evacuation that found
 *	@reserve short needed at once (under @lock).
 * @test_alloc: test-only hook on bucket allocations, normally NULL.
 * @test_alloc_ctx: its context.
 * @memcg: the creator's memory cgroup, charged for what the workers
 *	allocate too.
 * @pcpu: counters.
 * @refs: one for the map's tables, dropped by the deferred free that
 *	hmap_destroy() queues, and one for each retired table whose free is
 *	still pending; the last put frees the map (hmap_put()).
 * @destroy_rwork: frees the map's tables after the grace period that
 *	hmap_destroy() queues it for.
 * @destroy_bytes: what the map held when destroyed, counted in the bytes
 *	of destroyed maps not yet freed until the map is.
 * @clear_pending: bytes of the arrays hmap_clear() retired from this map
 *	and counted as pending frees, not yet freed (so that destroy does
 *	not count them twice).
 */
struct hmap {
	struct hmap_table __rcu *tbl;
	spinlock_t lock;	/* the state; see hmap_core.c */
	spinlock_t resize_lock;	/* outer lock of hmap_lock_all() */
	unsigned int nstripes;
	unsigned long stripe_mask;
	struct mutex work_lock;	/* the sleeping side; see hmap_core.c */
	enum hmap_resize_kind resizing;
	unsigned long nevacuate;
	struct hmap_params params;
	gfp_t elem_gfp;
	size_t elem_pad;
	bool want_array;
	bool want_ahead;
	bool array_busy;
	bool array_failed;
	bool array_held_off;
	unsigned int array_failed_B;
	unsigned long array_failed_at;
	unsigned int array_failures;
	bool bg_asked;
	unsigned int init_B;
	size_t full_elem_size;
	siphash_key_t seed;
	siphash_key_t cursor_key;
	hmap_hash_fn hash_fn;
	bool background;
	bool dying;
	struct delayed_work bg_work;
	unsigned long last_write;
	u64 resize_start_ns;
	unsigned long resize_seq;
	struct hmap_table *spare;
	struct work_struct prealloc_work;
	struct hmap_bucket *reserve;
	unsigned int nreserve;
	unsigned int reserve_need;
	hmap_test_alloc_fn test_alloc;
	void *test_alloc_ctx;
	struct mem_cgroup *memcg;
	struct hmap_pcpu __percpu *pcpu;
	refcount_t refs;
	struct rcu_work destroy_rwork;
	long destroy_bytes;
	atomic_long_t clear_pending;
	/* Written by every insert and delete: off the lookups' lines. */
	atomic_long_t count ____cacheline_aligned_in_smp;
	struct hmap_stripe stripes[HMAP_STRIPES_MAX];
};

/*
 * Add @n to the statistics counter at @offset of this CPU's &struct
 * hmap_pcpu (not to &hmap.count, the entry count).
 */
static inline void hmap_stat_add_offset(struct hmap *map, size_t offset,
					s64 n)
{
	this_cpu_add(*(s64 __percpu *)((void __percpu *)map->pcpu + offset),
		     n);
}

#define hmap_stat_add(map, field, n) \
	hmap_stat_add_offset(map, offsetof(struct hmap_pcpu, field), n)

static inline bool hmap_tophash_is_empty(u8 th)
{
	return th <= HMAP_EMPTY_ONE;
}

static inline bool hmap_tophash_is_evacuated(u8 th)
{
	return th > HMAP_EMPTY_ONE && th < HMAP_MIN_TOPHASH;
}

static inline u8 hmap_tophash(u64 hash)
{
	u8 top = hash >> 56;

	return top < HMAP_MIN_TOPHASH ? top + HMAP_MIN_TOPHASH : top;
}

static inline unsigned long hmap_bucket_mask(const struct hmap_table *t)
{
	return (1UL << t->B) - 1;
}

static inline const u8 *hmap_elem_key(const struct hmap_elem *e)
{
	return e->data;
}

static inline u8 *hmap_elem_value(struct hmap_elem *e)
{
	return e->data + round_up(e->key_len, 8);
}

/* Does @b, the head of a chain, say its chain was evacuated? */
static inline bool hmap_bucket_evacuated(struct hmap_bucket *b)
{
	/*
	 * Pairs with the release in hmap_evacuate(): whoever sees the
	 * marker sees every entry it published in the new table.
	 */
	return hmap_tophash_is_evacuated(smp_load_acquire(&b->tophash[0]));
}

/**
 * hmap_find_bucket_rcu() - find the chain that holds a hash right now
 * @map: the map.
 * @hash: the hash.
 * @max_bits: if not NULL, gets the largest B of the tables looked at.
 *
 * Starts at the oldest table and moves on to the next one while the head
 * bucket for @hash has been evacuated.
 *
 * Context: rcu_read_lock() held.
 * Return: the head bucket of the chain.
 */
static inline struct hmap_bucket *
hmap_find_bucket_rcu(struct hmap *map, u64 hash, unsigned int *max_bits)
	__must_hold(RCU)
{
	struct hmap_table *t = rcu_dereference(map->tbl);
	unsigned int bits = 0;
	struct hmap_bucket *b;

	for (;;) {
		bits = max(bits, t->B);
		b = &t->buckets[hash & hmap_bucket_mask(t)];
		if (likely(!hmap_bucket_evacuated(b)))
			break;
		t = rcu_dereference(t->next);
	}
	if (max_bits)
		*max_bits = bits;
	return b;
}

/*
 * Whether the caller holds a stripe lock of @map (any: lockdep cannot say
 * which bucket a pointer is in), or all of them (hmap_lock_all()).
 */
static inline bool hmap_table_held(struct hmap *map)
{
	unsigned int i;

	if (lockdep_is_held(&map->resize_lock))
		return true;
	for (i = 0; i < map->nstripes; i++)
		if (lockdep_is_held(&map->stripes[i].lock))
			return true;
	return false;
}

/* Writer-side dereference: a stripe lock must be held. */
#define hmap_dereference(map, p) \
	rcu_dereference_protected(p, hmap_table_held(map))

/* The map's keyed hash, exported to the tests (KUnit, tools/testing/hmap). */
u64 hmap_hash(const struct hmap *map, const void *key, u32 key_len);

/* Test hooks, exported to the KUnit module only. */
void hmap_test_set_hash(struct hmap *map, hmap_hash_fn fn);
void hmap_test_set_background(struct hmap *map, bool on);
void hmap_test_set_alloc(struct hmap *map, hmap_test_alloc_fn fn, void *ctx);
unsigned int hmap_test_reserve(struct hmap *map);
long hmap_test_pending_bytes(void);
void hmap_test_run_background(struct hmap *map);
void __hmap_test_prealloc(struct hmap *map);
void hmap_flush_frees(void);

#endif /* _HMAP_INTERNAL_H */
