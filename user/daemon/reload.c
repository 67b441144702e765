// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>

#include "apply.h"
#include "change_queue.h"
#include "control.h"
#include "diags_json.h"
#include "guard.h"
#include "log.h"
#include "reload.h"
#include "xlbd.h"

struct waiter {
	enum change_source src;
	long uid;
	__u32 guard_ms;
	struct ctl_later *later;
	struct waiter *next;
};

/*
 * What the thread makes. It touches nothing else: the path is xlbd's (set
 * once at start), the rest is the job's own; the loop reads it only after
 * the eventfd said the thread is done, and joins it first.
 */
struct job {
	const char *path;
	char *text;
	size_t len;
	struct xlb_cfg *cfg;
	struct xlb_diags d;
	int err;
	int done_fd;
};

struct reloader {
	pthread_t thread;
	bool running;
	struct job job;
	int done_fd;
	sd_event_source *done;
	struct waiter *serving, *waiting;	/* this read's requests; the next read's */
};

static void *job_run(void *arg)
{
	struct job *j = arg;
	__u64 one = 1;

	j->err = xlb_cfg_read_file(j->path, &j->text, &j->len, &j->d);
	if (!j->err)
		j->err = xlb_cfg_load_buf(j->path, j->text, j->len, &j->cfg, &j->d);
	if (write(j->done_fd, &one, sizeof(one)) != sizeof(one)) {
		/* An eventfd write fails only on overflow: never with one job. */
	}
	return NULL;
}

static void waiters_free(struct waiter *w)
{
	while (w) {
		struct waiter *next = w->next;

		free(w);
		w = next;
	}
}

/* Takes the waiting requests and reads the file for them, in a thread. */
static void start(struct xlbd *x)
{
	struct reloader *r = x->reload;
	int err;

	r->serving = r->waiting;
	r->waiting = NULL;
	r->job = (struct job){ .path = x->config_path, .done_fd = r->done_fd };
	xlb_diags_init(&r->job.d, x->config_path);
	err = pthread_create(&r->thread, NULL, job_run, &r->job);
	if (err) {
		/* No thread: read here, on the loop, as before. */
		pr_warn("Couldn't start a thread to read the config: %s; read on the loop\n",
			strerror(err));
		job_run(&r->job);
		return;
	}
	r->running = true;
}

static json_t *answer_of(struct xlbd *x, __u64 id, __u32 guard_ms, struct xlb_diags *d)
{
	json_t *res = json_pack("{s:s, s:i, s:o}", "config", x->config_path,
				"vips", (int)x->effective->nr_vips, "warnings", xlb_diags_json(d));

	if (res)
		reply_change(res, id, guard_ms);
	return res;
}

/* On the loop: the file was read; applied, recorded, answered. */
static void finish(struct xlbd *x)
{
	struct reloader *r = x->reload;
	struct waiter *first = r->serving, *w;
	struct change_before before;
	char what[XLB_PATH_MAX + 16];
	struct job *j = &r->job;
	char *msg = NULL;
	__u64 id = 0;
	int err = j->err;

	if (change_before_take(x, &before, CHANGE_BEFORE_TEXT |
			       (first->guard_ms ? CHANGE_BEFORE_SHARES : 0))) {
		xlb_diag_add(&j->d, XLB_SEV_ERROR, (struct xlb_pos){}, "out of memory; nothing changed");
		xlb_cfg_free(j->cfg);
		free(j->text);
		err = -ENOMEM;
	} else {
		err = xlbd_reload_parsed(x, first ? first->uid : 0, err, j->text, j->len, j->cfg,
					 &j->d);
		if (!err) {
			snprintf(what, sizeof(what), "reload of %s", x->config_path);
			id = history_record(x, &before, first->src, first->uid, what, NULL);
			guard_watch(x, id, &before, first->guard_ms);
			history_save(x);
			if (!id)
				pr_info("The reload ('%s') changed nothing in force\n",
					change_source_name(first->src));
		}
		change_before_free(&before);
	}
	j->cfg = NULL;
	j->text = NULL;
	if (err)
		msg = xlb_diags_text(&j->d);
	/* Those who asked during the same read get the same answer. */
	for (w = first; w; w = w->next) {
		if (!err && w->later)
			pr_info("uid %ld reloaded '%s'\n", w->uid, x->config_path);
		if (w->later)
			control_answer(w->later, err ? NULL : answer_of(x, id, first->guard_ms, &j->d),
				       msg && msg[0] ? msg : "reload refused");
		if (w->src == CHANGE_SIGHUP)
			sd_notify(0, "READY=1");
	}
	free(msg);
	xlb_diags_free(&j->d);
	/* A reload frees a whole config or two: give the pages back, or RSS creeps up. */
	malloc_trim(0);
	waiters_free(r->serving);
	r->serving = NULL;
	if (r->waiting)
		start(x);
}

static int on_done(sd_event_source *s, int fd, uint32_t events, void *userdata)
{
	struct xlbd *x = userdata;
	struct reloader *r = x->reload;
	__u64 n;

	(void)s, (void)events;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	if (r->running) {
		pthread_join(r->thread, NULL);
		r->running = false;
	}
	finish(x);
	return 0;
}

int reload_init(struct xlbd *x)
{
	struct reloader *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	x->reload = r;
	r->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->done_fd < 0)
		return -errno;
	err = sd_event_add_io(x->event, &r->done, r->done_fd, EPOLLIN, on_done, x);
	if (err < 0)
		return err;
	/* Its answer is a client's: with the clients' priority. */
	sd_event_source_set_priority(r->done, XLB_PRIO_CLIENT);
	return 0;
}

void reload_fini(struct xlbd *x)
{
	struct reloader *r = x->reload;
	struct waiter *w;

	if (!r)
		return;
	if (r->running) {
		pthread_join(r->thread, NULL);
		xlb_cfg_free(r->job.cfg);
		free(r->job.text);
		xlb_diags_free(&r->job.d);
	}
	for (w = r->serving; w; w = w->next)
		if (w->later)
			control_answer(w->later, NULL, "xlbd is stopping: the reload was not applied");
	for (w = r->waiting; w; w = w->next)
		if (w->later)
			control_answer(w->later, NULL, "xlbd is stopping: the reload was not applied");
	waiters_free(r->serving);
	waiters_free(r->waiting);
	sd_event_source_disable_unref(r->done);
	if (r->done_fd >= 0)
		close(r->done_fd);
	free(r);
	x->reload = NULL;
}

void reload_request(struct xlbd *x, enum change_source src, long uid, __u32 guard_ms,
		    struct ctl_later *later)
{
	struct reloader *r = x->reload;
	struct waiter *w = r ? calloc(1, sizeof(*w)) : NULL, **tail;

	if (!w) {
		if (later)
			control_answer(later, NULL, "xlbd is out of memory; nothing changed");
		return;
	}
	*w = (struct waiter){ .src = src, .uid = uid, .guard_ms = guard_ms, .later = later };
	for (tail = &r->waiting; *tail; tail = &(*tail)->next)
		;
	*tail = w;
	/* Busy: served by the read after this one, which sees the file as it is then. */
	if (!r->running && !r->serving)
		start(x);
}
