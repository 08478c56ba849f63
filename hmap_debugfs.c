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
 *
 * A file's show callback is hmap_<file>_show() (DEFINE_SHOW_ATTRIBUTE());
 * what it calls to print one value into the seq_file is hmap_seq_<value>().
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/stddef.h>
#include <linux/stringify.h>

#include "hmap_debugfs.h"
#include "hmap_registry.h"

static struct dentry *hmap_debugfs_root;

/*
 * The files of the map's state, besides stats, histogram and one per
 * counter, in the order of the stats file: HMAP_STATE(name) for each, shown
 * by hmap_seq_<name>() (hmap_debugfs_states[]).
 */
#define HMAP_DEBUGFS_STATES {						\
	HMAP_STATE(entries) HMAP_STATE(B) HMAP_STATE(overflow_buckets)	\
	HMAP_STATE(buckets) HMAP_STATE(load_factor) HMAP_STATE(resizing) \
}

/*
 * A map's directory has a file per counter beside its other files, and its
 * stats file a line per counter beside its other lines: a counter named
 * like one of those would lose its file (debugfs refuses a second file of
 * a name) and show twice in stats. So every such name is declared in the
 * scope of this function, which is never called: a counter added to
 * <uapi/linux/hmap_stats.h> under a name that is taken redeclares it, and
 * hmap.ko does not build. (A name in struct hmap_map_stats is taken from
 * the counters already: they are members of it too.)
 */
static void __maybe_unused hmap_debugfs_names_differ(void)
{
	/* The files stats and histogram, the first lines of stats. */
	enum { stats, histogram, name, id, key_size, value_size, max_entries };
#define HMAP_STATE(name)	name,
	enum HMAP_DEBUGFS_STATES;
#undef HMAP_STATE
#define HMAP_STAT(name)	char name __maybe_unused
#include <uapi/linux/hmap_stats.h>
#undef HMAP_STAT
}

/* What is done with a counter: its name and its offset in hmap_stats. */
typedef void (*hmap_counter_fn)(void *arg, const char *name, size_t offset);

/* Call @fn on each counter, in the order of <uapi/linux/hmap_stats.h>. */
static void hmap_visit_counters(hmap_counter_fn fn, void *arg)
{
#define HMAP_STAT(name)	fn(arg, #name, offsetof(struct hmap_stats, name))
#include <uapi/linux/hmap_stats.h>
#undef HMAP_STAT
}

struct hmap_resize_name {
	u32 kind;
	const char *name;
};

static const char *hmap_resize_name_in(const struct hmap_resize_name *names,
				       size_t n, u32 kind)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i].kind == kind)
			return names[i].name;
	return "?";
}

/*
 * The name of @kind, from the pairs HMAP_RESIZE_KINDS() passes, as
 * __print_symbolic() takes them.
 */
#define HMAP_RESIZE_NAME(kind, pairs...)				\
({									\
	static const struct hmap_resize_name __names[] = { pairs };	\
	hmap_resize_name_in(__names, ARRAY_SIZE(__names), kind);	\
})

static const char *hmap_resize_name(u32 kind)
{
	return HMAP_RESIZE_KINDS(HMAP_RESIZE_NAME, kind);
}

static u64 hmap_counter_value(const struct hmap_stats *st, size_t offset)
{
	return *(const u64 *)((const u8 *)st + offset);
}

/* Load factor in hundredths of an entry per bucket. */
static u64 hmap_load_x100(const struct hmap_stats *st)
{
	return div64_u64(st->count * 100, 1ULL << st->B);
}

static void hmap_seq_entries(struct seq_file *m, const struct hmap_stats *st)
{
	seq_printf(m, "%llu\n", st->count);
}

static void hmap_seq_B(struct seq_file *m, const struct hmap_stats *st)
{
	seq_printf(m, "%u\n", st->B);
}

static void hmap_seq_overflow_buckets(struct seq_file *m,
				      const struct hmap_stats *st)
{
	seq_printf(m, "%llu\n", st->noverflow);
}

static void hmap_seq_buckets(struct seq_file *m, const struct hmap_stats *st)
{
	seq_printf(m, "%llu\n", 1ULL << st->B);
}

static void hmap_seq_load_factor(struct seq_file *m,
				 const struct hmap_stats *st)
{
	u64 load = hmap_load_x100(st);

	seq_printf(m, "%llu.%02llu\n", load / 100, load % 100);
}

static void hmap_seq_resizing(struct seq_file *m, const struct hmap_stats *st)
{
	seq_puts(m, hmap_resize_name(st->resizing));
	if (st->resizing != HMAP_RESIZE_NONE)
		seq_printf(m, " B %u->%u nevacuate %llu/%llu", st->old_B,
			   st->B, st->nevacuate, 1ULL << st->old_B);
	seq_putc(m, '\n');
}

