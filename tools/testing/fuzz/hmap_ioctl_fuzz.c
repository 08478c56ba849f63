// SPDX-License-Identifier: GPL-2.0
/*
 * hmap_ioctl_fuzz - a seeded, reproducible ioctl fuzzer for /dev/hmap
 *
 * In the manner of syzkaller's programs, but with a model: the fuzzer
 * opens several fds, creates named and anonymous maps and issues random
 * sequences of every ioctl. Arguments are drawn to hit the edges: sizes 0,
 * 1, exact, limit, limit + 1 and huge; @argsz short, exact and long with
 * zero and non-zero tails; every flag bit; pointers NULL, unmapped,
 * read-only, straddling a PROT_NONE page, kernel and non-canonical
 * addresses; counts 0 and huge; fds unbound, bound, opened without read or
 * write, and bound to maps destroyed under them.
 *
 * The model: every map the fuzzer made is mirrored (its name, parameters,
 * keys and values, the counters STATS must show), so every call has an
 * expected result computed before it is made. A call with no fault must
 * succeed and leave the map as the model says; a call with faults must
 * fail with one of the errnos the faults call for, as documented in
 * include/uapi/linux/hmap.h (where two faults meet, the ABI does not say
 * which one wins, so either errno is accepted). A batch that stops at a
 * faulty element must report how far it got and have done exactly the
 * elements before it.
 *
 * Every op draws its arguments from its own random stream, seeded from the
 * main one, so the sequence of ops is the same for a seed whatever the
 * kernel answers: `--seed S --ops N` replays a failure at op N - 1.
 *
 * Every --episode ops, the fuzzer shares fds with a thread and a forked
 * child (which drops to an unprivileged user and runs its own model world
 * beside the shared chaos), destroys maps and replaces fds under them, and
 * toggles the protection of the memory their pointers point to. What the
 * chaos touches is checked for documented errnos only; the maps it wrote
 * are checked for consistency (dump against lookups against STATS) and
 * cleared afterwards, so that the model stays exact.
 *
 * Bursts of cheap calls (--burst per 1000 other ops, at most one per op)
 * make up most of the calls of a long run: LOOKUPs, UPDATEs and DELETEs
 * checked against the model (three in ten), and structs with one fault
 * each. --min-ok says how many model ops of each kind must have
 * succeeded (a run that mostly failed its calls fails). With --fault P,
 * a share of the calls fail an allocation of hmap's
 * (fail-nth; see fault_arm()): ENOMEM is then accepted, and checked to
 * have left the maps as they were. A watchdog thread fails a run whose
 * calls stop (--hang) or that takes too long (--timeout).
 *
 * Output: per-ioctl counts, an errno histogram, model checks, the ops and
 * time of each kind; a failure prints what it saw and the options that
 * replay it; the last line is "HMAP-FUZZ: LABEL ok|FAIL seed=S ops=N
 * calls=N ..." (print_result()). Exit status 0 on success, 1 on a failed
 * check, 2 on usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/hmap.h>

#define HMAP_DEV		"/dev/hmap"
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define PAGE			4096UL

/* fds and maps of one world. */
#define NFD			10
#define NOBJ			48
#define NNAMES			16
/* Entries the models of one world hold at most, all maps together. */
#define ENTRIES_MAX		30000UL
/* At most a burst per other op: bursts are not the run (see op_burst()). */
#define BURST_MAX		1000U
/* Largest batch of valid traffic, and of arrays it may fill. */
#define BATCH_MAX		256U
#define BATCH_BYTES		1048576UL
/*
 * Read-write arena for arguments, followed by a PROT_NONE guard larger
 * than any stride (value_size at most 64 KiB), so that every element past
 * the first one there faults too.
 */
#define ARENA_BYTES		(4UL << 20)
#define GUARD_BYTES		(256UL << 10)
#define RO_PAGES		2
/* fds the chaos of an episode shares, and its map names. */
#define NCHAOS			6
#define NXNAMES			6
#define CHAOS_BYTES		(256UL << 10)
#define FLAKY_PAGES		16

/* Rights, as the kernel's HMAP_MAY_*. */
#define MAY_W			2U
#define MAY_R			4U

/* The limit the kernel gives root's maps: keep capacity hints sane. */
#define ROOT_HINT_MAX		65536U

/* ---- Random numbers: splitmix64 ---- */

struct rng {
	__u64 s;
};

static __u64 mix64(__u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u64 rnd(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

/* Uniform in 0..n-1 (0 if n is 0). */
static __u32 below(struct rng *r, __u32 n)
{
	return (__u32)(((rnd(r) >> 32) * (__u64)n) >> 32);
}

static bool chance(struct rng *r, unsigned int pct)
{
	return below(r, 100) < pct;
}

/* A value from a list, by index. */
#define PICK(r, a)		((a)[below((r), sizeof(a) / sizeof((a)[0]))])

/* ---- Errno sets ---- */

typedef __u64 eset;

static const int errnos[] = {
	0, ENOENT, EINTR, E2BIG, EBADF, ENOMEM, EACCES, EFAULT, EBUSY,
	EEXIST, EINVAL, ENOTTY, ENOSPC, ENAMETOOLONG, ENOTCONN, EDQUOT,
};

static int ebit(int e)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i] == e)
			return i;
	return 63;
}

#define E(e)			(1ULL << ebit(e))

static const char *ename(int e)
{
	static const char * const names[] = {
		[0] = "0", [ENOENT] = "ENOENT", [EINTR] = "EINTR",
		[E2BIG] = "E2BIG", [EBADF] = "EBADF", [ENOMEM] = "ENOMEM",
		[EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY",
		[EEXIST] = "EEXIST", [EINVAL] = "EINVAL", [ENOTTY] = "ENOTTY",
		[ENOSPC] = "ENOSPC", [ENAMETOOLONG] = "ENAMETOOLONG",
		[ENOTCONN] = "ENOTCONN", [EDQUOT] = "EDQUOT", [EPERM] = "EPERM",
		[EOPNOTSUPP] = "EOPNOTSUPP",
	};
	static __thread char buf[16];

	if (e >= 0 && (size_t)e < ARRAY_SIZE(names) && names[e])
		return names[e];
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static const char *eset_str(eset s)
{
	static __thread char buf[256];
	size_t n = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < ARRAY_SIZE(errnos); i++)
		if (s & (1ULL << i))
			n += snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      n ? "|" : "", ename(errnos[i]));
	return n ? buf : "(nothing)";
}

/* ---- Counters, shared with the forked children ---- */

enum {
	C_VERSION, C_CREATE, C_OPEN, C_DESTROY, C_LIST, C_LOOKUP, C_UPDATE,
	C_DELETE, C_BLOOKUP, C_BUPDATE, C_BDELETE, C_DUMP, C_CLEAR, C_SHRINK,
	C_STATS, C_OTHER, NCMD
};

static const char * const cmd_names[NCMD] = {
	"VERSION", "CREATE", "OPEN", "DESTROY", "LIST", "LOOKUP", "UPDATE",
	"DELETE", "BATCH_LOOKUP", "BATCH_UPDATE", "BATCH_DELETE", "DUMP",
	"CLEAR", "SHRINK", "STATS", "other",
};

struct shared {
	unsigned long calls[NCMD];
	unsigned long fails[NCMD];
	unsigned long errs[256];
	unsigned long ops;		/* ops of the main world */
	unsigned long child_ops;	/* ops of the children's worlds */
	unsigned long chaos_ops;	/* ops of the chaos, all actors */
	unsigned long checks;		/* model checks passed */
	unsigned long dumps;		/* complete dump walks checked */
	unsigned long resyncs;		/* maps checked and reset after chaos */
	unsigned long episodes;
	unsigned long kills;		/* huge batches cut short by SIGKILL */
	unsigned long enomem;		/* ENOMEM after an injected failure */
	unsigned long fault_armed;	/* calls made with fail-nth set */
	unsigned long fault_hits;	/* ... that failed an allocation */
	unsigned long fault_other;	/* ... and did not return ENOMEM */
	unsigned long grows, shrinks;	/* seen in STATS of model maps */
	unsigned long max_count;	/* the largest map the model filled */
	unsigned long ok[NCMD];		/* calls of model ops that succeeded */
	unsigned long burst_calls;	/* calls of bursts */
	unsigned long burst_bad;	/* ... with a fault in their struct */
	unsigned long kind_ops[32];	/* ops of each kind (opkinds[]) */
	unsigned long kind_ns[32];	/* and their time */
	int failed;
};

static struct shared *sh;

