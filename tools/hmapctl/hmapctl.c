// SPDX-License-Identifier: GPL-2.0
/*
 * hmapctl - inspect and drive hmap maps through /dev/hmap
 *
 * A command-line tool in the manner of `bpftool map`: every subcommand
 * opens /dev/hmap, checks the ABI version (HMAP_IOC_VERSION), binds the fd
 * to the named map (HMAP_IOC_OPEN) if it works on one, and issues one or a
 * few ioctls. See hmapctl.8 for the commands, the key syntax, the JSON
 * output and the exit codes.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/hmap.h>

#define HMAP_DEV		"/dev/hmap"

/* What a map name may be made of (hmap_check_name() in the kernel). */
#define NAME_CHARS		"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz0123456789._-"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* Exit codes (documented in hmapctl.8). */
#define RC_OK			0
#define RC_ERROR		1
#define RC_USAGE		2
#define RC_NOTFOUND		3

/* Keys per HMAP_IOC_BATCH_* call in fill and delete-range. */
#define BATCH			256U
/* Bytes of key and value buffers a dump batch starts with, at most. */
#define DUMP_BUF_BYTES		1048576U
#define DUMP_ROOM_MAX		256U
/* Empty dump batches in a row, cursor unchanged, before giving up. */
#define DUMP_STALLS_MAX		1000
/* Value room for get when the kernel reports no value_size_max. */
#define VALUE_ROOM_DEFAULT	65536U

struct cmd;

/* Objects and arrays nested in one another, at most. */
#define JW_DEPTH		4

/*
 * A JSON writer: it puts the commas, the colons and the brackets, and
 * every string goes through jw_str(), which escapes it. A document ends
 * with a newline.
 */
struct jw {
	FILE *f;
	int depth;
	bool after_key;			/* a key was written: its value is next */
	struct {
		char close;		/* ']' or '}' */
		bool lines;		/* one element per line */
		bool empty;		/* nothing written in it yet */
	} level[JW_DEPTH];
};

/* Everything a subcommand works with; main() owns it. */
struct ctx {
	const struct cmd *cmd;		/* the subcommand running, or NULL */
	bool json;			/* -j: JSON output (and errors) */
	struct jw out;			/* the JSON writer on stdout */
	int fd;				/* /dev/hmap, or -1 */
	struct hmap_version ver;	/* the kernel's handshake answer */
};

struct cmd {
	const char *name;
	const char *args;		/* synopsis of the arguments */
	__u64 features;			/* HMAP_FEAT_* the command needs */
	int (*run)(struct ctx *c, int argc, char **argv);
};

/* A key or value: a byte string. */
struct bytes {
	unsigned char *data;
	__u32 len;
};

/* ---- JSON ---- */

/* The separator a value or key needs where it goes. */
static void jw_sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->depth)
		return;
	if (!w->level[w->depth - 1].empty)
		fputc(',', w->f);
	if (w->level[w->depth - 1].lines)
		fputc('\n', w->f);
	w->level[w->depth - 1].empty = false;
}

/* Open an object ('{') or array ('['), with @lines one element a line. */
static void jw_begin(struct jw *w, char open, bool lines)
{
	if (w->depth == JW_DEPTH)
		abort();	/* hmapctl nests less deep */
	jw_sep(w);
	fputc(open, w->f);
	w->level[w->depth].close = open == '[' ? ']' : '}';
	w->level[w->depth].lines = lines;
	w->level[w->depth].empty = true;
	w->depth++;
}

static void jw_end(struct jw *w)
{
	w->depth--;
	if (w->level[w->depth].lines && !w->level[w->depth].empty)
		fputc('\n', w->f);
	fputc(w->level[w->depth].close, w->f);
	if (!w->depth)
		fputc('\n', w->f);
}

/* The two-character JSON escape of @ch, or NULL if it has none. */
static const char *jw_short_escape(unsigned char ch)
{
	switch (ch) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		return NULL;
	}
}

/*
 * The length of the UTF-8 sequence at @p (at most @len bytes) and its code
 * point in *@cp, or 0 if @p does not start a valid one: overlong forms,
 * UTF-16 surrogates and code points above U+10FFFF are not valid.
 */
static size_t utf8_decode(const unsigned char *p, size_t len, unsigned int *cp)
{
	unsigned int min, n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		min = 0x80;
		*cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		min = 0x800;
		*cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		min = 0x10000;
		*cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A string of @len bytes, escaped, as ASCII: the quote, the backslash and
 * five control characters with a backslash and a letter
 * (jw_short_escape()), the other control characters and DEL as \u00XX
 * (the same byte in any decoder), a UTF-8 sequence as the \uXXXX of its
 * code point (a surrogate pair above U+FFFF), so that a decoder reads the
 * same characters; and a byte that is not part of valid UTF-8 as \ufffd,
 * the replacement character, for a JSON string holds characters, and no
 * escape gives such a byte back. Keys and values that are not printable
 * ASCII never come here (jw_bytes()); map names are ASCII.
 */
static void jw_str(struct jw *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned int cp;
	size_t i, n;

	jw_sep(w);
	fputc('"', w->f);
	for (i = 0; i < len; i += n) {
		const char *e = jw_short_escape(p[i]);

		n = 1;
		if (e) {
			fputs(e, w->f);
		} else if (p[i] >= 0x20 && p[i] <= 0x7e) {
			fputc(p[i], w->f);
		} else if (p[i] < 0x80) {
			fprintf(w->f, "\\u%04x", p[i]);
		} else {
			n = utf8_decode(p + i, len - i, &cp);
			if (!n) {
				n = 1;
				cp = 0xfffd;
			}
			if (cp >= 0x10000)
				fprintf(w->f, "\\u%04x\\u%04x",
					0xd800 + ((cp - 0x10000) >> 10),
					0xdc00 + ((cp - 0x10000) & 0x3ff));
			else
				fprintf(w->f, "\\u%04x", cp);
		}
	}
	fputc('"', w->f);
}

static void jw_cstr(struct jw *w, const char *s)
{
	jw_str(w, s, strlen(s));
}

static void jw_key(struct jw *w, const char *key)
{
	jw_cstr(w, key);
	fputc(':', w->f);
	w->after_key = true;
}

static void jw_u64(struct jw *w, unsigned long long v)
{
	jw_sep(w);
	fprintf(w->f, "%llu", v);
}

static void jw_key_u64(struct jw *w, const char *key, unsigned long long v)
{
	jw_key(w, key);
	jw_u64(w, v);
}

static void jw_key_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_cstr(w, s);
}

/* A number with three decimals (finite: never NaN or infinite). */
static void jw_key_fraction(struct jw *w, const char *key, double v)
{
	jw_key(w, key);
	jw_sep(w);
	fprintf(w->f, "%.3f", v);
}

/* ---- Messages ---- */

