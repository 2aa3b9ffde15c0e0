/* SPDX-License-Identifier: GPL-2.0-only */
/* Print a verified Request, Reply or EventBatch as flatc's JSON (every field read). */
#ifndef SENTINEL_TEST_FB_DUMP_H
#define SENTINEL_TEST_FB_DUMP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_fb.h"
#include "events_fb.h"

/*
 * The output is what `flatc --json --strict-json --defaults-json` prints,
 * up to formatting: every scalar (defaults included, enums by name when
 * known), strings, structs, vectors and tables when present, a union as
 * NAME_type plus NAME.
 */
struct dump {
	char *p; /* owned, NUL-terminated */
	size_t n, cap;
	int oom;
};

static void dump_put(struct dump *d, const char *s, size_t n)
{
	if (d->oom)
		return;
	if (d->n + n + 1 > d->cap) {
		size_t cap = d->cap ? d->cap : 256;
		char *p;

		while (d->n + n + 1 > cap)
			cap *= 2;
		p = realloc(d->p, cap);
		if (!p) {
			d->oom = 1;
			return;
		}
		d->p = p;
		d->cap = cap;
	}
	memcpy(d->p + d->n, s, n);
	d->n += n;
	d->p[d->n] = '\0';
}

static __attribute__((format(printf, 2, 3))) void
dump_printf(struct dump *d, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		dump_put(d, tmp,
			 (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A JSON string of len bytes (every byte is read). */
static void dump_str(struct dump *d, const char *s, size_t len)
{
	dump_put(d, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};

			dump_put(d, e, 2);
		} else if (c < 0x20) {
			dump_printf(d, "\\u%04x", c);
		} else {
			dump_put(d, (const char *)&c, 1);
		}
	}
	dump_put(d, "\"", 1);
}

/* Start a member: comma unless first, then "key": */
static void dump_key(struct dump *d, int *first, const char *key)
{
	if (!*first)
		dump_put(d, ",", 1);
	*first = 0;
	dump_str(d, key, strlen(key));
	dump_put(d, ":", 1);
}

static void dump_u(struct dump *d, int *first, const char *k, uint64_t v)
{
	dump_key(d, first, k);
	dump_printf(d, "%" PRIu64, v);
}

static void dump_i(struct dump *d, int *first, const char *k, int64_t v)
{
	dump_key(d, first, k);
	dump_printf(d, "%" PRId64, v);
}

static void dump_b(struct dump *d, int *first, const char *k, bool v)
{
	dump_key(d, first, k);
	dump_put(d, v ? "true" : "false", v ? 4 : 5);
}

/* An enum: its name when known, else its number (as flatc does). */
static void dump_e(struct dump *d, int *first, const char *k, unsigned v,
		   const char *name)
{
	dump_key(d, first, k);
	if (name)
		dump_str(d, name, strlen(name));
	else
		dump_printf(d, "%u", v);
}

static void dump_s(struct dump *d, int *first, const char *k, const char *s,
		   size_t len)
{
	if (!s)
		return;
	dump_key(d, first, k);
	dump_str(d, s, len);
}

static void dump_bytes(struct dump *d, const uint8_t *p, size_t n)
{
	dump_put(d, "[", 1);
	for (size_t i = 0; i < n; i++)
		dump_printf(d, i ? ",%u" : "%u", p[i]);
	dump_put(d, "]", 1);
}

static void dump_Cidr(struct dump *d, const struct sentinel_Cidr *c)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_u(d, &f, "family", c->family);
	dump_u(d, &f, "plen", c->plen);
	dump_key(d, &f, "addr");
	dump_bytes(d, c->addr, sizeof(c->addr));
	dump_put(d, "}", 1);
}

