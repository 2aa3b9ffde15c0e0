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

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fw.h"

/* Entries per family that one generation may use: both must fit at once. */
#define FW_GEN_ENTRIES (FW_MAX_ENTRIES / FW_GENS)
#define BATCH	       8192

struct entries {
	void *keys;		  /* owned; ksize bytes each */
	struct fw_rule_val *vals; /* owned */
	size_t n, cap, ksize;
	__u32 *slots; /* owned; open-addressing index (entry + 1) for dedup */
	size_t nslots;
};

struct fw_set {
	size_t nrules;
	__u32 *ids; /* owned; sorted rule ids */
	struct fw4_tuple tup4[FW_MAX_TUPLES];
	struct fw6_tuple tup6[FW_MAX_TUPLES];
	size_t ntup4, ntup6;
	struct entries e4, e6;
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

static void mask_addr(__u32 *mask, const struct fw_cidr *c, int words)
{
	int plen = c->family ? c->plen : 0;

	for (int i = 0; i < words; i++) {
		int bits = plen - 32 * i;

		if (bits <= 0)
			mask[i] = 0;
		else if (bits >= 32)
			mask[i] = 0xffffffff;
		else
			mask[i] = htobe32(0xffffffffu << (32 - bits));
	}
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
	void *keys;
	struct fw_rule_val *vals;
	__u32 *slots;

	keys = realloc(e->keys, cap * e->ksize);
	if (!keys)
		return -ENOMEM;
	e->keys = keys;
	vals = realloc(e->vals, cap * sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	e->vals = vals;
	slots = calloc(cap * 2, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(e->slots);
	e->slots = slots;
	e->nslots = cap * 2;
	e->cap = cap;
	/* rehash */
	for (size_t i = 0; i < e->n; i++) {
		size_t s =
			hash_bytes((char *)e->keys + i * e->ksize, e->ksize) &
			(e->nslots - 1);

		while (e->slots[s])
			s = (s + 1) & (e->nslots - 1);
		e->slots[s] = i + 1;
	}
	return 0;
}

/* Add key/val unless the same key is there already (the earlier rank wins). */
static int entries_add(struct entries *e, const void *key,
		       const struct fw_rule_val *val)
{
	size_t s;
	int err;

	if (e->n + 1 > e->cap) {
		err = entries_grow(e);
		if (err)
			return err;
	}
	s = hash_bytes(key, e->ksize) & (e->nslots - 1);
	while (e->slots[s]) {
		if (!memcmp((char *)e->keys + (e->slots[s] - 1) * e->ksize, key,
			    e->ksize))
			return 0;
		s = (s + 1) & (e->nslots - 1);
	}
	memcpy((char *)e->keys + e->n * e->ksize, key, e->ksize);
	e->vals[e->n] = *val;
	e->slots[s] = ++e->n;
	return 0;
}

static void entries_free(struct entries *e)
{
	free(e->keys);
	free(e->vals);
	free(e->slots);
}

/* Find or add the tuple of this mask; *ret its index. */
static int tuple4(struct fw_set *s, const struct fw4_key *mask, __u32 rank,
		  __u16 *ret)
{
	for (size_t i = s->ntup4; i-- > 0;)
		if (!memcmp(&s->tup4[i].mask, mask, sizeof(*mask))) {
			*ret = i;
			return 0;
		}
	if (s->ntup4 == FW_MAX_TUPLES)
		return -E2BIG;
	s->tup4[s->ntup4].mask = *mask;
	s->tup4[s->ntup4].min_rank = rank; /* rules come in rank order */
	*ret = s->ntup4++;
	return 0;
}

static int tuple6(struct fw_set *s, const struct fw6_key *mask, __u32 rank,
		  __u16 *ret)
{
	for (size_t i = s->ntup6; i-- > 0;)
		if (!memcmp(&s->tup6[i].mask, mask, sizeof(*mask))) {
			*ret = i;
			return 0;
		}
	if (s->ntup6 == FW_MAX_TUPLES)
		return -E2BIG;
	s->tup6[s->ntup6].mask = *mask;
	s->tup6[s->ntup6].min_rank = rank;
	*ret = s->ntup6++;
	return 0;
}

/* The match fields shared by both families, as mask and value. */
struct common {
	__u16 vlan, vlan_m;
	__u32 ifindex, ifindex_m;
	__u8 proto, proto_m, tcp, tcp_m;
};

static int expand(struct fw_set *s, const struct fw_rule *r, __u32 rank,
		  char *err, size_t errlen)
{
	struct vm sp[32], dp[32];
	size_t nsp, ndp;
	struct common c = {
		.vlan = r->vlan >= 0 ? r->vlan : 0,
		.vlan_m = r->vlan >= 0 ? 0x0fff : 0,
		.ifindex = r->ifindex,
		.ifindex_m = r->ifindex ? 0xffffffff : 0,
		.proto = r->proto,
		.proto_m = r->proto ? 0xff : 0,
		.tcp = r->tcp_value,
		.tcp_m = r->tcp_mask,
	};
	struct fw_rule_val val = {
		.rule_id = r->id,
		.rank = rank,
		.action = r->action,
		.flags = r->dry_run ? FW_RF_DRYRUN : 0,
	};
	bool v4, v6;
	int ret;

	if (r->proto == 1 || r->proto == 58) {
		/* ICMP type and code live in the port fields */
		sp[0].v = r->icmp_type >= 0 ? r->icmp_type : 0;
		sp[0].m = r->icmp_type >= 0 ? 0xffff : 0;
		dp[0].v = r->icmp_code >= 0 ? r->icmp_code : 0;
		dp[0].m = r->icmp_code >= 0 ? 0xffff : 0;
		nsp = ndp = 1;
	} else {
		nsp = range_split(&r->sport, sp);
		ndp = range_split(&r->dport, dp);
	}
	v4 = r->src.family == 4 || r->dst.family == 4 || r->proto == 1;
	v6 = r->src.family == 6 || r->dst.family == 6 || r->proto == 58;
	if (!v4 && !v6)
		v4 = v6 = true;

	for (size_t i = 0; i < nsp; i++) {
		for (size_t j = 0; j < ndp; j++) {
			if (v4) {
				struct fw4_key m = {
					.vlan = c.vlan_m,
					.ifindex = c.ifindex_m,
					.proto = c.proto_m,
					.tcpflags = c.tcp_m,
					.sport = sp[i].m,
					.dport = dp[j].m,
				};
				struct fw4_key k = {
					.vlan = c.vlan,
					.ifindex = c.ifindex,
					.proto = c.proto,
					.tcpflags = c.tcp,
					.sport = sp[i].v,
					.dport = dp[j].v,
				};

				mask_addr(&m.src, &r->src, 1);
				mask_addr(&m.dst, &r->dst, 1);
				k.src = r->src.addr[0] & m.src;
				k.dst = r->dst.addr[0] & m.dst;
				ret = tuple4(s, &m, rank, &k.tuple);
				if (ret)
					return fail(
						err, errlen, ret,
						"rule %u: more than %d distinct IPv4 match shapes (tuples) in the set",
						r->id, FW_MAX_TUPLES);
				ret = entries_add(&s->e4, &k, &val);
				if (ret)
					return fail(err, errlen, ret,
						    "rule %u: out of memory",
						    r->id);
			}
			if (v6) {
				struct fw6_key m = {
					.vlan = c.vlan_m,
					.ifindex = c.ifindex_m,
					.proto = c.proto_m,
					.tcpflags = c.tcp_m,
					.sport = sp[i].m,
					.dport = dp[j].m,
				};
				struct fw6_key k = {
					.vlan = c.vlan,
					.ifindex = c.ifindex,
					.proto = c.proto,
					.tcpflags = c.tcp,
					.sport = sp[i].v,
					.dport = dp[j].v,
				};

				mask_addr(m.src, &r->src, 4);
				mask_addr(m.dst, &r->dst, 4);
				for (int w = 0; w < 4; w++) {
					k.src[w] = r->src.addr[w] & m.src[w];
					k.dst[w] = r->dst.addr[w] & m.dst[w];
				}
				ret = tuple6(s, &m, rank, &k.tuple);
				if (ret)
					return fail(
						err, errlen, ret,
						"rule %u: more than %d distinct IPv6 match shapes (tuples) in the set",
						r->id, FW_MAX_TUPLES);
				ret = entries_add(&s->e6, &k, &val);
				if (ret)
					return fail(err, errlen, ret,
						    "rule %u: out of memory",
						    r->id);
			}
		}
	}
	if (s->e4.n > FW_GEN_ENTRIES || s->e6.n > FW_GEN_ENTRIES)
		return fail(
			err, errlen, -E2BIG,
			"rule %u: the set expands to more than %u kernel entries per family",
			r->id, FW_GEN_ENTRIES);
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

void fw_set_free(struct fw_set *s)
{
	if (!s)
		return;
	free(s->ids);
	entries_free(&s->e4);
	entries_free(&s->e6);
	free(s);
}

int fw_set_compile(const struct fw_rule *rules, size_t n, struct fw_set **ret,
		   char *err, size_t errlen)
{
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
	for (size_t i = 0; i < n; i++) {
		rc = expand(s, ord[i].r, i, err, errlen);
		if (rc)
			goto out;
	}
	free(ord);
	*ret = s;
	return 0;
out:
	free(ord);
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
}

static const struct fw_rule_val *entries_find(const struct entries *e,
					      const void *key)
{
	size_t slot;

	if (!e->nslots)
		return NULL;
	slot = hash_bytes(key, e->ksize) & (e->nslots - 1);
	while (e->slots[slot]) {
		__u32 i = e->slots[slot] - 1;

		if (!memcmp((char *)e->keys + i * e->ksize, key, e->ksize))
			return &e->vals[i];
		slot = (slot + 1) & (e->nslots - 1);
	}
	return NULL;
}

int fw_set_classify(const struct fw_set *s, const struct fw_pkt_fields *p,
		    struct fw_rule_val *ret)
{
	__u32 best = UINT32_MAX;

	if (p->family == 4) {
		for (size_t i = 0; i < s->ntup4 && s->tup4[i].min_rank < best;
		     i++) {
			const struct fw4_key *m = &s->tup4[i].mask;
			const struct fw_rule_val *v;
			struct fw4_key k = {
				.tuple = i,
				.vlan = p->vlan & m->vlan,
				.ifindex = p->ifindex & m->ifindex,
				.proto = p->proto & m->proto,
				.tcpflags = p->tcpflags & m->tcpflags,
				.sport = p->sport & m->sport,
				.dport = p->dport & m->dport,
				.src = p->src[0] & m->src,
				.dst = p->dst[0] & m->dst,
			};

			v = entries_find(&s->e4, &k);
			if (v && v->rank < best) {
				best = v->rank;
				*ret = *v;
			}
		}
	} else {
		for (size_t i = 0; i < s->ntup6 && s->tup6[i].min_rank < best;
		     i++) {
			const struct fw6_key *m = &s->tup6[i].mask;
			const struct fw_rule_val *v;
			struct fw6_key k = {
				.tuple = i,
				.vlan = p->vlan & m->vlan,
				.ifindex = p->ifindex & m->ifindex,
				.proto = p->proto & m->proto,
				.tcpflags = p->tcpflags & m->tcpflags,
				.sport = p->sport & m->sport,
				.dport = p->dport & m->dport,
			};

			for (int w = 0; w < 4; w++) {
				k.src[w] = p->src[w] & m->src[w];
				k.dst[w] = p->dst[w] & m->dst[w];
			}
			v = entries_find(&s->e6, &k);
			if (v && v->rank < best) {
				best = v->rank;
				*ret = *v;
			}
		}
	}
	return best != UINT32_MAX;
}

/* ---- activation ---- */

/* Delete every entry of generation gen from a rule map (keys start with tuple). */
static int clear_gen(int fd, size_t ksize, __u32 gen)
{
	size_t cap = 4096, n = 0;
	char *keys = NULL, *cur = NULL, *next = NULL;
	int err = 0;

	keys = malloc(cap * ksize);
	cur = calloc(1, ksize);
	next = calloc(1, ksize);
	if (!keys || !cur || !next) {
		err = -ENOMEM;
		goto out;
	}
	if (bpf_map_get_next_key(fd, NULL, next))
		goto out; /* empty */
	do {
		if ((*(__u16 *)next >> FW_TUPLE_GEN_SHIFT) == gen) {
			if (n == cap) {
				char *k = realloc(keys, cap * 2 * ksize);

				if (!k) {
					err = -ENOMEM;
					goto out;
				}
				keys = k;
				cap *= 2;
			}
			memcpy(keys + n * ksize, next, ksize);
			n++;
		}
		memcpy(cur, next, ksize);
	} while (!bpf_map_get_next_key(fd, cur, next));
	for (size_t i = 0; i < n; i += BATCH) {
		__u32 cnt = n - i < BATCH ? n - i : BATCH;

		if (bpf_map_delete_batch(fd, keys + i * ksize, &cnt, NULL)) {
			/* fall back to one at a time */
			for (size_t j = i;
			     j < i + (n - i < BATCH ? n - i : BATCH); j++)
				bpf_map_delete_elem(fd, keys + j * ksize);
		}
	}
out:
	free(keys);
	free(cur);
	free(next);
	return err;
}

static int write_entries(int fd, const struct entries *e, __u32 gen)
{
	char *keys;
	int err = 0;

	if (!e->n)
		return 0;
	keys = malloc(BATCH * e->ksize);
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < e->n && !err; i += BATCH) {
		__u32 cnt = e->n - i < BATCH ? e->n - i : BATCH;

		memcpy(keys, (char *)e->keys + i * e->ksize, cnt * e->ksize);
		for (__u32 j = 0; j < cnt; j++)
			*(__u16 *)(keys + j * e->ksize) |=
				gen << FW_TUPLE_GEN_SHIFT;
		if (bpf_map_update_batch(fd, keys, e->vals + i, &cnt, NULL))
			err = -errno;
	}
	free(keys);
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

int fw_set_apply(const struct fw_maps *m, const struct fw_set *s, char *err,
		 size_t errlen)
{
	struct fw_gen_hdr hdr = {
		.ntup4 = s->ntup4,
		.ntup6 = s->ntup6,
		.nrules = s->nrules,
	};
	__u32 zero = 0, cur = 0, next;
	int rc;

	if (bpf_map_lookup_elem(m->active, &zero, &cur))
		return fail(err, errlen, -errno,
			    "reading the active generation: %s",
			    strerror(errno));
	cur &= 1;
	next = !cur;

	/* no packet may still be judged by generation next */
	rc = fw_sync(m);
	if (rc)
		return fail(err, errlen, rc, "waiting for readers: %s",
			    strerror(-rc));
	rc = clear_gen(m->rules4, sizeof(struct fw4_key), next);
	if (!rc)
		rc = clear_gen(m->rules6, sizeof(struct fw6_key), next);
	if (rc)
		return fail(err, errlen, rc,
			    "clearing the inactive generation: %s",
			    strerror(-rc));

	rc = counters_add(m, s);
	if (rc) {
		fail(err, errlen, rc, "creating rule counters: %s",
		     strerror(-rc));
		goto undo;
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
		rc = write_entries(m->rules4, &s->e4, next);
	if (!rc)
		rc = write_entries(m->rules6, &s->e6, next);
	if (!rc && bpf_map_update_elem(m->gen, &next, &hdr, BPF_ANY))
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

	/* the old generation is unreachable once readers are done with it */
	if (!fw_sync(m)) {
		clear_gen(m->rules4, sizeof(struct fw4_key), cur);
		clear_gen(m->rules6, sizeof(struct fw6_key), cur);
		counters_prune(m, s);
	}
	return 0;
undo:
	clear_gen(m->rules4, sizeof(struct fw4_key), next);
	clear_gen(m->rules6, sizeof(struct fw6_key), next);
	return rc;
}
