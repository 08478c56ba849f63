// SPDX-License-Identifier: GPL-2.0
/*
 * make bench-native: the hmap core (built by the harness, without
 * sanitizers or checks) against liburcu's rculfhash on the real CPU, on the
 * same keys as gomap.go: insert into an empty map, lookup hit and miss,
 * delete, memory per entry, per-insert latency while growing, and the
 * memory latency of a dependent pointer chase over a buffer as large as
 * the map. Prints one JSON record per result, the shape of make bench's
 * results.json (bench_native.py collects them).
 *
 * Usage: hmap_bench [-q] [-n MAX_N]   (-q: up to 10^5 and one round)
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/err.h>
#include <linux/hmap.h>
#include <linux/rcupdate.h>

#include "hmap_core.h"
#include "hmap_internal.h"
#include "hmap_shim.h"
#include "lfht.h"

enum { K_HMAP, K_LFHT, K_NR };
static const char *const kind_name[K_NR] = { "hmap", "rculfhash" };

struct bmap {
	int kind;
	unsigned int ks;
	struct hmap *h;
	struct lfht *l;
};

static u64 mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Key i of a set: 8-byte keys are mix(i); 32-byte keys are mix(4i),
 * mix(4i + 1) ... as gomap.go makes them. Misses use i >= 2^40.
 */
static void make_keys(u8 *buf, u64 first, u32 n, unsigned int ks)
{
	u64 i, w;

	for (i = 0; i < n; i++)
		for (w = 0; w < ks / 8; w++) {
			u64 v = mix(ks == 8 ? first + i : 4 * (first + i) + w);

			memcpy(buf + i * ks + w * 8, &v, 8);
		}
}

static void bm_new(struct bmap *m, int kind, unsigned int ks)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->ks = ks;
	if (kind == K_HMAP) {
		struct hmap_params p = {
			.key_size = ks, .value_size = 8,
			.max_entries = HMAP_MAX_ENTRIES_MAX,
		};

		m->h = hmap_create(&p);
		if (IS_ERR(m->h))
			abort();
	} else {
		m->l = lfht_new(ks, 42);
		if (!m->l)
			abort();
	}
}

static void bm_free(struct bmap *m)
{
	if (m->kind == K_HMAP)
		hmap_destroy(m->h);
	else
		lfht_destroy(m->l);
}

static inline void bm_insert(struct bmap *m, const void *key, u64 v)
{
	int err;

	if (m->kind == K_HMAP)
		err = hmap_update(m->h, key, m->ks, &v, 8, HMAP_NOEXIST);
	else
		err = lfht_insert(m->l, key, v);
	if (err)
		abort();
}

static inline u64 bm_lookup(struct bmap *m, const void *key, bool *found)
{
	u64 v = 0;

	if (m->kind == K_HMAP) {
		const u64 *p;

		rcu_read_lock();
		p = hmap_lookup_rcu(m->h, key, m->ks, NULL);
		if (p)
			v = *p;
		rcu_read_unlock();
		*found = p;
	} else {
		*found = lfht_lookup(m->l, key, &v);
	}
	return v;
}

static inline void bm_delete(struct bmap *m, const void *key)
{
	int err;

	if (m->kind == K_HMAP)
		err = hmap_delete(m->h, key, m->ks);
	else
		err = lfht_delete(m->l, key);
	if (err)
		abort();
}

/* Heap bytes in use (glibc: arenas and mmapped chunks). */
static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void settle(void)
{
	hmap_flush_frees();
	rcu_barrier();
	urcu_memb_barrier();
}

