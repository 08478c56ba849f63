// SPDX-License-Identifier: GPL-2.0
/*
 * hmap_scale: maps of the sizes users reach (hundreds of thousands to
 * millions of entries). The slowest suite: on the KCSAN kernel in QEMU a
 * case takes up to about three minutes (KUnit stops one at 300 s), under
 * KASAN several times that. A module of its own,
 * hmap_kunit_scale.ko, so that a run can leave it out or run it apart
 * (make check runs it on the KCSAN kernel at full size, and on the 6.12
 * KASAN kernel with shift=4, scripts/check.sh).
 */

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>

#include "hmap_kunit.h"

/*
 * The random-key cases run at 2^-shift of their size: every count, B and
 * bound below scales with it, so the same assertions hold (the case with
 * full chains needs B 18 and does not scale). 0 is the size users reach;
 * make check uses 4 (the 6.12 guest), where KASAN makes each allocation
 * several times dearer; above 4 counts as 4.
 */
static unsigned int shift;
module_param(shift, uint, 0444);
MODULE_PARM_DESC(shift, "run the random-key cases at 2^-shift of their size, 0 to 4");
#define SCALE_SHIFT_MAX	4

/*
 * Chains that are full, not degenerate, start no same-size grow: a rebuild
 * could not shorten them. At B 18, 2^15 buckets hold 9 keys each, so the
 * map has 2^15 overflow buckets, each with one entry; Go's threshold of
 * 2^min(B, 15), all overflow buckets counted, is reached, and since a
 * rebuild leaves the same 2^15, every insert after it started another,
 * each allocating and zeroing a 20 MiB array.
 */
static void hmap_scale_test_full_chains_no_same_size_grow(struct kunit *test)
{
	const u32 nbuckets = 1U << 15, per = 9;
	struct hmap *map;
	struct hmap_stats st;
	u32 i;

	/* One entry over what B 17 holds: the map starts at B 18. */
	map = hmap_kunit_map_new(1U << 20, (13U << 17) / 2 + 1, true);
	KUNIT_ASSERT_FALSE(test, IS_ERR(map));
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.B, 18U);
	/* No assertion until the map is destroyed: it is not a resource. */
	for (i = 0; i < nbuckets * per + 1000; i++) {
		struct hmap_kunit_key k = { .id = i };
		u64 v = i;
		int err;

		/* Buckets 0, 8, 16, ... 9 keys each; then single keys. */
		if (i < nbuckets * per)
			k.hash = ((u64)(i % per + 5) << 56) | (i / per) * 8;
		else
			k.hash = ((u64)i << 40) | ((i - nbuckets * per) * 8 + 1);
		err = hmap_update(map, &k, sizeof(k), &v, sizeof(v),
				  HMAP_NOEXIST);
		if (err) {
			KUNIT_FAIL(test, "insert %u: %d", i, err);
			break;
		}
		if (!(i & 4095))
			cond_resched();
	}
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.noverflow, (u64)nbuckets);
	KUNIT_EXPECT_EQ(test, st.same_size_grows, 0ULL);
	KUNIT_EXPECT_EQ(test, st.grows, 0ULL);
	KUNIT_EXPECT_EQ(test, st.arrays_alloced, 1ULL);
	hmap_destroy(map);
}

/* Key @i of the cases below: hashed by SipHash, so random buckets. */
static void scale_key(u64 i, struct hmap_kunit_key *k)
{
	k->hash = i;
	k->id = ~i;
}

static int scale_put(struct hmap *map, u64 i, u64 flags)
{
	struct hmap_kunit_key k;
	u64 v = i;

	scale_key(i, &k);
	return hmap_update(map, &k, sizeof(k), &v, sizeof(v), flags);
}

static int scale_del(struct hmap *map, u64 i)
{
	struct hmap_kunit_key k;

	scale_key(i, &k);
	return hmap_delete(map, &k, sizeof(k));
}

/* Keys @from .. @to - 1 are all there with their values: the misses. */
static u64 scale_count_missing(struct hmap *map, u64 from, u64 to)
{
	struct hmap_kunit_key k;
	u64 i, v, missing = 0;
	u32 len;

	for (i = from; i < to; i++) {
		scale_key(i, &k);
		if (hmap_lookup(map, &k, sizeof(k), &v, &len) || v != i)
			missing++;
		if (!(i & 4095))
			cond_resched();
	}
	return missing;
}

