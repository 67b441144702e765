// SPDX-License-Identifier: GPL-2.0
/*
 * A traffic generator for benchmarks, run by BPF_PROG_TEST_RUN in live
 * frame mode: each run sends one UDP frame out of ifindex, the source port
 * varied so that the frames are nr_flows different flows.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define HEAD_WORDS	21	/* Ethernet + IPv4 + UDP: 42 bytes */

const volatile __u32 ifindex = 0;
const volatile __u32 nr_flows = 1;
/*
 * The frame's headers as built. Live frames come back from the page pool
 * as the last program left them (TTL decremented, MACs rewritten), so
 * every run writes them anew.
 */
const volatile __u16 head[HEAD_WORDS] = {};
__u64 sent = 0;

SEC("xdp")
int gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *uh = data + sizeof(struct ethhdr) + sizeof(struct iphdr);
	__u16 *w = data;
	__u32 n = sent++;
	int i;

	if ((void *)(uh + 1) > data_end)
		return XDP_ABORTED;
#pragma unroll
	for (i = 0; i < HEAD_WORDS; i++)
		w[i] = head[i];
	uh->source = bpf_htons(1024 + n % nr_flows);
	uh->check = 0;	/* optional in IPv4 */
	return bpf_redirect(ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