static void inc(unsigned long *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

static void set_max(unsigned long *p, unsigned long v)
{
	unsigned long old = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (old < v &&
	       !__atomic_compare_exchange_n(p, &old, v, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static int cmd_index(unsigned long cmd)
{
	switch (cmd) {
	case HMAP_IOC_VERSION:
		return C_VERSION;
	case HMAP_IOC_CREATE:
		return C_CREATE;
	case HMAP_IOC_OPEN:
		return C_OPEN;
	case HMAP_IOC_DESTROY:
		return C_DESTROY;
	case HMAP_IOC_LIST:
		return C_LIST;
	case HMAP_IOC_LOOKUP:
		return C_LOOKUP;
	case HMAP_IOC_UPDATE:
		return C_UPDATE;
	case HMAP_IOC_DELETE:
		return C_DELETE;
	case HMAP_IOC_BATCH_LOOKUP:
		return C_BLOOKUP;
	case HMAP_IOC_BATCH_UPDATE:
		return C_BUPDATE;
	case HMAP_IOC_BATCH_DELETE:
		return C_BDELETE;
	case HMAP_IOC_DUMP:
		return C_DUMP;
	case HMAP_IOC_CLEAR:
		return C_CLEAR;
	case HMAP_IOC_SHRINK:
		return C_SHRINK;
	case HMAP_IOC_STATS:
		return C_STATS;
	default:
		return C_OTHER;
	}
}

/* ---- Configuration and failure ---- */

static struct {
	__u64 seed;
	unsigned long ops;
	unsigned long episode;		/* ops between episodes, 0: none */
	unsigned long episode_ops;	/* ops of each actor in an episode */
	unsigned long kill_every;	/* ops between kill tests, 0: none */
	unsigned int child_uid;
	unsigned int fault;		/* percent of calls with fail-nth set */
	unsigned long calls;		/* run until this many calls, 0: --ops */
	unsigned int hang;		/* seconds without progress: a hang */
	unsigned int timeout;		/* seconds the whole run may take, 0: any */
	bool verbose;
	unsigned long trace_from;	/* print ops from this one on */
	unsigned int burst;		/* bursts per 1000 other ops */
	unsigned long min_ok;		/* successes each map command needs */
	unsigned long min_injected;	/* --fault: injected failures, ENOMEMs */
	unsigned int min_sites;		/* --fault: allocation sites failed */
	unsigned int jobs;		/* fuzzers side by side (1 or 2) */
	unsigned int instance;		/* which of them this process is */
	bool trace;
	const char *label;		/* of the run, in the result line */
	struct timespec start;
} cfg = {
	.label = "run",
	.episode = 25000,
	.episode_ops = 1500,
	.kill_every = 200000,
	.child_uid = 40009,
	.trace_from = ~0UL,
	.burst = 30,
	.jobs = 1,
	.hang = 120,
};

/* Name prefixes of each instance: its maps, its children's, its chaos's. */
static const char main_prefix[] = "mn", child_prefix[] = "cd",
		  chaos_prefix[] = "xy";

static pid_t main_pid;
static pid_t episode_child;	/* the episode's child, or 0 */

static double elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - cfg.start.tv_sec) +
	       (now.tv_nsec - cfg.start.tv_nsec) / 1e9;
}

static void print_summary(void);
static void print_result(const char *result);

/* The Makefile defines __printf() as the format attribute. */
#ifndef __printf
#define __printf(a, b)
#endif

struct world;
static noreturn __printf(2, 3)
void fail(struct world *w, const char *fmt, ...);

/* ---- Memory the arguments live in ---- */

/*
 * One region of each kind, so that whether a user access faults is known
 * before the call: @rw (read-write) is followed by the PROT_NONE page
 * @guard, @ro is read-only (page 0 zero, page 1 a pattern) and @ro_arg is
 * a read-only page an argument struct is copied to (made writable for the
 * copy). @top is a bump allocator in @rw, reset by every op.
 */
struct mem {
	__u8 *rw;
	__u8 *guard;
	__u8 *ro;
	__u8 *ro_arg;
	size_t top;
};

static void *map_pages(size_t bytes, int prot)
{
	void *p = mmap(NULL, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static void mem_init(struct mem *m)
{
	unsigned int i;

	m->rw = map_pages(ARENA_BYTES + GUARD_BYTES, PROT_READ | PROT_WRITE);
	m->guard = m->rw + ARENA_BYTES;
	if (mprotect(m->guard, GUARD_BYTES, PROT_NONE)) {
		perror("mprotect");
		exit(1);
	}
	/* Each read-only region is followed by a PROT_NONE guard too. */
	m->ro = map_pages(RO_PAGES * PAGE + GUARD_BYTES,
			  PROT_READ | PROT_WRITE);
	for (i = 0; i < PAGE; i++)
		m->ro[PAGE + i] = (__u8)(i * 7 + 3);
	m->ro_arg = map_pages(PAGE + GUARD_BYTES, PROT_READ | PROT_WRITE);
	if (mprotect(m->ro, RO_PAGES * PAGE, PROT_READ) ||
	    mprotect(m->ro + RO_PAGES * PAGE, GUARD_BYTES, PROT_NONE) ||
	    mprotect(m->ro_arg, PAGE, PROT_READ) ||
	    mprotect(m->ro_arg + PAGE, GUARD_BYTES, PROT_NONE)) {
		perror("mprotect");
		exit(1);
	}
}

/* @size bytes in @rw, 8-aligned (plus @skew), zeroed. */
static void *mem_get(struct mem *m, size_t size, unsigned int skew)
{
	size_t at = ((m->top + 7) & ~7UL) + skew;
	void *p;

	if (at + size > ARENA_BYTES / 2)
		fail(NULL, "the argument arena is exhausted: %zu bytes (fuzzer bug)",
		     at + size);
	p = m->rw + at;
	memset(p, 0, size);
	m->top = at + size;
	return p;
}

/*
 * @size bytes of which only @ok are readable: they end @ok bytes into the
 * guard page's predecessor, so byte @ok is the first of the guard. The end
 * half of the arena is used, so it does not meet mem_get().
 */
static void *mem_edge(struct mem *m, size_t size, size_t ok)
{
	__u8 *p = m->guard - ok;

	(void)size;
	memset(p, 0, ok);
	return p;
}

static __u64 uptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* Copy @n bytes of @src to the read-only page; return where. */
static void *mem_ro_copy(struct mem *m, const void *src, size_t n,
			 size_t off)
{
	if (mprotect(m->ro_arg, PAGE, PROT_READ | PROT_WRITE)) {
		perror("mprotect");
		exit(1);
	}
	memset(m->ro_arg, 0, PAGE);
	memcpy(m->ro_arg + off, src, n);
	if (mprotect(m->ro_arg, PAGE, PROT_READ)) {
		perror("mprotect");
		exit(1);
	}
	return m->ro_arg + off;
}

/*
 * Whether the kernel's access to [@addr, @addr + @len) faults: no access
 * faults for 0 bytes; else only @rw (read or write) and @ro and @ro_arg
 * (read) are good.
 */
static bool ufault(const struct mem *m, __u64 addr, __u64 len, bool write)
{
	__u64 end;

	if (!len)
		return false;
	if (__builtin_add_overflow(addr, len, &end))
		return true;
	if (addr >= uptr(m->rw) && end <= uptr(m->guard))
		return false;
	if (write)
		return true;
	if (addr >= uptr(m->ro) && end <= uptr(m->ro) + RO_PAGES * PAGE)
		return false;
	return !(addr >= uptr(m->ro_arg) && end <= uptr(m->ro_arg) + PAGE);
}

/* Element @i of an array of @size-byte elements at @base: no wrap. */
static bool uelem(__u64 base, __u64 i, __u64 size, __u64 *addr)
{
	__u64 off;

	return !__builtin_mul_overflow(i, size, &off) &&
	       !__builtin_add_overflow(base, off, addr);
}

/* Addresses no access may succeed at, whatever the length. */
static const __u64 bad_ptrs[] = {
	0, 1, 8, 0xfff, 0x1000, 0xfff8,		/* below mmap_min_addr */
	0x00007ffffffff000ULL,			/* TASK_SIZE_MAX */
	0x0000800000000000ULL,			/* first non-canonical */
	0x8000000000000000ULL,
	0xffff888000000000ULL,			/* direct map */
	0xffffffff81000000ULL,			/* kernel text */
	0xffffffffff600000ULL,			/* vsyscall page */
	0xfffffffffffffff0ULL, 0xffffffffffffffffULL,
};

/* ---- The model of one map's contents ---- */

struct ent {
	__u8 *key;
	__u32 klen;
	__u32 vlen;
	__u32 stamp;		/* the value is val_bytes(stamp, vlen) */
};

struct model {
	struct ent *e;		/* the entries, dense */
	__u32 n;
	__u32 cap;
	__u32 *slot;		/* open addressing: entry index + 1, 0 empty */
	__u32 mask;
};

static __u64 key_hash(const __u8 *k, __u32 len)
{
	__u64 h = 0xcbf29ce484222325ULL;

	while (len--)
		h = (h ^ *k++) * 0x100000001b3ULL;
	return mix64(h);
}

static void *xzalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		fail(NULL, "out of memory");
	return p;
}

/* Index of the slot holding @key, or of the empty slot it would go to. */
static __u32 model_probe(const struct model *md, const __u8 *key, __u32 len)
{
	__u32 i = key_hash(key, len) & md->mask;

	for (;; i = (i + 1) & md->mask) {
		const struct ent *e;

		if (!md->slot[i])
			return i;
		e = &md->e[md->slot[i] - 1];
		if (e->klen == len && !memcmp(e->key, key, len))
			return i;
	}
}

static struct ent *model_find(const struct model *md, const __u8 *key,
			      __u32 len)
{
	__u32 i;

	if (!md->n)
		return NULL;
	i = model_probe(md, key, len);
	return md->slot[i] ? &md->e[md->slot[i] - 1] : NULL;
}

static void model_rehash(struct model *md, __u32 slots)
{
	__u32 i;

	free(md->slot);
	md->slot = xzalloc(slots * sizeof(*md->slot));
	md->mask = slots - 1;
	for (i = 0; i < md->n; i++)
		md->slot[model_probe(md, md->e[i].key, md->e[i].klen)] = i + 1;
}

/* Insert a key that is absent. */
static struct ent *model_add(struct model *md, const __u8 *key, __u32 len)
{
	struct ent *e;

	if (md->n == md->cap) {
		md->cap = md->cap ? md->cap * 2 : 16;
		md->e = realloc(md->e, md->cap * sizeof(*md->e));
		if (!md->e)
			fail(NULL, "out of memory");
	}
	if (!md->slot || (md->n + 1) * 2 > md->mask + 1)
		model_rehash(md, md->slot ? (md->mask + 1) * 2 : 64);
	e = &md->e[md->n];
	e->key = xzalloc(len);
	memcpy(e->key, key, len);
	e->klen = len;
	md->slot[model_probe(md, key, len)] = ++md->n;
	return e;
}

/* Remove entry @e (backward-shift deletion; the last entry moves). */
static void model_del(struct model *md, struct ent *e)
{
	__u32 idx = e - md->e, i, j, k;

	i = model_probe(md, e->key, e->klen);
	free(e->key);
	/* Close the hole: move back every entry that can use it. */
	for (j = i;;) {
		md->slot[i] = 0;
		for (;;) {
			j = (j + 1) & md->mask;
			if (!md->slot[j])
				goto moved;
			k = key_hash(md->e[md->slot[j] - 1].key,
				     md->e[md->slot[j] - 1].klen) & md->mask;
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		md->slot[i] = md->slot[j];
		i = j;
	}
moved:
	if (idx != md->n - 1) {
		struct ent *last = &md->e[md->n - 1];

		md->slot[model_probe(md, last->key, last->klen)] = idx + 1;
		md->e[idx] = *last;
	}
	md->n--;
}

static void model_clear(struct model *md)
{
	__u32 i;

	for (i = 0; i < md->n; i++)
		free(md->e[i].key);
	md->n = 0;
	if (md->slot)
		memset(md->slot, 0, (md->mask + 1) * sizeof(*md->slot));
}

static void model_free(struct model *md)
{
	model_clear(md);
	free(md->e);
	free(md->slot);
	memset(md, 0, sizeof(*md));
}

/*
 * The bytes of the value stamped @stamp: 8 at a time, those of
 * mix64(@stamp << 32 ^ offset) in memory order. Word by word, as the
 * checks below: byte loops over 64 KiB values are slow under emulation.
 */
static void val_bytes(__u32 stamp, __u32 len, __u8 *out)
{
	__u32 i;

	for (i = 0; i < len; i += 8) {
		__u64 x = mix64(((__u64)stamp << 32) ^ i);

		memcpy(out + i, &x, len - i < 8 ? len - i : 8);
	}
}

static bool val_eq(__u32 stamp, __u32 len, const __u8 *got)
{
	__u32 i;

	for (i = 0; i < len; i += 8) {
		__u64 x = mix64(((__u64)stamp << 32) ^ i);

		if (memcmp(got + i, &x, len - i < 8 ? len - i : 8))
			return false;
	}
	return true;
}

/* The index of the first of @n bytes at @p that is not @c, or @n. */
static size_t bytes_not(const __u8 *p, size_t n, __u8 c)
{
	const __u64 cc = 0x0101010101010101ULL * c;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		__u64 x;

		memcpy(&x, p + i, 8);
		if (x != cc)
			break;
	}
	for (; i < n; i++)
		if (p[i] != c)
			break;
	return i;
}

/* ---- Worlds: fds, maps and their models ---- */

struct obj {
	bool live;
	unsigned int id;
	char name[HMAP_NAME_MAX];	/* "" for an anonymous map */
	bool named;			/* its name is registered */
	bool tainted;			/* the chaos may write it */
	unsigned int nfiles;		/* files of this world bound to it */
	__u32 ks, vs, maxe, hint, mode;
	unsigned int owner, group;
	__u64 kseed;
	__u32 kspace;
	struct model m;
	/* What STATS must say: counters the model predicts. */
	__u64 x_hits, x_misses, x_inserts, x_updates, x_deletes;
	struct hmap_map_stats last;	/* the last STATS, for monotony */
	bool have_last;
	__u64 res_lo, res_hi;		/* bytes reserved against the quota */
};

/* An open file of /dev/hmap: what dup() and fork() share. */
struct ofile {
	unsigned int refs;	/* fds of this world on it, 0: free */
	int acc;		/* O_RDONLY, O_WRONLY, O_RDWR or 3 */
	struct obj *o;		/* the bound map, or NULL */
	unsigned int may;	/* MAY_R | MAY_W on @o */
};

struct fslot {
	int fd;			/* -1: free */
	struct ofile *f;
};

/* A named map of another world: a child may try to open or destroy it. */
struct foreign {
	char name[HMAP_NAME_MAX];
	__u32 mode;
};

struct chaos;

/* What a batch element did in the model, to check its output or undo it. */
struct bexp {
	__u64 va;		/* LOOKUP: where its value goes */
	__u64 vla;		/* LOOKUP: where its length goes, or 0 */
	__u32 stamp, vlen;	/* LOOKUP: the value it must get */
	const __u8 *key;	/* the key, in the argument memory */
	__u32 klen;
	bool had;		/* UPDATE, DELETE: the key was there, with */
	__u32 ostamp, ovlen;	/* this value */
	unsigned int ctr;	/* the counter of STATS it adds to (enum ctr) */
};

/* The counters of STATS the model predicts. */
enum ctr { CTR_NONE, CTR_HIT, CTR_MISS, CTR_INSERT, CTR_UPDATE, CTR_DELETE };

struct world {
	const char *who;
	bool priv;		/* root: every capability */
	unsigned int uid, gid;
	char prefix;
	struct rng rng;		/* the op stream */
	__u64 seed;
	unsigned long op;	/* the op running */
	char desc[512];		/* what it does, for failure messages */
	struct mem mem;
	struct fslot fd[NFD];
	struct ofile file[NFD];
	struct obj obj[NOBJ];
	unsigned int next_id;
	__u32 stamp;
	unsigned long entries;	/* model entries, all maps */
	/* Quota of an unprivileged world. */
	unsigned int maps, max_maps;
	__u64 bytes_lo, bytes_hi, max_bytes;
	/* Names others may hold: LIST is checked loosely. */
	bool loose;
	struct foreign *foreign;
	unsigned int nforeign;
	struct chaos *chaos;	/* the episode running, or NULL */
	int nth_fd;		/* /proc/thread-self/fail-nth, or -1 */
	bool hit;		/* the last fioctl() failed an allocation */
	struct bexp bx[BATCH_MAX + 2];
};

static struct world *main_world;
/* The op of the main world at which the episode running began, or ~0. */
static unsigned long episode_op = ~0UL;
/* hmap's max_maps_per_user at the start: the op stream depends on it. */
static __u64 start_max_maps = 32;

/*
 * The options that make the op stream of a seed: what replays a run (as
 * root, with max_maps_per_user as it was: scripts/guest-tests.d/40-fuzz.sh
 * sets 8).
 */
static void print_replay(unsigned long ops)
{
	printf("hmap_ioctl_fuzz:   replay (root, max_maps_per_user=%llu): ",
	       (unsigned long long)start_max_maps);
	printf("hmap_ioctl_fuzz --seed %#llx --burst %u",
	       (unsigned long long)cfg.seed, cfg.burst);
	printf(" --episode %lu --episode-ops %lu --kill-every %lu --fault %u%s --ops %lu\n",
	       cfg.episode, cfg.episode_ops, cfg.kill_every, cfg.fault,
	       cfg.jobs > 1 ? " --jobs 2" : cfg.instance ? " --instance 1" : "",
	       ops);
}

static noreturn void fail(struct world *w, const char *fmt, ...)
{
	va_list ap;
	bool child = getpid() != main_pid;

	fflush(stdout);
	printf("hmap_ioctl_fuzz: FAIL %s op %lu (seed %#llx): ",
	       w ? w->who : "-", w ? w->op : 0,
	       (unsigned long long)(w ? w->seed : cfg.seed));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (w && w->desc[0])
		printf("hmap_ioctl_fuzz:   in: %s\n", w->desc);
	if (w && w == main_world && episode_op == ~0UL) {
		print_replay(w->op + 1);
	} else if (w && w == main_world) {
		printf("hmap_ioctl_fuzz:   (in the episode of op %lu: %s; %s)\n",
		       episode_op, "the actors race, so not exactly replayable",
		       "this runs up to and through it");
		print_replay(episode_op + 1);
	} else {
		printf("hmap_ioctl_fuzz:   (in an episode: %s)\n",
		       "the actors race, so not exactly replayable");
	}
	fflush(stdout);
	sh->failed = 1;
	if (child)
		_exit(1);
	if (episode_child > 0)
		kill(episode_child, SIGKILL);
	print_summary();
	print_result("FAIL");
	fflush(stdout);
	_exit(1);
}

static void check_errno(struct world *w, const char *what, int got, eset exp)
{
	if (!(E(got) & exp) || ebit(got) == 63)
		fail(w, "%s: got %s, expected %s", what, ename(got),
		     eset_str(exp));
	inc(&sh->checks);
}

/* Calls the main thread made: the watchdog's sign of life. */
static unsigned long main_progress;
static __thread bool is_main;
/* The thread runs an op of a model world (not the chaos): it is checked. */
static __thread bool in_model;

/* One ioctl, counted; 0 or the errno. */
static int hioctl(int fd, unsigned long cmd, __u64 arg)
{
	int c = cmd_index(cmd), ret, e;

	if (is_main)
		__atomic_fetch_add(&main_progress, 1, __ATOMIC_RELAXED);
	ret = ioctl(fd, cmd, (unsigned long)arg);
	e = ret < 0 ? errno : 0;
	inc(&sh->calls[c]);
	if (e)
		inc(&sh->fails[c]);
	else if (in_model)
		inc(&sh->ok[c]);
	inc(&sh->errs[e >= 0 && e < 255 ? e : 255]);
	if (ret > 0)
		return -ret;	/* no command returns a positive value */
	return e;
}

/* ---- Fault injection: /proc/thread-self/fail-nth ---- */

/*
 * With --fault P, P percent of the calls an op makes to read or change a
 * map (and of its opens of /dev/hmap) run with the calling thread's
 * fail-nth set to N (Documentation/fault-injection/fault-injection.rst):
 * the N-th fault point on its path fails, and in the test kernel hmap's
 * allocation sites are the only fault points (hmap_fault.c). Reading the
 * file back says whether one failed. Then, and only then, the call may
 * fail with ENOMEM, and must have done nothing (a batch: nothing from
 * element @count on); whatever else it returns is checked as without a
 * failure. N is drawn from the op's stream, so a seed replays the same
 * failures on the same kernel. Every world uses it, each on its own
 * thread's file: the main one, the chaos thread, and the episode's child,
 * which opens its file before it drops its privileges.
 */
static void nth_open(struct world *w)
{
	w->nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (w->nth_fd < 0)
		fail(w, "--fault: /proc/thread-self/fail-nth: %s (CONFIG_FAULT_INJECTION?)",
		     strerror(errno));
}

static void nth_write(struct world *w, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(w->nth_fd, buf, len, 0) != len)
		fail(w, "fail-nth: write: %s", strerror(errno));
}

/* Arm fail-nth for the next call, by chance: the N set, or 0. */
static unsigned int fault_arm(struct world *w, struct rng *r)
{
	unsigned int n;

	w->hit = false;
	if (w->nth_fd < 0 || !chance(r, cfg.fault))
		return 0;
	switch (below(r, 8)) {
	case 0:
	case 1:
	case 2:
	case 3:
		n = 1;
		break;
	case 4:
	case 5:
		n = 2 + below(r, 3);
		break;
	default:	/* deep into a batch or a fill */
		n = 5 + below(r, 300);
		break;
	}
	nth_write(w, n);
	inc(&sh->fault_armed);
	return n;
}

/* After the call: whether the N-th fault point failed (w->hit); disarm. */
static void fault_check(struct world *w, unsigned int n)
{
	char buf[16] = "";

	if (!n)
		return;
	if (pread(w->nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		fail(w, "fail-nth: read: %s", strerror(errno));
	if (atoi(buf) == 0) {
		w->hit = true;
		inc(&sh->fault_hits);
	} else {
		nth_write(w, 0);
	}
}

/* hioctl() with fail-nth set by chance (--fault); w->hit says if it hit. */
static int fioctl(struct world *w, struct rng *r, int fd, unsigned long cmd,
		  __u64 arg)
{
	unsigned int n = fault_arm(w, r);
	int err = hioctl(fd, cmd, arg);

	fault_check(w, n);
	return err;
}

/*
 * Whether @err is the ENOMEM of an allocation fault injection failed in
 * the last fioctl(): the caller then checks that the call did nothing.
 * Without an injected failure, ENOMEM is checked as any other errno.
 */
static bool injected_enomem(struct world *w, int err)
{
	if (!w->hit)
		return false;
	if (err == ENOMEM) {
		inc(&sh->enomem);
		return true;
	}
	inc(&sh->fault_other);
	return false;
}

static unsigned int acc_rights(int acc)
{
	switch (acc) {
	case O_RDONLY:
		return MAY_R;
	case O_WRONLY:
		return MAY_W;
	case O_RDWR:
		return MAY_R | MAY_W;
	default:
		return 0;
	}
}

static const char *acc_name(int acc)
{
	switch (acc) {
	case O_RDONLY:
		return "r";
	case O_WRONLY:
		return "w";
	case O_RDWR:
		return "rw";
	default:
		return "none";
	}
}

/* What a command needs of the open mode, and of the map. */
static unsigned int cmd_fmode(unsigned long cmd)
{
	switch (cmd) {
	case HMAP_IOC_CREATE:
	case HMAP_IOC_DESTROY:
	case HMAP_IOC_UPDATE:
	case HMAP_IOC_DELETE:
	case HMAP_IOC_BATCH_UPDATE:
	case HMAP_IOC_BATCH_DELETE:
	case HMAP_IOC_CLEAR:
	case HMAP_IOC_SHRINK:
		return MAY_W;
	case HMAP_IOC_LOOKUP:
	case HMAP_IOC_BATCH_LOOKUP:
	case HMAP_IOC_DUMP:
		return MAY_R;
	default:
		return 0;
	}
}

static bool cmd_on_map(unsigned long cmd)
{
	return cmd_fmode(cmd) && cmd != HMAP_IOC_CREATE &&
	       cmd != HMAP_IOC_DESTROY;
}

/*
 * The errno the fd itself calls for, before any argument is read: the
 * open mode (EBADF), then for the per-map commands the binding (ENOTCONN)
 * and the rights on the map (EACCES); as a set, empty if none.
 */
static eset gate(const struct ofile *f, unsigned long cmd)
{
	unsigned int need = cmd_fmode(cmd);

	if (need & ~acc_rights(f->acc))
		return E(EBADF);
	if (cmd == HMAP_IOC_OPEN && !acc_rights(f->acc))
		return E(EBADF);
	if (cmd == HMAP_IOC_STATS)
		return f->o ? 0 : E(ENOTCONN);
	if (!cmd_on_map(cmd))
		return 0;
	if (!f->o)
		return E(ENOTCONN);
	return f->may & need ? 0 : E(EACCES);
}

static __printf(2, 3) void describe(struct world *w, const char *fmt, ...);

static void describe(struct world *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->desc, sizeof(w->desc), fmt, ap);
	va_end(ap);
	if (w == main_world && cfg.trace && w->op >= cfg.trace_from)
		printf("op %lu: %s\n", w->op, w->desc);
}

static __printf(2, 3) void describe_more(struct world *w, const char *fmt,
					  ...);

static void describe_more(struct world *w, const char *fmt, ...)
{
	size_t n = strlen(w->desc);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->desc + n, sizeof(w->desc) - n, fmt, ap);
	va_end(ap);
	if (w == main_world && cfg.trace && w->op >= cfg.trace_from)
		printf("op %lu:   %s\n", w->op, w->desc + n);
}

static const char *slot_str(const struct fslot *s)
{
	static __thread char buf[192];
	const struct obj *o = s->f->o;

	if (!o)
		snprintf(buf, sizeof(buf), "fd %d (%s, unbound)", s->fd,
			 acc_name(s->f->acc));
	else
		snprintf(buf, sizeof(buf),
			 "fd %d (%s%s, map #%u %s ks %u vs %u max %u, %u entries%s%s)",
			 s->fd, acc_name(s->f->acc),
			 s->f->may == acc_rights(s->f->acc) ? "" :
			 s->f->may == MAY_R ? ", may r" :
			 s->f->may == MAY_W ? ", may w" : ", may rw",
			 o->id, o->name[0] ? o->name : "(anon)", o->ks, o->vs,
			 o->maxe, o->m.n, o->named ? "" : ", unnamed",
			 o->tainted ? ", tainted" : "");
	return buf;
}

/* The name of pool entry @i of the world whose names start with @prefix. */
static void pool_name(char prefix, unsigned int i, char *name)
{
	static const char * const odd[] = { "-", "stats.", "_x.Y-9", "Stats" };

	memset(name, 0, HMAP_NAME_MAX);
	if (prefix == 'm' && i >= NNAMES - ARRAY_SIZE(odd)) {
		strcpy(name, odd[i - (NNAMES - ARRAY_SIZE(odd))]);
	} else if (i == 0) {
		/* The longest name: 63 characters of every kind. */
		static const char chars[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
		unsigned int j;

		name[0] = prefix;
		for (j = 1; j < HMAP_NAME_MAX - 1; j++)
			name[j] = chars[(j * 5) % (sizeof(chars) - 1)];
	} else {
		snprintf(name, HMAP_NAME_MAX, "%c-%u", prefix, i);
	}
}

/* Whether @name is one the fuzzer gives its maps. */
static bool fuzz_name(const char *name)
{
	char pool[HMAP_NAME_MAX];
	unsigned int i;

	for (i = 0; i < NNAMES * 4; i++) {
		pool_name("mncd"[i / NNAMES], i % NNAMES, pool);
		if (!strcmp(pool, name))
			return true;
	}
	return (name[0] == 'x' || name[0] == 'y') && name[1] == '-';
}

/* Whether @name is in the pool of @w's names. */
static bool pool_has(const struct world *w, const char *name)
{
	char pool[HMAP_NAME_MAX];
	unsigned int i;

	for (i = 0; i < NNAMES; i++) {
		pool_name(w->prefix, i, pool);
		if (!strcmp(pool, name))
			return true;
	}
	return false;
}

static struct obj *named_obj(struct world *w, const char *name)
{
	unsigned int i;

	for (i = 0; i < NOBJ; i++)
		if (w->obj[i].live && w->obj[i].named &&
		    !strcmp(w->obj[i].name, name))
			return &w->obj[i];
	return NULL;
}

static void obj_release(struct world *w, struct obj *o)
{
	if (o->named || o->nfiles)
		return;
	w->entries -= o->m.n;
	model_free(&o->m);
	if (!w->priv) {
		w->maps--;
		w->bytes_lo -= o->res_lo;
		w->bytes_hi -= o->res_hi;
	}
	o->live = false;
}

/* ---- Keys and values the traffic uses ---- */

/*
 * Key @idx of map @o: keys of 1..4 byte maps are @idx in key_size bytes;
 * above, pairs share a 4-byte prefix and filler and differ in length (the
 * odd one is one byte longer, sometimes a zero byte), so that a key and
 * its zero-padded longer self are different keys.
 */
static __u32 gen_key(const struct obj *o, __u32 idx, __u8 *k)
{
	__u64 x = mix64(o->kseed ^ (idx >> 1));
	__u32 len, i;

	if (o->ks <= 4) {
		for (i = 0; i < o->ks; i++)
			k[i] = (__u8)(idx >> (8 * i));
		return o->ks;
	}
	k[0] = (__u8)(idx >> 1);
	k[1] = (__u8)(idx >> 9);
	k[2] = (__u8)(idx >> 17);
	k[3] = (__u8)(idx >> 25);
	len = 4 + x % (o->ks - 4);	/* 4..ks-1 */
	for (i = 4; i < len; i++)
		k[i] = (__u8)mix64(x + i);
	if (idx & 1)
		k[len++] = x & 0x100 ? 0 : (__u8)(x >> 16);
	return len;
}

/* A key of exactly key_size bytes (batches without key_lens). */
static void gen_full_key(const struct obj *o, __u32 idx, __u8 *k)
{
	__u32 i;

	for (i = 0; i < o->ks; i++)
		k[i] = i < 4 ? (__u8)(idx >> (8 * i)) : (__u8)(0xa5 ^ i);
}

/* A key for an op: an entry of the model, a generated key or noise. */
static __u32 pick_key(struct rng *r, const struct obj *o, __u8 *k, bool full)
{
	__u32 i, len;

	if (o->m.n && chance(r, 50)) {
		const struct ent *e = &o->m.e[below(r, o->m.n)];

		if (!full || e->klen == o->ks) {
			memcpy(k, e->key, e->klen);
			return e->klen;
		}
	}
	if (full) {
		gen_full_key(o, below(r, o->kspace), k);
		return o->ks;
	}
	if (chance(r, 90))
		return gen_key(o, below(r, o->kspace), k);
	len = 1 + below(r, o->ks);
	for (i = 0; i < len; i++)
		k[i] = (__u8)rnd(r);
	return len;
}

static __u32 pick_vlen(struct rng *r, __u32 vs)
{
	switch (below(r, 10)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return vs > 4096 && chance(r, 80) ? 4096 : vs;
	case 3:
		return below(r, vs + 1);
	default:
		return below(r, (vs < 64 ? vs : 64) + 1);
	}
}

/* ---- Argument structs: where they go, and their faults ---- */

enum argf {
	AF_NONE,	/* exact @argsz, in the arena */
	AF_LONG0,	/* longer @argsz, zero tail: valid */
	AF_MAX0,	/* @argsz HMAP_ARGSZ_MAX, zero tail: valid */
	AF_RO,		/* in read-only memory: valid, no write-back */
	AF_SHORT,	/* @argsz below the struct: EINVAL */
	AF_TAIL,	/* longer @argsz, non-zero tail: E2BIG */
	AF_HUGE,	/* @argsz above HMAP_ARGSZ_MAX: E2BIG */
	AF_PTR,		/* a pointer nothing is at: EFAULT */
	AF_EDGE,	/* @argsz readable, the rest beyond the guard: EFAULT */
};

static const char * const argf_names[] = {
	"exact", "long-zero-tail", "argsz-max", "read-only", "short",
	"non-zero-tail", "huge-argsz", "bad-pointer", "straddling-guard",
};

struct arg {
	enum argf f;
	__u64 addr;	/* what the ioctl gets */
	__u8 *p;	/* where the struct is, to read back (NULL if nowhere) */
	__u32 argsz;
	size_t ksize;
};

/* The errno an argument fault calls for, as a set (empty for none). */
static eset argf_err(enum argf f)
{
	switch (f) {
	case AF_SHORT:
		return E(EINVAL);
	case AF_TAIL:
	case AF_HUGE:
		return E(E2BIG);
	case AF_PTR:
	case AF_EDGE:
		return E(EFAULT);
	default:
		return 0;
	}
}

/* Pick where a struct goes: mostly valid, @faulty percent of faults. */
static enum argf pick_argf(struct rng *r, unsigned int faulty)
{
	static const enum argf bad[] = {
		AF_SHORT, AF_SHORT, AF_TAIL, AF_TAIL, AF_HUGE, AF_PTR, AF_PTR,
		AF_EDGE,
	};
	static const enum argf good[] = {
		AF_LONG0, AF_LONG0, AF_MAX0, AF_RO,
	};

	if (chance(r, faulty))
		return PICK(r, bad);
	if (chance(r, 15))
		return PICK(r, good);
	return AF_NONE;
}

/*
 * Put @ksize bytes of struct @s (whose first field is argsz) where fault
 * @f says, with its @argsz set to match.
 */
static void place_arg(struct world *w, struct rng *r, void *s, size_t ksize,
		      enum argf f, struct arg *a)
{
	struct mem *m = &w->mem;
	size_t tail = 0;
	__u32 argsz = ksize;

	memset(a, 0, sizeof(*a));
	a->f = f;
	a->ksize = ksize;
	switch (f) {
	case AF_LONG0:
	case AF_TAIL:
		tail = 1 + below(r, chance(r, 80) ? 64 : HMAP_ARGSZ_MAX - ksize);
		argsz = ksize + tail;
		break;
	case AF_MAX0:
		tail = HMAP_ARGSZ_MAX - ksize;
		argsz = HMAP_ARGSZ_MAX;
		break;
	case AF_SHORT: {
		static const __u32 shorts[] = { 0, 1, 4, 7, 8 };

		argsz = chance(r, 50) ? ksize - 1 : PICK(r, shorts);
		if (argsz >= ksize)
			argsz = ksize - 1;
		break;
	}
	case AF_HUGE: {
		static const __u32 huge[] = {
			HMAP_ARGSZ_MAX + 1, HMAP_ARGSZ_MAX + 8, 8192, 65536,
			0x7fffffff, 0x80000000, 0xffffffff,
		};

		argsz = PICK(r, huge);
		break;
	}
	default:
		break;
	}
	memcpy(s, &argsz, sizeof(argsz));
	a->argsz = argsz;

	switch (f) {
	case AF_PTR:
		a->addr = chance(r, 80) ? PICK(r, bad_ptrs) : uptr(m->guard);
		return;
	case AF_EDGE: {
		/* argsz readable; the struct or its tail reaches the guard. */
		size_t len = argsz > ksize && argsz <= HMAP_ARGSZ_MAX ?
			     argsz : ksize;
		size_t ok = 4 + below(r, len - 4);

		a->p = mem_edge(m, len, ok);
		memcpy(a->p, s, ok < ksize ? ok : ksize);
		a->addr = uptr(a->p);
		a->p = NULL;
		return;
	}
	case AF_RO:
		a->p = mem_ro_copy(m, s, ksize, below(r, 8) * 8);
		a->addr = uptr(a->p);
		return;
	default:
		break;
	}
	a->p = mem_get(m, ksize + tail + 64, chance(r, 10) ? 1 + below(r, 7) : 0);
	memcpy(a->p, s, ksize);
	if (f == AF_TAIL) {
		size_t at = ksize + below(r, tail);

		a->p[at] = 1 + below(r, 255);
	}
	/* A canary beyond the tail: the kernel writes nothing there. */
	memset(a->p + ksize + tail, 0x5a, 64);
	a->addr = uptr(a->p);
}

/* The struct back from where it was, after the call. */
static void read_arg(const struct arg *a, void *s)
{
	if (a->p)
		memcpy(s, a->p, a->ksize);
}

/* What the kernel must not have written: argsz, the tail, the canary. */
static void check_arg_untouched(struct world *w, const struct arg *a,
				bool argsz_in_out)
{
	size_t tail, i;

	if (!a->p || a->f == AF_RO)
		return;
	if (!argsz_in_out && memcmp(a->p, &a->argsz, sizeof(a->argsz)))
		fail(w, "the kernel wrote argsz back (%u -> %u)", a->argsz,
		     *(__u32 *)a->p);
	tail = a->argsz > a->ksize && a->argsz <= HMAP_ARGSZ_MAX ?
	       a->argsz - a->ksize : 0;
	for (i = 0; i < tail; i++)
		if (a->p[a->ksize + i] && a->f != AF_TAIL)
			fail(w, "the kernel wrote the tail beyond the struct (byte %zu)",
			     i);
	for (i = 0; i < 64; i++)
		if (a->p[a->ksize + tail + i] != 0x5a)
			fail(w, "the kernel wrote beyond argsz (byte %zu)",
			     a->ksize + tail + i);
}

/* A bad pointer for a field: nothing, the guard, or read-only memory. */
static __u64 bad_field_ptr(struct world *w, struct rng *r, bool write)
{
	if (write && chance(r, 25))
		return uptr(w->mem.ro) + below(r, PAGE);
	if (chance(r, 20))
		return uptr(w->mem.guard) + below(r, PAGE);
	return PICK(r, bad_ptrs);
}

/* The kernel's limits, from HMAP_IOC_VERSION at start. */
static struct hmap_version lim;

/* ---- fds ---- */

static struct fslot *slot_new(struct world *w, int fd, struct ofile *f)
{
	unsigned int i;

	for (i = 0; i < NFD; i++)
		if (w->fd[i].fd < 0) {
			w->fd[i].fd = fd;
			w->fd[i].f = f;
			f->refs++;
			return &w->fd[i];
		}
	return NULL;
}

static unsigned int slots_used(const struct world *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < NFD; i++)
		n += w->fd[i].fd >= 0;
	return n;
}

/*
 * Open /dev/hmap into a free slot (NULL if none is free); with @r, under
 * fault injection by chance (NULL when it failed the open).
 */
static struct fslot *slot_open_r(struct world *w, int acc, struct rng *r)
{
	unsigned int j, n;
	int fd, e;

	if (slots_used(w) == NFD)
		return NULL;
	for (j = 0; j < NFD && w->file[j].refs; j++)
		;
	n = r ? fault_arm(w, r) : 0;
	fd = open(HMAP_DEV, acc | O_CLOEXEC);
	e = errno;
	fault_check(w, n);
	if (n && w->hit) {
		if (fd >= 0 || e != ENOMEM)
			fail(w, "open %s (%s) after an injected failure: %s, not ENOMEM",
			     HMAP_DEV, acc_name(acc), fd >= 0 ? "an fd" : strerror(e));
		inc(&sh->enomem);
		return NULL;
	}
	if (fd < 0)
		fail(w, "open %s (%s): %s", HMAP_DEV, acc_name(acc),
		     strerror(e));
	w->file[j] = (struct ofile){ .acc = acc };
	return slot_new(w, fd, &w->file[j]);
}

static struct fslot *slot_open(struct world *w, int acc)
{
	return slot_open_r(w, acc, NULL);
}

static void slot_close(struct world *w, struct fslot *s)
{
	struct ofile *f = s->f;

	if (close(s->fd))
		fail(w, "close fd %d: %s", s->fd, strerror(errno));
	s->fd = -1;
	s->f = NULL;
	if (--f->refs || !f->o)
		return;
	f->o->nfiles--;
	obj_release(w, f->o);
	f->o = NULL;
}

static bool slot_usable(const struct fslot *s)
{
	return s->fd >= 0 && !(s->f->o && s->f->o->tainted);
}

/* A random usable slot; one is opened if there is none. */
static struct fslot *any_slot(struct world *w, struct rng *r)
{
	struct fslot *c[NFD];
	unsigned int i, n = 0;

	for (i = 0; i < NFD; i++)
		if (slot_usable(&w->fd[i]))
			c[n++] = &w->fd[i];
	if (!n) {
		struct fslot *s = slot_open(w, O_RDWR);

		if (!s)
			fail(w, "no fd slot left (fuzzer bug)");
		return s;
	}
	return c[below(r, n)];
}

/*
 * A slot for a command on a map: mostly one bound to a map the model
 * knows, with the rights @need; sometimes any.
 */
static struct fslot *map_slot(struct world *w, struct rng *r,
			      unsigned int need)
{
	struct fslot *c[NFD];
	unsigned int i, n = 0;

	if (chance(r, 90))
		for (i = 0; i < NFD; i++) {
			struct fslot *s = &w->fd[i];

			if (slot_usable(s) && s->f->o &&
			    (s->f->may & need) == need &&
			    (acc_rights(s->f->acc) & need) == need)
				c[n++] = s;
		}
	if (!n && chance(r, 90))
		for (i = 0; i < NFD; i++)
			if (slot_usable(&w->fd[i]) && w->fd[i].f->o)
				c[n++] = &w->fd[i];
	if (!n)
		return any_slot(w, r);
	return c[below(r, n)];
}

/* ---- Names ---- */

/* A name the kernel must refuse, and the errno it calls for (a set). */
static eset bad_name(struct rng *r, char *name)
{
	static const char bad_chars[] = {
		' ', '/', '\\', '\n', '\t', 0x7f, (char)0x80, (char)0xc3,
		(char)0xe9, (char)0xff, '*', ':', '+', '~', '@', 1,
	};
	size_t len;

	memset(name, 0, HMAP_NAME_MAX);
	switch (below(r, 9)) {
	case 0:		/* no NUL */
		memset(name, 'a' + below(r, 26), HMAP_NAME_MAX);
		return E(ENAMETOOLONG);
	case 1:		/* no NUL, and a bad character: still too long */
		memset(name, 'b', HMAP_NAME_MAX);
		name[below(r, HMAP_NAME_MAX)] = PICK(r, bad_chars);
		return E(ENAMETOOLONG);
	case 2:
		return E(EINVAL);	/* empty */
	case 3:
		strcpy(name, chance(r, 50) ? ".hidden" : chance(r, 50) ? "." : "..");
		return E(EINVAL);
	case 4:
		strcpy(name, "stats");
		return E(EINVAL);
	case 5:		/* something after the NUL */
		strcpy(name, "m-1");
		name[4 + below(r, HMAP_NAME_MAX - 4)] = 1 + below(r, 255);
		return E(EINVAL);
	default:	/* a bad character */
		len = 1 + below(r, HMAP_NAME_MAX - 1);
		memset(name, 'q', len);
		name[below(r, len)] = PICK(r, bad_chars);
		return E(EINVAL);
	}
}

/* ---- Quota estimates of unprivileged worlds ---- */

static __u64 pow2_ceil(__u64 x)
{
	__u64 p = 8;

	while (p < x)
		p <<= 1;
	return p;
}

/*
 * Bytes a map reserves against its owner's quota: max_entries times an
 * element (kmalloc-rounded: between its size and the next power of two)
 * plus a bucket (80 bytes), saturating.
 */
static void reserve_bounds(__u32 ks, __u32 vs, __u32 maxe, __u64 *lo,
			   __u64 *hi)
{
	__u64 per = 16 + ((ks + 7ULL) & ~7ULL) + vs;

	*lo = (__u64)maxe * (per + 80);
	*hi = (__u64)maxe * (pow2_ceil(per) + 80);
}

/* The rights an opener of @w has on @o by its mode. */
static unsigned int obj_access(const struct world *w, __u32 mode,
			       unsigned int owner, unsigned int group)
{
	unsigned int m = mode;

	if (w->priv)
		return MAY_R | MAY_W;
	if (owner == w->uid)
		m >>= 6;
	else if (group == w->gid)
		m >>= 3;
	return m & (MAY_R | MAY_W);
}

/* ---- STATS ---- */

/* Counters of STATS that never go back. */
static const struct {
	const char *name;
	size_t off;
} monotonic[] = {
	{ "grows", offsetof(struct hmap_map_stats, grows) },
	{ "same_size_grows", offsetof(struct hmap_map_stats, same_size_grows) },
	{ "shrinks", offsetof(struct hmap_map_stats, shrinks) },
	{ "evacuated_by_writers",
	  offsetof(struct hmap_map_stats, evacuated_by_writers) },
	{ "evacuated_by_background",
	  offsetof(struct hmap_map_stats, evacuated_by_background) },
	{ "arrays_alloced", offsetof(struct hmap_map_stats, arrays_alloced) },
	{ "arrays_freed", offsetof(struct hmap_map_stats, arrays_freed) },
	{ "overflow_alloced", offsetof(struct hmap_map_stats, overflow_alloced) },
	{ "overflow_freed", offsetof(struct hmap_map_stats, overflow_freed) },
	{ "elems_alloced", offsetof(struct hmap_map_stats, elems_alloced) },
	{ "elems_freed", offsetof(struct hmap_map_stats, elems_freed) },
	{ "alloc_failures", offsetof(struct hmap_map_stats, alloc_failures) },
	{ "lookups", offsetof(struct hmap_map_stats, lookups) },
	{ "hits", offsetof(struct hmap_map_stats, hits) },
	{ "misses", offsetof(struct hmap_map_stats, misses) },
	{ "inserts", offsetof(struct hmap_map_stats, inserts) },
	{ "updates", offsetof(struct hmap_map_stats, updates) },
	{ "deletes", offsetof(struct hmap_map_stats, deletes) },
};

static __u64 stat_at(const struct hmap_map_stats *st, size_t off)
{
	__u64 v;

	memcpy(&v, (const __u8 *)st + off, sizeof(v));
	return v;
}

static void stats_check(struct world *w, struct obj *o,
			const struct hmap_map_stats *st)
{
	const struct hmap_map_stats *l = &o->last;

	if (st->key_size != o->ks || st->value_size != o->vs ||
	    st->max_entries != o->maxe)
		fail(w, "STATS says ks %u vs %u max %u", st->key_size,
		     st->value_size, st->max_entries);
	if (st->flags)
		fail(w, "STATS wrote flags %#x", st->flags);
	if (st->resizing > 3 || st->B > 24 || st->old_B > 24)
		fail(w, "STATS: resizing %u B %u old_B %u", st->resizing,
		     st->B, st->old_B);
	if (!st->resizing && (st->old_B || st->nevacuate))
		fail(w, "STATS: no resize but old_B %u nevacuate %llu",
		     st->old_B, (unsigned long long)st->nevacuate);
	if (st->resizing && st->nevacuate > (1ULL << st->old_B))
		fail(w, "STATS: nevacuate %llu beyond 2^old_B (%u)",
		     (unsigned long long)st->nevacuate, st->old_B);
	if (st->lookups != st->hits + st->misses)
		fail(w, "STATS: lookups %llu != hits %llu + misses %llu",
		     (unsigned long long)st->lookups,
		     (unsigned long long)st->hits,
		     (unsigned long long)st->misses);
	if (st->arrays_freed > st->arrays_alloced ||
	    st->overflow_freed > st->overflow_alloced ||
	    st->elems_freed > st->elems_alloced ||
	    st->elems_alloced - st->elems_freed < st->count)
		fail(w, "STATS: more freed than allocated (%s %llu/%llu %llu/%llu %llu/%llu, %llu)",
		     "arrays, overflow buckets, elements",
		     (unsigned long long)st->arrays_freed,
		     (unsigned long long)st->arrays_alloced,
		     (unsigned long long)st->overflow_freed,
		     (unsigned long long)st->overflow_alloced,
		     (unsigned long long)st->elems_freed,
		     (unsigned long long)st->elems_alloced,
		     (unsigned long long)st->count);
	if (st->open_cursors)
		fail(w, "STATS: %llu open cursors, none is open",
		     (unsigned long long)st->open_cursors);
	if (o->have_last) {
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(monotonic); i++)
			if (stat_at(st, monotonic[i].off) <
			    stat_at(l, monotonic[i].off))
				fail(w, "STATS: %s went back from %llu to %llu",
				     monotonic[i].name,
				     (unsigned long long)stat_at(l, monotonic[i].off),
				     (unsigned long long)stat_at(st, monotonic[i].off));
		__atomic_fetch_add(&sh->grows, st->grows - l->grows,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->shrinks, st->shrinks - l->shrinks,
				   __ATOMIC_RELAXED);
	}
	if (!o->tainted) {
		if (st->count != o->m.n)
			fail(w, "STATS: count %llu, the model has %u",
			     (unsigned long long)st->count, o->m.n);
		if (st->hits != o->x_hits || st->misses != o->x_misses ||
		    st->inserts != o->x_inserts ||
		    st->updates != o->x_updates ||
		    st->deletes != o->x_deletes)
			fail(w, "%s %llu %llu %llu %llu %llu, not %llu %llu %llu %llu %llu",
			     "STATS: hits misses inserts updates deletes",
			     (unsigned long long)st->hits,
			     (unsigned long long)st->misses,
			     (unsigned long long)st->inserts,
			     (unsigned long long)st->updates,
			     (unsigned long long)st->deletes,
			     (unsigned long long)o->x_hits,
			     (unsigned long long)o->x_misses,
			     (unsigned long long)o->x_inserts,
			     (unsigned long long)o->x_updates,
			     (unsigned long long)o->x_deletes);
	}
	o->last = *st;
	o->have_last = true;
	inc(&sh->checks);
}

/* STATS through @s, whole and checked; 0 or the errno. */
static int stats_get(struct world *w, struct fslot *s,
		     struct hmap_map_stats *st)
{
	int err;

	memset(st, 0, sizeof(*st));
	st->argsz = sizeof(*st);
	err = hioctl(s->fd, HMAP_IOC_STATS, uptr(st));
	if (!err && st->argsz != sizeof(*st))
		fail(w, "STATS wrote argsz %u, not %zu", st->argsz,
		     sizeof(*st));
	return err;
}

static void op_stats(struct world *w, struct rng *r)
{
	static const __u32 huge[] = {
		HMAP_ARGSZ_MAX, HMAP_ARGSZ_MAX + 1, 65536, 0x7fffffff,
		0xffffffff,
	};
	struct fslot *s = map_slot(w, r, 0);
	struct hmap_map_stats st;
	const __u32 ksz = sizeof(st);
	__u32 argsz = ksz, flags = 0, written;
	unsigned int kind = below(r, 100);
	eset exp = 0;
	__u64 addr;
	size_t i;
	__u8 *p;
	int err;

	if (!s->f->o)
		exp |= E(ENOTCONN);
	if (kind < 60)
		argsz = ksz;
	else if (kind < 72)
		argsz = 8 + below(r, ksz - 8);
	else if (kind < 80)
		argsz = ksz + 1 + below(r, 8192);
	else if (kind < 84)
		argsz = PICK(r, huge);
	else if (kind < 89)
		argsz = below(r, 8);
	else if (kind < 94)
		argsz = chance(r, 50) ? ksz : 8 + below(r, ksz);
	else
		argsz = ksz;
	if (argsz < 8)
		exp |= E(EINVAL);
	if (chance(r, 8)) {
		flags = 1U << below(r, 32);
		exp |= E(EINVAL);
	}
	written = argsz < ksz ? argsz : ksz;
	p = mem_get(&w->mem, ksz + 64, chance(r, 10) ? 4 : 0);
	memset(p, 0xee, ksz + 64);
	memcpy(p, &argsz, 4);
	memcpy(p + 4, &flags, 4);
	addr = uptr(p);
	if (kind >= 89 && kind < 94) {		/* bad pointer or edge */
		exp |= E(EFAULT);
		if (chance(r, 50)) {
			addr = PICK(r, bad_ptrs);
		} else {
			__u32 ok = 4 + below(r, (written > 8 ? written : 8) - 4);
			__u8 *q = mem_edge(&w->mem, written, ok);

			memcpy(q, p, ok < 8 ? ok : 8);
			addr = uptr(q);
		}
	} else if (kind >= 94) {		/* read-only */
		exp |= E(EFAULT);
		addr = uptr(mem_ro_copy(&w->mem, p, 8, 0));
	}
	describe(w, "STATS %s argsz %u flags %#x at %#llx", slot_str(s),
		 argsz, flags, (unsigned long long)addr);
	err = hioctl(s->fd, HMAP_IOC_STATS, addr);
	check_errno(w, "STATS", err, exp ? exp : E(0));
	if (addr != uptr(p))
		return;
	if (err) {
		for (i = 8; i < ksz + 64; i++)
			if (p[i] != 0xee)
				fail(w, "failed STATS wrote byte %zu", i);
		return;
	}
	for (i = written; i < ksz + 64; i++)
		if (p[i] != 0xee)
			fail(w, "STATS of %u bytes wrote byte %zu", argsz, i);
	if (written >= 4 && *(__u32 *)p != written)
		fail(w, "STATS argsz out %u, expected %u", *(__u32 *)p,
		     written);
	if (written == ksz) {
		memcpy(&st, p, ksz);
		stats_check(w, s->f->o, &st);
	}
}

/* ---- VERSION ---- */

static void op_version(struct world *w, struct rng *r)
{
	struct fslot *s = any_slot(w, r);
	enum argf af = pick_argf(r, 25);
	struct hmap_version v = { 0 };
	eset exp = 0;
	struct arg a;
	int err;

	if (chance(r, 10)) {
		v.flags = 1U << below(r, 32);
		exp |= E(EINVAL);
	}
	exp |= argf_err(af);
	if (af == AF_RO)
		exp |= E(EFAULT);
	describe(w, "VERSION %s arg %s flags %#x", slot_str(s), argf_names[af],
		 v.flags);
	place_arg(w, r, &v, sizeof(v), af, &a);
	err = hioctl(s->fd, HMAP_IOC_VERSION, a.addr);
	check_errno(w, "VERSION", err, exp ? exp : E(0));
	check_arg_untouched(w, &a, false);
	if (err)
		return;
	read_arg(&a, &v);
	if (v.flags || v.abi_version != lim.abi_version ||
	    v.features != lim.features || v.key_size_max != lim.key_size_max ||
	    v.value_size_max != lim.value_size_max ||
	    v.max_entries_max != lim.max_entries_max)
		fail(w, "VERSION changed: abi %u features %#llx limits %u %u %u",
		     v.abi_version, (unsigned long long)v.features,
		     v.key_size_max, v.value_size_max, v.max_entries_max);
}

/* ---- LIST ---- */

static bool is_foreign(const struct world *w, const char *name)
{
	unsigned int i;

	for (i = 0; i < w->nforeign; i++)
		if (!strcmp(w->foreign[i].name, name))
			return true;
	return false;
}

static unsigned int named_count(const struct world *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < NOBJ; i++)
		n += w->obj[i].live && w->obj[i].named;
	return n;
}

