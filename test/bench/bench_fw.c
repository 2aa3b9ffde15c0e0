// SPDX-License-Identifier: GPL-2.0-only
/* Per-packet cost of the XDP firewall vs rule-set and block-set size (BPF_PROG_TEST_RUN). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fw.h"
#include "fw.skel.h"

#define REPEAT		   1000000u
#define RUNS		   5 /* median of RUNS measurements of REPEAT each */
#define FRAME_LEN	   64
#define NS_PER_RULE_LINEAR 3.3 /* iptables-like linear scan, for reference */

/*
 * The rule generator: a big ACL / blocklist, deterministic.  Per rule, by
 * weight (out of 100):
 *   A 30  deny   src IPv4 host /32 (10.0.0.0/8), any protocol and port
 *   B 15  deny   src IPv4 /24 (11.0.0.0-12.255.255.0), any protocol
 *   C 20  allow  dst IPv4 host (172.16.0.0/12), tcp, one exact dport
 *   D 10  allow  dst IPv4 host, udp, one exact dport
 *   E 10  allow  src IPv4 /24 (13.0.0.0-14.255.255.0) + dst host, tcp, exact dport
 *   F  5  allow  dst IPv4 host, tcp, dport range: 6000-6063, 8000-8999,
 *                1024-65535 or 49152-65535 (rotating)
 *   G 10  deny   IPv6 src: half hosts /128, half /64 (2001:db8::/32)
 * With GEN_V4ONLY G becomes A; with GEN_NORANGES F becomes C, to show
 * what the port ranges cost the classifier.
 * Exact ports: half from a list of well-known service ports, half random.
 * Addresses come from a bijective scramble of the rule index, so no two rules
 * have the same key.  All rules have prio 100 (rank = input order).  Rule
 * n/2 is forced to category E: it is the rule the "match" packet hits.
 */
enum { CAT_A, CAT_B, CAT_C, CAT_D, CAT_E, CAT_F, CAT_G };

static const __u16 svc_ports[] = {22,	25,   53,   80,	  110,	123,
				  143,	443,  465,  587,  993,	1194,
				  3306, 5432, 6379, 8080, 8443, 9000};
static const struct fw_range port_ranges[] = {
	{6000, 6063}, {8000, 8999}, {1024, 65535}, {49152, 65535}};

static __u64 rng_state = 0x9e3779b97f4a7c15ull;

static __u32 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (__u32)(rng_state >> 11);
}

/* A bijection of [0, 2^bits): the index times an odd constant. */
static __u32 scramble(__u32 i, unsigned int bits)
{
	return (i * 2654435761u) & ((1u << bits) - 1);
}

static void cidr4(struct fw_cidr *c, __u32 host_addr, __u8 plen)
{
	c->family = 4;
	c->plen = plen;
	c->addr[0] = htonl(host_addr);
}

static __u16 pick_port(void)
{
	if (rnd() & 1)
		return svc_ports[rnd() %
				 (sizeof(svc_ports) / sizeof(svc_ports[0]))];
	return 1 + rnd() % 65535;
}

