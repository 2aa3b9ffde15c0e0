// SPDX-License-Identifier: GPL-2.0-only
/* Test packet builder: Ethernet/VLAN/IPv4/IPv6/L4 frames and reply checks. */
#include "pkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const uint8_t pkt_smac_def[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t pkt_dmac_def[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

#define IPPROTO_HOP_	 0
#define IPPROTO_ICMP_	 1
#define IPPROTO_TCP_	 6
#define IPPROTO_UDP_	 17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAG_	 44
#define IPPROTO_AH_	 51
#define IPPROTO_ICMPV6_	 58
#define IPPROTO_DST_	 60

uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int pkt_addr_parse(const char *s, uint32_t *addr)
{
	memset(addr, 0, 16);
	if (!s)
		return -EINVAL;
	if (strchr(s, ':'))
		return inet_pton(AF_INET6, s, addr) == 1 ? 6 : -EINVAL;
	return inet_pton(AF_INET, s, addr) == 1 ? 4 : -EINVAL;
}

const char *pkt_addr_str(int family, const uint32_t *addr, char *buf,
			 size_t len)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* Sum of the pseudo header of an L4 checksum. */
static uint32_t pseudo_sum(int family, const uint32_t *src, const uint32_t *dst,
			   uint8_t proto, uint32_t l4len)
{
	uint8_t ph[40];
	uint32_t sum;

	if (family == 4) {
		sum = pkt_csum_add(0, src, 4);
		sum = pkt_csum_add(sum, dst, 4);
		ph[0] = 0;
		ph[1] = proto;
		put16(ph + 2, (uint16_t)l4len);
		return pkt_csum_add(sum, ph, 4);
	}
	sum = pkt_csum_add(0, src, 16);
	sum = pkt_csum_add(sum, dst, 16);
	put32(ph, l4len);
	ph[4] = ph[5] = ph[6] = 0;
	ph[7] = proto;
	return pkt_csum_add(sum, ph, 8);
}

static size_t ext_len(uint8_t type)
{
	switch (type) {
	case PKT_EXT_HOP:
		return 8;
	case PKT_EXT_ROUTING:
		return 24;
	case PKT_EXT_FRAG:
		return 8;
	case PKT_EXT_DST:
		return 16;
	case PKT_EXT_AH:
		return 24;
	}
	return 0;
}

/* Write extension header type at p with next header nh. */
static void ext_write(uint8_t *p, uint8_t type, uint8_t nh,
		      const struct pkt_spec *s)
{
	size_t len = ext_len(type);

	memset(p, 0, len);
	p[0] = nh;
	switch (type) {
	case PKT_EXT_HOP:
	case PKT_EXT_DST:
		p[1] = (uint8_t)(len / 8 - 1);
		/* PadN covering the rest */
		p[2] = 1;
		p[3] = (uint8_t)(len - 4);
		break;
	case PKT_EXT_ROUTING:
		p[1] = 2;    /* (2 + 1) * 8 = 24 */
		p[2] = 0;    /* type 0 */
		p[3] = 0;    /* segments left */
		p[8] = 0x20; /* 2001:db8::99 as the one address */
		p[9] = 0x01;
		p[10] = 0x0d;
		p[11] = 0xb8;
		p[23] = 0x99;
		break;
	case PKT_EXT_FRAG:
		put16(p + 2, (uint16_t)(s->frag_off << 3 | (s->mf ? 1 : 0)));
		put32(p + 4, 0x1234 + s->ip_id);
		break;
	case PKT_EXT_AH:
		p[1] = 4;	     /* (4 + 2) * 4 = 24 */
		put32(p + 4, 0x100); /* SPI */
		put32(p + 8, 1);     /* sequence */
		break;
	}
}

/* Length of the L4 header for the spec (0 for unknown protocols). */
static size_t l4_hlen(const struct pkt_spec *s)
{
	switch (s->proto) {
	case IPPROTO_TCP_:
		return 20 + s->tcp_optlen;
	case IPPROTO_UDP_:
		return 8;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		return 8;
	}
	return 0;
}

int pkt_build(const struct pkt_spec *s, void *buf, size_t cap,
	      struct pkt_layout *ret_layout)
{
	uint32_t src[4], dst[4];
	uint8_t *b = buf, *l3, *l4;
	size_t off, l3hlen = 0, exthlen = 0, l4hlen = 0, len;
	int family = 0, i, later = 0;

	if (s->nvlan < 0 || s->nvlan > PKT_MAX_VLAN || s->ip4_optlen > 40 ||
	    s->ip4_optlen % 4 || s->tcp_optlen > 40 || s->tcp_optlen % 4 ||
	    s->ext_n < 0 || s->ext_n > PKT_MAX_EXT)
		return -EINVAL;
	if (s->src || s->dst) {
		int f2;

		family = pkt_addr_parse(s->src, src);
		f2 = pkt_addr_parse(s->dst, dst);
		if (family < 0 || f2 != family)
			return -EINVAL;
	}
	for (i = 0; i < s->ext_n; i++) {
		if (!ext_len(s->ext[i]))
			return -EINVAL;
		exthlen += ext_len(s->ext[i]);
		if (s->ext[i] == PKT_EXT_FRAG && s->frag_off)
			later = 1;
	}
	if (family == 4) {
		l3hlen = 20 + s->ip4_optlen;
		later = s->frag_off != 0;
	} else if (family == 6) {
		l3hlen = 40;
	}
	if (family && !later)
		l4hlen = l4_hlen(s);

