// SPDX-License-Identifier: GPL-2.0-only
/* sentinel-cp's desired state: authentication, the rule set, reloads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "auth.h"
#include "config.h"
#include "cp.h"
#include "cp_api.h"
#include "cp_dp.h"
#include "http.h"
#include "log.h"
#include "store.h"

extern char **environ;

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int cp_log_level(enum config_log_level l)
{
	switch (l) {
	case CONFIG_LOG_ERROR:
		return LOG_ERR;
	case CONFIG_LOG_WARN:
		return LOG_WARNING;
	case CONFIG_LOG_INFO:
		return LOG_INFO;
	default:
		return LOG_DEBUG;
	}
}

/* ---- authentication ---- */

int cp_build_auth(const struct config *c, struct auth **ret, char *why,
		  size_t whylen)
{
	static const enum auth_role roles[] = {
		[CONFIG_ROLE_VIEWER] = AUTH_ROLE_VIEWER,
		[CONFIG_ROLE_OPERATOR] = AUTH_ROLE_OPERATOR,
		[CONFIG_ROLE_ADMIN] = AUTH_ROLE_ADMIN,
	};
	struct auth *a;
	int rc;

	rc = auth_new(&a);
	if (rc)
		return rc;
	for (size_t i = 0; c->auth.enabled && i < c->auth.n_api_keys; i++) {
		const struct config_api_key *k = &c->auth.api_keys[i];
		char hex[65];
		struct auth_key_config kc = {.name = k->name,
					     .key_sha256 = hex,
					     .role = roles[k->role]};

		for (int j = 0; j < 32; j++)
			snprintf(hex + 2 * j, 3, "%02x", k->key_sha256[j]);
		rc = auth_keys_add(a, &kc, why, whylen);
		if (rc)
			goto fail;
	}
	if (c->auth.enabled && c->auth.jwt) {
		const struct config_jwt *j = c->auth.jwt;
		struct auth_jwt_config jc = {
			.issuer = j->issuer,
			.audience = j->audience,
			.role_claim = j->role_claim,
			.leeway_s = 60,
			.algs = (j->algorithms & CONFIG_JWT_RS256
					 ? AUTH_ALG_RS256
					 : 0) |
				(j->algorithms & CONFIG_JWT_ES256
					 ? AUTH_ALG_ES256
					 : 0),
		};

		rc = auth_jwt_configure(a, &jc, why, whylen);
		for (size_t i = 0; !rc && i < j->n_public_key_paths; i++)
			rc = auth_jwt_add_key_file(a, j->public_key_paths[i],
						   NULL, why, whylen);
		if (rc)
			goto fail;
	}
	*ret = a;
	return 0;
fail:
	auth_free(a);
	return rc;
}

int cp_authenticate(void *ctx, const char *key, size_t klen, const char *authz,
		    size_t alen, struct http_identity *ret, char *why,
		    size_t whylen)
{
	struct cp *cp = ctx;
	char k[512], h[8192];
	struct auth_identity id;
	int rc;

	if (!cp->cfg->auth.enabled) {
		/* explicitly allowed (loopback or allow_insecure_no_auth) */
		snprintf(ret->name, sizeof(ret->name), "anonymous");
		ret->role = AUTH_ROLE_ADMIN;
		return 0;
	}
	if (klen >= sizeof(k) || alen >= sizeof(h)) {
		snprintf(why, whylen, "credentials too long");
		return -EACCES;
	}
	memcpy(k, key ? key : "", key ? klen : 0);
	k[key ? klen : 0] = '\0';
	memcpy(h, authz ? authz : "", authz ? alen : 0);
	h[authz ? alen : 0] = '\0';
	/* "Bearer KEY" without the dots of a JWT is an API key: scrapers
	 * such as Prometheus can send only the Authorization header */
	if (!k[0] && !strncasecmp(h, "Bearer ", 7) && !strchr(h + 7, '.') &&
	    strlen(h + 7) < sizeof(k)) {
		memcpy(k, h + 7, strlen(h + 7) + 1);
		h[0] = '\0';
	}
	rc = auth_authenticate(cp->auth, k, h,
			       now_ns(CLOCK_REALTIME) / 1000000000ull, &id, why,
			       whylen);
	if (rc) {
		static int limit;

		log_limited(&limit, LOG_NOTICE, "API: refused: %s", why);
		return rc;
	}
	snprintf(ret->name, sizeof(ret->name), "%s", id.name);
	ret->role = id.role;
	return 0;
}

/* ---- the desired rule set ---- */

