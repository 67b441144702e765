// SPDX-License-Identifier: GPL-2.0
/*
 * The config from YAML: libyaml builds the document (with a line and column
 * for every node), after a first pass over its events has checked what it
 * may cost (limits); the walkers below check it against the schema, one
 * table of fields per mapping. Values are read as strings and parsed
 * strictly here, so "80x" is an error, not 80. The semantic checks that
 * follow are config_check.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <netinet/in.h>

#include "config.h"
#include "addr.h"
#include "health.h"
#include "latency.h"
#include "config_int.h"

/* ---- schema walking ---------------------------------------------------- */

struct walker {
	yaml_document_t *doc;
	struct xlb_diags *d;
	struct xlb_cfg *cfg;
	size_t backend_errors;	/* errors found inside backends so far */
};

typedef void (*field_fn)(struct walker *w, yaml_node_t *val, void *obj);

struct field {
	const char *key;
	field_fn parse;
};

static struct xlb_pos pos_of(const yaml_node_t *n)
{
	return (struct xlb_pos){ n->start_mark.line + 1, n->start_mark.column + 1 };
}

#define err(w, n, ...) xlb_diag_add((w)->d, XLB_SEV_ERROR, pos_of(n), __VA_ARGS__)

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t row[64];

	if (la >= 64 || lb >= 64)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			cur = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			row[j] = cur;
			prev = tmp;
		}
	}
	return row[lb];
}

static const char *nearest_key(const char *key, const struct field *fields, size_t nr)
{
	size_t i, best = 3, dist;	/* further than 2 edits is no suggestion */
	const char *found = NULL;

	for (i = 0; i < nr; i++) {
		dist = edit_distance(key, fields[i].key);
		if (dist < best) {
			best = dist;
			found = fields[i].key;
		}
	}
	return found;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a value";
	}
}

/*
 * A control character (a NUL, a newline, a tab, an escape) in a value, at
 * offset *at; -1 when there is none. Such a value could cut a name short or
 * forge lines in xlbctl's and /metrics' output.
 */
static int control_char(const yaml_node_t *n, size_t *at)
{
	const unsigned char *v = n->data.scalar.value;
	size_t i;

	for (i = 0; i < n->data.scalar.length; i++) {
		if (v[i] < 0x20 || v[i] == 0x7f) {
			*at = i;
			return v[i];
		}
	}
	return -1;
}

static void walk_mapping(struct walker *w, yaml_node_t *map, const char *what,
			 const struct field *fields, size_t nr, void *obj)
{
	yaml_node_pair_t *pair;
	const char *seen[32];
	size_t nr_seen = 0, i;

	if (map->type != YAML_MAPPING_NODE) {
		err(w, map, "%s must be a mapping of keys, found %s", what, node_kind(map));
		return;
	}
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		const char *key, *hint;

		if (!k || !v)
			continue;
		if (k->type != YAML_SCALAR_NODE || control_char(k, &i) >= 0) {
			err(w, k, "keys in %s must be plain names", what);
			continue;
		}
		key = (const char *)k->data.scalar.value;
		for (i = 0; i < nr && strcmp(key, fields[i].key); i++)
			;
		if (i == nr) {
			hint = nearest_key(key, fields, nr);
			if (hint)
				err(w, k, "unknown key '%s' in %s; did you mean '%s'?", key, what, hint);
			else
				err(w, k, "unknown key '%s' in %s", key, what);
			continue;
		}
		for (size_t s = 0; s < nr_seen; s++) {
			if (!strcmp(seen[s], key)) {
				err(w, k, "duplicate key '%s' in %s", key, what);
				key = NULL;
				break;
			}
		}
		if (!key)
			continue;
		if (nr_seen < ARRAY_SIZE(seen))
			seen[nr_seen++] = fields[i].key;
		fields[i].parse(w, v, obj);
	}
}

