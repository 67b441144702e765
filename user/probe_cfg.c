// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "addr.h"
#include "health.h"
#include "probe_cfg.h"

const char *probe_type_name(enum xlb_probe_type t)
{
	static const char *const names[] = {
		[XLB_PROBE_UNSET] = "default", [XLB_PROBE_NONE] = "none",
		[XLB_PROBE_TCP] = "tcp", [XLB_PROBE_HTTP] = "http",
		[XLB_PROBE_HTTPS] = "https", [XLB_PROBE_UDP] = "udp",
		[XLB_PROBE_EXEC] = "exec",
	};

	return t <= XLB_PROBE_EXEC ? names[t] : "?";
}

/* Fields given at a level override the ones below it. */
static void merge(struct xlb_cfg_probe *to, const struct xlb_cfg_probe *from)
{
	if (from->type)
		to->type = from->type;
	if (from->interval_ms)
		to->interval_ms = from->interval_ms;
	if (from->timeout_ms)
		to->timeout_ms = from->timeout_ms;
	if (from->latency_interval_ms)
		to->latency_interval_ms = from->latency_interval_ms;
	if (from->flap_changes_set) {
		to->flap_changes = from->flap_changes;
		to->flap_changes_set = true;
	}
	if (from->flap_window_ms)
		to->flap_window_ms = from->flap_window_ms;
	if (from->flap_hold_ms)
		to->flap_hold_ms = from->flap_hold_ms;
	if (from->rise)
		to->rise = from->rise;
	if (from->fall)
		to->fall = from->fall;
	if (from->port)
		to->port = from->port;
	if (from->has_address) {
		to->address = from->address;
		to->has_address = true;
	}
	if (from->expect_status)
		to->expect_status = from->expect_status;
	if (from->path[0])
		memcpy(to->path, from->path, sizeof(to->path));
	if (from->host[0])
		memcpy(to->host, from->host, sizeof(to->host));
	if (from->command[0])
		memcpy(to->command, from->command, sizeof(to->command));
	if (from->send[0])
		memcpy(to->send, from->send, sizeof(to->send));
	if (from->expect[0])
		memcpy(to->expect, from->expect, sizeof(to->expect));
}

void probe_resolve(const struct xlb_cfg_vip *vip, const struct xlb_cfg_backend *be,
		   struct xlb_cfg_probe *out)
{
	memset(out, 0, sizeof(*out));
	out->interval_ms = XLB_PROBE_DEFAULT_INTERVAL_MS;
	out->timeout_ms = XLB_PROBE_DEFAULT_TIMEOUT_MS;
	out->rise = XLB_PROBE_DEFAULT_RISE;
	out->fall = XLB_PROBE_DEFAULT_FALL;
	out->flap_changes = XLB_FLAP_DEFAULT_CHANGES;
	out->flap_window_ms = XLB_FLAP_DEFAULT_WINDOW_MS;
	out->flap_hold_ms = XLB_FLAP_DEFAULT_HOLD_MS;
	merge(out, &vip->probe);
	if (be->probe)
		merge(out, be->probe);
	if (!out->port)
		out->port = ntohs(vip->key.port);
	/* Unless told otherwise, a TCP service is probed with a TCP connect. */
	if (out->type == XLB_PROBE_UNSET)
		out->type = vip->key.proto == IPPROTO_TCP ? XLB_PROBE_TCP : XLB_PROBE_NONE;
	/* A port-0 VIP has no port to probe unless one is given. */
	if (!out->port && out->type != XLB_PROBE_EXEC)
		out->type = XLB_PROBE_NONE;
	if (!out->path[0])
		strcpy(out->path, "/");
}

/* FNV-1a over values, each closed by a byte no value holds. */
static __u64 hash_bytes(__u64 h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	h ^= 0xff;
	return h * 0x100000001b3ull;
}

static __u64 hash_str(__u64 h, const char *s)
{
	return hash_bytes(h, s, strlen(s));
}

static __u64 hash_u32(__u64 h, __u32 v)
{
	unsigned char b[4] = { v, v >> 8, v >> 16, v >> 24 };

	return hash_bytes(h, b, sizeof(b));
}

__u64 xlb_probe_key(const struct xlb_cfg_probe *p)
{
	char a[XLB_ADDR_STRLEN] = "-";
	__u64 h = 0xcbf29ce484222325ull;

	if (p->has_address)
		xlb_addr_str(&p->address, a, sizeof(a));
	h = hash_u32(h, p->type);
	h = hash_u32(h, p->interval_ms);
	h = hash_u32(h, p->timeout_ms);
	h = hash_u32(h, p->rise);
	h = hash_u32(h, p->fall);
	h = hash_u32(h, p->port);
	h = hash_u32(h, p->expect_status);
	h = hash_str(h, a);
	h = hash_str(h, p->path);
	h = hash_str(h, p->host);
	h = hash_str(h, p->command);
	h = hash_str(h, p->send);
	return hash_str(h, p->expect);
}

