// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection through /dev/hmap: every allocation on the path of each
 * ioctl fails once, by /proc/thread-self/fail-nth (the N-th fault point of
 * the task's next calls fails; Documentation/fault-injection/), N = 1, 2,
 * ... until the call runs without a failure. What must hold after each
 * failure: the call returned -ENOMEM (or succeeded, if the allocation was
 * one it can do without), and the map holds what the calls that succeeded
 * put there, no more, no less. An unprivileged user's CREATEs, failed at
 * each allocation in turn, must leave its whole quota of maps.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION (the fail-nth file) and hmap
 * built against it (its allocation sites, hmap_fault.h); skips otherwise.
 */
#include "common.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define SITES		"/sys/kernel/debug/fail_hmap_alloc/injected"
#define NKEYS		120
#define BATCH		40	/* keys a walked batch holds */
#define VS		512	/* key + value over the ioctl's stack buffer */

static int nth_fd = -1;

/* Fail the @n-th fault point from now on (0: none). */
static void nth_set(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, len, 0) != len)
		abort();
}

/* Whether the fault set by nth_set() has happened; resets it. */
static bool nth_hit(void)
{
	char buf[16] = "";
	bool hit;

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	hit = atoi(buf) == 0;
	nth_set(0);
	return hit;
}

static void value_of(__u64 id, __u64 gen, __u8 *v)
{
	unsigned int i;

	for (i = 0; i < VS; i++)
		v[i] = (__u8)(id * 31 + gen * 7 + i);
}

static int put(int fd, __u64 id, __u64 gen)
{
	__u8 v[VS];
	struct hmap_elem_op op = {
		.argsz = sizeof(op), .key = U64P(&id), .value = U64P(v),
		.key_len = sizeof(id), .value_len = VS,
	};

	value_of(id, gen, v);
	return hm_ioctl(fd, HMAP_IOC_UPDATE, &op);
}

static int del(int fd, __u64 id)
{
	struct hmap_elem_op op = {
		.argsz = sizeof(op), .key = U64P(&id), .key_len = sizeof(id),
	};

	return hm_ioctl(fd, HMAP_IOC_DELETE, &op);
}

/* 0: @id holds generation @gen; 1: absent; -errno; -1: a wrong value. */
static int get(int fd, __u64 id, __u64 gen)
{
	__u8 v[VS], want[VS];
	struct hmap_elem_op op = {
		.argsz = sizeof(op), .key = U64P(&id), .value = U64P(v),
		.key_len = sizeof(id), .value_len = VS,
	};
	int err = hm_ioctl(fd, HMAP_IOC_LOOKUP, &op);

	if (err == -ENOENT)
		return 1;
	if (err)
		return err;
	value_of(id, gen, want);
	return !err && op.value_len == VS && !memcmp(v, want, VS) ? 0 : -1;
}

/* The model: generation of each key, 0 when absent. */
struct model {
	__u64 gen[NKEYS];
};

/* After a write of @id at @gen (0: a delete) that returned @ret. */
static void model_write(struct model *m, int ret, unsigned int id, __u64 gen)
{
	if (!ret)
		m->gen[id] = gen;
}

/* After a batch that did its first @count keys, each now at @gen. */
static void model_batch(struct model *m, __u32 count, __u64 gen)
{
	__u32 i;

	for (i = 0; i < count; i++)
		m->gen[i] = gen;
}

/* After a clear that returned @ret. */
static void model_clear(struct model *m, int ret)
{
	if (!ret)
		memset(m, 0, sizeof(*m));
}

/* Every key as the model says, and the count (by a dump: hash order). */
static bool model_ok(int fd, const struct model *m)
{
	__u64 keys[64];
	__u32 lens[64];
	struct hmap_dump d = { .argsz = sizeof(d) };
	unsigned int id, live = 0, dumped = 0;

	for (id = 0; id < NKEYS; id++) {
		if (get(fd, id, m->gen[id]) != (m->gen[id] ? 0 : 1))
			return false;
		live += !!m->gen[id];
	}
	do {
		d.count = 64;
		d.keys = U64P(keys);
		d.key_lens = U64P(lens);
		if (hm_ioctl(fd, HMAP_IOC_DUMP, &d))
			return false;
		dumped += d.count;
	} while (!(d.flags & HMAP_DUMP_DONE));
	return dumped == live;
}

FIXTURE(fault) {
	int fd;
	struct model m;
};

