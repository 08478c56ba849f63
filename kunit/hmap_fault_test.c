// SPDX-License-Identifier: GPL-2.0
/*
 * hmap_fault: every allocation of the core fails on demand (hmap_fault.h),
 * and what the API promises still holds: only -ENOMEM reaches the caller,
 * an operation that failed left the map as it was, no entry is lost or
 * seen twice, a resize that could not allocate is started again by a later
 * write, the worker retries, and the global counters balance after
 * destroy.
 *
 * Two ways to fail: /proc/<pid>/fail-nth's mechanism (current->fail_nth,
 * lib/fault-inject.c) fails the N-th allocation of this task, so a case
 * walks N = 1, 2, ... until an operation runs without a failure, and every
 * allocation point on its path fails once; a probability fails
 * allocations at random in any task, the worker's included.
 */

#include <linux/delay.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "../hmap_fault.h"
#include "hmap_kunit.h"

#define FAULT_ALL_SITES	GENMASK(HMAP_FAULT_NR - 1, 0)

/* A map and the model of what it holds. */
struct fault_ctx {
	struct kunit *test;
	struct hmap *map;
	struct hmap_kunit_key *keys;
	bool *live;
	u64 *val;
	unsigned int nkeys;
	unsigned long enomem;	/* operations that failed with -ENOMEM */
};

static void fault_case_exit(struct kunit *test)
{
	hmap_test_set_fault_sites(FAULT_ALL_SITES, 0);
	current->fail_nth = 0;
}

/*
 * A model of @n keys whose hashes fall in @buckets buckets (fewer buckets
 * than the map has: chains of overflow buckets), over @map (NULL: a map
 * destroyed when the case ends).
 */
static struct fault_ctx *fault_new(struct kunit *test, unsigned int n,
				   unsigned int buckets, struct hmap *map)
{
	struct fault_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->test = test;
	c->nkeys = n;
	c->keys = kunit_kcalloc(test, n, sizeof(*c->keys), GFP_KERNEL);
	c->live = kunit_kcalloc(test, n, sizeof(*c->live), GFP_KERNEL);
	c->val = kunit_kcalloc(test, n, sizeof(*c->val), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, c->keys && c->live && c->val);
	for (i = 0; i < n; i++) {
		c->keys[i].hash = ((u64)(i * 37 % 251) << 56) |
				  ((i * 0x9e3779b9U) % buckets);
		c->keys[i].id = i;
	}
	c->map = map ?: hmap_kunit_map(test, n, 0, true);
	return c;
}

/* Insert or replace key @k with a fresh value; check the result. */
static int fault_put(struct fault_ctx *c, unsigned int k)
{
	u64 v = c->val[k] + 1 + ((u64)k << 32);
	int err;

	err = hmap_update(c->map, &c->keys[k], sizeof(c->keys[k]), &v,
			  sizeof(v), HMAP_ANY);
	if (!err) {
		c->live[k] = true;
		c->val[k] = v;
	} else {
		KUNIT_EXPECT_EQ_MSG(c->test, err, -ENOMEM, "update of key %u",
				    k);
		c->enomem++;
	}
	return err;
}

/* Delete key @k; check the result against the model. */
static int fault_del(struct fault_ctx *c, unsigned int k)
{
	int err = hmap_delete(c->map, &c->keys[k], sizeof(c->keys[k]));

	if (!err) {
		KUNIT_EXPECT_TRUE_MSG(c->test, c->live[k], "deleted key %u", k);
		c->live[k] = false;
	} else if (err == -ENOENT) {
		KUNIT_EXPECT_FALSE_MSG(c->test, c->live[k], "lost key %u", k);
	} else {
		KUNIT_EXPECT_EQ_MSG(c->test, err, -ENOMEM, "delete of key %u",
				    k);
		c->enomem++;
	}
	return err;
}

/* The model matches key @k: a lookup allocates nothing, so cannot fail. */
static void fault_check_key(struct fault_ctx *c, unsigned int k)
{
	u32 len;
	u64 v;
	int err = hmap_lookup(c->map, &c->keys[k], sizeof(c->keys[k]), &v,
			      &len);

	if (c->live[k]) {
		KUNIT_EXPECT_EQ_MSG(c->test, err, 0, "lost key %u", k);
		KUNIT_EXPECT_EQ_MSG(c->test, v, c->val[k], "value of key %u",
				    k);
	} else {
		KUNIT_EXPECT_EQ_MSG(c->test, err, -ENOENT, "stale key %u", k);
	}
}

