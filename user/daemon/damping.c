// SPDX-License-Identifier: GPL-2.0
/*
 * Flap damping across a restart of xlbd. The backends held out as flapping
 * are kept in <state>.damping (user/flap_file.c says what it holds), written
 * whole whenever one is held out or let back, or its hold moves (a health
 * change while held, a new probe), and removed when none is held. At start
 * it is read back before the first plan, so a backend held out when xlbd
 * stopped (SIGTERM or kill -9 alike) never enters the table again before
 * its hold is over; the time xlbd was stopped counts towards the hold (the
 * file's times are on the wall clock). A damaged file is kept as .bad and
 * xlbd starts without holds: it never refuses a start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "damping.h"
#include "events.h"
#include "fdio.h"
#include "log.h"
#include "xlbd.h"

static __u64 wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static void damping_path(const char *state, char *buf, size_t len)
{
	snprintf(buf, len, "%s.damping", state);
}

int damping_discard(const char *state)
{
	char path[XLB_PATH_MAX + 16];

	damping_path(state, path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

static char *read_all(const char *path, size_t *len)
{
	int fd = xlb_open_regular(path, O_RDONLY, 0);
	FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	do {
		if (n == cap) {
			char *more = realloc(buf, cap = cap ? 2 * cap : 4096);

			if (!more) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = more;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

void damping_load(struct xlbd *x)
{
	char path[XLB_PATH_MAX + 16], bad[XLB_PATH_MAX + 24], err[256];
	size_t len = 0;
	char *text;

	damping_path(x->state_path, path, sizeof(path));
	text = read_all(path, &len);
	if (!text && errno == ENOENT)
		return;		/* nothing was held out */
	if (!text)
		snprintf(err, sizeof(err), "%s", strerror(errno));
	if (!text || xlb_flap_file_parse(text, len, &x->damp_saved, &x->damp_nr, err, sizeof(err))) {
		snprintf(bad, sizeof(bad), "%s.bad", path);
		pr_warn("Couldn't read damping file '%s' (%s); it is kept as '%s', and xlbd starts without holding any backend out as flapping: those held before are judged by their probes alone\n",
			path, err, bad);
		rename(path, bad);
		free(text);
		return;
	}
	free(text);
	x->damp_file = true;
}

/* Why it is held out again, in words: for the log and the journal. */
static void restored_words(const struct probe_target *t, bool same_probe, __u64 now,
			   char *buf, size_t len)
{
	struct xlb_flap_cfg flap = probe_flap_cfg(t);
	long long left = xlb_health_hold_left_ms(&t->health, &flap, now);
	char why[256];
	int n;

	xlb_health_flap_words(&t->health, &flap, now, why, sizeof(why));
	if (left < 0)
		n = snprintf(buf, len, "held out as flapping (restored after a restart; down when xlbd stopped, %u s of hold once up)",
			     flap.hold_ms / 1000);
	else
		n = snprintf(buf, len, "held out as flapping (restored after a restart, %lld s left)",
			     (left + 999) / 1000);
	if (n >= 0 && (size_t)n < len && !same_probe)
		n += snprintf(buf + n, len - n, "; its probe changed while xlbd was stopped: a full hold");
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, ": %s", why);
}

/* The longest flap_hold in force (the default if none): how long a hold
 * read back for a backend out of the config is kept at least. */
static __u32 longest_hold(const struct xlbd *x)
{
	__u32 hold = XLB_FLAP_DEFAULT_HOLD_MS;
	size_t i;

	for (i = 0; i < x->pr.nr; i++)
		if (x->pr.targets[i]->p.flap_hold_ms > hold)
			hold = x->pr.targets[i]->p.flap_hold_ms;
	return hold;
}

void damping_kept_note(struct xlbd *x)
{
	__u64 now = monotonic_ms();
	char addr[XLB_ADDR_STRLEN], why[512], words[256];
	size_t i, v;

	for (i = 0; i < x->pr.nr; i++) {
		struct probe_target *t = x->pr.targets[i];
		struct xlb_flap_cfg flap;
		long long left;

		if (!t->kept_restored)
			continue;
		t->kept_restored = false;
		flap = probe_flap_cfg(t);
		left = xlb_health_hold_left_ms(&t->health, &flap, now);
		xlb_health_flap_words(&t->health, &flap, now, words, sizeof(words));
		if (left < 0)
			snprintf(why, sizeof(why), "held out as flapping (kept while it was out of the config; down when it left, %u s of hold once up): %s",
				 flap.hold_ms / 1000, words);
		else
			snprintf(why, sizeof(why), "held out as flapping (kept while it was out of the config, %lld s left): %s",
				 (left + 999) / 1000, words);
		xlb_addr_str(&t->backend, addr, sizeof(addr));
		pr_warn("backend %s of VIP '%s' is flapping: %s\n", addr, t->vip, why);
		journal_event(x, "health", json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "vip", t->vip,
			      "backend", addr, "state", "flapping", "reason", why,
			      "probe", probe_type_name(t->p.type), "kept", 1));
		/* Planned before its target was made (a VIP renamed: the old
		 * one's target went in the same sync): planned again, held. */
		for (v = 0; x->effective && v < x->effective->nr_vips; v++)
			if (!strcmp(x->effective->vips[v].name, t->vip))
				dirty_mark(x, &x->effective->vips[v]);
	}
}

