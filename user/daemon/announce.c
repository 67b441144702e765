// SPDX-License-Identifier: GPL-2.0
/*
 * VIP routes for BIRD: see announce.h for what is announced and when.
 *
 * Why a TUN device: it is the one kind of link the kernel removes by itself
 * when the process holding it goes, however it goes. Its routes go with it,
 * BIRD sees the link vanish at once and withdraws them over BGP, so a
 * crashed or killed xlbd cannot leave the routers sending traffic here.
 * (No dummy module on many hosts, and a route in a table alone outlives
 * its writer.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "addr.h"
#include "announce.h"
#include "events.h"
#include "log.h"
#include "xlbd.h"

struct announcer {
	int tun_fd;
	unsigned int ifindex;
	struct mnl_socket *nl;
	__u32 seq;
	union xlb_addr *routes;		/* announced now, sorted */
	size_t nr;
	enum node_state node;
	time_t drain_started;
	__u32 grace_ms;
	sd_event_source *grace;		/* draining -> drained */
	bool broken;			/* the device vanished under us */
};

const char *node_state_name(enum node_state s)
{
	static const char *const names[] = { "serving", "draining", "drained" };

	return s <= NODE_DRAINED ? names[s] : "?";
}

/*
 * The device is always a new one: IFF_TUN_EXCL makes the kernel refuse
 * (EBUSY) a name that any device has, atomically, and changes nothing on
 * that device. Taken over, a persistent TUN (made by 'ip tuntap add') would
 * keep xlbd's routes after xlbd is gone, and announce_close would leave
 * them too: the promise above holds only for a device xlbd made.
 */
static int make_device(struct announcer *a, const char *name)
{
	struct ifreq ifr = {};
	int sock, err = 0;

	a->tun_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (a->tun_fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_TUN_EXCL;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(a->tun_fd, TUNSETIFF, &ifr))
		return -errno;
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	if (ioctl(sock, SIOCGIFFLAGS, &ifr))
		err = -errno;
	ifr.ifr_flags |= IFF_UP | IFF_NOARP;
	if (!err && ioctl(sock, SIOCSIFFLAGS, &ifr))
		err = -errno;
	close(sock);
	a->ifindex = if_nametoindex(name);
	return err ? err : a->ifindex ? 0 : -ENODEV;
}

/* What rtnetlink says of an existing device, for the hint. */
struct existing {
	bool found, loopback, carrier, persist;
	char kind[32];
	const struct nlattr *data;	/* IFLA_INFO_DATA: the kind's own */
};

static int tun_data_cb(const struct nlattr *at, void *data)
{
	struct existing *e = data;

	if (mnl_attr_get_type(at) == IFLA_TUN_PERSIST && mnl_attr_validate(at, MNL_TYPE_U8) >= 0)
		e->persist = mnl_attr_get_u8(at);
	return MNL_CB_OK;
}

static int link_info_cb(const struct nlattr *at, void *data)
{
	struct existing *e = data;

	if (mnl_attr_get_type(at) == IFLA_INFO_KIND && mnl_attr_validate(at, MNL_TYPE_STRING) >= 0)
		snprintf(e->kind, sizeof(e->kind), "%s", mnl_attr_get_str(at));
	else if (mnl_attr_get_type(at) == IFLA_INFO_DATA)
		e->data = at;
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct existing *e = data;
	const struct nlattr *at;

	e->found = true;
	e->loopback = ifi->ifi_flags & IFF_LOOPBACK;
	mnl_attr_for_each(at, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(at) == IFLA_CARRIER && mnl_attr_validate(at, MNL_TYPE_U8) >= 0)
			e->carrier = mnl_attr_get_u8(at);
		else if (mnl_attr_get_type(at) == IFLA_LINKINFO)
			mnl_attr_parse_nested(at, link_info_cb, e);
	}
	/* A TUN device has carrier while a process holds it open. */
	if (!strcmp(e->kind, "tun") && e->data)
		mnl_attr_parse_nested(e->data, tun_data_cb, e);
	e->data = NULL;
	return MNL_CB_OK;
}

