// SPDX-License-Identifier: GPL-2.0
/*
 * hmap_stats: the counters after known sequences of operations, including
 * a full grow and shrink cycle, the bucket histogram, the trace events a
 * resize emits, a spare array given back on every path, and counters that
 * stay consistent while lookups run.
 */

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/tracepoint.h>
#include <trace/events/hmap.h>

#include "hmap_kunit.h"

/* 100 inserts, 10 updates, 50 hits, 20 misses, 100 deletes. */
static void hmap_stats_test_operation_counters(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 1000, 0, true);
	struct hmap_stats st;
	u64 i;

	hmap_kunit_fill(test, map, 0, 100, HMAP_NOEXIST);
	hmap_kunit_fill(test, map, 0, 10, HMAP_EXIST);
	/* Failed writes count as nothing. */
	KUNIT_ASSERT_EQ(test, hmap_kunit_update(map, 0, 0, HMAP_NOEXIST),
			-EEXIST);
	KUNIT_ASSERT_EQ(test, hmap_kunit_update(map, 500, 500, HMAP_EXIST),
			-ENOENT);
	for (i = 0; i < 50; i++)
		KUNIT_ASSERT_EQ(test, hmap_kunit_lookup(map, i), (s64)i);
	for (i = 500; i < 520; i++)
		KUNIT_ASSERT_EQ(test, hmap_kunit_lookup(map, i), -ENOENT);

	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.count, 100ULL);
	KUNIT_EXPECT_EQ(test, st.inserts, 100ULL);
	KUNIT_EXPECT_EQ(test, st.updates, 10ULL);
	KUNIT_EXPECT_EQ(test, st.lookups, 70ULL);
	KUNIT_EXPECT_EQ(test, st.hits, 50ULL);
	KUNIT_EXPECT_EQ(test, st.misses, 20ULL);
	KUNIT_EXPECT_EQ(test, st.deletes, 0ULL);
	/* 100 inserted, 10 replaced, 2 refused writes allocated and freed. */
	KUNIT_EXPECT_EQ(test, st.elems_alloced, 112ULL);
	KUNIT_EXPECT_EQ(test, st.elems_freed, 12ULL);

	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, hmap_kunit_delete(map, i), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_delete(map, 0), -ENOENT);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.deletes, 100ULL);
	KUNIT_EXPECT_EQ(test, st.count, 0ULL);
	KUNIT_EXPECT_EQ(test, st.elems_alloced, st.elems_freed);
}

/*
 * From 1 bucket to 16 and back: 100 evenly spread entries need 2^4 buckets
 * (6.5 * 8 < 100 <= 6.5 * 16), so four grows; emptying the map and letting
 * the worker finish takes it back to 1 bucket in four shrinks.
 */
static void hmap_stats_test_grow_shrink_cycle(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 1000, 0, true);
	struct hmap_stats st;
	u64 i, bytes_empty;

	hmap_get_stats(map, &st);
	bytes_empty = st.bytes;
	KUNIT_EXPECT_EQ(test, st.B, 0U);
	KUNIT_EXPECT_EQ(test, st.arrays_alloced, 1ULL);

	hmap_kunit_fill(test, map, 0, 100, HMAP_NOEXIST);
	hmap_test_run_background(map);
	hmap_flush_frees();
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.B, 4U);
	KUNIT_EXPECT_EQ(test, st.grows, 4ULL);
	KUNIT_EXPECT_EQ(test, st.same_size_grows, 0ULL);
	KUNIT_EXPECT_EQ(test, st.shrinks, 0ULL);
	/* Every old bucket was moved once: 1 + 2 + 4 + 8. */
	KUNIT_EXPECT_EQ(test, st.evacuated_by_writers +
			st.evacuated_by_background, 15ULL);
	KUNIT_EXPECT_EQ(test, st.arrays_alloced, 5ULL);
	KUNIT_EXPECT_EQ(test, st.arrays_freed, 4ULL);
	KUNIT_EXPECT_EQ(test, st.pending_frees, 0ULL);
	KUNIT_EXPECT_GT(test, st.bytes, bytes_empty);

	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, hmap_kunit_delete(map, i), 0);
	hmap_test_run_background(map);
	hmap_flush_frees();
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.B, 0U);
	KUNIT_EXPECT_EQ(test, st.shrinks, 4ULL);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_EXPECT_EQ(test, st.arrays_alloced, 9ULL);
	KUNIT_EXPECT_EQ(test, st.arrays_freed, 8ULL);
	KUNIT_EXPECT_EQ(test, st.overflow_alloced, st.overflow_freed);
	KUNIT_EXPECT_EQ(test, st.pending_frees, 0ULL);
	/* Back to one bucket array and nothing else. */
	KUNIT_EXPECT_EQ(test, st.bytes, bytes_empty);
}

