// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hmap: the ioctl ABI of include/uapi/linux/hmap.h over the map core
 * and the registry. This file only checks and copies arguments.
 *
 * An open file starts unbound; HMAP_IOC_CREATE or HMAP_IOC_OPEN binds it to
 * one map for the rest of its life (&hmap_file.bind_lock serializes the
 * bind; the bound object is then read with smp_load_acquire()).
 *
 * Rights follow the file, never the task that calls the ioctl: they are
 * fixed by the open mode (file->f_mode) and the opener's credentials
 * (file->f_cred), and what the file may do to its map (read, write) is
 * decided once, when it binds. Whoever holds the fd (after fork(),
 * SCM_RIGHTS or pidfd_getfd()) has exactly those rights.
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hmap_dev.h"
#include "hmap_registry.h"

/**
 * struct hmap_file - an open /dev/hmap
 * @bind_lock: serializes binding.
 * @obj: the bound map, or NULL.
 * @may: HMAP_MAY_READ (lookup, dump) and HMAP_MAY_WRITE (update, delete,
 *	clear, shrink) on @obj: what both the open mode and the map's mode
 *	allow.
 */
struct hmap_file {
	struct mutex bind_lock;	/* serializes binding */
	struct hmap_obj *obj;
	unsigned int may;
};

/* Key and value bytes small enough for the stack in single-key commands. */
#define HMAP_STACK_BUF		256
/* Bytes of bounce buffer a dump fills between user copies. */
#define HMAP_BOUNCE_BYTES	SZ_1M

/*
 * Read a versioned argument struct: see the header of the ABI. @karg's
 * argsz keeps the caller's value.
 */
static int hmap_get_arg(void *karg, size_t ksize, void __user *uarg)
{
	u32 argsz;

	if (get_user(argsz, (u32 __user *)uarg))
		return -EFAULT;
	if (argsz < ksize)
		return -EINVAL;
	if (argsz > HMAP_ARGSZ_MAX)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, argsz);
}

/* Write a struct back, all but its argsz: the caller's is left alone. */
static int hmap_put_arg(void __user *uarg, const void *karg, size_t ksize)
{
	return copy_to_user((u8 __user *)uarg + sizeof(u32),
			    (const u8 *)karg + sizeof(u32),
			    ksize - sizeof(u32)) ? -EFAULT : 0;
}

/*
 * One character of a name, by explicit ASCII ranges: isalnum() would also
 * take the Latin-1 letters 0xc0..0xff.
 */
static bool hmap_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/*
 * Element @i of a user array of @size-byte elements at @base (an ABI
 * __u64): its address, or -EFAULT, as for an unmapped one, if it does not
 * fit in a pointer (beyond 2^64, or beyond 4 GiB on a 32-bit kernel, where
 * u64_to_user_ptr() alone would drop the high bits).
 */
static int hmap_uptr(u64 base, u32 i, size_t size, void __user **uptr)
{
	u64 addr;

	if (check_mul_overflow((u64)i, (u64)size, &addr) ||
	    check_add_overflow(base, addr, &addr) ||
	    addr != (unsigned long)addr)
		return -EFAULT;
	*uptr = u64_to_user_ptr(addr);
	return 0;
}

/*
 * A name must be 1..63 of [A-Za-z0-9._-], NUL-terminated, zero after. It
 * names a debugfs directory too: it may not start with a dot nor be
 * "stats", the global file there.
 */
static int hmap_check_name(const char *name)
{
	size_t len = strnlen(name, HMAP_NAME_MAX);
	size_t i;

	if (len == HMAP_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len || name[0] == '.' || !strcmp(name, "stats"))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!hmap_name_char(name[i]))
			return -EINVAL;
	if (memchr_inv(name + len, 0, HMAP_NAME_MAX - len))
		return -EINVAL;
	return 0;
}

static struct hmap_obj *hmap_file_obj(struct hmap_file *hf)
{
	/* Pairs with the release in hmap_file_bind(). */
	return smp_load_acquire(&hf->obj);
}

