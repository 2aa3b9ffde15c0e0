// SPDX-License-Identifier: GPL-2.0-only
/* sentinel-cp's side of the channels: push the desired state to
 * sentinel-dp, read its status and counters, turn its events into alerts. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "cp.h"
#include "cp_dp.h"
#include "dpclient.h"
#include "log.h"
#include "store.h"

static int kid_cmp(const void *a, const void *b)
{
	const struct kid_idx *x = a, *y = b;

	return x->kid < y->kid ? -1 : x->kid > y->kid;
}

static void kmap_rebuild(struct cp *cp)
{
	struct kid_idx *m = calloc(cp->nrules ? cp->nrules : 1, sizeof(*m));

	if (!m)
		return;
	for (size_t i = 0; i < cp->nrules; i++)
		m[i] = (struct kid_idx){cp->rules[i].kernel_id, i};
	qsort(m, cp->nrules, sizeof(*m), kid_cmp);
	free(cp->kmap);
	cp->kmap = m;
	cp->nkmap = cp->nrules;
}

static const char *rule_name(const struct cp *cp, uint32_t kid)
{
	struct kid_idx key = {kid, 0}, *hit;

	hit = cp->kmap ? bsearch(&key, cp->kmap, cp->nkmap, sizeof(*cp->kmap),
				 kid_cmp)
		       : NULL;
	return hit && hit->idx < cp->nrules ? cp->rules[hit->idx].r.id : NULL;
}

/* One rule as a sentinel.Rule table with its kernel id. */
static uint32_t rule_build(struct fb_builder *b, const struct config_rule *r,
			   uint32_t kernel_id)
{
	struct sentinel_Cidr src = {0}, dst = {0};
	uint32_t ifname = 0;

	_Static_assert(sizeof(src.addr) == sizeof(r->src_ip.addr), "Cidr");
	if (r->interface[0])
		ifname =
			fb_create_string(b, r->interface, strlen(r->interface));
	src.family = r->src_ip.family;
	src.plen = r->src_ip.plen;
	memcpy(src.addr, r->src_ip.addr, sizeof(src.addr));
	dst.family = r->dst_ip.family;
	dst.plen = r->dst_ip.plen;
	memcpy(dst.addr, r->dst_ip.addr, sizeof(dst.addr));
	sentinel_Rule_start(b);
	sentinel_Rule_add_id(b, kernel_id);
	sentinel_Rule_add_priority(b, r->priority);
	sentinel_Rule_add_action(b, r->action);
	sentinel_Rule_add_dry_run(b, r->dry_run);
	sentinel_Rule_add_proto(b, r->protocol);
	if (r->src_ip.family)
		sentinel_Rule_add_src(b, &src);
	if (r->dst_ip.family)
		sentinel_Rule_add_dst(b, &dst);
	sentinel_Rule_add_sport_lo(b, r->src_port.lo);
	sentinel_Rule_add_sport_hi(b, r->src_port.hi);
	sentinel_Rule_add_dport_lo(b, r->dst_port.lo);
	sentinel_Rule_add_dport_hi(b, r->dst_port.hi);
	sentinel_Rule_add_vlan(b, r->vlan_id);
	sentinel_Rule_add_tcp_flags_mask(b, r->tcp_flags_mask);
	sentinel_Rule_add_tcp_flags_value(b, r->tcp_flags_value);
	sentinel_Rule_add_icmp_type(b, r->icmp_type);
	sentinel_Rule_add_icmp_code(b, r->icmp_code);
	if (ifname)
		sentinel_Rule_add_interface(b, ifname);
	return sentinel_Rule_end(b);
}

static uint32_t finish_request(struct fb_builder *b, uint64_t id, int type,
			       uint32_t cmd)
{
	sentinel_Request_start(b);
	sentinel_Request_add_id(b, id);
	sentinel_Request_add_command(b, type, cmd);
	return sentinel_Request_finish(b, sentinel_Request_end(b));
}

/* Send b's request; 0 if the reply is Ok, else -EINVAL (refused: err has
 * the reply's message and field) or a transport -errno. */
static int call(struct cp *cp, struct fb_builder *b, uint64_t id,
		struct dpc_reply *ret, char *err, size_t errlen)
{
	struct dpc_reply rep;
	int rc;