/* Insert keys @from .. @to - 1; stops at the first error, returns it. */
static int scale_fill(struct kunit *test, struct hmap *map, u64 from, u64 to)
{
	u64 i;
	int err;

	for (i = from; i < to; i++) {
		err = scale_put(map, i, HMAP_NOEXIST);
		if (err) {
			KUNIT_FAIL(test, "insert %llu: %d", i, err);
			return err;
		}
		if (!(i & 4095))
			cond_resched();
	}
	return 0;
}

/* A reader on another CPU, looking keys 0 .. @stable - 1 up over and over. */
struct scale_reader {
	struct hmap *map;
	u64 stable;
	u64 rounds;
	atomic64_t lookups;
	atomic64_t misses;
	struct completion started;
};

static int scale_reader_fn(void *arg)
{
	struct scale_reader *r = arg;
	struct hmap_kunit_key k;
	u64 i, v;
	u32 len;

	complete(&r->started);
	while (!kthread_should_stop()) {
		for (i = 0; i < r->stable && !kthread_should_stop(); i++) {
			/* A stride through the stable keys, not in order. */
			scale_key((i * 7919) % r->stable, &k);
			if (hmap_lookup(r->map, &k, sizeof(k), &v, &len) ||
			    v != (i * 7919) % r->stable)
				atomic64_inc(&r->misses);
			atomic64_inc(&r->lookups);
			if (!(i & 1023))
				cond_resched();
		}
		r->rounds++;
	}
	return 0;
}

static struct task_struct *scale_reader_start(struct scale_reader *r)
{
	struct task_struct *task;
	unsigned int cpu;

	init_completion(&r->started);
	atomic64_set(&r->lookups, 0);
	atomic64_set(&r->misses, 0);
	task = kthread_create(scale_reader_fn, r, "hmap_scale_reader");
	if (IS_ERR(task))
		return task;
	cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	if (cpu < nr_cpu_ids)
		kthread_bind(task, cpu);
	wake_up_process(task);
	wait_for_completion(&r->started);
	return task;
}

/*
 * Millions of random keys, from B 16 to B 20 and down again, with a reader
 * that never misses, a resize that ends under steady writes, and a destroy
 * in the middle of a shrink.
 * The figures are those of shift 0; with shift s each B is s less and
 * each count 2^s times smaller.
 *
 * 1. 400,000 stable keys (B 16); a reader on the other CPU looks them up
 *    until the end.
 * 2. 3,007,872 more with the worker off, writes alone evacuating: the map
 *    grows to 17, 18 and 19 and holds 3,407,872, the most B 19 holds, and
 *    starts no same-size grow: random keys need about 0.21 overflow
 *    buckets per bucket (P(X > 8) for X ~ Poisson(6.5)), and Go's threshold
 *    of 2^min(B, 15) overflow buckets, all counted, is passed at B 18
 *    (about 55,000), after which every insert after a finished resize
 *    started another rebuild.
 * 3. The worker on, one insert starts the grow to B 20 (2^19 old buckets),
 *    then updates of one key, 1 ms apart: the worker ends the grow
 *    beside them (the bound of "Theory of operation": 2^19 / 64 turns)
 *    within a quarter of the 2^18 writes that would end it alone; each
 *    old bucket moves once, at most two per write.
 * 4. Deletes of the non-stable keys: none starts a shrink but the one that
 *    leaves 1.625 entries per bucket, and then the map is destroyed with
 *    the shrink, the worker and the grace periods of the deleted elements
 *    pending; once the deferred frees ran, the global counters are back
 *    where they were.
 */
