/* SPDX-License-Identifier: GPL-2.0-only */
/* The configuration loader: schema check on libyaml events, libcyaml load, overrides, validation. */

/*
 * Pipeline of one load (all or nothing):
 *  1. walk: the libyaml event stream is checked against the libcyaml schema
 *     tables below (the one definition of the file's shape): types, unknown
 *     keys, sections not supported yet, duplicates, required keys, counts;
 *     each error carries the key path and the line of the offending node.
 *     It is stricter than libcyaml (booleans are true/false, integers are
 *     decimal), so whatever it accepts libcyaml loads with the same meaning.
 *  2. libcyaml loads the text into the raw_* structs (what the file said;
 *     every optional scalar is a pointer, NULL when absent).
 *  3. eBPFsentinel's spellings are folded into Sentinel's (agent.http_port
 *     into api.port, ...), remembering where each value was written.
 *  4. SENTINEL_* variables, then command-line overrides, replace values in
 *     the raw structs through the same schema and the same scalar checks.
 *  5. conversion into struct config: defaults, then every value validated;
 *     an error's path is traced back to the override or the line that set
 *     it by replaying the YAML events (errors are rare, so no index is kept).
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PATH_BUF      512
#define NOT_YET	      "not supported yet by this version of Sentinel"
#define REDACTED      "***redacted***"

/* Defaults (documented in etc/sentinel.yaml). */
#define DEF_BPFFS_DIR	  "/sys/fs/bpf/sentinel"
#define DEF_SOCKET_DIR	  "/run/sentinel"
#define DEF_STATE_DIR	  "/var/lib/sentinel"
#define DEF_PRIORITY	  1000
#define DEF_DEDUP_SECS	  60
#define DEF_RETENTION	  90
#define DEF_AUTH_FAILURES 10
#define DEF_AUTH_WINDOW	  60
#define DEF_AUTH_LOCKOUT  300
#define DEF_ALERTS_RETAIN 30
#define DEF_BIND	  "127.0.0.1"
#define DEF_PORT	  8443
#define DEF_BODY_LIMIT	  (1u << 20)
#define DEF_CERT	  "/etc/sentinel/tls/server.crt"
#define DEF_KEY		  "/etc/sentinel/tls/server.key"
#define DEF_ROLE_CLAIM	  "role"
#define MIN_BODY_LIMIT	  1024
#define MAX_BODY_LIMIT	  (64u << 20)
#define MAX_RETENTION	  36500
#define MAX_DEDUP	  86400
#define MIN_API_KEY_LEN	  16
#define SOCKET_DIR_MAX	  90 /* + "/events.sock" fits sun_path (108) */
#define STR_NAME	  64
#define STR_PATH	  (PATH_MAX - 1)
#define STR_TEXT	  1024
#define STR_SMALL	  64
/* Enum values of eBPFsentinel's that are read, then refused with a reason
 * (and not listed among the choices). */
#define REFUSED_MIN   100
#define XDP_OFFLOADED 100
#define JWT_EDDSA     0x100u

/* ---- what the file says: libcyaml loads into these ---- */

struct raw_tls {
	bool *enabled;
	char *cert_path;
	char *key_path;
	int *min_version;
	bool *allow_tls12; /* eBPFsentinel: folded into min_version */
};

struct raw_agent {
	char **interfaces;
	unsigned interfaces_count;
	int *xdp_mode;
	int *log_level;
	int *log_format;
	char *bpffs_dir;
	char *socket_dir;
	char *state_dir;
	/* eBPFsentinel's spellings, folded into api and tls */
	char *bind_address;
	int64_t *http_port;
	bool *allow_unauthenticated_api;
	struct raw_tls *tls;
};

struct raw_rule {
	char *id;
	int64_t *priority;
	int *action;
	bool *enabled;
	bool *dry_run;
	char *protocol;
	char *src_ip;
	char *dst_ip;
	char *src_port;
	char *dst_port;
	int64_t *vlan_id;
	char *tcp_flags;
	char *flags; /* eBPFsentinel's tcp_flags */
	char *icmp_type;
	int64_t *icmp_code;
	char *interface;
	char **interfaces; /* eBPFsentinel: one entry at most here */
	unsigned interfaces_count;
	char *scope; /* eBPFsentinel: global | NAME | interface:NAME */
};

struct raw_mgmt {
	bool *enabled;
	char **sources;
	unsigned sources_count;
	int64_t *ports;
	unsigned ports_count;
};

struct raw_ifpol {
	char *interface;
	int *default_policy;
	bool *dry_run;
};

struct raw_firewall {
	bool *enabled;
	int *mode; /* eBPFsentinel: block | alert, folded into dry_run */
	int *default_policy;
	bool *dry_run;
	struct raw_mgmt *anti_lockout;
	struct raw_ifpol *interface_policies;
	unsigned interface_policies_count;
	struct raw_rule *rules;
	unsigned rules_count;
};

struct raw_alerting {
	bool *enabled;
	int64_t *dedup_window_secs;
	int *min_severity;
};

struct raw_audit {
	bool *enabled;
	int64_t *retention_days;
	int64_t *alerts_retention_days;
};

struct raw_api {
	char *bind_address;
	int64_t *port;
	int64_t *body_limit_bytes;
	bool *allow_insecure_no_auth;
};

struct raw_key {
	char *name;
	char *key;
	char *key_sha256;
	int *role;
};

struct raw_jwt {
	char *issuer;
	char *audience;
	char *public_key_path; /* eBPFsentinel: folded into the list */
	char **public_key_paths;
	unsigned public_key_paths_count;
	int *algorithm; /* eBPFsentinel: folded into the list */
	int *algorithms;
	unsigned algorithms_count;
	char *role_claim;
};

struct raw_auth {
	bool *enabled;
	struct raw_key *api_keys;
	unsigned api_keys_count;
	struct raw_jwt *jwt;
	int64_t *max_failures;
	int64_t *failure_window_secs;
	int64_t *lockout_secs;
};

struct raw_top {
	struct raw_agent *agent;
	struct raw_firewall *firewall;
	struct raw_alerting *alerting;
	struct raw_audit *audit;
	struct raw_api *api;
	struct raw_tls *tls;
	struct raw_auth *auth;
};

/* ---- the schema ---- */

static const cyaml_strval_t xdp_modes[] = {
	{"auto", CONFIG_XDP_AUTO},
	{"native", CONFIG_XDP_NATIVE},
	{"generic", CONFIG_XDP_GENERIC},
	{"offloaded", XDP_OFFLOADED},
};

static const cyaml_strval_t log_levels[] = {
	{"error", CONFIG_LOG_ERROR}, {"warn", CONFIG_LOG_WARN},
	{"info", CONFIG_LOG_INFO},   {"debug", CONFIG_LOG_DEBUG},
	{"trace", CONFIG_LOG_TRACE},
};

static const cyaml_strval_t log_formats[] = {
	{"text", CONFIG_LOG_TEXT},
	{"json", CONFIG_LOG_JSON},
};

/* Canonical spelling first; later entries of the same value are synonyms. */
static const cyaml_strval_t policies[] = {
	{"pass", CONFIG_POLICY_PASS},
	{"drop", CONFIG_POLICY_DROP},
	{"allow", CONFIG_POLICY_PASS},
	{"deny", CONFIG_POLICY_DROP},
};

static const cyaml_strval_t actions[] = {
	{"allow", CONFIG_ACTION_ALLOW}, {"deny", CONFIG_ACTION_DENY},
	{"log", CONFIG_ACTION_LOG},	{"reject", CONFIG_ACTION_REJECT},
	{"pass", CONFIG_ACTION_ALLOW},	{"drop", CONFIG_ACTION_DENY},
	{"block", CONFIG_ACTION_DENY},	{"reset", CONFIG_ACTION_REJECT},
};

static const cyaml_strval_t fw_modes[] = {
	{"block", 0},
	{"alert", 1},
};

static const cyaml_strval_t severities[] = {
	{"low", CONFIG_SEV_LOW},
	{"medium", CONFIG_SEV_MEDIUM},
	{"high", CONFIG_SEV_HIGH},
	{"critical", CONFIG_SEV_CRITICAL},
};

static const cyaml_strval_t roles[] = {
	{"admin", CONFIG_ROLE_ADMIN},
	{"operator", CONFIG_ROLE_OPERATOR},
	{"viewer", CONFIG_ROLE_VIEWER},
};

static const cyaml_strval_t tls_versions[] = {
	{"1.3", CONFIG_TLS_1_3},
	{"1.2", CONFIG_TLS_1_2},
};

static const cyaml_strval_t jwt_algs[] = {
	{"RS256", CONFIG_JWT_RS256},
	{"ES256", CONFIG_JWT_ES256},
	{"EdDSA", JWT_EDDSA},
};

#define OPT		     CYAML_FLAG_OPTIONAL
#define S_STR(k, st, m, max) CYAML_FIELD_STRING_PTR(k, OPT, st, m, 1, max)
#define S_STR_REQ(k, st, m, max) \
	CYAML_FIELD_STRING_PTR(k, CYAML_FLAG_DEFAULT, st, m, 1, max)
#define S_INT(k, st, m)	 CYAML_FIELD_INT_PTR(k, OPT, st, m)
#define S_BOOL(k, st, m) CYAML_FIELD_BOOL_PTR(k, OPT, st, m)
#define S_ENUM(k, st, m, t)                                        \
	CYAML_FIELD_ENUM_PTR(k, OPT | CYAML_FLAG_STRICT, st, m, t, \
			     CYAML_ARRAY_LEN(t))
#define S_ENUM_REQ(k, st, m, t) \
	CYAML_FIELD_ENUM_PTR(k, CYAML_FLAG_STRICT, st, m, t, CYAML_ARRAY_LEN(t))
#define S_MAP(k, st, m, f) \
	CYAML_FIELD_MAPPING_PTR(k, OPT | CYAML_FLAG_POINTER_NULL_STR, st, m, f)
#define S_SEQ(k, st, m, e, max)                                                \
	CYAML_FIELD_SEQUENCE(                                                  \
		k, OPT | CYAML_FLAG_POINTER | CYAML_FLAG_POINTER_NULL_STR, st, \
		m, e, 0, max)

static const cyaml_schema_value_t name_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, STR_NAME),
};
static const cyaml_schema_value_t path_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, STR_PATH),
};
static const cyaml_schema_value_t cidr_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, STR_SMALL),
};
static const cyaml_schema_value_t port_entry = {
	CYAML_VALUE_INT(CYAML_FLAG_DEFAULT, int64_t),
};
static const cyaml_schema_value_t alg_entry = {
	CYAML_VALUE_ENUM(CYAML_FLAG_STRICT, int, jwt_algs,
			 CYAML_ARRAY_LEN(jwt_algs)),
};