	if (fb_builder_error(b)) {
		snprintf(err, errlen, "building the request: %s",
			 strerror(-fb_builder_error(b)));
		return fb_builder_error(b);
	}
	rc = dpc_call(cp->dpc, b, id, &rep);
	if (rc) {
		snprintf(err, errlen, "sentinel-dp does not answer: %s",
			 strerror(-rc));
		cp->dp.connected = false;
		return rc;
	}
	cp->dp.connected = true;
	if (sentinel_Reply_code(rep.reply) != sentinel_Code_Ok) {
		const char *m = sentinel_Reply_message(rep.reply);
		const char *f = sentinel_Reply_field(rep.reply);

		snprintf(err, errlen, "sentinel-dp refused (%s)%s%s: %s",
			 sentinel_Code_name(sentinel_Reply_code(rep.reply))
				 ?: "?",
			 f ? " at " : "", f ? f : "", m ? m : "");
		dpc_reply_free(&rep);
		return -EINVAL;
	}
	if (ret)
		*ret = rep;
	else
		dpc_reply_free(&rep);
	return 0;
}

/* The vector of the rules of rules[0..n) that are enforced under c: the
 * enabled ones, none when the firewall is disabled. */
static int rules_vector(struct fb_builder *b, const struct config *c,
			const struct cp_rule *rules, size_t n, uint32_t *ret,
			size_t *ret_n)
{
	uint32_t *refs;
	size_t k = 0;

	refs = calloc(n ? n : 1, sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; c->firewall.enabled && i < n; i++)
		if (rules[i].r.enabled)
			refs[k++] =
				rule_build(b, &rules[i].r, rules[i].kernel_id);
	*ret = fb_create_ref_vector(b, refs, k);
	free(refs);
	*ret_n = k;
	return 0;
}

int cp_dp_push_rules(struct cp *cp, const struct cp_rule *rules, size_t n,
		     char *err, size_t errlen)
{
	struct fb_builder b;
	uint32_t vec, cmd;
	size_t k;
	uint64_t id;
	int rc;

	fb_builder_init(&b);
	rc = rules_vector(&b, cp->cfg, rules, n, &vec, &k);
	if (rc) {
		fb_builder_free(&b);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	sentinel_ReplaceRules_start(&b);
	sentinel_ReplaceRules_add_rules(&b, vec);
	cmd = sentinel_ReplaceRules_end(&b);
	id = dpc_next_id(cp->dpc);
	finish_request(&b, id, sentinel_Command_ReplaceRules, cmd);
	rc = call(cp, &b, id, NULL, err, errlen);
	fb_builder_free(&b);
	if (!rc)
		cp->dp.rules = k;
	return rc;
}

static uint32_t mgmt_vector(struct fb_builder *b,
			    const struct config_anti_lockout *al)
{
	size_t n = al->enabled ? al->n_sources : 0;
	uint32_t refs[CONFIG_MGMT_MAX], ports = 0;

	if (n > CONFIG_MGMT_MAX)
		n = CONFIG_MGMT_MAX;
	if (al->n_ports)
		ports = fb_create_vector(b, al->ports, al->n_ports, 2, 2);
	for (size_t i = 0; i < n; i++) {
		struct sentinel_Cidr c = {.family = al->sources[i].family,
					  .plen = al->sources[i].plen};

		memcpy(c.addr, al->sources[i].addr, sizeof(c.addr));
		sentinel_MgmtEntry_start(b);
		sentinel_MgmtEntry_add_cidr(b, &c);
		if (ports)
			sentinel_MgmtEntry_add_ports(b, ports);
		refs[i] = sentinel_MgmtEntry_end(b);
	}
	return fb_create_ref_vector(b, refs, n);
}

static int ifsets_vector(struct fb_builder *b, const struct config_firewall *fw,
			 uint32_t *ret)
{
	size_t n = fw->enabled ? fw->n_interface_policies : 0;
	uint32_t *refs = calloc(n ? n : 1, sizeof(*refs));

	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct config_if_policy *p = &fw->interface_policies[i];
		uint32_t name =
			fb_create_string(b, p->interface, strlen(p->interface));

		sentinel_InterfaceSettings_start(b);
		sentinel_InterfaceSettings_add_interface(b, name);
		sentinel_InterfaceSettings_add_own_policy(
			b, p->default_policy >= 0);
		sentinel_InterfaceSettings_add_policy(
			b, p->default_policy > 0 ? sentinel_Policy_Drop
						 : sentinel_Policy_Pass);
		sentinel_InterfaceSettings_add_dry_run(b, p->dry_run > 0);
		refs[i] = sentinel_InterfaceSettings_end(b);
	}
	*ret = fb_create_ref_vector(b, refs, n);
	free(refs);
	return 0;
}

