// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the hmap iterator.
 *
 * Proves that a walk returns every entry present for the whole walk exactly
 * once, never returns an entry twice or while it is absent from the map,
 * and returns entries in strictly increasing (bit-reversed hash, key) order,
 * whatever happens between two steps: inserts and deletes, grows, same-size
 * grows and shrinks left half done, several resizes in one walk, equal full
 * hashes, hmap_clear(), and sleeping while the background worker finishes a
 * resize. The same holds for hmap_dump(), which hands the same kind of
 * cursor's entries over in batches, equal hashes always in one batch.
 *
 * Every case uses chosen hashes, so the test knows each key's hash and can
 * check the order; a step is only taken while no writer runs, so "in the
 * map" is exactly what the test's own bookkeeping says.
 */

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/delay.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <kunit/resource.h>

#include "hmap_kunit.h"

/*
 * The state of one walk and of the map it walks. Ids index the bitmaps;
 * the key of id i is { hash[i], i }.
 */
struct iter_walk_batch;

struct iter_walk {
	struct kunit *test;
	struct hmap *map;
	struct hmap_iter *iter;
	u32 nids;
	u64 *hash;		/* per id: the key's (chosen) hash */
	unsigned long *present;	/* in the map now */
	unsigned long *churned;	/* inserted or deleted since the walk began */
	unsigned long *ahead;	/* inserted ahead of the cursor, still there */
	unsigned long *seen;	/* returned by this walk */
	u64 rng;
	bool walking;
	bool ended;
	bool have_prev;
	u64 prev_r;
	struct hmap_kunit_key prev;
	u32 returned;
	u32 kinds;		/* BIT(resize kind) seen before a step */
	u32 deleted_unseen;	/* deletes of keys the walk had not reached */
	/* hmap_dump() walks: a position only, equal hashes in one batch. */
	bool dump;
	u64 cursor;
	u32 batches;
	struct iter_walk_batch *batch;
};

static u64 iter_walk_value(const struct hmap_kunit_key *key)
{
	return (key->hash ^ 0x5a5a5a5a5a5a5a5aULL) + key->id * 3;
}

static u32 iter_walk_rand(struct iter_walk *w, u32 bound)
{
	w->rng = hmap_kunit_mix(w->rng);
	return (u32)((w->rng >> 32) * bound >> 32);
}

static void iter_walk_key(const struct iter_walk *w, u32 id,
			  struct hmap_kunit_key *key)
{
	key->hash = w->hash[id];
	key->id = id;
}

static int iter_walk_res_init(struct kunit_resource *res, void *iter)
{
	res->data = iter;
	return 0;
}

/* Stops a walk a failed assertion left running; a second stop is a no-op. */
static void iter_walk_res_free(struct kunit_resource *res)
{
	hmap_iter_stop(res->data);
}

/* A map for up to @nids keys, every id hashed by hmap_kunit_mix() for now. */
static struct iter_walk *iter_walk_init(struct kunit *test, u32 nids, u32 hint)
{
	size_t longs = BITS_TO_LONGS(nids);
	struct iter_walk *w;
	u32 id;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	w->test = test;
	w->nids = nids;
	w->rng = 0x1234 + nids;
	w->hash = kunit_kcalloc(test, nids, sizeof(*w->hash), GFP_KERNEL);
	w->present = kunit_kcalloc(test, longs, sizeof(long), GFP_KERNEL);
	w->churned = kunit_kcalloc(test, longs, sizeof(long), GFP_KERNEL);
	w->ahead = kunit_kcalloc(test, longs, sizeof(long), GFP_KERNEL);
	w->seen = kunit_kcalloc(test, longs, sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w->hash);
	KUNIT_ASSERT_NOT_NULL(test, w->present);
	KUNIT_ASSERT_NOT_NULL(test, w->churned);
	KUNIT_ASSERT_NOT_NULL(test, w->ahead);
	KUNIT_ASSERT_NOT_NULL(test, w->seen);
	for (id = 0; id < nids; id++)
		w->hash[id] = hmap_kunit_mix(id);
	w->map = hmap_kunit_map(test, nids, hint, true);
	return w;
}

/*
 * Is @key (reversed hash @r) ahead of the cursor: after the last entry the
 * walk returned, or for a dump at or after the position it goes on from?
 */
static bool iter_walk_after_prev(const struct iter_walk *w,
				 const struct hmap_kunit_key *key, u64 r)
{
	if (w->dump)
		return (r >> 1) >= w->cursor;	/* dump positions: r >> 1 */
	if (!w->have_prev)
		return true;
	if (r != w->prev_r)
		return r > w->prev_r;
	return memcmp(key, &w->prev, sizeof(*key)) > 0;
}

static void iter_walk_insert(struct iter_walk *w, u32 id)
{
	struct hmap_kunit_key key;
	u64 value;

	KUNIT_ASSERT_LT(w->test, id, w->nids);
	KUNIT_ASSERT_FALSE(w->test, test_bit(id, w->present));
	iter_walk_key(w, id, &key);
	value = iter_walk_value(&key);
	KUNIT_ASSERT_EQ_MSG(w->test,
			    hmap_update(w->map, &key, sizeof(key), &value,
					sizeof(value), HMAP_NOEXIST), 0,
			    "inserting id %u", id);
	__set_bit(id, w->present);
	if (w->walking) {
		__set_bit(id, w->churned);
		if (!w->ended &&
		    iter_walk_after_prev(w, &key, hmap_kunit_rev(key.hash)))
			__set_bit(id, w->ahead);
	}
}

static void iter_walk_delete(struct iter_walk *w, u32 id)
{
	struct hmap_kunit_key key;

	KUNIT_ASSERT_TRUE(w->test, test_bit(id, w->present));
	iter_walk_key(w, id, &key);
	KUNIT_ASSERT_EQ_MSG(w->test, hmap_delete(w->map, &key, sizeof(key)), 0,
			    "deleting id %u", id);
	__clear_bit(id, w->present);
	__clear_bit(id, w->ahead);
	if (w->walking) {
		__set_bit(id, w->churned);
		if (!test_bit(id, w->seen))
			w->deleted_unseen++;
	}
}

