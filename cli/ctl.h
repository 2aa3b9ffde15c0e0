/* SPDX-License-Identifier: GPL-2.0-only */
/* sentinelctl's shared parts: exit statuses, options, the run context. */
#ifndef SENTINELCTL_CTL_H
#define SENTINELCTL_CTL_H

#include <stdbool.h>

#include <jansson.h>

#include "rest.h"

/* Exit statuses, documented in --help and sentinelctl(1).  Functions in
 * sentinelctl return one of these (never -errno): main() exits with it. */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,	   /* bad command line, unreadable file, local error */
	EXIT_CONNECT = 2,  /* no HTTP answer: refused, timeout, TLS */
	EXIT_AUTH = 3,	   /* 401, 403 */
	EXIT_NOTFOUND = 4, /* 404 */
	EXIT_CLIENT = 5,   /* other 4xx: the request was refused */
	EXIT_SERVER = 6,   /* 5xx, or an answer that is not what the API says */
};

/* Long options (getopt_long values). */
enum opt {
	OPT_HOST = 256,
	OPT_PORT,
	OPT_TOKEN,
	OPT_API_KEY,
	OPT_OUTPUT,
	OPT_INSECURE,
	OPT_CACERT,
	OPT_TIMEOUT,
	OPT_HELP,
	/* firewall add */
	OPT_JSON,
	OPT_ID,
	OPT_PRIORITY,
	OPT_ACTION,
	OPT_PROTOCOL,
	OPT_SRC_IP,
	OPT_DST_IP,
	OPT_SRC_PORT,
	OPT_DST_PORT,
	OPT_VLAN,
	OPT_INTERFACE,
	OPT_TCP_FLAGS,
	OPT_ICMP_TYPE,
	OPT_ICMP_CODE,
	OPT_DRY_RUN,
	/* alerts list, audit logs */
	OPT_COMPONENT,
	OPT_SEVERITY,
	OPT_FROM,
	OPT_TO,
	OPT_FALSE_POSITIVE,
	OPT_ACTOR,
	OPT_LIMIT,
	OPT_OFFSET,
	OPT_END,
};

#define NOPT  (OPT_END - OPT_HOST)
#define OI(o) ((o)-OPT_HOST) /* index of an option in ctx.val, ctx.seen */

/* One run of sentinelctl: what the command line said. */
struct ctx {
	const char *val[NOPT]; /* option arguments; borrowed from argv, but
				* --token and --api-key are owned copies */
	bool seen[NOPT];
	const char *arg;	  /* the command's argument, borrowed */
	char name[40];		  /* "firewall add", for messages */
	bool json;		  /* --output json */
	struct rest_opts ro;	  /* host borrowed; token, api_key owned */
	struct rest_client *rest; /* owned, made on first request */
};

/* sentinelctl.c: messages and names. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ctl_no_memory(void);
const char *ctl_opt_name(int opt);
/* A whole decimal integer in min..max into *ret (untouched when not). */
bool ctl_parse_ll(const char *s, long long min, long long max, long long *ret);

/* request.c: one exchange with sentinel-cp, failures reported. */

/* Sends one request (body: NULL or JSON); returns EXIT_OK once any HTTP
 * answer is in *resp (the caller clears it), or the exit status of the
 * failure after saying on stderr what it was. */
int request_send(struct ctx *x, const char *method, const char *path,
		 const json_t *body, struct rest_response *resp);

/* request_send(), then the JSON of a 2xx answer into *ret (owned by the
 * caller).  Any other status is reported by request_error().  *ret is set
 * only with EXIT_OK. */
int request_json(struct ctx *x, const char *method, const char *path,
		 const json_t *body, json_t **ret);

/* Says on stderr why the server refused (status, field, line, message,
 * all server text made terminal-safe) and returns the exit status. */
int request_error(const struct ctx *x, const struct rest_response *r);

/* "prefix/<id percent-encoded as one segment>suffix"; NULL: no memory. */
char *request_id_path(const char *prefix, const char *id, const char *suffix);

/* "base?key=value&..." for the options of opts[] that were given, each
 * sent under keys[]; NULL: no memory. */
char *request_list_path(const struct ctx *x, const char *base, const int *opts,
			const char *const *keys, size_t n);

/* commands.c: one function per command; arg is the positional argument
 * (NULL for commands without one).  Each returns an exit status. */
int cmd_version(struct ctx *x, const char *arg);
int cmd_status(struct ctx *x, const char *arg);
int cmd_health(struct ctx *x, const char *arg);
int cmd_metrics(struct ctx *x, const char *arg);
int cmd_fw_list(struct ctx *x, const char *arg);
int cmd_fw_add(struct ctx *x, const char *arg);
int cmd_fw_delete(struct ctx *x, const char *id);
int cmd_alerts_list(struct ctx *x, const char *arg);
int cmd_alerts_fp(struct ctx *x, const char *id);
int cmd_audit_logs(struct ctx *x, const char *arg);
int cmd_audit_history(struct ctx *x, const char *id);
int cmd_config_show(struct ctx *x, const char *arg);
int cmd_config_reload(struct ctx *x, const char *arg);

#endif
