// SPDX-License-Identifier: GPL-2.0
/*
 * hmap core: the map, its lookups and writes, and incremental resizing.
 *
 * Names in this file (and in hmap_iter.c and hmap_internal.h) follow one
 * rule, so that a name says how it may be called:
 *
 * - hmap_*_rcu(): the caller holds rcu_read_lock(). Every function that
 *   needs it is named so, static or not (hmap_lookup_rcu(),
 *   hmap_find_elem_rcu(), and hmap_chain_next_rcu() and the dump walkers
 *   of hmap_iter.c), and marked __must_hold(RCU); rcu_dereference()
 *   checks it under PROVE_RCU.
 * - &hmap.lock held: every function that needs it is marked
 *   __must_hold(&map->lock) and calls lockdep_assert_held(), for sparse
 *   and lockdep to check. A stripe lock held (the buckets):
 *   __must_hold(&map->stripes) and hmap_assert_table(); every lock held
 *   (hmap_lock_all(): the tables): __must_hold(&map->resize_lock) and
 *   hmap_assert_all(). The kernel's __ prefix (as in __skb_queue_tail())
 *   says it too on a function another file calls with a map lock held:
 *   __hmap_test_prealloc() (&hmap.work_lock), the one there is. The
 *   functions called without &hmap.lock that take it themselves
 *   (hmap_reserve_fill(), hmap_spare_fill(), hmap_evacuate_all()) say so
 *   in their comment. The static ones (the resize
 *   machinery, hmap_evacuate*(), hmap_resize_*(), hmap_spare_*(), ...,
 *   and the steps of a write, hmap_find_for_write(), ...) run only inside
 *   a write or a work item of this file that took the lock, and are named
 *   for what they do; _locked is not used.
 * - hmap_*_work(): the function of a work item, run by the workqueue and
 *   never called directly.
 * - hmap_stat_*(): the per-CPU statistics counters, listed once by the
 *   HMAP_STAT() lines of <uapi/linux/hmap_stats.h>; "count" is only the
 *   entry count, &hmap.count (hmap_count()).
 * - hmap_test_*(): hooks for the KUnit suites, built with CONFIG_KUNIT.
 * - A variant that does not differ by the lock is named for what differs
 *   (hmap_hash_inline(), hmap_do_update()). Freeing "after a grace
 *   period" is said with _deferred (hmap_elem_free_deferred()), not _rcu.
 * - @t is a bucket array (struct hmap_table), @b a bucket, @e an element,
 *   @i or @slot an index; "bits" and B are both log2 of a table's bucket
 *   count (B is Go's name, and the UAPI's).
 */

/**
 * DOC: Theory of operation
 *
 * A map is an array of 2^B buckets. A key is hashed with SipHash-1-3 (the
 * rounds of the kernel's hsiphash() on 64-bit, with a 64-bit result) under
 * a random key chosen when the map is created, so that nobody can choose
 * keys that collide (an in-kernel map whose keys nobody untrusted
 * chooses may ask for jhash instead, %HMAP_F_JHASH, which takes fewer
 * instructions). The low B bits of the hash pick the bucket; the top 8
 * bits are the slot's tag byte (tophash), so a lookup compares the eight
 * tags of a bucket at once and dereferences only an element whose tag
 * matches. A bucket holds eight slots; when all are taken, an overflow
 * bucket is chained behind it::
 *
 *   struct hmap_bucket (80 bytes)
 *   +----+----+----+----+----+----+----+----+
 *   | t0 | t1 | t2 | t3 | t4 | t5 | t6 | t7 |  tophash: tag or marker
 *   +----+----+----+----+----+----+----+----+
 *   | e0 | e1 | e2 | e3 | e4 | e5 | e6 | e7 |  __rcu pointers to elements
 *   +----+----+----+----+----+----+----+----+       (hash, lengths, key, value)
 *   | overflow ---------------------------------> next bucket of the chain
 *   +-----------------------------------------+
 *
 * Tags below 5 are markers, as in Go: EMPTY_REST (0: this slot and every
 * later slot of the chain is empty, so a scan stops), EMPTY_ONE (1), and
 * in a bucket that has been moved to a new array EVACUATED_X (2),
 * EVACUATED_Y (3) and EVACUATED_EMPTY (4); a real tag below 5 is bumped
 * by 5. Unlike Go's, slots hold pointers to elements, so an update
 * replaces an element whole and readers never see a torn value.
 *
 * Resizing follows Go's map and goes one step further. The array doubles
 * (a grow) when an insert would take the map above 6.5 entries per bucket
 * (and above 8 entries), is rebuilt at the same size (a same-size grow)
 * when as many overflow buckets as buckets were added since the array was
 * built, and halves (a shrink) when a delete leaves fewer than 1.625
 * entries per bucket: a quarter of the grow threshold, so that a map at
 * either boundary does not flap. When the worker finishes a resize it
 * starts the next one the map is due for, a grow, a same-size grow or a
 * shrink (and comes back for it if its array failed, after 20 ms doubling
 * with every failure in a row to about 5 s: %HMAP_BG_BACKOFF_SHIFT), so
 * a map no one writes still ends at the size it needs: an emptied map
 * ends small, an %HMAP_F_ATOMIC map whose inserts stopped above its load
 * ends without long chains; hmap_shrink_to_fit() goes to the smallest
 * size in one shrink, or, for a map above its load, grows to the size its
 * count needs, one doubling a resize.
 *
 * A resize only allocates the new array and links it as &hmap_table.next
 * of the old one. Every write then first evacuates the old bucket its key
 * hashes to and one more at @nevacuate, two at most. Old bucket i goes to
 * new bucket i (X) or i + 2^(B-1) (Y), by the newly significant hash bit,
 * in a grow; to i in a same-size grow; to i mod 2^B' in a shrink to 2^B'
 * buckets. When @nevacuate reaches the old size, the new array becomes
 * &hmap.tbl and the old one is freed after a grace period.
 *
 * Bucket arrays are never allocated under the map's locks, which are
 * spinlocks (see "Concurrency contract"). A resize starts only with an
 * array at hand (&hmap.spare). When a write finds one due and none there,
 * a writer that may sleep drops its stripe, allocates it, and tries once
 * more; a writer that may not (a map created with %HMAP_F_ATOMIC) has
 * @prealloc_work allocate it, which then starts the resize. A map has one
 * allocation of its spare array in flight at a time (&hmap.array_busy):
 * writers that race to the same resize do not each allocate an array.
 * (hmap_shrink_to_fit() allocates an array of its own, which it
 * keeps, without &hmap.work_lock: two calls may each have one in the
 * allocator and interleave their rounds, each checked again under
 * hmap_lock_all().) Meanwhile writes go
 * on into overflow chains, so an insert does not fail for want of an
 * array, up to a bound once the allocation of the due grow's array has
 * failed: past 2^%HMAP_NOARRAY_SLACK (8) times the grow's load (52
 * entries per bucket on average) a writer that may sleep waits for the
 * allocation in flight, or makes one if none is (a writer sooner than
 * %HMAP_BG_RETRY, 20 ms, after a failed one sleeps out the rest first,
 * and makes none if another's failed meanwhile), and an insert that
 * still has no array fails with -ENOMEM, so that
 * chains, and the time a write holds its stripe, stay bounded while the
 * allocator fails. An allocation merely in flight bounds nothing, nor
 * does a failed one that is not the due grow's (a shrink's, or one
 * allocated ahead). But whoever asks (writers, deletes, the worker, the
 * work that allocates ahead; not hmap_shrink_to_fit() nor hmap_clear(),
 * which a caller asks for), no array of the size that failed last is
 * tried within %HMAP_BG_RETRY of that failure: while arrays of one size
 * fail, a map tries at most one per %HMAP_BG_RETRY, plus the one in
 * flight. The next array of a large map (2^10 buckets or more: see
 * %HMAP_PREALLOC_MIN_B) is allocated and zeroed ahead by that work once
 * the map is three quarters of the way to the grow, so that the write
 * that starts the grow finds it ready. An array allocated ahead that no
 * resize comes for is freed by the worker once writes have stopped for
 * %HMAP_SPARE_IDLE (a second).
 *
 * The same-size grow is Go's trigger made to converge. Go's map.go starts
 * one when noverflow >= 2^min(B, 15) but above B = 15 counts an overflow
 * bucket only with probability 2^-(B-15), so its threshold means "as many
 * overflow buckets as buckets" at every B; hmap says that directly. Counting
 * only the overflow buckets added since the array was built (not those its
 * evacuation needed) makes a rebuild that cannot shorten the chains (keys
 * that really collide) start no other until as many again are added, and
 * that takes at least 2^B inserts: a same-size grow is never started by
 * every write. Random keys at the grow threshold need about 0.21 overflow
 * buckets per bucket (P(X > 8) for X ~ Poisson(6.5)), far from the trigger;
 * only chains that deletes left half empty reach it.
 *
 * A resize ends in bounded time whatever the write rate: the background
 * worker starts with it and evacuates up to %HMAP_BG_BATCH (64) old
 * buckets per turn, in holds of the lock of %HMAP_EVAC_HOLD (8) buckets
 * walked (heads and overflow buckets of the old chains), beside the
 * writers, until it is done, so a resize from 2^B old buckets of short
 * chains takes about 2^B / %HMAP_BG_BATCH turns of the worker, and writes
 * only take buckets off it. The bound holds while overflow buckets can be
 * allocated; when they cannot, the worker tries again after
 * %HMAP_BG_RETRY (20 ms) and the resize waits for memory.
 *
 * Writers to different buckets run in parallel: the buckets are guarded
 * by lock stripes, not by one lock (see "Concurrency contract"). A
 * bucket's stripe is the low bits of its index, as many as the smallest
 * live array allows, so that one stripe lock covers a bucket and every
 * bucket it evacuates into or from: in a grow, old bucket i moves to new
 * buckets i and i + 2^B, which share i's low B bits; in a shrink to 2^B'
 * buckets, new bucket i takes old buckets i and i + 2^B', which share
 * the low B' bits; in a same-size grow, i goes to i.
 *
 * Evacuation copies element pointers, it does not copy or free elements,
 * and it never modifies the old bucket except to replace its tags with
 * EVACUATED_* markers, tag 0 of the head bucket last, with a release
 * store. The old bucket keeps its element pointers, so a lookup that
 * started scanning it before the evacuation still finds its key. The
 * elements stay where they are; only an element deleted or replaced later
 * is freed, after a grace period.
 */

/**
 * DOC: Concurrency contract
 *
 * - Lookups (hmap_lookup_rcu(), hmap_lookup(), hmap_dump() and
 *   hmap_iter_next()) run under rcu_read_lock() and never take a lock;
 *   hmap_lookup_rcu(), hmap_lookup() and hmap_dump() in any context (the
 *   iterator allocates at its start: process context). A lookup starts at
 *   &hmap.tbl; if the head of its bucket there is marked evacuated (an
 *   acquire load, paired with the release store that marks it after every
 *   entry was published in the new array), it moves on to &hmap_table.next.
 *   Entries never move within a live array and a marked-evacuated slot still
 *   points to its element, so a lookup never misses a key present for the
 *   whole lookup, whatever resize or evacuation runs beside it. Striping
 *   changes nothing for them: a bucket is still changed by one writer at
 *   a time (the holder of its stripe), in the same order of stores, and
 *   an old array is still freed only after a grace period that follows
 *   the commit, which holds every stripe.
 * - Three kinds of spinlock_t. In an %HMAP_F_ATOMIC map all are taken
 *   with interrupts off, so that a writer may run in any context:
 *   process, softirq or hardirq, interrupts on or off, and under the
 *   caller's own spinlock_t locks; not in NMI, and, on every kernel, not
 *   under a raw_spinlock_t (see "Not under a raw_spinlock_t" below). In
 *   any other map, whose writers are process context only (they may
 *   sleep), a writer takes its stripe, and &hmap.lock under it, with
 *   interrupts on (hmap_stripe_lock_one()), and so does hmap_lock_all():
 *   a writer pays for no interrupt disabling, and interrupts are served
 *   while it holds its stripe. The
 *   three locks of such a map are of lockdep classes of their own
 *   (hmap_lock_keys_sleeping), so that lockdep checks that nothing takes
 *   them in an interrupt.
 *
 *   1. The stripe locks, &hmap.stripes[0 .. @nstripes - 1] (a power of
 *      two: twice the possible CPUs, at most %HMAP_STRIPES_MAX, each on
 *      its own cache line). A hash h (or a bucket index) is in stripe
 *      h & &hmap.stripe_mask, and the mask is min(@nstripes, 2^B of the
 *      smallest live array) - 1, so a stripe covers whole buckets of
 *      every live array, and the old bucket a write evacuates and the new
 *      buckets it fills are in the stripe of its key (see "Theory of
 *      operation"). A map of one bucket has one stripe. The holder of a
 *      stripe may read and change the buckets of that stripe in every
 *      live array, and read &hmap.tbl, &hmap_table.next, &hmap.resizing
 *      and the mask: those change only under all the stripes.
 *   2. &hmap.resize_lock, the outer lock of hmap_lock_all(), which takes
 *      it, then every stripe in index order (spin_lock_nest_lock(): lockdep
 *      accepts many locks of one class under a nest lock, and nobody takes
 *      two stripes without it except by spin_trylock()), then &hmap.lock.
 *      What changes the tables holds them all: the start of a resize
 *      (linking the new array, setting @resizing, @nevacuate and the
 *      mask), its commit (&hmap.tbl to the new array, the old one retired),
 *      hmap_clear(); and whatever reads several buckets of the newest
 *      array at once or the map's whole state (hmap_get_stats(),
 *      hmap_get_histogram()'s holds, hmap_shrink_to_fit()'s decisions).
 *      A writer waits for that on its stripe; the holds are short (no
 *      chain is walked under them but by hmap_get_histogram(), in holds
 *      of %HMAP_HIST_HOLD buckets).
 *   3. &hmap.lock, the state lock: the reserve of overflow buckets, the
 *      spare array and its allocation (@spare, @array_busy, @array_failed,
 *      @want_array, @want_ahead), @reserve_need, @dying and the works'
 *      queueing. Innermost: taken alone, under one stripe (or two: a
 *      write's second bucket, its stripe taken with spin_trylock()) or
 *      under hmap_lock_all(), never the other way round.
 *
 * - A write (hmap_update(), hmap_delete()) hashes its key, locks its stripe
 *   (hmap_stripe_lock(): read the mask, lock, check the mask did not
 *   change meanwhile, else take the right one), and during a resize
 *   evacuates the old bucket of its key (same stripe) and the one at
 *   @nevacuate: Go's bound, two old buckets per write. The second is in
 *   another stripe unless its index has the same low bits; that stripe is
 *   taken with spin_trylock() only, and the bucket skipped when it is
 *   busy, so a writer never waits for a second stripe (no deadlock
 *   between two writers that each want the other's) and the bound stays
 *   "at most two". Whoever evacuates bucket @nevacuate advances it (under
 *   that bucket's stripe alone: every write of @nevacuate holds the
 *   stripe of the bucket it points at, or all of them, so the stripe
 *   orders the advances) past every bucket evacuated already, up to
 *   %HMAP_ADVANCE_SCAN (64) of them, reading their tag 0 with acquire;
 *   the markers of a resize are set once. When it reaches
 *   the end, the write drops its stripe and commits (hmap_resize_finish(),
 *   under hmap_lock_all(), which checks that no one else did). The worker
 *   evacuates beside the writers one bucket at a time, each under its
 *   stripe, so a resize ends even if every second bucket was skipped.
 *   A write that finds a resize due drops its stripe and starts it under
 *   hmap_lock_all() if the spare array is there (once per write), else
 *   has it allocated as before; a delete that leaves the map below its
 *   load starts the shrink the same way, after its stripe is dropped. A
 *   delete whose key's old bucket cannot be evacuated for want of
 *   overflow buckets deletes in place, in the old chain (the key is
 *   there: no write puts an entry in the new array before its old
 *   bucket is evacuated), as any delete clears a slot; the evacuation
 *   later moves the chain without it. So a delete needs no memory.
 * - The count (&hmap.count) is an atomic_long_t: an insert adds one with
 *   atomic_long_add_unless(count, 1, max_entries) under its stripe, as
 *   its last step that can fail (its overflow bucket is taken before,
 *   and goes back to the reserve on -E2BIG), and publishes its entry in
 *   the same hold; a delete subtracts one in the hold that clears the
 *   slot; hmap_clear() sets it to 0 under every stripe, when no insert
 *   is between its increment and its publication. So the count is
 *   exactly the entries once writers are done, and max_entries is
 *   enforced exactly, with no slack: the count never exceeds it, and an
 *   insert gets -E2BIG only if the map held max_entries at some moment
 *   of the call (an early check without the atomic, then the atomic one).
 *   The cost is one shared cache line per insert and delete (BPF's htab
 *   uses a per-CPU counter with a batch slack to avoid it; not done
 *   here). The resize
 *   triggers read the count and &hmap_table.noverflow (atomic too) without
 *   a lock; they are checked again under hmap_lock_all() before a resize
 *   starts.
 * - What writers of different stripes still share: the count's cache line
 *   (one atomic per insert and delete); &hmap.last_write, written at most
 *   once per jiffy; and &hmap.lock, which an insert takes only when it
 *   needs an overflow bucket from the reserve, when a resize is due, or
 *   near a grow of a large map (the allocation ahead), and an evacuation
 *   takes when it needs one; and @nevacuate's cache line, written by the
 *   evacuation of the bucket at it (a write's second bucket, the
 *   worker's). Per-stripe reserves would lift the first; not done.
 * - Nothing under any of these locks sleeps: elements are allocated
 *   before the stripe is taken; overflow buckets under it come from the
 *   map's reserve (%HMAP_RESERVE buckets, refilled with GFP_KERNEL outside
 *   the locks) and, only for the writers of an %HMAP_F_ATOMIC map, from
 *   GFP_ATOMIC once the reserve is empty (which then has @prealloc_work
 *   refill it). A writer that may sleep, and the works, never take
 *   GFP_ATOMIC buckets: when the reserve is short they drop the stripe,
 *   allocate what they need with GFP_KERNEL and try again. Bucket arrays
 *   are never allocated under a lock (a writer that may sleep allocates
 *   one after dropping its stripe, else @prealloc_work does); an element
 *   replaced or deleted is freed after the stripe is dropped (kfree_rcu()
 *   on the rcu_head an %HMAP_F_ATOMIC map's elements carry before them,
 *   kfree_rcu_mightsleep() for other maps, whose elements carry none);
 *   arrays go through queue_rcu_work().
 * - How long a stripe is held (with interrupts off in an %HMAP_F_ATOMIC
 *   map): for one write, which
 *   evacuates two old chains (plus one each time it came back after
 *   dropping the lock to allocate), walks its key's chain and inserts; or
 *   for one old chain evacuated by the worker or hmap_shrink_to_fit().
 *   hmap_lock_all() is held for a table swap, a stats snapshot, a
 *   decision of hmap_shrink_to_fit() or the worker, or %HMAP_HIST_HOLD
 *   buckets of hmap_get_histogram(). Each evacuation of the bucket at
 *   @nevacuate also reads the tag 0 of up to %HMAP_ADVANCE_SCAN (64) old
 *   heads to advance it (a write does two evacuations at most, plus one
 *   per relock; the worker one per old chain): a cache miss each, no
 *   chain walked. So the bound is in chain lengths, as
 *   before: a few buckets for keys hashed with the map's random seed at
 *   the load the map keeps, and once a grow's array failed to be
 *   allocated at most 2^%HMAP_NOARRAY_SLACK times that on average (then
 *   inserts fail). Only the newest array is written; old arrays are
 *   read-only but for their markers, and for a delete in place in a
 *   chain not yet evacuated (which clears a slot as any delete does).
 * - Which writer may run where is chosen at creation: with %HMAP_F_ATOMIC
 *   (elements allocated with GFP_ATOMIC) hmap_update() and hmap_delete()
 *   run in any context and never sleep; without it they may sleep in the
 *   allocator (outside the locks) and are for process context, which
 *   might_sleep() checks. hmap_clear(), hmap_shrink_to_fit(),
 *   hmap_get_histogram(), hmap_iter_start(), hmap_create() and
 *   hmap_destroy() stay process context for every map: they allocate
 *   arrays, wait for works, or walk the whole array. hmap_get_stats()
 *   runs in any context but NMI: it takes every lock briefly where the
 *   map's writers may run (any context for an %HMAP_F_ATOMIC map, process
 *   context for the others), and elsewhere reads each field without a
 *   lock (an interrupt that took the locks on the CPU of a writer holding
 *   its stripe with interrupts on would spin forever); hmap_count() runs
 *   in any context.
 * - PREEMPT_RT: spinlock_t is a sleeping lock there. Writers then run
 *   only where a spinlock_t may be taken (elsewhere hmap_get_stats()
 *   reads without the locks):
 *   process context, softirq and threaded interrupt handlers (the default
 *   there); not in a hard interrupt (HRTIMER_MODE_HARD,
 *   IRQ_WORK_HARD_IRQ), not with interrupts or preemption disabled
 *   (local_irq_save(), preempt_disable()), and not under a
 *   raw_spinlock_t. A raw_spinlock_t would allow those, but then no
 *   allocation (not even GFP_ATOMIC) could be made under it on RT, and an
 *   insert must be able to allocate an overflow bucket; a map whose
 *   elements and buckets were all preallocated could use one.
 *   Lookups are lock-free and run anywhere on RT too.
 * - Not under a raw_spinlock_t, on any kernel: not from the scheduler
 *   (rq->lock, pi_lock: a tracepoint or kprobe in it), hrtimer bases,
 *   irq descriptors or console locks. A write takes spinlock_t under it
 *   (lockdep with CONFIG_PROVE_RAW_LOCK_NESTING says "Invalid wait
 *   context"), and may call queue_work() or mod_delayed_work() (a
 *   reserve running low, an array wanted, a resize started or ended),
 *   which wakes a kworker: try_to_wake_up() takes the runqueue's lock, a
 *   self-deadlock under the caller's rq->lock or pi_lock. A tracer must
 *   write from elsewhere (or defer the write, e.g. with irq_work).
 * - &hmap.work_lock, a mutex, serializes the side that sleeps: the two
 *   works, hmap_shrink_to_fit() and the test hooks. It is taken before
 *   any spinlock of the map and never under one, and no writer takes it.
 *   It is dropped across the allocation of a bucket array (zeroing
 *   megabytes): @prealloc_work's is exclusive by its claim
 *   (&hmap.array_busy), hmap_shrink_to_fit()'s is its own; so neither
 *   holds up the worker's evacuation or the reserve's refill.
 *   @prealloc_work does not take it again once it has claimed the
 *   allocation (it installs the array under hmap_lock_all()), so a
 *   writer waiting for the claim never waits for &hmap.work_lock, held
 *   for a whole hmap_shrink_to_fit().
 * - A writer that may sleep waits (wait_var_event() on
 *   &hmap.array_busy, holding no lock of the map) only past
 *   %HMAP_NOARRAY_SLACK, for an array allocation in flight: its claimant
 *   (a writer, @prealloc_work, a delete or a test hook) holds no lock
 *   while it allocates, and wakes it when it releases the claim.
 * - Against writers: hmap_clear() swaps in a new array under every lock,
 *   taken once, so each writer (which holds its stripe from its
 *   evacuation to its insert) is ordered before it (its entry is cleared)
 *   or after it; hmap_shrink_to_fit() finishes resizes writers start
 *   meanwhile and, when it returns 0, has fitted the count of a moment of
 *   the call (-EAGAIN when writers kept moving it); iterators and
 *   hmap_dump() return each entry present for the whole walk exactly
 *   once, and any other at most once (see hmap_iter.c: they depend only
 *   on the order of stores to a bucket, which one stripe holder makes);
 *   hmap_destroy() must not race with any other call on the map: a user
 *   of an %HMAP_F_ATOMIC map stops its interrupt-side writers first
 *   (del_timer_sync(), hrtimer_cancel(), synchronize_irq(), ...).
 * - Teardown is final. A map has two works: @bg_work (evacuation beside the
 *   writers, freeing an idle spare array) and @prealloc_work (allocating
 *   the next array ahead, or the missing one). Both are queued only under
 *   &hmap.lock, by hmap_bg_queue(), hmap_prealloc_ask(),
 *   hmap_want_array(), hmap_reserve_low() and hmap_array_release() (and
 *   the test hook __hmap_test_prealloc()), which do nothing once
 *   &hmap.dying is set.
 *   hmap_destroy() sets it under the lock first, then cancels
 *   @prealloc_work and @bg_work synchronously (in that order: a running
 *   @prealloc_work may still take the locks, and sees @dying), and queues
 *   the free of the map's tables for after a grace period. The map itself
 *   is freed by whichever comes last, that free or the free of a table it
 *   retired earlier (&hmap.refs). Once hmap_destroy() returns, neither of
 *   the map's two works runs again; what remains is the deferred free on
 *   the hmap workqueue, which touches nothing but the map's memory, and
 *   hmap_core_exit() waits for the deferred frees of every map before the
 *   module goes.
 * - An update publishes a new element with rcu_assign_pointer() and frees
 *   the old one after a grace period: a reader sees the old or the new
 *   value, never a mix.
 * - Memory that readers may reach (elements, bucket arrays with their
 *   overflow buckets) is freed only after a grace period.
 *
 * &hmap.lock protects: &hmap.spare, &hmap.want_array,
 * &hmap.want_ahead, &hmap.array_busy (also read by its waiters),
 * &hmap.array_failed, &hmap.array_failed_B, &hmap.array_failed_at,
 * &hmap.reserve, &hmap.nreserve, &hmap.reserve_need, &hmap.dying,
 * &hmap.array_failures.
 * hmap_lock_all() protects &hmap.tbl, the link from an old array to a new one,
 * &hmap.resizing and &hmap.stripe_mask (read under any stripe). A stripe
 * protects its buckets in every live array, and &hmap.nevacuate while it
 * points at one of them (read racily with READ_ONCE() elsewhere).
 * &hmap.count and &hmap_table.noverflow are atomic; &hmap.last_write is a
 * hint written and read with WRITE_ONCE() and READ_ONCE(). The counters
 * are per CPU and read without a lock.
 */

