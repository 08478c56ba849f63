/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the hmap KUnit suites: the suites, and helpers to make maps and
 * keys whose hashes a test chooses.
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
 * The two helpers below are inline so that both test modules, hmap_kunit.ko
 * and hmap_kunit_scale.ko, have them without sharing an object file.
 */

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
 * hmap_kunit_map_new() - a map for a test that destroys it itself
 * @max_entries: the map's max_entries.
 * @capacity_hint: the map's capacity hint, in entries.
 * @chosen_hash: hash keys with hmap_kunit_hash() instead of siphash.
 *
 * Keys of a &struct hmap_kunit_key (16 bytes), values of 8 bytes. The
 * background worker is off, so resizes advance only when the test writes.
 *
 * Context: process context, may sleep.
 * Return: the map or an ERR_PTR() from hmap_create().
 */
static inline struct hmap *hmap_kunit_map_new(u32 max_entries,
					      u32 capacity_hint,
					      bool chosen_hash)
{
	struct hmap_params p = {
		.key_size = sizeof(struct hmap_kunit_key),
		.value_size = sizeof(u64),
		.max_entries = max_entries,
		.capacity_hint = capacity_hint,
	};
	struct hmap *map = hmap_create(&p);

	if (IS_ERR(map))
		return map;
	hmap_test_set_background(map, false);
	if (chosen_hash)
		hmap_test_set_hash(map, hmap_kunit_hash);
	return map;
}

struct hmap *hmap_kunit_map(struct kunit *test, u32 max_entries,
			    u32 capacity_hint, bool chosen_hash);

#endif /* _HMAP_KUNIT_H */
