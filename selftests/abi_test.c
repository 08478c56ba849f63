// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI of /dev/hmap: what every command's argument shares
 * (fixture hmap_ioctl, one variant per command: argsz versioning, bad
 * struct pointers, unknown flags, the command encoding, bound and unbound
 * fds, open modes), reserved fields, unknown commands, and an fd bound
 * once. See common.h.
 */
#include "common.h"

/* ------------------------------------------------------------------------
 * Fixture hmap_ioctl: what every command's argument struct shares.
 */

#define IO_KS	8
#define IO_VS	8

/* The open mode a command needs (-EBADF without it). */
enum io_fmode {
	IO_FM_ANY,	/* VERSION, LIST, STATS; OPEN needs read or write */
	IO_FM_READ,	/* LOOKUP, BATCH_LOOKUP, DUMP */
	IO_FM_WRITE,	/* CREATE, DESTROY and the commands changing a map */
};

enum io_fd_kind {
	IO_ANY,		/* works on any fd: VERSION, DESTROY, LIST */
	IO_UNBOUND,	/* needs an unbound fd: CREATE, OPEN */
	IO_BOUND,	/* needs a bound fd: the per-map commands */
};

FIXTURE(hmap_ioctl) {
	int fd;		/* bound to the named map self->name, holding key 1 */
	int ufd;	/* unbound */
	char prefix[HMAP_NAME_MAX];
	char name[HMAP_NAME_MAX];
	__u64 key;
	__u8 value[IO_VS];
	__u32 vlen;
	struct hmap_list_entry list[4];
	__u64 dkeys[4];
	__u32 dklens[4];
	__u8 dvals[4 * IO_VS];
	__u32 dvlens[4];
	__u8 *area;	/* two pages, the second PROT_NONE: the arg struct */
	size_t page;
};

/* The types of self and variant in TEST_F(hmap_ioctl, ...), for helpers. */
#define IO_FIXTURE		FIXTURE_DATA(hmap_ioctl)
#define IO_FIXTURE_VARIANT	FIXTURE_VARIANT(hmap_ioctl)

FIXTURE_VARIANT(hmap_ioctl) {
	unsigned long cmd;
	__u32 size;
	enum io_fd_kind kind;
	enum io_fmode fmode;
	__u32 bad_flags[3];
	/* STATS: the struct is all output, any argsz >= 8 is room to fill */
	bool output_only;
	void (*prep)(IO_FIXTURE *self, void *arg);
};

static void prep_version(IO_FIXTURE *self, void *arg)
{
	struct hmap_version *v = arg;

	(void)self;
	v->argsz = sizeof(*v);
}

static void prep_create(IO_FIXTURE *self, void *arg)
{
	(void)self;
	hm_create_init(arg, NULL, IO_KS, IO_VS, 4, 0600);
}

static void prep_name(IO_FIXTURE *self, void *arg)
{
	struct hmap_name *n = arg;

	n->argsz = sizeof(*n);
	hm_set_name(n->name, self->name);
}

static void prep_list(IO_FIXTURE *self, void *arg)
{
	struct hmap_list *l = arg;

	l->argsz = sizeof(*l);
	l->count = 4;
	l->entries = U64P(self->list);
}

static void prep_elem(IO_FIXTURE *self, void *arg, bool value)
{
	struct hmap_elem_op *op = arg;

	op->argsz = sizeof(*op);
	op->key = U64P(&self->key);
	op->key_len = sizeof(self->key);
	if (value) {
		op->value = U64P(self->value);
		op->value_len = sizeof(self->value);
	}
}

static void prep_lookup(IO_FIXTURE *self, void *arg)
{
	prep_elem(self, arg, true);
}

static void prep_update(IO_FIXTURE *self, void *arg)
{
	prep_elem(self, arg, true);
}

static void prep_delete(IO_FIXTURE *self, void *arg)
{
	prep_elem(self, arg, false);
}

static void prep_batch(IO_FIXTURE *self, void *arg, bool values)
{
	struct hmap_batch *b = arg;

	b->argsz = sizeof(*b);
	b->count = 1;
	b->keys = U64P(&self->key);
	if (values) {
		b->values = U64P(self->value);
		b->value_lens = U64P(&self->vlen);
	}
}

