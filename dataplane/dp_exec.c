// SPDX-License-Identifier: GPL-2.0-only
/* Carries out sentinel-dp commands against the firewall and builds replies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "control_fb.h"
#include "dp.h"
#include "dp_events.h"
#include "log.h"
#include "fb.h"
#include "ifmgr.h"

#define MAX_UNRESOLVED 64

static uint32_t str(struct fb_builder *b, const char *s)
{
	return fb_create_string(b, s, strlen(s));
}

/* A reply with code Ok and an optional result (type 0 = none). */
static int reply_ok(struct fb_builder *b, uint64_t id, int rtype,
		    uint32_t result, const char *msg)
{
	uint32_t m = msg ? str(b, msg) : 0;

	sentinel_Reply_start(b);
	sentinel_Reply_add_id(b, id);
	sentinel_Reply_add_code(b, sentinel_Code_Ok);
	if (m)
		sentinel_Reply_add_message(b, m);
	sentinel_Reply_add_result(b, rtype, result);
	return sentinel_Reply_finish(b, sentinel_Reply_end(b));
}

static int reply_err(struct fb_builder *b, uint64_t id, int code,
		     const char *field, const char *fmt, const char *detail)
{
	struct dp_err e;

	dp_err_set(&e, 0, code, field, fmt, detail);
	return dp_reply_error(b, id, &e);
}

/* ---- interface names ---- */

/* Resolve rule interface names into a fresh fw_rule array.  Missing names
 * get an ifindex no packet carries, so such rules match nothing until the
 * interface appears (the set is re-resolved then). */
static int resolve_rules(const struct dp_rule *in, size_t n,
			 struct fw_rule **ret, const char **unres,
			 size_t *ret_nunres)
{
	struct fw_rule *r = calloc(n ? n : 1, sizeof(*r));
	size_t nu = 0;

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r[i] = in[i].r;
		if (!in[i].ifname[0])
			continue;
		r[i].ifindex = if_nametoindex(in[i].ifname);
		if (r[i].ifindex)
			continue;
		r[i].ifindex = DP_IFNAME_NONE;
		if (!unres)
			continue;
		bool seen = false;
		for (size_t j = 0; j < nu && !seen; j++)
			seen = !strcmp(unres[j], in[i].ifname);
		if (!seen && nu < MAX_UNRESOLVED)
			unres[nu++] = in[i].ifname;
	}
	*ret = r;
	if (ret_nunres)
		*ret_nunres = nu;
	return 0;
}