/* Chosen hashes at B 2: 4 keys in bucket 0, 1 in bucket 1, 10 in bucket 3. */
static void hmap_stats_test_histogram_counts_slots_chains(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 1000, 20, true);
	static const u64 bucket[] = { 0, 0, 0, 0, 1, 3, 3, 3, 3, 3, 3, 3, 3,
				      3, 3 };
	struct hmap_histogram h;
	struct hmap_kunit_key k;
	unsigned int i;
	u64 v = 0;

	for (i = 0; i < ARRAY_SIZE(bucket); i++) {
		k.hash = ((u64)(i + 10) << 56) | bucket[i];
		k.id = i;
		KUNIT_ASSERT_EQ(test, hmap_update(map, &k, sizeof(k), &v,
						  sizeof(v), HMAP_NOEXIST), 0);
	}
	KUNIT_ASSERT_EQ(test, hmap_get_histogram(map, &h), 0);
	KUNIT_EXPECT_EQ(test, h.buckets, 4ULL);
	/* Buckets 2 (empty), 1 (one), 0 (four), 3 (eight + two overflow). */
	KUNIT_EXPECT_EQ(test, h.slots[0], 1ULL);
	KUNIT_EXPECT_EQ(test, h.slots[1], 1ULL);
	KUNIT_EXPECT_EQ(test, h.slots[2], 1ULL);
	KUNIT_EXPECT_EQ(test, h.slots[4], 1ULL);
	KUNIT_EXPECT_EQ(test, h.slots[8], 1ULL);
	KUNIT_EXPECT_EQ(test, h.chains[0], 3ULL);
	KUNIT_EXPECT_EQ(test, h.chains[1], 1ULL);
}

/* Wait up to 5 s for the map to hold one array only; return how many. */
static u64 stats_wait_one_array(struct hmap *map)
{
	struct hmap_stats st;
	int waits;

	for (waits = 0; waits < 250; waits++) {
		hmap_flush_frees();
		hmap_get_stats(map, &st);
		if (st.arrays_alloced - st.arrays_freed == 1)
			break;
		msleep(20);
	}
	return st.arrays_alloced - st.arrays_freed;
}

/*
 * A large map gets the array of its next grow ahead of time, and the grow
 * uses it; a spare that no grow comes for is freed once writes stop.
 */
static void hmap_stats_test_spare_array(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 100000, 2000, true);
	struct hmap_stats st;
	u64 alloced;
	int waits;

	/* 2000 entries: B 9 (3328 before the grow to 10, 2^10 buckets). */
	hmap_kunit_fill(test, map, 0, 2000, HMAP_NOEXIST);
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.B, 9U);
	KUNIT_EXPECT_EQ(test, st.arrays_alloced, 1ULL);

	/* Past three quarters of the way (2496): the worker allocates it. */
	hmap_kunit_fill(test, map, 2000, 2600, HMAP_NOEXIST);
	for (waits = 0; waits < 250; waits++) {
		hmap_get_stats(map, &st);
		if (st.arrays_alloced == 2)
			break;
		msleep(20);
	}
	KUNIT_ASSERT_EQ(test, st.arrays_alloced, 2ULL);
	alloced = st.arrays_alloced;

	/* The grow takes the spare: no new allocation by the write. */
	hmap_kunit_fill(test, map, 2600, 3400, HMAP_NOEXIST);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.grows, 1ULL);
	KUNIT_EXPECT_EQ(test, st.B, 10U);
	KUNIT_EXPECT_EQ(test, st.arrays_alloced, alloced);

	/* B 10 -> 11 would come at 6656; stop at 5100, past 4992. */
	hmap_test_run_background(map);
	hmap_kunit_fill(test, map, 3400, 5100, HMAP_NOEXIST);
	for (waits = 0; waits < 250; waits++) {
		hmap_get_stats(map, &st);
		if (st.arrays_alloced == alloced + 1)
			break;
		msleep(20);
	}
	KUNIT_ASSERT_EQ(test, st.arrays_alloced, alloced + 1);

	/* No more writes: with the worker on, the spare goes after a second. */
	hmap_test_set_background(map, true);
	KUNIT_EXPECT_EQ(test, stats_wait_one_array(map), 1ULL);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.B, 10U);
}