static void iter_walk_insert_range(struct iter_walk *w, u32 first, u32 end)
{
	u32 id;

	for (id = first; id < end; id++)
		iter_walk_insert(w, id);
}

/* Delete a pseudo-random present id in [@first, @end); there must be one. */
static u32 iter_walk_delete_random(struct iter_walk *w, u32 first, u32 end)
{
	u32 id = first + iter_walk_rand(w, end - first);

	id = find_next_bit(w->present, end, id);
	if (id >= end)
		id = find_next_bit(w->present, end, first);
	KUNIT_ASSERT_LT_MSG(w->test, id, end, "no key left to delete");
	iter_walk_delete(w, id);
	return id;
}

static void iter_walk_stats(struct iter_walk *w, struct hmap_stats *st)
{
	hmap_get_stats(w->map, st);
}

/* Insert ids from *@next_id on until a grow starts; it is left unfinished. */
static void iter_walk_grow_until(struct iter_walk *w, u32 *next_id)
{
	struct hmap_stats st;
	u64 grows;

	iter_walk_stats(w, &st);
	KUNIT_ASSERT_EQ(w->test, st.resizing, (u32)HMAP_RESIZE_NONE);
	grows = st.grows;
	do {
		KUNIT_ASSERT_LT_MSG(w->test, *next_id, w->nids,
				    "ids ran out before a grow started");
		iter_walk_insert(w, (*next_id)++);
		iter_walk_stats(w, &st);
	} while (st.grows == grows);
	KUNIT_ASSERT_EQ(w->test, st.resizing, (u32)HMAP_RESIZE_GROW);
}

/* Delete random ids of [@first, @end) until a shrink starts. */
static void iter_walk_shrink_until(struct iter_walk *w, u32 first, u32 end)
{
	struct hmap_stats st;
	u64 shrinks;

	iter_walk_stats(w, &st);
	shrinks = st.shrinks;
	do {
		iter_walk_delete_random(w, first, end);
		iter_walk_stats(w, &st);
	} while (st.shrinks == shrinks);
	KUNIT_ASSERT_EQ(w->test, st.resizing, (u32)HMAP_RESIZE_SHRINK);
}

/*
 * Insert ids [0, @n) and finish whatever resize that started, as the
 * worker would: the walk starts on a settled map. *@st gets its stats.
 */
static void iter_walk_fill_settled(struct iter_walk *w, u32 n,
				   struct hmap_stats *st)
{
	iter_walk_insert_range(w, 0, n);
	hmap_test_run_background(w->map);
	iter_walk_stats(w, st);
	KUNIT_ASSERT_EQ(w->test, st->resizing, (u32)HMAP_RESIZE_NONE);
}

/*
 * What a walk of either kind (@dump: hmap_dump() calls, else an iterator)
 * knows when it begins: nothing seen, churned or returned yet.
 */
static void iter_walk_reset(struct iter_walk *w, bool dump)
{
	size_t bytes = BITS_TO_LONGS(w->nids) * sizeof(long);

	memset(w->churned, 0, bytes);
	memset(w->ahead, 0, bytes);
	memset(w->seen, 0, bytes);
	w->ended = false;
	w->have_prev = false;
	w->returned = 0;
	w->kinds = 0;
	w->deleted_unseen = 0;
	w->dump = dump;
}

/* Start a walk; it is stopped at the end of the case whatever happens. */
static void iter_walk_begin(struct iter_walk *w)
{
	struct kunit *test = w->test;

	iter_walk_reset(w, false);
	w->iter = kunit_kzalloc(test, sizeof(*w->iter), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w->iter);
	KUNIT_ASSERT_EQ(test, hmap_iter_start(w->map, w->iter), 0);
	if (!kunit_alloc_resource(test, iter_walk_res_init, iter_walk_res_free,
				  GFP_KERNEL, w->iter)) {
		hmap_iter_stop(w->iter);
		KUNIT_FAIL_AND_ABORT(test,
				     "cannot register the walk for cleanup");
	}
	w->walking = true;
}

/*
 * Check an entry a walk returned: a key the test inserted, with its value,
 * in the map right now, and not returned before by this walk. Return: its
 * reversed hash.
 */
static u64 iter_walk_check(struct iter_walk *w,
			   const struct hmap_kunit_key *key, u32 klen,
			   u64 value, u32 vlen)
{
	struct kunit *test = w->test;

	KUNIT_ASSERT_EQ(test, klen, (u32)sizeof(*key));
	KUNIT_ASSERT_EQ(test, vlen, (u32)sizeof(value));
	KUNIT_ASSERT_LT_MSG(test, key->id, (u64)w->nids,
			    "unknown key returned");
	KUNIT_ASSERT_EQ_MSG(test, key->hash, w->hash[key->id],
			    "id %llu returned with a wrong key", key->id);
	KUNIT_ASSERT_EQ_MSG(test, value, iter_walk_value(key),
			    "id %llu returned with a wrong value", key->id);
	KUNIT_ASSERT_TRUE_MSG(test, test_bit(key->id, w->present),
			      "id %llu returned while not in the map", key->id);
	KUNIT_ASSERT_FALSE_MSG(test, __test_and_set_bit(key->id, w->seen),
			       "id %llu returned twice", key->id);
	w->returned++;
	return hmap_kunit_rev(key->hash);
}

