// SPDX-License-Identifier: GPL-2.0-only
/* API keys, JWT bearer tokens and roles: mbedTLS and jansson stay in here. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <mbedtls/asn1.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "auth.h"

#define HASH_LEN       32
#define ES256_SIG_LEN  64
#define KEY_FILE_MAX   (64 * 1024)
#define KID_MAX	       256
#define CLAIM_NAME_MAX 256

struct auth_key {
	char name[AUTH_NAME_MAX];
	enum auth_role role;
	unsigned char hash[HASH_LEN]; /* SHA-256 of the key */
};

struct auth_jwt_key {
	char *kid;	  /* owned; NULL: tried for any token */
	unsigned int alg; /* AUTH_ALG_RS256 or AUTH_ALG_ES256 */
	size_t sig_len;	  /* the exact signature length */
	mbedtls_pk_context pk;
};

struct auth {
	struct auth_key keys[AUTH_KEYS_MAX];
	size_t n_keys;
	struct auth_jwt_key jwt_keys[AUTH_JWT_KEYS_MAX];
	size_t n_jwt_keys;
	char *issuer;	  /* owned, or NULL */
	char *audience;	  /* owned, or NULL */
	char *role_claim; /* owned */
	unsigned int leeway_s;
	unsigned int algs;
};

static const char *const role_names[] = {
	[AUTH_ROLE_NONE] = "none",
	[AUTH_ROLE_VIEWER] = "viewer",
	[AUTH_ROLE_OPERATOR] = "operator",
	[AUTH_ROLE_ADMIN] = "admin",
};

/* JWS algorithm names a token may carry; only two are implemented.  A
 * refused alg is named from this table, never copied from the token. */
static const struct {
	const char *name;
	unsigned int alg; /* 0: never accepted */
} jws_algs[] = {
	{"RS256", AUTH_ALG_RS256},
	{"ES256", AUTH_ALG_ES256},
	{"none", 0},
	{"HS256", 0},
	{"HS384", 0},
	{"HS512", 0},
	{"RS384", 0},
	{"RS512", 0},
	{"ES384", 0},
	{"ES512", 0},
	{"PS256", 0},
	{"PS384", 0},
	{"PS512", 0},
	{"EdDSA", 0},
};

static void say(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/*
 * mbedTLS error codes are a high-level part (module) plus a low-level part;
 * an allocation failure in either is -ENOMEM, everything else is dflt.
 */
static int mbed_errno(int e, int dflt)
{
	int hi = -(-e & 0x7f80), lo = -(-e & 0x007f);

	if (e >= 0)
		return e;
	if (hi == MBEDTLS_ERR_PK_ALLOC_FAILED ||
	    hi == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
	    hi == MBEDTLS_ERR_PEM_ALLOC_FAILED ||
	    lo == MBEDTLS_ERR_ASN1_ALLOC_FAILED ||
	    lo == MBEDTLS_ERR_MPI_ALLOC_FAILED)
		return -ENOMEM;
	return dflt;
}

int auth_role_parse(const char *s, enum auth_role *ret)
{
	if (!s || !ret)
		return -EINVAL;
	for (int r = AUTH_ROLE_VIEWER; r <= AUTH_ROLE_ADMIN; r++) {
		if (strcmp(s, role_names[r]) == 0) {
			*ret = r;
			return 0;
		}
	}
	return -EINVAL;
}

const char *auth_role_name(enum auth_role r)
{
	if ((int)r < AUTH_ROLE_NONE || r > AUTH_ROLE_ADMIN)
		return role_names[AUTH_ROLE_NONE];
	return role_names[r];
}

bool auth_role_allows(enum auth_role have, enum auth_role required)
{
	if (have < AUTH_ROLE_VIEWER || have > AUTH_ROLE_ADMIN ||
	    (int)required < AUTH_ROLE_NONE || required > AUTH_ROLE_ADMIN)
		return false;
	return have >= required;
}

const char *auth_method_name(enum auth_method m)
{
	switch (m) {
	case AUTH_METHOD_API_KEY:
		return "api-key";
	case AUTH_METHOD_JWT:
		return "jwt";
	default:
		return "none";
	}
}

/*
 * 1 if the n bytes are equal, else 0; the time depends on n only.  The
 * empty asm hides the accumulator from the optimiser, so that it cannot
 * stop at the first difference.
 */
static unsigned int ct_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	uint64_t d = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t u, v;

		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		d |= u ^ v;
		__asm__("" : "+r"(d));
	}
	for (; i < n; i++) {
		d |= (uint64_t)(x[i] ^ y[i]);
		__asm__("" : "+r"(d));
	}
	return (unsigned int)(((d | (0 - d)) >> 63) ^ 1);
}

