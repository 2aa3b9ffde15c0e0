// SPDX-License-Identifier: GPL-2.0-only
/* sentinelctl: the operator's command line over sentinel-cp's REST API. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "output.h"
#include "rest.h"

#define DEFAULT_HOST	"127.0.0.1"
#define DEFAULT_PORT	8443
#define DEFAULT_TIMEOUT 30 /* seconds */

#define ARG(x)	required_argument, NULL, (x)
#define FLAG(x) no_argument, NULL, (x)

static const struct option longopts[] = {
	{"host", ARG(OPT_HOST)},
	{"port", ARG(OPT_PORT)},
	{"token", ARG(OPT_TOKEN)},
	{"api-key", ARG(OPT_API_KEY)},
	{"output", ARG(OPT_OUTPUT)},
	{"insecure", FLAG(OPT_INSECURE)},
	{"cacert", ARG(OPT_CACERT)},
	{"timeout", ARG(OPT_TIMEOUT)},
	{"help", FLAG(OPT_HELP)},
	{"json", ARG(OPT_JSON)},
	{"id", ARG(OPT_ID)},
	{"priority", ARG(OPT_PRIORITY)},
	{"action", ARG(OPT_ACTION)},
	{"protocol", ARG(OPT_PROTOCOL)},
	{"src-ip", ARG(OPT_SRC_IP)},
	{"dst-ip", ARG(OPT_DST_IP)},
	{"src-port", ARG(OPT_SRC_PORT)},
	{"dst-port", ARG(OPT_DST_PORT)},
	{"vlan", ARG(OPT_VLAN)},
	{"interface", ARG(OPT_INTERFACE)},
	{"tcp-flags", ARG(OPT_TCP_FLAGS)},
	{"icmp-type", ARG(OPT_ICMP_TYPE)},
	{"icmp-code", ARG(OPT_ICMP_CODE)},
	{"dry-run", FLAG(OPT_DRY_RUN)},
	{"component", ARG(OPT_COMPONENT)},
	{"severity", ARG(OPT_SEVERITY)},
	{"from", ARG(OPT_FROM)},
	{"to", ARG(OPT_TO)},
	{"false-positive", ARG(OPT_FALSE_POSITIVE)},
	{"actor", ARG(OPT_ACTOR)},
	{"limit", ARG(OPT_LIMIT)},
	{"offset", ARG(OPT_OFFSET)},
	{NULL, 0, NULL, 0},
};

enum cmd {
	C_VERSION,
	C_STATUS,
	C_HEALTH,
	C_METRICS,
	C_FW_LIST,
	C_FW_ADD,
	C_FW_DELETE,
	C_ALERTS_LIST,
	C_ALERTS_FP,
	C_AUDIT_LOGS,
	C_AUDIT_HISTORY,
	C_CONFIG_SHOW,
	C_CONFIG_RELOAD,
	C_HELP,
};

#define M(c)	(1u << (c))
#define ALL_CMD (~0u)

/* The commands each option applies to; the others refuse it. */
static const unsigned int opt_cmds[NOPT] = {
	[OI(OPT_HOST)] = ALL_CMD,
	[OI(OPT_PORT)] = ALL_CMD,
	[OI(OPT_TOKEN)] = ALL_CMD,
	[OI(OPT_API_KEY)] = ALL_CMD,
	[OI(OPT_OUTPUT)] = ALL_CMD,
	[OI(OPT_INSECURE)] = ALL_CMD,
	[OI(OPT_CACERT)] = ALL_CMD,
	[OI(OPT_TIMEOUT)] = ALL_CMD,
	[OI(OPT_HELP)] = ALL_CMD,
	[OI(OPT_JSON)] = M(C_FW_ADD),
	[OI(OPT_ID)] = M(C_FW_ADD),
	[OI(OPT_PRIORITY)] = M(C_FW_ADD),
	[OI(OPT_ACTION)] = M(C_FW_ADD),
	[OI(OPT_PROTOCOL)] = M(C_FW_ADD),
	[OI(OPT_SRC_IP)] = M(C_FW_ADD),
	[OI(OPT_DST_IP)] = M(C_FW_ADD),
	[OI(OPT_SRC_PORT)] = M(C_FW_ADD),
	[OI(OPT_DST_PORT)] = M(C_FW_ADD),
	[OI(OPT_VLAN)] = M(C_FW_ADD),
	[OI(OPT_INTERFACE)] = M(C_FW_ADD),
	[OI(OPT_TCP_FLAGS)] = M(C_FW_ADD),
	[OI(OPT_ICMP_TYPE)] = M(C_FW_ADD),
	[OI(OPT_ICMP_CODE)] = M(C_FW_ADD),
	[OI(OPT_DRY_RUN)] = M(C_FW_ADD),
	[OI(OPT_COMPONENT)] = M(C_ALERTS_LIST) | M(C_AUDIT_LOGS),
	[OI(OPT_SEVERITY)] = M(C_ALERTS_LIST),
	[OI(OPT_FROM)] = M(C_ALERTS_LIST),
	[OI(OPT_TO)] = M(C_ALERTS_LIST),
	[OI(OPT_FALSE_POSITIVE)] = M(C_ALERTS_LIST),
	[OI(OPT_ACTOR)] = M(C_AUDIT_LOGS),
	[OI(OPT_LIMIT)] = M(C_ALERTS_LIST) | M(C_AUDIT_LOGS) | M(C_FW_LIST),
	[OI(OPT_OFFSET)] = M(C_ALERTS_LIST) | M(C_AUDIT_LOGS) | M(C_FW_LIST),
};

