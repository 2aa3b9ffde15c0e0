// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of controlplane/auth.c: roles, API keys, JWT bearer tokens. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "auth.h"

#define NOW    1700001000ULL /* the committed tokens are valid then */
#define ISS    "https://auth.example.test"
#define AUD    "sentinel"
#define KEY1   "k1-0123456789abcdef0123456789abcdef" /* 35 characters */
#define KEY2   "k2-fedcba9876543210fedcba9876543210"
#define TOKMAX (2 * AUTH_JWT_MAX_LEN)

static int passed, failed;
static const char *dir;

#define CHECK(cond)                                                    \
	do {                                                           \
		if (cond) {                                            \
			passed++;                                      \
		} else {                                               \
			failed++;                                      \
			fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, \
				__LINE__, #cond);                      \
		}                                                      \
	} while (0)

static const char *path(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* Test-only randomness for signing (blinding, ECDSA nonces). */
static int rng(void *p, unsigned char *out, size_t n)
{
	static unsigned long long x = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		out[i] = (unsigned char)(x >> 24);
	}
	return 0;
}

static size_t b64url(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	unsigned int acc = 0, bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xffff;
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = tab[(acc >> bits) & 63];
		}
	}
	if (bits)
		out[o++] = tab[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return o;
}

static mbedtls_pk_context k_rsa, k_rsa2, k_ec;

enum signer { S_RSA, S_RSA2, S_EC, S_NONE, S_HS256 };

/* header.payload.signature of the given JSON texts. */
static void make_jwt(char *out, const char *header, const char *claims,
		     enum signer s)
{
	unsigned char hash[32], sig[1024];
	size_t n = 0, sig_len = 0;

	n = b64url((const unsigned char *)header, strlen(header), out);
	out[n++] = '.';
	n += b64url((const unsigned char *)claims, strlen(claims), out + n);
	mbedtls_sha256_ret((unsigned char *)out, n, hash, 0);
	switch (s) {
	case S_RSA:
	case S_RSA2:
		if (mbedtls_pk_sign(s == S_RSA ? &k_rsa : &k_rsa2,
				    MBEDTLS_MD_SHA256, hash, 32, sig, &sig_len,
				    rng, NULL))
			abort();
		break;
	case S_EC: {
		mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k_ec);
		mbedtls_mpi r, ss;

		mbedtls_mpi_init(&r);
		mbedtls_mpi_init(&ss);
		if (mbedtls_ecdsa_sign(&ec->grp, &r, &ss, &ec->d, hash, 32, rng,
				       NULL) ||
		    mbedtls_mpi_write_binary(&r, sig, 32) ||
		    mbedtls_mpi_write_binary(&ss, sig + 32, 32))
			abort();
		mbedtls_mpi_free(&r);
		mbedtls_mpi_free(&ss);
		sig_len = 64;
		break;
	}
	case S_HS256: {
		/* the key-confusion attack: the public key as HMAC secret */
		FILE *f = fopen(path("rsa.pub"), "r");
		char pem[4096];
		size_t pl;

		if (!f)
			abort();
		pl = fread(pem, 1, sizeof(pem), f);
		fclose(f);
		mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
				(unsigned char *)pem, pl, (unsigned char *)out,
				n, sig);
		sig_len = 32;
		break;
	}
	case S_NONE:
		break;
	}
	out[n++] = '.';
	b64url(sig, sig_len, out + n);
}

static json_t *std_claims(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "iss", ISS,
			 "aud", AUD, "sub", "alice", "role", "operator", "iat",
			 (json_int_t)NOW - 100, "nbf", (json_int_t)NOW - 100,
			 "exp", (json_int_t)NOW + 3600);
}

/* A token of the standard claims changed by c (consumed). */
static void jwt_of(char *out, const char *header, json_t *c, enum signer s)
{
	char *txt = json_dumps(c, JSON_COMPACT);

	if (!txt)
		abort();
	make_jwt(out, header, txt, s);
	free(txt);
	json_decref(c);
}

#define H_RS  "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa-1\"}"
#define H_RS2 "{\"alg\":\"RS256\",\"kid\":\"rsa-2\"}"
#define H_ES  "{\"alg\":\"ES256\",\"kid\":\"ec-1\"}"

static struct auth_identity id;
static char why[AUTH_WHY_LEN];

static int bearer(const struct auth *a, const char *tok, unsigned long long now)
{
	memset(&id, 0, sizeof(id));
	why[0] = '\0';
	return auth_check_bearer(a, tok, strlen(tok), now, &id, why,
				 sizeof(why));
}

/* Refused, for the reason that contains want, and the reason never repeats
 * a piece of the token. */
static void refused_at(const struct auth *a, const char *tok,
		       unsigned long long now, const char *want, int line)
{
	int r = bearer(a, tok, now);
	bool leak = false;

	for (size_t i = 0; i + 8 <= strlen(tok) && !leak; i += 4) {
		char piece[9];

		memcpy(piece, tok + i, 8);
		piece[8] = '\0';
		leak = strstr(why, piece) != NULL;
	}
	if (r == -EACCES && strstr(why, want) && !leak && id.role == 0) {
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "%s:%d: FAIL: expected -EACCES '%s', got %d '%s'%s\n",
		__FILE__, line, want, r, why, leak ? " (leaks token)" : "");
}
#define refused(a, tok, want)	       refused_at(a, tok, NOW, want, __LINE__)
#define refused_now(a, tok, now, want) refused_at(a, tok, now, want, __LINE__)