static void gen_rule(struct fw_rule *r, __u32 i, int cat)
{
	__u32 s17 = scramble(i, 17);

	fw_rule_init(r);
	r->id = i + 1;
	r->priority = 100;
	switch (cat) {
	case CAT_A:
		r->action = FW_ACT_DENY;
		cidr4(&r->src, 0x0a000000 | scramble(i, 24), 32);
		break;
	case CAT_B:
		r->action = FW_ACT_DENY;
		cidr4(&r->src, 0x0b000000 + (s17 << 8), 24);
		break;
	case CAT_C:
	case CAT_D:
		r->action = FW_ACT_ALLOW;
		cidr4(&r->dst, 0xac100000 | scramble(i, 20), 32);
		r->proto = cat == CAT_C ? IPPROTO_TCP : IPPROTO_UDP;
		r->dport.lo = r->dport.hi = pick_port();
		break;
	case CAT_E:
		r->action = FW_ACT_ALLOW;
		cidr4(&r->src, 0x0d000000 + (s17 << 8), 24);
		cidr4(&r->dst, 0xac100000 | scramble(i, 20), 32);
		r->proto = IPPROTO_TCP;
		r->dport.lo = r->dport.hi = pick_port();
		break;
	case CAT_F:
		r->action = FW_ACT_ALLOW;
		cidr4(&r->dst, 0xac100000 | scramble(i, 20), 32);
		r->proto = IPPROTO_TCP;
		r->dport = port_ranges[i % 4];
		break;
	case CAT_G:
		r->action = FW_ACT_DENY;
		r->src.family = 6;
		r->src.addr[0] = htonl(0x20010db8);
		if (i & 1) {
			r->src.plen = 128;
			r->src.addr[2] = htonl(0xffff0000);
			r->src.addr[3] = htonl(scramble(i, 24));
		} else {
			r->src.plen = 64;
			r->src.addr[1] = htonl(scramble(i, 24));
		}
		break;
	}
}

#define GEN_V4ONLY   0x1
#define GEN_NORANGES 0x2
#define GEN_NOFILTER 0x4 /* applied without the prefilter (load_set) */

/* Fill rules[0..n); *ret_mid is the index of the rule the match packet hits. */
static void gen_rules(struct fw_rule *rules, size_t n, unsigned int flags,
		      size_t *ret_mid)
{
	static const int cats[] = {CAT_A, CAT_B, CAT_C, CAT_D,
				   CAT_E, CAT_F, CAT_G};
	static const int weight[] = {30, 15, 20, 10, 10, 5, 10};
	size_t i;

	rng_state = 0x9e3779b97f4a7c15ull;
	for (i = 0; i < n; i++) {
		unsigned int w = rnd() % 100, k = 0, acc = weight[0];
		int cat;

		while (w >= acc)
			acc += weight[++k];
		cat = cats[k];
		if (i == n / 2)
			cat = CAT_E;
		if (cat == CAT_G && (flags & GEN_V4ONLY))
			cat = CAT_A;
		if (cat == CAT_F && (flags & GEN_NORANGES))
			cat = CAT_C;
		gen_rule(&rules[i], (__u32)i, cat);
	}
	*ret_mid = n / 2;
}

/* ---- packets ---- */

static void build_tcp4(__u8 *buf, __u32 src, __u32 dst, __u16 sport,
		       __u16 dport)
{
	struct ethhdr *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);
	__u32 sum = 0;
	__u16 *w = (__u16 *)ip;
	int i;

	memset(buf, 0, FRAME_LEN);
	memcpy(eth->h_dest, "\x02\x00\x00\x00\x00\x02", ETH_ALEN);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x00\x01", ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(FRAME_LEN - sizeof(*eth));
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = src;
	ip->daddr = dst;
	for (i = 0; i < 10; i++)
		sum += w[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip->check = ~sum;
	tcp->source = htons(sport);
	tcp->dest = htons(dport);
	tcp->doff = 5;
	tcp->syn = 1;
	tcp->window = htons(65535);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * ns per run of prog on pkt: median over RUNS calls of REPEAT runs each.
 * The kernel's own figure (whole ns) is used: the wall time of a call also
 * holds milliseconds of fixed setup (the XDP dispatcher is swapped in and
 * out around every BPF_PROG_TEST_RUN), 20+ ns per run even at REPEAT 1M.
 */
static int measure(int prog_fd, const __u8 *pkt, __u32 expect_retval,
		   double *ret_ns)
{
	double t[RUNS];
	int i, err;

	for (i = 0; i < RUNS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
			    .data_size_in = FRAME_LEN, .repeat = REPEAT);

		err = bpf_prog_test_run_opts(prog_fd, &o);
		if (err)
			return -errno;
		if (o.retval != expect_retval) {
			fprintf(stderr, "unexpected XDP verdict %u (want %u)\n",
				o.retval, expect_retval);
			return -EPROTO;
		}
		t[i] = o.duration;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	*ret_ns = t[RUNS / 2];
	return 0;
}

static __u64 stat_of(const struct fw_maps *m, enum fw_stat st)
{
	struct fw_counter c[FW_ST__MAX];

	if (fw_stats_read(m, c))
		return 0;
	return c[st].packets;
}

/*
 * Measure pkt and check that every run was judged by the path we claim
 * to measure: counter st grew by exactly RUNS * REPEAT.
 */
static int measure_checked(const struct fw_maps *m, int prog_fd,
			   const __u8 *pkt, __u32 verdict, enum fw_stat st,
			   double *ret_ns)
{
	__u64 before = stat_of(m, st), got;
	int err;

	err = measure(prog_fd, pkt, verdict, ret_ns);
	if (err)
		return err;
	got = stat_of(m, st) - before;
	if (got != (__u64)RUNS * REPEAT) {
		fprintf(stderr, "counter %s grew by %llu, want %u\n",
			fw_stat_name(st), (unsigned long long)got,
			RUNS * REPEAT);
		return -EPROTO;
	}
	return 0;
}

/* ---- text output of the generated rules (for bench_veth.sh) ---- */

static void fmt_cidr(const struct fw_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, c->plen);
}

