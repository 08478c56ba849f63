// SPDX-License-Identifier: GPL-2.0
/*
 * hmap-ubench - /dev/hmap against bpf(2) hash maps, from user space
 *
 *   hmap-ubench run N REPS
 *	The same work through HMAP_IOC_* ioctls on an anonymous map and
 *	through bpf(2) on a BPF_MAP_TYPE_HASH with BPF_F_NO_PREALLOC (raw
 *	syscalls, no libbpf), 8-byte keys and values, N keys: single insert,
 *	lookup hit, lookup miss, delete; batch update, lookup and delete of
 *	256 keys per call; a full dump. REPS rounds, the two maps alternating
 *	which goes first; the best round is reported (interference only adds
 *	time), with the median and every round. One line per result on
 *	stdout: "HMAP-BENCH {json}".
 *
 *   hmap-ubench prefault PERCENT
 *	Touch PERCENT of the guest's available memory once, then give it
 *	back. Under QEMU, guest memory that was never touched costs a host
 *	page fault on first use; prefaulting keeps that out of the
 *	measurements (and out of whichever map happens to run first).
 *
 *   hmap-ubench prof LABEL CMD [ARG...]
 *	Run CMD while sampling every CPU with the cpu-clock software event
 *	(perf_event_open(2), 10 kHz, idle excluded); print the functions the
 *	samples fall in, symbolized with /proc/kallsyms, as lines
 *	"HMAP-PROF LABEL percent samples symbol". A profiler for guests that
 *	have no perf tool and, under emulation, no hardware counters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/hmap.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define BATCH			256U
#define REPS_MAX		16U
#define VALUE_XOR		0x5bd1e9955bd1e995ULL
/* Inputs of the key generator for absent keys start here. */
#define MISS_BASE		0x10000000000ULL

/* Profiler: sample period and ring size (pages, a power of two). */
#define PROF_PERIOD_NS		100000ULL
#define PROF_RING_PAGES		64U
#define PROF_TOP		30U

enum structure { S_HMAP, S_BPF, S_COUNT };

static const char *const structure_name[S_COUNT] = {
	[S_HMAP] = "hmap_ioctl",
	[S_BPF] = "bpf_htab",
};

enum phase {
	P_INSERT,
	P_HIT,
	P_MISS,
	P_BATCH_LOOKUP,
	P_DUMP,
	P_DUMP_B256,
	P_DUMP_NEXT_KEY,
	P_DELETE,
	P_BATCH_UPDATE,
	P_BATCH_DELETE,
	P_COUNT,
};

static const char *const phase_name[P_COUNT] = {
	[P_INSERT] = "insert",
	[P_HIT] = "lookup_hit",
	[P_MISS] = "lookup_miss",
	[P_BATCH_LOOKUP] = "batch_lookup",
	[P_DUMP] = "dump",
	[P_DUMP_B256] = "dump_b256",
	[P_DUMP_NEXT_KEY] = "dump_get_next_key",
	[P_DELETE] = "delete",
	[P_BATCH_UPDATE] = "batch_update",
	[P_BATCH_DELETE] = "batch_delete",
};

