// SPDX-License-Identifier: GPL-2.0
/*
 * hmap_evacuation: a grow, a same-size grow and a shrink driven one write
 * at a time with the background worker off. After every write: each entry
 * is where it must be (its old bucket until that bucket is evacuated, then
 * the X or Y bucket its hash picks, with the old slot marked to match),
 * nevacuate, at most two old buckets evacuated, every lookup hits, and the
 * old array is freed once the last bucket is evacuated. Keys carry their
 * own hash, so the cases choose buckets, tags and collisions.
 */

#include <linux/delay.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "hmap_kunit.h"

struct evac_ctx {
	struct kunit *test;
	struct hmap *map;
	struct hmap_kunit_key *keys;
	bool *live;
	u64 *ver;		/* writes of each key, part of its value */
	unsigned int nkeys;
	unsigned int next;	/* the key evac_step() writes next */
};

static u64 evac_value(const struct hmap_kunit_key *k, u64 ver)
{
	return k->id * 1000003 + ver;
}

/* Find the element of @k in the chain of bucket @i of @t; its tag too. */
static struct hmap_elem *evac_chain_find(struct hmap_table *t,
					 unsigned long i,
					 const struct hmap_kunit_key *k,
					 u8 *tag)
{
	struct hmap_bucket *b;
	unsigned int s;

	for (b = &t->buckets[i]; b; b = rcu_dereference(b->overflow)) {
		for (s = 0; s < HMAP_BUCKET_SLOTS; s++) {
			struct hmap_elem *e = rcu_dereference(b->elems[s]);

			if (e && e->key_len == sizeof(*k) &&
			    !memcmp(e->data, k, sizeof(*k))) {
				*tag = READ_ONCE(b->tophash[s]);
				return e;
			}
		}
	}
	return NULL;
}

/*
 * The tags of an evacuated old chain are all EVACUATED_* markers, and a
 * same-size grow or a shrink only uses X. Its elements are not looked at:
 * those replaced or deleted since may already be freed.
 */
static void evac_check_evacuated_chain(struct kunit *test,
				       struct hmap_table *old,
				       struct hmap_table *new, unsigned long i)
{
	struct hmap_bucket *b;
	unsigned int s;

	for (b = &old->buckets[i]; b; b = rcu_dereference(b->overflow)) {
		for (s = 0; s < HMAP_BUCKET_SLOTS; s++) {
			u8 tag = READ_ONCE(b->tophash[s]);

			KUNIT_EXPECT_TRUE_MSG(test,
					      hmap_tophash_is_evacuated(tag),
					      "bucket %lu tag %u", i, tag);
			if (new->B <= old->B)
				KUNIT_EXPECT_NE(test, tag,
						(u8)HMAP_EVACUATED_Y);
		}
	}
}

/* Check the placement of every live key and that lookups find them. */
static void evac_check_all(struct evac_ctx *c)
{
	struct kunit *test = c->test;
	struct hmap *map = c->map;
	struct hmap_table *old, *new;
	unsigned long b;
	unsigned int i;

	rcu_read_lock();
	old = rcu_dereference(map->tbl);
	new = rcu_dereference(old->next);
	for (i = 0; i < c->nkeys; i++) {
		const struct hmap_kunit_key *k = &c->keys[i];
		unsigned long oi = k->hash & hmap_bucket_mask(old);
		struct hmap_table *t = old;
		unsigned long at = oi;
		u8 tag = 0;
		u32 len;
		u64 v;

		if (!c->live[i]) {
			KUNIT_EXPECT_EQ(test, hmap_lookup(map, k, sizeof(*k),
							  &v, &len), -ENOENT);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, hmap_lookup(map, k, sizeof(*k), &v,
						      &len), 0, "key %u", i);
		KUNIT_EXPECT_EQ(test, v, evac_value(k, c->ver[i]));

		/*
		 * In its old bucket until that is evacuated, then in the
		 * bucket its hash picks in the new table: for a grow, X
		 * (same index) or Y (index + old size) by the new hash bit.
		 */
		if (new && hmap_bucket_evacuated(&old->buckets[oi])) {
			t = new;
			at = k->hash & hmap_bucket_mask(new);
			if (new->B > old->B)
				KUNIT_EXPECT_EQ(test, at, oi +
					(((k->hash >> old->B) & 1) << old->B));
		}
		KUNIT_EXPECT_NOT_NULL_MSG(test, evac_chain_find(t, at, k, &tag),
					  "key %u", i);
		KUNIT_EXPECT_EQ(test, tag, hmap_tophash(k->hash));
	}
	if (new) {
		for (b = 0; b <= hmap_bucket_mask(old); b++) {
			if (hmap_bucket_evacuated(&old->buckets[b]))
				evac_check_evacuated_chain(test, old, new, b);
			else
				KUNIT_EXPECT_GE(test, b, map->nevacuate);
		}
	}
	rcu_read_unlock();
}

