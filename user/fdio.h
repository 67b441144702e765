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
/*
 * open(2) of a file that must be a regular one: never waits (a FIFO there
 * would block the caller for good), refuses anything else (-1, errno
 * EINVAL). flags: O_RDONLY, or O_WRONLY | O_APPEND | O_CREAT and so on.
 */
int xlb_open_regular(const char *path, int flags, unsigned int mode);
/* The same for len bytes of buf. */
int xlb_write_file_atomic_len(const char *path, const void *buf, size_t len, unsigned int mode);

#endif /* XLB_FDIO_H */
