/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the selftests of /dev/hmap (include/uapi/linux/hmap.h) share: the
 * ioctl wrappers, a dump walker, children that run as other users, the
 * skip rules and the fixture most tests use. Each *_test.c is one
 * kselftest_harness program for one topic:
 *
 *  abi_test          fixture hmap_ioctl, one variant per command: what every
 *                    argument struct shares (argsz versioning, bad struct
 *                    pointers, unknown flags, the command encoding, bound
 *                    and unbound fds, open modes); reserved fields, unknown
 *                    commands, binding twice
 *  inval_test        one test per kind of bad input: pointers, sizes,
 *                    names, a full map, a short buffer
 *  ops_test          each operation and flag
 *  batch_dump_test   batches and dump walks
 *  perm_test         permissions, the rights an fd carries, per-user limits
 *                    (forked children drop to unprivileged uids)
 *  concurrency_test  writers, dumpers and a shrinker on one map at once
 *  debugfs_test      the debugfs files (not ABI) against what was done
 *  lifetime_test     maps and fds outliving each other, the leak check and
 *                    rmmod while open; run last (it needs every other map
 *                    gone, and a broken rmmod refusal unloads the module;
 *                    scripts/guest-tests.d/20-kselftest.sh and `make run`
 *                    see to it)
 *
 * Every test skips when /dev/hmap does not exist (hmap.ko not loaded),
 * in its fixture's setup (see "Skipping" below). Tests that switch uids
 * need root and skip otherwise. rmmod_busy runs only with
 * HMAP_TEST_RMMOD=1 and an rmmod binary.
 *
 * Maps are named "hmt.<pid>.<test>..." and every map with the test's
 * "hmt.<pid>." prefix is destroyed in the teardown.
 *
 * The helpers are static inline: not every program uses every one.
 */
#ifndef HMAP_SELFTEST_COMMON_H
#define HMAP_SELFTEST_COMMON_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/hmap.h>

/* the 6.1 harness has an unused parameter; keep -Wextra quiet about it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define DEV_PATH	"/dev/hmap"
#ifndef PARAM_DIR
#define PARAM_DIR	"/sys/module/hmap/parameters"
#endif

#define KEY_SIZE_MAX	512U
#define VALUE_SIZE_MAX	65536U
#define MAX_ENTRIES_MAX	(64U << 20)	/* 2^26 */

#define U64P(p)		((__u64)(uintptr_t)(p))

/* ------------------------------------------------------------------------
 * ioctl helpers: each returns 0 (or the ioctl's non-negative result) or
 * -errno.
 */

