/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Runtime changes made with xlbctl (weight, drain, disable, enable, add or
 * remove a backend). They are kept apart from the config file, in a state
 * file written atomically, and laid over the config on every start and
 * reload: never lost silently, never mixed into the operator's file.
 * `xlbctl diff` shows them as drift; `xlbctl reset` drops them.
 */
#ifndef XLB_OVERRIDES_H
#define XLB_OVERRIDES_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>
#include "defaults.h"
#include "config.h"


struct xlb_override {
	char vip[XLB_NAME_MAX];
	union xlb_addr backend;
	bool has_weight;
	__u32 weight;
	bool has_admin;
	enum xlb_admin_state admin;
	bool added;		/* not in the config: added at run time */
	bool removed;		/* in the config: removed at run time */
	bool has_mac;
	__u8 mac[6];
	uid_t uid;		/* who made the last change */
	time_t when;
};

struct xlb_overrides {
	struct xlb_override *items;
	size_t nr, cap;
};

int xlb_overrides_load(const char *path, struct xlb_overrides *ov);
int xlb_overrides_save(const char *path, const struct xlb_overrides *ov);
/* As the state file lists them; *bad is the index of an invalid entry. */
json_t *xlb_overrides_to_json(const struct xlb_overrides *ov);
int xlb_overrides_from_json(json_t *list, struct xlb_overrides *ov, size_t *bad);
void xlb_overrides_free(struct xlb_overrides *ov);
/* A copy of its own (to is overwritten, not freed). */
int xlb_overrides_copy(const struct xlb_overrides *from, struct xlb_overrides *to);
struct xlb_override *xlb_overrides_get(struct xlb_overrides *ov, const char *vip,
				       const union xlb_addr *backend, bool create);
/*
 * The same (never creating), looking first at index hint: two sets where
 * one is the other with a change or two keep their order, so a walk of one
 * looking each item up in the other is linear, not quadratic (5,000
 * runtime changes in force made each new one cost 100 ms, 50,000 6 s).
 */
struct xlb_override *xlb_overrides_near(struct xlb_overrides *ov, size_t hint, const char *vip,
					const union xlb_addr *backend);
/* The same change in force (NULL: none), whoever made it and when. */
bool xlb_override_equal(const struct xlb_override *a, const struct xlb_override *b);
/* The same changes in force, in any order. */
bool xlb_overrides_equal(const struct xlb_overrides *a, const struct xlb_overrides *b);
/* Drops the overrides of one backend, or of a whole VIP when backend is NULL. */
size_t xlb_overrides_drop(struct xlb_overrides *ov, const char *vip,
			  const union xlb_addr *backend);
/*
 * The effective config: base with the overrides laid over it. Overrides
 * that match nothing any more are kept and named in notes (as warnings).
 */
struct xlb_cfg *xlb_overrides_apply(const struct xlb_cfg *base,
				    const struct xlb_overrides *ov,
				    struct xlb_diags *notes);
/* One line per override, for logs and diff: "web 198.18.1.12: weight 5 (config 10)". */
void xlb_override_describe(const struct xlb_override *o, const struct xlb_cfg *base,
			   char *buf, size_t len);

#endif /* XLB_OVERRIDES_H */