static void prep_batch_lookup(IO_FIXTURE *self, void *arg)
{
	prep_batch(self, arg, true);
}

static void prep_batch_update(IO_FIXTURE *self, void *arg)
{
	self->vlen = IO_VS;
	prep_batch(self, arg, true);
}

static void prep_batch_delete(IO_FIXTURE *self, void *arg)
{
	prep_batch(self, arg, false);
}

static void prep_dump(IO_FIXTURE *self, void *arg)
{
	struct hmap_dump *d = arg;

	d->argsz = sizeof(*d);
	d->count = 4;
	d->keys = U64P(self->dkeys);
	d->key_lens = U64P(self->dklens);
	d->values = U64P(self->dvals);
	d->value_lens = U64P(self->dvlens);
}

static void prep_cmd(IO_FIXTURE *self, void *arg)
{
	struct hmap_cmd *c = arg;

	(void)self;
	c->argsz = sizeof(*c);
}

static void prep_stats(IO_FIXTURE *self, void *arg)
{
	struct hmap_map_stats *s = arg;

	(void)self;
	s->argsz = sizeof(*s);
}

/*
 * Flags each command refuses. Bit 0 is HMAP_CREATE_ANON for CREATE and
 * HMAP_DUMP_DONE for DUMP, where one left over from the last call is
 * ignored.
 */
#define FLAGS_NONE	{ 1, 2, 0x80000000 }	/* commands taking no flag */
#define FLAGS_BIT0	{ 2, 4, 0x80000000 }	/* CREATE, DUMP */
#define FLAGS_UPDATE	{ 3, 4, 0x80000000 }	/* ANY/NOEXIST/EXIST only */

/*
 * The variant of a command whose argument is read (and maybe written):
 * FIXTURE_VARIANT_ADD(hmap_ioctl, name) IO_VARIANT(...);
 */
#define IO_VARIANT(_cmd, _struct, _prep, _kind, _fmode, _flags) {	\
	.cmd = _cmd, .size = sizeof(struct _struct),			\
	.prep = _prep, .kind = _kind, .fmode = _fmode,			\
	.bad_flags = _flags,						\
}

FIXTURE_VARIANT_ADD(hmap_ioctl, version)
	IO_VARIANT(HMAP_IOC_VERSION, hmap_version, prep_version,
		   IO_ANY, IO_FM_ANY, FLAGS_NONE);
FIXTURE_VARIANT_ADD(hmap_ioctl, create)
	IO_VARIANT(HMAP_IOC_CREATE, hmap_create, prep_create,
		   IO_UNBOUND, IO_FM_WRITE, FLAGS_BIT0);
FIXTURE_VARIANT_ADD(hmap_ioctl, open)
	IO_VARIANT(HMAP_IOC_OPEN, hmap_name, prep_name,
		   IO_UNBOUND, IO_FM_ANY, FLAGS_NONE);
FIXTURE_VARIANT_ADD(hmap_ioctl, destroy)
	IO_VARIANT(HMAP_IOC_DESTROY, hmap_name, prep_name,
		   IO_ANY, IO_FM_WRITE, FLAGS_NONE);
FIXTURE_VARIANT_ADD(hmap_ioctl, list)
	IO_VARIANT(HMAP_IOC_LIST, hmap_list, prep_list,
		   IO_ANY, IO_FM_ANY, FLAGS_NONE);
FIXTURE_VARIANT_ADD(hmap_ioctl, lookup)
	IO_VARIANT(HMAP_IOC_LOOKUP, hmap_elem_op, prep_lookup,
		   IO_BOUND, IO_FM_READ, FLAGS_NONE);
FIXTURE_VARIANT_ADD(hmap_ioctl, update)
	IO_VARIANT(HMAP_IOC_UPDATE, hmap_elem_op, prep_update,
		   IO_BOUND, IO_FM_WRITE, FLAGS_UPDATE);
FIXTURE_VARIANT_ADD(hmap_ioctl, delete)
	IO_VARIANT(HMAP_IOC_DELETE, hmap_elem_op, prep_delete,
		   IO_BOUND, IO_FM_WRITE, FLAGS_NONE);