bool auth_ct_equal(const void *a, const void *b, size_t n)
{
	return ct_eq(a, b, n);
}

int auth_new(struct auth **ret)
{
	struct auth *a;

	if (!ret)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->role_claim = strdup("role");
	if (!a->role_claim) {
		free(a);
		return -ENOMEM;
	}
	a->leeway_s = AUTH_JWT_LEEWAY_DFLT;
	a->algs = AUTH_ALG_RS256 | AUTH_ALG_ES256;
	*ret = a;
	return 0;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_jwt_keys; i++) {
		free(a->jwt_keys[i].kid);
		mbedtls_pk_free(&a->jwt_keys[i].pk);
	}
	free(a->issuer);
	free(a->audience);
	free(a->role_claim);
	mbedtls_platform_zeroize(a->keys, sizeof(a->keys));
	free(a);
}

bool auth_configured(const struct auth *a)
{
	return a && (a->n_keys > 0 || a->n_jwt_keys > 0);
}

/* Printable ASCII (spaces allowed), 1..max-1 bytes. */
static bool printable(const char *s, size_t max)
{
	size_t n;

	if (!s)
		return false;
	n = strnlen(s, max);
	if (n == 0 || n >= max)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_sha256_hex(const char *s, unsigned char *out)
{
	if (strnlen(s, 2 * HASH_LEN + 1) != 2 * HASH_LEN)
		return -EINVAL;
	for (size_t i = 0; i < HASH_LEN; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int auth_keys_add(struct auth *a, const struct auth_key_config *k, char *why,
		  size_t whylen)
{
	unsigned char hash[HASH_LEN];
	struct auth_key *e;
	int r;

	if (!a || !k) {
		say(why, whylen, "api key: no entry");
		return -EINVAL;
	}
	if (!printable(k->name, AUTH_NAME_MAX)) {
		say(why, whylen,
		    "api key: name must be 1-%d printable characters",
		    AUTH_NAME_MAX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < a->n_keys; i++) {
		if (strcmp(a->keys[i].name, k->name) == 0) {
			say(why, whylen, "api key '%s': name used twice",
			    k->name);
			return -EINVAL;
		}
	}
	if (k->role < AUTH_ROLE_VIEWER || k->role > AUTH_ROLE_ADMIN) {
		say(why, whylen,
		    "api key '%s': role must be viewer, operator or admin",
		    k->name);
		return -EINVAL;
	}
	if (!k->key == !k->key_sha256) {
		say(why, whylen,
		    "api key '%s': give exactly one of key and key_sha256",
		    k->name);
		return -EINVAL;
	}
	if (k->key) {
		size_t n = strnlen(k->key, AUTH_KEY_MAX_LEN + 1);

		if (n < AUTH_KEY_MIN_LEN || n > AUTH_KEY_MAX_LEN) {
			say(why, whylen,
			    "api key '%s': key must be %d-%d characters",
			    k->name, AUTH_KEY_MIN_LEN, AUTH_KEY_MAX_LEN);
			return -EINVAL;
		}
		/* a header value: visible ASCII only, or it could never be
		 * presented as configured */
		for (size_t i = 0; i < n; i++) {
			if (k->key[i] <= 0x20 || k->key[i] > 0x7e) {
				say(why, whylen,
				    "api key '%s': key must be visible ASCII (no spaces)",
				    k->name);
				return -EINVAL;
			}
		}
		r = mbedtls_sha256_ret((const unsigned char *)k->key, n, hash,
				       0);
		if (r) {
			say(why, whylen, "api key '%s': cannot hash the key",
			    k->name);
			return mbed_errno(r, -EIO);
		}
	} else if (parse_sha256_hex(k->key_sha256, hash) < 0) {
		say(why, whylen,
		    "api key '%s': key_sha256 must be 64 hex digits", k->name);
		return -EINVAL;
	}
	for (size_t i = 0; i < a->n_keys; i++) {
		if (memcmp(a->keys[i].hash, hash, HASH_LEN) == 0) {
			say(why, whylen, "api key '%s': same key as '%s'",
			    k->name, a->keys[i].name);
			mbedtls_platform_zeroize(hash, sizeof(hash));
			return -EEXIST;
		}
	}
	if (a->n_keys >= AUTH_KEYS_MAX) {
		say(why, whylen, "api key '%s': more than %d keys", k->name,
		    AUTH_KEYS_MAX);
		mbedtls_platform_zeroize(hash, sizeof(hash));
		return -ENOSPC;
	}
	e = &a->keys[a->n_keys++];
	snprintf(e->name, sizeof(e->name), "%s", k->name);
	e->role = k->role;
	memcpy(e->hash, hash, HASH_LEN);
	mbedtls_platform_zeroize(hash, sizeof(hash));
	return 0;
}

int auth_check_api_key(const struct auth *a, const char *key, size_t len,
		       struct auth_identity *ret)
{
	unsigned char hash[HASH_LEN];
	unsigned int found = 0;
	size_t idx = 0;

	if (!a || !key || !ret || len == 0 || len > AUTH_KEY_MAX_LEN)
		return -EACCES;
	if (mbedtls_sha256_ret((const unsigned char *)key, len, hash, 0))
		return -EACCES;
	/* every entry is compared, and the matching index is selected with
	 * masks: the time does not depend on where (or whether) it matches */
	for (size_t i = 0; i < a->n_keys; i++) {
		unsigned int eq = ct_eq(hash, a->keys[i].hash, HASH_LEN);
		size_t mask = -(size_t)eq;

		__asm__("" : "+r"(mask)); /* no branch on the match */

		idx = (i & mask) | (idx & ~mask);
		found |= eq;
	}
	mbedtls_platform_zeroize(hash, sizeof(hash));
	if (!found)
		return -EACCES;
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->name, a->keys[idx].name, sizeof(ret->name));
	ret->role = a->keys[idx].role;
	ret->method = AUTH_METHOD_API_KEY;
	return 0;
}

static int dup_opt(const char *s, char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int auth_jwt_configure(struct auth *a, const struct auth_jwt_config *c,
		       char *why, size_t whylen)
{
	char *iss = NULL, *aud = NULL, *claim = NULL;
	int r;

	if (!a || !c) {
		say(why, whylen, "jwt: no settings");
		return -EINVAL;
	}
	if (c->issuer && !printable(c->issuer, 1024)) {
		say(why, whylen,
		    "jwt.issuer: must be 1-1023 printable characters");
		return -EINVAL;
	}
	if (c->audience && !printable(c->audience, 1024)) {
		say(why, whylen,
		    "jwt.audience: must be 1-1023 printable characters");
		return -EINVAL;
	}
	if (c->role_claim && !printable(c->role_claim, CLAIM_NAME_MAX)) {
		say(why, whylen,
		    "jwt.role_claim: must be 1-%d printable characters",
		    CLAIM_NAME_MAX - 1);
		return -EINVAL;
	}
	if (c->leeway_s > AUTH_JWT_LEEWAY_MAX) {
		say(why, whylen, "jwt.leeway: at most %d seconds",
		    AUTH_JWT_LEEWAY_MAX);
		return -EINVAL;
	}
	if (c->algs & ~(AUTH_ALG_RS256 | AUTH_ALG_ES256)) {
		say(why, whylen, "jwt.algorithms: only RS256 and ES256");
		return -EINVAL;
	}
	r = dup_opt(c->issuer, &iss);
	if (r == 0)
		r = dup_opt(c->audience, &aud);
	if (r == 0)
		r = dup_opt(c->role_claim ? c->role_claim : "role", &claim);
	if (r < 0) {
		free(iss);
		free(aud);
		free(claim);
		say(why, whylen, "jwt: out of memory");
		return r;
	}
	free(a->issuer);
	free(a->audience);
	free(a->role_claim);
	a->issuer = iss;
	a->audience = aud;
	a->role_claim = claim;
	a->leeway_s = c->leeway_s;
	a->algs = c->algs ? c->algs : AUTH_ALG_RS256 | AUTH_ALG_ES256;
	return 0;
}

/* Add a key from PEM text; what names its origin in messages. */
static int add_key(struct auth *a, const char *pem, size_t len, const char *kid,
		   const char *what, char *why, size_t whylen)
{
	struct auth_jwt_key *k;
	char err[96];
	unsigned char *buf;
	int r;

	if (kid && !printable(kid, KID_MAX)) {
		say(why, whylen, "%s: kid must be 1-%d printable characters",
		    what, KID_MAX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; kid && i < a->n_jwt_keys; i++) {
		if (a->jwt_keys[i].kid &&
		    strcmp(a->jwt_keys[i].kid, kid) == 0) {
			say(why, whylen, "%s: kid '%s' used twice", what, kid);
			return -EINVAL;
		}
	}
	if (a->n_jwt_keys >= AUTH_JWT_KEYS_MAX) {
		say(why, whylen, "%s: more than %d JWT keys", what,
		    AUTH_JWT_KEYS_MAX);
		return -ENOSPC;
	}
	if (!pem || len == 0 || len > KEY_FILE_MAX) {
		say(why, whylen, "%s: empty or larger than %d bytes", what,
		    KEY_FILE_MAX);
		return -EINVAL;
	}
	if (memmem(pem, len, "PRIVATE KEY-----", 16)) {
		say(why, whylen, "%s: a private key; give the public key",
		    what);
		return -EINVAL;
	}
	/* mbedTLS wants PEM NUL-terminated, the NUL counted in the length */
	buf = malloc(len + 1);
	if (!buf) {
		say(why, whylen, "%s: out of memory", what);
		return -ENOMEM;
	}
	memcpy(buf, pem, len);
	buf[len] = '\0';
	k = &a->jwt_keys[a->n_jwt_keys];
	memset(k, 0, sizeof(*k));
	mbedtls_pk_init(&k->pk);
	r = mbedtls_pk_parse_public_key(&k->pk, buf, len + 1);
	free(buf);
	if (r) {
		mbedtls_strerror(r, err, sizeof(err));
		say(why, whylen, "%s: not a PEM public key (%s)", what, err);
		r = mbed_errno(r, -EINVAL);
		goto fail;
	}
	switch (mbedtls_pk_get_type(&k->pk)) {
	case MBEDTLS_PK_RSA:
		if (mbedtls_pk_get_bitlen(&k->pk) < 2048) {
			say(why, whylen, "%s: RSA key of %zu bits, 2048 needed",
			    what, mbedtls_pk_get_bitlen(&k->pk));
			r = -EINVAL;
			goto fail;
		}
		k->alg = AUTH_ALG_RS256;
		k->sig_len = mbedtls_pk_get_len(&k->pk);
		break;
	case MBEDTLS_PK_ECKEY:
	case MBEDTLS_PK_ECDSA:
		if (mbedtls_pk_ec(k->pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
			say(why, whylen, "%s: EC key not on P-256", what);
			r = -EINVAL;
			goto fail;
		}
		k->alg = AUTH_ALG_ES256;
		k->sig_len = ES256_SIG_LEN;
		break;
	default:
		say(why, whylen, "%s: neither an RSA nor an EC P-256 key",
		    what);
		r = -EINVAL;
		goto fail;
	}
	if (kid) {
		k->kid = strdup(kid);
		if (!k->kid) {
			say(why, whylen, "%s: out of memory", what);
			r = -ENOMEM;
			goto fail;
		}
	}
	a->n_jwt_keys++;
	return 0;
fail:
	mbedtls_pk_free(&k->pk);
	return r;
}

int auth_jwt_add_key_pem(struct auth *a, const char *pem, size_t len,
			 const char *kid, char *why, size_t whylen)
{
	if (!a) {
		say(why, whylen, "JWT key: no store");
		return -EINVAL;
	}
	return add_key(a, pem, len, kid, "JWT key", why, whylen);
}

int auth_jwt_add_key_file(struct auth *a, const char *path, const char *kid,
			  char *why, size_t whylen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, r;

	if (!a || !path) {
		say(why, whylen, "JWT key file: no path");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		say(why, whylen, "JWT key file %s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		say(why, whylen, "JWT key file %s: %s", path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > KEY_FILE_MAX) {
		say(why, whylen, "JWT key file %s: not a file of 1-%d bytes",
		    path, KEY_FILE_MAX);
		r = -EINVAL;
		goto out;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		say(why, whylen, "JWT key file %s: out of memory", path);
		r = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			say(why, whylen, "JWT key file %s: %s", path,
			    strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		got += n;
	}
	r = add_key(a, buf, got, kid, path, why, whylen);
out:
	if (buf) {
		/* it may have been a private key given by mistake */
		mbedtls_platform_zeroize(buf, st.st_size);
		free(buf);
	}
	close(fd);
	return r;
}

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Strict base64url (RFC 7515 section 2): the URL-safe alphabet, no padding,
 * no whitespace, and unused trailing bits zero, so that each byte string has
 * one encoding only.  out holds at least n * 3 / 4 bytes.
 */
static int b64url_decode(const char *in, size_t n, unsigned char *out,
			 size_t *ret_len)
{
	unsigned int acc = 0, bits = 0;
	size_t o = 0;

	if (n % 4 == 1)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value((unsigned char)in[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6 | (unsigned int)v) & 0xfff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc)
		return -EINVAL;
	*ret_len = o;
	return 0;
}

/* One 32-byte unsigned big-endian integer as a DER INTEGER. */
static size_t der_integer(unsigned char *out, const unsigned char *x)
{
	size_t i = 0, n;
	size_t pad;

	while (i < 31 && x[i] == 0)
		i++;
	n = 32 - i;
	pad = x[i] & 0x80 ? 1 : 0;
	out[0] = MBEDTLS_ASN1_INTEGER;
	out[1] = (unsigned char)(n + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, x + i, n);
	return 2 + pad + n;
}

/* JWS ES256 signatures are r || s; mbedTLS wants SEQUENCE { r, s }. */
static size_t es256_to_der(const unsigned char *sig, unsigned char *der)
{
	size_t n = der_integer(der + 2, sig);

	n += der_integer(der + 2 + n, sig + 32);
	der[0] = MBEDTLS_ASN1_SEQUENCE | MBEDTLS_ASN1_CONSTRUCTED;
	der[1] = (unsigned char)n; /* at most 70: the short form */
	return n + 2;
}

/* 0 if sig is k's signature of hash, -EBADMSG if not, -ENOMEM. */
static int jwt_verify(const struct auth_jwt_key *k, const unsigned char *hash,
		      const unsigned char *sig, size_t sig_len)
{
	/* verification reads the key, but mbedTLS's API is not const (EC
	 * keys cache precomputed points on first use): one thread only */
	mbedtls_pk_context *pk = (mbedtls_pk_context *)&k->pk;
	unsigned char der[2 + 2 * 35];
	int r;

	if (sig_len != k->sig_len)
		return -EBADMSG;
	if (k->alg == AUTH_ALG_ES256) {
		size_t n = es256_to_der(sig, der);

		r = mbedtls_pk_verify(pk, MBEDTLS_MD_SHA256, hash, HASH_LEN,
				      der, n);
	} else {
		r = mbedtls_pk_verify(pk, MBEDTLS_MD_SHA256, hash, HASH_LEN,
				      sig, sig_len);
	}
	return r ? mbed_errno(r, -EBADMSG) : 0;
}

static bool json_number_get(json_t *v, double *ret)
{
	if (!json_is_number(v))
		return false;
	*ret = json_number_value(v);
	return true;
}

/* The highest known role in a string or an array of strings. */
static enum auth_role role_of(json_t *v)
{
	enum auth_role best = AUTH_ROLE_NONE, r;
	size_t i;
	json_t *e;

	if (json_is_string(v))
		return auth_role_parse(json_string_value(v), &r) ? best : r;
	json_array_foreach(v, i, e)
	{
		if (json_is_string(e) &&
		    auth_role_parse(json_string_value(e), &r) == 0 && r > best)
			best = r;
	}
	return best;
}

static bool aud_matches(json_t *v, const char *aud)
{
	size_t i;
	json_t *e;

	if (json_is_string(v))
		return strcmp(json_string_value(v), aud) == 0;
	json_array_foreach(v, i, e)
	{
		if (json_is_string(e) && strcmp(json_string_value(e), aud) == 0)
			return true;
	}
	return false;
}

static int check_claims(const struct auth *a, json_t *c, uint64_t now_s,
			struct auth_identity *ret, char *why, size_t whylen)
{
	double now = (double)now_s, leeway = a->leeway_s, t;
	enum auth_role role;
	const char *sub;
	json_t *v;
	size_t n;

	if (!json_is_object(c)) {
		say(why, whylen, "claims are not a JSON object");
		return -EACCES;
	}
	v = json_object_get(c, "exp");
	if (!v) {
		say(why, whylen, "token has no exp");
		return -EACCES;
	}
	if (!json_number_get(v, &t)) {
		say(why, whylen, "exp is not a number");
		return -EACCES;
	}
	if (now >= t + leeway) {
		say(why, whylen, "token expired");
		return -EACCES;
	}
	v = json_object_get(c, "nbf");
	if (v && !json_number_get(v, &t)) {
		say(why, whylen, "nbf is not a number");
		return -EACCES;
	}
	if (v && now + leeway < t) {
		say(why, whylen, "token not yet valid (nbf)");
		return -EACCES;
	}
	v = json_object_get(c, "iat");
	if (v && !json_number_get(v, &t)) {
		say(why, whylen, "iat is not a number");
		return -EACCES;
	}
	if (v && t > now + leeway) {
		say(why, whylen, "token issued in the future (iat)");
		return -EACCES;
	}
	v = json_object_get(c, "iss");
	if (a->issuer && !v) {
		say(why, whylen, "token has no iss");
		return -EACCES;
	}
	if (a->issuer && (!json_is_string(v) ||
			  strcmp(json_string_value(v), a->issuer) != 0)) {
		say(why, whylen, "issuer not accepted");
		return -EACCES;
	}
	v = json_object_get(c, "aud");
	if (a->audience && !v) {
		say(why, whylen, "token has no aud");
		return -EACCES;
	}
	if (a->audience && !aud_matches(v, a->audience)) {
		say(why, whylen, "audience not accepted");
		return -EACCES;
	}
	if (!a->audience && v) {
		say(why, whylen,
		    "token has an aud but no audience is configured");
		return -EACCES;
	}
	v = json_object_get(c, "sub");
	if (!json_is_string(v)) {
		say(why, whylen, "token has no sub string");
		return -EACCES;
	}
	sub = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n >= AUTH_NAME_MAX || strlen(sub) != n) {
		say(why, whylen, "sub must be 1-%d bytes", AUTH_NAME_MAX - 1);
		return -EACCES;
	}
	for (size_t i = 0; i < n; i++) {
		/* the name goes to logs and the audit trail as it is */
		if ((unsigned char)sub[i] < 0x20 || sub[i] == 0x7f) {
			say(why, whylen, "sub has control characters");
			return -EACCES;
		}
	}
	v = json_object_get(c, a->role_claim);
	if (!v) {
		say(why, whylen, "token has no '%s' claim", a->role_claim);
		return -EACCES;
	}
	if (!json_is_string(v) && !json_is_array(v)) {
		say(why, whylen, "claim '%s' is not a string or an array",
		    a->role_claim);
		return -EACCES;
	}
	role = role_of(v);
	if (role == AUTH_ROLE_NONE) {
		say(why, whylen, "no known role in claim '%s'", a->role_claim);
		return -EACCES;
	}
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->name, sub, n);
	ret->role = role;
	ret->method = AUTH_METHOD_JWT;
	return 0;
}

int auth_jwt_check_claims(const struct auth *a, const char *json, size_t len,
			  uint64_t now_s, struct auth_identity *ret, char *why,
			  size_t whylen)
{
	json_error_t jerr;
	json_t *c;
	int r;

	if (!a || !json || !ret) {
		say(why, whylen, "no claims");
		return -EACCES;
	}
	c = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!c) {
		say(why, whylen, "claims are not JSON");
		return -EACCES;
	}
	r = check_claims(a, c, now_s, ret, why, whylen);
	json_decref(c);
	return r;
}

/* The alg of a header: AUTH_ALG_*, or 0 with the reason said. */
static unsigned int header_alg(const struct auth *a, json_t *h, char *why,
			       size_t whylen)
{
	const char *alg;
	json_t *v;

	v = json_object_get(h, "alg");
	if (!json_is_string(v)) {
		say(why, whylen, "header has no alg");
		return 0;
	}
	alg = json_string_value(v);
	for (size_t i = 0; i < sizeof(jws_algs) / sizeof(jws_algs[0]); i++) {
		if (strcmp(alg, jws_algs[i].name) != 0)
			continue;
		if (!jws_algs[i].alg)
			say(why, whylen, "alg %s not accepted",
			    jws_algs[i].name);
		else if (!(a->algs & jws_algs[i].alg))
			say(why, whylen, "alg %s not allowed by configuration",
			    jws_algs[i].name);
		else
			return jws_algs[i].alg;
		return 0;
	}
	say(why, whylen, "unknown alg");
	return 0;
}

static const char *alg_name(unsigned int alg)
{
	return alg == AUTH_ALG_ES256 ? "ES256" : "RS256";
}

/*
 * Verify the signature with the key the kid names, or else with every key
 * of the alg that could have signed it (all of them for a token without a
 * kid, the keys without a kid for a token whose kid is not configured).
 */
static int verify_signature(const struct auth *a, unsigned int alg,
			    const char *kid, const unsigned char *hash,
			    const unsigned char *sig, size_t sig_len, char *why,
			    size_t whylen)
{
	size_t tried = 0;
	int r;

	for (size_t i = 0; kid && i < a->n_jwt_keys; i++) {
		const struct auth_jwt_key *k = &a->jwt_keys[i];

		if (!k->kid || strcmp(k->kid, kid) != 0)
			continue;
		if (k->alg != alg) {
			say(why, whylen, "alg %s does not fit the kid's %s key",
			    alg_name(alg),
			    alg == AUTH_ALG_RS256 ? "EC" : "RSA");
			return -EACCES;
		}
		r = jwt_verify(k, hash, sig, sig_len);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			say(why, whylen, "bad signature");
			return -EACCES;
		}
		return 0;
	}
	for (size_t i = 0; i < a->n_jwt_keys; i++) {
		const struct auth_jwt_key *k = &a->jwt_keys[i];

		if (k->alg != alg || (kid && k->kid))
			continue;
		tried++;
		r = jwt_verify(k, hash, sig, sig_len);
		if (r == 0 || r == -ENOMEM)
			return r;
	}
	if (tried)
		say(why, whylen, "bad signature");
	else if (kid)
		say(why, whylen, "unknown kid");
	else
		say(why, whylen, "no %s key configured", alg_name(alg));
	return -EACCES;
}

/* Decode one base64url part into buf and parse it as a JSON object. */
static json_t *part_json(const char *s, size_t n, unsigned char *buf)
{
	json_error_t jerr;
	size_t len;
	json_t *j;

	if (b64url_decode(s, n, buf, &len) < 0)
		return NULL;
	j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int auth_check_bearer(const struct auth *a, const char *token, size_t len,
		      uint64_t now_s, struct auth_identity *ret, char *why,
		      size_t whylen)
{
	const char *d1, *d2, *kid = NULL;
	unsigned char hash[HASH_LEN], *buf = NULL;
	json_t *h = NULL, *c = NULL, *v;
	unsigned int alg;
	size_t sig_len;
	int r = -EACCES;

	if (!a || !token || !ret || len == 0) {
		say(why, whylen, "no bearer token");
		return -EACCES;
	}
	if (len > AUTH_JWT_MAX_LEN) {
		say(why, whylen, "bearer token longer than %d bytes",
		    AUTH_JWT_MAX_LEN);
		return -EACCES;
	}
	if (a->n_jwt_keys == 0) {
		say(why, whylen, "bearer tokens are not configured");
		return -EACCES;
	}
	d1 = memchr(token, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (d1 + 1 - token)) : NULL;
	if (!d2 || memchr(d2 + 1, '.', len - (d2 + 1 - token))) {
		say(why, whylen,
		    "not a compact JWS (header.payload.signature)");
		return -EACCES;
	}
	buf = malloc(len);
	if (!buf) {
		say(why, whylen, "out of memory");
		return -ENOMEM;
	}
	h = part_json(token, d1 - token, buf);
	if (!h) {
		say(why, whylen, "header is not a base64url JSON object");
		goto out;
	}
	alg = header_alg(a, h, why, whylen);
	if (!alg)
		goto out;
	if (json_object_get(h, "crit")) {
		say(why, whylen, "header has crit: no extension is supported");
		goto out;
	}
	v = json_object_get(h, "kid");
	if (v && !json_is_string(v)) {
		say(why, whylen, "kid is not a string");
		goto out;
	}
	kid = v ? json_string_value(v) : NULL;
	if (b64url_decode(d2 + 1, len - (d2 + 1 - token), buf, &sig_len) < 0) {
		say(why, whylen, "signature is not base64url");
		goto out;
	}
	if (mbedtls_sha256_ret((const unsigned char *)token, d2 - token, hash,
			       0)) {
		say(why, whylen, "cannot hash the token");
		goto out;
	}
	r = verify_signature(a, alg, kid, hash, buf, sig_len, why, whylen);
	if (r < 0) {
		if (r == -ENOMEM)
			say(why, whylen, "out of memory");
		goto out;
	}
	/* only a signed payload is parsed */
	r = -EACCES;
	c = part_json(d1 + 1, d2 - d1 - 1, buf);
	if (!c) {
		say(why, whylen, "payload is not a base64url JSON object");
		goto out;
	}
	r = check_claims(a, c, now_s, ret, why, whylen);
out:
	json_decref(c);
	json_decref(h);
	free(buf);
	return r;
}

int auth_authenticate(const struct auth *a, const char *x_api_key,
		      const char *authorization, uint64_t now_s,
		      struct auth_identity *ret, char *why, size_t whylen)
{
	const char *p;
	size_t n;
	int r;

	if (!a || !ret) {
		say(why, whylen, "authentication is not configured");
		return -EACCES;
	}
	if (x_api_key && *x_api_key) {
		n = strnlen(x_api_key, AUTH_KEY_MAX_LEN + 1);
		r = auth_check_api_key(a, x_api_key, n, ret);
		if (r < 0)
			say(why, whylen, "X-API-Key not recognised");
		return r;
	}
	if (!authorization || !*authorization) {
		say(why, whylen,
		    "no credentials: send X-API-Key or Authorization: Bearer");
		return -EACCES;
	}
	p = authorization + strspn(authorization, " \t");
	if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t')) {
		say(why, whylen, "Authorization scheme is not Bearer");
		return -EACCES;
	}
	p += 6;
	p += strspn(p, " \t");
	n = strnlen(p, AUTH_JWT_MAX_LEN + 2);
	if (n > AUTH_JWT_MAX_LEN + 1) {
		say(why, whylen, "bearer token longer than %d bytes",
		    AUTH_JWT_MAX_LEN);
		return -EACCES;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return auth_check_bearer(a, p, n, now_s, ret, why, whylen);
}
