// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite that runs hmap readers or walkers and a writer at once, on
 * both CPUs, with the background worker on.
 *
 * Proves that while a writer inserts and deletes other keys in waves, so
 * that the map grows and shrinks many times (resizes finished by writes and
 * by the worker), lock-free lookups (hmap_lookup() and hmap_lookup_rcu())
 * never miss a key that is present for the whole test, never see a wrong
 * value (its value is replaced now and then) and never find a key that was
 * never inserted; and that iterators walking over and over return every
 * such key exactly once per walk, no key twice, in hash order.
 *
 * With two writers, one on each CPU (the striped locks let writers to
 * different buckets run in parallel), the same holds: with disjoint key
 * sets each writer's inserts and deletes must all succeed; with
 * overlapping ones they insert and delete the same keys, and must end,
 * after a last pass each, with the stable keys only.
 *
 * Threads only count failures; the test thread reports them after every
 * thread is stopped, so no assertion can leave a thread running.
 */

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <kunit/resource.h>

#include "hmap_kunit.h"

/* Ids: keys present throughout, keys the writer churns, keys never added. */
#define STRESS_STABLE		64
#define STRESS_CHURN		512
#define STRESS_ABSENT		64
#define STRESS_NIDS		(STRESS_STABLE + STRESS_CHURN + STRESS_ABSENT)

/* Waves of STRESS_CHURN inserts then STRESS_CHURN deletes. */
#define STRESS_WAVES		4
#define STRESS_MAX_WAVES		40
/* The walk case writes until the walker has done this many walks. */
#define STRESS_MIN_WALKS		4
#define STRESS_MAX_WALKS		1000
/* Safety nets only, far above the expected run time; never asserted. */
#define STRESS_TIME_LIMIT		(100 * HZ)
#define STRESS_WAIT_LIMIT		(150 * HZ)

#define STRESS_MAX_THREADS		4

/* Each stable key's value carries a version in its low byte. */
#define STRESS_GEN_MASK		0xffULL

enum stress_role {
	STRESS_READER,
	STRESS_WRITER,
	STRESS_WALKER,
};

struct stress_ctx;

struct stress_thread {
	struct stress_ctx *ctx;
	struct task_struct *task;
	enum stress_role role;
	int cpu;
	u64 rounds;		/* reader rounds, walks or waves done */
	u32 part;		/* writer: its number, 0 or 1 */
	DECLARE_BITMAP(seen,
		       STRESS_NIDS);	/* walker: ids returned by a walk */
};

struct stress_ctx {
	struct kunit *test;
	struct hmap *map;
	struct hmap_stats before;
	unsigned long deadline;
	u32 min_walks;
	u32 waves;
	int nthreads;
	int start_errors;
	struct stress_thread threads[STRESS_MAX_THREADS];
	struct completion writer_done;
	atomic_t writers_left;		/* completes writer_done at 0 */
	atomic_t writers_waved;		/* writers past their waves */
	u32 nparts;			/* writers the case starts */
	u32 nwriters;			/* writers started */
	bool overlap;			/* the writers share their keys */
	/* Churned keys a writer deleted in the final pass (overlap). */
	DECLARE_BITMAP(final_deleted, STRESS_CHURN);

	/* Failures, counted by the threads. */
	atomic_long_t misses;		/* a stable key not found */
	atomic_long_t wrong;		/* a key found with a wrong value */
	atomic_long_t false_hits;	/* a key never inserted found */
	atomic_long_t write_errors;	/* a write that failed */
	atomic_long_t walk_bad;		/* a walk returned a wrong entry */
	atomic_long_t walk_dups;	/* a walk returned an id twice */
	atomic_long_t final_dups;	/* a key deleted twice at the end */
	atomic_t final_checked;		/* writers whose final pass checked */
	atomic_long_t walk_order;	/* a walk went backwards */
	atomic_long_t walk_missing;	/* a walk missed a stable key */
	atomic_long_t walk_errors;	/* start or next failed, runaway */
	/* The first failure, for the report. */
	atomic_t failed;
	const char *fail_what;
	u64 fail_id;
	u64 fail_got;

	/* Progress. */
	atomic_long_t lookups;
	atomic_long_t lookups_in_resize;
	atomic_long_t walks;
	atomic_long_t walks_in_resize;
};

