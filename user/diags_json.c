// SPDX-License-Identifier: GPL-2.0
/* Diagnostics for the control protocol: one string per line, in file order. */
#include <stdlib.h>
#include <string.h>

#include "diags_json.h"

json_t *xlb_diags_json(const struct xlb_diags *d)
{
	char *text = xlb_diags_text(d), *line, *save = NULL;
	json_t *list = json_array();

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		json_array_append_new(list, json_string(line));
	free(text);
	return list;
}
