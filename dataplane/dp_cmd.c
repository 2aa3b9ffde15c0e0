// SPDX-License-Identifier: GPL-2.0-only
/* Verifies and validates control requests into plain C; builds error replies. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_fb.h"
#include "dp_cmd.h"
#include "fb.h"

int dp_err_set(struct dp_err *err, int rc, int code, const char *field,
	       const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void dp_cmd_clear(struct dp_cmd *c)
{
	free(c->rules);
	free(c->ifsets);
	free(c->blocks);
	free(c->cidrs);
	free(c->mgmt);
	free(c->rule_ids);
	memset(c, 0, sizeof(*c));
}

static int bad(struct dp_err *err, const char *field, const char *what)
{
	return dp_err_set(err, -EINVAL, sentinel_Code_Invalid, field, "%s: %s",
			  field, what);
}

/* A prefix as sent → fw_cidr: family 0 (any, /0), 4 (/0-32) or 6 (/0-128).
 * Host bits must be zero: a typo in a prefix is better refused than widened.
 * Returns NULL, or what is wrong (the caller names the field: only then, as
 * a request may hold a million prefixes). */
static const char *cidr_parse(const struct sentinel_Cidr *in,
			      struct fw_cidr *out)
{
	__u32 mask[4];
	unsigned int words;

	memset(out, 0, sizeof(*out));
	if (!in)
		return NULL; /* absent: any */
	switch (in->family) {
	case 0:
		if (in->plen)
			return "family 0 (any) with a prefix length";
		for (size_t i = 0; i < sizeof(in->addr); i++)
			if (in->addr[i])
				return "family 0 (any) with an address";
		return NULL;
	case 4:
		if (in->plen > 32)
			return "IPv4 prefix length over 32";
		for (size_t i = 4; i < sizeof(in->addr); i++)
			if (in->addr[i])
				return "IPv4 address with bytes after the fourth";
		words = 1;
		break;
	case 6:
		if (in->plen > 128)
			return "IPv6 prefix length over 128";
		words = 4;
		break;
	default:
		return "family is not 0, 4 or 6";
	}
	out->family = in->family;
	out->plen = in->plen;
	memcpy(out->addr, in->addr, words * 4);
	fw_prefix_mask(mask, in->plen);
	for (unsigned int i = 0; i < words; i++)
		if (out->addr[i] & ~mask[i])
			return "address has bits set past the prefix length";
	return NULL;
}

static int cidr_from(const struct sentinel_Cidr *in, struct fw_cidr *out,
		     const char *field, struct dp_err *err)
{
	const char *why = cidr_parse(in, out);

	return why ? bad(err, field, why) : 0;
}

/* Interface names: what the kernel accepts (dev_valid_name).  Returns NULL
 * or what is wrong. */
static const char *ifname_parse(const char *s, size_t len, char *out)
{
	out[0] = '\0';
	if (!s)
		return NULL;
	if (len == 0)
		return "empty interface name";
	if (len >= IF_NAMESIZE)
		return "interface name longer than 15 bytes";
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return "not an interface name";
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= ' ' ||
		    s[i] == 0x7f)
			return "interface name with '/', ':', space or control byte";
	memcpy(out, s, len + 1);
	return NULL;
}

static int ifname_from(const char *s, size_t len, char *out, const char *field,
		       struct dp_err *err)
{
	const char *why = ifname_parse(s, len, out);

	return why ? bad(err, field, why) : 0;
}

/* bad() for the field prefix[i].name: formatted only when refused. */
static int bad_at(struct dp_err *err, const char *prefix, size_t i,
		  const char *name, const char *what)
{
	char f[64];

	snprintf(f, sizeof(f), "%s[%zu]%s%s", prefix, i, name[0] ? "." : "",
		 name);
	return bad(err, f, what);
}

