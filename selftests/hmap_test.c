// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest for the /dev/hmap ioctl ABI (include/uapi/linux/hmap.h).
 *
 * Two fixtures:
 *
 *  hmap_ioctl  one variant per ioctl command; checks what every argument
 *              struct shares: argsz versioning (short, oversized with a zero
 *              or non-zero tail), bad struct pointers, unknown flags,
 *              bound/unbound fds and the command encoding.
 *  hmap        everything else: each operation and flag, one test per kind
 *              of bad input, permissions and per-user limits (forked
 *              children drop to unprivileged uids), concurrent churn with
 *              dumps, and map lifetime (destroy while open, close during a
 *              dump, anonymous maps, rmmod while open).
 *
 * Every test skips when /dev/hmap does not exist (hmap.ko not loaded).
 * Permission tests need root (to setuid to test uids) and skip otherwise.
 * rmmod_busy runs only with HMAP_TEST_RMMOD=1 and an rmmod binary.
 *
 * Maps are named "hmt.<pid>.<test>..." and every map with the test's
 * "hmt.<pid>." prefix is destroyed in the teardown.
 */
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
#define MAX_ENTRIES_MAX	(1U << 26)

#define U64P(p)		((__u64)(uintptr_t)(p))

/* ------------------------------------------------------------------------
 * ioctl helpers: each returns 0 (or the ioctl's non-negative result) or
 * -errno.
 */

static int hm_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* /dev/hmap opened O_RDONLY, O_WRONLY or O_RDWR: the fd, or -errno. */
static int hm_dev_open_mode(int mode)
{
	int fd = open(DEV_PATH, mode | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int hm_dev_open(void)
{
	return hm_dev_open_mode(O_RDWR);
}

static void hm_set_name(char *dst, const char *name)
{
	memset(dst, 0, HMAP_NAME_MAX);
	if (name)
		memcpy(dst, name, strnlen(name, HMAP_NAME_MAX - 1));
}

/* dst = a + b, cut to HMAP_NAME_MAX - 1 characters, zero-padded. */
static void name_cat(char *dst, const char *a, const char *b)
{
	size_t la = strnlen(a, HMAP_NAME_MAX - 1);
	size_t lb = strnlen(b, HMAP_NAME_MAX - 1 - la);

	memset(dst, 0, HMAP_NAME_MAX);
	memcpy(dst, a, la);
	memcpy(dst + la, b, lb);
}

static int hm_version(int fd, struct hmap_version *v)
{
	memset(v, 0, sizeof(*v));
	v->argsz = sizeof(*v);
	return hm_ioctl(fd, HMAP_IOC_VERSION, v);
}

static void hm_create_init(struct hmap_create *c, const char *name,
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
static int hm_create(int fd, const char *name, __u32 ks, __u32 vs, __u32 max,
		     __u32 mode)
{
	struct hmap_create c;

	hm_create_init(&c, name, ks, vs, max, mode);
	return hm_ioctl(fd, HMAP_IOC_CREATE, &c);
}

/* A new fd bound to a new map: the fd, or -errno. */
static int hm_new(const char *name, __u32 ks, __u32 vs, __u32 max, __u32 mode)
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

static int hm_name_cmd(int fd, unsigned long cmd, const char *name)
{
	struct hmap_name n = { .argsz = sizeof(n) };

	hm_set_name(n.name, name);
	return hm_ioctl(fd, cmd, &n);
}

static int hm_open(int fd, const char *name)
{
	return hm_name_cmd(fd, HMAP_IOC_OPEN, name);
}

static int hm_destroy(int fd, const char *name)
{
	return hm_name_cmd(fd, HMAP_IOC_DESTROY, name);
}

/* A new fd bound to the existing map @name: the fd, or -errno. */
static int hm_attach(const char *name)
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

static int hm_lookup(int fd, const void *k, __u32 kl, void *v, __u32 *vl)
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

static int hm_update(int fd, const void *k, __u32 kl, const void *v, __u32 vl,
		     __u32 flags)
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

static int hm_delete(int fd, const void *k, __u32 kl)
{
	struct hmap_elem_op op = {
		.argsz = sizeof(op),
		.key = U64P(k),
		.key_len = kl,
	};

	return hm_ioctl(fd, HMAP_IOC_DELETE, &op);
}

static int hm_batch(int fd, unsigned long cmd, __u32 flags, __u32 *count,
		    const void *keys, const __u32 *key_lens, void *values,
		    __u32 *value_lens)
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

static int hm_cmd(int fd, unsigned long cmd)
{
	struct hmap_cmd c = { .argsz = sizeof(c) };

	return hm_ioctl(fd, cmd, &c);
}

static int hm_stats(int fd, struct hmap_map_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->argsz = sizeof(*s);
	return hm_ioctl(fd, HMAP_IOC_STATS, s);
}

/* Entry count of the bound map, or -errno. */
static long long hm_count(int fd)
{
	struct hmap_map_stats s;
	int err = hm_stats(fd, &s);

	return err ? err : (long long)s.count;
}

/* 8-byte keys (a __u64 id) and values derived from the id: the common case. */
static void val_fill(void *buf, __u32 len, __u64 seed)
{
	__u8 *p = buf;
	__u32 i;

	for (i = 0; i < len; i++)
		p[i] = (__u8)(seed * 131 + i * 7 + (seed >> 8));
}

static bool val_ok(const void *buf, __u32 len, __u64 seed)
{
	const __u8 *p = buf;
	__u32 i;

	for (i = 0; i < len; i++)
		if (p[i] != (__u8)(seed * 131 + i * 7 + (seed >> 8)))
			return false;
	return true;
}

static int put_id(int fd, __u64 id, __u32 vl, __u32 flags)
{
	__u8 v[256];

	val_fill(v, vl, id);
	return hm_update(fd, &id, sizeof(id), v, vl, flags);
}

/* 0 if @id is present with the value put_id() stored, else -errno/-EBADMSG. */
static int get_id(int fd, __u64 id, __u32 vl)
{
	__u8 v[256];
	__u32 len = sizeof(v);
	int err = hm_lookup(fd, &id, sizeof(id), v, &len);

	if (err)
		return err;
	return len == vl && val_ok(v, vl, id) ? 0 : -EBADMSG;
}

/* Insert ids [first, first + n) one by one; 0 or the first error. */
static int fill(int fd, __u64 first, __u64 n, __u32 vl)
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
static int hm_list_all(int fd, struct hmap_list_entry **out, __u32 *total)
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
			if (total)
				*total = l.total;
			return l.count;
		}
		free(e);
		room = l.total + 16;
	}
	return -EAGAIN;
}

/* The LIST entry of @name: 1 if found (*out filled), 0 if not, or -errno. */
static int hm_list_find(const char *name, struct hmap_list_entry *out,
			int *matches)
{
	struct hmap_list_entry *e;
	int fd = hm_dev_open(), n, i, found = 0;

	if (fd < 0)
		return fd;
	n = hm_list_all(fd, &e, NULL);
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
static void destroy_prefix(const char *prefix)
{
	struct hmap_list_entry *e;
	size_t plen = strlen(prefix);
	int fd = hm_dev_open(), n, i;

	if (fd < 0)
		return;
	n = hm_list_all(fd, &e, NULL);
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
static int hm_walk(int fd, __u32 ks, __u32 vs, __u32 room, bool values,
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

static int seen_fn(void *ctx, const __u8 *key, __u32 klen, const __u8 *val,
		   __u32 vlen)
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
static long walk_ids(int fd, __u32 vs, __u32 room, bool values,
		     struct seen_ctx *c, struct walk_stats *ws)
{
	unsigned long wrong;
	__u64 id;
	int err;

	memset(c->seen, 0, sizeof(c->seen));
	c->dups = c->strays = c->badvals = 0;
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
static long long file_number(const char *dir, const char *file)
{
	char path[256];
	long long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* A per-user limit, module parameter @name: asserted to be positive. */
static long read_limit(struct __test_metadata *_metadata, const char *name)
{
	long long val = file_number(PARAM_DIR, name);

	ASSERT_LT(0, val) {
		TH_LOG("cannot read " PARAM_DIR "/%s", name);
	}
	return val;
}

static void *map_pages(size_t n, int prot)
{
	void *p = mmap(NULL, n * (size_t)getpagesize(), prot,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Like the kernel's kmalloc_size_roundup() for the sizes used here. */
static size_t kmalloc_roundup(size_t n)
{
	size_t s = 8;

	if (n > 64 && n <= 96)
		return 96;
	if (n > 128 && n <= 192)
		return 192;
	while (s < n)
		s <<= 1;
	return s;
}

/* The per-user byte estimate of a map, as the ABI documents it. */
static double map_bytes(__u32 ks, __u32 vs, __u32 max)
{
	return (double)max * (kmalloc_roundup(16 + ((ks + 7) & ~7U) + vs) + 30);
}

/*
 * /dev/hmap must be usable by the unprivileged test uids: open it after
 * dropping privileges so the creds the kernel sees are unambiguous.
 */
static void dev_allow_all(struct __test_metadata *_metadata)
{
	struct stat st;

	if (stat(DEV_PATH, &st))
		return;
	if ((st.st_mode & 0666) == 0666)
		return;
	TH_LOG("note: %s has mode 0%o; chmod 0666 for the unprivileged children",
	       DEV_PATH, st.st_mode & 07777);
	chmod(DEV_PATH, (st.st_mode & 07777) | 0666);
}

/* ------------------------------------------------------------------------
 * Forked children running as another user. They report through their exit
 * status: 0 all checks passed, 1 some failed (each printed), 2 /dev/hmap
 * could not be opened, 90 setuid failed.
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

static int child_dev_open(void)
{
	int fd = hm_dev_open();

	if (fd < 0) {
		fprintf(stderr, "#   [uid %u] open %s: %s\n",
			(unsigned int)getuid(), DEV_PATH, strerror(-fd));
		_exit(2);
	}
	return fd;
}

/* What a child of run_as() works on; each child says which it uses. */
struct child_arg {
	const char *name;	/* the test's map name */
	const char *name2;	/* its second name */
	const char *prefix;	/* the prefix of the test's names */
	int fd;			/* a bound fd of the parent's, inherited */
	int ufd;		/* an unbound fd of the parent's, inherited */
	int expect;		/* what the child should find */
	long limit;		/* a per-user limit */
};

#define CHILD_ARG(self) {						\
	.name = (self)->name, .name2 = (self)->name2,			\
	.prefix = (self)->prefix, .fd = -1, .ufd = -1,			\
}

/* setgroups(), setgid(), setuid(): 0 or -errno. */
static int switch_user(uid_t uid, gid_t gid, int ngroups, const gid_t *groups)
{
	if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid))
		return -errno;
	return 0;
}

/*
 * Run @fn(@arg) in a child as @uid, @gid and the @ngroups @groups: the
 * child's exit status (as above), 128 + signal, or -errno.
 */
static int run_as(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
		  int (*fn)(void *), void *arg)
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
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* ------------------------------------------------------------------------
 * Skipping. In the 6.1 harness SKIP() in FIXTURE_SETUP() does not stop the
 * test body: the setups note what is missing, the bodies skip.
 */

/* Skip if /dev/hmap is absent (self->err: errno of opening it). */
#define REQUIRE_HMAP() do {						\
	if (self->err == ENOENT || self->err == ENODEV ||		\
	    self->err == ENXIO)						\
		SKIP(return, DEV_PATH " not present (%s)",		\
		     strerror(self->err));				\
	ASSERT_EQ(0, self->err) {					\
		TH_LOG("open " DEV_PATH ": %s", strerror(self->err));	\
	}								\
} while (0)

#define REQUIRE_ROOT() do {						\
	if (geteuid() != 0)						\
		SKIP(return, "needs root to switch to the test uids");	\
} while (0)

/* /dev/hmap, root, and /dev/hmap open to the unprivileged test uids. */
#define REQUIRE_TEST_UIDS() do {					\
	REQUIRE_HMAP();							\
	REQUIRE_ROOT();							\
	dev_allow_all(_metadata);					\
} while (0)

/* The sizes a map was created with, as LIST and STATS report them. */
#define EXPECT_SIZES(_ks, _vs, _max, _got) do {				\
	EXPECT_EQ(_ks, (_got).key_size);				\
	EXPECT_EQ(_vs, (_got).value_size);				\
	EXPECT_EQ(_max, (_got).max_entries);				\
} while (0)

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
 * Fixture hmap_ioctl: what every command's argument struct shares.
 */

#define IO_KS	8
#define IO_VS	8

/* The open mode a command needs (-EBADF without it). */
enum io_fmode {
	IO_FM_ANY,	/* VERSION, LIST, STATS; OPEN needs read or write */
	IO_FM_READ,	/* LOOKUP, BATCH_LOOKUP, DUMP */
	IO_FM_WRITE,	/* CREATE, DESTROY and the commands changing a map */
};

enum io_fd_kind {
	IO_ANY,		/* works on any fd: VERSION, DESTROY, LIST */
	IO_UNBOUND,	/* needs an unbound fd: CREATE, OPEN */
	IO_BOUND,	/* needs a bound fd: the per-map commands */
};

FIXTURE(hmap_ioctl) {
	int fd;		/* bound to the named map self->name, holding key 1 */
	int ufd;	/* unbound */
	int err;	/* errno of opening /dev/hmap */
	char prefix[HMAP_NAME_MAX];
	char name[HMAP_NAME_MAX];
	__u64 key;
	__u8 value[IO_VS];
	__u32 vlen;
	struct hmap_list_entry list[4];
	__u64 dkeys[4];
	__u32 dklens[4];
	__u8 dvals[4 * IO_VS];
	__u32 dvlens[4];
	__u8 *area;	/* two pages, the second PROT_NONE: the arg struct */
	size_t page;
};

FIXTURE_VARIANT(hmap_ioctl) {
	unsigned long cmd;
	__u32 size;
	enum io_fd_kind kind;
	enum io_fmode fmode;
	__u32 bad_flags[3];
	/* STATS: the struct is all output, any argsz >= 8 is room to fill */
	bool output_only;
	void (*prep)(FIXTURE_DATA(hmap_ioctl) *self, void *arg);
};

static void prep_version(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	struct hmap_version *v = arg;

	(void)self;
	v->argsz = sizeof(*v);
}

static void prep_create(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	(void)self;
	hm_create_init(arg, NULL, IO_KS, IO_VS, 4, 0600);
}

static void prep_name(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	struct hmap_name *n = arg;

	n->argsz = sizeof(*n);
	hm_set_name(n->name, self->name);
}

static void prep_list(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	struct hmap_list *l = arg;

	l->argsz = sizeof(*l);
	l->count = 4;
	l->entries = U64P(self->list);
}

static void prep_elem(FIXTURE_DATA(hmap_ioctl) *self, void *arg, bool value)
{
	struct hmap_elem_op *op = arg;

	op->argsz = sizeof(*op);
	op->key = U64P(&self->key);
	op->key_len = sizeof(self->key);
	if (value) {
		op->value = U64P(self->value);
		op->value_len = sizeof(self->value);
	}
}

static void prep_lookup(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	prep_elem(self, arg, true);
}

static void prep_update(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	prep_elem(self, arg, true);
}

static void prep_delete(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	prep_elem(self, arg, false);
}

static void prep_batch(FIXTURE_DATA(hmap_ioctl) *self, void *arg, bool values)
{
	struct hmap_batch *b = arg;

	b->argsz = sizeof(*b);
	b->count = 1;
	b->keys = U64P(&self->key);
	if (values) {
		b->values = U64P(self->value);
		b->value_lens = U64P(&self->vlen);
	}
}

static void prep_batch_lookup(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	prep_batch(self, arg, true);
}

static void prep_batch_update(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	self->vlen = IO_VS;
	prep_batch(self, arg, true);
}

static void prep_batch_delete(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	prep_batch(self, arg, false);
}

static void prep_dump(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	struct hmap_dump *d = arg;

	d->argsz = sizeof(*d);
	d->count = 4;
	d->keys = U64P(self->dkeys);
	d->key_lens = U64P(self->dklens);
	d->values = U64P(self->dvals);
	d->value_lens = U64P(self->dvlens);
}

static void prep_cmd(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	struct hmap_cmd *c = arg;

	(void)self;
	c->argsz = sizeof(*c);
}

static void prep_stats(FIXTURE_DATA(hmap_ioctl) *self, void *arg)
{
	struct hmap_map_stats *s = arg;

	(void)self;
	s->argsz = sizeof(*s);
}

/* Flags each command refuses: bit 0 is the one some commands take. */
#define FLAGS_NONE	{ 1, 2, 0x80000000 }	/* commands taking no flag */
#define FLAGS_BIT0	{ 2, 4, 0x80000000 }	/* CREATE_ANON; DUMP_DONE, ignored */
#define FLAGS_UPDATE	{ 3, 4, 0x80000000 }	/* ANY/NOEXIST/EXIST only */

/* The variant of a command whose argument is read (and maybe written). */
#define IO_VARIANT(_name, _cmd, _struct, _prep, _kind, _fmode, _flags)	\
	FIXTURE_VARIANT_ADD(hmap_ioctl, _name) {			\
		.cmd = _cmd, .size = sizeof(struct _struct),		\
		.prep = _prep, .kind = _kind, .fmode = _fmode,		\
		.bad_flags = _flags,					\
	}

IO_VARIANT(version, HMAP_IOC_VERSION, hmap_version, prep_version,
	   IO_ANY, IO_FM_ANY, FLAGS_NONE);
IO_VARIANT(create, HMAP_IOC_CREATE, hmap_create, prep_create,
	   IO_UNBOUND, IO_FM_WRITE, FLAGS_BIT0);
IO_VARIANT(open, HMAP_IOC_OPEN, hmap_name, prep_name,
	   IO_UNBOUND, IO_FM_ANY, FLAGS_NONE);
IO_VARIANT(destroy, HMAP_IOC_DESTROY, hmap_name, prep_name,
	   IO_ANY, IO_FM_WRITE, FLAGS_NONE);
IO_VARIANT(list, HMAP_IOC_LIST, hmap_list, prep_list,
	   IO_ANY, IO_FM_ANY, FLAGS_NONE);
IO_VARIANT(lookup, HMAP_IOC_LOOKUP, hmap_elem_op, prep_lookup,
	   IO_BOUND, IO_FM_READ, FLAGS_NONE);
IO_VARIANT(update, HMAP_IOC_UPDATE, hmap_elem_op, prep_update,
	   IO_BOUND, IO_FM_WRITE, FLAGS_UPDATE);
IO_VARIANT(delete, HMAP_IOC_DELETE, hmap_elem_op, prep_delete,
	   IO_BOUND, IO_FM_WRITE, FLAGS_NONE);
IO_VARIANT(batch_lookup, HMAP_IOC_BATCH_LOOKUP, hmap_batch, prep_batch_lookup,
	   IO_BOUND, IO_FM_READ, FLAGS_NONE);
IO_VARIANT(batch_update, HMAP_IOC_BATCH_UPDATE, hmap_batch, prep_batch_update,
	   IO_BOUND, IO_FM_WRITE, FLAGS_UPDATE);
IO_VARIANT(batch_delete, HMAP_IOC_BATCH_DELETE, hmap_batch, prep_batch_delete,
	   IO_BOUND, IO_FM_WRITE, FLAGS_NONE);
IO_VARIANT(dump, HMAP_IOC_DUMP, hmap_dump, prep_dump,
	   IO_BOUND, IO_FM_READ, FLAGS_BIT0);
IO_VARIANT(clear, HMAP_IOC_CLEAR, hmap_cmd, prep_cmd,
	   IO_BOUND, IO_FM_WRITE, FLAGS_NONE);
IO_VARIANT(shrink, HMAP_IOC_SHRINK, hmap_cmd, prep_cmd,
	   IO_BOUND, IO_FM_WRITE, FLAGS_NONE);

