/* SPDX-License-Identifier: GPL-2.0 */
/* xlbctl: one file per subcommand, each a <cmd>_main, dispatched by xlbctl.c. */
#ifndef XLB_CTL_H
#define XLB_CTL_H

#include <stdbool.h>

/* Exit codes of every command. */
#define CTL_OK		0
#define CTL_ERROR	1
#define CTL_USAGE	2

extern const char *prog_name;
extern bool json_output;	/* -j */

int check_main(int argc, char **argv);

#endif /* XLB_CTL_H */
