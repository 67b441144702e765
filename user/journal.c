// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE /* strptime, timegm */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "fdio.h"
#include "journal.h"
#include "log.h"

void xlb_time_format(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int xlb_time_parse(const char *s, time_t now, time_t *out)
{
	struct tm tm = {};
	const char *end;
	size_t len = strlen(s);
	__u32 v, unit = 0;
	char num[16];

	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end && !*end) {
		*out = timegm(&tm);
		return 0;
	}
	if (len >= 2 && len < sizeof(num)) {
		switch (s[len - 1]) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		}
		memcpy(num, s, len - 1);
		num[len - 1] = '\0';
		if (unit && !xlb_parse_u32(num, 3650 * 86400 / unit, &v)) {
			*out = now - (time_t)v * unit;
			return 0;
		}
	}
	if (!xlb_parse_u32(s, UINT32_MAX, &v)) {
		*out = v;
		return 0;
	}
	return -EINVAL;
}

/* Readable by the read group: xlbctl reads the journal itself. */
static void share(struct xlb_journal *j)
{
	if (j->gid != (gid_t)-1 && fchown(j->fd, -1, j->gid))
		pr_warn("Couldn't give event journal '%s' to the read group: %s\n", j->path,
			strerror(errno));
}

int xlb_journal_open(struct xlb_journal *j, const char *path, size_t max_bytes,
		     const char *read_group)
{
	char dir[sizeof(j->path)];
	struct group *gr = read_group && read_group[0] ? getgrnam(read_group) : NULL;

	memset(j, 0, sizeof(*j));
	j->gid = gr ? gr->gr_gid : (gid_t)-1;
	if (strlen(path) >= sizeof(j->path) - 2)
		return -ENAMETOOLONG;
	strcpy(j->path, path);
	j->max_bytes = max_bytes ? max_bytes : XLB_DEFAULT_JOURNAL_MAX;
	strcpy(dir, path);
	mkdir(dirname(dir), 0755);
	j->fd = xlb_open_regular(path, O_WRONLY | O_APPEND | O_CREAT, 0640);
	if (j->fd < 0) {
		int err = -errno;

		pr_err("Couldn't open event journal '%s': %s\n", path, strerror(errno));
		return err;
	}
	share(j);
	return 0;
}

void xlb_journal_close(struct xlb_journal *j)
{
	if (j->fd > 0)
		close(j->fd);
	j->fd = -1;
}

static void rotate_if_full(struct xlb_journal *j)
{
	char from[sizeof(j->path) + 4], to[sizeof(j->path) + 4];
	struct stat st;
	int i;

	if (j->fd < 0 || fstat(j->fd, &st) || (size_t)st.st_size < j->max_bytes)
		return;
	for (i = XLB_JOURNAL_KEEP; i > 1; i--) {
		snprintf(from, sizeof(from), "%s.%d", j->path, i - 1);
		snprintf(to, sizeof(to), "%s.%d", j->path, i);
		rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", j->path);
	close(j->fd);
	rename(j->path, to);
	j->fd = xlb_open_regular(j->path, O_WRONLY | O_APPEND | O_CREAT, 0640);
	j->broken_line = false;
	if (j->fd >= 0)
		share(j);
}

static void write_failed(struct xlb_journal *j, int err)
{
	/* The first failure, then every 100th: a full disk must not flood the log too. */
	if (j->write_errors++ % 100 == 0)
		pr_warn("Couldn't write to the event journal '%s': %s (%llu events lost so far)\n",
			j->path, strerror(err), j->write_errors);
	j->last_error = err;
}

int xlb_journal_add(struct xlb_journal *j, const char *type, json_t *fields)
{
	char ts[32], *line;
	json_t *ev = json_object();
	struct stat st;
	off_t before;
	size_t len;
	ssize_t n;
	int err;

	xlb_time_format(time(NULL), ts, sizeof(ts));
	json_object_set_new(ev, "time", json_string(ts));
	json_object_set_new(ev, "type", json_string(type));
	if (fields)
		json_object_update(ev, fields);
	json_decref(fields);
	line = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(ev);
	/* Too large for one line: its type and size are kept, not its history-eating bulk. */
	if (line && strlen(line) > XLB_JOURNAL_EVENT_MAX) {
		size_t bytes = strlen(line);

		free(line);
		ev = json_pack("{s:s, s:s, s:b, s:I}", "time", ts, "type", type, "truncated", 1,
			       "bytes", (json_int_t)bytes);
		line = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(ev);
		j->truncated++;
	}
	if (!line)
		return -ENOMEM;
	rotate_if_full(j);
	if (j->fd < 0) {
		free(line);
		write_failed(j, EBADF);
		return -EBADF;
	}
	len = strlen(line);
	line[len++] = '\n';	/* json_dumps leaves room: its NUL */
	before = fstat(j->fd, &st) ? -1 : st.st_size;
	/* After a cut line the next event starts on a line of its own. */
	if (j->broken_line && write(j->fd, "\n", 1) != 1) {
		err = errno ? errno : EIO;
		write_failed(j, err);
		free(line);
		return -err;
	}
	j->broken_line = false;
	/* One write per event: O_APPEND keeps lines whole. */
	n = write(j->fd, line, len);
	err = n < 0 ? errno : ENOSPC;
	free(line);
	if (n == (ssize_t)len)
		return 0;
	/* A cut event is taken back whole; failing that, the next starts a line. */
	if (n > 0 && (before < 0 || ftruncate(j->fd, before)))
		j->broken_line = true;
	write_failed(j, err);
	return -err;
}

static void read_file(const char *path, time_t since, time_t until, json_t *out)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	json_error_t jerr;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		json_t *ev = json_loads(line, 0, &jerr);
		const char *t = ev ? json_string_value(json_object_get(ev, "time")) : NULL;
		time_t when;

		if (!t || xlb_time_parse(t, 0, &when) ||
		    (since && when < since) || (until && when > until)) {
			json_decref(ev);
			continue;
		}
		json_array_append_new(out, ev);
	}
	free(line);
	fclose(f);
}

json_t *xlb_journal_read(const char *path, time_t since, time_t until)
{
	char old[512];
	json_t *out = json_array();
	int i;

	for (i = XLB_JOURNAL_KEEP; i >= 1; i--) {
		snprintf(old, sizeof(old), "%s.%d", path, i);
		read_file(old, since, until, out);
	}
	read_file(path, since, until, out);
	return out;
}