/* The scalar text of n, or NULL after an error naming what was expected. */
static const char *scalar(struct walker *w, yaml_node_t *n, const char *what)
{
	size_t at;
	int c;

	if (n->type != YAML_SCALAR_NODE) {
		err(w, n, "%s must be a single value, found %s", what, node_kind(n));
		return NULL;
	}
	c = control_char(n, &at);
	if (c >= 0) {
		err(w, n, "invalid %s: control character 0x%02x at character %zu; values must be printable text",
		    what, c, at + 1);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static bool parse_number(struct walker *w, yaml_node_t *n, const char *what,
			 __u32 min, __u32 max, __u32 *out)
{
	const char *s = scalar(w, n, what);
	__u32 v;

	if (!s)
		return false;
	if (xlb_parse_u32(s, max, &v) || v < min) {
		err(w, n, "invalid %s '%s': expected a whole number from %u to %u",
		    what, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

static bool parse_bool(struct walker *w, yaml_node_t *n, const char *what, bool *out)
{
	const char *s = scalar(w, n, what);

	if (!s)
		return false;
	if (!strcmp(s, "true") || !strcmp(s, "false")) {
		*out = s[0] == 't';
		return true;
	}
	err(w, n, "invalid %s '%s': expected true or false", what, s);
	return false;
}

/* "250ms", "2s", "1m" or "1h"; a bare number is refused: the unit must be said. */
static bool parse_duration(struct walker *w, yaml_node_t *n, const char *what,
			   __u32 min_ms, __u32 max_ms, __u32 *out_ms)
{
	const char *s = scalar(w, n, what);
	char num[16];
	size_t len, digits;
	__u32 v, scale;

	if (!s)
		return false;
	len = strlen(s);
	for (digits = 0; digits < len && s[digits] >= '0' && s[digits] <= '9'; digits++)
		;
	if (!strcmp(s + digits, "ms"))
		scale = 1;
	else if (!strcmp(s + digits, "s"))
		scale = 1000;
	else if (!strcmp(s + digits, "m"))
		scale = 60000;
	else if (!strcmp(s + digits, "h"))
		scale = 3600000;
	else
		scale = 0;
	if (!scale || !digits || digits >= sizeof(num))
		goto bad;
	memcpy(num, s, digits);
	num[digits] = '\0';
	if (xlb_parse_u32(num, max_ms / scale, &v) || v * scale < min_ms)
		goto bad;
	*out_ms = v * scale;
	return true;
bad:
	err(w, n, "invalid %s '%s': expected a duration like 500ms, 2s or 1m, from %ums to %ums",
	    what, s, min_ms, max_ms);
	return false;
}

static bool parse_choice(struct walker *w, yaml_node_t *n, const char *what,
			 const char *const *choices, int *out)
{
	const char *s = scalar(w, n, what);
	char list[128] = "";
	int i;

	if (!s)
		return false;
	for (i = 0; choices[i]; i++) {
		if (!strcmp(s, choices[i])) {
			*out = i;
			return true;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i ? (choices[i + 1] ? ", " : " or ") : "", choices[i]);
	}
	err(w, n, "invalid %s '%s': expected %s", what, s, list);
	return false;
}

static bool parse_name(struct walker *w, yaml_node_t *n, const char *what,
		       char *out, size_t size)
{
	const char *s = scalar(w, n, what);

	if (!s)
		return false;
	if (!*s || strlen(s) >= size) {
		err(w, n, "invalid %s '%s': expected 1 to %zu characters", what, s, size - 1);
		return false;
	}
	strcpy(out, s);
	return true;
}

static bool parse_mac(struct walker *w, yaml_node_t *n, const char *what, __u8 mac[6])
{
	const char *s = scalar(w, n, what);

	if (!s)
		return false;
	if (xlb_mac_parse(s, mac)) {
		err(w, n, "invalid %s '%s': expected six hex bytes like 02:00:c6:12:01:0b",
		    what, s);
		return false;
	}
	return true;
}

static bool parse_address(struct walker *w, yaml_node_t *n, const char *what,
			  union xlb_addr *addr)
{
	const char *s = scalar(w, n, what);

	if (!s)
		return false;
	if (xlb_addr_parse(s, addr)) {
		err(w, n, "invalid %s '%s': expected an IPv4 or IPv6 address", what, s);
		return false;
	}
	return true;
}

/* ---- probe ------------------------------------------------------------- */

/* Index + 1 is the enum xlb_probe_type: 0 is "not given". */
static const char *const probe_types[] = { "none", "tcp", "http", "https", "udp", "exec", NULL };

#define PROBE_FIELD(fname, body)						\
static void probe_##fname(struct walker *w, yaml_node_t *v, void *obj)	\
{									\
	struct xlb_cfg_probe *p = obj;					\
	body;								\
}

PROBE_FIELD(type, { int t; if (parse_choice(w, v, "probe type", probe_types, &t)) p->type = t + 1; })
PROBE_FIELD(address, { p->has_address = parse_address(w, v, "probe address", &p->address); })
PROBE_FIELD(send, { parse_name(w, v, "probe send", p->send, sizeof(p->send)); })
PROBE_FIELD(expect, { parse_name(w, v, "probe expect", p->expect, sizeof(p->expect)); })
PROBE_FIELD(port, { __u32 x; if (parse_number(w, v, "probe port", 1, 65535, &x)) p->port = x; })
PROBE_FIELD(path, { const char *s = scalar(w, v, "probe path");
	if (s && s[0] != '/') err(w, v, "invalid probe path '%s': must start with '/'", s);
	else if (s) parse_name(w, v, "probe path", p->path, sizeof(p->path)); })
PROBE_FIELD(host, { parse_name(w, v, "probe host", p->host, sizeof(p->host)); })
PROBE_FIELD(command, { parse_name(w, v, "probe command", p->command, sizeof(p->command)); })
PROBE_FIELD(expect_status, { parse_number(w, v, "probe expect_status", 100, 599, &p->expect_status); })
PROBE_FIELD(interval, { parse_duration(w, v, "probe interval", 100, 3600000, &p->interval_ms); })
PROBE_FIELD(latency_interval, { parse_duration(w, v, "probe latency_interval", 100, 3600000, &p->latency_interval_ms); })
PROBE_FIELD(flap_changes, { p->flap_changes_set = parse_number(w, v, "probe flap_changes", 0, XLB_FLAP_MAX_CHANGES, &p->flap_changes); })
PROBE_FIELD(flap_window, { parse_duration(w, v, "probe flap_window", 1000, 3600000, &p->flap_window_ms); })
PROBE_FIELD(flap_hold, { parse_duration(w, v, "probe flap_hold", 1000, 3600000, &p->flap_hold_ms); })
PROBE_FIELD(timeout, { parse_duration(w, v, "probe timeout", 10, 600000, &p->timeout_ms); })
PROBE_FIELD(rise, { parse_number(w, v, "probe rise", 1, 100, &p->rise); })
PROBE_FIELD(fall, { parse_number(w, v, "probe fall", 1, 100, &p->fall); })

static const struct field probe_fields[] = {
	{ "type", probe_type }, { "address", probe_address }, { "port", probe_port },
	{ "path", probe_path }, { "send", probe_send }, { "expect", probe_expect },
	{ "host", probe_host }, { "command", probe_command },
	{ "expect_status", probe_expect_status }, { "interval", probe_interval },
	{ "timeout", probe_timeout }, { "rise", probe_rise }, { "fall", probe_fall },
	{ "latency_interval", probe_latency_interval }, { "flap_changes", probe_flap_changes },
	{ "flap_window", probe_flap_window }, { "flap_hold", probe_flap_hold },
};

static void parse_probe(struct walker *w, yaml_node_t *v, struct xlb_cfg_probe *p)
{
	p->set = true;
	walk_mapping(w, v, "probe", probe_fields,
		     ARRAY_SIZE(probe_fields), p);
}

/* ---- backend ----------------------------------------------------------- */

static const char *const admin_states[] = { "up", "drain", "disabled", NULL };

static void be_address(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_backend *be = obj;

	be->pos = pos_of(v);
	parse_address(w, v, "backend address", &be->addr);
}

static void be_weight(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_backend *be = obj;

	be->weight_pos = pos_of(v);
	parse_number(w, v, "weight", 0, XLB_MAX_WEIGHT, &be->weight);
}

static void be_mac(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_backend *be = obj;

	/* Present counts: a bad value has its own error already. */
	be->has_mac = true;
	parse_mac(w, v, "backend mac", be->mac);
}

static void be_state(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_backend *be = obj;
	int s;

	if (parse_choice(w, v, "backend state", admin_states, &s))
		be->admin = s;
}

static void be_probe(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_backend *be = obj;

	if (!be->probe)
		be->probe = calloc(1, sizeof(*be->probe));
	if (!be->probe) {
		err(w, v, "out of memory for the backend's probe");
		return;
	}
	parse_probe(w, v, be->probe);
}

static const char *const backend_required[] = { "address" };
static const char *const vip_required[] = { "address", "port", "protocol", "mode", "backends" };

static void check_required(struct walker *w, yaml_node_t *n, const char *label,
			   const char *const *required, size_t nr);

static const struct field backend_fields[] = {
	{ "address", be_address }, { "weight", be_weight }, { "mac", be_mac },
	{ "state", be_state }, { "probe", be_probe },
};

/* ---- VIP ------------------------------------------------------------- */

static const char *const protocols[] = { "tcp", "udp", NULL };
static const char *const modes[] = { "encap", "dsr", NULL };

static void vip_name(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_vip *vip = obj;

	parse_name(w, v, "VIP name", vip->name, sizeof(vip->name));
}

static void vip_address(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_address(w, v, "VIP address", &((struct xlb_cfg_vip *)obj)->key.addr);
}

static void vip_port(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_vip *vip = obj;
	__u32 port;

	if (parse_number(w, v, "port", 0, 65535, &port))
		vip->key.port = htons(port);
}

static void vip_protocol(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_vip *vip = obj;
	int p;

	if (parse_choice(w, v, "protocol", protocols, &p))
		vip->key.proto = p == 0 ? IPPROTO_TCP : IPPROTO_UDP;
}

static void vip_mode(struct walker *w, yaml_node_t *v, void *obj)
{
	int m;

	if (parse_choice(w, v, "forwarding mode", modes, &m))
		((struct xlb_cfg_vip *)obj)->encap = m == 0;
}

static void vip_table_size(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_vip *vip = obj;

	vip->table_pos = pos_of(v);
	parse_number(w, v, "table_size", 3, XLB_MAX_TABLE_SIZE, &vip->table_size);
}

static void hash_source_port(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_bool(w, v, "hash source_port", &((struct xlb_cfg_vip *)obj)->hash_source_port);
}

static const struct field hash_fields[] = { { "source_port", hash_source_port } };

static void vip_hash(struct walker *w, yaml_node_t *v, void *obj)
{
	walk_mapping(w, v, "hash", hash_fields, 1, obj);
}

static void vip_echo(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_bool(w, v, "echo_reply", &((struct xlb_cfg_vip *)obj)->echo_reply);
}

static const char *const all_down_policies[] = { "keep", "drop", NULL };

static void vip_all_down(struct walker *w, yaml_node_t *v, void *obj)
{
	int p;

	if (parse_choice(w, v, "all_down", all_down_policies, &p))
		((struct xlb_cfg_vip *)obj)->all_down = p;
}

static void vip_slow_start(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_duration(w, v, "slow_start", 0, 3600000, &((struct xlb_cfg_vip *)obj)->slow_start_ms);
}

static void vip_probe(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_probe(w, v, &((struct xlb_cfg_vip *)obj)->probe);
}

/*
 * The array for the items of a YAML list, or NULL after saying why; *n gets
 * the item count. Callers walk v's items and count them in as they go.
 */
static void *list_items(struct walker *w, yaml_node_t *v, const char *what, size_t size,
			size_t *n)
{
	if (v->type != YAML_SEQUENCE_NODE) {
		err(w, v, "%s must be a list, found %s", what, node_kind(v));
		return NULL;
	}
	*n = v->data.sequence.items.top - v->data.sequence.items.start;
	return calloc(*n ? *n : 1, size);
}

static void vip_backends(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_vip *vip = obj;
	yaml_node_item_t *item;
	char label[XLB_NAME_MAX + 32];
	size_t n;

	vip->backends = list_items(w, v, "backends", sizeof(*vip->backends), &n);
	if (!vip->backends)
		return;
	for (item = v->data.sequence.items.start; item < v->data.sequence.items.top; item++) {
		yaml_node_t *b = yaml_document_get_node(w->doc, *item);
		struct xlb_cfg_backend *be = &vip->backends[vip->nr_backends++];

		size_t errors = w->d->errors;

		be->weight = 1;
		be->pos = pos_of(b);
		be->weight_pos = be->pos;
		walk_mapping(w, b, "backend", backend_fields,
			     ARRAY_SIZE(backend_fields), be);
		snprintf(label, sizeof(label), "backend of VIP '%s'",
			 vip->name[0] ? vip->name : "(unnamed)");
		check_required(w, b, label, backend_required,
			       ARRAY_SIZE(backend_required));
		be->invalid = w->d->errors != errors;
		w->backend_errors += w->d->errors - errors;
	}
}

static const struct field vip_fields[] = {
	{ "name", vip_name }, { "address", vip_address }, { "port", vip_port },
	{ "protocol", vip_protocol }, { "mode", vip_mode },
	{ "table_size", vip_table_size }, { "hash", vip_hash },
	{ "echo_reply", vip_echo }, { "probe", vip_probe }, { "all_down", vip_all_down },
	{ "slow_start", vip_slow_start },
	{ "backends", vip_backends },
};

/* Keys an object cannot do without. */
static void check_required(struct walker *w, yaml_node_t *n, const char *label,
			   const char *const *required, size_t nr)
{
	yaml_node_pair_t *pair;
	size_t i;

	if (n->type != YAML_MAPPING_NODE)
		return;
	for (i = 0; i < nr; i++) {
		bool found = false;

		for (pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
			yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);

			if (k && k->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)k->data.scalar.value, required[i]))
				found = true;
		}
		if (!found)
			err(w, n, "%s has no '%s'", label, required[i]);
	}
}

static void top_vips(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg *cfg = obj;
	yaml_node_item_t *item;
	char label[XLB_NAME_MAX + 8];
	size_t n;

	cfg->vips = list_items(w, v, "vips", sizeof(*cfg->vips), &n);
	if (!cfg->vips)
		return;
	for (item = v->data.sequence.items.start; item < v->data.sequence.items.top; item++) {
		yaml_node_t *node = yaml_document_get_node(w->doc, *item);
		struct xlb_cfg_vip *vip = &cfg->vips[cfg->nr_vips++];
		size_t errors = w->d->errors, in_backends = w->backend_errors;

		vip->table_size = XLB_DEFAULT_TABLE_SIZE;
		vip->hash_source_port = true;
		vip->echo_reply = true;
		vip->pos = pos_of(node);
		vip->table_pos = vip->pos;
		walk_mapping(w, node, "VIP", vip_fields,
			     ARRAY_SIZE(vip_fields), vip);
		snprintf(label, sizeof(label), "VIP '%s'", vip->name[0] ? vip->name : "(unnamed)");
		check_required(w, node, label, vip_required,
			       ARRAY_SIZE(vip_required));
		/* Its backends' own errors do not make the VIP's checks moot. */
		vip->invalid = w->d->errors - errors > w->backend_errors - in_backends;
	}
}

/* ---- top level ------------------------------------------------------- */

static const char *const xdp_modes[] = { "native", "generic", "auto", NULL };

static void iface_name(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_name(w, v, "interface name", ((struct xlb_cfg_iface *)obj)->name, IF_NAMESIZE);
}

static void iface_mode(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_iface *i = obj;
	int m;

	if (parse_choice(w, v, "XDP mode", xdp_modes, &m))
		strcpy(i->xdp_mode, xdp_modes[m]);
}

static const struct field iface_fields[] = { { "name", iface_name }, { "mode", iface_mode } };

static bool one_iface_key(struct walker *w, yaml_node_t *v, struct xlb_cfg *cfg)
{
	if (!cfg->nr_ifaces)
		return true;
	err(w, v, "both 'interface' and 'interfaces': give one (a list under 'interfaces' for several)");
	return false;
}

static void top_interface(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg *cfg = obj;

	if (!one_iface_key(w, v, cfg))
		return;
	cfg->nr_ifaces = 1;
	cfg->ifaces[0].pos = pos_of(v);
	walk_mapping(w, v, "interface", iface_fields, ARRAY_SIZE(iface_fields), &cfg->ifaces[0]);
}

static void top_interfaces(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg *cfg = obj;
	yaml_node_item_t *item;

	cfg->ifaces_given = true;
	if (v->type != YAML_SEQUENCE_NODE) {
		err(w, v, "interfaces must be a list, like [ { name: eth0 }, { name: eth1 } ]; found %s",
		    node_kind(v));
		return;
	}
	if (!one_iface_key(w, v, cfg))
		return;
	if (v->data.sequence.items.start == v->data.sequence.items.top)
		err(w, v, "interfaces is empty: list at least one, like [ { name: eth0 } ]");
	for (item = v->data.sequence.items.start; item < v->data.sequence.items.top; item++) {
		yaml_node_t *node = yaml_document_get_node(w->doc, *item);
		struct xlb_cfg_iface *i;

		if (cfg->nr_ifaces == XLB_MAX_IFACES) {
			err(w, node, "more than %d interfaces: the limit of one xlbd", XLB_MAX_IFACES);
			return;
		}
		i = &cfg->ifaces[cfg->nr_ifaces++];
		i->pos = pos_of(node);
		walk_mapping(w, node, "interface", iface_fields, ARRAY_SIZE(iface_fields), i);
	}
}

static void top_nexthop(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg *cfg = obj;

	cfg->has_nexthop = parse_mac(w, v, "nexthop_mac", cfg->dp.nexthop_mac);
}

static void parse_source(struct walker *w, yaml_node_t *v, struct xlb_cfg *cfg, bool v4)
{
	const char *s = scalar(w, v, v4 ? "tunnel_source ipv4" : "tunnel_source ipv6");
	union xlb_addr a;
	int len;

	if (!s)
		return;
	if (xlb_prefix_parse(s, &a, &len) || xlb_addr_is_v4(&a) != v4 ||
	    (!v4 && len < 96)) {
		err(w, v, "invalid tunnel_source %s '%s': expected %s", v4 ? "ipv4" : "ipv6", s,
		    v4 ? "an IPv4 prefix like 198.18.255.0/24"
		       : "an IPv6 prefix of /96 or longer like 2001:db8:ff::/96");
		return;
	}
	if (v4) {
		cfg->dp.src4_net = a.w[3];
		cfg->dp.src4_mask = len ? htonl(~0u << (32 - len)) : 0;
		cfg->has_src4 = true;
	} else {
		cfg->dp.src6_net = a;
		cfg->dp.src6_mask = len > 96 ? htonl(~0u << (128 - len)) : 0;
		cfg->has_src6 = true;
	}
}

static void src_ipv4(struct walker *w, yaml_node_t *v, void *obj) { parse_source(w, v, obj, true); }
static void src_ipv6(struct walker *w, yaml_node_t *v, void *obj) { parse_source(w, v, obj, false); }

static const struct field source_fields[] = { { "ipv4", src_ipv4 }, { "ipv6", src_ipv6 } };

static void top_source(struct walker *w, yaml_node_t *v, void *obj)
{
	walk_mapping(w, v, "tunnel_source", source_fields, 2, obj);
}

static void top_mtu(struct walker *w, yaml_node_t *v, void *obj)
{
	__u32 mtu;

	if (parse_number(w, v, "mtu", 1280, 9216, &mtu))
		((struct xlb_cfg *)obj)->dp.mtu = mtu;
}

static void maps_vips(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_number(w, v, "maps vips", 1, 65536, &((struct xlb_cfg *)obj)->max_vips);
}

static void maps_backends(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_number(w, v, "maps backends", 1, 1 << 20, &((struct xlb_cfg *)obj)->max_backends);
}

static void maps_lru(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_number(w, v, "maps lru_entries", 1024, 1 << 28, &((struct xlb_cfg *)obj)->lru_entries);
}

static void maps_moved(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_number(w, v, "maps moved_flows", 1024, 1 << 24, &((struct xlb_cfg *)obj)->moved_flows);
}

static const struct field map_fields[] = {
	{ "vips", maps_vips }, { "backends", maps_backends }, { "lru_entries", maps_lru },
	{ "moved_flows", maps_moved },
};

static void top_maps(struct walker *w, yaml_node_t *v, void *obj)
{
	walk_mapping(w, v, "maps", map_fields, ARRAY_SIZE(map_fields), obj);
}

static void top_tcp_idle(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_duration(w, v, "tcp_idle_timeout", 1000, 7 * 86400000,
		       &((struct xlb_cfg *)obj)->tcp_idle_ms);
}

static void top_udp_idle(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_duration(w, v, "udp_idle_timeout", 1000, 86400000,
		       &((struct xlb_cfg *)obj)->udp_idle_ms);
}

static void ctl_admin(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg *cfg = obj;

	parse_name(w, v, "admin_group", cfg->admin_group, sizeof(cfg->admin_group));
}

static void ctl_read(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg *cfg = obj;

	parse_name(w, v, "read_group", cfg->read_group, sizeof(cfg->read_group));
}

static void metrics_address(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_address(w, v, "metrics address", &((struct xlb_cfg *)obj)->metrics_address);
}

static void metrics_port(struct walker *w, yaml_node_t *v, void *obj)
{
	__u32 p;

	if (parse_number(w, v, "metrics port", 0, 65535, &p))
		((struct xlb_cfg *)obj)->metrics_port = p;
}

static void metrics_backends(struct walker *w, yaml_node_t *v, void *obj)
{
	static const char *const choices[] = { "all", "aggregate", "none", NULL };
	int c;

	if (parse_choice(w, v, "metrics backends", choices, &c))
		((struct xlb_cfg *)obj)->metrics_backends = c;
}

static const struct field metrics_fields[] = {
	{ "address", metrics_address }, { "port", metrics_port }, { "backends", metrics_backends },
};

static void top_metrics(struct walker *w, yaml_node_t *v, void *obj)
{
	walk_mapping(w, v, "metrics", metrics_fields, ARRAY_SIZE(metrics_fields), obj);
}

static void journal_path(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg *cfg = obj;

	parse_name(w, v, "journal path", cfg->journal_path, sizeof(cfg->journal_path));
}

static void journal_max(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_number(w, v, "journal max_size_mb", 1, 65536, &((struct xlb_cfg *)obj)->journal_max_mb);
}

static void journal_sample(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_duration(w, v, "journal sample_interval", 1000, 3600000,
		       &((struct xlb_cfg *)obj)->sample_interval_ms);
}

static const struct field journal_fields[] = {
	{ "path", journal_path }, { "max_size_mb", journal_max },
	{ "sample_interval", journal_sample },
};

static void top_journal(struct walker *w, yaml_node_t *v, void *obj)
{
	walk_mapping(w, v, "journal", journal_fields, 3, obj);
}

/* Ratios and z as decimals, checked as strictly as the whole numbers. */
static bool parse_decimal(struct walker *w, yaml_node_t *n, const char *what,
			  double min, double max, double *out)
{
	const char *s = scalar(w, n, what);
	char *end;
	double v;

	if (!s)
		return false;
	v = strtod(s, &end);
	if (!*s || *end || !(v >= min && v <= max) || strchr(s, 'e') || strchr(s, 'E') ||
	    strchr(s, 'x') || strchr(s, 'n') || strchr(s, 'N')) {
		err(w, n, "invalid %s '%s': expected a decimal number from %g to %g", what, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

#define SKEW_FIELD(fname, body)						\
static void skew_##fname(struct walker *w, yaml_node_t *v, void *obj)	\
{									\
	struct xlb_cfg *c = obj;					\
	body;								\
}

SKEW_FIELD(window, { __u32 ms; if (parse_duration(w, v, "skew window", 1000, 120000, &ms)) c->skew.window = ms / 1000; })
SKEW_FIELD(ratio, { parse_decimal(w, v, "skew ratio", 1.05, 100, &c->skew.ratio); })
SKEW_FIELD(config_ratio, { parse_decimal(w, v, "skew config_ratio", 1.05, 100, &c->skew.config_ratio); })
SKEW_FIELD(z, { parse_decimal(w, v, "skew z", 1, 50, &c->skew.z); })
SKEW_FIELD(min_flows, { parse_number(w, v, "skew min_flows", 1, 1u << 30, &c->skew.min_flows); })
SKEW_FIELD(raise_after, { parse_number(w, v, "skew raise_after", 1, 3600, &c->skew.raise_after); })
SKEW_FIELD(clear_after, { parse_number(w, v, "skew clear_after", 1, 3600, &c->skew.clear_after); })
SKEW_FIELD(hook, { parse_name(w, v, "skew hook", c->skew_hook, sizeof(c->skew_hook)); })

static const struct field skew_fields[] = {
	{ "window", skew_window }, { "ratio", skew_ratio }, { "config_ratio", skew_config_ratio },
	{ "z", skew_z }, { "min_flows", skew_min_flows }, { "raise_after", skew_raise_after },
	{ "clear_after", skew_clear_after }, { "hook", skew_hook },
};

#define DIAG_FIELD(fname, body)						\
static void diag_##fname(struct walker *w, yaml_node_t *v, void *obj)	\
{									\
	struct xlb_diag_cfg *c = &((struct xlb_cfg *)obj)->diagnosis;	\
	body;								\
}

DIAG_FIELD(window, { parse_duration(w, v, "diagnosis window", 2000, 120000, &c->window_ms); })
DIAG_FIELD(slow_ratio, { parse_decimal(w, v, "diagnosis slow_ratio", 1.1, 100, &c->slow_ratio); })
DIAG_FIELD(min_delta, { __u32 ms; if (parse_duration(w, v, "diagnosis min_delta", 0, 60000, &ms)) c->min_delta_us = ms * 1000; })
DIAG_FIELD(z, { parse_decimal(w, v, "diagnosis z", 1, 50, &c->z); })
DIAG_FIELD(min_samples, { parse_number(w, v, "diagnosis min_samples", 3, XLB_LAT_SAMPLES, &c->min_samples); })
DIAG_FIELD(raise_after, { parse_number(w, v, "diagnosis raise_after", 1, 3600, &c->raise_after); })
DIAG_FIELD(clear_after, { parse_number(w, v, "diagnosis clear_after", 1, 3600, &c->clear_after); })

static const struct field diag_fields[] = {
	{ "window", diag_window }, { "slow_ratio", diag_slow_ratio },
	{ "min_delta", diag_min_delta }, { "z", diag_z }, { "min_samples", diag_min_samples },
	{ "raise_after", diag_raise_after }, { "clear_after", diag_clear_after },
};

static void top_diagnosis(struct walker *w, yaml_node_t *v, void *obj)
{
	walk_mapping(w, v, "diagnosis", diag_fields, ARRAY_SIZE(diag_fields), obj);
}

static void top_skew(struct walker *w, yaml_node_t *v, void *obj)
{
	walk_mapping(w, v, "skew", skew_fields, ARRAY_SIZE(skew_fields), obj);
}

static void announce_table(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_announce *a = &((struct xlb_cfg *)obj)->announce;
	__u32 t;

	a->table_given = true;
	if (!parse_number(w, v, "announce table", 1, 0x7fffffff, &t))
		return;
	/* 253-255 are the kernel's own; routes there would steer this host's traffic. */
	if (t >= 253 && t <= 255) {
		err(w, v, "invalid announce table '%u': %u is the kernel's %s table; name a table of its own that no 'ip rule' routes by, e.g. 200",
		    t, t, t == 253 ? "default" : t == 254 ? "main" : "local");
		return;
	}
	a->table = t;
}

/*
 * A name xlbd can create a device by, exactly: what the kernel's
 * dev_valid_name() takes (not "." or "..", no '/', ':' or white space, its
 * isspace() counting byte 0xa0), not "all" or "default" (which register
 * refuses), no '%' (a pattern: "xlb%d" would make xlb0), and not "lo",
 * which every host has. Length is parse_name's.
 * Devices that exist on this host are refused when xlbd starts.
 */
static bool parse_device_name(struct walker *w, yaml_node_t *n, const char *what,
			      char *out, size_t size)
{
	char old[IF_NAMESIZE];
	const unsigned char *s;
	size_t i;

	snprintf(old, sizeof(old), "%s", out);
	if (!parse_name(w, n, what, out, size))
		return false;
	s = (const unsigned char *)out;
	if (!strcmp(out, ".") || !strcmp(out, "..")) {
		err(w, n, "invalid %s '%s': '.' and '..' are never device names (the kernel refuses them)",
		    what, out);
		goto bad;
	}
	for (i = 0; s[i]; i++) {
		char c[48];

		if (s[i] == ' ')
			snprintf(c, sizeof(c), "a space");
		else if (s[i] == 0xa0)
			snprintf(c, sizeof(c), "byte 0xa0 (white space to the kernel)");
		else if (s[i] == '/' || s[i] == ':' || s[i] == '%')
			snprintf(c, sizeof(c), "'%c'", s[i]);
		else
			continue;
		err(w, n, "invalid %s '%s': %s at character %zu; a device name has no '/', ':', '%%' or white space",
		    what, out, c, i + 1);
		goto bad;
	}
	/* The kernel refuses these two too: /proc/sys/net/ipv4/conf/ has them. */
	if (!strcmp(out, "all") || !strcmp(out, "default")) {
		err(w, n, "invalid %s '%s': 'all' and 'default' are never device names (the kernel keeps them for its per-device settings); name a device of its own (the default is '%s')",
		    what, out, XLB_ANNOUNCE_DEVICE);
		goto bad;
	}
	if (!strcmp(out, "lo")) {
		err(w, n, "invalid %s 'lo': every host has the loopback device 'lo'; name a device of its own (the default is '%s')",
		    what, XLB_ANNOUNCE_DEVICE);
		goto bad;
	}
	return true;
bad:
	snprintf(out, size, "%s", old);	/* what was there: the default */
	return false;
}

static void announce_device(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_announce *a = &((struct xlb_cfg *)obj)->announce;

	parse_device_name(w, v, "announce device", a->device, sizeof(a->device));
}

static void announce_grace(struct walker *w, yaml_node_t *v, void *obj)
{
	parse_duration(w, v, "announce drain_grace", 0, 3600000,
		       &((struct xlb_cfg *)obj)->announce.drain_grace_ms);
}

static const struct field announce_fields[] = {
	{ "table", announce_table }, { "device", announce_device },
	{ "drain_grace", announce_grace },
};

static void top_announce(struct walker *w, yaml_node_t *v, void *obj)
{
	struct xlb_cfg_announce *a = &((struct xlb_cfg *)obj)->announce;

	a->on = true;
	a->pos = pos_of(v);
	walk_mapping(w, v, "announce", announce_fields, ARRAY_SIZE(announce_fields), obj);
}

static const struct field control_fields[] = {
	{ "admin_group", ctl_admin }, { "read_group", ctl_read },
};

static void top_control(struct walker *w, yaml_node_t *v, void *obj)
{
	walk_mapping(w, v, "control", control_fields, 2, obj);
}

static const struct field top_fields[] = {
	{ "interface", top_interface }, { "interfaces", top_interfaces },
	{ "nexthop_mac", top_nexthop },
	{ "tunnel_source", top_source }, { "mtu", top_mtu }, { "maps", top_maps },
	{ "udp_idle_timeout", top_udp_idle }, { "tcp_idle_timeout", top_tcp_idle },
	{ "control", top_control },
	{ "metrics", top_metrics }, { "journal", top_journal }, { "skew", top_skew },
	{ "diagnosis", top_diagnosis }, { "announce", top_announce },
	{ "vips", top_vips },
};

/* ---- limits, before libyaml builds a document --------------------------- */

struct anchor {
	char *name;
	size_t nodes;		/* of its subtree, its own aliases expanded */
};

struct limits {
	struct anchor anchors[XLB_CFG_MAX_ANCHORS];
	size_t nr_anchors, nodes;
	struct { size_t start; char *anchor; } open[XLB_CFG_MAX_DEPTH];
	int depth;
};

static int add_anchor(struct limits *l, const unsigned char *name, size_t nodes,
		      yaml_mark_t mark, struct xlb_diags *d)
{
	if (l->nr_anchors == XLB_CFG_MAX_ANCHORS) {
		xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){ mark.line + 1, mark.column + 1 },
			     "more than %d anchors (&name): the limit", XLB_CFG_MAX_ANCHORS);
		return -E2BIG;
	}
	l->anchors[l->nr_anchors].name = strdup((const char *)name);
	l->anchors[l->nr_anchors++].nodes = nodes;
	return 0;
}

/* The latest anchor of that name (YAML lets a name be defined again). */
static size_t alias_nodes(const struct limits *l, const unsigned char *name)
{
	size_t i;

	for (i = l->nr_anchors; i-- > 0;)
		if (l->anchors[i].name && !strcmp(l->anchors[i].name, (const char *)name))
			return l->anchors[i].nodes;
	return 0;
}

static int one_event(struct limits *l, yaml_event_t *ev, struct xlb_diags *d)
{
	struct xlb_pos pos = { ev->start_mark.line + 1, ev->start_mark.column + 1 };
	const unsigned char *anchor = NULL;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		l->nodes++;
		if (ev->data.scalar.anchor)
			return add_anchor(l, ev->data.scalar.anchor, 1, ev->start_mark, d);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		anchor = ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor :
								   ev->data.mapping_start.anchor;
		if (l->depth == XLB_CFG_MAX_DEPTH) {
			xlb_diag_add(d, XLB_SEV_ERROR, pos,
				     "lists and mappings nested deeper than %d levels: the limit",
				     XLB_CFG_MAX_DEPTH);
			return -E2BIG;
		}
		l->open[l->depth].start = l->nodes++;
		l->open[l->depth++].anchor = anchor ? strdup((const char *)anchor) : NULL;
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		char *name;
		int err = 0;

		if (!l->depth)
			break;
		name = l->open[--l->depth].anchor;
		if (name)
			err = add_anchor(l, (const unsigned char *)name,
					 l->nodes - l->open[l->depth].start, ev->start_mark, d);
		free(name);
		return err;
	}
	case YAML_ALIAS_EVENT:
		l->nodes += alias_nodes(l, ev->data.alias.anchor);
		break;
	default:
		break;
	}
	if (l->nodes > XLB_CFG_MAX_NODES) {
		xlb_diag_add(d, XLB_SEV_ERROR, pos,
			     "more than %d values, lists and mappings once aliases (*name) are expanded: the limit (a backend '{ address: A, weight: W }' counts 5: the mapping, two keys, two values; an alias counts all it stands for)",
			     XLB_CFG_MAX_NODES);
		return -E2BIG;
	}
	return 0;
}

/*
 * One pass over the file's events: nesting depth, anchors, and the nodes a
 * walk would visit once every alias is expanded. A file past a limit is
 * refused before a document is built from it, so an alias bomb or a
 * hundred thousand brackets cost milliseconds. Syntax errors are left to
 * the loader, which reports them with their position.
 */
static int check_limits(const char *buf, size_t len, struct xlb_diags *d)
{
	struct limits *l = calloc(1, sizeof(*l));
	yaml_parser_t parser;
	yaml_event_t ev;
	int err = 0;
	size_t i;

	if (!l)
		return -ENOMEM;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!err && yaml_parser_parse(&parser, &ev)) {
		bool end = ev.type == YAML_STREAM_END_EVENT;

		err = one_event(l, &ev, d);
		yaml_event_delete(&ev);
		if (end)
			break;
	}
	yaml_parser_delete(&parser);
	for (i = 0; i < l->nr_anchors; i++)
		free(l->anchors[i].name);
	while (l->depth)
		free(l->open[--l->depth].anchor);
	free(l);
	return err;
}

