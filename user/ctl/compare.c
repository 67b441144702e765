// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl compare SOCKET|URL SOCKET|URL...: do the nodes of an ECMP group
 * build the same table for every VIP? Each node is asked for its
 * fingerprints, over its control socket or its metrics port's
 * /fingerprints; every node is compared with the first, VIP by VIP, and
 * each difference is named: a VIP missing, its table size or hash
 * settings, a backend missing or at another weight in force. Exits 0 when
 * all agree, 1 when any differs or cannot be asked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "curl_dl.h"
#include "ipc.h"
#include "xlb_protocol.h"

#define MAX_ANSWER	CTL_MAX_ANSWER	/* the same bound as over the socket */

#define S(obj, key)	(json_string_value(json_object_get(obj, key)) ?: "")
#define I(obj, key)	((long long)json_integer_value(json_object_get(obj, key)))

struct buf {
	char *p;
	size_t len;
	bool too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *userdata)
{
	struct buf *b = userdata;
	size_t add = size * n;
	char *more;

	if (b->len + add > MAX_ANSWER) {
		b->too_big = true;
		return 0;
	}
	more = realloc(b->p, b->len + add + 1);
	if (!more)
		return 0;
	b->p = more;
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = 0;
	return add;
}

static json_t *fetch_url(const char *url)
{
	const struct curl_dl *cu = curl_dl();
	struct buf b = {};
	json_error_t jerr;
	json_t *j = NULL;
	long code = 0;
	CURLcode res;
	CURL *c;

	if (!cu || !(c = cu->easy_init()))
		return NULL;
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, &b);
	cu->easy_setopt(c, CURLOPT_TIMEOUT, (long)ctl_timeout_s);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	res = cu->easy_perform(c);
	cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (res != CURLE_OK)
		fprintf(stderr, "Couldn't get '%s': %s\n%s", url,
			b.too_big ? "the answer is larger than the most xlbctl reads" : cu->easy_strerror(res),
			"hint: give xlbd's metrics address and port, e.g. http://198.18.0.2:9742/fingerprints\n");
	else if (code != 200)
		fprintf(stderr, "Couldn't get '%s': HTTP status %ld\n"
			"hint: the path is /fingerprints on xlbd's metrics port\n", url, code);
	else if (!(j = json_loadb(b.p ?: "", b.len, 0, &jerr)) ||
		 !json_is_array(json_object_get(j, "vips"))) {
		fprintf(stderr, "Couldn't read '%s': %s\n", url,
			j ? "no \"vips\" list in it" : jerr.text);
		json_decref(j);
		j = NULL;
	}
	free(b.p);
	cu->easy_cleanup(c);
	return j;
}

static json_t *fetch(const char *where)
{
	int rc;

	if (!strncmp(where, "http://", 7) || !strncmp(where, "https://", 8))
		return fetch_url(where);
	return ctl_call_at(where, XLB_CMD(FINGERPRINTS), NULL, &rc);
}

/*
 * The entries of list by their key, in a hash table: a lookup is O(1), so
 * comparing nodes of 40,000 VIPs is linear, not quadratic.
 */
static json_t *index_by(json_t *list, const char *key)
{
	json_t *idx = json_object(), *e;
	size_t i;

	json_array_foreach(list, i, e)
		json_object_set(idx, S(e, key), e);
	return idx;
}

