// SPDX-License-Identifier: GPL-2.0
/*
 * hmap debugfs: counters an operator can read, under /sys/kernel/debug/hmap/.
 *
 *   hmap/stats                 all maps: live maps, bytes, failures, leaks
 *   hmap/<name>/stats          one map, every counter, human-readable
 *   hmap/<name>/<counter>      one counter per file
 *   hmap/<name>/histogram      bucket occupancy and overflow chain lengths
 *
 * Named maps appear by name, anonymous ones as anon:<id>; a named map that
 * was destroyed while fds still use it is renamed destroyed:<id> (':' is
 * not allowed in names, so these never collide with one). debugfs
 * is not ABI: scripts should use HMAP_IOC_STATS or `hmapctl stats -j`.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/stddef.h>

#include "hmap_debugfs.h"
#include "hmap_registry.h"

static struct dentry *hmap_debugfs_root;

/* A counter of struct hmap_stats shown in a file of its own. */
struct hmap_debugfs_counter {
	const char *name;
	size_t offset;
	bool is_u32;
};

#define HMAP_U64(field, file) \
	{ file, offsetof(struct hmap_stats, field), false }
#define HMAP_U32(field, file) \
	{ file, offsetof(struct hmap_stats, field), true }

static const struct hmap_debugfs_counter hmap_debugfs_counters[] = {
	HMAP_U64(count, "entries"),
	HMAP_U32(B, "B"),
	HMAP_U64(noverflow, "overflow_buckets"),
	HMAP_U64(grows, "grows"),
	HMAP_U64(same_size_grows, "same_size_grows"),
	HMAP_U64(shrinks, "shrinks"),
	HMAP_U64(evacuated_by_writers, "evacuated_by_writers"),
	HMAP_U64(evacuated_by_background, "evacuated_by_background"),
	HMAP_U64(lookups, "lookups"),
	HMAP_U64(hits, "hits"),
	HMAP_U64(misses, "misses"),
	HMAP_U64(inserts, "inserts"),
	HMAP_U64(updates, "updates"),
	HMAP_U64(deletes, "deletes"),
	HMAP_U64(bytes, "bytes"),
	HMAP_U64(arrays_alloced, "arrays_alloced"),
	HMAP_U64(arrays_freed, "arrays_freed"),
	HMAP_U64(elems_alloced, "elems_alloced"),
	HMAP_U64(elems_freed, "elems_freed"),
	HMAP_U64(overflow_alloced, "overflow_alloced"),
	HMAP_U64(overflow_freed, "overflow_freed"),
	HMAP_U64(pending_frees, "pending_frees"),
	HMAP_U64(open_cursors, "open_cursors"),
	HMAP_U64(alloc_failures, "alloc_failures"),
};

static const char * const hmap_resize_names[] = {
	[HMAP_RESIZE_NONE] = "none",
	[HMAP_RESIZE_GROW] = "grow",
	[HMAP_RESIZE_SAME] = "same-size",
	[HMAP_RESIZE_SHRINK] = "shrink",
};

static u64 hmap_counter_value(const struct hmap_debugfs_counter *c,
			      const struct hmap_stats *st)
{
	const void *p = (const u8 *)st + c->offset;

	return c->is_u32 ? *(const u32 *)p : *(const u64 *)p;
}

/* Load factor in hundredths of an entry per bucket. */
static u64 hmap_load_x100(const struct hmap_stats *st)
{
	return div64_u64(st->count * 100, 1ULL << st->B);
}

static void hmap_show_resize(struct seq_file *m, const struct hmap_stats *st)
{
	seq_printf(m, "%s", hmap_resize_names[st->resizing]);
	if (st->resizing != HMAP_RESIZE_NONE)
		seq_printf(m, " B %u->%u nevacuate %llu/%llu", st->old_B,
			   st->B, st->nevacuate, 1ULL << st->old_B);
	seq_putc(m, '\n');
}

static int hmap_stats_show(struct seq_file *m, void *unused)
{
	struct hmap_obj *obj = m->private;
	struct hmap_params p;
	struct hmap_stats st;
	u64 load = 0;
	size_t i;

	hmap_get_params(obj->map, &p);
	hmap_get_stats(obj->map, &st);
	load = hmap_load_x100(&st);
	seq_printf(m, "name: %s\nid: %llu\n", obj->name[0] ? obj->name : "-",
		   obj->id);
	seq_printf(m, "key_size: %u\nvalue_size: %u\nmax_entries: %u\n",
		   p.key_size, p.value_size, p.max_entries);
	seq_printf(m, "buckets: %llu\nload_factor: %llu.%02llu\n",
		   1ULL << st.B, load / 100, load % 100);
	seq_puts(m, "resizing: ");
	hmap_show_resize(m, &st);
	for (i = 0; i < ARRAY_SIZE(hmap_debugfs_counters); i++)
		seq_printf(m, "%s: %llu\n", hmap_debugfs_counters[i].name,
			   hmap_counter_value(&hmap_debugfs_counters[i], &st));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hmap_stats);

/* One counter: the file's name says which. */
static int hmap_counter_show(struct seq_file *m, void *unused)
{
	const struct hmap_debugfs_counter *c = NULL;
	const char *name = m->file->f_path.dentry->d_name.name;
	struct hmap_obj *obj = m->private;
	struct hmap_stats st;
	u64 load;
	size_t i;

	hmap_get_stats(obj->map, &st);
	if (!strcmp(name, "buckets")) {
		seq_printf(m, "%llu\n", 1ULL << st.B);
		return 0;
	}
	if (!strcmp(name, "load_factor")) {
		load = hmap_load_x100(&st);
		seq_printf(m, "%llu.%02llu\n", load / 100, load % 100);
		return 0;
	}
	if (!strcmp(name, "resizing")) {
		hmap_show_resize(m, &st);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(hmap_debugfs_counters); i++)
		if (!strcmp(name, hmap_debugfs_counters[i].name))
			c = &hmap_debugfs_counters[i];
	if (!c)
		return -ENOENT;
	seq_printf(m, "%llu\n", hmap_counter_value(c, &st));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hmap_counter);