FIXTURE_VARIANT_ADD(hmap_ioctl, stats) {
	.cmd = HMAP_IOC_STATS, .size = sizeof(struct hmap_map_stats),
	.prep = prep_stats, .kind = IO_BOUND, .fmode = IO_FM_ANY,
	.bad_flags = FLAGS_NONE, .output_only = true,
};

FIXTURE_SETUP(hmap_ioctl)
{
	self->fd = -1;
	self->ufd = hm_dev_open();
	if (self->ufd < 0) {
		self->err = -self->ufd;
		return;
	}
	snprintf(self->prefix, sizeof(self->prefix), "hmt.%d.", getpid());
	name_cat(self->name, self->prefix, _metadata->name);
	self->page = getpagesize();
	self->area = map_pages(2, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->area);
	ASSERT_EQ(0, mprotect(self->area + self->page, self->page, PROT_NONE));
	self->fd = hm_new(self->name, IO_KS, IO_VS, 16, 0600);
	ASSERT_LE(0, self->fd);
	self->key = 1;
	memset(self->value, 0x5a, sizeof(self->value));
	ASSERT_EQ(0, hm_update(self->fd, &self->key, sizeof(self->key),
			       self->value, sizeof(self->value), HMAP_ANY));
}

FIXTURE_TEARDOWN(hmap_ioctl)
{
	if (self->ufd < 0)
		return;
	destroy_prefix(self->prefix);
	if (self->fd >= 0)
		close(self->fd);
	close(self->ufd);
	if (self->area)
		munmap(self->area, 2 * self->page);
}

/* A valid argument for the variant's command in self->area. */
static void *io_arg(FIXTURE_DATA(hmap_ioctl) *self,
		    const FIXTURE_VARIANT(hmap_ioctl) *variant)
{
	memset(self->area, 0, self->page);
	variant->prep(self, self->area);
	return self->area;
}

/* The fd the command works on: bound for per-map commands, else unbound. */
static int io_fd(FIXTURE_DATA(hmap_ioctl) *self,
		 const FIXTURE_VARIANT(hmap_ioctl) *variant)
{
	return variant->kind == IO_BOUND ? self->fd : self->ufd;
}

/* Baseline: the argument the other tests spoil is accepted as is. */
TEST_F(hmap_ioctl, valid_arg)
{
	REQUIRE_HMAP();
	EXPECT_EQ(0, hm_ioctl(io_fd(self, variant), variant->cmd,
			      io_arg(self, variant)));
}

/* The argument struct itself is not readable: -EFAULT. */
TEST_F(hmap_ioctl, fault_arg)
{
	__u32 *straddle = (__u32 *)(self->area + self->page - 4);
	int fd;

	REQUIRE_HMAP();
	fd = io_fd(self, variant);
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, variant->cmd, NULL));
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, variant->cmd, self->area + self->page));
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, variant->cmd, (void *)-4096L));
	/* argsz readable, the rest of the struct in the PROT_NONE page */
	*straddle = variant->size;
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, variant->cmd, straddle));
	/* nothing happened: the bound map still holds its key */
	EXPECT_EQ(1, hm_count(self->fd));
}

/* argsz smaller than the struct: -EINVAL. */
TEST_F(hmap_ioctl, argsz_too_small)
{
	__u32 sizes[] = { 0, 4, variant->size - 4, variant->size - 1 };
	unsigned int i;
	int fd;

	REQUIRE_HMAP();
	fd = io_fd(self, variant);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		__u32 *arg = io_arg(self, variant);

		arg[0] = sizes[i];
		if (variant->output_only && sizes[i] >= 8) {
			/* an older, shorter struct: filled up to argsz */
			EXPECT_EQ(0, hm_ioctl(fd, variant->cmd, arg));
			EXPECT_EQ(sizes[i], arg[0]);
			continue;
		}
		EXPECT_EQ(-EINVAL, hm_ioctl(fd, variant->cmd, arg)) {
			TH_LOG("argsz %u", sizes[i]);
		}
	}
	EXPECT_EQ(1, hm_count(self->fd));
}

/*
 * argsz larger than the struct, non-zero bytes beyond it: -E2BIG (for
 * STATS, whose struct is output, the extra room is left alone).
 */
TEST_F(hmap_ioctl, argsz_big_nonzero_tail)
{
	__u32 *arg;
	int fd;

	REQUIRE_HMAP();
	fd = io_fd(self, variant);

	if (variant->output_only) {
		/* room beyond the kernel's struct is left alone */
		arg = io_arg(self, variant);
		arg[0] = variant->size + 8;
		self->area[variant->size + 7] = 1;
		EXPECT_EQ(0, hm_ioctl(fd, variant->cmd, arg));
		EXPECT_EQ(variant->size, arg[0]);
		EXPECT_EQ(1, self->area[variant->size + 7]);
		return;
	}

	arg = io_arg(self, variant);
	arg[0] = variant->size + 8;
	self->area[variant->size + 7] = 1;
	EXPECT_EQ(-E2BIG, hm_ioctl(fd, variant->cmd, arg));

	arg = io_arg(self, variant);
	arg[0] = variant->size + 1;
	self->area[variant->size] = 0x80;
	EXPECT_EQ(-E2BIG, hm_ioctl(fd, variant->cmd, arg));

	arg = io_arg(self, variant);
	arg[0] = variant->size + 1024;
	self->area[variant->size + 1000] = 0xff;
	EXPECT_EQ(-E2BIG, hm_ioctl(fd, variant->cmd, arg));

	EXPECT_EQ(1, hm_count(self->fd));
}

/*
 * argsz larger than the struct, zero bytes beyond it: accepted, and argsz
 * left as the caller gave it (STATS reports the size it filled).
 */
TEST_F(hmap_ioctl, argsz_big_zero_tail)
{
	__u32 *arg;

	REQUIRE_HMAP();
	arg = io_arg(self, variant);
	arg[0] = variant->size + 256;
	EXPECT_EQ(0, hm_ioctl(io_fd(self, variant), variant->cmd, arg));
	if (variant->output_only) {
		int i;

		EXPECT_EQ(variant->size, arg[0]);
		/* the room beyond is untouched */
		for (i = 0; i < 256; i++)
			ASSERT_EQ(0, self->area[variant->size + i]);
	} else {
		EXPECT_EQ(variant->size + 256, arg[0]);
	}
}

/*
 * argsz up to HMAP_ARGSZ_MAX (4096 whatever the page size) with a zero
 * tail is accepted; above it -E2BIG, before any byte beyond is read (here
 * they are not readable). STATS, all output, takes any argsz.
 */
TEST_F(hmap_ioctl, argsz_max)
{
	__u32 sizes[] = { HMAP_ARGSZ_MAX + 1, HMAP_ARGSZ_MAX + 8,
			  2 * HMAP_ARGSZ_MAX, 0x80000000U, 0xffffffffU };
	unsigned int i;
	__u32 *arg;
	int fd;

	REQUIRE_HMAP();
	ASSERT_GE(self->page, (size_t)HMAP_ARGSZ_MAX);
	fd = io_fd(self, variant);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		arg = io_arg(self, variant);
		arg[0] = sizes[i];
		EXPECT_EQ(variant->output_only ? 0 : -E2BIG,
			  hm_ioctl(fd, variant->cmd, arg)) {
			TH_LOG("argsz %u", sizes[i]);
		}
		if (!variant->output_only)
			EXPECT_EQ(sizes[i], arg[0]);
	}
	EXPECT_EQ(1, hm_count(self->fd));
	arg = io_arg(self, variant);
	arg[0] = HMAP_ARGSZ_MAX;
	EXPECT_EQ(0, hm_ioctl(fd, variant->cmd, arg));
	EXPECT_EQ(variant->output_only ? variant->size : HMAP_ARGSZ_MAX,
		  arg[0]);
}

/* A flag the command does not know: -EINVAL. */
TEST_F(hmap_ioctl, unknown_flag)
{
	unsigned int i;
	int fd;

	REQUIRE_HMAP();
	fd = io_fd(self, variant);
	for (i = 0; i < ARRAY_SIZE(variant->bad_flags); i++) {
		__u32 *arg = io_arg(self, variant);

		arg[1] = variant->bad_flags[i];
		EXPECT_EQ(-EINVAL, hm_ioctl(fd, variant->cmd, arg)) {
			TH_LOG("flags 0x%x", variant->bad_flags[i]);
		}
	}
	/* the fd stayed unbound, the map kept its key (and its name) */
	EXPECT_EQ(-ENOTCONN, hm_count(self->ufd));
	EXPECT_EQ(1, hm_count(self->fd));
	EXPECT_EQ(1, hm_list_find(self->name, NULL, NULL));
}

/* Per-map commands on an unbound fd: -ENOTCONN; the others work. */
TEST_F(hmap_ioctl, unbound_fd)
{
	REQUIRE_HMAP();
	EXPECT_EQ(variant->kind == IO_BOUND ? -ENOTCONN : 0,
		  hm_ioctl(self->ufd, variant->cmd, io_arg(self, variant)));
}

/* CREATE/OPEN on a bound fd: -EBUSY; the others work. */
TEST_F(hmap_ioctl, bound_fd)
{
	REQUIRE_HMAP();
	EXPECT_EQ(variant->kind == IO_UNBOUND ? -EBUSY : 0,
		  hm_ioctl(self->fd, variant->cmd, io_arg(self, variant)));
}

/*
 * The fd's open mode, not the caller, decides: a command that changes a
 * map needs an fd opened for writing, one that reads a map an fd opened
 * for reading (-EBADF otherwise, even for root and the map's owner); the
 * others work on any fd. Per-map commands run on an fd bound by OPEN.
 */
TEST_F(hmap_ioctl, open_mode)
{
	static const int modes[] = { O_RDONLY, O_WRONLY };
	unsigned int i;

	REQUIRE_HMAP();
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		bool ok = variant->fmode == IO_FM_ANY ||
			  (variant->fmode == IO_FM_READ) == (modes[i] == O_RDONLY);
		int fd = hm_dev_open_mode(modes[i]);

		ASSERT_LE(0, fd);
		if (variant->kind == IO_BOUND)
			ASSERT_EQ(0, hm_open(fd, self->name));
		EXPECT_EQ(ok ? 0 : -EBADF,
			  hm_ioctl(fd, variant->cmd, io_arg(self, variant))) {
			TH_LOG("%s", modes[i] == O_RDONLY ? "O_RDONLY" :
			       "O_WRONLY");
		}
		if (!ok)	/* refused: the map kept its key */
			EXPECT_EQ(1, hm_count(self->fd));
		close(fd);
	}
}

/*
 * The commands do not encode a size or direction: the same number with
 * one, or with another magic, is an unknown command (-ENOTTY).
 */
TEST_F(hmap_ioctl, cmd_encoding)
{
	unsigned int nr = _IOC_NR(variant->cmd);
	unsigned long cmds[] = {
		_IOC(_IOC_READ | _IOC_WRITE, HMAP_IOC_MAGIC, nr, variant->size),
		_IOC(_IOC_WRITE, HMAP_IOC_MAGIC, nr, variant->size),
		_IOC(_IOC_READ, HMAP_IOC_MAGIC, nr, variant->size),
		_IOC(_IOC_NONE, HMAP_IOC_MAGIC, nr, 8),
		_IO(HMAP_IOC_MAGIC + 1, nr),
		_IO('a', nr),
	};
	unsigned int i;

	REQUIRE_HMAP();
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-ENOTTY, hm_ioctl(io_fd(self, variant), cmds[i],
					    io_arg(self, variant))) {
			TH_LOG("cmd 0x%lx", cmds[i]);
		}
	}
	EXPECT_EQ(1, hm_count(self->fd));
}

/* ------------------------------------------------------------------------
 * Fixture hmap
 */

FIXTURE(hmap) {
	int fd;		/* an unbound fd */
	int err;	/* errno of opening /dev/hmap */
	char prefix[HMAP_NAME_MAX];	/* "hmt.<pid>." */
	char name[HMAP_NAME_MAX];	/* prefix + test name */
	char name2[HMAP_NAME_MAX];	/* name + ".2" */
};

FIXTURE_SETUP(hmap)
{
	self->fd = hm_dev_open();
	if (self->fd < 0)
		self->err = -self->fd;
	snprintf(self->prefix, sizeof(self->prefix), "hmt.%d.", getpid());
	name_cat(self->name, self->prefix, _metadata->name);
	name_cat(self->name2, self->name, ".2");
}

FIXTURE_TEARDOWN(hmap)
{
	if (self->err)
		return;
	destroy_prefix(self->prefix);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * A new fd bound to a new map @name (anonymous if NULL) of @mode, with
 * 8-byte keys and values, 16 entries at most, holding key 1 (put_id()).
 * Asserts that it worked.
 */
static int map_holding_key1(struct __test_metadata *_metadata,
			    const char *name, __u32 mode)
{
	int fd = hm_new(name, 8, 8, 16, mode);

	ASSERT_LE(0, fd) {
		TH_LOG("create %s: %s", name ?: "(anonymous)", strerror(-fd));
	}
	ASSERT_EQ(0, put_id(fd, 1, 8, HMAP_NOEXIST));
	return fd;
}

/* ---- Operations ---- */

TEST_F(hmap, version)
{
	struct hmap_version v;
	int fd;

	REQUIRE_HMAP();
	ASSERT_EQ(0, hm_version(self->fd, &v));
	EXPECT_EQ(HMAP_ABI_VERSION, (int)v.abi_version);
	EXPECT_EQ(HMAP_FEATURES, v.features);
	EXPECT_EQ(0U, v.flags);
	EXPECT_EQ(KEY_SIZE_MAX, v.key_size_max);
	EXPECT_EQ(VALUE_SIZE_MAX, v.value_size_max);
	EXPECT_EQ(MAX_ENTRIES_MAX, v.max_entries_max);

	/* also on a bound fd */
	fd = hm_new(NULL, 8, 8, 1, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hm_version(fd, &v));
	EXPECT_EQ(HMAP_ABI_VERSION, (int)v.abi_version);
	close(fd);
}

TEST_F(hmap, create_named_and_list)
{
	struct hmap_list_entry e, few[1];
	struct hmap_list l = { .argsz = sizeof(l) };
	__u64 id;
	int fd;

	REQUIRE_HMAP();
	ASSERT_EQ(0, hm_list_find(self->name, NULL, NULL));
	fd = hm_new(self->name, 16, 32, 100, 0640);
	ASSERT_LE(0, fd);

	ASSERT_EQ(1, hm_list_find(self->name, &e, NULL));
	EXPECT_EQ(geteuid(), e.owner);
	EXPECT_EQ(0640U, e.mode);
	EXPECT_SIZES(16U, 32U, 100U, e);
	EXPECT_EQ(0U, e.__reserved);
	EXPECT_EQ(0ULL, e.count);
	EXPECT_EQ('\0', e.name[HMAP_NAME_MAX - 1]);

	for (id = 0; id < 3; id++)
		ASSERT_EQ(0, put_id(fd, id, 32, HMAP_NOEXIST));
	ASSERT_EQ(1, hm_list_find(self->name, &e, NULL));
	EXPECT_EQ(3ULL, e.count);

	/* room 0: nothing written, total still reported */
	l.count = 0;
	l.entries = U64P(few);
	ASSERT_EQ(0, hm_ioctl(self->fd, HMAP_IOC_LIST, &l));
	EXPECT_EQ(0U, l.count);
	EXPECT_LE(1U, l.total);

	/* room 1: one entry written, total says how many exist */
	l.count = 1;
	ASSERT_EQ(0, hm_ioctl(self->fd, HMAP_IOC_LIST, &l));
	EXPECT_EQ(1U, l.count);
	EXPECT_LE(1U, l.total);
	close(fd);
}

/*
 * LIST writes at most HMAP_LIST_MAX (4096) entries a call, whatever the
 * room, and @total still counts every named map. The test destroys its
 * maps itself: the teardown lists them, which stops at the same limit.
 */
TEST_F_TIMEOUT(hmap, list_max_per_call, 600)
{
	const unsigned int n = HMAP_LIST_MAX + 1;
	struct hmap_list l = { .argsz = sizeof(l) };
	struct hmap_list_entry *e;
	char name[HMAP_NAME_MAX];
	unsigned int i, made = 0;
	int fd;

	REQUIRE_HMAP();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.40slist%u", self->prefix, i);
		fd = hm_new(name, 8, 8, 1, 0600);
		if (fd < 0) {
			EXPECT_LE(0, fd) {
				TH_LOG("map %u: %s", i, strerror(-fd));
			}
			break;
		}
		close(fd);
		made++;
	}
	e = calloc(n + 16, sizeof(*e));
	ASSERT_NE(NULL, e);
	if (made == n) {
		l.count = n + 16;
		l.entries = U64P(e);
		EXPECT_EQ(0, hm_ioctl(self->fd, HMAP_IOC_LIST, &l));
		EXPECT_EQ((__u32)HMAP_LIST_MAX, l.count);
		EXPECT_LE(n, l.total);
		EXPECT_NE(0, e[HMAP_LIST_MAX - 1].name[0]);
		EXPECT_EQ(0, e[HMAP_LIST_MAX].name[0]);
	}
	free(e);
	for (i = 0; i < made; i++) {
		snprintf(name, sizeof(name), "%.40slist%u", self->prefix, i);
		EXPECT_EQ(0, hm_destroy(self->fd, name));
	}
}

TEST_F(hmap, create_anon)
{
	struct hmap_list_entry *e;
	__u32 total0, total1;
	int fd, n;

	REQUIRE_HMAP();
	n = hm_list_all(self->fd, &e, &total0);
	ASSERT_LE(0, n);
	free(e);

	fd = hm_new(NULL, 8, 16, 10, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, put_id(fd, 7, 16, HMAP_NOEXIST));
	EXPECT_EQ(0, get_id(fd, 7, 16));
	EXPECT_EQ(1, hm_count(fd));

	/* anonymous maps are not listed */
	n = hm_list_all(self->fd, &e, &total1);
	ASSERT_LE(0, n);
	free(e);
	EXPECT_EQ(total0, total1);
	close(fd);
}

TEST_F(hmap, open_existing)
{
	int fd1, fd2;

	REQUIRE_HMAP();
	fd1 = hm_new(self->name, 8, 16, 10, 0600);
	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, put_id(fd1, 1, 16, HMAP_NOEXIST));

	ASSERT_EQ(0, hm_open(self->fd, self->name));
	fd2 = self->fd;
	EXPECT_EQ(0, get_id(fd2, 1, 16));
	ASSERT_EQ(0, put_id(fd2, 2, 16, HMAP_NOEXIST));
	EXPECT_EQ(0, get_id(fd1, 2, 16));
	EXPECT_EQ(2, hm_count(fd1));

	/* the map outlives the creating fd: the name holds it */
	close(fd1);
	fd1 = hm_attach(self->name);
	ASSERT_LE(0, fd1);
	EXPECT_EQ(0, get_id(fd1, 1, 16));
	EXPECT_EQ(2, hm_count(fd1));
	close(fd1);
}

TEST_F(hmap, update_flags)
{
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 16, 16, 0600);
	ASSERT_LE(0, fd);

	/* NOEXIST creates, then refuses */
	ASSERT_EQ(0, put_id(fd, 1, 8, HMAP_NOEXIST));
	EXPECT_EQ(0, get_id(fd, 1, 8));
	EXPECT_EQ(-EEXIST, put_id(fd, 1, 16, HMAP_NOEXIST));
	EXPECT_EQ(0, get_id(fd, 1, 8));

	/* EXIST replaces, refuses a missing key */
	EXPECT_EQ(0, put_id(fd, 1, 16, HMAP_EXIST));
	EXPECT_EQ(0, get_id(fd, 1, 16));
	EXPECT_EQ(-ENOENT, put_id(fd, 2, 16, HMAP_EXIST));
	EXPECT_EQ(-ENOENT, get_id(fd, 2, 16));

	/* ANY creates and replaces */
	EXPECT_EQ(0, put_id(fd, 2, 3, HMAP_ANY));
	EXPECT_EQ(0, get_id(fd, 2, 3));
	EXPECT_EQ(0, put_id(fd, 2, 16, HMAP_ANY));
	EXPECT_EQ(0, get_id(fd, 2, 16));

	EXPECT_EQ(2, hm_count(fd));
	close(fd);
}

