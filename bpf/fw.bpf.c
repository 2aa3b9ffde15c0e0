// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The XDP firewall: fast path, anti-lockout, block sets, tuple-space search. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "fw_shared.h"
#include "lib/parse.h"
#include "lib/reject.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * The activation counter (index 0): its low bit names the active
 * generation, and the loader adds one to switch.  A frame reads it before
 * and after classifying: the loader rewrites a generation in place only
 * after switching away from it, so an unchanged counter proves the frame
 * read a whole, unchanging set (see gen_stable).
 */
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

/* Verdicts per interface: slot = ifindex (see FW_IF_SLOTS). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FW_IF_SLOTS);
	__type(key, __u32);
	__type(value, struct fw_if_val);
} fw_ifcnt SEC(".maps");

/* The fast path and prefilter of each generation (struct fw_pf_gen). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FW_GENS);
	__type(key, __u32);
	__type(value, struct fw_pf_gen);
} fw_pf SEC(".maps");

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

/* Scratch space of do_reject(): the reply is built here, not on the stack
 * (the classifier's frame and the reply's would not fit in 512 bytes). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rj_frame);
} fw_rjbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FW_EVENTS_SIZE);
} fw_events SEC(".maps");

static __always_inline void stat_add(__u32 idx, __u32 len)
{
	struct fw_counter *c = bpf_map_lookup_elem(&fw_stats, &idx);

	if (c) {
		c->packets++;
		c->bytes += len;
	}
}

/* Count a frame of len bytes on the counters of rule id. */
static __always_inline void rule_count(__u32 id, __u32 len)
{
	struct fw_counter *rc = bpf_map_lookup_elem(&fw_rcnt, &id);

	if (rc) {
		rc->packets++;
		rc->bytes += len;
	}
}

/*
 * Did the activation counter stay at a1 while a frame was classified with
 * generation a1 & 1?  The loader writes into a generation only after its
 * switch away from it (the counter moved), and x86 keeps loads in order,
 * so an unchanged counter means nothing the frame read was being rewritten.
 */