static void *alloc_array(size_t n, size_t size, struct dp_err *err, int *rc)
{
	void *p = calloc(n ? n : 1, size);

	*rc = p ? 0
		: dp_err_set(err, -ENOMEM, sentinel_Code_Failed, "",
			     "out of memory for %zu elements", n);
	return p;
}

static int too_many(struct dp_err *err, const char *field, size_t n, size_t max)
{
	return dp_err_set(err, -E2BIG, sentinel_Code_TooLarge, field,
			  "%s: %zu elements, at most %zu", field, n, max);
}

static int decode_rule(const struct sentinel_Rule *t, size_t i,
		       struct dp_rule *out, struct dp_err *err)
{
	struct fw_rule *r = &out->r;
	const char *why;

	fw_rule_init(r);
	r->id = sentinel_Rule_id(t);
	r->priority = sentinel_Rule_priority(t);
	r->action = sentinel_Rule_action(t);
	if (!sentinel_Action_is_known(r->action))
		return bad_at(err, "rules", i, "action", "unknown action");
	r->dry_run = sentinel_Rule_dry_run(t);
	r->proto = sentinel_Rule_proto(t);
	why = cidr_parse(sentinel_Rule_src(t), &r->src);
	if (why)
		return bad_at(err, "rules", i, "src", why);
	why = cidr_parse(sentinel_Rule_dst(t), &r->dst);
	if (why)
		return bad_at(err, "rules", i, "dst", why);
	r->sport.lo = sentinel_Rule_sport_lo(t);
	r->sport.hi = sentinel_Rule_sport_hi(t);
	r->dport.lo = sentinel_Rule_dport_lo(t);
	r->dport.hi = sentinel_Rule_dport_hi(t);
	r->vlan = sentinel_Rule_vlan(t);
	r->tcp_mask = sentinel_Rule_tcp_flags_mask(t);
	r->tcp_value = sentinel_Rule_tcp_flags_value(t);
	r->icmp_type = sentinel_Rule_icmp_type(t);
	r->icmp_code = sentinel_Rule_icmp_code(t);
	why = ifname_parse(sentinel_Rule_interface(t),
			   sentinel_Rule_interface_len(t), out->ifname);
	if (why)
		return bad_at(err, "rules", i, "interface", why);
	/* interfaces are resolved when the set is applied; fw_set_compile
	 * checks everything else (ranges, ids, combinations) by rule id */
	return 0;
}

/* The rule vector of a ReplaceRules (apply false) or an ApplyState. */
static size_t rules_len(const void *t, bool apply)
{
	return apply ? sentinel_ApplyState_rules_len(t)
		     : sentinel_ReplaceRules_rules_len(t);
}

static const struct sentinel_Rule *rules_at(const void *t, bool apply, size_t i)
{
	return apply ? sentinel_ApplyState_rules_at(t, i)
		     : sentinel_ReplaceRules_rules_at(t, i);
}

static int decode_rules(const void *t, bool apply, struct dp_cmd *c,
			struct dp_err *err)
{
	size_t n = rules_len(t, apply);
	int rc;

	if (n > FW_MAX_RULES)
		return too_many(err, "rules", n, FW_MAX_RULES);
	c->rules = alloc_array(n, sizeof(*c->rules), err, &rc);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = decode_rule(rules_at(t, apply, i), i, &c->rules[i], err);
		if (rc)
			return rc;
	}
	c->nrules = n;
	return 0;
}

static int decode_block_add(const struct sentinel_BlockAdd *t, struct dp_cmd *c,
			    struct dp_err *err)
{
	const struct sentinel_BlockEntry *e = sentinel_BlockAdd_entries(t);
	size_t n = sentinel_BlockAdd_entries_len(t);
	int rc;

	if (n == 0)
		return bad(err, "entries", "no entries");
	if (n > DP_MAX_BLOCKS)
		return too_many(err, "entries", n, DP_MAX_BLOCKS);
	c->blocks = alloc_array(n, sizeof(*c->blocks), err, &rc);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct bs_entry *b = &c->blocks[i];
		const char *why = cidr_parse(&e[i].cidr, &b->cidr);