void damping_restore(struct xlbd *x)
{
	__u64 now = monotonic_ms(), wall = wall_ms();
	char addr[XLB_ADDR_STRLEN], why[512];
	size_t i, j;

	for (i = 0; i < x->damp_nr; i++) {
		const struct xlb_flap_saved *s = &x->damp_saved[i];
		struct probe_target *t = prober_find(&x->pr, s->vip, &s->backend);
		bool same;

		xlb_addr_str(&s->backend, addr, sizeof(addr));
		/* Its VIP renamed while xlbd was stopped: the same backend,
		 * probed the same way, under another name. */
		for (j = 0; !t && j < x->pr.nr; j++)
			if (!xlb_addr_cmp(&x->pr.targets[j]->backend, &s->backend) &&
			    !x->pr.targets[j]->health.flapping &&
			    xlb_probe_key(&x->pr.targets[j]->p) == s->probe_key)
				t = x->pr.targets[j];
		if (!t) {
			/* Out of the config now: kept, for when it comes back. */
			prober_keep_saved(&x->pr, s, longest_hold(x), now, wall);
			pr_info("backend %s of VIP '%s' was held out as flapping when xlbd stopped; it is no longer probed (gone from the config, or its probe is off): its hold is kept for when it comes back\n",
				addr, s->vip);
			continue;
		}
		if (!t->p.flap_changes) {
			pr_info("backend %s of VIP '%s' was held out as flapping when xlbd stopped; %s: it is not held\n",
				addr, s->vip, !t ? "it is no longer probed (gone from the config, or its probe is off)" :
				"flap damping is off for it now (flap_changes 0)");
			continue;
		}
		same = s->probe_key == xlb_probe_key(&t->p);
		xlb_health_restore(&t->health, s, same, now, wall);
		restored_words(t, same, now, why, sizeof(why));
		pr_warn("backend %s of VIP '%s' is flapping: %s\n", addr, t->vip, why);
		journal_event(x, "health", json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "vip", t->vip,
			      "backend", addr, "state", "flapping", "reason", why,
			      "probe", probe_type_name(t->p.type), "restored", 1));
	}
	free(x->damp_saved);
	x->damp_saved = NULL;
	x->damp_nr = 0;
}

/* What the file would say, as a number: written again only when it changes. */
static __u64 signature(const struct probe_target *t, __u64 h)
{
	const struct xlb_health *s = &t->health;
	__u64 v[] = { s->state, (__u64)s->hold_from_ms, s->flap_since_ms, s->last_change_ms,
		      s->change_nr, s->flap_count, xlb_probe_key(&t->p) };
	const unsigned char *b;
	size_t i;

	for (b = (const unsigned char *)t->vip; *b; b++)
		h = (h ^ *b) * 0x100000001b3ull;
	for (b = (const unsigned char *)&t->backend, i = 0; i < sizeof(t->backend); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	for (b = (const unsigned char *)v, i = 0; i < sizeof(v); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static __u64 kept_signature(const struct probe_kept *k, __u64 h)
{
	const unsigned char *b = (const unsigned char *)&k->s;
	size_t i;

	for (i = 0; i < sizeof(k->s); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

void damping_save(struct xlbd *x)
{
	char path[XLB_PATH_MAX + 16];
	struct xlb_flap_saved *s;
	__u64 sig = 0xcbf29ce484222325ull, now, wall;
	size_t i, n = 0;
	char *text;
	int err;

	prober_kept_prune(&x->pr, monotonic_ms());
	for (i = 0; i < x->pr.nr; i++)
		if (x->pr.targets[i]->health.flapping) {
			sig = signature(x->pr.targets[i], sig);
			n++;
		}
	/* Held backends out of the config for now: kept across a restart too. */
	for (i = 0; i < x->pr.kept_nr; i++)
		if (x->pr.kept[i].held) {
			sig = kept_signature(&x->pr.kept[i], sig);
			n++;
		}
	damping_path(x->state_path, path, sizeof(path));
	if (!n) {
		if (x->damp_file && unlink(path) && errno != ENOENT)
			pr_warn("Couldn't remove damping file '%s': %s\n", path, strerror(errno));
		x->damp_file = false;
		return;
	}
	if (x->damp_file && sig == x->damp_sig)
		return;
	s = calloc(n, sizeof(*s));
	if (!s) {
		pr_warn("Couldn't write damping file '%s': out of memory; a restart now would let the backends held out as flapping back\n",
			path);
		return;
	}
	now = monotonic_ms();
	wall = wall_ms();
	for (i = n = 0; i < x->pr.nr; i++) {
		const struct probe_target *t = x->pr.targets[i];

		if (!t->health.flapping)
			continue;
		snprintf(s[n].vip, sizeof(s[n].vip), "%s", t->vip);
		s[n].backend = t->backend;
		s[n].probe_key = xlb_probe_key(&t->p);
		xlb_health_save(&t->health, now, wall, &s[n++]);
	}
	for (i = 0; i < x->pr.kept_nr; i++) {
		const struct probe_kept *k = &x->pr.kept[i];
		struct xlb_health h;

		if (!k->held)
			continue;
		/* Its times from the monotonic clock to the wall clock. */
		xlb_health_init(&h, now);
		xlb_health_restore(&h, &k->s, true, now, now);
		s[n] = k->s;
		xlb_health_save(&h, now, wall, &s[n++]);
	}
	text = xlb_flap_file_format(s, n);
	err = text ? xlb_write_file_atomic(path, text, 0640) : -ENOMEM;
	free(text);
	free(s);
	if (err) {
		pr_warn("Couldn't write damping file '%s': %s; a restart now would let the backends held out as flapping back\n",
			path, strerror(-err));
		return;
	}
	x->damp_file = true;
	x->damp_sig = sig;
}
