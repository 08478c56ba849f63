// SPDX-License-Identifier: GPL-2.0
/*
 * Who may do what: the owner, group and other bits of a map's mode, the
 * rights an fd carries (its open mode and its opener, inherited or passed)
 * and the per-user limits on maps and bytes. Forked children switch to
 * unprivileged uids, so these tests need root: the fixture's setup skips
 * every one of them without it (HMAP_FIXTURE_NEEDS). See common.h.
 */
#define HMAP_FIXTURE_NEEDS	NEEDS_ROOT
#include "common.h"

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

/* Root's map self->name, bound to @fd, is still there, holding key 1 alone. */
static void expect_key1_alone(struct __test_metadata *_metadata,
			      HMAP_FIXTURE *self, int fd)
{
	EXPECT_EQ(1, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(1, hm_count(fd));
	EXPECT_EQ(0, get_id(fd, 1, 8));
}

/* @child on the test's names (child_arg_of()) as uid and gid @uid. */
static void child_on_map(struct __test_metadata *_metadata,
			 HMAP_FIXTURE *self, uid_t uid,
			 void (*child)(const struct child_arg *))
{
	struct child_arg a = child_arg_of(self);

	EXPECT_EQ(0, run_as(uid, uid, 0, NULL, child, &a)) {
		TH_LOG("uid %u", (unsigned int)uid);
	}
}

/*
 * Root's map self->name of @mode holding key 1 (map_holding_key1()), on
 * which @child then runs as uid and gid @uid: the map's fd.
 */
static int map_then_child(struct __test_metadata *_metadata,
			  HMAP_FIXTURE *self, __u32 mode, uid_t uid,
			  void (*child)(const struct child_arg *))
{
	int fd = map_holding_key1(_metadata, self->name, mode);

	child_on_map(_metadata, self, uid, child);
	return fd;
}

/*
 * @child runs as uid and gid @uid on root's map self->name of @mode
 * holding key 1, and must leave it as it was.
 */
static void child_leaves_map_alone(struct __test_metadata *_metadata,
				   HMAP_FIXTURE *self, __u32 mode,
				   uid_t uid,
				   void (*child)(const struct child_arg *))
{
	int fd = map_then_child(_metadata, self, mode, uid, child);

	expect_key1_alone(_metadata, self, fd);
	close(fd);
}

static void child_private(const struct child_arg *a)
{
	int fd = child_dev_open();

	CCHECK(-EACCES, hm_open(fd, a->name));
	CCHECK(-ENOTCONN, hm_count(fd));
	CCHECK(-EACCES, hm_destroy(fd, a->name));
	CCHECK(-EEXIST, hm_create(fd, a->name, 8, 8, 16, 0600));
	close(fd);
}

TEST_F(hmap, perm_private_map)
{
	child_leaves_map_alone(_metadata, self, 0600, 1101, child_private);
}

/* Through a read-write fd, the map's mode -w- refuses reads. */
static void child_write_only(const struct child_arg *a)
{
	int fd = child_attach(a->name);

	check_write_only(fd, -EACCES);
	CCHECK(-EACCES, hm_destroy(fd, a->name));
	close(fd);
}

TEST_F(hmap, perm_write_only)
{
	int fd;

	fd = map_then_child(_metadata, self, 0602, 1103, child_write_only);
	/* the child deleted key 1 and left key 2 */
	EXPECT_EQ(1, hm_count(fd));
	EXPECT_EQ(-ENOENT, get_id(fd, 1, 8));
	EXPECT_EQ(0, get_id(fd, 2, 8));
	close(fd);
}

/* Through a read-write fd, the map's mode r-- refuses changes. */
static void child_read_only(const struct child_arg *a)
{
	int fd = child_attach(a->name);

	check_read_only(fd, a->name, -EACCES);
	close(fd);
}

TEST_F(hmap, perm_read_only)
{
	child_leaves_map_alone(_metadata, self, 0644, 1102, child_read_only);
}

static void child_create_named(const struct child_arg *a)
{
	int fd = child_dev_open();

	CCHECK(0, hm_create(fd, a->name, 8, 8, 16, 0460));
	close(fd);
}

/* a->expect: 0 read only, 1 read-write, 2 no access */
static void child_access(const struct child_arg *a)
{
	__u64 id = 100 + getuid();
	int fd = child_dev_open();

	if (a->expect == 2) {
		CCHECK(-EACCES, hm_open(fd, a->name));
		CCHECK(-EACCES, hm_destroy(fd, a->name));
		close(fd);
		return;
	}
	CCHECK(0, hm_open(fd, a->name));
	CCHECK(0, get_id(fd, 1, 8));
	CCHECK(a->expect == 1 ? 0 : -EACCES, put_id(fd, id, 8, HMAP_NOEXIST));
	close(fd);
}

static void child_destroy(const struct child_arg *a)
{
	int fd = child_dev_open();

	CCHECK(0, hm_destroy(fd, a->name));
	CCHECK(-ENOENT, hm_open(fd, a->name));
	close(fd);
}

/*
 * Owner bits for the owner (even if the group bits allow more), group bits
 * for the group (primary or supplementary), other bits for the rest.
 */
TEST_F(hmap, perm_owner_group_other)
{
	struct child_arg a = child_arg_of(self);
	struct hmap_list_entry e;
	gid_t supp[] = { 1111 };
	int fd;

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

static void child_not_owner(const struct child_arg *a)
{
	int fd = child_attach(a->name);	/* mode 0666: rw for all */

	CCHECK(0, put_id(fd, 2, 8, HMAP_NOEXIST));
	CCHECK(-EACCES, hm_destroy(fd, a->name));
	close(fd);
	fd = child_dev_open();			/* from an unbound fd too */
	CCHECK(-EACCES, hm_destroy(fd, a->name));
	close(fd);
}

static void child_own_map(const struct child_arg *a)
{
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
}

TEST_F(hmap, perm_destroy_not_owner)
{
	struct child_arg a = child_arg_of(self);
	char theirs[HMAP_NAME_MAX];
	struct hmap_list_entry e;
	int fd;

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
static void child_rdonly(const struct child_arg *a)
{
	int fd = child_dev_open_mode(O_RDONLY);

	CCHECK(-EBADF, hm_create(fd, NULL, 8, 8, 16, 0600));
	CCHECK(-EBADF, hm_create(fd, a->name2, 8, 8, 16, 0600));
	CCHECK(0, hm_list_find(a->name2, NULL, NULL));
	CCHECK(-EBADF, hm_destroy(fd, a->name));
	CCHECK(1, hm_list_find(a->name, NULL, NULL));
	CCHECK(-ENOTCONN, hm_count(fd));

	CCHECK(0, hm_open(fd, a->name));
	check_read_only(fd, a->name, -EBADF);
	close(fd);
}

/* Root (the owner, with every capability) and an unprivileged user alike. */
TEST_F(hmap, rights_rdonly_fd)
{
	int fd;

	fd = map_holding_key1(_metadata, self->name, 0666);
	child_on_map(_metadata, self, 0, child_rdonly);
	child_on_map(_metadata, self, 1161, child_rdonly);
	expect_key1_alone(_metadata, self, fd);
	EXPECT_EQ(0, hm_list_find(self->name2, NULL, NULL));
	close(fd);
}

/*
 * An fd opened O_WRONLY: it binds and writes, but reads nothing (-EBADF);
 * and the map it creates is write-only to it too.
 */
static void child_wronly(const struct child_arg *a)
{
	int fd = child_dev_open_mode(O_WRONLY);
	int afd = child_dev_open_mode(O_WRONLY);

	CCHECK(0, hm_open(fd, a->name));
	check_write_only(fd, -EBADF);
	close(fd);

	CCHECK(0, hm_create(afd, NULL, 8, 8, 16, 0600));
	CCHECK(0, put_id(afd, 3, 8, HMAP_NOEXIST));
	CCHECK(-EBADF, get_id(afd, 3, 8));
	CCHECK(1, hm_count(afd));
	close(afd);
}

/* Root (the owner, with every capability) and an unprivileged user alike. */
TEST_F(hmap, rights_wronly_fd)
{
	static const uid_t uids[] = { 0, 1162 };
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(uids); i++) {
		fd = map_holding_key1(_metadata, self->name, 0666);
		child_on_map(_metadata, self, uids[i], child_wronly);
		/* the child deleted key 1 and left key 2 */
		EXPECT_EQ(-ENOENT, get_id(fd, 1, 8));
		EXPECT_EQ(0, get_id(fd, 2, 8));
		EXPECT_EQ(1, hm_count(fd));
		close(fd);
		ASSERT_EQ(0, hm_destroy(self->fd, self->name));
	}
}

/*
 * OPEN binds with what both the open mode and the map's mode allow: an
 * O_WRONLY fd cannot bind to a map the user may only read, nor an
 * O_RDONLY fd to one the user may only write (-EACCES, as open(2)).
 */
static void child_open_modes(const struct child_arg *a)
{
	int r = child_dev_open_mode(O_RDONLY);
	int w = child_dev_open_mode(O_WRONLY);
	int rw = child_dev_open_mode(O_RDWR);

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
}

TEST_F(hmap, rights_open_mode_and_map_mode)
{
	struct child_arg a = child_arg_of(self);
	int fd, fd2;

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
static void child_inherited(const struct child_arg *a)
{
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
}

TEST_F(hmap, rights_inherited_fd)
{
	struct child_arg a = child_arg_of(self);
	struct hmap_list_entry e;
	long limit;

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
static void child_group_fd(const struct child_arg *a)
{
	int own = child_dev_open();

	CCHECK(-EACCES, hm_open(own, a->name));
	close(own);
	CCHECK(0, hm_open(a->ufd, a->name));
	CCHECK(0, get_id(a->ufd, 1, 8));
	CCHECK(0, put_id(a->ufd, 2, 8, HMAP_NOEXIST));
}

TEST_F(hmap, rights_passed_fd_group)
{
	struct child_arg a = child_arg_of(self);
	const gid_t group = 1175;
	int gfd;

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

/* a->limit: max_maps_per_user */
static void child_quota_maps(const struct child_arg *a)
{
	int n = a->limit, *fds = calloc(n + 1, sizeof(int)), fd, i, err;
	char name[HMAP_NAME_MAX];

	if (!fds)
		_exit(3);
	/* half named, half anonymous, all counted */
	for (i = 0; i < n; i++) {
		fds[i] = child_dev_open();
		name_num(name, a->prefix, "q", i);
		err = hm_create(fds[i], i % 2 ? NULL : name, 8, 8, 1, 0600);
		if (err) {
			CCHECK(0, err);
			fprintf(stderr, "#   map %d of %d\n", i + 1, n);
			return;
		}
	}
	fd = child_dev_open();
	name_cat(name, a->prefix, "qx");
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
	name_cat(name, a->prefix, "q0");
	CCHECK(0, hm_destroy(fd, name));
	close(fds[0]);
	CCHECK(0, create_retry(fd, name, 8, 8, 1));
	fds[0] = fd;

	for (i = 0; i < n; i += 2) {
		name_num(name, a->prefix, "q", i);
		CCHECK(0, hm_destroy(fds[i], name));
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
}

TEST_F(hmap, quota_maps)
{
	struct child_arg a = child_arg_of(self);
	struct rlimit rl;
	int *fds, i;

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
static void child_quota_bytes(const struct child_arg *a)
{
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
		return;
	}
	name_cat(name, a->prefix, "b1");
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
}

TEST_F(hmap, quota_bytes)
{
	struct child_arg a = child_arg_of(self);
	int fd;

	a.limit = read_limit(_metadata, "max_bytes_per_user");
	EXPECT_EQ(0, run_as(1141, 1141, 0, NULL, child_quota_bytes, &a));

	/* root (CAP_SYS_RESOURCE) is not limited */
	fd = hm_new(NULL, KEY_SIZE_MAX, VALUE_SIZE_MAX, MAX_ENTRIES_MAX, 0600);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
}

TEST_HARNESS_MAIN