FIXTURE_VARIANT_ADD(hmap_ioctl, batch_lookup)
	IO_VARIANT(HMAP_IOC_BATCH_LOOKUP, hmap_batch, prep_batch_lookup,
		   IO_BOUND, IO_FM_READ, FLAGS_NONE);
FIXTURE_VARIANT_ADD(hmap_ioctl, batch_update)
	IO_VARIANT(HMAP_IOC_BATCH_UPDATE, hmap_batch, prep_batch_update,
		   IO_BOUND, IO_FM_WRITE, FLAGS_UPDATE);
FIXTURE_VARIANT_ADD(hmap_ioctl, batch_delete)
	IO_VARIANT(HMAP_IOC_BATCH_DELETE, hmap_batch, prep_batch_delete,
		   IO_BOUND, IO_FM_WRITE, FLAGS_NONE);
FIXTURE_VARIANT_ADD(hmap_ioctl, dump)
	IO_VARIANT(HMAP_IOC_DUMP, hmap_dump, prep_dump,
		   IO_BOUND, IO_FM_READ, FLAGS_BIT0);
FIXTURE_VARIANT_ADD(hmap_ioctl, clear)
	IO_VARIANT(HMAP_IOC_CLEAR, hmap_cmd, prep_cmd,
		   IO_BOUND, IO_FM_WRITE, FLAGS_NONE);
FIXTURE_VARIANT_ADD(hmap_ioctl, shrink)
	IO_VARIANT(HMAP_IOC_SHRINK, hmap_cmd, prep_cmd,
		   IO_BOUND, IO_FM_WRITE, FLAGS_NONE);

FIXTURE_VARIANT_ADD(hmap_ioctl, stats) {
	.cmd = HMAP_IOC_STATS, .size = sizeof(struct hmap_map_stats),
	.prep = prep_stats, .kind = IO_BOUND, .fmode = IO_FM_ANY,
	.bad_flags = FLAGS_NONE, .output_only = true,
};

FIXTURE_SETUP(hmap_ioctl)
{
	self->fd = -1;
	self->ufd = hm_dev_open();
	setup_require(_metadata, self->ufd, 0);
	snprintf(self->prefix, sizeof(self->prefix), "hmt.%d.", getpid());
	name_cat(self->name, self->prefix, _metadata->name);
	self->page = getpagesize();
	self->area = map_pages(2, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->area);
	ASSERT_EQ(0, mprotect(self->area + self->page, self->page, PROT_NONE));
	self->fd = hm_new(self->name, IO_KS, IO_VS, 16, 0600);
	ASSERT_LE(0, self->fd);
	self->key = 1;
	memset(self->value, 0x5a, sizeof(self->value));
	ASSERT_EQ(0, hm_update(self->fd, &self->key, sizeof(self->key),
			       self->value, sizeof(self->value), HMAP_ANY));
}

FIXTURE_TEARDOWN(hmap_ioctl)
{
	destroy_prefix(self->prefix);
	if (self->fd >= 0)
		close(self->fd);
	close(self->ufd);
	if (self->area)
		munmap(self->area, 2 * self->page);
}

/* A valid argument for the variant's command in self->area. */
static void *io_arg(IO_FIXTURE *self, const IO_FIXTURE_VARIANT *variant)
{
	memset(self->area, 0, self->page);
	variant->prep(self, self->area);
	return self->area;
}

/* The fd the command works on: bound for per-map commands, else unbound. */
static int io_fd(IO_FIXTURE *self, const IO_FIXTURE_VARIANT *variant)
{
	return variant->kind == IO_BOUND ? self->fd : self->ufd;
}

/* Baseline: the argument the other tests spoil is accepted as is. */
TEST_F(hmap_ioctl, valid_arg)
{
	EXPECT_EQ(0, hm_ioctl(io_fd(self, variant), variant->cmd,
			      io_arg(self, variant)));
}

/* The argument struct itself is not readable: -EFAULT. */
TEST_F(hmap_ioctl, fault_arg)
{
	__u32 *straddle = (__u32 *)(self->area + self->page - 4);
	int fd;

	fd = io_fd(self, variant);
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, variant->cmd, NULL));
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, variant->cmd, self->area + self->page));
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, variant->cmd, (void *)-4096L));
	/* argsz readable, the rest of the struct in the PROT_NONE page */
	*straddle = variant->size;
	EXPECT_EQ(-EFAULT, hm_ioctl(fd, variant->cmd, straddle));
	/* nothing happened: the bound map still holds its key */
	EXPECT_EQ(1, hm_count(self->fd));
}