static void differ(json_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void differ(json_t *out, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(out, json_string(line));
}

/* What makes VIP b of node nb differ from VIP a of node 1, in words, into out. */
static void compare_vip(json_t *a, json_t *b, int nb, json_t *out)
{
	json_t *fa = json_object_get(a, "fingerprint"), *fb = json_object_get(b, "fingerprint");
	json_t *be;
	size_t i;

	if (strcmp(S(a, "address"), S(b, "address")) || I(a, "port") != I(b, "port") ||
	    strcmp(S(a, "protocol"), S(b, "protocol")))
		differ(out, "address: %s:%lld/%s on node 1, %s:%lld/%s on node %d", S(a, "address"),
		       I(a, "port"), S(a, "protocol"), S(b, "address"), I(b, "port"),
		       S(b, "protocol"), nb);
	if (I(a, "table_size") != I(b, "table_size"))
		differ(out, "table_size: %lld on node 1, %lld on node %d", I(a, "table_size"),
		       I(b, "table_size"), nb);
	if (json_is_true(json_object_get(a, "hash_source_port")) !=
	    json_is_true(json_object_get(b, "hash_source_port")))
		differ(out, "hash: source port %s on node 1, %s on node %d",
		       json_is_true(json_object_get(a, "hash_source_port")) ? "hashed" : "not hashed",
		       json_is_true(json_object_get(b, "hash_source_port")) ? "hashed" : "not hashed", nb);
	json_t *ia = index_by(json_object_get(a, "backends"), "address");
	json_t *ib = index_by(json_object_get(b, "backends"), "address");

	json_array_foreach(json_object_get(a, "backends"), i, be) {
		json_t *other = json_object_get(ib, S(be, "address"));

		if (!other)
			differ(out, "backend %s: on node 1 only (weight %lld), not on node %d",
			       S(be, "address"), I(be, "weight"), nb);
		else if (I(be, "weight") != I(other, "weight"))
			differ(out, "backend %s: weight %lld on node 1, %lld on node %d (0: takes no new flows)",
			       S(be, "address"), I(be, "weight"), I(other, "weight"), nb);
	}
	json_array_foreach(json_object_get(b, "backends"), i, be)
		if (!json_object_get(ia, S(be, "address")))
			differ(out, "backend %s: on node %d only (weight %lld)", S(be, "address"), nb,
			       I(be, "weight"));
	json_decref(ia);
	json_decref(ib);
	if (json_array_size(out))
		return;
	if (!json_is_object(fa) || !json_is_object(fb)) {
		differ(out, "table not read back yet on node %d: ask again in a few seconds",
		       json_is_object(fa) ? nb : 1);
	} else if (strcmp(S(fa, "digest"), S(fb, "digest"))) {
		if (!strcmp(S(fa, "config"), S(fb, "config")))
			differ(out, "the same backends and weights build different tables (%s on node 1, %s on node %d): a data-path fault or another xlb version; 'xlbctl table' on each shows the slots",
			       S(fa, "table"), S(fb, "table"), nb);
		else
			differ(out, "fingerprints %s and %s differ though the backends, weights and settings listed agree: another xlb version?",
			       S(fa, "digest"), S(fb, "digest"));
	}
}

int compare_main(int argc, char **argv)
{
	json_t **nodes, **idx, *report = json_array(), *seen = json_object(), *vip;
	const char *usage = "compare SOCKET|URL SOCKET|URL...";
	int rc, n, k, differs = 0, failed = 0;
	size_t i;

	if (ctl_usage(argc, argv, 3, 1 << 20, usage, &rc))
		return rc;
	n = argc - 1;
	nodes = calloc(n, sizeof(*nodes));
	idx = calloc(n, sizeof(*idx));
	if (!nodes || !idx || !report || !seen) {
		free(nodes);
		free(idx);
		json_decref(report);
		json_decref(seen);
		return CTL_ERROR;
	}
	for (k = 0; k < n; k++) {
		nodes[k] = fetch(argv[k + 1]);
		failed += !nodes[k];
	}
	if (failed)
		goto out;
	for (k = 0; k < n; k++)
		idx[k] = index_by(json_object_get(nodes[k], "vips"), "name");
	/* Every VIP of any node, compared with node 1's. */
	for (k = 0; k < n; k++) {
		json_array_foreach(json_object_get(nodes[k], "vips"), i, vip) {
			const char *name = S(vip, "name");
			json_t *ref = json_object_get(idx[0], name);
			json_t *out, *row;
			int j;

			if (k && ref)
				continue;	/* compared from node 1 */
			if (json_object_get(seen, name))
				continue;
			out = json_array();
			for (j = 0; j < n; j++) {
				json_t *other = json_object_get(idx[j], name);

				if (!other)
					differ(out, "VIP '%s' is not on node %d", name, j + 1);
				else if (ref && j)
					compare_vip(ref, other, j + 1, out);
			}
			row = json_pack("{s:s, s:b, s:o}", "name", name, "same", !json_array_size(out),
					"differences", out);
			json_object_set(row, "fingerprint", json_object_get(vip, "fingerprint"));
			json_object_set(seen, name, row);
			json_array_append_new(report, row);
			differs += !json_is_true(json_object_get(row, "same"));
		}
	}
	if (json_output) {
		json_t *names = json_array();

		for (k = 0; k < n; k++)
			json_array_append_new(names, json_pack("{s:s, s:s}", "node", argv[k + 1],
							       "fingerprint", S(nodes[k], "node")));
		json_t *j = json_pack("{s:b, s:o, s:O}", "same", !differs, "nodes", names,
				      "vips", report);

		ctl_print_json(j);
		json_decref(j);
	} else {
		for (k = 0; k < n; k++)
			printf("node %d: %s, fingerprint %s\n", k + 1, argv[k + 1],
			       *S(nodes[k], "node") ? S(nodes[k], "node") : "(tables not all read yet)");
		json_array_foreach(report, i, vip) {
			json_t *d;
			size_t j;

			if (json_is_true(json_object_get(vip, "same"))) {
				printf("VIP %s: same on all %d nodes (%s)\n", S(vip, "name"), n,
				       S(json_object_get(vip, "fingerprint"), "digest"));
				continue;
			}
			printf("VIP %s: DIFFERS\n", S(vip, "name"));
			json_array_foreach(json_object_get(vip, "differences"), j, d)
				printf("  %s\n", json_string_value(d));
		}
		if (differs)
			printf("%d VIP%s differ: a flow that ECMP moves between these nodes may change backend\n",
			       differs, differs == 1 ? "" : "s");
	}
out:
	for (k = 0; k < n; k++) {
		json_decref(nodes[k]);
		json_decref(idx[k]);
	}
	free(nodes);
	free(idx);
	json_decref(report);
	json_decref(seen);
	curl_dl_done();
	return failed || differs ? CTL_ERROR : CTL_OK;
}