static int evac_put(struct evac_ctx *c, unsigned int i, u64 flags)
{
	u64 v = evac_value(&c->keys[i], c->ver[i] + 1);
	int err;

	err = hmap_update(c->map, &c->keys[i], sizeof(c->keys[i]), &v,
			  sizeof(v), flags);
	if (!err) {
		c->live[i] = true;
		c->ver[i]++;
	}
	return err;
}

static void evac_del(struct evac_ctx *c, unsigned int i)
{
	KUNIT_ASSERT_EQ(c->test, hmap_delete(c->map, &c->keys[i],
					     sizeof(c->keys[i])), 0);
	c->live[i] = false;
}

/*
 * One evacuation step: rewrite the next live key's value with HMAP_EXIST
 * and check that the write evacuated one or two old buckets and moved
 * nevacuate on, then check every key.
 */
static void evac_step(struct evac_ctx *c)
{
	struct kunit *test = c->test;
	struct hmap_stats st;
	u64 before, nevac;
	unsigned int i;

	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_NE(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	before = st.evacuated_by_writers;
	nevac = st.nevacuate;
	do {
		i = c->next++ % c->nkeys;
	} while (!c->live[i]);

	KUNIT_ASSERT_EQ(test, evac_put(c, i, HMAP_EXIST), 0);
	hmap_get_stats(c->map, &st);
	KUNIT_EXPECT_LE(test, st.evacuated_by_writers - before, 2ULL);
	KUNIT_EXPECT_GE(test, st.evacuated_by_writers - before, 1ULL);
	if (st.resizing != HMAP_RESIZE_NONE)
		KUNIT_EXPECT_GT(test, st.nevacuate, nevac);
	evac_check_all(c);
}

static struct evac_ctx *evac_new(struct kunit *test, unsigned int nkeys,
				 struct hmap *map)
{
	struct evac_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->test = test;
	c->nkeys = nkeys;
	c->keys = kunit_kcalloc(test, nkeys, sizeof(*c->keys), GFP_KERNEL);
	c->live = kunit_kcalloc(test, nkeys, sizeof(*c->live), GFP_KERNEL);
	c->ver = kunit_kcalloc(test, nkeys, sizeof(*c->ver), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->keys);
	KUNIT_ASSERT_NOT_NULL(test, c->live);
	KUNIT_ASSERT_NOT_NULL(test, c->ver);
	c->map = map;
	return c;
}

/*
 * The write just done started a resize of @kind (HMAP_RESIZE_*) from
 * B @old_B to B @B, and every key is as the model says; *@st gets the
 * map's stats.
 */
static void evac_expect_started(struct evac_ctx *c, struct hmap_stats *st,
				u32 kind, u32 old_B, u32 B)
{
	hmap_get_stats(c->map, st);
	KUNIT_EXPECT_EQ(c->test, st->resizing, kind);
	KUNIT_EXPECT_EQ(c->test, st->old_B, old_B);
	KUNIT_EXPECT_EQ(c->test, st->B, B);
	evac_check_all(c);
}

/*
 * Drive the resize in progress to its end, one write at a time, and check
 * every key. *@st holds the map's stats read since the resize started (its
 * arrays_freed: the count before the old array goes); it gets them at the
 * end.
 */
static void evac_to_end(struct evac_ctx *c, struct hmap_stats *st)
{
	const u64 arrays_freed_before = st->arrays_freed;
	struct kunit *test = c->test;
	int rounds;

	for (rounds = 0; rounds < 1000; rounds++) {
		hmap_get_stats(c->map, st);
		if (st->resizing == HMAP_RESIZE_NONE)
			break;
		/* The old array lives until the last bucket is evacuated. */
		hmap_flush_frees();
		hmap_get_stats(c->map, st);
		KUNIT_EXPECT_EQ(test, st->arrays_freed, arrays_freed_before);
		evac_step(c);
	}
	hmap_get_stats(c->map, st);
	KUNIT_ASSERT_EQ(test, st->resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_EXPECT_EQ(test, st->evacuated_by_background, 0ULL);
	hmap_flush_frees();
	hmap_get_stats(c->map, st);
	KUNIT_EXPECT_EQ(test, st->arrays_freed, arrays_freed_before + 1);
	KUNIT_EXPECT_EQ(test, st->arrays_alloced - st->arrays_freed, 1ULL);
	KUNIT_EXPECT_EQ(test, st->pending_frees, 0ULL);
	evac_check_all(c);
}

/* B 2 -> 3: 26 entries fit in 4 buckets, the 27th starts the grow. */
static void hmap_evacuation_test_grow_two_buckets_per_write(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 1000, 26, true);
	struct evac_ctx *c = evac_new(test, 40, map);
	struct hmap_stats st;
	unsigned int i;

	for (i = 0; i < c->nkeys; i++)
		c->keys[i] = hmap_kunit_spread_key(i);
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_EQ(test, st.B, 2U);
	for (i = 0; i < 26; i++)
		KUNIT_ASSERT_EQ(test, evac_put(c, i, HMAP_NOEXIST), 0);
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_ASSERT_EQ(test, st.grows, 0ULL);
	evac_check_all(c);

	KUNIT_ASSERT_EQ(test, evac_put(c, 26, HMAP_NOEXIST), 0);
	evac_expect_started(c, &st, HMAP_RESIZE_GROW, 2, 3);
	KUNIT_EXPECT_EQ(test, st.grows, 1ULL);
	KUNIT_EXPECT_LE(test, st.evacuated_by_writers, 2ULL);
	KUNIT_EXPECT_GE(test, st.evacuated_by_writers, 1ULL);

	evac_to_end(c, &st);
	KUNIT_EXPECT_EQ(test, st.B, 3U);
	KUNIT_EXPECT_EQ(test, st.evacuated_by_writers, 4ULL);
}

/*
 * Same-size grow at B 2: 26 keys in bucket 0 make 3 overflow buckets;
 * deleting 19 leaves them; 9 keys in bucket 1 need a fourth, and 4 = 2^B
 * overflow buckets make the next insert rebuild the array at its size.
 */
static void hmap_evacuation_test_same_size(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 1000, 26, true);
	struct evac_ctx *c = evac_new(test, 40, map);
	struct hmap_stats st;
	unsigned int i;

	for (i = 0; i < c->nkeys; i++) {
		/* Bucket 0 for the first 26, bucket 1 for the rest. */
		c->keys[i].hash = ((u64)(i + 10) << 56) | (i < 26 ? 0 : 1);
		c->keys[i].id = i;
	}
	for (i = 0; i < 26; i++)
		KUNIT_ASSERT_EQ(test, evac_put(c, i, HMAP_NOEXIST), 0);
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_EQ(test, st.noverflow, 3ULL);
	for (i = 0; i < 19; i++)
		evac_del(c, i);
	for (i = 26; i < 35; i++)
		KUNIT_ASSERT_EQ(test, evac_put(c, i, HMAP_NOEXIST), 0);
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_EQ(test, st.noverflow, 4ULL);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_ASSERT_EQ(test, st.shrinks, 0ULL);
	evac_check_all(c);

	KUNIT_ASSERT_EQ(test, evac_put(c, 35, HMAP_NOEXIST), 0);
	evac_expect_started(c, &st, HMAP_RESIZE_SAME, 2, 2);
	KUNIT_EXPECT_EQ(test, st.same_size_grows, 1ULL);
	KUNIT_EXPECT_EQ(test, st.grows, 0ULL);

	evac_to_end(c, &st);
	/* Bucket 0 keeps 7 entries, bucket 1 has 10: one overflow bucket. */
	KUNIT_EXPECT_EQ(test, st.noverflow, 1ULL);
	KUNIT_EXPECT_EQ(test, st.overflow_alloced - st.overflow_freed, 1ULL);
}

