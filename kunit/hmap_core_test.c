// SPDX-License-Identifier: GPL-2.0
/*
 * hmap_core: every operation and flag of the in-kernel API, every errno it
 * returns, the size limits, the quota estimate of the largest maps,
 * max_entries, clear, shrink-to-fit, the destroy of a map that still holds
 * entries and of one whose workers are running.
 */

#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/kthread.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "hmap_kunit.h"

static u32 core_bits(struct hmap *map)
{
	struct hmap_stats st;

	hmap_get_stats(map, &st);
	return st.B;
}

static void hmap_core_test_create_rejects_bad_params(struct kunit *test)
{
	static const struct hmap_params bad[] = {
		{ .key_size = 0, .value_size = 8, .max_entries = 1 },
		{ .key_size = HMAP_KEY_SIZE_MAX + 1, .value_size = 8,
		  .max_entries = 1 },
		{ .key_size = 8, .value_size = 0, .max_entries = 1 },
		{ .key_size = 8, .value_size = HMAP_VALUE_SIZE_MAX + 1,
		  .max_entries = 1 },
		{ .key_size = 8, .value_size = 8, .max_entries = 0 },
		{ .key_size = 8, .value_size = 8,
		  .max_entries = HMAP_MAX_ENTRIES_MAX + 1 },
	};
	struct hmap_params good = { .key_size = HMAP_KEY_SIZE_MAX,
				    .value_size = HMAP_VALUE_SIZE_MAX,
				    .max_entries = HMAP_MAX_ENTRIES_MAX };
	struct hmap *map;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		map = hmap_create(&bad[i]);
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(map), -EINVAL,
				    "params #%u", i);
		if (!IS_ERR(map))
			hmap_destroy(map);
	}
	map = hmap_create(&good);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	hmap_destroy(map);
	hmap_destroy(NULL);
}

/*
 * struct hmap_params is read by the size the caller was built with: the
 * 16 bytes of version 1 (no flags: whatever follows them is not read) and
 * larger ones whose unknown tail is zero; hmap_get_params() writes no byte
 * past the caller's struct.
 */
static void hmap_core_test_params_are_versioned(struct kunit *test)
{
	const struct hmap_params v1 = {
		.key_size = 8, .value_size = 8, .max_entries = 16,
	};
	u32 buf[8];
	struct hmap_params got;
	struct hmap *map;
	unsigned int i;

	memset(buf, 0xff, sizeof(buf));
	memcpy(buf, &v1, HMAP_PARAMS_SIZE_VER1);
	KUNIT_EXPECT_TRUE(test, hmap_params_valid_sized((void *)buf,
							HMAP_PARAMS_SIZE_VER1));
	KUNIT_EXPECT_GT(test, hmap_max_bytes_sized((void *)buf,
						   HMAP_PARAMS_SIZE_VER1), 0);
	map = hmap_create_sized((void *)buf, HMAP_PARAMS_SIZE_VER1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	hmap_get_params(map, &got);
	KUNIT_EXPECT_EQ(test, got.flags, 0U);
	KUNIT_EXPECT_EQ(test, got.max_entries, 16U);

	memset(buf, 0xab, sizeof(buf));
	hmap_get_params_sized(map, (void *)buf, HMAP_PARAMS_SIZE_VER1);
	KUNIT_EXPECT_EQ(test, memcmp(buf, &v1, HMAP_PARAMS_SIZE_VER1), 0);
	for (i = HMAP_PARAMS_SIZE_VER1 / 4; i < ARRAY_SIZE(buf); i++)
		KUNIT_EXPECT_EQ(test, buf[i], 0xababababU);
	hmap_get_params_sized(map, (void *)buf, sizeof(buf));
	for (i = sizeof(got) / 4; i < ARRAY_SIZE(buf); i++)
		KUNIT_EXPECT_EQ(test, buf[i], 0U);
	hmap_destroy(map);

	/* A newer struct: its tail must be zero. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &v1, sizeof(v1));
	buf[6] = 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(hmap_create_sized((void *)buf,
								sizeof(buf))),
			-E2BIG);
	KUNIT_EXPECT_FALSE(test, hmap_params_valid_sized((void *)buf,
							 sizeof(buf)));
	buf[6] = 0;
	map = hmap_create_sized((void *)buf, sizeof(buf));
	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(map));
	if (!IS_ERR_OR_NULL(map))
		hmap_destroy(map);
	/* Shorter than version 1. */
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(hmap_create_sized((void *)buf,
								12)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, hmap_max_bytes_sized((void *)buf, 12), 0);
}

static void hmap_core_test_capacity_hint_sizes_map(struct kunit *test)
{
	struct hmap_params p;
	struct hmap *map;

	/* 1000 entries need 2^8 buckets: 6.5 * 2^7 = 832 < 1000 <= 1664. */
	map = hmap_kunit_map(test, 5000, 1000, false);
	KUNIT_EXPECT_EQ(test, core_bits(map), 8U);

	/* The hint is clamped to max_entries. */
	map = hmap_kunit_map(test, 10, 100000, false);
	hmap_get_params(map, &p);
	KUNIT_EXPECT_EQ(test, p.capacity_hint, 10U);
	KUNIT_EXPECT_EQ(test, core_bits(map), 1U);

	map = hmap_kunit_map(test, 10, 0, false);
	KUNIT_EXPECT_EQ(test, core_bits(map), 0U);
}

static void hmap_core_test_update_flags(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 100, 0, false);

	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 1, 10, HMAP_ANY), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 1), 10);
	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 1, 11, HMAP_ANY), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 1), 11);

	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 1, 12, HMAP_NOEXIST),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 1), 11);
	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 2, 20, HMAP_NOEXIST), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 2), 20);

	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 2, 21, HMAP_EXIST), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 2), 21);
	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 3, 30, HMAP_EXIST),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 3), -ENOENT);

	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 4, 40, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 4, 40, BIT_ULL(63)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 4), -ENOENT);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 2ULL);
}

