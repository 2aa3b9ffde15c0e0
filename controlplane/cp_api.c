// SPDX-License-Identifier: GPL-2.0-only
/* sentinel-cp's REST endpoints: the route table (with each endpoint's role)
 * and the handlers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "cp.h"
#include "cp_api.h"
#include "cp_dp.h"
#include "http.h"
#include "log.h"
#include "openapi_json.h"
#include "prom.h"
#include "store.h"

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static json_t *iso_time(uint64_t unix_ns)
{
	time_t s = unix_ns / 1000000000ull;
	struct tm tm;
	char buf[40];

	if (!unix_ns)
		return json_null();
	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

/* s as a decimal number of digits only, at most max: strtoull alone would
 * take a sign or spaces and turn "-1" into 2^64 - 1.  false if it is not. */
static bool parse_uint(const char *s, unsigned long long max,
		       unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v > max)
		return false;
	*ret = v;
	return true;
}

/* The latest time the store can hold (unix ns in an int64), in seconds. */
#define TIME_MAX_S (INT64_MAX / 1000000000ll)

/* "2026-11-23T12:00:00Z" or unix seconds → unix ns, between 1970 and
 * TIME_MAX_S; -EINVAL otherwise. */
static int parse_time(const char *s, uint64_t *ret)
{
	struct tm tm = {0};
	unsigned long long v;
	char *end;
	time_t t;

	if (*s >= '0' && *s <= '9' && !s[strspn(s, "0123456789")]) {
		if (!parse_uint(s, TIME_MAX_S, &v))
			return -EINVAL;
		*ret = v * 1000000000ull;
		return 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z") && strcmp(end, "+00:00")))
		return -EINVAL;
	t = timegm(&tm);
	if (t < 0 || t > TIME_MAX_S)
		return -EINVAL;
	*ret = (uint64_t)t * 1000000000ull;
	return 0;
}

static const char *who_name(const struct http_request *rq)
{
	return rq->who->name[0] ? rq->who->name : "anonymous";
}

/* ---- public ---- */

static void h_healthz(void *ctx, const struct http_request *rq,
		      struct http_response *rs)
{
	rs->body = json_pack("{s:s}", "status", "ok");
}

static void h_readyz(void *ctx, const struct http_request *rq,
		     struct http_response *rs)
{
	struct cp *cp = ctx;
	bool ready = cp->dp.connected && cp->dp.attached;

	rs->status = ready ? 200 : 503;
	rs->body = json_pack("{s:s, s:b, s:b}", "status",
			     ready ? "ready" : "not_ready", "ebpf_loaded",
			     cp->dp.attached, "dataplane_connected",
			     cp->dp.connected);
	if (!ready)
		json_object_set_new(
			rs->body, "reason",
			json_string(
				!cp->dp.connected
					? "sentinel-dp is not connected"
					: "no interface carries the firewall"));
}

static void h_openapi(void *ctx, const struct http_request *rq,
		      struct http_response *rs)
{
	rs->raw = strdup(openapi_json);
	rs->raw_len = rs->raw ? strlen(rs->raw) : 0;
	rs->content_type = "application/json";
}

/* ---- agent ---- */

static void h_agent_status(void *ctx, const struct http_request *rq,
			   struct http_response *rs)
{
	struct cp *cp = ctx;
	char host[256] = "";
	json_t *ifs = json_array();

	gethostname(host, sizeof(host) - 1);
	if (cp->dp.status) {
		size_t i;
		json_t *a;

		json_array_foreach(
			json_object_get(cp->dp.status, "attachments"), i, a)
			json_array_append(ifs, json_object_get(a, "interface"));
	}
	rs->body = json_pack(
		"{s:s, s:s, s:I, s:{s:b, s:b, s:I, s:I}, s:o, s:I, s:[s]}",
		"version", SENTINEL_VERSION, "hostname", host, "uptime_seconds",
		(json_int_t)((now_ns(CLOCK_MONOTONIC) - cp->start_ns) /
			     1000000000ull),
		"dataplane", "connected", cp->dp.connected, "adopted",
		cp->dp.adopted, "prog_id", (json_int_t)cp->dp.prog_id,
		"rules_in_kernel", (json_int_t)cp->dp.rules, "interfaces", ifs,
		"rules_loaded", (json_int_t)cp->nrules, "features", "firewall");
}

static void h_ebpf_status(void *ctx, const struct http_request *rq,
			  struct http_response *rs)
{
	struct cp *cp = ctx;
	json_t *atts = cp->dp.status
			       ? json_object_get(cp->dp.status, "attachments")
			       : NULL;

	rs->body = json_pack("{s:[{s:s, s:b, s:I, s:o}]}", "programs", "name",
			     "sentinel_fw", "loaded", cp->dp.connected, "id",
			     (json_int_t)cp->dp.prog_id, "attachments",
			     atts ? json_incref(atts) : json_array());
}

/* ---- firewall rules ---- */

static json_t *rule_json(const struct cp_rule *r, json_t *counters)
{
	json_t *o = config_rule_to_json(&r->r), *h = NULL;
	char k[16];

	json_object_set_new(o, "source",
			    json_string(r->from_api ? "api" : "config"));
	json_object_set_new(o, "kernel_id", json_integer(r->kernel_id));
	if (counters) {
		snprintf(k, sizeof(k), "%u", r->kernel_id);
		h = json_object_get(json_object_get(counters, "rules"), k);
	}
	json_object_set_new(
		o, "hits",
		h ? json_incref(h)
		  : json_pack("{s:i, s:i}", "packets", 0, "bytes", 0));
	return o;
}

static bool page_of(const struct http_request *rq, struct store_page *pg,
		    struct http_response *rs);

struct textbuf {
	char *p;
	size_t len, cap;
	bool bad;
};

static void tb_add(struct textbuf *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->bad = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void cp_list_cache_free(struct cp_list_cache *lc)
{
	for (size_t i = 0; lc->rtxt && i < lc->nrtxt; i++)
		free(lc->rtxt[i]);
	free(lc->rtxt);
	free(lc->text);
	free(lc->off);
	json_decref(lc->counters);
	memset(lc, 0, sizeof(*lc));
}

/* Each rule's JSON without its hits (and the closing brace): made again
 * only when the rules change. */
static int list_rules_text(struct cp *cp)
{
	struct cp_list_cache *lc = &cp->rules_list;
	char **t;

	if (lc->rtxt && lc->rtxt_gen == cp->rules_gen)
		return 0;
	t = calloc(cp->nrules + 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < cp->nrules; i++) {
		const struct cp_rule *r = &cp->rules[i];
		json_t *o = config_rule_to_json(&r->r);

		json_object_set_new(
			o, "source",
			json_string(r->from_api ? "api" : "config"));
		json_object_set_new(o, "kernel_id", json_integer(r->kernel_id));
		t[i] = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (!t[i] || strlen(t[i]) < 2) {
			for (size_t k = 0; k <= i; k++)
				free(t[k]);
			free(t);
			return -ENOMEM;
		}
		t[i][strlen(t[i]) - 1] = '\0'; /* the hits come before it */
	}
	for (size_t i = 0; lc->rtxt && i < lc->nrtxt; i++)
		free(lc->rtxt[i]);
	free(lc->rtxt);
	lc->rtxt = t;
	lc->nrtxt = cp->nrules;
	lc->rtxt_gen = cp->rules_gen;
	return 0;
}

/*
 * Make the listing's text again if the rules or the counters (read at most
 * once a second) changed, from each rule's text and its hits.  off[i] is
 * where rule i's JSON starts in it, off[n] where the last one ends: a page
 * is a slice of it.
 */
static int list_refresh(struct cp *cp, json_t *counters)
{
	struct cp_list_cache *lc = &cp->rules_list;
	json_t *hits = json_object_get(counters, "rules");
	struct textbuf b = {0};
	size_t *off;
	char tail[96];

	if (lc->text && lc->gen == cp->rules_gen && lc->counters == counters)
		return 0;
	if (list_rules_text(cp))
		return -ENOMEM;
	off = malloc((cp->nrules + 1) * sizeof(*off));
	if (!off)
		return -ENOMEM;
	tb_add(&b, "{\"rules\":[", 10);
	for (size_t i = 0; i < cp->nrules && !b.bad; i++) {
		json_t *h = NULL;
		char k[16];
		int n;

		if (hits) {
			snprintf(k, sizeof(k), "%u", cp->rules[i].kernel_id);
			h = json_object_get(hits, k);
		}
		if (i)
			tb_add(&b, ",", 1);
		off[i] = b.len;
		tb_add(&b, lc->rtxt[i], strlen(lc->rtxt[i]));
		n = snprintf(tail, sizeof(tail),
			     ",\"hits\":{\"packets\":%" JSON_INTEGER_FORMAT
			     ",\"bytes\":%" JSON_INTEGER_FORMAT "}}",
			     json_integer_value(json_object_get(h, "packets")),
			     json_integer_value(json_object_get(h, "bytes")));
		tb_add(&b, tail, (size_t)n);
	}
	off[cp->nrules] = b.len;
	snprintf(tail, sizeof(tail), "],\"count\":%zu}", cp->nrules);
	tb_add(&b, tail, strlen(tail));
	if (b.bad) {
		free(b.p);
		free(off);
		return -ENOMEM;
	}
	free(lc->text);
	free(lc->off);
	json_decref(lc->counters);
	lc->text = b.p;
	lc->len = b.len;
	lc->off = off;
	lc->n = cp->nrules;
	lc->gen = cp->rules_gen;
	lc->counters = json_incref(counters);
	return 0;
}

/* ?limit=&offset=: one page of the listing (a slice of its text), with
 * the total in count. */
static void rules_page(struct cp *cp, const struct http_request *rq,
		       struct http_response *rs)
{
	const struct cp_list_cache *lc = &cp->rules_list;
	struct textbuf b = {0};
	struct store_page pg;
	size_t a, e;
	char tail[96];

	if (!page_of(rq, &pg, rs))
		return;
	a = pg.offset < lc->n ? (size_t)pg.offset : lc->n;
	e = lc->n - a < pg.limit ? lc->n : a + pg.limit;
	tb_add(&b, "{\"rules\":[", 10);
	if (e > a) /* rule e - 1 ends where the comma before rule e is */
		tb_add(&b, lc->text + lc->off[a],
		       (e < lc->n ? lc->off[e] - 1 : lc->off[lc->n]) -
			       lc->off[a]);
	snprintf(tail, sizeof(tail),
		 "],\"count\":%zu,\"limit\":%u,\"offset\":%llu}", lc->n,
		 pg.limit, (unsigned long long)pg.offset);
	tb_add(&b, tail, strlen(tail));
	if (b.bad) {
		free(b.p);
		http_error(rs, 500, NULL, "out of memory");
		return;
	}
	rs->raw = b.p;
	rs->raw_len = b.len;
}

static void h_rules_list(void *ctx, const struct http_request *rq,
			 struct http_response *rs)
{
	struct cp *cp = ctx;
	struct cp_list_cache *lc = &cp->rules_list;
	json_t *counters = NULL;
	char buf[32];
	int rc;

	cp_dp_counters(cp, &counters); /* hits are best effort */
	rc = list_refresh(cp, counters);
	json_decref(counters);
	if (rc) {
		http_error(rs, 500, NULL, "out of memory");
		return;
	}
	if (http_query(rq, "limit", buf, sizeof(buf)) ||
	    http_query(rq, "offset", buf, sizeof(buf))) {
		rules_page(cp, rq, rs);
		return;
	}
	/* sent from the cache: the server copies it once, into the reply */
	rs->raw = lc->text;
	rs->raw_len = lc->len;
	rs->raw_borrowed = true;
}

static ssize_t rule_find(const struct cp *cp, const char *id, size_t len)
{
	for (size_t i = 0; i < cp->nrules; i++)
		if (strlen(cp->rules[i].r.id) == len &&
		    !memcmp(cp->rules[i].r.id, id, len))
			return i;
	return -1;
}

/* Push set[0..n) to sentinel-dp, mapping failures to HTTP. */
static int push_or_fail(struct cp *cp, const struct cp_rule *set, size_t n,
			struct http_response *rs)
{
	char err[300];
	int rc = cp_dp_push_rules(cp, set, n, err, sizeof(err));

	if (rc == -EINVAL)
		http_error(rs, 400, NULL, "%s", err);
	else if (rc)
		http_error(rs, 503, NULL, "%s", err);
	return rc;
}

static void h_rules_add(void *ctx, const struct http_request *rq,
			struct http_response *rs)
{
	struct cp *cp = ctx;
	struct config_err cerr;
	struct cp_rule nr = {.from_api = true}, *set;
	char *text;
	int rc;

	if (!rq->body) {
		http_error(rs, 400, NULL, "a JSON rule object is required");
		return;
	}
	if (!json_is_object(rq->body)) {
		http_error(rs, 400, NULL, "a JSON rule object is required");
		return;
	}
	{
		/* what GET returns may be posted back: drop the read-only
		 * fields */
		json_t *b = json_copy(rq->body);

		json_object_del(b, "source");
		json_object_del(b, "kernel_id");
		json_object_del(b, "hits");
		rc = config_rule_from_json(b, &nr.r, &cerr);
		json_decref(b);
		if (rc) {
			http_error(rs, 400, cerr.path, "%s: %s", cerr.path,
				   cerr.msg);
			return;
		}
	}
	if (!cp->cfg->firewall.enabled) {
		/* a 201 means enforced: say why it would not be */
		http_error(rs, 409, NULL,
			   "the firewall is disabled (firewall.enabled: false "
			   "in %s): the rule would not be enforced",
			   cp->config_path);
		return;
	}
	if (rule_find(cp, nr.r.id, strlen(nr.r.id)) >= 0) {
		http_error(rs, 409, "id", "id: rule '%s' exists", nr.r.id);
		return;
	}
	if (store_kernel_id(cp->store, nr.r.id, &nr.kernel_id)) {
		http_error(rs, 500, NULL, "store: %s", store_errmsg(cp->store));
		return;
	}
	set = calloc(cp->nrules + 1, sizeof(*set));
	if (!set) {
		http_error(rs, 500, NULL, "out of memory");
		return;
	}
	memcpy(set, cp->rules, cp->nrules * sizeof(*set));
	set[cp->nrules] = nr;
	/* the kernel first: the 201 means enforced */
	if (push_or_fail(cp, set, cp->nrules + 1, rs)) {
		free(set);
		return;
	}
	json_t *j = config_rule_to_json(&nr.r);

	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		rc = -ENOMEM;
	else if (cp->cfg->audit.enabled)
		rc = store_rule_put_audited(cp->store, nr.r.id, text,
					    who_name(rq), STORE_RULE_NOREPLACE,
					    NULL, NULL);
	else
		rc = store_rule_put(cp->store, nr.r.id, text, who_name(rq),
				    STORE_RULE_NOREPLACE, NULL);
	free(text);
	if (rc) {
		char err[300];

		/* not recorded: take it out of the kernel again */
		http_error(rs, 500, NULL, "store: %s; the rule was withdrawn",
			   store_errmsg(cp->store));
		cp_dp_push_rules(cp, cp->rules, cp->nrules, err, sizeof(err));
		free(set);
		return;
	}
	free(cp->rules);
	cp->rules = set;
	cp->nrules++;
	cp_dp_rules_changed(cp);
	log_msg(LOG_INFO, "rule %s added by %s", nr.r.id, rq->who->name);
	rs->status = 201;
	rs->body = rule_json(&cp->rules[cp->nrules - 1], NULL);
}

static void h_rules_del(void *ctx, const struct http_request *rq,
			struct http_response *rs)
{
	struct cp *cp = ctx;
	ssize_t i = rule_find(cp, rq->param, rq->param_len);
	struct cp_rule *set;
	char id[CONFIG_ID_MAX + 1];
	int rc;

	if (i < 0) {
		http_error(rs, 404, "id", "no rule '%.*s'", (int)rq->param_len,
			   rq->param);
		return;
	}
	if (!cp->rules[i].from_api) {
		http_error(
			rs, 403, "id",
			"rule '%s' comes from the configuration file: change the file and reload",
			cp->rules[i].r.id);
		return;
	}
	snprintf(id, sizeof(id), "%s", cp->rules[i].r.id);
	set = calloc(cp->nrules ? cp->nrules : 1, sizeof(*set));
	if (!set) {
		http_error(rs, 500, NULL, "out of memory");
		return;
	}
	memcpy(set, cp->rules, i * sizeof(*set));
	memcpy(set + i, cp->rules + i + 1, (cp->nrules - i - 1) * sizeof(*set));
	if (push_or_fail(cp, set, cp->nrules - 1, rs)) {
		free(set);
		return;
	}
	rc = cp->cfg->audit.enabled
		     ? store_rule_del_audited(cp->store, id, who_name(rq), NULL)
		     : store_rule_del(cp->store, id);
	if (rc && rc != -ENOENT)
		log_msg(LOG_ERR, "rule %s deleted but not from the store: %s",
			id, store_errmsg(cp->store));
	free(cp->rules);
	cp->rules = set;
	cp->nrules--;
	cp_dp_rules_changed(cp);
	log_msg(LOG_INFO, "rule %s deleted by %s", id, rq->who->name);
	rs->body = json_pack("{s:s}", "deleted", id);
}

/* ---- alerts ---- */

static int alert_to_json(const struct store_alert *a, void *arr)
{
	json_t *o = json_pack(
		"{s:I, s:o, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:o, s:o, s:s?, s:b}",
		"id", (json_int_t)a->id, "timestamp", iso_time(a->ts),
		"component", a->component, "severity",
		store_severity_name(a->severity), "rule_id", a->rule_id,
		"action", a->action, "src_ip", a->src_ip, "dst_ip", a->dst_ip,
		"protocol", a->protocol, "interface", a->interface, "count",
		(json_int_t)a->count, "first_seen", iso_time(a->ts),
		"last_seen", iso_time(a->last_seen), "message", a->message,
		"false_positive", a->false_positive);

	if (!o)
		return -ENOMEM;
	if (a->src_port >= 0)
		json_object_set_new(o, "src_port", json_integer(a->src_port));
	if (a->dst_port >= 0)
		json_object_set_new(o, "dst_port", json_integer(a->dst_port));
	if (a->fp_by)
		json_object_set_new(o, "false_positive_by",
				    json_string(a->fp_by));
	return json_array_append_new(arr, o) ? -ENOMEM : 0;
}

/* limit and offset from the query; false (and rs filled) if bad. */
static bool page_of(const struct http_request *rq, struct store_page *pg,
		    struct http_response *rs)
{
	char buf[32];
	unsigned long long v;

	memset(pg, 0, sizeof(*pg));
	pg->limit = STORE_LIST_DEFAULT;
	if (http_query(rq, "limit", buf, sizeof(buf))) {
		if (!parse_uint(buf, STORE_LIST_MAX, &v) || v < 1) {
			http_error(rs, 400, "limit", "limit: 1..%d",
				   STORE_LIST_MAX);
			return false;
		}
		pg->limit = v;
	}
	if (http_query(rq, "offset", buf, sizeof(buf))) {
		/* the store takes offsets up to INT64_MAX */
		if (!parse_uint(buf, INT64_MAX, &v)) {
			http_error(rs, 400, "offset",
				   "offset: a non-negative integer");
			return false;
		}
		pg->offset = v;
	}
	return true;
}

static void h_alerts_list(void *ctx, const struct http_request *rq,
			  struct http_response *rs)
{
	struct cp *cp = ctx;
	struct store_alert_filter f = {0};
	struct store_page_info info = {0};
	struct store_page pg;
	char comp[STORE_COMPONENT_MAX + 1], buf[64];
	json_t *arr;

	if (!page_of(rq, &pg, rs))
		return;
	if (http_query(rq, "component", comp, sizeof(comp)))
		f.component = comp;
	if (http_query(rq, "severity", buf, sizeof(buf)) &&
	    store_severity_parse(buf, &f.min_severity)) {
		http_error(rs, 400, "severity",
			   "severity: low, medium, high or critical");
		return;
	}
	if (http_query(rq, "from", buf, sizeof(buf)) &&
	    parse_time(buf, &f.from)) {
		http_error(rs, 400, "from",
			   "from: RFC 3339 (UTC) or unix seconds");
		return;
	}
	if (http_query(rq, "to", buf, sizeof(buf)) && parse_time(buf, &f.to)) {
		http_error(rs, 400, "to", "to: RFC 3339 (UTC) or unix seconds");
		return;
	}
	if (http_query(rq, "false_positive", buf, sizeof(buf))) {
		if (!strcmp(buf, "true"))
			f.false_positive = STORE_FP_ONLY;
		else if (!strcmp(buf, "false"))
			f.false_positive = STORE_FP_EXCLUDE;
		else {
			http_error(rs, 400, "false_positive",
				   "false_positive: true or false");
			return;
		}
	}
	arr = json_array();
	if (store_alerts_list(cp->store, &f, &pg, alert_to_json, arr, &info)) {
		json_decref(arr);
		http_error(rs, 500, NULL, "store: %s", store_errmsg(cp->store));
		return;
	}
	rs->body =
		json_pack("{s:o, s:I, s:I, s:I}", "alerts", arr, "total",
			  (json_int_t)info.total, "limit", (json_int_t)pg.limit,
			  "offset", (json_int_t)pg.offset);
}

static void h_alert_fp(void *ctx, const struct http_request *rq,
		       struct http_response *rs)
{
	struct cp *cp = ctx;
	char buf[32];
	unsigned long long id;
	json_t *arr;
	int rc;

	/* longer than any alert number: refused, not cut to another id */
	if (rq->param_len >= sizeof(buf)) {
		http_error(rs, 400, "id", "id: an alert number");
		return;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)rq->param_len, rq->param);
	if (!parse_uint(buf, INT64_MAX, &id)) {
		http_error(rs, 400, "id", "id: an alert number");
		return;
	}
	rc = store_alert_mark_fp(
		cp->store, id, rq->who->name[0] ? rq->who->name : "anonymous");
	if (rc == -ENOENT) {
		http_error(rs, 404, "id", "no alert %llu", id);
		return;
	}
	arr = json_array();
	if (rc || store_alert_get(cp->store, id, alert_to_json, arr)) {
		json_decref(arr);
		http_error(rs, 500, NULL, "store: %s", store_errmsg(cp->store));
		return;
	}
	rs->body = json_incref(json_array_get(arr, 0));
	json_decref(arr);
}

/* ---- audit ---- */

static int audit_to_json(const struct store_audit *e, void *arr)
{
	json_t *before =
		e->before_json ? json_loads(e->before_json, 0, NULL) : NULL;
	json_t *after =
		e->after_json ? json_loads(e->after_json, 0, NULL) : NULL;
	const char *comp = !strcmp(e->object_type, STORE_OBJ_FIREWALL_RULE)
				   ? "firewall"
				   : e->object_type;
	json_t *o = json_pack("{s:I, s:o, s:s, s:s, s:s, s:s?, s:o, s:o}", "id",
			      (json_int_t)e->id, "timestamp", iso_time(e->ts),
			      "actor", e->actor, "action", e->action,
			      "component", comp, "object", e->object_id,
			      "before", before ? before : json_null(), "after",
			      after ? after : json_null());

	return o && !json_array_append_new(arr, o) ? 0 : -ENOMEM;
}

static void h_audit_logs(void *ctx, const struct http_request *rq,
			 struct http_response *rs)
{
	struct cp *cp = ctx;
	struct store_audit_filter f = {0};
	struct store_page_info info = {0};
	struct store_page pg;
	char comp[64], actor[STORE_ID_MAX + 1];
	json_t *arr;

	if (!page_of(rq, &pg, rs))
		return;
	if (http_query(rq, "component", comp, sizeof(comp)))
		f.object_type = !strcmp(comp, "firewall")
					? STORE_OBJ_FIREWALL_RULE
					: comp;
	if (http_query(rq, "actor", actor, sizeof(actor)))
		f.actor = actor;
	arr = json_array();
	if (store_audit_list(cp->store, &f, &pg, audit_to_json, arr, &info)) {
		json_decref(arr);
		http_error(rs, 500, NULL, "store: %s", store_errmsg(cp->store));
		return;
	}
	rs->body =
		json_pack("{s:o, s:I, s:I, s:I}", "entries", arr, "total",
			  (json_int_t)info.total, "limit", (json_int_t)pg.limit,
			  "offset", (json_int_t)pg.offset);
}

static void h_rule_history(void *ctx, const struct http_request *rq,
			   struct http_response *rs)
{
	struct cp *cp = ctx;
	struct store_page pg = {.limit = STORE_LIST_MAX};
	struct store_page_info info;
	char id[STORE_ID_MAX + 1];
	json_t *arr = json_array();

	snprintf(id, sizeof(id), "%.*s", (int)rq->param_len, rq->param);
	if (store_rule_history(cp->store, id, &pg, audit_to_json, arr, &info)) {
		json_decref(arr);
		http_error(rs, 500, NULL, "store: %s", store_errmsg(cp->store));
		return;
	}
	rs->body = json_pack("{s:s, s:o}", "rule_id", id, "history", arr);
}

/* ---- configuration ---- */

static void h_config(void *ctx, const struct http_request *rq,
		     struct http_response *rs)
{
	rs->body = cp_config_json(ctx);
	if (!rs->body)
		http_error(rs, 500, NULL, "the configuration cannot be shown");
}

static void h_reload(void *ctx, const struct http_request *rq,
		     struct http_response *rs)
{
	struct cp *cp = ctx;
	struct cp_reload_err err = {0};
	int rc = cp_reload(cp, rq->who->name[0] ? rq->who->name : "anonymous",
			   &err);

	if (rc == -EINVAL) {
		http_error(rs, 422, err.field[0] ? err.field : NULL, "%s",
			   err.msg);
		if (err.line > 0)
			json_object_set_new(json_object_get(rs->body, "error"),
					    "line", json_integer(err.line));
		return;
	}
	if (rc) {
		http_error(rs, 503, NULL, "%s", err.msg);
		return;
	}
	rs->body = json_pack("{s:s, s:I}", "status", "reloaded", "rules",
			     (json_int_t)cp->nrules);
}

/* ---- metrics ---- */

static void proc_self(double *rss_bytes, double *cpu_s)
{
	FILE *f = fopen("/proc/self/stat", "r");
	unsigned long utime = 0, stime = 0;
	long rss = 0;

	*rss_bytes = *cpu_s = 0;
	if (!f)
		return;
	/* fields 14, 15 (utime, stime) and 24 (rss in pages) */
	if (fscanf(f,
		   "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d %*u %*u %ld",
		   &utime, &stime, &rss) == 3) {
		*cpu_s = (double)(utime + stime) / sysconf(_SC_CLK_TCK);
		*rss_bytes = (double)rss * sysconf(_SC_PAGESIZE);
	}
	fclose(f);
}

void cp_metrics_text(struct cp *cp, struct http_server *srv,
		     const struct http_route *routes, size_t nroutes,
		     char **ret, size_t *ret_len)
{
	json_t *c = NULL, *v;
	const char *key;
	struct prom p;
	double rss, cpu;

	prom_init(&p);
	cp_dp_counters(cp, &c);
	prom_family(&p, "sentinel_dataplane_connected", "gauge",
		    "1 when sentinel-dp answers on its control socket");
	prom_sample(&p, "sentinel_dataplane_connected", NULL, cp->dp.connected);
	prom_family(&p, "sentinel_dataplane_restarts_total", "counter",
		    "sentinel-dp instances seen to change on the event stream");
	prom_sample(&p, "sentinel_dataplane_restarts_total", NULL,
		    cp->ev.dp_restarts);
	prom_family(
		&p, "sentinel_packets_total", "counter",
		"Packets seen by the XDP firewall, by verdict or reason (all interfaces)");
	json_object_foreach(c ? json_object_get(c, "global") : NULL, key, v)
	{
		const char *l[] = {"verdict", key, NULL};

		prom_sample(&p, "sentinel_packets_total", l,
			    json_integer_value(json_object_get(v, "packets")));
	}
	prom_family(&p, "sentinel_bytes_total", "counter",
		    "Bytes seen by the XDP firewall, by verdict or reason");
	json_object_foreach(c ? json_object_get(c, "global") : NULL, key, v)
	{
		const char *l[] = {"verdict", key, NULL};

		prom_sample(&p, "sentinel_bytes_total", l,
			    json_integer_value(json_object_get(v, "bytes")));
	}
	for (int bytes = 0; bytes < 2; bytes++) {
		const char *fam = bytes ? "sentinel_interface_bytes_total"
					: "sentinel_interface_packets_total";
		static const char *const verdicts[] = {"pass", "drop", "tx"};
		json_t *ifc = c ? json_object_get(c, "interfaces") : NULL;
		size_t i;

		prom_family(&p, fam, "counter",
			    bytes ? "Bytes by interface and XDP verdict"
				  : "Packets by interface and XDP verdict "
				    "(interface=\"other\": beyond the kernel's "
				    "per-interface slots)");
		json_array_foreach(ifc, i, v)
		{
			const char *name = json_string_value(
				json_object_get(v, "interface"));
			char idx[32];

			if (!name) {
				/* gone since, or the shared overflow slot */
				json_int_t ix = json_integer_value(
					json_object_get(v, "ifindex"));

				if (ix)
					snprintf(idx, sizeof(idx),
						 "ifindex-%lld", (long long)ix);
				else
					snprintf(idx, sizeof(idx), "other");
				name = idx;
			}
			for (size_t k = 0; k < 3; k++) {
				const char *l[] = {"interface", name, "verdict",
						   verdicts[k], NULL};

				prom_sample(
					&p, fam, l,
					json_integer_value(json_object_get(
						json_object_get(v, verdicts[k]),
						bytes ? "bytes" : "packets")));
			}
		}
	}
	prom_family(&p, "sentinel_rule_hits_total", "counter",
		    "Packets matched per firewall rule");
	for (size_t i = 0; c && i < cp->nrules; i++) {
		char k[16];
		const char *l[] = {"rule", cp->rules[i].r.id, NULL};

		snprintf(k, sizeof(k), "%u", cp->rules[i].kernel_id);
		v = json_object_get(json_object_get(c, "rules"), k);
		prom_sample(
			&p, "sentinel_rule_hits_total", l,
			v ? json_integer_value(json_object_get(v, "packets"))
			  : 0);
	}
	prom_family(&p, "sentinel_rules_loaded", "gauge",
		    "Firewall rules in the desired set, by source");
	{
		size_t api = 0;

		for (size_t i = 0; i < cp->nrules; i++)
			api += cp->rules[i].from_api;
		const char *lc[] = {"source", "config", NULL};
		const char *la[] = {"source", "api", NULL};

		prom_sample(&p, "sentinel_rules_loaded", lc, cp->nrules - api);
		prom_sample(&p, "sentinel_rules_loaded", la, api);
	}
	prom_family(&p, "sentinel_events_received_total", "counter",
		    "Firewall events received from sentinel-dp");
	prom_sample(&p, "sentinel_events_received_total", NULL, cp->ev.events);
	prom_family(&p, "sentinel_events_lost_total", "counter",
		    "Events lost before reaching sentinel-cp, by where");
	{
		const char *l1[] = {"where", "kernel_ring", NULL};
		const char *l2[] = {"where", "channel", NULL};
		const char *l3[] = {"where", "batch_gap", NULL};

		prom_sample(&p, "sentinel_events_lost_total", l1,
			    cp->ev.dp_ring_lost);
		prom_sample(&p, "sentinel_events_lost_total", l2,
			    cp->ev.dp_send_dropped);
		prom_sample(&p, "sentinel_events_lost_total", l3,
			    cp->ev.seq_gaps);
	}
	prom_family(
		&p, "sentinel_alerts_total", "counter",
		"Alerts stored (new) or folded into an existing one (deduplicated)");
	{
		const char *l1[] = {"result", "new", NULL};
		const char *l2[] = {"result", "deduplicated", NULL};
		const char *l3[] = {"result", "failed", NULL};

		prom_sample(&p, "sentinel_alerts_total", l1,
			    cp->ev.alerts_added);
		prom_sample(&p, "sentinel_alerts_total", l2,
			    cp->ev.alerts_deduped);
		prom_sample(&p, "sentinel_alerts_total", l3,
			    cp->ev.alerts_failed);
	}
	prom_family(&p, "sentinel_api_requests_total", "counter",
		    "API requests by route and status class");
	for (size_t i = 0; srv && i <= nroutes; i++) {
		const struct http_route_stats *st = http_server_stats(srv, i);
		const char *route =
			i < nroutes ? routes[i].pattern : "unmatched";

		for (int k = 1; k <= 5; k++) {
			char cls[4] = {(char)('0' + k), 'x', 'x', 0};
			const char *l[] = {"route", route, "status", cls, NULL};

			if (st->by_class[k])
				prom_sample(&p, "sentinel_api_requests_total",
					    l, st->by_class[k]);
		}
	}
	prom_family(
		&p, "sentinel_api_auth_lockouts_total", "counter",
		"Addresses locked out after repeated failed authentications");
	prom_sample(&p, "sentinel_api_auth_lockouts_total", NULL,
		    srv ? http_server_lockouts(srv) : 0);
	proc_self(&rss, &cpu);
	prom_family(&p, "sentinel_cp_resident_memory_bytes", "gauge",
		    "Resident memory of sentinel-cp");
	prom_sample(&p, "sentinel_cp_resident_memory_bytes", NULL, rss);
	prom_family(&p, "sentinel_cp_cpu_seconds_total", "counter",
		    "CPU time of sentinel-cp (user + system)");
	prom_sample(&p, "sentinel_cp_cpu_seconds_total", NULL, cpu);
	json_decref(c);
	*ret = prom_take(&p, ret_len);
}

static void h_metrics(void *ctx, const struct http_request *rq,
		      struct http_response *rs)
{
	struct cp *cp = ctx;

	cp_metrics_text(cp, cp->http, cp_routes, cp_nroutes, &rs->raw,
			&rs->raw_len);
	if (!rs->raw) {
		http_error(rs, 500, NULL, "out of memory");
		return;
	}
	rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/*
 * Every endpoint and the least role it needs, in one table (the RBAC test
 * walks it): 0 public, then viewer < operator < admin.
 */
const struct http_route cp_routes[] = {
	{HTTP_GET, "/healthz", 0, h_healthz},
	{HTTP_GET, "/readyz", 0, h_readyz},
	{HTTP_GET, "/api-docs/openapi.json", 0, h_openapi},
	{HTTP_GET, "/metrics", AUTH_ROLE_VIEWER, h_metrics},
	{HTTP_GET, "/api/v1/agent/status", AUTH_ROLE_VIEWER, h_agent_status},
	{HTTP_GET, "/api/v1/ebpf/status", AUTH_ROLE_VIEWER, h_ebpf_status},
	{HTTP_GET, "/api/v1/firewall/rules", AUTH_ROLE_VIEWER, h_rules_list},
	{HTTP_POST, "/api/v1/firewall/rules", AUTH_ROLE_OPERATOR, h_rules_add},
	{HTTP_DELETE, "/api/v1/firewall/rules/{id}", AUTH_ROLE_ADMIN,
	 h_rules_del},
	{HTTP_GET, "/api/v1/alerts", AUTH_ROLE_VIEWER, h_alerts_list},
	{HTTP_POST, "/api/v1/alerts/{id}/false-positive", AUTH_ROLE_OPERATOR,
	 h_alert_fp},
	{HTTP_GET, "/api/v1/audit/logs", AUTH_ROLE_VIEWER, h_audit_logs},
	{HTTP_GET, "/api/v1/audit/rules/{id}/history", AUTH_ROLE_VIEWER,
	 h_rule_history},
	{HTTP_GET, "/api/v1/config", AUTH_ROLE_VIEWER, h_config},
	{HTTP_POST, "/api/v1/config/reload", AUTH_ROLE_ADMIN, h_reload},
};
const size_t cp_nroutes = sizeof(cp_routes) / sizeof(cp_routes[0]);
