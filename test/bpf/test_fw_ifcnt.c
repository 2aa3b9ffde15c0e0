// SPDX-License-Identifier: GPL-2.0-only
/* Per-interface verdict counters, through BPF_PROG_TEST_RUN in a netns of its own. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_harness.h"
#include "tap.h"

/* Devices of this test's namespace: lo is 1; a veth pair gets an ifindex
 * below FW_IF_SLOTS and one above (counted in slot 0). */
#define IF_LOW	7
#define IF_HIGH 5000

#define V4	    .src = "10.0.0.1", .dst = "10.0.0.2"
#define V6	    .src = "2001:db8::1", .dst = "2001:db8::2"
#define UDP(sp, dp) .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp)
#define TCP(sp, dp)                                         \
	.proto = IPPROTO_TCP, .sport = (sp), .dport = (dp), \
	.tcp_flags = PKT_TCP_SYN, .seq = 1000

static const char *const rules[] = {
	"id=1 prio=1 action=deny proto=udp dport=53",
	"id=2 prio=2 action=reject proto=tcp dport=81",
	"id=3 prio=3 action=allow proto=udp dport=123",
};

enum { PASS, DPASS, DROP, DDROP, TX, NV };

/* One frame, where it arrives, and what each of its interface's counters
 * must gain. */
static const struct {
	const char *name;
	struct pkt_spec pkt;
	__u32 ifindex;
	int st[NV]; /* pass, default pass, drop, default drop, tx */
} frames[] = {
	{"lo: IPv4 deny", {V4, UDP(1000, 53)}, LO_IFINDEX, {[DROP] = 1}},
	{"lo: IPv4 default",
	 {V4, UDP(1000, 80)},
	 LO_IFINDEX,
	 {[PASS] = 1, [DPASS] = 1}},
	{"low: IPv4 reject (TX)", {V4, TCP(1000, 81)}, IF_LOW, {[TX] = 1}},
	{"low: IPv4 allow", {V4, UDP(1000, 123)}, IF_LOW, {[PASS] = 1}},
	{"low: IPv6 deny", {V6, UDP(1000, 53)}, IF_LOW, {[DROP] = 1}},
	{"low: tagged IPv4 default",
	 {V4, UDP(1000, 80), .nvlan = 1, .vlan_tci = {9}},
	 IF_LOW,
	 {[PASS] = 1, [DPASS] = 1}},
	{"high: IPv4 default",
	 {V4, UDP(1000, 80)},
	 IF_HIGH,
	 {[PASS] = 1, [DPASS] = 1}},
	{"high: IPv6 default",
	 {V6, UDP(1000, 80)},
	 IF_HIGH,
	 {[PASS] = 1, [DPASS] = 1}},
	{"high: IPv4 deny", {V4, UDP(1000, 53)}, IF_HIGH, {[DROP] = 1}},
};
#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

/* The counters of slot ifindex in out[0..n), or NULL. */
static const struct fw_if_count *slot_of(const struct fw_if_count *out,
					 size_t n, __u32 ifindex)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].ifindex == ifindex)
			return &out[i];
	return NULL;
}

static void check_slot(const struct fw_if_count *c, __u32 slot,
		       const __u64 *want_p, const __u64 *want_b)
{
	const struct fw_counter *got[NV];
	static const char *const names[NV] = {"pass", "default_pass", "drop",
					      "default_drop", "tx"};
	struct fw_counter zero = {};

	got[PASS] = c ? &c->pass : &zero;
	got[DPASS] = c ? &c->default_pass : &zero;
	got[DROP] = c ? &c->drop : &zero;
	got[DDROP] = c ? &c->default_drop : &zero;
	got[TX] = c ? &c->tx : &zero;
	for (int v = 0; v < NV; v++)
		if (got[v]->packets != want_p[v] || got[v]->bytes != want_b[v])
			tap_fail(
				"slot %u %s: %llu packets %llu bytes, want %llu, %llu",
				slot, names[v],
				(unsigned long long)got[v]->packets,
				(unsigned long long)got[v]->bytes,
				(unsigned long long)want_p[v],
				(unsigned long long)want_b[v]);
}

