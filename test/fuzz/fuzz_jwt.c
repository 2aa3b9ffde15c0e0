// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: bearer tokens (auth_check_bearer), claims, API keys. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#ifndef AUTH_KEYS_DIR
#error "AUTH_KEYS_DIR: the directory of test/unit/auth"
#endif

#define NOW 1700001000ULL /* the seed tokens are valid then */

static struct auth *a;

/* Keys from test/unit/auth, as the unit test configures them. */
static void setup(void)
{
	struct auth_jwt_config c = {"https://auth.example.test", "sentinel",
				    NULL, 60, 0};
	struct auth_key_config k = {"ops",
				    "k1-0123456789abcdef0123456789abcdef", NULL,
				    AUTH_ROLE_ADMIN};
	char why[AUTH_WHY_LEN];

	if (auth_new(&a) || auth_jwt_configure(a, &c, why, sizeof(why)) ||
	    auth_jwt_add_key_file(a, AUTH_KEYS_DIR "/rsa.pub", "rsa-1", why,
				  sizeof(why)) ||
	    auth_jwt_add_key_file(a, AUTH_KEYS_DIR "/ec.pub", "ec-1", why,
				  sizeof(why)) ||
	    auth_jwt_add_key_file(a, AUTH_KEYS_DIR "/rsa2.pub", NULL, why,
				  sizeof(why)) ||
	    auth_keys_add(a, &k, why, sizeof(why)))
		abort();
}

static void check_result(int r, const struct auth_identity *id, const char *why)
{
	/* the reason is always terminated; success means a real role */
	if (!memchr(why, '\0', AUTH_WHY_LEN))
		abort();
	if (r == 0 &&
	    (id->role < AUTH_ROLE_VIEWER || id->role > AUTH_ROLE_ADMIN ||
	     !id->name[0] || !memchr(id->name, '\0', sizeof(id->name))))
		abort();
	if (r != 0 && r != -EACCES && r != -ENOMEM)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_identity id;
	char why[AUTH_WHY_LEN];
	char *hdr;
	int r;

	if (!a)
		setup();
	memset(why, 0, sizeof(why));
	memset(&id, 0, sizeof(id));
	/* a token never starts with '{': such inputs are claims */
	if (size > 0 && data[0] == '{') {
		r = auth_jwt_check_claims(a, (const char *)data, size, NOW, &id,
					  why, sizeof(why));
		check_result(r, &id, why);
		return 0;
	}
	r = auth_check_bearer(a, (const char *)data, size, NOW, &id, why,
			      sizeof(why));
	check_result(r, &id, why);

	/* the same bytes as headers (up to a NUL) */
	hdr = malloc(size + 8);
	if (!hdr)
		return 0;
	memcpy(hdr, "Bearer ", 7);
	memcpy(hdr + 7, data, size);
	hdr[size + 7] = '\0';
	memset(&id, 0, sizeof(id));
	r = auth_authenticate(a, NULL, hdr, NOW, &id, why, sizeof(why));
	check_result(r, &id, why);
	memset(&id, 0, sizeof(id));
	r = auth_authenticate(a, hdr + 7, NULL, NOW, &id, why, sizeof(why));
	check_result(r, &id, why);
	free(hdr);
	return 0;
}
