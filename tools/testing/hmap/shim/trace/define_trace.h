/* SPDX-License-Identifier: GPL-2.0 */
/* Trace events are no-ops in the harness: nothing to define. */