/* argsz smaller than the struct: -EINVAL. */
TEST_F(hmap_ioctl, argsz_too_small)
{
	__u32 sizes[] = { 0, 4, variant->size - 4, variant->size - 1 };
	unsigned int i;
	int fd;

	fd = io_fd(self, variant);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		__u32 *arg = io_arg(self, variant);

		arg[0] = sizes[i];
		if (variant->output_only && sizes[i] >= 8) {
			/* an older, shorter struct: filled up to argsz */
			EXPECT_EQ(0, hm_ioctl(fd, variant->cmd, arg));
			EXPECT_EQ(sizes[i], arg[0]);
			continue;
		}
		EXPECT_EQ(-EINVAL, hm_ioctl(fd, variant->cmd, arg)) {
			TH_LOG("argsz %u", sizes[i]);
		}
	}
	EXPECT_EQ(1, hm_count(self->fd));
}

/*
 * argsz larger than the struct, non-zero bytes beyond it: -E2BIG (for
 * STATS, whose struct is output, the extra room is left alone).
 */
TEST_F(hmap_ioctl, argsz_big_nonzero_tail)
{
	__u32 *arg;
	int fd;

	fd = io_fd(self, variant);

	if (variant->output_only) {
		/* room beyond the kernel's struct is left alone */
		arg = io_arg(self, variant);
		arg[0] = variant->size + 8;
		self->area[variant->size + 7] = 1;
		EXPECT_EQ(0, hm_ioctl(fd, variant->cmd, arg));
		EXPECT_EQ(variant->size, arg[0]);
		EXPECT_EQ(1, self->area[variant->size + 7]);
		return;
	}

	arg = io_arg(self, variant);
	arg[0] = variant->size + 8;
	self->area[variant->size + 7] = 1;
	EXPECT_EQ(-E2BIG, hm_ioctl(fd, variant->cmd, arg));

	arg = io_arg(self, variant);
	arg[0] = variant->size + 1;
	self->area[variant->size] = 0x80;
	EXPECT_EQ(-E2BIG, hm_ioctl(fd, variant->cmd, arg));

	arg = io_arg(self, variant);
	arg[0] = variant->size + 1024;
	self->area[variant->size + 1000] = 0xff;
	EXPECT_EQ(-E2BIG, hm_ioctl(fd, variant->cmd, arg));

	EXPECT_EQ(1, hm_count(self->fd));
}

/*
 * argsz larger than the struct, zero bytes beyond it: accepted, and argsz
 * left as the caller gave it (STATS reports the size it filled).
 */
TEST_F(hmap_ioctl, argsz_big_zero_tail)
{
	__u32 *arg;

	arg = io_arg(self, variant);
	arg[0] = variant->size + 256;
	EXPECT_EQ(0, hm_ioctl(io_fd(self, variant), variant->cmd, arg));
	if (variant->output_only) {
		int i;

		EXPECT_EQ(variant->size, arg[0]);
		/* the room beyond is untouched */
		for (i = 0; i < 256; i++)
			ASSERT_EQ(0, self->area[variant->size + i]);
	} else {
		EXPECT_EQ(variant->size + 256, arg[0]);
	}
}

/*
 * argsz up to HMAP_ARGSZ_MAX (4096 whatever the page size) with a zero
 * tail is accepted; above it -E2BIG, before any byte beyond is read (here
 * they are not readable). STATS, all output, takes any argsz.
 */
