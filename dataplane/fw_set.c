// SPDX-License-Identifier: GPL-2.0-only
/* Rule sets: validation, compilation to tuple-space form, atomic activation. */
#include <endian.h>
#include <errno.h>
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

static __u64 hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	__u64 h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
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
			hash_bytes((char *)e->keys + i * e->ksize, e->ksize) &
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
	slot = hash_bytes(key, e->ksize) & (e->nslots - 1);
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

static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->r->priority != y->r->priority)
		return x->r->priority < y->r->priority ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
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
	if (!s->ids || !ord) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rc = rule_check(&rules[i], err, errlen);
		if (rc)
			goto out;
		s->ids[i] = rules[i].id;
		ord[i].r = &rules[i];
		ord[i].pos = i;
	}
	qsort(s->ids, n, sizeof(*s->ids), u32_cmp);
	for (size_t i = 1; i < n; i++)
		if (s->ids[i] == s->ids[i - 1]) {
			rc = fail(err, errlen, -EINVAL,
				  "rule %u: id: used by more than one rule",
				  s->ids[i]);
			goto out;
		}
	qsort(ord, n, sizeof(*ord), order_cmp);
	rc = shapes_build(&sh, rules, n);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		rc = expand(s, &sh, ord[i].r, i, err, errlen);
		if (rc)
			goto out;
	}
	rc = pf_build(s, pf_size(s->e4.n + s->e6.n));
	if (rc)
		goto out;
	free(ord);
	free(sh.v);
	*ret = s;
	return 0;
out:
	free(ord);
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
 * Write one family's keys (tagged with gen) into the new hash rules_fd, and
 * the candidates after each chain's head into the new array chain_fd from
 * *chain_pos on.
 */
static int write_entries(const struct fw_set *s, int fam, __u32 gen,
			 int rules_fd, int chain_fd, __u32 *chain_pos)
{
	const struct entries *e = fam == 4 ? &s->e4 : &s->e6;
	struct fw_rule_val *vals = NULL, *cvals = NULL;
	__u32 *cidx = NULL, nc = 0, cnt;
	char *keys = NULL;
	int err = 0;

	keys = malloc(BATCH * e->ksize);
	vals = malloc(BATCH * sizeof(*vals));
	cvals = malloc(BATCH * sizeof(*cvals));
	cidx = malloc(BATCH * sizeof(*cidx));
	if (!keys || !vals || !cvals || !cidx) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < e->n && !err; i += BATCH) {
		cnt = e->n - i < BATCH ? e->n - i : BATCH;
		memcpy(keys, (char *)e->keys + i * e->ksize, cnt * e->ksize);
		for (__u32 j = 0; j < cnt && !err; j++) {
			__u32 c = e->head[i + j];
			struct fw_rule_val *prev = &vals[j];

			*(__u16 *)(keys + j * e->ksize) |=
				gen << FW_TUPLE_GEN_SHIFT;
			vals[j] = s->cands[c];
			vals[j].next = 0;
			/* whole chains only: a flushed slot is never relinked */
			if (nc > BATCH - FW_CHAIN_MAX) {
				__u32 n = nc;

				if (bpf_map_update_batch(chain_fd, cidx, cvals,
							 &n, NULL)) {
					err = -errno;
					break;
				}
				nc = 0;
			}
			for (c = s->cands[c].next; c;
			     c = s->cands[c - 1].next) {
				cidx[nc] = *chain_pos;
				cvals[nc] = s->cands[c - 1];
				cvals[nc].next = 0;
				prev->next = *chain_pos + 1;
				prev = &cvals[nc];
				(*chain_pos)++;
				nc++;
			}
		}
		if (!err &&
		    bpf_map_update_batch(rules_fd, keys, vals, &cnt, NULL))
			err = -errno;
	}
	cnt = nc;
	if (!err && nc &&
	    bpf_map_update_batch(chain_fd, cidx, cvals, &cnt, NULL))
		err = -errno;
out:
	free(keys);
	free(vals);
	free(cvals);
	free(cidx);
	return err;
}

/* Write s's fast path and prefilter, tagged tag, into fw_pf[gen]. */
static int write_fast(const struct fw_maps *m, const struct fw_set *s,
		      __u32 gen, __u32 tag)
{
	struct fw_pf_gen *g = calloc(1, sizeof(*g));
	int err = 0;

	if (!g)
		return -ENOMEM;
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
	if (bpf_map_update_elem(m->pf, &gen, g, BPF_ANY))
		err = -errno;
	free(g);
	return err;
}

/* Create counters for new ids; keep those of ids that stay. */
static int counters_add(const struct fw_maps *m, const struct fw_set *s)
{
	int ncpu = libbpf_num_possible_cpus();
	struct fw_counter *zero;
	int err = 0;

	if (ncpu <= 0)
		return -EINVAL;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (size_t i = 0; i < s->nrules; i++)
		if (bpf_map_update_elem(m->rcnt, &s->ids[i], zero,
					BPF_NOEXIST) &&
		    errno != EEXIST) {
			err = -errno;
			break;
		}
	free(zero);
	return err;
}

