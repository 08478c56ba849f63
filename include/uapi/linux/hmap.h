/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hmap user-space ABI: the /dev/hmap character device.
 *
 * Open /dev/hmap, then bind the file descriptor to a map with
 * HMAP_IOC_CREATE (a new named or anonymous map) or HMAP_IOC_OPEN (an
 * existing named map); every per-map command then works on the bound map.
 *
 * Rights follow the file descriptor, as for files: they are fixed by the
 * mode the fd was opened with and the credentials of whoever opened it,
 * not of whoever calls the ioctl. Commands that change maps (CREATE,
 * DESTROY, UPDATE, DELETE, BATCH_UPDATE, BATCH_DELETE, CLEAR, SHRINK) need
 * an fd opened for writing (O_WRONLY or O_RDWR), commands that read one
 * (LOOKUP, BATCH_LOOKUP, DUMP) an fd opened for reading (O_RDONLY or
 * O_RDWR): otherwise -EBADF, as write(2) on an fd opened O_RDONLY. OPEN
 * needs either and binds the fd with the rights that both its open mode
 * and the map's mode grant the opener (owner, group or other bits, or all
 * with CAP_DAC_OVERRIDE): -EACCES if that is none. CREATE binds with the
 * rights of the open mode. The opener's fsuid and fsgid own the maps
 * created through the fd, its fsuid is charged for them (unless it has
 * CAP_SYS_RESOURCE), DESTROY needs the opener to own the map or have
 * CAP_SYS_ADMIN, and LIST shows owners in the opener's user namespace.
 * VERSION and LIST work on any fd, STATS on any bound one. An fd handed
 * to another process (fork(), SCM_RIGHTS, pidfd_getfd()) carries exactly
 * these rights, and for the commands that name a map (CREATE, OPEN,
 * DESTROY) its opener's identity, bound or not: bind an fd before passing
 * it on, and do not pass an fd opened by a privileged user to one who may
 * not DESTROY.
 * Memory is charged to the memory cgroup of the task that calls CREATE.
 *
 * Every argument struct starts with @argsz, the size of the struct as the
 * caller knows it, and @flags. @argsz below the kernel's size is -EINVAL.
 * Above it, the bytes beyond the kernel's struct must be zero, as for
 * openat2(2) (copy_struct_from_user()): otherwise -E2BIG. So structs can
 * grow at the end, up to HMAP_ARGSZ_MAX: a larger @argsz is -E2BIG
 * whatever the tail (openat2(2) and clone3(2) refuse more than a page;
 * HMAP_ARGSZ_MAX is the same on every architecture). HMAP_IOC_STATS, whose
 * struct is all output, takes any @argsz >= 8 instead. The kernel never
 * writes @argsz back (the caller's struct keeps the size it gave), but for
 * HMAP_IOC_STATS, where it is in/out: out, the bytes filled, the lesser
 * of the size given and sizeof(struct hmap_map_stats). Reserved fields and
 * padding must be zero, fields documented as "out" are ignored on input, and
 * unknown flags are rejected with -EINVAL; unknown commands fail with
 * -ENOTTY. Pointers are passed as __u64; an address that does not fit in
 * a pointer, such as an array element past 2^64 (or past 4 GiB on a 32-bit
 * kernel), is -EFAULT, never wrapped. Keys are byte strings of 1..key_size
 * bytes, values of 0..value_size bytes.
 *
 * Names are 1..63 characters of [A-Za-z0-9._-] (ASCII only: no byte above
 * 0x7f), NUL-terminated within HMAP_NAME_MAX bytes with zeros after the
 * NUL, not starting with a dot and not "stats": -ENAMETOOLONG without a
 * NUL, -EINVAL otherwise. Named maps are listed to everyone (LIST); the
 * mode guards their contents.
 *
 * Errors follow bpf(2) hash maps: -ENOENT (no such key or map), -EEXIST
 * (key present with HMAP_NOEXIST, or name taken), -E2BIG (map full, or an
 * argument struct with unknown non-zero bytes or @argsz above
 * HMAP_ARGSZ_MAX), -EINVAL (bad size, flag or reserved field), -ENOMEM,
 * plus -EACCES (the map's mode forbids it, or DESTROY by someone other
 * than the owner without CAP_SYS_ADMIN), -EBADF (the fd was not opened for
 * reading, or for writing, as the command needs), -ENOTCONN (fd not
 * bound), -EBUSY (fd already bound), -EDQUOT (per-user limit), -EFAULT
 * (bad pointer), -ENOSPC (output buffer too small), -EINTR (a batch cut
 * short by a fatal signal, @count written: the process is being killed,
 * so only memory it shares shows how far it got; or a SHRINK so cut
 * short, the map then not fitted), -EAGAIN (SHRINK: other
 * writers kept changing the size the map needs, or starting resizes; the
 * map is unchanged but for resizes, try again).
 */
#ifndef _UAPI_LINUX_HMAP_H
#define _UAPI_LINUX_HMAP_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define HMAP_ABI_VERSION	1
#define HMAP_NAME_MAX		64	/* including the terminating NUL */
#define HMAP_ARGSZ_MAX		4096	/* largest @argsz (but STATS') */
#define HMAP_LIST_MAX		4096	/* most entries one LIST writes */

/* HMAP_IOC_VERSION features. */
#define HMAP_FEAT_NAMED		_BITULL(0)	/* named maps, open by name */
#define HMAP_FEAT_ANON		_BITULL(1)	/* anonymous maps */
#define HMAP_FEAT_BATCH		_BITULL(2)	/* batch lookup/update/delete */
#define HMAP_FEAT_DUMP		_BITULL(3)	/* dump by cursor */
#define HMAP_FEAT_STATS		_BITULL(4)	/* HMAP_IOC_STATS */
/* Every feature this header describes: what HMAP_IOC_VERSION reports. */
#define HMAP_FEATURES		(HMAP_FEAT_NAMED | HMAP_FEAT_ANON | \
				 HMAP_FEAT_BATCH | HMAP_FEAT_DUMP | \
				 HMAP_FEAT_STATS)

