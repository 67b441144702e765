// SPDX-License-Identifier: GPL-2.0
/*
 * The config model: defaults, lookups, copies, loading a file (the YAML
 * side is config_yaml.c, the checks config_check.c, the messages diags.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config.h"
#include "addr.h"
#include "config_int.h"
#include "names.h"

const char *xlb_admin_state_name(enum xlb_admin_state s)
{
	switch (s) {
	case XLB_ADMIN_UP:
		return "up";
	case XLB_ADMIN_DRAIN:
		return "drain";
	case XLB_ADMIN_DISABLED:
		return "disabled";
	}
	return "?";
}

int xlb_admin_state_parse(const char *s, enum xlb_admin_state *out)
{
	static const enum xlb_admin_state all[] = {
		XLB_ADMIN_UP, XLB_ADMIN_DRAIN, XLB_ADMIN_DISABLED,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(all); i++) {
		if (!strcmp(s, xlb_admin_state_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Every part of xlbd finds a VIP by name, once per VIP in a pass over all
 * of them: a scan made that quadratic (5,000 VIPs: most of a weight
 * change's 0.5 s). The index is built on first use, for this struct alone
 * (names_owner: a copy by value neither uses nor frees it), and built
 * again if the VIP array or count changed since.
 */
#define NAMES_MIN_VIPS	16		/* below it a scan is as fast */

static struct xlb_cfg_vip *find_vip_scan(struct xlb_cfg *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nr_vips; i++)
		if (!strcmp(cfg->vips[i].name, name))
			return &cfg->vips[i];
	return NULL;
}

struct xlb_cfg_vip *xlb_cfg_find_vip(struct xlb_cfg *cfg, const char *name)
{
	long i;

	if (cfg->nr_vips < NAMES_MIN_VIPS || (cfg->names && cfg->names_owner != cfg))
		return find_vip_scan(cfg, name);
	if (!xlb_names_over(cfg->names, cfg->vips, cfg->nr_vips)) {
		xlb_names_free(cfg->names);
		cfg->names = xlb_names_new(cfg->vips, cfg->nr_vips, sizeof(*cfg->vips),
					   offsetof(struct xlb_cfg_vip, name));
		cfg->names_owner = cfg;
		if (!cfg->names)
			return find_vip_scan(cfg, name);
	}
	i = xlb_names_find(cfg->names, name);
	return i < 0 ? NULL : &cfg->vips[i];
}

bool xlb_cfg_probe_same(const struct xlb_cfg_probe *a, const struct xlb_cfg_probe *b)
{
	return a == b || (a && b && !memcmp(a, b, sizeof(*a)));
}

static bool backends_differ(const struct xlb_cfg_vip *a, const struct xlb_cfg_vip *b)
{
	size_t i;

	if (a->nr_backends != b->nr_backends)
		return true;
	for (i = 0; i < a->nr_backends; i++) {
		const struct xlb_cfg_backend *x = &a->backends[i], *y = &b->backends[i];

		if (xlb_addr_cmp(&x->addr, &y->addr) || x->weight != y->weight ||
		    x->admin != y->admin || x->has_mac != y->has_mac ||
		    memcmp(x->mac, y->mac, sizeof(x->mac)) ||
		    !xlb_cfg_probe_same(x->probe, y->probe))
			return true;
	}
	return false;
}

bool xlb_cfg_vip_differs(const struct xlb_cfg_vip *a, const struct xlb_cfg_vip *b)
{
	return !a || !b || memcmp(&a->key, &b->key, sizeof(a->key)) ||
	       a->all_down != b->all_down || a->encap != b->encap ||
	       a->hash_source_port != b->hash_source_port || a->echo_reply != b->echo_reply ||
	       a->table_size != b->table_size || a->slow_start_ms != b->slow_start_ms ||
	       memcmp(&a->probe, &b->probe, sizeof(a->probe)) || backends_differ(a, b);
}

