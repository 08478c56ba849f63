// SPDX-License-Identifier: GPL-2.0
/*
 * The hmap KUnit module: registers every suite but hmap_scale (a module of
 * its own) and holds their helpers.
 */

#include <linux/err.h>
#include <linux/module.h>
#include <linux/string.h>
#include <kunit/resource.h>

#include "hmap_kunit.h"

/**
 * hmap_kunit_hash() - the chosen-hash function: a key's first eight bytes
 * @key: a key of at least eight bytes (a &struct hmap_kunit_key).
 * @key_len: its length.
 *
 * Return: the hash the key carries.
 */
u64 hmap_kunit_hash(const void *key, u32 key_len)
{
	u64 hash;

	memcpy(&hash, key, sizeof(hash));
	return hash;
}

static int hmap_kunit_res_init(struct kunit_resource *res, void *map)
{
	res->data = map;
	return 0;
}

static void hmap_kunit_res_free(struct kunit_resource *res)
{
	hmap_destroy(res->data);
}

/**
 * hmap_kunit_map_new() - a map for a test that destroys it itself
 * @max_entries: the map's max_entries.
 * @capacity_hint: the map's capacity hint.
 * @chosen_hash: hash keys with hmap_kunit_hash() instead of siphash.
 *
 * Keys up to 16 bytes, values up to 8 bytes. The background worker is off,
 * so resizes advance only when the test writes.
 *
 * Return: the map or an ERR_PTR().
 */
struct hmap *hmap_kunit_map_new(u32 max_entries, u32 capacity_hint,
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

/**
 * hmap_kunit_map() - a map for one test case, destroyed when it ends
 * @test: the test case.
 * @max_entries: the map's max_entries.
 * @capacity_hint: the map's capacity hint.
 * @chosen_hash: hash keys with hmap_kunit_hash() instead of siphash.
 *
 * As hmap_kunit_map_new().
 *
 * Return: the map; the case fails and stops if it cannot be created.
 */
struct hmap *hmap_kunit_map(struct kunit *test, u32 max_entries,
			    u32 capacity_hint, bool chosen_hash)
{
	struct hmap *map;

	map = hmap_kunit_map_new(max_entries, capacity_hint, chosen_hash);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	if (!kunit_alloc_resource(test, hmap_kunit_res_init,
				  hmap_kunit_res_free, GFP_KERNEL, map)) {
		hmap_destroy(map);
		KUNIT_ASSERT_FAILURE(test, "cannot register the map for cleanup");
	}
	return map;
}

kunit_test_suites(&hmap_core_suite, &hmap_evacuation_suite, &hmap_iter_suite,
		  &hmap_stats_suite, &hmap_stress_suite);
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
kunit_test_suite(hmap_fault_suite);
#endif

MODULE_DESCRIPTION("KUnit suites for hmap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
