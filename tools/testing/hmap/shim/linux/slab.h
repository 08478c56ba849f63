/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmalloc(), kvmalloc() and kmem caches on malloc. kmalloc_size_roundup()
 * gives the kernel's (SLUB's) kmalloc sizes, so that the core's byte
 * counts are the kernel's. Every allocation that may fail can be made to
 * fail on purpose: hmap_shim_fail_allocs().
 */
#ifndef _HMAP_SHIM_LINUX_SLAB_H
#define _HMAP_SHIM_LINUX_SLAB_H

#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/types.h>

#define SLAB_ACCOUNT		0x04000000u
#define SLAB_HWCACHE_ALIGN	0x00002000u
#define SLAB_PANIC		0x00040000u
#define SLAB_RECLAIM_ACCOUNT	0x00020000u
#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(x)	((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

struct kmem_cache;

void *kmalloc(size_t size, gfp_t flags);
void kfree(const void *p);
size_t kmalloc_size_roundup(size_t size);
void *kvmalloc(size_t size, gfp_t flags);
void kvfree(const void *p);
bool is_vmalloc_addr(const void *p);

static inline void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}

static inline void *kvzalloc(size_t size, gfp_t flags)
{
	return kvmalloc(size, flags | __GFP_ZERO);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return kmalloc(bytes, flags);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags | __GFP_ZERO);
}

static inline void *kvmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return kvmalloc(bytes, flags);
}

static inline void *kvcalloc(size_t n, size_t size, gfp_t flags)
{
	return kvmalloc_array(n, size, flags | __GFP_ZERO);
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags,
				     void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags);
void kmem_cache_free(struct kmem_cache *s, void *p);
unsigned int kmem_cache_size(struct kmem_cache *s);

static inline void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags)
{
	return kmem_cache_alloc(s, flags | __GFP_ZERO);
}

#endif /* _HMAP_SHIM_LINUX_SLAB_H */
