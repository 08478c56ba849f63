// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: writers in any context. A map created with HMAP_F_ATOMIC is
 * written from a timer callback (softirq), from a hard-interrupt hrtimer
 * (HRTIMER_MODE_REL_HARD) and from process context with interrupts off,
 * alone and all three at once, through grows, same-size grows and shrinks;
 * all three also update one shared range of keys, and once more with the
 * background worker off, so that every evacuation is a writer's, in
 * interrupt context; and two hard-interrupt and two softirq writers, one
 * of each pinned to each of two CPUs, so that interrupt-context writers
 * of one map really run at the same time. Then every key must hold the
 * last value written to it (a shared key: the last some writer wrote),
 * every deleted key be gone, and the count be exact. Meanwhile a reader
 * in a thread of its own looks up keys present throughout, with every
 * kind of evacuation going on beside it, and must never miss one or see a wrong value (a writer
 * that published an evacuation's marker before the entries it moved
 * would make it miss). Lockdep (on in the test kernels) checks
 * that the map's lock is safe against the interrupts that take it, and
 * might_sleep() that nothing under it sleeps: on a map whose writers slept
 * this suite splats "sleeping function called from invalid context".
 * PREEMPT_RT makes the map's spinlock a sleeping lock, which hard
 * interrupts and interrupts-off sections may not take: those cases skip
 * there (see the concurrency contract).
 *
 * Then what the writers' side promises around allocation: writers that may
 * sleep never take GFP_ATOMIC overflow buckets and allocate one bucket
 * array at a time, however many race to a resize; an atomic map's reserve
 * of overflow buckets is refilled; chains stop growing while a grow's
 * array is missing; and hmap_shrink_to_fit() fits or says it did not.
 */

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
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
/* Writers of one case at most. */
#define CTX_WRITERS		4
/*
 * Keys every writer updates (HMAP_ANY), one every %CTX_SHARED_EVERY steps,
 * with ids past the writers' ranges.
 */
#define CTX_SHARED		64
#define CTX_SHARED_EVERY	4
#define CTX_SHARED_BASE		(CTX_WRITERS * CTX_IDS)
/*
 * Keys present before the writers start and never written again, past
 * the shared ones: a reader looks them up all along and must never miss.
 */
#define CTX_STABLE		64
#define CTX_STABLE_BASE		(CTX_SHARED_BASE + CTX_SHARED)
/* All the writers of a case must be done by then (KUnit's limit: 300 s). */
#define CTX_DEADLINE		(90 * HZ)

#define CTX_P1			CTX_KEYS
#define CTX_P2			(CTX_P1 + CTX_ROUNDS * 2 * CTX_COLLIDE)
#define CTX_P3			(CTX_P2 + CTX_KEYS)
#define CTX_STEPS		(CTX_P3 + CTX_KEYS / CTX_KEEP)

enum ctx_where { CTX_SOFTIRQ, CTX_HARDIRQ, CTX_IRQS_OFF };

/**
 * struct ctx_writer - one writer running the script in one context
 * @map: the map written.
 * @where: the context it writes from.
 * @index: which writer of the case it is.
 * @base: its first id: writers own disjoint id ranges.
 * @step: the next step of the script.
 * @model: per spread key, the value it must hold, or -1 if absent.
 * @shared: per shared key, the last value this writer wrote, or -1.
 * @err: the first unexpected return, 0 if none.
 * @err_step: the step that returned it.
 * @wrong_context: a step ran outside @where.
 * @cpu: the CPU its timer is pinned to, or -1 for the one it is started
 *	on.
 * @wrong_cpu: a batch ran on another CPU than @cpu.
 * @timer: drives a %CTX_SOFTIRQ writer.
 * @hrtimer: drives a %CTX_HARDIRQ writer.
 * @done: completed when the script ended or failed.
 */
