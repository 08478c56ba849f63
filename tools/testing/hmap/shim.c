// SPDX-License-Identifier: GPL-2.0
/*
 * The run-time half of the harness's kernel shims: warnings, per-CPU slots,
 * allocation (with fault injection), RCU glue around liburcu, randomness,
 * jiffies and workqueues on pthreads. The headers are in shim/.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "hmap_shim.h"

/* ---- Warnings ---- */

static unsigned long shim_warnings;
static bool shim_warn_fatal = true;

void hmap_shim_warn(const char *file, int line, const char *cond)
{
	__atomic_add_fetch(&shim_warnings, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "WARNING: %s:%d: %s\n", file, line, cond);
	if (shim_warn_fatal)
		abort();
}

void hmap_shim_bug(const char *file, int line, const char *cond)
{
	fprintf(stderr, "BUG: %s:%d: %s\n", file, line, cond);
	abort();
}

unsigned long hmap_shim_warnings(void)
{
	return __atomic_load_n(&shim_warnings, __ATOMIC_RELAXED);
}

void hmap_shim_warn_fatal(bool fatal)
{
	shim_warn_fatal = fatal;
}

/* Spinlocks this thread holds: nothing may sleep under one. */
__thread unsigned int hmap_shim_spinlocks_held;

/*
 * Sleeping (a mutex, a GFP_KERNEL allocation, a grace period) in a reader
 * or under a spinlock.
 */
void hmap_shim_might_sleep(const char *file, int line)
{
	if (rcu_read_lock_held())
		hmap_shim_warn(file, line,
			       "sleeping function called from an RCU reader");
	if (hmap_shim_spinlocks_held)
		hmap_shim_warn(file, line,
			       "sleeping function called under a spinlock");
}

/* ---- Threads ---- */

__thread unsigned int hmap_shim_preempt_on;
static __thread u64 preempt_rnd;

void hmap_shim_preempt_points(unsigned int one_in)
{
	hmap_shim_preempt_on = one_in;
	preempt_rnd = (uintptr_t)&preempt_rnd ^ ktime_get_ns();
}

/* Stall now and then: a yield, or a spin of up to a few microseconds. */
void hmap_shim_preempt_point(void)
{
	u64 r = (preempt_rnd = preempt_rnd * 6364136223846793005ULL +
				1442695040888963407ULL) >> 33;
	unsigned int i, n;

	if (r % hmap_shim_preempt_on)
		return;
	r /= hmap_shim_preempt_on;
	if (r & 1) {
		sched_yield();
		return;
	}
	n = (r >> 1) % 1024;
	for (i = 0; i < n; i++)
		__builtin_ia32_pause();
}

__thread struct task_struct hmap_shim_task;
__thread bool hmap_shim_rcu_registered;
__thread int hmap_shim_cpu = -1;

static pthread_key_t shim_thread_key;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;

static void shim_cpu_release(int cpu);

/* At thread exit: leave RCU, give the per-CPU slot back. */
static void shim_thread_exit(void *arg)
{
	if (hmap_shim_rcu_registered) {
		urcu_memb_unregister_thread();
		hmap_shim_rcu_registered = false;
	}
	if (hmap_shim_cpu >= 0) {
		shim_cpu_release(hmap_shim_cpu);
		hmap_shim_cpu = -1;
	}
}

static void shim_thread_track(void)
{
	pthread_setspecific(shim_thread_key, (void *)1);
}

void hmap_shim_rcu_register(void)
{
	if (hmap_shim_rcu_registered)
		return;
	hmap_shim_init();
	urcu_memb_register_thread();
	hmap_shim_rcu_registered = true;
	shim_thread_track();
}

unsigned int num_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

/* ---- Per-CPU slots and the per-CPU arena ---- */

char *hmap_shim_pcpu_arena;
/* wait_var_event() and wake_up_var(): see shim/linux/wait_bit.h. */
pthread_mutex_t hmap_shim_var_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t hmap_shim_var_cond = PTHREAD_COND_INITIALIZER;

static pthread_mutex_t pcpu_lock = PTHREAD_MUTEX_INITIALIZER;
static bool pcpu_cpu_used[NR_CPUS];
/* Unit 0 in 64-byte granules; the static per-CPU variables come first. */
#define PCPU_GRAN	64
#define PCPU_NGRAN	(HMAP_PCPU_UNIT / PCPU_GRAN)
static unsigned char pcpu_gran_used[PCPU_NGRAN];
static size_t pcpu_gran_len[PCPU_NGRAN];

