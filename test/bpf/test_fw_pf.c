// SPDX-License-Identifier: GPL-2.0-only
/* Tests of the prefilter, the fast path's trust in it, and pinned-map adoption. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "fw_harness.h"
#include "tap.h"

#define V4	    .src = "10.0.0.1", .dst = "10.0.0.2"
#define V6	    .src = "2001:db8::1", .dst = "2001:db8::2"
#define UDP(sp, dp) .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp)

static const char *const deny53[] = {
	"id=7 prio=1 action=deny proto=udp dport=53",
	"id=8 prio=2 action=allow proto=tcp dport=22",
};

/* The frames every case runs: untagged IPv4 (the fast path), tagged IPv4
 * and IPv6 (the full path), all to UDP port 53. */
static const struct pkt_spec frames[] = {
	{V4, UDP(1000, 53)},
	{V4, UDP(1000, 53), .nvlan = 1, .vlan_tci = {5}},
	{V6, UDP(1000, 53)},
};
#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

static const char *const frame_names[NFRAMES] = {"IPv4", "tagged IPv4", "IPv6"};

/* Run every frame; each must get verdict want and move rule 7's counter by
 * hit (1 or 0). */
static void expect_all(struct env *e, int want, int hit, const char *when)
{
	uint8_t f[FRAME_MAX], out[FRAME_MAX];
	size_t ol;

	for (size_t i = 0; i < NFRAMES; i++) {
		struct fw_counter b = {}, a = {};
		int n = pkt_build(&frames[i], f, sizeof(f), NULL);
		__u32 v = 0;

		if (n < 0) {
			tap_fail("test bug: pkt_build = %d", n);
			return;
		}
		fw_rule_counter(&e->m, 7, &b);
		if (env_run(e, f, (size_t)n, LO_IFINDEX, &v, out, &ol)) {
			tap_fail("%s: test run failed", frame_names[i]);
			continue;
		}
		fw_rule_counter(&e->m, 7, &a);
		if ((int)v != want)
			tap_fail("%s %s: verdict %s, want %s", when,
				 frame_names[i], verdict_name((int)v),
				 verdict_name(want));
		if (a.packets - b.packets != (__u64)hit)
			tap_fail("%s %s: rule 7 +%llu, want +%d", when,
				 frame_names[i],
				 (unsigned long long)(a.packets - b.packets),
				 hit);
	}
	env_drain(e);
}

/* The active generation's value of fw_pf (malloc'd), its index and its
 * header. */
static struct fw_pf_gen *pf_read(struct env *e, __u32 *ret_gen,
				 struct fw_gen_hdr *ret_hdr)
{
	struct fw_pf_gen *g = malloc(sizeof(*g));
	__u32 zero = 0, gen;

	if (!g || bpf_map_lookup_elem(e->m.active, &zero, &gen) ||
	    bpf_map_lookup_elem(e->m.gen, &(__u32){gen &= 1}, ret_hdr) ||
	    bpf_map_lookup_elem(e->m.pf, &gen, g)) {
		tap_fail("reading fw_active / fw_gen / fw_pf: %s",
			 strerror(errno));
		free(g);
		return NULL;
	}
	*ret_gen = gen;
	return g;
}

