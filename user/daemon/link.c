// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "link.h"
#include "log.h"
#include "probe.h"

struct link_watch {
	struct mnl_socket *nl;
	sd_event_source *io;
	char ifname[IF_NAMESIZE];
	unsigned int ifindex;		/* the interface xlb is attached to; 0: none */
	time_t lost_at;
	link_gone_fn gone;
	link_back_fn back;
	void *ctx;
};

void link_watch_check(struct link_watch *lw)
{
	unsigned int now = if_nametoindex(lw->ifname);

	/* Gone, or replaced by another of the same name: xlb is not on it. */
	if (lw->ifindex && now != lw->ifindex) {
		lw->ifindex = 0;
		lw->lost_at = time(NULL);
		lw->gone(lw->ctx);
	}
	if (!lw->ifindex && now && !lw->back(lw->ctx, now)) {
		lw->ifindex = now;
		lw->lost_at = 0;
	}
}

static int link_event(sd_event_source *s, int fd, uint32_t events, void *userdata)
{
	struct link_watch *lw = userdata;
	char buf[8192];		/* MNL_SOCKET_BUFFER_SIZE at most, a constant */
	ssize_t n;

	(void)s, (void)fd, (void)events;
	/* What the messages say is looked up afresh: one decision, in one place. */
	do
		n = mnl_socket_recvfrom(lw->nl, buf, sizeof(buf));
	while (n > 0);
	link_watch_check(lw);
	return 0;
}

int link_watch_start(struct link_watch **out, sd_event *e, const char *ifname,
		     link_gone_fn gone, link_back_fn back, void *ctx)
{
	struct link_watch *lw = calloc(1, sizeof(*lw));
	int fd, err;

	if (!lw)
		return -ENOMEM;
	snprintf(lw->ifname, sizeof(lw->ifname), "%s", ifname);
	lw->ifindex = if_nametoindex(ifname);
	lw->gone = gone;
	lw->back = back;
	lw->ctx = ctx;
	lw->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!lw->nl || mnl_socket_bind(lw->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		pr_err("Couldn't watch interface '%s' over rtnetlink: %s\n", ifname, strerror(errno));
		link_watch_stop(lw);
		return err;
	}
	fd = mnl_socket_get_fd(lw->nl);
	err = sd_event_add_io(e, &lw->io, fd, EPOLLIN, link_event, lw);
	if (err < 0) {
		link_watch_stop(lw);
		return err;
	}
	sd_event_source_set_priority(lw->io, XLB_PRIO_TIMER);
	*out = lw;
	return 0;
}

void link_watch_stop(struct link_watch *lw)
{
	if (!lw)
		return;
	sd_event_source_disable_unref(lw->io);
	if (lw->nl)
		mnl_socket_close(lw->nl);
	free(lw);
}

bool link_watch_attached(const struct link_watch *lw)
{
	return lw && lw->ifindex;
}

time_t link_watch_lost_at(const struct link_watch *lw)
{
	return lw ? lw->lost_at : 0;
}
