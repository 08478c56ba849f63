/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map registry shared by hmap's front ends: maps made from user space,
 * their names, owners, modes, lifetimes and per-user limits.
 */
#ifndef _HMAP_REGISTRY_H
#define _HMAP_REGISTRY_H

#include <linux/hmap.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/uidgid.h>

struct dentry;
struct hmap_user;

/**
 * struct hmap_obj - a map made through /dev/hmap
 * @ref: one reference per bound fd, plus one for the name while named.
 * @map: the map.
 * @node: on the list of every live object.
 * @name: the name, or "" for an anonymous map.
 * @id: unique, stable id (anonymous maps are shown by it).
 * @owner: the creator's fsuid.
 * @group: the creator's fsgid.
 * @mode: permission bits, 0666 at most.
 * @named: whether the name is still registered (cleared by destroy).
 * @user: whose limits the map counts against.
 * @reserved: bytes reserved against @user's limit.
 * @debugfs: the map's debugfs directory, or NULL.
 */
struct hmap_obj {
	struct kref ref;
	struct hmap *map;
	struct list_head node;
	char name[HMAP_NAME_MAX];
	u64 id;
	kuid_t owner;
	kgid_t group;
	umode_t mode;
	bool named;
	struct hmap_user *user;
	size_t reserved;
	struct dentry *debugfs;
};

int hmap_obj_create(const struct hmap_params *params, const char *name,
		    umode_t mode, struct hmap_obj **objp);
int hmap_obj_open(const char *name, struct hmap_obj **objp, bool *may_read,
		  bool *may_write);
int hmap_obj_destroy(const char *name);
void hmap_obj_put(struct hmap_obj *obj);
int hmap_obj_list(struct hmap_list_entry *entries, u32 room, u32 *count,
		  u32 *total);
void hmap_registry_exit(void);

#endif /* _HMAP_REGISTRY_H */
