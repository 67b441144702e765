// SPDX-License-Identifier: GPL-2.0
/* xlbctl check FILE: validate a config, touching nothing. */
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "config.h"
#include "ctl.h"

static void print_json(const struct xlb_diags *d)
{
	json_t *root = json_object(), *list = json_array();
	size_t i;

	for (i = 0; i < d->nr; i++) {
		const struct xlb_diag *it = &d->items[i];

		json_array_append_new(list, json_pack("{s:s, s:i, s:i, s:s, s:s}",
			"file", d->file, "line", it->pos.line, "column", it->pos.col,
			"severity", it->sev == XLB_SEV_ERROR ? "error" : "warning",
			"message", it->msg));
	}
	json_object_set_new(root, "file", json_string(d->file));
	json_object_set_new(root, "errors", json_integer(d->errors));
	json_object_set_new(root, "warnings", json_integer(d->warnings));
	json_object_set_new(root, "problems", list);
	json_dumpf(root, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(root);
}

int check_main(int argc, char **argv)
{
	struct xlb_diags d;
	struct xlb_cfg *cfg;

	if (argc == 2 && !strcmp(argv[1], "help")) {
		printf("Usage: %s check FILE\n"
		       "Checks a config file without touching the running one. Prints every\n"
		       "problem as FILE:LINE:COLUMN: error|warning: message. Exit 0 when\n"
		       "there is no error (warnings allowed), 1 when there is.\n", prog_name);
		return CTL_OK;
	}
	if (argc != 2) {
		fprintf(stderr, "Usage: %s check FILE\n", prog_name);
		return CTL_USAGE;
	}
	xlb_diags_init(&d, argv[1]);
	xlb_cfg_load_file(argv[1], &cfg, &d);
	if (json_output) {
		print_json(&d);
	} else {
		xlb_diags_print(&d, stdout);
		printf("%s: %zu error%s, %zu warning%s\n", argv[1], d.errors,
		       d.errors == 1 ? "" : "s", d.warnings, d.warnings == 1 ? "" : "s");
	}
	xlb_cfg_free(cfg);
	xlb_diags_free(&d);
	return d.errors ? CTL_ERROR : CTL_OK;
}
