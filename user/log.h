/* SPDX-License-Identifier: GPL-2.0 */
/* Levelled logging to stderr, in a form journald takes (<N> prefixes). */
#ifndef XLB_LOG_H
#define XLB_LOG_H

enum xlb_log_level {
	XLB_LOG_ERR = 3,
	XLB_LOG_WARN = 4,
	XLB_LOG_INFO = 6,
	XLB_LOG_DEBUG = 7,
};

void xlb_log_set_level(enum xlb_log_level level);
/* Route libbpf's own messages through xlb_log, demoted one level. */
void xlb_log_hook_libbpf(void);
void xlb_log(enum xlb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...)	xlb_log(XLB_LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	xlb_log(XLB_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	xlb_log(XLB_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	xlb_log(XLB_LOG_DEBUG, __VA_ARGS__)

#endif /* XLB_LOG_H */
