// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of sentinel-cp's REST handlers (cp_api.c) on a real
 * configuration, store and auth, with a stand-in sentinel-dp on the control
 * socket that checks every request with the real validator and compiler. */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "auth.h"
#include "config.h"
#include "control_fb.h"
#include "cp.h"
#include "cp_api.h"
#include "cp_dp.h"
#include "dp_cmd.h"
#include "dpclient.h"
#include "fb.h"
#include "fw.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "tap.h"

#define KEY_ADMIN    "sk-test-admin-key-0001"
#define KEY_OPERATOR "sk-test-operator-key-01"
#define KEY_VIEWER   "sk-test-viewer-key-0001"
#define IFNAME	     "veth-test"
#define PROG_ID	     42
#define T0	     1700000000ull /* 2023-11-14T22:13:20Z */
#define SEC	     1000000000ull

static int checks;

#define CHECK(cond, fmt, ...)                                               \
	do {                                                                \
		checks++;                                                   \
		if (!(cond))                                                \
			tap_fail("line %d: " fmt, __LINE__, ##__VA_ARGS__); \
	} while (0)

/* ---- the stand-in sentinel-dp ---- */

enum peer_mode {
	PEER_OK,     /* serve like sentinel-dp */
	PEER_REFUSE, /* refuse rule sets and states (code Failed) */
	PEER_SILENT, /* read requests and never answer */
};

/* One request as the peer decoded it (arrays owned). */
struct peer_req {
	int kind;   /* enum sentinel_Command */
	bool valid; /* dp_cmd_decode accepted it */
	struct dp_rule *rules;
	size_t nrules;
	struct dp_mgmt *mgmt;
	size_t nmgmt;
	struct dp_ifset *ifsets;
	size_t nifsets;
	uint8_t policy;
	bool dry_run;
};

struct peer {
	char url[400];
	nng_socket s;
	pthread_t th;
	bool running;
	pthread_mutex_t mu; /* guards everything below */
	enum peer_mode mode;
	bool attached; /* the one attachment carries the program */
	uint64_t start_ns;
	uint32_t kernel_rules; /* rules of the last set it accepted */
	struct sentinel_RuleCounter counters[8];
	size_t ncounters;
	struct peer_req *reqs;
	size_t nreqs, cap;
	size_t invalid; /* requests dp_cmd_decode refused, over the run */
};

static struct peer peer = {.mu = PTHREAD_MUTEX_INITIALIZER};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static uint32_t str(struct fb_builder *b, const char *s)
{
	return fb_create_string(b, s, strlen(s));
}

/* As dp_exec.c's reply_ok: code Ok and an optional result. */
static int reply_ok(struct fb_builder *b, uint64_t id, int rtype,
		    uint32_t result)
{
	sentinel_Reply_start(b);
	sentinel_Reply_add_id(b, id);
	sentinel_Reply_add_code(b, sentinel_Code_Ok);
	sentinel_Reply_add_result(b, rtype, result);
	return sentinel_Reply_finish(b, sentinel_Reply_end(b));
}

/* A rule set as sentinel-dp compiles it: interface names resolved (absent
 * ones match nothing), then the real compiler. */
static int peer_rules(struct fb_builder *b, const struct dp_cmd *c,
		      struct dp_err *err)
{
	struct fw_rule *r = calloc(c->nrules ? c->nrules : 1, sizeof(*r));
	struct fw_set_info info;
	struct fw_set *set = NULL;
	uint32_t res;
	int rc;

	if (!r)
		return dp_err_set(err, -ENOMEM, sentinel_Code_Failed, "",
				  "out of memory");
	for (size_t i = 0; i < c->nrules; i++) {
		r[i] = c->rules[i].r;
		if (c->rules[i].ifname[0]) {
			r[i].ifindex = if_nametoindex(c->rules[i].ifname);
			if (!r[i].ifindex)
				r[i].ifindex = DP_IFNAME_NONE;
		}
	}
	rc = fw_set_compile(r, c->nrules, &set, err->msg, sizeof(err->msg));
	free(r);
	if (rc) {
		err->code = rc == -E2BIG ? sentinel_Code_TooLarge
					 : sentinel_Code_Invalid;
		snprintf(err->field, sizeof(err->field), "rules");
		return rc;
	}
	fw_set_info(set, &info);
	fw_set_free(set);
	fb_builder_reset(b);
	sentinel_RulesResult_start(b);
	sentinel_RulesResult_add_rules(b, info.rules);
	sentinel_RulesResult_add_entries4(b, info.entries4);
	sentinel_RulesResult_add_entries6(b, info.entries6);
	sentinel_RulesResult_add_tuples4(b, info.tuples4);
	sentinel_RulesResult_add_tuples6(b, info.tuples6);
	res = sentinel_RulesResult_end(b);
	return reply_ok(b, c->id, sentinel_Result_RulesResult, res);
}

static int peer_status(struct peer *p, struct fb_builder *b, uint64_t id)
{
	uint32_t name, why = 0, att, avec, ver, res;

	fb_builder_reset(b);
	name = str(b, IFNAME);
	if (!p->attached)
		why = str(b, "another XDP program holds the interface");
	sentinel_Attachment_start(b);
	sentinel_Attachment_add_interface(b, name);
	sentinel_Attachment_add_ifindex(b, 7);
	sentinel_Attachment_add_mode(b, sentinel_XdpMode_Native);
	sentinel_Attachment_add_link_id(b, p->attached ? 9 : 0);
	sentinel_Attachment_add_prog_id(b, p->attached ? PROG_ID : 0);
	if (why)
		sentinel_Attachment_add_error(b, why);
	att = sentinel_Attachment_end(b);
	avec = fb_create_ref_vector(b, &att, 1);
	ver = str(b, "test-peer");
	sentinel_StatusResult_start(b);
	sentinel_StatusResult_add_version(b, ver);
	sentinel_StatusResult_add_prog_id(b, PROG_ID);
	sentinel_StatusResult_add_uptime_ms(b, (mono_ns() - p->start_ns) /
						       1000000);
	sentinel_StatusResult_add_attachments(b, avec);
	sentinel_StatusResult_add_rules(b, p->kernel_rules);
	res = sentinel_StatusResult_end(b);
	return reply_ok(b, id, sentinel_Result_StatusResult, res);
}

static int peer_counters(struct peer *p, struct fb_builder *b, uint64_t id)
{
	static const char *const names[] = {"pass", "drop"};
	uint32_t refs[2], gvec, rvec, evs, res;

	fb_builder_reset(b);
	for (int i = 0; i < 2; i++) {
		uint32_t n = str(b, names[i]);

		sentinel_Counter_start(b);
		sentinel_Counter_add_name(b, n);
		sentinel_Counter_add_packets(b, 100 + i);
		sentinel_Counter_add_bytes(b, 6400 + i);
		refs[i] = sentinel_Counter_end(b);
	}
	gvec = fb_create_ref_vector(b, refs, 2);
	rvec = sentinel_CountersResult_rules_create(b, p->counters,
						    p->ncounters);
	sentinel_EventStats_start(b);
	evs = sentinel_EventStats_end(b);
	sentinel_CountersResult_start(b);
	sentinel_CountersResult_add_global(b, gvec);
	sentinel_CountersResult_add_rules(b, rvec);
	sentinel_CountersResult_add_events(b, evs);
	res = sentinel_CountersResult_end(b);
	return reply_ok(b, id, sentinel_Result_CountersResult, res);
}

/* Keep what c asked for (its arrays move into the record). */
static void peer_record(struct peer *p, struct dp_cmd *c, bool valid,
			const struct dp_err *err)
{
	struct peer_req *q;

	if (!valid) {
		p->invalid++;
		fprintf(stderr, "# refused by dp_cmd_decode: %s: %s\n",
			err->field, err->msg);
	}
	if (p->nreqs == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct peer_req *v = realloc(p->reqs, cap * sizeof(*v));

		if (!v)
			return;
		p->reqs = v;
		p->cap = cap;
	}
	q = &p->reqs[p->nreqs++];
	memset(q, 0, sizeof(*q));
	q->kind = c->kind;
	q->valid = valid;
	q->rules = c->rules;
	q->nrules = c->nrules;
	q->mgmt = c->mgmt;
	q->nmgmt = c->nmgmt;
	q->ifsets = c->ifsets;
	q->nifsets = c->nifsets;
	q->policy = c->policy;
	q->dry_run = c->enabled;
	c->rules = NULL;
	c->mgmt = NULL;
	c->ifsets = NULL;
	c->nrules = c->nmgmt = c->nifsets = 0;
}

/* One request, as dp_main.c's serve_one and dp_exec.c would answer it. */
static void peer_serve(struct peer *p, nng_msg *m, struct fb_builder *b)
{
	struct dp_cmd c;
	struct dp_err err = {0};
	const void *data;
	nng_msg *rep;
	size_t len;
	int rc;

	rc = dp_cmd_decode(nng_msg_body(m), nng_msg_len(m), &c, &err);
	nng_msg_free(m);
	pthread_mutex_lock(&p->mu);
	if (rc) {
		c.kind = -1;
		peer_record(p, &c, false, &err);
		rc = dp_reply_error(b, c.id, &err);
	} else if (p->mode == PEER_SILENT) {
		peer_record(p, &c, true, NULL);
		dp_cmd_clear(&c);
		pthread_mutex_unlock(&p->mu);
		return;
	} else if (c.kind == sentinel_Command_ReplaceRules ||
		   c.kind == sentinel_Command_ApplyState) {
		if (p->mode == PEER_REFUSE)
			rc = dp_err_set(&err, -EPERM, sentinel_Code_Failed, "",
					"the kernel said no (test)");
		else
			rc = peer_rules(b, &c, &err);
		if (rc)
			rc = dp_reply_error(b, c.id, &err);
		else
			p->kernel_rules = c.nrules;
		peer_record(p, &c, true, NULL);
	} else {
		if (c.kind == sentinel_Command_GetStatus)
			rc = peer_status(p, b, c.id);
		else if (c.kind == sentinel_Command_GetCounters)
			rc = peer_counters(p, b, c.id);
		else {
			fb_builder_reset(b);
			rc = reply_ok(b, c.id, sentinel_Result_NONE, 0);
		}
		peer_record(p, &c, true, NULL);
	}
	pthread_mutex_unlock(&p->mu);
	dp_cmd_clear(&c);
	if (rc || !(data = fb_builder_data(b, &len)))
		return;
	if (nng_msg_alloc(&rep, len))
		return;
	memcpy(nng_msg_body(rep), data, len);
	if (nng_sendmsg(p->s, rep, 0))
		nng_msg_free(rep);
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	struct fb_builder b;
	nng_msg *m;

	fb_builder_init(&b);
	while (nng_recvmsg(p->s, &m, 0) == 0)
		peer_serve(p, m, &b);
	fb_builder_free(&b);
	return NULL;
}

/* Listen on <dir>/ctl.sock as sentinel-dp does (a restart: a new uptime). */
static int peer_start(struct peer *p)
{
	int rv = nng_rep0_open(&p->s);

	if (!rv)
		rv = nng_socket_set_size(p->s, NNG_OPT_RECVMAXSZ,
					 DP_MAX_REQUEST);
	if (!rv)
		rv = nng_listen(p->s, p->url, NULL, 0);
	if (rv) {
		fprintf(stderr, "peer: %s: %s\n", p->url, nng_strerror(rv));
		nng_close(p->s);
		return -1;
	}
	p->start_ns = mono_ns();
	if (pthread_create(&p->th, NULL, peer_main, p)) {
		nng_close(p->s);
		return -1;
	}
	p->running = true;
	return 0;
}

static void peer_stop(struct peer *p)
{
	if (!p->running)
		return;
	nng_close(p->s);
	pthread_join(p->th, NULL);
	p->running = false;
}

static void peer_clear(struct peer *p)
{
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->nreqs; i++) {
		free(p->reqs[i].rules);
		free(p->reqs[i].mgmt);
		free(p->reqs[i].ifsets);
	}
	p->nreqs = 0;
	pthread_mutex_unlock(&p->mu);
}

static void peer_set(enum peer_mode mode)
{
	pthread_mutex_lock(&peer.mu);
	peer.mode = mode;
	pthread_mutex_unlock(&peer.mu);
}

/* Requests of this kind since the last peer_clear (-1: every kind). */
static size_t peer_count(int kind)
{
	size_t n = 0;

	pthread_mutex_lock(&peer.mu);
	for (size_t i = 0; i < peer.nreqs; i++)
		n += kind < 0 || peer.reqs[i].kind == kind;
	pthread_mutex_unlock(&peer.mu);
	return n;
}

