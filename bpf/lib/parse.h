/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Header parsing for XDP programs: Ethernet, VLAN, IPv4, IPv6, L4. */
#ifndef SENTINEL_BPF_PARSE_H
#define SENTINEL_BPF_PARSE_H

#include "../fw_shared.h"

#define ETH_P_IP_	  0x0800
#define ETH_P_IPV6_	  0x86DD
#define ETH_P_8021Q_	  0x8100
#define ETH_P_8021AD_	  0x88A8
#define ETH_HLEN_	  14
#define VLAN_HLEN_	  4
#define IPPROTO_HOPOPTS_  0
#define IPPROTO_ICMP_	  1
#define IPPROTO_TCP_	  6
#define IPPROTO_UDP_	  17
#define IPPROTO_ROUTING_  43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_	  51
#define IPPROTO_ICMPV6_	  58
#define IPPROTO_NONE_	  59
#define IPPROTO_DSTOPTS_  60
/* Bound on any header offset, so the verifier can track packet pointers. */
#define PARSE_MAX_OFF 1024

/* struct pkt.frag */
#define FRAG_NONE  0
#define FRAG_FIRST 1
#define FRAG_LATER 2

/* What the parser learned about one frame. */
struct pkt {
	__u32 len;    /* whole frame */
	__u32 l2len;  /* Ethernet + VLAN tags: offset of the L3 header */
	__u32 l3hlen; /* IPv4 header with options, or IPv6 header */
	__u32 l4off;  /* offset of the L4 header (after extension headers) */
	__u32 l3len;  /* bytes from the L3 header to the end of the frame */
	__u16 vlan;   /* innermost VLAN id, 0 if untagged */
	__u8 nvlan;
	__u8 family; /* 4 or 6, 0 for non-IP */
	__u8 proto;  /* L4 protocol after extension headers */
	__u8 tcpflags;
	__u8 frag;
	__u8 l4ok;     /* the L4 header is present and complete */
	__u16 sport;   /* host order; ICMP type */
	__u16 dport;   /* host order; ICMP code */
	__u32 tcp_seq; /* host order */
	__u32 tcp_ack;
	__u16 ip_totlen; /* IPv4 total length or IPv6 payload length + 40 */
	__u16 tcp_hlen;	 /* TCP header length with options */
	__u32 src[4];
	__u32 dst[4];
};

/*
 * Parse L4 at p->l4off.  A later fragment carries no L4 header; a first
 * fragment or a whole packet must carry a complete one for TCP, UDP, ICMP and
 * ICMPv6 (a tiny first fragment is malformed: it would hide the ports).
 * Returns 0 or -FW_ST_BAD_L4.
 */
static __always_inline int parse_l4(struct pkt *p, void *data, void *data_end)
{
	__u32 off = p->l4off;

	if (p->frag == FRAG_LATER)
		return 0;
	if (off > PARSE_MAX_OFF)
		return -FW_ST_BAD_L4;
	if (p->proto == IPPROTO_TCP_) {
		struct tcphdr *th = data + off;

		if ((void *)(th + 1) > data_end)
			return -FW_ST_BAD_L4;
		if (th->doff < 5)
			return -FW_ST_BAD_L4;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->tcpflags = ((__u8 *)th)[13];
		p->tcp_seq = bpf_ntohl(th->seq);
		p->tcp_ack = bpf_ntohl(th->ack_seq);
		p->tcp_hlen = th->doff * 4;
		p->l4ok = 1;
	} else if (p->proto == IPPROTO_UDP_) {
		struct udphdr *uh = data + off;

		if ((void *)(uh + 1) > data_end)
			return -FW_ST_BAD_L4;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		p->l4ok = 1;
	} else if (p->proto == IPPROTO_ICMP_ || p->proto == IPPROTO_ICMPV6_) {
		__u8 *ih = data + off;

		/* every ICMP message has an 8-byte header */
		if ((void *)(ih + 8) > data_end)
			return -FW_ST_BAD_L4;
		p->sport = ih[0];
		p->dport = ih[1];
		p->l4ok = 1;
	}
	return 0;
}