TEST_F(hmap, lookup_delete)
{
	__u8 v[64], big[64];
	__u32 len;
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 64, 16, 0600);
	ASSERT_LE(0, fd);

	len = sizeof(v);
	EXPECT_EQ(-ENOENT, hm_lookup(fd, "a", 1, v, &len));
	EXPECT_EQ(-ENOENT, hm_delete(fd, "a", 1));

	/* "a", "a\0" and "ab" are three keys; values of 0, 64 and 7 bytes */
	memset(big, 0xa5, sizeof(big));
	ASSERT_EQ(0, hm_update(fd, "a", 1, v, 0, HMAP_NOEXIST));
	ASSERT_EQ(0, hm_update(fd, "a\0", 2, big, 64, HMAP_NOEXIST));
	ASSERT_EQ(0, hm_update(fd, "ab", 2, "1234567", 7, HMAP_NOEXIST));
	EXPECT_EQ(3, hm_count(fd));

	len = sizeof(v);
	EXPECT_EQ(0, hm_lookup(fd, "a", 1, v, &len));
	EXPECT_EQ(0U, len);
	len = sizeof(v);
	memset(v, 0, sizeof(v));
	EXPECT_EQ(0, hm_lookup(fd, "a\0", 2, v, &len));
	EXPECT_EQ(64U, len);
	EXPECT_EQ(0, memcmp(v, big, 64));
	len = sizeof(v);
	EXPECT_EQ(0, hm_lookup(fd, "ab", 2, v, &len));
	EXPECT_EQ(7U, len);
	EXPECT_EQ(0, memcmp(v, "1234567", 7));

	/* a zero-length value fits in no room */
	len = 0;
	EXPECT_EQ(0, hm_lookup(fd, "a", 1, v, &len));
	EXPECT_EQ(0U, len);

	ASSERT_EQ(0, hm_delete(fd, "a\0", 2));
	len = sizeof(v);
	EXPECT_EQ(-ENOENT, hm_lookup(fd, "a\0", 2, v, &len));
	EXPECT_EQ(-ENOENT, hm_delete(fd, "a\0", 2));
	len = sizeof(v);
	EXPECT_EQ(0, hm_lookup(fd, "a", 1, v, &len));
	len = sizeof(v);
	EXPECT_EQ(0, hm_lookup(fd, "ab", 2, v, &len));
	EXPECT_EQ(2, hm_count(fd));
	close(fd);
}

/* Batch keys of 4..32 bytes and values of 0..64 bytes, derived from i. */
#define BT_N	1000U
#define BT_KS	32U
#define BT_VS	64U

static void bt_key(__u8 *k, __u32 *kl, __u32 i)
{
	__u32 j;

	*kl = 4 + i % 29;
	memset(k, 0, BT_KS);
	memcpy(k, &i, 4);
	for (j = 4; j < *kl; j++)
		k[j] = (__u8)(i * 7 + j);
}

TEST_F(hmap, batch_update_lookup_delete)
{
	__u8 *keys, *vals, *out;
	__u32 *klens, *vlens, *olens, count, i;
	int fd;

	REQUIRE_HMAP();
	keys = calloc(BT_N, BT_KS);
	vals = calloc(BT_N, BT_VS);
	out = calloc(BT_N, BT_VS);
	klens = calloc(BT_N, sizeof(*klens));
	vlens = calloc(BT_N, sizeof(*vlens));
	olens = calloc(BT_N, sizeof(*olens));
	ASSERT_TRUE(keys && vals && out && klens && vlens && olens);
	for (i = 0; i < BT_N; i++) {
		bt_key(keys + i * BT_KS, &klens[i], i);
		vlens[i] = i % (BT_VS + 1);
		val_fill(vals + i * BT_VS, BT_VS, i);
	}
	fd = hm_new(NULL, BT_KS, BT_VS, 2 * BT_N, 0600);
	ASSERT_LE(0, fd);

	count = BT_N;
	ASSERT_EQ(0, hm_batch(fd, HMAP_IOC_BATCH_UPDATE, HMAP_NOEXIST, &count,
			      keys, klens, vals, vlens));
	EXPECT_EQ(BT_N, count);
	EXPECT_EQ(BT_N, hm_count(fd));

	/* single lookups see what the batch stored */
	for (i = 0; i < BT_N; i += 97) {
		__u8 v[BT_VS];
		__u32 len = sizeof(v);

		ASSERT_EQ(0, hm_lookup(fd, keys + i * BT_KS, klens[i], v, &len));
		EXPECT_EQ(vlens[i], len);
		EXPECT_TRUE(val_ok(v, len, i));
	}

	/* batch lookup with value lengths */
	count = BT_N;
	memset(olens, 0xff, BT_N * sizeof(*olens));
	ASSERT_EQ(0, hm_batch(fd, HMAP_IOC_BATCH_LOOKUP, 0, &count,
			      keys, klens, out, olens));
	EXPECT_EQ(BT_N, count);
	for (i = 0; i < BT_N; i++) {
		ASSERT_EQ(vlens[i], olens[i]);
		ASSERT_TRUE(val_ok(out + i * BT_VS, olens[i], i)) {
			TH_LOG("key %u: value differs", i);
		}
	}

	/* ... and without: values still land value_size apart */
	count = BT_N;
	memset(out, 0, BT_N * BT_VS);
	ASSERT_EQ(0, hm_batch(fd, HMAP_IOC_BATCH_LOOKUP, 0, &count,
			      keys, klens, out, NULL));
	EXPECT_EQ(BT_N, count);
	for (i = 0; i < BT_N; i++)
		ASSERT_TRUE(val_ok(out + i * BT_VS, vlens[i], i));

	/* NOEXIST again: the first key already exists */
	EXPECT_BATCH(-EEXIST, 0, fd, HMAP_IOC_BATCH_UPDATE, HMAP_NOEXIST, BT_N,
		     keys, klens, vals, vlens);

	/* EXIST without value_lens: every value is value_size bytes */
	count = BT_N;
	ASSERT_EQ(0, hm_batch(fd, HMAP_IOC_BATCH_UPDATE, HMAP_EXIST, &count,
			      keys, klens, vals, NULL));
	EXPECT_EQ(BT_N, count);
	for (i = 0; i < BT_N; i += 101) {
		__u8 v[BT_VS];
		__u32 len = sizeof(v);

		ASSERT_EQ(0, hm_lookup(fd, keys + i * BT_KS, klens[i], v, &len));
		EXPECT_EQ(BT_VS, len);
		EXPECT_TRUE(val_ok(v, len, i));
	}
	EXPECT_EQ(BT_N, hm_count(fd));

	count = BT_N;
	ASSERT_EQ(0, hm_batch(fd, HMAP_IOC_BATCH_DELETE, 0, &count,
			      keys, klens, NULL, NULL));
	EXPECT_EQ(BT_N, count);
	EXPECT_EQ(0, hm_count(fd));

	EXPECT_BATCH(-ENOENT, 0, fd, HMAP_IOC_BATCH_DELETE, 0, BT_N,
		     keys, klens, NULL, NULL);

	close(fd);
	free(keys);
	free(vals);
	free(out);
	free(klens);
	free(vlens);
	free(olens);
}

/* A batch stops at the first failing key; count says how many were done. */
TEST_F(hmap, batch_stops_at_first_error)
{
	__u64 keys[100], vals[100];
	__u32 i;
	int fd;

	REQUIRE_HMAP();
	for (i = 0; i < 100; i++) {
		keys[i] = i;
		vals[i] = ~(__u64)i;
	}
	/* fixed-size keys and values (key_lens and value_lens zero) */
	fd = hm_new(NULL, 8, 8, 1000, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hm_update(fd, &keys[50], 8, &vals[50], 8, HMAP_NOEXIST));

	EXPECT_BATCH(-EEXIST, 50, fd, HMAP_IOC_BATCH_UPDATE, HMAP_NOEXIST, 100,
		     keys, NULL, vals, NULL);
	EXPECT_EQ(51, hm_count(fd));
	for (i = 0; i < 100; i++) {
		__u64 v = 0;
		__u32 len = sizeof(v);

		EXPECT_EQ(i <= 50 ? 0 : -ENOENT,
			  hm_lookup(fd, &keys[i], 8, &v, &len));
		if (i <= 50)
			EXPECT_EQ(vals[i], v);
	}

	EXPECT_BATCH(-ENOENT, 51, fd, HMAP_IOC_BATCH_LOOKUP, 0, 100,
		     keys, NULL, vals, NULL);

	EXPECT_BATCH(-ENOENT, 51, fd, HMAP_IOC_BATCH_DELETE, 0, 100,
		     keys, NULL, NULL, NULL);
	EXPECT_EQ(0, hm_count(fd));

	EXPECT_BATCH(-ENOENT, 0, fd, HMAP_IOC_BATCH_UPDATE, HMAP_EXIST, 100,
		     keys, NULL, vals, NULL);
	close(fd);
}

#define DUMP_N	2000UL

TEST_F(hmap, dump_small_batches)
{
	struct seen_ctx c = { .n = DUMP_N, .vl = 16 };
	struct walk_stats ws;
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 16, 2 * DUMP_N, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fill(fd, 0, DUMP_N, 16));

	EXPECT_EQ(0, walk_ids(fd, 16, 7, true, &c, &ws));
	TH_LOG("room 7: %lu calls, %lu empty, %lu -ENOSPC", ws.calls,
	       ws.empty, ws.enospc);
	EXPECT_EQ(DUMP_N, ws.entries);

	/* again from cursor 0, one big batch at a time */
	EXPECT_EQ(0, walk_ids(fd, 16, 1024, true, &c, &ws));
	EXPECT_EQ(DUMP_N, ws.entries);
	close(fd);
}

TEST_F(hmap, dump_keys_only)
{
	struct seen_ctx c = { .n = 0 };
	struct walk_stats ws;
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 16, 1000, 0600);
	ASSERT_LE(0, fd);

	/* an empty map: DONE, nothing returned */
	EXPECT_EQ(0, walk_ids(fd, 16, 8, false, &c, &ws));
	EXPECT_EQ(0UL, ws.entries);

	c.n = 500;
	ASSERT_EQ(0, fill(fd, 0, c.n, 16));
	/* values and value_lens zero: keys only */
	EXPECT_EQ(0, walk_ids(fd, 16, 10, false, &c, &ws));
	EXPECT_EQ(c.n, ws.entries);
	close(fd);
}

/* One DUMP of up to @count 8-byte keys from *@cursor; -errno or 0. */
static int dump_ids(int fd, __u64 *cursor, __u32 *count, __u64 *keys,
		    bool *done)
{
	__u32 klens[64];
	struct hmap_dump d = {
		.argsz = sizeof(d), .count = *count, .cursor = *cursor,
		.keys = U64P(keys), .key_lens = U64P(klens),
	};
	int err;

	if (*count > 64)
		return -EINVAL;
	err = hm_ioctl(fd, HMAP_IOC_DUMP, &d);
	*cursor = d.cursor;
	*count = d.count;
	*done = d.flags & HMAP_DUMP_DONE;
	return err;
}

/*
 * The cursor handed back with HMAP_DUMP_DONE stays at the end: a call with
 * it returns nothing and DONE again, for a map of one entry (where the end
 * is reached by the call that returns the entry) and for a walk one entry
 * at a time.
 */
TEST_F(hmap, dump_done_cursor_stays_at_end)
{
	__u64 cursor = 0, keys[64];
	__u32 n, total = 0;
	bool done = false;
	int fd, calls;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 8, 100, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, put_id(fd, 7, 8, HMAP_NOEXIST));
	n = 64;
	ASSERT_EQ(0, dump_ids(fd, &cursor, &n, keys, &done));
	ASSERT_EQ(1U, n);
	EXPECT_EQ(7ULL, keys[0]);
	ASSERT_TRUE(done);
	for (calls = 0; calls < 3; calls++) {
		n = 64;
		EXPECT_EQ(0, dump_ids(fd, &cursor, &n, keys, &done));
		EXPECT_EQ(0U, n);
		EXPECT_TRUE(done);
	}

	ASSERT_EQ(0, fill(fd, 100, 40, 8));
	cursor = 0;
	done = false;
	for (calls = 0; !done && calls < 1000; calls++) {
		n = 1;
		ASSERT_EQ(0, dump_ids(fd, &cursor, &n, keys, &done));
		total += n;
	}
	ASSERT_TRUE(done);
	EXPECT_EQ(41U, total);
	n = 64;
	EXPECT_EQ(0, dump_ids(fd, &cursor, &n, keys, &done));
	EXPECT_EQ(0U, n);
	EXPECT_TRUE(done);
	close(fd);
}

/*
 * Cursors are opaque: two maps holding the same keys walk them in
 * different cursors, and values that are no cursor of the map are mostly
 * refused (a cursor that was a hash position would take any value).
 */
TEST_F(hmap, dump_cursor_opaque)
{
	__u64 ca[64], cb[64], keys[64], c, rng = 0x9e3779b97f4a7c15ULL;
	int fa, fb, i, j, same = 0, refused = 0;
	__u32 n, na = 0, nb = 0;
	bool done;

	REQUIRE_HMAP();
	fa = hm_new(NULL, 8, 8, 100, 0600);
	ASSERT_LE(0, fa);
	fb = hm_new(NULL, 8, 8, 100, 0600);
	ASSERT_LE(0, fb);
	ASSERT_EQ(0, fill(fa, 0, 50, 8));
	ASSERT_EQ(0, fill(fb, 0, 50, 8));
	for (c = 0, done = false; !done && na < 64;) {
		n = 1;
		ASSERT_EQ(0, dump_ids(fa, &c, &n, keys, &done));
		ca[na++] = c;
	}
	for (c = 0, done = false; !done && nb < 64;) {
		n = 1;
		ASSERT_EQ(0, dump_ids(fb, &c, &n, keys, &done));
		cb[nb++] = c;
	}
	for (i = 0; i < (int)na; i++)
		for (j = 0; j < (int)nb; j++)
			same += ca[i] == cb[j];
	EXPECT_EQ(0, same);

	for (i = 0; i < 64; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		c = rng;
		n = 8;
		if (dump_ids(fa, &c, &n, keys, &done) == -EINVAL)
			refused++;
	}
	/* Half of all values are refused: 64 draws all accepted is 2^-64. */
	EXPECT_LT(0, refused);
	EXPECT_GT(64, refused);
	close(fa);
	close(fb);
}

TEST_F(hmap, clear)
{
	struct seen_ctx c = { .n = 0, .vl = 8 };
	struct walk_stats ws;
	__u64 id;
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 8, 1000, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fill(fd, 0, 500, 8));
	EXPECT_EQ(500, hm_count(fd));

	ASSERT_EQ(0, hm_cmd(fd, HMAP_IOC_CLEAR));
	EXPECT_EQ(0, hm_count(fd));
	for (id = 0; id < 500; id += 37)
		EXPECT_EQ(-ENOENT, get_id(fd, id, 8));
	EXPECT_EQ(0, walk_ids(fd, 8, 64, true, &c, &ws));
	EXPECT_EQ(0UL, ws.entries);

	/* usable again, and clearing an empty map is fine */
	ASSERT_EQ(0, put_id(fd, 3, 8, HMAP_NOEXIST));
	EXPECT_EQ(0, get_id(fd, 3, 8));
	EXPECT_EQ(1, hm_count(fd));
	ASSERT_EQ(0, hm_cmd(fd, HMAP_IOC_CLEAR));
	ASSERT_EQ(0, hm_cmd(fd, HMAP_IOC_CLEAR));
	EXPECT_EQ(0, hm_count(fd));
	close(fd);
}

TEST_F(hmap, shrink)
{
	struct hmap_map_stats s;
	__u32 peak_B;
	__u64 id;
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 8, 4000, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hm_cmd(fd, HMAP_IOC_SHRINK));	/* empty: nothing to do */

	ASSERT_EQ(0, fill(fd, 0, 1500, 8));
	ASSERT_EQ(0, hm_stats(fd, &s));
	peak_B = s.B;
	EXPECT_LE(1ULL, s.grows);
	for (id = 10; id < 1500; id++)
		ASSERT_EQ(0, hm_delete(fd, &id, sizeof(id)));

	ASSERT_EQ(0, hm_cmd(fd, HMAP_IOC_SHRINK));
	ASSERT_EQ(0, hm_stats(fd, &s));
	EXPECT_EQ(10ULL, s.count);
	EXPECT_EQ(0U, s.resizing);
	EXPECT_GT(peak_B, s.B);
	EXPECT_LE(1ULL, s.shrinks);
	for (id = 0; id < 10; id++)
		EXPECT_EQ(0, get_id(fd, id, 8));

	/* shrinking a fitting map again is a no-op */
	ASSERT_EQ(0, hm_cmd(fd, HMAP_IOC_SHRINK));
	EXPECT_EQ(10, hm_count(fd));
	close(fd);
}

TEST_F(hmap, stats)
{
	struct hmap_map_stats s;
	__u64 id;
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 24, 5000, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hm_stats(fd, &s));
	EXPECT_EQ(sizeof(s), s.argsz);
	EXPECT_EQ(0U, s.flags);
	EXPECT_SIZES(8U, 24U, 5000U, s);
	EXPECT_EQ(0ULL, s.count);
	EXPECT_EQ(0ULL, s.grows);
	EXPECT_EQ(0ULL, s.elems_alloced);

	ASSERT_EQ(0, fill(fd, 0, 1000, 24));
	for (id = 0; id < 100; id++)		/* refused: allocated, freed */
		ASSERT_EQ(-EEXIST, put_id(fd, id, 24, HMAP_NOEXIST));
	for (id = 100; id < 300; id++)		/* replaced */
		ASSERT_EQ(0, put_id(fd, id, 20, HMAP_EXIST));
	for (id = 700; id < 1000; id++)
		ASSERT_EQ(0, hm_delete(fd, &id, sizeof(id)));

	ASSERT_EQ(0, hm_stats(fd, &s));
	EXPECT_EQ(sizeof(s), s.argsz);
	EXPECT_EQ(700ULL, s.count);
	EXPECT_LE(1ULL, s.grows);
	EXPECT_LT(0U, s.B);
	EXPECT_GE(3U, s.resizing);
	EXPECT_LE(1200ULL, s.elems_alloced);
	EXPECT_EQ(s.count, s.elems_alloced - s.elems_freed);
	EXPECT_LE(s.grows + 1, s.arrays_alloced);
	EXPECT_GE(s.arrays_alloced, s.arrays_freed);
	EXPECT_GE(s.overflow_alloced, s.overflow_freed);
	EXPECT_EQ(0ULL, s.alloc_failures);
	EXPECT_LT(700ULL * (16 + 8 + 20), s.bytes);
	EXPECT_EQ(700, hm_count(fd));
	close(fd);
}

/* ---- Bad input, one test each ---- */