static void op_list(struct world *w, struct rng *r)
{
	const size_t esz = sizeof(struct hmap_list_entry);
	struct fslot *s = any_slot(w, r);
	enum argf af = pick_argf(r, 20);
	unsigned int mine = named_count(w), total, i, j, found = 0;
	bool exact = !w->loose, badptr = false;
	struct hmap_list_entry *ents;
	struct hmap_list l = { 0 };
	__u32 room, cap, written;
	eset exp = 0;
	struct arg a;
	int err;

	total = mine + (exact ? w->nforeign : 0);
	switch (below(r, 8)) {
	case 0:
		room = 0;
		break;
	case 1:
		room = 1;
		break;
	case 2:
		room = total;
		break;
	case 3:
		room = total + 1;
		break;
	case 4:
		room = HMAP_LIST_MAX;
		break;
	case 5:
		room = chance(r, 50) ? HMAP_LIST_MAX + 1 : 0xffffffff;
		break;
	default:
		room = below(r, 40);
		break;
	}
	/* Room for every map that can exist, whatever @room says. */
	cap = room < 128 ? room : 128;
	ents = mem_get(&w->mem, cap * esz + 64, 0);
	memset(ents, 0x5a, cap * esz + 64);
	l.count = room;
	l.entries = uptr(ents);
	if (chance(r, 8)) {
		l.flags = 1U << below(r, 32);
		exp |= E(EINVAL);
	}
	if (chance(r, 8)) {
		badptr = true;
		if (chance(r, 50)) {
			l.entries = bad_field_ptr(w, r, true);
		} else {
			/* Room for a few before the guard. */
			l.entries = uptr(mem_edge(&w->mem, cap * esz,
						  below(r, 3) * esz +
						  below(r, esz)));
		}
	}
	written = room < HMAP_LIST_MAX ? room : HMAP_LIST_MAX;
	if (written > total)
		written = total;
	exp |= argf_err(af);
	if (af == AF_RO)
		exp |= E(EFAULT);
	if (badptr && exact && ufault(&w->mem, l.entries, written * esz, true))
		exp |= E(EFAULT);
	if (badptr && !exact)
		exp |= E(EFAULT) | (exp ? 0 : E(0));
	describe(w, "LIST %s arg %s room %u flags %#x entries %#llx", slot_str(s),
		 argf_names[af], room, l.flags, (unsigned long long)l.entries);
	place_arg(w, r, &l, sizeof(l), af, &a);
	err = fioctl(w, r, s->fd, HMAP_IOC_LIST, a.addr);
	if (injected_enomem(w, err))
		return;
	check_errno(w, "LIST", err, exp ? exp : E(0));
	check_arg_untouched(w, &a, false);
	if (err)
		return;
	read_arg(&a, &l);
	if (l.count > room || l.count > HMAP_LIST_MAX || l.count > l.total ||
	    l.count < (room < l.total ? room : l.total) ||
	    (exact && l.total != total) || (!exact && l.total < mine))
		fail(w, "LIST: count %u total %u for room %u, %u maps named",
		     l.count, l.total, room, total);
	if (badptr && ufault(&w->mem, l.entries, (__u64)l.count * esz, true))
		fail(w, "LIST wrote %u entries to a bad pointer and succeeded",
		     l.count);
	if (badptr)
		return;
	for (i = 0; i < l.count; i++) {
		const struct hmap_list_entry *e = &ents[i];
		size_t len = strnlen(e->name, HMAP_NAME_MAX);
		struct obj *o;

		if (len == HMAP_NAME_MAX || !len || e->__reserved)
			fail(w, "LIST entry %u: bad name or reserved field", i);
		for (j = len; j < HMAP_NAME_MAX; j++)
			if (e->name[j])
				fail(w, "LIST entry %u: bytes after the name", i);
		for (j = 0; j < i; j++)
			if (!strcmp(ents[j].name, e->name))
				fail(w, "LIST: %s twice", e->name);
		o = named_obj(w, e->name);
		if (!o) {
			if ((exact && !is_foreign(w, e->name)) ||
			    pool_has(w, e->name))
				fail(w, "LIST shows %s, which should not exist",
				     e->name);
			continue;
		}
		found++;
		if (e->owner != o->owner || e->mode != o->mode ||
		    e->key_size != o->ks || e->value_size != o->vs ||
		    e->max_entries != o->maxe ||
		    (!o->tainted && e->count != o->m.n))
			fail(w, "LIST: %s %s %u %#o %u %u %u %llu; the model: %u %#o %u %u %u %u",
			     "owner mode ks vs max count",
			     e->name, e->owner, e->mode, e->key_size,
			     e->value_size, e->max_entries,
			     (unsigned long long)e->count, o->owner, o->mode,
			     o->ks, o->vs, o->maxe, o->m.n);
	}
	if (l.count == l.total && found != mine)
		fail(w, "LIST of all %u maps shows %u of the %u named here",
		     l.total, found, mine);
	for (i = l.count * esz; i < cap * esz + 64; i++)
		if (((__u8 *)ents)[i] != 0x5a)
			fail(w, "LIST of %u entries wrote byte %u", l.count, i);
}

/* ---- CREATE, OPEN, DESTROY ---- */

static struct obj *obj_new(struct world *w)
{
	unsigned int i;

	for (i = 0; i < NOBJ; i++)
		if (!w->obj[i].live) {
			memset(&w->obj[i], 0, sizeof(w->obj[i]));
			w->obj[i].live = true;
			w->obj[i].id = ++w->next_id;
			return &w->obj[i];
		}
	return NULL;
}

static void op_create(struct world *w, struct rng *r)
{
	static const __u32 kss[] = {
		1, 1, 2, 3, 4, 5, 6, 8, 8, 8, 13, 16, 32, 64, 100, 255, 512,
	};
	static const __u32 vss[] = {
		1, 1, 2, 8, 8, 16, 33, 64, 256, 1000, 4096, 65536,
	};
	static const __u32 maxes[] = {
		1, 2, 7, 8, 9, 16, 64, 100, 500, 1000, 3000, 10000, 65536,
		1U << 26,
	};
	struct fslot *s = NULL;
	enum argf af = pick_argf(r, 10);
	struct hmap_create c = { 0 };
	bool anon = chance(r, 30), maybe_dquot = false;
	__u64 lo = 0, hi = 0;
	struct obj *o;
	eset exp = 0;
	unsigned int i;
	struct arg a;
	int err;

	/* Mostly an unbound fd that may write. */
	if (chance(r, 80)) {
		struct fslot *c2[NFD];
		unsigned int n = 0;

		for (i = 0; i < NFD; i++)
			if (slot_usable(&w->fd[i]) && !w->fd[i].f->o &&
			    (acc_rights(w->fd[i].f->acc) & MAY_W))
				c2[n++] = &w->fd[i];
		s = n ? c2[below(r, n)] : slot_open(w, O_RDWR);
	}
	if (!s)
		s = any_slot(w, r);
	exp |= gate(s->f, HMAP_IOC_CREATE);
	if (s->f->o)
		exp |= E(EBUSY);

	c.key_size = PICK(r, kss);
	c.value_size = PICK(r, vss);
	c.max_entries = PICK(r, maxes);
	switch (below(r, 7)) {
	case 0:
	case 1:
		c.capacity_hint = 0;
		break;
	case 2:
		c.capacity_hint = 1;
		break;
	case 3:
		c.capacity_hint = c.max_entries;
		break;
	case 4:
		c.capacity_hint = c.max_entries + 1;
		break;
	case 5:
		c.capacity_hint = 0xffffffff;
		break;
	default:
		c.capacity_hint = below(r, c.max_entries + 1);
		break;
	}
	/* Root's maps are not limited: keep the first array small. */
	if (w->priv &&
	    (c.capacity_hint < c.max_entries ? c.capacity_hint : c.max_entries) >
	    ROOT_HINT_MAX)
		c.capacity_hint = below(r, ROOT_HINT_MAX);
	c.mode = chance(r, 50) ? below(r, 0667) & 0666 :
		 chance(r, 50) ? 0600 : 0644;
	if (anon)
		c.flags = HMAP_CREATE_ANON;
	else
		pool_name(w->prefix, below(r, NNAMES), c.name);

	switch (chance(r, 25) ? below(r, 9) : 99) {
	case 0:
		c.flags |= 1U << (1 + below(r, 31));
		exp |= E(EINVAL);
		break;
	case 1:
		c.__reserved = 1U << below(r, 32);
		exp |= E(EINVAL);
		break;
	case 2:		/* an execute bit, or one above 0777 */
		c.mode |= chance(r, 50) ? 1U << (3 * below(r, 3)) :
			  1U << (9 + below(r, 23));
		exp |= E(EINVAL);
		break;
	case 3:
		if (anon) {
			c.name[below(r, HMAP_NAME_MAX)] = 1 + below(r, 255);
			exp |= E(EINVAL);
		} else {
			exp |= bad_name(r, c.name);
		}
		break;
	case 4:
		c.key_size = chance(r, 50) ? 0 : chance(r, 50) ?
			     lim.key_size_max + 1 : 0xffffffff;
		exp |= E(EINVAL);
		break;
	case 5:
		c.value_size = chance(r, 50) ? 0 : chance(r, 50) ?
			       lim.value_size_max + 1 : 0xffffffff;
		exp |= E(EINVAL);
		break;
	case 6:
		c.max_entries = chance(r, 50) ? 0 : chance(r, 50) ?
				lim.max_entries_max + 1 : 0xffffffff;
		exp |= E(EINVAL);
		break;
	case 7:
		if (!anon) {	/* an existing name on purpose */
			for (i = 0; i < NOBJ; i++)
				if (w->obj[i].live && w->obj[i].named) {
					memcpy(c.name, w->obj[i].name,
					       HMAP_NAME_MAX);
					break;
				}
		}
		break;
	default:
		break;
	}
	exp |= argf_err(af);
	if (!anon && !(exp & E(EINVAL)) && !(exp & E(ENAMETOOLONG)) &&
	    (named_obj(w, c.name) || is_foreign(w, c.name)))
		exp |= E(EEXIST);
	if (!w->priv && !exp) {
		reserve_bounds(c.key_size, c.value_size, c.max_entries, &lo,
			       &hi);
		if (w->maps >= w->max_maps || w->bytes_lo + lo > w->max_bytes)
			exp |= E(EDQUOT);
		else if (w->bytes_hi + hi > w->max_bytes)
			maybe_dquot = true;
	}
	describe(w, "CREATE %s arg %s flags %#x ks %u vs %u max %u hint %u mode %#o %s %#x '%.63s'",
		 slot_str(s), argf_names[af], c.flags, c.key_size,
		 c.value_size, c.max_entries, c.capacity_hint, c.mode,
		 "reserved", c.__reserved, c.name);
	place_arg(w, r, &c, sizeof(c), af, &a);
	err = fioctl(w, r, s->fd, HMAP_IOC_CREATE, a.addr);
	if (injected_enomem(w, err))
		return;		/* no map, no name: later calls see */
	check_errno(w, "CREATE", err,
		    exp ? exp : maybe_dquot ? E(0) | E(EDQUOT) : E(0));
	check_arg_untouched(w, &a, false);
	if (err)
		return;
	o = obj_new(w);
	if (!o)
		fail(w, "no model slot for a new map (fuzzer bug)");
	o->ks = c.key_size;
	o->vs = c.value_size;
	o->maxe = c.max_entries;
	o->hint = c.capacity_hint;
	o->mode = c.mode;
	o->owner = w->uid;
	o->group = w->gid;
	o->kseed = rnd(r);
	o->kspace = c.max_entries + 8;
	if (o->kspace > (c.value_size >= 4096 ? 64 : c.value_size >= 1000 ?
			 512 : c.key_size >= 256 ? 1500 : 4000))
		o->kspace = c.value_size >= 4096 ? 64 : c.value_size >= 1000 ?
			    512 : c.key_size >= 256 ? 1500 : 4000;
	if (c.key_size < 4 && o->kspace > 1U << (8 * c.key_size))
		o->kspace = 1U << (8 * c.key_size);
	if (!anon) {
		memcpy(o->name, c.name, HMAP_NAME_MAX);
		o->named = true;
	}
	o->nfiles = 1;
	o->res_lo = lo;
	o->res_hi = hi;
	if (!w->priv) {
		w->maps++;
		w->bytes_lo += lo;
		w->bytes_hi += hi;
	}
	s->f->o = o;
	s->f->may = acc_rights(s->f->acc);
}