/*
 * Every key looked up, the count, and a walk that sees each live key once
 * and no other (the walk's own allocation may fail: then it is retried).
 */
static void fault_check_all(struct fault_ctx *c)
{
	struct kunit *test = c->test;
	unsigned long live = 0, walked = 0;
	struct hmap_kunit_key key;
	struct hmap_iter iter;
	unsigned int i, tries;
	u8 *seen;
	u32 len;
	int err;

	for (i = 0; i < c->nkeys; i++) {
		fault_check_key(c, i);
		live += c->live[i];
	}
	KUNIT_EXPECT_EQ(test, hmap_count(c->map), live);

	seen = kcalloc(c->nkeys, 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	for (tries = 0; tries < 100; tries++) {
		err = hmap_iter_start(c->map, &iter);
		if (err != -ENOMEM)
			break;
	}
	KUNIT_ASSERT_EQ(test, err, 0);
	while (!hmap_iter_next(&iter, &key, &len, NULL, NULL)) {
		walked++;
		KUNIT_EXPECT_LT(test, key.id, (u64)c->nkeys);
		if (key.id >= c->nkeys)
			continue;
		KUNIT_EXPECT_TRUE_MSG(test, c->live[key.id],
				      "walked dead key %llu",
				      key.id);
		KUNIT_EXPECT_EQ_MSG(test, seen[key.id]++, 0,
				    "walked key %llu twice", key.id);
	}
	hmap_iter_stop(&iter);
	kfree(seen);
	KUNIT_EXPECT_EQ(test, walked, live);
}

/* Run @op with the task's @n-th allocation failing; did one fail? */
#define fault_fail_nth(n, op) ({			\
	__auto_type __ret = ({			\
		current->fail_nth = (n);	\
		(op);				\
	});					\
	*injected = !current->fail_nth;		\
	current->fail_nth = 0;			\
	__ret;					\
})

static long fault_injected_at(enum hmap_fault_site site)
{
	return hmap_test_read_injected(site);
}

/*
 * hmap_create() fails each of its allocations in turn: -ENOMEM every time,
 * nothing left behind, then it succeeds.
 */
static void hmap_fault_test_create_each_allocation(struct kunit *test)
{
	struct hmap_params p = {
		.key_size = 8, .value_size = 8, .max_entries = 1000,
		.capacity_hint = 100,
	};
	struct hmap_global_stats before, after;
	long sites[HMAP_FAULT_NR];
	struct hmap *map = NULL;
	unsigned int n, failed = 0;
	bool injected_now;
	bool *injected = &injected_now;

	for (n = 0; n < HMAP_FAULT_NR; n++)
		sites[n] = fault_injected_at(n);
	hmap_kunit_globals_start(&before);
	for (n = 1; n < 50; n++) {
		map = fault_fail_nth(n, hmap_create(&p));
		if (!injected_now)
			break;
		KUNIT_ASSERT_EQ_MSG(test, PTR_ERR_OR_ZERO(map), -ENOMEM,
				    "allocation %u failed", n);
		failed++;
		hmap_global_stats(&after);
		KUNIT_EXPECT_EQ(test, after.maps, before.maps);
		KUNIT_EXPECT_EQ(test, after.arrays, before.arrays);
		KUNIT_EXPECT_EQ(test, after.bytes, before.bytes);
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(map));
	hmap_destroy(map);
	/*
	 * struct hmap, its per-CPU stats, the table, its buckets and the
	 * reserve of overflow buckets.
	 */
	KUNIT_EXPECT_EQ(test, failed, 4U + HMAP_RESERVE);
	for (n = HMAP_FAULT_MAP; n <= HMAP_FAULT_BUCKETS; n++)
		KUNIT_EXPECT_GT_MSG(test, fault_injected_at(n), sites[n],
				    "site %u",
				    n);
	hmap_kunit_expect_globals_back(test, &before);
}