static int emit_rules(size_t n, int iptables, unsigned int flags)
{
	struct fw_rule *rules = calloc(n, sizeof(*rules));
	char s[64], d[64];
	size_t i, mid;

	if (!rules)
		return 1;
	gen_rules(rules, n, GEN_V4ONLY | flags, &mid);
	if (iptables)
		printf("*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
	for (i = 0; i < n; i++) {
		const struct fw_rule *r = &rules[i];
		const char *proto = r->proto == IPPROTO_TCP   ? "tcp"
				    : r->proto == IPPROTO_UDP ? "udp"
							      : NULL;
		int ports = r->dport.lo || r->dport.hi != 65535;

		if (iptables) {
			printf("-A PREROUTING");
			if (r->src.family) {
				fmt_cidr(&r->src, s, sizeof(s));
				printf(" -s %s", s);
			}
			if (r->dst.family) {
				fmt_cidr(&r->dst, d, sizeof(d));
				printf(" -d %s", d);
			}
			if (proto)
				printf(" -p %s", proto);
			if (proto && ports && r->dport.lo == r->dport.hi)
				printf(" -m %s --dport %u", proto, r->dport.lo);
			else if (proto && ports)
				printf(" -m %s --dport %u:%u", proto,
				       r->dport.lo, r->dport.hi);
			printf(" -j %s\n",
			       r->action == FW_ACT_DENY ? "DROP" : "ACCEPT");
			continue;
		}
		printf("id=%u prio=%u action=%s", r->id, r->priority,
		       r->action == FW_ACT_DENY ? "deny" : "allow");
		if (proto)
			printf(" proto=%s", proto);
		if (r->src.family) {
			fmt_cidr(&r->src, s, sizeof(s));
			printf(" src=%s", s);
		}
		if (r->dst.family) {
			fmt_cidr(&r->dst, d, sizeof(d));
			printf(" dst=%s", d);
		}
		if (ports && r->dport.lo == r->dport.hi)
			printf(" dport=%u", r->dport.lo);
		else if (ports)
			printf(" dport=%u-%u", r->dport.lo, r->dport.hi);
		printf("\n");
	}
	if (iptables)
		printf("COMMIT\n");
	free(rules);
	return 0;
}

/* ---- the benchmark ---- */

struct set_result {
	size_t rules;
	struct fw_set_info info;
	double compile_ms, apply_ms, match_ns, nomatch_ns;
};

/*
 * Generate n rules, compile and apply them; fill the sizes and timings and
 * build match_pkt, a TCP packet that hits rule n/2 (and no earlier rule).
 */
static int load_set(struct fw_maps *m, size_t n, unsigned int flags,
		    __u8 *match_pkt, struct set_result *res)
{
	struct fw_rule *rules = calloc(n ? n : 1, sizeof(*rules));
	struct fw_set *set = NULL;
	char err[FW_ERR_LEN] = "";
	const struct fw_rule *mr;
	size_t mid;
	double t0;
	int r;

	if (!rules)
		return -ENOMEM;
	gen_rules(rules, n, flags, &mid);
	res->rules = n;
	t0 = now_ns();
	r = fw_set_compile(rules, n, &set, err, sizeof(err));
	res->compile_ms = (now_ns() - t0) / 1e6;
	if (r) {
		fprintf(stderr, "fw_set_compile(%zu rules): %s (%s)\n", n, err,
			strerror(-r));
		goto out;
	}
	if (flags & GEN_NOFILTER)
		fw_set_prefilter(set, 0);
	fw_set_info(set, &res->info);
	t0 = now_ns();
	r = fw_set_apply(m, set, err, sizeof(err));
	res->apply_ms = (now_ns() - t0) / 1e6;
	if (r) {
		fprintf(stderr, "fw_set_apply(%zu rules): %s (%s)\n", n, err,
			strerror(-r));
		goto out;
	}
	mr = &rules[mid];
	build_tcp4(match_pkt, mr->src.addr[0] | htonl(0x42), mr->dst.addr[0],
		   40000, mr->dport.lo);
out:
	fw_set_free(set);
	free(rules);
	return r;
}

#define NSETS 6

static int bench_rules(struct fw_maps *m, int fw_fd, int pass_fd,
		       const __u8 *nomatch_pkt)
{
	static const size_t sizes[NSETS] = {10,	    1000,   10000,
					    100000, 100000, 10000};
	static const unsigned int flags[NSETS] = {
		0, 0, 0, 0, GEN_NORANGES, GEN_NOFILTER};
	struct set_result res[NSETS];
	__u8 match_pkt[FRAME_LEN];
	double base, b0, b1;
	unsigned int i;
	int err;

	for (i = 0; i < NSETS; i++) {
		err = load_set(m, sizes[i], flags[i], match_pkt, &res[i]);
		if (err)
			return err;
		/* warm-up: caches, branch predictors, CPU frequency */
		err = measure(fw_fd, match_pkt, XDP_PASS, &b0);
		if (!err)
			err = measure(pass_fd, match_pkt, XDP_PASS, &b0);
		if (!err)
			err = measure_checked(m, fw_fd, match_pkt, XDP_PASS,
					      FW_ST_RULE_MATCH,
					      &res[i].match_ns);
		if (!err)
			err = measure_checked(m, fw_fd, nomatch_pkt, XDP_PASS,
					      FW_ST_DEFAULT_PASS,
					      &res[i].nomatch_ns);
		if (!err)
			err = measure(pass_fd, match_pkt, XDP_PASS, &b1);
		if (err) {
			fprintf(stderr, "measuring %zu rules: %s\n", sizes[i],
				strerror(-err));
			return err;
		}
		/* the trivial program's cost, before and after */
		base = (b0 + b1) / 2;
		res[i].match_ns -= base;
		res[i].nomatch_ns -= base;
		printf("# %zu rules%s: sentinel_pass baseline %.1f ns (subtracted)\n",
		       sizes[i],
		       flags[i] & GEN_NORANGES	 ? " (no ranges)"
		       : flags[i] & GEN_NOFILTER ? " (no prefilter)"
						 : "",
		       base);
	}

	printf("\n== Rule set: ns/packet net of the sentinel_pass baseline "
	       "(BPF_PROG_TEST_RUN, median of %d x %u runs) ==\n",
	       RUNS, REPEAT);
	printf("%-15s %8s %8s %6s %6s %7s %8s %10s %7s %7s %10s %8s\n", "rules",
	       "entries4", "entries6", "tup4", "tup6", "pf_kib", "match_ns",
	       "nomatch_ns", "match_x", "nomat_x", "compile_ms", "apply_ms");
	for (i = 0; i < NSETS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%zu%s", res[i].rules,
			 flags[i] & GEN_NORANGES   ? " no-ranges"
			 : flags[i] & GEN_NOFILTER ? " no-filter"
						   : "");
		printf("%-15s %8zu %8zu %6zu %6zu %7.1f %8.1f %10.1f %7.2f %7.2f %10.1f %8.1f\n",
		       name, res[i].info.entries4, res[i].info.entries6,
		       res[i].info.tuples4, res[i].info.tuples6,
		       res[i].info.prefilter_words * 8 / 1024.0,
		       res[i].match_ns, res[i].nomatch_ns,
		       res[i].match_ns / res[0].match_ns,
		       res[i].nomatch_ns / res[0].nomatch_ns, res[i].compile_ms,
		       res[i].apply_ms);
	}
	printf("(match_x, nomat_x: ratio vs 10 rules; the match packet hits "
	       "rule n/2, an allow rule; no-ranges: the 5%% range rules "
	       "replaced by exact-port ones; no-filter: applied without the "
	       "prefilter, so every tuple is probed and the fast path is off; "
	       "pf_kib: prefilter size)\n");
	printf("1k -> 100k rules: match x%.2f, nomatch x%.2f "
	       "(per-packet cost follows the tuple count, not the rule count)\n",
	       res[3].match_ns / res[1].match_ns,
	       res[3].nomatch_ns / res[1].nomatch_ns);
	for (i = 0; i < 4; i++)
		printf("linear at %.1f ns/rule would be %.0f ns for %zu rules "
		       "(no match)\n",
		       NS_PER_RULE_LINEAR, NS_PER_RULE_LINEAR * sizes[i],
		       sizes[i]);
	printf("compile+apply of 100000 rules: %.0f ms (compile %.0f, apply %.0f)\n",
	       res[3].compile_ms + res[3].apply_ms, res[3].compile_ms,
	       res[3].apply_ms);
	printf("target: cost(100k) <= 1.3 x cost(10): match %.2f, nomatch %.2f -> %s\n",
	       res[3].match_ns / res[0].match_ns,
	       res[3].nomatch_ns / res[0].nomatch_ns,
	       res[3].match_ns <= 1.3 * res[0].match_ns &&
			       res[3].nomatch_ns <= 1.3 * res[0].nomatch_ns
		       ? "MET"
		       : "NOT MET");
	printf("        without port ranges: match %.2f, nomatch %.2f -> %s\n",
	       res[4].match_ns / res[0].match_ns,
	       res[4].nomatch_ns / res[0].nomatch_ns,
	       res[4].match_ns <= 1.3 * res[0].match_ns &&
			       res[4].nomatch_ns <= 1.3 * res[0].nomatch_ns
		       ? "MET"
		       : "NOT MET");
	return 0;
}