	off = 14 + 4 * (size_t)s->nvlan;
	len = off + l3hlen + exthlen + l4hlen + s->paylen;
	if (len > cap || len > 65535)
		return -ENOSPC;
	memset(b, 0, len);

	/* Ethernet and tags */
	memcpy(b, s->dmac ? s->dmac : pkt_dmac_def, 6);
	memcpy(b + 6, s->smac ? s->smac : pkt_smac_def, 6);
	for (i = 0; i < s->nvlan; i++) {
		uint16_t tpid = s->vlan_tpid[i];

		if (!tpid)
			tpid = (s->nvlan > 1 && i == 0) ? 0x88a8 : 0x8100;
		put16(b + 12 + 4 * i, tpid);
		put16(b + 14 + 4 * i, s->vlan_tci[i]);
	}
	put16(b + off - 2, family == 4	 ? 0x0800
			   : family == 6 ? 0x86dd
					 : s->ethertype);
	l3 = b + off;
	if (!family) {
		if (s->paylen)
			memcpy(l3, s->payload, s->paylen);
		goto out;
	}

	l4 = l3 + l3hlen + exthlen;
	if (s->paylen)
		memcpy(l4 + l4hlen, s->payload, s->paylen);

	/* L4 header (checksum filled below) */
	if (l4hlen && (s->proto == IPPROTO_TCP_)) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = (uint8_t)((l4hlen / 4) << 4);
		l4[13] = s->tcp_flags;
		put16(l4 + 14, s->window ? s->window : 65535);
		memset(l4 + 20, 1, s->tcp_optlen); /* NOPs */
	} else if (l4hlen && s->proto == IPPROTO_UDP_) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, (uint16_t)(8 + s->paylen));
	} else if (l4hlen) {
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		put16(l4 + 4, s->icmp_id);
		put16(l4 + 6, s->icmp_seq);
	}

	if (family == 4) {
		uint16_t fo = s->frag_off & 0x1fff;

		l3[0] = (uint8_t)(0x40 | l3hlen / 4);
		put16(l3 + 2, (uint16_t)(len - off));
		put16(l3 + 4, s->ip_id);
		if (s->mf)
			fo |= 0x2000;
		if (s->df)
			fo |= 0x4000;
		put16(l3 + 6, fo);
		l3[8] = s->ttl ? s->ttl : 64;
		l3[9] = s->proto;
		memcpy(l3 + 12, src, 4);
		memcpy(l3 + 16, dst, 4);
		memset(l3 + 20, 1, s->ip4_optlen); /* NOPs */
		put16(l3 + 10, pkt_csum_fold(pkt_csum_add(0, l3, l3hlen)));
	} else {
		uint8_t *e = l3 + 40;

		put32(l3, 0x60000000);
		put16(l3 + 4, (uint16_t)(len - off - 40));
		l3[6] = s->ext_n ? s->ext[0] : s->proto;
		l3[7] = s->ttl ? s->ttl : 64;
		memcpy(l3 + 8, src, 16);
		memcpy(l3 + 24, dst, 16);
		for (i = 0; i < s->ext_n; i++) {
			uint8_t nh =
				i + 1 < s->ext_n ? s->ext[i + 1] : s->proto;

			ext_write(e, s->ext[i], nh, s);
			e += ext_len(s->ext[i]);
		}
	}

	if (l4hlen) {
		size_t l4len = l4hlen + s->paylen;
		uint32_t sum = 0;
		uint16_t c;
		size_t coff = s->proto == IPPROTO_TCP_	 ? 16
			      : s->proto == IPPROTO_UDP_ ? 6
							 : 2;

		if (s->proto != IPPROTO_ICMP_)
			sum = pseudo_sum(family, src, dst, s->proto,
					 (uint32_t)l4len);
		c = pkt_csum_fold(pkt_csum_add(sum, l4, l4len));
		if (s->proto == IPPROTO_UDP_ && c == 0)
			c = 0xffff;
		put16(l4 + coff, c);
	}
out:
	if (ret_layout) {
		ret_layout->l3off = off;
		ret_layout->l3hlen = l3hlen;
		ret_layout->l4off = family ? off + l3hlen + exthlen : len;
		ret_layout->len = len;
	}
	return (int)len;
}