/* Iterators started and not stopped are counted. */
static void hmap_stats_test_open_cursors(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 10, 0, false);
	struct hmap_iter a, b;
	struct hmap_stats st;

	KUNIT_ASSERT_EQ(test, hmap_iter_start(map, &a), 0);
	KUNIT_ASSERT_EQ(test, hmap_iter_start(map, &b), 0);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.open_cursors, 2ULL);
	hmap_iter_stop(&a);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.open_cursors, 1ULL);
	hmap_iter_stop(&b);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.open_cursors, 0ULL);
}

/* What the resize trace events saw. */
struct stats_trace_seen {
	const void *map;
	unsigned int starts, finishes;
	unsigned int kind, old_B, new_B;
	bool bad_finish;
};

static void stats_probe_start(void *data, const void *map, unsigned int kind,
			      unsigned int old_B, unsigned int new_B,
			      unsigned long entries)
{
	struct stats_trace_seen *seen = data;

	if (map != seen->map)
		return;
	seen->starts++;
	seen->kind = kind;
	seen->old_B = old_B;
	seen->new_B = new_B;
}

static void stats_probe_finish(void *data, const void *map, unsigned int kind,
			       unsigned int old_B, unsigned int new_B,
			       unsigned long entries, u64 duration_ns)
{
	struct stats_trace_seen *seen = data;

	if (map != seen->map)
		return;
	seen->finishes++;
	if (kind != seen->kind || old_B != seen->old_B || new_B != seen->new_B)
		seen->bad_finish = true;
}

/*
 * The probes saw @n resizes start and finish, the last one of @kind from
 * B @old_B to B @new_B.
 */
static void stats_expect_traced(struct kunit *test,
				const struct stats_trace_seen *seen,
				unsigned int n, unsigned int kind,
				unsigned int old_B, unsigned int new_B)
{
	KUNIT_EXPECT_EQ(test, seen->starts, n);
	KUNIT_EXPECT_EQ(test, seen->finishes, n);
	KUNIT_EXPECT_EQ(test, seen->kind, kind);
	KUNIT_EXPECT_EQ(test, seen->old_B, old_B);
	KUNIT_EXPECT_EQ(test, seen->new_B, new_B);
}

/* A grow from 1 bucket to 2 and a shrink back emit start and finish. */
static void hmap_stats_test_trace_events(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 100, 0, true);
	struct stats_trace_seen seen = { .map = map };
	u64 i;

	KUNIT_ASSERT_EQ(test,
			register_trace_hmap_resize_start(stats_probe_start,
							 &seen), 0);
	if (register_trace_hmap_resize_finish(stats_probe_finish, &seen)) {
		unregister_trace_hmap_resize_start(stats_probe_start, &seen);
		tracepoint_synchronize_unregister();
		KUNIT_FAIL_AND_ABORT(test, "cannot register the finish probe");
	}

	/* EXPECT, not ASSERT: the probes must be unregistered below. */
	for (i = 0; i < 9; i++)
		KUNIT_EXPECT_EQ(test,
				hmap_kunit_update(map, i, i, HMAP_NOEXIST), 0);
	hmap_test_run_background(map);
	stats_expect_traced(test, &seen, 1, HMAP_RESIZE_GROW, 0, 1);

	for (i = 0; i < 9; i++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_delete(map, i), 0);
	hmap_test_run_background(map);
	stats_expect_traced(test, &seen, 2, HMAP_RESIZE_SHRINK, 1, 0);
	KUNIT_EXPECT_FALSE(test, seen.bad_finish);

	unregister_trace_hmap_resize_finish(stats_probe_finish, &seen);
	unregister_trace_hmap_resize_start(stats_probe_start, &seen);
	tracepoint_synchronize_unregister();
}

/*
 * A spare array allocated while a resize is in progress, and the worker
 * (not a write) finishing that resize: the spare still goes once writes
 * have stopped for a second, as it does when a write finishes the resize.
 */
