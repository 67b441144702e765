// SPDX-License-Identifier: GPL-2.0
/* Unit tests for address, prefix, MAC and number parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "addr.h"

static void test_ipv4_is_mapped(void **state)
{
	union xlb_addr a;
	char buf[XLB_ADDR_STRLEN];

	(void)state;
	assert_int_equal(xlb_addr_parse("198.18.0.10", &a), 0);
	assert_true(xlb_addr_is_v4(&a));
	assert_int_equal(a.w[3], htonl(0xc612000a));
	assert_string_equal(xlb_addr_str(&a, buf, sizeof(buf)), "198.18.0.10");
	/* Written out IPv4-mapped, it is the same address. */
	assert_int_equal(xlb_addr_parse("::ffff:198.18.0.10", &a), 0);
	assert_true(xlb_addr_is_v4(&a));
}

static void test_ipv6(void **state)
{
	union xlb_addr a;
	char buf[XLB_ADDR_STRLEN];

	(void)state;
	assert_int_equal(xlb_addr_parse("2001:db8::1", &a), 0);
	assert_false(xlb_addr_is_v4(&a));
	assert_string_equal(xlb_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
}

static void test_bad_addresses(void **state)
{
	static const char *const bad[] = {
		"", "198.18.0", "198.18.0.256", "198.18.0.1 ", "2001:db8::g",
		"2001:db8:::1", "localhost",
	};
	union xlb_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(xlb_addr_parse(bad[i], &a), -EINVAL);
	assert_int_equal(xlb_addr_parse(NULL, &a), -EINVAL);
}

static void test_prefixes(void **state)
{
	union xlb_addr a;
	int len;

	(void)state;
	assert_int_equal(xlb_prefix_parse("198.18.255.0/24", &a, &len), 0);
	assert_int_equal(len, 24);
	assert_int_equal(xlb_prefix_parse("2001:db8::/96", &a, &len), 0);
	assert_int_equal(len, 96);
	assert_int_equal(xlb_prefix_parse("198.18.0.1", &a, &len), 0);
	assert_int_equal(len, 32);
	assert_int_equal(xlb_prefix_parse("198.18.0.0/33", &a, &len), -EINVAL);
	assert_int_equal(xlb_prefix_parse("198.18.0.0/", &a, &len), -EINVAL);
	assert_int_equal(xlb_prefix_parse("198.18.0.0/2x", &a, &len), -EINVAL);
}

static void test_macs(void **state)
{
	__u8 mac[6];
	char buf[XLB_MAC_STRLEN];

	(void)state;
	assert_int_equal(xlb_mac_parse("02:00:c6:12:01:0b", mac), 0);
	assert_string_equal(xlb_mac_str(mac, buf, sizeof(buf)), "02:00:c6:12:01:0b");
	assert_int_equal(xlb_mac_parse("02:00:c6:12:01", mac), -EINVAL);
	assert_int_equal(xlb_mac_parse("02:00:c6:12:01:0g", mac), -EINVAL);
	assert_int_equal(xlb_mac_parse("02-00-c6-12-01-0b", mac), -EINVAL);
	assert_int_equal(xlb_mac_parse("02:00:c6:12:01:0b:", mac), -EINVAL);
}

static void test_numbers(void **state)
{
	__u32 v;

	(void)state;
	assert_int_equal(xlb_parse_u32("80", 65535, &v), 0);
	assert_int_equal(v, 80);
	/* Lax parsers take "80x" as 80; this one must not. */
	assert_int_equal(xlb_parse_u32("80x", 65535, &v), -EINVAL);
	assert_int_equal(xlb_parse_u32("-1", 65535, &v), -EINVAL);
	assert_int_equal(xlb_parse_u32(" 1", 65535, &v), -EINVAL);
	assert_int_equal(xlb_parse_u32("65536", 65535, &v), -EINVAL);
	assert_int_equal(xlb_parse_u32("99999999999999999999999", UINT32_MAX, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_is_mapped),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_macs),
		cmocka_unit_test(test_numbers),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
