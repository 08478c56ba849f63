// SPDX-License-Identifier: GPL-2.0
/*
 * liburcu's rculfhash, the reference RCU resizable hash table in user
 * space, behind the small interface bench.c times (lfht.h). Same RCU
 * flavour as the harness (urcu-memb); keys hashed with the kernel's
 * hsiphash() (SipHash-1-3 on 64-bit, the rounds hmap uses) under a
 * random key; a node per entry holds the key and an 8-byte value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>

#include "lfht.h"

struct lfht {
	struct cds_lfht *ht;
	unsigned int key_size;
	uint64_t hkey[2];
};

struct lfht_node {
	struct cds_lfht_node node;
	struct rcu_head rcu;
	uint64_t value;
	unsigned char key[];
};

struct lfht_match {
	const void *key;
	unsigned int len;
};

static int lfht_match(struct cds_lfht_node *node, const void *arg)
{
	const struct lfht_match *m = arg;
	struct lfht_node *n = caa_container_of(node, struct lfht_node, node);

	return !memcmp(n->key, m->key, m->len);
}

static unsigned long lfht_hash(struct lfht *t, const void *key)
{
	return __hsiphash_unaligned(key, t->key_size, t->hkey);
}

struct lfht *lfht_new(unsigned int key_size, uint64_t seed)
{
	struct lfht *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->key_size = key_size;
	t->hkey[0] = seed * 0x9e3779b97f4a7c15ULL;
	t->hkey[1] = ~seed * 0xbf58476d1ce4e5b9ULL;
	t->ht = cds_lfht_new_flavor(1, 1, 0,
				    CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
				    &urcu_memb_flavor, NULL);
	if (!t->ht) {
		free(t);
		return NULL;
	}
	return t;
}

int lfht_insert(struct lfht *t, const void *key, uint64_t value)
{
	struct lfht_node *n = malloc(sizeof(*n) + t->key_size);
	struct lfht_match m = { key, t->key_size };
	struct cds_lfht_node *old;

	if (!n)
		return -1;
	cds_lfht_node_init(&n->node);
	memcpy(n->key, key, t->key_size);
	n->value = value;
	urcu_memb_read_lock();
	old = cds_lfht_add_unique(t->ht, lfht_hash(t, key), lfht_match, &m,
				  &n->node);
	urcu_memb_read_unlock();
	if (old != &n->node) {
		free(n);
		return -1;
	}
	return 0;
}

/* The value read under the read lock, as the hmap lookups do. */
int lfht_lookup(struct lfht *t, const void *key, uint64_t *value)
{
	struct lfht_match m = { key, t->key_size };
	struct cds_lfht_node *node;
	struct cds_lfht_iter it;
	int found = 0;

	urcu_memb_read_lock();
	cds_lfht_lookup(t->ht, lfht_hash(t, key), lfht_match, &m, &it);
	node = cds_lfht_iter_get_node(&it);
	if (node) {
		*value = caa_container_of(node, struct lfht_node, node)->value;
		found = 1;
	}
	urcu_memb_read_unlock();
	return found;
}

static void lfht_free_node(struct rcu_head *head)
{
	free(caa_container_of(head, struct lfht_node, rcu));
}

int lfht_delete(struct lfht *t, const void *key)
{
	struct lfht_match m = { key, t->key_size };
	struct cds_lfht_node *node;
	struct cds_lfht_iter it;
	int err = -1;

	urcu_memb_read_lock();
	cds_lfht_lookup(t->ht, lfht_hash(t, key), lfht_match, &m, &it);
	node = cds_lfht_iter_get_node(&it);
	if (node && !cds_lfht_del(t->ht, node)) {
		urcu_memb_call_rcu(&caa_container_of(node, struct lfht_node,
						     node)->rcu,
				   lfht_free_node);
		err = 0;
	}
	urcu_memb_read_unlock();
	return err;
}

void lfht_destroy(struct lfht *t)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *node;

	urcu_memb_read_lock();
	cds_lfht_for_each(t->ht, &it, node) {
		if (!cds_lfht_del(t->ht, node))
			urcu_memb_call_rcu(&caa_container_of(node,
						struct lfht_node, node)->rcu,
					   lfht_free_node);
	}
	urcu_memb_read_unlock();
	urcu_memb_barrier();
	cds_lfht_destroy(t->ht, NULL);
	free(t);
}

/*
 * Finish the resize the inserts asked for: rculfhash resizes only in its
 * worker thread, which may not have run yet; this resizes now to the size
 * its automatic resizing aims at (one bucket per entry).
 */
void lfht_settle(struct lfht *t, unsigned long n)
{
	unsigned long size = 1;

	while (size < n)
		size <<= 1;
	cds_lfht_resize(t->ht, size);
}

size_t lfht_node_size(unsigned int key_size)
{
	return sizeof(struct lfht_node) + key_size;
}
