// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The XDP firewall: anti-lockout, block sets, tuple-space rule search. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "fw_shared.h"
#include "lib/parse.h"
#include "lib/reject.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Active rule-set generation (index 0): flipping it is the atomic swap. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fw_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FW_GENS);
	__type(key, __u32);
	__type(value, struct fw_gen_hdr);
} fw_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FW_GENS *FW_MAX_TUPLES);
	__type(key, __u32);
	__type(value, struct fw4_tuple);
} fw_tup4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FW_GENS *FW_MAX_TUPLES);
	__type(key, __u32);
	__type(value, struct fw6_tuple);
} fw_tup6 SEC(".maps");

/*
 * The inner map definitions name struct fw_rule_val only through pointers;
 * this object makes clang emit the whole type into BTF.
 */
struct fw_rule_val fw_btf_rule_val;

/*
 * Rule hashes and candidate chains, one inner map per generation, created by
 * the loader at the size of each rule set (small sets stay in cache).
 */
struct fw_r4_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct fw4_key);
	__type(value, struct fw_rule_val);
};

struct fw_r6_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct fw6_key);
	__type(value, struct fw_rule_val);
};

struct fw_chain_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_INNER_MAP); /* inner arrays differ in size */
	__type(key, __u32);
	__type(value, struct fw_rule_val);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FW_GENS);
	__type(key, __u32);
	__array(values, struct fw_r4_inner);
} fw_rules4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FW_GENS);
	__type(key, __u32);
	__array(values, struct fw_r6_inner);
} fw_rules6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FW_GENS);
	__type(key, __u32);
	__array(values, struct fw_chain_inner);
} fw_chain SEC(".maps");

/* Per-rule counters, keyed by rule id; created by user space only. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct fw_counter);
} fw_rcnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FW_ST__MAX);
	__type(key, __u32);
	__type(value, struct fw_counter);
} fw_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fw_settings);
} fw_set SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FW_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct fw_if_settings);
} fw_ifset SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FW_MAX_MGMT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mgmt4_key);
	__type(value, struct mgmt_val);
} fw_mgmt4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FW_MAX_MGMT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mgmt6_key);
	__type(value, struct mgmt_val);
} fw_mgmt6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BS_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bs4_key);
	__type(value, struct bs_val);
} fw_bs4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BS_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bs6_key);
	__type(value, struct bs_val);
} fw_bs6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bs_plens);
} fw_bsplen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FW_RJ_SOURCES);
	__type(key, __u32[4]);
	__type(value, struct rj_bucket);
} fw_rjrl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FW_EVENTS_SIZE);
} fw_events SEC(".maps");

/*
 * Updating a map-in-map from user space waits for an RCU grace period:
 * the loader uses that to know no packet still reads the inactive generation.
 */
struct fw_sync_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fw_synci SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct fw_sync_inner);
} fw_sync SEC(".maps") = {
	.values = {&fw_synci},
};

static __always_inline void stat_add(__u32 idx, __u32 len)
{
	struct fw_counter *c = bpf_map_lookup_elem(&fw_stats, &idx);

	if (c) {
		c->packets++;
		c->bytes += len;
	}
}

/* De Bruijn table: index of a single set bit without branches. */
static const __u8 debruijn64[64] = {
	0,  1,	2,  53, 3,  7,	54, 27, 4,  38, 41, 8,	34, 55, 48, 28,
	62, 5,	39, 46, 44, 42, 22, 9,	24, 35, 59, 56, 49, 18, 29, 11,
	63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10,
	51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
};

/* The index of the single set bit of b. */
static __always_inline __u32 bit_index(__u64 b)
{
	return debruijn64[(b * 0x022FDD63CC95386DULL) >> 58];
}

static __always_inline __u32 mask32(__u32 plen)
{
	if (plen == 0)
		return 0;
	if (plen >= 32)
		return 0xffffffff;
	return bpf_htonl(0xffffffffu << (32 - plen));
}

/* Is the entry live?  An expired entry is deleted and counted. */
static __always_inline int bs_live(void *map, void *key, struct bs_val *v,
				   __u64 *now, __u32 len)
{
	if (!v->expires_ns)
		return 1;
	if (!*now)
		*now = bpf_ktime_get_boot_ns();
	if (*now < v->expires_ns)
		return 1;
	bpf_map_delete_elem(map, key);
	stat_add(FW_ST_BS_EXPIRED, len);
	return 0;
}

/*
 * Block-set lookup of the source: one hash probe per present prefix length.
 * Global (verified once, on its own) to keep the verifier's work small.
 * Returns 1 and fills *ret on a live match, else 0.
 */
