// SPDX-License-Identifier: GPL-2.0
/*
 * hmap registry: the maps user space made, by name, with owner, mode,
 * lifetime and per-user limits. Knows nothing of files or user copies.
 *
 * Every decision about who may do what is made for the credentials the
 * caller passes (for /dev/hmap, those of whoever opened the fd:
 * file->f_cred), never for the calling task: ownership, group membership,
 * capabilities, the user charged and the user namespace uids are shown in.
 *
 * hmap_reg_lock protects: hmap_objs (every live object, named or not), the
 * @named flag, @node and debugfs directory of each object, and hmap_users
 * with their counts. It nests inside a /dev/hmap file's bind_lock and
 * outside debugfs and every map's lock: see "Lock order" in hmap_core.c.
 * An object lives while it has references: one per bound fd and one for
 * its name until it is destroyed; the last put frees the map.
 *
 * Users without CAP_SYS_RESOURCE may have at most max_maps_per_user maps
 * alive and reserve at most max_bytes_per_user bytes, each map reserving
 * hmap_max_bytes() of its parameters at creation. That estimate saturates
 * at SIZE_MAX rather than wrap, so a map too big for a size_t (on 32-bit
 * kernels) is refused unless the limit is ULONG_MAX. Everything a map
 * allocates is also charged to the memory cgroup of the task that created
 * it.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "hmap_debugfs.h"
#include "hmap_fault.h"
#include "hmap_registry.h"

static unsigned int max_maps_per_user = 32;
module_param(max_maps_per_user, uint, 0644);
MODULE_PARM_DESC(max_maps_per_user,
		 "Maps a user without CAP_SYS_RESOURCE may have (default 32)");

static unsigned long max_bytes_per_user = 64UL << 20;
module_param(max_bytes_per_user, ulong, 0644);
MODULE_PARM_DESC(max_bytes_per_user,
		 "Bytes the maps of a user without CAP_SYS_RESOURCE may reserve (default 64 MiB)");

/**
 * struct hmap_user - what one uid holds
 * @uid: the user.
 * @maps: maps alive.
 * @bytes: bytes reserved; a u64, so that the sum of a privileged user's
 *	reservations cannot wrap even on 32-bit kernels.
 * @node: on hmap_users.
 */
struct hmap_user {
	kuid_t uid;
	unsigned int maps;
	u64 bytes;
	struct list_head node;
};

static DEFINE_MUTEX(hmap_reg_lock);
static LIST_HEAD(hmap_objs);
static LIST_HEAD(hmap_users);
static u64 hmap_next_id;

/**
 * hmap_reg_lock_assert_held() - have lockdep check that hmap_reg_lock is held
 *
 * Context: any. For the debugfs functions the registry calls under the
 * lock, which protects each object's debugfs directory.
 */
void hmap_reg_lock_assert_held(void)
{
	lockdep_assert_held(&hmap_reg_lock);
}

