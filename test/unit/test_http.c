// SPDX-License-Identifier: GPL-2.0-only
/* The HTTPS server adapter on loopback, driven by the curl command line:
 * TLS versions, HTTP/2 and 1.1, routing, roles, JSON errors, body limits. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"

static int failures, checks;

#define CHECK(cond, ...)                                \
	do {                                            \
		checks++;                               \
		if (!(cond)) {                          \
			failures++;                     \
			printf("not ok %d - ", checks); \
			printf(__VA_ARGS__);            \
			printf("\n");                   \
		} else {                                \
			printf("ok %d - ", checks);     \
			printf(__VA_ARGS__);            \
			printf("\n");                   \
		}                                       \
	} while (0)

static volatile int open_mode;

static int auth(void *ctx, const char *key, size_t klen, const char *authz,
		size_t alen, struct http_identity *ret, char *why,
		size_t whylen)
{
	static const struct {
		const char *key;
		int role;
	} keys[] = {{"viewer-key", 1}, {"op-key", 2}, {"admin-key", 3}};

	/* auth disabled in sentinel-cp: the callback lets everyone in, so the
	 * server must ask it even without credentials */
	if (open_mode && !key && !authz) {
		snprintf(ret->name, sizeof(ret->name), "anonymous");
		ret->role = 3;
		return 0;
	}
	for (size_t i = 0; key && i < 3; i++)
		if (klen == strlen(keys[i].key) &&
		    !memcmp(key, keys[i].key, klen)) {
			snprintf(ret->name, sizeof(ret->name), "%s",
				 keys[i].key);
			ret->role = keys[i].role;
			return 0;
		}
	snprintf(why, whylen, "unknown API key");
	return -EACCES;
}

static void h_health(void *ctx, const struct http_request *rq,
		     struct http_response *rs)
{
	rs->body = json_pack("{s:s}", "status", "ok");
}

static void h_list(void *ctx, const struct http_request *rq,
		   struct http_response *rs)
{
	char buf[64];
	const char *name = http_query(rq, "name", buf, sizeof(buf));

	rs->body = json_pack("{s:s, s:s}", "who", rq->who->name, "name",
			     name ? name : "");
}

static void h_add(void *ctx, const struct http_request *rq,
		  struct http_response *rs)
{
	if (!rq->body || !json_is_object(rq->body) ||
	    !json_is_string(json_object_get(rq->body, "id"))) {
		http_error(rs, 400, "id", "id: a string is required");
		return;
	}
	rs->status = 201;
	rs->body = json_incref(rq->body);
}

static void h_del(void *ctx, const struct http_request *rq,
		  struct http_response *rs)
{
	rs->body = json_pack("{s:s%}", "deleted", rq->param, rq->param_len);
}

static void h_metrics(void *ctx, const struct http_request *rq,
		      struct http_response *rs)
{
	rs->raw = strdup("sentinel_up 1\n");
	rs->raw_len = strlen(rs->raw);
	rs->content_type = "text/plain; version=0.0.4";
}

static const struct http_route routes[] = {
	{HTTP_GET, "/healthz", 0, h_health},
	{HTTP_GET, "/metrics", 0, h_metrics},
	{HTTP_GET, "/api/v1/things", 1, h_list},
	{HTTP_POST, "/api/v1/things", 2, h_add},
	{HTTP_DELETE, "/api/v1/things/{id}", 3, h_del},
};

static uv_loop_t loop;
static uv_async_t stop;
static struct http_server *srv;

static void on_stop(uv_async_t *a)
{
	uv_close((uv_handle_t *)a, NULL);
	uv_stop(&loop);
}

static void *run(void *arg)
{
	uv_run(&loop, UV_RUN_DEFAULT);
	return NULL;
}

static char dir[] = "/tmp/sentinel-http-XXXXXX";
static int port;