/* B 3 -> 2 once the count falls below 13 (1.625 per bucket). */
static void hmap_evacuation_test_shrink(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 1000, 40, true);
	struct evac_ctx *c = evac_new(test, 40, map);
	struct hmap_stats st;
	unsigned int i;

	for (i = 0; i < c->nkeys; i++)
		c->keys[i] = hmap_kunit_spread_key(i);
	for (i = 0; i < 40; i++)
		KUNIT_ASSERT_EQ(test, evac_put(c, i, HMAP_NOEXIST), 0);
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_EQ(test, st.B, 3U);
	for (i = 0; i < 27; i++)
		evac_del(c, i);
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	evac_check_all(c);

	evac_del(c, 27);
	evac_expect_started(c, &st, HMAP_RESIZE_SHRINK, 3, 2);
	KUNIT_EXPECT_EQ(test, st.count, 12ULL);
	KUNIT_EXPECT_EQ(test, st.shrinks, 1ULL);

	evac_to_end(c, &st);
	KUNIT_EXPECT_EQ(test, st.B, 2U);
	KUNIT_EXPECT_EQ(test, st.evacuated_by_writers, 8ULL);
}

/*
 * A shrink where writes land between the evacuations of the two old
 * buckets that feed one new bucket: the second one must fill the empty
 * overflow bucket deletes left at the end of the chain, not run past it.
 */