static void stress_key(u32 id, struct hmap_kunit_key *key)
{
	key->hash = hmap_kunit_mix(id);
	key->id = id;
}

/* The value of @id, version 0; stable keys get versions up to 255. */
static u64 stress_value(u32 id)
{
	return hmap_kunit_mix(id ^ 0x5eedULL) & ~STRESS_GEN_MASK;
}

static bool stress_value_ok(u32 id, u64 value)
{
	if (id < STRESS_STABLE)
		return (value & ~STRESS_GEN_MASK) == stress_value(id);
	return value == stress_value(id);
}

static bool stress_expired(const struct stress_ctx *ctx)
{
	return time_after(jiffies, ctx->deadline);
}

static void stress_fail(struct stress_ctx *ctx, atomic_long_t *counter,
			const char *what, u64 id, u64 got)
{
	atomic_long_inc(counter);
	if (atomic_cmpxchg(&ctx->failed, 0, 1) == 0) {
		ctx->fail_what = what;
		ctx->fail_id = id;
		ctx->fail_got = got;
	}
}

/* Sleep until kthread_stop(), for a thread whose work is done. */
static void stress_wait_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

/* ---- Readers ---- */

static void stress_lookup(struct stress_ctx *ctx, u32 id, u64 *in_resize)
{
	struct hmap_kunit_key key;
	struct hmap_table *t;
	u32 len = 0;
	u64 value = 0;
	void *v;
	int ret;

	stress_key(id, &key);
	ret = hmap_lookup(ctx->map, &key, sizeof(key), &value, &len);
	if (ret == 0 && (len != sizeof(value) || !stress_value_ok(id, value)))
		stress_fail(ctx, &ctx->wrong, "hmap_lookup() value", id, value);
	else if (ret && ret != -ENOENT)
		stress_fail(ctx, &ctx->wrong, "hmap_lookup() error", id, ret);
	else if (ret && id < STRESS_STABLE)
		stress_fail(ctx, &ctx->misses, "hmap_lookup() miss", id, 0);
	else if (!ret && id >= STRESS_STABLE + STRESS_CHURN)
		stress_fail(ctx, &ctx->false_hits, "hmap_lookup() hit", id, 0);

	rcu_read_lock();
	t = rcu_dereference(ctx->map->tbl);
	if (rcu_access_pointer(t->next))
		(*in_resize)++;
	len = 0;
	v = hmap_lookup_rcu(ctx->map, &key, sizeof(key), &len);
	if (v) {
		memcpy(&value, v, sizeof(value));
		if (len != sizeof(value) || !stress_value_ok(id, value))
			stress_fail(ctx, &ctx->wrong, "hmap_lookup_rcu() value",
				    id, value);
		else if (id >= STRESS_STABLE + STRESS_CHURN)
			stress_fail(ctx, &ctx->false_hits,
				    "hmap_lookup_rcu() hit",
				    id, 0);
	} else if (id < STRESS_STABLE) {
		stress_fail(ctx, &ctx->misses, "hmap_lookup_rcu() miss", id, 0);
	}
	rcu_read_unlock();
}

/*
 * Look up every stable key, one churned key (any answer, but the right
 * value if found) and one absent key per round, until stopped.
 */
static int stress_reader(void *arg)
{
	struct stress_thread *th = arg;
	struct stress_ctx *ctx = th->ctx;
	u64 lookups = 0, in_resize = 0;
	u32 id;

	while (!kthread_should_stop()) {
		for (id = 0; id < STRESS_STABLE; id++)
			stress_lookup(ctx, id, &in_resize);
		stress_lookup(ctx, STRESS_STABLE + th->rounds % STRESS_CHURN,
			      &in_resize);
		stress_lookup(ctx, STRESS_STABLE + STRESS_CHURN +
			   th->rounds % STRESS_ABSENT, &in_resize);
		lookups += STRESS_STABLE + 2;
		th->rounds++;
		cond_resched();
	}
	atomic_long_add(lookups, &ctx->lookups);
	atomic_long_add(in_resize, &ctx->lookups_in_resize);
	return 0;
}

/* ---- Writer ---- */

static u64 stress_resizes(const struct hmap_stats *st)
{
	return st->grows + st->same_size_grows + st->shrinks;
}

