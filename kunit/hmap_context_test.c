// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: writers in any context. A map created with HMAP_F_ATOMIC is
 * written from a timer callback (softirq), from a hard-interrupt hrtimer
 * (HRTIMER_MODE_REL_HARD) and from process context with interrupts off,
 * alone and all three at once, through grows, same-size grows and shrinks;
 * then every key must hold the last value written to it, every deleted key
 * be gone, and the count be exact. Lockdep (on in the test kernels) checks
 * that the map's lock is safe against the interrupts that take it, and
 * might_sleep() that nothing under it sleeps: on a map whose writers slept
 * this suite splats "sleeping function called from invalid context".
 */

#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/timer.h>

#include "hmap_kunit.h"

/* Spread keys per writer, written in phases 1, 3 and 4 of the script. */
#define CTX_KEYS		1500
/* Phase 3 keeps one key in this many: well below the shrink load. */
#define CTX_KEEP		16
/* Phase 2: rounds of colliding keys, and keys per round. */
#define CTX_ROUNDS		256
#define CTX_COLLIDE		25
/*
 * Operations per timer firing or interrupts-off stretch, and per hrtimer
 * firing: a few, so that the hard interrupt never holds a CPU for long.
 */
#define CTX_BATCH		16
#define CTX_BATCH_HARDIRQ	4
/* Period of the hard-interrupt hrtimer. */
#define CTX_HRTIMER_NS		(200 * NSEC_PER_USEC)
/* Ids of one writer: its spread keys, then its colliding keys. */
#define CTX_IDS			(CTX_KEYS + CTX_ROUNDS * CTX_COLLIDE)

#define CTX_P1			CTX_KEYS
#define CTX_P2			(CTX_P1 + CTX_ROUNDS * 2 * CTX_COLLIDE)
#define CTX_P3			(CTX_P2 + CTX_KEYS)
#define CTX_STEPS		(CTX_P3 + CTX_KEYS / CTX_KEEP)

enum ctx_where { CTX_SOFTIRQ, CTX_HARDIRQ, CTX_IRQS_OFF };

/**
 * struct ctx_writer - one writer running the script in one context
 * @map: the map written.
 * @where: the context it writes from.
 * @base: its first id: writers own disjoint id ranges.
 * @step: the next step of the script.
 * @model: per spread key, the value it must hold, or -1 if absent.
 * @err: the first unexpected return, 0 if none.
 * @err_step: the step that returned it.
 * @wrong_context: a step ran outside @where.
 * @timer: drives a %CTX_SOFTIRQ writer.
 * @hrtimer: drives a %CTX_HARDIRQ writer.
 * @done: completed when the script ended or failed.
 */
struct ctx_writer {
	struct hmap *map;
	enum ctx_where where;
	u64 base;
	unsigned int step;
	s64 *model;
	int err;
	unsigned int err_step;
	bool wrong_context;
	struct timer_list timer;
	struct hrtimer hrtimer;
	struct completion done;
};

static u64 ctx_value(unsigned int gen, u64 id)
{
	return ((u64)gen << 40) | id;
}

/*
 * Colliding key @k of round @r: its hash has the round in the low bits, a
 * bucket of the writer's own (each writer's rounds fill their own
 * %CTX_ROUNDS buckets, at every size up to 2^16 buckets, so that one
 * writer's emptied overflow buckets are not another's to reuse), and @k
 * in the tag; its id is past the writer's spread keys.
 */
static struct hmap_kunit_key ctx_collide_key(struct ctx_writer *w,
					     unsigned int r, unsigned int k)
{
	u64 bucket = w->base / CTX_IDS * CTX_ROUNDS + r;

	return (struct hmap_kunit_key){
		.hash = bucket | ((u64)(k + 1) << 56),
		.id = w->base + CTX_KEYS + r * CTX_COLLIDE + k,
	};
}