/* One step of an hmap_iter walk; Return: false at the end. */
static bool iter_walk_next(struct iter_walk *w)
{
	struct kunit *test = w->test;
	struct hmap_kunit_key key;
	struct hmap_stats st;
	u32 klen = 0, vlen = 0;
	u64 value = 0, r;
	int ret;

	KUNIT_ASSERT_FALSE_MSG(test, w->ended, "stepping a finished walk");
	iter_walk_stats(w, &st);
	w->kinds |= BIT(st.resizing);

	memset(&key, 0, sizeof(key));
	ret = hmap_iter_next(w->iter, &key, &klen, &value, &vlen);
	if (ret == -ENOENT) {
		w->ended = true;
		return false;
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	r = iter_walk_check(w, &key, klen, value, vlen);
	KUNIT_ASSERT_TRUE_MSG(test, iter_walk_after_prev(w, &key, r),
			      "id %llu (rev hash %016llx) returned after id %llu (rev hash %016llx)",
			      key.id, r, w->prev.id, w->prev_r);
	w->have_prev = true;
	w->prev_r = r;
	w->prev = key;
	return true;
}

/* Take up to @n steps; Return: the steps that returned an entry. */
static u32 iter_walk_steps(struct iter_walk *w, u32 n)
{
	u32 done = 0;

	while (done < n && !w->ended && iter_walk_next(w))
		done++;
	return done;
}

/* Step to the end; every id can be returned once at most. */
static void iter_walk_rest(struct iter_walk *w)
{
	u32 bound = w->nids + 1;

	while (!w->ended && bound--)
		iter_walk_next(w);
	KUNIT_ASSERT_TRUE_MSG(w->test, w->ended, "the walk does not end");
}

/*
 * How many ids of @want the walk did not return, leaving out those of
 * @skip (NULL: none); *@first gets the first of them.
 */
static u32 iter_walk_unreturned(const struct iter_walk *w,
				const unsigned long *want,
				const unsigned long *skip, u32 *first)
{
	u32 id, missing = 0;

	*first = 0;
	for_each_set_bit(id, want, w->nids) {
		if ((skip && test_bit(id, skip)) || test_bit(id, w->seen))
			continue;
		if (!missing++)
			*first = id;
	}
	return missing;
}

/*
 * After a walk: every key present for the whole walk was returned, and so
 * was every key inserted ahead of the cursor and not deleted since. (The
 * second is stronger than the documented contract, which leaves keys
 * inserted during a walk open, but it follows from the cursor being a
 * position in hash order: when the cursor gets there, the key is in the
 * chain a lookup would find it in.)
 */
static void iter_walk_check_end(struct iter_walk *w)
{
	struct kunit *test = w->test;
	u32 missing, first;

	missing = iter_walk_unreturned(w, w->present, w->churned, &first);
	KUNIT_EXPECT_EQ_MSG(test, missing, 0U,
			    "%u keys present for the whole walk not returned, first id %u",
			    missing, first);
	missing = iter_walk_unreturned(w, w->ahead, NULL, &first);
	KUNIT_EXPECT_EQ_MSG(test, missing, 0U,
			    "%u keys inserted ahead of the cursor not returned, first id %u",
			    missing, first);
	w->walking = false;
}

/* The end of an hmap_iter walk: the end is sticky; then as above. */
static void iter_walk_end(struct iter_walk *w)
{
	struct hmap_kunit_key key;
	u32 klen, vlen;
	u64 value;

	iter_walk_rest(w);
	KUNIT_EXPECT_EQ_MSG(w->test, hmap_iter_next(w->iter, &key, &klen,
						    &value, &vlen), -ENOENT,
			    "the end of a walk is not sticky");
	iter_walk_check_end(w);
	hmap_iter_stop(w->iter);
}

static u32 iter_walk_count_seen(const struct iter_walk *w, u32 first, u32 end)
{
	u32 id, n = 0;

	for (id = first; id < end; id++)
		n += test_bit(id, w->seen);
	return n;
}

/* A map that does not change: every key once, in order. */
static void hmap_iter_test_full_walk(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 1000, 0);
	struct hmap_stats st;

	iter_walk_fill_settled(w, 1000, &st);

	iter_walk_begin(w);
	iter_walk_stats(w, &st);
	KUNIT_EXPECT_EQ(test, st.open_cursors, 1ULL);
	iter_walk_end(w);
	KUNIT_EXPECT_EQ(test, w->returned, 1000U);
	KUNIT_EXPECT_EQ(test, iter_walk_count_seen(w, 0, 1000), 1000U);
	iter_walk_stats(w, &st);
	KUNIT_EXPECT_EQ(test, st.open_cursors, 0ULL);

	/* And again, over the same map. */
	iter_walk_begin(w);
	iter_walk_end(w);
	KUNIT_EXPECT_EQ(test, w->returned, 1000U);
}

/*
 * A map that does not change during the walk but holds a grow, and then a
 * shrink, that has only just started: entries are split between two tables.
 */
static void hmap_iter_test_mid_resize_walk(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 1000, 0);
	struct hmap_stats st;
	u32 next_id = 400;
	int i;

	iter_walk_insert_range(w, 0, next_id);
	hmap_test_run_background(w->map);

	/* A few more writes: some old buckets moved, most not. */
	iter_walk_grow_until(w, &next_id);
	iter_walk_insert_range(w, next_id, next_id + 4);
	next_id += 4;
	iter_walk_begin(w);
	iter_walk_end(w);
	KUNIT_EXPECT_EQ(test, w->returned, next_id);
	KUNIT_EXPECT_EQ(test, w->kinds, (u32)BIT(HMAP_RESIZE_GROW));
	iter_walk_stats(w, &st);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_GROW);

	hmap_test_run_background(w->map);
	iter_walk_shrink_until(w, 0, next_id);
	for (i = 0; i < 4; i++)
		iter_walk_delete_random(w, 0, next_id);
	iter_walk_begin(w);
	iter_walk_end(w);
	KUNIT_EXPECT_EQ(test, (u64)w->returned, hmap_count(w->map));
	KUNIT_EXPECT_EQ(test, w->kinds, (u32)BIT(HMAP_RESIZE_SHRINK));
}

/* Nothing to return, also after the map had entries, and the end sticks. */
static void hmap_iter_test_empty_map_returns_nothing(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 64, 0);
	u32 id;

	iter_walk_begin(w);
	KUNIT_EXPECT_FALSE(test, iter_walk_next(w));
	/* A key inserted after the end is not returned: the end sticks. */
	iter_walk_insert(w, 0);
	iter_walk_end(w);
	KUNIT_EXPECT_EQ(test, w->returned, 0U);

	/* Emptied by deletes: chains of empty slots, maybe a shrink. */
	iter_walk_insert_range(w, 1, 64);
	for (id = 0; id < 64; id++)
		iter_walk_delete(w, id);
	KUNIT_ASSERT_EQ(test, hmap_count(w->map), 0ULL);
	iter_walk_begin(w);
	KUNIT_EXPECT_FALSE(test, iter_walk_next(w));
	iter_walk_end(w);
	KUNIT_EXPECT_EQ(test, w->returned, 0U);

	/* Emptied by hmap_clear(). */
	iter_walk_insert_range(w, 0, 64);
	KUNIT_ASSERT_EQ(test, hmap_clear(w->map), 0);
	bitmap_zero(w->present, w->nids);
	iter_walk_begin(w);
	KUNIT_EXPECT_FALSE(test, iter_walk_next(w));
	iter_walk_end(w);
}