static uint32_t active_generation(const struct dp *dp)
{
	__u32 zero = 0, gen = 0;

	/* the activation counter's low bit */
	bpf_map_lookup_elem(dp->maps.active, &zero, &gen);
	return gen & 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Compile and apply; err gets the reason, ms (optional) the milliseconds
 * each took.  Nothing changes on failure. */
static int rules_apply(struct dp *dp, const struct fw_rule *r, size_t n,
		       struct fw_set_info *info, int *code, char *err,
		       size_t errlen, double ms[2])
{
	uint64_t t0 = mono_ns(), t1;
	struct fw_set *set;
	int rc;

	rc = fw_set_compile(r, n, &set, err, errlen);
	if (rc) {
		*code = rc == -E2BIG ? sentinel_Code_TooLarge
				     : sentinel_Code_Invalid;
		return rc;
	}
	t1 = mono_ns();
	rc = fw_set_apply(&dp->maps, set, err, errlen);
	if (rc)
		*code = sentinel_Code_Failed;
	else if (info)
		fw_set_info(set, info);
	fw_set_free(set);
	if (ms) {
		ms[0] = (t1 - t0) / 1e6;
		ms[1] = (mono_ns() - t1) / 1e6;
	}
	return rc;
}

/* Keep c's rules as the applied set (the kernel enforces them now). */
static void rules_keep(struct dp *dp, struct dp_cmd *c, const struct fw_rule *r)
{
	for (size_t i = 0; i < c->nrules; i++)
		c->rules[i].r.ifindex = r[i].ifindex;
	free(dp->rules);
	dp->rules = c->rules;
	dp->nrules = c->nrules;
	c->rules = NULL;
	c->nrules = 0;
	dp->rules_known = true;
	dp->rules_named = false;
	for (size_t i = 0; i < dp->nrules; i++)
		dp->rules_named |= dp->rules[i].ifname[0] != '\0';
}

static int reply_rules(struct dp *dp, struct fb_builder *b, uint64_t id,
		       const struct fw_set_info *info, const char **unres,
		       size_t nu)
{
	uint32_t refs[MAX_UNRESOLVED], uvec, res;

	for (size_t i = 0; i < nu; i++)
		refs[i] = str(b, unres[i]);
	uvec = nu ? fb_create_ref_vector(b, refs, nu) : 0;
	sentinel_RulesResult_start(b);
	sentinel_RulesResult_add_rules(b, info->rules);
	sentinel_RulesResult_add_entries4(b, info->entries4);
	sentinel_RulesResult_add_entries6(b, info->entries6);
	sentinel_RulesResult_add_tuples4(b, info->tuples4);
	sentinel_RulesResult_add_tuples6(b, info->tuples6);
	sentinel_RulesResult_add_generation(b, active_generation(dp));
	if (uvec)
		sentinel_RulesResult_add_unresolved(b, uvec);
	res = sentinel_RulesResult_end(b);
	return reply_ok(b, id, sentinel_Result_RulesResult, res,
			nu ? "applied; some interfaces do not exist yet"
			   : NULL);
}

static int exec_replace(struct dp *dp, struct dp_cmd *c, struct fb_builder *b)
{
	const char *unres[MAX_UNRESOLVED];
	struct fw_set_info info;
	char err[FW_ERR_LEN];
	struct fw_rule *r;
	double ms[2];
	size_t nu;
	int rc, code;

	rc = resolve_rules(c->rules, c->nrules, &r, unres, &nu);
	if (rc)
		return reply_err(b, c->id, sentinel_Code_Failed, "", "%s",
				 "out of memory");
	rc = rules_apply(dp, r, c->nrules, &info, &code, err, sizeof(err), ms);
	if (rc) {
		free(r);
		log_msg(LOG_WARNING, "rule set of %zu rules refused: %s",
			c->nrules, err);
		return reply_err(b, c->id, code, "rules", "%s", err);
	}
	/* the kernel now enforces c->rules: keep them for re-resolution */
	rules_keep(dp, c, r);
	free(r);
	log_msg(LOG_INFO,
		"rule set applied: %zu rules, %zu+%zu entries, %zu+%zu tuples; "
		"compiled in %.2f ms, written in %.2f ms",
		info.rules, info.entries4, info.entries6, info.tuples4,
		info.tuples6, ms[0], ms[1]);

	return reply_rules(dp, b, c->id, &info, unres, nu);
}

/* ---- per-interface settings ---- */

static struct dp_ifset *ifpol_find(struct dp *dp, const char *name, bool add)
{
	for (size_t i = 0; i < dp->nifpol; i++)
		if (!strcmp(dp->ifpol[i].name, name))
			return &dp->ifpol[i];
	if (!add || dp->nifpol == DP_MAX_IFSET)
		return NULL;
	struct dp_ifset *p = &dp->ifpol[dp->nifpol++];

	snprintf(p->name, sizeof(p->name), "%s", name);
	p->policy = -1;
	p->dry_run = false;
	return p;
}

/* Make fw_ifset hold exactly the wanted settings of interfaces that exist. */
static int ifpol_apply(struct dp *dp)
{
	__u32 want[DP_MAX_IFSET], key, next, *prev = NULL;
	size_t nwant = 0;
	int rc = 0;

	for (size_t i = 0; i < dp->nifpol; i++) {
		const struct dp_ifset *p = &dp->ifpol[i];
		struct fw_if_settings s = {
			.default_policy =
				p->policy < 0 ? FW_POLICY_INHERIT : p->policy,
			.dry_run = p->dry_run,
		};
		__u32 idx = if_nametoindex(p->name);

		if (!idx)
			continue;
		want[nwant++] = idx;
		int e = fw_if_settings_set(&dp->maps, idx, &s);
		if (e && !rc)
			rc = e;
	}
	/* stale entries: interfaces gone or settings reset */
	while (bpf_map_get_next_key(dp->maps.ifset, prev, &next) == 0) {
		bool keep = false;

		for (size_t i = 0; i < nwant && !keep; i++)
			keep = want[i] == next;
		key = next;
		prev = &key;
		if (!keep) {
			fw_if_settings_del(&dp->maps, next);
			prev = NULL; /* restart: the walk lost its place */
		}
	}
	return rc;
}

static void ifpol_compact(struct dp *dp)
{
	size_t j = 0;

	for (size_t i = 0; i < dp->nifpol; i++)
		if (dp->ifpol[i].policy >= 0 || dp->ifpol[i].dry_run)
			dp->ifpol[j++] = dp->ifpol[i];
	dp->nifpol = j;
}

static int exec_global_or_if(struct dp *dp, struct dp_cmd *c,
			     struct fb_builder *b)
{
	struct fw_settings s;
	int rc;

	if (!c->ifname[0]) {
		rc = fw_settings_get(&dp->maps, &s);
		if (!rc) {
			if (c->kind == sentinel_Command_SetDryRun)
				s.dry_run = c->enabled;
			else
				s.default_policy = c->policy;
			rc = fw_settings_set(&dp->maps, &s);
		}
		if (rc)
			return reply_err(b, c->id, sentinel_Code_Failed, "",
					 "settings: %s", strerror(-rc));
		log_msg(LOG_INFO, "global %s set to %s",
			c->kind == sentinel_Command_SetDryRun
				? "dry-run"
				: "default policy",
			c->kind == sentinel_Command_SetDryRun
				? (c->enabled ? "on" : "off")
				: (c->policy ? "drop" : "pass"));
		return reply_ok(b, c->id, 0, 0, NULL);
	}

	struct dp_ifset *p = ifpol_find(dp, c->ifname, true);
	struct dp_ifset saved;

	if (!p)
		return reply_err(
			b, c->id, sentinel_Code_TooLarge, "interface",
			"at most %s interfaces with their own settings",
			DP_MAX_IFSET_STR);
	saved = *p;
	if (c->kind == sentinel_Command_SetDryRun)
		p->dry_run = c->enabled;
	else
		p->policy = c->reset ? -1 : c->policy;
	rc = ifpol_apply(dp);
	if (rc) {
		*p = saved;
		ifpol_apply(dp);
		ifpol_compact(dp);
		return reply_err(b, c->id, sentinel_Code_Failed, "interface",
				 "per-interface settings: %s", strerror(-rc));
	}
	ifpol_compact(dp);
	log_msg(LOG_INFO, "interface %s: settings changed", c->ifname);
	return reply_ok(b, c->id, 0, 0,
			if_nametoindex(c->ifname)
				? NULL
				: "kept; the interface does not exist yet");
}

/* ---- block sets, anti-lockout ---- */

static int exec_block_add(struct dp *dp, struct dp_cmd *c, struct fb_builder *b)
{
	int rc = bs_add(&dp->maps, c->blocks, c->nblocks);

	dp->bs_counted_ns = 0; /* recount at the next status */

	if (rc)
		return reply_err(b, c->id, sentinel_Code_Failed, "entries",
				 "block set: %s (nothing was added)",
				 strerror(-rc));
	return reply_ok(b, c->id, 0, 0, NULL);
}

static int exec_block_remove(struct dp *dp, struct dp_cmd *c,
			     struct fb_builder *b)
{
	size_t absent = 0;
	char msg[64];

	dp->bs_counted_ns = 0;
	for (size_t i = 0; i < c->ncidrs; i++) {
		int rc = bs_del(&dp->maps, &c->cidrs[i]);

		if (rc == -ENOENT)
			absent++;
		else if (rc)
			return reply_err(b, c->id, sentinel_Code_Failed,
					 "cidrs", "block set: %s",
					 strerror(-rc));
	}
	snprintf(msg, sizeof(msg), "%zu removed, %zu were not present",
		 c->ncidrs - absent, absent);
	return reply_ok(b, c->id, 0, 0, msg);
}

/* Collect the prefixes now in the anti-lockout maps. */
static size_t mgmt_list(const struct dp *dp, struct fw_cidr *out, size_t max)
{
	struct mgmt4_key k4, *p4 = NULL;
	struct mgmt6_key k6, *p6 = NULL;
	size_t n = 0;

	while (n < max && bpf_map_get_next_key(dp->maps.mgmt4, p4, &k4) == 0) {
		out[n] = (struct fw_cidr){.family = 4, .plen = k4.prefixlen};
		out[n++].addr[0] = k4.addr;
		p4 = &k4;
	}
	while (n < max && bpf_map_get_next_key(dp->maps.mgmt6, p6, &k6) == 0) {
		out[n] = (struct fw_cidr){.family = 6, .plen = k6.prefixlen};
		memcpy(out[n++].addr, k6.addr, 16);
		p6 = &k6;
	}
	return n;
}

/* The ports of an anti-lockout entry now in the kernel (0 if absent). */
static int mgmt_get(const struct dp *dp, const struct fw_cidr *c,
		    struct mgmt_val *ret)
{
	struct mgmt4_key k4 = {.prefixlen = c->plen, .addr = c->addr[0]};
	struct mgmt6_key k6 = {.prefixlen = c->plen};

	memcpy(k6.addr, c->addr, 16);
	memset(ret, 0, sizeof(*ret));
	return bpf_map_lookup_elem(
		       c->family == 4 ? dp->maps.mgmt4 : dp->maps.mgmt6,
		       c->family == 4 ? (void *)&k4 : (void *)&k6, ret)
		       ? -errno
		       : 0;
}

/* The anti-lockout list as it is in the kernel. */
struct mgmt_snap {
	struct fw_cidr cidr[2 * FW_MAX_MGMT];
	struct mgmt_val val[2 * FW_MAX_MGMT];
	size_t n;
};

static void mgmt_snapshot(const struct dp *dp, struct mgmt_snap *s)
{
	s->n = mgmt_list(dp, s->cidr, 2 * FW_MAX_MGMT);
	for (size_t i = 0; i < s->n; i++)
		mgmt_get(dp, &s->cidr[i], &s->val[i]);
}

static bool mgmt_in(const struct dp_mgmt *m, size_t n, const struct fw_cidr *k)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].cidr.family == k->family &&
		    m[i].cidr.plen == k->plen &&
		    !memcmp(m[i].cidr.addr, k->addr, k->family == 4 ? 4 : 16))
			return true;
	return false;
}

