// SPDX-License-Identifier: GPL-2.0-only
/* Harness of the firewall's BPF_PROG_TEST_RUN tests: setup, run, check. */
#include "fw_harness.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

const char *verdict_name(int v)
{
	switch (v) {
	case XDP_ABORTED:
		return "ABORTED";
	case XDP_DROP:
		return "DROP";
	case XDP_PASS:
		return "PASS";
	case XDP_TX:
		return "TX";
	case XDP_REDIRECT:
		return "REDIRECT";
	}
	return "?";
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct env *e = ctx;

	if (size < sizeof(struct fw_event)) {
		tap_fail("event of %zu bytes, want %zu", size,
			 sizeof(struct fw_event));
		return 0;
	}
	if (e->nev < EV_MAX)
		memcpy(&e->ev[e->nev], data, sizeof(struct fw_event));
	e->nev++;
	return 0;
}

int env_init(struct env *e)
{
	int err;

	memset(e, 0, sizeof(*e));
	err = fw_load(NULL, &e->skel, &e->m);
	if (err)
		return err;
	e->rb = ring_buffer__new(e->m.events, on_event, e, NULL);
	if (!e->rb) {
		err = -errno;
		fw_unload(e->skel);
		e->skel = NULL;
		return err;
	}
	return 0;
}

void env_fini(struct env *e)
{
	ring_buffer__free(e->rb);
	fw_unload(e->skel);
}

void env_drain(struct env *e)
{
	ring_buffer__consume(e->rb);
	e->nev = 0;
}

/* Delete every key of a map (keys are collected first: deleting while
 * walking would restart the walk). */
static int map_clear(int fd, size_t keysz)
{
	size_t n = 0, cap = 64, i;
	uint8_t *keys = malloc(cap * keysz), *prev = NULL;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, keys + n * keysz) == 0) {
		prev = keys + n * keysz;
		n++;
		if (n == cap) {
			uint8_t *k = realloc(keys, 2 * cap * keysz);

			if (!k) {
				err = -ENOMEM;
				goto out;
			}
			keys = k;
			cap *= 2;
			prev = keys + (n - 1) * keysz;
		}
	}
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, keys + i * keysz) &&
		    errno != ENOENT)
			err = -errno;
out:
	free(keys);
	return err;
}

static int parse_policy(const char *v, __u8 *ret)
{
	if (!strcmp(v, "pass"))
		*ret = FW_POLICY_PASS;
	else if (!strcmp(v, "drop"))
		*ret = FW_POLICY_DROP;
	else
		return -EINVAL;
	return 0;
}

int env_settings(struct env *e, const char *words)
{
	struct fw_settings s = {
		.default_policy = FW_POLICY_PASS,
		.malformed_policy = FW_POLICY_DROP,
		.reject_pps = 1000000,
		.reject_burst = 1000000,
	};
	char buf[256], *save = NULL, *w;
	int err;

	snprintf(buf, sizeof(buf), "%s", words ? words : "");
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *v = strchr(w, '=');

		if (!v)
			return -EINVAL;
		*v++ = '\0';
		if (!strcmp(w, "default"))
			err = parse_policy(v, &s.default_policy);
		else if (!strcmp(w, "malformed"))
			err = parse_policy(v, &s.malformed_policy);
		else if (!strcmp(w, "dry-run"))
			err = (s.dry_run = (__u8)atoi(v), 0);
		else if (!strcmp(w, "reject-pps"))
			err = (s.reject_pps = (__u32)strtoul(v, NULL, 0), 0);
		else if (!strcmp(w, "reject-burst"))
			err = (s.reject_burst = (__u32)strtoul(v, NULL, 0), 0);
		else
			err = -EINVAL;
		if (err)
			return err;
	}
	return fw_settings_set(&e->m, &s);
}

/* Parse one rule line; a test-only word ifindex=N sets the interface. */
static int rule_parse(const char *line, struct fw_rule *r)
{
	char buf[512], err[FW_ERR_LEN] = "", *p;
	long ifindex = -1;
	int ret;

	snprintf(buf, sizeof(buf), "%s", line);
	p = strstr(buf, "ifindex=");
	if (p) {
		char *end;

		ifindex = strtol(p + 8, &end, 10);
		memmove(p, end, strlen(end) + 1);
	}
	ret = fw_rule_parse(buf, r, err, sizeof(err));
	if (ret) {
		tap_fail("fw_rule_parse(\"%s\") = %d: %s", line, ret, err);
		return ret < 0 ? ret : -EINVAL;
	}
	if (ifindex >= 0)
		r->ifindex = (__u32)ifindex;
	return 0;
}