static void pcpu_init(void)
{
	size_t statics = __stop_hmap_percpu - __start_hmap_percpu;
	size_t i, n = DIV_ROUND_UP(statics, PCPU_GRAN);
	int cpu;

	hmap_shim_pcpu_arena = mmap(NULL, nr_cpu_ids * HMAP_PCPU_UNIT,
				    PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				    -1, 0);
	if (hmap_shim_pcpu_arena == MAP_FAILED) {
		perror("hmap shim: per-CPU arena");
		abort();
	}
	if (n >= PCPU_NGRAN)
		hmap_shim_bug(__FILE__, __LINE__, "static per-CPU data too large");
	for_each_possible_cpu(cpu)
		memcpy(hmap_shim_pcpu_arena + cpu * HMAP_PCPU_UNIT,
		       __start_hmap_percpu, statics);
	for (i = 0; i < n; i++)
		pcpu_gran_used[i] = 1;
}

int hmap_shim_claim_cpu(void)
{
	int cpu;

	hmap_shim_init();
	pthread_mutex_lock(&pcpu_lock);
	for (cpu = 0; cpu < nr_cpu_ids && pcpu_cpu_used[cpu]; cpu++)
		;
	if (cpu == nr_cpu_ids)
		hmap_shim_bug(__FILE__, __LINE__, "more threads than CPUs");
	pcpu_cpu_used[cpu] = true;
	pthread_mutex_unlock(&pcpu_lock);
	hmap_shim_cpu = cpu;
	shim_thread_track();
	return cpu;
}

static void shim_cpu_release(int cpu)
{
	pthread_mutex_lock(&pcpu_lock);
	pcpu_cpu_used[cpu] = false;
	pthread_mutex_unlock(&pcpu_lock);
}

void __percpu *__alloc_percpu_gfp(size_t size, size_t align, gfp_t gfp)
{
	size_t n = DIV_ROUND_UP(size ? size : 1, PCPU_GRAN), i, j;
	char *p = NULL;
	int cpu;

	if (align > PCPU_GRAN)
		return NULL;
	hmap_shim_init();
	pthread_mutex_lock(&pcpu_lock);
	for (i = 0; i + n <= PCPU_NGRAN; i++) {
		for (j = 0; j < n && !pcpu_gran_used[i + j]; j++)
			;
		if (j == n)
			break;
		i += j;
	}
	if (i + n <= PCPU_NGRAN) {
		for (j = 0; j < n; j++)
			pcpu_gran_used[i + j] = 1;
		pcpu_gran_len[i] = n;
		p = hmap_shim_pcpu_arena + i * PCPU_GRAN;
		for_each_possible_cpu(cpu)
			memset(p + cpu * HMAP_PCPU_UNIT, 0, n * PCPU_GRAN);
	}
	pthread_mutex_unlock(&pcpu_lock);
	return p;
}

void free_percpu(void __percpu *p)
{
	size_t i, j;

	if (!p)
		return;
	i = ((char *)p - hmap_shim_pcpu_arena) / PCPU_GRAN;
	pthread_mutex_lock(&pcpu_lock);
	if (i >= PCPU_NGRAN || !pcpu_gran_len[i])
		hmap_shim_bug(__FILE__, __LINE__, "per-CPU memory freed by a bad pointer");
	for (j = 0; j < pcpu_gran_len[i]; j++)
		pcpu_gran_used[i + j] = 0;
	pcpu_gran_len[i] = 0;
	pthread_mutex_unlock(&pcpu_lock);
}

/* ---- Allocation ---- */

static long shim_live;
static unsigned long shim_failed;
static __thread unsigned long fail_after, fail_count;

void hmap_shim_fail_allocs(unsigned long after, unsigned long count)
{
	fail_after = after;
	fail_count = count;
}

unsigned long hmap_shim_failed_allocs(void)
{
	return __atomic_load_n(&shim_failed, __ATOMIC_RELAXED);
}

long hmap_shim_live_allocs(void)
{
	return __atomic_load_n(&shim_live, __ATOMIC_RELAXED);
}

/* Whether this allocation fails (fault injection); checks the context. */
static bool shim_alloc_fails(gfp_t gfp)
{
	if (gfpflags_allow_blocking(gfp))
		might_sleep();
	if (!fail_count || (gfp & __GFP_NOFAIL))
		return false;
	if (fail_after) {
		fail_after--;
		return false;
	}
	fail_count--;
	__atomic_add_fetch(&shim_failed, 1, __ATOMIC_RELAXED);
	return true;
}

