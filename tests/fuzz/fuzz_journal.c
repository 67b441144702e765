// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the journal read back (journal.c, report.c): a
 * journal file of any bytes (cut lines, damaged events, fields of the wrong
 * type) gives events, their lines and an incident report, never a crash.
 * The first line is a --since/--until time as an operator types it.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "journal.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t head = nl ? (size_t)(nl - (const char *)data) : size, i, len;
	char when[64], path[64], line[1024];
	time_t since = 0;
	json_t *events, *ev;
	char *report;
	int fd;

	snprintf(when, sizeof(when), "%.*s", (int)(head < 63 ? head : 63), (const char *)data);
	xlb_time_parse(when, 1764640800, &since);
	fd = memfd_create("journal", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		__builtin_trap();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	events = xlb_journal_read(path, 0, 0);
	close(fd);
	json_array_foreach(events, i, ev) {
		xlb_event_line(ev, line, sizeof(line));
		if (strlen(line) >= sizeof(line))
			__builtin_trap();
	}
	report = xlb_incident_report(events, since, since + 3600, 60000, &len);
	if (!report || strlen(report) != len)
		__builtin_trap();
	free(report);
	json_decref(events);
	return 0;
}