static void dump_Rule(struct dump *d, const struct sentinel_Rule *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_u(d, &f, "id", sentinel_Rule_id(t));
	dump_u(d, &f, "priority", sentinel_Rule_priority(t));
	dump_e(d, &f, "action", sentinel_Rule_action(t),
	       sentinel_Action_name(sentinel_Rule_action(t)));
	dump_b(d, &f, "dry_run", sentinel_Rule_dry_run(t));
	dump_u(d, &f, "proto", sentinel_Rule_proto(t));
	if (sentinel_Rule_src(t)) {
		dump_key(d, &f, "src");
		dump_Cidr(d, sentinel_Rule_src(t));
	}
	if (sentinel_Rule_dst(t)) {
		dump_key(d, &f, "dst");
		dump_Cidr(d, sentinel_Rule_dst(t));
	}
	dump_u(d, &f, "sport_lo", sentinel_Rule_sport_lo(t));
	dump_u(d, &f, "sport_hi", sentinel_Rule_sport_hi(t));
	dump_u(d, &f, "dport_lo", sentinel_Rule_dport_lo(t));
	dump_u(d, &f, "dport_hi", sentinel_Rule_dport_hi(t));
	dump_i(d, &f, "vlan", sentinel_Rule_vlan(t));
	dump_u(d, &f, "tcp_flags_mask", sentinel_Rule_tcp_flags_mask(t));
	dump_u(d, &f, "tcp_flags_value", sentinel_Rule_tcp_flags_value(t));
	dump_i(d, &f, "icmp_type", sentinel_Rule_icmp_type(t));
	dump_i(d, &f, "icmp_code", sentinel_Rule_icmp_code(t));
	dump_s(d, &f, "interface", sentinel_Rule_interface(t),
	       sentinel_Rule_interface_len(t));
	dump_put(d, "}", 1);
}

static void dump_ReplaceRules(struct dump *d,
			      const struct sentinel_ReplaceRules *t)
{
	size_t n = sentinel_ReplaceRules_rules_len(t);

	dump_put(d, "{", 1);
	if (sentinel_ReplaceRules_rules_is_present(t)) {
		dump_put(d, "\"rules\":[", 9);
		for (size_t i = 0; i < n; i++) {
			if (i)
				dump_put(d, ",", 1);
			dump_Rule(d, sentinel_ReplaceRules_rules_at(t, i));
		}
		dump_put(d, "]", 1);
	}
	dump_put(d, "}", 1);
}

static void dump_BlockEntry(struct dump *d, const struct sentinel_BlockEntry *e)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_key(d, &f, "cidr");
	dump_Cidr(d, &e->cidr);
	dump_b(d, &f, "dry_run", e->dry_run != 0);
	dump_u(d, &f, "source", e->source);
	dump_u(d, &f, "ttl_ms", e->ttl_ms);
	dump_put(d, "}", 1);
}

static void dump_BlockAdd(struct dump *d, const struct sentinel_BlockAdd *t)
{
	const struct sentinel_BlockEntry *e = sentinel_BlockAdd_entries(t);
	size_t n = sentinel_BlockAdd_entries_len(t);

	dump_put(d, "{", 1);
	if (e) {
		dump_put(d, "\"entries\":[", 11);
		for (size_t i = 0; i < n; i++) {
			if (i)
				dump_put(d, ",", 1);
			dump_BlockEntry(d, &e[i]);
		}
		dump_put(d, "]", 1);
	}
	dump_put(d, "}", 1);
}

static void dump_BlockRemove(struct dump *d,
			     const struct sentinel_BlockRemove *t)
{
	size_t n = sentinel_BlockRemove_cidrs_len(t);

	dump_put(d, "{", 1);
	if (sentinel_BlockRemove_cidrs(t)) {
		dump_put(d, "\"cidrs\":[", 9);
		for (size_t i = 0; i < n; i++) {
			if (i)
				dump_put(d, ",", 1);
			dump_Cidr(d, sentinel_BlockRemove_cidrs_at(t, i));
		}
		dump_put(d, "]", 1);
	}
	dump_put(d, "}", 1);
}

static void dump_SetDryRun(struct dump *d, const struct sentinel_SetDryRun *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_s(d, &f, "interface", sentinel_SetDryRun_interface(t),
	       sentinel_SetDryRun_interface_len(t));
	dump_b(d, &f, "enabled", sentinel_SetDryRun_enabled(t));
	dump_put(d, "}", 1);
}

static void dump_SetDefaultPolicy(struct dump *d,
				  const struct sentinel_SetDefaultPolicy *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_s(d, &f, "interface", sentinel_SetDefaultPolicy_interface(t),
	       sentinel_SetDefaultPolicy_interface_len(t));
	dump_e(d, &f, "policy", sentinel_SetDefaultPolicy_policy(t),
	       sentinel_Policy_name(sentinel_SetDefaultPolicy_policy(t)));
	dump_b(d, &f, "reset", sentinel_SetDefaultPolicy_reset(t));
	dump_put(d, "}", 1);
}

