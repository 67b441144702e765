// SPDX-License-Identifier: GPL-2.0
/* Table fingerprints as xlbd shows them: see fingerprints.h. */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "addr.h"
#include "fingerprint.h"
#include "fingerprints.h"
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

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct vip_monitor *const *)a)->name,
		      (*(const struct vip_monitor *const *)b)->name);
}

const char *fingerprint_node(struct xlbd *x, char *buf)
{
	const struct vip_monitor **sorted;
	struct xlb_fp_table all;
	struct xlb_fp fp;
	size_t v, i;

	buf[0] = 0;
	if (x->mon.nr != x->effective->nr_vips)
		return buf;
	for (v = 0; v < x->mon.nr; v++)
		if (!x->mon.vips[v].fp_ms)
			return buf;	/* a table not read yet: no digest for the node */
	sorted = calloc(x->mon.nr ? x->mon.nr : 1, sizeof(*sorted));
	if (!sorted)
		return buf;
	for (v = 0; v < x->mon.nr; v++)
		sorted[v] = &x->mon.vips[v];
	/* By name: nodes whose files list the VIPs in another order agree. */
	qsort(sorted, x->mon.nr, sizeof(*sorted), by_name);
	xlb_fp_table_init(&all);
	for (v = 0; v < x->mon.nr; v++) {
		xlb_fp_table_add(&all, sorted[v]->fp.digest);
		for (i = 0; sorted[v]->name[i]; i++)
			xlb_fp_table_add(&all, (unsigned char)sorted[v]->name[i]);
	}
	free(sorted);
	xlb_fp_finish(&fp, x->mon.nr, &all);
	return xlb_fp_str(fp.digest, buf);
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
	return json_pack("{s:s, s:i, s:o}", "node", fingerprint_node(x, node),
			 "version", XLB_FP_VERSION, "vips", vips);
}
