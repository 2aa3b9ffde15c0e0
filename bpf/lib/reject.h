/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Builds TCP RST and ICMP/ICMPv6 unreachable replies in place, for XDP_TX. */
#ifndef SENTINEL_BPF_REJECT_H
#define SENTINEL_BPF_REJECT_H

#include "parse.h"

/* Longest quote of the offending packet: IPv4 header with options + 8. */
#define RJ_QUOTE_MAX 68
#define RJ_L2_MAX    (ETH_HLEN_ + 2 * VLAN_HLEN_)

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

struct rj_ip4 {
	__u8 vihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 ttl;
	__u8 proto;
	__u16 check;
	__u32 saddr;
	__u32 daddr;
};

struct rj_ip6 {
	__u32 vtcfl;
	__u16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u32 saddr[4];
	__u32 daddr[4];
};

/* Pseudo headers for the L4 checksum. */
struct rj_ph4 {
	__u32 saddr;
	__u32 daddr;
	__u8 zero;
	__u8 proto;
	__u16 len;
};

struct rj_ph6 {
	__u32 saddr[4];
	__u32 daddr[4];
	__u32 len;
	__u8 zero[3];
	__u8 nexthdr;
};

struct rj_tcp {
	__u16 source;
	__u16 dest;
	__u32 seq;
	__u32 ack_seq;
	__u8 doff;
	__u8 flags;
	__u16 window;
	__u16 check;
	__u16 urg;
};

struct rj_frame {
	__u8 l2[RJ_L2_MAX + 2];
	union {
		struct rj_ip4 ip4;
		struct rj_ip6 ip6;
	};
	union {
		struct rj_tcp tcp;
		struct {
			__u8 icmp[8];
			__u8 quote[RJ_QUOTE_MAX];
		};
	};
};

/* Swap MAC addresses in the saved L2 header (tags stay as they were). */
static __always_inline int rj_save_l2(struct xdp_md *ctx, struct pkt *p,
				      struct rj_frame *f)
{
	__u32 l2len = p->l2len;
	__u8 mac[6];

	if (l2len < ETH_HLEN_ || l2len > RJ_L2_MAX)
		return -1;
	if (bpf_xdp_load_bytes(ctx, 0, f->l2, l2len))
		return -1;
	__builtin_memcpy(mac, f->l2, 6);
	__builtin_memcpy(f->l2, f->l2 + 6, 6);
	__builtin_memcpy(f->l2 + 6, mac, 6);
	return 0;
}

static __always_inline void rj_fill_ip(struct pkt *p, struct rj_frame *f,
				       __u8 proto, __u16 l4len)
{
	if (p->family == 4) {
		__u64 sum;

		f->ip4.vihl = 0x45;
		f->ip4.tos = 0;
		f->ip4.tot_len = bpf_htons(20 + l4len);
		f->ip4.id = 0;
		f->ip4.frag_off = bpf_htons(0x4000);
		f->ip4.ttl = 64;
		f->ip4.proto = proto;
		f->ip4.check = 0;
		f->ip4.saddr = p->dst[0];
		f->ip4.daddr = p->src[0];
		sum = bpf_csum_diff(0, 0, (__be32 *)&f->ip4, 20, 0);
		f->ip4.check = csum_fold(sum);
	} else {
		f->ip6.vtcfl = bpf_htonl(0x60000000);
		f->ip6.payload_len = bpf_htons(l4len);
		f->ip6.nexthdr = proto;
		f->ip6.hop_limit = 64;
		__builtin_memcpy(f->ip6.saddr, p->dst, 16);
		__builtin_memcpy(f->ip6.daddr, p->src, 16);
	}
}

static __always_inline __u64 rj_pseudo(struct pkt *p, __u8 proto, __u16 l4len)
{
	if (p->family == 4) {
		struct rj_ph4 ph = {
			.saddr = p->dst[0],
			.daddr = p->src[0],
			.proto = proto,
			.len = bpf_htons(l4len),
		};

		return bpf_csum_diff(0, 0, (__be32 *)&ph, sizeof(ph), 0);
	} else {
		struct rj_ph6 ph = {
			.len = bpf_htonl(l4len),
			.nexthdr = proto,
		};

		__builtin_memcpy(ph.saddr, p->dst, 16);
		__builtin_memcpy(ph.daddr, p->src, 16);
		return bpf_csum_diff(0, 0, (__be32 *)&ph, sizeof(ph), 0);
	}
}

