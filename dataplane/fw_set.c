// SPDX-License-Identifier: GPL-2.0-only
/* Rule sets: validation, compilation to tuple-space form, atomic activation. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fw.h"

/* Entries per family that one generation may use: both must fit at once. */
#define FW_GEN_ENTRIES (FW_MAX_ENTRIES / FW_GENS)
#define BATCH	       8192

/* Unique hash keys of one family, each heading a chain of candidates. */
struct entries {
	void *keys;   /* owned; ksize bytes each */
	__u32 *head;  /* owned; per key: index of the first candidate */
	__u32 *tail;  /* owned; per key: index of the last candidate */
	__u8 *len;    /* owned; per key: chain length */
	__u8 *closed; /* owned; per key: an unconditional candidate ends it */
	size_t n, cap, ksize;
	__u32 *slots; /* owned; open-addressing index (key + 1) */
	size_t nslots;
};

struct fw_set {
	size_t nrules;
	__u32 *ids; /* owned; sorted rule ids */
	struct fw4_tuple tup4[FW_MAX_TUPLES];
	struct fw6_tuple tup6[FW_MAX_TUPLES];
	size_t ntup4, ntup6;
	struct entries e4, e6;
	/* owned; every candidate; next = index + 1 in this array, 0 = last */
	struct fw_rule_val *cands;
	size_t ncands, capcands;
	__u64 *pf;	/* owned; the prefilter, pf_words words (NULL: none) */
	__u32 pf_words; /* 0: no prefilter, every tuple is probed */
};

struct vm {
	__u16 v, m;
};

void fw_rule_init(struct fw_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->action = FW_ACT_ALLOW;
	r->sport.hi = 0xffff;
	r->dport.hi = 0xffff;
	r->vlan = -1;
	r->icmp_type = -1;
	r->icmp_code = -1;
}

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool range_any(const struct fw_range *r)
{
	return r->lo == 0 && r->hi == 0xffff;
}

/* Check one rule; returns 0 or -EINVAL with err naming rule and field. */
static int rule_check(const struct fw_rule *r, char *err, size_t errlen)
{
	bool ports = !range_any(&r->sport) || !range_any(&r->dport);
	bool icmp = r->icmp_type >= 0 || r->icmp_code >= 0;

	if (!r->id)
		return fail(err, errlen, -EINVAL,
			    "rule id 0: id must be 1 or more");
	if (r->action >= FW_ACT__MAX)
		return fail(err, errlen, -EINVAL,
			    "rule %u: action: unknown action %u", r->id,
			    r->action);
	if (r->src.family && r->dst.family && r->src.family != r->dst.family)
		return fail(err, errlen, -EINVAL,
			    "rule %u: src and dst: one is IPv4, the other IPv6",
			    r->id);
	if ((r->src.family == 4 && r->src.plen > 32) ||
	    (r->src.family == 6 && r->src.plen > 128) ||
	    (r->src.family != 4 && r->src.family != 6 && r->src.family != 0))
		return fail(err, errlen, -EINVAL, "rule %u: src: bad prefix",
			    r->id);
	if ((r->dst.family == 4 && r->dst.plen > 32) ||
	    (r->dst.family == 6 && r->dst.plen > 128) ||
	    (r->dst.family != 4 && r->dst.family != 6 && r->dst.family != 0))
		return fail(err, errlen, -EINVAL, "rule %u: dst: bad prefix",
			    r->id);
	if (r->sport.lo > r->sport.hi)
		return fail(err, errlen, -EINVAL, "rule %u: sport: %u > %u",
			    r->id, r->sport.lo, r->sport.hi);
	if (r->dport.lo > r->dport.hi)
		return fail(err, errlen, -EINVAL, "rule %u: dport: %u > %u",
			    r->id, r->dport.lo, r->dport.hi);
	if (ports && r->proto != 6 && r->proto != 17)
		return fail(err, errlen, -EINVAL,
			    "rule %u: sport/dport: ports need proto tcp or udp",
			    r->id);
	if ((r->tcp_mask || r->tcp_value) && r->proto != 6)
		return fail(err, errlen, -EINVAL,
			    "rule %u: tcp-flags: needs proto tcp", r->id);
	if (r->tcp_value & ~r->tcp_mask)
		return fail(
			err, errlen, -EINVAL,
			"rule %u: tcp-flags: value has flags outside the mask",
			r->id);
	if (icmp && r->proto != 1 && r->proto != 58)
		return fail(
			err, errlen, -EINVAL,
			"rule %u: icmp-type/icmp-code: needs proto icmp or icmpv6",
			r->id);
	if (r->icmp_type > 255 || r->icmp_code > 255)
		return fail(err, errlen, -EINVAL,
			    "rule %u: icmp-type/icmp-code: more than 255",
			    r->id);
	if (r->vlan > 4095 || r->vlan < -1)
		return fail(err, errlen, -EINVAL, "rule %u: vlan: not 0..4095",
			    r->id);
	if (r->proto == 1 && (r->src.family == 6 || r->dst.family == 6))
		return fail(
			err, errlen, -EINVAL,
			"rule %u: proto: icmp with IPv6 addresses (use icmpv6)",
			r->id);
	if (r->proto == 58 && (r->src.family == 4 || r->dst.family == 4))
		return fail(err, errlen, -EINVAL,
			    "rule %u: proto: icmpv6 with IPv4 addresses",
			    r->id);
	if (r->dry_run > 1)
		return fail(err, errlen, -EINVAL,
			    "rule %u: dry-run: not 0 or 1", r->id);
	return 0;
}

/* Split [lo, hi] into value/mask prefixes (at most 30). */
static size_t range_split(const struct fw_range *r, struct vm *out)
{
	__u32 a = r->lo, b = r->hi;
	size_t n = 0;

	while (a <= b) {
		__u32 size = a ? (a & -a) : 0x10000;

		while (a + size - 1 > b)
			size >>= 1;
		out[n].v = a;
		out[n].m = ~(size - 1) & 0xffff;
		n++;
		a += size;
	}
	return n;
}

static void mask_addr(__u32 *mask, const struct fw_cidr *c)
{
	fw_prefix_mask(mask, c->family ? c->plen : 0);
}