/**
 * enum hmap_resize_kind - which resize, if any, is in progress
 * @HMAP_RESIZE_NONE: none.
 * @HMAP_RESIZE_GROW: doubling the bucket array (load factor above 6.5).
 * @HMAP_RESIZE_SAME: rebuilding it at the same size, to compact overflow
 *	chains (a same-size grow).
 * @HMAP_RESIZE_SHRINK: halving the bucket array (load factor below 1.625).
 *
 * The values of &struct hmap_map_stats @resizing, and of the kind of the
 * hmap:hmap_resize_start and hmap:hmap_resize_finish trace events.
 */
enum hmap_resize_kind {
	HMAP_RESIZE_NONE = 0,
	HMAP_RESIZE_GROW = 1,
	HMAP_RESIZE_SAME = 2,
	HMAP_RESIZE_SHRINK = 3,
};

/**
 * struct hmap_version - ABI handshake (HMAP_IOC_VERSION)
 * @argsz: sizeof(struct hmap_version).
 * @flags: zero.
 * @abi_version: out: HMAP_ABI_VERSION.
 * @key_size_max: out: largest key_size a map may have.
 * @features: out: HMAP_FEAT_* the kernel supports.
 * @value_size_max: out: largest value_size a map may have.
 * @max_entries_max: out: largest max_entries a map may have.
 */
struct hmap_version {
	__u32 argsz;
	__u32 flags;
	__u32 abi_version;
	__u32 key_size_max;
	__u64 features;
	__u32 value_size_max;
	__u32 max_entries_max;
};

/* HMAP_IOC_CREATE flags. */
#define HMAP_CREATE_ANON	_BITUL(0)	/* no name, dies with the fd */