static __always_inline int gen_stable(const __u32 *active, __u32 a1)
{
	return *(const volatile __u32 *)active == a1;
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
 *
 * A tuple's key is the packet's key -- the 64-bit words of struct fw4_key /
 * fw6_key, tuple 0 -- ANDed with the tuple's mask, its index ORed in.  The
 * prefilter (struct fw_pf_gen) hashes those words before the generation bit
 * is added and skips the hash probe when the key cannot be there: a frame
 * that matches no rule usually costs no hash lookup at all.
 */
#define KEY4_WORDS 3 /* sizeof(struct fw4_key) / 8 */
#define KEY6_WORDS 6

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define W0_TUPLE(t) ((__u64)(t))
#define W_LO_HI(lo16, x16, hi32) \
	((__u64)(lo16) | (__u64)(x16) << 16 | (__u64)(hi32) << 32)
#define W_PAIR(lo32, hi32) ((__u64)(lo32) | (__u64)(hi32) << 32)
#else
#define W0_TUPLE(t) ((__u64)(t) << 48)
#define W_LO_HI(lo16, x16, hi32) \
	((__u64)(lo16) << 48 | (__u64)(x16) << 32 | (__u64)(hi32))
#define W_PAIR(lo32, hi32) ((__u64)(lo32) << 32 | (__u64)(hi32))
#endif

#define NO_MATCH 0xffffffff /* struct cls.best_rank */

struct cls {
	__u32 ifindex;
	__u32 gen;
	__u32 ntup;
	__u32 best_rank; /* NO_MATCH: no match yet */
	__u32 rule_id;	 /* of the best match */
	__u8 action;
	__u8 flags;
	__u8 pf_ok; /* fw_pf[gen] belongs to this generation */
	__u8 pad;
};

/*
 * Word j of p's key: the words of struct fw4_key / fw6_key in memory, tuple
 * 0.  fw4_key: tuple, vlan, ifindex | proto, pad0, sport, dport, pad |
 * src, dst -- fw6_key: the same, then src[4], dst[4].
 */
static __always_inline __u64 key_word(const struct pkt *p, __u32 ifindex, int j)
{
	switch (j) {
	case 0:
		return W_LO_HI(0, p->vlan, ifindex);
	case 1:
		return W_LO_HI(p->proto, p->sport, p->dport);
	case 2:
		return p->family == 4 ? W_PAIR(p->src[0], p->dst[0])
				      : W_PAIR(p->src[0], p->src[1]);
	case 3:
		return W_PAIR(p->src[2], p->src[3]);
	case 4:
		return W_PAIR(p->dst[0], p->dst[1]);
	default:
		return W_PAIR(p->dst[2], p->dst[3]);
	}
}

/* May a key of hash h be in the rule hash?  (No filter: yes.) */
static __always_inline int pf_maybe(const struct fw_pf_gen *g, __u64 h)
{
	__u64 w, bits;

	if (!g || !g->words)
		return 1;
	w = g->bloom[(__u32)(h >> 32) & (g->words - 1) & (FW_PF_WORDS - 1)];
	bits = fw_pf_bits(h);
	return (w & bits) == bits;
}

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

/* Probe tuple i (mask words m) for p with prefilter g (NULL: none). */
static __always_inline void probe4(struct cls *c, struct pkt *p, __u32 i,
				   const __u64 *m, const struct fw_pf_gen *g)
{
	__u64 k[KEY4_WORDS];
	struct fw_rule_val *v;
	void *rules;

	for (int j = 0; j < KEY4_WORDS; j++)
		k[j] = key_word(p, c->ifindex, j) & m[j];
	k[0] |= W0_TUPLE(i);
	if (!pf_maybe(g, fw_pf_hash4(k)))
		return;
	k[0] |= W0_TUPLE(c->gen << FW_TUPLE_GEN_SHIFT);
	rules = bpf_map_lookup_elem(&fw_rules4, &c->gen);
	if (!rules)
		return;
	v = bpf_map_lookup_elem(rules, k);
	if (v)
		chain_walk(c, p, v, 1);
}

static __always_inline void probe6(struct cls *c, struct pkt *p, __u32 i,
				   const __u64 *m, const struct fw_pf_gen *g)
{
	__u64 k[KEY6_WORDS];
	struct fw_rule_val *v;
	void *rules;

	for (int j = 0; j < KEY6_WORDS; j++)
		k[j] = key_word(p, c->ifindex, j) & m[j];
	k[0] |= W0_TUPLE(i);
	if (!pf_maybe(g, fw_pf_hash6(k)))
		return;
	k[0] |= W0_TUPLE(c->gen << FW_TUPLE_GEN_SHIFT);
	rules = bpf_map_lookup_elem(&fw_rules6, &c->gen);
	if (!rules)
		return;
	v = bpf_map_lookup_elem(rules, k);
	if (v)
		chain_walk(c, p, v, 4);
}

/*
 * Classify p into c (c->best_rank stays NO_MATCH without a match): every
 * tuple, each read from fw_tup4/6, prefiltered if c->pf_ok.  Global:
 * verified once, not once per caller.
 */
__noinline int classify(struct pkt *p, struct cls *c)
{
	struct fw_pf_gen *g = NULL;

	if (!p || !c)
		return 0;
	if (c->pf_ok)
		g = bpf_map_lookup_elem(&fw_pf, &c->gen);
	for (__u32 i = 0; i < FW_MAX_TUPLES && i < c->ntup; i++) {
		__u32 idx = c->gen * FW_MAX_TUPLES + i;

		if (p->family == 4) {
			struct fw4_tuple *t =
				bpf_map_lookup_elem(&fw_tup4, &idx);

			if (!t || t->min_rank >= c->best_rank)
				break;
			probe4(c, p, i, (const __u64 *)&t->mask, g);
		} else {
			struct fw6_tuple *t =
				bpf_map_lookup_elem(&fw_tup6, &idx);

			if (!t || t->min_rank >= c->best_rank)
				break;
			probe6(c, p, i, (const __u64 *)&t->mask, g);
		}
	}
	return 0;
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
 * verdict.  The reply is built in fw_rjbuf; global, verified once.
 */
__noinline int do_reject(struct xdp_md *ctx, struct pkt *p,
			 struct fw_settings *s, __u8 *evflags)
{
	struct rj_frame *f;
	__u32 zero = 0;
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
	f = bpf_map_lookup_elem(&fw_rjbuf, &zero);
	if (!f)
		err = -1;
	else if (p->proto == IPPROTO_TCP_)
		err = rj_build_rst(ctx, p, f);
	else
		err = rj_build_unreach(ctx, p, f);
	if (err) {
		stat_add(FW_ST_REJECT_ERR, p->len);
		return XDP_DROP;
	}
	*evflags |= FW_EVF_REJECT_SENT;
	return XDP_TX;
}

/*
 * Count the frame on its interface in counter what (enum fw_ifv), and
 * return the XDP verdict act: the one counter every frame moves (the global
 * rx, pass, drop, tx and default counters are sums of these).
 */
static __always_inline int count_if(__u32 ifindex, __u32 what, __u32 act,
				    __u32 len)
{
	__u32 slot = ifindex < FW_IF_SLOTS ? ifindex : 0;
	struct fw_if_val *v = bpf_map_lookup_elem(&fw_ifcnt, &slot);

	if (v && what < FW_IFV__MAX) {
		v->v[what].packets++;
		v->v[what].bytes += len;
	}
	return act;
}

static __always_inline int done(__u32 ifindex, __u32 act, __u32 len)
{
	return count_if(ifindex,
			act == XDP_DROP ? FW_IFV_DROP
			: act == XDP_TX ? FW_IFV_TX
					: FW_IFV_PASS,
			act, len);
}

static __always_inline int verdict(__u32 ifindex, __u32 pol, __u32 len)
{
	return done(ifindex, pol == FW_POLICY_DROP ? XDP_DROP : XDP_PASS, len);
}

/* The verdict on a frame no rule matched: the default policy pol, with
 * dry-run dry; counted. */
static __always_inline int judge_default(__u32 ifindex, __u32 pol, __u32 dry,
					 __u32 len)
{
	if (pol == FW_POLICY_DROP && dry) {
		stat_add(FW_ST_DRYRUN, len);
		pol = FW_POLICY_PASS;
	}
	if (pol == FW_POLICY_DROP)
		return count_if(ifindex, FW_IFV_DEFAULT_DROP, XDP_DROP, len);
	return count_if(ifindex, FW_IFV_DEFAULT_PASS, XDP_PASS, len);
}

/* The verdict on p, whose source is in a block set (entry bv): counted,
 * reported. */
static __always_inline int judge_bs(struct pkt *p, const struct bs_val *bv,
				    __u32 ifindex, __u32 dry)
{
	if (dry || (bv->flags & FW_RF_DRYRUN)) {
		emit_event(p, ifindex, FW_EV_BLOCKSET, FW_ACT_DENY,
			   FW_EVF_DRYRUN, bv->source);
		stat_add(FW_ST_DRYRUN, p->len);
		return verdict(ifindex, FW_POLICY_PASS, p->len);
	}
	stat_add(FW_ST_BS_DROP, p->len);
	emit_event(p, ifindex, FW_EV_BLOCKSET, FW_ACT_DENY, 0, bv->source);
	return verdict(ifindex, FW_POLICY_DROP, p->len);
}

/*
 * The verdict on p, which matched rule c: counted, reported.  A reject
 * rule that must answer returns -1 before anything is counted: only the
 * full path builds replies.
 */
static __always_inline int judge_rule(struct pkt *p, const struct cls *c,
				      __u32 ifindex, __u32 dry)
{
	if (c->action == FW_ACT_REJECT && !dry && !(c->flags & FW_RF_DRYRUN))
		return -1;
	stat_add(FW_ST_RULE_MATCH, p->len);
	rule_count(c->rule_id, p->len);
	if (c->action == FW_ACT_ALLOW)
		return verdict(ifindex, FW_POLICY_PASS, p->len);
	if (c->action == FW_ACT_LOG) {
		emit_event(p, ifindex, FW_EV_RULE, FW_ACT_LOG, 0, c->rule_id);
		return verdict(ifindex, FW_POLICY_PASS, p->len);
	}
	if (dry || (c->flags & FW_RF_DRYRUN)) {
		stat_add(FW_ST_DRYRUN, p->len);
		emit_event(p, ifindex, FW_EV_RULE, c->action, FW_EVF_DRYRUN,
			   c->rule_id);
		return verdict(ifindex, FW_POLICY_PASS, p->len);
	}
	emit_event(p, ifindex, FW_EV_RULE, FW_ACT_DENY, 0, c->rule_id);
	return verdict(ifindex, FW_POLICY_DROP, p->len);
}

/* Is any block-set prefix length in use for this family? */
static __always_inline int bs_any(struct pkt *p)
{
	__u32 zero = 0;
	struct bs_plens *pl = bpf_map_lookup_elem(&fw_bsplen, &zero);

	if (!pl)
		return 0;
	if (p->family == 4)
		return pl->v4 != 0;
	return (pl->v6[0] | pl->v6[1] | pl->v6[2]) != 0;
}

/*
 * The fast path.  The full path below handles every frame, but spends most
 * of its time on what a common frame does not need: a struct pkt for every
 * header variant, a BPF-to-BPF call for the tuple walk (with the kernel's
 * return thunks a call costs more than a prefiltered probe), map lookups per
 * tuple.  The fast path takes the common case -- untagged IPv4 without
 * options, not a fragment -- in registers, from the first FW_PF_FAST tuples
 * kept in struct fw_pf_gen, and leaves anything else to the full path.
 *
 * Its scratch space, used only when a step needs a struct pkt (anti-lockout,
 * block set, a rule probe): off the stack, which the full path's call chain
 * needs.
 */
struct fast_scratch {
	struct pkt p;
	struct cls c;
	struct bs_val bv;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fast_scratch);
} fw_fscr SEC(".maps");

/* What the fast path parses. */
struct fast_frame {
	__u32 len, ifindex, src, dst;
	__u16 totlen, sport, dport;
	__u8 proto, tcpflags, l4ok;
	__u8 pad[3];
};

/*
 * Parse the frames the fast path takes: untagged IPv4 without options, not
 * a fragment, its L4 header complete (8 bytes at least).  Returns 0 and
 * fills f, or -1 for anything else, malformed frames included.  Inlined
 * into its callers, f stays in registers.
 */
static __always_inline int fast_parse(struct xdp_md *ctx, struct fast_frame *f)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + ETH_HLEN_;
	__u8 *l4 = data + ETH_HLEN_ + sizeof(*ip);
	__u32 ports;

	if ((void *)(l4 + 8) > data_end)
		return -1;
	if (eth->h_proto != bpf_htons(ETH_P_IP_) || *(__u8 *)ip != 0x45 ||
	    (ip->frag_off & bpf_htons(0x3fff)))
		return -1;
	f->len = data_end - data;
	f->totlen = bpf_ntohs(ip->tot_len);
	if (f->totlen < sizeof(*ip) || f->totlen > f->len - ETH_HLEN_)
		return -1;
	f->proto = ip->protocol;
	f->tcpflags = 0;
	f->l4ok = 1;
	if (f->proto == IPPROTO_TCP_ || f->proto == IPPROTO_UDP_) {
		if (f->proto == IPPROTO_TCP_) {
			if ((void *)(l4 + 20) > data_end || (l4[12] >> 4) < 5)
				return -1;
			f->tcpflags = l4[13];
		}
		ports = *(__u32 *)l4;
		f->sport = bpf_ntohs((__u16)ports);
		f->dport = bpf_ntohs((__u16)(ports >> 16));
	} else if (f->proto == IPPROTO_ICMP_ || f->proto == IPPROTO_ICMPV6_) {
		f->sport = l4[0]; /* type and code, as the full path's */
		f->dport = l4[1];
	} else {
		f->sport = 0;
		f->dport = 0;
		f->l4ok = 0;
	}
	f->src = ip->saddr;
	f->dst = ip->daddr;
	f->ifindex = ctx->ingress_ifindex;
	return 0;
}