/* A name to open or destroy: mostly a map's, sometimes not. */
static eset pick_target(struct world *w, struct rng *r, char *name,
			struct obj **op, const struct foreign **fp)
{
	struct obj *c[NOBJ];
	unsigned int i, n = 0;
	unsigned int k = below(r, 100);

	*op = NULL;
	*fp = NULL;
	memset(name, 0, HMAP_NAME_MAX);
	for (i = 0; i < NOBJ; i++)
		if (w->obj[i].live && w->obj[i].named)
			c[n++] = &w->obj[i];
	if (k < 65 && n) {
		*op = c[below(r, n)];
		memcpy(name, (*op)->name, HMAP_NAME_MAX);
		return 0;
	}
	if (k < 80 && w->foreign && w->nforeign) {
		*fp = &w->foreign[below(r, w->nforeign)];
		memcpy(name, (*fp)->name, HMAP_NAME_MAX);
		return 0;
	}
	if (k < 90)
		return bad_name(r, name);
	pool_name(w->prefix, below(r, NNAMES), name);
	*op = named_obj(w, name);
	return 0;
}

static const int open_accs[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR };

static void op_open(struct world *w, struct rng *r)
{
	struct fslot *s = NULL;
	enum argf af = pick_argf(r, 10);
	const struct foreign *fo;
	struct hmap_name nm = { 0 };
	unsigned int want, may = 0, i;
	eset exp = 0, maybe = 0;
	struct obj *o;
	struct arg a;
	int err;

	if (chance(r, 80)) {
		struct fslot *c[NFD];
		unsigned int n = 0;

		for (i = 0; i < NFD; i++)
			if (slot_usable(&w->fd[i]) && !w->fd[i].f->o)
				c[n++] = &w->fd[i];
		s = n ? c[below(r, n)] : slot_open(w, PICK(r, open_accs));
	}
	if (!s)
		s = any_slot(w, r);
	exp |= pick_target(w, r, nm.name, &o, &fo);
	if (o && o->tainted)
		return;		/* left to the chaos */
	exp |= gate(s->f, HMAP_IOC_OPEN);
	if (chance(r, 8)) {
		nm.flags = 1U << below(r, 32);
		exp |= E(EINVAL);
	}
	exp |= argf_err(af);
	if (s->f->o)
		exp |= E(EBUSY);
	want = acc_rights(s->f->acc);
	if (!exp) {
		if (fo) {
			/* Another world's: it may be gone. */
			may = obj_access(w, fo->mode, 0, 0) & want;
			maybe = E(ENOENT) | (may ? E(0) : E(EACCES));
		} else if (!o) {
			exp |= E(ENOENT);
		} else {
			may = obj_access(w, o->mode, o->owner, o->group) & want;
			if (!may)
				exp |= E(EACCES);
		}
	}
	describe(w, "OPEN %s arg %s flags %#x name '%.63s'%s", slot_str(s),
		 argf_names[af], nm.flags, nm.name, fo ? " (foreign)" : "");
	place_arg(w, r, &nm, sizeof(nm), af, &a);
	err = fioctl(w, r, s->fd, HMAP_IOC_OPEN, a.addr);
	if (injected_enomem(w, err))
		return;
	check_errno(w, "OPEN", err, exp ? exp : maybe ? maybe : E(0));
	check_arg_untouched(w, &a, false);
	if (err)
		return;
	if (fo) {
		/* Only looked at: STATS, and the fd goes. */
		struct hmap_map_stats st;

		struct ofile *f = s->f;
		unsigned int j;

		err = stats_get(w, s, &st);
		check_errno(w, "STATS of a foreign map", err, E(0));
		/* Every fd of the file goes (dup()s share the binding). */
		for (j = 0; j < NFD; j++)
			if (w->fd[j].fd >= 0 && w->fd[j].f == f)
				slot_close(w, &w->fd[j]);
		return;
	}
	s->f->o = o;
	s->f->may = may;
	o->nfiles++;
}

static void op_destroy(struct world *w, struct rng *r)
{
	struct fslot *s = any_slot(w, r);
	enum argf af = pick_argf(r, 10);
	const struct foreign *fo;
	struct hmap_name nm = { 0 };
	eset exp = 0, maybe = 0;
	struct obj *o;
	struct arg a;
	int err;

	exp |= pick_target(w, r, nm.name, &o, &fo);
	/* Names stay while an episode's child knows them. */
	if ((o && o->tainted) || (w == main_world && w->chaos))
		return;
	exp |= gate(s->f, HMAP_IOC_DESTROY);
	if (chance(r, 8)) {
		nm.flags = 1U << below(r, 32);
		exp |= E(EINVAL);
	}
	exp |= argf_err(af);
	if (!exp) {
		if (fo)
			maybe = E(ENOENT) | (w->priv ? E(0) : E(EACCES));
		else if (!o)
			exp |= E(ENOENT);
		else if (!w->priv && o->owner != w->uid)
			exp |= E(EACCES);
	}
	if (fo && w->priv)
		return;		/* never another world's maps */
	describe(w, "DESTROY %s arg %s flags %#x name '%.63s'%s", slot_str(s),
		 argf_names[af], nm.flags, nm.name, fo ? " (foreign)" : "");
	place_arg(w, r, &nm, sizeof(nm), af, &a);
	err = hioctl(s->fd, HMAP_IOC_DESTROY, a.addr);
	check_errno(w, "DESTROY", err, exp ? exp : maybe ? maybe : E(0));
	check_arg_untouched(w, &a, false);
	if (err || fo)
		return;
	o->named = false;
	obj_release(w, o);
}

static void op_fd(struct world *w, struct rng *r)
{
	static const int accs[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR, 3 };
	unsigned int used = slots_used(w), k = below(r, 100);
	struct fslot *s, *n;
	int fd;

	if (k < 45 && used < NFD) {
		int acc = PICK(r, accs);

		s = slot_open_r(w, acc, r);
		if (s)
			describe(w, "open %s", slot_str(s));
		else
			describe(w, "open (%s): ENOMEM injected", acc_name(acc));
	} else if (k < 60 && used < NFD && used) {
		s = any_slot(w, r);
		fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			fail(w, "dup: %s", strerror(errno));
		n = slot_new(w, fd, s->f);
		describe(w, "dup %s -> fd %d", slot_str(s), n->fd);
	} else if (used > 1) {
		s = any_slot(w, r);
		describe(w, "close %s", slot_str(s));
		slot_close(w, s);
	}
}

/* ---- Commands without arguments: CLEAR, SHRINK ---- */

static void op_cmd(struct world *w, struct rng *r, unsigned long cmd)
{
	struct fslot *s = map_slot(w, r, MAY_W);
	enum argf af = pick_argf(r, 15);
	struct hmap_cmd c = { 0 };
	struct hmap_map_stats st;
	struct obj *o = s->f->o;
	eset exp = 0;
	struct arg a;
	int err;

	exp |= gate(s->f, cmd);
	if (chance(r, 8)) {
		c.flags = 1U << below(r, 32);
		exp |= E(EINVAL);
	}
	exp |= argf_err(af);
	describe(w, "%s %s arg %s flags %#x",
		 cmd == HMAP_IOC_CLEAR ? "CLEAR" : "SHRINK", slot_str(s),
		 argf_names[af], c.flags);
	place_arg(w, r, &c, sizeof(c), af, &a);
	err = fioctl(w, r, s->fd, cmd, a.addr);
	if (injected_enomem(w, err))
		return;		/* the map as it was: STATS counts it later */
	check_errno(w, cmd == HMAP_IOC_CLEAR ? "CLEAR" : "SHRINK", err,
		    exp ? exp : E(0));
	check_arg_untouched(w, &a, false);
	if (err)
		return;
	if (cmd == HMAP_IOC_CLEAR) {
		w->entries -= o->m.n;
		model_clear(&o->m);
		return;
	}
	/* The whole evacuation is done before SHRINK returns. */
	if (chance(r, 50)) {
		err = stats_get(w, s, &st);
		check_errno(w, "STATS after SHRINK", err, E(0));
		stats_check(w, o, &st);
		if (st.resizing)
			fail(w, "SHRINK returned with a resize (%u) in progress",
			     st.resizing);
	}
}

/* ---- Bursts of calls that fail before they reach a map ---- */

static const unsigned long all_cmds[] = {
	HMAP_IOC_VERSION, HMAP_IOC_CREATE, HMAP_IOC_OPEN, HMAP_IOC_DESTROY,
	HMAP_IOC_LIST, HMAP_IOC_LOOKUP, HMAP_IOC_UPDATE, HMAP_IOC_DELETE,
	HMAP_IOC_BATCH_LOOKUP, HMAP_IOC_BATCH_UPDATE, HMAP_IOC_BATCH_DELETE,
	HMAP_IOC_DUMP, HMAP_IOC_CLEAR, HMAP_IOC_SHRINK, HMAP_IOC_STATS,
};

static const size_t all_sizes[] = {
	sizeof(struct hmap_version), sizeof(struct hmap_create),
	sizeof(struct hmap_name), sizeof(struct hmap_name),
	sizeof(struct hmap_list), sizeof(struct hmap_elem_op),
	sizeof(struct hmap_elem_op), sizeof(struct hmap_elem_op),
	sizeof(struct hmap_batch), sizeof(struct hmap_batch),
	sizeof(struct hmap_batch), sizeof(struct hmap_dump),
	sizeof(struct hmap_cmd), sizeof(struct hmap_cmd),
	sizeof(struct hmap_map_stats),
};

static void verify_key(struct world *w, struct obj *o, const __u8 *key,
		       __u32 klen);

/*
 * A LOOKUP of a burst, on a map an fd may read, of values up to 256 bytes
 * (cheap): false if there is none.
 */
static bool burst_lookup(struct world *w, struct rng *r)
{
	struct obj *c[NFD];
	size_t top = w->mem.top;
	unsigned int i, n = 0;
	struct obj *o;
	__u8 *key;

	for (i = 0; i < NFD; i++) {
		const struct fslot *s = &w->fd[i];

		if (slot_usable(s) && s->f->o && (s->f->may & MAY_R) &&
		    (acc_rights(s->f->acc) & MAY_R) && s->f->o->vs <= 256)
			c[n++] = s->f->o;
	}
	if (!n)
		return false;
	o = c[below(r, n)];
	key = mem_get(&w->mem, o->ks, 0);
	verify_key(w, o, key, pick_key(r, o, key, false));
	w->mem.top = top;
	return true;
}

static struct ent *model_write(struct world *w, struct obj *o, struct ent *e,
			       const __u8 *key, __u32 klen, __u32 stamp,
			       __u32 vlen);
static void model_erase(struct world *w, struct obj *o, struct ent *e);

/*
 * A write of a burst, on a map an fd may write: an UPDATE (three in four)
 * of a value up to 64 bytes, or a DELETE, of a key present or not, checked
 * against the model and kept in it. False if there is no such map.
 */
static bool burst_write(struct world *w, struct rng *r)
{
	struct hmap_elem_op op = { .argsz = sizeof(op) };
	size_t top = w->mem.top;
	struct fslot *c[NFD], *s;
	unsigned int i, n = 0;
	__u32 klen, vlen, stamp;
	eset exp = E(0);
	struct ent *e;
	struct obj *o;
	__u8 *key, *v;
	int err;

	for (i = 0; i < NFD; i++) {
		s = &w->fd[i];
		if (slot_usable(s) && s->f->o && (s->f->may & MAY_W) &&
		    (acc_rights(s->f->acc) & MAY_W))
			c[n++] = s;
	}
	if (!n)
		return false;
	s = c[below(r, n)];
	o = s->f->o;
	key = mem_get(&w->mem, o->ks, 0);
	klen = pick_key(r, o, key, false);
	e = model_find(&o->m, key, klen);
	op.key = uptr(key);
	op.key_len = klen;
	if (chance(r, 25)) {
		describe(w, "burst DELETE %s (%s)", slot_str(s),
			 e ? "present" : "absent");
		err = hioctl(s->fd, HMAP_IOC_DELETE, uptr(&op));
		check_errno(w, "DELETE (burst)", err, e ? E(0) : E(ENOENT));
		if (!err)
			model_erase(w, o, e);
	} else {
		vlen = below(r, (o->vs < 64 ? o->vs : 64) + 1);
		stamp = ++w->stamp;
		v = mem_get(&w->mem, vlen, 0);
		val_bytes(stamp, vlen, v);
		op.value = uptr(v);
		op.value_len = vlen;
		if (!e && o->m.n >= o->maxe)
			exp = E(E2BIG);
		describe(w, "burst UPDATE %s (%s) value_len %u", slot_str(s),
			 e ? "present" : "absent", vlen);
		err = hioctl(s->fd, HMAP_IOC_UPDATE, uptr(&op));
		check_errno(w, "UPDATE (burst)", err, exp);
		if (!err)
			model_write(w, o, e, key, klen, stamp, vlen);
	}
	w->mem.top = top;
	return true;
}

/*
 * Many cheap calls in a row. Two in ten are LOOKUPs of keys present or
 * not, checked against the model, one in ten a write (burst_write()):
 * under KASAN in QEMU such a call costs about nine times one that fails
 * its argument check, and the fixed run's 10^6 calls must fit in about a
 * minute. The others (at most seven in ten, as few when there is no map)
 * have one fault in their struct (argsz short, above HMAP_ARGSZ_MAX or with a
 * non-zero tail, a pointer to nothing, a flag the command does not know)
 * and are otherwise zero, on any fd: each must fail with the fault's
 * errno or the fd's own, and the struct must come back as it went.
 */
static void op_burst(struct world *w, struct rng *r)
{
	static const __u8 zero[sizeof(struct hmap_map_stats)];
	__u8 *buf = mem_get(&w->mem, HMAP_ARGSZ_MAX + 64, 0);
	unsigned int n = 32 + below(r, 64), i, c, kind;

	describe(w, "burst of %u calls", n);
	for (i = 0; i < n; i++) {
		struct fslot *s = any_slot(w, r);
		unsigned long cmd;
		__u32 argsz, flags = 0, at = 0;
		__u64 addr = uptr(buf);
		size_t ksize;
		eset exp;
		int err;

		kind = below(r, 10);
		if ((kind < 2 && burst_lookup(w, r)) ||
		    (kind == 2 && burst_write(w, r))) {
			inc(&sh->burst_calls);
			continue;
		}
		if (kind < 3)
			continue;	/* no map: no call */
		inc(&sh->burst_calls);
		inc(&sh->burst_bad);
		c = below(r, ARRAY_SIZE(all_cmds));
		cmd = all_cmds[c];
		ksize = all_sizes[c];
		exp = gate(s->f, cmd);
		if ((cmd == HMAP_IOC_CREATE || cmd == HMAP_IOC_OPEN) && s->f->o)
			exp |= E(EBUSY);
		kind = below(r, 5);
		if (cmd == HMAP_IOC_STATS && (kind == 1 || kind == 2))
			kind = 0;	/* STATS takes any argsz >= 8 */
		argsz = ksize;
		switch (kind) {
		case 0:
			argsz = below(r, cmd == HMAP_IOC_STATS ? 8 : ksize);
			exp |= E(EINVAL);
			break;
		case 1:
			argsz = HMAP_ARGSZ_MAX + 1 + below(r, 0x7fffffff);
			exp |= E(E2BIG);
			break;
		case 2:
			argsz = ksize + 1 + below(r, 64);
			at = ksize + below(r, argsz - ksize);
			buf[at] = 1 + below(r, 255);
			exp |= E(E2BIG);
			break;
		case 3:
			addr = PICK(r, bad_ptrs);
			exp |= E(EFAULT);
			break;
		default:
			/* Bit 0 is a valid flag of some commands. */
			flags = 2U << below(r, 31);
			if (cmd == HMAP_IOC_UPDATE ||
			    cmd == HMAP_IOC_BATCH_UPDATE)
				flags |= 1;
			exp |= E(EINVAL);
			break;
		}
		memcpy(buf, &argsz, 4);
		memcpy(buf + 4, &flags, 4);
		err = hioctl(s->fd, cmd, addr);
		if (!(E(err) & exp) || ebit(err) == 63)
			fail(w, "burst %u: %s %s fault %u argsz %u flags %#x at %#llx: %s, not %s",
			     i, cmd_names[cmd_index(cmd)], slot_str(s), kind,
			     argsz, flags, (unsigned long long)addr, ename(err),
			     eset_str(exp));
		if (memcmp(buf, &argsz, 4) || memcmp(buf + 4, &flags, 4) ||
		    memcmp(buf + 8, zero, ksize - 8))
			fail(w, "burst call %u: failed %s wrote its struct",
			     i, cmd_names[cmd_index(cmd)]);
		buf[at] = 0;
		inc(&sh->checks);
	}
}

/* ---- Unknown commands ---- */

static void op_unknown(struct world *w, struct rng *r)
{
	static const unsigned int known[] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x12, 0x13, 0x14,
		0x15, 0x16, 0x17, 0x18, 0x19,
	};
	struct fslot *s = any_slot(w, r);
	unsigned long cmd;
	unsigned int nr;
	int err;

	switch (below(r, 4)) {
	case 0:		/* an unused number */
		do
			nr = below(r, 256);
		while (cmd_index(_IO(HMAP_IOC_MAGIC, nr)) != C_OTHER);
		cmd = _IO(HMAP_IOC_MAGIC, nr);
		break;
	case 1:		/* a known number with a direction and a size */
		cmd = _IOC(1 + below(r, 3), HMAP_IOC_MAGIC, PICK(r, known),
			   below(r, 1U << 14));
		break;
	case 2:		/* a known number with a size only */
		cmd = _IOC(_IOC_NONE, HMAP_IOC_MAGIC, PICK(r, known),
			   1 + below(r, (1U << 14) - 1));
		break;
	default:	/* a neighbouring magic */
		cmd = _IOC(below(r, 4), HMAP_IOC_MAGIC - 1 + 2 * below(r, 2),
			   PICK(r, known), below(r, 64));
		break;
	}
	describe(w, "ioctl %#lx %s", cmd, slot_str(s));
	err = hioctl(s->fd, cmd, chance(r, 50) ? PICK(r, bad_ptrs) :
			 uptr(w->mem.rw));
	check_errno(w, "unknown ioctl", err, E(ENOTTY));
}

/* ---- After a tolerated ENOMEM ---- */

/* A slot that may read @o, or NULL. */
static struct fslot *read_slot(struct world *w, const struct obj *o)
{
	unsigned int i;

	for (i = 0; i < NFD; i++)
		if (w->fd[i].fd >= 0 && w->fd[i].f->o == o &&
		    (w->fd[i].f->may & MAY_R) &&
		    (acc_rights(w->fd[i].f->acc) & MAY_R))
			return &w->fd[i];
	return NULL;
}

/* The kernel's answer for @key must be what the model says (any fd). */
static void verify_key(struct world *w, struct obj *o, const __u8 *key,
		       __u32 klen)
{
	struct fslot *s = read_slot(w, o);
	struct hmap_elem_op op = { .argsz = sizeof(op) };
	const struct ent *e = model_find(&o->m, key, klen);
	size_t top;
	__u8 *v;
	int err;

	if (!s)
		return;
	top = w->mem.top;
	v = mem_get(&w->mem, o->vs, 0);
	op.key = uptr(key);
	op.key_len = klen;
	op.value = uptr(v);
	op.value_len = o->vs;
	err = hioctl(s->fd, HMAP_IOC_LOOKUP, uptr(&op));
	check_errno(w, "LOOKUP (checked)", err, e ? E(0) : E(ENOENT));
	if (e)
		o->x_hits++;
	else
		o->x_misses++;
	if (e && (op.value_len != e->vlen || !val_eq(e->stamp, e->vlen, v)))
		fail(w, "LOOKUP (checked): another value, or value_len %u, not %u",
		     op.value_len, e->vlen);
	w->mem.top = top;
}

/* ---- Single keys: LOOKUP, UPDATE, DELETE ---- */

/*
 * The model of map @o after a write of @key that the kernel did: entry @e
 * (NULL: the key was absent, now inserted) holds the value of @stamp,
 * @vlen bytes. Counts the insert or update. Return: the entry.
 */
static struct ent *model_write(struct world *w, struct obj *o, struct ent *e,
			       const __u8 *key, __u32 klen, __u32 stamp,
			       __u32 vlen)
{
	if (e) {
		o->x_updates++;
	} else {
		e = model_add(&o->m, key, klen);
		o->x_inserts++;
		w->entries++;
		set_max(&sh->max_count, o->m.n);
	}
	e->stamp = stamp;
	e->vlen = vlen;
	return e;
}

/* The model of map @o after the kernel deleted entry @e; counts it. */
static void model_erase(struct world *w, struct obj *o, struct ent *e)
{
	model_del(&o->m, e);
	o->x_deletes++;
	w->entries--;
}

static const __u32 update_flags[] = {
	HMAP_ANY, HMAP_ANY, HMAP_NOEXIST, HMAP_EXIST,
};

enum efault {
	EF_NONE, EF_FLAGS, EF_KLEN0, EF_KLEN_BIG, EF_KEY_PTR, EF_VLEN_BIG,
	EF_VAL_PTR, EF_ROOM, EF_DEL_VAL,
};

static const char * const ef_names[] = {
	"", "bad-flags", "key_len-0", "key_len-big", "bad-key-pointer",
	"value_len-big", "bad-value-pointer", "small-room", "delete-with-value",
};