struct ctx_writer {
	struct hmap *map;
	enum ctx_where where;
	unsigned int index;
	u64 base;
	unsigned int step;
	s64 *model;
	s64 *shared;
	int err;
	unsigned int err_step;
	bool wrong_context;
	int cpu;
	bool wrong_cpu;
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

/*
 * Every %CTX_SHARED_EVERY steps, a writer also updates a shared key, which
 * the other writers update too: its value says which writer wrote it, at
 * which step.
 */
static int ctx_shared_step(struct ctx_writer *w, unsigned int i)
{
	unsigned int k = i / CTX_SHARED_EVERY % CTX_SHARED;
	u64 value = ctx_value(8 + w->index, i);
	int err;

	if (i % CTX_SHARED_EVERY)
		return 0;
	err = hmap_kunit_update(w->map, CTX_SHARED_BASE + k, value, HMAP_ANY);
	if (!err)
		w->shared[k] = value;
	return err;
}

/* Run up to %CTX_BATCH steps; return whether the writer is finished. */
static bool ctx_run_batch(struct ctx_writer *w)
{
	unsigned int n, batch;
	int err;

	if (!ctx_in_context(w))
		w->wrong_context = true;
	if (w->cpu >= 0 && w->cpu != smp_processor_id())
		w->wrong_cpu = true;
	batch = w->where == CTX_HARDIRQ ? CTX_BATCH_HARDIRQ : CTX_BATCH;
	for (n = 0; n < batch && w->step < CTX_STEPS; n++, w->step++) {
		err = ctx_step(w, w->step) ?: ctx_shared_step(w, w->step);
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
			    unsigned int index, int cpu)
{
	unsigned int i;

	w->map = map;
	w->where = where;
	w->index = index;
	w->cpu = cpu;
	w->base = (u64)index * CTX_IDS;
	w->model = kunit_kcalloc(test, CTX_KEYS, sizeof(*w->model),
				 GFP_KERNEL);
	w->shared = kunit_kcalloc(test, CTX_SHARED, sizeof(*w->shared),
				  GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w->model);
	KUNIT_ASSERT_NOT_NULL(test, w->shared);
	for (i = 0; i < CTX_KEYS; i++)
		w->model[i] = -1;
	for (i = 0; i < CTX_SHARED; i++)
		w->shared[i] = -1;
	init_completion(&w->done);
	/* A pinned one's re-arming keeps it on the CPU it runs on. */
	timer_setup(&w->timer, ctx_timer_fn, cpu >= 0 ? TIMER_PINNED : 0);
	hrtimer_init(&w->hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	w->hrtimer.function = ctx_hrtimer_fn;
}

/* Arm a hard-interrupt writer's hrtimer on this CPU (an IPI's target). */
static void ctx_hrtimer_start_here(void *arg)
{
	struct ctx_writer *w = arg;

	hrtimer_start(&w->hrtimer, ns_to_ktime(CTX_HRTIMER_NS),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

/*
 * Start an interrupt-driven writer, on @cpu if it has one; it runs until
 * its script ends. Return 0 or smp_call_function_single()'s error.
 */
static int ctx_writer_start(struct ctx_writer *w)
{
	if (w->where == CTX_SOFTIRQ && w->cpu >= 0) {
		w->timer.expires = jiffies + 1;
		add_timer_on(&w->timer, w->cpu);
	} else if (w->where == CTX_SOFTIRQ) {
		mod_timer(&w->timer, jiffies + 1);
	} else if (w->where == CTX_HARDIRQ && w->cpu >= 0) {
		return smp_call_function_single(w->cpu, ctx_hrtimer_start_here,
						w, 1);
	} else if (w->where == CTX_HARDIRQ) {
		hrtimer_start(&w->hrtimer, ns_to_ktime(CTX_HRTIMER_NS),
			      HRTIMER_MODE_REL_HARD);
	}
	return 0;
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

/*
 * Wait for a writer until @deadline (jiffies; one for all the writers of a
 * case), then stop its timers.
 */
static void ctx_writer_wait(struct kunit *test, struct ctx_writer *w,
			    unsigned long deadline)
{
	long left = time_after(deadline, jiffies) ? deadline - jiffies : 1;
	bool done = wait_for_completion_timeout(&w->done, left);

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
	KUNIT_EXPECT_FALSE_MSG(test, w->wrong_cpu,
			       "writer %d ran off CPU %d", w->where, w->cpu);
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

/*
 * The shared keys: each must hold the last value one of the @n writers
 * wrote to it. Return how many are present.
 */
static unsigned long ctx_shared_check(struct kunit *test,
				      struct ctx_writer *w, unsigned int n)
{
	unsigned long present = 0;
	unsigned int k, i;
	bool written, found;
	s64 got;

	for (k = 0; k < CTX_SHARED; k++) {
		got = hmap_kunit_lookup(w[0].map, CTX_SHARED_BASE + k);
		written = false;
		found = false;
		for (i = 0; i < n; i++) {
			written |= w[i].shared[k] >= 0;
			found |= w[i].shared[k] == got;
		}
		if (written)
			KUNIT_EXPECT_TRUE_MSG(test, found,
					      "shared key %u holds %lld", k,
					      got);
		else
			KUNIT_EXPECT_EQ(test, got, (s64)-ENOENT);
		present += written;
	}
	return present;
}

/*
 * An HMAP_F_ATOMIC map (or a map of @flags) with chosen hashes and the
 * worker running, destroyed when the case ends.
 */
static struct hmap *ctx_map_flags(struct kunit *test, u32 flags,
				  u32 capacity_hint)
{
	struct hmap_params p = {
		.key_size = sizeof(struct hmap_kunit_key),
		.value_size = sizeof(u64),
		.max_entries = 1U << 20,
		.capacity_hint = capacity_hint,
		.flags = flags,
	};
	struct hmap *map = hmap_create(&p);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	hmap_test_set_hash(map, hmap_kunit_hash);
	test->priv = map;
	return map;
}

static struct hmap *ctx_map_new(struct kunit *test)
{
	return ctx_map_flags(test, HMAP_F_ATOMIC, 0);
}

static void ctx_exit(struct kunit *test)
{
	hmap_destroy(test->priv);
}

/* Cases with a hard-interrupt or interrupts-off writer: not on RT. */
static void ctx_skip_on_rt(struct kunit *test)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT: the map's spinlock sleeps");
}

/**
 * struct ctx_reader - looks up the stable keys while the writers run
 * @map: the map.
 * @rounds: passes over the %CTX_STABLE keys.
 * @misses: lookups that did not find the key's value (its id).
 * @started: completed once it runs, so that it is stopped only after.
 */
struct ctx_reader {
	struct hmap *map;
	unsigned long rounds;
	unsigned long misses;
	struct completion started;
};

static int ctx_reader_fn(void *arg)
{
	struct ctx_reader *r = arg;
	unsigned int i;

	complete(&r->started);
	while (!kthread_should_stop()) {
		for (i = 0; i < CTX_STABLE; i++)
			if (hmap_kunit_lookup(r->map, CTX_STABLE_BASE + i) !=
			    CTX_STABLE_BASE + i)
				r->misses++;
		r->rounds++;
		cond_resched();
	}
	return 0;
}

/*
 * Run a writer in each context of @where (one or several at once) on one
 * map, with a reader of the stable keys beside them, then check what each
 * left, the count, and that the script went through every kind of
 * resize. Without the @background worker, every old bucket is evacuated
 * by the writers, so in their contexts.
 */
static void ctx_run(struct kunit *test, const enum ctx_where *where,
		    const int *cpus, unsigned int n, bool background)
{
	struct hmap *map = ctx_map_new(test);
	unsigned long deadline = jiffies + CTX_DEADLINE;
	struct ctx_writer *irqs_off = NULL;
	unsigned long present = CTX_STABLE;
	struct task_struct *reader;
	struct ctx_reader *r;
	struct ctx_writer *w;
	struct hmap_stats st;
	unsigned int i;
	u64 ns;

	for (i = 0; i < n; i++)
		if (where[i] != CTX_SOFTIRQ)
			ctx_skip_on_rt(test);
	if (!background)
		hmap_test_set_background(map, false);
	w = kunit_kcalloc(test, n, sizeof(*w), GFP_KERNEL);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_LE(test, n, CTX_WRITERS);
	for (i = 0; i < n; i++)
		ctx_writer_init(test, &w[i], map, where[i], i,
				cpus ? cpus[i] : -1);
	hmap_kunit_fill(test, map, CTX_STABLE_BASE,
			CTX_STABLE_BASE + CTX_STABLE, HMAP_NOEXIST);
	r->map = map;
	init_completion(&r->started);
	reader = kthread_run(ctx_reader_fn, r, "hmap_ctx_reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(reader));
	wait_for_completion(&r->started);
	ns = ktime_get_ns();
	/* A pinned writer's CPU is online while its timer is armed here. */
	cpus_read_lock();
	for (i = 0; i < n; i++) {
		if (where[i] == CTX_IRQS_OFF) {
			irqs_off = &w[i];
		} else if (w[i].cpu >= 0 && !cpu_online(w[i].cpu)) {
			KUNIT_FAIL(test, "CPU %d went offline", w[i].cpu);
			complete(&w[i].done);
		} else {
			KUNIT_EXPECT_EQ(test, ctx_writer_start(&w[i]), 0);
		}
	}
	cpus_read_unlock();
	if (irqs_off)
		ctx_writer_run_irqs_off(irqs_off);
	for (i = 0; i < n; i++)
		ctx_writer_wait(test, &w[i], deadline);
	ns = ktime_get_ns() - ns;
	kthread_stop(reader);
	KUNIT_EXPECT_EQ(test, r->misses, 0UL);
	KUNIT_EXPECT_GT(test, r->rounds, 0UL);
	for (i = 0; i < CTX_STABLE; i++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, CTX_STABLE_BASE + i),
				(s64)(CTX_STABLE_BASE + i));

	for (i = 0; i < n; i++)
		present += ctx_writer_check(test, &w[i]);
	present += ctx_shared_check(test, w, n);
	KUNIT_EXPECT_EQ(test, hmap_count(map), (u64)present);
	hmap_get_stats(map, &st);
	kunit_info(test, "%u writer(s), %u writes each, in %llu ms: %llu grows, %llu same-size, %llu shrinks, B %u, %llu overflow, %llu alloc failures; buckets evacuated by writers %llu, by the worker %llu; reader %lu rounds\n",
		   n, CTX_STEPS, div_u64(ns, NSEC_PER_MSEC), st.grows,
		   st.same_size_grows, st.shrinks, st.B, st.noverflow,
		   st.alloc_failures, st.evacuated_by_writers,
		   st.evacuated_by_background, r->rounds);
	KUNIT_EXPECT_GE(test, st.grows, 1ULL);
	KUNIT_EXPECT_GE(test, st.same_size_grows, 1ULL);
	KUNIT_EXPECT_GE(test, st.shrinks, 1ULL);
	/*
	 * With the worker on, it may end every resize between two writes (a
	 * softirq writer writes once a tick): the writers' share is asserted
	 * only with the worker off.
	 */
	if (!background) {
		KUNIT_EXPECT_GT(test, st.evacuated_by_writers, 0ULL);
		KUNIT_EXPECT_EQ(test, st.evacuated_by_background, 0ULL);
	}
}

static void hmap_context_test_softirq_writer_leaves_exact_contents(struct kunit *test)
{
	static const enum ctx_where where[] = { CTX_SOFTIRQ };

	ctx_run(test, where, NULL, ARRAY_SIZE(where), true);
}

static void hmap_context_test_hardirq_writer_leaves_exact_contents(struct kunit *test)
{
	static const enum ctx_where where[] = { CTX_HARDIRQ };

	ctx_run(test, where, NULL, ARRAY_SIZE(where), true);
}

static void hmap_context_test_irqs_off_writer_leaves_exact_contents(struct kunit *test)
{
	static const enum ctx_where where[] = { CTX_IRQS_OFF };

	ctx_run(test, where, NULL, ARRAY_SIZE(where), true);
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

	ctx_run(test, where, NULL, ARRAY_SIZE(where), true);
}

/*
 * Interrupt-context writers really at once: a hard-interrupt and a
 * softirq writer pinned to each of two CPUs, on one map, through its
 * grows, same-size grows and shrinks (the cases above start their timers
 * on one CPU, where they mostly take turns). The test guests have two
 * CPUs; with one online the case cannot be what it says, and fails.
 */
static void hmap_context_test_interrupt_writers_on_two_cpus(struct kunit *test)
{
	static const enum ctx_where where[] = {
		CTX_HARDIRQ, CTX_HARDIRQ, CTX_SOFTIRQ, CTX_SOFTIRQ,
	};
	int cpus[ARRAY_SIZE(where)];

	KUNIT_ASSERT_GE_MSG(test, num_online_cpus(), 2U,
			    "two CPUs are needed");
	cpus[0] = cpumask_first(cpu_online_mask);
	cpus[1] = cpumask_next(cpus[0], cpu_online_mask);
	cpus[2] = cpus[0];
	cpus[3] = cpus[1];
	ctx_run(test, where, cpus, ARRAY_SIZE(where), true);
}

/*
 * The same without the background worker: every resize is evacuated by
 * the writers, in softirq, hardirq and with interrupts off (the arrays
 * still come from @prealloc_work, in process context).
 */
static void hmap_context_test_all_contexts_evacuate_without_worker(struct kunit *test)
{
	static const enum ctx_where where[] = {
		CTX_SOFTIRQ, CTX_HARDIRQ, CTX_IRQS_OFF,
	};

	ctx_run(test, where, NULL, ARRAY_SIZE(where), false);
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

/* ---- Allocation on the writers' side ---- */

/**
 * struct ctx_alloc - what the allocation hook saw, and what it fails
 * @atomic: overflow buckets asked for with flags that may not sleep.
 * @sleeping: overflow buckets asked for with flags that may.
 * @arrays: bucket arrays asked for.
 * @fail_sleeping: fail the overflow buckets that may sleep.
 * @fail_atomic: fail the overflow buckets that may not.
 * @fail_arrays: fail every bucket array.
 * @fail_below: fail the bucket arrays of fewer than 2^@fail_below buckets.
 * @block_first: the first array waits for @release.
 * @timed_out: it waited for @release in vain (30 s).
 * @entered: completed when the first array is asked for.
 * @release: lets it go on.
 * @task: the thread whose array allocations @shrink acts on, and whose
 *	overflow buckets @steal acts on.
 * @shrink: hmap_shrink_to_fit()'s case: deletes keys from inside it.
 * @steal: before each overflow bucket @task allocates with GFP_KERNEL,
 *	take the map's reserve away (as other writers could): onto @stolen.
 * @stolen: the buckets taken, linked through their overflow pointers.
 * @fill_atomic: at the next overflow bucket allocated with GFP_ATOMIC,
 *	add one to the map's count (as a writer of another stripe would
 *	between the write's take of the bucket and its count), once.
 * @kill: at the next array @task asks for, send @task a SIGKILL (it is
 *	killed while it allocates), once.
 */
struct ctx_alloc {
	atomic_t atomic;
	atomic_t sleeping;
	atomic_t arrays;
	bool fail_sleeping;
	bool fail_atomic;
	bool fail_arrays;
	unsigned int fail_below;
	bool block_first;
	bool timed_out;
	struct completion entered;
	struct completion release;
	struct task_struct *task;
	struct ctx_shrink *shrink;
	bool steal;
	struct hmap_bucket *stolen;
	bool fill_atomic;
	bool kill;
};

/**
 * struct ctx_shrink - moves the count under hmap_shrink_to_fit()
 * @map: the map.
 * @count: the keys (ids 0 .. @count - 1) present.
 * @moves: how many more times an array allocation halves them.
 * @nested: a delete's own allocation, inside the hook: failed.
 */
struct ctx_shrink {
	struct hmap *map;
	unsigned int count;
	unsigned int moves;
	bool nested;
};

/*
 * Take the map's reserve of overflow buckets away onto @a->stolen, as
 * writers of other stripes may between a write's refill and its retry.
 */
static void ctx_steal_reserve(struct hmap *map, struct ctx_alloc *a)
{
	struct hmap_bucket *b;
	unsigned long flags;

	spin_lock_irqsave(&map->lock, flags);
	while ((b = map->reserve)) {
		map->reserve = rcu_dereference_protected(b->overflow, 1);
		WRITE_ONCE(map->nreserve, map->nreserve - 1);
		RCU_INIT_POINTER(b->overflow, a->stolen);
		a->stolen = b;
	}
	spin_unlock_irqrestore(&map->lock, flags);
}

/* Give the stolen buckets back to the reserve, which the map frees. */
static void ctx_return_reserve(struct hmap *map, struct ctx_alloc *a)
{
	struct hmap_bucket *b;
	unsigned long flags;

	spin_lock_irqsave(&map->lock, flags);
	while ((b = a->stolen)) {
		a->stolen = rcu_dereference_protected(b->overflow, 1);
		RCU_INIT_POINTER(b->overflow, map->reserve);
		map->reserve = b;
		WRITE_ONCE(map->nreserve, map->nreserve + 1);
	}
	spin_unlock_irqrestore(&map->lock, flags);
}

static bool ctx_alloc_hook(struct hmap *map, enum hmap_test_alloc what,
			   unsigned int bits, gfp_t gfp, void *arg)
{
	struct ctx_alloc *a = arg;
	struct ctx_shrink *sh = a->shrink;

	if (what == HMAP_TEST_ALLOC_OVERFLOW) {
		if (!gfpflags_allow_blocking(gfp)) {
			atomic_inc(&a->atomic);
			if (READ_ONCE(a->fill_atomic)) {
				WRITE_ONCE(a->fill_atomic, false);
				atomic_long_inc(&map->count);
			}
			return READ_ONCE(a->fail_atomic);
		}
		atomic_inc(&a->sleeping);
		if (READ_ONCE(a->steal) && current == a->task)
			ctx_steal_reserve(map, a);
		return READ_ONCE(a->fail_sleeping);
	}
	if (READ_ONCE(a->kill) && current == READ_ONCE(a->task)) {
		WRITE_ONCE(a->kill, false);
		send_sig(SIGKILL, current, 1);
	}
	if (atomic_inc_return(&a->arrays) == 1 && a->block_first) {
		complete(&a->entered);
		if (!wait_for_completion_timeout(&a->release, 30 * HZ))
			a->timed_out = true;
	}
	if (bits < a->fail_below)
		return true;
	if (sh) {
		/* Only the shrink's own, and not the deletes' inside it. */
		if (current != a->task || sh->nested)
			return true;
		if (sh->moves) {
			unsigned int half = sh->count / 2;

			sh->moves--;
			sh->nested = true;
			while (sh->count > half &&
			       !hmap_kunit_delete(map, sh->count - 1))
				sh->count--;
			sh->nested = false;
		}
		return false;
	}
	return READ_ONCE(a->fail_arrays);
}

/*
 * The hook's state. Allocated before the map it is set on, so that KUnit
 * frees it after the map is destroyed (resources go in reverse order,
 * and a map of ctx_map_flags() goes in the suite's exit, before any): the
 * map's works, which may call the hook, never run past it.
 */
static struct ctx_alloc *ctx_alloc_new(struct kunit *test)
{
	struct ctx_alloc *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, a);
	init_completion(&a->entered);
	init_completion(&a->release);
	a->task = current;
	return a;
}

/* A key of bucket @bucket (of any array of at least 2^4 buckets), id @id. */
static struct hmap_kunit_key ctx_bucket_key(u64 bucket, u64 id)
{
	return (struct hmap_kunit_key){
		.hash = bucket | ((id * 37 % 251) << 56),
		.id = id,
	};
}

static int ctx_bucket_update(struct hmap *map, u64 bucket, u64 id)
{
	struct hmap_kunit_key key = ctx_bucket_key(bucket, id);

	return hmap_update(map, &key, sizeof(key), &id, sizeof(id), HMAP_ANY);
}

/*
 * A map whose writers may sleep (no HMAP_F_ATOMIC) takes no overflow
 * bucket with GFP_ATOMIC, neither its writers nor its worker: keys in 16
 * buckets make chains of dozens of overflow buckets, which every grow
 * evacuates whole, more than the reserve holds. When the GFP_KERNEL
 * ones fail, the write fails with -ENOMEM and changes nothing.
 */
static void hmap_context_test_sleeping_writers_take_no_atomic_buckets(struct kunit *test)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap *map = hmap_kunit_map(test, 1U << 16, 0, true);
	struct hmap_kunit_key key;
	unsigned int i;
	u64 count, v;
	int err = 0;
	u32 len;

	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	for (i = 0; i < 3000; i++)
		KUNIT_ASSERT_EQ_MSG(test, ctx_bucket_update(map, i % 16, i), 0,
				    "key %u", i);
	hmap_test_run_background(map);
	for (i = 0; i < 3000; i++) {
		key = ctx_bucket_key(i % 16, i);
		KUNIT_EXPECT_EQ(test, hmap_lookup(map, &key, sizeof(key), &v,
						  &len), 0);
	}
	KUNIT_EXPECT_GT(test, atomic_read(&a->sleeping), 100);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->atomic), 0);
	/* What the long chains' evacuations needed is not kept after. */
	KUNIT_EXPECT_LE(test, hmap_test_reserve(map),
			(unsigned int)HMAP_RESERVE);

	/*
	 * Bucket 17, a new chain: the reserve (and what refills left on
	 * it) runs out within 75 overflow buckets.
	 */
	WRITE_ONCE(a->fail_sleeping, true);
	count = hmap_count(map);
	for (i = 3000; i < 3600 && !err; i++) {
		err = ctx_bucket_update(map, 17, i);
		if (!err)
			count++;
	}
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	KUNIT_EXPECT_EQ(test, hmap_count(map), count);
	key = ctx_bucket_key(17, i - 1);
	KUNIT_EXPECT_EQ(test, hmap_lookup(map, &key, sizeof(key), &v, &len),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->atomic), 0);
	WRITE_ONCE(a->fail_sleeping, false);
}

/**
 * struct ctx_herd - a writer in a thread of its own
 * @map: the map.
 * @id: the spread key it inserts.
 * @err: what hmap_update() returned.
 * @done: completed when it returned.
 */
struct ctx_herd {
	struct hmap *map;
	u64 id;
	int err;
	struct completion done;
};

static int ctx_herd_thread(void *arg)
{
	struct ctx_herd *h = arg;

	h->err = hmap_kunit_update(h->map, h->id, h->id, HMAP_NOEXIST);
	complete(&h->done);
	return 0;
}

/*
 * Writers that may sleep and race to a grow allocate one array, not one
 * each: while the first is in the allocator (held there by the hook),
 * another writer that finds the grow due inserts into an overflow chain
 * and allocates nothing.
 */
static void hmap_context_test_one_array_in_flight(struct kunit *test)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap *map = hmap_kunit_map(test, 1000, 0, true);
	struct task_struct *task;
	struct ctx_herd *h;
	unsigned int i;
	bool entered;

	h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	hmap_test_set_background(map, false);
	/* 8 entries in the one bucket: the ninth insert is due to grow. */
	hmap_kunit_fill(test, map, 0, 8, HMAP_NOEXIST);
	a->block_first = true;
	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	h->map = map;
	h->id = 8;
	init_completion(&h->done);
	task = kthread_run(ctx_herd_thread, h, "hmap_herd");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	entered = wait_for_completion_timeout(&a->entered, 10 * HZ);
	if (entered)
		for (i = 9; i < 20; i++)
			KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, i, i,
								HMAP_NOEXIST),
					0);
	/* Only the first writer's array was asked for. */
	KUNIT_EXPECT_EQ(test, atomic_read(&a->arrays), 1);
	complete(&a->release);
	wait_for_completion(&h->done);
	KUNIT_ASSERT_TRUE(test, entered);
	KUNIT_EXPECT_EQ(test, h->err, 0);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 20ULL);
	for (i = 0; i < 20; i++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, i), (s64)i);
}

