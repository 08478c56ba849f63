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
 *
 * Every command goes through hmap_ioctl(), which checks the rights that
 * its entry in the command table, hmap_iocs[], says it needs and copies its
 * argument struct in, then calls its handler, hmap_ioc_<command>(). A
 * helper whose only job is a copy across the user boundary says which way:
 * _copy_in (from user space), _copy_out (to it). The handlers and the
 * steps they are made of (hmap_elem_op_*(), hmap_batch_*_one(),
 * hmap_batch_each()) copy what their command reads and answers as part of
 * doing it, and are named for the command.
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hmap_dev.h"
#include "hmap_fault.h"
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

/* An argument struct, as hmap_ioctl() reads it in for a handler. */
union hmap_ioc_arg {
	struct hmap_version version;
	struct hmap_create create;
	struct hmap_name name;
	struct hmap_list list;
	struct hmap_elem_op elem;
	struct hmap_batch batch;
	struct hmap_dump dump;
	struct hmap_cmd cmd;
};

/**
 * enum hmap_fd_binding - what binding a command needs the fd to have
 * @HMAP_FD_BOUND_OR_NOT: none in particular: bound or not.
 * @HMAP_FD_UNBOUND_TO_BIND: not bound yet, for the command binds it.
 *	hmap_ioctl() runs the command's &hmap_ioc.check_arg, then checks
 *	this (-EBUSY if the fd is bound) and calls the handler, holding
 *	&hmap_file.bind_lock across both: a bad argument is refused as such
 *	on a bound fd too.
 * @HMAP_FD_BOUND: bound to a map (-ENOTCONN otherwise); the handler gets
 *	the map.
 */
enum hmap_fd_binding {
	HMAP_FD_BOUND_OR_NOT,
	HMAP_FD_UNBOUND_TO_BIND,
	HMAP_FD_BOUND,
};

/**
 * struct hmap_ioc - one command of /dev/hmap, as hmap_ioctl() runs it
 * @cmd: the command, with the direction and size bits it is defined with;
 *	any other value with its number is unknown (-ENOTTY).
 * @fmode: the open modes of the command: FMODE_READ for one that reads a
 *	map, FMODE_WRITE for one that changes maps, both for HMAP_IOC_OPEN,
 *	which binds the fd for reading, writing or both, as it was opened,
 *	and 0 for one that needs neither. The fd must have been opened with
 *	at least one of the modes @fmode has (-EBADF otherwise, as for
 *	read(2) and write(2)). A command on the bound map also needs every
 *	HMAP_MAY_* right on the map that matches a mode of @fmode
 *	(hmap_fmode_may(); -EACCES otherwise): every one, not one of them,
 *	though none has both modes today.
 * @binding: what binding the fd must have.
 * @out: the argument struct is output, but for its first @in_size bytes.
 * @in_size: how many bytes of the argument struct hmap_arg_copy_in() copies
 *	in: the size of the member of union hmap_ioc_arg that the handler
 *	reads. It is also the smallest argsz the caller may give (-EINVAL
 *	below it). For a command that is not @out, it is the size of the
 *	command's struct as this kernel knows it, and the caller's argsz
 *	must be at most %HMAP_ARGSZ_MAX (-E2BIG) with zero bytes beyond
 *	@in_size (-E2BIG, as copy_struct_from_user()). For an @out command,
 *	HMAP_IOC_STATS, it is 8: the {argsz, flags} of struct hmap_cmd that
 *	struct hmap_map_stats starts with; the caller's argsz is then the
 *	room it has for the answer, any value from 8 up, and the handler
 *	writes back min(argsz, sizeof(struct hmap_map_stats)) bytes, argsz
 *	included.
 * @fn: the handler, called with the argument struct copied in.
 * @check_arg: for a command that binds the fd, the checks of its argument
 *	struct, which hmap_ioctl() runs before it checks the binding.
 */
