/* SPDX-License-Identifier: GPL-2.0-only */
/* Reference classifier: a plain linear first-match over rules, for tests. */
#ifndef SENTINEL_TEST_FW_REF_H
#define SENTINEL_TEST_FW_REF_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"

static inline bool ref_prefix(const struct fw_cidr *c, const __u32 *a,
			      int family)
{
	if (!c->family)
		return true;
	if (c->family != family)
		return false;
	for (int i = 0; i < (family == 4 ? 1 : 4); i++) {
		int bits = c->plen - 32 * i;
		__u32 m = bits <= 0    ? 0
			  : bits >= 32 ? 0xffffffff
				       : htobe32(0xffffffffu << (32 - bits));

		if ((a[i] & m) != (c->addr[i] & m))
			return false;
	}
	return true;
}

/* Does rule r match packet p?  Written from the rule semantics, not the
 * compiler: ranges compared as ranges, addresses as prefixes. */
static inline bool ref_match(const struct fw_rule *r,
			     const struct fw_pkt_fields *p)
{
	bool v4 = r->src.family == 4 || r->dst.family == 4 || r->proto == 1;
	bool v6 = r->src.family == 6 || r->dst.family == 6 || r->proto == 58;

	if ((v4 && p->family != 4) || (v6 && p->family != 6))
		return false;
	if (r->proto && r->proto != p->proto)
		return false;
	if (!ref_prefix(&r->src, p->src, p->family) ||
	    !ref_prefix(&r->dst, p->dst, p->family))
		return false;
	if (r->proto == 1 || r->proto == 58) {
		if (r->icmp_type >= 0 && r->icmp_type != p->sport)
			return false;
		if (r->icmp_code >= 0 && r->icmp_code != p->dport)
			return false;
	} else {
		if (p->sport < r->sport.lo || p->sport > r->sport.hi)
			return false;
		if (p->dport < r->dport.lo || p->dport > r->dport.hi)
			return false;
	}
	if (r->vlan >= 0 && r->vlan != p->vlan)
		return false;
	if ((p->tcpflags & r->tcp_mask) != r->tcp_value)
		return false;
	if (r->ifindex && r->ifindex != p->ifindex)
		return false;
	return true;
}

/* The winning rule (lowest priority, then earliest), or NULL. */
static inline const struct fw_rule *ref_classify(const struct fw_rule *rules,
						 size_t n,
						 const struct fw_pkt_fields *p)
{
	const struct fw_rule *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (ref_match(&rules[i], p) &&
		    (!best || rules[i].priority < best->priority))
			best = &rules[i];
	return best;
}

/* Random rules and packets over a small universe, so that they overlap. */
static inline __u32 ref_rand(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (__u32)(*s >> 11);
}

static inline void ref_random_addr(__u64 *s, int family, __u32 *a)
{
	static const __u32 pool4[] = {0x0a000001, 0x0a000102, 0x0a0001ff,
				      0xc0a80001, 0x0a800000, 0xffffffff};

	memset(a, 0, 16);
	if (family == 4) {
		a[0] = htobe32(pool4[ref_rand(s) % 6] ^ (ref_rand(s) % 4));
	} else {
		a[0] = htobe32(0x20010db8);
		a[1] = htobe32(ref_rand(s) % 3);
		a[3] = htobe32(ref_rand(s) % 5);
	}
}

/* Zero the host bits of c, as a parsed prefix has them. */
static inline void ref_clear_host(struct fw_cidr *c)
{
	for (int i = 0; i < 4; i++) {
		int bits = c->plen - 32 * i;

		if (bits <= 0)
			c->addr[i] = 0;
		else if (bits < 32)
			c->addr[i] &= htobe32(0xffffffffu << (32 - bits));
	}
}

static inline void ref_random_rule(__u64 *s, __u32 id, struct fw_rule *r)
{
	static const __u8 protos[] = {0, 6, 17, 1, 58};
	int family = ref_rand(s) % 3 == 0 ? 6 : 4;

	fw_rule_init(r);
	r->id = id;
	r->priority = ref_rand(s) % 50;
	r->action = ref_rand(s) % FW_ACT__MAX;
	r->proto = protos[ref_rand(s) % 5];
	if (r->proto == 1)
		family = 4;
	if (r->proto == 58)
		family = 6;
	/* any prefix length, any port range: the compiler must cope */
	if (ref_rand(s) % 2) {
		r->src.family = family;
		r->src.plen = ref_rand(s) % (family == 4 ? 33 : 129);
		ref_random_addr(s, family, r->src.addr);
		ref_clear_host(&r->src);
	}
	if (ref_rand(s) % 2) {
		r->dst.family = family;
		r->dst.plen = family == 4 ? 20 + ref_rand(s) % 13
					  : 56 + ref_rand(s) % 73;
		ref_random_addr(s, family, r->dst.addr);
		ref_clear_host(&r->dst);
	}
	if (r->proto == 6 || r->proto == 17) {
		if (ref_rand(s) % 2) {
			r->dport.lo = ref_rand(s) % 70;
			r->dport.hi = r->dport.lo + ref_rand(s) % 40;
		}
		if (ref_rand(s) % 4 == 0) {
			r->sport.lo = 1000 + ref_rand(s) % 50;
			r->sport.hi = r->sport.lo + ref_rand(s) % 3000;
		}
	}
	if (r->proto == 6 && ref_rand(s) % 4 == 0) {
		r->tcp_mask = 0x12;
		r->tcp_value = (ref_rand(s) % 2) ? 0x02 : 0x12;
	}
	if ((r->proto == 1 || r->proto == 58) && ref_rand(s) % 2)
		r->icmp_type = r->proto == 1 ? 8 : 128;
	if (ref_rand(s) % 6 == 0)
		r->vlan = ref_rand(s) % 3;
}

static inline void ref_random_pkt(__u64 *s, struct fw_pkt_fields *p)
{
	static const __u8 protos[] = {6, 17, 1, 58, 47};

	memset(p, 0, sizeof(*p));
	p->family = ref_rand(s) % 3 == 0 ? 6 : 4;
	p->proto = protos[ref_rand(s) % 5];
	if (p->proto == 1)
		p->family = 4;
	if (p->proto == 58)
		p->family = 6;
	ref_random_addr(s, p->family, p->src);
	ref_random_addr(s, p->family, p->dst);
	if (p->proto == 6 || p->proto == 17) {
		p->sport = ref_rand(s) % 2 ? 1000 + ref_rand(s) % 4000
					   : ref_rand(s) % 65536;
		p->dport = ref_rand(s) % 120;
	} else if (p->proto == 1 || p->proto == 58) {
		p->sport = ref_rand(s) % 2 ? (p->proto == 1 ? 8 : 128) : 0;
		p->dport = 0;
	}
	if (p->proto == 6)
		p->tcpflags = (ref_rand(s) % 2 ? 0x02 : 0) |
			      (ref_rand(s) % 2 ? 0x10 : 0);
	p->vlan = ref_rand(s) % 4 == 0 ? ref_rand(s) % 3 : 0;
}

#endif
