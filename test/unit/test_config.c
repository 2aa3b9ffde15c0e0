// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the configuration loader: etc/ loads, bad files fail with path, line and reason, precedence, redaction, round trips. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"

static int passed, failed;

#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (cond) {                                             \
			passed++;                                       \
		} else {                                                \
			failed++;                                       \
			printf("not ok - %s:%d: ", __func__, __LINE__); \
			printf(__VA_ARGS__);                            \
			putchar('\n');                                  \
		}                                                       \
	} while (0)

static const char *etc_dir, *bad_dir;

static int load(const char *yaml, char *const *envp,
		const struct config_overrides *ov, struct config **ret,
		struct config_err *err)
{
	return config_load_buffer(yaml, strlen(yaml), ov, envp, ret, err);
}

static char *dump(const struct config *c, bool redact)
{
	json_t *j = config_to_json(c, redact);
	char *s = j ? json_dumps(j, JSON_SORT_KEYS) : NULL;

	json_decref(j);
	return s;
}

/* The unredacted dump loads back as the same configuration. */
static void check_round_trip(const char *name, const struct config *c)
{
	struct config *again = NULL;
	struct config_err err;
	char *text = dump(c, false), *text2;
	int rc;

	CHECK(text, "%s: dump failed", name);
	if (!text)
		return;
	rc = load(text, NULL, NULL, &again, &err);
	CHECK(!rc, "%s: the dump does not load back: %s: %s (line %d)", name,
	      err.path, err.msg, err.line);
	if (!rc) {
		text2 = dump(again, false);
		CHECK(text2 && !strcmp(text, text2),
		      "%s: the reloaded dump differs", name);
		CHECK(config_diff(c, again) == 0, "%s: config_diff != 0", name);
		free(text2);
		config_free(again);
	}
	for (size_t i = 0; i < c->firewall.n_rules; i++) {
		const struct config_rule *r = &c->firewall.rules[i];
		json_t *j = config_rule_to_json(r);
		struct config_rule back;

		rc = config_rule_from_json(j, &back, &err);
		CHECK(!rc, "%s: rule %s: JSON does not load back: %s: %s", name,
		      r->id, err.path, err.msg);
		back.line = r->line;
		CHECK(!rc && !memcmp(&back, r, sizeof(back)),
		      "%s: rule %s differs after JSON", name, r->id);
		json_decref(j);
	}
	free(text);
}

static bool yaml_name(const char *n)
{
	size_t len = strlen(n);

	return len > 5 && !strcmp(n + len - 5, ".yaml");
}

/* etc/sentinel.yaml and every etc/examples/NAME.yaml load and round-trip. */
static void test_etc(void)
{
	char path[1024];
	struct config *c = NULL;
	struct config_err err;
	struct dirent *de;
	DIR *d;
	int n = 0, rc;

	snprintf(path, sizeof(path), "%s/sentinel.yaml", etc_dir);
	rc = config_load_file(path, NULL, NULL, &c, &err);
	CHECK(!rc, "%s: %s: %s (line %d)", path, err.path, err.msg, err.line);
	if (!rc) {
		CHECK(c->agent.n_interfaces == 1 &&
			      !strcmp(c->agent.interfaces[0], "eth0"),
		      "default interfaces");
		CHECK(c->api.port == 8443 && c->tls.enabled &&
			      c->tls.min_version == CONFIG_TLS_1_3 &&
			      !strcmp(c->agent.state_dir, "/var/lib/sentinel"),
		      "defaults of the default file");
		check_round_trip(path, c);
		config_free(c);
	}
	snprintf(path, sizeof(path), "%s/examples", etc_dir);
	d = opendir(path);
	CHECK(d, "%s: %s", path, strerror(errno));
	while (d && (de = readdir(d))) {
		if (!yaml_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/examples/%s", etc_dir,
			 de->d_name);
		c = NULL;
		rc = config_load_file(path, NULL, NULL, &c, &err);
		CHECK(!rc, "%s: %s: %s (line %d)", path, err.path, err.msg,
		      err.line);
		if (!rc)
			check_round_trip(path, c);
		config_free(c);
		n++;
	}
	if (d)
		closedir(d);
	CHECK(n >= 5, "only %d examples", n);
}

