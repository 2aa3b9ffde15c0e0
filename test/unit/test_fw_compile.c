// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the rule compiler and the rule text parser (no privileges). */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fw.h"
#include "fw_ref.h"

static int passed, failed;

#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (cond) {                                             \
			passed++;                                       \
		} else {                                                \
			failed++;                                       \
			printf("not ok - %s:%d: ", __func__, __LINE__); \
			printf(__VA_ARGS__);                            \
			putchar('\n');                                  \
		}                                                       \
	} while (0)

/* The compiled tuple-space form agrees with a linear reference scan. */
static void test_differential(void)
{
	char err[FW_ERR_LEN];
	__u64 seed = 0x9e3779b97f4a7c15ULL;
	int rounds = 0;

	for (int round = 0; round < 80; round++) {
		struct fw_rule rules[200];
		size_t n = 1 + ref_rand(&seed) % 200;
		struct fw_set *s = NULL;
		int mismatches = 0;

		for (size_t i = 0; i < n; i++)
			ref_random_rule(&seed, i + 1, &rules[i]);
		int rc = fw_set_compile(rules, n, &s, err, sizeof(err));

		/* too many shapes is a documented limit, not a wrong answer */
		if (rc == -E2BIG && strstr(err, "tuples"))
			continue;
		if (rc) {
			CHECK(0, "round %d: compile failed: %s", round, err);
			continue;
		}
		rounds++;
		for (int k = 0; k < 3000; k++) {
			struct fw_pkt_fields p;
			struct fw_rule_val v;
			const struct fw_rule *want;
			int got;

			ref_random_pkt(&seed, &p);
			want = ref_classify(rules, n, &p);
			got = fw_set_classify(s, &p, &v);
			if (!!want != got || (want && want->id != v.rule_id) ||
			    (want && want->action != v.action)) {
				if (mismatches++ < 3)
					printf("# round %d pkt %d: want rule %u got %s%u\n",
					       round, k, want ? want->id : 0,
					       got ? "" : "none ",
					       got ? v.rule_id : 0);
			}
		}
		CHECK(mismatches == 0, "round %d (%zu rules): %d mismatches",
		      round, n, mismatches);
		fw_set_free(s);
	}
	CHECK(rounds == 80, "only %d of 80 random sets compiled", rounds);
}

static void test_ranges(void)
{
	/* every port range boundary, against the reference */
	static const struct {
		__u16 lo, hi;
	} ranges[] = {{0, 65535},   {0, 0},	   {65535, 65535},
		      {1, 65534},   {1024, 65535}, {80, 80},
		      {1000, 2000}, {3, 4},	   {32767, 32768}};
	char err[FW_ERR_LEN];

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		struct fw_rule r;
		struct fw_set *s;
		int bad = 0;

		fw_rule_init(&r);
		r.id = 1;
		r.proto = 17;
		r.dport.lo = ranges[i].lo;
		r.dport.hi = ranges[i].hi;
		if (fw_set_compile(&r, 1, &s, err, sizeof(err))) {
			CHECK(0, "range %u-%u: %s", ranges[i].lo, ranges[i].hi,
			      err);
			continue;
		}
		for (__u32 port = 0; port < 65536; port++) {
			struct fw_pkt_fields p = {
				.family = 4, .proto = 17, .dport = port};
			struct fw_rule_val v;
			int want = port >= ranges[i].lo && port <= ranges[i].hi;

			if (fw_set_classify(s, &p, &v) != want)
				bad++;
		}
		CHECK(bad == 0, "range %u-%u: %d ports misclassified",
		      ranges[i].lo, ranges[i].hi, bad);
		fw_set_free(s);
	}
}

static void test_priority(void)
{
	struct fw_rule r[3];
	struct fw_set *s;
	struct fw_rule_val v;
	struct fw_pkt_fields p = {.family = 4, .proto = 6, .dport = 22};
	char err[FW_ERR_LEN];

	/* the more specific rule has the worse priority: it must lose */
	fw_rule_parse(
		"id=1 prio=20 action=deny proto=tcp dport=22 src=10.0.0.1",
		&r[0], err, sizeof(err));
	fw_rule_parse("id=2 prio=10 action=allow proto=tcp", &r[1], err,
		      sizeof(err));
	fw_rule_parse("id=3 prio=10 action=deny", &r[2], err, sizeof(err));
	p.src[0] = htobe32(0x0a000001);
	CHECK(!fw_set_compile(r, 3, &s, err, sizeof(err)), "compile: %s", err);
	CHECK(fw_set_classify(s, &p, &v) == 1 && v.rule_id == 2,
	      "want rule 2 (prio 10, first), got %u", v.rule_id);
	fw_set_free(s);
}

