// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: an input is a map's parameters and a sequence of
 * operations, applied to the real map and to the model (hmap_model.c),
 * each result checked; at the end every key is checked, the map destroyed
 * and every counter and allocation must have come back. A failed check
 * aborts, which libFuzzer reports with the input that did it.
 *
 * Input: 6 bytes of set-up (key size, value size, hash classes, max
 * entries, key count, capacity hint and in its top bit HMAP_F_ATOMIC),
 * then 4 bytes per operation: kind, key id (2 bytes), argument. The hash
 * seeds are fixed, so an input replays the same run (./hmap_fuzz
 * crash-<sha1>), but for an HMAP_F_ATOMIC map the moment its arrays come:
 * its writers never allocate one, its @prealloc_work does beside them.
 */
#include <stddef.h>
#include <stdint.h>

#include "hmap_core.h"
#include "hmap_model.h"
#include "hmap_shim.h"

#define HM_FUZZ_MAX_OPS	20000

static const u32 key_sizes[] = { 1, 2, 3, 4, 8, 12, 16, 24, 33, 64 };
static const u32 value_sizes[] = { 1, 2, 8, 16, 31, 100 };
static const u32 max_entries[] = { 1, 7, 8, 9, 64, 100, 1000, 5000, 1 << 20 };
static const u32 nids[] = { 4, 16, 64, 200, 1000, 4096 };
static const u32 hints[] = { 0, 0, 0, 1, 9, 100, 1000, 20000 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	hmap_shim_init();
	hmap_shim_rcu_register();
	hm_abort_on_failure = true;
	if (hmap_core_init())
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hm_config cfg = { .seed = 1 };
	struct hm_ctx c;
	size_t i;

	if (size < 6)
		return 0;
	cfg.key_size = key_sizes[data[0] % ARRAY_SIZE(key_sizes)];
	cfg.value_size = value_sizes[data[1] % ARRAY_SIZE(value_sizes)];
	/* Half the inputs use the keyed hash, half few chosen hashes. */
	cfg.hashes = data[2] & 0x80 ? 0 : data[2] % 64 + 1;
	cfg.max_entries = max_entries[data[3] % ARRAY_SIZE(max_entries)];
	cfg.nids = nids[data[4] % ARRAY_SIZE(nids)];
	cfg.capacity_hint = hints[data[5] % ARRAY_SIZE(hints)];
	cfg.flags = data[5] & 0x80 ? HMAP_F_ATOMIC : 0;
	/* A quarter of the keyed inputs hash with the per-map jhash. */
	if ((data[2] & 0xc0) == 0xc0)
		cfg.flags |= HMAP_F_JHASH;
	if (hm_init(&c, &cfg))
		abort();
	for (i = 6; i + 4 <= size && c.ops < HM_FUZZ_MAX_OPS; i += 4) {
		struct hm_op op = {
			.kind = data[i],
			.id = data[i + 1] | data[i + 2] << 8,
			.arg = data[i + 3],
			.arg2 = data[i + 3] >> 4,
		};

		hm_apply(&c, &op);
	}
	hm_fini(&c);
	return 0;
}