/* How each phase is done, for the JSON records. */
static const char *const phase_how[S_COUNT][P_COUNT] = {
	[S_HMAP] = {
		[P_INSERT] = "HMAP_IOC_UPDATE NOEXIST",
		[P_HIT] = "HMAP_IOC_LOOKUP",
		[P_MISS] = "HMAP_IOC_LOOKUP",
		[P_BATCH_LOOKUP] = "HMAP_IOC_BATCH_LOOKUP, 256 keys per call",
		[P_DUMP] = "HMAP_IOC_DUMP, room for all in one call",
		[P_DUMP_B256] = "HMAP_IOC_DUMP, 256 per call",
		[P_DELETE] = "HMAP_IOC_DELETE",
		[P_BATCH_UPDATE] = "HMAP_IOC_BATCH_UPDATE ANY, 256 keys per call",
		[P_BATCH_DELETE] = "HMAP_IOC_BATCH_DELETE, 256 keys per call",
	},
	[S_BPF] = {
		[P_INSERT] = "BPF_MAP_UPDATE_ELEM NOEXIST",
		[P_HIT] = "BPF_MAP_LOOKUP_ELEM",
		[P_MISS] = "BPF_MAP_LOOKUP_ELEM",
		[P_BATCH_LOOKUP] = "BPF_MAP_LOOKUP_BATCH, 256 per call (a walk)",
		[P_DUMP] = "BPF_MAP_LOOKUP_BATCH, room for all in one call",
		[P_DUMP_B256] = "BPF_MAP_LOOKUP_BATCH, 256 per call",
		[P_DUMP_NEXT_KEY] = "BPF_MAP_GET_NEXT_KEY + BPF_MAP_LOOKUP_ELEM per key",
		[P_DELETE] = "BPF_MAP_DELETE_ELEM",
		[P_BATCH_UPDATE] = "BPF_MAP_UPDATE_BATCH ANY, 256 keys per call",
		[P_BATCH_DELETE] = "BPF_MAP_DELETE_BATCH, 256 keys per call",
	},
};

/**
 * struct ctx - one run
 * @n: keys.
 * @hit: the keys inserted.
 * @miss: keys never inserted.
 * @vals: the value of each key.
 * @out_keys: room for N keys (dumps).
 * @out_vals: room for N values.
 * @out_lens: room for N lengths.
 * @ns: per structure and phase, the time of each round.
 * @calls: per structure and phase, system calls in the last round.
 */