static void hmap_file_bind(struct hmap_file *hf, struct hmap_obj *obj,
			   unsigned int may)
{
	lockdep_assert_held(&hf->bind_lock);
	hf->may = may;
	/* Publishes the permissions with the object. */
	smp_store_release(&hf->obj, obj);
}

/* The rights the open mode of @file allows on a map. */
static unsigned int hmap_file_may(const struct file *file)
{
	return (file->f_mode & FMODE_READ ? HMAP_MAY_READ : 0) |
	       (file->f_mode & FMODE_WRITE ? HMAP_MAY_WRITE : 0);
}

static int hmap_ioc_version(void __user *uarg)
{
	struct hmap_version v;
	int err;

	err = hmap_get_arg(&v, sizeof(v), uarg);
	if (err)
		return err;
	if (v.flags)
		return -EINVAL;
	v.abi_version = HMAP_ABI_VERSION;
	v.features = HMAP_FEATURES;
	v.key_size_max = HMAP_KEY_SIZE_MAX;
	v.value_size_max = HMAP_VALUE_SIZE_MAX;
	v.max_entries_max = HMAP_MAX_ENTRIES_MAX;
	return hmap_put_arg(uarg, &v, sizeof(v));
}

static int hmap_ioc_create(struct file *file, void __user *uarg)
{
	struct hmap_file *hf = file->private_data;
	struct hmap_params p;
	struct hmap_create c;
	struct hmap_obj *obj;
	bool anon;
	int err;

	err = hmap_get_arg(&c, sizeof(c), uarg);
	if (err)
		return err;
	if (c.flags & ~HMAP_CREATE_ANON || c.__reserved || c.mode & ~0666)
		return -EINVAL;
	anon = c.flags & HMAP_CREATE_ANON;
	if (anon && memchr_inv(c.name, 0, sizeof(c.name)))
		return -EINVAL;
	if (!anon) {
		err = hmap_check_name(c.name);
		if (err)
			return err;
	}
	p = (struct hmap_params){
		.key_size = c.key_size,
		.value_size = c.value_size,
		.max_entries = c.max_entries,
		.capacity_hint = c.capacity_hint,
	};

	mutex_lock(&hf->bind_lock);
	if (hf->obj) {
		err = -EBUSY;
		goto unlock;
	}
	err = hmap_obj_create(&p, anon ? NULL : c.name, c.mode, file->f_cred,
			      &obj);
	if (!err)
		hmap_file_bind(hf, obj, hmap_file_may(file));
unlock:
	mutex_unlock(&hf->bind_lock);
	return err;
}

/* Read and check the struct hmap_name of OPEN and DESTROY. */
static int hmap_get_name(struct hmap_name *n, void __user *uarg)
{
	int err = hmap_get_arg(n, sizeof(*n), uarg);

	if (err)
		return err;
	if (n->flags)
		return -EINVAL;
	return hmap_check_name(n->name);
}

static int hmap_ioc_open(struct file *file, void __user *uarg)
{
	struct hmap_file *hf = file->private_data;
	unsigned int want = hmap_file_may(file), may;
	struct hmap_obj *obj;
	struct hmap_name n;
	int err;

	if (!want)
		return -EBADF;
	err = hmap_get_name(&n, uarg);
	if (err)
		return err;

	mutex_lock(&hf->bind_lock);
	if (hf->obj) {
		err = -EBUSY;
		goto unlock;
	}
	err = hmap_obj_open(n.name, file->f_cred, want, &obj, &may);
	if (!err)
		hmap_file_bind(hf, obj, may);
unlock:
	mutex_unlock(&hf->bind_lock);
	return err;
}

static int hmap_ioc_destroy(const struct cred *cred, void __user *uarg)
{
	struct hmap_name n;
	int err;

	err = hmap_get_name(&n, uarg);
	return err ?: hmap_obj_destroy(n.name, cred);
}