#define USAGE		"hmapctl [-j|--json] [-h|--help] COMMAND [ARGS]"

/*
 * Report on stderr: "hmapctl: CMD: message", then the usage if @usage; or
 * under -j one JSON object on a line, {"command":CMD, @what:message,
 * "errno":@err, "usage":@usage}, where command is left out outside a
 * command, errno if @err is 0 and usage if @usage is NULL.
 */
static void vreport(const struct ctx *c, const char *what, int err,
		    const char *usage, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (c->json) {
		struct jw w = { .f = stderr };

		jw_begin(&w, '{', false);
		if (c->cmd)
			jw_key_str(&w, "command", c->cmd->name);
		jw_key_str(&w, what, msg ? msg : fmt);
		if (err)
			jw_key_u64(&w, "errno", err);
		if (usage)
			jw_key_str(&w, "usage", usage);
		jw_end(&w);
	} else {
		fprintf(stderr, "hmapctl: %s%s%s\n", c->cmd ? c->cmd->name : "",
			c->cmd ? ": " : "", msg ? msg : fmt);
		if (usage)
			fprintf(stderr, "usage: %s\nRun 'hmapctl help' for more.\n",
				usage);
	}
	free(msg);
}

/* Report an error (@err: the errno a call failed with, or 0); return @rc. */
static int fail(const struct ctx *c, int rc, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, "error", err, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

static void warn(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, "warning", 0, NULL, fmt, ap);
	va_end(ap);
}

/* Report a usage error with the command's synopsis; return RC_USAGE. */
static int bad_arg(const struct ctx *c, const char *fmt, ...)
{
	char usage[256];
	va_list ap;

	if (c->cmd)
		snprintf(usage, sizeof(usage), "hmapctl %s%s%s", c->cmd->name,
			 *c->cmd->args ? " " : "", c->cmd->args);
	else
		snprintf(usage, sizeof(usage), "%s", USAGE);
	va_start(ap, fmt);
	vreport(c, "error", 0, usage, fmt, ap);
	va_end(ap);
	return RC_USAGE;
}

static int usage_cmd(const struct ctx *c)
{
	return bad_arg(c, "wrong number of arguments");
}

/* What an errno means for a command on keys and on a whole map. */
static const struct {
	int err;
	const char *key, *map;		/* NULL: what strerror() says */
} err_texts[] = {
	{ ENOENT, "No such key", "No such map" },
	{ EEXIST, "Key already exists", "Map already exists" },
	{ E2BIG, "Map is full (max_entries reached)", NULL },
	{ EACCES, "Permission denied by the map's mode",
	  "Permission denied by the map's mode" },
	{ EDQUOT, NULL, "Per-user map limit reached" },
};

static const char *err_text(int err, bool of_key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(err_texts); i++) {
		const char *text = of_key ? err_texts[i].key : err_texts[i].map;

		if (err_texts[i].err == err && text)
			return text;
	}
	return strerror(err);
}

/* What an errno means for a command on one key or a batch of keys. */
static const char *key_strerror(int err)
{
	return err_text(err, true);
}

/* What an errno means for a command on a whole map. */
static const char *map_strerror(int err)
{
	return err_text(err, false);
}

/* ---- Small helpers ---- */

static void *xcalloc(const struct ctx *c, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		exit(fail(c, RC_ERROR, ENOMEM, "out of memory"));
	return p;
}

static void *xmalloc(const struct ctx *c, size_t size)
{
	return xcalloc(c, 1, size);
}

static __u64 ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* ioctl() returning 0 or a negative errno. */
static int hioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int rc_of(int err)
{
	return err == ENOENT ? RC_NOTFOUND : RC_ERROR;
}

/* ---- Argument parsing ---- */

/* A decimal (or with @base 8, octal) number of at most 32 bits. */
static bool parse_u32(const char *s, int base, __u32 *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*out = v;
	return true;
}

/* A map name: 1..63 of [A-Za-z0-9._-], as the kernel accepts. */
static int check_name(const struct ctx *c, const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= HMAP_NAME_MAX ||
	    strspn(name, NAME_CHARS) != len || name[0] == '.' ||
	    !strcmp(name, "stats"))
		return bad_arg(c, "bad map name '%s' (1 to %d of A-Z a-z 0-9 . _ -, %s)",
			       name, HMAP_NAME_MAX - 1,
			       "no leading dot, not 'stats'");
	return 0;
}

/*
 * Copy a name that check_name() accepted into an ioctl's zeroed name
 * field; it stays NUL-terminated even if it were too long.
 */
static void set_name(char dst[HMAP_NAME_MAX], const char *name)
{
	memcpy(dst, name, strnlen(name, HMAP_NAME_MAX - 1));
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* One byte in hex: one or two hex digits, optionally after "0x". */
static int parse_hex_byte(const char *s)
{
	int hi, lo;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2])
		s += 2;
	hi = hexval(s[0]);
	if (hi < 0)
		return -1;
	if (!s[1])
		return hi;
	lo = hexval(s[1]);
	if (lo < 0 || s[2])
		return -1;
	return hi << 4 | lo;
}

/*
 * Parse a key or value starting at argv[0]: a plain string (its bytes,
 * without the NUL), or the word "hex" followed by bytes in hex, one per
 * word, as many words as parse as a byte. Return the words used.
 */
static int parse_bytes(const struct ctx *c, int argc, char **argv,
		       struct bytes *b)
{
	int n;

	if (strcmp(argv[0], "hex")) {
		b->len = strlen(argv[0]);
		b->data = xmalloc(c, b->len);
		memcpy(b->data, argv[0], b->len);
		return 1;
	}
	b->data = xmalloc(c, argc);
	b->len = 0;
	for (n = 1; n < argc; n++) {
		int v = parse_hex_byte(argv[n]);

		if (v < 0)
			break;
		b->data[b->len++] = v;
	}
	return n;
}

/* ---- Output ---- */