/* Resize the frame to len bytes and write the new headers into it. */
static __always_inline int rj_emit(struct xdp_md *ctx, struct pkt *p,
				   struct rj_frame *f, __u32 l4len)
{
	__u32 l2len = p->l2len, l3len = p->family == 4 ? 20 : 40;
	__u32 want = l2len + l3len + l4len;
	int delta = (int)want - (int)(ctx->data_end - ctx->data);

	if (l2len < ETH_HLEN_ || l2len > RJ_L2_MAX)
		return -1;
	/*
	 * Grow at the front (XDP guarantees headroom; a small frame on veth
	 * may have no tailroom), shrink at the tail.  Everything is rewritten
	 * from offset 0 below, from copies on the stack.
	 */
	if (delta > 0 && bpf_xdp_adjust_head(ctx, -delta))
		return -1;
	if (delta < 0 && bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	if (bpf_xdp_store_bytes(ctx, 0, f->l2, l2len))
		return -1;
	if (p->family == 4) {
		if (bpf_xdp_store_bytes(ctx, l2len, &f->ip4, 20))
			return -1;
	} else {
		if (bpf_xdp_store_bytes(ctx, l2len, &f->ip6, 40))
			return -1;
	}
	if (l4len < 8 || l4len > 8 + RJ_QUOTE_MAX)
		return -1;
	if (bpf_xdp_store_bytes(ctx, l2len + l3len, &f->tcp, l4len))
		return -1;
	return 0;
}

/*
 * Turn the frame into a TCP RST answering it (RFC 9293 3.10.7.1): seq from
 * the offending ACK, or an ACK of everything it carried.
 */
static __always_inline int rj_build_rst(struct xdp_md *ctx, struct pkt *p,
					struct rj_frame *f)
{
	__u32 seglen;
	__u64 sum;
	__u8 proto = IPPROTO_TCP_;

	if (rj_save_l2(ctx, p, f))
		return -1;
	__builtin_memset(&f->tcp, 0, sizeof(f->tcp));
	f->tcp.source = bpf_htons(p->dport);
	f->tcp.dest = bpf_htons(p->sport);
	f->tcp.doff = 5 << 4;
	if (p->tcpflags & 0x10) { /* ACK */
		f->tcp.seq = bpf_htonl(p->tcp_ack);
		f->tcp.flags = 0x04; /* RST */
	} else {
		/* payload after all L3 and TCP headers; SYN and FIN count one */
		seglen = p->ip_totlen - (p->l4off - p->l2len) - p->tcp_hlen;
		if ((int)seglen < 0)
			seglen = 0;
		f->tcp.ack_seq = bpf_htonl(p->tcp_seq + seglen +
					   ((p->tcpflags & 0x02) ? 1 : 0) +
					   ((p->tcpflags & 0x01) ? 1 : 0));
		f->tcp.flags = 0x14; /* RST|ACK */
	}
	rj_fill_ip(p, f, proto, 20);
	sum = rj_pseudo(p, proto, 20);
	sum = bpf_csum_diff(0, 0, (__be32 *)&f->tcp, 20, sum);
	f->tcp.check = csum_fold(sum);
	return rj_emit(ctx, p, f, 20);
}

/*
 * Turn the frame into an ICMP port unreachable (type 3 code 3) or ICMPv6
 * port unreachable (type 1 code 4) quoting the IP header and 8 bytes.
 */
static __always_inline int rj_build_unreach(struct xdp_md *ctx, struct pkt *p,
					    struct rj_frame *f)
{
	__u64 q = p->l3hlen + 8;
	__u8 proto = p->family == 4 ? IPPROTO_ICMP_ : IPPROTO_ICMPV6_;
	__u64 sum = 0;

	if (q > p->l3len)
		return -1;
	q &= ~3ULL;
	asm volatile("" : "+r"(q));
	if (q < 28 || q > RJ_QUOTE_MAX)
		return -1;
	if (rj_save_l2(ctx, p, f))
		return -1;
	if (bpf_xdp_load_bytes(ctx, p->l2len, f->quote, q))
		return -1;
	__builtin_memset(f->icmp, 0, 8);
	f->icmp[0] = p->family == 4 ? 3 : 1;
	f->icmp[1] = p->family == 4 ? 3 : 4;
	rj_fill_ip(p, f, proto, 8 + q);
	if (p->family == 6)
		sum = rj_pseudo(p, proto, 8 + q);
	sum = bpf_csum_diff(0, 0, (__be32 *)f->icmp, 8, sum);
	sum = bpf_csum_diff(0, 0, (__be32 *)f->quote, q, sum);
	*(__u16 *)&f->icmp[2] = csum_fold(sum);
	return rj_emit(ctx, p, f, 8 + q);
}

#endif