static void look_up_device(const char *name, struct existing *e)
{
	char buf[16384];	/* one RTM_NEWLINK */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct mnl_socket *nl;
	struct ifinfomsg *ifi;
	ssize_t n;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return;
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 1 }, sizeof(struct timeval));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) >= 0 &&
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n > 0)
			mnl_cb_run(buf, n, 1, mnl_socket_get_portid(nl), link_cb, e);
	}
	mnl_socket_close(nl);
}

/* The hint for a name that a device has already: what that device is. */
static void existing_hint(const char *name, char *hint, size_t len)
{
	static const char never[] =
		"xlbd makes its announce device itself and never takes one over, so that its routes go with it";
	struct existing e = {};

	look_up_device(name, &e);
	if (!strcmp(e.kind, "tun") && !e.carrier && e.persist)
		snprintf(hint, len,
			 "'%s' is a persistent TUN device that no process holds (left by 'ip tuntap add'?); %s: delete it ('ip link del %s') or set announce.device to another name",
			 name, never, name);
	else if (!strcmp(e.kind, "tun"))
		snprintf(hint, len,
			 "'%s' is a TUN device that a process holds open: another xlbd? Each needs an announce.device of its own; set announce.device to another name",
			 name);
	else if (e.found) {
		char what[64];

		if (e.loopback)
			snprintf(what, sizeof(what), "a loopback device");
		else if (e.kind[0])
			snprintf(what, sizeof(what), "a %s device", e.kind);
		else
			snprintf(what, sizeof(what), "an existing device");
		snprintf(hint, len, "'%s' is %s ('ip -d link show %s'); %s: set announce.device to a name no device has",
			 name, what, name, never);
	} else
		snprintf(hint, len, "a device named '%s' exists ('ip -d link show %s'); %s: set announce.device to a name no device has",
			 name, name, never);
}

static void device_error(const char *what, const char *name, int err)
{
	char hint[512] = "";

	if (err == -EBUSY) {
		pr_err("%s '%s': a device of that name exists already\n", what, name);
		existing_hint(name, hint, sizeof(hint));
	} else {
		pr_err("%s '%s': %s\n", what, name, strerror(-err));
		if (err == -ENOENT || err == -ENODEV)
			snprintf(hint, sizeof(hint), "the tun module is needed ('modprobe tun')");
		else if (err == -EPERM || err == -EACCES)
			snprintf(hint, sizeof(hint), "creating a TUN device needs CAP_NET_ADMIN");
	}
	if (hint[0])
		pr_err("hint: %s\n", hint);
}

int announce_open(struct xlbd *x)
{
	const struct xlb_cfg_announce *cfg = &x->base->announce;
	struct announcer *a;
	int err;

	if (!cfg->on)
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->tun_fd = -1;
	a->grace_ms = cfg->drain_grace_ms;
	err = make_device(a, cfg->device);
	if (err) {
		device_error("Couldn't create announce device", cfg->device, err);
		goto fail;
	}
	a->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!a->nl || mnl_socket_bind(a->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		pr_err("Couldn't open rtnetlink for announcements: %s\n", strerror(errno));
		goto fail;
	}
	/* The kernel answers at once; a bound on the wait all the same, never a hang. */
	setsockopt(mnl_socket_get_fd(a->nl), SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 1 }, sizeof(struct timeval));
	x->ann = a;
	pr_info("Announcing VIP addresses as routes in table %u on device '%s' (for BIRD to learn)\n",
		cfg->table, cfg->device);
	return 0;
fail:
	if (a->nl)
		mnl_socket_close(a->nl);
	if (a->tun_fd >= 0)
		close(a->tun_fd);
	free(a);
	return err;
}

