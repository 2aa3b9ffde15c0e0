/* SPDX-License-Identifier: GPL-2.0-only */
/* sentinelctl's HTTPS client: libcurl behind a small -errno interface. */
#ifndef SENTINELCTL_REST_H
#define SENTINELCTL_REST_H

#include <stdbool.h>
#include <stddef.h>

/* A response body larger than this is refused (-EFBIG): the client never
 * holds more than this much of what a server sends. */
#define REST_MAX_RESPONSE (64u << 20)

/* Where and how to connect.  Every pointer is borrowed for the lifetime of
 * the client.  At most one of token and api_key is meant to be set. */
struct rest_opts {
	const char *host;    /* name or address; IPv6 bare or in brackets */
	unsigned int port;   /* 1..65535 */
	const char *token;   /* sent as "Authorization: Bearer", or NULL */
	const char *api_key; /* sent as "X-API-Key", or NULL */
	const char *cacert;  /* CA bundle (PEM), or NULL: the system store */
	bool insecure;	     /* skip certificate and host name verification */
	long timeout_ms;     /* the whole exchange, connection included */
};

/* An HTTP answer, whatever its status. */
struct rest_response {
	long status;	    /* HTTP status code */
	char *body;	    /* owned; NUL-terminated (len excludes the NUL) */
	size_t len;	    /* bytes in body */
	char *content_type; /* owned, or NULL when the server sent none */
};

struct rest_client;

/* Process-wide libcurl setup and teardown, once each, from main(). */
int rest_global_init(void);
void rest_global_cleanup(void);

/* Creates a client for https://host:port; -EINVAL when the host is not a
 * bare name or address, -ENOMEM. */
int rest_client_new(const struct rest_opts *opts, struct rest_client **ret);
void rest_client_free(struct rest_client *c);

/* Sends METHOD path_query (starting with '/', already percent-encoded) with
 * json_body (NULL: none) and fills *ret for any HTTP status.  Returns 0, or
 * -errno when no complete HTTP answer came: -ECONNREFUSED, -EHOSTUNREACH
 * (name or route), -ETIMEDOUT, -EKEYREJECTED (certificate verification),
 * -EPROTO (other TLS or protocol failure), -EFBIG (body over
 * REST_MAX_RESPONSE), -ENOMEM, -EIO.  rest_client_error() then says why in
 * words; nothing it says contains a credential.  *ret is untouched on
 * failure. */
int rest_request(struct rest_client *c, const char *method,
		 const char *path_query, const char *json_body,
		 struct rest_response *ret);

/* Frees what a response owns; accepts a zeroed response. */
void rest_response_clear(struct rest_response *r);

/* The last failure of rest_request() in words ("" if none); borrowed. */
const char *rest_client_error(const struct rest_client *c);

/* The base URL, "https://host:port" (no credentials); borrowed. */
const char *rest_client_base(const struct rest_client *c);

/* libcurl's version ("7.88.1"); static. */
const char *rest_library_version(void);

/* Percent-encodes s (everything but RFC 3986 unreserved characters) into a
 * malloc'ed string, or NULL when out of memory. */
char *rest_escape(const char *s);

#endif
