// SPDX-License-Identifier: GPL-2.0
/*
 * The VIP filter (include/xlb_shared.h): a packet to an address that is
 * surely no VIP's passes after one array read, and no VIP is ever hidden
 * by it, whatever state the filter was left in: fresh (all clear), or
 * stale (pins that outlived a downgrade which added VIPs).
 */
#include "xdp_harness.h"

static bool filter_read(int fd, struct xlb_vip_filter *filt)
{
	__u32 zero = 0;

	return !bpf_map_lookup_elem(fd, &zero, filt);
}

static bool filter_write(int fd, int byte)
{
	struct xlb_vip_filter filt;
	__u32 zero = 0;

	memset(&filt, byte, sizeof(filt));
	return !bpf_map_update_elem(fd, &zero, &filt, 0);
}

static bool bit_set(const struct xlb_vip_filter *filt, const union xlb_addr *a)
{
	__u32 bit = xlb_vip_filter_bit(a);

	return filt->none[bit / 64] >> (bit % 64) & 1;
}

static size_t bits_set(const struct xlb_vip_filter *filt)
{
	size_t n = 0, i;

	for (i = 0; i < ARRAY_SIZE(filt->none); i++)
		n += __builtin_popcountll(filt->none[i]);
	return n;
}

void test_vip_filter_passes_others_hides_no_vip(struct fixture *f)
{
	struct pkt_spec other = { .src = "198.18.0.1", .dst = "198.18.100.99",
				  .proto = IPPROTO_TCP, .sport = 1, .dport = 80 };
	struct xlb_vip_filter filt;
	union xlb_addr a;
	__u8 in[PKT_MAX];
	size_t len;
	int fd = prog_map_fd(f->prog_fd, "vip_filter"), v;

	ASSERT_TRUE(fd >= 0, "the program's filter map found");

	/* As loaded and applied: VIP addresses clear, nearly all others set. */
	ASSERT_TRUE(filter_read(fd, &filt), "filter read");
	for (v = 0; v < NR_VIPS; v++)
		ASSERT_TRUE(!bit_set(&filt, &f->vips[v].key.addr), "a VIP address's bit is clear");
	ASSERT_TRUE(bits_set(&filt) >= XLB_VIP_FILTER_BITS - NR_VIPS, "other addresses filtered");
	ASSERT_TRUE(xlb_addr_parse("198.18.100.99", &a) == 0, "address parsed");
	ASSERT_TRUE(bit_set(&filt, &a), "the test's other address is filtered");
	len = pkt_build(&other, in, sizeof(in));
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP, "filtered: passes");
	ASSERT_TRUE(all_vips_forward(f, 1, 40000), "every VIP forwards");

	/* Fresh (all clear): every packet takes the lookups; nothing changes. */
	ASSERT_TRUE(filter_write(fd, 0), "filter cleared");
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP, "unfiltered: passes");
	ASSERT_TRUE(all_vips_forward(f, 1, 40000), "every VIP forwards with a fresh filter");

	/* Stale: claims no VIP anywhere. An apply clears its VIP's bit first. */
	ASSERT_TRUE(filter_write(fd, 0xff), "filter stale");
	ASSERT_EQ(xlb_service_apply(f->dp, &f->vips[V4_TCP_ENCAP]), 0, "VIP applied again");
	{
		struct pkt_spec s = to_vip(V4_TCP_ENCAP, 2, 40100);

		ASSERT_TRUE(send_and_check(f, V4_TCP_ENCAP, &s) != NULL, "the applied VIP forwards");
	}
	/* The load's sync (and a reconcile's) writes it from the VIP map. */
	ASSERT_EQ(xlb_dp_vip_sync(f->dp), 0, "filter written from the VIP map");
	ASSERT_TRUE(all_vips_forward(f, 1, 40000), "every VIP forwards after the sync");
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP, "still passes");
	close(fd);
}
