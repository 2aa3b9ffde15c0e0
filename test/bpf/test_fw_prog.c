// SPDX-License-Identifier: GPL-2.0-only
/* BPF_PROG_TEST_RUN tests of the XDP firewall: table cases and scenarios. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fw_harness.h"
#include "tap.h"

/* ---- frame shorthands ---- */
#define V4 .src = "10.0.0.1", .dst = "10.0.0.2"
#define V6 .src = "2001:db8::1", .dst = "2001:db8::2"
#define TCPF(sp, dp, fl)                                                       \
	.proto = IPPROTO_TCP, .sport = (sp), .dport = (dp), .tcp_flags = (fl), \
	.seq = 1000
#define TCP(sp, dp) TCPF(sp, dp, PKT_TCP_SYN)
#define UDP(sp, dp) .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp)
#define ICMP4(t, c)                                                \
	.proto = IPPROTO_ICMP, .icmp_type = (t), .icmp_code = (c), \
	.icmp_id = 7, .icmp_seq = 1
#define ICMP6(t, c)                                                  \
	.proto = IPPROTO_ICMPV6, .icmp_type = (t), .icmp_code = (c), \
	.icmp_id = 7, .icmp_seq = 1
#define PAY(n) .payload = payload, .paylen = (n)

static const uint8_t payload[1024] = "sentinel test payload";

