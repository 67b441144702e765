// SPDX-License-Identifier: GPL-2.0
/* xlbctl trace: the live program, on the live maps, explains one flow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "health_apply.h"
#include "packet.h"
#include "xlbd.h"
#include "commands.h"

/* ---- trace ------------------------------------------------------------- */

static const char *vip_name_by_id(struct xlbd *x, __u32 id)
{
	size_t i;

	for (i = 0; i < x->effective->nr_vips; i++)
		if (xlbd_vip_id(x, &x->effective->vips[i]) == id)
			return x->effective->vips[i].name;
	return "?";
}

static const char *const lru_names[] = { "none", "hit", "miss", "stale", "moved", "table", "old" };
static const char *const verdict_names[] = { "aborted", "drop", "pass", "tx", "redirect" };

static void explain(struct xlbd *x, const struct xlb_trace *tr, const char *be_addr,
		    char *buf, size_t len)
{
	const char *vip = vip_name_by_id(x, tr->vip_id);

	if (!tr->vip_found) {
		snprintf(buf, len, "no VIP takes this flow: %s (%s)",
			 tr->reason == XLB_R_PASS_NOT_VIP ? "passed to the stack untouched" :
			 "not forwarded", xlb_reason_name(tr->reason));
		return;
	}
	if (tr->lru == XLB_TRACE_LRU_HIT)
		snprintf(buf, len, "VIP %s: the flow is in the connection table: backend %s (%s)",
			 vip, be_addr, xlb_reason_name(tr->reason));
	else if (tr->lru == XLB_TRACE_LRU_MOVED)
		snprintf(buf, len, "VIP %s: the flow is held in the moved-flow table (its backend is no longer the table's choice): backend %s (%s)",
			 vip, be_addr, xlb_reason_name(tr->reason));
	else if (tr->lru == XLB_TRACE_LRU_OLD)
		snprintf(buf, len, "VIP %s: no record, not a SYN: the flow stays where the table from before the last changes put it (slot %u of %u moved since): backend %s (%s)",
			 vip, tr->slot, tr->table_size, be_addr, xlb_reason_name(tr->reason));
	else if (tr->reason == XLB_R_DROP_NO_BACKEND)
		snprintf(buf, len, "VIP %s: no backend takes new flows: dropped (%s)", vip,
			 xlb_reason_name(tr->reason));
	else
		snprintf(buf, len, "VIP %s: %s: hash 0x%08x, slot %u of %u: backend %s (%s)",
			 vip, tr->lru == XLB_TRACE_LRU_STALE ?
			 "the flow's backend no longer takes it, picked again" :
			 tr->lru == XLB_TRACE_LRU_TABLE ?
			 "a TCP flow on a slot no change has moved: the table decides, no flow state is kept or needed" :
			 "a new flow",
			 tr->hash, tr->slot, tr->table_size, be_addr, xlb_reason_name(tr->reason));
}

json_t *cmd_trace(struct xlbd *x, const struct ctl_request *req,
			 char *err, size_t err_len)
{
	const char *proto = NULL, *src = NULL, *dst = NULL;
	json_int_t sport = -1, dport = -1;
	union xlb_addr a, b;
	struct xlb_backend be = {};
	struct xlb_trace tr;
	__u8 pkt[PKT_MAX], out[PKT_MAX + 256];
	__u32 verdict, out_len = sizeof(out);
	char be_addr[XLB_ADDR_STRLEN] = "-", why[256], hash[16];
	struct pkt_spec spec = { .df = true };
	size_t len;

	if (json_unpack(req->args, "{s:s, s:s, s:I, s:s, s:I}", "proto", &proto, "src", &src,
			"sport", &sport, "dst", &dst, "dport", &dport) ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp")) || sport < 0 || sport > 65535 ||
	    dport < 0 || dport > 65535 || xlb_addr_parse(src, &a) || xlb_addr_parse(dst, &b) ||
	    xlb_addr_is_v4(&a) != xlb_addr_is_v4(&b)) {
		snprintf(err, err_len, "trace needs tcp|udp, source address and port, destination address and port, of one family");
		return NULL;
	}
	spec.src = src;
	spec.dst = dst;
	spec.proto = strcmp(proto, "tcp") ? IPPROTO_UDP : IPPROTO_TCP;
	spec.sport = sport;
	spec.dport = dport;
	len = pkt_build(&spec, pkt, sizeof(pkt));
	if (!len || xlb_dp_trace(x->dp, pkt, len, &tr, &verdict, out, &out_len)) {
		snprintf(err, err_len, "couldn't run the trace instance of the program");
		return NULL;
	}
	if (tr.vip_found && tr.reason != XLB_R_DROP_NO_BACKEND &&
	    !xlb_dp_get_backend(x->dp, tr.backend_id, &be))
		xlb_addr_str(&be.addr, be_addr, sizeof(be_addr));
	explain(x, &tr, be_addr, why, sizeof(why));
	snprintf(hash, sizeof(hash), "0x%08x", tr.hash);
	return json_pack("{s:s, s:s, s:s, s:s?, s:s, s:i, s:i, s:i, s:s, s:s}",
			 "verdict", verdict < 5 ? verdict_names[verdict] : "?",
			 "reason", xlb_reason_name(tr.reason),
			 "lru", tr.lru < ARRAY_SIZE(lru_names) ? lru_names[tr.lru] : "?",
			 "vip", tr.vip_found ? vip_name_by_id(x, tr.vip_id) : NULL,
			 "hash", hash,
			 "slot", (int)tr.slot, "table_size", (int)tr.table_size,
			 "backend_id", tr.vip_found ? (int)tr.backend_id : -1,
			 "backend", be_addr, "explanation", why);
}