static void *shim_alloc(size_t size, size_t align, gfp_t gfp)
{
	void *p;

	if (shim_alloc_fails(gfp))
		return NULL;
	if (align > 16) {
		if (posix_memalign(&p, align, size ? size : 1))
			p = NULL;
	} else {
		p = malloc(size ? size : 1);
	}
	if (!p)
		return NULL;
	if (gfp & __GFP_ZERO)
		memset(p, 0, size);
	__atomic_add_fetch(&shim_live, 1, __ATOMIC_RELAXED);
	return p;
}

static void shim_free(const void *p)
{
	__atomic_sub_fetch(&shim_live, 1, __ATOMIC_RELAXED);
	free((void *)p);
}

/* SLUB's kmalloc sizes (x86-64, 4 KiB pages), as kmalloc_size_roundup(). */
#define KMALLOC_MAX_CACHE_SIZE	(2 * PAGE_SIZE)
#define KMALLOC_MAX_SIZE	(4UL << 20)

size_t kmalloc_size_roundup(size_t size)
{
	static const size_t small[] = { 8, 16, 32, 64, 96, 128, 192 };
	size_t i, s;

	if (!size)
		return 0;
	for (i = 0; i < ARRAY_SIZE(small); i++)
		if (size <= small[i])
			return small[i];
	if (size > KMALLOC_MAX_SIZE * 2 || size > SIZE_MAX / 2)
		return size;
	for (s = 256; s < size; s <<= 1)
		;
	return s < PAGE_SIZE ? s : s;
}

void *kmalloc(size_t size, gfp_t flags)
{
	if (!size)
		return ZERO_SIZE_PTR;
	if (size > KMALLOC_MAX_SIZE)
		return NULL;
	return shim_alloc(size, 8, flags);
}

void kfree(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
#ifdef HMAP_SHIM_CHECKS
	/* The kernel's kfree() of a vmalloc()ed area crashes: so here. */
	if (is_vmalloc_addr(p)) {
		fprintf(stderr, "shim: %s() of vmalloc()ed %p\n", __func__, p);
		abort();
	}
#endif
	shim_free(p);
}

/* vmalloc()ed areas: what is_vmalloc_addr() answers from. */
struct shim_vm {
	const void *p;
	struct shim_vm *next;
};

static struct shim_vm *shim_vms;
static pthread_mutex_t shim_vm_lock = PTHREAD_MUTEX_INITIALIZER;

bool is_vmalloc_addr(const void *p)
{
	struct shim_vm *v;
	bool found = false;

	pthread_mutex_lock(&shim_vm_lock);
	for (v = shim_vms; v && !found; v = v->next)
		found = v->p == p;
	pthread_mutex_unlock(&shim_vm_lock);
	return found;
}

/* As the kernel's: kmalloc() up to 4 MiB, vmalloc() beyond. */
void *kvmalloc(size_t size, gfp_t flags)
{
	struct shim_vm *v;
	void *p;

	if (size <= KMALLOC_MAX_SIZE)
		return kmalloc(size, flags);
	if (size > INT_MAX)	/* kvmalloc() refuses these */
		return NULL;
	v = malloc(sizeof(*v));
	if (!v)
		return NULL;
	p = shim_alloc(size, PAGE_SIZE, flags);
	if (!p) {
		free(v);
		return NULL;
	}
	v->p = p;
	pthread_mutex_lock(&shim_vm_lock);
	v->next = shim_vms;
	shim_vms = v;
	pthread_mutex_unlock(&shim_vm_lock);
	return p;
}

void kvfree(const void *p)
{
	struct shim_vm **pv, *v = NULL;

	if (ZERO_OR_NULL_PTR(p))
		return;
	pthread_mutex_lock(&shim_vm_lock);
	for (pv = &shim_vms; *pv; pv = &(*pv)->next) {
		if ((*pv)->p == p) {
			v = *pv;
			*pv = v->next;
			break;
		}
	}
	pthread_mutex_unlock(&shim_vm_lock);
	free(v);
	shim_free(p);
}

struct kmem_cache {
	char name[32];
	unsigned int size;
	unsigned int align;
	void (*ctor)(void *obj);
	long live;
};

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags,
				     void (*ctor)(void *))
{
	struct kmem_cache *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->size = size;
	s->align = align;
	s->ctor = ctor;
	return s;
}

void kmem_cache_destroy(struct kmem_cache *s)
{
	if (!s)
		return;
	/* The kernel complains of objects left in a cache it destroys. */
	if (s->live)
		hmap_shim_warn(__FILE__, __LINE__, "a cache destroyed while in use");
	free(s);
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags)
{
	void *p = shim_alloc(s->size, s->align, flags);

	if (p) {
		if (s->ctor)
			s->ctor(p);
		__atomic_add_fetch(&s->live, 1, __ATOMIC_RELAXED);
	}
	return p;
}