bool xlb_cfg_same_shape(const struct xlb_cfg *a, const struct xlb_cfg *b)
{
	size_t v, i;

	if (a->nr_vips != b->nr_vips)
		return false;
	for (v = 0; v < a->nr_vips; v++) {
		const struct xlb_cfg_vip *x = &a->vips[v], *y = &b->vips[v];

		if (strcmp(x->name, y->name) || memcmp(&x->key, &y->key, sizeof(x->key)) ||
		    x->nr_backends != y->nr_backends || memcmp(&x->probe, &y->probe, sizeof(x->probe)))
			return false;
		for (i = 0; i < x->nr_backends; i++) {
			const struct xlb_cfg_backend *p = &x->backends[i], *q = &y->backends[i];

			if (xlb_addr_cmp(&p->addr, &q->addr) || p->has_mac != q->has_mac ||
			    memcmp(p->mac, q->mac, sizeof(p->mac)) ||
			    !xlb_cfg_probe_same(p->probe, q->probe))
				return false;
		}
	}
	return true;
}

struct xlb_cfg_backend *xlb_cfg_find_backend(struct xlb_cfg_vip *vip,
					     const union xlb_addr *addr)
{
	size_t i;

	for (i = 0; i < vip->nr_backends; i++)
		if (!xlb_addr_cmp(&vip->backends[i].addr, addr))
			return &vip->backends[i];
	return NULL;
}

struct xlb_cfg_backend *xlb_cfg_backend_near(struct xlb_cfg_vip *vip, size_t hint,
					     const union xlb_addr *addr)
{
	if (hint < vip->nr_backends && !xlb_addr_cmp(&vip->backends[hint].addr, addr))
		return &vip->backends[hint];
	return xlb_cfg_find_backend(vip, addr);
}

/* A copied VIP's backends get probes of their own; on failure none is shared. */
static int dup_probes(struct xlb_cfg_vip *vip)
{
	size_t b, fail = vip->nr_backends;

	for (b = 0; b < vip->nr_backends; b++) {
		const struct xlb_cfg_probe *p = vip->backends[b].probe;

		if (!p)
			continue;
		vip->backends[b].probe = fail == vip->nr_backends ? malloc(sizeof(*p)) : NULL;
		if (vip->backends[b].probe)
			*vip->backends[b].probe = *p;
		else if (fail == vip->nr_backends)
			fail = b;
	}
	return fail == vip->nr_backends ? 0 : -ENOMEM;
}

struct xlb_cfg *xlb_cfg_dup(const struct xlb_cfg *cfg)
{
	struct xlb_cfg *c = malloc(sizeof(*c));
	size_t i;

	if (!c)
		return NULL;
	*c = *cfg;
	c->names = NULL;
	c->names_owner = NULL;
	c->vips = calloc(cfg->nr_vips ? cfg->nr_vips : 1, sizeof(*c->vips));
	if (!c->vips) {
		free(c);
		return NULL;
	}
	for (i = 0; i < cfg->nr_vips; i++) {
		size_t n = cfg->vips[i].nr_backends;

		c->vips[i] = cfg->vips[i];
		c->vips[i].backends = calloc(n ? n : 1, sizeof(*c->vips[i].backends));
		if (!c->vips[i].backends) {
			c->nr_vips = i;
			xlb_cfg_free(c);
			return NULL;
		}
		if (n)
			memcpy(c->vips[i].backends, cfg->vips[i].backends,
			       n * sizeof(*c->vips[i].backends));
		if (dup_probes(&c->vips[i])) {
			c->nr_vips = i + 1;
			xlb_cfg_free(c);
			return NULL;
		}
	}
	return c;
}

/* ---- loading ---------------------------------------------------------- */