static const char *cpu_name(void)
{
	static char name[128] = "unknown";
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, ": ");

		if (!strncmp(line, "model name", 10) && p) {
			snprintf(name, sizeof(name), "%s", p + 2);
			name[strcspn(name, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return name;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

#define MAX_ROUNDS	15

static void emit(const char *s, u32 n, const char *phase, unsigned int ks,
		 u64 *ns, int rounds, u64 ops)
{
	u64 sorted[MAX_ROUNDS];
	int i;

	memcpy(sorted, ns, rounds * sizeof(*ns));
	qsort(sorted, rounds, sizeof(*ns), cmp_u64);
	printf("{\"structure\": \"%s\", \"n\": %u, \"phase\": \"%s%s\", \"key_size\": %u, \"rounds\": [",
	       s, n, phase, ks == 32 ? "_k32" : "", ks);
	for (i = 0; i < rounds; i++)
		printf("%s%.2f", i ? ", " : "", (double)ns[i] / ops);
	printf("], \"ns_per_op\": %.2f, \"median_ns_per_op\": %.2f, \"max_ns_per_op\": %.2f, \"ops\": %llu, \"reps\": %d}\n",
	       (double)sorted[0] / ops, (double)sorted[rounds / 2] / ops,
	       (double)sorted[rounds - 1] / ops, (unsigned long long)ops,
	       rounds);
	fflush(stdout);
}

/*
 * Look up the @n keys of @keys in @m, key order[i] at step i (or key i
 * if @order is NULL), each expected to be found or not (@present). Return
 * the sum of the values found.
 */
static u64 bench_lookup_pass(struct bmap *m, const u8 *keys,
			     const u32 *order, u32 n, bool present)
{
	unsigned int ks = m->ks;
	bool found;
	u64 sink = 0;
	u32 i, j;

	for (i = 0; i < n; i++) {
		j = order ? order[i] : i;
		sink += bm_lookup(m, keys + (size_t)j * ks, &found);
		if (found != present)
			abort();
	}
	return sink;
}

/*
 * The same pass timed, adding its time to *@ns; with @warm, after an
 * untimed one. Maps built side by side (bench_ops()) are warmed so that
 * the timed pass finds the map in the caches as far as it fits, as
 * gomap.go, which warms its maps the same way, finds each, rather than
 * after the other maps of the round were built (which made lookups at
 * 10^3 slower than at 10^4).
 */
static u64 bench_lookups(struct bmap *m, const u8 *keys, const u32 *order,
			 u32 n, bool present, bool warm, u64 *ns)
{
	u64 sink = 0, t0;

	if (warm)
		sink += bench_lookup_pass(m, keys, order, n, present);
	t0 = now_ns();
	sink += bench_lookup_pass(m, keys, order, n, present);
	*ns += now_ns() - t0;
	return sink;
}

/*
 * Insert, lookup hit, lookup miss and delete at @n, the maps taking turns.
 * Maps below 2 x 10^5 entries are built @passes at a time, side by side,
 * so that one settle() (waiting for the grace periods and for the resizes
 * the workers finish: rculfhash resizes only in its worker) serves them
 * all; then each is looked up and deleted in turn, after an untimed
 * lookup pass over the keys of the phase (bench_lookups()).
 */
static void bench_ops(u32 n, unsigned int ks, int rounds)
{
	u8 *keys = malloc((size_t)n * ks), *miss = malloc((size_t)n * ks);
	u32 *order = malloc((size_t)n * sizeof(*order));
	u32 passes = n >= 200000 ? 1 : 200000 / n, i, p;
	u64 t[K_NR][4][MAX_ROUNDS], sink = 0;
	struct bmap *ms;
	int r, k, ph;

	make_keys(keys, 0, n, ks);
	make_keys(miss, 1ULL << 40, n, ks);
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		u32 j = mix(i ^ 0x5eed) % (i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	ms = calloc(passes, sizeof(*ms));
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < K_NR; k++) {
			int kind = (k + r) % K_NR;	/* take turns going first */
			u64 t0;

			for (p = 0; p < passes; p++)
				bm_new(&ms[p], kind, ks);
			t0 = now_ns();
			for (p = 0; p < passes; p++)
				for (i = 0; i < n; i++)
					bm_insert(&ms[p], keys + (size_t)i * ks, i);
			t[kind][0][r] = now_ns() - t0;
			for (p = 0; p < passes && kind == K_LFHT; p++)
				lfht_settle(ms[p].l, n);
			settle();
			t[kind][1][r] = 0;
			t[kind][2][r] = 0;
			for (p = 0; p < passes; p++) {
				sink += bench_lookups(&ms[p], keys, order, n, true,
						      passes > 1, &t[kind][1][r]);
				sink += bench_lookups(&ms[p], miss, NULL, n, false,
						      passes > 1, &t[kind][2][r]);
			}
			t[kind][3][r] = 0;
			for (p = 0; p < passes; p++) {
				if (passes > 1)
					sink += bench_lookup_pass(&ms[p], keys, order,
								  n, true);
				t0 = now_ns();
				for (i = 0; i < n; i++)
					bm_delete(&ms[p], keys + (size_t)order[i] * ks);
				t[kind][3][r] += now_ns() - t0;
			}
			for (p = 0; p < passes; p++)
				bm_free(&ms[p]);
			settle();
		}
	}
	free(ms);
	for (k = 0; k < K_NR; k++) {
		static const char *const names[] = {
			"insert", "lookup_hit", "lookup_miss", "delete",
		};

		for (ph = 0; ph < 4; ph++)
			emit(kind_name[k], n, names[ph], ks, t[k][ph], rounds,
			     (u64)n * passes);
	}
	if (sink == 42)
		fprintf(stderr, "\n");
	free(keys);
	free(miss);
	free(order);
}

/*
 * Wait (up to 5 s) until @h holds one bucket array: a spare allocated
 * ahead of a grow that did not come is freed by the map's worker once
 * writes have been idle for HMAP_SPARE_IDLE (a second). Return whether
 * it was.
 */
static bool bench_wait_one_array(struct hmap *h)
{
	struct hmap_stats st;
	int ms;

	for (ms = 0; ms < 5000; ms += 20) {
		hmap_flush_frees();
		hmap_get_stats(h, &st);
		if (st.arrays_alloced - st.arrays_freed <= 1)
			return true;
		usleep(20000);
	}
	return false;
}

/*
 * Memory per entry beyond the key and value: heap bytes the map holds once
 * settled (for hmap: its resizes done and the spare array freed, if one
 * was allocated ahead), and for hmap also its own counter. Returns hmap's
 * heap bytes.
 */
static size_t bench_memory(u32 n, unsigned int ks)
{
	u8 *keys = malloc((size_t)n * ks);
	size_t hmap_bytes = 0;
	int k;
	u32 i;

	make_keys(keys, 0, n, ks);
	for (k = 0; k < K_NR; k++) {
		bool one_array = false;
		struct hmap_stats st;
		struct bmap m;
		size_t before, bytes;

		settle();
		before = heap_bytes();
		bm_new(&m, k, ks);
		for (i = 0; i < n; i++)
			bm_insert(&m, keys + (size_t)i * ks, i);
		if (k == K_HMAP) {
			hmap_test_run_background(m.h);
			one_array = bench_wait_one_array(m.h);
		} else {
			lfht_settle(m.l, n);
		}
		settle();
		bytes = heap_bytes() - before;
		printf("{\"structure\": \"%s\", \"n\": %u, \"phase\": \"overhead%s\", \"key_size\": %u, \"ns_per_op\": null, \"bytes_per_entry\": %.1f",
		       kind_name[k], n, ks == 32 ? "_k32" : "", ks,
		       (double)bytes / n - ks - 8);
		if (k == K_HMAP) {
			hmap_get_stats(m.h, &st);
			printf(", \"bytes_per_entry_counter\": %.1f, \"B\": %u, \"one_array\": %s",
			       (double)st.bytes / n - ks - 8, st.B,
			       one_array ? "true" : "false");
			hmap_bytes = bytes;
		}
		printf(", \"heap_bytes\": %zu}\n", bytes);
		bm_free(&m);
	}
	settle();
	free(keys);
	return hmap_bytes;
}

/* Per-insert latency while growing from empty to @n (8-byte keys). */
static void bench_latency(u32 n)
{
	static const struct {
		const char *phase;
		u32 per_mille_10;	/* 10ths of a per mille */
	} pct[] = {
		{ "insert_lat_p50", 5000 }, { "insert_lat_p99", 9900 },
		{ "insert_lat_p999", 9990 }, { "insert_lat_max", 10000 },
	};
	u8 *keys = malloc((size_t)n * 8);
	u64 *lat = malloc((size_t)n * sizeof(*lat)), sum;
	unsigned int j;
	int k;
	u32 i;

	make_keys(keys, 0, n, 8);
	for (k = 0; k < K_NR; k++) {
		struct bmap m;

		bm_new(&m, k, 8);
		for (i = 0; i < n; i++) {
			u64 t0 = now_ns();

			bm_insert(&m, keys + (size_t)i * 8, i);
			lat[i] = now_ns() - t0;
		}
		bm_free(&m);
		settle();
		for (i = 0, sum = 0; i < n; i++)
			sum += lat[i];
		qsort(lat, n, sizeof(*lat), cmp_u64);
		for (j = 0; j < ARRAY_SIZE(pct); j++) {
			u64 at = min((u64)n * pct[j].per_mille_10 / 10000, (u64)n - 1);

			printf("{\"structure\": \"%s\", \"n\": %u, \"phase\": \"%s\", \"key_size\": 8, \"ns_per_op\": %llu, \"mean_ns\": %.1f, \"ops\": %u}\n",
			       kind_name[k], n, pct[j].phase,
			       (unsigned long long)lat[at], (double)sum / n, n);
		}
	}
	free(keys);
	free(lat);
}

/*
 * The memory latency: a dependent chase through the 64-byte lines of a
 * buffer of @bytes in a random cyclic order; nanoseconds per step.
 */
static void bench_memlat(u32 n, size_t bytes)
{
	size_t lines = max(bytes / 64, (size_t)2), i, steps = 20000000;
	u64 *buf, *p, t0;
	u32 *perm;

	buf = aligned_alloc(64, lines * 64);
	perm = malloc(lines * sizeof(*perm));
	for (i = 0; i < lines; i++)
		perm[i] = i;
	for (i = lines - 1; i > 0; i--) {
		size_t j = mix(i) % (i + 1);
		u32 x = perm[i];

		perm[i] = perm[j];
		perm[j] = x;
	}
	for (i = 0; i < lines; i++)
		buf[(size_t)perm[i] * 8] =
			(u64)(uintptr_t)&buf[(size_t)perm[(i + 1) % lines] * 8];
	p = &buf[(size_t)perm[0] * 8];
	for (i = 0; i < lines && i < steps; i++)	/* warm up */
		p = (u64 *)(uintptr_t)*p;
	t0 = now_ns();
	for (i = 0; i < steps; i++)
		p = (u64 *)(uintptr_t)*p;
	t0 = now_ns() - t0;
	printf("{\"structure\": \"memory\", \"n\": %u, \"phase\": \"pointer_chase\", \"key_size\": 8, \"ns_per_op\": %.2f, \"bytes\": %zu, \"ops\": %zu, \"end\": %d}\n",
	       n, (double)t0 / steps, lines * 64, steps, p == NULL);
	free(buf);
	free(perm);
}

/*
 * Mixed: a reader thread per CPU looks up random keys of the first N/8,
 * present throughout, while a writer deletes the rest of the N keys and
 * inserts them back, over and over, so that the map keeps resizing.
 * ns_per_op is reader CPU time per lookup.
 */
struct mixed {
	struct bmap *m;
	const u8 *keys;
	u32 n;
	bool stop;
	u64 lookups, reader_cpu_ns, writes, misses;
};

static u64 thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *mixed_reader(void *arg)
{
	struct mixed *x = arg;
	u64 rs = (uintptr_t)&rs, n = 0, miss = 0, sink = 0, c0;
	u32 stable = max(x->n / 8, 1U);
	bool found;

	hmap_shim_rcu_register();
	c0 = thread_cpu_ns();
	while (!READ_ONCE(x->stop)) {
		u32 i;

		for (i = 0; i < 256; i++) {
			u64 id = mix(rs++) % stable;

			sink += bm_lookup(x->m, x->keys + id * x->m->ks, &found);
			miss += !found;
		}
		n += 256;
	}
	c0 = thread_cpu_ns() - c0;
	__atomic_add_fetch(&x->lookups, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&x->misses, miss + (sink == 42), __ATOMIC_RELAXED);
	__atomic_add_fetch(&x->reader_cpu_ns, c0, __ATOMIC_RELAXED);
	return NULL;
}

static void bench_mixed(u32 n, double seconds)
{
	int readers = num_online_cpus(), k, i;
	u8 *keys = malloc((size_t)n * 8);
	pthread_t th[16];

	readers = min(readers, 16);
	make_keys(keys, 0, n, 8);
	for (k = 0; k < K_NR; k++) {
		struct mixed x = { .keys = keys, .n = n };
		struct bmap m;
		u64 t0, t;
		u32 j;

		bm_new(&m, k, 8);
		x.m = &m;
		for (j = 0; j < n; j++)
			bm_insert(&m, keys + (size_t)j * 8, j);
		if (k == K_LFHT)
			lfht_settle(m.l, n);
		settle();
		for (i = 0; i < readers; i++)
			pthread_create(&th[i], NULL, mixed_reader, &x);
		t0 = now_ns();
		while (now_ns() - t0 < seconds * 1e9) {
			for (j = n / 8; j < n; j++)
				bm_delete(&m, keys + (size_t)j * 8);
			for (j = n / 8; j < n; j++)
				bm_insert(&m, keys + (size_t)j * 8, j);
			x.writes += 2 * (n - n / 8);
		}
		WRITE_ONCE(x.stop, true);
		for (i = 0; i < readers; i++)
			pthread_join(th[i], NULL);
		t = now_ns() - t0;
		printf("{\"structure\": \"%s\", \"n\": %u, \"phase\": \"mixed_lookup\", \"key_size\": 8, \"ns_per_op\": %.2f, \"lookups_per_s\": %.0f, \"writes_per_s\": %.0f, \"readers\": %d, \"misses\": %llu, \"ops\": %llu}\n",
		       kind_name[k], n, (double)x.reader_cpu_ns / x.lookups,
		       x.lookups / (t / 1e9), x.writes / (t / 1e9), readers,
		       (unsigned long long)x.misses,
		       (unsigned long long)x.lookups);
		fflush(stdout);
		if (x.misses)
			fprintf(stderr, "hmap_bench: %s missed present keys\n",
				kind_name[k]);
		bm_free(&m);
		settle();
	}
	free(keys);
}

int main(int argc, char **argv)
{
	u32 max_n = 10000000, n;
	bool quick = false;
	int opt;

	while ((opt = getopt(argc, argv, "qn:")) != -1) {
		switch (opt) {
		case 'q':
			quick = true;
			max_n = 100000;
			break;
		case 'n':
			max_n = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-q] [-n MAX_N]\n", argv[0]);
			return 2;
		}
	}
	hmap_shim_init();
	hmap_shim_rcu_register();	/* urcu-memb, for rculfhash too */
	if (hmap_core_init())
		return 1;
	fprintf(stderr, "hmap_bench: %s\n", cpu_name());
	for (n = 1000; n <= max_n; n *= 10) {
		int rounds = quick ? 1 : n <= 100000 ? 5 : n <= 1000000 ? 3 : 1;
		size_t bytes;

		fprintf(stderr, "hmap_bench: n = %u\n", n);
		bench_ops(n, 8, rounds);
		bench_ops(n, 32, rounds);
		bytes = bench_memory(n, 8);
		bench_memory(n, 32);
		bench_memlat(n, bytes);
	}
	for (n = 10000; n <= min(max_n, 1000000U); n *= 10)
		bench_mixed(n, quick ? 0.5 : 2);
	bench_latency(min(max_n, 1000000U));
	hmap_core_exit();
	return 0;
}