/**
 * DOC: Lock order
 *
 * Outermost first: a lock is only taken while holding none below it.
 *
 * 1. &hmap_file.bind_lock (hmap_dev.c), one per open /dev/hmap: held while
 *    HMAP_IOC_CREATE or HMAP_IOC_OPEN binds the file, across
 *    hmap_obj_create() and hmap_obj_open().
 * 2. hmap_reg_lock (hmap_registry.c), one mutex: the registry's objects,
 *    names and per-user charges (see the top of that file). It is held
 *    across hmap_debugfs_add(), hmap_debugfs_rename_destroyed() and
 *    hmap_debugfs_remove(), which check it.
 * 3. debugfs (hmap_debugfs.c): the directory locks debugfs takes to
 *    create, rename and remove a map's directory, and the wait in
 *    debugfs_remove_recursive() for readers still inside one of its
 *    files. A reader starts holding no hmap lock and takes the next one.
 * 4. &hmap.work_lock (the map core), one mutex per map: the map's two
 *    works, hmap_shrink_to_fit() and the test hooks.
 * 5. &hmap.resize_lock (the map core), one spinlock per map, interrupts
 *    off in an %HMAP_F_ATOMIC map, on in the others (as 6 and 7 under
 *    it): only as the first step of hmap_lock_all(). Never taken by a
 *    holder of a stripe: a writer that must change the tables drops its
 *    stripe first.
 * 6. &hmap.stripes[i].lock, one spinlock per stripe, interrupts off in
 *    an %HMAP_F_ATOMIC map, on in the others (a writer's first lock):
 *    one at a time, or several by hmap_lock_all()
 *    in index order under 5 (spin_lock_nest_lock()), or a second one by
 *    spin_trylock() (a write's second evacuation), which never waits.
 *    Callers of hmap_update() and hmap_delete() may hold their own
 *    spinlock_t locks (then the map must be %HMAP_F_ATOMIC), never a
 *    raw_spinlock_t: hmap takes no lock of theirs, so any caller's lock
 *    goes above 5 and 6.
 * 7. &hmap.lock (the map core), the state lock, interrupts off, except
 *    under 5 or 6 of a map without %HMAP_F_ATOMIC, where they stay on:
 *    alone, innermost under 6, or last in hmap_lock_all(). No one holds the
 *    locks of two maps at once.
 * 8. Taken under 5 to 7, and not by hmap: the slab's and the workqueue's
 *    internal locks (GFP_ATOMIC allocations, queue_work(),
 *    mod_delayed_work(), call_rcu()), a wait queue's (wake_up_var() in
 *    hmap_array_release()), and the scheduler's runqueue and pi_lock
 *    raw locks of the kworker or waiter those wake, all irq-safe: hence
 *    no write under a scheduler lock.
 * 9. rcu_read_lock(): lookups, iterators, hmap_dump() and its callback.
 *    Nothing under it sleeps or takes a mutex; a lookup under a writer's
 *    spinlock is fine (it takes no lock).
 *
 * Where one lock is taken under another: bind_lock, then hmap_reg_lock in
 * hmap_obj_create() and hmap_obj_open(); bind_lock, then the map's
 * spinlocks when hmap_obj_create() destroys the map it made because the
 * name was taken meanwhile; hmap_reg_lock, then a wait for debugfs
 * readers that take the map's spinlocks, in hmap_obj_release(), and in
 * hmap_obj_unname() when the rename of the map's directory fails and
 * hmap_debugfs_rename_destroyed() removes it instead; &hmap.work_lock,
 * then the spinlocks, in the works and hmap_shrink_to_fit(). What keeps
 * the order:
 *
 * - The map core calls nothing of the registry, debugfs or the device:
 *   under a map lock no other hmap lock is taken.
 * - A debugfs file never takes hmap_reg_lock: hmap_debugfs_remove() waits
 *   for its readers under that lock. It reads only what never changes in
 *   an object (name, id) and asks the core for the rest.
 * - hmap_obj_release() drops hmap_reg_lock before hmap_destroy(), which
 *   waits for the map's works (and, past %HMAP_DESTROY_PENDING_MAX, for
 *   grace periods and the workqueue). The per-map commands
 *   of /dev/hmap take no registry lock: a reference keeps their object.
 * - The map's works take &hmap.work_lock and the spinlocks, so no one
 *   cancels or flushes them while holding any: hmap_destroy() and
 *   hmap_test_set_background() unlock first. Nothing on the hmap
 *   workqueue takes hmap_reg_lock or a bind_lock, so hmap_destroy() may
 *   wait for it under bind_lock.
 * - Two stripes are held at once only under &hmap.resize_lock (all of
 *   them, in index order) or by spin_trylock() (a writer's second
 *   bucket): no cycle among stripes. Lockdep counts the stripes that
 *   hmap_lock_all() takes under their nest lock (spin_lock_nest_lock())
 *   as one held lock, so it sees three there, whatever @nstripes.
 * - Memory is allocated with GFP_KERNEL under locks 1 to 4 only (hmap
 *   has no shrinker, so reclaim takes none of them), and with GFP_ATOMIC
 *   under a stripe (and &hmap.lock) only by the writers of an
 *   %HMAP_F_ATOMIC map. Nothing under a spinlock waits for a grace
 *   period: elements are freed after it is dropped.
 */

#include <linux/bitops.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/memcontrol.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait_bit.h>
#include <kunit/visibility.h>

#include "hmap_compat.h"
#include "hmap_core.h"
#include "hmap_fault.h"
#include "hmap_internal.h"

#define CREATE_TRACE_POINTS
#include "hmap.h"	/* include/trace/events/hmap.h */

EXPORT_TRACEPOINT_SYMBOL_GPL(hmap_resize_start);
EXPORT_TRACEPOINT_SYMBOL_GPL(hmap_resize_finish);
EXPORT_TRACEPOINT_SYMBOL_GPL(hmap_alloc_fail);

/* How long writes must have stopped before an unused spare array is freed. */
#define HMAP_SPARE_IDLE		HZ
/* Old buckets the worker evacuates per hold of the lock. */
#define HMAP_BG_BATCH		64
/*
 * How far advancing @nevacuate looks for already evacuated buckets: the
 * tag 0 of up to this many old heads, read under the evacuating stripe
 * (interrupts off in an %HMAP_F_ATOMIC map), beside the chains an
 * evacuation walks (see
 * "Concurrency contract").
 */
#define HMAP_ADVANCE_SCAN	64
/*
 * Buckets (heads and overflow buckets of the old chains) the worker and
 * hmap_shrink_to_fit() evacuate between two refills of the reserve, and
 * between two looks at whether the worker should stop. Each old chain is
 * evacuated under its own stripe, so a stripe is held for one chain,
 * whose length %HMAP_NOARRAY_SLACK bounds.
 */
#define HMAP_EVAC_HOLD		8
/*
 * Buckets (heads and overflow buckets) hmap_get_histogram() walks per hold
 * of the lock, and how often it starts over on a new array.
 */
#define HMAP_HIST_HOLD		64
#define HMAP_HIST_RESTARTS	4
/*
 * Times a write that may sleep drops its stripe to refill the reserve of
 * overflow buckets and tries again, before it gives up with -ENOMEM.
 */
#define HMAP_WRITE_RETRIES	8
/*
 * Arrays hmap_shrink_to_fit() allocates for nothing (the count moved), and
 * writers' resizes it finishes, before it gives up with -EAGAIN.
 */
#define HMAP_SHRINK_ROUNDS	4

/*
 * How hmap_evacuate*() are called, bits of their @how: by the worker or
 * a walk (counted as the background's); by a caller that may drop the
 * lock and sleep (overflow buckets from the reserve only, else -EAGAIN).
 */
#define HMAP_EV_BACKGROUND	BIT(0)
#define HMAP_EV_MAY_SLEEP	BIT(1)

static struct workqueue_struct *hmap_wq;
static struct kmem_cache *hmap_bucket_cache;

/*
 * Counters over all maps, per CPU like the maps' own; every field is a
 * long: see hmap_global_stats().
 */
static DEFINE_PER_CPU(struct hmap_global_stats, hmap_global);

static long hmap_global_sum(size_t offset)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*(long *)((u8 *)per_cpu_ptr(&hmap_global, cpu) +
					   offset));
	return sum;
}

/*
 * A statistics counter of @map summed over the CPUs. Each CPU adds to its
 * own counter with this_cpu_add() while this reads them all: the race is
 * intended, and READ_ONCE() tells KCSAN and the compiler so. On 32-bit a
 * 64-bit read may tear (off by 2^32 for as long as a carry takes): a
 * statistic, never used to decide anything but the destroy bound.
 */
static s64 hmap_stat_sum_offset(struct hmap *map, size_t offset)
{
	s64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*(s64 *)((u8 *)per_cpu_ptr(map->pcpu, cpu) +
					  offset));
	return sum;
}

/* ---- Accounting and allocation ---- */

static void hmap_bytes_add(struct hmap *map, long bytes)
{
	hmap_stat_add(map, bytes, bytes);
	this_cpu_add(hmap_global.bytes, bytes);
}

static void hmap_alloc_failed(struct hmap *map, const char *what,
			      size_t size)
{
	hmap_stat_add(map, alloc_failures, 1);
	this_cpu_inc(hmap_global.alloc_failures);
	trace_hmap_alloc_fail(map, what, size);
}

/*
 * An element's allocation size; SIZE_MAX, which no allocation and no quota
 * admits, for lengths beyond the limits (below them the sum cannot wrap).
 */
static size_t hmap_elem_size(u32 key_len, u32 value_len, size_t pad)
{
	if (key_len > HMAP_KEY_SIZE_MAX || value_len > HMAP_VALUE_SIZE_MAX)
		return SIZE_MAX;
	return kmalloc_size_roundup(pad + sizeof(struct hmap_elem) +
				    round_up(key_len, 8) + value_len);
}

/*
 * What an element of a map created with %HMAP_F_ATOMIC has before it: an
 * rcu_head, so that kfree_rcu() frees it from any context. Other maps'
 * elements have none (no memory for it): their writers free them with
 * kfree_rcu_mightsleep() once they have dropped the lock.
 */
struct hmap_elem_prefix {
	struct rcu_head rcu;
};

static size_t hmap_params_elem_pad(const struct hmap_params *params)
{
	return params->flags & HMAP_F_ATOMIC ?
	       sizeof(struct hmap_elem_prefix) : 0;
}

/* An element's allocation size: worked out once for full-size ones. */
static size_t hmap_map_elem_size(const struct hmap *map, u32 key_len,
				 u32 value_len)
{
	if (key_len == map->params.key_size &&
	    value_len == map->params.value_size)
		return map->full_elem_size;
	return hmap_elem_size(key_len, value_len, map->elem_pad);
}

static struct hmap_elem *hmap_elem_new(struct hmap *map, u64 hash,
				       const void *key, u32 key_len,
				       const void *value, u32 value_len)
{
	size_t size = hmap_map_elem_size(map, key_len, value_len);
	struct hmap_elem *e;
	void *mem;

	/*
	 * Up to 66 KiB (order 5) that user space sizes: a failure is an
	 * -ENOMEM for the caller, never a warning in the log.
	 */
	mem = hmap_fault_alloc(ELEM, size,
			       kmalloc(size, map->elem_gfp | __GFP_ACCOUNT |
					     __GFP_NOWARN));
	if (!mem) {
		hmap_alloc_failed(map, "element", size);
		return NULL;
	}
	e = mem + map->elem_pad;
	e->hash = hash;
	e->key_len = key_len;
	e->value_len = value_len;
	memcpy(e->data, key, key_len);
	if (value_len)
		memcpy(hmap_elem_value(e), value, value_len);

	hmap_stat_add(map, elems_alloced, 1);
	this_cpu_inc(hmap_global.elems);
	hmap_bytes_add(map, size);
	return e;
}

static void hmap_elem_account_free(struct hmap *map, struct hmap_elem *e)
{
	long size = hmap_map_elem_size(map, e->key_len, e->value_len);

	hmap_stat_add(map, elems_freed, 1);
	this_cpu_dec(hmap_global.elems);
	hmap_bytes_add(map, -size);
}

/* Free an element no reader can have seen, or after a grace period. */
static void hmap_elem_free(struct hmap *map, struct hmap_elem *e)
{
	hmap_elem_account_free(map, e);
	kfree((void *)e - map->elem_pad);
}

/*
 * Free an element readers may still hold, after a grace period. Called
 * after the map's locks are dropped: for a map whose writers may sleep,
 * kfree_rcu_mightsleep() (which may wait for a grace period when memory
 * is short); for an %HMAP_F_ATOMIC map, kfree_rcu() on the rcu_head before
 * the element, in any context.
 */
static __always_inline void hmap_elem_free_deferred(struct hmap *map,
						    struct hmap_elem *e)
{
	hmap_elem_account_free(map, e);
	if (map->elem_pad)
		kfree_rcu((struct hmap_elem_prefix *)((void *)e - map->elem_pad),
			  rcu);
	else
		kfree_rcu_mightsleep(e);
}

#if IS_ENABLED(CONFIG_KUNIT)
/* Whether the test hook (hmap_test_set_alloc()) fails this allocation. */
static bool hmap_test_alloc_fails(struct hmap *map, enum hmap_test_alloc what,
				  unsigned int bits, gfp_t gfp)
{
	/* Pairs with the release in hmap_test_set_alloc(). */
	hmap_test_alloc_fn fn = smp_load_acquire(&map->test_alloc);

	return fn && fn(map, what, bits, gfp, READ_ONCE(map->test_alloc_ctx));
}
#else
static bool hmap_test_alloc_fails(struct hmap *map, enum hmap_test_alloc what,
				  unsigned int bits, gfp_t gfp)
{
	return false;
}
#endif

/*
 * A zeroed overflow bucket from the slab, allocated with @gfp, not yet
 * counted in the statistics (hmap_overflow_account()).
 */
static struct hmap_bucket *hmap_overflow_alloc(struct hmap *map, gfp_t gfp)
{
	struct hmap_bucket *b = NULL;

	if (!hmap_test_alloc_fails(map, HMAP_TEST_ALLOC_OVERFLOW, 0, gfp))
		b = hmap_fault_alloc(OVERFLOW, sizeof(*b),
				     kmem_cache_zalloc(hmap_bucket_cache, gfp));
	if (!b)
		hmap_alloc_failed(map, "overflow bucket",
				  sizeof(struct hmap_bucket));
	return b;
}

static void hmap_overflow_account(struct hmap *map, long n)
{
	hmap_stat_add(map, overflow_alloced, n);
	this_cpu_add(hmap_global.overflow, n);
	hmap_bytes_add(map, n * (long)kmem_cache_size(hmap_bucket_cache));
}

/* Free a list of buckets linked through their overflow pointers. */
static void hmap_bucket_list_free(struct hmap_bucket *list)
{
	struct hmap_bucket *b;

	while ((b = list)) {
		list = rcu_dereference_protected(b->overflow, 1);
		kmem_cache_free(hmap_bucket_cache, b);
	}
}

/*
 * Allocate @n overflow buckets with GFP_KERNEL onto *@list, outside
 * &hmap.lock, in process context. Return 0, or -ENOMEM with what was
 * allocated left on *@list.
 */
static int hmap_bucket_list_alloc(struct hmap *map, unsigned int n,
				  struct hmap_bucket **list)
{
	struct hmap_bucket *b;

	might_sleep();
	while (n--) {
		b = hmap_overflow_alloc(map, GFP_KERNEL);
		if (!b)
			return -ENOMEM;
		RCU_INIT_POINTER(b->overflow, *list);
		*list = b;
	}
	return 0;
}

/* Put the buckets of *@list on the map's reserve, however many there are. */
static void hmap_reserve_splice(struct hmap *map, struct hmap_bucket **list)
	__must_hold(&map->lock)
{
	struct hmap_bucket *b;

	lockdep_assert_held(&map->lock);
	while ((b = *list)) {
		*list = rcu_dereference_protected(b->overflow, 1);
		RCU_INIT_POINTER(b->overflow, map->reserve);
		map->reserve = b;
		WRITE_ONCE(map->nreserve, map->nreserve + 1);
	}
}

/*
 * Move buckets of *@list to the reserve until it holds @target; the rest
 * stays on *@list.
 */
static void hmap_reserve_put(struct hmap *map, struct hmap_bucket **list,
			     unsigned int target)
	__must_hold(&map->lock)
{
	struct hmap_bucket *b;

	lockdep_assert_held(&map->lock);
	while (*list && map->nreserve < target) {
		b = *list;
		*list = rcu_dereference_protected(b->overflow, 1);
		RCU_INIT_POINTER(b->overflow, NULL);
		hmap_reserve_splice(map, &b);
	}
}

/*
 * Top up the map's reserve of overflow buckets to @target (at least
 * %HMAP_RESERVE), with GFP_KERNEL, outside &hmap.lock, in process context:
 * what a writer that may sleep does before it takes the lock (an update,
 * or a delete during a resize), and the works between their holds. The
 * reserve is not counted in the statistics until a write takes from it:
 * it is %HMAP_RESERVE buckets per map, and during a resize what the
 * longest chain the works evacuated needed at once, trimmed back once the
 * resize is over (hmap_reserve_trim()); a map's counters say what it uses.
 *
 * Return: 0, or -ENOMEM if an allocation failed. (0 does not promise
 * @target buckets: writers may have taken some meanwhile; the caller
 * finds that out under the lock and comes back.)
 */
static noinline int hmap_reserve_fill(struct hmap *map, unsigned int target)
{
	struct hmap_bucket *list = NULL;
	unsigned long flags;
	unsigned int n;
	int err;

	target = max_t(unsigned int, target, HMAP_RESERVE);
	/* A racy peek: the lock below decides. */
	n = READ_ONCE(map->nreserve);
	if (likely(n >= target))
		return 0;
	err = hmap_bucket_list_alloc(map, target - n, &list);
	spin_lock_irqsave(&map->lock, flags);
	hmap_reserve_put(map, &list, target);
	spin_unlock_irqrestore(&map->lock, flags);
	hmap_bucket_list_free(list);
	return err;
}

/*
 * What a writer that may sleep does before it takes its stripe: top up
 * the reserve if it is short. The test inline, as every write makes it;
 * the fill, rare, out of line.
 */
static __always_inline void hmap_write_reserve(struct hmap *map,
					       bool may_sleep)
{
	if (may_sleep && unlikely(READ_ONCE(map->nreserve) < HMAP_RESERVE))
		hmap_reserve_fill(map, HMAP_RESERVE);
}

/*
 * Trim the reserve back to %HMAP_RESERVE once no resize is in progress:
 * an evacuation of a long chain may have left much more on it (the
 * &hmap.reserve_need it was filled to), which is not counted in the map's
 * bytes. Without &hmap.lock, in process context.
 */
static void hmap_reserve_trim(struct hmap *map)
{
	struct hmap_bucket *list = NULL, *b;
	unsigned long flags;

	if (READ_ONCE(map->nreserve) <= HMAP_RESERVE ||
	    READ_ONCE(map->resizing) != HMAP_RESIZE_NONE)
		return;
	spin_lock_irqsave(&map->lock, flags);
	while (map->nreserve > HMAP_RESERVE) {
		b = map->reserve;
		map->reserve = rcu_dereference_protected(b->overflow, 1);
		WRITE_ONCE(map->nreserve, map->nreserve - 1);
		RCU_INIT_POINTER(b->overflow, list);
		list = b;
	}
	spin_unlock_irqrestore(&map->lock, flags);
	hmap_bucket_list_free(list);
}

/*
 * An %HMAP_F_ATOMIC map's write took from its reserve: below half, have
 * @prealloc_work refill it (GFP_KERNEL, in process context), so that
 * atomic writers fall back to GFP_ATOMIC only between refills.
 */
static void hmap_reserve_low(struct hmap *map)
	__must_hold(&map->lock)
{
	lockdep_assert_held(&map->lock);
	if (map->nreserve < HMAP_RESERVE / 2 && !map->dying)
		queue_work(hmap_wq, &map->prealloc_work);
}

/**
 * struct hmap_mine - overflow buckets a write allocated for itself
 * @list: the buckets, linked through their overflow pointers.
 * @n: how many.
 * @need: how many more the write needs, when hmap_overflow_take() said
 *	-EAGAIN: what it allocates before it tries again.
 *
 * A write that may sleep and finds the reserve short drops its stripe and
 * allocates what it needs with GFP_KERNEL onto its own list, which no
 * other writer can take from: when it tries again it takes from here
 * first, so it comes back once more only if it needs more than before.
 * What is left when the write ends goes to the reserve, up to
 * %HMAP_RESERVE (hmap_mine_release()).
 */
struct hmap_mine {
	struct hmap_bucket *list;
	unsigned int n;
	unsigned int need;
};