/*
 * Fail each allocation of one write of key @k in turn (@put: an insert,
 * else a delete), N = 1, 2, ... until the write runs without a failure;
 * after each failure the key is as the model says. A write that did
 * without what failed (a grow or a shrink that could not start) is taken
 * back, so that the next N walks the same write, up to the resize itself.
 * Return: how many allocations failed.
 */
static unsigned int fault_write_each_allocation(struct fault_ctx *c,
						unsigned int k, bool put)
{
	unsigned int n, points = 0;
	bool injected_now;
	bool *injected = &injected_now;
	int err;

	for (n = 1; n < 20; n++) {
		err = fault_fail_nth(n, put ? fault_put(c, k) : fault_del(c, k));
		if (!injected_now)
			break;
		points++;
		fault_check_key(c, k);
		if (!err)
			KUNIT_ASSERT_EQ(c->test,
					put ? fault_del(c, k) : fault_put(c, k),
					0);
	}
	KUNIT_ASSERT_EQ_MSG(c->test, err, 0, "key %u", k);
	return points;
}

/* No resize in progress, and the map at or under its load. */
static bool fault_fits(const struct hmap_stats *st)
{
	return !st->resizing &&
	       st->count * HMAP_LOAD_DEN <= (u64)HMAP_LOAD_NUM << st->B;
}

/*
 * Once the %HMAP_BG_RETRY hold-off of the last failed array is over, with
 * no fault, delete and insert key 0 until the map fits (@shrink: until a
 * shrink started), at most 2^B + 1 pairs: the first write starts the
 * resize due, and with the worker off each write evacuates up to two old
 * buckets. Return: the pairs; *@st is the map's stats after them.
 */
static unsigned int fault_pairs(struct fault_ctx *c, bool shrink,
				struct hmap_stats *st)
{
	unsigned int pairs;

	msleep(jiffies_to_msecs(HMAP_BG_RETRY) + 20);
	hmap_get_stats(c->map, st);
	for (pairs = 0; pairs <= (1U << st->B); pairs++) {
		if (shrink ? st->shrinks : fault_fits(st))
			break;
		KUNIT_EXPECT_EQ(c->test, fault_del(c, 0), 0);
		KUNIT_EXPECT_EQ(c->test, fault_put(c, 0), 0);
		hmap_get_stats(c->map, st);
	}
	return pairs;
}

/*
 * Every allocation of every write fails in turn, through grows (the
 * writer allocates the new array) and evacuations into chains (writers
 * allocate overflow buckets), then shrinks: each failed write returned
 * -ENOMEM and changed nothing, and the map matches the model throughout.
 *
 * Each try of a resize's array comes inside a walk, which fails it, and a
 * failed array holds off the next try of its size for %HMAP_BG_RETRY: the
 * map may end the inserts short of the size its count needs (the rest in
 * chains, below the cap), and the deletes may end before a shrink's array
 * is tried again. So after each phase, with no fault, writes must bring
 * the map to the size its count needs, then start the shrink.
 */
static void hmap_fault_test_writes_each_allocation(struct kunit *test)
{
	struct fault_ctx *c = fault_new(test, 600, 16, NULL);
	unsigned int k, n, grow_pairs, pairs, points = 0;
	struct hmap_stats walked, st;
	long sites[HMAP_FAULT_NR];

	for (n = 0; n < HMAP_FAULT_NR; n++)
		sites[n] = fault_injected_at(n);
	for (k = 0; k < c->nkeys; k++) {
		points += fault_write_each_allocation(c, k, true);
		if (k % 64 == 0)
			fault_check_all(c);
	}
	fault_check_all(c);
	hmap_get_stats(c->map, &walked);
	grow_pairs = fault_pairs(c, false, &st);
	KUNIT_EXPECT_TRUE_MSG(test, fault_fits(&st),
			      "B %u for %llu entries (resizing %u) after %u pairs",
			      st.B, st.count, st.resizing, grow_pairs);
	/* Down to a quarter: below the load that starts a shrink. */
	for (k = 0; k < c->nkeys; k++) {
		if (k % 4 == 0)
			continue;
		points += fault_write_each_allocation(c, k, false);
		if (k % 64 == 0)
			fault_check_all(c);
	}
	fault_check_all(c);
	pairs = fault_pairs(c, true, &st);
	fault_check_all(c);
	KUNIT_EXPECT_GE(test, st.grows, 3ULL);
	KUNIT_EXPECT_GE(test, st.shrinks, 1ULL);
	for (n = HMAP_FAULT_TABLE; n <= HMAP_FAULT_ELEM; n++)
		KUNIT_EXPECT_GT_MSG(test, fault_injected_at(n), sites[n],
				    "site %u",
				    n);
	kunit_info(test,
		   "%u allocations failed one by one, %lu -ENOMEM; B %u for %llu entries, grown after %u delete and insert pairs; shrink after %u\n",
		   points, c->enomem, walked.B, walked.count, grow_pairs,
		   pairs);
}