static int hmap_histogram_show(struct seq_file *m, void *unused)
{
	struct hmap_obj *obj = m->private;
	struct hmap_histogram h;
	unsigned int i;

	hmap_get_histogram(obj->map, &h);
	seq_printf(m, "buckets: %llu\n", h.buckets);
	seq_puts(m, "entries_per_bucket:");
	for (i = 0; i < ARRAY_SIZE(h.slots); i++)
		seq_printf(m, " %u=%llu", i, h.slots[i]);
	seq_puts(m, "\noverflow_buckets_per_chain:");
	for (i = 0; i < ARRAY_SIZE(h.chains); i++)
		seq_printf(m, " %u%s=%llu", i,
			   i == ARRAY_SIZE(h.chains) - 1 ? "+" : "",
			   h.chains[i]);
	seq_putc(m, '\n');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hmap_histogram);

static int hmap_global_show(struct seq_file *m, void *unused)
{
	struct hmap_global_stats gs;

	hmap_global_stats(&gs);
	seq_printf(m, "maps: %ld\nbytes: %ld\nalloc_failures: %ld\n",
		   gs.maps, gs.bytes, gs.alloc_failures);
	seq_printf(m, "arrays_outstanding: %ld\noverflow_outstanding: %ld\nelems_outstanding: %ld\n",
		   gs.arrays, gs.overflow, gs.elems);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hmap_global);

static void hmap_debugfs_dirname(const struct hmap_obj *obj, const char *kind,
				 char *buf, size_t len)
{
	if (kind)
		snprintf(buf, len, "%s:%llu", kind, obj->id);
	else
		strscpy(buf, obj->name, len);
}

/**
 * hmap_debugfs_add() - give a map its debugfs directory
 * @obj: the map.
 *
 * Context: process context, may sleep; hmap_reg_lock held (it protects
 * @obj->debugfs).
 */
void hmap_debugfs_add(struct hmap_obj *obj)
{
	static const char * const extra[] = { "buckets", "load_factor",
					       "resizing" };
	char name[HMAP_NAME_MAX + 16];
	struct dentry *dir;
	size_t i;

	hmap_reg_lock_assert_held();
	if (!hmap_debugfs_root)
		return;
	hmap_debugfs_dirname(obj, obj->name[0] ? NULL : "anon", name,
			     sizeof(name));
	dir = debugfs_create_dir(name, hmap_debugfs_root);
	if (IS_ERR(dir))
		return;
	debugfs_create_file("stats", 0444, dir, obj, &hmap_stats_fops);
	debugfs_create_file("histogram", 0444, dir, obj,
			    &hmap_histogram_fops);
	for (i = 0; i < ARRAY_SIZE(hmap_debugfs_counters); i++)
		debugfs_create_file(hmap_debugfs_counters[i].name, 0444, dir,
				    obj, &hmap_counter_fops);
	for (i = 0; i < ARRAY_SIZE(extra); i++)
		debugfs_create_file(extra[i], 0444, dir, obj,
				    &hmap_counter_fops);
	obj->debugfs = dir;
}

/**
 * hmap_debugfs_unnamed() - a named map lost its name but lives on
 * @obj: the map.
 *
 * Renames its directory to destroyed:<id>, so the name can be reused.
 *
 * Context: process context, may sleep; hmap_reg_lock held.
 */
void hmap_debugfs_unnamed(struct hmap_obj *obj)
{
	char name[32];
	struct dentry *d;

	hmap_reg_lock_assert_held();
	if (!obj->debugfs)
		return;
	hmap_debugfs_dirname(obj, "destroyed", name, sizeof(name));
	d = debugfs_rename(hmap_debugfs_root, obj->debugfs, hmap_debugfs_root,
			   name);
	if (IS_ERR(d)) {
		debugfs_remove_recursive(obj->debugfs);
		obj->debugfs = NULL;
	}
}

/**
 * hmap_debugfs_remove() - remove a map's debugfs directory
 * @obj: the map.
 *
 * Returns once no reader is inside one of its files: those take the map's
 * &hmap.lock, never hmap_reg_lock.
 *
 * Context: process context, may sleep; hmap_reg_lock held.
 */
void hmap_debugfs_remove(struct hmap_obj *obj)
{
	hmap_reg_lock_assert_held();
	debugfs_remove_recursive(obj->debugfs);
	obj->debugfs = NULL;
}

/**
 * hmap_debugfs_init() - create /sys/kernel/debug/hmap and its stats
 *
 * Context: module init. debugfs is optional: failures leave hmap without
 * it.
 */
void __init hmap_debugfs_init(void)
{
	struct dentry *root = debugfs_create_dir("hmap", NULL);

	if (IS_ERR(root))
		return;
	debugfs_create_file("stats", 0444, root, NULL, &hmap_global_fops);
	hmap_debugfs_root = root;
}

/**
 * hmap_debugfs_exit() - remove /sys/kernel/debug/hmap
 *
 * Context: module exit, after every map's directory was removed.
 */
void hmap_debugfs_exit(void)
{
	debugfs_remove_recursive(hmap_debugfs_root);
	hmap_debugfs_root = NULL;
}