static int hmap_ioc_list(const struct cred *cred, void __user *uarg)
{
	struct hmap_list_entry *entries;
	void __user *uentries;
	struct hmap_list l;
	u32 room;
	int err;

	err = hmap_get_arg(&l, sizeof(l), uarg);
	if (err)
		return err;
	if (l.flags)
		return -EINVAL;
	room = min_t(u32, l.count, HMAP_LIST_MAX);
	entries = kvcalloc(room, sizeof(*entries), GFP_KERNEL);
	if (room && !entries)
		return -ENOMEM;
	hmap_obj_list(cred, entries, room, &l.count, &l.total);
	err = -EFAULT;
	if (hmap_uptr(l.entries, 0, 0, &uentries) ||
	    copy_to_user(uentries, entries,
			 array_size(l.count, sizeof(*entries))))
		goto out;
	err = hmap_put_arg(uarg, &l, sizeof(l));
out:
	kvfree(entries);
	return err;
}

/*
 * Copy key @i of @len bytes in from the array of key_size strides at
 * @ukeys, checking its length against the map.
 */
static int hmap_get_key(const struct hmap_params *p, void *buf, u64 ukeys,
			u32 i, u32 len)
{
	void __user *ukey;

	if (!len || len > p->key_size)
		return -EINVAL;
	if (hmap_uptr(ukeys, i, p->key_size, &ukey))
		return -EFAULT;
	return copy_from_user(buf, ukey, len) ? -EFAULT : 0;
}

/* A buffer for one key and one value: on the stack if they are small. */
static void *hmap_op_buf(const struct hmap_params *p, u8 *stack)
{
	size_t size = size_add(p->key_size, p->value_size);

	if (size <= HMAP_STACK_BUF)
		return stack;
	return kmalloc(size, GFP_KERNEL);
}

static void hmap_op_buf_free(void *buf, u8 *stack)
{
	if (buf != stack)
		kfree(buf);
}

static int hmap_ioc_elem(struct hmap_obj *obj, unsigned int cmd,
			 void __user *uarg)
{
	struct hmap_elem_op __user *uop = uarg;
	u8 stack[HMAP_STACK_BUF];
	struct hmap_elem_op op;
	void __user *uvalue;
	struct hmap_params p;
	void *key, *value;
	u32 len;
	int err;

	err = hmap_get_arg(&op, sizeof(op), uarg);
	if (err)
		return err;
	if (cmd == HMAP_IOC_UPDATE ? op.flags > HMAP_EXIST : op.flags)
		return -EINVAL;
	hmap_get_params(obj->map, &p);
	key = hmap_op_buf(&p, stack);
	if (!key)
		return -ENOMEM;
	value = key + p.key_size;
	err = hmap_get_key(&p, key, op.key, 0, op.key_len);
	if (err)
		goto out;

	switch (cmd) {
	case HMAP_IOC_LOOKUP:
		err = hmap_lookup(obj->map, key, op.key_len, value, &len);
		if (err)
			break;
		if (len > op.value_len)
			err = -ENOSPC;
		else if (hmap_uptr(op.value, 0, 0, &uvalue) ||
			 copy_to_user(uvalue, value, len))
			err = -EFAULT;
		if (put_user(len, &uop->value_len))
			err = -EFAULT;
		break;
	case HMAP_IOC_UPDATE:
		err = -EINVAL;
		if (op.value_len > p.value_size)
			break;
		err = -EFAULT;
		if (hmap_uptr(op.value, 0, 0, &uvalue) ||
		    copy_from_user(value, uvalue, op.value_len))
			break;
		err = hmap_update(obj->map, key, op.key_len, value,
				  op.value_len, op.flags);
		break;
	default:
		err = -EINVAL;
		if (op.value || op.value_len)
			break;
		err = hmap_delete(obj->map, key, op.key_len);
		break;
	}
out:
	hmap_op_buf_free(key, stack);
	return err;
}