/* Fill the scratch struct pkt and struct cls with frame f of generation
 * gen, as the full path would; returns them, or NULL. */
static __always_inline struct fast_scratch *
fast_fill(const struct fast_frame *f, __u32 gen)
{
	__u32 zero = 0;
	struct fast_scratch *x = bpf_map_lookup_elem(&fw_fscr, &zero);

	if (!x)
		return NULL;
	__builtin_memset(&x->p, 0, sizeof(x->p));
	x->p.src[0] = f->src;
	x->p.dst[0] = f->dst;
	x->p.len = f->len;
	x->p.l2len = ETH_HLEN_;
	x->p.l3hlen = sizeof(struct iphdr);
	x->p.l4off = ETH_HLEN_ + sizeof(struct iphdr);
	x->p.l3len = f->len - ETH_HLEN_;
	x->p.ip_totlen = f->totlen;
	x->p.family = 4;
	x->p.proto = f->proto;
	x->p.tcpflags = f->tcpflags;
	x->p.l4ok = f->l4ok;
	x->p.sport = f->sport;
	x->p.dport = f->dport;
	x->c.ifindex = f->ifindex;
	x->c.gen = gen & 1;
	x->c.best_rank = NO_MATCH;
	x->c.rule_id = 0;
	x->c.action = 0;
	x->c.flags = 0;
	x->c.pf_ok = 1;
	x->c.pad = 0;
	return x;
}

