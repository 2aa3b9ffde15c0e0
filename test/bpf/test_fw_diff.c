// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential test: random rule sets and packets; the kernel's verdict and
 * winning rule must equal a plain linear first-match reference.  Half the
 * sets are small (few tuples: the XDP fast path judges most packets), and
 * the prefilter varies: the compiler's size, none, and tiny filters of 1
 * and 4 words, whose false positives must not change a verdict.  The last
 * rounds each edit the previous set a little (a rule removed, added or
 * changed): the loader then rewrites only the entries that differ from what
 * the generation held two sets before, and stale ones must not survive.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fw.h"
#include "fw_ref.h"
#include "pkt.h"

#define ROUNDS	 60
#define FRESH	 40 /* rounds of new random sets; then edits */
#define PACKETS	 1500
#define MAXRULES 300

static int expect_verdict(const struct fw_rule *r,
			  const struct fw_pkt_fields *p)
{
	if (!r)
		return XDP_PASS; /* default policy pass */
	switch (r->action) {
	case FW_ACT_ALLOW:
	case FW_ACT_LOG:
		return XDP_PASS;
	case FW_ACT_DENY:
		return XDP_DROP;
	}
	/* reject: a reply only where one is allowed (see README) */
	if (p->family == 4 &&
	    (p->dst[0] == 0xffffffff || (be32toh(p->dst[0]) >> 28) == 0xe))
		return XDP_DROP;
	if (p->proto == 6)
		return p->tcpflags & PKT_TCP_RST ? XDP_DROP : XDP_TX;
	if (p->proto == 17)
		return XDP_TX;
	if (p->proto == 1)
		return p->sport == 8 ? XDP_TX : XDP_DROP;
	if (p->proto == 58)
		return p->sport >= 128 ? XDP_TX : XDP_DROP;
	return XDP_DROP;
}

static int build(const struct fw_pkt_fields *p, __u8 *buf, size_t cap)
{
	char src[64], dst[64];
	struct pkt_spec s = {
		.proto = p->proto,
		.sport = p->sport,
		.dport = p->dport,
		.tcp_flags = p->tcpflags,
		.icmp_type = p->sport,
		.icmp_code = p->dport,
		.src = pkt_addr_str(p->family, p->src, src, sizeof(src)),
		.dst = pkt_addr_str(p->family, p->dst, dst, sizeof(dst)),
	};

	if (p->vlan) {
		s.nvlan = 1;
		s.vlan_tci[0] = p->vlan;
	}
	return pkt_build(&s, buf, cap, NULL);
}

int main(void)
{
	struct fw_settings set = {
		.default_policy = FW_POLICY_PASS,
		.malformed_policy = FW_POLICY_DROP,
		.reject_pps = 1000000000,
		.reject_burst = 1000000,
	};
	static struct fw_rule rules[MAXRULES];
	char err[FW_ERR_LEN];
	__u64 seed = 0x2545f4914f6cdd1dULL;
	__u32 next_id = 1000;
	size_t n = 0;
	int passed = 0, failed = 0;
	struct fw_bpf *skel;
	struct fw_maps m;

	if (geteuid() != 0) {
		printf("SKIP: needs root for BPF\n");
		return 77;
	}
	if (fw_load(NULL, &skel, &m)) {
		printf("SKIP: cannot load the firewall (BPF unavailable?)\n");
		return 77;
	}
	fw_settings_set(&m, &set);

	for (int round = 0; round < ROUNDS; round++) {
		static const int pf_words[4] = {-1, 0, 1, 4}; /* -1: default */
		int pfw = pf_words[(round / 2) % 4];
		struct fw_set_info info;
		struct fw_set *s = NULL;
		int bad = 0;

		if (round < FRESH) {
			n = 1 + ref_rand(&seed) % (round % 2 ? MAXRULES : 12);
			for (size_t i = 0; i < n; i++)
				ref_random_rule(&seed, i + 1, &rules[i]);
		} else {
			for (int e = 1 + ref_rand(&seed) % 3; e > 0; e--) {
				size_t i = ref_rand(&seed) % n;

				switch (ref_rand(&seed) % 3) {
				case 0: /* removed */
					if (n > 1)
						rules[i] = rules[--n];
					break;
				case 1: /* added */
					if (n < MAXRULES)
						ref_random_rule(&seed,
								next_id++,
								&rules[n++]);
					break;
				default: /* changed, same id */
					ref_random_rule(&seed, rules[i].id,
							&rules[i]);
				}
			}
		}
		if (fw_set_compile(rules, n, &s, err, sizeof(err)) ||
		    (pfw >= 0 && fw_set_prefilter(s, (unsigned int)pfw)) ||
		    fw_set_apply(&m, s, err, sizeof(err))) {
			printf("not ok %d - round %d: %s\n", round + 1, round,
			       err);
			failed++;
			fw_set_free(s);
			continue;
		}
		for (int k = 0; k < PACKETS; k++) {
			struct fw_pkt_fields p;
			struct fw_counter before = {}, after = {};
			const struct fw_rule *want;
			__u8 in[256], out[512];
			int len, ok;
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
				    .data_out = out,
				    .data_size_out = sizeof(out), .repeat = 1);

			ref_random_pkt(&seed, &p);
			p.ifindex = 1; /* test runs arrive on lo */
			want = ref_classify(rules, n, &p);
			len = build(&p, in, sizeof(in));
			if (len < 0) {
				bad++;
				continue;
			}
			o.data_size_in = len;
			if (want)
				fw_rule_counter(&m, want->id, &before);
			if (bpf_prog_test_run_opts(m.prog, &o)) {
				bad++;
				continue;
			}
			if (want)
				fw_rule_counter(&m, want->id, &after);
			ok = o.retval == (__u32)expect_verdict(want, &p) &&
			     (!want || after.packets == before.packets + 1);
			if (!ok && bad++ < 3)
				printf("# round %d pkt %d: fam %d proto %d %u->%u flags %#x vlan %u: want rule %u verdict %d, got verdict %u (rule counter +%llu)\n",
				       round, k, p.family, p.proto, p.sport,
				       p.dport, p.tcpflags, p.vlan,
				       want ? want->id : 0,
				       expect_verdict(want, &p), o.retval,
				       (unsigned long long)(after.packets -
							    before.packets));
		}
		fw_set_info(s, &info);
		if (bad) {
			printf("not ok %d - round %d: %zu rules (tuples %zu/%zu, prefilter %zu words), %d of %d packets wrong\n",
			       round + 1, round, n, info.tuples4, info.tuples6,
			       info.prefilter_words, bad, PACKETS);
			failed++;
		} else {
			printf("ok %d - round %d: %zu rules (tuples %zu/%zu, prefilter %zu words), %d packets agree\n",
			       round + 1, round, n, info.tuples4, info.tuples6,
			       info.prefilter_words, PACKETS);
			passed++;
		}
		fw_set_free(s);
	}
	fw_unload(skel);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