/* The last request of this kind (stable until peer_clear), or NULL. */
static const struct peer_req *peer_last(int kind)
{
	const struct peer_req *q = NULL;

	pthread_mutex_lock(&peer.mu);
	for (size_t i = 0; i < peer.nreqs; i++)
		if (peer.reqs[i].kind == kind)
			q = &peer.reqs[i];
	pthread_mutex_unlock(&peer.mu);
	return q;
}

static const struct dp_rule *req_rule(const struct peer_req *q, uint32_t kid)
{
	for (size_t i = 0; q && i < q->nrules; i++)
		if (q->rules[i].r.id == kid)
			return &q->rules[i];
	return NULL;
}

/* ---- sentinel-cp, as cp_main.c's main() builds it ---- */

static struct cp cp;
static struct dpc *dpc_long, *dpc_short; /* 3 s and 300 ms answers */
static char base[256], cfg_path[300];
static struct http_identity who_admin, who_oper, who_viewer;

static int rm_one(const char *p, const struct stat *sb, int type, struct FTW *f)
{
	return remove(p);
}

static void cleanup(void)
{
	if (base[0])
		nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	base[0] = '\0';
}

/* meson's timeout sends SIGTERM: the temporary files go too */
static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("Bail out! ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	exit(1); /* cleanup() runs at exit */
}

/* The configuration file: agent and api as always, then the firewall and
 * auth sections given. */
static void write_config(const char *firewall, const char *auth)
{
	FILE *f = fopen(cfg_path, "w");

	if (!f)
		die("%s: %s", cfg_path, strerror(errno));
	fprintf(f,
		"# test configuration\n"
		"agent:\n"
		"  interfaces: [" IFNAME "]\n"
		"  socket_dir: %s/sock\n"
		"  state_dir: %s/state\n"
		"alerting:\n"
		"  dedup_window_secs: 60\n"
		"%s%s",
		base, base, firewall, auth);
	if (fclose(f))
		die("%s: %s", cfg_path, strerror(errno));
}

/* The line of the first occurrence of marker in the file as written. */
static int line_of(const char *marker)
{
	char buf[65536];
	FILE *f = fopen(cfg_path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	const char *at;
	int line = 1;

	if (f)
		fclose(f);
	buf[n] = '\0';
	at = strstr(buf, marker);
	if (!at)
		return -1;
	for (const char *s = buf; s < at; s++)
		line += *s == '\n';
	return line;
}

static const char AUTH_ALL[] =
	"auth:\n"
	"  enabled: true\n"
	"  api_keys:\n"
	"    - {name: t-admin, key: \"" KEY_ADMIN "\", role: admin}\n"
	"    - {name: t-operator, key: \"" KEY_OPERATOR "\", role: operator}\n"
	"    - {name: t-viewer, key: \"" KEY_VIEWER "\", role: viewer}\n";
/* the viewer's key is withdrawn by the reload */
static const char AUTH_NO_VIEWER[] =
	"auth:\n"
	"  enabled: true\n"
	"  api_keys:\n"
	"    - {name: t-admin, key: \"" KEY_ADMIN "\", role: admin}\n"
	"    - {name: t-operator, key: \"" KEY_OPERATOR "\", role: operator}\n";

static const char FW_V1[] =
	"firewall:\n"
	"  default_policy: pass\n"
	"  anti_lockout:\n"
	"    sources: [192.0.2.0/24]\n"
	"    ports: [22]\n"
	"  rules:\n"
	"    - {id: cfg-ssh, priority: 10, action: allow, protocol: tcp, dst_port: 22}\n"
	"    - {id: cfg-deny-7002, priority: 20, action: deny, protocol: udp, dst_port: 7002}\n";

/* v1 edited: one rule changed, one removed, one added; default drop; a
 * second anti-lockout source and port; an interface of its own */
static const char FW_V2[] =
	"firewall:\n"
	"  default_policy: drop\n"
	"  anti_lockout:\n"
	"    sources: [192.0.2.0/24, \"2001:db8::/32\"]\n"
	"    ports: [22, 8443]\n"
	"  interface_policies:\n"
	"    - {interface: " IFNAME ", default_policy: pass, dry_run: true}\n"
	"  rules:\n"
	"    - {id: cfg-deny-7002, priority: 20, action: deny, protocol: udp, dst_port: 7012}\n"
	"    - {id: cfg-deny-7003, priority: 21, action: reject, protocol: tcp, src_ip: 10.0.0.0/8, dst_port: \"7003-7004\"}\n";

static int login(const char *key, struct http_identity *ret)
{
	char why[160];

	memset(ret, 0, sizeof(*ret));
	return cp_authenticate(&cp, key, strlen(key), NULL, 0, ret, why,
			       sizeof(why));
}

/* What main() does before the loop runs. */
static void cp_setup(void)
{
	struct config_err cerr;
	char why[320];
	int rc;

	write_config(FW_V1, AUTH_ALL);
	cp.config_path = cfg_path;
	rc = config_load_file(cfg_path, NULL, NULL, &cp.cfg, &cerr);
	if (rc) {
		config_err_format(&cerr, why, sizeof(why));
		die("config: %s", why);
	}
	if (cp_build_auth(cp.cfg, &cp.auth, why, sizeof(why)))
		die("auth: %s", why);
	if (store_open(cp.cfg->agent.state_dir, NULL, &cp.store, why,
		       sizeof(why)))
		die("store: %s", why);
	if (cp_desired_rules(&cp, cp.cfg, &cp.rules, &cp.nrules, why,
			     sizeof(why)))
		die("rules: %s", why);
	cp_dp_rules_changed(&cp);
	if (dpc_open(cp.cfg->agent.socket_dir, 3000, &dpc_long) ||
	    dpc_open(cp.cfg->agent.socket_dir, 300, &dpc_short))
		die("dpc_open");
	cp.dpc = dpc_long;
	cp.start_ns = mono_ns();
	if (login(KEY_ADMIN, &who_admin) || login(KEY_OPERATOR, &who_oper) ||
	    login(KEY_VIEWER, &who_viewer))
		die("the configured keys are refused");
}

static void cp_teardown(void)
{
	dpc_close(dpc_long);
	dpc_close(dpc_short);
	cp_state_free(&cp);
}

/* One turn of cp_main.c's 1 s tick: status, and the whole state pushed
 * when sentinel-dp is new or restarted.  1 pushed, 0 not, -errno. */
static int tick(void)
{
	bool need = false;
	char err[300];
	int rc = cp_dp_refresh(&cp, &need);

	if (rc || !need)
		return rc;
	rc = cp_push_state(&cp, cp.cfg, cp.rules, cp.nrules, err, sizeof(err));
	return rc ? rc : 1;
}

/* ---- requests through the route table, as http.c's on_req() ---- */

static struct http_response R; /* the last answer */

static bool route_match(const char *pat, const char *path, size_t plen,
			const char **param, size_t *param_len)
{
	const char *p = pat, *s = path, *end = path + plen;

	*param = NULL;
	*param_len = 0;
	while (*p) {
		if (*p == '{') {
			const char *seg = memchr(s, '/', end - s);

			if (!seg)
				seg = end;
			if (seg == s)
				return false;
			*param = s;
			*param_len = seg - s;
			s = seg;
			p = strchr(p, '}') + 1;
			continue;
		}
		if (s == end || *p != *s)
			return false;
		p++;
		s++;
	}
	return s == end;
}

static const struct http_route *route_find(int method, const char *path,
					   size_t plen, const char **param,
					   size_t *param_len)
{
	for (size_t i = 0; i < cp_nroutes; i++)
		if ((cp_routes[i].methods & method) &&
		    route_match(cp_routes[i].pattern, path, plen, param,
				param_len))
			return &cp_routes[i];
	return NULL;
}

static int method_of(const char *m)
{
	return !strcmp(m, "GET")      ? HTTP_GET
	       : !strcmp(m, "POST")   ? HTTP_POST
	       : !strcmp(m, "DELETE") ? HTTP_DELETE
				      : HTTP_PUT;
}

static void resp_clear(void)
{
	json_decref(R.body);
	if (!R.raw_borrowed)
		free(R.raw);
	memset(&R, 0, sizeof(R));
}

/* Call the handler of "METHOD target" with body (stolen; NULL = none) as
 * who; a role below the route's answers 403 as the server would.  Returns
 * the status; the answer is in R until the next call. */
static int api_json(const char *method, const char *target, json_t *body,
		    const struct http_identity *who)
{
	const char *q = strchr(target, '?'), *param = NULL;
	size_t plen = q ? (size_t)(q - target) : strlen(target), param_len = 0;
	int m = method_of(method);
	const struct http_route *r =
		route_find(m, target, plen, &param, &param_len);
	struct http_request rq = {
		.method = m,
		.path = target,
		.path_len = plen,
		.param = param,
		.param_len = param_len,
		.query = q ? q + 1 : NULL,
		.query_len = q ? strlen(q + 1) : 0,
		.body = body,
		.who = who,
	};

	resp_clear();
	if (!r) {
		tap_fail("no route for %s %s", method, target);
		json_decref(body);
		return -1;
	}
	if (who->role < r->role) {
		http_error(&R, 403, NULL, "%s may not do this (role too low)",
			   who->name);
	} else {
		R.status = 200;
		r->fn(&cp, &rq, &R);
	}
	/* a JSON answer prepared as text (a cached listing): read it as a
	 * client would */
	if (!R.body && R.raw && !R.content_type) {
		R.body = json_loadb(R.raw, R.raw_len, 0, NULL);
		if (!R.body)
			tap_fail("%s %s: a JSON answer that does not parse",
				 method, target);
	}
	json_decref(body);
	return R.status;
}

static int api(const char *method, const char *target, const char *body,
	       const struct http_identity *who)
{
	json_error_t je;
	json_t *j = NULL;

	if (body) {
		j = json_loads(body, JSON_REJECT_DUPLICATES, &je);
		if (!j) {
			tap_fail("test body does not parse: %s", je.text);
			resp_clear();
			return -1;
		}
	}
	return api_json(method, target, j, who);
}

/* The value at path ("error.field", "rules[2].hits.packets") or NULL. */
static json_t *jat(json_t *j, const char *path)
{
	char key[128];

	while (j && *path) {
		size_t n = strcspn(path, ".[");

		if (n) {
			snprintf(key, sizeof(key), "%.*s", (int)n, path);
			j = json_object_get(j, key);
			path += n;
		} else if (*path == '[') {
			j = json_array_get(j, strtoul(path + 1, NULL, 10));
			path = strchr(path, ']') + 1;
		}
		if (*path == '.')
			path++;
	}
	return j;
}

static const char *jstr(const char *path)
{
	const char *s = json_string_value(jat(R.body, path));

	return s ? s : "(none)";
}

static long long jint(const char *path)
{
	json_t *v = jat(R.body, path);

	return json_is_integer(v) ? json_integer_value(v) : -999999;
}

static char *dump(const json_t *j)
{
	static char buf[8192];
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
					    JSON_ENCODE_ANY)
		    : NULL;

	snprintf(buf, sizeof(buf), "%s", s ? s : "(null)");
	free(s);
	return buf;
}

/* R's body equals the JSON text want (keys in any order). */
#define CHECK_BODY(want)                                               \
	do {                                                           \
		json_t *w_ = json_loads(want, 0, NULL);                \
		CHECK(w_ &&json_equal(w_, R.body), "body %s, want %s", \
		      dump(R.body), want);                             \
		json_decref(w_);                                       \
	} while (0)
#define CHECK_STR(path, want)                                          \
	CHECK(!strcmp(jstr(path), want), "%s = '%s', want '%s'", path, \
	      jstr(path), want)
#define CHECK_INT(path, want)                                                \
	CHECK(jint(path) == (long long)(want), "%s = %lld, want %lld", path, \
	      jint(path), (long long)(want))
#define CHECK_STATUS(call, want)                                           \
	do {                                                               \
		int st_ = (call);                                          \
		CHECK(st_ == (want), "%s: status %d, want %d (%s)", #call, \
		      st_, want, dump(R.body));                            \
	} while (0)
/* GET target as a viewer: a 400 naming field */
#define CHECK_BAD_QUERY(target, field)                                    \
	do {                                                              \
		CHECK_STATUS(api("GET", target, NULL, &who_viewer), 400); \
		CHECK_STR("error.field", field);                          \
	} while (0)

static uint32_t kid_of(const char *rule_id)
{
	uint32_t k = 0;

	if (store_kernel_id_lookup(cp.store, rule_id, &k))
		return 0;
	return k;
}

static int found_cb(const struct store_rule *r, void *arg)
{
	return 0;
}