int cp_dp_push_state(struct cp *cp, const struct config *c,
		     const struct cp_rule *rules, size_t n, char *err,
		     size_t errlen)
{
	const struct config_firewall *fw = &c->firewall;
	uint32_t rvec, mvec, ivec, cmd;
	struct fb_builder b;
	size_t k;
	uint64_t id;
	int rc;

	fb_builder_init(&b);
	rc = rules_vector(&b, c, rules, n, &rvec, &k);
	mvec = mgmt_vector(&b, &fw->anti_lockout);
	if (!rc)
		rc = ifsets_vector(&b, fw, &ivec);
	if (rc) {
		fb_builder_free(&b);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	sentinel_ApplyState_start(&b);
	sentinel_ApplyState_add_rules(&b, rvec);
	sentinel_ApplyState_add_default_policy(
		&b, fw->enabled && fw->default_policy ? sentinel_Policy_Drop
						      : sentinel_Policy_Pass);
	sentinel_ApplyState_add_dry_run(&b, fw->enabled && fw->dry_run);
	sentinel_ApplyState_add_mgmt(&b, mvec);
	sentinel_ApplyState_add_interfaces(&b, ivec);
	cmd = sentinel_ApplyState_end(&b);
	id = dpc_next_id(cp->dpc);
	finish_request(&b, id, sentinel_Command_ApplyState, cmd);
	rc = call(cp, &b, id, NULL, err, errlen);
	fb_builder_free(&b);
	if (!rc)
		cp->dp.rules = k;
	return rc;
}

void cp_dp_rules_changed(struct cp *cp)
{
	kmap_rebuild(cp);
	cp->rules_gen++;
}

static json_t *status_json(const struct sentinel_StatusResult *t)
{
	json_t *o = json_object(), *atts = json_array();

	for (size_t i = 0; i < sentinel_StatusResult_attachments_len(t); i++) {
		const struct sentinel_Attachment *a =
			sentinel_StatusResult_attachments_at(t, i);
		const char *mode =
			sentinel_XdpMode_name(sentinel_Attachment_mode(a));
		json_t *j = json_pack(
			"{s:s, s:i, s:s, s:i, s:i}", "interface",
			sentinel_Attachment_interface(a) ?: "", "ifindex",
			(json_int_t)sentinel_Attachment_ifindex(a), "mode",
			mode ? (mode[0] == 'N' && mode[1] == 'a' ? "native"
				: mode[0] == 'G'		 ? "generic"
								 : "none")
			     : "none",
			"link_id", (json_int_t)sentinel_Attachment_link_id(a),
			"prog_id", (json_int_t)sentinel_Attachment_prog_id(a));

		if (sentinel_Attachment_error(a))
			json_object_set_new(
				j, "error",
				json_string(sentinel_Attachment_error(a)));
		json_array_append_new(atts, j);
	}
	json_object_set_new(o, "attachments", atts);
	json_object_set_new(
		o, "version",
		json_string(sentinel_StatusResult_version(t) ?: ""));
	json_object_set_new(o, "prog_id",
			    json_integer(sentinel_StatusResult_prog_id(t)));
	json_object_set_new(o, "adopted",
			    json_boolean(sentinel_StatusResult_adopted(t)));
	json_object_set_new(o, "uptime_ms",
			    json_integer(sentinel_StatusResult_uptime_ms(t)));
	json_object_set_new(o, "rules",
			    json_integer(sentinel_StatusResult_rules(t)));
	json_object_set_new(o, "block4",
			    json_integer(sentinel_StatusResult_block4(t)));
	json_object_set_new(o, "block6",
			    json_integer(sentinel_StatusResult_block6(t)));
	return o;
}

int cp_dp_refresh(struct cp *cp, bool *ret_need_push)
{
	bool was_connected = cp->dp.connected;
	uint64_t was_uptime = cp->dp.uptime_ms;
	struct dpc_reply rep;
	struct fb_builder b;
	char err[256];
	uint32_t cmd;
	uint64_t id;
	int rc;

	fb_builder_init(&b);
	sentinel_GetStatus_start(&b);
	cmd = sentinel_GetStatus_end(&b);
	id = dpc_next_id(cp->dpc);
	finish_request(&b, id, sentinel_Command_GetStatus, cmd);
	rc = call(cp, &b, id, &rep, err, sizeof(err));
	fb_builder_free(&b);
	*ret_need_push = false;
	if (rc) {
		if (was_connected)
			log_msg(LOG_WARNING, "lost sentinel-dp: %s", err);
		cp->dp.attached = false;
		return rc;
	}
	const struct sentinel_StatusResult *t =
		sentinel_Reply_result_as_StatusResult(rep.reply);

	cp->dp.prog_id = sentinel_StatusResult_prog_id(t);
	cp->dp.adopted = sentinel_StatusResult_adopted(t);
	cp->dp.uptime_ms = sentinel_StatusResult_uptime_ms(t);
	cp->dp.attached = false;
	for (size_t i = 0; i < sentinel_StatusResult_attachments_len(t); i++) {
		const struct sentinel_Attachment *a =
			sentinel_StatusResult_attachments_at(t, i);

		if (sentinel_Attachment_link_id(a) &&
		    !sentinel_Attachment_error(a))
			cp->dp.attached = true;
	}
	json_decref(cp->dp.status);
	cp->dp.status = status_json(t);
	dpc_reply_free(&rep);
	/* a new connection, or sentinel-dp restarted behind our back */
	if (!was_connected || cp->dp.uptime_ms < was_uptime) {
		log_msg(LOG_INFO,
			"sentinel-dp %s (program %u): pushing the desired state",
			was_connected ? "restarted" : "connected",
			cp->dp.prog_id);
		*ret_need_push = true;
	}
	return 0;
}

static json_t *pcount_json(const struct sentinel_PacketCount *c)
{
	return json_pack("{s:I, s:I}", "packets",
			 (json_int_t)(c ? c->packets : 0), "bytes",
			 (json_int_t)(c ? c->bytes : 0));
}

/* [{"ifindex", "interface", "pass": {packets, bytes}, "drop", "tx",
 *   "default_pass", "default_drop"}] */
static json_t *if_counters_json(const struct sentinel_CountersResult *t)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sentinel_CountersResult_interfaces_len(t); i++) {
		const struct sentinel_InterfaceCounters *c =
			sentinel_CountersResult_interfaces_at(t, i);
		const char *name = sentinel_InterfaceCounters_interface(c);
		json_t *o = json_pack(
			"{s:I, s:o, s:o, s:o, s:o, s:o}", "ifindex",
			(json_int_t)sentinel_InterfaceCounters_ifindex(c),
			"pass", pcount_json(sentinel_InterfaceCounters_pass(c)),
			"drop", pcount_json(sentinel_InterfaceCounters_drop(c)),
			"tx", pcount_json(sentinel_InterfaceCounters_tx(c)),
			"default_pass",
			pcount_json(sentinel_InterfaceCounters_default_pass(c)),
			"default_drop",
			pcount_json(
				sentinel_InterfaceCounters_default_drop(c)));

		json_object_set_new(
			o, "interface",
			name ? json_stringn(
				       name,
				       sentinel_InterfaceCounters_interface_len(
					       c))
			     : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

#define COUNTERS_MAX_AGE_NS 1000000000ull

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int cp_dp_counters(struct cp *cp, json_t **ret)
{
	uint64_t now;
	struct dpc_reply rep;
	struct fb_builder b;
	char err[256];
	uint32_t cmd;
	uint64_t id;
	json_t *o, *g, *r;
	int rc;

	/* best effort for the API and metrics: while sentinel-dp is known to
	 * be away (the 1 s status tick says so), don't hold the loop for the
	 * request timeout */
	if (!cp->dp.connected)
		return -ENOTCONN;
	/* at most one request a second: a listing or a scrape per request
	 * must not cost a walk of the kernel's counters each */
	now = mono_ns();
	if (cp->counters && now - cp->counters_ns < COUNTERS_MAX_AGE_NS) {
		*ret = json_incref(cp->counters);
		return 0;
	}
	fb_builder_init(&b);
	sentinel_GetCounters_start(&b);
	cmd = sentinel_GetCounters_end(&b);
	id = dpc_next_id(cp->dpc);
	finish_request(&b, id, sentinel_Command_GetCounters, cmd);
	rc = call(cp, &b, id, &rep, err, sizeof(err));
	fb_builder_free(&b);
	if (rc)
		return rc;
	const struct sentinel_CountersResult *t =
		sentinel_Reply_result_as_CountersResult(rep.reply);
	const struct sentinel_EventStats *e = sentinel_CountersResult_events(t);

	o = json_object();
	g = json_object();
	r = json_object();
	for (size_t i = 0; i < sentinel_CountersResult_global_len(t); i++) {
		const struct sentinel_Counter *c =
			sentinel_CountersResult_global_at(t, i);

		json_object_set_new(
			g, sentinel_Counter_name(c) ?: "?",
			json_pack("{s:I, s:I}", "packets",
				  (json_int_t)sentinel_Counter_packets(c),
				  "bytes",
				  (json_int_t)sentinel_Counter_bytes(c)));
	}
	for (size_t i = 0; i < sentinel_CountersResult_rules_len(t); i++) {
		const struct sentinel_RuleCounter *c =
			sentinel_CountersResult_rules_at(t, i);
		char k[16];

		snprintf(k, sizeof(k), "%u", c->rule_id);
		json_object_set_new(r, k,
				    json_pack("{s:I, s:I}", "packets",
					      (json_int_t)c->packets, "bytes",
					      (json_int_t)c->bytes));
	}
	json_object_set_new(o, "global", g);
	json_object_set_new(o, "rules", r);
	json_object_set_new(o, "interfaces", if_counters_json(t));
	json_object_set_new(
		o, "events",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "read",
			  (json_int_t)sentinel_EventStats_read(e), "sent",
			  (json_int_t)sentinel_EventStats_sent(e), "batches",
			  (json_int_t)sentinel_EventStats_batches(e),
			  "ring_skipped",
			  (json_int_t)sentinel_EventStats_ring_skipped(e),
			  "ring_failed",
			  (json_int_t)sentinel_EventStats_ring_failed(e),
			  "send_dropped",
			  (json_int_t)sentinel_EventStats_send_dropped(e)));
	dpc_reply_free(&rep);
	json_decref(cp->counters);
	cp->counters = json_incref(o);
	cp->counters_ns = now;
	*ret = o;
	return 0;
}

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	}
	snprintf(buf, len, "%u", p);
	return buf;
}