int pkt_parse(const void *frame, size_t len, struct pkt_info *r)
{
	const uint8_t *b = frame;
	uint16_t et;
	size_t off = 14, end;
	uint8_t nh;
	int i;

	memset(r, 0, sizeof(*r));
	if (len < 14)
		return -EINVAL;
	memcpy(r->dmac, b, 6);
	memcpy(r->smac, b + 6, 6);
	et = get16(b + 12);
	while (et == 0x8100 || et == 0x88a8) {
		if (r->nvlan == PKT_MAX_VLAN || off + 4 > len)
			return -EINVAL;
		r->vlan_tpid[r->nvlan] = et;
		r->vlan_tci[r->nvlan] = get16(b + off);
		r->nvlan++;
		et = get16(b + off + 2);
		off += 4;
	}
	r->ethertype = et;
	r->l3off = off;
	if (et == 0x0800) {
		const uint8_t *ip = b + off;

		if (off + 20 > len || ip[0] >> 4 != 4)
			return -EINVAL;
		r->family = 4;
		r->l3hlen = (size_t)(ip[0] & 0xf) * 4;
		r->ip_totlen = get16(ip + 2);
		if (r->l3hlen < 20 || r->ip_totlen < r->l3hlen ||
		    off + r->ip_totlen > len)
			return -EINVAL;
		r->ip_frag = get16(ip + 6);
		r->ttl = ip[8];
		r->proto = ip[9];
		memcpy(r->src, ip + 12, 4);
		memcpy(r->dst, ip + 16, 4);
		r->l4off = off + r->l3hlen;
		if (r->ip_frag & 0x1fff)
			return 0; /* later fragment: no L4 header */
	} else if (et == 0x86dd) {
		const uint8_t *ip = b + off;

		if (off + 40 > len || ip[0] >> 4 != 6)
			return -EINVAL;
		r->family = 6;
		r->l3hlen = 40;
		r->ip_totlen = (uint16_t)(get16(ip + 4) + 40);
		if (off + r->ip_totlen > len)
			return -EINVAL;
		r->ttl = ip[7];
		memcpy(r->src, ip + 8, 16);
		memcpy(r->dst, ip + 24, 16);
		nh = ip[6];
		r->l4off = off + 40;
		for (i = 0; i < PKT_MAX_EXT; i++) {
			const uint8_t *e = b + r->l4off;

			if (nh != IPPROTO_HOP_ && nh != IPPROTO_ROUTING_ &&
			    nh != IPPROTO_DST_ && nh != IPPROTO_FRAG_ &&
			    nh != IPPROTO_AH_)
				break;
			if (r->l4off + 8 > off + r->ip_totlen)
				return -EINVAL;
			if (nh == IPPROTO_FRAG_) {
				r->l4off += 8;
				if (get16(e + 2) & 0xfff8) {
					r->proto = e[0];
					return 0;
				}
			} else if (nh == IPPROTO_AH_) {
				r->l4off += ((size_t)e[1] + 2) * 4;
			} else {
				r->l4off += ((size_t)e[1] + 1) * 8;
			}
			nh = e[0];
		}
		r->proto = nh;
	} else {
		return 0;
	}
	end = r->l3off + r->ip_totlen;
	if (r->l4off > end)
		return -EINVAL;
	r->l4len = end - r->l4off;
	{
		const uint8_t *l4 = b + r->l4off;

		switch (r->proto) {
		case IPPROTO_TCP_:
			if (r->l4len < 20)
				return -EINVAL;
			r->sport = get16(l4);
			r->dport = get16(l4 + 2);
			r->seq = get32(l4 + 4);
			r->ack = get32(l4 + 8);
			r->tcp_doff = l4[12] >> 4;
			r->tcp_flags = l4[13];
			r->window = get16(l4 + 14);
			break;
		case IPPROTO_UDP_:
			if (r->l4len < 8)
				return -EINVAL;
			r->sport = get16(l4);
			r->dport = get16(l4 + 2);
			break;
		case IPPROTO_ICMP_:
		case IPPROTO_ICMPV6_:
			if (r->l4len < 8)
				return -EINVAL;
			r->icmp_type = l4[0];
			r->icmp_code = l4[1];
			break;
		}
	}
	return 0;
}

int pkt_ip4_csum_ok(const void *ip, size_t hlen)
{
	return pkt_csum_fold(pkt_csum_add(0, ip, hlen)) == 0;
}

int pkt_l4_csum_ok(const void *frame, size_t len)
{
	const uint8_t *b = frame;
	struct pkt_info in;
	uint32_t sum = 0;
	size_t min;

	if (pkt_parse(frame, len, &in) || !in.family)
		return -EINVAL;
	if (in.family == 4 && (in.ip_frag & 0x3fff))
		return -EINVAL; /* a fragment's checksum covers the whole datagram */
	switch (in.proto) {
	case IPPROTO_TCP_:
		min = 20;
		break;
	case IPPROTO_UDP_:
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		min = 8;
		break;
	default:
		return -EINVAL;
	}
	if (in.l4len < min || in.l4off + in.l4len > len)
		return -EINVAL;
	if (in.proto == IPPROTO_UDP_ && in.family == 4 &&
	    get16(b + in.l4off + 6) == 0)
		return 1; /* no checksum */
	if (in.proto != IPPROTO_ICMP_)
		sum = pseudo_sum(in.family, in.src, in.dst, in.proto,
				 (uint32_t)in.l4len);
	return pkt_csum_fold(pkt_csum_add(sum, b + in.l4off, in.l4len)) == 0;
}
