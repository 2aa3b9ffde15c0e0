/* SPDX-License-Identifier: GPL-2.0-only */
/* sentinel-cp's use of sentinel-dp: desired state, status, counters, events. */
#ifndef SENTINEL_CP_DP_H
#define SENTINEL_CP_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct config;
struct cp;
struct cp_rule;

/* Replace the kernel's rule set with the rules of rules[0..n) that are
 * enforced under the running configuration (the enabled ones; none when
 * firewall.enabled is false).  0, -EINVAL (refused: err says why, naming
 * the field), or a transport error (sentinel-dp unreachable). */
int cp_dp_push_rules(struct cp *cp, const struct cp_rule *rules, size_t n,
		     char *err, size_t errlen);
/* The whole firewall state of configuration c in one sentinel-dp
 * transaction (ApplyState): the rules of rules[0..n) enforced under c,
 * global default policy and dry-run, the anti-lockout list, the
 * interfaces' own settings (interfaces c does not name follow the global
 * ones).  Errors as cp_dp_push_rules. */
int cp_dp_push_state(struct cp *cp, const struct config *c,
		     const struct cp_rule *rules, size_t n, char *err,
		     size_t errlen);
/* cp->rules changed: rebuild the kernel id -> rule map used for alerts. */
void cp_dp_rules_changed(struct cp *cp);
/* Ask for status; *ret_need_push when sentinel-dp is new or restarted. */
int cp_dp_refresh(struct cp *cp, bool *ret_need_push);
/* Counters as JSON {"global": {...}, "rules": {kid: {...}}, "events": {...},
 * "interfaces": [...]} (a new reference), read at most once a second. */
int cp_dp_counters(struct cp *cp, json_t **ret);
/* Read every waiting event batch (non-blocking) into the alert store. */
void cp_dp_drain_events(struct cp *cp, uint64_t dedup_window_ns);

#endif
