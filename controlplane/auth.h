/* SPDX-License-Identifier: GPL-2.0-only */
/* Authentication of API requests (API keys, JWT bearer tokens) and roles. */
#ifndef SENTINEL_AUTH_H
#define SENTINEL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The roles, in order: each one allows everything the ones before it allow
 * (admin > operator > viewer).  NONE is "authenticated as nobody": it allows
 * nothing and is never the role of a successful authentication.
 */
enum auth_role {
	AUTH_ROLE_NONE = 0,
	AUTH_ROLE_VIEWER,
	AUTH_ROLE_OPERATOR,
	AUTH_ROLE_ADMIN,
};

enum auth_method {
	AUTH_METHOD_NONE = 0,
	AUTH_METHOD_API_KEY,
	AUTH_METHOD_JWT,
};

#define AUTH_NAME_MAX	     64	  /* identity names, NUL included */
#define AUTH_KEY_MIN_LEN     32	  /* plain API keys in the configuration */
#define AUTH_KEY_MAX_LEN     1024 /* longer presented keys are refused */
#define AUTH_KEYS_MAX	     256  /* API keys in one store */
#define AUTH_JWT_KEYS_MAX    16	  /* JWT verification keys */
#define AUTH_JWT_MAX_LEN     8192 /* longer tokens are refused */
#define AUTH_JWT_LEEWAY_DFLT 60	  /* seconds of clock skew on exp/nbf/iat */
#define AUTH_JWT_LEEWAY_MAX  3600
#define AUTH_WHY_LEN	     128 /* enough for every message of this module */

/* Who made a request: the API key's configured name or the JWT's sub. */
struct auth_identity {
	char name[AUTH_NAME_MAX];
	enum auth_role role;
	enum auth_method method;
};

/* "viewer", "operator", "admin" (exactly, lower case); -EINVAL otherwise. */
int auth_role_parse(const char *s, enum auth_role *ret);
/* The name of a role; "none" for AUTH_ROLE_NONE and out-of-range values. */
const char *auth_role_name(enum auth_role r);
/* Whether a holder of have may do what needs required (never for NONE). */
bool auth_role_allows(enum auth_role have, enum auth_role required);
/* "api-key", "jwt" or "none": for the audit trail and logs. */
const char *auth_method_name(enum auth_method m);

/*
 * Equality of two n-byte buffers in time that depends on n only.  Exposed
 * for its unit test; the key store uses it on SHA-256 digests.
 */
bool auth_ct_equal(const void *a, const void *b, size_t n);

/*
 * The credential store: API keys, JWT settings and verification keys.  Built
 * at configuration load, then only read; one thread at a time (verifying
 * updates mbedTLS's per-key caches).
 */
struct auth;

int auth_new(struct auth **ret);
/* Wipes the stored digests; accepts NULL. */
void auth_free(struct auth *a);
/* Whether any API key or JWT verification key is configured. */
bool auth_configured(const struct auth *a);

/* One entry of the configuration's auth.api_keys (all borrowed). */
struct auth_key_config {
	const char *name; /* 1..63 printable bytes, unique in the store */
	const char *key;  /* the plain key (>= AUTH_KEY_MIN_LEN), or NULL */
	const char *key_sha256; /* or its SHA-256 as 64 hex digits, or NULL */
	enum auth_role role;	/* viewer, operator or admin */
};

/*
 * Add an API key: exactly one of key and key_sha256 is given; a plain key is
 * hashed here and not kept.  Returns 0, -EINVAL (bad or duplicate entry),
 * -EEXIST (the same key under another name), -ENOSPC or -ENOMEM, with the
 * reason in why (which names the entry, never the key).
 */
int auth_keys_add(struct auth *a, const struct auth_key_config *k, char *why,
		  size_t whylen);

/*
 * Check a presented X-API-Key value: its SHA-256 is compared with every
 * stored digest in constant time (all of them, whatever matches).  Returns
 * 0 and fills ret, or -EACCES.
 */
int auth_check_api_key(const struct auth *a, const char *key, size_t len,
		       struct auth_identity *ret);

#define AUTH_ALG_RS256 (1u << 0) /* RSASSA-PKCS1-v1_5 SHA-256 */
#define AUTH_ALG_ES256 (1u << 1) /* ECDSA P-256 SHA-256 */

/* The configuration's auth.jwt settings (strings borrowed, copied). */
struct auth_jwt_config {
	const char *issuer;	/* iss must equal it; NULL: not checked */
	const char *audience;	/* aud must be or contain it; NULL: tokens
				 * that carry an aud are refused (RFC 7519) */
	const char *role_claim; /* the claim holding the role; NULL: "role" */
	unsigned int leeway_s;	/* <= AUTH_JWT_LEEWAY_MAX (default: _DFLT) */
	unsigned int algs;	/* AUTH_ALG_* accepted; 0: both */
};

/* Set the JWT settings (replacing earlier ones).  -EINVAL with why. */
int auth_jwt_configure(struct auth *a, const struct auth_jwt_config *c,
		       char *why, size_t whylen);

/*
 * Add a JWT verification key from a PEM public key (SubjectPublicKeyInfo or
 * PKCS#1 RSA): RSA of 2048 bits or more, or EC P-256.  kid (may be NULL)
 * names it: a token whose kid matches is verified with that key only; keys
 * without a kid are tried for any token of their algorithm.  Returns 0,
 * -EINVAL (not such a key, or a duplicate kid), -ENOSPC, -ENOMEM, or for the
 * file variant the -errno of reading it, with the reason in why.
 */
int auth_jwt_add_key_pem(struct auth *a, const char *pem, size_t len,
			 const char *kid, char *why, size_t whylen);
int auth_jwt_add_key_file(struct auth *a, const char *path, const char *kid,
			  char *why, size_t whylen);

/*
 * Verify a compact JWS bearer token at time now_s (seconds since the epoch):
 * alg RS256 or ES256 as configured, signature, exp (required), nbf and iat
 * (if present) with the leeway, iss, aud, sub (the identity's name) and the
 * role claim (a string, or an array: the highest known role wins; no known
 * role, no access).  Returns 0 and fills ret, or -EACCES with the reason in
 * why (never any part of the token).
 */
int auth_check_bearer(const struct auth *a, const char *token, size_t len,
		      uint64_t now_s, struct auth_identity *ret, char *why,
		      size_t whylen);

/*
 * The claims step of auth_check_bearer on a decoded payload (JSON text),
 * without any signature: exposed for tests and the fuzzer only.
 */
int auth_jwt_check_claims(const struct auth *a, const char *json, size_t len,
			  uint64_t now_s, struct auth_identity *ret, char *why,
			  size_t whylen);

/*
 * Authenticate a request from its headers (NULL or "" when absent): a
 * non-empty X-API-Key decides alone; otherwise "Authorization: Bearer
 * <token>" (scheme case-insensitive).  Returns 0 and fills ret (role at
 * least viewer), or -EACCES with a reason for the log and the 401 body that
 * never contains the credential.
 */
int auth_authenticate(const struct auth *a, const char *x_api_key,
		      const char *authorization, uint64_t now_s,
		      struct auth_identity *ret, char *why, size_t whylen);

#endif