int env_compile(const char *const *lines, size_t n, struct fw_set **ret)
{
	struct fw_rule rules[CASE_RULES * 2];
	char err[FW_ERR_LEN] = "";
	size_t i;
	int r;

	if (n > sizeof(rules) / sizeof(rules[0]))
		return -E2BIG;
	for (i = 0; i < n; i++) {
		r = rule_parse(lines[i], &rules[i]);
		if (r)
			return r;
	}
	r = fw_set_compile(rules, n, ret, err, sizeof(err));
	if (r)
		tap_fail("fw_set_compile = %d: %s", r, err);
	return r;
}

int env_rules(struct env *e, const char *const *lines, size_t n)
{
	char err[FW_ERR_LEN] = "";
	struct fw_set *s = NULL;
	int r;

	r = env_compile(lines, n, &s);
	if (r)
		return r;
	r = fw_set_apply(&e->m, s, err, sizeof(err));
	if (r)
		tap_fail("fw_set_apply = %d: %s", r, err);
	fw_set_free(s);
	return r;
}

int env_reset(struct env *e)
{
	int err;

	err = env_settings(e, NULL);
	if (err) {
		tap_fail("fw_settings_set = %d", err);
		return err;
	}
	if (map_clear(e->m.ifset, sizeof(__u32)) ||
	    map_clear(e->m.mgmt4, sizeof(struct mgmt4_key)) ||
	    map_clear(e->m.mgmt6, sizeof(struct mgmt6_key)) ||
	    map_clear(e->m.bs4, sizeof(struct bs4_key)) ||
	    map_clear(e->m.bs6, sizeof(struct bs6_key)) ||
	    map_clear(e->m.rjrl, 16)) {
		tap_fail("clearing maps failed");
		return -EIO;
	}
	err = bs_sweep(&e->m, NULL);
	if (err) {
		tap_fail("bs_sweep = %d", err);
		return err;
	}
	err = env_rules(e, NULL, 0);
	if (err)
		return err;
	env_drain(e);
	return 0;
}

static int setup_ifset(struct env *e, const char *line)
{
	struct fw_if_settings s = {};
	char buf[128], *save = NULL, *w;
	__u32 ifindex;
	int err;

	snprintf(buf, sizeof(buf), "%s", line);
	w = strtok_r(buf, " ", &save);
	if (!w)
		return -EINVAL;
	ifindex = (__u32)strtoul(w, NULL, 10);
	while ((w = strtok_r(NULL, " ", &save))) {
		if (!strncmp(w, "default=", 8)) {
			err = parse_policy(w + 8, &s.default_policy);
			if (err)
				return err;
		} else if (!strncmp(w, "dry-run=", 8)) {
			s.dry_run = (__u8)atoi(w + 8);
		} else {
			return -EINVAL;
		}
	}
	return fw_if_settings_set(&e->m, ifindex, &s);
}

static int setup_mgmt(struct env *e, const char *line)
{
	char buf[128], *save = NULL, *w, *ps;
	__u16 ports[FW_MGMT_PORTS];
	struct fw_cidr c;
	size_t n = 0;
	int err;

	snprintf(buf, sizeof(buf), "%s", line);
	w = strtok_r(buf, " ", &save);
	err = fw_cidr_parse(w, &c);
	if (err)
		return err;
	ps = strtok_r(NULL, " ", &save);
	while (ps && *ps && n < FW_MGMT_PORTS) {
		ports[n++] = (__u16)strtoul(ps, &ps, 10);
		if (*ps == ',')
			ps++;
	}
	return fw_mgmt_add(&e->m, &c, ports, n);
}

static int setup_block(struct env *e, const char *line)
{
	char buf[128], *save = NULL, *w;
	struct bs_entry b = {};
	int err;

	snprintf(buf, sizeof(buf), "%s", line);
	w = strtok_r(buf, " ", &save);
	err = fw_cidr_parse(w, &b.cidr);
	if (err)
		return err;
	while ((w = strtok_r(NULL, " ", &save))) {
		if (!strncmp(w, "source=", 7))
			b.source = (__u32)strtoul(w + 7, NULL, 10);
		else if (!strncmp(w, "ttl_ns=", 7))
			b.ttl_ns = strtoull(w + 7, NULL, 10);
		else if (!strcmp(w, "dry-run"))
			b.flags |= FW_RF_DRYRUN;
		else
			return -EINVAL;
	}
	return bs_add(&e->m, &b, 1);
}