/*
 * Run every frame twice, on lo, a device of a small ifindex and one above
 * FW_IF_SLOTS; each slot's counters must equal the sums of its frames,
 * packets and bytes, and the global rx/pass/drop/tx and default counters
 * must have grown by the sums over all slots.
 */
static void test_counts(struct env *e)
{
	struct fw_counter b[FW_ST__MAX], a[FW_ST__MAX];
	struct fw_if_count out[FW_IF_SLOTS];
	__u64 wp[3][NV] = {}, wb[3][NV] = {}, tot_p[NV] = {}, tot_b[NV] = {};
	static const __u32 slots[3] = {LO_IFINDEX, IF_LOW, 0};
	uint8_t f[FRAME_MAX], o[FRAME_MAX];
	size_t n = 0, ol;
	int r;

	if (env_reset(e) || env_rules(e, rules, 3))
		goto end;
	r = fw_if_counters_read(&e->m, out, FW_IF_SLOTS, &n);
	if (r || n) {
		tap_fail("fresh load: fw_if_counters_read = %d, %zu slots", r,
			 n);
		goto end;
	}
	if (fw_stats_read(&e->m, b)) {
		tap_fail("fw_stats_read failed");
		goto end;
	}
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < NFRAMES; i++) {
			int len = pkt_build(&frames[i].pkt, f, sizeof(f), NULL);
			int s = frames[i].ifindex == LO_IFINDEX ? 0
				: frames[i].ifindex == IF_LOW	? 1
								: 2;
			int want = frames[i].st[TX]	? XDP_TX
				   : frames[i].st[DROP] ? XDP_DROP
							: XDP_PASS;
			__u32 v = 0;

			if (len < 0) {
				tap_fail("test bug: pkt_build = %d", len);
				goto end;
			}
			r = env_run(e, f, (size_t)len, frames[i].ifindex, &v, o,
				    &ol);
			if (r) {
				tap_fail("%s: test run = %d", frames[i].name,
					 r);
				goto end;
			}
			if ((int)v != want)
				tap_fail("%s: verdict %s, want %s",
					 frames[i].name, verdict_name((int)v),
					 verdict_name(want));
			for (int k = 0; k < NV; k++) {
				wp[s][k] += frames[i].st[k];
				wb[s][k] += frames[i].st[k] * (__u64)len;
				tot_p[k] += frames[i].st[k];
				tot_b[k] += frames[i].st[k] * (__u64)len;
			}
		}
	env_drain(e);
	r = fw_if_counters_read(&e->m, out, FW_IF_SLOTS, &n);
	if (r) {
		tap_fail("fw_if_counters_read = %d", r);
		goto end;
	}
	if (n != 3)
		tap_fail("%zu slots with counts, want 3 (lo, %d, slot 0)", n,
			 IF_LOW);
	for (size_t i = 1; i < n; i++)
		if (out[i].ifindex <= out[i - 1].ifindex)
			tap_fail("slots not in ascending ifindex order");
	for (int s = 0; s < 3; s++)
		check_slot(slot_of(out, n, slots[s]), slots[s], wp[s], wb[s]);
	if (fw_if_counters_read(&e->m, out, 2, &n) != -ENOBUFS)
		tap_fail("fw_if_counters_read(max 2) did not report -ENOBUFS");

	if (fw_stats_read(&e->m, a)) {
		tap_fail("fw_stats_read failed");
		goto end;
	}
#define GLOBAL(st, p, by)                                             \
	do {                                                          \
		if (a[st].packets - b[st].packets != (p) ||           \
		    a[st].bytes - b[st].bytes != (by))                \
			tap_fail("global %s +%llu/+%llu bytes, want " \
				 "+%llu/+%llu",                       \
				 fw_stat_name(st),                    \
				 (unsigned long long)(a[st].packets - \
						      b[st].packets), \
				 (unsigned long long)(a[st].bytes -   \
						      b[st].bytes),   \
				 (unsigned long long)(p),             \
				 (unsigned long long)(by));           \
	} while (0)
	GLOBAL(FW_ST_PASS, tot_p[PASS], tot_b[PASS]);
	GLOBAL(FW_ST_DROP, tot_p[DROP], tot_b[DROP]);
	GLOBAL(FW_ST_TX, tot_p[TX], tot_b[TX]);
	GLOBAL(FW_ST_DEFAULT_PASS, tot_p[DPASS], tot_b[DPASS]);
	GLOBAL(FW_ST_DEFAULT_DROP, tot_p[DDROP], tot_b[DDROP]);
	GLOBAL(FW_ST_RX, tot_p[PASS] + tot_p[DROP] + tot_p[TX],
	       tot_b[PASS] + tot_b[DROP] + tot_b[TX]);