/* Length of element @i of a batch: from @ulens if given, else @fixed. */
static int hmap_batch_len(u64 ulens, u32 i, u32 fixed, u32 *len)
{
	void __user *ulen;

	if (!ulens) {
		*len = fixed;
		return 0;
	}
	if (hmap_uptr(ulens, i, sizeof(u32), &ulen))
		return -EFAULT;
	return get_user(*len, (u32 __user *)ulen) ? -EFAULT : 0;
}

static int hmap_batch_one(struct hmap_obj *obj, unsigned int cmd,
			  const struct hmap_params *p,
			  const struct hmap_batch *b, u32 i, void *key)
{
	void __user *uvalue, *uvlen;
	void *value = key + p->key_size;
	u32 klen, vlen;
	int err;

	err = hmap_batch_len(b->key_lens, i, p->key_size, &klen);
	if (!err)
		err = hmap_get_key(p, key, b->keys, i, klen);
	if (err)
		return err;

	switch (cmd) {
	case HMAP_IOC_BATCH_LOOKUP:
		err = hmap_lookup(obj->map, key, klen, value, &vlen);
		if (err)
			return err;
		if (hmap_uptr(b->values, i, p->value_size, &uvalue) ||
		    copy_to_user(uvalue, value, vlen))
			return -EFAULT;
		if (b->value_lens &&
		    (hmap_uptr(b->value_lens, i, sizeof(u32), &uvlen) ||
		     put_user(vlen, (u32 __user *)uvlen)))
			return -EFAULT;
		return 0;
	case HMAP_IOC_BATCH_UPDATE:
		err = hmap_batch_len(b->value_lens, i, p->value_size, &vlen);
		if (err)
			return err;
		if (vlen > p->value_size)
			return -EINVAL;
		if (hmap_uptr(b->values, i, p->value_size, &uvalue) ||
		    copy_from_user(value, uvalue, vlen))
			return -EFAULT;
		return hmap_update(obj->map, key, klen, value, vlen, b->flags);
	default:
		return hmap_delete(obj->map, key, klen);
	}
}

static int hmap_ioc_batch(struct hmap_obj *obj, unsigned int cmd,
			  void __user *uarg)
{
	struct hmap_batch __user *ub = uarg;
	u8 stack[HMAP_STACK_BUF];
	struct hmap_params p;
	struct hmap_batch b;
	void *buf;
	u32 i;
	int err;

	err = hmap_get_arg(&b, sizeof(b), uarg);
	if (err)
		return err;
	if (b.__reserved ||
	    (cmd == HMAP_IOC_BATCH_UPDATE ? b.flags > HMAP_EXIST : b.flags))
		return -EINVAL;
	if (cmd == HMAP_IOC_BATCH_DELETE && (b.values || b.value_lens))
		return -EINVAL;
	hmap_get_params(obj->map, &p);
	buf = hmap_op_buf(&p, stack);
	if (!buf)
		return -ENOMEM;
	/* Signals are checked before each key, so @count is what was done. */
	for (i = 0; i < b.count; i++) {
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		err = hmap_batch_one(obj, cmd, &p, &b, i, buf);
		if (err)
			break;
		cond_resched();
	}
	hmap_op_buf_free(buf, stack);
	if (put_user(i, &ub->count))
		return -EFAULT;
	return err;
}

/* Where hmap_dump() puts entries between two copies to user space. */
struct hmap_bounce {
	const struct hmap_params *p;
	u32 room;
	u32 *key_lens;
	u32 *value_lens;	/* NULL for keys only */
	u8 *keys;
	u8 *values;
	void *buf;
};

/* Bounce buffer bytes per entry (saturating, like kvmalloc_array()). */
static size_t hmap_bounce_per(const struct hmap_params *p, bool values)
{
	size_t per = size_add(sizeof(u32), p->key_size);

	if (values)
		per = size_add(per, size_add(sizeof(u32), p->value_size));
	return per;
}

/*
 * Room for @room entries: the length arrays first, so they are aligned.
 * kvmalloc_array() refuses a @room * per that overflows, so the offsets
 * of the parts, and of any entry below @room, cannot.
 */
