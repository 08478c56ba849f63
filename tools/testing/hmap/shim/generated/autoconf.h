/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel configuration the user-space harness stands for: what
 * <linux/kconfig.h> (the kernel's own, from the source tarball) reads.
 * CONFIG_KUNIT builds the core's test hooks (hmap_test_*()).
 */
#define CONFIG_64BIT 1
#define CONFIG_X86_64 1
#define CONFIG_KUNIT 1
#define CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS 1
#define CONFIG_HZ 250
#define CONFIG_NR_CPUS 16