static inline int hm_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* /dev/hmap opened O_RDONLY, O_WRONLY or O_RDWR: the fd, or -errno. */
static inline int hm_dev_open_mode(int mode)
{
	int fd = open(DEV_PATH, mode | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int hm_dev_open(void)
{
	return hm_dev_open_mode(O_RDWR);
}

static inline void hm_set_name(char *dst, const char *name)
{
	memset(dst, 0, HMAP_NAME_MAX);
	if (name)
		memcpy(dst, name, strnlen(name, HMAP_NAME_MAX - 1));
}

/* dst = a + b, cut to HMAP_NAME_MAX - 1 characters, zero-padded. */
static inline void name_cat(char *dst, const char *a, const char *b)
{
	size_t la = strnlen(a, HMAP_NAME_MAX - 1);
	size_t lb = strnlen(b, HMAP_NAME_MAX - 1 - la);

	memset(dst, 0, HMAP_NAME_MAX);
	memcpy(dst, a, la);
	memcpy(dst + la, b, lb);
}

/* @dst = @prefix + @stem + @n, cut to HMAP_NAME_MAX - 1 characters. */
static inline void name_num(char *dst, const char *prefix, const char *stem,
			    long n)
{
	char suffix[HMAP_NAME_MAX];

	snprintf(suffix, sizeof(suffix), "%s%ld", stem, n);
	name_cat(dst, prefix, suffix);
}

static inline int hm_version(int fd, struct hmap_version *v)
{
	memset(v, 0, sizeof(*v));
	v->argsz = sizeof(*v);
	return hm_ioctl(fd, HMAP_IOC_VERSION, v);
}

static inline void hm_create_init(struct hmap_create *c, const char *name,
				  __u32 ks, __u32 vs, __u32 max, __u32 mode)
{
	memset(c, 0, sizeof(*c));
	c->argsz = sizeof(*c);
	c->flags = name ? 0 : HMAP_CREATE_ANON;
	c->key_size = ks;
	c->value_size = vs;
	c->max_entries = max;
	c->mode = mode;
	hm_set_name(c->name, name);
}

/* A named map, or an anonymous one if @name is NULL. */
static inline int hm_create(int fd, const char *name, __u32 ks, __u32 vs,
			    __u32 max, __u32 mode)
{
	struct hmap_create c;

	hm_create_init(&c, name, ks, vs, max, mode);
	return hm_ioctl(fd, HMAP_IOC_CREATE, &c);
}

/* A new fd bound to a new map: the fd, or -errno. */
static inline int hm_new(const char *name, __u32 ks, __u32 vs, __u32 max,
			 __u32 mode)
{
	int fd = hm_dev_open(), err;

	if (fd < 0)
		return fd;
	err = hm_create(fd, name, ks, vs, max, mode);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static inline int hm_name_cmd(int fd, unsigned long cmd, const char *name)
{
	struct hmap_name n = { .argsz = sizeof(n) };

	hm_set_name(n.name, name);
	return hm_ioctl(fd, cmd, &n);
}

static inline int hm_open(int fd, const char *name)
{
	return hm_name_cmd(fd, HMAP_IOC_OPEN, name);
}

static inline int hm_destroy(int fd, const char *name)
{
	return hm_name_cmd(fd, HMAP_IOC_DESTROY, name);
}

/* A new fd bound to the existing map @name: the fd, or -errno. */
static inline int hm_attach(const char *name)
{
	int fd = hm_dev_open(), err;

	if (fd < 0)
		return fd;
	err = hm_open(fd, name);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static inline int hm_lookup(int fd, const void *k, __u32 kl, void *v, __u32 *vl)
{
	struct hmap_elem_op op = {
		.argsz = sizeof(op),
		.key = U64P(k),
		.value = U64P(v),
		.key_len = kl,
		.value_len = *vl,
	};
	int ret = hm_ioctl(fd, HMAP_IOC_LOOKUP, &op);

	*vl = op.value_len;
	return ret;
}

static inline int hm_update(int fd, const void *k, __u32 kl, const void *v,
			    __u32 vl, __u32 flags)
{
	struct hmap_elem_op op = {
		.argsz = sizeof(op),
		.flags = flags,
		.key = U64P(k),
		.value = U64P(v),
		.key_len = kl,
		.value_len = vl,
	};

	return hm_ioctl(fd, HMAP_IOC_UPDATE, &op);
}

static inline int hm_delete(int fd, const void *k, __u32 kl)
{
	struct hmap_elem_op op = {
		.argsz = sizeof(op),
		.key = U64P(k),
		.key_len = kl,
	};

	return hm_ioctl(fd, HMAP_IOC_DELETE, &op);
}

static inline int hm_batch(int fd, unsigned long cmd, __u32 flags, __u32 *count,
			   const void *keys, const __u32 *key_lens,
			   void *values, __u32 *value_lens)
{
	struct hmap_batch b = {
		.argsz = sizeof(b),
		.flags = flags,
		.count = *count,
		.keys = U64P(keys),
		.key_lens = U64P(key_lens),
		.values = U64P(values),
		.value_lens = U64P(value_lens),
	};
	int ret = hm_ioctl(fd, cmd, &b);

	*count = b.count;
	return ret;
}

static inline int hm_cmd(int fd, unsigned long cmd)
{
	struct hmap_cmd c = { .argsz = sizeof(c) };

	return hm_ioctl(fd, cmd, &c);
}

static inline int hm_stats(int fd, struct hmap_map_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->argsz = sizeof(*s);
	return hm_ioctl(fd, HMAP_IOC_STATS, s);
}

/* Entry count of the bound map, or -errno. */
static inline long long hm_count(int fd)
{
	struct hmap_map_stats s;
	int err = hm_stats(fd, &s);

	return err ? err : (long long)s.count;
}

/* 8-byte keys (a __u64 id) and values derived from the id: the common case. */
static inline void val_fill(void *buf, __u32 len, __u64 seed)
{
	__u8 *p = buf;
	__u32 i;

	for (i = 0; i < len; i++)
		p[i] = (__u8)(seed * 131 + i * 7 + (seed >> 8));
}

static inline bool val_ok(const void *buf, __u32 len, __u64 seed)
{
	const __u8 *p = buf;
	__u32 i;

	for (i = 0; i < len; i++)
		if (p[i] != (__u8)(seed * 131 + i * 7 + (seed >> 8)))
			return false;
	return true;
}

static inline int put_id(int fd, __u64 id, __u32 vl, __u32 flags)
{
	__u8 v[256];

	val_fill(v, vl, id);
	return hm_update(fd, &id, sizeof(id), v, vl, flags);
}

/* 0 if @id is present with the value put_id() stored, else -errno/-EBADMSG. */
static inline int get_id(int fd, __u64 id, __u32 vl)
{
	__u8 v[256];
	__u32 len = sizeof(v);
	int err = hm_lookup(fd, &id, sizeof(id), v, &len);

	if (err)
		return err;
	return len == vl && val_ok(v, vl, id) ? 0 : -EBADMSG;
}

/* Insert ids [first, first + n) one by one; 0 or the first error. */
static inline int fill(int fd, __u64 first, __u64 n, __u32 vl)
{
	__u64 id;
	int err;

	for (id = first; id < first + n; id++) {
		err = put_id(fd, id, vl, HMAP_NOEXIST);
		if (err)
			return err;
	}
	return 0;
}

/* All named maps into *out (malloc'ed); the count, or -errno. */
static inline int hm_list_all(int fd, struct hmap_list_entry **out)
{
	__u32 room = 64;
	int tries;

	*out = NULL;
	for (tries = 0; tries < 8; tries++) {
		struct hmap_list l = { .argsz = sizeof(l) };
		struct hmap_list_entry *e = calloc(room, sizeof(*e));
		int err;

		if (!e)
			return -ENOMEM;
		l.count = room;
		l.entries = U64P(e);
		err = hm_ioctl(fd, HMAP_IOC_LIST, &l);
		if (err < 0) {
			free(e);
			return err;
		}
		if (l.count > room) {
			free(e);
			return -EPROTO;
		}
		if (l.total <= l.count || l.count < room) {
			*out = e;
			return l.count;
		}
		free(e);
		room = l.total + 16;
	}
	return -EAGAIN;
}

/* How many named maps there are (LIST with no room), or -errno. */
static inline long long hm_list_total(int fd)
{
	struct hmap_list_entry none;
	struct hmap_list l = {
		.argsz = sizeof(l), .count = 0, .entries = U64P(&none),
	};
	int err = hm_ioctl(fd, HMAP_IOC_LIST, &l);

	if (err)
		return err;
	return l.total;
}

/* The LIST entry of @name: 1 if found (*out filled), 0 if not, or -errno. */
static inline int hm_list_find(const char *name, struct hmap_list_entry *out,
			       int *matches)
{
	struct hmap_list_entry *e;
	int fd = hm_dev_open(), n, i, found = 0;

	if (fd < 0)
		return fd;
	n = hm_list_all(fd, &e);
	close(fd);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (strncmp(e[i].name, name, HMAP_NAME_MAX))
			continue;
		if (!found++ && out)
			*out = e[i];
	}
	free(e);
	if (matches)
		*matches = found;
	return !!found;
}

/* Destroy every named map whose name starts with @prefix. */
static inline void destroy_prefix(const char *prefix)
{
	struct hmap_list_entry *e;
	size_t plen = strlen(prefix);
	int fd = hm_dev_open(), n, i;

	if (fd < 0)
		return;
	n = hm_list_all(fd, &e);
	for (i = 0; i < n; i++) {
		char name[HMAP_NAME_MAX];

		memcpy(name, e[i].name, HMAP_NAME_MAX);
		name[HMAP_NAME_MAX - 1] = 0;
		if (!strncmp(name, prefix, plen))
			hm_destroy(fd, name);
	}
	if (n >= 0)
		free(e);
	close(fd);
}

/* ------------------------------------------------------------------------
 * Dump walks
 */

typedef int (*walk_fn)(void *ctx, const __u8 *key, __u32 klen,
		       const __u8 *val, __u32 vlen);

struct walk_stats {
	unsigned long calls;	/* DUMP ioctls */
	unsigned long empty;	/* ... that returned no entry and no DONE */
	unsigned long entries;
	unsigned long enospc;
};

/*
 * Walk the whole map with @room entries per DUMP call (grown on -ENOSPC),
 * handing each entry to @fn (values only if @values). Returns 0, the
 * first non-zero @fn result, -errno of a failed DUMP, -EPROTO if the
 * kernel broke the protocol, -ELOOP after @max_calls calls.
 */
static inline int hm_walk(int fd, __u32 ks, __u32 vs, __u32 room, bool values,
			  walk_fn fn, void *ctx, struct walk_stats *ws,
			  unsigned long max_calls)
{
	struct walk_stats local = { 0 };
	__u8 *keys = NULL, *vals = NULL;
	__u32 *klens = NULL, *vlens = NULL, alloced = 0, i;
	__u64 cursor = 0;
	int ret;

	if (!ws)
		ws = &local;
	for (;;) {
		struct hmap_dump d;

		if (room > alloced) {
			free(keys);
			free(vals);
			free(klens);
			free(vlens);
			keys = malloc((size_t)room * ks);
			vals = values ? malloc((size_t)room * vs) : NULL;
			klens = malloc(room * sizeof(*klens));
			vlens = values ? malloc(room * sizeof(*vlens)) : NULL;
			alloced = room;
			if (!keys || !klens || (values && (!vals || !vlens))) {
				ret = -ENOMEM;
				break;
			}
		}
		if (ws->calls++ >= max_calls) {
			ret = -ELOOP;
			break;
		}
		memset(klens, 0xff, room * sizeof(*klens));
		memset(&d, 0, sizeof(d));
		d.argsz = sizeof(d);
		d.count = room;
		d.cursor = cursor;
		d.keys = U64P(keys);
		d.key_lens = U64P(klens);
		d.values = U64P(vals);
		d.value_lens = U64P(vlens);
		ret = hm_ioctl(fd, HMAP_IOC_DUMP, &d);
		if (ret == -ENOSPC) {
			ws->enospc++;
			if (d.count <= room) {
				ret = -EPROTO;
				break;
			}
			room = d.count;
			cursor = d.cursor;
			continue;
		}
		if (ret)
			break;
		if (d.count > room || (d.flags & ~HMAP_DUMP_DONE)) {
			ret = -EPROTO;
			break;
		}
		if (!d.count && !(d.flags & HMAP_DUMP_DONE))
			ws->empty++;
		for (i = 0; i < d.count; i++) {
			if (!klens[i] || klens[i] > ks ||
			    (values && vlens[i] > vs)) {
				ret = -EPROTO;
				goto out;
			}
			ret = fn(ctx, keys + (size_t)i * ks, klens[i],
				 values ? vals + (size_t)i * vs : NULL,
				 values ? vlens[i] : 0);
			if (ret)
				goto out;
		}
		ws->entries += d.count;
		cursor = d.cursor;
		if (d.flags & HMAP_DUMP_DONE)
			break;
	}
out:
	free(keys);
	free(vals);
	free(klens);
	free(vlens);
	return ret;
}

/* Walk callback for maps of put_id() entries: ids < n, each seen once. */
#define SEEN_MAX	2048U

struct seen_ctx {
	__u64 n;		/* ids [0, n) expected; n <= SEEN_MAX */
	__u32 vl;		/* expected value length, if values dumped */
	unsigned long dups, strays, badvals;
	__u8 seen[SEEN_MAX];
};

static inline int seen_fn(void *ctx, const __u8 *key, __u32 klen,
			  const __u8 *val, __u32 vlen)
{
	struct seen_ctx *c = ctx;
	__u64 id;

	if (klen != sizeof(id)) {
		c->strays++;
		return 0;
	}
	memcpy(&id, key, sizeof(id));
	if (id >= c->n || id >= SEEN_MAX) {
		c->strays++;
		return 0;
	}
	if (c->seen[id]++)
		c->dups++;
	if (val && (vlen != c->vl || !val_ok(val, vlen, id)))
		c->badvals++;
	return 0;
}

/*
 * Walk a map holding the put_id() entries [0, c->n), 8-byte keys and
 * values of at most @vs bytes, @room entries per DUMP call, values too if
 * @values. Returns hm_walk()'s error, or how many things were wrong: ids
 * seen other than once, strays, bad values (the first few are printed).
 * *@ws gets the walk's numbers.
 */
static inline long walk_ids(int fd, __u32 vs, __u32 room, bool values,
			    struct seen_ctx *c, struct walk_stats *ws)
{
	unsigned long wrong;
	__u64 id;
	int err;

	memset(c->seen, 0, sizeof(c->seen));
	c->dups = 0;
	c->strays = 0;
	c->badvals = 0;
	memset(ws, 0, sizeof(*ws));
	err = hm_walk(fd, 8, vs, room, values, seen_fn, c, ws, 100000);
	if (err)
		return err;
	wrong = c->strays + c->badvals;
	for (id = 0; id < c->n && id < SEEN_MAX; id++) {
		if (c->seen[id] == 1)
			continue;
		if (wrong++ < 3)
			fprintf(stderr, "#   id %llu seen %u times\n",
				(unsigned long long)id, c->seen[id]);
	}
	if (c->strays || c->badvals)
		fprintf(stderr, "#   %lu stray keys, %lu bad values\n",
			c->strays, c->badvals);
	return wrong;
}

/* ------------------------------------------------------------------------
 * Misc helpers
 */

/* The number a file starts with (a sysfs or debugfs file), or -1. */
static inline long long file_number(const char *dir, const char *file)
{
	char path[256];
	long long val = -1;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    (int)sizeof(path))
		return -1;
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* A per-user limit, module parameter @name: asserted to be positive. */
static inline long read_limit(struct __test_metadata *_metadata,
			      const char *name)
{
	long long val = file_number(PARAM_DIR, name);

	ASSERT_LT(0, val) {
		TH_LOG("cannot read " PARAM_DIR "/%s", name);
	}
	return val;
}

static inline void *map_pages(size_t n, int prot)
{
	void *p = mmap(NULL, n * (size_t)getpagesize(), prot,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * The mode /dev/hmap had when the program started, and the program (the
 * harness's parent, whose exit runs the destructor; each test is a child
 * that leaves with _exit()). dev_allow_all() opens the node to everyone in
 * a test; the mode found is put back at the end, so that a run on a
 * machine whose udev rule sets another mode does not leave it at 0666.
 * Put back only if the node still has the mode dev_allow_all() gives it:
 * a program that found it already open (another one's dev_allow_all(),
 * while both ran) leaves it alone, and so does one that finds another
 * mode set meanwhile. Two programs at once still share the node: the
 * first to end closes it to the other's unprivileged tests, so run them
 * one at a time (as the kselftest runner does). A program killed
 * (a runner's timeout) leaves the node open.
 */
static pid_t dev_mode_pid;
static mode_t dev_mode_found;

static void __attribute__((constructor)) dev_mode_save(void)
{
	struct stat st;

	if (!stat(DEV_PATH, &st)) {
		dev_mode_pid = getpid();
		dev_mode_found = st.st_mode & 07777;
	}
}

static void __attribute__((destructor)) dev_mode_restore(void)
{
	struct stat st;

	if (!dev_mode_pid || getpid() != dev_mode_pid ||
	    stat(DEV_PATH, &st) || (dev_mode_found | 0666) == dev_mode_found ||
	    (st.st_mode & 07777) != (dev_mode_found | 0666))
		return;
	if (chmod(DEV_PATH, dev_mode_found))
		fprintf(stderr, "# cannot restore mode 0%o of %s: %s\n",
			dev_mode_found, DEV_PATH, strerror(errno));
}

/*
 * /dev/hmap must be usable by the unprivileged test uids: open it after
 * dropping privileges so the creds the kernel sees are unambiguous. The
 * mode is put back when the program ends (dev_mode_restore()).
 */
static inline void dev_allow_all(struct __test_metadata *_metadata)
{
	struct stat st;

	if (stat(DEV_PATH, &st))
		return;
	if ((st.st_mode & 0666) == 0666)
		return;
	TH_LOG("note: %s has mode 0%o; chmod 0666 until the program ends",
	       DEV_PATH, st.st_mode & 07777);
	chmod(DEV_PATH, (st.st_mode & 07777) | 0666);
}

/* ------------------------------------------------------------------------
 * Forked children running as another user: they check with CCHECK(), and
 * report through their exit status: 0 all checks passed, 1 some failed
 * (each printed), 2 /dev/hmap could not be opened, 3 out of memory, 90
 * setuid failed.
 */

static int cfail;

#define CCHECK(want, got) do {						\
	long long __w = (want), __g = (got);				\
	if (__w != __g) {						\
		fprintf(stderr, "#   [uid %u] %s:%d: %s = %lld, want %lld\n", \
			(unsigned int)getuid(), __FILE__, __LINE__, #got, \
			__g, __w);					\
		cfail++;						\
	}								\
} while (0)

/* /dev/hmap opened with @mode in a child, which exits if it cannot. */
static inline int child_dev_open_mode(int mode)
{
	int fd = hm_dev_open_mode(mode);

	if (fd < 0) {
		fprintf(stderr, "#   [uid %u] open %s: %s\n",
			(unsigned int)getuid(), DEV_PATH, strerror(-fd));
		_exit(2);
	}
	return fd;
}

static inline int child_dev_open(void)
{
	return child_dev_open_mode(O_RDWR);
}

/* A child's fd bound to the map @name; the child exits if it cannot. */
static inline int child_attach(const char *name)
{
	int fd = child_dev_open(), err = hm_open(fd, name);

	if (err) {
		fprintf(stderr, "#   [uid %u] open map %s: %s\n",
			(unsigned int)getuid(), name, strerror(-err));
		_exit(1);
	}
	return fd;
}

/* What a child of run_as() works on; each child says which it uses. */
struct child_arg {
	const char *name;	/* the test's map name */
	const char *name2;	/* its second name */
	const char *prefix;	/* the prefix of the test's names */
	int fd;			/* a bound fd of the parent's */
	int ufd;		/* an unbound fd of the parent's */
	int expect;		/* what the child should find */
	long limit;		/* a per-user limit */
};

/* setgroups(), setgid(), setuid(): 0 or -errno. */
static inline int switch_user(uid_t uid, gid_t gid, int ngroups,
			      const gid_t *groups)
{
	if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid))
		return -errno;
	return 0;
}

/*
 * Run @fn(@arg) in a child as @uid, @gid and the @ngroups @groups: the
 * child's exit status (as above), 128 + signal, or -errno.
 */
static inline int run_as(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
			 void (*fn)(const struct child_arg *),
			 const struct child_arg *arg)
{
	int status, err;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		err = switch_user(uid, gid, ngroups, groups);
		if (err) {
			fprintf(stderr, "#   setuid %u/%u: %s\n",
				(unsigned int)uid, (unsigned int)gid,
				strerror(-err));
			_exit(90);
		}
		cfail = 0;
		fn(arg);
		_exit(!!cfail);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Retry a create refused with -EDQUOT for a while: freeing may be deferred. */
static inline int create_retry(int fd, const char *name, __u32 ks, __u32 vs,
			       __u32 max)
{
	int err, i;

	for (i = 0; i < 50; i++) {
		err = hm_create(fd, name, ks, vs, max, 0600);
		if (err != -EDQUOT)
			break;
		usleep(100000);
	}
	return err;
}

/* ------------------------------------------------------------------------
 * Skipping: once, in a fixture's setup. In the 6.1 harness (the one the
 * programs are built with) a SKIP() in FIXTURE_SETUP() marks the result
 * but does not stop the test body, which then runs without what it needs.
 * SKIP_SETUP() leaves the setup the way a failed ASSERT does, through
 * _metadata->env, but without marking the test aborted: the harness runs
 * neither the body nor the teardown and reports the skip. The 6.12
 * harness stops after a setup that skipped by itself, and takes the same
 * way out here. A body that needs more than its fixture gives skips
 * with SKIP(return, ...).
 */
#define SKIP_SETUP(fmt, ...) \
	SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

#define DEBUGFS_DIR	"/sys/kernel/debug/hmap"

/* Whether hmap's debugfs directory is there. */
static inline bool have_debugfs(void)
{
	return !access(DEBUGFS_DIR "/stats", R_OK);
}

/* What a program's tests need besides /dev/hmap: setup_require()'s @needs */
#define NEEDS_ROOT	0x1	/* to switch to the test uids */
#define NEEDS_DEBUGFS	0x2	/* hmap's debugfs directory */

/*
 * From a FIXTURE_SETUP(): skip the test unless /dev/hmap could be opened
 * (@fd: the fd, or -errno of opening it) and what @needs names is there;
 * with NEEDS_ROOT, open /dev/hmap to the unprivileged test uids.
 */
static inline void setup_require(struct __test_metadata *_metadata, int fd,
				 unsigned int needs)
{
	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO)
		SKIP_SETUP(DEV_PATH " not present (%s)", strerror(-fd));
	ASSERT_LE(0, fd) {
		TH_LOG("open " DEV_PATH ": %s", strerror(-fd));
	}
	if ((needs & NEEDS_ROOT) && geteuid())
		SKIP_SETUP("needs root to switch to the test uids");
	if ((needs & NEEDS_DEBUGFS) && !have_debugfs())
		SKIP_SETUP(DEBUGFS_DIR " not available");
	if (needs & NEEDS_ROOT)
		dev_allow_all(_metadata);
}

/*
 * EXPECT_BATCH(err, done, fd, cmd, flags, n, keys, key_lens, values,
 * value_lens): a batch of @n elements returns @err having done @done.
 */
#define EXPECT_BATCH(_err, _done, _fd, _cmd, _flags, _n, ...) do {	\
	__u32 __count = (_n);						\
									\
	EXPECT_EQ(_err, hm_batch(_fd, _cmd, _flags, &__count,		\
				 __VA_ARGS__));				\
	EXPECT_EQ((__u32)(_done), __count);				\
} while (0)

/* ------------------------------------------------------------------------
 * debugfs (not ABI): debugfs_test.c, and the leak check in lifetime_test.c
 */

/* "key: value" from a debugfs file of @dir ("" for the top), or -1. */
static inline long long dbg_field(const char *dir, const char *file,
				  const char *key)
{
	char path[256], line[256];
	long long v = -1;
	size_t kl = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), DEBUGFS_DIR "/%s%s%s", dir,
		 *dir ? "/" : "", file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtoll(line + kl + 1, NULL, 10);
	fclose(f);
	return v;
}

/* ------------------------------------------------------------------------
 * Fixture hmap
 */

/*
 * What every test of the program's fixture hmap needs besides /dev/hmap
 * (NEEDS_*): a program that needs more defines HMAP_FIXTURE_NEEDS before
 * it includes this file.
 */
#ifndef HMAP_FIXTURE_NEEDS
#define HMAP_FIXTURE_NEEDS	0
#endif

FIXTURE(hmap) {
	int fd;		/* an unbound fd */
	char prefix[HMAP_NAME_MAX];	/* "hmt.<pid>." */
	char name[HMAP_NAME_MAX];	/* prefix + test name */
	char name2[HMAP_NAME_MAX];	/* name + ".2" */
};

/* The type of self in TEST_F(hmap, ...), for the helpers. */
#define HMAP_FIXTURE	FIXTURE_DATA(hmap)

/* A child_arg on the names of the test, with no fd. */
static inline struct child_arg child_arg_of(const HMAP_FIXTURE *self)
{
	struct child_arg a = {
		.name = self->name, .name2 = self->name2,
		.prefix = self->prefix, .fd = -1, .ufd = -1,
	};

	return a;
}

FIXTURE_SETUP(hmap)
{
	self->fd = hm_dev_open();
	setup_require(_metadata, self->fd, HMAP_FIXTURE_NEEDS);
	snprintf(self->prefix, sizeof(self->prefix), "hmt.%d.", getpid());
	name_cat(self->name, self->prefix, _metadata->name);
	name_cat(self->name2, self->name, ".2");
}

FIXTURE_TEARDOWN(hmap)
{
	destroy_prefix(self->prefix);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * A new fd bound to a new map @name (anonymous if NULL) of @mode, with
 * 8-byte keys and values, 16 entries at most, holding key 1 (put_id()).
 * Asserts that it worked.
 */
static inline int map_holding_key1(struct __test_metadata *_metadata,
				   const char *name, __u32 mode)
{
	int fd = hm_new(name, 8, 8, 16, mode);

	ASSERT_LE(0, fd) {
		TH_LOG("create %s: %s", name ?: "(anonymous)", strerror(-fd));
	}
	ASSERT_EQ(0, put_id(fd, 1, 8, HMAP_NOEXIST));
	return fd;
}

#endif /* HMAP_SELFTEST_COMMON_H */