static bool printable(const unsigned char *p, __u32 len)
{
	__u32 i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

/*
 * A key or value as text: the string if every byte is printable ASCII and
 * it cannot be mistaken for the hex form, else "hex 0a 0b ...".
 */
static void print_bytes(const unsigned char *p, __u32 len)
{
	__u32 i;

	if (printable(p, len) &&
	    !(len >= 3 && !memcmp(p, "hex", 3) && (len == 3 || p[3] == ' '))) {
		fwrite(p, 1, len, stdout);
		return;
	}
	fputs("hex", stdout);
	for (i = 0; i < len; i++)
		printf(" %02x", p[i]);
}

/* A key or value in JSON: a string if printable, else an array of bytes. */
static void jw_bytes(struct jw *w, const unsigned char *p, __u32 len)
{
	__u32 i;

	if (printable(p, len)) {
		jw_str(w, (const char *)p, len);
		return;
	}
	jw_begin(w, '[', false);
	for (i = 0; i < len; i++)
		jw_u64(w, p[i]);
	jw_end(w);
}

/* An entry: a JSON object, or "key: KEY  value: VALUE" (no newline). */
static void print_entry(struct ctx *c, const unsigned char *key,
			__u32 key_len, const unsigned char *value,
			__u32 value_len)
{
	if (c->json) {
		jw_begin(&c->out, '{', false);
		jw_key(&c->out, "key");
		jw_bytes(&c->out, key, key_len);
		jw_key(&c->out, "value");
		jw_bytes(&c->out, value, value_len);
		jw_end(&c->out);
		return;
	}
	fputs("key: ", stdout);
	print_bytes(key, key_len);
	fputs("  value: ", stdout);
	print_bytes(value, value_len);
}

/* ---- The device ---- */

/* The name of each HMAP_FEAT_* bit, at its bit number. */
#define FEATURE(bit)	__builtin_ctzll(HMAP_FEAT_##bit)
static const char *const feature_names[] = {
	[FEATURE(NAMED)] = "named",
	[FEATURE(ANON)] = "anon",
	[FEATURE(BATCH)] = "batch",
	[FEATURE(DUMP)] = "dump",
	[FEATURE(STATS)] = "stats",
};

/*
 * HMAP_FEATURES is bits 0 to N - 1 and feature_names[] has N entries: a
 * bit added to the UAPI without a name here, or a name without its bit,
 * does not build.
 */
static_assert(HMAP_FEATURES == (1ULL << ARRAY_SIZE(feature_names)) - 1,
	      "feature_names[] names every bit of HMAP_FEATURES");

/* The name of feature bit @bit: its name, or "bitN" in @buf. */
static const char *feature_name(unsigned int bit, char *buf, size_t len)
{
	if (bit < ARRAY_SIZE(feature_names) && feature_names[bit])
		return feature_names[bit];
	snprintf(buf, len, "bit%u", bit);
	return buf;
}

/* The names of the bits of @features, space-separated, in @buf. */
static const char *features_text(__u64 features, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;
	char tmp[8];

	buf[0] = '\0';
	for (i = 0; i < 64 && used < len; i++)
		if (features & (1ULL << i))
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? " " : "",
					 feature_name(i, tmp, sizeof(tmp)));
	return buf;
}

/*
 * Open /dev/hmap and do the handshake: refuse an ABI version other than
 * the one hmapctl was built for (unless @any_abi) and a kernel without the
 * features the command needs. Return 0 or an exit code (message printed).
 */
static int dev_open(struct ctx *c, bool any_abi)
{
	char names[512];
	__u64 missing;
	int err;

	c->fd = open(HMAP_DEV, O_RDWR | O_CLOEXEC);
	/* A device only some may write: the commands that read still work. */
	if (c->fd < 0 && errno == EACCES)
		c->fd = open(HMAP_DEV, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0) {
		err = errno;
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			return fail(c, RC_ERROR, err,
				    "%s: %s (is the hmap module loaded?)",
				    HMAP_DEV, strerror(err));
		return fail(c, RC_ERROR, err, "%s: %s", HMAP_DEV,
			    strerror(err));
	}

	memset(&c->ver, 0, sizeof(c->ver));
	c->ver.argsz = sizeof(c->ver);
	err = hioctl(c->fd, HMAP_IOC_VERSION, &c->ver);
	if (err == -ENOTTY)
		return fail(c, RC_ERROR, -err, "%s is not an hmap device (%s)",
			    HMAP_DEV, strerror(-err));
	if (err)
		return fail(c, RC_ERROR, -err, "HMAP_IOC_VERSION: %s",
			    strerror(-err));
	if (c->ver.abi_version != HMAP_ABI_VERSION && !any_abi)
		return fail(c, RC_ERROR, 0,
			    "kernel hmap ABI version %u, hmapctl was built for %u; rebuild hmapctl against the kernel's <linux/hmap.h>",
			    c->ver.abi_version, HMAP_ABI_VERSION);

	missing = c->cmd->features & ~c->ver.features;
	if (missing)
		return fail(c, RC_ERROR, 0, "the kernel's hmap lacks: %s",
			    features_text(missing, names, sizeof(names)));
	return 0;
}

/* The commands that take no arguments: check, then dev_open(). */
static int dev_open_no_args(struct ctx *c, int argc, bool any_abi)
{
	return argc ? usage_cmd(c) : dev_open(c, any_abi);
}

/* dev_open(), then bind the fd to the map @name. */
static int dev_bind(struct ctx *c, const char *name)
{
	struct hmap_name arg;
	int rc, err;

	rc = dev_open(c, false);
	if (rc)
		return rc;
	memset(&arg, 0, sizeof(arg));
	arg.argsz = sizeof(arg);
	set_name(arg.name, name);
	err = hioctl(c->fd, HMAP_IOC_OPEN, &arg);
	if (err)
		return fail(c, rc_of(-err), -err, "%s: %s", name,
			    map_strerror(-err));
	return 0;
}

static int get_stats(struct ctx *c, struct hmap_map_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->argsz = sizeof(*st);
	return hioctl(c->fd, HMAP_IOC_STATS, st);
}

static int compare_entries(const void *a, const void *b)
{
	const struct hmap_list_entry *x = a, *y = b;

	return strncmp(x->name, y->name, sizeof(x->name));
}

/*
 * The named maps, sorted by name, in *@out (free() it); HMAP_IOC_LIST
 * with a buffer grown until it holds them all. Return the number or -errno.
 */
static long list_maps(struct ctx *c, struct hmap_list_entry **out)
{
	struct hmap_list_entry *e = NULL;
	__u32 room = 16, i;
	int tries, err = -EAGAIN;

	for (tries = 0; tries < 100; tries++) {
		struct hmap_list arg;

		free(e);
		e = xcalloc(c, room, sizeof(*e));
		memset(&arg, 0, sizeof(arg));
		arg.argsz = sizeof(arg);
		arg.count = room;
		arg.entries = ptr(e);
		err = hioctl(c->fd, HMAP_IOC_LIST, &arg);
		if (err && err != -ENOSPC)
			break;
		if (!err && arg.count > room) {
			err = -EPROTO;	/* the kernel overran the buffer */
			break;
		}
		/*
		 * Done if all fit, or if the kernel wrote less than the room
		 * we gave it: it caps the entries per call and there is no
		 * cursor to get the rest.
		 */
		if (!err && (arg.total <= arg.count || arg.count < room)) {
			if (arg.total > arg.count)
				warn(c, "showing %u of %u maps", arg.count,
				     arg.total);
			for (i = 0; i < arg.count; i++)
				e[i].name[sizeof(e[i].name) - 1] = '\0';
			qsort(e, arg.count, sizeof(*e), compare_entries);
			*out = e;
			return arg.count;
		}
		/* Short: grow to what the kernel says exists, plus slack. */
		room = (arg.total > room ? arg.total : room) + 16;
		err = -EAGAIN;
	}
	free(e);
	return err;
}

