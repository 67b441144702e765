// SPDX-License-Identifier: GPL-2.0
/*
 * The damping file: the backends held out as flapping, kept beside the
 * state file so that a hold outlives a restart of xlbd. JSON:
 *
 *   { "version": 1, "held": [ { "vip": "web", "backend": "198.18.1.12",
 *     "probe": "9f0c...", "health": "up", "held_since_ms": ...,
 *     "hold_from_ms": ..., "last_change_ms": ..., "flap_health_changes": 5,
 *     "changes_ms": [ ... ] } ] }
 *
 * Times are on the wall clock, in ms since the epoch. Read whole or not at
 * all: one bad entry and the file gives none.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "addr.h"
#include "health.h"

#define FLAP_FILE_VERSION	1

char *xlb_flap_file_format(const struct xlb_flap_saved *s, size_t nr)
{
	json_t *held = json_array(), *root;
	char a[XLB_ADDR_STRLEN], key[24];
	size_t i;
	__u32 c;
	char *text;

	for (i = 0; held && i < nr; i++) {
		json_t *changes = json_array();

		for (c = 0; changes && c < s[i].nr_changes; c++)
			json_array_append_new(changes, json_integer(s[i].change_ms[c]));
		snprintf(key, sizeof(key), "%016" PRIx64, (uint64_t)s[i].probe_key);
		json_array_append_new(held, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:i, s:o*}",
			"vip", s[i].vip, "backend", xlb_addr_str(&s[i].backend, a, sizeof(a)),
			"probe", key, "health", s[i].down ? "down" : "up",
			"held_since_ms", (json_int_t)s[i].since_ms,
			"hold_from_ms", (json_int_t)s[i].hold_from_ms,
			"last_change_ms", (json_int_t)s[i].last_change_ms,
			"flap_health_changes", (int)s[i].flap_count, "changes_ms", changes));
	}
	root = json_pack("{s:i, s:o*}", "version", FLAP_FILE_VERSION, "held", held);
	text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
	json_decref(root);
	return text;
}

/* One entry; 0, or -EINVAL with why. */
static int entry_from(json_t *j, struct xlb_flap_saved *s, char *err, size_t err_len)
{
	json_int_t since, hold_from, last, count;
	const char *vip, *backend, *probe, *health;
	json_t *changes, *c;
	json_error_t jerr;
	char *end;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (json_unpack_ex(j, &jerr, JSON_STRICT, "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o}",
			   "vip", &vip, "backend", &backend, "probe", &probe, "health", &health,
			   "held_since_ms", &since, "hold_from_ms", &hold_from,
			   "last_change_ms", &last, "flap_health_changes", &count,
			   "changes_ms", &changes)) {
		snprintf(err, err_len, "%s", jerr.text);
		return -EINVAL;
	}
	if (!vip[0] || strlen(vip) >= sizeof(s->vip)) {
		snprintf(err, err_len, "VIP name '%s' is not one xlbd gives", vip);
		return -EINVAL;
	}
	if (xlb_addr_parse(backend, &s->backend)) {
		snprintf(err, err_len, "backend '%s' is not an address", backend);
		return -EINVAL;
	}
	errno = 0;
	s->probe_key = strtoull(probe, &end, 16);
	if (!probe[0] || *end || errno || strlen(probe) > 16) {
		snprintf(err, err_len, "probe '%s' is not a probe key", probe);
		return -EINVAL;
	}
	if (strcmp(health, "up") && strcmp(health, "down")) {
		snprintf(err, err_len, "health '%s' is neither up nor down", health);
		return -EINVAL;
	}
	if (since < 0 || last < 0 || count < 0 || count > XLB_FLAP_MAX_CHANGES + 1 ||
	    !json_is_array(changes) || json_array_size(changes) > XLB_FLAP_MAX_CHANGES + 1) {
		snprintf(err, err_len, "times or counts out of range");
		return -EINVAL;
	}
	json_array_foreach(changes, i, c) {
		if (!json_is_integer(c) || json_integer_value(c) < 0 ||
		    (i && json_integer_value(c) < (json_int_t)s->change_ms[i - 1])) {
			snprintf(err, err_len, "changes_ms is not a list of times, oldest first");
			return -EINVAL;
		}
		s->change_ms[i] = json_integer_value(c);
	}
	memcpy(s->vip, vip, strlen(vip) + 1);
	s->down = !strcmp(health, "down");
	s->since_ms = since;
	s->hold_from_ms = hold_from;
	s->last_change_ms = last;
	s->flap_count = count;
	s->nr_changes = json_array_size(changes);
	return 0;
}

int xlb_flap_file_parse(const char *text, size_t len, struct xlb_flap_saved **out, size_t *nr,
			char *err, size_t err_len)
{
	json_t *root, *held, *j;
	struct xlb_flap_saved *s = NULL;
	json_error_t jerr;
	json_int_t version;
	char why[160];
	size_t i;
	int rc = 0;

	*out = NULL;
	*nr = 0;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, err_len, "line %d: %s", jerr.line, jerr.text);
		return -EINVAL;
	}
	if (json_unpack_ex(root, &jerr, JSON_STRICT, "{s:I, s:o}", "version", &version,
			   "held", &held) || !json_is_array(held)) {
		snprintf(err, err_len, "not a damping file xlbd wrote");
		json_decref(root);
		return -EINVAL;
	}
	if (version != FLAP_FILE_VERSION) {
		snprintf(err, err_len, "version %lld, not %d", (long long)version, FLAP_FILE_VERSION);
		json_decref(root);
		return -EINVAL;
	}
	s = calloc(json_array_size(held) + 1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		json_decref(root);
		return -ENOMEM;
	}
	json_array_foreach(held, i, j) {
		rc = entry_from(j, &s[i], why, sizeof(why));
		if (rc) {
			snprintf(err, err_len, "held out backend %zu: %s", i + 1, why);
			break;
		}
	}
	json_decref(root);
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	*nr = i;
	return 0;
}