/* A hash of a rule hash key (a whole number of 64-bit words). */
static size_t key_hash(const void *k, size_t ksize)
{
	__u64 h = 0, w;

	for (size_t i = 0; i + 8 <= ksize; i += 8) {
		memcpy(&w, (const char *)k + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	/* a multiply carries bits only upwards: without a final mix the
	 * high half of the last word (an IPv4 key's destination) would
	 * barely reach the low bits a table index takes (murmur3's fmix64) */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (size_t)h;
}

static int entries_grow(struct entries *e)
{
	size_t cap = e->cap ? e->cap * 2 : 1024;
	void *p;

	if (!(p = realloc(e->keys, cap * e->ksize)))
		return -ENOMEM;
	e->keys = p;
	if (!(p = realloc(e->head, cap * sizeof(*e->head))))
		return -ENOMEM;
	e->head = p;
	if (!(p = realloc(e->tail, cap * sizeof(*e->tail))))
		return -ENOMEM;
	e->tail = p;
	if (!(p = realloc(e->len, cap)))
		return -ENOMEM;
	e->len = p;
	if (!(p = realloc(e->closed, cap)))
		return -ENOMEM;
	e->closed = p;
	if (!(p = calloc(cap * 2, sizeof(*e->slots))))
		return -ENOMEM;
	free(e->slots);
	e->slots = p;
	e->nslots = cap * 2;
	e->cap = cap;
	for (size_t i = 0; i < e->n; i++) {
		size_t slot =
			key_hash((char *)e->keys + i * e->ksize, e->ksize) &
			(e->nslots - 1);

		while (e->slots[slot])
			slot = (slot + 1) & (e->nslots - 1);
		e->slots[slot] = i + 1;
	}
	return 0;
}

/* Index of key in e, or -1; *ret_slot is where it would go. */
static long entries_find(const struct entries *e, const void *key,
			 size_t *ret_slot)
{
	size_t slot;

	if (!e->nslots)
		return -1;
	slot = key_hash(key, e->ksize) & (e->nslots - 1);
	while (e->slots[slot]) {
		__u32 i = e->slots[slot] - 1;

		if (!memcmp((char *)e->keys + i * e->ksize, key, e->ksize))
			return i;
		slot = (slot + 1) & (e->nslots - 1);
	}
	if (ret_slot)
		*ret_slot = slot;
	return -1;
}

static void entries_free(struct entries *e)
{
	free(e->keys);
	free(e->head);
	free(e->tail);
	free(e->len);
	free(e->closed);
	free(e->slots);
}

static int cand_new(struct fw_set *s, const struct fw_rule_val *c, __u32 *ret)
{
	if (s->ncands == s->capcands) {
		size_t cap = s->capcands ? s->capcands * 2 : 1024;
		struct fw_rule_val *p = realloc(s->cands, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->cands = p;
		s->capcands = cap;
	}
	s->cands[s->ncands] = *c;
	s->cands[s->ncands].next = 0;
	*ret = s->ncands++;
	return 0;
}

/*
 * Append candidate c to the chain under key (rules arrive in rank order, so
 * chains stay sorted).  uncond: c matches whatever the key matches, so
 * nothing after it can win.  Returns 0 (added, or skipped as unreachable),
 * -ENOSPC when the chain is full, -ENOMEM.
 */
static int chain_add(struct fw_set *s, struct entries *e, const void *key,
		     const struct fw_rule_val *c, bool uncond)
{
	size_t slot = 0;
	long i = entries_find(e, key, &slot);
	__u32 ci;
	int err;

	if (i >= 0) {
		if (e->closed[i])
			return 0;
		if (e->len[i] >= FW_CHAIN_MAX)
			return -ENOSPC;
		err = cand_new(s, c, &ci);
		if (err)
			return err;
		s->cands[e->tail[i]].next = ci + 1;
		e->tail[i] = ci;
		e->len[i]++;
		e->closed[i] = uncond;
		return 0;
	}
	if (e->n + 1 > e->cap) {
		err = entries_grow(e);
		if (err)
			return err;
		entries_find(e, key, &slot);
	}
	err = cand_new(s, c, &ci);
	if (err)
		return err;
	memcpy((char *)e->keys + e->n * e->ksize, key, e->ksize);
	e->head[e->n] = e->tail[e->n] = ci;
	e->len[e->n] = 1;
	e->closed[e->n] = uncond;
	e->slots[slot] = ++e->n;
	return 0;
}

/* A key of either family before it is laid out (addresses in 4 words). */
struct gkey {
	__u16 vlan;
	__u32 ifindex;
	__u8 proto;
	__u16 sport, dport;
	__u32 src[4], dst[4];
};

static void gkey_layout(int fam, const struct gkey *g, void *out)
{
	if (fam == 4) {
		struct fw4_key *k = out;

		memset(k, 0, sizeof(*k));
		k->vlan = g->vlan;
		k->ifindex = g->ifindex;
		k->proto = g->proto;
		k->sport = g->sport;
		k->dport = g->dport;
		k->src = g->src[0];
		k->dst = g->dst[0];
	} else {
		struct fw6_key *k = out;

		memset(k, 0, sizeof(*k));
		k->vlan = g->vlan;
		k->ifindex = g->ifindex;
		k->proto = g->proto;
		k->sport = g->sport;
		k->dport = g->dport;
		memcpy(k->src, g->src, 16);
		memcpy(k->dst, g->dst, 16);
	}
}

/* Add a tuple with this mask (laid out); returns its index. */
static int tuple_new(struct fw_set *s, int fam, const void *mask, __u32 rank)
{
	size_t *n = fam == 4 ? &s->ntup4 : &s->ntup6;

	if (*n == FW_MAX_TUPLES)
		return -E2BIG;
	/* rules come in rank order: the first rank seen is the tuple's best */
	if (fam == 4) {
		memcpy(&s->tup4[*n].mask, mask, sizeof(struct fw4_key));
		s->tup4[*n].min_rank = rank;
	} else {
		memcpy(&s->tup6[*n].mask, mask, sizeof(struct fw6_key));
		s->tup6[*n].min_rank = rank;
	}
	return (*n)++;
}

static const void *tuple_mask(const struct fw_set *s, int fam, size_t i)
{
	return fam == 4 ? (const void *)&s->tup4[i].mask
			: (const void *)&s->tup6[i].mask;
}

/* Prefix lengths a tuple may relax a rule's prefix to (TupleMerge-style). */
static unsigned int relax(int fam, unsigned int plen)
{
	static const __u8 a4[] = {32, 24, 16, 8, 0};
	static const __u8 a6[] = {128, 64, 56, 48, 32, 16, 0};
	const __u8 *a = fam == 4 ? a4 : a6;

	for (int i = 0;; i++)
		if (a[i] <= plen)
			return a[i];
}

/* What one placement of a rule puts into the key: port value/mask pairs. */
struct placement {
	unsigned int src_plen, dst_plen; /* prefix lengths in the key */
	struct vm sp, dp;
};

/*
 * Put cand under the key that placement pl makes of rule r.  With overflow,
 * a full chain opens another tuple of the same mask instead of -ENOSPC.
 */
static int place(struct fw_set *s, int fam, const struct fw_rule *r,
		 const struct fw_rule_val *cand, const struct placement *pl,
		 bool overflow)
{
	bool found = false;
	struct entries *e = fam == 4 ? &s->e4 : &s->e6;
	union {
		struct fw4_key k4;
		struct fw6_key k6;
	} mk, kk;
	struct gkey m = {
		.vlan = r->vlan >= 0 ? 0x0fff : 0,
		.ifindex = r->ifindex ? 0xffffffff : 0,
		.proto = r->proto ? 0xff : 0,
		.sport = pl->sp.m,
		.dport = pl->dp.m,
	};
	struct gkey k = {
		.vlan = r->vlan >= 0 ? r->vlan : 0,
		.ifindex = r->ifindex,
		.proto = r->proto,
		.sport = pl->sp.v,
		.dport = pl->dp.v,
	};
	struct fw_cidr sc = r->src, dc = r->dst;
	bool uncond;
	int t, rc;

	sc.plen = sc.family ? pl->src_plen : 0;
	dc.plen = dc.family ? pl->dst_plen : 0;
	mask_addr(m.src, &sc);
	mask_addr(m.dst, &dc);
	for (int w = 0; w < 4; w++) {
		k.src[w] = r->src.addr[w] & m.src[w];
		k.dst[w] = r->dst.addr[w] & m.dst[w];
	}
	gkey_layout(fam, &m, &mk);
	gkey_layout(fam, &k, &kk);
	/* the key already checks every port the candidate accepts? */
	uncond = !cand->tcp_mask && sc.plen == cand->src_plen &&
		 dc.plen == cand->dst_plen &&
		 (pl->sp.m == 0xffff ||
		  (cand->sport_lo == 0 && cand->sport_hi == 0xffff) ||
		  (pl->sp.v >= cand->sport_lo &&
		   (__u32)pl->sp.v + (__u16)~pl->sp.m <= cand->sport_hi)) &&
		 (pl->dp.m == 0xffff ||
		  (cand->dport_lo == 0 && cand->dport_hi == 0xffff) ||
		  (pl->dp.v >= cand->dport_lo &&
		   (__u32)pl->dp.v + (__u16)~pl->dp.m <= cand->dport_hi));
	/* every tuple of this mask, then (last resort only) one more of it */
	for (size_t i = 0; i < (fam == 4 ? s->ntup4 : s->ntup6); i++) {
		if (memcmp(tuple_mask(s, fam, i), &mk, e->ksize))
			continue;
		found = true;
		if (fam == 4)
			kk.k4.tuple = i;
		else
			kk.k6.tuple = i;
		rc = chain_add(s, e, &kk, cand, uncond);
		if (rc != -ENOSPC)
			return rc;
	}
	if (found && !overflow)
		return -ENOSPC;
	t = tuple_new(s, fam, &mk, cand->rank);
	if (t < 0)
		return t;
	if (fam == 4)
		kk.k4.tuple = t;
	else
		kk.k6.tuple = t;
	return chain_add(s, e, &kk, cand, uncond);
}

/* Key value/mask for a port field: exact in the key, otherwise checked by
 * the candidate (mask 0). */
static struct vm port_key(const struct fw_range *r)
{
	struct vm v = {0, 0};

	if (r->lo == r->hi) {
		v.v = r->lo;
		v.m = 0xffff;
	}
	return v;
}

/*
 * A rule's natural shape: which key fields it fixes, at anchor lengths.
 * Before placing rules, each shape is mapped to the broadest compatible
 * shape present (TupleMerge): fewer tuples to probe, the candidates check
 * what the broader key leaves out.
 */
struct shape {
	__u8 fam, vlan, ifindex, proto; /* 0/1: field in the key */
	__u8 src, dst;			/* anchor prefix lengths */
	__u8 sport, dport;		/* 0/1: exact port in the key */
	int root; /* index of the shape it is placed under (itself: root) */
};

struct shapes {
	struct shape *v; /* owned */
	size_t n, cap;
};

static void rule_shape(const struct fw_rule *r, int fam, struct shape *ret)
{
	struct fw_range sr = r->sport, dr = r->dport;

	if (r->proto == 1 || r->proto == 58) {
		sr.lo = sr.hi = r->icmp_type >= 0 ? r->icmp_type : 0;
		if (r->icmp_type < 0)
			sr.hi = 0xffff;
		dr.lo = dr.hi = r->icmp_code >= 0 ? r->icmp_code : 0;
		if (r->icmp_code < 0)
			dr.hi = 0xffff;
	}
	memset(ret, 0, sizeof(*ret));
	ret->fam = fam;
	ret->vlan = r->vlan >= 0;
	ret->ifindex = !!r->ifindex;
	ret->proto = !!r->proto;
	ret->src = relax(fam, r->src.family ? r->src.plen : 0);
	ret->dst = relax(fam, r->dst.family ? r->dst.plen : 0);
	ret->sport = sr.lo == sr.hi;
	ret->dport = dr.lo == dr.hi;
	ret->root = -1;
}

static bool shape_eq(const struct shape *a, const struct shape *b)
{
	return a->fam == b->fam && a->vlan == b->vlan &&
	       a->ifindex == b->ifindex && a->proto == b->proto &&
	       a->src == b->src && a->dst == b->dst && a->sport == b->sport &&
	       a->dport == b->dport;
}

static long shape_find(const struct shapes *sh, const struct shape *x)
{
	for (size_t i = 0; i < sh->n; i++)
		if (shape_eq(&sh->v[i], x))
			return i;
	return -1;
}

static int shape_bits(const struct shape *x)
{
	return x->src + x->dst + 16 * (x->sport + x->dport) + 8 * x->proto +
	       12 * x->vlan + 32 * x->ifindex;
}

/* May rules of shape x live under the key of root t? */
static bool shape_covers(const struct shape *t, const struct shape *x)
{
	int min = t->fam == 4 ? 16 : 32; /* keep keys spread out */

	return t->fam == x->fam && t->vlan == x->vlan &&
	       t->ifindex == x->ifindex && t->proto == x->proto &&
	       t->src <= x->src && t->dst <= x->dst &&
	       (!t->sport || x->sport) && (!t->dport || x->dport) &&
	       t->src + t->dst >= min;
}

static int shape_cmp(const void *a, const void *b)
{
	return shape_bits(a) - shape_bits(b);
}

/* Collect the shapes of all rules and choose their roots. */
static int shapes_build(struct shapes *sh, const struct fw_rule *rules,
			size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct fw_rule *r = &rules[i];
		bool v4 = r->src.family == 4 || r->dst.family == 4 ||
			  r->proto == 1;
		bool v6 = r->src.family == 6 || r->dst.family == 6 ||
			  r->proto == 58;

		if (!v4 && !v6)
			v4 = v6 = true;
		for (int fam = 4; fam <= 6; fam += 2) {
			struct shape x;

			if ((fam == 4 && !v4) || (fam == 6 && !v6))
				continue;
			rule_shape(r, fam, &x);
			if (shape_find(sh, &x) >= 0)
				continue;
			if (sh->n == sh->cap) {
				size_t cap = sh->cap ? sh->cap * 2 : 32;
				struct shape *v =
					realloc(sh->v, cap * sizeof(*v));

				if (!v)
					return -ENOMEM;
				sh->v = v;
				sh->cap = cap;
			}
			sh->v[sh->n++] = x;
		}
	}
	/* broadest first: each shape joins the most specific root covering it */
	if (sh->n)
		qsort(sh->v, sh->n, sizeof(*sh->v), shape_cmp);
	for (size_t i = 0; i < sh->n; i++) {
		int best = -1;

		for (size_t j = 0; j < i; j++)
			if (sh->v[j].root == (int)j &&
			    shape_covers(&sh->v[j], &sh->v[i]) &&
			    (best < 0 ||
			     shape_bits(&sh->v[j]) > shape_bits(&sh->v[best])))
				best = j;
		sh->v[i].root = best >= 0 ? best : (int)i;
	}
	return 0;
}

/*
 * Place one rule of one family.  First under relaxed prefixes with port
 * ranges in the candidate; if that chain is full, under its exact prefixes;
 * if that is full too, with port ranges split into prefixes in the key,
 * opening another tuple of the same mask where even that chain is full.
 */
static int expand_family(struct fw_set *s, const struct shapes *sh, int fam,
			 const struct fw_rule *r,
			 const struct fw_rule_val *cand, char *err,
			 size_t errlen)
{
	struct shape x;
	long si;
	struct fw_range sr = r->sport, dr = r->dport;
	unsigned int sp = r->src.family ? r->src.plen : 0;
	unsigned int dp = r->dst.family ? r->dst.plen : 0;
	struct placement pl;
	struct vm sv[32], dv[32];
	size_t nsv, ndv;
	int rc;

	if (r->proto == 1 || r->proto == 58) {
		sr.lo = r->icmp_type >= 0 ? r->icmp_type : 0;
		sr.hi = r->icmp_type >= 0 ? r->icmp_type : 0xffff;
		dr.lo = r->icmp_code >= 0 ? r->icmp_code : 0;
		dr.hi = r->icmp_code >= 0 ? r->icmp_code : 0xffff;
	}
	pl.sp = port_key(&sr);
	pl.dp = port_key(&dr);
	pl.src_plen = relax(fam, sp);
	pl.dst_plen = relax(fam, dp);
	rule_shape(r, fam, &x);
	si = shape_find(sh, &x);
	rc = -ENOSPC;
	if (si >= 0 && sh->v[si].root != si) {
		/* under the broader root shape, if its chain has room */
		const struct shape *t = &sh->v[sh->v[si].root];
		struct placement merged = pl;

		merged.src_plen = t->src;
		merged.dst_plen = t->dst;
		if (!t->sport)
			merged.sp.v = merged.sp.m = 0;
		if (!t->dport)
			merged.dp.v = merged.dp.m = 0;
		rc = place(s, fam, r, cand, &merged, false);
	}
	if (rc == -ENOSPC)
		rc = place(s, fam, r, cand, &pl, false);
	if (rc == -ENOSPC && (pl.src_plen != sp || pl.dst_plen != dp)) {
		pl.src_plen = sp;
		pl.dst_plen = dp;
		rc = place(s, fam, r, cand, &pl, false);
	}
	if (rc == -ENOSPC) {
		pl.src_plen = sp;
		pl.dst_plen = dp;
		nsv = range_split(&sr, sv);
		ndv = range_split(&dr, dv);
		rc = 0;
		for (size_t i = 0; i < nsv && !rc; i++)
			for (size_t j = 0; j < ndv && !rc; j++) {
				pl.sp = sv[i];
				pl.dp = dv[j];
				rc = place(s, fam, r, cand, &pl, true);
			}
	}
	if (rc == -E2BIG)
		return fail(
			err, errlen, rc,
			"rule %u: more than %d distinct IPv%d match shapes (tuples) in the set",
			r->id, FW_MAX_TUPLES, fam);
	if (rc)
		return fail(err, errlen, rc, "rule %u: %s", r->id,
			    strerror(-rc));
	return 0;
}

static int expand(struct fw_set *s, const struct shapes *sh,
		  const struct fw_rule *r, __u32 rank, char *err, size_t errlen)
{
	struct fw_rule_val cand = {
		.rule_id = r->id,
		.rank = rank,
		.action = r->action,
		.flags = r->dry_run ? FW_RF_DRYRUN : 0,
		.tcp_mask = r->tcp_mask,
		.tcp_value = r->tcp_value,
		.src_plen = r->src.family ? r->src.plen : 0,
		.dst_plen = r->dst.family ? r->dst.plen : 0,
		.sport_lo = r->sport.lo,
		.sport_hi = r->sport.hi,
		.dport_lo = r->dport.lo,
		.dport_hi = r->dport.hi,
	};
	bool v4, v6;
	int rc = 0;

	if (r->proto == 1 || r->proto == 58) {
		cand.sport_lo = r->icmp_type >= 0 ? r->icmp_type : 0;
		cand.sport_hi = r->icmp_type >= 0 ? r->icmp_type : 0xffff;
		cand.dport_lo = r->icmp_code >= 0 ? r->icmp_code : 0;
		cand.dport_hi = r->icmp_code >= 0 ? r->icmp_code : 0xffff;
	}
	memcpy(cand.src, r->src.addr, 16);
	memcpy(cand.dst, r->dst.addr, 16);
	v4 = r->src.family == 4 || r->dst.family == 4 || r->proto == 1;
	v6 = r->src.family == 6 || r->dst.family == 6 || r->proto == 58;
	if (!v4 && !v6)
		v4 = v6 = true;
	if (v4)
		rc = expand_family(s, sh, 4, r, &cand, err, errlen);
	if (!rc && v6)
		rc = expand_family(s, sh, 6, r, &cand, err, errlen);
	if (rc)
		return rc;
	if (s->e4.n > FW_GEN_ENTRIES || s->e6.n > FW_GEN_ENTRIES)
		return fail(
			err, errlen, -E2BIG,
			"rule %u: the set needs more than %u kernel entries per family",
			r->id, FW_GEN_ENTRIES);
	if (s->ncands - s->e4.n - s->e6.n > FW_CHAIN_GEN)
		return fail(
			err, errlen, -E2BIG,
			"rule %u: the set needs more than %u chained candidates",
			r->id, FW_CHAIN_GEN);
	return 0;
}

struct order {
	const struct fw_rule *r;
	size_t pos;
};

/*
 * Sort a[0..n) (tmp: room for n more) by LSD radix, a byte at a time,
 * skipping the bytes every key shares: a few passes over 10,000 keys
 * instead of qsort's ~130,000 indirect comparisons.
 */
static void radix_u64(__u64 *a, __u64 *tmp, size_t n)
{
	__u64 all_or = 0, all_and = ~0ull;

	for (size_t i = 0; i < n; i++) {
		all_or |= a[i];
		all_and &= a[i];
	}
	for (unsigned int sh = 0; sh < 64; sh += 8) {
		size_t cnt[256] = {0};

		if (!(((all_or ^ all_and) >> sh) & 0xff))
			continue; /* the same byte everywhere */
		for (size_t i = 0; i < n; i++)
			cnt[(a[i] >> sh) & 0xff]++;
		for (size_t i = 0, sum = 0; i < 256; i++) {
			size_t c = cnt[i];

			cnt[i] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[cnt[(a[i] >> sh) & 0xff]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
	}
}

/*
 * Ranks of the rules in ord (sorted by priority, then input order): the
 * priority's index among the distinct priorities, shifted left by enough
 * bits for the largest group of equal priorities (at least 4), plus the
 * rule's position in its group.  A rule added at a priority already in use
 * (the default one, say), last in input order, changes no other rule's rank
 * while the groups fit their bits, so the entries it leaves alone stay byte
 * for byte what the kernel holds (fw_set_apply writes only those that
 * differ); dense positions would renumber every rule after it.  Ranks stay
 * below 2^31 (NO_MATCH is all ones); beyond, dense positions.
 */
static void ranks_assign(const struct order *ord, size_t n, __u32 *rank)
{
	size_t nprio = n ? 1 : 0, group = 1, maxgroup = 1, prio = 0, tie = 0;
	unsigned int bits = 4;

	for (size_t i = 1; i < n; i++) {
		if (ord[i].r->priority != ord[i - 1].r->priority) {
			nprio++;
			group = 1;
		} else if (++group > maxgroup) {
			maxgroup = group;
		}
	}
	while ((1ul << bits) < maxgroup)
		bits++;
	for (size_t i = 0; i < n; i++) {
		if (i && ord[i].r->priority != ord[i - 1].r->priority) {
			prio++;
			tie = 0;
		} else if (i) {
			tie++;
		}
		rank[i] = (__u64)nprio << bits > 1ul << 31
				  ? (__u32)i
				  : (__u32)(prio << bits | tie);
	}
}

static int u32_cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* ---- prefilter ---- */

/* The prefilter hash of a laid-out key (tuple without the generation):
 * over its 64-bit words in memory, as the XDP program builds them. */
static __u64 pf_hash(int fam, const void *key)
{
	__u64 w[sizeof(struct fw6_key) / 8];

	_Static_assert(sizeof(struct fw4_key) == 3 * 8, "fw4_key: 3 words");
	_Static_assert(sizeof(struct fw6_key) == 6 * 8, "fw6_key: 6 words");
	if (fam == 4) {
		memcpy(w, key, sizeof(struct fw4_key));
		return fw_pf_hash4(w);
	}
	memcpy(w, key, sizeof(struct fw6_key));
	return fw_pf_hash6(w);
}

static __u32 pf_word(__u64 h, __u32 words)
{
	return (__u32)(h >> 32) & (words - 1);
}

/* Words for n keys: about 16 bits a key, a power of two (an empty set has
 * a filter too: one word that lets nothing through). */
static __u32 pf_size(size_t n)
{
	__u32 w = 1;

	while (w < FW_PF_WORDS && (size_t)w * 64 < n * 16)
		w <<= 1;
	return w;
}

/* (Re)build s->pf with words words over every key of both families. */
static int pf_build(struct fw_set *s, __u32 words)
{
	__u64 *pf = NULL;

	if (words) {
		pf = calloc(words, sizeof(*pf));
		if (!pf)
			return -ENOMEM;
	}
	for (int fam = 4; fam <= 6 && pf; fam += 2) {
		const struct entries *e = fam == 4 ? &s->e4 : &s->e6;

		for (size_t i = 0; i < e->n; i++) {
			__u64 h = pf_hash(fam, (char *)e->keys + i * e->ksize);

			pf[pf_word(h, words)] |= fw_pf_bits(h);
		}
	}
	free(s->pf);
	s->pf = pf;
	s->pf_words = words;
	return 0;
}

int fw_set_prefilter(struct fw_set *s, unsigned int words)
{
	if (words > FW_PF_WORDS || (words & (words - 1)))
		return -EINVAL;
	return pf_build(s, words);
}

/* Does the prefilter let key through? */
static bool pf_maybe(const struct fw_set *s, int fam, const void *key)
{
	__u64 h, bits;

	if (!s->pf_words)
		return true;
	h = pf_hash(fam, key);
	bits = fw_pf_bits(h);
	return (s->pf[pf_word(h, s->pf_words)] & bits) == bits;
}

void fw_set_free(struct fw_set *s)
{
	if (!s)
		return;
	free(s->pf);
	free(s->ids);
	entries_free(&s->e4);
	entries_free(&s->e6);
	free(s->cands);
	free(s);
}

int fw_set_compile(const struct fw_rule *rules, size_t n, struct fw_set **ret,
		   char *err, size_t errlen)
{
	struct shapes sh = {};
	struct order *ord = NULL;
	__u32 *rank = NULL;
	__u64 *key = NULL;
	struct fw_set *s;
	int rc;

	if (n > FW_MAX_RULES)
		return fail(err, errlen, -E2BIG, "%zu rules: at most %d", n,
			    FW_MAX_RULES);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->e4.ksize = sizeof(struct fw4_key);
	s->e6.ksize = sizeof(struct fw6_key);
	s->nrules = n;
	s->ids = malloc((n ? n : 1) * sizeof(*s->ids));
	ord = malloc((n ? n : 1) * sizeof(*ord));
	rank = malloc((n ? n : 1) * sizeof(*rank));
	key = malloc((n ? 2 * n : 1) * sizeof(*key));
	if (!s->ids || !ord || !rank || !key) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rc = rule_check(&rules[i], err, errlen);
		if (rc)
			goto out;
	}
	/* keys: the id, then priority << 32 | input position */
	for (size_t i = 0; i < n; i++)
		key[i] = rules[i].id;
	radix_u64(key, key + n, n);
	for (size_t i = 0; i < n; i++)
		s->ids[i] = (__u32)key[i];
	for (size_t i = 1; i < n; i++)
		if (s->ids[i] == s->ids[i - 1]) {
			rc = fail(err, errlen, -EINVAL,
				  "rule %u: id: used by more than one rule",
				  s->ids[i]);
			goto out;
		}
	for (size_t i = 0; i < n; i++)
		key[i] = (__u64)rules[i].priority << 32 | i;
	radix_u64(key, key + n, n);
	for (size_t i = 0; i < n; i++) {
		ord[i].pos = (__u32)key[i];
		ord[i].r = &rules[ord[i].pos];
	}
	rc = shapes_build(&sh, rules, n);
	if (rc)
		goto out;
	ranks_assign(ord, n, rank);
	for (size_t i = 0; i < n; i++) {
		rc = expand(s, &sh, ord[i].r, rank[i], err, errlen);
		if (rc)
			goto out;
	}
	rc = pf_build(s, pf_size(s->e4.n + s->e6.n));
	if (rc)
		goto out;
	free(ord);
	free(rank);
	free(key);
	free(sh.v);
	*ret = s;
	return 0;
out:
	free(ord);
	free(rank);
	free(key);
	free(sh.v);
	fw_set_free(s);
	return rc;
}

void fw_set_info(const struct fw_set *s, struct fw_set_info *ret)
{
	ret->rules = s->nrules;
	ret->entries4 = s->e4.n;
	ret->entries6 = s->e6.n;
	ret->tuples4 = s->ntup4;
	ret->tuples6 = s->ntup6;
	ret->prefilter_words = s->pf_words;
}

static bool prefix_ok(const __u32 *a, const __u32 *pfx, unsigned int plen)
{
	__u32 m[4];

	fw_prefix_mask(m, plen);
	for (int w = 0; w < 4; w++)
		if ((a[w] & m[w]) != pfx[w])
			return false;
	return true;
}

static bool cand_ok(const struct fw_rule_val *c, const struct fw_pkt_fields *p)
{
	return p->sport >= c->sport_lo && p->sport <= c->sport_hi &&
	       p->dport >= c->dport_lo && p->dport <= c->dport_hi &&
	       (p->tcpflags & c->tcp_mask) == c->tcp_value &&
	       prefix_ok(p->src, c->src, c->src_plen) &&
	       prefix_ok(p->dst, c->dst, c->dst_plen);
}

int fw_set_classify(const struct fw_set *s, const struct fw_pkt_fields *p,
		    struct fw_rule_val *ret)
{
	const struct entries *e = p->family == 4 ? &s->e4 : &s->e6;
	size_t ntup = p->family == 4 ? s->ntup4 : s->ntup6;
	__u32 best = UINT32_MAX, src[4] = {}, dst[4] = {};
	struct gkey g;

	/* IPv4 addresses live in word 0 only */
	memcpy(src, p->src, p->family == 4 ? 4 : 16);
	memcpy(dst, p->dst, p->family == 4 ? 4 : 16);
	for (size_t i = 0; i < ntup; i++) {
		union {
			struct fw4_key k4;
			struct fw6_key k6;
		} k;
		const __u32 *ms, *md;
		const struct fw4_key *m4 = &s->tup4[i].mask;
		const struct fw6_key *m6 = &s->tup6[i].mask;
		__u32 min_rank = p->family == 4 ? s->tup4[i].min_rank
						: s->tup6[i].min_rank;
		long idx;

		if (min_rank >= best)
			break;
		g.vlan = p->vlan & (p->family == 4 ? m4->vlan : m6->vlan);
		g.ifindex = p->ifindex &
			    (p->family == 4 ? m4->ifindex : m6->ifindex);
		g.proto = p->proto & (p->family == 4 ? m4->proto : m6->proto);
		g.sport = p->sport & (p->family == 4 ? m4->sport : m6->sport);
		g.dport = p->dport & (p->family == 4 ? m4->dport : m6->dport);
		ms = p->family == 4 ? &m4->src : m6->src;
		md = p->family == 4 ? &m4->dst : m6->dst;
		memset(g.src, 0, sizeof(g.src));
		memset(g.dst, 0, sizeof(g.dst));
		for (int w = 0; w < (p->family == 4 ? 1 : 4); w++) {
			g.src[w] = src[w] & ms[w];
			g.dst[w] = dst[w] & md[w];
		}
		gkey_layout(p->family, &g, &k);
		if (p->family == 4)
			k.k4.tuple = i;
		else
			k.k6.tuple = i;
		/* as the XDP program: a key the prefilter refuses is not probed */
		if (!pf_maybe(s, p->family, &k))
			continue;
		idx = entries_find(e, &k, NULL);
		if (idx < 0)
			continue;
		/* the same walk as the XDP program's chain_walk() */
		for (__u32 c = e->head[idx] + 1, j = 0; c && j < FW_CHAIN_MAX;
		     c = s->cands[c - 1].next, j++) {
			const struct fw_rule_val *v = &s->cands[c - 1];
			struct fw_pkt_fields q = *p;

			if (v->rank >= best)
				break;
			memcpy(q.src, src, 16);
			memcpy(q.dst, dst, 16);
			if (cand_ok(v, &q)) {
				best = v->rank;
				*ret = *v;
				ret->next = 0;
				break;
			}
		}
	}
	return best != UINT32_MAX;
}

/* ---- activation ---- */

static int map_new(enum bpf_map_type type, const char *name, __u32 ksize,
		   __u32 vsize, __u32 max, __u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	int fd = bpf_map_create(type, name, ksize, vsize, max ? max : 1, &o);

	return fd < 0 ? -errno : fd;
}

/*
 * What a generation's inner maps hold: per family the rule hash's keys
 * (tagged with the generation) and values, and the chain array.  The
 * loader keeps the image of what it wrote, so the next set written into
 * that generation costs only the entries that differ.
 */
struct fw_image {
	char *keys[2]; /* [0] IPv4, [1] IPv6; ksize[f] bytes each */
	struct fw_rule_val *vals[2];
	size_t n[2], ksize[2];
	struct fw_rule_val *chain;
	size_t nchain;
};

void fw_image_free(struct fw_image *img)
{
	if (!img)
		return;
	for (int f = 0; f < 2; f++) {
		free(img->keys[f]);
		free(img->vals[f]);
	}
	free(img->chain);
	free(img);
}

/* The image of s written into generation gen. */
static int image_build(const struct fw_set *s, __u32 gen, struct fw_image **ret)
{
	struct fw_image *img = calloc(1, sizeof(*img));
	size_t nchain = s->ncands - s->e4.n - s->e6.n;

	if (!img)
		return -ENOMEM;
	img->chain = malloc((nchain ? nchain : 1) * sizeof(*img->chain));
	if (!img->chain)
		goto nomem;
	for (int f = 0; f < 2; f++) {
		const struct entries *e = f ? &s->e6 : &s->e4;

		img->ksize[f] = e->ksize;
		img->n[f] = e->n;
		img->keys[f] = malloc((e->n ? e->n : 1) * e->ksize);
		img->vals[f] = malloc((e->n ? e->n : 1) * sizeof(**img->vals));
		if (!img->keys[f] || !img->vals[f])
			goto nomem;
		if (e->n)
			memcpy(img->keys[f], e->keys, e->n * e->ksize);
		for (size_t j = 0; j < e->n; j++) {
			struct fw_rule_val *prev = &img->vals[f][j];
			__u32 c = e->head[j];

			*(__u16 *)(img->keys[f] + j * e->ksize) |=
				gen << FW_TUPLE_GEN_SHIFT;
			*prev = s->cands[c];
			prev->next = 0;
			for (c = s->cands[c].next; c;
			     c = s->cands[c - 1].next) {
				struct fw_rule_val *v =
					&img->chain[img->nchain];

				*v = s->cands[c - 1];
				v->next = 0;
				prev->next = ++img->nchain; /* index + 1 */
				prev = v;
			}
		}
	}
	*ret = img;
	return 0;
nomem:
	fw_image_free(img);
	return -ENOMEM;
}

/* Update n entries of fd from keys / vals, BATCH at a time. */
static int batch_update(int fd, const void *keys, size_t ksize,
			const void *vals, size_t vsize, size_t n)
{
	for (size_t i = 0; i < n; i += BATCH) {
		__u32 cnt = n - i < BATCH ? n - i : BATCH;

		if (bpf_map_update_batch(fd, (const char *)keys + i * ksize,
					 (const char *)vals + i * vsize, &cnt,
					 NULL))
			return -errno;
	}
	return 0;
}

static int batch_delete(int fd, const void *keys, size_t ksize, size_t n)
{
	for (size_t i = 0; i < n; i += BATCH) {
		__u32 cnt = n - i < BATCH ? n - i : BATCH;

		if (bpf_map_delete_batch(fd, (const char *)keys + i * ksize,
					 &cnt, NULL))
			return -errno;
	}
	return 0;
}

/*
 * Make the rule hash fd, which holds family f of old (NULL: nothing),
 * hold that of img: the keys old has and img lacks are deleted first (the
 * map never holds more than the larger of the two), then the entries that
 * are new or differ are written.
 */
static int hash_write(int fd, const struct fw_image *img,
		      const struct fw_image *old, int f)
{
	size_t ks = img->ksize[f], n = img->n[f], on = old ? old->n[f] : 0;
	size_t nslots = 1, nupd = 0, ndel = 0;
	__u32 *slots = NULL, *upd = NULL;
	char *kbuf = NULL, *seen = NULL;
	struct fw_rule_val *vbuf = NULL;
	int err = -ENOMEM;

	if (!on)
		return batch_update(fd, img->keys[f], ks, img->vals[f],
				    sizeof(*img->vals[f]), n);
	while (nslots < 2 * on)
		nslots <<= 1;
	slots = calloc(nslots, sizeof(*slots));
	seen = calloc(on, 1);
	upd = malloc((n ? n : 1) * sizeof(*upd));
	kbuf = malloc((n > on ? n : on) * ks);
	vbuf = malloc((n ? n : 1) * sizeof(*vbuf));
	if (!slots || !seen || !upd || !kbuf || !vbuf)
		goto out;
	for (size_t i = 0; i < on; i++) {
		size_t h = key_hash(old->keys[f] + i * ks, ks) & (nslots - 1);

		while (slots[h])
			h = (h + 1) & (nslots - 1);
		slots[h] = i + 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *k = img->keys[f] + i * ks;
		size_t h = key_hash(k, ks) & (nslots - 1);
		bool same = false;

		for (; slots[h]; h = (h + 1) & (nslots - 1)) {
			size_t o = slots[h] - 1;

			if (memcmp(old->keys[f] + o * ks, k, ks))
				continue;
			seen[o] = 1;
			same = !memcmp(&old->vals[f][o], &img->vals[f][i],
				       sizeof(img->vals[f][i]));
			break;
		}
		if (!same)
			upd[nupd++] = i;
	}
	for (size_t o = 0; o < on; o++)
		if (!seen[o])
			memcpy(kbuf + ndel++ * ks, old->keys[f] + o * ks, ks);
	err = batch_delete(fd, kbuf, ks, ndel);
	for (size_t i = 0; i < nupd && !err; i++) {
		memcpy(kbuf + i * ks, img->keys[f] + upd[i] * ks, ks);
		vbuf[i] = img->vals[f][upd[i]];
	}
	if (!err)
		err = batch_update(fd, kbuf, ks, vbuf, sizeof(*vbuf), nupd);
out:
	free(slots);
	free(seen);
	free(upd);
	free(kbuf);
	free(vbuf);
	return err;
}

/* The chain array fd, holding old's (NULL: unknown), to hold img's: the
 * slots that differ (those past img's end are unreachable). */
static int chain_write(int fd, const struct fw_image *img,
		       const struct fw_image *old)
{
	__u32 *idx = malloc((img->nchain ? img->nchain : 1) * sizeof(*idx));
	struct fw_rule_val *v =
		malloc((img->nchain ? img->nchain : 1) * sizeof(*v));
	size_t n = 0;
	int err = -ENOMEM;

	if (!idx || !v)
		goto out;
	for (size_t i = 0; i < img->nchain; i++) {
		if (old && i < old->nchain &&
		    !memcmp(&old->chain[i], &img->chain[i], sizeof(*v)))
			continue;
		idx[n] = i;
		v[n++] = img->chain[i];
	}
	err = batch_update(fd, idx, sizeof(*idx), v, sizeof(*v), n);
out:
	free(idx);
	free(v);
	return err;
}

/* Write s's fast path and prefilter, tagged tag, into fw_pf[gen]. */
static int write_fast(struct fw_maps *m, const struct fw_set *s, __u32 gen,
		      __u32 tag)
{
	struct fw_pf_gen *g = m->pfbuf;

	/* one buffer for the process: a value is up to 1 MiB, and the words
	 * past g->words (left from an earlier set) are never read */
	if (!g && !(g = m->pfbuf = calloc(1, sizeof(*g))))
		return -ENOMEM;
	memset(g, 0, offsetof(struct fw_pf_gen, bloom));
	g->tag = tag;
	g->words = s->pf_words;
	g->ntup4 = s->ntup4;
	g->ntup6 = s->ntup6;
	for (size_t i = 0; i < FW_PF_FAST && i < s->ntup4; i++) {
		g->rank4[i] = s->tup4[i].min_rank;
		g->mask4[i] = s->tup4[i].mask;
	}
	for (size_t i = 0; i < FW_PF_FAST && i < s->ntup6; i++) {
		g->rank6[i] = s->tup6[i].min_rank;
		g->mask6[i] = s->tup6[i].mask;
	}
	if (s->pf_words)
		memcpy(g->bloom, s->pf, s->pf_words * sizeof(*s->pf));
	return bpf_map_update_elem(m->pf, &gen, g, BPF_ANY) ? -errno : 0;
}

/* Keys per batch of the counter map (each with a value per CPU). */
#define CNT_BATCH 256

/* The rule ids that have counters now, sorted, into *ret (free it). */
/* Zeroed values (one per CPU each) for CNT_BATCH keys of fw_rcnt. */
static struct fw_counter *cnt_batch_buf(void)
{
	int ncpu = libbpf_num_possible_cpus();

	return ncpu > 0 ? calloc((size_t)CNT_BATCH * ncpu,
				 sizeof(struct fw_counter))
			: NULL;
}

static int counters_ids(const struct fw_maps *m, __u32 **ret, size_t *ret_n)
{
	struct fw_counter *vals = cnt_batch_buf();
	__u32 *ids = NULL, batch = 0, n;
	size_t len = 0, cap = 0;
	bool first = true, last = false;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	while (!last) {
		if (len + CNT_BATCH > cap) {
			__u32 *p = realloc(ids, (cap + 4 * CNT_BATCH) *
							sizeof(*ids));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			ids = p;
			cap += 4 * CNT_BATCH;
		}
		n = CNT_BATCH;
		if (bpf_map_lookup_batch(m->rcnt, first ? NULL : &batch, &batch,
					 ids + len, vals, &n, NULL)) {
			if (errno != ENOENT) {
				err = -errno;
				break;
			}
			last = true; /* n holds the final, partial batch */
		}
		first = false;
		len += n;
	}
	free(vals);
	if (err) {
		free(ids);
		return err;
	}
	if (len)
		qsort(ids, len, sizeof(*ids), u32_cmp);
	*ret = ids;
	*ret_n = len;
	return 0;
}

/* Create counters for the ids of s that have none (have: the ids that do,
 * sorted); those of ids that stay keep counting. */
static int counters_add(const struct fw_maps *m, const struct fw_set *s,
			const __u32 *have, size_t nhave)
{
	struct fw_counter *zero = cnt_batch_buf();
	__u32 keys[CNT_BATCH], n = 0;
	size_t h = 0;
	int err = 0;

	if (!zero)
		return -ENOMEM;
	for (size_t i = 0; i <= s->nrules && !err; i++) {
		if (i < s->nrules) {
			while (h < nhave && have[h] < s->ids[i])
				h++;
			if (h < nhave && have[h] == s->ids[i])
				continue;
			keys[n++] = s->ids[i];
		}
		if (n == CNT_BATCH || (i == s->nrules && n)) {
			__u32 cnt = n;

			/* ids known absent (batches take no BPF_NOEXIST) */
			if (bpf_map_update_batch(m->rcnt, keys, zero, &cnt,
						 NULL))
				err = -errno;
			n = 0;
		}
	}
	free(zero);
	return err;
}

/* Remove the counters of ids not in s (have: the ids that had counters);
 * false if some could not be (the ids with counters are then unknown). */
static bool counters_prune(const struct fw_maps *m, const struct fw_set *s,
			   const __u32 *have, size_t nhave)
{
	__u32 keys[CNT_BATCH], n = 0;
	bool ok = true;

	for (size_t i = 0; i <= nhave; i++) {
		if (i < nhave && !bsearch(&have[i], s->ids, s->nrules,
					  sizeof(*s->ids), u32_cmp))
			keys[n++] = have[i];
		if (n == CNT_BATCH || (i == nhave && n)) {
			__u32 cnt = n;

			ok &= !bpf_map_delete_batch(m->rcnt, keys, &cnt, NULL);
			n = 0;
		}
	}
	return ok;
}

/* Inner maps are created with room to grow (a rule added through the API
 * fits without a new map) and replaced once four times too large. */
static __u32 inner_cap(size_t need)
{
	return need + need / 2 + 64;
}

static bool inner_fits(__u32 cap, size_t need)
{
	return cap >= need && cap <= 4 * need + 4096;
}

static int outer_of(const struct fw_maps *m, int k)
{
	return k == FW_IN_R4 ? m->rules4 : k == FW_IN_R6 ? m->rules6 : m->chain;
}

/* Empty a rule hash that stays plugged in an inactive generation. */
static int hash_clear(int fd, __u32 ksize)
{
	enum { N = 1024 };
	char *keys = malloc((size_t)N * ksize);
	struct fw_rule_val *vals = malloc(N * sizeof(*vals));
	__u32 batch = 0, n;
	bool first = true;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = N;
		if (bpf_map_lookup_and_delete_batch(fd, first ? NULL : &batch,
						    &batch, keys, vals, &n,
						    NULL)) {
			if (errno != ENOENT)
				err = -errno;
			break; /* ENOENT: that batch was the last */
		}
		first = false;
	}
out:
	free(keys);
	free(vals);
	return err;
}

/*
 * The inner map k of generation gen, with room for need entries, into *fd:
 * the one m plugged there if the slot still holds it and its size suits
 * (*fresh false), otherwise a new, empty one (*fresh: to be plugged).
 */
static int inner_get(struct fw_maps *m, __u32 gen, int k, size_t need, int *fd,
		     bool *fresh)
{
	static const char *const names[] = {"fw_r4", "fw_r6", "fw_ch"};
	static const __u32 ksize[] = {sizeof(struct fw4_key),
				      sizeof(struct fw6_key), sizeof(__u32)};
	struct fw_inner *in = &m->inner[gen][k];
	__u32 id = 0;

	if (in->fd >= 0 && inner_fits(in->cap, need) &&
	    !bpf_map_lookup_elem(outer_of(m, k), &gen, &id) && id == in->id) {
		*fresh = false;
		*fd = in->fd;
		return 0;
	}
	*fresh = true;
	*fd = map_new(k == FW_IN_CH ? BPF_MAP_TYPE_ARRAY : BPF_MAP_TYPE_HASH,
		      names[k], ksize[k], sizeof(struct fw_rule_val),
		      inner_cap(need), k == FW_IN_CH ? BPF_F_INNER_MAP : 0);
	return *fd < 0 ? *fd : 0;
}

/* Plug the new inner map fd into slot gen (the kernel waits for a grace
 * period) and remember it in m. */
static int inner_plug(struct fw_maps *m, __u32 gen, int k, int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct fw_inner *in = &m->inner[gen][k];
	int dup;

	if (bpf_map_update_elem(outer_of(m, k), &gen, &fd, BPF_ANY) ||
	    bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0)
		return -errno;
	if (in->fd >= 0)
		close(in->fd);
	*in = (struct fw_inner){
		.fd = dup, .id = info.id, .cap = info.max_entries};
	return 0;
}

/*
 * Write img into the inner maps fd of a generation.  old is what they
 * hold (NULL: unknown; the rule hashes are emptied first unless fresh);
 * on a failed difference write the hashes are rewritten whole.
 */
static int inner_write(const int *fd, const bool *fresh,
		       const struct fw_image *img, const struct fw_image *old)
{
	int err = 0;

	for (int k = FW_IN_R4; k <= FW_IN_R6 && !old && !err; k++)
		if (!fresh[k])
			err = hash_clear(fd[k], img->ksize[k]);
	for (int f = 0; f < 2 && !err; f++)
		err = hash_write(fd[FW_IN_R4 + f], img, old, f);
	if (!err)
		err = chain_write(fd[FW_IN_CH], img, old);
	if (err && old)
		return inner_write(fd, fresh, img, NULL);
	return err;
}

/* The rule ids with counters now, sorted: from m when it knows them. */
static int counters_have(struct fw_maps *m, __u32 **ret, size_t *ret_n)
{
	if (!m->cnt_known)
		return counters_ids(m, ret, ret_n);
	*ret = malloc((m->ncnt_ids ? m->ncnt_ids : 1) * sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, m->cnt_ids, m->ncnt_ids * sizeof(**ret));
	*ret_n = m->ncnt_ids;
	return 0;
}

/* After a switch to s, remember its ids as those with counters. */
static void counters_remember(struct fw_maps *m, const struct fw_set *s,
			      bool ok)
{
	__u32 *p = ok ? malloc((s->nrules ? s->nrules : 1) * sizeof(*p)) : NULL;

	free(m->cnt_ids);
	m->cnt_ids = p;
	m->ncnt_ids = p ? s->nrules : 0;
	m->cnt_known = p != NULL;
	if (p && s->nrules)
		memcpy(p, s->ids, s->nrules * sizeof(*p));
}

/* Does generation gen lack an inner map of this process fit for need? */
static bool inner_unfit(const struct fw_maps *m, __u32 gen, const size_t *need)
{
	for (int k = 0; k < FW_IN__MAX; k++)
		if (m->inner[gen][k].fd < 0 ||
		    !inner_fits(m->inner[gen][k].cap, need[k]))
			return true;
	return false;
}

/*
 * Give generation gen, which has just become inactive, inner maps of this
 * process sized for need (empty; their contents are unknown to m), so the
 * next set written there -- a rule more or less -- needs no grace period.
 * Only where m knows none or none that fits: the first set a process
 * writes, and a set much larger or smaller than the one before.
 */
static void inner_prime(struct fw_maps *m, __u32 gen, const size_t *need)
{
	for (int k = 0; k < FW_IN__MAX; k++) {
		int fd;
		bool fresh;

		if ((m->inner[gen][k].fd >= 0 &&
		     inner_fits(m->inner[gen][k].cap, need[k])) ||
		    inner_get(m, gen, k, need[k], &fd, &fresh) || !fresh)
			continue;
		inner_plug(m, gen, k, fd);
		close(fd);
	}
	fw_image_free(m->img[gen]);
	m->img[gen] = NULL;
}

/*
 * Without a grace period: the generation written is the inactive one, and
 * a frame still reading it (it read the activation counter before the last
 * switch) sees the counter moved when it is done and classifies again.
 * Inner maps this process plugged earlier are rewritten in place, only
 * where their contents differ from what it wrote there last; new ones are
 * plugged first, before anything else of the generation is written, so the
 * grace period their plugging waits for also covers frames of a program
 * that does not check the counter (an older program, before the loader's
 * replaced it).
 */
int fw_set_apply(struct fw_maps *m, const struct fw_set *s, char *err,
		 size_t errlen)
{
	struct fw_gen_hdr hdr = {
		.ntup4 = s->ntup4,
		.ntup6 = s->ntup6,
		.nrules = s->nrules,
	};
	struct fw_gen_hdr cur_hdr = {};
	__u32 zero = 0, cur_v = 0, next, nextv;
	size_t need[FW_IN__MAX] = {s->e4.n, s->e6.n,
				   s->ncands - s->e4.n - s->e6.n};
	int fd[FW_IN__MAX] = {-1, -1, -1};
	bool fresh[FW_IN__MAX] = {false, false, false}, prime = false;
	struct fw_image *img = NULL, *old;
	__u32 *have = NULL;
	size_t nhave = 0;
	int rc = 0;

	if (bpf_map_lookup_elem(m->active, &zero, &cur_v) ||
	    bpf_map_lookup_elem(m->gen, &(__u32){cur_v & 1}, &cur_hdr))
		return fail(err, errlen, -errno,
			    "reading the active generation: %s",
			    strerror(errno));
	next = (cur_v & 1) ^ 1;
	nextv = cur_v + 1; /* its low bit is next */

	rc = image_build(s, next, &img);
	prime = inner_unfit(m, !next, need);
	for (int k = 0; k < FW_IN__MAX && !rc; k++)
		rc = inner_get(m, next, k, need[k], &fd[k], &fresh[k]);
	if (rc) {
		fail(err, errlen, rc, "preparing the rule maps: %s",
		     strerror(-rc));
		goto out;
	}
	rc = counters_have(m, &have, &nhave);
	if (!rc)
		rc = counters_add(m, s, have, nhave);
	if (rc) {
		fail(err, errlen, rc, "creating rule counters: %s",
		     strerror(-rc));
		goto out;
	}
	/* the contents are known only where every map stays */
	old = m->img[next];
	m->img[next] = NULL; /* unknown until written */
	rc = inner_write(fd, fresh, img,
			 fresh[0] || fresh[1] || fresh[2] ? NULL : old);
	fw_image_free(old);
	for (int k = 0; k < FW_IN__MAX && !rc; k++)
		if (fresh[k])
			rc = inner_plug(m, next, k, fd[k]);
	for (__u32 i = 0; i < s->ntup4 && !rc; i++) {
		__u32 idx = next * FW_MAX_TUPLES + i;

		if (bpf_map_update_elem(m->tup4, &idx, &s->tup4[i], BPF_ANY))
			rc = -errno;
	}
	for (__u32 i = 0; i < s->ntup6 && !rc; i++) {
		__u32 idx = next * FW_MAX_TUPLES + i;

		if (bpf_map_update_elem(m->tup6, &idx, &s->tup6[i], BPF_ANY))
			rc = -errno;
	}
	/* a new tag: fw_pf[next] is trusted only alongside this header
	 * (pins of a loader without fw_pf: no fast path, no prefilter) */
	if (!rc && m->pf >= 0) {
		hdr.pf_tag = cur_hdr.pf_tag + 1 ? cur_hdr.pf_tag + 1 : 1;
		rc = write_fast(m, s, next, hdr.pf_tag);
	}
	if (!rc && bpf_map_update_elem(m->gen, &next, &hdr, BPF_ANY))
		rc = -errno;
	if (rc) {
		/* the active set is untouched; the inactive one is rewritten
		 * whole by the next apply */
		fail(err, errlen, rc, "writing the new rule set: %s",
		     strerror(-rc));
		goto out;
	}
	m->img[next] = img; /* what the generation holds now */
	img = NULL;

	/* the switch: one map update */
	if (bpf_map_update_elem(m->active, &zero, &nextv, BPF_ANY)) {
		rc = -errno;
		fail(err, errlen, rc, "activating the new rule set: %s",
		     strerror(-rc));
		goto out;
	}
	counters_remember(m, s, counters_prune(m, s, have, nhave));
	if (prime)
		inner_prime(m, !next, need);
out:
	if (rc)
		counters_remember(m, s, false);
	for (int k = 0; k < FW_IN__MAX; k++)
		if (fresh[k] && fd[k] >= 0)
			close(fd[k]);
	fw_image_free(img);
	free(have);
	return rc;
}