/*
 * The bound map's key_size and value_size, which lay out batch and dump
 * buffers: from HMAP_IOC_STATS (allowed on any bound fd, read or write),
 * or if the kernel refuses it, from the HMAP_IOC_LIST entry of @name.
 * Return 0 or -errno.
 */
static int get_sizes(struct ctx *c, const char *name, __u32 *key_size,
		     __u32 *value_size)
{
	struct hmap_list_entry *e;
	struct hmap_map_stats st;
	long n, i;

	if (!get_stats(c, &st) &&
	    st.argsz >= offsetof(struct hmap_map_stats, max_entries)) {
		*key_size = st.key_size;
		*value_size = st.value_size;
		return 0;
	}
	n = list_maps(c, &e);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (!strcmp(e[i].name, name)) {
			*key_size = e[i].key_size;
			*value_size = e[i].value_size;
			free(e);
			return 0;
		}
	}
	free(e);
	return -ENOENT;
}

/* get_sizes(), or an exit code (message printed). */
static int map_sizes(struct ctx *c, const char *name, __u32 *key_size,
		     __u32 *value_size)
{
	int err = get_sizes(c, name, key_size, value_size);

	if (err)
		return fail(c, rc_of(-err), -err,
			    "%s: cannot learn its key_size: %s", name,
			    map_strerror(-err));
	return 0;
}

/* Explain an -EINVAL from a write of one key and value. */
static int key_einval(struct ctx *c, const char *name, __u32 key_len,
		      __u32 value_len)
{
	__u32 ks, vs;

	if (!get_sizes(c, name, &ks, &vs)) {
		if (key_len > ks)
			return fail(c, RC_ERROR, EINVAL,
				    "key is %u bytes, the map's key_size is %u",
				    key_len, ks);
		if (value_len > vs)
			return fail(c, RC_ERROR, EINVAL,
				    "value is %u bytes, the map's value_size is %u",
				    value_len, vs);
	}
	return fail(c, RC_ERROR, EINVAL, "%s", strerror(EINVAL));
}

/* ---- Commands on the device ---- */

static void print_version_json(struct ctx *c)
{
	const struct hmap_version *v = &c->ver;
	struct jw *w = &c->out;
	unsigned int i;
	char buf[8];

	jw_begin(w, '{', false);
	jw_key_u64(w, "abi_version", v->abi_version);
	jw_key_u64(w, "hmapctl_abi_version", HMAP_ABI_VERSION);
	jw_key(w, "features");
	jw_begin(w, '[', false);
	for (i = 0; i < 64; i++)
		if (v->features & (1ULL << i))
			jw_cstr(w, feature_name(i, buf, sizeof(buf)));
	jw_end(w);
	jw_key_u64(w, "features_mask", v->features);
	jw_key_u64(w, "key_size_max", v->key_size_max);
	jw_key_u64(w, "value_size_max", v->value_size_max);
	jw_key_u64(w, "max_entries_max", v->max_entries_max);
	jw_end(w);
}

static void print_version(const struct ctx *c)
{
	const struct hmap_version *v = &c->ver;
	char names[512];

	printf("abi_version: %u\n", v->abi_version);
	printf("hmapctl_abi_version: %u\n", HMAP_ABI_VERSION);
	printf("features: 0x%llx (%s)\n", (unsigned long long)v->features,
	       features_text(v->features, names, sizeof(names)));
	printf("key_size_max: %u\n", v->key_size_max);
	printf("value_size_max: %u\n", v->value_size_max);
	printf("max_entries_max: %u\n", v->max_entries_max);
}

static int cmd_version(struct ctx *c, int argc, char **argv)
{
	int rc;

	(void)argv;
	rc = dev_open_no_args(c, argc, true);
	if (rc)
		return rc;
	if (c->json)
		print_version_json(c);
	else
		print_version(c);
	if (c->ver.abi_version != HMAP_ABI_VERSION)
		return fail(c, RC_ERROR, 0,
			    "kernel hmap ABI version %u, hmapctl was built for %u",
			    c->ver.abi_version, HMAP_ABI_VERSION);
	return RC_OK;
}

static int cmd_create(struct ctx *c, int argc, char **argv)
{
	struct hmap_create arg;
	const char *name;
	int i, rc, err;

	if (argc < 1 || argc % 2 == 0)
		return usage_cmd(c);
	name = argv[0];
	rc = check_name(c, name);
	if (rc)
		return rc;

	memset(&arg, 0, sizeof(arg));
	arg.argsz = sizeof(arg);
	arg.key_size = 64;
	arg.value_size = 256;
	arg.max_entries = 65536;
	arg.capacity_hint = 0;
	arg.mode = 0600;
	set_name(arg.name, name);
	for (i = 1; i < argc; i += 2) {
		const char *kw = argv[i], *val = argv[i + 1];
		__u32 *field;
		int base = 10;

		if (!strcmp(kw, "key_size")) {
			field = &arg.key_size;
		} else if (!strcmp(kw, "value_size")) {
			field = &arg.value_size;
		} else if (!strcmp(kw, "max_entries")) {
			field = &arg.max_entries;
		} else if (!strcmp(kw, "capacity")) {
			field = &arg.capacity_hint;
		} else if (!strcmp(kw, "mode")) {
			field = &arg.mode;
			base = 8;
		} else {
			return bad_arg(c, "unknown parameter '%s'", kw);
		}
		if (!parse_u32(val, base, field))
			return bad_arg(c, "bad %s '%s'", kw, val);
	}
	if (arg.mode & ~0666U)
		return bad_arg(c, "bad mode %04o (0666 at most)", arg.mode);

	rc = dev_open(c, false);
	if (rc)
		return rc;
	err = hioctl(c->fd, HMAP_IOC_CREATE, &arg);
	if (err == -EINVAL)
		return fail(c, RC_ERROR, EINVAL,
			    "%s: %s (limits: key_size 1..%u, value_size 1..%u, max_entries 1..%u, mode 0666 at most)",
			    name, strerror(EINVAL), c->ver.key_size_max,
			    c->ver.value_size_max, c->ver.max_entries_max);
	if (err)
		return fail(c, RC_ERROR, -err, "%s: %s", name,
			    map_strerror(-err));
	return RC_OK;
}

static int cmd_destroy(struct ctx *c, int argc, char **argv)
{
	struct hmap_name arg;
	int rc, err;

	if (argc != 1)
		return usage_cmd(c);
	rc = check_name(c, argv[0]);
	if (rc)
		return rc;
	rc = dev_open(c, false);
	if (rc)
		return rc;
	memset(&arg, 0, sizeof(arg));
	arg.argsz = sizeof(arg);
	set_name(arg.name, argv[0]);
	err = hioctl(c->fd, HMAP_IOC_DESTROY, &arg);
	if (err == -EACCES || err == -EPERM)
		return fail(c, RC_ERROR, -err,
			    "%s: %s (only its owner or CAP_SYS_ADMIN may)",
			    argv[0], strerror(-err));
	if (err)
		return fail(c, rc_of(-err), -err, "%s: %s", argv[0],
			    map_strerror(-err));
	return RC_OK;
}

