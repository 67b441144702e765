// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the history file (<state>.history, history_file.c):
 * any bytes are refused (kept as .bad, an empty history) or read whole;
 * what is read is listed, picked for a rollback, written back and read
 * back to the same list, without a crash or a leak. Linked with xlbd's
 * history.c and history_file.c; what else of xlbd they call is stubbed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "xlbd.h"

#include "fuzz_base.h"


/* xlbd's, stubbed: the journal, the clock, applying a change. */
void journal_event(struct xlbd *x, const char *type, json_t *fields)
{
	(void)x, (void)type;
	json_decref(fields);
}

__u64 monotonic_ms(void)
{
	return 1000000;
}

int xlbd_apply_change(struct xlbd *x, struct xlb_overrides *next, char *text, size_t len,
		      struct xlb_diags *d)
{
	(void)x, (void)len, (void)d;
	xlb_overrides_free(next);
	free(text);
	return -EIO;
}

static char dir[64];

static void cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/state.json.history", dir);
	unlink(path);
	rmdir(dir);
}

static void load(struct xlbd *x, char *state)
{
	struct history_prev prev;
	struct xlb_diags d;

	memset(x, 0, sizeof(*x));
	x->state_path = state;
	x->config_path = "base.yaml";
	x->base_text = strdup(base_yaml);
	x->base_len = sizeof(base_yaml) - 1;
	x->base_hash = text_hash(x->base_text, x->base_len);
	xlb_diags_init(&d, "base.yaml");
	if (xlb_cfg_load_buf("base.yaml", base_yaml, x->base_len, &x->base, &d) ||
	    history_load(x, &prev))
		__builtin_trap();
	xlb_diags_free(&d);
	/* The file's config or runtime changes are not those in force: the start is a change. */
	if (prev.text_differs || prev.ov_differs)
		history_record_start(x, &prev);
	history_resume(x);
}

static void unload(struct xlbd *x)
{
	history_fini(&x->hist);
	xlb_cfg_free(x->base);
	free(x->base_text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char state[96], file[128], err[512];
	json_t *list, *again;
	struct xlbd x, y;
	FILE *f;

	if (!dir[0]) {
		xlb_log_set_level(XLB_LOG_ERR);
		snprintf(dir, sizeof(dir), "/tmp/fuzz_history.XXXXXX");
		if (!mkdtemp(dir))
			__builtin_trap();
		atexit(cleanup);
	}
	snprintf(state, sizeof(state), "%s/state.json", dir);
	snprintf(file, sizeof(file), "%s.history", state);
	f = fopen(file, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		__builtin_trap();
	load(&x, state);
	list = history_json(&x);
	history_pick(&x, NULL, 0, err, sizeof(err));
	history_pick(&x, "web", 0, err, sizeof(err));
	history_pick(&x, NULL, 1, err, sizeof(err));
	history_save(&x);
	load(&y, state);
	again = history_json(&y);
	/* Read whole, or not at all: what was read is written and read back the same. */
	if (json_array_size(list) != json_array_size(again))
		__builtin_trap();
	json_decref(list);
	json_decref(again);
	unload(&x);
	unload(&y);
	snprintf(file, sizeof(file), "%s.history.bad", state);
	unlink(file);
	return 0;
}
