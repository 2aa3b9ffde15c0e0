// SPDX-License-Identifier: GPL-2.0-only
/* sentinelctl: one exchange with sentinel-cp, and what a failure means. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "output.h"

static const char *reason_phrase(long status)
{
	switch (status) {
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
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
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
	default:
		return "";
	}
}

static int status_exit(long status)
{
	if (status == 401 || status == 403)
		return EXIT_AUTH;
	if (status == 404)
		return EXIT_NOTFOUND;
	if (status >= 400 && status < 500)
		return EXIT_CLIENT;
	return EXIT_SERVER;
}

int request_error(const struct ctx *x, const struct rest_response *r)
{
	json_t *root = json_loadb(r->body, r->len, 0, NULL);
	json_t *err = json_object_get(root, "error");
	const char *msg = json_string_value(json_object_get(err, "message"));
	const char *field = json_string_value(json_object_get(err, "field"));
	json_t *line = json_object_get(err, "line");

	fprintf(stderr, "sentinelctl: %s: HTTP %ld", x->name, r->status);
	if (*reason_phrase(r->status))
		fprintf(stderr, " %s", reason_phrase(r->status));
	if (field) {
		fputs(": field \"", stderr);
		out_safe(stderr, field, false);
		fputc('"', stderr);
	}
	if (json_is_integer(line))
		fprintf(stderr, " (line %" JSON_INTEGER_FORMAT ")",
			json_integer_value(line));
	if (msg) {
		fputs(": ", stderr);
		out_safe(stderr, msg, false);
	} else if (!root && r->len) {
		/* Not the API's error shape: its first line, bounded. */
		char text[201];
		size_t n = strcspn(r->body, "\r\n");

		snprintf(text, sizeof(text), "%.*s", (int)n, r->body);
		fputs(": ", stderr);
		out_safe(stderr, text, false);
	}
	fputc('\n', stderr);
	if (r->status == 401 && !x->ro.token && !x->ro.api_key)
		fputs("sentinelctl: no credential was sent: set SENTINEL_TOKEN or SENTINEL_API_KEY (or --token, --api-key)\n",
		      stderr);
	json_decref(root);
	return status_exit(r->status);
}

int request_send(struct ctx *x, const char *method, const char *path,
		 const json_t *body, struct rest_response *resp)
{
	char *text = NULL;
	int r;

	if (!x->rest) {
		r = rest_client_new(&x->ro, &x->rest);
		if (r == -EINVAL)
			return ctl_usage_error(
				"--host %s: expected a host name or address (no scheme, port or path)",
				x->ro.host);
		if (r < 0)
			return ctl_no_memory();
	}
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text)
			return ctl_no_memory();
	}
	r = rest_request(x->rest, method, path, text, resp);
	free(text);
	if (r == 0)
		return EXIT_OK;
	/* The URL carries no credential; libcurl's words never do. */
	fprintf(stderr, "sentinelctl: %s: %s%s: ", x->name,
		rest_client_base(x->rest), r == -EFBIG ? "" : " unreachable");
	out_safe(stderr, rest_client_error(x->rest), false);
	fputc('\n', stderr);
	if (r == -EKEYREJECTED)
		fputs("sentinelctl: the server's certificate was not verified: give its CA with --cacert FILE (or --insecure to skip verification)\n",
		      stderr);
	if (r == -EFBIG)
		return EXIT_SERVER;
	if (r == -ENOMEM)
		return EXIT_USAGE;
	return EXIT_CONNECT;
}

int request_json(struct ctx *x, const char *method, const char *path,
		 const json_t *body, json_t **ret)
{
	struct rest_response resp = {0};
	json_error_t jerr;
	json_t *v;
	int r;

	r = request_send(x, method, path, body, &resp);
	if (r != EXIT_OK)
		return r;
	if (resp.status < 200 || resp.status > 299) {
		r = request_error(x, &resp);
		goto out;
	}
	v = json_loadb(resp.body, resp.len, JSON_DECODE_ANY, &jerr);
	if (!v) {
		fprintf(stderr,
			"sentinelctl: %s: HTTP %ld with an answer that is not JSON (",
			x->name, resp.status);
		out_safe(stderr, jerr.text, false);
		fputs(")\n", stderr);
		r = EXIT_SERVER;
		goto out;
	}
	*ret = v;
	r = EXIT_OK;
out:
	rest_response_clear(&resp);
	return r;
}

char *request_id_path(const char *prefix, const char *id, const char *suffix)
{
	char *e = rest_escape(id), *p = NULL;

	if (e && asprintf(&p, "%s/%s%s", prefix, e, suffix) < 0)
		p = NULL;
	free(e);
	return p;
}

char *request_list_path(const struct ctx *x, const char *base, const int *opts,
			const char *const *keys, size_t n)
{
	bool first = true, ok = true;
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		return NULL;
	fputs(base, m);
	for (size_t i = 0; ok && i < n; i++) {
		char *e;

		if (!x->seen[OI(opts[i])])
			continue;
		e = rest_escape(x->val[OI(opts[i])]);
		if (!e) {
			ok = false;
			break;
		}
		fprintf(m, "%c%s=%s", first ? '?' : '&', keys[i], e);
		first = false;
		free(e);
	}
	if (fclose(m) != 0 || !ok) {
		free(s);
		return NULL;
	}
	return s;
}
