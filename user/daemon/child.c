// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE /* pidfd_open, posix_spawn_file_actions_addclosefrom_np */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "child.h"

struct xlb_child {
	pid_t pid;			/* also its process group */
	sd_event_source *src;
	xlb_child_fn fn;		/* NULL once killed by its owner */
	void *ctx;
	bool exited, owner_gone;
	struct xlb_child *next;		/* every child not yet reaped */
};

static struct xlb_child *children;
static size_t nr_children;
static unsigned long long swept;

static void unlink_child(struct xlb_child *c)
{
	struct xlb_child **p;

	for (p = &children; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			nr_children--;
			return;
		}
	}
}

static void destroy(struct xlb_child *c)
{
	unlink_child(c);
	sd_event_source_disable_unref(c->src);
	free(c);
}

static int on_exit_cb(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct xlb_child *c = userdata;

	(void)s;
	if (si->si_code != CLD_EXITED && si->si_code != CLD_KILLED && si->si_code != CLD_DUMPED)
		return 0;	/* stopped or continued: not the end */
	/*
	 * The child is still a zombie here (sd-event reaps it after this
	 * returns), so its process group id cannot have been reused: whatever
	 * it left running in its group dies now.
	 */
	kill(-c->pid, SIGKILL);
	/* What escaped the group with setsid() is ours now (subreaper): it goes too. */
	xlb_children_sweep();
	c->exited = true;
	if (c->fn) {
		c->fn(c->ctx, si);	/* the owner frees it, now or later */
		return 0;
	}
	if (c->owner_gone)
		destroy(c);
	return 0;
}

int xlb_child_spawn(sd_event *e, const char *cmd, char *const envp[], int64_t priority,
		    xlb_child_fn fn, void *ctx, struct xlb_child **out)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	struct xlb_child *c;
	int err, pidfd;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* Whatever lacks close-on-exec (a library's socketpair) stays here. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	err = -posix_spawn(&c->pid, "/bin/sh", &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err) {
		free(c);
		return err;
	}
	c->next = children;
	children = c;
	nr_children++;
	pidfd = pidfd_open(c->pid, 0);
	err = pidfd < 0 ? -errno : sd_event_add_child_pidfd(e, &c->src, pidfd, WEXITED, on_exit_cb, c);
	if (err) {
		if (pidfd >= 0)
			close(pidfd);
		/* Not watched: it must not run unowned. The sweep reaps it. */
		kill(-c->pid, SIGKILL);
		unlink_child(c);
		free(c);
		return err;
	}
	sd_event_source_set_child_pidfd_own(c->src, 1);
	sd_event_source_set_priority(c->src, priority);
	c->fn = fn;
	c->ctx = ctx;
	*out = c;
	return 0;
}

void xlb_child_kill(struct xlb_child *c)
{
	if (!c)
		return;
	c->fn = NULL;
	c->owner_gone = true;
	if (c->exited) {
		destroy(c);
		return;
	}
	kill(-c->pid, SIGKILL);
}

void xlb_child_free(struct xlb_child *c)
{
	if (!c)
		return;
	if (!c->exited) {
		xlb_child_kill(c);
		return;
	}
	destroy(c);
}

pid_t xlb_child_pid(const struct xlb_child *c)
{
	return c->pid;
}

int xlb_children_init(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1) ? -errno : 0;
}

static bool known(pid_t pid)
{
	const struct xlb_child *c;

	for (c = children; c; c = c->next)
		if (c->pid == pid)
			return true;
	return false;
}

void xlb_children_sweep(void)
{
	char path[64], buf[4096];
	ssize_t n;
	char *p, *end;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (p = buf; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid <= 0 || known(pid))
			continue;
		/* An orphan of a command xlbd ran: it gets no more time. */
		kill(pid, SIGKILL);
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			swept++;
			pr_debug("Reaped orphan process %ld of a probe or hook\n", pid);
		}
	}
}

/* Every process xlbd is the parent of, SIGKILLed; how many there were. */
static int kill_all_children(void)
{
	char path[64], buf[4096], *p, *end;
	int fd, n = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
	for (p = buf; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		kill(pid, SIGKILL);
		n++;
	}
	return n;
}

void xlb_children_fini(void)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	int rounds;

	while (children) {
		struct xlb_child *c = children;

		if (!c->exited)
			kill(-c->pid, SIGKILL);
		destroy(c);
	}
	/*
	 * A command's own escapees (setsid) come to xlbd as its shell dies: wait
	 * for that, for a second at most, so that none outlives xlbd.
	 */
	for (rounds = 0; rounds < 100; rounds++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!kill_all_children())
			break;
		nanosleep(&pause, NULL);
	}
}

size_t xlb_children_running(void)
{
	return nr_children;
}

unsigned long long xlb_children_swept(void)
{
	return swept;
}