/* Resizes started so far, from the per-CPU counters: cheap, no lock. */
static u64 stress_resizes_now(struct hmap *map)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct hmap_pcpu *p = per_cpu_ptr(map->pcpu, cpu);

		sum += READ_ONCE(p->grows) + READ_ONCE(p->same_size_grows) +
		       READ_ONCE(p->shrinks);
	}
	return sum;
}

/*
 * After a write: if a resize has just started, every other time stop
 * writing until the background worker has finished it, so that readers
 * also run beside the worker's evacuations.
 */
static void stress_maybe_pause(struct stress_ctx *ctx, u64 *resizes)
{
	struct hmap_stats st;
	int i;

	if (stress_resizes_now(ctx->map) == *resizes)
		return;
	*resizes = stress_resizes_now(ctx->map);
	if (*resizes % 2)
		return;
	hmap_get_stats(ctx->map, &st);
	for (i = 0; i < 150 && st.resizing != HMAP_RESIZE_NONE; i++) {
		msleep(20);
		hmap_get_stats(ctx->map, &st);
	}
}

/*
 * Insert (or replace a stable key's value) or delete @id. When the writers
 * share their keys, another may have inserted or deleted it first: the
 * insert then replaces (%HMAP_ANY) and a delete may find it gone.
 */
static void stress_write(struct stress_ctx *ctx, u32 id, bool insert, u64 gen)
{
	struct hmap_kunit_key key;
	u64 value = stress_value(id) | gen;
	u64 flags = HMAP_NOEXIST;
	int ret;

	if (id < STRESS_STABLE)
		flags = HMAP_EXIST;
	else if (ctx->overlap)
		flags = HMAP_ANY;
	stress_key(id, &key);
	if (insert)
		ret = hmap_update(ctx->map, &key, sizeof(key), &value,
				  sizeof(value), flags);
	else
		ret = hmap_delete(ctx->map, &key, sizeof(key));
	if (ret == -ENOENT && !insert && ctx->overlap)
		ret = 0;
	if (ret)
		stress_fail(ctx, &ctx->write_errors,
			    insert ? "hmap_update()" : "hmap_delete()", id,
			    ret);
}

/*
 * The final pass of the shared keys: both writers delete every churned
 * key, and only one delete of each may succeed. A second success means
 * two racing inserts left the key twice, which two deletes would
 * otherwise remove without a trace. Checked (@check) only when every
 * writer was done with its waves, so that no insert came meanwhile.
 */
static void stress_final_delete(struct stress_ctx *ctx, u32 id, bool check)
{
	struct hmap_kunit_key key;
	int ret;

	stress_key(id, &key);
	ret = hmap_delete(ctx->map, &key, sizeof(key));
	if (ret == -ENOENT)
		return;
	if (ret)
		stress_fail(ctx, &ctx->write_errors, "hmap_delete()", id, ret);
	else if (check &&
		 test_and_set_bit(id - STRESS_STABLE, ctx->final_deleted))
		stress_fail(ctx, &ctx->final_dups,
			    "a key deleted twice in the final pass", id, 0);
}

/*
 * Waves: insert every churned key, then delete them all, in orders that
 * change from wave to wave; every eighth write also replaces the value of
 * a stable key. A wave is never cut short, so the map ends with the stable
 * keys only. Of two writers with disjoint keys, each churns the ids of its
 * parity; with shared keys, both churn all of them, and once both are
 * done with their waves each deletes them all again (a key at most once:
 * stress_final_delete()).
 */
/*
 * Whether the case has seen the resizes stress_report() expects: four
 * grows and four shrinks. One writer gets them in four waves; two
 * writers' waves need not line up (one inserts while the other deletes),
 * so they go on, up to %STRESS_MAX_WAVES waves, until they are there.
 */
static bool stress_resized_enough(struct stress_ctx *ctx)
{
	struct hmap_stats st;

	hmap_get_stats(ctx->map, &st);
	return st.grows - ctx->before.grows >= 4 &&
	       st.shrinks - ctx->before.shrinks >= 4;
}