static void accepted_at(const struct auth *a, const char *tok,
			unsigned long long now, enum auth_role role,
			const char *name, int line)
{
	int r = bearer(a, tok, now);

	if (r == 0 && id.role == role && strcmp(id.name, name) == 0 &&
	    id.method == AUTH_METHOD_JWT) {
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "%s:%d: FAIL: expected %s/%s, got %d '%s' (%s/%s)\n",
		__FILE__, line, name, auth_role_name(role), r, why, id.name,
		auth_role_name(id.role));
}
#define accepted(a, tok, role, name) \
	accepted_at(a, tok, NOW, role, name, __LINE__)
#define accepted_now(a, tok, now, role, name) \
	accepted_at(a, tok, now, role, name, __LINE__)

static void test_roles(void)
{
	enum auth_role r = AUTH_ROLE_NONE;

	CHECK(auth_role_parse("viewer", &r) == 0 && r == AUTH_ROLE_VIEWER);
	CHECK(auth_role_parse("operator", &r) == 0 && r == AUTH_ROLE_OPERATOR);
	CHECK(auth_role_parse("admin", &r) == 0 && r == AUTH_ROLE_ADMIN);
	r = AUTH_ROLE_VIEWER;
	CHECK(auth_role_parse("Admin", &r) == -EINVAL && r == AUTH_ROLE_VIEWER);
	CHECK(auth_role_parse("none", &r) == -EINVAL);
	CHECK(auth_role_parse("", &r) == -EINVAL);
	CHECK(auth_role_parse(NULL, &r) == -EINVAL);
	CHECK(strcmp(auth_role_name(AUTH_ROLE_ADMIN), "admin") == 0);
	CHECK(strcmp(auth_role_name(AUTH_ROLE_OPERATOR), "operator") == 0);
	CHECK(strcmp(auth_role_name(AUTH_ROLE_VIEWER), "viewer") == 0);
	CHECK(strcmp(auth_role_name(AUTH_ROLE_NONE), "none") == 0);
	CHECK(strcmp(auth_role_name((enum auth_role)42), "none") == 0);
	CHECK(strcmp(auth_method_name(AUTH_METHOD_API_KEY), "api-key") == 0);
	CHECK(strcmp(auth_method_name(AUTH_METHOD_JWT), "jwt") == 0);
	/* the whole matrix: admin > operator > viewer, none allows nothing */
	for (int have = AUTH_ROLE_NONE; have <= AUTH_ROLE_ADMIN + 1; have++) {
		for (int req = AUTH_ROLE_NONE; req <= AUTH_ROLE_ADMIN + 1;
		     req++) {
			bool want = have >= AUTH_ROLE_VIEWER &&
				    have <= AUTH_ROLE_ADMIN &&
				    req <= AUTH_ROLE_ADMIN && have >= req;

			CHECK(auth_role_allows(have, req) == want);
		}
	}
	CHECK(auth_role_allows(AUTH_ROLE_ADMIN, AUTH_ROLE_OPERATOR));
	CHECK(!auth_role_allows(AUTH_ROLE_VIEWER, AUTH_ROLE_OPERATOR));
	CHECK(!auth_role_allows(AUTH_ROLE_NONE, AUTH_ROLE_NONE));
}

static void test_ct_equal(void)
{
	unsigned char a[32], b[32];

	for (int i = 0; i < 32; i++)
		a[i] = b[i] = (unsigned char)(i * 37 + 1);
	CHECK(auth_ct_equal(a, b, 32));
	CHECK(auth_ct_equal(a, b, 0));
	/* every single-bit difference, at every position */
	for (int i = 0; i < 32; i++) {
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (unsigned char)(1u << bit);
			CHECK(!auth_ct_equal(a, b, 32));
			CHECK(auth_ct_equal(a, b, (size_t)i) == true);
			b[i] ^= (unsigned char)(1u << bit);
		}
	}
	memset(b, 0, sizeof(b));
	memset(a, 0xff, sizeof(a));
	CHECK(!auth_ct_equal(a, b, 32));
	CHECK(auth_ct_equal(a, a, 32));
}

static void sha256_hex(const char *s, char *hex, bool upper)
{
	unsigned char h[32];

	mbedtls_sha256_ret((const unsigned char *)s, strlen(s), h, 0);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, upper ? "%02X" : "%02x", h[i]);
}

static int api(const struct auth *a, const char *key)
{
	memset(&id, 0, sizeof(id));
	return auth_check_api_key(a, key, strlen(key), &id);
}