static void print_list_entry_json(struct jw *w,
				  const struct hmap_list_entry *e)
{
	char mode[8];

	snprintf(mode, sizeof(mode), "%04o", e->mode);
	jw_begin(w, '{', false);
	jw_key_str(w, "name", e->name);
	jw_key_u64(w, "owner", e->owner);
	jw_key_str(w, "mode", mode);
	jw_key_u64(w, "key_size", e->key_size);
	jw_key_u64(w, "value_size", e->value_size);
	jw_key_u64(w, "max_entries", e->max_entries);
	jw_key_u64(w, "count", e->count);
	jw_end(w);
}

static int cmd_list(struct ctx *c, int argc, char **argv)
{
	struct hmap_list_entry *e;
	long n, i;
	int rc;

	(void)argv;
	rc = dev_open_no_args(c, argc, false);
	if (rc)
		return rc;
	n = list_maps(c, &e);
	if (n < 0)
		return fail(c, RC_ERROR, -n, "%s", strerror(-n));

	if (c->json) {
		jw_begin(&c->out, '[', true);
		for (i = 0; i < n; i++)
			print_list_entry_json(&c->out, &e[i]);
		jw_end(&c->out);
	} else {
		printf("%-16s %6s %5s %8s %10s %11s %10s\n", "NAME", "OWNER",
		       "MODE", "KEY_SIZE", "VALUE_SIZE", "MAX_ENTRIES", "COUNT");
		for (i = 0; i < n; i++)
			printf("%-16s %6u %5.4o %8u %10u %11u %10llu\n",
			       e[i].name, e[i].owner, e[i].mode,
			       e[i].key_size, e[i].value_size,
			       e[i].max_entries,
			       (unsigned long long)e[i].count);
	}
	free(e);
	return RC_OK;
}

/* ---- Commands on one key ---- */

/* The arguments of put, get and del. */
struct elem_args {
	const char *name;
	struct bytes key, value;
	__u32 flags;			/* put: HMAP_ANY, _NOEXIST, _EXIST */
};

/*
 * Parse "NAME KEY", with @put "NAME KEY VALUE [any|noexist|exist]", into
 * @a (free it with elem_args_free() in any case). Return 0 or RC_USAGE.
 */
static int parse_elem(struct ctx *c, int argc, char **argv, bool put,
		      struct elem_args *a)
{
	static const struct {
		const char *word;
		__u32 flags;
	} put_flags[] = {
		{ "any", HMAP_ANY },
		{ "noexist", HMAP_NOEXIST },
		{ "exist", HMAP_EXIST },
	};
	size_t i;
	int n, rc;

	memset(a, 0, sizeof(*a));
	if (argc < 2)
		return usage_cmd(c);
	a->name = argv[0];
	rc = check_name(c, a->name);
	if (rc)
		return rc;
	n = 1 + parse_bytes(c, argc - 1, argv + 1, &a->key);
	if (!a->key.len && n < argc)
		return bad_arg(c, "bad hex byte '%s'", argv[n]);
	if (!a->key.len)
		return bad_arg(c, "empty key");
	if (put) {
		if (n >= argc)
			return bad_arg(c, "missing value");
		n += parse_bytes(c, argc - n, argv + n, &a->value);
		a->flags = HMAP_ANY;
		for (i = 0; n < argc && i < ARRAY_SIZE(put_flags); i++) {
			if (!strcmp(argv[n], put_flags[i].word)) {
				a->flags = put_flags[i].flags;
				n++;
				break;
			}
		}
	}
	if (n < argc)
		return bad_arg(c, "unexpected argument '%s'", argv[n]);
	return 0;
}

static void elem_args_free(struct elem_args *a)
{
	free(a->key.data);
	free(a->value.data);
}

/* HMAP_IOC_LOOKUP of @a->key into @a->value, growing it if it is short. */
static int lookup(struct ctx *c, struct elem_args *a)
{
	struct hmap_elem_op op;
	__u32 room;
	int err, tries;

	room = c->ver.value_size_max ? c->ver.value_size_max :
	       VALUE_ROOM_DEFAULT;
	for (tries = 0; tries < 8; tries++) {
		free(a->value.data);
		a->value.data = xmalloc(c, room);
		memset(&op, 0, sizeof(op));
		op.argsz = sizeof(op);
		op.key = ptr(a->key.data);
		op.key_len = a->key.len;
		op.value = ptr(a->value.data);
		op.value_len = room;
		err = hioctl(c->fd, HMAP_IOC_LOOKUP, &op);
		if (err != -ENOSPC)
			break;
		room = op.value_len > room ? op.value_len : room * 2;
	}
	if (err)
		return fail(c, rc_of(-err), -err, "%s", key_strerror(-err));
	a->value.len = op.value_len > room ? room : op.value_len;
	return 0;
}

/* HMAP_IOC_UPDATE or HMAP_IOC_DELETE of @a. */
static int write_elem(struct ctx *c, struct elem_args *a, unsigned long req)
{
	struct hmap_elem_op op;
	int err;

	memset(&op, 0, sizeof(op));
	op.argsz = sizeof(op);
	op.key = ptr(a->key.data);
	op.key_len = a->key.len;
	if (req == HMAP_IOC_UPDATE) {
		op.flags = a->flags;
		op.value = ptr(a->value.data);
		op.value_len = a->value.len;
	}
	err = hioctl(c->fd, req, &op);
	if (err == -EINVAL)
		return key_einval(c, a->name, a->key.len, a->value.len);
	if (err)
		return fail(c, rc_of(-err), -err, "%s", key_strerror(-err));
	return 0;
}

/* get, put or del: HMAP_IOC_LOOKUP, _UPDATE or _DELETE of one key. */
static int elem_cmd(struct ctx *c, int argc, char **argv, unsigned long req)
{
	struct elem_args a;
	int rc;

	rc = parse_elem(c, argc, argv, req == HMAP_IOC_UPDATE, &a);
	if (!rc)
		rc = dev_bind(c, a.name);
	if (!rc)
		rc = req == HMAP_IOC_LOOKUP ? lookup(c, &a) :
		     write_elem(c, &a, req);
	if (!rc && req == HMAP_IOC_LOOKUP && c->json) {
		print_entry(c, a.key.data, a.key.len, a.value.data,
			    a.value.len);
	} else if (!rc && req == HMAP_IOC_LOOKUP) {
		print_bytes(a.value.data, a.value.len);
		putchar('\n');
	}
	elem_args_free(&a);
	return rc;
}