static void hmap_stats_test_spare_freed_after_worker_resize(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 100000, 0, true);
	struct hmap_stats st;
	u64 i;
	int waits;

	/*
	 * 3329 entries: the grow from B 9 to 10 starts, 512 buckets to go,
	 * in the array the 2496th insert had allocated ahead (waited for
	 * here: on a busy workqueue the work could run after the grow and
	 * allocate a spare of its own).
	 */
	for (i = 0; i < 3329; i++) {
		KUNIT_ASSERT_EQ(test,
				hmap_kunit_update(map, i, i, HMAP_NOEXIST), 0);
		if (i == 2495)
			hmap_flush_frees();
	}
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_GROW);
	KUNIT_ASSERT_EQ(test, st.B, 10U);
	hmap_flush_frees();
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.arrays_alloced - st.arrays_freed, 2ULL);

	/* The array of the grow after (B 11) allocated ahead, mid-resize. */
	mutex_lock(&map->work_lock);
	__hmap_test_prealloc(map);
	mutex_unlock(&map->work_lock);
	for (waits = 0; waits < 250; waits++) {
		hmap_get_stats(map, &st);
		if (st.arrays_alloced - st.arrays_freed == 3)
			break;
		msleep(20);
	}
	KUNIT_ASSERT_EQ(test, st.arrays_alloced - st.arrays_freed, 3ULL);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_GROW);

	/* The worker finishes the grow; then the spare must go. */
	hmap_test_set_background(map, true);
	KUNIT_EXPECT_EQ(test, stats_wait_one_array(map), 1ULL);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_EXPECT_EQ(test, st.B, 10U);
	KUNIT_EXPECT_GT(test, st.evacuated_by_background, 0ULL);
}

struct stats_lookup_ctx {
	struct hmap *map;
	u64 keys;
};

/* Look up keys that are there, until stopped. */
static int stats_lookup_thread(void *data)
{
	struct stats_lookup_ctx *ctx = data;
	u64 i = 0;

	while (!kthread_should_stop()) {
		hmap_kunit_lookup(ctx->map, i++ % ctx->keys);
		if (!(i & 255))
			cond_resched();
	}
	return 0;
}

/*
 * Counters read while lookups that all hit run on both CPUs are each
 * consistent: misses stays 0 and hits never exceeds lookups. (A misses
 * derived as lookups minus hits, two sums read one after the other, wraps
 * to 2^64 - 1 whenever a hit lands between them.)
 */
static void hmap_stats_test_consistent_under_lookups(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 1000, 0, true);
	struct stats_lookup_ctx ctx = { .map = map, .keys = 100 };
	struct task_struct *task[2];
	struct hmap_stats st;
	unsigned int bad = 0, reads, cpu;

	hmap_kunit_fill(test, map, 0, ctx.keys, HMAP_NOEXIST);
	for (cpu = 0; cpu < 2; cpu++) {
		task[cpu] = kthread_create(stats_lookup_thread, &ctx,
					   "hmap_lookup/%u", cpu);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task[cpu]));
		kthread_bind(task[cpu], cpu % num_online_cpus());
		wake_up_process(task[cpu]);
	}
	for (reads = 0; reads < 20000; reads++) {
		hmap_get_stats(map, &st);
		if (st.misses || st.hits > st.lookups ||
		    st.hits + st.misses != st.lookups)
			bad++;
		if (!(reads & 63))
			cond_resched();
	}
	for (cpu = 0; cpu < 2; cpu++)
		kthread_stop(task[cpu]);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0U,
			    "last: lookups %llu hits %llu misses %llu",
			    st.lookups, st.hits, st.misses);
	KUNIT_EXPECT_GT(test, st.hits, 0ULL);
	KUNIT_EXPECT_EQ(test, st.misses, 0ULL);
}

static struct kunit_case hmap_stats_cases[] = {
	KUNIT_CASE(hmap_stats_test_operation_counters),
	KUNIT_CASE(hmap_stats_test_grow_shrink_cycle),
	KUNIT_CASE(hmap_stats_test_histogram_counts_slots_chains),
	KUNIT_CASE(hmap_stats_test_spare_array),
	KUNIT_CASE(hmap_stats_test_open_cursors),
	KUNIT_CASE(hmap_stats_test_trace_events),
	KUNIT_CASE(hmap_stats_test_spare_freed_after_worker_resize),
	KUNIT_CASE(hmap_stats_test_consistent_under_lookups),
	{}
};

struct kunit_suite hmap_stats_suite = {
	.name = "hmap_stats",
	.test_cases = hmap_stats_cases,
};