void announce_close(struct xlbd *x)
{
	struct announcer *a = x->ann;

	if (!a)
		return;
	if (a->nr)
		pr_info("Withdrawing %zu VIP route%s: xlbd stops\n", a->nr, a->nr == 1 ? "" : "s");
	sd_event_source_disable_unref(a->grace);
	/* Closing the device removes it and every route on it. */
	if (a->tun_fd >= 0)
		close(a->tun_fd);
	if (a->nl)
		mnl_socket_close(a->nl);
	free(a->routes);
	free(a);
	x->ann = NULL;
}

/* One route added (RTM_NEWROUTE) or removed, answered by the kernel's ack. */
static int route(struct announcer *a, const struct xlb_cfg_announce *cfg, int type,
		 const union xlb_addr *addr)
{
	char buf[8192];		/* a request and its ack; MNL_SOCKET_BUFFER_SIZE is not constant */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	bool v4 = xlb_addr_is_v4(addr);
	struct rtmsg *rtm;
	ssize_t n;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	/* Replace: a route of an older xlbd in the same table becomes ours. */
	if (type == RTM_NEWROUTE)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	nlh->nlmsg_seq = ++a->seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = v4 ? AF_INET : AF_INET6;
	rtm->rtm_dst_len = v4 ? 32 : 128;
	rtm->rtm_table = cfg->table < 256 ? cfg->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = type == RTM_NEWROUTE ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, cfg->table);
	mnl_attr_put(nlh, RTA_DST, v4 ? 4 : 16, v4 ? (const void *)&addr->w[3] : (const void *)addr);
	mnl_attr_put_u32(nlh, RTA_OIF, a->ifindex);
	if (mnl_socket_sendto(a->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* The kernel acks before sendto returns: this read does not wait. */
	n = mnl_socket_recvfrom(a->nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (mnl_cb_run(buf, n, a->seq, mnl_socket_get_portid(a->nl), NULL, NULL) < 0)
		return -errno;
	return 0;
}

static int addr_cmp(const void *a, const void *b)
{
	return xlb_addr_cmp(a, b);
}

static bool vip_servable(const struct xlbd *x, size_t v)
{
	/* Weight is counted only for backends that take new flows, and is never 0 for them. */
	return x->plans[v].total_weight > 0;
}

/* Why addr is not announced: for the log and the journal. */
static const char *withdraw_reason(const struct xlbd *x, const union xlb_addr *addr,
				   char *buf, size_t len)
{
	const struct announcer *a = x->ann;
	size_t v;

	if (a->node != NODE_SERVING)
		return "the node is drained (xlbctl drain-node)";
	if (!xlbd_attached_any(x))
		return "the interface is lost: xlb is attached to none";
	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];

		if (xlb_addr_cmp(&vip->key.addr, addr))
			continue;
		snprintf(buf, len, "no backend of VIP '%s' takes new flows (%s)", vip->name,
			 x->plans[v].all_down ? "all down, all_down: drop" :
			 "none up with weight > 0");
		return buf;
	}
	return "no VIP has the address any more";
}

static void note(struct xlbd *x, const union xlb_addr *addr, bool up, const char *why)
{
	const struct xlb_cfg_announce *cfg = &x->base->announce;
	char s[XLB_ADDR_STRLEN];
	int plen = xlb_addr_is_v4(addr) ? 32 : 128;

	xlb_addr_str(addr, s, sizeof(s));
	if (up)
		pr_info("Announcing %s/%d (table %u): %s\n", s, plen, cfg->table, why);
	else
		pr_warn("Withdrawing %s/%d (table %u): %s\n", s, plen, cfg->table, why);
	journal_event(x, "route", json_pack("{s:s, s:i, s:s, s:s}", "address", s, "prefix_len", plen,
					    "state", up ? "announced" : "withdrawn", "reason", why));
}

/* The addresses to announce now, sorted and unique; *nr 0 for none. */
static union xlb_addr *wanted(const struct xlbd *x, size_t *nr)
{
	const struct xlb_cfg *eff = x->effective;
	union xlb_addr *w;
	size_t v, n = 0, i;

