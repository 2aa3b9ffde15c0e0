// SPDX-License-Identifier: GPL-2.0-only
/* sentinelctl's commands: one request each, its answer as a table or JSON. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "output.h"
#include "rest.h"

#define JSON_ARG_MAX (1u << 20) /* --json @FILE and --json - */
#define CHANGE_MAX   100	/* columns of an audit CHANGE cell */

/* ---- values ---- */

static int check_id(const char *what, const char *id)
{
	if (!*id || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return ctl_usage_error("%s: '%s' is not an id", what, id);
	return EXIT_OK;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool jint(const json_t *o, const char *k, long long *ret)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		return false;
	*ret = json_integer_value(v);
	return true;
}

/* "key: value" lines of a record view. */
static void kv(const char *k, const char *v)
{
	printf("%-14s", k);
	out_safe(stdout, v, false);
	putchar('\n');
}

/* kv() of a boolean field in words; nothing when it is not a boolean. */
static void kv_bool(const char *k, const json_t *o, const char *key,
		    const char *yes, const char *no)
{
	json_t *v = json_object_get(o, key);

	if (json_is_boolean(v))
		kv(k, json_is_true(v) ? yes : no);
}

/* The strings of an array joined by ", " into a new string; NULL when v is
 * not an array or memory ran out. */
static char *join(const json_t *v)
{
	char *s = NULL;
	size_t n = 0, i;
	FILE *m;
	json_t *e;

	if (!json_is_array(v))
		return NULL;
	m = open_memstream(&s, &n);
	if (!m)
		return NULL;
	json_array_foreach(v, i, e)
	{
		char *d = NULL;

		if (i)
			fputs(", ", m);
		if (json_is_string(e))
			fputs(json_string_value(e), m);
		else if ((d = json_dumps(e, JSON_ENCODE_ANY)))
			fputs(d, m);
		free(d);
	}
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* "addr:port", "[v6]:port" or the address alone. */
static int set_endpoint(struct table *t, size_t col, const json_t *a,
			const char *addr_key, const char *port_key)
{
	const char *ip = jstr(a, addr_key);
	long long port;

	if (!ip)
		return table_set(t, col, NULL);
	if (!jint(a, port_key, &port))
		return table_set(t, col, ip);
	if (strchr(ip, ':'))
		return table_setf(t, col, "[%s]:%lld", ip, port);
	return table_setf(t, col, "%s:%lld", ip, port);
}

/* The answer as indented JSON (-o json). */
static int print_json(const json_t *v)
{
	return out_json(stdout, v) < 0 ? ctl_no_memory() : EXIT_OK;
}

/* Prints items (an array) as a table, one row each by row(). */
static int print_table(const struct table_column *cols, size_t ncols,
		       const json_t *items,
		       int (*row)(struct table *t, const json_t *item))
{
	struct table *t;
	json_t *item;
	size_t i;
	int r = 0;

	if (table_new(cols, ncols, &t) < 0)
		return ctl_no_memory();
	json_array_foreach(items, i, item)
	{
		r = row(t, item);
		if (r < 0)
			break;
	}
	if (r == 0)
		table_print(t, stdout);
	table_free(t);
	return r < 0 ? ctl_no_memory() : EXIT_OK;
}

/* "alerts 101-200 of 342; more with --offset 200" under a page that is
 * not the whole list. */
static void print_page(const json_t *v, const char *what, size_t shown)
{
	long long total, offset = 0, end;

	if (!jint(v, "total", &total) && !jint(v, "count", &total))
		return;
	jint(v, "offset", &offset);
	end = offset + (long long)shown;
	if (offset == 0 && end >= total)
		return;
	printf("%s %lld-%lld of %lld", what, shown ? offset + 1 : offset, end,
	       total);
	if (end < total)
		printf("; more with --offset %lld", end);
	putchar('\n');
}

/* Shows a list answer: as is with -o json; else the array under key by
 * print(), or the sentence none when it is empty, then the page line when
 * page names what the list holds. */
static int show_list(const struct ctx *x, const json_t *v, const char *key,
		     int (*print)(const json_t *items), const char *none,
		     const char *page)
{
	const json_t *items = json_object_get(v, key);
	int r = EXIT_OK;

	if (x->json)
		return print_json(v);
	if (!json_is_array(items)) {
		fprintf(stderr,
			"sentinelctl: %s: the answer has no \"%s\" array\n",
			x->name, key);
		return EXIT_SERVER;
	}
	if (json_array_size(items))
		r = print(items);
	else
		puts(none);
	if (r == EXIT_OK && page)
		print_page(v, page, json_array_size(items));
	return r;
}

/* ---- version, status, health, metrics ---- */

int cmd_version(struct ctx *x, const char *arg)
{
	json_t *v;
	int r;

	if (!x->json) {
		printf("sentinelctl %s (libcurl %s, jansson %s)\n",
		       SENTINEL_VERSION, rest_library_version(),
		       JANSSON_VERSION);
		return EXIT_OK;
	}
	v = json_pack("{s:s, s:s, s:s}", "version", SENTINEL_VERSION, "libcurl",
		      rest_library_version(), "jansson", JANSSON_VERSION);
	if (!v)
		return ctl_no_memory();
	r = print_json(v);
	json_decref(v);
	return r;
}

int cmd_status(struct ctx *x, const char *arg)
{
	json_t *st, *dp;
	const char *s;
	char buf[64];
	long long n;
	char *list;
	int r;

	r = request_json(x, "GET", "/api/v1/agent/status", NULL, &st);
	if (r != EXIT_OK)
		return r;
	if (x->json) {
		r = print_json(st);
		json_decref(st);
		return r;
	}
	if ((s = jstr(st, "version")))
		kv("version", s);
	if ((s = jstr(st, "hostname")))
		kv("hostname", s);
	if (jint(st, "uptime_seconds", &n) && n >= 0) {
		out_duration(buf, sizeof(buf), (unsigned long long)n);
		kv("uptime", buf);
	}
	dp = json_object_get(st, "dataplane");
	if (json_is_object(dp)) {
		bool up = json_is_true(json_object_get(dp, "connected"));
		bool adopted = json_is_true(json_object_get(dp, "adopted"));
		int len;

		len = snprintf(buf, sizeof(buf), "%s%s",
			       up ? "connected" : "disconnected",
			       adopted ? ", adopted" : "");
		if (jint(dp, "prog_id", &n))
			snprintf(buf + len, sizeof(buf) - len, " (prog %lld)",
				 n);
		kv("dataplane", buf);
	}
	if ((list = join(json_object_get(st, "interfaces")))) {
		kv("interfaces", *list ? list : "none");
		free(list);
	}
	if (jint(st, "rules_loaded", &n)) {
		snprintf(buf, sizeof(buf), "%lld", n);
		kv("rules loaded", buf);
	}
	if ((list = join(json_object_get(st, "features")))) {
		kv("features", *list ? list : "none");
		free(list);
	}
	json_decref(st);
	return EXIT_OK;
}

int cmd_health(struct ctx *x, const char *arg)
{
	struct rest_response resp = {0};
	json_t *live = NULL, *ready = NULL, *both;
	const char *s;
	int r;

	r = request_json(x, "GET", "/healthz", NULL, &live);
	if (r != EXIT_OK)
		return r;
	r = request_send(x, "GET", "/readyz", NULL, &resp);
	if (r != EXIT_OK)
		goto out;
	/* 503 with the readiness shape is an answer, not a failure. */
	if (resp.status == 200 || resp.status == 503)
		ready = json_loadb(resp.body, resp.len, 0, NULL);
	if (!jstr(ready, "status")) {
		r = request_error(x, &resp);
		goto out;
	}
	r = EXIT_OK;
	if (resp.status != 200) {
		fprintf(stderr, "sentinelctl: health: not ready (HTTP %ld)\n",
			resp.status);
		r = EXIT_SERVER;
	}
	if (x->json) {
		both = json_pack("{s:O, s:O}", "healthz", live, "readyz",
				 ready);
		if (!both)
			r = ctl_no_memory();
		else if (print_json(both) != EXIT_OK)
			r = EXIT_USAGE;
		json_decref(both);
		goto out;
	}
	kv("live", (s = jstr(live, "status")) ? s : "?");
	kv("ready", jstr(ready, "status"));
	if ((s = jstr(ready, "reason")))
		kv("reason", s);
	kv_bool("ebpf", ready, "ebpf_loaded", "loaded", "not loaded");
	kv_bool("dataplane", ready, "dataplane_connected", "connected",
		"disconnected");
out:
	rest_response_clear(&resp);
	json_decref(live);
	json_decref(ready);
	return r;
}

int cmd_metrics(struct ctx *x, const char *arg)
{
	struct rest_response resp = {0};
	int r;

	r = request_send(x, "GET", "/metrics", NULL, &resp);
	if (r != EXIT_OK)
		return r;
	if (resp.status < 200 || resp.status > 299) {
		r = request_error(x, &resp);
	} else {
		/* Prometheus text either way: it has no JSON form. */
		out_safe(stdout, resp.body, true);
		if (resp.len && resp.body[resp.len - 1] != '\n')
			putchar('\n');
	}
	rest_response_clear(&resp);
	return r;
}

/* ---- firewall ---- */

enum {
	R_ID,
	R_PRIO,
	R_ACTION,
	R_PROTO,
	R_SRC,
	R_SPORT,
	R_DST,
	R_DPORT,
	R_VLAN,
	R_IFACE,
	R_FLAGS,
	R_ICMP,
	R_STATE,
	R_ORIGIN,
	R_PACKETS,
	R_BYTES,
	R_NCOLS,
};

static const struct table_column rule_cols[R_NCOLS] = {
	[R_ID] = {"ID", 0, "-"},
	[R_PRIO] = {"PRIO", TABLE_RIGHT, "-"},
	[R_ACTION] = {"ACTION", 0, "-"},
	[R_PROTO] = {"PROTO", 0, "any"},
	[R_SRC] = {"SRC", 0, "any"},
	[R_SPORT] = {"SPORT", 0, "any"},
	[R_DST] = {"DST", 0, "any"},
	[R_DPORT] = {"DPORT", 0, "any"},
	[R_VLAN] = {"VLAN", TABLE_HIDE_EMPTY, "any"},
	[R_IFACE] = {"IFACE", TABLE_HIDE_EMPTY, "any"},
	[R_FLAGS] = {"TCP-FLAGS", TABLE_HIDE_EMPTY, "any"},
	[R_ICMP] = {"ICMP", TABLE_HIDE_EMPTY, "any"},
	[R_STATE] = {"STATE", TABLE_HIDE_EMPTY, ""},
	[R_ORIGIN] = {"ORIGIN", TABLE_HIDE_EMPTY, "-"},
	[R_PACKETS] = {"PACKETS", TABLE_RIGHT | TABLE_HIDE_EMPTY, "-"},
	[R_BYTES] = {"BYTES", TABLE_RIGHT | TABLE_HIDE_EMPTY, "-"},
};

static int rule_row(struct table *t, const json_t *rule)
{
	static const struct {
		int col;
		const char *key;
	} plain[] = {
		{R_ID, "id"},		{R_PRIO, "priority"},
		{R_ACTION, "action"},	{R_PROTO, "protocol"},
		{R_SRC, "src_ip"},	{R_SPORT, "src_port"},
		{R_DST, "dst_ip"},	{R_DPORT, "dst_port"},
		{R_VLAN, "vlan_id"},	{R_IFACE, "interface"},
		{R_FLAGS, "tcp_flags"}, {R_ORIGIN, "source"},
	};
	json_t *hits = json_object_get(rule, "hits");
	bool dry = json_is_true(json_object_get(rule, "dry_run"));
	bool off = json_is_false(json_object_get(rule, "enabled"));
	long long type, code, n;
	int r = table_add_row(t);

	for (size_t i = 0; r == 0 && i < sizeof(plain) / sizeof(plain[0]); i++)
		r = table_set_json(t, plain[i].col,
				   json_object_get(rule, plain[i].key));
	if (r == 0 && jint(rule, "icmp_type", &type)) {
		if (jint(rule, "icmp_code", &code))
			r = table_setf(t, R_ICMP, "%lld/%lld", type, code);
		else
			r = table_setf(t, R_ICMP, "%lld", type);
	}
	if (r == 0 && (dry || off))
		r = table_setf(t, R_STATE, "%s%s%s", off ? "disabled" : "",
			       off && dry ? "," : "", dry ? "dry-run" : "");
	if (r == 0 && jint(hits, "packets", &n))
		r = table_setf(t, R_PACKETS, "%lld", n);
	if (r == 0 && jint(hits, "bytes", &n) && n >= 0) {
		char buf[32];

		out_bytes(buf, sizeof(buf), (unsigned long long)n);
		r = table_set(t, R_BYTES, buf);
	}
	return r;
}

static int check_paging(const struct ctx *x);

static int print_rules(const json_t *rules)
{
	return print_table(rule_cols, R_NCOLS, rules, rule_row);
}

int cmd_fw_list(struct ctx *x, const char *arg)
{
	static const int opts[] = {OPT_LIMIT, OPT_OFFSET};
	static const char *const keys[] = {"limit", "offset"};
	bool paged = x->seen[OI(OPT_LIMIT)] || x->seen[OI(OPT_OFFSET)];
	json_t *v;
	char *path;
	int r;

	r = check_paging(x);
	if (r != EXIT_OK)
		return r;
	path = request_list_path(x, "/api/v1/firewall/rules", opts, keys, 2);
	if (!path)
		return ctl_no_memory();
	r = request_json(x, "GET", path, NULL, &v);
	free(path);
	if (r != EXIT_OK)
		return r;
	r = show_list(x, v, "rules", print_rules, "no firewall rules",
		      paged ? "rules" : NULL);
	json_decref(v);
	return r;
}

enum flag_kind {
	K_STR,	/* a JSON string */
	K_INT,	/* a JSON integer */
	K_PORT, /* an integer, or "LO-HI" as a string */
	K_TRUE, /* a flag without value: true */
};

/* The rule flags of `firewall add` and the RULE fields they set. */
static const struct rule_flag {
	int opt;
	const char *key;
	enum flag_kind kind;
	long long min, max; /* K_INT bounds */
} rule_flags[] = {
	{OPT_ID, "id", K_STR, 0, 0},
	{OPT_PRIORITY, "priority", K_INT, 0, UINT32_MAX},
	{OPT_ACTION, "action", K_STR, 0, 0},
	{OPT_PROTOCOL, "protocol", K_STR, 0, 0},
	{OPT_SRC_IP, "src_ip", K_STR, 0, 0},
	{OPT_DST_IP, "dst_ip", K_STR, 0, 0},
	{OPT_SRC_PORT, "src_port", K_PORT, 0, 0},
	{OPT_DST_PORT, "dst_port", K_PORT, 0, 0},
	{OPT_VLAN, "vlan_id", K_INT, 0, 4095},
	{OPT_INTERFACE, "interface", K_STR, 0, 0},
	{OPT_TCP_FLAGS, "tcp_flags", K_STR, 0, 0},
	{OPT_ICMP_TYPE, "icmp_type", K_INT, 0, 255},
	{OPT_ICMP_CODE, "icmp_code", K_INT, 0, 255},
	{OPT_DRY_RUN, "dry_run", K_TRUE, 0, 0},
};

/* "22" or "1024-65535" (the range is sent as a string, as the API
 * writes it). */
static bool port_syntax(const char *s, bool *is_range)
{
	size_t a = strspn(s, "0123456789"), b;

	if (a == 0 || a > 5)
		return false;
	if (!s[a]) {
		*is_range = false;
		return true;
	}
	if (s[a] != '-')
		return false;
	b = strspn(s + a + 1, "0123456789");
	*is_range = true;
	return b > 0 && b <= 5 && !s[a + 1 + b];
}

static int rule_from_flags(const struct ctx *x, json_t **ret)
{
	json_t *rule = json_object();
	bool any = false;

	if (!rule)
		return ctl_no_memory();
	for (size_t i = 0; i < sizeof(rule_flags) / sizeof(rule_flags[0]);
	     i++) {
		const struct rule_flag *f = &rule_flags[i];
		const char *s = x->val[OI(f->opt)];
		json_t *v = NULL;
		long long n;
		bool range;

		if (!x->seen[OI(f->opt)])
			continue;
		any = true;
		switch (f->kind) {
		case K_STR:
			v = json_string(s);
			break;
		case K_INT:
			if (!ctl_parse_ll(s, f->min, f->max, &n)) {
				json_decref(rule);
				return ctl_usage_error(
					"--%s: expected an integer %lld..%lld, got '%s'",
					ctl_opt_name(f->opt), f->min, f->max,
					s);
			}
			v = json_integer(n);
			break;
		case K_PORT:
			if (!port_syntax(s, &range)) {
				json_decref(rule);
				return ctl_usage_error(
					"--%s: expected PORT or LO-HI, got '%s'",
					ctl_opt_name(f->opt), s);
			}
			v = range ? json_string(s) : json_integer(atoll(s));
			break;
		case K_TRUE:
			v = json_true();
			break;
		}
		/* json_string() refuses invalid UTF-8. */
		if (!v) {
			json_decref(rule);
			return ctl_usage_error("--%s: not valid UTF-8",
					       ctl_opt_name(f->opt));
		}
		if (json_object_set_new(rule, f->key, v) < 0) {
			json_decref(rule);
			return ctl_no_memory();
		}
	}
	if (!any) {
		json_decref(rule);
		return ctl_usage_error(
			"firewall add: give the rule as flags (--id ID --action ACTION ...) or as --json '{...}'");
	}
	*ret = rule;
	return EXIT_OK;
}

/* Reads the --json argument: the text itself, "-" for standard input or
 * "@FILE"; bounded by JSON_ARG_MAX. */
static int rule_from_json(const char *arg, json_t **ret)
{
	const char *path = NULL;
	json_error_t jerr;
	json_t *v;

	if (strcmp(arg, "-") == 0 || arg[0] == '@') {
		FILE *f = stdin;
		char *buf = malloc(JSON_ARG_MAX + 1);
		size_t n;

		if (!buf)
			return ctl_no_memory();
		if (arg[0] == '@') {
			path = arg + 1;
			f = fopen(path, "re");
			if (!f) {
				free(buf);
				return ctl_usage_error("--json @%s: %s", path,
						       strerror(errno));
			}
		}
		n = fread(buf, 1, JSON_ARG_MAX + 1, f);
		if (ferror(f)) {
			int e = errno;

			if (f != stdin)
				fclose(f);
			free(buf);
			return ctl_usage_error("--json %s: %s", arg,
					       strerror(e));
		}
		if (f != stdin)
			fclose(f);
		if (n > JSON_ARG_MAX) {
			free(buf);
			return ctl_usage_error(
				"--json %s: larger than %u bytes", arg,
				JSON_ARG_MAX);
		}
		v = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &jerr);
		free(buf);
	} else {
		v = json_loads(arg, JSON_REJECT_DUPLICATES, &jerr);
	}
	if (!v)
		return ctl_usage_error("--json%s%s: line %d column %d: %s",
				       path ? " @" : "", path ? path : "",
				       jerr.line, jerr.column, jerr.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return ctl_usage_error(
			"--json: expected a JSON object (a rule)");
	}
	*ret = v;
	return EXIT_OK;
}

int cmd_fw_add(struct ctx *x, const char *arg)
{
	json_t *rule = NULL, *created, *one;
	int r;

	if (x->seen[OI(OPT_JSON)]) {
		for (size_t i = 0;
		     i < sizeof(rule_flags) / sizeof(rule_flags[0]); i++)
			if (x->seen[OI(rule_flags[i].opt)])
				return ctl_usage_error(
					"--json and --%s cannot be combined: put the field in the JSON",
					ctl_opt_name(rule_flags[i].opt));
		r = rule_from_json(x->val[OI(OPT_JSON)], &rule);
	} else {
		r = rule_from_flags(x, &rule);
	}
	if (r != EXIT_OK)
		return r;
	r = request_json(x, "POST", "/api/v1/firewall/rules", rule, &created);
	json_decref(rule);
	if (r != EXIT_OK)
		return r;
	if (x->json) {
		r = print_json(created);
	} else {
		one = json_pack("[O]", created);
		r = one ? print_rules(one) : ctl_no_memory();
		json_decref(one);
	}
	json_decref(created);
	return r;
}

int cmd_fw_delete(struct ctx *x, const char *id)
{
	json_t *v;
	char *path;
	int r;

	r = check_id("firewall delete", id);
	if (r != EXIT_OK)
		return r;
	path = request_id_path("/api/v1/firewall/rules", id, "");
	if (!path)
		return ctl_no_memory();
	r = request_json(x, "DELETE", path, NULL, &v);
	free(path);
	if (r != EXIT_OK)
		return r;
	if (x->json) {
		r = print_json(v);
	} else {
		fputs("deleted rule ", stdout);
		out_safe(stdout, jstr(v, "deleted") ? jstr(v, "deleted") : id,
			 false);
		putchar('\n');
	}
	json_decref(v);
	return r;
}

/* ---- alerts and audit: lists with paging ---- */

static int check_paging(const struct ctx *x)
{
	static const int opts[] = {OPT_LIMIT, OPT_OFFSET};
	long long n;

	for (size_t i = 0; i < 2; i++)
		if (x->seen[OI(opts[i])] &&
		    !ctl_parse_ll(x->val[OI(opts[i])], 0, LLONG_MAX, &n))
			return ctl_usage_error(
				"--%s: expected a non-negative integer, got '%s'",
				ctl_opt_name(opts[i]), x->val[OI(opts[i])]);
	return EXIT_OK;
}

enum {
	A_ID,
	A_TIME,
	A_SEV,
	A_COMP,
	A_ACTION,
	A_RULE,
	A_SRC,
	A_DST,
	A_PROTO,
	A_IFACE,
	A_COUNT,
	A_FP,
	A_MSG,
	A_NCOLS,
};

static const struct table_column alert_cols[A_NCOLS] = {
	[A_ID] = {"ID", TABLE_RIGHT, "-"},
	[A_TIME] = {"TIME", 0, "-"},
	[A_SEV] = {"SEVERITY", 0, "-"},
	[A_COMP] = {"COMPONENT", 0, "-"},
	[A_ACTION] = {"ACTION", TABLE_HIDE_EMPTY, "-"},
	[A_RULE] = {"RULE", TABLE_HIDE_EMPTY, "-"},
	[A_SRC] = {"SRC", 0, "-"},
	[A_DST] = {"DST", 0, "-"},
	[A_PROTO] = {"PROTO", TABLE_HIDE_EMPTY, "-"},
	[A_IFACE] = {"IFACE", TABLE_HIDE_EMPTY, "-"},
	[A_COUNT] = {"COUNT", TABLE_RIGHT | TABLE_HIDE_EMPTY, "-"},
	[A_FP] = {"FP", TABLE_HIDE_EMPTY, ""},
	[A_MSG] = {"MESSAGE", 0, ""},
};

static int alert_row(struct table *t, const json_t *a)
{
	static const struct {
		int col;
		const char *key;
	} plain[] = {
		{A_ID, "id"},	       {A_TIME, "timestamp"},
		{A_SEV, "severity"},   {A_COMP, "component"},
		{A_ACTION, "action"},  {A_RULE, "rule_id"},
		{A_PROTO, "protocol"}, {A_IFACE, "interface"},
		{A_COUNT, "count"},    {A_MSG, "message"},
	};
	int r = table_add_row(t);

	for (size_t i = 0; r == 0 && i < sizeof(plain) / sizeof(plain[0]); i++)
		r = table_set_json(t, plain[i].col,
				   json_object_get(a, plain[i].key));
	if (r == 0)
		r = set_endpoint(t, A_SRC, a, "src_ip", "src_port");
	if (r == 0)
		r = set_endpoint(t, A_DST, a, "dst_ip", "dst_port");
	if (r == 0 && json_is_true(json_object_get(a, "false_positive")))
		r = table_set(t, A_FP, "yes");
	return r;
}

static int print_alerts(const json_t *alerts)
{
	return print_table(alert_cols, A_NCOLS, alerts, alert_row);
}

int cmd_alerts_list(struct ctx *x, const char *arg)
{
	static const int opts[] = {OPT_COMPONENT, OPT_SEVERITY,	      OPT_FROM,
				   OPT_TO,	  OPT_FALSE_POSITIVE, OPT_LIMIT,
				   OPT_OFFSET};
	static const char *const keys[] = {
		"component",	  "severity", "from",  "to",
		"false_positive", "limit",    "offset"};
	const char *fp = x->val[OI(OPT_FALSE_POSITIVE)];
	json_t *v;
	char *path;
	int r;

	if (fp && strcmp(fp, "true") != 0 && strcmp(fp, "false") != 0)
		return ctl_usage_error(
			"--false-positive: expected true or false, got '%s'",
			fp);
	r = check_paging(x);
	if (r != EXIT_OK)
		return r;
	path = request_list_path(x, "/api/v1/alerts", opts, keys,
				 sizeof(opts) / sizeof(opts[0]));
	if (!path)
		return ctl_no_memory();
	r = request_json(x, "GET", path, NULL, &v);
	free(path);
	if (r != EXIT_OK)
		return r;
	r = show_list(x, v, "alerts", print_alerts, "no alerts", "alerts");
	json_decref(v);
	return r;
}

int cmd_alerts_fp(struct ctx *x, const char *id)
{
	json_t *v;
	char *path;
	int r;

	r = check_id("alerts mark-fp", id);
	if (r != EXIT_OK)
		return r;
	path = request_id_path("/api/v1/alerts", id, "/false-positive");
	if (!path)
		return ctl_no_memory();
	r = request_json(x, "POST", path, NULL, &v);
	free(path);
	if (r != EXIT_OK)
		return r;
	if (x->json) {
		r = print_json(v);
	} else {
		fputs("alert ", stdout);
		out_safe(stdout, id, false);
		puts(" marked as a false positive");
	}
	json_decref(v);
	return r;
}

enum {
	U_ID,
	U_TIME,
	U_ACTOR,
	U_ACTION,
	U_COMP,
	U_OBJECT,
	U_CHANGE,
	U_NCOLS,
};

static const struct table_column audit_cols[U_NCOLS] = {
	[U_ID] = {"ID", TABLE_RIGHT, "-"},
	[U_TIME] = {"TIME", 0, "-"},
	[U_ACTOR] = {"ACTOR", 0, "-"},
	[U_ACTION] = {"ACTION", 0, "-"},
	[U_COMP] = {"COMPONENT", TABLE_HIDE_EMPTY, "-"},
	[U_OBJECT] = {"OBJECT", TABLE_HIDE_EMPTY, "-"},
	[U_CHANGE] = {"CHANGE", 0, ""},
};

/* Fields that say what a rule is, not how it is doing. */
static bool change_key(const char *k)
{
	return strcmp(k, "id") && strcmp(k, "hits") && strcmp(k, "kernel_id") &&
	       strcmp(k, "source");
}

static void change_value(FILE *m, const json_t *v)
{
	char *d;

	if (!v) {
		fputs("-", m);
		return;
	}
	if (json_is_string(v)) {
		fputs(json_string_value(v), m);
		return;
	}
	d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	fputs(d ? d : "?", m);
	free(d);
}

/* What an audit entry changed, in one line: "key: old -> new, ..." when
 * both sides are objects, "key=value ..." of the side that exists (a
 * creation or a deletion), cut at CHANGE_MAX columns. */
static char *change_summary(const json_t *before, const json_t *after)
{
	const json_t *only = json_is_object(after) ? after : before;
	char *s = NULL, *p;
	size_t len = 0, cols = 0;
	const char *k;
	json_t *v;
	bool first = true;
	FILE *m;

	m = open_memstream(&s, &len);
	if (!m)
		return NULL;
	if (json_is_object(before) && json_is_object(after)) {
		json_object_foreach((json_t *)before, k, v)
		{
			json_t *w = json_object_get(after, k);

			if (!change_key(k) || json_equal(v, w))
				continue;
			fprintf(m, "%s%s: ", first ? "" : ", ", k);
			change_value(m, v);
			fputs(" -> ", m);
			change_value(m, w);
			first = false;
		}
		json_object_foreach((json_t *)after, k, v)
		{
			if (!change_key(k) || json_object_get(before, k))
				continue;
			fprintf(m, "%s%s: - -> ", first ? "" : ", ", k);
			change_value(m, v);
			first = false;
		}
	} else if (json_is_object(only)) {
		json_object_foreach((json_t *)only, k, v)
		{
			if (!change_key(k))
				continue;
			fprintf(m, "%s%s=", first ? "" : " ", k);
			change_value(m, v);
			first = false;
		}
	} else if (only || after) {
		change_value(m, after ? after : before);
	}
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	/* Cut at CHANGE_MAX code points, on a character boundary. */
	for (p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		if (++cols > CHANGE_MAX - 3) {
			if (strlen(p) > 3)
				strcpy(p, "...");
			break;
		}
	}
	return s;
}

/* A row of the audit trail; history_row() leaves out what the rule id
 * already says. */
static int audit_entry_row(struct table *t, const json_t *e, bool object)
{
	char *change;
	int r = table_add_row(t);

	if (r == 0)
		r = table_set_json(t, U_ID, json_object_get(e, "id"));
	if (r == 0)
		r = table_set_json(t, U_TIME, json_object_get(e, "timestamp"));
	if (r == 0)
		r = table_set_json(t, U_ACTOR, json_object_get(e, "actor"));
	if (r == 0)
		r = table_set_json(t, U_ACTION, json_object_get(e, "action"));
	if (r == 0 && object)
		r = table_set_json(t, U_COMP, json_object_get(e, "component"));
	if (r == 0 && object)
		r = table_set_json(t, U_OBJECT, json_object_get(e, "object"));
	if (r < 0)
		return r;
	change = change_summary(json_object_get(e, "before"),
				json_object_get(e, "after"));
	if (!change)
		return -ENOMEM;
	r = table_set(t, U_CHANGE, change);
	free(change);
	return r;
}

static int audit_row(struct table *t, const json_t *e)
{
	return audit_entry_row(t, e, true);
}

static int history_row(struct table *t, const json_t *e)
{
	return audit_entry_row(t, e, false);
}

static int print_audit(const json_t *entries)
{
	return print_table(audit_cols, U_NCOLS, entries, audit_row);
}

static int print_history(const json_t *entries)
{
	return print_table(audit_cols, U_NCOLS, entries, history_row);
}

int cmd_audit_logs(struct ctx *x, const char *arg)
{
	static const int opts[] = {OPT_COMPONENT, OPT_ACTOR, OPT_LIMIT,
				   OPT_OFFSET};
	static const char *const keys[] = {"component", "actor", "limit",
					   "offset"};
	json_t *v;
	char *path;
	int r;

	r = check_paging(x);
	if (r != EXIT_OK)
		return r;
	path = request_list_path(x, "/api/v1/audit/logs", opts, keys,
				 sizeof(opts) / sizeof(opts[0]));
	if (!path)
		return ctl_no_memory();
	r = request_json(x, "GET", path, NULL, &v);
	free(path);
	if (r != EXIT_OK)
		return r;
	r = show_list(x, v, "entries", print_audit, "no audit entries",
		      "entries");
	json_decref(v);
	return r;
}

int cmd_audit_history(struct ctx *x, const char *id)
{
	json_t *v;
	char *path;
	int r;

	r = check_id("audit history", id);
	if (r != EXIT_OK)
		return r;
	path = request_id_path("/api/v1/audit/rules", id, "/history");
	if (!path)
		return ctl_no_memory();
	r = request_json(x, "GET", path, NULL, &v);
	free(path);
	if (r != EXIT_OK)
		return r;
	r = show_list(x, v, "history", print_history, "no history", NULL);
	json_decref(v);
	return r;
}

/* ---- config ---- */

int cmd_config_show(struct ctx *x, const char *arg)
{
	json_t *v;
	int r;

	r = request_json(x, "GET", "/api/v1/config", NULL, &v);
	if (r != EXIT_OK)
		return r;
	/* The table view of a configuration is the YAML it came from. */
	if ((x->json ? out_json(stdout, v) : out_yaml(stdout, v)) < 0)
		r = ctl_no_memory();
	json_decref(v);
	return r;
}

int cmd_config_reload(struct ctx *x, const char *arg)
{
	json_t *v;
	long long n;
	int r;

	r = request_json(x, "POST", "/api/v1/config/reload", NULL, &v);
	if (r != EXIT_OK)
		return r;
	if (x->json) {
		r = print_json(v);
	} else if (jint(v, "rules", &n)) {
		printf("configuration reloaded: %lld rule%s\n", n,
		       n == 1 ? "" : "s");
	} else {
		puts("configuration reloaded");
	}
	json_decref(v);
	return r;
}