static int hmap_bounce_alloc(struct hmap_bounce *bb, u32 room, bool values)
{
	const struct hmap_params *p = bb->p;
	size_t per = hmap_bounce_per(p, values);
	u8 *at;

	kvfree(bb->buf);
	bb->buf = kvmalloc_array(room, per, GFP_KERNEL);
	if (!bb->buf)
		return -ENOMEM;
	bb->room = room;
	bb->key_lens = bb->buf;
	at = (u8 *)(bb->key_lens + room);
	bb->value_lens = NULL;
	if (values) {
		bb->value_lens = (u32 *)at;
		at += (size_t)room * sizeof(u32);
	}
	bb->keys = at;
	bb->values = values ? at + (size_t)room * p->key_size : NULL;
	return 0;
}

/* Copy one entry in; the rest of its slots is zeroed, never stale. */
static void hmap_bounce_fill(void *ctx, u32 i, const void *key, u32 key_len,
			     const void *value, u32 value_len)
{
	struct hmap_bounce *bb = ctx;
	u8 *k = bb->keys + (size_t)i * bb->p->key_size;

	memcpy(k, key, key_len);
	memset(k + key_len, 0, bb->p->key_size - key_len);
	bb->key_lens[i] = key_len;
	if (bb->values) {
		u8 *v = bb->values + (size_t)i * bb->p->value_size;

		memcpy(v, value, value_len);
		memset(v + value_len, 0, bb->p->value_size - value_len);
		bb->value_lens[i] = value_len;
	}
}

/* Copy @n entries from the bounce buffer to the caller's arrays at @at. */
static int hmap_bounce_out(const struct hmap_bounce *bb,
			   const struct hmap_dump *d, u32 at, u32 n)
{
	const struct hmap_params *p = bb->p;
	void __user *keys, *key_lens, *values, *value_lens;

	/* @n is at most bb->room: the lengths are parts of the bounce buffer. */
	if (hmap_uptr(d->keys, at, p->key_size, &keys) ||
	    hmap_uptr(d->key_lens, at, sizeof(u32), &key_lens) ||
	    copy_to_user(keys, bb->keys, (size_t)n * p->key_size) ||
	    copy_to_user(key_lens, bb->key_lens, n * sizeof(u32)))
		return -EFAULT;
	if (bb->values &&
	    (hmap_uptr(d->values, at, p->value_size, &values) ||
	     copy_to_user(values, bb->values, (size_t)n * p->value_size)))
		return -EFAULT;
	if (bb->values && d->value_lens &&
	    (hmap_uptr(d->value_lens, at, sizeof(u32), &value_lens) ||
	     copy_to_user(value_lens, bb->value_lens, n * sizeof(u32))))
		return -EFAULT;
	return 0;
}

static int hmap_ioc_dump(struct hmap_obj *obj, void __user *uarg)
{
	struct hmap_bounce bb = {};
	struct hmap_params p;
	struct hmap_dump d;
	u32 got = 0, n;
	bool done = false;
	size_t per;
	u64 pos;
	int err;

	err = hmap_get_arg(&d, sizeof(d), uarg);
	if (err)
		return err;
	if (d.flags & ~HMAP_DUMP_DONE || d.__reserved ||
	    (d.value_lens && !d.values))
		return -EINVAL;
	/* The cursor user space sees is opaque: it tells no hash. */
	err = hmap_dump_cursor_decode(obj->map, d.cursor, &pos);
	if (err)
		return err;
	hmap_get_params(obj->map, &p);
	bb.p = &p;
	per = hmap_bounce_per(&p, d.values);
	err = hmap_bounce_alloc(&bb, clamp_t(size_t, HMAP_BOUNCE_BYTES / per,
					     1, max(d.count, 1U)), d.values);
	if (err)
		return err;

	/* At least one call: with room 0 it still says whether it is done. */
	do {
		err = hmap_dump(obj->map, &pos, &done,
				min(bb.room, d.count - got), &n,
				hmap_bounce_fill, &bb);
		if (err == -ENOSPC && got) {
			err = 0;	/* return what fits; the rest next call */
			break;
		}
		if (err == -ENOSPC && n <= d.count) {
			/* Equal hashes beyond the bounce buffer: grow it. */
			err = hmap_bounce_alloc(&bb, n, d.values);
			if (err)
				break;
			continue;
		}
		if (err) {
			got = n;	/* the room needed */
			break;
		}
		err = hmap_bounce_out(&bb, &d, got, n);
		if (err)
			break;
		got += n;
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	} while (got < d.count && !done);
	kvfree(bb.buf);
	if (err && err != -ENOSPC)
		return err;
	d.count = got;
	d.cursor = hmap_dump_cursor_encode(obj->map, pos);
	d.flags = done ? HMAP_DUMP_DONE : 0;
	return hmap_put_arg(uarg, &d, sizeof(d)) ?: err;
}

