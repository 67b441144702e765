// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl diff [FILE]: a dry run. For every VIP and backend, the share of
 * new flows now (the live tables) and after FILE would be applied, and the
 * fraction of new flows that would move; plus the runtime changes that
 * differ from the config (drift). Nothing is applied. Without FILE, the
 * config file xlbd runs is compared as it is on disk now.
 *
 * The work is done here, with the caller's rights: xlbd only answers two
 * cheap questions (its runtime changes and health, and one live table per
 * VIP), so a huge FILE costs xlbd nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ctl.h"
#include "diags_json.h"
#include "diff.h"
#include "ipc.h"
#include "overrides.h"
#include "xlb_protocol.h"

#define MAX_CONFIG	(64u << 20)

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && (size_t)n <= MAX_CONFIG &&
	    !fseek(f, 0, SEEK_SET)) {
		buf = calloc(1, n + 1);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = n;
	} else {
		errno = EFBIG;
	}
	fclose(f);
	return buf;
}

/* The VIP's entry in xlbd's plan answer, or NULL. */
static json_t *live_vip(json_t *plan, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(plan, "vips"), i, v)
		if (!strcmp(json_string_value(json_object_get(v, "name")) ?: "", name))
			return v;
	return NULL;
}

static union xlb_addr *live_addrs(json_t *v, size_t *n)
{
	json_t *bes = json_object_get(v, "backends"), *b;
	union xlb_addr *a = calloc(json_array_size(bes) + 1, sizeof(*a));
	size_t i;

	*n = 0;
	json_array_foreach(bes, i, b)
		if (a && !xlb_addr_parse(json_string_value(json_object_get(b, "address")) ?: "", &a[*n]))
			(*n)++;
	return a;
}

/* The table the VIP would get, with each backend's health as xlbd knows it. */
static int after_table(const struct xlb_cfg_vip *vip, json_t *live, struct xlb_addr_table *t)
{
	struct xlb_backend_health *h = calloc(vip->nr_backends + 1, sizeof(*h));
	struct xlb_vip_plan plan;
	json_t *b;
	size_t i, j;
	int err;

	if (!h)
		return -ENOMEM;
	for (i = 0; i < vip->nr_backends; i++) {
		h[i].last_healthy = true;
		json_array_foreach(json_object_get(live, "backends"), j, b) {
			union xlb_addr a;

			if (!xlb_addr_parse(json_string_value(json_object_get(b, "address")) ?: "", &a) &&
			    !xlb_addr_cmp(&a, &vip->backends[i].addr)) {
				h[i].down = json_is_true(json_object_get(b, "down"));
				h[i].last_healthy = json_is_true(json_object_get(b, "last_healthy"));
			}
		}
	}
	err = xlb_plan_vip(vip, h, &plan);
	free(h);
	if (!err) {
		err = xlb_addr_table_build(vip, &plan, t);
		xlb_vip_plan_free(&plan);
	}
	return err;
}

static int live_table(const char *name, struct xlb_addr_table *t)
{
	json_t *r;
	int rc, err;

	r = ctl_call(XLB_CMD(TABLE), json_pack("{s:s}", "vip", name), &rc);
	if (!r)
		return -EIO;
	err = xlb_addr_table_from_json(r, t);
	json_decref(r);
	if (err)
		fprintf(stderr, "Couldn't read the live table of VIP '%s': xlbd's answer is malformed\n",
			name);
	return err;
}

/* Every VIP of after and of the live config: rows, moves, status. */
static int diff_vips(struct xlb_cfg *after, json_t *plan, json_t *out)
{
	struct xlb_addr_table now, then;
	json_t *v;
	size_t i, nr;
	int err = 0;

	for (i = 0; !err && i < after->nr_vips; i++) {
		const struct xlb_cfg_vip *vip = &after->vips[i];
		json_t *live = live_vip(plan, vip->name);
		union xlb_addr *addrs = NULL, *after_addrs;
		size_t b;

		err = after_table(vip, live, &then);
		if (err)
			break;
		if (live) {
			addrs = live_addrs(live, &nr);
			err = live_table(vip->name, &now);
		}
		after_addrs = calloc(vip->nr_backends + 1, sizeof(*after_addrs));
		for (b = 0; after_addrs && b < vip->nr_backends; b++)
			after_addrs[b] = vip->backends[b].addr;
		if (!err && after_addrs)
			json_array_append_new(out, xlb_vip_diff(vip->name, addrs, nr, live ? &now : NULL,
								 after_addrs, vip->nr_backends, &then));
		free(addrs);
		free(after_addrs);
		xlb_addr_table_free(&then);
		if (live)
			xlb_addr_table_free(&now);
	}
	json_array_foreach(json_object_get(plan, "vips"), i, v) {
		const char *name = json_string_value(json_object_get(v, "name")) ?: "";
		union xlb_addr *addrs;

		if (err || xlb_cfg_find_vip(after, name))
			continue;
		addrs = live_addrs(v, &nr);
		err = live_table(name, &now);
		if (!err)
			json_array_append_new(out, xlb_vip_diff(name, addrs, nr, &now, NULL, 0, NULL));
		free(addrs);
		xlb_addr_table_free(&now);
	}
	return err;
}