/*
 * Make the list m[0..n).  The prefixes in both lists are updated in place
 * and never lapse; the ones going are removed first, so the tries
 * (FW_MAX_MGMT per family) have room for the ones coming.
 */
static int mgmt_set(struct dp *dp, const struct mgmt_snap *old,
		    const struct dp_mgmt *m, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < old->n && !rc; i++)
		if (!mgmt_in(m, n, &old->cidr[i]))
			rc = fw_mgmt_del(&dp->maps, &old->cidr[i]);
	for (size_t i = 0; i < n && !rc; i++)
		rc = fw_mgmt_add(&dp->maps, &m[i].cidr, m[i].ports,
				 m[i].nports);
	return rc;
}

/* Back to the list old after mgmt_set(old, m, n), whatever it achieved. */
static void mgmt_restore(struct dp *dp, const struct mgmt_snap *old,
			 const struct dp_mgmt *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool was = false;

		for (size_t j = 0; j < old->n && !was; j++)
			was = old->cidr[j].family == m[i].cidr.family &&
			      old->cidr[j].plen == m[i].cidr.plen &&
			      !memcmp(old->cidr[j].addr, m[i].cidr.addr, 16);
		if (!was)
			fw_mgmt_del(&dp->maps, &m[i].cidr);
	}
	for (size_t i = 0; i < old->n; i++) {
		__u16 ports[FW_MGMT_PORTS];
		size_t np = old->val[i].nports > FW_MGMT_PORTS
				    ? FW_MGMT_PORTS
				    : old->val[i].nports;

		for (size_t k = 0; k < FW_MGMT_PORTS; k++)
			ports[k] = old->val[i].ports[k];
		fw_mgmt_add(&dp->maps, &old->cidr[i], ports, np);
	}
}

