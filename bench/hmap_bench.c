// SPDX-License-Identifier: GPL-2.0
/*
 * hmap_bench - hmap against rhashtable, in the kernel
 *
 * The same workload runs on an hmap and on an rhashtable with the same
 * keys: 8-byte keys and values (plus a 32-byte-key variant), no size hint,
 * automatic shrinking on (hmap always shrinks). Each map grows from empty.
 * Commands are written to /sys/kernel/debug/hmap_bench/run, one per
 * write(2), and run in the writer's context; results are printed with
 * pr_info() as lines "HMAP-BENCH {json}" (one result),
 * "HMAP-BENCH-SERIES {json}" (plot data) and "HMAP-BENCH-INFO {json}",
 * which scripts/bench.sh collects from the serial log:
 *
 *   suite N REPS     per map: insert N keys into an empty map, look up the
 *                    N keys (hits) and N absent keys (misses), delete the
 *                    N keys; the same with 32-byte keys. Lookups pass over
 *                    the keys until they made 10^6 lookups. REPS rounds,
 *                    maps alternating which goes first; the best round is
 *                    reported (interference only adds time), with the
 *                    median and every round. Also the bytes of overhead
 *                    per entry at N.
 *   latency N EVERY  per map: the latency of every insert while growing
 *                    from empty to N; percentiles over the first 10^k
 *                    inserts for every 10^k <= N, and the max and mean of
 *                    every EVERY inserts as a series.
 *   mixed N MSEC     per map: a reader bound to every online CPU looks up
 *                    random keys of a set of N for MSEC milliseconds while
 *                    a writer deletes the set down to N/8 and inserts it
 *                    back, again and again, so that resizes keep happening;
 *                    the maps take turns in slices. Reported: CPU time per
 *                    lookup, and lookups per second. "mixed N MSEC MAP"
 *                    runs one map only (hmap or rhashtable), for profiling.
 *   writers N REPS   writes from softirq, one writer and then one on each
 *                    online CPU, each a tasklet on its CPU: per map, on
 *                    an hmap made with HMAP_F_ATOMIC and an rhashtable,
 *                    insert N keys into an empty map (the writers' key
 *                    ranges disjoint), update every value, with several
 *                    writers update all N keys from every writer, delete
 *                    the N keys; the throughput of each phase in wall time,
 *                    best of REPS rounds (maps alternating). Then the
 *                    latency of every insert while growing from empty to
 *                    N, as "latency" but from the writers. A phase that
 *                    times out or fails costs the figures of that phase
 *                    and what comes after it for that map and number of
 *                    writers only (bench_writers()).
 *   writers N REPS task  the same from process context: kthreads bound to
 *                    the CPUs, maps made for writers that may sleep.
 *   stall MSEC [NCPU]  an empty loop on the first NCPU online CPUs (0 or
 *                    none: every one) at once, preemption off, MSEC at most
 *                    60000: the longest gap between two ktime_get_ns()
 *                    reads and the gaps over 100 us and 1 ms, per CPU:
 *                    what interrupts, the emulator and the host take from
 *                    any loop, so from any single write (bench_stall()).
 *   hash N           hash functions alone on N keys of 8 and 32 bytes:
 *                    SipHash-2-4, jhash2 (rhashtable's default for key
 *                    lengths that are multiples of 4), and hsiphash (on
 *                    64-bit, SipHash with 1 and 3 rounds).
 *   fill MAP N       for profiling: fill a map (hmap, rhashtable, hmap_k32,
 *   loop PHASE MSEC  rhashtable_k32; hmap_jhash, hmap_jhash_k32: made with
 *                    HMAP_F_JHASH) with N keys, repeat PHASE (lookup_hit,
 *   drop             lookup_miss, churn, update, grow) on it for MSEC
 *                    milliseconds (update: 8-byte keys only),
 *                    destroy it.
 *
 * Lookups run under rcu_read_lock() per key and read the value found:
 * hmap_lookup_rcu() against rhashtable_lookup(). Inserts allocate the entry
 * in both (hmap inside hmap_update(), rhashtable objects with kmalloc());
 * deletes free it after a grace period in both (kfree_rcu()).
 *
 * Module parameter: writer_timeout_ms (default 300000), how long a writers
 * phase may run before it is stopped and reported as timed out. make bench
 * leaves it alone; a small value forces the timeout path, to test it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/hmap.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/smp.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

/*
 * Built against the core of an older commit for an A/B run (HMAP_BENCH_AB,
 * scripts/bench.sh), which runs only the suites (process context, maps
 * without flags): with a core from before HMAP_F_JHASH "fill" refuses the
 * "_jhash" maps (-EOPNOTSUPP), one from before struct hmap_params had flags (the
 * per-map mutex of issue 10's start) makes every map without them.
 */
#ifndef HMAP_F_JHASH
#define HMAP_F_JHASH	0
#endif

/* Timed loops call cond_resched() once every this many operations. */
#define BENCH_RESCHED_MASK	4095
#define BENCH_REPS_MAX		32
#define BENCH_N_MAX		BIT(24)
#define BENCH_MSEC_MAX		600000U
/* Values are derived from keys, so lookups can be checked. */
#define BENCH_VALUE_XOR		0x5bd1e9955bd1e995ULL
/* Inputs of the key generator for absent keys start here. */
#define BENCH_MISS_BASE		BIT_ULL(40)
/* Numbers of a series per printed line: the line must fit printk. */
#define BENCH_SERIES_CHUNK	32
/* How long a map may take to finish a resize once writes stop. */
#define BENCH_SETTLE_MSEC	20000
/* How long a destroyed map may take to be freed (hmap_destroy()). */
#define BENCH_DESTROY_WAIT_MS	60000

/* hmap's bucket: 8 tag bytes, 8 element pointers, an overflow pointer. */
#define BENCH_HMAP_BUCKET_SIZE	(HMAP_BUCKET_SLOTS_ABI * 9 + 8)
/* Lookup phases repeat over the keys until they made this many lookups. */
#define BENCH_LOOKUPS_MIN	1000000U

enum bench_kind {
	BENCH_HMAP,
	BENCH_RHT,
	BENCH_KINDS,
};

static const char *const bench_kind_name[BENCH_KINDS] = {
	[BENCH_HMAP] = "hmap",
	[BENCH_RHT] = "rhashtable",
};

enum bench_phase {
	PH_INSERT,
	PH_HIT,
	PH_MISS,
	PH_DELETE,
	PH_INSERT32,
	PH_HIT32,
	PH_MISS32,
	PH_DELETE32,
	PH_COUNT,
};

static const char *const bench_phase_name[PH_COUNT] = {
	[PH_INSERT] = "insert",
	[PH_HIT] = "lookup_hit",
	[PH_MISS] = "lookup_miss",
	[PH_DELETE] = "delete",
	[PH_INSERT32] = "insert_k32",
	[PH_HIT32] = "lookup_hit_k32",
	[PH_MISS32] = "lookup_miss_k32",
	[PH_DELETE32] = "delete_k32",
};

struct bench_key32 {
	u64 w[4];
};

struct rh_obj8 {
	struct rhash_head node;
	u64 key;
	u64 value;
	struct rcu_head rcu;
};

struct rh_obj32 {
	struct rhash_head node;
	struct bench_key32 key;
	u64 value;
	struct rcu_head rcu;
};

static const struct rhashtable_params rh8_params = {
	.head_offset = offsetof(struct rh_obj8, node),
	.key_offset = offsetof(struct rh_obj8, key),
	.key_len = sizeof(u64),
	.automatic_shrinking = true,
};

static const struct rhashtable_params rh32_params = {
	.head_offset = offsetof(struct rh_obj32, node),
	.key_offset = offsetof(struct rh_obj32, key),
	.key_len = sizeof(struct bench_key32),
	.automatic_shrinking = true,
};

/**
 * struct bench_map - one map of either kind
 * @kind: hmap or rhashtable.
 * @k32: 32-byte keys instead of 8-byte ones.
 * @atomic: written from softirq: an hmap made with %HMAP_F_ATOMIC,
 *	rhashtable objects allocated with GFP_ATOMIC.
 * @retry_busy: an insert that rhashtable refuses with -EBUSY (a rehash is
 *	due) is retried here, after cond_resched(), until it succeeds or
 *	@stop is set; else -EBUSY goes to the caller. Off for maps written
 *	from softirq, which may not wait for the rehash worker, and for the
 *	writers benchmark in both contexts: its writers back off and retry,
 *	and count the retries (bench_writer_batch()).
 * @stop: set to end every retry loop on the map (bench_insert(),
 *	bench_update()) with the error of the last attempt: a writers phase
 *	that timed out or one of whose writers failed, the end of a mixed
 *	slice.
 * @hm: the hmap.
 * @ht: the rhashtable.
 */
struct bench_map {
	enum bench_kind kind;
	bool k32;
	bool atomic;
	bool retry_busy;
	bool stop;
	struct hmap *hm;
	struct rhashtable ht;
};

/**
 * struct bench_keys - the keys of a run
 * @n: keys of each set.
 * @hit: keys inserted (8 bytes).
 * @miss: keys never inserted.
 * @hit32: 32-byte keys inserted.
 * @miss32: 32-byte keys never inserted.
 */
struct bench_keys {
	u32 n;
	u64 *hit;
	u64 *miss;
	struct bench_key32 *hit32;
	struct bench_key32 *miss32;
};

static DEFINE_MUTEX(bench_lock);	/* one command at a time */
static struct dentry *bench_dir;
static u64 bench_sink;

/*
 * The map kept between "fill", "loop" and "drop", and its name ("hmap",
 * "hmap_jhash_k32", ...); an hmap whose name has "_jhash" is made with
 * %HMAP_F_JHASH (bench_prof_jhash).
 */
static struct bench_map bench_prof_map;
static struct bench_keys bench_prof_keys;
static char bench_prof_name[16];
static bool bench_prof_jhash;
static bool bench_prof_live;

/* ---- Output ---- */

/* A JSON object built in a buffer small enough for one printk line. */
struct bench_json {
	char buf[900];
	size_t len;
	bool first;
};

/* Output is only built by commands, which bench_lock serializes. */
static struct bench_json bench_out;

static __printf(2, 3) void bench_json_raw(struct bench_json *j,
					  const char *fmt, ...)
{
	va_list args;

	if (j->len >= sizeof(j->buf))
		return;
	va_start(args, fmt);
	j->len += vscnprintf(j->buf + j->len, sizeof(j->buf) - j->len, fmt,
			     args);
	va_end(args);
}

static void bench_json_start(struct bench_json *j)
{
	j->len = 0;
	j->first = true;
	bench_json_raw(j, "{");
}

static void bench_json_key(struct bench_json *j, const char *key)
{
	bench_json_raw(j, "%s\"%s\":", j->first ? "" : ",", key);
	j->first = false;
}

static void bench_json_str(struct bench_json *j, const char *key,
			   const char *val)
{
	bench_json_key(j, key);
	bench_json_raw(j, "\"%s\"", val);
}

static void bench_json_u64(struct bench_json *j, const char *key, u64 val)
{
	bench_json_key(j, key);
	bench_json_raw(j, "%llu", val);
}