static bool stored(const char *rule_id)
{
	return store_rule_get(cp.store, rule_id, found_cb, NULL) == 0;
}

static size_t stored_count(void)
{
	size_t n = 0;

	store_rules_list(cp.store, found_cb, NULL, &n);
	return n;
}

static bool listed(const char *rule_id)
{
	for (size_t i = 0; i < cp.nrules; i++)
		if (!strcmp(cp.rules[i].r.id, rule_id))
			return true;
	return false;
}

/* ---- the cases ---- */

static void t_routes(void)
{
	static const struct {
		int method;
		const char *pattern;
		int role;
	} want[] = {
		{HTTP_GET, "/healthz", 0},
		{HTTP_GET, "/readyz", 0},
		{HTTP_GET, "/api-docs/openapi.json", 0},
		{HTTP_GET, "/metrics", AUTH_ROLE_VIEWER},
		{HTTP_GET, "/api/v1/agent/status", AUTH_ROLE_VIEWER},
		{HTTP_GET, "/api/v1/ebpf/status", AUTH_ROLE_VIEWER},
		{HTTP_GET, "/api/v1/firewall/rules", AUTH_ROLE_VIEWER},
		{HTTP_POST, "/api/v1/firewall/rules", AUTH_ROLE_OPERATOR},
		{HTTP_DELETE, "/api/v1/firewall/rules/{id}", AUTH_ROLE_ADMIN},
		{HTTP_GET, "/api/v1/alerts", AUTH_ROLE_VIEWER},
		{HTTP_POST, "/api/v1/alerts/{id}/false-positive",
		 AUTH_ROLE_OPERATOR},
		{HTTP_GET, "/api/v1/audit/logs", AUTH_ROLE_VIEWER},
		{HTTP_GET, "/api/v1/audit/rules/{id}/history",
		 AUTH_ROLE_VIEWER},
		{HTTP_GET, "/api/v1/config", AUTH_ROLE_VIEWER},
		{HTTP_POST, "/api/v1/config/reload", AUTH_ROLE_ADMIN},
	};
	size_t n = sizeof(want) / sizeof(want[0]);

	CHECK(cp_nroutes == n, "%zu routes, the README lists %zu", cp_nroutes,
	      n);
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t j = 0; j < cp_nroutes; j++)
			if (!strcmp(cp_routes[j].pattern, want[i].pattern) &&
			    cp_routes[j].methods == want[i].method) {
				found = true;
				CHECK(cp_routes[j].role == want[i].role,
				      "%s: role %d, want %d", want[i].pattern,
				      cp_routes[j].role, want[i].role);
				CHECK(cp_routes[j].fn, "%s: no handler",
				      want[i].pattern);
			}
		CHECK(found, "no route %d %s", want[i].method, want[i].pattern);
	}
	tap_end("route table: every endpoint with its role");
}

static void t_before_connect(void)
{
	struct http_identity anon = {0};

	CHECK_STATUS(api("GET", "/healthz", NULL, &anon), 200);
	CHECK_BODY("{\"status\":\"ok\"}");
	CHECK_STATUS(api("GET", "/readyz", NULL, &anon), 503);
	CHECK_BODY("{\"status\":\"not_ready\",\"ebpf_loaded\":false,"
		   "\"dataplane_connected\":false,"
		   "\"reason\":\"sentinel-dp is not connected\"}");
	CHECK(peer_count(-1) == 0, "%zu requests before the first tick",
	      peer_count(-1));
	tap_end("healthz 200 and readyz 503 before sentinel-dp answered");
}

static void t_first_push(void)
{
	const struct peer_req *q;
	const struct dp_rule *r;
	uint32_t k1 = kid_of("cfg-ssh"), k2 = kid_of("cfg-deny-7002");
	int rc = tick();

	CHECK(rc == 1, "first tick: %d, want 1 (state pushed)", rc);
	CHECK(peer_count(sentinel_Command_GetStatus) == 1 &&
		      peer_count(sentinel_Command_ApplyState) == 1 &&
		      peer_count(-1) == 2,
	      "%zu requests, want GetStatus then ApplyState", peer_count(-1));
	q = peer_last(sentinel_Command_ApplyState);
	CHECK(k1 && k2 && k1 != k2, "kernel ids %u %u", k1, k2);
	CHECK(q && q->nrules == 2, "%zu rules pushed, want 2",
	      q ? q->nrules : 0);
	r = req_rule(q, k1);
	CHECK(r && r->r.action == CONFIG_ACTION_ALLOW && r->r.proto == 6 &&
		      r->r.dport.lo == 22 && r->r.dport.hi == 22 &&
		      r->r.priority == 10,
	      "cfg-ssh as pushed");
	r = req_rule(q, k2);
	CHECK(r && r->r.action == CONFIG_ACTION_DENY && r->r.proto == 17 &&
		      r->r.dport.lo == 7002 && r->r.priority == 20,
	      "cfg-deny-7002 as pushed");
	CHECK(q && q->policy == sentinel_Policy_Pass && !q->dry_run &&
		      q->nifsets == 0,
	      "policy %d dry-run %d interfaces %zu", q ? q->policy : -1,
	      q ? q->dry_run : -1, q ? q->nifsets : 0);
	CHECK(q && q->nmgmt == 1 && q->mgmt[0].cidr.family == 4 &&
		      q->mgmt[0].cidr.plen == 24 &&
		      q->mgmt[0].cidr.addr[0] == htonl(0xc0000200) &&
		      q->mgmt[0].nports == 1 && q->mgmt[0].ports[0] == 22,
	      "anti-lockout as pushed");
	CHECK(cp.dp.connected && cp.dp.attached && cp.dp.prog_id == PROG_ID,
	      "dp state %d %d %u", cp.dp.connected, cp.dp.attached,
	      cp.dp.prog_id);
	CHECK(tick() == 0, "second tick pushes nothing");
	CHECK(peer_count(sentinel_Command_ApplyState) == 1, "%zu ApplyState",
	      peer_count(sentinel_Command_ApplyState));
	CHECK_STATUS(api("GET", "/readyz", NULL, &who_viewer), 200);
	CHECK_BODY("{\"status\":\"ready\",\"ebpf_loaded\":true,"
		   "\"dataplane_connected\":true}");
	peer_clear(&peer);
	tap_end("first tick: the whole state in one ApplyState; readyz 200");
}

static void t_status(void)
{
	char want[512];

	CHECK_STATUS(api("GET", "/api/v1/agent/status", NULL, &who_viewer),
		     200);
	CHECK_STR("version", SENTINEL_VERSION);
	CHECK(json_is_string(jat(R.body, "hostname")), "hostname");
	CHECK(jint("uptime_seconds") >= 0 && jint("uptime_seconds") < 600,
	      "uptime %lld", jint("uptime_seconds"));
	CHECK(json_is_true(jat(R.body, "dataplane.connected")), "connected");
	CHECK(json_is_false(jat(R.body, "dataplane.adopted")), "adopted");
	CHECK_INT("dataplane.prog_id", PROG_ID);
	CHECK_INT("dataplane.rules_in_kernel", 2);
	CHECK_INT("rules_loaded", 2);
	CHECK(json_array_size(jat(R.body, "interfaces")) == 1, "interfaces");
	CHECK_STR("interfaces[0]", IFNAME);
	CHECK_STR("features[0]", "firewall");

	CHECK_STATUS(api("GET", "/api/v1/ebpf/status", NULL, &who_viewer), 200);
	snprintf(want, sizeof(want),
		 "{\"programs\":[{\"name\":\"sentinel_fw\",\"loaded\":true,"
		 "\"id\":%d,\"attachments\":[{\"interface\":\"%s\","
		 "\"ifindex\":7,\"mode\":\"native\",\"link_id\":9,"
		 "\"prog_id\":%d}]}]}",
		 PROG_ID, IFNAME, PROG_ID);
	CHECK_BODY(want);
	CHECK(peer_count(-1) == 0, "status handlers asked sentinel-dp (%zu)",
	      peer_count(-1));
	tap_end("agent/status and ebpf/status from sentinel-dp's status");
}

static void t_rules_list(void)
{
	uint32_t k1 = kid_of("cfg-ssh"), k2 = kid_of("cfg-deny-7002");
	char want[512];

	pthread_mutex_lock(&peer.mu);
	peer.counters[0] = (struct sentinel_RuleCounter){
		.rule_id = k2, .packets = 5, .bytes = 300};
	peer.ncounters = 1;
	pthread_mutex_unlock(&peer.mu);
	CHECK_STATUS(api("GET", "/api/v1/firewall/rules", NULL, &who_viewer),
		     200);
	CHECK_INT("count", 2);
	CHECK(json_array_size(jat(R.body, "rules")) == 2, "rules[]");
	snprintf(want, sizeof(want),
		 "{\"id\":\"cfg-ssh\",\"priority\":10,\"action\":\"allow\","
		 "\"protocol\":\"tcp\",\"dst_port\":22,\"dry_run\":false,"
		 "\"enabled\":true,\"source\":\"config\",\"kernel_id\":%u,"
		 "\"hits\":{\"packets\":0,\"bytes\":0}}",
		 k1);
	{
		json_t *w = json_loads(want, 0, NULL);

		CHECK(json_equal(w, jat(R.body, "rules[0]")), "rules[0] %s",
		      dump(jat(R.body, "rules[0]")));
		json_decref(w);
	}
	CHECK_STR("rules[1].id", "cfg-deny-7002");
	CHECK_INT("rules[1].kernel_id", k2);
	CHECK_INT("rules[1].hits.packets", 5);
	CHECK_INT("rules[1].hits.bytes", 300);
	CHECK(peer_count(sentinel_Command_GetCounters) == 1 &&
		      peer_count(-1) == 1,
	      "%zu requests, want one GetCounters", peer_count(-1));
	/* pages: the total in count, the window in limit and offset */
	CHECK_STATUS(
		api("GET", "/api/v1/firewall/rules?limit=1", NULL, &who_viewer),
		200);
	CHECK(json_array_size(jat(R.body, "rules")) == 1, "one rule a page");
	CHECK_INT("count", 2);
	CHECK_INT("limit", 1);
	CHECK_INT("offset", 0);
	CHECK_STR("rules[0].id", "cfg-ssh");
	CHECK_STATUS(api("GET", "/api/v1/firewall/rules?limit=1&offset=1", NULL,
			 &who_viewer),
		     200);
	CHECK_STR("rules[0].id", "cfg-deny-7002");
	CHECK_INT("rules[0].hits.packets", 5);
	CHECK_STATUS(api("GET", "/api/v1/firewall/rules?offset=2", NULL,
			 &who_viewer),
		     200);
	CHECK(json_array_size(jat(R.body, "rules")) == 0,
	      "past the end: no rules");
	CHECK_INT("count", 2);
	CHECK_INT("limit", 100);
	CHECK_BAD_QUERY("/api/v1/firewall/rules?limit=0", "limit");
	CHECK_BAD_QUERY("/api/v1/firewall/rules?offset=-1", "offset");
	peer_clear(&peer);
	tap_end("GET rules: configuration rules, kernel ids, hit counters, pages");
}

static uint32_t block_kid;

/* Every page (limit 1..n+1, offset 0..n+1) of the rules is the slice of
 * the whole listing it names, with the total in count. */
static void check_pages(void)
{
	json_t *all;
	size_t n;
	int bad = 0;

	CHECK_STATUS(api("GET", "/api/v1/firewall/rules", NULL, &who_viewer),
		     200);
	all = json_incref(json_object_get(R.body, "rules"));
	n = json_array_size(all);
	for (size_t lim = 1; lim <= n + 1; lim++)
		for (size_t off = 0; off <= n + 1; off++) {
			char t[96];
			json_t *got;

			snprintf(t, sizeof(t),
				 "/api/v1/firewall/rules?limit=%zu&offset=%zu",
				 lim, off);
			if (api("GET", t, NULL, &who_viewer) != 200) {
				bad++;
				continue;
			}
			got = json_object_get(R.body, "rules");
			bad += json_array_size(got) !=
			       (off < n ? (n - off < lim ? n - off : lim) : 0);
			for (size_t i = 0; i < json_array_size(got); i++)
				bad += !json_equal(
					json_array_get(got, i),
					json_array_get(all, off + i));
			bad += jint("count") != (long long)n;
		}
	CHECK(n >= 3 && bad == 0, "%zu rules: %d pages differ from the slice",
	      n, bad);
	json_decref(all);
}

