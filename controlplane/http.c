// SPDX-License-Identifier: GPL-2.0-only
/* The HTTPS API server: h2o (libuv flavour) with OpenSSL, routes, JSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include <h2o.h>
#include <h2o/http2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http.h"
#include "log.h"

/* h2o itself refuses (plain-text 413) bodies above this multiple of the
 * configured limit; between the two the answer is a JSON 413. */
#define H2O_LIMIT_FACTOR 4

struct http_handler {
	h2o_handler_t super; /* first: h2o hands this pointer back */
	struct http_server *srv;
};

/* Failed authentications by peer address: a bounded table (an address
 * that finds its probe window full replaces the entry that went quiet
 * first). */
#define FAIL_SLOTS 4096
#define FAIL_PROBE 8

struct fail_ent {
	uint8_t addr[16]; /* IPv6, or IPv4-mapped */
	bool used;
	uint32_t count;
	uint64_t first_ns, last_ns, until_ns;
};

struct http_server {
	uv_loop_t *loop;
	uv_tcp_t listener;
	uv_idle_t free_trigger; /* never started; its close frees the server */
	bool listening;
	bool ctx_ready;
	h2o_globalconf_t config;
	h2o_context_t ctx;
	h2o_accept_ctx_t accept_ctx;
	SSL_CTX *ssl;
	SSL_CTX *retired[4]; /* replaced by reloads, freed 4 reloads later */
	unsigned int nretired;
	struct http_opts o;
	int port;
	struct http_route_stats *stats; /* nroutes + 1 */
	struct fail_ent *fails;		/* FAIL_SLOTS */
	uint64_t lockouts;
};

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	}
	return "Unknown";
}

void http_error(struct http_response *rs, int status, const char *field,
		const char *fmt, ...)
{
	char msg[512];
	json_t *e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(rs->body);
	if (!rs->raw_borrowed)
		free(rs->raw);
	rs->raw = NULL;
	rs->raw_borrowed = false;
	rs->content_type = NULL;
	rs->status = status;
	e = json_pack("{s:i, s:s}", "status", status, "message", msg);
	if (e && field)
		json_object_set_new(e, "field", json_string(field));
	rs->body = e ? json_pack("{s:o}", "error", e) : NULL;
}

static int method_of(h2o_iovec_t m)
{
	if (h2o_memis(m.base, m.len, H2O_STRLIT("GET")) ||
	    h2o_memis(m.base, m.len, H2O_STRLIT("HEAD")))
		return HTTP_GET;
	if (h2o_memis(m.base, m.len, H2O_STRLIT("POST")))
		return HTTP_POST;
	if (h2o_memis(m.base, m.len, H2O_STRLIT("PUT")))
		return HTTP_PUT;
	if (h2o_memis(m.base, m.len, H2O_STRLIT("DELETE")))
		return HTTP_DELETE;
	return 0;
}

/* Match path against pattern segment by segment; one "{x}" segment
 * captures a non-empty segment into *param. */
static bool route_match(const char *pat, const char *path, size_t len,
			const char **param, size_t *param_len)
{
	size_t i = 0;

	*param = NULL;
	*param_len = 0;
	while (*pat) {
		if (*pat == '{') {
			size_t start = i;

			while (i < len && path[i] != '/')
				i++;
			if (i == start)
				return false;
			*param = path + start;
			*param_len = i - start;
			pat = strchr(pat, '}');
			if (!pat)
				return false;
			pat++;
			continue;
		}
		if (i >= len || path[i] != *pat)
			return false;
		pat++;
		i++;
	}
	/* a trailing slash is the same resource */
	return i == len || (i + 1 == len && path[i] == '/');
}