/*
 * Between steps, insert a new key and delete a random one, sometimes
 * putting a deleted one back: no key twice (a key returned, deleted and put
 * back lies behind the cursor), none after its delete, none missed.
 */
static void hmap_iter_test_insert_delete(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 1024, 400);
	u32 next_id = 400, back = 0, step = 0, id;
	u32 deleted[16];
	struct hmap_stats st;

	iter_walk_fill_settled(w, next_id, &st);

	iter_walk_begin(w);
	while (iter_walk_next(w)) {
		if (next_id < w->nids)
			iter_walk_insert(w, next_id++);
		id = iter_walk_delete_random(w, 0, next_id);
		if (back < ARRAY_SIZE(deleted))
			deleted[back++] = id;
		if (++step % 4 == 0 && back)
			iter_walk_insert(w, deleted[--back]);
	}
	iter_walk_end(w);
	KUNIT_EXPECT_GT(test, w->deleted_unseen, 0U);
	KUNIT_EXPECT_GT(test, w->returned, 300U);
}

/* Grows, left half done between steps (the worker is off). */
static void hmap_iter_test_grows_mid_walk_return_each_once(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 2048, 0);
	struct hmap_stats before, st;
	u32 next_id = 100, in_grow = 0;

	iter_walk_fill_settled(w, next_id, &before);

	iter_walk_begin(w);
	while (iter_walk_next(w)) {
		if (next_id + 2 > w->nids)
			continue;
		iter_walk_insert(w, next_id++);
		iter_walk_insert(w, next_id++);
		iter_walk_stats(w, &st);
		in_grow += st.resizing == HMAP_RESIZE_GROW;
	}
	iter_walk_end(w);
	iter_walk_stats(w, &st);
	KUNIT_EXPECT_GE(test, st.grows - before.grows, 2ULL);
	KUNIT_EXPECT_TRUE(test, w->kinds & BIT(HMAP_RESIZE_GROW));
	KUNIT_EXPECT_GT(test, in_grow, 0U);
}

/* Shrinks, left half done between steps. */
static void hmap_iter_test_shrinks_mid_walk_return_each_once(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 1200, 0);
	struct hmap_stats before, st;
	int i;

	iter_walk_fill_settled(w, 1200, &before);

	iter_walk_begin(w);
	while (iter_walk_next(w)) {
		for (i = 0; i < 4 && hmap_count(w->map) > 60; i++)
			iter_walk_delete_random(w, 0, w->nids);
	}
	iter_walk_end(w);
	iter_walk_stats(w, &st);
	KUNIT_EXPECT_GE(test, st.shrinks - before.shrinks, 3ULL);
	KUNIT_EXPECT_TRUE(test, w->kinds & BIT(HMAP_RESIZE_SHRINK));
	KUNIT_EXPECT_GT(test, w->deleted_unseen, 0U);
}

/*
 * A same-size grow in the middle of a walk. With B = 2, 26 keys in bucket 0
 * need three overflow buckets; 19 deletes leave them allocated (no shrink
 * at 7 entries), 9 keys in bucket 1 add a fourth, and with noverflow >= 2^B
 * the next insert starts a same-size grow. It moves buckets 0 (where the
 * cursor is) and 3; the walk then goes through buckets 0 and 2 and half of
 * 1 with no write in between, so it must read both tables.
 */
static void hmap_iter_test_same_size_grow(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 64, 26);
	struct hmap_stats st;
	u32 id, next_id;

	/* Buckets: 0..25 in 0, 26..34 in 1, 35 in 3, 36..42 in 2. */
	for (id = 0; id < 64; id++) {
		u32 bucket = id < 26 ? 0 : id < 35 ? 1 : id == 35 ? 3 : 2;

		w->hash[id] = (hmap_kunit_mix(id) & ~3ULL) | bucket;
	}
	iter_walk_stats(w, &st);
	KUNIT_ASSERT_EQ(test, st.B, 2U);

	iter_walk_insert_range(w, 0, 26);
	iter_walk_stats(w, &st);
	KUNIT_ASSERT_EQ(test, st.noverflow, 3ULL);
	for (id = 0; id < 26; id++)
		if (id % 4)
			iter_walk_delete(w, id);
	iter_walk_insert_range(w, 36, 40);
	iter_walk_stats(w, &st);
	KUNIT_ASSERT_EQ(test, st.count, 11ULL);
	KUNIT_ASSERT_EQ(test, st.B, 2U);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_ASSERT_EQ(test, st.same_size_grows, 0ULL);

	iter_walk_begin(w);
	/* Bucket 0 comes first in reversed-hash order: 3 of its 7 keys. */
	KUNIT_ASSERT_EQ(test, iter_walk_steps(w, 3), 3U);
	KUNIT_ASSERT_EQ(test, iter_walk_count_seen(w, 0, 26), 3U);

	iter_walk_insert_range(w, 26, 35);
	iter_walk_stats(w, &st);
	KUNIT_ASSERT_EQ(test, st.noverflow, 4ULL);
	KUNIT_ASSERT_EQ(test, st.same_size_grows, 0ULL);
	iter_walk_insert(w, 35);
	iter_walk_stats(w, &st);
	KUNIT_ASSERT_EQ(test, st.same_size_grows, 1ULL);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_SAME);
	KUNIT_ASSERT_EQ(test, st.B, 2U);

	/* The rest of bucket 0, all of bucket 2, 5 of bucket 1: no writes. */
	KUNIT_ASSERT_EQ(test, iter_walk_steps(w, 13), 13U);
	KUNIT_EXPECT_EQ(test, w->kinds, (u32)BIT(HMAP_RESIZE_NONE) |
			BIT(HMAP_RESIZE_SAME));
	iter_walk_stats(w, &st);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_SAME);
	KUNIT_EXPECT_EQ(test, iter_walk_count_seen(w, 0, 26), 7U);
	KUNIT_EXPECT_EQ(test, iter_walk_count_seen(w, 36, 40), 4U);
	KUNIT_EXPECT_EQ(test, iter_walk_count_seen(w, 26, 35), 5U);

	/* Writes finish it; at most 3, so that no grow starts (26 max). */
	next_id = 40;
	while (iter_walk_next(w))
		if (next_id < 43)
			iter_walk_insert(w, next_id++);
	iter_walk_end(w);
	KUNIT_EXPECT_EQ(test, iter_walk_count_seen(w, 0, 26), 7U);
	KUNIT_EXPECT_EQ(test, iter_walk_count_seen(w, 26, 36), 10U);
	iter_walk_stats(w, &st);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_EXPECT_EQ(test, st.same_size_grows, 1ULL);
	KUNIT_EXPECT_EQ(test, st.grows, 0ULL);
}