struct hmap_ioc {
	unsigned int cmd;
	fmode_t fmode;
	enum hmap_fd_binding binding;
	bool out;
	u32 in_size;
	int (*fn)(struct file *file, struct hmap_obj *obj,
		  union hmap_ioc_arg *arg, void __user *uarg);
	int (*check_arg)(const union hmap_ioc_arg *arg);
};

/*
 * The argument struct: hmap_ioctl() copies it in before the handler runs,
 * and a handler that answers in it copies it out, or puts just the one
 * field it answers in (a batch's @count, a lookup's @value_len).
 */

/*
 * Copy the argument struct of @ioc in from @uarg to @arg, checking the
 * caller's argsz (see the header of the ABI); @arg's argsz keeps the
 * caller's value.
 */
static int hmap_arg_copy_in(const struct hmap_ioc *ioc,
			    union hmap_ioc_arg *arg, void __user *uarg)
{
	u32 argsz;

	if (ioc->out) {
		if (copy_from_user(arg, uarg, ioc->in_size))
			return -EFAULT;
		return arg->cmd.argsz < ioc->in_size ? -EINVAL : 0;
	}
	if (get_user(argsz, (u32 __user *)uarg))
		return -EFAULT;
	if (argsz < ioc->in_size)
		return -EINVAL;
	if (argsz > HMAP_ARGSZ_MAX)
		return -E2BIG;
	return copy_struct_from_user(arg, ioc->in_size, uarg, argsz);
}

/*
 * Copy the argument struct @karg of @ksize bytes out to @uarg, all but its
 * argsz: the caller's is left alone (HMAP_IOC_STATS, whose argsz is in/out,
 * writes its own).
 */
static int hmap_arg_copy_out(void __user *uarg, const void *karg, size_t ksize)
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
	__must_hold(&hf->bind_lock)
{
	lockdep_assert_held(&hf->bind_lock);
	hf->may = may;
	/* Publishes the permissions with the object. */
	smp_store_release(&hf->obj, obj);
}

/* The rights on a map that match open mode @fmode: read, write or both. */
static unsigned int hmap_fmode_may(fmode_t fmode)
{
	return (fmode & FMODE_READ ? HMAP_MAY_READ : 0) |
	       (fmode & FMODE_WRITE ? HMAP_MAY_WRITE : 0);
}

/*
 * The handlers below run one command each, called by hmap_ioctl() once it
 * has checked what hmap_iocs[] says the command needs and read its
 * argument struct into @arg (@arg->*.argsz is the caller's). @obj is the
 * bound map for the commands that need one, else NULL; @uarg is where the
 * argument struct is in user space, for what they write back.
 */

static int hmap_ioc_version(struct file *file, struct hmap_obj *obj,
			    union hmap_ioc_arg *arg, void __user *uarg)
{
	struct hmap_version *v = &arg->version;

	if (v->flags)
		return -EINVAL;
	v->abi_version = HMAP_ABI_VERSION;
	v->features = HMAP_FEATURES;
	v->key_size_max = HMAP_KEY_SIZE_MAX;
	v->value_size_max = HMAP_VALUE_SIZE_MAX;
	v->max_entries_max = HMAP_MAX_ENTRIES_MAX;
	return hmap_arg_copy_out(uarg, v, sizeof(*v));
}

/* What CREATE's argument must be, checked before the fd's binding. */
static int hmap_ioc_create_check(const union hmap_ioc_arg *arg)
{
	const struct hmap_create *c = &arg->create;

	if (c->flags & ~HMAP_CREATE_ANON || c->__reserved || c->mode & ~0666)
		return -EINVAL;
	if (c->flags & HMAP_CREATE_ANON)
		return memchr_inv(c->name, 0, sizeof(c->name)) ? -EINVAL : 0;
	return hmap_check_name(c->name);
}

static int hmap_ioc_create(struct file *file, struct hmap_obj *obj,
			   union hmap_ioc_arg *arg, void __user *uarg)
{
	struct hmap_create *c = &arg->create;
	bool anon = c->flags & HMAP_CREATE_ANON;
	struct hmap_params p = {
		.key_size = c->key_size,
		.value_size = c->value_size,
		.max_entries = c->max_entries,
		.capacity_hint = c->capacity_hint,
	};
	struct hmap_obj *created;
	int err;