TEST_F(hmap, bad_key_pointer)
{
	__u8 *bad = map_pages(1, PROT_NONE), *edge = map_pages(2, PROT_READ | PROT_WRITE);
	__u64 v = 0;
	__u32 len = sizeof(v);
	int fd;

	REQUIRE_HMAP();
	ASSERT_TRUE(bad && edge);
	/* a key whose last 4 bytes are in a PROT_NONE page */
	ASSERT_EQ(0, mprotect(edge + getpagesize(), getpagesize(), PROT_NONE));
	edge += getpagesize() - 4;
	fd = map_holding_key1(_metadata, NULL, 0600);

	EXPECT_EQ(-EFAULT, hm_lookup(fd, NULL, 8, &v, &len));
	len = sizeof(v);
	EXPECT_EQ(-EFAULT, hm_lookup(fd, bad, 8, &v, &len));
	len = sizeof(v);
	EXPECT_EQ(-EFAULT, hm_lookup(fd, edge, 8, &v, &len));
	EXPECT_EQ(-EFAULT, hm_update(fd, NULL, 8, &v, 8, HMAP_ANY));
	EXPECT_EQ(-EFAULT, hm_update(fd, bad, 8, &v, 8, HMAP_ANY));
	EXPECT_EQ(-EFAULT, hm_update(fd, edge, 8, &v, 8, HMAP_ANY));
	EXPECT_EQ(-EFAULT, hm_delete(fd, NULL, 8));
	EXPECT_EQ(-EFAULT, hm_delete(fd, bad, 8));
	EXPECT_EQ(-EFAULT, hm_delete(fd, edge, 8));
	EXPECT_EQ(1, hm_count(fd));
	EXPECT_EQ(0, get_id(fd, 1, 8));
	close(fd);
}

TEST_F(hmap, bad_value_pointer)
{
	__u8 *bad = map_pages(1, PROT_NONE), *ro = map_pages(1, PROT_READ);
	__u64 k = 1, k2 = 2;
	__u32 len;
	int fd;

	REQUIRE_HMAP();
	ASSERT_TRUE(bad && ro);
	fd = hm_new(NULL, 8, 8, 16, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, put_id(fd, k, 8, HMAP_NOEXIST));

	/* update reads the value: nothing is stored or replaced */
	EXPECT_EQ(-EFAULT, hm_update(fd, &k2, 8, NULL, 8, HMAP_ANY));
	EXPECT_EQ(-EFAULT, hm_update(fd, &k2, 8, bad, 8, HMAP_ANY));
	EXPECT_EQ(-EFAULT, hm_update(fd, &k, 8, bad, 8, HMAP_ANY));
	EXPECT_EQ(-ENOENT, get_id(fd, k2, 8));
	EXPECT_EQ(0, get_id(fd, k, 8));

	/* lookup writes the value */
	len = 8;
	EXPECT_EQ(-EFAULT, hm_lookup(fd, &k, 8, NULL, &len));
	len = 8;
	EXPECT_EQ(-EFAULT, hm_lookup(fd, &k, 8, bad, &len));
	len = 8;
	EXPECT_EQ(-EFAULT, hm_lookup(fd, &k, 8, ro, &len));
	EXPECT_EQ(1, hm_count(fd));
	close(fd);
}

TEST_F(hmap, bad_batch_pointer)
{
	__u8 *bad = map_pages(1, PROT_NONE), *ro = map_pages(1, PROT_READ);
	__u8 *edge = map_pages(2, PROT_READ | PROT_WRITE);
	__u64 keys[4] = { 1, 2, 3, 4 }, vals[4] = { 0 }, *ekeys, id;
	__u32 lens[4] = { 8, 8, 8, 8 }, count, i;
	long long n;
	int fd;

	REQUIRE_HMAP();
	ASSERT_TRUE(bad && ro && edge);
	ASSERT_EQ(0, mprotect(edge + getpagesize(), getpagesize(), PROT_NONE));
	fd = hm_new(NULL, 8, 8, 16, 0600);
	ASSERT_LE(0, fd);

	EXPECT_BATCH(-EFAULT, 0, fd, HMAP_IOC_BATCH_UPDATE, 0, 4,
		     bad, NULL, vals, NULL);
	EXPECT_BATCH(-EFAULT, 0, fd, HMAP_IOC_BATCH_UPDATE, 0, 4,
		     keys, (__u32 *)bad, vals, NULL);
	EXPECT_BATCH(-EFAULT, 0, fd, HMAP_IOC_BATCH_UPDATE, 0, 4,
		     keys, NULL, bad, NULL);
	EXPECT_BATCH(-EFAULT, 0, fd, HMAP_IOC_BATCH_UPDATE, 0, 4,
		     keys, NULL, vals, (__u32 *)bad);
	EXPECT_EQ(0, hm_count(fd));

	count = 4;
	ASSERT_EQ(0, hm_batch(fd, HMAP_IOC_BATCH_UPDATE, 0, &count,
			      keys, lens, vals, NULL));

	EXPECT_BATCH(-EFAULT, 0, fd, HMAP_IOC_BATCH_LOOKUP, 0, 4,
		     bad, NULL, vals, NULL);
	EXPECT_BATCH(-EFAULT, 0, fd, HMAP_IOC_BATCH_LOOKUP, 0, 4,
		     keys, NULL, ro, NULL);
	EXPECT_BATCH(-EFAULT, 0, fd, HMAP_IOC_BATCH_LOOKUP, 0, 4,
		     keys, NULL, vals, (__u32 *)ro);
	EXPECT_BATCH(-EFAULT, 0, fd, HMAP_IOC_BATCH_DELETE, 0, 4,
		     bad, NULL, NULL, NULL);
	EXPECT_BATCH(-EFAULT, 0, fd, HMAP_IOC_BATCH_DELETE, 0, 4,
		     keys, (__u32 *)bad, NULL, NULL);
	EXPECT_EQ(4, hm_count(fd));

	/*
	 * Keys 10 and 11 readable, the third in a PROT_NONE page: the batch
	 * may stop before or after the readable ones, but count must say
	 * exactly what was done.
	 */
	ASSERT_EQ(0, hm_cmd(fd, HMAP_IOC_CLEAR));
	ekeys = (__u64 *)(edge + getpagesize() - 2 * sizeof(__u64));
	ekeys[0] = 10;
	ekeys[1] = 11;
	count = 4;
	EXPECT_EQ(-EFAULT, hm_batch(fd, HMAP_IOC_BATCH_UPDATE, 0, &count,
				    ekeys, NULL, vals, NULL));
	EXPECT_GE(2U, count);
	n = hm_count(fd);
	EXPECT_EQ((long long)count, n);
	for (i = 0; i < 2; i++) {
		__u64 v;
		__u32 len = sizeof(v);

		id = 10 + i;
		EXPECT_EQ(i < count ? 0 : -ENOENT,
			  hm_lookup(fd, &id, 8, &v, &len));
	}
	close(fd);
}

/*
 * An element address past 2^64 (or past a 32-bit pointer) is -EFAULT,
 * never wrapped around. The values of this batch start value_size bytes
 * below 2^64: values[1] wraps to 0 and values[n] to a page mapped at a low
 * address. Only element n has a value (the others have 0-byte values, so
 * a kernel that wraps touches nothing else): such a kernel reads it from,
 * and writes it to, that page. The batch must stop at element 1.
 */
TEST_F(hmap, batch_address_wraps)
{
	static const unsigned long spots[] = { 1UL << 24, 1UL << 28 };
	__u64 *keys, v = 0x1122334455667788ULL;
	__u32 *vlens, n, i;
	__u8 *low = NULL;
	struct hmap_batch b;
	int fd;

	REQUIRE_HMAP();
	for (i = 0; i < ARRAY_SIZE(spots) && !low; i++) {
		void *p = mmap((void *)spots[i], getpagesize(),
			       PROT_READ | PROT_WRITE, MAP_PRIVATE |
			       MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		if (p == (void *)spots[i])
			low = p;
		else if (p != MAP_FAILED)
			munmap(p, getpagesize());
	}
	if (!low)
		SKIP(return, "no free page at a low fixed address");
	n = (uintptr_t)low / VALUE_SIZE_MAX + 1;	/* n * value_size > low */
	keys = calloc(n + 1, sizeof(*keys));
	vlens = calloc(n + 1, sizeof(*vlens));
	ASSERT_TRUE(keys && vlens);
	for (i = 0; i <= n; i++)
		keys[i] = i;
	vlens[n] = sizeof(v);
	memcpy(low, &v, sizeof(v));
	fd = hm_new(NULL, 8, VALUE_SIZE_MAX, n + 1, 0600);
	ASSERT_LE(0, fd);

	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.count = n + 1;
	b.keys = U64P(keys);
	b.values = U64P(low) - (__u64)n * VALUE_SIZE_MAX;	/* 2^64 - vs */
	b.value_lens = U64P(vlens);
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, HMAP_IOC_BATCH_UPDATE, &b));
	EXPECT_EQ(1U, b.count);
	EXPECT_EQ(1, hm_count(fd));

	/* every key present, n with 8 bytes: none may be written to low[] */
	for (i = 1; i < n; i++)
		ASSERT_EQ(0, hm_update(fd, &keys[i], 8, NULL, 0, HMAP_ANY));
	ASSERT_EQ(0, hm_update(fd, &keys[n], 8, &v, sizeof(v), HMAP_ANY));
	ASSERT_EQ(n + 1, hm_count(fd));
	memset(low, 0xaa, sizeof(v));
	b.count = n + 1;
	b.value_lens = 0;
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, HMAP_IOC_BATCH_LOOKUP, &b));
	EXPECT_EQ(1U, b.count);
	for (i = 0; i < sizeof(v); i++)
		EXPECT_EQ(0xaa, low[i]);

	close(fd);
	munmap(low, getpagesize());
	free(keys);
	free(vlens);
}

TEST_F(hmap, bad_dump_pointer)
{
	__u8 *bad = map_pages(1, PROT_NONE), *ro = map_pages(1, PROT_READ);
	__u64 keys[16], vals[16];
	__u32 klens[16], vlens[16];
	struct hmap_dump d;
	int fd, i;
	void *bufs[4] = { keys, klens, vals, vlens };

	REQUIRE_HMAP();
	ASSERT_TRUE(bad && ro);
	fd = hm_new(NULL, 8, 8, 16, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fill(fd, 0, 10, 8));

	for (i = 0; i < 8; i++) {
		void *b[4];

		memcpy(b, bufs, sizeof(b));
		b[i % 4] = i < 4 ? (void *)bad : (void *)ro;
		memset(&d, 0, sizeof(d));
		d.argsz = sizeof(d);
		d.count = 16;
		d.keys = U64P(b[0]);
		d.key_lens = U64P(b[1]);
		d.values = U64P(b[2]);
		d.value_lens = U64P(b[3]);
		EXPECT_EQ(-EFAULT, hm_ioctl(fd, HMAP_IOC_DUMP, &d)) {
			TH_LOG("%s buffer %d", i < 4 ? "unmapped" : "read-only",
			       i % 4);
		}
	}
	/* key_lens is not optional */
	memset(&d, 0, sizeof(d));
	d.argsz = sizeof(d);
	d.count = 16;
	d.keys = U64P(keys);
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, HMAP_IOC_DUMP, &d));
	EXPECT_EQ(10, hm_count(fd));
	close(fd);
}

TEST_F(hmap, bad_list_pointer)
{
	struct hmap_list l = { .argsz = sizeof(l), .count = 4 };
	void *bad = map_pages(1, PROT_NONE), *ro = map_pages(1, PROT_READ);
	int fd;

	REQUIRE_HMAP();
	ASSERT_TRUE(bad && ro);
	fd = hm_new(self->name, 8, 8, 16, 0600);	/* at least one named map */
	ASSERT_LE(0, fd);
	l.entries = U64P(bad);
	EXPECT_EQ(-EFAULT, hm_ioctl(self->fd, HMAP_IOC_LIST, &l));
	l.count = 4;
	l.entries = U64P(ro);
	EXPECT_EQ(-EFAULT, hm_ioctl(self->fd, HMAP_IOC_LIST, &l));
	l.count = 4;
	l.entries = 0;
	EXPECT_EQ(-EFAULT, hm_ioctl(self->fd, HMAP_IOC_LIST, &l));
	close(fd);
}

TEST_F(hmap, reserved_nonzero)
{
	struct hmap_create c;
	struct hmap_batch b;
	struct hmap_dump d;
	__u64 k = 1, v = 2;
	__u32 kl, vl;
	unsigned long cmds[] = {
		HMAP_IOC_BATCH_LOOKUP, HMAP_IOC_BATCH_UPDATE,
		HMAP_IOC_BATCH_DELETE,
	};
	unsigned int i;
	int fd;

	REQUIRE_HMAP();
	hm_create_init(&c, self->name, 8, 8, 16, 0600);
	c.__reserved = 1;
	EXPECT_EQ(-EINVAL, hm_ioctl(self->fd, HMAP_IOC_CREATE, &c));
	c.__reserved = 0x80000000;
	EXPECT_EQ(-EINVAL, hm_ioctl(self->fd, HMAP_IOC_CREATE, &c));
	EXPECT_EQ(0, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));

	fd = hm_new(NULL, 8, 8, 16, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hm_update(fd, &k, 8, &v, 8, HMAP_ANY));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		bool values = cmds[i] != HMAP_IOC_BATCH_DELETE;

		kl = 8;
		vl = 8;
		b = (struct hmap_batch){
			.argsz = sizeof(b), .count = 1, .__reserved = 1,
			.keys = U64P(&k), .key_lens = U64P(&kl),
			.values = values ? U64P(&v) : 0,
			.value_lens = values ? U64P(&vl) : 0,
		};
		EXPECT_EQ(-EINVAL, hm_ioctl(fd, cmds[i], &b)) {
			TH_LOG("batch cmd 0x%lx", cmds[i]);
		}
	}
	d = (struct hmap_dump){
		.argsz = sizeof(d), .count = 1, .__reserved = 1,
		.keys = U64P(&k), .key_lens = U64P(&kl),
	};
	EXPECT_EQ(-EINVAL, hm_ioctl(fd, HMAP_IOC_DUMP, &d));
	EXPECT_EQ(1, hm_count(fd));
	close(fd);
}

TEST_F(hmap, create_bad_sizes)
{
	static const struct { __u32 ks, vs, max; } bad[] = {
		{ 0, 8, 16 },
		{ KEY_SIZE_MAX + 1, 8, 16 },
		{ 0xffffffff, 8, 16 },
		{ 8, 0, 16 },
		{ 8, VALUE_SIZE_MAX + 1, 16 },
		{ 8, 0xffffffff, 16 },
		{ 8, 8, 0 },
		{ 8, 8, MAX_ENTRIES_MAX + 1 },
		{ 8, 8, 0xffffffff },
	};
	unsigned int i;
	int fd;

	REQUIRE_HMAP();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, hm_create(self->fd, NULL, bad[i].ks,
					     bad[i].vs, bad[i].max, 0600)) {
			TH_LOG("key_size %u value_size %u max_entries %u",
			       bad[i].ks, bad[i].vs, bad[i].max);
		}
	}
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));

	/* the limits themselves are fine */
	fd = hm_new(NULL, KEY_SIZE_MAX, 1, 1, 0600);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	fd = hm_new(NULL, 1, VALUE_SIZE_MAX, 1, 0600);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	if (geteuid() == 0) {	/* above the default per-user byte limit */
		fd = hm_new(NULL, 1, 1, MAX_ENTRIES_MAX, 0600);
		EXPECT_LE(0, fd);
		if (fd >= 0)
			close(fd);
	}
}

TEST_F(hmap, create_bad_mode)
{
	__u32 bad[] = { 0777, 0700, 0001, 01000, 02644, 04644, 0xffffffff };
	struct hmap_list_entry e;
	unsigned int i;
	int fd;

	REQUIRE_HMAP();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, hm_create(self->fd, self->name, 8, 8, 16,
					     bad[i])) {
			TH_LOG("mode 0%o", bad[i]);
		}
	}
	EXPECT_EQ(0, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));

	/* mode 0 is valid; root opens it anyway (CAP_DAC_OVERRIDE) */
	fd = hm_new(self->name, 8, 8, 16, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, hm_list_find(self->name, &e, NULL));
	EXPECT_EQ(0U, e.mode);
	close(fd);
	if (geteuid() == 0) {
		fd = hm_attach(self->name);
		EXPECT_LE(0, fd);
		if (fd >= 0) {
			EXPECT_EQ(0, put_id(fd, 1, 8, HMAP_ANY));
			close(fd);
		}
	}
}

TEST_F(hmap, key_too_long)
{
	__u8 k[17] = "0123456789abcdef", v[8] = { 0 };
	__u32 len, lens[3] = { 8, 9, 8 };
	__u64 keys[3] = { 1, 2, 3 };
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 8, 16, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hm_update(fd, k, 8, v, 8, HMAP_ANY));
	len = sizeof(v);
	EXPECT_EQ(-EINVAL, hm_lookup(fd, k, 9, v, &len));
	len = sizeof(v);
	EXPECT_EQ(-EINVAL, hm_lookup(fd, k, 0xffffffff, v, &len));
	EXPECT_EQ(-EINVAL, hm_update(fd, k, 9, v, 8, HMAP_ANY));
	EXPECT_EQ(-EINVAL, hm_update(fd, k, 0xffffffff, v, 8, HMAP_ANY));
	EXPECT_EQ(-EINVAL, hm_delete(fd, k, 9));
	EXPECT_EQ(-EINVAL, hm_delete(fd, k, 0x80000000));
	EXPECT_EQ(1, hm_count(fd));

	/* the batch stops at the second key */
	EXPECT_BATCH(-EINVAL, 1, fd, HMAP_IOC_BATCH_UPDATE, 0, 3,
		     keys, lens, keys, NULL);
	EXPECT_EQ(2, hm_count(fd));
	close(fd);
}

TEST_F(hmap, value_too_long)
{
	__u8 v[32] = { 0 };
	__u64 k = 1, keys[3] = { 1, 2, 3 }, vals[3 * 2] = { 0 };
	__u32 vlens[3] = { 16, 16, 17 };
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 16, 16, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, hm_update(fd, &k, 8, v, 17, HMAP_ANY));
	EXPECT_EQ(-EINVAL, hm_update(fd, &k, 8, v, 0xffffffff, HMAP_ANY));
	EXPECT_EQ(-EINVAL, hm_update(fd, &k, 8, v, 0x80000010, HMAP_NOEXIST));
	EXPECT_EQ(0, hm_count(fd));
	ASSERT_EQ(0, hm_update(fd, &k, 8, v, 16, HMAP_ANY));
	EXPECT_EQ(-EINVAL, hm_update(fd, &k, 8, v, 17, HMAP_EXIST));

	/* the batch stops at the third value */
	EXPECT_BATCH(-EINVAL, 2, fd, HMAP_IOC_BATCH_UPDATE, 0, 3,
		     keys, NULL, vals, vlens);
	EXPECT_EQ(2, hm_count(fd));
	close(fd);
}

TEST_F(hmap, zero_length_key)
{
	__u64 k = 1, keys[2] = { 1, 2 }, v = 0;
	__u32 len, lens[2] = { 0, 8 };
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 8, 16, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, hm_update(fd, &k, 0, &v, 8, HMAP_ANY));
	len = sizeof(v);
	EXPECT_EQ(-EINVAL, hm_lookup(fd, &k, 0, &v, &len));
	EXPECT_EQ(-EINVAL, hm_delete(fd, &k, 0));
	EXPECT_BATCH(-EINVAL, 0, fd, HMAP_IOC_BATCH_UPDATE, 0, 2,
		     keys, lens, keys, NULL);
	EXPECT_BATCH(-EINVAL, 0, fd, HMAP_IOC_BATCH_LOOKUP, 0, 2,
		     keys, lens, keys, NULL);
	EXPECT_EQ(0, hm_count(fd));
	close(fd);
}

