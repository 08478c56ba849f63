// SPDX-License-Identifier: GPL-2.0
/*
 * hmap iteration: a cursor in bit-reversed hash order that survives resizes.
 */

/**
 * DOC: Iteration across resizes
 *
 * With 2^B buckets, bucket j holds the hashes whose low B bits are j, that
 * is the hashes whose bit-reversed value r = bitrev64(hash) has j reversed
 * as its top B bits. Every bucket of every table size therefore covers one
 * contiguous range of r, and a bucket of the larger table covers a half of
 * a bucket of the smaller one. The cursor is a point in r order (plus the
 * last key returned, to order entries whose full hashes are equal), so it
 * means the same before and after any grow, same-size grow or shrink.
 *
 * A step looks up the chain that holds the cursor's hash the same way a
 * lookup does (old bucket unless it was evacuated, else new), restricted to
 * the range of the bucket of the largest table it looked at: while an old
 * bucket is not evacuated every entry of its range is in it, and once it is
 * every entry of its range is in the new table. The step returns the
 * smallest (r, key) after the cursor in that range, or moves the cursor to
 * the end of the range. An entry present for the whole walk is returned
 * exactly once; entries inserted or deleted during the walk may or may not
 * be. The walk never restarts and never fails with -EAGAIN. Elements are
 * only copied out under rcu_read_lock(), so a deleted element is never
 * touched after its grace period.
 *
 * hmap_dump() drops the lowest bit of that order, so that one position
 * past the last is a position too: a walk that is done stays at the end.
 * Positions are hash bits, which must not leave the kernel: the
 * HMAP_IOC_DUMP cursor is hmap_dump_cursor_encode() of the position, a
 * keyed permutation (a four-round Feistel network over SipHash, under a
 * per-map random key). The order of the entries a dump returns still
 * follows the hash: which keys share a bucket can be inferred from it, as
 * from any resize-stable walk in bucket order (Redis SCAN, BPF map dumps).
 */

#include <linux/bitrev.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "hmap_fault.h"
#include "hmap_internal.h"

static u64 hmap_rev(u64 x)
{
	return ((u64)bitrev32(x) << 32) | bitrev32(x >> 32);
}