static void t_rules_add(void)
{
	const struct peer_req *q;
	const struct dp_rule *r;
	char want[512];

	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"block-7000\",\"priority\":5,"
			 "\"action\":\"deny\",\"protocol\":\"udp\","
			 "\"dst_port\":7000}",
			 &who_viewer),
		     403);
	CHECK(peer_count(-1) == 0, "a viewer's POST reached sentinel-dp");
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"block-7000\",\"priority\":5,"
			 "\"action\":\"deny\",\"protocol\":\"udp\","
			 "\"dst_port\":7000}",
			 &who_oper),
		     201);
	block_kid = kid_of("block-7000");
	CHECK(block_kid && block_kid != kid_of("cfg-ssh") &&
		      block_kid != kid_of("cfg-deny-7002"),
	      "kernel id %u", block_kid);
	snprintf(want, sizeof(want),
		 "{\"id\":\"block-7000\",\"priority\":5,\"action\":\"deny\","
		 "\"protocol\":\"udp\",\"dst_port\":7000,\"dry_run\":false,"
		 "\"enabled\":true,\"source\":\"api\",\"kernel_id\":%u,"
		 "\"hits\":{\"packets\":0,\"bytes\":0}}",
		 block_kid);
	CHECK_BODY(want);
	CHECK(peer_count(sentinel_Command_ReplaceRules) == 1 &&
		      peer_count(-1) == 1,
	      "%zu requests, want one ReplaceRules", peer_count(-1));
	q = peer_last(sentinel_Command_ReplaceRules);
	CHECK(q && q->nrules == 3, "%zu rules sent, want 3", q ? q->nrules : 0);
	r = req_rule(q, block_kid);
	CHECK(r && r->r.action == CONFIG_ACTION_DENY && r->r.proto == 17 &&
		      r->r.dport.lo == 7000 && r->r.dport.hi == 7000 &&
		      r->r.sport.lo == 0 && r->r.sport.hi == 65535 &&
		      r->r.priority == 5 && r->r.src.family == 0 &&
		      !r->r.dry_run && !r->ifname[0],
	      "the new rule as sent (kernel id %u)", block_kid);
	CHECK(req_rule(q, kid_of("cfg-ssh")) &&
		      req_rule(q, kid_of("cfg-deny-7002")),
	      "the configuration's rules are in the set");
	CHECK(stored("block-7000"), "not in the store");
	CHECK(listed("block-7000") && cp.nrules == 3, "cp has %zu rules",
	      cp.nrules);
	CHECK(cp.dp.rules == 3, "rules in kernel %u", cp.dp.rules);
	peer_clear(&peer);

	/* the same id: from the API, and from the configuration */
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"block-7000\",\"action\":\"deny\"}",
			 &who_oper),
		     409);
	CHECK_STR("error.field", "id");
	CHECK_STR("error.message", "id: rule 'block-7000' exists");
	CHECK_INT("error.status", 409);
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"cfg-ssh\",\"action\":\"deny\"}",
			 &who_admin),
		     409);
	CHECK_STR("error.field", "id");
	CHECK(peer_count(-1) == 0, "a 409 reached sentinel-dp");

	/* what GET answers can be posted back (read-only fields dropped) */
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"echo-1\",\"priority\":7,\"action\":\"log\","
			 "\"protocol\":\"icmp\",\"icmp_type\":8,"
			 "\"src_ip\":\"198.51.100.0/24\",\"dry_run\":false,"
			 "\"enabled\":true,\"source\":\"config\","
			 "\"kernel_id\":99999,"
			 "\"hits\":{\"packets\":3,\"bytes\":4}}",
			 &who_oper),
		     201);
	CHECK_STR("source", "api");
	CHECK_INT("kernel_id", kid_of("echo-1"));
	CHECK(kid_of("echo-1") != 99999, "the posted kernel_id was used");
	CHECK_INT("hits.packets", 0);
	CHECK_STR("src_ip", "198.51.100.0/24");
	q = peer_last(sentinel_Command_ReplaceRules);
	r = req_rule(q, kid_of("echo-1"));
	CHECK(q && q->nrules == 4 && r && r->r.proto == 1 &&
		      r->r.icmp_type == 8 && r->r.icmp_code == -1 &&
		      r->r.src.family == 4 && r->r.src.plen == 24 &&
		      r->r.src.addr[0] == htonl(0xc6336400) &&
		      r->r.action == CONFIG_ACTION_LOG,
	      "echo-1 as sent");

	/* a disabled rule is kept, not enforced */
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"off-1\",\"action\":\"deny\","
			 "\"protocol\":\"tcp\",\"dst_port\":\"1000-2000\","
			 "\"enabled\":false}",
			 &who_oper),
		     201);
	CHECK_STR("dst_port", "1000-2000");
	q = peer_last(sentinel_Command_ReplaceRules);
	CHECK(q && q->nrules == 4 && !req_rule(q, kid_of("off-1")),
	      "the disabled rule was sent");
	CHECK(listed("off-1") && stored("off-1") && cp.nrules == 5,
	      "the disabled rule is not kept");
	check_pages();
	peer_clear(&peer);
	tap_end("POST rules: enforced before the 201, then stored; 409 for a "
		"taken id; every page a slice of the listing");
}

static void t_rules_bad(void)
{
	static const struct {
		const char *body, *field;
	} bad[] = {
		{"{\"id\":\"x\",\"action\":\"deny\",\"priority\":\"high\"}",
		 "priority"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"priority\":1.5}",
		 "priority"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"priority\":-1}",
		 "priority"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"priority\":4294967296}",
		 "priority"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"dry_run\":\"yes\"}",
		 "dry_run"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"enabled\":1}", "enabled"},
		{"{\"id\":\"x\",\"action\":5}", "action"},
		{"{\"id\":\"x\",\"action\":\"explode\"}", "action"},
		{"{\"id\":[\"x\"],\"action\":\"deny\"}", "id"},
		{"{\"id\":{},\"action\":\"deny\"}", "id"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"colour\":\"red\"}",
		 "colour"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"src_ip\":\"10.1.2.3/8\"}",
		 "src_ip"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"dst_ip\":\"2001:db8::1/32\"}",
		 "dst_ip"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"src_ip\":\"10.0.0.0/33\"}",
		 "src_ip"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"src_ip\":\"300.1.1.1\"}",
		 "src_ip"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"protocol\":\"tcp\","
		 "\"dst_port\":70000}",
		 "dst_port"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"protocol\":\"udp\","
		 "\"src_port\":\"9-1\"}",
		 "src_port"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"protocol\":\"udp\","
		 "\"dst_port\":-1}",
		 "dst_port"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"dst_port\":22}",
		 "dst_port"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"protocol\":\"udp\","
		 "\"dst_port\":1.5}",
		 "dst_port"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"vlan_id\":5000}",
		 "vlan_id"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"interface\":\"a/b\"}",
		 "interface"},
		{"{\"id\":\"x\",\"action\":\"deny\","
		 "\"interface\":\"sixteen-chars-xx\"}",
		 "interface"},
		{"{\"id\":\"x\",\"action\":\"deny\",\"protocol\":\"bogus\"}",
		 "protocol"},
		{"{\"action\":\"deny\"}", "id"},
		{"{\"id\":\"\",\"action\":\"deny\"}", "id"},
		{"{\"id\":\"has space\",\"action\":\"deny\"}", "id"},
		{"{\"id\":\"x\"}", "action"},
	};
	size_t before = stored_count(), nrules = cp.nrules;
	char name[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int st = api("POST", "/api/v1/firewall/rules", bad[i].body,
			     &who_oper);
		size_t fl = strlen(bad[i].field);

		CHECK(st == 400, "%s: status %d, want 400", bad[i].body, st);
		CHECK(!strcmp(jstr("error.field"), bad[i].field),
		      "%s: field '%s', want '%s' (%s)", bad[i].body,
		      jstr("error.field"), bad[i].field, jstr("error.message"));
		CHECK(!strncmp(jstr("error.message"), bad[i].field, fl) &&
			      jstr("error.message")[fl] == ':',
		      "%s: message '%s' does not start with the field",
		      bad[i].body, jstr("error.message"));
		CHECK_INT("error.status", 400);
	}
	/* no body, or not an object */
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules", NULL, &who_oper),
		     400);
	CHECK_BODY("{\"error\":{\"status\":400,"
		   "\"message\":\"a JSON rule object is required\"}}");
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "[{\"id\":\"arr\",\"action\":\"deny\"}]", &who_oper),
		     400);
	CHECK(!jat(R.body, "error.field"), "an array names a field");
	CHECK_STATUS(api_json("POST", "/api/v1/firewall/rules",
			      json_string("{\"id\":\"s\"}"), &who_oper),
		     400);
	CHECK_STATUS(api_json("POST", "/api/v1/firewall/rules", json_null(),
			      &who_oper),
		     400);
	CHECK_STATUS(api_json("POST", "/api/v1/firewall/rules", json_integer(7),
			      &who_oper),
		     400);
	CHECK(peer_count(-1) == 0, "%zu requests for invalid bodies",
	      peer_count(-1));
	CHECK(stored_count() == before && cp.nrules == nrules,
	      "an invalid body changed the rules");
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "x%d", i);
		CHECK(!stored(name), "%s stored", name);
	}
	tap_end("POST rules: 400 naming the field for each kind of bad body");
}

/* Bodies no client should send: big, deep, wide.  Nothing may crash or
 * leak (ASan), and nothing reaches sentinel-dp. */
static void t_malformed(void)
{
	size_t big = 1 << 20, nrules = cp.nrules;
	char *s = malloc(big + 1);
	json_t *o;
	int st;

	if (!s) {
		tap_fail("out of memory");
		tap_end("malformed bodies");
		return;
	}
	memset(s, 'a', big);
	s[big] = '\0';
	o = json_pack("{s:s, s:s}", "id", s, "action", "deny");
	CHECK_STATUS(api_json("POST", "/api/v1/firewall/rules", o, &who_oper),
		     400);
	CHECK_STR("error.field", "id");
	o = json_pack("{s:s, s:s}", "id", "big-action", "action", s);
	CHECK_STATUS(api_json("POST", "/api/v1/firewall/rules", o, &who_oper),
		     400);
	CHECK_STR("error.field", "action");
	o = json_pack("{s:s, s:s, s:s}", "id", "big-ip", "action", "deny",
		      "src_ip", s);
	CHECK_STATUS(api_json("POST", "/api/v1/firewall/rules", o, &who_oper),
		     400);
	CHECK_STR("error.field", "src_ip");
	o = json_pack("{s:s, s:s, s:s}", "id", "big-if", "action", "deny",
		      "interface", s);
	CHECK_STATUS(api_json("POST", "/api/v1/firewall/rules", o, &who_oper),
		     400);
	CHECK_STR("error.field", "interface");
	/* a 64 KiB unknown key */
	s[65536] = '\0';
	o = json_pack("{s:s, s:s, s:i}", "id", "big-key", "action", "deny", s,
		      1);
	st = api_json("POST", "/api/v1/firewall/rules", o, &who_oper);
	CHECK(st == 400 && strlen(jstr("error.message")) < 1024,
	      "a huge unknown key: status %d, message of %zu bytes", st,
	      strlen(jstr("error.message")));
	free(s);
	/* 2000 nested arrays under an unknown key */
	{
		json_t *deep = json_array(), *cur = deep;

		for (int i = 0; i < 2000; i++) {
			json_t *n = json_array();

			json_array_append_new(cur, n);
			cur = n;
		}
		o = json_pack("{s:s, s:s, s:o}", "id", "deep", "action", "deny",
			      "zz", deep);
		CHECK_STATUS(api_json("POST", "/api/v1/firewall/rules", o,
				      &who_oper),
			     400);
		CHECK_STR("error.field", "zz");
	}
	/* nested where a scalar belongs */
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"nest\",\"action\":{\"deny\":[1,{}]}}",
			 &who_oper),
		     400);
	CHECK_STR("error.field", "action");
	/* 50 000 keys */
	o = json_pack("{s:s, s:s}", "id", "wide", "action", "deny");
	for (int i = 0; i < 50000; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%d", i);
		json_object_set_new(o, k, json_integer(i));
	}
	CHECK_STATUS(api_json("POST", "/api/v1/firewall/rules", o, &who_oper),
		     400);
	/* bodies on routes that take none are ignored */
	CHECK_STATUS(
		api("GET", "/api/v1/firewall/rules", "[1,2,3]", &who_viewer),
		200);
	CHECK_STATUS(api("POST", "/api/v1/alerts/1/false-positive", "[\"x\"]",
			 &who_oper),
		     404);
	CHECK(peer_count(sentinel_Command_ReplaceRules) == 0 &&
		      peer_count(sentinel_Command_ApplyState) == 0,
	      "a malformed body reached sentinel-dp");
	CHECK(cp.nrules == nrules, "rules changed");
	peer_clear(&peer);
	tap_end("malformed bodies (1 MiB strings, 2000 levels, 50 000 keys, "
		"arrays) answered 400, nothing sent");
}

