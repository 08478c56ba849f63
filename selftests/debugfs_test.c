// SPDX-License-Identifier: GPL-2.0
/*
 * The debugfs files of hmap (/sys/kernel/debug/hmap, not ABI): what an
 * operator reads matches what was done. The leak check, which reads the
 * global counters, is in lifetime_test.c. See common.h.
 */
#define HMAP_FIXTURE_NEEDS	NEEDS_DEBUGFS
#include "common.h"

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

TEST_HARNESS_MAIN