static void test_rejects(void)
{
	static const struct {
		const char *a, *b, *want;
	} cases[] = {
		{"id=1 proto=icmp dport=80", NULL, "rule 1: sport/dport"},
		{"id=2 src=10.0.0.0/8 dst=2001:db8::/32", NULL,
		 "rule 2: src and dst"},
		{"id=3 proto=udp tcp-flags=syn", NULL, "rule 3: tcp-flags"},
		{"id=4 proto=tcp icmp-type=8", NULL, "rule 4: icmp-type"},
		{"id=5 proto=tcp dport=90-80", NULL, "rule 5: dport"},
		{"id=6 proto=icmp src=2001:db8::/32", NULL, "rule 6: proto"},
		{"id=7", "id=7 action=deny", "rule 7: id"},
	};
	char err[FW_ERR_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fw_rule r[2];
		struct fw_set *s = NULL;
		size_t n = 1;
		int rc;

		CHECK(!fw_rule_parse(cases[i].a, &r[0], err, sizeof(err)),
		      "parse %s: %s", cases[i].a, err);
		if (cases[i].b) {
			CHECK(!fw_rule_parse(cases[i].b, &r[1], err,
					     sizeof(err)),
			      "parse %s", cases[i].b);
			n = 2;
		}
		err[0] = '\0';
		rc = fw_set_compile(r, n, &s, err, sizeof(err));
		CHECK(rc == -EINVAL && strstr(err, cases[i].want),
		      "'%s': want -EINVAL naming '%s', got %d '%s'", cases[i].a,
		      cases[i].want, rc, err);
		fw_set_free(s);
	}
}

static void test_parse(void)
{
	static const struct {
		const char *line, *want; /* want NULL: must parse */
	} cases[] = {
		{"id=1 prio=5 action=deny proto=tcp src=10.0.0.0/8 dport=22",
		 NULL},
		{"id=2 action=reject proto=udp dst=2001:db8::/32 sport=1-2 dry-run",
		 NULL},
		{"id=3 proto=tcp tcp-flags=syn/syn,ack vlan=untagged", NULL},
		{"id=4 proto=icmpv6 icmp-type=128 icmp-code=0", NULL},
		{"id=0", "id:"},
		{"id=1 action=explode", "action:"},
		{"id=1 src=10.0.0.1/8", "src:"},
		{"id=1 src=300.0.0.1", "src:"},
		{"id=1 dport=70000", "dport:"},
		{"id=1 dport=1-", "dport:"},
		{"id=1 vlan=4096", "vlan:"},
		{"id=1 tcp-flags=syn/bogus", "tcp-flags:"},
		{"id=1 colour=red", "'colour': unknown key"},
		{"id=1 iface=no-such-if0", "iface:"},
		{"action=deny", "id: missing"},
		{"id=1 =x", "expected key=value"},
	};
	char err[FW_ERR_LEN];
	struct fw_rule r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		err[0] = '\0';
		rc = fw_rule_parse(cases[i].line, &r, err, sizeof(err));
		if (!cases[i].want)
			CHECK(rc == 0, "'%s' should parse: %s", cases[i].line,
			      err);
		else
			CHECK(rc == -EINVAL && strstr(err, cases[i].want),
			      "'%s': want error naming '%s', got %d '%s'",
			      cases[i].line, cases[i].want, rc, err);
	}
	CHECK(fw_rule_parse("   # only a comment", &r, err, sizeof(err)) == 1,
	      "comment line");
	fw_rule_parse("id=9 proto=tcp tcp-flags=syn/syn,ack", &r, err,
		      sizeof(err));
	CHECK(r.tcp_value == 0x02 && r.tcp_mask == 0x12,
	      "tcp-flags value %#x mask %#x", r.tcp_value, r.tcp_mask);
}

static void test_limits(void)
{
	/*
	 * More than FW_MAX_TUPLES shapes: rules that share one key overflow
	 * its chain and spill into split port ranges of many mask lengths.
	 */
	struct fw_rule r[400];
	struct fw_set *s = NULL;
	char err[FW_ERR_LEN];
	int rc;

	for (int i = 0; i < 400; i++) {
		fw_rule_init(&r[i]);
		r[i].id = i + 1;
		r[i].proto = 17;
		r[i].sport.lo = 1u << (i % 15);
		r[i].sport.hi = r[i].sport.lo + (1u << ((i / 15) % 15)) - 1;
		r[i].dport.lo = 3;
		r[i].dport.hi = 3 + (1u << (i % 13)) + i;
	}
	rc = fw_set_compile(r, 400, &s, err, sizeof(err));
	CHECK(rc == -E2BIG && strstr(err, "tuples"),
	      "want -E2BIG naming tuples, got %d '%s'", rc, err);
	fw_set_free(s);
}

/* Many rules under one key with port ranges: chains spill over to exact
 * prefixes, then to split ranges, and still classify right. */