static int hmap_ioc_cmd(struct hmap_obj *obj, unsigned int cmd,
			void __user *uarg)
{
	struct hmap_cmd c;
	int err;

	err = hmap_get_arg(&c, sizeof(c), uarg);
	if (err)
		return err;
	if (c.flags)
		return -EINVAL;
	if (cmd == HMAP_IOC_CLEAR)
		return hmap_clear(obj->map);
	return hmap_shrink_to_fit(obj->map);
}

static int hmap_ioc_stats(struct hmap_obj *obj, void __user *uarg)
{
	const size_t to = offsetofend(struct hmap_map_stats, noverflow);
	const size_t from = offsetofend(struct hmap_stats, noverflow);
	struct hmap_map_stats s = {};
	struct hmap_params p;
	struct hmap_stats st;
	u32 argsz, flags;

	if (get_user(argsz, (u32 __user *)uarg) ||
	    get_user(flags, (u32 __user *)uarg + 1))
		return -EFAULT;
	if (argsz < offsetofend(struct hmap_map_stats, flags) || flags)
		return -EINVAL;
	hmap_get_params(obj->map, &p);
	hmap_get_stats(obj->map, &st);
	s.argsz = min_t(u32, argsz, sizeof(s));
	s.key_size = p.key_size;
	s.value_size = p.value_size;
	s.max_entries = p.max_entries;
	s.B = st.B;
	s.count = st.count;
	s.old_B = st.old_B;
	s.resizing = st.resizing;
	s.nevacuate = st.nevacuate;
	s.noverflow = st.noverflow;
	/* The rest of both: the counters of <uapi/linux/hmap_stats.h>. */
	BUILD_BUG_ON(sizeof(s) - to != sizeof(st) - from);
	memcpy((u8 *)&s + to, (u8 *)&st + from, sizeof(st) - from);
	/* ABI version 1's counters stay where they are; new ones go after. */
	BUILD_BUG_ON(to != 56 ||
		     offsetof(struct hmap_map_stats, open_cursors) != 216);
	return copy_to_user(uarg, &s, s.argsz) ? -EFAULT : 0;
}

/* The commands on the bound map: which need read and which write. */
static long hmap_ioctl_map(struct hmap_file *hf, unsigned int cmd,
			   void __user *uarg)
{
	struct hmap_obj *obj = hmap_file_obj(hf);
	unsigned int need;

	switch (cmd) {
	case HMAP_IOC_STATS:
		if (!obj)
			return -ENOTCONN;
		return hmap_ioc_stats(obj, uarg);
	case HMAP_IOC_LOOKUP:
	case HMAP_IOC_BATCH_LOOKUP:
	case HMAP_IOC_DUMP:
		need = HMAP_MAY_READ;
		break;
	case HMAP_IOC_UPDATE:
	case HMAP_IOC_DELETE:
	case HMAP_IOC_BATCH_UPDATE:
	case HMAP_IOC_BATCH_DELETE:
	case HMAP_IOC_CLEAR:
	case HMAP_IOC_SHRINK:
		need = HMAP_MAY_WRITE;
		break;
	default:
		return -ENOTTY;
	}
	if (!obj)
		return -ENOTCONN;
	if (!(hf->may & need))
		return -EACCES;

	switch (cmd) {
	case HMAP_IOC_LOOKUP:
	case HMAP_IOC_UPDATE:
	case HMAP_IOC_DELETE:
		return hmap_ioc_elem(obj, cmd, uarg);
	case HMAP_IOC_BATCH_LOOKUP:
	case HMAP_IOC_BATCH_UPDATE:
	case HMAP_IOC_BATCH_DELETE:
		return hmap_ioc_batch(obj, cmd, uarg);
	case HMAP_IOC_DUMP:
		return hmap_ioc_dump(obj, uarg);
	default:
		return hmap_ioc_cmd(obj, cmd, uarg);
	}
}