/* The iterator's start fails alone and leaves nothing to stop. */
static void hmap_fault_test_iter_start(struct kunit *test)
{
	struct fault_ctx *c = fault_new(test, 100, 64, NULL);
	long before = fault_injected_at(HMAP_FAULT_ITER_KEY);
	struct hmap_iter iter;
	bool injected_now;
	bool *injected = &injected_now;
	unsigned int k;

	for (k = 0; k < c->nkeys; k++)
		KUNIT_ASSERT_EQ(test, fault_put(c, k), 0);
	KUNIT_EXPECT_EQ(test, fault_fail_nth(1, hmap_iter_start(c->map, &iter)),
			-ENOMEM);
	KUNIT_EXPECT_TRUE(test, injected_now);
	KUNIT_EXPECT_EQ(test, fault_injected_at(HMAP_FAULT_ITER_KEY),
			before + 1);
	fault_check_all(c);
}

/*
 * With no array to be had, writes go on into overflow chains and the map
 * stays at its size, up to 2^HMAP_NOARRAY_SLACK times its load once an
 * allocation failed (then -ENOMEM: chains stay bounded); the first write
 * after memory returns starts the grow, and the map ends at the size its
 * count needs.
 */
static void hmap_fault_test_grow_retried(struct kunit *test)
{
	struct fault_ctx *c = fault_new(test, 800, 1U << 20, NULL);
	struct hmap_stats st, st0;
	unsigned int k;
	int err = 0;

	hmap_get_stats(c->map, &st0);
	hmap_test_set_fault_sites(BIT(HMAP_FAULT_TABLE) |
				  BIT(HMAP_FAULT_BUCKETS), 100);
	for (k = 0; k < 700; k++) {
		err = fault_put(c, k);
		if (err)
			break;
	}
	/* The one bucket of B 0 holds 6.5 entries; 2^3 times that. */
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	KUNIT_EXPECT_EQ(test, k, HMAP_LOAD_NUM << HMAP_NOARRAY_SLACK >> 1);
	KUNIT_EXPECT_EQ(test, st0.B, 0U);
	hmap_get_stats(c->map, &st);
	KUNIT_EXPECT_EQ(test, st.B, st0.B);
	KUNIT_EXPECT_EQ(test, st.grows, 0ULL);
	KUNIT_EXPECT_GT(test, st.alloc_failures, 0ULL);
	KUNIT_EXPECT_GT(test, st.noverflow, 0ULL);
	fault_check_all(c);

	/* Each insert now starts the next grow, until the map fits. */
	hmap_test_set_fault_sites(FAULT_ALL_SITES, 0);
	for (; k < c->nkeys; k++) {
		KUNIT_ASSERT_EQ(test, fault_put(c, k), 0);
		hmap_test_run_background(c->map);
	}
	hmap_get_stats(c->map, &st);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_EXPECT_GT(test, st.grows, 0ULL);
	/* At most 6.5 entries per bucket (HMAP_LOAD_NUM / HMAP_LOAD_DEN). */
	KUNIT_EXPECT_LE(test, st.count * HMAP_LOAD_DEN,
			(u64)HMAP_LOAD_NUM << st.B);
	fault_check_all(c);
}

/*
 * The worker cannot get overflow buckets for the chains it evacuates
 * into: it retries every HMAP_BG_RETRY, and finishes once it can.
 */