__noinline int bs_lookup(struct pkt *p, struct bs_val *ret)
{
	struct bs_plens *pl;
	__u32 zero = 0, i;
	__u64 now = 0;

	if (!p || !ret)
		return 0;
	pl = bpf_map_lookup_elem(&fw_bsplen, &zero);
	if (!pl)
		return 0;
	if (p->family == 4) {
		struct bs4_key k;
		__u64 w = pl->v4;

		for (i = 0; i < 33; i++) {
			struct bs_val *v;
			__u64 low;

			if (!w)
				break;
			low = w & -w;
			w &= w - 1;
			k.plen = bit_index(low);
			k.addr = p->src[0] & mask32(k.plen);
			v = bpf_map_lookup_elem(&fw_bs4, &k);
			if (v && bs_live(&fw_bs4, &k, v, &now, p->len)) {
				*ret = *v;
				return 1;
			}
		}
		return 0;
	}

	for (__u32 word = 0; word < 3; word++) {
		__u64 w = pl->v6[word];

		for (i = 0; i < 64; i++) {
			struct bs6_key k;
			struct bs_val *v;
			__u64 low;
			__u32 plen;

			if (!w)
				break;
			low = w & -w;
			w &= w - 1;
			plen = word * 64 + bit_index(low);
			if (plen > 128)
				break;
			k.plen = plen;
			k.addr[0] = p->src[0] & mask32(plen);
			k.addr[1] =
				p->src[1] & mask32(plen > 32 ? plen - 32 : 0);
			k.addr[2] =
				p->src[2] & mask32(plen > 64 ? plen - 64 : 0);
			k.addr[3] =
				p->src[3] & mask32(plen > 96 ? plen - 96 : 0);
			v = bpf_map_lookup_elem(&fw_bs6, &k);
			if (v && bs_live(&fw_bs6, &k, v, &now, p->len)) {
				*ret = *v;
				return 1;
			}
		}
	}
	return 0;
}

/* Anti-lockout: does a management prefix (and port, if listed) cover p? */
static __always_inline int mgmt_match(struct pkt *p)
{
	struct mgmt_val *v;
	__u32 i;

	if (p->family == 4) {
		struct mgmt4_key k = {.prefixlen = 32, .addr = p->src[0]};

		v = bpf_map_lookup_elem(&fw_mgmt4, &k);
	} else {
		struct mgmt6_key k = {.prefixlen = 128};

		__builtin_memcpy(k.addr, p->src, 16);
		v = bpf_map_lookup_elem(&fw_mgmt6, &k);
	}
	if (!v)
		return 0;
	if (!v->nports)
		return 1;
	if (!p->l4ok || (p->proto != IPPROTO_TCP_ && p->proto != IPPROTO_UDP_))
		return 0;
	for (i = 0; i < FW_MGMT_PORTS; i++) {
		if (i >= v->nports)
			break;
		if (v->ports[i] == p->dport)
			return 1;
	}
	return 0;
}

/*
 * Tuple-space search.  Tuples are sorted by the best rank stored under them,
 * so the walk stops as soon as no remaining tuple can beat the best match.
 * Each probe that hits walks a rank-sorted chain of at most FW_CHAIN_MAX
 * candidates and keeps the first one whose remaining fields match.
 */
struct cls {
	__u32 ifindex;
	__u32 gen;
	__u32 ntup;
	__u32 best_rank; /* 0xffffffff: no match yet */
	__u32 rule_id;	 /* of the best match */
	__u8 action;
	__u8 flags;
	__u16 pad;
};

static __always_inline int prefix_ok(const __u32 *a, const __u32 *pfx,
				     __u32 plen, int words)
{
	for (int w = 0; w < words; w++) {
		__u32 bits = plen > 32 * w ? plen - 32 * w : 0;

		if ((a[w] & mask32(bits)) != pfx[w])
			return 0;
	}
	return 1;
}

static __always_inline int cand_ok(const struct fw_rule_val *c, struct pkt *p,
				   int words)
{
	if (p->sport < c->sport_lo || p->sport > c->sport_hi ||
	    p->dport < c->dport_lo || p->dport > c->dport_hi)
		return 0;
	if ((p->tcpflags & c->tcp_mask) != c->tcp_value)
		return 0;
	return prefix_ok(p->src, c->src, c->src_plen, words) &&
	       prefix_ok(p->dst, c->dst, c->dst_plen, words);
}

