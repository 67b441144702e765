// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the state file (runtime changes, overrides.c): any
 * bytes are refused or read whole. What is read lays over a config without
 * a crash, and written back reads back to the same changes.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "overrides.h"

#include "fuzz_base.h"

static struct xlb_cfg *base(void)
{
	static struct xlb_cfg *cfg;
	struct xlb_diags d;

	if (!cfg) {
		xlb_diags_init(&d, "base.yaml");
		if (xlb_cfg_load_buf("base.yaml", base_yaml, sizeof(base_yaml) - 1, &cfg, &d))
			__builtin_trap();
		xlb_diags_free(&d);
	}
	return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlb_overrides ov, again;
	struct xlb_diags notes;
	struct xlb_cfg *eff;
	char path[64];
	size_t bad = 0;
	json_t *list;
	int fd;

	xlb_log_set_level((enum xlb_log_level)0);	/* refusals are expected: none logged */
	fd = memfd_create("state", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		__builtin_trap();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (xlb_overrides_load(path, &ov)) {
		close(fd);
		return 0;
	}
	close(fd);
	xlb_diags_init(&notes, "state");
	eff = xlb_overrides_apply(base(), &ov, &notes);
	xlb_cfg_free(eff);
	xlb_diags_free(&notes);
	/* Written back, it reads back: no change lost or made up on the way. */
	list = xlb_overrides_to_json(&ov);
	if (xlb_overrides_from_json(list, &again, &bad) || again.nr != ov.nr)
		__builtin_trap();
	for (size_t i = 0; i < ov.nr; i++)
		if (strcmp(ov.items[i].vip, again.items[i].vip) ||
		    memcmp(&ov.items[i].backend, &again.items[i].backend, sizeof(ov.items[i].backend)) ||
		    ov.items[i].weight != again.items[i].weight ||
		    ov.items[i].admin != again.items[i].admin)
			__builtin_trap();
	json_decref(list);
	xlb_overrides_free(&again);
	xlb_overrides_free(&ov);
	return 0;
}