/*
 * An HMAP_F_ATOMIC map's writers take overflow buckets from its reserve,
 * and the reserve is refilled behind them (by @prealloc_work, with
 * GFP_KERNEL), not only when the worker happens to run: here it is off
 * and no resize is due.
 */
static void hmap_context_test_atomic_reserve_is_refilled(struct kunit *test)
{
	struct hmap *map = ctx_map_flags(test, HMAP_F_ATOMIC, 1000);
	unsigned long flags;
	unsigned int i;
	int err = 0;

	ctx_skip_on_rt(test);
	hmap_test_set_background(map, false);
	/* One chain of 56 entries: 6 overflow buckets, far from a resize. */
	for (i = 0; i < 56 && !err; i++) {
		local_irq_save(flags);
		err = ctx_bucket_update(map, 0, i);
		local_irq_restore(flags);
	}
	KUNIT_ASSERT_EQ(test, err, 0);
	hmap_flush_frees();
	/* Refilled to HMAP_RESERVE whenever it fell below half. */
	KUNIT_EXPECT_GE(test, hmap_test_reserve(map),
			(unsigned int)HMAP_RESERVE / 2);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 56ULL);
}

/*
 * Once the array of a due grow could not be had, inserts go on into
 * overflow chains up to 2^HMAP_NOARRAY_SLACK times the grow's load, then
 * fail with -ENOMEM, for an atomic map and for one whose writers may
 * sleep (which try an array of their own first); once arrays can be had,
 * the map grows and inserts succeed again. (An allocation merely late,
 * which @prealloc_work has not run yet for, caps nothing: the hardirq
 * writer above inserts dozens of keys before it runs.)
 */