const char *http_header(const struct http_request *rq, const char *name,
			size_t *ret_len)
{
	h2o_req_t *req = rq->raw;
	ssize_t i =
		h2o_find_header_by_str(&req->headers, name, strlen(name), -1);

	if (i < 0)
		return NULL;
	if (ret_len)
		*ret_len = req->headers.entries[i].value.len;
	return req->headers.entries[i].value.base;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *http_query(const struct http_request *rq, const char *name,
		       char *buf, size_t len)
{
	size_t nlen = strlen(name);
	const char *q = rq->query, *end = q ? q + rq->query_len : NULL;

	while (q && q < end) {
		const char *amp = memchr(q, '&', end - q);
		const char *stop = amp ? amp : end;

		if ((size_t)(stop - q) > nlen && !memcmp(q, name, nlen) &&
		    q[nlen] == '=') {
			h2o_iovec_t v = h2o_iovec_init(q + nlen + 1,
						       stop - q - nlen - 1);
			size_t o = 0;

			/* percent-decoding of the value; '+' is a space */
			for (size_t k = 0; k < v.len && o + 1 < len; k++) {
				int hi, lo;

				if (v.base[k] == '%' && k + 2 < v.len &&
				    (hi = hexval(v.base[k + 1])) >= 0 &&
				    (lo = hexval(v.base[k + 2])) >= 0) {
					buf[o++] = (char)(hi << 4 | lo);
					k += 2;
				} else {
					buf[o++] = v.base[k] == '+' ? ' '
								    : v.base[k];
				}
			}
			buf[o] = '\0';
			return buf;
		}
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

static void respond(h2o_req_t *req, struct http_response *rs)
{
	const char *ctype =
		rs->content_type ? rs->content_type : "application/json";
	char *body = NULL;
	size_t len = 0;

	req->res.status = rs->status;
	req->res.reason = reason(rs->status);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
		       NULL, ctype, strlen(ctype));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL,
		       NULL, H2O_STRLIT("no-store"));
	h2o_add_header_by_str(&req->pool, &req->res.headers,
			      H2O_STRLIT("x-content-type-options"), 0, NULL,
			      H2O_STRLIT("nosniff"));
	if (rs->raw) {
		body = rs->raw;
		len = rs->raw_len;
	} else if (rs->body) {
		body = json_dumps(rs->body, JSON_COMPACT);
		len = body ? strlen(body) : 0;
	}
	if (rs->status == 401)
		h2o_add_header(&req->pool, &req->res.headers,
			       H2O_TOKEN_WWW_AUTHENTICATE, NULL,
			       H2O_STRLIT("Bearer, ApiKey"));
	if (rs->retry_after) {
		char *v = h2o_mem_alloc_pool(&req->pool, 12);
		int n = snprintf(v, 12, "%u", rs->retry_after);

		h2o_add_header(&req->pool, &req->res.headers,
			       H2O_TOKEN_RETRY_AFTER, NULL, v, (size_t)n);
	}
	/* h2o_send_inline() leaves the length unknown: HTTP/1.1 would then
	 * chunk a 200 and close the connection after any other status (h2o
	 * 2.2's chunked filter), costing a TLS handshake per 201 or 4xx */
	req->res.content_length = len;
	h2o_send_inline(req, body ? body : "", len); /* copies the body */
	if (body != rs->raw)
		free(body);
	if (!rs->raw_borrowed)
		free(rs->raw);
	json_decref(rs->body);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The peer's address as 16 bytes (IPv4 mapped); false if unknown. */
static bool peer_addr(h2o_req_t *req, uint8_t out[16])
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (!req->conn->callbacks->get_peername)
		return false;
	len = req->conn->callbacks->get_peername(req->conn,
						 (struct sockaddr *)&ss);
	if (len && ss.ss_family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		return true;
	}
	if (len && ss.ss_family == AF_INET6) {
		memcpy(out, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		/* one host holds a whole /64: count it as one address */
		if (memcmp(out, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
			memset(out + 8, 0, 8);
		return true;
	}
	return false;
}

/* addr's entry; with add, a new one if none (replacing the quietest
 * entry of its probe window that is not locked out); NULL otherwise. */
static struct fail_ent *fail_find(struct http_server *s, const uint8_t *addr,
				  bool add, uint64_t now)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	struct fail_ent *victim = NULL;

	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 0x100000001b3ULL;
	for (int i = 0; i < FAIL_PROBE; i++) {
		struct fail_ent *e = &s->fails[(h + i) % FAIL_SLOTS];

		if (e->used && !memcmp(e->addr, addr, 16))
			return e;
		/* a free slot, else the one that went quiet first; never
		 * one locked out (a flood of addresses must not free it) */
		if (e->used && e->until_ns > now)
			continue;
		if (!victim || (victim->used &&
				(!e->used || e->last_ns < victim->last_ns)))
			victim = e;
	}
	if (!add || !victim)
		return NULL;
	*victim = (struct fail_ent){.used = true};
	memcpy(victim->addr, addr, 16);
	return victim;
}

/* Seconds addr stays locked out (0: not locked). */
static unsigned fail_locked(struct http_server *s, const uint8_t *addr,
			    uint64_t now)
{
	struct fail_ent *e;

	if (!s->o.max_auth_failures || !(e = fail_find(s, addr, false, now)) ||
	    e->until_ns <= now)
		return 0;
	return (unsigned)((e->until_ns - now) / 1000000000ull) + 1;
}

static void fail_note(struct http_server *s, const uint8_t *addr, uint64_t now)
{
	uint64_t window = s->o.auth_window_secs * 1000000000ull;
	struct fail_ent *e;

	if (!s->o.max_auth_failures)
		return;
	e = fail_find(s, addr, true, now);
	if (!e)
		return; /* its window is all lockouts: the table is bounded */
	if (!e->count || now - e->first_ns > window) {
		e->count = 0;
		e->first_ns = now;
	}
	e->last_ns = now;
	if (++e->count >= s->o.max_auth_failures) {
		char name[INET6_ADDRSTRLEN];
		static int limit;

		e->until_ns = now + s->o.auth_lockout_secs * 1000000000ull;
		e->count = 0;
		s->lockouts++;
		if (!memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
			inet_ntop(AF_INET, addr + 12, name, sizeof(name));
		else
			inet_ntop(AF_INET6, addr, name, sizeof(name));
		log_limited(
			&limit, LOG_WARNING,
			"API: %s locked out for %u s after %u failed authentications",
			name, s->o.auth_lockout_secs, s->o.max_auth_failures);
	}
}

uint64_t http_server_lockouts(const struct http_server *s)
{
	return s->lockouts;
}

void http_server_set_auth_limits(struct http_server *s, unsigned max_failures,
				 unsigned window_secs, unsigned lockout_secs)
{
	s->o.max_auth_failures = max_failures;
	s->o.auth_window_secs = window_secs;
	s->o.auth_lockout_secs = lockout_secs;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
	struct http_server *s = ((struct http_handler *)self)->srv;
	struct http_response rs = {.status = 500};
	struct http_identity who = {0};
	struct http_request rq = {.raw = req, .who = &who};
	size_t plen = req->path_normalized.len, ri = s->o.nroutes;
	const struct http_route *r = NULL;
	bool path_known = false;

	rq.method = method_of(req->method);
	rq.path = req->path_normalized.base;
	rq.path_len = plen;
	if (req->query_at != SIZE_MAX) {
		rq.query = req->path.base + req->query_at + 1;
		rq.query_len = req->path.len - req->query_at - 1;
	}
	for (size_t i = 0; i < s->o.nroutes; i++) {
		const char *p;
		size_t pl;

		if (!route_match(s->o.routes[i].pattern, rq.path, plen, &p,
				 &pl))
			continue;
		path_known = true;
		if (rq.method & s->o.routes[i].methods) {
			r = &s->o.routes[i];
			ri = i;
			rq.param = p;
			rq.param_len = pl;
			break;
		}
	}
	if (!r) {
		if (path_known)
			http_error(&rs, 405, NULL,
				   "method %.*s not allowed on %.*s",
				   (int)req->method.len, req->method.base,
				   (int)plen, rq.path);
		else
			http_error(&rs, 404, NULL, "no such endpoint: %.*s",
				   (int)plen, rq.path);
		goto out;
	}
	if (r->role > 0) {
		const char *key, *authz;
		size_t klen = 0, alen = 0;
		char why[160] =
			"no credentials (X-API-Key or Authorization: Bearer)";
		uint64_t now = mono_ns();
		uint8_t addr[16];
		bool known = peer_addr(req, addr);
		unsigned wait = known ? fail_locked(s, addr, now) : 0;

		if (wait) {
			/* the credentials are not even read (ES256 costs
			 * ~1.5 ms: guessing must not cost the server) */
			http_error(
				&rs, 429, NULL,
				"too many failed authentications from this address; retry in %u s",
				wait);
			rs.retry_after = wait;
			goto out;
		}
		key = http_header(&rq, "x-api-key", &klen);
		authz = http_header(&rq, "authorization", &alen);
		/* the callback decides, credentials or not: with auth
		 * disabled it lets everyone in */
		if (!s->o.authenticate ||
		    s->o.authenticate(s->o.ctx, key, klen, authz, alen, &who,
				      why, sizeof(why))) {
			/* only credentials that were wrong count: a probe
			 * without any (a health checker) locks no one out; a
			 * right one resets nothing (a viewer key must not buy
			 * guesses at the admin's) */
			if (known && (klen || alen))
				fail_note(s, addr, now);
			http_error(&rs, 401, NULL, "%s", why);
			goto out;
		}

		if (who.role < r->role) {
			http_error(&rs, 403, NULL,
				   "%s may not do this (role too low)",
				   who.name[0] ? who.name : "caller");
			goto out;
		}
	}
	if (req->entity.base && req->entity.len) {
		json_error_t je;

		if (req->entity.len > s->o.body_limit) {
			http_error(&rs, 413, NULL,
				   "request body of %zu bytes, at most %zu",
				   req->entity.len, s->o.body_limit);
			goto out;
		}
		rq.body = json_loadb(req->entity.base, req->entity.len,
				     JSON_REJECT_DUPLICATES, &je);
		if (!rq.body) {
			http_error(&rs, 400, NULL,
				   "malformed JSON at line %d column %d: %s",
				   je.line, je.column, je.text);
			goto out;
		}
	}
	rs.status = 200;
	r->fn(s->o.ctx, &rq, &rs);
	json_decref(rq.body);
out:
	if (rs.status >= 100 && rs.status < 600)
		s->stats[ri].by_class[rs.status / 100]++;
	respond(req, &rs);
	return 0;
}

static void on_accept(uv_stream_t *listener, int status)
{
	struct http_server *s = listener->data;
	uv_tcp_t *conn;
	h2o_socket_t *sock;

	if (status != 0)
		return;
	conn = h2o_mem_alloc(sizeof(*conn));
	uv_tcp_init(listener->loop, conn);
	if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
		uv_close((uv_handle_t *)conn, (uv_close_cb)free);
		return;
	}
	sock = h2o_uv_socket_create((uv_stream_t *)conn, (uv_close_cb)free);
	h2o_accept(&s->accept_ctx, sock);
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static const char *ssl_reason(unsigned long e, const char *fallback)
{
	const char *r = ERR_reason_error_string(e);

	ERR_clear_error();
	return r ? r : fallback;
}

static int tls_ctx(const char *cert_file, const char *key_file,
		   bool allow_tls12, SSL_CTX **ret, char *err, size_t errlen)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	unsigned long e;
	int rc = 0;

	if (!c)
		return fail(err, errlen, -ENOMEM, "tls: no SSL context");
	SSL_CTX_set_min_proto_version(c, allow_tls12 ? TLS1_2_VERSION
						     : TLS1_3_VERSION);
	SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
				       SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (allow_tls12 &&
	    !SSL_CTX_set_cipher_list(c, "ECDHE+AESGCM:ECDHE+CHACHA20")) {
		rc = fail(err, errlen, -EINVAL, "tls: cipher list refused");
	} else if (SSL_CTX_use_certificate_chain_file(c, cert_file) != 1) {
		e = ERR_get_error();
		rc = fail(err, errlen, -EINVAL, "tls.cert %s: %s", cert_file,
			  ssl_reason(e, "not a readable PEM certificate"));
	} else if (SSL_CTX_use_PrivateKey_file(c, key_file, SSL_FILETYPE_PEM) !=
			   1 ||
		   SSL_CTX_check_private_key(c) != 1) {
		e = ERR_get_error();
		/* the reason only: never the key material */
		rc = fail(
			err, errlen, -EINVAL, "tls.key %s: %s", key_file,
			ssl_reason(
				e,
				"not a readable PEM private key matching the certificate"));
	}
	if (rc) {
		SSL_CTX_free(c);
		return rc;
	}
	h2o_ssl_register_alpn_protocols(c, h2o_http2_alpn_protocols);
	*ret = c;
	return 0;
}

static int tls_setup(struct http_server *s, char *err, size_t errlen)
{
	int rc = tls_ctx(s->o.cert_file, s->o.key_file, s->o.allow_tls12,
			 &s->ssl, err, errlen);

	if (!rc)
		s->accept_ctx.ssl_ctx = s->ssl;
	return rc;
}

int http_tls_load(const char *cert_file, const char *key_file, bool allow_tls12,
		  struct http_tls **ret, char *err, size_t errlen)
{
	return tls_ctx(cert_file, key_file, allow_tls12, (SSL_CTX **)ret, err,
		       errlen);
}

void http_tls_free(struct http_tls *t)
{
	SSL_CTX_free((SSL_CTX *)t);
}

bool http_server_is_tls(const struct http_server *s)
{
	return s->ssl != NULL;
}

void http_server_set_tls(struct http_server *s, struct http_tls *t)
{
	SSL_CTX **slot = &s->retired[s->nretired++ % 4];

	/* a connection holds a reference on the context it was accepted
	 * with (SSL_new); the server keeps its own for four more reloads
	 * too, so nothing h2o holds on to outlives it */
	SSL_CTX_free(*slot);
	*slot = s->ssl;
	s->ssl = (SSL_CTX *)t;
	s->accept_ctx.ssl_ctx = s->ssl;
	s->o.cert_file = s->o.key_file = NULL; /* borrowed; gone with it */
}

int http_server_new(uv_loop_t *loop, const struct http_opts *o,
		    struct http_server **ret, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct http_handler *h;
	h2o_hostconf_t *host;
	h2o_pathconf_t *pathconf;
	struct http_server *s;
	int rc, namelen = sizeof(ss);

	if (o->tls && (!o->cert_file || !o->key_file))
		return fail(err, errlen, -EINVAL,
			    "tls: a certificate and a key are needed");
	/* libuv writes to sockets with plain write(): a client that closes
	 * its connection while a response is going out must cost an EPIPE,
	 * not the process (SIGPIPE's default action). */
	signal(SIGPIPE, SIG_IGN);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->o = *o;
	if (!s->o.body_limit)
		s->o.body_limit = 1 << 20;
	s->stats = calloc(o->nroutes + 1, sizeof(*s->stats));
	s->fails = calloc(FAIL_SLOTS, sizeof(*s->fails));
	if (!s->stats || !s->fails) {
		free(s->stats);
		free(s->fails);
		free(s);
		return -ENOMEM;
	}
	h2o_config_init(&s->config);
	s->config.max_request_entity_size = s->o.body_limit * H2O_LIMIT_FACTOR;
	host = h2o_config_register_host(
		&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	pathconf = h2o_config_register_path(host, "/", 0);
	h = (struct http_handler *)h2o_create_handler(pathconf, sizeof(*h));
	h->super.on_req = on_req;
	h->srv = s;
	h2o_context_init(&s->ctx, loop, &s->config);
	uv_idle_init(loop, &s->free_trigger);
	s->free_trigger.data = s;
	s->ctx_ready = true;
	s->accept_ctx.ctx = &s->ctx;
	s->accept_ctx.hosts = s->config.hosts;
	if (o->tls) {
		rc = tls_setup(s, err, errlen);
		if (rc)
			goto fail;
	}

	if (strchr(o->addr, ':'))
		rc = uv_ip6_addr(o->addr, o->port, (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(o->addr, o->port, (struct sockaddr_in *)&ss);
	if (rc) {
		rc = fail(err, errlen, -EINVAL, "api.listen %s: not an address",
			  o->addr);
		goto fail;
	}
	uv_tcp_init(loop, &s->listener);
	s->listener.data = s;
	s->listening = true;
	rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&ss, 0);
	if (!rc)
		rc = uv_listen((uv_stream_t *)&s->listener, 128, on_accept);
	if (rc) {
		rc = fail(err, errlen, rc, "listening on %s port %d: %s",
			  o->addr, o->port, uv_strerror(rc));
		goto fail;
	}
	uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &namelen);
	s->port = ntohs(ss.ss_family == AF_INET6
				? ((struct sockaddr_in6 *)&ss)->sin6_port
				: ((struct sockaddr_in *)&ss)->sin_port);
	*ret = s;
	return 0;
fail:
	http_server_free(s);
	return rc;
}

static void on_last_closed(uv_handle_t *h)
{
	struct http_server *s = h->data;

	h2o_config_dispose(&s->config);
	if (s->ssl)
		SSL_CTX_free(s->ssl);
	for (int i = 0; i < 4; i++)
		SSL_CTX_free(s->retired[i]);
	free(s->stats);
	free(s->fails);
	free(s);
}

/*
 * h2o_context_dispose() closes the timers embedded in the context and runs
 * the loop once (UV_RUN_NOWAIT) to finish them: call this outside uv_run().
 * The listener is embedded too, so the memory goes in the close callback of
 * free_trigger, closed before the listener: libuv finishes a round of
 * closes last-closed first.
 */
void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	if (!s->ctx_ready) {
		h2o_config_dispose(&s->config);
		free(s->stats);
		free(s->fails);
		free(s);
		return;
	}
	h2o_context_dispose(&s->ctx);
	uv_close((uv_handle_t *)&s->free_trigger, on_last_closed);
	if (s->listening)
		uv_close((uv_handle_t *)&s->listener, NULL);
}

int http_server_port(const struct http_server *s)
{
	return s->port;
}

const struct http_route_stats *http_server_stats(const struct http_server *s,
						 size_t i)
{
	return i <= s->o.nroutes ? &s->stats[i] : NULL;
}