/* Replace the anti-lockout list; on a failure the old list is put back. */
static int exec_mgmt(struct dp *dp, struct dp_cmd *c, struct fb_builder *b)
{
	struct mgmt_snap old;
	int rc;

	mgmt_snapshot(dp, &old);
	rc = mgmt_set(dp, &old, c->mgmt, c->nmgmt);
	if (rc) {
		mgmt_restore(dp, &old, c->mgmt, c->nmgmt);
		return reply_err(
			b, c->id, sentinel_Code_Failed, "entries",
			"anti-lockout list: %s (the old list was restored)",
			strerror(-rc));
	}
	log_msg(LOG_INFO, "anti-lockout list set: %zu entries", c->nmgmt);
	return reply_ok(b, c->id, 0, 0, NULL);
}

/* ---- the whole state ---- */

/*
 * ApplyState: the whole firewall configuration as one transaction.  The rules
 * are resolved and compiled first: a set the compiler refuses changes
 * nothing.  Then the kernel is written in the order that never locks a
 * manager out: the anti-lockout list, the rule set (one map update), the
 * interfaces' settings, the global settings - microseconds apart.  If the
 * kernel refuses a part, the parts already written are put back.
 */
static int exec_apply(struct dp *dp, struct dp_cmd *c, struct fb_builder *b)
{
	struct dp_ifset old_if[DP_MAX_IFSET];
	const char *unres[MAX_UNRESOLVED];
	struct fw_settings old_s, s;
	struct fw_set *set = NULL;
	struct fw_set_info info;
	struct mgmt_snap *old_m;
	char err[FW_ERR_LEN];
	const char *what = "";
	size_t nu, nold_if;
	struct fw_rule *r;
	uint64_t t0 = mono_ns(), t1, t2;
	int rc, stage = 0;

	old_m = malloc(sizeof(*old_m));
	if (!old_m || resolve_rules(c->rules, c->nrules, &r, unres, &nu)) {
		free(old_m);
		return reply_err(b, c->id, sentinel_Code_Failed, "", "%s",
				 "out of memory");
	}
	rc = fw_set_compile(r, c->nrules, &set, err, sizeof(err));
	if (rc) {
		free(r);
		free(old_m);
		log_msg(LOG_WARNING, "state of %zu rules refused: %s",
			c->nrules, err);
		return reply_err(b, c->id,
				 rc == -E2BIG ? sentinel_Code_TooLarge
					      : sentinel_Code_Invalid,
				 "rules", "%s", err);
	}
	fw_set_info(set, &info);
	t1 = mono_ns();
	rc = fw_settings_get(&dp->maps, &old_s);
	if (rc) {
		what = "settings";
		goto fail;
	}
	mgmt_snapshot(dp, old_m);
	memcpy(old_if, dp->ifpol, dp->nifpol * sizeof(*old_if));
	nold_if = dp->nifpol;

	stage = 1;
	rc = mgmt_set(dp, old_m, c->mgmt, c->nmgmt);
	if (rc) {
		what = "anti-lockout list";
		goto fail;
	}
	stage = 2;
	rc = fw_set_apply(&dp->maps, set, err, sizeof(err));
	if (rc) {
		what = err;
		goto fail;
	}
	stage = 3;
	memcpy(dp->ifpol, c->ifsets, c->nifsets * sizeof(*c->ifsets));
	dp->nifpol = c->nifsets;
	rc = ifpol_apply(dp);
	if (rc) {
		what = "per-interface settings";
		goto fail;
	}
	s = old_s;
	s.default_policy = c->policy;
	s.dry_run = c->enabled;
	rc = fw_settings_set(&dp->maps, &s);
	if (rc) {
		what = "settings";
		goto fail;
	}
	t2 = mono_ns();
	fw_set_free(set);
	free(old_m);
	ifpol_compact(dp);
	rules_keep(dp, c, r);
	free(r);
	log_msg(LOG_INFO,
		"state applied: %zu rules (%zu+%zu entries, %zu+%zu tuples), "
		"default %s%s, %zu anti-lockout, %zu interfaces; "
		"compiled in %.2f ms, written in %.2f ms",
		info.rules, info.entries4, info.entries6, info.tuples4,
		info.tuples6, c->policy ? "drop" : "pass",
		c->enabled ? ", dry-run" : "", c->nmgmt, dp->nifpol,
		(t1 - t0) / 1e6, (t2 - t1) / 1e6);
	return reply_rules(dp, b, c->id, &info, unres, nu);

fail:
	/* undo in reverse order what was written */
	if (stage >= 3) {
		memcpy(dp->ifpol, old_if, nold_if * sizeof(*old_if));
		dp->nifpol = nold_if;
		ifpol_apply(dp);
		fw_settings_set(&dp->maps, &old_s);
		if (dp->rules_known) {
			struct fw_rule *o;
			char e2[FW_ERR_LEN];
			int code;

			if (!resolve_rules(dp->rules, dp->nrules, &o, NULL,
					   NULL)) {
				if (rules_apply(dp, o, dp->nrules, NULL, &code,
						e2, sizeof(e2), NULL))
					log_msg(LOG_ERR,
						"putting the rule set back: %s",
						e2);
				free(o);
			}
		}
	}
	if (stage >= 1)
		mgmt_restore(dp, old_m, c->mgmt, c->nmgmt);
	fw_set_free(set);
	free(old_m);
	free(r);
	log_msg(LOG_WARNING, "state refused by the kernel (%s): %s", what,
		strerror(-rc));
	return reply_err(b, c->id, sentinel_Code_Failed, "",
			 "%s (the previous state was put back)",
			 what[0] ? what : strerror(-rc));
}