/* B 0: 6.5 entries per bucket, times 2^3. */
#define CTX_NOARRAY_CAP	(HMAP_LOAD_NUM << HMAP_NOARRAY_SLACK >> 1)

/*
 * Fail every array of @map (with @a's hook, left set) and insert keys 0,
 * 1, ... until one fails, 1000 at most. Return that insert's error.
 */
static int ctx_fill_without_arrays(struct hmap *map, struct ctx_alloc *a)
{
	unsigned int i;
	int err = 0;

	WRITE_ONCE(a->fail_arrays, true);
	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	/*
	 * The ninth is due to grow, and its array fails (for an atomic
	 * map, once @prealloc_work ran).
	 */
	for (i = 0; i < 9 && !err; i++)
		err = hmap_kunit_update(map, i, i, HMAP_NOEXIST);
	hmap_flush_frees();
	for (; i < 1000 && !err; i++)
		err = hmap_kunit_update(map, i, i, HMAP_NOEXIST);
	return err;
}

static void ctx_noarray_cap(struct kunit *test, u32 flags)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap *map = ctx_map_flags(test, flags, 0);
	const unsigned int cap = CTX_NOARRAY_CAP;
	struct hmap_stats st;
	unsigned int i;
	int err;

	err = ctx_fill_without_arrays(map, a);
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	KUNIT_EXPECT_EQ(test, hmap_count(map), (u64)cap);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.B, 0U);
	KUNIT_EXPECT_EQ(test, st.grows, 0ULL);

	WRITE_ONCE(a->fail_arrays, false);
	/* Past the hold-off after the last failure: no write asks before. */
	msleep(jiffies_to_msecs(HMAP_BG_RETRY) + 20);
	for (i = cap; i < 1000; i++) {
		err = hmap_kunit_update(map, i, i, HMAP_NOEXIST);
		if (err == -ENOMEM && (flags & HMAP_F_ATOMIC)) {
			/* The array is on its way: let @prealloc_work run. */
			hmap_flush_frees();
			err = hmap_kunit_update(map, i, i, HMAP_NOEXIST);
		}
		KUNIT_ASSERT_EQ_MSG(test, err, 0, "key %u", i);
	}
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_GE(test, st.grows, 1ULL);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 1000ULL);
}

static void hmap_context_test_chains_capped_without_array_atomic(struct kunit *test)
{
	ctx_noarray_cap(test, HMAP_F_ATOMIC);
}

static void hmap_context_test_chains_capped_without_array_sleeping(struct kunit *test)
{
	ctx_noarray_cap(test, 0);
}

/*
 * hmap_shrink_to_fit() of a map above its load: filled to the cap at B 0
 * while every array fails (as above), then fitted with arrays working
 * again and the worker off. It grows, one doubling a resize, to the
 * smallest B whose load holds the count (52 entries: 2^3 buckets), with no
 * resize left in progress and every key found; it used to rebuild the
 * chains at B 0 (a same-size grow) and return 0.
 */
/*
 * @map, filled by ctx_fill_without_arrays() and fitted since, holds its
 * keys at 2^3 buckets, grown there one doubling a resize, with no resize
 * in progress.
 */
static void ctx_expect_fitted(struct kunit *test, struct hmap *map)
{
	struct hmap_stats st;
	unsigned int i;

	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.count, (u64)CTX_NOARRAY_CAP);
	KUNIT_EXPECT_EQ(test, st.B, 3U);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_EXPECT_EQ(test, st.grows, 3ULL);
	KUNIT_EXPECT_EQ(test, st.same_size_grows, 0ULL);
	for (i = 0; i < CTX_NOARRAY_CAP; i++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, i), (s64)i);
}

static void ctx_fit_above_load(struct kunit *test, u32 flags)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap *map = ctx_map_flags(test, flags, 0);
	const unsigned int cap = CTX_NOARRAY_CAP;
	struct hmap_stats st;

	hmap_test_set_background(map, false);
	KUNIT_ASSERT_EQ(test, ctx_fill_without_arrays(map, a), -ENOMEM);
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.count, (u64)cap);
	KUNIT_ASSERT_EQ(test, st.B, 0U);

	WRITE_ONCE(a->fail_arrays, false);
	KUNIT_EXPECT_EQ(test, hmap_shrink_to_fit(map), 0);
	hmap_test_set_alloc(map, NULL, NULL);
	ctx_expect_fitted(test, map);

	/* Fitted, nothing written since: a second call starts no resize. */
	hmap_kunit_expect_fit_again(test, map);
}

static void hmap_context_test_fit_above_load_atomic(struct kunit *test)
{
	ctx_fit_above_load(test, HMAP_F_ATOMIC);
}

static void hmap_context_test_fit_above_load_sleeping(struct kunit *test)
{
	ctx_fit_above_load(test, 0);
}

/**
 * struct ctx_killed - a thread that calls hmap_shrink_to_fit() and is killed
 * @map: the map.
 * @a: the allocation hook's state: the thread makes itself its @task.
 * @at_start: send the SIGKILL before the call (else @a->kill sends it).
 * @err: what the call returned.
 * @pending: a fatal signal was pending after it.
 * @done: the call returned.
 */
struct ctx_killed {
	struct hmap *map;
	struct ctx_alloc *a;
	bool at_start;
	int err;
	bool pending;
	struct completion done;
};

static int ctx_killed_fit(void *arg)
{
	struct ctx_killed *k = arg;

	/* A kernel thread ignores signals unless it allows them. */
	allow_signal(SIGKILL);
	WRITE_ONCE(k->a->task, current);
	if (k->at_start)
		send_sig(SIGKILL, current, 1);
	k->err = hmap_shrink_to_fit(k->map);
	k->pending = fatal_signal_pending(current);
	complete(&k->done);
	return 0;
}