/**
 * struct hmap_create - create a map and bind the fd to it (HMAP_IOC_CREATE)
 * @argsz: sizeof(struct hmap_create).
 * @flags: HMAP_CREATE_ANON or zero.
 * @key_size: largest key, bytes.
 * @value_size: largest value, bytes.
 * @max_entries: most entries.
 * @capacity_hint: entries to size the map for at creation.
 * @mode: permission bits (0666 at most) for the owner (the fsuid of the
 *	fd's opener), the group (its fsgid) and others; read bits allow
 *	lookup and dump, write bits allow update, delete, clear and shrink,
 *	to fds bound by HMAP_IOC_OPEN (the creating fd has the rights of its
 *	open mode).
 * @__reserved: zero.
 * @name: NUL-terminated name of a named map; all zero with
 *	HMAP_CREATE_ANON.
 */
struct hmap_create {
	__u32 argsz;
	__u32 flags;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 capacity_hint;
	__u32 mode;
	__u32 __reserved;
	char name[HMAP_NAME_MAX];
};

/**
 * struct hmap_name - name a map (HMAP_IOC_OPEN, HMAP_IOC_DESTROY)
 * @argsz: sizeof(struct hmap_name).
 * @flags: zero.
 * @name: NUL-terminated name.
 *
 * HMAP_IOC_OPEN binds the fd to the map, with the rights its open mode and
 * the map's mode grant the fd's opener. HMAP_IOC_DESTROY (an fd opened for
 * writing) removes the name (the fd's opener must own the map or have
 * CAP_SYS_ADMIN); fds bound to the map keep working until they are closed,
 * then it is freed.
 */
struct hmap_name {
	__u32 argsz;
	__u32 flags;
	char name[HMAP_NAME_MAX];
};

/**
 * struct hmap_list_entry - one named map, as HMAP_IOC_LIST reports it
 * @name: its name.
 * @owner: uid of its owner, in the user namespace of the fd's opener.
 * @mode: its permission bits.
 * @key_size: largest key.
 * @value_size: largest value.
 * @max_entries: most entries.
 * @__reserved: zero.
 * @count: entries now.
 */
struct hmap_list_entry {
	char name[HMAP_NAME_MAX];
	__u32 owner;
	__u32 mode;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 __reserved;
	__u64 count;
};

/**
 * struct hmap_list - list the named maps (HMAP_IOC_LIST)
 * @argsz: sizeof(struct hmap_list).
 * @flags: zero.
 * @count: in: room in @entries (at most HMAP_LIST_MAX are written a call,
 *	whatever the room); out: entries written.
 * @total: out: named maps that exist (more than @count if it was short, or
 *	if there are more than HMAP_LIST_MAX: LIST has no cursor, the rest
 *	cannot be listed).
 * @entries: pointer to an array of struct hmap_list_entry.
 */
struct hmap_list {
	__u32 argsz;
	__u32 flags;
	__u32 count;
	__u32 total;
	__u64 entries;
};

/* HMAP_IOC_UPDATE and batch update flags (bpf(2) BPF_ANY/NOEXIST/EXIST). */
#define HMAP_ANY	0U	/* create or replace */
#define HMAP_NOEXIST	1U	/* create only */
#define HMAP_EXIST	2U	/* replace only */

/**
 * struct hmap_elem_op - one key (HMAP_IOC_LOOKUP, _UPDATE, _DELETE)
 * @argsz: sizeof(struct hmap_elem_op).
 * @flags: HMAP_ANY, HMAP_NOEXIST or HMAP_EXIST for update, else zero.
 * @key: pointer to the key.
 * @value: pointer to the value (lookup: the buffer filled; delete: zero).
 * @key_len: key length, 1..key_size.
 * @value_len: update: value length; lookup: in: room at @value, out: the
 *	value's length (also written with -ENOSPC when the room is short);
 *	delete: zero.
 */
struct hmap_elem_op {
	__u32 argsz;
	__u32 flags;
	__u64 key;
	__u64 value;
	__u32 key_len;
	__u32 value_len;
};

