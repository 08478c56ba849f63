// SPDX-License-Identifier: GPL-2.0
/*
 * Native tests of the hmap core, built with AddressSanitizer and
 * UndefinedBehaviorSanitizer:
 *
 * - differential model runs (hmap_model.c): millions of random operations,
 *   each result checked against a model, in waves that grow and shrink the
 *   map, with iterator and dump walks interleaved, allocation failures
 *   injected, keyed SipHash and chosen hashes that collide;
 * - walks across resizes: a walk steps once per write, so that every walk
 *   spans resizes, and must return each stable key exactly once;
 * - readers: threads look up keys present throughout while a writer grows
 *   and shrinks the map and the worker evacuates, and must never miss one
 *   or see a wrong value; a walker must see each exactly once per walk;
 * - several writers at once (the striped locks), each checking every result
 *   against its own model of the keys it owns, beside those readers and
 *   walker, with shared keys, in a tiny map, with allocation failures and
 *   for an HMAP_F_ATOMIC map; the final state is checked against the
 *   models;
 * - writers past the chain cap while bucket arrays fail: never more than
 *   one array allocation in flight, however many writers find the grow
 *   due, and the map grows once arrays can be had.
 *
 * Prints one "ok"/"not ok" line per test and ends with
 * "hmap_test: N passed, N failed". -q scales the runs down (make check),
 * -s N scales them by N, -t NAME runs one test.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/err.h>
#include <linux/hash.h>
#include <linux/hmap.h>
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>

#include "hmap_core.h"
#include "hmap_internal.h"
#include "hmap_model.h"
#include "hmap_shim.h"

static double scale = 1.0;

static u64 splitmix(void *state)
{
	u64 *s = state, z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 scaled(u64 n)
{
	u64 s = n * scale;

	return s ? s : 1;
}

static double now_s(void)
{
	return ktime_get_ns() / 1e9;
}

/*
 * Whether @st shows a map at rest: no resize, and none due for its count
 * (the thresholds of hmap_internal.h: a grow above HMAP_LOAD_NUM /
 * HMAP_LOAD_DEN entries per bucket and 8 entries, a shrink below
 * HMAP_LOAD_NUM / HMAP_SHRINK_DEN and B > 0).
 */
static bool settled(const struct hmap_stats *st)
{
	u64 load = (u64)HMAP_LOAD_NUM << st->B;

	return !st->resizing &&
	       !(st->count > HMAP_BUCKET_SLOTS &&
		 st->count * HMAP_LOAD_DEN > load) &&
	       !(st->B && st->count * HMAP_SHRINK_DEN < load);
}

/*
 * Wait, without writing, up to @secs for @done(*@st) (checked every
 * millisecond); into *@st @map's stats then. Return the milliseconds
 * waited.
 */
static double wait_stats(struct hmap *map, struct hmap_stats *st,
			 bool (*done)(const struct hmap_stats *), double secs)
{
	double t0 = now_s();

	do {
		usleep(1000);
		hmap_get_stats(map, st);
	} while (!done(st) && now_s() - t0 < secs);
	return (now_s() - t0) * 1000;
}

/* Wait up to 5 s for @map to come to rest (settled()), into *@st. */
static double settle(struct hmap *map, struct hmap_stats *st)
{
	return wait_stats(map, st, settled, 5);
}

/* A test's verdict and what it reports. */
struct result {
	bool ok;
	char note[320];
};

/* ---- Differential model runs ---- */

/*
 * @ops random operations in waves of @wave: inserts outweigh deletes, then
 * the other way round. Then every key is checked and the map destroyed.
 * Fails unless it grew and shrank at least @min_resizes times.
 */
static void model_run(struct result *res, const struct hm_config *cfg,
		      u64 ops, u64 wave, u64 seed, u64 min_resizes,
		      bool walk_every_op)
{
	unsigned long failed = hmap_shim_failed_allocs(), arms = 0;
	struct hmap_stats st;
	struct hm_ctx c;
	struct hm_op op;
	u64 rs = seed, i, resizes;
	double t0 = now_s();
	int err;

	err = hm_init(&c, cfg);
	if (err) {
		snprintf(res->note, sizeof(res->note), "set-up: %d", err);
		res->ok = false;
		hm_fini(&c);
		return;
	}
	for (i = 0; i < ops && c.failures < 10; i++) {
		hm_random_op(&c, splitmix, &rs, &op, (i / wave) % 2 == 0);
		hm_apply(&c, &op);
		/* An armed failure is for the next random op, not a walk. */
		if (op.kind == HM_FAIL_NEXT) {
			arms++;
			continue;
		}
		if (walk_every_op) {
			struct hm_op step = { .kind = HM_ITER_STEP, .arg = 0 };
			struct hm_op dump = { .kind = HM_DUMP_STEP,
					      .arg = splitmix(&rs) % 8 };

			hm_apply(&c, &step);
			hm_apply(&c, &dump);
		}
	}
	hmap_get_stats(c.map, &st);
	resizes = st.grows + st.shrinks + st.same_size_grows;
	hm_fini(&c);
	failed = hmap_shim_failed_allocs() - failed;
	res->ok = !c.failures;
	if (res->ok && resizes < min_resizes) {
		res->ok = false;
		snprintf(res->note, sizeof(res->note),
			 "only %llu resizes, want %llu",
			 (unsigned long long)resizes,
			 (unsigned long long)min_resizes);
		return;
	}
	/*
	 * Armed often enough, some write must have met a failure: an arm
	 * fails one in 13 to 20 of them (the next op must allocate, past
	 * arg % 4 allocations), so 200 arms all missing is below 1e-6.
	 */
	if (res->ok && arms >= 200 && !failed) {
		res->ok = false;
		snprintf(res->note, sizeof(res->note),
			 "%lu failures armed, no allocation failed", arms);
		return;
	}
	snprintf(res->note, sizeof(res->note),
		 "%llu ops, %.0f ops/s; %llu grows, %llu same-size, %llu shrinks; %llu + %llu walks; %lu failed allocations%s%s",
		 (unsigned long long)c.ops, c.ops / (now_s() - t0),
		 (unsigned long long)st.grows,
		 (unsigned long long)st.same_size_grows,
		 (unsigned long long)st.shrinks,
		 (unsigned long long)c.iw.walks,
		 (unsigned long long)c.dw.walks, failed,
		 c.failures ? "; first failure: " : "",
		 c.failures ? c.first_failure : "");
}

/* Keyed SipHash, 16-byte keys: a map of up to 40,000 keys. */
static void test_model_siphash(struct result *res)
{
	struct hm_config cfg = {
		.key_size = 16, .value_size = 24, .max_entries = 1 << 20,
		.nids = 40000,
	};

	model_run(res, &cfg, scaled(2000000), scaled(100000), 1, 4, false);
}

/*
 * An HMAP_F_ATOMIC map: its writers never allocate an array, so its grows
 * and shrinks start when @prealloc_work's arrays come, beside the ops.
 */
static void test_model_atomic(struct result *res)
{
	struct hm_config cfg = {
		.key_size = 8, .value_size = 8, .max_entries = 1 << 20,
		.nids = 5000, .flags = HMAP_F_ATOMIC,
	};

	model_run(res, &cfg, scaled(400000), scaled(20000), 9, 4, false);
}

/*
 * The hash of HMAP_F_JHASH, computed apart: jhash2() of an aligned copy
 * of the key's words for a length that is a multiple of 4, else jhash(),
 * under the seed's low 32 bits, times GOLDEN_RATIO_64.
 */
static u64 jhash64_apart(const void *key, u32 len, u32 initval)
{
	u32 words[16];

	if (len % 4 || len > sizeof(words))
		return (u64)jhash(key, len, initval) * GOLDEN_RATIO_64;
	memcpy(words, key, len);
	return (u64)jhash2(words, len / 4, initval) * GOLDEN_RATIO_64;
}

/*
 * HMAP_F_JHASH, 16-byte keys (of every length up to 16, for jhash's
 * tails): a map of up to 40,000 keys; first, the map hashes every length
 * up to 40 at two alignments as computed apart (a differential run alone
 * passes whatever the hash).
 */