/*
 * hmap_shrink_to_fit() by a task being killed returns -EINTR and leaves
 * the map as correct as ever: killed while another holds the map's work
 * mutex (@hold: the wait for it ends), or while it allocates the array of
 * its grow (a map above its load, as in ctx_fit_above_load(); it then
 * evacuates nothing). Every key is still found, and a later call from a
 * live task fits the map.
 */
static void ctx_fit_killed(struct kunit *test, bool hold)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap *map = ctx_map_flags(test, 0, 0);
	const unsigned int cap = CTX_NOARRAY_CAP;
	struct task_struct *task;
	struct ctx_killed *k;
	struct hmap_stats st;
	bool done;
	unsigned int i;

	k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, k);
	init_completion(&k->done);
	k->map = map;
	k->a = a;
	k->at_start = hold;
	k->err = 1;
	hmap_test_set_background(map, false);
	KUNIT_ASSERT_EQ(test, ctx_fill_without_arrays(map, a), -ENOMEM);
	WRITE_ONCE(a->fail_arrays, false);
	WRITE_ONCE(a->kill, !hold);

	if (hold)
		mutex_lock(&map->work_lock);
	task = kthread_run(ctx_killed_fit, k, "hmap_killed_fit");
	if (IS_ERR(task)) {
		if (hold)
			mutex_unlock(&map->work_lock);
		KUNIT_FAIL_AND_ABORT(test, "kthread_run: %ld", PTR_ERR(task));
	}
	done = wait_for_completion_timeout(&k->done, 30 * HZ);
	if (hold)
		mutex_unlock(&map->work_lock);
	if (!done)
		wait_for_completion(&k->done);
	WRITE_ONCE(a->task, current);
	KUNIT_EXPECT_TRUE(test, done);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(a->kill));
	KUNIT_EXPECT_TRUE(test, k->pending);
	KUNIT_EXPECT_EQ(test, k->err, -EINTR);

	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.count, (u64)cap);
	KUNIT_EXPECT_EQ(test, st.B, 0U);
	KUNIT_EXPECT_EQ(test, st.grows, 0ULL);
	for (i = 0; i < cap; i++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, i), (s64)i);

	KUNIT_EXPECT_EQ(test, hmap_shrink_to_fit(map), 0);
	hmap_test_set_alloc(map, NULL, NULL);
	ctx_expect_fitted(test, map);
}

static void hmap_context_test_fit_killed_waiting(struct kunit *test)
{
	ctx_fit_killed(test, true);
}

static void hmap_context_test_fit_killed_allocating(struct kunit *test)
{
	ctx_fit_killed(test, false);
}

/*
 * hmap_shrink_to_fit() against a count that moves while it allocates
 * (the hook deletes half the keys from inside its allocation, @moves
 * times): it fits the count in the end, or returns -EAGAIN; it never
 * returns 0 unfitted. 1000 keys make B 8; 800 fit in B 7, 400 in 6, 200
 * in 5, 100 in 4, 50 in 3.
 */
static void ctx_shrink_moving(struct kunit *test, unsigned int moves,
			      int want_err, u32 want_B)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap *map = hmap_kunit_map(test, 2000, 0, true);
	struct ctx_shrink *sh;
	struct hmap_stats st;
	unsigned int i;
	int err;

	sh = kunit_kzalloc(test, sizeof(*sh), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sh);
	hmap_kunit_fill(test, map, 0, 1000, HMAP_NOEXIST);
	hmap_test_run_background(map);
	for (i = 999; i >= 800; i--)
		KUNIT_ASSERT_EQ(test, hmap_kunit_delete(map, i), 0);
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.B, 8U);

	sh->map = map;
	sh->count = 800;
	sh->moves = moves;
	a->shrink = sh;
	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	hmap_test_set_background(map, false);
	err = hmap_shrink_to_fit(map);
	hmap_test_set_alloc(map, NULL, NULL);
	hmap_flush_frees();
	hmap_get_stats(map, &st);
	kunit_info(test, "%u moves: %d, count %llu, B %u\n", moves, err,
		   st.count, st.B);
	KUNIT_EXPECT_EQ(test, err, want_err);
	if (!err)
		KUNIT_EXPECT_EQ(test, st.B, want_B);
	KUNIT_EXPECT_EQ(test, st.count, (u64)sh->count);
	for (i = 0; i < 1000; i++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, i),
				i < sh->count ? (s64)i : (s64)-ENOENT);
	/* Left alone, it fits. */
	KUNIT_EXPECT_EQ(test, hmap_shrink_to_fit(map), 0);
}

static void hmap_context_test_shrink_to_fit_follows_count(struct kunit *test)
{
	ctx_shrink_moving(test, 3, 0, 4);
}

static void hmap_context_test_shrink_to_fit_gives_up(struct kunit *test)
{
	ctx_shrink_moving(test, 4, -EAGAIN, 0);
}

/*
 * Past the cap, writers that may sleep share one array allocation: while
 * the first is in the allocator (held there by the hook), a second that
 * finds the same grow due waits for it instead of allocating its own,
 * then uses the array it brought (@array_fails false: both inserts
 * succeed) or fails with it (true: both -ENOMEM, and the second tries
 * no allocation of its own).
 */
static void ctx_capped_herd(struct kunit *test, bool array_fails)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap *map = hmap_kunit_map(test, 1000, 0, true);
	/* B 0: 6.5 entries per bucket, times 2^3. */
	const unsigned int cap = HMAP_LOAD_NUM << HMAP_NOARRAY_SLACK >> 1;
	struct task_struct *task[2] = {};
	struct ctx_herd *h;
	unsigned int i, k;
	bool entered;
	int want;

	h = kunit_kcalloc(test, 2, sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	WRITE_ONCE(a->fail_arrays, true);
	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	for (i = 0; i < cap; i++)
		KUNIT_ASSERT_EQ_MSG(test, hmap_kunit_update(map, i, i,
							    HMAP_NOEXIST),
				    0, "key %u", i);
	KUNIT_ASSERT_EQ(test, hmap_kunit_update(map, cap, cap, HMAP_NOEXIST),
			-ENOMEM);
	/* Past the hold-off after that failure. */
	msleep(jiffies_to_msecs(HMAP_BG_RETRY) + 20);

	atomic_set(&a->arrays, 0);
	a->block_first = true;
	WRITE_ONCE(a->fail_arrays, array_fails);
	for (k = 0; k < 2; k++) {
		h[k].map = map;
		h[k].id = cap + k;
		init_completion(&h[k].done);
	}
	task[0] = kthread_run(ctx_herd_thread, &h[0], "hmap_capped");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task[0]));
	entered = wait_for_completion_timeout(&a->entered, 10 * HZ);
	if (entered) {
		task[1] = kthread_run(ctx_herd_thread, &h[1], "hmap_capped");
		/* Time to find the first one's allocation in flight. */
		msleep(100);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&a->arrays), 1);
	complete(&a->release);
	wait_for_completion(&h[0].done);
	if (!IS_ERR_OR_NULL(task[1]))
		wait_for_completion(&h[1].done);
	KUNIT_ASSERT_TRUE(test, entered);
	KUNIT_ASSERT_FALSE(test, IS_ERR(task[1]));
	/* The second allocated nothing of its own, before or after. */
	KUNIT_EXPECT_EQ(test, atomic_read(&a->arrays), 1);
	want = array_fails ? -ENOMEM : 0;
	KUNIT_EXPECT_EQ(test, h[0].err, want);
	KUNIT_EXPECT_EQ(test, h[1].err, want);
	KUNIT_EXPECT_EQ(test, hmap_count(map), (u64)cap + (want ? 0 : 2));
	for (i = 0; i < cap + 2; i++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, i),
				i < cap || !want ? (s64)i : (s64)-ENOENT);
}

static void hmap_context_test_capped_writers_wait_for_one_array(struct kunit *test)
{
	ctx_capped_herd(test, false);
}

static void hmap_context_test_capped_writers_fail_with_one_array(struct kunit *test)
{
	ctx_capped_herd(test, true);
}

/*
 * Only the failure of the due grow's array caps the chains: a failed
 * shrink array (here an HMAP_F_ATOMIC map's, by @prealloc_work) does not,
 * so while the grow's array is merely late (@prealloc_work held off by
 * &hmap.work_lock), inserts go on past 2^HMAP_NOARRAY_SLACK times the
 * load.
 */
