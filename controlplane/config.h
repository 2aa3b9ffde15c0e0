/* SPDX-License-Identifier: GPL-2.0-only */
/* sentinel-cp's configuration: the YAML file, environment and command line, validated into one struct. */
#ifndef SENTINEL_CP_CONFIG_H
#define SENTINEL_CP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * Loading is pure: no globals, no logging, no file access except the one
 * read of config_load_file().  Precedence, highest first: overrides
 * (command line) > environment (SENTINEL_*) > YAML > defaults.  Every
 * refusal fills a struct config_err naming the key and where it came from:
 *   path "firewall.rules[3].dst_port", line 14  (from the file; [N] is 0-based)
 *   path "env SENTINEL_API_PORT", line 0        (from the environment)
 *   path "command line api.port", line 0        (from an override)
 * and nothing is returned.  The file is checked against the schema (types,
 * unknown keys, sections not supported yet) before libcyaml loads it, then
 * every value is validated (CIDRs, ports, cross-field rules).
 */

/* Bounds. */
#define CONFIG_FILE_MAX	       (16u << 20) /* bytes of YAML */
#define CONFIG_RULES_MAX       262144	   /* firewall.rules */
#define CONFIG_INTERFACES_MAX  256	   /* agent.interfaces */
#define CONFIG_IFNAME_MAX      15	   /* IFNAMSIZ - 1 */
#define CONFIG_ID_MAX	       64	   /* rule ids, API key names */
#define CONFIG_API_KEYS_MAX    1024
#define CONFIG_JWT_KEYS_MAX    16
#define CONFIG_MGMT_MAX	       64 /* anti-lockout sources (kernel limit) */
#define CONFIG_MGMT_PORTS_MAX  8  /* anti-lockout ports (kernel limit) */
#define CONFIG_IF_POLICIES_MAX 256

#define CONFIG_ERR_PATH_MAX 256
#define CONFIG_ERR_MSG_MAX  320

struct config_err {
	char path
		[CONFIG_ERR_PATH_MAX]; /* key path, "env NAME", "command line KEY"; "" = the file */
	int line;		       /* 1-based; 0 when not from the file */
	int column; /* 1-based; 0 when unknown */
	char msg[CONFIG_ERR_MSG_MAX];
};

/* "line 14, column 7: firewall.rules[3].dst_port: MSG" (the parts that are known). */
int config_err_format(const struct config_err *err, char *buf, size_t len);

/* Command-line overrides: "key.path=value" strings (e.g. "api.port=9443",
 * "agent.interfaces=eth0,eth1"), later entries win.  The settable keys are
 * those of the environment (below).  Borrowed. */
struct config_overrides {
	const char *const *set;
	size_t n_set;
};

enum config_xdp_mode {
	CONFIG_XDP_AUTO,
	CONFIG_XDP_NATIVE,
	CONFIG_XDP_GENERIC,
};

enum config_log_level {
	CONFIG_LOG_ERROR,
	CONFIG_LOG_WARN,
	CONFIG_LOG_INFO,
	CONFIG_LOG_DEBUG,
	CONFIG_LOG_TRACE,
};

enum config_log_format {
	CONFIG_LOG_TEXT,
	CONFIG_LOG_JSON,
};

/* The values of schema/common.fbs Policy and Action. */
enum config_policy {
	CONFIG_POLICY_PASS = 0,
	CONFIG_POLICY_DROP = 1,
};

enum config_action {
	CONFIG_ACTION_ALLOW = 0,
	CONFIG_ACTION_DENY = 1,
	CONFIG_ACTION_LOG = 2,
	CONFIG_ACTION_REJECT = 3,
};

enum config_severity {
	CONFIG_SEV_LOW,
	CONFIG_SEV_MEDIUM,
	CONFIG_SEV_HIGH,
	CONFIG_SEV_CRITICAL,
};

/* Ordered by privilege: a role may do what every lower role may. */
enum config_role {
	CONFIG_ROLE_VIEWER,
	CONFIG_ROLE_OPERATOR,
	CONFIG_ROLE_ADMIN,
};