TEST_F(hmap, unknown_command)
{
	unsigned long cmds[] = {
		_IO(HMAP_IOC_MAGIC, 0x05),
		_IO(HMAP_IOC_MAGIC, 0x0f),
		_IO(HMAP_IOC_MAGIC, 0x1a),
		_IO(HMAP_IOC_MAGIC, 0x7f),
		_IO(HMAP_IOC_MAGIC, 0xff),
		_IO(0xB7, 0x00),
		_IO(0xB7, 0x10),
		_IOWR(HMAP_IOC_MAGIC, 0x7f, struct hmap_version),
	};
	struct hmap_version v = { .argsz = sizeof(v) };
	unsigned int i;
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 8, 16, 0600);
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-ENOTTY, hm_ioctl(self->fd, cmds[i], &v)) {
			TH_LOG("unbound fd, cmd 0x%lx", cmds[i]);
		}
		EXPECT_EQ(-ENOTTY, hm_ioctl(fd, cmds[i], &v)) {
			TH_LOG("bound fd, cmd 0x%lx", cmds[i]);
		}
	}
	close(fd);
}

/* 64 bytes and no NUL: -ENAMETOOLONG. 63 characters are fine. */
TEST_F(hmap, name_not_terminated)
{
	struct hmap_create c;
	struct hmap_name n = { .argsz = sizeof(n) };
	char max[HMAP_NAME_MAX];
	int fd;

	REQUIRE_HMAP();
	hm_create_init(&c, NULL, 8, 8, 16, 0600);
	c.flags = 0;
	memset(c.name, 'a', HMAP_NAME_MAX);
	EXPECT_EQ(-ENAMETOOLONG, hm_ioctl(self->fd, HMAP_IOC_CREATE, &c));
	memset(n.name, 'a', HMAP_NAME_MAX);
	EXPECT_EQ(-ENAMETOOLONG, hm_ioctl(self->fd, HMAP_IOC_OPEN, &n));
	EXPECT_EQ(-ENAMETOOLONG, hm_ioctl(self->fd, HMAP_IOC_DESTROY, &n));
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));

	/* HMAP_NAME_MAX - 1 characters and the NUL */
	memset(max, 'z', sizeof(max));
	memcpy(max, self->prefix, strlen(self->prefix));
	max[HMAP_NAME_MAX - 1] = 0;
	fd = hm_new(max, 8, 8, 16, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, hm_list_find(max, NULL, NULL));
	EXPECT_EQ(0, hm_open(self->fd, max));
	EXPECT_EQ(0, hm_destroy(self->fd, max));
	EXPECT_EQ(0, hm_list_find(max, NULL, NULL));
	close(fd);
}

/* Non-zero bytes after the terminating NUL: -EINVAL. */
TEST_F(hmap, name_garbage_after_nul)
{
	struct hmap_create c;
	struct hmap_name n = { .argsz = sizeof(n) };
	size_t at[2];
	unsigned int i;
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(self->name, 8, 8, 16, 0600);	/* exists: OPEN/DESTROY */
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		/* right after the NUL, and the last byte */
		at[0] = strlen(self->name2) + 1;
		at[1] = HMAP_NAME_MAX - 1;
		hm_create_init(&c, self->name2, 8, 8, 16, 0600);
		c.name[at[i]] = 'x';
		EXPECT_EQ(-EINVAL, hm_ioctl(self->fd, HMAP_IOC_CREATE, &c));

		at[0] = strlen(self->name) + 1;
		hm_set_name(n.name, self->name);
		n.name[at[i]] = 'x';
		EXPECT_EQ(-EINVAL, hm_ioctl(self->fd, HMAP_IOC_OPEN, &n));
		EXPECT_EQ(-EINVAL, hm_ioctl(self->fd, HMAP_IOC_DESTROY, &n));
	}
	EXPECT_EQ(0, hm_list_find(self->name2, NULL, NULL));
	EXPECT_EQ(1, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));
	close(fd);
}

TEST_F(hmap, name_bad_chars)
{
	static const char *const suffixes[] = {
		"/x", " x", "x\n", "x:y", "x\xc3\xa9", "x*", "x\\y", "\x7f",
	};
	char name[HMAP_NAME_MAX];
	unsigned int i;

	REQUIRE_HMAP();
	for (i = 0; i < ARRAY_SIZE(suffixes); i++) {
		snprintf(name, sizeof(name), "%s%s", self->prefix, suffixes[i]);
		EXPECT_EQ(-EINVAL, hm_create(self->fd, name, 8, 8, 16, 0600)) {
			TH_LOG("name \"%s\"", name);
		}
		EXPECT_EQ(-EINVAL, hm_open(self->fd, name));
		EXPECT_EQ(-EINVAL, hm_destroy(self->fd, name));
	}
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));
}

/*
 * Every byte outside [A-Za-z0-9._-], at the start, in the middle and at
 * the end of a name: -EINVAL. Latin-1 letters (0xc0..0xff) included,
 * which isalnum() in the kernel takes for letters.
 */
TEST_F(hmap, name_every_bad_byte)
{
	char name[HMAP_NAME_MAX];
	size_t plen = strlen(self->prefix);
	unsigned int b, at;

	REQUIRE_HMAP();
	for (b = 1; b < 256; b++) {
		if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
		    (b >= '0' && b <= '9') || b == '.' || b == '_' || b == '-')
			continue;
		for (at = 0; at < 3; at++) {
			/* "<b>x", "<prefix>x<b>y", "<prefix>x<b>" */
			memset(name, 0, sizeof(name));
			if (at == 0) {
				name[0] = b;
				name[1] = 'x';
			} else {
				memcpy(name, self->prefix, plen);
				name[plen] = 'x';
				name[plen + 1] = b;
				if (at == 1)
					name[plen + 2] = 'y';
			}
			EXPECT_EQ(-EINVAL, hm_create(self->fd, name, 8, 8, 16,
						     0600)) {
				TH_LOG("byte 0x%02x at %u", b, at);
			}
			EXPECT_EQ(-EINVAL, hm_open(self->fd, name));
			EXPECT_EQ(-EINVAL, hm_destroy(self->fd, name));
		}
	}
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));
}

/* Names that would clash in debugfs: leading dot, the global "stats". */
TEST_F(hmap, name_reserved)
{
	static const char *const names[] = { ".", "..", ".hidden", "stats" };
	unsigned int i;

	REQUIRE_HMAP();
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		EXPECT_EQ(-EINVAL, hm_create(self->fd, names[i], 8, 8, 16,
					     0600)) {
			TH_LOG("name \"%s\"", names[i]);
		}
		EXPECT_EQ(-EINVAL, hm_open(self->fd, names[i]));
	}
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));
}

TEST_F(hmap, name_empty)
{
	REQUIRE_HMAP();
	/* an empty name without HMAP_CREATE_ANON */
	EXPECT_EQ(-EINVAL, hm_create(self->fd, "", 8, 8, 16, 0600));
	EXPECT_EQ(-EINVAL, hm_open(self->fd, ""));
	EXPECT_EQ(-EINVAL, hm_destroy(self->fd, ""));
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));
}

TEST_F(hmap, anon_with_name)
{
	struct hmap_create c;

	REQUIRE_HMAP();
	hm_create_init(&c, self->name, 8, 8, 16, 0600);
	c.flags = HMAP_CREATE_ANON;
	EXPECT_EQ(-EINVAL, hm_ioctl(self->fd, HMAP_IOC_CREATE, &c));
	hm_create_init(&c, NULL, 8, 8, 16, 0600);
	c.name[HMAP_NAME_MAX - 1] = 1;
	EXPECT_EQ(-EINVAL, hm_ioctl(self->fd, HMAP_IOC_CREATE, &c));
	EXPECT_EQ(0, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));
}

TEST_F(hmap, name_missing)
{
	REQUIRE_HMAP();
	EXPECT_EQ(-ENOENT, hm_open(self->fd, self->name));
	EXPECT_EQ(-ENOENT, hm_destroy(self->fd, self->name));
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));
}

TEST_F(hmap, duplicate_name)
{
	int fd, matches = 0;

	REQUIRE_HMAP();
	fd = map_holding_key1(_metadata, self->name, 0600);

	EXPECT_EQ(-EEXIST, hm_create(self->fd, self->name, 8, 8, 16, 0600));
	EXPECT_EQ(-EEXIST, hm_create(self->fd, self->name, 16, 32, 99, 0644));
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));
	EXPECT_EQ(1, hm_list_find(self->name, NULL, &matches));
	EXPECT_EQ(1, matches);
	EXPECT_EQ(0, get_id(fd, 1, 8));
	EXPECT_EQ(1, hm_count(fd));
	close(fd);
}

/*
 * A batch stops at a fatal signal (the ioctl returns -EINTR to a process
 * that is being killed) with @count written: exactly the keys it stored,
 * which a parent sharing the struct can read.
 */
#define FATAL_N		(1U << 20)

TEST_F_TIMEOUT(hmap, batch_fatal_signal, 120)
{
	struct hmap_batch *b;
	struct timespec t0, t1;
	__u64 *keys, *vals;
	int fd, status, i;
	long long n = 0;
	pid_t pid;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 8, FATAL_N, 0600);
	ASSERT_LE(0, fd);
	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, b);
	keys = malloc(FATAL_N * sizeof(*keys));
	vals = calloc(FATAL_N, sizeof(*vals));
	ASSERT_NE(NULL, keys);
	ASSERT_NE(NULL, vals);
	for (i = 0; i < (int)FATAL_N; i++)
		keys[i] = i;
	*b = (struct hmap_batch){
		.argsz = sizeof(*b), .count = FATAL_N,
		.keys = U64P(keys), .values = U64P(vals),
	};
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(ioctl(fd, HMAP_IOC_BATCH_UPDATE, b) ? 1 : 0);
	/* let it store some keys, then kill it */
	for (i = 0; i < 6000 && n < 1000; i++) {
		usleep(10000);
		n = hm_count(fd);
	}
	ASSERT_LE(1000, n);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	/* it stopped at once, part way, and said how far it got */
	EXPECT_GT(5, t1.tv_sec - t0.tv_sec);
	n = hm_count(fd);
	EXPECT_GT((long long)FATAL_N, n);
	EXPECT_EQ(n, (long long)b->count);
	free(keys);
	free(vals);
	munmap(b, sizeof(*b));
	close(fd);
}

TEST_F(hmap, map_full)
{
	__u64 keys[3] = { 10, 11, 12 }, vals[3] = { 0 }, id;
	int fd;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 8, 4, 0600);
	ASSERT_LE(0, fd);
	for (id = 0; id < 4; id++)
		ASSERT_EQ(0, put_id(fd, id, 8, HMAP_NOEXIST));
	EXPECT_EQ(-E2BIG, put_id(fd, 4, 8, HMAP_ANY));
	EXPECT_EQ(-E2BIG, put_id(fd, 4, 8, HMAP_NOEXIST));
	EXPECT_EQ(-ENOENT, get_id(fd, 4, 8));
	/* replacing works on a full map */
	EXPECT_EQ(0, put_id(fd, 3, 4, HMAP_ANY));
	EXPECT_EQ(0, put_id(fd, 3, 8, HMAP_EXIST));
	EXPECT_EQ(4, hm_count(fd));

	/* one free slot: the batch inserts one key, then -E2BIG */
	id = 0;
	ASSERT_EQ(0, hm_delete(fd, &id, sizeof(id)));
	EXPECT_BATCH(-E2BIG, 1, fd, HMAP_IOC_BATCH_UPDATE, 0, 3,
		     keys, NULL, vals, NULL);
	EXPECT_EQ(4, hm_count(fd));
	close(fd);
}

/* Every per-map command on an unbound fd, with a valid argument. */
TEST_F(hmap, unbound_fd)
{
	__u64 k = 1, v = 0, dk[4];
	__u32 len = 8, kl = 8, dkl[4], count;
	struct hmap_dump d = {
		.argsz = sizeof(d), .count = 4,
		.keys = U64P(dk), .key_lens = U64P(dkl),
	};
	struct hmap_map_stats s;

	REQUIRE_HMAP();
	/* a failed CREATE leaves the fd unbound */
	EXPECT_EQ(-EINVAL, hm_create(self->fd, NULL, 0, 8, 16, 0600));

	EXPECT_EQ(-ENOTCONN, hm_lookup(self->fd, &k, 8, &v, &len));
	EXPECT_EQ(-ENOTCONN, hm_update(self->fd, &k, 8, &v, 8, HMAP_ANY));
	EXPECT_EQ(-ENOTCONN, hm_delete(self->fd, &k, 8));
	count = 1;
	EXPECT_EQ(-ENOTCONN, hm_batch(self->fd, HMAP_IOC_BATCH_LOOKUP, 0,
				      &count, &k, &kl, &v, NULL));
	count = 1;
	EXPECT_EQ(-ENOTCONN, hm_batch(self->fd, HMAP_IOC_BATCH_UPDATE, 0,
				      &count, &k, &kl, &v, NULL));
	count = 1;
	EXPECT_EQ(-ENOTCONN, hm_batch(self->fd, HMAP_IOC_BATCH_DELETE, 0,
				      &count, &k, &kl, NULL, NULL));
	EXPECT_EQ(-ENOTCONN, hm_ioctl(self->fd, HMAP_IOC_DUMP, &d));
	EXPECT_EQ(-ENOTCONN, hm_cmd(self->fd, HMAP_IOC_CLEAR));
	EXPECT_EQ(-ENOTCONN, hm_cmd(self->fd, HMAP_IOC_SHRINK));
	EXPECT_EQ(-ENOTCONN, hm_stats(self->fd, &s));
}

TEST_F(hmap, bind_twice)
{
	char fresh[HMAP_NAME_MAX];
	int other;

	REQUIRE_HMAP();
	other = hm_new(self->name2, 8, 8, 16, 0600);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, hm_create(self->fd, self->name, 8, 8, 16, 0600));
	ASSERT_EQ(0, put_id(self->fd, 1, 8, HMAP_NOEXIST));

	name_cat(fresh, self->prefix, "fresh");
	EXPECT_EQ(-EBUSY, hm_create(self->fd, NULL, 8, 8, 16, 0600));
	EXPECT_EQ(-EBUSY, hm_create(self->fd, fresh, 8, 8, 16, 0600));
	EXPECT_EQ(0, hm_list_find(fresh, NULL, NULL));
	EXPECT_EQ(-EBUSY, hm_open(self->fd, self->name2));
	EXPECT_EQ(-EBUSY, hm_open(self->fd, self->name));
	/* still bound to the first map */
	EXPECT_EQ(0, get_id(self->fd, 1, 8));
	EXPECT_EQ(1, hm_count(self->fd));
	EXPECT_EQ(0, hm_count(other));
	close(other);
}

TEST_F(hmap, lookup_short_buffer)
{
	__u8 v[200], want[100];
	__u64 k = 5;
	__u32 len;
	int fd, i;

	REQUIRE_HMAP();
	fd = hm_new(NULL, 8, 128, 16, 0600);
	ASSERT_LE(0, fd);
	val_fill(want, sizeof(want), 5);
	ASSERT_EQ(0, hm_update(fd, &k, 8, want, 100, HMAP_ANY));

	memset(v, 0xee, sizeof(v));
	len = 10;
	EXPECT_EQ(-ENOSPC, hm_lookup(fd, &k, 8, v, &len));
	EXPECT_EQ(100U, len);
	for (i = 10; i < 200; i++)	/* nothing written beyond the room */
		ASSERT_EQ(0xee, v[i]);
	len = 0;
	EXPECT_EQ(-ENOSPC, hm_lookup(fd, &k, 8, v, &len));
	EXPECT_EQ(100U, len);
	len = 99;
	EXPECT_EQ(-ENOSPC, hm_lookup(fd, &k, 8, v, &len));
	EXPECT_EQ(100U, len);
	len = 100;
	EXPECT_EQ(0, hm_lookup(fd, &k, 8, v, &len));
	EXPECT_EQ(100U, len);
	EXPECT_EQ(0, memcmp(v, want, 100));
	EXPECT_EQ(0xee, v[100]);
	close(fd);
}

/* ---- Permissions (children switch to unprivileged uids) ---- */

/*
 * On a bound fd that may read but not write: every read works, every
 * change is refused with @err (-EACCES when the map's mode refuses it,
 * -EBADF when the fd's open mode does). The map holds key 1 alone.
 */
static void check_read_only(int fd, const char *name, int err)
{
	__u64 k = 1, k2 = 2, v[2] = { 0 };
	__u32 count, len = 8;
	struct walk_stats ws = { 0 };
	struct seen_ctx c = { .n = 2, .vl = 8 };

	CCHECK(0, get_id(fd, 1, 8));
	count = 1;
	CCHECK(0, hm_batch(fd, HMAP_IOC_BATCH_LOOKUP, 0, &count, &k, NULL, v,
			   &len));
	CCHECK(0, hm_walk(fd, 8, 8, 4, true, seen_fn, &c, &ws, 1000));
	CCHECK(1, ws.entries);
	CCHECK(err, put_id(fd, 2, 8, HMAP_ANY));
	CCHECK(err, put_id(fd, 1, 8, HMAP_EXIST));
	CCHECK(err, hm_delete(fd, &k, 8));
	count = 1;
	CCHECK(err, hm_batch(fd, HMAP_IOC_BATCH_UPDATE, 0, &count, &k2, NULL,
			     v, NULL));
	count = 1;
	CCHECK(err, hm_batch(fd, HMAP_IOC_BATCH_DELETE, 0, &count, &k, NULL,
			     NULL, NULL));
	CCHECK(err, hm_cmd(fd, HMAP_IOC_CLEAR));
	CCHECK(err, hm_cmd(fd, HMAP_IOC_SHRINK));
	CCHECK(err, hm_destroy(fd, name));
	CCHECK(1, hm_count(fd));
}

/*
 * On a bound fd that may write but not read: every read is refused with
 * @err (as for check_read_only()), STATS works (it tells the sizes a
 * batch is laid out by), and so does every change. The map holds key 1
 * alone before, key 2 alone after.
 */
static void check_write_only(int fd, int err)
{
	__u64 k = 1, keys[2] = { 5, 6 }, v[2] = { 0 }, dk[2];
	__u32 count, len = 8, dkl[2];
	struct hmap_dump d = {
		.argsz = sizeof(d), .count = 2,
		.keys = U64P(dk), .key_lens = U64P(dkl),
	};
	struct hmap_map_stats s;

	CCHECK(err, hm_lookup(fd, &k, 8, v, &len));
	count = 1;
	CCHECK(err, hm_batch(fd, HMAP_IOC_BATCH_LOOKUP, 0, &count, &k, NULL,
			     v, NULL));
	CCHECK(err, hm_ioctl(fd, HMAP_IOC_DUMP, &d));
	CCHECK(0, hm_stats(fd, &s));
	CCHECK(8, s.key_size);
	CCHECK(1, s.count);
	CCHECK(0, put_id(fd, 2, 8, HMAP_NOEXIST));
	CCHECK(0, put_id(fd, 1, 8, HMAP_EXIST));
	CCHECK(0, hm_delete(fd, &k, 8));
	count = 2;
	CCHECK(0, hm_batch(fd, HMAP_IOC_BATCH_UPDATE, 0, &count, keys, NULL,
			   v, NULL));
	count = 2;
	CCHECK(0, hm_batch(fd, HMAP_IOC_BATCH_DELETE, 0, &count, keys, NULL,
			   NULL, NULL));
	CCHECK(0, hm_cmd(fd, HMAP_IOC_SHRINK));
	CCHECK(1, hm_count(fd));
}

/*
 * Root's map self->name of @mode holding key 1 (map_holding_key1()), on
 * which @child then runs as uid and gid @uid: the map's fd.
 */
static int map_then_child(struct __test_metadata *_metadata,
			  FIXTURE_DATA(hmap) *self, __u32 mode, uid_t uid,
			  int (*child)(void *))
{
	struct child_arg a = CHILD_ARG(self);
	int fd = map_holding_key1(_metadata, self->name, mode);

	EXPECT_EQ(0, run_as(uid, uid, 0, NULL, child, &a)) {
		TH_LOG("uid %u", (unsigned int)uid);
	}
	return fd;
}

