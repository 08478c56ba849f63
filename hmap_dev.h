/* SPDX-License-Identifier: GPL-2.0 */
/* /dev/hmap, the ioctl front end: set up and torn down by hmap_mod.c. */
#ifndef _HMAP_DEV_H
#define _HMAP_DEV_H

int __init hmap_dev_init(void);
void hmap_dev_exit(void);

#endif /* _HMAP_DEV_H */