FIXTURE_SETUP(fault)
{
	struct hmap_create c = {
		.argsz = sizeof(c), .flags = HMAP_CREATE_ANON, .key_size = 8,
		.value_size = VS, .max_entries = NKEYS, .mode = 0600,
	};

	memset(&self->m, 0, sizeof(self->m));
	self->fd = hm_dev_open();
	setup_require(_metadata, self->fd, 0);
	nth_fd = open(FAIL_NTH, O_RDWR);
	if (nth_fd < 0)
		SKIP_SETUP("no %s (CONFIG_FAULT_INJECTION)", FAIL_NTH);
	if (access(SITES, R_OK))
		SKIP_SETUP("hmap has no fault injection sites");
	ASSERT_EQ(0, hm_ioctl(self->fd, HMAP_IOC_CREATE, &c));
}

FIXTURE_TEARDOWN(fault)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Run @call with fail-nth at 1, 2, ... until it runs without a failure:
 * each failed run returned -ENOMEM or 0; @after (which may read __ret)
 * brings the model up to date after every run, and the model holds.
 */
#define WALK(call, after) do {						\
	unsigned int __n;						\
	int __ret;							\
	for (__n = 1; __n < 256; __n++) {				\
		bool __hit;						\
		nth_set(__n);						\
		__ret = (call);						\
		__hit = nth_hit();					\
		after;							\
		if (!__hit)						\
			break;						\
		ASSERT_TRUE(__ret == 0 || __ret == -ENOMEM)		\
			TH_LOG("fault %u: %s", __n, strerror(-__ret));	\
		failures++;						\
		if (failures % 16 == 0)					\
			ASSERT_TRUE(model_ok(self->fd, &self->m));	\
	}								\
	ASSERT_EQ(0, __ret);						\
} while (0)

/*
 * After a delete of @id that returned @ret: a run with a failed allocation
 * (@hit) that deleted puts the key back (no fault set), so that the next
 * run deletes it again. Return: whether that put worked.
 */
static bool del_after(int fd, struct model *m, int ret, bool hit,
		      unsigned int id)
{
	if (ret)
		return true;
	if (hit)
		return put(fd, id, m->gen[id]) == 0;
	m->gen[id] = 0;
	return true;
}

/* Inserts through grows, replaces, deletes through shrinks. */
TEST_F_TIMEOUT(fault, writes, 300)
{
	unsigned int id, failures = 0;

	for (id = 0; id < NKEYS; id++)
		WALK(put(self->fd, id, 1), model_write(&self->m, __ret, id, 1));
	for (id = 0; id < NKEYS; id += 7)
		WALK(put(self->fd, id, self->m.gen[id] + 1),
		     model_write(&self->m, __ret, id, self->m.gen[id] + 1));
	/*
	 * The map needs no memory to delete (hmap_delete() deletes in place
	 * when its evacuation gets none), the ioctl does (its key buffer):
	 * a delete that ran despite a failed allocation returned 0, and the
	 * key goes back so that the walk's next run deletes it again.
	 */
	for (id = 0; id < NKEYS; id++)
		if (id % 5)
			WALK(del(self->fd, id),
			     ASSERT_TRUE(del_after(self->fd, &self->m, __ret,
						   __hit, id)));
	ASSERT_TRUE(model_ok(self->fd, &self->m));
	TH_LOG("%u allocations failed one at a time", failures);
	/* Each insert has at least its element and its key buffer. */
	ASSERT_LT(NKEYS, (int)failures);
}

/*
 * A BATCH_LOOKUP of keys 0.. that returned @ret: each of the first
 * @count values it did is the one of generation @gen, the rest untouched
 * (@v was zeroed); 0 only with every one of the @want done.
 */
static bool batch_lookup_ok(int ret, __u32 count, __u32 want,
			    __u8 (*v)[VS], __u64 gen)
{
	static const __u8 zero[VS];
	__u8 exp[VS];
	__u32 i;

	if (!ret && count != want)
		return false;
	for (i = 0; i < want; i++) {
		value_of(i, gen, exp);
		if (memcmp(v[i], i < count ? exp : zero, VS))
			return false;
	}
	return true;
}

/* Room of the DUMP below: more than the map holds (BATCH entries). */
#define DUMP_ROOM	64

/*
 * A DUMP from the start, of room DUMP_ROOM into @keys and @v filled with
 * 0xff, that returned @ret. 0: @d->count entries, each one the model has,
 * with its value, and once; all of them, the walk done, and the slots
 * beyond the count untouched. An error (-ENOMEM, checked by WALK()): the
 * struct is not written back (count, cursor and flags as they went in, so
 * a retry from the same cursor loses nothing), and each slot is untouched
 * or holds an entry the model has, with its value, at most once.
 */