struct command {
	const char *group;
	const char *verb; /* NULL: a command of one word */
	const char *arg;  /* the positional argument, or NULL */
	enum cmd id;
	int (*run)(struct ctx *x, const char *arg);
};

/* ---- messages ---- */

static void usage(FILE *f)
{
	fputs("usage: sentinelctl [OPTIONS] COMMAND [ARG] [OPTIONS]\n"
	      "Drives sentinel-cp through its REST API over HTTPS.\n"
	      "\n"
	      "Commands:\n"
	      "  version                 this client's version (no server contact)\n"
	      "  status                  agent status: version, uptime, data plane, interfaces\n"
	      "  health                  liveness and readiness (/healthz, /readyz)\n"
	      "  metrics                 Prometheus metrics (text, whatever --output says)\n"
	      "  firewall list           the firewall rules\n"
	      "  firewall add RULE       add a rule, from flags or --json (below)\n"
	      "  firewall delete ID      delete a rule added through the API\n"
	      "  alerts list [FILTERS]   alerts, with filters and paging (below)\n"
	      "  alerts mark-fp ID       mark an alert as a false positive\n"
	      "  audit logs [FILTERS]    the audit trail (below)\n"
	      "  audit history RULE_ID   the changes of one rule, oldest first\n"
	      "  config show             the running configuration, secrets redacted\n"
	      "  config reload           validate the configuration file, then apply it\n"
	      "\n"
	      "Options (before or after the command):\n"
	      "  --host HOST             sentinel-cp's address (default 127.0.0.1)\n"
	      "  --port PORT             its HTTPS port (default 8443)\n"
	      "  --token TOKEN           a JWT, sent as \"Authorization: Bearer\"\n"
	      "                          (default $SENTINEL_TOKEN)\n"
	      "  --api-key KEY           an API key, sent as \"X-API-Key\"\n"
	      "                          (default $SENTINEL_API_KEY)\n"
	      "  --cacert FILE           CA certificate(s), PEM, to verify the server with\n"
	      "  --insecure              do not verify the server's certificate (tests only)\n"
	      "  --timeout SECONDS       give up after this long (default 30)\n"
	      "  -o, --output FORMAT     table (default) or json (the server's JSON, indented)\n"
	      "  -h, --help              this text\n"
	      "Prefer the environment to --token and --api-key: command lines are visible\n"
	      "to other users. At most one credential is sent: --token, else --api-key,\n"
	      "else $SENTINEL_TOKEN, else $SENTINEL_API_KEY.\n"
	      "\n"
	      "firewall add, from flags (a field left out matches anything):\n"
	      "  --id ID --priority N --action allow|deny|log|reject\n"
	      "  --protocol tcp|udp|icmp|icmpv6|N --src-ip CIDR --dst-ip CIDR\n"
	      "  --src-port PORT|LO-HI --dst-port PORT|LO-HI --vlan ID --interface NAME\n"
	      "  --tcp-flags FLAGS/MASK --icmp-type N --icmp-code N --dry-run\n"
	      "or from JSON: --json '{\"id\":\"block-ssh\",\"action\":\"deny\",...}'\n"
	      "  (--json -: read standard input; --json @FILE: read FILE)\n"
	      "\n"
	      "alerts list: --component NAME --severity low|medium|high|critical (minimum)\n"
	      "  --from TIME --to TIME (RFC 3339 or unix seconds) --false-positive true|false\n"
	      "  --limit N (1..1000, default 100) --offset N\n"
	      "audit logs: --component NAME --actor NAME --limit N --offset N\n"
	      "firewall list: --limit N --offset N (a page; without them, every rule)\n"
	      "\n"
	      "Exit status:\n"
	      "  0  success\n"
	      "  1  usage error (bad command line, unreadable file)\n"
	      "  2  no answer: connection refused, name unknown, timeout, TLS failure\n"
	      "     (the server's certificate not verified: use --cacert or --insecure)\n"
	      "  3  authentication or authorization refused (HTTP 401, 403)\n"
	      "  4  not found (HTTP 404)\n"
	      "  5  request refused (other HTTP 4xx; the message names the field)\n"
	      "  6  server error (HTTP 5xx, e.g. not ready or sentinel-dp unreachable),\n"
	      "     or an answer that is not valid JSON\n",
	      f);
}