TEST_F(hmap_ioctl, argsz_max)
{
	__u32 sizes[] = { HMAP_ARGSZ_MAX + 1, HMAP_ARGSZ_MAX + 8,
			  2 * HMAP_ARGSZ_MAX, 0x80000000U, 0xffffffffU };
	unsigned int i;
	__u32 *arg;
	int fd;

	ASSERT_GE(self->page, (size_t)HMAP_ARGSZ_MAX);
	fd = io_fd(self, variant);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		arg = io_arg(self, variant);
		arg[0] = sizes[i];
		EXPECT_EQ(variant->output_only ? 0 : -E2BIG,
			  hm_ioctl(fd, variant->cmd, arg)) {
			TH_LOG("argsz %u", sizes[i]);
		}
		if (!variant->output_only)
			EXPECT_EQ(sizes[i], arg[0]);
	}
	EXPECT_EQ(1, hm_count(self->fd));
	arg = io_arg(self, variant);
	arg[0] = HMAP_ARGSZ_MAX;
	EXPECT_EQ(0, hm_ioctl(fd, variant->cmd, arg));
	EXPECT_EQ(variant->output_only ? variant->size : HMAP_ARGSZ_MAX,
		  arg[0]);
}

/* A flag the command does not know: -EINVAL. */
TEST_F(hmap_ioctl, unknown_flag)
{
	unsigned int i;
	int fd;

	fd = io_fd(self, variant);
	for (i = 0; i < ARRAY_SIZE(variant->bad_flags); i++) {
		__u32 *arg = io_arg(self, variant);

		arg[1] = variant->bad_flags[i];
		EXPECT_EQ(-EINVAL, hm_ioctl(fd, variant->cmd, arg)) {
			TH_LOG("flags 0x%x", variant->bad_flags[i]);
		}
	}
	/* the fd stayed unbound, the map kept its key (and its name) */
	EXPECT_EQ(-ENOTCONN, hm_count(self->ufd));
	EXPECT_EQ(1, hm_count(self->fd));
	EXPECT_EQ(1, hm_list_find(self->name, NULL, NULL));
}

/* Per-map commands on an unbound fd: -ENOTCONN; the others work. */
TEST_F(hmap_ioctl, unbound_fd)
{
	EXPECT_EQ(variant->kind == IO_BOUND ? -ENOTCONN : 0,
		  hm_ioctl(self->ufd, variant->cmd, io_arg(self, variant)));
}

/* CREATE/OPEN on a bound fd: -EBUSY; the others work. */
TEST_F(hmap_ioctl, bound_fd)
{
	EXPECT_EQ(variant->kind == IO_UNBOUND ? -EBUSY : 0,
		  hm_ioctl(self->fd, variant->cmd, io_arg(self, variant)));
}

/*
 * The fd's open mode, not the caller, decides: a command that changes a
 * map needs an fd opened for writing, one that reads a map an fd opened
 * for reading (-EBADF otherwise, even for root and the map's owner); the
 * others work on any fd. Per-map commands run on an fd bound by OPEN.
 */
TEST_F(hmap_ioctl, open_mode)
{
	static const int modes[] = { O_RDONLY, O_WRONLY };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		bool ok = variant->fmode == IO_FM_ANY ||
			  (variant->fmode == IO_FM_READ) == (modes[i] == O_RDONLY);
		int fd = hm_dev_open_mode(modes[i]);

		ASSERT_LE(0, fd);
		if (variant->kind == IO_BOUND)
			ASSERT_EQ(0, hm_open(fd, self->name));
		EXPECT_EQ(ok ? 0 : -EBADF,
			  hm_ioctl(fd, variant->cmd, io_arg(self, variant))) {
			TH_LOG("%s", modes[i] == O_RDONLY ? "O_RDONLY" :
			       "O_WRONLY");
		}
		if (!ok)	/* refused: the map kept its key */
			EXPECT_EQ(1, hm_count(self->fd));
		close(fd);
	}
}

/*
 * The commands do not encode a size or direction: the same number with
 * one, or with another magic, is an unknown command (-ENOTTY).
 */
TEST_F(hmap_ioctl, cmd_encoding)
{
	unsigned int nr = _IOC_NR(variant->cmd);
	unsigned long cmds[] = {
		_IOC(_IOC_READ | _IOC_WRITE, HMAP_IOC_MAGIC, nr, variant->size),
		_IOC(_IOC_WRITE, HMAP_IOC_MAGIC, nr, variant->size),
		_IOC(_IOC_READ, HMAP_IOC_MAGIC, nr, variant->size),
		_IOC(_IOC_NONE, HMAP_IOC_MAGIC, nr, 8),
		_IO(HMAP_IOC_MAGIC + 1, nr),
		_IO('a', nr),
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-ENOTTY, hm_ioctl(io_fd(self, variant), cmds[i],
					    io_arg(self, variant))) {
			TH_LOG("cmd 0x%lx", cmds[i]);
		}
	}
	EXPECT_EQ(1, hm_count(self->fd));
}