void xlb_cfg_defaults(struct xlb_cfg *cfg)
{
	for (size_t i = 0; i < XLB_MAX_IFACES; i++)
		strcpy(cfg->ifaces[i].xdp_mode, "native");
	cfg->dp.mtu = XLB_DEFAULT_MTU;
	cfg->max_vips = XLB_DEFAULT_MAX_VIPS;
	cfg->max_backends = XLB_DEFAULT_MAX_BACKENDS;
	cfg->lru_entries = XLB_DEFAULT_LRU_ENTRIES;
	cfg->moved_flows = XLB_DEFAULT_MOVED_FLOWS;
	cfg->udp_idle_ms = XLB_DEFAULT_UDP_IDLE_SEC * 1000;
	cfg->tcp_idle_ms = XLB_DEFAULT_TCP_IDLE_SEC * 1000;
	xlb_addr_parse(XLB_DEFAULT_METRICS_ADDR, &cfg->metrics_address);
	cfg->metrics_port = XLB_DEFAULT_METRICS_PORT;
	strcpy(cfg->journal_path, XLB_DEFAULT_JOURNAL);
	cfg->journal_max_mb = XLB_DEFAULT_JOURNAL_MAX_MB;
	strcpy(cfg->announce.device, XLB_ANNOUNCE_DEVICE);
	cfg->announce.drain_grace_ms = XLB_ANNOUNCE_GRACE_MS;
	cfg->sample_interval_ms = 10000;
	xlb_skew_cfg_default(&cfg->skew);
	xlb_diag_cfg_default(&cfg->diagnosis);
}

int xlb_cfg_read_file(const char *path, char **text, size_t *text_len, struct xlb_diags *d)
{
	/* Opened without waiting: a FIFO there would block the reader for good. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *buf = NULL, *more;
	size_t len = 0, cap = 0, n;
	struct stat st;
	int err;

	*text = NULL;
	*text_len = 0;
	if (!f && fd >= 0)
		close(fd);
	if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		err = f && !S_ISREG(st.st_mode) ? -EISDIR : -errno;
		xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){ 0, 0 }, "couldn't open config: %s",
			     err == -EISDIR ? "not a regular file" : strerror(-err));
		if (f)
			fclose(f);
		return err;
	}
	/* Read whole, or refused: never a prefix of the file. */
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			more = len <= XLB_CFG_MAX_BYTES ? realloc(buf, cap) : NULL;
			if (!more)
				break;
			buf = more;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	err = ferror(f) ? -EIO : 0;
	fclose(f);
	if (len > XLB_CFG_MAX_BYTES || (int64_t)len < st.st_size) {
		xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){},
			     "the config is %lld bytes, over the limit of %u MiB: nothing of it was read",
			     (long long)(len > (size_t)st.st_size ? len : (size_t)st.st_size),
			     XLB_CFG_MAX_BYTES >> 20);
		free(buf);
		return -EFBIG;
	}
	if (err) {
		xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){}, "couldn't read config: %s",
			     strerror(EIO));
		free(buf);
		return err;
	}
	/* NUL-terminated for those who keep it as text; len is the file's. */
	if (len == cap) {
		more = realloc(buf, cap + 1);
		if (!more) {
			free(buf);
			return -ENOMEM;
		}
		buf = more;
	}
	if (!buf)
		buf = calloc(1, 1);
	if (!buf)
		return -ENOMEM;
	buf[len] = '\0';
	*text = buf;
	*text_len = len;
	return 0;
}

int xlb_cfg_load_file(const char *path, struct xlb_cfg **out, struct xlb_diags *d)
{
	size_t len;
	char *buf;
	int err;

	*out = NULL;
	err = xlb_cfg_read_file(path, &buf, &len, d);
	if (err)
		return err;
	err = xlb_cfg_load_buf(path, buf, len, out, d);
	free(buf);
	return err;
}

int xlb_weight_parse(const char *s, __u32 *w)
{
	return xlb_parse_u32(s, XLB_MAX_WEIGHT, w);
}

void xlb_cfg_free(struct xlb_cfg *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nr_vips; i++) {
		for (size_t b = 0; b < cfg->vips[i].nr_backends; b++)
			free(cfg->vips[i].backends[b].probe);
		free(cfg->vips[i].backends);
	}
	free(cfg->vips);
	if (cfg->names_owner == cfg)
		xlb_names_free(cfg->names);
	free(cfg);
}