static int child_private(void *p)
{
	struct child_arg *a = p;
	int fd = child_dev_open();

	CCHECK(-EACCES, hm_open(fd, a->name));
	CCHECK(-ENOTCONN, hm_count(fd));
	CCHECK(-EACCES, hm_destroy(fd, a->name));
	CCHECK(-EEXIST, hm_create(fd, a->name, 8, 8, 16, 0600));
	close(fd);
	return !!cfail;
}

TEST_F(hmap, perm_private_map)
{
	int fd;

	REQUIRE_TEST_UIDS();
	fd = map_then_child(_metadata, self, 0600, 1101, child_private);
	EXPECT_EQ(1, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(1, hm_count(fd));
	EXPECT_EQ(0, get_id(fd, 1, 8));
	close(fd);
}

/* Through a read-write fd, the map's mode r-- refuses changes. */
static int child_read_only(void *p)
{
	struct child_arg *a = p;
	int fd = child_dev_open();

	CCHECK(0, hm_open(fd, a->name));
	check_read_only(fd, a->name, -EACCES);
	close(fd);
	return !!cfail;
}

TEST_F(hmap, perm_read_only)
{
	int fd;

	REQUIRE_TEST_UIDS();
	fd = map_then_child(_metadata, self, 0644, 1102, child_read_only);
	EXPECT_EQ(1, hm_count(fd));
	EXPECT_EQ(0, get_id(fd, 1, 8));
	EXPECT_EQ(1, hm_list_find(self->name, NULL, NULL));
	close(fd);
}

/* Through a read-write fd, the map's mode -w- refuses reads. */
static int child_write_only(void *p)
{
	struct child_arg *a = p;
	int fd = child_dev_open();

	CCHECK(0, hm_open(fd, a->name));
	check_write_only(fd, -EACCES);
	CCHECK(-EACCES, hm_destroy(fd, a->name));
	close(fd);
	return !!cfail;
}

TEST_F(hmap, perm_write_only)
{
	int fd;

	REQUIRE_TEST_UIDS();
	fd = map_then_child(_metadata, self, 0602, 1103, child_write_only);
	/* the child deleted key 1 and left key 2 */
	EXPECT_EQ(1, hm_count(fd));
	EXPECT_EQ(-ENOENT, get_id(fd, 1, 8));
	EXPECT_EQ(0, get_id(fd, 2, 8));
	close(fd);
}

static int child_create_named(void *p)
{
	struct child_arg *a = p;
	int fd = child_dev_open();

	CCHECK(0, hm_create(fd, a->name, 8, 8, 16, 0460));
	close(fd);
	return !!cfail;
}

/* a->expect: 0 read only, 1 read-write, 2 no access */
static int child_access(void *p)
{
	struct child_arg *a = p;
	__u64 id = 100 + getuid();
	int fd = child_dev_open();

	if (a->expect == 2) {
		CCHECK(-EACCES, hm_open(fd, a->name));
		CCHECK(-EACCES, hm_destroy(fd, a->name));
		close(fd);
		return !!cfail;
	}
	CCHECK(0, hm_open(fd, a->name));
	CCHECK(0, get_id(fd, 1, 8));
	CCHECK(a->expect == 1 ? 0 : -EACCES, put_id(fd, id, 8, HMAP_NOEXIST));
	close(fd);
	return !!cfail;
}

static int child_destroy(void *p)
{
	struct child_arg *a = p;
	int fd = child_dev_open();

	CCHECK(0, hm_destroy(fd, a->name));
	CCHECK(-ENOENT, hm_open(fd, a->name));
	close(fd);
	return !!cfail;
}

/*
 * Owner bits for the owner (even if the group bits allow more), group bits
 * for the group (primary or supplementary), other bits for the rest.
 */
TEST_F(hmap, perm_owner_group_other)
{
	struct child_arg a = CHILD_ARG(self);
	struct hmap_list_entry e;
	gid_t supp[] = { 1111 };
	int fd;

	REQUIRE_TEST_UIDS();
	/* uid 1111 creates a map with mode r--rw----, then exits */
	ASSERT_EQ(0, run_as(1111, 1111, 0, NULL, child_create_named, &a));
	ASSERT_EQ(1, hm_list_find(self->name, &e, NULL));
	EXPECT_EQ(1111U, e.owner);
	EXPECT_EQ(0460U, e.mode);

	/* root opens it anyway (CAP_DAC_OVERRIDE) and writes key 1 */
	fd = hm_attach(self->name);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, put_id(fd, 1, 8, HMAP_NOEXIST));

	a.expect = 0;	/* the owner: r-- */
	EXPECT_EQ(0, run_as(1111, 1111, 0, NULL, child_access, &a));
	a.expect = 1;	/* the group: rw- */
	EXPECT_EQ(0, run_as(1112, 1111, 0, NULL, child_access, &a));
	a.expect = 2;	/* others: --- */
	EXPECT_EQ(0, run_as(1113, 1113, 0, NULL, child_access, &a));
	a.expect = 1;	/* the group as a supplementary group */
	EXPECT_EQ(0, run_as(1114, 1114, 1, supp, child_access, &a));
	EXPECT_EQ(0, get_id(fd, 100 + 1112, 8));
	EXPECT_EQ(0, get_id(fd, 100 + 1114, 8));
	EXPECT_EQ(3, hm_count(fd));

	/* the owner may destroy it without write permission */
	EXPECT_EQ(0, run_as(1111, 1111, 0, NULL, child_destroy, &a));
	EXPECT_EQ(0, hm_list_find(self->name, NULL, NULL));
	close(fd);
}

static int child_not_owner(void *p)
{
	struct child_arg *a = p;
	int fd = child_dev_open();

	CCHECK(0, hm_open(fd, a->name));	/* mode 0666: rw for all */
	CCHECK(0, put_id(fd, 2, 8, HMAP_NOEXIST));
	CCHECK(-EACCES, hm_destroy(fd, a->name));
	close(fd);
	fd = child_dev_open();			/* from an unbound fd too */
	CCHECK(-EACCES, hm_destroy(fd, a->name));
	close(fd);
	return !!cfail;
}

static int child_own_map(void *p)
{
	struct child_arg *a = p;
	int fd = child_dev_open(), fd2 = child_dev_open();
	char mine[HMAP_NAME_MAX];

	/* a->name + "2" is left for root to destroy; a->name + "3" it destroys */
	name_cat(mine, a->name, "2");
	CCHECK(0, hm_create(fd, mine, 8, 8, 16, 0600));
	name_cat(mine, a->name, "3");
	CCHECK(0, hm_create(fd2, mine, 8, 8, 16, 0600));
	CCHECK(0, hm_destroy(fd, mine));
	close(fd);
	close(fd2);
	return !!cfail;
}

TEST_F(hmap, perm_destroy_not_owner)
{
	struct child_arg a = CHILD_ARG(self);
	char theirs[HMAP_NAME_MAX];
	struct hmap_list_entry e;
	int fd;

	REQUIRE_TEST_UIDS();
	fd = map_then_child(_metadata, self, 0666, 1121, child_not_owner);
	EXPECT_EQ(1, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(2, hm_count(fd));

	/* root (CAP_SYS_ADMIN) destroys a map of uid 1121 */
	ASSERT_EQ(0, run_as(1121, 1121, 0, NULL, child_own_map, &a));
	name_cat(theirs, self->name, "2");
	ASSERT_EQ(1, hm_list_find(theirs, &e, NULL));
	EXPECT_EQ(1121U, e.owner);
	EXPECT_EQ(0, hm_destroy(self->fd, theirs));
	EXPECT_EQ(0, hm_list_find(theirs, NULL, NULL));
	name_cat(theirs, self->name, "3");
	EXPECT_EQ(0, hm_list_find(theirs, NULL, NULL));
	close(fd);
}

/* ---- Rights follow the fd: open mode and opener (item: file model) ---- */

/*
 * An fd opened O_RDONLY: it binds and reads, but nothing that changes a
 * map works through it (-EBADF), whoever uses it.
 */
static int child_rdonly(void *p)
{
	struct child_arg *a = p;
	int fd = hm_dev_open_mode(O_RDONLY);

	if (fd < 0)
		return 2;
	CCHECK(-EBADF, hm_create(fd, NULL, 8, 8, 16, 0600));
	CCHECK(-EBADF, hm_create(fd, a->name2, 8, 8, 16, 0600));
	CCHECK(0, hm_list_find(a->name2, NULL, NULL));
	CCHECK(-EBADF, hm_destroy(fd, a->name));
	CCHECK(1, hm_list_find(a->name, NULL, NULL));
	CCHECK(-ENOTCONN, hm_count(fd));

	CCHECK(0, hm_open(fd, a->name));
	check_read_only(fd, a->name, -EBADF);
	close(fd);
	return !!cfail;
}

/* Root (the owner, with every capability) and an unprivileged user alike. */
TEST_F(hmap, rights_rdonly_fd)
{
	struct child_arg a = CHILD_ARG(self);
	int fd;

	REQUIRE_TEST_UIDS();
	fd = map_then_child(_metadata, self, 0666, 0, child_rdonly);
	EXPECT_EQ(0, run_as(1161, 1161, 0, NULL, child_rdonly, &a));
	EXPECT_EQ(1, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(0, hm_list_find(self->name2, NULL, NULL));
	EXPECT_EQ(1, hm_count(fd));
	EXPECT_EQ(0, get_id(fd, 1, 8));
	close(fd);
}

/*
 * An fd opened O_WRONLY: it binds and writes, but reads nothing (-EBADF);
 * and the map it creates is write-only to it too.
 */
static int child_wronly(void *p)
{
	struct child_arg *a = p;
	int fd = hm_dev_open_mode(O_WRONLY), afd = hm_dev_open_mode(O_WRONLY);

	if (fd < 0 || afd < 0)
		return 2;
	CCHECK(0, hm_open(fd, a->name));
	check_write_only(fd, -EBADF);
	close(fd);

	CCHECK(0, hm_create(afd, NULL, 8, 8, 16, 0600));
	CCHECK(0, put_id(afd, 3, 8, HMAP_NOEXIST));
	CCHECK(-EBADF, get_id(afd, 3, 8));
	CCHECK(1, hm_count(afd));
	close(afd);
	return !!cfail;
}

TEST_F(hmap, rights_wronly_fd)
{
	struct child_arg a = CHILD_ARG(self);
	int fd;

	REQUIRE_TEST_UIDS();
	fd = map_then_child(_metadata, self, 0666, 0, child_wronly);
	/* the child deleted key 1 and left key 2 */
	EXPECT_EQ(0, get_id(fd, 2, 8));
	ASSERT_EQ(0, put_id(fd, 1, 8, HMAP_NOEXIST));
	ASSERT_EQ(0, hm_delete(fd, &(__u64){ 2 }, 8));
	EXPECT_EQ(0, run_as(1162, 1162, 0, NULL, child_wronly, &a));
	EXPECT_EQ(-ENOENT, get_id(fd, 1, 8));
	EXPECT_EQ(0, get_id(fd, 2, 8));
	EXPECT_EQ(1, hm_count(fd));
	close(fd);
}

/*
 * OPEN binds with what both the open mode and the map's mode allow: an
 * O_WRONLY fd cannot bind to a map the user may only read, nor an
 * O_RDONLY fd to one the user may only write (-EACCES, as open(2)).
 */
static int child_open_modes(void *p)
{
	struct child_arg *a = p;
	int r = hm_dev_open_mode(O_RDONLY), w = hm_dev_open_mode(O_WRONLY);
	int rw = hm_dev_open_mode(O_RDWR);

	if (r < 0 || w < 0 || rw < 0)
		return 2;
	/* a->name: r for others; a->name2: w for others */
	CCHECK(-EACCES, hm_open(w, a->name));
	CCHECK(-EACCES, hm_open(r, a->name2));
	CCHECK(-ENOTCONN, hm_count(w));
	CCHECK(-ENOTCONN, hm_count(r));
	CCHECK(0, hm_open(r, a->name));
	CCHECK(0, get_id(r, 1, 8));
	CCHECK(0, hm_open(w, a->name2));
	CCHECK(0, put_id(w, 7, 8, HMAP_NOEXIST));
	/* O_RDWR gets what the map allows, as before */
	CCHECK(0, hm_open(rw, a->name));
	CCHECK(0, get_id(rw, 1, 8));
	CCHECK(-EACCES, put_id(rw, 8, 8, HMAP_NOEXIST));
	close(r);
	close(w);
	close(rw);
	return !!cfail;
}

TEST_F(hmap, rights_open_mode_and_map_mode)
{
	struct child_arg a = CHILD_ARG(self);
	int fd, fd2;

	REQUIRE_TEST_UIDS();
	fd = map_holding_key1(_metadata, self->name, 0604);
	fd2 = hm_new(self->name2, 8, 8, 16, 0602);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, run_as(1165, 1165, 0, NULL, child_open_modes, &a));
	EXPECT_EQ(1, hm_count(fd));
	EXPECT_EQ(0, get_id(fd2, 7, 8));
	EXPECT_EQ(1, hm_count(fd2));
	close(fd);
	close(fd2);
}

/*
 * Fds root opened, inherited across fork() by an unprivileged child, keep
 * root's rights: the bound one reads and writes root's private map, the
 * unbound one creates maps owned by root and not counted against the
 * child's limits, and destroys root's map.
 */
static int child_inherited(void *p)
{
	struct child_arg *a = p;
	int own = child_dev_open();

	CCHECK(0, get_id(a->fd, 1, 8));
	CCHECK(0, put_id(a->fd, 2, 8, HMAP_NOEXIST));
	/* its own fd has its own rights */
	CCHECK(-EACCES, hm_open(own, a->name));
	CCHECK(-EACCES, hm_destroy(own, a->name));
	CCHECK(-EDQUOT, hm_create(own, NULL, KEY_SIZE_MAX, VALUE_SIZE_MAX,
				  MAX_ENTRIES_MAX, 0600));
	close(own);
	/* bigger than the child's byte limit */
	CCHECK(0, hm_create(a->ufd, a->name2, KEY_SIZE_MAX, VALUE_SIZE_MAX,
			    MAX_ENTRIES_MAX, 0600));
	CCHECK(0, put_id(a->ufd, 3, 8, HMAP_NOEXIST));
	CCHECK(0, hm_destroy(a->ufd, a->name));
	return !!cfail;
}

TEST_F(hmap, rights_inherited_fd)
{
	struct child_arg a = CHILD_ARG(self);
	struct hmap_list_entry e;
	long limit;

	REQUIRE_TEST_UIDS();
	limit = read_limit(_metadata, "max_bytes_per_user");
	ASSERT_LT(limit, map_bytes(KEY_SIZE_MAX, VALUE_SIZE_MAX,
				   MAX_ENTRIES_MAX));
	a.fd = map_holding_key1(_metadata, self->name, 0600);
	a.ufd = hm_dev_open();
	ASSERT_LE(0, a.ufd);
	EXPECT_EQ(0, run_as(1163, 1163, 0, NULL, child_inherited, &a));
	EXPECT_EQ(0, get_id(a.fd, 2, 8));
	EXPECT_EQ(0, hm_list_find(self->name, NULL, NULL));
	ASSERT_EQ(1, hm_list_find(self->name2, &e, NULL));
	EXPECT_EQ(0U, e.owner);
	EXPECT_EQ(0, get_id(a.ufd, 3, 8));
	close(a.fd);
	close(a.ufd);
}

/*
 * @n (at most 4) fds of /dev/hmap that a child running as @uid, @gid and
 * the @ngroups @groups opens, taken by this process with pidfd_getfd()
 * before the child exits: into @fds, 0 or -errno.
 */
static int fds_opened_by(uid_t uid, gid_t gid, int ngroups,
			 const gid_t *groups, int n, int *fds)
{
	int up[2], go[2], cfd[4], pidfd, status, i, err = 0;
	ssize_t len = n * sizeof(int);
	pid_t pid;

	if (n < 1 || n > 4)
		return -EINVAL;
	if (pipe(up))
		return -errno;
	if (pipe(go)) {
		err = -errno;
		close(up[0]);
		close(up[1]);
		return err;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		char c;

		close(up[0]);
		close(go[1]);
		if (switch_user(uid, gid, ngroups, groups))
			_exit(90);
		for (i = 0; i < n; i++)
			cfd[i] = hm_dev_open();
		if (write(up[1], cfd, len) != len)
			_exit(3);
		/* keep the fds open until the parent has taken them */
		_exit(read(go[0], &c, 1) < 0 ? 4 : 0);
	}
	close(up[1]);
	close(go[0]);
	pidfd = pid < 0 ? -1 : syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 || read(up[0], cfd, len) != len)
		err = -EPROTO;
	for (i = 0; i < n && !err; i++) {
		fds[i] = cfd[i] < 0 ? cfd[i] :
			 syscall(SYS_pidfd_getfd, pidfd, cfd[i], 0);
		if (fds[i] < 0)
			err = cfd[i] < 0 ? cfd[i] : -errno;
	}
	close(go[1]);
	close(up[0]);
	if (pidfd >= 0)
		close(pidfd);
	if (pid > 0 && (waitpid(pid, &status, 0) != pid || status) && !err)
		err = -ECHILD;
	return err;
}

/*
 * Fds an unprivileged process opened, taken by root with pidfd_getfd(),
 * keep the opener's rights: they cannot bind to or destroy root's private
 * map, and a map created through one is owned by and charged to the
 * opener.
 */