void kmem_cache_free(struct kmem_cache *s, void *p)
{
	if (!p)
		return;
	__atomic_sub_fetch(&s->live, 1, __ATOMIC_RELAXED);
	shim_free(p);
}

unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return s->size;
}

/* ---- RCU ---- */

void synchronize_rcu(void)
{
	might_sleep();
	urcu_memb_synchronize_rcu();
}

/*
 * call_rcu() and rcu_barrier() of the harness's own: liburcu's call_rcu
 * thread sleeps 10 ms between batches, which would make every grace period
 * a test waits for (rcu_barrier()) that long. This thread starts a grace
 * period (synchronize_rcu()) as soon as callbacks are queued and then runs
 * them, in order.
 */
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cb_cond = PTHREAD_COND_INITIALIZER;
static struct rcu_head *cb_head, **cb_tail = &cb_head;
static u64 cb_queued, cb_done;
static bool cb_idle;		/* the thread waits for callbacks */
static pthread_t cb_thread;

/* The callback list is linked through the rcu_head's own link. */
#define cb_next(h)	(*(struct rcu_head **)&(h)->next)

static void *shim_cb_thread(void *arg)
{
	for (;;) {
		struct rcu_head *list, *h;
		u64 n = 0;

		pthread_mutex_lock(&cb_lock);
		while (!cb_head) {
			cb_idle = true;
			pthread_cond_wait(&cb_cond, &cb_lock);
			cb_idle = false;
		}
		list = cb_head;
		cb_head = NULL;
		cb_tail = &cb_head;
		pthread_mutex_unlock(&cb_lock);

		urcu_memb_synchronize_rcu();
		while ((h = list)) {
			unsigned long off = (unsigned long)h->func;

			list = cb_next(h);
			/* kfree_rcu()'s fallback: the offset of its rcu_head. */
			if (off < 4096)
				kvfree((char *)h - off);
			else
				h->func(h);
			n++;
		}
		pthread_mutex_lock(&cb_lock);
		cb_done += n;
		pthread_cond_broadcast(&cb_cond);
		pthread_mutex_unlock(&cb_lock);
	}
	return NULL;
}

static void shim_kvfree_bulk_drain(void);

void rcu_barrier(void)
{
	u64 target;

	might_sleep();
	shim_kvfree_bulk_drain();
	pthread_mutex_lock(&cb_lock);
	target = cb_queued;
	while (cb_done < target)
		pthread_cond_wait(&cb_cond, &cb_lock);
	pthread_mutex_unlock(&cb_lock);
}

void call_rcu(struct rcu_head *head, rcu_callback_t func)
{
	head->func = func;
	cb_next(head) = NULL;
	pthread_mutex_lock(&cb_lock);
	*cb_tail = head;
	cb_tail = &cb_next(head);
	cb_queued++;
	/* One wake-up per batch, as the kernel's callbacks are batched. */
	if (cb_idle)
		pthread_cond_broadcast(&cb_cond);
	pthread_mutex_unlock(&cb_lock);
}

/*
 * kvfree_rcu_mightsleep() and kfree_rcu() batched as the kernel batches
 * them (kvfree_call_rcu() in kernel/rcu/tree.c): the pointer goes into a
 * page-sized array of the CPU's, and a full array is freed after one grace
 * period, one call_rcu() for all of it; so a deferred free is a store
 * under the CPU's lock, not an allocation and a callback of its own. With
 * no memory for an array, kfree_rcu() uses the object's own rcu_head (its
 * offset in place of the callback, as the kernel's kvfree_rcu_offset) and
 * kvfree_rcu_mightsleep() waits for a grace period, as the kernel's do.
 * rcu_barrier() hands on the arrays not yet full, so that it waits for
 * every deferred free (the kernel's does not wait for kvfree_rcu(), which
 * needs kvfree_rcu_barrier(); the harness's tests count allocations after
 * it). Unlike the kernel's, nothing else hands on an array not yet full (no
 * timer): at most a page of pointers a CPU waits for the next barrier.
 * So the sanitizer builds (HMAP_SHIM_CHECKS) batch 4 pointers, not a
 * page: an object is freed within a grace period of the third free after
 * it on its CPU, and AddressSanitizer soon sees a reader that used one
 * past its grace period, instead of at the next barrier or never (and
 * both paths, the new array and the append, still run under it).
 */
#ifdef HMAP_SHIM_CHECKS
#define SHIM_KVFREE_BULK	4
#else
#define SHIM_KVFREE_BULK						\
	((4096 - sizeof(struct rcu_head) - sizeof(long)) / sizeof(void *))