		if (!why && b->cidr.family == 0)
			why = "a block-set entry needs family 4 or 6";
		if (why)
			return bad_at(err, "entries", i, "cidr", why);
		if (e[i].ttl_ms > DP_MAX_TTL_MS)
			return bad_at(err, "entries", i, "ttl_ms",
				      "over one year");
		b->ttl_ns = e[i].ttl_ms * 1000000ull;
		b->source = e[i].source;
		b->flags = e[i].dry_run ? FW_RF_DRYRUN : 0;
	}
	c->nblocks = n;
	return 0;
}

static int decode_block_remove(const struct sentinel_BlockRemove *t,
			       struct dp_cmd *c, struct dp_err *err)
{
	const struct sentinel_Cidr *e = sentinel_BlockRemove_cidrs(t);
	size_t n = sentinel_BlockRemove_cidrs_len(t);
	int rc;

	if (n == 0)
		return bad(err, "cidrs", "no prefixes");
	if (n > DP_MAX_BLOCKS)
		return too_many(err, "cidrs", n, DP_MAX_BLOCKS);
	c->cidrs = alloc_array(n, sizeof(*c->cidrs), err, &rc);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const char *why = cidr_parse(&e[i], &c->cidrs[i]);

		if (!why && c->cidrs[i].family == 0)
			why = "a block-set entry needs family 4 or 6";
		if (why)
			return bad_at(err, "cidrs", i, "", why);
	}
	c->ncidrs = n;
	return 0;
}

/* The anti-lockout vector of a SetMgmt (apply false, field "entries") or
 * an ApplyState (field "mgmt"). */
static int decode_mgmt(const void *t, bool apply, struct dp_cmd *c,
		       struct dp_err *err)
{
	size_t n = apply ? sentinel_ApplyState_mgmt_len(t)
			 : sentinel_SetMgmt_entries_len(t),
	       nfam[2] = {0, 0};
	const char *vf = apply ? "mgmt" : "entries";
	char f[64];
	int rc;

	if (n > DP_MAX_MGMT)
		return too_many(err, vf, n, DP_MAX_MGMT);
	c->mgmt = alloc_array(n, sizeof(*c->mgmt), err, &rc);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct sentinel_MgmtEntry *e =
			apply ? sentinel_ApplyState_mgmt_at(t, i)
			      : sentinel_SetMgmt_entries_at(t, i);
		struct dp_mgmt *m = &c->mgmt[i];
		size_t np = sentinel_MgmtEntry_ports_len(e);

		snprintf(f, sizeof(f), "%s[%zu].cidr", vf, i);
		if (!sentinel_MgmtEntry_cidr(e))
			return bad(err, f, "missing");
		rc = cidr_from(sentinel_MgmtEntry_cidr(e), &m->cidr, f, err);
		if (rc)
			return rc;
		if (m->cidr.family == 0)
			return bad(err, f, "needs family 4 or 6");
		snprintf(f, sizeof(f), "%s[%zu].ports", vf, i);
		if (np > FW_MGMT_PORTS)
			return too_many(err, f, np, FW_MGMT_PORTS);
		for (size_t j = 0; j < np; j++) {
			m->ports[j] = sentinel_MgmtEntry_ports_at(e, j);
			if (m->ports[j] == 0)
				return bad(err, f, "port 0");
		}
		m->nports = np;
		for (size_t j = 0; j < i; j++)
			if (c->mgmt[j].cidr.family == m->cidr.family &&
			    c->mgmt[j].cidr.plen == m->cidr.plen &&
			    !memcmp(c->mgmt[j].cidr.addr, m->cidr.addr, 16)) {
				snprintf(f, sizeof(f), "%s[%zu].cidr", vf, i);
				return bad(err, f, "the same prefix twice");
			}
		nfam[m->cidr.family == 6]++;
	}
	/* the kernel's anti-lockout tries hold FW_MAX_MGMT per family */
	if (nfam[0] > FW_MAX_MGMT || nfam[1] > FW_MAX_MGMT)
		return dp_err_set(
			err, -E2BIG, sentinel_Code_TooLarge, vf,
			"%s: %zu IPv4 and %zu IPv6 prefixes, at most %d of each",
			vf, nfam[0], nfam[1], FW_MAX_MGMT);
	c->nmgmt = n;
	return 0;
}