static void hmap_context_test_failed_shrink_caps_nothing(struct kunit *test)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	/* B 2: grows above 26 entries, capped (if it were) above 208. */
	struct hmap *map = ctx_map_flags(test, HMAP_F_ATOMIC, 20);
	struct hmap_stats st;
	unsigned int i;
	int err = 0;

	a->fail_below = 2;
	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	hmap_kunit_fill(test, map, 0, 5, HMAP_NOEXIST);
	/* 4 entries: below the load of B 2; the shrink's array fails. */
	KUNIT_ASSERT_EQ(test, hmap_kunit_delete(map, 4), 0);
	hmap_flush_frees();
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.B, 2U);
	KUNIT_ASSERT_GE(test, st.alloc_failures, 1ULL);

	mutex_lock(&map->work_lock);
	for (i = 5; i < 300 && !err; i++)
		err = hmap_kunit_update(map, i, i, HMAP_NOEXIST);
	mutex_unlock(&map->work_lock);
	KUNIT_EXPECT_EQ_MSG(test, err, 0, "key %u", i - 1);
	hmap_flush_frees();
	hmap_test_run_background(map);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 299ULL);
	for (i = 0; i < 300; i++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, i),
				i == 4 ? (s64)-ENOENT : (s64)i);
}

/*
 * An insert that took an overflow bucket and then found the map full
 * (another stripe's insert took the last entry in between) fails with
 * -E2BIG and gives the bucket back: to the reserve, not linked, not
 * counted. An HMAP_F_ATOMIC map of max_entries 9, one bucket holding 8
 * keys, its reserve taken away so that the ninth key's bucket comes from
 * GFP_ATOMIC, where the hook fills the map.
 */
static void hmap_context_test_full_map_gives_bucket_back(struct kunit *test)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap_params p = {
		.key_size = sizeof(struct hmap_kunit_key),
		.value_size = sizeof(u64),
		.max_entries = 9,
		.capacity_hint = 9,
		.flags = HMAP_F_ATOMIC,
	};
	struct hmap_stats st0, st;
	struct hmap_kunit_key key;
	struct hmap *map;
	unsigned int i;
	u64 v = 9;
	u32 len;

	map = hmap_create(&p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	test->priv = map;
	hmap_test_set_hash(map, hmap_kunit_hash);
	hmap_test_set_background(map, false);
	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	for (i = 0; i < 8; i++)
		KUNIT_ASSERT_EQ(test, ctx_bucket_update(map, 0, i), 0);
	hmap_get_stats(map, &st0);
	KUNIT_ASSERT_EQ(test, st0.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_ASSERT_EQ(test, st0.noverflow, 0ULL);

	/* Held off: the refill of the reserve the take below asks for. */
	mutex_lock(&map->work_lock);
	ctx_steal_reserve(map, a);
	WRITE_ONCE(a->fill_atomic, true);
	key = ctx_bucket_key(0, 8);
	KUNIT_EXPECT_EQ(test, hmap_update(map, &key, sizeof(key), &v,
					  sizeof(v), HMAP_NOEXIST), -E2BIG);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(a->fill_atomic));
	KUNIT_EXPECT_EQ(test, hmap_test_reserve(map), 1U);
	mutex_unlock(&map->work_lock);
	/* The hook's entry, which no key holds. */
	KUNIT_EXPECT_EQ(test, hmap_count(map), 9ULL);
	atomic_long_dec(&map->count);

	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.noverflow, st0.noverflow);
	KUNIT_EXPECT_EQ(test, st.overflow_alloced, st0.overflow_alloced);
	KUNIT_EXPECT_EQ(test, st.overflow_freed, st0.overflow_freed);
	KUNIT_EXPECT_EQ(test, st.inserts, st0.inserts);
	KUNIT_EXPECT_EQ(test, hmap_lookup(map, &key, sizeof(key), &v, &len),
			-ENOENT);
	/* And with room, the same insert goes in, into the bucket given back. */
	KUNIT_EXPECT_EQ(test, hmap_update(map, &key, sizeof(key), &v,
					  sizeof(v), HMAP_NOEXIST), 0);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.noverflow, 1ULL);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 9ULL);
	ctx_return_reserve(map, a);
}

/*
 * A delete needs no memory: on an HMAP_F_ATOMIC map in the middle of a
 * grow, with every overflow bucket allocation failing and the reserve
 * too short to evacuate the key's old chain (32 entries, which need
 * three overflow buckets in the new array), the delete deletes in place
 * in the old chain; the evacuation later moves the chain without it.
 */
static void hmap_context_test_atomic_delete_needs_no_memory(struct kunit *test)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap *map = ctx_map_flags(test, HMAP_F_ATOMIC, 0);
	struct hmap_kunit_key key;
	struct hmap_stats st;
	unsigned int i;
	int tries;
	u32 len;
	u64 v;

	hmap_test_set_background(map, false);
	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	/* Held off: the grow due at the ninth insert, the reserve's refill. */
	mutex_lock(&map->work_lock);
	for (i = 0; i < 32; i++)
		KUNIT_EXPECT_EQ(test, ctx_bucket_update(map, 0, i), 0);
	WRITE_ONCE(a->fail_atomic, true);
	WRITE_ONCE(a->fail_sleeping, true);
	mutex_unlock(&map->work_lock);
	hmap_flush_frees();
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_GROW);
	KUNIT_ASSERT_LT(test, hmap_test_reserve(map), 3U);

	for (i = 0; i < 2; i++) {
		key = ctx_bucket_key(0, i);
		tries = atomic_read(&a->atomic);
		KUNIT_EXPECT_EQ(test, hmap_delete(map, &key, sizeof(key)), 0);
		/* The evacuation asked for buckets and was refused. */
		KUNIT_EXPECT_GT_MSG(test, atomic_read(&a->atomic), tries,
				    "delete %u did not try GFP_ATOMIC", i);
		KUNIT_EXPECT_EQ(test, hmap_lookup(map, &key, sizeof(key), &v,
						  &len), -ENOENT);
	}
	KUNIT_EXPECT_EQ(test, hmap_count(map), 30ULL);
	/* So both were deleted in place: old bucket 0 is not evacuated. */
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_GROW);
	KUNIT_EXPECT_EQ(test, st.nevacuate, 0ULL);

	WRITE_ONCE(a->fail_atomic, false);
	WRITE_ONCE(a->fail_sleeping, false);
	hmap_test_run_background(map);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 30ULL);
	for (i = 0; i < 32; i++) {
		key = ctx_bucket_key(0, i);
		KUNIT_EXPECT_EQ_MSG(test, hmap_lookup(map, &key, sizeof(key),
						      &v, &len),
				    i < 2 ? -ENOENT : 0, "key %u", i);
	}
}

/*
 * A write that may sleep and had to allocate overflow buckets for its
 * evacuation keeps them for itself: here every time it allocates, the
 * map's reserve is taken away (as writers of other stripes could take
 * it), and its insert still succeeds; with the buckets put on the shared
 * reserve, it came back short every time and failed with -ENOMEM,
 * although no allocation failed.
 */
static void hmap_context_test_refill_is_the_writers_own(struct kunit *test)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	/* B 4: grows above 104 entries. */
	struct hmap *map = hmap_kunit_map(test, 1000, 100, true);
	struct hmap_kunit_key key;
	struct hmap_stats st;
	unsigned int i;
	int err;
	u32 len;
	u64 v;

	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	/* 60 entries in bucket 0: the grow moves them all to X, 8 buckets. */
	for (i = 0; i < 60; i++)
		KUNIT_ASSERT_EQ(test, ctx_bucket_update(map, 0, i), 0);
	for (; i < 104; i++)
		KUNIT_ASSERT_EQ(test, ctx_bucket_update(map, 1 + i % 15, i),
				0);
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.B, 4U);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);

	/* Starts the grow and evacuates bucket 0 first. */
	WRITE_ONCE(a->steal, true);
	err = ctx_bucket_update(map, 0, 104);
	WRITE_ONCE(a->steal, false);
	ctx_return_reserve(map, a);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 105ULL);
	hmap_test_run_background(map);
	for (i = 0; i < 105; i++) {
		key = ctx_bucket_key(i < 60 || i == 104 ? 0 : 1 + i % 15, i);
		KUNIT_EXPECT_EQ_MSG(test, hmap_lookup(map, &key, sizeof(key),
						      &v, &len),
				    0, "key %u", i);
	}
}

/*
 * hmap_shrink_to_fit() asks for memory only when its evacuation needs
 * it: with the reserve below HMAP_RESERVE and every GFP_KERNEL overflow
 * bucket failing, it still shrinks a map whose one chain fits in what
 * the reserve holds (the top-up it tried first is not needed).
 */
