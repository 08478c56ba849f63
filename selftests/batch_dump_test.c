// SPDX-License-Identifier: GPL-2.0
/*
 * Batches (BATCH_LOOKUP, BATCH_UPDATE, BATCH_DELETE: what they do, where
 * they stop, a fatal signal in the middle) and dump walks (room, keys
 * only, the cursor). See common.h.
 */
#include "common.h"

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

/*
 * A batch whose struct is readable but not writable fails with -EFAULT
 * before any key is done: the map is unchanged (and a lookup writes no
 * value), so that -EFAULT never hides keys done behind a @count that
 * could not say so.
 */
TEST_F(hmap, batch_count_not_writable)
{
	long page = sysconf(_SC_PAGESIZE);
	__u64 keys[8], vals[8];
	struct hmap_batch *b;
	unsigned long cmd;
	int fd, i;

	fd = hm_new(NULL, 8, 8, 64, 0600);
	ASSERT_LE(0, fd);
	for (i = 0; i < 8; i++) {
		keys[i] = i;
		vals[i] = 100 + i;
	}
	b = mmap(NULL, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, b);
	memset(b, 0, sizeof(*b));
	b->argsz = sizeof(*b);
	b->count = 8;
	b->keys = (__u64)(uintptr_t)keys;
	b->values = (__u64)(uintptr_t)vals;
	ASSERT_EQ(0, mprotect(b, page, PROT_READ));

	cmd = HMAP_IOC_BATCH_UPDATE;	/* flags 0: HMAP_ANY */
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, cmd, b));
	EXPECT_EQ(0, hm_count(fd));
	EXPECT_EQ(8U, b->count);

	ASSERT_EQ(0, mprotect(b, page, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, hm_ioctl(fd, cmd, b));
	EXPECT_EQ(8, hm_count(fd));
	memset(vals, 0x5a, sizeof(vals));
	ASSERT_EQ(0, mprotect(b, page, PROT_READ));
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, HMAP_IOC_BATCH_LOOKUP, b));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0x5a5a5a5a5a5a5a5aULL, vals[i]);
	ASSERT_EQ(0, mprotect(b, page, PROT_READ | PROT_WRITE));
	b->values = 0;	/* a delete takes none */
	ASSERT_EQ(0, mprotect(b, page, PROT_READ));
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, HMAP_IOC_BATCH_DELETE, b));
	EXPECT_EQ(8, hm_count(fd));
	munmap(b, page);
	close(fd);
}

/* A batch stops at the first failing key; count says how many were done. */
TEST_F(hmap, batch_stops_at_first_error)
{
	__u64 keys[100], vals[100];
	__u32 i;
	int fd;

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

/*
 * A batch stops at a fatal signal (the ioctl returns -EINTR to a process
 * that is being killed) with @count written: exactly the keys it stored,
 * which a parent sharing the struct can read.
 */
#define FATAL_N		(1024U * 1024)

TEST_F_TIMEOUT(hmap, batch_fatal_signal, 120)
{
	struct hmap_batch *b;
	struct timespec t0, t1;
	__u64 *keys, *vals;
	int fd, status, i;
	long long n = 0;
	pid_t pid;

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

TEST_HARNESS_MAIN