/* Not UTF-8: libyaml knows the byte, so say where it is. */
static void bad_encoding(const char *buf, size_t len, size_t offset, struct xlb_diags *d)
{
	struct xlb_pos pos = { 1, 1 };
	size_t i;

	for (i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			pos.col++;
		}
	}
	xlb_diag_add(d, XLB_SEV_ERROR, pos, "not UTF-8: byte 0x%02x here; the config must be UTF-8 text",
		     offset < len ? (unsigned char)buf[offset] : 0);
}

int xlb_cfg_load_buf(const char *name, const char *buf, size_t len,
		     struct xlb_cfg **out, struct xlb_diags *d)
{
	struct xlb_cfg *cfg = calloc(1, sizeof(*cfg));
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct walker w = { .doc = &doc, .d = d, .cfg = cfg };

	(void)name;
	*out = NULL;
	if (!cfg)
		return -ENOMEM;
	xlb_cfg_defaults(cfg);
	if (len > XLB_CFG_MAX_BYTES) {
		xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){},
			     "the config is %zu bytes, over the limit of %u MiB: nothing of it was read",
			     len, XLB_CFG_MAX_BYTES >> 20);
		xlb_cfg_free(cfg);
		return -EFBIG;
	}
	if (check_limits(buf, len, d)) {
		xlb_cfg_free(cfg);
		return -EINVAL;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_READER_ERROR)
			bad_encoding(buf, len, parser.problem_offset, d);
		else
			xlb_diag_add(d, XLB_SEV_ERROR,
				     (struct xlb_pos){ parser.problem_mark.line + 1,
						       parser.problem_mark.column + 1 },
				     "YAML syntax: %s%s%s",
				     parser.problem ? parser.problem : "unreadable",
				     parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		xlb_cfg_free(cfg);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){ 1, 1 }, "the file is empty");
	} else {
		walk_mapping(&w, root, "the top level", top_fields,
			     ARRAY_SIZE(top_fields), cfg);
		if (root->type == YAML_MAPPING_NODE)
			xlb_cfg_check(cfg, pos_of(root), d);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (d->errors) {
		xlb_cfg_free(cfg);
		return -EINVAL;
	}
	*out = cfg;
	return 0;
}