static void hmap_core_test_lookup_returns_value_or_misses(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 100, 0, false);
	struct hmap_kunit_key other = hmap_kunit_spread_key(8);
	struct hmap_kunit_key k = hmap_kunit_spread_key(7);
	u64 val = 0x1122334455667788ULL, out = 0;
	u32 len = 0;
	void *p;

	KUNIT_ASSERT_EQ(test, hmap_update(map, &k, sizeof(k), &val,
					  sizeof(val), HMAP_ANY), 0);
	KUNIT_EXPECT_EQ(test, hmap_lookup(map, &k, sizeof(k), &out, &len), 0);
	KUNIT_EXPECT_EQ(test, out, val);
	KUNIT_EXPECT_EQ(test, len, (u32)sizeof(val));
	KUNIT_EXPECT_EQ(test, hmap_lookup(map, &other, sizeof(other), &out,
					  &len), -ENOENT);

	rcu_read_lock();
	len = 0;
	p = hmap_lookup_rcu(map, &k, sizeof(k), &len);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, p);
	if (p)
		KUNIT_EXPECT_EQ(test, memcmp(p, &val, sizeof(val)), 0);
	KUNIT_EXPECT_EQ(test, len, (u32)sizeof(val));
	KUNIT_EXPECT_NULL(test, hmap_lookup_rcu(map, &other, sizeof(other),
						NULL));
	KUNIT_EXPECT_NULL(test, hmap_lookup_rcu(map, &k, 0, NULL));
	KUNIT_EXPECT_NULL(test, hmap_lookup_rcu(map, &k, sizeof(k) + 1, NULL));
	rcu_read_unlock();
}