static void test_api_keys(void)
{
	struct auth *a = NULL;
	char hex[65], bad[80];
	struct auth_key_config k;

	CHECK(auth_new(&a) == 0);
	CHECK(!auth_configured(a));
	CHECK(api(a, KEY1) == -EACCES);

	k = (struct auth_key_config){"ops", KEY1, NULL, AUTH_ROLE_ADMIN};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == 0);
	sha256_hex(KEY2, hex, true);
	k = (struct auth_key_config){"monitor", NULL, hex, AUTH_ROLE_VIEWER};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == 0);
	CHECK(auth_configured(a));

	/* good: plain and hashed configuration */
	CHECK(api(a, KEY1) == 0 && strcmp(id.name, "ops") == 0 &&
	      id.role == AUTH_ROLE_ADMIN && id.method == AUTH_METHOD_API_KEY);
	CHECK(api(a, KEY2) == 0 && strcmp(id.name, "monitor") == 0 &&
	      id.role == AUTH_ROLE_VIEWER);
	/* bad, empty, prefix, extension */
	CHECK(api(a, "nope-nope-nope-nope-nope-nope-nope") == -EACCES);
	CHECK(api(a, "") == -EACCES && id.role == AUTH_ROLE_NONE);
	CHECK(auth_check_api_key(a, KEY1, strlen(KEY1) - 1, &id) == -EACCES);
	CHECK(auth_check_api_key(a, NULL, 0, &id) == -EACCES);
	snprintf(bad, sizeof(bad), "%sx", KEY1);
	CHECK(api(a, bad) == -EACCES);
	/* near misses: one character different, at every position */
	for (size_t i = 0; i < strlen(KEY1); i++) {
		snprintf(bad, sizeof(bad), "%s", KEY1);
		bad[i] ^= 1;
		CHECK(api(a, bad) == -EACCES);
	}
	/* an untouched out-parameter on failure */
	memset(&id, 0x5a, sizeof(id));
	CHECK(auth_check_api_key(a, "x", 1, &id) == -EACCES &&
	      (unsigned char)id.name[0] == 0x5a);

	/* configuration errors, whose messages name the entry, not the key */
	k = (struct auth_key_config){"short", "0123456789abcdef0123456789abcde",
				     NULL, AUTH_ROLE_ADMIN};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EINVAL &&
	      strstr(why, "'short'") && !strstr(why, "0123456789"));
	k = (struct auth_key_config){"spaces",
				     "0123456789abcdef 0123456789abcdef", NULL,
				     AUTH_ROLE_ADMIN};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EINVAL);
	k = (struct auth_key_config){"both", KEY1, hex, AUTH_ROLE_ADMIN};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EINVAL &&
	      strstr(why, "exactly one"));
	k = (struct auth_key_config){"neither", NULL, NULL, AUTH_ROLE_ADMIN};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EINVAL);
	k = (struct auth_key_config){"hex63", NULL, hex + 1, AUTH_ROLE_ADMIN};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EINVAL &&
	      strstr(why, "64 hex"));
	snprintf(bad, sizeof(bad), "%s", hex);
	bad[10] = 'g';
	k = (struct auth_key_config){"hexg", NULL, bad, AUTH_ROLE_ADMIN};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EINVAL);
	k = (struct auth_key_config){"ops",
				     "another-key-another-key-another-key",
				     NULL, AUTH_ROLE_ADMIN};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EINVAL &&
	      strstr(why, "twice"));
	/* the same key under another name, plain or hashed */
	sha256_hex(KEY1, hex, false);
	k = (struct auth_key_config){"again", NULL, hex, AUTH_ROLE_VIEWER};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EEXIST &&
	      strstr(why, "'ops'"));
	k = (struct auth_key_config){"again", KEY2, NULL, AUTH_ROLE_VIEWER};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EEXIST &&
	      !strstr(why, KEY2));
	k = (struct auth_key_config){"norole",
				     "norole-norole-norole-norole-norole", NULL,
				     AUTH_ROLE_NONE};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EINVAL);
	k = (struct auth_key_config){"bad\nname",
				     "badname-badname-badname-badname-badname",
				     NULL, AUTH_ROLE_VIEWER};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EINVAL);
	k = (struct auth_key_config){"", "emptyname-emptyname-emptyname-empty",
				     NULL, AUTH_ROLE_VIEWER};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -EINVAL);
	/* still the two good keys */
	CHECK(api(a, KEY1) == 0 && id.role == AUTH_ROLE_ADMIN);
	CHECK(api(a, KEY2) == 0 && id.role == AUTH_ROLE_VIEWER);

	/* the bound */
	for (int i = 2; i < AUTH_KEYS_MAX; i++) {
		char name[16], key[48];

		snprintf(name, sizeof(name), "k%d", i);
		snprintf(key, sizeof(key), "generated-key-number-%08d-xxxxxx",
			 i);
		k = (struct auth_key_config){name, key, NULL, AUTH_ROLE_VIEWER};
		if (auth_keys_add(a, &k, why, sizeof(why)) != 0) {
			CHECK(!"adding keys up to the bound");
			break;
		}
	}
	k = (struct auth_key_config){"overflow",
				     "overflow-overflow-overflow-overflow",
				     NULL, AUTH_ROLE_VIEWER};
	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == -ENOSPC);
	CHECK(api(a, "generated-key-number-00000200-xxxxxx") == 0 &&
	      strcmp(id.name, "k200") == 0);
	CHECK(api(a, KEY1) == 0 && strcmp(id.name, "ops") == 0);
	auth_free(a);
	auth_free(NULL);
}

static struct auth *jwt_auth(void)
{
	struct auth_jwt_config c = {ISS, AUD, NULL, AUTH_JWT_LEEWAY_DFLT, 0};
	struct auth *a = NULL;