/* An ApplyState's interfaces: each named once, at most DP_MAX_IFSET. */
static int decode_ifsets(const struct sentinel_ApplyState *t, struct dp_cmd *c,
			 struct dp_err *err)
{
	size_t n = sentinel_ApplyState_interfaces_len(t);
	char f[64];
	int rc;

	if (n > DP_MAX_IFSET)
		return too_many(err, "interfaces", n, DP_MAX_IFSET);
	c->ifsets = alloc_array(n, sizeof(*c->ifsets), err, &rc);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct sentinel_InterfaceSettings *e =
			sentinel_ApplyState_interfaces_at(t, i);
		struct dp_ifset *o = &c->ifsets[i];

		snprintf(f, sizeof(f), "interfaces[%zu].interface", i);
		if (!sentinel_InterfaceSettings_interface(e))
			return bad(err, f, "missing");
		rc = ifname_from(sentinel_InterfaceSettings_interface(e),
				 sentinel_InterfaceSettings_interface_len(e),
				 o->name, f, err);
		if (rc)
			return rc;
		if (!o->name[0])
			return bad(err, f, "empty");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->ifsets[j].name, o->name))
				return bad(err, f, "the same interface twice");
		o->policy = -1;
		if (sentinel_InterfaceSettings_own_policy(e)) {
			o->policy = sentinel_InterfaceSettings_policy(e);
			if (!sentinel_Policy_is_known(o->policy)) {
				snprintf(f, sizeof(f), "interfaces[%zu].policy",
					 i);
				return bad(err, f, "not Pass or Drop");
			}
		}
		o->dry_run = sentinel_InterfaceSettings_dry_run(e);
	}
	c->nifsets = n;
	return 0;
}

static int decode_apply(const struct sentinel_ApplyState *t, struct dp_cmd *c,
			struct dp_err *err)
{
	int rc = decode_rules(t, true, c, err);

	if (!rc)
		rc = decode_mgmt(t, true, c, err);
	if (!rc)
		rc = decode_ifsets(t, c, err);
	if (rc)
		return rc;
	c->policy = sentinel_ApplyState_default_policy(t);
	if (!sentinel_Policy_is_known(c->policy))
		return bad(err, "default_policy", "not Pass or Drop");
	c->enabled = sentinel_ApplyState_dry_run(t);
	return 0;
}

static int decode_counters(const struct sentinel_GetCounters *t,
			   struct dp_cmd *c, struct dp_err *err)
{
	size_t n = sentinel_GetCounters_rule_ids_len(t);
	int rc;

	if (n > DP_MAX_RULE_IDS)
		return too_many(err, "rule_ids", n, DP_MAX_RULE_IDS);
	c->rule_ids = alloc_array(n, sizeof(*c->rule_ids), err, &rc);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		c->rule_ids[i] = sentinel_GetCounters_rule_ids_at(t, i);
		if (c->rule_ids[i] == 0)
			return bad(err, "rule_ids", "rule id 0");
	}
	c->nrule_ids = n;
	return 0;
}

int dp_cmd_decode(const void *buf, size_t len, struct dp_cmd *ret,
		  struct dp_err *err)
{
	const struct sentinel_Request *req;
	char vmsg[200];
	int rc;