static bool ctx_in_context(struct ctx_writer *w)
{
	switch (w->where) {
	case CTX_SOFTIRQ:
		return in_serving_softirq() && !in_hardirq();
	case CTX_HARDIRQ:
		return in_hardirq() && irqs_disabled();
	case CTX_IRQS_OFF:
		return !in_interrupt() && irqs_disabled();
	}
	return false;
}

/*
 * One step of the script. Phase 1 inserts the spread keys (grows); phase
 * 2, in each round, inserts %CTX_COLLIDE keys into one bucket and deletes
 * them again, which leaves (about three) emptied overflow buckets linked
 * until a same-size grow compacts them, over the rounds of all writers
 * some times as many as the array has buckets; phase 3 deletes all but one spread key in
 * %CTX_KEEP (shrinks); phase 4 updates those left.
 */
static int ctx_step(struct ctx_writer *w, unsigned int i)
{
	struct hmap_kunit_key key;
	u64 value;
	int err;

	if (i < CTX_P1) {
		value = ctx_value(1, i);
		err = hmap_kunit_update(w->map, w->base + i, value,
					HMAP_NOEXIST);
		if (!err)
			w->model[i] = value;
		return err;
	}
	if (i < CTX_P2) {
		unsigned int j = i - CTX_P1;
		unsigned int r = j / (2 * CTX_COLLIDE);
		unsigned int k = j % (2 * CTX_COLLIDE);

		if (k < CTX_COLLIDE) {
			key = ctx_collide_key(w, r, k);
			value = ctx_value(3, key.id);
			return hmap_update(w->map, &key, sizeof(key), &value,
					   sizeof(value), HMAP_NOEXIST);
		}
		key = ctx_collide_key(w, r, k - CTX_COLLIDE);
		return hmap_delete(w->map, &key, sizeof(key));
	}
	if (i < CTX_P3) {
		unsigned int j = i - CTX_P2;

		if (j % CTX_KEEP == 0)
			return 0;
		err = hmap_kunit_delete(w->map, w->base + j);
		if (!err)
			w->model[j] = -1;
		return err;
	}
	i = (i - CTX_P3) * CTX_KEEP;
	value = ctx_value(2, i);
	err = hmap_kunit_update(w->map, w->base + i, value, HMAP_EXIST);
	if (!err)
		w->model[i] = value;
	return err;
}

/* Run up to %CTX_BATCH steps; return whether the writer is finished. */
static bool ctx_run_batch(struct ctx_writer *w)
{
	unsigned int n, batch;
	int err;

	if (!ctx_in_context(w))
		w->wrong_context = true;
	batch = w->where == CTX_HARDIRQ ? CTX_BATCH_HARDIRQ : CTX_BATCH;
	for (n = 0; n < batch && w->step < CTX_STEPS; n++, w->step++) {
		err = ctx_step(w, w->step);
		if (err) {
			w->err = err;
			w->err_step = w->step;
			return true;
		}
	}
	return w->step == CTX_STEPS;
}

static void ctx_timer_fn(struct timer_list *t)
{
	struct ctx_writer *w = from_timer(w, t, timer);

	if (ctx_run_batch(w))
		complete(&w->done);
	else
		mod_timer(&w->timer, jiffies + 1);
}

static enum hrtimer_restart ctx_hrtimer_fn(struct hrtimer *t)
{
	struct ctx_writer *w = container_of(t, struct ctx_writer, hrtimer);

	if (ctx_run_batch(w)) {
		complete(&w->done);
		return HRTIMER_NORESTART;
	}
	hrtimer_forward_now(t, ns_to_ktime(CTX_HRTIMER_NS));
	return HRTIMER_RESTART;
}

