/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event journal of a running xlbd: every part records what happened
 * here (changes, health, skew, routes, the node), and calls nothing back.
 */
#ifndef XLBD_EVENTS_H
#define XLBD_EVENTS_H

#include <jansson.h>

struct xlbd;

/* Opened before anything touches the data path: a refused start says why. */
int events_open(struct xlbd *x);
/* After the last event. */
void events_close(struct xlbd *x);
/* Appends to the event journal (fields consumed); nothing when it is closed. */
void journal_event(struct xlbd *x, const char *type, json_t *fields);

#endif /* XLBD_EVENTS_H */