static void hmap_core_test_size_limits(struct kunit *test)
{
	struct hmap_params p = { .key_size = 4, .value_size = 4,
				 .max_entries = 16 };
	u8 key[5] = "abcd", val[5] = "wxyz", out[4];
	struct hmap *map;
	u32 len;

	map = hmap_create(&p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);

	/* Zero-length and over-long keys, over-long values. */
	KUNIT_EXPECT_EQ(test, hmap_update(map, key, 0, val, 4, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, hmap_update(map, key, 5, val, 4, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, hmap_update(map, key, 4, val, 5, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, hmap_lookup(map, key, 0, out, &len), -EINVAL);
	KUNIT_EXPECT_EQ(test, hmap_lookup(map, key, 5, out, &len), -EINVAL);
	KUNIT_EXPECT_EQ(test, hmap_delete(map, key, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, hmap_delete(map, key, 5), -EINVAL);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 0ULL);

	/* Keys are byte strings: "a", "ab" and "abcd" are different keys. */
	KUNIT_EXPECT_EQ(test, hmap_update(map, key, 1, val, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, hmap_update(map, key, 2, val, 2, 0), 0);
	KUNIT_EXPECT_EQ(test, hmap_update(map, key, 4, val, 4, 0), 0);
	/* A value may be empty. */
	KUNIT_EXPECT_EQ(test, hmap_update(map, key + 1, 3, val, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 4ULL);

	KUNIT_EXPECT_EQ(test, hmap_lookup(map, key, 2, out, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 2U);
	KUNIT_EXPECT_EQ(test, memcmp(out, "wx", 2), 0);
	KUNIT_EXPECT_EQ(test, hmap_lookup(map, key, 4, out, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 4U);
	KUNIT_EXPECT_EQ(test, memcmp(out, "wxyz", 4), 0);
	KUNIT_EXPECT_EQ(test, hmap_lookup(map, key + 1, 3, out, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 0U);
	KUNIT_EXPECT_EQ(test, hmap_lookup(map, key, 3, out, &len), -ENOENT);

	KUNIT_EXPECT_EQ(test, hmap_delete(map, key, 2), 0);
	KUNIT_EXPECT_EQ(test, hmap_lookup(map, key, 1, out, &len), 0);
	KUNIT_EXPECT_EQ(test, hmap_lookup(map, key, 2, out, &len), -ENOENT);
	hmap_destroy(map);
}

/*
 * hmap_max_bytes() is what the quota reserves: never below max_entries
 * times an element and a bucket, worked out here in 64 bits. Where that
 * exceeds a size_t (32-bit kernels) it must be SIZE_MAX, not wrapped: at
 * 32768 entries of the largest key and value, 4 GiB and 1.4 MiB would
 * wrap to 1.4 MiB.
 */
static void hmap_core_test_max_bytes_no_wrap(struct kunit *test)
{
	static const struct hmap_params params[] = {
		{ .key_size = 8, .value_size = 8, .max_entries = 1 },
		{ .key_size = 8, .value_size = 8,
		  .max_entries = HMAP_MAX_ENTRIES_MAX },
		{ .key_size = HMAP_KEY_SIZE_MAX,
		  .value_size = HMAP_VALUE_SIZE_MAX, .max_entries = 32768 },
		{ .key_size = HMAP_KEY_SIZE_MAX,
		  .value_size = HMAP_VALUE_SIZE_MAX,
		  .max_entries = HMAP_MAX_ENTRIES_MAX },
	};
	struct hmap_params bad = params[0];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(params); i++) {
		const struct hmap_params *p = &params[i];
		u64 elem = kmalloc_size_roundup(sizeof(struct hmap_elem) +
						round_up(p->key_size, 8) +
						p->value_size);
		u64 least = p->max_entries *
			    (elem + sizeof(struct hmap_bucket));
		u64 got = hmap_max_bytes(p);

		KUNIT_EXPECT_GE_MSG(test, got, min_t(u64, least, SIZE_MAX),
				    "params #%u", i);
		if (least > SIZE_MAX)
			KUNIT_EXPECT_EQ_MSG(test, got, (u64)SIZE_MAX,
					    "params #%u", i);
	}
	bad.max_entries = 0;
	KUNIT_EXPECT_EQ(test, hmap_max_bytes(&bad), 0U);
}

static void hmap_core_test_max_entries(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 10, 0, false);

	hmap_kunit_fill(test, map, 0, 10, HMAP_ANY);
	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 10, 10, HMAP_ANY), -E2BIG);
	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 10, 10, HMAP_NOEXIST),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 10), -ENOENT);
	/* Replacing is not inserting. */
	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 3, 33, HMAP_ANY), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 4, 44, HMAP_EXIST), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 3), 33);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 10ULL);

	KUNIT_EXPECT_EQ(test, hmap_kunit_delete(map, 0), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 10, 10, HMAP_ANY), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 10), 10);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 10ULL);
}

static void hmap_core_test_delete_removes_only_its_key(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 100, 0, false);
	u64 i;

	for (i = 0; i < 20; i++)
		KUNIT_ASSERT_EQ(test, hmap_kunit_update(map, i, i + 100,
							HMAP_ANY), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_delete(map, 5), 0);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 19ULL);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 5), -ENOENT);
	KUNIT_EXPECT_EQ(test, hmap_kunit_delete(map, 5), -ENOENT);
	KUNIT_EXPECT_EQ(test, hmap_kunit_delete(map, 1000), -ENOENT);
	for (i = 0; i < 20; i++)
		if (i != 5)
			KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, i),
					i + 100);
	/* A deleted key can come back. */
	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 5, 55, HMAP_NOEXIST), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 5), 55);
}