static struct hmap_user *hmap_user_find(kuid_t uid)
	__must_hold(&hmap_reg_lock)
{
	struct hmap_user *u;

	lockdep_assert_held(&hmap_reg_lock);
	list_for_each_entry(u, &hmap_users, node)
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/*
 * capable() and in_group_p() for @cred rather than the current task's
 * credentials: they look at current_cred(), so @cred stands in for it
 * meanwhile (override_creds(); the registry sees no file, so
 * file_ns_capable() does not apply). Capabilities count in the initial
 * user namespace, as capable() has them.
 */
static bool hmap_cred_capable(const struct cred *cred, int cap)
{
	const struct cred *old = override_creds(cred);
	bool ret = capable(cap);

	revert_creds(old);
	return ret;
}

static bool hmap_cred_in_group(const struct cred *cred, kgid_t gid)
{
	const struct cred *old = override_creds(cred);
	bool ret = in_group_p(gid);

	revert_creds(old);
	return ret;
}

/*
 * Reserve a map and @bytes for @cred's fsuid, within the limits: -EDQUOT
 * beyond them, or if the user's total would wrap.
 */
static int hmap_user_charge(const struct cred *cred, size_t bytes,
			    struct hmap_user **userp)
	__must_hold(&hmap_reg_lock)
{
	bool limited = !hmap_cred_capable(cred, CAP_SYS_RESOURCE);
	kuid_t uid = cred->fsuid;
	struct hmap_user *u;
	u64 total;

	lockdep_assert_held(&hmap_reg_lock);
	u = hmap_user_find(uid);
	if (!u) {
		u = hmap_fault_alloc(REG_USER, sizeof(*u),
				     kzalloc(sizeof(*u), GFP_KERNEL));
		if (!u)
			return -ENOMEM;
		u->uid = uid;
		list_add(&u->node, &hmap_users);
	}
	if (check_add_overflow(u->bytes, (u64)bytes, &total) ||
	    (limited && (u->maps >= max_maps_per_user ||
			 total > max_bytes_per_user))) {
		if (!u->maps) {
			list_del(&u->node);
			kfree(u);
		}
		return -EDQUOT;
	}
	u->maps++;
	u->bytes = total;
	*userp = u;
	return 0;
}

static void hmap_user_uncharge(struct hmap_user *u, size_t bytes)
	__must_hold(&hmap_reg_lock)
{
	lockdep_assert_held(&hmap_reg_lock);
	u->maps--;
	u->bytes -= bytes;
	if (!u->maps) {
		list_del(&u->node);
		kfree(u);
	}
}

/* The live named map called @name, or NULL. */
static struct hmap_obj *hmap_obj_find(const char *name)
	__must_hold(&hmap_reg_lock)
{
	struct hmap_obj *obj;

	lockdep_assert_held(&hmap_reg_lock);
	list_for_each_entry(obj, &hmap_objs, node)
		if (obj->named && !strcmp(obj->name, name))
			return obj;
	return NULL;
}

/**
 * hmap_obj_create() - make a map for user space
 * @params: the map's parameters.
 * @name: its name (valid, NUL-terminated), or NULL for an anonymous map.
 * @mode: its permission bits.
 * @cred: whose map it is: its fsuid and fsgid own it, its fsuid is
 *	charged, unless it has CAP_SYS_RESOURCE, against the per-user limits.
 * @objp: gets the object, with one reference for the caller.
 *
 * Context: process context, may sleep.
 * Return: 0; -EEXIST if the name is taken; -EDQUOT beyond the user's
 * limits (as is a map whose hmap_max_bytes() saturated at SIZE_MAX,
 * unless max_bytes_per_user is ULONG_MAX); -EINVAL for bad parameters
 * (or %HMAP_F_JHASH, which no map for user space has); -ENOMEM.
 */
int hmap_obj_create(const struct hmap_params *params, const char *name,
		    umode_t mode, const struct cred *cred,
		    struct hmap_obj **objp)
{
	size_t reserve = hmap_max_bytes(params);
	struct hmap_user *user;
	struct hmap_obj *obj;
	struct hmap *map;
	int err;

	/* User space hashes with SipHash only (the ioctls set no flag). */
	if (!hmap_params_valid(params) ||
	    WARN_ON_ONCE(params->flags & HMAP_F_JHASH))
		return -EINVAL;
	/* Name and limits first: nothing big is allocated for a refusal. */
	mutex_lock(&hmap_reg_lock);
	err = name && hmap_obj_find(name) ? -EEXIST :
	      hmap_user_charge(cred, reserve, &user);
	mutex_unlock(&hmap_reg_lock);
	if (err)
		return err;

	err = -ENOMEM;
	obj = hmap_fault_alloc(REG_OBJ, sizeof(*obj),
			       kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT));
	if (!obj)
		goto uncharge;
	map = hmap_create(params);
	if (IS_ERR(map)) {
		err = PTR_ERR(map);
		goto free_obj;
	}
	kref_init(&obj->ref);
	obj->map = map;
	obj->owner = cred->fsuid;
	obj->group = cred->fsgid;
	obj->mode = mode;
	obj->user = user;
	obj->reserved = reserve;
	if (name) {
		strscpy(obj->name, name, sizeof(obj->name));
		obj->named = true;
		kref_get(&obj->ref);	/* the name's reference */
	}

	mutex_lock(&hmap_reg_lock);
	if (name && hmap_obj_find(name)) {	/* taken while we allocated */
		mutex_unlock(&hmap_reg_lock);
		err = -EEXIST;
		goto destroy;
	}
	obj->id = ++hmap_next_id;
	list_add_tail(&obj->node, &hmap_objs);
	hmap_debugfs_add(obj);
	mutex_unlock(&hmap_reg_lock);
	*objp = obj;
	return 0;

destroy:
	hmap_destroy(map);
free_obj:
	kfree(obj);
uncharge:
	mutex_lock(&hmap_reg_lock);
	hmap_user_uncharge(user, reserve);
	mutex_unlock(&hmap_reg_lock);
	return err;
}

/* Which of HMAP_MAY_READ and HMAP_MAY_WRITE the mode grants @cred. */
static unsigned int hmap_obj_access(const struct hmap_obj *obj,
				    const struct cred *cred)
{
	umode_t m = obj->mode;

	if (uid_eq(cred->fsuid, obj->owner))
		m >>= 6;
	else if (hmap_cred_in_group(cred, obj->group))
		m >>= 3;
	m &= HMAP_MAY_READ | HMAP_MAY_WRITE;
	if (m != (HMAP_MAY_READ | HMAP_MAY_WRITE) &&
	    hmap_cred_capable(cred, CAP_DAC_OVERRIDE))
		m = HMAP_MAY_READ | HMAP_MAY_WRITE;
	return m;
}

/**
 * hmap_obj_open() - find a named map and check @cred may use it
 * @name: its name.
 * @cred: whose rights count (owner, group and other bits of the map's
 *	mode, and CAP_DAC_OVERRIDE).
 * @want: HMAP_MAY_READ and/or HMAP_MAY_WRITE: the rights asked for.
 * @objp: gets the object, with one reference for the caller.
 * @may: gets the rights of @want that the mode grants @cred (not zero).
 *
 * Context: process context, may sleep.
 * Return: 0; -ENOENT if there is no such map; -EACCES if the mode grants
 * @cred none of @want.
 */