/*
 * One walk across two grows and two shrinks, some left half done between
 * steps and some finished by hmap_test_run_background().
 */
static void hmap_iter_test_several_resizes(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 2048, 0);
	struct hmap_stats before, st;
	u32 next_id = 100;

	iter_walk_fill_settled(w, next_id, &before);

	iter_walk_begin(w);
	KUNIT_ASSERT_EQ(test, iter_walk_steps(w, 5), 5U);

	iter_walk_grow_until(w, &next_id);
	KUNIT_ASSERT_EQ(test, iter_walk_steps(w, 3), 3U);
	KUNIT_ASSERT_TRUE(test, w->kinds & BIT(HMAP_RESIZE_GROW));
	hmap_test_run_background(w->map);
	KUNIT_ASSERT_EQ(test, iter_walk_steps(w, 3), 3U);

	iter_walk_grow_until(w, &next_id);
	KUNIT_ASSERT_EQ(test, iter_walk_steps(w, 3), 3U);

	/* Deletes finish the grow, then start a shrink. */
	iter_walk_shrink_until(w, 0, next_id);
	KUNIT_ASSERT_EQ(test, iter_walk_steps(w, 3), 3U);
	KUNIT_ASSERT_TRUE(test, w->kinds & BIT(HMAP_RESIZE_SHRINK));
	hmap_test_run_background(w->map);
	KUNIT_ASSERT_EQ(test, iter_walk_steps(w, 3), 3U);

	iter_walk_shrink_until(w, 0, next_id);
	iter_walk_end(w);

	iter_walk_stats(w, &st);
	KUNIT_EXPECT_EQ(test, st.grows - before.grows, 2ULL);
	KUNIT_EXPECT_EQ(test, st.shrinks - before.shrinks, 2ULL);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_SHRINK);
}

/*
 * Keys with equal full hashes are ordered by key; the walk stops between
 * them while the map resizes, and keys with that hash are inserted behind
 * and ahead of the cursor and deleted ahead of it.
 */
static void hmap_iter_test_equal_hashes(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 1024, 0);
	const u32 group = 32, others = 300;
	u32 next_id = group + others, in_group = 0, id;
	u64 h = hmap_kunit_mix(0xc0ffee);

	/* ids 0..31 share one hash; their keys sort by id (below 256). */
	for (id = 0; id < group; id++)
		w->hash[id] = h;
	iter_walk_insert_range(w, 1, group - 2);
	iter_walk_insert_range(w, group, next_id);
	hmap_test_run_background(w->map);

	iter_walk_begin(w);
	while (iter_walk_next(w)) {
		if (w->prev.id >= group)
			continue;
		switch (++in_group) {
		case 1:
			iter_walk_grow_until(w, &next_id);
			break;
		case 2:
			hmap_test_run_background(w->map);
			break;
		case 3:
			iter_walk_insert(w, 0);		/* behind the cursor */
			iter_walk_insert(w, group - 2);	/* ahead of it */
			iter_walk_delete(w, group - 3);	/* ahead of it */
			break;
		case 4:
			iter_walk_shrink_until(w, group, next_id);
			break;
		case 5:
			hmap_test_run_background(w->map);
			iter_walk_grow_until(w, &next_id);
			break;
		default:
			if (in_group % 2)
				hmap_test_run_background(w->map);
			break;
		}
	}
	iter_walk_end(w);
	KUNIT_EXPECT_FALSE(test, test_bit(0, w->seen));
	KUNIT_EXPECT_TRUE(test, test_bit(group - 2, w->seen));
	KUNIT_EXPECT_FALSE(test, test_bit(group - 3, w->seen));
	KUNIT_EXPECT_EQ(test, iter_walk_count_seen(w, 0, group), group - 3);
	KUNIT_EXPECT_TRUE(test, w->kinds & BIT(HMAP_RESIZE_GROW));
	KUNIT_EXPECT_TRUE(test, w->kinds & BIT(HMAP_RESIZE_SHRINK));
}

/*
 * hmap_clear() in the middle of a walk, during a grow: nothing from before
 * the clear comes back, and the walk goes on in the new, smaller table.
 */
static void hmap_iter_test_clear_mid_walk_drops_old_keys(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 1024, 0);
	u32 next_id = 300, id, after = 0;

	iter_walk_insert_range(w, 0, next_id);
	hmap_test_run_background(w->map);

	iter_walk_begin(w);
	KUNIT_ASSERT_EQ(test, iter_walk_steps(w, 50), 50U);
	iter_walk_grow_until(w, &next_id);
	KUNIT_ASSERT_EQ(test, iter_walk_steps(w, 2), 2U);

	KUNIT_ASSERT_EQ(test, hmap_clear(w->map), 0);
	for_each_set_bit(id, w->present, w->nids)
		__set_bit(id, w->churned);
	bitmap_zero(w->present, w->nids);
	bitmap_zero(w->ahead, w->nids);
	KUNIT_ASSERT_EQ(test, hmap_count(w->map), 0ULL);

	/* New keys, behind and ahead of the cursor, in a table of 1 bucket. */
	iter_walk_insert_range(w, 600, 800);
	KUNIT_ASSERT_GT(test, bitmap_weight(w->ahead, w->nids), 0U);
	while (iter_walk_next(w))
		after++;
	iter_walk_end(w);
	KUNIT_EXPECT_EQ(test, after, (u32)bitmap_weight(w->ahead, w->nids));
	KUNIT_EXPECT_EQ(test, iter_walk_count_seen(w, 0, next_id), 52U);

	/* A clear that leaves nothing ends the walk. */
	iter_walk_begin(w);
	KUNIT_ASSERT_EQ(test, iter_walk_steps(w, 100), 100U);
	KUNIT_ASSERT_EQ(test, hmap_clear(w->map), 0);
	for_each_set_bit(id, w->present, w->nids)
		__set_bit(id, w->churned);
	bitmap_zero(w->present, w->nids);
	KUNIT_EXPECT_FALSE(test, iter_walk_next(w));
	iter_walk_end(w);
	KUNIT_EXPECT_EQ(test, w->returned, 100U);
}