static int cmd_get(struct ctx *c, int argc, char **argv)
{
	return elem_cmd(c, argc, argv, HMAP_IOC_LOOKUP);
}

static int cmd_put(struct ctx *c, int argc, char **argv)
{
	return elem_cmd(c, argc, argv, HMAP_IOC_UPDATE);
}

static int cmd_del(struct ctx *c, int argc, char **argv)
{
	return elem_cmd(c, argc, argv, HMAP_IOC_DELETE);
}

/* ---- Commands on a whole map ---- */

/* Buffers for one HMAP_IOC_DUMP batch of @room entries. */
struct dump_buf {
	__u32 room;
	unsigned char *keys, *values;
	__u32 *key_lens, *value_lens;
};

static void dump_buf_free(struct dump_buf *b)
{
	free(b->keys);
	free(b->values);
	free(b->key_lens);
	free(b->value_lens);
}

static void dump_buf_alloc(const struct ctx *c, struct dump_buf *b,
			   __u32 room, __u32 ks, __u32 vs)
{
	dump_buf_free(b);
	b->room = room;
	b->keys = xcalloc(c, room, ks);
	b->values = xcalloc(c, room, vs);
	b->key_lens = xcalloc(c, room, sizeof(__u32));
	b->value_lens = xcalloc(c, room, sizeof(__u32));
}

/* The commands whose one argument is a map name: bind to the map. */
static int bind_named(struct ctx *c, int argc, char **argv)
{
	int rc;

	if (argc != 1)
		return usage_cmd(c);
	rc = check_name(c, argv[0]);
	return rc ? rc : dev_bind(c, argv[0]);
}

static int cmd_dump(struct ctx *c, int argc, char **argv)
{
	struct dump_buf b = { 0 };
	__u64 cursor = 0, total = 0;
	__u32 ks, vs, room, i;
	int rc, err, stalls = 0;

	rc = bind_named(c, argc, argv);
	if (!rc)
		rc = map_sizes(c, argv[0], &ks, &vs);
	if (rc)
		return rc;
	if (!ks)
		return fail(c, RC_ERROR, 0, "%s: key_size is 0", argv[0]);

	room = DUMP_BUF_BYTES / (ks + vs);
	room = room < 1 ? 1 : room > DUMP_ROOM_MAX ? DUMP_ROOM_MAX : room;
	dump_buf_alloc(c, &b, room, ks, vs);
	if (c->json)
		jw_begin(&c->out, '[', true);
	for (;;) {
		struct hmap_dump d;

		memset(&d, 0, sizeof(d));
		d.argsz = sizeof(d);
		d.count = b.room;
		d.cursor = cursor;
		d.keys = ptr(b.keys);
		d.key_lens = ptr(b.key_lens);
		d.values = ptr(b.values);
		d.value_lens = ptr(b.value_lens);
		err = hioctl(c->fd, HMAP_IOC_DUMP, &d);
		if (err == -ENOSPC && d.count > b.room) {
			/* Entries with equal hashes need more room. */
			dump_buf_alloc(c, &b, d.count, ks, vs);
			continue;
		}
		if (err) {
			rc = fail(c, RC_ERROR, -err, "after %llu entries: %s",
				  (unsigned long long)total, strerror(-err));
			break;
		}
		if (d.count > b.room) {
			rc = fail(c, RC_ERROR, EPROTO,
				  "kernel returned %u entries for room %u",
				  d.count, b.room);
			break;
		}
		for (i = 0; i < d.count; i++) {
			__u32 kl = b.key_lens[i], vl = b.value_lens[i];

			kl = kl > ks ? ks : kl;
			vl = vl > vs ? vs : vl;
			print_entry(c, b.keys + (size_t)i * ks, kl,
				    b.values + (size_t)i * vs, vl);
			if (!c->json)
				putchar('\n');
			total++;
		}
		if (d.flags & HMAP_DUMP_DONE)
			break;
		/* An empty batch without DONE: call again, unless stuck. */
		if (!d.count && d.cursor == cursor && ++stalls > DUMP_STALLS_MAX) {
			rc = fail(c, RC_ERROR, 0,
				  "the walk makes no progress (cursor %llu)",
				  (unsigned long long)cursor);
			break;
		}
		if (d.count || d.cursor != cursor)
			stalls = 0;
		cursor = d.cursor;
	}
	if (c->json)
		jw_end(&c->out);
	dump_buf_free(&b);
	return rc;
}

/* The fields of struct hmap_map_stats before its counters. */
#define STAT_FIELD(f, type) \
	{ #f, offsetof(struct hmap_map_stats, f), sizeof(type) }

static const struct stat_field {
	const char *name;
	size_t offset;
	size_t size;
} state_fields[] = {
	STAT_FIELD(key_size, __u32),
	STAT_FIELD(value_size, __u32),
	STAT_FIELD(max_entries, __u32),
	STAT_FIELD(B, __u32),
	STAT_FIELD(count, __u64),
	STAT_FIELD(old_B, __u32),
	STAT_FIELD(resizing, __u32),
	STAT_FIELD(nevacuate, __u64),
	STAT_FIELD(noverflow, __u64),
};

/* As debugfs and the trace events spell them (HMAP_RESIZE_KINDS()). */
static const char *const resize_names[] = {
	[HMAP_RESIZE_NONE] = "none",
	[HMAP_RESIZE_GROW] = "grow",
	[HMAP_RESIZE_SAME] = "same-size",
	[HMAP_RESIZE_SHRINK] = "shrink",
};

/* What stats prints: a map's HMAP_IOC_STATS, as much as the kernel filled. */
struct stats_out {
	struct ctx *c;
	struct hmap_map_stats st;
	size_t filled;
};

/* The field @name of @size bytes at @offset, as a JSON key or a line. */
static void print_stat(struct stats_out *o, const char *name, size_t offset,
		       size_t size)
{
	const unsigned char *p = (const unsigned char *)&o->st + offset;
	unsigned long long v;
	__u32 v32;
	__u64 v64;

	if (offset + size > o->filled)
		return;
	if (size == sizeof(v32)) {
		memcpy(&v32, p, sizeof(v32));
		v = v32;
	} else {
		memcpy(&v64, p, sizeof(v64));
		v = v64;
	}
	if (o->c->json)
		jw_key_u64(&o->c->out, name, v);
	else if (!strcmp(name, "resizing") && v < ARRAY_SIZE(resize_names))
		printf("%s: %llu (%s)\n", name, v, resize_names[v]);
	else
		printf("%s: %llu\n", name, v);
}

/* Every field of struct hmap_map_stats that the kernel filled, in order. */
static void print_stats(struct stats_out *o)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(state_fields); i++)
		print_stat(o, state_fields[i].name, state_fields[i].offset,
			   state_fields[i].size);
