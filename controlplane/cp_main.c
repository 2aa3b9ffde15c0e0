// SPDX-License-Identifier: GPL-2.0-only
/* sentinel-cp: the unprivileged control plane (configuration, store, API). */
#include <errno.h>
#include <fcntl.h>
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

/* ---- the loop ---- */

static void on_tick(uv_timer_t *t)
{
	struct cp *cp = t->data;
	bool need_push;
	char err[300];
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	if (cp_dp_refresh(cp, &need_push) == 0 && need_push) {
		if (cp_push_state(cp, cp->cfg, cp->rules, cp->nrules, err,
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

/* Size and FNV-1a (64 bits) hash of the file at path, symlinks followed: a
 * change detector for the watcher, not a security measure (whoever may
 * write the file chooses the configuration anyway).  -errno if unreadable. */
static int file_fingerprint(const char *path, uint64_t *ret_size,
			    uint64_t *ret_hash)
{
	uint64_t h = 0xcbf29ce484222325ull, n = 0;
	unsigned char buf[16384];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
		n += (uint64_t)r;
	}
	if (r < 0) {
		r = -errno;
		close(fd);
		return (int)r;
	}
	close(fd);
	*ret_size = n;
	*ret_hash = h;
	return 0;
}

/* Reload only when the content differs from what runs: a touch or a
 * rewrite with the same bytes (kubelet publishes every key again when any
 * key of the ConfigMap changes) reloads nothing.  A refused file stays
 * "different", so the next event tries it again.  SIGHUP and the API
 * reload unconditionally. */
static void on_debounced(uv_timer_t *t)
{
	struct cp *cp = t->data;
	struct cp_reload_err err;
	uint64_t size = 0, hash = 0;
	int rc = file_fingerprint(cp->config_path, &size, &hash);

	if (!rc && cp->config_fp_valid && size == cp->config_fp_size &&
	    hash == cp->config_fp_hash) {
		log_msg(LOG_DEBUG, "%s: content unchanged, no reload",
			cp->config_path);
		return;
	}
	log_msg(LOG_INFO, "%s changed: reloading", cp->config_path);
	if (cp_reload(cp, "file-watch", &err) == 0 && !rc) {
		cp->config_fp_valid = true;
		cp->config_fp_size = size;
		cp->config_fp_hash = hash;
	}
}

/*
 * Events for the file itself, and for the names kubelet's atomic writer
 * uses in a ConfigMap volume ("..data", "..data_tmp", "..<timestamp>"): it
 * swaps the content by renaming "..data" (sentinel.yaml ->
 * ..data/sentinel.yaml), an event that does not name the file.  Other names
 * are ignored: a busy directory (a log file beside the configuration)
 * would otherwise keep the settle timer from ever firing.
 */
static void on_watch(uv_fs_event_t *w, const char *filename, int events,
		     int status)
{
	struct cp *cp = w->data;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", cp->config_path);
	if (filename && strcmp(filename, basename(path)) &&
	    strncmp(filename, "..", 2))
		return;
	/* editors and kubelet write in several steps: settle for 300 ms */
	uv_timer_start(&cp->debounce, on_debounced, 300, 0);
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
	struct cp cp = {.config_path = DEFAULT_CONFIG, .overrides = &overrides};
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
	log_init("sentinel-cp", cp_log_level(cp.cfg->agent.log_level));

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
	rc = cp_build_auth(cp.cfg, &cp.auth, why, sizeof(why));
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
	rc = cp_desired_rules(&cp, cp.cfg, &cp.rules, &cp.nrules, why,
			      sizeof(why));
	if (rc) {
		log_msg(LOG_ERR, "%s", why);
		return 1;
	}
	cp_dp_rules_changed(&cp);
	rc = dpc_open(cp.cfg->agent.socket_dir, DP_TIMEOUT_MS, &cp.dpc);
	/* the loop never waits for sentinel-dp to come back: the 1 s tick
	 * finds it when it does */
	if (!rc)
		dpc_set_connect_wait(cp.dpc, 0);
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
		.authenticate = cp_authenticate,
		.routes = cp_routes,
		.nroutes = cp_nroutes,
		.ctx = &cp,
		.max_auth_failures = cp.cfg->auth.max_failures,
		.auth_window_secs = cp.cfg->auth.failure_window_secs,
		.auth_lockout_secs = cp.cfg->auth.lockout_secs,
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
	uv_timer_init(cp.loop, &cp.debounce);
	cp.debounce.data = &cp;
	/* the content running now: the watcher reloads when it differs */
	cp.config_fp_valid =
		file_fingerprint(cp.config_path, &cp.config_fp_size,
				 &cp.config_fp_hash) == 0;
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
	uv_close((uv_handle_t *)&cp.debounce, NULL);
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
	cp_state_free(&cp);
	return 0;
}