static void t_peer_refuses(void)
{
	size_t n = cp.nrules, ns = stored_count();

	peer_set(PEER_REFUSE);
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"refused-1\",\"action\":\"deny\","
			 "\"protocol\":\"udp\",\"dst_port\":7100}",
			 &who_oper),
		     400);
	CHECK_STR("error.message",
		  "sentinel-dp refused (Failed): the kernel said no (test)");
	CHECK(!jat(R.body, "error.field"), "a field for a kernel refusal");
	CHECK(peer_count(sentinel_Command_ReplaceRules) == 1,
	      "%zu ReplaceRules", peer_count(sentinel_Command_ReplaceRules));
	CHECK(!stored("refused-1") && !listed("refused-1") && cp.nrules == n &&
		      stored_count() == ns,
	      "a refused rule was kept");
	CHECK_STATUS(api("DELETE", "/api/v1/firewall/rules/echo-1", NULL,
			 &who_admin),
		     400);
	CHECK(stored("echo-1") && listed("echo-1") && cp.nrules == n,
	      "a refused delete removed the rule");
	peer_set(PEER_OK);
	CHECK_STATUS(api("GET", "/api/v1/firewall/rules", NULL, &who_viewer),
		     200);
	CHECK_INT("count", n);
	peer_clear(&peer);
	tap_end("refused by sentinel-dp: 400 with its message, nothing kept");
}

static void t_peer_silent(void)
{
	size_t n = cp.nrules, ns = stored_count();
	struct config *cfg = cp.cfg;
	uint64_t t;

	cp.dpc = dpc_short;
	peer_set(PEER_SILENT);
	t = mono_ns();
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"silent-1\",\"action\":\"deny\","
			 "\"protocol\":\"udp\",\"dst_port\":7101}",
			 &who_oper),
		     503);
	CHECK(mono_ns() - t >= 250000000ull, "answered before the timeout");
	CHECK(strstr(jstr("error.message"), "does not answer") != NULL,
	      "message '%s'", jstr("error.message"));
	CHECK(peer_count(sentinel_Command_ReplaceRules) == 1,
	      "sentinel-dp did not get the set");
	CHECK(!stored("silent-1") && !listed("silent-1") && cp.nrules == n &&
		      stored_count() == ns,
	      "a rule sentinel-dp never acknowledged was stored");
	CHECK(!cp.dp.connected, "still connected after a timeout");
	CHECK_STATUS(api("DELETE", "/api/v1/firewall/rules/echo-1", NULL,
			 &who_admin),
		     503);
	CHECK(stored("echo-1") && listed("echo-1"), "removed unacknowledged");
	CHECK_STATUS(api("POST", "/api/v1/config/reload", NULL, &who_admin),
		     503);
	CHECK(cp.cfg == cfg && cp.nrules == n, "a reload was applied unacked");
	/* hits are best effort: the list still answers */
	CHECK_STATUS(api("GET", "/api/v1/firewall/rules", NULL, &who_viewer),
		     200);
	CHECK_INT("count", n);
	peer_set(PEER_OK);
	cp.dpc = dpc_long;
	peer_clear(&peer);
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"silent-1\",\"action\":\"deny\","
			 "\"protocol\":\"udp\",\"dst_port\":7101}",
			 &who_oper),
		     201);
	CHECK(stored("silent-1") && cp.nrules == n + 1 && cp.dp.connected,
	      "no recovery after the silence");
	peer_clear(&peer);
	tap_end("sentinel-dp silent: 503, nothing stored or applied; then "
		"recovers");
}

static void t_rules_delete(void)
{
	const struct peer_req *q;
	size_t n = cp.nrules;
	uint32_t kid = kid_of("silent-1");

	CHECK_STATUS(
		api("DELETE", "/api/v1/firewall/rules/nope", NULL, &who_admin),
		404);
	CHECK_BODY("{\"error\":{\"status\":404,\"message\":\"no rule 'nope'\","
		   "\"field\":\"id\"}}");
	CHECK_STATUS(api("DELETE", "/api/v1/firewall/rules/cfg-ssh", NULL,
			 &who_admin),
		     403);
	CHECK_STR("error.field", "id");
	CHECK_STATUS(api("DELETE", "/api/v1/firewall/rules/silent-1", NULL,
			 &who_oper),
		     403);
	/* a prefix of an id is not the id */
	CHECK_STATUS(api("DELETE", "/api/v1/firewall/rules/silent", NULL,
			 &who_admin),
		     404);
	CHECK(peer_count(-1) == 0, "a refused delete reached sentinel-dp");
	CHECK_STATUS(api("DELETE", "/api/v1/firewall/rules/silent-1", NULL,
			 &who_admin),
		     200);
	CHECK_BODY("{\"deleted\":\"silent-1\"}");
	q = peer_last(sentinel_Command_ReplaceRules);
	CHECK(q && peer_count(-1) == 1, "%zu requests", peer_count(-1));
	CHECK(q && !req_rule(q, kid) && req_rule(q, block_kid) &&
		      req_rule(q, kid_of("cfg-ssh")) &&
		      q->nrules == n - 2, /* the deleted one, and off-1 */
	      "the set sent: %zu rules", q ? q->nrules : 0);
	CHECK(!stored("silent-1") && !listed("silent-1") && cp.nrules == n - 1,
	      "still there after the delete");
	CHECK(kid_of("silent-1") == kid, "the kernel id was forgotten");
	CHECK_STATUS(api("DELETE", "/api/v1/firewall/rules/silent-1", NULL,
			 &who_admin),
		     404);
	peer_clear(&peer);
	/* re-created: the same kernel id (counters follow the rule) */
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"silent-1\",\"action\":\"deny\","
			 "\"protocol\":\"udp\",\"dst_port\":7101}",
			 &who_oper),
		     201);
	CHECK_INT("kernel_id", kid);
	CHECK_STATUS(api("DELETE", "/api/v1/firewall/rules/silent-1", NULL,
			 &who_admin),
		     200);
	peer_clear(&peer);
	tap_end("DELETE rules: 404, 403 for the file's rules, the set sent "
		"without the rule");
}

static uint64_t aid[7];

static void add_alerts(void)
{
	struct store_alert a[] = {
		{.ts = (T0 + 0) * SEC,
		 .component = "firewall",
		 .severity = STORE_SEV_LOW,
		 .rule_id = "cfg-ssh",
		 .action = "log",
		 .src_ip = "10.0.0.1",
		 .dst_ip = "10.0.0.2",
		 .src_port = 40000,
		 .dst_port = 22,
		 .protocol = "tcp",
		 .interface = IFNAME,
		 .message = "m0"},
		{.ts = (T0 + 10) * SEC,
		 .component = "firewall",
		 .severity = STORE_SEV_MEDIUM,
		 .rule_id = "cfg-deny-7002",
		 .action = "deny",
		 .src_ip = "10.0.0.1",
		 .dst_ip = "10.0.0.2",
		 .src_port = 5000,
		 .dst_port = 7002,
		 .protocol = "udp",
		 .message = "m1"},
		{.ts = (T0 + 20) * SEC,
		 .component = "ids",
		 .severity = STORE_SEV_HIGH,
		 .src_port = -1,
		 .dst_port = -1,
		 .message = "m2"},
		{.ts = (T0 + 30) * SEC,
		 .component = "firewall",
		 .severity = STORE_SEV_HIGH,
		 .rule_id = "blockset",
		 .action = "deny",
		 .src_ip = "203.0.113.9",
		 .src_port = -1,
		 .dst_port = -1,
		 .message = "m3"},
		{.ts = (T0 + 40) * SEC,
		 .component = "firewall",
		 .severity = STORE_SEV_CRITICAL,
		 .src_port = -1,
		 .dst_port = -1,
		 .message = "m4"},
		{.ts = (T0 + 50) * SEC,
		 .component = "dlp",
		 .severity = STORE_SEV_MEDIUM,
		 .src_port = -1,
		 .dst_port = -1,
		 .message = "m5"},
		/* the same as [1] 5 s later: folded into it */
		{.ts = (T0 + 15) * SEC,
		 .component = "firewall",
		 .severity = STORE_SEV_MEDIUM,
		 .rule_id = "cfg-deny-7002",
		 .action = "deny",
		 .src_ip = "10.0.0.1",
		 .dst_ip = "10.0.0.2",
		 .src_port = 5001,
		 .dst_port = 7002,
		 .protocol = "udp",
		 .message = "m1"},
	};
	bool dedup;

	for (size_t i = 0; i < 7; i++)
		if (store_alert_add(cp.store, &a[i], 60 * SEC, &aid[i],
				    &dedup) ||
		    dedup != (i == 6))
			die("store_alert_add %zu: %s", i,
			    store_errmsg(cp.store));
}

/* The ids of the alerts of R, comma-separated. */
static const char *alert_ids(void)
{
	static char buf[256];
	size_t i, o = 0;
	json_t *a;

	buf[0] = '\0';
	json_array_foreach(jat(R.body, "alerts"), i, a) o += snprintf(
		buf + o, sizeof(buf) - o, "%s%lld", i ? "," : "",
		(long long)json_integer_value(json_object_get(a, "id")));
	return buf;
}

static const char *ids(int n, ...)
{
	static char buf[256];
	va_list ap;
	size_t o = 0;

	buf[0] = '\0';
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		o += snprintf(buf + o, sizeof(buf) - o, "%s%llu", i ? "," : "",
			      (unsigned long long)aid[va_arg(ap, int)]);
	va_end(ap);
	return buf;
}

#define CHECK_ALERTS(query, total, ...)                                        \
	do {                                                                   \
		char w_[256];                                                  \
		int st_ =                                                      \
			api("GET", "/api/v1/alerts" query, NULL, &who_viewer); \
		snprintf(w_, sizeof(w_), "%s", ids(__VA_ARGS__));              \
		CHECK(st_ == 200 && jint("total") == (total) &&                \
			      !strcmp(alert_ids(), w_),                        \
		      "%s: status %d total %lld ids [%s], want %d [%s]",       \
		      query, st_, jint("total"), alert_ids(), total, w_);      \
	} while (0)