/* ---- expectation shorthands ---- */
#define HIT_DENY(id, ...)                                                 \
	.verdict = XDP_DROP,                                              \
	ST([FW_ST_DROP] = 1, [FW_ST_RULE_MATCH] = 1, [FW_ST_EV_SENT] = 1, \
	   ##__VA_ARGS__),                                                \
	.rc = {{(id), 1}}, EV1(FW_EV_RULE, FW_ACT_DENY, 0, (id))
#define HIT_LOG(id, ...)                                                  \
	.verdict = XDP_PASS,                                              \
	ST([FW_ST_PASS] = 1, [FW_ST_RULE_MATCH] = 1, [FW_ST_EV_SENT] = 1, \
	   ##__VA_ARGS__),                                                \
	.rc = {{(id), 1}}, EV1(FW_EV_RULE, FW_ACT_LOG, 0, (id))
#define HIT_ALLOW(id, ...)                                           \
	.verdict = XDP_PASS,                                         \
	ST([FW_ST_PASS] = 1, [FW_ST_RULE_MATCH] = 1, ##__VA_ARGS__), \
	.rc = {{(id), 1}}
#define MISS_PASS(id, ...)                                             \
	.verdict = XDP_PASS,                                           \
	ST([FW_ST_PASS] = 1, [FW_ST_DEFAULT_PASS] = 1, ##__VA_ARGS__), \
	.rc = {{(id), 0}}
#define HIT_DRY(id, act, ...)                                            \
	.verdict = XDP_PASS,                                             \
	ST([FW_ST_PASS] = 1, [FW_ST_RULE_MATCH] = 1, [FW_ST_DRYRUN] = 1, \
	   [FW_ST_EV_SENT] = 1, ##__VA_ARGS__),                          \
	.rc = {{(id), 1}}, EV1(FW_EV_RULE, (act), FW_EVF_DRYRUN, (id))
#define HIT_REJECT(id, kind, ...)                                       \
	.verdict = XDP_TX,                                              \
	ST([FW_ST_TX] = 1, [FW_ST_RULE_MATCH] = 1, [FW_ST_EV_SENT] = 1, \
	   ##__VA_ARGS__),                                              \
	.rc = {{(id), 1}},                                              \
	EV1(FW_EV_RULE, FW_ACT_REJECT, FW_EVF_REJECT_SENT, (id)),       \
	.reply = (kind)
#define REJECT_NOREPLY(id, ...)                                           \
	.verdict = XDP_DROP,                                              \
	ST([FW_ST_DROP] = 1, [FW_ST_RULE_MATCH] = 1, [FW_ST_EV_SENT] = 1, \
	   [FW_ST_REJECT_ERR] = 1, ##__VA_ARGS__),                        \
	.rc = {{(id), 1}}, EV1(FW_EV_RULE, FW_ACT_REJECT, 0, (id))
#define BS_HIT(src)                                                     \
	.verdict = XDP_DROP,                                            \
	ST([FW_ST_DROP] = 1, [FW_ST_BS_DROP] = 1, [FW_ST_EV_SENT] = 1), \
	EV1(FW_EV_BLOCKSET, FW_ACT_DENY, 0, (src))
#define BS_DRY(src)                                                    \
	.verdict = XDP_PASS,                                           \
	ST([FW_ST_PASS] = 1, [FW_ST_DRYRUN] = 1, [FW_ST_EV_SENT] = 1), \
	EV1(FW_EV_BLOCKSET, FW_ACT_DENY, FW_EVF_DRYRUN, (src))
#define MGMT_PASS \
	.verdict = XDP_PASS, ST([FW_ST_PASS] = 1, [FW_ST_MGMT_PASS] = 1)

/* A deny-all rule: malformed and management cases show they bypass it. */
#define DENY_ALL "id=99 prio=1000 action=deny"

/* ---- mangles for malformed frames ---- */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void ip4_fix(uint8_t *f, const struct pkt_layout *l)
{
	uint8_t *ip = f + l->l3off;
	size_t hlen = (size_t)(ip[0] & 0xf) * 4;

	if (hlen < 20)
		hlen = 20;
	put16(ip + 10, 0);
	put16(ip + 10, pkt_csum_fold(pkt_csum_add(0, ip, hlen)));
}

/* Cut the frame n bytes into L4 and make the IP lengths agree. */
static void l4_cut(uint8_t *f, size_t *len, const struct pkt_layout *l,
		   size_t n)
{
	*len = l->l4off + n;
	if ((f[l->l3off] >> 4) == 4) {
		put16(f + l->l3off + 2, (uint16_t)(*len - l->l3off));
		ip4_fix(f, l);
	} else {
		put16(f + l->l3off + 4, (uint16_t)(*len - l->l3off - 40));
	}
}

static void m_len10(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	*len = 10;
}

static void m_len16(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	*len = 16;
}

static void m_l3_10(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	*len = l->l3off + 10;
}

static void m_l3_30(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	*len = l->l3off + 30;
}

static void m_ihl4(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	f[l->l3off] = 0x44;
	ip4_fix(f, l);
}

static void m_ip4_ver6(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	f[l->l3off] = 0x65;
	ip4_fix(f, l);
}

static void m_totlen_big(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	put16(f + l->l3off + 2, (uint16_t)(*len - l->l3off + 1));
	ip4_fix(f, l);
}

static void m_totlen_small(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	put16(f + l->l3off + 2, 16);
	ip4_fix(f, l);
}

static void m_l4_8(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	l4_cut(f, len, l, 8);
}

static void m_l4_4(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	l4_cut(f, len, l, 4);
}

static void m_doff4(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	f[l->l4off + 12] = 0x40;
}

static void m_ip6_plen_big(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	put16(f + l->l3off + 4, (uint16_t)(*len - l->l3off - 40 + 1));
}

static void m_ip6_ver4(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	f[l->l3off] = 0x40 | (f[l->l3off] & 0x0f);
}

/* The first extension header claims 88 bytes, more than the packet has. */
static void m_ext_long(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	f[l->l3off + 40 + 1] = 10;
}

/* Ethernet padding after a short IPv4 packet (not malformed). */
static void m_pad(uint8_t *f, size_t *len, const struct pkt_layout *l)
{
	memset(f + *len, 0, 60 - *len);
	*len = 60;
}

/* Each malformed case twice: malformed=drop and malformed=pass. */
#define MALCASE(nm, fn, stat, ...)                                         \
	{.name = nm " (malformed=drop)",                                   \
	 .rules = {DENY_ALL},                                              \
	 .pkt = {__VA_ARGS__},                                             \
	 .mangle = (fn),                                                   \
	 .verdict = XDP_DROP,                                              \
	 ST([FW_ST_DROP] = 1, [stat] = 1),                                 \
	 .rc = {{99, 0}}},                                                 \
	{                                                                  \
		.name = nm " (malformed=pass)", .set = "malformed=pass",   \
		.rules = {DENY_ALL}, .pkt = {__VA_ARGS__}, .mangle = (fn), \
		.verdict = XDP_PASS, ST([FW_ST_PASS] = 1, [stat] = 1),     \
		.rc = { {99, 0} }                                          \
	}

#define R_PORT	"id=10 prio=10 action=deny proto=tcp dport=80"
#define R_FRAG4 "id=12 prio=20 action=log proto=tcp src=10.0.0.1/32"
#define R_FRAG6 "id=13 prio=20 action=log proto=tcp src=2001:db8::1/128"

static const struct tcase cases[] = {
	/* ---- header paths ---- */
	{.name = "plain IPv4 TCP dport 80 matched",
	 .rules = {R_PORT},
	 .pkt = {V4, TCP(1234, 80)},
	 HIT_DENY(10)},
	{.name = "plain IPv4 TCP dport 81 not matched",
	 .rules = {R_PORT},
	 .pkt = {V4, TCP(1234, 81)},
	 MISS_PASS(10)},
	{.name = "IPv4 with Ethernet padding",
	 .rules = {R_PORT},
	 .pkt = {V4, TCP(1234, 80)},
	 .mangle = m_pad,
	 HIT_DENY(10)},
	{.name = "one 802.1Q tag",
	 .rules = {R_PORT},
	 .pkt = {V4, TCP(1234, 80), .nvlan = 1, .vlan_tci = {100}},
	 HIT_DENY(10)},
	{.name = "one 802.1ad tag",
	 .rules = {R_PORT},
	 .pkt = {V4, TCP(1234, 80), .nvlan = 1, .vlan_tpid = {0x88a8},
		 .vlan_tci = {100}},
	 HIT_DENY(10)},
	{.name = "two tags 802.1ad + 802.1Q (inner id reported)",
	 .rules = {R_PORT},
	 .pkt = {V4, TCP(1234, 80), .nvlan = 2, .vlan_tci = {200, 300}},
	 HIT_DENY(10)},
	{.name = "two 802.1Q tags IPv6",
	 .rules = {R_PORT},
	 .pkt = {V6, TCP(1234, 80), .nvlan = 2, .vlan_tpid = {0x8100, 0x8100},
		 .vlan_tci = {7, 4095}},
	 HIT_DENY(10)},
	MALCASE("three VLAN tags", NULL, FW_ST_BAD_VLAN, V4, TCP(1234, 80),
		.nvlan = 3, .vlan_tci = {1, 2, 3}),
	{.name = "IPv4 with 12 bytes of options",
	 .rules = {R_PORT},
	 .pkt = {V4, TCP(1234, 80), .ip4_optlen = 12},
	 HIT_DENY(10)},
	{.name = "IPv4 with 40 bytes of options",
	 .rules = {R_PORT},
	 .pkt = {V4, TCP(1234, 80), .ip4_optlen = 40},
	 HIT_DENY(10)},
	{.name = "IPv4 first fragment matched on ports",
	 .rules = {R_PORT},
	 .pkt = {V4, TCP(1234, 80), .mf = true, PAY(64)},
	 HIT_DENY(10)},
	{.name = "IPv4 later fragment misses a port rule",
	 .rules = {R_PORT},
	 .pkt = {V4, .proto = IPPROTO_TCP, .frag_off = 185, PAY(40)},
	 MISS_PASS(10, [FW_ST_FRAGMENT] = 1)},
	{.name = "IPv4 later fragment (MF) matched by a port-less rule",
	 .rules = {R_PORT, R_FRAG4},
	 .pkt = {V4, .proto = IPPROTO_TCP, .frag_off = 8, .mf = true, PAY(64)},
	 HIT_LOG(12, [FW_ST_FRAGMENT] = 1)},
	{.name = "IPv4 tiny later fragment is not malformed",
	 .rules = {R_PORT},
	 .pkt = {V4, .proto = IPPROTO_TCP, .frag_off = 1, PAY(4)},
	 MISS_PASS(10, [FW_ST_FRAGMENT] = 1)},
	{.name = "plain IPv6 TCP",
	 .rules = {R_PORT},
	 .pkt = {V6, TCP(1234, 80)},
	 HIT_DENY(10)},
	{.name = "IPv6 hop-by-hop",
	 .rules = {R_PORT},
	 .pkt = {V6, TCP(1234, 80), .ext_n = 1, .ext = {PKT_EXT_HOP}},
	 HIT_DENY(10)},
	{.name = "IPv6 routing header (24 bytes)",
	 .rules = {R_PORT},
	 .pkt = {V6, TCP(1234, 80), .ext_n = 1, .ext = {PKT_EXT_ROUTING}},
	 HIT_DENY(10)},
	{.name = "IPv6 destination options (16 bytes)",
	 .rules = {R_PORT},
	 .pkt = {V6, TCP(1234, 80), .ext_n = 1, .ext = {PKT_EXT_DST}},
	 HIT_DENY(10)},
	{.name = "IPv6 authentication header",
	 .rules = {R_PORT},
	 .pkt = {V6, TCP(1234, 80), .ext_n = 1, .ext = {PKT_EXT_AH}},
	 HIT_DENY(10)},
	{.name = "IPv6 first fragment matched on ports",
	 .rules = {R_PORT},
	 .pkt = {V6, TCP(1234, 80), .ext_n = 1, .ext = {PKT_EXT_FRAG},
		 .mf = true, PAY(32)},
	 HIT_DENY(10)},
	{.name = "IPv6 chain hop+routing+dst+frag(first)",
	 .rules = {R_PORT},
	 .pkt = {V6, TCP(1234, 80), .ext_n = 4,
		 .ext = {PKT_EXT_HOP, PKT_EXT_ROUTING, PKT_EXT_DST,
			 PKT_EXT_FRAG},
		 .mf = true},
	 HIT_DENY(10)},
	{.name = "IPv6 8 extension headers (the limit)",
	 .rules = {R_PORT},
	 .pkt = {V6, TCP(1234, 80), .ext_n = 8,
		 .ext = {PKT_EXT_HOP, PKT_EXT_DST, PKT_EXT_ROUTING, PKT_EXT_AH,
			 PKT_EXT_DST, PKT_EXT_DST, PKT_EXT_DST, PKT_EXT_DST}},
	 HIT_DENY(10)},
	MALCASE("IPv6 9 extension headers", NULL, FW_ST_BAD_EXTHDR, V6,
		TCP(1234, 80), .ext_n = 9,
		.ext = {PKT_EXT_HOP, PKT_EXT_DST, PKT_EXT_DST, PKT_EXT_DST,
			PKT_EXT_DST, PKT_EXT_DST, PKT_EXT_DST, PKT_EXT_DST,
			PKT_EXT_DST}),
	{.name = "IPv6 later fragment misses a port rule",
	 .rules = {R_PORT},
	 .pkt = {V6, .proto = IPPROTO_TCP, .ext_n = 1, .ext = {PKT_EXT_FRAG},
		 .frag_off = 100, PAY(40)},
	 MISS_PASS(10, [FW_ST_FRAGMENT] = 1)},
	{.name = "IPv6 later fragment matched by a port-less rule",
	 .rules = {R_PORT, R_FRAG6},
	 .pkt = {V6, .proto = IPPROTO_TCP, .ext_n = 2,
		 .ext = {PKT_EXT_HOP, PKT_EXT_FRAG}, .frag_off = 100, PAY(40)},
	 HIT_LOG(13, [FW_ST_FRAGMENT] = 1)},
	{.name = "non-IP (ARP) passes despite default drop",
	 .set = "default=drop",
	 .rules = {DENY_ALL},
	 .pkt = {.ethertype = 0x0806, PAY(28)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_NON_IP] = 1),
	 .rc = {{99, 0}}},
	{.name = "non-IP behind a VLAN tag",
	 .set = "default=drop",
	 .pkt = {.ethertype = 0x88cc, .nvlan = 1, .vlan_tci = {5}, PAY(40)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_NON_IP] = 1)},

	/* ---- malformed ---- */
	MALCASE("short Ethernet (10 bytes)", m_len10, FW_ST_BAD_ETH, V4,
		TCP(1, 2)),
	MALCASE("truncated VLAN tag", m_len16, FW_ST_BAD_VLAN, V4, TCP(1, 2),
		.nvlan = 1, .vlan_tci = {9}),
	MALCASE("truncated IPv4 header (10 bytes)", m_l3_10, FW_ST_BAD_IP4, V4,
		TCP(1, 2)),
	MALCASE("IPv4 ihl 4", m_ihl4, FW_ST_BAD_IP4, V4, TCP(1, 2)),
	MALCASE("IPv4 version 6 in an IPv4 frame", m_ip4_ver6, FW_ST_BAD_IP4,
		V4, TCP(1, 2)),
	MALCASE("IPv4 tot_len beyond the frame", m_totlen_big, FW_ST_BAD_IP4,
		V4, TCP(1, 2)),
	MALCASE("IPv4 tot_len below the header", m_totlen_small, FW_ST_BAD_IP4,
		V4, TCP(1, 2)),
	MALCASE("IPv4 options beyond tot_len", m_totlen_small, FW_ST_BAD_IP4,
		V4, TCP(1, 2), .ip4_optlen = 8),
	MALCASE("truncated TCP on a first fragment", m_l4_8, FW_ST_BAD_L4, V4,
		TCP(1, 2), .mf = true),
	MALCASE("truncated TCP, unfragmented", m_l4_8, FW_ST_BAD_L4, V4,
		TCP(1, 2)),
	MALCASE("TCP doff 4", m_doff4, FW_ST_BAD_L4, V4, TCP(1, 2)),
	MALCASE("truncated UDP", m_l4_4, FW_ST_BAD_L4, V4, UDP(1, 2)),
	MALCASE("tiny ICMP (4 bytes)", m_l4_4, FW_ST_BAD_L4, V4, ICMP4(8, 0)),
	MALCASE("tiny ICMPv6 (4 bytes)", m_l4_4, FW_ST_BAD_L4, V6,
		ICMP6(128, 0)),
	MALCASE("truncated TCP in an IPv6 first fragment", m_l4_8, FW_ST_BAD_L4,
		V6, TCP(1, 2), .ext_n = 1, .ext = {PKT_EXT_FRAG}, .mf = true),
	MALCASE("truncated IPv6 header (30 bytes)", m_l3_30, FW_ST_BAD_IP6, V6,
		TCP(1, 2)),
	MALCASE("IPv6 version 4 in an IPv6 frame", m_ip6_ver4, FW_ST_BAD_IP6,
		V6, TCP(1, 2)),
	MALCASE("IPv6 payload length beyond the frame", m_ip6_plen_big,
		FW_ST_BAD_IP6, V6, TCP(1, 2)),
	MALCASE("IPv6 extension header longer than the packet", m_ext_long,
		FW_ST_BAD_EXTHDR, V6, TCP(1, 2), .ext_n = 1,
		.ext = {PKT_EXT_HOP}),
	MALCASE("IPv6 truncated hop-by-hop header", NULL, FW_ST_BAD_EXTHDR, V6,
		.proto = 0, PAY(4)),

	/* ---- match fields: protocol ---- */
	{.name = "proto udp rule vs TCP",
	 .rules = {"id=20 prio=1 action=deny proto=udp"},
	 .pkt = {V4, TCP(53, 53)},
	 MISS_PASS(20)},
	{.name = "proto udp rule vs UDP",
	 .rules = {"id=20 prio=1 action=deny proto=udp"},
	 .pkt = {V4, UDP(53, 53)},
	 HIT_DENY(20)},
	{.name = "proto 47 (GRE) numeric",
	 .rules = {"id=21 prio=1 action=deny proto=47"},
	 .pkt = {V4, .proto = 47, PAY(8)},
	 HIT_DENY(21)},
	{.name = "proto 47 rule vs UDP",
	 .rules = {"id=21 prio=1 action=deny proto=47"},
	 .pkt = {V4, UDP(1, 2)},
	 MISS_PASS(21)},
	{.name = "rule without proto matches ICMP",
	 .rules = {"id=22 prio=1 action=deny src=10.0.0.1"},
	 .pkt = {V4, ICMP4(8, 0)},
	 HIT_DENY(22)},
	{.name = "rule without address matches IPv6 too",
	 .rules = {"id=23 prio=1 action=deny proto=udp dport=53"},
	 .pkt = {V6, UDP(999, 53)},
	 HIT_DENY(23)},

	/* ---- match fields: IPv4 prefixes ---- */
	{.name = "src 10.1.0.0/16 vs 10.1.255.255",
	 .rules = {"id=30 prio=1 action=deny src=10.1.0.0/16"},
	 .pkt = {.src = "10.1.255.255", .dst = "10.0.0.2", TCP(1, 2)},
	 HIT_DENY(30)},
	{.name = "src 10.1.0.0/16 vs 10.2.0.0",
	 .rules = {"id=30 prio=1 action=deny src=10.1.0.0/16"},
	 .pkt = {.src = "10.2.0.0", .dst = "10.0.0.2", TCP(1, 2)},
	 MISS_PASS(30)},
	{.name = "src 10.1.0.0/16 vs 10.0.255.255",
	 .rules = {"id=30 prio=1 action=deny src=10.1.0.0/16"},
	 .pkt = {.src = "10.0.255.255", .dst = "10.0.0.2", TCP(1, 2)},
	 MISS_PASS(30)},
	{.name = "src /16 does not match as dst",
	 .rules = {"id=30 prio=1 action=deny src=10.1.0.0/16"},
	 .pkt = {.src = "10.0.0.2", .dst = "10.1.0.1", TCP(1, 2)},
	 MISS_PASS(30)},
	{.name = "src 192.168.2.0/23 vs 192.168.3.7",
	 .rules = {"id=31 prio=1 action=deny src=192.168.2.0/23"},
	 .pkt = {.src = "192.168.3.7", .dst = "10.0.0.2", TCP(1, 2)},
	 HIT_DENY(31)},
	{.name = "src 192.168.2.0/23 vs 192.168.4.1",
	 .rules = {"id=31 prio=1 action=deny src=192.168.2.0/23"},
	 .pkt = {.src = "192.168.4.1", .dst = "10.0.0.2", TCP(1, 2)},
	 MISS_PASS(31)},
	{.name = "src 192.168.2.0/23 vs 192.168.1.255",
	 .rules = {"id=31 prio=1 action=deny src=192.168.2.0/23"},
	 .pkt = {.src = "192.168.1.255", .dst = "10.0.0.2", TCP(1, 2)},
	 MISS_PASS(31)},
	{.name = "src host /32 exact",
	 .rules = {"id=32 prio=1 action=deny src=10.1.2.3/32"},
	 .pkt = {.src = "10.1.2.3", .dst = "10.0.0.2", TCP(1, 2)},
	 HIT_DENY(32)},
	{.name = "src host /32 neighbour",
	 .rules = {"id=32 prio=1 action=deny src=10.1.2.3/32"},
	 .pkt = {.src = "10.1.2.2", .dst = "10.0.0.2", TCP(1, 2)},
	 MISS_PASS(32)},
	{.name = "src 0.0.0.0/0 matches any IPv4",
	 .rules = {"id=33 prio=1 action=deny src=0.0.0.0/0"},
	 .pkt = {.src = "203.0.113.9", .dst = "10.0.0.2", TCP(1, 2)},
	 HIT_DENY(33)},
	{.name = "src 0.0.0.0/0 does not match IPv6",
	 .rules = {"id=33 prio=1 action=deny src=0.0.0.0/0"},
	 .pkt = {V6, TCP(1, 2)},
	 MISS_PASS(33)},
	{.name = "dst 10.9.0.0/16 vs 10.9.1.1",
	 .rules = {"id=34 prio=1 action=deny dst=10.9.0.0/16"},
	 .pkt = {.src = "10.0.0.1", .dst = "10.9.1.1", UDP(1, 2)},
	 HIT_DENY(34)},
	{.name = "dst 10.9.0.0/16 vs 10.8.1.1",
	 .rules = {"id=34 prio=1 action=deny dst=10.9.0.0/16"},
	 .pkt = {.src = "10.0.0.1", .dst = "10.8.1.1", UDP(1, 2)},
	 MISS_PASS(34)},
	{.name = "dst /16 does not match as src",
	 .rules = {"id=34 prio=1 action=deny dst=10.9.0.0/16"},
	 .pkt = {.src = "10.9.1.1", .dst = "10.0.0.2", UDP(1, 2)},
	 MISS_PASS(34)},
	{.name = "dst host /32",
	 .rules = {"id=35 prio=1 action=deny dst=10.0.0.2/32"},
	 .pkt = {V4, UDP(1, 2)},
	 HIT_DENY(35)},
	{.name = "src and dst both required (dst wrong)",
	 .rules = {"id=36 prio=1 action=deny src=10.0.0.0/24 dst=10.0.1.0/24"},
	 .pkt = {V4, UDP(1, 2)},
	 MISS_PASS(36)},
	{.name = "src and dst both required (both right)",
	 .rules = {"id=36 prio=1 action=deny src=10.0.0.0/24 dst=10.0.1.0/24"},
	 .pkt = {.src = "10.0.0.1", .dst = "10.0.1.200", UDP(1, 2)},
	 HIT_DENY(36)},

	/* ---- match fields: IPv6 prefixes ---- */
	{.name = "src 2001:db8:1::/48 vs 2001:db8:1:ffff::1",
	 .rules = {"id=40 prio=1 action=deny src=2001:db8:1::/48"},
	 .pkt = {.src = "2001:db8:1:ffff::1", .dst = "2001:db8::2", TCP(1, 2)},
	 HIT_DENY(40)},
	{.name = "src 2001:db8:1::/48 vs 2001:db8:2::1",
	 .rules = {"id=40 prio=1 action=deny src=2001:db8:1::/48"},
	 .pkt = {.src = "2001:db8:2::1", .dst = "2001:db8::2", TCP(1, 2)},
	 MISS_PASS(40)},
	{.name = "src /65 across a word boundary: inside",
	 .rules = {"id=41 prio=1 action=deny src=2001:db8:0:1:8000::/65"},
	 .pkt = {.src = "2001:db8:0:1:8000::1",
		 .dst = "2001:db8::2",
		 TCP(1, 2)},
	 HIT_DENY(41)},
	{.name = "src /65 across a word boundary: outside",
	 .rules = {"id=41 prio=1 action=deny src=2001:db8:0:1:8000::/65"},
	 .pkt = {.src = "2001:db8:0:1:7fff::1",
		 .dst = "2001:db8::2",
		 TCP(1, 2)},
	 MISS_PASS(41)},
	{.name = "src /127 vs ::11",
	 .rules = {"id=42 prio=1 action=deny src=2001:db8::10/127"},
	 .pkt = {.src = "2001:db8::11", .dst = "2001:db8::2", TCP(1, 2)},
	 HIT_DENY(42)},
	{.name = "src /127 vs ::12",
	 .rules = {"id=42 prio=1 action=deny src=2001:db8::10/127"},
	 .pkt = {.src = "2001:db8::12", .dst = "2001:db8::2", TCP(1, 2)},
	 MISS_PASS(42)},
	{.name = "src host /128 exact",
	 .rules = {"id=43 prio=1 action=deny src=2001:db8::1/128"},
	 .pkt = {V6, TCP(1, 2)},
	 HIT_DENY(43)},
	{.name = "src host /128 neighbour",
	 .rules = {"id=43 prio=1 action=deny src=2001:db8::1/128"},
	 .pkt = {.src = "2001:db8::3", .dst = "2001:db8::2", TCP(1, 2)},
	 MISS_PASS(43)},
	{.name = "src ::/0 matches any IPv6",
	 .rules = {"id=44 prio=1 action=deny src=::/0"},
	 .pkt = {.src = "fe80::1", .dst = "2001:db8::2", TCP(1, 2)},
	 HIT_DENY(44)},
	{.name = "src ::/0 does not match IPv4",
	 .rules = {"id=44 prio=1 action=deny src=::/0"},
	 .pkt = {V4, TCP(1, 2)},
	 MISS_PASS(44)},
	{.name = "dst 2001:db8:aa::/64 inside",
	 .rules = {"id=45 prio=1 action=deny dst=2001:db8:aa::/64"},
	 .pkt = {.src = "2001:db8::1", .dst = "2001:db8:aa::ffff", UDP(1, 2)},
	 HIT_DENY(45)},
	{.name = "dst 2001:db8:aa::/64 outside",
	 .rules = {"id=45 prio=1 action=deny dst=2001:db8:aa::/64"},
	 .pkt = {.src = "2001:db8::1", .dst = "2001:db8:aa:1::1", UDP(1, 2)},
	 MISS_PASS(45)},
	{.name = "dst IPv6 prefix does not match as src",
	 .rules = {"id=45 prio=1 action=deny dst=2001:db8:aa::/64"},
	 .pkt = {.src = "2001:db8:aa::1", .dst = "2001:db8::2", UDP(1, 2)},
	 MISS_PASS(45)},

	/* ---- match fields: ports ---- */
	{.name = "dport 80 vs 79",
	 .rules = {R_PORT},
	 .pkt = {V4, TCP(1234, 79)},
	 MISS_PASS(10)},
	{.name = "dport 80 rule vs sport 80",
	 .rules = {R_PORT},
	 .pkt = {V4, TCP(80, 1234)},
	 MISS_PASS(10)},
	{.name = "dport 1000-2000 vs 999",
	 .rules = {"id=50 prio=1 action=deny proto=tcp dport=1000-2000"},
	 .pkt = {V4, TCP(5, 999)},
	 MISS_PASS(50)},
	{.name = "dport 1000-2000 vs 1000",
	 .rules = {"id=50 prio=1 action=deny proto=tcp dport=1000-2000"},
	 .pkt = {V4, TCP(5, 1000)},
	 HIT_DENY(50)},
	{.name = "dport 1000-2000 vs 2000",
	 .rules = {"id=50 prio=1 action=deny proto=tcp dport=1000-2000"},
	 .pkt = {V4, TCP(5, 2000)},
	 HIT_DENY(50)},
	{.name = "dport 1000-2000 vs 2001",
	 .rules = {"id=50 prio=1 action=deny proto=tcp dport=1000-2000"},
	 .pkt = {V4, TCP(5, 2001)},
	 MISS_PASS(50)},
	{.name = "dport 1001-1999 vs 1000",
	 .rules = {"id=51 prio=1 action=deny proto=udp dport=1001-1999"},
	 .pkt = {V6, UDP(5, 1000)},
	 MISS_PASS(51)},
	{.name = "dport 1001-1999 vs 1001",
	 .rules = {"id=51 prio=1 action=deny proto=udp dport=1001-1999"},
	 .pkt = {V6, UDP(5, 1001)},
	 HIT_DENY(51)},
	{.name = "dport 1001-1999 vs 1536",
	 .rules = {"id=51 prio=1 action=deny proto=udp dport=1001-1999"},
	 .pkt = {V6, UDP(5, 1536)},
	 HIT_DENY(51)},
	{.name = "dport 1001-1999 vs 1999",
	 .rules = {"id=51 prio=1 action=deny proto=udp dport=1001-1999"},
	 .pkt = {V6, UDP(5, 1999)},
	 HIT_DENY(51)},
	{.name = "dport 1001-1999 vs 2000",
	 .rules = {"id=51 prio=1 action=deny proto=udp dport=1001-1999"},
	 .pkt = {V6, UDP(5, 2000)},
	 MISS_PASS(51)},
	{.name = "sport 1024-65535 vs 1023",
	 .rules = {"id=52 prio=1 action=deny proto=tcp sport=1024-65535"},
	 .pkt = {V4, TCP(1023, 80)},
	 MISS_PASS(52)},
	{.name = "sport 1024-65535 vs 1024",
	 .rules = {"id=52 prio=1 action=deny proto=tcp sport=1024-65535"},
	 .pkt = {V4, TCP(1024, 80)},
	 HIT_DENY(52)},
	{.name = "sport 1024-65535 vs 65535",
	 .rules = {"id=52 prio=1 action=deny proto=tcp sport=1024-65535"},
	 .pkt = {V4, TCP(65535, 80)},
	 HIT_DENY(52)},
	{.name = "dport 0-1023 vs 0",
	 .rules = {"id=53 prio=1 action=deny proto=tcp dport=0-1023"},
	 .pkt = {V4, TCP(5000, 0)},
	 HIT_DENY(53)},
	{.name = "dport 0-1023 vs 1024",
	 .rules = {"id=53 prio=1 action=deny proto=tcp dport=0-1023"},
	 .pkt = {V4, TCP(5000, 1024)},
	 MISS_PASS(53)},
	{.name = "sport and dport both (hit)",
	 .rules = {"id=54 prio=1 action=deny proto=udp sport=5353 dport=53"},
	 .pkt = {V4, UDP(5353, 53)},
	 HIT_DENY(54)},
	{.name = "sport and dport both (sport wrong)",
	 .rules = {"id=54 prio=1 action=deny proto=udp sport=5353 dport=53"},
	 .pkt = {V4, UDP(5354, 53)},
	 MISS_PASS(54)},
	{.name = "UDP port rule vs TCP same port",
	 .rules = {"id=54 prio=1 action=deny proto=udp sport=5353 dport=53"},
	 .pkt = {V4, TCP(5353, 53)},
	 MISS_PASS(54)},

	/* ---- match fields: VLAN ---- */
	{.name = "vlan 100 vs tag 100",
	 .rules = {"id=60 prio=1 action=deny vlan=100"},
	 .pkt = {V4, UDP(1, 2), .nvlan = 1, .vlan_tci = {100}},
	 HIT_DENY(60)},
	{.name = "vlan 100 vs tag 100 with PCP/DEI bits",
	 .rules = {"id=60 prio=1 action=deny vlan=100"},
	 .pkt = {V4, UDP(1, 2), .nvlan = 1, .vlan_tci = {0xf064}},
	 HIT_DENY(60)},
	{.name = "vlan 100 vs tag 101",
	 .rules = {"id=60 prio=1 action=deny vlan=100"},
	 .pkt = {V4, UDP(1, 2), .nvlan = 1, .vlan_tci = {101}},
	 MISS_PASS(60)},
	{.name = "vlan 100 vs untagged",
	 .rules = {"id=60 prio=1 action=deny vlan=100"},
	 .pkt = {V4, UDP(1, 2)},
	 MISS_PASS(60)},
	{.name = "vlan 100 vs QinQ inner 100",
	 .rules = {"id=60 prio=1 action=deny vlan=100"},
	 .pkt = {V6, UDP(1, 2), .nvlan = 2, .vlan_tci = {5, 100}},
	 HIT_DENY(60)},
	{.name = "vlan 100 vs QinQ outer 100",
	 .rules = {"id=60 prio=1 action=deny vlan=100"},
	 .pkt = {V6, UDP(1, 2), .nvlan = 2, .vlan_tci = {100, 5}},
	 MISS_PASS(60)},
	{.name = "vlan untagged vs untagged",
	 .rules = {"id=61 prio=1 action=deny vlan=untagged"},
	 .pkt = {V4, UDP(1, 2)},
	 HIT_DENY(61)},
	{.name = "vlan untagged vs tag 100",
	 .rules = {"id=61 prio=1 action=deny vlan=untagged"},
	 .pkt = {V4, UDP(1, 2), .nvlan = 1, .vlan_tci = {100}},
	 MISS_PASS(61)},

	/* ---- match fields: TCP flags ---- */
	{.name = "tcp-flags syn/syn,ack vs SYN",
	 .rules = {"id=70 prio=1 action=deny proto=tcp tcp-flags=syn/syn,ack"},
	 .pkt = {V4, TCPF(1, 2, PKT_TCP_SYN)},
	 HIT_DENY(70)},
	{.name = "tcp-flags syn/syn,ack vs SYN|ACK",
	 .rules = {"id=70 prio=1 action=deny proto=tcp tcp-flags=syn/syn,ack"},
	 .pkt = {V4, TCPF(1, 2, PKT_TCP_SYN | PKT_TCP_ACK)},
	 MISS_PASS(70)},
	{.name = "tcp-flags syn/syn,ack vs ACK",
	 .rules = {"id=70 prio=1 action=deny proto=tcp tcp-flags=syn/syn,ack"},
	 .pkt = {V6, TCPF(1, 2, PKT_TCP_ACK)},
	 MISS_PASS(70)},
	{.name = "tcp-flags syn/syn vs SYN|ACK",
	 .rules = {"id=71 prio=1 action=deny proto=tcp tcp-flags=syn/syn"},
	 .pkt = {V6, TCPF(1, 2, PKT_TCP_SYN | PKT_TCP_ACK)},
	 HIT_DENY(71)},
	{.name = "tcp-flags xmas vs FIN|PSH|URG",
	 .rules =
		 {"id=72 prio=1 action=deny proto=tcp tcp-flags=fin,psh,urg/fin,psh,urg"},
	 .pkt = {V4, TCPF(1, 2, PKT_TCP_FIN | PKT_TCP_PSH | PKT_TCP_URG)},
	 HIT_DENY(72)},
	{.name = "tcp-flags xmas vs FIN|PSH",
	 .rules =
		 {"id=72 prio=1 action=deny proto=tcp tcp-flags=fin,psh,urg/fin,psh,urg"},
	 .pkt = {V4, TCPF(1, 2, PKT_TCP_FIN | PKT_TCP_PSH)},
	 MISS_PASS(72)},

	/* ---- match fields: ICMP type/code ---- */
	{.name = "icmp-type 8 vs echo request",
	 .rules = {"id=80 prio=1 action=deny proto=icmp icmp-type=8"},
	 .pkt = {V4, ICMP4(8, 0)},
	 HIT_DENY(80)},
	{.name = "icmp-type 8 vs echo reply",
	 .rules = {"id=80 prio=1 action=deny proto=icmp icmp-type=8"},
	 .pkt = {V4, ICMP4(0, 0)},
	 MISS_PASS(80)},
	{.name = "icmp-type 8 rule vs UDP sport 8",
	 .rules = {"id=80 prio=1 action=deny proto=icmp icmp-type=8"},
	 .pkt = {V4, UDP(8, 0)},
	 MISS_PASS(80)},
	{.name = "icmp 3/3 vs 3/3",
	 .rules =
		 {"id=81 prio=1 action=deny proto=icmp icmp-type=3 icmp-code=3"},
	 .pkt = {V4, ICMP4(3, 3)},
	 HIT_DENY(81)},
	{.name = "icmp 3/3 vs 3/1",
	 .rules =
		 {"id=81 prio=1 action=deny proto=icmp icmp-type=3 icmp-code=3"},
	 .pkt = {V4, ICMP4(3, 1)},
	 MISS_PASS(81)},
	{.name = "icmpv6 type 128 vs 128",
	 .rules = {"id=82 prio=1 action=deny proto=icmpv6 icmp-type=128"},
	 .pkt = {V6, ICMP6(128, 0)},
	 HIT_DENY(82)},
	{.name = "icmpv6 type 128 vs 129",
	 .rules = {"id=82 prio=1 action=deny proto=icmpv6 icmp-type=128"},
	 .pkt = {V6, ICMP6(129, 0)},
	 MISS_PASS(82)},

	/* ---- match fields: interface ---- */
	{.name = "iface lo matches ingress lo",
	 .rules = {"id=90 prio=1 action=deny iface=lo"},
	 .pkt = {V4, UDP(1, 2)},
	 HIT_DENY(90)},
	{.name = "rule on another ifindex does not match",
	 .rules = {"id=91 prio=1 action=deny ifindex=999999"},
	 .pkt = {V4, UDP(1, 2)},
	 MISS_PASS(91)},

	/* ---- priority ---- */
	{.name = "lower priority value wins though listed later",
	 .rules = {"id=1 prio=20 action=deny proto=tcp",
		   "id=2 prio=10 action=allow proto=tcp dport=80"},
	 .pkt = {V4, TCP(1, 80)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_RULE_MATCH] = 1),
	 .rc = {{2, 1}, {1, 0}}},
	{.name = "lower priority value wins when listed first",
	 .rules = {"id=2 prio=10 action=allow proto=tcp dport=80",
		   "id=1 prio=20 action=deny proto=tcp"},
	 .pkt = {V4, TCP(1, 80)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_RULE_MATCH] = 1),
	 .rc = {{2, 1}, {1, 0}}},
	{.name = "equal priority: earlier (allow) wins",
	 .rules = {"id=1 prio=10 action=allow proto=tcp",
		   "id=2 prio=10 action=deny proto=tcp dport=80"},
	 .pkt = {V6, TCP(1, 80)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_RULE_MATCH] = 1),
	 .rc = {{1, 1}, {2, 0}}},
	{.name = "equal priority: earlier (deny) wins",
	 .rules = {"id=2 prio=10 action=deny proto=tcp dport=80",
		   "id=1 prio=10 action=allow proto=tcp"},
	 .pkt = {V6, TCP(1, 80)},
	 HIT_DENY(2),
	 .rc = {{2, 1}, {1, 0}}},
	{.name = "more specific rule with a higher priority value loses",
	 .rules =
		 {"id=1 prio=10 action=allow proto=tcp",
		  "id=2 prio=20 action=deny proto=tcp src=10.0.0.1/32 dst=10.0.0.2/32 dport=80 tcp-flags=syn/syn"},
	 .pkt = {V4, TCP(1, 80)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_RULE_MATCH] = 1),
	 .rc = {{1, 1}, {2, 0}}},
	{.name = "non-matching better rule does not shadow",
	 .rules = {"id=1 prio=1 action=allow proto=tcp dport=443",
		   "id=2 prio=5 action=log proto=tcp",
		   "id=3 prio=9 action=deny"},
	 .pkt = {V4, TCP(1, 80)},
	 HIT_LOG(2),
	 .rc = {{2, 1}, {1, 0}, {3, 0}}},

	{.name = "a worse match in an earlier tuple does not stop the search",
	 .rules = {"id=1 prio=1 action=allow proto=tcp dport=443",
		   "id=2 prio=2 action=log proto=tcp",
		   "id=3 prio=3 action=deny proto=tcp dport=80"},
	 .pkt = {V4, TCP(1, 80)},
	 HIT_LOG(2),
	 .rc = {{2, 1}, {1, 0}, {3, 0}}},
	{.name = "a worse match in an earlier tuple does not stop the search (v6)",
	 .rules = {"id=1 prio=1 action=allow proto=tcp dport=443",
		   "id=2 prio=2 action=log proto=tcp",
		   "id=3 prio=3 action=deny proto=tcp dport=80"},
	 .pkt = {V6, TCP(1, 80)},
	 HIT_LOG(2),
	 .rc = {{2, 1}, {1, 0}, {3, 0}}},
	{.name = "a later tuple's worse match does not replace a better one",
	 .rules = {"id=1 prio=1 action=allow proto=tcp dport=443",
		   "id=2 prio=2 action=log proto=udp",
		   "id=3 prio=3 action=deny proto=tcp dport=80",
		   "id=4 prio=4 action=log proto=tcp"},
	 .pkt = {V4, TCP(1, 80)},
	 HIT_DENY(3),
	 .rc = {{3, 1}, {4, 0}, {1, 0}, {2, 0}}},
	{.name = "overlapping port ranges: better rank wins",
	 .rules = {"id=1 prio=5 action=deny proto=tcp dport=1-1000",
		   "id=2 prio=1 action=log proto=tcp dport=500-600"},
	 .pkt = {V4, TCP(1, 550)},
	 HIT_LOG(2),
	 .rc = {{2, 1}, {1, 0}}},
	{.name = "overlapping port ranges: outside the better one",
	 .rules = {"id=1 prio=5 action=deny proto=tcp dport=1-1000",
		   "id=2 prio=1 action=log proto=tcp dport=500-600"},
	 .pkt = {V4, TCP(1, 601)},
	 HIT_DENY(1),
	 .rc = {{1, 1}, {2, 0}}},

	/* ---- actions ---- */
	{.name = "allow",
	 .set = "default=drop",
	 .rules = {"id=5 prio=1 action=allow proto=udp"},
	 .pkt = {V4, UDP(1, 2)},
	 HIT_ALLOW(5)},
	{.name = "deny",
	 .rules = {"id=5 prio=1 action=deny proto=udp"},
	 .pkt = {V4, UDP(1, 2)},
	 HIT_DENY(5)},
	{.name = "log (QinQ IPv6 UDP event fields)",
	 .set = "default=drop",
	 .rules = {"id=5 prio=1 action=log proto=udp"},
	 .pkt = {V6, UDP(4242, 53), .nvlan = 2, .vlan_tci = {10, 20}},
	 HIT_LOG(5)},
	{.name = "reject TCP SYN v4: RST|ACK ack=seq+1",
	 .rules = {"id=6 prio=1 action=reject proto=tcp"},
	 .pkt = {V4, TCP(40000, 80)},
	 HIT_REJECT(6, REPLY_RST)},
	{.name = "reject TCP ACK v4: RST seq=ack",
	 .rules = {"id=6 prio=1 action=reject proto=tcp"},
	 .pkt = {V4, TCPF(40000, 80, PKT_TCP_ACK | PKT_TCP_PSH), .ack = 5555,
		 PAY(10)},
	 HIT_REJECT(6, REPLY_RST)},
	{.name = "reject TCP FIN+payload: ack=seq+len+1",
	 .rules = {"id=6 prio=1 action=reject proto=tcp"},
	 .pkt = {V4, TCPF(40000, 80, PKT_TCP_FIN | PKT_TCP_PSH),
		 .seq = 0xfffffff0, PAY(100)},
	 HIT_REJECT(6, REPLY_RST)},
	{.name = "reject TCP v4 with IP and TCP options and a VLAN tag",
	 .rules = {"id=6 prio=1 action=reject proto=tcp"},
	 .pkt = {V4, TCP(40000, 80), .ip4_optlen = 8, .tcp_optlen = 12,
		 .nvlan = 1, .vlan_tci = {33}, PAY(5)},
	 HIT_REJECT(6, REPLY_RST)},
	{.name = "reject TCP v6 with destination options",
	 .rules = {"id=6 prio=1 action=reject proto=tcp"},
	 .pkt = {V6, TCP(40000, 80), .ext_n = 1, .ext = {PKT_EXT_DST},
		 .tcp_optlen = 20, PAY(20)},
	 HIT_REJECT(6, REPLY_RST)},
	{.name = "reject TCP ACK v6 QinQ",
	 .rules = {"id=6 prio=1 action=reject proto=tcp"},
	 .pkt = {V6, TCPF(40000, 80, PKT_TCP_ACK), .ack = 123456789, .nvlan = 2,
		 .vlan_tci = {1, 2}},
	 HIT_REJECT(6, REPLY_RST)},
	{.name = "reject UDP v4: ICMP port unreachable",
	 .rules = {"id=7 prio=1 action=reject proto=udp"},
	 .pkt = {V4, UDP(5000, 53), PAY(30)},
	 HIT_REJECT(7, REPLY_UNREACH)},
	{.name = "reject UDP v4 without payload (frame grows)",
	 .rules = {"id=7 prio=1 action=reject proto=udp"},
	 .pkt = {V4, UDP(5000, 53)},
	 HIT_REJECT(7, REPLY_UNREACH)},
	{.name = "reject UDP v4 with 40 bytes of options (68-byte quote)",
	 .rules = {"id=7 prio=1 action=reject proto=udp"},
	 .pkt = {V4, UDP(5000, 53), .ip4_optlen = 40, PAY(200)},
	 HIT_REJECT(7, REPLY_UNREACH)},
	{.name = "reject UDP v6: ICMPv6 port unreachable",
	 .rules = {"id=7 prio=1 action=reject proto=udp"},
	 .pkt = {V6, UDP(5000, 53), PAY(30)},
	 HIT_REJECT(7, REPLY_UNREACH)},
	{.name = "reject UDP v6 with a VLAN tag",
	 .rules = {"id=7 prio=1 action=reject proto=udp"},
	 .pkt = {V6, UDP(5000, 53), .nvlan = 1, .vlan_tci = {77}, PAY(300)},
	 HIT_REJECT(7, REPLY_UNREACH)},
	{.name = "reject of an ICMP error: drop, no reply",
	 .rules = {"id=8 prio=1 action=reject"},
	 .pkt = {V4, ICMP4(3, 1), PAY(28)},
	 REJECT_NOREPLY(8)},
	{.name = "reject of an ICMPv6 error: drop, no reply",
	 .rules = {"id=8 prio=1 action=reject"},
	 .pkt = {V6, ICMP6(1, 4), PAY(48)},
	 REJECT_NOREPLY(8)},
	{.name = "reject of a RST: drop, no reply",
	 .rules = {"id=8 prio=1 action=reject"},
	 .pkt = {V4, TCPF(1, 80, PKT_TCP_RST)},
	 REJECT_NOREPLY(8)},
	{.name = "reject of a RST|ACK v6: drop, no reply",
	 .rules = {"id=8 prio=1 action=reject"},
	 .pkt = {V6, TCPF(1, 80, PKT_TCP_RST | PKT_TCP_ACK)},
	 REJECT_NOREPLY(8)},
	{.name = "reject to broadcast: drop, no reply",
	 .rules = {"id=8 prio=1 action=reject"},
	 .pkt = {.src = "10.0.0.1", .dst = "255.255.255.255", UDP(68, 67)},
	 REJECT_NOREPLY(8)},
	{.name = "reject to IPv4 multicast: drop, no reply",
	 .rules = {"id=8 prio=1 action=reject"},
	 .pkt = {.src = "10.0.0.1", .dst = "224.0.0.251", UDP(5353, 5353)},
	 REJECT_NOREPLY(8)},
	{.name = "reject to IPv6 multicast: drop, no reply",
	 .rules = {"id=8 prio=1 action=reject"},
	 .pkt = {.src = "fe80::1", .dst = "ff02::fb", UDP(5353, 5353)},
	 REJECT_NOREPLY(8)},
	{.name = "reject of a later fragment: drop, no reply",
	 .rules = {"id=8 prio=1 action=reject"},
	 .pkt = {V4, .proto = IPPROTO_UDP, .frag_off = 20, PAY(40)},
	 REJECT_NOREPLY(8, [FW_ST_FRAGMENT] = 1)},
	{.name = "reject with reject-pps=0: drop, rate-limited",
	 .set = "reject-pps=0",
	 .rules = {"id=8 prio=1 action=reject"},
	 .pkt = {V4, TCP(1, 80)},
	 .verdict = XDP_DROP,
	 ST([FW_ST_DROP] = 1, [FW_ST_RULE_MATCH] = 1, [FW_ST_EV_SENT] = 1,
	    [FW_ST_REJECT_RL] = 1),
	 .rc = {{8, 1}},
	 EV1(FW_EV_RULE, FW_ACT_REJECT, FW_EVF_REJECT_RL, 8)},

	/* ---- default policy ---- */
	{.name = "default pass",
	 .pkt = {V4, UDP(1, 2)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_DEFAULT_PASS] = 1)},
	{.name = "default drop",
	 .set = "default=drop",
	 .rules = {R_PORT},
	 .pkt = {V4, UDP(1, 2)},
	 .verdict = XDP_DROP,
	 ST([FW_ST_DROP] = 1, [FW_ST_DEFAULT_DROP] = 1),
	 .rc = {{10, 0}}},
	{.name = "default drop IPv6 with no rules",
	 .set = "default=drop",
	 .pkt = {V6, ICMP6(128, 0)},
	 .verdict = XDP_DROP,
	 ST([FW_ST_DROP] = 1, [FW_ST_DEFAULT_DROP] = 1)},
	{.name = "interface override drop (global pass)",
	 .ifset = {"1 default=drop"},
	 .pkt = {V4, UDP(1, 2)},
	 .verdict = XDP_DROP,
	 ST([FW_ST_DROP] = 1, [FW_ST_DEFAULT_DROP] = 1)},
	{.name = "interface override pass (global drop)",
	 .set = "default=drop",
	 .ifset = {"1 default=pass"},
	 .pkt = {V4, UDP(1, 2)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_DEFAULT_PASS] = 1)},
	{.name = "override of another interface is ignored",
	 .set = "default=drop",
	 .ifset = {"999999 default=pass"},
	 .pkt = {V4, UDP(1, 2)},
	 .verdict = XDP_DROP,
	 ST([FW_ST_DROP] = 1, [FW_ST_DEFAULT_DROP] = 1)},

	/* ---- dry-run ---- */
	{.name = "global dry-run: deny would drop",
	 .set = "dry-run=1",
	 .rules = {"id=9 prio=1 action=deny proto=udp"},
	 .pkt = {V4, UDP(1, 2)},
	 HIT_DRY(9, FW_ACT_DENY)},
	{.name = "per-rule dry-run: deny would drop",
	 .rules = {"id=9 prio=1 action=deny proto=udp dry-run"},
	 .pkt = {V6, UDP(1, 2)},
	 HIT_DRY(9, FW_ACT_DENY)},
	{.name = "per-rule dry-run does not leak to other rules",
	 .rules = {"id=9 prio=1 action=deny proto=udp dry-run",
		   "id=11 prio=2 action=deny proto=tcp"},
	 .pkt = {V4, TCP(1, 2)},
	 HIT_DENY(11),
	 .rc = {{11, 1}, {9, 0}}},
	{.name = "per-interface dry-run: deny would drop",
	 .ifset = {"1 default=pass dry-run=1"},
	 .rules = {"id=9 prio=1 action=deny proto=udp"},
	 .pkt = {V4, UDP(1, 2)},
	 HIT_DRY(9, FW_ACT_DENY)},
	{.name = "dry-run of another interface is ignored",
	 .ifset = {"999999 default=pass dry-run=1"},
	 .rules = {"id=9 prio=1 action=deny proto=udp"},
	 .pkt = {V4, UDP(1, 2)},
	 HIT_DENY(9)},
	{.name = "global dry-run: reject would drop, no reply",
	 .set = "dry-run=1",
	 .rules = {"id=9 prio=1 action=reject proto=tcp"},
	 .pkt = {V4, TCP(1, 2)},
	 HIT_DRY(9, FW_ACT_REJECT)},
	{.name = "per-rule dry-run: reject would drop, no reply",
	 .rules = {"id=9 prio=1 action=reject proto=udp dry-run"},
	 .pkt = {V6, UDP(1, 2)},
	 HIT_DRY(9, FW_ACT_REJECT)},
	{.name = "global dry-run leaves log alone",
	 .set = "dry-run=1",
	 .rules = {"id=9 prio=1 action=log proto=udp"},
	 .pkt = {V4, UDP(1, 2)},
	 HIT_LOG(9)},
	{.name = "global dry-run: default drop would drop",
	 .set = "default=drop dry-run=1",
	 .pkt = {V4, UDP(1, 2)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_DRYRUN] = 1, [FW_ST_DEFAULT_PASS] = 1)},

	/* ---- anti-lockout ---- */
	{.name = "management prefix passes before a deny-all rule",
	 .mgmt = {"10.0.0.0/24"},
	 .rules = {DENY_ALL},
	 .pkt = {V4, TCP(1, 22)},
	 MGMT_PASS,
	 .rc = {{99, 0}}},
	{.name = "management prefix passes before default drop",
	 .set = "default=drop",
	 .mgmt = {"10.0.0.1"},
	 .pkt = {V4, UDP(1, 2)},
	 MGMT_PASS},
	{.name = "management prefix passes before a block set",
	 .mgmt = {"10.0.0.1/32"},
	 .blocks = {"10.0.0.0/8 source=7"},
	 .pkt = {V4, TCP(1, 22)},
	 MGMT_PASS},
	{.name = "management port list: listed port passes",
	 .mgmt = {"10.0.0.0/24 22,443"},
	 .rules = {DENY_ALL},
	 .pkt = {V4, TCP(50000, 443)},
	 MGMT_PASS,
	 .rc = {{99, 0}}},
	{.name = "management port list: UDP to a listed port passes",
	 .mgmt = {"10.0.0.0/24 22,443"},
	 .rules = {DENY_ALL},
	 .pkt = {V4, UDP(50000, 22)},
	 MGMT_PASS,
	 .rc = {{99, 0}}},
	{.name = "management port list: other port is not exempt",
	 .mgmt = {"10.0.0.0/24 22,443"},
	 .rules = {DENY_ALL},
	 .pkt = {V4, TCP(50000, 80)},
	 HIT_DENY(99)},
	{.name = "management port list: source port does not count",
	 .mgmt = {"10.0.0.0/24 22,443"},
	 .rules = {DENY_ALL},
	 .pkt = {V4, TCP(22, 80)},
	 HIT_DENY(99)},
	{.name = "management port list: ICMP is not exempt",
	 .mgmt = {"10.0.0.0/24 22"},
	 .rules = {DENY_ALL},
	 .pkt = {V4, ICMP4(8, 0)},
	 HIT_DENY(99)},
	{.name = "management prefix: other source is not exempt",
	 .mgmt = {"10.0.0.0/24"},
	 .rules = {DENY_ALL},
	 .pkt = {.src = "10.0.1.1", .dst = "10.0.0.2", TCP(1, 22)},
	 HIT_DENY(99)},
	{.name = "management IPv6 prefix passes",
	 .mgmt = {"2001:db8::/64"},
	 .rules = {DENY_ALL},
	 .pkt = {V6, TCP(1, 22)},
	 MGMT_PASS,
	 .rc = {{99, 0}}},
	{.name = "management IPv6 prefix: other source",
	 .mgmt = {"2001:db8::/64"},
	 .rules = {DENY_ALL},
	 .pkt = {.src = "2001:db8:0:1::1", .dst = "2001:db8::2", TCP(1, 22)},
	 HIT_DENY(99)},

	/* ---- block sets ---- */
	{.name = "block v4 /32 hit",
	 .blocks = {"10.0.0.1 source=7"},
	 .pkt = {V4, TCP(1, 2)},
	 BS_HIT(7)},
	{.name = "block v4 /24 hit",
	 .blocks = {"10.0.0.0/24 source=8"},
	 .pkt = {V4, UDP(1, 2)},
	 BS_HIT(8)},
	{.name = "block v4 /24 miss",
	 .blocks = {"10.0.1.0/24 source=8"},
	 .pkt = {V4, UDP(1, 2)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_DEFAULT_PASS] = 1)},
	{.name = "block matches the source, not the destination",
	 .blocks = {"10.0.0.2 source=8"},
	 .pkt = {V4, UDP(1, 2)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_DEFAULT_PASS] = 1)},