	memset(ret, 0, sizeof(*ret));
	if (len > DP_MAX_REQUEST)
		return dp_err_set(err, -E2BIG, sentinel_Code_TooLarge, "",
				  "request of %zu bytes, at most %u", len,
				  DP_MAX_REQUEST);
	if (sentinel_Request_verify(buf, len, vmsg, sizeof(vmsg)))
		return dp_err_set(err, -EBADMSG, sentinel_Code_Malformed, "",
				  "malformed request: %s", vmsg);
	if (!sentinel_Request_has_identifier(buf, len))
		return dp_err_set(
			err, -EBADMSG, sentinel_Code_Malformed, "",
			"not a Sentinel control request (identifier)");
	req = sentinel_Request_root(buf);
	ret->id = sentinel_Request_id(req);
	ret->kind = sentinel_Request_command_type(req);
	switch (ret->kind) {
	case sentinel_Command_ReplaceRules:
		rc = decode_rules(sentinel_Request_command_as_ReplaceRules(req),
				  false, ret, err);
		break;
	case sentinel_Command_BlockAdd:
		rc = decode_block_add(sentinel_Request_command_as_BlockAdd(req),
				      ret, err);
		break;
	case sentinel_Command_BlockRemove:
		rc = decode_block_remove(
			sentinel_Request_command_as_BlockRemove(req), ret, err);
		break;
	case sentinel_Command_SetDryRun: {
		const struct sentinel_SetDryRun *t =
			sentinel_Request_command_as_SetDryRun(req);

		ret->enabled = sentinel_SetDryRun_enabled(t);
		rc = ifname_from(sentinel_SetDryRun_interface(t),
				 sentinel_SetDryRun_interface_len(t),
				 ret->ifname, "interface", err);
		break;
	}
	case sentinel_Command_SetDefaultPolicy: {
		const struct sentinel_SetDefaultPolicy *t =
			sentinel_Request_command_as_SetDefaultPolicy(req);

		ret->policy = sentinel_SetDefaultPolicy_policy(t);
		ret->reset = sentinel_SetDefaultPolicy_reset(t);
		rc = ifname_from(sentinel_SetDefaultPolicy_interface(t),
				 sentinel_SetDefaultPolicy_interface_len(t),
				 ret->ifname, "interface", err);
		if (!rc && !sentinel_Policy_is_known(ret->policy))
			rc = bad(err, "policy", "not Pass or Drop");
		if (!rc && ret->reset && !ret->ifname[0])
			rc = bad(err, "reset",
				 "only an interface's policy can be reset");
		break;
	}
	case sentinel_Command_SetMgmt:
		rc = decode_mgmt(sentinel_Request_command_as_SetMgmt(req),
				 false, ret, err);
		break;
	case sentinel_Command_ApplyState:
		rc = decode_apply(sentinel_Request_command_as_ApplyState(req),
				  ret, err);
		break;
	case sentinel_Command_GetCounters:
		rc = decode_counters(
			sentinel_Request_command_as_GetCounters(req), ret, err);
		break;
	case sentinel_Command_GetStatus:
		rc = 0;
		break;
	case sentinel_Command_NONE:
		rc = dp_err_set(err, -EINVAL, sentinel_Code_Unsupported,
				"command", "no command");
		break;
	default:
		rc = dp_err_set(err, -EINVAL, sentinel_Code_Unsupported,
				"command", "unknown command type %d",
				ret->kind);
		break;
	}
	if (rc) {
		uint64_t id = ret->id;

		dp_cmd_clear(ret);
		ret->id = id;
	}
	return rc;
}

int dp_reply_error(struct fb_builder *b, uint64_t id, const struct dp_err *err)
{
	uint32_t msg, field = 0;

	fb_builder_reset(b);
	msg = fb_create_string(b, err->msg, strlen(err->msg));
	if (err->field[0])
		field = fb_create_string(b, err->field, strlen(err->field));
	sentinel_Reply_start(b);
	sentinel_Reply_add_id(b, id);
	sentinel_Reply_add_code(b, err->code);
	sentinel_Reply_add_message(b, msg);
	if (field)
		sentinel_Reply_add_field(b, field);
	return sentinel_Reply_finish(b, sentinel_Reply_end(b));
}