static void hmap_evacuation_test_shrink_refills_chain(struct kunit *test)
{
	struct evac_ctx *c = evac_new(test, 20, hmap_kunit_map(test, 1000,
							      300, true));
	struct hmap_stats st;
	unsigned int i;

	/* Keys 0-2 and 7-12 hash to old bucket 0, 3-6 to 32, 13 to 5. */
	for (i = 0; i < c->nkeys; i++) {
		c->keys[i].hash = ((u64)(i + 10) << 56) |
				  (i >= 3 && i <= 6 ? 32 : i == 13 ? 5 : 0);
		c->keys[i].id = i;
	}
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_EQ(test, st.B, 6U);
	for (i = 0; i < 7; i++)
		KUNIT_ASSERT_EQ(test, evac_put(c, i, HMAP_NOEXIST), 0);
	KUNIT_ASSERT_EQ(test, evac_put(c, 13, HMAP_NOEXIST), 0);
	evac_del(c, 13);
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_SHRINK);
	KUNIT_ASSERT_EQ(test, st.B, 5U);

	/* New bucket 0: keys 0-2, then 7-12, the last in an overflow bucket. */
	for (i = 7; i < 13; i++)
		KUNIT_ASSERT_EQ(test, evac_put(c, i, HMAP_NOEXIST), 0);
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_EQ(test, st.noverflow, 1ULL);
	/* Empty its overflow bucket and slots 5-7: room 3 + 8 for 4 keys. */
	for (i = 12; i >= 9; i--)
		evac_del(c, i);
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_LT(test, st.nevacuate, 32ULL);
	evac_check_all(c);

	/* Evacuates old bucket 32 into new bucket 0. */
	KUNIT_ASSERT_EQ(test, evac_put(c, 3, HMAP_EXIST), 0);
	evac_check_all(c);
	hmap_get_stats(c->map, &st);
	KUNIT_EXPECT_EQ(test, st.noverflow, 1ULL);
	hmap_test_run_background(c->map);
	evac_check_all(c);
}

