// SPDX-License-Identifier: GPL-2.0
/* A benchmark sink: drops whatever reaches it, at the cheapest point. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int sink(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
