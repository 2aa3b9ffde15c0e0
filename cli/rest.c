// SPDX-License-Identifier: GPL-2.0-only
/* sentinelctl's HTTPS client: the only file that speaks libcurl. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "rest.h"

struct rest_client {
	CURL *curl;			   /* owned */
	struct rest_opts opts;		   /* pointers borrowed */
	char base[300];			   /* https://host:port */
	char errbuf[CURL_ERROR_SIZE + 64]; /* the last failure in words */
};

/* The body being received; bounded by REST_MAX_RESPONSE. */
struct sink {
	char *buf;
	size_t len;
	size_t cap;
	bool too_big;
	bool no_mem;
};

int rest_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

void rest_global_cleanup(void)
{
	curl_global_cleanup();
}

static bool host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 255)
		return false;
	/* A bare name or address: no scheme, user, path or port. */
	for (const char *p = h; *p; p++)
		if (*p <= ' ' || *p == '/' || *p == '@' || *p == '?' ||
		    *p == '#' || *p == '\\' || (unsigned char)*p == 0x7f)
			return false;
	if (h[0] == '[')
		return h[n - 1] == ']' && n > 2;
	/* With a colon it must be an IPv6 address (a zone may follow '%'):
	 * "host:port" is refused rather than misread. */
	if (strchr(h, ':'))
		return strspn(h, "0123456789abcdefABCDEF:.") == strcspn(h, "%");
	return true;
}

int rest_client_new(const struct rest_opts *opts, struct rest_client **ret)
{
	struct rest_client *c;
	const char *h = opts->host;
	bool v6 = h && h[0] != '[' && strchr(h, ':');

	if (!h || !host_ok(h) || opts->port == 0 || opts->port > 65535)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		return -ENOMEM;
	}
	c->opts = *opts;
	snprintf(c->base, sizeof(c->base), "https://%s%s%s:%u", v6 ? "[" : "",
		 h, v6 ? "]" : "", opts->port);
	*ret = c;
	return 0;
}

void rest_client_free(struct rest_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

const char *rest_client_error(const struct rest_client *c)
{
	return c->errbuf;
}

const char *rest_client_base(const struct rest_client *c)
{
	return c->base;
}

void rest_response_clear(struct rest_response *r)
{
	free(r->body);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
}

static size_t sink_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (n > REST_MAX_RESPONSE - s->len) {
		s->too_big = true;
		return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;
		char *p;

		while (cap < s->len + n + 1)
			cap *= 2;
		p = realloc(s->buf, cap);
		if (!p) {
			s->no_mem = true;
			return 0;
		}
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

static int curl_to_errno(CURLcode rc, const struct sink *s)
{
	if (s->too_big)
		return -EFBIG;
	if (s->no_mem)
		return -ENOMEM;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return -EKEYREJECTED;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -EPROTO;
	case CURLE_FILESIZE_EXCEEDED:
		return -EFBIG;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* Adds "Name: value" to *list; -ENOMEM.  The temporary copy is wiped since
 * it may hold a credential. */
static int add_header(struct curl_slist **list, const char *name,
		      const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *h = malloc(n);
	struct curl_slist *l;

	if (!h)
		return -ENOMEM;
	snprintf(h, n, "%s: %s", name, value);
	l = curl_slist_append(*list, h);
	explicit_bzero(h, n);
	free(h);
	if (!l)
		return -ENOMEM;
	*list = l;
	return 0;
}

static int build_headers(const struct rest_client *c, bool has_body,
			 bool is_post, struct curl_slist **ret)
{
	struct curl_slist *l = NULL;
	int r;

	r = add_header(&l, "Accept", "application/json, text/plain");
	/* An empty value removes the form type libcurl gives a bare POST. */
	if (r == 0 && (has_body || is_post))
		r = add_header(&l, "Content-Type",
			       has_body ? "application/json" : "");
	if (r == 0 && c->opts.token) {
		size_t n = strlen(c->opts.token) + 8;
		char *v = malloc(n);

		if (!v) {
			r = -ENOMEM;
		} else {
			snprintf(v, n, "Bearer %s", c->opts.token);
			r = add_header(&l, "Authorization", v);
			explicit_bzero(v, n);
			free(v);
		}
	}
	if (r == 0 && c->opts.api_key)
		r = add_header(&l, "X-API-Key", c->opts.api_key);
	/* libcurl adds "Expect: 100-continue" to large POSTs; not wanted. */
	if (r == 0 && has_body)
		r = add_header(&l, "Expect", "");
	if (r < 0) {
		curl_slist_free_all(l);
		return r;
	}
	*ret = l;
	return 0;
}

int rest_request(struct rest_client *c, const char *method,
		 const char *path_query, const char *json_body,
		 struct rest_response *ret)
{
	CURL *h = c->curl;
	struct curl_slist *headers = NULL;
	struct sink s = {0};
	char *url = NULL, *ctype = NULL;
	const char *ct;
	long status = 0;
	size_t n;
	CURLcode rc;
	int r;

	c->errbuf[0] = '\0';
	n = strlen(c->base) + strlen(path_query) + 1;
	url = malloc(n);
	if (!url)
		return -ENOMEM;
	snprintf(url, n, "%s%s", c->base, path_query);
	r = build_headers(c, json_body != NULL, strcmp(method, "POST") == 0,
			  &headers);
	if (r < 0)
		goto out;

	/* Each request starts from a clean handle; connections stay cached. */
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_URL, url);
	/* HTTPS only, no redirects: a credential never leaves for another
	 * scheme or host. */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* Rule ids become path segments: keep them as sent. */
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sentinelctl/" SENTINEL_VERSION);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)REST_MAX_RESPONSE);
	if (c->opts.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (c->opts.cacert) {
		curl_easy_setopt(h, CURLOPT_CAINFO, c->opts.cacert);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
				 json_body ? json_body : "");
		curl_easy_setopt(
			h, CURLOPT_POSTFIELDSIZE_LARGE,
			(curl_off_t)(json_body ? strlen(json_body) : 0));
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		if (json_body)
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);

	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		r = curl_to_errno(rc, &s);
		if (r == -EFBIG)
			snprintf(c->errbuf, sizeof(c->errbuf),
				 "response larger than %u MiB",
				 REST_MAX_RESPONSE >> 20);
		else if (!c->errbuf[0])
			snprintf(c->errbuf, sizeof(c->errbuf), "%s",
				 curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct) {
		ctype = strdup(ct);
		if (!ctype) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (!s.buf) {
		s.buf = calloc(1, 1);
		if (!s.buf) {
			r = -ENOMEM;
			goto out;
		}
	}
	ret->status = status;
	ret->body = s.buf;
	ret->len = s.len;
	ret->content_type = ctype;
	s.buf = NULL;
	ctype = NULL;
	r = 0;
out:
	/* The handle points at headers and url: detach before freeing. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	free(url);
	free(ctype);
	free(s.buf);
	return r;
}

const char *rest_library_version(void)
{
	return curl_version_info(CURLVERSION_NOW)->version;
}

char *rest_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~') {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}
