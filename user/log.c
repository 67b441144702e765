// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "log.h"

static enum xlb_log_level log_level = XLB_LOG_INFO;

void xlb_log_set_level(enum xlb_log_level level)
{
	log_level = level;
}

static void vlog(enum xlb_log_level level, const char *fmt, va_list ap)
{
	/* journald reads "<N>" as the priority; a terminal reader does not need it. */
	if (!isatty(STDERR_FILENO))
		fprintf(stderr, "<%d>", level);
	vfprintf(stderr, fmt, ap);
}

void xlb_log(enum xlb_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	enum xlb_log_level ours = level == LIBBPF_WARN ? XLB_LOG_INFO
							: XLB_LOG_DEBUG;

	if (ours > log_level)
		return 0;
	vlog(ours, fmt, ap);
	return 0;
}

void xlb_log_hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
