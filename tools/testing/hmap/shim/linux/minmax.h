/* SPDX-License-Identifier: GPL-2.0 */
/* min(), max(), clamp() ...: the kernel's header, from the source tarball. */
#include <include/linux/minmax.h>