static void op_elem(struct world *w, struct rng *r, unsigned long cmd)
{
	static const enum efault lookup_faults[] = {
		EF_FLAGS, EF_KLEN0, EF_KLEN_BIG, EF_KEY_PTR, EF_VAL_PTR,
		EF_ROOM, EF_ROOM,
	};
	static const enum efault update_faults[] = {
		EF_FLAGS, EF_KLEN0, EF_KLEN_BIG, EF_KEY_PTR, EF_VLEN_BIG,
		EF_VAL_PTR,
	};
	static const enum efault delete_faults[] = {
		EF_FLAGS, EF_KLEN0, EF_KLEN_BIG, EF_KEY_PTR, EF_DEL_VAL,
	};
	const char *what = cmd == HMAP_IOC_LOOKUP ? "LOOKUP" :
			   cmd == HMAP_IOC_UPDATE ? "UPDATE" : "DELETE";
	struct fslot *s = map_slot(w, r, cmd_fmode(cmd));
	enum argf af = pick_argf(r, 10);
	struct hmap_elem_op op = { 0 };
	struct obj *o = s->f->o;
	enum efault ef = EF_NONE;
	__u32 klen, vlen = 0, room = 0, stamp = 0, bufsz = 0, i;
	__u8 *key, *kp, *vp = NULL;
	eset pre = 0, exp = 0;
	struct ent *e = NULL;
	bool edge = false;
	struct arg a;
	int err;

	pre |= gate(s->f, cmd);
	pre |= argf_err(af);
	if (!o) {
		op.key = uptr(w->mem.rw);
		op.key_len = 1 + below(r, 8);
		describe(w, "%s %s arg %s", what, slot_str(s), argf_names[af]);
		place_arg(w, r, &op, sizeof(op), af, &a);
		err = hioctl(s->fd, cmd, a.addr);
		check_errno(w, what, err, pre);
		return;
	}
	if (chance(r, 30))
		ef = cmd == HMAP_IOC_LOOKUP ? PICK(r, lookup_faults) :
		     cmd == HMAP_IOC_UPDATE ? PICK(r, update_faults) :
		     PICK(r, delete_faults);

	/* The key, and where it is. */
	key = mem_get(&w->mem, o->ks, 0);
	klen = pick_key(r, o, key, false);
	i = below(r, 100);
	if (ef == EF_KEY_PTR) {
		kp = chance(r, 50) ? (__u8 *)(uintptr_t)bad_field_ptr(w, r, false) :
		     mem_edge(&w->mem, klen, below(r, klen));
		pre |= E(EFAULT);
	} else if (i < 8) {
		kp = mem_edge(&w->mem, klen, klen);
		memcpy(kp, key, klen);
		edge = true;
	} else if (i < 12) {
		kp = w->mem.ro + PAGE + below(r, PAGE - klen);
		memcpy(key, kp, klen);
	} else {
		kp = key;
	}
	op.key = uptr(kp);
	op.key_len = klen;
	if (ef == EF_KLEN0) {
		op.key_len = 0;
		pre |= E(EINVAL);
	} else if (ef == EF_KLEN_BIG) {
		static const __u32 over[] = { 1, 8, 0x80000000, 0 };

		op.key_len = PICK(r, over) ?: 0xffffffff - o->ks;
		op.key_len += o->ks;
		pre |= E(EINVAL);
	}

	switch (cmd) {
	case HMAP_IOC_UPDATE:
		op.flags = PICK(r, update_flags);
		if (ef == EF_FLAGS) {
			op.flags = chance(r, 50) ? 3 + below(r, 100) :
				   1U << (2 + below(r, 30));
			pre |= E(EINVAL);
		}
		vlen = pick_vlen(r, o->vs);
		stamp = ++w->stamp;
		if (ef == EF_VAL_PTR) {
			if (!vlen)
				vlen = 1;
			vp = chance(r, 50) ?
			     (__u8 *)(uintptr_t)bad_field_ptr(w, r, false) :
			     mem_edge(&w->mem, vlen, below(r, vlen));
			pre |= E(EFAULT);
		} else if (!vlen && chance(r, 30)) {
			vp = (__u8 *)(uintptr_t)PICK(r, bad_ptrs);
		} else if (!edge && chance(r, 8)) {
			vp = mem_edge(&w->mem, vlen, vlen);
			val_bytes(stamp, vlen, vp);
		} else {
			vp = mem_get(&w->mem, vlen, chance(r, 10));
			val_bytes(stamp, vlen, vp);
		}
		op.value = uptr(vp);
		op.value_len = vlen;
		if (ef == EF_VLEN_BIG) {
			op.value_len = o->vs + PICK(r, ((const __u32[]){
					1, 2, 100, 0xffffffff - o->vs }));
			pre |= E(EINVAL);
		}
		break;
	case HMAP_IOC_LOOKUP:
		if (ef == EF_FLAGS) {
			op.flags = 1U << below(r, 32);
			pre |= E(EINVAL);
		}
		switch (below(r, 5)) {
		case 0:
			room = o->vs + 1;
			break;
		case 1:
			room = 0xffffffff;
			break;
		case 2:
			room = 2 * o->vs;
			break;
		default:
			room = o->vs;
			break;
		}
		if (ef == EF_ROOM)
			room = below(r, o->vs + 1);
		bufsz = room < o->vs ? room : o->vs;
		vp = mem_get(&w->mem, bufsz + 64, 0);
		memset(vp, 0x5a, bufsz + 64);
		op.value = ef == EF_VAL_PTR ? bad_field_ptr(w, r, true) :
			   uptr(vp);
		op.value_len = room;
		break;
	default:
		if (ef == EF_FLAGS) {
			op.flags = 1U << below(r, 32);
			pre |= E(EINVAL);
		} else if (ef == EF_DEL_VAL) {
			if (chance(r, 50))
				op.value = chance(r, 50) ? uptr(w->mem.rw) :
					   rnd(r) | 1;
			else
				op.value_len = 1 + below(r, 0xfffffffe);
			pre |= E(EINVAL);
		}
		break;
	}

	if (!pre) {
		e = model_find(&o->m, key, klen);
		switch (cmd) {
		case HMAP_IOC_LOOKUP:
			if (!e) {
				exp = E(ENOENT);
				break;
			}
			if (e->vlen > room)
				exp |= E(ENOSPC);
			else if (ufault(&w->mem, op.value, e->vlen, true))
				exp |= E(EFAULT);
			if (af == AF_RO)
				exp |= E(EFAULT);
			break;
		case HMAP_IOC_UPDATE:
			if (op.flags == HMAP_NOEXIST && e)
				exp = E(EEXIST);
			else if (op.flags == HMAP_EXIST && !e)
				exp = E(ENOENT);
			else if (!e && o->m.n >= o->maxe)
				exp = E(E2BIG);
			break;
		default:
			if (!e)
				exp = E(ENOENT);
			break;
		}
	}
	describe(w, "%s %s arg %s %s flags %#x key_len %u (%s) value %#llx value_len %u",
		 what, slot_str(s), argf_names[af], ef_names[ef], op.flags,
		 op.key_len, e ? "present" : "absent",
		 (unsigned long long)op.value, op.value_len);
	place_arg(w, r, &op, sizeof(op), af, &a);
	err = fioctl(w, r, s->fd, cmd, a.addr);
	if (injected_enomem(w, err)) {
		check_arg_untouched(w, &a, false);
		verify_key(w, o, key, klen);
		return;
	}
	check_errno(w, what, err, pre ? pre : exp ? exp : E(0));
	check_arg_untouched(w, &a, false);
	if (pre)
		return;

	switch (cmd) {
	case HMAP_IOC_LOOKUP:
		if (e)
			o->x_hits++;
		else
			o->x_misses++;
		if (a.p && af != AF_RO) {
			read_arg(&a, &op);
			if ((!err || err == ENOSPC) && op.value_len != e->vlen)
				fail(w, "LOOKUP value_len out %u, the value has %u",
				     op.value_len, e->vlen);
			if (err == ENOENT && op.value_len != room)
				fail(w, "LOOKUP of an absent key wrote value_len %u",
				     op.value_len);
		}
		/* Read-only struct: the value was copied, value_len not. */
		if (op.value != uptr(vp) || af == AF_RO)
			break;
		if (!err && !val_eq(e->stamp, e->vlen, vp))
			fail(w, "LOOKUP returned another value (%u bytes)",
			     e->vlen);
		i = err ? 0 : e->vlen;
		i += bytes_not(vp + i, bufsz + 64 - i, 0x5a);
		if (i < bufsz + 64)
			fail(w, "LOOKUP (%s) wrote byte %u of the value buffer (%u bytes)",
			     ename(err), i, e ? e->vlen : 0);
		break;
	case HMAP_IOC_UPDATE:
		if (!err)
			model_write(w, o, e, key, klen, stamp, vlen);
		break;
	default:
		if (!err)
			model_erase(w, o, e);
		break;
	}
}

/* ---- Batches ---- */

/*
 * Run batch @b on the model, element by element, reading lengths and keys
 * from the memory the kernel will read: how far it gets (the index of the
 * element that fails, or the count) and that element's errnos in @err.
 * The model is changed as the elements before it change the map.
 */
static __u32 batch_sim(struct world *w, struct obj *o, unsigned long cmd,
		       const struct hmap_batch *b, __u32 n,
		       const __u32 *stamps, eset *err)
{
	const struct mem *m = &w->mem;
	__u64 a, ka, va;
	__u32 i, klen, vlen;
	struct ent *e;

	*err = 0;
	for (i = 0; i < b->count; i++) {
		struct bexp *x = &w->bx[i];

		if (i > n)
			fail(w, "batch simulation past its data (fuzzer bug)");
		memset(x, 0, sizeof(*x));
		if (b->key_lens) {
			if (!uelem(b->key_lens, i, 4, &a) ||
			    ufault(m, a, 4, false))
				goto efault;
			memcpy(&klen, (void *)(uintptr_t)a, 4);
		} else {
			klen = o->ks;
		}
		if (!klen || klen > o->ks)
			goto einval;
		if (!uelem(b->keys, i, o->ks, &ka) || ufault(m, ka, klen, false))
			goto efault;
		x->key = (const __u8 *)(uintptr_t)ka;
		x->klen = klen;
		e = model_find(&o->m, x->key, klen);
		switch (cmd) {
		case HMAP_IOC_BATCH_LOOKUP:
			if (!e) {
				o->x_misses++;
				x->ctr = CTR_MISS;
				*err = E(ENOENT);
				return i;
			}
			o->x_hits++;
			x->ctr = CTR_HIT;
			x->stamp = e->stamp;
			x->vlen = e->vlen;
			if (!uelem(b->values, i, o->vs, &va) ||
			    ufault(m, va, e->vlen, true))
				goto efault;
			x->va = va;
			if (b->value_lens &&
			    (!uelem(b->value_lens, i, 4, &a) ||
			     ufault(m, a, 4, true)))
				goto efault;
			x->vla = b->value_lens ? a : 0;
			break;
		case HMAP_IOC_BATCH_UPDATE:
			if (b->value_lens) {
				if (!uelem(b->value_lens, i, 4, &a) ||
				    ufault(m, a, 4, false))
					goto efault;
				memcpy(&vlen, (void *)(uintptr_t)a, 4);
			} else {
				vlen = o->vs;
			}
			if (vlen > o->vs)
				goto einval;
			if (!uelem(b->values, i, o->vs, &va) ||
			    ufault(m, va, vlen, false))
				goto efault;
			if (b->flags == HMAP_NOEXIST && e) {
				*err = E(EEXIST);
				return i;
			}
			if (b->flags == HMAP_EXIST && !e) {
				*err = E(ENOENT);
				return i;
			}
			if (!e && o->m.n >= o->maxe) {
				*err = E(E2BIG);
				return i;
			}
			if (i >= n)
				fail(w, "batch simulation past its values (fuzzer bug)");
			if (!val_eq(stamps[i], vlen, (const __u8 *)(uintptr_t)va)) {
				const __u8 *v = (const __u8 *)(uintptr_t)va;
				__u8 want[8];

				val_bytes(stamps[i], 8, want);
				fail(w, "%s %u (%u, %u at %#llx): %02x%02x%02x%02x/%02x%02x%02x",
				     "fuzzer bug: not written: value",
				     i, stamps[i], vlen, (unsigned long long)va,
				     v[0], v[1], v[2], v[3], want[0], want[1],
				     want[2]);
			}
			x->had = e;
			x->ctr = e ? CTR_UPDATE : CTR_INSERT;
			if (e) {
				x->ostamp = e->stamp;
				x->ovlen = e->vlen;
			}
			model_write(w, o, e, x->key, klen, stamps[i], vlen);
			break;
		default:
			if (!e) {
				*err = E(ENOENT);
				return i;
			}
			x->had = true;
			x->ostamp = e->stamp;
			x->ovlen = e->vlen;
			x->ctr = CTR_DELETE;
			model_erase(w, o, e);
			break;
		}
	}
	return i;
efault:
	*err = E(EFAULT);
	return i;
einval:
	*err = E(EINVAL);
	return i;
}

/* Take back what element @x of a simulated batch added to the counters. */
static void ctr_undo(struct obj *o, const struct bexp *x)
{
	switch (x->ctr) {
	case CTR_HIT:
		o->x_hits--;
		break;
	case CTR_MISS:
		o->x_misses--;
		break;
	case CTR_INSERT:
		o->x_inserts--;
		break;
	case CTR_UPDATE:
		o->x_updates--;
		break;
	case CTR_DELETE:
		o->x_deletes--;
		break;
	default:
		break;
	}
}

/*
 * Undo elements @from..@to-1 of a simulated batch that stopped at @to
 * (after ENOMEM at @from), and the counter element @to added if @at_stop
 * (a lookup's miss).
 */
static void batch_undo(struct world *w, struct obj *o, unsigned long cmd,
		       __u32 from, __u32 to, bool at_stop)
{
	if (at_stop)
		ctr_undo(o, &w->bx[to]);
	while (to-- > from) {
		const struct bexp *x = &w->bx[to];
		struct ent *e;

		ctr_undo(o, x);
		if (cmd == HMAP_IOC_BATCH_LOOKUP)
			continue;
		e = model_find(&o->m, x->key, x->klen);
		if (x->had && !e) {
			e = model_add(&o->m, x->key, x->klen);
			w->entries++;
		} else if (!x->had && e) {
			model_del(&o->m, e);
			w->entries--;
			continue;
		}
		if (e) {
			e->stamp = x->ostamp;
			e->vlen = x->ovlen;
		}
	}
}

static const char * const batch_names[] = { "BATCH_LOOKUP", "BATCH_UPDATE",
					    "BATCH_DELETE" };

/*
 * A BATCH_LOOKUP that did nothing (it failed before any element) wrote
 * no value: its values array, filled with 0x5a, is as it was, as far as
 * it lies in writable memory and below a struct placed against the guard
 * (AF_EDGE: mem_edge() puts it at @a->addr, up to the guard, where an
 * edge array of values ends too).
 */
static void batch_values_untouched(struct world *w, const struct obj *o,
				   __u64 values, __u32 n, const struct arg *a,
				   const char *what)
{
	const __u8 *v = (const __u8 *)(uintptr_t)values;
	const __u8 *end = w->mem.guard;
	size_t len = (size_t)n * o->vs, j;

	if (a->f == AF_EDGE && a->addr < uptr(end))
		end = (const __u8 *)(uintptr_t)a->addr;
	if (values < uptr(w->mem.rw) || values >= uptr(end))
		return;
	if (v + len > end)
		len = end - v;
	j = bytes_not(v, len, 0x5a);
	if (j < len)
		fail(w, "%s failed before any element but wrote value byte %zu",
		     what, j);
}

/*
 * Issue batch @b (built in the arena) through @s and check it against the
 * model: @pre are the errnos of faults found before any element (the
 * batch then does nothing), @n the elements with data and @stamps their
 * values (update).
 */
static void batch_exec(struct world *w, struct rng *r, struct fslot *s,
		       unsigned long cmd, struct hmap_batch *b, __u32 n,
		       const __u32 *stamps, enum argf af, eset pre)
{
	const char *what = batch_names[cmd - HMAP_IOC_BATCH_LOOKUP];
	struct obj *o = s->f->o;
	__u32 stop = 0, count = b->count, i, j;
	__u64 values = b->values;
	eset exp = 0;
	struct arg a;
	int err;

	/*
	 * A read-only struct cannot take @count back: EFAULT before any
	 * element, the map unchanged.
	 */
	if (af == AF_RO && !pre)
		exp = E(EFAULT);
	else if (!pre)
		stop = batch_sim(w, o, cmd, b, n, stamps, &exp);
	describe_more(w, " -> %s", pre ? eset_str(pre) :
		      exp ? eset_str(exp) : "ok");
	if (!pre && af != AF_RO && stop < count)
		describe_more(w, " at element %u", stop);
	place_arg(w, r, b, sizeof(*b), af, &a);
	/*
	 * A read-only struct takes no @count back: after an injected failure
	 * how far the batch got would be unknown, so none is injected.
	 */
	if (af == AF_RO) {
		w->hit = false;
		err = hioctl(s->fd, cmd, a.addr);
	} else {
		err = fioctl(w, r, s->fd, cmd, a.addr);
	}
	if (injected_enomem(w, err)) {
		/* Elements before @count were done, the rest not. */
		check_arg_untouched(w, &a, false);
		if (!a.p)
			return;
		read_arg(&a, b);
		if (pre) {
			if (b->count != count && b->count)
				fail(w, "%s: ENOMEM before any element, count out %u",
				     what, b->count);
			return;
		}
		if (b->count > stop)
			fail(w, "%s: ENOMEM with count %u, beyond the %u elements of the model",
			     what, b->count, stop);
		batch_undo(w, o, cmd, b->count, stop, stop < count);
		for (j = b->count; j < stop; j++)
			verify_key(w, o, w->bx[j].key, w->bx[j].klen);
		stop = b->count;
	} else {
		check_errno(w, what, err, pre ? pre : exp ? exp : E(0));
		check_arg_untouched(w, &a, false);
		if (cmd == HMAP_IOC_BATCH_LOOKUP && (pre || af == AF_RO))
			batch_values_untouched(w, o, values, n, &a, what);
		if (!a.p || af == AF_RO)
			return;
		read_arg(&a, b);
		if (pre) {
			if (b->count != count)
				fail(w, "%s failed before any element but wrote count %u",
				     what, b->count);
			return;
		}
	}
	if (b->count != stop)
		fail(w, "%s count out %u, the model stops at %u of %u", what,
		     b->count, stop, count);
	if (cmd != HMAP_IOC_BATCH_LOOKUP)
		return;
	for (i = 0; i < stop; i++) {
		const struct bexp *x = &w->bx[i];
		const __u8 *v = (const __u8 *)(uintptr_t)x->va;

		if (x->vlen && !val_eq(x->stamp, x->vlen, v))
			fail(w, "%s element %u: another value", what, i);
		if (x->vla && *(const __u32 *)(uintptr_t)x->vla != x->vlen)
			fail(w, "%s element %u: value_len %u, not %u", what, i,
			     *(const __u32 *)(uintptr_t)x->vla, x->vlen);
		if (x->va < uptr(w->mem.rw) ||
		    x->va + o->vs > uptr(w->mem.guard))
			continue;
		j = x->vlen + bytes_not(v + x->vlen, o->vs - x->vlen, 0x5a);
		if (j < o->vs)
			fail(w, "%s element %u: byte %u beyond the value written",
			     what, i, j);
	}
}

/* Copy @len bytes to @p, as far as the memory before the guard goes. */
static void put_bytes(const struct mem *m, __u8 *p, const void *src,
		      size_t len)
{
	if (p >= m->guard)
		return;
	if (p + len > m->guard)
		len = m->guard - p;
	memcpy(p, src, len);
}

/* An array of @n @size-byte elements whose element @f meets the guard. */
static __u8 *edge_array(struct world *w, struct rng *r, __u32 f, size_t size)
{
	return w->mem.guard - (size_t)f * size - below(r, size);
}

static void op_batch(struct world *w, struct rng *r, unsigned long cmd)
{
	struct fslot *s = map_slot(w, r, cmd_fmode(cmd));
	const char *what = batch_names[cmd - HMAP_IOC_BATCH_LOOKUP];
	enum argf af = pick_argf(r, 8);
	struct hmap_batch b = { 0 };
	struct obj *o = s->f->o;
	bool lens, vl, huge = false;
	__u32 n, cnt, i, f = 0, ks, vs;
	__u8 *keys, *vals = NULL, *key, *vtmp;
	__u32 *klens = NULL, *vlens = NULL, *stamps;
	unsigned int pl, k;
	eset pre = 0;
	int err;

	pre |= gate(s->f, cmd);
	pre |= argf_err(af);
	if (!o) {
		struct arg a;

		b.count = 1 + below(r, 4);
		b.keys = uptr(w->mem.rw);
		describe(w, "%s %s arg %s", what, slot_str(s), argf_names[af]);
		place_arg(w, r, &b, sizeof(b), af, &a);
		err = hioctl(s->fd, cmd, a.addr);
		check_errno(w, what, err, pre);
		return;
	}
	ks = o->ks;
	vs = o->vs;
	k = below(r, 100);
	n = k < 5 ? 0 : k < 60 ? 1 + below(r, 16) : k < 90 ?
	    17 + below(r, BATCH_MAX - 16) : below(r, 16);
	if (k >= 90)
		huge = true;
	if (n && (size_t)n * vs > BATCH_BYTES)
		n = BATCH_BYTES / vs;
	cnt = huge ? PICK(r, ((const __u32[]){ 0xffffffff, 0x80000000,
					      n + 1 + below(r, 1000) })) : n;
	lens = chance(r, 60);
	vl = cmd != HMAP_IOC_BATCH_DELETE && chance(r, 50);
	pl = huge ? 999 : below(r, 100);

	/* Arrays: normal, or one of them meeting the guard at element @f. */
	f = n ? below(r, n) : 0;
	if (huge)
		f = n;
	keys = pl == 999 ? w->mem.guard - (size_t)n * ks :
	       pl >= 70 && pl < 76 ? edge_array(w, r, f, ks) :
	       mem_get(&w->mem, (size_t)(n + 1) * ks, 0);
	if (pl >= 92 && pl < 96 && n * ks <= PAGE / 2) {
		keys = w->mem.ro + PAGE + below(r, PAGE / 2);
		lens = chance(r, 80);
	}
	if (lens)
		klens = pl >= 76 && pl < 80 ? (__u32 *)edge_array(w, r, f, 4) :
			mem_get(&w->mem, (n + 1) * 4, 0);
	if (cmd != HMAP_IOC_BATCH_DELETE) {
		vals = pl >= 80 && pl < 86 ? edge_array(w, r, f, vs) :
		       mem_get(&w->mem, (size_t)(n + 1) * vs, 0);
		/* What LOOKUP must not write stays 0x5a. */
		if (cmd == HMAP_IOC_BATCH_LOOKUP)
			memset(vals, 0x5a,
			       vals + (size_t)(n + 1) * vs > w->mem.guard ?
			       (size_t)(w->mem.guard - vals) :
			       (size_t)(n + 1) * vs);
		if (cmd == HMAP_IOC_BATCH_LOOKUP && pl >= 96)
			vals = w->mem.ro;
	}
	if (vl)
		vlens = pl >= 86 && pl < 89 ? (__u32 *)edge_array(w, r, f, 4) :
			mem_get(&w->mem, (n + 1) * 4, 0);
	stamps = mem_get(&w->mem, (n + 1) * 4, 0);
	key = mem_get(&w->mem, ks, 0);
	vtmp = mem_get(&w->mem, vs, 0);

	for (i = 0; i < n; i++) {
		__u32 klen, vlen;

		if (keys >= w->mem.ro && keys < w->mem.ro + RO_PAGES * PAGE) {
			klen = lens ? 1 + below(r, ks) : ks;
		} else {
			memset(key, 0, ks);
			klen = pick_key(r, o, key, !lens);
			put_bytes(&w->mem, keys + (size_t)i * ks, key, ks);
		}
		if (lens)
			put_bytes(&w->mem, (__u8 *)&klens[i], &klen, 4);
		if (cmd == HMAP_IOC_BATCH_UPDATE) {
			vlen = vl ? pick_vlen(r, vs) : vs;
			stamps[i] = ++w->stamp;
			val_bytes(stamps[i], vlen, vtmp);
			put_bytes(&w->mem, vals + (size_t)i * vs, vtmp, vlen);
			if (vl)
				put_bytes(&w->mem, (__u8 *)&vlens[i], &vlen, 4);
		} else if (vl) {
			vlen = 0x5a5a5a5a;
			put_bytes(&w->mem, (__u8 *)&vlens[i], &vlen, 4);
		}
	}
	if (huge && lens) {
		__u32 klen = below(r, 3) ? 1 + below(r, ks) : 0;

		klens[n] = klen;
	}
	/* A bad length at element @f. */
	if (!huge && n && lens && chance(r, 8)) {
		__u32 bad = chance(r, 50) ? 0 : chance(r, 50) ? ks + 1 :
			    ks + 1 + below(r, 0xffffffff - ks);

		put_bytes(&w->mem, (__u8 *)&klens[f], &bad, 4);
	} else if (!huge && n && vl && cmd == HMAP_IOC_BATCH_UPDATE &&
		   chance(r, 8)) {
		__u32 bad = vs + 1 + below(r, 0xfffffffe - vs);

		put_bytes(&w->mem, (__u8 *)&vlens[f], &bad, 4);
	}

	b.flags = cmd == HMAP_IOC_BATCH_UPDATE ? PICK(r, update_flags) : 0;
	b.count = cnt;
	b.keys = uptr(keys);
	b.key_lens = uptr(klens);
	b.values = uptr(vals);
	b.value_lens = uptr(vlens);
	/* One bad pointer. */
	if (pl >= 89 && pl < 92) {
		__u64 bad = bad_field_ptr(w, r, cmd == HMAP_IOC_BATCH_LOOKUP);

		switch (below(r, 4)) {
		case 0:
			b.keys = bad;
			break;
		case 1:
			b.key_lens = bad;
			break;
		case 2:
			b.values = bad;
			break;
		default:
			/* Zero would mean "every value is value_size long". */
			b.value_lens = bad ?: 1;
			break;
		}
	}
	switch (chance(r, 12) ? below(r, 3) : 9) {
	case 0:
		b.flags = cmd == HMAP_IOC_BATCH_UPDATE ?
			  (chance(r, 50) ? 3 + below(r, 100) :
			   1U << (2 + below(r, 30))) : 1U << below(r, 32);
		pre |= E(EINVAL);
		break;
	case 1:
		b.__reserved = 1U << below(r, 32);
		pre |= E(EINVAL);
		break;
	case 2:
		if (cmd == HMAP_IOC_BATCH_DELETE) {
			if (chance(r, 50))
				b.values = uptr(w->mem.rw);
			else
				b.value_lens = uptr(w->mem.rw);
			pre |= E(EINVAL);
		}
		break;
	default:
		break;
	}
	if (cmd == HMAP_IOC_BATCH_DELETE && (b.values || b.value_lens))
		pre |= E(EINVAL);
	describe(w, "%s %s arg %s count %u (%u with data, %s) flags %#x reserved %#x",
		 what, slot_str(s), argf_names[af], cnt, n,
		 pl == 999 ? "huge" : pl < 70 ? "normal" : "edge or bad",
		 b.flags, b.__reserved);
	describe_more(w, " keys %#llx key_lens %#llx values %#llx value_lens %#llx",
		      (unsigned long long)b.keys,
		      (unsigned long long)b.key_lens,
		      (unsigned long long)b.values,
		      (unsigned long long)b.value_lens);
	batch_exec(w, r, s, cmd, &b, n, stamps, af, pre);
}

/* ---- DUMP ---- */

/* The arrays one DUMP call fills. */
struct dbuf {
	__u8 *keys;
	__u32 *klens;
	__u8 *vals;		/* NULL: keys only */
	__u32 *vlens;		/* NULL: lengths not wanted */
	__u32 room;		/* entries they hold */
};

static void dbuf_get(struct world *w, struct rng *r, const struct obj *o,
		     struct dbuf *d, __u32 room)
{
	memset(d, 0, sizeof(*d));
	d->room = room;
	d->keys = mem_get(&w->mem, (size_t)room * o->ks + 64, 0);
	memset(d->keys, 0x5a, (size_t)room * o->ks + 64);
	d->klens = mem_get(&w->mem, room * 4 + 64, 0);
	memset(d->klens, 0x5a, room * 4 + 64);
	if (chance(r, 70)) {
		d->vals = mem_get(&w->mem, (size_t)room * o->vs + 64, 0);
		memset(d->vals, 0x5a, (size_t)room * o->vs + 64);
		if (chance(r, 60)) {
			d->vlens = mem_get(&w->mem, room * 4 + 64, 0);
			memset(d->vlens, 0x5a, room * 4 + 64);
		}
	}
}