	err = hmap_obj_create(&p, anon ? NULL : c->name, c->mode, file->f_cred,
			      &created);
	if (!err)
		hmap_file_bind(file->private_data, created,
			       hmap_fmode_may(file->f_mode));
	return err;
}

/* Check the struct hmap_name of OPEN and DESTROY. */
static int hmap_check_name_arg(const struct hmap_name *n)
{
	if (n->flags)
		return -EINVAL;
	return hmap_check_name(n->name);
}

/* What OPEN's argument must be, checked before the fd's binding. */
static int hmap_ioc_open_check(const union hmap_ioc_arg *arg)
{
	return hmap_check_name_arg(&arg->name);
}

static int hmap_ioc_open(struct file *file, struct hmap_obj *obj,
			 union hmap_ioc_arg *arg, void __user *uarg)
{
	unsigned int want = hmap_fmode_may(file->f_mode), may;
	struct hmap_obj *opened;
	int err;

	err = hmap_obj_open(arg->name.name, file->f_cred, want, &opened, &may);
	if (!err)
		hmap_file_bind(file->private_data, opened, may);
	return err;
}

static int hmap_ioc_destroy(struct file *file, struct hmap_obj *obj,
			    union hmap_ioc_arg *arg, void __user *uarg)
{
	return hmap_check_name_arg(&arg->name) ?:
	       hmap_obj_unname(arg->name.name, file->f_cred);
}

static int hmap_ioc_list(struct file *file, struct hmap_obj *obj,
			 union hmap_ioc_arg *arg, void __user *uarg)
{
	struct hmap_list_entry *entries = NULL;
	struct hmap_list *l = &arg->list;
	void __user *uentries;
	u32 room;
	int err;

	if (l->flags)
		return -EINVAL;
	room = min_t(u32, l->count, HMAP_LIST_MAX);
	/* Nothing to copy (count 0: the total only), nothing to allocate. */
	if (room) {
		entries = hmap_fault_alloc(DEV_LIST,
					   array_size(room, sizeof(*entries)),
					   kvcalloc(room, sizeof(*entries),
						    GFP_KERNEL | __GFP_NOWARN));
		if (!entries)
			return -ENOMEM;
	}
	hmap_obj_list(file->f_cred, entries, room, &l->count, &l->total);
	err = -EFAULT;
	if (hmap_uptr(l->entries, 0, 0, &uentries) ||
	    copy_to_user(uentries, entries,
			 array_size(l->count, sizeof(*entries))))
		goto out;
	err = hmap_arg_copy_out(uarg, l, sizeof(*l));
out:
	kvfree(entries);
	return err;
}

/*
 * Copy key @i of @len bytes in from the array of key_size strides at
 * @ukeys, checking its length against the map.
 */
static int hmap_key_copy_in(const struct hmap_params *p, void *buf,
			    u64 ukeys, u32 i, u32 len)
{
	void __user *ukey;

	if (!len || len > p->key_size)
		return -EINVAL;
	if (hmap_uptr(ukeys, i, p->key_size, &ukey))
		return -EFAULT;
	return copy_from_user(buf, ukey, len) ? -EFAULT : 0;
}

/* Room for one key and one value of a map: on the stack if they are small. */
struct hmap_op_buf {
	struct hmap_params p;
	void *key;		/* key_size bytes */
	void *value;		/* value_size bytes, right after @key */
	u8 stack[HMAP_STACK_BUF];
};