/* Remove counters of ids not in s. */
static void counters_prune(const struct fw_maps *m, const struct fw_set *s)
{
	__u32 key, next, *stale = NULL;
	size_t n = 0, cap = 0;
	int more;

	more = !bpf_map_get_next_key(m->rcnt, NULL, &next);
	while (more) {
		key = next;
		more = !bpf_map_get_next_key(m->rcnt, &key, &next);
		if (bsearch(&key, s->ids, s->nrules, sizeof(*s->ids), u32_cmp))
			continue;
		if (n == cap) {
			__u32 *p = realloc(stale,
					   (cap ? cap * 2 : 256) * sizeof(*p));

			if (!p)
				break;
			stale = p;
			cap = cap ? cap * 2 : 256;
		}
		stale[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(m->rcnt, &stale[i]);
	free(stale);
}

/* Empty slot gen of the three per-generation outer maps. */
static void slots_clear(const struct fw_maps *m, __u32 gen)
{
	bpf_map_delete_elem(m->rules4, &gen);
	bpf_map_delete_elem(m->rules6, &gen);
	bpf_map_delete_elem(m->chain, &gen);
}

int fw_set_apply(const struct fw_maps *m, const struct fw_set *s, char *err,
		 size_t errlen)
{
	struct fw_gen_hdr hdr = {
		.ntup4 = s->ntup4,
		.ntup6 = s->ntup6,
		.nrules = s->nrules,
	};
	struct fw_gen_hdr cur_hdr = {};
	__u32 zero = 0, cur = 0, next, chain_pos = 0;
	__u32 nchain = s->ncands - s->e4.n - s->e6.n;
	int rc, r4 = -1, r6 = -1, ch = -1;

	if (bpf_map_lookup_elem(m->active, &zero, &cur))
		return fail(err, errlen, -errno,
			    "reading the active generation: %s",
			    strerror(errno));
	cur &= 1;
	next = !cur;
	if (bpf_map_lookup_elem(m->gen, &cur, &cur_hdr))
		return fail(err, errlen, -errno,
			    "reading the active generation: %s",
			    strerror(errno));

	/* no packet may still be judged by generation next */
	rc = fw_sync(m);
	if (rc)
		return fail(err, errlen, rc, "waiting for readers: %s",
			    strerror(-rc));
	slots_clear(m, next);

	/* maps sized to this set: small sets stay in cache */
	r4 = map_new(BPF_MAP_TYPE_HASH, "fw_r4", sizeof(struct fw4_key),
		     sizeof(struct fw_rule_val), s->e4.n + s->e4.n / 8 + 16, 0);
	r6 = map_new(BPF_MAP_TYPE_HASH, "fw_r6", sizeof(struct fw6_key),
		     sizeof(struct fw_rule_val), s->e6.n + s->e6.n / 8 + 16, 0);
	ch = map_new(BPF_MAP_TYPE_ARRAY, "fw_ch", sizeof(__u32),
		     sizeof(struct fw_rule_val), nchain, BPF_F_INNER_MAP);
	rc = r4 < 0 ? r4 : r6 < 0 ? r6 : ch < 0 ? ch : 0;
	if (rc) {
		fail(err, errlen, rc, "creating the rule maps: %s",
		     strerror(-rc));
		goto out;
	}
	rc = counters_add(m, s);
	if (rc) {
		fail(err, errlen, rc, "creating rule counters: %s",
		     strerror(-rc));
		goto out;
	}
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
	if (!rc)
		rc = write_entries(s, 4, next, r4, ch, &chain_pos);
	if (!rc)
		rc = write_entries(s, 6, next, r6, ch, &chain_pos);
	/* a new tag: fw_pf[next] is trusted only alongside this header
	 * (pins of a loader without fw_pf: no fast path, no prefilter) */
	if (!rc && m->pf >= 0) {
		hdr.pf_tag = cur_hdr.pf_tag + 1 ? cur_hdr.pf_tag + 1 : 1;
		rc = write_fast(m, s, next, hdr.pf_tag);
	}
	if (!rc && bpf_map_update_elem(m->gen, &next, &hdr, BPF_ANY))
		rc = -errno;
	if (!rc && (bpf_map_update_elem(m->rules4, &next, &r4, BPF_ANY) ||
		    bpf_map_update_elem(m->rules6, &next, &r6, BPF_ANY) ||
		    bpf_map_update_elem(m->chain, &next, &ch, BPF_ANY)))
		rc = -errno;
	if (rc) {
		fail(err, errlen, rc, "writing the new rule set: %s",
		     strerror(-rc));
		goto undo;
	}

	/* the switch: one map update */
	if (bpf_map_update_elem(m->active, &zero, &next, BPF_ANY)) {
		rc = -errno;
		fail(err, errlen, rc, "activating the new rule set: %s",
		     strerror(-rc));
		goto undo;
	}

	/* once readers are done with the old generation, free it */
	if (!fw_sync(m)) {
		slots_clear(m, cur);
		counters_prune(m, s);
	}
	goto out;
undo:
	slots_clear(m, next);
out:
	if (r4 >= 0)
		close(r4);
	if (r6 >= 0)
		close(r6);
	if (ch >= 0)
		close(ch);
	return rc;
}
