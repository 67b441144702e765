// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

void xlb_addr_from_v4(union xlb_addr *addr, __be32 v4)
{
	memset(addr, 0, sizeof(*addr));
	addr->w[2] = htonl(0xffff);
	addr->w[3] = v4;
}

bool xlb_addr_is_v4(const union xlb_addr *addr)
{
	return addr->w[0] == 0 && addr->w[1] == 0 && addr->w[2] == htonl(0xffff);
}

int xlb_addr_parse(const char *s, union xlb_addr *addr)
{
	struct in_addr v4;

	if (!s || !*s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &v4) == 1) {
		xlb_addr_from_v4(addr, v4.s_addr);
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr->b) == 1) {
		/* "::ffff:a.b.c.d" written out is still an IPv4 address. */
		return 0;
	}
	return -EINVAL;
}

const char *xlb_addr_str(const union xlb_addr *addr, char *buf, size_t len)
{
	if (xlb_addr_is_v4(addr))
		inet_ntop(AF_INET, &addr->w[3], buf, len);
	else
		inet_ntop(AF_INET6, addr->b, buf, len);
	return buf;
}

int xlb_addr_cmp(const union xlb_addr *a, const union xlb_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}

int xlb_parse_u32(const char *s, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int xlb_prefix_parse(const char *s, union xlb_addr *addr, int *prefix_len)
{
	char buf[XLB_ADDR_STRLEN + 5];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	__u32 len, max;

	if (alen >= XLB_ADDR_STRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (xlb_addr_parse(buf, addr))
		return -EINVAL;
	max = xlb_addr_is_v4(addr) ? 32 : 128;
	if (!slash) {
		*prefix_len = max;
		return 0;
	}
	if (xlb_parse_u32(slash + 1, max, &len))
		return -EINVAL;
	*prefix_len = len;
	return 0;
}

int xlb_mac_parse(const char *s, __u8 mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) ||
		    !isxdigit((unsigned char)s[i * 3 + 1]) ||
		    (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		mac[i] = b[i];
	}
	return 0;
}

const char *xlb_mac_str(const __u8 mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

unsigned int xlb_addr_sockaddr(const union xlb_addr *a, __u16 port, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (xlb_addr_is_v4(a)) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = a->w[3];
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, a->b, 16);
	return sizeof(*sin6);
}
