/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlbd's event loop: every fd in the epoll set carries a handler, so the
 * loop needs no knowledge of who owns which fd (signals, control socket,
 * probe sockets, curl's sockets, child processes, timers).
 */
#ifndef XLBD_EVENT_H
#define XLBD_EVENT_H

#include <stdint.h>

struct ev_handler {
	void (*fn)(struct ev_handler *h, uint32_t events);
};

/* Adds, changes or removes fd; h NULL removes. */
int ev_watch(int epfd, int fd, uint32_t events, struct ev_handler *h);

#endif /* XLBD_EVENT_H */