/* Global: verified once, not once per tuple-loop state. */
__noinline int chain_walk(struct cls *c, struct pkt *p, struct fw_rule_val *v,
			  int words)
{
	void *chain = NULL;

	if (!c || !p || !v)
		return 0;
	for (__u32 j = 0; j < FW_CHAIN_MAX; j++) {
		__u32 idx;

		if (v->rank >= c->best_rank)
			return 0;
		if (cand_ok(v, p, words == 4 ? 4 : 1)) {
			c->best_rank = v->rank;
			c->rule_id = v->rule_id;
			c->action = v->action;
			c->flags = v->flags;
			return 1;
		}
		if (!v->next)
			return 0;
		if (!chain) {
			chain = bpf_map_lookup_elem(&fw_chain, &c->gen);
			if (!chain)
				return 0;
		}
		idx = v->next - 1;
		v = bpf_map_lookup_elem(chain, &idx);
		if (!v)
			return 0;
	}
	return 0;
}

static __always_inline void probe4(struct cls *c, struct pkt *p, void *rules,
				   __u32 i, const struct fw4_tuple *t)
{
	struct fw_rule_val *v;
	struct fw4_key k;

	k.tuple = c->gen << FW_TUPLE_GEN_SHIFT | i;
	k.vlan = p->vlan & t->mask.vlan;
	k.ifindex = c->ifindex & t->mask.ifindex;
	k.proto = p->proto & t->mask.proto;
	k.pad0 = 0;
	k.sport = p->sport & t->mask.sport;
	k.dport = p->dport & t->mask.dport;
	k.pad = 0;
	k.src = p->src[0] & t->mask.src;
	k.dst = p->dst[0] & t->mask.dst;
	v = bpf_map_lookup_elem(rules, &k);
	if (v)
		chain_walk(c, p, v, 1);
}

static __always_inline void probe6(struct cls *c, struct pkt *p, void *rules,
				   __u32 i, const struct fw6_tuple *t)
{
	struct fw_rule_val *v;
	struct fw6_key k;

	k.tuple = c->gen << FW_TUPLE_GEN_SHIFT | i;
	k.vlan = p->vlan & t->mask.vlan;
	k.ifindex = c->ifindex & t->mask.ifindex;
	k.proto = p->proto & t->mask.proto;
	k.pad0 = 0;
	k.sport = p->sport & t->mask.sport;
	k.dport = p->dport & t->mask.dport;
	k.pad = 0;
	for (int j = 0; j < 4; j++) {
		k.src[j] = p->src[j] & t->mask.src[j];
		k.dst[j] = p->dst[j] & t->mask.dst[j];
	}
	v = bpf_map_lookup_elem(rules, &k);
	if (v)
		chain_walk(c, p, v, 4);
}

__noinline int classify4(struct pkt *p, struct cls *c)
{
	void *rules;

	if (!p || !c)
		return 0;
	rules = bpf_map_lookup_elem(&fw_rules4, &c->gen);
	if (!rules)
		return 0;
	for (__u32 i = 0; i < FW_MAX_TUPLES && i < c->ntup; i++) {
		__u32 idx = c->gen * FW_MAX_TUPLES + i;
		struct fw4_tuple *t = bpf_map_lookup_elem(&fw_tup4, &idx);

		if (!t || t->min_rank >= c->best_rank)
			break;
		probe4(c, p, rules, i, t);
	}
	return 0;
}

__noinline int classify6(struct pkt *p, struct cls *c)
{
	void *rules;

	if (!p || !c)
		return 0;
	rules = bpf_map_lookup_elem(&fw_rules6, &c->gen);
	if (!rules)
		return 0;
	for (__u32 i = 0; i < FW_MAX_TUPLES && i < c->ntup; i++) {
		__u32 idx = c->gen * FW_MAX_TUPLES + i;
		struct fw6_tuple *t = bpf_map_lookup_elem(&fw_tup6, &idx);

		if (!t || t->min_rank >= c->best_rank)
			break;
		probe6(c, p, rules, i, t);
	}
	return 0;
}

/* Classify p into c (c->best_rank stays 0xffffffff without a match). */
static __always_inline void classify(struct pkt *p, struct cls *c)
{
	if (c->ntup > FW_MAX_TUPLES)
		c->ntup = FW_MAX_TUPLES;
	if (p->family == 4)
		classify4(p, c);
	else
		classify6(p, c);
}