static void hmap_scale_test_millions_readers_never_miss(struct kunit *test)
{
	const unsigned int s = min_t(unsigned int, shift, SCALE_SHIFT_MAX);
	const u64 stable = 400000 >> s, peak = (13U << (19 - s)) / 2;
	struct scale_reader r = { .stable = stable };
	struct hmap_global_stats before;
	u64 i, v, writes, last, by_writers, by_worker;
	struct hmap_stats st0, st;
	struct hmap_kunit_key k;
	struct task_struct *task;
	struct hmap *map;
	int err = 0;

	hmap_kunit_globals_start(&before);
	/* One entry over what B 15 holds: the map starts at B 16. */
	map = hmap_kunit_map_new(1U << 23, (13U << (15 - s)) / 2 + 1, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(map));
	/* No assertion until the map is destroyed: it is not a resource. */
	r.map = map;
	if (scale_fill(test, map, 0, stable))
		goto out;
	task = scale_reader_start(&r);
	if (IS_ERR(task)) {
		KUNIT_FAIL(test, "reader: %ld", PTR_ERR(task));
		goto out;
	}

	/* 2. */
	err = scale_fill(test, map, stable, peak);
	hmap_test_run_background(map);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.count, peak);
	KUNIT_EXPECT_EQ(test, st.B, 19U - s);
	KUNIT_EXPECT_EQ(test, st.grows, 3ULL);
	KUNIT_EXPECT_EQ(test, st.same_size_grows, 0ULL);
	/* About 0.21 per bucket; a quarter leaves room for chance. */
	KUNIT_EXPECT_LT(test, st.noverflow, 1ULL << (19 - s - 2));
	kunit_info(test, "%llu entries at B %u: %llu overflow buckets\n",
		   st.count, st.B, st.noverflow);
	if (err)
		goto stop;

	/*
	 * 3. The counters before the insert that starts the grow: the worker
	 * starts with the grow and may have moved batches before the first
	 * look at the map after it.
	 */
	hmap_get_stats(map, &st0);
	hmap_test_set_background(map, true);
	err = scale_put(map, peak, HMAP_NOEXIST);
	KUNIT_EXPECT_EQ(test, err, 0);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_NE(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_EXPECT_EQ(test, st.B, 20U - s);
	scale_key(0, &k);
	for (writes = 0; writes < (1U << (18 - s)) / 4; writes++) {
		hmap_get_stats(map, &st);
		if (st.resizing == HMAP_RESIZE_NONE)
			break;
		v = 0;
		err = hmap_update(map, &k, sizeof(k), &v, sizeof(v), HMAP_EXIST);
		if (err)
			break;
		usleep_range(1000, 1100);
	}
	KUNIT_EXPECT_EQ_MSG(test, st.resizing, (u32)HMAP_RESIZE_NONE,
			    "%llu of %u old buckets moved after %llu writes",
			    st.nevacuate, 1U << (19 - s), writes);
	KUNIT_EXPECT_EQ(test, st.B, 20U - s);
	/*
	 * Every old bucket moved once, by a write (the insert that started
	 * the grow among them) or by the worker, and each write moved two at
	 * most: the worker did the rest.
	 */
	by_writers = st.evacuated_by_writers - st0.evacuated_by_writers;
	by_worker = st.evacuated_by_background - st0.evacuated_by_background;
	KUNIT_EXPECT_EQ(test, by_writers + by_worker, 1ULL << (19 - s));
	KUNIT_EXPECT_LE(test, by_writers, 2 * (writes + 1));
	kunit_info(test, "grow to B %u ended after %llu writes 1 ms apart: %llu buckets moved by writes, %llu by the worker\n",
		   20 - s, writes, by_writers, by_worker);

	/*
	 * 4. Below 1.625 entries per bucket, a quarter of the grow load, the
	 * delete that gets there starts the shrink: 13 * 2^(20 - s) / 8
	 * entries.
	 * The reader stops and the stable keys are checked before it.
	 */
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	last = peak - (st.count - (13U << (20 - s)) / 8);
	for (i = peak; i > last; i--) {
		err = scale_del(map, i);
		if (err) {
			KUNIT_FAIL(test, "delete %llu: %d", i, err);
			goto stop;
		}
		if (!(i & 4095)) {
			hmap_get_stats(map, &st);
			KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
			cond_resched();
		}
	}
	kthread_stop(task);
	task = NULL;
	KUNIT_EXPECT_EQ(test, scale_count_missing(map, 0, stable), 0ULL);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_EXPECT_EQ(test, scale_del(map, last), 0);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.count, (13ULL << (20 - s)) / 8 - 1);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_SHRINK);
	kunit_info(test, "a shrink to B %u started at %llu entries\n",
		   st.B, st.count);