/* @num / @den with two decimals. */
static void bench_json_div(struct bench_json *j, const char *key, u64 num,
			   u64 den)
{
	u64 q;

	bench_json_key(j, key);
	if (!den) {
		bench_json_raw(j, "null");
		return;
	}
	q = div64_u64(num * 100 + den / 2, den);
	bench_json_raw(j, "%llu.%02llu", q / 100, q % 100);
}

/* A list of @nr values @num[i] / @den, two decimals each. */
static void bench_json_divs(struct bench_json *j, const char *key,
			    const u64 *num, u32 nr, u64 den)
{
	u32 i;

	bench_json_key(j, key);
	bench_json_raw(j, "[");
	for (i = 0; i < nr; i++) {
		u64 q = div64_u64(num[i] * 100 + den / 2, den);

		bench_json_raw(j, "%s%llu.%02llu", i ? "," : "", q / 100,
			       q % 100);
	}
	bench_json_raw(j, "]");
}

static void bench_json_emit(struct bench_json *j, const char *tag)
{
	bench_json_raw(j, "}");
	pr_info("%s %s\n", tag, j->buf);
}

/* Start a result record: structure, n, phase. */
static void bench_record(struct bench_json *j, enum bench_kind kind, u32 n,
			 const char *phase)
{
	bench_json_start(j);
	bench_json_str(j, "structure", bench_kind_name[kind]);
	bench_json_u64(j, "n", n);
	bench_json_str(j, "phase", phase);
}

/* ---- Keys ---- */

/* splitmix64: a bijection, so distinct inputs give distinct keys. */
static u64 bench_mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void bench_key32_make(struct bench_key32 *k, u64 in)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(k->w); i++)
		k->w[i] = bench_mix(in << 2 | i);
}

static void bench_keys_free(struct bench_keys *k)
{
	vfree(k->hit);
	vfree(k->miss);
	vfree(k->hit32);
	vfree(k->miss32);
	memset(k, 0, sizeof(*k));
}

static int bench_keys_alloc(struct bench_keys *k, u32 n, bool k32)
{
	u32 i;

	memset(k, 0, sizeof(*k));
	k->n = n;
	k->hit = vmalloc(array_size(n, sizeof(u64)));
	k->miss = vmalloc(array_size(n, sizeof(u64)));
	if (!k->hit || !k->miss)
		goto nomem;
	for (i = 0; i < n; i++) {
		k->hit[i] = bench_mix(i);
		k->miss[i] = bench_mix(BENCH_MISS_BASE + i);
	}
	if (!k32)
		return 0;
	k->hit32 = vmalloc(array_size(n, sizeof(*k->hit32)));
	k->miss32 = vmalloc(array_size(n, sizeof(*k->miss32)));
	if (!k->hit32 || !k->miss32)
		goto nomem;
	for (i = 0; i < n; i++) {
		bench_key32_make(&k->hit32[i], i);
		bench_key32_make(&k->miss32[i], BENCH_MISS_BASE + i);
	}
	return 0;

nomem:
	bench_keys_free(k);
	return -ENOMEM;
}

/* ---- The two maps behind one interface ---- */

static int bench_map_create_flags(struct bench_map *m, enum bench_kind kind,
				  bool k32, bool atomic, u32 flags)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->k32 = k32;
	m->atomic = atomic;
	m->retry_busy = !atomic;
	if (kind == BENCH_HMAP) {
		struct hmap_params p = {
			.key_size = k32 ? sizeof(struct bench_key32) :
				    sizeof(u64),
			.value_size = sizeof(u64),
			.max_entries = HMAP_MAX_ENTRIES_MAX,
#ifdef HMAP_F_ATOMIC	/* else a core from before it (an A/B run) */
			.flags = (atomic ? HMAP_F_ATOMIC : 0) | flags,
#endif
		};
		struct hmap *hm = hmap_create(&p);

		if (IS_ERR(hm))
			return PTR_ERR(hm);
		m->hm = hm;
		return 0;
	}
	return rhashtable_init(&m->ht, k32 ? &rh32_params : &rh8_params);
}

static int bench_map_create(struct bench_map *m, enum bench_kind kind,
			    bool k32, bool atomic)
{
	return bench_map_create_flags(m, kind, k32, atomic, 0);
}

static void bench_rh_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/* hmap_global_stats()'s count of maps not yet freed. */
static long bench_hmap_maps(void)
{
	struct hmap_global_stats gs;

	hmap_global_stats(&gs);
	return gs.maps;
}

static void bench_map_destroy(struct bench_map *m)
{
	long maps = 0;
	int i;

	if (m->kind == BENCH_HMAP) {
		maps = bench_hmap_maps();
		hmap_destroy(m->hm);
		m->hm = NULL;
	} else {
		rhashtable_free_and_destroy(&m->ht, bench_rh_free, NULL);
	}
	/*
	 * Let some of the frees deferred by deletes happen now rather than
	 * in the next timed phase: callbacks queued before rcu_barrier() run
	 * by its end, but kfree_rcu()'s batches are not callbacks (a partial
	 * one may wait up to 5 s): for both maps alike, some land in the
	 * next phase.
	 */
	msleep(50);
	rcu_barrier();
	msleep(20);
	if (m->kind != BENCH_HMAP)
		return;
	/*
	 * hmap_destroy() frees the map from a work item after a grace
	 * period (of a large map: seconds under emulation): wait until one
	 * map fewer is counted (the bench alone creates maps meanwhile, so
	 * that is this one, or one an earlier wait gave up on), for up to
	 * BENCH_DESTROY_WAIT_MS.
	 */
	for (i = 0; bench_hmap_maps() >= maps; i++) {
		if (i >= BENCH_DESTROY_WAIT_MS / 20) {
			/* results.py reports the run's HMAP-BENCH-ERRORs. */
			pr_warn("HMAP-BENCH-ERROR a destroyed map not freed after %d ms\n",
				BENCH_DESTROY_WAIT_MS);
			return;
		}
		msleep(20);
	}
}

/*
 * bench_map_create() into an allocated map, for a map that lives in one
 * function: on the stack, the rhashtable's work item (rhashtable_init()'s
 * INIT_WORK()) makes debugobjects warn that an object on the stack is not
 * annotated. Return: the map, or an ERR_PTR(): -ENOMEM or the error of
 * bench_map_create().
 */
static struct bench_map *bench_map_new(enum bench_kind kind, bool k32,
				       bool atomic)
{
	struct bench_map *m = kmalloc(sizeof(*m), GFP_KERNEL);
	int err;

	if (!m)
		return ERR_PTR(-ENOMEM);
	err = bench_map_create(m, kind, k32, atomic);
	if (err) {
		kfree(m);
		return ERR_PTR(err);
	}
	return m;
}

/* Destroy and free a map of bench_map_new(). */
static void bench_map_free(struct bench_map *m)
{
	bench_map_destroy(m);
	kfree(m);
}

/*
 * rhashtable_lookup_insert_fast(), retried while a rehash is due if
 * &bench_map.retry_busy (and until &bench_map.stop); else once: the
 * writers benchmark's writer retries the key later (bench_writer_batch()).
 */
static __always_inline int
bench_rh_insert_retry(struct bench_map *m, struct rhash_head *node,
		      const struct rhashtable_params params)
{
	int err;

	while ((err = rhashtable_lookup_insert_fast(&m->ht, node, params)) ==
	       -EBUSY && m->retry_busy && !READ_ONCE(m->stop))
		cond_resched();
	return err;
}

static gfp_t bench_gfp(const struct bench_map *m)
{
	return m->atomic ? GFP_ATOMIC | __GFP_NOWARN : GFP_KERNEL;
}

static __always_inline int bench_insert(struct bench_map *m, const void *key)
{
	u64 value = *(const u64 *)key ^ BENCH_VALUE_XOR;
	int err;

	if (m->kind == BENCH_HMAP)
		return hmap_update(m->hm, key, m->k32 ? 32 : 8, &value,
				   sizeof(value), HMAP_NOEXIST);
	if (m->k32) {
		struct rh_obj32 *o = kmalloc(sizeof(*o), bench_gfp(m));

		if (!o)
			return -ENOMEM;
		memcpy(&o->key, key, sizeof(o->key));
		o->value = value;
		err = bench_rh_insert_retry(m, &o->node, rh32_params);
		if (err)
			kfree(o);
	} else {
		struct rh_obj8 *o = kmalloc(sizeof(*o), bench_gfp(m));

		if (!o)
			return -ENOMEM;
		o->key = *(const u64 *)key;
		o->value = value;
		err = bench_rh_insert_retry(m, &o->node, rh8_params);
		if (err)
			kfree(o);
	}
	return err;
}

/* Look @key up under RCU; add its value to *@sum. Return: found. */
static __always_inline bool bench_lookup(struct bench_map *m, const void *key,
					 u64 *sum)
{
	bool found = false;

	rcu_read_lock();
	if (m->kind == BENCH_HMAP) {
		const u64 *v = hmap_lookup_rcu(m->hm, key, m->k32 ? 32 : 8,
					       NULL);

		if (v) {
			*sum += READ_ONCE(*v);
			found = true;
		}
	} else if (m->k32) {
		struct rh_obj32 *o = rhashtable_lookup(&m->ht, key,
						       rh32_params);

		if (o) {
			*sum += READ_ONCE(o->value);
			found = true;
		}
	} else {
		struct rh_obj8 *o = rhashtable_lookup(&m->ht, key, rh8_params);

		if (o) {
			*sum += READ_ONCE(o->value);
			found = true;
		}
	}
	rcu_read_unlock();
	return found;
}

static __always_inline int bench_delete(struct bench_map *m, const void *key)
{
	int err = -ENOENT;

	if (m->kind == BENCH_HMAP)
		return hmap_delete(m->hm, key, m->k32 ? 32 : 8);

	rcu_read_lock();
	if (m->k32) {
		struct rh_obj32 *o = rhashtable_lookup(&m->ht, key,
						       rh32_params);

		if (o && !rhashtable_remove_fast(&m->ht, &o->node,
						 rh32_params)) {
			kfree_rcu(o, rcu);
			err = 0;
		}
	} else {
		struct rh_obj8 *o = rhashtable_lookup(&m->ht, key, rh8_params);

		if (o && !rhashtable_remove_fast(&m->ht, &o->node,
						 rh8_params)) {
			kfree_rcu(o, rcu);
			err = 0;
		}
	}
	rcu_read_unlock();
	return err;
}

/*
 * Replace the value of @key (8 bytes), which must be present, as readers
 * see it whole: hmap_update() with HMAP_EXIST puts a new element in the
 * slot; for rhashtable a new object replaces the old one under its bucket
 * lock (rhashtable_replace_fast()), the old one freed after a grace
 * period. Another writer may have replaced the object looked up
 * (-ENOENT): then look it up again, unless &bench_map.stop is set.
 */
static __always_inline int bench_update(struct bench_map *m, const u64 *key)
{
	u64 value = *key ^ BENCH_VALUE_XOR ^ 1;
	struct rh_obj8 *o, *old;
	int err;

	if (m->kind == BENCH_HMAP)
		return hmap_update(m->hm, key, sizeof(*key), &value,
				   sizeof(value), HMAP_EXIST);
	o = kmalloc(sizeof(*o), bench_gfp(m));
	if (!o)
		return -ENOMEM;
	o->key = *key;
	o->value = value;
	rcu_read_lock();
	do {
		old = rhashtable_lookup(&m->ht, key, rh8_params);
		err = old ? rhashtable_replace_fast(&m->ht, &old->node,
						    &o->node, rh8_params) :
			    -ENOENT;
	} while (err == -ENOENT && old && !READ_ONCE(m->stop));
	if (!err)
		kfree_rcu(old, rcu);
	rcu_read_unlock();
	if (err)
		kfree(o);
	return err;
}

