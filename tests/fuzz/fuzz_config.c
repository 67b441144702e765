// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the config parser: any bytes must give either a
 * config or diagnostics, never a crash, a leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlb_diags d;
	struct xlb_cfg *cfg;

	xlb_diags_init(&d, "fuzz.yaml");
	xlb_cfg_load_buf("fuzz.yaml", (const char *)data, size, &cfg, &d);
	/* A config comes back only without errors, and then whole. */
	if (cfg && (d.errors || !cfg->nr_ifaces || !cfg->ifaces[0].name[0]))
		__builtin_trap();
	xlb_cfg_free(cfg);
	xlb_diags_free(&d);
	return 0;
}
