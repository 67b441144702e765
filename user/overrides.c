// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "addr.h"
#include "fdio.h"
#include "log.h"
#include "overrides.h"

void xlb_overrides_free(struct xlb_overrides *ov)
{
	free(ov->items);
	memset(ov, 0, sizeof(*ov));
}

struct xlb_override *xlb_overrides_near(struct xlb_overrides *ov, size_t hint, const char *vip,
					const union xlb_addr *backend)
{
	struct xlb_override *o = hint < ov->nr ? &ov->items[hint] : NULL;

	if (o && !strcmp(o->vip, vip) && !xlb_addr_cmp(&o->backend, backend))
		return o;
	return xlb_overrides_get(ov, vip, backend, false);
}

struct xlb_override *xlb_overrides_get(struct xlb_overrides *ov, const char *vip,
				       const union xlb_addr *backend, bool create)
{
	struct xlb_override *o;
	size_t i;

	for (i = 0; i < ov->nr; i++)
		if (!strcmp(ov->items[i].vip, vip) && !xlb_addr_cmp(&ov->items[i].backend, backend))
			return &ov->items[i];
	if (!create || strlen(vip) >= XLB_NAME_MAX)
		return NULL;
	if (ov->nr == ov->cap) {
		size_t cap = ov->cap ? 2 * ov->cap : 8;
		struct xlb_override *items = realloc(ov->items, cap * sizeof(*items));

		if (!items)
			return NULL;
		ov->items = items;
		ov->cap = cap;
	}
	o = &ov->items[ov->nr++];
	memset(o, 0, sizeof(*o));
	strcpy(o->vip, vip);
	o->backend = *backend;
	return o;
}

size_t xlb_overrides_drop(struct xlb_overrides *ov, const char *vip,
			  const union xlb_addr *backend)
{
	size_t i, kept = 0, dropped;

	for (i = 0; i < ov->nr; i++) {
		bool match = !strcmp(ov->items[i].vip, vip) &&
			     (!backend || !xlb_addr_cmp(&ov->items[i].backend, backend));

		if (!match)
			ov->items[kept++] = ov->items[i];
	}
	dropped = ov->nr - kept;
	ov->nr = kept;
	return dropped;
}

static json_t *override_to_json(const struct xlb_override *o)
{
	char addr[XLB_ADDR_STRLEN], mac[XLB_MAC_STRLEN];
	json_t *j = json_pack("{s:s, s:s, s:i, s:I}", "vip", o->vip, "backend",
			      xlb_addr_str(&o->backend, addr, sizeof(addr)), "uid", (int)o->uid,
			      "when", (json_int_t)o->when);

	if (o->has_weight)
		json_object_set_new(j, "weight", json_integer(o->weight));
	if (o->has_admin)
		json_object_set_new(j, "state", json_string(xlb_admin_state_name(o->admin)));
	if (o->added)
		json_object_set_new(j, "added", json_true());
	if (o->removed)
		json_object_set_new(j, "removed", json_true());
	if (o->has_mac)
		json_object_set_new(j, "mac", json_string(xlb_mac_str(o->mac, mac, sizeof(mac))));
	return j;
}

bool xlb_override_equal(const struct xlb_override *a, const struct xlb_override *b)
{
	json_t *ja, *jb;
	bool same;

	if (!a || !b)
		return !a && !b;
	ja = override_to_json(a);
	jb = override_to_json(b);
	/* Who and when say nothing of what is in force. */
	json_object_del(ja, "uid");
	json_object_del(ja, "when");
	json_object_del(jb, "uid");
	json_object_del(jb, "when");
	same = json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return same;
}

bool xlb_overrides_equal(const struct xlb_overrides *a, const struct xlb_overrides *b)
{
	size_t i;

	if (a->nr != b->nr)
		return false;
	for (i = 0; i < a->nr; i++)
		if (!xlb_override_equal(&a->items[i], xlb_overrides_near((struct xlb_overrides *)b, i,
						a->items[i].vip, &a->items[i].backend)))
			return false;
	return true;
}