/**
 * struct hmap_batch - many keys (HMAP_IOC_BATCH_LOOKUP, _UPDATE, _DELETE)
 * @argsz: sizeof(struct hmap_batch).
 * @flags: for update HMAP_ANY, HMAP_NOEXIST or HMAP_EXIST, else zero.
 * @count: in: number of keys; out: keys done. The batch stops at the first
 *	error, which the ioctl returns; @count then says how far it got.
 *	If @count cannot be written the batch fails with -EFAULT before any
 *	key is done (unless the struct's memory is unmapped or made
 *	read-only while the batch runs: then -EFAULT may follow changes).
 * @__reserved: zero.
 * @keys: pointer to @count keys, one every key_size bytes.
 * @key_lens: pointer to @count __u32 key lengths, or zero if every key is
 *	key_size bytes long.
 * @values: pointer to @count values, one every value_size bytes (zero for
 *	delete).
 * @value_lens: pointer to @count __u32 value lengths (update: in, lookup:
 *	out), or zero: every value is value_size bytes (update) or the
 *	lengths are not wanted (lookup).
 */
struct hmap_batch {
	__u32 argsz;
	__u32 flags;
	__u32 count;
	__u32 __reserved;
	__u64 keys;
	__u64 key_lens;
	__u64 values;
	__u64 value_lens;
};

/* HMAP_IOC_DUMP output flags. */
#define HMAP_DUMP_DONE	_BITUL(0)	/* the walk reached the end */

/**
 * struct hmap_dump - a batch of entries in hash order (HMAP_IOC_DUMP)
 * @argsz: sizeof(struct hmap_dump).
 * @flags: in: zero (HMAP_DUMP_DONE left from the last call is ignored);
 *	out: HMAP_DUMP_DONE when nothing is left.
 * @count: in: room for entries; out: entries written.
 * @__reserved: zero.
 * @cursor: in/out: where the walk is; zero to start, then the value the
 *	last call returned. It names a position in the map's hash order, not
 *	a pointer, so it stays valid across calls and resizes: an entry
 *	present for the whole walk is returned exactly once. It is opaque:
 *	an encryption under a per-map random key, so no cursor is a hash and
 *	cursors differ between maps holding the same keys; a value the map
 *	did not hand out is -EINVAL (or names some position). The order of
 *	the entries still follows their hashes bucket by bucket, so whoever
 *	may dump a map can tell which keys share a bucket (as with any dump
 *	that walks buckets); give write and read rights on a map together
 *	only to users trusted not to fill one bucket on purpose.
 *	Entries with equal hashes (or hashes that differ only in their top
 *	bit) come in one batch; -ENOSPC with @count set to the room needed
 *	if they do not fit (the cursor may have moved past
 *	empty buckets: call again with it). A call may return no entry
 *	without HMAP_DUMP_DONE: call again. The cursor returned with
 *	HMAP_DUMP_DONE stays at the end: a call with it returns no entry and
 *	HMAP_DUMP_DONE again; start over with zero.
 * @keys: pointer to room for @count keys, key_size bytes apart.
 * @key_lens: pointer to room for @count __u32 key lengths (-EFAULT if
 *	it is bad and an entry is written; a call that writes none reads no
 *	pointer).
 * @values: pointer to room for @count values, value_size bytes apart, or
 *	zero for keys only.
 * @value_lens: pointer to room for @count __u32 value lengths, or zero;
 *	-EINVAL if set with @values zero.
 */
struct hmap_dump {
	__u32 argsz;
	__u32 flags;
	__u32 count;
	__u32 __reserved;
	__u64 cursor;
	__u64 keys;
	__u64 key_lens;
	__u64 values;
	__u64 value_lens;
};

/**
 * struct hmap_cmd - a command with no argument but flags (HMAP_IOC_CLEAR,
 *	HMAP_IOC_SHRINK)
 * @argsz: sizeof(struct hmap_cmd).
 * @flags: zero.
 *
 * HMAP_IOC_CLEAR deletes every entry; lookups running meanwhile see the
 * map before or after. It allocates a new bucket array (-ENOMEM: the map
 * is unchanged) and may wait for grace periods when the arrays of
 * destroyed and cleared maps not yet freed pass 16 MiB.
 * HMAP_IOC_SHRINK resizes the map to the size its count needs: it
 * finishes the resize in progress, then shrinks to the smallest array
 * whose load factor holds the count, or rebuilds the array at its size if
 * writes added overflow buckets since it was built, or, for a map above
 * its load (its entries went into overflow chains while arrays failed),
 * grows it; after a SHRINK that returned 0, a second one, nothing written
 * between, changes nothing. It may sleep and allocate: -ENOMEM, -EINTR
 * (fatal signal; the map is correct but may not be fitted) and -EAGAIN
 * (other writers kept moving the count or starting resizes) leave every
 * entry in place.
 */
