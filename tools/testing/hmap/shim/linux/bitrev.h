/* SPDX-License-Identifier: GPL-2.0 */
/* bitrev32() ...: the kernel's header; lib/bitrev.c is built from the tarball. */
#include <include/linux/bitrev.h>