/* ---- block sets ---- */

#define BS_BATCH 65536

/* /32 entry i of the big set: 100.64.0.0/10, scrambled. */
static __u32 bs_host(__u32 i)
{
	return 0x64400000 | scramble(i, 22);
}

/* Add entries for addresses f(from..to) with prefix length plen. */
static int bs_fill(const struct fw_maps *m, __u32 from, __u32 to,
		   __u32 (*f)(__u32), __u8 plen, double *ret_ms)
{
	struct bs_entry *e = calloc(BS_BATCH, sizeof(*e));
	double t0 = now_ns();
	__u32 i, k;
	int err = 0;

	if (!e)
		return -ENOMEM;
	for (i = from; i < to && !err; i += k) {
		for (k = 0; k < BS_BATCH && i + k < to; k++) {
			cidr4(&e[k].cidr, f(i + k), plen);
			e[k].source = 1;
		}
		err = bs_add(m, e, k);
	}
	if (ret_ms)
		*ret_ms = (now_ns() - t0) / 1e6;
	free(e);
	if (err)
		fprintf(stderr, "bs_add /%u: %s\n", plen, strerror(-err));
	return err;
}

static __u32 bs_net24(__u32 i)
{
	return 0xac100000 | (scramble(i, 12) << 8);
}
static __u32 bs_net16(__u32 i)
{
	return 0x14000000 | (i << 16);
}
static __u32 bs_net8(__u32 i)
{
	return (30 + i) << 24;
}
static __u32 bs_net12(__u32 i)
{
	return 0x28000000 | (i << 20);
}
static __u32 bs_net20(__u32 i)
{
	return 0x32000000 | (i << 12);
}
static __u32 bs_net28(__u32 i)
{
	return 0x3c000000 | (i << 4);
}
static __u32 bs_net30(__u32 i)
{
	return 0x3d000000 | (i << 2);
}