static int stress_writer(void *arg)
{
	struct stress_thread *th = arg;
	struct stress_ctx *ctx = th->ctx;
	u64 resizes = stress_resizes_now(ctx->map), gen = 0;
	bool mine, all;
	u32 wave, j, id;

	for (wave = 0; wave < STRESS_MAX_WAVES && !kthread_should_stop();
	     wave++) {
		if (wave >= STRESS_WAVES &&
		    atomic_long_read(&ctx->walks) >= ctx->min_walks &&
		    stress_resized_enough(ctx))
			break;
		if (stress_expired(ctx))
			break;
		for (j = 0; j < STRESS_CHURN; j++) {
			id = STRESS_STABLE + (j * 5 + wave * 37) % STRESS_CHURN;
			mine = ctx->overlap || id % ctx->nparts == th->part;
			if (mine)
				stress_write(ctx, id, true, 0);
			if (j % 8 == 0) {
				gen = (gen + 1) & STRESS_GEN_MASK;
				stress_write(ctx,
					     (j / 8 + wave) % STRESS_STABLE,
					     true, gen);
			}
			stress_maybe_pause(ctx, &resizes);
		}
		for (j = 0; j < STRESS_CHURN; j++) {
			id = STRESS_STABLE + (j * 11 + wave * 13) % STRESS_CHURN;
			mine = ctx->overlap || id % ctx->nparts == th->part;
			if (mine)
				stress_write(ctx, id, false, 0);
			stress_maybe_pause(ctx, &resizes);
		}
		cond_resched();
	}
	th->rounds = wave;
	if (ctx->overlap) {
		/* Once no one inserts any more, delete every churned key. */
		atomic_inc(&ctx->writers_waved);
		while (atomic_read(&ctx->writers_waved) < ctx->nparts &&
		       !kthread_should_stop() && !stress_expired(ctx))
			usleep_range(1000, 2000);
		/* Past the deadline another may still insert: no check. */
		all = atomic_read(&ctx->writers_waved) >= ctx->nparts;
		if (all)
			atomic_inc(&ctx->final_checked);
		for (j = 0; j < STRESS_CHURN; j++)
			stress_final_delete(ctx, STRESS_STABLE + j, all);
	}
	if (atomic_dec_and_test(&ctx->writers_left))
		complete(&ctx->writer_done);
	stress_wait_stop();
	return 0;
}

/* ---- Walker ---- */

/* Is @key (reversed hash @r) after @prev (@prev_r) in walk order? */
static bool stress_after(const struct hmap_kunit_key *key, u64 r,
			 const struct hmap_kunit_key *prev, u64 prev_r)
{
	if (r != prev_r)
		return r > prev_r;
	return memcmp(key, prev, sizeof(*key)) > 0;
}

static void stress_walk(struct stress_thread *th)
{
	struct stress_ctx *ctx = th->ctx;
	struct hmap_kunit_key key, prev = {};
	struct hmap_iter iter;
	struct hmap_stats st;
	bool have_prev = false, in_resize;
	u64 value, r, prev_r = 0, resizes;
	u32 klen, vlen, steps = 0, found;
	int ret;

	bitmap_zero(th->seen, STRESS_NIDS);
	hmap_get_stats(ctx->map, &st);
	resizes = stress_resizes(&st);
	in_resize = st.resizing != HMAP_RESIZE_NONE;
	ret = hmap_iter_start(ctx->map, &iter);
	if (ret) {
		stress_fail(ctx, &ctx->walk_errors, "hmap_iter_start()", 0,
			    ret);
		return;
	}
	for (;;) {
		klen = 0;
		vlen = 0;
		value = 0;
		memset(&key, 0, sizeof(key));
		ret = hmap_iter_next(&iter, &key, &klen, &value, &vlen);
		if (ret)
			break;
		if (++steps > STRESS_NIDS) {
			stress_fail(ctx, &ctx->walk_errors, "walk runaway", 0,
				    steps);
			break;
		}
		if (steps % 256 == 0)
			usleep_range(1000, 2000);
		else
			cond_resched();
		if (klen != sizeof(key) || vlen != sizeof(value) ||
		    key.id >= STRESS_STABLE + STRESS_CHURN ||
		    key.hash != hmap_kunit_mix(key.id) ||
		    !stress_value_ok(key.id, value)) {
			stress_fail(ctx, &ctx->walk_bad, "walk entry", key.id,
				    value);
			continue;
		}
		if (__test_and_set_bit(key.id, th->seen))
			stress_fail(ctx, &ctx->walk_dups, "walk duplicate",
				    key.id, 0);
		r = hmap_kunit_rev(key.hash);
		if (have_prev && !stress_after(&key, r, &prev, prev_r))
			stress_fail(ctx, &ctx->walk_order, "walk order", key.id,
				    prev.id);
		have_prev = true;
		prev_r = r;
		prev = key;
	}
	if (ret && ret != -ENOENT)
		stress_fail(ctx, &ctx->walk_errors, "hmap_iter_next()", 0, ret);
	hmap_iter_stop(&iter);

	found = bitmap_weight(th->seen, STRESS_STABLE);
	if (found != STRESS_STABLE)
		stress_fail(ctx, &ctx->walk_missing, "walk missed stable keys",
			    find_first_zero_bit(th->seen, STRESS_STABLE),
			    STRESS_STABLE - found);
	hmap_get_stats(ctx->map, &st);
	if (in_resize || st.resizing != HMAP_RESIZE_NONE ||
	    stress_resizes(&st) != resizes)
		atomic_long_inc(&ctx->walks_in_resize);
	th->rounds++;
	atomic_long_inc(&ctx->walks);
}

