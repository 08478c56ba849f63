/* SPDX-License-Identifier: GPL-2.0 */
/* check_*_overflow(), size_add(), size_mul(): the kernel's header. */
#include <limits.h>
#include <include/linux/overflow.h>