static int override_from_json(json_t *j, struct xlb_override *o)
{
	const char *vip = NULL, *backend = NULL, *state = NULL, *mac = NULL;
	json_int_t weight = -1, uid = 0, when = 0;
	int added = 0, removed = 0;

	if (json_unpack(j, "{s:s, s:s, s?I, s?s, s?b, s?b, s?s, s?I, s?I}", "vip", &vip,
			"backend", &backend, "weight", &weight, "state", &state,
			"added", &added, "removed", &removed, "mac", &mac, "uid", &uid,
			"when", &when))
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	if (strlen(vip) >= XLB_NAME_MAX || xlb_addr_parse(backend, &o->backend))
		return -EINVAL;
	strcpy(o->vip, vip);
	if (weight >= 0) {
		if (!xlb_weight_ok(weight))
			return -EINVAL;
		o->has_weight = true;
		o->weight = weight;
	}
	if (state) {
		if (xlb_admin_state_parse(state, &o->admin))
			return -EINVAL;
		o->has_admin = true;
	}
	if (mac) {
		if (xlb_mac_parse(mac, o->mac))
			return -EINVAL;
		o->has_mac = true;
	}
	o->added = added;
	o->removed = removed;
	o->uid = uid;
	o->when = when;
	return 0;
}

int xlb_overrides_from_json(json_t *list, struct xlb_overrides *ov, size_t *bad)
{
	json_t *item;
	size_t i;

	memset(ov, 0, sizeof(*ov));
	json_array_foreach(list, i, item) {
		struct xlb_override o, *slot;

		if (override_from_json(item, &o)) {
			*bad = i;
			xlb_overrides_free(ov);
			return -EINVAL;
		}
		slot = xlb_overrides_get(ov, o.vip, &o.backend, true);
		if (!slot) {
			xlb_overrides_free(ov);
			return -ENOMEM;
		}
		*slot = o;
	}
	return 0;
}

json_t *xlb_overrides_to_json(const struct xlb_overrides *ov)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < ov->nr; i++)
		json_array_append_new(list, override_to_json(&ov->items[i]));
	return list;
}

int xlb_overrides_load(const char *path, struct xlb_overrides *ov)
{
	json_error_t jerr;
	json_t *root;
	struct stat st;
	size_t bad = 0;
	int err, fd;

	memset(ov, 0, sizeof(*ov));
	if (stat(path, &st) && errno == ENOENT)
		return 0;
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		pr_err("Couldn't read state file '%s': it is a directory; --state takes a file's path\n",
		       path);
		return -EISDIR;
	}
	fd = xlb_open_regular(path, O_RDONLY, 0);
	if (fd < 0) {
		pr_err("Couldn't read state file '%s': %s\n", path,
		       errno == EINVAL ? "not a regular file" : strerror(errno));
		pr_err("hint: fix or move the file away; it holds the runtime changes made with xlbctl\n");
		return -EINVAL;
	}
	root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
	close(fd);
	if (!root) {
		pr_err("Couldn't read state file '%s': %s at line %d\n", path, jerr.text, jerr.line);
		pr_err("hint: fix or move the file away; it holds the runtime changes made with xlbctl\n");
		return -EINVAL;
	}
	/* The right shape, or refused: never runtime changes silently dropped. */
	if (!json_is_object(root) || !json_is_array(json_object_get(root, "overrides"))) {
		pr_err("Couldn't read state file '%s': expected an object with an \"overrides\" list, found %s\n",
		       path, !json_is_object(root) ? "something else at the top" :
		       !json_object_get(root, "overrides") ? "no \"overrides\"" :
		       "\"overrides\" that is not a list");
		json_decref(root);
		return -EINVAL;
	}
	err = xlb_overrides_from_json(json_object_get(root, "overrides"), ov, &bad);
	if (err == -EINVAL)
		pr_err("Couldn't read entry %zu of state file '%s': not a valid override\n",
		       bad, path);
	json_decref(root);
	return err;
}

/* Written to a temporary file, synced, then renamed over: never half a file. */
int xlb_overrides_save(const char *path, const struct xlb_overrides *ov)
{
	char *text;
	json_t *root;
	int err = 0;

	/* No changes left: the file goes. That needs no space, so a reset works on a full disk. */
	if (!ov->nr) {
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			pr_err("Couldn't remove state file '%s': %s\n", path, strerror(errno));
		}
		return err;
	}
	root = json_object();

	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "overrides", xlb_overrides_to_json(ov));

	/* One write, not one a token (json_dumpfd wrote 70 for a single change). */
	text = json_dumps(root, JSON_INDENT(2));
	err = text ? xlb_write_file_atomic(path, text, 0640) : -ENOMEM;
	free(text);
	if (err)
		pr_err("Couldn't write state file '%s': %s\n", path, strerror(-err));
	json_decref(root);
	return err;
}