/* Walk the map over and over, sleeping now and then, until stopped. */
static int stress_walker(void *arg)
{
	struct stress_thread *th = arg;

	while (!kthread_should_stop()) {
		if (th->rounds >= STRESS_MAX_WALKS || stress_expired(th->ctx)) {
			stress_wait_stop();
			break;
		}
		stress_walk(th);
		cond_resched();
	}
	return 0;
}

/* ---- Set-up and tear-down ---- */

static int stress_thread_fn(void *arg)
{
	struct stress_thread *th = arg;

	switch (th->role) {
	case STRESS_READER:
		return stress_reader(th);
	case STRESS_WRITER:
		return stress_writer(th);
	default:
		return stress_walker(th);
	}
}

static void stress_stop_all(struct stress_ctx *ctx)
{
	int i;

	for (i = 0; i < ctx->nthreads; i++) {
		if (!ctx->threads[i].task)
			continue;
		kthread_stop(ctx->threads[i].task);
		ctx->threads[i].task = NULL;
	}
}

static int stress_res_init(struct kunit_resource *res, void *ctx)
{
	res->data = ctx;
	return 0;
}

/* Stops the threads if the case ends before it stopped them itself. */
static void stress_res_free(struct kunit_resource *res)
{
	stress_stop_all(res->data);
}

/*
 * A map holding the stable keys, the background worker on, and a context
 * whose threads are stopped before the map is destroyed, whatever happens.
 */
static struct stress_ctx *stress_setup(struct kunit *test, bool chosen_hash)
{
	struct hmap_kunit_key key;
	struct stress_ctx *ctx;
	u64 value;
	u32 id;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->test = test;
	ctx->deadline = jiffies + STRESS_TIME_LIMIT;
	init_completion(&ctx->writer_done);
	/* One writer unless the case says otherwise before spawning. */
	ctx->nparts = 1;
	atomic_set(&ctx->writers_left, 1);
	ctx->map = hmap_kunit_map(test, STRESS_NIDS, STRESS_STABLE,
				  chosen_hash);
	for (id = 0; id < STRESS_STABLE; id++) {
		stress_key(id, &key);
		value = stress_value(id);
		KUNIT_ASSERT_EQ(test, hmap_update(ctx->map, &key, sizeof(key),
						  &value, sizeof(value),
						  HMAP_NOEXIST), 0);
	}
	hmap_test_run_background(ctx->map);
	hmap_test_set_background(ctx->map, true);
	hmap_get_stats(ctx->map, &ctx->before);
	KUNIT_ASSERT_EQ(test, ctx->before.count, (u64)STRESS_STABLE);

	/* Registered after the map: freed, so run, before it is destroyed. */
	if (!kunit_alloc_resource(test, stress_res_init, stress_res_free,
				  GFP_KERNEL, ctx))
		KUNIT_FAIL_AND_ABORT(test, "cannot register thread cleanup");
	return ctx;
}

/* Up to two online CPUs; the same one twice if there is only one. */
static void stress_cpus(int cpus[2])
{
	int cpu, n = 0;

	for_each_online_cpu(cpu) {
		if (n < 2)
			cpus[n++] = cpu;
	}
	if (n < 2)
		cpus[1] = cpus[0];
}

