/* SPDX-License-Identifier: GPL-2.0-only */
/* sentinel-cp's state: configuration, store, auth, the link to sentinel-dp. */
#ifndef SENTINEL_CP_H
#define SENTINEL_CP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "config.h"

struct auth;
struct config;
struct dpc;
struct dpc_sub;
struct http_server;
struct store;

/* A rule of the desired set, where it came from, its kernel id. */
struct cp_rule {
	struct config_rule r;
	bool from_api; /* else from the configuration file */
	uint32_t kernel_id;
};

/* Kernel rule id -> index in cp->rules, sorted by kernel id (events). */
struct kid_idx {
	uint32_t kid;
	uint32_t idx;
};

/* What sentinel-dp last told us. */
struct cp_dp_state {
	bool connected; /* the last status request was answered */
	bool attached;	/* at least one interface carries the program */
	bool adopted;
	uint32_t prog_id;
	uint64_t uptime_ms;
	uint32_t rules;	 /* rules in the kernel's active set */
	json_t *status;	 /* owned: the last StatusResult as JSON */
	uint64_t pushes; /* desired state pushed (connects, reloads) */
	uint64_t push_failures;
};

struct cp_event_stats {
	uint64_t batches, events, bad_batches, seq_gaps;
	uint64_t next_seq; /* the seq the next batch should carry */
	uint64_t instance; /* sentinel-dp's stream the last batch came from */
	uint64_t dp_restarts; /* instances changed between batches */
	uint64_t alerts_added, alerts_deduped, alerts_failed;
	uint64_t dp_ring_lost, dp_send_dropped; /* last totals seen */
};

/* A response text kept until what it shows changes. */
struct cp_list_cache {
	char *text; /* owned */
	size_t len;
	size_t *off; /* owned; n + 1: where each rule's JSON starts, the end */
	size_t n;
	char **rtxt; /* owned; per rule: its JSON without hits and final '}' */
	size_t nrtxt;
	uint64_t rtxt_gen; /* cp->rules_gen rtxt shows */
	uint64_t gen;	   /* cp->rules_gen it shows */
	json_t *counters;  /* a reference to the counters it shows */
};

void cp_list_cache_free(struct cp_list_cache *lc);

struct cp {
	uv_loop_t *loop;
	const char *config_path;		  /* borrowed (argv) */
	const struct config_overrides *overrides; /* borrowed: -s options */
	struct config *cfg;	  /* owned: the running configuration */
	struct store *store;	  /* owned */
	struct auth *auth;	  /* owned */
	struct dpc *dpc;	  /* owned */
	struct dpc_sub *sub;	  /* owned */
	struct http_server *http; /* owned */
	uv_poll_t sub_poll;
	uv_timer_t tick;
	uv_signal_t sighup, sigterm, sigint;
	uv_fs_event_t watch; /* the configuration file's directory */
	uv_timer_t debounce; /* the watcher's settle time */
	/* size and FNV-1a hash of the configuration file as running, as far
	 * as the watcher knows (at start, then each reload it made) */
	bool config_fp_valid;
	uint64_t config_fp_size, config_fp_hash;
	uint64_t start_ns;
	/* desired firewall: configuration rules, then API rules */
	struct cp_rule *rules; /* owned */
	size_t nrules;
	struct kid_idx *kmap; /* owned; rebuilt by cp_dp_rules_changed */
	uint64_t rules_gen;   /* counts changes of the desired rules */
	struct cp_list_cache rules_list; /* GET /api/v1/firewall/rules */
	size_t nkmap;
	struct cp_dp_state dp;
	json_t *counters;     /* owned: the last counters (cp_dp_counters) */
	uint64_t counters_ns; /* when they were read, CLOCK_MONOTONIC */
	struct cp_event_stats ev;
	uint64_t last_purge_ns; /* CLOCK_MONOTONIC */
	uint64_t reloads, reload_failures;
	char last_reload_error[384];
};

struct http_identity;

/* ---- cp_state.c: the desired state ---- */

/* The syslog level of a configured log level. */
int cp_log_level(enum config_log_level l);
/* The API keys and JWT settings of c (auth disabled: an empty set). */
int cp_build_auth(const struct config *c, struct auth **ret, char *why,
		  size_t whylen);
/* Close the store and free what cp owns (the configuration included). */
void cp_state_free(struct cp *cp);
/* The HTTP server's authentication callback; ctx is the struct cp. */
int cp_authenticate(void *ctx, const char *key, size_t klen, const char *authz,
		    size_t alen, struct http_identity *ret, char *why,
		    size_t whylen);
/* The desired rule set under c: its rules, then the API rules of the store,
 * with their kernel ids.  -EEXIST (err names the id) when both define one
 * id; other errors name the store's. */
int cp_desired_rules(struct cp *cp, const struct config *c,
		     struct cp_rule **ret, size_t *ret_n, char *err,
		     size_t errlen);
/* Push the whole desired state (c, rules[0..n)) to sentinel-dp in one
 * transaction, counting pushes and failures. */
int cp_push_state(struct cp *cp, const struct config *c,
		  const struct cp_rule *rules, size_t n, char *err,
		  size_t errlen);

#endif