/*
 * The open mode a command needs, as for read(2) and write(2): changing a
 * map needs an fd opened for writing, reading one an fd opened for
 * reading. VERSION, LIST and STATS work on any fd; OPEN needs either.
 */
static fmode_t hmap_cmd_fmode(unsigned int cmd)
{
	switch (cmd) {
	case HMAP_IOC_CREATE:
	case HMAP_IOC_DESTROY:
	case HMAP_IOC_UPDATE:
	case HMAP_IOC_DELETE:
	case HMAP_IOC_BATCH_UPDATE:
	case HMAP_IOC_BATCH_DELETE:
	case HMAP_IOC_CLEAR:
	case HMAP_IOC_SHRINK:
		return FMODE_WRITE;
	case HMAP_IOC_LOOKUP:
	case HMAP_IOC_BATCH_LOOKUP:
	case HMAP_IOC_DUMP:
		return FMODE_READ;
	default:
		return 0;
	}
}

static long hmap_ioctl(struct file *file, unsigned int cmd,
		       unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	fmode_t need = hmap_cmd_fmode(cmd);

	if ((file->f_mode & need) != need)
		return -EBADF;

	switch (cmd) {
	case HMAP_IOC_VERSION:
		return hmap_ioc_version(uarg);
	case HMAP_IOC_CREATE:
		return hmap_ioc_create(file, uarg);
	case HMAP_IOC_OPEN:
		return hmap_ioc_open(file, uarg);
	case HMAP_IOC_DESTROY:
		return hmap_ioc_destroy(file->f_cred, uarg);
	case HMAP_IOC_LIST:
		return hmap_ioc_list(file->f_cred, uarg);
	default:
		return hmap_ioctl_map(file->private_data, cmd, uarg);
	}
}

static int hmap_open(struct inode *inode, struct file *file)
{
	struct hmap_file *hf;

	hf = kzalloc(sizeof(*hf), GFP_KERNEL_ACCOUNT);
	if (!hf)
		return -ENOMEM;
	mutex_init(&hf->bind_lock);
	file->private_data = hf;
	return nonseekable_open(inode, file);
}

static int hmap_release(struct inode *inode, struct file *file)
{
	struct hmap_file *hf = file->private_data;

	if (hf->obj)
		hmap_obj_put(hf->obj);
	mutex_destroy(&hf->bind_lock);
	kfree(hf);
	return 0;
}

static const struct file_operations hmap_fops = {
	.owner = THIS_MODULE,
	.open = hmap_open,
	.release = hmap_release,
	.unlocked_ioctl = hmap_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

static struct miscdevice hmap_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hmap",
	.fops = &hmap_fops,
	.mode = 0666,
};

/**
 * hmap_dev_init() - register /dev/hmap
 *
 * Context: module init.
 * Return: 0 or -errno.
 */
int __init hmap_dev_init(void)
{
	return misc_register(&hmap_misc);
}

/**
 * hmap_dev_exit() - unregister /dev/hmap and destroy the named maps
 *
 * Context: module exit; no file is open (each holds the module).
 */
void hmap_dev_exit(void)
{
	misc_deregister(&hmap_misc);
	hmap_registry_exit();
}