	if (auth_new(&a) || auth_jwt_configure(a, &c, why, sizeof(why)) ||
	    auth_jwt_add_key_file(a, path("rsa.pub"), "rsa-1", why,
				  sizeof(why)) ||
	    auth_jwt_add_key_file(a, path("ec.pub"), "ec-1", why,
				  sizeof(why))) {
		fprintf(stderr, "jwt setup: %s\n", why);
		exit(1);
	}
	return a;
}

static void read_token(const char *name, char *out)
{
	FILE *f = fopen(path(name), "r");
	size_t n;

	if (!f) {
		perror(name);
		exit(1);
	}
	n = fread(out, 1, TOKMAX - 1, f);
	fclose(f);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	out[n] = '\0';
}

static void test_jwt_keys(void)
{
	struct auth *a = NULL;
	struct auth_jwt_config c = {ISS, AUD, NULL, AUTH_JWT_LEEWAY_MAX + 1, 0};

	CHECK(auth_new(&a) == 0);
	CHECK(auth_jwt_add_key_file(a, path("rsa1024.pub"), NULL, why,
				    sizeof(why)) == -EINVAL &&
	      strstr(why, "1024 bits"));
	CHECK(auth_jwt_add_key_file(a, path("ec384.pub"), NULL, why,
				    sizeof(why)) == -EINVAL &&
	      strstr(why, "P-256"));
	CHECK(auth_jwt_add_key_file(a, path("rsa.key"), NULL, why,
				    sizeof(why)) == -EINVAL &&
	      strstr(why, "private key"));
	CHECK(auth_jwt_add_key_file(a, path("missing.pub"), NULL, why,
				    sizeof(why)) == -ENOENT &&
	      strstr(why, "missing.pub"));
	CHECK(auth_jwt_add_key_file(a, path("make.sh"), NULL, why,
				    sizeof(why)) == -EINVAL &&
	      strstr(why, "not a PEM public key"));
	CHECK(auth_jwt_add_key_pem(a,
				   "-----BEGIN PUBLIC KEY-----\nAAAA\n"
				   "-----END PUBLIC KEY-----\n",
				   57, NULL, why, sizeof(why)) == -EINVAL);
	CHECK(!auth_configured(a));
	CHECK(auth_jwt_add_key_file(a, path("rsa.pub"), "k", why,
				    sizeof(why)) == 0);
	CHECK(auth_jwt_add_key_file(a, path("ec.pub"), "k", why, sizeof(why)) ==
		      -EINVAL &&
	      strstr(why, "twice"));
	CHECK(auth_jwt_add_key_file(a, path("ec.pub"), "bad\tkid", why,
				    sizeof(why)) == -EINVAL);
	CHECK(auth_configured(a));
	CHECK(auth_jwt_configure(a, &c, why, sizeof(why)) == -EINVAL &&
	      strstr(why, "leeway"));
	c.leeway_s = 0;
	c.algs = 1u << 5;
	CHECK(auth_jwt_configure(a, &c, why, sizeof(why)) == -EINVAL);
	c.algs = 0;
	c.issuer = "";
	CHECK(auth_jwt_configure(a, &c, why, sizeof(why)) == -EINVAL);
	auth_free(a);
}