/*
 * Random writes against a model, in waves that grow and shrink the map
 * many times. Half the keys hash to bucket 0 at every size and the others
 * to bucket 2^j (j < 7), with 4 tags: chains are long, overflow buckets
 * fill and empty, and a shrink's two source buckets meet in bucket 0 with
 * writes in between. Every write's result is
 * checked against the model, and everything with evac_check_all() (placement,
 * markers, lookups) every 64 writes. Fixed seeds: the same run each time.
 */
static void hmap_evacuation_test_random_model(struct kunit *test)
{
	struct evac_ctx *c = evac_new(test, 600, hmap_kunit_map(test, 1000, 0,
							       true));
	struct rnd_state rnd;
	unsigned int i, op, seed;
	struct hmap_stats st;

	for (i = 0; i < c->nkeys; i++) {
		c->keys[i].hash = ((u64)(i % 4 + 5) << 56) |
				  (i % 2 ? 1U << (i % 7) : 0);
		c->keys[i].id = i;
	}
	for (seed = 1; seed <= 3; seed++) {
		prandom_seed_state(&rnd, seed);
		for (op = 0; op < 4000; op++) {
			/* Waves: mostly inserts, then mostly deletes. */
			bool grow = (op / 1000) % 2 == 0;
			u32 r = prandom_u32_state(&rnd);
			unsigned int k = r % c->nkeys;
			bool live = c->live[k];

			if ((r >> 16) % 16 < (grow ? 14 : 1)) {
				KUNIT_ASSERT_EQ(test,
						evac_put(c, k, HMAP_NOEXIST),
						live ? -EEXIST : 0);
			} else if (live || (r >> 24) % 4) {
				/* Mostly a live key: the next one from k. */
				for (i = 0; !live && i < c->nkeys; i++)
					live = c->live[k = (k + 1) % c->nkeys];
				if (live)
					evac_del(c, k);
			} else {
				int err = hmap_delete(c->map, &c->keys[k],
						      sizeof(c->keys[k]));

				KUNIT_ASSERT_EQ(test, err, -ENOENT);
			}
			if (op % 64 == 0)
				evac_check_all(c);
			if ((r >> 8) % 512 == 0)
				hmap_test_run_background(c->map);
		}
		evac_check_all(c);
	}
	hmap_get_stats(c->map, &st);
	KUNIT_EXPECT_GE(test, st.grows, 6ULL);
	KUNIT_EXPECT_GE(test, st.shrinks, 6ULL);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 0ULL);
}

/* A long overflow chain of colliding keys splits between X and Y. */
static void hmap_evacuation_test_long_chain(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 1000, 0, true);
	struct evac_ctx *c = evac_new(test, 200, map);
	struct hmap_stats st;
	unsigned int i;

	for (i = 0; i < c->nkeys; i++) {
		/* All in bucket 0 up to 4 buckets, then 0 (X) or 4 (Y). */
		c->keys[i].hash = ((u64)i << 32) | ((u64)(i & 1) << 2);
		c->keys[i].id = i;
	}
	for (i = 0; i < c->nkeys; i++)
		KUNIT_ASSERT_EQ(test, evac_put(c, i, HMAP_NOEXIST), 0);
	hmap_get_stats(c->map, &st);
	KUNIT_EXPECT_GE(test, st.noverflow, 10ULL);
	evac_check_all(c);
	while (st.resizing != HMAP_RESIZE_NONE)
		evac_to_end(c, &st);
}

