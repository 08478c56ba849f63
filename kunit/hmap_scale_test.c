// SPDX-License-Identifier: GPL-2.0
/*
 * hmap_scale: maps of the sizes users reach, with random keys (SipHash under
 * the map's own seed). The slowest suite: under KASAN and lockdep in QEMU a
 * case takes about two minutes. A module of its own, hmap_kunit_scale.ko,
 * using hmap_kunit.ko's helpers, so that a quick run can leave it out.
 */

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>

#include "hmap_kunit.h"

/* Key @i of a scale case: random bits for SipHash, and the id. */
static void scale_key(u64 i, struct hmap_kunit_key *k)
{
	k->hash = i * 0x9e3779b97f4a7c15ULL;
	k->id = i;
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

/* Keys @from..@to-1 are all there, with their values. */
static void scale_check_present(struct kunit *test, struct hmap *map, u64 from,
				u64 to)
{
	struct hmap_kunit_key k;
	u64 i, v, bad = 0;
	u32 len;

	for (i = from; i < to; i++) {
		scale_key(i, &k);
		if (hmap_lookup(map, &k, sizeof(k), &v, &len) || v != i)
			bad++;
		if (!(i & 4095))
			cond_resched();
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0ULL, "keys %llu..%llu", from, to - 1);
}

/*
 * Random keys never start a same-size grow, at any B: filled from B 16
 * through the grows to 17, 18 and 19 up to the load of the next grow (3.4
 * million entries), a map needs about 0.21 overflow buckets per bucket
 * (P(X > 8) for X ~ Poisson(6.5)). Go's threshold of 2^min(B, 15) overflow
 * buckets, all of them counted, is passed at B 18 (about 55000), and then
 * every insert after a finished resize started another rebuild. Then every
 * key is deleted: the map shrinks back step by step, and what it allocated
 * is freed.
 */
static void hmap_scale_test_grow_then_shrink(struct kunit *test)
{
	const unsigned int from_B = 16, to_B = 19;
	const u32 n = (13U << to_B) / 2;	/* the most B 19 holds */
	struct hmap_stats st;
	struct hmap *map;
	u32 i;

	/* One entry over what B 15 holds: the map starts at B 16. */
	map = hmap_kunit_map(test, n, (13U << (from_B - 1)) / 2 + 1, false);
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.B, from_B);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ_MSG(test, scale_put(map, i, HMAP_NOEXIST), 0,
				    "insert %u", i);
		if (!(i & 4095))
			cond_resched();
	}
	hmap_test_run_background(map);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.count, (u64)n);
	KUNIT_EXPECT_EQ(test, st.B, to_B);
	KUNIT_EXPECT_EQ(test, st.grows, (u64)(to_B - from_B));
	KUNIT_EXPECT_EQ(test, st.same_size_grows, 0ULL);
	/* About 0.21 per bucket; a quarter leaves room for chance. */
	KUNIT_EXPECT_LT(test, st.noverflow, 1ULL << (to_B - 2));
	kunit_info(test, "%u entries at B %u: %llu overflow buckets\n", n,
		   st.B, st.noverflow);
	scale_check_present(test, map, 0, n);

	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ_MSG(test, scale_del(map, i), 0, "delete %u", i);
		if (!(i & 4095))
			cond_resched();
	}
	hmap_test_run_background(map);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.count, 0ULL);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	/* Shrinks go one B at a time while a quarter of the load remains. */
	KUNIT_EXPECT_LE(test, st.B, 1U);
	KUNIT_EXPECT_GE(test, st.shrinks, (u64)(to_B - 1));
	KUNIT_EXPECT_EQ(test, st.elems_alloced, st.elems_freed);
	KUNIT_EXPECT_EQ(test, st.arrays_alloced, st.arrays_freed + 1);
	KUNIT_EXPECT_EQ(test, st.overflow_alloced, st.overflow_freed);
}

/*
 * Churn at a constant size: two million entries at B 19, then two million
 * times the oldest key out and a new one in. The count never moves, so no
 * grow and no shrink; overflow buckets emptied by deletes are only
 * reclaimed by a rebuild, and the same-size grows that do it come at most
 * once per 2^B overflow buckets allocated since the last one.
 */