static const cyaml_schema_field_t tls_fields[] = {
	S_BOOL("enabled", struct raw_tls, enabled),
	S_STR("cert_path", struct raw_tls, cert_path, STR_PATH),
	S_STR("key_path", struct raw_tls, key_path, STR_PATH),
	S_ENUM("min_version", struct raw_tls, min_version, tls_versions),
	S_BOOL("allow_tls12", struct raw_tls, allow_tls12),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t agent_fields[] = {
	S_SEQ("interfaces", struct raw_agent, interfaces, &name_entry,
	      CONFIG_INTERFACES_MAX),
	S_ENUM("xdp_mode", struct raw_agent, xdp_mode, xdp_modes),
	S_ENUM("log_level", struct raw_agent, log_level, log_levels),
	S_ENUM("log_format", struct raw_agent, log_format, log_formats),
	S_STR("bpffs_dir", struct raw_agent, bpffs_dir, STR_PATH),
	S_STR("socket_dir", struct raw_agent, socket_dir, STR_PATH),
	S_STR("state_dir", struct raw_agent, state_dir, STR_PATH),
	S_STR("bind_address", struct raw_agent, bind_address, STR_SMALL),
	S_INT("http_port", struct raw_agent, http_port),
	S_BOOL("allow_unauthenticated_api", struct raw_agent,
	       allow_unauthenticated_api),
	S_MAP("tls", struct raw_agent, tls, tls_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t rule_fields[] = {
	S_STR_REQ("id", struct raw_rule, id, STR_NAME),
	S_INT("priority", struct raw_rule, priority),
	S_ENUM_REQ("action", struct raw_rule, action, actions),
	S_BOOL("enabled", struct raw_rule, enabled),
	S_BOOL("dry_run", struct raw_rule, dry_run),
	S_STR("protocol", struct raw_rule, protocol, STR_SMALL),
	S_STR("src_ip", struct raw_rule, src_ip, STR_SMALL),
	S_STR("dst_ip", struct raw_rule, dst_ip, STR_SMALL),
	S_STR("src_port", struct raw_rule, src_port, STR_SMALL),
	S_STR("dst_port", struct raw_rule, dst_port, STR_SMALL),
	S_INT("vlan_id", struct raw_rule, vlan_id),
	S_STR("tcp_flags", struct raw_rule, tcp_flags, STR_SMALL),
	S_STR("flags", struct raw_rule, flags, STR_SMALL),
	S_STR("icmp_type", struct raw_rule, icmp_type, STR_SMALL),
	S_INT("icmp_code", struct raw_rule, icmp_code),
	S_STR("interface", struct raw_rule, interface, STR_NAME),
	S_SEQ("interfaces", struct raw_rule, interfaces, &name_entry, 16),
	S_STR("scope", struct raw_rule, scope, STR_NAME),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t rule_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_rule, rule_fields),
};

static const cyaml_schema_field_t mgmt_fields[] = {
	S_BOOL("enabled", struct raw_mgmt, enabled),
	S_SEQ("sources", struct raw_mgmt, sources, &cidr_entry,
	      CONFIG_MGMT_MAX),
	S_SEQ("ports", struct raw_mgmt, ports, &port_entry,
	      CONFIG_MGMT_PORTS_MAX),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t ifpol_fields[] = {
	S_STR_REQ("interface", struct raw_ifpol, interface, STR_NAME),
	S_ENUM("default_policy", struct raw_ifpol, default_policy, policies),
	S_BOOL("dry_run", struct raw_ifpol, dry_run),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t ifpol_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_ifpol, ifpol_fields),
};

static const cyaml_schema_field_t firewall_fields[] = {
	S_BOOL("enabled", struct raw_firewall, enabled),
	S_ENUM("mode", struct raw_firewall, mode, fw_modes),
	S_ENUM("default_policy", struct raw_firewall, default_policy, policies),
	S_BOOL("dry_run", struct raw_firewall, dry_run),
	S_MAP("anti_lockout", struct raw_firewall, anti_lockout, mgmt_fields),
	S_SEQ("interface_policies", struct raw_firewall, interface_policies,
	      &ifpol_entry, CONFIG_IF_POLICIES_MAX),
	S_SEQ("rules", struct raw_firewall, rules, &rule_entry,
	      CONFIG_RULES_MAX),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t alerting_fields[] = {
	S_BOOL("enabled", struct raw_alerting, enabled),
	S_INT("dedup_window_secs", struct raw_alerting, dedup_window_secs),
	S_ENUM("min_severity", struct raw_alerting, min_severity, severities),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t audit_fields[] = {
	S_BOOL("enabled", struct raw_audit, enabled),
	S_INT("retention_days", struct raw_audit, retention_days),
	S_INT("alerts_retention_days", struct raw_audit, alerts_retention_days),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t api_fields[] = {
	S_STR("bind_address", struct raw_api, bind_address, STR_SMALL),
	S_INT("port", struct raw_api, port),
	S_INT("body_limit_bytes", struct raw_api, body_limit_bytes),
	S_BOOL("allow_insecure_no_auth", struct raw_api,
	       allow_insecure_no_auth),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t key_fields[] = {
	S_STR_REQ("name", struct raw_key, name, STR_NAME),
	S_STR("key", struct raw_key, key, STR_TEXT),
	S_STR("key_sha256", struct raw_key, key_sha256, STR_SMALL),
	S_ENUM_REQ("role", struct raw_key, role, roles),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t key_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_key, key_fields),
};

static const cyaml_schema_field_t jwt_fields[] = {
	S_STR("issuer", struct raw_jwt, issuer, STR_TEXT),
	S_STR("audience", struct raw_jwt, audience, STR_TEXT),
	S_STR("public_key_path", struct raw_jwt, public_key_path, STR_PATH),
	S_SEQ("public_key_paths", struct raw_jwt, public_key_paths, &path_entry,
	      CONFIG_JWT_KEYS_MAX),
	S_ENUM("algorithm", struct raw_jwt, algorithm, jwt_algs),
	S_SEQ("algorithms", struct raw_jwt, algorithms, &alg_entry, 4),
	S_STR("role_claim", struct raw_jwt, role_claim, STR_SMALL),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t auth_fields[] = {
	S_BOOL("enabled", struct raw_auth, enabled),
	S_SEQ("api_keys", struct raw_auth, api_keys, &key_entry,
	      CONFIG_API_KEYS_MAX),
	S_MAP("jwt", struct raw_auth, jwt, jwt_fields),
	S_INT("max_failures", struct raw_auth, max_failures),
	S_INT("failure_window_secs", struct raw_auth, failure_window_secs),
	S_INT("lockout_secs", struct raw_auth, lockout_secs),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t top_fields[] = {
	S_MAP("agent", struct raw_top, agent, agent_fields),
	S_MAP("firewall", struct raw_top, firewall, firewall_fields),
	S_MAP("alerting", struct raw_top, alerting, alerting_fields),
	S_MAP("audit", struct raw_top, audit, audit_fields),
	S_MAP("api", struct raw_top, api, api_fields),
	S_MAP("tls", struct raw_top, tls, tls_fields),
	S_MAP("auth", struct raw_top, auth, auth_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t top_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct raw_top, top_fields),
};

/*
 * Keys eBPFsentinel has and Sentinel does not (yet): refused with a reason
 * instead of "unknown key".  why NULL means NOT_YET.
 */
struct unsup {
	const char *key;
	const char *why;
};

static const struct unsup top_unsup[] = {
	{"ratelimit"},
	{"ids"},
	{"ips"},
	{"dlp"},
	{"l7"},
	{"threatintel"},
	{"dns"},
	{"ddos"},
	{"loadbalancer"},
	{"geoip"},
	{"conntrack"},
	{"container"},
	{"nat"},
	{"routing"},
	{"zones"},
	{"qos"},
	{"auto_response"},
	{"auto_capture"},
	{"interface_groups"},
	{"aliases"},
	{"schedules"},
	{"management"},
	{"telemetry"},
	{"capture"},
	{"response"},
	{"dashboard"},
	{"enterprise"},
	{NULL},
};

static const struct unsup agent_unsup[] = {
	{"grpc_port"},	      {"grpc_reflection"}, {"metrics_port"},
	{"ebpf_program_dir"}, {"event_workers"},   {"attach_mode"},
	{"swagger_ui"},	      {"api_rate_limit"},  {NULL},
};

static const struct unsup firewall_unsup[] = {
	{"scrub"},
	{NULL},
};

static const struct unsup mgmt_unsup[] = {
	{"interfaces",
	 "not supported: Sentinel's anti-lockout passes source prefixes (sources) to ports (ports), whatever the interface"},
	{NULL},
};

static const struct unsup rule_unsup[] = {
	{"negate_source"},  {"negate_destination"},
	{"src_mac"},	    {"dst_mac"},
	{"dscp_match"},	    {"dscp_mark"},
	{"state"},	    {"ct_states"},
	{"src_alias"},	    {"dst_alias"},
	{"src_port_alias"}, {"dst_port_alias"},
	{"src_mac_alias"},  {"dst_mac_alias"},
	{"schedule"},	    {"max_states"},
	{"route_to"},	    {"reply_to"},
	{"dup_to"},	    {NULL},
};

static const struct unsup alerting_unsup[] = {
	{"throttle_window_secs"},
	{"throttle_max"},
	{"smtp"},
	{"routes"},
	{"otlp"},
	{NULL},
};

static const struct unsup audit_unsup[] = {
	{"buffer_size"},
	{"storage_path",
	 "not supported: Sentinel keeps the audit trail in agent.state_dir"},
	{NULL},
};

static const struct unsup tls_unsup[] = {
	{"pq_mode"},
	{NULL},
};

static const struct unsup auth_unsup[] = {
	{"metrics_auth_required"},
	{"api_key_salt",
	 "not supported: keys are stored as SHA-256 (key_sha256) of keys of at least 16 characters"},
	{"oidc"},
	{NULL},
};

static const struct unsup key_unsup[] = {
	{"namespaces"},
	{NULL},
};

static const struct unsup jwt_unsup[] = {
	{"jwks_url"},
	{"jwks_cache_ttl_seconds"},
	{"jwks_refresh_on_unknown_kid"},
	{NULL},
};

static const struct {
	const cyaml_schema_field_t *fields;
	const struct unsup *unsup;
} unsup_tables[] = {
	{top_fields, top_unsup},	   {agent_fields, agent_unsup},
	{firewall_fields, firewall_unsup}, {mgmt_fields, mgmt_unsup},
	{rule_fields, rule_unsup},	   {alerting_fields, alerting_unsup},
	{audit_fields, audit_unsup},	   {tls_fields, tls_unsup},
	{auth_fields, auth_unsup},	   {key_fields, key_unsup},
	{jwt_fields, jwt_unsup},
};

/* eBPFsentinel spellings folded into a Sentinel key: not settable by
 * environment or command line (the Sentinel key is). */
static const char *const alias_paths[] = {
	"agent.bind_address",
	"agent.http_port",
	"agent.allow_unauthenticated_api",
	"agent.tls",
	"firewall.mode",
	"tls.allow_tls12",
	"auth.jwt.algorithm",
	"auth.jwt.public_key_path",
};

/* Environment variables of these sections are all ours: an unknown one is
 * a typo, not someone else's variable. */
static const char *const env_sections[] = {
	"AGENT_", "FIREWALL_", "ALERTING_", "AUDIT_", "API_", "TLS_", "AUTH_",
};

/* ---- load context, errors ---- */

struct origin {
	char *path;  /* canonical key path set by env/command line */
	char *label; /* "env SENTINEL_API_PORT" */
};

struct remap {
	char canon[64];	  /* e.g. "api.port" */
	char written[64]; /* e.g. "agent.http_port" */
	bool scalar;	  /* written as a scalar for a canonical list */
};

struct ld {
	struct config_err *err;
	const char *buf; /* YAML text for line lookups; NULL: none */
	size_t len;
	struct origin *origins;
	size_t n_origins;
	struct remap remaps[8];
	size_t n_remaps;
	int *rule_lines; /* line of firewall.rules[i] */
	size_t n_rule_lines;
	size_t cap_rule_lines;
	char cylog[512]; /* libcyaml's messages of a failed load */
	size_t cylog_len;
};

static void clean_copy(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++) {
		unsigned char c = src[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
}

static bool path_has_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(path, prefix, n) &&
	       (path[n] == '\0' || path[n] == '.' || path[n] == '[');
}

static void locate(const char *buf, size_t len, const char *target,
		   int *ret_line, int *ret_col);

static void set_err(struct ld *ld, const char *path, int line, int col,
		    const char *fmt, va_list ap)
{
	char msg[CONFIG_ERR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	clean_copy(ld->err->msg, sizeof(ld->err->msg), msg);
	clean_copy(ld->err->path, sizeof(ld->err->path), path);
	ld->err->line = line;
	ld->err->column = col;
}

/* An error at a node whose position is known (schema walk). */
__attribute__((format(printf, 4, 5))) static int
fail_at(struct ld *ld, const char *path, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_err(ld, path, (int)m.line + 1, (int)m.column + 1, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error about an environment variable or override (label). */
__attribute__((format(printf, 3, 4))) static int
fail_label(struct ld *ld, const char *label, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_err(ld, label, 0, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Where the value at canonical path came from: an override's label, or the
 * path as written in the file (remapped) and its line. */
static void trace(struct ld *ld, const char *path, char *ret_path, size_t len,
		  int *ret_line, int *ret_col)
{
	const struct remap *best = NULL;
	const char *rest;

	*ret_line = *ret_col = 0;
	for (size_t i = ld->n_origins; i-- > 0;)
		if (path_has_prefix(path, ld->origins[i].path)) {
			snprintf(ret_path, len, "%s", ld->origins[i].label);
			return;
		}
	for (size_t i = 0; i < ld->n_remaps; i++)
		if (path_has_prefix(path, ld->remaps[i].canon) &&
		    (!best ||
		     strlen(ld->remaps[i].canon) > strlen(best->canon)))
			best = &ld->remaps[i];
	if (best) {
		rest = path + strlen(best->canon);
		if (best->scalar && *rest == '[')
			rest = strchr(rest, ']') + 1;
		snprintf(ret_path, len, "%s%s", best->written, rest);
	} else {
		snprintf(ret_path, len, "%s", path);
	}
	if (ld->buf)
		locate(ld->buf, ld->len, ret_path, ret_line, ret_col);
}

/* An error about the value at canonical path (conversion). */
__attribute__((format(printf, 3, 4))) static int
fail(struct ld *ld, const char *path, const char *fmt, ...)
{
	char where[PATH_BUF];
	int line, col;
	va_list ap;

	trace(ld, path, where, sizeof(where), &line, &col);
	va_start(ap, fmt);
	set_err(ld, where, line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int line_of(struct ld *ld, const char *path)
{
	char where[PATH_BUF];
	int line, col;

	trace(ld, path, where, sizeof(where), &line, &col);
	return line;
}

/* base.key into out (PATH_BUF bytes; truncated paths only locate less). */
static const char *kp(char *out, const char *base, const char *key)
{
	int n = snprintf(out, PATH_BUF, "%s%s%s", base, *base ? "." : "", key);

	if (n < 0)
		out[0] = '\0';
	return out;
}

/* base[i] into out (PATH_BUF bytes). */
static const char *ip(char *out, const char *base, size_t i)
{
	int n = snprintf(out, PATH_BUF, "%s[%zu]", base, i);

	if (n < 0)
		out[0] = '\0';
	return out;
}

/* ---- SHA-256 (FIPS 180-4), for API keys hashed at load ---- */

struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	uint64_t len;
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^
			      (w[i - 15] >> 3);
		uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^
			      (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) +
			      ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
		uint32_t t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) +
			      ((a & b) ^ (a & c) ^ (b & c));

		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
	explicit_bzero(w, sizeof(w));
}

static void sha256(const void *data, size_t n, uint8_t out[32])
{
	static const uint32_t init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
					 0xa54ff53a, 0x510e527f, 0x9b05688c,
					 0x1f83d9ab, 0x5be0cd19};
	const uint8_t *p = data;
	struct sha256 s;
	size_t fill;

	memcpy(s.h, init, sizeof(init));
	s.len = (uint64_t)n * 8;
	for (; n >= 64; p += 64, n -= 64)
		sha256_block(&s, p);
	memset(s.buf, 0, sizeof(s.buf));
	memcpy(s.buf, p, n);
	s.buf[n] = 0x80;
	fill = n + 1;
	if (fill > 56) {
		sha256_block(&s, s.buf);
		memset(s.buf, 0, sizeof(s.buf));
	}
	for (int i = 0; i < 8; i++)
		s.buf[56 + i] = (uint8_t)(s.len >> (56 - 8 * i));
	sha256_block(&s, s.buf);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s.h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s.h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s.h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s.h[i];
	}
	explicit_bzero(&s, sizeof(s));
}

/* ---- scalar checks, shared by the schema walk and overrides ---- */

static bool is_null(const char *s, size_t n)
{
	return n == 0 || (n == 1 && s[0] == '~') ||
	       (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) ||
			   !memcmp(s, "NULL", 4)));
}

/* Decimal only: libcyaml reads integers with strtoll(base 0), so "010"
 * (octal) and "0x10" are refused here rather than read differently. */
static int parse_decimal(const char *s, size_t n, int64_t *ret)
{
	bool neg = n && s[0] == '-';
	uint64_t v = 0;
	size_t i = neg;

	if (i == n || (s[i] == '0' && n - i > 1))
		return -EINVAL;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_C(1) << 63) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX + neg)
		return -ERANGE;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static void enum_names(const cyaml_schema_value_t *v, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < v->enumeration.count; i++) {
		bool dup = false;

		for (uint32_t j = 0; j < i; j++)
			dup |= v->enumeration.strings[j].val ==
			       v->enumeration.strings[i].val;
		dup |= v->enumeration.strings[i].val >= REFUSED_MIN;
		if (dup)
			continue;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
					"%s%s", off ? ", " : "",
					v->enumeration.strings[i].str);
	}
}

static const char *type_name(const cyaml_schema_value_t *v, char *buf,
			     size_t len)
{
	char names[128];

	switch (v->type) {
	case CYAML_MAPPING:
		return "a mapping (key: value)";
	case CYAML_SEQUENCE:
		return "a list";
	case CYAML_INT:
		return "an integer";
	case CYAML_BOOL:
		return "true or false";
	case CYAML_ENUM:
		enum_names(v, names, sizeof(names));
		snprintf(buf, len, "one of %s", names);
		return buf;
	default:
		return "a string";
	}
}

/*
 * Check a scalar against the schema of a value; *ret gets an INT, BOOL or
 * ENUM value.  plain: written without quotes (always true for overrides).
 */
static int check_scalar(const cyaml_schema_value_t *v, const char *s, size_t n,
			bool plain, char *msg, size_t msglen, int64_t *ret)
{
	char names[128];
	int64_t val = 0;
	int rc;

	if (plain && is_null(s, n)) {
		snprintf(msg, msglen, "missing value (expected %s)",
			 type_name(v, names, sizeof(names)));
		return -EINVAL;
	}
	if (memchr(s, '\0', n)) {
		snprintf(msg, msglen, "contains a NUL character");
		return -EINVAL;
	}
	switch (v->type) {
	case CYAML_INT:
		rc = plain ? parse_decimal(s, n, &val) : -EINVAL;
		if (rc == -ERANGE) {
			snprintf(msg, msglen, "'%.40s' is out of range", s);
			return rc == -ERANGE ? -EINVAL : rc;
		}
		if (rc) {
			snprintf(msg, msglen,
				 "expected an integer, got %s'%.40s'",
				 plain ? "" : "the string ", s);
			return -EINVAL;
		}
		break;
	case CYAML_BOOL:
		if (plain && !strcasecmp(s, "true")) {
			val = 1;
		} else if (!plain || strcasecmp(s, "false")) {
			snprintf(msg, msglen,
				 "expected true or false, got '%.40s'", s);
			return -EINVAL;
		}
		break;
	case CYAML_ENUM:
		for (uint32_t i = 0; i < v->enumeration.count; i++)
			if (!strcmp(s, v->enumeration.strings[i].str)) {
				if (ret)
					*ret = v->enumeration.strings[i].val;
				return 0;
			}
		enum_names(v, names, sizeof(names));
		snprintf(msg, msglen, "'%.40s' is not one of %s", s, names);
		return -EINVAL;
	case CYAML_STRING:
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
				snprintf(msg, msglen,
					 "contains a control character");
				return -EINVAL;
			}
		if (n < v->string.min) {
			snprintf(msg, msglen, "empty value");
			return -EINVAL;
		}
		if (n > v->string.max) {
			snprintf(msg, msglen, "longer than %u bytes",
				 v->string.max);
			return -EINVAL;
		}
		break;
	default:
		snprintf(msg, msglen, "unexpected schema type");
		return -EINVAL;
	}
	if (ret)
		*ret = val;
	return 0;
}

static int field_index(const cyaml_schema_field_t *f, const char *key)
{
	for (int i = 0; f[i].key; i++)
		if (!strcmp(f[i].key, key))
			return i;
	return -1;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[STR_NAME + 1];

	if (la > STR_NAME || lb > STR_NAME)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j],
			       best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* ---- 1. the schema walk over libyaml events ---- */

#define W_DEPTH 16

struct wframe {
	const cyaml_schema_value_t *v;	   /* a MAPPING or SEQUENCE */
	const cyaml_schema_field_t *field; /* mapping: its value comes next */
	uint64_t seen;			   /* mapping: fields present */
	uint32_t count;			   /* sequence: entries so far */
	size_t self;			   /* length of this node's path */
	yaml_mark_t mark;
};

struct walker {
	struct ld *ld;
	struct wframe st[W_DEPTH];
	int depth;
	char path[PATH_BUF];
	size_t plen;
	bool empty; /* no document, or a null one */
};

__attribute__((format(printf, 2, 3))) static void w_append(struct walker *w,
							   const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(w->path + w->plen, sizeof(w->path) - w->plen, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->plen += (size_t)n < sizeof(w->path) - w->plen
				   ? (size_t)n
				   : sizeof(w->path) - w->plen - 1;
}

static void w_truncate(struct walker *w, size_t len)
{
	w->plen = len;
	w->path[len] = '\0';
}

static int w_record_rule_line(struct ld *ld, yaml_mark_t m)
{
	if (ld->n_rule_lines == ld->cap_rule_lines) {
		size_t cap = ld->cap_rule_lines ? ld->cap_rule_lines * 2 : 64;
		int *p = realloc(ld->rule_lines, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		ld->rule_lines = p;
		ld->cap_rule_lines = cap;
	}
	ld->rule_lines[ld->n_rule_lines++] = (int)m.line + 1;
	return 0;
}

static int w_push(struct walker *w, const cyaml_schema_value_t *v,
		  yaml_mark_t m)
{
	if (w->depth == W_DEPTH)
		return fail_at(w->ld, w->path, m, "nested too deeply");
	w->st[w->depth++] = (struct wframe){
		.v = v,
		.self = w->plen,
		.mark = m,
	};
	return 0;
}

/* A value is complete: back to its parent's path. */
static void w_done_value(struct walker *w)
{
	struct wframe *p;

	if (!w->depth) {
		w_truncate(w, 0);
		return;
	}
	p = &w->st[w->depth - 1];
	p->field = NULL;
	w_truncate(w, p->self);
}

static int w_key(struct walker *w, struct wframe *f, const yaml_event_t *ev)
{
	const cyaml_schema_field_t *fields = f->v->mapping.fields;
	const char *key = (const char *)ev->data.scalar.value;
	const char *best = NULL;
	size_t best_d = 3;
	int i;

	if (ev->type != YAML_SCALAR_EVENT)
		return fail_at(w->ld, w->path, ev->start_mark,
			       "keys must be plain strings");
	w_append(w, "%s%s", w->plen ? "." : "", key);
	i = strlen(key) == ev->data.scalar.length ? field_index(fields, key)
						  : -1;
	if (i < 0) {
		for (size_t t = 0; t < ARRAY_SIZE(unsup_tables); t++) {
			if (unsup_tables[t].fields != fields)
				continue;
			for (const struct unsup *u = unsup_tables[t].unsup;
			     u->key; u++)
				if (!strcmp(u->key, key))
					return fail_at(w->ld, w->path,
						       ev->start_mark, "%s",
						       u->why ? u->why
							      : NOT_YET);
		}
		for (int j = 0; fields[j].key; j++) {
			size_t d = edit_distance(key, fields[j].key);

			if (d < best_d) {
				best_d = d;
				best = fields[j].key;
			}
		}
		if (best)
			return fail_at(w->ld, w->path, ev->start_mark,
				       "unknown key (did you mean '%s'?)",
				       best);
		return fail_at(w->ld, w->path, ev->start_mark, "unknown key");
	}
	if (f->seen & (UINT64_C(1) << i))
		return fail_at(w->ld, w->path, ev->start_mark, "duplicate key");
	f->seen |= UINT64_C(1) << i;
	f->field = &fields[i];
	return 0;
}

static int w_value(struct walker *w, const cyaml_schema_value_t *v,
		   const yaml_event_t *ev)
{
	char names[160], msg[CONFIG_ERR_MSG_MAX];
	const char *s;
	bool plain;

	if (ev->type == YAML_SCALAR_EVENT) {
		s = (const char *)ev->data.scalar.value;
		plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (v->type == CYAML_MAPPING || v->type == CYAML_SEQUENCE) {
			if ((v->flags & CYAML_FLAG_POINTER_NULL_STR) ==
				    CYAML_FLAG_POINTER_NULL_STR &&
			    plain && is_null(s, ev->data.scalar.length))
				return 0;
			return fail_at(w->ld, w->path, ev->start_mark,
				       "expected %s, got '%.40s'",
				       type_name(v, names, sizeof(names)), s);
		}
		if (check_scalar(v, s, ev->data.scalar.length, plain, msg,
				 sizeof(msg), NULL))
			return fail_at(w->ld, w->path, ev->start_mark, "%s",
				       msg);
		return 0;
	}
	if ((ev->type == YAML_MAPPING_START_EVENT) !=
		    (v->type == CYAML_MAPPING) ||
	    (ev->type == YAML_SEQUENCE_START_EVENT) !=
		    (v->type == CYAML_SEQUENCE))
		return fail_at(
			w->ld, w->path, ev->start_mark, "expected %s, got %s",
			type_name(v, names, sizeof(names)),
			ev->type == YAML_MAPPING_START_EVENT ? "a mapping"
							     : "a list");
	return w_push(w, v, ev->start_mark);
}

static int w_node(struct walker *w, const yaml_event_t *ev)
{
	const cyaml_schema_value_t *v;
	struct wframe *f;
	int rc;

	if (ev->type == YAML_ALIAS_EVENT)
		return fail_at(w->ld, w->path, ev->start_mark,
			       "YAML aliases (*%.40s) are not supported",
			       (const char *)ev->data.alias.anchor);
	if (!w->depth) {
		if (ev->type == YAML_SCALAR_EVENT &&
		    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    is_null((const char *)ev->data.scalar.value,
			    ev->data.scalar.length)) {
			w->empty = true;
			return 0;
		}
		if (ev->type != YAML_MAPPING_START_EVENT)
			return fail_at(
				w->ld, "", ev->start_mark,
				"the configuration must be a mapping of sections (agent:, firewall:, ...)");
		w->empty = false;
		return w_push(w, &top_schema, ev->start_mark);
	}
	f = &w->st[w->depth - 1];
	if (f->v->type == CYAML_MAPPING) {
		if (!f->field)
			return w_key(w, f, ev);
		v = &f->field->value;
	} else {
		if (f->count >= f->v->sequence.max)
			return fail_at(w->ld, w->path, ev->start_mark,
				       "more than %u entries",
				       f->v->sequence.max);
		w_append(w, "[%u]", f->count++);
		v = f->v->sequence.entry;
		if (v == &rule_entry) {
			rc = w_record_rule_line(w->ld, ev->start_mark);
			if (rc)
				return rc;
		}
	}
	rc = w_value(w, v, ev);
	if (!rc && ev->type == YAML_SCALAR_EVENT)
		w_done_value(w);
	return rc;
}

static int w_end(struct walker *w, const yaml_event_t *ev)
{
	struct wframe *f = &w->st[w->depth - 1];

	if (f->v->type == CYAML_MAPPING) {
		const cyaml_schema_field_t *fl = f->v->mapping.fields;

		for (int i = 0; fl[i].key; i++) {
			if ((fl[i].value.flags & CYAML_FLAG_OPTIONAL) ||
			    (f->seen & (UINT64_C(1) << i)))
				continue;
			w_append(w, "%s%s", w->plen ? "." : "", fl[i].key);
			return fail_at(w->ld, w->path, f->mark,
				       "required key is missing");
		}
	} else if (f->count < f->v->sequence.min) {
		return fail_at(w->ld, w->path, ev->start_mark,
			       "needs at least %u entries", f->v->sequence.min);
	}
	w->depth--;
	w_done_value(w);
	return 0;
}

/* Check the whole text against the schema; *ret_empty when there is no
 * configuration at all (empty file, comments only, or a null document). */
static int walk(struct ld *ld, bool *ret_empty)
{
	struct walker w = {.ld = ld, .empty = true};
	yaml_parser_t p;
	yaml_event_t ev;
	int docs = 0, rc = 0;
	bool done = false, tab;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)ld->buf,
				     ld->len);
	while (!rc && !done) {
		if (!yaml_parser_parse(&p, &ev)) {
			if (p.error == YAML_MEMORY_ERROR) {
				rc = -ENOMEM;
				break;
			}
			tab = p.problem_mark.index < ld->len &&
			      ld->buf[p.problem_mark.index] == '\t';
			if (p.context)
				rc = fail_at(
					ld, w.path, p.problem_mark,
					"YAML syntax error: %s (%s at line %zu)%s",
					p.problem ? p.problem : "", p.context,
					p.context_mark.line + 1,
					tab ? ": tabs cannot indent YAML" : "");
			else
				rc = fail_at(ld, w.path, p.problem_mark,
					     "YAML syntax error: %s",
					     p.problem ? p.problem : "unknown");
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rc = fail_at(
					ld, "", ev.start_mark,
					"only one YAML document is allowed");
			break;
		case YAML_ALIAS_EVENT:
		case YAML_SCALAR_EVENT:
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			rc = w_node(&w, &ev);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			rc = w_end(&w, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (!rc)
		*ret_empty = w.empty;
	return rc;
}

/* ---- finding the line of a path again (errors only) ---- */

struct lframe {
	bool map;
	bool want_key;
	unsigned idx;
	size_t self;
};

static void locate(const char *buf, size_t len, const char *target,
		   int *ret_line, int *ret_col)
{
	struct lframe st[W_DEPTH * 2];
	char path[PATH_BUF] = "";
	size_t plen = 0, best = 0;
	yaml_mark_t key_mark = {0};
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		return;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && yaml_parser_parse(&p, &ev)) {
		struct lframe *f = depth ? &st[depth - 1] : NULL;
		bool open = ev.type == YAML_MAPPING_START_EVENT ||
			    ev.type == YAML_SEQUENCE_START_EVENT;
		yaml_mark_t at = ev.start_mark;
		int n = 0;

		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			if (depth)
				depth--;
			f = depth ? &st[depth - 1] : NULL;
			plen = f ? f->self : 0;
			path[plen] = '\0';
			if (f && f->map)
				f->want_key = true;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (f && f->map && f->want_key) {
				if (ev.type == YAML_SCALAR_EVENT)
					n = snprintf(path + plen,
						     sizeof(path) - plen,
						     "%s%s", plen ? "." : "",
						     (const char *)ev.data
							     .scalar.value);
				f->want_key = false;
				key_mark = ev.start_mark;
				if (n > 0 && (size_t)n < sizeof(path) - plen)
					plen += (size_t)n;
				if (!open)
					break;
				/* a complex key: skip it as a value */
			} else if (f && f->map) {
				at = key_mark;
			} else if (f) {
				n = snprintf(path + plen, sizeof(path) - plen,
					     "[%u]", f->idx++);
				if (n > 0 && (size_t)n < sizeof(path) - plen)
					plen += (size_t)n;
			}
			if (!strcmp(path, target)) {
				*ret_line = (int)at.line + 1;
				*ret_col = (int)at.column + 1;
				done = true;
			} else if (plen >= best &&
				   path_has_prefix(target, path)) {
				best = plen;
				*ret_line = (int)at.line + 1;
				*ret_col = (int)at.column + 1;
			}
			if (open && depth < (int)ARRAY_SIZE(st)) {
				st[depth++] = (struct lframe){
					.map = ev.type ==
					       YAML_MAPPING_START_EVENT,
					.want_key = true,
					.self = plen,
				};
			} else if (!open && f) {
				plen = f->self;
				path[plen] = '\0';
				if (f->map)
					f->want_key = true;
			}
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
}

/* ---- 2. libcyaml ---- */

static void cy_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct ld *ld = ctx;
	int n;

	if (level < CYAML_LOG_ERROR || ld->cylog_len >= sizeof(ld->cylog) - 1)
		return;
	n = vsnprintf(ld->cylog + ld->cylog_len,
		      sizeof(ld->cylog) - ld->cylog_len, fmt, args);
	if (n > 0)
		ld->cylog_len +=
			(size_t)n < sizeof(ld->cylog) - ld->cylog_len
				? (size_t)n
				: sizeof(ld->cylog) - ld->cylog_len - 1;
}

/*
 * The allocator of the raw structs, shared with libcyaml (which frees them):
 * a block records its capacity in a 16-byte header and grows by half again,
 * because libcyaml reallocates a sequence for every entry it adds, which is
 * quadratic where realloc copies (sanitizers) for 262144 rules.
 */
#define RAW_HDR 16

static void *cy_mem(void *ctx, void *ptr, size_t size)
{
	uint8_t *b = ptr ? (uint8_t *)ptr - RAW_HDR : NULL;
	size_t cap = 0;

	if (!size) {
		free(b);
		return NULL;
	}
	if (b) {
		memcpy(&cap, b, sizeof(cap));
		if (size <= cap)
			return ptr;
		if (size < cap + cap / 2)
			size = cap + cap / 2;
	}
	if (size > SIZE_MAX / 2)
		return NULL;
	b = realloc(b, size + RAW_HDR);
	if (!b)
		return NULL;
	memcpy(b, &size, sizeof(size));
	return b + RAW_HDR;
}

static void *raw_alloc(size_t n)
{
	void *p = cy_mem(NULL, NULL, n ? n : 1);

	if (p)
		memset(p, 0, n);
	return p;
}

static void rfree(void *p)
{
	if (p)
		cy_mem(NULL, p, 0);
}

static char *raw_strndup(const char *s, size_t n)
{
	char *d = cy_mem(NULL, NULL, n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static char *raw_strdup(const char *s)
{
	return raw_strndup(s, strlen(s));
}

static const cyaml_config_t cy_free_cfg = {
	.mem_fn = cy_mem,
	.log_level = CYAML_LOG_ERROR,
};

static void raw_free(struct raw_top *t)
{
	if (t)
		cyaml_free(&cy_free_cfg, &top_schema, t, 0);
}

/* libcyaml refused what the walk accepted: should not happen; say what
 * libcyaml said, at the innermost position of its backtrace. */
static int cy_fail(struct ld *ld, cyaml_err_t e)
{
	const char *bt = strstr(ld->cylog, "(line: ");
	char first[200];
	unsigned line = 0, col = 0;
	size_t n;

	if (e == CYAML_ERR_OOM)
		return -ENOMEM;
	n = strcspn(ld->cylog, "\n");
	snprintf(first, sizeof(first), "%.*s", (int)n, ld->cylog);
	if (bt && sscanf(bt, "(line: %u, column: %u)", &line, &col) != 2)
		line = col = 0;
	ld->err->line = (int)line;
	ld->err->column = (int)col;
	ld->err->path[0] = '\0';
	snprintf(ld->err->msg, sizeof(ld->err->msg), "libcyaml: %s (%s)",
		 first[0] ? first : "load failed", cyaml_strerror(e));
	return -EINVAL;
}

static int cy_load(struct ld *ld, struct raw_top **ret)
{
	cyaml_config_t cfg = {
		.log_fn = cy_log,
		.log_ctx = ld,
		.mem_fn = cy_mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_NO_ALIAS,
	};
	cyaml_data_t *data = NULL;
	cyaml_err_t e;

	e = cyaml_load_data((const uint8_t *)ld->buf, ld->len, &cfg,
			    &top_schema, &data, NULL);
	if (e != CYAML_OK)
		return cy_fail(ld, e);
	if (!data) {
		data = raw_alloc(sizeof(struct raw_top));
		if (!data)
			return -ENOMEM;
	}
	*ret = data;
	return 0;
}

/* ---- 3. eBPFsentinel's spellings ---- */

static void add_remap(struct ld *ld, const char *canon, const char *written,
		      bool scalar)
{
	char where[PATH_BUF];
	int line, col;
	struct remap *r;

	if (ld->n_remaps == ARRAY_SIZE(ld->remaps))
		return;
	/* written may itself sit under a remapped key (agent.tls.*) */
	trace(ld, written, where, sizeof(where), &line, &col);
	r = &ld->remaps[ld->n_remaps++];
	if (snprintf(r->canon, sizeof(r->canon), "%s", canon) < 0 ||
	    snprintf(r->written, sizeof(r->written), "%s", where) < 0)
		ld->n_remaps--;
	r->scalar = scalar;
}

static int both_set(struct ld *ld, const char *alias, const char *canon)
{
	return fail(ld, alias, "%s is also set (line %d): keep one of them",
		    canon, line_of(ld, canon));
}

static void *zalloc(size_t n)
{
	return calloc(1, n);
}

static int fold_aliases(struct ld *ld, struct raw_top *t)
{
	struct raw_agent *a = t->agent;
	struct raw_jwt *j = t->auth ? t->auth->jwt : NULL;

	if (a && a->tls) {
		if (t->tls)
			return both_set(ld, "agent.tls", "tls");
		t->tls = a->tls;
		a->tls = NULL;
		add_remap(ld, "tls", "agent.tls", false);
	}
	if (a &&
	    (a->bind_address || a->http_port || a->allow_unauthenticated_api)) {
		if (!t->api && !(t->api = raw_alloc(sizeof(*t->api))))
			return -ENOMEM;
		if (a->bind_address && t->api->bind_address)
			return both_set(ld, "agent.bind_address",
					"api.bind_address");
		if (a->http_port && t->api->port)
			return both_set(ld, "agent.http_port", "api.port");
		if (a->allow_unauthenticated_api &&
		    t->api->allow_insecure_no_auth)
			return both_set(ld, "agent.allow_unauthenticated_api",
					"api.allow_insecure_no_auth");
		if (a->bind_address) {
			t->api->bind_address = a->bind_address;
			a->bind_address = NULL;
			add_remap(ld, "api.bind_address", "agent.bind_address",
				  false);
		}
		if (a->http_port) {
			t->api->port = a->http_port;
			a->http_port = NULL;
			add_remap(ld, "api.port", "agent.http_port", false);
		}
		if (a->allow_unauthenticated_api) {
			t->api->allow_insecure_no_auth =
				a->allow_unauthenticated_api;
			a->allow_unauthenticated_api = NULL;
			add_remap(ld, "api.allow_insecure_no_auth",
				  "agent.allow_unauthenticated_api", false);
		}
	}
	if (t->firewall && t->firewall->mode) {
		struct raw_firewall *fw = t->firewall;

		if (fw->dry_run)
			return both_set(ld, "firewall.mode",
					"firewall.dry_run");
		if (!(fw->dry_run = raw_alloc(sizeof(*fw->dry_run))))
			return -ENOMEM;
		*fw->dry_run = *fw->mode == 1;
		rfree(fw->mode);
		fw->mode = NULL;
		add_remap(ld, "firewall.dry_run", "firewall.mode", false);
	}
	if (t->tls && t->tls->allow_tls12) {
		if (t->tls->min_version)
			return both_set(ld, "tls.allow_tls12",
					"tls.min_version");
		if (!(t->tls->min_version = raw_alloc(sizeof(int))))
			return -ENOMEM;
		*t->tls->min_version =
			*t->tls->allow_tls12 ? CONFIG_TLS_1_2 : CONFIG_TLS_1_3;
		rfree(t->tls->allow_tls12);
		t->tls->allow_tls12 = NULL;
		add_remap(ld, "tls.min_version", "tls.allow_tls12", false);
	}
	if (j && j->algorithm) {
		if (j->algorithms)
			return both_set(ld, "auth.jwt.algorithm",
					"auth.jwt.algorithms");
		j->algorithms = j->algorithm;
		j->algorithms_count = 1;
		j->algorithm = NULL;
		add_remap(ld, "auth.jwt.algorithms", "auth.jwt.algorithm",
			  true);
	}
	if (j && j->public_key_path) {
		if (j->public_key_paths)
			return both_set(ld, "auth.jwt.public_key_path",
					"auth.jwt.public_key_paths");
		if (!(j->public_key_paths = raw_alloc(sizeof(char *))))
			return -ENOMEM;
		j->public_key_paths[0] = j->public_key_path;
		j->public_key_paths_count = 1;
		j->public_key_path = NULL;
		add_remap(ld, "auth.jwt.public_key_paths",
			  "auth.jwt.public_key_path", true);
	}
	return 0;
}

/* ---- 4. environment and command line ---- */

struct settable {
	char path[64];
	char env[80];
};

#define SETTABLE_MAX 96

static bool is_alias(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(alias_paths); i++)
		if (!strcmp(path, alias_paths[i]))
			return true;
	return false;
}

/* Every scalar or list of scalars reachable through mappings. */
static size_t list_settable(const cyaml_schema_field_t *f, const char *base,
			    struct settable *out, size_t n)
{
	for (; f->key && n < SETTABLE_MAX; f++) {
		const cyaml_schema_value_t *v = &f->value;
		char path[PATH_BUF];

		kp(path, base, f->key);
		if (is_alias(path) || strlen(path) >= sizeof(out->path))
			continue;
		if (v->type == CYAML_MAPPING) {
			n = list_settable(v->mapping.fields, path, out, n);
			continue;
		}
		if (v->type == CYAML_SEQUENCE &&
		    v->sequence.entry->type == CYAML_MAPPING)
			continue;
		/* strlen(path) < sizeof(out->path), checked above */
		memcpy(out[n].path, path, strlen(path) + 1);
		memcpy(out[n].env, "SENTINEL_", 9);
		memcpy(out[n].env + 9, path, strlen(path) + 1);
		for (char *c = out[n].env + 9; *c; c++)
			*c = *c == '.' ? '_' : (char)toupper((unsigned char)*c);
		n++;
	}
	return n;
}

static void store_int(void *dst, uint32_t size, int64_t v)
{
	switch (size) {
	case 1: {
		uint8_t x = (uint8_t)v;

		memcpy(dst, &x, 1);
		break;
	}
	case 2: {
		int16_t x = (int16_t)v;

		memcpy(dst, &x, 2);
		break;
	}
	case 4: {
		int32_t x = (int32_t)v;

		memcpy(dst, &x, 4);
		break;
	}
	default:
		memcpy(dst, &v, 8);
	}
}

static void free_seq(const cyaml_schema_value_t *e, void *arr, unsigned n)
{
	if (e->flags & CYAML_FLAG_POINTER)
		for (unsigned i = 0; i < n; i++)
			rfree(((char **)arr)[i]);
	rfree(arr);
}

/* Set the value at path (a settable key) from text, as the file would. */
static int set_value(struct ld *ld, struct raw_top *t, const char *path,
		     const char *text, const char *label)
{
	const cyaml_schema_field_t *fields = top_fields, *f;
	char seg[64], msg[CONFIG_ERR_MSG_MAX];
	uint8_t *base = (uint8_t *)t;
	const char *p = path;
	int64_t val;
	uint8_t *at;

	for (;;) {
		size_t n = strcspn(p, ".");
		int i;

		snprintf(seg, sizeof(seg), "%.*s", (int)n, p);
		i = field_index(fields, seg);
		if (i < 0)
			return fail_label(ld, label, "no such setting");
		f = &fields[i];
		p += n;
		if (!*p)
			break;
		p++;
		if (f->value.type != CYAML_MAPPING)
			return fail_label(ld, label, "no such setting");
		at = base + f->data_offset;
		if (!*(void **)at &&
		    !(*(void **)at = raw_alloc(f->value.data_size)))
			return -ENOMEM;
		base = *(uint8_t **)at;
		fields = f->value.mapping.fields;
	}
	at = base + f->data_offset;
	if (f->value.type == CYAML_SEQUENCE) {
		const cyaml_schema_value_t *e = f->value.sequence.entry;
		size_t esz = (e->flags & CYAML_FLAG_POINTER) ? sizeof(void *)
							     : e->data_size;
		unsigned count = 0, max = f->value.sequence.max;
		uint8_t *arr = NULL;
		const char *s = text;

		if (*text) {
			count = 1;
			for (const char *c = text; *c; c++)
				count += *c == ',';
		}
		if (count > max)
			return fail_label(ld, label, "more than %u entries",
					  max);
		if (count && !(arr = raw_alloc(count * esz)))
			return -ENOMEM;
		for (unsigned i = 0; i < count; i++) {
			size_t n = strcspn(s, ",");
			const char *b = s, *end = s + n;
			char *item;

			while (b < end && (*b == ' ' || *b == '\t'))
				b++;
			while (end > b && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			item = raw_strndup(b, (size_t)(end - b));
			if (!item) {
				free_seq(e, arr, i);
				return -ENOMEM;
			}
			if (check_scalar(e, item, strlen(item), true, msg,
					 sizeof(msg), &val)) {
				rfree(item);
				free_seq(e, arr, i);
				return fail_label(ld, label, "entry %u: %s",
						  i + 1, msg);
			}
			if (e->flags & CYAML_FLAG_POINTER) {
				((char **)arr)[i] = item;
			} else {
				store_int(arr + i * esz, e->data_size, val);
				rfree(item);
			}
			s += n + (s[n] == ',');
		}
		free_seq(e, *(void **)at,
			 *(unsigned *)(base + f->count_offset));
		*(void **)at = arr;
		*(unsigned *)(base + f->count_offset) = count;
		return 0;
	}
	if (check_scalar(&f->value, text, strlen(text), true, msg, sizeof(msg),
			 &val))
		return fail_label(ld, label, "%s", msg);
	if (f->value.type == CYAML_STRING) {
		char *dup = raw_strndup(text, strlen(text));

		if (!dup)
			return -ENOMEM;
		rfree(*(char **)at);
		*(char **)at = dup;
		return 0;
	}
	if (!*(void **)at && !(*(void **)at = raw_alloc(f->value.data_size)))
		return -ENOMEM;
	store_int(*(void **)at, f->value.data_size, val);
	return 0;
}

static int add_origin(struct ld *ld, const char *path, const char *label)
{
	struct origin *o =
		realloc(ld->origins, (ld->n_origins + 1) * sizeof(*o));

	if (!o)
		return -ENOMEM;
	ld->origins = o;
	o[ld->n_origins].path = strdup(path);
	o[ld->n_origins].label = strdup(label);
	if (!o[ld->n_origins].path || !o[ld->n_origins].label) {
		free(o[ld->n_origins].path);
		free(o[ld->n_origins].label);
		return -ENOMEM;
	}
	ld->n_origins++;
	return 0;
}

static int apply_overrides(struct ld *ld, struct raw_top *t,
			   const struct config_overrides *ov, char *const *envp)
{
	struct settable set[SETTABLE_MAX];
	size_t n = list_settable(top_fields, "", set, 0);
	char label[PATH_BUF];
	int rc;

	for (char *const *e = envp; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t nlen = eq ? (size_t)(eq - *e) : 0;
		const struct settable *s = NULL;
		bool ours = false;

		if (!eq || strncmp(*e, "SENTINEL_", 9))
			continue;
		for (size_t i = 0; i < n && !s; i++)
			if (strlen(set[i].env) == nlen &&
			    !strncmp(set[i].env, *e, nlen))
				s = &set[i];
		snprintf(label, sizeof(label), "env %.*s",
			 (int)(nlen < 200 ? nlen : 200), *e);
		for (size_t i = 0; i < ARRAY_SIZE(env_sections); i++)
			ours |= !strncmp(*e + 9, env_sections[i],
					 strlen(env_sections[i]));
		if (!s) {
			if (ours)
				return fail_label(
					ld, label,
					"no such setting (SENTINEL_<SECTION>_<KEY> of a scalar or list key)");
			continue;
		}
		rc = set_value(ld, t, s->path, eq + 1, label);
		if (!rc)
			rc = add_origin(ld, s->path, label);
		if (rc)
			return rc;
	}
	for (size_t k = 0; ov && k < ov->n_set; k++) {
		const char *arg = ov->set[k];
		const char *eq = arg ? strchr(arg, '=') : NULL;
		size_t klen = eq ? (size_t)(eq - arg) : (arg ? strlen(arg) : 0);
		const struct settable *s = NULL;

		snprintf(label, sizeof(label), "command line %.*s",
			 (int)(klen < 200 ? klen : 200), arg ? arg : "");
		if (!eq)
			return fail_label(ld, label, "expected KEY=VALUE");
		for (size_t i = 0; i < n && !s; i++)
			if (strlen(set[i].path) == klen &&
			    !strncmp(set[i].path, arg, klen))
				s = &set[i];
		if (!s)
			return fail_label(
				ld, label,
				"no such setting (a scalar or list key such as api.port)");
		rc = set_value(ld, t, s->path, eq + 1, label);
		if (!rc)
			rc = add_origin(ld, s->path, label);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- 5. values ---- */

static int parse_cidr(const char *s, struct config_cidr *ret, char *msg,
		      size_t msglen)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0,    0,
					     0, 0, 0, 0, 0xff, 0xff};
	struct config_cidr c = {0};
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	char a[INET6_ADDRSTRLEN + 1], net[64];
	int64_t plen;
	int max;
	bool host = false;

	if (!strcmp(s, "any")) {
		*ret = c;
		return 0;
	}
	if (alen >= sizeof(a))
		goto bad;
	memcpy(a, s, alen);
	a[alen] = '\0';
	if (inet_pton(AF_INET, a, c.addr) == 1)
		c.family = 4;
	else if (inet_pton(AF_INET6, a, c.addr) == 1)
		c.family = 6;
	else
		goto bad;
	max = c.family == 4 ? 32 : 128;
	plen = max;
	if (slash && (parse_decimal(slash + 1, strlen(slash + 1), &plen) ||
		      plen < 0 || plen > max)) {
		snprintf(msg, msglen,
			 "'%.64s': the prefix length must be 0..%d", s, max);
		return -EINVAL;
	}
	if (c.family == 6 && !memcmp(c.addr, v4mapped, sizeof(v4mapped))) {
		snprintf(
			msg, msglen,
			"'%.64s' is an IPv4-mapped IPv6 address: write the IPv4 address",
			s);
		return -EINVAL;
	}
	c.plen = (uint8_t)plen;
	for (int i = 0; i < max / 8; i++) {
		int bits = (int)plen - 8 * i;
		uint8_t mask = bits >= 8   ? 0xff
			       : bits <= 0 ? 0
					   : (uint8_t)(0xff << (8 - bits));

		host |= (c.addr[i] & ~mask) != 0;
		c.addr[i] &= mask;
	}
	if (host) {
		config_cidr_format(&c, net, sizeof(net));
		snprintf(msg, msglen,
			 "'%.64s' has host bits set (the network is %s)", s,
			 net);
		return -EINVAL;
	}
	*ret = c;
	return 0;
bad:
	snprintf(msg, msglen,
		 "'%.64s' is not an IPv4 or IPv6 address or prefix", s);
	return -EINVAL;
}

static int parse_port(const char *s, size_t n, uint16_t *ret)
{
	int64_t v = 0;

	if (!n || n > 5 || parse_decimal(s, n, &v) || v < 0 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

static int parse_ports(const char *s, struct config_ports *ret, char *msg,
		       size_t msglen)
{
	const char *dash = strchr(s, '-');
	struct config_ports r;

	if (dash ? parse_port(s, (size_t)(dash - s), &r.lo) ||
			    parse_port(dash + 1, strlen(dash + 1), &r.hi)
		 : parse_port(s, strlen(s), &r.lo)) {
		snprintf(msg, msglen,
			 "'%.64s' is not a port (0-65535) or a range LO-HI", s);
		return -EINVAL;
	}
	if (!dash)
		r.hi = r.lo;
	if (r.lo > r.hi) {
		snprintf(msg, msglen, "port range %u-%u is reversed (%u > %u)",
			 r.lo, r.hi, r.lo, r.hi);
		return -EINVAL;
	}
	*ret = r;
	return 0;
}

static const struct {
	const char *name;
	uint8_t proto;
} protocols[] = {
	{"any", 0},    {"icmp", 1}, {"tcp", 6},	 {"udp", 17}, {"icmpv6", 58},
	{"sctp", 132}, {"gre", 47}, {"esp", 50}, {"ah", 51},
};

static int parse_proto(const char *s, uint8_t *ret, char *msg, size_t msglen)
{
	int64_t v = 0;

	for (size_t i = 0; i < ARRAY_SIZE(protocols); i++)
		if (!strcasecmp(s, protocols[i].name)) {
			*ret = protocols[i].proto;
			return 0;
		}
	if (!parse_decimal(s, strlen(s), &v) && v >= 0 && v <= 255) {
		*ret = (uint8_t)v;
		return 0;
	}
	snprintf(
		msg, msglen,
		"'%.64s' is not tcp, udp, icmp, icmpv6, sctp, gre, esp, ah, any or a number 0..255",
		s);
	return -EINVAL;
}

static const char *const tcp_flag_names[8] = {"fin", "syn", "rst", "psh",
					      "ack", "urg", "ece", "cwr"};
static const char tcp_flag_letters[] = "FSRPAUEC";

/* "syn,ack" (names, any case) or "SA" (letters, as eBPFsentinel). */
static int flag_list(const char *s, size_t n, uint8_t *ret)
{
	const char *p = s, *end = s + n;
	uint8_t v = 0;
	bool names = n > 0;

	while (names && p <= end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t len = c ? (size_t)(c - p) : (size_t)(end - p);
		bool found = false;

		for (int i = 0; i < 8 && !found; i++)
			if (strlen(tcp_flag_names[i]) == len &&
			    !strncasecmp(p, tcp_flag_names[i], len)) {
				v |= (uint8_t)(1u << i);
				found = true;
			}
		names = found;
		if (!c)
			break;
		p = c + 1;
	}
	if (names) {
		*ret = v;
		return 0;
	}
	v = 0;
	for (size_t i = 0; i < n; i++) {
		const char *l = s[i] ? strchr(tcp_flag_letters, s[i]) : NULL;

		if (!l)
			return -EINVAL;
		v |= (uint8_t)(1u << (l - tcp_flag_letters));
	}
	*ret = v;
	return 0;
}

static int parse_tcp_flags(const char *s, uint8_t *value, uint8_t *mask,
			   char *msg, size_t msglen)
{
	const char *slash = strchr(s, '/');
	int rc;

	if (slash)
		rc = flag_list(s, (size_t)(slash - s), value) ||
		     flag_list(slash + 1, strlen(slash + 1), mask);
	else
		rc = flag_list(s, strlen(s), value) || (*mask = *value, 0);
	if (rc || !*mask) {
		snprintf(
			msg, msglen,
			"'%.64s' is not VALUE/MASK of fin,syn,rst,psh,ack,urg,ece,cwr (or letters, as S/SA)",
			s);
		return -EINVAL;
	}
	if (*value & ~*mask) {
		snprintf(msg, msglen,
			 "'%.64s': the value has flags outside the mask", s);
		return -EINVAL;
	}
	return 0;
}

struct icmp_name {
	const char *name;
	uint8_t type;
};

static const struct icmp_name icmp4_names[] = {
	{"echo-reply", 0},
	{"destination-unreachable", 3},
	{"dest-unreachable", 3},
	{"source-quench", 4},
	{"redirect", 5},
	{"echo-request", 8},
	{"router-advertisement", 9},
	{"router-solicitation", 10},
	{"time-exceeded", 11},
	{"parameter-problem", 12},
	{"timestamp-request", 13},
	{"timestamp-reply", 14},
	{NULL, 0},
};

static const struct icmp_name icmp6_names[] = {
	{"destination-unreachable", 1},
	{"dest-unreachable", 1},
	{"packet-too-big", 2},
	{"time-exceeded", 3},
	{"parameter-problem", 4},
	{"echo-request", 128},
	{"echo-reply", 129},
	{"router-solicitation", 133},
	{"router-advertisement", 134},
	{"neighbor-solicitation", 135},
	{"neighbor-advertisement", 136},
	{"redirect", 137},
	{NULL, 0},
};

static int parse_icmp_type(const char *s, uint8_t proto, int *ret, char *msg,
			   size_t msglen)
{
	const struct icmp_name *t = proto == 58 ? icmp6_names : icmp4_names;
	int64_t v = 0;

	if (!parse_decimal(s, strlen(s), &v)) {
		if (v < 0 || v > 255) {
			snprintf(msg, msglen, "%lld is not 0..255",
				 (long long)v);
			return -EINVAL;
		}
		*ret = (int)v;
		return 0;
	}
	for (; t->name; t++)
		if (!strcasecmp(s, t->name)) {
			*ret = t->type;
			return 0;
		}
	snprintf(
		msg, msglen,
		"'%.64s' is not an %s type: a number 0..255 or a name such as echo-request",
		s, proto == 58 ? "ICMPv6" : "ICMP");
	return -EINVAL;
}

/* An interface name, or with pattern an fnmatch glob, "!" to exclude. */
static int check_ifname(const char *s, bool pattern, char *msg, size_t msglen)
{
	const char *name = pattern && *s == '!' ? s + 1 : s;
	size_t len = strlen(name);

	if (!len || !strcmp(name, ".") || !strcmp(name, "..")) {
		snprintf(msg, msglen, "'%.64s' is not an interface name", s);
		return -EINVAL;
	}
	if (len > CONFIG_IFNAME_MAX) {
		snprintf(msg, msglen,
			 "'%.64s' is longer than %d characters (IFNAMSIZ)", s,
			 CONFIG_IFNAME_MAX);
		return -EINVAL;
	}
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == '/' || *c == ':' ||
		    *c == 0x7f) {
			snprintf(
				msg, msglen,
				"'%.64s': an interface name has no '/', ':' or spaces",
				s);
			return -EINVAL;
		}
	if (!pattern && strpbrk(name, "*?[]!")) {
		snprintf(msg, msglen,
			 "'%.64s': a rule names one interface, not a pattern",
			 s);
		return -EINVAL;
	}
	return 0;
}

static int check_abs_path(const char *s, char *msg, size_t msglen)
{
	const char *p = s;

	if (*s != '/') {
		snprintf(msg, msglen, "'%.64s' is not an absolute path", s);
		return -EINVAL;
	}
	while ((p = strstr(p, "..")))
		if ((p == s || p[-1] == '/') && (p[2] == '/' || !p[2])) {
			snprintf(msg, msglen, "'%.64s' contains '..'", s);
			return -EINVAL;
		} else {
			p += 2;
		}
	return 0;
}

/* Rule ids and key names: they appear in URLs, logs and audit records. */
static int check_id(const char *s, char *msg, size_t msglen)
{
	size_t n = strlen(s);

	if (!n || n > CONFIG_ID_MAX) {
		snprintf(msg, msglen, "must be 1 to %d characters",
			 CONFIG_ID_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) && c < 0x80)
			continue;
		if (i && (c == '.' || c == '_' || c == ':' || c == '-'))
			continue;
		snprintf(
			msg, msglen,
			"'%.64s': use letters, digits and . _ : - (starting with a letter or digit)",
			s);
		return -EINVAL;
	}
	return 0;
}

static int parse_addr(const char *s, bool *ret_loopback)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		*ret_loopback = (ntohl(a4.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		*ret_loopback =
			IN6_IS_ADDR_LOOPBACK(&a6) ||
			(IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
		return 0;
	}
	return -EINVAL;
}

static int dup_str(char **ret, const char *s)
{
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int conv_int(struct ld *ld, const char *path, const int64_t *v,
		    int64_t lo, int64_t hi, int64_t def, int64_t *ret)
{
	if (!v) {
		*ret = def;
		return 0;
	}
	if (*v < lo || *v > hi)
		return fail(ld, path, "%lld is not %lld..%lld", (long long)*v,
			    (long long)lo, (long long)hi);
	*ret = *v;
	return 0;
}

static bool proto_has_ports(uint8_t p)
{
	return p == 6 || p == 17;
}

static int conv_rule(struct ld *ld, const struct raw_rule *rr, const char *path,
		     struct config_rule *r)
{
	char p[PATH_BUF], q[PATH_BUF], msg[CONFIG_ERR_MSG_MAX];
	const char *flags_key = "tcp_flags", *flags = rr->tcp_flags;
	int64_t v = 0;
	int rc, ifaces;

	memset(r, 0, sizeof(*r));
	r->enabled = true;
	r->vlan_id = r->icmp_type = r->icmp_code = -1;
	r->src_port = r->dst_port = (struct config_ports){0, 65535};
	if (!rr->id)
		return fail(ld, kp(p, path, "id"), "required key is missing");
	if (check_id(rr->id, msg, sizeof(msg)))
		return fail(ld, kp(p, path, "id"), "%s", msg);
	snprintf(r->id, sizeof(r->id), "%s", rr->id);
	if (!rr->action)
		return fail(ld, kp(p, path, "action"),
			    "required key is missing");
	r->action = (enum config_action) * rr->action;
	rc = conv_int(ld, kp(p, path, "priority"), rr->priority, 0, UINT32_MAX,
		      DEF_PRIORITY, &v);
	if (rc)
		return rc;
	r->priority = (uint32_t)v;
	if (rr->enabled)
		r->enabled = *rr->enabled;
	if (rr->dry_run)
		r->dry_run = *rr->dry_run;
	if (rr->protocol &&
	    parse_proto(rr->protocol, &r->protocol, msg, sizeof(msg)))
		return fail(ld, kp(p, path, "protocol"), "%s", msg);
	if (rr->src_ip && parse_cidr(rr->src_ip, &r->src_ip, msg, sizeof(msg)))
		return fail(ld, kp(p, path, "src_ip"), "%s", msg);
	if (rr->dst_ip && parse_cidr(rr->dst_ip, &r->dst_ip, msg, sizeof(msg)))
		return fail(ld, kp(p, path, "dst_ip"), "%s", msg);
	if (r->src_ip.family && r->dst_ip.family &&
	    r->src_ip.family != r->dst_ip.family)
		return fail(ld, kp(p, path, "dst_ip"),
			    "src_ip is IPv%d and dst_ip is IPv%d",
			    r->src_ip.family, r->dst_ip.family);
	if ((r->protocol == 1 &&
	     (r->src_ip.family == 6 || r->dst_ip.family == 6)) ||
	    (r->protocol == 58 &&
	     (r->src_ip.family == 4 || r->dst_ip.family == 4)))
		return fail(ld, kp(p, path, "protocol"),
			    r->protocol == 1
				    ? "icmp with IPv6 addresses (use icmpv6)"
				    : "icmpv6 with IPv4 addresses (use icmp)");
	if (rr->src_port &&
	    parse_ports(rr->src_port, &r->src_port, msg, sizeof(msg)))
		return fail(ld, kp(p, path, "src_port"), "%s", msg);
	if (rr->dst_port &&
	    parse_ports(rr->dst_port, &r->dst_port, msg, sizeof(msg)))
		return fail(ld, kp(p, path, "dst_port"), "%s", msg);
	if ((rr->src_port || rr->dst_port) && !proto_has_ports(r->protocol))
		return fail(ld,
			    kp(p, path, rr->src_port ? "src_port" : "dst_port"),
			    "a port needs protocol tcp or udp");
	rc = conv_int(ld, kp(p, path, "vlan_id"), rr->vlan_id, 0, 4095, -1, &v);
	if (rc)
		return rc;
	r->vlan_id = (int)v;
	if (rr->flags) {
		if (flags)
			return fail(ld, kp(p, path, "flags"),
				    "tcp_flags is also set: keep one of them");
		flags = rr->flags;
		flags_key = "flags";
	}
	if (flags) {
		if (parse_tcp_flags(flags, &r->tcp_flags_value,
				    &r->tcp_flags_mask, msg, sizeof(msg)))
			return fail(ld, kp(p, path, flags_key), "%s", msg);
		if (r->protocol != 6)
			return fail(ld, kp(p, path, flags_key),
				    "TCP flags need protocol tcp");
	}
	if ((rr->icmp_type || rr->icmp_code) && r->protocol != 1 &&
	    r->protocol != 58)
		return fail(
			ld,
			kp(p, path, rr->icmp_type ? "icmp_type" : "icmp_code"),
			"needs protocol icmp or icmpv6");
	if (rr->icmp_type && parse_icmp_type(rr->icmp_type, r->protocol,
					     &r->icmp_type, msg, sizeof(msg)))
		return fail(ld, kp(p, path, "icmp_type"), "%s", msg);
	rc = conv_int(ld, kp(p, path, "icmp_code"), rr->icmp_code, 0, 255, -1,
		      &v);
	if (rc)
		return rc;
	r->icmp_code = (int)v;
	ifaces = !!rr->interface + !!rr->interfaces_count + !!rr->scope;
	if (ifaces > 1)
		return fail(ld, kp(p, path, rr->scope ? "scope" : "interfaces"),
			    "set only one of interface, interfaces and scope");
	if (rr->interface) {
		if (check_ifname(rr->interface, false, msg, sizeof(msg)))
			return fail(ld, kp(p, path, "interface"), "%s", msg);
		snprintf(r->interface, sizeof(r->interface), "%s",
			 rr->interface);
	} else if (rr->interfaces_count) {
		if (rr->interfaces_count > 1)
			return fail(
				ld, kp(p, path, "interfaces"),
				"a rule matches one interface here: write one rule per interface");
		if (check_ifname(rr->interfaces[0], false, msg, sizeof(msg)))
			return fail(ld, ip(p, kp(q, path, "interfaces"), 0),
				    "%s", msg);
		snprintf(r->interface, sizeof(r->interface), "%s",
			 rr->interfaces[0]);
	} else if (rr->scope && strcmp(rr->scope, "global")) {
		const char *name = rr->scope;

		if (!strncmp(name, "interface:", 10))
			name += 10;
		else if (strchr(name, ':'))
			return fail(
				ld, kp(p, path, "scope"),
				"'%.64s': only global, an interface name or interface:NAME",
				rr->scope);
		if (check_ifname(name, false, msg, sizeof(msg)))
			return fail(ld, kp(p, path, "scope"), "%s", msg);
		snprintf(r->interface, sizeof(r->interface), "%s", name);
	}
	return 0;
}

struct id_ref {
	const char *id;
	size_t idx;
};

static int id_cmp(const void *a, const void *b)
{
	const struct id_ref *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static int check_unique_ids(struct ld *ld, const struct config_rule *rules,
			    size_t n)
{
	struct id_ref *refs;
	size_t first = 0, second = SIZE_MAX;
	char p[PATH_BUF], q[PATH_BUF], r[PATH_BUF];

	if (n < 2)
		return 0;
	refs = malloc(n * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		refs[i] = (struct id_ref){rules[i].id, i};
	qsort(refs, n, sizeof(*refs), id_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(refs[i].id, refs[i - 1].id) &&
		    refs[i].idx < second) {
			second = refs[i].idx;
			first = refs[i - 1].idx;
		}
	free(refs);
	if (second == SIZE_MAX)
		return 0;
	ip(q, "firewall.rules", first);
	return fail(ld, kp(p, ip(r, "firewall.rules", second), "id"),
		    "duplicate rule id '%s' (first in %s, line %d)",
		    rules[second].id, q, line_of(ld, q));
}

static int conv_firewall(struct ld *ld, const struct raw_firewall *rf,
			 struct config_firewall *fw)
{
	char p[PATH_BUF], q[PATH_BUF], msg[CONFIG_ERR_MSG_MAX];
	const struct raw_mgmt *m = rf ? rf->anti_lockout : NULL;
	int rc;

	fw->enabled = true;
	fw->anti_lockout.enabled = true;
	if (!rf)
		return 0;
	if (rf->enabled)
		fw->enabled = *rf->enabled;
	if (rf->default_policy)
		fw->default_policy = (enum config_policy) * rf->default_policy;
	if (rf->dry_run)
		fw->dry_run = *rf->dry_run;
	if (m && m->enabled)
		fw->anti_lockout.enabled = *m->enabled;
	if (m && m->sources_count) {
		fw->anti_lockout.sources =
			calloc(m->sources_count, sizeof(struct config_cidr));
		if (!fw->anti_lockout.sources)
			return -ENOMEM;
		for (unsigned i = 0; i < m->sources_count; i++) {
			struct config_cidr *c = &fw->anti_lockout.sources[i];

			if (parse_cidr(m->sources[i], c, msg, sizeof(msg)))
				return fail(ld,
					    ip(p,
					       "firewall.anti_lockout.sources",
					       i),
					    "%s", msg);
			if (!c->family)
				return fail(
					ld,
					ip(p, "firewall.anti_lockout.sources",
					   i),
					"write 0.0.0.0/0 and ::/0 to mean every source");
			fw->anti_lockout.n_sources++;
		}
	}
	for (unsigned i = 0; m && i < m->ports_count; i++) {
		if (m->ports[i] < 1 || m->ports[i] > 65535)
			return fail(ld, ip(p, "firewall.anti_lockout.ports", i),
				    "%lld is not a port 1..65535",
				    (long long)m->ports[i]);
		fw->anti_lockout.ports[fw->anti_lockout.n_ports++] =
			(uint16_t)m->ports[i];
	}
	if (rf->interface_policies_count) {
		fw->interface_policies =
			calloc(rf->interface_policies_count,
			       sizeof(struct config_if_policy));
		if (!fw->interface_policies)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < rf->interface_policies_count; i++) {
		const struct raw_ifpol *rp = &rf->interface_policies[i];
		struct config_if_policy *cp = &fw->interface_policies[i];

		ip(q, "firewall.interface_policies", i);
		if (check_ifname(rp->interface, false, msg, sizeof(msg)))
			return fail(ld, kp(p, q, "interface"), "%s", msg);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(fw->interface_policies[j].interface,
				    rp->interface))
				return fail(ld, kp(p, q, "interface"),
					    "'%s' is listed twice",
					    rp->interface);
		snprintf(cp->interface, sizeof(cp->interface), "%s",
			 rp->interface);
		cp->default_policy =
			rp->default_policy ? *rp->default_policy : -1;
		cp->dry_run = rp->dry_run ? *rp->dry_run : -1;
		fw->n_interface_policies++;
	}
	if (rf->rules_count) {
		fw->rules = calloc(rf->rules_count, sizeof(struct config_rule));
		if (!fw->rules)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < rf->rules_count; i++) {
		rc = conv_rule(ld, &rf->rules[i], ip(q, "firewall.rules", i),
			       &fw->rules[i]);
		if (rc)
			return rc;
		if (i < ld->n_rule_lines)
			fw->rules[i].line = ld->rule_lines[i];
		fw->n_rules++;
	}
	return check_unique_ids(ld, fw->rules, fw->n_rules);
}

static int conv_agent(struct ld *ld, const struct raw_agent *ra,
		      struct config_agent *a)
{
	const char *dirs[3] = {DEF_BPFFS_DIR, DEF_SOCKET_DIR, DEF_STATE_DIR};
	static const char *const keys[3] = {
		"agent.bpffs_dir", "agent.socket_dir", "agent.state_dir"};
	char **out[3] = {&a->bpffs_dir, &a->socket_dir, &a->state_dir};
	char p[PATH_BUF], msg[CONFIG_ERR_MSG_MAX];

	a->xdp_mode = CONFIG_XDP_AUTO;
	a->log_level = CONFIG_LOG_INFO;
	a->log_format = CONFIG_LOG_TEXT;
	if (!ra || !ra->interfaces_count)
		return fail(
			ld, "agent.interfaces",
			"required: the interfaces to protect, e.g. interfaces: [eth0] (names or globs; !NAME excludes)");
	a->interfaces = calloc(ra->interfaces_count, sizeof(char *));
	if (!a->interfaces)
		return -ENOMEM;
	for (unsigned i = 0; i < ra->interfaces_count; i++) {
		const char *s = ra->interfaces[i];

		ip(p, "agent.interfaces", i);
		if (check_ifname(s, true, msg, sizeof(msg)))
			return fail(ld, p, "%s", msg);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(s, a->interfaces[j]))
				return fail(ld, p, "'%s' is listed twice", s);
		if (dup_str(&a->interfaces[i], s))
			return -ENOMEM;
		a->n_interfaces++;
	}
	if (ra->xdp_mode && *ra->xdp_mode == XDP_OFFLOADED)
		return fail(
			ld, "agent.xdp_mode",
			"offloaded (hardware) XDP is not supported: auto, native or generic");
	if (ra->xdp_mode)
		a->xdp_mode = (enum config_xdp_mode) * ra->xdp_mode;
	if (ra->log_level)
		a->log_level = (enum config_log_level) * ra->log_level;
	if (ra->log_format)
		a->log_format = (enum config_log_format) * ra->log_format;
	if (ra->bpffs_dir)
		dirs[0] = ra->bpffs_dir;
	if (ra->socket_dir)
		dirs[1] = ra->socket_dir;
	if (ra->state_dir)
		dirs[2] = ra->state_dir;
	for (int i = 0; i < 3; i++) {
		if (check_abs_path(dirs[i], msg, sizeof(msg)))
			return fail(ld, keys[i], "%s", msg);
		if (dup_str(out[i], dirs[i]))
			return -ENOMEM;
	}
	if (strlen(a->socket_dir) > SOCKET_DIR_MAX)
		return fail(
			ld, "agent.socket_dir",
			"longer than %d bytes: the socket paths would not fit a Unix socket address",
			SOCKET_DIR_MAX);
	return 0;
}

static int conv_alerting_audit(struct ld *ld, const struct raw_alerting *al,
			       const struct raw_audit *au, struct config *c)
{
	int64_t v = 0;
	int rc;

	c->alerting.enabled = !al || !al->enabled || *al->enabled;
	rc = conv_int(ld, "alerting.dedup_window_secs",
		      al ? al->dedup_window_secs : NULL, 0, MAX_DEDUP,
		      DEF_DEDUP_SECS, &v);
	if (rc)
		return rc;
	c->alerting.dedup_window_secs = (uint32_t)v;
	if (al && al->min_severity)
		c->alerting.min_severity =
			(enum config_severity) * al->min_severity;
	c->audit.enabled = !au || !au->enabled || *au->enabled;
	rc = conv_int(ld, "audit.retention_days",
		      au ? au->retention_days : NULL, 0, MAX_RETENTION,
		      DEF_RETENTION, &v);
	if (rc)
		return rc;
	c->audit.retention_days = (uint32_t)v;
	rc = conv_int(ld, "audit.alerts_retention_days",
		      au ? au->alerts_retention_days : NULL, 0, MAX_RETENTION,
		      DEF_ALERTS_RETAIN, &v);
	if (rc)
		return rc;
	c->audit.alerts_retention_days = (uint32_t)v;
	return 0;
}

static int conv_api_tls(struct ld *ld, const struct raw_api *ra,
			const struct raw_tls *rt, struct config *c)
{
	const char *bind = ra && ra->bind_address ? ra->bind_address : DEF_BIND;
	const char *cert = rt && rt->cert_path ? rt->cert_path : DEF_CERT;
	const char *key = rt && rt->key_path ? rt->key_path : DEF_KEY;
	char msg[CONFIG_ERR_MSG_MAX];
	bool loopback;
	int64_t v = 0;
	int rc;

	if (parse_addr(bind, &loopback))
		return fail(ld, "api.bind_address",
			    "'%.64s' is not an IPv4 or IPv6 address", bind);
	if (dup_str(&c->api.bind_address, bind))
		return -ENOMEM;
	rc = conv_int(ld, "api.port", ra ? ra->port : NULL, 1, 65535, DEF_PORT,
		      &v);
	if (rc)
		return rc;
	c->api.port = (uint16_t)v;
	rc = conv_int(ld, "api.body_limit_bytes",
		      ra ? ra->body_limit_bytes : NULL, MIN_BODY_LIMIT,
		      MAX_BODY_LIMIT, DEF_BODY_LIMIT, &v);
	if (rc)
		return rc;
	c->api.body_limit_bytes = (uint32_t)v;
	c->api.allow_insecure_no_auth =
		ra && ra->allow_insecure_no_auth && *ra->allow_insecure_no_auth;
	c->tls.enabled = !rt || !rt->enabled || *rt->enabled;
	c->tls.min_version = rt && rt->min_version ? (enum config_tls_version) *
							     rt->min_version
						   : CONFIG_TLS_1_3;
	if (check_abs_path(cert, msg, sizeof(msg)))
		return fail(ld, "tls.cert_path", "%s", msg);
	if (check_abs_path(key, msg, sizeof(msg)))
		return fail(ld, "tls.key_path", "%s", msg);
	if (dup_str(&c->tls.cert_path, cert) || dup_str(&c->tls.key_path, key))
		return -ENOMEM;
	return 0;
}

static int hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < 2 * n; i++) {
		int c = tolower((unsigned char)s[i]);
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
					       : -1;

		if (d < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | d : d << 4);
	}
	return 0;
}

static int conv_jwt(struct ld *ld, const struct raw_jwt *rj,
		    struct config_jwt *j)
{
	char p[PATH_BUF], msg[CONFIG_ERR_MSG_MAX];

	if (!rj->public_key_paths_count)
		return fail(
			ld, "auth.jwt.public_key_paths",
			"required: the PEM public key(s) that verify tokens");
	j->public_key_paths =
		calloc(rj->public_key_paths_count, sizeof(char *));
	if (!j->public_key_paths)
		return -ENOMEM;
	for (unsigned i = 0; i < rj->public_key_paths_count; i++) {
		if (check_abs_path(rj->public_key_paths[i], msg, sizeof(msg)))
			return fail(ld, ip(p, "auth.jwt.public_key_paths", i),
				    "%s", msg);
		if (dup_str(&j->public_key_paths[i], rj->public_key_paths[i]))
			return -ENOMEM;
		j->n_public_key_paths++;
	}
	for (unsigned i = 0; i < rj->algorithms_count; i++) {
		if (rj->algorithms[i] == JWT_EDDSA)
			return fail(ld, ip(p, "auth.jwt.algorithms", i),
				    "EdDSA is not supported: RS256 or ES256");
		j->algorithms |= (unsigned)rj->algorithms[i];
	}
	if (!rj->algorithms_count)
		j->algorithms = CONFIG_JWT_RS256 | CONFIG_JWT_ES256;
	if ((rj->issuer && dup_str(&j->issuer, rj->issuer)) ||
	    (rj->audience && dup_str(&j->audience, rj->audience)) ||
	    dup_str(&j->role_claim,
		    rj->role_claim ? rj->role_claim : DEF_ROLE_CLAIM))
		return -ENOMEM;
	return 0;
}

static int conv_auth(struct ld *ld, const struct raw_auth *ra,
		     struct config_auth *a)
{
	char p[PATH_BUF], q[PATH_BUF], msg[CONFIG_ERR_MSG_MAX];
	int64_t v = 0;
	int rc;

	a->max_failures = DEF_AUTH_FAILURES;
	a->failure_window_secs = DEF_AUTH_WINDOW;
	a->lockout_secs = DEF_AUTH_LOCKOUT;
	if (!ra)
		return 0;
	a->enabled = ra->enabled && *ra->enabled;
	rc = conv_int(ld, "auth.max_failures", ra->max_failures, 0, 1000000,
		      DEF_AUTH_FAILURES, &v);
	if (rc)
		return rc;
	a->max_failures = (uint32_t)v;
	rc = conv_int(ld, "auth.failure_window_secs", ra->failure_window_secs,
		      1, 86400, DEF_AUTH_WINDOW, &v);
	if (rc)
		return rc;
	a->failure_window_secs = (uint32_t)v;
	rc = conv_int(ld, "auth.lockout_secs", ra->lockout_secs, 1, 86400,
		      DEF_AUTH_LOCKOUT, &v);
	if (rc)
		return rc;
	a->lockout_secs = (uint32_t)v;
	if (ra->api_keys_count) {
		a->api_keys = calloc(ra->api_keys_count,
				     sizeof(struct config_api_key));
		if (!a->api_keys)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < ra->api_keys_count; i++) {
		const struct raw_key *k = &ra->api_keys[i];
		struct config_api_key *out = &a->api_keys[i];

		ip(q, "auth.api_keys", i);
		if (check_id(k->name, msg, sizeof(msg)))
			return fail(ld, kp(p, q, "name"), "%s", msg);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(a->api_keys[j].name, k->name))
				return fail(
					ld, kp(p, q, "name"),
					"duplicate key name '%s' (also auth.api_keys[%u])",
					k->name, j);
		snprintf(out->name, sizeof(out->name), "%s", k->name);
		if (!k->key == !k->key_sha256)
			return fail(
				ld, k->key ? kp(p, q, "key_sha256") : q,
				"set one of key (plain, hashed at load) and key_sha256");
		if (k->key && strlen(k->key) < MIN_API_KEY_LEN)
			return fail(
				ld, kp(p, q, "key"),
				"too short: at least %d characters (e.g. openssl rand -hex 32)",
				MIN_API_KEY_LEN);
		if (k->key)
			sha256(k->key, strlen(k->key), out->key_sha256);
		else if (hex_decode(k->key_sha256, out->key_sha256, 32))
			return fail(
				ld, kp(p, q, "key_sha256"),
				"not 64 hexadecimal digits (the SHA-256 of the key)");
		for (unsigned j = 0; j < i; j++)
			if (!memcmp(a->api_keys[j].key_sha256, out->key_sha256,
				    32))
				return fail(
					ld,
					kp(p, q, k->key ? "key" : "key_sha256"),
					"the same key as auth.api_keys[%u] (%s)",
					j, a->api_keys[j].name);
		out->role = k->role ? (enum config_role) * k->role
				    : CONFIG_ROLE_VIEWER;
		a->n_api_keys++;
	}
	if (ra->jwt) {
		a->jwt = zalloc(sizeof(*a->jwt));
		if (!a->jwt)
			return -ENOMEM;
		return conv_jwt(ld, ra->jwt, a->jwt);
	}
	return 0;
}

/* Rules that span sections: what the API may expose, and to whom. */
static int cross_check(struct ld *ld, const struct config *c)
{
	bool loopback = true;

	parse_addr(c->api.bind_address, &loopback);
	if (c->auth.enabled && !c->auth.n_api_keys && !c->auth.jwt)
		return fail(
			ld, "auth.enabled",
			"auth is enabled but there are no api_keys and no jwt: nobody could use the API");
	if (loopback || c->api.allow_insecure_no_auth)
		return 0;
	if (!c->auth.enabled)
		return fail(
			ld, "api.bind_address",
			"'%s' is not a loopback address and auth is disabled: enable auth or set api.allow_insecure_no_auth: true",
			c->api.bind_address);
	if (!c->tls.enabled)
		return fail(
			ld, "tls.enabled",
			"TLS is off on the non-loopback address %s: credentials would cross the network in clear (enable tls or set api.allow_insecure_no_auth: true)",
			c->api.bind_address);
	return 0;
}

static int convert(struct ld *ld, const struct raw_top *t, struct config *c)
{
	int rc;

	rc = conv_agent(ld, t->agent, &c->agent);
	if (!rc)
		rc = conv_firewall(ld, t->firewall, &c->firewall);
	if (!rc)
		rc = conv_alerting_audit(ld, t->alerting, t->audit, c);
	if (!rc)
		rc = conv_api_tls(ld, t->api, t->tls, c);
	if (!rc)
		rc = conv_auth(ld, t->auth, &c->auth);
	if (!rc)
		rc = cross_check(ld, c);
	return rc;
}

/* ---- loading ---- */

static void wipe_keys(struct raw_top *t)
{
	for (unsigned i = 0; t && t->auth && i < t->auth->api_keys_count; i++)
		if (t->auth->api_keys[i].key)
			explicit_bzero(t->auth->api_keys[i].key,
				       strlen(t->auth->api_keys[i].key));
}

static void ld_release(struct ld *ld)
{
	for (size_t i = 0; i < ld->n_origins; i++) {
		free(ld->origins[i].path);
		free(ld->origins[i].label);
	}
	free(ld->origins);
	free(ld->rule_lines);
}

int config_load_buffer(const char *buf, size_t len,
		       const struct config_overrides *ov, char *const *envp,
		       struct config **ret, struct config_err *err)
{
	struct config_err dummy;
	struct ld ld = {
		.err = err ? err : &dummy,
		.buf = buf ? buf : "",
		.len = buf ? len : 0,
	};
	struct raw_top *raw = NULL;
	struct config *c = NULL;
	bool empty = true;
	int rc;

	memset(ld.err, 0, sizeof(*ld.err));
	if (len > CONFIG_FILE_MAX) {
		snprintf(ld.err->msg, sizeof(ld.err->msg),
			 "the configuration is larger than %u MiB",
			 CONFIG_FILE_MAX >> 20);
		return -EFBIG;
	}
	rc = walk(&ld, &empty);
	if (!rc && empty)
		rc = (raw = raw_alloc(sizeof(*raw))) ? 0 : -ENOMEM;
	else if (!rc)
		rc = cy_load(&ld, &raw);
	if (!rc)
		rc = fold_aliases(&ld, raw);
	if (!rc)
		rc = apply_overrides(&ld, raw, ov, envp);
	if (!rc)
		rc = (c = zalloc(sizeof(*c))) ? 0 : -ENOMEM;
	if (!rc)
		rc = convert(&ld, raw, c);
	wipe_keys(raw);
	raw_free(raw);
	ld_release(&ld);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(ld.err->msg, sizeof(ld.err->msg),
				 "out of memory");
		config_free(c);
		return rc;
	}
	*ret = c;
	return 0;
}

int config_load_file(const char *path, const struct config_overrides *ov,
		     char *const *envp, struct config **ret,
		     struct config_err *err)
{
	struct config_err dummy;
	struct config_err *e = err ? err : &dummy;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	struct stat st;
	int fd, rc = 0;

	memset(e, 0, sizeof(*e));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(e->msg, sizeof(e->msg), "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    st.st_size > (off_t)CONFIG_FILE_MAX)
		rc = -EFBIG;
	while (!rc) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap > CONFIG_FILE_MAX) {
				rc = -EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		else if (!n)
			break;
		else
			len += (size_t)n;
	}
	close(fd);
	if (!rc)
		rc = config_load_buffer(buf, len, ov, envp, ret, e);
	else if (rc == -EFBIG)
		snprintf(e->msg, sizeof(e->msg), "%s: larger than %u MiB", path,
			 CONFIG_FILE_MAX >> 20);
	else
		snprintf(e->msg, sizeof(e->msg), "%s: %s", path, strerror(-rc));
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
	return rc;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->agent.n_interfaces; i++)
		free(c->agent.interfaces[i]);
	free(c->agent.interfaces);
	free(c->agent.bpffs_dir);
	free(c->agent.socket_dir);
	free(c->agent.state_dir);
	free(c->firewall.anti_lockout.sources);
	free(c->firewall.interface_policies);
	free(c->firewall.rules);
	free(c->api.bind_address);
	free(c->tls.cert_path);
	free(c->tls.key_path);
	if (c->auth.api_keys)
		explicit_bzero(c->auth.api_keys,
			       c->auth.n_api_keys * sizeof(*c->auth.api_keys));
	free(c->auth.api_keys);
	if (c->auth.jwt) {
		for (size_t i = 0; i < c->auth.jwt->n_public_key_paths; i++)
			free(c->auth.jwt->public_key_paths[i]);
		free(c->auth.jwt->public_key_paths);
		free(c->auth.jwt->issuer);
		free(c->auth.jwt->audience);
		free(c->auth.jwt->role_claim);
		free(c->auth.jwt);
	}
	free(c);
}

int config_err_format(const struct config_err *err, char *buf, size_t len)
{
	int n = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (err->line > 0 && err->column > 0)
		n = snprintf(buf, len, "line %d, column %d: ", err->line,
			     err->column);
	else if (err->line > 0)
		n = snprintf(buf, len, "line %d: ", err->line);
	if (n >= 0 && (size_t)n < len && err->path[0])
		n += snprintf(buf + n, len - (size_t)n, "%s: ", err->path);
	if (n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "%s", err->msg);
	return n;
}

/* ---- names and JSON ---- */

static const char *strval_name(const cyaml_strval_t *t, size_t n, int64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].val == v)
			return t[i].str;
	return "?";
}

const char *config_xdp_mode_name(enum config_xdp_mode m)
{
	return strval_name(xdp_modes, ARRAY_SIZE(xdp_modes), m);
}

const char *config_log_level_name(enum config_log_level l)
{
	return strval_name(log_levels, ARRAY_SIZE(log_levels), l);
}

const char *config_log_format_name(enum config_log_format f)
{
	return strval_name(log_formats, ARRAY_SIZE(log_formats), f);
}

const char *config_policy_name(enum config_policy p)
{
	return strval_name(policies, ARRAY_SIZE(policies), p);
}

const char *config_action_name(enum config_action a)
{
	return strval_name(actions, ARRAY_SIZE(actions), a);
}

const char *config_severity_name(enum config_severity s)
{
	return strval_name(severities, ARRAY_SIZE(severities), s);
}

const char *config_role_name(enum config_role r)
{
	return strval_name(roles, ARRAY_SIZE(roles), r);
}

const char *config_protocol_name(uint8_t proto)
{
	for (size_t i = 0; i < ARRAY_SIZE(protocols); i++)
		if (protocols[i].proto == proto)
			return protocols[i].name;
	return NULL;
}

int config_cidr_format(const struct config_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int max = c->family == 4 ? 32 : 128;

	if (c->family != 4 && c->family != 6)
		return snprintf(buf, len, "any");
	if (!inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a,
		       sizeof(a)))
		return -errno;
	if (c->plen == max)
		return snprintf(buf, len, "%s", a);
	return snprintf(buf, len, "%s/%u", a, c->plen);
}

static int flags_names(uint8_t v, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	for (int i = 0; i < 8; i++)
		if (v & (1u << i) && n >= 0 && (size_t)n < len)
			n += snprintf(buf + n, len - (size_t)n, "%s%s",
				      n ? "," : "", tcp_flag_names[i]);
	return n;
}

int config_tcp_flags_format(uint8_t value, uint8_t mask, char *buf, size_t len)
{
	char v[40], m[40];

	if (!len)
		return 0;
	flags_names(value, v, sizeof(v));
	flags_names(mask, m, sizeof(m));
	if (!mask)
		return snprintf(buf, len, "%s", "");
	if (value == mask)
		return snprintf(buf, len, "%s", m);
	return snprintf(buf, len, "%s/%s", v, m);
}

/* Sets key to v (stolen); remembers a failure in *bad. */
static void jset(json_t *o, const char *key, json_t *v, bool *bad)
{
	if (!v || json_object_set_new(o, key, v))
		*bad = true;
}

static json_t *jports(const struct config_ports *p)
{
	char buf[16];

	if (p->lo == p->hi)
		return json_integer(p->lo);
	snprintf(buf, sizeof(buf), "%u-%u", p->lo, p->hi);
	return json_string(buf);
}

static json_t *jcidr(const struct config_cidr *c)
{
	char buf[64];

	if (config_cidr_format(c, buf, sizeof(buf)) < 0)
		return NULL;
	return json_string(buf);
}

json_t *config_rule_to_json(const struct config_rule *r)
{
	json_t *o = json_object();
	const char *name;
	char buf[64];
	bool bad = !o;

	if (bad)
		return NULL;
	jset(o, "id", json_string(r->id), &bad);
	jset(o, "priority", json_integer(r->priority), &bad);
	jset(o, "action", json_string(config_action_name(r->action)), &bad);
	if (r->protocol) {
		name = config_protocol_name(r->protocol);
		jset(o, "protocol",
		     name ? json_string(name) : json_integer(r->protocol),
		     &bad);
	}
	if (r->src_ip.family)
		jset(o, "src_ip", jcidr(&r->src_ip), &bad);
	if (r->dst_ip.family)
		jset(o, "dst_ip", jcidr(&r->dst_ip), &bad);
	if (r->src_port.lo || r->src_port.hi != 65535)
		jset(o, "src_port", jports(&r->src_port), &bad);
	if (r->dst_port.lo || r->dst_port.hi != 65535)
		jset(o, "dst_port", jports(&r->dst_port), &bad);
	if (r->vlan_id >= 0)
		jset(o, "vlan_id", json_integer(r->vlan_id), &bad);
	if (r->interface[0])
		jset(o, "interface", json_string(r->interface), &bad);
	if (r->tcp_flags_mask) {
		config_tcp_flags_format(r->tcp_flags_value, r->tcp_flags_mask,
					buf, sizeof(buf));
		jset(o, "tcp_flags", json_string(buf), &bad);
	}
	if (r->icmp_type >= 0)
		jset(o, "icmp_type", json_integer(r->icmp_type), &bad);
	if (r->icmp_code >= 0)
		jset(o, "icmp_code", json_integer(r->icmp_code), &bad);
	jset(o, "dry_run", json_boolean(r->dry_run), &bad);
	jset(o, "enabled", json_boolean(r->enabled), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *jstrings(char *const *s, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(s[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *agent_json(const struct config_agent *a, bool *bad)
{
	json_t *o = json_object();

	if (!o) {
		*bad = true;
		return NULL;
	}
	jset(o, "interfaces", jstrings(a->interfaces, a->n_interfaces), bad);
	jset(o, "xdp_mode", json_string(config_xdp_mode_name(a->xdp_mode)),
	     bad);
	jset(o, "log_level", json_string(config_log_level_name(a->log_level)),
	     bad);
	jset(o, "log_format",
	     json_string(config_log_format_name(a->log_format)), bad);
	jset(o, "bpffs_dir", json_string(a->bpffs_dir), bad);
	jset(o, "socket_dir", json_string(a->socket_dir), bad);
	jset(o, "state_dir", json_string(a->state_dir), bad);
	return o;
}

static json_t *firewall_json(const struct config_firewall *f, bool rules,
			     bool *bad)
{
	json_t *o = json_object(), *al = json_object(), *src = json_array(),
	       *ports = json_array(), *pol = json_array(), *rl = json_array();

	if (!o || !al || !src || !ports || !pol || !rl) {
		json_decref(o), json_decref(al), json_decref(src);
		json_decref(ports), json_decref(pol), json_decref(rl);
		*bad = true;
		return NULL;
	}
	jset(o, "enabled", json_boolean(f->enabled), bad);
	jset(o, "default_policy",
	     json_string(config_policy_name(f->default_policy)), bad);
	jset(o, "dry_run", json_boolean(f->dry_run), bad);
	for (size_t i = 0; i < f->anti_lockout.n_sources; i++)
		*bad |= json_array_append_new(
				src, jcidr(&f->anti_lockout.sources[i])) != 0;
	for (size_t i = 0; i < f->anti_lockout.n_ports; i++)
		*bad |= json_array_append_new(
				ports,
				json_integer(f->anti_lockout.ports[i])) != 0;
	jset(al, "enabled", json_boolean(f->anti_lockout.enabled), bad);
	jset(al, "sources", src, bad);
	jset(al, "ports", ports, bad);
	jset(o, "anti_lockout", al, bad);
	for (size_t i = 0; i < f->n_interface_policies; i++) {
		const struct config_if_policy *p = &f->interface_policies[i];
		json_t *e = json_object();

		if (!e) {
			*bad = true;
			break;
		}
		jset(e, "interface", json_string(p->interface), bad);
		if (p->default_policy >= 0)
			jset(e, "default_policy",
			     json_string(config_policy_name(
				     (enum config_policy)p->default_policy)),
			     bad);
		if (p->dry_run >= 0)
			jset(e, "dry_run", json_boolean(p->dry_run), bad);
		*bad |= json_array_append_new(pol, e) != 0;
	}
	jset(o, "interface_policies", pol, bad);
	for (size_t i = 0; rules && i < f->n_rules; i++)
		*bad |= json_array_append_new(
				rl, config_rule_to_json(&f->rules[i])) != 0;
	if (rules)
		jset(o, "rules", rl, bad);
	else
		json_decref(rl);
	return o;
}

static json_t *auth_json(const struct config_auth *a, bool redact, bool *bad)
{
	json_t *o = json_object(), *keys = json_array();
	char hex[65];

	if (!o || !keys) {
		json_decref(o);
		json_decref(keys);
		*bad = true;
		return NULL;
	}
	jset(o, "enabled", json_boolean(a->enabled), bad);
	for (size_t i = 0; i < a->n_api_keys; i++) {
		const struct config_api_key *k = &a->api_keys[i];
		json_t *e = json_object();

		if (!e) {
			*bad = true;
			break;
		}
		for (int b = 0; b < 32; b++)
			snprintf(hex + 2 * b, 3, "%02x", k->key_sha256[b]);
		jset(e, "name", json_string(k->name), bad);
		jset(e, "key_sha256", json_string(redact ? REDACTED : hex),
		     bad);
		jset(e, "role", json_string(config_role_name(k->role)), bad);
		*bad |= json_array_append_new(keys, e) != 0;
	}
	explicit_bzero(hex, sizeof(hex));
	jset(o, "api_keys", keys, bad);
	if (a->jwt) {
		const struct config_jwt *j = a->jwt;
		json_t *e = json_object(), *algs = json_array();

		if (!e || !algs) {
			json_decref(e);
			json_decref(algs);
			*bad = true;
			return o;
		}
		if (j->issuer)
			jset(e, "issuer", json_string(j->issuer), bad);
		if (j->audience)
			jset(e, "audience", json_string(j->audience), bad);
		jset(e, "public_key_paths",
		     jstrings(j->public_key_paths, j->n_public_key_paths), bad);
		if (j->algorithms & CONFIG_JWT_RS256)
			*bad |= json_array_append_new(
					algs, json_string("RS256")) != 0;
		if (j->algorithms & CONFIG_JWT_ES256)
			*bad |= json_array_append_new(
					algs, json_string("ES256")) != 0;
		jset(e, "algorithms", algs, bad);
		jset(e, "role_claim", json_string(j->role_claim), bad);
		jset(o, "jwt", e, bad);
	} else {
		jset(o, "jwt", json_null(), bad);
	}
	jset(o, "max_failures", json_integer(a->max_failures), bad);
	jset(o, "failure_window_secs", json_integer(a->failure_window_secs),
	     bad);
	jset(o, "lockout_secs", json_integer(a->lockout_secs), bad);
	return o;
}

static json_t *section_json(const struct config *c, unsigned which, bool redact,
			    bool *bad)
{
	json_t *o;

	switch (which) {
	case CONFIG_DIFF_AGENT:
		return agent_json(&c->agent, bad);
	case CONFIG_DIFF_FIREWALL:
		return firewall_json(&c->firewall, false, bad);
	case CONFIG_DIFF_RULES:
		o = json_array();
		for (size_t i = 0; o && i < c->firewall.n_rules; i++)
			*bad |= json_array_append_new(
					o, config_rule_to_json(
						   &c->firewall.rules[i])) != 0;
		*bad |= !o;
		return o;
	case CONFIG_DIFF_ALERTING:
		o = json_object();
		*bad |= !o;
		if (!o)
			return NULL;
		jset(o, "enabled", json_boolean(c->alerting.enabled), bad);
		jset(o, "dedup_window_secs",
		     json_integer(c->alerting.dedup_window_secs), bad);
		jset(o, "min_severity",
		     json_string(
			     config_severity_name(c->alerting.min_severity)),
		     bad);
		return o;
	case CONFIG_DIFF_AUDIT:
		o = json_object();
		*bad |= !o;
		if (!o)
			return NULL;
		jset(o, "enabled", json_boolean(c->audit.enabled), bad);
		jset(o, "retention_days", json_integer(c->audit.retention_days),
		     bad);
		jset(o, "alerts_retention_days",
		     json_integer(c->audit.alerts_retention_days), bad);
		return o;
	case CONFIG_DIFF_API:
		o = json_object();
		*bad |= !o;
		if (!o)
			return NULL;
		jset(o, "bind_address", json_string(c->api.bind_address), bad);
		jset(o, "port", json_integer(c->api.port), bad);
		jset(o, "body_limit_bytes",
		     json_integer(c->api.body_limit_bytes), bad);
		jset(o, "allow_insecure_no_auth",
		     json_boolean(c->api.allow_insecure_no_auth), bad);
		return o;
	case CONFIG_DIFF_TLS:
		o = json_object();
		*bad |= !o;
		if (!o)
			return NULL;
		jset(o, "enabled", json_boolean(c->tls.enabled), bad);
		jset(o, "cert_path", json_string(c->tls.cert_path), bad);
		jset(o, "key_path", json_string(c->tls.key_path), bad);
		jset(o, "min_version",
		     json_string(c->tls.min_version == CONFIG_TLS_1_2 ? "1.2"
								      : "1.3"),
		     bad);
		return o;
	default:
		return auth_json(&c->auth, redact, bad);
	}
}

json_t *config_to_json(const struct config *c, bool redact)
{
	static const struct {
		unsigned which;
		const char *key;
	} sections[] = {
		{CONFIG_DIFF_AGENT, "agent"},
		{CONFIG_DIFF_FIREWALL, "firewall"},
		{CONFIG_DIFF_ALERTING, "alerting"},
		{CONFIG_DIFF_AUDIT, "audit"},
		{CONFIG_DIFF_API, "api"},
		{CONFIG_DIFF_TLS, "tls"},
		{CONFIG_DIFF_AUTH, "auth"},
	};
	json_t *o = json_object(), *fw;
	bool bad = !o;

	for (size_t i = 0; !bad && i < ARRAY_SIZE(sections); i++) {
		if (sections[i].which == CONFIG_DIFF_FIREWALL) {
			fw = firewall_json(&c->firewall, true, &bad);
			jset(o, "firewall", fw, &bad);
			continue;
		}
		jset(o, sections[i].key,
		     section_json(c, sections[i].which, redact, &bad), &bad);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int config_diff(const struct config *a, const struct config *b)
{
	int mask = 0;

	for (unsigned w = CONFIG_DIFF_AGENT; w <= CONFIG_DIFF_AUTH; w <<= 1) {
		bool bad = false;
		json_t *x = section_json(a, w, false, &bad);
		json_t *y = section_json(b, w, false, &bad);

		if (!bad && !json_equal(x, y))
			mask |= (int)w;
		json_decref(x);
		json_decref(y);
		if (bad)
			return -ENOMEM;
	}
	return mask;
}

/* ---- a rule from JSON (the API) ---- */

static void raw_rule_release(struct raw_rule *rr)
{
	for (const cyaml_schema_field_t *f = rule_fields; f->key; f++) {
		void **at = (void **)((uint8_t *)rr + f->data_offset);

		if (f->value.type == CYAML_SEQUENCE)
			free_seq(
				f->value.sequence.entry, *at,
				*(unsigned *)((uint8_t *)rr + f->count_offset));
		else
			rfree(*at);
		*at = NULL;
	}
}

static int json_field(struct ld *ld, struct raw_rule *rr, const char *key,
		      const json_t *val)
{
	const cyaml_schema_field_t *f;
	char msg[CONFIG_ERR_MSG_MAX], num[32];
	void **at;
	int64_t iv;
	int i = field_index(rule_fields, key);

	if (i < 0) {
		for (const struct unsup *u = rule_unsup; u->key; u++)
			if (!strcmp(u->key, key))
				return fail_label(ld, key, "%s",
						  u->why ? u->why : NOT_YET);
		return fail_label(ld, key, "unknown field");
	}
	f = &rule_fields[i];
	at = (void **)((uint8_t *)rr + f->data_offset);
	if (json_is_null(val))
		return 0;
	switch (f->value.type) {
	case CYAML_STRING:
		if (json_is_integer(val)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(val));
		} else if (!json_is_string(val)) {
			return fail_label(ld, key,
					  "expected a string or an integer");
		} else if (check_scalar(&f->value, json_string_value(val),
					json_string_length(val), false, msg,
					sizeof(msg), NULL)) {
			return fail_label(ld, key, "%s", msg);
		}
		*at = raw_strdup(json_is_integer(val) ? num
						      : json_string_value(val));
		return *at ? 0 : -ENOMEM;
	case CYAML_INT:
		if (!json_is_integer(val))
			return fail_label(ld, key, "expected an integer");
		iv = json_integer_value(val);
		*at = raw_alloc(sizeof(int64_t));
		if (*at)
			memcpy(*at, &iv, sizeof(iv));
		return *at ? 0 : -ENOMEM;
	case CYAML_BOOL:
		if (!json_is_boolean(val))
			return fail_label(ld, key, "expected true or false");
		*at = raw_alloc(sizeof(bool));
		if (*at)
			*(bool *)*at = json_is_true(val);
		return *at ? 0 : -ENOMEM;
	case CYAML_ENUM:
		if (!json_is_string(val) ||
		    check_scalar(&f->value, json_string_value(val),
				 json_string_length(val), false, msg,
				 sizeof(msg), &iv))
			return fail_label(ld, key, "%s",
					  json_is_string(val)
						  ? msg
						  : "expected a string");
		*at = raw_alloc(sizeof(int));
		if (*at)
			*(int *)*at = (int)iv;
		return *at ? 0 : -ENOMEM;
	default: { /* interfaces: a list of names */
		unsigned *count = (unsigned *)((uint8_t *)rr + f->count_offset);
		size_t n = json_array_size(val);
		char **arr;

		if (!json_is_array(val) || n > f->value.sequence.max)
			return fail_label(ld, key, "expected a list of names");
		arr = raw_alloc((n ? n : 1) * sizeof(char *));
		if (!arr)
			return -ENOMEM;
		*at = arr;
		for (size_t k = 0; k < n; k++) {
			const json_t *e = json_array_get(val, k);

			if (!json_is_string(e))
				return fail_label(ld, key,
						  "expected a list of names");
			arr[k] = raw_strdup(json_string_value(e));
			if (!arr[k])
				return -ENOMEM;
			(*count)++;
		}
		return 0;
	}
	}
}

int config_rule_from_json(const json_t *obj, struct config_rule *ret,
			  struct config_err *err)
{
	struct config_err dummy;
	struct ld ld = {.err = err ? err : &dummy};
	struct raw_rule rr = {0};
	struct config_rule r;
	const char *key;
	json_t *val;
	int rc = 0;

	memset(ld.err, 0, sizeof(*ld.err));
	if (!json_is_object(obj))
		return fail_label(&ld, "", "expected a JSON object");
	json_object_foreach((json_t *)obj, key, val)
	{
		rc = json_field(&ld, &rr, key, val);
		if (rc)
			break;
	}
	if (!rc)
		rc = conv_rule(&ld, &rr, "", &r);
	raw_rule_release(&rr);
	if (rc == -ENOMEM)
		snprintf(ld.err->msg, sizeof(ld.err->msg), "out of memory");
	if (!rc)
		*ret = r;
	return rc;
}