/*
 * @n overflow buckets for a write or an evacuation under &hmap.lock, onto
 * *@list (linked through their overflow pointers), counted in the
 * statistics; all or none. From @mine first (the write's own, if any),
 * then from the map's reserve; when those hold fewer, a caller that may
 * sleep (@how has %HMAP_EV_MAY_SLEEP: writers of a map without
 * %HMAP_F_ATOMIC, the works) gets -EAGAIN, with &hmap.reserve_need (and
 * &hmap_mine.need) set, to drop its locks, allocate the buckets with
 * GFP_KERNEL and try again; one that may not takes the rest with
 * GFP_ATOMIC, which never sleeps and may fail.
 *
 * Return: 0, -EAGAIN, or -ENOMEM (nothing taken).
 */
static int hmap_overflow_take(struct hmap *map, unsigned int n,
			      unsigned int how, struct hmap_mine *mine,
			      struct hmap_bucket **list)
	__must_hold(&map->lock)
{
	unsigned int i, have = mine ? mine->n : 0;
	struct hmap_bucket *b, *got = NULL;

	lockdep_assert_held(&map->lock);
	*list = NULL;
	if (!n)
		return 0;
	if (n > have + map->nreserve && (how & HMAP_EV_MAY_SLEEP)) {
		WRITE_ONCE(map->reserve_need, n);
		if (mine)
			mine->need = n - have;
		return -EAGAIN;
	}
	for (i = 0; i < n; i++) {
		if (mine && mine->list) {
			b = mine->list;
			mine->list = rcu_dereference_protected(b->overflow, 1);
			mine->n--;
		} else if (map->reserve) {
			b = map->reserve;
			map->reserve = rcu_dereference_protected(b->overflow,
								 1);
			WRITE_ONCE(map->nreserve, map->nreserve - 1);
		} else {
			b = hmap_overflow_alloc(map, GFP_ATOMIC | __GFP_NOWARN);
			if (!b) {
				/* Back to the reserve, for the next write. */
				hmap_reserve_splice(map, &got);
				hmap_reserve_low(map);
				return -ENOMEM;
			}
		}
		RCU_INIT_POINTER(b->overflow, got);
		got = b;
	}
	hmap_overflow_account(map, n);
	if (!(how & HMAP_EV_MAY_SLEEP))
		hmap_reserve_low(map);
	*list = got;
	return 0;
}

/*
 * hmap_overflow_take() for a caller holding a stripe, not &hmap.lock,
 * which it takes only when @mine does not hold the @n buckets.
 */
static int hmap_overflow_take_stripe(struct hmap *map, unsigned int n,
				     unsigned int how, struct hmap_mine *mine,
				     struct hmap_bucket **list)
{
	struct hmap_bucket *b;
	unsigned int i;
	int err;

	*list = NULL;
	if (!n)
		return 0;
	if (mine && mine->n >= n) {
		/* The write's own buckets: no other writer sees them. */
		for (i = 0; i < n; i++) {
			b = mine->list;
			mine->list = rcu_dereference_protected(b->overflow, 1);
			RCU_INIT_POINTER(b->overflow, *list);
			*list = b;
		}
		mine->n -= n;
		hmap_overflow_account(map, n);
		return 0;
	}
	spin_lock(&map->lock);
	err = hmap_overflow_take(map, n, how, mine, list);
	spin_unlock(&map->lock);
	return err;
}

static void hmap_overflow_free(struct hmap *map, struct hmap_bucket *b)
{
	hmap_stat_add(map, overflow_freed, 1);
	this_cpu_dec(hmap_global.overflow);
	hmap_bytes_add(map, -(long)kmem_cache_size(hmap_bucket_cache));
	kmem_cache_free(hmap_bucket_cache, b);
}

/*
 * A new zeroed bucket array of 2^@bits buckets: GFP_KERNEL and up to
 * megabytes to zero, so only in process context and never under
 * &hmap.lock. Writes that may not sleep leave it to @prealloc_work.
 */
static struct hmap_table *hmap_table_new(struct hmap *map, unsigned int bits)
{
	size_t size = sizeof(struct hmap_bucket) << bits;
	struct hmap_table *t;

	might_sleep();
	if (hmap_test_alloc_fails(map, HMAP_TEST_ALLOC_ARRAY, bits,
				  GFP_KERNEL_ACCOUNT))
		goto fail;
	t = hmap_fault_alloc(TABLE, sizeof(*t),
			     kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT));
	if (!t)
		goto fail;
	t->buckets = hmap_fault_alloc(BUCKETS, size,
				      kvzalloc(size, GFP_KERNEL_ACCOUNT |
						     __GFP_NOWARN));
	if (!t->buckets)
		goto free_table;
	t->B = bits;
	t->map = map;
	/* kvzalloc() falls back to vmalloc(), which rounds to pages only. */
	t->bytes = (is_vmalloc_addr(t->buckets) ? PAGE_ALIGN(size) :
		    kmalloc_size_roundup(size)) +
		   kmalloc_size_roundup(sizeof(*t));

	hmap_stat_add(map, arrays_alloced, 1);
	this_cpu_inc(hmap_global.arrays);
	hmap_bytes_add(map, t->bytes);
	return t;

free_table:
	kfree(t);
fail:
	hmap_alloc_failed(map, "bucket array", size);
	return NULL;
}

/*
 * Free the array and the table itself: all there is to a table whose chains
 * hold nothing, such as a spare array no grow used. No scan of the buckets.
 */
static void hmap_table_free_array(struct hmap_table *t)
{
	struct hmap *map = t->map;

	kvfree(t->buckets);
	hmap_stat_add(map, arrays_freed, 1);
	this_cpu_dec(hmap_global.arrays);
	hmap_bytes_add(map, -(long)t->bytes);
	kfree(t);
}

/*
 * Free a table no reader can reach any more: its overflow buckets, its
 * array, and the elements of every chain that was not evacuated (those of
 * evacuated chains live on in the next table).
 */
static void hmap_table_free(struct hmap_table *t)
{
	struct hmap *map = t->map;
	unsigned long i;

	for (i = 0; i <= hmap_bucket_mask(t); i++) {
		struct hmap_bucket *head = &t->buckets[i], *b, *next;
		bool moved = hmap_tophash_is_evacuated(head->tophash[0]);
		unsigned int s;

		for (b = head; b; b = next) {
			next = rcu_dereference_protected(b->overflow, 1);
			for (s = 0; !moved && s < HMAP_BUCKET_SLOTS; s++) {
				struct hmap_elem *e;

				e = rcu_dereference_protected(b->elems[s], 1);
				if (e)
					hmap_elem_free(map, e);
			}
			if (b != head)
				hmap_overflow_free(map, b);
		}
		if (!(i & 1023))
			cond_resched();
	}
	hmap_table_free_array(t);
}

/*
 * Bytes of destroyed maps, and of the bucket arrays hmap_clear() retired,
 * not yet freed, all maps together: see hmap_destroy(), hmap_clear() and
 * %HMAP_DESTROY_PENDING_MAX.
 */
static atomic_long_t hmap_destroy_pending;

/*
 * Before retiring more (a destroy, a clear): wait for every deferred free
 * if the pending ones are past %HMAP_DESTROY_PENDING_MAX. Waiting before
 * adding, not after, so that one call retiring more than the bound does
 * not wait for its own bytes; a caller in a loop waits at its next call,
 * so it holds at most the bound and one call's bytes beyond its live maps
 * (concurrent callers, one call's bytes each).
 */
static void hmap_pending_wait(void)
{
	if (atomic_long_read(&hmap_destroy_pending) > HMAP_DESTROY_PENDING_MAX)
		hmap_flush_frees();
}

/* Free the map itself: its last table is gone, and so are its users. */
static void hmap_free(struct hmap *map)
{
	atomic_long_sub(map->destroy_bytes, &hmap_destroy_pending);
	this_cpu_dec(hmap_global.maps);
	mutex_destroy(&map->work_lock);
	mem_cgroup_put(map->memcg);
	free_percpu(map->pcpu);
	kfree(map);
}

/* Drop a reference to @map (&hmap.refs); the last one frees it. */
static void hmap_put(struct hmap *map)
{
	if (refcount_dec_and_test(&map->refs))
		hmap_free(map);
}

static void hmap_table_free_work(struct work_struct *work)
{
	struct hmap_table *t = container_of(to_rcu_work(work),
					    struct hmap_table, rwork);
	struct hmap *map = t->map;
	long clear_bytes = t->clear_bytes;

	/*
	 * Off the map's count before its bytes are freed (so that a destroy,
	 * which reads them in the other order, counts the array once more
	 * rather than once less), off the global one after (so that it is
	 * never below what is held).
	 */
	if (clear_bytes) {
		atomic_long_sub(clear_bytes, &map->clear_pending);
		/* Pairs with the smp_rmb() in hmap_destroy(). */
		smp_mb__after_atomic();
	}
	hmap_table_free(t);
	if (clear_bytes)
		atomic_long_sub(clear_bytes, &hmap_destroy_pending);
	hmap_stat_add(map, pending_frees, -1);
	hmap_put(map);
}

/*
 * Free @t after a grace period; readers may still be walking it. The free
 * counts in the map's statistics, so it holds a reference to the map.
 */
static void hmap_table_free_deferred(struct hmap *map, struct hmap_table *t)
{
	refcount_inc(&map->refs);
	hmap_stat_add(map, pending_frees, 1);
	INIT_RCU_WORK(&t->rwork, hmap_table_free_work);
	queue_rcu_work(hmap_wq, &t->rwork);
}

/* ---- Hashing and load ---- */

/*
 * SipHash-1-3 with a 64-bit result: one compression round per word and
 * three to finish, the variant the kernel's hsiphash() uses on 64-bit for
 * hash tables. Keyed with a per-map random seed it keeps chosen keys from
 * colliding, at two thirds of the cost of SipHash-2-4.
 */