struct bs_row {
	const char *what;
	double hit_ns, miss_ns;
};

static int bs_measure(const struct fw_maps *m, int fw_fd, int pass_fd,
		      __u32 hit_addr, const __u8 *miss_pkt, struct bs_row *row)
{
	__u8 hit_pkt[FRAME_LEN];
	double b0, b1;
	int err;

	build_tcp4(hit_pkt, htonl(hit_addr), htonl(0xc6336401), 40000, 7);
	err = measure(fw_fd, hit_pkt, XDP_DROP, &b0); /* warm-up */
	if (!err)
		err = measure(pass_fd, hit_pkt, XDP_PASS, &b0);
	if (!err)
		err = measure_checked(m, fw_fd, hit_pkt, XDP_DROP,
				      FW_ST_BS_DROP, &row->hit_ns);
	if (!err)
		err = measure_checked(m, fw_fd, miss_pkt, XDP_PASS,
				      FW_ST_DEFAULT_PASS, &row->miss_ns);
	if (!err)
		err = measure(pass_fd, hit_pkt, XDP_PASS, &b1);
	if (err) {
		fprintf(stderr, "block set %s: %s\n", row->what,
			strerror(-err));
		return err;
	}
	row->hit_ns -= (b0 + b1) / 2;
	row->miss_ns -= (b0 + b1) / 2;
	return 0;
}