static void t_alerts(void)
{
	static const struct {
		const char *query, *field;
	} bad[] = {
		{"?limit=0", "limit"},
		{"?limit=1001", "limit"},
		{"?limit=", "limit"},
		{"?limit=2x", "limit"},
		{"?limit=-1", "limit"},
		{"?offset=x", "offset"},
		{"?offset=", "offset"},
		{"?offset=-1", "offset"},
		{"?offset=99999999999999999999", "offset"},
		{"?offset=9223372036854775808", "offset"},
		{"?limit=%2B5", "limit"},
		{"?limit=%205", "limit"},
		{"?severity=extreme", "severity"},
		{"?severity=", "severity"},
		{"?from=yesterday", "from"},
		{"?from=2023-11-14", "from"},
		{"?from=2023-11-14T22:13:20%2B01:00", "from"},
		{"?from=-5", "from"},
		{"?from=99999999999", "from"},
		{"?from=1960-01-01T00:00:00Z", "from"},
		{"?to=2023-13-45T00:00:00Z", "to"},
		{"?false_positive=maybe", "false_positive"},
	};
	char want[1024], target[128];

	add_alerts();
	CHECK_ALERTS("", 6, 6, 5, 4, 3, 2, 1, 0);
	CHECK_INT("limit", 100);
	CHECK_INT("offset", 0);
	snprintf(want, sizeof(want),
		 "{\"id\":%llu,\"timestamp\":\"2023-11-14T22:13:20Z\","
		 "\"component\":\"firewall\",\"severity\":\"low\","
		 "\"rule_id\":\"cfg-ssh\",\"action\":\"log\","
		 "\"src_ip\":\"10.0.0.1\",\"dst_ip\":\"10.0.0.2\","
		 "\"protocol\":\"tcp\",\"interface\":\"" IFNAME "\","
		 "\"count\":1,\"first_seen\":\"2023-11-14T22:13:20Z\","
		 "\"last_seen\":\"2023-11-14T22:13:20Z\",\"message\":\"m0\","
		 "\"false_positive\":false,\"src_port\":40000,"
		 "\"dst_port\":22}",
		 (unsigned long long)aid[0]);
	{
		json_t *w = json_loads(want, 0, NULL);

		CHECK(w && json_equal(w, jat(R.body, "alerts[5]")),
		      "alert 0: %s", dump(jat(R.body, "alerts[5]")));
		json_decref(w);
	}
	/* the folded one: its count and last_seen */
	CHECK_INT("alerts[4].id", aid[1]);
	CHECK_INT("alerts[4].count", 2);
	CHECK_STR("alerts[4].first_seen", "2023-11-14T22:13:30Z");
	CHECK_STR("alerts[4].last_seen", "2023-11-14T22:13:35Z");
	/* no ports: absent rather than -1; no rule or protocol: null */
	CHECK(!jat(R.body, "alerts[3].src_port") &&
		      !jat(R.body, "alerts[3].dst_port") &&
		      json_is_null(jat(R.body, "alerts[3].protocol")) &&
		      json_is_null(jat(R.body, "alerts[3].rule_id")),
	      "alert 2: %s", dump(jat(R.body, "alerts[3]")));
	CHECK_STR("alerts[3].component", "ids");

	CHECK_ALERTS("?component=firewall", 4, 4, 4, 3, 1, 0);
	CHECK_ALERTS("?component=nothing", 0, 0);
	CHECK_ALERTS("?severity=high", 3, 3, 4, 3, 2);
	CHECK_ALERTS("?severity=critical", 1, 1, 4);
	CHECK_ALERTS("?component=firewall&severity=medium", 3, 3, 4, 3, 1);
	CHECK_ALERTS("?from=1700000010&to=1700000040", 3, 3, 3, 2, 1);
	CHECK_ALERTS("?from=2023-11-14T22%3A13%3A30Z"
		     "&to=2023-11-14T22:14:00%2B00:00",
		     3, 3, 3, 2, 1);
	CHECK_ALERTS("?to=1700000010", 1, 1, 0);
	CHECK_ALERTS("?from=1700000050", 1, 1, 5);
	CHECK_ALERTS("?limit=2&offset=1", 6, 2, 4, 3);
	CHECK_INT("limit", 2);
	CHECK_INT("offset", 1);
	CHECK_ALERTS("?limit=2&offset=5", 6, 1, 0);
	CHECK_ALERTS("?offset=6", 6, 0);
	CHECK_ALERTS("?component=firewall&limit=1&offset=1", 4, 1, 3);
	CHECK_ALERTS("?limit=1000", 6, 6, 5, 4, 3, 2, 1, 0);
	CHECK_ALERTS("?offset=9223372036854775807", 6, 0);
	CHECK_ALERTS("?from=9223372036", 0, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int st;

		snprintf(target, sizeof(target), "/api/v1/alerts%s",
			 bad[i].query);
		st = api("GET", target, NULL, &who_viewer);
		CHECK(st == 400 && !strcmp(jstr("error.field"), bad[i].field),
		      "%s: status %d field '%s', want 400 '%s' (%s)",
		      bad[i].query, st, jstr("error.field"), bad[i].field,
		      jstr("error.message"));
	}
	CHECK(peer_count(-1) == 0, "alerts asked sentinel-dp");
	tap_end("GET alerts: filters, time ranges, pages, totals, order, "
		"400s");
}

static void t_false_positive(void)
{
	char target[128];
	int st;

	snprintf(target, sizeof(target), "/api/v1/alerts/%llu/false-positive",
		 (unsigned long long)aid[1]);
	CHECK_STATUS(api("POST", target, NULL, &who_viewer), 403);
	CHECK_STATUS(api("POST", target, NULL, &who_oper), 200);
	CHECK_INT("id", aid[1]);
	CHECK(json_is_true(jat(R.body, "false_positive")), "not marked: %s",
	      dump(R.body));
	CHECK_STR("false_positive_by", "t-operator");
	CHECK_INT("count", 2);
	CHECK_STATUS(api("POST", "/api/v1/alerts/999999/false-positive", NULL,
			 &who_oper),
		     404);
	CHECK_BODY("{\"error\":{\"status\":404,\"message\":\"no alert 999999\","
		   "\"field\":\"id\"}}");
	CHECK_STATUS(api("POST", "/api/v1/alerts/abc/false-positive", NULL,
			 &who_oper),
		     400);
	CHECK_STR("error.field", "id");
	CHECK_STATUS(api("POST", "/api/v1/alerts/12abc/false-positive", NULL,
			 &who_oper),
		     400);
	CHECK_STATUS(api("POST", "/api/v1/alerts/-1/false-positive", NULL,
			 &who_oper),
		     400);
	CHECK_STATUS(api("POST", "/api/v1/alerts/+2/false-positive", NULL,
			 &who_oper),
		     400);
	CHECK_STATUS(api("POST",
			 "/api/v1/alerts/9223372036854775808/false-positive",
			 NULL, &who_oper),
		     400);
	/* 32 characters naming alert 15 (there is none): not alert 1 */
	st = api("POST",
		 "/api/v1/alerts/00000000000000000000000000000015/"
		 "false-positive",
		 NULL, &who_oper);
	CHECK(st == 400, "a long id: status %d (%s)", st, dump(R.body));
	CHECK(!json_is_true(jat(R.body, "false_positive")),
	      "a long id marked alert %lld", jint("id"));
	CHECK_ALERTS("?false_positive=true", 1, 1, 1);
	CHECK_ALERTS("?false_positive=false", 5, 5, 5, 4, 3, 2, 0);
	CHECK_ALERTS("?false_positive=false&component=firewall", 3, 3, 4, 3, 0);
	/* again: who is replaced */
	CHECK_STATUS(api("POST", target, NULL, &who_admin), 200);
	CHECK_STR("false_positive_by", "t-admin");
	CHECK_ALERTS("?false_positive=true", 1, 1, 1);
	tap_end("POST false-positive: 200 with the alert marked, 404, 400");
}

/* The entries of R (audit/logs "entries" or history "history") as
 * "action:object:actor" joined by commas. */
static const char *audit_seq(const char *key)
{
	static char buf[1024];
	size_t i, o = 0;
	json_t *e;

	buf[0] = '\0';
	json_array_foreach(jat(R.body, key), i, e) o +=
		snprintf(buf + o, sizeof(buf) - o, "%s%s:%s:%s", i ? "," : "",
			 json_string_value(json_object_get(e, "action")),
			 json_string_value(json_object_get(e, "object")),
			 json_string_value(json_object_get(e, "actor")));
	return buf;
}

#define CHECK_SEQ(key, want)                                             \
	CHECK(!strcmp(audit_seq(key), want), "%s: [%s], want [%s]", key, \
	      audit_seq(key), want)

static void t_audit(void)
{
	/* so far: created by the operator block-7000, echo-1, off-1,
	 * silent-1 (twice); deleted by the admin silent-1 (twice) */
	CHECK_STATUS(api("GET", "/api/v1/audit/logs", NULL, &who_viewer), 200);
	CHECK_INT("total", 7);
	CHECK_INT("limit", 100);
	CHECK_SEQ("entries", "delete:silent-1:t-admin,"
			     "create:silent-1:t-operator,"
			     "delete:silent-1:t-admin,"
			     "create:silent-1:t-operator,"
			     "create:off-1:t-operator,"
			     "create:echo-1:t-operator,"
			     "create:block-7000:t-operator");
	CHECK_STR("entries[0].component", "firewall");
	CHECK(json_is_string(jat(R.body, "entries[0].timestamp")), "timestamp");
	CHECK_STATUS(api("GET", "/api/v1/audit/logs?actor=t-admin", NULL,
			 &who_viewer),
		     200);
	CHECK_INT("total", 2);
	CHECK_SEQ("entries", "delete:silent-1:t-admin,delete:silent-1:t-admin");
	CHECK_STATUS(api("GET",
			 "/api/v1/audit/logs?component=firewall&limit=2"
			 "&offset=4",
			 NULL, &who_viewer),
		     200);
	CHECK_INT("total", 7);
	CHECK_INT("offset", 4);
	CHECK_SEQ("entries",
		  "create:off-1:t-operator,create:echo-1:t-operator");
	CHECK_STATUS(api("GET", "/api/v1/audit/logs?component=config", NULL,
			 &who_viewer),
		     200);
	CHECK_INT("total", 0);
	CHECK_BAD_QUERY("/api/v1/audit/logs?limit=5000", "limit");

	CHECK_STATUS(api("GET", "/api/v1/audit/rules/silent-1/history", NULL,
			 &who_viewer),
		     200);
	CHECK_STR("rule_id", "silent-1");
	CHECK_SEQ("history", "create:silent-1:t-operator,"
			     "delete:silent-1:t-admin,"
			     "create:silent-1:t-operator,"
			     "delete:silent-1:t-admin");
	CHECK(json_is_null(jat(R.body, "history[0].before")), "create before");
	CHECK_STR("history[0].after.id", "silent-1");
	CHECK_INT("history[0].after.dst_port", 7101);
	CHECK_STR("history[0].after.protocol", "udp");
	CHECK_STR("history[1].before.id", "silent-1");
	CHECK(json_is_null(jat(R.body, "history[1].after")), "delete after");
	CHECK_STATUS(api("GET", "/api/v1/audit/rules/block-7000/history", NULL,
			 &who_viewer),
		     200);
	CHECK_SEQ("history", "create:block-7000:t-operator");
	CHECK_STATUS(api("GET", "/api/v1/audit/rules/never/history", NULL,
			 &who_viewer),
		     200);
	CHECK_BODY("{\"rule_id\":\"never\",\"history\":[]}");
	tap_end("audit logs and rule history: actor, action, before/after");
}

