/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the hmap KUnit suites: the suites, and helpers to make maps and
 * keys whose hashes a test chooses.
 *
 * Names in the suites (after Documentation/dev-tools/kunit/style.rst), so
 * that none is taken for an API function and a case says what it checks:
 *
 * - suite hmap_<area>, in kunit/hmap_<area>_test.c; its cases are
 *   hmap_<area>_test_<what it checks>(): what is done and what must come
 *   of it (hmap_core_test_delete_removes_only_its_key()), not only the
 *   function or feature exercised;
 * - what several suites share is here and in hmap_kunit.c, and is named
 *   hmap_kunit_<name>() (struct hmap_kunit_<name>);
 * - a suite's own helpers, types and constants carry its area as prefix,
 *   <area>_<name>() (struct <area>_<name>, <AREA>_<NAME>): core_, evac_
 *   (hmap_evacuation), iter_, stats_, stress_, fault_, scale_; such a name
 *   is the file's own and means one thing;
 * - the hooks of the module that the suites call are hmap_test_<verb>_*()
 *   (hmap_test_set_hash(), hmap_test_set_fault_sites()).
 */
#ifndef _HMAP_KUNIT_H
#define _HMAP_KUNIT_H

#include <linux/err.h>
#include <linux/string.h>
#include <kunit/test.h>

#include "../hmap_compat.h"
#include "../hmap_internal.h"

extern struct kunit_suite hmap_core_suite;
extern struct kunit_suite hmap_evacuation_suite;
extern struct kunit_suite hmap_iter_suite;
extern struct kunit_suite hmap_stress_suite;
extern struct kunit_suite hmap_stats_suite;
extern struct kunit_suite hmap_fault_suite;
extern struct kunit_suite hmap_context_suite;

/*
 * A key whose hash the test chooses: with hmap_kunit_map(..., true) the map
 * hashes a key to its first eight bytes, so @hash picks the bucket (low
 * bits) and the tag (top byte); @id tells keys with equal hashes apart.
 */
struct hmap_kunit_key {
	u64 hash;
	u64 id;
};

/*
 * The helpers below are inline so that both test modules, hmap_kunit.ko
 * and hmap_kunit_scale.ko, have them without sharing an object file.
 */

/**
 * hmap_kunit_mix() - a bijective mixer (splitmix64's finalizer)
 * @x: any value.
 *
 * For hashes and pseudo-random numbers spread over all 64 bits.
 *
 * Context: any.
 * Return: the mixed value; distinct for distinct @x.
 */
static inline u64 hmap_kunit_mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/**
 * hmap_kunit_rev() - the bits of a value in reverse order
 * @x: the value.
 *
 * Written independently of the core's hmap_rev(), to check the order of
 * walks and dumps against.
 *
 * Context: any.
 * Return: @x with bit i moved to bit 63 - i.
 */
static inline u64 hmap_kunit_rev(u64 x)
{
	u64 r = 0;
	int i;

	for (i = 0; i < 64; i++, x >>= 1)
		r = (r << 1) | (x & 1);
	return r;
}

/**
 * hmap_kunit_spread_key() - a key whose chosen hash spreads ids over buckets
 * @id: the key's id.
 *
 * Return: the key { (@id + 1) * 2^64 / phi, @id }: the low bits of the
 * hashes of consecutive ids cycle through every bucket.
 */
static inline struct hmap_kunit_key hmap_kunit_spread_key(u64 id)
{
	return (struct hmap_kunit_key){
		.hash = (id + 1) * 0x9e3779b97f4a7c15ULL,
		.id = id,
	};
}

/**
 * hmap_kunit_update() - hmap_update() of the spread key of an id
 * @map: a map made by hmap_kunit_map() or hmap_kunit_map_new().
 * @id: the key's id (hmap_kunit_spread_key()).
 * @value: the value, 8 bytes.
 * @flags: as for hmap_update().
 *
 * Context: process context, may sleep.
 * Return: what hmap_update() returns.
 */
static inline int hmap_kunit_update(struct hmap *map, u64 id, u64 value,
				    u64 flags)
{
	struct hmap_kunit_key k = hmap_kunit_spread_key(id);

	return hmap_update(map, &k, sizeof(k), &value, sizeof(value), flags);
}

/**
 * hmap_kunit_lookup() - hmap_lookup() of the spread key of an id
 * @map: a map made by hmap_kunit_map() or hmap_kunit_map_new().
 * @id: the key's id (hmap_kunit_spread_key()).
 *
 * Context: any.
 * Return: the value, as a non-negative s64 below 2^63; the errno of
 * hmap_lookup(), negative; -EBADMSG for a value that is not 8 bytes.
 */
static inline s64 hmap_kunit_lookup(struct hmap *map, u64 id)
{
	struct hmap_kunit_key k = hmap_kunit_spread_key(id);
	u32 len = 0;
	u64 value;
	int err;

	err = hmap_lookup(map, &k, sizeof(k), &value, &len);
	if (err)
		return err;
	return len == sizeof(value) ? (s64)value : -EBADMSG;
}

/**
 * hmap_kunit_delete() - hmap_delete() of the spread key of an id
 * @map: a map made by hmap_kunit_map() or hmap_kunit_map_new().
 * @id: the key's id (hmap_kunit_spread_key()).
 *
 * Context: process context, may sleep.
 * Return: what hmap_delete() returns.
 */