/* ------------------------------------------------------------------------
 * Fixture hmap (common.h): reserved fields, command numbers, fd binding.
 */

/* A non-zero __reserved field: -EINVAL, nothing done. */
TEST_F(hmap, reserved_nonzero)
{
	struct hmap_create c;
	struct hmap_batch b;
	struct hmap_dump d;
	__u64 k = 1, v = 2;
	__u32 kl, vl;
	unsigned long cmds[] = {
		HMAP_IOC_BATCH_LOOKUP, HMAP_IOC_BATCH_UPDATE,
		HMAP_IOC_BATCH_DELETE,
	};
	unsigned int i;
	int fd;

	hm_create_init(&c, self->name, 8, 8, 16, 0600);
	c.__reserved = 1;
	EXPECT_EQ(-EINVAL, hm_ioctl(self->fd, HMAP_IOC_CREATE, &c));
	c.__reserved = 0x80000000;
	EXPECT_EQ(-EINVAL, hm_ioctl(self->fd, HMAP_IOC_CREATE, &c));
	EXPECT_EQ(0, hm_list_find(self->name, NULL, NULL));
	EXPECT_EQ(-ENOTCONN, hm_count(self->fd));

	fd = hm_new(NULL, 8, 8, 16, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hm_update(fd, &k, 8, &v, 8, HMAP_ANY));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		bool values = cmds[i] != HMAP_IOC_BATCH_DELETE;

		kl = 8;
		vl = 8;
		b = (struct hmap_batch){
			.argsz = sizeof(b), .count = 1, .__reserved = 1,
			.keys = U64P(&k), .key_lens = U64P(&kl),
			.values = values ? U64P(&v) : 0,
			.value_lens = values ? U64P(&vl) : 0,
		};
		EXPECT_EQ(-EINVAL, hm_ioctl(fd, cmds[i], &b)) {
			TH_LOG("batch cmd 0x%lx", cmds[i]);
		}
	}
	d = (struct hmap_dump){
		.argsz = sizeof(d), .count = 1, .__reserved = 1,
		.keys = U64P(&k), .key_lens = U64P(&kl),
	};
	EXPECT_EQ(-EINVAL, hm_ioctl(fd, HMAP_IOC_DUMP, &d));
	EXPECT_EQ(1, hm_count(fd));
	close(fd);
}

/* Command numbers hmap does not define, on unbound and bound fds: -ENOTTY. */
TEST_F(hmap, unknown_command)
{
	unsigned long cmds[] = {
		_IO(HMAP_IOC_MAGIC, 0x05),
		_IO(HMAP_IOC_MAGIC, 0x0f),
		_IO(HMAP_IOC_MAGIC, 0x1a),
		_IO(HMAP_IOC_MAGIC, 0x7f),
		_IO(HMAP_IOC_MAGIC, 0xff),
		_IO(0xB7, 0x00),
		_IO(0xB7, 0x10),
		_IOWR(HMAP_IOC_MAGIC, 0x7f, struct hmap_version),
	};
	struct hmap_version v = { .argsz = sizeof(v) };
	unsigned int i;
	int fd;

	fd = hm_new(NULL, 8, 8, 16, 0600);
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-ENOTTY, hm_ioctl(self->fd, cmds[i], &v)) {
			TH_LOG("unbound fd, cmd 0x%lx", cmds[i]);
		}
		EXPECT_EQ(-ENOTTY, hm_ioctl(fd, cmds[i], &v)) {
			TH_LOG("bound fd, cmd 0x%lx", cmds[i]);
		}
	}
	close(fd);
}