static void stress_spawn(struct stress_ctx *ctx, enum stress_role role, int cpu)
{
	struct stress_thread *th;
	struct task_struct *task;

	if (ctx->nthreads >= STRESS_MAX_THREADS) {
		ctx->start_errors++;
		return;
	}
	th = &ctx->threads[ctx->nthreads];
	th->ctx = ctx;
	th->role = role;
	th->cpu = cpu;
	if (role == STRESS_WRITER)
		th->part = ctx->nwriters++;
	task = kthread_create(stress_thread_fn, th, "hmap_stress/%d:%d",
			      ctx->nthreads, cpu);
	if (IS_ERR(task)) {
		ctx->start_errors++;
		return;
	}
	kthread_bind(task, cpu);
	th->task = task;
	ctx->nthreads++;
	wake_up_process(task);
}

/* Wait for the writer's waves (or the safety net), then stop everyone. */
static void stress_run(struct stress_ctx *ctx)
{
	unsigned long until = jiffies + STRESS_WAIT_LIMIT;
	bool done = false;
	int i;

	while (!ctx->start_errors && !done && time_before(jiffies, until))
		done = wait_for_completion_timeout(&ctx->writer_done, 10 * HZ);
	stress_stop_all(ctx);
	/* The waves of the slowest writer. */
	ctx->waves = STRESS_MAX_WAVES;
	for (i = 0; i < ctx->nthreads; i++)
		if (ctx->threads[i].role == STRESS_WRITER)
			ctx->waves = min_t(u32, ctx->waves,
					   ctx->threads[i].rounds);
	KUNIT_EXPECT_EQ(ctx->test, ctx->start_errors, 0);
	KUNIT_EXPECT_TRUE_MSG(ctx->test, done || ctx->start_errors,
			      "the writer did not finish its waves");
}

/* Threads are stopped: report what they counted. */
static void stress_report(struct stress_ctx *ctx, struct hmap_stats *st)
{
	struct kunit *test = ctx->test;
	struct hmap_kunit_key key;
	u32 id, len;
	u64 value;

	if (atomic_read(&ctx->failed))
		kunit_info(test, "first failure: %s, id %llu, got %llx",
			   ctx->fail_what, ctx->fail_id, ctx->fail_got);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->misses), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->wrong), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->false_hits), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->write_errors), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->walk_bad), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->walk_dups), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->final_dups), 0L);
	/* Not an error (the deadline cut the waves), but say so. */
	if (ctx->overlap &&
	    (u32)atomic_read(&ctx->final_checked) < ctx->nparts)
		kunit_info(test,
			   "final pass checked for keys deleted twice by %u of %u writers only (the deadline cut the waves)",
			   (u32)atomic_read(&ctx->final_checked), ctx->nparts);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->walk_order), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->walk_missing), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->walk_errors), 0L);

	hmap_get_stats(ctx->map, st);
	kunit_info(test,
		   "waves %u, grows %llu, shrinks %llu, same-size %llu, by worker %llu, lookups %ld (%ld in a resize), walks %ld (%ld in a resize)",
		   ctx->waves, st->grows - ctx->before.grows,
		   st->shrinks - ctx->before.shrinks,
		   st->same_size_grows - ctx->before.same_size_grows,
		   st->evacuated_by_background -
		   ctx->before.evacuated_by_background,
		   atomic_long_read(&ctx->lookups),
		   atomic_long_read(&ctx->lookups_in_resize),
		   atomic_long_read(&ctx->walks),
		   atomic_long_read(&ctx->walks_in_resize));

	/* The resizes the case is about did happen. */
	KUNIT_EXPECT_GE(test, ctx->waves, (u32)STRESS_WAVES);
	KUNIT_EXPECT_GE(test, st->grows - ctx->before.grows, 4ULL);
	KUNIT_EXPECT_GE(test, st->shrinks - ctx->before.shrinks, 4ULL);
	KUNIT_EXPECT_GT(test, st->evacuated_by_background,
			ctx->before.evacuated_by_background);

	/* Only the stable keys are left, with their values. */
	KUNIT_EXPECT_EQ(test, st->count, (u64)STRESS_STABLE);
	for (id = 0; id < STRESS_STABLE + STRESS_CHURN; id++) {
		stress_key(id, &key);
		if (id >= STRESS_STABLE) {
			KUNIT_EXPECT_EQ(test, hmap_lookup(ctx->map, &key,
							  sizeof(key), &value,
							  &len), -ENOENT);
			continue;
		}
		KUNIT_EXPECT_EQ(test, hmap_lookup(ctx->map, &key, sizeof(key),
						  &value, &len), 0);
		KUNIT_EXPECT_TRUE(test, stress_value_ok(id, value));
	}
}