static void test_jwt(void)
{
	struct auth *a = jwt_auth();
	static char tok[TOKMAX], tok2[TOKMAX + 8];
	char name[AUTH_NAME_MAX + 1];
	json_t *c;
	char *dot;

	/* signed by the openssl CLI (make.sh): interoperability */
	read_token("rs256.jwt", tok);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");
	read_token("es256.jwt", tok);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");

	/* signed here with mbedTLS */
	jwt_of(tok, H_RS, std_claims(), S_RSA);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");
	jwt_of(tok, H_ES, std_claims(), S_EC);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");
	/* no kid: every key of the alg is tried */
	jwt_of(tok, "{\"alg\":\"ES256\"}", std_claims(), S_EC);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");
	jwt_of(tok, "{\"alg\":\"RS256\"}", std_claims(), S_RSA);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");

	/* exp: required, with the leeway (60 s) */
	jwt_of(tok, H_RS, std_claims(), S_RSA);
	accepted_now(a, tok, NOW + 3600 + 59, AUTH_ROLE_OPERATOR, "alice");
	refused_now(a, tok, NOW + 3600 + 60, "expired");
	refused_now(a, tok, NOW + 100000, "expired");
	c = std_claims();
	json_object_del(c, "exp");
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "no exp");
	c = std_claims();
	json_object_set_new(c, "exp", json_string("1700009999"));
	jwt_of(tok, H_ES, c, S_EC);
	refused(a, tok, "exp is not a number");
	c = std_claims();
	json_object_set_new(c, "exp", json_real(NOW + 0.5));
	jwt_of(tok, H_ES, c, S_EC);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");

	/* nbf and iat */
	c = std_claims();
	json_object_set_new(c, "nbf", json_integer(NOW + 61));
	json_object_del(c, "iat");
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "not yet valid");
	accepted_now(a, tok, NOW + 1, AUTH_ROLE_OPERATOR, "alice");
	c = std_claims();
	json_object_del(c, "nbf");
	json_object_del(c, "iat");
	jwt_of(tok, H_RS, c, S_RSA);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");
	c = std_claims();
	json_object_set_new(c, "iat", json_integer(NOW + 3000));
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "issued in the future");
	c = std_claims();
	json_object_set_new(c, "nbf", json_true());
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "nbf is not a number");

	/* iss */
	c = std_claims();
	json_object_set_new(c, "iss", json_string("https://evil.example.test"));
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "issuer not accepted");
	c = std_claims();
	json_object_del(c, "iss");
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "no iss");
	c = std_claims();
	json_object_set_new(c, "iss", json_pack("[s]", ISS));
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "issuer not accepted");

	/* aud: a string or an array that contains ours */
	c = std_claims();
	json_object_set_new(c, "aud", json_string("someone-else"));
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "audience not accepted");
	c = std_claims();
	json_object_set_new(c, "aud", json_pack("[s,s]", "a", AUD));
	jwt_of(tok, H_ES, c, S_EC);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");
	c = std_claims();
	json_object_set_new(c, "aud", json_pack("[s,i,s]", "a", 5, "b"));
	jwt_of(tok, H_ES, c, S_EC);
	refused(a, tok, "audience not accepted");
	c = std_claims();
	json_object_set_new(c, "aud", json_pack("[]"));
	jwt_of(tok, H_ES, c, S_EC);
	refused(a, tok, "audience not accepted");
	c = std_claims();
	json_object_del(c, "aud");
	jwt_of(tok, H_ES, c, S_EC);
	refused(a, tok, "no aud");

	/* sub is the identity's name */
	c = std_claims();
	json_object_del(c, "sub");
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "no sub");
	c = std_claims();
	json_object_set_new(c, "sub", json_string("bob\nadmin"));
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "control characters");
	memset(name, 's', AUTH_NAME_MAX);
	name[AUTH_NAME_MAX] = '\0';
	c = std_claims();
	json_object_set_new(c, "sub", json_string(name));
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "sub must be");
	name[AUTH_NAME_MAX - 1] = '\0';
	c = std_claims();
	json_object_set_new(c, "sub", json_string(name));
	jwt_of(tok, H_RS, c, S_RSA);
	accepted(a, tok, AUTH_ROLE_OPERATOR, name);
	c = std_claims();
	json_object_set_new(c, "sub", json_string(""));
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "sub must be");

	/* the role claim */
	c = std_claims();
	json_object_set_new(c, "role", json_string("admin"));
	jwt_of(tok, H_RS, c, S_RSA);
	accepted(a, tok, AUTH_ROLE_ADMIN, "alice");
	c = std_claims();
	json_object_set_new(
		c, "role", json_pack("[s,s,s]", "viewer", "admin", "operator"));
	jwt_of(tok, H_RS, c, S_RSA);
	accepted(a, tok, AUTH_ROLE_ADMIN, "alice");
	c = std_claims();
	json_object_set_new(c, "role",
			    json_pack("[s,i,s]", "bogus", 3, "viewer"));
	jwt_of(tok, H_RS, c, S_RSA);
	accepted(a, tok, AUTH_ROLE_VIEWER, "alice");
	c = std_claims();
	json_object_set_new(c, "role", json_string("superuser"));
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "no known role");
	c = std_claims();
	json_object_set_new(c, "role", json_string("Admin"));
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "no known role");
	c = std_claims();
	json_object_set_new(c, "role", json_pack("[s]", "none"));
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "no known role");
	c = std_claims();
	json_object_set_new(c, "role", json_integer(3));
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "not a string or an array");
	c = std_claims();
	json_object_del(c, "role");
	jwt_of(tok, H_RS, c, S_RSA);
	refused(a, tok, "no 'role' claim");
	/* duplicate claims are refused, not resolved */
	make_jwt(tok, H_RS,
		 "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"alice\","
		 "\"role\":\"viewer\",\"role\":\"admin\",\"exp\":1800000000}",
		 S_RSA);
	refused(a, tok, "payload is not");

	/* algorithms */
	jwt_of(tok, "{\"alg\":\"none\",\"kid\":\"rsa-1\"}", std_claims(),
	       S_NONE);
	refused(a, tok, "alg none not accepted");
	jwt_of(tok, "{\"alg\":\"none\"}", std_claims(), S_RSA);
	refused(a, tok, "alg none not accepted");
	jwt_of(tok, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", std_claims(),
	       S_HS256);
	refused(a, tok, "alg HS256 not accepted");
	jwt_of(tok, "{\"alg\":\"RS512\"}", std_claims(), S_RSA);
	refused(a, tok, "alg RS512 not accepted");
	jwt_of(tok, "{\"alg\":\"rs256\"}", std_claims(), S_RSA);
	refused(a, tok, "unknown alg");
	jwt_of(tok, "{\"kid\":\"rsa-1\"}", std_claims(), S_RSA);
	refused(a, tok, "no alg");
	jwt_of(tok, "{\"alg\":[\"RS256\"]}", std_claims(), S_RSA);
	refused(a, tok, "no alg");
	/* alg against the key's type */
	jwt_of(tok, "{\"alg\":\"RS256\",\"kid\":\"ec-1\"}", std_claims(),
	       S_RSA);
	refused(a, tok, "does not fit");
	jwt_of(tok, "{\"alg\":\"ES256\",\"kid\":\"rsa-1\"}", std_claims(),
	       S_EC);
	refused(a, tok, "does not fit");
	/* a signature by a key of the other type under the alg it claims */
	jwt_of(tok, "{\"alg\":\"ES256\"}", std_claims(), S_RSA);
	refused(a, tok, "bad signature");
	jwt_of(tok, "{\"alg\":\"RS256\"}", std_claims(), S_EC);
	refused(a, tok, "bad signature");
	jwt_of(tok, "{\"alg\":\"RS256\",\"crit\":[\"exp\"]}", std_claims(),
	       S_RSA);
	refused(a, tok, "crit");
	jwt_of(tok, "{\"alg\":\"RS256\",\"kid\":7}", std_claims(), S_RSA);
	refused(a, tok, "kid is not a string");
	jwt_of(tok, "{\"alg\":\"RS256\",\"alg\":\"RS256\"}", std_claims(),
	       S_RSA);
	refused(a, tok, "header is not");

	/* kid */
	jwt_of(tok, "{\"alg\":\"RS256\",\"kid\":\"nope\"}", std_claims(),
	       S_RSA);
	refused(a, tok, "unknown kid");
	jwt_of(tok, H_RS2, std_claims(), S_RSA2);
	refused(a, tok, "unknown kid");
	jwt_of(tok, H_RS, std_claims(), S_RSA2);
	refused(a, tok, "bad signature");
	CHECK(auth_jwt_add_key_file(a, path("rsa2.pub"), "rsa-2", why,
				    sizeof(why)) == 0);
	jwt_of(tok, H_RS2, std_claims(), S_RSA2);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");
	jwt_of(tok, "{\"alg\":\"RS256\"}", std_claims(), S_RSA2);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");
	jwt_of(tok, H_RS2, std_claims(), S_RSA);
	refused(a, tok, "bad signature");

	/* tampering: payload and signature */
	jwt_of(tok, H_RS, std_claims(), S_RSA);
	c = std_claims();
	json_object_set_new(c, "role", json_string("admin"));
	jwt_of(tok2, H_RS, c, S_NONE);
	dot = strrchr(tok, '.');
	strcat(tok2, dot + 1);
	refused(a, tok2, "bad signature");
	snprintf(tok2, sizeof(tok2), "%s", tok);
	dot = strrchr(tok2, '.');
	dot[5] = dot[5] == 'A' ? 'B' : 'A';
	refused(a, tok2, "bad signature");
	snprintf(tok2, sizeof(tok2), "%s", tok);
	tok2[strlen(tok2) - 4] = '\0';
	refused(a, tok2, "");
	snprintf(tok2, sizeof(tok2), "%s", tok);
	strrchr(tok2, '.')[1] = '\0';
	refused(a, tok2, "bad signature");
	snprintf(tok2, sizeof(tok2), "%s", tok);
	dot = strchr(tok2, '.');
	dot[3] ^= 0x20; /* a letter's case: still base64url */
	refused(a, tok2, "");
	CHECK(strstr(why, "bad signature") || strstr(why, "payload"));
	jwt_of(tok, H_ES, std_claims(), S_EC);
	snprintf(tok2, sizeof(tok2), "%s", tok);
	dot = strrchr(tok2, '.');
	dot[20] = dot[20] == 'A' ? 'B' : 'A';
	refused(a, tok2, "bad signature");
	/* r = 0, s = 0 */
	snprintf(tok2, sizeof(tok2), "%s", tok);
	dot = strrchr(tok2, '.');
	memset(dot + 1, 'A', 86);
	refused(a, tok2, "bad signature");

	/* the compact form and strict base64url */
	jwt_of(tok, H_RS, std_claims(), S_RSA);
	snprintf(tok2, sizeof(tok2), "%s.", tok);
	refused(a, tok2, "not a compact JWS");
	dot = strchr(tok, '.');
	snprintf(tok2, sizeof(tok2), "%.*s", (int)(strrchr(tok, '.') - tok),
		 tok);
	refused(a, tok2, "not a compact JWS");
	refused(a, "", "no bearer token");
	refused(a, "..", "header is not");
	snprintf(tok2, sizeof(tok2), "%s", tok);
	tok2[2] = '+'; /* base64, not base64url */
	refused(a, tok2, "header is not");
	snprintf(tok2, sizeof(tok2), "%s", tok);
	strrchr(tok2, '.')[3] = '/';
	refused(a, tok2, "signature is not base64url");
	snprintf(tok2, sizeof(tok2), "%s==", tok);
	refused(a, tok2, "signature is not base64url");
	snprintf(tok2, sizeof(tok2), "%s", tok);
	tok2[strlen(tok2) - 1] = '\0'; /* 341 characters: 1 mod 4 */
	refused(a, tok2, "signature is not base64url");
	/* non-canonical: 256 bytes end in a character with 4 unused bits,
	 * which must be zero (A Q g w) */
	snprintf(tok2, sizeof(tok2), "%s", tok);
	CHECK(strchr("AQgw", tok2[strlen(tok2) - 1]) != NULL);
	tok2[strlen(tok2) - 1]++; /* B R h x: the lowest bit set */
	refused(a, tok2, "signature is not base64url");
	snprintf(tok2, sizeof(tok2), "%.*s %s", (int)(dot - tok), tok, dot);
	refused(a, tok2, "header is not");
	make_jwt(tok, "[\"alg\",\"RS256\"]", "{}", S_RSA);
	refused(a, tok, "header is not");
	make_jwt(tok, H_RS, "[1,2,3]", S_RSA);
	refused(a, tok, "payload is not");
	make_jwt(tok, H_RS, "{\"exp\":", S_RSA);
	refused(a, tok, "payload is not");

	/* size bound: the same valid token, padded with a long claim */
	c = std_claims();
	{
		char *pad = malloc(6000);

		memset(pad, 'x', 5999);
		pad[5999] = '\0';
		json_object_set_new(c, "pad", json_string(pad));
		free(pad);
	}
	jwt_of(tok, H_RS, c, S_RSA);
	CHECK(strlen(tok) > AUTH_JWT_MAX_LEN);
	refused(a, tok, "longer than 8192");
	memset(tok, 'A', AUTH_JWT_MAX_LEN + 1);
	tok[AUTH_JWT_MAX_LEN + 1] = '\0';
	refused(a, tok, "longer than 8192");

	auth_free(a);
}