#define BS_MULTI                                                           \
	{                                                                  \
		"192.0.2.0/24 source=1", "10.0.0.0/8 source=2",            \
			"172.16.5.5/32 source=3", "198.18.0.0/15 source=4" \
	}
	{.name = "block several lengths: /8",
	 .blocks = BS_MULTI,
	 .pkt = {.src = "10.200.0.1", .dst = "10.0.0.2", UDP(1, 2)},
	 BS_HIT(2)},
	{.name = "block several lengths: /15",
	 .blocks = BS_MULTI,
	 .pkt = {.src = "198.19.255.1", .dst = "10.0.0.2", UDP(1, 2)},
	 BS_HIT(4)},
	{.name = "block several lengths: /24",
	 .blocks = BS_MULTI,
	 .pkt = {.src = "192.0.2.200", .dst = "10.0.0.2", UDP(1, 2)},
	 BS_HIT(1)},
	{.name = "block several lengths: /32",
	 .blocks = BS_MULTI,
	 .pkt = {.src = "172.16.5.5", .dst = "10.0.0.2", UDP(1, 2)},
	 BS_HIT(3)},
	{.name = "block several lengths: miss next to /32",
	 .blocks = BS_MULTI,
	 .pkt = {.src = "172.16.5.4", .dst = "10.0.0.2", UDP(1, 2)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_DEFAULT_PASS] = 1)},
	{.name = "block several lengths: miss next to /15",
	 .blocks = BS_MULTI,
	 .pkt = {.src = "198.20.0.1", .dst = "10.0.0.2", UDP(1, 2)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_DEFAULT_PASS] = 1)},
	{.name = "block 0.0.0.0/0 blocks all IPv4",
	 .blocks = {"0.0.0.0/0 source=9"},
	 .pkt = {.src = "203.0.113.1", .dst = "10.0.0.2", UDP(1, 2)},
	 BS_HIT(9)},
	{.name = "block 0.0.0.0/0 leaves IPv6 alone",
	 .blocks = {"0.0.0.0/0 source=9"},
	 .pkt = {V6, UDP(1, 2)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_DEFAULT_PASS] = 1)},
	{.name = "block v6 /128 hit",
	 .blocks = {"2001:db8::1 source=10"},
	 .pkt = {V6, TCP(1, 2)},
	 BS_HIT(10)},
	{.name = "block v6 /64 hit",
	 .blocks = {"2001:db8::/64 source=11", "2001:db8:5::/48 source=12"},
	 .pkt = {.src = "2001:db8::ffff:1", .dst = "2001:db8::2", UDP(1, 2)},
	 BS_HIT(11)},
	{.name = "block v6 /48 hit",
	 .blocks = {"2001:db8::/64 source=11", "2001:db8:5::/48 source=12"},
	 .pkt = {.src = "2001:db8:5:7::1", .dst = "2001:db8::2", UDP(1, 2)},
	 BS_HIT(12)},
	{.name = "block v6 /33 hit",
	 .blocks = {"2001:db8:8000::/33 source=13"},
	 .pkt = {.src = "2001:db8:ffff::1", .dst = "2001:db8::2", UDP(1, 2)},
	 BS_HIT(13)},
	{.name = "block v6 /33 miss",
	 .blocks = {"2001:db8:8000::/33 source=13"},
	 .pkt = {.src = "2001:db8:7fff::1", .dst = "2001:db8::2", UDP(1, 2)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_DEFAULT_PASS] = 1)},
	{.name = "block v6 /100 hit",
	 .blocks = {"2001:db8::a:b:c000:0/100 source=14"},
	 .pkt = {.src = "2001:db8::a:b:cfff:1",
		 .dst = "2001:db8::2",
		 UDP(1, 2)},
	 BS_HIT(14)},
	{.name = "block v6 /100 miss",
	 .blocks = {"2001:db8::a:b:c000:0/100 source=14"},
	 .pkt = {.src = "2001:db8::a:b:d000:1",
		 .dst = "2001:db8::2",
		 UDP(1, 2)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_DEFAULT_PASS] = 1)},
	{.name = "block v6 entry leaves IPv4 alone",
	 .blocks = {"::/0 source=15"},
	 .pkt = {V4, UDP(1, 2)},
	 .verdict = XDP_PASS,
	 ST([FW_ST_PASS] = 1, [FW_ST_DEFAULT_PASS] = 1)},
	{.name = "block beats an allow rule",
	 .blocks = {"10.0.0.1 source=16"},
	 .rules = {"id=17 prio=1 action=allow"},
	 .pkt = {V4, UDP(1, 2)},
	 BS_HIT(16),
	 .rc = {{17, 0}}},
	{.name = "block dry-run entry",
	 .blocks = {"10.0.0.1 source=18 dry-run"},
	 .pkt = {V4, UDP(1, 2)},
	 BS_DRY(18)},
	{.name = "block under global dry-run",
	 .set = "dry-run=1",
	 .blocks = {"2001:db8::/32 source=19"},
	 .pkt = {V6, UDP(1, 2)},
	 BS_DRY(19)},
	{.name = "block under per-interface dry-run",
	 .ifset = {"1 default=pass dry-run=1"},
	 .blocks = {"10.0.0.0/8 source=20"},
	 .pkt = {V4, UDP(1, 2)},
	 BS_DRY(20)},
};