struct ctx {
	__u32 n;
	__u64 *hit;
	__u64 *miss;
	__u64 *vals;
	__u64 *out_keys;
	__u64 *out_vals;
	__u32 *out_lens;
	__u64 ns[S_COUNT][P_COUNT][REPS_MAX];
	__u64 calls[S_COUNT][P_COUNT];
};

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("HMAP-BENCH-ERROR ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* splitmix64, as in the kernel module: the same keys everywhere. */
static __u64 mix(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("out of memory");
	return p;
}

static __u64 ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* ---- /dev/hmap ---- */

static int hmap_open_map(__u32 n)
{
	struct hmap_create c = {
		.argsz = sizeof(c),
		.flags = HMAP_CREATE_ANON,
		.key_size = 8,
		.value_size = 8,
		.max_entries = n,
		.mode = 0600,
	};
	int fd = open("/dev/hmap", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/hmap: %s", strerror(errno));
	if (ioctl(fd, HMAP_IOC_CREATE, &c))
		die("HMAP_IOC_CREATE: %s", strerror(errno));
	return fd;
}

static int hmap_elem(int fd, unsigned long cmd, __u32 flags,
		     const __u64 *key, __u64 *value)
{
	struct hmap_elem_op op = {
		.argsz = sizeof(op),
		.flags = flags,
		.key = ptr(key),
		.value = ptr(value),
		.key_len = 8,
		.value_len = value ? 8 : 0,
	};

	return ioctl(fd, cmd, &op) ? -errno : 0;
}

static int hmap_batch(int fd, unsigned long cmd, __u32 flags,
		      const __u64 *keys, __u64 *values, __u32 count)
{
	struct hmap_batch b = {
		.argsz = sizeof(b),
		.flags = flags,
		.count = count,
		.keys = ptr(keys),
		.values = ptr(values),
	};

	if (ioctl(fd, cmd, &b))
		return -errno;
	return b.count == count ? 0 : -EIO;
}

/* Dump the whole map, @room entries per call; return entries seen. */
static __u64 hmap_dump_all(struct ctx *c, int fd, __u32 room, __u64 *calls)
{
	struct hmap_dump d = { .argsz = sizeof(d) };
	__u64 seen = 0;

	for (;;) {
		if (seen + room > c->n)
			room = c->n - seen ?: 1;
		d.flags = 0;
		d.count = room;
		d.keys = ptr(c->out_keys + seen);
		d.key_lens = ptr(c->out_lens + seen);
		d.values = ptr(c->out_vals + seen);
		if (ioctl(fd, HMAP_IOC_DUMP, &d))
			die("HMAP_IOC_DUMP: %s", strerror(errno));
		++*calls;
		seen += d.count;
		if (d.flags & HMAP_DUMP_DONE)
			return seen;
		if (seen > c->n)
			die("HMAP_IOC_DUMP returned too many entries");
	}
}

/* ---- bpf(2) ---- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int bpf_open_map(__u32 n)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_HASH;
	a.key_size = 8;
	a.value_size = 8;
	a.max_entries = n;
	a.map_flags = BPF_F_NO_PREALLOC;
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		die("BPF_MAP_CREATE: %s", strerror(errno));
	return fd;
}

static int bpf_elem(int fd, int cmd, __u64 flags, const __u64 *key,
		    __u64 *value)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = ptr(key);
	a.value = ptr(value);
	a.flags = flags;
	return sys_bpf(cmd, &a) ? -errno : 0;
}

static int bpf_batch(int fd, int cmd, __u64 elem_flags,
		     const __u64 *keys, const __u64 *values,
		     __u32 count)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.batch.map_fd = fd;
	a.batch.keys = ptr(keys);
	a.batch.values = ptr(values);
	a.batch.count = count;
	a.batch.elem_flags = elem_flags;
	if (sys_bpf(cmd, &a))
		return -errno;
	return a.batch.count == count ? 0 : -EIO;
}

/* BPF_MAP_LOOKUP_BATCH over the whole map, @room per call. */
static __u64 bpf_dump_all(struct ctx *c, int fd, __u32 room, __u64 *calls)
{
	__u64 token = 0, seen = 0;
	union bpf_attr a;
	bool first = true;
	int err;

	for (;;) {
		if (seen + room > c->n)
			room = c->n - seen ?: 1;
		memset(&a, 0, sizeof(a));
		a.batch.map_fd = fd;
		a.batch.in_batch = first ? 0 : ptr(&token);
		a.batch.out_batch = ptr(&token);
		a.batch.keys = ptr(c->out_keys + seen);
		a.batch.values = ptr(c->out_vals + seen);
		a.batch.count = room;
		err = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a) ? errno : 0;
		++*calls;
		if (err && err != ENOENT)
			die("BPF_MAP_LOOKUP_BATCH: %s", strerror(err));
		seen += a.batch.count;
		first = false;
		if (err == ENOENT)
			return seen;
		if (seen > c->n)
			die("BPF_MAP_LOOKUP_BATCH returned too many entries");
	}
}

static __u64 bpf_dump_next_key(int fd, __u64 *calls)
{
	__u64 key, next, value, seen = 0;
	bool first = true;

	for (;;) {
		if (bpf_elem(fd, BPF_MAP_GET_NEXT_KEY, 0, first ? NULL : &key,
			     &next)) {
			++*calls;
			return seen;
		}
		if (bpf_elem(fd, BPF_MAP_LOOKUP_ELEM, 0, &next, &value))
			die("BPF_MAP_LOOKUP_ELEM in dump: %s", strerror(errno));
		*calls += 2;
		key = next;
		first = false;
		seen++;
	}
}

/* ---- The runs ---- */

static void check(const char *s, const char *what, __u64 got,
		  __u64 want)
{
	if (got != want)
		die("%s %s: got %llu, expected %llu", s, what, got, want);
}

/* Single-key operations over every key; return how many succeeded. */
static __u64 singles(struct ctx *c, enum structure s, int fd, enum phase p)
{
	const __u64 *keys = p == P_MISS ? c->miss : c->hit;
	__u64 ok = 0, v;
	__u32 i;
	int err;

	for (i = 0; i < c->n; i++) {
		switch (p) {
		case P_INSERT:
			err = s == S_HMAP ?
			      hmap_elem(fd, HMAP_IOC_UPDATE, HMAP_NOEXIST,
					&keys[i], &c->vals[i]) :
			      bpf_elem(fd, BPF_MAP_UPDATE_ELEM, BPF_NOEXIST,
				       &keys[i], &c->vals[i]);
			break;
		case P_DELETE:
			err = s == S_HMAP ?
			      hmap_elem(fd, HMAP_IOC_DELETE, 0, &keys[i],
					NULL) :
			      bpf_elem(fd, BPF_MAP_DELETE_ELEM, 0, &keys[i],
				       NULL);
			break;
		default:
			err = s == S_HMAP ?
			      hmap_elem(fd, HMAP_IOC_LOOKUP, 0, &keys[i], &v) :
			      bpf_elem(fd, BPF_MAP_LOOKUP_ELEM, 0, &keys[i],
				       &v);
			if (!err && v != c->vals[i])
				die("%s: wrong value", structure_name[s]);
			break;
		}
		if (err && err != -ENOENT)
			die("%s %s: %s", structure_name[s], phase_name[p],
			    strerror(-err));
		ok += !err;
	}
	c->calls[s][p] = c->n;
	return ok;
}

/* Batch operations of BATCH keys over every key. */
static void batches(struct ctx *c, enum structure s, int fd, enum phase p)
{
	__u32 i, cnt;
	int err = 0;

	for (i = 0; i < c->n && !err; i += cnt) {
		const __u64 *keys = c->hit + i;

		cnt = c->n - i < BATCH ? c->n - i : BATCH;
		switch (p) {
		case P_BATCH_UPDATE:
			/* bpf's batch update takes no NOEXIST: ANY for both */
			err = s == S_HMAP ?
			      hmap_batch(fd, HMAP_IOC_BATCH_UPDATE, HMAP_ANY,
					 keys, c->vals + i, cnt) :
			      bpf_batch(fd, BPF_MAP_UPDATE_BATCH, BPF_ANY,
					keys, c->vals + i, cnt);
			break;
		case P_BATCH_DELETE:
			err = s == S_HMAP ?
			      hmap_batch(fd, HMAP_IOC_BATCH_DELETE, 0, keys,
					 NULL, cnt) :
			      bpf_batch(fd, BPF_MAP_DELETE_BATCH, 0, keys,
					NULL, cnt);
			break;
		default:
			err = hmap_batch(fd, HMAP_IOC_BATCH_LOOKUP, 0, keys,
					 c->out_vals + i, cnt);
			break;
		}
	}
	if (err)
		die("%s %s: %s", structure_name[s], phase_name[p],
		    strerror(-err));
	c->calls[s][p] = (c->n + BATCH - 1) / BATCH;
}

static int open_map(struct ctx *c, enum structure s)
{
	return s == S_HMAP ? hmap_open_map(c->n) : bpf_open_map(c->n);
}

/* One round on one structure: every phase once. */
static void round_one(struct ctx *c, enum structure s, unsigned int rep)
{
	const char *name = structure_name[s];
	__u64 t, got, calls;
	int fd = open_map(c, s);
	__u32 i;

#define TIMED(ph, expr) do {				\
		t = now_ns();				\
		got = (expr);				\
		c->ns[s][ph][rep] = now_ns() - t;	\
	} while (0)

	TIMED(P_INSERT, singles(c, s, fd, P_INSERT));
	check(name, "insert", got, c->n);
	TIMED(P_HIT, singles(c, s, fd, P_HIT));
	check(name, "lookup_hit", got, c->n);
	TIMED(P_MISS, singles(c, s, fd, P_MISS));
	check(name, "lookup_miss", got, 0);

	if (s == S_HMAP) {
		memset(c->out_vals, 0, c->n * sizeof(*c->out_vals));
		TIMED(P_BATCH_LOOKUP, (batches(c, s, fd, P_BATCH_LOOKUP), 0));
		for (i = 0; i < c->n; i++)
			if (c->out_vals[i] != c->vals[i])
				die("%s batch_lookup: wrong value", name);
	} else {
		calls = 0;
		TIMED(P_BATCH_LOOKUP, bpf_dump_all(c, fd, BATCH, &calls));
		check(name, "batch_lookup", got, c->n);
		c->calls[s][P_BATCH_LOOKUP] = calls;
	}

	calls = 0;
	TIMED(P_DUMP, s == S_HMAP ? hmap_dump_all(c, fd, c->n, &calls) :
				    bpf_dump_all(c, fd, c->n, &calls));
	check(name, "dump", got, c->n);
	c->calls[s][P_DUMP] = calls;
	calls = 0;
	TIMED(P_DUMP_B256, s == S_HMAP ? hmap_dump_all(c, fd, BATCH, &calls) :
					 bpf_dump_all(c, fd, BATCH, &calls));
	check(name, "dump_b256", got, c->n);
	c->calls[s][P_DUMP_B256] = calls;
	if (s == S_BPF) {
		calls = 0;
		TIMED(P_DUMP_NEXT_KEY, bpf_dump_next_key(fd, &calls));
		check(name, "dump_get_next_key", got, c->n);
		c->calls[s][P_DUMP_NEXT_KEY] = calls;
	}

	TIMED(P_DELETE, singles(c, s, fd, P_DELETE));
	check(name, "delete", got, c->n);
	close(fd);

	/* Batches into a new map, so that it grows as the singles did. */
	fd = open_map(c, s);
	TIMED(P_BATCH_UPDATE, (batches(c, s, fd, P_BATCH_UPDATE), 0));
	TIMED(P_BATCH_DELETE, (batches(c, s, fd, P_BATCH_DELETE), 0));
	close(fd);
#undef TIMED
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void emit(struct ctx *c, enum structure s, enum phase p,
		 unsigned int reps)
{
	__u64 v[REPS_MAX], med;
	unsigned int r;

	if (!phase_how[s][p])
		return;

	memcpy(v, c->ns[s][p], reps * sizeof(v[0]));
	qsort(v, reps, sizeof(v[0]), cmp_u64);
	med = reps & 1 ? v[reps / 2] : (v[reps / 2 - 1] + v[reps / 2]) / 2;
	printf("HMAP-BENCH {\"structure\":\"%s\",\"n\":%u,", structure_name[s],
	       c->n);
	/* The best round: interference only ever adds time. */
	printf("\"phase\":\"%s\",\"ns_per_op\":%.2f,", phase_name[p],
	       (double)v[0] / c->n);
	printf("\"median_ns_per_op\":%.2f,", (double)med / c->n);
	/* In round order, so that the two can be compared round by round. */
	for (r = 0; r < reps; r++)
		printf("%s%.2f", r ? "," : "\"rounds\":[",
		       (double)c->ns[s][p][r] / c->n);
	printf("],");
	printf("\"max_ns_per_op\":%.2f,", (double)v[reps - 1] / c->n);
	printf("\"ops\":%u,\"reps\":%u,\"calls\":%llu,", c->n, reps,
	       c->calls[s][p]);
	printf("\"key_size\":8,\"how\":\"%s\"}\n", phase_how[s][p]);
	fflush(stdout);
}

static int cmd_run(__u32 n, unsigned int reps)
{
	struct ctx *c = xcalloc(1, sizeof(*c));
	unsigned int r, i;
	__u32 k;
	int p;

	if (!n || !reps || reps > REPS_MAX)
		die("run: N must be > 0 and REPS 1..%u", REPS_MAX);
	c->n = n;
	c->hit = xcalloc(n, sizeof(*c->hit));
	c->miss = xcalloc(n, sizeof(*c->miss));
	c->vals = xcalloc(n, sizeof(*c->vals));
	c->out_keys = xcalloc(n, sizeof(*c->out_keys));
	c->out_vals = xcalloc(n, sizeof(*c->out_vals));
	c->out_lens = xcalloc(n, sizeof(*c->out_lens));
	for (k = 0; k < n; k++) {
		c->hit[k] = mix(k);
		c->miss[k] = mix(MISS_BASE + k);
		c->vals[k] = c->hit[k] ^ VALUE_XOR;
	}
	for (r = 0; r < reps; r++)
		for (i = 0; i < S_COUNT; i++)
			round_one(c, (i + r) % S_COUNT, r);
	for (i = 0; i < S_COUNT; i++)
		for (p = 0; p < P_COUNT; p++)
			emit(c, i, p, reps);
	return 0;
}

/* ---- The profiler ---- */

/**
 * struct ksym - a text symbol of /proc/kallsyms
 * @addr: its address.
 * @name: "name" or "name [module]".
 */
struct ksym {
	__u64 addr;
	char *name;
};

struct prof {
	int ncpu;
	int *fd;
	void **ring;
	size_t ring_bytes;
	__u64 *ips;
	size_t nips;
	size_t cap;
	__u64 lost;
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static struct ksym *load_kallsyms(size_t *count)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	struct ksym *syms = NULL;
	size_t n = 0, cap = 0;
	char line[512];

	if (!f)
		die("open /proc/kallsyms: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char type, name[256], mod[128] = "";
		unsigned long long addr;
		int fields;

		fields = sscanf(line, "%llx %c %255s %127s", &addr, &type, name,
				mod);
		if (fields < 3 || !addr || (type != 't' && type != 'T'))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			syms = realloc(syms, cap * sizeof(*syms));
			if (!syms)
				die("out of memory");
		}
		syms[n].addr = addr;
		if (asprintf(&syms[n].name, "%s%s%s", name, fields == 4 ? " " : "",
			     mod) < 0)
			die("out of memory");
		n++;
	}
	fclose(f);
	qsort(syms, n, sizeof(*syms), cmp_ksym);
	*count = n;
	return syms;
}