/* A resize left unfinished is finished by the worker when writes stop. */
static void hmap_evacuation_test_worker_finishes_resize(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 1000, 0, true);
	struct evac_ctx *c = evac_new(test, 200, map);
	struct hmap_stats st;
	unsigned int i;
	int waits;

	for (i = 0; i < c->nkeys; i++)
		c->keys[i] = hmap_kunit_spread_key(i);
	/* 105 entries at B 4 start a grow to 5 with 16 buckets to move. */
	for (i = 0; i < 105; i++)
		KUNIT_ASSERT_EQ(test, evac_put(c, i, HMAP_NOEXIST), 0);
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_GROW);
	KUNIT_ASSERT_EQ(test, st.B, 5U);
	KUNIT_ASSERT_LT(test, st.nevacuate, 16ULL);

	hmap_test_set_background(c->map, true);
	KUNIT_ASSERT_EQ(test, evac_put(c, 105, HMAP_NOEXIST), 0);
	for (waits = 0; waits < 500; waits++) {
		hmap_get_stats(c->map, &st);
		if (st.resizing == HMAP_RESIZE_NONE)
			break;
		msleep(20);
	}
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_EXPECT_GT(test, st.evacuated_by_background, 0ULL);
	/* Grows from 1 bucket to 32 moved 1 + 2 + 4 + 8 + 16 old buckets. */
	KUNIT_EXPECT_EQ(test, st.evacuated_by_background +
			st.evacuated_by_writers, 31ULL);
	evac_check_all(c);
	hmap_flush_frees();
	hmap_get_stats(c->map, &st);
	KUNIT_EXPECT_EQ(test, st.arrays_alloced - st.arrays_freed, 1ULL);
}

/* Allocations and frees balance across grows, shrinks and a destroy. */
static void hmap_evacuation_test_counters_balance(struct kunit *test)
{
	struct hmap_global_stats before;
	struct evac_ctx *c;
	struct hmap_stats st;
	unsigned int i, round;
	struct hmap *map;

	hmap_kunit_globals_start(&before);
	map = hmap_kunit_map_new(1000, 0, true);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	c = evac_new(test, 300, map);
	for (i = 0; i < c->nkeys; i++)
		c->keys[i] = hmap_kunit_spread_key(i);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < c->nkeys; i++)
			KUNIT_ASSERT_EQ(test, evac_put(c, i, HMAP_ANY), 0);
		for (i = 0; i < c->nkeys; i++)
			evac_del(c, i);
	}
	hmap_get_stats(c->map, &st);
	KUNIT_EXPECT_GE(test, st.grows, 3ULL);
	KUNIT_EXPECT_GE(test, st.shrinks, 3ULL);
	KUNIT_EXPECT_EQ(test, st.elems_alloced, st.elems_freed);

	hmap_destroy(map);
	hmap_kunit_expect_globals_back(test, &before);
}

/*
 * Chains that deletes left half empty do start a same-size grow, and the
 * rebuild ends it. At B 4, 96 keys move from one bucket's chain to the
 * next, one delete and one insert at a time, seven times over: each move
 * leaves the 11 overflow buckets of the old chain empty behind it, and 16
 * (2^B) added since the array was built start a rebuild that gives them
 * back. Once the churn stops, writes that add no overflow bucket start no
 * other.
 */
