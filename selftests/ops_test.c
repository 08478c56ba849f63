// SPDX-License-Identifier: GPL-2.0
/*
 * The operations of /dev/hmap, one or a few per test: VERSION, CREATE and
 * LIST, OPEN, UPDATE and its flags, LOOKUP, DELETE, CLEAR, SHRINK, STATS.
 * See common.h.
 */
#include "common.h"

/* The sizes a map was created with, as LIST and STATS report them. */
#define EXPECT_SIZES(_ks, _vs, _max, _got) do {				\
	const typeof(_got) *__got = &(_got);				\
									\
	EXPECT_EQ(_ks, __got->key_size);				\
	EXPECT_EQ(_vs, __got->value_size);				\
	EXPECT_EQ(_max, __got->max_entries);				\
} while (0)

TEST_F(hmap, version)
{
	struct hmap_version v;
	int fd;

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

	for (i = 0; i < n; i++) {
		name_num(name, self->prefix, "list", i);
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
		name_num(name, self->prefix, "list", i);
		EXPECT_EQ(0, hm_destroy(self->fd, name));
	}
}

TEST_F(hmap, create_anon)
{
	long long total;
	int fd;

	total = hm_list_total(self->fd);
	ASSERT_LE(0, total);

	fd = hm_new(NULL, 8, 16, 10, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, put_id(fd, 7, 16, HMAP_NOEXIST));
	EXPECT_EQ(0, get_id(fd, 7, 16));
	EXPECT_EQ(1, hm_count(fd));

	/* anonymous maps are not listed */
	EXPECT_EQ(total, hm_list_total(self->fd));
	close(fd);
}

TEST_F(hmap, open_existing)
{
	int fd1, fd2;

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

TEST_F(hmap, clear)
{
	struct seen_ctx c = { .n = 0, .vl = 8 };
	struct walk_stats ws;
	__u64 id;
	int fd;

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
	__u32 peak_B, fit_B;
	__u64 id;
	int fd;

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

	/* shrinking a fitting map again keeps its size */
	fit_B = s.B;
	ASSERT_EQ(0, hm_cmd(fd, HMAP_IOC_SHRINK));
	ASSERT_EQ(0, hm_stats(fd, &s));
	EXPECT_EQ(fit_B, s.B);
	EXPECT_EQ(10ULL, s.count);
	close(fd);
}

TEST_F(hmap, stats)
{
	struct hmap_map_stats s;
	__u64 id;
	int fd;

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

TEST_HARNESS_MAIN