static const struct bad {
	const char *file, *path;
	int line;
	const char *msg;
} bads[] = {
	{"alias_conflict", "agent.http_port", 3,
	 "api.port is also set (line 5)"},
	{"auth_nobody", "auth.enabled", 4, "no api_keys and no jwt"},
	{"bad_enum", "agent.xdp_mode", 3,
	 "'turbo' is not one of auto, native, generic"},
	{"bad_id", "firewall.rules[0].id", 5, "use letters, digits"},
	{"bad_protocol", "firewall.rules[0].protocol", 5,
	 "'http' is not tcp, udp"},
	{"cidr_bad", "firewall.rules[0].dst_ip", 5,
	 "not an IPv4 or IPv6 address"},
	{"cidr_host_bits", "firewall.rules[0].src_ip", 7,
	 "has host bits set (the network is 10.0.0.0/8)"},
	{"cidr_host_bits_v6", "firewall.anti_lockout.sources[0]", 5,
	 "the network is 2001:db8::/32"},
	{"duplicate_id", "firewall.rules[2].id", 9,
	 "duplicate rule id 'r1' (first in firewall.rules[0], line 5)"},
	{"duplicate_key", "api.port", 5, "duplicate key"},
	{"empty_interfaces", "agent.interfaces", 2, "required"},
	{"huge_body_limit", "api.body_limit_bytes", 4,
	 "1073741824 is not 1024..67108864"},
	{"huge_priority", "firewall.rules[0].priority", 7, "out of range"},
	{"icmp_v6_addr", "firewall.rules[0].protocol", 5, "use icmpv6"},
	{"ifname_long", "agent.interfaces[1]", 2, "longer than 15 characters"},
	{"insecure_bind", "api.bind_address", 4,
	 "not a loopback address and auth is disabled"},
	{"jwt_eddsa", "auth.jwt.algorithm", 6, "EdDSA is not supported"},
	{"auth_lockout_zero", "auth.lockout_secs", 4, "0 is not 1..86400"},
	{"key_both", "auth.api_keys[0].key_sha256", 7, "set one of key"},
	{"key_role", "auth.api_keys[0].role", 7,
	 "'root' is not one of admin, operator, viewer"},
	{"key_short", "auth.api_keys[0].key", 6, "too short"},
	{"lockout_interfaces", "firewall.anti_lockout.interfaces", 5,
	 "source prefixes"},
	{"missing_id", "firewall.rules[0].id", 5, "required key is missing"},
	{"missing_interfaces", "agent.interfaces", 1, "required"},
	{"mode_conflict", "firewall.mode", 4,
	 "firewall.dry_run is also set (line 5)"},
	{"not_a_mapping", "", 1, "must be a mapping of sections"},
	{"octal_int", "audit.retention_days", 4,
	 "expected an integer, got '010'"},
	{"offloaded", "agent.xdp_mode", 3,
	 "offloaded (hardware) XDP is not supported"},
	{"port_bad", "firewall.rules[0].src_port", 5, "'65536' is not a port"},
	{"port_reversed", "firewall.rules[0].dst_port", 8,
	 "port range 443-80 is reversed"},
	{"port_without_proto", "firewall.rules[0].dst_port", 8,
	 "a port needs protocol tcp or udp"},
	{"relative_path", "agent.state_dir", 3, "not an absolute path"},
	{"rule_two_interfaces", "firewall.rules[0].interfaces", 7,
	 "one rule per interface"},
	{"syntax_error", "agent.interfaces", 3,
	 "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 2)"},
	{"tcp_flags_udp", "firewall.rules[0].tcp_flags", 5,
	 "TCP flags need protocol tcp"},
	{"tls_off_remote", "tls.enabled", 6,
	 "TLS is off on the non-loopback address"},
	{"too_many_ports", "firewall.anti_lockout.ports", 6,
	 "more than 8 entries"},
	{"two_documents", "", 3, "only one YAML document"},
	{"unknown_key", "firewall.rules[1].dst_prot", 13,
	 "unknown key (did you mean 'dst_port'?)"},
	{"unsupported_ids", "ids", 3,
	 "not supported yet by this version of Sentinel"},
	{"unsupported_routes", "alerting.routes", 5,
	 "not supported yet by this version of Sentinel"},
	{"vlan_range", "firewall.rules[0].vlan_id", 5, "4096 is not 0..4095"},
	{"wrong_type_bool", "firewall.dry_run", 4,
	 "expected true or false, got 'yes'"},
	{"wrong_type_int", "api.port", 4,
	 "expected an integer, got the string '8443'"},
	{"wrong_type_list", "agent.interfaces", 2, "expected a list"},
	{"wrong_type_map", "firewall", 3, "expected a mapping"},
	{"yaml_alias", "api.bind_address", 8,
	 "YAML aliases (*ifs) are not supported"},
};