static bool has_hex64(const char *s)
{
	size_t run = 0;

	for (; *s; s++) {
		bool hex = (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f');

		run = hex ? run + 1 : 0;
		if (run >= 64)
			return true;
	}
	return false;
}

static void t_config(void)
{
	char *text;
	size_t i;
	json_t *k;

	CHECK_STATUS(api("GET", "/api/v1/config", NULL, &who_viewer), 200);
	CHECK_STR("agent.interfaces[0]", IFNAME);
	CHECK_STR("firewall.default_policy", "pass");
	CHECK_STR("firewall.rules[1].id", "cfg-deny-7002");
	CHECK(json_array_size(jat(R.body, "auth.api_keys")) == 3, "keys: %s",
	      dump(jat(R.body, "auth")));
	json_array_foreach(jat(R.body, "auth.api_keys"), i, k) CHECK(
		!strcmp(json_string_value(json_object_get(k, "key_sha256"))
				?: "",
			"***redacted***"),
		"key %zu: %s", i, dump(k));
	text = json_dumps(R.body, JSON_COMPACT);
	CHECK(text && !strstr(text, KEY_ADMIN) && !strstr(text, KEY_VIEWER) &&
		      !strstr(text, KEY_OPERATOR) && !has_hex64(text),
	      "a key or its hash in the configuration shown");
	free(text);
	tap_end("GET config: the running configuration, key hashes redacted");
}

/* An invalid file: 422 naming the key (and line), nothing changed, nothing
 * sent. */
static void reload_refused(const char *what, const char *field, int line)
{
	struct config *cfg = cp.cfg;
	struct auth *auth = cp.auth;
	struct cp_rule *rules = cp.rules;
	size_t n = cp.nrules;
	uint64_t fails = cp.reload_failures;
	int st = api("POST", "/api/v1/config/reload", NULL, &who_admin);

	CHECK(st == 422, "%s: status %d, want 422 (%s)", what, st,
	      dump(R.body));
	if (field)
		CHECK(!strcmp(jstr("error.field"), field) &&
			      strstr(jstr("error.message"), field),
		      "%s: field '%s', want '%s' (%s)", what,
		      jstr("error.field"), field, jstr("error.message"));
	else
		CHECK(!jat(R.body, "error.field"), "%s: field %s", what,
		      jstr("error.field"));
	if (line > 0)
		CHECK(jint("error.line") == line, "%s: line %lld, want %d",
		      what, jint("error.line"), line);
	else
		CHECK(!jat(R.body, "error.line"), "%s: a line", what);
	CHECK(cp.cfg == cfg && cp.auth == auth && cp.rules == rules &&
		      cp.nrules == n,
	      "%s: the running state changed", what);
	CHECK(cp.reload_failures == fails + 1, "%s: failures %llu", what,
	      (unsigned long long)cp.reload_failures);
	CHECK(!strcmp(cp.last_reload_error, jstr("error.message")),
	      "%s: last error '%s'", what, cp.last_reload_error);
	CHECK(peer_count(-1) == 0, "%s: %zu requests sent", what,
	      peer_count(-1));
	peer_clear(&peer);
}

static void t_reload_invalid(void)
{
	char fw[2048];
	struct http_identity w;

	peer_clear(&peer);
	snprintf(fw, sizeof(fw),
		 "%s    - id: bad-port\n"
		 "      action: deny\n"
		 "      protocol: udp\n"
		 "      dst_port: 70000\n",
		 FW_V1);
	write_config(fw, AUTH_ALL);
	reload_refused("port out of range", "firewall.rules[2].dst_port",
		       line_of("dst_port: 70000"));
	CHECK(strstr(jstr("error.message"), "line ") != NULL,
	      "the message does not say the line: %s", jstr("error.message"));

	snprintf(fw, sizeof(fw), "%s  colour: red\n", FW_V1);
	write_config(fw, AUTH_ALL);
	reload_refused("unknown key", "firewall.colour", line_of("colour"));

	snprintf(fw, sizeof(fw), "%s    - {id: cfg-ssh, action: deny}\n",
		 FW_V1);
	write_config(fw, AUTH_ALL);
	reload_refused("duplicate id", "firewall.rules[2].id",
		       line_of("{id: cfg-ssh, action: deny}"));

	write_config("firewall:\n  default_policy: pass: drop\n", AUTH_ALL);
	reload_refused("YAML syntax", "firewall", line_of("pass: drop"));

	write_config(FW_V1, "auth:\n  enabled: true\n  api_keys:\n"
			    "    - {name: weak, key: hunter2, role: admin}\n");
	reload_refused("a short key", "auth.api_keys[0].key",
		       line_of("hunter2"));
	CHECK(login(KEY_VIEWER, &w) == 0, "the old keys stopped working");

	/* valid YAML, but the id is an API rule's */
	snprintf(fw, sizeof(fw), "%s    - {id: block-7000, action: deny}\n",
		 FW_V1);
	write_config(fw, AUTH_ALL);
	reload_refused("an API rule's id", NULL, 0);
	CHECK(strstr(jstr("error.message"), "'block-7000'") != NULL,
	      "the message does not name the id: %s", jstr("error.message"));

	write_config(FW_V1, AUTH_ALL);
	tap_end("POST config/reload, invalid file: 422 with key path and "
		"line; nothing changed or sent");
}

static void t_reload_valid(void)
{
	const struct peer_req *q;
	const struct dp_rule *r;
	uint32_t k2 = kid_of("cfg-deny-7002"), k3;
	struct http_identity w;
	size_t napi = 0;
	char seq[512];

	for (size_t i = 0; i < cp.nrules; i++)
		napi += cp.rules[i].from_api;
	peer_clear(&peer);
	write_config(FW_V2, AUTH_NO_VIEWER);
	CHECK_STATUS(api("POST", "/api/v1/config/reload", NULL, &who_admin),
		     200);
	CHECK_BODY("{\"status\":\"reloaded\",\"rules\":5}");
	k3 = kid_of("cfg-deny-7003");
	CHECK(napi == 3 && cp.nrules == 5, "%zu rules (%zu from the API)",
	      cp.nrules, napi);
	CHECK(peer_count(sentinel_Command_ApplyState) == 1 &&
		      peer_count(-1) == 1,
	      "%zu requests (%zu ApplyState), want exactly one ApplyState",
	      peer_count(-1), peer_count(sentinel_Command_ApplyState));
	q = peer_last(sentinel_Command_ApplyState);
	/* enabled rules: two of the file, block-7000 and echo-1 */
	CHECK(q && q->nrules == 4, "%zu rules pushed", q ? q->nrules : 0);
	r = req_rule(q, k2);
	CHECK(r && r->r.dport.lo == 7012 && r->r.dport.hi == 7012 &&
		      r->r.proto == 17 && r->r.action == CONFIG_ACTION_DENY,
	      "cfg-deny-7002 changed, same kernel id %u", k2);
	r = req_rule(q, k3);
	CHECK(k3 && r && r->r.action == CONFIG_ACTION_REJECT &&
		      r->r.proto == 6 && r->r.dport.lo == 7003 &&
		      r->r.dport.hi == 7004 && r->r.src.family == 4 &&
		      r->r.src.plen == 8 &&
		      r->r.src.addr[0] == htonl(0x0a000000) &&
		      r->r.priority == 21,
	      "cfg-deny-7003 as pushed");
	CHECK(q && !req_rule(q, kid_of("cfg-ssh")) && req_rule(q, block_kid) &&
		      req_rule(q, kid_of("echo-1")) &&
		      !req_rule(q, kid_of("off-1")),
	      "removed rule sent, or API rule missing");
	CHECK(q && q->policy == sentinel_Policy_Drop && !q->dry_run,
	      "policy %d dry-run %d", q ? q->policy : -1, q ? q->dry_run : -1);
	CHECK(q && q->nmgmt == 2 && q->mgmt[0].nports == 2 &&
		      q->mgmt[0].ports[0] == 22 &&
		      q->mgmt[0].ports[1] == 8443 &&
		      q->mgmt[1].cidr.family == 6 &&
		      q->mgmt[1].cidr.plen == 32 &&
		      q->mgmt[1].cidr.addr[0] == htonl(0x20010db8) &&
		      q->mgmt[1].nports == 2,
	      "anti-lockout as pushed (%zu)", q ? q->nmgmt : 0);
	CHECK(q && q->nifsets == 1 && !strcmp(q->ifsets[0].name, IFNAME) &&
		      q->ifsets[0].policy == sentinel_Policy_Pass &&
		      q->ifsets[0].dry_run,
	      "interface settings as pushed (%zu)", q ? q->nifsets : 0);
	CHECK(cp.cfg->firewall.default_policy == CONFIG_POLICY_DROP,
	      "the new configuration does not run");
	CHECK(login(KEY_VIEWER, &w) == -EACCES,
	      "a key removed by the reload still works");
	CHECK(login(KEY_ADMIN, &w) == 0 && w.role == AUTH_ROLE_ADMIN,
	      "the admin key stopped working");
	CHECK(cp.reloads >= 1 && !cp.last_reload_error[0],
	      "reload counters: %llu '%s'", (unsigned long long)cp.reloads,
	      cp.last_reload_error);
	peer_clear(&peer);

	CHECK_STATUS(api("GET", "/api/v1/config", NULL, &who_viewer), 200);
	CHECK_STR("firewall.default_policy", "drop");
	CHECK_STR("firewall.interface_policies[0].interface", IFNAME);
	CHECK(json_array_size(jat(R.body, "auth.api_keys")) == 2, "keys");
	CHECK_STATUS(api("GET", "/api/v1/firewall/rules", NULL, &who_viewer),
		     200);
	CHECK_INT("count", 5);
	CHECK_STR("rules[0].id", "cfg-deny-7002");
	CHECK_INT("rules[0].dst_port", 7012);
	CHECK_STR("rules[1].id", "cfg-deny-7003");
	CHECK_STR("rules[1].dst_port", "7003-7004");
	CHECK_STR("rules[2].source", "api");

	/* every rule change of the file, and the reload itself */
	CHECK_STATUS(api("GET", "/api/v1/audit/logs?actor=t-admin&limit=4",
			 NULL, &who_viewer),
		     200);
	snprintf(seq, sizeof(seq),
		 "reload:%s:t-admin,delete:cfg-ssh:t-admin,"
		 "create:cfg-deny-7003:t-admin,update:cfg-deny-7002:t-admin",
		 cfg_path);
	CHECK_SEQ("entries", seq);
	CHECK_STR("entries[0].component", "config");
	CHECK(!strcmp(json_string_value(jat(R.body, "entries[0].object")) ?: "",
		      cfg_path),
	      "the reload's object: %s", dump(jat(R.body, "entries[0]")));
	CHECK_STATUS(api("GET", "/api/v1/audit/rules/cfg-deny-7002/history",
			 NULL, &who_viewer),
		     200);
	CHECK_SEQ("history", "update:cfg-deny-7002:t-admin");
	CHECK_INT("history[0].before.dst_port", 7002);
	CHECK_INT("history[0].after.dst_port", 7012);
	CHECK_STATUS(api("GET", "/api/v1/audit/rules/cfg-ssh/history", NULL,
			 &who_viewer),
		     200);
	CHECK_STR("history[0].before.id", "cfg-ssh");
	CHECK(json_is_null(jat(R.body, "history[0].after")), "after delete");
	peer_clear(&peer);

	/* the same file again: pushed again, no rule change audited */
	CHECK_STATUS(api("POST", "/api/v1/config/reload", NULL, &who_admin),
		     200);
	CHECK(peer_count(sentinel_Command_ApplyState) == 1 &&
		      peer_count(-1) == 1,
	      "%zu requests", peer_count(-1));
	CHECK_STATUS(api("GET", "/api/v1/audit/logs?component=firewall&limit=1",
			 NULL, &who_viewer),
		     200);
	CHECK_SEQ("entries", "delete:cfg-ssh:t-admin");
	peer_clear(&peer);
	tap_end("POST config/reload, valid edit: one ApplyState with rules, "
		"policy, anti-lockout, interfaces; audited");
}

/* Rules of test_fw_compile.c's tuple-limit test: port ranges of many mask
 * lengths under one key. */
static void tuple_rule(int i, struct fw_rule *r)
{
	fw_rule_init(r);
	r->id = i + 1;
	r->priority = 100;
	r->action = CONFIG_ACTION_DENY;
	r->proto = 17;
	r->sport.lo = 1u << (i % 15);
	r->sport.hi = r->sport.lo + (1u << ((i / 15) % 15)) - 1;
	r->dport.lo = 3;
	r->dport.hi = 3 + (1u << (i % 13)) + i;
}

static int tuple_yaml(int i, char *buf, size_t len)
{
	struct fw_rule r;
	char sp[16];

	tuple_rule(i, &r);
	if (r.sport.lo == r.sport.hi)
		snprintf(sp, sizeof(sp), "%u", r.sport.lo);
	else
		snprintf(sp, sizeof(sp), "\"%u-%u\"", r.sport.lo, r.sport.hi);
	return snprintf(buf, len,
			"    - {id: t%d, priority: 100, action: deny, "
			"protocol: udp, src_port: %s, dst_port: \"%u-%u\"}\n",
			i, sp, r.dport.lo, r.dport.hi);
}

/* The largest n such that the first n tuple rules, after the set's other
 * rules pre[0..npre), compile (the set sentinel-dp will see). */
static int tuple_limit(const struct fw_rule *pre, size_t npre)
{
	struct fw_rule *r = calloc(400, sizeof(*r));
	char err[FW_ERR_LEN];
	int lo = 0, hi = 400;

	if (!r)
		return -1;
	for (int i = 0; i < 400; i++) {
		tuple_rule(i, &r[i]);
		r[i].id = 1000 + i;
	}
	/* the configuration's rules first, then the API's (cp_desired_rules) */
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		struct fw_rule *set = calloc(mid + npre, sizeof(*set));
		struct fw_set *s = NULL;

		if (!set)
			break;
		memcpy(set, r, mid * sizeof(*set));
		memcpy(set + mid, pre, npre * sizeof(*pre));
		if (fw_set_compile(set, mid + npre, &s, err, sizeof(err)) == 0)
			lo = mid;
		else
			hi = mid - 1;
		fw_set_free(s);
		free(set);
	}
	free(r);
	return lo;
}

