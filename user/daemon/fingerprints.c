// SPDX-License-Identifier: GPL-2.0
/* Table fingerprints as xlbd shows them: see fingerprints.h. */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "addr.h"
#include "fingerprint.h"
#include "fingerprints.h"
#include "health_apply.h"
#include "monitor.h"
#include "xlbd.h"

json_t *fingerprint_json(struct xlbd *x, const char *vip)
{
	const struct vip_monitor *vm = monitor_vip(x, vip);
	char d[XLB_FP_STRLEN], c[XLB_FP_STRLEN], t[XLB_FP_STRLEN];

	if (!vm || !vm->fp_ms)
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:I}", "digest", xlb_fp_str(vm->fp.digest, d),
			 "config", xlb_fp_str(vm->fp.config, c), "table", xlb_fp_str(vm->fp.table, t),
			 "age_s", (json_int_t)((monotonic_ms() - vm->fp_ms) / 1000));
}

json_t *fingerprints_json(struct xlbd *x)
{
	json_t *vips = json_array();
	char node[XLB_FP_STRLEN], a[XLB_ADDR_STRLEN];
	size_t v, b;

	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];
		const struct xlb_vip_plan *plan = xlbd_plan(x, vip);
		json_t *list = json_array();

		for (b = 0; b < vip->nr_backends; b++)
			json_array_append_new(list, json_pack("{s:s, s:i}", "address",
				xlb_addr_str(&vip->backends[b].addr, a, sizeof(a)), "weight",
				plan && plan->be[b].takes_new_flows ? (int)plan->be[b].weight : 0));
		json_array_append_new(vips, json_pack("{s:s, s:s, s:i, s:s, s:i, s:b, s:o, s:o}",
			"name", vip->name, "address", xlb_addr_str(&vip->key.addr, a, sizeof(a)),
			"port", ntohs(vip->key.port),
			"protocol", vip->key.proto == IPPROTO_UDP ? "udp" : "tcp",
			"table_size", (int)vip->table_size, "hash_source_port", vip->hash_source_port,
			"fingerprint", fingerprint_json(x, vip->name), "backends", list));
	}
	return json_pack("{s:s, s:i, s:o}", "node", monitor_node_fingerprint(x, node),
			 "version", XLB_FP_VERSION, "vips", vips);
}