static void hmap_evacuation_test_same_size_degenerate(struct kunit *test)
{
	struct evac_ctx *c = evac_new(test, 96 * 8,
				     hmap_kunit_map(test, 1000, 100, true));
	struct hmap_stats st;
	unsigned int i, round;
	u64 rebuilds;

	for (i = 0; i < c->nkeys; i++) {
		/* Bucket i / 96, a tag of its own within the bucket. */
		c->keys[i].hash = ((u64)(i % 96 + 5) << 56) | (i / 96);
		c->keys[i].id = i;
	}
	for (i = 0; i < 96; i++)
		KUNIT_ASSERT_EQ(test, evac_put(c, i, HMAP_NOEXIST), 0);
	hmap_get_stats(c->map, &st);
	KUNIT_ASSERT_EQ(test, st.B, 4U);
	KUNIT_ASSERT_EQ(test, st.noverflow, 11ULL);
	for (round = 1; round < 8; round++) {
		for (i = 0; i < 96; i++) {
			evac_del(c, (round - 1) * 96 + i);
			KUNIT_ASSERT_EQ(test, evac_put(c, round * 96 + i,
						       HMAP_NOEXIST), 0);
		}
	}
	hmap_test_run_background(c->map);
	hmap_get_stats(c->map, &st);
	KUNIT_EXPECT_GE(test, st.same_size_grows, 1ULL);
	KUNIT_EXPECT_LE(test, st.same_size_grows, 7ULL);
	KUNIT_EXPECT_EQ(test, st.grows, 0ULL);
	KUNIT_EXPECT_EQ(test, st.shrinks, 0ULL);
	KUNIT_EXPECT_EQ(test, st.B, 4U);
	evac_check_all(c);

	/* No churn: updates in place start no rebuild, however many. */
	rebuilds = st.same_size_grows;
	for (i = 0; i < 2000; i++)
		KUNIT_ASSERT_EQ(test, evac_put(c, 7 * 96 + i % 96, HMAP_EXIST),
				0);
	hmap_test_run_background(c->map);
	hmap_get_stats(c->map, &st);
	KUNIT_EXPECT_EQ(test, st.same_size_grows, rebuilds);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	evac_check_all(c);
}

/*
 * A resize ends in bounded time whatever the write rate. A write every
 * 5 ms never leaves the map idle, yet the worker evacuates beside the
 * writers: the grow from B 12 (26625 inserts) has 4096 old buckets, which
 * the writes alone, two buckets each, would take 2048 writes (10 s) to
 * move; the worker's batches of 64 end it within 800 writes (4 s) with
 * room to spare. (Before, the worker waited for 20 ms without writes, and
 * the grow had moved 634 buckets after 4 s.)
 */
static void hmap_evacuation_test_steady_writes(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 100000, 0, false);
	struct hmap_kunit_key k = {};
	struct hmap_stats st;
	unsigned int writes;
	u64 v = 0;

	hmap_test_set_background(map, true);
	for (k.id = 0; k.id < 26625; k.id++)
		KUNIT_ASSERT_EQ(test, hmap_update(map, &k, sizeof(k), &v,
						  sizeof(v), HMAP_NOEXIST), 0);
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.B, 13U);
	KUNIT_ASSERT_EQ(test, st.grows, 13ULL);

	k.id = 0;
	for (writes = 0; writes < 800; writes++) {
		hmap_get_stats(map, &st);
		if (st.resizing == HMAP_RESIZE_NONE)
			break;
		v++;
		KUNIT_ASSERT_EQ(test, hmap_update(map, &k, sizeof(k), &v,
						  sizeof(v), HMAP_EXIST), 0);
		usleep_range(5000, 5500);
	}
	KUNIT_EXPECT_EQ_MSG(test, st.resizing, (u32)HMAP_RESIZE_NONE,
			    "%llu of 4096 old buckets moved after %u writes",
			    st.nevacuate, writes);
	KUNIT_EXPECT_GT(test, st.evacuated_by_background, 0ULL);
	kunit_info(test, "grow to B 13 finished after %u writes 5 ms apart\n",
		   writes);
}

static struct kunit_case hmap_evacuation_cases[] = {
	KUNIT_CASE(hmap_evacuation_test_grow_two_buckets_per_write),
	KUNIT_CASE(hmap_evacuation_test_same_size),
	KUNIT_CASE(hmap_evacuation_test_same_size_degenerate),
	KUNIT_CASE(hmap_evacuation_test_shrink),
	KUNIT_CASE(hmap_evacuation_test_shrink_refills_chain),
	KUNIT_CASE(hmap_evacuation_test_random_model),
	KUNIT_CASE(hmap_evacuation_test_long_chain),
	KUNIT_CASE(hmap_evacuation_test_worker_finishes_resize),
	KUNIT_CASE(hmap_evacuation_test_steady_writes),
	KUNIT_CASE(hmap_evacuation_test_counters_balance),
	{}
};

struct kunit_suite hmap_evacuation_suite = {
	.name = "hmap_evacuation",
	.test_cases = hmap_evacuation_cases,
};