static int bench_blockset(const struct fw_maps *m, int fw_fd, int pass_fd,
			  const __u8 *miss_pkt)
{
	struct bs_row rows[6] = {
		{"1k /32"},
		{"100k /32"},
		{"1M /32"},
		{"1M /32 + 1k /24 + 100 /16 (3 lengths)"},
		{"1M /32 + 8 lengths (/8../30)"},
		{"  same, hit on the /8"},
	};
	double ms_1m = 0, ms;
	unsigned int i;
	int err;

	err = bs_fill(m, 0, 1000, bs_host, 32, &ms);
	if (!err)
		err = bs_measure(m, fw_fd, pass_fd, bs_host(500), miss_pkt,
				 &rows[0]);
	if (!err)
		err = bs_fill(m, 1000, 100000, bs_host, 32, &ms);
	if (!err)
		err = bs_measure(m, fw_fd, pass_fd, bs_host(50000), miss_pkt,
				 &rows[1]);
	if (!err)
		err = bs_fill(m, 100000, 1000000, bs_host, 32, &ms_1m);
	if (!err)
		err = bs_measure(m, fw_fd, pass_fd, bs_host(500000), miss_pkt,
				 &rows[2]);
	if (!err)
		err = bs_fill(m, 0, 1000, bs_net24, 24, NULL);
	if (!err)
		err = bs_fill(m, 0, 100, bs_net16, 16, NULL);
	if (!err)
		err = bs_measure(m, fw_fd, pass_fd, bs_host(500000), miss_pkt,
				 &rows[3]);
	if (!err)
		err = bs_fill(m, 0, 10, bs_net8, 8, NULL);
	if (!err)
		err = bs_fill(m, 0, 16, bs_net12, 12, NULL);
	if (!err)
		err = bs_fill(m, 0, 1000, bs_net20, 20, NULL);
	if (!err)
		err = bs_fill(m, 0, 1000, bs_net28, 28, NULL);
	if (!err)
		err = bs_fill(m, 0, 1000, bs_net30, 30, NULL);
	if (!err)
		err = bs_measure(m, fw_fd, pass_fd, bs_host(500000), miss_pkt,
				 &rows[4]);
	if (!err)
		err = bs_measure(m, fw_fd, pass_fd, bs_net8(3) | 0x10203,
				 miss_pkt, &rows[5]);
	if (err)
		return err;

	printf("\n== Block set (source) lookup: ns/packet net of the baseline "
	       "(10-rule set active; a hit emits an event, ring full) ==\n");
	printf("%-40s %8s %8s %8s %8s\n", "entries", "hit_ns", "miss_ns",
	       "hit_x", "miss_x");
	for (i = 0; i < 6; i++)
		printf("%-40s %8.1f %8.1f %8.2f %8.2f\n", rows[i].what,
		       rows[i].hit_ns, rows[i].miss_ns,
		       rows[i].hit_ns / rows[0].hit_ns,
		       rows[i].miss_ns / rows[0].miss_ns);
	printf("(hit_x, miss_x: ratio vs 1k /32; the miss continues to the rule set)\n");
	printf("bs_add of 900k /32 entries (batches of %d): %.0f ms\n",
	       BS_BATCH, ms_1m);
	printf("target: block set 1M <= 2 x 1k: hit %.2f, miss %.2f -> %s\n",
	       rows[2].hit_ns / rows[0].hit_ns,
	       rows[2].miss_ns / rows[0].miss_ns,
	       rows[2].hit_ns <= 2 * rows[0].hit_ns &&
			       rows[2].miss_ns <= 2 * rows[0].miss_ns
		       ? "MET"
		       : "NOT MET");
	return 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-fw                 run the benchmark\n"
		"       bench-fw --emit-rules N [noranges]\n"
		"           print N generated IPv4 rules (sentinel-fwtool rules file)\n"
		"       bench-fw --emit-iptables N [noranges]\n"
		"           the same as iptables-restore input (table raw)\n");
}