/* Run curl; returns its exit status, output (status line + body) in out. */
static int curl(char *out, size_t len, const char *args)
{
	char cmd[2048];
	FILE *p;
	size_t n;
	int st;

	snprintf(
		cmd, sizeof(cmd),
		"curl -s --cacert %s/cert.pem --resolve sentinel.test:%d:127.0.0.1 "
		"-w '\\n%%{http_code} %%{http_version}' %s 2>/dev/null",
		dir, port, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define URL(path) "https://sentinel.test:%d" path

int main(void)
{
	char cmd[1024], out[8192], args[1024], next[256], err[256];
	struct http_opts o = {
		.addr = "127.0.0.1",
		.tls = true,
		.body_limit = 1024,
		.authenticate = auth,
		.routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
		.max_auth_failures = 4,
		.auth_window_secs = 60,
		.auth_lockout_secs = 2,
	};
	char cert[128], key[128];
	pthread_t t;
	int rc;

	if (system("command -v curl >/dev/null && command -v openssl >/dev/null")) {
		printf("SKIP: curl and openssl are needed\n");
		return 77;
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(
		cmd, sizeof(cmd),
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		"-nodes -keyout %s/key.pem -out %s/cert.pem -days 2 "
		"-subj /CN=sentinel.test -addext subjectAltName=DNS:sentinel.test "
		">/dev/null 2>&1",
		dir, dir);
	if (system(cmd)) {
		printf("Bail out! openssl could not make a test certificate\n");
		return 1;
	}
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	o.cert_file = cert;
	o.key_file = key;
	uv_loop_init(&loop);

	/* a bad key file is refused, naming it */
	o.key_file = "/nonexistent/key.pem";
	rc = http_server_new(&loop, &o, &srv, err, sizeof(err));
	CHECK(rc < 0 && strstr(err, "tls.key /nonexistent/key.pem"),
	      "missing key refused, named (%s)", err);
	o.key_file = key;

	rc = http_server_new(&loop, &o, &srv, err, sizeof(err));
	if (rc) {
		printf("Bail out! server: %s\n", err);
		return 1;
	}
	port = http_server_port(srv);
	uv_async_init(&loop, &stop, on_stop);
	pthread_create(&t, NULL, run, NULL);

	snprintf(args, sizeof(args), "--http2 " URL("/healthz"), port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "{\"status\":\"ok\"}") && strstr(out, "\n200 2"),
	      "healthz over HTTP/2 and TLS 1.3");
	snprintf(args, sizeof(args), "--http1.1 " URL("/healthz"), port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n200 1.1") != NULL, "and over HTTP/1.1");
	snprintf(args, sizeof(args), "--tls-max 1.2 " URL("/healthz"), port);
	rc = curl(out, sizeof(out), args);
	CHECK(rc != 0 && strstr(out, "\n000"),
	      "TLS 1.2 refused by default (curl exit %d)", rc);
	snprintf(args, sizeof(args), "-o /dev/null http://127.0.0.1:%d/healthz",
		 port);
	rc = curl(out, sizeof(out), args);
	CHECK(!strstr(out, "\n200"), "plain HTTP gets nothing");
	snprintf(args, sizeof(args), URL("/metrics"), port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "sentinel_up 1\n") && strstr(out, "\n200"),
	      "raw text bodies");

	snprintf(args, sizeof(args), URL("/api/v1/things"), port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n401") && strstr(out, "\"status\":401"),
	      "no credentials: 401 JSON");
	open_mode = 1;
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n200"),
	      "no credentials, and the callback lets everyone in: 200");
	open_mode = 0;
	snprintf(args, sizeof(args),
		 "-H 'X-API-Key: nope' " URL("/api/v1/things"), port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n401") && strstr(out, "unknown API key") &&
		      !strstr(out, "nope"),
	      "bad key: 401, the key is not echoed");
	snprintf(args, sizeof(args),
		 "-H 'X-API-Key: viewer-key' '" URL(
			 "/api/v1/things?x=1&name=a%%20b+c") "'",
		 port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\"name\":\"a b c\"") && strstr(out, "\n200"),
	      "viewer may read; query decoded (%s)", out);
	snprintf(args, sizeof(args),
		 "-H 'X-API-Key: viewer-key' -d '{\"id\":\"r1\"}' " URL(
			 "/api/v1/things"),
		 port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n403") != NULL, "viewer may not write: 403");
	snprintf(args, sizeof(args),
		 "-H 'X-API-Key: op-key' -d '{\"id\":\"r1\"}' " URL(
			 "/api/v1/things"),
		 port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "{\"id\":\"r1\"}") && strstr(out, "\n201"),
	      "operator may write: 201");
	snprintf(args, sizeof(args),
		 "-H 'X-API-Key: op-key' -d '{\"id\": 5}' " URL(
			 "/api/v1/things"),
		 port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n400") && strstr(out, "\"field\":\"id\""),
	      "handler errors name the field");
	snprintf(args, sizeof(args),
		 "-H 'X-API-Key: op-key' -d '{\"id\": ' " URL("/api/v1/things"),
		 port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n400") && strstr(out, "malformed JSON at line 1"),
	      "malformed JSON: 400 with the position");
	snprintf(args, sizeof(args),
		 "-H 'X-API-Key: op-key' -d '{\"id\":\"a\",\"id\":\"b\"}' " URL(
			 "/api/v1/things"),
		 port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n400") != NULL, "duplicate keys refused");
	snprintf(cmd, sizeof(cmd),
		 "printf '{\"id\":\"%%01500d\"}' 0 >%s/big.json", dir);
	system(cmd);
	snprintf(
		args, sizeof(args),
		"-H 'X-API-Key: op-key' -d @%s/big.json " URL("/api/v1/things"),
		dir, port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n413") && strstr(out, "at most 1024"),
	      "a body over the limit: JSON 413");
	snprintf(args, sizeof(args),
		 "-H 'X-API-Key: op-key' -X DELETE " URL("/api/v1/things/r1"),
		 port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n403") != NULL, "operator may not delete: 403");
	snprintf(args, sizeof(args),
		 "-H 'X-API-Key: admin-key' -X DELETE " URL(
			 "/api/v1/things/r%%201"),
		 port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\"deleted\":\"r 1\"") && strstr(out, "\n200"),
	      "admin deletes; the path parameter is passed, decoded (%s)", out);
	/* HTTP/1.1 keeps the connection after a 201 and a 4xx: curl reuses
	 * it for the next requests (no new connect) */
	snprintf(next, sizeof(next),
		 "--next --http1.1 --cacert %s/cert.pem --resolve "
		 "sentinel.test:%d:127.0.0.1 "
		 "-w '\\n%%{http_code} connects=%%{num_connects}'",
		 dir, port);
	snprintf(
		args, sizeof(args),
		"--http1.1 -H 'X-API-Key: op-key' -d '{\"id\":\"r2\"}' " URL(
			"/api/v1/things") " %s " URL("/nope") " %s " URL("/healthz"),
		port, next, port, next, port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n201 1.1") && strstr(out, "\n404 connects=0") &&
		      strstr(out, "\n200 connects=0"),
	      "HTTP/1.1 connection kept after a 201 and a 404 (%s)", out);
	snprintf(args, sizeof(args), "-X PUT " URL("/healthz"), port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n405") != NULL, "wrong method: 405");
	snprintf(args, sizeof(args), URL("/nope"), port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n404") && strstr(out, "no such endpoint"),
	      "unknown path: 404 JSON");
	CHECK(http_server_stats(srv, 4)->by_class[2] == 1 &&
		      http_server_stats(srv, 3)->by_class[4] >= 4,
	      "per-route counters by status class");

	/* failed authentications: 4 wrong keys from one address within the
	 * window (the "nope" above was the first) lock it out for 2 s; a
	 * right key in between resets nothing (a viewer's key must not buy
	 * guesses at the admin's) */
	for (int i = 0; i < 4; i++) {
		snprintf(args, sizeof(args),
			 "-H 'X-API-Key: %s' " URL("/api/v1/things"),
			 i == 2 ? "viewer-key" : "wrong-key", port);
		curl(out, sizeof(out), args);
		if (i == 2)
			CHECK(strstr(out, "\n200") != NULL,
			      "a right key after 3 wrong ones: 200 (%s)", out);
		else
			CHECK(strstr(out, "\n401") != NULL,
			      "wrong key %d: 401 (%s)", i, out);
	}
	snprintf(args, sizeof(args),
		 "-D - -H 'X-API-Key: viewer-key' " URL("/api/v1/things"),
		 port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n429") && strstr(out, "retry-after: 2") &&
		      strstr(out, "too many failed authentications"),
	      "the 4th wrong key locked the address out, even the right key: 429 with Retry-After (%s)",
	      out);
	snprintf(args, sizeof(args), URL("/healthz"), port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n200") != NULL,
	      "public endpoints stay open while locked out");
	usleep(2300000);
	snprintf(args, sizeof(args),
		 "-H 'X-API-Key: viewer-key' " URL("/api/v1/things"), port);
	curl(out, sizeof(out), args);
	CHECK(strstr(out, "\n200") != NULL,
	      "after the lockout the right key works again (%s)", out);

	uv_async_send(&stop);
	pthread_join(t, NULL);
	http_server_free(srv);
	uv_run(&loop, UV_RUN_DEFAULT); /* close callbacks */
	uv_loop_close(&loop);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	system(cmd);
	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures ? 1 : 0;
}