/* ---- scenarios ---- */

static int build(const struct pkt_spec *s, uint8_t *f, size_t *len)
{
	int n = pkt_build(s, f, FRAME_MAX, NULL);

	if (n < 0) {
		tap_fail("test bug: pkt_build = %d", n);
		return n;
	}
	*len = (size_t)n;
	return 0;
}

static int stats(struct env *e, struct fw_counter *c)
{
	int err = fw_stats_read(&e->m, c);

	if (err)
		tap_fail("fw_stats_read = %d", err);
	return err;
}

#define DELTA(a, b, st) ((a)[st].packets - (b)[st].packets)

/* reject-pps=1 burst=1: the second reply from one source is suppressed. */
static void test_ratelimit(struct env *e)
{
	static const char *const rules[] = {
		"id=6 prio=1 action=reject proto=tcp"};
	struct pkt_spec s1 = {V4, TCP(1000, 80)};
	struct pkt_spec s2 = {
		.src = "10.0.0.9", .dst = "10.0.0.2", TCP(1000, 80)};
	struct fw_counter b[FW_ST__MAX], a[FW_ST__MAX];
	uint8_t f1[FRAME_MAX], f2[FRAME_MAX], out[FRAME_MAX];
	size_t l1, l2, ol;
	__u32 v;
	int i;

	if (env_reset(e) || env_settings(e, "reject-pps=1 reject-burst=1") ||
	    env_rules(e, rules, 1) || build(&s1, f1, &l1) ||
	    build(&s2, f2, &l2))
		goto end;
	for (i = 0; i < 3; i++) {
		const uint8_t *f = i == 2 ? f2 : f1;
		size_t l = i == 2 ? l2 : l1;
		int want = i == 1 ? XDP_DROP : XDP_TX;
		__u8 wflags = i == 1 ? FW_EVF_REJECT_RL : FW_EVF_REJECT_SENT;

		if (stats(e, b))
			goto end;
		env_drain(e);
		if (env_run(e, f, l, LO_IFINDEX, &v, out, &ol)) {
			tap_fail("test run failed");
			goto end;
		}
		if (stats(e, a))
			goto end;
		ring_buffer__consume(e->rb);
		if ((int)v != want)
			tap_fail("frame %d: verdict %s, want %s", i,
				 verdict_name((int)v), verdict_name(want));
		if (DELTA(a, b, FW_ST_REJECT_RL) != (i == 1))
			tap_fail("frame %d: reject_ratelimited +%llu, want +%d",
				 i,
				 (unsigned long long)DELTA(a, b,
							   FW_ST_REJECT_RL),
				 i == 1);
		if (DELTA(a, b, FW_ST_TX) != (i != 1))
			tap_fail("frame %d: tx +%llu", i,
				 (unsigned long long)DELTA(a, b, FW_ST_TX));
		if (e->nev != 1)
			tap_fail("frame %d: %zu events, want 1", i, e->nev);
		else if (e->ev[0].flags != wflags)
			tap_fail("frame %d: event flags %#x, want %#x", i,
				 e->ev[0].flags, wflags);
	}
end:
	tap_end("reject rate limit: pps=1 burst=1 suppresses the 2nd reply per source");
}