int main(int argc, char **argv)
{
	struct fw_settings st = {};
	struct fw_bpf *skel = NULL;
	struct fw_maps m;
	__u8 nomatch_pkt[FRAME_LEN], match_pkt[FRAME_LEN];
	struct set_result small;
	int err, fw_fd, pass_fd;

	if (argc >= 3 && argc <= 4 && !strncmp(argv[1], "--emit-", 7)) {
		unsigned int flags = GEN_V4ONLY;

		if (argc == 4 && !strcmp(argv[3], "noranges"))
			flags |= GEN_NORANGES;
		else if (argc == 4)
			flags = ~0u;
		if (flags != ~0u && !strcmp(argv[1], "--emit-rules"))
			return emit_rules(strtoul(argv[2], NULL, 0), 0, flags);
		if (flags != ~0u && !strcmp(argv[1], "--emit-iptables"))
			return emit_rules(strtoul(argv[2], NULL, 0), 1, flags);
	}
	if (argc != 1) {
		usage();
		return 2;
	}
	if (geteuid() != 0) {
		printf("SKIP: bench-fw needs root (BPF_PROG_TEST_RUN)\n");
		return 77;
	}
	libbpf_set_print(libbpf_quiet);
	err = fw_load(NULL, &skel, &m);
	if (err) {
		fprintf(stderr, "fw_load: %s\n", strerror(-err));
		return 1;
	}
	fw_fd = m.prog;
	pass_fd = bpf_program__fd(skel->progs.sentinel_pass);
	st.default_policy = FW_POLICY_PASS;
	st.malformed_policy = FW_POLICY_DROP;
	err = fw_settings_set(&m, &st);
	if (err) {
		fprintf(stderr, "fw_settings_set: %s\n", strerror(-err));
		goto out;
	}
	/* not in any rule: 192.0.2.77 -> 198.51.100.77 tcp 40000 -> 7 */
	build_tcp4(nomatch_pkt, htonl(0xc000024d), htonl(0xc633644d), 40000, 7);

	err = bench_rules(&m, fw_fd, pass_fd, nomatch_pkt);
	if (!err)
		err = load_set(&m, 10, 0, match_pkt, &small);
	if (!err)
		err = bench_blockset(&m, fw_fd, pass_fd, nomatch_pkt);
out:
	fw_unload(skel);
	return err ? 1 : 0;
}