static int add_backend(struct xlb_cfg_vip *vip, const struct xlb_override *o)
{
	struct xlb_cfg_backend *more, *be;

	more = realloc(vip->backends, (vip->nr_backends + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	vip->backends = more;
	be = &vip->backends[vip->nr_backends++];
	memset(be, 0, sizeof(*be));
	be->addr = o->backend;
	be->weight = 1;
	be->has_mac = o->has_mac;
	memcpy(be->mac, o->mac, sizeof(be->mac));
	return 0;
}

static void remove_backend(struct xlb_cfg_vip *vip, struct xlb_cfg_backend *be)
{
	size_t i = be - vip->backends;

	free(be->probe);
	memmove(be, be + 1, (vip->nr_backends - i - 1) * sizeof(*be));
	vip->nr_backends--;
}

struct xlb_cfg *xlb_overrides_apply(const struct xlb_cfg *base,
				    const struct xlb_overrides *ov,
				    struct xlb_diags *notes)
{
	struct xlb_cfg *cfg = xlb_cfg_dup(base);
	char addr[XLB_ADDR_STRLEN];
	size_t i;

	for (i = 0; cfg && i < ov->nr; i++) {
		const struct xlb_override *o = &ov->items[i];
		struct xlb_cfg_vip *vip = xlb_cfg_find_vip(cfg, o->vip);
		struct xlb_cfg_backend *be;

		xlb_addr_str(&o->backend, addr, sizeof(addr));
		if (!vip) {
			xlb_diag_add(notes, XLB_SEV_WARNING, (struct xlb_pos){},
				     "runtime change for backend %s of VIP '%s' kept but not applied: the config has no such VIP",
				     addr, o->vip);
			continue;
		}
		be = xlb_cfg_find_backend(vip, &o->backend);
		if (o->removed) {
			if (be)
				remove_backend(vip, be);
			continue;
		}
		if (!be && o->added) {
			if (add_backend(vip, o)) {
				xlb_cfg_free(cfg);
				return NULL;
			}
			be = &vip->backends[vip->nr_backends - 1];
		}
		if (!be) {
			xlb_diag_add(notes, XLB_SEV_WARNING, (struct xlb_pos){},
				     "runtime change for backend %s of VIP '%s' kept but not applied: the config has no such backend",
				     addr, o->vip);
			continue;
		}
		if (o->has_weight)
			be->weight = o->weight;
		if (o->has_admin)
			be->admin = o->admin;
	}
	return cfg;
}

void xlb_override_describe(const struct xlb_override *o, const struct xlb_cfg *base,
			   char *buf, size_t len)
{
	struct xlb_cfg_vip *vip = xlb_cfg_find_vip((struct xlb_cfg *)base, o->vip);
	struct xlb_cfg_backend *be = vip ? xlb_cfg_find_backend(vip, &o->backend) : NULL;
	char addr[XLB_ADDR_STRLEN];
	size_t n;

	n = snprintf(buf, len, "%s %s:", o->vip, xlb_addr_str(&o->backend, addr, sizeof(addr)));
	if (o->removed)
		n += snprintf(buf + n, n < len ? len - n : 0, " removed");
	if (o->added && !be)
		n += snprintf(buf + n, n < len ? len - n : 0, " added");
	if (o->has_weight)
		n += snprintf(buf + n, n < len ? len - n : 0, be ? " weight %u (config %u)" : " weight %u",
			      o->weight, be ? be->weight : 0);
	if (o->has_admin)
		n += snprintf(buf + n, n < len ? len - n : 0, be ? " state %s (config %s)" : " state %s",
			      xlb_admin_state_name(o->admin),
			      xlb_admin_state_name(be ? be->admin : XLB_ADMIN_UP));
}

int xlb_overrides_copy(const struct xlb_overrides *from, struct xlb_overrides *to)
{
	*to = *from;
	to->items = malloc((from->cap ? from->cap : 1) * sizeof(*to->items));
	if (!to->items)
		return -ENOMEM;
	if (from->nr)
		memcpy(to->items, from->items, from->nr * sizeof(*to->items));
	return 0;
}