/* Entries a buffer of @bytes holds at most, for @per bytes each. */
static __u32 room_for(__u64 bytes, __u64 per)
{
	return per ? (__u32)(bytes / per) : 0;
}

/* A write between two calls of a dump walk, decided by @x in advance. */
static void walk_write(struct world *w, struct rng *r, struct fslot *ws,
		       struct obj *o, __u32 x, struct model *touched)
{
	struct hmap_elem_op op = { .argsz = sizeof(op) };
	__u8 *key = mem_get(&w->mem, o->ks, 0);
	__u8 *val = mem_get(&w->mem, o->vs, 0);
	__u32 klen = gen_key(o, x % o->kspace, key);
	struct ent *e = model_find(&o->m, key, klen);
	int err;

	op.key = uptr(key);
	op.key_len = klen;
	if (!model_find(touched, key, klen))
		model_add(touched, key, klen);
	if (x & 0x10000) {
		if (!e)
			return;
		err = fioctl(w, r, ws->fd, HMAP_IOC_DELETE, uptr(&op));
		if (injected_enomem(w, err)) {
			verify_key(w, o, key, klen);
			return;
		}
		check_errno(w, "DELETE during a dump", err, E(0));
		model_erase(w, o, e);
		return;
	}
	if (!e && o->m.n >= o->maxe)
		return;
	op.value = uptr(val);
	op.value_len = (x >> 20) % (o->vs < 32 ? o->vs + 1 : 33);
	val_bytes(++w->stamp, op.value_len, val);
	err = fioctl(w, r, ws->fd, HMAP_IOC_UPDATE, uptr(&op));
	if (injected_enomem(w, err)) {
		verify_key(w, o, key, klen);
		return;
	}
	check_errno(w, "UPDATE during a dump", err, E(0));
	model_write(w, o, e, key, klen, w->stamp, op.value_len);
}

/*
 * A walk over the whole map in several DUMP calls: no key twice, every
 * key of the model with its value, nothing else, and an end. With
 * @writes, writes decided in advance are made between the calls (the
 * keys they touch may or may not be seen; all others must be, exactly
 * once). With @faulty, one call has a bad pointer or a read-only struct.
 */
static void dump_walk(struct world *w, struct rng *r, struct fslot *s,
		      bool writes, bool faulty)
{
	struct obj *o = s->f->o;
	struct model seen = { 0 }, touched = { 0 };
	__u32 planned = writes ? 1 + below(r, 6) : 0, done_writes = 0;
	__u32 ops[8], ks = o->ks, vs = o->vs, i, j;
	unsigned long calls = 0, limit = 4UL * o->m.n + 4200;
	struct fslot *ws = NULL;
	bool done = false;
	__u64 cursor = 0;
	__u32 faulty_call = faulty ? below(r, 4) : ~0U;

	/* The writes: through an fd that may write this map. */
	if (planned) {
		for (i = 0; i < NFD; i++)
			if (w->fd[i].fd >= 0 && w->fd[i].f->o == o &&
			    (w->fd[i].f->may & MAY_W) &&
			    (acc_rights(w->fd[i].f->acc) & MAY_W))
				ws = &w->fd[i];
		if (!ws)
			planned = 0;
	}
	for (i = 0; i < planned; i++)
		ops[i] = (__u32)rnd(r);

	while (!done) {
		struct hmap_dump d = { .argsz = sizeof(d) };
		__u32 rem = o->m.n - (seen.n < o->m.n ? seen.n : o->m.n);
		__u32 room, want, per;
		struct dbuf db;
		enum argf af = AF_NONE;
		eset exp = E(0) | E(ENOSPC);
		bool bad = false, v, vl;
		struct arg a;
		int err;

		if (++calls > limit)
			fail(w, "DUMP walk does not end: %lu calls for %u entries",
			     calls, o->m.n);
		w->mem.top = 0;
		switch (below(r, 10)) {
		case 0:
			room = chance(r, 20) ? 0 : 1;
			break;
		case 1:
			room = 2 + below(r, 6);
			break;
		case 2:
			room = rem + 1;
			break;
		case 3:
			room = 0xffffffff;
			break;
		case 4:
			room = 500;
			break;
		default:
			room = 1 + below(r, 64);
			break;
		}
		memset(&db, 0, sizeof(db));
		v = chance(r, 70);
		vl = v && chance(r, 60);
		per = ks + 4 + (v ? vs + 4 : 0);
		/* Buffers for what can come back: rem, plus what writes add. */
		want = rem + (writes ? 300 : 0);
		if (room < want)
			want = room;
		if (want > room_for(BATCH_BYTES, per)) {
			want = room_for(BATCH_BYTES, per);
			room = want;
		}
		db.room = want;
		db.keys = mem_get(&w->mem, (size_t)want * ks + 64, 0);
		memset(db.keys, 0x5a, (size_t)want * ks + 64);
		db.klens = mem_get(&w->mem, want * 4 + 64, 0);
		memset(db.klens, 0x5a, want * 4 + 64);
		if (v) {
			db.vals = mem_get(&w->mem, (size_t)want * vs + 64, 0);
			memset(db.vals, 0x5a, (size_t)want * vs + 64);
		}
		if (vl) {
			db.vlens = mem_get(&w->mem, want * 4 + 64, 0);
			memset(db.vlens, 0x5a, want * 4 + 64);
		}
		d.count = room;
		d.cursor = cursor;
		d.keys = uptr(db.keys);
		d.key_lens = uptr(db.klens);
		d.values = uptr(db.vals);
		d.value_lens = uptr(db.vlens);
		if (chance(r, 5))
			d.flags = HMAP_DUMP_DONE;	/* ignored on input */
		if (calls - 1 == faulty_call) {
			/* One bad pointer or struct: EFAULT, cursor kept. */
			/* Not zero: that means "not wanted" for some. */
			__u64 p = bad_field_ptr(w, r, true) ?: 1;

			switch (below(r, 5)) {
			case 0:
				d.keys = p;
				bad = ufault(&w->mem, p, (__u64)ks, true);
				break;
			case 1:
				d.key_lens = p;
				bad = true;
				break;
			case 2:
				bad = d.values;
				if (bad)
					d.values = p;
				break;
			case 3:
				bad = d.value_lens;
				if (bad)
					d.value_lens = p;
				break;
			default:
				af = AF_RO;
				break;
			}
			if (bad || af == AF_RO)
				exp |= E(EFAULT);
			if (af == AF_RO)
				exp = E(EFAULT);
		}
		describe(w, "DUMP walk %s call %lu cursor %#llx room %u vals %s lens %s seen %u %s",
			 slot_str(s), calls, (unsigned long long)cursor, room,
			 d.values ? "yes" : "no", d.value_lens ? "yes" : "no",
			 seen.n, exp & E(EFAULT) ? "(faulty)" : "");
		place_arg(w, r, &d, sizeof(d), af, &a);
		/* Read-only: nothing comes back, ENOMEM or EFAULT alike. */
		if (af == AF_RO) {
			w->hit = false;
			err = hioctl(s->fd, HMAP_IOC_DUMP, a.addr);
		} else {
			err = fioctl(w, r, s->fd, HMAP_IOC_DUMP, a.addr);
		}
		if (injected_enomem(w, err)) {
			check_arg_untouched(w, &a, false);
			continue;	/* the same cursor again */
		}
		check_errno(w, "DUMP", err, exp);
		check_arg_untouched(w, &a, false);
		if (err == EFAULT) {
			/* Right only if something was to be written there. */
			__u64 n = room < rem ? room : rem;

			if (af != AF_RO && !writes &&
			    !ufault(&w->mem, d.keys, n * ks, true) &&
			    !ufault(&w->mem, d.key_lens, n * 4, true) &&
			    !(d.values && ufault(&w->mem, d.values, n * vs, true)) &&
			    !(d.value_lens && ufault(&w->mem, d.value_lens, n * 4, true)))
				fail(w, "DUMP failed EFAULT, but %llu entries fit where they go",
				     (unsigned long long)n);
			continue;
		}
		read_arg(&a, &d);
		if (err == ENOSPC) {
			/* Equal hashes that do not fit: count is the room needed. */
			if (d.count <= room)
				fail(w, "DUMP ENOSPC with count %u for room %u",
				     d.count, room);
			cursor = d.cursor;
			continue;
		}
		if (d.count > room || (!writes && d.count > rem))
			fail(w, "DUMP returned %u entries for room %u, %u left",
			     d.count, room, rem);
		if (d.flags & ~HMAP_DUMP_DONE)
			fail(w, "DUMP flags out %#x", d.flags);
		if (d.count && bad)
			fail(w, "DUMP wrote %u entries through a bad pointer and succeeded",
			     d.count);
		for (i = 0; i < d.count; i++) {
			const __u8 *k = db.keys + (size_t)i * ks;
			__u32 klen = db.klens[i];
			struct ent *e;

			if (!klen || klen > ks)
				fail(w, "DUMP entry %u: key_len %u", i, klen);
			for (j = klen; j < ks; j++)
				if (k[j])
					fail(w, "DUMP entry %u: key byte %u (key_len %u) is %#x",
					     i, j, klen, k[j]);
			if (model_find(&seen, k, klen))
				fail(w, "DUMP returned a key twice (entry %u, %u seen)",
				     i, seen.n);
			model_add(&seen, k, klen);
			if (model_find(&touched, k, klen))
				continue;
			e = model_find(&o->m, k, klen);
			if (!e)
				fail(w, "DUMP returned a key the map does not hold (entry %u)",
				     i);
			if (db.vlens && db.vlens[i] != e->vlen)
				fail(w, "DUMP entry %u: value_len %u, not %u", i,
				     db.vlens[i], e->vlen);
			if (db.vals) {
				const __u8 *v = db.vals + (size_t)i * vs;

				if (!val_eq(e->stamp, e->vlen, v))
					fail(w, "DUMP entry %u: another value", i);
				j = e->vlen + bytes_not(v + e->vlen,
							vs - e->vlen, 0);
				if (j < vs)
					fail(w, "DUMP entry %u: value byte %u (%u) is %#x",
					     i, j, e->vlen, v[j]);
			}
		}
		/* Nothing beyond what was returned. */
		i = d.count * ks;
		i += bytes_not(db.keys + i, db.room * ks + 64 - i, 0x5a);
		if (i < db.room * ks + 64)
			fail(w, "DUMP of %u entries wrote key byte %u", d.count, i);
		if (d.flags & HMAP_DUMP_DONE)
			done = true;
		else if (d.cursor == cursor && d.count && room)
			fail(w, "DUMP returned entries but kept the cursor");
		cursor = d.cursor;
		/* The planned writes, one after each call. */
		if (done_writes < planned && !done)
			walk_write(w, r, ws, o, ops[done_writes++], &touched);
	}
	/* The rest, so that the model's end state does not depend on the walk. */
	while (done_writes < planned)
		walk_write(w, r, ws, o, ops[done_writes++], &touched);
	/* Every key there all along, untouched, was seen. */
	for (i = 0; i < o->m.n; i++) {
		const struct ent *e = &o->m.e[i];

		if (!model_find(&touched, e->key, e->klen) &&
		    !model_find(&seen, e->key, e->klen))
			fail(w, "DUMP walk missed a key (%u of %u seen, %lu calls)",
			     seen.n, o->m.n, calls);
	}
	/* At the end, the end again. */
	if (chance(r, 30)) {
		struct hmap_dump d = { .argsz = sizeof(d), .count = 4,
				       .cursor = cursor };
		__u8 *k = mem_get(&w->mem, 4 * ks, 0);
		__u32 *kl = mem_get(&w->mem, 16, 0);
		int err;

		d.keys = uptr(k);
		d.key_lens = uptr(kl);
		err = hioctl(s->fd, HMAP_IOC_DUMP, uptr(&d));
		check_errno(w, "DUMP at the end", err, E(0));
		if (d.count || !(d.flags & HMAP_DUMP_DONE))
			fail(w, "DUMP at the end cursor: %u entries, flags %#x",
			     d.count, d.flags);
	}
	model_free(&seen);
	model_free(&touched);
	inc(&sh->dumps);
}

/* One DUMP call with faults in its struct. */
static void dump_faulty(struct world *w, struct rng *r, struct fslot *s)
{
	enum argf af = pick_argf(r, 50);
	struct hmap_dump d = { 0 };
	struct obj *o = s->f->o;
	eset exp = 0, maybe = 0;
	struct dbuf db;
	struct arg a;
	int err;

	exp |= gate(s->f, HMAP_IOC_DUMP);
	exp |= argf_err(af);
	d.count = below(r, 8);
	if (o) {
		dbuf_get(w, r, o, &db, d.count);
		d.keys = uptr(db.keys);
		d.key_lens = uptr(db.klens);
		d.values = uptr(db.vals);
		d.value_lens = uptr(db.vlens);
	}
	switch (below(r, 5)) {
	case 0:
		d.flags = 2U << below(r, 31);
		exp |= E(EINVAL);
		break;
	case 1:
		d.__reserved = 1U << below(r, 32);
		exp |= E(EINVAL);
		break;
	case 2:
		d.value_lens = uptr(w->mem.rw);
		d.values = 0;
		exp |= E(EINVAL);
		break;
	case 3:
		/* A cursor the map did not hand out: EINVAL, or some position. */
		d.cursor = rnd(r) | 1;
		maybe = E(EINVAL) | E(0);
		break;
	default:
		break;
	}
	/* In read-only memory: the struct cannot be written back. */
	if (af == AF_RO && o && !exp)
		maybe = maybe ? (maybe & ~E(0)) | E(EFAULT) : E(EFAULT);
	if (!exp && !maybe)
		maybe = E(0);
	describe(w, "DUMP %s arg %s flags %#x reserved %#x cursor %#llx count %u",
		 slot_str(s), argf_names[af], d.flags, d.__reserved,
		 (unsigned long long)d.cursor, d.count);
	place_arg(w, r, &d, sizeof(d), af, &a);
	err = fioctl(w, r, s->fd, HMAP_IOC_DUMP, a.addr);
	if (injected_enomem(w, err))
		return;
	check_errno(w, "DUMP", err, exp ? exp : maybe);
	check_arg_untouched(w, &a, false);
	if (err || !a.p || af == AF_RO || !o)
		return;
	read_arg(&a, &d);
	if (d.count > db.room)
		fail(w, "DUMP returned %u entries for room %u", d.count, db.room);
	for (__u32 i = 0; i < d.count; i++) {
		const __u8 *k = db.keys + (size_t)i * o->ks;
		const struct ent *e = model_find(&o->m, k, db.klens[i]);

		if (db.klens[i] > o->ks || !e)
			fail(w, "DUMP from a random cursor returned a key the map does not hold");
		if (db.vals && !val_eq(e->stamp, e->vlen, db.vals + (size_t)i * o->vs))
			fail(w, "DUMP from a random cursor: another value");
	}
}

static void op_dump(struct world *w, struct rng *r)
{
	struct fslot *s = map_slot(w, r, MAY_R);

	if (gate(s->f, HMAP_IOC_DUMP) || chance(r, 35)) {
		dump_faulty(w, r, s);
		return;
	}
	dump_walk(w, r, s, chance(r, 30), chance(r, 15));
}

/* ---- Bulk traffic: fill to grow, drain to shrink ---- */

static void op_fill(struct world *w, struct rng *r)
{
	struct fslot *s = map_slot(w, r, MAY_W);
	struct obj *o = s->f->o;
	__u32 target, start, chunk, i, per, idx;

	if (!o || gate(s->f, HMAP_IOC_BATCH_UPDATE))
		return;
	target = below(r, o->kspace + 1);
	start = below(r, o->kspace);
	per = o->ks + 4 + o->vs + 4;
	idx = start;
	while (o->m.n < target && o->m.n < o->maxe &&
	       w->entries < ENTRIES_MAX) {
		struct hmap_batch b = { 0 };
		__u32 *klens, *vlens, *stamps;
		__u8 *keys, *vals;

		w->mem.top = 0;
		chunk = target - o->m.n;
		if (chunk > BATCH_MAX)
			chunk = BATCH_MAX;
		if (chunk > room_for(BATCH_BYTES, per))
			chunk = room_for(BATCH_BYTES, per);
		if (!chunk)
			return;
		keys = mem_get(&w->mem, (size_t)chunk * o->ks, 0);
		klens = mem_get(&w->mem, chunk * 4, 0);
		vals = mem_get(&w->mem, (size_t)chunk * o->vs, 0);
		vlens = mem_get(&w->mem, chunk * 4, 0);
		stamps = mem_get(&w->mem, chunk * 4, 0);
		for (i = 0; i < chunk; i++) {
			klens[i] = gen_key(o, idx++ % o->kspace,
					   keys + (size_t)i * o->ks);
			vlens[i] = below(r, (o->vs < 16 ? o->vs : 16) + 1);
			stamps[i] = ++w->stamp;
			val_bytes(stamps[i], vlens[i], vals + (size_t)i * o->vs);
		}
		b.flags = HMAP_ANY;
		b.count = chunk;
		b.keys = uptr(keys);
		b.key_lens = uptr(klens);
		b.values = uptr(vals);
		b.value_lens = uptr(vlens);
		describe(w, "fill %s to %u: %u keys from %u", slot_str(s),
			 target, chunk, idx - chunk);
		batch_exec(w, r, s, HMAP_IOC_BATCH_UPDATE, &b, chunk, stamps,
			   AF_NONE, 0);
		if (b.count < chunk)
			return;		/* full */
	}
}

static void op_drain(struct world *w, struct rng *r)
{
	struct fslot *s = map_slot(w, r, MAY_W);
	struct obj *o = s->f->o;
	__u32 target, chunk, i;

	if (!o || gate(s->f, HMAP_IOC_BATCH_DELETE))
		return;
	target = below(r, o->m.n / 4 + 1);
	while (o->m.n > target) {
		struct hmap_batch b = { 0 };
		__u32 *klens;
		__u8 *keys;

		w->mem.top = 0;
		chunk = o->m.n - target;
		if (chunk > BATCH_MAX)
			chunk = BATCH_MAX;
		keys = mem_get(&w->mem, (size_t)chunk * o->ks, 0);
		klens = mem_get(&w->mem, chunk * 4, 0);
		for (i = 0; i < chunk; i++) {
			/* Distinct entries: the last ones of the model. */
			const struct ent *e = &o->m.e[o->m.n - 1 - i];

			memcpy(keys + (size_t)i * o->ks, e->key, e->klen);
			klens[i] = e->klen;
		}
		b.count = chunk;
		b.keys = uptr(keys);
		b.key_lens = uptr(klens);
		describe(w, "drain %s to %u: %u keys", slot_str(s), target,
			 chunk);
		batch_exec(w, r, s, HMAP_IOC_BATCH_DELETE, &b, chunk, NULL,
			   AF_NONE, 0);
		if (b.count < chunk)
			return;
	}
}

/* ---- A batch that would run for hours, cut short by a signal ---- */

/*
 * The start of a small file (procfs, sysfs, debugfs) into @buf of @size
 * bytes, NUL-terminated: its length, or -1 if it is empty or unreadable.
 */
static ssize_t read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return n;
}

static void print_stack(pid_t tid)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/%d/stack", tid);
	if (read_small_file(path, buf, sizeof(buf)) > 0)
		printf("HMAP-FUZZ:   kernel stack of %d:\n%s", tid, buf);
}

/* Wait up to cfg.hang seconds for @pid; false if it is still running. */
static bool wait_child(pid_t pid, int *status)
{
	unsigned int i;

	for (i = 0; i < cfg.hang * 100; i++) {
		pid_t got = waitpid(pid, status, WNOHANG);

		if (got == pid)
			return true;
		if (got < 0) {
			perror("waitpid");
			exit(1);
		}
		usleep(10000);
	}
	return false;
}

