/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlbd's one-second heartbeat: the order in which each part does its
 * periodic work, decided here and nowhere else.
 */
#ifndef XLBD_HEARTBEAT_H
#define XLBD_HEARTBEAT_H

struct xlbd;

int heartbeat_start(struct xlbd *x);
void heartbeat_stop(struct xlbd *x);

#endif /* XLBD_HEARTBEAT_H */
