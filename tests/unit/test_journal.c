// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the event journal's bounds: rotation and one event's size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "journal.h"

static char dir[] = "/tmp/xlb-journal-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static bool exists(const char *path, const char *suffix)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return !access(p, F_OK);
}

/* 3000 events into a 4 KiB journal: FILE and three rotated files, never a fourth. */
static void test_rotation_keeps_three(void **state)
{
	struct xlb_journal j;
	char path[256];
	json_t *all;
	int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/rot.jsonl", dir);
	assert_int_equal(xlb_journal_open(&j, path, 4096, NULL), 0);
	for (i = 0; i < 3000; i++)
		assert_int_equal(xlb_journal_add(&j, "cli", json_pack("{s:i}", "n", i)), 0);
	xlb_journal_close(&j);
	assert_true(exists(path, ""));
	assert_true(exists(path, ".1"));
	assert_true(exists(path, ".2"));
	assert_true(exists(path, ".3"));
	assert_false(exists(path, ".4"));
	/* What is kept reads back in order, ending with the last event. */
	all = xlb_journal_read(path, 0, 0);
	assert_true(json_array_size(all) > 100);
	assert_true(json_array_size(all) < 3000);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(all,
			 json_array_size(all) - 1), "n")), 2999);
	for (i = 1; i < (int)json_array_size(all); i++)
		assert_int_equal(json_integer_value(json_object_get(json_array_get(all, i), "n")),
				 json_integer_value(json_object_get(json_array_get(all, i - 1), "n")) + 1);
	json_decref(all);
}

/* An event over 64 KiB is kept as its type, time and size. */
static void test_event_size_cap(void **state)
{
	struct xlb_journal j;
	char path[256], *big = malloc(200000);
	json_t *all, *ev;

	(void)state;
	memset(big, 'a', 199999);
	big[199999] = '\0';
	snprintf(path, sizeof(path), "%s/cap.jsonl", dir);
	assert_int_equal(xlb_journal_open(&j, path, 1 << 20, NULL), 0);
	assert_int_equal(xlb_journal_add(&j, "config_applied", json_pack("{s:s}", "changes", big)), 0);
	assert_int_equal(xlb_journal_add(&j, "cli", json_pack("{s:s}", "change", "small")), 0);
	xlb_journal_close(&j);
	free(big);
	all = xlb_journal_read(path, 0, 0);
	assert_int_equal(json_array_size(all), 2);
	ev = json_array_get(all, 0);
	assert_string_equal(json_string_value(json_object_get(ev, "type")), "config_applied");
	assert_true(json_is_true(json_object_get(ev, "truncated")));
	assert_true(json_integer_value(json_object_get(ev, "bytes")) > 200000);
	assert_null(json_object_get(ev, "changes"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(all, 1), "change")), "small");
	assert_int_equal(j.truncated, 1);
	json_decref(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotation_keeps_three),
		cmocka_unit_test(test_event_size_cap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
