// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency: writers (threads and processes) churn a map while dumpers
 * walk it and a thread shrinks it. See common.h.
 */
#include "common.h"

#define CC_STABLE	1000	/* inserted first, never touched */
#define CC_WRITERS	4	/* 0, 1 threads; 2, 3 processes */
#define CC_THREADS	2
#define CC_RANGE	300	/* keys each writer churns */
#define CC_ROUNDS	3
#define CC_DUMPERS	2	/* 0 thread, 1 process */
#define CC_VS		16
#define CC_NKEYS	(CC_STABLE + CC_WRITERS * CC_RANGE)
#define CC_MAX_WALKS	200

struct cc_shared {		/* MAP_SHARED: threads and processes */
	char name[HMAP_NAME_MAX];
	int fd;			/* the parent's fd, for the threads */
	int stop;		/* writers done */
	int errors;
	int walks[CC_DUMPERS];
	long dump_calls[CC_DUMPERS];
	int shrinks;
	char msg[512];		/* the first error */
};

struct cc_arg {
	struct cc_shared *sh;
	int idx;
};

static void cc_error(struct cc_shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&sh->errors, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->msg, sizeof(sh->msg), fmt, ap);
	va_end(ap);
}

static __u64 cc_id(int w, __u32 i)
{
	return w < 0 ? i : ((__u64)(w + 1) << 32) | i;
}

/* The seen[] slot of a key, or -1 if it is not one of ours. */
static long cc_slot(__u64 id)
{
	__u64 w = id >> 32, i = id & 0xffffffff;

	if (!w)
		return i < CC_STABLE ? (long)i : -1;
	if (w > CC_WRITERS || i >= CC_RANGE)
		return -1;
	return CC_STABLE + (w - 1) * CC_RANGE + i;
}

static int cc_put(int fd, __u64 id, __u64 gen, __u32 flags)
{
	__u64 v[2] = { id, gen };

	return hm_update(fd, &id, sizeof(id), v, sizeof(v), flags);
}

static int cc_get(int fd, __u64 id, __u64 *gen)
{
	__u64 v[2] = { 0 };
	__u32 len = sizeof(v);
	int err = hm_lookup(fd, &id, sizeof(id), v, &len);

	if (err)
		return err;
	if (len != sizeof(v) || v[0] != id)
		return -EBADMSG;
	*gen = v[1];
	return 0;
}

/* Gen of writer key i after the last round (it is kept if i % 3 == 0). */
static __u64 cc_final_gen(__u32 i)
{
	return i % 4 ? CC_ROUNDS - 1 : CC_ROUNDS - 1 + 100;
}

static void cc_writer(struct cc_shared *sh, int w, int fd)
{
	__u64 id, gen;
	__u32 i;
	int r, err;

	for (r = 0; r < CC_ROUNDS && !sh->errors; r++) {
		for (i = 0; i < CC_RANGE; i++) {
			id = cc_id(w, i);
			err = cc_put(fd, id, r, HMAP_NOEXIST);
			if (err) {
				cc_error(sh, "writer %d: insert %#llx: %d", w,
					 (unsigned long long)id, err);
				return;
			}
			if (i % 4 == 0) {
				err = cc_put(fd, id, r + 100, HMAP_EXIST);
				if (err) {
					cc_error(sh, "writer %d: replace %#llx: %d",
						 w, (unsigned long long)id, err);
					return;
				}
			}
			if (i % 5 == 0) {
				err = cc_get(fd, id, &gen);
				if (err || gen != (__u64)(i % 4 ? r : r + 100)) {
					cc_error(sh, "writer %d: lookup %#llx: %d gen %llu",
						 w, (unsigned long long)id, err,
						 (unsigned long long)gen);
					return;
				}
			}
			if (i % 16 == 0) {
				id = cc_id(-1, (i * 7 + w) % CC_STABLE);
				err = cc_get(fd, id, &gen);
				if (err || gen) {
					cc_error(sh, "writer %d: stable %llu: %d",
						 w, (unsigned long long)id, err);
					return;
				}
			}
		}
		for (i = 0; i < CC_RANGE; i++) {
			if (r == CC_ROUNDS - 1 && i % 3 == 0)
				continue;
			id = cc_id(w, i);
			err = hm_delete(fd, &id, sizeof(id));
			if (err) {
				cc_error(sh, "writer %d: delete %#llx: %d", w,
					 (unsigned long long)id, err);
				return;
			}
		}
	}
}

struct cc_walk {
	struct cc_shared *sh;
	int dumper;
	__u8 seen[CC_NKEYS];
};