enum config_tls_version {
	CONFIG_TLS_1_2 = 12,
	CONFIG_TLS_1_3 = 13,
};

#define CONFIG_JWT_RS256 0x1u
#define CONFIG_JWT_ES256 0x2u

/* An address prefix as schema/common.fbs Cidr: family 0 = any. */
struct config_cidr {
	uint8_t family; /* 0, 4 or 6 */
	uint8_t plen;
	uint8_t addr[16]; /* network order; IPv4 in addr[0..4) */
};

/* Inclusive; 0-65535 = any. */
struct config_ports {
	uint16_t lo;
	uint16_t hi;
};

/* One firewall rule; absent match fields match anything. */
struct config_rule {
	char id[CONFIG_ID_MAX + 1]; /* [A-Za-z0-9][A-Za-z0-9._:-]*, unique */
	uint32_t priority;	    /* lower first; ties keep file order */
	enum config_action action;
	bool enabled;
	bool dry_run;
	uint8_t protocol; /* IP protocol; 0 = any */
	struct config_cidr src_ip;
	struct config_cidr dst_ip;
	struct config_ports src_port; /* only with tcp or udp */
	struct config_ports dst_port;
	int vlan_id;		/* -1 any, 0 untagged, 1..4095 */
	uint8_t tcp_flags_mask; /* match (flags & mask) == value */
	uint8_t tcp_flags_value;
	int icmp_type;			       /* -1 any */
	int icmp_code;			       /* -1 any */
	char interface[CONFIG_IFNAME_MAX + 1]; /* "" = every interface */
	int line; /* where the rule starts in the file; 0 otherwise */
};

/* Per-interface settings; -1 = inherit the global one. */
struct config_if_policy {
	char interface[CONFIG_IFNAME_MAX + 1];
	int default_policy; /* -1 or enum config_policy */
	int dry_run;	    /* -1, 0 or 1 */
};

struct config_agent {
	char **interfaces; /* owned; names or fnmatch globs, "!" excludes */
	size_t n_interfaces;
	enum config_xdp_mode xdp_mode;
	enum config_log_level log_level;
	enum config_log_format log_format;
	char *bpffs_dir;  /* owned; absolute */
	char *socket_dir; /* owned; absolute, short enough for sun_path */
	char *state_dir;  /* owned; absolute */
};

struct config_anti_lockout {
	bool enabled;
	struct config_cidr *sources; /* owned */
	size_t n_sources;
	uint16_t ports[CONFIG_MGMT_PORTS_MAX]; /* none = every port */
	size_t n_ports;
};

struct config_firewall {
	bool enabled; /* false: no rule loaded, default policy pass */
	enum config_policy default_policy;
	bool dry_run; /* global; eBPFsentinel's mode: alert */
	struct config_anti_lockout anti_lockout;
	struct config_if_policy *interface_policies; /* owned */
	size_t n_interface_policies;
	struct config_rule *rules; /* owned, file order */
	size_t n_rules;
};

struct config_alerting {
	bool enabled; /* false: firewall events do not become alerts */
	uint32_t dedup_window_secs;
	enum config_severity min_severity;
};

struct config_audit {
	bool enabled;
	uint32_t retention_days;	/* 0 = keep forever */
	uint32_t alerts_retention_days; /* 0 = keep forever */
};

struct config_api {
	char *bind_address; /* owned; an IPv4 or IPv6 literal */
	uint16_t port;
	uint32_t body_limit_bytes;
	bool allow_insecure_no_auth;
};

struct config_tls {
	bool enabled;
	char *cert_path; /* owned */
	char *key_path;	 /* owned */
	enum config_tls_version min_version;
};

struct config_api_key {
	char name[CONFIG_ID_MAX + 1];
	uint8_t key_sha256
		[32]; /* the plain key is hashed at load, never kept */
	enum config_role role;
};

