/* SPDX-License-Identifier: GPL-2.0 */
/* xlbctl: one file per subcommand, each a <cmd>_main, dispatched by xlbctl.c. */
#ifndef XLB_CTL_H
#define XLB_CTL_H

#include <stdbool.h>

/* Exit codes of every command. */
#define CTL_OK		0
#define CTL_ERROR	1
#define CTL_USAGE	2
#define CTL_UNWATCHED	3	/* --wait: the guard ended without a verdict */
#define CTL_ROLLBACK_FAILED 4	/* --wait: the guard's rollback failed: the change is in force */

extern const char *prog_name;
extern bool json_output;	/* -j */

/*
 * "xlbctl CMD help": prints usage to stdout and returns true. Otherwise,
 * when argc is outside [min, max], prints usage to stderr, sets *rc to
 * CTL_USAGE and returns true.
 */
bool ctl_usage(int argc, char **argv, int min, int max, const char *usage, int *rc);

int check_main(int argc, char **argv);
int status_main(int argc, char **argv);
int show_main(int argc, char **argv);
int dump_main(int argc, char **argv);
int counters_main(int argc, char **argv);
int weight_main(int argc, char **argv);
int drain_main(int argc, char **argv);
int disable_main(int argc, char **argv);
int enable_main(int argc, char **argv);
int add_main(int argc, char **argv);
int remove_main(int argc, char **argv);
int reset_main(int argc, char **argv);
int rollback_main(int argc, char **argv);
int history_main(int argc, char **argv);
int reload_main(int argc, char **argv);
int diff_main(int argc, char **argv);
int trace_main(int argc, char **argv);
int events_main(int argc, char **argv);
int report_main(int argc, char **argv);
int top_main(int argc, char **argv);
int compare_main(int argc, char **argv);
int drain_node_main(int argc, char **argv);
int resume_node_main(int argc, char **argv);

#endif /* XLB_CTL_H */
