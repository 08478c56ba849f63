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

struct cred;
struct dentry;
struct hmap_user;

/* Rights on a map, as the read and write bits of its mode. */
#define HMAP_MAY_WRITE	2U
#define HMAP_MAY_READ	4U

/**
 * struct hmap_obj - a map made through /dev/hmap
 * @ref: one reference per bound fd, plus one for the name while named.
 * @map: the map.
 * @node: on the list of every live object.
 * @name: the name, or "" for an anonymous map.
 * @id: unique, stable id (anonymous maps are shown by it).
 * @owner: the fsuid of the credentials it was created with.
 * @group: the fsgid of the credentials it was created with.
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
		    umode_t mode, const struct cred *cred,
		    struct hmap_obj **objp);
int hmap_obj_open(const char *name, const struct cred *cred,
		  unsigned int want, struct hmap_obj **objp, unsigned int *may);
int hmap_obj_unname(const char *name, const struct cred *cred);
void hmap_obj_put(struct hmap_obj *obj);
int hmap_obj_list(const struct cred *cred, struct hmap_list_entry *entries,
		  u32 room, u32 *count, u32 *total);
void hmap_registry_exit(void);
void hmap_reg_lock_assert_held(void);

#endif /* _HMAP_REGISTRY_H */