static __always_inline void emit_event(struct pkt *p, __u32 ifindex, __u8 type,
				       __u8 action, __u8 flags, __u32 id)
{
	struct fw_event *e;
	__u64 avail, size;

	avail = bpf_ringbuf_query(&fw_events, BPF_RB_AVAIL_DATA);
	size = bpf_ringbuf_query(&fw_events, BPF_RB_RING_SIZE);
	if (avail * 4 > size * 3) {
		stat_add(FW_ST_EV_SKIPPED, p->len);
		return;
	}
	e = bpf_ringbuf_reserve(&fw_events, sizeof(*e), 0);
	if (!e) {
		stat_add(FW_ST_EV_FAILED, p->len);
		return;
	}
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->ifindex = ifindex;
	e->rule_id = id;
	e->pkt_len = p->len;
	e->type = type;
	e->action = action;
	e->flags = flags;
	e->family = p->family;
	e->proto = p->proto;
	e->tcpflags = p->tcpflags;
	e->vlan = p->vlan;
	e->sport = p->sport;
	e->dport = p->dport;
	e->pad = 0;
	__builtin_memcpy(e->src, p->src, 16);
	__builtin_memcpy(e->dst, p->dst, 16);
	bpf_ringbuf_submit(e, 0);
	stat_add(FW_ST_EV_SENT, p->len);
}

/* GCRA per source: may this source get another reject reply now? */
static __always_inline int reject_allowed(struct pkt *p, struct fw_settings *s)
{
	struct rj_bucket *b, nb = {};
	__u64 now, cost, tol;

	if (!s->reject_pps)
		return 0;
	now = bpf_ktime_get_boot_ns();
	cost = 1000000000ULL / s->reject_pps;
	tol = cost * (s->reject_burst ? s->reject_burst : 1);
	b = bpf_map_lookup_elem(&fw_rjrl, p->src);
	if (!b) {
		nb.last_ns = now + cost;
		bpf_map_update_elem(&fw_rjrl, p->src, &nb, BPF_ANY);
		return 1;
	}
	/* last_ns is the theoretical arrival time of the next reply */
	if (b->last_ns > now + tol - cost)
		return 0;
	b->last_ns = (b->last_ns > now ? b->last_ns : now) + cost;
	return 1;
}

/* Never answer an ICMP error, a RST, a fragment, or a broadcast. */
static __always_inline int reject_eligible(struct pkt *p)
{
	if (!p->l4ok)
		return 0;
	if (p->proto == IPPROTO_TCP_)
		return !(p->tcpflags & 0x04);
	if (p->proto == IPPROTO_ICMP_)
		return p->sport == 8 || p->sport == 13 || p->sport == 15 ||
		       p->sport == 17;
	if (p->proto == IPPROTO_ICMPV6_)
		return p->sport >= 128 && p->sport != 134 && p->sport != 136;
	return p->proto == IPPROTO_UDP_;
}

/*
 * Answer p with a RST or an ICMP unreachable if allowed; returns the XDP
 * verdict.  Global, so its frame buffer is not on the caller's stack.
 */
__noinline int do_reject(struct xdp_md *ctx, struct pkt *p,
			 struct fw_settings *s, __u8 *evflags)
{
	struct rj_frame f;
	int err;

	if (!ctx || !p || !s || !evflags)
		return XDP_DROP;
	if (!reject_eligible(p) ||
	    (p->family == 4 && (p->dst[0] == 0xffffffff ||
				(bpf_ntohl(p->dst[0]) >> 28) == 0xe)) ||
	    (p->family == 6 &&
	     (p->dst[0] & bpf_htonl(0xff000000)) == bpf_htonl(0xff000000))) {
		stat_add(FW_ST_REJECT_ERR, p->len);
		return XDP_DROP;
	}
	if (!reject_allowed(p, s)) {
		*evflags |= FW_EVF_REJECT_RL;
		stat_add(FW_ST_REJECT_RL, p->len);
		return XDP_DROP;
	}
	if (p->proto == IPPROTO_TCP_)
		err = rj_build_rst(ctx, p, &f);
	else
		err = rj_build_unreach(ctx, p, &f);
	if (err) {
		stat_add(FW_ST_REJECT_ERR, p->len);
		return XDP_DROP;
	}
	*evflags |= FW_EVF_REJECT_SENT;
	stat_add(FW_ST_TX, p->len);
	return XDP_TX;
}

static __always_inline int verdict(__u32 pol, __u32 len)
{
	if (pol == FW_POLICY_DROP) {
		stat_add(FW_ST_DROP, len);
		return XDP_DROP;
	}
	stat_add(FW_ST_PASS, len);
	return XDP_PASS;
}

