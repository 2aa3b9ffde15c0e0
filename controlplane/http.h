/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTTPS API server: h2o on a libuv loop, TLS, routing by role, JSON. */
#ifndef SENTINEL_CP_HTTP_H
#define SENTINEL_CP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

enum http_method {
	HTTP_GET = 1,
	HTTP_POST = 2,
	HTTP_PUT = 4,
	HTTP_DELETE = 8,
};

/* Who made a request, as the authenticate callback established it.  role
 * uses the auth module's ordering: 0 none < viewer < operator < admin. */
struct http_identity {
	char name[64];
	int role;
};

/* A request as a handler sees it; everything is borrowed for the call. */
struct http_request {
	int method;
	const char *path; /* normalised, without the query */
	size_t path_len;
	const char *param; /* the {placeholder} segment of the route, or NULL */
	size_t param_len;
	const char *query; /* after '?', or NULL */
	size_t query_len;
	json_t *body; /* a parsed JSON body (object or array), or NULL */
	const struct http_identity *who;
	void *raw; /* the h2o_req_t, for http_header() */
};

/* What a handler answers: a status and either a JSON body (owned, freed by
 * the server) or raw bytes (owned, malloc'd) with their content type. */
struct http_response {
	int status;
	json_t *body;
	char *raw;
	size_t raw_len;
	const char *content_type; /* static string; default JSON */
	unsigned retry_after;	  /* seconds; > 0: a Retry-After header */
	bool raw_borrowed;	  /* raw is not freed (copied when sent) */
};

typedef void (*http_handler_fn)(void *ctx, const struct http_request *rq,
				struct http_response *rs);

/* One endpoint: methods (a mask of enum http_method), a path pattern in
 * which one segment may be "{name}", the least role it needs (0 = public)
 * and the handler.  A path that matches with the wrong method is a 405. */
struct http_route {
	int methods;
	const char *pattern;
	int role;
	http_handler_fn fn;
};

/* Returns 0 with *ret filled, or -EACCES with why (no secrets in it). */
typedef int (*http_auth_fn)(void *ctx, const char *api_key, size_t key_len,
			    const char *authorization, size_t authz_len,
			    struct http_identity *ret, char *why,
			    size_t whylen);

struct http_opts {
	const char *addr; /* numeric IPv4 or IPv6 address */
	int port;
	bool tls;	       /* false only when explicitly configured */
	const char *cert_file; /* PEM chain */
	const char *key_file;
	bool allow_tls12;		 /* TLS 1.3 only unless set */
	size_t body_limit;		 /* bytes; larger bodies get 413 */
	http_auth_fn authenticate;	 /* NULL: every request is anonymous */
	const struct http_route *routes; /* borrowed, must outlive the server */
	size_t nroutes;
	void *ctx; /* passed to handlers and authenticate */
	/* failed authentications (credentials given and refused): an address
	 * with max_auth_failures within auth_window_secs is answered 429,
	 * credentials unread, for auth_lockout_secs (0: no limit) */
	unsigned max_auth_failures, auth_window_secs, auth_lockout_secs;
};

/* Counters per route (index in routes; nroutes = unmatched) and status. */
struct http_route_stats {
	uint64_t by_class[6]; /* 1xx..5xx at [1..5] */
};

struct http_server;

/* Listen on o->addr:o->port on loop.  err names what failed (the
 * certificate file, the address...). */
int http_server_new(uv_loop_t *loop, const struct http_opts *o,
		    struct http_server **ret, char *err, size_t errlen);
/* A TLS context loaded aside (certificate chain and key, checked to match),
 * to replace a running server's: new connections get it, open ones keep
 * theirs.  err names the file that failed (never key material). */
struct http_tls;
int http_tls_load(const char *cert_file, const char *key_file, bool allow_tls12,
		  struct http_tls **ret, char *err, size_t errlen);
void http_tls_free(struct http_tls *t);
bool http_server_is_tls(const struct http_server *s);
/* Serve new connections with t (taken). */
void http_server_set_tls(struct http_server *s, struct http_tls *t);

/* Lockouts so far (an address reaching max_auth_failures). */
uint64_t http_server_lockouts(const struct http_server *s);
/* Change the failed-authentication limits (http_opts) of a running server. */
void http_server_set_auth_limits(struct http_server *s, unsigned max_failures,
				 unsigned window_secs, unsigned lockout_secs);
/* Stop listening and free; call it outside uv_run() (h2o runs the loop
 * once), then run the loop until the close callbacks have run. */
void http_server_free(struct http_server *s);
/* The port really bound (o->port 0 picks one). */
int http_server_port(const struct http_server *s);
/* Counters of route i (0..nroutes; nroutes is "no route"). */
const struct http_route_stats *http_server_stats(const struct http_server *s,
						 size_t i);

/* A header of the request (case-insensitive name), or NULL. */
const char *http_header(const struct http_request *rq, const char *name,
			size_t *ret_len);
/* The value of a query parameter copied into buf, or NULL if absent. */
const char *http_query(const struct http_request *rq, const char *name,
		       char *buf, size_t len);

/* Fill rs with {"error": {"status": N, "message": "...", "field": "..."}}
 * (field omitted when NULL). */
void http_error(struct http_response *rs, int status, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