static int hmap_keycmp(const u8 *a, u32 alen, const u8 *b, u32 blen)
{
	int c = memcmp(a, b, min(alen, blen));

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Does @e (with reversed hash @r) come after the cursor? */
static bool hmap_iter_after(const struct hmap_iter *iter,
			    const struct hmap_elem *e, u64 r)
{
	if (r != iter->pos)
		return r > iter->pos;
	return !iter->have_last ||
	       hmap_keycmp(hmap_elem_key(e), e->key_len, iter->last_key,
			   iter->last_len) > 0;
}

/* Does @a (reversed hash @ra) come before @b (reversed hash @rb)? */
static bool hmap_iter_before(const struct hmap_elem *a, u64 ra,
			     const struct hmap_elem *b, u64 rb)
{
	if (ra != rb)
		return ra < rb;
	return hmap_keycmp(hmap_elem_key(a), a->key_len, hmap_elem_key(b),
			   b->key_len) < 0;
}

/* A position in a chain, for hmap_chain_next_rcu(). */
struct hmap_chain_walk {
	struct hmap_bucket *b;
	unsigned int slot;
};

/*
 * The next element of the chain, or NULL at its end. A walk started before
 * the chain was evacuated still sees every element: evacuation only turns
 * tags into markers and leaves the element pointers.
 * Context: rcu_read_lock() held.
 */
static struct hmap_elem *hmap_chain_next_rcu(struct hmap_chain_walk *w)
	__must_hold(RCU)
{
	for (; w->b; w->b = rcu_dereference(w->b->overflow), w->slot = 0) {
		while (w->slot < HMAP_BUCKET_SLOTS) {
			unsigned int i = w->slot++;
			u8 th = READ_ONCE(w->b->tophash[i]);
			struct hmap_elem *e;

			if (th == HMAP_EMPTY_REST) {
				w->b = NULL;
				return NULL;
			}
			if (th == HMAP_EMPTY_ONE || th == HMAP_EVACUATED_EMPTY)
				continue;
			e = rcu_dereference(w->b->elems[i]);
			if (e)
				return e;
		}
	}
	return NULL;
}

/*
 * The first entry after the cursor up to @last in the chain at @b, or NULL.
 * Context: rcu_read_lock() held.
 */
static struct hmap_elem *hmap_iter_scan_rcu(const struct hmap_iter *iter,
					    struct hmap_bucket *b, u64 last)
	__must_hold(RCU)
{
	struct hmap_chain_walk w = { .b = b };
	struct hmap_elem *best = NULL, *e;
	u64 rbest = 0;

	while ((e = hmap_chain_next_rcu(&w))) {
		u64 r = hmap_rev(e->hash);

		if (r > last || !hmap_iter_after(iter, e, r))
			continue;
		if (!best || hmap_iter_before(e, r, best, rbest)) {
			best = e;
			rbest = r;
		}
	}
	return best;
}

/**
 * hmap_iter_start() - set up a cursor at the start of a map
 * @map: the map.
 * @iter: the cursor.
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int hmap_iter_start(struct hmap *map, struct hmap_iter *iter)
{
	memset(iter, 0, sizeof(*iter));
	iter->last_key = hmap_fault_alloc(ITER_KEY, map->params.key_size,
					  kmalloc(map->params.key_size,
						  GFP_KERNEL));
	if (!iter->last_key)
		return -ENOMEM;
	iter->map = map;
	hmap_stat_add(map, open_cursors, 1);
	return 0;
}
EXPORT_SYMBOL_GPL(hmap_iter_start);

/**
 * hmap_iter_next() - copy out the next entry in hash order
 * @iter: a cursor set up by hmap_iter_start().
 * @key: a buffer of at least the map's key_size bytes.
 * @key_len: gets the key's length.
 * @value: a buffer of at least the map's value_size bytes, or NULL.
 * @value_len: gets the value's length; may be NULL if @value is.
 *
 * The map may be changed and resized any number of times between calls,
 * and the caller may sleep between them. A call walks the empty buckets
 * before the next entry under one RCU read-side section: in a large,
 * nearly empty map (before it has shrunk) that can be many buckets;
 * hmap_dump() bounds it instead.
 *
 * Context: any; takes and releases rcu_read_lock(). Lock-free.
 * Return: 0, or -ENOENT at the end of the map.
 */
int hmap_iter_next(struct hmap_iter *iter, void *key, u32 *key_len,
		   void *value, u32 *value_len)
{
	struct hmap_elem *e = NULL;

	if (iter->done)
		return -ENOENT;

	rcu_read_lock();
	while (!e) {
		struct hmap_bucket *b;
		unsigned int bits;
		u64 last;

		b = hmap_find_bucket_rcu(iter->map, hmap_rev(iter->pos), &bits);
		last = iter->pos | (U64_MAX >> bits);
		e = hmap_iter_scan_rcu(iter, b, last);
		if (e)
			break;
		if (last == U64_MAX) {
			iter->done = true;
			break;
		}
		iter->pos = last + 1;
		iter->have_last = false;
	}
	if (e) {
		iter->pos = hmap_rev(e->hash);
		iter->have_last = true;
		iter->last_len = e->key_len;
		memcpy(iter->last_key, hmap_elem_key(e), e->key_len);
		memcpy(key, hmap_elem_key(e), e->key_len);
		*key_len = e->key_len;
		if (value) {
			memcpy(value, hmap_elem_value(e), e->value_len);
			*value_len = e->value_len;
		}
	}
	rcu_read_unlock();
	return e ? 0 : -ENOENT;
}
EXPORT_SYMBOL_GPL(hmap_iter_next);

/**
 * hmap_iter_stop() - release a cursor
 * @iter: the cursor.
 *
 * Context: any.
 */
void hmap_iter_stop(struct hmap_iter *iter)
{
	if (iter->last_key)
		hmap_stat_add(iter->map, open_cursors, -1);
	kfree(iter->last_key);
	iter->last_key = NULL;
	iter->done = true;
}
EXPORT_SYMBOL_GPL(hmap_iter_stop);

/*
 * hmap_dump() walks dump positions: p = bitrev64(hash) >> 1, the cursor of
 * the iterator with its lowest bit dropped. Positions run from 0 to
 * 2^63 - 1, so one past the last, %HMAP_DUMP_END, is a position too: a dump
 * that reached the end returns it, and a call with it finds nothing more.
 * Entries whose hashes differ only in their top bit share a position and
 * are handed over in one batch, as entries with equal hashes are.
 */
#define HMAP_DUMP_END	BIT_ULL(63)

static u64 hmap_elem_pos(const struct hmap_elem *e)
{
	return hmap_rev(e->hash) >> 1;
}

/* How many entries of the chain at @b share the smallest p in [@pos, @last]. */
static u32 hmap_dump_group_rcu(struct hmap_bucket *b, u64 pos, u64 last,
			       u64 *pmin)
	__must_hold(RCU)
{
	struct hmap_chain_walk w = { .b = b };
	struct hmap_elem *e;
	u32 group = 0;

	while ((e = hmap_chain_next_rcu(&w))) {
		u64 p = hmap_elem_pos(e);

		if (p < pos || p > last)
			continue;
		if (!group || p < *pmin) {
			*pmin = p;
			group = 1;
		} else if (p == *pmin) {
			group++;
		}
	}
	return group;
}

/*
 * Hand the entries of the chain at @b at position @p to @fn, up to @room;
 * room + 1 if there were more (the group grew since it was counted).
 */
static u32 hmap_dump_emit_rcu(struct hmap_bucket *b, u64 p, u32 first,
			      u32 room, hmap_dump_fn fn, void *ctx)
	__must_hold(RCU)
{
	struct hmap_chain_walk w = { .b = b };
	struct hmap_elem *e;
	u32 n = 0;

	while ((e = hmap_chain_next_rcu(&w))) {
		if (hmap_elem_pos(e) != p)
			continue;
		if (n == room)
			return n + 1;
		fn(ctx, first + n, hmap_elem_key(e), e->key_len,
		   hmap_elem_value(e), e->value_len);
		n++;
	}
	return n;
}

/* Entries of one bucket range a dump sorts on the stack at most. */
#define HMAP_DUMP_SORT	16

struct hmap_dump_ent {
	u64 p;
	struct hmap_elem *e;
};

/*
 * Collect the entries of the chain at @b whose p is in [@pos, @last] into
 * @ents in position order. Return how many, or more than @max if they do
 * not all fit (@ents then holds a part).
 */
static u32 hmap_dump_collect_rcu(struct hmap_bucket *b, u64 pos, u64 last,
				 struct hmap_dump_ent *ents, u32 max)
	__must_hold(RCU)
{
	struct hmap_chain_walk w = { .b = b };
	struct hmap_elem *e;
	u32 n = 0, i;

	while ((e = hmap_chain_next_rcu(&w))) {
		u64 p = hmap_elem_pos(e);

		if (p < pos || p > last)
			continue;
		if (n == max)
			return n + 1;
		/* Insertion sort: a bucket holds a handful. */
		for (i = n++; i && ents[i - 1].p > p; i--)
			ents[i] = ents[i - 1];
		ents[i].p = p;
		ents[i].e = e;
	}
	return n;
}

/* Buckets one hmap_dump() call looks at, at most, under one RCU section. */
#define HMAP_DUMP_SCAN	4096

/**
 * hmap_dump() - hand a batch of entries in hash order to a callback
 * @map: the map.
 * @cursor: in/out: the position of the walk, 0 to start, then what the
 *	previous call left: a point in bit-reversed hash order (0..2^63), valid
 *	across calls and any resizes. It tells hash bits: what leaves the
 *	kernel is hmap_dump_cursor_encode() of it.
 * @done: out: whether the walk reached the end. @cursor is then the end,
 *	and a call with it hands over nothing and is done again.
 * @room: most entries to hand over.
 * @count: out: entries handed over; on -ENOSPC, the room needed.
 * @fn: receives each entry, under rcu_read_lock(), with its index in the
 *	batch. An entry with an index at or past the @count returned is not
 *	handed over and must be ignored: a group of equal positions that grew
 *	while it was being handed over is taken back that way (and on -ENOSPC
 *	every call was such a one).
 * @ctx: passed to @fn.
 *
 * Entries with equal hashes (and those whose hashes differ only in the top
 * bit) are handed over in one batch. An entry present for the whole walk is
 * handed over exactly once. A call looks at a bounded number of buckets
 * (4096), so it may hand over no entry without being done.
 *
 * Context: any; takes and releases rcu_read_lock(). Lock-free.
 * Return: 0; -ENOSPC if the first entries due share a position and do not
 * fit in @room (nothing is handed over then); -EINVAL if @cursor is past
 * the end.
 */
int hmap_dump(struct hmap *map, u64 *cursor, bool *done, u32 room,
	      u32 *count, hmap_dump_fn fn, void *ctx)
{
	unsigned int scanned = 0;
	u64 pos = *cursor;
	u32 n = 0;
	int err = 0;

	*count = 0;
	*done = pos == HMAP_DUMP_END;
	if (pos >= HMAP_DUMP_END)
		return *done ? 0 : -EINVAL;
	rcu_read_lock();
	while (n < room && scanned++ < HMAP_DUMP_SCAN) {
		struct hmap_dump_ent ents[HMAP_DUMP_SORT];
		struct hmap_bucket *b;
		u32 group, got, i;
		unsigned int bits;
		u64 last, p;

		b = hmap_find_bucket_rcu(map, hmap_rev(pos << 1), &bits);
		/* The bucket's range: the positions with pos's top bits. */
		last = pos | (U64_MAX >> (bits + 1));
		/* The rest of the bucket's range at once, if it fits. */
		got = hmap_dump_collect_rcu(b, pos, last, ents,
					    min_t(u32, room - n, HMAP_DUMP_SORT));
		if (got <= min_t(u32, room - n, HMAP_DUMP_SORT)) {
			for (i = 0; i < got; i++)
				fn(ctx, n + i, hmap_elem_key(ents[i].e),
				   ents[i].e->key_len,
				   hmap_elem_value(ents[i].e),
				   ents[i].e->value_len);
			n += got;
			pos = last + 1;
			if (pos == HMAP_DUMP_END)
				break;
			continue;
		}
		/* Else a group of equal positions at a time. */
		group = hmap_dump_group_rcu(b, pos, last, &p);
		if (!group)
			continue;	/* emptied since: look again */
		if (group > room - n) {
			if (!n) {
				err = -ENOSPC;
				n = group;
			}
			break;
		}
		/* More than counted if the group grew since: see above. */
		got = hmap_dump_emit_rcu(b, p, n, room - n, fn, ctx);
		if (got > room - n) {
			if (!n) {
				err = -ENOSPC;
				n = max(group, got);
			}
			break;
		}
		n += got;
		pos = p + 1;
		if (pos == HMAP_DUMP_END)
			break;
	}
	rcu_read_unlock();
	*cursor = pos;
	*done = pos == HMAP_DUMP_END;
	*count = n;
	return err;
}
EXPORT_SYMBOL_GPL(hmap_dump);

/*
 * A keyed permutation of the 64-bit values: a four-round Feistel network on
 * 32-bit halves whose round function is SipHash-2-4 under @key (Luby and
 * Rackoff: four rounds of a pseudo-random function make a strong
 * pseudo-random permutation). @inverse runs it backwards.
 */
static u64 hmap_feistel(const siphash_key_t *key, u64 x, bool inverse)
{
	u32 l = x >> 32, r = x, t;
	int i;

	for (i = 0; i < 4; i++) {
		if (!inverse) {
			t = r;
			r = l ^ (u32)siphash_2u32(r, i, key);
			l = t;
		} else {
			t = l;
			l = r ^ (u32)siphash_2u32(l, 3 - i, key);
			r = t;
		}
	}
	return (u64)l << 32 | r;
}

/**
 * hmap_dump_cursor_encode() - the opaque cursor of a dump position
 * @map: the map.
 * @pos: a position hmap_dump() left in its @cursor (0..2^63).
 *
 * Dump positions are hash bits, which must not leave the kernel (the
 * kernel's siphash documentation: outputs of its reduced variants must not
 * be exposed; with them anyone could choose colliding keys). The cursor is
 * a keyed permutation of the position under the map's own random key,
 * shifted so that position 0 stays cursor 0: it tells nothing of any hash,
 * and two maps holding the same keys give different cursors.
 *
 * Context: any.
 * Return: the cursor.
 */
u64 hmap_dump_cursor_encode(const struct hmap *map, u64 pos)
{
	return hmap_feistel(&map->cursor_key, pos, false) ^
	       hmap_feistel(&map->cursor_key, 0, false);
}
EXPORT_SYMBOL_GPL(hmap_dump_cursor_encode);

/**
 * hmap_dump_cursor_decode() - the dump position of an opaque cursor
 * @map: the map.
 * @cursor: a cursor from hmap_dump_cursor_encode() of this map, or 0.
 * @pos: gets the position, for hmap_dump().
 *
 * Context: any.
 * Return: 0; -EINVAL if @cursor is no cursor of this map (it names no
 * position: about half of all 64-bit values do not).
 */
int hmap_dump_cursor_decode(const struct hmap *map, u64 cursor, u64 *pos)
{
	u64 p = hmap_feistel(&map->cursor_key,
			     cursor ^ hmap_feistel(&map->cursor_key, 0, false),
			     true);

	if (p > HMAP_DUMP_END)
		return -EINVAL;
	*pos = p;
	return 0;
}
EXPORT_SYMBOL_GPL(hmap_dump_cursor_decode);