/* A state value: its file's name, and what prints it. */
struct hmap_debugfs_state {
	const char *name;
	void (*show)(struct seq_file *m, const struct hmap_stats *st);
};

#define HMAP_STATE(name)	{ __stringify(name), hmap_seq_##name },
static const struct hmap_debugfs_state hmap_debugfs_states[] =
	HMAP_DEBUGFS_STATES;
#undef HMAP_STATE

/* The state value whose file is called @name, or NULL. */
static const struct hmap_debugfs_state *
hmap_debugfs_state_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hmap_debugfs_states); i++)
		if (!strcmp(hmap_debugfs_states[i].name, name))
			return &hmap_debugfs_states[i];
	return NULL;
}

/* What a show callback hands hmap_seq_counter(), by hmap_visit_counters(). */
struct hmap_seq_counter_arg {
	struct seq_file *m;
	struct hmap_stats st;
	const char *only;	/* the one counter to show, or NULL for all */
	bool shown;
};

/*
 * Print counter @name, at @offset in the snapshot: "name: value" when all
 * are printed, the value alone when it is the one asked for.
 */
static void hmap_seq_counter(void *arg, const char *name, size_t offset)
{
	struct hmap_seq_counter_arg *cs = arg;

	if (cs->only && strcmp(cs->only, name))
		return;
	if (!cs->only)
		seq_printf(cs->m, "%s: ", name);
	seq_printf(cs->m, "%llu\n", hmap_counter_value(&cs->st, offset));
	cs->shown = true;
}

static int hmap_stats_show(struct seq_file *m, void *unused)
{
	struct hmap_seq_counter_arg cs = { .m = m };
	struct hmap_obj *obj = m->private;
	struct hmap_params p;
	size_t i;

	hmap_get_params(obj->map, &p);
	hmap_get_stats(obj->map, &cs.st);
	seq_printf(m, "name: %s\nid: %llu\n", obj->name[0] ? obj->name : "-",
		   obj->id);
	seq_printf(m, "key_size: %u\nvalue_size: %u\nmax_entries: %u\n",
		   p.key_size, p.value_size, p.max_entries);
	for (i = 0; i < ARRAY_SIZE(hmap_debugfs_states); i++) {
		seq_printf(m, "%s: ", hmap_debugfs_states[i].name);
		hmap_debugfs_states[i].show(m, &cs.st);
	}
	hmap_visit_counters(hmap_seq_counter, &cs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hmap_stats);

/* One state value or counter: the file's name says which. */
static int hmap_value_show(struct seq_file *m, void *unused)
{
	struct hmap_seq_counter_arg cs = {
		.m = m,
		.only = m->file->f_path.dentry->d_name.name,
	};
	const struct hmap_debugfs_state *state;
	struct hmap_obj *obj = m->private;

	hmap_get_stats(obj->map, &cs.st);
	state = hmap_debugfs_state_find(cs.only);
	if (state) {
		state->show(m, &cs.st);
		return 0;
	}
	hmap_visit_counters(hmap_seq_counter, &cs);
	return cs.shown ? 0 : -ENOENT;
}
DEFINE_SHOW_ATTRIBUTE(hmap_value);

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

/* Where hmap_debugfs_add() creates the files of a map's counters. */
struct hmap_debugfs_dir {
	struct dentry *dir;
	struct hmap_obj *obj;
};

static void hmap_debugfs_add_counter(void *arg, const char *name,
				     size_t offset)
{
	struct hmap_debugfs_dir *d = arg;

	debugfs_create_file(name, 0444, d->dir, d->obj, &hmap_value_fops);
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
	struct hmap_debugfs_dir d = { .obj = obj };
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
	for (i = 0; i < ARRAY_SIZE(hmap_debugfs_states); i++)
		debugfs_create_file(hmap_debugfs_states[i].name, 0444, dir, obj,
				    &hmap_value_fops);
	d.dir = dir;
	hmap_visit_counters(hmap_debugfs_add_counter, &d);
	obj->debugfs = dir;
}

/**
 * hmap_debugfs_rename_destroyed() - rename the directory of a map whose
 *	name was taken away
 * @obj: the map, which lives on while fds use it.
 *
 * Renames its directory to destroyed:<id>, so that the name can be reused.
 * If debugfs cannot rename it, removes it, waiting as
 * hmap_debugfs_remove() does for the readers inside its files.
 *
 * Context: process context, may sleep; hmap_reg_lock held.
 */
void hmap_debugfs_rename_destroyed(struct hmap_obj *obj)
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