static int cc_walk_fn(void *ctx, const __u8 *key, __u32 klen, const __u8 *val,
		      __u32 vlen)
{
	struct cc_walk *c = ctx;
	__u64 id, v[2];
	long slot;

	if (klen != sizeof(id) || vlen != sizeof(v)) {
		cc_error(c->sh, "dumper %d: key_len %u value_len %u", c->dumper,
			 klen, vlen);
		return -EBADMSG;
	}
	memcpy(&id, key, sizeof(id));
	memcpy(v, val, sizeof(v));
	slot = cc_slot(id);
	if (slot < 0 || v[0] != id) {
		cc_error(c->sh, "dumper %d: stray key %#llx value %#llx",
			 c->dumper, (unsigned long long)id,
			 (unsigned long long)v[0]);
		return -EBADMSG;
	}
	if (c->seen[slot]++) {
		cc_error(c->sh, "dumper %d: key %#llx twice in one walk",
			 c->dumper, (unsigned long long)id);
		return -EBADMSG;
	}
	return 0;
}

static void cc_dumper(struct cc_shared *sh, int d, int fd)
{
	struct cc_walk *c = malloc(sizeof(*c));
	__u32 room = d ? 13 : 64;
	int walk, err, i;

	if (!c) {
		cc_error(sh, "dumper %d: no memory", d);
		return;
	}
	c->sh = sh;
	c->dumper = d;
	for (walk = 0; walk < CC_MAX_WALKS && !sh->errors; walk++) {
		struct walk_stats ws = { 0 };

		if (__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE) && walk >= 2)
			break;
		memset(c->seen, 0, sizeof(c->seen));
		err = hm_walk(fd, 8, CC_VS, room, true, cc_walk_fn, c, &ws,
			      1000000);
		sh->dump_calls[d] += ws.calls;
		if (err) {
			if (err != -EBADMSG)
				cc_error(sh, "dumper %d: walk %d: %d", d, walk,
					 err);
			break;
		}
		for (i = 0; i < CC_STABLE; i++) {
			if (c->seen[i] != 1) {
				cc_error(sh, "dumper %d: walk %d saw stable key %d %u times",
					 d, walk, i, c->seen[i]);
				goto out;
			}
		}
		sh->walks[d]++;
	}
out:
	free(c);
}

static void cc_shrinker(struct cc_shared *sh, int fd)
{
	struct hmap_map_stats s;
	int err;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE) && !sh->errors) {
		err = hm_cmd(fd, HMAP_IOC_SHRINK);
		/* The writers kept moving the size it needs: again later. */
		if (err == -EAGAIN)
			err = 0;
		if (err) {
			cc_error(sh, "shrink: %d", err);
			return;
		}
		err = hm_stats(fd, &s);
		if (err || s.count < CC_STABLE || s.count > CC_NKEYS) {
			cc_error(sh, "stats: %d, count %llu", err,
				 (unsigned long long)s.count);
			return;
		}
		sh->shrinks++;
		usleep(20000);
	}
}

static void *cc_writer_thread(void *p)
{
	struct cc_arg *a = p;

	cc_writer(a->sh, a->idx, a->sh->fd);
	return NULL;
}

static void *cc_dumper_thread(void *p)
{
	struct cc_arg *a = p;

	cc_dumper(a->sh, a->idx, a->sh->fd);
	return NULL;
}

static void *cc_shrinker_thread(void *p)
{
	struct cc_arg *a = p;

	cc_shrinker(a->sh, a->sh->fd);
	return NULL;
}

/* A process with its own fd on the map; exits with 0 or 1. */
static pid_t cc_fork(struct cc_shared *sh, int idx, bool writer)
{
	pid_t pid;
	int fd;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid)
		return pid;
	fd = hm_attach(sh->name);
	if (fd < 0) {
		cc_error(sh, "process %d: open %s: %d", idx, sh->name, fd);
		_exit(1);
	}
	if (writer)
		cc_writer(sh, idx, fd);
	else
		cc_dumper(sh, idx, fd);
	close(fd);
	_exit(sh->errors ? 1 : 0);
}

struct cc_final {
	__u8 seen[CC_NKEYS];
	unsigned long bad;
};

static int cc_final_fn(void *ctx, const __u8 *key, __u32 klen,
		       const __u8 *val, __u32 vlen)
{
	struct cc_final *f = ctx;
	__u64 id, v[2];
	long slot;

	if (klen != sizeof(id) || vlen != sizeof(v)) {
		f->bad++;
		return 0;
	}
	memcpy(&id, key, sizeof(id));
	memcpy(v, val, sizeof(v));
	slot = cc_slot(id);
	if (slot < 0 || v[0] != id) {
		f->bad++;
		return 0;
	}
	f->seen[slot]++;
	if (slot < CC_STABLE ? v[1] != 0 :
	    v[1] != cc_final_gen((id & 0xffffffff)))
		f->bad++;
	return 0;
}