static __always_inline int parse_ip4(struct pkt *p, void *data, void *data_end)
{
	struct iphdr *ip = data + p->l2len;
	__u32 hlen, frag;

	if ((void *)(ip + 1) > data_end)
		return -FW_ST_BAD_IP4;
	if (ip->version != 4 || ip->ihl < 5)
		return -FW_ST_BAD_IP4;
	hlen = ip->ihl * 4;
	p->ip_totlen = bpf_ntohs(ip->tot_len);
	if (p->ip_totlen < hlen || p->ip_totlen > p->l3len)
		return -FW_ST_BAD_IP4;
	if (hlen > p->l3len)
		return -FW_ST_BAD_IP4;
	p->family = 4;
	p->l3hlen = hlen;
	p->proto = ip->protocol;
	p->src[0] = ip->saddr;
	p->dst[0] = ip->daddr;
	frag = bpf_ntohs(ip->frag_off);
	if (frag & 0x1fff)
		p->frag = FRAG_LATER;
	else if (frag & 0x2000)
		p->frag = FRAG_FIRST;
	p->l4off = p->l2len + hlen;
	return parse_l4(p, data, data_end);
}

static __always_inline int parse_ip6(struct pkt *p, void *data, void *data_end)
{
	struct ipv6hdr *ip6 = data + p->l2len;
	__u32 off, i;
	__u8 nh;

	if ((void *)(ip6 + 1) > data_end)
		return -FW_ST_BAD_IP6;
	if (ip6->version != 6)
		return -FW_ST_BAD_IP6;
	p->ip_totlen = bpf_ntohs(ip6->payload_len) + 40;
	if (p->ip_totlen > p->l3len)
		return -FW_ST_BAD_IP6;
	p->family = 6;
	p->l3hlen = 40;
	__builtin_memcpy(p->src, &ip6->saddr, 16);
	__builtin_memcpy(p->dst, &ip6->daddr, 16);
	nh = ip6->nexthdr;
	off = p->l2len + 40;

	for (i = 0; i < FW_MAX_EXTHDRS; i++) {
		__u8 *eh;

		if (nh != IPPROTO_HOPOPTS_ && nh != IPPROTO_ROUTING_ &&
		    nh != IPPROTO_DSTOPTS_ && nh != IPPROTO_FRAGMENT_ &&
		    nh != IPPROTO_AH_)
			break;
		if (off > PARSE_MAX_OFF)
			return -FW_ST_BAD_EXTHDR;
		eh = data + off;
		if ((void *)(eh + 8) > data_end)
			return -FW_ST_BAD_EXTHDR;
		if (nh == IPPROTO_FRAGMENT_) {
			__u16 fo = ((__u16)eh[2] << 8 | eh[3]);

			if (fo & 0xfff8)
				p->frag = FRAG_LATER;
			else if (fo & 1)
				p->frag = FRAG_FIRST;
			nh = eh[0];
			off += 8;
			if (p->frag == FRAG_LATER)
				break;
		} else if (nh == IPPROTO_AH_) {
			nh = eh[0];
			off += ((__u32)eh[1] + 2) * 4;
		} else {
			nh = eh[0];
			off += ((__u32)eh[1] + 1) * 8;
		}
	}
	if (i == FW_MAX_EXTHDRS &&
	    (nh == IPPROTO_HOPOPTS_ || nh == IPPROTO_ROUTING_ ||
	     nh == IPPROTO_DSTOPTS_ || nh == IPPROTO_FRAGMENT_ ||
	     nh == IPPROTO_AH_))
		return -FW_ST_BAD_EXTHDR;
	if (off > p->l2len + p->ip_totlen)
		return -FW_ST_BAD_EXTHDR;
	p->proto = nh;
	p->l4off = off;
	return parse_l4(p, data, data_end);
}

/*
 * Parse a frame.  Returns 0 for IP (p filled), 1 for a well-formed non-IP
 * frame, or -enum fw_stat naming why the frame is malformed.
 */
static __always_inline int parse_frame(struct pkt *p, void *data,
				       void *data_end)
{
	struct ethhdr *eth = data;
	__u16 proto;
	__u32 i;

	p->len = data_end - data;
	if ((void *)(eth + 1) > data_end)
		return -FW_ST_BAD_ETH;
	proto = bpf_ntohs(eth->h_proto);
	p->l2len = ETH_HLEN_;

	for (i = 0; i < 3; i++) {
		__u8 *tag;

		if (proto != ETH_P_8021Q_ && proto != ETH_P_8021AD_)
			break;
		if (i == 2)
			return -FW_ST_BAD_VLAN;
		tag = data + p->l2len;
		if ((void *)(tag + VLAN_HLEN_) > data_end)
			return -FW_ST_BAD_VLAN;
		p->vlan = ((__u16)tag[0] << 8 | tag[1]) & 0x0fff;
		proto = (__u16)tag[2] << 8 | tag[3];
		p->l2len += VLAN_HLEN_;
		p->nvlan++;
	}
	p->l3len = p->len - p->l2len;
	if (proto == ETH_P_IP_)
		return parse_ip4(p, data, data_end);
	if (proto == ETH_P_IPV6_)
		return parse_ip6(p, data, data_end);
	return 1;
}

#endif