bool xlb_probe_judges_same(const struct xlb_cfg_probe *a, const struct xlb_cfg_probe *b)
{
	/* The fields xlb_probe_key hashes, compared exactly. */
	return a->type == b->type && a->interval_ms == b->interval_ms &&
	       a->timeout_ms == b->timeout_ms && a->rise == b->rise && a->fall == b->fall &&
	       a->port == b->port && a->has_address == b->has_address &&
	       (!a->has_address || !xlb_addr_cmp(&a->address, &b->address)) &&
	       a->expect_status == b->expect_status && !strcmp(a->path, b->path) &&
	       !strcmp(a->host, b->host) && !strcmp(a->command, b->command) &&
	       !strcmp(a->send, b->send) && !strcmp(a->expect, b->expect);
}

__u32 xlb_flap_fastest_probes(const struct xlb_cfg_probe *p)
{
	__u32 n = p->flap_changes;

	/* n gaps between n + 1 changes, down and up in turn: each pair of
	 * them rise + fall probes, an odd one the shorter of the two. */
	return n / 2 * (p->rise + p->fall) + n % 2 * (p->rise < p->fall ? p->rise : p->fall);
}

__u64 xlb_flap_fastest_ms(const struct xlb_cfg_probe *p)
{
	__u32 width = p->interval_ms * XLB_PROBE_JITTER_PERCENT / 100;
	__u64 span = (__u64)xlb_flap_fastest_probes(p) * (p->interval_ms - width / 2);

	return span > p->timeout_ms ? span - p->timeout_ms : 0;
}

static void duration(__u32 ms, char *buf, size_t len)
{
	if (!ms)
		snprintf(buf, len, "default");
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%um", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%us", ms / 1000);
	else
		snprintf(buf, len, "%ums", ms);
}

struct words {
	char *buf;
	size_t len, n;
};

static void say(struct words *w, const char *name, const char *from, const char *to)
{
	int k;

	if (!strcmp(from, to) || w->n >= w->len)
		return;
	k = snprintf(w->buf + w->n, w->len - w->n, "%s%s %s -> %s", w->n ? ", " : "", name,
		     from[0] ? from : "default", to[0] ? to : "default");
	w->n = k < 0 ? w->len : w->n + k;
}

static void say_ms(struct words *w, const char *name, __u32 a, __u32 b)
{
	char x[24], y[24];

	duration(a, x, sizeof(x));
	duration(b, y, sizeof(y));
	say(w, name, x, y);
}

static void say_u32(struct words *w, const char *name, __u32 a, bool a_set, __u32 b, bool b_set)
{
	char x[16] = "", y[16] = "";

	if (a_set)
		snprintf(x, sizeof(x), "%u", a);
	if (b_set)
		snprintf(y, sizeof(y), "%u", b);
	say(w, name, x, y);
}

void xlb_probe_changes_words(const struct xlb_cfg_probe *a, const struct xlb_cfg_probe *b,
			     char *buf, size_t len)
{
	struct words w = { buf, len, 0 };
	char x[XLB_ADDR_STRLEN] = "", y[XLB_ADDR_STRLEN] = "";

	buf[0] = '\0';
	say(&w, "type", a->type ? probe_type_name(a->type) : "", b->type ? probe_type_name(b->type) : "");
	say_ms(&w, "interval", a->interval_ms, b->interval_ms);
	say_ms(&w, "timeout", a->timeout_ms, b->timeout_ms);
	say_u32(&w, "rise", a->rise, a->rise, b->rise, b->rise);
	say_u32(&w, "fall", a->fall, a->fall, b->fall, b->fall);
	say_u32(&w, "port", a->port, a->port, b->port, b->port);
	if (a->has_address)
		xlb_addr_str(&a->address, x, sizeof(x));
	if (b->has_address)
		xlb_addr_str(&b->address, y, sizeof(y));
	say(&w, "address", x, y);
	say(&w, "path", a->path, b->path);
	say(&w, "host", a->host, b->host);
	say(&w, "command", a->command, b->command);
	say(&w, "send", a->send, b->send);
	say(&w, "expect", a->expect, b->expect);
	say_u32(&w, "expect_status", a->expect_status, a->expect_status, b->expect_status,
		b->expect_status);
	say_ms(&w, "latency_interval", a->latency_interval_ms, b->latency_interval_ms);
	say_u32(&w, "flap_changes", a->flap_changes, a->flap_changes_set, b->flap_changes,
		b->flap_changes_set);
	say_ms(&w, "flap_window", a->flap_window_ms, b->flap_window_ms);
	say_ms(&w, "flap_hold", a->flap_hold_ms, b->flap_hold_ms);
}