/* An entry with a 1 ns lifetime is expired when the packet arrives. */
static void test_expiry(struct env *e, int v6)
{
	struct pkt_spec s = {V4, UDP(1, 2)}, s6 = {V6, UDP(1, 2)};
	struct bs_entry be = {.ttl_ns = 1, .source = 33};
	struct fw_counter b[FW_ST__MAX], a[FW_ST__MAX];
	uint8_t f[FRAME_MAX], out[FRAME_MAX];
	struct bs4_key k4 = {.plen = 32};
	struct bs6_key k6 = {.plen = 128};
	struct bs_val val;
	size_t l, ol;
	__u32 v;
	int i, err;

	if (env_reset(e) || build(v6 ? &s6 : &s, f, &l))
		goto end;
	if ((err = fw_cidr_parse(v6 ? "2001:db8::1/128" : "10.0.0.1/32",
				 &be.cidr)) ||
	    (err = bs_add(&e->m, &be, 1))) {
		tap_fail("adding the entry: %d", err);
		goto end;
	}
	pkt_addr_parse(v6 ? s6.src : s.src, k6.addr);
	k4.addr = k6.addr[0];
	if ((v6 ? bpf_map_lookup_elem(e->m.bs6, &k6, &val)
		: bpf_map_lookup_elem(e->m.bs4, &k4, &val))) {
		tap_fail("entry not in the map after bs_add (errno %d)", errno);
		goto end;
	}
	usleep(1000);
	for (i = 0; i < 2; i++) {
		if (stats(e, b))
			goto end;
		if (env_run(e, f, l, LO_IFINDEX, &v, out, &ol)) {
			tap_fail("test run failed");
			goto end;
		}
		if (stats(e, a))
			goto end;
		ring_buffer__consume(e->rb);
		if (v != XDP_PASS)
			tap_fail("frame %d: verdict %s, want PASS", i,
				 verdict_name((int)v));
		if (DELTA(a, b, FW_ST_BS_EXPIRED) != (i == 0))
			tap_fail("frame %d: bs_expired +%llu, want +%d", i,
				 (unsigned long long)DELTA(a, b,
							   FW_ST_BS_EXPIRED),
				 i == 0);
		if (DELTA(a, b, FW_ST_BS_DROP) ||
		    DELTA(a, b, FW_ST_DEFAULT_PASS) != 1)
			tap_fail("frame %d: bs_drop +%llu default_pass +%llu",
				 i,
				 (unsigned long long)DELTA(a, b, FW_ST_BS_DROP),
				 (unsigned long long)DELTA(a, b,
							   FW_ST_DEFAULT_PASS));
		if (e->nev)
			tap_fail("frame %d: %zu events, want 0", i, e->nev);
		env_drain(e);
		if (i == 0) {
			int r = v6 ? bpf_map_lookup_elem(e->m.bs6, &k6, &val)
				   : bpf_map_lookup_elem(e->m.bs4, &k4, &val);

			if (!r || errno != ENOENT)
				tap_fail("expired entry still in the map");
		}
	}
	/* a live entry with a long ttl still drops */
	be.ttl_ns = 3600ULL * 1000000000ULL;
	if ((err = bs_add(&e->m, &be, 1))) {
		tap_fail("re-adding the entry: %d", err);
		goto end;
	}
	if (env_run(e, f, l, LO_IFINDEX, &v, out, &ol) || v != XDP_DROP)
		tap_fail("entry with a 1 h ttl: verdict %s, want DROP",
			 verdict_name((int)v));
end:
	tap_end(v6 ? "block-set expiry IPv6: expired entry passes, is counted and deleted"
		   : "block-set expiry IPv4: expired entry passes, is counted and deleted");
}

