/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Table fingerprints as xlbd shows them (fingerprint.h has what they are):
 * per VIP in show -j and /metrics, for all VIPs in status, and whole for
 * 'xlbctl compare' over the control socket or GET /fingerprints.
 */
#ifndef XLBD_FINGERPRINTS_H
#define XLBD_FINGERPRINTS_H

#include <jansson.h>

struct xlbd;
struct xlb_cfg_vip;

/* {"digest", "config", "table", "age_s"}, or null before the first read. */
json_t *fingerprint_json(struct xlbd *x, const char *vip);
/*
 * What nodes compare: {"node": digest, "vips": [{"name", "address", "port",
 * "protocol", "table_size", "hash_source_port", "fingerprint",
 * "backends": [{"address", "weight"}]}]}, weight in force, 0 for a backend
 * that takes no new flows.
 */
json_t *fingerprints_json(struct xlbd *x);

#endif /* XLBD_FINGERPRINTS_H */