static void op_kill(struct world *w, struct rng *r)
{
	bool update = chance(r, 50);
	int sig = chance(r, 70) ? SIGKILL : SIGTERM, pipefd[2], status;
	unsigned int delay = 20000 + below(r, 200000);
	pid_t pid;
	char c;

	describe(w, "kill test: BATCH_%s of 2^32-1 keys, %s after %u us",
		 update ? "UPDATE" : "LOOKUP", sig == SIGKILL ? "SIGKILL" :
		 "SIGTERM", delay);
	if (pipe(pipefd))
		fail(w, "pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fail(w, "fork: %s", strerror(errno));
	if (!pid) {
		struct hmap_create cr = {
			.argsz = sizeof(cr), .flags = HMAP_CREATE_ANON,
			.key_size = 1, .value_size = 1, .max_entries = 4,
		};
		struct hmap_elem_op op = { .argsz = sizeof(op), .key_len = 1 };
		struct hmap_batch b = { .argsz = sizeof(b), .count = 0xffffffff };
		__u8 zero = 0;
		void *keys;
		int fd;

		close(pipefd[0]);
		fd = open(HMAP_DEV, O_RDWR);
		/* 4 GiB of zero pages: 2^32 keys "\0" of one byte. */
		keys = mmap(NULL, 1UL << 32, PROT_READ,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		op.key = uptr(&zero);
		if (fd < 0 || keys == MAP_FAILED ||
		    ioctl(fd, HMAP_IOC_CREATE, &cr) ||
		    ioctl(fd, HMAP_IOC_UPDATE, &op))
			_exit(2);
		b.keys = uptr(keys);
		/* Lookups find "\0" with an empty value; updates replace it. */
		if (update)
			b.values = uptr(keys);
		if (write(pipefd[1], "g", 1) != 1)
			_exit(2);
		ioctl(fd, update ? HMAP_IOC_BATCH_UPDATE : HMAP_IOC_BATCH_LOOKUP,
		      &b);
		_exit(3);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		fail(w, "kill test child could not start (status %#x)", status);
	}
	close(pipefd[0]);
	usleep(delay);
	inc(&sh->calls[update ? C_BUPDATE : C_BLOOKUP]);
	kill(pid, sig);
	if (!wait_child(pid, &status)) {
		print_stack(pid);
		kill(pid, SIGKILL);
		fail(w, "a batch went on %u s after %s", cfg.hang,
		     sig == SIGKILL ? "SIGKILL" : "SIGTERM");
	}
	if (!WIFSIGNALED(status) || WTERMSIG(status) != sig)
		fail(w, "kill test child ended with status %#x, not signal %d",
		     status, sig);
	inc(&sh->kills);
}

/* ---- The quota of an unprivileged world: exactly max_maps_per_user ---- */

static void op_quota(struct world *w, struct rng *r)
{
	int fds[80];
	unsigned int n = 0, avail = w->max_maps - w->maps, i;
	int err;

	(void)r;
	if (w->priv || avail + 2 > ARRAY_SIZE(fds) ||
	    w->bytes_hi + (avail + 1) * 4096ULL > w->max_bytes)
		return;
	describe(w, "quota: %u maps held, %u more allowed", w->maps, avail);
	for (i = 0; i <= avail; i++) {
		struct hmap_create c = {
			.argsz = sizeof(c), .flags = HMAP_CREATE_ANON,
			.key_size = 1, .value_size = 1, .max_entries = 1,
		};

		fds[n] = open(HMAP_DEV, O_RDWR | O_CLOEXEC);
		if (fds[n] < 0)
			fail(w, "open: %s", strerror(errno));
		err = hioctl(fds[n++], HMAP_IOC_CREATE, uptr(&c));
		check_errno(w, i < avail ? "CREATE within the quota" :
			    "CREATE beyond the quota", err,
			    i < avail ? E(0) : E(EDQUOT));
	}
	while (n)
		close(fds[--n]);
}

/* ---- Chaos: fds shared with a thread and a child, checked loosely ---- */

struct chaos {
	int fd[NCHAOS];
	char xname[NXNAMES][HMAP_NAME_MAX];
	char tname[2][HMAP_NAME_MAX];
	unsigned int ntname;
	__u8 *flaky;		/* pages the thread keeps remapping */
	int stop;
};

static eset chaos_allowed(unsigned long cmd)
{
	const eset common = E(0) | E(EFAULT) | E(EINVAL) | E(E2BIG) |
			    E(EBADF);
	const eset map = common | E(ENOTCONN) | E(EACCES);

	switch (cmd) {
	case HMAP_IOC_VERSION:
		return E(0) | E(EFAULT) | E(EINVAL) | E(E2BIG);
	case HMAP_IOC_CREATE:
		return common | E(EBUSY) | E(EEXIST) | E(EDQUOT) |
		       E(ENAMETOOLONG);
	case HMAP_IOC_OPEN:
		return common | E(EBUSY) | E(ENOENT) |
		       E(EACCES) | E(ENAMETOOLONG);
	case HMAP_IOC_DESTROY:
		return common | E(ENOENT) | E(EACCES) |
		       E(ENAMETOOLONG);
	case HMAP_IOC_LIST:
		return (common & ~E(EBADF));
	case HMAP_IOC_LOOKUP:
		return map | E(ENOENT) | E(ENOSPC);
	case HMAP_IOC_UPDATE:
		return map | E(EEXIST) | E(ENOENT);
	case HMAP_IOC_DELETE:
		return map | E(ENOENT);
	case HMAP_IOC_BATCH_LOOKUP:
	case HMAP_IOC_BATCH_UPDATE:
	case HMAP_IOC_BATCH_DELETE:
		return map | E(ENOENT) | E(EEXIST);
	case HMAP_IOC_DUMP:
		return map | E(ENOSPC);
	case HMAP_IOC_CLEAR:
		return map;
	case HMAP_IOC_SHRINK:
		/* Writers beside it kept starting resizes: try later. */
		return map | E(EAGAIN);
	case HMAP_IOC_STATS:
		return E(0) | E(ENOTCONN) | E(EFAULT) | E(EINVAL);
	default:
		return E(ENOTTY);
	}
}

/* A pointer for the chaos: its own memory, the flaky pages, or nothing. */
static __u64 chaos_ptr(struct chaos *c, struct mem *m, struct rng *r,
		       size_t size)
{
	unsigned int k = below(r, 100);
	__u8 *p;
	size_t i;

	if (k < 60 || !c->flaky) {
		p = chance(r, 20) ? m->guard - below(r, size + 1) :
		    mem_get(m, size, 0);
		for (i = 0; i < size && p + i < m->guard; i += 8)
			p[i] = (__u8)rnd(r);
		return uptr(p);
	}
	if (k < 85)
		return uptr(c->flaky) + below(r, FLAKY_PAGES * PAGE);
	if (k < 95)
		return PICK(r, bad_ptrs);
	return uptr(m->ro);
}

static void chaos_name(struct chaos *c, struct rng *r, char *name,
		       bool may_taint)
{
	memset(name, 0, HMAP_NAME_MAX);
	if (chance(r, 5))
		bad_name(r, name);
	else if (may_taint && c->ntname && chance(r, 30))
		memcpy(name, c->tname[below(r, c->ntname)], HMAP_NAME_MAX);
	else
		memcpy(name, c->xname[below(r, NXNAMES)], HMAP_NAME_MAX);
}

/* Who runs a chaos op: only some may replace fds or remap pages. */
enum actor_kind { ACT_MAIN, ACT_THREAD, ACT_CHILD };

static void chaos_op(struct chaos *c, struct world *w, struct rng *r,
		     enum actor_kind who)
{
	static const unsigned long cmds[] = {
		HMAP_IOC_VERSION, HMAP_IOC_CREATE, HMAP_IOC_CREATE,
		HMAP_IOC_OPEN, HMAP_IOC_OPEN, HMAP_IOC_DESTROY, HMAP_IOC_LIST,
		HMAP_IOC_LOOKUP, HMAP_IOC_UPDATE, HMAP_IOC_UPDATE,
		HMAP_IOC_DELETE, HMAP_IOC_BATCH_LOOKUP, HMAP_IOC_BATCH_UPDATE,
		HMAP_IOC_BATCH_DELETE, HMAP_IOC_DUMP, HMAP_IOC_DUMP,
		HMAP_IOC_CLEAR, HMAP_IOC_SHRINK, HMAP_IOC_STATS,
		_IO(HMAP_IOC_MAGIC, 0x42),
	};
	static const int accs[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR, O_RDWR, 3 };
	union {
		struct hmap_version v;
		struct hmap_create c;
		struct hmap_name n;
		struct hmap_list l;
		struct hmap_elem_op e;
		struct hmap_batch b;
		struct hmap_dump d;
		struct hmap_cmd cmd;
		struct hmap_map_stats st;
		__u8 raw[HMAP_ARGSZ_MAX + 64];
	} *u;
	struct mem *m = &w->mem;
	unsigned int k = below(r, 100);
	int fd = c->fd[below(r, NCHAOS)], err;
	unsigned long cmd;
	size_t size;
	__u64 addr;

	inc(&sh->chaos_ops);
	m->top = 0;
	if (k < 3 && who != ACT_CHILD) {
		/*
		 * The fd is replaced under whoever uses it (not by the
		 * child: its new fd would charge its own quota).
		 */
		int acc = PICK(r, accs), nfd = open(HMAP_DEV, acc | O_CLOEXEC);

		describe(w, "chaos: replace fd %d with a new %s one", fd,
			 acc_name(acc));
		if (nfd < 0 || dup2(nfd, fd) < 0)
			fail(w, "chaos: open or dup2: %s", strerror(errno));
		close(nfd);
		return;
	}
	if (k < 8 && who == ACT_THREAD && c->flaky) {
		/* Pages others point to change under them. */
		__u8 *p = c->flaky + below(r, FLAKY_PAGES) * PAGE;
		static const int prots[] = {
			PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
			PROT_READ | PROT_WRITE,
		};

		describe(w, "chaos: flaky page %p", (void *)p);
		if (chance(r, 25))
			madvise(p, PAGE, MADV_DONTNEED);
		else if (mprotect(p, PAGE, PICK(r, prots)))
			fail(w, "chaos: mprotect: %s", strerror(errno));
		return;
	}
	cmd = PICK(r, cmds);
	u = mem_get(m, sizeof(*u), 0);
	switch (cmd) {
	case HMAP_IOC_VERSION:
		size = sizeof(u->v);
		break;
	case HMAP_IOC_CREATE:
		size = sizeof(u->c);
		u->c.flags = chance(r, 40) ? HMAP_CREATE_ANON : 0;
		u->c.key_size = 1 + below(r, 64);
		u->c.value_size = 1 + below(r, 256);
		u->c.max_entries = 1 + below(r, 4096);
		u->c.capacity_hint = below(r, 4096);
		u->c.mode = below(r, 0667) & 0666;
		if (!u->c.flags)
			chaos_name(c, r, u->c.name, false);
		break;
	case HMAP_IOC_OPEN:
	case HMAP_IOC_DESTROY:
		size = sizeof(u->n);
		chaos_name(c, r, u->n.name, cmd == HMAP_IOC_OPEN);
		break;
	case HMAP_IOC_LIST:
		size = sizeof(u->l);
		u->l.count = chance(r, 90) ? below(r, 64) : 0xffffffff;
		u->l.entries = chaos_ptr(c, m, r, 64 *
					 sizeof(struct hmap_list_entry));
		break;
	case HMAP_IOC_LOOKUP:
	case HMAP_IOC_UPDATE:
	case HMAP_IOC_DELETE:
		size = sizeof(u->e);
		u->e.flags = cmd == HMAP_IOC_UPDATE ? below(r, 3) : 0;
		u->e.key = chaos_ptr(c, m, r, 64);
		u->e.key_len = 1 + below(r, 64);
		if (cmd != HMAP_IOC_DELETE) {
			u->e.value = chaos_ptr(c, m, r, 256);
			u->e.value_len = below(r, 257);
		}
		break;
	case HMAP_IOC_BATCH_LOOKUP:
	case HMAP_IOC_BATCH_UPDATE:
	case HMAP_IOC_BATCH_DELETE: {
		__u32 *lens, i, n;

		size = sizeof(u->b);
		u->b.flags = cmd == HMAP_IOC_BATCH_UPDATE ? below(r, 3) : 0;
		n = chance(r, 95) ? below(r, 32) : 0xffffffff;
		u->b.count = n;
		u->b.keys = chaos_ptr(c, m, r, 32 * 64);
		if (chance(r, 60)) {
			lens = mem_get(m, 33 * 4, 0);
			for (i = 0; i < 33; i++)
				lens[i] = 1 + below(r, 64);
			u->b.key_lens = uptr(lens);
		}
		if (cmd != HMAP_IOC_BATCH_DELETE) {
			u->b.values = chaos_ptr(c, m, r, 32 * 256);
			if (chance(r, 50)) {
				lens = mem_get(m, 33 * 4, 0);
				for (i = 0; i < 33; i++)
					lens[i] = below(r, 257);
				u->b.value_lens = uptr(lens);
			}
		}
		break;
	}
	case HMAP_IOC_DUMP:
		size = sizeof(u->d);
		u->d.count = below(r, 64);
		u->d.cursor = chance(r, 80) ? 0 : rnd(r);
		u->d.keys = chaos_ptr(c, m, r, 64 * 64);
		u->d.key_lens = chaos_ptr(c, m, r, 64 * 4);
		if (chance(r, 60)) {
			u->d.values = chaos_ptr(c, m, r, 64 * 256);
			if (chance(r, 50))
				u->d.value_lens = chaos_ptr(c, m, r, 64 * 4);
		}
		break;
	case HMAP_IOC_CLEAR:
	case HMAP_IOC_SHRINK:
		size = sizeof(u->cmd);
		break;
	case HMAP_IOC_STATS:
		size = sizeof(u->st);
		break;
	default:
		size = 8;
		break;
	}
	u->v.argsz = size;
	if (chance(r, 8))
		u->v.argsz = chance(r, 60) ? below(r, size) :
			     chance(r, 50) ? size + 8 : HMAP_ARGSZ_MAX + 1;
	if (chance(r, 5))
		u->v.flags ^= 1U << below(r, 32);
	addr = chance(r, 95) ? uptr(u) : chaos_ptr(c, m, r, size);
	describe(w, "chaos: %s on fd %d argsz %u flags %#x", cmd_names[cmd_index(cmd)],
		 fd, u->v.argsz, u->v.flags);
	err = fioctl(w, r, fd, cmd, addr);
	/* ENOMEM only from a failure fault injection made. */
	if (!injected_enomem(w, err) &&
	    (!(E(err) & chaos_allowed(cmd)) || ebit(err) == 63))
		fail(w, "chaos: %s got %s, not one of %s",
		     cmd_names[cmd_index(cmd)], ename(err),
		     eset_str(chaos_allowed(cmd)));
	inc(&sh->checks);
	if (err || addr != uptr(u))
		return;
	/* What can be checked without knowing the map. */
	if (cmd == HMAP_IOC_LIST &&
	    (u->l.count > u->l.total || u->l.count > HMAP_LIST_MAX))
		fail(w, "chaos: LIST count %u total %u", u->l.count,
		     u->l.total);
	if (cmd == HMAP_IOC_STATS && u->st.argsz >= sizeof(u->st) &&
	    (u->st.resizing > 3 || u->st.key_size > lim.key_size_max ||
	     u->st.value_size > lim.value_size_max || u->st.open_cursors))
		fail(w, "chaos: STATS resizing %u key_size %u value_size %u open_cursors %llu",
		     u->st.resizing, u->st.key_size, u->st.value_size,
		     (unsigned long long)u->st.open_cursors);
	if (cmd == HMAP_IOC_LOOKUP && u->e.value_len > lim.value_size_max)
		fail(w, "chaos: LOOKUP value_len %u", u->e.value_len);
}

/* ---- Worlds: set up, one op, tear down ---- */

static void read_param(const char *name, __u64 *val)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), "/sys/module/hmap/parameters/%s", name);
	if (read_small_file(path, buf, sizeof(buf)) > 0)
		*val = strtoull(buf, NULL, 10);
}

static void world_init(struct world *w, const char *who, char prefix,
		       __u64 seed)
{
	__u64 maps = 32, bytes = 64ULL << 20;
	unsigned int i;

	memset(w, 0, sizeof(*w));
	w->who = who;
	w->prefix = prefix;
	w->seed = seed;
	w->rng.s = seed;
	w->uid = geteuid();
	w->gid = getegid();
	w->priv = !w->uid;
	for (i = 0; i < NFD; i++)
		w->fd[i].fd = -1;
	w->nth_fd = -1;
	mem_init(&w->mem);
	read_param("max_maps_per_user", &maps);
	read_param("max_bytes_per_user", &bytes);
	w->max_maps = maps;
	w->max_bytes = bytes;
}

/* Close every fd and destroy every name: nothing of the world is left. */
static void world_fini(struct world *w)
{
	struct fslot *s;
	unsigned int i;
	int err;

	w->desc[0] = 0;
	for (i = 0; i < NFD; i++)
		if (w->fd[i].fd >= 0)
			slot_close(w, &w->fd[i]);
	s = slot_open(w, O_RDWR);
	for (i = 0; i < NOBJ; i++) {
		struct obj *o = &w->obj[i];
		struct hmap_name nm = { .argsz = sizeof(nm) };

		if (!o->live || !o->named)
			continue;
		memcpy(nm.name, o->name, HMAP_NAME_MAX);
		describe(w, "teardown: DESTROY %s", o->name);
		err = hioctl(s->fd, HMAP_IOC_DESTROY, uptr(&nm));
		check_errno(w, "DESTROY at teardown", err, E(0));
		o->named = false;
		obj_release(w, o);
	}
	slot_close(w, s);
	for (i = 0; i < NOBJ; i++)
		if (w->obj[i].live)
			fail(w, "map #%u still in the model after teardown (fuzzer bug)",
			     w->obj[i].id);
	if (w->entries)
		fail(w, "%lu entries left in the model (fuzzer bug)",
		     w->entries);
}

static void episode(struct world *w);

/* The ops the weights of world_step() leave: single-key traffic. */
static void op_last(struct world *w, struct rng *r)
{
	op_elem(w, r, below(r, 2) ? HMAP_IOC_UPDATE : HMAP_IOC_LOOKUP);
}

/*
 * The kinds of op and their weights, per 1000 ops (the rest of the 1000
 * goes to op_last); bursts come on top, cfg.burst of them for every 1000
 * of these. An op is fn(), or cmd_fn() of its command for the ops that
 * serve several (op_elem(), op_batch(), op_cmd()).
 */
static const struct opkind {
	const char *name;
	void (*fn)(struct world *w, struct rng *r);
	void (*cmd_fn)(struct world *w, struct rng *r, unsigned long cmd);
	unsigned long cmd;
	unsigned int weight;
} opkinds[] = {
#define OPK(_name, _fn, _weight) \
	{ .name = (_name), .fn = (_fn), .weight = (_weight) }
#define OPK_CMD(_name, _fn, _cmd, _weight) \
	{ .name = (_name), .cmd_fn = (_fn), .cmd = (_cmd), .weight = (_weight) }
	OPK_CMD("lookup", op_elem, HMAP_IOC_LOOKUP, 110),
	OPK_CMD("update", op_elem, HMAP_IOC_UPDATE, 150),
	OPK_CMD("delete", op_elem, HMAP_IOC_DELETE, 70),
	OPK_CMD("batch_lookup", op_batch, HMAP_IOC_BATCH_LOOKUP, 45),
	OPK_CMD("batch_update", op_batch, HMAP_IOC_BATCH_UPDATE, 55),
	OPK_CMD("batch_delete", op_batch, HMAP_IOC_BATCH_DELETE, 30),
	OPK("dump", op_dump, 35),
	OPK("stats", op_stats, 75),
	OPK("list", op_list, 30),
	OPK("version", op_version, 40),
	OPK("unknown", op_unknown, 50),
	OPK_CMD("clear", op_cmd, HMAP_IOC_CLEAR, 8),
	OPK_CMD("shrink", op_cmd, HMAP_IOC_SHRINK, 17),
	OPK("fd", op_fd, 60),
	OPK("create", op_create, 60),
	OPK("open", op_open, 35),
	OPK("destroy", op_destroy, 25),
	OPK("fill", op_fill, 10),
	OPK("drain", op_drain, 8),
	OPK("quota", op_quota, 3),
	OPK("lookup_update", op_last, 0),
	OPK("burst", op_burst, 0),
	OPK("chaos", NULL, 0),
#undef OPK
#undef OPK_CMD
};

#define NOPKIND		ARRAY_SIZE(opkinds)
#define OPK_LAST	(NOPKIND - 3)
#define OPK_BURST	(NOPKIND - 2)
#define OPK_CHAOS	(NOPKIND - 1)

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * One op, drawn from the world's stream; a fifth of them are chaos ops
 * while an episode runs. Each kind's count and time are kept for the
 * summary.
 */
static void world_step(struct world *w)
{
	struct rng r = { rnd(&w->rng) };
	unsigned int k = below(&r, 1000), i;
	__u64 t0 = now_ns();

	w->mem.top = 0;
	w->desc[0] = 0;
	if (w->chaos && k < 200) {
		chaos_op(w->chaos, w, &r,
			 w == main_world ? ACT_MAIN : ACT_CHILD);
		i = OPK_CHAOS;
	} else {
		in_model = true;
		k = below(&r, 1000 + cfg.burst);
		if (k >= 1000) {
			i = OPK_BURST;
		} else {
			for (i = 0; i < OPK_LAST; i++) {
				if (k < opkinds[i].weight)
					break;
				k -= opkinds[i].weight;
			}
		}
		if (opkinds[i].cmd_fn)
			opkinds[i].cmd_fn(w, &r, opkinds[i].cmd);
		else
			opkinds[i].fn(w, &r);
		in_model = false;
	}
	inc(&sh->kind_ops[i]);
	__atomic_fetch_add(&sh->kind_ns[i], now_ns() - t0, __ATOMIC_RELAXED);
	w->op++;
}

/* ---- Episodes ---- */

static struct chaos the_chaos;

struct actor {
	struct world w;
	pthread_t thread;
	pid_t tid;
	__u64 seed;
	int done;
};

static struct actor *the_thread;