static int hmap_op_buf_alloc(struct hmap_op_buf *ob, struct hmap_obj *obj)
{
	size_t size;

	hmap_get_params(obj->map, &ob->p);
	size = size_add(ob->p.key_size, ob->p.value_size);
	ob->key = ob->stack;
	if (size > HMAP_STACK_BUF) {
		/*
		 * Up to key_size_max + value_size_max (about 66 KiB), for any
		 * user of the device: kvmalloc() falls back to vmalloc rather
		 * than warn of a failed high-order allocation, and a failed
		 * vmalloc() is the caller's -ENOMEM, not a warning either.
		 */
		ob->key = hmap_fault_alloc(DEV_OP_BUF, size,
					   kvmalloc(size,
						    GFP_KERNEL | __GFP_NOWARN));
		if (!ob->key)
			return -ENOMEM;
	}
	ob->value = ob->key + ob->p.key_size;
	return 0;
}

static void hmap_op_buf_free(struct hmap_op_buf *ob)
{
	if (ob->key != ob->stack)
		kvfree(ob->key);
}

static int hmap_elem_op_lookup(struct hmap_obj *obj, struct hmap_op_buf *ob,
			       const struct hmap_elem_op *op,
			       struct hmap_elem_op __user *uop)
{
	void __user *uvalue;
	u32 len;
	int err;

	err = hmap_lookup(obj->map, ob->key, op->key_len, ob->value, &len);
	if (err)
		return err;
	if (len > op->value_len)
		err = -ENOSPC;
	else if (hmap_uptr(op->value, 0, 0, &uvalue) ||
		 copy_to_user(uvalue, ob->value, len))
		err = -EFAULT;
	if (put_user(len, &uop->value_len))
		err = -EFAULT;
	return err;
}

static int hmap_elem_op_update(struct hmap_obj *obj, struct hmap_op_buf *ob,
			       const struct hmap_elem_op *op,
			       struct hmap_elem_op __user *uop)
{
	void __user *uvalue;

	if (op->value_len > ob->p.value_size)
		return -EINVAL;
	if (hmap_uptr(op->value, 0, 0, &uvalue) ||
	    copy_from_user(ob->value, uvalue, op->value_len))
		return -EFAULT;
	return hmap_update(obj->map, ob->key, op->key_len, ob->value,
			   op->value_len, op->flags);
}

static int hmap_elem_op_delete(struct hmap_obj *obj, struct hmap_op_buf *ob,
			       const struct hmap_elem_op *op,
			       struct hmap_elem_op __user *uop)
{
	if (op->value || op->value_len)
		return -EINVAL;
	return hmap_delete(obj->map, ob->key, op->key_len);
}

/*
 * Read the key of single-key command @op into a buffer and do @one to it.
 * Inlined into each handler, so that @one is a direct call.
 */
static __always_inline int
hmap_elem_op_run(struct hmap_obj *obj, const struct hmap_elem_op *op,
		 struct hmap_elem_op __user *uop,
		 int (*one)(struct hmap_obj *obj, struct hmap_op_buf *ob,
			    const struct hmap_elem_op *op,
			    struct hmap_elem_op __user *uop))
{
	struct hmap_op_buf ob;
	int err;

	err = hmap_op_buf_alloc(&ob, obj);
	if (err)
		return err;
	err = hmap_key_copy_in(&ob.p, ob.key, op->key, 0, op->key_len);
	if (!err)
		err = one(obj, &ob, op, uop);
	hmap_op_buf_free(&ob);
	return err;
}

static int hmap_ioc_lookup(struct file *file, struct hmap_obj *obj,
			   union hmap_ioc_arg *arg, void __user *uarg)
{
	if (arg->elem.flags)
		return -EINVAL;
	return hmap_elem_op_run(obj, &arg->elem, uarg, hmap_elem_op_lookup);
}

static int hmap_ioc_update(struct file *file, struct hmap_obj *obj,
			   union hmap_ioc_arg *arg, void __user *uarg)
{
	if (arg->elem.flags > HMAP_EXIST)
		return -EINVAL;
	return hmap_elem_op_run(obj, &arg->elem, uarg, hmap_elem_op_update);
}

static int hmap_ioc_delete(struct file *file, struct hmap_obj *obj,
			   union hmap_ioc_arg *arg, void __user *uarg)
{
	if (arg->elem.flags)
		return -EINVAL;
	return hmap_elem_op_run(obj, &arg->elem, uarg, hmap_elem_op_delete);
}