int hmap_obj_open(const char *name, const struct cred *cred,
		  unsigned int want, struct hmap_obj **objp, unsigned int *may)
{
	struct hmap_obj *obj;
	int err = 0;

	mutex_lock(&hmap_reg_lock);
	obj = hmap_obj_find(name);
	if (!obj) {
		err = -ENOENT;
		goto unlock;
	}
	*may = hmap_obj_access(obj, cred) & want;
	if (!*may) {
		err = -EACCES;
		goto unlock;
	}
	kref_get(&obj->ref);
	*objp = obj;
unlock:
	mutex_unlock(&hmap_reg_lock);
	return err;
}

/*
 * Called by kref_put_mutex() with hmap_reg_lock held; drops it before the
 * map is destroyed (see "Lock order" in hmap_core.c).
 */
static void hmap_obj_release(struct kref *ref)
	__releases(&hmap_reg_lock)
{
	struct hmap_obj *obj = container_of(ref, struct hmap_obj, ref);

	lockdep_assert_held(&hmap_reg_lock);
	list_del(&obj->node);
	hmap_debugfs_remove(obj);
	hmap_user_uncharge(obj->user, obj->reserved);
	mutex_unlock(&hmap_reg_lock);
	__release(&hmap_reg_lock);	/* for sparse, which knows no mutex */

	hmap_destroy(obj->map);
	kfree(obj);
}

/**
 * hmap_obj_put() - drop a reference; the last one frees the map
 * @obj: the object.
 *
 * Context: process context, may sleep.
 */
void hmap_obj_put(struct hmap_obj *obj)
{
	kref_put_mutex(&obj->ref, hmap_obj_release, &hmap_reg_lock);
}

/**
 * hmap_obj_unname() - take a map's name away, for HMAP_IOC_DESTROY
 * @name: the name.
 * @cred: who asks: its fsuid must own the map, or it must have
 *	CAP_SYS_ADMIN.
 *
 * The name can be taken again at once, and its debugfs directory becomes
 * destroyed:<id>. The name's reference is dropped: the map is freed when
 * the last fd bound to it is closed.
 *
 * Context: process context, may sleep; under hmap_reg_lock, it may wait
 * for debugfs readers (see "Lock order" in hmap_core.c).
 * Return: 0; -ENOENT if there is no such map; -EACCES unless @cred owns
 * it or has CAP_SYS_ADMIN.
 */
int hmap_obj_unname(const char *name, const struct cred *cred)
{
	struct hmap_obj *obj;

	mutex_lock(&hmap_reg_lock);
	obj = hmap_obj_find(name);
	if (!obj) {
		mutex_unlock(&hmap_reg_lock);
		return -ENOENT;
	}
	if (!uid_eq(cred->fsuid, obj->owner) &&
	    !hmap_cred_capable(cred, CAP_SYS_ADMIN)) {
		mutex_unlock(&hmap_reg_lock);
		return -EACCES;
	}
	obj->named = false;
	hmap_debugfs_rename_destroyed(obj);
	mutex_unlock(&hmap_reg_lock);
	hmap_obj_put(obj);
	return 0;
}

/**
 * hmap_obj_list() - describe the named maps
 * @cred: whose user namespace the owners' uids are shown in.
 * @entries: room for @room entries.
 * @room: how many fit.
 * @count: gets how many were written.
 * @total: gets how many named maps exist.
 *
 * Context: process context, may sleep.
 * Return: 0.
 */
int hmap_obj_list(const struct cred *cred, struct hmap_list_entry *entries,
		  u32 room, u32 *count, u32 *total)
{
	struct hmap_obj *obj;
	u32 n = 0, all = 0;

	mutex_lock(&hmap_reg_lock);
	list_for_each_entry(obj, &hmap_objs, node) {
		struct hmap_list_entry *e = &entries[n];
		struct hmap_params p;

		if (!obj->named)
			continue;
		all++;
		if (n == room)
			continue;
		hmap_get_params(obj->map, &p);
		memset(e, 0, sizeof(*e));
		strscpy(e->name, obj->name, sizeof(e->name));
		e->owner = from_kuid_munged(cred->user_ns, obj->owner);
		e->mode = obj->mode;
		e->key_size = p.key_size;
		e->value_size = p.value_size;
		e->max_entries = p.max_entries;
		e->count = hmap_count(obj->map);
		n++;
	}
	mutex_unlock(&hmap_reg_lock);
	*count = n;
	*total = all;
	return 0;
}

/**
 * hmap_registry_exit() - destroy every named map at module unload
 *
 * Context: module exit. No fd can be open then: each holds a reference on
 * the module.
 */
void hmap_registry_exit(void)
{
	struct hmap_obj *obj;

	for (;;) {
		mutex_lock(&hmap_reg_lock);
		list_for_each_entry(obj, &hmap_objs, node)
			if (obj->named)
				break;
		if (list_entry_is_head(obj, &hmap_objs, node)) {
			mutex_unlock(&hmap_reg_lock);
			return;
		}
		obj->named = false;
		mutex_unlock(&hmap_reg_lock);
		hmap_obj_put(obj);
	}
}
