// SPDX-License-Identifier: GPL-2.0
/*
 * The differential model: operations applied to the real map and to an
 * array of key states, every result checked. Shared by the native tests
 * (hmap_test.c, random operations) and the fuzz target (hmap_fuzz.c,
 * operations decoded from the input).
 *
 * What is checked, beyond each result and value: the entry count and the
 * counters (hmap_get_stats()), the histogram, that an iterator walk and a
 * dump walk return every key present for the whole walk exactly once, no
 * key twice, never a key absent for the whole walk, in hash order; that
 * dump cursors survive encoding; that -ENOMEM leaves the map as it was;
 * and, when the map is destroyed, that every counter and every allocation
 * came back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/err.h>
#include <linux/hmap.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "hmap_model.h"
#include "hmap_shim.h"

bool hm_abort_on_failure;

/* Dump batches are collected here; larger rooms are clamped. */
#define HM_DUMP_ROOM_MAX	256

void __hm_fail(struct hm_ctx *c, const char *file, int line,
	       const char *fmt, ...)
{
	va_list ap;

	c->failures++;
	if (c->failures <= 10) {
		fprintf(stderr, "FAIL %s:%d: op %llu: ", file, line,
			(unsigned long long)c->ops);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	if (!c->first_failure)
		c->first_failure = fmt;
	if (hm_abort_on_failure)
		abort();
}

static u64 hm_mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static u64 hm_rev(u64 x)
{
	x = ((x >> 1) & 0x5555555555555555ULL) | ((x & 0x5555555555555555ULL) << 1);
	x = ((x >> 2) & 0x3333333333333333ULL) | ((x & 0x3333333333333333ULL) << 2);
	x = ((x >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((x & 0x0f0f0f0f0f0f0f0fULL) << 4);
	return __builtin_bswap64(x);
}

/* The fewest bytes that hold @id. */
static u32 hm_id_bytes(u32 id)
{
	return id < 0x100 ? 1 : id < 0x10000 ? 2 : id < 0x1000000 ? 3 : 4;
}

u32 hm_key(const struct hm_ctx *c, u32 id, u8 *buf)
{
	u32 min = hm_id_bytes(id), len, i;
	u64 m = hm_mix(id ^ 0x6b6579ULL);

	len = min + m % (c->cfg.key_size - min + 1);
	for (i = 0; i < len; i++) {
		if (i < 4)
			buf[i] = id >> (8 * i);
		else
			buf[i] = hm_mix(m + i / 8) >> (8 * (i % 8));
	}
	return len;
}

/* The id of a key the map handed back, or -1 if it is no key of ours. */
static long hm_key_id(const struct hm_ctx *c, const u8 *key, u32 len)
{
	u32 id = 0, i;
	u8 *buf = c->kbuf + c->cfg.key_size + 1;

	if (!len || len > c->cfg.key_size)
		return -1;
	for (i = 0; i < len && i < 4; i++)
		id |= (u32)key[i] << (8 * i);
	if (id >= c->cfg.nids || hm_key(c, id, buf) != len ||
	    memcmp(buf, key, len))
		return -1;
	return id;
}

/* Version @ver of key @id's value, into @buf; returns its length. */
static u32 hm_value(const struct hm_ctx *c, u32 id, u32 ver, u8 *buf)
{
	u64 m = hm_mix(((u64)id << 16) ^ ver ^ 0x76616cULL << 40);
	u32 len = m % (c->cfg.value_size + 1), i;

	for (i = 0; i < len; i++)
		buf[i] = hm_mix(m + i / 8) >> (8 * (i % 8));
	return len;
}

static bool hm_value_ok(struct hm_ctx *c, u32 id, const u8 *val, u32 len)
{
	u32 want = hm_value(c, id, c->keys[id].ver, c->vbuf2);

	return len == want && !memcmp(val, c->vbuf2, len);
}

/* ---- The chosen-hash function ---- */

static struct hm_ctx *hm_hash_ctx;

/*
 * Keys fall into cfg.hashes classes of equal hashes; with an odd number
 * of classes the low 12 bits are 0 too, so that every key is in bucket 0
 * up to 4096 buckets and chains are long.
 */
static u64 hm_chosen_hash(const void *key, u32 key_len)
{
	struct hm_ctx *c = hm_hash_ctx;
	long id = hm_key_id(c, key, key_len);
	u64 h;

	if (id < 0)
		return 0;
	h = hm_mix((u64)id % c->cfg.hashes + 0x68617368ULL);
	if (c->cfg.hashes & 1)
		h &= ~0xfffULL;
	return h;
}

/* ---- Set-up and teardown ---- */

static long hm_baseline_allocs;

int hm_init(struct hm_ctx *c, const struct hm_config *cfg)
{
	struct hmap_params p = {
		.key_size = cfg->key_size,
		.value_size = cfg->value_size,
		.max_entries = cfg->max_entries,
		.capacity_hint = cfg->capacity_hint,
		.flags = cfg->flags,
	};
	struct hmap_global_stats gs;

	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	hmap_shim_fail_allocs(0, 0);
	/* Ids must fit in the shortest key. */
	if (c->cfg.key_size < 4 &&
	    c->cfg.nids > 1U << (8 * c->cfg.key_size))
		c->cfg.nids = 1U << (8 * c->cfg.key_size);
	if (!c->cfg.nids)
		c->cfg.nids = 1;
	hmap_flush_frees();
	hmap_global_stats(&gs);
	if (gs.maps || gs.arrays || gs.elems || gs.overflow || gs.bytes) {
		fprintf(stderr, "global counters not zero before the map\n");
		return -EINVAL;
	}
	hm_baseline_allocs = hmap_shim_live_allocs();
	if (cfg->seed)
		hmap_shim_seed_random(cfg->seed);
	c->keys = calloc(c->cfg.nids, sizeof(*c->keys));
	c->kbuf = malloc(2 * (c->cfg.key_size + 1));
	c->vbuf = malloc(c->cfg.value_size + 1);
	c->vbuf2 = malloc(c->cfg.value_size + 1);
	if (!c->keys || !c->kbuf || !c->vbuf || !c->vbuf2)
		return -ENOMEM;
	c->map = hmap_create(&p);
	if (IS_ERR(c->map)) {
		int err = PTR_ERR(c->map);

		fprintf(stderr, "hmap_create(): %d\n", err);
		c->map = NULL;
		return err;
	}
	if (!cfg->background)
		hmap_test_set_background(c->map, false);
	if (cfg->hashes) {
		hm_hash_ctx = c;
		hmap_test_set_hash(c->map, hm_chosen_hash);
	}
	return 0;
}

static void hm_iter_stop(struct hm_ctx *c)
{
	if (c->iw.on)
		hmap_iter_stop(&c->iter);
	c->iw.on = false;
}

void hm_fini(struct hm_ctx *c)
{
	struct hmap_global_stats gs;
	long live;

	/* A run may end with an op that armed the fault injection. */
	c->inject = false;
	hmap_shim_fail_allocs(0, 0);
	if (c->map) {
		hm_iter_stop(c);
		hm_check_all(c);
		hmap_destroy(c->map);
		c->map = NULL;
		hmap_flush_frees();
		hmap_global_stats(&gs);
		if (gs.maps || gs.arrays || gs.elems || gs.overflow || gs.bytes)
			hm_fail(c,
				"after destroy: maps %ld arrays %ld elems %ld overflow %ld bytes %ld",
				gs.maps, gs.arrays, gs.elems, gs.overflow,
				gs.bytes);
		live = hmap_shim_live_allocs();
		if (live != hm_baseline_allocs)
			hm_fail(c, "after destroy: %ld allocations not freed",
				live - hm_baseline_allocs);
	}
	if (hm_hash_ctx == c)
		hm_hash_ctx = NULL;
	free(c->keys);
	free(c->kbuf);
	free(c->vbuf);
	free(c->vbuf2);
	c->keys = NULL;
}

/* ---- Checks ---- */

void hm_check_all(struct hm_ctx *c)
{
	struct hmap_params p;
	struct hmap_stats st;
	u32 id, klen, vlen;
	int err;

	/* Tables retired by a resize or a clear free their elements later. */
	hmap_flush_frees();
	for (id = 0; id < c->cfg.nids; id++) {
		klen = hm_key(c, id, c->kbuf);
		err = hmap_lookup(c->map, c->kbuf, klen, c->vbuf, &vlen);
		if (c->keys[id].live) {
			if (err)
				hm_fail(c, "check: key %u missing (%d)", id, err);
			else if (!hm_value_ok(c, id, c->vbuf, vlen))
				hm_fail(c, "check: key %u has a wrong value", id);
		} else if (err != -ENOENT) {
			hm_fail(c, "check: key %u present (%d), deleted", id, err);
		}
	}
	if (hmap_count(c->map) != c->count)
		hm_fail(c, "count %llu, model %llu",
			(unsigned long long)hmap_count(c->map),
			(unsigned long long)c->count);
	hmap_get_stats(c->map, &st);
	if (st.count != c->count)
		hm_fail(c, "stats count %llu, model %llu",
			(unsigned long long)st.count,
			(unsigned long long)c->count);
	if (st.lookups != st.hits + st.misses)
		hm_fail(c, "lookups != hits + misses");
	if (st.elems_alloced - st.elems_freed != c->count)
		hm_fail(c, "elements alloced %llu - freed %llu != count %llu",
			(unsigned long long)st.elems_alloced,
			(unsigned long long)st.elems_freed,
			(unsigned long long)c->count);
	if (st.overflow_alloced - st.overflow_freed < st.noverflow)
		hm_fail(c, "overflow buckets: %llu live, %llu in the array",
			(unsigned long long)(st.overflow_alloced -
					     st.overflow_freed),
			(unsigned long long)st.noverflow);
	if (st.resizing == HMAP_RESIZE_NONE && (st.old_B || st.nevacuate))
		hm_fail(c, "old_B %u nevacuate %llu without a resize",
			st.old_B, (unsigned long long)st.nevacuate);
	if (st.resizing > HMAP_RESIZE_SHRINK)
		hm_fail(c, "resizing %u", st.resizing);
	if (st.resizing != HMAP_RESIZE_NONE && st.nevacuate >= 1ULL << st.old_B)
		hm_fail(c, "nevacuate %llu of %u old bits",
			(unsigned long long)st.nevacuate, st.old_B);
	if (!st.bytes)
		hm_fail(c, "no bytes counted");
	hmap_get_params(c->map, &p);
	if (p.key_size != c->cfg.key_size || p.value_size != c->cfg.value_size ||
	    p.max_entries != c->cfg.max_entries || p.flags != c->cfg.flags ||
	    p.capacity_hint != min(c->cfg.capacity_hint, c->cfg.max_entries))
		hm_fail(c, "hmap_get_params() differs from the creation's");
	if (hmap_max_bytes(&p) < (u64)p.max_entries * (p.key_size + p.value_size))
		hm_fail(c, "hmap_max_bytes() %zu below the entries' bytes",
			hmap_max_bytes(&p));
}

/* The map's shape did not change between two hmap_get_stats(). */
static bool hm_same_shape(const struct hmap_stats *a, const struct hmap_stats *b)
{
	return a->B == b->B && a->resizing == b->resizing &&
	       a->nevacuate == b->nevacuate && a->noverflow == b->noverflow &&
	       a->count == b->count;
}

static void hm_check_histogram(struct hm_ctx *c)
{
	struct hmap_histogram h;
	struct hmap_stats st0, st;
	u64 entries = 0, chains = 0, slots = 0;
	unsigned int i, tries;

	/*
	 * The histogram and the statistics are two snapshots, each under the
	 * map's lock: the background worker may move buckets, end a resize
	 * or start one between them. Compare only a histogram taken while
	 * the statistics before and after it agree.
	 */
	for (tries = 0;; tries++) {
		hmap_get_stats(c->map, &st0);
		if (hmap_get_histogram(c->map, &h))
			hm_fail(c, "hmap_get_histogram() failed");
		hmap_get_stats(c->map, &st);
		if (hm_same_shape(&st0, &st))
			break;
		if (tries == 1000) {
			hm_fail(c, "histogram: the map never held still");
			return;
		}
	}
	for (i = 0; i <= HMAP_BUCKET_SLOTS_ABI; i++) {
		entries += (u64)i * h.slots[i];
		slots += h.slots[i];
	}
	for (i = 0; i <= HMAP_HIST_CHAIN_MAX; i++)
		chains += h.chains[i];
	if (h.buckets != 1ULL << st.B || chains != h.buckets)
		hm_fail(c, "histogram: %llu buckets, %llu chains, B %u",
			(unsigned long long)h.buckets,
			(unsigned long long)chains, st.B);
	if (slots != h.buckets + st.noverflow)
		hm_fail(c, "histogram: %llu buckets counted, %llu + %llu overflow",
			(unsigned long long)slots,
			(unsigned long long)h.buckets,
			(unsigned long long)st.noverflow);
	if (st.resizing == HMAP_RESIZE_NONE && entries != c->count)
		hm_fail(c, "histogram: %llu entries, count %llu",
			(unsigned long long)entries,
			(unsigned long long)c->count);
}

/* Key @id was present, unchanged, since op @start. */
static bool hm_stable_since(const struct hm_ctx *c, u32 id, u64 start)
{
	return c->keys[id].live && c->keys[id].changed < start;
}

/* Key @id was absent, unchanged, since op @start. */
static bool hm_absent_since(const struct hm_ctx *c, u32 id, u64 start)
{
	return !c->keys[id].live && c->keys[id].changed < start;
}

static u8 *hm_seen(struct hm_ctx *c, struct hm_walk *w, u32 id)
{
	struct hm_key_state *k = &c->keys[id];
	bool dump = w == &c->dw;
	u32 *gen = dump ? &k->dump_gen : &k->iter_gen;
	u8 *seen = dump ? &k->dump_seen : &k->iter_seen;

	if (*gen != w->gen) {
		*gen = w->gen;
		*seen = 0;
	}
	return seen;
}

static void hm_walk_begin(struct hm_ctx *c, struct hm_walk *w)
{
	w->on = true;
	w->gen++;
	w->start = c->ops;
	w->stable = c->count;
	w->stable_seen = 0;
}

/* Key @id is about to be inserted or deleted: a stable key is no more. */
static void hm_key_changes(struct hm_ctx *c, u32 id)
{
	struct hm_walk *walks[] = { &c->iw, &c->dw }, *w;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(walks); i++) {
		w = walks[i];
		if (!w->on || !hm_stable_since(c, id, w->start))
			continue;
		w->stable--;
		if (*hm_seen(c, w, id))
			w->stable_seen--;
	}
}

/* An entry a walk handed back: a key of ours, not absent, a right value. */
static long hm_walk_entry(struct hm_ctx *c, struct hm_walk *w,
			  const char *walk, const u8 *key, u32 klen,
			  const u8 *val, u32 vlen)
{
	long id = hm_key_id(c, key, klen);
	u8 *seen;

	if (id < 0) {
		hm_fail(c, "%s: returned a key never inserted (len %u)", walk,
			klen);
		return -1;
	}
	if (hm_absent_since(c, id, w->start))
		hm_fail(c, "%s: returned key %ld, absent all the walk", walk, id);
	else if (hm_stable_since(c, id, w->start) &&
		 c->keys[id].updated < w->start && !hm_value_ok(c, id, val, vlen))
		hm_fail(c, "%s: key %ld with a wrong value", walk, id);
	seen = hm_seen(c, w, id);
	if (++*seen > 1)
		hm_fail(c, "%s: key %ld returned twice", walk, id);
	else if (hm_stable_since(c, id, w->start))
		w->stable_seen++;
	return id;
}

static void hm_walk_end(struct hm_ctx *c, struct hm_walk *w, const char *walk)
{
	u32 id;

	w->on = false;
	w->walks++;
	if (w->stable == w->stable_seen)
		return;
	for (id = 0; id < c->cfg.nids; id++) {
		u8 seen = *hm_seen(c, w, id);

		if (hm_stable_since(c, id, w->start) && seen != 1)
			hm_fail(c, "%s: key %u, present all the walk, returned %u times",
				walk, id, seen);
	}
	hm_fail(c, "%s: %llu keys present all the walk, %llu returned", walk,
		(unsigned long long)w->stable,
		(unsigned long long)w->stable_seen);
}

/* ---- The iterator walk ---- */

static void hm_iter_start(struct hm_ctx *c)
{
	int err;

	hm_iter_stop(c);
	err = hmap_iter_start(c->map, &c->iter);
	if (err) {
		if (!(c->inject && err == -ENOMEM))
			hm_fail(c, "hmap_iter_start(): %d", err);
		return;
	}
	hm_walk_begin(c, &c->iw);
	c->iter_have_last = false;
}

/* Compare (reversed hash, key) positions as the iterator orders them. */
static int hm_iter_cmp(const struct hm_ctx *c, u64 ra, u32 ida, u64 rb, u32 idb)
{
	u8 *a = c->kbuf + c->cfg.key_size + 1, b[HMAP_KEY_SIZE_MAX];
	u32 la, lb;
	int d;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	lb = hm_key(c, idb, b);
	la = hm_key(c, ida, a);
	d = memcmp(a, b, min(la, lb));
	if (d)
		return d;
	return la < lb ? -1 : la > lb;
}

static void hm_iter_step(struct hm_ctx *c, u32 steps)
{
	u32 klen, vlen;
	long id;
	int err;

	if (!c->iw.on)
		hm_iter_start(c);
	while (c->iw.on && steps--) {
		u64 r;

		err = hmap_iter_next(&c->iter, c->kbuf, &klen, c->vbuf, &vlen);
		if (err == -ENOENT) {
			/* And stays at the end. */
			if (hmap_iter_next(&c->iter, c->kbuf, &klen, NULL,
					   NULL) != -ENOENT)
				hm_fail(c, "iterator: an entry after the end");
			hm_iter_stop(c);
			hm_walk_end(c, &c->iw, "iterator");
			return;
		}
		if (err) {
			hm_fail(c, "hmap_iter_next(): %d", err);
			hm_iter_stop(c);
			return;
		}
		id = hm_walk_entry(c, &c->iw, "iterator", c->kbuf, klen,
				   c->vbuf, vlen);
		if (id < 0)
			continue;
		r = hm_rev(hmap_hash(c->map, c->kbuf, klen));
		if (c->iter_have_last &&
		    hm_iter_cmp(c, r, id, c->iter_last_r, c->iter_last_id) <= 0)
			hm_fail(c, "iterator: key %ld out of order", id);
		c->iter_last_r = r;
		c->iter_last_id = id;
		c->iter_have_last = true;
	}
}

/* ---- The dump walk ---- */

struct hm_dump_batch {
	struct hm_ctx *c;
	u32 room;
	u32 calls;
	u32 len[HM_DUMP_ROOM_MAX];
	u32 vlen[HM_DUMP_ROOM_MAX];
	u8 *keys;	/* room * key_size */
	u8 *vals;	/* room * value_size */
	bool bad_index;
};

static void hm_dump_fn(void *ctx, u32 i, const void *key, u32 key_len,
		       const void *value, u32 value_len)
{
	struct hm_dump_batch *b = ctx;
	struct hm_ctx *c = b->c;

	b->calls++;
	if (i >= b->room || key_len > c->cfg.key_size ||
	    value_len > c->cfg.value_size) {
		b->bad_index = true;
		return;
	}
	b->len[i] = key_len;
	b->vlen[i] = value_len;
	memcpy(b->keys + (size_t)i * c->cfg.key_size, key, key_len);
	memcpy(b->vals + (size_t)i * c->cfg.value_size, value, value_len);
}

static void hm_dump_step(struct hm_ctx *c, u32 room)
{
	struct hm_dump_batch *b;
	u64 cursor, pos, prev;
	u32 count, i;
	bool done;
	int err;

	if (!c->dw.on) {
		hm_walk_begin(c, &c->dw);
		c->dump_cursor = 0;
		c->dump_last_pos = 0;
	}
	room = clamp(room, 1U, (u32)HM_DUMP_ROOM_MAX);
	b = calloc(1, sizeof(*b));
	b->keys = malloc((size_t)HM_DUMP_ROOM_MAX * c->cfg.key_size);
	b->vals = malloc((size_t)HM_DUMP_ROOM_MAX * c->cfg.value_size);
	b->c = c;
again:
	b->room = room;
	b->calls = 0;
	cursor = c->dump_cursor;
	err = hmap_dump(c->map, &cursor, &done, room, &count, hm_dump_fn, b);
	if (b->bad_index)
		hm_fail(c, "dump: an entry past the room or too long");
	/*
	 * -ENOSPC hands nothing over; the cursor may move past empty
	 * buckets, up to the group that did not fit.
	 */
	if (err == -ENOSPC) {
		if (cursor < c->dump_cursor || count <= room || b->calls > room)
			hm_fail(c, "dump: -ENOSPC moved the cursor back or asked for %u of %u",
				count, room);
		c->dump_cursor = cursor;
		if (count > room && count <= HM_DUMP_ROOM_MAX) {
			room = count;
			goto again;
		}
		goto out;
	}
	if (err) {
		hm_fail(c, "hmap_dump(): %d", err);
		goto out;
	}
	if (count > room || cursor < c->dump_cursor)
		hm_fail(c, "dump: %u entries in room %u, cursor went back", count,
			room);
	prev = c->dump_last_pos;
	for (i = 0; i < count && i < room; i++) {
		const u8 *key = b->keys + (size_t)i * c->cfg.key_size;
		long kid = hm_walk_entry(c, &c->dw, "dump", key, b->len[i],
					 b->vals + (size_t)i * c->cfg.value_size,
					 b->vlen[i]);

		if (kid < 0)
			continue;
		pos = hm_rev(hmap_hash(c->map, key, b->len[i])) >> 1;
		if (pos < prev || pos < c->dump_cursor || pos >= cursor)
			hm_fail(c,
				"dump: key %ld at %llx out of order (after %llx, cursor %llx..%llx)",
				kid, (unsigned long long)pos,
				(unsigned long long)prev,
				(unsigned long long)c->dump_cursor,
				(unsigned long long)cursor);
		prev = pos;
	}
	c->dump_last_pos = prev;
	/* The cursor user space would see decodes to the same position. */
	if (hmap_dump_cursor_decode(c->map,
				    hmap_dump_cursor_encode(c->map, cursor),
				    &pos) || pos != cursor)
		hm_fail(c, "dump: cursor %llx does not survive encoding",
			(unsigned long long)cursor);
	c->dump_cursor = cursor;
	if (done)
		hm_walk_end(c, &c->dw, "dump");
out:
	free(b->keys);
	free(b->vals);
	free(b);
}

/* ---- Writes ---- */

static void hm_update(struct hm_ctx *c, u32 id, u64 flags)
{
	struct hm_key_state *k = &c->keys[id];
	u32 klen = hm_key(c, id, c->kbuf);
	u32 vlen = hm_value(c, id, (u16)(k->ver + 1), c->vbuf);
	int want, err;

	if (flags == HMAP_NOEXIST && k->live)
		want = -EEXIST;
	else if (flags == HMAP_EXIST && !k->live)
		want = -ENOENT;
	else if (!k->live && c->count >= c->cfg.max_entries)
		want = -E2BIG;
	else
		want = 0;
	err = hmap_update(c->map, c->kbuf, klen, c->vbuf, vlen, flags);
	if (err == -ENOMEM && c->inject)
		return;
	if (err != want) {
		hm_fail(c, "update key %u flags %llu: %d, want %d", id,
			(unsigned long long)flags, err, want);
		return;
	}
	if (err)
		return;
	k->ver++;
	if (k->live) {
		k->updated = c->ops;
	} else {
		hm_key_changes(c, id);
		k->live = true;
		k->changed = c->ops;
		c->count++;
	}
}

static void hm_delete(struct hm_ctx *c, u32 id)
{
	struct hm_key_state *k = &c->keys[id];
	u32 klen = hm_key(c, id, c->kbuf);
	int want = k->live ? 0 : -ENOENT;
	int err = hmap_delete(c->map, c->kbuf, klen);

	if (err == -ENOMEM && c->inject)
		return;
	if (err != want) {
		hm_fail(c, "delete key %u: %d, want %d", id, err, want);
		return;
	}
	if (!err) {
		hm_key_changes(c, id);
		k->live = false;
		k->changed = c->ops;
		c->count--;
	}
}

static void hm_lookup(struct hm_ctx *c, u32 id, bool in_place)
{
	u32 klen = hm_key(c, id, c->kbuf), vlen = 0;
	bool found;
	int err = 0;

	if (in_place) {
		const u8 *v;

		rcu_read_lock();
		v = hmap_lookup_rcu(c->map, c->kbuf, klen, &vlen);
		found = v;
		if (v && c->keys[id].live && !hm_value_ok(c, id, v, vlen))
			hm_fail(c, "lookup_rcu key %u: wrong value", id);
		rcu_read_unlock();
	} else {
		err = hmap_lookup(c->map, c->kbuf, klen, c->vbuf, &vlen);
		found = !err;
		if (err && err != -ENOENT)
			hm_fail(c, "lookup key %u: %d", id, err);
		if (found && c->keys[id].live &&
		    !hm_value_ok(c, id, c->vbuf, vlen))
			hm_fail(c, "lookup key %u: wrong value", id);
	}
	if (found != c->keys[id].live)
		hm_fail(c, "lookup key %u: %s, model says %s", id,
			found ? "found" : "missing",
			c->keys[id].live ? "present" : "absent");
}

/* Calls with a length or flag out of range: -EINVAL, nothing changes. */
static void hm_bad_args(struct hm_ctx *c, u32 id, u32 how)
{
	u32 klen = hm_key(c, id, c->kbuf), vlen = 0;
	u32 ks = c->cfg.key_size, vs = c->cfg.value_size;
	int err;

	memset(c->kbuf + klen, 0x5a, ks + 1 - klen);
	switch (how % 9) {
	case 0:
		err = hmap_update(c->map, c->kbuf, 0, c->vbuf, 0, HMAP_ANY);
		break;
	case 1:
		err = hmap_update(c->map, c->kbuf, ks + 1, c->vbuf, 0, HMAP_ANY);
		break;
	case 2:
		memset(c->vbuf, 0, vs + 1);
		err = hmap_update(c->map, c->kbuf, klen, c->vbuf, vs + 1,
				  HMAP_ANY);
		break;
	case 3:
		err = hmap_update(c->map, c->kbuf, klen, c->vbuf, 0,
				  HMAP_EXIST + 1 + how / 9);
		break;
	case 4:
		err = hmap_lookup(c->map, c->kbuf, how & 8 ? 0 : ks + 1,
				  c->vbuf, &vlen);
		break;
	case 5:
		err = hmap_delete(c->map, c->kbuf, how & 8 ? 0 : ks + 1);
		break;
	case 6:
		rcu_read_lock();
		err = hmap_lookup_rcu(c->map, c->kbuf, how & 8 ? 0 : ks + 1,
				      &vlen) ? 0 : -EINVAL;
		rcu_read_unlock();
		break;
	case 7: {
		/* A dump cursor past the end. */
		u64 cursor = (1ULL << 63) + 1 + how;
		bool done;
		u32 count;

		err = hmap_dump(c->map, &cursor, &done, 1, &count, NULL, NULL);
		break;
	}
	default: {
		/* Parameters out of range, one field at a time. */
		struct hmap_params p = {
			.key_size = ks, .value_size = vs, .max_entries = 1,
		};
		struct hmap *map;

		switch (how / 9 % 4) {
		case 0:
			p.key_size = how & 16 ? 0 : HMAP_KEY_SIZE_MAX + 1;
			break;
		case 1:
			p.value_size = how & 16 ? 0 : HMAP_VALUE_SIZE_MAX + 1;
			break;
		case 2:
			p.max_entries = how & 16 ? 0 : HMAP_MAX_ENTRIES_MAX + 1;
			break;
		default:
			p.key_size = 0;
			break;
		}
		map = hmap_create(&p);
		err = IS_ERR(map) ? PTR_ERR(map) : 0;
		if (!IS_ERR(map))
			hmap_destroy(map);
		if (hmap_max_bytes(&p))
			hm_fail(c, "hmap_max_bytes() of bad parameters");
		break;
	}
	}
	if (err != -EINVAL && !(err == -ENOMEM && c->inject))
		hm_fail(c, "bad arguments (%u): %d, want -EINVAL", how % 9, err);
}

static void hm_clear(struct hm_ctx *c)
{
	int err = hmap_clear(c->map);
	u32 id;

	if (err == -ENOMEM && c->inject)
		return;
	if (err) {
		hm_fail(c, "clear: %d", err);
		return;
	}
	for (id = 0; id < c->cfg.nids; id++) {
		if (c->keys[id].live) {
			hm_key_changes(c, id);
			c->keys[id].live = false;
			c->keys[id].changed = c->ops;
		}
	}
	c->count = 0;
}

/*
 * The B hmap_shrink_to_fit() must leave for @count entries: the smallest
 * whose load holds them (more than a bucket's 8 slots, over 6.5 a bucket).
 */
static u32 hm_fit_B(u64 count)
{
	u32 bits = 0;

	while (bits < HMAP_B_MAX && count > HMAP_BUCKET_SLOTS &&
	       count * HMAP_LOAD_DEN > (u64)HMAP_LOAD_NUM << bits)
		bits++;
	return bits;
}

/*
 * A map just fitted is fitted: a second call, nothing written between,
 * starts no resize (it used to rebuild any table with overflow buckets,
 * even one its own resize had just built, every time it was called).
 */
static void hm_shrink_to_fit_again(struct hm_ctx *c,
				   const struct hmap_stats *was)
{
	struct hmap_stats st;
	int err = hmap_shrink_to_fit(c->map);

	if (err == -ENOMEM && c->inject)
		return;
	hmap_get_stats(c->map, &st);
	if (err || st.grows != was->grows ||
	    st.same_size_grows != was->same_size_grows ||
	    st.shrinks != was->shrinks)
		hm_fail(c,
			"shrink_to_fit again: %d, resizes started %llu %llu %llu (grow, same-size, shrink), were %llu %llu %llu; B %u, count %llu, %llu overflow buckets",
			err, (unsigned long long)st.grows,
			(unsigned long long)st.same_size_grows,
			(unsigned long long)st.shrinks,
			(unsigned long long)was->grows,
			(unsigned long long)was->same_size_grows,
			(unsigned long long)was->shrinks, st.B,
			(unsigned long long)st.count,
			(unsigned long long)st.noverflow);
}

static void hm_shrink_to_fit(struct hm_ctx *c)
{
	struct hmap_stats st;
	int err = hmap_shrink_to_fit(c->map);

	if (err == -ENOMEM && c->inject)
		return;
	if (err) {
		hm_fail(c, "shrink_to_fit: %d", err);
		return;
	}
	hmap_get_stats(c->map, &st);
	/* The worker may start a resize of its own once the call is done. */
	if (c->cfg.background)
		return;
	if (st.resizing != HMAP_RESIZE_NONE)
		hm_fail(c,
			"shrink_to_fit left a resize in progress: kind %u, B %u from %u, count %llu, %llu overflow buckets",
			st.resizing, st.B, st.old_B,
			(unsigned long long)st.count,
			(unsigned long long)st.noverflow);
	else if (st.B != hm_fit_B(st.count))
		hm_fail(c, "shrink_to_fit left B %u for %llu entries, want %u",
			st.B, (unsigned long long)st.count,
			hm_fit_B(st.count));
	else
		hm_shrink_to_fit_again(c, &st);
}

void hm_apply(struct hm_ctx *c, const struct hm_op *op)
{
	u32 id = op->id % c->cfg.nids, i;

	c->ops++;
	switch (op->kind % HM_NR_OPS) {
	case HM_UPDATE_ANY:
		hm_update(c, id, HMAP_ANY);
		break;
	case HM_UPDATE_NOEXIST:
		hm_update(c, id, HMAP_NOEXIST);
		break;
	case HM_UPDATE_EXIST:
		hm_update(c, id, HMAP_EXIST);
		break;
	case HM_DELETE:
		hm_delete(c, id);
		break;
	case HM_LOOKUP:
		hm_lookup(c, id, false);
		break;
	case HM_LOOKUP_RCU:
		hm_lookup(c, id, true);
		break;
	case HM_BAD_ARGS:
		hm_bad_args(c, id, op->arg);
		break;
	case HM_CLEAR:
		hm_clear(c);
		break;
	case HM_SHRINK_TO_FIT:
		hm_shrink_to_fit(c);
		break;
	case HM_BACKGROUND:
		hmap_test_run_background(c->map);
		break;
	case HM_ITER_START:
		hm_iter_start(c);
		break;
	case HM_ITER_STEP:
		hm_iter_step(c, op->arg % 64 + 1);
		break;
	case HM_DUMP_STEP:
		hm_dump_step(c, op->arg % 64 + 1);
		break;
	case HM_CHECK:
		hm_check_all(c);
		break;
	case HM_FAIL_NEXT:
		/* Armed here, used by the next op: see below. */
		c->inject = true;
		hmap_shim_fail_allocs(op->arg % 4, op->arg2 % 3 + 1);
		return;
	case HM_BULK_INSERT:
		for (i = 0; i < op->arg % 1024; i++)
			hm_update(c, (id + i) % c->cfg.nids, HMAP_ANY);
		break;
	case HM_BULK_DELETE:
		for (i = 0; i < op->arg % 1024; i++)
			hm_delete(c, (id + i) % c->cfg.nids);
		break;
	case HM_HISTOGRAM:
		hm_check_histogram(c);
		break;
	}
	if (c->inject) {
		c->inject = false;
		hmap_shim_fail_allocs(0, 0);
	}
}

/*
 * Random ops, mostly writes and lookups; @grow says whether inserts
 * outweigh deletes (waves of both make the map grow and shrink).
 */
void hm_random_op(struct hm_ctx *c, u64 (*rnd)(void *), void *rs,
		  struct hm_op *op, bool grow)
{
	u64 r = rnd(rs);
	u32 w = r % 1000;

	op->id = (r >> 10) % c->cfg.nids;
	op->arg = r >> 40;
	op->arg2 = r >> 52;
	if (w < (grow ? 450U : 100U))
		op->kind = w % 3 == 0 ? HM_UPDATE_NOEXIST : HM_UPDATE_ANY;
	else if (w < 550)
		op->kind = HM_DELETE;
	else if (w < 700)
		op->kind = HM_LOOKUP;
	else if (w < 820)
		op->kind = HM_LOOKUP_RCU;
	else if (w < 850)
		op->kind = HM_UPDATE_EXIST;
	else if (w < 900)
		op->kind = HM_ITER_STEP;
	else if (w < 950)
		op->kind = HM_DUMP_STEP;
	else if (w < 965)
		op->kind = HM_FAIL_NEXT;
	else if (w < 975)
		op->kind = HM_BAD_ARGS;
	else if (w < 985)
		op->kind = HM_BACKGROUND;
	else if (w < 990)
		op->kind = HM_HISTOGRAM;
	else if (w < 993)
		op->kind = HM_SHRINK_TO_FIT;
	else if (w < 996)
		op->kind = HM_ITER_START;
	else if (w < 999)
		op->kind = grow ? HM_BULK_INSERT : HM_BULK_DELETE;
	else
		op->kind = r >> 63 ? HM_CLEAR : HM_CHECK;
}