/* Many keys through the real hash: every one found, then every one gone. */
static void hmap_core_test_many_keys(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 20000, 0, false);
	struct hmap_stats st;
	u64 i, n = 5000;

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, hmap_kunit_update(map, i, i ^ 0xabc,
							HMAP_NOEXIST), 0);
	KUNIT_EXPECT_EQ(test, hmap_count(map), n);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, hmap_kunit_lookup(map, i), i ^ 0xabc);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, n), -ENOENT);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_GE(test, st.grows, 8ULL);
	KUNIT_EXPECT_GE(test, st.B, 9U);

	/*
	 * An array allocated ahead still in flight holds off the deletes'
	 * shrinks (hmap_test_run_background() starts none): 3 in 10^4
	 * runs ended at B 10 without it (helper-54, natively).
	 */
	flush_work(&map->prealloc_work);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, hmap_kunit_delete(map, i), 0);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 0ULL);
	hmap_test_run_background(map);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_GE(test, st.shrinks, 8ULL);
	KUNIT_EXPECT_LE(test, st.B, 1U);
	KUNIT_EXPECT_EQ(test, st.elems_alloced - st.elems_freed, 0ULL);
}

static void hmap_core_test_clear_frees_all_map_stays_usable(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 5000, 0, false);
	struct hmap_stats st;
	u64 i;

	hmap_kunit_fill(test, map, 0, 1000, HMAP_ANY);
	KUNIT_EXPECT_EQ(test, hmap_clear(map), 0);
	KUNIT_EXPECT_EQ(test, hmap_count(map), 0ULL);
	for (i = 0; i < 1000; i++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, i), -ENOENT);

	hmap_flush_frees();
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.elems_alloced, st.elems_freed);
	KUNIT_EXPECT_EQ(test, st.arrays_alloced - st.arrays_freed, 1ULL);
	KUNIT_EXPECT_EQ(test, st.overflow_alloced, st.overflow_freed);
	KUNIT_EXPECT_EQ(test, st.pending_frees, 0ULL);
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_NONE);

	/* The map is usable after a clear. */
	KUNIT_EXPECT_EQ(test, hmap_kunit_update(map, 1, 2, HMAP_NOEXIST), 0);
	KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, 1), 2);
}

static void hmap_core_test_shrink_to_fit(struct kunit *test)
{
	struct hmap *map = hmap_kunit_map(test, 5000, 0, false);
	u64 i;

	hmap_kunit_fill(test, map, 0, 3000, HMAP_ANY);
	hmap_test_run_background(map);
	KUNIT_EXPECT_EQ(test, core_bits(map), 9U);
	/* 2990 deletes only shrink a level or two. */
	for (i = 10; i < 3000; i++)
		KUNIT_ASSERT_EQ(test, hmap_kunit_delete(map, i), 0);
	KUNIT_EXPECT_GT(test, core_bits(map), 1U);

	/* 10 entries fit in 2 buckets: 10 > 8 and 10 > 6.5 but <= 13. */
	KUNIT_EXPECT_EQ(test, hmap_shrink_to_fit(map), 0);
	KUNIT_EXPECT_EQ(test, core_bits(map), 1U);
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_lookup(map, i), i);

	/*
	 * A fitted map, nothing written since, is left alone: the chains
	 * the shrink built are as short as its entries allow, so a second
	 * call rebuilding them (a same-size grow) would only cost.
	 */
	hmap_kunit_expect_fit_again(test, map);
}

