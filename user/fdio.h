/* SPDX-License-Identifier: GPL-2.0 */
/* Whole writes to a descriptor. */
#ifndef XLB_FDIO_H
#define XLB_FDIO_H

#include <stddef.h>

/* All len bytes, through short writes and EINTR; -1 with errno set otherwise. */
int xlb_write_all(int fd, const void *buf, size_t len);

#endif /* XLB_FDIO_H */