static void test_jwt_config(void)
{
	struct auth_jwt_config cfg = {ISS, AUD, "sentinel_roles", 0,
				      AUTH_ALG_ES256};
	static char tok[TOKMAX];
	struct auth *a = jwt_auth(), *b = NULL;
	json_t *c;

	CHECK(auth_jwt_configure(a, &cfg, why, sizeof(why)) == 0);
	/* only ES256 allowed */
	jwt_of(tok, H_RS, std_claims(), S_RSA);
	refused(a, tok, "alg RS256 not allowed by configuration");
	/* the role from the configured claim */
	jwt_of(tok, H_ES, std_claims(), S_EC);
	refused(a, tok, "no 'sentinel_roles' claim");
	c = std_claims();
	json_object_set_new(c, "sentinel_roles", json_pack("[s]", "admin"));
	jwt_of(tok, H_ES, c, S_EC);
	accepted(a, tok, AUTH_ROLE_ADMIN, "alice");
	/* no leeway */
	refused_now(a, tok, NOW + 3600, "expired");
	accepted_now(a, tok, NOW + 3599, AUTH_ROLE_ADMIN, "alice");
	refused_now(a, tok, NOW - 101, "not yet valid");

	/* no issuer, no audience: iss unchecked, an aud refused */
	cfg = (struct auth_jwt_config){NULL, NULL, NULL, 60, 0};
	CHECK(auth_jwt_configure(a, &cfg, why, sizeof(why)) == 0);
	jwt_of(tok, H_RS, std_claims(), S_RSA);
	refused(a, tok, "no audience is configured");
	c = std_claims();
	json_object_del(c, "aud");
	json_object_set_new(c, "iss", json_string("anyone"));
	jwt_of(tok, H_RS, c, S_RSA);
	accepted(a, tok, AUTH_ROLE_OPERATOR, "alice");

	/* keys without a kid: tried for any kid; the kid's own key first */
	CHECK(auth_new(&b) == 0);
	refused(b, tok, "not configured");
	CHECK(auth_jwt_add_key_file(b, path("rsa.pub"), NULL, why,
				    sizeof(why)) == 0);
	cfg = (struct auth_jwt_config){ISS, AUD, NULL, 60, 0};
	CHECK(auth_jwt_configure(b, &cfg, why, sizeof(why)) == 0);
	jwt_of(tok, "{\"alg\":\"RS256\",\"kid\":\"whatever\"}", std_claims(),
	       S_RSA);
	accepted(b, tok, AUTH_ROLE_OPERATOR, "alice");
	jwt_of(tok, H_ES, std_claims(), S_EC);
	refused(b, tok, "unknown kid");
	jwt_of(tok, "{\"alg\":\"ES256\"}", std_claims(), S_EC);
	refused(b, tok, "no ES256 key configured");
	CHECK(auth_jwt_add_key_file(b, path("rsa2.pub"), "rsa-2", why,
				    sizeof(why)) == 0);
	jwt_of(tok, H_RS2, std_claims(), S_RSA);
	refused(b, tok, "bad signature");
	auth_free(a);
	auth_free(b);
}

