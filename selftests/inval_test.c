// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input to /dev/hmap, one test per kind: unreadable or unwritable
 * pointers, addresses that wrap, sizes and modes out of range, keys and
 * values too long, bad names, a full map, a buffer too short. Each checks
 * that nothing changed. See common.h.
 */
#include "common.h"

TEST_F(hmap, bad_key_pointer)
{
	__u8 *bad = map_pages(1, PROT_NONE), *edge = map_pages(2, PROT_READ | PROT_WRITE);
	__u64 v = 0;
	__u32 len = sizeof(v);
	int fd;

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

/* 64 bytes and no NUL: -ENAMETOOLONG. 63 characters are fine. */
TEST_F(hmap, name_not_terminated)
{
	struct hmap_create c;
	struct hmap_name n = { .argsz = sizeof(n) };
	char max[HMAP_NAME_MAX];
	int fd;

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

	for (i = 0; i < ARRAY_SIZE(suffixes); i++) {
		name_cat(name, self->prefix, suffixes[i]);
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
	/* an empty name without HMAP_CREATE_ANON */
	EXPECT_EQ(-EINVAL, hm_create(self->fd, "", 8, 8, 16, 0600));
	EXPECT_EQ(-EINVAL, hm_open(self->fd, ""));
	EXPECT_EQ(-EINVAL, hm_destroy(self->fd, ""));
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));
}

TEST_F(hmap, anon_with_name)
{
	struct hmap_create c;

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
	EXPECT_EQ(-ENOENT, hm_open(self->fd, self->name));
	EXPECT_EQ(-ENOENT, hm_destroy(self->fd, self->name));
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));
}

TEST_F(hmap, duplicate_name)
{
	int fd, matches = 0;

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

TEST_F(hmap, map_full)
{
	__u64 keys[3] = { 10, 11, 12 }, vals[3] = { 0 }, id;
	int fd;

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

TEST_F(hmap, lookup_short_buffer)
{
	__u8 v[200], want[100];
	__u64 k = 5;
	__u32 len;
	int fd, i;

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

TEST_HARNESS_MAIN