/* Sleep between steps; Return: whether the walk has more. */
static bool iter_walk_sleep_step(struct iter_walk *w)
{
	if (w->returned % 4)
		schedule();
	else
		usleep_range(1000, 2000);
	return iter_walk_next(w);
}

/*
 * Wait, sleeping, for the background worker to finish the resize in
 * progress; stepping the walk now and then. Return: whether it finished.
 */
static bool iter_walk_wait_background(struct iter_walk *w)
{
	struct hmap_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		iter_walk_stats(w, &st);
		if (st.resizing == HMAP_RESIZE_NONE)
			return true;
		msleep(20);
		if (i % 4 == 0 && !w->ended)
			iter_walk_next(w);
	}
	return false;
}

/*
 * The walk sleeps between steps while the background worker (on for this
 * case) finishes a grow and then a shrink that writers left unfinished.
 */
static void hmap_iter_test_sleep_background(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 1024, 0);
	struct hmap_stats before, st;
	u32 next_id = 400, i;

	iter_walk_insert_range(w, 0, next_id);
	hmap_test_run_background(w->map);
	hmap_test_set_background(w->map, true);
	iter_walk_stats(w, &before);

	iter_walk_begin(w);
	for (i = 0; i < 20; i++)
		KUNIT_ASSERT_TRUE(test, iter_walk_sleep_step(w));

	/*
	 * The worker starts with a resize and moves 64 buckets a turn, the
	 * whole of this grow: keep it off until the walk has stepped into
	 * the grow, then let it finish while the walk sleeps.
	 */
	hmap_test_set_background(w->map, false);
	iter_walk_grow_until(w, &next_id);
	KUNIT_ASSERT_TRUE(test, iter_walk_next(w));
	KUNIT_EXPECT_TRUE(test, w->kinds & BIT(HMAP_RESIZE_GROW));
	hmap_test_set_background(w->map, true);
	for (i = 0; i < 5; i++)
		KUNIT_ASSERT_TRUE(test, iter_walk_sleep_step(w));
	KUNIT_EXPECT_TRUE_MSG(test, iter_walk_wait_background(w),
			      "the background worker did not finish the grow");
	for (i = 0; i < 20 && !w->ended; i++)
		iter_walk_sleep_step(w);

	hmap_test_set_background(w->map, false);
	iter_walk_shrink_until(w, 0, next_id);
	KUNIT_ASSERT_TRUE(test, iter_walk_next(w));
	hmap_test_set_background(w->map, true);
	for (i = 0; i < 5 && !w->ended; i++)
		iter_walk_sleep_step(w);
	KUNIT_EXPECT_TRUE_MSG(test, iter_walk_wait_background(w),
			      "the background worker did not finish the shrink");
	while (!w->ended && iter_walk_sleep_step(w))
		;
	iter_walk_end(w);

	iter_walk_stats(w, &st);
	KUNIT_EXPECT_GT(test, st.evacuated_by_background,
			before.evacuated_by_background);
	KUNIT_EXPECT_EQ(test, st.grows - before.grows, 1ULL);
	KUNIT_EXPECT_EQ(test, st.shrinks - before.shrinks, 1ULL);
	KUNIT_EXPECT_TRUE(test, w->kinds & BIT(HMAP_RESIZE_SHRINK));
}

/* ---- hmap_dump(): the same cursor, handed over in batches ---- */

#define ITER_ROOM_MAX	16

/* One hmap_dump() batch, as its callback copied it. */
struct iter_walk_batch {
	u32 n;
	struct {
		struct hmap_kunit_key key;
		u64 value;
		u32 klen;
		u32 vlen;
	} rec[ITER_ROOM_MAX];
};

/* The hmap_dump() callback: under rcu_read_lock(), it only copies. */
static void iter_walk_dump_fn(void *ctx, u32 i, const void *key, u32 key_len,
			      const void *value, u32 value_len)
{
	struct iter_walk_batch *b = ctx;

	if (i >= ITER_ROOM_MAX)
		return;
	b->rec[i].klen = key_len;
	b->rec[i].vlen = value_len;
	memcpy(&b->rec[i].key, key,
	       min_t(u32, key_len, sizeof(b->rec[i].key)));
	memcpy(&b->rec[i].value, value,
	       min_t(u32, value_len, sizeof(b->rec[i].value)));
	b->n = max(b->n, i + 1);
}

