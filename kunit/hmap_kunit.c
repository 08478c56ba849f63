// SPDX-License-Identifier: GPL-2.0
/*
 * The hmap KUnit module: registers every suite but hmap_scale (a module of
 * its own) and holds their helpers.
 */

#include <linux/err.h>
#include <linux/module.h>
#include <kunit/resource.h>

#include "hmap_kunit.h"

static int hmap_kunit_res_init(struct kunit_resource *res, void *map)
{
	res->data = map;
	return 0;
}

static void hmap_kunit_res_free(struct kunit_resource *res)
{
	hmap_destroy(res->data);
}

/* Have @map (or the error) destroyed when the case ends. */
static struct hmap *hmap_kunit_own(struct kunit *test, struct hmap *map)
{
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, map);
	if (!kunit_alloc_resource(test, hmap_kunit_res_init,
				  hmap_kunit_res_free, GFP_KERNEL, map)) {
		hmap_destroy(map);
		KUNIT_FAIL_AND_ABORT(test, "cannot register the map for cleanup");
	}
	return map;
}

/**
 * hmap_kunit_map() - a map for one test case, destroyed when it ends
 * @test: the test case.
 * @max_entries: the map's max_entries.
 * @capacity_hint: the map's capacity hint.
 * @chosen_hash: hash keys with hmap_kunit_hash() instead of siphash.
 *
 * As hmap_kunit_map_new() (kunit/hmap_kunit.h).
 *
 * Return: the map; the case fails and stops if it cannot be created.
 */
struct hmap *hmap_kunit_map(struct kunit *test, u32 max_entries,
			    u32 capacity_hint, bool chosen_hash)
{
	return hmap_kunit_own(test, hmap_kunit_map_new(max_entries,
						       capacity_hint,
						       chosen_hash));
}

/**
 * hmap_kunit_map_flags() - a map of @flags for one case, destroyed when it
 * ends
 * @test: the test case.
 * @max_entries: the map's max_entries.
 * @flags: the map's &struct hmap_params flags.
 *
 * As hmap_kunit_map_new_flags() with the map's own hash.
 *
 * Return: the map; the case fails and stops if it cannot be created.
 */
struct hmap *hmap_kunit_map_flags(struct kunit *test, u32 max_entries,
				  u32 flags)
{
	return hmap_kunit_own(test, hmap_kunit_map_new_flags(max_entries, 0,
							     false, flags));
}

/**
 * hmap_kunit_expect_fit_again() - a second hmap_shrink_to_fit() does nothing
 * @test: the test case.
 * @map: a map just fitted (hmap_shrink_to_fit() returned 0), nothing
 *	written to it since.
 *
 * The call returns 0, starts no resize (no grow, same-size grow or shrink
 * counted) and leaves B and the count as they were; the case fails, and
 * goes on, for each that does not hold.
 *
 * Context: process context, may sleep.
 */
void hmap_kunit_expect_fit_again(struct kunit *test, struct hmap *map)
{
	struct hmap_stats before, after;

	hmap_get_stats(map, &before);
	KUNIT_EXPECT_EQ(test, hmap_shrink_to_fit(map), 0);
	hmap_get_stats(map, &after);
	KUNIT_EXPECT_EQ(test, after.grows, before.grows);
	KUNIT_EXPECT_EQ(test, after.same_size_grows, before.same_size_grows);
	KUNIT_EXPECT_EQ(test, after.shrinks, before.shrinks);
	KUNIT_EXPECT_EQ(test, after.B, before.B);
	KUNIT_EXPECT_EQ(test, after.count, before.count);
}

kunit_test_suites(&hmap_core_suite, &hmap_evacuation_suite, &hmap_iter_suite,
		  &hmap_stats_suite, &hmap_stress_suite, &hmap_context_suite);
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
kunit_test_suite(hmap_fault_suite);
#endif

MODULE_DESCRIPTION("KUnit suites for hmap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