static uint64_t boot_to_unix_ns(uint64_t boot_ns)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (uint64_t)rt.tv_sec * 1000000000ull + rt.tv_nsec -
	       ((uint64_t)bt.tv_sec * 1000000000ull + bt.tv_nsec - boot_ns);
}

/* Strings of one alert, kept beside it until the batch is stored. */
struct alert_text {
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char proto[8], ifname[IF_NAMESIZE], rule[CONFIG_ID_MAX + 12];
	char msg[200];
};

static void store_batch(struct cp *cp, struct store_alert *a, size_t n,
			uint64_t window_ns)
{
	bool *dedup = calloc(n ? n : 1, sizeof(*dedup));
	static int limit;

	if (!dedup)
		return;
	if (store_alert_add_batch(cp->store, a, n, window_ns, NULL, dedup)) {
		cp->ev.alerts_failed += n;
		log_limited(&limit, LOG_ERR, "alerts not stored: %s",
			    store_errmsg(cp->store));
	} else {
		for (size_t i = 0; i < n; i++)
			dedup[i] ? cp->ev.alerts_deduped++
				 : cp->ev.alerts_added++;
	}
	free(dedup);
}

void cp_dp_drain_events(struct cp *cp, uint64_t dedup_window_ns)
{
	const struct sentinel_EventBatch *eb;
	struct store_alert *a = NULL;
	struct alert_text *t = NULL;
	void *msg;
	int rounds = 0;

	while (rounds++ < 64 && dpc_sub_recv(cp->sub, 0, &eb, &msg) == 0) {
		const struct sentinel_FwEvent *ev = sentinel_EventBatch_fw(eb);
		size_t n = sentinel_EventBatch_fw_len(eb);
		uint64_t seq = sentinel_EventBatch_seq(eb);
		uint64_t inst = sentinel_EventBatch_instance(eb);

		/* another instance: sentinel-dp restarted and numbers anew
		 * (an old one without instance ids: a lower seq says so) */
		if (inst != cp->ev.instance || seq < cp->ev.next_seq) {
			if (cp->ev.batches)
				cp->ev.dp_restarts++;
			cp->ev.instance = inst;
		} else if (seq > cp->ev.next_seq) {
			cp->ev.seq_gaps += seq - cp->ev.next_seq;
		}
		cp->ev.next_seq = seq + 1;
		cp->ev.batches++;
		cp->ev.events += n;
		cp->ev.dp_ring_lost = sentinel_EventBatch_ring_skipped(eb) +
				      sentinel_EventBatch_ring_failed(eb);
		cp->ev.dp_send_dropped = sentinel_EventBatch_send_dropped(eb);
		a = calloc(n ? n : 1, sizeof(*a));
		t = calloc(n ? n : 1, sizeof(*t));
		if (!a || !t) {
			cp->ev.alerts_failed += n;
			goto next;
		}
		for (size_t i = 0; i < n; i++) {
			const struct sentinel_FwEvent *e = &ev[i];
			const char *act = e->action == 3   ? "reject"
					  : e->action == 2 ? "log"
							   : "deny";
			const char *name =
				e->type == 2 ? NULL : rule_name(cp, e->rule_id);
			bool l4 = e->proto == 6 || e->proto == 17;

			inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->src,
				  t[i].src, sizeof(t[i].src));
			inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->dst,
				  t[i].dst, sizeof(t[i].dst));
			if (!if_indextoname(e->ifindex, t[i].ifname))
				snprintf(t[i].ifname, sizeof(t[i].ifname),
					 "if%u", e->ifindex);
			if (e->type == 2)
				snprintf(t[i].rule, sizeof(t[i].rule),
					 "blockset");
			else if (name)
				snprintf(t[i].rule, sizeof(t[i].rule), "%s",
					 name);
			else
				snprintf(t[i].rule, sizeof(t[i].rule),
					 "kernel-%u", e->rule_id);
			snprintf(t[i].msg, sizeof(t[i].msg),
				 "%s%s %s %s -> %s%s (%s)", act,
				 e->flags & 1 ? " (dry-run)" : "",
				 proto_name(e->proto, t[i].proto,
					    sizeof(t[i].proto)),
				 t[i].src, t[i].dst,
				 e->type == 2 ? " by the block set" : "",
				 t[i].rule);
			a[i] = (struct store_alert){
				.ts = boot_to_unix_ns(e->ts_ns),
				.component = "firewall",
				.severity = e->type == 2     ? STORE_SEV_HIGH
					    : e->action == 2 ? STORE_SEV_LOW
							     : STORE_SEV_MEDIUM,
				.rule_id = t[i].rule,
				.action = act,
				.src_ip = t[i].src,
				.dst_ip = t[i].dst,
				.src_port = l4 ? e->sport : -1,
				.dst_port = l4 ? e->dport : -1,
				.protocol = proto_name(e->proto, t[i].proto,
						       sizeof(t[i].proto)),
				.interface = t[i].ifname,
				.message = t[i].msg,
			};
		}
		if (!cp->cfg->alerting.enabled)
			goto next; /* read and counted, not stored */
		{
			size_t k = 0;

			/* below alerting.min_severity: not an alert */
			for (size_t i = 0; i < n; i++)
				if ((int)a[i].severity >=
				    (int)cp->cfg->alerting.min_severity)
					a[k++] = a[i];
			n = k;
		}
		for (size_t off = 0; off < n; off += STORE_BATCH_MAX)
			store_batch(cp, a + off,
				    n - off < STORE_BATCH_MAX ? n - off
							      : STORE_BATCH_MAX,
				    dedup_window_ns);
	next:
		free(a);
		free(t);
		a = NULL;
		t = NULL;
		dpc_sub_msg_free(msg);
	}
}