static void hmap_context_test_shrink_needs_no_top_up(struct kunit *test)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	/* B 8. */
	struct hmap *map = hmap_kunit_map(test, 1000, 1000, true);
	struct hmap_stats st;
	unsigned int i;

	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	/* Nine entries in bucket 0: one overflow bucket from the reserve. */
	for (i = 0; i < 9; i++)
		KUNIT_ASSERT_EQ(test, ctx_bucket_update(map, 0, i), 0);
	KUNIT_ASSERT_LT(test, hmap_test_reserve(map),
			(unsigned int)HMAP_RESERVE);
	WRITE_ONCE(a->fail_sleeping, true);
	KUNIT_EXPECT_EQ(test, hmap_shrink_to_fit(map), 0);
	WRITE_ONCE(a->fail_sleeping, false);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.B, 1U);
	KUNIT_EXPECT_EQ(test, st.count, 9ULL);
}

/*
 * hmap_shrink_to_fit() of a map it just fitted, nothing written between,
 * starts no resize, even when the fitted array has overflow buckets: nine
 * keys of bucket 0 (a chain at any B) shrunk from B 8 to B 1 leave one,
 * which the shrink's own evacuation made. The call used to rebuild any
 * array with an overflow bucket (a same-size grow), every call, for
 * nothing.
 */
static void hmap_context_test_fit_twice_starts_nothing(struct kunit *test)
{
	/* B 8. */
	struct hmap *map = hmap_kunit_map(test, 1000, 1000, true);
	struct hmap_stats st;
	unsigned int i;

	hmap_test_set_background(map, false);
	for (i = 0; i < 9; i++)
		KUNIT_ASSERT_EQ(test, ctx_bucket_update(map, 0, i), 0);
	KUNIT_ASSERT_EQ(test, hmap_shrink_to_fit(map), 0);
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.B, 1U);
	KUNIT_ASSERT_GT(test, st.noverflow, 0ULL);
	hmap_kunit_expect_fit_again(test, map);
}

/*
 * @prealloc_work does not hold &hmap.work_lock while it allocates an
 * array (zeroing megabytes for a large map): hmap_shrink_to_fit(), which
 * takes it, runs to its end while the work's allocation is held in the
 * allocator by the hook.
 */
static void hmap_context_test_array_allocation_holds_no_work_lock(struct kunit *test)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap *map = ctx_map_flags(test, HMAP_F_ATOMIC, 0);
	bool entered;
	int err = -EINVAL;
	unsigned int i;

	a->block_first = true;
	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	/* The ninth is due to grow: @prealloc_work allocates its array. */
	hmap_kunit_fill(test, map, 0, 9, HMAP_NOEXIST);
	entered = wait_for_completion_timeout(&a->entered, 10 * HZ);
	if (entered)
		err = hmap_shrink_to_fit(map);
	complete(&a->release);
	hmap_flush_frees();
	KUNIT_ASSERT_TRUE(test, entered);
	KUNIT_EXPECT_FALSE(test, a->timed_out);
	KUNIT_EXPECT_EQ(test, err, 0);
	hmap_test_run_background(map);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 9ULL);
	for (i = 0; i < 9; i++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, i), (s64)i);
}

/*
 * Deletes below the shrink load of a map whose shrink arrays fail try
 * one array per %HMAP_BG_RETRY, not one per delete (each delete used to
 * claim and allocate again); once arrays come, a delete after the
 * hold-off starts the shrink.
 */
static void hmap_context_test_shrink_array_failures_held_off(struct kunit *test)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap *map = ctx_map_flags(test, 0, 0);
	unsigned long start, elapsed;
	struct hmap_stats st;
	unsigned int i, B;
	int tries;

	hmap_test_set_background(map, false);
	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	hmap_kunit_fill(test, map, 0, 200, HMAP_NOEXIST);
	hmap_test_run_background(map);
	hmap_get_stats(map, &st);
	KUNIT_ASSERT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);
	B = st.B;
	/* 200 entries: B 5, whose shrink load is below 52. */
	KUNIT_ASSERT_GE(test, B, 4U);

	a->fail_below = B;
	tries = atomic_read(&a->arrays);
	start = jiffies;
	for (i = 200; i-- > 0; )
		KUNIT_ASSERT_EQ(test, hmap_kunit_delete(map, i), 0);
	elapsed = jiffies - start;
	tries = atomic_read(&a->arrays) - tries;
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.count, 0ULL);
	KUNIT_EXPECT_EQ(test, st.B, B);
	KUNIT_EXPECT_GE(test, tries, 1);
	KUNIT_EXPECT_LE_MSG(test, tries,
			    (int)(2 + elapsed / HMAP_BG_RETRY),
			    "%lu jiffies of deletes below the load", elapsed);

	a->fail_below = 0;
	msleep(2 * jiffies_to_msecs(HMAP_BG_RETRY) + 10);
	KUNIT_ASSERT_EQ(test, hmap_kunit_update(map, 0, 0, HMAP_NOEXIST), 0);
	KUNIT_ASSERT_EQ(test, hmap_kunit_delete(map, 0), 0);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_GE(test, st.shrinks, 1ULL);
}

/*
 * Inserts into an %HMAP_F_ATOMIC map whose grow arrays fail, past the
 * cap for 100 ms: @prealloc_work tries one array per %HMAP_BG_RETRY, not
 * one per insert that finds the grow due.
 */
static void hmap_context_test_atomic_array_failures_held_off(struct kunit *test)
{
	struct ctx_alloc *a = ctx_alloc_new(test);
	struct hmap *map = ctx_map_flags(test, HMAP_F_ATOMIC, 0);
	unsigned long start, end, elapsed;
	unsigned int id = 0, failed = 0;
	int tries;

	a->fail_below = 32;
	hmap_test_set_alloc(map, ctx_alloc_hook, a);
	start = jiffies;
	end = start + msecs_to_jiffies(100);
	while (time_before(jiffies, end)) {
		if (hmap_kunit_update(map, id, id, HMAP_NOEXIST))
			failed++;
		else
			id++;
		cond_resched();
	}
	hmap_flush_frees();
	elapsed = jiffies - start;
	tries = atomic_read(&a->arrays);
	/* The cap was reached: the rest failed with -ENOMEM. */
	KUNIT_EXPECT_GT(test, failed, 0U);
	KUNIT_EXPECT_GE(test, tries, 1);
	KUNIT_EXPECT_LE_MSG(test, tries,
			    (int)(2 + elapsed / HMAP_BG_RETRY),
			    "%lu jiffies, %u inserts, %u failed", elapsed, id,
			    failed);
	KUNIT_EXPECT_EQ(test, hmap_count(map), (u64)id);
}

/* hmap_get_stats() from a hard interrupt: an hrtimer in hard mode. */
struct ctx_stats_irq {
	struct hrtimer timer;
	struct hmap *map;
	struct hmap_stats st;
	struct completion done;
};

static enum hrtimer_restart ctx_stats_hrtimer_fn(struct hrtimer *t)
{
	struct ctx_stats_irq *s = container_of(t, struct ctx_stats_irq, timer);

	hmap_get_stats(s->map, &s->st);
	complete(&s->done);
	return HRTIMER_NORESTART;
}

static void ctx_stats_expect(struct kunit *test, const struct hmap_stats *got,
			     const struct hmap_stats *want, const char *where)
{
	KUNIT_EXPECT_EQ_MSG(test, got->count, want->count, "%s", where);
	KUNIT_EXPECT_EQ_MSG(test, got->B, want->B, "%s", where);
	KUNIT_EXPECT_EQ_MSG(test, got->noverflow, want->noverflow, "%s", where);
	KUNIT_EXPECT_EQ_MSG(test, got->resizing, want->resizing, "%s", where);
	KUNIT_EXPECT_EQ_MSG(test, got->old_B, want->old_B, "%s", where);
	KUNIT_EXPECT_EQ_MSG(test, got->nevacuate, want->nevacuate, "%s",
			    where);
	KUNIT_EXPECT_EQ_MSG(test, got->inserts, want->inserts, "%s", where);
}

/*
 * hmap_get_stats() of a map whose writers may sleep, where it may not
 * take the map's locks (they are taken with interrupts on): with softirqs
 * off, with interrupts off and from a hard interrupt it reads the fields
 * without them and reports what it reports in process context, here of
 * a map left in the middle of a grow (the worker off), so that every
 * field of the state has a value to check.
 */