static void dump_MgmtEntry(struct dump *d, const struct sentinel_MgmtEntry *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	if (sentinel_MgmtEntry_cidr(t)) {
		dump_key(d, &f, "cidr");
		dump_Cidr(d, sentinel_MgmtEntry_cidr(t));
	}
	if (sentinel_MgmtEntry_ports_is_present(t)) {
		size_t n = sentinel_MgmtEntry_ports_len(t);

		dump_key(d, &f, "ports");
		dump_put(d, "[", 1);
		for (size_t i = 0; i < n; i++)
			dump_printf(d, i ? ",%u" : "%u",
				    sentinel_MgmtEntry_ports_at(t, i));
		dump_put(d, "]", 1);
	}
	dump_put(d, "}", 1);
}

static void dump_SetMgmt(struct dump *d, const struct sentinel_SetMgmt *t)
{
	size_t n = sentinel_SetMgmt_entries_len(t);

	dump_put(d, "{", 1);
	if (sentinel_SetMgmt_entries_is_present(t)) {
		dump_put(d, "\"entries\":[", 11);
		for (size_t i = 0; i < n; i++) {
			if (i)
				dump_put(d, ",", 1);
			dump_MgmtEntry(d, sentinel_SetMgmt_entries_at(t, i));
		}
		dump_put(d, "]", 1);
	}
	dump_put(d, "}", 1);
}

static void dump_InterfaceSettings(struct dump *d,
				   const struct sentinel_InterfaceSettings *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_s(d, &f, "interface", sentinel_InterfaceSettings_interface(t),
	       sentinel_InterfaceSettings_interface_len(t));
	dump_b(d, &f, "own_policy", sentinel_InterfaceSettings_own_policy(t));
	dump_e(d, &f, "policy", sentinel_InterfaceSettings_policy(t),
	       sentinel_Policy_name(sentinel_InterfaceSettings_policy(t)));
	dump_b(d, &f, "dry_run", sentinel_InterfaceSettings_dry_run(t));
	dump_put(d, "}", 1);
}

static void dump_ApplyState(struct dump *d, const struct sentinel_ApplyState *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	if (sentinel_ApplyState_rules_is_present(t)) {
		dump_key(d, &f, "rules");
		dump_put(d, "[", 1);
		for (size_t i = 0; i < sentinel_ApplyState_rules_len(t); i++) {
			if (i)
				dump_put(d, ",", 1);
			dump_Rule(d, sentinel_ApplyState_rules_at(t, i));
		}
		dump_put(d, "]", 1);
	}
	dump_e(d, &f, "default_policy", sentinel_ApplyState_default_policy(t),
	       sentinel_Policy_name(sentinel_ApplyState_default_policy(t)));
	dump_b(d, &f, "dry_run", sentinel_ApplyState_dry_run(t));
	if (sentinel_ApplyState_mgmt_is_present(t)) {
		dump_key(d, &f, "mgmt");
		dump_put(d, "[", 1);
		for (size_t i = 0; i < sentinel_ApplyState_mgmt_len(t); i++) {
			if (i)
				dump_put(d, ",", 1);
			dump_MgmtEntry(d, sentinel_ApplyState_mgmt_at(t, i));
		}
		dump_put(d, "]", 1);
	}
	if (sentinel_ApplyState_interfaces_is_present(t)) {
		dump_key(d, &f, "interfaces");
		dump_put(d, "[", 1);
		for (size_t i = 0; i < sentinel_ApplyState_interfaces_len(t);
		     i++) {
			if (i)
				dump_put(d, ",", 1);
			dump_InterfaceSettings(
				d, sentinel_ApplyState_interfaces_at(t, i));
		}
		dump_put(d, "]", 1);
	}
	dump_put(d, "}", 1);
}

static void dump_GetCounters(struct dump *d,
			     const struct sentinel_GetCounters *t)
{
	size_t n = sentinel_GetCounters_rule_ids_len(t);

	dump_put(d, "{", 1);
	if (sentinel_GetCounters_rule_ids_is_present(t)) {
		dump_put(d, "\"rule_ids\":[", 12);
		for (size_t i = 0; i < n; i++)
			dump_printf(d, i ? ",%u" : "%u",
				    sentinel_GetCounters_rule_ids_at(t, i));
		dump_put(d, "]", 1);
	}
	dump_put(d, "}", 1);
}