static bool dump_ok(int ret, const struct hmap_dump *d, const __u64 *keys,
		    __u8 (*v)[VS], const struct model *m)
{
	bool seen[NKEYS] = { false };
	unsigned int live = 0, i;
	__u8 exp[VS], untouched[VS];

	memset(untouched, 0xff, VS);
	for (i = 0; i < NKEYS; i++)
		live += !!m->gen[i];
	if (ret && (d->count != DUMP_ROOM || d->cursor || d->flags))
		return false;
	if (!ret && (d->count != live || !(d->flags & HMAP_DUMP_DONE)))
		return false;
	for (i = 0; i < DUMP_ROOM; i++) {
		if (keys[i] == ~0ULL && !memcmp(v[i], untouched, VS) &&
		    (ret || i >= d->count))
			continue;
		if (!ret && i >= d->count)
			return false;	/* written beyond the count */
		if (keys[i] >= NKEYS || seen[keys[i]] || !m->gen[keys[i]])
			return false;
		seen[keys[i]] = true;
		value_of(keys[i], m->gen[keys[i]], exp);
		if (memcmp(v[i], exp, VS))
			return false;
	}
	return true;
}

/*
 * Lookups, batches, dumps, clear and shrink: read-only or all-or-model.
 * What a lookup or a dump returned is checked after every failure too,
 * and a batch that returned 0 must have done every element (an
 * allocation failure it swallowed would show as a short count).
 */
TEST_F_TIMEOUT(fault, batches_dumps_clear, 300)
{
	static __u64 keys[NKEYS];
	static __u8 values[NKEYS][VS], lvalues[BATCH][VS], dvalues[DUMP_ROOM][VS];
	static __u64 dkeys[DUMP_ROOM];
	struct hmap_batch b = { .argsz = sizeof(b) };
	struct hmap_cmd cmd = { .argsz = sizeof(cmd) };
	struct hmap_dump d = { .argsz = sizeof(d) };
	unsigned int id, failures = 0;
	__u32 lens[DUMP_ROOM];

	for (id = 0; id < NKEYS; id++) {
		keys[id] = id;
		value_of(id, 3, values[id]);
	}
	/* A batch stops at its first error: count says how far it got. */
	b.keys = U64P(keys);
	b.values = U64P(values);
	WALK((b.count = BATCH, hm_ioctl(self->fd, HMAP_IOC_BATCH_UPDATE, &b)),
	     ({ ASSERT_TRUE(__ret || b.count == BATCH);
		model_batch(&self->m, b.count, 3); }));
	ASSERT_TRUE(model_ok(self->fd, &self->m));

	WALK(get(self->fd, 5, 3), (void)0);
	b.values = U64P(lvalues);
	WALK((b.count = BATCH, memset(lvalues, 0, sizeof(lvalues)),
	      hm_ioctl(self->fd, HMAP_IOC_BATCH_LOOKUP, &b)),
	     ASSERT_TRUE(batch_lookup_ok(__ret, b.count, BATCH, lvalues, 3)));
	WALK((d.count = DUMP_ROOM, d.cursor = 0, d.flags = 0,
	      memset(dkeys, 0xff, sizeof(dkeys)),
	      memset(dvalues, 0xff, sizeof(dvalues)), d.keys = U64P(dkeys),
	      d.key_lens = U64P(lens), d.values = U64P(dvalues),
	      hm_ioctl(self->fd, HMAP_IOC_DUMP, &d)),
	     ASSERT_TRUE(dump_ok(__ret, &d, dkeys, dvalues, &self->m)));

	b.values = 0;
	WALK((b.count = BATCH / 2,
	      hm_ioctl(self->fd, HMAP_IOC_BATCH_DELETE, &b)),
	     ({ ASSERT_TRUE(__ret || b.count == BATCH / 2);
		model_batch(&self->m, b.count, 0); }));
	ASSERT_TRUE(model_ok(self->fd, &self->m));

	WALK(hm_ioctl(self->fd, HMAP_IOC_SHRINK, &cmd), (void)0);
	ASSERT_TRUE(model_ok(self->fd, &self->m));
	WALK(hm_ioctl(self->fd, HMAP_IOC_CLEAR, &cmd),
	     model_clear(&self->m, __ret));
	ASSERT_TRUE(model_ok(self->fd, &self->m));
	TH_LOG("%u allocations failed one at a time", failures);
	ASSERT_LT(0, (int)failures);
}