/* Has the map finished every resize and deferred free it started? */
static bool bench_map_steady(struct bench_map *m)
{
	struct bucket_table *tbl;
	bool steady;

	if (m->kind == BENCH_HMAP) {
		struct hmap_stats st;

		hmap_get_stats(m->hm, &st);
		return st.resizing == HMAP_RESIZE_NONE && !st.pending_frees;
	}
	rcu_read_lock();
	tbl = rcu_dereference(m->ht.tbl);
	steady = !rcu_access_pointer(tbl->future_tbl) &&
		 !work_busy(&m->ht.run_work);
	rcu_read_unlock();
	return steady;
}

/* Let the map finish the resize writes left it in, as after a pause. */
static void bench_map_settle(struct bench_map *m)
{
	unsigned long end = jiffies + msecs_to_jiffies(BENCH_SETTLE_MSEC);

	while (!bench_map_steady(m)) {
		if (time_after(jiffies, end)) {
			pr_warn("%s did not settle\n", bench_kind_name[m->kind]);
			return;
		}
		usleep_range(5000, 10000);
	}
}

/* Bytes a kvmalloc() of @size really takes: vmalloc above KMALLOC_MAX_SIZE. */
static size_t bench_kv_size(size_t size)
{
	if (size > KMALLOC_MAX_SIZE)
		return PAGE_ALIGN(size);
	return kmalloc_size_roundup(size);
}

/*
 * Bytes the map holds beyond the key and value bytes of its @n entries.
 * hmap: its bytes counter, which sums allocation sizes; *@exact gets the
 * same with the bucket arrays (the one in use and the next one, when it was
 * allocated ahead of a grow) counted as vmalloc() really allocates them
 * above KMALLOC_MAX_SIZE (the counter rounds them up to a power of two).
 * rhashtable: the bucket table plus every object's kmalloc size.
 */
static s64 bench_map_overhead(struct bench_map *m, u32 n, s64 *exact)
{
	/* The key and value bytes themselves. */
	s64 payload = (s64)n * ((m->k32 ? sizeof(struct bench_key32) :
				 sizeof(u64)) + sizeof(u64));
	struct bucket_table *tbl;
	size_t obj, table;

	if (m->kind == BENCH_HMAP) {
		struct hmap_stats st;
		unsigned int i, arrays;

		hmap_get_stats(m->hm, &st);
		*exact = (s64)st.bytes - payload;
		/* The array in use, and the next one if allocated ahead. */
		arrays = st.arrays_alloced - st.arrays_freed;
		for (i = 0; i < arrays && i < 2; i++) {
			size_t array = (size_t)BENCH_HMAP_BUCKET_SIZE << (st.B + i);

			*exact += (s64)bench_kv_size(array) -
				  (s64)kmalloc_size_roundup(array);
		}
		return (s64)st.bytes - payload;
	}

	obj = kmalloc_size_roundup(m->k32 ? sizeof(struct rh_obj32) :
				   sizeof(struct rh_obj8));
	rcu_read_lock();
	tbl = rcu_dereference(m->ht.tbl);
	table = struct_size(tbl, buckets, tbl->size);
	table = is_vmalloc_addr(tbl) ? PAGE_ALIGN(table) :
		kmalloc_size_roundup(table);
	if (tbl->nest)
		pr_warn("rhashtable has a nested table\n");
	rcu_read_unlock();
	*exact = (s64)table + (s64)n * obj - payload;
	return *exact;
}

/* ---- Timed loops ---- */

/*
 * Insert (@insert) or delete the @n keys, stopping at the first error
 * (*@errp). Always inlined, with @insert a constant at each call: the
 * timed loop has no branch on it.
 */
static __always_inline u64 bench_write_all(struct bench_map *m,
					   const void *keys, u32 n,
					   bool insert, int *errp)
{
	size_t ksize = m->k32 ? sizeof(struct bench_key32) : sizeof(u64);
	u64 t0 = ktime_get_ns();
	int err = 0;
	u32 i;

	for (i = 0; i < n; i++) {
		err = insert ? bench_insert(m, keys + i * ksize) :
			       bench_delete(m, keys + i * ksize);
		if (unlikely(err))
			break;
		if (!(i & BENCH_RESCHED_MASK))
			cond_resched();
	}
	*errp = err;
	return ktime_get_ns() - t0;
}

static u64 bench_insert_all(struct bench_map *m, const void *keys, u32 n,
			    int *errp)
{
	return bench_write_all(m, keys, n, true, errp);
}

/* Look up the @n keys @passes times; *@found gets the hits of one pass. */
static u64 bench_lookup_all(struct bench_map *m, const void *keys, u32 n,
			    u32 passes, u32 *found)
{
	size_t ksize = m->k32 ? sizeof(struct bench_key32) : sizeof(u64);
	u64 t0 = ktime_get_ns(), sum = 0, hits = 0;
	u32 i, p;

	for (p = 0; p < passes; p++) {
		for (i = 0; i < n; i++) {
			hits += bench_lookup(m, keys + i * ksize, &sum);
			if (!(i & BENCH_RESCHED_MASK))
				cond_resched();
		}
	}
	t0 = ktime_get_ns() - t0;
	WRITE_ONCE(bench_sink, bench_sink + sum);
	*found = div_u64(hits, passes);
	return t0;
}

/* Passes of a lookup phase over @n keys: at least BENCH_LOOKUPS_MIN. */
static u32 bench_passes(u32 n)
{
	return DIV_ROUND_UP(BENCH_LOOKUPS_MIN, n);
}

static u64 bench_delete_all(struct bench_map *m, const void *keys, u32 n,
			    int *errp)
{
	return bench_write_all(m, keys, n, false, errp);
}

/* ---- suite ---- */

/**
 * struct bench_times - the time of one phase in every round
 * @ns: per round, nanoseconds for all passes over the n keys.
 * @nr: rounds recorded.
 * @passes: passes over the n keys per round (1 but for lookups).
 */
struct bench_times {
	u64 ns[BENCH_REPS_MAX];
	u32 nr;
	u32 passes;
};

