// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes: maps torn down with work pending, destroyed while open,
 * closed during a dump, anonymous maps freed on the last close; the leak
 * check once every map is gone; rmmod refused while an fd is open.
 *
 * Run this program after the others: the leak check needs every other
 * test's maps gone, and rmmod_busy (HMAP_TEST_RMMOD=1) unloads the module
 * if the refusal is broken. See common.h.
 */
#include "common.h"

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
static void child_anon_cycle(const struct child_arg *a)
{
	int n = a->limit, *fds = calloc(n, sizeof(int)), round, i, fd;

	if (!fds)
		_exit(3);
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
}

TEST_F(hmap, anon_freed_on_close)
{
	struct child_arg a = child_arg_of(self);
	long long total;
	int fd, fd2, status;
	pid_t pid;

	total = hm_list_total(self->fd);
	ASSERT_LE(0, total);
	fd = map_holding_key1(_metadata, NULL, 0600);
	EXPECT_EQ(total, hm_list_total(self->fd));

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
	 * Released for real: an unprivileged user can fill its map quota
	 * with anonymous maps, close them, and do it again (the quota comes
	 * back at close; the memory after a grace period).
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

/*
 * The leak check: once every map is gone, the global counters of what was
 * allocated and not freed are all zero. Runs after the other tests have
 * destroyed their maps, so it must be last but for rmmod_busy.
 */
TEST_F(hmap, debugfs_leak_check)
{
	int fds[3], i;
	__u64 id;

	if (!have_debugfs())
		SKIP(return, DEBUGFS_DIR " not available");
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

	/*
	 * Destroy frees a map's memory after a grace period, from a work
	 * item: wait for the map count to reach 0 (milliseconds; 20 s
	 * means a map was never freed), then everything else is freed too.
	 */
	for (i = 0; i < 2000 && dbg_field("", "stats", "maps"); i++)
		usleep(10000);
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

	if (!env || strcmp(env, "1"))
		SKIP(return, "set HMAP_TEST_RMMOD=1 to try rmmod hmap");
	if (!have_rmmod())
		SKIP(return, "no rmmod binary");
	if (geteuid())
		SKIP(return, "needs root to run rmmod");

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