/* open(), CREATE of a named map, OPEN and LIST: nothing half made. */
TEST_F(fault, open_create_list)
{
	struct hmap_create c = {
		.argsz = sizeof(c), .key_size = 8, .value_size = 8,
		.max_entries = 16, .mode = 0600,
	};
	struct hmap_list_entry e[4];
	struct hmap_list l = { .argsz = sizeof(l) };
	struct hmap_name n = { .argsz = sizeof(n) };
	unsigned int failures = 0;
	int fd = -1, fd2 = -1;

	/* No map of ours left: CREATE also makes our quota record. */
	close(self->fd);
	self->fd = -1;
	snprintf(c.name, sizeof(c.name), "hft.%d", getpid());
	memcpy(n.name, c.name, sizeof(n.name));
	WALK((fd = open(DEV_PATH, O_RDWR | O_CLOEXEC)) < 0 ? -errno : 0,
	     (void)0);
	/* A failed CREATE leaves no name behind and the fd unbound. */
	WALK(hm_ioctl(fd, HMAP_IOC_CREATE, &c), (void)0);
	ASSERT_EQ(1, get(fd, 1, 0));	/* bound, empty */
	ASSERT_LE(0, fd2 = open(DEV_PATH, O_RDWR | O_CLOEXEC));
	WALK(hm_ioctl(fd2, HMAP_IOC_OPEN, &n), (void)0);
	WALK((l.count = 4, l.entries = U64P(e),
	      hm_ioctl(fd2, HMAP_IOC_LIST, &l)), (void)0);
	ASSERT_LE(1U, l.total);
	/* Count 0 asks for the total only: nothing to allocate, no fault. */
	nth_set(1);
	l.count = 0;
	ASSERT_EQ(0, hm_ioctl(fd2, HMAP_IOC_LIST, &l));
	ASSERT_FALSE(nth_hit());
	ASSERT_LE(1U, l.total);
	ASSERT_EQ(0, hm_ioctl(fd2, HMAP_IOC_DESTROY, &n));
	close(fd2);
	close(fd);
	TH_LOG("%u allocations failed one at a time", failures);
	ASSERT_LT(0, (int)failures);
}

#define QUOTA_UID	1190

/*
 * CREATE (@name: named, NULL: anonymous) on a new fd with fail-nth at 1,
 * 2, ... until one runs without a failure: each failed one returns
 * -ENOMEM (or 0, an allocation it can do without). Return: the fd bound
 * to the map of the last, or -1 (a check failed).
 */
static int quota_walk(const char *name)
{
	unsigned int n;
	int fd, err;

	for (n = 1; n < 256; n++) {
		bool hit;

		fd = child_dev_open();
		nth_set(n);
		err = hm_create(fd, name, 8, 8, 16, 0600);
		hit = nth_hit();
		if (!hit) {
			CCHECK(0, err);
			return err ? -1 : fd;
		}
		if (err != -ENOMEM)
			CCHECK(0, err);
		if (!err && name)
			CCHECK(0, hm_destroy(fd, name));
		close(fd);
	}
	CCHECK(0, -ELOOP);	/* a fault point on every run */
	return -1;
}

/* a->limit: max_maps_per_user; a->name: a map name of the test's. */
static void child_quota_walk(const struct child_arg *a)
{
	int *fds = calloc(a->limit + 1, sizeof(*fds)), fd, i;

	if (!fds)
		_exit(3);
	fd = quota_walk(a->name);
	if (fd >= 0) {
		CCHECK(0, hm_destroy(fd, a->name));
		close(fd);
	}
	fd = quota_walk(NULL);
	if (fd >= 0)
		close(fd);
	/* Every failed CREATE gave its charge back: the whole quota is there. */
	for (i = 0; i < a->limit; i++) {
		fds[i] = child_dev_open();
		CCHECK(0, create_retry(fds[i], NULL, 8, 8, 16));
	}
	fds[i] = child_dev_open();
	CCHECK(-EDQUOT, hm_create(fds[i], NULL, 8, 8, 16, 0600));
	for (i = 0; i <= a->limit; i++)
		close(fds[i]);
	free(fds);
}

/*
 * An unprivileged user's CREATEs, named and anonymous, each failed at
 * every allocation in turn, then max_maps_per_user maps of that user: a
 * charge of the quota a failed CREATE kept would show as -EDQUOT.
 */
TEST_F_TIMEOUT(fault, quota_after_failed_creates, 120)
{
	struct child_arg a = { 0 };
	char name[HMAP_NAME_MAX];
	int status;
	pid_t pid;

	a.limit = read_limit(_metadata, "max_maps_per_user");
	if (a.limit > 1000)
		SKIP(return, "max_maps_per_user is %ld: too many fds", a.limit);
	snprintf(name, sizeof(name), "hft.q.%d", getpid());
	a.name = name;
	dev_allow_all(_metadata);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Its own fail-nth, opened while it may (the file is root's). */
		close(nth_fd);
		nth_fd = open(FAIL_NTH, O_RDWR);
		if (nth_fd < 0 || switch_user(QUOTA_UID, QUOTA_UID, 0, NULL))
			_exit(90);
		cfail = 0;
		child_quota_walk(&a);
		_exit(!!cfail);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
