/* SPDX-License-Identifier: GPL-2.0 */
/* Whole writes: to a descriptor, and of a file. */
#ifndef XLB_FDIO_H
#define XLB_FDIO_H

#include <stddef.h>

/* All len bytes, through short writes and EINTR; -1 with errno set otherwise. */
int xlb_write_all(int fd, const void *buf, size_t len);

/*
 * path holds text whole, or is as it was: written to path.tmp, synced,
 * renamed over (its directory made if missing). 0 or -errno.
 */
int xlb_write_file_atomic(const char *path, const char *text, unsigned int mode);
/* The same for len bytes of buf. */
int xlb_write_file_atomic_len(const char *path, const void *buf, size_t len, unsigned int mode);

#endif /* XLB_FDIO_H */
