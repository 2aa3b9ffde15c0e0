// SPDX-License-Identifier: GPL-2.0-only
/* sentinel-cp: the unprivileged control plane (configuration, store, API). */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cap-ng.h>

#include "auth.h"
#include "config.h"
#include "cp.h"
#include "cp_api.h"
#include "cp_dp.h"
#include "dpclient.h"
#include "http.h"
#include "log.h"
#include "store.h"

#define DEFAULT_CONFIG "/etc/sentinel/sentinel.yaml"
#define MAX_SETS       64
#define DP_TIMEOUT_MS  3000
#define TICK_MS	       1000
#define PURGE_EVERY_S  3600

extern char **environ;

static const char *sets[MAX_SETS];
static struct config_overrides overrides = {.set = sets};

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int log_level_of(enum config_log_level l)
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

static int build_auth(const struct config *c, struct auth **ret, char *why,
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

static int authenticate(void *ctx, const char *key, size_t klen,
			const char *authz, size_t alen,
			struct http_identity *ret, char *why, size_t whylen)
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

/* Configuration rules, then the API rules from the store; kernel ids from
 * the store.  -EEXIST (err names the id) when both define one id. */
static int desired_rules(struct cp *cp, const struct config *c,
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
	for (size_t i = 0; !rc && i < n; i++) {
		for (size_t j = 0; j < i; j++)
			if (!strcmp(v[i].r.id, v[j].r.id)) {
				snprintf(
					err, errlen,
					"rule id '%s' is defined both in the configuration and through the API",
					v[i].r.id);
				rc = -EEXIST;
				break;
			}
		if (!rc)
			rc = store_kernel_id(cp->store, v[i].r.id,
					     &v[i].kernel_id);
	}
	if (rc) {
		if (rc != -EEXIST)
			snprintf(err, errlen, "store: %s",
				 store_errmsg(cp->store));
		free(v);
		return rc;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int push_all(struct cp *cp, const struct config *c,
		    const struct config *prev, const struct cp_rule *rules,
		    size_t n, char *err, size_t errlen)
{
	int rc = cp_dp_push_rules(cp, rules, n, err, errlen);

	if (!rc)
		rc = cp_dp_push_settings(cp, c, prev, err, errlen);
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
	size_t n;
	char why[320];
	int rc, diff;

	cp->reloads++;
	rc = config_load_file(cp->config_path, &overrides, environ, &nc, &cerr);
	if (rc) {
		snprintf(err->field, sizeof(err->field), "%s", cerr.path);
		err->line = cerr.line;
		config_err_format(&cerr, err->msg, sizeof(err->msg));
		rc = -EINVAL;
		goto fail;
	}
	rc = build_auth(nc, &na, why, sizeof(why));
	if (rc) {
		snprintf(err->field, sizeof(err->field), "auth");
		snprintf(err->msg, sizeof(err->msg), "auth: %s", why);
		rc = -EINVAL;
		goto fail;
	}
	rc = desired_rules(cp, nc, &rules, &n, err->msg, sizeof(err->msg));
	if (rc) {
		rc = -EINVAL;
		goto fail;
	}
	rc = push_all(cp, nc, cp->cfg, rules, n, err->msg, sizeof(err->msg));
	if (rc) {
		/* the kernel kept its rule set if ReplaceRules was refused;
		 * put the old settings back in case only those failed */
		char e2[256];

		push_all(cp, cp->cfg, nc, cp->rules, cp->nrules, e2,
			 sizeof(e2));
		free(rules);
		goto fail;
	}
	diff = config_diff(cp->cfg, nc);
	if (diff > 0 &&
	    (diff & (CONFIG_DIFF_AGENT | CONFIG_DIFF_API | CONFIG_DIFF_TLS)))
		log_msg(LOG_WARNING,
			"reload: agent, api and tls changes take effect at the next start");
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
	log_init("sentinel-cp", log_level_of(nc->agent.log_level));
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
	config_free(nc);
	return rc;
}

json_t *cp_config_json(struct cp *cp)
{
	return config_to_json(cp->cfg, true);
}

/* ---- the loop ---- */

static void on_tick(uv_timer_t *t)
{
	struct cp *cp = t->data;
	bool need_push;
	char err[300];
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	if (cp_dp_refresh(cp, &need_push) == 0 && need_push) {
		if (push_all(cp, cp->cfg, NULL, cp->rules, cp->nrules, err,
			     sizeof(err)))
			log_msg(LOG_ERR, "pushing the desired state: %s", err);
		else
			log_msg(LOG_INFO, "desired state pushed: %zu rules",
				cp->nrules);
	}
	cp_dp_drain_events(cp, (uint64_t)cp->cfg->alerting.dedup_window_secs *
				       1000000000ull);
	if (now - cp->last_purge_ns > PURGE_EVERY_S * 1000000000ull) {
		size_t del = 0;

		cp->last_purge_ns = now;
		store_purge(cp->store,
			    (uint64_t)cp->cfg->audit.alerts_retention_days *
				    86400ull * 1000000000ull,
			    (uint64_t)cp->cfg->audit.retention_days * 86400ull *
				    1000000000ull,
			    &del);
		if (del)
			log_msg(LOG_INFO, "retention: %zu old records removed",
				del);
	}
}

static void on_events(uv_poll_t *p, int status, int events)
{
	struct cp *cp = p->data;

	cp_dp_drain_events(cp, (uint64_t)cp->cfg->alerting.dedup_window_secs *
				       1000000000ull);
}

static void on_signal(uv_signal_t *s, int sig)
{
	struct cp *cp = s->data;
	struct cp_reload_err err;

	if (sig == SIGHUP) {
		log_msg(LOG_INFO, "SIGHUP: reloading %s", cp->config_path);
		cp_reload(cp, "sighup", &err);
		return;
	}
	log_msg(LOG_INFO, "signal %d: stopping", sig);
	uv_stop(cp->loop);
}

static uv_timer_t debounce;

static void on_debounced(uv_timer_t *t)
{
	struct cp *cp = t->data;
	struct cp_reload_err err;

	log_msg(LOG_INFO, "%s changed: reloading", cp->config_path);
	cp_reload(cp, "file-watch", &err);
}

static void on_watch(uv_fs_event_t *w, const char *filename, int events,
		     int status)
{
	struct cp *cp = w->data;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", cp->config_path);
	if (filename && strcmp(filename, basename(path)))
		return;
	/* editors write in several steps: settle for 300 ms first */
	uv_timer_start(&debounce, on_debounced, 300, 0);
}

static bool is_loopback(const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* The route table: "METHOD PATH ROLE" lines (tests compare it with the
 * OpenAPI document and walk the role matrix with it). */
static void print_routes(void)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};

	for (size_t i = 0; i < cp_nroutes; i++)
		for (int m = 0; m < 4; m++)
			if (cp_routes[i].methods & (1 << m))
				printf("%s %s %s\n", methods[m],
				       cp_routes[i].pattern,
				       cp_routes[i].role
					       ? auth_role_name(
							 cp_routes[i].role)
					       : "public");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sentinel-cp [-c CONFIG] [-s KEY=VALUE...] [--check]\n"
		"  -c, --config FILE   the YAML configuration (default " DEFAULT_CONFIG
		")\n"
		"  -s, --set KEY=VALUE override a setting (e.g. api.port=9443); wins over\n"
		"                      SENTINEL_* environment variables and the file\n"
		"      --check         validate the configuration and exit\n"
		"      --routes        print the API's routes and their roles\n"
		"  -V, --version\n"
		"Reload: SIGHUP, an edit of the file, or POST /api/v1/config/reload.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"config", required_argument, NULL, 'c'},
		{"set", required_argument, NULL, 's'},
		{"check", no_argument, NULL, 'k'},
		{"routes", no_argument, NULL, 'r'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct cp cp = {.config_path = DEFAULT_CONFIG};
	struct http_opts ho = {0};
	struct config_err cerr;
	char why[320], path[PATH_MAX];
	bool check = false;
	int c, rc, fd;

	while ((c = getopt_long(argc, argv, "c:s:Vh", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			cp.config_path = optarg;
			break;
		case 's':
			if (overrides.n_set == MAX_SETS) {
				fprintf(stderr,
					"sentinel-cp: at most %d --set\n",
					MAX_SETS);
				return 2;
			}
			sets[overrides.n_set++] = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'r':
			print_routes();
			return 0;
		case 'V':
			printf("sentinel-cp %s\n", SENTINEL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	log_init("sentinel-cp", LOG_INFO);
	rc = config_load_file(cp.config_path, &overrides, environ, &cp.cfg,
			      &cerr);
	if (rc) {
		config_err_format(&cerr, why, sizeof(why));
		log_msg(LOG_ERR, "%s: %s", cp.config_path, why);
		return 1;
	}
	if (check) {
		printf("%s: valid (%zu rules)\n", cp.config_path,
		       cp.cfg->firewall.n_rules);
		config_free(cp.cfg);
		return 0;
	}
	log_init("sentinel-cp", log_level_of(cp.cfg->agent.log_level));

	/* no capabilities at all, whoever started us, and none to regain */
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH)) {
		capng_get_caps_process();
		if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
			log_msg(LOG_ERR, "cannot drop capabilities");
			return 1;
		}
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (geteuid() == 0)
		log_msg(LOG_WARNING,
			"running as root (without capabilities): run as the sentinel user");

	if (!cp.cfg->auth.enabled && !is_loopback(cp.cfg->api.bind_address) &&
	    !cp.cfg->api.allow_insecure_no_auth) {
		log_msg(LOG_ERR,
			"api.bind_address %s is not loopback and auth is disabled: enable auth or set api.allow_insecure_no_auth",
			cp.cfg->api.bind_address);
		return 1;
	}
	rc = build_auth(cp.cfg, &cp.auth, why, sizeof(why));
	if (rc) {
		log_msg(LOG_ERR, "auth: %s", why);
		return 1;
	}
	rc = store_open(cp.cfg->agent.state_dir, NULL, &cp.store, why,
			sizeof(why));
	if (rc) {
		log_msg(LOG_ERR, "store in %s: %s", cp.cfg->agent.state_dir,
			why);
		return 1;
	}
	rc = desired_rules(&cp, cp.cfg, &cp.rules, &cp.nrules, why,
			   sizeof(why));
	if (rc) {
		log_msg(LOG_ERR, "%s", why);
		return 1;
	}
	cp_dp_rules_changed(&cp);
	rc = dpc_open(cp.cfg->agent.socket_dir, DP_TIMEOUT_MS, &cp.dpc);
	if (!rc)
		rc = dpc_subscribe(cp.cfg->agent.socket_dir, &cp.sub);
	if (rc) {
		log_msg(LOG_ERR, "channels in %s: %s", cp.cfg->agent.socket_dir,
			strerror(-rc));
		return 1;
	}

	cp.loop = uv_default_loop();
	cp.start_ns = now_ns(CLOCK_MONOTONIC);
	ho = (struct http_opts){
		.addr = cp.cfg->api.bind_address,
		.port = cp.cfg->api.port,
		.tls = cp.cfg->tls.enabled,
		.cert_file = cp.cfg->tls.cert_path,
		.key_file = cp.cfg->tls.key_path,
		.allow_tls12 = cp.cfg->tls.min_version == CONFIG_TLS_1_2,
		.body_limit = cp.cfg->api.body_limit_bytes,
		.authenticate = authenticate,
		.routes = cp_routes,
		.nroutes = cp_nroutes,
		.ctx = &cp,
	};
	rc = http_server_new(cp.loop, &ho, &cp.http, why, sizeof(why));
	if (rc) {
		log_msg(LOG_ERR, "API: %s", why);
		return 1;
	}

	uv_timer_init(cp.loop, &cp.tick);
	cp.tick.data = &cp;
	uv_timer_start(&cp.tick, on_tick, 0, TICK_MS);
	fd = dpc_sub_fd(cp.sub);
	if (fd >= 0) {
		uv_poll_init(cp.loop, &cp.sub_poll, fd);
		cp.sub_poll.data = &cp;
		uv_poll_start(&cp.sub_poll, UV_READABLE, on_events);
	}
	uv_signal_init(cp.loop, &cp.sighup);
	uv_signal_init(cp.loop, &cp.sigterm);
	uv_signal_init(cp.loop, &cp.sigint);
	cp.sighup.data = cp.sigterm.data = cp.sigint.data = &cp;
	uv_signal_start(&cp.sighup, on_signal, SIGHUP);
	uv_signal_start(&cp.sigterm, on_signal, SIGTERM);
	uv_signal_start(&cp.sigint, on_signal, SIGINT);
	uv_timer_init(cp.loop, &debounce);
	debounce.data = &cp;
	snprintf(path, sizeof(path), "%s", cp.config_path);
	uv_fs_event_init(cp.loop, &cp.watch);
	cp.watch.data = &cp;
	if (uv_fs_event_start(&cp.watch, on_watch, dirname(path), 0))
		log_msg(LOG_WARNING,
			"cannot watch %s: reload with SIGHUP or the API",
			cp.config_path);

	log_msg(LOG_INFO,
		"ready: API on https://%s:%d, %zu rules, sentinel-dp at %s",
		cp.cfg->api.bind_address, http_server_port(cp.http), cp.nrules,
		cp.cfg->agent.socket_dir);
	sd_notify_state("READY=1");
	uv_run(cp.loop, UV_RUN_DEFAULT);
	sd_notify_state("STOPPING=1");

	uv_close((uv_handle_t *)&cp.tick, NULL);
	uv_close((uv_handle_t *)&debounce, NULL);
	uv_close((uv_handle_t *)&cp.sighup, NULL);
	uv_close((uv_handle_t *)&cp.sigterm, NULL);
	uv_close((uv_handle_t *)&cp.sigint, NULL);
	uv_close((uv_handle_t *)&cp.watch, NULL);
	if (fd >= 0)
		uv_close((uv_handle_t *)&cp.sub_poll, NULL);
	http_server_free(cp.http);
	/* finish the closes; open client connections do not hold up the exit */
	for (int i = 0; i < 8; i++)
		uv_run(cp.loop, UV_RUN_NOWAIT);
	dpc_sub_close(cp.sub);
	dpc_close(cp.dpc);
	store_close(cp.store);
	auth_free(cp.auth);
	json_decref(cp.dp.status);
	free(cp.rules);
	free(cp.kmap);
	config_free(cp.cfg);
	return 0;
}
