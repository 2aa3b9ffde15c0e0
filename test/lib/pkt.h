/* SPDX-License-Identifier: GPL-2.0-only */
/* Test packet builder: Ethernet/VLAN/IPv4/IPv6/L4 frames and reply checks. */
#ifndef SENTINEL_TEST_PKT_H
#define SENTINEL_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX_VLAN 3	/* one more than the firewall accepts */
#define PKT_MAX_EXT  12 /* more than the firewall's limit of 8 */

/* IPv6 extension headers for struct pkt_spec.ext[] (their next-header values). */
enum pkt_ext {
	PKT_EXT_HOP = 0, /* hop-by-hop options, 8 bytes (PadN) */
	PKT_EXT_ROUTING =
		43, /* routing type 0, segments left 0, one address: 24 bytes */
	PKT_EXT_FRAG = 44, /* fragment: uses frag_off and mf */
	PKT_EXT_DST = 60,  /* destination options, 16 bytes (PadN) */
	PKT_EXT_AH = 51,   /* authentication header, 24 bytes */
};

/* TCP flag bits as on the wire. */
#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10
#define PKT_TCP_URG 0x20

/*
 * What to build.  A zeroed spec plus addresses gives a TCP-less IP packet of
 * protocol 0; set proto for the L4 header.  Addresses are text: a ':' makes
 * the packet IPv6.  With neither src nor dst the frame is non-IP of type
 * ethertype.  A fragment with a nonzero offset carries only the payload (no
 * L4 header), as on the wire.
 */
struct pkt_spec {
	const uint8_t *smac, *dmac; /* 6 bytes each; NULL: fixed test MACs */
	int nvlan;		    /* 0..PKT_MAX_VLAN tags */
	uint16_t vlan_tpid
		[PKT_MAX_VLAN]; /* 0: 0x88a8 outer of two, else 0x8100 */
	uint16_t vlan_tci[PKT_MAX_VLAN]; /* outermost first */
	uint16_t ethertype;		 /* non-IP frames only */
	const char *src, *dst;
	uint8_t proto; /* L4 protocol (IPPROTO_*) */
	uint8_t ttl;   /* 0: 64 */
	/* IPv4 */
	uint8_t ip4_optlen; /* bytes of options (NOPs + EOL), multiple of 4, <= 40 */
	uint16_t ip_id;
	/* fragmentation: offset in 8-byte units (IPv4 header or IPv6 fragment header) */
	uint16_t frag_off;
	bool mf;
	bool df;
	/* IPv6 extension headers in order, then proto */
	int ext_n;
	uint8_t ext[PKT_MAX_EXT];
	/* L4 */
	uint16_t sport, dport; /* TCP/UDP */
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint16_t window;    /* 0: 65535 */
	uint8_t tcp_optlen; /* bytes of TCP options (NOPs), multiple of 4 */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	const void *payload;
	size_t paylen;
};

/* Offsets of the headers in a built frame. */
struct pkt_layout {
	size_t l3off;  /* IPv4/IPv6 header (= Ethernet + tags) */
	size_t l3hlen; /* IPv4 header with options, or 40 */
	size_t l4off;  /* after IPv6 extension headers; == len when absent */
	size_t len;
};

/*
 * Build the frame described by s into buf (cap bytes).  Returns its length,
 * or -EINVAL for a bad spec (address text, option lengths), -ENOSPC when it
 * does not fit.  ret_layout is optional.
 */
int pkt_build(const struct pkt_spec *s, void *buf, size_t cap,
	      struct pkt_layout *ret_layout);

/* What pkt_parse() found in a frame (no extension-header walk beyond the spec's kinds). */
struct pkt_info {
	uint8_t dmac[6], smac[6];
	int nvlan;
	uint16_t vlan_tpid[PKT_MAX_VLAN], vlan_tci[PKT_MAX_VLAN];
	uint16_t ethertype;		    /* after the tags */
	int family;			    /* 0, 4 or 6 */
	uint32_t src[4], dst[4];	    /* network order, IPv4 in [0] */
	size_t l3off, l3hlen, l4off, l4len; /* l4len from the IP lengths */
	uint8_t proto, ttl;
	uint16_t ip_totlen; /* IPv4 total length or IPv6 payload + 40 */
	uint16_t ip_frag;   /* IPv4 frag_off field, host order */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t tcp_flags, tcp_doff;
	uint16_t window;
	uint8_t icmp_type, icmp_code;
};

/*
 * Parse a frame (Ethernet, up to PKT_MAX_VLAN tags, IPv4 or IPv6 with the
 * extension headers above, TCP/UDP/ICMP/ICMPv6).  Returns 0 or -EINVAL when
 * the frame is truncated or inconsistent.
 */
int pkt_parse(const void *frame, size_t len, struct pkt_info *ret);

/* One's-complement sum helpers (RFC 1071). */
uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t pkt_csum_fold(uint32_t sum);

/* Is the IPv4 header checksum at ip (hlen bytes) valid?  1 yes, 0 no. */
int pkt_ip4_csum_ok(const void *ip, size_t hlen);

/*
 * Is the L4 checksum (TCP, UDP, ICMP, ICMPv6; pseudo-header where the
 * protocol has one) of the frame valid?  1 yes, 0 no, -EINVAL when the frame
 * cannot be parsed or the L4 header is not whole.
 */
int pkt_l4_csum_ok(const void *frame, size_t len);

/* Text form of an address in network order (family 4 or 6) into buf. */
const char *pkt_addr_str(int family, const uint32_t *addr, char *buf,
			 size_t len);

/* Parse address text into addr[4] (network order); returns family or -EINVAL. */
int pkt_addr_parse(const char *s, uint32_t *addr);

#endif
