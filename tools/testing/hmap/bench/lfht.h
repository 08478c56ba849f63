/* SPDX-License-Identifier: GPL-2.0 */
/* rculfhash behind the interface bench.c times: see lfht.c. */
#ifndef _HMAP_BENCH_LFHT_H
#define _HMAP_BENCH_LFHT_H

#include <stddef.h>
#include <stdint.h>

struct lfht;

struct lfht *lfht_new(unsigned int key_size, uint64_t seed);
int lfht_insert(struct lfht *t, const void *key, uint64_t value);
int lfht_lookup(struct lfht *t, const void *key, uint64_t *value);
int lfht_delete(struct lfht *t, const void *key);
void lfht_destroy(struct lfht *t);
void lfht_settle(struct lfht *t, unsigned long n);
size_t lfht_node_size(unsigned int key_size);

/* The kernel's hsiphash() on x86-64, from lib/siphash.c of the tarball. */
#ifndef _LINUX_SIPHASH_H
uint32_t __hsiphash_unaligned(const void *data, size_t len, const void *key);
#endif

#endif