/*
 * Lookups of both kinds on both CPUs, while one writer churns other keys
 * through grows and shrinks and replaces the stable keys' values.
 */
static void hmap_stress_test_lookup_resize(struct kunit *test)
{
	struct stress_ctx *ctx = stress_setup(test, false);
	struct hmap_stats st;
	int cpus[2], i;

	stress_cpus(cpus);
	stress_spawn(ctx, STRESS_READER, cpus[0]);
	stress_spawn(ctx, STRESS_READER, cpus[1]);
	stress_spawn(ctx, STRESS_WRITER, cpus[0]);
	stress_run(ctx);
	stress_report(ctx, &st);

	KUNIT_EXPECT_GT(test, atomic_long_read(&ctx->lookups_in_resize), 0L);
	for (i = 0; i < ctx->nthreads; i++)
		if (ctx->threads[i].role == STRESS_READER)
			KUNIT_EXPECT_GT(test, ctx->threads[i].rounds, 0ULL);
}

/*
 * One thread walks the map again and again while a writer on the other
 * CPU churns keys through grows and shrinks: each walk returns every
 * stable key exactly once. Chosen hashes let the walker check the order.
 */
static void hmap_stress_test_walk_resize(struct kunit *test)
{
	struct stress_ctx *ctx = stress_setup(test, true);
	struct hmap_stats st;
	int cpus[2];

	ctx->min_walks = STRESS_MIN_WALKS;
	stress_cpus(cpus);
	stress_spawn(ctx, STRESS_WALKER, cpus[0]);
	stress_spawn(ctx, STRESS_WALKER, cpus[1]);
	stress_spawn(ctx, STRESS_WRITER, cpus[1]);
	stress_run(ctx);
	stress_report(ctx, &st);

	KUNIT_EXPECT_GE(test, atomic_long_read(&ctx->walks),
			(long)STRESS_MIN_WALKS);
	KUNIT_EXPECT_GT(test, atomic_long_read(&ctx->walks_in_resize), 0L);
}

/*
 * A writer on each CPU, a reader and a walker beside them: with disjoint
 * key sets (each writer the ids of its parity) or shared ones.
 */
static void stress_two_writers(struct kunit *test, bool overlap)
{
	struct stress_ctx *ctx = stress_setup(test, true);
	struct hmap_stats st;
	int cpus[2];

	ctx->overlap = overlap;
	ctx->nparts = 2;
	atomic_set(&ctx->writers_left, 2);
	ctx->min_walks = STRESS_MIN_WALKS;
	stress_cpus(cpus);
	stress_spawn(ctx, STRESS_WRITER, cpus[0]);
	stress_spawn(ctx, STRESS_WRITER, cpus[1]);
	stress_spawn(ctx, STRESS_READER, cpus[0]);
	stress_spawn(ctx, STRESS_WALKER, cpus[1]);
	stress_run(ctx);
	stress_report(ctx, &st);

	KUNIT_EXPECT_EQ(test, ctx->nwriters, 2U);
	KUNIT_EXPECT_GE(test, atomic_long_read(&ctx->walks),
			(long)STRESS_MIN_WALKS);
	KUNIT_EXPECT_GT(test, atomic_long_read(&ctx->lookups), 0L);
}

static void hmap_stress_test_two_writers_disjoint(struct kunit *test)
{
	stress_two_writers(test, false);
}

static void hmap_stress_test_two_writers_overlap(struct kunit *test)
{
	stress_two_writers(test, true);
}

static struct kunit_case hmap_stress_cases[] = {
	KUNIT_CASE(hmap_stress_test_lookup_resize),
	KUNIT_CASE(hmap_stress_test_walk_resize),
	KUNIT_CASE(hmap_stress_test_two_writers_disjoint),
	KUNIT_CASE(hmap_stress_test_two_writers_overlap),
	{}
};

struct kunit_suite hmap_stress_suite = {
	.name = "hmap_stress",
	.test_cases = hmap_stress_cases,
};