struct hmap_cmd {
	__u32 argsz;
	__u32 flags;
};

/**
 * struct hmap_map_stats - the bound map's counters (HMAP_IOC_STATS)
 * @argsz: in: the room the caller has; out: the size the kernel filled.
 * @flags: zero.
 * @key_size: the map's key_size.
 * @value_size: the map's value_size.
 * @max_entries: the map's max_entries.
 * @B: log2 of the bucket count writes go to.
 * @count: entries.
 * @old_B: log2 of the bucket count being evacuated, while resizing.
 * @resizing: the resize in progress, an &enum hmap_resize_kind.
 * @nevacuate: old buckets below this are evacuated.
 * @noverflow: overflow buckets of the current array.
 *
 * Then, to the end of the struct, one __u64 per line of
 * <linux/hmap_stats.h>, which says what each counts (@grows ...
 * @open_cursors).
 *
 * The kernel writes min(@argsz, its size) bytes, so an older caller gets
 * the fields it knows and a newer one sees from @argsz what was filled.
 * Allowed on any bound fd, whatever its open mode and whether it may read
 * or only write: it tells key_size and value_size, which batches and dumps
 * are laid out by.
 */
struct hmap_map_stats {
	__u32 argsz;
	__u32 flags;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 B;
	__u64 count;
	__u32 old_B;
	__u32 resizing;
	__u64 nevacuate;
	__u64 noverflow;
	/* private: the counters, one per line of hmap_stats.h */
#define HMAP_STAT(name)	__u64 name
#include "hmap_stats.h"
#undef HMAP_STAT
};

/*
 * 0xB8 is free in Documentation/userspace-api/ioctl/ioctl-number.rst. The
 * size is not encoded: @argsz versions the structs.
 */
#define HMAP_IOC_MAGIC		0xB8
#define HMAP_IOC_VERSION	_IO(HMAP_IOC_MAGIC, 0x00)
#define HMAP_IOC_CREATE		_IO(HMAP_IOC_MAGIC, 0x01)
#define HMAP_IOC_OPEN		_IO(HMAP_IOC_MAGIC, 0x02)
#define HMAP_IOC_DESTROY	_IO(HMAP_IOC_MAGIC, 0x03)
#define HMAP_IOC_LIST		_IO(HMAP_IOC_MAGIC, 0x04)
#define HMAP_IOC_LOOKUP		_IO(HMAP_IOC_MAGIC, 0x10)
#define HMAP_IOC_UPDATE		_IO(HMAP_IOC_MAGIC, 0x11)
#define HMAP_IOC_DELETE		_IO(HMAP_IOC_MAGIC, 0x12)
#define HMAP_IOC_BATCH_LOOKUP	_IO(HMAP_IOC_MAGIC, 0x13)
#define HMAP_IOC_BATCH_UPDATE	_IO(HMAP_IOC_MAGIC, 0x14)
#define HMAP_IOC_BATCH_DELETE	_IO(HMAP_IOC_MAGIC, 0x15)
#define HMAP_IOC_DUMP		_IO(HMAP_IOC_MAGIC, 0x16)
#define HMAP_IOC_CLEAR		_IO(HMAP_IOC_MAGIC, 0x17)
#define HMAP_IOC_SHRINK		_IO(HMAP_IOC_MAGIC, 0x18)
#define HMAP_IOC_STATS		_IO(HMAP_IOC_MAGIC, 0x19)

#endif /* _UAPI_LINUX_HMAP_H */