static void test_authenticate(void)
{
	struct auth *a = jwt_auth();
	struct auth_key_config k = {"ops", KEY1, NULL, AUTH_ROLE_ADMIN};
	static char tok[TOKMAX], hdr[2 * TOKMAX];
	int r;

	CHECK(auth_keys_add(a, &k, why, sizeof(why)) == 0);
	jwt_of(tok, H_ES, std_claims(), S_EC);

#define AUTHN(key, authz)                           \
	(memset(&id, 0, sizeof(id)), why[0] = '\0', \
	 auth_authenticate(a, key, authz, NOW, &id, why, sizeof(why)))

	CHECK(AUTHN(KEY1, NULL) == 0 && id.method == AUTH_METHOD_API_KEY &&
	      id.role == AUTH_ROLE_ADMIN);
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	CHECK(AUTHN(NULL, hdr) == 0 && id.method == AUTH_METHOD_JWT &&
	      id.role == AUTH_ROLE_OPERATOR && strcmp(id.name, "alice") == 0);
	CHECK(AUTHN("", hdr) == 0 && id.method == AUTH_METHOD_JWT);
	snprintf(hdr, sizeof(hdr), "  bEaReR \t%s  \t", tok);
	CHECK(AUTHN(NULL, hdr) == 0 && id.method == AUTH_METHOD_JWT);
	/* X-API-Key decides alone when present */
	CHECK(AUTHN(KEY1, "Bearer garbage") == 0 &&
	      id.method == AUTH_METHOD_API_KEY);
	r = AUTHN(KEY2, hdr);
	CHECK(r == -EACCES && strstr(why, "X-API-Key") && !strstr(why, KEY2));
	CHECK(AUTHN(NULL, NULL) == -EACCES && strstr(why, "no credentials"));
	CHECK(AUTHN("", "") == -EACCES && strstr(why, "no credentials"));
	CHECK(AUTHN(NULL, "Basic YWxpY2U6c2VjcmV0") == -EACCES &&
	      strstr(why, "not Bearer") && !strstr(why, "YWxp"));
	CHECK(AUTHN(NULL, "Bearer") == -EACCES);
	CHECK(AUTHN(NULL, "Bearer ") == -EACCES && strstr(why, "no bearer"));
	CHECK(AUTHN(NULL, "Bearertoken") == -EACCES);
	snprintf(hdr, sizeof(hdr), "Bearer %s x", tok);
	CHECK(AUTHN(NULL, hdr) == -EACCES && !strstr(why, "eyJ"));
	/* a valid token followed by more than the bound is not cut short */
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	r = (int)strlen(hdr);
	memset(hdr + r, ' ', 7 + AUTH_JWT_MAX_LEN + 1 - r);
	strcpy(hdr + 7 + AUTH_JWT_MAX_LEN + 1, "x");
	CHECK(AUTHN(NULL, hdr) == -EACCES && strstr(why, "longer"));
	memset(&id, 0x5a, sizeof(id));
	CHECK(auth_authenticate(a, "wrong", NULL, NOW, &id, NULL, 0) ==
		      -EACCES &&
	      (unsigned char)id.name[0] == 0x5a);
	auth_free(a);
}

