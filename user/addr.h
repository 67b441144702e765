/* SPDX-License-Identifier: GPL-2.0 */
/* Parsing and printing of the addresses, prefixes and MACs xlb deals in. */
#ifndef XLB_ADDR_H
#define XLB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "xlb_shared.h"

/* INET6_ADDRSTRLEN; "ffff:...:255.255.255.255" fits. */
#define XLB_ADDR_STRLEN	46
#define XLB_MAC_STRLEN	18

/* Text to address: IPv4 comes back IPv4-mapped. Returns 0 or -EINVAL. */
int xlb_addr_parse(const char *s, union xlb_addr *addr);
bool xlb_addr_is_v4(const union xlb_addr *addr);
void xlb_addr_from_v4(union xlb_addr *addr, __be32 v4);
/* Plain dotted quad for IPv4-mapped addresses, RFC 5952 text otherwise. */
const char *xlb_addr_str(const union xlb_addr *addr, char *buf, size_t len);
int xlb_addr_cmp(const union xlb_addr *a, const union xlb_addr *b);
/* The socket address of addr and port (host order): AF_INET for IPv4-mapped. */
struct sockaddr_storage;
unsigned int xlb_addr_sockaddr(const union xlb_addr *addr, __u16 port,
			       struct sockaddr_storage *ss);

/* "addr/len"; len defaults to the full width. *prefix_len is in the family's bits. */
int xlb_prefix_parse(const char *s, union xlb_addr *addr, int *prefix_len);

int xlb_mac_parse(const char *s, __u8 mac[6]);
const char *xlb_mac_str(const __u8 mac[6], char *buf, size_t len);

/* Strict decimal: the whole string, no sign, no trailing junk, <= max. */
int xlb_parse_u32(const char *s, __u32 max, __u32 *out);

#endif /* XLB_ADDR_H */