TEST_F(hmap, rights_passed_fd)
{
	struct hmap_list_entry e;
	int fd[2], fd0;

	REQUIRE_TEST_UIDS();
	fd0 = map_holding_key1(_metadata, self->name, 0600);
	ASSERT_EQ(0, fds_opened_by(1164, 1164, 0, NULL, 2, fd));

	/* root uses them, with the rights of uid 1164 */
	EXPECT_EQ(-EACCES, hm_open(fd[0], self->name));
	EXPECT_EQ(-EACCES, hm_destroy(fd[0], self->name));
	EXPECT_EQ(1, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(-EDQUOT, hm_create(fd[0], NULL, KEY_SIZE_MAX,
				     VALUE_SIZE_MAX, MAX_ENTRIES_MAX, 0600));
	EXPECT_EQ(-ENOTCONN, hm_count(fd[0]));
	ASSERT_EQ(0, hm_create(fd[1], self->name2, 8, 8, 16, 0600));
	ASSERT_EQ(1, hm_list_find(self->name2, &e, NULL));
	EXPECT_EQ(1164U, e.owner);
	/* ... which its owner may destroy through it */
	EXPECT_EQ(0, hm_destroy(fd[0], self->name2));
	EXPECT_EQ(0, hm_list_find(self->name2, NULL, NULL));
	EXPECT_EQ(1, hm_count(fd0));
	close(fd[0]);
	close(fd[1]);
	close(fd0);
}

/*
 * A user who is not in a map's group binds to it with an fd opened by one
 * who is: group rights come from the opener's groups too (and its own fd
 * is refused). Root takes the fd from the opener with pidfd_getfd() and
 * hands it down by fork().
 */
static int child_group_fd(void *p)
{
	struct child_arg *a = p;
	int own = child_dev_open();

	CCHECK(-EACCES, hm_open(own, a->name));
	close(own);
	CCHECK(0, hm_open(a->ufd, a->name));
	CCHECK(0, get_id(a->ufd, 1, 8));
	CCHECK(0, put_id(a->ufd, 2, 8, HMAP_NOEXIST));
	return !!cfail;
}

TEST_F(hmap, rights_passed_fd_group)
{
	struct child_arg a = CHILD_ARG(self);
	const gid_t group = 1175;
	int gfd;

	REQUIRE_TEST_UIDS();
	/* A map of root's in group 1175, mode 0060: that group only. */
	ASSERT_EQ(0, setegid(group));
	gfd = hm_dev_open();
	ASSERT_EQ(0, setegid(0));
	ASSERT_LE(0, gfd);
	ASSERT_EQ(0, hm_create(gfd, self->name, 8, 8, 16, 0060));
	ASSERT_EQ(0, put_id(gfd, 1, 8, HMAP_NOEXIST));

	ASSERT_EQ(0, fds_opened_by(1176, 1176, 1, &group, 1, &a.ufd));
	EXPECT_EQ(0, run_as(1177, 1177, 0, NULL, child_group_fd, &a));
	EXPECT_EQ(0, get_id(gfd, 2, 8));
	close(a.ufd);
	close(gfd);
}

/* Retry a create refused with -EDQUOT for a while: freeing may be deferred. */
static int create_retry(int fd, const char *name, __u32 ks, __u32 vs,
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

/* a->limit: max_maps_per_user */
static int child_quota_maps(void *p)
{
	struct child_arg *a = p;
	int n = a->limit, *fds = calloc(n + 1, sizeof(int)), fd, i, err;
	char name[HMAP_NAME_MAX];

	if (!fds)
		return 3;
	/* half named, half anonymous, all counted */
	for (i = 0; i < n; i++) {
		fds[i] = child_dev_open();
		snprintf(name, sizeof(name), "%sq%d", a->prefix, i);
		err = hm_create(fds[i], i % 2 ? NULL : name, 8, 8, 1, 0600);
		if (err) {
			CCHECK(0, err);
			fprintf(stderr, "#   map %d of %d\n", i + 1, n);
			return 1;
		}
	}
	fd = child_dev_open();
	snprintf(name, sizeof(name), "%sqx", a->prefix);
	CCHECK(-EDQUOT, hm_create(fd, NULL, 8, 8, 1, 0600));
	CCHECK(-EDQUOT, hm_create(fd, name, 8, 8, 1, 0600));
	CCHECK(-ENOENT, hm_open(fd, name));

	/* closing an anonymous map gives its slot back */
	close(fds[1]);
	CCHECK(0, create_retry(fd, NULL, 8, 8, 1));
	fds[1] = fd;
	fd = child_dev_open();
	CCHECK(-EDQUOT, hm_create(fd, NULL, 8, 8, 1, 0600));

	/* so does destroying a named one once its last fd is closed */
	snprintf(name, sizeof(name), "%sq0", a->prefix);
	CCHECK(0, hm_destroy(fd, name));
	close(fds[0]);
	CCHECK(0, create_retry(fd, name, 8, 8, 1));
	fds[0] = fd;

	for (i = 0; i < n; i += 2) {
		snprintf(name, sizeof(name), "%sq%d", a->prefix, i);
		CCHECK(0, hm_destroy(fds[i], name));
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return !!cfail;
}

TEST_F(hmap, quota_maps)
{
	struct child_arg a = CHILD_ARG(self);
	struct rlimit rl;
	int *fds, i;

	REQUIRE_TEST_UIDS();
	a.limit = read_limit(_metadata, "max_maps_per_user");
	if (a.limit < 2 || a.limit > 4000)
		SKIP(return, "max_maps_per_user is %ld: not testable", a.limit);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < (rlim_t)a.limit + 64) {
		rl.rlim_cur = a.limit + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	}
	EXPECT_EQ(0, run_as(1131, 1131, 0, NULL, child_quota_maps, &a));

	/* root (CAP_SYS_RESOURCE) is not limited */
	fds = calloc(a.limit + 1, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	for (i = 0; i < a.limit + 1; i++) {
		fds[i] = hm_new(NULL, 8, 8, 1, 0600);
		EXPECT_LE(0, fds[i]);
	}
	for (i = 0; i < a.limit + 1; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

/* a->limit: max_bytes_per_user */
static int child_quota_bytes(void *p)
{
	struct child_arg *a = p;
	double limit = a->limit;
	int f1 = child_dev_open(), f2 = child_dev_open(), f3;
	char name[HMAP_NAME_MAX];
	__u32 n;

	/* one map that cannot fit */
	if (map_bytes(KEY_SIZE_MAX, VALUE_SIZE_MAX, MAX_ENTRIES_MAX) > limit)
		CCHECK(-EDQUOT, hm_create(f1, NULL, KEY_SIZE_MAX,
					  VALUE_SIZE_MAX, MAX_ENTRIES_MAX,
					  0600));
	/* 32768 of them: 4 GiB and more, which a 32-bit size_t wraps */
	if (map_bytes(KEY_SIZE_MAX, VALUE_SIZE_MAX, 32768) > limit)
		CCHECK(-EDQUOT, hm_create(f1, NULL, KEY_SIZE_MAX,
					  VALUE_SIZE_MAX, 32768, 0600));
	/* two maps of 60% each: the second does not fit */
	n = limit * 0.6 / map_bytes(8, 8168, 1);
	if (n < 1 || n > MAX_ENTRIES_MAX) {
		fprintf(stderr, "#   max_bytes_per_user %ld: skipping the 60%%+60%% check\n",
			a->limit);
		return !!cfail;
	}
	snprintf(name, sizeof(name), "%sb1", a->prefix);
	CCHECK(0, hm_create(f1, name, 8, 8168, n, 0600));
	CCHECK(-EDQUOT, hm_create(f2, NULL, 8, 8168, n, 0600));
	CCHECK(-EDQUOT, hm_create(f2, NULL, 8, 8168, n, 0600));
	/* refused creates reserved nothing: 60% + 15% fits */
	CCHECK(0, hm_create(f2, NULL, 8, 8168, n / 4 ? n / 4 : 1, 0600));
	close(f2);
	/* once the first is gone, the second fits */
	CCHECK(0, hm_destroy(f1, name));
	close(f1);
	f3 = child_dev_open();
	CCHECK(0, create_retry(f3, NULL, 8, 8168, n));
	close(f3);
	return !!cfail;
}

TEST_F(hmap, quota_bytes)
{
	struct child_arg a = CHILD_ARG(self);
	int fd;

	REQUIRE_TEST_UIDS();
	a.limit = read_limit(_metadata, "max_bytes_per_user");
	EXPECT_EQ(0, run_as(1141, 1141, 0, NULL, child_quota_bytes, &a));

	/* root (CAP_SYS_RESOURCE) is not limited */
	fd = hm_new(NULL, KEY_SIZE_MAX, VALUE_SIZE_MAX, MAX_ENTRIES_MAX, 0600);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
}

/* ---- Concurrency ---- */

#define CC_STABLE	1000	/* inserted first, never touched */
#define CC_WRITERS	4	/* 0, 1 threads; 2, 3 processes */
#define CC_THREADS	2
#define CC_RANGE	300	/* keys each writer churns */
#define CC_ROUNDS	3
#define CC_DUMPERS	2	/* 0 thread, 1 process */
#define CC_VS		16
#define CC_NKEYS	(CC_STABLE + CC_WRITERS * CC_RANGE)
#define CC_MAX_WALKS	200

struct cc_shared {		/* MAP_SHARED: threads and processes */
	char name[HMAP_NAME_MAX];
	int fd;			/* the parent's fd, for the threads */
	int stop;		/* writers done */
	int errors;
	int walks[CC_DUMPERS];
	long dump_calls[CC_DUMPERS];
	int shrinks;
	char msg[512];		/* the first error */
};

struct cc_arg {
	struct cc_shared *sh;
	int idx;
};

static void cc_error(struct cc_shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&sh->errors, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->msg, sizeof(sh->msg), fmt, ap);
	va_end(ap);
}

static __u64 cc_id(int w, __u32 i)
{
	return w < 0 ? i : ((__u64)(w + 1) << 32) | i;
}

/* The seen[] slot of a key, or -1 if it is not one of ours. */
static long cc_slot(__u64 id)
{
	__u64 w = id >> 32, i = id & 0xffffffff;

	if (!w)
		return i < CC_STABLE ? (long)i : -1;
	if (w > CC_WRITERS || i >= CC_RANGE)
		return -1;
	return CC_STABLE + (w - 1) * CC_RANGE + i;
}

static int cc_put(int fd, __u64 id, __u64 gen, __u32 flags)
{
	__u64 v[2] = { id, gen };

	return hm_update(fd, &id, sizeof(id), v, sizeof(v), flags);
}

static int cc_get(int fd, __u64 id, __u64 *gen)
{
	__u64 v[2] = { 0 };
	__u32 len = sizeof(v);
	int err = hm_lookup(fd, &id, sizeof(id), v, &len);

	if (err)
		return err;
	if (len != sizeof(v) || v[0] != id)
		return -EBADMSG;
	*gen = v[1];
	return 0;
}

/* Gen of writer key i after the last round (it is kept if i % 3 == 0). */
static __u64 cc_final_gen(__u32 i)
{
	return i % 4 ? CC_ROUNDS - 1 : CC_ROUNDS - 1 + 100;
}

static void cc_writer(struct cc_shared *sh, int w, int fd)
{
	__u64 id, gen;
	__u32 i;
	int r, err;

	for (r = 0; r < CC_ROUNDS && !sh->errors; r++) {
		for (i = 0; i < CC_RANGE; i++) {
			id = cc_id(w, i);
			err = cc_put(fd, id, r, HMAP_NOEXIST);
			if (err) {
				cc_error(sh, "writer %d: insert %#llx: %d", w,
					 (unsigned long long)id, err);
				return;
			}
			if (i % 4 == 0) {
				err = cc_put(fd, id, r + 100, HMAP_EXIST);
				if (err) {
					cc_error(sh, "writer %d: replace %#llx: %d",
						 w, (unsigned long long)id, err);
					return;
				}
			}
			if (i % 5 == 0) {
				err = cc_get(fd, id, &gen);
				if (err || gen != (__u64)(i % 4 ? r : r + 100)) {
					cc_error(sh, "writer %d: lookup %#llx: %d gen %llu",
						 w, (unsigned long long)id, err,
						 (unsigned long long)gen);
					return;
				}
			}
			if (i % 16 == 0) {
				id = cc_id(-1, (i * 7 + w) % CC_STABLE);
				err = cc_get(fd, id, &gen);
				if (err || gen) {
					cc_error(sh, "writer %d: stable %llu: %d",
						 w, (unsigned long long)id, err);
					return;
				}
			}
		}
		for (i = 0; i < CC_RANGE; i++) {
			if (r == CC_ROUNDS - 1 && i % 3 == 0)
				continue;
			id = cc_id(w, i);
			err = hm_delete(fd, &id, sizeof(id));
			if (err) {
				cc_error(sh, "writer %d: delete %#llx: %d", w,
					 (unsigned long long)id, err);
				return;
			}
		}
	}
}

struct cc_walk {
	struct cc_shared *sh;
	int dumper;
	__u8 seen[CC_NKEYS];
};

static int cc_walk_fn(void *ctx, const __u8 *key, __u32 klen, const __u8 *val,
		      __u32 vlen)
{
	struct cc_walk *c = ctx;
	__u64 id, v[2];
	long slot;

	if (klen != sizeof(id) || vlen != sizeof(v)) {
		cc_error(c->sh, "dumper %d: key_len %u value_len %u", c->dumper,
			 klen, vlen);
		return -EBADMSG;
	}
	memcpy(&id, key, sizeof(id));
	memcpy(v, val, sizeof(v));
	slot = cc_slot(id);
	if (slot < 0 || v[0] != id) {
		cc_error(c->sh, "dumper %d: stray key %#llx value %#llx",
			 c->dumper, (unsigned long long)id,
			 (unsigned long long)v[0]);
		return -EBADMSG;
	}
	if (c->seen[slot]++) {
		cc_error(c->sh, "dumper %d: key %#llx twice in one walk",
			 c->dumper, (unsigned long long)id);
		return -EBADMSG;
	}
	return 0;
}

static void cc_dumper(struct cc_shared *sh, int d, int fd)
{
	struct cc_walk *c = malloc(sizeof(*c));
	__u32 room = d ? 13 : 64;
	int walk, err, i;

	if (!c) {
		cc_error(sh, "dumper %d: no memory", d);
		return;
	}
	c->sh = sh;
	c->dumper = d;
	for (walk = 0; walk < CC_MAX_WALKS && !sh->errors; walk++) {
		struct walk_stats ws = { 0 };

		if (__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE) && walk >= 2)
			break;
		memset(c->seen, 0, sizeof(c->seen));
		err = hm_walk(fd, 8, CC_VS, room, true, cc_walk_fn, c, &ws,
			      1000000);
		sh->dump_calls[d] += ws.calls;
		if (err) {
			if (err != -EBADMSG)
				cc_error(sh, "dumper %d: walk %d: %d", d, walk,
					 err);
			break;
		}
		for (i = 0; i < CC_STABLE; i++) {
			if (c->seen[i] != 1) {
				cc_error(sh, "dumper %d: walk %d saw stable key %d %u times",
					 d, walk, i, c->seen[i]);
				goto out;
			}
		}
		sh->walks[d]++;
	}
out:
	free(c);
}

static void cc_shrinker(struct cc_shared *sh, int fd)
{
	struct hmap_map_stats s;
	int err;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE) && !sh->errors) {
		err = hm_cmd(fd, HMAP_IOC_SHRINK);
		if (err) {
			cc_error(sh, "shrink: %d", err);
			return;
		}
		err = hm_stats(fd, &s);
		if (err || s.count < CC_STABLE || s.count > CC_NKEYS) {
			cc_error(sh, "stats: %d, count %llu", err,
				 (unsigned long long)s.count);
			return;
		}
		sh->shrinks++;
		usleep(20000);
	}
}

static void *cc_writer_thread(void *p)
{
	struct cc_arg *a = p;

	cc_writer(a->sh, a->idx, a->sh->fd);
	return NULL;
}

static void *cc_dumper_thread(void *p)
{
	struct cc_arg *a = p;

	cc_dumper(a->sh, a->idx, a->sh->fd);
	return NULL;
}

static void *cc_shrinker_thread(void *p)
{
	struct cc_arg *a = p;

	cc_shrinker(a->sh, a->sh->fd);
	return NULL;
}

/* A process with its own fd on the map; exits with 0 or 1. */
static pid_t cc_fork(struct cc_shared *sh, int idx, bool writer)
{
	pid_t pid;
	int fd;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid)
		return pid;
	fd = hm_attach(sh->name);
	if (fd < 0) {
		cc_error(sh, "process %d: open %s: %d", idx, sh->name, fd);
		_exit(1);
	}
	if (writer)
		cc_writer(sh, idx, fd);
	else
		cc_dumper(sh, idx, fd);
	close(fd);
	_exit(sh->errors ? 1 : 0);
}

struct cc_final {
	__u8 seen[CC_NKEYS];
	unsigned long bad;
};

static int cc_final_fn(void *ctx, const __u8 *key, __u32 klen,
		       const __u8 *val, __u32 vlen)
{
	struct cc_final *f = ctx;
	__u64 id, v[2];
	long slot;

	if (klen != sizeof(id) || vlen != sizeof(v)) {
		f->bad++;
		return 0;
	}
	memcpy(&id, key, sizeof(id));
	memcpy(v, val, sizeof(v));
	slot = cc_slot(id);
	if (slot < 0 || v[0] != id) {
		f->bad++;
		return 0;
	}
	f->seen[slot]++;
	if (slot < CC_STABLE ? v[1] != 0 :
	    v[1] != cc_final_gen((id & 0xffffffff)))
		f->bad++;
	return 0;
}

/*
 * Writers churn disjoint key ranges (insert, replace, delete) so the map
 * grows and shrinks, while dumpers walk it and a shrinker thread resizes
 * it: every walk returns every stable key once and no key twice.
 */