static inline int hmap_kunit_delete(struct hmap *map, u64 id)
{
	struct hmap_kunit_key k = hmap_kunit_spread_key(id);

	return hmap_delete(map, &k, sizeof(k));
}

/**
 * hmap_kunit_fill() - write the spread keys of ids [@first, @end)
 * @test: the test case.
 * @map: a map made by hmap_kunit_map() or hmap_kunit_map_new().
 * @first: the first id.
 * @end: one past the last id.
 * @flags: as for hmap_update().
 *
 * Each key gets its id as value (hmap_kunit_update()). The case fails and
 * stops at the first write that does not return 0.
 *
 * Context: process context, may sleep.
 */
static inline void hmap_kunit_fill(struct kunit *test, struct hmap *map,
				   u64 first, u64 end, u64 flags)
{
	u64 id;

	for (id = first; id < end; id++)
		KUNIT_ASSERT_EQ_MSG(test, hmap_kunit_update(map, id, id, flags),
				    0, "id %llu", id);
}

/**
 * hmap_kunit_hash() - the chosen-hash function: a key's first eight bytes
 * @key: a key of at least eight bytes (a &struct hmap_kunit_key).
 * @key_len: its length in bytes.
 *
 * Context: any.
 * Return: the hash the key carries.
 */
static inline u64 hmap_kunit_hash(const void *key, u32 key_len)
{
	u64 hash;

	memcpy(&hash, key, sizeof(hash));
	return hash;
}

/**
 * hmap_kunit_map_new_flags() - a map of @flags for a test that destroys it
 * itself
 * @max_entries: the map's max_entries.
 * @capacity_hint: the map's capacity hint, in entries.
 * @chosen_hash: hash keys with hmap_kunit_hash() instead of the map's own.
 * @flags: the map's &struct hmap_params flags.
 *
 * Keys of a &struct hmap_kunit_key (16 bytes), values of 8 bytes. The
 * background worker is off, so resizes advance only when the test writes.
 *
 * Context: process context, may sleep.
 * Return: the map or an ERR_PTR() from hmap_create().
 */
static inline struct hmap *hmap_kunit_map_new_flags(u32 max_entries,
						    u32 capacity_hint,
						    bool chosen_hash,
						    u32 flags)
{
	struct hmap_params p = {
		.key_size = sizeof(struct hmap_kunit_key),
		.value_size = sizeof(u64),
		.max_entries = max_entries,
		.capacity_hint = capacity_hint,
		.flags = flags,
	};
	struct hmap *map = hmap_create(&p);

	if (IS_ERR(map))
		return map;
	hmap_test_set_background(map, false);
	if (chosen_hash)
		hmap_test_set_hash(map, hmap_kunit_hash);
	return map;
}

/**
 * hmap_kunit_map_new() - hmap_kunit_map_new_flags() with no flags
 * @max_entries: the map's max_entries.
 * @capacity_hint: the map's capacity hint, in entries.
 * @chosen_hash: hash keys with hmap_kunit_hash() instead of siphash.
 *
 * Context: process context, may sleep.
 * Return: the map or an ERR_PTR() from hmap_create().
 */
static inline struct hmap *hmap_kunit_map_new(u32 max_entries,
					      u32 capacity_hint,
					      bool chosen_hash)
{
	return hmap_kunit_map_new_flags(max_entries, capacity_hint,
					chosen_hash, 0);
}

struct hmap *hmap_kunit_map(struct kunit *test, u32 max_entries,
			    u32 capacity_hint, bool chosen_hash);
struct hmap *hmap_kunit_map_flags(struct kunit *test, u32 max_entries,
				  u32 flags);
void hmap_kunit_expect_fit_again(struct kunit *test, struct hmap *map);

/**
 * hmap_kunit_globals_start() - hmap's global counters before a case's maps
 * @before: filled with hmap_global_stats().
 *
 * Read once the frees that earlier cases deferred have run
 * (hmap_flush_frees()), for hmap_kunit_expect_globals_back() to compare.
 *
 * Context: process context, may sleep.
 */
static inline void hmap_kunit_globals_start(struct hmap_global_stats *before)
{
	hmap_flush_frees();
	hmap_global_stats(before);
}

/**
 * hmap_kunit_expect_globals_back() - hmap's global counters are back
 * @test: the test case.
 * @before: what hmap_kunit_globals_start() read.
 *
 * For a case that destroyed every map it made: once the frees they
 * deferred have run (hmap_flush_frees(), here), every global counter of
 * what maps hold (maps, bucket arrays, overflow buckets, elements, bytes)
 * is where it was at @before. The case fails, and goes on, for each
 * counter that is not: something leaked or was freed twice.
 *
 * Context: process context, may sleep.
 */
static inline void
hmap_kunit_expect_globals_back(struct kunit *test,
			       const struct hmap_global_stats *before)
{
	struct hmap_global_stats now;

	hmap_flush_frees();
	hmap_global_stats(&now);
	KUNIT_EXPECT_EQ(test, now.maps, before->maps);
	KUNIT_EXPECT_EQ(test, now.arrays, before->arrays);
	KUNIT_EXPECT_EQ(test, now.overflow, before->overflow);
	KUNIT_EXPECT_EQ(test, now.elems, before->elems);
	KUNIT_EXPECT_EQ(test, now.bytes, before->bytes);
}

#endif /* _HMAP_KUNIT_H */
