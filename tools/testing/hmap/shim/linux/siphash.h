/* SPDX-License-Identifier: GPL-2.0 */
/* SipHash: the kernel's header; lib/siphash.c is built from the tarball. */
#include <include/linux/siphash.h>