static void test_model_jhash(struct result *res)
{
	static const char bytes[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDE";
	struct hmap_params p = {
		.key_size = 64, .value_size = 8, .max_entries = 16,
		.flags = HMAP_F_JHASH,
	};
	struct hm_config cfg = {
		.key_size = 16, .value_size = 24, .max_entries = 1 << 20,
		.nids = 40000, .flags = HMAP_F_JHASH,
	};
	struct hmap *map = hmap_create(&p);
	unsigned int bad = 0, len, off;
	u32 initval;

	if (IS_ERR(map)) {
		res->ok = false;
		return;
	}
	initval = (u32)map->seed.key[0];
	for (len = 1; len < sizeof(bytes) - 1; len++)
		for (off = 0; off < 2; off++)
			bad += hmap_hash(map, bytes + off, len) !=
			       jhash64_apart(bytes + off, len, initval);
	hmap_destroy(map);
	if (bad) {
		res->ok = false;
		snprintf(res->note, sizeof(res->note),
			 "%u of 80 hashes differ from jhash's", bad);
		return;
	}
	model_run(res, &cfg, scaled(1000000), scaled(100000), 1, 4, false);
}

/* Chosen hashes: 37 classes, all in bucket 0 up to 4096 buckets. */
static void test_model_collisions(struct result *res)
{
	struct hm_config cfg = {
		.key_size = 24, .value_size = 8, .max_entries = 1 << 20,
		.nids = 3000, .hashes = 37,
	};

	model_run(res, &cfg, scaled(600000), scaled(20000), 2, 4, false);
}

/* Chosen hashes: 6 classes of random hashes; a max_entries that bites. */
static void test_model_equal_hashes(struct result *res)
{
	struct hm_config cfg = {
		.key_size = 40, .value_size = 100, .max_entries = 700,
		.nids = 1000, .hashes = 6, .capacity_hint = 50,
	};

	model_run(res, &cfg, scaled(400000), scaled(5000), 3, 4, false);
}

/* One-byte keys and values: 256 keys. */
static void test_model_tiny(struct result *res)
{
	struct hm_config cfg = {
		.key_size = 1, .value_size = 1, .max_entries = 200,
		.nids = 256,
	};

	model_run(res, &cfg, scaled(400000), scaled(3000), 4, 4, false);
}

/*
 * Deferred frees with no memory for the shim's batch arrays: kfree_rcu()
 * frees through the element's own rcu_head (an HMAP_F_ATOMIC map),
 * kvfree_rcu_mightsleep() after synchronize_rcu(); hm_fini() finds every
 * allocation freed, ASan any free of a wrong pointer.
 */
static void test_model_kvfree_fallback(struct result *res)
{
	struct hm_config cfg = {
		.key_size = 8, .value_size = 8, .max_entries = 1 << 20,
		.nids = 2000,
	};
	unsigned long before = hmap_shim_kvfree_rcu_fallbacks(), atomic;

	hmap_shim_kvfree_bulk_fails(true);
	cfg.flags = HMAP_F_ATOMIC;
	model_run(res, &cfg, scaled(60000), scaled(3000), 7, 4, false);
	atomic = hmap_shim_kvfree_rcu_fallbacks() - before;
	if (res->ok) {
		cfg.flags = 0;
		model_run(res, &cfg, scaled(20000), scaled(3000), 8, 4, false);
	}
	hmap_shim_kvfree_bulk_fails(false);
	if (res->ok && (!atomic || hmap_shim_kvfree_rcu_fallbacks() -
				    before == atomic)) {
		res->ok = false;
		snprintf(res->note, sizeof(res->note),
			 "fallbacks: %lu atomic, %lu sleeping", atomic,
			 hmap_shim_kvfree_rcu_fallbacks() - before - atomic);
	} else if (res->ok) {
		size_t len = strlen(res->note);

		snprintf(res->note + len, sizeof(res->note) - len,
			 "; frees by fallback: %lu atomic, %lu sleeping",
			 atomic,
			 hmap_shim_kvfree_rcu_fallbacks() - before - atomic);
	}
}

/* The background worker on, evacuating beside the writes. */
static void test_model_background(struct result *res)
{
	struct hm_config cfg = {
		.key_size = 12, .value_size = 16, .max_entries = 1 << 20,
		.nids = 20000, .background = true,
	};

	model_run(res, &cfg, scaled(1000000), scaled(60000), 5, 4, false);
}

/* Walks that step once per write, so that every walk spans resizes. */
static void test_walks_across_resizes(struct result *res)
{
	struct hm_config cfg = {
		.key_size = 16, .value_size = 8, .max_entries = 1 << 20,
		.nids = 4000, .hashes = 0,
	};

	model_run(res, &cfg, scaled(300000), scaled(8000), 6, 8, true);
}

/* The same with colliding hashes and equal hashes. */
static void test_walks_across_resizes_collisions(struct result *res)
{
	struct hm_config cfg = {
		.key_size = 16, .value_size = 8, .max_entries = 1 << 20,
		.nids = 2000, .hashes = 40,
	};

	model_run(res, &cfg, scaled(200000), scaled(6000), 7, 8, true);
}

/* A large map: grows to @n keys through many resizes, then empties. */
static void test_large(struct result *res)
{
	u32 n = scaled(1000000);
	struct hm_config cfg = {
		.key_size = 8, .value_size = 8, .max_entries = 1 << 24,
		.nids = n,
	};
	struct hm_op op = { .kind = HM_BULK_INSERT, .arg = 1000 };
	struct hm_op walk = { .kind = HM_ITER_STEP, .arg = 63 };
	struct hmap_stats st;
	double t0 = now_s();
	struct hm_ctx c;
	u32 id;

	if (hm_init(&c, &cfg)) {
		res->ok = false;
		hm_fini(&c);
		return;
	}
	for (id = 0; id < n && !c.failures; id += 1000) {
		op.id = id;
		hm_apply(&c, &op);
		hm_apply(&c, &walk);
	}
	hm_check_all(&c);
	op.kind = HM_BULK_DELETE;
	for (id = 0; id < n && !c.failures; id += 1000) {
		op.id = id;
		hm_apply(&c, &op);
		hm_apply(&c, &walk);
	}
	hmap_get_stats(c.map, &st);
	hm_fini(&c);
	/* From 1 bucket to the first that holds n at 6.5 a bucket, and back. */
	res->ok = !c.failures && st.grows >= (u64)fls(n / 7) &&
		  st.shrinks >= (u64)fls(n / 7) - 2;
	snprintf(res->note, sizeof(res->note),
		 "%u keys in and out in %.1f s; %llu grows, %llu shrinks",
		 n, now_s() - t0, (unsigned long long)st.grows,
		 (unsigned long long)st.shrinks);
}

/* ---- Readers that never miss ---- */

#define RD_STABLE	512
#define RD_CHURN	4096
#define RD_ABSENT	512
#define RD_READERS	2

struct rd_key {
	u64 id;
	u64 salt;
};

struct rd_ctx {
	struct hmap *map;
	bool stop;		/* READ_ONCE(), WRITE_ONCE() */
	u64 stable_gen[RD_STABLE];	/* written by the writer only */
	unsigned long lookups, misses, wrong, false_hits;
	unsigned long walks, walk_bad, walk_missing, walk_dups;
};

static struct rd_key rd_key(u64 id)
{
	struct rd_key k = { .id = id, .salt = id * 0x9e3779b97f4a7c15ULL };

	return k;
}

/* Stable key @id's value: the id above, a version in the low byte. */
static u64 rd_value(u64 id, u64 gen)
{
	return (id << 8) | (gen & 0xff);
}

static void *rd_reader(void *arg)
{
	struct rd_ctx *c = arg;
	u64 rs = (u64)(uintptr_t)&rs, val;
	unsigned long n = 0;
	u32 len;

	hmap_shim_rcu_register();
	hmap_shim_preempt_points(8);
	while (!READ_ONCE(c->stop)) {
		u64 r = splitmix(&rs);
		bool absent = r & 1;
		u64 id = absent ? RD_STABLE + RD_CHURN + (r >> 8) % RD_ABSENT :
				  (r >> 8) % RD_STABLE;
		struct rd_key k = rd_key(id);
		int err;

		if (r & 2) {
			err = hmap_lookup(c->map, &k, sizeof(k), &val, &len);
		} else {
			const u64 *v;

			rcu_read_lock();
			v = hmap_lookup_rcu(c->map, &k, sizeof(k), &len);
			err = v ? 0 : -ENOENT;
			if (v)
				val = READ_ONCE(*v);
			rcu_read_unlock();
		}
		n++;
		if (absent) {
			if (!err)
				__atomic_add_fetch(&c->false_hits, 1, __ATOMIC_RELAXED);
		} else if (err) {
			__atomic_add_fetch(&c->misses, 1, __ATOMIC_RELAXED);
		} else if (len != sizeof(val) || val >> 8 != id) {
			__atomic_add_fetch(&c->wrong, 1, __ATOMIC_RELAXED);
		}
	}
	__atomic_add_fetch(&c->lookups, n, __ATOMIC_RELAXED);
	return NULL;
}

static void *rd_walker(void *arg)
{
	static __thread u8 seen[RD_STABLE + RD_CHURN];
	struct rd_ctx *c = arg;
	struct hmap_iter it;
	struct rd_key k;
	u32 klen, vlen;
	u64 val, id;

	hmap_shim_rcu_register();
	hmap_shim_preempt_points(16);
	while (!READ_ONCE(c->stop)) {
		unsigned long steps = 0;

		if (hmap_iter_start(c->map, &it))
			continue;
		memset(seen, 0, sizeof(seen));
		while (!hmap_iter_next(&it, &k, &klen, &val, &vlen)) {
			/* A walk that runs away: more entries than keys. */
			if (++steps > 2 * (RD_STABLE + RD_CHURN)) {
				c->walk_bad++;
				break;
			}
			id = k.id;
			if (klen != sizeof(k) || id >= RD_STABLE + RD_CHURN ||
			    k.salt != rd_key(id).salt) {
				c->walk_bad++;
				continue;
			}
			if (seen[id]++)
				c->walk_dups++;
		}
		hmap_iter_stop(&it);
		for (id = 0; id < RD_STABLE; id++)
			if (seen[id] != 1)
				c->walk_missing++;
		c->walks++;
	}
	return NULL;
}

static void test_readers(struct result *res)
{
	struct hmap_params p = {
		.key_size = sizeof(struct rd_key), .value_size = 8,
		.max_entries = 1 << 20,
	};
	u64 waves = scaled(60), w, id, val, rs = 42;
	double min_s = 10 * scale;
	pthread_t readers[RD_READERS], walker;
	struct rd_ctx *c = calloc(1, sizeof(*c));
	struct hmap_stats st;
	double t0 = now_s();
	struct rd_key k;
	int i, werr = 0;

	c->map = hmap_create(&p);
	if (IS_ERR(c->map)) {
		res->ok = false;
		free(c);
		return;
	}
	for (id = 0; id < RD_STABLE; id++) {
		k = rd_key(id);
		val = rd_value(id, 0);
		werr |= hmap_update(c->map, &k, sizeof(k), &val, sizeof(val),
				    HMAP_NOEXIST);
	}
	for (i = 0; i < RD_READERS; i++)
		pthread_create(&readers[i], NULL, rd_reader, c);
	pthread_create(&walker, NULL, rd_walker, c);
	/* Waves: the churn keys in, then out, growing and shrinking. */
	for (w = 0; w < waves || c->walks < 3 || now_s() - t0 < min_s; w++) {
		for (id = RD_STABLE; id < RD_STABLE + RD_CHURN; id++) {
			k = rd_key(id);
			val = id;
			werr |= hmap_update(c->map, &k, sizeof(k), &val,
					    sizeof(val), HMAP_NOEXIST);
			if (id % 64 == 0) {
				u64 s = splitmix(&rs) % RD_STABLE;

				k = rd_key(s);
				val = rd_value(s, ++c->stable_gen[s]);
				werr |= hmap_update(c->map, &k, sizeof(k), &val,
						    sizeof(val), HMAP_EXIST);
			}
		}
		for (id = RD_STABLE; id < RD_STABLE + RD_CHURN; id++) {
			k = rd_key(id);
			werr |= hmap_delete(c->map, &k, sizeof(k));
		}
		/* A safety net only: the walker may never finish a walk. */
		if (now_s() - t0 > 120)
			break;
	}
	WRITE_ONCE(c->stop, true);
	for (i = 0; i < RD_READERS; i++)
		pthread_join(readers[i], NULL);
	pthread_join(walker, NULL);
	hmap_get_stats(c->map, &st);
	hmap_destroy(c->map);
	res->ok = !werr && !c->misses && !c->wrong && !c->false_hits &&
		  !c->walk_bad && !c->walk_missing && !c->walk_dups &&
		  st.grows >= waves && st.shrinks >= waves &&
		  st.evacuated_by_background > 0 && c->walks >= 3;
	snprintf(res->note, sizeof(res->note),
		 "%lu lookups (%.0f/s) in %.1f s: %lu misses, %lu wrong, %lu false hits; %lu walks: %lu bad, %lu missing, %lu twice; %llu grows, %llu shrinks, %llu buckets by the worker%s",
		 c->lookups, c->lookups / (now_s() - t0), now_s() - t0,
		 c->misses, c->wrong, c->false_hits, c->walks, c->walk_bad,
		 c->walk_missing, c->walk_dups, (unsigned long long)st.grows,
		 (unsigned long long)st.shrinks,
		 (unsigned long long)st.evacuated_by_background,
		 werr ? "; a write failed" : "");
	free(c);
}

/* ---- Several writers ---- */

/*
 * Writers in parallel (the striped locks): MW_WRITERS threads, each the
 * only writer of its own range of the churn keys (and of the stable keys
 * id % MW_WRITERS == its number, which it only updates), so that every
 * result of its writes is known in advance and checked against its own
 * model as it goes; with @overlap they also insert and delete the first
 * MW_SHARED churn keys, all of them, whose results are only checked to be
 * one of the possible ones. Beside them the readers and the walker of
 * readers_never_miss: no stable key ever missed, each returned once per
 * walk. At the end every owned key is checked against its writer's model,
 * the count against the keys found, and a last walk must return exactly
 * the keys present, once each.
 */
#define MW_WRITERS	3
#define MW_SHARED	512
#define MW_OWNED	((RD_CHURN - MW_SHARED) / MW_WRITERS)

struct mw_writer {
	struct rd_ctx *c;
	bool overlap;
	bool tiny;		/* @owned keys, no stable ones */
	bool faults;		/* fail an allocation now and then */
	u64 owned;
	u64 wave;
	unsigned int n;		/* its number */
	u64 ops;
	u64 seed;
	bool present[MW_OWNED];
	u64 value[MW_OWNED];
	unsigned long done, failures, shared_bad, errs;
	char first[120];
};

/* Operations of all writers so far: their common wave clock. */
static u64 mw_clock;

static void mw_fail(struct mw_writer *w, const char *what, u64 id, int err)
{
	if (!w->failures++)
		snprintf(w->first, sizeof(w->first),
			 "writer %u: %s of key %llu: %d", w->n, what,
			 (unsigned long long)id, err);
}

static void *mw_writer_fn(void *arg)
{
	struct mw_writer *w = arg;
	struct hmap *map = w->c->map;
	u64 rs = w->seed, i, id, val, base;
	struct rd_key k;
	u32 len;
	int err, want;

	hmap_shim_rcu_register();
	hmap_shim_preempt_points(32);
	base = RD_STABLE + MW_SHARED + w->n * MW_OWNED;
	for (i = 0; i < w->ops; i++) {
		u64 r = splitmix(&rs);

		/*
		 * Faults: one of this thread's next few allocations fails;
		 * a write that gets -ENOMEM must leave the map unchanged.
		 */
		if (w->faults && i % 64 == 0)
			hmap_shim_fail_allocs(r % 16, 1);
		/*
		 * Waves, the same for every writer (a shared clock of
		 * their operations): mostly inserts, then mostly deletes.
		 */
		u64 clock = __atomic_fetch_add(&mw_clock, 1, __ATOMIC_RELAXED);
		bool fill = (clock / (w->wave * MW_WRITERS)) % 2 == 0;
		unsigned int what = (r >> 40) % 100;

		if (w->overlap && (r & 7) == 0) {
			id = RD_STABLE + (r >> 8) % MW_SHARED;
			k = rd_key(id);
			val = id;
			if (what < (fill ? 80 : 5)) {
				err = hmap_update(map, &k, sizeof(k), &val,
						  sizeof(val), HMAP_ANY);
				if (err == -ENOMEM && w->faults) {
					w->errs++;
					err = 0;
				}
			} else {
				/* A delete needs no memory: never -ENOMEM. */
				err = hmap_delete(map, &k, sizeof(k));
				if (err == -ENOENT)
					err = 0;
			}
			if (err)
				w->shared_bad++;
			continue;
		}
		if ((r & 63) == 1 && !w->tiny) {
			/* A stable key of its own: update, never absent. */
			id = ((r >> 8) % (RD_STABLE / MW_WRITERS)) *
			     MW_WRITERS + w->n;
			k = rd_key(id);
			val = rd_value(id, r >> 56);
			err = hmap_update(map, &k, sizeof(k), &val,
					  sizeof(val), HMAP_EXIST);
			if (err && !(err == -ENOMEM && w->faults))
				mw_fail(w, "update of a stable key", id, err);
			continue;
		}
		id = (r >> 8) % w->owned;
		k = rd_key(base + id);
		val = rd_value(base + id, r >> 56);
		if (what < (fill ? 80 : 1)) {
			u64 flags = (r >> 32) % 3;	/* ANY, NOEXIST, EXIST */

			want = 0;
			if (flags == HMAP_NOEXIST && w->present[id])
				want = -EEXIST;
			if (flags == HMAP_EXIST && !w->present[id])
				want = -ENOENT;
			err = hmap_update(map, &k, sizeof(k), &val,
					  sizeof(val), flags);
			if (err == -ENOMEM && w->faults) {
				w->errs++;
			} else if (err != want) {
				mw_fail(w, "update", base + id, err);
			} else if (!err) {
				w->present[id] = true;
				w->value[id] = val;
			}
		} else if (what < (fill ? 90 : 96)) {
			want = w->present[id] ? 0 : -ENOENT;
			/* Never -ENOMEM, faults or not: see hmap_delete(). */
			err = hmap_delete(map, &k, sizeof(k));
			if (err != want)
				mw_fail(w, "delete", base + id, err);
			else
				w->present[id] = false;
		} else {
			u64 got = 0;

			want = w->present[id] ? 0 : -ENOENT;
			err = hmap_lookup(map, &k, sizeof(k), &got, &len);
			if (err != want || (!err && got != w->value[id]))
				mw_fail(w, "lookup", base + id, err);
		}
		w->done++;
	}
	hmap_shim_fail_allocs(0, 0);
	return NULL;
}

/* How a writers_* test runs: MW_* flags. */
#define MW_OVERLAP	BIT(0)	/* the writers also share keys */
#define MW_TINY		BIT(1)	/* a few keys: 1 to 8 buckets */
#define MW_FAULTS	BIT(2)	/* allocations fail now and then */
#define MW_ATOMIC	BIT(3)	/* an HMAP_F_ATOMIC map */

static void test_writers(struct result *res, unsigned int how)
{
	bool overlap = how & MW_OVERLAP, tiny = how & MW_TINY;
	struct hmap_params p = {
		.key_size = sizeof(struct rd_key), .value_size = 8,
		.max_entries = 1 << 20,
		.flags = how & MW_ATOMIC ? HMAP_F_ATOMIC : 0,
	};
	unsigned long enomem = 0;
	struct rd_ctx *c = calloc(1, sizeof(*c));
	struct mw_writer *w = calloc(MW_WRITERS, sizeof(*w));
	pthread_t readers[RD_READERS], walker, writers[MW_WRITERS];
	static u8 seen[RD_STABLE + RD_CHURN];
	unsigned long failures = 0, shared_bad = 0, ops = 0, found = 0;
	u64 id, val, expect;
	struct hmap_stats st, end;
	struct hmap_iter it;
	double t0 = now_s();
	struct rd_key k;
	const char *first = "";
	bool walk_ok = true;
	u32 klen, vlen;
	int i, werr = 0;

	c->map = hmap_create(&p);
	if (IS_ERR(c->map)) {
		res->ok = false;
		free(c);
		free(w);
		return;
	}
	for (id = 0; id < RD_STABLE && !tiny; id++) {
		k = rd_key(id);
		val = rd_value(id, 0);
		werr |= hmap_update(c->map, &k, sizeof(k), &val, sizeof(val),
				    HMAP_NOEXIST);
	}
	/* A tiny map has no stable keys for the readers to look up. */
	for (i = 0; i < RD_READERS && !tiny; i++)
		pthread_create(&readers[i], NULL, rd_reader, c);
	if (!tiny)
		pthread_create(&walker, NULL, rd_walker, c);
	mw_clock = 0;
	for (i = 0; i < MW_WRITERS; i++) {
		w[i].c = c;
		w[i].n = i;
		w[i].overlap = overlap;
		w[i].tiny = tiny;
		w[i].faults = how & MW_FAULTS;
		/* Tiny: 2^0 to 2^3 buckets, fewer than the stripes. */
		w[i].owned = tiny ? 12 : MW_OWNED;
		w[i].wave = tiny ? 60 : 8000;
		w[i].ops = scaled(400000);
		w[i].seed = 1000 + i + 17 * overlap;
		pthread_create(&writers[i], NULL, mw_writer_fn, &w[i]);
	}
	for (i = 0; i < MW_WRITERS; i++) {
		pthread_join(writers[i], NULL);
		failures += w[i].failures;
		shared_bad += w[i].shared_bad;
		enomem += w[i].errs;
		ops += w[i].done;
		if (w[i].failures && !*first)
			first = w[i].first;
	}
	/* Let the walker finish a few walks, as readers_never_miss does. */
	while (!tiny && c->walks < 3 && now_s() - t0 < 120)
		usleep(1000);
	WRITE_ONCE(c->stop, true);
	for (i = 0; i < RD_READERS && !tiny; i++)
		pthread_join(readers[i], NULL);
	if (!tiny)
		pthread_join(walker, NULL);

	/* The final state: each writer's keys as its model says. */
	expect = tiny ? 0 : RD_STABLE;
	for (i = 0; i < MW_WRITERS; i++) {
		u64 base = RD_STABLE + MW_SHARED + i * MW_OWNED;

		for (id = 0; id < w[i].owned; id++) {
			u64 got = 0;
			u32 len;
			int err;

			k = rd_key(base + id);
			err = hmap_lookup(c->map, &k, sizeof(k), &got, &len);
			if (w[i].present[id] ? err || got != w[i].value[id] :
					       err != -ENOENT) {
				if (!failures++)
					first = "final state differs from a writer's model";
			}
			expect += w[i].present[id];
		}
	}
	for (id = RD_STABLE; id < RD_STABLE + MW_SHARED; id++) {
		u64 got = 0;
		u32 len;

		k = rd_key(id);
		if (!hmap_lookup(c->map, &k, sizeof(k), &got, &len)) {
			expect++;
			if (got != id)
				shared_bad++;
		}
	}
	memset(seen, 0, sizeof(seen));
	if (hmap_iter_start(c->map, &it)) {
		walk_ok = false;
	} else {
		while (!hmap_iter_next(&it, &k, &klen, &val, &vlen)) {
			if (klen != sizeof(k) || k.id >= RD_STABLE + RD_CHURN ||
			    seen[k.id]++) {
				walk_ok = false;
				break;
			}
			found++;
		}
		hmap_iter_stop(&it);
	}
	hmap_get_stats(c->map, &st);
	/*
	 * Then every writer's key out: the map must come to the size the
	 * stable keys need by itself (the worker), however its shrinks
	 * fared under the writers' faults.
	 */
	for (i = 0; i < MW_WRITERS; i++) {
		u64 base = RD_STABLE + MW_SHARED + i * MW_OWNED;

		for (id = 0; id < w[i].owned; id++) {
			k = rd_key(base + id);
			if (hmap_delete(c->map, &k, sizeof(k)) !=
			    (w[i].present[id] ? 0 : -ENOENT))
				werr = 1;
		}
	}
	for (id = RD_STABLE; id < RD_STABLE + MW_SHARED; id++) {
		k = rd_key(id);
		hmap_delete(c->map, &k, sizeof(k));
	}
	settle(c->map, &end);
	hmap_destroy(c->map);
	res->ok = !werr && !failures && !shared_bad && walk_ok &&
		  found == expect && st.count == expect &&
		  !c->misses && !c->wrong && !c->false_hits &&
		  !c->walk_bad && !c->walk_missing && !c->walk_dups &&
		  st.grows >= 2 && end.shrinks >= 1 && settled(&end) &&
		  end.count == (tiny ? 0 : RD_STABLE) &&
		  (tiny || c->walks >= 3) &&
		  (!(how & MW_FAULTS) || enomem > 0);
	snprintf(res->note, sizeof(res->note),
		 "%d writers, %lu ops (%.0f/s), %lu -ENOMEM, %lu failures%s%s, %lu shared bad; final %lu walked, %llu counted, %llu expected; %lu lookups: %lu misses, %lu wrong; %lu walks: %lu bad, %lu missing, %lu twice; %llu grows, %llu shrinks, B %u, %llu same-size; emptied: B %u, %llu shrinks in all",
		 MW_WRITERS, ops, ops / (now_s() - t0), enomem, failures,
		 *first ? ": " : "", first, shared_bad, found,
		 (unsigned long long)st.count, (unsigned long long)expect,
		 c->lookups, c->misses, c->wrong, c->walks, c->walk_bad,
		 c->walk_missing, c->walk_dups,
		 (unsigned long long)st.grows, (unsigned long long)st.shrinks,
		 st.B, (unsigned long long)st.same_size_grows, end.B,
		 (unsigned long long)end.shrinks);
	free(c);
	free(w);
}

static void test_writers_disjoint(struct result *res)
{
	test_writers(res, 0);
}

static void test_writers_overlap(struct result *res)
{
	test_writers(res, MW_OVERLAP);
}

static void test_writers_tiny(struct result *res)
{
	test_writers(res, MW_TINY);
}

static void test_writers_faults(struct result *res)
{
	test_writers(res, MW_FAULTS);
}

/* Writers that may not sleep: GFP_ATOMIC buckets, arrays by a work. */
static void test_writers_atomic(struct result *res)
{
	test_writers(res, MW_FAULTS | MW_ATOMIC | MW_OVERLAP);
}

/* ---- max_entries under racing inserts ---- */

#define ME_THREADS	4
#define ME_EACH		400	/* keys each thread tries */
#define ME_ROOM		300	/* inserts that fit */

struct me_thread {
	struct hmap *map;
	pthread_barrier_t *go;
	u64 first;
	unsigned long ok, e2big, other;
};

/* The array of a grow allocated ahead: a second array in the map. */
static bool me_ahead(const struct hmap_stats *st)
{
	return st->arrays_alloced - st->arrays_freed >= 2;
}

static void *me_thread_fn(void *arg)
{
	struct me_thread *t = arg;
	u64 id, val;
	int err;

	hmap_shim_rcu_register();
	hmap_shim_preempt_points(8);
	pthread_barrier_wait(t->go);
	for (id = t->first; id < t->first + ME_EACH; id++) {
		val = id;
		err = hmap_update(t->map, &id, sizeof(id), &val, sizeof(val),
				  HMAP_NOEXIST);
		if (!err)
			t->ok++;
		else if (err == -E2BIG)
			t->e2big++;
		else
			t->other++;
	}
	return NULL;
}

/*
 * max_entries is exact under racing writers: a map of @flags and
 * @max entries with room for ME_ROOM more, ME_THREADS threads each
 * inserting ME_EACH new keys at once: exactly ME_ROOM inserts succeed,
 * the others fail with -E2BIG, and the count and the keys found agree.
 * With @max 2000 the grow before the limit (at 1665 entries, B 8 to 9)
 * ends early in the race: writes at the limit find no resize (the short
 * path of an update). With @resizing, the map is made at B 11 and filled
 * past its grow (at 13,313 entries, once the array allocated ahead of it
 * is there, so that the insert due starts it) with the worker off, so
 * that only writers evacuate its 2,048 old buckets, two each: the race,
 * and the writes at the limit, run in the grow, on the full path
 * (hmap_update_slow()).
 */
static void me_run(struct result *res, u32 flags, u64 max, bool resizing)
{
	const u64 pre = max - ME_ROOM;
	struct hmap_params p = {
		.key_size = 8, .value_size = 8, .max_entries = max,
		.capacity_hint = resizing ? 13000 : 0, .flags = flags,
	};
	struct me_thread t[ME_THREADS] = {};
	pthread_t tid[ME_THREADS];
	unsigned long ok = 0, e2big = 0, other = 0, found = 0, bad = 0;
	struct hmap_stats st0, st;
	pthread_barrier_t go;
	struct hmap *map;
	u64 id, val;
	u32 len;
	int i;

	map = hmap_create(&p);
	if (IS_ERR(map)) {
		res->ok = false;
		return;
	}
	if (resizing)
		hmap_test_set_background(map, false);
	for (id = 0; id < pre; id++) {
		val = id;
		bad += !!hmap_update(map, &id, sizeof(id), &val, sizeof(val),
				     HMAP_NOEXIST);
		if (resizing && id == 13000)
			wait_stats(map, &st0, me_ahead, 5);
	}
	hmap_get_stats(map, &st0);
	pthread_barrier_init(&go, NULL, ME_THREADS);
	for (i = 0; i < ME_THREADS; i++) {
		t[i] = (struct me_thread){ .map = map, .go = &go,
					   .first = max + i * ME_EACH };
		pthread_create(&tid[i], NULL, me_thread_fn, &t[i]);
	}
	for (i = 0; i < ME_THREADS; i++) {
		pthread_join(tid[i], NULL);
		ok += t[i].ok;
		e2big += t[i].e2big;
		other += t[i].other;
	}
	pthread_barrier_destroy(&go);
	rcu_read_lock();
	for (id = max; id < max + ME_THREADS * ME_EACH; id++) {
		len = sizeof(val);
		found += !hmap_lookup(map, &id, sizeof(id), &val, &len);
	}
	rcu_read_unlock();
	hmap_get_stats(map, &st);
	res->ok = !bad && ok == ME_ROOM && !other &&
		  e2big == ME_THREADS * ME_EACH - ME_ROOM && found == ok &&
		  hmap_count(map) == max &&
		  (!resizing || (st0.resizing == HMAP_RESIZE_GROW &&
				 st0.B == 12 && st.grows == st0.grows));
	snprintf(res->note, sizeof(res->note),
		 "%d threads x %d new keys into room for %d: %lu inserted, %lu -E2BIG, %lu other errors; %lu found, count %llu of %llu; before: B %u resizing %u; grows in the race %llu, B %u",
		 ME_THREADS, ME_EACH, ME_ROOM, ok, e2big, other, found,
		 (unsigned long long)hmap_count(map),
		 (unsigned long long)max, st0.B, st0.resizing,
		 (unsigned long long)(st.grows - st0.grows), st.B);
	hmap_destroy(map);
}

static void test_max_entries_racing(struct result *res)
{
	me_run(res, 0, 2000, false);
}

static void test_max_entries_racing_atomic(struct result *res)
{
	me_run(res, HMAP_F_ATOMIC, 2000, false);
}

static void test_max_entries_racing_resizing(struct result *res)
{
	me_run(res, 0, 13400 + ME_ROOM, true);
}

/* ---- Writers past the chain cap ---- */

/*
 * Most array allocations of one size a map may try in @ms while they
 * fail: one at the start, one in flight, and one per HMAP_BG_RETRY, which
 * counts whole jiffies, so that one may be a jiffy short in real time.
 */
static int holdoff_bound(double ms)
{
	double period = jiffies_to_msecs(HMAP_BG_RETRY) - 1000.0 / HZ;

	return 2 + (int)(ms / period);
}

/*
 * A map whose writers may sleep, at 2^HMAP_NOARRAY_SLACK times the grow's
 * load after its grow's array failed: CW_WRITERS threads insert new keys
 * while every array allocation (held in the allocator for a while) fails,
 * then while they succeed. However many writers find the grow due, at
 * most one array is in the allocator at a time (the others wait for it,
 * or sleep out HMAP_BG_RETRY after a failed one); the map tries at most
 * one per HMAP_BG_RETRY while they fail (plus the one in flight and one
 * at the start); no insert succeeds while arrays fail, and every one does
 * once they can be had.
 */
#define CW_WRITERS	4
#define CW_KEYS		50

struct cw_ctx {
	struct hmap *map;
	bool fail;		/* READ_ONCE(), WRITE_ONCE() */
	unsigned int delay_us;	/* each array allocation takes */
	int inflight, most, arrays;	/* __atomic */
};

struct cw_writer {
	struct cw_ctx *c;
	u64 base;
	bool retry;
	unsigned long ok, enomem, other;
};

static bool cw_alloc_hook(struct hmap *map, enum hmap_test_alloc what,
			  unsigned int bits, gfp_t gfp, void *arg)
{
	struct cw_ctx *c = arg;
	int now, most;

	if (what != HMAP_TEST_ALLOC_ARRAY)
		return false;
	__atomic_add_fetch(&c->arrays, 1, __ATOMIC_RELAXED);
	now = __atomic_add_fetch(&c->inflight, 1, __ATOMIC_RELAXED);
	/* A CAS max: a racing hook never stores a smaller value. */
	most = __atomic_load_n(&c->most, __ATOMIC_RELAXED);
	while (now > most &&
	       !__atomic_compare_exchange_n(&c->most, &most, now, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (c->delay_us)
		usleep(c->delay_us);	/* direct reclaim, say */
	__atomic_sub_fetch(&c->inflight, 1, __ATOMIC_RELAXED);
	return READ_ONCE(c->fail);
}

static void *cw_writer_fn(void *arg)
{
	struct cw_writer *w = arg;
	unsigned int i, tries;
	u64 id, val;
	int err;

	hmap_shim_rcu_register();
	for (i = 0; i < CW_KEYS; i++) {
		id = w->base + i;
		val = id;
		for (tries = 0; tries < 50; tries++) {
			err = hmap_update(w->c->map, &id, sizeof(id), &val,
					  sizeof(val), HMAP_NOEXIST);
			if (err != -ENOMEM || !w->retry)
				break;
			usleep(5000);
		}
		if (!err)
			w->ok++;
		else if (err == -ENOMEM)
			w->enomem++;
		else
			w->other++;
	}
	return NULL;
}

static void cw_run(struct cw_ctx *c, u64 base, bool retry,
		   struct cw_writer *w)
{
	pthread_t t[CW_WRITERS];
	int i;

	for (i = 0; i < CW_WRITERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].c = c;
		w[i].base = base + i * CW_KEYS;
		w[i].retry = retry;
		pthread_create(&t[i], NULL, cw_writer_fn, &w[i]);
	}
	for (i = 0; i < CW_WRITERS; i++)
		pthread_join(t[i], NULL);
}

static void cw_test(struct result *res, unsigned int delay_us)
{
	struct hmap_params p = {
		.key_size = 8, .value_size = 8, .max_entries = 1 << 20,
	};
	struct cw_writer w[CW_WRITERS];
	unsigned long failed_ok = 0, failed_other = 0, ok = 0, other = 0;
	struct cw_ctx c = { .fail = true, .delay_us = delay_us };
	int most_failing, arrays_failing, before, bound, i;
	double t0, failing_ms;
	struct hmap_stats st;
	u64 cap, id, val;
	int err = 0;

	c.map = hmap_create(&p);
	if (IS_ERR(c.map)) {
		res->ok = false;
		return;
	}
	hmap_test_set_background(c.map, false);
	hmap_test_set_alloc(c.map, cw_alloc_hook, &c);
	/* Up to the cap at B 0: inserts go on into the chain, then -ENOMEM. */
	for (id = 0; id < 1000 && !err; id++) {
		val = id;
		err = hmap_update(c.map, &id, sizeof(id), &val, sizeof(val),
				  HMAP_NOEXIST);
	}
	cap = hmap_count(c.map);
	usleep(jiffies_to_msecs(HMAP_BG_RETRY) * 1000 + 20000);

	before = c.arrays;
	t0 = now_s();
	cw_run(&c, 1000, false, w);
	failing_ms = (now_s() - t0) * 1000;
	most_failing = c.most;
	arrays_failing = c.arrays - before;
	for (i = 0; i < CW_WRITERS; i++) {
		failed_ok += w[i].ok;
		failed_other += w[i].other;
	}
	WRITE_ONCE(c.fail, false);
	usleep(jiffies_to_msecs(HMAP_BG_RETRY) * 1000 + 20000);
	cw_run(&c, 2000, true, w);
	for (i = 0; i < CW_WRITERS; i++) {
		ok += w[i].ok;
		other += w[i].other;
	}
	hmap_get_stats(c.map, &st);
	hmap_test_set_alloc(c.map, NULL, NULL);
	hmap_destroy(c.map);
	/* One per HMAP_BG_RETRY, the one in flight, and one at the start. */
	bound = holdoff_bound(failing_ms);
	res->ok = err == -ENOMEM &&
		  cap == (HMAP_LOAD_NUM << HMAP_NOARRAY_SLACK) / HMAP_LOAD_DEN &&
		  arrays_failing <= bound &&
		  !failed_ok && !failed_other && most_failing == 1 &&
		  c.most == 1 && ok == CW_WRITERS * CW_KEYS && !other &&
		  st.count == cap + ok && st.grows >= 1;
	snprintf(res->note, sizeof(res->note),
		 "cap %llu; arrays failing: %d asked in %.0f ms (at most %d), at most %d at once, %lu inserted, %lu other errors; then %lu of %d inserted, %lu other errors, at most %d at once, count %llu, %llu grows",
		 (unsigned long long)cap, arrays_failing, failing_ms, bound,
		 most_failing,
		 failed_ok, failed_other, ok, CW_WRITERS * CW_KEYS, other,
		 c.most, (unsigned long long)st.count,
		 (unsigned long long)st.grows);
}

static void test_capped_writers(struct result *res)
{
	cw_test(res, 3000);
}

/*
 * The same with allocations that fail at once (a memcg at its limit): the
 * writers that slept out one hold-off together must not each try one
 * when they wake, back to back.
 */
static void test_capped_writers_fast(struct result *res)
{
	cw_test(res, 0);
}

/*
 * The array allocated ahead (hmap_maybe_prealloc()) keeps the hold-off
 * too: a map of 2^9 buckets whose next array (2^10) fails, filled past
 * its grow load, then inserted into for 200 ms, tries at most one such
 * array per HMAP_BG_RETRY (plus the one in flight and one at the start),
 * not one per insert. For a map whose writers sleep and an HMAP_F_ATOMIC
 * one (@prealloc_work allocates for both).
 */
struct ah_ctx {
	int arrays_big;		/* __atomic */
};

static bool ah_alloc_hook(struct hmap *map, enum hmap_test_alloc what,
			  unsigned int bits, gfp_t gfp, void *arg)
{
	struct ah_ctx *c = arg;

	if (what != HMAP_TEST_ALLOC_ARRAY || bits < 10)
		return false;
	__atomic_add_fetch(&c->arrays_big, 1, __ATOMIC_RELAXED);
	return true;
}

static void ah_run(struct result *res, u32 flags)
{
	struct hmap_params p = {
		.key_size = 8, .value_size = 8, .max_entries = 1 << 20,
		.capacity_hint = 3000, .flags = flags,
	};
	unsigned long ok = 0, bad = 0;
	struct ah_ctx c = {};
	struct hmap_stats st;
	int before, tried, bound;
	struct hmap *map;
	double t0, ms;
	u64 id, val;

	map = hmap_create(&p);
	if (IS_ERR(map)) {
		res->ok = false;
		return;
	}
	hmap_test_set_alloc(map, ah_alloc_hook, &c);
	/* Past the grow load of 2^9 buckets (3,328). */
	for (id = 0; id < 3400; id++) {
		val = id;
		if (hmap_update(map, &id, sizeof(id), &val, sizeof(val),
				HMAP_NOEXIST))
			bad++;
	}
	before = __atomic_load_n(&c.arrays_big, __ATOMIC_RELAXED);
	t0 = now_s();
	while (now_s() - t0 < 0.2) {
		val = id;
		if (!hmap_update(map, &id, sizeof(id), &val, sizeof(val),
				 HMAP_NOEXIST)) {
			ok++;
			id++;
		} else {
			bad++;
		}
		usleep(50);
	}
	ms = (now_s() - t0) * 1000;
	tried = __atomic_load_n(&c.arrays_big, __ATOMIC_RELAXED) - before;
	hmap_get_stats(map, &st);
	hmap_test_set_alloc(map, NULL, NULL);
	hmap_destroy(map);
	bound = holdoff_bound(ms);
	res->ok = st.B == 9 && !bad && ok > 100 && tried <= bound;
	snprintf(res->note, sizeof(res->note),
		 "B %u: %d arrays of 2^10 tried while filling, %d in %.0f ms of %lu inserts above the grow load (at most %d), %lu failed inserts",
		 st.B, before, tried, ms, ok, bound, bad);
}

static void test_ahead_holdoff_sleeping(struct result *res)
{
	ah_run(res, 0);
}

static void test_ahead_holdoff_atomic(struct result *res)
{
	ah_run(res, HMAP_F_ATOMIC);
}

/* Every array allocation fails while @fail is set; they are counted. */
struct sr_ctx {
	bool fail;		/* READ_ONCE(), WRITE_ONCE() */
	int arrays;		/* __atomic */
};

static bool sr_alloc_hook(struct hmap *map, enum hmap_test_alloc what,
			  unsigned int bits, gfp_t gfp, void *arg)
{
	struct sr_ctx *c = arg;

	if (what != HMAP_TEST_ALLOC_ARRAY || !READ_ONCE(c->fail))
		return false;
	__atomic_add_fetch(&c->arrays, 1, __ATOMIC_RELAXED);
	return true;
}

/* Insert keys @from to @to - 1 (each its own value); failures into *@bad. */
static void sr_insert(struct hmap *map, u64 from, u64 to, unsigned long *bad)
{
	u64 id, val;

	for (id = from; id < to; id++) {
		val = id;
		if (hmap_update(map, &id, sizeof(id), &val, sizeof(val),
				HMAP_NOEXIST))
			(*bad)++;
	}
}

/*
 * A map of 8-byte keys and values with @flags, keys 0 to @n - 1 in it
 * (failures into *@bad), or an ERR_PTR().
 */
static struct hmap *sr_map(u32 flags, u64 n, unsigned long *bad)
{
	struct hmap_params p = {
		.key_size = 8, .value_size = 8, .max_entries = 1 << 20,
		.flags = flags,
	};
	struct hmap *map = hmap_create(&p);

	if (!IS_ERR(map))
		sr_insert(map, 0, n, bad);
	return map;
}

/* Delete keys 0 to @n - 1 while every array allocation fails (@c). */
static void sr_empty_failing(struct hmap *map, struct sr_ctx *c, u64 n,
			     unsigned long *bad)
{
	u64 id;

	hmap_test_set_alloc(map, sr_alloc_hook, c);
	WRITE_ONCE(c->fail, true);
	for (id = 0; id < n; id++)
		if (hmap_delete(map, &id, sizeof(id)))
			(*bad)++;
}

/* Whether @st shows a map at 2^0 buckets with no resize. */
static bool sr_shrunk(const struct hmap_stats *st)
{
	return !st->B && !st->resizing;
}

/*
 * A shrink held off is asked for again: a map emptied while every array
 * allocation fails, then left alone with the allocator working again,
 * ends at 2^0 buckets (the worker looks again HMAP_BG_RETRY after the
 * deletes' failure, then starts each shrink due as one ends), not at the
 * size it had.
 */
static void sr_run(struct result *res, u32 flags)
{
	struct hmap_stats full, st;
	unsigned long bad = 0;
	struct sr_ctx c = {};
	struct hmap *map;
	double ms;

	map = sr_map(flags, 2000, &bad);
	if (IS_ERR(map)) {
		res->ok = false;
		return;
	}
	/* The grows end (the worker evacuates) before the deletes. */
	settle(map, &full);
	sr_empty_failing(map, &c, 2000, &bad);
	usleep(jiffies_to_msecs(HMAP_BG_RETRY) * 1000 / 2);
	WRITE_ONCE(c.fail, false);
	/* Left alone: the shrinks come by themselves. */
	ms = wait_stats(map, &st, sr_shrunk, 3);
	hmap_test_set_alloc(map, NULL, NULL);
	hmap_destroy(map);
	res->ok = !bad && settled(&full) && c.arrays >= 1 &&
		  !st.count && !st.B && !st.resizing;
	snprintf(res->note, sizeof(res->note),
		 "B %u at 2000 entries; emptied with %d arrays failing, then B %u (resizing %u) after %.0f ms idle, count %llu, %lu errors",
		 full.B, c.arrays, st.B, (unsigned int)st.resizing, ms,
		 (unsigned long long)st.count, bad);
}

static void test_shrink_held_off_sleeping(struct result *res)
{
	sr_run(res, 0);
}

static void test_shrink_held_off_atomic(struct result *res)
{
	sr_run(res, HMAP_F_ATOMIC);
}

/*
 * hmap_shrink_to_fit() of a map above its load: filled while every array
 * allocation fails (grows cannot start: its entries go into overflow
 * chains at B 0 up to the cap, 2^HMAP_NOARRAY_SLACK times the load), then
 * fitted with the allocator working again and the worker off. It must
 * grow, one doubling a resize, to the smallest B whose load holds the
 * count, leave no resize in progress, and keep every key (it used to
 * rebuild the chains at B 0 with a same-size grow and return 0).
 */
static void gf_run(struct result *res, u32 flags)
{
	struct hmap_params p = {
		.key_size = 8, .value_size = 8, .max_entries = 1 << 20,
		.flags = flags,
	};
	struct sr_ctx c = { .fail = true };
	unsigned int want_B = 0;
	struct hmap_stats full, st;
	u64 id, val, n, found = 0;
	struct hmap *map;
	int err = 0;

	map = hmap_create(&p);
	if (IS_ERR(map)) {
		res->ok = false;
		snprintf(res->note, sizeof(res->note), "create: %ld",
			 PTR_ERR(map));
		return;
	}
	hmap_test_set_background(map, false);
	hmap_test_set_alloc(map, sr_alloc_hook, &c);
	for (id = 0; id < 1000 && !err; id++) {
		val = id;
		err = hmap_update(map, &id, sizeof(id), &val, sizeof(val),
				  HMAP_NOEXIST);
		/* An atomic map's array is @prealloc_work's: let it fail. */
		if (id == 8)
			hmap_flush_frees();
	}
	n = hmap_count(map);
	hmap_get_stats(map, &full);
	WRITE_ONCE(c.fail, false);
	while (n * 2 > 13ULL << want_B)
		want_B++;
	err = hmap_shrink_to_fit(map);
	hmap_get_stats(map, &st);
	for (id = 0; id < n; id++) {
		u32 vlen = sizeof(val);

		if (!hmap_lookup(map, &id, sizeof(id), &val, &vlen) &&
		    val == id)
			found++;
	}
	hmap_test_set_alloc(map, NULL, NULL);
	res->ok = full.B == 0 && n > 8 && !err && st.B == want_B &&
		  !st.resizing && st.count == n && found == n &&
		  st.grows == want_B && !st.same_size_grows;
	snprintf(res->note, sizeof(res->note),
		 "filled to %llu at B %u with %d array failures; shrink_to_fit: %d, B %u (want %u), resizing %u, %llu grows, %llu same-size, %llu of %llu keys found",
		 (unsigned long long)n, full.B, c.arrays, err, st.B, want_B,
		 st.resizing, (unsigned long long)st.grows,
		 (unsigned long long)st.same_size_grows,
		 (unsigned long long)found, (unsigned long long)n);
	hmap_destroy(map);
}

static void test_fit_above_load_sleeping(struct result *res)
{
	gf_run(res, 0);
}

static void test_fit_above_load_atomic(struct result *res)
{
	gf_run(res, HMAP_F_ATOMIC);
}

/* Array allocations wait in the allocator while @hold is set, then fail. */
struct af_ctx {
	bool hold;		/* READ_ONCE(), WRITE_ONCE() */
	bool fail;		/* READ_ONCE(), WRITE_ONCE() */
	int entered;		/* __atomic */
	int failed;		/* __atomic */
};

static bool af_alloc_hook(struct hmap *map, enum hmap_test_alloc what,
			  unsigned int bits, gfp_t gfp, void *arg)
{
	struct af_ctx *c = arg;

	if (what != HMAP_TEST_ALLOC_ARRAY || !READ_ONCE(c->fail))
		return false;
	__atomic_add_fetch(&c->entered, 1, __ATOMIC_RELAXED);
	while (READ_ONCE(c->hold))
		usleep(1000);
	__atomic_add_fetch(&c->failed, 1, __ATOMIC_RELEASE);
	return true;
}

/*
 * A grow that came due while the array allocated ahead was in flight is
 * still made when writes stop before that array fails: a map at B 9
 * (settled, 2,400 entries) asks @prealloc_work for its array of 2^10
 * buckets ahead (at three quarters of the grow load), which is held in
 * the allocator while the map is filled past its load (3,400 entries,
 * above 6.5 x 512: the inserts find that allocation in flight and go on
 * into chains, asking none of their own), then fails with no write after
 * it; left alone with arrays working, the map must grow by itself (the
 * worker, armed by the failure, after the hold-off), not stay at B 9 with
 * chains for ever.
 */
static void ahead_failed_run(struct result *res, u32 flags)
{
	struct hmap_stats settled_st, over, st;
	struct af_ctx c = { .hold = true, .fail = true };
	unsigned long bad = 0;
	struct hmap *map;
	int ahead;
	double t0, ms;

	map = sr_map(flags, 2400, &bad);
	if (IS_ERR(map)) {
		res->ok = false;
		return;
	}
	settle(map, &settled_st);
	hmap_test_set_alloc(map, af_alloc_hook, &c);
	/* Past three quarters of the load: the array ahead is asked for. */
	t0 = now_s();
	sr_insert(map, 2400, 2500, &bad);
	while (!__atomic_load_n(&c.entered, __ATOMIC_RELAXED) &&
	       now_s() - t0 < 5)
		usleep(100);
	/*
	 * Only the array ahead may be held: if none was asked for, the
	 * fill's own array (a writer that may sleep allocates it itself)
	 * must not wait for this thread.
	 */
	ahead = __atomic_load_n(&c.entered, __ATOMIC_RELAXED);
	if (!ahead)
		WRITE_ONCE(c.hold, false);
	sr_insert(map, 2500, 3400, &bad);
	hmap_get_stats(map, &over);
	/* The allocation in flight fails; then arrays work again. */
	WRITE_ONCE(c.hold, false);
	while (ahead && !__atomic_load_n(&c.failed, __ATOMIC_ACQUIRE))
		usleep(100);
	WRITE_ONCE(c.fail, false);
	ms = settle(map, &st);
	hmap_test_set_alloc(map, NULL, NULL);
	hmap_destroy(map);
	res->ok = !bad && settled(&settled_st) && settled_st.B == 9 &&
		  ahead >= 1 && over.B == 9 && !over.resizing &&
		  st.count == 3400 && settled(&st);
	snprintf(res->note, sizeof(res->note),
		 "B %u at 2400 entries; %d array ahead asked; filled to 3400 with it in flight: B %u (resizing %u); it failed, then B %u (resizing %u) after %.0f ms idle, %llu grows, %lu errors",
		 settled_st.B, ahead, over.B, (unsigned int)over.resizing,
		 st.B, (unsigned int)st.resizing, ms,
		 (unsigned long long)st.grows, bad);
}

static void test_ahead_failed_then_idle_sleeping(struct result *res)
{
	ahead_failed_run(res, 0);
}

static void test_ahead_failed_then_idle_atomic(struct result *res)
{
	ahead_failed_run(res, HMAP_F_ATOMIC);
}

/* Arrays of 2^9 buckets fail while @fail9; of 2^10 are held, then fail. */
struct ar_ctx {
	bool fail9;		/* READ_ONCE(), WRITE_ONCE() */
	bool fail10;		/* READ_ONCE(), WRITE_ONCE() */
	bool hold10;		/* READ_ONCE(), WRITE_ONCE() */
	int entered10;		/* __atomic */
	int failed10;		/* __atomic */
	u64 failed10_ns;	/* __atomic: when the first one failed */
};

static bool ar_alloc_hook(struct hmap *map, enum hmap_test_alloc what,
			  unsigned int bits, gfp_t gfp, void *arg)
{
	struct ar_ctx *c = arg;

	if (what != HMAP_TEST_ALLOC_ARRAY)
		return false;
	if (bits == 9)
		return READ_ONCE(c->fail9);
	if (bits != 10 || !READ_ONCE(c->fail10))
		return false;
	__atomic_add_fetch(&c->entered10, 1, __ATOMIC_RELAXED);
	while (READ_ONCE(c->hold10))
		usleep(1000);
	if (!__atomic_load_n(&c->failed10, __ATOMIC_RELAXED))
		__atomic_store_n(&c->failed10_ns, ktime_get_ns(),
				 __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->failed10, 1, __ATOMIC_RELEASE);
	return true;
}

/*
 * One try of ahead_failed_in_resize: whether it set the case up into
 * *@setup (the fill ended at B 9 with no resize, within the hold-off of
 * the array ahead's failure, and no other array of 2^10 was tried: no
 * insert asked for the grow), and whether the map then grew by itself.
 */
static bool ar_try(struct result *res, bool *setup)
{
	struct ar_ctx c = { .fail9 = true, .fail10 = true, .hold10 = true };
	struct hmap_stats st0, com, over, st;
	unsigned long bad = 0;
	struct hmap *map;
	u64 stop_ns;
	double t0, ms;
	int tried;
	bool ok;

	map = sr_map(0, 1500, &bad);
	if (IS_ERR(map))
		return false;
	settle(map, &st0);
	hmap_test_set_alloc(map, ar_alloc_hook, &c);
	/* Due for a grow to 2^9 whose arrays fail: into chains. */
	sr_insert(map, 1500, 2600, &bad);
	/* The grow stays in progress until the worker is back on. */
	hmap_test_set_background(map, false);
	WRITE_ONCE(c.fail9, false);
	usleep(2 * jiffies_to_msecs(HMAP_BG_RETRY) * 1000);
	/* Starts the grow; at 2601 entries it asks for 2^10 ahead. */
	sr_insert(map, 2600, 2601, &bad);
	t0 = now_s();
	while (!__atomic_load_n(&c.entered10, __ATOMIC_RELAXED) &&
	       now_s() - t0 < 5)
		usleep(100);
	WRITE_ONCE(c.hold10, false);
	while (__atomic_load_n(&c.entered10, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&c.failed10, __ATOMIC_ACQUIRE))
		usleep(50);
	/*
	 * Keep the hold-off for the fill below, however slow the machine:
	 * jiffies stopped (timers run on nanoseconds) until it is done.
	 */
	hmap_shim_jiffies_stop(true);
	stop_ns = ktime_get_ns();
	/* The worker commits the grow, with nothing due at 2601. */
	hmap_test_set_background(map, true);
	t0 = now_s();
	do {
		usleep(100);
		hmap_get_stats(map, &com);
	} while (com.resizing && now_s() - t0 < 1);
	/* Past the load of 2^9 (6.5 x 512) within the hold-off. */
	sr_insert(map, 2601, 3400, &bad);
	tried = __atomic_load_n(&c.entered10, __ATOMIC_RELAXED);
	hmap_get_stats(map, &over);
	WRITE_ONCE(c.fail10, false);
	hmap_shim_jiffies_stop(false);
	ms = settle(map, &st);
	hmap_test_set_alloc(map, NULL, NULL);
	hmap_destroy(map);
	*setup = st0.B == 8 && tried == 1 && com.B == 9 && !com.resizing &&
		 over.B == 9 && !over.resizing &&
		 stop_ns - c.failed10_ns <
		 jiffies_to_msecs(HMAP_BG_RETRY) * NSEC_PER_MSEC / 2;
	ok = !bad && st.count == 3400 && settled(&st);
	snprintf(res->note, sizeof(res->note),
		 "B %u at 1500 entries; grow to 2^9 committed (B %u, resizing %u) after the array ahead failed in it (%d tried); filled to 3400: B %u (resizing %u); then B %u (resizing %u) after %.0f ms idle, %lu errors",
		 st0.B, com.B, (unsigned int)com.resizing, tried, over.B,
		 (unsigned int)over.resizing, st.B, (unsigned int)st.resizing,
		 ms, bad);
	return ok;
}

/*
 * A grow that comes due in the hold-off after an array allocated ahead
 * failed during a resize is still made when writes stop there: the
 * failure armed no one (a resize was in progress), so the commit of that
 * resize must (the inserts of the hold-off ask for no array). A map at
 * B 8 whose grow to 2^9 waits (its arrays failed) starts it with 2,601
 * entries, asking for 2^10 ahead, which fails while the grow is still in
 * progress; the grow is committed with nothing due, then the map is
 * filled past its load (3,400 entries) before the hold-off ends, and left
 * alone: it must grow to 2^10 by itself. Jiffies stand still from just
 * after the failure to the end of the fill, so that a slow machine fills
 * within the hold-off too. A try where an insert asked for 2^10 again, or the
 * worker grew the map meanwhile, has not set the case up: up to three
 * tries, and the case fails if none did.
 */
static void test_ahead_failed_in_resize(struct result *res)
{
	bool setup = false, ok = true;
	int tries;

	for (tries = 1; tries <= 3 && ok && !setup; tries++)
		ok = ar_try(res, &setup);
	res->ok = ok && setup;
	if (!setup)
		strncat(res->note, "; the case was not set up",
			sizeof(res->note) - strlen(res->note) - 1);
}

/* Array allocations wait in the allocator while @hold is set. */
static bool hold_alloc_hook(struct hmap *map, enum hmap_test_alloc what,
			    unsigned int bits, gfp_t gfp, void *arg)
{
	bool *hold = arg;

	while (what == HMAP_TEST_ALLOC_ARRAY && READ_ONCE(*hold))
		usleep(1000);
	return false;
}

/*
 * A map no one writes still ends at the size it needs: an HMAP_F_ATOMIC
 * map filled while its first grow's array is held in the allocator (its
 * grows start only once @prealloc_work has their arrays), so that it ends
 * the inserts far above its load at 2^0 buckets, then left alone with the
 * allocator released, grows on by itself (the worker starts the grow that
 * is due when one ends) until it is no longer above its load, as a map
 * whose writers may sleep is at once; not one grow, then long chains for
 * ever.
 */
static void test_atomic_settles_idle(struct result *res)
{
	struct hmap_stats filled, st;
	unsigned long bad = 0;
	u64 n = 4000;
	bool hold = true;
	struct hmap *map;
	double ms;

	map = sr_map(HMAP_F_ATOMIC, 0, &bad);
	if (IS_ERR(map)) {
		res->ok = false;
		return;
	}
	hmap_test_set_alloc(map, hold_alloc_hook, &hold);
	sr_insert(map, 0, n, &bad);
	hmap_get_stats(map, &filled);
	WRITE_ONCE(hold, false);
	ms = settle(map, &st);
	hmap_test_set_alloc(map, NULL, NULL);
	hmap_destroy(map);
	res->ok = !bad && filled.B == 0 && !filled.resizing &&
		  st.count == n && settled(&st);
	snprintf(res->note, sizeof(res->note),
		 "%llu entries: B %u (resizing %u) when the inserts ended, then B %u (resizing %u) after %.0f ms idle, %llu grows, %lu errors",
		 (unsigned long long)n, filled.B, (unsigned int)filled.resizing,
		 st.B, (unsigned int)st.resizing, ms,
		 (unsigned long long)st.grows, bad);
}

/*
 * The worker's own retries of a resize whose array keeps failing back off
 * (HMAP_BG_BACKOFF_SHIFT): an emptied map left alone while every array
 * allocation fails for 1.2 s asks for about log2(1200 / 20) arrays in
 * that time (tries at 20, 60, 140, 300, 620 ms: 5, bound 8 for jiffies'
 * rounding), not one per HMAP_BG_RETRY (60); and once arrays can be had
 * again, it still shrinks to 2^0 buckets by itself, after the back-off
 * reached (the next try at most 1.28 s after the last failure).
 */
static void test_shrink_backoff_idle(struct result *res)
{
	int deleting, tries, bound = 8;
	struct hmap_stats full, st;
	unsigned long bad = 0;
	struct sr_ctx c = {};
	struct hmap *map;
	double ms;

	map = sr_map(0, 2000, &bad);
	if (IS_ERR(map)) {
		res->ok = false;
		return;
	}
	settle(map, &full);
	sr_empty_failing(map, &c, 2000, &bad);
	/* The deletes' own tries (one per HMAP_BG_RETRY) are not counted. */
	deleting = __atomic_load_n(&c.arrays, __ATOMIC_RELAXED);
	usleep(1200 * 1000);
	WRITE_ONCE(c.fail, false);
	tries = __atomic_load_n(&c.arrays, __ATOMIC_RELAXED) - deleting;
	/* Left alone: the shrinks come by themselves, after the back-off. */
	ms = wait_stats(map, &st, sr_shrunk, 4);
	hmap_test_set_alloc(map, NULL, NULL);
	hmap_destroy(map);
	res->ok = !bad && settled(&full) && tries >= 2 && tries <= bound &&
		  !st.count && !st.B && !st.resizing;
	snprintf(res->note, sizeof(res->note),
		 "B %u at 2000 entries; emptied (%d arrays tried), then idle 1.2 s with arrays failing: %d tried (at most %d); then B %u (resizing %u) after %.0f ms idle, count %llu, %lu errors",
		 full.B, deleting, tries, bound, st.B, (unsigned int)st.resizing, ms,
		 (unsigned long long)st.count, bad);
}

/*
 * Every array allocation fails; each try's time is kept (the last in
 * @last_s), and a try from thread @hold_tid waits while @hold is set.
 */
struct bw_ctx {
	struct hmap *map;
	pthread_t hold_tid;	/* set before @hold */
	bool hold;		/* READ_ONCE(), WRITE_ONCE() */
	bool fail;		/* READ_ONCE(), WRITE_ONCE() */
	int tries;		/* __atomic */
	int held;		/* __atomic */
	u64 last_ns;		/* __atomic */
	u64 prev_ns;		/* __atomic: the try before the last */
};

static bool bw_alloc_hook(struct hmap *map, enum hmap_test_alloc what,
			  unsigned int bits, gfp_t gfp, void *arg)
{
	struct bw_ctx *c = arg;
	u64 now = ktime_get_ns();

	if (what != HMAP_TEST_ALLOC_ARRAY || !READ_ONCE(c->fail))
		return false;
	if (READ_ONCE(c->hold) && pthread_equal(pthread_self(), c->hold_tid)) {
		__atomic_store_n(&c->held, 1, __ATOMIC_RELEASE);
		while (READ_ONCE(c->hold))
			usleep(1000);
		now = ktime_get_ns();
	}
	__atomic_store_n(&c->prev_ns,
			 __atomic_load_n(&c->last_ns, __ATOMIC_RELAXED),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&c->last_ns, now, __ATOMIC_RELEASE);
	__atomic_add_fetch(&c->tries, 1, __ATOMIC_RELEASE);
	return true;
}

/*
 * Have this thread's array allocations held, then insert key 2^40 into
 * @arg's map and delete it again.
 */
static void *bw_writer(void *arg)
{
	struct bw_ctx *c = arg;
	u64 id = 1ULL << 40, val = 0;

	c->hold_tid = pthread_self();
	WRITE_ONCE(c->hold, true);
	hmap_update(c->map, &id, sizeof(id), &val, sizeof(val), HMAP_NOEXIST);
	hmap_delete(c->map, &id, sizeof(id));
	return NULL;
}

/*
 * The failure of an array a write asked for resets the worker's back-off,
 * even when the worker asked too while that array was in flight: an
 * emptied map whose arrays all fail, left alone until the worker's own
 * tries have backed off to 320 ms; then a delete asks for the shrink's
 * array itself (a writer that may sleep allocates it), held in the
 * allocator while the worker's next try comes (its request waits for the
 * allocation in flight); that array fails: the worker must try again
 * about %HMAP_BG_RETRY (20 ms) after it, as after any failure of a write's
 * array, not after a back-off doubled again (640 ms), as it did when its
 * waiting request made the write's failure count as its own.
 */
static void test_backoff_write_failure(struct result *res)
{
	struct bw_ctx c = { .fail = true };
	struct hmap_stats full, st;
	double t0, gap, last, rel, next = -1;
	u64 ns;
	unsigned long bad = 0;
	pthread_t writer;
	struct hmap *map;
	int base;

	map = sr_map(0, 2000, &bad);
	if (IS_ERR(map)) {
		res->ok = false;
		return;
	}
	settle(map, &full);
	hmap_test_set_alloc(map, bw_alloc_hook, &c);
	for (u64 id = 0; id < 2000; id++)
		if (hmap_delete(map, &id, sizeof(id)))
			bad++;
	/*
	 * The worker's tries back off: 20, 40, 80, 160, then 320 ms apart.
	 * Wait for the gap of 160 ms: the next try is 320 ms after its end.
	 */
	t0 = now_s();
	do {
		usleep(1000);
		gap = (__atomic_load_n(&c.last_ns, __ATOMIC_ACQUIRE) -
		       __atomic_load_n(&c.prev_ns, __ATOMIC_RELAXED)) / 1e9;
	} while ((gap < 0.12 || gap > 0.24) && now_s() - t0 < 5);
	last = __atomic_load_n(&c.last_ns, __ATOMIC_ACQUIRE) / 1e9;
	/* Past the hold-off, well before the worker's next try. */
	while (now_s() < last + 0.06)
		usleep(1000);
	c.map = map;
	pthread_create(&writer, NULL, bw_writer, &c);
	/* The writer's array is held; the worker's next try comes and waits. */
	while (now_s() < last + 0.5)
		usleep(1000);
	WRITE_ONCE(c.hold, false);
	pthread_join(writer, NULL);
	rel = __atomic_load_n(&c.last_ns, __ATOMIC_ACQUIRE) / 1e9;
	base = __atomic_load_n(&c.tries, __ATOMIC_ACQUIRE);
	t0 = now_s();
	while (__atomic_load_n(&c.tries, __ATOMIC_ACQUIRE) == base &&
	       now_s() - t0 < 3)
		usleep(1000);
	ns = __atomic_load_n(&c.last_ns, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&c.tries, __ATOMIC_ACQUIRE) > base)
		next = ns / 1e9 - rel;
	WRITE_ONCE(c.fail, false);
	wait_stats(map, &st, sr_shrunk, 4);
	hmap_test_set_alloc(map, NULL, NULL);
	hmap_destroy(map);
	res->ok = !bad && settled(&full) && gap >= 0.12 && gap <= 0.24 &&
		  c.held && next >= 0 && next < 0.2 && !st.count &&
		  sr_shrunk(&st);
	snprintf(res->note, sizeof(res->note),
		 "B %u at 2000 entries, emptied; the worker's tries %.0f ms apart; a write's array held (%d) while the worker asked, then failed: the worker tried again after %.0f ms (at most 200); then B %u (resizing %u), %lu errors",
		 full.B, gap * 1000, c.held, next * 1000, st.B,
		 (unsigned int)st.resizing, bad);
}

/*
 * The hold-off ends for good: an HMAP_F_ATOMIC map at the cap after its
 * grow's array failed, left alone for half the range of jiffies (2^31 on
 * a 32-bit kernel, 24.8 days at HZ=1000; here 2^63), must not take the
 * failure for a recent one again: with arrays working, the next inserts
 * have @prealloc_work allocate the grow's and go in.
 */
static void test_holdoff_jiffies_wrap(struct result *res)
{
	struct hmap_params p = {
		.key_size = 8, .value_size = 8, .max_entries = 1 << 20,
		.flags = HMAP_F_ATOMIC,
	};
	const unsigned long skip = (1UL << (BITS_PER_LONG - 1)) +
				   2 * HMAP_BG_RETRY;
	struct sr_ctx c = { .fail = true };
	unsigned long enomem = 0, other = 0;
	struct hmap_stats st;
	struct hmap *map;
	int err = 0;
	double t0;
	u64 id, val;

	map = hmap_create(&p);
	if (IS_ERR(map)) {
		res->ok = false;
		return;
	}
	hmap_test_set_alloc(map, sr_alloc_hook, &c);
	/* Up to the cap: @prealloc_work's arrays fail meanwhile. */
	t0 = now_s();
	for (id = 0; err != -ENOMEM && now_s() - t0 < 5; id++) {
		val = id;
		err = hmap_update(map, &id, sizeof(id), &val, sizeof(val),
				  HMAP_NOEXIST);
		if (err && err != -ENOMEM)
			other++;
		usleep(100);
	}
	WRITE_ONCE(c.fail, false);
	hmap_shim_jiffies_skip(skip);
	/* One insert a millisecond for up to 500 ms. */
	t0 = now_s();
	do {
		val = id;
		err = hmap_update(map, &id, sizeof(id), &val, sizeof(val),
				  HMAP_NOEXIST);
		if (err == -ENOMEM)
			enomem++;
		else if (err)
			other++;
		usleep(1000);
	} while (err && now_s() - t0 < 0.5);
	hmap_get_stats(map, &st);
	hmap_test_set_alloc(map, NULL, NULL);
	hmap_destroy(map);
	hmap_shim_jiffies_skip(-skip);
	res->ok = c.arrays >= 1 && !err && !other && st.grows >= 1;
	snprintf(res->note, sizeof(res->note),
		 "%d arrays failed up to the cap (count %llu); after the skip: %lu -ENOMEM, then %s, %llu grows, %lu other errors",
		 c.arrays, (unsigned long long)st.count, enomem,
		 err ? "none inserted" : "inserted", (unsigned long long)st.grows,
		 other);
}

/*
 * Refilling the reserve takes no map-wide lock: an HMAP_F_ATOMIC map of
 * 2^10 buckets gets 1,000 keys of one hash (a chain of 125 buckets, far
 * from a grow or a same-size grow), so that its writers ask @prealloc_work
 * for overflow buckets again and again; it must never take
 * hmap_lock_all() (counted on &hmap.resize_lock, which only that takes)
 * when no array is wanted.
 */
static u64 one_hash(const void *key, u32 key_len)
{
	return 0x5a5a5a5a5a5a5a5aULL;
}

static void test_refill_no_lock_all(struct result *res)
{
	struct hmap_params p = {
		.key_size = 8, .value_size = 8, .max_entries = 1 << 20,
		.capacity_hint = 6000, .flags = HMAP_F_ATOMIC,
	};
	unsigned long before, taken, bad = 0;
	struct hmap_stats st;
	struct hmap *map;
	u64 id, val;

	map = hmap_create(&p);
	if (IS_ERR(map)) {
		res->ok = false;
		return;
	}
	hmap_test_set_background(map, false);
	hmap_test_set_hash(map, one_hash);
	usleep(20000);
	before = __atomic_load_n(&map->resize_lock.acquired, __ATOMIC_RELAXED);
	for (id = 0; id < 1000; id++) {
		val = id;
		if (hmap_update(map, &id, sizeof(id), &val, sizeof(val),
				HMAP_NOEXIST))
			bad++;
		/* Give @prealloc_work its turn now and then. */
		if (id % 16 == 15)
			usleep(200);
	}
	usleep(20000);
	taken = __atomic_load_n(&map->resize_lock.acquired, __ATOMIC_RELAXED) -
		before;
	hmap_get_stats(map, &st);
	hmap_destroy(map);
	res->ok = !bad && st.count == 1000 && st.B == 10 && !st.resizing &&
		  !st.grows && !st.same_size_grows && st.noverflow >= 100 &&
		  !taken;
	snprintf(res->note, sizeof(res->note),
		 "B %u, %llu overflow buckets, %llu grows, %llu same-size grows: every lock of the map taken %lu times, %lu failed inserts",
		 st.B, (unsigned long long)st.noverflow,
		 (unsigned long long)st.grows,
		 (unsigned long long)st.same_size_grows, taken, bad);
}

/*
 * The array @prealloc_work allocated is installed without &hmap.work_lock:
 * a writer past the cap that waits for that allocation (the claim) must
 * not also wait for whoever holds the mutex meanwhile (a whole
 * hmap_shrink_to_fit(), say; here the test itself holds it).
 */
struct wl_ctx {
	bool fail, block, entered, release;	/* READ_ONCE(), WRITE_ONCE() */
	struct hmap *map;
	bool done;				/* __atomic */
	int err;
};

static bool wl_alloc_hook(struct hmap *map, enum hmap_test_alloc what,
			  unsigned int bits, gfp_t gfp, void *arg)
{
	struct wl_ctx *c = arg;

	if (what != HMAP_TEST_ALLOC_ARRAY)
		return false;
	if (READ_ONCE(c->fail))
		return true;
	if (READ_ONCE(c->block)) {
		WRITE_ONCE(c->entered, true);
		while (!READ_ONCE(c->release))
			usleep(1000);
	}
	return false;
}

static void *wl_writer(void *arg)
{
	struct wl_ctx *c = arg;
	u64 id = 1000000, val = 0;

	hmap_shim_rcu_register();
	c->err = hmap_update(c->map, &id, sizeof(id), &val, sizeof(val),
			     HMAP_NOEXIST);
	__atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void test_install_without_work_lock(struct result *res)
{
	struct hmap_params p = {
		.key_size = 8, .value_size = 8, .max_entries = 1 << 20,
	};
	struct wl_ctx c = { .fail = true };
	bool entered, done_held = false;
	u64 id, val, cap;
	pthread_t w;
	double t0;
	int err = 0;

	c.map = hmap_create(&p);
	if (IS_ERR(c.map)) {
		res->ok = false;
		return;
	}
	hmap_test_set_background(c.map, false);
	hmap_test_set_alloc(c.map, wl_alloc_hook, &c);
	for (id = 0; id < 1000 && !err; id++) {
		val = id;
		err = hmap_update(c.map, &id, sizeof(id), &val, sizeof(val),
				  HMAP_NOEXIST);
	}
	cap = hmap_count(c.map);
	/* Past the hold-off: the next array is asked for ahead. */
	usleep(jiffies_to_msecs(HMAP_BG_RETRY) * 1000 + 20000);
	WRITE_ONCE(c.fail, false);
	WRITE_ONCE(c.block, true);
	mutex_lock(&c.map->work_lock);
	__hmap_test_prealloc(c.map);
	mutex_unlock(&c.map->work_lock);
	t0 = now_s();
	while (!READ_ONCE(c.entered) && now_s() - t0 < 2)
		usleep(1000);
	entered = READ_ONCE(c.entered);
	/* The work allocates, without the mutex: hold it, as a caller may. */
	mutex_lock(&c.map->work_lock);
	pthread_create(&w, NULL, wl_writer, &c);
	usleep(20000);
	WRITE_ONCE(c.release, true);
	t0 = now_s();
	while (entered && now_s() - t0 < 2 &&
	       !(done_held = __atomic_load_n(&c.done, __ATOMIC_ACQUIRE)))
		usleep(1000);
	mutex_unlock(&c.map->work_lock);
	pthread_join(w, NULL);
	hmap_test_set_alloc(c.map, NULL, NULL);
	res->ok = err == -ENOMEM && entered && done_held && !c.err &&
		  hmap_count(c.map) == cap + 1;
	snprintf(res->note, sizeof(res->note),
		 "cap %llu; the work's allocation %s; the writer past the cap %s while the mutex was held (%d), count %llu",
		 (unsigned long long)cap, entered ? "seen" : "never seen",
		 done_held ? "finished" : "did not finish", c.err,
		 (unsigned long long)hmap_count(c.map));
	hmap_destroy(c.map);
}

/*
 * What KUnit's hmap_fault_test_writes_each_allocation does, natively: 600
 * keys with 16 distinct low hash bits (the top byte varies), the worker
 * off, each allocation of each insert failed in turn. That walk fails a
 * grow's array whenever one is tried, and the failure holds off the next
 * try for HMAP_BG_RETRY, so the inserts may end with the map short of the
 * size 600 keys need (the rest in chains, below the cap): from there, a
 * delete down to a quarter is no shrink. After the hold-off, clean delete
 * and insert pairs of one key must grow it to that size (at most 2^B + 1
 * pairs: the first starts the grow, each write evacuates up to two old
 * buckets); then three quarters are deleted with each allocation failed
 * in turn, and after the hold-off clean pairs must start the shrink.
 */
struct ea_key {
	u64 hash;
	u64 id;
};

struct ea_ctx {
	struct hmap *map;
	struct ea_key keys[600];
	bool live[600];
	unsigned long bad;	/* results the model does not allow */
	unsigned long enomem;
};

static u64 ea_hash(const void *key, u32 key_len)
{
	u64 hash;

	memcpy(&hash, key, sizeof(hash));
	return hash;
}

/* Insert (@put) or delete key @k; check the result against the model. */
static int ea_write(struct ea_ctx *c, unsigned int k, bool put)
{
	u64 val = k;
	int err;

	if (put)
		err = hmap_update(c->map, &c->keys[k], sizeof(c->keys[k]),
				  &val, sizeof(val), HMAP_ANY);
	else
		err = hmap_delete(c->map, &c->keys[k], sizeof(c->keys[k]));
	if (!err)
		c->live[k] = put;
	else if (err == -ENOMEM && put)
		c->enomem++;
	else if (!(err == -ENOENT && !put && !c->live[k]))
		c->bad++;
	return err;
}

/*
 * Fail the n-th allocation of the write, n = 1, 2, ... until one runs
 * without a failure; a faulted write that went through is taken back.
 * Return: how many allocations failed.
 */
static unsigned int ea_each_allocation(struct ea_ctx *c, unsigned int k,
				       bool put)
{
	unsigned int n, points = 0;
	unsigned long before;
	int err = 0;

	for (n = 1; n < 20; n++) {
		before = hmap_shim_failed_allocs();
		hmap_shim_fail_allocs(n - 1, 1);
		err = ea_write(c, k, put);
		hmap_shim_fail_allocs(0, 0);
		if (hmap_shim_failed_allocs() == before)
			break;
		points++;
		if (!err && ea_write(c, k, !put))
			c->bad++;
	}
	if (err)
		c->bad++;
	return points;
}

/* No resize in progress, and the map at or under its load. */
static bool ea_fits(const struct hmap_stats *st)
{
	return !st->resizing &&
	       st->count * HMAP_LOAD_DEN <= (u64)HMAP_LOAD_NUM << st->B;
}

/*
 * After the hold-off, clean delete and insert pairs of key 0 until the map
 * fits (@shrink: until a shrink started), at most 2^B + 1 of them.
 * Return: the pairs; *@st is the map's stats after them.
 */
static unsigned int ea_pairs(struct ea_ctx *c, bool shrink,
			     struct hmap_stats *st)
{
	unsigned int pairs;

	usleep(jiffies_to_msecs(HMAP_BG_RETRY) * 1000 + 20000);
	hmap_get_stats(c->map, st);
	for (pairs = 0; pairs <= (1U << st->B); pairs++) {
		if (shrink ? st->shrinks : ea_fits(st))
			break;
		if (ea_write(c, 0, false) || ea_write(c, 0, true))
			c->bad++;
		hmap_get_stats(c->map, st);
	}
	return pairs;
}

static void test_shrink_after_faulted_writes(struct result *res)
{
	struct hmap_params p = {
		.key_size = sizeof(struct ea_key), .value_size = 8,
		.max_entries = 600,
	};
	struct ea_ctx *c = calloc(1, sizeof(*c));
	unsigned int k, points = 0, grow_pairs, pairs;
	struct hmap_stats walked, grown, st;
	u64 live = 0;

	if (!c) {
		res->ok = false;
		return;
	}
	for (k = 0; k < 600; k++) {
		c->keys[k].hash = ((u64)(k * 37 % 251) << 56) |
				  ((k * 0x9e3779b9U) % 16);
		c->keys[k].id = k;
	}
	c->map = hmap_create(&p);
	if (IS_ERR(c->map)) {
		free(c);
		res->ok = false;
		return;
	}
	hmap_test_set_background(c->map, false);
	hmap_test_set_hash(c->map, ea_hash);
	for (k = 0; k < 600; k++)
		points += ea_each_allocation(c, k, true);
	hmap_get_stats(c->map, &walked);
	grow_pairs = ea_pairs(c, false, &grown);
	for (k = 0; k < 600; k++)
		if (k % 4)
			points += ea_each_allocation(c, k, false);
	pairs = ea_pairs(c, true, &st);
	for (k = 0; k < 600; k++)
		live += c->live[k];
	res->ok = !c->bad && ea_fits(&grown) && st.count == live &&
		  st.grows >= 3 && st.shrinks >= 1;
	snprintf(res->note, sizeof(res->note),
		 "%u allocations failed, %lu -ENOMEM, %lu bad; inserted: B %u for %llu entries, then %u pairs: B %u%s; deleted: %u pairs, B %u, %llu grows, %llu same-size, %llu shrinks",
		 points, c->enomem, c->bad, walked.B,
		 (unsigned long long)walked.count, grow_pairs, grown.B,
		 ea_fits(&grown) ? "" : " (still over its load)", pairs, st.B,
		 (unsigned long long)st.grows,
		 (unsigned long long)st.same_size_grows,
		 (unsigned long long)st.shrinks);
	hmap_destroy(c->map);
	free(c);
}

/*
 * hmap_shrink_to_fit() against writers that keep starting resizes while
 * it evacuates: it gives up with -EAGAIN after a bounded number of them
 * (%HMAP_SHRINK_ROUNDS), the map as correct as ever; it used to evacuate
 * for as long as they went on. The writers are the allocation hook, run
 * by the shrinking thread when its evacuation refills the reserve: 48
 * keys hash to the last bucket at every size (a chain of 6 buckets, more
 * than the reserve holds, so that each resize's evacuation of it refills
 * it), and at each refill the hook finishes the resize in progress with
 * updates and starts the next grow with inserts of keys that hash
 * elsewhere, @budget times at most; it then takes the map's reserve away
 * (given back at the end), so that the next evacuation of the chain
 * refills it again.
 */
#define WR_CHAIN	48

struct wr_ctx {
	pthread_t shrinker;
	bool acting;
	unsigned int acts, budget;
	u64 next;
	unsigned long bad;
	struct hmap_bucket *stolen;
};

/* Move the map's reserve onto @c->stolen (@back: the other way). */
static void wr_reserve_move(struct hmap *map, struct wr_ctx *c, bool back)
{
	struct hmap_bucket *b;
	unsigned long flags;

	spin_lock_irqsave(&map->lock, flags);
	if (!back) {
		while ((b = map->reserve)) {
			map->reserve = rcu_dereference_protected(b->overflow,
								 1);
			WRITE_ONCE(map->nreserve, map->nreserve - 1);
			RCU_INIT_POINTER(b->overflow, c->stolen);
			c->stolen = b;
		}
	} else {
		while ((b = c->stolen)) {
			c->stolen = rcu_dereference_protected(b->overflow, 1);
			RCU_INIT_POINTER(b->overflow, map->reserve);
			map->reserve = b;
			WRITE_ONCE(map->nreserve, map->nreserve + 1);
		}
	}
	spin_unlock_irqrestore(&map->lock, flags);
}

static u64 wr_hash(const void *key, u32 key_len)
{
	u64 id, top;

	memcpy(&id, key, sizeof(id));
	top = (u64)(6 + id % 200) << 56;
	if (id < WR_CHAIN)
		return top | ((1ULL << 56) - 1);
	/* Never the last bucket: bit 0 clear. */
	return top | ((id * 0x9e3779b97f4a7c15ULL) & ((1ULL << 56) - 2));
}

static bool wr_alloc_hook(struct hmap *map, enum hmap_test_alloc what,
			  unsigned int bits, gfp_t gfp, void *arg)
{
	struct wr_ctx *c = arg;
	unsigned int i;
	u64 id, val;

	if (what != HMAP_TEST_ALLOC_OVERFLOW ||
	    !pthread_equal(pthread_self(), c->shrinker) || c->acting ||
	    c->acts == c->budget ||
	    READ_ONCE(map->resizing) == HMAP_RESIZE_NONE)
		return false;
	c->acting = true;
	/* Writes finish the resize in progress... */
	for (i = 0; i < 100000 &&
	     READ_ONCE(map->resizing) != HMAP_RESIZE_NONE; i++) {
		id = i % WR_CHAIN;
		val = id;
		if (hmap_update(map, &id, sizeof(id), &val, sizeof(val),
				HMAP_EXIST))
			c->bad++;
	}
	/* ...and start the next. */
	for (i = 0; i < 100000 &&
	     READ_ONCE(map->resizing) == HMAP_RESIZE_NONE; i++) {
		id = c->next++;
		val = id;
		if (hmap_update(map, &id, sizeof(id), &val, sizeof(val),
				HMAP_NOEXIST))
			c->bad++;
	}
	if (READ_ONCE(map->resizing) != HMAP_RESIZE_NONE)
		c->acts++;
	wr_reserve_move(map, c, false);
	c->acting = false;
	return false;
}

static void test_shrink_writers_resizing(struct result *res)
{
	struct hmap_params p = {
		.key_size = 8, .value_size = 8, .max_entries = 1 << 22,
	};
	struct wr_ctx c = { .budget = 12, .next = 1000 };
	u64 id, val, found = 0, want = 0;
	struct hmap_stats st;
	struct hmap *map;
	int err, again;

	map = hmap_create(&p);
	if (IS_ERR(map)) {
		res->ok = false;
		return;
	}
	hmap_test_set_background(map, false);
	hmap_test_set_hash(map, wr_hash);
	for (id = 0; id < WR_CHAIN; id++) {
		val = id;
		if (hmap_update(map, &id, sizeof(id), &val, sizeof(val),
				HMAP_NOEXIST))
			c.bad++;
	}
	c.shrinker = pthread_self();
	hmap_test_set_alloc(map, wr_alloc_hook, &c);
	err = hmap_shrink_to_fit(map);
	hmap_test_set_alloc(map, NULL, NULL);
	wr_reserve_move(map, &c, true);
	for (id = 0; id < c.next; id++) {
		u32 vlen = sizeof(val);

		if (id >= WR_CHAIN && id < 1000)
			continue;
		want++;
		if (!hmap_lookup(map, &id, sizeof(id), &val, &vlen) &&
		    val == id)
			found++;
	}
	again = hmap_shrink_to_fit(map);
	hmap_get_stats(map, &st);
	res->ok = err == -EAGAIN && c.acts > 1 && c.acts < c.budget &&
		  !c.bad && found == want && st.count == want && !again &&
		  !st.resizing;
	snprintf(res->note, sizeof(res->note),
		 "shrink_to_fit: %d after %u resizes started by writes (at most %u); %llu of %llu keys found, %lu failed writes; again: %d, B %u, %llu grows",
		 err, c.acts, c.budget, (unsigned long long)found,
		 (unsigned long long)want, c.bad, again, st.B,
		 (unsigned long long)st.grows);
	hmap_destroy(map);
}

/* ---- Main ---- */

static const struct {
	const char *name;
	void (*fn)(struct result *res);
} tests[] = {
	{ "model_siphash", test_model_siphash },
	{ "model_jhash", test_model_jhash },
	{ "model_atomic", test_model_atomic },
	{ "model_collisions", test_model_collisions },
	{ "model_equal_hashes", test_model_equal_hashes },
	{ "model_tiny", test_model_tiny },
	{ "model_background", test_model_background },
	{ "model_kvfree_fallback", test_model_kvfree_fallback },
	{ "walks_across_resizes", test_walks_across_resizes },
	{ "walks_across_resizes_collisions", test_walks_across_resizes_collisions },
	{ "large_map", test_large },
	{ "readers_never_miss", test_readers },
	{ "writers_disjoint", test_writers_disjoint },
	{ "writers_overlap", test_writers_overlap },
	{ "writers_tiny", test_writers_tiny },
	{ "writers_faults", test_writers_faults },
	{ "writers_atomic", test_writers_atomic },
	{ "max_entries_racing", test_max_entries_racing },
	{ "max_entries_racing_atomic", test_max_entries_racing_atomic },
	{ "max_entries_racing_resizing", test_max_entries_racing_resizing },
	{ "capped_writers_one_array", test_capped_writers },
	{ "capped_writers_fast_failures", test_capped_writers_fast },
	{ "ahead_holdoff_sleeping", test_ahead_holdoff_sleeping },
	{ "ahead_holdoff_atomic", test_ahead_holdoff_atomic },
	{ "shrink_held_off_sleeping", test_shrink_held_off_sleeping },
	{ "shrink_held_off_atomic", test_shrink_held_off_atomic },
	{ "fit_above_load_sleeping", test_fit_above_load_sleeping },
	{ "fit_above_load_atomic", test_fit_above_load_atomic },
	{ "atomic_settles_idle", test_atomic_settles_idle },
	{ "ahead_failed_then_idle_sleeping", test_ahead_failed_then_idle_sleeping },
	{ "ahead_failed_then_idle_atomic", test_ahead_failed_then_idle_atomic },
	{ "ahead_failed_in_resize", test_ahead_failed_in_resize },
	{ "backoff_write_failure", test_backoff_write_failure },
	{ "shrink_backoff_idle", test_shrink_backoff_idle },
	{ "holdoff_jiffies_wrap", test_holdoff_jiffies_wrap },
	{ "refill_no_lock_all", test_refill_no_lock_all },
	{ "install_without_work_lock", test_install_without_work_lock },
	{ "shrink_after_faulted_writes", test_shrink_after_faulted_writes },
	{ "shrink_writers_resizing", test_shrink_writers_resizing },
};

int main(int argc, char **argv)
{
	const char *only = NULL;
	int opt, passed = 0, failed = 0, n = 0;
	size_t i;

	while ((opt = getopt(argc, argv, "qs:t:")) != -1) {
		switch (opt) {
		case 'q':
			scale = 0.1;
			break;
		case 's':
			scale = atof(optarg);
			break;
		case 't':
			only = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-q] [-s SCALE] [-t TEST]\n",
				argv[0]);
			return 2;
		}
	}
	hmap_shim_init();
	hmap_shim_rcu_register();
	if (hmap_core_init()) {
		fprintf(stderr, "hmap_core_init() failed\n");
		return 1;
	}
	printf("TAP version 13\n");
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		struct result res = { .ok = true };
		double t0 = now_s();

		if (only && strcmp(only, tests[i].name))
			continue;
		tests[i].fn(&res);
		n++;
		printf("%s %d %s # %.1f s; %s\n", res.ok ? "ok" : "not ok", n,
		       tests[i].name, now_s() - t0, res.note);
		fflush(stdout);
		if (res.ok)
			passed++;
		else
			failed++;
	}
	hmap_core_exit();
	printf("1..%d\n", n);
	if (hmap_shim_warnings())
		failed++;
	printf("hmap_test: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