/* Fill the ring over 75% without reading: the rest is skipped, not lost. */
static void test_backpressure(struct env *e)
{
	static const char *const rules[] = {"id=4 prio=1 action=log"};
	const __u32 frames = 100000;
	struct pkt_spec s = {V4, UDP(1, 2)};
	struct fw_counter b[FW_ST__MAX], a[FW_ST__MAX];
	uint8_t f[FRAME_MAX];
	__u64 sent, skipped, failed, want_sent, rec;
	size_t l, got = 0;
	__u32 v, done = 0;
	int n;

	if (env_reset(e) || env_rules(e, rules, 1) || build(&s, f, &l) ||
	    stats(e, b))
		goto end;
	while (done < frames) {
		__u32 chunk = frames - done > 10000 ? 10000 : frames - done;

		if (env_run_repeat(e, f, l, LO_IFINDEX, chunk, &v)) {
			tap_fail("test run failed");
			goto end;
		}
		done += chunk;
	}
	if (stats(e, a))
		goto end;
	sent = DELTA(a, b, FW_ST_EV_SENT);
	skipped = DELTA(a, b, FW_ST_EV_SKIPPED);
	failed = DELTA(a, b, FW_ST_EV_FAILED);
	/* a record is the event plus an 8-byte header, 8-byte aligned */
	rec = (sizeof(struct fw_event) + 8 + 7) & ~7ULL;
	want_sent = (FW_EVENTS_SIZE / 4 * 3) / rec + 1;
	if (v != XDP_PASS)
		tap_fail("verdict %s, want PASS", verdict_name((int)v));
	if (sent + skipped + failed != frames)
		tap_fail(
			"events_sent %llu + events_skipped %llu + events_failed %llu != %u frames",
			(unsigned long long)sent, (unsigned long long)skipped,
			(unsigned long long)failed, frames);
	if (!skipped)
		tap_fail("events_skipped did not increase");
	if (failed)
		tap_fail(
			"events_failed +%llu, want 0 (the 75%% cut-off should come first)",
			(unsigned long long)failed);
	if (sent != want_sent)
		tap_fail(
			"events_sent %llu, want %llu (ring of %u bytes cut at 75%%, %llu-byte records)",
			(unsigned long long)sent, (unsigned long long)want_sent,
			FW_EVENTS_SIZE, (unsigned long long)rec);
	if (DELTA(a, b, FW_ST_RULE_MATCH) != frames)
		tap_fail("rule_match +%llu, want %u",
			 (unsigned long long)DELTA(a, b, FW_ST_RULE_MATCH),
			 frames);
	e->nev = 0;
	while ((n = ring_buffer__consume(e->rb)) > 0)
		got += (size_t)n;
	if (e->nev != sent)
		tap_fail("read %zu events from the ring, events_sent says %llu",
			 e->nev, (unsigned long long)sent);
	e->nev = 0;
	/* once drained, events flow again */
	if (stats(e, b) || env_run_repeat(e, f, l, LO_IFINDEX, 1, &v) ||
	    stats(e, a))
		goto end;
	if (DELTA(a, b, FW_ST_EV_SENT) != 1)
		tap_fail("after draining: events_sent +%llu, want 1",
			 (unsigned long long)DELTA(a, b, FW_ST_EV_SENT));
	env_drain(e);
end:
	tap_end("event backpressure: ring over 75% skips events, sent+skipped == frames");
}