/* Every file of test/unit/config fails as its table entry says, and every
 * file there has an entry. */
static void test_bad_files(void)
{
	char path[1024], name[256];
	struct dirent *de;
	DIR *d;

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		struct config *c = NULL;
		struct config_err err;
		int rc;

		snprintf(path, sizeof(path), "%s/%s.yaml", bad_dir, b->file);
		rc = config_load_file(path, NULL, NULL, &c, &err);
		CHECK(rc == -EINVAL && !c, "%s: rc %d", b->file, rc);
		CHECK(!strcmp(err.path, b->path), "%s: path '%s', want '%s'",
		      b->file, err.path, b->path);
		CHECK(err.line == b->line, "%s: line %d, want %d", b->file,
		      err.line, b->line);
		CHECK(strstr(err.msg, b->msg), "%s: message '%s', want '%s'",
		      b->file, err.msg, b->msg);
		config_free(c);
	}
	d = opendir(bad_dir);
	CHECK(d, "%s: %s", bad_dir, strerror(errno));
	while (d && (de = readdir(d))) {
		bool listed = false;

		if (!yaml_name(de->d_name))
			continue;
		snprintf(name, sizeof(name), "%.*s",
			 (int)strlen(de->d_name) - 5, de->d_name);
		for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
			listed |= !strcmp(bads[i].file, name);
		CHECK(listed, "%s has no expectation in the table", name);
	}
	if (d)
		closedir(d);
}

/* Command line > environment > file > defaults, for scalars and lists. */
static void test_precedence(void)
{
	const char *yaml = "agent: {interfaces: [eth0], log_level: debug}\n"
			   "api: {port: 9000}\n";
	char *env[] = {"SENTINEL_API_PORT=9100",
		       "SENTINEL_AGENT_INTERFACES=eth1, eth2",
		       "SENTINEL_TOKEN=not-ours", "PATH=/bin", NULL};
	const char *set[] = {"api.port=9200", "agent.log_format=json"};
	struct config_overrides ov = {set, 2};
	struct config *c = NULL;
	struct config_err err;

	CHECK(!load("agent: {interfaces: [eth0]}", NULL, NULL, &c, &err) &&
		      c->api.port == 8443 &&
		      c->agent.log_level == CONFIG_LOG_INFO,
	      "defaults");
	config_free(c);
	c = NULL;
	CHECK(!load(yaml, NULL, NULL, &c, &err) && c->api.port == 9000 &&
		      c->agent.log_level == CONFIG_LOG_DEBUG,
	      "file over defaults");
	config_free(c);
	c = NULL;
	CHECK(!load(yaml, env, NULL, &c, &err) && c->api.port == 9100 &&
		      c->agent.n_interfaces == 2 &&
		      !strcmp(c->agent.interfaces[1], "eth2") &&
		      c->agent.log_level == CONFIG_LOG_DEBUG,
	      "environment over file: %s", err.msg);
	config_free(c);
	c = NULL;
	CHECK(!load(yaml, env, &ov, &c, &err) && c->api.port == 9200 &&
		      c->agent.log_format == CONFIG_LOG_JSON &&
		      c->agent.n_interfaces == 2,
	      "command line over environment: %s", err.msg);
	config_free(c);
	c = NULL;
	/* the environment alone can supply the one required key */
	{
		char *only[] = {"SENTINEL_AGENT_INTERFACES=eth7", NULL};

		CHECK(!load("", only, NULL, &c, &err) &&
			      c->agent.n_interfaces == 1,
		      "empty file + env: %s", err.msg);
		config_free(c);
		c = NULL;
	}
	/* the environment wins over eBPFsentinel's spelling in the file */
	{
		char *e[] = {"SENTINEL_API_PORT=9300", NULL};

		CHECK(!load("agent: {interfaces: [eth0], http_port: 9001}", e,
			    NULL, &c, &err) &&
			      c->api.port == 9300,
		      "env over agent.http_port: %s", err.msg);
		config_free(c);
		c = NULL;
	}
}