struct config_jwt {
	char *issuer;		 /* owned; NULL: iss not checked */
	char *audience;		 /* owned; NULL: aud not checked */
	char **public_key_paths; /* owned; PEM public keys, at least one */
	size_t n_public_key_paths;
	unsigned algorithms; /* CONFIG_JWT_* */
	char *role_claim;    /* owned */
};

struct config_auth {
	bool enabled;
	struct config_api_key *api_keys; /* owned */
	size_t n_api_keys;
	struct config_jwt *jwt; /* owned; NULL: no JWT */
	/* failed authentications per address: max_failures (0: no limit)
	 * within failure_window_secs lock it out for lockout_secs */
	uint32_t max_failures, failure_window_secs, lockout_secs;
};

struct config {
	struct config_agent agent;
	struct config_firewall firewall;
	struct config_alerting alerting;
	struct config_audit audit;
	struct config_api api;
	struct config_tls tls;
	struct config_auth auth;
};

/*
 * Load the YAML file at path (at most CONFIG_FILE_MAX bytes), apply envp
 * (NULL: none; only SENTINEL_* entries are read) and ov (NULL: none), and
 * validate.  On success *ret owns a new config; on failure *ret is
 * untouched, err (if not NULL) says why and a negative errno is returned:
 * -EINVAL invalid, -EFBIG file too large, -ENOMEM, or the open/read error.
 */
int config_load_file(const char *path, const struct config_overrides *ov,
		     char *const *envp, struct config **ret,
		     struct config_err *err);

/* The same for YAML text already in memory (len bytes, no terminator
 * needed; an empty buffer is an empty file). */
int config_load_buffer(const char *buf, size_t len,
		       const struct config_overrides *ov, char *const *envp,
		       struct config **ret, struct config_err *err);

void config_free(struct config *c);

/*
 * The whole configuration as JSON, keys as in the file (canonical
 * spellings).  With redact, secrets (API key hashes) read "***redacted***".
 * The unredacted dump loads back as an equal configuration.  NULL on OOM.
 */
json_t *config_to_json(const struct config *c, bool redact);

/* One rule in the API's RULE shape (without source, kernel_id, hits). */
json_t *config_rule_to_json(const struct config_rule *r);

/*
 * Parse and validate a rule given as a JSON object (the API's POST body),
 * with the same keys and checks as a rule in the file; err->path names the
 * field ("dst_port").  0 or -EINVAL / -ENOMEM.
 */
int config_rule_from_json(const json_t *obj, struct config_rule *ret,
			  struct config_err *err);

/* What differs between two configurations (for reloads). */
#define CONFIG_DIFF_AGENT    0x01u
#define CONFIG_DIFF_FIREWALL 0x02u /* firewall settings other than rules */
#define CONFIG_DIFF_RULES    0x04u
#define CONFIG_DIFF_ALERTING 0x08u
#define CONFIG_DIFF_AUDIT    0x10u
#define CONFIG_DIFF_API	     0x20u
#define CONFIG_DIFF_TLS	     0x40u
#define CONFIG_DIFF_AUTH     0x80u
/* A mask of CONFIG_DIFF_* (0: equal), or -ENOMEM. */
int config_diff(const struct config *a, const struct config *b);

/* Names as written in the file. */
const char *config_xdp_mode_name(enum config_xdp_mode m);
const char *config_log_level_name(enum config_log_level l);
const char *config_log_format_name(enum config_log_format f);
const char *config_policy_name(enum config_policy p);
const char *config_action_name(enum config_action a);
const char *config_severity_name(enum config_severity s);
const char *config_role_name(enum config_role r);
/* "tcp", "udp", "icmp", "icmpv6", ..., or NULL for an unnamed number. */
const char *config_protocol_name(uint8_t proto);
/* "10.0.0.0/8", "2001:db8::1" (a host prefix is written bare), "any". */
int config_cidr_format(const struct config_cidr *c, char *buf, size_t len);
/* "syn/syn,ack"; "syn" when value == mask; "" when no flags. */
int config_tcp_flags_format(uint8_t value, uint8_t mask, char *buf, size_t len);

#endif