static void dump_Request(struct dump *d, const struct sentinel_Request *t)
{
	uint8_t type = sentinel_Request_command_type(t);
	int f = 1;

	dump_put(d, "{", 1);
	dump_u(d, &f, "id", sentinel_Request_id(t));
	dump_e(d, &f, "command_type", type, sentinel_Command_name(type));
	if (sentinel_Request_command(t))
		dump_key(d, &f, "command");
	switch (type) {
	case sentinel_Command_ReplaceRules:
		dump_ReplaceRules(d,
				  sentinel_Request_command_as_ReplaceRules(t));
		break;
	case sentinel_Command_BlockAdd:
		dump_BlockAdd(d, sentinel_Request_command_as_BlockAdd(t));
		break;
	case sentinel_Command_BlockRemove:
		dump_BlockRemove(d, sentinel_Request_command_as_BlockRemove(t));
		break;
	case sentinel_Command_SetDryRun:
		dump_SetDryRun(d, sentinel_Request_command_as_SetDryRun(t));
		break;
	case sentinel_Command_SetDefaultPolicy:
		dump_SetDefaultPolicy(
			d, sentinel_Request_command_as_SetDefaultPolicy(t));
		break;
	case sentinel_Command_SetMgmt:
		dump_SetMgmt(d, sentinel_Request_command_as_SetMgmt(t));
		break;
	case sentinel_Command_GetCounters:
		dump_GetCounters(d, sentinel_Request_command_as_GetCounters(t));
		break;
	case sentinel_Command_GetStatus:
		(void)sentinel_Request_command_as_GetStatus(t);
		dump_put(d, "{}", 2);
		break;
	case sentinel_Command_ApplyState:
		dump_ApplyState(d, sentinel_Request_command_as_ApplyState(t));
		break;
	}
	dump_put(d, "}", 1);
}

static void dump_RulesResult(struct dump *d,
			     const struct sentinel_RulesResult *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_u(d, &f, "rules", sentinel_RulesResult_rules(t));
	dump_u(d, &f, "entries4", sentinel_RulesResult_entries4(t));
	dump_u(d, &f, "entries6", sentinel_RulesResult_entries6(t));
	dump_u(d, &f, "tuples4", sentinel_RulesResult_tuples4(t));
	dump_u(d, &f, "tuples6", sentinel_RulesResult_tuples6(t));
	dump_u(d, &f, "generation", sentinel_RulesResult_generation(t));
	if (sentinel_RulesResult_unresolved_is_present(t)) {
		size_t n = sentinel_RulesResult_unresolved_len(t);

		dump_key(d, &f, "unresolved");
		dump_put(d, "[", 1);
		for (size_t i = 0; i < n; i++) {
			const char *s =
				sentinel_RulesResult_unresolved_at(t, i);

			if (i)
				dump_put(d, ",", 1);
			dump_str(d, s, fb_read_u32(s - 4));
		}
		dump_put(d, "]", 1);
	}
	dump_put(d, "}", 1);
}

static void dump_Counter(struct dump *d, const struct sentinel_Counter *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_s(d, &f, "name", sentinel_Counter_name(t),
	       sentinel_Counter_name_len(t));
	dump_u(d, &f, "packets", sentinel_Counter_packets(t));
	dump_u(d, &f, "bytes", sentinel_Counter_bytes(t));
	dump_put(d, "}", 1);
}

static void dump_EventStats(struct dump *d, const struct sentinel_EventStats *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_u(d, &f, "read", sentinel_EventStats_read(t));
	dump_u(d, &f, "sent", sentinel_EventStats_sent(t));
	dump_u(d, &f, "batches", sentinel_EventStats_batches(t));
	dump_u(d, &f, "ring_skipped", sentinel_EventStats_ring_skipped(t));
	dump_u(d, &f, "ring_failed", sentinel_EventStats_ring_failed(t));
	dump_u(d, &f, "send_dropped", sentinel_EventStats_send_dropped(t));
	dump_put(d, "}", 1);
}

static void dump_PacketCount(struct dump *d, int *f, const char *name,
			     const struct sentinel_PacketCount *c)
{
	int g = 1;

	if (!c)
		return;
	dump_key(d, f, name);
	dump_put(d, "{", 1);
	dump_u(d, &g, "packets", c->packets);
	dump_u(d, &g, "bytes", c->bytes);
	dump_put(d, "}", 1);
}