static int api_rule_cb(const struct store_rule *sr, void *arg)
{
	struct cp_rule **vec = ((void **)arg)[0];
	size_t *n = ((void **)arg)[1];
	struct config_err err;
	json_t *j = json_loads(sr->json, 0, NULL);
	struct cp_rule *r = &(*vec)[*n];
	int rc;

	if (!j)
		return -EINVAL;
	rc = config_rule_from_json(j, &r->r, &err);
	json_decref(j);
	if (rc) {
		log_msg(LOG_ERR,
			"stored API rule %s is no longer valid (%s: %s); skipped",
			sr->rule_id, err.path, err.msg);
		return 0;
	}
	r->from_api = true;
	(*n)++;
	return 0;
}

static int count_rule(const struct store_rule *sr, void *arg)
{
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* -EEXIST (err names it) if two of v[0..n) share an id: the configuration
 * checks its own, so this finds one defined there and through the API. */
static int unique_ids(const struct cp_rule *v, size_t n, char *err,
		      size_t errlen)
{
	const char **ids = malloc((n ? n : 1) * sizeof(*ids));
	int rc = 0;

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ids[i] = v[i].r.id;
	qsort(ids, n, sizeof(*ids), id_cmp);
	for (size_t i = 1; i < n && !rc; i++)
		if (!strcmp(ids[i - 1], ids[i])) {
			snprintf(
				err, errlen,
				"rule id '%s' is defined both in the configuration and through the API",
				ids[i]);
			rc = -EEXIST;
		}
	free(ids);
	return rc;
}

/* Configuration rules, then the API rules from the store; kernel ids from
 * the store.  -EEXIST (err names the id) when both define one id. */
int cp_desired_rules(struct cp *cp, const struct config *c,
		     struct cp_rule **ret, size_t *ret_n, char *err,
		     size_t errlen)
{
	size_t napi = 0, n = 0;
	struct cp_rule *v;
	void *arg[2];
	int rc;

	rc = store_rules_list(cp->store, count_rule, NULL, &napi);
	if (rc)
		return rc;
	v = calloc(c->firewall.n_rules + napi + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; c->firewall.enabled && i < c->firewall.n_rules; i++)
		v[n++].r = c->firewall.rules[i];
	arg[0] = &v;
	arg[1] = &n;
	rc = store_rules_list(cp->store, api_rule_cb, arg, NULL);
	if (!rc)
		rc = unique_ids(v, n, err, errlen);
	/* kernel ids in batches: one transaction (one fsync) per batch */
	for (size_t i = 0; !rc && i < n; i += STORE_BATCH_MAX) {
		size_t k = n - i < STORE_BATCH_MAX ? n - i : STORE_BATCH_MAX;
		const char **ids = malloc(k * sizeof(*ids));
		uint32_t *kids = malloc(k * sizeof(*kids));

		if (!ids || !kids) {
			rc = -ENOMEM;
		} else {
			for (size_t j = 0; j < k; j++)
				ids[j] = v[i + j].r.id;
			rc = store_kernel_ids(cp->store, ids, k, kids);
			for (size_t j = 0; !rc && j < k; j++)
				v[i + j].kernel_id = kids[j];
		}
		free(ids);
		free(kids);
	}
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		else if (rc != -EEXIST)
			snprintf(err, errlen, "store: %s",
				 store_errmsg(cp->store));
		free(v);
		return rc;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The whole desired state in one sentinel-dp transaction. */
int cp_push_state(struct cp *cp, const struct config *c,
		  const struct cp_rule *rules, size_t n, char *err,
		  size_t errlen)
{
	int rc = cp_dp_push_state(cp, c, rules, n, err, errlen);

	cp->dp.pushes++;
	if (rc)
		cp->dp.push_failures++;
	return rc;
}

/* ---- reload ---- */

static void audit_rule_changes(struct cp *cp, const struct cp_rule *old,
			       size_t nold, const struct cp_rule *new,
			       size_t nnew, const char *actor)
{
	for (int pass = 0; pass < 2; pass++) {
		const struct cp_rule *a = pass ? old : new,
				     *b = pass ? new : old;
		size_t na = pass ? nold : nnew, nb = pass ? nnew : nold;

		for (size_t i = 0; i < na; i++) {
			const struct cp_rule *m = NULL;
			char *ja, *jb = NULL;
			json_t *x;

			if (a[i].from_api)
				continue;
			for (size_t j = 0; j < nb && !m; j++)
				if (!b[j].from_api &&
				    !strcmp(a[i].r.id, b[j].r.id))
					m = &b[j];
			if (pass && m)
				continue; /* seen in the first pass */
			x = config_rule_to_json(&a[i].r);
			ja = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS);
			json_decref(x);
			if (m) {
				x = config_rule_to_json(&m->r);
				jb = json_dumps(x,
						JSON_COMPACT | JSON_SORT_KEYS);
				json_decref(x);
			}
			if (ja && (!m || (jb && strcmp(ja, jb)))) {
				struct store_audit e = {
					.actor = actor,
					.action = pass ? "delete"
						  : m  ? "update"
						       : "create",
					.object_type = STORE_OBJ_FIREWALL_RULE,
					.object_id = a[i].r.id,
					.before_json = pass ? ja : jb,
					.after_json = pass ? NULL : ja,
				};

				store_audit_add(cp->store, &e, NULL);
			}
			free(ja);
			free(jb);
		}
	}
}

int cp_reload(struct cp *cp, const char *actor, struct cp_reload_err *err)
{
	struct config *nc = NULL;
	struct config_err cerr;
	struct cp_rule *rules;
	struct auth *na = NULL;
	struct http_tls *nt = NULL;
	size_t n;
	char why[320];
	int rc, diff;

	cp->reloads++;
	rc = config_load_file(cp->config_path, cp->overrides, environ, &nc,
			      &cerr);
	if (rc) {
		snprintf(err->field, sizeof(err->field), "%s", cerr.path);
		err->line = cerr.line;
		config_err_format(&cerr, err->msg, sizeof(err->msg));
		rc = -EINVAL;
		goto fail;
	}
	rc = cp_build_auth(nc, &na, why, sizeof(why));
	if (rc) {
		snprintf(err->field, sizeof(err->field), "auth");
		snprintf(err->msg, sizeof(err->msg), "auth: %s", why);
		rc = -EINVAL;
		goto fail;
	}
	/* the certificate and key are read again on every reload, the paths
	 * changed or not: a renewal rewrites the same files */
	if (cp->http && http_server_is_tls(cp->http) && nc->tls.enabled) {
		rc = http_tls_load(nc->tls.cert_path, nc->tls.key_path,
				   nc->tls.min_version == CONFIG_TLS_1_2, &nt,
				   err->msg, sizeof(err->msg));
		if (rc) {
			snprintf(err->field, sizeof(err->field), "%s",
				 strstr(err->msg, "tls.key") ? "tls.key_path"
							     : "tls.cert_path");
			rc = -EINVAL;
			goto fail;
		}
	}
	rc = cp_desired_rules(cp, nc, &rules, &n, err->msg, sizeof(err->msg));
	if (rc) {
		rc = -EINVAL;
		goto fail;
	}
	/* one transaction: a refused state leaves the kernel as it was */
	rc = cp_push_state(cp, nc, rules, n, err->msg, sizeof(err->msg));
	if (rc) {
		free(rules);
		goto fail;
	}
	diff = config_diff(cp->cfg, nc);
	if (diff > 0 && (diff & (CONFIG_DIFF_AGENT | CONFIG_DIFF_API)))
		log_msg(LOG_WARNING,
			"reload: agent and api changes take effect at the next start");
	if (diff > 0 && (diff & CONFIG_DIFF_TLS) && !nt)
		log_msg(LOG_WARNING,
			"reload: turning TLS on or off takes effect at the next start");
	if (nc->audit.enabled) {
		audit_rule_changes(cp, cp->rules, cp->nrules, rules, n, actor);
		struct store_audit e = {.actor = actor,
					.action = "reload",
					.object_type = "config",
					.object_id = cp->config_path};

		store_audit_add(cp->store, &e, NULL);
	}
	free(cp->rules);
	cp->rules = rules;
	cp->nrules = n;
	cp_dp_rules_changed(cp);
	auth_free(cp->auth);
	cp->auth = na;
	config_free(cp->cfg);
	cp->cfg = nc;
	if (nt) {
		http_server_set_tls(cp->http, nt);
		nt = NULL;
		log_msg(LOG_INFO,
			"TLS certificate and key reloaded (new connections)");
	}
	if (cp->http)
		http_server_set_auth_limits(cp->http, nc->auth.max_failures,
					    nc->auth.failure_window_secs,
					    nc->auth.lockout_secs);
	log_init("sentinel-cp", cp_log_level(nc->agent.log_level));
	log_msg(LOG_INFO, "configuration reloaded by %s: %zu rules", actor, n);
	cp->last_reload_error[0] = '\0';
	return 0;
fail:
	cp->reload_failures++;
	snprintf(cp->last_reload_error, sizeof(cp->last_reload_error), "%s",
		 err->msg);
	log_msg(LOG_ERR,
		"reload refused, still running the previous configuration: %s",
		err->msg);
	auth_free(na);
	http_tls_free(nt);
	config_free(nc);
	return rc;
}

void cp_state_free(struct cp *cp)
{
	store_close(cp->store);
	auth_free(cp->auth);
	json_decref(cp->dp.status);
	json_decref(cp->counters);
	cp_list_cache_free(&cp->rules_list);
	free(cp->rules);
	free(cp->kmap);
	config_free(cp->cfg);
	cp->store = NULL;
	cp->auth = NULL;
	cp->dp.status = cp->counters = NULL;
	cp->rules = NULL;
	cp->kmap = NULL;
	cp->cfg = NULL;
}

json_t *cp_config_json(struct cp *cp)
{
	return config_to_json(cp->cfg, true);
}