#define HMAP_STAT(name) \
	print_stat(o, #name, offsetof(struct hmap_map_stats, name), \
		   sizeof(__u64))
#include <linux/hmap_stats.h>
#undef HMAP_STAT
}

/*
 * stats prints every field of struct hmap_map_stats and then load_factor:
 * a counter named load_factor would be a second key of that name in the
 * JSON. Both are members of this struct, which is never used, so such a
 * counter does not build. (The fields, counters included, are members of
 * one struct already: their names are apart.)
 */
struct stats_names {
	char load_factor;
#define HMAP_STAT(name)	char name
#include <linux/hmap_stats.h>
#undef HMAP_STAT
};

static int cmd_stats(struct ctx *c, int argc, char **argv)
{
	struct stats_out o = { .c = c };
	int rc, err;

	rc = bind_named(c, argc, argv);
	if (rc)
		return rc;
	err = get_stats(c, &o.st);
	if (err)
		return fail(c, RC_ERROR, -err, "%s: %s", argv[0],
			    map_strerror(-err));
	/* An older kernel fills less: show only what it filled. */
	o.filled = o.st.argsz < sizeof(o.st) ? o.st.argsz : sizeof(o.st);

	if (c->json)
		jw_begin(&c->out, '{', false);
	print_stats(&o);
	if (o.filled >= offsetof(struct hmap_map_stats, old_B) && o.st.B < 64) {
		double lf = (double)o.st.count / (double)(1ULL << o.st.B);

		if (c->json)
			jw_key_fraction(&c->out, "load_factor", lf);
		else
			printf("load_factor: %.3f\n", lf);
	}
	if (c->json)
		jw_end(&c->out);
	return RC_OK;
}

static int map_cmd(struct ctx *c, int argc, char **argv, unsigned long req)
{
	struct hmap_cmd arg;
	int rc, err;

	rc = bind_named(c, argc, argv);
	if (rc)
		return rc;
	memset(&arg, 0, sizeof(arg));
	arg.argsz = sizeof(arg);
	err = hioctl(c->fd, req, &arg);
	if (err)
		return fail(c, RC_ERROR, -err, "%s: %s", argv[0],
			    map_strerror(-err));
	return RC_OK;
}

static int cmd_clear(struct ctx *c, int argc, char **argv)
{
	return map_cmd(c, argc, argv, HMAP_IOC_CLEAR);
}

static int cmd_shrink(struct ctx *c, int argc, char **argv)
{
	return map_cmd(c, argc, argv, HMAP_IOC_SHRINK);
}

/* ---- fill and delete-range: batches of generated keys ---- */

/* Keys PREFIX<i> and values value-<i> for i in [@from, @to). */
struct range {
	const char *name;
	const char *prefix;
	__u32 from, to;
	__u32 ks, vs;			/* the map's key_size, value_size */
	unsigned char *keys, *values;	/* BATCH slots each */
	__u32 key_lens[BATCH], value_lens[BATCH];
};

/*
 * Bind to the map @name, learn its sizes, check that the longest key (and
 * with @values the longest value) fits, and allocate the batch buffers.
 */
static int range_setup(struct ctx *c, struct range *r, const char *name,
		       const char *prefix, bool values)
{
	char last[24];
	size_t klen;
	int rc;

	r->name = name;
	r->prefix = prefix ? prefix : "key";
	rc = dev_bind(c, name);
	if (!rc)
		rc = map_sizes(c, name, &r->ks, &r->vs);
	if (rc)
		return rc;
	if (r->from == r->to)
		return 0;
	snprintf(last, sizeof(last), "%u", r->to - 1);
	klen = strlen(r->prefix) + strlen(last);
	if (klen > r->ks)
		return fail(c, RC_ERROR, 0,
			    "key '%s%s' is longer than key_size %u",
			    r->prefix, last, r->ks);
	if (values && strlen("value-") + strlen(last) > r->vs)
		return fail(c, RC_ERROR, 0,
			    "value 'value-%s' is longer than value_size %u",
			    last, r->vs);
	r->keys = xcalloc(c, BATCH, r->ks);
	if (values)
		r->values = xcalloc(c, BATCH, r->vs);
	return 0;
}

/* Lay out the keys (and values) @start.. of a batch of @n; return @n. */
static __u32 range_batch(struct range *r, __u32 start, __u32 n)
{
	char buf[32];
	__u32 i;

	for (i = 0; i < n; i++) {
		unsigned char *k = r->keys + (size_t)i * r->ks;
		size_t plen = strlen(r->prefix);
		int len;

		len = snprintf(buf, sizeof(buf), "%u", start + i);
		memcpy(k, r->prefix, plen);
		memcpy(k + plen, buf, len);
		r->key_lens[i] = plen + len;
		if (!r->values)
			continue;
		len = snprintf(buf, sizeof(buf), "value-%u", start + i);
		memcpy(r->values + (size_t)i * r->vs, buf, len);
		r->value_lens[i] = len;
	}
	return n;
}

/* "demo: put 5000 keys (key0..key4999)" */
static void range_summary(const struct range *r, const char *verb,
			  __u32 done, __u32 absent)
{
	printf("%s: %s %u keys", r->name, verb, done);
	if (absent)
		printf(", %u absent", absent);
	if (r->to > r->from)
		printf(" (%s%u..%s%u)", r->prefix, r->from, r->prefix,
		       r->to - 1);
	putchar('\n');
}

static int parse_range_args(struct ctx *c, int argc, char **argv, int nnum,
			    __u32 *num)
{
	int i, rc;

	if (argc < 1 + nnum || argc > 2 + nnum)
		return usage_cmd(c);
	rc = check_name(c, argv[0]);
	if (rc)
		return rc;
	for (i = 0; i < nnum; i++)
		if (!parse_u32(argv[1 + i], 10, &num[i]))
			return bad_arg(c, "bad number '%s'", argv[1 + i]);
	return 0;
}

static int cmd_fill(struct ctx *c, int argc, char **argv)
{
	struct range r = { 0 };
	__u32 count, start, n;
	int rc, err;

	rc = parse_range_args(c, argc, argv, 1, &count);
	if (rc)
		return rc;
	r.to = count;
	rc = range_setup(c, &r, argv[0], argc > 2 ? argv[2] : NULL, true);
	for (start = 0; !rc && start < count; start += n) {
		struct hmap_batch b;

		n = range_batch(&r, start, count - start < BATCH ?
				count - start : BATCH);
		memset(&b, 0, sizeof(b));
		b.argsz = sizeof(b);
		b.flags = HMAP_ANY;
		b.count = n;
		b.keys = ptr(r.keys);
		b.key_lens = ptr(r.key_lens);
		b.values = ptr(r.values);
		b.value_lens = ptr(r.value_lens);
		err = hioctl(c->fd, HMAP_IOC_BATCH_UPDATE, &b);
		if (err)
			rc = fail(c, RC_ERROR, -err, "%s: put %u of %u keys: %s",
				  r.name, start + (b.count < n ? b.count : 0),
				  count, key_strerror(-err));
	}
	if (!rc && !c->json)
		range_summary(&r, "put", count, 0);
	free(r.keys);
	free(r.values);
	return rc;
}