static void test_chains(void)
{
	struct fw_rule r[300];
	struct fw_set *s = NULL;
	struct fw_set_info info;
	char err[FW_ERR_LEN];
	int bad = 0;

	for (int i = 0; i < 300; i++) {
		fw_rule_init(&r[i]);
		r[i].id = i + 1;
		r[i].proto = 6;
		r[i].action = i % 2 ? FW_ACT_DENY : FW_ACT_ALLOW;
		r[i].src.family = 4;
		r[i].src.plen = 24 + i % 3; /* relaxed to /24 together */
		r[i].src.addr[0] = htobe32(0x0a000000);
		r[i].dport.lo = 100 * i;
		r[i].dport.hi = 100 * i + 57;
	}
	CHECK(!fw_set_compile(r, 300, &s, err, sizeof(err)), "compile: %s",
	      err);
	if (!s)
		return;
	fw_set_info(s, &info);
	for (__u32 port = 0; port < 30100; port++) {
		struct fw_pkt_fields p = {
			.family = 4, .proto = 6, .dport = port};
		const struct fw_rule *want;
		struct fw_rule_val v;
		int got;

		p.src[0] = htobe32(0x0a000000 | (port % 7) << 5);
		want = ref_classify(r, 300, &p);
		got = fw_set_classify(s, &p, &v);
		if (!!want != got || (want && want->id != v.rule_id))
			bad++;
	}
	CHECK(bad == 0,
	      "%d of 30100 packets misclassified (tuples %zu entries %zu)", bad,
	      info.tuples4, info.entries4);
	fw_set_free(s);
}

/*
 * Ranks: a rule added with a priority already in use leaves every other
 * rule's rank alone (the loader then rewrites only its entries); where
 * grouped ranks would not fit in 31 bits they are dense positions, and
 * still right.
 */
static void test_ranks(void)
{
	static struct fw_rule rules[32769 + 65536];
	char err[FW_ERR_LEN];
	struct fw_set *a = NULL, *b = NULL;
	int moved = 0, bad = 0;
	size_t n = 300;

	/* rule i: UDP port i, priority i % 10; then one more at priority 0,
	 * which sorts before 270 of them */
	for (size_t i = 0; i <= n; i++) {
		fw_rule_init(&rules[i]);
		rules[i].id = i + 1;
		rules[i].priority = i % 10;
		rules[i].proto = 17;
		rules[i].dport.lo = rules[i].dport.hi = i < n ? i : 5000;
		rules[i].action = FW_ACT_DENY;
	}
	rules[n].priority = 0;
	if (fw_set_compile(rules, n, &a, err, sizeof(err)) ||
	    fw_set_compile(rules, n + 1, &b, err, sizeof(err))) {
		CHECK(0, "compile: %s", err);
		goto out;
	}
	for (size_t d = 0; d < n; d++) {
		struct fw_pkt_fields p = {.family = 4, .proto = 17, .dport = d};
		struct fw_rule_val va, vb;

		if (!fw_set_classify(a, &p, &va) ||
		    !fw_set_classify(b, &p, &vb) || va.rule_id != d + 1 ||
		    vb.rule_id != d + 1)
			bad++;
		else
			moved += va.rank != vb.rank;
	}
	CHECK(!bad && !moved,
	      "a rule added at a priority in use: %d of 300 ranks moved (%d misjudged)",
	      moved, bad);
	fw_set_free(a);
	fw_set_free(b);
	a = b = NULL;
	bad = 0;

	/* 32,769 distinct priorities and a group of 65,536 equal ones: ranks
	 * would need 32 bits, so they are dense positions -- and still right
	 * (every rule its own /32 destination, the group in the middle) */
	n = 32769 + 65536;
	for (size_t i = 0; i < n; i++) {
		bool grp = i >= 16384 && i < 16384 + 65536;

		fw_rule_init(&rules[i]);
		rules[i].id = i + 1;
		rules[i].priority = grp ? 20000 : 100000 - i;
		rules[i].proto = 17;
		/* consecutive destinations: keys that differ only in the
		 * high half of their last word (a weak key hash made this
		 * compilation quadratic) */
		rules[i].dst.family = 4;
		rules[i].dst.plen = 32;
		rules[i].dst.addr[0] = htobe32(0x0a000000 + (__u32)i);
		rules[i].action = i % 2 ? FW_ACT_DENY : FW_ACT_ALLOW;
	}
	if (fw_set_compile(rules, n, &a, err, sizeof(err))) {
		CHECK(0, "compile of %zu rules: %s", n, err);
		goto out;
	}
	for (size_t k = 0; k < n; k += 97) {
		struct fw_pkt_fields p = {.family = 4, .proto = 17, .dport = 9};
		const struct fw_rule *want;
		struct fw_rule_val v;

		p.dst[0] = htobe32(0x0a000000 + (__u32)k);
		want = ref_classify(rules, n, &p);
		if (!fw_set_classify(a, &p, &v) || !want ||
		    v.rule_id != want->id)
			bad++;
	}
	CHECK(bad == 0, "ranks past 31 bits (dense): %d sources misjudged",
	      bad);
out:
	fw_set_free(a);
	fw_set_free(b);
}

int main(void)
{
	test_parse();
	test_rejects();
	test_priority();
	test_ranges();
	test_limits();
	test_chains();
	test_differential();
	test_ranks();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