int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sentinelctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'sentinelctl --help'.\n", stderr);
	return EXIT_USAGE;
}

int ctl_no_memory(void)
{
	fprintf(stderr, "sentinelctl: %s\n", strerror(ENOMEM));
	return EXIT_USAGE;
}

bool ctl_parse_ll(const char *s, long long min, long long max, long long *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

const char *ctl_opt_name(int opt)
{
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

static int cmd_help(struct ctx *x, const char *arg)
{
	usage(stdout);
	return EXIT_OK;
}

/* ---- the command line ---- */

static const struct command commands[] = {
	{"version", NULL, NULL, C_VERSION, cmd_version},
	{"status", NULL, NULL, C_STATUS, cmd_status},
	{"health", NULL, NULL, C_HEALTH, cmd_health},
	{"metrics", NULL, NULL, C_METRICS, cmd_metrics},
	{"firewall", "list", NULL, C_FW_LIST, cmd_fw_list},
	{"firewall", "add", NULL, C_FW_ADD, cmd_fw_add},
	{"firewall", "delete", "ID", C_FW_DELETE, cmd_fw_delete},
	{"alerts", "list", NULL, C_ALERTS_LIST, cmd_alerts_list},
	{"alerts", "mark-fp", "ID", C_ALERTS_FP, cmd_alerts_fp},
	{"audit", "logs", NULL, C_AUDIT_LOGS, cmd_audit_logs},
	{"audit", "history", "RULE_ID", C_AUDIT_HISTORY, cmd_audit_history},
	{"config", "show", NULL, C_CONFIG_SHOW, cmd_config_show},
	{"config", "reload", NULL, C_CONFIG_RELOAD, cmd_config_reload},
	{"help", NULL, NULL, C_HELP, cmd_help},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Finds the command named by words[0..n); sets *used to the words it took.
 * Prints why and returns NULL when there is none. */
static const struct command *find_command(char **words, int n, int *used)
{
	const struct command *c;
	bool group = false;
	char verbs[128] = "";

	if (n == 0) {
		ctl_usage_error("no command given");
		return NULL;
	}
	for (c = commands; c < commands + NCOMMANDS; c++) {
		if (strcmp(c->group, words[0]) != 0)
			continue;
		if (!c->verb) {
			*used = 1;
			return c;
		}
		group = true;
		if (n > 1 && strcmp(c->verb, words[1]) == 0) {
			*used = 2;
			return c;
		}
		snprintf(verbs + strlen(verbs), sizeof(verbs) - strlen(verbs),
			 "%s%s", *verbs ? ", " : "", c->verb);
	}
	if (!group)
		ctl_usage_error("unknown command '%s'", words[0]);
	else if (n == 1)
		ctl_usage_error("%s: which one? %s", words[0], verbs);
	else
		ctl_usage_error("%s: unknown subcommand '%s' (one of %s)",
				words[0], words[1], verbs);
	return NULL;
}

/* A credential goes into an HTTP header: no control characters. */
static bool header_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Picks the one credential to send (see usage()) and copies it; the
 * caller wipes and frees it. */
static int pick_credential(struct ctx *x)
{
	const char *tok = x->val[OI(OPT_TOKEN)];
	const char *key = x->val[OI(OPT_API_KEY)];
	const char *what_tok = "--token", *what_key = "--api-key";
	char *copy;

	if (tok && key)
		return ctl_usage_error(
			"--token and --api-key: give one credential");
	if (!tok && !key) {
		tok = getenv("SENTINEL_TOKEN");
		what_tok = "SENTINEL_TOKEN";
		if (tok && !*tok)
			tok = NULL;
		if (!tok) {
			key = getenv("SENTINEL_API_KEY");
			what_key = "SENTINEL_API_KEY";
			if (key && !*key)
				key = NULL;
		}
	}
	if (tok && !header_safe(tok))
		return ctl_usage_error("%s: empty or has control characters",
				       what_tok);
	if (key && !header_safe(key))
		return ctl_usage_error("%s: empty or has control characters",
				       what_key);
	if (!tok && !key)
		return EXIT_OK;
	copy = strdup(tok ? tok : key);
	if (!copy)
		return ctl_no_memory();
	if (tok)
		x->ro.token = copy;
	else
		x->ro.api_key = copy;
	return EXIT_OK;
}

static void wipe_free(const char *s)
{
	if (!s)
		return;
	explicit_bzero((char *)s, strlen(s));
	free((char *)s);
}

/* Reads the options (anywhere on the line) and the command words into *x
 * and the command to run into *ret_cmd (help, with --help). */
static int parse(struct ctx *x, int argc, char **argv,
		 const struct command **ret_cmd)
{
	const struct command *cmd;
	char *words[3];
	const char *s;
	long long n;
	int c, nwords = 0, used = 0;

	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (c == 'h')
			c = OPT_HELP;
		else if (c == 'o')
			c = OPT_OUTPUT;
		if (c < OPT_HOST || c >= OPT_END) {
			/* getopt_long() said what is wrong. */
			fputs("Try 'sentinelctl --help'.\n", stderr);
			return EXIT_USAGE;
		}
		if (c != OPT_TOKEN && c != OPT_API_KEY)
			x->val[OI(c)] = optarg;
		x->seen[OI(c)] = true;
		/* Keep credentials out of ps(1) from now on (they were visible
		 * until here: the environment is the better place). */
		if ((c == OPT_TOKEN || c == OPT_API_KEY) && optarg) {
			char *copy = strdup(optarg);

			if (!copy)
				return ctl_no_memory();
			memset(optarg, 'x', strlen(optarg));
			wipe_free(x->val[OI(c)]); /* given twice */
			x->val[OI(c)] = copy;
		}
	}
	if (x->seen[OI(OPT_HELP)]) {
		*ret_cmd = &commands[NCOMMANDS - 1]; /* help */
		return EXIT_OK;
	}
	for (; optind < argc; optind++) {
		if (nwords == 3)
			return ctl_usage_error("too many arguments: '%s'",
					       argv[optind]);
		words[nwords++] = argv[optind];
	}
	cmd = find_command(words, nwords, &used);
	if (!cmd)
		return EXIT_USAGE;
	if (cmd->arg && nwords == used)
		return ctl_usage_error("%s %s: missing %s", cmd->group,
				       cmd->verb, cmd->arg);
	if (nwords > used + (cmd->arg ? 1 : 0))
		return ctl_usage_error("%s: unexpected argument '%s'", words[0],
				       words[nwords - 1]);
	snprintf(x->name, sizeof(x->name), "%s%s%s", cmd->group,
		 cmd->verb ? " " : "", cmd->verb ? cmd->verb : "");
	for (int i = 0; i < NOPT; i++)
		if (x->seen[i] && !(opt_cmds[i] & M(cmd->id)))
			return ctl_usage_error("--%s does not apply to '%s'",
					       ctl_opt_name(i + OPT_HOST),
					       x->name);
	x->arg = cmd->arg ? words[used] : NULL;

	s = x->val[OI(OPT_OUTPUT)];
	if (s && strcmp(s, "json") == 0)
		x->json = true;
	else if (s && strcmp(s, "table") != 0)
		return ctl_usage_error(
			"--output: expected table or json, got '%s'", s);
	x->ro.host = x->val[OI(OPT_HOST)] ? x->val[OI(OPT_HOST)] : DEFAULT_HOST;
	x->ro.port = DEFAULT_PORT;
	if ((s = x->val[OI(OPT_PORT)])) {
		if (!ctl_parse_ll(s, 1, 65535, &n))
			return ctl_usage_error(
				"--port: expected 1..65535, got '%s'", s);
		x->ro.port = (unsigned int)n;
	}
	x->ro.timeout_ms = DEFAULT_TIMEOUT * 1000L;
	if ((s = x->val[OI(OPT_TIMEOUT)])) {
		if (!ctl_parse_ll(s, 1, 86400, &n))
			return ctl_usage_error(
				"--timeout: expected seconds 1..86400, got '%s'",
				s);
		x->ro.timeout_ms = n * 1000L;
	}
	x->ro.insecure = x->seen[OI(OPT_INSECURE)];
	x->ro.cacert = x->val[OI(OPT_CACERT)];
	if (x->ro.insecure && x->ro.cacert)
		return ctl_usage_error(
			"--insecure and --cacert: verify the server or do not, not both");
	if (x->ro.cacert && access(x->ro.cacert, R_OK) != 0)
		return ctl_usage_error("--cacert %s: %s", x->ro.cacert,
				       strerror(errno));
	*ret_cmd = cmd;
	return pick_credential(x);
}

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct ctx x = {0};
	int r;

	r = parse(&x, argc, argv, &cmd);
	if (r == EXIT_OK && rest_global_init() < 0)
		r = ctl_no_memory();
	if (r == EXIT_OK) {
		r = cmd->run(&x, x.arg);
		rest_client_free(x.rest);
		rest_global_cleanup();
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "sentinelctl: writing the output: %s\n",
			strerror(errno));
		if (r == EXIT_OK)
			r = EXIT_USAGE;
	}
	wipe_free(x.ro.token);
	wipe_free(x.ro.api_key);
	wipe_free(x.val[OI(OPT_TOKEN)]);
	wipe_free(x.val[OI(OPT_API_KEY)]);
	return r;
}