#undef GLOBAL
	for (unsigned int i = 0; i < FW_ST__MAX; i++) {
		struct fw_counter one;

		if (fw_stat_read(&e->m, i, &one) ||
		    one.packets != a[i].packets || one.bytes != a[i].bytes)
			tap_fail("fw_stat_read(%s) differs from fw_stats_read",
				 fw_stat_name(i));
	}
end:
	tap_end("per-interface counters: exact per slot, sums are the globals");
}

/* The default policy drop counts on its interface as drop and
 * default_drop; dry-run turns it into pass and default_pass. */
static void test_default_drop(struct env *e)
{
	struct pkt_spec s = {V4, UDP(1000, 80)};
	struct fw_if_count out[FW_IF_SLOTS];
	const struct fw_if_count *c;
	uint8_t f[FRAME_MAX], o[FRAME_MAX];
	__u64 lp[NV] = {}, lb[NV] = {};
	size_t n, ol;
	__u32 v;
	int len;

	if (env_reset(e) || env_rules(e, rules, 3))
		goto end;
	len = pkt_build(&s, f, sizeof(f), NULL);
	if (len < 0)
		goto end;
	/* counters are cumulative: take this slot's figures before */
	if (fw_if_counters_read(&e->m, out, FW_IF_SLOTS, &n))
		goto end;
	c = slot_of(out, n, IF_LOW);
	if (c) {
		lp[PASS] = c->pass.packets;
		lb[PASS] = c->pass.bytes;
		lp[DPASS] = c->default_pass.packets;
		lb[DPASS] = c->default_pass.bytes;
		lp[DROP] = c->drop.packets;
		lb[DROP] = c->drop.bytes;
		lp[DDROP] = c->default_drop.packets;
		lb[DDROP] = c->default_drop.bytes;
		lp[TX] = c->tx.packets;
		lb[TX] = c->tx.bytes;
	}
	if (env_settings(e, "default=drop") ||
	    env_run(e, f, (size_t)len, IF_LOW, &v, o, &ol) || v != XDP_DROP)
		tap_fail("default drop: verdict %s", verdict_name((int)v));
	lp[DROP]++, lb[DROP] += len, lp[DDROP]++, lb[DDROP] += len;
	if (env_settings(e, "default=drop dry-run=1") ||
	    env_run(e, f, (size_t)len, IF_LOW, &v, o, &ol) || v != XDP_PASS)
		tap_fail("dry-run: verdict %s", verdict_name((int)v));
	lp[PASS]++, lb[PASS] += len, lp[DPASS]++, lb[DPASS] += len;
	if (fw_if_counters_read(&e->m, out, FW_IF_SLOTS, &n))
		tap_fail("fw_if_counters_read failed");
	else
		check_slot(slot_of(out, n, IF_LOW), IF_LOW, lp, lb);
end:
	tap_end("default drop and dry-run: counted as drop/default_drop, pass/default_pass");
}

int main(void)
{
	char cmd[256];
	struct env e;
	int err;

	if (geteuid() != 0) {
		printf("SKIP: needs root (BPF_PROG_TEST_RUN, a network namespace)\n");
		return 77;
	}
	/* devices only in a namespace of our own: they vanish with us */
	if (unshare(CLONE_NEWNET)) {
		printf("SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 77;
	}
	snprintf(cmd, sizeof(cmd),
		 "ip link add fwc0 index %d type veth peer name fwc1 index %d",
		 IF_LOW, IF_HIGH);
	if (system(cmd)) {
		printf("SKIP: cannot create a veth pair with chosen ifindexes (%s)\n",
		       cmd);
		return 77;
	}
	err = env_init(&e);
	if (err) {
		printf("SKIP: cannot load the firewall (BPF unavailable?): %s\n",
		       strerror(-err));
		return 77;
	}
	test_counts(&e);
	test_default_drop(&e);
	env_fini(&e);
	return tap_finish();
}
