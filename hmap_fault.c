// SPDX-License-Identifier: GPL-2.0
/*
 * hmap fault injection: one fault_attr, "fail_hmap_alloc", for every
 * allocation site of the module, and a count of the failures it injected
 * at each site.
 *
 *   /sys/kernel/debug/fail_hmap_alloc/   the standard fault_attr knobs
 *	(probability, interval, times, space, task-filter, verbose...),
 *	as for failslab; see Documentation/fault-injection/.
 *   .../sites      which sites may fail: a bit per &enum hmap_fault_site
 *	(hex; all by default).
 *   .../injected   "<site> <failures injected>" per line.
 *
 * /proc/<pid>/fail-nth works too: it fails the task's N-th call of
 * hmap_should_fail_alloc() at an enabled site (lib/fault-inject.c), which is
 * how a test walks every allocation of one operation.
 *
 * Nothing fails until the probability is set (or fail-nth). The fault_attr
 * starts with verbose at 0: the injected file counts the failures instead
 * of a stack dump for each. Without debugfs the sites fail only through
 * fail-nth.
 */

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/seq_file.h>
#include <kunit/visibility.h>

#include "hmap_fault.h"

static DECLARE_FAULT_ATTR(hmap_fault_attr);	/* probability 0: off */
static u32 hmap_fault_sites = GENMASK(HMAP_FAULT_NR - 1, 0);
static atomic_long_t hmap_fault_injected[HMAP_FAULT_NR];
static struct dentry *hmap_fault_dir;

static const char *const hmap_fault_names[] = {
	[HMAP_FAULT_MAP] = "map",
	[HMAP_FAULT_PCPU] = "map_percpu",
	[HMAP_FAULT_TABLE] = "table",
	[HMAP_FAULT_BUCKETS] = "bucket_array",
	[HMAP_FAULT_OVERFLOW] = "overflow_bucket",
	[HMAP_FAULT_ELEM] = "element",
	[HMAP_FAULT_ITER_KEY] = "iter_key",
	[HMAP_FAULT_DEV_FILE] = "dev_file",
	[HMAP_FAULT_DEV_LIST] = "dev_list",
	[HMAP_FAULT_DEV_OP_BUF] = "dev_op_buf",
	[HMAP_FAULT_DEV_BOUNCE] = "dev_bounce",
	[HMAP_FAULT_REG_USER] = "registry_user",
	[HMAP_FAULT_REG_OBJ] = "registry_obj",
};

static_assert(ARRAY_SIZE(hmap_fault_names) == HMAP_FAULT_NR);

/**
 * hmap_should_fail_alloc() - whether fault injection fails an allocation
 * @site: where the allocation is.
 * @size: bytes it asks for.
 *
 * Asks the "fail_hmap_alloc" fault_attr if @site is enabled in the sites
 * mask, and counts the failure at @site.
 *
 * Context: any; the fault_attr's interval counter is not atomic, so
 * concurrent callers with interval > 1 race on it (as for failslab).
 * Return: true if the caller must behave as if the allocation failed.
 */
bool hmap_should_fail_alloc(enum hmap_fault_site site, size_t size)
{
	if (!(READ_ONCE(hmap_fault_sites) & BIT(site)))
		return false;
	if (!should_fail(&hmap_fault_attr, size))
		return false;
	atomic_long_inc(&hmap_fault_injected[site]);
	return true;
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * hmap_test_set_fault_sites() - fail allocation sites at random (tests only)
 * @sites: the sites that may fail, a bit per &enum hmap_fault_site.
 * @percent: the chance, 0 to 100, that an allocation at one of @sites
 *	fails; 0 turns injection off.
 *
 * Context: any; as the debugfs knobs, not synchronised with allocations
 * in flight.
 */
void hmap_test_set_fault_sites(u32 sites, unsigned int percent)
{
	WRITE_ONCE(hmap_fault_sites, sites);
	hmap_fault_attr.interval = 1;
	atomic_set(&hmap_fault_attr.times, -1);
	WRITE_ONCE(hmap_fault_attr.probability, min(percent, 100U));
}
EXPORT_SYMBOL_IF_KUNIT(hmap_test_set_fault_sites);

/**
 * hmap_test_read_injected() - failures injected at a site so far
 * @site: the site.
 *
 * Context: any.
 * Return: the count since the module was loaded.
 */
long hmap_test_read_injected(enum hmap_fault_site site)
{
	return atomic_long_read(&hmap_fault_injected[site]);
}
EXPORT_SYMBOL_IF_KUNIT(hmap_test_read_injected);
#endif

static int hmap_fault_injected_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < HMAP_FAULT_NR; i++)
		seq_printf(m, "%s %ld\n", hmap_fault_names[i],
			   atomic_long_read(&hmap_fault_injected[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hmap_fault_injected);

/**
 * hmap_fault_init() - create /sys/kernel/debug/fail_hmap_alloc, quiet
 *
 * Context: module init.
 */
void __init hmap_fault_init(void)
{
	struct dentry *dir;

	hmap_fault_attr.verbose = 0;
	dir = fault_create_debugfs_attr("fail_hmap_alloc", NULL,
					&hmap_fault_attr);
	if (IS_ERR(dir))
		return;
	debugfs_create_x32("sites", 0600, dir, &hmap_fault_sites);
	debugfs_create_file("injected", 0400, dir, NULL,
			    &hmap_fault_injected_fops);
	hmap_fault_dir = dir;
}

/**
 * hmap_fault_exit() - remove /sys/kernel/debug/fail_hmap_alloc
 *
 * Context: module exit.
 */
void hmap_fault_exit(void)
{
	debugfs_remove_recursive(hmap_fault_dir);
}
