/* SPDX-License-Identifier: GPL-2.0 */
/* IS_ENABLED() and friends: the kernel's header, from the source tarball. */
#include <include/linux/kconfig.h>
