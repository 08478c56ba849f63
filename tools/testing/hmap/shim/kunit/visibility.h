/* SPDX-License-Identifier: GPL-2.0 */
/* The harness links the core and its tests into one program. */
#ifndef _HMAP_SHIM_KUNIT_VISIBILITY_H
#define _HMAP_SHIM_KUNIT_VISIBILITY_H

#define VISIBLE_IF_KUNIT
#define EXPORT_SYMBOL_IF_KUNIT(symbol)

#endif