/*
 * Copy the length of element @i of a batch in from the array @ulens, or,
 * if the batch has none, take @fixed.
 */
static int hmap_batch_len_copy_in(u64 ulens, u32 i, u32 fixed, u32 *len)
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

static int hmap_batch_lookup_one(struct hmap_obj *obj, struct hmap_op_buf *ob,
				 const struct hmap_batch *b, u32 i, u32 klen)
{
	void __user *uvalue, *uvlen;
	u32 vlen;
	int err;

	err = hmap_lookup(obj->map, ob->key, klen, ob->value, &vlen);
	if (err)
		return err;
	if (hmap_uptr(b->values, i, ob->p.value_size, &uvalue) ||
	    copy_to_user(uvalue, ob->value, vlen))
		return -EFAULT;
	if (b->value_lens &&
	    (hmap_uptr(b->value_lens, i, sizeof(u32), &uvlen) ||
	     put_user(vlen, (u32 __user *)uvlen)))
		return -EFAULT;
	return 0;
}

static int hmap_batch_update_one(struct hmap_obj *obj, struct hmap_op_buf *ob,
				 const struct hmap_batch *b, u32 i, u32 klen)
{
	void __user *uvalue;
	u32 vlen;
	int err;

	err = hmap_batch_len_copy_in(b->value_lens, i, ob->p.value_size, &vlen);
	if (err)
		return err;
	if (vlen > ob->p.value_size)
		return -EINVAL;
	if (hmap_uptr(b->values, i, ob->p.value_size, &uvalue) ||
	    copy_from_user(ob->value, uvalue, vlen))
		return -EFAULT;
	return hmap_update(obj->map, ob->key, klen, ob->value, vlen, b->flags);
}

static int hmap_batch_delete_one(struct hmap_obj *obj, struct hmap_op_buf *ob,
				 const struct hmap_batch *b, u32 i, u32 klen)
{
	return hmap_delete(obj->map, ob->key, klen);
}

/*
 * Read each key of batch @b in turn into a buffer and do @one to key @i,
 * of @klen bytes, at @ob->key (@ob->value is room for its value); stop at
 * the first error. Signals are checked before each key, so the @count
 * written back is what was done. Inlined into each batch handler, so that
 * @one is a direct call.
 */
static __always_inline int
hmap_batch_each(struct hmap_obj *obj, const struct hmap_batch *b,
		struct hmap_batch __user *ub,
		int (*one)(struct hmap_obj *obj, struct hmap_op_buf *ob,
			   const struct hmap_batch *b, u32 i, u32 klen))
{
	struct hmap_op_buf ob;
	u32 i = 0, klen;
	int err;

	/*
	 * @count must be writable before any key is done: a struct the
	 * caller can read but not write would otherwise see the keys done
	 * and the ioctl fail with -EFAULT, @count unchanged.
	 */
	if (put_user(b->count, &ub->count))
		return -EFAULT;
	/* No buffer, no key done: @count says so too. */
	err = hmap_op_buf_alloc(&ob, obj);
	if (err)
		goto out;
	for (i = 0; i < b->count; i++) {
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		err = hmap_batch_len_copy_in(b->key_lens, i, ob.p.key_size, &klen);
		if (!err)
			err = hmap_key_copy_in(&ob.p, ob.key, b->keys, i, klen);
		if (!err)
			err = one(obj, &ob, b, i, klen);
		if (err)
			break;
		cond_resched();
	}
	hmap_op_buf_free(&ob);
out:
	if (put_user(i, &ub->count))
		return -EFAULT;
	return err;
}

static int hmap_ioc_batch_lookup(struct file *file, struct hmap_obj *obj,
				 union hmap_ioc_arg *arg, void __user *uarg)
{
	struct hmap_batch *b = &arg->batch;

	if (b->flags || b->__reserved)
		return -EINVAL;
	return hmap_batch_each(obj, b, uarg, hmap_batch_lookup_one);
}