/* ---- atomic swap ---- */

static const char *const swap_a[] = {
	"id=101 prio=10 action=deny proto=tcp dport=80",
	"id=102 prio=20 action=log proto=udp",
	"id=199 prio=100 action=log",
};
static const char *const swap_b[] = {
	"id=201 prio=10 action=log proto=tcp dport=80",
	"id=202 prio=20 action=deny proto=udp",
	"id=299 prio=100 action=deny",
};

struct swapper {
	struct fw_maps *m;
	struct fw_set *a, *b;
	atomic_int stop;
	atomic_long swaps;
	int err;
	char msg[FW_ERR_LEN];
};

static void *swap_thread(void *arg)
{
	struct swapper *sw = arg;
	int i = 0;

	while (!atomic_load(&sw->stop)) {
		int r = fw_set_apply(sw->m, (i & 1) ? sw->a : sw->b, sw->msg,
				     sizeof(sw->msg));

		if (r) {
			sw->err = r;
			break;
		}
		atomic_fetch_add(&sw->swaps, 1);
		i++;
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * One thread flips between rule sets A and B while packets run.  Both end
 * in a catch-all and the default is drop, so a packet judged by a torn or
 * empty set would show up as default_drop or as an impossible
 * (verdict, rule) pair.  Every rule emits or implies exactly one event.
 */
static void test_swap(struct env *e)
{
	struct pkt_spec specs[3] = {
		{V4, TCP(1000, 80)},
		{V6, UDP(1000, 53)},
		{V4, ICMP4(8, 0)},
	};
	/* per frame: (rule id, verdict) under A, then under B */
	static const struct {
		__u32 ida;
		int va;
		__u32 idb;
		int vb;
	} want[3] = {
		{101, XDP_DROP, 201, XDP_PASS},
		{102, XDP_PASS, 202, XDP_DROP},
		{199, XDP_PASS, 299, XDP_DROP},
	};
	struct swapper sw = {.m = &e->m};
	struct fw_counter b[FW_ST__MAX], a[FW_ST__MAX];
	uint8_t f[3][FRAME_MAX], out[FRAME_MAX];
	size_t l[3], ol;
	unsigned long frames = 0, by_a = 0, by_b = 0, bad = 0;
	pthread_t th;
	double t0;
	int i, started = 0;

	if (env_reset(e) || env_settings(e, "default=drop"))
		goto end;
	for (i = 0; i < 3; i++)
		if (build(&specs[i], f[i], &l[i]))
			goto end;
	if (env_compile(swap_a, 3, &sw.a) || env_compile(swap_b, 3, &sw.b))
		goto end;
	if (fw_set_apply(&e->m, sw.a, sw.msg, sizeof(sw.msg))) {
		tap_fail("fw_set_apply: %s", sw.msg);
		goto end;
	}
	env_drain(e);
	if (stats(e, b))
		goto end;
	if (pthread_create(&th, NULL, swap_thread, &sw)) {
		tap_fail("pthread_create failed");
		goto end;
	}
	started = 1;
	t0 = now_s();
	while (now_s() - t0 < 20) {
		__u32 v;

		i = (int)(frames % 3);
		if (env_run(e, f[i], l[i], LO_IFINDEX, &v, out, &ol)) {
			tap_fail("test run failed");
			break;
		}
		e->nev = 0;
		ring_buffer__consume(e->rb);
		frames++;
		if (e->nev != 1) {
			if (bad++ < 3)
				tap_fail("frame %lu: %zu events, want 1",
					 frames, e->nev);
		} else if (e->ev[0].rule_id == want[i].ida &&
			   (int)v == want[i].va) {
			by_a++;
		} else if (e->ev[0].rule_id == want[i].idb &&
			   (int)v == want[i].vb) {
			by_b++;
		} else if (bad++ < 3) {
			tap_fail(
				"frame %lu (kind %d): rule %u verdict %s is neither A nor B",
				frames, i, e->ev[0].rule_id,
				verdict_name((int)v));
		}
		if (frames >= 30000 && atomic_load(&sw.swaps) >= 40)
			break;
		if (sw.err)
			break;
	}
	atomic_store(&sw.stop, 1);
	pthread_join(th, NULL);
	started = 0;
	if (sw.err)
		tap_fail("fw_set_apply in the loop = %d: %s", sw.err, sw.msg);
	if (stats(e, a))
		goto end;
	if (DELTA(a, b, FW_ST_DEFAULT_DROP) || DELTA(a, b, FW_ST_DEFAULT_PASS))
		tap_fail("default_drop +%llu default_pass +%llu, want 0",
			 (unsigned long long)DELTA(a, b, FW_ST_DEFAULT_DROP),
			 (unsigned long long)DELTA(a, b, FW_ST_DEFAULT_PASS));
	if (DELTA(a, b, FW_ST_RULE_MATCH) != frames)
		tap_fail("rule_match +%llu, want %lu frames",
			 (unsigned long long)DELTA(a, b, FW_ST_RULE_MATCH),
			 frames);
	if (DELTA(a, b, FW_ST_RX) != frames)
		tap_fail("rx +%llu, want %lu",
			 (unsigned long long)DELTA(a, b, FW_ST_RX), frames);
	if (bad > 3)
		tap_fail("%lu bad frames in all", bad);
	if (atomic_load(&sw.swaps) < 10)
		tap_fail("only %ld swaps happened", atomic_load(&sw.swaps));
	if (!by_a || !by_b)
		tap_fail("frames judged by A %lu, by B %lu: both must occur",
			 by_a, by_b);
	printf("# swap: %lu frames (A %lu, B %lu), %ld swaps\n", frames, by_a,
	       by_b, atomic_load(&sw.swaps));
end:
	if (started) {
		atomic_store(&sw.stop, 1);
		pthread_join(th, NULL);
	}
	fw_set_free(sw.a);
	fw_set_free(sw.b);
	env_drain(e);
	tap_end("atomic swap: every frame judged wholly by A or by B");
}

/* ---- invalid rule sets ---- */

enum bad_kind {
	BAD_ICMP_PORTS,
	BAD_MIXED_FAMILY,
	BAD_DUP_ID,
	BAD_FLAGS_UDP,
	BAD_ICMP_TCP,
	BAD_PORT_ORDER,
	BAD_VLAN,
	BAD_ACTION,
	BAD_PLEN,
	BAD_ID_ZERO,
};

static const struct {
	enum bad_kind kind;
	const char *name;
	const char *fields[4]; /* the message must name one of these */
} bad_sets[] = {
	{BAD_ICMP_PORTS, "ports with proto icmp", {"port"}},
	{BAD_MIXED_FAMILY, "src IPv4 with dst IPv6", {"src", "dst", "famil"}},
	{BAD_DUP_ID, "duplicate id", {"id", "duplicate"}},
	{BAD_FLAGS_UDP,
	 "tcp-flags with proto udp",
	 {"tcp-flags", "tcp_flags", "flags"}},
	{BAD_ICMP_TCP, "icmp-type with proto tcp", {"icmp"}},
	{BAD_PORT_ORDER, "port range lo > hi", {"port"}},
	{BAD_VLAN, "vlan 4096", {"vlan"}},
	{BAD_ACTION, "unknown action", {"action"}},
	{BAD_PLEN, "IPv4 prefix length 33", {"src", "prefix", "plen"}},
	{BAD_ID_ZERO, "rule id 0", {"id"}},
};

static void bad_rules(enum bad_kind k, struct fw_rule *r, size_t *n)
{
	struct fw_rule *x = &r[1];

	fw_rule_init(&r[0]);
	r[0].id = 1;
	r[0].priority = 1;
	r[0].action = FW_ACT_ALLOW;
	fw_rule_init(x);
	x->id = 4242;
	x->priority = 2;
	x->action = FW_ACT_DENY;
	*n = 2;
	switch (k) {
	case BAD_ICMP_PORTS:
		x->proto = IPPROTO_ICMP;
		x->dport.lo = x->dport.hi = 80;
		break;
	case BAD_MIXED_FAMILY:
		fw_cidr_parse("10.0.0.0/8", &x->src);
		fw_cidr_parse("2001:db8::/32", &x->dst);
		break;
	case BAD_DUP_ID:
		r[2] = *x;
		r[2].priority = 3;
		r[2].proto = IPPROTO_UDP;
		*n = 3;
		break;
	case BAD_FLAGS_UDP:
		x->proto = IPPROTO_UDP;
		x->tcp_mask = x->tcp_value = PKT_TCP_SYN;
		break;
	case BAD_ICMP_TCP:
		x->proto = IPPROTO_TCP;
		x->icmp_type = 8;
		break;
	case BAD_PORT_ORDER:
		x->proto = IPPROTO_TCP;
		x->dport.lo = 2000;
		x->dport.hi = 1000;
		break;
	case BAD_VLAN:
		x->vlan = 4096;
		break;
	case BAD_ACTION:
		x->action = 7;
		break;
	case BAD_PLEN:
		fw_cidr_parse("10.0.0.0/8", &x->src);
		x->src.plen = 33;
		break;
	case BAD_ID_ZERO:
		x->id = 0;
		break;
	}
}

static void test_bad_sets(struct env *e)
{
	static const char *const good[] = {"id=5 prio=1 action=deny proto=udp"};
	struct pkt_spec s = {V4, UDP(1, 2)};
	uint8_t f[FRAME_MAX], out[FRAME_MAX];
	struct fw_rule r[3];
	size_t l, ol, i, n;
	char name[128];
	__u32 v;

	if (env_reset(e) || env_rules(e, good, 1) || build(&s, f, &l)) {
		tap_end("invalid rule sets: setup");
		return;
	}
	for (i = 0; i < sizeof(bad_sets) / sizeof(bad_sets[0]); i++) {
		char err[FW_ERR_LEN] = "", idstr[16];
		struct fw_set *set = NULL;
		int rc, named = 0, j;

		bad_rules(bad_sets[i].kind, r, &n);
		rc = fw_set_compile(r, n, &set, err, sizeof(err));
		if (rc >= 0) {
			tap_fail("fw_set_compile = %d, want an error", rc);
			fw_set_free(set);
		} else {
			snprintf(idstr, sizeof(idstr), "%u", r[1].id);
			if (!strstr(err, idstr))
				tap_fail("message \"%s\" does not name rule %s",
					 err, idstr);
			for (j = 0; j < 4 && bad_sets[i].fields[j]; j++)
				if (strcasestr(err, bad_sets[i].fields[j]))
					named = 1;
			if (!named)
				tap_fail(
					"message \"%s\" does not name the field (%s)",
					err, bad_sets[i].fields[0]);
			if (rc != -EINVAL)
				tap_fail("fw_set_compile = %d, want -EINVAL",
					 rc);
		}
		/* the active set is untouched */
		if (env_run(e, f, l, LO_IFINDEX, &v, out, &ol) || v != XDP_DROP)
			tap_fail("old rule set no longer applies: verdict %s",
				 verdict_name((int)v));
		env_drain(e);
		snprintf(name, sizeof(name),
			 "invalid rule set rejected: %s (%s)", bad_sets[i].name,
			 err);
		tap_end(name);
	}
}

int main(int argc, char **argv)
{
	struct env e;
	size_t i;
	int err;

	if (geteuid() != 0) {
		printf("SKIP: BPF_PROG_TEST_RUN of XDP needs root\n");
		return 77;
	}
	err = env_init(&e);
	if (err) {
		printf("SKIP: cannot load the firewall (BPF unavailable?): %s\n",
		       strerror(-err));
		return 77;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		env_run_case(&e, &cases[i]);
	test_ratelimit(&e);
	test_expiry(&e, 0);
	test_expiry(&e, 1);
	test_bad_sets(&e);
	test_backpressure(&e);
	test_swap(&e);
	env_fini(&e);
	return tap_finish();
}