static void print_diff(json_t *r)
{
	json_t *v, *b, *s;
	size_t i, j;

	json_array_foreach(json_object_get(r, "warnings"), i, s)
		printf("%s\n", json_string_value(s));
	if (json_array_size(json_object_get(r, "drift"))) {
		printf("runtime changes over the config (drift):\n");
		json_array_foreach(json_object_get(r, "drift"), i, s)
			printf("  %s\n", json_string_value(s));
	}
	json_array_foreach(json_object_get(r, "vips"), i, v) {
		printf("vip %s: %s, %.2f%% of new-flow slots move (table %lld -> %lld)\n",
		       json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "status")),
		       100 * json_real_value(json_object_get(v, "moved")),
		       (long long)json_integer_value(json_object_get(v, "table_now")),
		       (long long)json_integer_value(json_object_get(v, "table_after")));
		printf("  %-24s %9s %9s\n", "backend", "now", "after");
		json_array_foreach(json_object_get(v, "backends"), j, b)
			printf("  %-24s %8.2f%% %8.2f%%\n",
			       json_string_value(json_object_get(b, "address")),
			       100 * json_real_value(json_object_get(b, "share_now")),
			       100 * json_real_value(json_object_get(b, "share_after")));
	}
}

int diff_main(int argc, char **argv)
{
	struct xlb_cfg *base = NULL, *after = NULL;
	struct xlb_overrides ov = {};
	json_t *status = NULL, *plan = NULL, *r = NULL, *drift;
	const char *path;
	struct xlb_diags d;
	char *text = NULL, line[256];
	size_t len = 0, bad, i;
	int rc;

	if (ctl_usage(argc, argv, 1, 2, "diff [FILE]", &rc))
		return rc;
	if (argc == 2) {
		path = argv[1];
	} else {
		status = ctl_call(XLB_CMD(STATUS), NULL, &rc);
		if (!status)
			return rc;
		path = json_string_value(json_object_get(status, "config"));
	}
	xlb_diags_init(&d, path);
	text = read_file(path, &len);
	rc = CTL_ERROR;
	if (!text) {
		fprintf(stderr, "Couldn't read config '%s': %s\n", path,
			errno == EFBIG ? "larger than 64 MiB" : strerror(errno));
		goto out;
	}
	if (xlb_cfg_load_buf(path, text, len, &base, &d)) {
		xlb_diags_print(&d, stderr);
		goto out;
	}
	plan = ctl_call(XLB_CMD(PLAN), NULL, &rc);
	if (!plan)
		goto out;
	rc = CTL_ERROR;
	if (xlb_overrides_from_json(json_object_get(plan, "overrides"), &ov, &bad)) {
		fprintf(stderr, "Couldn't read xlbd's runtime changes (entry %zu)\n", bad);
		goto out;
	}
	after = xlb_overrides_apply(base, &ov, &d);
	if (!after)
		goto out;
	drift = json_array();
	for (i = 0; i < ov.nr; i++) {
		xlb_override_describe(&ov.items[i], base, line, sizeof(line));
		json_array_append_new(drift, json_string(line));
	}
	r = json_pack("{s:o, s:o, s:o}", "drift", drift, "vips", json_array(),
		      "warnings", xlb_diags_json(&d));
	if (diff_vips(after, plan, json_object_get(r, "vips")))
		goto out;
	if (json_output)
		ctl_print_json(r);
	else
		print_diff(r);
	rc = CTL_OK;
out:
	json_decref(r);
	json_decref(plan);
	json_decref(status);
	xlb_overrides_free(&ov);
	xlb_cfg_free(after);
	xlb_cfg_free(base);
	xlb_diags_free(&d);
	free(text);
	return rc;
}