TEST_F_TIMEOUT(hmap, concurrent_churn_dump, 240)
{
	pthread_t writers[CC_THREADS], dumper, shrinker;
	struct cc_arg wa[CC_THREADS], da = { .idx = 0 }, sa = { .idx = 0 };
	pid_t wpid[CC_WRITERS - CC_THREADS], dpid;
	struct cc_shared *sh;
	struct cc_final *fin;
	struct hmap_map_stats s;
	struct walk_stats ws = { 0 };
	__u64 expect, id, gen;
	__u32 i;
	int status, w, n;

	REQUIRE_HMAP();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	memcpy(sh->name, self->name, HMAP_NAME_MAX);
	sh->fd = hm_new(self->name, 8, CC_VS, 2 * CC_NKEYS, 0600);
	ASSERT_LE(0, sh->fd);
	for (i = 0; i < CC_STABLE; i++)
		ASSERT_EQ(0, cc_put(sh->fd, cc_id(-1, i), 0, HMAP_NOEXIST));

	/* processes first, then threads */
	for (w = CC_THREADS; w < CC_WRITERS; w++) {
		wpid[w - CC_THREADS] = cc_fork(sh, w, true);
		ASSERT_LT(0, wpid[w - CC_THREADS]);
	}
	dpid = cc_fork(sh, 1, false);
	ASSERT_LT(0, dpid);
	da.sh = sh;
	sa.sh = sh;
	ASSERT_EQ(0, pthread_create(&dumper, NULL, cc_dumper_thread, &da));
	ASSERT_EQ(0, pthread_create(&shrinker, NULL, cc_shrinker_thread, &sa));
	for (w = 0; w < CC_THREADS; w++) {
		wa[w].sh = sh;
		wa[w].idx = w;
		ASSERT_EQ(0, pthread_create(&writers[w], NULL, cc_writer_thread,
					    &wa[w]));
	}

	for (w = 0; w < CC_THREADS; w++)
		pthread_join(writers[w], NULL);
	for (w = 0; w < CC_WRITERS - CC_THREADS; w++) {
		ASSERT_EQ(wpid[w], waitpid(wpid[w], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	pthread_join(dumper, NULL);
	pthread_join(shrinker, NULL);
	ASSERT_EQ(dpid, waitpid(dpid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	TH_LOG("walks %d + %d (%ld + %ld dump calls), %d shrinks",
	       sh->walks[0], sh->walks[1], sh->dump_calls[0],
	       sh->dump_calls[1], sh->shrinks);
	ASSERT_EQ(0, sh->errors) {
		TH_LOG("%d errors, first: %s", sh->errors, sh->msg);
	}
	EXPECT_LE(2, sh->walks[0]);
	EXPECT_LE(2, sh->walks[1]);

	/* nothing lost, nothing duplicated, nothing left over */
	expect = CC_STABLE + CC_WRITERS * ((CC_RANGE + 2) / 3);
	ASSERT_EQ(0, hm_stats(sh->fd, &s));
	EXPECT_EQ(expect, s.count);
	EXPECT_LE(1ULL, s.grows);
	EXPECT_EQ(s.count, s.elems_alloced - s.elems_freed);
	fin = calloc(1, sizeof(*fin));
	ASSERT_NE(NULL, fin);
	ASSERT_EQ(0, hm_walk(sh->fd, 8, CC_VS, 100, true, cc_final_fn, fin,
			     &ws, 100000));
	EXPECT_EQ(expect, ws.entries);
	EXPECT_EQ(0UL, fin->bad);
	n = 0;
	for (i = 0; i < CC_NKEYS; i++) {
		bool kept = i < CC_STABLE || (i - CC_STABLE) % CC_RANGE % 3 == 0;

		if (fin->seen[i] != kept && n++ < 5)
			TH_LOG("slot %u seen %u times, want %d", i,
			       fin->seen[i], kept);
	}
	EXPECT_EQ(0, n);
	for (w = 0; w < CC_WRITERS; w++) {
		for (i = 0; i < CC_RANGE; i += 7) {
			int err = cc_get(sh->fd, cc_id(w, i), &gen);

			if (i % 3) {
				EXPECT_EQ(-ENOENT, err);
			} else {
				EXPECT_EQ(0, err);
				EXPECT_EQ(cc_final_gen(i), gen);
			}
		}
	}
	for (i = 0; i < CC_STABLE; i += 11) {
		id = cc_id(-1, i);
		EXPECT_EQ(0, cc_get(sh->fd, id, &gen));
	}
	free(fin);
	close(sh->fd);
	munmap(sh, sizeof(*sh));
}

/* ---- Lifetime ---- */

/* Wait (up to 10 s) until the map's stats say @arrays bucket arrays are held. */
static int wait_arrays(int fd, __u64 arrays)
{
	struct hmap_map_stats s;
	int i, err;

	for (i = 0; i < 1000; i++) {
		err = hm_stats(fd, &s);
		if (err)
			return err;
		if (s.arrays_alloced - s.arrays_freed == arrays)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* Insert ids [0, n) with one BATCH_UPDATE; 0 or -errno. */
static int batch_fill(int fd, __u32 n)
{
	__u64 *keys = malloc((size_t)n * 8);
	__u32 count = n, i;
	int err;

	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = i;
	err = hm_batch(fd, HMAP_IOC_BATCH_UPDATE, HMAP_NOEXIST, &count, keys,
		       NULL, keys, NULL);
	free(keys);
	return err ?: (count == n ? 0 : -EIO);
}

/*
 * Close and destroy maps at each point where the map has work pending:
 * the next array being allocated ahead (one BATCH_UPDATE to three quarters
 * of the way to the grow at B 16, then close at once: the case that freed
 * the map under an armed timer), a resize half done, and a spare array
 * idle. The module is unloaded after the suites; a timer or work left
 * behind shows as a KASAN or debugobjects report in the serial log, and
 * the wait at the end gives such a timer time to fire while the module is
 * still loaded too.
 */
TEST_F_TIMEOUT(hmap, teardown_with_pending_work, 300)
{
	struct hmap_map_stats s;
	int fd;

	REQUIRE_HMAP();
	/* Allocation ahead in flight. */
	fd = hm_new(NULL, 8, 8, 400000, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, batch_fill(fd, 319488));
	close(fd);

	/*
	 * A grow half done, destroyed: from B 15 (212993 entries), 32768 old
	 * buckets, 512 turns of the worker.
	 */
	fd = hm_new(self->name, 8, 8, 400000, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, batch_fill(fd, 212993));
	ASSERT_EQ(0, hm_stats(fd, &s));
	EXPECT_EQ(1U, s.resizing);
	ASSERT_EQ(0, hm_destroy(self->fd, self->name));
	close(fd);

	/* A spare array idle: B 9, past 2496 entries, then wait. */
	fd = hm_new(self->name, 8, 8, 400000, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, batch_fill(fd, 2600));
	ASSERT_EQ(0, wait_arrays(fd, 2));
	ASSERT_EQ(0, hm_destroy(self->fd, self->name));
	close(fd);

	/* Past the second a spare array may idle: a stray timer fires now. */
	usleep(1500000);
	EXPECT_EQ(0, hm_list_find(self->name, NULL, NULL));
}

TEST_F(hmap, destroy_with_open_fd)
{
	struct hmap_list_entry e;
	int fd1, fd2, fd3, matches;

	REQUIRE_HMAP();
	fd1 = map_holding_key1(_metadata, self->name, 0600);
	fd2 = hm_attach(self->name);
	ASSERT_LE(0, fd2);

	ASSERT_EQ(0, hm_destroy(self->fd, self->name));
	EXPECT_EQ(-ENOENT, hm_open(self->fd, self->name));
	EXPECT_EQ(0, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(-ENOENT, hm_destroy(self->fd, self->name));

	/* the bound fds keep working on the old map */
	EXPECT_EQ(0, get_id(fd1, 1, 8));
	EXPECT_EQ(0, put_id(fd2, 2, 8, HMAP_NOEXIST));
	EXPECT_EQ(0, get_id(fd1, 2, 8));

	/* the name is free: a new, empty map */
	fd3 = hm_new(self->name, 8, 8, 16, 0600);
	ASSERT_LE(0, fd3);
	EXPECT_EQ(0, hm_count(fd3));
	EXPECT_EQ(-ENOENT, get_id(fd3, 1, 8));
	ASSERT_EQ(0, put_id(fd3, 3, 8, HMAP_NOEXIST));
	EXPECT_EQ(2, hm_count(fd1));
	EXPECT_EQ(-ENOENT, get_id(fd1, 3, 8));
	ASSERT_EQ(1, hm_list_find(self->name, &e, &matches));
	EXPECT_EQ(1, matches);
	EXPECT_EQ(1ULL, e.count);

	/* DESTROY goes by name: from fd1 it destroys the new map */
	EXPECT_EQ(0, hm_destroy(fd1, self->name));
	EXPECT_EQ(0, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(0, get_id(fd3, 3, 8));
	EXPECT_EQ(0, get_id(fd1, 1, 8));
	close(fd1);
	EXPECT_EQ(0, get_id(fd2, 1, 8));
	close(fd2);
	EXPECT_EQ(1, hm_count(fd3));
	close(fd3);
}

struct close_arg {
	int fd;
	int calls;
	int err;	/* the error that ended the loop */
	int other;	/* an error other than -EBADF */
};

static void *close_dump_thread(void *p)
{
	struct close_arg *a = p;
	__u64 keys[16], vals[16], cursor = 0;
	__u32 klens[16], vlens[16];

	for (;;) {
		struct hmap_dump d = {
			.argsz = sizeof(d), .count = 16, .cursor = cursor,
			.keys = U64P(keys), .key_lens = U64P(klens),
			.values = U64P(vals), .value_lens = U64P(vlens),
		};
		int err = hm_ioctl(a->fd, HMAP_IOC_DUMP, &d);

		__atomic_add_fetch(&a->calls, 1, __ATOMIC_SEQ_CST);
		if (err) {
			a->err = err;
			if (err != -EBADF)
				a->other = err;
			return NULL;
		}
		cursor = d.flags & HMAP_DUMP_DONE ? 0 : d.cursor;
		if (a->calls > 1000000)
			return NULL;
	}
}

TEST_F(hmap, close_during_dump)
{
	struct seen_ctx c = { .n = 1000, .vl = 8 };
	struct walk_stats ws;
	struct close_arg a = { 0 };
	__u64 keys[16], vals[16];
	__u32 klens[16], vlens[16];
	struct hmap_dump d = {
		.argsz = sizeof(d), .count = 16,
		.keys = U64P(keys), .key_lens = U64P(klens),
		.values = U64P(vals), .value_lens = U64P(vlens),
	};
	pthread_t t;
	int fd, fd2;

	REQUIRE_HMAP();
	fd = hm_new(self->name, 8, 8, 2000, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fill(fd, 0, c.n, 8));

	/* one batch of a walk, then close */
	fd2 = hm_attach(self->name);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, hm_ioctl(fd2, HMAP_IOC_DUMP, &d));
	EXPECT_EQ(0U, d.flags & HMAP_DUMP_DONE);
	ASSERT_EQ(0, close(fd2));

	/* reopen, walk fully */
	fd2 = hm_attach(self->name);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, walk_ids(fd2, 8, 16, true, &c, &ws));
	EXPECT_EQ(c.n, ws.entries);
	close(fd2);

	/*
	 * An anonymous map: a thread dumps through its only fd while the fd
	 * is closed under it. The dumps in flight finish, then -EBADF.
	 */
	a.fd = hm_new(NULL, 8, 8, 2000, 0600);
	ASSERT_LE(0, a.fd);
	ASSERT_EQ(0, fill(a.fd, 0, 1000, 8));
	ASSERT_EQ(0, pthread_create(&t, NULL, close_dump_thread, &a));
	while (__atomic_load_n(&a.calls, __ATOMIC_SEQ_CST) < 20 && !a.err)
		sched_yield();
	close(a.fd);
	pthread_join(t, NULL);
	EXPECT_EQ(-EBADF, a.err);
	EXPECT_EQ(0, a.other);

	/* the named map is unharmed */
	EXPECT_EQ(1000, hm_count(fd));
	close(fd);
}

/* a->limit: max_maps_per_user */
static int child_anon_cycle(void *p)
{
	struct child_arg *a = p;
	int n = a->limit, *fds = calloc(n, sizeof(int)), round, i, fd;

	if (!fds)
		return 3;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < n; i++) {
			fds[i] = child_dev_open();
			CCHECK(0, create_retry(fds[i], NULL, 8, 8, 16));
			CCHECK(0, put_id(fds[i], i, 8, HMAP_NOEXIST));
		}
		fd = child_dev_open();
		CCHECK(-EDQUOT, hm_create(fd, NULL, 8, 8, 16, 0600));
		close(fd);
		for (i = 0; i < n; i++)
			close(fds[i]);
		if (cfail)
			break;
	}
	free(fds);
	return !!cfail;
}

TEST_F(hmap, anon_freed_on_close)
{
	struct child_arg a = CHILD_ARG(self);
	struct hmap_list_entry *e;
	__u32 total0, total1;
	int fd, fd2, status, n;
	pid_t pid;

	REQUIRE_HMAP();
	n = hm_list_all(self->fd, &e, &total0);
	ASSERT_LE(0, n);
	free(e);

	fd = map_holding_key1(_metadata, NULL, 0600);
	n = hm_list_all(self->fd, &e, &total1);
	ASSERT_LE(0, n);
	free(e);
	EXPECT_EQ(total0, total1);

	/* the map lives as long as any fd refers to the open file */
	fd2 = dup(fd);
	ASSERT_LE(0, fd2);
	close(fd);
	EXPECT_EQ(0, get_id(fd2, 1, 8));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int err = put_id(fd2, 2, 8, HMAP_NOEXIST);

		close(fd2);
		_exit(err ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, get_id(fd2, 2, 8));
	EXPECT_EQ(2, hm_count(fd2));
	close(fd2);

	/*
	 * Freed for real: an unprivileged user can fill its map quota with
	 * anonymous maps, close them, and do it again.
	 */
	if (geteuid() != 0) {
		TH_LOG("not root: skipping the quota round trip");
		return;
	}
	dev_allow_all(_metadata);
	a.limit = read_limit(_metadata, "max_maps_per_user");
	if (a.limit > 256) {
		TH_LOG("max_maps_per_user %ld: skipping the quota round trip",
		       a.limit);
		return;
	}
	EXPECT_EQ(0, run_as(1151, 1151, 0, NULL, child_anon_cycle, &a));
}

static bool have_rmmod(void)
{
	static const char *const paths[] = {
		"/sbin/rmmod", "/usr/sbin/rmmod", "/bin/rmmod", "/usr/bin/rmmod",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(paths); i++)
		if (!access(paths[i], X_OK))
			return true;
	return false;
}

/* ---- debugfs: what an operator reads matches what was done ---- */

#define DEBUGFS_DIR	"/sys/kernel/debug/hmap"

#define REQUIRE_DEBUGFS() do {						\
	if (access(DEBUGFS_DIR "/stats", R_OK))				\
		SKIP(return, DEBUGFS_DIR " not available");		\
} while (0)

/* "key: value" from a debugfs file of @dir ("" for the top), or -1. */
static long long dbg_field(const char *dir, const char *file, const char *key)
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

/* A one-number debugfs file of map @dir, or -1. */
static long long dbg_counter(const char *dir, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), DEBUGFS_DIR "/%s", dir);
	return file_number(path, file);
}

/* Directories under DEBUGFS_DIR whose name starts with @prefix, or -1. */
static int dbg_count_dirs(const char *prefix)
{
	DIR *dir = opendir(DEBUGFS_DIR);
	struct dirent *de;
	int n = 0;

	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		n += !strncmp(de->d_name, prefix, strlen(prefix));
	closedir(dir);
	return n;
}

/*
 * Wait (up to 5 s) until no resize is in progress and no old array waits
 * for its grace period, so that nothing changes any more; then fill @s.
 */
static int hm_stats_settled(int fd, struct hmap_map_stats *s)
{
	int i, err = 0;

	for (i = 0; i < 500; i++) {
		err = hm_stats(fd, s);
		if (err || (!s->resizing && !s->pending_frees))
			break;
		usleep(10000);
	}
	return err;
}

TEST_F(hmap, debugfs_counters)
{
	struct hmap_map_stats s;
	__u64 id;
	int fd;

	REQUIRE_HMAP();
	REQUIRE_DEBUGFS();
	fd = hm_new(self->name, 8, 16, 10000, 0600);
	ASSERT_LE(0, fd);
	for (id = 0; id < 1000; id++)
		ASSERT_EQ(0, put_id(fd, id, 16, HMAP_NOEXIST));
	for (id = 0; id < 100; id++)
		ASSERT_EQ(0, put_id(fd, id, 16, HMAP_EXIST));
	for (id = 0; id < 200; id++)
		ASSERT_EQ(0, get_id(fd, id, 16));
	for (id = 5000; id < 5050; id++)
		ASSERT_EQ(-ENOENT, get_id(fd, id, 16));
	for (id = 0; id < 900; id++)
		ASSERT_EQ(0, hm_delete(fd, &id, sizeof(id)));
	ASSERT_EQ(0, hm_stats_settled(fd, &s));

	/* What was done, and what the stats ioctl says, debugfs says too. */
	EXPECT_EQ(100, dbg_counter(self->name, "entries"));
	EXPECT_EQ(1000, dbg_counter(self->name, "inserts"));
	EXPECT_EQ(100, dbg_counter(self->name, "updates"));
	EXPECT_EQ(250, dbg_counter(self->name, "lookups"));
	EXPECT_EQ(200, dbg_counter(self->name, "hits"));
	EXPECT_EQ(50, dbg_counter(self->name, "misses"));
	EXPECT_EQ(900, dbg_counter(self->name, "deletes"));
	EXPECT_EQ((long long)s.B, dbg_counter(self->name, "B"));
	EXPECT_EQ(1LL << s.B, dbg_counter(self->name, "buckets"));
	EXPECT_EQ((long long)s.grows, dbg_counter(self->name, "grows"));
	EXPECT_LE(1, dbg_counter(self->name, "grows"));
	EXPECT_EQ((long long)s.shrinks, dbg_counter(self->name, "shrinks"));
	EXPECT_LE(1, dbg_counter(self->name, "shrinks"));
	EXPECT_EQ((long long)s.bytes, dbg_counter(self->name, "bytes"));
	EXPECT_EQ((long long)s.elems_alloced,
		  dbg_counter(self->name, "elems_alloced"));
	EXPECT_EQ((long long)s.elems_freed,
		  dbg_counter(self->name, "elems_freed"));
	EXPECT_EQ((long long)s.arrays_alloced,
		  dbg_counter(self->name, "arrays_alloced"));
	EXPECT_EQ((long long)s.noverflow,
		  dbg_counter(self->name, "overflow_buckets"));
	EXPECT_EQ(0, dbg_counter(self->name, "open_cursors"));
	EXPECT_EQ(0, dbg_counter(self->name, "alloc_failures"));
	/* The human-readable file and the histogram agree. */
	EXPECT_EQ(100, dbg_field(self->name, "stats", "entries"));
	EXPECT_EQ(1000, dbg_field(self->name, "stats", "inserts"));
	EXPECT_EQ(1LL << s.B, dbg_field(self->name, "stats", "buckets"));
	EXPECT_EQ(1LL << s.B, dbg_field(self->name, "histogram", "buckets"));

	close(fd);
	ASSERT_EQ(0, hm_destroy(self->fd, self->name));
	EXPECT_EQ(-1, dbg_counter(self->name, "entries"));
}

/* Anonymous maps show up as anon:<id>; destroyed ones as destroyed:<id>. */
TEST_F(hmap, debugfs_map_dirs)
{
	int anon0, dead0, a, n;

	REQUIRE_HMAP();
	REQUIRE_DEBUGFS();
	anon0 = dbg_count_dirs("anon:");
	dead0 = dbg_count_dirs("destroyed:");
	a = hm_new(NULL, 8, 8, 10, 0600);
	ASSERT_LE(0, a);
	EXPECT_EQ(anon0 + 1, dbg_count_dirs("anon:"));
	close(a);
	EXPECT_EQ(anon0, dbg_count_dirs("anon:"));

	n = hm_new(self->name, 8, 8, 10, 0600);
	ASSERT_LE(0, n);
	EXPECT_EQ(0, dbg_counter(self->name, "entries"));
	ASSERT_EQ(0, hm_destroy(self->fd, self->name));
	/* Still in use by n: renamed, so the name can be used again. */
	EXPECT_EQ(-1, dbg_counter(self->name, "entries"));
	EXPECT_EQ(dead0 + 1, dbg_count_dirs("destroyed:"));
	a = hm_new(self->name, 8, 8, 10, 0600);
	ASSERT_LE(0, a);
	EXPECT_EQ(0, dbg_counter(self->name, "entries"));
	close(n);
	EXPECT_EQ(dead0, dbg_count_dirs("destroyed:"));
	close(a);
	ASSERT_EQ(0, hm_destroy(self->fd, self->name));
}

/*
 * The leak check: once every map is gone, the global counters of what was
 * allocated and not freed are all zero. Runs after the other tests have
 * destroyed their maps, so it must be last but for rmmod_busy.
 */
TEST_F(hmap, debugfs_leak_check)
{
	int fds[3], i;
	__u64 id;

	REQUIRE_HMAP();
	REQUIRE_DEBUGFS();
	fds[0] = hm_new(self->name, 8, 16, 100000, 0600);
	fds[1] = hm_new(self->name2, 8, 16, 100000, 0600);
	fds[2] = hm_new(NULL, 8, 16, 100000, 0600);
	for (i = 0; i < 3; i++) {
		ASSERT_LE(0, fds[i]);
		for (id = 0; id < 3000; id++)
			ASSERT_EQ(0, put_id(fds[i], id, 16, HMAP_NOEXIST));
	}
	EXPECT_LE(3, dbg_field("", "stats", "maps"));
	EXPECT_LT(0, dbg_field("", "stats", "elems_outstanding"));

	for (id = 0; id < 2000; id++)
		ASSERT_EQ(0, hm_delete(fds[0], &id, sizeof(id)));
	ASSERT_EQ(0, hm_destroy(self->fd, self->name));
	ASSERT_EQ(0, hm_destroy(self->fd, self->name2));
	for (i = 0; i < 3; i++)
		close(fds[i]);

	/* Frees after a grace period have run by the time destroy returns. */
	EXPECT_EQ(0, dbg_field("", "stats", "maps"));
	EXPECT_EQ(0, dbg_field("", "stats", "bytes"));
	EXPECT_EQ(0, dbg_field("", "stats", "arrays_outstanding"));
	EXPECT_EQ(0, dbg_field("", "stats", "overflow_outstanding"));
	EXPECT_EQ(0, dbg_field("", "stats", "elems_outstanding"));
}

/* Keep this test last: if rmmod wrongly succeeds, /dev/hmap is gone. */
TEST_F(hmap, rmmod_busy)
{
	const char *env = getenv("HMAP_TEST_RMMOD");
	int fd, status;

	REQUIRE_HMAP();
	if (!env || strcmp(env, "1"))
		SKIP(return, "set HMAP_TEST_RMMOD=1 to try rmmod hmap");
	if (!have_rmmod())
		SKIP(return, "no rmmod binary");
	REQUIRE_ROOT();

	/* an unbound fd pins the module */
	status = system("rmmod hmap 2>/dev/null");
	ASSERT_NE(-1, status);
	ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("rmmod hmap succeeded with an unbound fd open");
	}
	EXPECT_EQ(0, access(PARAM_DIR, F_OK));

	/* so does a bound one, alone */
	fd = map_holding_key1(_metadata, NULL, 0600);
	close(self->fd);
	self->fd = -1;
	status = system("rmmod hmap 2>/dev/null");
	ASSERT_NE(-1, status);
	ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("rmmod hmap succeeded with a bound fd open");
	}
	EXPECT_EQ(0, get_id(fd, 1, 8));
	self->fd = hm_dev_open();
	EXPECT_LE(0, self->fd);
	close(fd);
}

TEST_HARNESS_MAIN