/* fast_pre()'s "go on" result: FAST_GO | policy | dry-run << 1. */
#define FAST_GO 0x100

/*
 * The fast path's steps before the rules, when one is configured:
 * interface override, anti-lockout, block set.  Returns FAST_GO | policy |
 * dry-run << 1 to go on, an XDP verdict (an anti-lockout pass, a block-set
 * hit; counted, reported), or -1 for the full path.
 */
__noinline int fast_pre(struct xdp_md *ctx, __u32 pol, __u32 dry, int have,
			int bs4)
{
	struct fast_scratch *x;
	struct fast_frame f;

	if (!ctx || fast_parse(ctx, &f))
		return -1;
	if (have & FW_HAVE_IFSET) {
		struct fw_if_settings *ifs =
			bpf_map_lookup_elem(&fw_ifset, &f.ifindex);

		if (ifs) {
			dry |= ifs->dry_run;
			if (ifs->default_policy != FW_POLICY_INHERIT)
				pol = ifs->default_policy;
		}
	}
	if ((have & FW_HAVE_MGMT4) || bs4) {
		x = fast_fill(&f, 0);
		if (!x)
			return -1;
		if ((have & FW_HAVE_MGMT4) && mgmt_match(&x->p)) {
			stat_add(FW_ST_MGMT_PASS, f.len);
			return done(f.ifindex, XDP_PASS, f.len);
		}
		if (bs4 && bs_lookup(&x->p, &x->bv))
			return judge_bs(&x->p, &x->bv, f.ifindex, dry);
	}
	return FAST_GO | (pol & 1) | (dry & 1) << 1;
}

