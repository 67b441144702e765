// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl top [--interval S] [--count N]: a live view per VIP, one row per
 * backend, the share its weight asks for next to the share it gets, with
 * a bar for each, redrawn in place. Ctrl-C or N frames end it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "ctl.h"
#include "ipc.h"
#include "xlb_protocol.h"

#define BAR	24

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void bar(char *buf, double share, char c)
{
	int n = (int)(share * BAR + 0.5), i;

	for (i = 0; i < BAR; i++)
		buf[i] = i < n ? c : '.';
	buf[BAR] = '\0';
}

static void frame(json_t *list)
{
	json_t *vip, *be;
	size_t i, j;
	char eb[BAR + 1], ob[BAR + 1], stamp[32];
	time_t now = time(NULL);

	strftime(stamp, sizeof(stamp), "%H:%M:%S UTC", gmtime(&now));
	printf("\033[H\033[2Jxlb top  %s   expected share ---  observed share ###  (new flows, skew window)\n",
	       stamp);
	json_array_foreach(list, i, vip) {
		printf("\nvip %s  %s:%lld/%s\n", json_string_value(json_object_get(vip, "name")),
		       json_string_value(json_object_get(vip, "address")),
		       (long long)json_integer_value(json_object_get(vip, "port")),
		       json_string_value(json_object_get(vip, "protocol")));
		printf("  %-20s %6s %-8s %9s %7s %-*s %7s %-*s %s\n", "backend", "weight", "health",
		       "latency", "expect", BAR, "", "observe", BAR, "", "skew");
		json_array_foreach(json_object_get(vip, "backends"), j, be) {
			double e = json_real_value(json_object_get(be, "expected_share"));
			double o = json_real_value(json_object_get(be, "observed_share"));
			const char *skew = json_string_value(json_object_get(be, "skew"));
			json_t *lat = json_object_get(be, "latency");
			char ms[16] = "-";

			if (lat && json_integer_value(json_object_get(lat, "samples")))
				snprintf(ms, sizeof(ms), "%.1fms",
					 json_real_value(json_object_get(lat, "median_ms")));
			bar(eb, e, '-');
			bar(ob, o, '#');
			printf("  %-20s %6lld %-8s %9s %6.1f%% %s %6.1f%% %s %s\n",
			       json_string_value(json_object_get(be, "address")),
			       (long long)json_integer_value(json_object_get(be, "weight")),
			       json_string_value(json_object_get(be, "health")), ms, 100 * e, eb,
			       100 * o, ob, skew && strcmp(skew, "none") ? skew : "");
		}
		printf("  diagnosis: %s\n", json_string_value(json_object_get(
			json_object_get(vip, "diagnosis"), "message")) ?: "-");
	}
	fflush(stdout);
}

int top_main(int argc, char **argv)
{
	__u32 interval = 1, count = 0, n;
	json_t *r;
	int i, rc;

	if (ctl_usage(argc, argv, 1, 5, "top [--interval SECONDS] [--count FRAMES]", &rc))
		return rc;
	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc ||
		    (strcmp(argv[i], "--interval") && strcmp(argv[i], "--count")) ||
		    xlb_parse_u32(argv[i + 1], 3600, !strcmp(argv[i], "--count") ? &count : &interval) ||
		    !interval) {
			fprintf(stderr, "Usage: %s top [--interval 1..3600] [--count FRAMES]\n", prog_name);
			return CTL_USAGE;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (n = 0; !stop && (!count || n < count); n++) {
		if (n)
			sleep(interval);
		r = ctl_call(XLB_CMD(LIST), NULL, &rc);
		if (!r)
			return rc;
		frame(r);
		json_decref(r);
	}
	printf("\n");
	return CTL_OK;
}