/* ---- reading ---- */

/*
 * Every per-rule counter, summed over CPUs, with BPF_MAP_LOOKUP_BATCH: out
 * gets at most max; -ENOSPC if the map holds more, -errno if batches are
 * unsupported.
 */
static int rule_counters_batch(struct dp *dp, struct sentinel_RuleCounter *out,
			       size_t max, size_t *ret_n)
{
	int ncpu = libbpf_num_possible_cpus();
	const __u32 chunk = 1024;
	struct fw_counter *vals;
	__u32 keys[1024], token = 0, count;
	size_t n = 0;
	bool first = true;
	int rc = 0;

	if (ncpu <= 0)
		return -EINVAL;
	vals = malloc((size_t)chunk * ncpu * sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (;;) {
		count = chunk;
		rc = bpf_map_lookup_batch(dp->maps.rcnt, first ? NULL : &token,
					  &token, keys, vals, &count, NULL);
		rc = rc ? -errno : 0;
		first = false;
		if (rc && rc != -ENOENT)
			break;
		if (n + count > max) {
			rc = -ENOSPC;
			break;
		}
		for (__u32 i = 0; i < count; i++) {
			struct sentinel_RuleCounter *o = &out[n++];

			o->rule_id = keys[i];
			o->packets = 0;
			o->bytes = 0;
			for (int cpu = 0; cpu < ncpu; cpu++) {
				o->packets +=
					vals[(size_t)i * ncpu + cpu].packets;
				o->bytes += vals[(size_t)i * ncpu + cpu].bytes;
			}
		}
		if (rc == -ENOENT) { /* the last batch */
			rc = 0;
			break;
		}
	}
	free(vals);
	if (!rc)
		*ret_n = n;
	return rc;
}

static struct sentinel_PacketCount pcount(const struct fw_counter *c)
{
	return (struct sentinel_PacketCount){.packets = c->packets,
					     .bytes = c->bytes};
}

/* The per-interface verdicts as a vector of InterfaceCounters, or 0 when
 * the kernel has none (pins of a loader that predates them). */
static uint32_t if_counters(struct dp *dp, struct fb_builder *b)
{
	struct fw_if_count *v = calloc(FW_IF_SLOTS, sizeof(*v));
	uint32_t *refs = calloc(FW_IF_SLOTS, sizeof(*refs)), vec = 0;
	size_t n = 0;

	if (v && refs && !fw_if_counters_read(&dp->maps, v, FW_IF_SLOTS, &n)) {
		for (size_t i = 0; i < n; i++) {
			char name[IF_NAMESIZE];
			uint32_t nm = 0;
			struct sentinel_PacketCount pc;

			if (v[i].ifindex && if_indextoname(v[i].ifindex, name))
				nm = str(b, name);
			sentinel_InterfaceCounters_start(b);
			sentinel_InterfaceCounters_add_ifindex(b, v[i].ifindex);
			if (nm)
				sentinel_InterfaceCounters_add_interface(b, nm);
			pc = pcount(&v[i].pass);
			sentinel_InterfaceCounters_add_pass(b, &pc);
			pc = pcount(&v[i].drop);
			sentinel_InterfaceCounters_add_drop(b, &pc);
			pc = pcount(&v[i].tx);
			sentinel_InterfaceCounters_add_tx(b, &pc);
			pc = pcount(&v[i].default_pass);
			sentinel_InterfaceCounters_add_default_pass(b, &pc);
			pc = pcount(&v[i].default_drop);
			sentinel_InterfaceCounters_add_default_drop(b, &pc);
			refs[i] = sentinel_InterfaceCounters_end(b);
		}
		vec = fb_create_ref_vector(b, refs, n);
	}
	free(v);
	free(refs);
	return vec;
}

/* The counters of the rules ids[0..n) (zero for an unknown id). */
static int named_rule_counters(struct dp *dp, const uint32_t *ids, size_t n,
			       struct sentinel_RuleCounter **ret, size_t *ret_n)
{
	struct sentinel_RuleCounter *out = calloc(n ? n : 1, sizeof(*out));

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct fw_counter v = {};

		fw_rule_counter(&dp->maps, ids[i], &v);
		out[i] = (struct sentinel_RuleCounter){.rule_id = ids[i],
						       .packets = v.packets,
						       .bytes = v.bytes};
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

/*
 * Every rule's counters: in batches (a few syscalls, not two per rule) into
 * room for the set's rules (counters of rules gone are deleted with them),
 * or for all the map can hold when it has more (an adopted set); a walk
 * where batches are unsupported.
 */
static int all_rule_counters(struct dp *dp, struct sentinel_RuleCounter **ret,
			     size_t *ret_n)
{
	size_t cap = dp->nrules + 64, n = 0;
	struct sentinel_RuleCounter *out = calloc(cap, sizeof(*out)), *big;
	__u32 key, *prev = NULL;
	int rc;

	if (!out)
		return -ENOMEM;
	rc = rule_counters_batch(dp, out, cap, &n);
	if (rc == -ENOSPC) {
		cap = FW_MAX_RULES;
		big = realloc(out, cap * sizeof(*out));
		if (!big) {
			free(out);
			return -ENOMEM;
		}
		out = big;
		rc = rule_counters_batch(dp, out, cap, &n);
	}
	if (rc) {
		n = 0;
		while (n < cap &&
		       bpf_map_get_next_key(dp->maps.rcnt, prev, &key) == 0) {
			struct fw_counter v = {};

			fw_rule_counter(&dp->maps, key, &v);
			out[n++] = (struct sentinel_RuleCounter){
				.rule_id = key,
				.packets = v.packets,
				.bytes = v.bytes};
			prev = &key;
		}
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

static int exec_counters(struct dp *dp, struct dp_cmd *c, struct fb_builder *b)
{
	struct fw_counter st[FW_ST__MAX];
	struct sentinel_RuleCounter *rc_out;
	uint32_t refs[FW_ST__MAX], gvec, rvec, evs, ivec, res;
	struct dp_ev_stats es = {};
	size_t n = 0;
	int rc;

	rc = fw_stats_read(&dp->maps, st);
	if (rc)
		return reply_err(b, c->id, sentinel_Code_Failed, "",
				 "counters: %s", strerror(-rc));
	if (c->nrule_ids)
		rc = named_rule_counters(dp, c->rule_ids, c->nrule_ids, &rc_out,
					 &n);
	else
		rc = all_rule_counters(dp, &rc_out, &n);
	if (rc)
		return reply_err(b, c->id, sentinel_Code_Failed, "", "%s",
				 "out of memory");
	rvec = fb_create_vector(b, rc_out, n, sizeof(*rc_out), 8);
	free(rc_out);
	for (unsigned int i = 0; i < FW_ST__MAX; i++) {
		uint32_t name = str(b, fw_stat_name(i));

		sentinel_Counter_start(b);
		sentinel_Counter_add_name(b, name);
		sentinel_Counter_add_packets(b, st[i].packets);
		sentinel_Counter_add_bytes(b, st[i].bytes);
		refs[i] = sentinel_Counter_end(b);
	}
	gvec = fb_create_ref_vector(b, refs, FW_ST__MAX);
	if (dp->ev)
		dp_events_stats(dp->ev, &es);
	sentinel_EventStats_start(b);
	sentinel_EventStats_add_read(b, es.read);
	sentinel_EventStats_add_sent(b, es.sent);
	sentinel_EventStats_add_batches(b, es.batches);
	sentinel_EventStats_add_ring_skipped(b, st[FW_ST_EV_SKIPPED].packets);
	sentinel_EventStats_add_ring_failed(b, st[FW_ST_EV_FAILED].packets);
	sentinel_EventStats_add_send_dropped(b, es.send_dropped);
	evs = sentinel_EventStats_end(b);
	ivec = if_counters(dp, b);
	sentinel_CountersResult_start(b);
	sentinel_CountersResult_add_global(b, gvec);
	sentinel_CountersResult_add_rules(b, rvec);
	sentinel_CountersResult_add_events(b, evs);
	if (ivec)
		sentinel_CountersResult_add_interfaces(b, ivec);
	res = sentinel_CountersResult_end(b);
	return reply_ok(b, c->id, sentinel_Result_CountersResult, res, NULL);
}

static int exec_status(struct dp *dp, struct dp_cmd *c, struct fb_builder *b)
{
	struct bpf_prog_info pinfo = {};
	__u32 plen = sizeof(pinfo), zero = 0, gen = 0;
	struct ifmgr_att *att;
	struct fw_settings s = {};
	struct fw_gen_hdr gh = {};
	struct fw_cidr mg[2 * FW_MAX_MGMT];
	size_t natt, n4 = 0, n6 = 0;
	uint32_t *refs, avec, ver, res;

	bpf_obj_get_info_by_fd(dp->maps.prog, &pinfo, &plen);
	fw_settings_get(&dp->maps, &s);
	bpf_map_lookup_elem(dp->maps.active, &zero, &gen);
	gen &= 1; /* the activation counter's low bit */
	bpf_map_lookup_elem(dp->maps.gen, &gen, &gh);
	/* counting walks every block-set entry (a million takes ~0.5 s) and
	 * sentinel-cp asks for status every second: count every 10 s at most */
	if (!dp->bs_counted_ns ||
	    mono_ns() - dp->bs_counted_ns > 10000000000ull) {
		bs_count(&dp->maps, &dp->bs_n4, &dp->bs_n6);
		dp->bs_counted_ns = mono_ns();
	}
	n4 = dp->bs_n4;
	n6 = dp->bs_n6;

	natt = dp->im ? ifmgr_list(dp->im, NULL, 0) : 0;
	att = calloc(natt ? natt : 1, sizeof(*att));
	refs = calloc(natt ? natt : 1, sizeof(*refs));
	if (!att || !refs) {
		free(att);
		free(refs);
		return reply_err(b, c->id, sentinel_Code_Failed, "", "%s",
				 "out of memory");
	}
	if (natt)
		natt = ifmgr_list(dp->im, att, natt);
	for (size_t i = 0; i < natt; i++) {
		uint32_t name = str(b, att[i].name), why = 0;

		if (att[i].err == -EAGAIN)
			why = str(
				b,
				"our program is still attached through an unpinned link someone holds open; left alone until it is released");
		else if (att[i].err == -EBUSY)
			why = str(
				b,
				"another XDP program holds the interface; left alone");
		else if (att[i].err)
			why = str(b, strerror(-att[i].err));

		sentinel_Attachment_start(b);
		sentinel_Attachment_add_interface(b, name);
		sentinel_Attachment_add_ifindex(b, att[i].ifindex);
		sentinel_Attachment_add_mode(b, att[i].mode);
		sentinel_Attachment_add_link_id(b, att[i].link_id);
		sentinel_Attachment_add_prog_id(b, att[i].prog_id);
		if (why)
			sentinel_Attachment_add_error(b, why);
		refs[i] = sentinel_Attachment_end(b);
	}
	avec = fb_create_ref_vector(b, refs, natt);
	free(att);
	free(refs);
	ver = str(b, SENTINEL_VERSION);
	sentinel_StatusResult_start(b);
	sentinel_StatusResult_add_version(b, ver);
	sentinel_StatusResult_add_prog_id(b, pinfo.id);
	sentinel_StatusResult_add_adopted(b, dp->adopted);
	sentinel_StatusResult_add_uptime_ms(b, (mono_ns() - dp->start_ns) /
						       1000000);
	sentinel_StatusResult_add_attachments(b, avec);
	sentinel_StatusResult_add_rules(b, gh.nrules);
	sentinel_StatusResult_add_generation(b, gen);
	sentinel_StatusResult_add_default_policy(b, s.default_policy);
	sentinel_StatusResult_add_dry_run(b, s.dry_run);
	sentinel_StatusResult_add_block4(b, n4);
	sentinel_StatusResult_add_block6(b, n6);
	sentinel_StatusResult_add_mgmt(b, mgmt_list(dp, mg, 2 * FW_MAX_MGMT));
	res = sentinel_StatusResult_end(b);
	return reply_ok(b, c->id, sentinel_Result_StatusResult, res, NULL);
}

int dp_exec(struct dp *dp, struct dp_cmd *c, struct fb_builder *b)
{
	fb_builder_reset(b);
	switch (c->kind) {
	case sentinel_Command_ReplaceRules:
		return exec_replace(dp, c, b);
	case sentinel_Command_BlockAdd:
		return exec_block_add(dp, c, b);
	case sentinel_Command_BlockRemove:
		return exec_block_remove(dp, c, b);
	case sentinel_Command_SetDryRun:
	case sentinel_Command_SetDefaultPolicy:
		return exec_global_or_if(dp, c, b);
	case sentinel_Command_SetMgmt:
		return exec_mgmt(dp, c, b);
	case sentinel_Command_GetCounters:
		return exec_counters(dp, c, b);
	case sentinel_Command_GetStatus:
		return exec_status(dp, c, b);
	case sentinel_Command_ApplyState:
		return exec_apply(dp, c, b);
	}
	return reply_err(b, c->id, sentinel_Code_Unsupported, "command", "%s",
			 "unknown command");
}

void dp_links_changed(void *ctx)
{
	struct dp *dp = ctx;
	char err[FW_ERR_LEN];
	struct fw_rule *r;
	bool differ = false;
	int rc, code;

	if (ifpol_apply(dp))
		log_msg(LOG_WARNING,
			"per-interface settings not fully applied");
	if (!dp->rules_named)
		return;
	if (resolve_rules(dp->rules, dp->nrules, &r, NULL, NULL)) {
		log_msg(LOG_ERR, "rule re-resolution: out of memory");
		return;
	}
	for (size_t i = 0; i < dp->nrules && !differ; i++)
		differ = r[i].ifindex != dp->rules[i].r.ifindex;
	if (differ) {
		rc = rules_apply(dp, r, dp->nrules, NULL, &code, err,
				 sizeof(err), NULL);
		if (rc) {
			log_msg(LOG_ERR, "rule set re-resolution failed: %s",
				err);
		} else {
			for (size_t i = 0; i < dp->nrules; i++)
				dp->rules[i].r.ifindex = r[i].ifindex;
			log_msg(LOG_INFO,
				"interfaces changed: rule set re-resolved");
		}
	}
	free(r);
}