/*
 * The fast path's rules from tuple from on, the first whose key the
 * prefilter let through: probe, walk the chains, judge, if the activation
 * counter still reads a1.  Returns the XDP verdict, or -1 for the full path
 * (a reject rule that must answer; a generation rewritten meanwhile).
 */
__noinline int fast_rules(struct xdp_md *ctx, __u32 from, __u32 a1, __u32 pol,
			  __u32 dry)
{
	__u32 zero = 0, gen = a1 & 1;
	struct fast_scratch *x;
	struct fast_frame f;
	struct fw_pf_gen *g;
	__u64 k[KEY4_WORDS];
	__u32 *active;
	void *rules;

	if (!ctx || fast_parse(ctx, &f))
		return -1;
	active = bpf_map_lookup_elem(&fw_active, &zero);
	g = bpf_map_lookup_elem(&fw_pf, &gen);
	rules = bpf_map_lookup_elem(&fw_rules4, &gen);
	x = fast_fill(&f, gen);
	if (!active || !g || !rules || !x)
		return -1;
	for (__u32 i = from; i < FW_PF_FAST && i < g->ntup4; i++) {
		const __u64 *m = (const __u64 *)&g->mask4[i];
		struct fw_rule_val *v;

		if (x->c.best_rank != NO_MATCH && g->rank4[i] >= x->c.best_rank)
			break;
		for (int j = 0; j < KEY4_WORDS; j++)
			k[j] = key_word(&x->p, f.ifindex, j) & m[j];
		k[0] |= W0_TUPLE(i);
		if (!pf_maybe(g, fw_pf_hash4(k)))
			continue;
		k[0] |= W0_TUPLE(gen << FW_TUPLE_GEN_SHIFT);
		v = bpf_map_lookup_elem(rules, k);
		if (v)
			chain_walk(&x->c, &x->p, v, 1);
	}
	if (!gen_stable(active, a1))
		return -1; /* rewritten meanwhile: the full path retries */
	if (x->c.best_rank == NO_MATCH)
		return judge_default(f.ifindex, pol, dry, f.len);
	return judge_rule(&x->p, &x->c, f.ifindex, dry);
}