static void hmap_fault_test_worker_retries(struct kunit *test)
{
	/*
	 * Keys in 8 buckets: at a grow each old chain moves whole to its
	 * X bucket (the new hash bit is 0), which needs overflow buckets.
	 */
	struct fault_ctx *c = fault_new(test, 600, 8, NULL);
	struct hmap_stats st;
	unsigned int k;
	int waits;

	/* Insert until a write starts a grow; it evacuates 2 buckets. */
	for (k = 0; k < c->nkeys; k++) {
		KUNIT_ASSERT_EQ(test, fault_put(c, k), 0);
		hmap_get_stats(c->map, &st);
		if (st.resizing != HMAP_RESIZE_NONE && st.B >= 5)
			break;
	}
	KUNIT_ASSERT_NE(test, st.resizing, (u32)HMAP_RESIZE_NONE);

	hmap_test_set_fault_sites(BIT(HMAP_FAULT_OVERFLOW), 100);
	hmap_test_set_background(c->map, true);
	msleep(200);
	hmap_get_stats(c->map, &st);
	KUNIT_EXPECT_NE(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_EXPECT_GT(test, st.alloc_failures, 0ULL);
	fault_check_all(c);

	hmap_test_set_fault_sites(FAULT_ALL_SITES, 0);
	for (waits = 0; waits < 300; waits++) {
		hmap_get_stats(c->map, &st);
		if (st.resizing == HMAP_RESIZE_NONE)
			break;
		msleep(100);
	}
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	fault_check_all(c);
}

/*
 * Random writes, deletes, clears and walks while one allocation in ten
 * fails anywhere, the worker's included; then memory returns and the map
 * settles at the size its count needs. The global counters balance once
 * the map is destroyed.
 */
static void hmap_fault_test_random_failures(struct kunit *test)
{
	struct hmap_global_stats before;
	struct rnd_state rnd;
	struct hmap_stats st;
	struct fault_ctx *c;
	unsigned int op, k;
	struct hmap *map;
	int waits;

	hmap_kunit_globals_start(&before);
	map = hmap_kunit_map_new(1000, 0, true);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	c = fault_new(test, 1000, 128, map);
	hmap_test_set_background(map, true);
	prandom_seed_state(&rnd, 42);
	hmap_test_set_fault_sites(FAULT_ALL_SITES, 10);
	for (op = 0; op < 20000; op++) {
		/* Waves: mostly writes, then mostly deletes. */
		bool grow = (op / 2500) % 2 == 0;
		u32 r = prandom_u32_state(&rnd);

		k = r % c->nkeys;
		if ((r >> 16) % 16 < (grow ? 12 : 3))
			fault_put(c, k);
		else
			fault_del(c, k);
		if ((r >> 8) % 2048 == 0) {
			/* A fresh array or nothing changes. */
			int err = hmap_shrink_to_fit(map);

			KUNIT_EXPECT_TRUE(test, !err || err == -ENOMEM);
		}
		if (op % 1000 == 999) {
			hmap_test_set_fault_sites(FAULT_ALL_SITES, 0);
			fault_check_all(c);
			hmap_test_set_fault_sites(FAULT_ALL_SITES, 10);
		}
		if (op % 256 == 0)
			cond_resched();
	}
	hmap_test_set_fault_sites(FAULT_ALL_SITES, 0);
	fault_check_all(c);
	KUNIT_EXPECT_GT(test, c->enomem, 100UL);

	/* The worker finishes what the failures left. */
	for (waits = 0; waits < 300; waits++) {
		hmap_get_stats(map, &st);
		if (st.resizing == HMAP_RESIZE_NONE)
			break;
		msleep(100);
	}
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	fault_check_all(c);
	kunit_info(test, "%lu operations failed with -ENOMEM; %llu grows, %llu shrinks\n",
		   c->enomem, st.grows, st.shrinks);

	hmap_destroy(map);
	hmap_kunit_expect_globals_back(test, &before);
}

static struct kunit_case hmap_fault_cases[] = {
	KUNIT_CASE(hmap_fault_test_create_each_allocation),
	KUNIT_CASE(hmap_fault_test_writes_each_allocation),
	KUNIT_CASE(hmap_fault_test_iter_start),
	KUNIT_CASE(hmap_fault_test_grow_retried),
	KUNIT_CASE(hmap_fault_test_worker_retries),
	KUNIT_CASE(hmap_fault_test_random_failures),
	{}
};

struct kunit_suite hmap_fault_suite = {
	.name = "hmap_fault",
	.exit = fault_case_exit,
	.test_cases = hmap_fault_cases,
};