static void bench_times_add(struct bench_times *t, u64 ns, u32 passes)
{
	if (t->nr < BENCH_REPS_MAX)
		t->ns[t->nr++] = ns;
	t->passes = passes;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int bench_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Start the record of phase @phase from its rounds @t (n * passes
 * operations each), the fields of every timed phase; the caller adds its
 * own and emits it.
 */
static void bench_times_record(enum bench_kind kind, u32 n, const char *phase,
			       struct bench_times *t)
{
	struct bench_json *j = &bench_out;
	u64 med, ops = (u64)n * t->passes;

	bench_record(j, kind, n, phase);
	/* In round order, so that the two maps can be compared round by round. */
	bench_json_divs(j, "rounds", t->ns, t->nr, ops);
	sort(t->ns, t->nr, sizeof(t->ns[0]), bench_cmp_u64, NULL);
	med = t->nr & 1 ? t->ns[t->nr / 2] :
	      (t->ns[t->nr / 2 - 1] + t->ns[t->nr / 2]) / 2;
	/* Best round: interference only ever adds time. */
	bench_json_div(j, "ns_per_op", t->ns[0], ops);
	bench_json_div(j, "median_ns_per_op", med, ops);
	bench_json_div(j, "max_ns_per_op", t->ns[t->nr - 1], ops);
	bench_json_u64(j, "ops", ops);
	bench_json_u64(j, "reps", t->nr);
}

static void bench_times_emit(enum bench_kind kind, u32 n, enum bench_phase ph,
			     struct bench_times *t)
{
	struct bench_json *j = &bench_out;

	if (!t->nr)
		return;
	bench_times_record(kind, n, bench_phase_name[ph], t);
	bench_json_u64(j, "key_size", ph >= PH_INSERT32 ? 32 : 8);
	bench_json_emit(j, "HMAP-BENCH");
}

static void bench_emit_overhead(struct bench_map *m, u32 n)
{
	struct bench_json *j = &bench_out;
	s64 bytes, exact;

	bytes = bench_map_overhead(m, n, &exact);
	bench_record(j, m->kind, n, m->k32 ? "overhead_k32" : "overhead");
	bench_json_key(j, "ns_per_op");
	bench_json_raw(j, "null");
	bench_json_div(j, "bytes_per_entry", max_t(s64, bytes, 0), n);
	bench_json_div(j, "bytes_per_entry_exact", max_t(s64, exact, 0), n);
	bench_json_u64(j, "overhead_bytes", max_t(s64, bytes, 0));
	if (m->kind == BENCH_HMAP) {
		struct hmap_stats st;

		hmap_get_stats(m->hm, &st);
		bench_json_u64(j, "B", st.B);
		bench_json_u64(j, "overflow_buckets", st.noverflow);
		bench_json_u64(j, "grows", st.grows);
		bench_json_u64(j, "same_size_grows", st.same_size_grows);
		bench_json_u64(j, "arrays", st.arrays_alloced - st.arrays_freed);
		bench_json_u64(j, "overflow",
			       st.overflow_alloced - st.overflow_freed);
		bench_json_u64(j, "elems", st.elems_alloced - st.elems_freed);
		bench_json_u64(j, "pending_frees", st.pending_frees);
		bench_json_u64(j, "bytes", st.bytes);
	} else {
		struct bucket_table *tbl;

		rcu_read_lock();
		tbl = rcu_dereference(m->ht.tbl);
		bench_json_u64(j, "buckets", tbl->size);
		rcu_read_unlock();
	}
	bench_json_emit(j, "HMAP-BENCH");
}

static int bench_check(struct bench_map *m, const char *what, u32 got,
		       u32 want)
{
	if (got == want)
		return 0;
	pr_err("%s %s: found %u keys, expected %u\n",
	       bench_kind_name[m->kind], what, got, want);
	return -EIO;
}

/* One round of the suite on one map: 8-byte keys, then 32-byte keys. */
static int bench_suite_round(enum bench_kind kind, struct bench_keys *k,
			     bool overhead,
			     struct bench_times t[PH_COUNT])
{
	u32 found, passes = bench_passes(k->n);
	struct bench_map *m;
	unsigned int k32;
	int err;

	for (k32 = 0; k32 < 2; k32++) {
		const void *hit = k32 ? (void *)k->hit32 : (void *)k->hit;
		const void *miss = k32 ? (void *)k->miss32 : (void *)k->miss;
		enum bench_phase base = k32 ? PH_INSERT32 : PH_INSERT;
		u64 ns;

		m = bench_map_new(kind, k32, false);
		if (IS_ERR(m))
			return PTR_ERR(m);
		ns = bench_insert_all(m, hit, k->n, &err);
		if (err) {
			pr_err("%s insert: %d\n", bench_kind_name[kind], err);
			goto destroy;
		}
		bench_times_add(&t[base + PH_INSERT], ns, 1);

		/* Lookups and overhead in the steady state, resizes done. */
		bench_map_settle(m);
		if (overhead)
			bench_emit_overhead(m, k->n);
		ns = bench_lookup_all(m, hit, k->n, passes, &found);
		err = bench_check(m, "lookup_hit", found, k->n);
		if (err)
			goto destroy;
		bench_times_add(&t[base + PH_HIT], ns, passes);
		ns = bench_lookup_all(m, miss, k->n, passes, &found);
		err = bench_check(m, "lookup_miss", found, 0);
		if (err)
			goto destroy;
		bench_times_add(&t[base + PH_MISS], ns, passes);

		ns = bench_delete_all(m, hit, k->n, &err);
		if (err) {
			pr_err("%s delete: %d\n", bench_kind_name[kind], err);
			goto destroy;
		}
		bench_times_add(&t[base + PH_DELETE], ns, 1);
		bench_map_free(m);
		cond_resched();
	}
	return 0;

destroy:
	bench_map_free(m);
	return err;
}

static int bench_suite(u32 n, u32 reps)
{
	struct bench_times (*t)[PH_COUNT];
	struct bench_keys k;
	unsigned int r, i, kind;
	int err;

	if (!n || n > BENCH_N_MAX || !reps || reps > BENCH_REPS_MAX)
		return -EINVAL;
	t = kcalloc(BENCH_KINDS, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	err = bench_keys_alloc(&k, n, true);
	if (err)
		goto free_t;

	for (r = 0; r < reps; r++) {
		/* Alternate which map goes first. */
		for (i = 0; i < BENCH_KINDS; i++) {
			kind = (i + r) % BENCH_KINDS;
			err = bench_suite_round(kind, &k, r == 0, t[kind]);
			if (err)
				goto free_keys;
		}
	}
	for (kind = 0; kind < BENCH_KINDS; kind++)
		for (i = 0; i < PH_COUNT; i++)
			bench_times_emit(kind, n, i, &t[kind][i]);
free_keys:
	bench_keys_free(&k);
free_t:
	kfree(t);
	return err;
}

/* ---- latency ---- */

/* The cost of timing one operation: two ktime_get_ns() back to back. */
static void bench_timer_info(void)
{
	u32 d[127];
	struct bench_json *j = &bench_out;
	unsigned int i;
	u64 t0;

	for (i = 0; i < ARRAY_SIZE(d); i++) {
		t0 = ktime_get_ns();
		d[i] = ktime_get_ns() - t0;
	}
	sort(d, ARRAY_SIZE(d), sizeof(d[0]), bench_cmp_u32, NULL);
	bench_json_start(j);
	bench_json_str(j, "what", "ktime_get_ns");
	bench_json_u64(j, "min_ns", d[0]);
	bench_json_u64(j, "median_ns", d[ARRAY_SIZE(d) / 2]);
	bench_json_emit(j, "HMAP-BENCH-INFO");
}

/*
 * Percentiles of the @m latencies @lat (sorted in @tmp), as records of
 * phases @prefix + "insert_lat_p50" ... "insert_lat_max", each with the
 * count of inserts over 1 ms ("over_1ms"); with @retries (not NULL) the
 * writes made again, as "retries".
 */
static void bench_latency_percentiles(enum bench_kind kind, const u32 *lat,
				      u32 *tmp, u32 m, const char *prefix,
				      const u64 *retries)
{
	static const struct {
		const char *phase;
		u32 per_mille;
	} pct[] = {
		{ "insert_lat_p50", 500 },
		{ "insert_lat_p99", 990 },
		{ "insert_lat_p999", 999 },
		{ "insert_lat_max", 1000 },
	};
	struct bench_json *j = &bench_out;
	unsigned int i;
	char phase[32];
	u64 sum = 0;
	u32 over = 0;

	memcpy(tmp, lat, m * sizeof(*tmp));
	sort(tmp, m, sizeof(*tmp), bench_cmp_u32, NULL);
	for (i = 0; i < m; i++) {
		sum += tmp[i];
		over += tmp[i] > NSEC_PER_MSEC;
	}
	for (i = 0; i < ARRAY_SIZE(pct); i++) {
		u32 at = min_t(u64, (u64)m * pct[i].per_mille / 1000, m - 1);

		snprintf(phase, sizeof(phase), "%s%s", prefix, pct[i].phase);
		bench_record(j, kind, m, phase);
		bench_json_u64(j, "ns_per_op", tmp[at]);
		bench_json_div(j, "mean_ns", sum, m);
		bench_json_u64(j, "ops", m);
		bench_json_u64(j, "over_1ms", over);
		if (retries)
			bench_json_u64(j, "retries", *retries);
		bench_json_emit(j, "HMAP-BENCH");
	}
}

static void bench_latency_series(enum bench_kind kind, const u32 *lat, u32 n,
				 u32 every)
{
	u32 windows = DIV_ROUND_UP(n, every), w0, w, i;
	struct bench_json *j = &bench_out;

	for (w0 = 0; w0 < windows; w0 += BENCH_SERIES_CHUNK) {
		u32 w1 = min(windows, w0 + BENCH_SERIES_CHUNK);
		u64 mean[BENCH_SERIES_CHUNK];
		u32 max[BENCH_SERIES_CHUNK];

		for (w = w0; w < w1; w++) {
			u32 from = w * every, to = min(n, from + every);
			u64 sum = 0;

			max[w - w0] = 0;
			for (i = from; i < to; i++) {
				max[w - w0] = max(max[w - w0], lat[i]);
				sum += lat[i];
			}
			mean[w - w0] = div_u64(sum, to - from);
		}
		bench_json_start(j);
		bench_json_str(j, "structure", bench_kind_name[kind]);
		bench_json_u64(j, "n", n);
		bench_json_u64(j, "every", every);
		bench_json_u64(j, "from", w0);
		bench_json_key(j, "max");
		for (w = w0; w < w1; w++)
			bench_json_raw(j, "%s%u", w == w0 ? "[" : ",",
				       max[w - w0]);
		bench_json_raw(j, "]");
		bench_json_key(j, "mean");
		for (w = w0; w < w1; w++)
			bench_json_raw(j, "%s%llu", w == w0 ? "[" : ",",
				       mean[w - w0]);
		bench_json_raw(j, "]");
		bench_json_emit(j, "HMAP-BENCH-SERIES");
	}
}

static int bench_latency(u32 n, u32 every)
{
	struct bench_keys k;
	unsigned int i, kind;
	u32 *lat, *tmp;
	int err;

	if (!n || n > BENCH_N_MAX || !every)
		return -EINVAL;
	err = bench_keys_alloc(&k, n, false);
	if (err)
		return err;
	lat = vmalloc(array_size(n, sizeof(*lat)));
	tmp = vmalloc(array_size(n, sizeof(*tmp)));
	if (!lat || !tmp) {
		err = -ENOMEM;
		goto out;
	}
	bench_timer_info();

	for (kind = 0; kind < BENCH_KINDS; kind++) {
		struct bench_map *m;
		u32 m10;

		m = bench_map_new(kind, false, false);
		if (IS_ERR(m)) {
			err = PTR_ERR(m);
			goto out;
		}
		for (i = 0; i < n; i++) {
			u64 t0 = ktime_get_ns();

			err = bench_insert(m, &k.hit[i]);
			lat[i] = min_t(u64, ktime_get_ns() - t0, U32_MAX);
			if (err)
				break;
			if (!(i & BENCH_RESCHED_MASK))
				cond_resched();
		}
		bench_map_free(m);
		if (err)
			goto out;

		for (m10 = 10000; m10 < n; m10 *= 10)
			bench_latency_percentiles(kind, lat, tmp, m10, "",
						  NULL);
		bench_latency_percentiles(kind, lat, tmp, n, "", NULL);
		bench_latency_series(kind, lat, n, every);
	}
out:
	vfree(tmp);
	vfree(lat);
	bench_keys_free(&k);
	return err;
}

/* ---- mixed ---- */

/* Slices of a mixed run: the two maps take turns, so both see the same. */
#define BENCH_MIXED_SLICES	6

/* CPU time the current task has run, in ns (as of its last tick). */
static u64 bench_cpu_ns(void)
{
	return READ_ONCE(current->se.sum_exec_runtime);
}

/**
 * struct bench_mixed_map - one map of a mixed run and what it measured
 * @m: the map.
 * @pos: the writer's next key.
 * @down: the writer is deleting (else inserting back).
 * @tbl: rhashtable: the table the writer saw last.
 * @lookups: lookups done by the readers.
 * @hits: lookups that found their key.
 * @reader_cpu_ns: CPU time of the readers.
 * @reader_rate: sum over slices of the readers' lookups per second.
 * @writes: the writer's inserts and deletes.
 * @writer_cpu_ns: its CPU time.
 * @resizes: resizes seen.
 * @err: the writer's first error.
 */
struct bench_mixed_map {
	struct bench_map m;
	u32 pos;
	bool down;
	struct bucket_table *tbl;
	u64 lookups;
	u64 hits;
	u64 reader_cpu_ns;
	u64 reader_rate;
	u64 writes;
	u64 writer_cpu_ns;
	u64 resizes;
	int err;
};

/**
 * struct bench_thread - a reader or the writer of one slice
 * @mm: the map.
 * @keys: the key set.
 * @n: its size.
 * @task: the thread.
 * @ops: lookups or writes done.
 * @hits: lookups that found their key.
 * @cpu_ns: CPU time used.
 * @wall_ns: time from start to stop.
 */
struct bench_thread {
	struct bench_mixed_map *mm;
	const u64 *keys;
	u32 n;
	struct task_struct *task;
	u64 ops;
	u64 hits;
	u64 cpu_ns;
	u64 wall_ns;
};

static int bench_mixed_reader(void *arg)
{
	struct bench_thread *t = arg;
	u64 x = bench_mix((uintptr_t)t ^ ktime_get_ns()), sum = 0;
	u64 t0 = ktime_get_ns(), c0 = bench_cpu_ns();
	unsigned int i;

	while (!kthread_should_stop()) {
		for (i = 0; i < 256; i++) {
			u32 idx;

			/* xorshift64, reduced to [0, n) by multiply-shift */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			idx = ((x >> 32) * t->n) >> 32;
			t->hits += bench_lookup(&t->mm->m, &t->keys[idx], &sum);
		}
		t->ops += i;
		cond_resched();
	}
	t->cpu_ns = bench_cpu_ns() - c0;
	t->wall_ns = ktime_get_ns() - t0;
	WRITE_ONCE(bench_sink, bench_sink + sum);
	return 0;
}

/*
 * Delete the set down to n/8, insert it back, again and again. An insert
 * that rhashtable refused while the slice was ending (&bench_map.stop) is
 * made again in the next slice.
 */
static int bench_mixed_writer(void *arg)
{
	struct bench_thread *t = arg;
	struct bench_mixed_map *mm = t->mm;
	u32 span = t->n - t->n / 8;
	u64 c0 = bench_cpu_ns();
	int err;

	while (!kthread_should_stop()) {
		if (mm->down)
			err = bench_delete(&mm->m, &t->keys[mm->pos]);
		else
			err = bench_insert(&mm->m, &t->keys[mm->pos]);
		if (err == -EBUSY && READ_ONCE(mm->m.stop)) {
			/* Not the key's turn yet: wait for kthread_stop(). */
			cond_resched();
			continue;
		}
		if (err && !mm->err)
			mm->err = err;
		if (++mm->pos == span) {
			mm->pos = 0;
			mm->down = !mm->down;
		}
		if (mm->m.kind == BENCH_RHT &&
		    mm->tbl != rcu_access_pointer(mm->m.ht.tbl)) {
			mm->tbl = rcu_access_pointer(mm->m.ht.tbl);
			mm->resizes++;
		}
		if (!(++t->ops & 255))
			cond_resched();
	}
	t->cpu_ns = bench_cpu_ns() - c0;
	return 0;
}

static u64 bench_hmap_resizes(struct bench_map *m)
{
	struct hmap_stats st;

	hmap_get_stats(m->hm, &st);
	return st.grows + st.same_size_grows + st.shrinks;
}

/* One slice: a reader bound to every online CPU and the writer. */
static int bench_mixed_slice(struct bench_mixed_map *mm, const u64 *keys,
			     u32 n, u32 msec)
{
	unsigned int nr = 0, i, cpu, ncpu = num_online_cpus();
	struct bench_thread *t;
	u64 resizes0 = 0;
	int err = 0;

	t = kcalloc(ncpu + 1, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	if (mm->m.kind == BENCH_HMAP)
		resizes0 = bench_hmap_resizes(&mm->m);
	for_each_online_cpu(cpu) {
		if (nr == ncpu)
			break;
		t[nr] = (struct bench_thread){ .mm = mm, .keys = keys, .n = n };
		t[nr].task = kthread_create_on_cpu(bench_mixed_reader, &t[nr],
						   cpu, "hmap_bench_r/%u");
		if (IS_ERR(t[nr].task)) {
			err = PTR_ERR(t[nr].task);
			goto stop;
		}
		nr++;
	}
	t[nr] = (struct bench_thread){ .mm = mm, .keys = keys, .n = n };
	t[nr].task = kthread_create(bench_mixed_writer, &t[nr], "hmap_bench_w");
	if (IS_ERR(t[nr].task)) {
		err = PTR_ERR(t[nr].task);
		goto stop;
	}
	nr++;
	for (i = 0; i < nr; i++)
		wake_up_process(t[i].task);
	msleep(msec);
stop:
	/*
	 * The writer (last) first, so that no reader runs without it; its
	 * insert retry loop (bench_insert()) ends on &bench_map.stop.
	 */
	WRITE_ONCE(mm->m.stop, true);
	for (i = nr; i-- > 0;)
		kthread_stop(t[i].task);
	WRITE_ONCE(mm->m.stop, false);
	if (!err) {
		for (i = 0; i + 1 < nr; i++) {
			mm->lookups += t[i].ops;
			mm->hits += t[i].hits;
			mm->reader_cpu_ns += t[i].cpu_ns;
			if (t[i].wall_ns)
				mm->reader_rate += div64_u64(t[i].ops *
							     NSEC_PER_SEC,
							     t[i].wall_ns);
		}
		mm->writes += t[nr - 1].ops;
		mm->writer_cpu_ns += t[nr - 1].cpu_ns;
		if (mm->m.kind == BENCH_HMAP)
			mm->resizes += bench_hmap_resizes(&mm->m) - resizes0;
		err = mm->err;
	}
	kfree(t);
	return err;
}

static void bench_mixed_emit(struct bench_mixed_map *mm, u32 n, u32 msec)
{
	struct bench_json *j = &bench_out;

	bench_record(j, mm->m.kind, n, "mixed_lookup");
	/* CPU time per lookup: what a lookup costs while resizes go on */
	bench_json_div(j, "ns_per_op", mm->reader_cpu_ns, mm->lookups);
	bench_json_u64(j, "lookups_per_sec",
		       div_u64(mm->reader_rate, BENCH_MIXED_SLICES));
	bench_json_u64(j, "readers", num_online_cpus());
	bench_json_u64(j, "ops", mm->lookups);
	bench_json_div(j, "hit_ratio", mm->hits, mm->lookups);
	bench_json_div(j, "writer_cpu_ns_per_op", mm->writer_cpu_ns,
		       mm->writes);
	bench_json_div(j, "writes_per_sec", mm->writes * MSEC_PER_SEC,
		       msec);
	bench_json_u64(j, "resizes", mm->resizes);
	bench_json_u64(j, "msec", msec);
	bench_json_emit(j, "HMAP-BENCH");
}

/*
 * Both maps filled with the same n keys, then BENCH_MIXED_SLICES slices of
 * msec / BENCH_MIXED_SLICES each, the maps taking turns (alternating which
 * goes first), every map's writer taking up where it stopped.
 */
static int bench_mixed(u32 n, u32 msec, int only)
{
	unsigned int kind, sl, i, kinds = only < 0 ? BENCH_KINDS : 1;
	struct bench_mixed_map *mm;
	struct bench_keys k;
	int err;

	if (n < 8 || n > BENCH_N_MAX || msec < BENCH_MIXED_SLICES ||
	    msec > BENCH_MSEC_MAX)
		return -EINVAL;
	mm = kcalloc(BENCH_KINDS, sizeof(*mm), GFP_KERNEL);
	if (!mm)
		return -ENOMEM;
	err = bench_keys_alloc(&k, n, false);
	if (err)
		goto free_mm;
	for (kind = 0; kind < kinds; kind++) {
		err = bench_map_create(&mm[kind].m, only < 0 ? kind : only,
				       false, false);
		if (err)
			goto destroy;
		mm[kind].down = true;
		bench_insert_all(&mm[kind].m, k.hit, n, &err);
		if (!err)
			bench_map_settle(&mm[kind].m);
		if (mm[kind].m.kind == BENCH_RHT)
			mm[kind].tbl = rcu_access_pointer(mm[kind].m.ht.tbl);
		if (err) {
			kind++;
			goto destroy;
		}
	}
	for (sl = 0; sl < BENCH_MIXED_SLICES && !err; sl++)
		for (i = 0; i < kinds && !err; i++)
			err = bench_mixed_slice(&mm[(i + sl) % kinds], k.hit, n,
						msec / BENCH_MIXED_SLICES);
	for (i = 0; i < kinds && !err; i++)
		bench_mixed_emit(&mm[i], n, msec);
destroy:
	while (kind-- > 0)
		bench_map_destroy(&mm[kind].m);
	bench_keys_free(&k);
free_mm:
	kfree(mm);
	return err;
}

/* ---- writers ---- */

/*
 * Writers on every CPU. From softirq (the main case), each writer is a
 * tasklet on its own CPU that does up to BENCH_WRITER_BATCH writes a run
 * and schedules itself again until its keys are done: it runs in softirq
 * (at an interrupt's exit, or in ksoftirqd once softirqs have run long)
 * for the whole phase, and the rest of the CPU's work (the maps' workers
 * among it) gets the CPU between runs, as beside a busy network stack.
 * From process context, each writer is a kthread bound to its CPU doing
 * the same batches, with cond_resched() between them.
 *
 * Every writer starts the same way, whichever CPU the benchmark's thread
 * is on: from softirq, an IPI to its CPU (or, on the thread's own CPU, a
 * call with interrupts off) arms a pinned softirq hrtimer for one moment
 * shared by all writers, and the timer schedules the tasklet; from
 * process context, its kthread is woken. One writer runs on
 * the first online CPU, the CPU of the first of several writers.
 *
 * A write the map refuses (-EBUSY: rhashtable's rehash is due; -ENOMEM)
 * ends the writer's run and is made again after a back-off, the same for
 * both maps: BENCH_BACKOFF_MIN_US, doubled at each refusal in a row up to
 * BENCH_BACKOFF_MAX_US. The CPU is left to the map's worker meanwhile
 * (from softirq an hrtimer re-arms the tasklet, from process context the
 * kthread sleeps).
 */
#define BENCH_WRITER_BATCH		128
#define BENCH_WRITERS_MAX		8
#define BENCH_BACKOFF_MIN_US		10U
#define BENCH_BACKOFF_MAX_US		160U
/* The writers of a softirq phase start this long after they are armed. */
#define BENCH_WRITER_START_US		1000U

/* A phase still running after this many ms is stopped and fails. */
static unsigned int writer_timeout_ms = 300000;
module_param(writer_timeout_ms, uint, 0444);
MODULE_PARM_DESC(writer_timeout_ms,
		 "ms a writers phase may run before it is stopped as timed out (default 300000; 1 and up)");

enum bench_wphase {
	WP_INSERT,
	WP_UPDATE,
	WP_UPDATE_SHARED,
	WP_DELETE,
	WP_COUNT,
};

static const char *const bench_wphase_name[WP_COUNT] = {
	[WP_INSERT] = "insert",
	[WP_UPDATE] = "update",
	[WP_UPDATE_SHARED] = "update_shared",
	[WP_DELETE] = "delete",
};

/* The prefix of a writers record's phase: "sirq" or "task". */
static const char *bench_wctx(bool atomic)
{
	return atomic ? "sirq" : "task";
}

/**
 * struct bench_writer - one writer of a writers phase
 * @tasklet: does the writes on @cpu, from softirq.
 * @timer: schedules @tasklet: at @start, and after a back-off.
 * @task: or this kthread, bound to @cpu.
 * @m: the map.
 * @ph: what the writes are.
 * @keys: the keys; the writer writes keys[@pos] for @pos up to @to.
 * @pos: the next key.
 * @to: one past its last key.
 * @lat: if not NULL, lat[i] gets the latency of the write of keys[i],
 *	from its first attempt to the one that succeeded.
 * @cpu: the CPU it runs on.
 * @start: softirq: when @timer first fires (CLOCK_MONOTONIC).
 * @t_start: ktime_get_ns() when its first batch started.
 * @t_end: when it finished.
 * @t_first: ktime_get_ns() at the first attempt of keys[@pos] if that was
 *	refused (timed with @lat only), else 0.
 * @backoff_us: microseconds to wait before the next batch: 0 unless the
 *	last write was refused.
 * @retries: writes refused with -ENOMEM or -EBUSY and made again after a
 *	back-off.
 * @err: the first other error, -EAGAIN if it ran on another CPU than @cpu
 *	(a CPU went offline), or -ECANCELED if it was stopped
 *	(&bench_map.stop: the phase timed out, or another writer failed).
 * @done: completed (complete_all(): it may be waited for twice, see
 *	bench_writers_run()) when it finished.
 */
struct bench_writer {
	struct tasklet_struct tasklet;
	struct hrtimer timer;
	struct task_struct *task;
	struct bench_map *m;
	enum bench_wphase ph;
	const u64 *keys;
	u32 pos;
	u32 to;
	u32 *lat;
	unsigned int cpu;
	ktime_t start;
	u64 t_start;
	u64 t_end;
	u64 t_first;
	unsigned int backoff_us;
	u64 retries;
	int err;
	struct completion done;
};

static __always_inline int bench_write_one(struct bench_map *m,
					   enum bench_wphase ph,
					   const u64 *key)
{
	switch (ph) {
	case WP_INSERT:
		return bench_insert(m, key);
	case WP_DELETE:
		return bench_delete(m, key);
	default:
		return bench_update(m, key);
	}
}

/*
 * Up to BENCH_WRITER_BATCH writes of @w; a refused write ends the batch
 * with &bench_writer.backoff_us set. A writer that fails sets
 * &bench_map.stop, so that the others end within a write rather than run
 * to the end of their keys. Return: true when the writer is done (all its
 * keys written, an error, or stopped): &bench_writer.done is completed.
 */
static bool bench_writer_batch(struct bench_writer *w)
{
	u32 end = min(w->pos + BENCH_WRITER_BATCH, w->to);
	int err;

	if (!w->t_start)
		w->t_start = ktime_get_ns();
	if (READ_ONCE(w->m->stop)) {
		w->err = -ECANCELED;
		goto done;
	}
	if (unlikely(raw_smp_processor_id() != w->cpu)) {
		w->err = -EAGAIN;
		WRITE_ONCE(w->m->stop, true);
		goto done;
	}
	while (w->pos < end) {
		u64 t0 = w->lat ? ktime_get_ns() : 0;

		err = bench_write_one(w->m, w->ph, &w->keys[w->pos]);
		if (unlikely(err == -ENOMEM || err == -EBUSY)) {
			/* Let the map's worker, or the allocator, catch up. */
			w->retries++;
			if (w->lat && !w->t_first)
				w->t_first = t0;
			w->backoff_us = w->backoff_us ?
					min(2 * w->backoff_us,
					    BENCH_BACKOFF_MAX_US) :
					BENCH_BACKOFF_MIN_US;
			return false;
		}
		if (unlikely(err)) {
			/* An update's retry loop ends with -ENOENT on stop. */
			w->err = READ_ONCE(w->m->stop) ? -ECANCELED : err;
			WRITE_ONCE(w->m->stop, true);
			goto done;
		}
		if (w->lat) {
			if (w->t_first) {
				t0 = w->t_first;
				w->t_first = 0;
			}
			w->lat[w->pos] = min_t(u64, ktime_get_ns() - t0,
					       U32_MAX);
		}
		w->backoff_us = 0;
		w->pos++;
	}
	if (w->pos < w->to)
		return false;
done:
	w->t_end = ktime_get_ns();
	complete_all(&w->done);
	return true;
}

static void bench_writer_tasklet(struct tasklet_struct *t)
{
	struct bench_writer *w = from_tasklet(w, t, tasklet);

	if (bench_writer_batch(w))
		return;
	if (w->backoff_us)
		hrtimer_start(&w->timer,
			      ns_to_ktime((u64)w->backoff_us * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_PINNED_SOFT);
	else
		tasklet_schedule(t);
}

/* In softirq on the writer's CPU: its first batch, or after a back-off. */
static enum hrtimer_restart bench_writer_timer(struct hrtimer *timer)
{
	struct bench_writer *w = container_of(timer, struct bench_writer,
					      timer);

	tasklet_schedule(&w->tasklet);
	return HRTIMER_NORESTART;
}

/* On the writer's CPU (by IPI, or called there): arm its first batch. */
static void bench_writer_arm(void *arg)
{
	struct bench_writer *w = arg;

	hrtimer_start(&w->timer, w->start, HRTIMER_MODE_ABS_PINNED_SOFT);
}

static int bench_writer_thread(void *arg)
{
	struct bench_writer *w = arg;

	while (!bench_writer_batch(w)) {
		if (w->backoff_us)
			usleep_range(w->backoff_us, w->backoff_us);
		else
			cond_resched();
	}
	/* Wait for kthread_stop(). */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/*
 * Start the writers from softirq: each one's timer armed on its CPU, all
 * for the same moment. Context: cpus_read_lock() held. Return: 0, or the
 * error of smp_call_function_single(): the writers not armed are done
 * with it, and &bench_map.stop is set for those armed.
 */
static int bench_writers_kick(struct bench_writer *w, unsigned int nw)
{
	ktime_t start = ktime_add_us(ktime_get(), BENCH_WRITER_START_US);
	unsigned int i;
	int err;

	for (i = 0; i < nw; i++) {
		tasklet_setup(&w[i].tasklet, bench_writer_tasklet);
		hrtimer_init(&w[i].timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_ABS_PINNED_SOFT);
		w[i].timer.function = bench_writer_timer;
		w[i].start = start;
	}
	for (i = 0; i < nw; i++) {
		err = smp_call_function_single(w[i].cpu, bench_writer_arm,
					       &w[i], 1);
		if (err) {
			WRITE_ONCE(w[i].m->stop, true);
			for (; i < nw; i++) {
				w[i].err = err;
				complete_all(&w[i].done);
			}
			return err;
		}
	}
	return 0;
}

/*
 * Start the writers in process context: kthreads bound to their CPUs.
 * Context: cpus_read_lock() held.
 */
static int bench_writers_spawn(struct bench_writer *w, unsigned int nw)
{
	unsigned int i;

	for (i = 0; i < nw; i++) {
		w[i].task = kthread_create_on_cpu(bench_writer_thread, &w[i],
						  w[i].cpu, "hmap_bench_w/%u");
		if (IS_ERR(w[i].task)) {
			int err = PTR_ERR(w[i].task);

			while (i-- > 0)
				kthread_stop(w[i].task);
			return err;
		}
	}
	for (i = 0; i < nw; i++)
		wake_up_process(w[i].task);
	return 0;
}

/**
 * struct bench_wresult - what one writers phase measured
 * @wall_ns: from the first writer's start to the last one's end.
 * @retries: writes made again (&bench_writer.retries), all writers.
 */
struct bench_wresult {
	u64 wall_ns;
	u64 retries;
};

/*
 * Run phase @ph on @m with @nw writers, each on its own online CPU (the
 * first @nw of them), from softirq if @m is atomic, else from kthreads:
 * the @n keys split into @nw ranges, one a writer; for WP_UPDATE_SHARED
 * every writer writes all @n keys, in the same order. @lat, if not NULL
 * (and not WP_UPDATE_SHARED), gets the latency of every write.
 *
 * cpus_read_lock() is held while the CPUs are chosen and the writers
 * started only: a writer that finds itself on another CPU later (its CPU
 * went offline and the tasklet, timer or kthread moved) fails the phase
 * with -EAGAIN rather than measure fewer CPUs. A writer that fails stops
 * the others (bench_writer_batch()).
 *
 * Return: 0, -ETIMEDOUT if the writers were still at it after
 * writer_timeout_ms (they are stopped), -EAGAIN, -ENODEV (fewer than @nw
 * CPUs online), -ENXIO (an IPI to start a writer failed), -ENOMEM, the
 * error of kthread_create_on_cpu(), or the error of a write.
 */
static int bench_writers_run(struct bench_map *m, enum bench_wphase ph,
			     const u64 *keys, u32 n, unsigned int nw, u32 *lat,
			     struct bench_wresult *res)
{
	unsigned long left = msecs_to_jiffies(writer_timeout_ms);
	bool shared = ph == WP_UPDATE_SHARED;
	u64 start = U64_MAX, end = 0;
	struct bench_writer *w;
	unsigned int i, cpu;
	int err = 0;

	w = kcalloc(nw, sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	cpus_read_lock();
	i = 0;
	for_each_online_cpu(cpu) {
		if (i == nw)
			break;
		w[i].m = m;
		w[i].ph = ph;
		w[i].keys = keys;
		w[i].pos = shared ? 0 : div_u64((u64)n * i, nw);
		w[i].to = shared ? n : div_u64((u64)n * (i + 1), nw);
		w[i].lat = shared ? NULL : lat;
		w[i].cpu = cpu;
		init_completion(&w[i].done);
		i++;
	}
	if (i < nw) {
		cpus_read_unlock();
		err = -ENODEV;
		goto free;
	}
	if (m->atomic) {
		err = bench_writers_kick(w, nw);
	} else {
		err = bench_writers_spawn(w, nw);
		if (err) {
			cpus_read_unlock();
			goto free;
		}
	}
	cpus_read_unlock();

	for (i = 0; i < nw && !err; i++) {
		left = wait_for_completion_timeout(&w[i].done, left);
		if (!left) {
			pr_err("%s %s: writers still at it after %u ms\n",
			       bench_kind_name[m->kind], bench_wphase_name[ph],
			       writer_timeout_ms);
			err = -ETIMEDOUT;
		}
	}
	/*
	 * Every retry loop reads m->stop: a writer ends within a write. All
	 * are waited for again, those waited for above included (their
	 * completion stays done).
	 */
	if (err)
		WRITE_ONCE(m->stop, true);
	for (i = 0; i < nw; i++)
		wait_for_completion(&w[i].done);

	res->retries = 0;
	for (i = 0; i < nw; i++) {
		if (m->atomic) {
			/*
			 * In this order because done was completed by the
			 * tasklet's last run, which armed no timer and did
			 * not schedule itself again (or, for a writer never
			 * armed, by bench_writers_kick()): once the timer is
			 * cancelled and the tasklet killed, neither runs.
			 */
			hrtimer_cancel(&w[i].timer);
			tasklet_kill(&w[i].tasklet);
		} else {
			kthread_stop(w[i].task);
		}
		/* The error of the writer that failed, not of those stopped. */
		if (w[i].err && (!err || err == -ECANCELED))
			err = w[i].err;
		start = min(start, w[i].t_start);
		end = max(end, w[i].t_end);
		res->retries += w[i].retries;
	}
	res->wall_ns = end - start;
	if (err)
		pr_err("%s %s (%u writers): %d\n", bench_kind_name[m->kind],
		       bench_wphase_name[ph], nw, err);
free:
	kfree(w);
	return err;
}

static u64 bench_map_count(struct bench_map *m)
{
	if (m->kind == BENCH_HMAP)
		return hmap_count(m->hm);
	return atomic_read(&m->ht.nelems);
}

/**
 * struct bench_wtimes - a writers phase over the rounds
 * @t: the time of every round.
 * @retries: writes made again, all rounds.
 */
struct bench_wtimes {
	struct bench_times t;
	u64 retries;
};

/*
 * One round on a new map written by @nw writers, from softirq if @atomic
 * (else from process context): insert the keys (growing from empty),
 * update them, with more than one writer update them all from every
 * writer, delete them (shrinking to empty); the map settles between
 * phases. Each phase that completes adds its time and retries to @t (if
 * not NULL). With @lat: the insert phase only, each write timed, its
 * retries in *@retries.
 *
 * Return: 0, or the error of the phase that failed (bench_writers_run(),
 * or -EIO if the map then holds the wrong number of keys), which is put
 * in *@failed; the phases after it are not run. A map that cannot be
 * created (its error) fails WP_INSERT.
 */
static int bench_writers_round(enum bench_kind kind, bool atomic,
			       struct bench_keys *k, unsigned int nw,
			       struct bench_wtimes *t, u32 *lat, u64 *retries,
			       enum bench_wphase *failed)
{
	struct bench_wresult res;
	struct bench_map *m;
	enum bench_wphase ph;
	int err;

	*failed = WP_INSERT;
	m = bench_map_new(kind, false, atomic);
	if (IS_ERR(m))
		return PTR_ERR(m);
	/* The writers retry a refused insert themselves, after a back-off. */
	m->retry_busy = false;
	for (ph = 0; ph < WP_COUNT; ph++) {
		if (ph == WP_UPDATE_SHARED && nw == 1)
			continue;
		*failed = ph;
		if (ph != WP_INSERT)
			bench_map_settle(m);
		err = bench_writers_run(m, ph, k->hit, k->n, nw, lat, &res);
		if (err)
			break;
		err = bench_check(m, bench_wphase_name[ph],
				  bench_map_count(m),
				  ph == WP_DELETE ? 0 : k->n);
		if (err)
			break;
		if (t) {
			bench_times_add(&t[ph].t, res.wall_ns,
					ph == WP_UPDATE_SHARED ? nw : 1);
			t[ph].retries += res.retries;
		}
		if (lat) {
			*retries = res.retries;
			break;
		}
	}
	bench_map_free(m);
	return err;
}

static void bench_wtimes_emit(enum bench_kind kind, bool atomic, u32 n,
			      unsigned int nw, enum bench_wphase ph,
			      struct bench_wtimes *t)
{
	struct bench_json *j = &bench_out;
	char phase[32];

	if (!t->t.nr)
		return;
	snprintf(phase, sizeof(phase), "%s_%s_w%u", bench_wctx(atomic),
		 bench_wphase_name[ph], nw);
	bench_times_record(kind, n, phase, &t->t);
	bench_json_u64(j, "writers", nw);
	bench_json_str(j, "context", atomic ? "softirq" : "process");
	bench_json_u64(j, "retries", t->retries);
	bench_json_emit(j, "HMAP-BENCH");
}

/*
 * A writers phase (@lat: the insert-latency pass) that gives no figures
 * because it failed with @err: an HMAP-BENCH-INFO line "timed_out" (with
 * "msec", the limit) for -ETIMEDOUT, else "failed" (with "error", the
 * -errno); "writers" is @nw.
 */
static void bench_writers_failed(enum bench_kind kind, bool atomic, u32 n,
				 unsigned int nw, enum bench_wphase ph,
				 bool lat, int err)
{
	struct bench_json *j = &bench_out;
	char phase[32];

	if (lat)
		snprintf(phase, sizeof(phase), "%s_w%u_insert_lat",
			 bench_wctx(atomic), nw);
	else
		snprintf(phase, sizeof(phase), "%s_%s_w%u",
			 bench_wctx(atomic), bench_wphase_name[ph], nw);
	bench_json_start(j);
	bench_json_str(j, "structure", bench_kind_name[kind]);
	bench_json_u64(j, "n", n);
	bench_json_str(j, err == -ETIMEDOUT ? "timed_out" : "failed", phase);
	bench_json_u64(j, "writers", nw);
	if (err == -ETIMEDOUT) {
		bench_json_u64(j, "msec", writer_timeout_ms);
	} else {
		bench_json_key(j, "error");
		bench_json_raw(j, "%d", err);
	}
	bench_json_emit(j, "HMAP-BENCH-INFO");
}

/*
 * writers N REPS [task]: with one writer (on the first online CPU), then
 * one on each online CPU (up to BENCH_WRITERS_MAX), REPS rounds of
 * bench_writers_round() per map, the maps alternating which goes first;
 * the best round is reported. Then one more insert phase per map and
 * number of writers with every write timed, whose records also carry the
 * writes made again ("retries"). From softirq, or with "task" from
 * process context. An HMAP-BENCH-INFO line "writer_timeout_msec" comes
 * first.
 *
 * A phase that times out or fails is reported as an HMAP-BENCH-INFO line,
 * "timed_out" or "failed" (bench_writers_failed()), and costs, for its
 * map and number of writers only: that phase's figures, those of the
 * rounds before it too; the rounds after it, which are not run, so that
 * the phases before it have the rounds up to and including the one that
 * failed and those after it the rounds before it (no figures if none);
 * and, if it was the insert phase, the insert-latency pass, which is not
 * run. A latency pass that fails costs its own figures only. The other
 * map and the other number of writers are run and reported in full, and
 * the command fails with the first error.
 *
 * Return: 0, -EINVAL (N or REPS out of range), -ENOMEM, or the first
 * error of a phase (bench_writers_round()).
 */
static int bench_writers(u32 n, u32 reps, bool atomic)
{
	unsigned int nws[2] = {
		1, min_t(unsigned int, num_online_cpus(), BENCH_WRITERS_MAX)
	};
	unsigned int r, c, i, ph, kind, configs = nws[1] > 1 ? 2 : 1;
	/* Per map and number of writers: 1 + the phase that failed, or 0. */
	unsigned int failed[BENCH_KINDS][2] = {};
	struct bench_json *j = &bench_out;
	struct bench_wtimes (*t)[2][WP_COUNT];
	u32 *lat = NULL, *tmp = NULL;
	enum bench_wphase fph;
	struct bench_keys k;
	char prefix[16];
	int err, ret = 0;
	u64 retries;

	if (n < BENCH_WRITERS_MAX || n > BENCH_N_MAX || !reps ||
	    reps > BENCH_REPS_MAX)
		return -EINVAL;
	t = kcalloc(BENCH_KINDS, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	err = bench_keys_alloc(&k, n, false);
	if (err) {
		kfree(t);
		return err;
	}
	bench_json_start(j);
	bench_json_u64(j, "writer_timeout_msec", writer_timeout_ms);
	bench_json_emit(j, "HMAP-BENCH-INFO");

	for (r = 0; r < reps; r++)
		for (c = 0; c < configs; c++)
			for (i = 0; i < BENCH_KINDS; i++) {
				kind = (i + r) % BENCH_KINDS;
				if (failed[kind][c])
					continue;
				err = bench_writers_round(kind, atomic, &k,
							  nws[c], t[kind][c],
							  NULL, NULL, &fph);
				if (!err)
					continue;
				bench_writers_failed(kind, atomic, n, nws[c],
						     fph, false, err);
				failed[kind][c] = fph + 1;
				ret = ret ?: err;
			}
	for (kind = 0; kind < BENCH_KINDS; kind++)
		for (c = 0; c < configs; c++)
			for (ph = 0; ph < WP_COUNT; ph++)
				if (failed[kind][c] != ph + 1)
					bench_wtimes_emit(kind, atomic, n,
							  nws[c], ph,
							  &t[kind][c][ph]);

	lat = vmalloc(array_size(n, sizeof(*lat)));
	tmp = vmalloc(array_size(n, sizeof(*tmp)));
	for (c = 0; c < configs; c++)
		for (kind = 0; kind < BENCH_KINDS; kind++) {
			/*
			 * Not the phase that failed again: another timeout
			 * would cost writer_timeout_ms more.
			 */
			if (failed[kind][c] == WP_INSERT + 1)
				continue;
			err = lat && tmp ?
			      bench_writers_round(kind, atomic, &k, nws[c],
						  NULL, lat, &retries, &fph) :
			      -ENOMEM;
			if (err) {
				bench_writers_failed(kind, atomic, n, nws[c],
						     WP_INSERT, true, err);
				ret = ret ?: err;
				continue;
			}
			snprintf(prefix, sizeof(prefix), "%s_w%u_",
				 bench_wctx(atomic), nws[c]);
			bench_latency_percentiles(kind, lat, tmp, n, prefix,
						  &retries);
		}
	vfree(tmp);
	vfree(lat);
	bench_keys_free(&k);
	kfree(t);
	return ret;
}

/* ---- hash ---- */

enum bench_hash {
	HASH_SIP8,
	HASH_JHASH8,
	HASH_HSIP8,
	HASH_SIP32,
	HASH_JHASH32,
	HASH_HSIP32,
	HASH_COUNT,
};

static const char *const bench_hash_name[HASH_COUNT] = {
	[HASH_SIP8] = "siphash_8",
	[HASH_JHASH8] = "jhash2_8",
	[HASH_HSIP8] = "hsiphash_8",
	[HASH_SIP32] = "siphash_32",
	[HASH_JHASH32] = "jhash2_32",
	[HASH_HSIP32] = "hsiphash_32",
};

static const char *const bench_hash_user[HASH_COUNT] = {
	[HASH_SIP8] = "SipHash-2-4, siphash_1u64()",
	[HASH_JHASH8] = "jhash2(), rhashtable's default",
	[HASH_HSIP8] = "SipHash-1-3 rounds, hsiphash_2u32()",
	[HASH_SIP32] = "SipHash-2-4, siphash_4u64()",
	[HASH_JHASH32] = "jhash2(), rhashtable's default",
	[HASH_HSIP32] = "SipHash-1-3 rounds, hsiphash()",
};

static noinline u64 bench_hash_loop(enum bench_hash h, struct bench_keys *k,
				    u32 passes)
{
	siphash_key_t skey;
	hsiphash_key_t hkey;
	u32 seed, i, p;
	u64 sum = 0, t0;

	get_random_bytes(&skey, sizeof(skey));
	get_random_bytes(&hkey, sizeof(hkey));
	seed = get_random_u32();
	t0 = ktime_get_ns();
	for (p = 0; p < passes; p++) {
		for (i = 0; i < k->n; i++) {
			const u64 *w = k->hit32[i].w;

			switch (h) {
			case HASH_SIP8:
				sum += siphash_1u64(k->hit[i], &skey);
				break;
			case HASH_JHASH8:
				sum += jhash2((const u32 *)&k->hit[i], 2, seed);
				break;
			case HASH_HSIP8:
				sum += hsiphash_2u32(k->hit[i], k->hit[i] >> 32,
						     &hkey);
				break;
			case HASH_SIP32:
				sum += siphash_4u64(w[0], w[1], w[2], w[3],
						    &skey);
				break;
			case HASH_JHASH32:
				sum += jhash2((const u32 *)w, 8, seed);
				break;
			default:
				sum += hsiphash(w, 32, &hkey);
				break;
			}
		}
		cond_resched();
	}
	t0 = ktime_get_ns() - t0;
	WRITE_ONCE(bench_sink, bench_sink + sum);
	return t0;
}

/* The hash functions the two maps use, by themselves, on the same keys. */
static int bench_hash(u32 n)
{
	struct bench_json *j = &bench_out;
	u32 passes = bench_passes(n);
	struct bench_keys k;
	unsigned int h;
	int err;

	if (!n || n > BENCH_N_MAX)
		return -EINVAL;
	err = bench_keys_alloc(&k, n, true);
	if (err)
		return err;
	for (h = 0; h < HASH_COUNT; h++) {
		u64 ns = bench_hash_loop(h, &k, passes);

		bench_json_start(j);
		bench_json_str(j, "structure", "hash");
		bench_json_u64(j, "n", n);
		bench_json_str(j, "phase", bench_hash_name[h]);
		bench_json_div(j, "ns_per_op", ns, (u64)n * passes);
		bench_json_u64(j, "ops", (u64)n * passes);
		bench_json_str(j, "user", bench_hash_user[h]);
		bench_json_emit(j, "HMAP-BENCH");
	}
	bench_keys_free(&k);
	return 0;
}

/* ---- stall: what the emulator and the host take from any loop ---- */

/* Longest "stall": it holds cpus_read_lock() and waits uninterruptibly. */
#define BENCH_STALL_MSEC_MAX	60000U

/*
 * One CPU's empty loop: consecutive ktime_get_ns() reads with preemption
 * off (interrupts on), for @msec in holds of at most a second (so that
 * RCU and the watchdogs see the CPU between them); the gaps between reads
 * are what any write on that CPU would have lost at that moment to
 * interrupts, to the emulator and to the host's scheduler.
 */
struct bench_stall {
	struct task_struct *task;
	unsigned int cpu;
	u32 msec;
	u64 max_gap;
	u64 over_100us;
	u64 over_1ms;
	u64 reads;
	struct completion done;
};

static int bench_stall_thread(void *arg)
{
	struct bench_stall *s = arg;
	u64 now = ktime_get_ns(), end = now + (u64)s->msec * NSEC_PER_MSEC;
	u64 prev, gap, hold_end, max_gap = 0, over_100us = 0, over_1ms = 0;
	u64 reads = 0;

	/* Counted in locals: the CPUs' records share cache lines. */
	while (now < end && !kthread_should_stop()) {
		hold_end = min(end, now + NSEC_PER_SEC);
		preempt_disable();
		prev = ktime_get_ns();
		do {
			now = ktime_get_ns();
			gap = now - prev;
			prev = now;
			reads++;
			max_gap = max(max_gap, gap);
			over_100us += gap > 100 * NSEC_PER_USEC;
			over_1ms += gap > NSEC_PER_MSEC;
		} while (now < hold_end);
		preempt_enable();
		cond_resched();
		now = ktime_get_ns();
	}
	s->max_gap = max_gap;
	s->over_100us = over_100us;
	s->over_1ms = over_1ms;
	s->reads = reads;
	complete(&s->done);
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/*
 * "stall MSEC [NCPU]": the empty loop on the first @ncpu online CPUs
 * (0: every one) at once for @msec (at most %BENCH_STALL_MSEC_MAX); one
 * HMAP-BENCH-INFO line per CPU: the longest gap, the gaps over 100 us and
 * over 1 ms, the reads made, and how many CPUs looped ("cpus"). Return:
 * 0, -EINVAL for a bad @msec or @ncpu, -ENOMEM, or the error of
 * kthread_create_on_cpu().
 */
static int bench_stall(u32 msec, u32 ncpu)
{
	struct bench_json *j = &bench_out;
	unsigned int nr = 0, i, cpu;
	struct bench_stall *s;
	int err = 0;

	if (!msec || msec > BENCH_STALL_MSEC_MAX)
		return -EINVAL;
	cpus_read_lock();
	if (ncpu > num_online_cpus()) {
		cpus_read_unlock();
		return -EINVAL;
	}
	ncpu = ncpu ?: num_online_cpus();
	s = kcalloc(ncpu, sizeof(*s), GFP_KERNEL);
	if (!s) {
		cpus_read_unlock();
		return -ENOMEM;
	}
	for_each_online_cpu(cpu) {
		if (nr == ncpu)
			break;
		s[nr].cpu = cpu;
		s[nr].msec = msec;
		init_completion(&s[nr].done);
		s[nr].task = kthread_create_on_cpu(bench_stall_thread, &s[nr],
						   cpu, "hmap_bench_s/%u");
		if (IS_ERR(s[nr].task)) {
			err = PTR_ERR(s[nr].task);
			break;
		}
		nr++;
	}
	/* Started only once all exist: an error stops them unstarted. */
	if (!err)
		for (i = 0; i < nr; i++)
			wake_up_process(s[i].task);
	for (i = 0; i < nr; i++) {
		if (!err)
			wait_for_completion(&s[i].done);
		kthread_stop(s[i].task);
	}
	cpus_read_unlock();
	for (i = 0; i < nr && !err; i++) {
		bench_json_start(j);
		bench_json_str(j, "what", "stall");
		bench_json_u64(j, "cpu", s[i].cpu);
		bench_json_u64(j, "cpus", nr);
		bench_json_u64(j, "msec", msec);
		bench_json_u64(j, "max_gap_ns", s[i].max_gap);
		bench_json_u64(j, "gaps_over_100us", s[i].over_100us);
		bench_json_u64(j, "gaps_over_1ms", s[i].over_1ms);
		bench_json_u64(j, "reads", s[i].reads);
		bench_json_emit(j, "HMAP-BENCH-INFO");
	}
	kfree(s);
	return err;
}

/* ---- fill / loop / drop, for profiling ---- */

static void bench_prof_drop(void)
{
	if (!bench_prof_live)
		return;
	bench_map_destroy(&bench_prof_map);
	bench_keys_free(&bench_prof_keys);
	bench_prof_live = false;
}

static int bench_prof_fill(const char *name, u32 n)
{
	enum bench_kind kind;
	bool k32;
	int err;

	if (!n || n > BENCH_N_MAX)
		return -EINVAL;
	if (!strncmp(name, "hmap", 4))
		kind = BENCH_HMAP;
	else if (!strncmp(name, "rhashtable", 10))
		kind = BENCH_RHT;
	else
		return -EINVAL;
	k32 = !!strstr(name, "_k32");
	bench_prof_drop();
	bench_prof_jhash = kind == BENCH_HMAP && strstr(name, "_jhash");
	/* A core from before HMAP_F_JHASH would hash with SipHash. */
	if (bench_prof_jhash && !HMAP_F_JHASH)
		return -EOPNOTSUPP;
	strscpy(bench_prof_name, name, sizeof(bench_prof_name));
	err = bench_keys_alloc(&bench_prof_keys, n, k32);
	if (err)
		return err;
	err = bench_map_create_flags(&bench_prof_map, kind, k32, false,
				     bench_prof_jhash ? HMAP_F_JHASH : 0);
	if (err)
		goto free_keys;
	bench_insert_all(&bench_prof_map, bench_prof_keys.hit32 ?:
			 (void *)bench_prof_keys.hit, n, &err);
	if (err)
		goto destroy;
	bench_map_settle(&bench_prof_map);
	bench_prof_live = true;
	return 0;

destroy:
	bench_map_destroy(&bench_prof_map);
free_keys:
	bench_keys_free(&bench_prof_keys);
	return err;
}

/*
 * Repeat @phase on the filled map for @msec: lookup_hit, lookup_miss,
 * churn (delete and insert back every key), update (replace the value of
 * every key: bench_update(); 8-byte keys only), or grow (insert every key
 * into a new empty map; the map is destroyed and made again between
 * passes, which ns/op leaves out: the destroy waits for the frees, mostly
 * asleep; the profile's samples still take in the frees' own work).
 */
static int bench_prof_loop(const char *phase, u32 msec)
{
	struct bench_map *m = &bench_prof_map;
	struct bench_keys *k = &bench_prof_keys;
	size_t ksize = m->k32 ? sizeof(struct bench_key32) : sizeof(u64);
	const void *hit = k->hit32 ?: (void *)k->hit;
	const void *miss = k->miss32 ?: (void *)k->miss;
	u64 end, ops = 0, skipped = 0, t0 = ktime_get_ns(), t1;
	struct bench_json *j = &bench_out;
	u32 n = k->n, i, found;
	int err = 0;

	if (!bench_prof_live || !msec || msec > BENCH_MSEC_MAX)
		return -EINVAL;
	if (strcmp(phase, "lookup_hit") && strcmp(phase, "lookup_miss") &&
	    strcmp(phase, "churn") && strcmp(phase, "grow") &&
	    (strcmp(phase, "update") || m->k32))
		return -EINVAL;
	end = t0 + (u64)msec * NSEC_PER_MSEC;

	while (!err && ktime_get_ns() < end) {
		if (!strncmp(phase, "lookup", 6)) {
			bench_lookup_all(m, strcmp(phase, "lookup_hit") ? miss : hit,
					 n, 1, &found);
			ops += n;
		} else if (!strcmp(phase, "grow")) {
			enum bench_kind kind = m->kind;
			bool k32 = m->k32;

			t1 = ktime_get_ns();
			bench_map_destroy(m);
			err = bench_map_create_flags(m, kind, k32, false,
						     bench_prof_jhash ?
						     HMAP_F_JHASH : 0);
			skipped += ktime_get_ns() - t1;
			if (err) {
				bench_keys_free(k);
				bench_prof_live = false;
				return err;
			}
			bench_insert_all(m, hit, n, &err);
			ops += n;
		} else if (!strcmp(phase, "update")) {
			for (i = 0; i < n && !err; i++) {
				err = bench_update(m, &k->hit[i]);
				if (!(i & BENCH_RESCHED_MASK))
					cond_resched();
			}
			ops += i;
		} else {
			for (i = 0; i < n && !err; i++) {
				err = bench_delete(m, hit + i * ksize);
				if (!err)
					err = bench_insert(m, hit + i * ksize);
				if (!(i & BENCH_RESCHED_MASK))
					cond_resched();
			}
			ops += 2 * i;
		}
	}
	bench_record(j, m->kind, n, "profile_loop");
	bench_json_str(j, "loop", phase);
	bench_json_str(j, "map", bench_prof_name);
	bench_json_u64(j, "key_size", m->k32 ? 32 : 8);
	bench_json_div(j, "ns_per_op", ktime_get_ns() - t0 - skipped, ops);
	bench_json_u64(j, "ops", ops);
	bench_json_emit(j, "HMAP-BENCH-INFO");
	return err;
}

/* ---- debugfs ---- */

static int bench_command(char *line)
{
	char word[16], name[16];
	u32 a, b;

	if (sscanf(line, "suite %u %u", &a, &b) == 2)
		return bench_suite(a, b);
	if (sscanf(line, "latency %u %u", &a, &b) == 2)
		return bench_latency(a, b);
	if (sscanf(line, "mixed %u %u %15s", &a, &b, name) == 3)
		return bench_mixed(a, b, strcmp(name, "hmap") ? BENCH_RHT :
				   BENCH_HMAP);
	if (sscanf(line, "mixed %u %u", &a, &b) == 2)
		return bench_mixed(a, b, -1);
	if (sscanf(line, "writers %u %u %15s", &a, &b, word) == 3)
		return strcmp(word, "task") ? -EINVAL :
		       bench_writers(a, b, false);
	if (sscanf(line, "writers %u %u", &a, &b) == 2)
		return bench_writers(a, b, true);
	if (sscanf(line, "hash %u", &a) == 1)
		return bench_hash(a);
	if (sscanf(line, "stall %u %u", &a, &b) == 2)
		return bench_stall(a, b);
	if (sscanf(line, "stall %u", &a) == 1)
		return bench_stall(a, 0);
	if (sscanf(line, "fill %15s %u", name, &a) == 2)
		return bench_prof_fill(name, a);
	if (sscanf(line, "loop %15s %u", word, &a) == 2)
		return bench_prof_loop(word, a);
	if (sscanf(line, "%15s", word) == 1 && !strcmp(word, "drop")) {
		bench_prof_drop();
		return 0;
	}
	return -EINVAL;
}

static ssize_t bench_run_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char line[64];
	int err;

	if (len >= sizeof(line))
		return -EINVAL;
	if (copy_from_user(line, ubuf, len))
		return -EFAULT;
	line[len] = '\0';

	mutex_lock(&bench_lock);
	err = bench_command(line);
	mutex_unlock(&bench_lock);
	if (err)
		pr_err("'%s' failed: %d\n", strim(line), err);
	return err ?: len;
}

static const struct file_operations bench_run_fops = {
	.owner = THIS_MODULE,
	.write = bench_run_write,
	.llseek = noop_llseek,
};

static int __init hmap_bench_init(void)
{
	if (!writer_timeout_ms)
		return -EINVAL;
	bench_dir = debugfs_create_dir("hmap_bench", NULL);
	debugfs_create_file("run", 0200, bench_dir, NULL, &bench_run_fops);
	return 0;
}

static void __exit hmap_bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
	mutex_lock(&bench_lock);
	bench_prof_drop();
	mutex_unlock(&bench_lock);
}

module_init(hmap_bench_init);
module_exit(hmap_bench_exit);

MODULE_DESCRIPTION("hmap against rhashtable: in-kernel benchmarks");
MODULE_LICENSE("GPL");