stop:
	if (task)
		kthread_stop(task);
	KUNIT_EXPECT_EQ(test, atomic64_read(&r.misses), 0LL);
	KUNIT_EXPECT_GE(test, r.rounds, 2ULL);
	kunit_info(test, "reader: %lld lookups of %llu stable keys, %llu rounds\n",
		   atomic64_read(&r.lookups), stable, r.rounds);
out:
	/* Destroyed with the shrink and the worker going: all of it freed. */
	hmap_destroy(map);
	hmap_kunit_expect_globals_back(test, &before);
}

/*
 * Churn at a constant size: 500,000 entries (B 17), then each of them
 * replaced, the oldest key out and a new one in. The count never moves, so no grow
 * and no shrink; the overflow buckets the deletes empty are given back by
 * same-size grows, at most one per 2^B overflow buckets allocated, and
 * chains stay as short as random keys make them.
 * (B 17 - shift and 500,000 >> shift entries with the parameter.)
 */
static void hmap_scale_test_churn_constant_size(struct kunit *test)
{
	const unsigned int s = min_t(unsigned int, shift, SCALE_SHIFT_MAX);
	const u64 n = 500000 >> s, ops = n;
	struct hmap_stats st0, st;
	struct hmap *map;
	u64 i;
	int err;

	map = hmap_kunit_map_new(n + 1, n, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(map));
	/* No assertion until the map is destroyed: it is not a resource. */
	if (scale_fill(test, map, 0, n))
		goto out;
	hmap_test_set_background(map, true);
	hmap_test_run_background(map);
	hmap_get_stats(map, &st0);
	KUNIT_EXPECT_EQ(test, st0.B, 17U - s);
	for (i = 0; i < ops; i++) {
		err = scale_del(map, i);
		if (!err)
			err = scale_put(map, n + i, HMAP_NOEXIST);
		if (err) {
			KUNIT_FAIL(test, "replace %llu: %d", i, err);
			goto out;
		}
		if (!(i & 4095))
			cond_resched();
	}
	hmap_test_run_background(map);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.count, n);
	KUNIT_EXPECT_EQ(test, st.B, st0.B);
	KUNIT_EXPECT_EQ(test, st.grows, st0.grows);
	KUNIT_EXPECT_EQ(test, st.shrinks, st0.shrinks);
	KUNIT_EXPECT_LE(test, st.same_size_grows - st0.same_size_grows,
			(st.overflow_alloced - st0.overflow_alloced) >> st.B);
	/*
	 * Overflow buckets emptied by deletes stay in their chains until a
	 * rebuild, which comes before 2^B new ones (10 MiB at B 17): the
	 * memory held grows by less than half.
	 */
	KUNIT_EXPECT_LE(test, st.bytes, st0.bytes + st0.bytes / 2);
	/* As in the case above: about 0.21 per bucket. */
	KUNIT_EXPECT_LT(test, st.noverflow, 1ULL << (st.B - 2));
	KUNIT_EXPECT_EQ(test, scale_count_missing(map, ops, n + ops), 0ULL);
	kunit_info(test, "%llu entries, %llu replaced: %llu same-size grows, %llu overflow buckets\n",
		   n, ops, st.same_size_grows - st0.same_size_grows,
		   st.noverflow);
out:
	hmap_destroy(map);
}

static struct kunit_case hmap_scale_cases[] = {
	KUNIT_CASE(hmap_scale_test_full_chains_no_same_size_grow),
	KUNIT_CASE(hmap_scale_test_millions_readers_never_miss),
	KUNIT_CASE(hmap_scale_test_churn_constant_size),
	{}
};

static struct kunit_suite hmap_scale_suite = {
	.name = "hmap_scale",
	.test_cases = hmap_scale_cases,
};

kunit_test_suite(hmap_scale_suite);

MODULE_DESCRIPTION("KUnit suites for hmap at the sizes users reach");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