static void *thread_main(void *arg)
{
	struct actor *t = arg;
	struct rng r = { t->seed };

	t->tid = gettid();
	t->w.nth_fd = -1;
	if (cfg.fault)
		nth_open(&t->w);
	while (!__atomic_load_n(&the_chaos.stop, __ATOMIC_ACQUIRE)) {
		chaos_op(&the_chaos, &t->w, &r, ACT_THREAD);
		t->w.op++;
	}
	if (t->w.nth_fd >= 0)
		close(t->w.nth_fd);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void child_main(struct world *parent, __u64 seed)
{
	static struct world cw;
	unsigned int i, n = 0;
	unsigned long k;
	int nth_fd = -1;

	/* The parent's own fds are not the child's business. */
	for (i = 0; i < NFD; i++)
		if (parent->fd[i].fd >= 0)
			close(parent->fd[i].fd);
	if (parent->nth_fd >= 0)
		close(parent->nth_fd);
	/*
	 * Its own fail-nth, opened while it may: once the child is another
	 * user, the file is root's. The quota must come back after every
	 * injected failure.
	 */
	if (cfg.fault) {
		nth_open(parent);
		nth_fd = parent->nth_fd;
	}
	if (!geteuid() && cfg.child_uid) {
		/* One uid per instance: each has the quota to itself. */
		unsigned int id = cfg.child_uid + cfg.instance;

		if (setgroups(0, NULL) || setresgid(id, id, id) ||
		    setresuid(id, id, id)) {
			perror("hmap_ioctl_fuzz: dropping privileges");
			_exit(1);
		}
	}
	world_init(&cw, "child", child_prefix[cfg.instance], seed);
	cw.nth_fd = nth_fd;
	cw.foreign = xzalloc(NOBJ * sizeof(*cw.foreign));
	for (i = 0; i < NOBJ; i++)
		if (parent->obj[i].live && parent->obj[i].named &&
		    !parent->obj[i].tainted) {
			memcpy(cw.foreign[n].name, parent->obj[i].name,
			       HMAP_NAME_MAX);
			cw.foreign[n++].mode = parent->obj[i].mode;
		}
	cw.nforeign = n;
	cw.loose = true;
	cw.chaos = &the_chaos;
	for (k = 0; k < cfg.episode_ops; k++) {
		world_step(&cw);
		inc(&sh->child_ops);
	}
	cw.chaos = NULL;
	world_fini(&cw);
	fflush(stdout);
	_exit(0);
}

/*
 * After the chaos: walk a tainted map (no key twice, each one's value as
 * LOOKUP gives it, as many as STATS counts), then empty it, so that the
 * model knows it again.
 */
static void resync(struct world *w, struct obj *o)
{
	struct hmap_name nm = { .argsz = sizeof(nm) };
	struct hmap_cmd cl = { .argsz = sizeof(cl) };
	struct model seen = { 0 };
	struct hmap_map_stats st;
	struct fslot tmp;
	struct ofile tf = { .acc = O_RDWR };
	__u64 cursor = 0;
	unsigned long calls = 0;
	__u32 i, j, room;
	int err;

	w->mem.top = 0;
	describe(w, "%s: check and empty %s after the chaos", "resync",
		 o->name);
	tmp.fd = open(HMAP_DEV, O_RDWR | O_CLOEXEC);
	tmp.f = &tf;
	if (tmp.fd < 0)
		fail(w, "open: %s", strerror(errno));
	memcpy(nm.name, o->name, HMAP_NAME_MAX);
	err = hioctl(tmp.fd, HMAP_IOC_OPEN, uptr(&nm));
	check_errno(w, "OPEN a tainted map", err, E(0));
	room = room_for(BATCH_BYTES, o->ks + o->vs + 8);
	if (room > 64)
		room = 64;
	for (;;) {
		struct hmap_dump d = { .argsz = sizeof(d), .count = room };
		__u8 *keys = mem_get(&w->mem, room * o->ks, 0);
		__u32 *klens = mem_get(&w->mem, room * 4, 0);
		__u8 *vals = mem_get(&w->mem, room * (size_t)o->vs, 0);
		__u32 *vlens = mem_get(&w->mem, room * 4, 0);
		__u8 *v = mem_get(&w->mem, o->vs, 0);

		if (++calls > 4UL * 30000 + 4200)
			fail(w, "DUMP of a tainted map does not end");
		d.cursor = cursor;
		d.keys = uptr(keys);
		d.key_lens = uptr(klens);
		d.values = uptr(vals);
		d.value_lens = uptr(vlens);
		err = hioctl(tmp.fd, HMAP_IOC_DUMP, uptr(&d));
		check_errno(w, "DUMP a tainted map", err, E(0));
		for (i = 0; i < d.count; i++) {
			struct hmap_elem_op op = { .argsz = sizeof(op) };
			const __u8 *k = keys + (size_t)i * o->ks;

			if (!klens[i] || klens[i] > o->ks ||
			    vlens[i] > o->vs)
				fail(w, "DUMP of a tainted map: key_len %u value_len %u",
				     klens[i], vlens[i]);
			if (model_find(&seen, k, klens[i]))
				fail(w, "DUMP of a tainted map returned a key twice");
			model_add(&seen, k, klens[i]);
			op.key = uptr(k);
			op.key_len = klens[i];
			op.value = uptr(v);
			op.value_len = o->vs;
			err = hioctl(tmp.fd, HMAP_IOC_LOOKUP, uptr(&op));
			check_errno(w, "LOOKUP of a dumped key", err, E(0));
			if (op.value_len != vlens[i] ||
			    memcmp(v, vals + (size_t)i * o->vs, vlens[i]))
				fail(w, "DUMP and LOOKUP disagree on a value");
			for (j = klens[i]; j < o->ks; j++)
				if (k[j])
					fail(w, "DUMP of a tainted map: key byte beyond key_len");
		}
		cursor = d.cursor;
		if (d.flags & HMAP_DUMP_DONE)
			break;
		w->mem.top = 0;
	}
	err = stats_get(w, &tmp, &st);
	check_errno(w, "STATS of a tainted map", err, E(0));
	if (st.count != seen.n)
		fail(w, "a tainted map: STATS count %llu, DUMP returned %u",
		     (unsigned long long)st.count, seen.n);
	err = hioctl(tmp.fd, HMAP_IOC_CLEAR, uptr(&cl));
	check_errno(w, "CLEAR a tainted map", err, E(0));
	w->entries -= o->m.n;
	model_clear(&o->m);
	err = stats_get(w, &tmp, &st);
	check_errno(w, "STATS of a tainted map", err, E(0));
	stats_check(w, o, &st);		/* tainted: monotony only */
	o->x_hits = st.hits;
	o->x_misses = st.misses;
	o->x_inserts = st.inserts;
	o->x_updates = st.updates;
	o->x_deletes = st.deletes;
	o->tainted = false;
	close(tmp.fd);
	model_free(&seen);
	inc(&sh->resyncs);
}

static void episode(struct world *w)
{
	struct chaos *c = &the_chaos;
	struct rng r = { rnd(&w->rng) };
	struct obj *cand[NOBJ];
	unsigned int i, n = 0;
	__u64 child_seed;
	struct timespec ts;
	unsigned long k;
	int status, err;
	pid_t pid;

	inc(&sh->episodes);
	episode_op = w->op;
	memset(c->fd, 0, sizeof(c->fd));
	c->stop = 0;
	c->ntname = 0;
	for (i = 0; i < NXNAMES; i++)
		snprintf(c->xname[i], HMAP_NAME_MAX, "%c-%u",
			 chaos_prefix[cfg.instance], i);
	/* Up to two named maps of the model go to the chaos: tainted. */
	for (i = 0; i < NOBJ; i++) {
		unsigned int j, fds = 0;

		for (j = 0; j < NFD; j++)
			fds += w->fd[j].fd >= 0 && w->fd[j].f->o == &w->obj[i];
		if (w->obj[i].live && w->obj[i].named && fds <= 3)
			cand[n++] = &w->obj[i];
	}
	for (i = 0; i < 2 && n; i++) {
		unsigned int j = below(&r, n);

		cand[j]->tainted = true;
		memcpy(c->tname[c->ntname++], cand[j]->name, HMAP_NAME_MAX);
		cand[j] = cand[--n];
	}
	/*
	 * The shared fds: two on new named maps, one anonymous, one on a
	 * tainted map, two unbound (the last one read-only).
	 */
	for (i = 0; i < NCHAOS; i++) {
		struct hmap_create cr = {
			.argsz = sizeof(cr), .key_size = 1 + below(&r, 32),
			.value_size = 1 + below(&r, 64),
			.max_entries = 1 + below(&r, 2000), .mode = 0666,
		};
		struct hmap_name nm = { .argsz = sizeof(nm) };

		c->fd[i] = open(HMAP_DEV, (i == NCHAOS - 1 ? O_RDONLY : O_RDWR) |
				O_CLOEXEC);
		if (c->fd[i] < 0)
			fail(w, "open: %s", strerror(errno));
		if (i < 2)
			memcpy(cr.name, c->xname[i], HMAP_NAME_MAX);
		else if (i == 2)
			cr.flags = HMAP_CREATE_ANON;
		if (i < 3) {
			err = hioctl(c->fd[i], HMAP_IOC_CREATE, uptr(&cr));
			check_errno(w, "CREATE for the chaos", err, E(0));
		} else if (i == 3 && c->ntname) {
			memcpy(nm.name, c->tname[0], HMAP_NAME_MAX);
			err = hioctl(c->fd[i], HMAP_IOC_OPEN, uptr(&nm));
			check_errno(w, "OPEN for the chaos", err, E(0));
		}
	}
	w->chaos = c;
	w->loose = true;

	if (!the_thread) {
		the_thread = xzalloc(sizeof(*the_thread));
		world_init(&the_thread->w, "thread", 't', 0);
		the_thread->w.chaos = c;
	}
	the_thread->seed = rnd(&r);
	the_thread->w.seed = the_thread->seed;
	the_thread->done = 0;
	if (pthread_create(&the_thread->thread, NULL, thread_main, the_thread))
		fail(w, "pthread_create failed");

	child_seed = rnd(&r);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fail(w, "fork: %s", strerror(errno));
	if (!pid)
		child_main(w, child_seed);
	episode_child = pid;

	for (k = 0; k < cfg.episode_ops; k++) {
		world_step(w);
		inc(&sh->ops);
	}

	/* Everyone stops, in bounded time. */
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += cfg.hang;
	err = pthread_timedjoin_np(the_thread->thread, NULL, &ts);
	if (err) {
		print_stack(the_thread->tid);
		snprintf(w->desc, sizeof(w->desc), "%s", the_thread->w.desc);
		fail(w, "the chaos thread did not stop in %u s", cfg.hang);
	}
	/* Not an op of the main world: no "in:" of its last one. */
	w->desc[0] = 0;
	if (!wait_child(pid, &status)) {
		print_stack(pid);
		fail(w, "the child (seed %#llx) did not end in %u s",
		     (unsigned long long)child_seed, cfg.hang);
	}
	episode_child = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail(w, "the child (seed %#llx) failed: status %#x",
		     (unsigned long long)child_seed, status);

	/* Clean up: the chaos's fds and maps go; tainted maps are checked and emptied. */
	for (i = 0; i < NCHAOS; i++)
		close(c->fd[i]);
	{
		int fd = open(HMAP_DEV, O_RDWR | O_CLOEXEC);

		for (i = 0; i < NXNAMES; i++) {
			struct hmap_name nm = { .argsz = sizeof(nm) };

			memcpy(nm.name, c->xname[i], HMAP_NAME_MAX);
			err = hioctl(fd, HMAP_IOC_DESTROY, uptr(&nm));
			check_errno(w, "DESTROY after the chaos", err,
				    E(0) | E(ENOENT));
		}
		for (i = 0; i < NNAMES; i++) {
			struct hmap_name nm = { .argsz = sizeof(nm) };

			pool_name(child_prefix[cfg.instance], i, nm.name);
			err = hioctl(fd, HMAP_IOC_DESTROY, uptr(&nm));
			check_errno(w, "a map of the child outlived it", err,
				    E(ENOENT));
		}
		close(fd);
	}
	w->chaos = NULL;
	w->loose = cfg.jobs > 1;
	for (i = 0; i < NOBJ; i++) {
		struct obj *o = &w->obj[i];

		if (o->live && o->tainted)
			resync(w, o);
	}
	/* Nothing of the chaos is left in the list of maps. */
	w->mem.top = 0;
	op_list(w, &r);
	episode_op = ~0UL;
}

/* ---- Hangs: a watchdog ---- */

static pid_t main_tid;

static void *watchdog_main(void *arg)
{
	unsigned long last = ~0UL;
	unsigned int idle = 0;

	(void)arg;
	for (;;) {
		unsigned long now;

		sleep(1);
		now = __atomic_load_n(&main_progress, __ATOMIC_RELAXED);
		if (cfg.timeout && elapsed() > cfg.timeout) {
			printf("hmap_ioctl_fuzz: FAIL timeout: more than %u s, op %lu: %s\n",
			       cfg.timeout, main_world->op, main_world->desc);
		} else if (now != last) {
			last = now;
			idle = 0;
			continue;
		} else if (++idle < cfg.hang) {
			continue;
		} else {
			printf("hmap_ioctl_fuzz: FAIL hang: no call ended in %u s, op %lu: %s\n",
			       idle, main_world->op, main_world->desc);
		}
		print_replay(main_world->op + 1);
		print_stack(main_tid);
		if (episode_child > 0)
			print_stack(episode_child);
		print_summary();
		print_result("FAIL");
		fflush(stdout);
		_exit(1);
	}
	return NULL;
}

/* ---- Global counters of every map (debugfs) ---- */

struct gstats {
	long maps, bytes, arrays, overflow, elems;
	bool ok;
};

/* The value of "NAME: VALUE" in @buf. */
static bool gfield(const char *buf, const char *name, long *val)
{
	size_t len = strlen(name);
	const char *p;

	for (p = buf; (p = strstr(p, name)); p += len)
		if ((p == buf || p[-1] == '\n') && p[len] == ':') {
			*val = strtol(p + len + 1, NULL, 10);
			return true;
		}
	return false;
}

static void gstats_read(struct gstats *g)
{
	char buf[1024];

	memset(g, 0, sizeof(*g));
	if (read_small_file("/sys/kernel/debug/hmap/stats", buf,
			    sizeof(buf)) < 0)
		return;
	g->ok = gfield(buf, "maps", &g->maps) &&
		gfield(buf, "bytes", &g->bytes) &&
		gfield(buf, "arrays_outstanding", &g->arrays) &&
		gfield(buf, "overflow_outstanding", &g->overflow) &&
		gfield(buf, "elems_outstanding", &g->elems);
}

static bool gstats_eq(const struct gstats *a, const struct gstats *b)
{
	return a->maps == b->maps && a->bytes == b->bytes &&
	       a->arrays == b->arrays && a->overflow == b->overflow &&
	       a->elems == b->elems;
}

/* ---- Summary ---- */

/* Failures injected at each of hmap's allocation sites (debugfs). */
#define NSITES			32

struct sites {
	unsigned int n;
	char name[NSITES][32];
	long count[NSITES];
};

static struct sites sites0;	/* at the start */

static void sites_read(struct sites *st)
{
	FILE *f = fopen("/sys/kernel/debug/fail_hmap_alloc/injected", "r");

	memset(st, 0, sizeof(*st));
	if (!f)
		return;
	while (st->n < NSITES &&
	       fscanf(f, "%31s %ld", st->name[st->n], &st->count[st->n]) == 2)
		st->n++;
	fclose(f);
}

/* Sites that failed during the run; their counts go to @out if not NULL. */
static unsigned int sites_hit(FILE *out)
{
	struct sites now;
	unsigned int i, hit = 0;

	sites_read(&now);
	for (i = 0; i < now.n && i < sites0.n; i++) {
		long d = now.count[i] - sites0.count[i];

		hit += d > 0;
		if (out)
			fprintf(out, " %s %ld", now.name[i], d);
	}
	return hit;
}

static unsigned long total_calls(void)
{
	unsigned long calls = 0;
	unsigned int i;

	for (i = 0; i < NCMD; i++)
		calls += __atomic_load_n(&sh->calls[i], __ATOMIC_RELAXED);
	return calls;
}

static pid_t orig_pid;		/* the process that prints the result */

/*
 * The model ops that reached a map and succeeded, of each kind: calls of
 * CREATE, UPDATE, LOOKUP, DELETE and of the three batches that returned
 * 0, complete dump walks checked.
 */
enum okind { OK_CREATE, OK_UPDATE, OK_LOOKUP, OK_DELETE, OK_BATCH, OK_DUMP,
	     NOK };

static const char * const okind_names[NOK] = {
	"create", "update", "lookup", "delete", "batch", "dump",
};

static unsigned long ok_count(enum okind k)
{
	switch (k) {
	case OK_CREATE:
		return sh->ok[C_CREATE];
	case OK_UPDATE:
		return sh->ok[C_UPDATE];
	case OK_LOOKUP:
		return sh->ok[C_LOOKUP];
	case OK_DELETE:
		return sh->ok[C_DELETE];
	case OK_BATCH:
		return sh->ok[C_BLOOKUP] + sh->ok[C_BUPDATE] +
		       sh->ok[C_BDELETE];
	default:
		return sh->dumps;
	}
}

/*
 * Whether the run did what it must beyond its checks (--min-ok,
 * --min-injected, --min-sites); if not, why goes to stdout.
 */
static bool floors_met(void)
{
	unsigned int k, sites = cfg.fault ? sites_hit(NULL) : 0;
	bool ok = true;

	for (k = 0; k < NOK; k++)
		if (ok_count(k) < cfg.min_ok) {
			printf("hmap_ioctl_fuzz: FAIL: %lu %s ops succeeded, --min-ok %lu\n",
			       ok_count(k), okind_names[k], cfg.min_ok);
			ok = false;
		}
	if (!cfg.fault)
		return ok;
	if (sh->fault_hits < cfg.min_injected ||
	    sh->enomem < cfg.min_injected) {
		printf("hmap_ioctl_fuzz: FAIL: %lu injected, %lu ENOMEM, --min-injected %lu\n",
		       sh->fault_hits, sh->enomem, cfg.min_injected);
		ok = false;
	}
	if (sites < cfg.min_sites) {
		printf("hmap_ioctl_fuzz: FAIL: %u sites failed, --min-sites %u\n",
		       sites, cfg.min_sites);
		ok = false;
	}
	return ok;
}

/*
 * The one line scripts/check.sh reads: "HMAP-FUZZ: LABEL ok|FAIL
 * seed=S ops=N calls=N checks=N time=Ns rate=N ok=create:N,update:N,
 * lookup:N,delete:N,batch:N,dump:N bursts=P% bad_args=P% largest=N":
 * the model ops of each kind that succeeded (ok_count()), the share of
 * calls made in bursts and in bursts with a faulty struct, the most
 * entries a map held; with --fault the share of calls made under fault
 * injection, the failures it injected, the ENOMEMs they gave, and how
 * many of hmap's allocation sites failed.
 */
static void print_result(const char *result)
{
	unsigned long calls = total_calls();
	double t = elapsed();
	unsigned int i;

	if (getpid() != orig_pid)
		return;
	printf("HMAP-FUZZ: %s %s seed=%#llx ops=%lu calls=%lu checks=%lu time=%.0fs rate=%.0f",
	       cfg.label, result, (unsigned long long)cfg.seed,
	       sh->ops + sh->child_ops + sh->chaos_ops, calls, sh->checks,
	       t, t > 0 ? calls / t : 0);
	for (i = 0; i < NOK; i++)
		printf("%s%s:%lu", i ? "," : " ok=", okind_names[i],
		       ok_count(i));
	printf(" bursts=%.0f%% bad_args=%.0f%% largest=%lu",
	       calls ? 100.0 * sh->burst_calls / calls : 0.0,
	       calls ? 100.0 * sh->burst_bad / calls : 0.0, sh->max_count);
	if (cfg.fault)
		printf(" fault_calls=%lu (%.1f%%) injected=%lu enomem=%lu sites=%u/%u",
		       sh->fault_armed,
		       calls ? 100.0 * sh->fault_armed / calls : 0.0,
		       sh->fault_hits, sh->enomem, sites_hit(NULL),
		       sites0.n);
	printf("\n");
	fflush(stdout);
}

static void print_summary(void)
{
	struct rusage ru;
	unsigned long calls = 0, fails = 0;
	double t = elapsed();
	unsigned int i;

	for (i = 0; i < NCMD; i++) {
		calls += sh->calls[i];
		fails += sh->fails[i];
	}
	printf("hmap_ioctl_fuzz: seed %#llx: %lu ops (main), %lu (children), %lu chaos ops;",
	       (unsigned long long)cfg.seed, sh->ops, sh->child_ops,
	       sh->chaos_ops);
	getrusage(RUSAGE_SELF, &ru);
	printf(" %lu calls in %.1f s: %.0f calls/s, CPU %.1f s user, %.1f s system\n",
	       calls, t, t > 0 ? calls / t : 0,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	printf("hmap_ioctl_fuzz: calls (failed):");
	for (i = 0; i < NCMD; i++)
		printf(" %s %lu (%lu)", cmd_names[i], sh->calls[i],
		       sh->fails[i]);
	printf("\nhmap_ioctl_fuzz: errno:");
	for (i = 0; i < 256; i++)
		if (sh->errs[i])
			printf(" %s %lu", i ? ename(i) : "ok", sh->errs[i]);
	printf("\nhmap_ioctl_fuzz: %lu checks, %lu dump walks, %lu episodes (fork, thread),",
	       sh->checks, sh->dumps, sh->episodes);
	printf(" %lu resyncs, %lu kill tests, %lu grows, %lu shrinks seen,",
	       sh->resyncs, sh->kills, sh->grows, sh->shrinks);
	printf(" largest map %lu entries\n", sh->max_count);
	printf("hmap_ioctl_fuzz: fault injection: %lu calls armed, %lu failed an allocation",
	       sh->fault_armed, sh->fault_hits);
	printf(" (%lu ENOMEM, %lu other results)\n", sh->enomem, sh->fault_other);
	if (cfg.fault) {
		printf("hmap_ioctl_fuzz: failures injected per site:");
		sites_hit(stdout);
		printf("\n");
	}
	printf("hmap_ioctl_fuzz: ops and seconds per kind:");
	for (i = 0; i < NOPKIND; i++)
		if (sh->kind_ops[i])
			printf(" %s %lu %.1f", opkinds[i].name, sh->kind_ops[i],
			       sh->kind_ns[i] / 1e9);
	printf("\n");
}

/* ---- main ---- */

/* The seed of this instance's main world: S, or derived from it. */
static __u64 instance_seed(void)
{
	return cfg.instance ? mix64(cfg.seed ^ 0x5bd1e995) : cfg.seed;
}

static void print_usage(int status)
{
	printf("usage: hmap_ioctl_fuzz [--seed N] [--ops N | --calls N] [--fault P] [--burst N]\n"
	       "         [--episode N] [--episode-ops N] [--kill-every N] [--child-uid UID]\n"
	       "         [--jobs 2] [--instance 1] [--timeout S] [--hang S] [--label L]\n"
	       "         [--trace-from N] [--min-ok N] [--min-injected N] [--min-sites N]\n"
	       "  --seed N          the seed (default: a random one, printed)\n"
	       "  --ops N           ops of the main world (default 100000)\n"
	       "  --calls N         instead: ops until N ioctl calls are made\n"
	       "  --fault P         P%% of the calls that reach a map, and of the opens,\n"
	       "                    fail an allocation of hmap's (fail-nth)\n"
	       "  --episode N       ops between episodes of shared-fd chaos, 0: none (25000)\n"
	       "  --episode-ops N   ops of the main world and of the child in one (1500)\n"
	       "  --kill-every N    ops between huge batches killed by a signal, 0: none (200000)\n"
	       "  --child-uid UID   the episodes' child drops to UID if root (40009)\n"
	       "  --burst N         bursts of cheap calls per 1000 other ops (30, at most 1000)\n"
	       "  --jobs 2          two instances side by side (seeds S and instance 1's)\n"
	       "  --instance 1      run (replay) only instance 1 of seed S\n"
	       "  --timeout S       fail if the run takes more than S seconds (0: none)\n"
	       "  --hang S          fail if no call ends in S seconds (120)\n"
	       "  --label L         the name of the run in the result line (run)\n"
	       "  --trace-from N    print every op from op N on\n"
	       "  --min-ok N        fail unless N model ops of each kind succeeded: creates,\n"
	       "                    updates, lookups, deletes, batches, dump walks (0)\n"
	       "  --min-injected N  --fault: fail unless N failures were injected and N\n"
	       "                    calls gave their ENOMEM (0)\n"
	       "  --min-sites N     --fault: fail unless N allocation sites failed (0)\n"
	       "The last line is \"HMAP-FUZZ: L ok|FAIL seed=S ... calls=N ...\"; a failure\n"
	       "prints the options that replay it.\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "episode", required_argument, NULL, 'e' },
		{ "episode-ops", required_argument, NULL, 'E' },
		{ "kill-every", required_argument, NULL, 'k' },
		{ "child-uid", required_argument, NULL, 'u' },
		{ "calls", required_argument, NULL, 'c' },
		{ "fault", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "hang", required_argument, NULL, 'H' },
		{ "label", required_argument, NULL, 'l' },
		{ "trace-from", required_argument, NULL, 't' },
		{ "burst", required_argument, NULL, 'b' },
		{ "min-ok", required_argument, NULL, 'm' },
		{ "min-injected", required_argument, NULL, 'I' },
		{ "min-sites", required_argument, NULL, 'S' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "instance", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	static struct world mw;
	struct hmap_list l = { .argsz = sizeof(l), .count = 256 };
	struct hmap_list_entry *ents;
	struct foreign *foreign;
	unsigned int nforeign = 0;
	pid_t jobpid = 0;
	struct gstats g0, g1;
	pthread_t wd;
	bool seeded = false;
	unsigned long k;
	unsigned int i;
	int c, fd, err;

	cfg.ops = 100000;
	read_param("max_maps_per_user", &start_max_maps);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cfg.seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'n':
			cfg.ops = strtoul(optarg, NULL, 0);
			break;
		case 'e':
			cfg.episode = strtoul(optarg, NULL, 0);
			break;
		case 'E':
			cfg.episode_ops = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			cfg.kill_every = strtoul(optarg, NULL, 0);
			break;
		case 'u':
			cfg.child_uid = strtoul(optarg, NULL, 0);
			break;
		case 'j':
			cfg.jobs = strtoul(optarg, NULL, 0) > 1 ? 2 : 1;
			break;
		case 'i':
			cfg.instance = strtoul(optarg, NULL, 0) ? 1 : 0;
			break;
		case 'b':
			cfg.burst = strtoul(optarg, NULL, 0);
			if (cfg.burst > BURST_MAX)
				cfg.burst = BURST_MAX;
			break;
		case 'm':
			cfg.min_ok = strtoul(optarg, NULL, 0);
			break;
		case 'I':
			cfg.min_injected = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			cfg.min_sites = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			cfg.calls = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			cfg.fault = strtoul(optarg, NULL, 0);
			if (cfg.fault > 100)
				cfg.fault = 100;
			break;
		case 'T':
			cfg.timeout = strtoul(optarg, NULL, 0);
			break;
		case 'H':
			cfg.hang = strtoul(optarg, NULL, 0) ?: 1;
			break;
		case 'l':
			cfg.label = optarg;
			break;
		case 't':
			cfg.trace_from = strtoul(optarg, NULL, 0);
			cfg.trace = true;
			break;
		case 'h':
			print_usage(0);
			break;
		default:
			print_usage(2);
			break;
		}
	}
	if (optind != argc)
		print_usage(2);
	clock_gettime(CLOCK_MONOTONIC, &cfg.start);
	if (!seeded &&
	    getrandom(&cfg.seed, sizeof(cfg.seed), 0) != sizeof(cfg.seed)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		cfg.seed = mix64(ts.tv_sec ^ ((__u64)ts.tv_nsec << 20) ^ getpid());
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cfg.calls)
		printf("hmap_ioctl_fuzz: %s: seed %#llx, until %lu calls, ",
		       cfg.label, (unsigned long long)cfg.seed, cfg.calls);
	else
		printf("hmap_ioctl_fuzz: %s: seed %#llx, %lu ops, ", cfg.label,
		       (unsigned long long)cfg.seed, cfg.ops);
	printf("episodes every %lu (%lu ops), kills every %lu, ", cfg.episode,
	       cfg.episode_ops, cfg.kill_every);
	printf("bursts %u/1000, fault injection %u%%\n", cfg.burst, cfg.fault);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	orig_pid = getpid();
	main_pid = getpid();
	main_tid = gettid();
	is_main = true;
	/* A guard after the flaky pages: strides must not reach past it. */
	the_chaos.flaky = map_pages(FLAKY_PAGES * PAGE + GUARD_BYTES,
				    PROT_READ | PROT_WRITE);
	if (mprotect(the_chaos.flaky + FLAKY_PAGES * PAGE, GUARD_BYTES,
		     PROT_NONE)) {
		perror("mprotect");
		return 1;
	}

	fd = open(HMAP_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fail(NULL, "cannot open %s: %s", HMAP_DEV, strerror(errno));
	lim.argsz = sizeof(lim);
	err = hioctl(fd, HMAP_IOC_VERSION, uptr(&lim));
	if (err || lim.abi_version != HMAP_ABI_VERSION ||
	    (lim.features & HMAP_FEATURES) != HMAP_FEATURES ||
	    lim.key_size_max < 512 || !lim.value_size_max ||
	    !lim.max_entries_max)
		fail(NULL, "VERSION: %s, abi %u features %#llx", ename(err),
		     lim.abi_version, (unsigned long long)lim.features);
	/* Maps named before the run are left alone, and may be listed. */
	ents = xzalloc(l.count * sizeof(*ents));
	l.entries = uptr(ents);
	err = hioctl(fd, HMAP_IOC_LIST, uptr(&l));
	if (err)
		fail(NULL, "LIST: %s", ename(err));
	foreign = xzalloc((l.count + 1) * sizeof(*foreign));
	for (i = 0; i < l.count; i++) {
		struct hmap_name nm = { .argsz = sizeof(nm) };

		if (fuzz_name(ents[i].name)) {
			/* Left by a fuzzer that failed: it goes. */
			memcpy(nm.name, ents[i].name, HMAP_NAME_MAX);
			err = hioctl(fd, HMAP_IOC_DESTROY, uptr(&nm));
			printf("hmap_ioctl_fuzz: map %s of an earlier run: destroyed (%s)\n",
			       ents[i].name, ename(err));
			continue;
		}
		memcpy(foreign[nforeign].name, ents[i].name, HMAP_NAME_MAX);
		foreign[nforeign++].mode = ents[i].mode;
		printf("hmap_ioctl_fuzz: map %s exists already: left alone\n",
		       ents[i].name);
	}
	close(fd);
	/* The baseline: once what earlier tests freed has settled. */
	gstats_read(&g0);
	for (i = 0; i < 50; i++) {
		usleep(100000);
		gstats_read(&g1);
		if (gstats_eq(&g0, &g1))
			break;
		g0 = g1;
	}

	/* A second instance, side by side, with its own seed and names. */
	if (cfg.jobs > 1) {
		fflush(stdout);
		jobpid = fork();
		if (jobpid < 0) {
			perror("fork");
			return 1;
		}
		if (!jobpid) {
			cfg.instance = 1;
			main_pid = getpid();
			main_tid = gettid();
		}
	}
	world_init(&mw, cfg.instance ? "instance 1" : "first",
		   main_prefix[cfg.instance], instance_seed());
	main_world = &mw;
	mw.foreign = foreign;
	mw.nforeign = nforeign;
	mw.loose = cfg.jobs > 1;
	if (cfg.fault) {
		sites_read(&sites0);
		nth_open(&mw);
	}
	if (pthread_create(&wd, NULL, watchdog_main, NULL))
		fail(NULL, "pthread_create failed");
	/* The watchdog's backstop: nothing blocks a run for ever. */
	if (cfg.timeout)
		alarm(cfg.timeout + cfg.hang + 30);

	for (k = 0; cfg.calls ? total_calls() < cfg.calls : k < cfg.ops; k++) {
		if (cfg.episode && k && !(k % cfg.episode))
			episode(&mw);
		if (cfg.kill_every && k && !(k % cfg.kill_every)) {
			struct rng kr = { rnd(&mw.rng) };

			op_kill(&mw, &kr);
		}
		world_step(&mw);
		inc(&sh->ops);
		if (sh->failed)
			fail(&mw, "the other instance failed");
	}
	mw.desc[0] = 0;
	world_fini(&mw);
	if (cfg.jobs > 1 && !jobpid) {
		fflush(stdout);
		_exit(0);
	}
	if (jobpid > 0) {
		int status;

		mw.desc[0] = 0;
		if (waitpid(jobpid, &status, 0) != jobpid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			fail(&mw, "instance 1 (seed %#llx) failed: status %#x",
			     (unsigned long long)mix64(cfg.seed ^ 0x5bd1e995),
			     status);
	}

	/* Everything the run made is gone: the global counters are back. */
	if (g0.ok) {
		for (i = 0; i < 100; i++) {
			gstats_read(&g1);
			if (gstats_eq(&g0, &g1))
				break;
			usleep(100000);
		}
		if (!gstats_eq(&g0, &g1))
			fail(&mw, "%s %ld->%ld %ld->%ld %ld->%ld %ld->%ld %ld->%ld",
			     "counters not back: maps bytes arrays overflow elems",
			     g0.maps, g1.maps, g0.bytes, g1.bytes, g0.arrays,
			     g1.arrays, g0.overflow, g1.overflow, g0.elems,
			     g1.elems);
	}
	print_summary();
	if (!floors_met()) {
		print_result("FAIL");
		return 1;
	}
	print_result("ok");
	return 0;
}