	*nr = 0;
	if (x->ann->node != NODE_SERVING || !xlbd_attached_any(x) || !eff->nr_vips)
		return NULL;
	w = calloc(eff->nr_vips, sizeof(*w));
	if (!w)
		return NULL;
	for (v = 0; v < eff->nr_vips; v++)
		if (vip_servable(x, v))
			w[n++] = eff->vips[v].key.addr;
	qsort(w, n, sizeof(*w), addr_cmp);
	for (i = 0; i < n; i++)
		if (!*nr || xlb_addr_cmp(&w[*nr - 1], &w[i]))
			w[(*nr)++] = w[i];
	return w;
}

static bool has(const union xlb_addr *set, size_t nr, const union xlb_addr *addr)
{
	return nr && bsearch(addr, set, nr, sizeof(*set), addr_cmp);
}

/* The device went (deleted by hand): make it again, routes from scratch. */
static void check_device(struct xlbd *x)
{
	struct announcer *a = x->ann;
	const char *dev = x->base->announce.device;
	int err;

	if (if_nametoindex(dev) == a->ifindex && !a->broken)
		return;
	if (!a->broken)
		pr_warn("Announce device '%s' is gone (deleted by hand?): its routes went with it; making it again\n",
			dev);
	close(a->tun_fd);
	a->nr = 0;
	err = make_device(a, dev);
	if (err && !a->broken) {
		device_error("Couldn't make announce device", dev, err);
		pr_err("Nothing is announced; xlbd tries again every second\n");
	} else if (!err && a->broken) {
		pr_info("Announce device '%s' made again\n", dev);
	}
	a->broken = err != 0;
}

void announce_sync(struct xlbd *x)
{
	const struct xlb_cfg_announce *cfg = &x->base->announce;
	struct announcer *a = x->ann;
	union xlb_addr *want, *keep;
	size_t nr_want, i, nr_keep = 0;
	char why[160];
	int err;

	if (!a || !x->nr_watched || !x->effective)
		return;
	check_device(x);
	if (a->broken)
		return;
	want = wanted(x, &nr_want);
	keep = calloc(a->nr + nr_want + 1, sizeof(*keep));
	if (!keep || (nr_want && !want)) {
		free(want);
		free(keep);
		return;
	}
	/* Withdrawals first: a node that can serve less says so before anything else. */
	for (i = 0; i < a->nr; i++) {
		if (has(want, nr_want, &a->routes[i])) {
			keep[nr_keep++] = a->routes[i];
			continue;
		}
		err = route(a, cfg, RTM_DELROUTE, &a->routes[i]);
		if (err && err != -ESRCH) {
			char s[XLB_ADDR_STRLEN];

			pr_err("Couldn't withdraw route %s from table %u: %s; xlbd tries again every second\n",
			       xlb_addr_str(&a->routes[i], s, sizeof(s)), cfg->table, strerror(-err));
			keep[nr_keep++] = a->routes[i];
			continue;
		}
		note(x, &a->routes[i], false, withdraw_reason(x, &a->routes[i], why, sizeof(why)));
	}
	for (i = 0; i < nr_want; i++) {
		char s[XLB_ADDR_STRLEN];

		if (has(a->routes, a->nr, &want[i]))
			continue;
		err = route(a, cfg, RTM_NEWROUTE, &want[i]);
		if (err) {
			pr_err("Couldn't announce route %s in table %u: %s; xlbd tries again every second\n",
			       xlb_addr_str(&want[i], s, sizeof(s)), cfg->table, strerror(-err));
			continue;
		}
		note(x, &want[i], true, "a VIP on it has backends taking new flows");
		keep[nr_keep++] = want[i];
	}
	qsort(keep, nr_keep, sizeof(*keep), addr_cmp);
	free(a->routes);
	a->routes = keep;
	a->nr = nr_keep;
	free(want);
}

bool announce_enabled(const struct xlbd *x)
{
	return x->ann != NULL;
}