static int pf_write(struct env *e, __u32 gen, const struct fw_pf_gen *g)
{
	if (bpf_map_update_elem(e->m.pf, &gen, g, BPF_ANY)) {
		tap_fail("writing fw_pf: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The program consults the prefilter, on the fast and the full path: with
 * the active generation's filter emptied, a frame the deny rule matches
 * passes (the filter excludes it); restored, it is dropped again.  Also:
 * the compiler's filter lets every key of the set through (no false
 * negative) and excludes most others.
 */
static void test_consulted(struct env *e)
{
	struct fw_pf_gen *g = NULL, *empty = NULL;
	struct fw_gen_hdr h;
	size_t set = 0;
	__u32 gen;

	if (env_reset(e) || env_rules(e, deny53, 2))
		goto end;
	expect_all(e, XDP_DROP, 1, "compiled filter:");
	g = pf_read(e, &gen, &h);
	if (!g)
		goto end;
	if (!h.pf_tag || g->tag != h.pf_tag)
		tap_fail(
			"fw_gen tag %#x, fw_pf tag %#x: want equal non-zero tags",
			h.pf_tag, g->tag);
	if (!g->words || !g->ntup4 || !g->ntup6)
		tap_fail("fw_pf words %u, tuples %u/%u; want all > 0", g->words,
			 g->ntup4, g->ntup6);
	for (__u32 i = 0; i < g->words && i < FW_PF_WORDS; i++)
		set += __builtin_popcountll(g->bloom[i]);
	/* 4 keys, 2 bits each: at most 8 bits of 64 x words */
	if (!set || set > 8)
		tap_fail("%zu filter bits set, want 1..8", set);
	empty = malloc(sizeof(*empty));
	if (!empty)
		goto end;
	memcpy(empty, g, sizeof(*g));
	memset(empty->bloom, 0, sizeof(empty->bloom));
	if (pf_write(e, gen, empty))
		goto end;
	expect_all(e, XDP_PASS, 0, "emptied filter:");
	if (pf_write(e, gen, g))
		goto end;
	expect_all(e, XDP_DROP, 1, "restored filter:");
end:
	free(g);
	free(empty);
	tap_end("the prefilter is consulted: an emptied filter hides the rule");
}

/*
 * fw_pf is trusted only with its generation's tag: a filter whose tag
 * differs (stale), or a generation whose header has none (a loader that
 * predates fw_pf writes 0 there), is ignored and every tuple probed.
 */
static void test_trust(struct env *e)
{
	struct fw_pf_gen *g = NULL;
	struct fw_gen_hdr h, plain;
	__u32 gen;

	if (env_reset(e) || env_rules(e, deny53, 2))
		goto end;
	g = pf_read(e, &gen, &h);
	if (!g)
		goto end;
	memset(g->bloom, 0, sizeof(g->bloom));
	g->tag = h.pf_tag + 1;
	if (pf_write(e, gen, g))
		goto end;
	expect_all(e, XDP_DROP, 1, "stale tag:");
	g->tag = h.pf_tag;
	if (pf_write(e, gen, g))
		goto end;
	plain = h;
	plain.pf_tag = 0; /* what an older loader writes */
	if (bpf_map_update_elem(e->m.gen, &gen, &plain, BPF_ANY)) {
		tap_fail("writing fw_gen: %s", strerror(errno));
		goto end;
	}
	expect_all(e, XDP_DROP, 1, "untagged generation:");
	if (bpf_map_update_elem(e->m.gen, &gen, &h, BPF_ANY)) {
		tap_fail("writing fw_gen: %s", strerror(errno));
		goto end;
	}
	expect_all(e, XDP_PASS, 0, "tags agree again (filter empty):");
	/* the next apply writes a new tag and a fresh filter */
	if (env_rules(e, deny53, 2))
		goto end;
	expect_all(e, XDP_DROP, 1, "after a new apply:");
	free(g);
	g = pf_read(e, &gen, &plain);
	if (g && (g->tag != plain.pf_tag || plain.pf_tag == h.pf_tag))
		tap_fail("after apply: fw_pf tag %#x, fw_gen %#x, before %#x",
			 g->tag, plain.pf_tag, h.pf_tag);
end:
	free(g);
	tap_end("fw_pf is trusted only with its generation's tag");
}

/* A set applied without a filter, and with a 1-word filter that lets
 * almost every key through: verdicts unchanged. */
static void test_sizes(struct env *e)
{
	static const unsigned int sizes[] = {0, 1, FW_PF_WORDS};
	struct fw_set *s = NULL;
	char err[FW_ERR_LEN] = "";

	if (env_reset(e))
		goto end;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char when[64];

		fw_set_free(s);
		s = NULL;
		if (env_compile(deny53, 2, &s))
			goto end;
		if (fw_set_prefilter(s, sizes[i]) ||
		    fw_set_apply(&e->m, s, err, sizeof(err))) {
			tap_fail("%u words: apply: %s", sizes[i], err);
			goto end;
		}
		snprintf(when, sizeof(when), "%u-word filter:", sizes[i]);
		expect_all(e, XDP_DROP, 1, when);
	}
	if (s && fw_set_prefilter(s, 3) != -EINVAL)
		tap_fail("fw_set_prefilter(3 words) accepted");
	if (s && fw_set_prefilter(s, FW_PF_WORDS * 2) != -EINVAL)
		tap_fail("fw_set_prefilter(2 x FW_PF_WORDS) accepted");
end:
	fw_set_free(s);
	tap_end("no filter, a full one, the largest: same verdicts");
}

/* ---- pinned maps ---- */

static int rm_pins(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Apply deny53 through the maps pinned in dir. */
static int pinned_apply(const char *dir)
{
	struct fw_maps m;
	struct fw_set *s = NULL;
	char err[FW_ERR_LEN] = "";
	int r;

	r = fw_maps_open_pinned(dir, &m);
	if (r)
		return r;
	r = env_compile(deny53, 2, &s);
	if (!r)
		r = fw_set_apply(&m, s, err, sizeof(err));
	if (r)
		tap_fail("pinned apply: %d %s", r, err);
	fw_set_free(s);
	fw_maps_close(&m);
	return r;
}

/*
 * Restart adoption: a second fw_load adopts the pins (the rule set keeps
 * judging); pins of an older loader (no fw_pf, fw_ifcnt) open, and rule
 * sets apply without a prefilter; a pinned map whose layout differs is not
 * adopted: fw_load fails.
 */
static void test_pins(void)
{
	char dir[] = "/sys/fs/bpf/sentinel-test-pf-XXXXXX", path[256];
	struct fw_bpf *skel = NULL;
	struct fw_counter st[FW_ST__MAX];
	struct fw_if_count ifc[4];
	struct fw_maps m, pm;
	struct statfs sfs;
	size_t n;
	int fd, r;

	pm.pf = -2;
	if (statfs("/sys/fs/bpf", &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		tap_skip("pinned maps", "no bpffs at /sys/fs/bpf");
		return;
	}
	if (!mkdtemp(dir)) {
		tap_skip("pinned maps", "no bpffs at /sys/fs/bpf");
		return;
	}
	if ((r = fw_load(dir, &skel, &m))) {
		tap_fail("fw_load(pins) = %d", r);
		goto end;
	}
	fw_unload(skel);
	skel = NULL;
	if (pinned_apply(dir))
		goto end;
	/* restart: adopted, the set applied before still in force */
	if ((r = fw_load(dir, &skel, &m))) {
		tap_fail("fw_load(adopt) = %d", r);
		goto end;
	}
	{
		struct env e2 = {.skel = skel, .m = m};
		uint8_t f[FRAME_MAX], out[FRAME_MAX];
		int len = pkt_build(&frames[0], f, sizeof(f), NULL);
		size_t ol;
		__u32 v = 0;

		if (len < 0 ||
		    env_run(&e2, f, (size_t)len, LO_IFINDEX, &v, out, &ol) ||
		    v != XDP_DROP)
			tap_fail("after adoption: verdict %s, want DROP",
				 verdict_name((int)v));
	}
	fw_unload(skel);
	skel = NULL;

	/* pins of an older loader: no fw_pf, no fw_ifcnt */
	snprintf(path, sizeof(path), "%s/fw_pf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fw_ifcnt", dir);
	unlink(path);
	if ((r = fw_maps_open_pinned(dir, &pm))) {
		tap_fail("fw_maps_open_pinned(old pins) = %d", r);
		goto end;
	}
	if (pm.pf != -1 || pm.ifcnt != -1)
		tap_fail("old pins: pf fd %d, ifcnt fd %d, want -1", pm.pf,
			 pm.ifcnt);
	if ((r = fw_stats_read(&pm, st)))
		tap_fail("fw_stats_read(old pins) = %d", r);
	if ((r = fw_if_counters_read(&pm, ifc, 4, &n)) != -ENOENT)
		tap_fail("fw_if_counters_read(old pins) = %d, want -ENOENT", r);
	fw_maps_close(&pm);
	if (pinned_apply(dir))
		goto end;

	/* a pin whose layout differs: refused, not adopted */
	snprintf(path, sizeof(path), "%s/fw_gen", dir);
	unlink(path);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fw_gen", 4,
			    sizeof(struct fw_gen_hdr) + 8, FW_GENS, NULL);
	if (fd < 0 || bpf_obj_pin(fd, path)) {
		tap_fail("pinning a foreign fw_gen: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		goto end;
	}
	close(fd);
	libbpf_set_print(NULL); /* the refusal is expected: keep it quiet */
	r = fw_load(dir, &skel, &m);
	if (!r) {
		tap_fail("fw_load adopted a pinned fw_gen of another layout");
		fw_unload(skel);
		skel = NULL;
	}
end:
	if (skel)
		fw_unload(skel);
	rm_pins(dir);
	tap_end("pins: adopted on restart; older pins open; foreign layout refused");
}

int main(void)
{
	struct env e;
	int err;

	if (geteuid() != 0) {
		printf("SKIP: BPF_PROG_TEST_RUN of XDP needs root\n");
		return 77;
	}
	err = env_init(&e);
	if (err) {
		printf("SKIP: cannot load the firewall (BPF unavailable?): %s\n",
		       strerror(-err));
		return 77;
	}
	test_consulted(&e);
	test_trust(&e);
	test_sizes(&e);
	env_fini(&e);
	test_pins();
	return tap_finish();
}