static __always_inline u64 hmap_siphash13(const u8 *data, u32 len,
					  const siphash_key_t *key)
{
	u64 v0 = SIPHASH_CONST_0 ^ key->key[0];
	u64 v1 = SIPHASH_CONST_1 ^ key->key[1];
	u64 v2 = SIPHASH_CONST_2 ^ key->key[0];
	u64 v3 = SIPHASH_CONST_3 ^ key->key[1];
	u64 m, b = (u64)len << 56;
	u32 left = len & 7, i;

	for (; len >= 8; len -= 8, data += 8) {
		m = get_unaligned_le64(data);
		v3 ^= m;
		SIPHASH_PERMUTATION(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (i = 0; i < left; i++)
		b |= (u64)data[i] << (8 * i);
	v3 ^= b;
	SIPHASH_PERMUTATION(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPHASH_PERMUTATION(v0, v1, v2, v3);
	SIPHASH_PERMUTATION(v0, v1, v2, v3);
	SIPHASH_PERMUTATION(v0, v1, v2, v3);
	return (v0 ^ v1) ^ (v2 ^ v3);
}

/*
 * jhash2() (<linux/jhash.h>) of the @len / 4 words of @k, read unaligned:
 * what rhashtable hashes keys of such lengths with (lib/rhashtable.c), for
 * keys the caller need not align. The same value as jhash() of the same
 * bytes on little-endian CPUs, in fewer instructions (jhash() assembles
 * its last block byte by byte).
 */
static __always_inline u32 hmap_jhash_words(const u8 *k, u32 len,
					    u32 initval)
{
	u32 a, b, c;

	a = JHASH_INITVAL + len + initval;
	b = a;
	c = a;
	for (; len > 12; len -= 12, k += 12) {
		a += get_unaligned((const u32 *)k);
		b += get_unaligned((const u32 *)(k + 4));
		c += get_unaligned((const u32 *)(k + 8));
		__jhash_mix(a, b, c);
	}
	switch (len) {
	case 12:
		c += get_unaligned((const u32 *)(k + 8));
		fallthrough;
	case 8:
		b += get_unaligned((const u32 *)(k + 4));
		fallthrough;
	case 4:
		a += get_unaligned((const u32 *)k);
		__jhash_final(a, b, c);
	}
	return c;
}

/*
 * The hash of a map created with %HMAP_F_JHASH: jhash2() of the key's
 * words if its length is a multiple of 4 (hmap_jhash_words()), else
 * jhash() (rhashtable's choice by length), under the low 32 bits of the
 * map's seed, times GOLDEN_RATIO_64 (<linux/hash.h>, hash_64()'s
 * constant) to spread its 32 bits over 64: the low bits stay as even as
 * jhash's (an odd multiplier maps the low k bits one to one, and a bucket
 * index has B <= %HMAP_B_MAX < 32 bits), and the top 8 (tophash) depend
 * on every bit.
 */
static __always_inline u64 hmap_jhash64(const void *key, u32 len,
					const siphash_key_t *seed)
{
	u32 initval = (u32)seed->key[0];

	BUILD_BUG_ON(HMAP_B_MAX >= 32);
	return (u64)(len % 4 ? jhash(key, len, initval) :
		     hmap_jhash_words(key, len, initval)) * GOLDEN_RATIO_64;
}

/* hmap_hash(), inlined into the lookup and write paths. */
static __always_inline u64 hmap_hash_inline(const struct hmap *map,
					    const void *key, u32 key_len)
{
	if (unlikely(map->hash_fn))
		return map->hash_fn(key, key_len);
	if (map->params.flags & HMAP_F_JHASH)
		return hmap_jhash64(key, key_len, &map->seed);
	return hmap_siphash13(key, key_len, &map->seed);
}

/**
 * hmap_hash() - hash a key with the map's keyed hash
 * @map: the map.
 * @key: the key.
 * @key_len: its length in bytes.
 *
 * Context: any.
 * Return: SipHash-1-3 of the key under the map's random seed (128 bits);
 * for a map created with %HMAP_F_JHASH, jhash2() of its words (a length
 * that is a multiple of 4) or jhash() of its bytes, under the seed's low
 * 32 bits, times GOLDEN_RATIO_64 (32 bits of entropy in 64).
 */
u64 hmap_hash(const struct hmap *map, const void *key, u32 key_len)
{
	return hmap_hash_inline(map, key, key_len);
}
EXPORT_SYMBOL_IF_KUNIT(hmap_hash);

static bool hmap_over_load(unsigned long count, unsigned int bits)
{
	return count > HMAP_BUCKET_SLOTS &&
	       (u64)count * HMAP_LOAD_DEN > ((u64)HMAP_LOAD_NUM << bits);
}

static bool hmap_under_load(unsigned long count, unsigned int bits)
{
	return bits > 0 &&
	       (u64)count * HMAP_SHRINK_DEN < ((u64)HMAP_LOAD_NUM << bits);
}

/*
 * Time for a same-size grow: as many overflow buckets as buckets added
 * since the table was built (see "Theory of operation").
 */
static bool hmap_too_many_overflow(const struct hmap_table *t)
{
	return atomic_long_read(&t->noverflow) - READ_ONCE(t->noverflow_base) >=
	       1UL << t->B;
}

/* The smallest B whose array holds @count entries without growing. */
static unsigned int hmap_fit_B(unsigned long count)
{
	unsigned int bits = 0;

	while (bits < HMAP_B_MAX && hmap_over_load(count, bits))
		bits++;
	return bits;
}

/* ---- Lookups ---- */

/* Keys are compared a word at a time: memcmp() goes byte by byte. */
static bool hmap_key_eq(const u8 *a, const u8 *b, u32 len)
{
	for (; len >= 8; len -= 8, a += 8, b += 8)
		if (get_unaligned((const u64 *)a) !=
		    get_unaligned((const u64 *)b))
			return false;
	for (; len; len--)
		if (*a++ != *b++)
			return false;
	return true;
}

static bool hmap_elem_match(const struct hmap_elem *e, u64 hash,
			    const void *key, u32 key_len)
{
	return e->hash == hash && e->key_len == key_len &&
	       hmap_key_eq(e->data, key, key_len);
}

#define HMAP_BYTES_LSB	0x0101010101010101ULL
#define HMAP_BYTES_MSB	0x8080808080808080ULL

/*
 * The bytes of @w equal to @c, as the top bit of each: exact as a whole
 * (zero iff no byte matches), but a byte just above a match may be flagged
 * too, so a flagged slot is only a candidate.
 */
static inline u64 hmap_bytes_eq(u64 w, u8 c)
{
	u64 x = w ^ (HMAP_BYTES_LSB * c);

	return (x - HMAP_BYTES_LSB) & ~x & HMAP_BYTES_MSB;
}

/*
 * Compare the eight tags of a bucket at once. Candidates are the slots
 * whose tag matches, and slots marked EVACUATED_X/Y (being evacuated
 * under us: they still point to their element). A bucket with an
 * EMPTY_REST tag ends the chain.
 */
static __always_inline struct hmap_elem *
hmap_find_elem_rcu(struct hmap *map, const void *key, u32 key_len)
	__must_hold(RCU)
{
	u64 hash = hmap_hash_inline(map, key, key_len);
	u8 top = hmap_tophash(hash);
	struct hmap_bucket *b;

	for (b = hmap_find_bucket_rcu(map, hash, NULL); b;
	     b = rcu_dereference(b->overflow)) {
		u64 w = le64_to_cpu(READ_ONCE(b->tophash_word));
		u64 cand = hmap_bytes_eq(w, top) |
			   hmap_bytes_eq(w, HMAP_EVACUATED_X) |
			   hmap_bytes_eq(w, HMAP_EVACUATED_Y);

		while (cand) {
			unsigned int i = __ffs64(cand) / 8;
			struct hmap_elem *e = rcu_dereference(b->elems[i]);

			if (e && hmap_elem_match(e, hash, key, key_len))
				return e;
			cand &= cand - 1;
		}
		if (hmap_bytes_eq(w, HMAP_EMPTY_REST))
			return NULL;
	}
	return NULL;
}

static __always_inline struct hmap_elem *
hmap_lookup_elem_rcu(struct hmap *map, const void *key, u32 key_len)
	__must_hold(RCU)
{
	struct hmap_elem *e = hmap_find_elem_rcu(map, key, key_len);

	/* Two counters, not lookups and hits: see hmap_get_stats(). */
	if (e)
		hmap_stat_add(map, hits, 1);
	else
		hmap_stat_add(map, misses, 1);
	return e;
}

/**
 * hmap_lookup_rcu() - find a key's value, in place
 * @map: the map.
 * @key: the key.
 * @key_len: its length in bytes.
 * @value_len: if not NULL, gets the value's length.
 *
 * The value lies in an element other readers share: read it, never write
 * through the pointer (writers replace the element instead, so that every
 * reader sees the old value or the new one, never a mix).
 *
 * Context: rcu_read_lock() held; any context. Lock-free.
 * Return: the value, valid until rcu_read_unlock(); NULL if the key is
 * absent or its length is out of range.
 */
void *hmap_lookup_rcu(struct hmap *map, const void *key, u32 key_len,
		      u32 *value_len)
	__must_hold(RCU)
{
	struct hmap_elem *e;

	if (!key_len || key_len > map->params.key_size)
		return NULL;
	e = hmap_lookup_elem_rcu(map, key, key_len);
	if (!e)
		return NULL;
	if (value_len)
		*value_len = e->value_len;
	return hmap_elem_value(e);
}
EXPORT_SYMBOL_GPL(hmap_lookup_rcu);

/**
 * hmap_lookup() - copy a key's value out
 * @map: the map.
 * @key: the key.
 * @key_len: its length in bytes.
 * @value: a buffer of at least the map's value_size bytes.
 * @value_len: gets the value's length.
 *
 * Context: any; takes and releases rcu_read_lock(). Lock-free.
 * Return: 0, -ENOENT if the key is absent, -EINVAL if @key_len is 0 or
 * above the map's key_size.
 */
int hmap_lookup(struct hmap *map, const void *key, u32 key_len,
		void *value, u32 *value_len)
{
	struct hmap_elem *e;

	if (!key_len || key_len > map->params.key_size)
		return -EINVAL;
	rcu_read_lock();
	e = hmap_lookup_elem_rcu(map, key, key_len);
	if (e) {
		memcpy(value, hmap_elem_value(e), e->value_len);
		*value_len = e->value_len;
	}
	rcu_read_unlock();
	return e ? 0 : -ENOENT;
}
EXPORT_SYMBOL_GPL(hmap_lookup);

/* ---- Locks ---- */

/* Whether the map's writers may sleep: created without %HMAP_F_ATOMIC. */
static bool hmap_writer_may_sleep(const struct hmap *map)
{
	return !(map->params.flags & HMAP_F_ATOMIC);
}

/*
 * The lockdep classes of the locks of maps whose writers may sleep (no
 * %HMAP_F_ATOMIC): their stripes are taken with interrupts on, and
 * &hmap.lock under them, where an %HMAP_F_ATOMIC map's are taken in hard
 * interrupts; one class for both would be "inconsistent lock state" to
 * lockdep, and one &hmap.resize_lock class above the stripes of both an
 * "irq lock inversion". The class of each kind of lock of the other maps
 * is spin_lock_init()'s own.
 */
static struct {
	struct lock_class_key resize_lock;
	struct lock_class_key stripe;
	struct lock_class_key lock;
} hmap_lock_keys_sleeping;

/* A stripe lock (any) or all of them held: the buckets may be read. */
#define hmap_assert_table(map)	lockdep_assert(hmap_table_held(map))

/* hmap_lock_all() held: the tables may be swapped. */
static inline void hmap_assert_all(struct hmap *map)
{
	lockdep_assert_held(&map->resize_lock);
	lockdep_assert_held(&map->lock);
}

/*
 * Take every lock of the map (interrupts off in an %HMAP_F_ATOMIC map, on
 * in the others, whose locks no interrupt takes): &hmap.resize_lock, then each
 * stripe lock in index order, with &hmap.resize_lock as their nest lock
 * (so that lockdep accepts %HMAP_STRIPES_MAX locks of one class held at
 * once: whoever takes two of them holds the nest lock, so they cannot
 * deadlock among themselves), then &hmap.lock. What swaps or links tables
 * holds this; a writer waits for it on its stripe.
 */
static void hmap_lock_all(struct hmap *map, unsigned long *flags)
	__acquires(&map->resize_lock) __acquires(&map->stripes)
	__acquires(&map->lock)
{
	unsigned int i;

	if (hmap_writer_may_sleep(map)) {
		*flags = 0;
		spin_lock(&map->resize_lock);
	} else {
		spin_lock_irqsave(&map->resize_lock, *flags);
	}
	for (i = 0; i < map->nstripes; i++) {
		spin_lock_nest_lock(&map->stripes[i].lock, &map->resize_lock);
		__release(&map->stripes);	/* sparse: counted once below */
	}
	__acquire(&map->stripes);
	spin_lock(&map->lock);
}

static void hmap_unlock_all(struct hmap *map, unsigned long flags)
	__releases(&map->resize_lock) __releases(&map->stripes)
	__releases(&map->lock)
{
	unsigned int i;

	spin_unlock(&map->lock);
	for (i = map->nstripes; i--; ) {
		spin_unlock(&map->stripes[i].lock);
		__acquire(&map->stripes);	/* sparse: counted once below */
	}
	__release(&map->stripes);
	if (hmap_writer_may_sleep(map))
		spin_unlock(&map->resize_lock);
	else
		spin_unlock_irqrestore(&map->resize_lock, flags);
}

/*
 * Lock stripe @s: interrupts off for an %HMAP_F_ATOMIC map, whose writers
 * may run in hard interrupts; left on for a map whose writers may sleep,
 * which only process context writes (its stripes and &hmap.lock are of
 * lockdep classes of their own, hmap_lock_keys_sleeping, so that lockdep
 * checks each kind against its own contexts). Nothing takes a stripe in
 * an interrupt but a writer of an %HMAP_F_ATOMIC map and hmap_get_stats()
 * of such a map.
 */
static void hmap_stripe_lock_one(struct hmap *map, unsigned int s,
				 unsigned long *flags)
	__acquires(&map->stripes)
{
	if (hmap_writer_may_sleep(map)) {
		*flags = 0;
		spin_lock(&map->stripes[s].lock);
	} else {
		spin_lock_irqsave(&map->stripes[s].lock, *flags);
	}
}

static void hmap_stripe_unlock(struct hmap *map, unsigned int s,
			       unsigned long flags)
	__releases(&map->stripes)
{
	if (hmap_writer_may_sleep(map))
		spin_unlock(&map->stripes[s].lock);
	else
		spin_unlock_irqrestore(&map->stripes[s].lock, flags);
}

/*
 * Lock the stripe of @h, a hash or a bucket index (its low bits under
 * &hmap.stripe_mask name the stripe, the same in every live array),
 * as hmap_stripe_lock_one() does. The mask changes only under
 * hmap_lock_all(), so once a stripe is held it is stable: if it changed
 * between the read and the lock, the caller holds the wrong stripe and
 * takes the right one.
 *
 * Return: the stripe held, for hmap_stripe_unlock().
 */
static __always_inline unsigned int hmap_stripe_lock(struct hmap *map,
						     unsigned long h,
						     unsigned long *flags)
	__acquires(&map->stripes)
{
	unsigned long mask;
	unsigned int s;

	for (;;) {
		mask = READ_ONCE(map->stripe_mask);
		s = h & mask;
		hmap_stripe_lock_one(map, s, flags);
		if (likely(READ_ONCE(map->stripe_mask) == mask))
			return s;
		hmap_stripe_unlock(map, s, *flags);
	}
}

/*
 * Set the stripe mask for live arrays whose smallest has 2^@min_bits
 * buckets: a bucket of each then lies in one stripe (see "Concurrency
 * contract"). Under hmap_lock_all().
 */
static void hmap_stripe_mask_set(struct hmap *map, unsigned int min_bits)
	__must_hold(&map->resize_lock)
{
	hmap_assert_all(map);
	WRITE_ONCE(map->stripe_mask,
		   min_t(unsigned long, map->nstripes, 1UL << min_bits) - 1);
}

/* ---- Resizing ---- */

static struct hmap_table *hmap_oldest(struct hmap *map)
	__must_hold(&map->stripes)
{
	hmap_assert_table(map);
	return hmap_dereference(map, map->tbl);
}

/* The table writes go to. */
static struct hmap_table *hmap_newest(struct hmap *map)
	__must_hold(&map->stripes)
{
	struct hmap_table *t = hmap_oldest(map);
	struct hmap_table *next = hmap_dereference(map, t->next);

	hmap_assert_table(map);
	return next ?: t;
}

/* Where the next entry appended to a chain goes. */
struct hmap_dest {
	struct hmap_bucket *b;
	unsigned int slot;
};

/*
 * Find the first EMPTY_REST slot of the chain at @b (every slot after it is
 * EMPTY_REST too) and return how many slots are free from there on.
 */
static unsigned int hmap_chain_tail(struct hmap *map, struct hmap_bucket *b,
				    struct hmap_dest *d)
	__must_hold(&map->stripes)
{
	struct hmap_bucket *next;
	unsigned int i, free;

	hmap_assert_table(map);
	for (;; b = next) {
		for (i = 0; i < HMAP_BUCKET_SLOTS; i++)
			if (b->tophash[i] == HMAP_EMPTY_REST)
				goto found;
		next = hmap_dereference(map, b->overflow);
		if (!next) {
			d->b = b;
			d->slot = HMAP_BUCKET_SLOTS;
			return 0;
		}
	}
found:
	d->b = b;
	d->slot = i;
	free = HMAP_BUCKET_SLOTS - i;
	for (b = hmap_dereference(map, b->overflow); b;
	     b = hmap_dereference(map, b->overflow))
		free += HMAP_BUCKET_SLOTS;
	return free;
}

/*
 * The bucket after the full bucket @b of a destination chain: an overflow
 * bucket already there (deletes leave emptied ones linked), else one of
 * the @spare buckets hmap_evacuate_reserve() allocated for this.
 */
static struct hmap_bucket *hmap_dest_next(struct hmap *map,
					  struct hmap_table *new,
					  struct hmap_bucket *b,
					  struct hmap_bucket **spare)
	__must_hold(&map->stripes)
{
	struct hmap_bucket *nb = hmap_dereference(map, b->overflow);

	hmap_assert_table(map);
	if (nb)
		return nb;
	nb = *spare;
	*spare = hmap_dereference(map, nb->overflow);
	RCU_INIT_POINTER(nb->overflow, NULL);
	rcu_assign_pointer(b->overflow, nb);
	atomic_long_inc(&new->noverflow);
	return nb;
}

/*
 * Evacuation, pass 1: count the entries of the old chain at @head by the
 * new chain they go to, @n[0] to X (new bucket @xi), @n[1] to Y (@xi plus
 * the old bucket count; only a grow has entries for Y). Return the
 * chain's length in buckets.
 */
static unsigned int hmap_evacuate_count(struct hmap *map,
					struct hmap_bucket *head,
					unsigned long newmask, unsigned long xi,
					unsigned int n[2])
	__must_hold(&map->stripes)
{
	unsigned int s, len = 0;
	struct hmap_bucket *b;

	hmap_assert_table(map);
	n[0] = 0;
	n[1] = 0;
	for (b = head; b; b = hmap_dereference(map, b->overflow), len++) {
		for (s = 0; s < HMAP_BUCKET_SLOTS; s++) {
			struct hmap_elem *e;

			if (hmap_tophash_is_empty(b->tophash[s]))
				continue;
			e = hmap_dereference(map, b->elems[s]);
			n[(e->hash & newmask) != xi]++;
		}
	}
	return len;
}

/*
 * Evacuation, pass 2: find where each destination chain that gets entries
 * is appended to (@dst[d]), and take the overflow buckets the @n[d]
 * entries need beyond the free slots there (hmap_overflow_take(), @how),
 * linked through their overflow pointers into *@spare. Return 0, or
 * -EAGAIN or -ENOMEM with nothing taken and both tables unchanged.
 */
static int hmap_evacuate_reserve(struct hmap *map, struct hmap_table *old,
				 struct hmap_table *new, unsigned long xi,
				 const unsigned int n[2], struct hmap_dest dst[2],
				 unsigned int how, struct hmap_mine *mine,
				 struct hmap_bucket **spare)
	__must_hold(&map->stripes)
{
	unsigned int d, need = 0;

	hmap_assert_table(map);
	for (d = 0; d < 2; d++) {
		unsigned long di = d ? xi + (1UL << old->B) : xi;
		unsigned int cap;

		if (!n[d])
			continue;
		cap = hmap_chain_tail(map, &new->buckets[di], &dst[d]);
		if (n[d] > cap)
			need += DIV_ROUND_UP(n[d] - cap, HMAP_BUCKET_SLOTS);
	}
	return hmap_overflow_take_stripe(map, need, how, mine, spare);
}

/*
 * Evacuation, pass 3: append the element pointers of the old chain at
 * @head to their destination chains @dst, in chain order, taking the
 * overflow buckets they need from *@spare, and mark every old slot
 * EVACUATED_X, EVACUATED_Y or EVACUATED_EMPTY; all but tag 0 of @head,
 * whose marker is returned for the caller to publish.
 */
static u8 hmap_evacuate_move(struct hmap *map, struct hmap_table *new,
			     struct hmap_bucket *head, unsigned long xi,
			     struct hmap_dest dst[2], struct hmap_bucket **spare)
	__must_hold(&map->stripes)
{
	unsigned long newmask = hmap_bucket_mask(new);
	u8 mark0 = HMAP_EVACUATED_EMPTY;
	struct hmap_bucket *b;
	unsigned int s, d;

	hmap_assert_table(map);
	for (b = head; b; b = hmap_dereference(map, b->overflow)) {
		for (s = 0; s < HMAP_BUCKET_SLOTS; s++) {
			u8 th = b->tophash[s], mark = HMAP_EVACUATED_EMPTY;
			struct hmap_elem *e;
			struct hmap_dest *to;

			if (!hmap_tophash_is_empty(th)) {
				e = hmap_dereference(map, b->elems[s]);
				d = (e->hash & newmask) != xi;
				to = &dst[d];
				if (to->slot == HMAP_BUCKET_SLOTS) {
					to->b = hmap_dest_next(map, new, to->b,
							       spare);
					to->slot = 0;
				}
				rcu_assign_pointer(to->b->elems[to->slot], e);
				WRITE_ONCE(to->b->tophash[to->slot], th);
				to->slot++;
				mark = HMAP_EVACUATED_X + d;
			}
			if (b == head && s == 0)
				mark0 = mark;
			else
				WRITE_ONCE(b->tophash[s], mark);
		}
	}
	return mark0;
}

/*
 * Move the entries of old bucket @i to the new table, in three passes:
 * count them by destination, reserve the overflow buckets the destinations
 * need (so that a failure leaves both tables as they were), then move the
 * element pointers and mark the old slots, the head's tag 0 last with
 * release semantics. Return 0, -EAGAIN or -ENOMEM (hmap_overflow_take());
 * *@walked gets the buckets of the old chain.
 */
static int hmap_evacuate(struct hmap *map, struct hmap_table *old,
			 struct hmap_table *new, unsigned long i,
			 unsigned int how, struct hmap_mine *mine,
			 unsigned int *walked)
	__must_hold(&map->stripes)
{
	struct hmap_bucket *head = &old->buckets[i], *spare;
	unsigned long xi = i & hmap_bucket_mask(new);
	struct hmap_dest dst[2];
	unsigned int n[2];
	u8 mark0;
	int err;

	hmap_assert_table(map);
	*walked = hmap_evacuate_count(map, head, hmap_bucket_mask(new), xi, n);
	err = hmap_evacuate_reserve(map, old, new, xi, n, dst, how, mine,
				    &spare);
	if (err)
		return err;
	mark0 = hmap_evacuate_move(map, new, head, xi, dst, &spare);
	/* Publishes everything above to readers that see the marker. */
	smp_store_release(&head->tophash[0], mark0);
	return 0;
}

/*
 * Queue the worker to run after @delay jiffies (a pending run is moved to
 * the new time). The one place @bg_work is queued: nothing is once the map
 * is dying.
 */
static void hmap_bg_queue(struct hmap *map, unsigned long delay)
	__must_hold(&map->lock)
{
	lockdep_assert_held(&map->lock);
	if (!map->dying && map->background)
		mod_delayed_work(hmap_wq, &map->bg_work, delay);
}

/*
 * In how many jiffies writes will have been idle for %HMAP_SPARE_IDLE,
 * when the worker frees a spare array no resize came for; 0 if they have.
 */
static unsigned long hmap_spare_idle_in(struct hmap *map)
{
	unsigned long idle_end = READ_ONCE(map->last_write) + HMAP_SPARE_IDLE;

	return time_after(idle_end, jiffies) ? idle_end - jiffies : 0;
}

/*
 * Arm the worker for what the map needs next: the resize in progress is
 * evacuated now, beside the writers; a spare array no grow came for is
 * freed once writes have stopped for %HMAP_SPARE_IDLE. Whatever starts a
 * resize or installs a spare calls this (the commit of a resize arms the
 * worker itself, hmap_resize_commit()), so an allocation made ahead
 * always has the worker as its owner.
 */
static void hmap_bg_schedule(struct hmap *map)
	__must_hold(&map->lock)
{
	lockdep_assert_held(&map->lock);
	/* Stable under hmap_lock_all(), a hint under &hmap.lock alone. */
	if (READ_ONCE(map->resizing) != HMAP_RESIZE_NONE)
		hmap_bg_queue(map, 0);
	else if (map->spare)
		hmap_bg_queue(map, hmap_spare_idle_in(map));
}

static bool hmap_resize_due(struct hmap *map, enum hmap_resize_kind *kind,
			    unsigned int *bits);
static unsigned long hmap_bg_backoff(struct hmap *map, unsigned int bits)
	__must_hold(&map->lock);
static unsigned long hmap_array_holdoff(struct hmap *map)
	__must_hold(&map->lock);

/*
 * The last old bucket was evacuated: make the new table &hmap.tbl and
 * retire the old one (the trace event keeps the name "resize_finish").
 */
static void hmap_resize_commit(struct hmap *map)
	__must_hold(&map->resize_lock)
{
	struct hmap_table *old = hmap_oldest(map);
	struct hmap_table *new = hmap_dereference(map, old->next);
	unsigned long delay = ULONG_MAX;
	enum hmap_resize_kind kind;
	unsigned int bits;

	hmap_assert_all(map);
	trace_hmap_resize_finish(map, map->resizing, old->B, new->B,
				 atomic_long_read(&map->count),
				 ktime_get_ns() - map->resize_start_ns);
	rcu_assign_pointer(map->tbl, new);
	WRITE_ONCE(map->resizing, HMAP_RESIZE_NONE);
	WRITE_ONCE(map->nevacuate, 0);
	hmap_stripe_mask_set(map, new->B);
	WRITE_ONCE(new->noverflow_base, atomic_long_read(&new->noverflow));
	hmap_table_free_deferred(map, old);
	/*
	 * The worker comes back, whoever committed this resize, even if no
	 * write comes: if another resize is already due (inserts went on
	 * above the load; the worker's turn may have seen this one still
	 * running), to start it, at once if there is a spare (it fits, or
	 * the worker frees it), else after the back-off of a failed array
	 * of its size; if an array (one allocated ahead) failed during this
	 * resize, after its back-off, as hmap_array_result() does outside
	 * a resize: the inserts of its hold-off ask for no array, and may
	 * take the map past its load before writes stop; and to free a
	 * spare once writes have been idle, if that comes sooner.
	 */
	if (hmap_resize_due(map, &kind, &bits))
		delay = map->spare ? 0 : hmap_bg_backoff(map, bits);
	else if (hmap_array_holdoff(map))
		delay = hmap_bg_backoff(map, map->array_failed_B);
	if (map->spare)
		delay = min(delay, hmap_spare_idle_in(map));
	if (delay != ULONG_MAX)
		hmap_bg_queue(map, delay);
}

/*
 * Evacuate old bucket @i if it still needs it; if it was the one at
 * @nevacuate, advance @nevacuate past every bucket evacuated already (up
 * to %HMAP_ADVANCE_SCAN; under the stripe of @i alone). The caller
 * holds the stripe of @i. *@walked gets the buckets of the old chain
 * walked, 0 if it had been evacuated already; *@done is set when
 * @nevacuate reached the end: the caller then calls
 * hmap_resize_finish() once it has dropped its stripe (the commit takes
 * every stripe). Return 0, -EAGAIN or -ENOMEM (hmap_overflow_take()).
 */
static int hmap_evacuate_one(struct hmap *map, unsigned long i,
			     unsigned int how, struct hmap_mine *mine,
			     unsigned int *walked, bool *done)
	__must_hold(&map->stripes)
{
	struct hmap_table *old = hmap_oldest(map);
	struct hmap_table *new = hmap_dereference(map, old->next);
	unsigned long n, stop, mask = hmap_bucket_mask(old);

	hmap_assert_table(map);
	*walked = 0;
	if (i > mask)
		return 0;
	if (!hmap_bucket_evacuated(&old->buckets[i])) {
		int err = hmap_evacuate(map, old, new, i, how, mine, walked);

		if (err)
			return err;
		if (how & HMAP_EV_BACKGROUND)
			hmap_stat_add(map, evacuated_by_background, 1);
		else
			hmap_stat_add(map, evacuated_by_writers, 1);
	}
	/*
	 * Only the evacuation of the bucket at @nevacuate advances it, and
	 * needs no other lock: every write of @nevacuate holds the stripe
	 * of the bucket it points at (as this caller does, of @i), or every
	 * stripe, so no one else moves it meanwhile. The buckets looked at
	 * past @i may be other stripes': their markers are set once per
	 * resize, tag 0 last (acquire in hmap_bucket_evacuated()), and the
	 * array stays while any stripe is held.
	 */
	if (READ_ONCE(map->nevacuate) == i) {
		n = i + 1;
		stop = i + HMAP_ADVANCE_SCAN;
		while (n <= mask && n != stop &&
		       hmap_bucket_evacuated(&old->buckets[n]))
			n++;
		WRITE_ONCE(map->nevacuate, n);
	}
	*done = READ_ONCE(map->nevacuate) > mask;
	return 0;
}

/*
 * Commit the resize whose last old bucket was evacuated (*@done of
 * hmap_evacuate_one()): without any stripe held, takes them all. Another
 * caller may have committed it already, or a new resize begun: then this
 * does nothing.
 */
static void hmap_resize_finish(struct hmap *map)
{
	unsigned long flags;

	hmap_lock_all(map, &flags);
	if (map->resizing != HMAP_RESIZE_NONE &&
	    map->nevacuate > hmap_bucket_mask(hmap_oldest(map)))
		hmap_resize_commit(map);
	hmap_unlock_all(map, flags);
}

/*
 * A write's second old bucket, the one at @nevacuate: under the writer's
 * stripe @stripe if it is that one's, else under its own stripe if
 * spin_trylock() gets it at once; if not, it is skipped (*@walked 0).
 * Return: as hmap_evacuate_one().
 */
static int hmap_evacuate_second(struct hmap *map, unsigned int stripe,
				unsigned int how, struct hmap_mine *mine,
				unsigned int *walked, bool *done)
	__must_hold(&map->stripes)
{
	unsigned long i = READ_ONCE(map->nevacuate);
	unsigned int s2 = i & map->stripe_mask;
	int err;

	*walked = 0;
	if (s2 == stripe)
		return hmap_evacuate_one(map, i, how, mine, walked, done);
	if (!spin_trylock(&map->stripes[s2].lock))
		return 0;
	err = hmap_evacuate_one(map, i, how, mine, walked, done);
	spin_unlock(&map->stripes[s2].lock);
	return err;
}

/*
 * Before a write to @hash, during a resize of any kind: evacuate the old
 * bucket it hashes to, then one more at @nevacuate (two, as Go's growWork
 * does). The writer holds stripe @stripe, which covers the first bucket
 * and the new buckets it fills. The second is in another stripe unless
 * its index has the same low bits: that stripe is only tried
 * (spin_trylock(), which lockdep does not order, so two writers each
 * holding one stripe and trying the other's cannot deadlock); if it is
 * busy the second bucket is skipped (the worker evacuates beside the
 * writers, so the resize still ends). Only the first one is needed for
 * the write to be correct; an allocation failure of the second is left
 * for later (but -EAGAIN, the reserve short for a writer that may sleep,
 * is returned, so that it refills and the resize moves on as fast as with
 * GFP_ATOMIC buckets). Return 0, -EAGAIN or -ENOMEM. *@evacuated counts
 * the old buckets this write evacuated, across the times it took its
 * stripe: the second bucket is skipped once it reached two, so that a
 * write that dropped the lock and took it again (to allocate) evacuates
 * two, plus the one its key needs each time it came back. *@done: as
 * for hmap_evacuate_one().
 */
static noinline int
hmap_evacuate_for_write_resizing(struct hmap *map, u64 hash,
				 unsigned int stripe, unsigned int how,
				 struct hmap_mine *mine, unsigned int *evacuated,
				 bool *done)
	__must_hold(&map->stripes)
{
	unsigned int walked;
	int err;

	err = hmap_evacuate_one(map, hash & hmap_bucket_mask(hmap_oldest(map)),
				how, mine, &walked, done);
	if (err)
		return err;
	*evacuated += !!walked;
	if (*done || *evacuated >= 2)
		return 0;
	err = hmap_evacuate_second(map, stripe, how, mine, &walked, done);
	/* A writer that may sleep refills the reserve and comes back. */
	if (err == -EAGAIN)
		return err;
	if (!err)
		*evacuated += !!walked;
	return 0;
}

/*
 * The body above is out of line: a write with no resize in progress, the
 * common case, pays for the test only (not for a call, nor for the spills
 * of a larger frame).
 */
static __always_inline int hmap_evacuate_for_write(struct hmap *map,
						   u64 hash,
						   unsigned int stripe,
						   unsigned int how,
						   struct hmap_mine *mine,
						   unsigned int *evacuated,
						   bool *done)
	__must_hold(&map->stripes)
{
	hmap_assert_table(map);
	if (likely(map->resizing == HMAP_RESIZE_NONE))
		return 0;
	return hmap_evacuate_for_write_resizing(map, hash, stripe, how, mine,
						evacuated, done);
}

/*
 * Evacuate old buckets from @nevacuate on until @budget buckets (heads and
 * overflow buckets of the old chains) were walked or the resize is done:
 * called without any lock; takes the stripe of each bucket in turn
 * (one chain at a time: interrupts off that long in an %HMAP_F_ATOMIC
 * map), and commits the resize when
 * it ends. Return 0, -EAGAIN (&hmap.reserve_need set) or -ENOMEM
 * (hmap_overflow_take()).
 */
static int hmap_evacuate_batch(struct hmap *map, unsigned int budget,
			       unsigned int how)
{
	unsigned int walked, s;
	unsigned long flags, i;
	bool done;
	int err;

	while (budget) {
		done = false;
		i = READ_ONCE(map->nevacuate);
		s = hmap_stripe_lock(map, i, &flags);
		if (map->resizing == HMAP_RESIZE_NONE) {
			hmap_stripe_unlock(map, s, flags);
			return 0;
		}
		/* @nevacuate may have moved on: @i is in stripe @s still. */
		err = hmap_evacuate_one(map, i, how, NULL, &walked, &done);
		if (i > hmap_bucket_mask(hmap_oldest(map)))
			done = true;
		hmap_stripe_unlock(map, s, flags);
		if (err)
			return err;
		if (done)
			hmap_resize_finish(map);
		budget -= min(budget, max(walked, 1U));
	}
	return 0;
}

/*
 * Evacuate every old bucket left: finish the resize in progress, if any,
 * and whatever resize writers start meanwhile, up to @max_resizes of
 * theirs (0: any number; writers that kept starting them could hold a
 * caller here for as long as they write). Called without a lock of
 * the map, in process context: evacuates %HMAP_EVAC_HOLD buckets at a
 * time, each under its stripe, so that no stripe is held (with
 * interrupts off, in an %HMAP_F_ATOMIC map) for a long walk, and refills
 * the reserve of overflow buckets between them
 * (with GFP_KERNEL, whatever the map's flags: this context may sleep).
 *
 * Return: 0, or -ENOMEM (an evacuation waited for overflow buckets and
 * they could not be allocated), or -EINTR (a fatal signal: the caller is
 * being killed; the map is as correct as ever, the resize goes on with
 * the writes and the worker), or -EAGAIN (writers started more than
 * @max_resizes resizes meanwhile; the one in progress goes on likewise).
 */
static int hmap_evacuate_all(struct hmap *map, unsigned int max_resizes)
{
	unsigned long seq = READ_ONCE(map->resize_seq);
	unsigned int need = 0;
	int err;

	for (;;) {
		/* Writers may keep starting resizes: a killed caller stops. */
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		/* Only an evacuation that waits for the buckets fails. */
		if (hmap_reserve_fill(map, need) && need) {
			err = -ENOMEM;
			break;
		}
		err = 0;
		if (READ_ONCE(map->resizing) == HMAP_RESIZE_NONE)
			break;
		if (max_resizes &&
		    READ_ONCE(map->resize_seq) - seq > max_resizes) {
			err = -EAGAIN;
			break;
		}
		err = hmap_evacuate_batch(map, HMAP_EVAC_HOLD,
					  HMAP_EV_BACKGROUND |
					  HMAP_EV_MAY_SLEEP);
		need = err == -EAGAIN ? READ_ONCE(map->reserve_need) : 0;
		if (err && err != -EAGAIN)
			break;
		cond_resched();
	}
	/* The reserve an evacuation filled, back to its size if it is done. */
	hmap_reserve_trim(map);
	return err;
}

/*
 * The spare array if it has @bits; a spare of another size is freed from
 * the workqueue, as retired arrays are (vfree() may sleep, and this runs
 * under the spinlock; the grace period is not needed, and the scan of its
 * empty buckets is the price of one free path).
 */
static struct hmap_table *hmap_spare_take(struct hmap *map, unsigned int bits)
	__must_hold(&map->lock)
{
	struct hmap_table *t = map->spare;

	lockdep_assert_held(&map->lock);
	if (!t)
		return NULL;
	WRITE_ONCE(map->spare, NULL);
	if (t->B == bits)
		return t;
	hmap_table_free_deferred(map, t);
	return NULL;
}

/* Take the spare array off the map, for the caller to free unlocked. */
static struct hmap_table *hmap_spare_detach(struct hmap *map)
	__must_hold(&map->lock)
{
	struct hmap_table *t = map->spare;

	lockdep_assert_held(&map->lock);
	WRITE_ONCE(map->spare, NULL);
	return t;
}

/*
 * Install @t as the spare array unless the map is dying or already has a
 * spare of that size; return what the caller must free once unlocked (@t,
 * or the spare it replaced), or NULL.
 */
static struct hmap_table *hmap_spare_install(struct hmap *map,
					     struct hmap_table *t)
	__must_hold(&map->lock)
{
	struct hmap_table *old = map->spare;

	lockdep_assert_held(&map->lock);
	if (map->dying || (old && old->B == t->B))
		return t;
	WRITE_ONCE(map->spare, t);
	/* Freed again if writes stop short of the resize. */
	hmap_bg_schedule(map);
	return old;
}

/*
 * Claim the one allocation of a bucket array a map has in flight: whoever
 * gets it allocates (hmap_spare_fill()), every other writer that finds the
 * same resize due goes on into overflow chains meanwhile, so that writers
 * racing to a resize allocate one array, not one each.
 *
 * Return: whether the caller got it (then it must call hmap_spare_fill()).
 */
static bool hmap_array_claim(struct hmap *map)
	__must_hold(&map->lock)
{
	lockdep_assert_held(&map->lock);
	if (map->array_busy || map->dying)
		return false;
	WRITE_ONCE(map->array_busy, true);
	return true;
}

/*
 * The claimed allocation is over: if a write asked @prealloc_work for an
 * array meanwhile, or for the next one ahead (it waited for this one),
 * let it look again; wake the writers waiting for it (hmap_array_wait()).
 */
static void hmap_array_release(struct hmap *map)
	__must_hold(&map->lock)
{
	lockdep_assert_held(&map->lock);
	WRITE_ONCE(map->array_busy, false);
	if ((map->want_array || map->want_ahead) && !map->dying)
		queue_work(hmap_wq, &map->prealloc_work);
	/* Orders the store above before the check for waiters. */
	smp_mb();
	wake_up_var(&map->array_busy);
}

/*
 * Wait until the allocation of an array in flight is over (whoever claimed
 * it released it): what a writer that may sleep does past
 * %HMAP_NOARRAY_SLACK rather than allocate an array of its own. Without
 * any lock of the map, in process context.
 */
static void hmap_array_wait(struct hmap *map)
{
	wait_var_event(&map->array_busy, !READ_ONCE(map->array_busy));
}

/*
 * Forget every failed allocation of an array: the cap of the chains, the
 * hold-off and the worker's back-off. What an array that came
 * (hmap_array_result()) and hmap_clear() do.
 */
static void hmap_array_forget_failures(struct hmap *map)
	__must_hold(&map->lock)
{
	lockdep_assert_held(&map->lock);
	map->array_failed = false;
	map->array_held_off = false;
	map->array_failures = 0;
}

/*
 * How long the worker still waits, in jiffies, before it asks on its own
 * for an array of 2^@bits buckets after the last one of that size failed:
 * %HMAP_BG_RETRY << min(@array_failures - 1, %HMAP_BG_BACKOFF_SHIFT) after
 * the failure, 20 ms doubling to about 5 s; 0 once that is over, or if the
 * last failure was of another size. Jiffies wrapping past the failure end
 * it (time_in_range_open()).
 */
static unsigned long hmap_bg_backoff(struct hmap *map, unsigned int bits)
	__must_hold(&map->lock)
{
	unsigned int shift = map->array_failures;	/* capped */
	unsigned long end, now = jiffies;

	lockdep_assert_held(&map->lock);
	if (!shift || map->array_failed_B != bits)
		return 0;
	end = map->array_failed_at + (HMAP_BG_RETRY << (shift - 1));
	if (!time_in_range_open(now, map->array_failed_at, end))
		return 0;
	return end - now;
}

/*
 * Note how the allocation of an array of 2^@bits buckets went: a success
 * ends the cap of the chains and the hold-off; a failure starts the
 * hold-off for that size, where the next try of any path waits for
 * %HMAP_BG_RETRY (hmap_array_holdoff()), and, if it was the array of a
 * @due resize (not one allocated ahead), the cap; the worker comes back
 * for whatever resize is due then after its back-off (hmap_bg_backoff()),
 * whichever array failed: 20 ms after a
 * failure of an array a write asked for, doubled by every failure in a
 * row of one the worker asked for itself (@by_worker: @prealloc_work
 * serving a request the worker made, &hmap.bg_asked).
 */
static void hmap_array_result(struct hmap *map, unsigned int bits, bool ok,
			      bool due, bool by_worker)
	__must_hold(&map->lock)
{
	lockdep_assert_held(&map->lock);
	if (ok) {
		hmap_array_forget_failures(map);
		return;
	}
	map->array_held_off = true;
	map->array_failed_B = bits;
	map->array_failed_at = jiffies;
	/* Only the worker's own tries in a row back off further. */
	if (!by_worker)
		map->array_failures = 1;
	else if (map->array_failures <= HMAP_BG_BACKOFF_SHIFT)
		map->array_failures++;
	if (due)
		map->array_failed = true;
	/*
	 * The worker looks again, after its back-off, at a resize that is
	 * due then: on an idle map no write asks for it. Also after an
	 * array allocated ahead failed: the inserts of the hold-off that
	 * follows may take the map past its load, and none asks then.
	 */
	if (READ_ONCE(map->resizing) == HMAP_RESIZE_NONE)
		hmap_bg_queue(map, hmap_bg_backoff(map, bits));
}

/*
 * How long the last failed allocation of an array still holds off
 * another try (%HMAP_BG_RETRY after it), in jiffies, at most
 * %HMAP_BG_RETRY; 0 if it does not. The hold-off ends for good once it
 * is seen over, so that jiffies wrapping around never brings it back.
 */
static unsigned long hmap_array_holdoff(struct hmap *map)
	__must_hold(&map->lock)
{
	unsigned long end = map->array_failed_at + HMAP_BG_RETRY;
	unsigned long now = jiffies;

	lockdep_assert_held(&map->lock);
	if (!map->array_held_off)
		return 0;
	if (!time_in_range_open(now, map->array_failed_at, end)) {
		map->array_held_off = false;
		return 0;
	}
	return end - now;
}

/*
 * Whether the allocation of an array of 2^@bits buckets failed less than
 * %HMAP_BG_RETRY ago: then no write asks for another of that size yet.
 */
static bool hmap_array_failed_recently(struct hmap *map, unsigned int bits)
	__must_hold(&map->lock)
{
	return map->array_failed_B == bits && hmap_array_holdoff(map);
}

/*
 * Allocate an array of 2^@bits buckets and make it the spare, for the
 * resize that was due and found none: what a writer that may sleep does
 * after dropping the lock, having claimed the allocation
 * (hmap_array_claim()), which this releases. Process context, without
 * &hmap.lock.
 *
 * Return: 0, or -ENOMEM.
 */
static int hmap_spare_fill(struct hmap *map, unsigned int bits)
{
	struct hmap_table *t;
	unsigned long flags;
	bool ok;

	t = hmap_table_new(map, bits);
	ok = t;
	spin_lock_irqsave(&map->lock, flags);
	hmap_array_result(map, bits, ok, true, false);
	if (t)
		t = hmap_spare_install(map, t);
	hmap_array_release(map);
	spin_unlock_irqrestore(&map->lock, flags);
	if (t)
		hmap_table_free_array(t);
	return ok ? 0 : -ENOMEM;
}

/*
 * A resize was due and its array was not at hand: have @prealloc_work
 * allocate it and start the resize. What writes that may not sleep, and
 * the worker, do. The request is then a write's (&hmap.bg_asked clear):
 * the worker marks it its own after this if no request was pending.
 */
static void hmap_want_array(struct hmap *map)
	__must_hold(&map->lock)
{
	lockdep_assert_held(&map->lock);
	if (map->dying)
		return;
	WRITE_ONCE(map->want_array, true);
	map->bg_asked = false;
	queue_work(hmap_wq, &map->prealloc_work);
}

static bool hmap_resize_start(struct hmap *map, enum hmap_resize_kind kind,
			      unsigned int bits);

/*
 * The resize the map is due for now, if any, into *@kind and *@bits:
 * a grow above its load, a same-size grow for its overflow buckets, a
 * shrink below its load. For a map no write is waiting on (the worker,
 * @prealloc_work).
 */
static bool hmap_resize_due(struct hmap *map, enum hmap_resize_kind *kind,
			    unsigned int *bits)
	__must_hold(&map->resize_lock)
{
	struct hmap_table *t = hmap_oldest(map);

	hmap_assert_all(map);
	if (map->resizing != HMAP_RESIZE_NONE)
		return false;
	if (hmap_over_load(atomic_long_read(&map->count), t->B) &&
	    t->B < HMAP_B_MAX) {
		*kind = HMAP_RESIZE_GROW;
		*bits = t->B + 1;
	} else if (hmap_too_many_overflow(t)) {
		*kind = HMAP_RESIZE_SAME;
		*bits = t->B;
	} else if (hmap_under_load(atomic_long_read(&map->count), t->B)) {
		*kind = HMAP_RESIZE_SHRINK;
		*bits = t->B - 1;
	} else {
		return false;
	}
	return true;
}

/*
 * Process-context chores of a map, outside its spinlock: refill the
 * reserve of overflow buckets (an %HMAP_F_ATOMIC map's writers ask,
 * hmap_reserve_low()); allocate an array for the spare: the next grow's
 * for a large map three quarters of the way to it (@want_ahead,
 * hmap_maybe_prealloc()), or the one a resize found missing (@want_array),
 * whose resize this then starts if the map is still due for it; if it is
 * due for another, that one's array is wanted next. Within
 * %HMAP_BG_RETRY of a failed allocation of an array of that size (either
 * kind) it drops the request, as the writers do not make it then. While
 * another allocation of an array is in flight (@array_busy) this leaves
 * @want_array set and allocates nothing: hmap_array_release() queues it
 * again. Every lock of the map is taken only when an array is wanted:
 * once to decide, and once more to install what it allocated or to start
 * the resize whose array is at hand.
 */
static void hmap_prealloc_work(struct work_struct *work)
{
	struct hmap *map = container_of(work, struct hmap, prealloc_work);
	struct hmap_table *t = NULL;
	enum hmap_resize_kind kind;
	struct mem_cgroup *memcg;
	bool want, skip, failed, by_worker, locked = true;
	unsigned long flags;
	unsigned int bits;

	mutex_lock(&map->work_lock);
	memcg = set_active_memcg(map->memcg);
	/* A failure is left to GFP_ATOMIC and the next write that asks. */
	hmap_reserve_fill(map, HMAP_RESERVE);
	/* Most runs only refill the reserve: the state lock tells. */
	spin_lock_irqsave(&map->lock, flags);
	want = map->want_array || map->want_ahead;
	spin_unlock_irqrestore(&map->lock, flags);
	if (!want)
		goto out;
	hmap_lock_all(map, &flags);
	if (map->array_busy) {
		hmap_unlock_all(map, flags);
		goto out;
	}
	/*
	 * What a write wanted is worked out again from the map as it is
	 * now: a write may have asked after the resize it wanted started.
	 */
	want = map->want_array;
	WRITE_ONCE(map->want_array, false);
	/*
	 * Whether the request is the worker's own: consumed with it, so that
	 * the failure of an array a write asks for later, or has in flight
	 * now, never counts as one of the worker's tries in a row.
	 */
	by_worker = want && map->bg_asked;
	map->bg_asked = false;
	if (want) {
		want = hmap_resize_due(map, &kind, &bits);
		skip = !want;
	} else {
		bits = hmap_newest(map)->B + 1;
		skip = !map->want_ahead || !!map->spare;
	}
	WRITE_ONCE(map->want_ahead, false);
	/*
	 * Not within %HMAP_BG_RETRY of a failed array of this size, due or
	 * ahead: the next write that finds it wanted after that asks.
	 */
	if (!skip && hmap_array_failed_recently(map, bits)) {
		skip = true;
		want = false;
	}
	skip = skip || bits > HMAP_B_MAX ||
	       (map->spare && map->spare->B == bits) ||
	       !hmap_array_claim(map);
	hmap_unlock_all(map, flags);
	/* Nothing allocated and no resize to start: done. */
	if (skip && !want)
		goto out;

	if (!skip) {
		/*
		 * Without the locks, not even &hmap.work_lock (the claim
		 * makes this the one allocation of the spare in flight): the
		 * writers and the worker go on while this zeroes megabytes.
		 * Nor is it taken again to install the array: what it
		 * serialized here, the start of a resize, hmap_lock_all()
		 * does, so that writers waiting for the claim
		 * (hmap_array_wait()) do not wait for a whole
		 * hmap_shrink_to_fit() that holds it.
		 */
		mutex_unlock(&map->work_lock);
		locked = false;
		t = hmap_table_new(map, bits);
	}
	/* Not again until a write wants it: writes go on into chains. */
	failed = !skip && !t;
	hmap_lock_all(map, &flags);
	/*
	 * Any failure holds off the next try of this size; only the
	 * failure of a due resize's array caps the chains (one allocated
	 * ahead was not needed yet).
	 */
	if (!skip)
		hmap_array_result(map, bits, !failed, want, by_worker);
	if (t && (want || hmap_newest(map)->B + 1 == bits))
		t = hmap_spare_install(map, t);
	if (!skip)
		hmap_array_release(map);
	if (want && !failed && hmap_resize_due(map, &kind, &bits) &&
	    !hmap_resize_start(map, kind, bits))
		hmap_want_array(map);
	hmap_unlock_all(map, flags);
out:
	set_active_memcg(memcg);
	if (locked)
		mutex_unlock(&map->work_lock);
	if (t)
		hmap_table_free_array(t);
}

/*
 * hmap_maybe_prealloc() past its checks without the lock, out of line.
 * Under the insert's stripe; takes &hmap.lock.
 */
static noinline void hmap_prealloc_ask(struct hmap *map,
				       struct hmap_table *t)
{
	spin_lock(&map->lock);
	if (!map->spare && !map->dying && !map->array_busy &&
	    !map->want_ahead && !hmap_array_failed_recently(map, t->B + 1)) {
		WRITE_ONCE(map->want_ahead, true);
		queue_work(hmap_wq, &map->prealloc_work);
	}
	spin_unlock(&map->lock);
}

/*
 * Three quarters of the way to a grow of a large map: get its array. The
 * size checks first, inline and without &hmap.lock, so that the inserts
 * of a map not near a grow never take it; then the state, under it: not
 * within %HMAP_BG_RETRY of a failed allocation of that size.
 */
static __always_inline void hmap_maybe_prealloc(struct hmap *map,
						struct hmap_table *t)
{
	if (t->B + 1 < HMAP_PREALLOC_MIN_B || t->B >= HMAP_B_MAX)
		return;
	if ((u64)atomic_long_read(&map->count) * HMAP_LOAD_DEN * 4 <
	    ((u64)HMAP_LOAD_NUM * 3) << t->B)
		return;
	/*
	 * A racy peek: the lock decides. An array in flight makes every
	 * insert skip it too (the 20 ms after a failure still take the
	 * lock, to see when the hold-off is over).
	 */
	if (READ_ONCE(map->spare) || READ_ONCE(map->want_ahead) ||
	    READ_ONCE(map->array_busy))
		return;
	hmap_prealloc_ask(map, t);
}

/*
 * Start a resize of @kind to @new, the array of the resize (of 2^@new->B
 * buckets): link it behind the oldest table and arm the worker.
 */
static void hmap_resize_start_with(struct hmap *map,
				   enum hmap_resize_kind kind,
				   struct hmap_table *new)
	__must_hold(&map->resize_lock)
{
	struct hmap_table *old = hmap_oldest(map);

	hmap_assert_all(map);
	rcu_assign_pointer(old->next, new);
	map->array_failed = false;
	WRITE_ONCE(map->resizing, kind);
	WRITE_ONCE(map->nevacuate, 0);
	hmap_stripe_mask_set(map, min(old->B, new->B));
	map->resize_start_ns = ktime_get_ns();
	WRITE_ONCE(map->resize_seq, map->resize_seq + 1);
	trace_hmap_resize_start(map, kind, old->B, new->B,
				atomic_long_read(&map->count));
	switch (kind) {
	case HMAP_RESIZE_GROW:
		hmap_stat_add(map, grows, 1);
		break;
	case HMAP_RESIZE_SAME:
		hmap_stat_add(map, same_size_grows, 1);
		break;
	case HMAP_RESIZE_SHRINK:
		hmap_stat_add(map, shrinks, 1);
		break;
	case HMAP_RESIZE_NONE:
		break;
	}
	hmap_bg_schedule(map);
}

/*
 * Start a resize of @kind to an array of 2^@bits buckets if the spare
 * array has that size. Bucket arrays are never allocated here, under the
 * spinlock: without one nothing starts, @resizing stays
 * %HMAP_RESIZE_NONE, and the caller gets the
 * array (hmap_spare_fill() if it may sleep, else hmap_want_array()).
 * Writes meanwhile go on into overflow chains.
 *
 * Return: whether the resize started.
 */
static bool hmap_resize_start(struct hmap *map, enum hmap_resize_kind kind,
			      unsigned int bits)
	__must_hold(&map->resize_lock)
{
	struct hmap_table *new;

	hmap_assert_all(map);
	new = hmap_spare_take(map, bits);
	if (!new)
		return false;
	hmap_resize_start_with(map, kind, new);
	return true;
}

/*
 * Start a shrink if the map is well below its load. Deletes call this, so
 * that a map emptied faster than one shrink per resize still ends at the
 * size it needs (the worker does the same with hmap_start_due_resize()).
 *
 * Return: -1 if no shrink is due or one started; else the B of the array
 * the shrink needs and did not find.
 */
static int hmap_maybe_shrink(struct hmap *map)
	__must_hold(&map->resize_lock)
{
	struct hmap_table *t = hmap_oldest(map);

	hmap_assert_all(map);
	if (map->resizing != HMAP_RESIZE_NONE ||
	    !hmap_under_load(atomic_long_read(&map->count), t->B) ||
	    hmap_resize_start(map, HMAP_RESIZE_SHRINK, t->B - 1))
		return -1;
	return t->B - 1;
}

/*
 * Start the resize the map is due for, if any (hmap_resize_due(): a grow,
 * a same-size grow or a shrink), with the spare array if it fits. What
 * the worker does when a resize ends or it comes back after a failed
 * array, so that a map no one writes still ends at the size it needs: an
 * %HMAP_F_ATOMIC map whose inserts stopped above its load (its grows
 * start only as @prealloc_work's arrays come), one emptied faster than
 * one shrink per resize, or one whose arrays failed.
 *
 * Return: -1 if no resize is due or one started; else the B of the array
 * the resize needs and did not find.
 */
static int hmap_start_due_resize(struct hmap *map)
	__must_hold(&map->resize_lock)
{
	enum hmap_resize_kind kind;
	unsigned int bits;

	hmap_assert_all(map);
	if (!hmap_resize_due(map, &kind, &bits) ||
	    hmap_resize_start(map, kind, bits))
		return -1;
	return bits;
}

/*
 * One hold of the lock by the worker, the @n-th of its turn: evacuate
 * %HMAP_EVAC_HOLD buckets of the resize in progress; with none in
 * progress (it ended, or none was), start a resize that is due
 * (hmap_start_due_resize()), and if none was in progress at the start of
 * the turn, free a spare array once writes have been idle (into *@idle,
 * for the caller to free unlocked). A resize whose array failed is not
 * asked for within the back-off (hmap_bg_backoff()): the worker comes
 * back when that is over. At the end of the turn, arm the worker for
 * what is left. When the reserve of overflow buckets
 * is short, *@need gets what the evacuation needs, for the next hold (the
 * worker may sleep: it never takes GFP_ATOMIC ones); else 0.
 *
 * Return: whether the turn goes on with another hold.
 */
static bool hmap_bg_hold(struct hmap *map, unsigned int n,
			 struct hmap_table **idle, unsigned int *need)
{
	bool last = n + 1 == HMAP_BG_BATCH / HMAP_EVAC_HOLD, more = false;
	bool resizing, stop;
	unsigned long flags;
	int want, err = 0;

	*need = 0;
	spin_lock_irqsave(&map->lock, flags);
	stop = map->dying || !map->background;
	resizing = READ_ONCE(map->resizing) != HMAP_RESIZE_NONE;
	spin_unlock_irqrestore(&map->lock, flags);
	if (stop)
		return false;
	/* Each bucket under its stripe: writers of the others go on. */
	if (resizing)
		err = hmap_evacuate_batch(map, HMAP_EVAC_HOLD,
					  HMAP_EV_BACKGROUND |
					  HMAP_EV_MAY_SLEEP);
	if (resizing && READ_ONCE(map->resizing) != HMAP_RESIZE_NONE) {
		/* Still resizing: only the state lock is needed. */
		spin_lock_irqsave(&map->lock, flags);
		if (map->dying || !map->background)
			goto unlock;
		if (err == -EAGAIN) {
			*need = map->reserve_need;
		} else if (err) {
			/* Out of memory: try again later. */
			hmap_bg_queue(map, HMAP_BG_RETRY);
			goto unlock;
		}
		more = !last;
		if (!more)
			hmap_bg_schedule(map);
unlock:
		spin_unlock_irqrestore(&map->lock, flags);
		return more;
	}
	hmap_lock_all(map, &flags);
	if (map->dying || !map->background)
		goto unlock_all;
	/*
	 * No resize in progress (it ended, a writer ended it, or one was
	 * held off): start the next one if one is due; within the back-off
	 * after a failed array of its size, look again once that is over.
	 */
	want = -1;
	if (map->resizing == HMAP_RESIZE_NONE) {
		want = hmap_start_due_resize(map);
		if (want >= 0 && !hmap_bg_backoff(map, want)) {
			/*
			 * The worker's own unless a write's request is
			 * pending (one of its own pending stays its own).
			 */
			bool mine = !map->want_array || map->bg_asked;

			hmap_want_array(map);
			map->bg_asked = mine;
			want = -1;
		}
	}
	if (!resizing && !n && map->spare &&
	    !time_before(jiffies, READ_ONCE(map->last_write) +
			 HMAP_SPARE_IDLE)) {
		/* No resize came for the spare array: give it back. */
		*idle = hmap_spare_detach(map);
	}
	hmap_bg_schedule(map);
	if (want >= 0)
		hmap_bg_queue(map, hmap_bg_backoff(map, want));
unlock_all:
	hmap_unlock_all(map, flags);
	return false;
}

/*
 * One turn of the worker: up to %HMAP_BG_BATCH old buckets evacuated, in
 * holds of the lock of %HMAP_EVAC_HOLD buckets walked (hmap_bg_hold()),
 * the reserve of overflow buckets refilled with GFP_KERNEL before each;
 * if that fails when an evacuation waits for it, the turn ends and the
 * worker tries again after %HMAP_BG_RETRY.
 */
static void hmap_bg_work(struct work_struct *work)
{
	struct hmap *map = container_of(to_delayed_work(work), struct hmap,
					bg_work);
	unsigned int n = 0, need = 0;
	struct hmap_table *idle = NULL;
	struct mem_cgroup *memcg;
	unsigned long flags;

	mutex_lock(&map->work_lock);
	/* Overflow buckets are charged to the map's creator. */
	memcg = set_active_memcg(map->memcg);
	do {
		/* Only an evacuation that waits for the buckets stops it. */
		if (hmap_reserve_fill(map, need) && need) {
			spin_lock_irqsave(&map->lock, flags);
			hmap_bg_queue(map, HMAP_BG_RETRY);
			spin_unlock_irqrestore(&map->lock, flags);
			break;
		}
	} while (hmap_bg_hold(map, n++, &idle, &need));
	hmap_reserve_trim(map);
	set_active_memcg(memcg);
	mutex_unlock(&map->work_lock);
	if (idle)
		hmap_table_free_array(idle);
}

/* ---- Writes ---- */

static bool hmap_key_ok(const struct hmap *map, u32 key_len)
{
	return key_len && key_len <= map->params.key_size;
}

/*
 * The find of a write: @key in table @t (the newest, but for a delete in
 * place), at *@at; on a miss, NULL, with *@at the last bucket looked at
 * and *@free the first free slot.
 */
static struct hmap_elem *hmap_find_for_write(struct hmap *map,
					     struct hmap_table *t, u64 hash,
					     const void *key, u32 key_len,
					     struct hmap_dest *at,
					     struct hmap_dest *free)
	__must_hold(&map->stripes)
{
	struct hmap_bucket *b = &t->buckets[hash & hmap_bucket_mask(t)];
	u8 top = hmap_tophash(hash);
	unsigned int i;

	hmap_assert_table(map);
	free->b = NULL;
	for (;;) {
		for (i = 0; i < HMAP_BUCKET_SLOTS; i++) {
			u8 th = b->tophash[i];
			struct hmap_elem *e;

			if (th != top) {
				if (hmap_tophash_is_empty(th) && !free->b) {
					free->b = b;
					free->slot = i;
				}
				if (th == HMAP_EMPTY_REST)
					goto miss;
				continue;
			}
			e = hmap_dereference(map, b->elems[i]);
			if (hmap_elem_match(e, hash, key, key_len)) {
				at->b = b;
				at->slot = i;
				return e;
			}
		}
		if (!rcu_access_pointer(b->overflow))
			break;
		b = hmap_dereference(map, b->overflow);
	}
miss:
	at->b = b;	/* the last bucket looked at */
	return NULL;
}

/*
 * The insert of a write: @ne at the free slot hmap_find_for_write() found,
 * or in @nb, a new overflow bucket (hmap_overflow_take()), linked after
 * @last, the end of the chain.
 */
static __always_inline void hmap_insert_for_write(struct hmap *map,
						  struct hmap_elem *ne,
						  struct hmap_dest *last,
						  struct hmap_dest *free,
						  struct hmap_bucket *nb)
	__must_hold(&map->stripes)
{
	struct hmap_bucket *b = free->b;
	unsigned int slot = free->slot;

	hmap_assert_table(map);
	if (!b) {
		struct hmap_table *t = hmap_newest(map);

		b = nb;
		b->tophash[0] = hmap_tophash(ne->hash);
		RCU_INIT_POINTER(b->elems[0], ne);
		rcu_assign_pointer(last->b->overflow, b);
		atomic_long_inc(&t->noverflow);
	} else {
		rcu_assign_pointer(b->elems[slot], ne);
		WRITE_ONCE(b->tophash[slot], hmap_tophash(ne->hash));
	}
}

/*
 * A write that may sleep found the overflow buckets it needs short
 * (-EAGAIN, &hmap_mine.need set): drop the stripe and allocate the
 * buckets missing with GFP_KERNEL onto its own list @mine, which it takes
 * from first when it tries again (hmap_overflow_take()). No other write
 * can take those, so the write comes back only if it needs more than
 * before (its chains changed meanwhile).
 *
 * Return: 0 to try again; -ENOMEM if an allocation failed or the write
 * tried %HMAP_WRITE_RETRIES times already.
 */
static int hmap_write_refill(struct hmap *map, unsigned int stripe,
			     unsigned long irqflags, struct hmap_mine *mine,
			     unsigned int *retries)
	__releases(&map->stripes)
{
	unsigned int need = mine->need;
	struct hmap_bucket *b;

	hmap_stripe_unlock(map, stripe, irqflags);
	mine->need = 0;
	if (++*retries > HMAP_WRITE_RETRIES)
		return -ENOMEM;
	while (need--) {
		b = hmap_overflow_alloc(map, GFP_KERNEL);
		if (!b)
			return -ENOMEM;
		RCU_INIT_POINTER(b->overflow, mine->list);
		mine->list = b;
		mine->n++;
	}
	return 0;
}

/*
 * The end of a write, its stripe dropped: the overflow buckets it
 * allocated and did not use go to the reserve, up to %HMAP_RESERVE; the
 * rest is freed.
 */
static void hmap_mine_release(struct hmap *map, struct hmap_mine *mine)
{
	unsigned long flags;

	if (likely(!mine->list))
		return;
	spin_lock_irqsave(&map->lock, flags);
	hmap_reserve_put(map, &mine->list, HMAP_RESERVE);
	spin_unlock_irqrestore(&map->lock, flags);
	hmap_bucket_list_free(mine->list);
	mine->list = NULL;
	mine->n = 0;
}

/*
 * The refill of a write failed: if the write was still to evacuate its
 * second old bucket (the one it need not), it tries once more without
 * it, so that a write fails for want of memory only if it needs it.
 */
static bool hmap_write_skip_second(unsigned int *evacuated,
				   unsigned int retries)
{
	if (*evacuated >= 2 || retries > HMAP_WRITE_RETRIES)
		return false;
	*evacuated = 2;
	return true;
}

/*
 * The resize an insert into @t at @count + 1 entries is due for: a grow
 * above the load, else a same-size grow for the overflow buckets.
 */
static __always_inline bool
hmap_insert_resize_due(struct hmap *map, struct hmap_table *t,
		       enum hmap_resize_kind *kind, unsigned int *bits)
	__must_hold(&map->stripes)
{
	hmap_assert_table(map);
	if (map->resizing != HMAP_RESIZE_NONE)
		return false;
	if (hmap_over_load(atomic_long_read(&map->count) + 1, t->B) &&
	    t->B < HMAP_B_MAX) {
		*kind = HMAP_RESIZE_GROW;
		*bits = t->B + 1;
	} else if (hmap_too_many_overflow(t)) {
		*kind = HMAP_RESIZE_SAME;
		*bits = t->B;
	} else {
		return false;
	}
	return true;
}

/*
 * Start the resize of @kind to 2^@bits buckets a write found due, with the
 * spare array it found of that size: the write dropped its stripe, this
 * takes every lock and checks again. Return: whether it started.
 */
static bool hmap_write_start_resize(struct hmap *map,
				    enum hmap_resize_kind kind,
				    unsigned int bits)
{
	enum hmap_resize_kind k;
	unsigned long flags;
	bool started = false;
	unsigned int b;

	hmap_lock_all(map, &flags);
	if (hmap_insert_resize_due(map, hmap_oldest(map), &k, &b) &&
	    k == kind && b == bits) {
		started = hmap_resize_start(map, kind, bits);
	}
	hmap_unlock_all(map, flags);
	return started;
}

/* What an insert that found a resize due tried, across its relocks. */
struct hmap_insert_tries {
	bool start;	/* to start it with the spare array */
	bool array;	/* to allocate an array, or to wait for one */
	bool held_off;	/* slept out a hold-off */
};

/* What an insert that found a resize due does next: hmap_insert_resize(). */
enum hmap_insert_act {
	HMAP_INSERT_GO_ON,	/* insert, into an overflow chain if need be */
	HMAP_INSERT_FAIL,	/* fail with -ENOMEM: no array, past the cap */
	HMAP_INSERT_START,	/* start the resize with the spare array */
	HMAP_INSERT_FILL,	/* allocate the array (claimed) */
	HMAP_INSERT_WAIT,	/* wait for the allocation in flight */
	HMAP_INSERT_HOLD,	/* sleep out the rest of the hold-off */
};

/*
 * An insert into @t, under its stripe, found a resize of @kind to
 * 2^@bits buckets due (hmap_insert_resize_due()): decide, under
 * &hmap.lock, what it does about it. Out of line, as the action is in
 * hmap_insert_resize_unlocked(): most inserts find no resize due, and
 * their frame stays small.
 *
 * Return: %HMAP_INSERT_GO_ON or %HMAP_INSERT_FAIL, the stripe still to be
 * held; any other action, the caller drops its stripe, calls
 * hmap_insert_resize_unlocked() (*@hold: the jiffies to sleep for
 * %HMAP_INSERT_HOLD) and begins the write again.
 */
static noinline enum hmap_insert_act
hmap_insert_resize(struct hmap *map, struct hmap_table *t,
		   enum hmap_resize_kind kind, unsigned int bits,
		   bool may_sleep, struct hmap_insert_tries *tries,
		   unsigned long *hold)
	__must_hold(&map->stripes)
{
	enum hmap_insert_act act = HMAP_INSERT_GO_ON;
	bool claimed, over, have;

	hmap_assert_table(map);
	spin_lock(&map->lock);
	have = map->spare && map->spare->B == bits;
	if (have && !tries->start) {
		/*
		 * Starting it takes every stripe: drop this one, start it,
		 * and begin the write again (once).
		 */
		tries->start = true;
		act = HMAP_INSERT_START;
		goto out;
	}
	/*
	 * No array at hand: a writer that may sleep allocates it unlocked
	 * and tries once more, unless another one is at it already
	 * (hmap_array_claim()); one that may not leaves it to
	 * @prealloc_work. Either way the insert goes on, into an overflow
	 * chain if it must; once the allocation of this grow's array
	 * failed, up to %HMAP_NOARRAY_SLACK times the load, past which a
	 * writer that may sleep waits for the allocation in flight (it
	 * allocates none of its own) or, if none is, makes one, at most one
	 * per %HMAP_BG_RETRY (sooner after a failed one, it sleeps out the
	 * rest first; if another writer's try failed while it slept, it
	 * makes none), and the insert fails if no array came: so its
	 * -ENOMEM always follows an allocation that failed during the call,
	 * its own, the one it waited for or the one that failed while it
	 * slept.
	 */
	over = map->array_failed && kind == HMAP_RESIZE_GROW &&
	       map->array_failed_B == bits &&
	       hmap_over_load(atomic_long_read(&map->count) + 1,
			      t->B + HMAP_NOARRAY_SLACK);
	if (have) {
		/*
		 * The spare is there but this write tried to start the
		 * resize once already (another write took or replaced the
		 * array meanwhile): go on into a chain; the next write
		 * starts it.
		 */
	} else if (!may_sleep) {
		/* Within %HMAP_BG_RETRY of a failed one, not yet. */
		if (!hmap_array_failed_recently(map, bits))
			hmap_want_array(map);
	} else if (!tries->array) {
		*hold = 0;
		if (over && !map->array_busy)
			*hold = hmap_array_holdoff(map);
		/* Below the cap, no try within %HMAP_BG_RETRY either. */
		claimed = !*hold &&
			  (over || !hmap_array_failed_recently(map, bits)) &&
			  hmap_array_claim(map);
		/*
		 * Having slept out one hold-off, a newer one is a failure
		 * during the call: no try, -ENOMEM below.
		 */
		if (claimed || (over && !(*hold && tries->held_off))) {
			if (*hold) {
				tries->held_off = true;
				act = HMAP_INSERT_HOLD;
			} else {
				tries->array = true;
				act = claimed ? HMAP_INSERT_FILL :
						HMAP_INSERT_WAIT;
			}
			goto out;
		}
	}
	if (over)
		act = HMAP_INSERT_FAIL;
out:
	spin_unlock(&map->lock);
	return act;
}

/*
 * The action hmap_insert_resize() chose, the insert's stripe dropped:
 * start the resize of @kind to 2^@bits buckets, allocate its array, wait
 * for the allocation in flight, or sleep @hold jiffies.
 */
static noinline void hmap_insert_resize_unlocked(struct hmap *map,
						 enum hmap_insert_act act,
						 enum hmap_resize_kind kind,
						 unsigned int bits,
						 unsigned long hold)
{
	switch (act) {
	case HMAP_INSERT_START:
		hmap_write_start_resize(map, kind, bits);
		break;
	case HMAP_INSERT_FILL:
		hmap_spare_fill(map, bits);
		break;
	case HMAP_INSERT_WAIT:
		hmap_array_wait(map);
		break;
	case HMAP_INSERT_HOLD:
		schedule_timeout_uninterruptible(hold);
		break;
	default:
		break;
	}
}

/*
 * The start of a write's hold: lock the stripe of @hash, and note the
 * write for the worker's idle clock.
 *
 * Return: the stripe held.
 */
static __always_inline unsigned int
hmap_write_lock(struct hmap *map, u64 hash, unsigned long *irqflags)
	__acquires(&map->stripes)
{
	unsigned int stripe = hmap_stripe_lock(map, hash, irqflags);
	unsigned long now = jiffies;

	/* Once per jiffy: a cache line all writers would write. */
	if (READ_ONCE(map->last_write) != now)
		WRITE_ONCE(map->last_write, now);
	return stripe;
}

/*
 * Give back @b, the overflow bucket an insert took and did not use (the
 * map was full): to the reserve up to %HMAP_RESERVE, else freed. Under
 * the insert's stripe; takes &hmap.lock.
 */
static noinline void hmap_overflow_giveback(struct hmap *map,
					    struct hmap_bucket *b)
{
	hmap_overflow_account(map, -1);
	RCU_INIT_POINTER(b->overflow, NULL);
	spin_lock(&map->lock);
	hmap_reserve_put(map, &b, HMAP_RESERVE);
	spin_unlock(&map->lock);
	hmap_bucket_list_free(b);
}

/*
 * hmap_update() of @ne (the element of @key, of @hash) in full, from
 * under stripe @stripe of @hash (taken by hmap_do_update() with
 * @irqflags, after its reserve top-up): evacuate for a resize in
 * progress, start or see to a resize due, take an overflow bucket,
 * dropping the stripe to allocate or to wait when it must, and trying
 * again. Out of line: most writes need none of it (hmap_update_fast()).
 * @ne is the write's: inserted, or freed on error.
 * Return: as hmap_update().
 */
static noinline int hmap_update_slow(struct hmap *map, u64 hash,
				     const void *key, u32 key_len,
				     struct hmap_elem *ne, u64 flags,
				     bool may_sleep, unsigned int stripe,
				     unsigned long irqflags)
	__releases(&map->stripes)
{
	unsigned int how = may_sleep ? HMAP_EV_MAY_SLEEP : 0;
	unsigned int evacuated = 0, retries = 0, bits;
	struct hmap_insert_tries tries = {};
	enum hmap_insert_act act;
	unsigned long hold = 0;
	struct hmap_mine mine = {};
	struct hmap_bucket *nb = NULL;
	enum hmap_resize_kind kind;
	struct hmap_dest at, free;
	struct hmap_elem *old;
	struct hmap_table *t;
	bool done = false;
	int err;

	goto locked;
relock:
	stripe = hmap_write_lock(map, hash, &irqflags);
locked:
	err = hmap_evacuate_for_write(map, hash, stripe, how, &mine,
				      &evacuated, &done);
	if (err)
		goto fail;
	old = hmap_find_for_write(map, hmap_newest(map), hash, key, key_len,
				  &at, &free);
	if (old) {
		if (flags == HMAP_NOEXIST) {
			err = -EEXIST;
			goto fail;
		}
		rcu_assign_pointer(at.b->elems[at.slot], ne);
		hmap_stat_add(map, updates, 1);
		goto unlock;
	}
	if (flags == HMAP_EXIST) {
		err = -ENOENT;
		goto fail;
	}
	/* A first look; the reservation below is exact. */
	if (atomic_long_read(&map->count) >= map->params.max_entries) {
		err = -E2BIG;
		goto fail;
	}
	t = hmap_newest(map);
	if (unlikely(hmap_insert_resize_due(map, t, &kind, &bits))) {
		act = hmap_insert_resize(map, t, kind, bits, may_sleep, &tries,
					 &hold);
		if (act == HMAP_INSERT_FAIL) {
			err = -ENOMEM;
			goto fail;
		}
		if (act != HMAP_INSERT_GO_ON) {
			hmap_stripe_unlock(map, stripe, irqflags);
			hmap_insert_resize_unlocked(map, act, kind, bits, hold);
			goto relock;
		}
	}
	if (!free.b) {
		err = hmap_overflow_take_stripe(map, 1, how, &mine, &nb);
		if (err)
			goto fail;
	}
	/*
	 * The count, exactly against max_entries: it never goes above it.
	 * The bucket taken goes back on -E2BIG.
	 */
	if (!atomic_long_add_unless(&map->count, 1,
				    map->params.max_entries)) {
		if (nb)
			hmap_overflow_giveback(map, nb);
		err = -E2BIG;
		goto fail;
	}
	hmap_insert_for_write(map, ne, &at, &free, nb);
	hmap_stat_add(map, inserts, 1);
	hmap_maybe_prealloc(map, t);
unlock:
	hmap_stripe_unlock(map, stripe, irqflags);
	if (done)
		hmap_resize_finish(map);
	hmap_mine_release(map, &mine);
	/* After the lock: freeing may sleep for a map whose writers may. */
	if (old)
		hmap_elem_free_deferred(map, old);
	return 0;

fail:
	if (err == -EAGAIN) {
		err = hmap_write_refill(map, stripe, irqflags, &mine, &retries);
		if (!err || hmap_write_skip_second(&evacuated, retries))
			goto relock;
	} else {
		hmap_stripe_unlock(map, stripe, irqflags);
	}
	if (done)
		hmap_resize_finish(map);
	hmap_mine_release(map, &mine);
	hmap_elem_free(map, ne);
	return err;
}

/* What hmap_update_fast() leaves to hmap_update_slow(). */
#define HMAP_WRITE_SLOW	1

/*
 * The write most writes are, under the stripe of @hash: no resize in
 * progress nor due, and for an insert a free slot in the key's chain or
 * an overflow bucket from the reserve (or, for an %HMAP_F_ATOMIC map,
 * GFP_ATOMIC). Inline in hmap_do_update(), with no retry state:
 * hmap_update_slow() has it, and goes on under the same stripe.
 *
 * Return: 0, *@old the element replaced (NULL for an insert); -EEXIST,
 * -ENOENT, -E2BIG or -ENOMEM as hmap_update(); %HMAP_WRITE_SLOW, the map
 * unchanged (but &hmap.reserve_need, which the fill takes at least
 * %HMAP_RESERVE of), for a write that must evacuate, start or see to a
 * resize, or drop its stripe to allocate an overflow bucket.
 */
static __always_inline int hmap_update_fast(struct hmap *map, u64 hash,
					    const void *key, u32 key_len,
					    struct hmap_elem *ne, u64 flags,
					    bool may_sleep,
					    struct hmap_elem **old)
	__must_hold(&map->stripes)
{
	struct hmap_bucket *nb = NULL;
	enum hmap_resize_kind kind;
	struct hmap_dest at, free;
	struct hmap_table *t;
	struct hmap_elem *e;
	unsigned int bits;
	int err;

	if (unlikely(map->resizing != HMAP_RESIZE_NONE))
		return HMAP_WRITE_SLOW;
	/* No resize in progress: one table, nothing to evacuate. */
	t = hmap_newest(map);
	e = hmap_find_for_write(map, t, hash, key, key_len, &at, &free);
	if (e) {
		if (flags == HMAP_NOEXIST)
			return -EEXIST;
		rcu_assign_pointer(at.b->elems[at.slot], ne);
		hmap_stat_add(map, updates, 1);
		*old = e;
		return 0;
	}
	if (flags == HMAP_EXIST)
		return -ENOENT;
	/* A first look, as in hmap_update_slow(); the add below is exact. */
	if (atomic_long_read(&map->count) >= map->params.max_entries)
		return -E2BIG;
	if (unlikely(hmap_insert_resize_due(map, t, &kind, &bits)))
		return HMAP_WRITE_SLOW;
	if (!free.b) {
		err = hmap_overflow_take_stripe(map, 1,
						may_sleep ? HMAP_EV_MAY_SLEEP : 0,
						NULL, &nb);
		if (err)
			return err == -EAGAIN ? HMAP_WRITE_SLOW : err;
	}
	if (!atomic_long_add_unless(&map->count, 1,
				    map->params.max_entries)) {
		if (nb)
			hmap_overflow_giveback(map, nb);
		return -E2BIG;
	}
	hmap_insert_for_write(map, ne, &at, &free, nb);
	hmap_stat_add(map, inserts, 1);
	hmap_maybe_prealloc(map, t);
	return 0;
}

/* The body of hmap_update(), run charged to the map's memory cgroup. */
static int hmap_do_update(struct hmap *map, const void *key, u32 key_len,
			  const void *value, u32 value_len, u64 flags)
{
	bool may_sleep = hmap_writer_may_sleep(map);
	struct hmap_elem *ne, *old = NULL;
	unsigned long irqflags;
	unsigned int stripe;
	u64 hash;
	int err;

	if (!hmap_key_ok(map, key_len) || value_len > map->params.value_size ||
	    flags > HMAP_EXIST)
		return -EINVAL;
	hash = hmap_hash_inline(map, key, key_len);
	ne = hmap_elem_new(map, hash, key, key_len, value, value_len);
	if (!ne)
		return -ENOMEM;
	/* A failure is found out under the lock: hmap_update_slow(). */
	hmap_write_reserve(map, may_sleep);
	stripe = hmap_write_lock(map, hash, &irqflags);
	err = hmap_update_fast(map, hash, key, key_len, ne, flags, may_sleep,
			       &old);
	if (unlikely(err == HMAP_WRITE_SLOW))
		return hmap_update_slow(map, hash, key, key_len, ne, flags,
					may_sleep, stripe, irqflags);
	hmap_stripe_unlock(map, stripe, irqflags);
	if (likely(!err)) {
		/* After the lock: freeing may sleep for a map whose writers may. */
		if (old)
			hmap_elem_free_deferred(map, old);
		return 0;
	}
	hmap_elem_free(map, ne);
	return err;
}

/**
 * hmap_update() - insert or replace an entry
 * @map: the map.
 * @key: the key.
 * @key_len: its length, 1..key_size bytes.
 * @value: the value.
 * @value_len: its length, 0..value_size bytes.
 * @flags: %HMAP_ANY, %HMAP_NOEXIST or %HMAP_EXIST.
 *
 * Evacuates at most two old buckets if a resize is in progress (one more
 * each time it dropped the lock to allocate and came back to a new resize:
 * for a map without %HMAP_F_ATOMIC at most %HMAP_WRITE_RETRIES refills of
 * overflow buckets and three other drops, to start a resize, to fill or
 * wait for an array, and to hold off, so 13 at most; an %HMAP_F_ATOMIC
 * map's write drops its stripe only to start a resize, before it
 * evacuated anything, so 2), and may start a grow or a same-size grow.
 * Concurrent lookups see the old value or the new one. Until the array
 * of a due grow is there, entries go into overflow chains; once its
 * allocation failed, up to 2^%HMAP_NOARRAY_SLACK times the grow's load.
 *
 * Context: a map created with %HMAP_F_ATOMIC: any context (process,
 * softirq, hardirq; interrupts on or off) but NMI and a caller holding a
 * raw_spinlock_t (see "Concurrency contract"), never sleeps; allocates the
 * element, and overflow buckets once the map's reserve is empty, with
 * GFP_ATOMIC (on PREEMPT_RT: see "Concurrency contract"). Otherwise
 * process context, may sleep, never under the map's locks: in the
 * allocator (GFP_KERNEL, direct reclaim included: the element, overflow
 * buckets, a resize's array); and past 2^%HMAP_NOARRAY_SLACK times the
 * grow's load after its array failed, uninterruptibly, for the rest of
 * the %HMAP_BG_RETRY hold-off (20 ms at most) and for another task's
 * allocation of that array in flight (as long as the allocator takes, no
 * bound of hmap's own); a replaced value's element may be freed after a
 * synchronize_rcu() if kfree_rcu() finds no memory to defer it
 * (kfree_rcu_mightsleep()). Takes the stripe lock of its key, and briefly
 * every lock of the map if it starts or ends a resize: with interrupts off
 * for an %HMAP_F_ATOMIC map, on for others.
 * Return: 0; -EINVAL for a bad length or flag; -EEXIST if %HMAP_NOEXIST
 * and the key is present; -ENOENT if %HMAP_EXIST and it is absent; -E2BIG
 * if the map holds max_entries; -ENOMEM if the element, or an overflow
 * bucket the write or its evacuation needed, could not be allocated, or
 * if a grow is due, the allocation of its array failed, and the map
 * already holds 2^%HMAP_NOARRAY_SLACK times its load. The map is
 * unchanged on error.
 */
int hmap_update(struct hmap *map, const void *key, u32 key_len,
		const void *value, u32 value_len, u64 flags)
{
	struct mem_cgroup *memcg;
	int err;

	might_sleep_if(hmap_writer_may_sleep(map));
	memcg = set_active_memcg(map->memcg);
	err = hmap_do_update(map, key, key_len, value, value_len, flags);
	set_active_memcg(memcg);
	return err;
}
EXPORT_SYMBOL_GPL(hmap_update);

/* Go's delete: mark the slot empty and turn a trailing run into EMPTY_REST. */
static void hmap_clear_slot(struct hmap *map, struct hmap_bucket *head,
			    struct hmap_bucket *b, unsigned int i)
	__must_hold(&map->stripes)
{
	struct hmap_bucket *next;

	hmap_assert_table(map);
	WRITE_ONCE(b->tophash[i], HMAP_EMPTY_ONE);
	RCU_INIT_POINTER(b->elems[i], NULL);

	if (i == HMAP_BUCKET_SLOTS - 1) {
		next = hmap_dereference(map, b->overflow);
		if (next && next->tophash[0] != HMAP_EMPTY_REST)
			return;
	} else if (b->tophash[i + 1] != HMAP_EMPTY_REST) {
		return;
	}
	for (;;) {
		WRITE_ONCE(b->tophash[i], HMAP_EMPTY_REST);
		if (i == 0) {
			struct hmap_bucket *c = b;

			if (b == head)
				break;
			for (b = head; hmap_dereference(map, b->overflow) != c;
			     b = hmap_dereference(map, b->overflow))
				;
			i = HMAP_BUCKET_SLOTS - 1;
		} else {
			i--;
		}
		if (b->tophash[i] != HMAP_EMPTY_ONE)
			break;
	}
}

/*
 * The table whose chain holds @hash's entries now: the oldest while its
 * bucket there is not evacuated, else the newest. Under the stripe of
 * @hash, which keeps that so.
 */
static struct hmap_table *hmap_chain_table(struct hmap *map, u64 hash)
	__must_hold(&map->stripes)
{
	struct hmap_table *old = hmap_oldest(map);

	hmap_assert_table(map);
	if (map->resizing != HMAP_RESIZE_NONE &&
	    !hmap_bucket_evacuated(&old->buckets[hash & hmap_bucket_mask(old)]))
		return old;
	return hmap_newest(map);
}

/*
 * A delete left the map below its shrink load with no resize in progress:
 * decide under &hmap.lock alone, as an insert does for a grow, so that
 * deletes take every lock only to start the shrink, not to find its array
 * missing. With no spare of 2^@bits buckets: nothing if an array is
 * already wanted, in flight, or failed less than %HMAP_BG_RETRY ago for
 * this size (the worker, armed, looks again later); else a writer that
 * may not sleep asks @prealloc_work (hmap_want_array()) and one that may
 * claims the allocation (*@want gets @bits: the caller then calls
 * hmap_spare_fill() unlocked). Under the caller's stripe.
 *
 * Return: whether the spare is the shrink's array (the caller then starts
 * the shrink under hmap_lock_all(), after dropping its stripe).
 */
static noinline bool hmap_delete_shrink_due(struct hmap *map,
					    unsigned int bits, bool may_sleep,
					    int *want)
	__must_hold(&map->stripes)
{
	bool have;

	/*
	 * A racy peek first, as hmap_maybe_prealloc() does: with no spare
	 * and an array already wanted or in flight, the lock would decide
	 * nothing (whoever allocates it starts the shrink if still due), so
	 * the deletes that follow the first take no lock until it comes.
	 */
	if (!READ_ONCE(map->spare) &&
	    (READ_ONCE(map->want_array) || READ_ONCE(map->array_busy)))
		return false;
	spin_lock(&map->lock);
	have = map->spare && map->spare->B == bits;
	if (have || map->want_array || map->array_busy)
		goto out;
	if (hmap_array_failed_recently(map, bits)) {
		/*
		 * The worker looks again after its back-off: armed by the
		 * failure (hmap_array_result()), unless a run since left it
		 * idle. A pending run is not moved: deletes neither re-arm
		 * its timer nor cut its back-off short.
		 */
		if (!delayed_work_pending(&map->bg_work))
			hmap_bg_queue(map, hmap_bg_backoff(map, bits));
		goto out;
	}
	if (!may_sleep)
		hmap_want_array(map);
	else if (hmap_array_claim(map))
		*want = bits;
out:
	spin_unlock(&map->lock);
	return have;
}

/*
 * The delete of @key from table @t's chain, under its stripe: clear its
 * slot, count it, and if that leaves the map below its shrink load with
 * no resize in progress, see to the shrink (hmap_delete_shrink_due():
 * *@shrink, *@want, for hmap_delete_shrink() once the stripe is dropped).
 *
 * Return: the element, to free once the stripe is dropped; NULL if the
 * key is absent.
 */
static __always_inline struct hmap_elem *
hmap_delete_from(struct hmap *map, struct hmap_table *t, u64 hash,
		 const void *key, u32 key_len, bool may_sleep, bool *shrink,
		 int *want)
	__must_hold(&map->stripes)
{
	struct hmap_dest at, free;
	struct hmap_elem *e;

	e = hmap_find_for_write(map, t, hash, key, key_len, &at, &free);
	if (!e)
		return NULL;
	hmap_clear_slot(map, &t->buckets[hash & hmap_bucket_mask(t)],
			at.b, at.slot);
	atomic_long_dec(&map->count);
	hmap_stat_add(map, deletes, 1);
	/* Starting a shrink takes every stripe: after this one is dropped. */
	t = hmap_newest(map);
	if (map->resizing == HMAP_RESIZE_NONE &&
	    hmap_under_load(atomic_long_read(&map->count), t->B))
		*shrink = hmap_delete_shrink_due(map, t->B - 1, may_sleep,
						 want);
	return e;
}

/*
 * What a delete found due, its stripe dropped (hmap_delete_shrink_due()):
 * start the shrink with the spare, allocating its array first when it
 * was missing (@want, its B; else -1).
 */
static noinline void hmap_delete_shrink(struct hmap *map, int want)
{
	unsigned long irqflags;

	if (want >= 0 && hmap_spare_fill(map, want))
		return;
	/* If the spare went meanwhile, the next delete asks again. */
	hmap_lock_all(map, &irqflags);
	hmap_maybe_shrink(map);
	hmap_unlock_all(map, irqflags);
}

/*
 * hmap_delete() of @key (of @hash) with a resize in progress: evacuate
 * first (the old bucket of @key, and one more), refilling the reserve
 * as a write does; with no memory for the evacuation, delete in place.
 * Out of line: a delete with no resize in progress needs none of it.
 * Return: as hmap_delete().
 */
static noinline int hmap_delete_resizing(struct hmap *map, const void *key,
					 u32 key_len, u64 hash,
					 bool may_sleep)
{
	unsigned int how = may_sleep ? HMAP_EV_MAY_SLEEP : 0;
	unsigned int evacuated = 0, retries = 0, stripe;
	bool shrink = false, in_place = false, done = false;
	struct hmap_mine mine = {};
	struct hmap_elem *e;
	unsigned long irqflags;
	struct hmap_table *t;
	int err, want = -1;

	hmap_write_reserve(map, may_sleep);
relock:
	stripe = hmap_write_lock(map, hash, &irqflags);
	err = in_place ? 0 : hmap_evacuate_for_write(map, hash, stripe, how,
						     &mine, &evacuated, &done);
	if (err == -EAGAIN) {
		err = hmap_write_refill(map, stripe, irqflags, &mine,
					&retries);
		/* No memory for the evacuation: delete in place. */
		if (err && !hmap_write_skip_second(&evacuated, retries))
			in_place = true;
		goto relock;
	}
	/*
	 * -ENOMEM: the key's old bucket could not be evacuated, so the
	 * key, if present, is in it (no write puts one in the new table
	 * before that bucket is evacuated).
	 */
	if (err)
		in_place = true;
	t = in_place ? hmap_chain_table(map, hash) : hmap_newest(map);
	e = hmap_delete_from(map, t, hash, key, key_len, may_sleep, &shrink,
			     &want);
	hmap_stripe_unlock(map, stripe, irqflags);
	if (done)
		hmap_resize_finish(map);
	hmap_mine_release(map, &mine);
	if (!e)
		return -ENOENT;
	/* After the lock: freeing may sleep for a map whose writers may. */
	hmap_elem_free_deferred(map, e);
	if (shrink || want >= 0)
		hmap_delete_shrink(map, want);
	return 0;
}

/**
 * hmap_delete() - remove an entry
 * @map: the map.
 * @key: the key.
 * @key_len: its length in bytes.
 *
 * Evacuates at most two old buckets if a resize is in progress (more
 * only when it drops its lock to allocate, as hmap_update() says), and
 * may start a shrink (or, if its array is not at hand, have it allocated:
 * see hmap_update()). When the evacuation of its key's old bucket cannot
 * get the overflow buckets it needs (GFP_ATOMIC failed, or for a writer
 * that may sleep, GFP_KERNEL), the entry is deleted in place in the old
 * bucket, which a later evacuation moves without it: a delete needs no
 * memory. The element is freed after a grace period.
 *
 * Context: as hmap_update(): any context for a map created with
 * %HMAP_F_ATOMIC, never sleeping; otherwise process context, may sleep in
 * the allocator (GFP_KERNEL, outside the map's locks: overflow buckets
 * for the evacuation, a shrink's array), and for a grace period when
 * kfree_rcu() finds no memory to defer the element's free
 * (kfree_rcu_mightsleep(): synchronize_rcu()), but never waits for
 * another task's allocation nor sleeps out a hold-off.
 * Return: 0; -ENOENT if the key is absent; -EINVAL for a bad length.
 */
int hmap_delete(struct hmap *map, const void *key, u32 key_len)
{
	bool may_sleep = hmap_writer_may_sleep(map), shrink = false;
	struct mem_cgroup *memcg;
	unsigned long irqflags;
	unsigned int stripe;
	struct hmap_elem *e;
	int err, want = -1;
	u64 hash;

	might_sleep_if(may_sleep);
	if (!hmap_key_ok(map, key_len))
		return -EINVAL;
	hash = hmap_hash_inline(map, key, key_len);

	memcg = set_active_memcg(map->memcg);
	/*
	 * A racy peek first, so that a delete during a resize takes its
	 * stripe once; the test under the stripe decides.
	 */
	if (READ_ONCE(map->resizing) != HMAP_RESIZE_NONE)
		goto resizing;
	stripe = hmap_write_lock(map, hash, &irqflags);
	if (unlikely(map->resizing != HMAP_RESIZE_NONE)) {
		hmap_stripe_unlock(map, stripe, irqflags);
		goto resizing;
	}
	/* No resize in progress: one table, nothing to evacuate. */
	e = hmap_delete_from(map, hmap_newest(map), hash, key, key_len,
			     may_sleep, &shrink, &want);
	hmap_stripe_unlock(map, stripe, irqflags);
	err = -ENOENT;
	if (e) {
		/* After the lock: freeing may sleep for a map whose writers may. */
		hmap_elem_free_deferred(map, e);
		err = 0;
	}
	if (unlikely(shrink || want >= 0))
		hmap_delete_shrink(map, want);
out:
	set_active_memcg(memcg);
	return err;

resizing:
	err = hmap_delete_resizing(map, key, key_len, hash, may_sleep);
	goto out;
}
EXPORT_SYMBOL_GPL(hmap_delete);

/**
 * hmap_clear() - remove every entry
 * @map: the map.
 *
 * Replaces the tables with an empty one of the size the map was created
 * with; the old tables and their elements are freed after a grace period.
 * Their bucket arrays count with the destroyed maps not yet freed: if
 * those are past %HMAP_DESTROY_PENDING_MAX (16 MiB), all maps together,
 * the call first waits for them (hmap_flush_frees()), as hmap_destroy()
 * does, so that clearing a large map in a loop, each clear a new array,
 * cannot pin an array per grace period without bound (one clear's arrays
 * beyond the bound at most; a clear of a map larger than the bound does
 * not wait for its own). That wait is for every map's
 * deferred frees and works (their workers too, which may wait for a
 * hmap_shrink_to_fit() of another caller).
 * Concurrent writers are ordered before or after it by the map's locks
 * (it takes all of them; a writer holds its stripe for its whole write).
 *
 * Context: process context, may sleep (allocates the new array; waits for
 * grace periods past the bound); takes the map's spinlocks
 * (hmap_lock_all()) only to swap the tables.
 * Return: 0, or -ENOMEM (the map is then unchanged).
 */
int hmap_clear(struct hmap *map)
{
	struct hmap_table *fresh, *old, *next, *spare;
	struct mem_cgroup *memcg;
	unsigned long flags;
	long retired;

	hmap_pending_wait();
	memcg = set_active_memcg(map->memcg);
	fresh = hmap_table_new(map, map->init_B);
	/* As at creation: a full reserve for the writes that follow. */
	if (fresh)
		hmap_reserve_fill(map, HMAP_RESERVE);
	set_active_memcg(memcg);
	if (!fresh)
		return -ENOMEM;

	hmap_lock_all(map, &flags);
	WRITE_ONCE(map->last_write, jiffies);
	old = hmap_oldest(map);
	next = hmap_dereference(map, old->next);
	spare = hmap_spare_detach(map);
	rcu_assign_pointer(map->tbl, fresh);
	atomic_long_set(&map->count, 0);
	WRITE_ONCE(map->resizing, HMAP_RESIZE_NONE);
	WRITE_ONCE(map->nevacuate, 0);
	hmap_stripe_mask_set(map, fresh->B);
	hmap_array_forget_failures(map);
	/*
	 * The arrays this clear retires: what a clear, one call, retires
	 * without a write per byte (the elements and overflow buckets each
	 * took a write). Each table's own, added before it can be freed,
	 * which subtracts it.
	 */
	old->clear_bytes = old->bytes;
	retired = old->bytes;
	if (next) {
		next->clear_bytes = next->bytes;
		retired += next->bytes;
	}
	atomic_long_add(retired, &map->clear_pending);
	atomic_long_add(retired, &hmap_destroy_pending);
	hmap_table_free_deferred(map, old);
	if (next)
		hmap_table_free_deferred(map, next);
	hmap_unlock_all(map, flags);
	if (spare)
		hmap_table_free_array(spare);
	return 0;
}
EXPORT_SYMBOL_GPL(hmap_clear);

/**
 * hmap_shrink_to_fit() - resize the map to the smallest array for its count
 * @map: the map.
 *
 * Finishes the resize in progress, then halves the array as many times as
 * the entry count allows in one resize, or rebuilds it at the same size if
 * it has more overflow buckets than when it was built (writes added chains
 * since; a table created empty was built with none), so that a second
 * call, nothing written between, does nothing (a table whose chains only
 * lost entries since it was built keeps their holes until its next
 * resize); a map above its load (an %HMAP_F_ATOMIC map
 * whose grow waits for @prealloc_work's array, or one whose arrays failed:
 * its entries went into overflow chains) is grown instead, one doubling a
 * resize as a grow always is, as many times as its count needs. Every
 * evacuation is done before returning.
 * The array is allocated outside the map's spinlocks and kept by the call
 * (never left as the map's spare, where a concurrent write could take or
 * free it); each old bucket is evacuated under its stripe,
 * %HMAP_EVAC_HOLD at a time, so writers go on beside it. On success the
 * size fits the count of a moment during the call (writers may have
 * changed it since). When writers change the size the count needs, or
 * start resizes, faster than the call can follow (%HMAP_SHRINK_ROUNDS
 * times an array allocated for nothing or a resize of theirs to finish,
 * more than %HMAP_SHRINK_ROUNDS resizes started, one after another,
 * while one evacuation runs, or more resizes than %HMAP_B_MAX), it gives
 * up with -EAGAIN; the map is then as correct as ever, only not fitted.
 *
 * Context: process context, may sleep; takes &hmap.work_lock (dropped
 * while it allocates an array); a fatal signal ends the wait for it and
 * the evacuation (the map is then as correct as ever, not fitted).
 * Return: 0 once fitted; -ENOMEM if an array, or an overflow bucket its
 * evacuation needed, could not be allocated; -EAGAIN as above (try
 * again); -EINTR on a fatal signal.
 */
int hmap_shrink_to_fit(struct hmap *map)
{
	unsigned int bits, rounds = 0, resizes = 0;
	struct hmap_table *t = NULL, *cur;
	enum hmap_resize_kind kind;
	struct mem_cgroup *memcg;
	unsigned long flags;
	int err;

	if (mutex_lock_killable(&map->work_lock))
		return -EINTR;
	memcg = set_active_memcg(map->memcg);
	for (;;) {
		err = hmap_evacuate_all(map, HMAP_SHRINK_ROUNDS);
		if (err)
			break;
		err = -EAGAIN;
		hmap_lock_all(map, &flags);
		if (map->resizing != HMAP_RESIZE_NONE) {
			/* A writer started one meanwhile: finish it first. */
			hmap_unlock_all(map, flags);
			if (++rounds == HMAP_SHRINK_ROUNDS)
				break;
			continue;
		}
		cur = hmap_oldest(map);
		bits = hmap_fit_B(atomic_long_read(&map->count));
		if (bits < cur->B) {
			kind = HMAP_RESIZE_SHRINK;
		} else if (bits > cur->B) {
			kind = HMAP_RESIZE_GROW;
			bits = cur->B + 1;
		} else if ((unsigned long)atomic_long_read(&cur->noverflow) >
			   READ_ONCE(cur->noverflow_base)) {
			/*
			 * Chains grew since the table was built: a rebuild
			 * packs them. A table a resize just built (this
			 * call's own) has them as short as its entries
			 * allowed then: rebuilding it would change nothing.
			 */
			kind = HMAP_RESIZE_SAME;
			bits = cur->B;
		} else {
			hmap_unlock_all(map, flags);
			err = 0;
			break;
		}
		if (t && t->B == bits) {
			hmap_resize_start_with(map, kind, t);
			t = NULL;
			hmap_unlock_all(map, flags);
			err = hmap_evacuate_all(map, HMAP_SHRINK_ROUNDS);
			/*
			 * A shrink or a same-size grow fits the count in one
			 * resize; a grow doubles: look again.
			 */
			if (err || kind != HMAP_RESIZE_GROW)
				break;
			if (++resizes > HMAP_B_MAX) {
				err = -EAGAIN;
				break;
			}
			continue;
		}
		hmap_unlock_all(map, flags);
		/* The count moved since the array was allocated: again. */
		if (t) {
			if (++rounds == HMAP_SHRINK_ROUNDS)
				break;
			hmap_table_free_array(t);
		}
		/* Unserialized: the works go on while this zeroes it. */
		mutex_unlock(&map->work_lock);
		t = hmap_table_new(map, bits);
		if (mutex_lock_killable(&map->work_lock)) {
			set_active_memcg(memcg);
			if (t)
				hmap_table_free_array(t);
			return -EINTR;
		}
		if (!t) {
			err = -ENOMEM;
			break;
		}
	}
	set_active_memcg(memcg);
	mutex_unlock(&map->work_lock);
	if (t)
		hmap_table_free_array(t);
	return err;
}
EXPORT_SYMBOL_GPL(hmap_shrink_to_fit);

/* ---- Life cycle and state ---- */

/*
 * Copy a caller's &struct hmap_params of @size bytes, as
 * copy_struct_from_user() does across UAPI versions: a smaller (older)
 * struct reads as this one with the fields it lacks zero (what they mean
 * when zero is what the API did before them); a larger (newer) one is
 * accepted if every byte past this one's end is zero.
 *
 * Return: 0; -EINVAL if @size is below %HMAP_PARAMS_SIZE_VER1; -E2BIG if a
 * byte past this version's struct is not zero.
 */
static int hmap_params_copy(struct hmap_params *dst, const void *src,
			    size_t size)
{
	const u8 *tail = src;
	size_t i;

	BUILD_BUG_ON(sizeof(*dst) != HMAP_PARAMS_SIZE_VER2);
	if (size < HMAP_PARAMS_SIZE_VER1)
		return -EINVAL;
	for (i = sizeof(*dst); i < size; i++)
		if (tail[i])
			return -E2BIG;
	memset(dst, 0, sizeof(*dst));
	memcpy(dst, src, min(size, sizeof(*dst)));
	return 0;
}

static bool hmap_params_ok(const struct hmap_params *params)
{
	return params->key_size && params->key_size <= HMAP_KEY_SIZE_MAX &&
	       params->value_size && params->value_size <= HMAP_VALUE_SIZE_MAX &&
	       params->max_entries &&
	       params->max_entries <= HMAP_MAX_ENTRIES_MAX &&
	       !(params->flags & ~HMAP_F_ALL);
}

/**
 * hmap_params_valid_sized() - whether hmap_create() accepts these parameters
 * @params: the parameters.
 * @size: sizeof() the caller's &struct hmap_params (hmap_params_valid()
 *	passes it).
 *
 * Context: any.
 * Return: true if @size is one this version reads, every field is in
 * range and every flag known.
 */
bool hmap_params_valid_sized(const struct hmap_params *params, size_t size)
{
	struct hmap_params p;

	return !hmap_params_copy(&p, params, size) && hmap_params_ok(&p);
}
EXPORT_SYMBOL_GPL(hmap_params_valid_sized);

/**
 * hmap_create_sized() - create a map
 * @uparams: sizes and limits, see &struct hmap_params.
 * @size: sizeof() the caller's &struct hmap_params: hmap_create() passes
 *	it, so that a module built against an older <linux/hmap.h> is read
 *	as such (see %HMAP_API_VERSION).
 *
 * Everything the map allocates, from then on and by its workers too, is
 * charged to the calling task's memory cgroup.
 *
 * Context: process context, may sleep.
 * Return: the map; ERR_PTR(-EINVAL) for out-of-range parameters, unknown
 * flags or a @size below %HMAP_PARAMS_SIZE_VER1; ERR_PTR(-E2BIG) if
 * @size is larger than this version's struct and a byte past it is not
 * zero; ERR_PTR(-ENOMEM).
 */
struct hmap *hmap_create_sized(const struct hmap_params *uparams, size_t size)
{
	struct hmap_params p, *params = &p;
	struct hmap_table *t;
	struct hmap *map;
	unsigned int i;
	int err;
	u32 hint;

	err = hmap_params_copy(&p, uparams, size);
	if (err)
		return ERR_PTR(err);
	if (!hmap_params_ok(params))
		return ERR_PTR(-EINVAL);

	map = hmap_fault_alloc(MAP, sizeof(*map),
			       kzalloc(sizeof(*map), GFP_KERNEL_ACCOUNT));
	if (!map)
		return ERR_PTR(-ENOMEM);
	map->pcpu = hmap_fault_alloc(PCPU, sizeof(struct hmap_pcpu),
				     alloc_percpu_gfp(struct hmap_pcpu,
						      GFP_KERNEL_ACCOUNT));
	if (!map->pcpu)
		goto free_map;
	map->memcg = get_mem_cgroup_from_mm(current->mm);
	map->params = *params;
	hint = min(params->capacity_hint, params->max_entries);
	map->params.capacity_hint = hint;
	map->init_B = hmap_fit_B(hint);
	map->elem_pad = hmap_params_elem_pad(params);
	map->full_elem_size = hmap_elem_size(params->key_size,
					     params->value_size, map->elem_pad);
	spin_lock_init(&map->lock);
	spin_lock_init(&map->resize_lock);
	map->nstripes = 1;
	while (map->nstripes < HMAP_STRIPES_MAX &&
	       map->nstripes < 2 * num_possible_cpus())
		map->nstripes *= 2;
	for (i = 0; i < map->nstripes; i++)
		spin_lock_init(&map->stripes[i].lock);
	if (hmap_writer_may_sleep(map)) {
		lockdep_set_class(&map->resize_lock,
				  &hmap_lock_keys_sleeping.resize_lock);
		lockdep_set_class(&map->lock, &hmap_lock_keys_sleeping.lock);
		for (i = 0; i < map->nstripes; i++)
			lockdep_set_class(&map->stripes[i].lock,
					  &hmap_lock_keys_sleeping.stripe);
	}
	map->stripe_mask = min_t(unsigned long, map->nstripes,
				 1UL << map->init_B) - 1;
	mutex_init(&map->work_lock);
	map->elem_gfp = params->flags & HMAP_F_ATOMIC ?
			GFP_ATOMIC | __GFP_NOWARN : GFP_KERNEL;
	get_random_bytes(&map->seed, sizeof(map->seed));
	get_random_bytes(&map->cursor_key, sizeof(map->cursor_key));
	map->background = true;
	INIT_DELAYED_WORK(&map->bg_work, hmap_bg_work);
	INIT_WORK(&map->prealloc_work, hmap_prealloc_work);
	refcount_set(&map->refs, 1);

	t = hmap_table_new(map, map->init_B);
	if (!t)
		goto free_pcpu;
	RCU_INIT_POINTER(map->tbl, t);
	/*
	 * The reserve full from the start, so that an %HMAP_F_ATOMIC map's
	 * first overflow buckets need no GFP_ATOMIC. Charged as the array
	 * is.
	 */
	if (hmap_reserve_fill(map, HMAP_RESERVE))
		goto free_table;
	this_cpu_inc(hmap_global.maps);
	return map;

free_table:
	hmap_bucket_list_free(map->reserve);
	hmap_table_free_array(t);
free_pcpu:
	mutex_destroy(&map->work_lock);
	mem_cgroup_put(map->memcg);
	free_percpu(map->pcpu);
free_map:
	kfree(map);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_GPL(hmap_create_sized);

/* After the grace period hmap_destroy() queued it for: no reader is left. */
static void hmap_destroy_work(struct work_struct *work)
{
	struct hmap *map = container_of(to_rcu_work(work), struct hmap,
					destroy_rwork);
	struct hmap_table *t, *next;

	if (map->spare)
		hmap_table_free_array(map->spare);
	hmap_bucket_list_free(map->reserve);
	t = rcu_dereference_protected(map->tbl, 1);
	next = rcu_dereference_protected(t->next, 1);
	hmap_table_free(t);
	if (next)
		hmap_table_free(next);
	hmap_put(map);
}

/**
 * hmap_destroy() - free a map and everything in it
 * @map: the map, or NULL.
 *
 * The caller must have made the map unreachable for new users; lookups
 * still running may go on until their grace period ends. The map's own
 * works (evacuation beside the writers, allocation ahead) are cancelled
 * and never run again. The memory goes after a grace period, from the
 * hmap workqueue: the bucket arrays and elements, then the map itself once
 * the arrays it retired earlier are freed too (&hmap.refs). So destroy
 * does not wait for a grace period (it waited for two, tens of
 * milliseconds each under load, which made destroying thousands of maps
 * take minutes), as bpf(2) maps free theirs from a work item. Unlike
 * theirs, what waits is bounded: if the destroyed maps not yet freed
 * hold more than %HMAP_DESTROY_PENDING_MAX (16 MiB) together, destroy
 * first waits for them, so a caller that creates and destroys maps in a
 * loop holds at most that much, and one map, more than its live maps
 * (and the per-user limits of the registry, which are returned at
 * destroy, stay limits).
 * hmap_flush_frees() waits for every deferred free, and so does module
 * exit (hmap_core_exit()).
 *
 * No other call on the map may run or start once this is called. A user
 * of an %HMAP_F_ATOMIC map stops its writers in interrupt context first
 * (del_timer_sync(), hrtimer_cancel(), synchronize_irq(), ...): a writer
 * that ran after this returned would touch freed memory once the grace
 * period ends.
 *
 * Context: process context, may sleep (waits for the map's works, and for
 * grace periods past the bound).
 */
void hmap_destroy(struct hmap *map)
{
	unsigned long flags;
	s64 held;

	if (!map)
		return;
	might_sleep();
	/* See "Concurrency contract": no work of the map is queued now. */
	spin_lock_irqsave(&map->lock, flags);
	map->dying = true;
	spin_unlock_irqrestore(&map->lock, flags);
	cancel_work_sync(&map->prealloc_work);
	cancel_delayed_work_sync(&map->bg_work);

	hmap_pending_wait();
	/*
	 * What the map holds, less the arrays a clear retired, which the
	 * count has already. The bytes first: an array freed meanwhile left
	 * &hmap.clear_pending before it left them (hmap_table_free_work()),
	 * so it is counted once more, never once less.
	 */
	held = hmap_stat_sum_offset(map, offsetof(struct hmap_pcpu, bytes));
	/* Pairs with the smp_mb__after_atomic() in hmap_table_free_work(). */
	smp_rmb();
	held -= atomic_long_read(&map->clear_pending);
	map->destroy_bytes = max_t(s64, 0, held);
	atomic_long_add(map->destroy_bytes, &hmap_destroy_pending);
	INIT_RCU_WORK(&map->destroy_rwork, hmap_destroy_work);
	queue_rcu_work(hmap_wq, &map->destroy_rwork);
}
EXPORT_SYMBOL_GPL(hmap_destroy);

/**
 * hmap_count() - number of entries
 * @map: the map.
 *
 * Context: any.
 * Return: the entry count at some moment during the call.
 */
u64 hmap_count(const struct hmap *map)
{
	return atomic_long_read(&map->count);
}
EXPORT_SYMBOL_GPL(hmap_count);

/**
 * hmap_max_bytes_sized() - the most memory a map with these parameters may
 *	hold
 * @uparams: the parameters.
 * @size: sizeof() the caller's &struct hmap_params (hmap_max_bytes()
 *	passes it).
 *
 * For quotas: max_entries elements of the largest size, and a whole bucket
 * each for their share of the old and new arrays while resizing (about 50
 * bytes at the start of a grow), the pre-allocated next array and overflow
 * buckets.
 *
 * The arithmetic saturates (size_mul(), size_add()): where the product
 * does not fit in a size_t, as for large maps on 32-bit kernels, the
 * estimate is SIZE_MAX, which a quota below SIZE_MAX refuses, never a
 * wrapped small number.
 *
 * Context: any.
 * Return: an upper estimate in bytes, SIZE_MAX if it exceeds a size_t; 0
 * for invalid parameters.
 */
size_t hmap_max_bytes_sized(const struct hmap_params *uparams, size_t size)
{
	struct hmap_params p, *params = &p;
	size_t per_entry;

	if (hmap_params_copy(&p, uparams, size) || !hmap_params_ok(params))
		return 0;
	per_entry = size_add(hmap_elem_size(params->key_size,
					    params->value_size,
					    hmap_params_elem_pad(params)),
			     sizeof(struct hmap_bucket));

	return size_mul(params->max_entries, per_entry);
}
EXPORT_SYMBOL_GPL(hmap_max_bytes_sized);

/**
 * hmap_get_params_sized() - what a map was created with
 * @map: the map.
 * @params: gets the parameters (capacity_hint clamped to max_entries).
 * @size: sizeof() the caller's &struct hmap_params (hmap_get_params()
 *	passes it): exactly @size bytes are written, the fields this version
 *	has and a smaller struct lacks are left out, and past this version's
 *	struct a larger one gets zeros.
 *
 * Context: any.
 */
void hmap_get_params_sized(const struct hmap *map, struct hmap_params *params,
			   size_t size)
{
	memcpy(params, &map->params, min(size, sizeof(map->params)));
	if (size > sizeof(map->params))
		memset((u8 *)params + sizeof(map->params), 0,
		       size - sizeof(map->params));
}
EXPORT_SYMBOL_GPL(hmap_get_params_sized);

/* The state hmap_get_stats() reports, under hmap_lock_all(). */
static void hmap_get_state(struct hmap *map, struct hmap_stats *st)
	__must_hold(&map->resize_lock)
{
	struct hmap_table *t = hmap_newest(map);

	hmap_assert_all(map);
	st->count = atomic_long_read(&map->count);
	st->B = t->B;
	st->noverflow = atomic_long_read(&t->noverflow);
	st->resizing = map->resizing;
	if (map->resizing != HMAP_RESIZE_NONE) {
		st->old_B = hmap_oldest(map)->B;
		st->nevacuate = map->nevacuate;
	}
}

/*
 * The same without a lock, where hmap_get_stats() may not wait for one:
 * the tables read as a lookup reads them, and the resize in progress
 * taken from them (a table linked behind the oldest is one, of the kind
 * their sizes say), so that the two agree; the counts and @nevacuate
 * each read once, racily (the writers' own marked accesses), @nevacuate
 * clamped to the old table's buckets, as it may already be the next
 * resize's.
 */
static void hmap_get_state_rcu(struct hmap *map, struct hmap_stats *st)
{
	struct hmap_table *old, *t;

	st->count = atomic_long_read(&map->count);
	rcu_read_lock();
	old = rcu_dereference(map->tbl);
	t = rcu_dereference(old->next) ?: old;
	st->B = t->B;
	st->noverflow = atomic_long_read(&t->noverflow);
	if (t != old) {
		st->resizing = t->B > old->B ? HMAP_RESIZE_GROW :
			       t->B == old->B ? HMAP_RESIZE_SAME :
			       HMAP_RESIZE_SHRINK;
		st->old_B = old->B;
		st->nevacuate = min_t(u64, READ_ONCE(map->nevacuate),
				      1ULL << old->B);
	}
	rcu_read_unlock();
}

/*
 * Whether hmap_get_stats() may take every lock of @map here. A map whose
 * writers may sleep: in process context with interrupts and softirqs on
 * (its writers hold their stripe with them on, so an interrupt or a
 * softirq may have come over the holder, or, with them off here, the
 * holder may be waiting for a lock this caller holds). An %HMAP_F_ATOMIC
 * map: anywhere. On PREEMPT_RT, where spinlock_t sleeps, either only
 * where the caller could sleep (not under a raw_spinlock_t, nor with
 * preemption off).
 */
static bool hmap_get_stats_may_lock(const struct hmap *map)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible())
		return false;
	return !hmap_writer_may_sleep(map) ||
	       (in_task() && !irqs_disabled() && !softirq_count());
}

/**
 * hmap_get_stats() - snapshot a map's state and counters
 * @map: the map.
 * @st: gets the snapshot.
 *
 * The map's state (count, B, noverflow, resizing, old_B, nevacuate) is
 * read under every lock of the map (hmap_lock_all()), one moment's,
 * where those locks may be taken: in any context for an %HMAP_F_ATOMIC
 * map, in process context with interrupts and softirqs on for the
 * others (on PREEMPT_RT, for either, only where the caller could sleep:
 * see "Concurrency contract"). Elsewhere (such a map from an interrupt, or with interrupts or
 * softirqs off, where waiting for a stripe could wait for ever: its
 * writers hold it with interrupts on, so the holder may be the task this
 * interrupt came over; and on PREEMPT_RT wherever the caller could not
 * sleep) the state is read without a lock: the tables under
 * rcu_read_lock() as lookups read them, the resize in progress as they
 * show it, count, noverflow and nevacuate each a value it had during the
 * call (a resize that starts or ends meanwhile shows as either; so
 * nevacuate may be the progress of the resize before or after the one
 * the tables show, clamped to 2^old_B). The
 * counters are per-CPU sums, read without a lock in every case.
 *
 * Context: any but NMI and a caller holding a raw_spinlock_t (the map's
 * locks are spinlock_t, as for the writers). Takes every lock of the map
 * briefly where it may (above), with interrupts off for an
 * %HMAP_F_ATOMIC map: writers of every stripe wait meanwhile.
 */
void hmap_get_stats(struct hmap *map, struct hmap_stats *st)
{
	/* The counters of struct hmap_pcpu, in its order, end *@st. */
	const size_t first = offsetofend(struct hmap_stats, noverflow);
	u64 *counters = (u64 *)((u8 *)st + first);
	unsigned long flags;
	size_t i;

	BUILD_BUG_ON(sizeof(*st) - first != sizeof(struct hmap_pcpu));
	memset(st, 0, sizeof(*st));
	if (!hmap_get_stats_may_lock(map)) {
		hmap_get_state_rcu(map, st);
	} else {
		hmap_lock_all(map, &flags);
		hmap_get_state(map, st);
		hmap_unlock_all(map, flags);
	}

	/*
	 * A gauge (added to on one CPU, taken from on another) summed while
	 * it changes can come out below zero: a start seen after its stop.
	 * No counter reads below zero.
	 */
	for (i = 0; i < sizeof(struct hmap_pcpu) / sizeof(s64); i++)
		counters[i] = max_t(s64, 0,
				    hmap_stat_sum_offset(map, i * sizeof(s64)));
	/*
	 * Each counter is summed on its own while lookups go on, so a total
	 * derived from two sums could be off by the lookups in between:
	 * lookups is derived as hits + misses, which cannot wrap.
	 */
	st->lookups = st->hits + st->misses;
}
EXPORT_SYMBOL_GPL(hmap_get_stats);

/**
 * hmap_get_histogram() - how full the buckets of the current array are
 * @map: the map.
 * @hist: gets the histogram.
 *
 * Walks the whole array writes go to, holding every lock of the map
 * (hmap_lock_all(), so writers of every stripe, in every context, wait
 * for each hold) for %HMAP_HIST_HOLD (64) buckets at a time, heads and
 * overflow buckets (a
 * chain is walked whole), so that writers go on beside it and interrupts
 * are never off for long. If writes move to a new array
 * meanwhile, the walk starts over on it (%HMAP_HIST_RESTARTS times at
 * most, then continues on the newest array where it was): exact for a map
 * no one resizes during the call, a mix of moments otherwise.
 *
 * Context: process context, may sleep.
 * Return: 0.
 */
int hmap_get_histogram(struct hmap *map, struct hmap_histogram *hist)
{
	struct hmap_table *t, *seen = NULL;
	unsigned int restarts = 0, walked;
	unsigned long flags, i = 0;
	bool done;

	might_sleep();
	memset(hist, 0, sizeof(*hist));
	do {
		hmap_lock_all(map, &flags);
		t = hmap_newest(map);
		if (t != seen) {
			if (seen && restarts++ < HMAP_HIST_RESTARTS) {
				memset(hist, 0, sizeof(*hist));
				i = 0;
			}
			seen = t;
			hist->buckets = 1ULL << t->B;
		}
		for (walked = 0; walked < HMAP_HIST_HOLD &&
		     i <= hmap_bucket_mask(t); i++) {
			struct hmap_bucket *b = &t->buckets[i];
			unsigned int chain = 0, s, n;

			for (; b; b = hmap_dereference(map, b->overflow),
			     chain++) {
				for (s = 0, n = 0; s < HMAP_BUCKET_SLOTS; s++)
					n += !hmap_tophash_is_empty(b->tophash[s]);
				hist->slots[n]++;
			}
			hist->chains[min(chain - 1, HMAP_HIST_CHAIN_MAX)]++;
			walked += chain;
		}
		done = i > hmap_bucket_mask(t);
		hmap_unlock_all(map, flags);
		cond_resched();
	} while (!done);
	return 0;
}
EXPORT_SYMBOL_GPL(hmap_get_histogram);

/**
 * hmap_global_stats() - counters summed over every map
 * @gs: gets them.
 *
 * Context: any.
 */
void hmap_global_stats(struct hmap_global_stats *gs)
{
	size_t offset;

	BUILD_BUG_ON(sizeof(*gs) % sizeof(long));
	for (offset = 0; offset < sizeof(*gs); offset += sizeof(long))
		*(long *)((u8 *)gs + offset) = hmap_global_sum(offset);
}
EXPORT_SYMBOL_GPL(hmap_global_stats);

/**
 * hmap_flush_frees() - wait until every deferred free has run
 *
 * Context: process context, may sleep.
 */
void hmap_flush_frees(void)
{
	rcu_barrier();
	flush_workqueue(hmap_wq);
}
EXPORT_SYMBOL_IF_KUNIT(hmap_flush_frees);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * hmap_test_set_hash() - replace the map's hash function (tests only)
 * @map: an empty map.
 * @fn: the hash function, or NULL for the keyed default.
 *
 * Context: no concurrent users of @map.
 */
void hmap_test_set_hash(struct hmap *map, hmap_hash_fn fn)
{
	map->hash_fn = fn;
}
EXPORT_SYMBOL_IF_KUNIT(hmap_test_set_hash);

/**
 * hmap_test_set_background() - allow or forbid the background worker
 * @map: the map.
 * @on: whether the worker may finish resizes.
 *
 * Context: process context, may sleep.
 */
void hmap_test_set_background(struct hmap *map, bool on)
{
	unsigned long flags;

	spin_lock_irqsave(&map->lock, flags);
	map->background = on;
	hmap_bg_schedule(map);
	spin_unlock_irqrestore(&map->lock, flags);
	if (!on)
		cancel_delayed_work_sync(&map->bg_work);
}
EXPORT_SYMBOL_IF_KUNIT(hmap_test_set_background);

/**
 * hmap_test_run_background() - finish resizes as the background worker does
 * @map: the map.
 *
 * Finishes the resize in progress as the worker does, and the shrinks that
 * follow it while the map is below its load (allocating their arrays
 * itself, as @prealloc_work would), counting the buckets as evacuated by
 * the background. Unlike the worker it starts no grow nor same-size grow
 * (the cases that call it leave those to their writes, which may sleep).
 *
 * Context: process context, may sleep; takes &hmap.work_lock.
 */
void hmap_test_run_background(struct hmap *map)
{
	unsigned long flags;
	bool busy;
	int want;

	mutex_lock(&map->work_lock);
	hmap_lock_all(map, &flags);
	busy = map->resizing != HMAP_RESIZE_NONE;
	hmap_unlock_all(map, flags);
	while (busy && !hmap_evacuate_all(map, 0)) {
		hmap_lock_all(map, &flags);
		want = hmap_maybe_shrink(map);
		if (want >= 0 && !hmap_array_claim(map))
			want = -1;
		busy = map->resizing != HMAP_RESIZE_NONE;
		hmap_unlock_all(map, flags);
		if (want >= 0)
			busy = !hmap_spare_fill(map, want);
	}
	mutex_unlock(&map->work_lock);
}
EXPORT_SYMBOL_IF_KUNIT(hmap_test_run_background);

/**
 * __hmap_test_prealloc() - queue the allocation of the next array ahead
 * @map: the map.
 *
 * Does what a write three quarters of the way to a grow does, whatever the
 * count (@want_ahead), so that a test can hold &hmap.work_lock (which the
 * work takes first) while the work runs.
 *
 * Context: process context; the caller holds &hmap.work_lock.
 */
void __hmap_test_prealloc(struct hmap *map)
	__must_hold(&map->work_lock)
{
	unsigned long flags;

	lockdep_assert_held(&map->work_lock);
	spin_lock_irqsave(&map->lock, flags);
	if (!map->dying) {
		WRITE_ONCE(map->want_ahead, true);
		queue_work(hmap_wq, &map->prealloc_work);
	}
	spin_unlock_irqrestore(&map->lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(__hmap_test_prealloc);

/**
 * hmap_test_set_alloc() - see, and fail on demand, bucket allocations
 * @map: the map.
 * @fn: called before each bucket array and overflow bucket allocation
 *	(see &typedef hmap_test_alloc_fn), or NULL.
 * @ctx: passed to @fn.
 *
 * Context: process context; @fn must stay callable until it is replaced
 * and the map's works have been flushed (hmap_flush_frees()).
 */
void hmap_test_set_alloc(struct hmap *map, hmap_test_alloc_fn fn, void *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&map->lock, flags);
	WRITE_ONCE(map->test_alloc_ctx, ctx);
	/* What @ctx points to is seen by whoever sees @fn. */
	smp_store_release(&map->test_alloc, fn);
	spin_unlock_irqrestore(&map->lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(hmap_test_set_alloc);

/**
 * hmap_test_reserve() - overflow buckets on the map's reserve
 * @map: the map.
 *
 * Context: any.
 * Return: &hmap.nreserve, read without the lock.
 */
unsigned int hmap_test_reserve(struct hmap *map)
{
	return READ_ONCE(map->nreserve);
}
EXPORT_SYMBOL_IF_KUNIT(hmap_test_reserve);

/**
 * hmap_test_pending_bytes() - bytes destroy and clear count as pending
 *
 * Context: any.
 * Return: the bytes of destroyed maps and of arrays hmap_clear() retired
 * not yet freed, all maps together, as hmap_destroy() and hmap_clear()
 * compare with %HMAP_DESTROY_PENDING_MAX.
 */
long hmap_test_pending_bytes(void)
{
	return atomic_long_read(&hmap_destroy_pending);
}
EXPORT_SYMBOL_IF_KUNIT(hmap_test_pending_bytes);
#endif

/**
 * hmap_core_init() - set up what all maps share
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int __init hmap_core_init(void)
{
	hmap_bucket_cache = kmem_cache_create("hmap_bucket",
					      sizeof(struct hmap_bucket), 0,
					      SLAB_ACCOUNT, NULL);
	if (!hmap_bucket_cache)
		return -ENOMEM;
	hmap_wq = alloc_workqueue("hmap", WQ_UNBOUND, 0);
	if (!hmap_wq) {
		kmem_cache_destroy(hmap_bucket_cache);
		return -ENOMEM;
	}
	return 0;
}

/**
 * hmap_core_exit() - tear down what all maps share
 *
 * Context: module exit, after every map was destroyed.
 */
void hmap_core_exit(void)
{
	rcu_barrier();
	destroy_workqueue(hmap_wq);
	kmem_cache_destroy(hmap_bucket_cache);
}