#endif

struct shim_kvfree_bulk {
	struct rcu_head rcu;
	unsigned long nr;
	void *p[SHIM_KVFREE_BULK];
};

static bool shim_kvfree_no_bulk;		/* __atomic */
static unsigned long shim_kvfree_fallbacks;	/* __atomic */

void hmap_shim_kvfree_bulk_fails(bool fail)
{
	__atomic_store_n(&shim_kvfree_no_bulk, fail, __ATOMIC_RELAXED);
}

unsigned long hmap_shim_kvfree_rcu_fallbacks(void)
{
	return __atomic_load_n(&shim_kvfree_fallbacks, __ATOMIC_RELAXED);
}

/* A CPU's array being filled; its lock is the kernel's krcp->lock. */
struct shim_krc {
	int locked;				/* __atomic */
	struct shim_kvfree_bulk *bulk;
};

static struct shim_krc shim_krc[NR_CPUS];

static void shim_krc_lock(struct shim_krc *k)
{
	while (__atomic_exchange_n(&k->locked, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void shim_krc_unlock(struct shim_krc *k)
{
	__atomic_store_n(&k->locked, 0, __ATOMIC_RELEASE);
}

/*
 * Emptied arrays kept for reuse, as the kernel keeps its pages
 * (krcp->bkvcache): glibc's malloc() of a page-sized block freed by
 * another thread costs tens of thousands of instructions.
 */
#define SHIM_KVFREE_CACHE	16
static pthread_mutex_t shim_kvfree_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_kvfree_bulk *shim_kvfree_cache[SHIM_KVFREE_CACHE];
static unsigned int shim_kvfree_cached;

static struct shim_kvfree_bulk *shim_kvfree_bulk_get(void)
{
	struct shim_kvfree_bulk *b = NULL;

	pthread_mutex_lock(&shim_kvfree_cache_lock);
	if (shim_kvfree_cached)
		b = shim_kvfree_cache[--shim_kvfree_cached];
	pthread_mutex_unlock(&shim_kvfree_cache_lock);
	return b ? b : malloc(sizeof(*b));
}

static void shim_kvfree_bulk_cb(struct rcu_head *head)
{
	struct shim_kvfree_bulk *b =
		container_of(head, struct shim_kvfree_bulk, rcu);
	unsigned long i;

	for (i = 0; i < b->nr; i++)
		kvfree(b->p[i]);
	pthread_mutex_lock(&shim_kvfree_cache_lock);
	if (shim_kvfree_cached < SHIM_KVFREE_CACHE) {
		shim_kvfree_cache[shim_kvfree_cached++] = b;
		b = NULL;
	}
	pthread_mutex_unlock(&shim_kvfree_cache_lock);
	free(b);
}

/* Queue @p on this CPU's array; false if a new array found no memory. */
static bool shim_kvfree_bulk_add(void *p)
{
	struct shim_krc *k = &shim_krc[raw_smp_processor_id()];
	struct shim_kvfree_bulk *b, *full = NULL;

	if (__atomic_load_n(&shim_kvfree_no_bulk, __ATOMIC_RELAXED)) {
		__atomic_add_fetch(&shim_kvfree_fallbacks, 1, __ATOMIC_RELAXED);
		return false;
	}
	shim_krc_lock(k);
	b = k->bulk;
	if (b) {
		b->p[b->nr++] = p;
		if (b->nr == SHIM_KVFREE_BULK) {
			full = b;
			k->bulk = NULL;
		}
	}
	shim_krc_unlock(k);
	if (!b) {
		/* Outside the lock, as the kernel allocates its pages. */
		b = shim_kvfree_bulk_get();
		if (!b) {
			__atomic_add_fetch(&shim_kvfree_fallbacks, 1,
					   __ATOMIC_RELAXED);
			return false;
		}
		b->nr = 1;
		b->p[0] = p;
		shim_krc_lock(k);
		if (!k->bulk) {
			k->bulk = b;
			b = NULL;
		}
		shim_krc_unlock(k);
		full = b;	/* only rcu_barrier() empties k->bulk */
	}
	if (full)
		call_rcu(&full->rcu, shim_kvfree_bulk_cb);
	return true;
}

/* rcu_barrier()'s start: every CPU's array on its way, full or not. */
static void shim_kvfree_bulk_drain(void)
{
	struct shim_kvfree_bulk *b;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct shim_krc *k = &shim_krc[cpu];

		shim_krc_lock(k);
		b = k->bulk;
		k->bulk = NULL;
		shim_krc_unlock(k);
		if (b)
			call_rcu(&b->rcu, shim_kvfree_bulk_cb);
	}
}

/* kvfree_rcu_mightsleep(): after a grace period, waiting for one if need be. */
void hmap_shim_kvfree_rcu(void *p)
{
	if (!p)
		return;
	might_sleep();
	if (!shim_kvfree_bulk_add(p)) {
		synchronize_rcu();
		kvfree(p);
	}
}

/* kfree_rcu(): after a grace period, never sleeping (in any context). */
void hmap_shim_kfree_rcu_atomic(void *p, struct rcu_head *head)
{
	if (!p || shim_kvfree_bulk_add(p))
		return;
	call_rcu(head, (rcu_callback_t)(unsigned long)((char *)head - (char *)p));
}

/* ---- Randomness ---- */

static pthread_mutex_t rnd_lock = PTHREAD_MUTEX_INITIALIZER;
static u64 rnd_state;
static bool rnd_seeded;

void hmap_shim_seed_random(u64 seed)
{
	pthread_mutex_lock(&rnd_lock);
	rnd_state = seed;
	rnd_seeded = true;
	pthread_mutex_unlock(&rnd_lock);
}

/* splitmix64 */
static u64 rnd_next(void)
{
	u64 z = (rnd_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void get_random_bytes(void *buf, size_t len)
{
	u8 *out = buf;

	pthread_mutex_lock(&rnd_lock);
	if (!rnd_seeded) {
		const char *env = getenv("HMAP_SHIM_SEED");

		if (env)
			rnd_state = strtoull(env, NULL, 0);
		else if (getrandom(&rnd_state, sizeof(rnd_state), 0) !=
			 sizeof(rnd_state))
			rnd_state = ktime_get_ns();
		rnd_seeded = true;
	}
	while (len) {
		u64 r = rnd_next();
		size_t n = min(len, sizeof(r));

		memcpy(out, &r, n);
		out += n;
		len -= n;
	}
	pthread_mutex_unlock(&rnd_lock);
}

u32 get_random_u32(void)
{
	u32 r;

	get_random_bytes(&r, sizeof(r));
	return r;
}

u64 get_random_u64(void)
{
	u64 r;

	get_random_bytes(&r, sizeof(r));
	return r;
}

/* ---- Time ---- */

static u64 shim_boot_ns;
static unsigned long shim_jiffies_skipped;	/* __atomic */

static bool shim_jiffies_stopped;		/* __atomic */
static unsigned long shim_jiffies_at_stop;	/* __atomic */

static unsigned long shim_jiffies_now(void)
{
	return INITIAL_JIFFIES +
	       __atomic_load_n(&shim_jiffies_skipped, __ATOMIC_RELAXED) +
	       (ktime_get_ns() - shim_boot_ns) / (NSEC_PER_SEC / HZ);
}

unsigned long hmap_shim_jiffies(void)
{
	if (__atomic_load_n(&shim_jiffies_stopped, __ATOMIC_ACQUIRE))
		return __atomic_load_n(&shim_jiffies_at_stop,
				       __ATOMIC_RELAXED);
	return shim_jiffies_now();
}

void hmap_shim_jiffies_stop(bool stop)
{
	if (stop)
		__atomic_store_n(&shim_jiffies_at_stop, shim_jiffies_now(),
				 __ATOMIC_RELAXED);
	__atomic_store_n(&shim_jiffies_stopped, stop, __ATOMIC_RELEASE);
}

void hmap_shim_jiffies_skip(unsigned long j)
{
	__atomic_add_fetch(&shim_jiffies_skipped, j, __ATOMIC_RELAXED);
}

void hmap_shim_sleep_jiffies(unsigned long j)
{
	usleep(j * (1000000UL / HZ));
}

/* ---- Workqueues ---- */

#define WQ_MAX_WORKERS	8

/*
 * A worker remembers the work it runs by address only, as the kernel's do:
 * a work may free itself (hmap_table_free_work() frees the table it is
 * in), so nothing in it is touched once its function has been called.
 */
struct wq_worker {
	struct workqueue_struct *wq;
	pthread_t thread;
	struct work_struct *cur_work;
};

struct workqueue_struct {
	char name[32];
	struct work_struct *ready, **ready_tail;
	struct work_struct *timers;	/* delayed works waiting */
	int active;			/* works running now */
	bool stop;
	int nworkers;
	struct wq_worker workers[WQ_MAX_WORKERS];
};

static pthread_mutex_t wq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wq_cond;

static bool wq_running(struct work_struct *w)
{
	int i;

	if (!w->wq)
		return false;
	for (i = 0; i < w->wq->nworkers; i++)
		if (w->wq->workers[i].cur_work == w)
			return true;
	return false;
}

static void wq_enqueue(struct workqueue_struct *wq, struct work_struct *w)
{
	w->wq = wq;
	w->next = NULL;
	w->queued = true;
	*wq->ready_tail = w;
	wq->ready_tail = &w->next;
	pthread_cond_broadcast(&wq_cond);
}

static void wq_unlink_ready(struct work_struct *w)
{
	struct workqueue_struct *wq = w->wq;
	struct work_struct **pw;

	for (pw = &wq->ready; *pw != w; pw = &(*pw)->next)
		;
	*pw = w->next;
	if (wq->ready_tail == &w->next)
		wq->ready_tail = pw;
	w->queued = false;
}

static void wq_unlink_timer(struct work_struct *w)
{
	struct work_struct **pw;

	for (pw = &w->wq->timers; *pw != w; pw = &(*pw)->timer_next)
		;
	*pw = w->timer_next;
	w->timer = false;
}

/* Take @w off whatever list it is on; it stays pending only if in RCU. */
static bool wq_unqueue(struct work_struct *w)
{
	if (w->queued) {
		wq_unlink_ready(w);
		w->pending = false;
		return true;
	}
	if (w->timer) {
		wq_unlink_timer(w);
		w->pending = false;
		return true;
	}
	return false;
}

static u64 wq_expire_timers(struct workqueue_struct *wq)
{
	struct work_struct **pw = &wq->timers, *w;
	u64 now = ktime_get_ns(), next = U64_MAX;

	while ((w = *pw)) {
		if (w->expires_ns <= now) {
			*pw = w->timer_next;
			w->timer = false;
			wq_enqueue(wq, w);
		} else {
			next = min(next, w->expires_ns);
			pw = &w->timer_next;
		}
	}
	return next;
}

static void *wq_worker(void *arg)
{
	struct wq_worker *me = arg;
	struct workqueue_struct *wq = me->wq;

	hmap_shim_rcu_register();
	pthread_mutex_lock(&wq_lock);
	while (!wq->stop) {
		u64 next = wq_expire_timers(wq);
		struct work_struct *w;

		/* Never one work on two workers at once. */
		for (w = wq->ready; w && wq_running(w); w = w->next)
			;
		if (w) {
			work_func_t func = w->func;

			wq_unlink_ready(w);
			w->pending = false;
			me->cur_work = w;
			wq->active++;
			pthread_mutex_unlock(&wq_lock);
			func(w);
			if (rcu_read_lock_held())
				hmap_shim_bug(__FILE__, __LINE__,
					      "work returned in an RCU reader");
			pthread_mutex_lock(&wq_lock);
			me->cur_work = NULL;
			wq->active--;
			pthread_cond_broadcast(&wq_cond);
			continue;
		}
		if (next == U64_MAX) {
			pthread_cond_wait(&wq_cond, &wq_lock);
		} else {
			struct timespec ts = {
				.tv_sec = next / NSEC_PER_SEC,
				.tv_nsec = next % NSEC_PER_SEC,
			};

			pthread_cond_timedwait(&wq_cond, &wq_lock, &ts);
		}
	}
	pthread_mutex_unlock(&wq_lock);
	return NULL;
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...)
{
	struct workqueue_struct *wq = calloc(1, sizeof(*wq));
	const char *env = getenv("HMAP_SHIM_WORKERS");
	int i;

	if (!wq)
		return NULL;
	hmap_shim_init();
	snprintf(wq->name, sizeof(wq->name), "%s", fmt);
	wq->ready_tail = &wq->ready;
	wq->nworkers = env ? atoi(env) : 2;
	wq->nworkers = clamp(wq->nworkers, 1, WQ_MAX_WORKERS);
	for (i = 0; i < wq->nworkers; i++) {
		wq->workers[i].wq = wq;
		if (pthread_create(&wq->workers[i].thread, NULL, wq_worker,
				   &wq->workers[i])) {
			wq->nworkers = i;
			destroy_workqueue(wq);
			return NULL;
		}
	}
	return wq;
}

void flush_workqueue(struct workqueue_struct *wq)
{
	might_sleep();
	pthread_mutex_lock(&wq_lock);
	while (wq->ready || wq->active)
		pthread_cond_wait(&wq_cond, &wq_lock);
	pthread_mutex_unlock(&wq_lock);
}

void destroy_workqueue(struct workqueue_struct *wq)
{
	int i;

	flush_workqueue(wq);
	pthread_mutex_lock(&wq_lock);
	if (wq->timers)
		hmap_shim_warn(__FILE__, __LINE__,
			       "a workqueue destroyed with delayed works pending");
	wq->stop = true;
	pthread_cond_broadcast(&wq_cond);
	pthread_mutex_unlock(&wq_lock);
	for (i = 0; i < wq->nworkers; i++)
		pthread_join(wq->workers[i].thread, NULL);
	free(wq);
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	bool queued = false;

	pthread_mutex_lock(&wq_lock);
	if (!work->pending) {
		work->pending = true;
		wq_enqueue(wq, work);
		queued = true;
	}
	pthread_mutex_unlock(&wq_lock);
	return queued;
}

static void wq_arm(struct workqueue_struct *wq, struct delayed_work *dw,
		   unsigned long delay)
{
	dw->work.pending = true;
	dw->work.wq = wq;
	if (!delay) {
		wq_enqueue(wq, &dw->work);
		return;
	}
	dw->work.expires_ns = ktime_get_ns() + (u64)delay * (NSEC_PER_SEC / HZ);
	dw->work.timer = true;
	dw->work.timer_next = wq->timers;
	wq->timers = &dw->work;
	pthread_cond_broadcast(&wq_cond);
}

bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			unsigned long delay)
{
	bool queued = false;

	pthread_mutex_lock(&wq_lock);
	if (!dw->work.pending) {
		wq_arm(wq, dw, delay);
		queued = true;
	}
	pthread_mutex_unlock(&wq_lock);
	return queued;
}

bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
		      unsigned long delay)
{
	bool was;

	pthread_mutex_lock(&wq_lock);
	was = wq_unqueue(&dw->work);
	wq_arm(wq, dw, delay);
	pthread_mutex_unlock(&wq_lock);
	return was;
}

static void shim_rcu_work_cb(struct rcu_head *head)
{
	struct rcu_work *rw = container_of(head, struct rcu_work, rcu);

	pthread_mutex_lock(&wq_lock);
	wq_enqueue(rw->work.wq, &rw->work);
	pthread_mutex_unlock(&wq_lock);
}

bool queue_rcu_work(struct workqueue_struct *wq, struct rcu_work *rw)
{
	pthread_mutex_lock(&wq_lock);
	if (rw->work.pending) {
		pthread_mutex_unlock(&wq_lock);
		return false;
	}
	rw->work.pending = true;
	rw->work.wq = wq;
	pthread_mutex_unlock(&wq_lock);
	call_rcu(&rw->rcu, shim_rcu_work_cb);
	return true;
}

static bool wq_cancel(struct work_struct *w, bool sync)
{
	bool was = false;

	if (sync)
		might_sleep();
	pthread_mutex_lock(&wq_lock);
	for (;;) {
		was |= wq_unqueue(w);
		if (!sync || (!w->pending && !wq_running(w)))
			break;
		pthread_cond_wait(&wq_cond, &wq_lock);
	}
	pthread_mutex_unlock(&wq_lock);
	return was;
}

bool cancel_work_sync(struct work_struct *work)
{
	return wq_cancel(work, true);
}

bool cancel_delayed_work_sync(struct delayed_work *dw)
{
	return wq_cancel(&dw->work, true);
}

bool cancel_delayed_work(struct delayed_work *dw)
{
	return wq_cancel(&dw->work, false);
}

bool flush_work(struct work_struct *work)
{
	bool waited = false;

	might_sleep();
	pthread_mutex_lock(&wq_lock);
	while (work->queued || wq_running(work)) {
		waited = true;
		pthread_cond_wait(&wq_cond, &wq_lock);
	}
	pthread_mutex_unlock(&wq_lock);
	return waited;
}

bool flush_delayed_work(struct delayed_work *dw)
{
	pthread_mutex_lock(&wq_lock);
	if (dw->work.timer) {
		wq_unlink_timer(&dw->work);
		wq_enqueue(dw->work.wq, &dw->work);
	}
	pthread_mutex_unlock(&wq_lock);
	return flush_work(&dw->work);
}

/* ---- Set-up ---- */

static void shim_init_once(void)
{
	pthread_condattr_t ca;

	pthread_key_create(&shim_thread_key, shim_thread_exit);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wq_cond, &ca);
	pthread_condattr_destroy(&ca);
	shim_boot_ns = ktime_get_ns();
	pcpu_init();
	if (pthread_create(&cb_thread, NULL, shim_cb_thread, NULL))
		hmap_shim_bug(__FILE__, __LINE__, "no call_rcu thread");
	pthread_detach(cb_thread);
}

void hmap_shim_init(void)
{
	pthread_once(&shim_once, shim_init_once);
}