static void t_compiler_refuses(void)
{
	struct fw_rule pre[8];
	size_t npre = 0, n;
	char *fw = malloc(64 * 1024), body[256], name[16];
	size_t o;
	uint64_t t;
	int k, st;

	if (!fw) {
		tap_fail("out of memory");
		tap_end("compiler");
		return;
	}
	/* the API rules that will follow, as sentinel-dp will get them */
	for (size_t i = 0; i < cp.nrules && npre < 8; i++) {
		const struct config_rule *c = &cp.rules[i].r;
		struct fw_rule *f = &pre[npre];

		if (!cp.rules[i].from_api || !c->enabled)
			continue;
		fw_rule_init(f);
		f->id = cp.rules[i].kernel_id;
		f->priority = c->priority;
		f->action = c->action;
		f->proto = c->protocol;
		f->src.family = c->src_ip.family;
		f->src.plen = c->src_ip.plen;
		memcpy(f->src.addr, c->src_ip.addr, 16);
		f->dst.family = c->dst_ip.family;
		f->dst.plen = c->dst_ip.plen;
		memcpy(f->dst.addr, c->dst_ip.addr, 16);
		f->sport.lo = c->src_port.lo;
		f->sport.hi = c->src_port.hi;
		f->dport.lo = c->dst_port.lo;
		f->dport.hi = c->dst_port.hi;
		f->icmp_type = c->icmp_type;
		f->icmp_code = c->icmp_code;
		f->vlan = c->vlan_id;
		f->tcp_mask = c->tcp_flags_mask;
		f->tcp_value = c->tcp_flags_value;
		f->dry_run = c->dry_run;
		npre++;
	}
	k = tuple_limit(pre, npre);
	CHECK(k > 0 && k < 399, "tuple limit at %d rules", k);
	if (k <= 0 || k >= 399) {
		free(fw);
		tap_end("the real compiler refuses through sentinel-dp");
		return;
	}
	o = snprintf(fw, 64 * 1024, "firewall:\n  rules:\n");
	for (int i = 0; i < k; i++)
		o += tuple_yaml(i, fw + o, 64 * 1024 - o);
	write_config(fw, AUTH_NO_VIEWER);
	peer_clear(&peer);
	t = mono_ns();
	CHECK_STATUS(api("POST", "/api/v1/config/reload", NULL, &who_admin),
		     200);
	/* each new rule id is one store transaction (an fsync) */
	printf("# a reload with %d new rules took %.2f s\n", k,
	       (double)(mono_ns() - t) / 1e9);
	n = cp.nrules;
	CHECK(n == (size_t)k + 3, "%zu rules after the reload", n);
	/* one more: beyond the tuple limit, refused by the compiler */
	{
		struct fw_rule r;

		tuple_rule(k, &r);
		snprintf(name, sizeof(name), "t%d", k);
		snprintf(body, sizeof(body),
			 "{\"id\":\"t%d\",\"priority\":100,\"action\":\"deny\","
			 "\"protocol\":\"udp\",\"src_port\":\"%u-%u\","
			 "\"dst_port\":\"%u-%u\"}",
			 k, r.sport.lo, r.sport.hi, r.dport.lo, r.dport.hi);
	}
	peer_clear(&peer);
	st = api("POST", "/api/v1/firewall/rules", body, &who_oper);
	CHECK(st == 400 &&
		      !strncmp(jstr("error.message"),
			       "sentinel-dp refused (TooLarge) at rules: rule ",
			       46) &&
		      strstr(jstr("error.message"), "tuples"),
	      "one rule too many: %d %s", st, dump(R.body));
	CHECK(cp.nrules == n && !stored(name) && !listed(name) &&
		      peer_count(-1) == 1,
	      "the refused rule was kept");
	/* the same set from the file: refused, the running one stays */
	o += tuple_yaml(k, fw + o, 64 * 1024 - o);
	write_config(fw, AUTH_NO_VIEWER);
	peer_clear(&peer);
	{
		struct config *cfg = cp.cfg;

		st = api("POST", "/api/v1/config/reload", NULL, &who_admin);
		CHECK(st == 422 &&
			      strstr(jstr("error.message"),
				     "sentinel-dp refused (TooLarge)") &&
			      strstr(jstr("error.message"), "tuples"),
		      "reload beyond the limit: %d %s", st, dump(R.body));
		CHECK(cp.cfg == cfg && cp.nrules == n,
		      "a refused reload changed the state");
		CHECK(peer_count(sentinel_Command_ApplyState) == 1 &&
			      peer_count(-1) == 1,
		      "%zu requests", peer_count(-1));
	}
	free(fw);
	write_config(FW_V2, AUTH_NO_VIEWER);
	peer_clear(&peer);
	CHECK_STATUS(api("POST", "/api/v1/config/reload", NULL, &who_admin),
		     200);
	CHECK(cp.nrules == 5, "%zu rules back", cp.nrules);
	peer_clear(&peer);
	tap_end("the real compiler refuses through sentinel-dp: POST 400, "
		"reload refused, nothing changed");
}

static void t_firewall_disabled(void)
{
	const struct peer_req *q;
	char fw[2048];

	snprintf(fw, sizeof(fw), "%s", FW_V2);
	/* "firewall:\n" then enabled: false */
	snprintf(fw + 10, sizeof(fw) - 10, "  enabled: false\n%s", FW_V2 + 10);
	write_config(fw, AUTH_NO_VIEWER);
	peer_clear(&peer);
	CHECK_STATUS(api("POST", "/api/v1/config/reload", NULL, &who_admin),
		     200);
	q = peer_last(sentinel_Command_ApplyState);
	CHECK(q && peer_count(-1) == 1 && q->nrules == 0 &&
		      q->policy == sentinel_Policy_Pass && !q->dry_run &&
		      q->nifsets == 0,
	      "disabled: %zu rules, policy %d, %zu interfaces",
	      q ? q->nrules : 0, q ? q->policy : -1, q ? q->nifsets : 0);
	CHECK(cp.nrules == 3, "%zu rules listed (the API's are kept)",
	      cp.nrules);
	peer_clear(&peer);
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"late\",\"action\":\"deny\","
			 "\"protocol\":\"udp\",\"dst_port\":7008}",
			 &who_admin),
		     409);
	CHECK(strstr(jstr("error.message"), "firewall.enabled: false") &&
		      strstr(jstr("error.message"), cfg_path),
	      "message: %s", jstr("error.message"));
	CHECK(peer_count(-1) == 0, "%zu requests sent", peer_count(-1));
	CHECK(!stored("late") && !listed("late"), "the rule was kept");
	/* still validated first */
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"late\",\"action\":\"deny\",\"dst_port\":1}",
			 &who_admin),
		     400);
	CHECK_STATUS(api("GET", "/api/v1/firewall/rules", NULL, &who_viewer),
		     200);
	CHECK_INT("count", 3);
	CHECK_STR("rules[0].source", "api");
	write_config(FW_V2, AUTH_NO_VIEWER);
	peer_clear(&peer);
	CHECK_STATUS(api("POST", "/api/v1/config/reload", NULL, &who_admin),
		     200);
	q = peer_last(sentinel_Command_ApplyState);
	CHECK(q && q->nrules == 4 && cp.nrules == 5, "enabled again: %zu",
	      q ? q->nrules : 0);
	peer_clear(&peer);
	tap_end("firewall.enabled: false: nothing enforced, POST 409 with "
		"nothing sent");
}

static void t_readyz(void)
{
	int rc = 0;

	pthread_mutex_lock(&peer.mu);
	peer.attached = false;
	pthread_mutex_unlock(&peer.mu);
	CHECK(tick() == 0, "tick");
	CHECK_STATUS(api("GET", "/readyz", NULL, &who_viewer), 503);
	CHECK_BODY("{\"status\":\"not_ready\",\"ebpf_loaded\":false,"
		   "\"dataplane_connected\":true,"
		   "\"reason\":\"no interface carries the firewall\"}");
	CHECK_STATUS(api("GET", "/api/v1/ebpf/status", NULL, &who_viewer), 200);
	CHECK_STR("programs[0].attachments[0].error",
		  "another XDP program holds the interface");
	pthread_mutex_lock(&peer.mu);
	peer.attached = true;
	pthread_mutex_unlock(&peer.mu);
	CHECK(tick() == 0, "tick");
	CHECK_STATUS(api("GET", "/readyz", NULL, &who_viewer), 200);

	/* sentinel-dp goes away */
	peer_stop(&peer);
	cp.dpc = dpc_short;
	CHECK(tick() < 0, "a tick without sentinel-dp succeeded");
	CHECK_STATUS(api("GET", "/readyz", NULL, &who_viewer), 503);
	CHECK_BODY("{\"status\":\"not_ready\",\"ebpf_loaded\":false,"
		   "\"dataplane_connected\":false,"
		   "\"reason\":\"sentinel-dp is not connected\"}");
	CHECK_STATUS(api("GET", "/api/v1/agent/status", NULL, &who_viewer),
		     200);
	CHECK(json_is_false(jat(R.body, "dataplane.connected")), "connected");
	CHECK_STATUS(api("GET", "/api/v1/ebpf/status", NULL, &who_viewer), 200);
	CHECK(json_is_false(jat(R.body, "programs[0].loaded")), "loaded");
	CHECK_STATUS(api("POST", "/api/v1/firewall/rules",
			 "{\"id\":\"gone-1\",\"action\":\"deny\"}", &who_oper),
		     503);
	CHECK(!stored("gone-1") && !listed("gone-1"), "stored without dp");
	CHECK_STATUS(api("GET", "/healthz", NULL, &who_viewer), 200);

	/* and comes back (a restart): the state is pushed again */
	peer_clear(&peer);
	if (peer_start(&peer))
		die("peer restart");
	for (int i = 0; i < 40; i++) {
		rc = tick();
		if (rc >= 0)
			break;
	}
	cp.dpc = dpc_long;
	CHECK(rc == 1, "after the restart: tick %d, want 1 (pushed)", rc);
	CHECK(peer_count(sentinel_Command_ApplyState) == 1,
	      "%zu ApplyState after the restart",
	      peer_count(sentinel_Command_ApplyState));
	CHECK(peer_last(sentinel_Command_ApplyState) &&
		      peer_last(sentinel_Command_ApplyState)->nrules == 4,
	      "the state pushed again is incomplete");
	CHECK_STATUS(api("GET", "/readyz", NULL, &who_viewer), 200);
	peer_clear(&peer);
	tap_end("readyz 503 with the reason when sentinel-dp is down or "
		"detached; the state pushed again after its restart");
}

static void t_metrics_openapi(void)
{
	char want[128];
	json_t *doc;

	pthread_mutex_lock(&peer.mu);
	peer.counters[0] = (struct sentinel_RuleCounter){
		.rule_id = kid_of("cfg-deny-7002"), .packets = 5, .bytes = 300};
	peer.ncounters = 1;
	pthread_mutex_unlock(&peer.mu);
	CHECK_STATUS(api("GET", "/metrics", NULL, &who_viewer), 200);
	CHECK(R.raw && R.content_type &&
		      !strncmp(R.content_type, "text/plain", 10),
	      "content type %s", R.content_type ?: "(none)");
	CHECK(R.raw && strstr(R.raw, "\nsentinel_dataplane_connected 1\n"),
	      "connected gauge");
	CHECK(R.raw && strstr(R.raw, "\nsentinel_rule_hits_total{rule=\""
				     "cfg-deny-7002\"} 5\n"),
	      "rule hits");
	CHECK(R.raw && strstr(R.raw, "sentinel_packets_total{verdict=\"drop\"}"
				     " 101\n"),
	      "packets by verdict");
	snprintf(want, sizeof(want),
		 "\nsentinel_rules_loaded{source=\"api\"} 3\n");
	CHECK(R.raw && strstr(R.raw, want), "rules loaded");
	snprintf(want, sizeof(want),
		 "\nsentinel_rules_loaded{source=\"config\"} 2\n");
	CHECK(R.raw && strstr(R.raw, want), "rules loaded");

	CHECK_STATUS(api("GET", "/api-docs/openapi.json", NULL, &who_viewer),
		     200);
	doc = R.raw ? json_loadb(R.raw, R.raw_len, 0, NULL) : NULL;
	CHECK(doc, "the OpenAPI document does not parse");
	for (size_t i = 0; doc && i < cp_nroutes; i++)
		CHECK(json_object_get(json_object_get(doc, "paths"),
				      cp_routes[i].pattern),
		      "%s is not documented", cp_routes[i].pattern);
	json_decref(doc);
	peer_clear(&peer);
	tap_end("metrics (rule hits, dp gauge) and the OpenAPI document");
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[300];
	uint64_t t0 = mono_ns();

	log_init("test-handlers", LOG_WARNING);
	/* the socket path must fit in sun_path */
	snprintf(base, sizeof(base), "%s/sentinel-handlers-XXXXXX",
		 tmp && *tmp == '/' && strlen(tmp) < 64 ? tmp : "/tmp");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(cfg_path, sizeof(cfg_path), "%s/sentinel.yaml", base);
	snprintf(dir, sizeof(dir), "%s/sock", base);
	if (mkdir(dir, 0700))
		die("%s: %s", dir, strerror(errno));
	snprintf(peer.url, sizeof(peer.url), "ipc://%s/ctl.sock", dir);
	peer.attached = true;
	if (peer_start(&peer))
		die("the stand-in sentinel-dp cannot listen");

	t_routes();
	cp_setup();
	t_before_connect();
	t_first_push();
	t_status();
	t_rules_list();
	t_rules_add();
	t_rules_bad();
	t_malformed();
	t_peer_refuses();
	t_peer_silent();
	t_rules_delete();
	t_alerts();
	t_false_positive();
	t_audit();
	t_config();
	t_reload_invalid();
	t_reload_valid();
	t_compiler_refuses();
	t_firewall_disabled();
	t_readyz();
	t_metrics_openapi();

	CHECK(peer.invalid == 0, "%zu requests sentinel-dp's validator refused",
	      peer.invalid);
	tap_end("every request sentinel-cp sent passed dp_cmd_decode");

	resp_clear();
	peer_stop(&peer);
	peer_clear(&peer);
	free(peer.reqs);
	cp_teardown();
	cleanup();
	printf("# %d checks in %.2f s\n", checks,
	       (double)(mono_ns() - t0) / 1e9);
	return tap_finish();
}