static void iter_walk_dump_begin(struct iter_walk *w)
{
	iter_walk_reset(w, true);
	w->cursor = 0;
	w->batches = 0;
	w->walking = true;
	if (!w->batch)
		w->batch = kunit_kzalloc(w->test, sizeof(*w->batch),
					 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(w->test, w->batch);
}

/*
 * One hmap_dump() call for up to @room entries. Checks each entry as a
 * step does; entries come in dump position order (reversed hash >> 1) from
 * the cursor on, equal positions together, and the cursor moves past the
 * last one returned. On
 * -ENOSPC, nothing was handed over, the cursor did not move and *@count is
 * the room the equal-hash group needs. Return: 0 or -ENOSPC.
 */
static int iter_walk_dump(struct iter_walk *w, u32 room, u32 *count)
{
	struct kunit *test = w->test;
	struct iter_walk_batch *b = w->batch;
	struct hmap_stats st;
	u64 from = w->cursor, r = 0, prev_r = 0;
	bool done = false;
	u32 n = U32_MAX, i;
	int err;

	KUNIT_ASSERT_FALSE_MSG(test, w->ended, "dumping a finished walk");
	KUNIT_ASSERT_LE(test, room, (u32)ITER_ROOM_MAX);
	memset(b, 0, sizeof(*b));
	iter_walk_stats(w, &st);
	w->kinds |= BIT(st.resizing);

	err = hmap_dump(w->map, &w->cursor, &done, room, &n, iter_walk_dump_fn,
			b);
	w->batches++;
	*count = n;
	if (err) {
		KUNIT_ASSERT_EQ(test, err, -ENOSPC);
		KUNIT_EXPECT_EQ(test, w->cursor, from);
		KUNIT_EXPECT_FALSE(test, done);
		KUNIT_EXPECT_GT(test, n, room);
		return err;
	}
	KUNIT_ASSERT_LE(test, n, room);
	KUNIT_ASSERT_LE(test, n, b->n);
	for (i = 0; i < n; i++) {
		r = iter_walk_check(w, &b->rec[i].key, b->rec[i].klen,
				    b->rec[i].value, b->rec[i].vlen);
		KUNIT_ASSERT_TRUE_MSG(test, (r >> 1) >= from &&
				      (!i || (r >> 1) >= (prev_r >> 1)),
				      "id %llu (rev hash %016llx) out of order, batch from %016llx",
				      b->rec[i].key.id, r, from);
		prev_r = r;
	}
	KUNIT_EXPECT_GE(test, w->cursor, from);
	if (n && !done)
		KUNIT_EXPECT_GT(test, w->cursor, r >> 1);
	w->ended = done;
	return 0;
}

/* Dump the rest in batches of @room; equal hashes must fit in it. */
static void iter_walk_dump_end(struct iter_walk *w, u32 room)
{
	u32 bound = w->nids + 64, n;

	while (!w->ended && bound--)
		KUNIT_ASSERT_EQ(w->test, iter_walk_dump(w, room, &n), 0);
	KUNIT_ASSERT_TRUE_MSG(w->test, w->ended, "the dump does not end");
	iter_walk_check_end(w);
}

/* Dump batches of 1, 3 and 8 entries across grows and shrinks. */
static void hmap_iter_test_dump_resizes(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 2048, 0);
	struct hmap_stats before, st;
	u32 next_id = 100, n;
	int i;

	iter_walk_insert_range(w, 0, next_id);
	hmap_test_run_background(w->map);
	iter_walk_stats(w, &before);

	iter_walk_dump_begin(w);
	KUNIT_ASSERT_EQ(test, iter_walk_dump(w, 3, &n), 0);
	KUNIT_ASSERT_EQ(test, n, 3U);
	iter_walk_grow_until(w, &next_id);
	KUNIT_ASSERT_EQ(test, iter_walk_dump(w, 1, &n), 0);
	KUNIT_ASSERT_EQ(test, iter_walk_dump(w, 3, &n), 0);
	KUNIT_ASSERT_TRUE(test, w->kinds & BIT(HMAP_RESIZE_GROW));
	hmap_test_run_background(w->map);
	KUNIT_ASSERT_EQ(test, iter_walk_dump(w, 8, &n), 0);
	iter_walk_grow_until(w, &next_id);
	KUNIT_ASSERT_EQ(test, iter_walk_dump(w, 3, &n), 0);
	/* A shrink with a few old buckets moved: half of some new ones. */
	iter_walk_shrink_until(w, 0, next_id);
	for (i = 0; i < 3; i++)
		iter_walk_delete_random(w, 0, next_id);
	KUNIT_ASSERT_EQ(test, iter_walk_dump(w, 1, &n), 0);
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, iter_walk_dump(w, 8, &n), 0);
	KUNIT_ASSERT_TRUE(test, w->kinds & BIT(HMAP_RESIZE_SHRINK));
	hmap_test_run_background(w->map);

	/* Then a write between batches. */
	while (!w->ended) {
		KUNIT_ASSERT_EQ(test, iter_walk_dump(w, 3, &n), 0);
		if (w->batches % 2)
			iter_walk_delete_random(w, 0, next_id);
		else if (next_id < w->nids)
			iter_walk_insert(w, next_id++);
	}
	iter_walk_check_end(w);
	iter_walk_stats(w, &st);
	KUNIT_EXPECT_GE(test, st.grows - before.grows, 2ULL);
	KUNIT_EXPECT_GE(test, st.shrinks - before.shrinks, 1ULL);
}

/*
 * Equal hashes are handed over in one batch: with too little room the call
 * says how much is needed and hands over nothing, even while the map
 * resizes between the calls.
 */
static void hmap_iter_test_dump_equal_hashes(struct kunit *test)
{
	struct iter_walk *w = iter_walk_init(test, 1024, 0);
	const u32 group = 12, others = 200;
	u32 next_id = group + others, id, n, nospc = 0;
	u64 h = hmap_kunit_mix(0xbadc0de);

	for (id = 0; id < group; id++)
		w->hash[id] = h;
	iter_walk_insert_range(w, 0, next_id);
	hmap_test_run_background(w->map);

	iter_walk_dump_begin(w);
	while (!w->ended && w->batches < w->nids) {
		if (iter_walk_dump(w, 4, &n) != -ENOSPC)
			continue;
		KUNIT_EXPECT_EQ(test, n, group);
		KUNIT_ASSERT_EQ(test, iter_walk_count_seen(w, 0, group), 0U);
		/* The first time, grow and go on with too little room. */
		if (!nospc++) {
			iter_walk_grow_until(w, &next_id);
			continue;
		}
		KUNIT_ASSERT_EQ(test, iter_walk_dump(w, group, &n), 0);
		KUNIT_EXPECT_EQ(test, n, group);
		KUNIT_EXPECT_EQ(test, iter_walk_count_seen(w, 0, group), group);
	}
	iter_walk_dump_end(w, 4);
	KUNIT_EXPECT_EQ(test, nospc, 2U);
	KUNIT_EXPECT_EQ(test, iter_walk_count_seen(w, 0, group), group);
	KUNIT_EXPECT_TRUE(test, w->kinds & BIT(HMAP_RESIZE_GROW));
}

