// SPDX-License-Identifier: GPL-2.0
/*
 * hmap_scale: maps of the sizes users reach, with random keys (SipHash under
 * the map's own seed). The slowest suite: under KASAN and lockdep in QEMU a
 * case takes about two minutes. A module of its own, hmap_kunit_scale.ko,
 * so that a run can leave it out or run it apart (scripts/guest-init.sh
 * runs it last, with kmemleak off).
 */

#include <linux/module.h>
#include <linux/sched.h>

#include "hmap_kunit.h"

/* A map of 16-byte keys and 8-byte values, the worker off. */
static struct hmap *scale_map_new(u32 max_entries, u32 capacity_hint)
{
	struct hmap_params p = {
		.key_size = sizeof(struct hmap_kunit_key),
		.value_size = sizeof(u64),
		.max_entries = max_entries,
		.capacity_hint = capacity_hint,
	};
	struct hmap *map = hmap_create(&p);

	if (!IS_ERR(map))
		hmap_test_set_background(map, false);
	return map;
}

/*
 * Random keys never start a same-size grow, at any B: filled from B 16
 * through the grows to 17 and 18 up to the load of the next grow (1.7
 * million entries), a map needs about 0.21 overflow buckets per bucket
 * (P(X > 8) for X ~ Poisson(6.5)). Go's threshold of 2^min(B, 15) overflow
 * buckets, all of them counted, is passed at B 18 (about 55000), and then
 * every insert after a finished resize started another rebuild.
 */
static void hmap_scale_test_random_keys_no_same_size_grow(struct kunit *test)
{
	const unsigned int from_B = 16, to_B = 18;
	const u32 n = (13U << to_B) / 2;	/* the most B 18 holds */
	struct hmap *map;
	struct hmap_stats st;
	u32 i;

	/* One entry over what B 15 holds: the map starts at B 16. */
	map = scale_map_new(n, (13U << (from_B - 1)) / 2 + 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(map));
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.B, from_B);
	/* No assertion until the map is destroyed: it is not a resource. */
	for (i = 0; i < n; i++) {
		struct hmap_kunit_key k = { .hash = i, .id = ~(u64)i };
		u64 v = i;
		int err = hmap_update(map, &k, sizeof(k), &v, sizeof(v),
				      HMAP_NOEXIST);

		if (err) {
			KUNIT_FAIL(test, "insert %u: %d", i, err);
			break;
		}
		if (!(i & 4095))
			cond_resched();
	}
	hmap_test_run_background(map);
	hmap_get_stats(map, &st);
	KUNIT_EXPECT_EQ(test, st.count, (u64)n);
	KUNIT_EXPECT_EQ(test, st.B, to_B);
	KUNIT_EXPECT_EQ(test, st.grows, (u64)(to_B - from_B));
	KUNIT_EXPECT_EQ(test, st.same_size_grows, 0ULL);
	/* About 0.21 per bucket; a quarter leaves room for chance. */
	KUNIT_EXPECT_LT(test, st.noverflow, 1ULL << (to_B - 2));
	kunit_info(test, "%u entries at B %u: %llu overflow buckets\n", n,
		   st.B, st.noverflow);
	hmap_destroy(map);
}

static struct kunit_case hmap_scale_cases[] = {
	KUNIT_CASE(hmap_scale_test_random_keys_no_same_size_grow),
	{}
};

static struct kunit_suite hmap_scale_suite = {
	.name = "hmap_scale",
	.test_cases = hmap_scale_cases,
};

kunit_test_suite(hmap_scale_suite);

MODULE_DESCRIPTION("KUnit suites for hmap at the sizes users reach");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