/*
 * The fast path: a frame fast_parse() takes, in a generation whose
 * struct fw_pf_gen is trusted (tags agree) and has a filter and at most
 * FW_PF_FAST IPv4 tuples.  It takes the steps of the full path --
 * interface override, anti-lockout, block set, rules, default policy --
 * with the same counters and events, and judges the frame, except a reject
 * rule that must answer.  Anything it does not judge returns -1 before any
 * counter moved: the full path then judges the frame from the start.  A
 * frame the prefilter shows to match no rule costs its parse, six array
 * lookups and a filter word per tuple; the rarer steps are global functions
 * (they parse the frame again), so the program's entry stays small in the
 * instruction cache and its values in registers.
 */
static __always_inline int fast_v4(struct xdp_md *ctx,
				   const struct fw_settings *s)
{
	__u32 zero = 0, a1, gen, ntup, pol, dry, i;
	struct fw_gen_hdr *gh;
	struct fast_frame f;
	struct bs_plens *pl;
	struct fw_pf_gen *g;
	__u64 k0, k1, k2;
	__u32 *active;
	int have, bs4;

	/* the array lookups first, while little is live: the compiler sees
	 * calls (the verifier inlines them) and spills what lives across */
	pl = bpf_map_lookup_elem(&fw_bsplen, &zero);
	active = bpf_map_lookup_elem(&fw_active, &zero);
	if (!pl || !active)
		return -1;
	a1 = *(volatile __u32 *)active;
	gen = a1 & 1;
	gh = bpf_map_lookup_elem(&fw_gen, &gen);
	g = bpf_map_lookup_elem(&fw_pf, &gen);
	if (!gh || !g || !gh->pf_tag || g->tag != gh->pf_tag || !g->words)
		return -1;
	ntup = g->ntup4;
	if (ntup > FW_PF_FAST)
		return -1;
	if (fast_parse(ctx, &f))
		return -1;

	pol = s->default_policy;
	dry = s->dry_run;
	have = s->have & (FW_HAVE_IFSET | FW_HAVE_MGMT4);
	bs4 = pl->v4 != 0;
	if (have || bs4) {
		int r = fast_pre(ctx, pol, dry, have, bs4);

		if (r < FAST_GO)
			return r;
		pol = r & 1;
		dry = (r >> 1) & 1;
	}

	k0 = W_LO_HI(0, 0, f.ifindex);
	k1 = W_LO_HI(f.proto, f.sport, f.dport);
	k2 = W_PAIR(f.src, f.dst);
#pragma unroll
	for (i = 0; i < FW_PF_FAST; i++) {
		const __u64 *m = (const __u64 *)&g->mask4[i];
		__u64 k[KEY4_WORDS];

		if (i >= ntup)
			break;
		/* word 0 holds the VLAN (0 here) and the interface: most
		 * tuples key neither, and a branch, unlike an AND, does not
		 * make the probe wait for the ifindex (three dependent loads) */
		k[0] = W0_TUPLE(i);
		if (m[0] & W_LO_HI(0, 0, 0xffffffff))
			k[0] |= k0 & m[0];
		k[1] = k1 & m[1];
		k[2] = k2 & m[2];
		if (pf_maybe(g, fw_pf_hash4(k)))
			return fast_rules(ctx, i, a1, pol, dry);
	}
	if (!gen_stable(active, a1))
		return -1;
	return judge_default(f.ifindex, pol, dry, f.len);
}