static void dump_InterfaceCounters(struct dump *d,
				   const struct sentinel_InterfaceCounters *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_u(d, &f, "ifindex", sentinel_InterfaceCounters_ifindex(t));
	dump_s(d, &f, "interface", sentinel_InterfaceCounters_interface(t),
	       sentinel_InterfaceCounters_interface_len(t));
	dump_PacketCount(d, &f, "pass", sentinel_InterfaceCounters_pass(t));
	dump_PacketCount(d, &f, "drop", sentinel_InterfaceCounters_drop(t));
	dump_PacketCount(d, &f, "tx", sentinel_InterfaceCounters_tx(t));
	dump_PacketCount(d, &f, "default_pass",
			 sentinel_InterfaceCounters_default_pass(t));
	dump_PacketCount(d, &f, "default_drop",
			 sentinel_InterfaceCounters_default_drop(t));
	dump_put(d, "}", 1);
}

static void dump_CountersResult(struct dump *d,
				const struct sentinel_CountersResult *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	if (sentinel_CountersResult_global_is_present(t)) {
		size_t n = sentinel_CountersResult_global_len(t);

		dump_key(d, &f, "global");
		dump_put(d, "[", 1);
		for (size_t i = 0; i < n; i++) {
			if (i)
				dump_put(d, ",", 1);
			dump_Counter(d,
				     sentinel_CountersResult_global_at(t, i));
		}
		dump_put(d, "]", 1);
	}
	if (sentinel_CountersResult_rules(t)) {
		const struct sentinel_RuleCounter *c =
			sentinel_CountersResult_rules(t);
		size_t n = sentinel_CountersResult_rules_len(t);

		dump_key(d, &f, "rules");
		dump_put(d, "[", 1);
		for (size_t i = 0; i < n; i++) {
			int g = 1;

			dump_put(d, i ? ",{" : "{", i ? 2 : 1);
			dump_u(d, &g, "rule_id", c[i].rule_id);
			dump_u(d, &g, "packets", c[i].packets);
			dump_u(d, &g, "bytes", c[i].bytes);
			dump_put(d, "}", 1);
		}
		dump_put(d, "]", 1);
	}
	if (sentinel_CountersResult_events(t)) {
		dump_key(d, &f, "events");
		dump_EventStats(d, sentinel_CountersResult_events(t));
	}
	if (sentinel_CountersResult_interfaces_is_present(t)) {
		size_t n = sentinel_CountersResult_interfaces_len(t);

		dump_key(d, &f, "interfaces");
		dump_put(d, "[", 1);
		for (size_t i = 0; i < n; i++) {
			if (i)
				dump_put(d, ",", 1);
			dump_InterfaceCounters(
				d, sentinel_CountersResult_interfaces_at(t, i));
		}
		dump_put(d, "]", 1);
	}
	dump_put(d, "}", 1);
}

static void dump_Attachment(struct dump *d, const struct sentinel_Attachment *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_s(d, &f, "interface", sentinel_Attachment_interface(t),
	       sentinel_Attachment_interface_len(t));
	dump_u(d, &f, "ifindex", sentinel_Attachment_ifindex(t));
	dump_e(d, &f, "mode", sentinel_Attachment_mode(t),
	       sentinel_XdpMode_name(sentinel_Attachment_mode(t)));
	dump_u(d, &f, "link_id", sentinel_Attachment_link_id(t));
	dump_u(d, &f, "prog_id", sentinel_Attachment_prog_id(t));
	dump_s(d, &f, "error", sentinel_Attachment_error(t),
	       sentinel_Attachment_error_len(t));
	dump_put(d, "}", 1);
}

static void dump_StatusResult(struct dump *d,
			      const struct sentinel_StatusResult *t)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_s(d, &f, "version", sentinel_StatusResult_version(t),
	       sentinel_StatusResult_version_len(t));
	dump_u(d, &f, "prog_id", sentinel_StatusResult_prog_id(t));
	dump_b(d, &f, "adopted", sentinel_StatusResult_adopted(t));
	dump_u(d, &f, "uptime_ms", sentinel_StatusResult_uptime_ms(t));
	if (sentinel_StatusResult_attachments_is_present(t)) {
		size_t n = sentinel_StatusResult_attachments_len(t);

		dump_key(d, &f, "attachments");
		dump_put(d, "[", 1);
		for (size_t i = 0; i < n; i++) {
			if (i)
				dump_put(d, ",", 1);
			dump_Attachment(
				d, sentinel_StatusResult_attachments_at(t, i));
		}
		dump_put(d, "]", 1);
	}
	dump_u(d, &f, "rules", sentinel_StatusResult_rules(t));
	dump_u(d, &f, "generation", sentinel_StatusResult_generation(t));
	dump_e(d, &f, "default_policy", sentinel_StatusResult_default_policy(t),
	       sentinel_Policy_name(sentinel_StatusResult_default_policy(t)));
	dump_b(d, &f, "dry_run", sentinel_StatusResult_dry_run(t));
	dump_u(d, &f, "block4", sentinel_StatusResult_block4(t));
	dump_u(d, &f, "block6", sentinel_StatusResult_block6(t));
	dump_u(d, &f, "mgmt", sentinel_StatusResult_mgmt(t));
	dump_put(d, "}", 1);
}