int env_run_repeat(struct env *e, const void *frame, size_t len, __u32 ifindex,
		   __u32 repeat, __u32 *ret_verdict)
{
	struct xdp_md ctx = {.data_end = (__u32)len,
			     .ingress_ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (__u32)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);
	int err;

	err = bpf_prog_test_run_opts(e->m.prog, &o);
	if (err)
		return -errno;
	*ret_verdict = o.retval;
	return 0;
}

int env_run(struct env *e, const void *frame, size_t len, __u32 ifindex,
	    __u32 *ret_verdict, uint8_t *out, size_t *ret_outlen)
{
	struct xdp_md ctx = {.data_end = (__u32)len,
			     .ingress_ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = FRAME_MAX, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(e->m.prog, &o);
	if (err)
		return -errno;
	*ret_verdict = o.retval;
	*ret_outlen = o.data_size_out;
	return 0;
}

/* ---- checks ---- */

static void check_event(const struct fw_event *ev, const struct exp_ev *x,
			const struct pkt_spec *s, size_t len, int i)
{
	uint32_t src[4], dst[4];
	int fam = pkt_addr_parse(s->src, src);
	int later, icmp;
	__u16 sport = 0, dport = 0, vlan = 0;
	__u8 tflags = 0;
	char a[64], b[64];

	pkt_addr_parse(s->dst, dst);
	later = (fam == 4 && s->frag_off) ||
		(fam == 6 && s->frag_off && s->ext_n);
	icmp = s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6;
	if (!later && (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP)) {
		sport = s->sport;
		dport = s->dport;
	} else if (!later && icmp) {
		sport = s->icmp_type;
		dport = s->icmp_code;
	}
	if (!later && s->proto == IPPROTO_TCP)
		tflags = s->tcp_flags;
	if (s->nvlan)
		vlan = s->vlan_tci[s->nvlan - 1] & 0x0fff;

#define EVCHK(field, want)                                                   \
	do {                                                                 \
		if ((unsigned long long)ev->field !=                         \
		    (unsigned long long)(want))                              \
			tap_fail("event %d " #field " = %llu, want %llu", i, \
				 (unsigned long long)ev->field,              \
				 (unsigned long long)(want));                \
	} while (0)
	EVCHK(type, x->type);
	EVCHK(action, x->action);
	EVCHK(flags, x->flags);
	EVCHK(rule_id, x->id);
	EVCHK(family, fam);
	EVCHK(proto, s->proto);
	EVCHK(sport, sport);
	EVCHK(dport, dport);
	EVCHK(vlan, vlan);
	EVCHK(tcpflags, tflags);
	EVCHK(ifindex, LO_IFINDEX);
	EVCHK(pkt_len, len);
#undef EVCHK
	if (!ev->ts_ns)
		tap_fail("event %d ts_ns = 0", i);
	if (memcmp(ev->src, src, 16))
		tap_fail("event %d src = %s, want %s", i,
			 pkt_addr_str(fam, ev->src, a, sizeof(a)),
			 pkt_addr_str(fam, src, b, sizeof(b)));
	if (memcmp(ev->dst, dst, 16))
		tap_fail("event %d dst = %s, want %s", i,
			 pkt_addr_str(fam, ev->dst, a, sizeof(a)),
			 pkt_addr_str(fam, dst, b, sizeof(b)));
}

/* Check an XDP_TX reply against the frame it answers. */
static void check_reply(enum reply_kind kind, const struct pkt_spec *s,
			const uint8_t *orig, const struct pkt_layout *ol,
			const uint8_t *out, size_t outlen)
{
	struct pkt_info o, r;
	size_t l3len, want_len;
	int i, c;

	if (pkt_parse(orig, ol->len, &o)) {
		tap_fail("test bug: original frame does not parse");
		return;
	}
	if (pkt_parse(out, outlen, &r)) {
		tap_fail("reply (%zu bytes) does not parse", outlen);
		return;
	}
	if (memcmp(r.dmac, o.smac, 6) || memcmp(r.smac, o.dmac, 6))
		tap_fail("reply MACs not swapped");
	if (r.nvlan != o.nvlan)
		tap_fail("reply has %d VLAN tags, want %d", r.nvlan, o.nvlan);
	for (i = 0; i < r.nvlan && i < o.nvlan; i++)
		if (r.vlan_tpid[i] != o.vlan_tpid[i] ||
		    r.vlan_tci[i] != o.vlan_tci[i])
			tap_fail("reply tag %d = %04x/%04x, want %04x/%04x", i,
				 r.vlan_tpid[i], r.vlan_tci[i], o.vlan_tpid[i],
				 o.vlan_tci[i]);
	if (r.family != o.family) {
		tap_fail("reply family %d, want %d", r.family, o.family);
		return;
	}
	if (memcmp(r.src, o.dst, 16) || memcmp(r.dst, o.src, 16))
		tap_fail("reply addresses not swapped");
	l3len = r.family == 4 ? 20 : 40;
	if (r.l3hlen != l3len || r.l4off != r.l3off + l3len)
		tap_fail("reply L3 header %zu bytes (L4 at %zu), want %zu",
			 r.l3hlen, r.l4off - r.l3off, l3len);
	if (r.ttl != 64)
		tap_fail("reply ttl/hop limit %u, want 64", r.ttl);
	if (r.family == 4 && !pkt_ip4_csum_ok(out + r.l3off, r.l3hlen))
		tap_fail("reply IPv4 header checksum invalid");
	c = pkt_l4_csum_ok(out, outlen);
	if (c != 1)
		tap_fail("reply L4 checksum %s", c ? "unparseable" : "invalid");

	if (kind == REPLY_RST) {
		__u32 seglen = (__u32)s->paylen +
			       !!(s->tcp_flags & PKT_TCP_SYN) +
			       !!(s->tcp_flags & PKT_TCP_FIN);

		if (r.proto != IPPROTO_TCP) {
			tap_fail("reply proto %u, want TCP", r.proto);
			return;
		}
		want_len = r.l3off + l3len + 20;
		if (r.sport != s->dport || r.dport != s->sport)
			tap_fail("RST ports %u->%u, want %u->%u", r.sport,
				 r.dport, s->dport, s->sport);
		if (r.tcp_doff != 5)
			tap_fail("RST doff %u, want 5", r.tcp_doff);
		if (s->tcp_flags & PKT_TCP_ACK) {
			/* RFC 9293 3.10.7.1: <SEQ=SEG.ACK><CTL=RST> */
			if (r.tcp_flags != PKT_TCP_RST)
				tap_fail("RST flags %#x, want RST",
					 r.tcp_flags);
			if (r.seq != s->ack)
				tap_fail("RST seq %u, want %u", r.seq, s->ack);
		} else {
			/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
			if (r.tcp_flags != (PKT_TCP_RST | PKT_TCP_ACK))
				tap_fail("RST flags %#x, want RST|ACK",
					 r.tcp_flags);
			if (r.seq != 0)
				tap_fail("RST seq %u, want 0", r.seq);
			if (r.ack != s->seq + seglen)
				tap_fail("RST ack %u, want %u", r.ack,
					 s->seq + seglen);
		}
	} else {
		size_t q = o.family == 4 ? o.l3hlen + 8 : 48;
		__u8 proto = o.family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		__u8 type = o.family == 4 ? 3 : 1, code = o.family == 4 ? 3 : 4;

		if (r.proto != proto) {
			tap_fail("reply proto %u, want %u", r.proto, proto);
			return;
		}
		want_len = r.l3off + l3len + 8 + q;
		if (r.icmp_type != type || r.icmp_code != code)
			tap_fail("reply ICMP %u/%u, want %u/%u", r.icmp_type,
				 r.icmp_code, type, code);
		if (r.l4len != 8 + q)
			tap_fail("reply ICMP length %zu, want %zu", r.l4len,
				 8 + q);
		else if (memcmp(out + r.l4off + 8, orig + o.l3off, q))
			tap_fail(
				"reply quote differs from the offending packet");
		if (outlen >= r.l4off + 8 &&
		    (out[r.l4off + 4] | out[r.l4off + 5] | out[r.l4off + 6] |
		     out[r.l4off + 7]))
			tap_fail("reply ICMP unused word not zero");
	}
	if (outlen != want_len)
		tap_fail("reply frame %zu bytes, want %zu", outlen, want_len);
}

void env_run_case(struct env *e, const struct tcase *c)
{
	struct fw_counter before[FW_ST__MAX], after[FW_ST__MAX];
	struct fw_counter rcb[4] = {}, rca[4] = {};
	uint8_t frame[FRAME_MAX], out[FRAME_MAX];
	struct pkt_layout l;
	size_t len, outlen = 0, i;
	__u32 verdict = 0;
	int n, err;

	if (env_reset(e))
		goto end;
	if (c->set && (err = env_settings(e, c->set))) {
		tap_fail("settings \"%s\" = %d", c->set, err);
		goto end;
	}
	for (i = 0; i < CASE_RULES && c->rules[i]; i++)
		;
	if (i && env_rules(e, c->rules, i))
		goto end;
	for (i = 0; i < 2 && c->ifset[i]; i++)
		if ((err = setup_ifset(e, c->ifset[i]))) {
			tap_fail("ifset \"%s\" = %d", c->ifset[i], err);
			goto end;
		}
	for (i = 0; i < 3 && c->mgmt[i]; i++)
		if ((err = setup_mgmt(e, c->mgmt[i]))) {
			tap_fail("mgmt \"%s\" = %d", c->mgmt[i], err);
			goto end;
		}
	for (i = 0; i < 4 && c->blocks[i]; i++)
		if ((err = setup_block(e, c->blocks[i]))) {
			tap_fail("block \"%s\" = %d", c->blocks[i], err);
			goto end;
		}

	n = pkt_build(&c->pkt, frame, sizeof(frame), &l);
	if (n < 0) {
		tap_fail("test bug: pkt_build = %d", n);
		goto end;
	}
	len = (size_t)n;
	if (c->mangle)
		c->mangle(frame, &len, &l);

	if ((err = fw_stats_read(&e->m, before))) {
		tap_fail("fw_stats_read = %d", err);
		goto end;
	}
	for (i = 0; i < 4 && c->rc[i].id; i++)
		fw_rule_counter(&e->m, c->rc[i].id, &rcb[i]);

	err = env_run(e, frame, len, LO_IFINDEX, &verdict, out, &outlen);
	if (err == -EINVAL && len < 14) {
		/* the kernel checks this itself: test input is >= ETH_HLEN
		 * bytes, also behind XDP metadata */
		tap_skip(c->name,
			 "BPF_PROG_TEST_RUN refuses frames under 14 bytes");
		return;
	}
	if (err) {
		tap_fail("bpf_prog_test_run_opts = %d", err);
		goto end;
	}

	if ((err = fw_stats_read(&e->m, after))) {
		tap_fail("fw_stats_read = %d", err);
		goto end;
	}
	ring_buffer__consume(e->rb);

	if ((int)verdict != c->verdict)
		tap_fail("verdict %s, want %s", verdict_name((int)verdict),
			 verdict_name(c->verdict));
	for (i = 0; i < FW_ST__MAX; i++) {
		__u64 dp = after[i].packets - before[i].packets;
		__u64 db = after[i].bytes - before[i].bytes;

		if (dp != (__u64)c->st[i])
			tap_fail("%s +%llu, want +%d",
				 fw_stat_name((unsigned)i),
				 (unsigned long long)dp, c->st[i]);
		else if (db != dp * len)
			tap_fail("%s bytes +%llu, want +%llu",
				 fw_stat_name((unsigned)i),
				 (unsigned long long)db,
				 (unsigned long long)(dp * len));
	}
	for (i = 0; i < 4 && c->rc[i].id; i++) {
		__u64 dp;

		err = fw_rule_counter(&e->m, c->rc[i].id, &rca[i]);
		if (err && c->rc[i].packets) {
			tap_fail("fw_rule_counter(%u) = %d", c->rc[i].id, err);
			continue;
		}
		dp = rca[i].packets - rcb[i].packets;
		if (dp != c->rc[i].packets)
			tap_fail("rule %u counter +%llu, want +%llu",
				 c->rc[i].id, (unsigned long long)dp,
				 (unsigned long long)c->rc[i].packets);
		else if (rca[i].bytes - rcb[i].bytes != dp * len)
			tap_fail("rule %u bytes +%llu, want +%llu", c->rc[i].id,
				 (unsigned long long)(rca[i].bytes -
						      rcb[i].bytes),
				 (unsigned long long)(dp * len));
	}
	if (e->nev != (size_t)c->nev)
		tap_fail("%zu events, want %d", e->nev, c->nev);
	for (i = 0; i < e->nev && i < (size_t)c->nev && i < EV_MAX; i++)
		check_event(&e->ev[i], &c->ev[i], &c->pkt, len, (int)i);
	if (c->reply != REPLY_NONE && verdict == XDP_TX)
		check_reply(c->reply, &c->pkt, frame, &l, out, outlen);
	else if (verdict != XDP_TX &&
		 (outlen != len || memcmp(out, frame, len)))
		tap_fail("frame modified although not answered");
end:
	tap_end(c->name);
}
