/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the hmap KUnit suites: the suites, and helpers to make maps and
 * keys whose hashes a test chooses.
 */
#ifndef _HMAP_KUNIT_H
#define _HMAP_KUNIT_H

#include <kunit/test.h>

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

struct hmap *hmap_kunit_map_new(u32 max_entries, u32 capacity_hint,
				bool chosen_hash);
struct hmap *hmap_kunit_map(struct kunit *test, u32 max_entries,
			    u32 capacity_hint, bool chosen_hash);
u64 hmap_kunit_hash(const void *key, u32 key_len);

#endif /* _HMAP_KUNIT_H */