bool announce_vip_announced(const struct xlbd *x, const struct xlb_cfg_vip *vip)
{
	return x->ann && has(x->ann->routes, x->ann->nr, &vip->key.addr);
}

enum node_state announce_node_state(const struct xlbd *x)
{
	return x->ann ? x->ann->node : NODE_SERVING;
}

static int grace_over(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct xlbd *x = userdata;
	struct announcer *a = x->ann;

	(void)s, (void)usec;
	a->grace = sd_event_source_disable_unref(a->grace);
	a->node = NODE_DRAINED;
	pr_info("Node drained: routes withdrawn %lld s ago; xlb still forwards what arrives\n",
		(long long)(time(NULL) - a->drain_started));
	journal_event(x, "node", json_pack("{s:s}", "state", "drained"));
	return 0;
}

int announce_drain_node(struct xlbd *x, __u32 grace_ms, char *err, size_t err_len)
{
	struct announcer *a = x->ann;
	int r;

	if (!a) {
		snprintf(err, err_len,
			 "this xlbd announces nothing: the config has no 'announce:' section, so there are no routes to withdraw");
		return -EINVAL;
	}
	if (a->node != NODE_SERVING) {
		snprintf(err, err_len, "the node is already %s ('xlbctl resume-node' announces again)",
			 node_state_name(a->node));
		return -EALREADY;
	}
	a->grace_ms = grace_ms == UINT32_MAX ? x->base->announce.drain_grace_ms : grace_ms;
	a->node = NODE_DRAINING;
	a->drain_started = time(NULL);
	journal_event(x, "node", json_pack("{s:s, s:i}", "state", "draining",
					   "grace_ms", (int)a->grace_ms));
	announce_sync(x);
	r = sd_event_add_time_relative(x->event, &a->grace, CLOCK_MONOTONIC,
				       (uint64_t)a->grace_ms * 1000, 0, grace_over, x);
	if (r < 0) {
		grace_over(NULL, 0, x);
		return 0;
	}
	pr_info("Node draining: routes withdrawn; xlb forwards for %u ms more while the routers move traffic away\n",
		a->grace_ms);
	return 0;
}

int announce_resume_node(struct xlbd *x, char *err, size_t err_len)
{
	struct announcer *a = x->ann;

	if (!a) {
		snprintf(err, err_len, "this xlbd announces nothing: the config has no 'announce:' section");
		return -EINVAL;
	}
	if (a->node == NODE_SERVING) {
		snprintf(err, err_len, "the node is serving already: nothing to resume");
		return -EALREADY;
	}
	a->grace = sd_event_source_disable_unref(a->grace);
	a->node = NODE_SERVING;
	pr_info("Node serving again: announcing what it can serve\n");
	journal_event(x, "node", json_pack("{s:s}", "state", "serving"));
	announce_sync(x);
	return 0;
}

json_t *announce_json(const struct xlbd *x)
{
	const struct announcer *a = x->ann;
	json_t *routes, *j;
	long long left = 0;
	size_t i;

	if (!a)
		return json_pack("{s:b}", "enabled", 0);
	routes = json_array();
	for (i = 0; i < a->nr; i++) {
		char s[XLB_ADDR_STRLEN];

		json_array_append_new(routes, json_string(xlb_addr_str(&a->routes[i], s, sizeof(s))));
	}
	if (a->node == NODE_DRAINING)
		left = a->drain_started + (a->grace_ms + 999) / 1000 - time(NULL);
	j = json_pack("{s:b, s:s, s:i, s:s, s:o, s:I, s:I, s:i}", "enabled", 1,
		      "node", node_state_name(a->node), "table", (int)x->base->announce.table,
		      "device", x->base->announce.device, "routes", routes,
		      "drain_started", (json_int_t)(a->node == NODE_SERVING ? 0 : a->drain_started),
		      "grace_left_s", (json_int_t)(left > 0 ? left : 0), "grace_ms", (int)a->grace_ms);
	return j;
}