static int cmd_delete_range(struct ctx *c, int argc, char **argv)
{
	struct range r = { 0 };
	__u32 num[2], start, deleted = 0, absent = 0;
	int rc, err;

	rc = parse_range_args(c, argc, argv, 2, num);
	if (rc)
		return rc;
	if (num[0] > num[1])
		return bad_arg(c, "FROM %u is above TO %u", num[0], num[1]);
	r.from = num[0];
	r.to = num[1];
	rc = range_setup(c, &r, argv[0], argc > 3 ? argv[3] : NULL, false);
	for (start = r.from; !rc && start < r.to;) {
		struct hmap_batch b;
		__u32 n;

		n = range_batch(&r, start, r.to - start < BATCH ?
				r.to - start : BATCH);
		memset(&b, 0, sizeof(b));
		b.argsz = sizeof(b);
		b.count = n;
		b.keys = ptr(r.keys);
		b.key_lens = ptr(r.key_lens);
		err = hioctl(c->fd, HMAP_IOC_BATCH_DELETE, &b);
		if (b.count > n)
			b.count = err ? 0 : n;
		deleted += b.count;
		if (err == -ENOENT && b.count < n) {
			/* Key start + b.count is absent: skip it. */
			absent++;
			start += b.count + 1;
		} else if (err) {
			rc = fail(c, RC_ERROR, -err, "%s: after %u keys: %s", r.name,
				  deleted, key_strerror(-err));
		} else {
			start += n;
		}
	}
	if (!rc && !c->json)
		range_summary(&r, "deleted", deleted, absent);
	free(r.keys);
	free(r.values);
	return rc;
}

/* ---- The command table ---- */

static int cmd_help(struct ctx *c, int argc, char **argv);

static const struct cmd cmds[] = {
	{ "create", "NAME [key_size N] [value_size N] [max_entries N] [capacity N] [mode OCTAL]",
	  HMAP_FEAT_NAMED, cmd_create },
	{ "destroy", "NAME", HMAP_FEAT_NAMED, cmd_destroy },
	{ "list", "", HMAP_FEAT_NAMED, cmd_list },
	{ "put", "NAME KEY VALUE [any|noexist|exist]", HMAP_FEAT_NAMED, cmd_put },
	{ "get", "NAME KEY", HMAP_FEAT_NAMED, cmd_get },
	{ "del", "NAME KEY", HMAP_FEAT_NAMED, cmd_del },
	{ "dump", "NAME", HMAP_FEAT_NAMED | HMAP_FEAT_DUMP, cmd_dump },
	{ "stats", "NAME", HMAP_FEAT_NAMED | HMAP_FEAT_STATS, cmd_stats },
	{ "clear", "NAME", HMAP_FEAT_NAMED, cmd_clear },
	{ "shrink", "NAME", HMAP_FEAT_NAMED, cmd_shrink },
	{ "fill", "NAME COUNT [PREFIX]", HMAP_FEAT_NAMED | HMAP_FEAT_BATCH,
	  cmd_fill },
	{ "delete-range", "NAME FROM TO [PREFIX]",
	  HMAP_FEAT_NAMED | HMAP_FEAT_BATCH, cmd_delete_range },
	{ "version", "", 0, cmd_version },
	{ "help", "", 0, cmd_help },
};

static void print_usage(FILE *f)
{
	size_t i;

	fputs("usage: " USAGE "\n\n", f);
	fputs("commands:\n", f);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %s%s%s\n", cmds[i].name, *cmds[i].args ? " " : "",
			cmds[i].args);
	fputs("\nKEY and VALUE: a plain string (its bytes, no NUL), or the word\n"
	      "'hex' followed by bytes in hex, one per word: hex 0a 0b 0c.\n"
	      "\n"
	      "-j, --json  JSON output (get, dump, list, stats, version), and\n"
	      "            errors as JSON on stderr\n"
	      "\n"
	      "exit status: 0 ok, 1 error, 2 usage, 3 no such map or key\n"
	      "See hmapctl(8).\n", f);
}

static int cmd_help(struct ctx *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	print_usage(stdout);
	return RC_OK;
}

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * What getopt_long() refused in @word, said in @buf: for a long option the
 * word ("--name", or "--name=value" for an option that takes no value),
 * else the one letter of a cluster of short options (optopt), never the
 * whole cluster nor a word getopt_long() had not reached.
 */
static void bad_option(const char *word, char *buf, size_t len)
{
	const char *eq = strchr(word, '=');
	size_t i;

	if (word[0] != '-' || word[1] != '-') {
		snprintf(buf, len, "unknown option '-%c'", optopt);
		return;
	}
	for (i = 0; eq && eq > word + 2 && long_opts[i].name; i++)
		if (!strncmp(long_opts[i].name, word + 2, eq - word - 2)) {
			snprintf(buf, len, "option '--%s' takes no value",
				 long_opts[i].name);
			return;
		}
	snprintf(buf, len, "unknown option '%s'", word);
}

int main(int argc, char **argv)
{
	struct ctx c = { .fd = -1, .out = { .f = stdout } };
	char bad_opt[64] = "";
	bool help = false;
	const char *name;
	size_t i;
	int opt, rc;

	/* Read every option first: -j after a bad one still means JSON. */
	opterr = 0;
	for (;;) {
		/* The word getopt_long() reads from, before it moves on. */
		const char *word = optind < argc ? argv[optind] : "";

		opt = getopt_long(argc, argv, "+jh", long_opts, NULL);
		if (opt == -1)
			break;
		if (opt == 'j')
			c.json = true;
		else if (opt == 'h')
			help = true;
		else if (!*bad_opt)
			bad_option(word, bad_opt, sizeof(bad_opt));
	}
	if (*bad_opt)
		return bad_arg(&c, "%s", bad_opt);
	if (help) {
		print_usage(stdout);
		return RC_OK;
	}
	if (optind >= argc && !c.json) {
		print_usage(stderr);
		return RC_USAGE;
	}
	if (optind >= argc)
		return bad_arg(&c, "no command");
	name = argv[optind];
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(name, cmds[i].name))
			c.cmd = &cmds[i];
	if (!c.cmd)
		return bad_arg(&c, "unknown command '%s'", name);

	rc = c.cmd->run(&c, argc - optind - 1, argv + optind + 1);
	if (c.fd >= 0)
		close(c.fd);
	if (fflush(stdout) || ferror(stdout)) {
		int err = errno;

		rc = fail(&c, rc ? rc : RC_ERROR, err, "write error: %s",
			  strerror(err));
	}
	return rc;
}