/* The key one hmap_dump() call of room 1 handed over. */
static void iter_walk_dump_one_fn(void *ctx, u32 i, const void *key,
				  u32 key_len, const void *value, u32 value_len)
{
	memcpy(ctx, key, min_t(u32, key_len, sizeof(struct hmap_kunit_key)));
}

/*
 * The cursor that leaves the kernel is opaque. Two maps holding the same
 * keys under the same hash function walk the same positions, yet hand out
 * different cursors, none of them a hash, a reversed hash or a position;
 * each cursor decodes to its position in its own map. A walk that is done
 * stays at the end, and most values that are no cursor are refused.
 */
static void hmap_iter_test_dump_cursor_opaque(struct kunit *test)
{
	struct hmap *a = hmap_kunit_map(test, 64, 0, true);
	struct hmap *b = hmap_kunit_map(test, 64, 0, true);
	u64 pa = 0, pb = 0, pos, c, r, rng = 42, ps[16], cs[16];
	struct hmap_kunit_key k, kb;
	unsigned int i, j, steps = 0, refused = 0, got = 0, rising = 0;
	bool done = false, done_b;
	u32 n, nb;

	for (i = 0; i < 16; i++) {
		k = (struct hmap_kunit_key){ .hash = hmap_kunit_mix(i),
					     .id = i };
		KUNIT_ASSERT_EQ(test, hmap_update(a, &k, sizeof(k), &k.id,
						  sizeof(k.id), HMAP_NOEXIST), 0);
		KUNIT_ASSERT_EQ(test, hmap_update(b, &k, sizeof(k), &k.id,
						  sizeof(k.id), HMAP_NOEXIST), 0);
	}
	KUNIT_EXPECT_EQ(test, hmap_dump_cursor_encode(a, 0), 0ULL);
	while (!done && steps++ < 100) {
		KUNIT_ASSERT_EQ(test, hmap_dump(a, &pa, &done, 1, &n,
						iter_walk_dump_one_fn, &k), 0);
		KUNIT_ASSERT_EQ(test, hmap_dump(b, &pb, &done_b, 1, &nb,
						iter_walk_dump_one_fn, &kb), 0);
		KUNIT_ASSERT_EQ(test, pa, pb);
		KUNIT_ASSERT_EQ(test, n, nb);
		if (!n)
			continue;
		r = hmap_kunit_rev(k.hash);
		c = hmap_dump_cursor_encode(a, pa);
		if (got < ARRAY_SIZE(ps)) {
			ps[got] = pa;
			cs[got] = c;
		}
		got++;
		KUNIT_EXPECT_NE(test, c, hmap_dump_cursor_encode(b, pb));
		KUNIT_EXPECT_NE(test, c, k.hash);
		KUNIT_EXPECT_NE(test, c, r);
		KUNIT_EXPECT_NE(test, c, r + 1);
		KUNIT_EXPECT_NE(test, c, pa);
		KUNIT_ASSERT_EQ(test, hmap_dump_cursor_decode(a, c, &pos), 0);
		KUNIT_EXPECT_EQ(test, pos, pa);
	}
	KUNIT_ASSERT_TRUE(test, done);
	KUNIT_ASSERT_EQ(test, got, 16U);

	/*
	 * Not an order-keeping or XOR-like map of positions: positions rise
	 * along the walk, cursors of a keyed permutation only by chance
	 * (16 in order: 1 in 16!), and no two differ as their positions do.
	 */
	for (i = 0; i < 16; i++) {
		rising += i && cs[i] > cs[i - 1];
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, cs[i] ^ cs[j], ps[i] ^ ps[j]);
	}
	KUNIT_EXPECT_LT(test, rising, 15U);

	/* The end is a position: a call with it finds nothing, done again. */
	c = hmap_dump_cursor_encode(a, pa);
	KUNIT_ASSERT_EQ(test, hmap_dump_cursor_decode(a, c, &pos), 0);
	done = false;
	n = 1;
	KUNIT_EXPECT_EQ(test, hmap_dump(a, &pos, &done, 16, &n,
					iter_walk_dump_one_fn, &k), 0);
	KUNIT_EXPECT_EQ(test, n, 0U);
	KUNIT_EXPECT_TRUE(test, done);
	KUNIT_EXPECT_EQ(test, pos, pa);
	/* Past the end is no position. */
	pos = pa + 1;
	KUNIT_EXPECT_EQ(test, hmap_dump(a, &pos, &done, 16, &n,
					iter_walk_dump_one_fn, &k), -EINVAL);

	/* About half of all values name no position (2^63 + 1 of 2^64). */
	for (i = 0; i < 1000; i++) {
		rng = hmap_kunit_mix(rng);
		refused += hmap_dump_cursor_decode(a, rng, &pos) == -EINVAL;
	}
	KUNIT_EXPECT_GT(test, refused, 300U);
	KUNIT_EXPECT_LT(test, refused, 700U);
}

static struct kunit_case hmap_iter_cases[] = {
	KUNIT_CASE(hmap_iter_test_full_walk),
	KUNIT_CASE(hmap_iter_test_mid_resize_walk),
	KUNIT_CASE(hmap_iter_test_empty_map_returns_nothing),
	KUNIT_CASE(hmap_iter_test_insert_delete),
	KUNIT_CASE(hmap_iter_test_grows_mid_walk_return_each_once),
	KUNIT_CASE(hmap_iter_test_shrinks_mid_walk_return_each_once),
	KUNIT_CASE(hmap_iter_test_same_size_grow),
	KUNIT_CASE(hmap_iter_test_several_resizes),
	KUNIT_CASE(hmap_iter_test_equal_hashes),
	KUNIT_CASE(hmap_iter_test_clear_mid_walk_drops_old_keys),
	KUNIT_CASE(hmap_iter_test_sleep_background),
	KUNIT_CASE(hmap_iter_test_dump_resizes),
	KUNIT_CASE(hmap_iter_test_dump_equal_hashes),
	KUNIT_CASE(hmap_iter_test_dump_cursor_opaque),
	{}
};

struct kunit_suite hmap_iter_suite = {
	.name = "hmap_iter",
	.test_cases = hmap_iter_cases,
};