static void dump_Reply(struct dump *d, const struct sentinel_Reply *t)
{
	uint8_t type = sentinel_Reply_result_type(t);
	int f = 1;

	dump_put(d, "{", 1);
	dump_u(d, &f, "id", sentinel_Reply_id(t));
	dump_e(d, &f, "code", sentinel_Reply_code(t),
	       sentinel_Code_name(sentinel_Reply_code(t)));
	dump_s(d, &f, "message", sentinel_Reply_message(t),
	       sentinel_Reply_message_len(t));
	dump_s(d, &f, "field", sentinel_Reply_field(t),
	       sentinel_Reply_field_len(t));
	dump_e(d, &f, "result_type", type, sentinel_Result_name(type));
	if (sentinel_Reply_result(t))
		dump_key(d, &f, "result");
	switch (type) {
	case sentinel_Result_RulesResult:
		dump_RulesResult(d, sentinel_Reply_result_as_RulesResult(t));
		break;
	case sentinel_Result_CountersResult:
		dump_CountersResult(d,
				    sentinel_Reply_result_as_CountersResult(t));
		break;
	case sentinel_Result_StatusResult:
		dump_StatusResult(d, sentinel_Reply_result_as_StatusResult(t));
		break;
	}
	dump_put(d, "}", 1);
}

static void dump_FwEvent(struct dump *d, const struct sentinel_FwEvent *e)
{
	int f = 1;

	dump_put(d, "{", 1);
	dump_u(d, &f, "ts_ns", e->ts_ns);
	dump_u(d, &f, "ifindex", e->ifindex);
	dump_u(d, &f, "rule_id", e->rule_id);
	dump_u(d, &f, "pkt_len", e->pkt_len);
	dump_e(d, &f, "type", e->type, sentinel_FwEventType_name(e->type));
	dump_e(d, &f, "action", e->action, sentinel_Action_name(e->action));
	dump_u(d, &f, "flags", e->flags);
	dump_u(d, &f, "family", e->family);
	dump_u(d, &f, "proto", e->proto);
	dump_u(d, &f, "tcp_flags", e->tcp_flags);
	dump_u(d, &f, "vlan", e->vlan);
	dump_u(d, &f, "sport", e->sport);
	dump_u(d, &f, "dport", e->dport);
	dump_key(d, &f, "src");
	dump_bytes(d, e->src, sizeof(e->src));
	dump_key(d, &f, "dst");
	dump_bytes(d, e->dst, sizeof(e->dst));
	dump_put(d, "}", 1);
}

static void dump_EventBatch(struct dump *d, const struct sentinel_EventBatch *t)
{
	const struct sentinel_FwEvent *e = sentinel_EventBatch_fw(t);
	int f = 1;

	dump_put(d, "{", 1);
	dump_u(d, &f, "seq", sentinel_EventBatch_seq(t));
	if (e) {
		size_t n = sentinel_EventBatch_fw_len(t);

		dump_key(d, &f, "fw");
		dump_put(d, "[", 1);
		for (size_t i = 0; i < n; i++) {
			if (i)
				dump_put(d, ",", 1);
			dump_FwEvent(d, &e[i]);
		}
		dump_put(d, "]", 1);
	}
	dump_u(d, &f, "ring_skipped", sentinel_EventBatch_ring_skipped(t));
	dump_u(d, &f, "ring_failed", sentinel_EventBatch_ring_failed(t));
	dump_u(d, &f, "send_dropped", sentinel_EventBatch_send_dropped(t));
	dump_u(d, &f, "instance", sentinel_EventBatch_instance(t));
	dump_put(d, "}", 1);
}

#endif