static void hmap_scale_test_churn_constant_size(struct kunit *test)
{
	const u32 n = 2U << 20, ops = 2U << 20;
	struct hmap_stats st0, st;
	struct hmap *map;
	u32 i;

	map = hmap_kunit_map(test, n + 1, n, false);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ_MSG(test, scale_put(map, i, HMAP_NOEXIST), 0,
				    "insert %u", i);
		if (!(i & 4095))
			cond_resched();
	}
	hmap_test_run_background(map);
	hmap_get_stats(map, &st0);
	KUNIT_ASSERT_EQ(test, st0.B, 19U);
	for (i = 0; i < ops; i++) {
		KUNIT_ASSERT_EQ_MSG(test, scale_del(map, i), 0, "delete %u", i);
		KUNIT_ASSERT_EQ_MSG(test, scale_put(map, n + i, HMAP_NOEXIST), 0,
				    "insert %u", n + i);
		if (!(i & 4095))
			cond_resched();
	}
	hmap_test_run_background(map);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.count, (u64)n);
	KUNIT_EXPECT_EQ(test, st.B, st0.B);
	KUNIT_EXPECT_EQ(test, st.grows, st0.grows);
	KUNIT_EXPECT_EQ(test, st.shrinks, st0.shrinks);
	KUNIT_EXPECT_LE(test, st.same_size_grows - st0.same_size_grows,
			(st.overflow_alloced - st0.overflow_alloced) >> st.B);
	/* Rebuilt or not, chains stay as short as random keys make them. */
	KUNIT_EXPECT_LT(test, st.noverflow, 1ULL << (st.B - 1));
	kunit_info(test, "%u entries, %u replaced: %llu same-size grows, %llu overflow buckets\n",
		   n, ops, st.same_size_grows - st0.same_size_grows,
		   st.noverflow);
	scale_check_present(test, map, ops, n + ops);
}

struct scale_reader {
	struct hmap *map;
	u64 stable;		/* keys 0..stable-1 are present throughout */
	u64 rounds;
	atomic_long_t misses;
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
			if (hmap_lookup(r->map, &k, sizeof(k), &v, &len))
				atomic_long_inc(&r->misses);
			if (!(i & 1023))
				cond_resched();
		}
		r->rounds++;
	}
	return 0;
}

/*
 * Readers never miss at scale: 0.8 million keys stay (B 17) while a writer
 * adds 2.5 million more (grows to B 18 and 19) and deletes them again
 * (shrinks back),
 * the worker finishing resizes beside it, and a reader on the other CPU
 * looks the stable keys up over and over.
 */
static void hmap_scale_test_readers_never_miss(struct kunit *test)
{
	const u32 stable = 800U << 10, churn = 2500U << 10;
	struct scale_reader r = { .stable = stable };
	struct task_struct *task;
	unsigned int cpu;
	struct hmap_stats st;
	struct hmap *map;
	u32 i;

	map = hmap_kunit_map(test, stable + churn, stable, false);
	r.map = map;
	for (i = 0; i < stable; i++) {
		KUNIT_ASSERT_EQ(test, scale_put(map, i, HMAP_NOEXIST), 0);
		if (!(i & 4095))
			cond_resched();
	}
	hmap_test_set_background(map, true);
	init_completion(&r.started);
	atomic_long_set(&r.misses, 0);
	task = kthread_create(scale_reader_fn, &r, "hmap_scale_reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	if (cpu < nr_cpu_ids)
		kthread_bind(task, cpu);
	wake_up_process(task);
	wait_for_completion(&r.started);
	for (i = stable; i < stable + churn; i++) {
		if (scale_put(map, i, HMAP_NOEXIST))
			break;
		if (!(i & 4095))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, i, stable + churn);
	for (i = stable; i < stable + churn; i++) {
		if (scale_del(map, i))
			break;
		if (!(i & 4095))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, i, stable + churn);
	kthread_stop(task);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r.misses), 0L);
	KUNIT_EXPECT_GE(test, st.grows, 2ULL);
	KUNIT_EXPECT_GE(test, st.shrinks, 1ULL);
	kunit_info(test, "%llu reader rounds over %u keys, %llu grows, %llu shrinks\n",
		   r.rounds, stable, st.grows, st.shrinks);
	scale_check_present(test, map, 0, stable);
}

static struct kunit_case hmap_scale_cases[] = {
	KUNIT_CASE(hmap_scale_test_grow_then_shrink),
	KUNIT_CASE(hmap_scale_test_churn_constant_size),
	KUNIT_CASE(hmap_scale_test_readers_never_miss),
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
