/* SPDX-License-Identifier: GPL-2.0-only */
/* Harness of the firewall's BPF_PROG_TEST_RUN tests: setup, run, check. */
#ifndef SENTINEL_TEST_FW_HARNESS_H
#define SENTINEL_TEST_FW_HARNESS_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "fw.h"
#include "pkt.h"

#define LO_IFINDEX 1
#define OTHER_IFINDEX \
	999999 /* names no device: rules scoped to it never match */
#define FRAME_MAX 2048
#define EV_MAX	  8

struct ring_buffer;

/* The loaded firewall and the events read from its ring. */
struct env {
	struct fw_bpf *skel; /* owned */
	struct fw_maps m;
	struct ring_buffer *rb; /* owned */
	struct fw_event ev[EV_MAX];
	size_t nev; /* events seen since the last drain (may exceed EV_MAX) */
};

/* Expected event; the packet fields are derived from the case's frame. */
struct exp_ev {
	__u8 type, action, flags;
	__u32 id;
};

struct exp_rc {
	__u32 id; /* 0 ends the list */
	__u64 packets;
};

enum reply_kind {
	REPLY_NONE = 0,
	REPLY_RST,
	REPLY_UNREACH,
};

/* Mangles a built frame (for malformed cases); may change *len. */
typedef void (*mangle_fn)(uint8_t *f, size_t *len, const struct pkt_layout *l);

#define CASE_RULES 8

/* One table case: setup, frame, expectations. */
struct tcase {
	const char *name;
	/* setup, on top of the baseline (see env_reset) */
	const char *
		set; /* "default=drop malformed=pass dry-run=1 reject-pps=N reject-burst=N" */
	const char *rules[CASE_RULES]; /* fw_rule_parse lines (+ "ifindex=N") */
	const char *ifset[2];  /* "IFINDEX default=pass|drop dry-run=0|1" */
	const char *mgmt[3];   /* "CIDR [PORT,PORT..]" */
	const char *blocks[4]; /* "CIDR [source=N] [dry-run]" */
	/* input */
	struct pkt_spec pkt;
	mangle_fn mangle;
	/* expectations */
	int verdict;	    /* XDP_PASS, XDP_DROP, XDP_TX */
	int st[FW_ST__MAX]; /* exact packet deltas of every global counter */
	struct exp_rc rc[4];
	int nev;
	struct exp_ev ev[2];
	enum reply_kind reply;
};

/* Packet deltas: rx is always one. */
#define ST(...) .st = {[FW_ST_RX] = 1, __VA_ARGS__}
#define EV1(t, a, f, i) \
	.nev = 1, .ev = {{.type = (t), .action = (a), .flags = (f), .id = (i)}}

int env_init(struct env *e);
void env_fini(struct env *e);
/* Baseline: default pass, malformed drop, no dry-run, generous reject rate;
 * no rules, interface overrides, management prefixes, block entries, rate
 * limiter state or pending events. */
int env_reset(struct env *e);
int env_settings(struct env *e, const char *words);
int env_rules(struct env *e, const char *const *lines, size_t n);
/* Compile lines into *ret (for the swap test). */
int env_compile(const char *const *lines, size_t n, struct fw_set **ret);
void env_drain(struct env *e);
/* Run one frame; *ret_out (cap FRAME_MAX) receives the output frame. */
int env_run(struct env *e, const void *frame, size_t len, __u32 ifindex,
	    __u32 *ret_verdict, uint8_t *out, size_t *ret_outlen);
int env_run_repeat(struct env *e, const void *frame, size_t len, __u32 ifindex,
		   __u32 repeat, __u32 *ret_verdict);
void env_run_case(struct env *e, const struct tcase *c);

const char *verdict_name(int v);

#endif