static int hmap_ioc_batch_update(struct file *file, struct hmap_obj *obj,
				 union hmap_ioc_arg *arg, void __user *uarg)
{
	struct hmap_batch *b = &arg->batch;

	if (b->flags > HMAP_EXIST || b->__reserved)
		return -EINVAL;
	return hmap_batch_each(obj, b, uarg, hmap_batch_update_one);
}

static int hmap_ioc_batch_delete(struct file *file, struct hmap_obj *obj,
				 union hmap_ioc_arg *arg, void __user *uarg)
{
	struct hmap_batch *b = &arg->batch;

	if (b->flags || b->__reserved || b->values || b->value_lens)
		return -EINVAL;
	return hmap_batch_each(obj, b, uarg, hmap_batch_delete_one);
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
	bb->buf = hmap_fault_alloc(DEV_BOUNCE, array_size(room, per),
				   kvmalloc_array(room, per,
						  GFP_KERNEL | __GFP_NOWARN));
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
static int hmap_bounce_copy_out(const struct hmap_bounce *bb,
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

static int hmap_ioc_dump(struct file *file, struct hmap_obj *obj,
			 union hmap_ioc_arg *arg, void __user *uarg)
{
	struct hmap_dump *d = &arg->dump;
	struct hmap_bounce bb = {};
	struct hmap_params p;
	u32 got = 0, n;
	bool done = false;
	size_t per;
	u64 pos;
	int err;

	if (d->flags & ~HMAP_DUMP_DONE || d->__reserved ||
	    (d->value_lens && !d->values))
		return -EINVAL;
	/* The cursor user space sees is opaque: it tells no hash. */
	err = hmap_dump_cursor_decode(obj->map, d->cursor, &pos);
	if (err)
		return err;
	hmap_get_params(obj->map, &p);
	bb.p = &p;
	per = hmap_bounce_per(&p, d->values);
	err = hmap_bounce_alloc(&bb, clamp_t(size_t, HMAP_BOUNCE_BYTES / per,
					     1, max(d->count, 1U)), d->values);
	if (err)
		return err;

	/* At least one call: with room 0 it still says whether it is done. */
	do {
		err = hmap_dump(obj->map, &pos, &done,
				min(bb.room, d->count - got), &n,
				hmap_bounce_fill, &bb);
		if (err == -ENOSPC && got) {
			err = 0;	/* return what fits; the rest next call */
			break;
		}
		if (err == -ENOSPC && n <= d->count) {
			/* Equal hashes beyond the bounce buffer: grow it. */
			err = hmap_bounce_alloc(&bb, n, d->values);
			if (err)
				break;
			continue;
		}
		if (err) {
			got = n;	/* the room needed */
			break;
		}
		err = hmap_bounce_copy_out(&bb, d, got, n);
		if (err)
			break;
		got += n;
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	} while (got < d->count && !done);
	kvfree(bb.buf);
	if (err && err != -ENOSPC)
		return err;
	d->count = got;
	d->cursor = hmap_dump_cursor_encode(obj->map, pos);
	d->flags = done ? HMAP_DUMP_DONE : 0;
	return hmap_arg_copy_out(uarg, d, sizeof(*d)) ?: err;
}

static int hmap_ioc_clear(struct file *file, struct hmap_obj *obj,
			  union hmap_ioc_arg *arg, void __user *uarg)
{
	return arg->cmd.flags ? -EINVAL : hmap_clear(obj->map);
}

static int hmap_ioc_shrink(struct file *file, struct hmap_obj *obj,
			   union hmap_ioc_arg *arg, void __user *uarg)
{
	return arg->cmd.flags ? -EINVAL : hmap_shrink_to_fit(obj->map);
}

/*
 * Only {argsz, flags} was copied in (in_size 8): argsz is the room the
 * caller has, at least 8 bytes; the bytes filled are written back in it.
 */
static int hmap_ioc_stats(struct file *file, struct hmap_obj *obj,
			  union hmap_ioc_arg *arg, void __user *uarg)
{
	const size_t to = offsetofend(struct hmap_map_stats, noverflow);
	const size_t from = offsetofend(struct hmap_stats, noverflow);
	struct hmap_map_stats s = {};
	struct hmap_params p;
	struct hmap_stats st;
	u32 argsz = arg->cmd.argsz;

	if (arg->cmd.flags)
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

/*
 * The entry of hmap_iocs[] for HMAP_IOC_@_name, at its number (as DRM's
 * DRM_IOCTL_DEF_DRV()): @_fn reads member @_arg of union hmap_ioc_arg.
 * Further fields (.out) may follow.
 */
#define HMAP_IOC_DEF(_name, _fn, _arg, _fmode, _binding, ...)		\
	[_IOC_NR(HMAP_IOC_##_name)] = {					\
		.cmd = HMAP_IOC_##_name,				\
		.fn = (_fn),						\
		.in_size = sizeof_field(union hmap_ioc_arg, _arg),	\
		.fmode = (_fmode),					\
		.binding = (_binding),					\
		__VA_ARGS__						\
	}

/**
 * DOC: the command table
 *
 * hmap_iocs[] lists every command of /dev/hmap at its number, _IOC_NR():
 * the command, its handler and the member of union hmap_ioc_arg its
 * argument struct is copied into (whose size, &hmap_ioc.in_size, is the
 * bytes copied in and the smallest argsz); then the open mode the fd
 * needs (for a command on the bound map, also the right its binding needs
 * on the map) and the binding the fd needs; for a command that binds the
 * fd, the checks of its argument that come before the binding's. hmap_ioctl()
 * checks these, copies the argument struct in and calls the handler, which
 * does its command only.
 * Numbers the table skips are holes, with no handler: -ENOTTY.
 */
static const struct hmap_ioc hmap_iocs[] = {
	/* On any fd. */
	HMAP_IOC_DEF(VERSION, hmap_ioc_version, version, 0, HMAP_FD_BOUND_OR_NOT),
	HMAP_IOC_DEF(LIST, hmap_ioc_list, list, 0, HMAP_FD_BOUND_OR_NOT),
	HMAP_IOC_DEF(DESTROY, hmap_ioc_destroy, name, FMODE_WRITE, HMAP_FD_BOUND_OR_NOT),
	/* They bind the fd. */
	HMAP_IOC_DEF(CREATE, hmap_ioc_create, create, FMODE_WRITE, HMAP_FD_UNBOUND_TO_BIND,
		     .check_arg = hmap_ioc_create_check),
	HMAP_IOC_DEF(OPEN, hmap_ioc_open, name, FMODE_READ | FMODE_WRITE, HMAP_FD_UNBOUND_TO_BIND,
		     .check_arg = hmap_ioc_open_check),
	/* On the bound map: they read it, */
	HMAP_IOC_DEF(LOOKUP, hmap_ioc_lookup, elem, FMODE_READ, HMAP_FD_BOUND),
	HMAP_IOC_DEF(BATCH_LOOKUP, hmap_ioc_batch_lookup, batch, FMODE_READ, HMAP_FD_BOUND),
	HMAP_IOC_DEF(DUMP, hmap_ioc_dump, dump, FMODE_READ, HMAP_FD_BOUND),
	/* change it, */
	HMAP_IOC_DEF(UPDATE, hmap_ioc_update, elem, FMODE_WRITE, HMAP_FD_BOUND),
	HMAP_IOC_DEF(DELETE, hmap_ioc_delete, elem, FMODE_WRITE, HMAP_FD_BOUND),
	HMAP_IOC_DEF(BATCH_UPDATE, hmap_ioc_batch_update, batch, FMODE_WRITE, HMAP_FD_BOUND),
	HMAP_IOC_DEF(BATCH_DELETE, hmap_ioc_batch_delete, batch, FMODE_WRITE, HMAP_FD_BOUND),
	HMAP_IOC_DEF(CLEAR, hmap_ioc_clear, cmd, FMODE_WRITE, HMAP_FD_BOUND),
	HMAP_IOC_DEF(SHRINK, hmap_ioc_shrink, cmd, FMODE_WRITE, HMAP_FD_BOUND),
	/*
	 * or tell its sizes and counters: its argument is output, but for the
	 * {argsz, flags} that struct hmap_cmd also starts with.
	 */
	HMAP_IOC_DEF(STATS, hmap_ioc_stats, cmd, 0, HMAP_FD_BOUND, .out = true),
};

/* STATS copies in the struct hmap_cmd its struct starts with: 8 bytes. */
static_assert(offsetofend(struct hmap_map_stats, flags) ==
	      sizeof(struct hmap_cmd) && sizeof(struct hmap_cmd) == 8);

/**
 * hmap_ioctl() - run a command of /dev/hmap
 * @file: the open /dev/hmap.
 * @cmd: the command, HMAP_IOC_*.
 * @arg: the address of its argument struct in user space.
 *
 * Finds @cmd in hmap_iocs[] and checks, in this order, that @file was
 * opened with a mode the command needs, that it is bound to a map if the
 * command needs one, and that the binding has the rights on the map the
 * command needs; then reads the argument struct and calls the handler.
 * For a command that binds @file it checks the argument, then that @file
 * is not bound yet, before the handler.
 *
 * Context: process context; may sleep. Holds &hmap_file.bind_lock around
 * the checks and handlers of the commands that bind @file.
 * Return: what the handler returns, 0 or -errno as the ABI header lists
 * them; or -ENOTTY if @cmd is not a command (or has other direction or
 * size bits), -EBADF if @file was not opened for what it needs, -ENOTCONN
 * if it is not bound and must be, -EBUSY if it is bound and must not be,
 * -EACCES if its binding may not do it; -EFAULT, -EINVAL or -E2BIG for an
 * argument struct that cannot be read or has a bad argsz.
 */
static long hmap_ioctl(struct file *file, unsigned int cmd,
		       unsigned long arg)
{
	struct hmap_file *hf = file->private_data;
	void __user *uarg = (void __user *)arg;
	unsigned int nr = _IOC_NR(cmd);
	const struct hmap_ioc *ioc;
	struct hmap_obj *obj = NULL;
	union hmap_ioc_arg karg;
	unsigned int may;
	int err;

	if (nr >= ARRAY_SIZE(hmap_iocs))
		return -ENOTTY;
	ioc = &hmap_iocs[array_index_nospec(nr, ARRAY_SIZE(hmap_iocs))];
	if (ioc->cmd != cmd || !ioc->fn)
		return -ENOTTY;
	if (ioc->fmode && !(file->f_mode & ioc->fmode))
		return -EBADF;
	if (ioc->binding == HMAP_FD_BOUND) {
		obj = hmap_file_obj(hf);
		if (!obj)
			return -ENOTCONN;
		may = hmap_fmode_may(ioc->fmode);
		if ((hf->may & may) != may)
			return -EACCES;
	}
	err = hmap_arg_copy_in(ioc, &karg, uarg);
	if (err)
		return err;
	if (ioc->binding != HMAP_FD_UNBOUND_TO_BIND)
		return ioc->fn(file, obj, &karg, uarg);
	mutex_lock(&hf->bind_lock);
	err = ioc->check_arg(&karg);
	if (!err)
		err = hf->obj ? -EBUSY : ioc->fn(file, NULL, &karg, uarg);
	mutex_unlock(&hf->bind_lock);
	return err;
}

static int hmap_open(struct inode *inode, struct file *file)
{
	struct hmap_file *hf;

	hf = hmap_fault_alloc(DEV_FILE, sizeof(*hf),
			      kzalloc(sizeof(*hf), GFP_KERNEL_ACCOUNT));
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

/* No .llseek: nonseekable_open() makes lseek() fail with -ESPIPE. */
static const struct file_operations hmap_fops = {
	.owner = THIS_MODULE,
	.open = hmap_open,
	.release = hmap_release,
	.unlocked_ioctl = hmap_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
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
