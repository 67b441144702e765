/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The config the runtime-change harnesses lay their inputs over: one VIP
 * for changes to land on (and, by its absence, VIPs they miss).
 */
#ifndef XLB_FUZZ_BASE_H
#define XLB_FUZZ_BASE_H

static const char base_yaml[] =
	"interface: { name: eth0 }\n"
	"vips:\n"
	"  - name: web\n"
	"    address: 198.18.100.10\n"
	"    port: 80\n"
	"    protocol: tcp\n"
	"    mode: dsr\n"
	"    backends:\n"
	"      - { address: 198.18.1.11, weight: 1, mac: \"02:00:c6:12:01:0b\" }\n"
	"      - { address: 198.18.1.12, weight: 2, mac: \"02:00:c6:12:01:0c\" }\n";

#endif /* XLB_FUZZ_BASE_H */