static void ctx_writer_init(struct kunit *test, struct ctx_writer *w,
			    struct hmap *map, enum ctx_where where,
			    unsigned int index)
{
	unsigned int i;

	w->map = map;
	w->where = where;
	w->base = (u64)index * CTX_IDS;
	w->model = kunit_kcalloc(test, CTX_KEYS, sizeof(*w->model),
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w->model);
	for (i = 0; i < CTX_KEYS; i++)
		w->model[i] = -1;
	init_completion(&w->done);
	timer_setup(&w->timer, ctx_timer_fn, 0);
	hrtimer_init(&w->hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	w->hrtimer.function = ctx_hrtimer_fn;
}

/* Start an interrupt-driven writer; it runs until its script ends. */
static void ctx_writer_start(struct ctx_writer *w)
{
	if (w->where == CTX_SOFTIRQ)
		mod_timer(&w->timer, jiffies + 1);
	else if (w->where == CTX_HARDIRQ)
		hrtimer_start(&w->hrtimer, ns_to_ktime(CTX_HRTIMER_NS),
			      HRTIMER_MODE_REL_HARD);
}

/* The interrupts-off writer, in the test's own thread. */
static void ctx_writer_run_irqs_off(struct ctx_writer *w)
{
	unsigned long flags;
	bool finished;

	do {
		local_irq_save(flags);
		finished = ctx_run_batch(w);
		local_irq_restore(flags);
		cond_resched();
	} while (!finished);
	complete(&w->done);
}

/* Wait for a writer (two minutes at most), then stop its timers. */
static void ctx_writer_wait(struct kunit *test, struct ctx_writer *w)
{
	bool done = wait_for_completion_timeout(&w->done, 120 * HZ);

	hrtimer_cancel(&w->hrtimer);
	del_timer_sync(&w->timer);
	KUNIT_EXPECT_TRUE_MSG(test, done, "writer %d stuck at step %u",
			      w->where, w->step);
}

/* What a writer must have left: its keys, values, and nothing else. */
static unsigned long ctx_writer_check(struct kunit *test,
				      struct ctx_writer *w)
{
	unsigned long present = 0;
	struct hmap_kunit_key key;
	unsigned int i, r, k;
	u32 len;
	u64 v;

	KUNIT_EXPECT_EQ_MSG(test, w->err, 0, "writer %d, step %u", w->where,
			    w->err_step);
	KUNIT_EXPECT_FALSE_MSG(test, w->wrong_context,
			       "writer %d ran outside its context", w->where);
	KUNIT_EXPECT_EQ(test, w->step, CTX_STEPS);
	for (i = 0; i < CTX_KEYS; i++) {
		s64 got = hmap_kunit_lookup(w->map, w->base + i);

		KUNIT_EXPECT_EQ_MSG(test, got, w->model[i] >= 0 ? w->model[i] :
				    -ENOENT, "writer %d, key %u", w->where, i);
		present += w->model[i] >= 0;
	}
	for (r = 0; r < CTX_ROUNDS; r++) {
		for (k = 0; k < CTX_COLLIDE; k++) {
			key = ctx_collide_key(w, r, k);
			KUNIT_EXPECT_EQ(test, hmap_lookup(w->map, &key,
							  sizeof(key), &v,
							  &len), -ENOENT);
		}
	}
	return present;
}

/* An HMAP_F_ATOMIC map with chosen hashes and the worker running. */
static struct hmap *ctx_map_new(struct kunit *test)
{
	struct hmap_params p = {
		.key_size = sizeof(struct hmap_kunit_key),
		.value_size = sizeof(u64),
		.max_entries = 1U << 20,
		.flags = HMAP_F_ATOMIC,
	};
	struct hmap *map = hmap_create(&p);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	hmap_test_set_hash(map, hmap_kunit_hash);
	test->priv = map;
	return map;
}

static void ctx_exit(struct kunit *test)
{
	hmap_destroy(test->priv);
}

/*
 * Run a writer in each context of @where (one or several at once) on one
 * map, then check what each left, the count, and that the script went
 * through every kind of resize.
 */
static void ctx_run(struct kunit *test, const enum ctx_where *where,
		    unsigned int n)
{
	struct hmap *map = ctx_map_new(test);
	struct ctx_writer *irqs_off = NULL;
	unsigned long present = 0;
	struct ctx_writer *w;
	struct hmap_stats st;
	unsigned int i;
	u64 ns;

	w = kunit_kcalloc(test, n, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	for (i = 0; i < n; i++)
		ctx_writer_init(test, &w[i], map, where[i], i);
	ns = ktime_get_ns();
	for (i = 0; i < n; i++) {
		if (where[i] == CTX_IRQS_OFF)
			irqs_off = &w[i];
		else
			ctx_writer_start(&w[i]);
	}
	if (irqs_off)
		ctx_writer_run_irqs_off(irqs_off);
	for (i = 0; i < n; i++)
		ctx_writer_wait(test, &w[i]);
	ns = ktime_get_ns() - ns;

	for (i = 0; i < n; i++)
		present += ctx_writer_check(test, &w[i]);
	KUNIT_EXPECT_EQ(test, hmap_count(map), (u64)present);
	hmap_get_stats(map, &st);
	kunit_info(test, "%u writer(s), %u writes each, in %llu ms: %llu grows, %llu same-size, %llu shrinks, B %u, %llu overflow, %llu alloc failures\n",
		   n, CTX_STEPS, div_u64(ns, NSEC_PER_MSEC), st.grows,
		   st.same_size_grows, st.shrinks, st.B, st.noverflow,
		   st.alloc_failures);
	KUNIT_EXPECT_GE(test, st.grows, 1ULL);
	KUNIT_EXPECT_GE(test, st.same_size_grows, 1ULL);
	KUNIT_EXPECT_GE(test, st.shrinks, 1ULL);
}

static void hmap_context_test_softirq_writer_leaves_exact_contents(struct kunit *test)
{
	static const enum ctx_where where[] = { CTX_SOFTIRQ };

	ctx_run(test, where, ARRAY_SIZE(where));
}

static void hmap_context_test_hardirq_writer_leaves_exact_contents(struct kunit *test)
{
	static const enum ctx_where where[] = { CTX_HARDIRQ };

	ctx_run(test, where, ARRAY_SIZE(where));
}

static void hmap_context_test_irqs_off_writer_leaves_exact_contents(struct kunit *test)
{
	static const enum ctx_where where[] = { CTX_IRQS_OFF };

	ctx_run(test, where, ARRAY_SIZE(where));
}

/*
 * All three at once on one map: the hrtimer interrupts the other two
 * (on either CPU) while they may hold the map's lock, which lockdep
 * checks the irq-safety of.
 */
static void hmap_context_test_all_contexts_at_once_leave_exact_contents(struct kunit *test)
{
	static const enum ctx_where where[] = {
		CTX_SOFTIRQ, CTX_HARDIRQ, CTX_IRQS_OFF,
	};

	ctx_run(test, where, ARRAY_SIZE(where));
}

/*
 * Flags are checked: an unknown one is refused (hmap_params_valid() false,
 * hmap_create() -EINVAL); the known ones and none are accepted.
 */
static void hmap_context_test_flags_are_checked(struct kunit *test)
{
	struct hmap_params p = {
		.key_size = 8, .value_size = 8, .max_entries = 16,
		.flags = ~(u32)HMAP_F_ALL,
	};

	KUNIT_EXPECT_FALSE(test, hmap_params_valid(&p));
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(hmap_create(&p)), -EINVAL);
	p.flags = HMAP_F_ALL;
	KUNIT_EXPECT_TRUE(test, hmap_params_valid(&p));
	p.flags = 0;
	KUNIT_EXPECT_TRUE(test, hmap_params_valid(&p));
}

static struct kunit_case hmap_context_cases[] = {
	KUNIT_CASE(hmap_context_test_flags_are_checked),
	KUNIT_CASE(hmap_context_test_softirq_writer_leaves_exact_contents),
	KUNIT_CASE(hmap_context_test_hardirq_writer_leaves_exact_contents),
	KUNIT_CASE(hmap_context_test_irqs_off_writer_leaves_exact_contents),
	KUNIT_CASE(hmap_context_test_all_contexts_at_once_leave_exact_contents),
	{}
};

struct kunit_suite hmap_context_suite = {
	.name = "hmap_context",
	.exit = ctx_exit,
	.test_cases = hmap_context_cases,
};