static const char *ksym_name(const struct ksym *syms, size_t n, __u64 ip)
{
	size_t lo = 0, hi = n;

	if (ip < 0xffff800000000000ULL)
		return "[user]";
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (syms[mid].addr <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? syms[lo - 1].name : "[unknown]";
}

static void prof_open(struct prof *pr)
{
	long page = sysconf(_SC_PAGESIZE);
	int cpu;

	pr->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pr->fd = xcalloc(pr->ncpu, sizeof(*pr->fd));
	pr->ring = xcalloc(pr->ncpu, sizeof(*pr->ring));
	pr->ring_bytes = (size_t)PROF_RING_PAGES * page;
	for (cpu = 0; cpu < pr->ncpu; cpu++) {
		struct perf_event_attr a;

		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = PERF_TYPE_SOFTWARE;
		a.config = PERF_COUNT_SW_CPU_CLOCK;
		a.sample_period = PROF_PERIOD_NS;
		a.sample_type = PERF_SAMPLE_IP;
		a.exclude_idle = 1;
		a.disabled = 1;
		pr->fd[cpu] = syscall(__NR_perf_event_open, &a, -1, cpu, -1,
				      PERF_FLAG_FD_CLOEXEC);
		if (pr->fd[cpu] < 0)
			die("perf_event_open cpu %d: %s", cpu, strerror(errno));
		pr->ring[cpu] = mmap(NULL, page + pr->ring_bytes,
				     PROT_READ | PROT_WRITE, MAP_SHARED,
				     pr->fd[cpu], 0);
		if (pr->ring[cpu] == MAP_FAILED)
			die("mmap perf ring: %s", strerror(errno));
	}
}

static void prof_enable(struct prof *pr, bool on)
{
	int cpu;

	for (cpu = 0; cpu < pr->ncpu; cpu++)
		ioctl(pr->fd[cpu], on ? PERF_EVENT_IOC_ENABLE :
		      PERF_EVENT_IOC_DISABLE, 0);
}

/* Move the samples out of every ring. */
static void prof_drain(struct prof *pr)
{
	long page = sysconf(_SC_PAGESIZE);
	int cpu;

	for (cpu = 0; cpu < pr->ncpu; cpu++) {
		struct perf_event_mmap_page *meta = pr->ring[cpu];
		unsigned char *data = (unsigned char *)pr->ring[cpu] + page;
		__u64 head = __atomic_load_n(&meta->data_head,
						__ATOMIC_ACQUIRE);
		__u64 tail = meta->data_tail;

		while (tail < head) {
			struct perf_event_header h;
			unsigned char rec[64];
			size_t i;

			for (i = 0; i < sizeof(h); i++)
				((unsigned char *)&h)[i] =
					data[(tail + i) % pr->ring_bytes];
			if (h.size < sizeof(h) || h.size > sizeof(rec))
				break;
			for (i = 0; i < h.size; i++)
				rec[i] = data[(tail + i) % pr->ring_bytes];
			if (h.type == PERF_RECORD_SAMPLE) {
				if (pr->nips == pr->cap) {
					pr->cap = pr->cap ? pr->cap * 2 : 65536;
					pr->ips = realloc(pr->ips, pr->cap *
							  sizeof(*pr->ips));
					if (!pr->ips)
						die("out of memory");
				}
				memcpy(&pr->ips[pr->nips++], rec + sizeof(h),
				       sizeof(__u64));
			} else if (h.type == PERF_RECORD_LOST) {
				__u64 lost;

				memcpy(&lost, rec + sizeof(h) + 8, sizeof(lost));
				pr->lost += lost;
			}
			tail += h.size;
		}
		__atomic_store_n(&meta->data_tail, head, __ATOMIC_RELEASE);
	}
}

struct hit {
	const char *name;
	__u64 count;
};

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void prof_report(struct prof *pr, const char *label)
{
	struct hit *hits;
	struct ksym *syms;
	size_t nsyms, nhits = 0, i, j;

	syms = load_kallsyms(&nsyms);
	hits = xcalloc(pr->nips + 1, sizeof(*hits));
	for (i = 0; i < pr->nips; i++) {
		const char *name = ksym_name(syms, nsyms, pr->ips[i]);

		for (j = 0; j < nhits && hits[j].name != name; j++)
			;
		if (j == nhits)
			hits[nhits++].name = name;
		hits[j].count++;
	}
	qsort(hits, nhits, sizeof(*hits), cmp_hit);
	printf("HMAP-PROF %s samples %zu lost %llu\n", label, pr->nips,
	       pr->lost);
	for (i = 0; i < nhits && i < PROF_TOP; i++)
		printf("HMAP-PROF %s %6.2f%% %7llu %s\n", label,
		       100.0 * hits[i].count / pr->nips, hits[i].count,
		       hits[i].name);
	fflush(stdout);
}

static int cmd_prof(const char *label, char **argv)
{
	struct prof pr = { 0 };
	int status = 0;
	pid_t pid;

	prof_open(&pr);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
	prof_enable(&pr, true);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		poll(NULL, 0, 20);
		prof_drain(&pr);
	}
	prof_enable(&pr, false);
	prof_drain(&pr);
	prof_report(&pr, label);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* ---- Prefaulting ---- */

static int cmd_prefault(unsigned int percent)
{
	const size_t chunk = 64UL << 20;
	unsigned long long avail_kb = 0;
	size_t want, done = 0, i, nchunks;
	char line[128];
	void **chunks;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("open /proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &avail_kb) == 1)
			break;
	fclose(f);
	if (!avail_kb || !percent || percent > 95)
		die("prefault: no MemAvailable, or PERCENT not 1..95");
	want = avail_kb * 1024 / 100 * percent;
	nchunks = want / chunk;
	chunks = xcalloc(nchunks + 1, sizeof(*chunks));
	for (i = 0; i < nchunks; i++) {
		chunks[i] = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
				 -1, 0);
		if (chunks[i] == MAP_FAILED)
			break;
		done += chunk;
	}
	while (i--)
		munmap(chunks[i], chunk);
	free(chunks);
	printf("hmap-ubench: prefaulted %zu MiB of %llu MiB available\n",
	       done >> 20, avail_kb >> 10);
	return 0;
}

static void print_usage(void)
{
	fputs("usage: hmap-ubench run N REPS\n", stderr);
	fputs("       hmap-ubench prefault PERCENT\n", stderr);
	fputs("       hmap-ubench prof LABEL CMD [ARG...]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "run"))
		return cmd_run(strtoul(argv[2], NULL, 0),
			       strtoul(argv[3], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "prefault"))
		return cmd_prefault(strtoul(argv[2], NULL, 0));
	if (argc >= 4 && !strcmp(argv[1], "prof"))
		return cmd_prof(argv[2], argv + 3);
	print_usage();
	return 2;
}