SEC("xdp")
int sentinel_fw(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 ifindex = ctx->ingress_ifindex, zero = 0, gen;
	struct fw_if_settings *ifs;
	struct fw_settings *s;
	struct cls c = {.best_rank = 0xffffffff};
	struct fw_gen_hdr *gh;
	struct bs_val bv;
	struct pkt p = {};
	__u32 *active;
	__u8 dry, pol, evflags = 0;
	int ret;

	s = bpf_map_lookup_elem(&fw_set, &zero);
	if (!s)
		return XDP_PASS;
	ret = parse_frame(&p, data, data_end);
	stat_add(FW_ST_RX, p.len);
	if (ret == 1) {
		stat_add(FW_ST_NON_IP, p.len);
		return verdict(FW_POLICY_PASS, p.len);
	}
	if (ret < 0) {
		stat_add(-ret, p.len);
		return verdict(s->malformed_policy, p.len);
	}
	if (p.frag == FRAG_LATER)
		stat_add(FW_ST_FRAGMENT, p.len);

	dry = s->dry_run;
	pol = s->default_policy;
	ifs = NULL;
	if (s->have & FW_HAVE_IFSET)
		ifs = bpf_map_lookup_elem(&fw_ifset, &ifindex);
	if (ifs) {
		dry |= ifs->dry_run;
		if (ifs->default_policy != FW_POLICY_INHERIT)
			pol = ifs->default_policy;
	}

	if ((s->have & (p.family == 4 ? FW_HAVE_MGMT4 : FW_HAVE_MGMT6)) &&
	    mgmt_match(&p)) {
		stat_add(FW_ST_MGMT_PASS, p.len);
		return verdict(FW_POLICY_PASS, p.len);
	}

	if (bs_lookup(&p, &bv)) {
		if (dry || (bv.flags & FW_RF_DRYRUN)) {
			emit_event(&p, ifindex, FW_EV_BLOCKSET, FW_ACT_DENY,
				   FW_EVF_DRYRUN, bv.source);
			stat_add(FW_ST_DRYRUN, p.len);
			return verdict(FW_POLICY_PASS, p.len);
		}
		stat_add(FW_ST_BS_DROP, p.len);
		emit_event(&p, ifindex, FW_EV_BLOCKSET, FW_ACT_DENY, 0,
			   bv.source);
		return verdict(FW_POLICY_DROP, p.len);
	}

	active = bpf_map_lookup_elem(&fw_active, &zero);
	if (!active)
		return verdict(pol, p.len);
	gen = *active & 1;
	gh = bpf_map_lookup_elem(&fw_gen, &gen);
	if (!gh)
		return verdict(pol, p.len);
	c.ifindex = ifindex;
	c.gen = gen;
	c.ntup = p.family == 4 ? gh->ntup4 : gh->ntup6;
	classify(&p, &c);
	if (c.best_rank == 0xffffffff) {
		if (pol == FW_POLICY_DROP && dry) {
			stat_add(FW_ST_DRYRUN, p.len);
			pol = FW_POLICY_PASS;
		}
		stat_add(pol == FW_POLICY_DROP ? FW_ST_DEFAULT_DROP
					       : FW_ST_DEFAULT_PASS,
			 p.len);
		return verdict(pol, p.len);
	}

	stat_add(FW_ST_RULE_MATCH, p.len);
	{
		struct fw_counter *rc =
			bpf_map_lookup_elem(&fw_rcnt, &c.rule_id);

		if (rc) {
			rc->packets++;
			rc->bytes += p.len;
		}
	}
	if (c.action == FW_ACT_ALLOW)
		return verdict(FW_POLICY_PASS, p.len);
	if (c.action == FW_ACT_LOG) {
		emit_event(&p, ifindex, FW_EV_RULE, FW_ACT_LOG, 0, c.rule_id);
		return verdict(FW_POLICY_PASS, p.len);
	}
	if (dry || (c.flags & FW_RF_DRYRUN)) {
		stat_add(FW_ST_DRYRUN, p.len);
		emit_event(&p, ifindex, FW_EV_RULE, c.action, FW_EVF_DRYRUN,
			   c.rule_id);
		return verdict(FW_POLICY_PASS, p.len);
	}
	if (c.action == FW_ACT_REJECT) {
		ret = do_reject(ctx, &p, s, &evflags);
		emit_event(&p, ifindex, FW_EV_RULE, FW_ACT_REJECT, evflags,
			   c.rule_id);
		if (ret == XDP_TX)
			return XDP_TX;
		return verdict(FW_POLICY_DROP, p.len);
	}
	emit_event(&p, ifindex, FW_EV_RULE, FW_ACT_DENY, 0, c.rule_id);
	return verdict(FW_POLICY_DROP, p.len);
}

/* A trivial program, the baseline that benchmarks subtract. */
SEC("xdp")
int sentinel_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