static void expect_err(const char *what, const char *yaml, char **env,
		       const struct config_overrides *ov, const char *path,
		       int line, const char *msg)
{
	struct config *c = NULL;
	struct config_err err;
	int rc = load(yaml, env, ov, &c, &err);

	CHECK(rc == -EINVAL && !c, "%s: rc %d", what, rc);
	CHECK(!strcmp(err.path, path), "%s: path '%s', want '%s'", what,
	      err.path, path);
	CHECK(err.line == line, "%s: line %d, want %d", what, err.line, line);
	CHECK(strstr(err.msg, msg), "%s: message '%s', want '%s'", what,
	      err.msg, msg);
	config_free(c);
}

/* Values from the environment and command line get the same checks, named
 * after where they came from. */
static void test_override_errors(void)
{
	const char *ok = "agent: {interfaces: [eth0]}\n";
	char *e1[] = {"SENTINEL_API_PORT=http", NULL};
	char *e2[] = {"SENTINEL_API_PORT=70000", NULL};
	char *e3[] = {"SENTINEL_API_PROT=1", NULL};
	char *e4[] = {"SENTINEL_AGENT_INTERFACES=eth0,,eth1", NULL};
	char *e5[] = {"SENTINEL_API_BIND_ADDRESS=0.0.0.0", NULL};
	char *e6[] = {"SENTINEL_AGENT_XDP_MODE=turbo", NULL};
	char *e7[] = {"SENTINEL_FIREWALL_ANTI_LOCKOUT_SOURCES=10.0.0.1/8",
		      NULL};
	char *e8[] = {"SENTINEL_AGENT_HTTP_PORT=1", NULL};
	const char *s1[] = {"api.port"};
	const char *s2[] = {"firewall.rules=x"};
	const char *s3[] = {"tls.enabled=maybe"};
	struct config_overrides o1 = {s1, 1}, o2 = {s2, 1}, o3 = {s3, 1};

	expect_err("env not a number", ok, e1, NULL, "env SENTINEL_API_PORT", 0,
		   "expected an integer, got 'http'");
	expect_err("env out of range", ok, e2, NULL, "env SENTINEL_API_PORT", 0,
		   "70000 is not 1..65535");
	expect_err("env typo", ok, e3, NULL, "env SENTINEL_API_PROT", 0,
		   "no such setting");
	expect_err("env empty entry", ok, e4, NULL,
		   "env SENTINEL_AGENT_INTERFACES", 0,
		   "entry 2: missing value");
	expect_err("env cross check", ok, e5, NULL,
		   "env SENTINEL_API_BIND_ADDRESS", 0, "not a loopback");
	expect_err("env enum", ok, e6, NULL, "env SENTINEL_AGENT_XDP_MODE", 0,
		   "'turbo' is not one of auto, native, generic");
	expect_err("env cidr", ok, e7, NULL,
		   "env SENTINEL_FIREWALL_ANTI_LOCKOUT_SOURCES", 0,
		   "has host bits set");
	expect_err("env alias not settable", ok, e8, NULL,
		   "env SENTINEL_AGENT_HTTP_PORT", 0, "no such setting");
	expect_err("override without =", ok, NULL, &o1, "command line api.port",
		   0, "expected KEY=VALUE");
	expect_err("override of a list of mappings", ok, NULL, &o2,
		   "command line firewall.rules", 0, "no such setting");
	expect_err("override bool", ok, NULL, &o3, "command line tls.enabled",
		   0, "expected true or false");
	/* a file value that is fine stays attributed to its line */
	expect_err("file line after env",
		   "agent: {interfaces: [eth0]}\napi:\n  port: 0\n", NULL, NULL,
		   "api.port", 3, "0 is not 1..65535");
}