static void hmap_context_test_stats_anywhere(struct kunit *test)
{
	struct hmap *map = ctx_map_flags(test, 0, 0);
	struct hmap_stats want, got;
	struct ctx_stats_irq *s;
	unsigned long flags;
	unsigned int i;
	bool fired;

	hmap_test_set_background(map, false);
	for (i = 0; i < 4096; i++) {
		KUNIT_ASSERT_EQ(test, hmap_kunit_update(map, i, i, HMAP_ANY), 0);
		hmap_get_stats(map, &want);
		if (i >= 64 && want.resizing != HMAP_RESIZE_NONE &&
		    want.nevacuate)
			break;
	}
	KUNIT_ASSERT_NE(test, want.resizing, HMAP_RESIZE_NONE);
	KUNIT_ASSERT_NE(test, want.nevacuate, 0ULL);
	KUNIT_ASSERT_EQ(test, want.count, (u64)i + 1);

	local_bh_disable();
	hmap_get_stats(map, &got);
	local_bh_enable();
	ctx_stats_expect(test, &got, &want, "softirqs off");

	local_irq_save(flags);
	hmap_get_stats(map, &got);
	local_irq_restore(flags);
	ctx_stats_expect(test, &got, &want, "interrupts off");

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->map = map;
	init_completion(&s->done);
	hrtimer_init(&s->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	s->timer.function = ctx_stats_hrtimer_fn;
	hrtimer_start(&s->timer, ns_to_ktime(NSEC_PER_MSEC),
		      HRTIMER_MODE_REL_HARD);
	fired = wait_for_completion_timeout(&s->done, 10 * HZ);
	/* Before any assertion: the timer must not outlive *s. */
	hrtimer_cancel(&s->timer);
	KUNIT_ASSERT_TRUE(test, fired);
	ctx_stats_expect(test, &s->st, &want, "hard interrupt");

	/* And what it reads there is the locked snapshot's, still. */
	hmap_get_stats(map, &got);
	ctx_stats_expect(test, &got, &want, "process context, after");

	/* The same in the middle of a shrink: the kind from the tables. */
	for (; i != UINT_MAX; i--) {
		KUNIT_ASSERT_EQ(test, hmap_kunit_delete(map, i), 0);
		hmap_get_stats(map, &want);
		if (want.resizing == HMAP_RESIZE_SHRINK && want.nevacuate)
			break;
	}
	KUNIT_ASSERT_EQ(test, want.resizing, (u32)HMAP_RESIZE_SHRINK);
	local_irq_save(flags);
	hmap_get_stats(map, &got);
	local_irq_restore(flags);
	ctx_stats_expect(test, &got, &want, "interrupts off, shrinking");
}

/*
 * hmap_get_stats() from a hard interrupt over and over while a task
 * grows, shrinks and clears the map: the state it reads there without
 * the locks is one the map can be in (hmap_get_state_rcu()), and the
 * probes see resizes in progress (a read that gave nothing, or zeros,
 * would pass the first check alone).
 */
struct ctx_stats_probe {
	struct hrtimer timer;
	struct hmap *map;
	u64 max_count;
	struct hmap_stats st;
	struct hmap_stats bad_st;
	atomic_t fired;
	atomic_t resizing;
	atomic_t bad;
	bool stop;
};

static bool ctx_stats_possible(const struct hmap_stats *st, u64 max_count)
{
	if (st->count > max_count || st->B > HMAP_B_MAX)
		return false;
	switch (st->resizing) {
	case HMAP_RESIZE_NONE:
		return !st->old_B && !st->nevacuate;
	case HMAP_RESIZE_GROW:
		if (st->B != st->old_B + 1)
			return false;
		break;
	case HMAP_RESIZE_SAME:
		if (st->B != st->old_B)
			return false;
		break;
	case HMAP_RESIZE_SHRINK:
		if (st->B + 1 != st->old_B)
			return false;
		break;
	default:
		return false;
	}
	return st->nevacuate <= 1ULL << st->old_B;
}

static enum hrtimer_restart ctx_stats_probe_fn(struct hrtimer *t)
{
	struct ctx_stats_probe *p = container_of(t, struct ctx_stats_probe,
						 timer);

	hmap_get_stats(p->map, &p->st);
	atomic_inc(&p->fired);
	if (p->st.resizing != HMAP_RESIZE_NONE)
		atomic_inc(&p->resizing);
	if (!ctx_stats_possible(&p->st, p->max_count) &&
	    atomic_inc_return(&p->bad) == 1)
		p->bad_st = p->st;
	if (READ_ONCE(p->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(100 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static void hmap_context_test_stats_during_resizes(struct kunit *test)
{
	struct hmap *map = ctx_map_flags(test, 0, 0);
	const unsigned long deadline = jiffies + 30 * HZ;
	const unsigned int n = 3000;
	struct ctx_stats_probe *p;
	const char *op = NULL;
	unsigned int round, i;
	int err = 0;

	p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	p->map = map;
	p->max_count = n;
	hrtimer_init(&p->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	p->timer.function = ctx_stats_probe_fn;
	hrtimer_start(&p->timer, ns_to_ktime(100 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	/*
	 * Three rounds at least, and more (for 30 s at most) until the
	 * probes fired 100 times and saw 10 resizes in progress: how many
	 * land in one depends on the machine.
	 */
	for (round = 0; round < 3 || (time_before(jiffies, deadline) &&
				      (atomic_read(&p->fired) < 100 ||
				       atomic_read(&p->resizing) < 10));
	     round++) {
		op = "insert";
		for (i = 0; i < n && !err; i++)
			err = hmap_kunit_update(map, i, i, HMAP_ANY);
		if (err)
			break;
		op = "delete";
		for (i = 0; i < n && !err; i++)
			err = hmap_kunit_delete(map, i);
		if (err)
			break;
		op = "insert again";
		for (i = 0; i < n / 3 && !err; i++)
			err = hmap_kunit_update(map, i, i, HMAP_ANY);
		if (err)
			break;
		op = "clear";
		i = 1;
		err = hmap_clear(map);
		if (err)
			break;
		cond_resched();
	}
	WRITE_ONCE(p->stop, true);
	/* Before any assertion: the timer must not outlive *p. */
	hrtimer_cancel(&p->timer);
	KUNIT_EXPECT_EQ_MSG(test, err, 0, "round %u: %s (key %u) failed",
			    round, op, i - 1);
	KUNIT_EXPECT_GE(test, atomic_read(&p->fired), 100);
	KUNIT_EXPECT_GE_MSG(test, atomic_read(&p->resizing), 10,
			    "of %d probes in %u rounds",
			    atomic_read(&p->fired), round);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&p->bad), 0,
			    "first: count %llu B %u old_B %u resizing %u nevacuate %llu",
			    p->bad_st.count, p->bad_st.B, p->bad_st.old_B,
			    p->bad_st.resizing, p->bad_st.nevacuate);
}

static struct kunit_case hmap_context_cases[] = {
	KUNIT_CASE(hmap_context_test_flags_are_checked),
	KUNIT_CASE(hmap_context_test_stats_anywhere),
	KUNIT_CASE(hmap_context_test_stats_during_resizes),
	KUNIT_CASE(hmap_context_test_softirq_writer_leaves_exact_contents),
	KUNIT_CASE(hmap_context_test_hardirq_writer_leaves_exact_contents),
	KUNIT_CASE(hmap_context_test_irqs_off_writer_leaves_exact_contents),
	KUNIT_CASE(hmap_context_test_all_contexts_at_once_leave_exact_contents),
	KUNIT_CASE(hmap_context_test_all_contexts_evacuate_without_worker),
	KUNIT_CASE(hmap_context_test_interrupt_writers_on_two_cpus),
	KUNIT_CASE(hmap_context_test_sleeping_writers_take_no_atomic_buckets),
	KUNIT_CASE(hmap_context_test_one_array_in_flight),
	KUNIT_CASE(hmap_context_test_atomic_reserve_is_refilled),
	KUNIT_CASE(hmap_context_test_chains_capped_without_array_atomic),
	KUNIT_CASE(hmap_context_test_chains_capped_without_array_sleeping),
	KUNIT_CASE(hmap_context_test_fit_above_load_atomic),
	KUNIT_CASE(hmap_context_test_fit_above_load_sleeping),
	KUNIT_CASE(hmap_context_test_fit_twice_starts_nothing),
	KUNIT_CASE(hmap_context_test_fit_killed_waiting),
	KUNIT_CASE(hmap_context_test_fit_killed_allocating),
	KUNIT_CASE(hmap_context_test_shrink_to_fit_follows_count),
	KUNIT_CASE(hmap_context_test_shrink_to_fit_gives_up),
	KUNIT_CASE(hmap_context_test_capped_writers_wait_for_one_array),
	KUNIT_CASE(hmap_context_test_capped_writers_fail_with_one_array),
	KUNIT_CASE(hmap_context_test_failed_shrink_caps_nothing),
	KUNIT_CASE(hmap_context_test_full_map_gives_bucket_back),
	KUNIT_CASE(hmap_context_test_atomic_delete_needs_no_memory),
	KUNIT_CASE(hmap_context_test_refill_is_the_writers_own),
	KUNIT_CASE(hmap_context_test_shrink_needs_no_top_up),
	KUNIT_CASE(hmap_context_test_array_allocation_holds_no_work_lock),
	KUNIT_CASE(hmap_context_test_shrink_array_failures_held_off),
	KUNIT_CASE(hmap_context_test_atomic_array_failures_held_off),
	{}
};

struct kunit_suite hmap_context_suite = {
	.name = "hmap_context",
	.exit = ctx_exit,
	.test_cases = hmap_context_cases,
};