/* Destroying a map in the middle of a grow frees everything it held. */
static void hmap_core_test_destroy_nonempty(struct kunit *test)
{
	struct hmap_params p = { .key_size = sizeof(struct hmap_kunit_key),
				 .value_size = 8, .max_entries = 10000 };
	struct hmap_global_stats before, after;
	struct hmap_stats st;
	struct hmap *map;
	u64 i;

	hmap_kunit_globals_start(&before);
	map = hmap_create(&p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	hmap_test_set_background(map, false);
	hmap_kunit_fill(test, map, 0, 2000, HMAP_ANY);
	for (i = 0; i < 500; i++)
		KUNIT_ASSERT_EQ(test,
				hmap_kunit_update(map, i, i + 1, HMAP_ANY), 0);
	/* Keep inserting until a grow is left half done. */
	for (i = 2000; i < 10000; i++) {
		hmap_get_stats(map, &st);
		if (st.resizing == HMAP_RESIZE_GROW && st.nevacuate > 0)
			break;
		KUNIT_ASSERT_EQ(test, hmap_kunit_update(map, i, i, HMAP_ANY),
				0);
	}
	KUNIT_EXPECT_EQ(test, st.resizing, (u32)HMAP_RESIZE_GROW);
	hmap_global_stats(&after);
	KUNIT_EXPECT_EQ(test, after.maps, before.maps + 1);
	KUNIT_EXPECT_GE(test, after.elems, before.elems + 2000);
	KUNIT_EXPECT_EQ(test, after.arrays, before.arrays + 2);

	hmap_destroy(map);
	hmap_kunit_expect_globals_back(test, &before);
}

/* Each map hashes under its own random key. */
static void hmap_core_test_keyed_hash(struct kunit *test)
{
	static const char bytes[] = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
	struct hmap *a = hmap_kunit_map(test, 10, 0, false);
	struct hmap *b = hmap_kunit_map(test, 10, 0, false);
	struct hmap_kunit_key k = hmap_kunit_spread_key(1);
	hsiphash_key_t hkey;
	u32 len;

	KUNIT_EXPECT_NE(test, hmap_hash(a, &k, sizeof(k)),
			hmap_hash(b, &k, sizeof(k)));
	KUNIT_EXPECT_EQ(test, hmap_hash(a, &k, sizeof(k)),
			hmap_hash(a, &k, sizeof(k)));

	/*
	 * It is SipHash-1-3: on 64-bit the kernel's hsiphash() is the same
	 * function cut to 32 bits. Every length, for the tail handling.
	 */
	if (!IS_ENABLED(CONFIG_64BIT))
		return;
	memcpy(&hkey, &a->seed, sizeof(hkey));
	for (len = 1; len < sizeof(bytes); len++)
		KUNIT_EXPECT_EQ_MSG(test, (u32)hmap_hash(a, bytes, len),
				    hsiphash(bytes, len, &hkey), "len %u", len);
}

/*
 * The hash of a key of @len bytes at @key in an HMAP_F_JHASH map of seed
 * @seed, computed apart: jhash2() of an aligned copy of its words for a
 * length that is a multiple of 4, else jhash(), times GOLDEN_RATIO_64.
 */
static u64 core_jhash64(const void *key, u32 len, const siphash_key_t *seed)
{
	u32 words[16], initval = (u32)seed->key[0];

	if (len % 4 || len > sizeof(words))
		return (u64)jhash(key, len, initval) * GOLDEN_RATIO_64;
	memcpy(words, key, len);
	return (u64)jhash2(words, len / 4, initval) * GOLDEN_RATIO_64;
}

/*
 * A map created with HMAP_F_JHASH hashes as rhashtable does by default
 * (jhash2 of the words for lengths that are multiples of 4, else jhash)
 * under the low 32 bits of its own seed, spread by GOLDEN_RATIO_64, for
 * every length up to 40 and keys at any alignment; it may also be
 * HMAP_F_ATOMIC; and it works as any other: 4,000 keys in through its
 * grows, each found, walked exactly once, then all deleted down to a
 * shrunk map.
 */
static void hmap_core_test_jhash(struct kunit *test)
{
	static const char bytes[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDE";
	struct hmap *a = hmap_kunit_map_flags(test, 1U << 20, HMAP_F_JHASH);
	struct hmap *b = hmap_kunit_map_flags(test, 1U << 20,
					      HMAP_F_JHASH | HMAP_F_ATOMIC);
	struct hmap_kunit_key k = hmap_kunit_spread_key(1);
	const u64 n = 4000;
	struct hmap_stats full, st;
	struct hmap_iter iter;
	unsigned long *seen;
	u32 len, klen, vlen;
	u64 id, value;
	int ret;

	for (len = 1; len < sizeof(bytes) - 1; len++) {
		KUNIT_EXPECT_EQ_MSG(test, hmap_hash(a, bytes, len),
				    core_jhash64(bytes, len, &a->seed),
				    "len %u", len);
		KUNIT_EXPECT_EQ_MSG(test, hmap_hash(a, bytes + 1, len),
				    core_jhash64(bytes + 1, len, &a->seed),
				    "len %u, unaligned", len);
	}
	/* Two seeds: equal by chance once in 2^32. */
	KUNIT_EXPECT_NE(test, hmap_hash(a, &k, sizeof(k)),
			hmap_hash(b, &k, sizeof(k)));

	seen = kunit_kcalloc(test, BITS_TO_LONGS(n), sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	hmap_kunit_fill(test, a, 0, n, HMAP_NOEXIST);
	hmap_test_run_background(a);
	hmap_get_stats(a, &full);
	KUNIT_EXPECT_EQ(test, full.count, n);
	KUNIT_EXPECT_GE(test, full.grows, 5ULL);
	for (id = 0; id < n; id++)
		KUNIT_EXPECT_EQ_MSG(test, hmap_kunit_lookup(a, id), (s64)id,
				    "id %llu", id);
	KUNIT_ASSERT_EQ(test, hmap_iter_start(a, &iter), 0);
	for (;;) {
		klen = sizeof(k);
		vlen = sizeof(value);
		ret = hmap_iter_next(&iter, &k, &klen, &value, &vlen);
		if (ret)
			break;
		KUNIT_ASSERT_LT(test, k.id, n);
		KUNIT_EXPECT_EQ(test, value, k.id);
		KUNIT_EXPECT_FALSE_MSG(test, __test_and_set_bit(k.id, seen),
				       "id %llu walked twice", k.id);
	}
	hmap_iter_stop(&iter);
	KUNIT_EXPECT_EQ(test, ret, -ENOENT);
	KUNIT_EXPECT_EQ(test, bitmap_weight(seen, n), n);
	/* As in hmap_core_test_many_keys(). */
	flush_work(&a->prealloc_work);
	for (id = 0; id < n; id++)
		KUNIT_EXPECT_EQ(test, hmap_kunit_delete(a, id), 0);
	hmap_test_run_background(a);
	hmap_get_stats(a, &st);
	KUNIT_EXPECT_EQ(test, st.count, 0ULL);
	KUNIT_EXPECT_GE(test, st.shrinks, 5ULL);
	KUNIT_EXPECT_LE(test, st.B, 1U);
}

struct core_destroy_ctx {
	struct hmap *map;
	struct completion done;
};

static int core_destroy_thread(void *data)
{
	struct core_destroy_ctx *ctx = data;

	hmap_destroy(ctx->map);
	kthread_complete_and_exit(&ctx->done, 0);
}

/*
 * hmap_destroy() while the work that allocates the next array ahead runs:
 * the test holds the map's lock, so the work is stuck on it when destroy
 * starts, and gets it (or destroy does) only once the test lets go. The
 * work must not arm the worker's timer for a map being freed (a timer
 * that then fires on freed memory: KASAN, and the kernel's debugobjects at
 * the kfree()). Whatever it allocated must be freed with the map: the
 * global array count comes back to where it was. The test then waits past
 * the idle time of a spare array, when such a timer would have fired.
 */
static void hmap_core_test_destroy_during_prealloc(struct kunit *test)
{
	struct hmap_global_stats before;
	struct core_destroy_ctx *ctx;
	struct task_struct *task;
	struct hmap *map;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	init_completion(&ctx->done);
	hmap_kunit_globals_start(&before);

	/* B 9: its next array (B 10, 80 KiB) is one allocated ahead. */
	map = hmap_kunit_map_new(100000, 2000, false);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	hmap_test_set_background(map, true);
	hmap_kunit_fill(test, map, 0, 2000, HMAP_NOEXIST);
	KUNIT_ASSERT_EQ(test, core_bits(map), 9U);

	mutex_lock(&map->work_lock);
	__hmap_test_prealloc(map);
	msleep(50);		/* the work runs and waits for the lock */
	ctx->map = map;
	task = kthread_run(core_destroy_thread, ctx, "hmap_destroy_test");
	if (IS_ERR(task)) {
		mutex_unlock(&map->work_lock);
		hmap_destroy(map);
		KUNIT_FAIL_AND_ABORT(test, "kthread_run: %ld", PTR_ERR(task));
	}
	msleep(50);		/* destroy starts and waits */
	mutex_unlock(&map->work_lock);
	wait_for_completion(&ctx->done);

	/* Past HMAP_SPARE_IDLE (1 s): a timer left armed would fire now. */
	msleep(1500);
	hmap_kunit_expect_globals_back(test, &before);
}

/*
 * Destroyed maps wait for their grace period in bounded number: ten maps
 * of 5 MiB (B 16), destroyed one after the other faster than a grace
 * period ends, never leave more than HMAP_DESTROY_PENDING_MAX (16 MiB) of
 * destroyed maps not yet freed beside the one just destroyed; unbounded,
 * all 50 MiB waited.
 */
static void hmap_core_test_destroy_pending_bounded(struct kunit *test)
{
	struct hmap_params p = { .key_size = 1, .value_size = 1,
				 .max_entries = 1U << 18,
				 .capacity_hint = 1U << 18 };
	struct hmap_global_stats before, gs;
	struct hmap *maps[10];
	long one, pending, most = 0;
	unsigned int i;

	hmap_kunit_globals_start(&before);
	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		maps[i] = hmap_create(&p);
		KUNIT_ASSERT_FALSE(test, IS_ERR(maps[i]));
	}
	hmap_global_stats(&gs);
	one = (gs.bytes - before.bytes) / (long)ARRAY_SIZE(maps);
	KUNIT_EXPECT_GE(test, one, 4L << 20);
	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		hmap_destroy(maps[i]);
		hmap_global_stats(&gs);
		/* What is held but by the maps still alive. */
		pending = gs.bytes - before.bytes -
			  (long)(ARRAY_SIZE(maps) - 1 - i) * one;
		most = max(most, pending);
	}
	/* The documented bound, not the macro: a test of the number. */
	KUNIT_EXPECT_LE(test, most, (16L << 20) + one);
	kunit_info(test, "one map %ld bytes; destroyed and waiting at most %ld\n",
		   one, most);
	hmap_kunit_expect_globals_back(test, &before);
}

/*
 * A map of 1-byte keys sized for @hint entries (max_entries too), made
 * after reading hmap's global counters into @before and the pending
 * count into *@start; *@one is what it holds (bytes).
 */
static struct hmap *core_pending_map(struct kunit *test, u32 hint,
				     struct hmap_global_stats *before,
				     long *start, long *one)
{
	struct hmap_params p = { .key_size = 1, .value_size = 1,
				 .max_entries = hint, .capacity_hint = hint };
	struct hmap_global_stats gs;
	struct hmap *map;

	hmap_kunit_globals_start(before);
	*start = hmap_test_pending_bytes();
	map = hmap_create(&p);
	KUNIT_ASSERT_FALSE(test, IS_ERR(map));
	hmap_global_stats(&gs);
	*one = gs.bytes - before->bytes;
	return map;
}

/*
 * A map cleared in a loop pins a bounded number of retired arrays: one map
 * of 5 MiB (B 16) holding a key, cleared ten times faster than a grace
 * period ends (each clear a new 5 MiB array), never leaves more than
 * HMAP_DESTROY_PENDING_MAX (16 MiB) of retired tables not yet freed
 * beside the last one retired; unbounded, all 50 MiB waited. The pending
 * count destroy and clear keep, each clear adding its array, stays under
 * the bound plus one array, and is back where it started once the frees
 * have run.
 */
static void hmap_core_test_clear_pending_bounded(struct kunit *test)
{
	long one, pending, most = 0, counted, counted_most = 0, start;
	struct hmap_global_stats before, gs;
	struct hmap *map;
	unsigned int i;
	u8 k = 1, v = 2;

	map = core_pending_map(test, 1U << 18, &before, &start, &one);
	KUNIT_EXPECT_GE(test, one, 4L << 20);
	for (i = 0; i < 10; i++) {
		KUNIT_ASSERT_EQ(test, hmap_update(map, &k, 1, &v, 1, HMAP_ANY),
				0);
		KUNIT_ASSERT_EQ(test, hmap_clear(map), 0);
		counted = hmap_test_pending_bytes() - start;
		counted_most = max(counted_most, counted);
		hmap_global_stats(&gs);
		/* What is held but by the map's live table. */
		pending = gs.bytes - before.bytes - one;
		most = max(most, pending);
	}
	/* The documented bound, not the macro: a test of the number. */
	KUNIT_EXPECT_LE(test, most, (16L << 20) + one);
	/* Counted: the first clears wait for no grace period. */
	KUNIT_EXPECT_GT(test, counted_most, 0L);
	KUNIT_EXPECT_LE(test, counted_most, (16L << 20) + one);
	kunit_info(test, "one table %ld bytes; cleared and waiting at most %ld (counted %ld)\n",
		   one, most, counted_most);
	hmap_destroy(map);
	hmap_kunit_expect_globals_back(test, &before);
	KUNIT_EXPECT_EQ(test, hmap_test_pending_bytes(), start);
}

/*
 * A destroy or a clear that retires more than HMAP_DESTROY_PENDING_MAX
 * (16 MiB) on its own, a 21 MiB array (B 18), waits for no grace period
 * of its own: its bytes are still counted pending when it returns (each
 * used to wait for every deferred free, its own too, whatever was pending
 * before it). The next call waits for them, so the count never passes the
 * bound and one call's bytes.
 */
static void core_large_retire(struct kunit *test, bool clear)
{
	struct hmap_params p = { .key_size = 1, .value_size = 1,
				 .max_entries = 1U << 20,
				 .capacity_hint = 1U << 20 };
	long one = 0, counted, counted_most = 0, start;
	struct hmap_global_stats before, gs;
	struct hmap *map = NULL;
	unsigned int i;

	hmap_kunit_globals_start(&before);
	start = hmap_test_pending_bytes();
	for (i = 0; i < 3; i++) {
		if (!map) {
			map = hmap_create(&p);
			KUNIT_ASSERT_FALSE(test, IS_ERR(map));
			hmap_global_stats(&gs);
			one = max(one, gs.bytes - before.bytes);
		}
		if (clear) {
			KUNIT_ASSERT_EQ(test, hmap_clear(map), 0);
		} else {
			hmap_destroy(map);
			map = NULL;
		}
		counted = hmap_test_pending_bytes() - start;
		counted_most = max(counted_most, counted);
	}
	KUNIT_EXPECT_GT(test, one, 16L << 20);
	KUNIT_EXPECT_GT(test, counted_most, 16L << 20);
	KUNIT_EXPECT_LE(test, counted_most, (16L << 20) + one);
	kunit_info(test, "one %s %ld bytes; counted pending at most %ld\n",
		   clear ? "table" : "map", one, counted_most);
	hmap_destroy(map);
	hmap_kunit_expect_globals_back(test, &before);
	KUNIT_EXPECT_EQ(test, hmap_test_pending_bytes(), start);
}

static void hmap_core_test_large_destroy_waits_not_for_itself(struct kunit *test)
{
	core_large_retire(test, false);
}

static void hmap_core_test_large_clear_waits_not_for_itself(struct kunit *test)
{
	core_large_retire(test, true);
}

/*
 * A destroy after a clear counts the array the clear retired once: a
 * 5 MiB map (B 16) cleared, then destroyed before the grace period ends,
 * is counted pending as two arrays and what the map holds beside them
 * (the retired one, then the map with its new one), not three (the
 * destroy used to count the retired array again, as the map's bytes still
 * held it).
 */
static void hmap_core_test_destroy_after_clear_counts_once(struct kunit *test)
{
	struct hmap_global_stats before;
	long one, counted, start;
	struct hmap *map;

	map = core_pending_map(test, 1U << 18, &before, &start, &one);
	KUNIT_EXPECT_GE(test, one, 4L << 20);
	KUNIT_ASSERT_EQ(test, hmap_clear(map), 0);
	hmap_destroy(map);
	counted = hmap_test_pending_bytes() - start;
	kunit_info(test, "one map %ld bytes; cleared and destroyed, counted %ld\n",
		   one, counted);
	KUNIT_EXPECT_LE(test, counted, 2 * one);
	hmap_kunit_expect_globals_back(test, &before);
	KUNIT_EXPECT_EQ(test, hmap_test_pending_bytes(), start);
}

static struct kunit_case hmap_core_cases[] = {
	KUNIT_CASE(hmap_core_test_create_rejects_bad_params),
	KUNIT_CASE(hmap_core_test_params_are_versioned),
	KUNIT_CASE(hmap_core_test_capacity_hint_sizes_map),
	KUNIT_CASE(hmap_core_test_update_flags),
	KUNIT_CASE(hmap_core_test_lookup_returns_value_or_misses),
	KUNIT_CASE(hmap_core_test_size_limits),
	KUNIT_CASE(hmap_core_test_max_bytes_no_wrap),
	KUNIT_CASE(hmap_core_test_max_entries),
	KUNIT_CASE(hmap_core_test_delete_removes_only_its_key),
	KUNIT_CASE(hmap_core_test_many_keys),
	KUNIT_CASE(hmap_core_test_clear_frees_all_map_stays_usable),
	KUNIT_CASE(hmap_core_test_shrink_to_fit),
	KUNIT_CASE(hmap_core_test_destroy_nonempty),
	KUNIT_CASE(hmap_core_test_destroy_pending_bounded),
	KUNIT_CASE(hmap_core_test_large_destroy_waits_not_for_itself),
	KUNIT_CASE(hmap_core_test_large_clear_waits_not_for_itself),
	KUNIT_CASE(hmap_core_test_destroy_after_clear_counts_once),
	KUNIT_CASE(hmap_core_test_clear_pending_bounded),
	KUNIT_CASE(hmap_core_test_destroy_during_prealloc),
	KUNIT_CASE(hmap_core_test_keyed_hash),
	KUNIT_CASE(hmap_core_test_jhash),
	{}
};

struct kunit_suite hmap_core_suite = {
	.name = "hmap_core",
	.test_cases = hmap_core_cases,
};