/* No secret appears in the redacted dump; the hash is SHA-256 of the key. */
static void test_redaction(void)
{
	/* SHA-256 of 55, 56, 64 and 119 'a's: every padding case */
	static const struct {
		size_t n;
		const char *hex;
	} vec[] = {
		{55,
		 "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
		{56,
		 "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
		{64,
		 "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
		{119,
		 "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
	};
	const char *plain = "sk-admin-key-change-me";
	const char *plain_hex =
		"7f9a4389b3b87d1a29ddd1f17e955957712b6f34a1347243f603dd18e1ea3821";
	const char *given_hex =
		"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
	char yaml[2048], as[120];
	struct config *c = NULL;
	struct config_err err;
	char *red, *full;

	snprintf(yaml, sizeof(yaml),
		 "agent: {interfaces: [eth0]}\n"
		 "auth:\n  enabled: true\n  api_keys:\n"
		 "    - {name: a, key: \"%s\", role: admin}\n"
		 "    - {name: b, key_sha256: \"%s\", role: viewer}\n"
		 "  jwt: {public_key_paths: [/etc/k.pem], audience: x}\n",
		 plain, given_hex);
	CHECK(!load(yaml, NULL, NULL, &c, &err), "load: %s: %s", err.path,
	      err.msg);
	if (!c)
		return;
	red = dump(c, true);
	full = dump(c, false);
	CHECK(red && !strstr(red, plain) && !strstr(red, plain_hex) &&
		      !strstr(red, given_hex) && strstr(red, "***redacted***"),
	      "redacted dump: %s", red);
	CHECK(full && !strstr(full, plain) && strstr(full, plain_hex) &&
		      strstr(full, given_hex),
	      "unredacted dump: hashes, never the key");
	CHECK(c->auth.api_keys[0].role == CONFIG_ROLE_ADMIN && c->auth.jwt &&
		      !c->auth.jwt->issuer &&
		      c->auth.jwt->algorithms ==
			      (CONFIG_JWT_RS256 | CONFIG_JWT_ES256),
	      "auth values");
	free(red);
	free(full);
	config_free(c);
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		memset(as, 'a', vec[i].n);
		as[vec[i].n] = '\0';
		snprintf(
			yaml, sizeof(yaml),
			"agent: {interfaces: [eth0]}\n"
			"auth: {api_keys: [{name: k, key: %s, role: viewer}]}\n",
			as);
		c = NULL;
		CHECK(!load(yaml, NULL, NULL, &c, &err), "sha %zu: %s",
		      vec[i].n, err.msg);
		full = c ? dump(c, false) : NULL;
		CHECK(full && strstr(full, vec[i].hex), "SHA-256 of %zu 'a's",
		      vec[i].n);
		free(full);
		config_free(c);
	}
}

/* eBPFsentinel's spellings land in Sentinel's keys. */
static void test_ebpfsentinel_spellings(void)
{
	const char *yaml =
		"agent:\n"
		"  interfaces: [eth0]\n"
		"  bind_address: \"::1\"\n"
		"  http_port: 8080\n"
		"  tls: {enabled: true, cert_path: /c.pem, key_path: /k.pem, allow_tls12: true}\n"
		"firewall:\n"
		"  mode: alert\n"
		"  default_policy: deny\n"
		"  rules:\n"
		"    - {id: a, priority: 1, action: drop, protocol: tcp, dst_port: 22, flags: S/SA, scope: \"interface:eth0\"}\n"
		"    - {id: b, priority: 2, action: reset, protocol: tcp, scope: eth1}\n"
		"    - {id: c, priority: 3, action: pass, interfaces: [eth2]}\n"
		"auth:\n"
		"  jwt: {public_key_path: /etc/j.pem, algorithm: RS256}\n";
	struct config *c = NULL;
	struct config_err err;

	CHECK(!load(yaml, NULL, NULL, &c, &err), "load: %s: %s (line %d)",
	      err.path, err.msg, err.line);
	if (!c)
		return;
	CHECK(!strcmp(c->api.bind_address, "::1") && c->api.port == 8080,
	      "agent.bind_address/http_port");
	CHECK(!strcmp(c->tls.cert_path, "/c.pem") &&
		      c->tls.min_version == CONFIG_TLS_1_2,
	      "agent.tls, allow_tls12");
	CHECK(c->firewall.dry_run &&
		      c->firewall.default_policy == CONFIG_POLICY_DROP,
	      "mode: alert, default_policy: deny");
	CHECK(c->firewall.rules[0].action == CONFIG_ACTION_DENY &&
		      c->firewall.rules[0].tcp_flags_mask == 0x12 &&
		      c->firewall.rules[0].tcp_flags_value == 0x02 &&
		      !strcmp(c->firewall.rules[0].interface, "eth0"),
	      "drop, flags S/SA, scope interface:eth0");
	CHECK(c->firewall.rules[1].action == CONFIG_ACTION_REJECT &&
		      !strcmp(c->firewall.rules[1].interface, "eth1"),
	      "reset, scope eth1");
	CHECK(c->firewall.rules[2].action == CONFIG_ACTION_ALLOW &&
		      !strcmp(c->firewall.rules[2].interface, "eth2"),
	      "pass, interfaces [eth2]");
	CHECK(c->auth.jwt && c->auth.jwt->n_public_key_paths == 1 &&
		      c->auth.jwt->algorithms == CONFIG_JWT_RS256,
	      "public_key_path, algorithm");
	CHECK(c->firewall.rules[0].line == 10 &&
		      c->firewall.rules[2].line == 12,
	      "rule lines %d %d", c->firewall.rules[0].line,
	      c->firewall.rules[2].line);
	check_round_trip("ebpfsentinel spellings", c);
	config_free(c);
}

/* Every rule field, read from etc/examples/firewall.yaml. */
static void test_rule_values(void)
{
	char path[1024];
	struct config *c = NULL;
	struct config_err err;
	const struct config_rule *r;

	snprintf(path, sizeof(path), "%s/examples/firewall.yaml", etc_dir);
	if (config_load_file(path, NULL, NULL, &c, &err)) {
		CHECK(0, "%s: %s", path, err.msg);
		return;
	}
	r = c->firewall.rules;
	CHECK(c->firewall.n_rules == 10, "%zu rules", c->firewall.n_rules);
	CHECK(r[0].protocol == 6 && r[0].src_ip.family == 4 &&
		      r[0].src_ip.plen == 16 && r[0].src_ip.addr[0] == 192 &&
		      r[0].dst_port.lo == 22 && r[0].dst_port.hi == 22 &&
		      r[0].src_port.lo == 0 && r[0].src_port.hi == 65535 &&
		      r[0].vlan_id == -1 && r[0].icmp_type == -1,
	      "allow-ssh-mgmt");
	CHECK(r[1].dst_port.lo == 80 && r[1].dst_port.hi == 443 &&
		      r[1].tcp_flags_value == 0x02 &&
		      r[1].tcp_flags_mask == 0x12,
	      "allow-web");
	CHECK(r[3].protocol == 1 && r[3].icmp_type == 8 && r[3].icmp_code == 0,
	      "allow-ping");
	CHECK(r[4].protocol == 58 && r[4].icmp_type == 135, "allow-ndp");
	CHECK(r[5].vlan_id == 200 && r[5].protocol == 0, "guest-vlan");
	CHECK(r[6].action == CONFIG_ACTION_REJECT &&
		      !strcmp(r[6].interface, "eth0"),
	      "reject-telnet");
	CHECK(r[7].dry_run && r[8].enabled == false && r[8].src_ip.family == 6,
	      "dry-run and disabled");
	CHECK(r[9].priority == 1000 && r[9].action == CONFIG_ACTION_LOG,
	      "default priority");
	CHECK(c->firewall.anti_lockout.n_sources == 2 &&
		      c->firewall.anti_lockout.n_ports == 2 &&
		      c->firewall.anti_lockout.ports[1] == 8443,
	      "anti-lockout");
	CHECK(c->firewall.n_interface_policies == 1 &&
		      c->firewall.interface_policies[0].default_policy ==
			      CONFIG_POLICY_PASS &&
		      c->firewall.interface_policies[0].dry_run == 1,
	      "interface policies");
	CHECK(r[0].line > 0 && r[1].line > r[0].line, "rule lines");
	config_free(c);
}

/* A rule given as JSON (the API) gets the same checks; the field is named. */
static void test_rule_json(void)
{
	static const struct {
		const char *json, *field, *msg;
	} cases[] = {
		{"{\"id\":\"a\",\"action\":\"allow\",\"dst_port\":22}",
		 "dst_port", "needs protocol tcp or udp"},
		{"{\"id\":\"a\",\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_port\":\"9-1\"}",
		 "dst_port", "reversed"},
		{"{\"id\":\"a\",\"action\":\"nope\"}", "action",
		 "is not one of"},
		{"{\"id\":\"a\"}", "action", "required"},
		{"{\"action\":\"deny\"}", "id", "required"},
		{"{\"id\":\"a\",\"action\":\"deny\",\"hits\":1}", "hits",
		 "unknown field"},
		{"{\"id\":\"a\",\"action\":\"deny\",\"src_mac\":\"x\"}",
		 "src_mac", "not supported yet"},
		{"{\"id\":\"a\",\"action\":\"deny\",\"priority\":\"1\"}",
		 "priority", "expected an integer"},
		{"{\"id\":\"a\",\"action\":\"deny\",\"src_ip\":\"10.0.0.1/24\"}",
		 "src_ip", "host bits"},
		{"[1]", "", "expected a JSON object"},
	};
	struct config_rule r;
	struct config_err err;
	json_t *j;

	j = json_loads(
		"{\"id\":\"block-telnet\",\"priority\":5,\"action\":\"deny\","
		"\"protocol\":\"tcp\",\"src_ip\":\"10.0.0.0/8\","
		"\"dst_ip\":\"192.0.2.1\",\"src_port\":\"1024-65535\","
		"\"dst_port\":23,\"vlan_id\":100,\"interface\":\"eth0\","
		"\"tcp_flags\":\"syn/syn,ack\",\"dry_run\":false,"
		"\"enabled\":true}",
		0, NULL);
	CHECK(!config_rule_from_json(j, &r, &err), "API example: %s: %s",
	      err.path, err.msg);
	CHECK(r.priority == 5 && r.dst_ip.plen == 32 && r.dst_port.lo == 23 &&
		      r.vlan_id == 100 && r.src_port.lo == 1024,
	      "API example values");
	json_decref(j);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = json_loads(cases[i].json, 0, NULL);
		CHECK(j && config_rule_from_json(j, &r, &err) == -EINVAL &&
			      !strcmp(err.path, cases[i].field) &&
			      strstr(err.msg, cases[i].msg),
		      "%s: got %s: %s", cases[i].json, err.path, err.msg);
		json_decref(j);
	}
}

static void test_diff(void)
{
	struct config *a = NULL, *b = NULL;
	struct config_err err;

	load("agent: {interfaces: [eth0]}\n"
	     "firewall: {rules: [{id: x, action: deny}]}\n",
	     NULL, NULL, &a, &err);
	load("agent: {interfaces: [eth0]}\napi: {port: 9}\n"
	     "firewall: {rules: [{id: x, action: allow}]}\n",
	     NULL, NULL, &b, &err);
	CHECK(a && b &&
		      config_diff(a, b) ==
			      (CONFIG_DIFF_API | CONFIG_DIFF_RULES),
	      "diff %d", a && b ? config_diff(a, b) : -1);
	CHECK(a && config_diff(a, a) == 0, "diff with itself");
	config_free(a);
	config_free(b);
}

/* Bounds: the rule count limit, the file size limit, a missing file. */
static void test_limits(void)
{
	const char *head = "agent: {interfaces: [eth0]}\nfirewall:\n  rules:\n";
	size_t n = 262145, cap = strlen(head) + n * 40, len;
	struct config *c = NULL;
	struct config_err err;
	char *buf = malloc(cap);
	struct timespec t0, t1;
	int rc;

	if (!buf) {
		CHECK(0, "malloc");
		return;
	}
	len = (size_t)snprintf(buf, cap, "%s", head);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len,
					"  - {id: r%zu, action: deny}\n", i);
	rc = config_load_buffer(buf, len, NULL, NULL, &c, &err);
	CHECK(rc == -EINVAL && !strcmp(err.path, "firewall.rules") &&
		      err.line == (int)n + 3 &&
		      strstr(err.msg, "more than 262144 entries"),
	      "262145 rules: %d %s line %d: %s", rc, err.path, err.line,
	      err.msg);
	/* exactly the limit loads */
	len -= strlen("  - {id: r262144, action: deny}\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = config_load_buffer(buf, len, NULL, NULL, &c, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(!rc && c->firewall.n_rules == 262144 &&
		      c->firewall.rules[262143].line == 262147,
	      "262144 rules: %s", err.msg);
	printf("# 262144 rules (%zu bytes) loaded in %.2f s\n", len,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	config_free(c);
	c = NULL;
	free(buf);
	buf = calloc(1, CONFIG_FILE_MAX + 1);
	CHECK(buf &&
		      config_load_buffer(buf, CONFIG_FILE_MAX + 1, NULL, NULL,
					 &c, &err) == -EFBIG &&
		      strstr(err.msg, "larger than 16 MiB"),
	      "file size limit");
	free(buf);
	CHECK(config_load_file("/nonexistent/sentinel.yaml", NULL, NULL, &c,
			       &err) == -ENOENT &&
		      strstr(err.msg, "/nonexistent/sentinel.yaml"),
	      "missing file: %s", err.msg);
}

/* Null sections (everything under them commented out) mean defaults. */
static void test_null_sections(void)
{
	struct config *c = NULL;
	struct config_err err;

	CHECK(!load("agent:\n  interfaces: [eth0]\nfirewall:\n"
		    "  # rules:\n  rules:\nauth: ~\ntls: null\n",
		    NULL, NULL, &c, &err) &&
		      c->firewall.enabled && !c->firewall.n_rules &&
		      c->tls.enabled && !c->auth.enabled,
	      "null sections: %s: %s", err.path, err.msg);
	config_free(c);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s ETC_DIR BAD_CONFIG_DIR\n", argv[0]);
		return 2;
	}
	etc_dir = argv[1];
	bad_dir = argv[2];
	test_etc();
	test_bad_files();
	test_precedence();
	test_override_errors();
	test_redaction();
	test_ebpfsentinel_spellings();
	test_rule_values();
	test_rule_json();
	test_diff();
	test_null_sections();
	test_limits();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
