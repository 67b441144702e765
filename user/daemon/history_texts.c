// SPDX-License-Identifier: GPL-2.0
/*
 * The config texts the history needs (the one in force, and each reload's
 * text before), kept beside it, one file per text named by its hash:
 * <state>.history.<16 hex digits>. Each is written once and removed when
 * no entry needs it. The history itself then stays a few kB: with the
 * texts in it, 16 reloads of a config of 5,000 VIPs were 40 MB rewritten
 * and fsync'ed at every change.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fdio.h"
#include "history.h"

#define HASH_HEX	16

static char *text_path(const char *hist, __u64 hash)
{
	char *p = malloc(strlen(hist) + HASH_HEX + 2);

	if (p)
		sprintf(p, "%s.%016llx", hist, (unsigned long long)hash);
	return p;
}

/*
 * Texts this process found whole on disk or wrote: not read again at each
 * save. A text found there is read and its hash checked once (one changed
 * in place to the same size would otherwise never be written again).
 */
#define KNOWN_MAX	(2 * HISTORY_MAX + 2)
static __u64 known[KNOWN_MAX];
static size_t nr_known, next_known;

static bool is_known(__u64 hash)
{
	for (size_t i = 0; i < nr_known; i++)
		if (known[i] == hash)
			return true;
	return false;
}

static void remember(__u64 hash)
{
	known[next_known] = hash;
	next_known = (next_known + 1) % KNOWN_MAX;
	if (nr_known < KNOWN_MAX)
		nr_known++;
}

int history_text_keep(const char *hist, __u64 hash, const char *text, size_t len)
{
	char *path = text_path(hist, hash), *there;
	size_t there_len;
	struct stat st;
	int err = 0;

	if (!path)
		return -ENOMEM;
	if (!is_known(hash) || lstat(path, &st) || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size != len) {
		/* Whole and right (a text is named by its hash), or written anew. */
		there = history_text_read(hist, hash, &there_len);
		if (!there || there_len != len)
			err = xlb_write_file_atomic_len(path, text, len, 0640);
		free(there);
		if (!err)
			remember(hash);
	}
	free(path);
	return err;
}

char *history_text_read(const char *hist, __u64 hash, size_t *len)
{
	char *path = text_path(hist, hash), *text = NULL;
	struct stat st;
	int fd = -1;

	*len = 0;
	if (!path)
		return NULL;
	/* Only a regular file of sane size is read: a FIFO there would block the start. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size < (1 << 30))
		text = malloc(st.st_size + 1);
	if (text && read(fd, text, st.st_size) != st.st_size) {
		free(text);
		text = NULL;
	}
	if (text) {
		text[st.st_size] = '\0';
		*len = st.st_size;
		/* Named by its hash: a text whose bytes say otherwise is not that text. */
		if (text_hash(text, *len) != hash || strlen(text) != *len) {
			free(text);
			text = NULL;
			*len = 0;
		}
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return text;
}

static bool kept(__u64 h, const __u64 *keep, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (keep[i] == h)
			return true;
	return false;
}

void history_texts_prune(const char *hist, const __u64 *keep, size_t nr)
{
	char *dcopy = strdup(hist), *bcopy = strdup(hist), *dir, *base, *end, *path;
	struct dirent *e;
	size_t blen;
	DIR *d = NULL;
	__u64 h;

	if (!dcopy || !bcopy)
		goto out;
	dir = dirname(dcopy);
	base = basename(bcopy);
	blen = strlen(base);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		const char *name = e->d_name;

		if (strncmp(name, base, blen) || name[blen] != '.' ||
		    strlen(name + blen + 1) != HASH_HEX)
			continue;
		h = strtoull(name + blen + 1, &end, 16);
		if (*end || kept(h, keep, nr))
			continue;
		path = text_path(hist, h);
		if (path)
			unlink(path);
		free(path);
	}
out:
	if (d)
		closedir(d);
	free(dcopy);
	free(bcopy);
}