/*
 * The full path: every frame the fast path does not judge.  Global, so the
 * program's entry (the fast path) stays small in the instruction cache.
 */
__noinline int full_path(struct xdp_md *ctx)
{
	void *data, *data_end;
	__u32 ifindex, zero = 0, a1, gen;
	struct fw_if_settings *ifs;
	struct fw_settings *s;
	struct cls c;
	struct fw_gen_hdr *gh;
	struct fw_pf_gen *g;
	struct bs_val bv;
	struct pkt p = {};
	__u32 *active;
	__u8 dry, pol, evflags = 0;
	int ret;

	if (!ctx)
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ifindex = ctx->ingress_ifindex;
	s = bpf_map_lookup_elem(&fw_set, &zero);
	if (!s)
		return XDP_PASS;
	ret = parse_frame(&p, data, data_end);
	if (ret == 1) {
		stat_add(FW_ST_NON_IP, p.len);
		return verdict(ifindex, FW_POLICY_PASS, p.len);
	}
	if (ret < 0) {
		stat_add(-ret, p.len);
		return verdict(ifindex, s->malformed_policy, p.len);
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
		return verdict(ifindex, FW_POLICY_PASS, p.len);
	}

	if (bs_any(&p) && bs_lookup(&p, &bv))
		return judge_bs(&p, &bv, ifindex, dry);

	active = bpf_map_lookup_elem(&fw_active, &zero);
	if (!active)
		return verdict(ifindex, pol, p.len);
	/* a generation rewritten while the frame read it (two switches
	 * during one classification) is read again from the new one; three
	 * in a row cannot happen at the loader's pace, and would drop the
	 * frame (fail closed) rather than judge it by a half-written set */
	for (int try = 0;; try++) {
		a1 = *(volatile __u32 *)active;
		gen = a1 & 1;
		gh = bpf_map_lookup_elem(&fw_gen, &gen);
		if (!gh)
			return verdict(ifindex, pol, p.len);
		c.ifindex = ifindex;
		c.gen = gen;
		c.best_rank = NO_MATCH;
		c.rule_id = 0;
		c.action = 0;
		c.flags = 0;
		c.pad = 0;
		c.ntup = p.family == 4 ? gh->ntup4 : gh->ntup6;
		g = bpf_map_lookup_elem(&fw_pf, &gen);
		c.pf_ok = g && gh->pf_tag && g->tag == gh->pf_tag;
		classify(&p, &c);
		if (gen_stable(active, a1))
			break;
		if (try == 2)
			return verdict(ifindex, FW_POLICY_DROP, p.len);
	}
	if (c.best_rank == NO_MATCH)
		return judge_default(ifindex, pol, dry, p.len);
	ret = judge_rule(&p, &c, ifindex, dry);
	if (ret >= 0)
		return ret;
	/* a reject rule: answer if allowed */
	stat_add(FW_ST_RULE_MATCH, p.len);
	rule_count(c.rule_id, p.len);
	ret = do_reject(ctx, &p, s, &evflags);
	emit_event(&p, ifindex, FW_EV_RULE, FW_ACT_REJECT, evflags, c.rule_id);
	if (ret == XDP_TX)
		return done(ifindex, XDP_TX, p.len);
	return verdict(ifindex, FW_POLICY_DROP, p.len);
}

SEC("xdp")
int sentinel_fw(struct xdp_md *ctx)
{
	struct fw_settings *s;
	__u32 zero = 0;
	int ret;

	s = bpf_map_lookup_elem(&fw_set, &zero);
	if (!s)
		return XDP_PASS;
	ret = fast_v4(ctx, s);
	if (ret >= 0)
		return ret;
	return full_path(ctx);
}

/* A trivial program, the baseline that benchmarks subtract. */
SEC("xdp")
int sentinel_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
