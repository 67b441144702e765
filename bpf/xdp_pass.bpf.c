// SPDX-License-Identifier: GPL-2.0
/*
 * Passes every packet. Attached to the peer of a veth that sends with
 * XDP_TX: a veth delivers XDP_TX frames to its peer only when the peer runs
 * an XDP program (or has GRO on).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
