/* SPDX-License-Identifier: GPL-2.0 */
/* hmap debugfs: the registry adds and removes a directory per map. */
#ifndef _HMAP_DEBUGFS_H
#define _HMAP_DEBUGFS_H

struct hmap_obj;

void __init hmap_debugfs_init(void);
void hmap_debugfs_exit(void);
void hmap_debugfs_add(struct hmap_obj *obj);
void hmap_debugfs_rename_destroyed(struct hmap_obj *obj);
void hmap_debugfs_remove(struct hmap_obj *obj);

#endif /* _HMAP_DEBUGFS_H */