/*
 * Writers churn disjoint key ranges (insert, replace, delete) so the map
 * grows and shrinks, while dumpers walk it and a shrinker thread resizes
 * it: every walk returns every stable key once and no key twice.
 */
TEST_F_TIMEOUT(hmap, concurrent_churn_dump, 240)
{
	pthread_t writers[CC_THREADS], dumper, shrinker;
	struct cc_arg wa[CC_THREADS], da = { .idx = 0 }, sa = { .idx = 0 };
	pid_t wpid[CC_WRITERS - CC_THREADS], dpid;
	struct cc_shared *sh;
	struct cc_final *fin;
	struct hmap_map_stats s;
	struct walk_stats ws = { 0 };
	__u64 expect, id, gen;
	__u32 i;
	int status, w, n;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	memcpy(sh->name, self->name, HMAP_NAME_MAX);
	sh->fd = hm_new(self->name, 8, CC_VS, 2 * CC_NKEYS, 0600);
	ASSERT_LE(0, sh->fd);
	for (i = 0; i < CC_STABLE; i++)
		ASSERT_EQ(0, cc_put(sh->fd, cc_id(-1, i), 0, HMAP_NOEXIST));

	/* processes first, then threads */
	for (w = CC_THREADS; w < CC_WRITERS; w++) {
		wpid[w - CC_THREADS] = cc_fork(sh, w, true);
		ASSERT_LT(0, wpid[w - CC_THREADS]);
	}
	dpid = cc_fork(sh, 1, false);
	ASSERT_LT(0, dpid);
	da.sh = sh;
	sa.sh = sh;
	ASSERT_EQ(0, pthread_create(&dumper, NULL, cc_dumper_thread, &da));
	ASSERT_EQ(0, pthread_create(&shrinker, NULL, cc_shrinker_thread, &sa));
	for (w = 0; w < CC_THREADS; w++) {
		wa[w].sh = sh;
		wa[w].idx = w;
		ASSERT_EQ(0, pthread_create(&writers[w], NULL, cc_writer_thread,
					    &wa[w]));
	}

	for (w = 0; w < CC_THREADS; w++)
		pthread_join(writers[w], NULL);
	for (w = 0; w < CC_WRITERS - CC_THREADS; w++) {
		ASSERT_EQ(wpid[w], waitpid(wpid[w], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	pthread_join(dumper, NULL);
	pthread_join(shrinker, NULL);
	ASSERT_EQ(dpid, waitpid(dpid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	TH_LOG("walks %d + %d (%ld + %ld dump calls), %d shrinks",
	       sh->walks[0], sh->walks[1], sh->dump_calls[0],
	       sh->dump_calls[1], sh->shrinks);
	ASSERT_EQ(0, sh->errors) {
		TH_LOG("%d errors, first: %s", sh->errors, sh->msg);
	}
	EXPECT_LE(2, sh->walks[0]);
	EXPECT_LE(2, sh->walks[1]);

	/* nothing lost, nothing duplicated, nothing left over */
	expect = CC_STABLE + CC_WRITERS * ((CC_RANGE + 2) / 3);
	ASSERT_EQ(0, hm_stats(sh->fd, &s));
	EXPECT_EQ(expect, s.count);
	EXPECT_LE(1ULL, s.grows);
	EXPECT_EQ(s.count, s.elems_alloced - s.elems_freed);
	fin = calloc(1, sizeof(*fin));
	ASSERT_NE(NULL, fin);
	ASSERT_EQ(0, hm_walk(sh->fd, 8, CC_VS, 100, true, cc_final_fn, fin,
			     &ws, 100000));
	EXPECT_EQ(expect, ws.entries);
	EXPECT_EQ(0UL, fin->bad);
	n = 0;
	for (i = 0; i < CC_NKEYS; i++) {
		bool kept = i < CC_STABLE || (i - CC_STABLE) % CC_RANGE % 3 == 0;

		if (fin->seen[i] != kept && n++ < 5)
			TH_LOG("slot %u seen %u times, want %d", i,
			       fin->seen[i], kept);
	}
	EXPECT_EQ(0, n);
	for (w = 0; w < CC_WRITERS; w++) {
		for (i = 0; i < CC_RANGE; i += 7) {
			int err = cc_get(sh->fd, cc_id(w, i), &gen);

			if (i % 3) {
				EXPECT_EQ(-ENOENT, err);
			} else {
				EXPECT_EQ(0, err);
				EXPECT_EQ(cc_final_gen(i), gen);
			}
		}
	}
	for (i = 0; i < CC_STABLE; i += 11) {
		id = cc_id(-1, i);
		EXPECT_EQ(0, cc_get(sh->fd, id, &gen));
	}
	free(fin);
	close(sh->fd);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