static double elapsed_ns(struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e9 + (t1.tv_nsec - t0->tv_nsec);
}

/* Figures for the README; not pass/fail. */
static void bench(void)
{
	struct auth *a = jwt_auth();
	static char rs[TOKMAX], es[TOKMAX];
	struct timespec t0;
	int n, ok = 0;
	double ns;

	for (int i = 0; i < 16; i++) {
		char name[16], key[48];
		struct auth_key_config k = {name, key, NULL, AUTH_ROLE_VIEWER};

		snprintf(name, sizeof(name), "k%d", i);
		snprintf(key, sizeof(key), "generated-key-number-%08d-xxxxxx",
			 i);
		auth_keys_add(a, &k, why, sizeof(why));
	}
	n = 200000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		ok += api(a, "generated-key-number-00000007-xxxxxx") == 0;
	ns = elapsed_ns(&t0) / n;
	printf("bench: api key check, 16 keys (36-byte key): %.0f ns\n", ns);
	for (int i = 16; i < AUTH_KEYS_MAX; i++) {
		char name[16], key[48];
		struct auth_key_config k = {name, key, NULL, AUTH_ROLE_VIEWER};

		snprintf(name, sizeof(name), "k%d", i);
		snprintf(key, sizeof(key), "generated-key-number-%08d-xxxxxx",
			 i);
		auth_keys_add(a, &k, why, sizeof(why));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		ok += api(a, "generated-key-number-00000007-xxxxxx") == 0;
	ns = elapsed_ns(&t0) / n;
	printf("bench: api key check, %d keys: %.0f ns\n", AUTH_KEYS_MAX, ns);

	jwt_of(rs, H_RS, std_claims(), S_RSA);
	jwt_of(es, H_ES, std_claims(), S_EC);
	n = 2000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		ok += bearer(a, rs, NOW) == 0;
	printf("bench: RS256 (2048) bearer check: %.1f us\n",
	       elapsed_ns(&t0) / n / 1e3);
	n = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		ok += bearer(a, es, NOW) == 0;
	printf("bench: ES256 (P-256) bearer check: %.1f us\n",
	       elapsed_ns(&t0) / n / 1e3);
	CHECK(ok == 400000 + 2000 + 300);
	auth_free(a);
}

static void load_private(mbedtls_pk_context *pk, const char *name)
{
	mbedtls_pk_init(pk);
	if (mbedtls_pk_parse_keyfile(pk, path(name), NULL)) {
		fprintf(stderr, "cannot load %s\n", path(name));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test-auth DIR (test/unit/auth)\n");
		return 2;
	}
	dir = argv[1];
	load_private(&k_rsa, "rsa.key");
	load_private(&k_rsa2, "rsa2.key");
	load_private(&k_ec, "ec.key");

	test_roles();
	test_ct_equal();
	test_api_keys();
	test_jwt_keys();
	test_jwt();
	test_jwt_config();
	test_authenticate();
	if (!getenv("AUTH_NO_BENCH"))
		bench();

	mbedtls_pk_free(&k_rsa);
	mbedtls_pk_free(&k_rsa2);
	mbedtls_pk_free(&k_ec);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