/* Every per-map command on an unbound fd, with a valid argument. */
TEST_F(hmap, unbound_fd)
{
	__u64 k = 1, v = 0, dk[4];
	__u32 len = 8, kl = 8, dkl[4], count;
	struct hmap_dump d = {
		.argsz = sizeof(d), .count = 4,
		.keys = U64P(dk), .key_lens = U64P(dkl),
	};
	struct hmap_map_stats s;

	/* a failed CREATE leaves the fd unbound */
	EXPECT_EQ(-EINVAL, hm_create(self->fd, NULL, 0, 8, 16, 0600));

	EXPECT_EQ(-ENOTCONN, hm_lookup(self->fd, &k, 8, &v, &len));
	EXPECT_EQ(-ENOTCONN, hm_update(self->fd, &k, 8, &v, 8, HMAP_ANY));
	EXPECT_EQ(-ENOTCONN, hm_delete(self->fd, &k, 8));
	count = 1;
	EXPECT_EQ(-ENOTCONN, hm_batch(self->fd, HMAP_IOC_BATCH_LOOKUP, 0,
				      &count, &k, &kl, &v, NULL));
	count = 1;
	EXPECT_EQ(-ENOTCONN, hm_batch(self->fd, HMAP_IOC_BATCH_UPDATE, 0,
				      &count, &k, &kl, &v, NULL));
	count = 1;
	EXPECT_EQ(-ENOTCONN, hm_batch(self->fd, HMAP_IOC_BATCH_DELETE, 0,
				      &count, &k, &kl, NULL, NULL));
	EXPECT_EQ(-ENOTCONN, hm_ioctl(self->fd, HMAP_IOC_DUMP, &d));
	EXPECT_EQ(-ENOTCONN, hm_cmd(self->fd, HMAP_IOC_CLEAR));
	EXPECT_EQ(-ENOTCONN, hm_cmd(self->fd, HMAP_IOC_SHRINK));
	EXPECT_EQ(-ENOTCONN, hm_stats(self->fd, &s));
}

/* CREATE or OPEN on a bound fd: -EBUSY, and the fd stays bound as it was. */
TEST_F(hmap, bind_twice)
{
	char fresh[HMAP_NAME_MAX];
	int other;

	other = hm_new(self->name2, 8, 8, 16, 0600);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, hm_create(self->fd, self->name, 8, 8, 16, 0600));
	ASSERT_EQ(0, put_id(self->fd, 1, 8, HMAP_NOEXIST));

	name_cat(fresh, self->prefix, "fresh");
	EXPECT_EQ(-EBUSY, hm_create(self->fd, NULL, 8, 8, 16, 0600));
	EXPECT_EQ(-EBUSY, hm_create(self->fd, fresh, 8, 8, 16, 0600));
	EXPECT_EQ(0, hm_list_find(fresh, NULL, NULL));
	EXPECT_EQ(-EBUSY, hm_open(self->fd, self->name2));
	EXPECT_EQ(-EBUSY, hm_open(self->fd, self->name));
	/* still bound to the first map */
	EXPECT_EQ(0, get_id(self->fd, 1, 8));
	EXPECT_EQ(1, hm_count(self->fd));
	EXPECT_EQ(0, hm_count(other));
	close(other);
}

/*
 * On a bound fd, CREATE or OPEN with a bad argument is refused for the
 * argument (-EINVAL), as on an unbound fd: the argument is checked before
 * the binding.
 */
TEST_F(hmap, bind_twice_bad_arg)
{
	struct hmap_create c;

	ASSERT_EQ(0, hm_create(self->fd, self->name, 8, 8, 16, 0600));
	hm_create_init(&c, self->name2, 8, 8, 16, 0600);
	c.flags = 0x80;
	EXPECT_EQ(-EINVAL, hm_ioctl(self->fd, HMAP_IOC_CREATE, &c));
	EXPECT_EQ(-EINVAL, hm_create(self->fd, self->name2, 8, 8, 16, 0700));
	EXPECT_EQ(-EINVAL, hm_create(self->fd, ".hidden", 8, 8, 16, 0600));
	EXPECT_EQ(-EINVAL, hm_open(self->fd, ""));
	EXPECT_EQ(-EINVAL, hm_open(self->fd, "stats"));
	/* and with a good one, -EBUSY: still bound to the first map */
	EXPECT_EQ(-EBUSY, hm_create(self->fd, self->name2, 8, 8, 16, 0600));
	EXPECT_EQ(0, hm_count(self->fd));
	EXPECT_EQ(0, hm_list_find(self->name2, NULL, NULL));
}

TEST_HARNESS_MAIN
